/*
 * idx.c: offset and time index entries. Kafka: OffsetIndex, TimeIndex, AbstractIndex.
 * See idx.h. The searches are one binary search over a key function; the loop halves
 * the range each pass, so it ends after at most 32 passes whatever the bytes hold.
 */
#include "system/log/idx.h"

#define IDX_SEARCH_PASSES_MAX 33u /* ceil(log2(2^32)) + 1 */

_Static_assert(IDX_OFFSET_ENTRY_SIZE == 4 + 4, "relativeOffset, position");
_Static_assert(IDX_TIME_ENTRY_SIZE == 8 + 4, "timestamp, relativeOffset");

void idx_offset_entry_store(uint8_t *bytes, const struct idx_offset_entry *entry)
{
    KS_ASSERT(bytes != NULL);
    KS_ASSERT(entry->relative_offset >= 0); /* our own entries never go below base */
    ks_be32_store(bytes, (uint32_t)entry->relative_offset);
    ks_be32_store(bytes + 4, (uint32_t)entry->position);
}

void idx_offset_entry_load(const uint8_t *bytes, struct idx_offset_entry *out)
{
    KS_ASSERT(bytes != NULL);
    out->relative_offset = (int32_t)ks_be32_load(bytes);
    out->position = (int32_t)ks_be32_load(bytes + 4);
}

void idx_time_entry_store(uint8_t *bytes, const struct idx_time_entry *entry)
{
    KS_ASSERT(bytes != NULL);
    KS_ASSERT(entry->relative_offset >= 0);
    ks_be64_store(bytes, (uint64_t)entry->timestamp);
    ks_be32_store(bytes + 8, (uint32_t)entry->relative_offset);
}

void idx_time_entry_load(const uint8_t *bytes, struct idx_time_entry *out)
{
    KS_ASSERT(bytes != NULL);
    out->timestamp = (int64_t)ks_be64_load(bytes);
    out->relative_offset = (int32_t)ks_be32_load(bytes + 8);
}

/* Keys for the search: what an entry is ordered by. */
static int64_t idx_offset_key(const uint8_t *bytes, uint32_t slot)
{
    return (int32_t)ks_be32_load(bytes + (size_t)slot * IDX_OFFSET_ENTRY_SIZE);
}

static int64_t idx_time_key(const uint8_t *bytes, uint32_t slot)
{
    return (int64_t)ks_be64_load(bytes + (size_t)slot * IDX_TIME_ENTRY_SIZE);
}

/* Largest slot with key <= target (upper: smallest slot with key >= target). */
static int64_t idx_search(const uint8_t *bytes, uint32_t entries, int64_t target, bool upper,
                          int64_t (*key)(const uint8_t *, uint32_t))
{
    KS_ASSERT(bytes != NULL || entries == 0);
    if (entries == 0)
        return IDX_NOT_FOUND;
    if (!upper && key(bytes, 0) > target)
        return IDX_NOT_FOUND;
    if (upper && key(bytes, entries - 1) < target)
        return IDX_NOT_FOUND;
    uint32_t lo = 0, hi = entries - 1;
    for (uint32_t pass = 0; lo < hi && pass < IDX_SEARCH_PASSES_MAX; pass++) {
        /* lower: round up so lo always moves; upper: round down so hi always moves */
        uint32_t mid = upper ? lo + (hi - lo) / 2 : lo + (hi - lo + 1) / 2;
        int64_t k = key(bytes, mid);
        if (!upper && k <= target)
            lo = mid;
        else if (!upper)
            hi = mid - 1;
        else if (k >= target)
            hi = mid;
        else
            lo = mid + 1;
    }
    KS_ASSERT(lo == hi); /* the range halves each pass */
    return lo;
}

int64_t idx_offset_lookup(const uint8_t *bytes, uint32_t entries, int32_t relative_offset)
{
    return idx_search(bytes, entries, relative_offset, false, idx_offset_key);
}

int64_t idx_offset_lookup_upper(const uint8_t *bytes, uint32_t entries, int32_t relative_offset)
{
    return idx_search(bytes, entries, relative_offset, true, idx_offset_key);
}

int64_t idx_time_lookup(const uint8_t *bytes, uint32_t entries, int64_t timestamp)
{
    return idx_search(bytes, entries, timestamp, false, idx_time_key);
}

enum ks_err idx_offset_check(const uint8_t *bytes, size_t size_bytes, uint32_t *entries_out)
{
    KS_ASSERT(bytes != NULL || size_bytes == 0);
    if (size_bytes % IDX_OFFSET_ENTRY_SIZE != 0 || size_bytes / IDX_OFFSET_ENTRY_SIZE > UINT32_MAX)
        return KS_ERR_CORRUPT_MESSAGE;
    uint32_t entries = (uint32_t)(size_bytes / IDX_OFFSET_ENTRY_SIZE);
    if (entries > 0 && idx_offset_key(bytes, entries - 1) < 0)
        return KS_ERR_CORRUPT_MESSAGE; /* last offset below the base offset */
    *entries_out = entries;
    return KS_OK;
}

enum ks_err idx_time_check(const uint8_t *bytes, size_t size_bytes, uint32_t *entries_out)
{
    KS_ASSERT(bytes != NULL || size_bytes == 0);
    if (size_bytes % IDX_TIME_ENTRY_SIZE != 0 || size_bytes / IDX_TIME_ENTRY_SIZE > UINT32_MAX)
        return KS_ERR_CORRUPT_MESSAGE;
    uint32_t entries = (uint32_t)(size_bytes / IDX_TIME_ENTRY_SIZE);
    if (entries > 0) {
        struct idx_time_entry first, last;
        idx_time_entry_load(bytes, &first);
        idx_time_entry_load(bytes + (size_t)(entries - 1) * IDX_TIME_ENTRY_SIZE, &last);
        if (last.timestamp < first.timestamp || last.relative_offset < 0)
            return KS_ERR_CORRUPT_MESSAGE;
    }
    *entries_out = entries;
    return KS_OK;
}

bool idx_offset_is_sorted(const uint8_t *bytes, uint32_t entries)
{
    for (uint32_t i = 1; i < entries; i++) /* bounded by entries */
        if (idx_offset_key(bytes, i) <= idx_offset_key(bytes, i - 1))
            return false;
    return entries == 0 || idx_offset_key(bytes, 0) >= 0;
}

bool idx_time_is_sorted(const uint8_t *bytes, uint32_t entries)
{
    for (uint32_t i = 1; i < entries; i++) {
        struct idx_time_entry a, b;
        idx_time_entry_load(bytes + (size_t)(i - 1) * IDX_TIME_ENTRY_SIZE, &a);
        idx_time_entry_load(bytes + (size_t)i * IDX_TIME_ENTRY_SIZE, &b);
        if (b.timestamp <= a.timestamp || b.relative_offset <= a.relative_offset)
            return false;
    }
    return true;
}
