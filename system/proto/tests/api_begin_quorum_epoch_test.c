/*
 * api_begin_quorum_epoch_test.c: BeginQuorumEpoch (key 53) v0 golden bytes both ways,
 * request and response, every truncated prefix failing cleanly, two partitions refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "system/proto/api_begin_quorum_epoch.h"

#define TOPIC_BYTES                                                                                \
    '_', '_', 'c', 'l', 'u', 's', 't', 'e', 'r', '_', 'm', 'e', 't', 'a', 'd', 'a', 't', 'a'

/* v0: null cluster id, one topic, partition 0, leader 3, epoch 7. */
static const uint8_t golden_request_v0[] = {
    0xff, 0xff,                           /* ClusterId: null */
    0,    0,    0, 1, 0, 18, TOPIC_BYTES, /* Topics: 1, TopicName */
    0,    0,    0, 1,                     /* Partitions: 1 */
    0,    0,    0, 0,                     /* PartitionIndex */
    0,    0,    0, 3,                     /* LeaderId */
    0,    0,    0, 7,                     /* LeaderEpoch */
};

/* Response: no error; partition 0 FENCED_LEADER_EPOCH (74), leader 3, epoch 8. */
static const uint8_t golden_response_v0[] = {
    0, 0, 0, 0, 0, 1, 0, 18, TOPIC_BYTES, 0, 0, 0, 1, 0, 0, 0, 0, 0, 74, 0, 0, 0, 3, 0, 0, 0, 8,
};

static void test_request_golden_both_ways(void **state)
{
    struct api_begin_quorum_epoch_request req = {
        .cluster_id = wire_string_null(),
        .has_partition = true,
        .topic_name = wire_string_from("__cluster_metadata"),
        .leader_id = 3,
        .leader_epoch = 7,
    };
    struct wire_writer w;
    wire_writer_init(&w);
    api_begin_quorum_epoch_request_encode(&w, 0, &req);
    assert_int_equal(w.err, KS_OK);
    assert_int_equal(w.size_bytes, sizeof(golden_request_v0));
    assert_memory_equal(w.bytes, golden_request_v0, sizeof(golden_request_v0));
    wire_writer_free(&w);
    struct api_begin_quorum_epoch_request out;
    assert_int_equal(api_begin_quorum_epoch_request_decode(0, golden_request_v0,
                                                           sizeof(golden_request_v0), &out),
                     KS_OK);
    assert_true(out.has_partition);
    assert_true(wire_string_is_null(out.cluster_id));
    assert_true(wire_string_equal_cstr(out.topic_name, "__cluster_metadata"));
    assert_int_equal(out.leader_id, 3);
    assert_int_equal(out.leader_epoch, 7);
}

static void test_response_golden_both_ways(void **state)
{
    struct api_begin_quorum_epoch_response resp = {
        .has_partition = true,
        .topic_name = wire_string_from("__cluster_metadata"),
        .partition_error_code = KS_ERR_FENCED_LEADER_EPOCH,
        .leader_id = 3,
        .leader_epoch = 8,
    };
    struct wire_writer w;
    wire_writer_init(&w);
    api_begin_quorum_epoch_response_encode(&w, 0, &resp);
    assert_int_equal(w.size_bytes, sizeof(golden_response_v0));
    assert_memory_equal(w.bytes, golden_response_v0, sizeof(golden_response_v0));
    wire_writer_free(&w);
    struct api_begin_quorum_epoch_response out;
    assert_int_equal(api_begin_quorum_epoch_response_decode(0, golden_response_v0,
                                                            sizeof(golden_response_v0), &out),
                     KS_OK);
    assert_int_equal(out.partition_error_code, KS_ERR_FENCED_LEADER_EPOCH);
    assert_int_equal(out.leader_epoch, 8);
}

static void test_truncated_and_bad_input(void **state)
{
    struct api_begin_quorum_epoch_request req;
    struct api_begin_quorum_epoch_response resp;
    for (uint32_t n = 0; n < sizeof(golden_request_v0); n++)
        assert_int_not_equal(api_begin_quorum_epoch_request_decode(0, golden_request_v0, n, &req),
                             KS_OK);
    for (uint32_t n = 0; n < sizeof(golden_response_v0); n++)
        assert_int_not_equal(
            api_begin_quorum_epoch_response_decode(0, golden_response_v0, n, &resp), KS_OK);
    uint8_t two[sizeof(golden_request_v0) + 12];
    memcpy(two, golden_request_v0, sizeof(golden_request_v0));
    memset(two + sizeof(golden_request_v0), 0, 12);
    two[2 + 4 + 2 + 18 + 3] = 2; /* Partitions: 2 */
    assert_int_equal(api_begin_quorum_epoch_request_decode(0, two, sizeof(two), &req),
                     KS_ERR_TOO_MANY);
    assert_int_equal(api_begin_quorum_epoch_request_decode(1, golden_request_v0,
                                                           sizeof(golden_request_v0), &req),
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
