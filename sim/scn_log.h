/*
 * scn_log.h: the scenario language's partition-log module: one simulated node driving
 * a partition log (system/log/plog.h) without a broker, so that segment roll,
 * retention, compaction and crash recovery can be watched and checked on their own.
 * Kafka: UnifiedLog under LogManager (its retention and flush-checkpoint schedules)
 * and LogCleaner (its backoff), with a producer appending keyed records.
 *
 * Node kind `log`: `node NAME type=log [topic=T] [partition=N] [log.dir=D] KEY=VALUE...`
 * where KEY is a topic config (`segment.bytes`, `segment.ms`, `retention.ms`,
 * `retention.bytes`, `cleanup.policy`, `delete.retention.ms`, `min.cleanable.dirty.ratio`,
 * `min.compaction.lag.ms`, `flush.messages`, `flush.ms`, `file.delete.delay.ms`,
 * `index.interval.bytes`, `segment.index.bytes`, ...) or a broker schedule
 * (`log.retention.check.interval.ms` 300000, `log.cleaner.backoff.ms` 15000,
 * `log.flush.offset.checkpoint.interval.ms` 60000). On start it reads the log dir's
 * checkpoint files and `.kafka_cleanshutdown` as LogManager does, opens (recovers) the
 * log, and reads the whole log back (the audit the invariants check); a clean stop
 * closes the log, writes the checkpoints and the clean-shutdown marker.
 *
 * Verbs: `append NODE rate=N/s keys=K [value.bytes=B] [batch=M] [tombstones=PPM] for
 * DURATION` (a producer: M records a batch, keys `key-0..K-1`, values naming a unique
 * sequence number), `retention NODE`, `clean NODE`, `flush NODE`, `roll NODE` (each
 * runs now), and `corrupt NODE` (a down node: flip one bit in the last batch of its
 * newest segment, when that batch lies above the durable recovery point).
 *
 * Invariants (each after every event, on the journal of appends and on every audit):
 * log_no_fsynced_loss, log_offsets_contiguous, log_latest_value_per_key,
 * log_indexes_consistent, log_recovered_batches_valid, log_retention_keeps_unexpired.
 * Their model of what was appended lives in the checker, so it survives crashes.
 */
#ifndef SIM_SCN_LOG_H
#define SIM_SCN_LOG_H

#include "scn.h"

#define SCN_LOG_JOURNAL_MAX 65536u           /* appended records a node remembers for checkers */
#define SCN_LOG_MODEL_RECORDS_MAX (1u << 22) /* records a checker models per node */
#define SCN_LOG_KEYS_MAX 65536u              /* keys= at most */
#define SCN_LOG_BATCH_RECORDS_MAX 1000u      /* batch= at most */
#define SCN_LOG_VALUE_BYTES_MAX 65536u       /* value.bytes= at most */

extern const struct world_node_type scn_log_node_type;
extern const struct scn_module scn_log_module;

#endif
