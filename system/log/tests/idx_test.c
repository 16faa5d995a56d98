/*
 * idx_test.c: offset and time index entries, golden bytes both ways, Kafka's sanity
 * checks, and the binary searches against a linear reference (including over junk).
 * Kafka: OffsetIndex, TimeIndex, AbstractIndex.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "system/log/idx.h"

#define IDX_TEST_ENTRIES_MAX 40u

/* Offset entry (relative 3, position 4096) and time entry (1700000000000, relative 3). */
static const uint8_t golden_offset_entry[] = {0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x10, 0x00};
static const uint8_t golden_time_entry[] = {0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5,
                                            0x68, 0x00, 0x00, 0x00, 0x00, 0x03};

static void test_golden_entries(void **state)
{
    (void)state;
    uint8_t buf[IDX_TIME_ENTRY_SIZE];
    struct idx_offset_entry o = {3, 4096}, o2;
    idx_offset_entry_store(buf, &o);
    assert_memory_equal(buf, golden_offset_entry, IDX_OFFSET_ENTRY_SIZE);
    idx_offset_entry_load(golden_offset_entry, &o2);
    assert_int_equal(o2.relative_offset, 3);
    assert_int_equal(o2.position, 4096);
    struct idx_time_entry t = {1700000000000LL, 3}, t2;
    idx_time_entry_store(buf, &t);
    assert_memory_equal(buf, golden_time_entry, IDX_TIME_ENTRY_SIZE);
    idx_time_entry_load(golden_time_entry, &t2);
    assert_true(t2.timestamp == 1700000000000LL);
    assert_int_equal(t2.relative_offset, 3);
}

/* An offset index with keys 10, 20, ... and positions 100 times that. */
static uint32_t make_offset_index(uint8_t *buf, uint32_t entries)
{
    for (uint32_t i = 0; i < entries; i++) {
        struct idx_offset_entry e = {(int32_t)(10 * (i + 1)), (int32_t)(1000 * (i + 1))};
        idx_offset_entry_store(buf + i * IDX_OFFSET_ENTRY_SIZE, &e);
    }
    return entries;
}

static int64_t reference_lower(const uint8_t *buf, uint32_t entries, int64_t target)
{
    int64_t slot = IDX_NOT_FOUND;
    for (uint32_t i = 0; i < entries; i++) {
        struct idx_offset_entry e;
        idx_offset_entry_load(buf + i * IDX_OFFSET_ENTRY_SIZE, &e);
        if (e.relative_offset <= target)
            slot = i;
    }
    return slot;
}

static void test_offset_lookup_table(void **state)
{
    (void)state;
    uint8_t buf[8 * IDX_OFFSET_ENTRY_SIZE];
    uint32_t n = make_offset_index(buf, 8); /* keys 10..80 */
    static const struct {
        const char *name;
        int32_t target;
        int64_t slot_lower;
        int64_t slot_upper;
    } cases[] = {
        {"before first entry", 5, IDX_NOT_FOUND, 0},
        {"exact first", 10, 0, 0},
        {"between", 25, 1, 2},
        {"exact hit", 30, 2, 2},
        {"exact last", 80, 7, 7},
        {"past last entry", 999, 7, IDX_NOT_FOUND},
        {"negative", -1, IDX_NOT_FOUND, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (idx_offset_lookup(buf, n, cases[i].target) != cases[i].slot_lower)
            fail_msg("%s: lower", cases[i].name);
        if (idx_offset_lookup_upper(buf, n, cases[i].target) != cases[i].slot_upper)
            fail_msg("%s: upper", cases[i].name);
    }
    assert_int_equal(idx_offset_lookup(buf, 0, 10), IDX_NOT_FOUND);
    assert_int_equal(idx_offset_lookup(NULL, 0, 10), IDX_NOT_FOUND);
}

static void test_lookup_every_size_and_target(void **state)
{
    (void)state;
    uint8_t buf[IDX_TEST_ENTRIES_MAX * IDX_OFFSET_ENTRY_SIZE];
    for (uint32_t n = 0; n <= IDX_TEST_ENTRIES_MAX; n++) {
        make_offset_index(buf, n);
        for (int32_t target = -2; target <= (int32_t)(10 * n + 12); target++)
            assert_int_equal(idx_offset_lookup(buf, n, target), reference_lower(buf, n, target));
    }
}

static void test_time_lookup(void **state)
{
    (void)state;
    uint8_t buf[4 * IDX_TIME_ENTRY_SIZE];
    static const int64_t stamps[] = {1000, 2000, 2500, 9000};
    for (uint32_t i = 0; i < 4; i++) {
        struct idx_time_entry e = {stamps[i], (int32_t)(i * 7)};
        idx_time_entry_store(buf + i * IDX_TIME_ENTRY_SIZE, &e);
    }
    assert_int_equal(idx_time_lookup(buf, 4, 999), IDX_NOT_FOUND);
    assert_int_equal(idx_time_lookup(buf, 4, 1000), 0);
    assert_int_equal(idx_time_lookup(buf, 4, 2499), 1);
    assert_int_equal(idx_time_lookup(buf, 4, INT64_MAX), 3);
    assert_true(idx_time_is_sorted(buf, 4));
    uint32_t entries = 0;
    assert_int_equal(idx_time_check(buf, sizeof(buf), &entries), KS_OK);
    assert_int_equal(entries, 4);
}

static void test_sanity_checks(void **state)
{
    (void)state;
    uint8_t buf[4 * IDX_TIME_ENTRY_SIZE];
    memset(buf, 0, sizeof(buf));
    uint32_t entries = 99;
    /* an untrimmed index after a crash: all zero entries pass, as in Kafka */
    assert_int_equal(idx_offset_check(buf, 4 * IDX_OFFSET_ENTRY_SIZE, &entries), KS_OK);
    assert_int_equal(entries, 4);
    assert_false(idx_offset_is_sorted(buf, 4));
    assert_int_equal(idx_offset_check(buf, 4 * IDX_OFFSET_ENTRY_SIZE + 1, &entries),
                     KS_ERR_CORRUPT_MESSAGE);
    assert_int_equal(idx_offset_check(NULL, 0, &entries), KS_OK);
    assert_int_equal(entries, 0);
    ks_be32_store(buf + 3 * IDX_OFFSET_ENTRY_SIZE, 0xffffffffu); /* last offset below base */
    assert_int_equal(idx_offset_check(buf, 4 * IDX_OFFSET_ENTRY_SIZE, &entries),
                     KS_ERR_CORRUPT_MESSAGE);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(idx_time_check(buf, sizeof(buf) - 1, &entries), KS_ERR_CORRUPT_MESSAGE);
    ks_be64_store(buf, 5000); /* first timestamp above the last */
    assert_int_equal(idx_time_check(buf, sizeof(buf), &entries), KS_ERR_CORRUPT_MESSAGE);
    memset(buf, 0, sizeof(buf));
    ks_be32_store(buf + 3 * IDX_TIME_ENTRY_SIZE + 8, 0x80000000u); /* offset below base */
    assert_int_equal(idx_time_check(buf, sizeof(buf), &entries), KS_ERR_CORRUPT_MESSAGE);
}

static void test_search_over_junk_stays_in_bounds(void **state)
{
    (void)state;
    uint8_t buf[IDX_TEST_ENTRIES_MAX * IDX_TIME_ENTRY_SIZE];
    uint32_t x = 7;
    for (uint32_t round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof(buf); i++) {
            x = x * 1103515245u + 12345u;
            buf[i] = (uint8_t)(x >> 16);
        }
        uint32_t n = round % (IDX_TEST_ENTRIES_MAX + 1);
        int64_t s = idx_offset_lookup(buf, n, (int32_t)x);
        assert_true(s == IDX_NOT_FOUND || (s >= 0 && s < n));
        s = idx_offset_lookup_upper(buf, n, (int32_t)x);
        assert_true(s == IDX_NOT_FOUND || (s >= 0 && s < n));
        s = idx_time_lookup(buf, n, (int64_t)x << 20);
        assert_true(s == IDX_NOT_FOUND || (s >= 0 && s < n));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_entries),
        cmocka_unit_test(test_offset_lookup_table),
        cmocka_unit_test(test_lookup_every_size_and_target),
        cmocka_unit_test(test_time_lookup),
        cmocka_unit_test(test_sanity_checks),
        cmocka_unit_test(test_search_over_junk_stays_in_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
