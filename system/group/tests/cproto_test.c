/*
 * cproto_test.c: ConsumerProtocolSubscription and ConsumerProtocolAssignment golden
 * bytes both ways (v0 and v3), round trips at every version 0-3 (fields a version
 * lacks come back as defaults), a newer version parsed as v3 with its tail ignored,
 * the sticky assignors' user data (V0, V1, cooperative), and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "system/group/cproto.h"

static struct wire_string topics[2];
static int32_t partitions_02[] = {0, 2};
static int32_t partitions_01[] = {0, 1};
static struct cproto_topic_partitions owned[1];
static const uint8_t user_data_ab[] = {0xab};

static void fixture_subscription(struct cproto_subscription *s, int16_t v)
{
    topics[0] = wire_string_from("t0");
    topics[1] = wire_string_from("t1");
    owned[0] = (struct cproto_topic_partitions){wire_string_from("t0"), 2, partitions_02};
    *s = (struct cproto_subscription){v,
                                      2,
                                      topics,
                                      {user_data_ab, 1},
                                      v >= 1 ? 1 : 0,
                                      owned,
                                      v >= 2 ? 5 : -1,
                                      wire_string_from(v >= 3 ? "r1" : NULL)};
}

static void expect_same_bytes(const struct wire_writer *a, const uint8_t *b, uint32_t size)
{
    assert_int_equal(a->err, KS_OK);
    assert_int_equal(a->size_bytes, size);
    assert_memory_equal(a->bytes, b, size);
}

/* Every strict prefix of a subscription fails; nothing leaks. */
static void expect_prefixes_fail(const uint8_t *bytes, uint32_t size)
{
    struct cproto_subscription s;
    for (uint32_t cut = 0; cut < size; cut++) {
        uint8_t *copy = malloc(cut + 1);
        if (cut > 0)
            memcpy(copy, bytes, cut);
        assert_int_not_equal(cproto_subscription_decode(copy, cut, &s), KS_OK);
        free(copy);
    }
}

static void test_subscription_round_trip_every_version(void **state)
{
    for (int16_t v = CPROTO_VERSION_MIN; v <= CPROTO_VERSION_MAX; v++) {
        struct cproto_subscription want, got;
        struct wire_writer w, again;
        fixture_subscription(&want, v);
        wire_writer_init(&w);
        wire_writer_init(&again);
        cproto_subscription_encode(&w, &want);
        assert_int_equal(cproto_subscription_decode(w.bytes, w.size_bytes, &got), KS_OK);
        assert_int_equal(got.version, v);
        assert_int_equal(got.topic_count, 2);
        assert_int_equal(got.owned_count, v >= 1 ? 1 : 0);
        assert_int_equal(got.generation_id, v >= 2 ? 5 : -1);
        assert_true(wire_string_equal(got.rack_id, want.rack_id));
        cproto_subscription_encode(&again, &got);
        expect_same_bytes(&again, w.bytes, w.size_bytes);
        expect_prefixes_fail(w.bytes, w.size_bytes);
        cproto_subscription_free(&got);
        wire_writer_free(&w);
        wire_writer_free(&again);
    }
}

/* v0: topics ["t0", "t1"], null user data. */
static const uint8_t golden_subscription_v0[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
                                                 0x00, 0x02, 't',  '0',  0x00, 0x02,
                                                 't',  '1',  0xff, 0xff, 0xff, 0xff};
/* v3: topics ["t0"], empty user data, owned [("t0", [0, 2])], generation 5, rack "r1". */
static const uint8_t golden_subscription_v3[] = {
    0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 't',  '0',  0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 't',  '0',  0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00, 0x02, 'r',  '1'};
/* v0: [("t0", [0, 1])], null user data. */
static const uint8_t golden_assignment_v0[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 't',
                                               '0',  0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
                                               0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff};

static void test_subscription_golden(void **state)
{
    struct cproto_subscription s, got;
    struct wire_writer w;
    fixture_subscription(&s, 0);
    s.user_data = (struct wire_bytes){NULL, -1};
    wire_writer_init(&w);
    cproto_subscription_encode(&w, &s);
    expect_same_bytes(&w, golden_subscription_v0, sizeof(golden_subscription_v0));
    fixture_subscription(&s, 3);
    s.topic_count = 1;
    s.user_data = (struct wire_bytes){user_data_ab, 0};
    wire_writer_reset(&w);
    cproto_subscription_encode(&w, &s);
    expect_same_bytes(&w, golden_subscription_v3, sizeof(golden_subscription_v3));
    assert_int_equal(
        cproto_subscription_decode(golden_subscription_v3, sizeof(golden_subscription_v3), &got),
        KS_OK);
    assert_int_equal(got.owned_partitions[0].partitions[1], 2);
    assert_true(wire_string_equal_cstr(got.rack_id, "r1"));
    assert_int_equal(got.user_data.size_bytes, 0);
    cproto_subscription_free(&got);
    assert_int_equal(
        cproto_subscription_decode(golden_subscription_v0, sizeof(golden_subscription_v0), &got),
        KS_OK);
    assert_int_equal(got.user_data.size_bytes, -1);
    assert_int_equal(got.generation_id, -1);
    cproto_subscription_free(&got);
    wire_writer_free(&w);
}

static void test_newer_version_parses_as_v3(void **state)
{
    uint8_t v4[sizeof(golden_subscription_v3) + 3];
    struct cproto_subscription got;
    memcpy(v4, golden_subscription_v3, sizeof(golden_subscription_v3));
    v4[1] = 4;
    memcpy(v4 + sizeof(golden_subscription_v3), "new", 3);
    assert_int_equal(cproto_subscription_decode(v4, sizeof(v4), &got), KS_OK);
    assert_int_equal(got.version, 4);
    assert_int_equal(got.generation_id, 5);
    cproto_subscription_free(&got);
    /* At a known version a tail is malformed; a negative version is unsupported. */
    v4[1] = 3;
    assert_int_equal(cproto_subscription_decode(v4, sizeof(v4), &got), KS_ERR_INVALID);
    v4[0] = 0xff;
    assert_int_equal(cproto_subscription_decode(v4, sizeof(v4), &got), KS_ERR_UNSUPPORTED_VERSION);
}

static void test_assignment_golden_and_versions(void **state)
{
    struct cproto_topic_partitions assigned = {wire_string_from("t0"), 2, partitions_01};
    struct cproto_assignment a = {0, 1, &assigned, {NULL, -1}}, got;
    struct wire_writer w;
    wire_writer_init(&w);
    cproto_assignment_encode(&w, &a);
    expect_same_bytes(&w, golden_assignment_v0, sizeof(golden_assignment_v0));
    for (int16_t v = 0; v <= CPROTO_VERSION_MAX; v++) { /* same fields at every version */
        a.version = v;
        wire_writer_reset(&w);
        cproto_assignment_encode(&w, &a);
        assert_int_equal(cproto_assignment_decode(w.bytes, w.size_bytes, &got), KS_OK);
        assert_int_equal(got.version, v);
        assert_int_equal(got.assigned_partitions[0].partitions[1], 1);
        cproto_assignment_free(&got);
        for (uint32_t cut = 0; cut < w.size_bytes; cut++)
            assert_int_not_equal(cproto_assignment_decode(w.bytes, cut, &got), KS_OK);
    }
    wire_writer_free(&w);
}

static void test_sticky_user_data(void **state)
{
    struct cproto_topic_partitions previous = {wire_string_from("t0"), 2, partitions_01};
    struct cproto_sticky_user_data d = {1, &previous, 7}, got;
    struct wire_writer w;
    int32_t generation;
    wire_writer_init(&w);
    cproto_sticky_user_data_encode(&w, &d);
    assert_int_equal(w.size_bytes, 4 + (2 + 2) + 4 + 8 + 4); /* count, "t0", [0, 1], gen */
    assert_int_equal(cproto_sticky_user_data_decode(w.bytes, w.size_bytes, &got), KS_OK);
    assert_int_equal(got.generation, 7);
    cproto_sticky_user_data_free(&got);
    /* V0: no generation. */
    assert_int_equal(cproto_sticky_user_data_decode(w.bytes, w.size_bytes - 4, &got), KS_OK);
    assert_int_equal(got.generation, -1);
    assert_int_equal(got.previous_assignment[0].partition_count, 2);
    cproto_sticky_user_data_free(&got);
    assert_int_not_equal(cproto_sticky_user_data_decode(w.bytes, w.size_bytes - 2, &got), KS_OK);
    wire_writer_reset(&w);
    cproto_cooperative_user_data_encode(&w, 9);
    assert_int_equal(cproto_cooperative_user_data_decode(w.bytes, w.size_bytes, &generation),
                     KS_OK);
    assert_int_equal(generation, 9);
    assert_int_not_equal(cproto_cooperative_user_data_decode(w.bytes, 3, &generation), KS_OK);
    wire_writer_free(&w);
}

static void test_garbage(void **state)
{
    uint64_t x = 0x2545f4914f6cdd1dULL;
    for (uint32_t round = 0; round < 20000; round++) {
        uint8_t bytes[sizeof(golden_subscription_v3)];
        struct cproto_subscription s;
        struct cproto_assignment a;
        struct cproto_sticky_user_data d;
        memcpy(bytes, golden_subscription_v3, sizeof(bytes));
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        bytes[x % sizeof(bytes)] = (uint8_t)(x >> 32);
        uint32_t size = (uint32_t)((x >> 40) % (sizeof(bytes) + 1));
        if (cproto_subscription_decode(bytes, size, &s) == KS_OK)
            cproto_subscription_free(&s);
        if (cproto_assignment_decode(bytes, size, &a) == KS_OK)
            cproto_assignment_free(&a);
        if (cproto_sticky_user_data_decode(bytes + 2, size > 2 ? size - 2 : 0, &d) == KS_OK)
            cproto_sticky_user_data_free(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subscription_round_trip_every_version),
        cmocka_unit_test(test_subscription_golden),
        cmocka_unit_test(test_newer_version_parses_as_v3),
        cmocka_unit_test(test_assignment_golden_and_versions),
        cmocka_unit_test(test_sticky_user_data),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
