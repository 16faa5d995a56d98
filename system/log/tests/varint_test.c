/*
 * varint_test.c: zig-zag and unsigned varints, golden bytes both ways, the limits, and
 * bad input (truncated, overlong, overflowing). Kafka: ByteUtils.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "system/log/varint.h"

#define VARINT_TEST_BYTES_MAX 11

struct golden {
    const char *name;
    int64_t value;
    uint8_t bytes[VARINT_TEST_BYTES_MAX];
    uint32_t size;
};

/* Signed 32-bit (zig-zag), kafka-internals.md 2.3. */
static const struct golden golden_i32[] = {
    {"zero", 0, {0x00}, 1},
    {"minus one", -1, {0x01}, 1},
    {"one", 1, {0x02}, 1},
    {"63", 63, {0x7e}, 1},
    {"-64", -64, {0x7f}, 1},
    {"64", 64, {0x80, 0x01}, 2},
    {"300", 300, {0xd8, 0x04}, 2},
    {"int32 max", INT32_MAX, {0xfe, 0xff, 0xff, 0xff, 0x0f}, 5},
    {"int32 min", INT32_MIN, {0xff, 0xff, 0xff, 0xff, 0x0f}, 5},
};

static const struct golden golden_i64[] = {
    {"zero", 0, {0x00}, 1},
    {"minus one", -1, {0x01}, 1},
    {"300", 300, {0xd8, 0x04}, 2},
    {"2^31", 2147483648LL, {0x80, 0x80, 0x80, 0x80, 0x10}, 5},
    {"int64 max", INT64_MAX, {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10},
    {"int64 min", INT64_MIN, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10},
};

static const struct golden golden_u32[] = {
    {"zero", 0, {0x00}, 1},
    {"127", 127, {0x7f}, 1},
    {"128", 128, {0x80, 0x01}, 2},
    {"16384", 16384, {0x80, 0x80, 0x01}, 3},
    {"uint32 max", UINT32_MAX, {0xff, 0xff, 0xff, 0xff, 0x0f}, 5},
};

static void test_golden_i32(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(golden_i32) / sizeof(golden_i32[0]); i++) {
        const struct golden *g = &golden_i32[i];
        uint8_t buf[VARINT_TEST_BYTES_MAX] = {0};
        assert_int_equal(varint_put_i32(buf, (int32_t)g->value), g->size);
        assert_int_equal(varint_size_i32((int32_t)g->value), g->size);
        assert_memory_equal(buf, g->bytes, g->size);
        int32_t v = 7;
        uint32_t used = 0;
        assert_int_equal(varint_get_i32(g->bytes, g->size, &v, &used), KS_OK);
        assert_int_equal(v, (int32_t)g->value);
        assert_int_equal(used, g->size);
    }
}

static void test_golden_i64(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(golden_i64) / sizeof(golden_i64[0]); i++) {
        const struct golden *g = &golden_i64[i];
        uint8_t buf[VARINT_TEST_BYTES_MAX] = {0};
        assert_int_equal(varint_put_i64(buf, g->value), g->size);
        assert_int_equal(varint_size_i64(g->value), g->size);
        assert_memory_equal(buf, g->bytes, g->size);
        int64_t v = 7;
        uint32_t used = 0;
        assert_int_equal(varint_get_i64(g->bytes, g->size, &v, &used), KS_OK);
        assert_true(v == g->value);
        assert_int_equal(used, g->size);
    }
}

static void test_golden_u32(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(golden_u32) / sizeof(golden_u32[0]); i++) {
        const struct golden *g = &golden_u32[i];
        uint8_t buf[VARINT_TEST_BYTES_MAX] = {0};
        assert_int_equal(varint_put_u32(buf, (uint32_t)g->value), g->size);
        assert_memory_equal(buf, g->bytes, g->size);
        uint32_t v = 7, used = 0;
        assert_int_equal(varint_get_u32(g->bytes, g->size, &v, &used), KS_OK);
        assert_int_equal(v, (uint32_t)g->value);
        uint64_t v64 = 0;
        assert_int_equal(varint_get_u64(g->bytes, g->size, &v64, &used), KS_OK);
        assert_true(v64 == (uint64_t)g->value);
    }
}

struct bad {
    const char *name;
    uint8_t bytes[12];
    uint32_t size;
    enum ks_err err32; /* from varint_get_u32 */
    enum ks_err err64; /* from varint_get_u64 */
};

static const struct bad bad_inputs[] = {
    {"empty", {0}, 0, KS_ERR_TRUNCATED, KS_ERR_TRUNCATED},
    {"continuation then end", {0x80}, 1, KS_ERR_TRUNCATED, KS_ERR_TRUNCATED},
    {"four continuations", {0xff, 0xff, 0xff, 0xff}, 4, KS_ERR_TRUNCATED, KS_ERR_TRUNCATED},
    {"33 bits", {0xff, 0xff, 0xff, 0xff, 0x1f}, 5, KS_ERR_INVALID, KS_OK},
    {"six bytes", {0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 6, KS_ERR_INVALID, KS_OK},
    {"65 bits",
     {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02},
     10,
     KS_ERR_INVALID,
     KS_ERR_INVALID},
    {"eleven bytes",
     {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00},
     11,
     KS_ERR_INVALID,
     KS_ERR_INVALID},
    {"nine continuations, truncated",
     {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80},
     9,
     KS_ERR_INVALID,
     KS_ERR_TRUNCATED},
};

static void test_bad_input(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
        const struct bad *b = &bad_inputs[i];
        uint32_t v = 99, used = 99;
        uint64_t v64 = 99;
        enum ks_err err = varint_get_u32(b->bytes, b->size, &v, &used);
        if (err != b->err32)
            fail_msg("%s: u32 got %d", b->name, err);
        if (err != KS_OK)
            assert_int_equal(v, 99);
        err = varint_get_u64(b->bytes, b->size, &v64, &used);
        if (err != b->err64)
            fail_msg("%s: u64 got %d", b->name, err);
    }
}

static void test_non_minimal_accepted(void **state)
{
    (void)state;
    static const uint8_t zero_in_two[] = {0x80, 0x00};
    int32_t v = 5;
    uint32_t used = 0;
    assert_int_equal(varint_get_i32(zero_in_two, sizeof(zero_in_two), &v, &used), KS_OK);
    assert_int_equal(v, 0);
    assert_int_equal(used, 2);
}

static void test_round_trip_powers(void **state)
{
    (void)state;
    for (int bit = 0; bit < 64; bit++) {
        int64_t values[] = {(int64_t)(1ull << bit), (int64_t)(0 - (1ull << bit)),
                            (int64_t)((1ull << bit) - 1)};
        for (size_t k = 0; k < 3; k++) {
            uint8_t buf[VARINT64_SIZE_MAX];
            uint32_t n = varint_put_i64(buf, values[k]);
            int64_t back = 0;
            uint32_t used = 0;
            assert_int_equal(varint_get_i64(buf, n, &back, &used), KS_OK);
            assert_true(back == values[k]);
            assert_int_equal(used, n);
            /* every strict prefix is truncated */
            for (uint32_t cut = 0; cut < n; cut++)
                assert_int_equal(varint_get_i64(buf, cut, &back, &used), KS_ERR_TRUNCATED);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_i32),           cmocka_unit_test(test_golden_i64),
        cmocka_unit_test(test_golden_u32),           cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_non_minimal_accepted), cmocka_unit_test(test_round_trip_powers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
