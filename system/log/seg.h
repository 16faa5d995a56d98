/*
 * seg.h: one log segment, an append-only `<base>.log` of record batches with its sparse
 * `<base>.index` and `<base>.timeindex`. Kafka: LogSegment, OffsetIndex, TimeIndex
 * (KIP-33), LazyIndex. Used by plog.c (the partition log) and cleaner.c (compaction).
 *
 * Files (all names carry the 20-digit zero-padded base offset, then an optional
 * suffix such as ".cleaned" or ".swap" while the cleaner works on them):
 *   .log        record batches back to back, exactly as appended
 *   .index      entries of 8 bytes: relative offset int32, position int32
 *   .timeindex  entries of 12 bytes: timestamp int64, relative offset int32
 * Indexes of the active segment are preallocated to `segment.index.bytes` (rounded down
 * to the entry size) and trimmed to their entries at roll and close (seg_trim).
 *
 * Index rule (LogSegment.append, per batch, as recovery rebuilds it): before a batch
 * is written at position P, if more than `index.interval.bytes` were written since the
 * last entry, add an offset entry (batch last offset, P) and a time entry (largest
 * timestamp so far, its batch's last offset) if that timestamp is strictly larger
 * than the last time entry's. So an index built by appends equals one rebuilt by
 * seg_recover, entry for entry.
 *
 * Index entries live in memory (arrays sorted by offset); lookups search the arrays.
 * Appends add entries to the arrays only; the files get the entries not yet written
 * (one write an index) at seg_flush, seg_trim (roll, close), seg_close, the end of
 * seg_recover, a truncation, and seg_indexes_write (plog calls it after retention and
 * swaps, so readers of the files see every entry). Durability is unchanged: index
 * bytes were only ever durable after seg_flush, and a crash recovers the active
 * segment (it is always at or past the recovery point) by rebuilding its indexes from
 * the .log; segments below the recovery point were trimmed and flushed whole at roll.
 * Bytes read from disk are never trusted: a bad index is
 * reported (seg_open's needs_recovery) and rebuilt from the .log; a bad batch stops
 * recovery, which truncates the .log there.
 *
 * Ownership: a seg owns its three open files and its arrays. seg_close closes the
 * files and frees; seg_free only frees memory (after a crash, when the environment
 * has already dropped the handles).
 *
 * Invariant: base_offset <= every offset < next_offset; entries strictly increase in
 * offset and position; written counts <= entry counts; size_bytes is the .log's size.
 */
#ifndef KS_LOG_SEG_H
#define KS_LOG_SEG_H

#include "system/env.h"
#include "system/ks.h"

#define SEG_NAME_DIGITS 20u
#define SEG_PATH_BYTES_MAX 512u
#define SEG_SUFFIX_BYTES_MAX 16u
#define SEG_OFFSET_ENTRY_BYTES 8u
#define SEG_TIME_ENTRY_BYTES 12u
#define SEG_SIZE_BYTES_MAX 0x7fffffffu                  /* positions are int32 */
#define SEG_SCAN_BATCHES_MAX (SEG_SIZE_BYTES_MAX / 61u) /* batches in one segment, at most */
#define SEG_NO_TIMESTAMP (-1)

/* What a segment needs from the log's configuration. */
struct seg_config {
    uint32_t index_interval_bytes; /* index.interval.bytes */
    uint32_t index_size_bytes_max; /* segment.index.bytes */
};

struct seg_offset_entry {
    int64_t offset; /* absolute; on disk relative to base_offset */
    uint32_t position;
};

struct seg_time_entry {
    int64_t timestamp;
    int64_t offset; /* absolute; on disk relative to base_offset */
};

struct seg {
    struct env *env;                   /* borrowed */
    char dir[SEG_PATH_BYTES_MAX];      /* the partition directory */
    char suffix[SEG_SUFFIX_BYTES_MAX]; /* "" for a live segment, ".cleaned", ".swap" */
    int64_t base_offset;
    struct seg_config config;
    env_file_id log_file;
    env_file_id index_file;
    env_file_id time_file;
    uint32_t size_bytes;               /* of the .log */
    int64_t next_offset;               /* last offset + 1, base_offset when empty */
    int64_t max_timestamp;             /* largest batch max timestamp, SEG_NO_TIMESTAMP */
    int64_t offset_of_max_timestamp;   /* last offset of the batch holding it */
    int64_t first_batch_max_timestamp; /* rolling-based timestamp, SEG_NO_TIMESTAMP */
    int64_t created_ms;                /* wall clock at creation or open */
    int64_t roll_jitter_ms;            /* drawn by plog when the segment is created */
    uint32_t bytes_since_index_entry;
    struct seg_offset_entry *offsets; /* offset_count entries, capacity offset_capacity */
    uint32_t offset_count;
    uint32_t offset_capacity;
    uint32_t offset_written_count; /* entries [0, n) are in the .index file */
    uint32_t offset_entries_max;   /* index_size_bytes_max / 8 */
    struct seg_time_entry *times;
    uint32_t time_count;
    uint32_t time_capacity;
    uint32_t time_written_count; /* entries [0, n) are in the .timeindex file */
    uint32_t time_entries_max;   /* index_size_bytes_max / 12 */
    bool trimmed;                /* index files cut to their entries (not active) */
    bool needs_recovery;         /* seg_open found an index missing or failing its checks */
};

/* A batch found by walking the .log (header fields only). */
struct seg_batch {
    uint32_t position;
    uint32_t size_bytes;
    int64_t base_offset;
    int64_t last_offset;
    int64_t max_timestamp;
    int32_t partition_leader_epoch;
};

/* Called by seg_recover for every valid batch, in order. */
typedef void (*seg_recover_batch_fn)(void *ctx, const struct seg_batch *batch);

/* "<dir>/<20-digit base><ext><suffix>", e.g. ext ".log". KS_ERR_INVALID if too long. */
KS_MUST_CHECK enum ks_err seg_path(char *buf, size_t buf_bytes, const char *dir,
                                   int64_t base_offset, const char *ext, const char *suffix);

/* Parses "<20 digits>.log" (exactly, no suffix) into *base_offset_out. */
bool seg_parse_log_name(const char *name, int64_t *base_offset_out);

/* Creates a new empty segment (files truncated if present), indexes preallocated. The
 * names are not durable until the caller syncs dir. */
KS_MUST_CHECK enum ks_err seg_create(struct env *env, const char *dir, int64_t base_offset,
                                     const struct seg_config *config, const char *suffix,
                                     struct seg **seg_out);

/* Opens an existing segment, loads and checks its indexes; *needs_recovery_out is set
 * when an index is missing or fails the sanity checks (the caller then runs
 * seg_recover). When active, the indexes are extended to their preallocated size.
 * Errors: KS_ERR_NOT_FOUND (no .log), KS_ERR_IO. */
KS_MUST_CHECK enum ks_err seg_open(struct env *env, const char *dir, int64_t base_offset,
                                   const struct seg_config *config, const char *suffix, bool active,
                                   bool *needs_recovery_out, struct seg **seg_out);

/* Writes the index entries not yet in the files (no sync), then closes the files and
 * frees. */
void seg_close(struct seg *seg);
/* Frees memory only, without calling the environment (after a crash). */
void seg_free(struct seg *seg);

/* Appends already validated batches (one or more, back to back; offsets above
 * next_offset) at the end of the .log, adding index entries. Errors: KS_ERR_IO,
 * KS_ERR_NO_SPACE, KS_ERR_CORRUPT_MESSAGE if the bytes are not whole batches. */
KS_MUST_CHECK enum ks_err seg_append(struct seg *seg, const uint8_t *batches, uint32_t size_bytes);

/* Whether an index has no room for another entry (the time index one early). */
bool seg_index_full(const struct seg *seg);

/* The batch holding offset, or the first batch after it: the first batch whose last
 * offset >= offset, starting from the offset index (OffsetIndex.lookup, then a scan).
 * KS_ERR_NOT_FOUND when no batch qualifies. */
KS_MUST_CHECK enum ks_err seg_translate(struct seg *seg, int64_t offset, struct seg_batch *out);

/* Reads from the batch holding offset up to max_bytes (fetch semantics: the slice may
 * end in a partial batch; min_one_batch returns the first batch whole even if larger),
 * not at or past max_position. *bytes_out is allocated (free()), NULL when empty.
 * KS_ERR_NOT_FOUND when the segment holds nothing at or after offset. */
KS_MUST_CHECK enum ks_err seg_read(struct seg *seg, int64_t offset, uint32_t max_bytes,
                                   uint32_t max_position, bool min_one_batch, uint8_t **bytes_out,
                                   uint32_t *size_out);

/* ListOffsets by timestamp inside the segment: the first record with timestamp >=
 * timestamp and offset >= starting_offset. *found_out false when none. */
struct seg_timestamp_offset {
    bool found;
    int64_t timestamp;
    int64_t offset;
    int32_t leader_epoch;
};
KS_MUST_CHECK enum ks_err seg_find_by_timestamp(struct seg *seg, int64_t timestamp,
                                                int64_t starting_offset,
                                                struct seg_timestamp_offset *out);

/* Drops every batch whose last offset >= offset (the batch holding offset included),
 * and index entries at or past it. *truncated_bytes_out: bytes removed. */
KS_MUST_CHECK enum ks_err seg_truncate_to(struct seg *seg, int64_t offset,
                                          uint32_t *truncated_bytes_out);

/* Writes the index entries not yet in the files (no sync): after it the files hold
 * every entry, as Kafka's mmapped indexes would in the page cache. */
KS_MUST_CHECK enum ks_err seg_indexes_write(struct seg *seg);

/* Writes pending index entries, then fsyncs the .log and both indexes. */
KS_MUST_CHECK enum ks_err seg_flush(struct seg *seg);

/* Becoming inactive (roll, close): the final time entry, pending entries written, then
 * both index files cut to their entries. Idempotent. */
KS_MUST_CHECK enum ks_err seg_trim(struct seg *seg);
/* Becoming active again (after a truncation removed later segments): indexes extended
 * back to their preallocated size. */
KS_MUST_CHECK enum ks_err seg_untrim(struct seg *seg);

/* Recovery (LogSegment.recover): reset both indexes, then walk the .log from position
 * 0, checking each batch's framing and CRC (rb_scan) and that offsets increase; rebuild
 * the indexes; at the first torn or invalid batch truncate the .log there.
 * *truncated_bytes_out: bytes cut. fn (may be NULL) sees every valid batch. */
KS_MUST_CHECK enum ks_err seg_recover(struct seg *seg, seg_recover_batch_fn fn, void *ctx,
                                      uint32_t *truncated_bytes_out);

/* Renames the three files from the current suffix to new_suffix ("" = live names).
 * A missing index file is skipped. Durable after the caller syncs dir. */
KS_MUST_CHECK enum ks_err seg_rename_suffix(struct seg *seg, const char *new_suffix);

/* Walks every batch header from position 0 (for checks and the cleaner); stops at the
 * first that does not parse. fn returns false to stop. */
typedef bool (*seg_batch_fn)(void *ctx, const struct seg_batch *batch);
KS_MUST_CHECK enum ks_err seg_walk(struct seg *seg, seg_batch_fn fn, void *ctx);

/* Reads size bytes at position of the .log into buf. */
KS_MUST_CHECK enum ks_err seg_read_at(struct seg *seg, uint32_t position, uint8_t *buf,
                                      uint32_t size_bytes);

#endif
