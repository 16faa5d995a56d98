/*
 * logdir.h: one log directory (an entry of `log.dirs`) and the partition logs under it.
 * Kafka: LogManager (loadLogs, checkpointLogRecoveryOffsets, checkpointLogStartOffsets,
 * shutdown), OffsetCheckpointFile, CleanShutdownFileHandler, LogCleanerManager's
 * cleaner-offset-checkpoint, ReplicaManager's replication-offset-checkpoint.
 *
 * Files in the directory's root (checkpoint text as ckpt.h writes it, each written as
 * `<name>.tmp`, fsync, rename, directory sync):
 *   recovery-point-offset-checkpoint  every log's recovery point
 *   log-start-offset-checkpoint       log start offsets above the first segment's base
 *   replication-offset-checkpoint     high watermarks
 *   cleaner-offset-checkpoint         compacted logs' first dirty offsets
 *   .kafka_cleanshutdown              {"version":0,"brokerEpoch":N}, written last at a
 *                                     clean close, read and deleted at open
 *
 * Opening reads the marker and the checkpoints, then opens every `<topic>-<partition>`
 * directory (skipping `-delete`, `-future` and `-stray` ones) with its offsets: with the
 * marker no log recovers; without it each recovers from its recovery point.
 *
 * Logs are kept sorted by (topic, partition), and every walk goes in that order.
 * Ownership: a logdir owns its logs. No global state.
 */
#ifndef KS_LOG_LOGDIR_H
#define KS_LOG_LOGDIR_H

#include "plog.h"

#define LOGDIR_LOGS_MAX 65536u
#define LOGDIR_CHECKPOINT_BYTES_MAX (64u * 1024u * 1024u)
#define LOGDIR_CLEAN_SHUTDOWN ".kafka_cleanshutdown"
#define LOGDIR_RECOVERY_POINT "recovery-point-offset-checkpoint"
#define LOGDIR_LOG_START "log-start-offset-checkpoint"
#define LOGDIR_REPLICATION "replication-offset-checkpoint"
#define LOGDIR_CLEANER "cleaner-offset-checkpoint"

/* A topic's configuration at open (NULL: the logdir's defaults for every topic). */
typedef void (*logdir_config_fn)(void *ctx, const char *topic, struct plog_config *config_io);

struct logdir {
    struct env *env;
    char path[SEG_PATH_BYTES_MAX];
    struct plog_config defaults;
    struct plog **logs; /* sorted by (topic, partition) */
    uint32_t log_count;
    uint32_t log_capacity;
    bool had_clean_shutdown; /* the marker was there at open */
};

/* Opens (creating when missing) and loads every log. Errors: KS_ERR_KAFKA_STORAGE_ERROR
 * (a checkpoint does not parse, or a log fails to load: the dir goes offline), and
 * the environment's errors. */
KS_MUST_CHECK enum ks_err logdir_open(struct env *env, const char *path,
                                      const struct plog_config *defaults,
                                      logdir_config_fn config_fn, void *config_ctx,
                                      struct logdir **out);

/* The log of topic-partition, or NULL. */
struct plog *logdir_find(const struct logdir *dir, const char *topic, int32_t partition);

/* The log of topic-partition, created empty (config NULL: the defaults) when missing. */
KS_MUST_CHECK enum ks_err logdir_get_or_create(struct logdir *dir, const char *topic,
                                               int32_t partition, const struct plog_config *config,
                                               struct plog **out);

/* Writes the four checkpoint files from the logs' current offsets. */
KS_MUST_CHECK enum ks_err logdir_checkpoint(struct logdir *dir);

/* Retention over every log, then the checkpoints when anything was deleted. */
KS_MUST_CHECK enum ks_err logdir_retention(struct logdir *dir, int64_t now_ms,
                                           uint32_t *deleted_out);

/* One cleaner pass over every compacted log, then the checkpoints when one cleaned. */
KS_MUST_CHECK enum ks_err logdir_clean(struct logdir *dir, int64_t now_ms, uint32_t *cleaned_out);

/* Clean shutdown (LogManager.shutdown): flush and close every log, write the
 * checkpoints (recovery points at the log ends), then the clean-shutdown marker.
 * Frees dir whatever happens; the marker is written only when all went well. */
KS_MUST_CHECK enum ks_err logdir_close(struct logdir *dir, int64_t broker_epoch);

/* Frees memory only (after a crash). */
void logdir_free(struct logdir *dir);

#endif
