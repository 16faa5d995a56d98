/*
 * api_offset_commit_test.c: OffsetCommit requests and responses round-tripped at every
 * version 0-9 (v1's commit timestamp, v2-4's retention, v6's leader epoch), golden
 * bytes both ways for v2 (classic) and v8 (flexible), defaults of absent fields, what
 * a version cannot carry, and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "system/proto/api_offset_commit.h"
#include "system/proto/tests/group_codec_check.h"

CODEC_ADAPT(request, struct api_offset_commit_request, api_offset_commit_request_encode,
            api_offset_commit_request_decode, api_offset_commit_request_free);
CODEC_ADAPT(response, struct api_offset_commit_response, api_offset_commit_response_encode,
            api_offset_commit_response_decode, api_offset_commit_response_free);

static struct api_offset_commit_request_partition req_partitions[2];
static struct api_offset_commit_request_topic req_topics[2];
static struct api_offset_commit_response_partition resp_partitions[2];
static struct api_offset_commit_response_topic resp_topics[2];

static void fixture(struct api_offset_commit_request *req, struct api_offset_commit_response *resp,
                    int16_t v)
{
    req_partitions[0] = (struct api_offset_commit_request_partition){
        0, 42, v >= 6 ? 5 : -1, v == 1 ? 1700000000000 : -1, wire_string_from("")};
    req_partitions[1] =
        (struct api_offset_commit_request_partition){3, 1LL << 40, -1, -1, wire_string_null()};
    req_topics[0] =
        (struct api_offset_commit_request_topic){wire_string_from("t"), 2, req_partitions};
    req_topics[1] = (struct api_offset_commit_request_topic){wire_string_from("u"), 0, NULL};
    *req = (struct api_offset_commit_request){wire_string_from("g"),
                                              v >= 1 ? 1 : -1,
                                              wire_string_from(v >= 1 ? "m1" : ""),
                                              wire_string_from(v >= 7 ? "static-1" : NULL),
                                              v >= 2 && v <= 4 ? 86400000 : -1,
                                              2,
                                              req_topics};
    resp_partitions[0] = (struct api_offset_commit_response_partition){0, 0};
    resp_partitions[1] = (struct api_offset_commit_response_partition){3, 22};
    resp_topics[0] =
        (struct api_offset_commit_response_topic){wire_string_from("t"), 2, resp_partitions};
    resp_topics[1] = (struct api_offset_commit_response_topic){wire_string_from("u"), 0, NULL};
    *resp = (struct api_offset_commit_response){v >= 3 ? 9 : 0, 2, resp_topics};
}

static void test_round_trip_every_version(void **state)
{
    struct api_offset_commit_request req;
    struct api_offset_commit_response resp;
    for (int16_t v = 0; v <= API_OFFSET_COMMIT_VERSION_MAX; v++) {
        fixture(&req, &resp, v);
        codec_check_round_trip(&codec_request, v, &req);
        codec_check_round_trip(&codec_response, v, &resp);
    }
}

/* v2: "g", generation 1, "m1", retention -1, [("t", [(0, 42, "")])]. */
static const uint8_t golden_request_v2[] = {
    0x00, 0x01, 'g',  0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 'm',  '1',  0xff, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't',  0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00};
/* v8: "g", generation 1, "m1", null instance, [("t", [(0, 42, epoch 5, null)])]. */
static const uint8_t golden_request_v8[] = {0x02, 'g',  0x00, 0x00, 0x00, 0x01, 0x03, 'm',  '1',
                                            0x00, 0x02, 0x02, 't',  0x02, 0x00, 0x00, 0x00, 0x00,
                                            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x00,
                                            0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00};
/* v2: [("t", [(0, no error)])]. */
static const uint8_t golden_response_v2[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't',  0x00, 0x00,
                                             0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
/* v8: throttle 0, [("t", [(0, no error)])]. */
static const uint8_t golden_response_v8[] = {0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 't',  0x02, 0x00,
                                             0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

static void test_golden(void **state)
{
    struct api_offset_commit_request req;
    struct api_offset_commit_response resp;
    fixture(&req, &resp, 2);
    req.retention_time_ms = -1;
    req.topic_count = 1;
    req_topics[0].partition_count = 1;
    codec_check_golden(&codec_request, 2, &req, golden_request_v2, sizeof(golden_request_v2));
    resp.topic_count = 1;
    resp_topics[0].partition_count = 1;
    codec_check_golden(&codec_response, 2, &resp, golden_response_v2, sizeof(golden_response_v2));
    fixture(&req, &resp, 8);
    req.group_instance_id = wire_string_null();
    req.topic_count = 1;
    req_topics[0].partition_count = 1;
    req_partitions[0].committed_metadata = wire_string_null();
    codec_check_golden(&codec_request, 8, &req, golden_request_v8, sizeof(golden_request_v8));
    resp.throttle_time_ms = 0;
    resp.topic_count = 1;
    resp_topics[0].partition_count = 1;
    codec_check_golden(&codec_response, 8, &resp, golden_response_v8, sizeof(golden_response_v8));
}

static void test_defaults_of_absent_fields(void **state)
{
    struct api_offset_commit_request req;
    assert_int_equal(
        api_offset_commit_request_decode(2, golden_request_v2, sizeof(golden_request_v2), &req),
        KS_OK);
    assert_int_equal(req.topics[0].partitions[0].committed_leader_epoch, -1);
    assert_int_equal(req.topics[0].partitions[0].commit_timestamp, -1);
    assert_true(wire_string_is_null(req.group_instance_id));
    assert_int_equal(req.topics[0].partitions[0].committed_offset, 42);
    api_offset_commit_request_free(&req);
}

static void test_what_a_version_cannot_carry(void **state)
{
    struct api_offset_commit_request req;
    struct api_offset_commit_response resp;
    fixture(&req, &resp, 7);
    codec_check_encode_fails(&codec_request, 6, &req, KS_ERR_UNSUPPORTED_VERSION);
    fixture(&req, &resp, 1);
    codec_check_encode_fails(&codec_request, 2, &req, KS_ERR_UNSUPPORTED_VERSION);
}

static void test_garbage(void **state)
{
    codec_check_garbage(&codec_request, 0, API_OFFSET_COMMIT_VERSION_MAX, golden_request_v8,
                        sizeof(golden_request_v8));
    codec_check_garbage(&codec_response, 0, API_OFFSET_COMMIT_VERSION_MAX, golden_response_v8,
                        sizeof(golden_response_v8));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_version),
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_defaults_of_absent_fields),
        cmocka_unit_test(test_what_a_version_cannot_carry),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
