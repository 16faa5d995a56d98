/*
 * api_fetch_snapshot_test.c: FetchSnapshot (key 59) v0 golden bytes both ways: a
 * follower's request for snapshot 100@3 from position 512 with a ClusterId tag, the
 * leader's chunk with CurrentLeader; truncated prefixes; two topics refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "system/proto/api_fetch_snapshot.h"

static const uint8_t golden_request_v0[] = {
    0,    0,    0,    2,                        /* ReplicaId */
    0,    0,    0x10, 0,                        /* MaxBytes 4096 */
    0x02, 0x02, 't',                            /* Topics: 1, Name "t" */
    0x02,                                       /* Partitions: 1 */
    0,    0,    0,    0,                        /* Partition */
    0,    0,    0,    4,                        /* CurrentLeaderEpoch */
    0,    0,    0,    0,    0,    0, 0,    100, /* SnapshotId.EndOffset */
    0,    0,    0,    3,    0x00,               /* SnapshotId.Epoch, tags */
    0,    0,    0,    0,    0,    0, 0x02, 0,   /* Position 512 */
    0x00, 0x00,                                 /* tags: partition, topic */
    0x01, 0x00, 0x02, 0x02, 'x',                /* tags: ClusterId "x" */
};

static const uint8_t golden_response_v0[] = {
    0,    0,    0,    0,    /* ThrottleTimeMs */
    0,    0,                /* ErrorCode */
    0x02, 0x02, 't',  0x02, /* Topics: 1, "t", Partitions: 1 */
    0,    0,    0,    0,    /* Index */
    0,    0,                /* ErrorCode */
    0,    0,    0,    0,    0, 0, 0,    100,  0, 0, 0, 3,    0x00, /* SnapshotId */
    0,    0,    0,    0,    0, 0, 0x02, 0x03,                      /* Size 515 */
    0,    0,    0,    0,    0, 0, 0x02, 0,                         /* Position 512 */
    0x04, 'a',  'b',  'c',                                         /* UnalignedRecords */
    0x01, 0x00, 0x09, 0,    0, 0, 1,    0,    0, 0, 4, 0x00,       /* tags: CurrentLeader 1@4 */
    0x00, 0x00,                                                    /* tags: topic, response */
};

static void test_request_golden_both_ways(void **state)
{
    struct api_fetch_snapshot_request req;
    api_fetch_snapshot_request_init(&req);
    req.cluster_id = wire_string_from("x");
    req.replica_id = 2;
    req.max_bytes = 4096;
    req.has_partition = true;
    req.topic_name = wire_string_from("t");
    req.current_leader_epoch = 4;
    req.snapshot_end_offset = 100;
    req.snapshot_epoch = 3;
    req.position = 512;
    struct wire_writer w;
    wire_writer_init(&w);
    api_fetch_snapshot_request_encode(&w, 0, &req);
    assert_int_equal(w.err, KS_OK);
    assert_int_equal(w.size_bytes, sizeof(golden_request_v0));
    assert_memory_equal(w.bytes, golden_request_v0, sizeof(golden_request_v0));
    wire_writer_free(&w);
    struct api_fetch_snapshot_request out;
    assert_int_equal(
        api_fetch_snapshot_request_decode(0, golden_request_v0, sizeof(golden_request_v0), &out),
        KS_OK);
    assert_true(wire_string_equal_cstr(out.cluster_id, "x"));
    assert_int_equal(out.snapshot_end_offset, 100);
    assert_int_equal(out.snapshot_epoch, 3);
    assert_int_equal(out.position, 512);
    assert_int_equal(out.current_leader_epoch, 4);
}

static void test_response_golden_both_ways(void **state)
{
    struct api_fetch_snapshot_response resp;
    api_fetch_snapshot_response_init(&resp);
    resp.has_partition = true;
    resp.topic_name = wire_string_from("t");
    resp.snapshot_end_offset = 100;
    resp.snapshot_epoch = 3;
    resp.size = 515;
    resp.position = 512;
    resp.unaligned_records = (struct wire_bytes){(const uint8_t *)"abc", 3};
    resp.current_leader_id = 1;
    resp.current_leader_epoch = 4;
    struct wire_writer w;
    wire_writer_init(&w);
    api_fetch_snapshot_response_encode(&w, 0, &resp);
    assert_int_equal(w.size_bytes, sizeof(golden_response_v0));
    assert_memory_equal(w.bytes, golden_response_v0, sizeof(golden_response_v0));
    wire_writer_free(&w);
    struct api_fetch_snapshot_response out;
    assert_int_equal(
        api_fetch_snapshot_response_decode(0, golden_response_v0, sizeof(golden_response_v0), &out),
        KS_OK);
    assert_int_equal(out.size, 515);
    assert_int_equal(out.position, 512);
    assert_int_equal(out.current_leader_id, 1);
    assert_int_equal(out.current_leader_epoch, 4);
    assert_int_equal(out.unaligned_records.size_bytes, 3);
}

static void test_truncated_and_bad_input(void **state)
{
    struct api_fetch_snapshot_request req;
    struct api_fetch_snapshot_response resp;
    for (uint32_t n = 0; n < sizeof(golden_request_v0); n++)
        assert_int_not_equal(api_fetch_snapshot_request_decode(0, golden_request_v0, n, &req),
                             KS_OK);
    for (uint32_t n = 0; n < sizeof(golden_response_v0); n++)
        assert_int_not_equal(api_fetch_snapshot_response_decode(0, golden_response_v0, n, &resp),
                             KS_OK);
    uint8_t two[sizeof(golden_request_v0)];
    memcpy(two, golden_request_v0, sizeof(two));
    two[8] = 0x03;
    assert_int_equal(api_fetch_snapshot_request_decode(0, two, sizeof(two), &req), KS_ERR_TOO_MANY);
    assert_int_equal(
        api_fetch_snapshot_request_decode(1, golden_request_v0, sizeof(golden_request_v0), &req),
        KS_ERR_UNSUPPORTED_VERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_golden_both_ways),
        cmocka_unit_test(test_response_golden_both_ways),
        cmocka_unit_test(test_truncated_and_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
