/*
 * cleaner.h: log compaction for `cleanup.policy=compact` (and `compact,delete`): keep
 * the latest record of every key below the cleaner point. Kafka: LogCleaner (Cleaner,
 * cleanSegments, buildOffsetMap, shouldRetainRecord), LogCleanerManager
 * (cleanableOffsets, dirty ratio), SkimpyOffsetMap, KIP-58 (min.compaction.lag.ms).
 *
 * One call cleans one log once, synchronously, as a cleaner thread's pass would:
 *  1. Range: the first dirty offset is the log's cleaner checkpoint (the log start when
 *     absent or out of range). The first uncleanable offset is the base of the segment
 *     holding the smallest of: the active segment's base, the high watermark, and the
 *     base of the first segment whose largest timestamp is newer than now -
 *     min.compaction.lag.ms. Whole segments only; the active segment never.
 *  2. Ratio: dirty ratio = cleanable bytes / (clean + cleanable bytes), in parts per
 *     million with integer arithmetic; below min.cleanable.dirty.ratio nothing happens.
 *  3. Offset map: key -> latest offset over the dirty range (exact keys, at most
 *     CLEANER_KEYS_MAX; when full the range stops at the last whole segment).
 *  4. Rewrite the segments from the log start to the map's end, in groups (total size
 *     <= segment.bytes, offset span < 2^31, index entries within segment.index.bytes),
 *     each into `<first base>.log.cleaned`: a record stays when it has a key and is the
 *     latest for it (offset >= the map's), and is not a tombstone past its horizon.
 *     Offsets, batch base offsets, lastOffsetDelta, producer fields and epochs are kept;
 *     a batch that keeps everything is copied byte for byte; an emptied one is dropped.
 *     Control batches are kept.
 *  5. Swap (plog_replace_segments): `.cleaned` fsynced, renamed `.swap`, dir synced; the
 *     old segments renamed `.deleted`; the swap renamed live; dir synced. plog_open
 *     completes or discards an interrupted swap, so a crash at any step leaves a valid
 *     log holding the latest value of every key.
 *  6. The log's cleaner checkpoint (first dirty offset) becomes the map's end; logdir.c
 *     writes it to `cleaner-offset-checkpoint`.
 *
 * Tombstones (null values), KIP-534: the first pass that keeps a tombstone rewrites its
 * batch with a delete horizon (attribute bit 6; baseTimestamp = now +
 * delete.retention.ms; record timestamps unchanged); later passes drop the tombstone
 * once now reaches the horizon. A batch without a horizon (written before it was
 * first cleaned) keeps its tombstones while now < its max timestamp +
 * delete.retention.ms, standing in for Kafka's legacy rule by segment modification
 * time. Consumers that read from the log start therefore see a delete for at least
 * delete.retention.ms after the cleaner first met it.
 *
 * Memory: everything allocated in a call is freed before it returns. No global state.
 */
#ifndef KS_LOG_CLEANER_H
#define KS_LOG_CLEANER_H

#include "plog.h"

#define CLEANER_KEYS_MAX (1u << 20)      /* the offset map's capacity, in keys */
#define CLEANER_KEY_BYTES_MAX (1u << 20) /* a longer key is mapped by its prefix hash */
#define CLEANER_HEADERS_MAX 4096u        /* record headers kept when rewriting a record */

/* What a pass found and did. */
struct cleaner_stats {
    bool cleaned;                     /* a rewrite happened */
    int64_t first_dirty_offset;       /* start of the dirty range */
    int64_t first_uncleanable_offset; /* end of the dirty range */
    uint64_t clean_bytes;
    uint64_t cleanable_bytes;
    uint32_t dirty_ratio_ppm;
    uint32_t segments_in;  /* segments rewritten */
    uint32_t segments_out; /* segments they became */
    uint64_t records_kept;
    uint64_t records_dropped;
    uint64_t tombstones_dropped;
    uint64_t horizons_stamped; /* batches given a KIP-534 delete horizon */
    uint64_t bytes_in;
    uint64_t bytes_out;
};

/* The range and the ratio only (LogCleanerManager.cleanableOffsets). */
void cleaner_cleanable(const struct plog *log, int64_t now_ms, struct cleaner_stats *out);

/* One pass over log (a no-op unless its policy includes compact and it is dirty
 * enough). Errors: KS_ERR_KAFKA_STORAGE_ERROR (the log went offline),
 * KS_ERR_CORRUPT_MESSAGE (a batch on disk does not decode: the log is left as it was). */
KS_MUST_CHECK enum ks_err cleaner_clean(struct plog *log, int64_t now_ms,
                                        struct cleaner_stats *out);

#endif
