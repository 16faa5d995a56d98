/*
 * plog.h: the log of one partition, directory `<topic>-<partition>` under a log dir: a
 * sorted list of segments (seg.h), the last one active. Kafka: UnifiedLog, LocalLog,
 * LogLoader, LogConfig, LeaderEpochFileCache.
 *
 * What it does: append as a leader (validate CRC, sizes and `max.message.bytes`,
 * assign offsets by re-stamping the base offset and epoch) or as a follower (offsets
 * kept); read from an offset with a byte limit (fetch); ListOffsets (earliest, latest,
 * by timestamp); truncate to an offset; roll by `segment.bytes`, `segment.ms` (minus a
 * jitter drawn from env_random per segment) or a full index; flush by
 * `flush.messages` / `flush.ms`; retention by `retention.ms` / `retention.bytes` and
 * the log start offset, with deleted segments renamed `.deleted` and removed after
 * `file.delete.delay.ms`; the leader epoch cache and its `leader-epoch-checkpoint`;
 * recovery at open; the swap of cleaned segments (plog_replace_segments, for
 * cleaner.c). The log-dir-wide checkpoint files live in logdir.c, which hands each log
 * its recovery point, log start offset and high watermark at open.
 *
 * Opening (LogLoader): delete `*.deleted` and `*.cleaned` files, and every `.swap` at
 * or above the smallest `.cleaned` base; complete each remaining `.log.swap` (recover
 * it, delete the live segments it overlaps, rename it to its live names); open every
 * `<base>.log` in order; unless the log was shut down cleanly, recover every segment
 * from the one holding the recovery point onward, cut at the first bad batch and drop
 * the segments after it.
 *
 * Errors: an I/O error from the environment takes the log offline (as Kafka takes a
 * log dir offline): every later call returns KS_ERR_KAFKA_STORAGE_ERROR. The caller
 * then plog_free()s it (after a crash) or plog_close()s it.
 *
 * Ownership: a plog owns its segments, its timers and its memory. No global state.
 */
#ifndef KS_LOG_PLOG_H
#define KS_LOG_PLOG_H

#include "seg.h"
#include "system/env.h"
#include "system/props.h"

#define PLOG_SEGMENTS_MAX 65536u
#define PLOG_EPOCHS_MAX 4096u
#define PLOG_DIR_ENTRIES_MAX (PLOG_SEGMENTS_MAX * 8u)
#define PLOG_PENDING_DELETES_MAX 65536u
#define PLOG_TOPIC_BYTES_MAX 249u
#define PLOG_CHECKPOINT_BYTES_MAX (PLOG_EPOCHS_MAX * 48u + 64u)

/* ListOffsets special timestamps (Kafka: ListOffsetsRequest). */
#define PLOG_TIMESTAMP_LATEST (-1)
#define PLOG_TIMESTAMP_EARLIEST (-2)

/* cleanup.policy, as bits. */
enum {
    PLOG_CLEANUP_DELETE = 1u << 0,
    PLOG_CLEANUP_COMPACT = 1u << 1,
};

/* The topic-level configuration, Kafka's names in comments; ratios in parts per
 * million (no floating point). */
struct plog_config {
    int64_t segment_bytes;                  /* segment.bytes, 1073741824 */
    int64_t segment_ms;                     /* segment.ms, 604800000 */
    int64_t segment_jitter_ms;              /* segment.jitter.ms, 0 */
    int64_t segment_index_bytes;            /* segment.index.bytes, 10485760 */
    int64_t index_interval_bytes;           /* index.interval.bytes, 4096 */
    int64_t flush_messages;                 /* flush.messages, INT64_MAX */
    int64_t flush_ms;                       /* flush.ms, INT64_MAX */
    int64_t retention_ms;                   /* retention.ms, 604800000; -1 forever */
    int64_t retention_bytes;                /* retention.bytes, -1 */
    unsigned cleanup_policy;                /* cleanup.policy, delete */
    int64_t file_delete_delay_ms;           /* file.delete.delay.ms, 60000 */
    int64_t max_message_bytes;              /* max.message.bytes, 1048588 */
    uint32_t min_cleanable_dirty_ratio_ppm; /* min.cleanable.dirty.ratio, 0.5 */
    int64_t min_compaction_lag_ms;          /* min.compaction.lag.ms, 0 */
    int64_t delete_retention_ms;            /* delete.retention.ms, 86400000 */
};

void plog_config_default(struct plog_config *config);
/* Reads each topic-level name, else its broker-level name (`log.segment.bytes`,
 * `log.roll.ms`, ...), else Kafka's default. KS_ERR_INVALID on a bad value (with
 * Kafka's bounds: segment.bytes >= 14, index.interval.bytes >= 0, ...). */
KS_MUST_CHECK enum ks_err plog_config_from_props(const struct props *props,
                                                 struct plog_config *out);

/* State kept outside the partition directory (logdir.c's checkpoint files). */
struct plog_open_args {
    const char *topic;
    int32_t partition;
    int64_t recovery_point;     /* -1: none (recover everything) */
    int64_t log_start_offset;   /* -1: none */
    int64_t high_watermark;     /* -1: none */
    int64_t cleaner_checkpoint; /* first dirty offset, -1: none */
    bool clean_shutdown;        /* the log dir had `.kafka_cleanshutdown` */
};

struct plog_epoch_entry {
    int32_t epoch;
    int64_t start_offset;
};

struct plog_pending_delete; /* a `.deleted` segment waiting for its timer */

struct plog {
    struct env *env;
    char dir[SEG_PATH_BYTES_MAX]; /* "<log dir>/<topic>-<partition>" */
    char log_dir[SEG_PATH_BYTES_MAX];
    char topic[PLOG_TOPIC_BYTES_MAX + 1];
    int32_t partition;
    struct plog_config config;
    struct seg_config seg_config;
    struct seg **segments; /* by base offset; the last is active */
    uint32_t segment_count;
    uint32_t segment_capacity;
    int64_t log_start_offset;
    int64_t high_watermark;
    int64_t recovery_point;
    int64_t cleaner_checkpoint; /* first dirty offset, -1 none */
    struct plog_epoch_entry epochs[PLOG_EPOCHS_MAX];
    uint32_t epoch_count;
    bool dir_dirty; /* names created since the last dir sync */
    bool offline;   /* an I/O error happened: every call fails */
    env_timer_id flush_timer;
    struct plog_pending_delete **deletes;
    uint32_t delete_count;
    uint32_t delete_capacity;
    uint32_t recovered_segment_count; /* segments recovered at open (for tests) */
    uint64_t recovered_truncated_bytes;
    uint32_t swaps_completed; /* interrupted cleaner swaps finished at open (for tests) */
};

/* Opens (creating the directory when missing) and recovers the log. */
KS_MUST_CHECK enum ks_err plog_open(struct env *env, const char *log_dir,
                                    const struct plog_open_args *args,
                                    const struct plog_config *config, struct plog **log_out);
/* Clean close: trim and flush every segment, write leader-epoch-checkpoint, run the
 * pending deletes now, close. The checkpoints of the log dir are logdir.c's. */
KS_MUST_CHECK enum ks_err plog_close(struct plog *log);
/* Frees memory only (after a crash: the environment dropped files and timers). */
void plog_free(struct plog *log);

static inline int64_t plog_log_end_offset(const struct plog *log)
{
    return log->segments[log->segment_count - 1]->next_offset;
}
static inline struct seg *plog_active(const struct plog *log)
{
    return log->segments[log->segment_count - 1];
}
/* Bytes in all segments. */
uint64_t plog_size_bytes(const struct plog *log);

/* What an append did. */
struct plog_append_info {
    int64_t first_offset;
    int64_t last_offset;
    int64_t max_timestamp;
    uint32_t size_bytes;
    uint32_t batch_count;
    bool rolled;
};

/*
 * Appends one batch as the leader (UnifiedLog.appendAsLeader): validates it whole
 * (rb_decode: framing, CRC, records; offset delta of record i is i), checks its size
 * against `max.message.bytes` and `segment.bytes`, keys on a compacted topic, then
 * re-stamps base offset = log end offset and partitionLeaderEpoch = leader_epoch in
 * place (batch is modified; both fields lie before the CRC'd bytes, so the CRC checked
 * once on the way in stays valid). Errors: KS_ERR_CORRUPT_MESSAGE
 * (bad bytes or CRC, a null key on a compacted topic), KS_ERR_MESSAGE_TOO_LARGE,
 * KS_ERR_RECORD_LIST_TOO_LARGE, KS_ERR_UNSUPPORTED_COMPRESSION_TYPE,
 * KS_ERR_KAFKA_STORAGE_ERROR.
 */
KS_MUST_CHECK enum ks_err plog_append_leader(struct plog *log, uint8_t *batch, uint32_t size_bytes,
                                             int32_t leader_epoch, struct plog_append_info *out);
/* Appends batches fetched from a leader, offsets as they are (appendAsFollower):
 * each must be CRC-valid and start at or above the log end offset. Errors:
 * KS_ERR_CORRUPT_MESSAGE, KS_ERR_OFFSET_OUT_OF_RANGE (an offset below the end),
 * KS_ERR_RECORD_LIST_TOO_LARGE, KS_ERR_KAFKA_STORAGE_ERROR. */
KS_MUST_CHECK enum ks_err plog_append_follower(struct plog *log, const uint8_t *batches,
                                               uint32_t size_bytes, struct plog_append_info *out);

/* Fetch: bytes from the batch holding offset, up to max_bytes, none at or past
 * max_offset (the high watermark for consumers, the end for followers). The slice may
 * end in a partial batch; with min_one_batch a larger first batch comes whole.
 * *bytes_out allocated (free()), NULL when empty. KS_ERR_OFFSET_OUT_OF_RANGE when
 * offset is below the log start or above the end. */
KS_MUST_CHECK enum ks_err plog_read(struct plog *log, int64_t offset, uint32_t max_bytes,
                                    int64_t max_offset, bool min_one_batch, uint8_t **bytes_out,
                                    uint32_t *size_out);

/* ListOffsets: PLOG_TIMESTAMP_EARLIEST (log start), PLOG_TIMESTAMP_LATEST (end), or the
 * first record with timestamp >= ts at or above the log start. found false: none. */
KS_MUST_CHECK enum ks_err plog_offset_for_timestamp(struct plog *log, int64_t timestamp,
                                                    struct seg_timestamp_offset *out);

/* Followers: drop everything at or past offset (whole batches), segments after it
 * deleted; below the first segment the log restarts empty at offset. Synced. */
KS_MUST_CHECK enum ks_err plog_truncate_to(struct plog *log, int64_t offset);

/* Rolls a new active segment at the log end offset (when the active one is not empty). */
KS_MUST_CHECK enum ks_err plog_roll(struct plog *log);
/* fsync everything above the recovery point (and the directory when names changed);
 * the recovery point becomes the log end offset. */
KS_MUST_CHECK enum ks_err plog_flush(struct plog *log);

/* The high watermark, kept simple: any value in [log start, log end]. */
void plog_set_high_watermark(struct plog *log, int64_t high_watermark);
/* DeleteRecords / follower sync: raises the log start offset (<= high watermark). */
KS_MUST_CHECK enum ks_err plog_advance_log_start_offset(struct plog *log, int64_t offset);

/* Retention (UnifiedLog.deleteOldSegments): the log-start pass, then (delete policy)
 * size and time. Never the active segment: when every segment qualifies, roll first.
 * *deleted_out: segments deleted. */
KS_MUST_CHECK enum ks_err plog_retention(struct plog *log, int64_t now_ms, uint32_t *deleted_out);

/* The epoch cache: latest epoch, or -1. */
int32_t plog_latest_epoch(const struct plog *log);

/* Index of the segment holding offset (the last with base <= offset), 0 if below. */
uint32_t plog_segment_floor(const struct plog *log, int64_t offset);

/*
 * For the cleaner (LocalLog.replaceSegments): `cleaned` (suffix ".cleaned", flushed)
 * replaces segments [first, first + count), which it must cover, with the same base
 * as segments[first]. Steps, each crash-safe: rename cleaned to `.swap`, sync dir;
 * rename the old segments to `.deleted` (removed after file.delete.delay.ms); rename
 * the swap to live names; sync dir. Takes ownership of cleaned.
 */
KS_MUST_CHECK enum ks_err plog_replace_segments(struct plog *log, uint32_t first, uint32_t count,
                                                struct seg *cleaned);

/* Writes `<dir>/<name>` as Kafka writes checkpoint files: `<name>.tmp`, fsync, rename,
 * dir sync. */
KS_MUST_CHECK enum ks_err plog_file_write_atomic(struct env *env, const char *dir, const char *name,
                                                 const uint8_t *bytes, uint32_t size_bytes);
/* Reads a whole small file (at most max_bytes) into a NUL-terminated buffer (free()). */
KS_MUST_CHECK enum ks_err plog_file_read_all(struct env *env, const char *path, uint32_t max_bytes,
                                             char **text_out, uint32_t *size_out);

#endif
