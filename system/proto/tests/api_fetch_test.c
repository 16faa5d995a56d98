/*
 * api_fetch_test.c: Fetch (key 1) at v12-13 as KRaft speaks it: golden bytes both
 * ways for a follower's request (topic id, LastFetchedEpoch) and a leader's response
 * carrying records, DivergingEpoch and CurrentLeader; the ClusterId tag; truncated
 * prefixes; unsupported versions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "system/proto/api_fetch.h"

#define UUID_ONE 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1

/* v13: replica 2 fetches partition 0 of topic id 1 at offset 10, last epoch 6. */
static const uint8_t golden_request_v13[] = {
    0,    0,        0,    2,                 /* ReplicaId */
    0,    0,        0x01, 0xf4,              /* MaxWaitMs 500 */
    0,    0,        0,    0,                 /* MinBytes */
    0x7f, 0xff,     0xff, 0xff,              /* MaxBytes */
    0,                                       /* IsolationLevel */
    0,    0,        0,    0,                 /* SessionId */
    0xff, 0xff,     0xff, 0xff,              /* SessionEpoch -1 */
    0x02, UUID_ONE,                          /* Topics: 1, TopicId */
    0x02,                                    /* Partitions: 1 */
    0,    0,        0,    0,                 /* Partition */
    0,    0,        0,    7,                 /* CurrentLeaderEpoch */
    0,    0,        0,    0,    0, 0, 0, 10, /* FetchOffset */
    0,    0,        0,    6,                 /* LastFetchedEpoch */
    0,    0,        0,    0,    0, 0, 0, 0,  /* LogStartOffset */
    0,    0x10,     0,    0,                 /* PartitionMaxBytes */
    0x00, 0x00,                              /* tags: partition, topic */
    0x01,                                    /* ForgottenTopicsData: empty */
    0x01,                                    /* RackId: "" */
    0x00,                                    /* tags */
};

/* v12 by name "t", with ClusterId "x" as tag 0. */
static const uint8_t
    golden_request_v12[] =
        {
            0,    0,    0,    2,    0,    0,    0x01, 0xf4, 0,    0,    0,    0,
            0x7f, 0xff, 0xff, 0xff, 0,    0,    0,    0,    0,    0xff, 0xff, 0xff,
            0xff, 0x02, 0x02, 't',  0x02, 0,    0,    0,    0,    0,    0,    0,
            7,    0,    0,    0,    0,    0,    0,    0,    10,   0,    0,    0,
            6,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10, 0,
            0,    0x00, 0x00, 0x01, 0x01, 0x01, 0x00, 0x02, 0x02, 'x', /* tags: 1, ClusterId "x" */
};

/* v13 response: HW 5, records "abc", DivergingEpoch 6@8, CurrentLeader 3@7. */
static const uint8_t golden_response_v13[] = {
    0,    0,        0,    0,                            /* ThrottleTimeMs */
    0,    0,                                            /* ErrorCode */
    0,    0,        0,    0,                            /* SessionId */
    0x02, UUID_ONE, 0x02,                               /* Responses: 1, TopicId, Partitions: 1 */
    0,    0,        0,    0,                            /* PartitionIndex */
    0,    0,                                            /* ErrorCode */
    0,    0,        0,    0,    0,    0,    0,    5,    /* HighWatermark */
    0xff, 0xff,     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* LastStableOffset -1 */
    0,    0,        0,    0,    0,    0,    0,    0,    /* LogStartOffset */
    0x00,                                               /* AbortedTransactions: null */
    0xff, 0xff,     0xff, 0xff,                         /* PreferredReadReplica -1 */
    0x04, 'a',      'b',  'c',                          /* Records */
    0x02,                                               /* tags: 2 */
    0x00, 0x0d,     0,    0,    0,    6,    0,    0,    0, 0, 0,
    0,    0,        8,    0x00,                                     /* DivergingEpoch */
    0x01, 0x09,     0,    0,    0,    3,    0,    0,    0, 7, 0x00, /* CurrentLeader */
    0x00,                                                           /* topic tags */
    0x00,                                                           /* tags */
};

static struct api_fetch_request sample_request(void)
{
    struct api_fetch_request req;
    api_fetch_request_init(&req);
    req.replica_id = 2;
    req.max_wait_ms = 500;
    req.has_partition = true;
    req.topic = wire_string_from("t");
    req.topic_id.bytes[15] = 1;
    req.current_leader_epoch = 7;
    req.fetch_offset = 10;
    req.last_fetched_epoch = 6;
    req.log_start_offset = 0;
    req.partition_max_bytes = 1048576;
    return req;
}

static void test_request_golden_both_ways(void **state)
{
    struct api_fetch_request req = sample_request();
    struct wire_writer w;
    wire_writer_init(&w);
    api_fetch_request_encode(&w, 13, &req);
    assert_int_equal(w.err, KS_OK);
    assert_int_equal(w.size_bytes, sizeof(golden_request_v13));
    assert_memory_equal(w.bytes, golden_request_v13, sizeof(golden_request_v13));
    wire_writer_reset(&w);
    req.cluster_id = wire_string_from("x");
    api_fetch_request_encode(&w, 12, &req);
    assert_int_equal(w.size_bytes, sizeof(golden_request_v12));
    assert_memory_equal(w.bytes, golden_request_v12, sizeof(golden_request_v12));
    wire_writer_free(&w);

    struct api_fetch_request out;
    assert_int_equal(
        api_fetch_request_decode(13, golden_request_v13, sizeof(golden_request_v13), &out), KS_OK);
    assert_true(out.has_partition);
    assert_int_equal(out.replica_id, 2);
    assert_int_equal(out.topic_id.bytes[15], 1);
    assert_int_equal(out.current_leader_epoch, 7);
    assert_int_equal(out.fetch_offset, 10);
    assert_int_equal(out.last_fetched_epoch, 6);
    assert_int_equal(out.session_epoch, -1);
    assert_true(wire_string_is_null(out.cluster_id));
    assert_int_equal(
        api_fetch_request_decode(12, golden_request_v12, sizeof(golden_request_v12), &out), KS_OK);
    assert_true(wire_string_equal_cstr(out.cluster_id, "x"));
    assert_true(wire_string_equal_cstr(out.topic, "t"));
}

static void test_response_golden_both_ways(void **state)
{
    struct api_fetch_response resp;
    api_fetch_response_init(&resp);
    resp.has_partition = true;
    resp.topic_id.bytes[15] = 1;
    resp.high_watermark = 5;
    resp.log_start_offset = 0;
    resp.records = (struct wire_bytes){(const uint8_t *)"abc", 3};
    resp.diverging_epoch = 6;
    resp.diverging_end_offset = 8;
    resp.current_leader_id = 3;
    resp.current_leader_epoch = 7;
    struct wire_writer w;
    wire_writer_init(&w);
    api_fetch_response_encode(&w, 13, &resp);
    assert_int_equal(w.err, KS_OK);
    assert_int_equal(w.size_bytes, sizeof(golden_response_v13));
    assert_memory_equal(w.bytes, golden_response_v13, sizeof(golden_response_v13));
    wire_writer_free(&w);
    struct api_fetch_response out;
    assert_int_equal(
        api_fetch_response_decode(13, golden_response_v13, sizeof(golden_response_v13), &out),
        KS_OK);
    assert_int_equal(out.high_watermark, 5);
    assert_int_equal(out.diverging_epoch, 6);
    assert_int_equal(out.diverging_end_offset, 8);
    assert_int_equal(out.current_leader_id, 3);
    assert_int_equal(out.current_leader_epoch, 7);
    assert_int_equal(out.snapshot_epoch, -1);
    assert_int_equal(out.snapshot_end_offset, -1);
    assert_int_equal(out.aborted_transaction_count, -1);
    assert_int_equal(out.records.size_bytes, 3);
    assert_memory_equal(out.records.bytes, "abc", 3);
}

static void test_snapshot_id_round_trip(void **state)
{
    struct api_fetch_response resp;
    api_fetch_response_init(&resp);
    resp.has_partition = true;
    resp.snapshot_end_offset = 1000;
    resp.snapshot_epoch = 4;
    resp.aborted_transaction_count = 0;
    struct wire_writer w;
    wire_writer_init(&w);
    api_fetch_response_encode(&w, 12, &resp);
    struct api_fetch_response out;
    assert_int_equal(api_fetch_response_decode(12, w.bytes, w.size_bytes, &out), KS_OK);
    assert_int_equal(out.snapshot_end_offset, 1000);
    assert_int_equal(out.snapshot_epoch, 4);
    assert_int_equal(out.diverging_epoch, -1);
    assert_int_equal(out.aborted_transaction_count, 0);
    assert_int_equal(out.records.size_bytes, -1);
    wire_writer_free(&w);
}

static void test_truncated_and_bad_input(void **state)
{
    struct api_fetch_request req;
    struct api_fetch_response resp;
    for (uint32_t n = 0; n < sizeof(golden_request_v12); n++)
        assert_int_not_equal(api_fetch_request_decode(12, golden_request_v12, n, &req), KS_OK);
    for (uint32_t n = 0; n < sizeof(golden_response_v13); n++)
        assert_int_not_equal(api_fetch_response_decode(13, golden_response_v13, n, &resp), KS_OK);
    assert_int_equal(
        api_fetch_request_decode(11, golden_request_v13, sizeof(golden_request_v13), &req),
        KS_ERR_UNSUPPORTED_VERSION);
    uint8_t two[sizeof(golden_request_v13)];
    memcpy(two, golden_request_v13, sizeof(two));
    two[25] = 0x03; /* Topics: 2 */
    assert_int_equal(api_fetch_request_decode(13, two, sizeof(two), &req), KS_ERR_TOO_MANY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_golden_both_ways),
        cmocka_unit_test(test_response_golden_both_ways),
        cmocka_unit_test(test_snapshot_id_round_trip),
        cmocka_unit_test(test_truncated_and_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
