/*
 * pstate.h: the idempotent producers' state of one partition. Kafka:
 * ProducerStateManager, ProducerStateEntry, ProducerAppendInfo.checkSequence (KIP-98,
 * KIP-360).
 *
 * Per producer id: its epoch and the sequence and offset ranges of its last
 * PSTATE_BATCHES_MAX (5) batches, which is why a producer keeps at most five requests
 * in flight. The leader checks each batch before appending it (pstate_check): a lower
 * epoch is INVALID_PRODUCER_EPOCH; a batch equal to a retained one is a duplicate,
 * answered with the original offsets and not written; a new epoch must start at
 * sequence 0 and a batch of the same epoch must continue at last + 1 (wrapping at
 * INT32_MAX), else OUT_OF_ORDER_SEQUENCE_NUMBER. A producer this partition does not
 * know is accepted at any sequence (its state may have been lost to retention).
 * Leaders and followers record every appended batch (pstate_update), so a follower
 * that becomes leader de-duplicates as well.
 *
 * Snapshots (ProducerStateManager.takeSnapshot, writeSnapshot, readSnapshot,
 * truncateAndReload): `<offset, 20 digits>.snapshot` in the partition directory holds
 * the state of every producer as of the log below that offset. Byte format, version 1,
 * big-endian: int16 version, uint32 crc (CRC-32C of every byte after it), int32 entry
 * count, then 46 bytes an entry: int64 producer_id, int16 epoch, int32 last_sequence,
 * int64 last_offset, int32 offset_delta (last - first offset of the producer's last
 * batch), int64 timestamp (that batch's max timestamp), int32 coordinator_epoch (-1:
 * no transactions here), int64 current_txn_first_offset (-1). Only the last batch of a
 * producer is kept, as in Kafka. Written at each roll (named by the new segment's base,
 * whose data below is then synced) and at clean shutdown (at the log end offset), each
 * as `.tmp`, fsync, rename, directory sync. Loading (pstate_load, as LogLoader's
 * rebuildProducerState and truncateAndReload do): snapshots above the log end offset
 * (after recovery) or below the log start offset are deleted; the newest left is read
 * (a corrupt one is deleted and the next older tried), then the log is replayed from
 * its offset (from the log start offset without one). Every snapshot is at or below
 * the recovery point when written (a roll syncs what lies below the new segment; a
 * clean close flushes the log), and a truncation deletes the snapshots above the new
 * end, durably, before anything is appended again (pstate_truncate), so the log below
 * a snapshot that survives is the log it describes.
 *
 * Producers are kept sorted by id (binary search for lookups, walks in id order).
 * Ownership: the state owns its array. No global state.
 */
#ifndef KS_BROKER_PSTATE_H
#define KS_BROKER_PSTATE_H

#include "system/log/plog.h"

#define PSTATE_BATCHES_MAX 5u      /* Kafka: ProducerStateEntry.NUM_BATCHES_TO_RETAIN */
#define PSTATE_PRODUCERS_MAX 8192u /* producers remembered per partition */
#define PSTATE_SEQUENCE_MAX INT32_MAX
/* Bytes read at a time while rebuilding from the log. */
#define PSTATE_REBUILD_READ_BYTES 65536u
#define PSTATE_REBUILD_BATCHES_MAX (1u << 30)
#define PSTATE_SNAPSHOT_VERSION 1
#define PSTATE_SNAPSHOT_SUFFIX ".snapshot"
#define PSTATE_SNAPSHOT_HEADER_BYTES 10u /* version, crc, count */
#define PSTATE_SNAPSHOT_ENTRY_BYTES 46u
#define PSTATE_SNAPSHOT_BYTES_MAX                                                                  \
    (PSTATE_SNAPSHOT_HEADER_BYTES + PSTATE_PRODUCERS_MAX * PSTATE_SNAPSHOT_ENTRY_BYTES)
/* Snapshot files looked at in one directory listing (one per segment at most, plus the
 * clean-shutdown one). */
#define PSTATE_SNAPSHOTS_MAX (PLOG_SEGMENTS_MAX + 1u)
#define PSTATE_NO_OFFSET (-1)

struct pstate_batch {
    int32_t first_sequence;
    int32_t last_sequence;
    int64_t first_offset;
    int64_t last_offset;
};

struct pstate_producer {
    int64_t producer_id;
    int16_t epoch;
    uint32_t batch_count; /* <= PSTATE_BATCHES_MAX, oldest first */
    struct pstate_batch batches[PSTATE_BATCHES_MAX];
    int64_t last_timestamp; /* max timestamp of the last batch, -1 none */
};

struct pstate {
    struct pstate_producer *producers; /* sorted by producer_id */
    uint32_t producer_count;
    uint32_t producer_capacity;
    /* What the last pstate_load did (for tests and traces). */
    int64_t loaded_snapshot_offset; /* -1: none, rebuilt from the log start */
    uint64_t replayed_batch_count;
    uint32_t corrupt_snapshot_count; /* deleted because they did not decode */
};

/* What pstate_check decided about a batch. */
struct pstate_verdict {
    bool duplicate; /* already written: answer with these offsets */
    int64_t first_offset;
    int64_t last_offset;
};

void pstate_init(struct pstate *ps);
void pstate_free(struct pstate *ps);
void pstate_clear(struct pstate *ps);

/* Checks a batch the leader is about to append (producer_id >= 0). Errors:
 * KS_ERR_INVALID_PRODUCER_EPOCH, KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER. */
KS_MUST_CHECK enum ks_err pstate_check(const struct pstate *ps, int64_t producer_id, int16_t epoch,
                                       int32_t first_sequence, int32_t last_sequence,
                                       struct pstate_verdict *out);

/* Records an appended batch. A newer epoch forgets the older epoch's batches. Returns
 * KS_ERR_TOO_MANY when PSTATE_PRODUCERS_MAX producers are known (the batch is then not
 * remembered, as if its producer had expired). */
enum ks_err pstate_update(struct pstate *ps, int64_t producer_id, int16_t epoch,
                          int32_t first_sequence, int32_t last_sequence, int64_t first_offset,
                          int64_t last_offset, int64_t timestamp);

/* Records every idempotent batch of a run of whole batches whose base offset lies in
 * [from_offset, to_offset) (a follower's append, a replay). */
void pstate_update_batches(struct pstate *ps, const uint8_t *batches, uint32_t size_bytes,
                           int64_t from_offset, int64_t to_offset);

/* ---- Snapshots ------------------------------------------------------------------ */

/* The snapshot bytes of the state (allocated, free()). */
void pstate_snapshot_encode(const struct pstate *ps, uint8_t **bytes_out, uint32_t *size_out);
/* Replaces the state with a snapshot's. Bytes from disk: KS_ERR_CORRUPT_MESSAGE on a
 * wrong version, CRC, size or field (the state is then cleared). */
KS_MUST_CHECK enum ks_err pstate_snapshot_decode(struct pstate *ps, const uint8_t *bytes,
                                                 uint32_t size_bytes);
/* Writes `<offset>.snapshot` in the log's directory; the state must be that of the log
 * below offset. Also deletes the snapshots below the log start offset. */
KS_MUST_CHECK enum ks_err pstate_snapshot_write(const struct pstate *ps, struct plog *log,
                                                int64_t offset);
/* The file name of a snapshot, "<20 digits>.snapshot"; parse: false when not one. */
void pstate_snapshot_name(int64_t offset, char *buf, size_t buf_bytes);
bool pstate_snapshot_parse_name(const char *name, int64_t *offset_out);
/* Deletes every snapshot above offset, then syncs the directory. */
KS_MUST_CHECK enum ks_err pstate_snapshots_delete_above(struct plog *log, int64_t offset);
/* The snapshot offsets in the log's directory, ascending (at most max), *count_out. */
KS_MUST_CHECK enum ks_err pstate_snapshot_offsets(struct plog *log, int64_t *offsets, uint32_t max,
                                                  uint32_t *count_out);

/* Rebuilds the state of the log as it is (LogLoader.rebuildProducerState): snapshots
 * above the end or below the start deleted, the newest valid one loaded, the log
 * replayed from there. */
KS_MUST_CHECK enum ks_err pstate_load(struct pstate *ps, struct plog *log);
/* After the log was truncated (ProducerStateManager.truncateAndReload): deletes the
 * snapshots above the new end, then loads. */
KS_MUST_CHECK enum ks_err pstate_truncate(struct pstate *ps, struct plog *log);

/* The producer's entry, or NULL. */
const struct pstate_producer *pstate_find(const struct pstate *ps, int64_t producer_id);

#endif
