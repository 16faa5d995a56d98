/*
 * idx.h: entries of a segment's sparse indexes, encoded, decoded, checked and searched
 * as pure functions over the file's bytes. Kafka: OffsetIndex, TimeIndex,
 * AbstractIndex (KIP-33 time index).
 *
 *   .index      relativeOffset int32 | position int32            (8 bytes an entry)
 *   .timeindex  timestamp int64      | relativeOffset int32      (12 bytes an entry)
 *
 * Big-endian; relativeOffset is the offset minus the segment's base offset. Entries
 * increase (offsets strictly, timestamps strictly), so lookups binary-search for the
 * largest entry at or below a target, as AbstractIndex.largestLowerBoundSlotFor does.
 * Bytes come from disk: nothing here asserts on them, and a search over unsorted junk
 * still ends and stays in bounds (it may just find the wrong slot, as Kafka's would).
 */
#ifndef KS_LOG_IDX_H
#define KS_LOG_IDX_H

#include "system/ks.h"

#define IDX_OFFSET_ENTRY_SIZE 8u
#define IDX_TIME_ENTRY_SIZE 12u
#define IDX_NOT_FOUND (-1) /* no entry at or below the target */

struct idx_offset_entry {
    int32_t relative_offset;
    int32_t position; /* byte position in the .log */
};

struct idx_time_entry {
    int64_t timestamp;
    int32_t relative_offset;
};

/* Entry codecs: `bytes` holds at least one entry. */
void idx_offset_entry_store(uint8_t *bytes, const struct idx_offset_entry *entry);
void idx_offset_entry_load(const uint8_t *bytes, struct idx_offset_entry *out);
void idx_time_entry_store(uint8_t *bytes, const struct idx_time_entry *entry);
void idx_time_entry_load(const uint8_t *bytes, struct idx_time_entry *out);

/*
 * Kafka's sanity checks when an index is opened (OffsetIndex.sanityCheck,
 * TimeIndex.sanityCheck): the size is a whole number of entries and the last entry's
 * offset is not below the base (relative offset >= 0); for the time index also the
 * last timestamp is not below the first. *entries_out: the entry count. Errors:
 * KS_ERR_CORRUPT_MESSAGE (CorruptIndexException: rebuild the index).
 */
KS_MUST_CHECK enum ks_err idx_offset_check(const uint8_t *bytes, size_t size_bytes,
                                           uint32_t *entries_out);
KS_MUST_CHECK enum ks_err idx_time_check(const uint8_t *bytes, size_t size_bytes,
                                         uint32_t *entries_out);

/*
 * Whether the entries strictly increase (offsets; for the time index timestamps and
 * offsets), which appends keep and recovery relies on. Stricter than Kafka's check:
 * for tests and dump-log, which flag what Kafka would silently misuse.
 */
bool idx_offset_is_sorted(const uint8_t *bytes, uint32_t entries);
bool idx_time_is_sorted(const uint8_t *bytes, uint32_t entries);

/*
 * Searches entries[0..entries) for the largest slot whose key is <= target (offset
 * index: relative offset; time index: timestamp); IDX_NOT_FOUND when the first entry is
 * already above it. The _upper variants find the smallest slot whose key is >= target
 * (AbstractIndex.smallestUpperBoundSlotFor), IDX_NOT_FOUND when the last is below it.
 */
int64_t idx_offset_lookup(const uint8_t *bytes, uint32_t entries, int32_t relative_offset);
int64_t idx_offset_lookup_upper(const uint8_t *bytes, uint32_t entries, int32_t relative_offset);
int64_t idx_time_lookup(const uint8_t *bytes, uint32_t entries, int64_t timestamp);

#endif
