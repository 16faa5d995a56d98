/*
 * api_end_quorum_epoch_test.c: EndQuorumEpoch (key 54) v0 golden bytes both ways with
 * preferred successors, the response, truncated prefixes, too many successors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "system/proto/api_end_quorum_epoch.h"

#define TOPIC_BYTES                                                                                \
    '_', '_', 'c', 'l', 'u', 's', 't', 'e', 'r', '_', 'm', 'e', 't', 'a', 'd', 'a', 't', 'a'

/* v0: cluster id "c", partition 0, leader 1 resigning epoch 4, successors [3, 2]. */
static const uint8_t golden_request_v0[] = {
    0, 1, 'c',                                       /* ClusterId */
    0, 0, 0,   1, 0, 18, TOPIC_BYTES,                /* Topics: 1, TopicName */
    0, 0, 0,   1,                                    /* Partitions: 1 */
    0, 0, 0,   0,                                    /* PartitionIndex */
    0, 0, 0,   1,                                    /* LeaderId */
    0, 0, 0,   4,                                    /* LeaderEpoch */
    0, 0, 0,   2, 0, 0,  0,           3, 0, 0, 0, 2, /* PreferredSuccessors */
};

static const uint8_t golden_response_v0[] = {
    0, 0, 0, 0, 0, 1, 0, 18, TOPIC_BYTES, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4,
};

static void test_request_golden_both_ways(void **state)
{
    struct api_end_quorum_epoch_request req = {
        .cluster_id = wire_string_from("c"),
        .has_partition = true,
        .topic_name = wire_string_from("__cluster_metadata"),
        .leader_id = 1,
        .leader_epoch = 4,
        .preferred_successor_count = 2,
        .preferred_successors = {3, 2},
    };
    struct wire_writer w;
    wire_writer_init(&w);
    api_end_quorum_epoch_request_encode(&w, 0, &req);
    assert_int_equal(w.err, KS_OK);
    assert_int_equal(w.size_bytes, sizeof(golden_request_v0));
    assert_memory_equal(w.bytes, golden_request_v0, sizeof(golden_request_v0));
    wire_writer_free(&w);
    struct api_end_quorum_epoch_request out;
    assert_int_equal(
        api_end_quorum_epoch_request_decode(0, golden_request_v0, sizeof(golden_request_v0), &out),
        KS_OK);
    assert_true(wire_string_equal_cstr(out.cluster_id, "c"));
    assert_int_equal(out.leader_id, 1);
    assert_int_equal(out.leader_epoch, 4);
    assert_int_equal(out.preferred_successor_count, 2);
    assert_int_equal(out.preferred_successors[0], 3);
    assert_int_equal(out.preferred_successors[1], 2);
}

static void test_response_golden_both_ways(void **state)
{
    struct api_end_quorum_epoch_response resp = {
        .has_partition = true,
        .topic_name = wire_string_from("__cluster_metadata"),
        .leader_id = 1,
        .leader_epoch = 4,
    };
    struct wire_writer w;
    wire_writer_init(&w);
    api_end_quorum_epoch_response_encode(&w, 0, &resp);
    assert_int_equal(w.size_bytes, sizeof(golden_response_v0));
    assert_memory_equal(w.bytes, golden_response_v0, sizeof(golden_response_v0));
    wire_writer_free(&w);
    struct api_end_quorum_epoch_response out;
    assert_int_equal(api_end_quorum_epoch_response_decode(0, golden_response_v0,
                                                          sizeof(golden_response_v0), &out),
                     KS_OK);
    assert_int_equal(out.leader_id, 1);
}

static void test_truncated_and_bad_input(void **state)
{
    struct api_end_quorum_epoch_request req;
    for (uint32_t n = 0; n < sizeof(golden_request_v0); n++)
        assert_int_not_equal(api_end_quorum_epoch_request_decode(0, golden_request_v0, n, &req),
                             KS_OK);
    /* 17 successors: past the named limit. */
    uint8_t many[sizeof(golden_request_v0) - 12 + 4 + 17 * 4];
    memset(many, 0, sizeof(many));
    memcpy(many, golden_request_v0, sizeof(golden_request_v0) - 12);
    many[sizeof(golden_request_v0) - 12 + 3] = 17;
    assert_int_equal(api_end_quorum_epoch_request_decode(0, many, sizeof(many), &req),
                     KS_ERR_TOO_MANY);
    struct api_end_quorum_epoch_response resp;
    for (uint32_t n = 0; n < sizeof(golden_response_v0); n++)
        assert_int_not_equal(api_end_quorum_epoch_response_decode(0, golden_response_v0, n, &resp),
                             KS_OK);
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
