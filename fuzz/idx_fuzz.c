/*
 * idx_fuzz.c: fuzzes the index checks and searches (system/log/idx.c) with arbitrary
 * index bytes. Kafka: OffsetIndex, TimeIndex, AbstractIndex.
 *
 * libFuzzer entry point; AFL++ through its libFuzzer driver. The first 8 bytes pick
 * the search target; the rest is read both as a .index and as a .timeindex.
 * Properties: no crash, no read out of bounds; a found slot is in range; when the
 * entries are sorted, the binary search agrees with a linear scan.
 * Seeds: fuzz/corpus/idx/.
 */
#include "system/log/idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IDX_FUZZ_TARGET_SIZE 8u

static int64_t fuzz_linear_offset(const uint8_t *bytes, uint32_t entries, int32_t target)
{
    int64_t slot = IDX_NOT_FOUND;
    for (uint32_t i = 0; i < entries; i++) {
        struct idx_offset_entry e;
        idx_offset_entry_load(bytes + (size_t)i * IDX_OFFSET_ENTRY_SIZE, &e);
        if (e.relative_offset <= target)
            slot = i;
    }
    return slot;
}

static int64_t fuzz_linear_time(const uint8_t *bytes, uint32_t entries, int64_t target)
{
    int64_t slot = IDX_NOT_FOUND;
    for (uint32_t i = 0; i < entries; i++) {
        struct idx_time_entry e;
        idx_time_entry_load(bytes + (size_t)i * IDX_TIME_ENTRY_SIZE, &e);
        if (e.timestamp <= target)
            slot = i;
    }
    return slot;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < IDX_FUZZ_TARGET_SIZE)
        return 0;
    int64_t target = (int64_t)ks_be64_load(data);
    const uint8_t *bytes = data + IDX_FUZZ_TARGET_SIZE;
    size_t n = size - IDX_FUZZ_TARGET_SIZE;
    uint32_t entries = 0;
    uint32_t offset_entries = (uint32_t)(n / IDX_OFFSET_ENTRY_SIZE);
    (void)idx_offset_check(bytes, n, &entries);
    int64_t slot = idx_offset_lookup(bytes, offset_entries, (int32_t)target);
    KS_ASSERT(slot == IDX_NOT_FOUND || (slot >= 0 && slot < offset_entries));
    slot = idx_offset_lookup_upper(bytes, offset_entries, (int32_t)target);
    KS_ASSERT(slot == IDX_NOT_FOUND || (slot >= 0 && slot < offset_entries));
    if (idx_offset_is_sorted(bytes, offset_entries))
        KS_ASSERT(idx_offset_lookup(bytes, offset_entries, (int32_t)target) ==
                  fuzz_linear_offset(bytes, offset_entries, (int32_t)target));
    uint32_t time_entries = (uint32_t)(n / IDX_TIME_ENTRY_SIZE);
    (void)idx_time_check(bytes, n, &entries);
    slot = idx_time_lookup(bytes, time_entries, target);
    KS_ASSERT(slot == IDX_NOT_FOUND || (slot >= 0 && slot < time_entries));
    if (idx_time_is_sorted(bytes, time_entries))
        KS_ASSERT(slot == fuzz_linear_time(bytes, time_entries, target));
    return 0;
}
