/*
 * api_list_offsets_test.c: ListOffsets (key 2) v1-v10: golden bytes both ways for v1
 * (classic, earliest) and v7 (flexible, max timestamp); a round trip at every version;
 * special timestamps refused below their version; truncated and bad input rejected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "system/proto/api_list_offsets.h"

#define I64(b) 0, 0, 0, 0, 0, 0, 0, b
#define I64_M(b) 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, b

/* v1: a consumer asks for the earliest offset of "t"/0. */
static const uint8_t golden_request_v1[] = {
    0xff,        0xff, 0xff, 0xff, /* ReplicaId -1 */
    0,           0,    0,    1,    /* Topics: 1 */
    0,           1,    't',        /* Name */
    0,           0,    0,    1,    /* Partitions: 1 */
    0,           0,    0,    0,    /* PartitionIndex */
    I64_M(0xfe),                   /* Timestamp -2 (earliest) */
};
static const uint8_t golden_response_v1[] = {
    0,           0,       0, 1, 0, 1, 't', 0, 0, 0, 1, /* Topics: 1, Name, Partitions: 1 */
    0,           0,       0, 0, 0, 0,                  /* PartitionIndex, ErrorCode */
    I64_M(0xff), I64(42),                              /* Timestamp -1, Offset 42 */
};
/* v7: read_committed, max timestamp of "t"/0 at leader epoch 3. */
static const uint8_t golden_request_v7[] = {
    0xff,        0xff, 0xff, 0xff, /* ReplicaId -1 */
    1,                             /* IsolationLevel */
    0x02,        0x02, 't',  0x02, /* Topics: 1, Name, Partitions: 1 */
    0,           0,    0,    0,    /* PartitionIndex */
    0,           0,    0,    3,    /* CurrentLeaderEpoch */
    I64_M(0xfd),                   /* Timestamp -3 (max timestamp) */
    0x00,        0x00, 0x00,       /* tags: partition, topic, request */
};
static const uint8_t golden_response_v7[] = {
    0,       0,    0,    0,                      /* ThrottleTimeMs */
    0x02,    0x02, 't',  0x02,                   /* Topics: 1, Name, Partitions: 1 */
    0,       0,    0,    0,    0, 0,             /* PartitionIndex, ErrorCode */
    0,       0,    0,    0,    0, 0, 0x03, 0xe8, /* Timestamp 1000 */
    I64(42),                                     /* Offset */
    0,       0,    0,    3,                      /* LeaderEpoch */
    0x00,    0x00, 0x00,                         /* tags */
};

static void expect_bytes(const struct wire_writer *w, const uint8_t *golden, size_t size)
{
    assert_int_equal(w->err, KS_OK);
    assert_int_equal(w->size_bytes, size);
    assert_memory_equal(w->bytes, golden, size);
}

static void test_golden_both_ways(void **state)
{
    struct api_list_offsets_partition p = {0, -1, API_LIST_OFFSETS_EARLIEST_TIMESTAMP};
    struct api_list_offsets_topic t = {wire_string_from("t"), 1, &p};
    struct api_list_offsets_request req, req_out;
    struct api_list_offsets_partition_response rp = {0, 0, -1, 42, -1};
    struct api_list_offsets_topic_response rt = {wire_string_from("t"), 1, &rp};
    struct api_list_offsets_response resp = {0, 1, &rt}, resp_out;
    struct wire_writer w;
    api_list_offsets_request_init(&req);
    req.topic_count = 1;
    req.topics = &t;
    wire_writer_init(&w);
    api_list_offsets_request_encode(&w, 1, &req);
    expect_bytes(&w, golden_request_v1, sizeof(golden_request_v1));
    wire_writer_reset(&w);
    api_list_offsets_response_encode(&w, 1, &resp);
    expect_bytes(&w, golden_response_v1, sizeof(golden_response_v1));
    wire_writer_reset(&w);
    p = (struct api_list_offsets_partition){0, 3, API_LIST_OFFSETS_MAX_TIMESTAMP};
    req.isolation_level = 1;
    api_list_offsets_request_encode(&w, 7, &req);
    expect_bytes(&w, golden_request_v7, sizeof(golden_request_v7));
    wire_writer_reset(&w);
    rp = (struct api_list_offsets_partition_response){0, 0, 1000, 42, 3};
    api_list_offsets_response_encode(&w, 7, &resp);
    expect_bytes(&w, golden_response_v7, sizeof(golden_response_v7));
    wire_writer_free(&w);

    assert_int_equal(
        api_list_offsets_request_decode(1, golden_request_v1, sizeof(golden_request_v1), &req_out),
        KS_OK);
    assert_int_equal(req_out.replica_id, -1);
    assert_int_equal(req_out.topics[0].partitions[0].timestamp, -2);
    assert_int_equal(req_out.topics[0].partitions[0].current_leader_epoch, -1);
    api_list_offsets_request_free(&req_out);
    assert_int_equal(
        api_list_offsets_request_decode(7, golden_request_v7, sizeof(golden_request_v7), &req_out),
        KS_OK);
    assert_int_equal(req_out.isolation_level, 1);
    assert_int_equal(req_out.topics[0].partitions[0].timestamp, -3);
    assert_int_equal(req_out.topics[0].partitions[0].current_leader_epoch, 3);
    api_list_offsets_request_free(&req_out);
    assert_int_equal(api_list_offsets_response_decode(1, golden_response_v1,
                                                      sizeof(golden_response_v1), &resp_out),
                     KS_OK);
    assert_int_equal(resp_out.topics[0].partitions[0].offset, 42);
    assert_int_equal(resp_out.topics[0].partitions[0].leader_epoch, -1);
    api_list_offsets_response_free(&resp_out);
    assert_int_equal(api_list_offsets_response_decode(7, golden_response_v7,
                                                      sizeof(golden_response_v7), &resp_out),
                     KS_OK);
    assert_int_equal(resp_out.topics[0].partitions[0].timestamp, 1000);
    assert_int_equal(resp_out.topics[0].partitions[0].leader_epoch, 3);
    api_list_offsets_response_free(&resp_out);
}

static void test_round_trip_every_version(void **state)
{
    struct api_list_offsets_partition ps[2] = {{0, 5, -1}, {1, 5, 1700000000000}};
    struct api_list_offsets_topic ts[2] = {{wire_string_from("a"), 2, ps},
                                           {wire_string_from("b"), 0, NULL}};
    struct api_list_offsets_partition_response rps[2] = {{0, 0, -1, 10, 5}, {1, 3, -1, -1, -1}};
    struct api_list_offsets_topic_response rts[1] = {{wire_string_from("a"), 2, rps}};
    struct api_list_offsets_response resp = {9, 1, rts};
    for (int16_t v = API_LIST_OFFSETS_VERSION_MIN; v <= API_LIST_OFFSETS_VERSION_MAX; v++) {
        struct api_list_offsets_request req, req_out;
        struct api_list_offsets_response resp_out;
        struct wire_writer w1, w2;
        api_list_offsets_request_init(&req);
        req.isolation_level = v >= 2 ? 1 : 0;
        req.topic_count = 2;
        req.topics = ts;
        req.timeout_ms = v >= 10 ? 3000 : 0;
        wire_writer_init(&w1);
        wire_writer_init(&w2);
        api_list_offsets_request_encode(&w1, v, &req);
        assert_int_equal(api_list_offsets_request_decode(v, w1.bytes, w1.size_bytes, &req_out),
                         KS_OK);
        assert_int_equal(req_out.topics[0].partitions[1].timestamp, 1700000000000);
        assert_int_equal(req_out.timeout_ms, req.timeout_ms);
        api_list_offsets_request_encode(&w2, v, &req_out);
        expect_bytes(&w2, w1.bytes, w1.size_bytes);
        api_list_offsets_request_free(&req_out);
        wire_writer_reset(&w1);
        wire_writer_reset(&w2);
        api_list_offsets_response_encode(&w1, v, &resp);
        assert_int_equal(api_list_offsets_response_decode(v, w1.bytes, w1.size_bytes, &resp_out),
                         KS_OK);
        assert_int_equal(resp_out.topics[0].partitions[1].error_code, 3);
        api_list_offsets_response_encode(&w2, v, &resp_out);
        expect_bytes(&w2, w1.bytes, w1.size_bytes);
        api_list_offsets_response_free(&resp_out);
        for (uint32_t n = 0; n < w1.size_bytes; n++)
            assert_int_not_equal(api_list_offsets_response_decode(v, w1.bytes, n, &resp_out),
                                 KS_OK);
        wire_writer_free(&w1);
        wire_writer_free(&w2);
    }
}

/* ListOffsetsRequest.Builder: each question needs its version. */
static void test_version_needed(void **state)
{
    static const struct {
        int64_t timestamp;
        int8_t isolation_level;
        int16_t version_min;
    } cases[] = {
        {API_LIST_OFFSETS_LATEST_TIMESTAMP, 1, 2},
        {API_LIST_OFFSETS_MAX_TIMESTAMP, 0, 7},
        {API_LIST_OFFSETS_EARLIEST_LOCAL_TIMESTAMP, 0, 8},
        {API_LIST_OFFSETS_LATEST_TIERED_TIMESTAMP, 0, 9},
    };
    for (size_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        struct api_list_offsets_partition p = {0, -1, cases[i].timestamp};
        struct api_list_offsets_topic t = {wire_string_from("t"), 1, &p};
        struct api_list_offsets_request req;
        struct wire_writer w;
        api_list_offsets_request_init(&req);
        req.isolation_level = cases[i].isolation_level;
        req.topic_count = 1;
        req.topics = &t;
        wire_writer_init(&w);
        api_list_offsets_request_encode(&w, (int16_t)(cases[i].version_min - 1), &req);
        assert_int_equal(w.err, KS_ERR_UNSUPPORTED_VERSION);
        wire_writer_reset(&w);
        api_list_offsets_request_encode(&w, cases[i].version_min, &req);
        assert_int_equal(w.err, KS_OK);
        wire_writer_free(&w);
    }
}

static void test_truncated_and_bad_input(void **state)
{
    struct api_list_offsets_request req;
    struct api_list_offsets_response resp;
    for (uint32_t n = 0; n < sizeof(golden_request_v7); n++)
        assert_int_not_equal(api_list_offsets_request_decode(7, golden_request_v7, n, &req), KS_OK);
    for (uint32_t n = 0; n < sizeof(golden_request_v1); n++)
        assert_int_not_equal(api_list_offsets_request_decode(1, golden_request_v1, n, &req), KS_OK);
    assert_int_equal(
        api_list_offsets_request_decode(0, golden_request_v1, sizeof(golden_request_v1), &req),
        KS_ERR_UNSUPPORTED_VERSION);
    assert_int_equal(
        api_list_offsets_response_decode(11, golden_response_v7, sizeof(golden_response_v7), &resp),
        KS_ERR_UNSUPPORTED_VERSION);
    uint8_t bad[sizeof(golden_request_v7)];
    memcpy(bad, golden_request_v7, sizeof(bad));
    bad[6] = 0x00; /* Name: compact null where a name is required */
    assert_int_not_equal(api_list_offsets_request_decode(7, bad, sizeof(bad), &req), KS_OK);
    memcpy(bad, golden_request_v7, sizeof(bad));
    bad[5] = 0x80; /* Topics: a varint that never ends within the input */
    bad[6] = 0x80;
    bad[7] = 0x80;
    bad[8] = 0x80;
    bad[9] = 0x80;
    assert_int_equal(api_list_offsets_request_decode(7, bad, sizeof(bad), &req), KS_ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_both_ways),
        cmocka_unit_test(test_round_trip_every_version),
        cmocka_unit_test(test_version_needed),
        cmocka_unit_test(test_truncated_and_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
