/*
 * raft_log.h: the storage interface of the KRaft log, `__cluster_metadata-0`, and its
 * first implementation: one segment file `<log start, 20 digits>.log` of RecordBatch v2
 * batches in Kafka's segment format, written through env.h. Kafka: ReplicatedLog,
 * KafkaMetadataLog (over UnifiedLog), LeaderEpochFileCache (the epoch lookups here are
 * answered from the batches' partitionLeaderEpoch).
 *
 * The raft core (raft.c) uses only this header, so a partition-log backed version
 * (system/log plog) can replace raft_log.c later. The log holds one segment named by
 * the log start offset; moving the start (after a snapshot, KIP-630) rewrites it. Beside
 * it: partition.metadata (topic id AAAAAAAAAAAAAAAAAAAAAQ) and leader-epoch-checkpoint
 * (rewritten when the epochs change; lookups use the batches). Not kept: .index and
 * .timeindex (the batch table lives in memory, rebuilt by scanning the segment at open),
 * segment rolls by size or time.
 *
 * Durability: appends land in the page cache; raft_log_flush fsyncs them and moves the
 * flushed offset, which is what a follower acknowledges and what a leader counts for
 * itself toward the high watermark. Opening recovers: it keeps the longest prefix of
 * whole batches with valid CRCs and contiguous offsets and truncates the rest (a torn
 * tail after a crash).
 *
 * Ownership: the log owns its batch table and file handle. raft_log_close closes the
 * file through env; raft_log_free only frees memory (after a crash env is gone).
 */
#ifndef KS_RAFT_LOG_H
#define KS_RAFT_LOG_H

#include "system/env.h"

/* Most batches one log holds (a run appends at most a few per 10 ms). */
#define RAFT_LOG_BATCHES_MAX (1u << 22)
/* Largest segment file this log writes or scans. */
#define RAFT_LOG_BYTES_MAX (1ull << 32)
#define RAFT_LOG_DIR_BYTES_MAX 128u

/* One batch of the log, as the table in memory keeps it. */
struct raft_log_batch {
    int64_t base_offset;
    int64_t last_offset;
    int32_t epoch; /* partitionLeaderEpoch: the Raft epoch of the leader that wrote it */
    uint32_t crc;
    uint64_t position; /* byte position in the segment */
    uint32_t size_bytes;
};

struct raft_log;

/* Opens (creating durably) dir and its segment, and recovers it. Errors: KS_ERR_IO,
 * KS_ERR_NO_SPACE, KS_ERR_TOO_MANY. */
KS_MUST_CHECK enum ks_err raft_log_open(struct env *env, const char *dir, struct raft_log **out);
void raft_log_close(struct raft_log *log);
void raft_log_free(struct raft_log *log);

int64_t raft_log_end_offset(const struct raft_log *log);
/* What has been fsynced: <= end offset. */
int64_t raft_log_flushed_offset(const struct raft_log *log);
/* Epoch of the last batch; 0 when the log is empty. */
int32_t raft_log_last_epoch(const struct raft_log *log);
/* The log start offset: where the latest snapshot ends (0 without snapshots). */
int64_t raft_log_start_offset(const struct raft_log *log);
uint32_t raft_log_batch_count(const struct raft_log *log);
const struct raft_log_batch *raft_log_batch_at(const struct raft_log *log, uint32_t index);
/* Index of the batch holding offset, or the batch count when offset is at or past the
 * end (or below the start: then 0). */
uint32_t raft_log_batch_find(const struct raft_log *log, int64_t offset);
/* Bytes scanned away as a torn or corrupt tail when the log was opened. */
uint64_t raft_log_recovered_truncated_bytes(const struct raft_log *log);

/*
 * Appends whole batches (a fetch response's records, or a leader's new batch). Every
 * batch is checked: framing and CRC (rb_scan), base offset equal to the log end,
 * epochs not decreasing and at most epoch_max. A partial batch at the end is dropped
 * (KIP-74 fetch responses may end in one). Appends what precedes a bad batch, then
 * returns KS_ERR_CORRUPT_MESSAGE. *appended_out counts the batches appended.
 * Errors: KS_ERR_CORRUPT_MESSAGE, KS_ERR_IO, KS_ERR_NO_SPACE, KS_ERR_TOO_MANY.
 */
KS_MUST_CHECK enum ks_err raft_log_append(struct raft_log *log, const uint8_t *bytes,
                                          uint32_t size_bytes, int32_t epoch_max,
                                          uint32_t *appended_out);
/* fsync: everything appended becomes durable. */
KS_MUST_CHECK enum ks_err raft_log_flush(struct raft_log *log);
/* Removes every batch holding an offset >= offset (a batch straddling it goes whole);
 * never below the log start. */
KS_MUST_CHECK enum ks_err raft_log_truncate_to(struct raft_log *log, int64_t offset);

/*
 * Moves the log start to offset (a snapshot's end, with its epoch), dropping the
 * batches below it: the segment is rewritten as `<offset>.log` (.swap, fsync, rename,
 * dir sync, old one deleted). offset may pass the log end (a follower installing a
 * leader's snapshot): the log is then empty and ends at offset. Errors: disk errors.
 */
KS_MUST_CHECK enum ks_err raft_log_advance_start(struct raft_log *log, int64_t offset,
                                                 int32_t epoch);

/*
 * Kafka's endOffsetForEpoch: the largest epoch <= epoch among the batches and its end
 * (the base offset of the first batch of a later epoch, or the log end). When no batch
 * has such an epoch: the log start's (snapshot's) epoch if <= epoch, else 0, and the
 * log start offset.
 */
void raft_log_end_offset_for_epoch(const struct raft_log *log, int32_t epoch, int32_t *epoch_out,
                                   int64_t *end_offset_out);

/*
 * Reads whole batches from the one holding offset, up to max_bytes (at least one
 * batch, KIP-74). *bytes_out is allocated (free() it), NULL with size 0 when offset is
 * the log end. offset must be in [start offset, end offset]. Errors: KS_ERR_IO.
 */
KS_MUST_CHECK enum ks_err raft_log_read(struct raft_log *log, int64_t offset, uint32_t max_bytes,
                                        uint8_t **bytes_out, uint32_t *size_out);

#endif
