/*
 * offsets_rec_test.c: __consumer_offsets keys and values, golden bytes both ways
 * (OffsetCommitKey v1, GroupMetadataKey v2, OffsetCommitValue v1/v3/v4,
 * GroupMetadataValue v3/v4), round trips at every value version, newer versions,
 * the dump-log description (tombstones included), Java String.hashCode and the
 * partition of a group (values from Java's arithmetic: "polygenelubricants" hashes to
 * Integer.MIN_VALUE, so Utils.abs gives 0), and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "system/group/jstring.h"
#include "system/group/offsets_rec.h"

static void expect_bytes(const struct wire_writer *w, const uint8_t *golden, uint32_t size)
{
    assert_int_equal(w->err, KS_OK);
    assert_int_equal(w->size_bytes, size);
    assert_memory_equal(w->bytes, golden, size);
}

/* OffsetCommitKey v1: group "g", topic "t", partition 0. */
static const uint8_t golden_commit_key[] = {0x00, 0x01, 0x00, 0x01, 'g',  0x00,
                                            0x01, 't',  0x00, 0x00, 0x00, 0x00};
/* GroupMetadataKey v2: group "g". */
static const uint8_t golden_group_key[] = {0x00, 0x02, 0x00, 0x01, 'g'};
/* OffsetCommitValue v3: offset 42, leader epoch 5, metadata "", commit time 1000. */
static const uint8_t golden_commit_v3[] = {0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                           0x00, 0x2a, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00,
                                           0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8};
/* OffsetCommitValue v1: offset 42, metadata "", commit time 1000, expire time 2000. */
static const uint8_t golden_commit_v1[] = {
    0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0xd0};
/* OffsetCommitValue v4 (flexible): offset 42, epoch 5, compact "", 1000, no tags. */
static const uint8_t golden_commit_v4[] = {0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                           0x00, 0x2a, 0x00, 0x00, 0x00, 0x05, 0x01, 0x00,
                                           0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8, 0x00};
/* GroupMetadataValue v3: "consumer", generation 1, "range", leader "m1", state time 1000,
 * [("m1", null instance, "c", "/h", rebalance 300000, session 10000, aa, bb)]. */
static const uint8_t golden_group_v3[] = {
    0x00, 0x03, 0x00, 0x08, 'c',  'o',  'n',  's',  'u',  'm',  'e',  'r',  0x00, 0x00,
    0x00, 0x01, 0x00, 0x05, 'r',  'a',  'n',  'g',  'e',  0x00, 0x02, 'm',  '1',  0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 'm',
    '1',  0xff, 0xff, 0x00, 0x01, 'c',  0x00, 0x02, '/',  'h',  0x00, 0x04, 0x93, 0xe0,
    0x00, 0x00, 0x27, 0x10, 0x00, 0x00, 0x00, 0x01, 0xaa, 0x00, 0x00, 0x00, 0x01, 0xbb};
/* The same at v4 (flexible). */
static const uint8_t golden_group_v4[] = {
    0x00, 0x04, 0x09, 'c',  'o',  'n',  's',  'u',  'm',  'e',  'r',  0x00, 0x00, 0x00,
    0x01, 0x06, 'r',  'a',  'n',  'g',  'e',  0x03, 'm',  '1',  0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x03, 0xe8, 0x02, 0x03, 'm',  '1',  0x00, 0x02, 'c',  0x03, '/',  'h',
    0x00, 0x04, 0x93, 0xe0, 0x00, 0x00, 0x27, 0x10, 0x02, 0xaa, 0x02, 0xbb, 0x00, 0x00};

static const uint8_t byte_aa[] = {0xaa};
static const uint8_t byte_bb[] = {0xbb};

static void fixture_group(struct offrec_group_metadata_value *v, struct offrec_member *m,
                          int16_t version)
{
    *m = (struct offrec_member){wire_string_from("m1"),
                                wire_string_null(),
                                wire_string_from("c"),
                                wire_string_from("/h"),
                                version >= 1 ? 300000 : -1,
                                10000,
                                {byte_aa, 1},
                                {byte_bb, 1}};
    *v = (struct offrec_group_metadata_value){version,
                                              wire_string_from("consumer"),
                                              1,
                                              wire_string_from("range"),
                                              wire_string_from("m1"),
                                              version >= 2 ? 1000 : -1,
                                              1,
                                              m};
}

static void test_keys_golden(void **state)
{
    struct offrec_key k = {OFFREC_KEY_OFFSET_COMMIT, wire_string_from("g"), wire_string_from("t"),
                           0};
    struct offrec_key got;
    struct wire_writer w;
    wire_writer_init(&w);
    offrec_key_encode(&w, &k);
    expect_bytes(&w, golden_commit_key, sizeof(golden_commit_key));
    assert_int_equal(offrec_key_decode(golden_commit_key, sizeof(golden_commit_key), &got), KS_OK);
    assert_true(wire_string_equal_cstr(got.topic, "t"));
    k = (struct offrec_key){OFFREC_KEY_GROUP_METADATA, wire_string_from("g"), wire_string_null(),
                            0};
    wire_writer_reset(&w);
    offrec_key_encode(&w, &k);
    expect_bytes(&w, golden_group_key, sizeof(golden_group_key));
    assert_int_equal(offrec_key_decode(golden_group_key, sizeof(golden_group_key), &got), KS_OK);
    assert_int_equal(got.version, 2);
    for (uint32_t cut = 0; cut < sizeof(golden_commit_key); cut++)
        assert_int_not_equal(offrec_key_decode(golden_commit_key, cut, &got), KS_OK);
    static const uint8_t kip848_key[] = {0x00, 0x03, 0x00, 0x01, 'g'};
    assert_int_equal(offrec_key_decode(kip848_key, sizeof(kip848_key), &got),
                     KS_ERR_UNSUPPORTED_VERSION);
    wire_writer_free(&w);
}

static void test_offset_commit_values(void **state)
{
    static const struct {
        int16_t version;
        const uint8_t *golden;
        uint32_t size;
    } cases[] = {
        {3, golden_commit_v3, sizeof(golden_commit_v3)},
        {1, golden_commit_v1, sizeof(golden_commit_v1)},
        {4, golden_commit_v4, sizeof(golden_commit_v4)},
    };
    struct wire_writer w;
    wire_writer_init(&w);
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        int16_t v = cases[i].version;
        struct offrec_offset_commit_value value = {
            v, 42, v >= 3 ? 5 : -1, wire_string_from(""), 1000, v == 1 ? 2000 : -1};
        struct offrec_offset_commit_value got;
        wire_writer_reset(&w);
        offrec_offset_commit_value_encode(&w, &value);
        expect_bytes(&w, cases[i].golden, cases[i].size);
        assert_int_equal(offrec_offset_commit_value_decode(cases[i].golden, cases[i].size, &got),
                         KS_OK);
        assert_int_equal(got.offset, 42);
        assert_int_equal(got.leader_epoch, value.leader_epoch);
        assert_int_equal(got.expire_timestamp, value.expire_timestamp);
        for (uint32_t cut = 0; cut < cases[i].size; cut++)
            assert_int_not_equal(offrec_offset_commit_value_decode(cases[i].golden, cut, &got),
                                 KS_OK);
    }
    for (int16_t v = 0; v <= OFFREC_VALUE_VERSION_MAX; v++) {
        struct offrec_offset_commit_value value = {v, 7, -1, wire_string_from("m"), 1, -1}, got;
        wire_writer_reset(&w);
        offrec_offset_commit_value_encode(&w, &value);
        assert_int_equal(offrec_offset_commit_value_decode(w.bytes, w.size_bytes, &got), KS_OK);
        assert_int_equal(got.version, v);
        assert_true(wire_string_equal_cstr(got.metadata, "m"));
    }
    wire_writer_free(&w);
}

static void test_group_metadata_values(void **state)
{
    struct offrec_group_metadata_value value, got;
    struct offrec_member member;
    struct wire_writer w;
    wire_writer_init(&w);
    fixture_group(&value, &member, 3);
    offrec_group_metadata_value_encode(&w, &value);
    expect_bytes(&w, golden_group_v3, sizeof(golden_group_v3));
    fixture_group(&value, &member, 4);
    wire_writer_reset(&w);
    offrec_group_metadata_value_encode(&w, &value);
    expect_bytes(&w, golden_group_v4, sizeof(golden_group_v4));
    assert_int_equal(
        offrec_group_metadata_value_decode(golden_group_v4, sizeof(golden_group_v4), &got), KS_OK);
    assert_int_equal(got.members[0].rebalance_timeout_ms, 300000);
    assert_true(wire_string_equal_cstr(got.leader, "m1"));
    offrec_group_metadata_value_free(&got);
    for (int16_t v = 0; v <= OFFREC_VALUE_VERSION_MAX; v++) {
        fixture_group(&value, &member, v);
        wire_writer_reset(&w);
        offrec_group_metadata_value_encode(&w, &value);
        assert_int_equal(offrec_group_metadata_value_decode(w.bytes, w.size_bytes, &got), KS_OK);
        assert_int_equal(got.current_state_timestamp, v >= 2 ? 1000 : -1);
        assert_int_equal(got.members[0].rebalance_timeout_ms, v >= 1 ? 300000 : -1);
        offrec_group_metadata_value_free(&got);
        for (uint32_t cut = 0; cut < w.size_bytes; cut++)
            assert_int_not_equal(offrec_group_metadata_value_decode(w.bytes, cut, &got), KS_OK);
    }
    /* A version newer than ours reads as v4 (KIP-915). */
    uint8_t v5[sizeof(golden_group_v4)];
    memcpy(v5, golden_group_v4, sizeof(v5));
    v5[1] = 5;
    assert_int_equal(offrec_group_metadata_value_decode(v5, sizeof(v5), &got), KS_OK);
    assert_int_equal(got.version, 5);
    offrec_group_metadata_value_free(&got);
    wire_writer_free(&w);
}

static void test_describe(void **state)
{
    char buf[512];
    uint32_t n = offrec_describe(golden_commit_key, sizeof(golden_commit_key), golden_commit_v3,
                                 sizeof(golden_commit_v3), buf, sizeof(buf));
    assert_string_equal(buf, "key: {\"type\":\"offset_commit\",\"version\":1,\"group\":\"g\","
                             "\"topic\":\"t\",\"partition\":0} value: {\"version\":3,"
                             "\"offset\":42,\"leaderEpoch\":5,\"metadata\":\"\","
                             "\"commitTimestamp\":1000}");
    assert_int_equal(n, strlen(buf));
    offrec_describe(golden_group_key, sizeof(golden_group_key), NULL, 0, buf, sizeof(buf));
    assert_string_equal(buf, "key: {\"type\":\"group_metadata\",\"version\":2,\"group\":\"g\"} "
                             "value: <DELETE>");
    n = offrec_describe(golden_group_key, sizeof(golden_group_key), golden_group_v3,
                        sizeof(golden_group_v3), buf, sizeof(buf));
    assert_non_null(strstr(buf, "\"protocol\":\"range\",\"leader\":\"m1\""));
    assert_non_null(strstr(buf, "\"sessionTimeout\":10000"));
    /* Truncated output still terminates and reports the full length. */
    char small[16];
    assert_int_equal(offrec_describe(golden_group_key, sizeof(golden_group_key), golden_group_v3,
                                     sizeof(golden_group_v3), small, sizeof(small)),
                     n);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    offrec_describe(golden_group_key, 3, NULL, 0, buf, sizeof(buf));
    assert_string_equal(buf, "key: <undecodable: TRUNCATED>");
    offrec_describe(golden_commit_key, sizeof(golden_commit_key), golden_commit_v3, 5, buf,
                    sizeof(buf));
    assert_non_null(strstr(buf, "value: <undecodable:"));
}

/* Expected values computed with Java's int arithmetic over UTF-16 code units. */
static const struct {
    const char *group_id;
    int32_t hash_expected;
    int32_t partition_expected; /* of 50 */
} hash_cases[] = {
    {"hello", 99162322, 22},
    {"polygenelubricants", INT32_MIN, 0},
    {"my-group", -1906497762, 12},
    {"console-consumer-12345", 158455506, 6},
    {"", 0, 0},
    {"g", 103, 3},
    {"gr\xc3\xbcppe", -1233264812, 12},  /* "grüppe": one unit for ü */
    {"\xe7\xbb\x84", 32452, 2},          /* U+7EC4 */
    {"\xf0\x9f\x98\x80x", 54959989, 39}, /* U+1F600 = two surrogates, then "x" */
    {"test-group", 627841412, 12},
};

static void test_partition_for_group(void **state)
{
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(hash_cases); i++) {
        struct wire_string s = wire_string_from(hash_cases[i].group_id);
        assert_int_equal(jstring_hash(s), hash_cases[i].hash_expected);
        assert_int_equal(offrec_partition_for_group(s, OFFREC_PARTITION_COUNT_DEFAULT),
                         hash_cases[i].partition_expected);
    }
    assert_int_equal(offrec_partition_for_group(wire_string_from("hello"), 1), 0);
    /* Malformed UTF-8 hashes as U+FFFD per bad byte, without reading past the end. */
    struct wire_string bad = {"\xff\xc3", 2};
    assert_int_equal(jstring_hash(bad), 31 * 0xfffd + 0xfffd);
}

static void test_java_compare_order(void **state)
{
    /* Java compares UTF-16 units: U+1F600 (D83D DE00) sorts below U+FF5E. */
    struct wire_string emoji = wire_string_from("\xf0\x9f\x98\x80");
    struct wire_string fullwidth = wire_string_from("\xef\xbd\x9e");
    assert_true(jstring_compare(emoji, fullwidth) < 0);
    assert_true(memcmp(emoji.chars, fullwidth.chars, 3) > 0); /* bytes would disagree */
    assert_true(jstring_compare(wire_string_from("a"), wire_string_from("ab")) < 0);
    assert_true(jstring_compare(wire_string_from("b"), wire_string_from("ab")) > 0);
    assert_int_equal(jstring_compare(wire_string_from("x"), wire_string_from("x")), 0);
}

static void test_garbage(void **state)
{
    uint64_t x = 0x853c49e6748fea9bULL;
    char buf[256];
    for (uint32_t round = 0; round < 20000; round++) {
        uint8_t bytes[sizeof(golden_group_v4)];
        const uint8_t *src = round % 2 ? golden_group_v4 : golden_group_v3;
        memcpy(bytes, src, sizeof(bytes));
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        bytes[x % sizeof(bytes)] = (uint8_t)(x >> 32);
        uint32_t size = (uint32_t)((x >> 40) % (sizeof(bytes) + 1));
        uint8_t *exact = malloc(size + 1); /* exact size, so ASan sees overreads */
        memcpy(exact, bytes, size);
        offrec_describe(golden_group_key, sizeof(golden_group_key), exact, size, buf, sizeof(buf));
        offrec_describe(exact, size, exact, size, buf, sizeof(buf));
        jstring_hash((struct wire_string){(const char *)exact, (int32_t)size});
        free(exact);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_golden),
        cmocka_unit_test(test_offset_commit_values),
        cmocka_unit_test(test_group_metadata_values),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_partition_for_group),
        cmocka_unit_test(test_java_compare_order),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
