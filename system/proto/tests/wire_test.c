/*
 * wire_test.c: every wire primitive written then read back, golden bytes for the
 * encodings Kafka fixes (varints, zig-zag, compact lengths), and bad input: truncated
 * fields, negative lengths, overlong varints, huge counts, sticky errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "system/proto/wire.h"

/* Checks that w holds exactly the expected bytes. */
static void expect_bytes(const struct wire_writer *w, const uint8_t *expected, uint32_t size)
{
    assert_int_equal(w->err, KS_OK);
    assert_int_equal(w->size_bytes, size);
    assert_memory_equal(w->bytes, expected, size);
}

static void test_fixed_width_round_trip(void **state)
{
    struct wire_writer w;
    struct wire_reader r;
    wire_writer_init(&w);
    wire_write_int8(&w, -2);
    wire_write_int16(&w, -300);
    wire_write_int32(&w, INT32_MIN);
    wire_write_int64(&w, INT64_MIN + 7);
    wire_write_uint16(&w, 65535);
    wire_write_uint32(&w, 4000000000u);
    wire_write_bool(&w, true);
    wire_write_bool(&w, false);
    wire_write_float64(&w, 1.5);
    static const uint8_t golden[] = {
        0xfe, 0xfe, 0xd4, 0x80, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x07, 0xff, 0xff, 0xee, 0x6b, 0x28, 0x00, 0x01,
        0x00, 0x3f, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    expect_bytes(&w, golden, sizeof(golden));
    wire_reader_init(&r, w.bytes, w.size_bytes);
    assert_int_equal(wire_read_int8(&r), -2);
    assert_int_equal(wire_read_int16(&r), -300);
    assert_int_equal(wire_read_int32(&r), INT32_MIN);
    assert_true(wire_read_int64(&r) == INT64_MIN + 7);
    assert_int_equal(wire_read_uint16(&r), 65535);
    assert_int_equal(wire_read_uint32(&r), 4000000000u);
    assert_true(wire_read_bool(&r));
    assert_false(wire_read_bool(&r));
    assert_true(wire_read_float64(&r) == 1.5);
    assert_int_equal(wire_reader_finish(&r), KS_OK);
    wire_writer_free(&w);
}

static const struct {
    const char *name;
    uint32_t value;
    uint8_t bytes[5];
    uint32_t size;
} uvarint_cases[] = {
    {"zero", 0, {0x00}, 1},
    {"one byte max", 127, {0x7f}, 1},
    {"two bytes min", 128, {0x80, 0x01}, 2},
    {"300", 300, {0xac, 0x02}, 2},
    {"uint32 max", UINT32_MAX, {0xff, 0xff, 0xff, 0xff, 0x0f}, 5},
};

static void test_uvarint_golden(void **state)
{
    for (size_t i = 0; i < KS_ARRAY_COUNT(uvarint_cases); i++) {
        struct wire_writer w;
        struct wire_reader r;
        wire_writer_init(&w);
        wire_write_uvarint(&w, uvarint_cases[i].value);
        expect_bytes(&w, uvarint_cases[i].bytes, uvarint_cases[i].size);
        wire_reader_init(&r, w.bytes, w.size_bytes);
        assert_int_equal(wire_read_uvarint(&r), uvarint_cases[i].value);
        assert_int_equal(wire_reader_finish(&r), KS_OK);
        wire_writer_free(&w);
    }
}

static const struct {
    int64_t value;
    uint8_t bytes[10];
    uint32_t size;
} varlong_cases[] = {
    {0, {0x00}, 1},
    {-1, {0x01}, 1},
    {1, {0x02}, 1},
    {-64, {0x7f}, 1},
    {64, {0x80, 0x01}, 2},
    {INT64_MAX, {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10},
    {INT64_MIN, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 10},
};

static void test_zigzag_golden(void **state)
{
    for (size_t i = 0; i < KS_ARRAY_COUNT(varlong_cases); i++) {
        struct wire_writer w;
        struct wire_reader r;
        wire_writer_init(&w);
        wire_write_varlong(&w, varlong_cases[i].value);
        expect_bytes(&w, varlong_cases[i].bytes, varlong_cases[i].size);
        wire_reader_init(&r, w.bytes, w.size_bytes);
        assert_true(wire_read_varlong(&r) == varlong_cases[i].value);
        assert_int_equal(wire_reader_finish(&r), KS_OK);
        wire_writer_free(&w);
    }
    static const int32_t ints[] = {0, -1, 1, 63, -64, 64, INT32_MAX, INT32_MIN};
    for (size_t i = 0; i < KS_ARRAY_COUNT(ints); i++) {
        struct wire_writer w;
        struct wire_reader r;
        wire_writer_init(&w);
        wire_write_varint(&w, ints[i]);
        wire_reader_init(&r, w.bytes, w.size_bytes);
        assert_int_equal(wire_read_varint(&r), ints[i]);
        assert_int_equal(wire_reader_finish(&r), KS_OK);
        wire_writer_free(&w);
    }
    uint8_t max[] = {0xff, 0xff, 0xff, 0xff, 0x0f}; /* zig-zag of INT32_MIN */
    struct wire_reader r;
    wire_reader_init(&r, max, sizeof(max));
    assert_int_equal(wire_read_varint(&r), INT32_MIN);
}

static void test_uuid_round_trip(void **state)
{
    struct wire_uuid id, back;
    struct wire_writer w;
    struct wire_reader r;
    for (uint32_t i = 0; i < WIRE_UUID_SIZE; i++)
        id.bytes[i] = (uint8_t)(i * 17 + 1);
    wire_writer_init(&w);
    wire_write_uuid(&w, &id);
    expect_bytes(&w, id.bytes, WIRE_UUID_SIZE);
    wire_reader_init(&r, w.bytes, w.size_bytes);
    back = wire_read_uuid(&r);
    assert_memory_equal(back.bytes, id.bytes, WIRE_UUID_SIZE);
    assert_false(wire_uuid_is_zero(&back));
    memset(&back, 0, sizeof(back));
    assert_true(wire_uuid_is_zero(&back));
    wire_writer_free(&w);
}

static void test_strings_golden(void **state)
{
    struct wire_writer w;
    struct wire_reader r;
    wire_writer_init(&w);
    wire_write_string(&w, wire_string_from("ab"));
    wire_write_nullable_string(&w, wire_string_null());
    wire_write_compact_string(&w, wire_string_from("xyz"));
    wire_write_compact_nullable_string(&w, wire_string_null());
    wire_write_compact_string(&w, wire_string_from(""));
    wire_write_flex_string(&w, false, wire_string_from(""));
    static const uint8_t golden[] = {
        0x00, 0x02, 'a', 'b', 0xff, 0xff, 0x04, 'x', 'y', 'z', 0x00, 0x01, 0x00, 0x00,
    };
    expect_bytes(&w, golden, sizeof(golden));
    wire_reader_init(&r, w.bytes, w.size_bytes);
    assert_true(wire_string_equal_cstr(wire_read_string(&r), "ab"));
    assert_true(wire_string_is_null(wire_read_nullable_string(&r)));
    struct wire_string xyz = wire_read_compact_string(&r);
    assert_true(wire_string_equal_cstr(xyz, "xyz"));
    assert_ptr_equal(xyz.chars, (const char *)w.bytes + 7); /* a view, not a copy */
    assert_true(wire_string_is_null(wire_read_compact_nullable_string(&r)));
    assert_true(wire_string_equal_cstr(wire_read_flex_string(&r, true), ""));
    assert_true(wire_string_equal_cstr(wire_read_flex_nullable_string(&r, false), ""));
    assert_int_equal(wire_reader_finish(&r), KS_OK);
    wire_writer_free(&w);
}

static void test_bytes_golden(void **state)
{
    struct wire_writer w;
    struct wire_reader r;
    static const uint8_t data[] = {9, 8, 7};
    struct wire_bytes b = {data, 3};
    struct wire_bytes null_bytes = {NULL, -1};
    wire_writer_init(&w);
    wire_write_bytes(&w, b);
    wire_write_nullable_bytes(&w, null_bytes);
    wire_write_compact_bytes(&w, b);
    wire_write_compact_nullable_bytes(&w, null_bytes);
    wire_write_flex_bytes(&w, true, b);
    static const uint8_t golden[] = {
        0x00, 0x00, 0x00, 0x03, 9, 8, 7, 0xff, 0xff, 0xff, 0xff, 0x04, 9, 8, 7, 0x00, 0x04, 9, 8, 7,
    };
    expect_bytes(&w, golden, sizeof(golden));
    wire_reader_init(&r, w.bytes, w.size_bytes);
    struct wire_bytes got = wire_read_bytes(&r);
    assert_int_equal(got.size_bytes, 3);
    assert_memory_equal(got.bytes, data, 3);
    assert_int_equal(wire_read_nullable_bytes(&r).size_bytes, -1);
    assert_int_equal(wire_read_compact_bytes(&r).size_bytes, 3);
    assert_int_equal(wire_read_compact_nullable_bytes(&r).size_bytes, -1);
    assert_int_equal(wire_read_flex_bytes(&r, true).size_bytes, 3);
    assert_int_equal(wire_reader_finish(&r), KS_OK);
    wire_writer_free(&w);
}

static void test_array_counts(void **state)
{
    struct wire_writer w;
    struct wire_reader r;
    wire_writer_init(&w);
    wire_write_array_count(&w, 2);
    wire_write_nullable_array_count(&w, -1);
    wire_write_compact_array_count(&w, 2);
    wire_write_compact_nullable_array_count(&w, -1);
    wire_write_flex_array_count(&w, true, 0);
    wire_write_flex_nullable_array_count(&w, false, 0);
    wire_write_raw(&w, "\0\0\0\0", 4); /* room for the two-element arrays */
    static const uint8_t golden[] = {
        0, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0x03, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0,
    };
    expect_bytes(&w, golden, sizeof(golden));
    wire_reader_init(&r, w.bytes, w.size_bytes);
    assert_int_equal(wire_read_array_count(&r, 1), 2);
    assert_int_equal(wire_read_nullable_array_count(&r, 1), -1);
    assert_int_equal(wire_read_compact_array_count(&r, 1), 2);
    assert_int_equal(wire_read_compact_nullable_array_count(&r, 1), -1);
    assert_int_equal(wire_read_flex_array_count(&r, true, 1), 0);
    assert_int_equal(wire_read_flex_nullable_array_count(&r, false, 1), 0);
    wire_read_raw(&r, (uint8_t[4]){0}, 4);
    assert_int_equal(wire_reader_finish(&r), KS_OK);
    wire_writer_free(&w);
}

static void test_tagged_fields(void **state)
{
    struct wire_writer w, field;
    struct wire_reader r, f;
    struct wire_tags tags;
    uint32_t tag;
    wire_writer_init(&w);
    wire_writer_init(&field);
    wire_write_uvarint(&w, 2);
    wire_write_int32(&field, 77);
    wire_write_tagged_field(&w, 1, &field);
    wire_writer_reset(&field);
    wire_write_compact_string(&field, wire_string_from("hi"));
    wire_write_tagged_field(&w, 300, &field);
    static const uint8_t golden[] = {
        0x02, 0x01, 0x04, 0, 0, 0, 77, 0xac, 0x02, 0x03, 0x03, 'h', 'i',
    };
    expect_bytes(&w, golden, sizeof(golden));
    wire_reader_init(&r, w.bytes, w.size_bytes);
    wire_read_tags_begin(&r, &tags);
    assert_true(wire_read_tags_next(&r, &tags, &tag, &f));
    assert_int_equal(tag, 1);
    assert_int_equal(wire_read_int32(&f), 77);
    wire_read_tag_end(&r, &f);
    assert_true(wire_read_tags_next(&r, &tags, &tag, &f));
    assert_int_equal(tag, 300);
    assert_false(wire_read_tags_next(&r, &tags, &tag, &f));
    assert_int_equal(wire_reader_finish(&r), KS_OK);
    /* Skipping the whole section leaves nothing. */
    wire_reader_init(&r, w.bytes, w.size_bytes);
    wire_skip_tagged_fields(&r);
    assert_int_equal(wire_reader_finish(&r), KS_OK);
    wire_writer_free(&field);
    wire_writer_free(&w);
}

/* One bad input: the first read (by kind) must fail with err. */
enum read_kind {
    READ_INT32,
    READ_UVARINT,
    READ_VARLONG,
    READ_STRING,
    READ_NULLABLE_STRING,
    READ_COMPACT_STRING,
    READ_BYTES,
    READ_COMPACT_BYTES,
    READ_ARRAY,
    READ_NULLABLE_ARRAY,
    READ_COMPACT_ARRAY,
    READ_TAGS,
};

static const struct {
    const char *name;
    enum read_kind kind;
    uint8_t bytes[12];
    uint32_t size;
    enum ks_err err;
} bad_cases[] = {
    {"int32 short", READ_INT32, {0, 0, 0}, 3, KS_ERR_TRUNCATED},
    {"empty input", READ_INT32, {0}, 0, KS_ERR_TRUNCATED},
    {"uvarint ends early", READ_UVARINT, {0x80, 0x80}, 2, KS_ERR_TRUNCATED},
    {"uvarint six bytes", READ_UVARINT, {0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 6, KS_ERR_INVALID},
    {"uvarint overflows 32 bits", READ_UVARINT, {0xff, 0xff, 0xff, 0xff, 0x1f}, 5, KS_ERR_INVALID},
    {"varlong eleven bytes",
     READ_VARLONG,
     {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
     11,
     KS_ERR_INVALID},
    {"varlong overflows 64 bits",
     READ_VARLONG,
     {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03},
     10,
     KS_ERR_INVALID},
    {"string longer than input", READ_STRING, {0, 5, 'a', 'b'}, 4, KS_ERR_TRUNCATED},
    {"string null not allowed", READ_STRING, {0xff, 0xff}, 2, KS_ERR_INVALID},
    {"string length -2", READ_NULLABLE_STRING, {0xff, 0xfe}, 2, KS_ERR_INVALID},
    {"compact string null not allowed", READ_COMPACT_STRING, {0x00}, 1, KS_ERR_INVALID},
    {"compact string too long",
     READ_COMPACT_STRING,
     {0x81, 0x80, 0x02},
     3,
     KS_ERR_INVALID}, /* 32769 - 1 > 32767 */
    {"bytes negative", READ_BYTES, {0xff, 0xff, 0xff, 0xfe}, 4, KS_ERR_INVALID},
    {"bytes huge", READ_BYTES, {0x7f, 0xff, 0xff, 0xff}, 4, KS_ERR_INVALID},
    {"compact bytes truncated", READ_COMPACT_BYTES, {0x05, 1, 2}, 3, KS_ERR_TRUNCATED},
    {"array negative", READ_ARRAY, {0xff, 0xff, 0xff, 0xfe}, 4, KS_ERR_INVALID},
    {"array null not allowed", READ_ARRAY, {0xff, 0xff, 0xff, 0xff}, 4, KS_ERR_INVALID},
    {"array count huge", READ_NULLABLE_ARRAY, {0x7f, 0xff, 0xff, 0xff}, 4, KS_ERR_TOO_MANY},
    {"array count beyond input", READ_ARRAY, {0, 0, 0, 9, 1, 2, 3}, 7, KS_ERR_TRUNCATED},
    {"compact array beyond input", READ_COMPACT_ARRAY, {0x0a, 1}, 2, KS_ERR_TRUNCATED},
    {"tag count beyond input", READ_TAGS, {0x05, 0x00, 0x00}, 3, KS_ERR_TRUNCATED},
    {"tag count huge", READ_TAGS, {0xff, 0xff, 0x03}, 3, KS_ERR_TOO_MANY},
    {"tags not ascending", READ_TAGS, {0x02, 0x03, 0x00, 0x03, 0x00}, 5, KS_ERR_INVALID},
    {"tag size beyond input", READ_TAGS, {0x01, 0x00, 0x09, 0x01}, 4, KS_ERR_TRUNCATED},
};

static void bad_case_read(struct wire_reader *r, enum read_kind kind)
{
    switch (kind) {
    case READ_INT32:
        assert_int_equal(wire_read_int32(r), 0);
        break;
    case READ_UVARINT:
        assert_int_equal(wire_read_uvarint(r), 0);
        break;
    case READ_VARLONG:
        assert_true(wire_read_varlong(r) == 0);
        break;
    case READ_STRING:
        (void)wire_read_string(r);
        break;
    case READ_NULLABLE_STRING:
        (void)wire_read_nullable_string(r);
        break;
    case READ_COMPACT_STRING:
        (void)wire_read_compact_string(r);
        break;
    case READ_BYTES:
        (void)wire_read_bytes(r);
        break;
    case READ_COMPACT_BYTES:
        (void)wire_read_compact_bytes(r);
        break;
    case READ_ARRAY:
        assert_int_equal(wire_read_array_count(r, 1), 0);
        break;
    case READ_NULLABLE_ARRAY:
        assert_int_equal(wire_read_nullable_array_count(r, 1), 0);
        break;
    case READ_COMPACT_ARRAY:
        assert_int_equal(wire_read_compact_array_count(r, 1), 0);
        break;
    case READ_TAGS:
        wire_skip_tagged_fields(r);
        break;
    }
}

static void test_bad_input(void **state)
{
    for (size_t i = 0; i < KS_ARRAY_COUNT(bad_cases); i++) {
        struct wire_reader r;
        wire_reader_init(&r, bad_cases[i].bytes, bad_cases[i].size);
        bad_case_read(&r, bad_cases[i].kind);
        if (r.err != bad_cases[i].err)
            fail_msg("case '%s': err %d, expected %d", bad_cases[i].name, r.err, bad_cases[i].err);
        /* Sticky: later reads give zeroes and keep the first error. */
        assert_int_equal(wire_read_int8(&r), 0);
        assert_int_equal(wire_read_int64(&r), 0);
        assert_int_equal(wire_read_string(&r).length, 0);
        assert_int_equal(wire_reader_finish(&r), bad_cases[i].err);
    }
}

static void test_trailing_bytes_invalid(void **state)
{
    static const uint8_t bytes[] = {0, 1, 2};
    struct wire_reader r;
    wire_reader_init(&r, bytes, sizeof(bytes));
    assert_int_equal(wire_read_int16(&r), 1);
    assert_int_equal(wire_reader_finish(&r), KS_ERR_INVALID);
}

static void test_tag_field_leftover_invalid(void **state)
{
    /* One tag whose 4-byte body is read as an int16 only. */
    static const uint8_t bytes[] = {0x01, 0x00, 0x04, 0, 1, 0, 0};
    struct wire_reader r, f;
    struct wire_tags tags;
    uint32_t tag;
    wire_reader_init(&r, bytes, sizeof(bytes));
    wire_read_tags_begin(&r, &tags);
    assert_true(wire_read_tags_next(&r, &tags, &tag, &f));
    assert_int_equal(wire_read_int16(&f), 1);
    wire_read_tag_end(&r, &f);
    assert_int_equal(wire_reader_finish(&r), KS_ERR_INVALID);
}

static void test_writer_rejects(void **state)
{
    struct wire_writer w;
    char long_string[WIRE_STRING_LENGTH_MAX + 2];
    memset(long_string, 'a', sizeof(long_string) - 1);
    long_string[sizeof(long_string) - 1] = '\0';
    wire_writer_init(&w);
    wire_write_string(&w, wire_string_null());
    assert_int_equal(w.err, KS_ERR_INVALID);
    wire_writer_reset(&w);
    wire_write_compact_string(&w, wire_string_from(long_string));
    assert_int_equal(w.err, KS_ERR_INVALID);
    wire_writer_reset(&w);
    wire_write_array_count(&w, -1);
    assert_int_equal(w.err, KS_ERR_INVALID);
    wire_writer_reset(&w);
    long_string[WIRE_STRING_LENGTH_MAX] = '\0'; /* exactly the limit: fine */
    wire_write_string(&w, wire_string_from(long_string));
    assert_int_equal(w.err, KS_OK);
    assert_int_equal(w.size_bytes, 2 + WIRE_STRING_LENGTH_MAX);
    wire_writer_free(&w);
}

static void test_writer_grows_and_patches(void **state)
{
    struct wire_writer w;
    wire_writer_init(&w);
    uint32_t at = wire_write_reserve_int32(&w);
    for (int32_t i = 0; i < 10000; i++)
        wire_write_int32(&w, i);
    wire_write_patch_int32(&w, at, 40000);
    struct wire_reader r;
    wire_reader_init(&r, w.bytes, w.size_bytes);
    assert_int_equal(wire_read_int32(&r), 40000);
    for (int32_t i = 0; i < 10000; i++)
        assert_int_equal(wire_read_int32(&r), i);
    assert_int_equal(wire_reader_finish(&r), KS_OK);
    uint32_t size;
    uint8_t *bytes = wire_writer_release(&w, &size);
    assert_int_equal(size, 40004);
    assert_int_equal(w.size_bytes, 0);
    free(bytes);
    wire_writer_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_width_round_trip),
        cmocka_unit_test(test_uvarint_golden),
        cmocka_unit_test(test_zigzag_golden),
        cmocka_unit_test(test_uuid_round_trip),
        cmocka_unit_test(test_strings_golden),
        cmocka_unit_test(test_bytes_golden),
        cmocka_unit_test(test_array_counts),
        cmocka_unit_test(test_tagged_fields),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_trailing_bytes_invalid),
        cmocka_unit_test(test_tag_field_leftover_invalid),
        cmocka_unit_test(test_writer_rejects),
        cmocka_unit_test(test_writer_grows_and_patches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
