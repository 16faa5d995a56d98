/*
 * api_offsets_for_leader_epoch_test.c: OffsetForLeaderEpoch (key 23) v0-v4: golden
 * bytes both ways for v2 (classic, what librdkafka sends) and v4 (flexible, a
 * follower's ReplicaId); a round trip at every version; truncated and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "system/proto/api_offsets_for_leader_epoch.h"

/* v2: "t"/0, current leader epoch 5, asking for the end of epoch 4. */
static const uint8_t golden_request_v2[] = {
    0, 0, 0, 1, 0, 1, 't', /* Topics: 1, Topic */
    0, 0, 0, 1,            /* Partitions: 1 */
    0, 0, 0, 0,            /* Partition */
    0, 0, 0, 5,            /* CurrentLeaderEpoch */
    0, 0, 0, 4,            /* LeaderEpoch */
};
static const uint8_t golden_response_v2[] = {
    0, 0, 0, 0,                 /* ThrottleTimeMs */
    0, 0, 0, 1, 0, 1, 't',      /* Topics: 1, Topic */
    0, 0, 0, 1,                 /* Partitions: 1 */
    0, 0, 0, 0, 0, 0,           /* ErrorCode, Partition */
    0, 0, 0, 4,                 /* LeaderEpoch */
    0, 0, 0, 0, 0, 0, 0,   100, /* EndOffset */
};
/* v4: follower 1 asks the same. */
static const uint8_t golden_request_v4[] = {
    0,    0,    0,    1,                            /* ReplicaId */
    0x02, 0x02, 't',  0x02,                         /* Topics: 1, Topic, Partitions: 1 */
    0,    0,    0,    0,    0, 0, 0, 5, 0, 0, 0, 4, /* Partition, CurrentLeaderEpoch, LeaderEpoch */
    0x00, 0x00, 0x00,                               /* tags */
};
static const uint8_t golden_response_v4[] = {
    0,    0,    0,    0,                        /* ThrottleTimeMs */
    0x02, 0x02, 't',  0x02,                     /* Topics: 1, Topic, Partitions: 1 */
    0,    0,    0,    0,    0, 0, 0, 0,   0, 4, /* ErrorCode, Partition, LeaderEpoch */
    0,    0,    0,    0,    0, 0, 0, 100,       /* EndOffset */
    0x00, 0x00, 0x00,                           /* tags */
};

static void expect_bytes(const struct wire_writer *w, const uint8_t *golden, size_t size)
{
    assert_int_equal(w->err, KS_OK);
    assert_int_equal(w->size_bytes, size);
    assert_memory_equal(w->bytes, golden, size);
}

static void test_golden_both_ways(void **state)
{
    struct api_offsets_for_leader_epoch_partition p = {0, 5, 4};
    struct api_offsets_for_leader_epoch_topic t = {wire_string_from("t"), 1, &p};
    struct api_offsets_for_leader_epoch_request req = {-2, 1, &t}, req_out;
    struct api_offsets_for_leader_epoch_end_offset e = {0, 0, 4, 100};
    struct api_offsets_for_leader_epoch_topic_result rt = {wire_string_from("t"), 1, &e};
    struct api_offsets_for_leader_epoch_response resp = {0, 1, &rt}, resp_out;
    struct wire_writer w;
    wire_writer_init(&w);
    api_offsets_for_leader_epoch_request_encode(&w, 2, &req);
    expect_bytes(&w, golden_request_v2, sizeof(golden_request_v2));
    wire_writer_reset(&w);
    api_offsets_for_leader_epoch_response_encode(&w, 2, &resp);
    expect_bytes(&w, golden_response_v2, sizeof(golden_response_v2));
    wire_writer_reset(&w);
    req.replica_id = 1;
    api_offsets_for_leader_epoch_request_encode(&w, 4, &req);
    expect_bytes(&w, golden_request_v4, sizeof(golden_request_v4));
    wire_writer_reset(&w);
    api_offsets_for_leader_epoch_response_encode(&w, 4, &resp);
    expect_bytes(&w, golden_response_v4, sizeof(golden_response_v4));
    wire_writer_free(&w);

    assert_int_equal(api_offsets_for_leader_epoch_request_decode(
                         2, golden_request_v2, sizeof(golden_request_v2), &req_out),
                     KS_OK);
    assert_int_equal(req_out.replica_id, API_OFFSETS_FOR_LEADER_EPOCH_DEBUGGING_REPLICA_ID);
    assert_int_equal(req_out.topics[0].partitions[0].current_leader_epoch, 5);
    assert_int_equal(req_out.topics[0].partitions[0].leader_epoch, 4);
    api_offsets_for_leader_epoch_request_free(&req_out);
    assert_int_equal(api_offsets_for_leader_epoch_request_decode(
                         4, golden_request_v4, sizeof(golden_request_v4), &req_out),
                     KS_OK);
    assert_int_equal(req_out.replica_id, 1);
    api_offsets_for_leader_epoch_request_free(&req_out);
    assert_int_equal(api_offsets_for_leader_epoch_response_decode(
                         4, golden_response_v4, sizeof(golden_response_v4), &resp_out),
                     KS_OK);
    assert_int_equal(resp_out.topics[0].partitions[0].end_offset, 100);
    assert_int_equal(resp_out.topics[0].partitions[0].leader_epoch, 4);
    api_offsets_for_leader_epoch_response_free(&resp_out);
}

static void test_round_trip_every_version(void **state)
{
    struct api_offsets_for_leader_epoch_partition ps[2] = {{0, 7, 6}, {3, 7, 2}};
    struct api_offsets_for_leader_epoch_topic ts[2] = {{wire_string_from("a"), 2, ps},
                                                       {wire_string_from("b"), 1, ps}};
    struct api_offsets_for_leader_epoch_end_offset es[2] = {{0, 0, 6, 70}, {74, 3, -1, -1}};
    struct api_offsets_for_leader_epoch_topic_result rts[1] = {{wire_string_from("a"), 2, es}};
    struct api_offsets_for_leader_epoch_response resp = {3, 1, rts};
    for (int16_t v = API_OFFSETS_FOR_LEADER_EPOCH_VERSION_MIN;
         v <= API_OFFSETS_FOR_LEADER_EPOCH_VERSION_MAX; v++) {
        struct api_offsets_for_leader_epoch_request req = {v >= 3 ? 2 : -2, 2, ts}, req_out;
        struct api_offsets_for_leader_epoch_response resp_out;
        struct wire_writer w1, w2;
        wire_writer_init(&w1);
        wire_writer_init(&w2);
        api_offsets_for_leader_epoch_request_encode(&w1, v, &req);
        assert_int_equal(
            api_offsets_for_leader_epoch_request_decode(v, w1.bytes, w1.size_bytes, &req_out),
            KS_OK);
        assert_int_equal(req_out.topics[0].partitions[1].partition, 3);
        assert_int_equal(req_out.topics[0].partitions[1].current_leader_epoch, v >= 2 ? 7 : -1);
        api_offsets_for_leader_epoch_request_encode(&w2, v, &req_out);
        expect_bytes(&w2, w1.bytes, w1.size_bytes);
        api_offsets_for_leader_epoch_request_free(&req_out);
        for (uint32_t n = 0; n < w1.size_bytes; n++)
            assert_int_not_equal(
                api_offsets_for_leader_epoch_request_decode(v, w1.bytes, n, &req_out), KS_OK);
        wire_writer_reset(&w1);
        wire_writer_reset(&w2);
        api_offsets_for_leader_epoch_response_encode(&w1, v, &resp);
        assert_int_equal(
            api_offsets_for_leader_epoch_response_decode(v, w1.bytes, w1.size_bytes, &resp_out),
            KS_OK);
        assert_int_equal(resp_out.topics[0].partitions[1].error_code, 74);
        api_offsets_for_leader_epoch_response_encode(&w2, v, &resp_out);
        expect_bytes(&w2, w1.bytes, w1.size_bytes);
        api_offsets_for_leader_epoch_response_free(&resp_out);
        for (uint32_t n = 0; n < w1.size_bytes; n++)
            assert_int_not_equal(
                api_offsets_for_leader_epoch_response_decode(v, w1.bytes, n, &resp_out), KS_OK);
        wire_writer_free(&w1);
        wire_writer_free(&w2);
    }
}

static void test_bad_input(void **state)
{
    struct api_offsets_for_leader_epoch_request req;
    uint8_t bad[sizeof(golden_request_v4)];
    assert_int_equal(api_offsets_for_leader_epoch_request_decode(5, golden_request_v4,
                                                                 sizeof(golden_request_v4), &req),
                     KS_ERR_UNSUPPORTED_VERSION);
    assert_int_equal(api_offsets_for_leader_epoch_request_decode(-1, golden_request_v4,
                                                                 sizeof(golden_request_v4), &req),
                     KS_ERR_UNSUPPORTED_VERSION);
    memcpy(bad, golden_request_v4, sizeof(bad));
    bad[7] = 0x40; /* Partitions: 63, far more than the bytes left */
    assert_int_equal(api_offsets_for_leader_epoch_request_decode(4, bad, sizeof(bad), &req),
                     KS_ERR_TRUNCATED);
    memcpy(bad, golden_request_v4, sizeof(bad));
    bad[sizeof(bad) - 1] = 0x01; /* a tag section with one field but no bytes for it */
    assert_int_not_equal(api_offsets_for_leader_epoch_request_decode(4, bad, sizeof(bad), &req),
                         KS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_both_ways),
        cmocka_unit_test(test_round_trip_every_version),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
