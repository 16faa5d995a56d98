/*
 * api_offset_fetch_test.c: OffsetFetch requests and responses round-tripped at every
 * version 0-9 (one group below v8, batches from v8, null topics from v2), golden bytes
 * both ways for v1 (classic) and v8 (flexible, batched), what a version cannot carry,
 * and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "system/proto/api_offset_fetch.h"
#include "system/proto/tests/group_codec_check.h"

CODEC_ADAPT(request, struct api_offset_fetch_request, api_offset_fetch_request_encode,
            api_offset_fetch_request_decode, api_offset_fetch_request_free);
CODEC_ADAPT(response, struct api_offset_fetch_response, api_offset_fetch_response_encode,
            api_offset_fetch_response_decode, api_offset_fetch_response_free);

static int32_t indexes[] = {0, 1};
static struct api_offset_fetch_request_topic req_topics[1];
static struct api_offset_fetch_request_group req_groups[2];
static struct api_offset_fetch_response_partition resp_partitions[2];
static struct api_offset_fetch_response_topic resp_topics[1];
static struct api_offset_fetch_response_group resp_groups[2];

static void fixture(struct api_offset_fetch_request *req, struct api_offset_fetch_response *resp,
                    int16_t v)
{
    bool batched = v >= API_OFFSET_FETCH_BATCH_VERSION_FIRST;
    req_topics[0] = (struct api_offset_fetch_request_topic){wire_string_from("t"), 2, indexes};
    req_groups[0] = (struct api_offset_fetch_request_group){wire_string_from("g"),
                                                            wire_string_from(v >= 9 ? "m1" : NULL),
                                                            v >= 9 ? 3 : -1, 1, req_topics};
    req_groups[1] = (struct api_offset_fetch_request_group){wire_string_from("h"),
                                                            wire_string_null(), -1, -1, NULL};
    *req = (struct api_offset_fetch_request){batched ? 2 : 1, req_groups, v >= 7};
    resp_partitions[0] = (struct api_offset_fetch_response_partition){0, 42, v >= 5 ? 5 : -1,
                                                                      wire_string_from(""), 0};
    resp_partitions[1] =
        (struct api_offset_fetch_response_partition){1, -1, -1, wire_string_null(), 3};
    resp_topics[0] =
        (struct api_offset_fetch_response_topic){wire_string_from("t"), 2, resp_partitions};
    resp_groups[0] = (struct api_offset_fetch_response_group){wire_string_from(batched ? "g" : ""),
                                                              1, resp_topics, v >= 2 ? 14 : 0};
    resp_groups[1] = (struct api_offset_fetch_response_group){wire_string_from("h"), 0, NULL, 0};
    *resp = (struct api_offset_fetch_response){v >= 3 ? 6 : 0, batched ? 2 : 1, resp_groups};
}

static void test_round_trip_every_version(void **state)
{
    struct api_offset_fetch_request req;
    struct api_offset_fetch_response resp;
    for (int16_t v = 0; v <= API_OFFSET_FETCH_VERSION_MAX; v++) {
        fixture(&req, &resp, v);
        codec_check_round_trip(&codec_request, v, &req);
        codec_check_round_trip(&codec_response, v, &resp);
        if (v >= 2) { /* all topics */
            req_groups[0].topic_count = -1;
            codec_check_round_trip(&codec_request, v, &req);
        }
    }
}

/* v1: "g", [("t", [0])]. */
static const uint8_t golden_request_v1[] = {0x00, 0x01, 'g',  0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
                                            't',  0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00};
/* v8: [("g", null topics = all)], require stable. */
static const uint8_t golden_request_v8[] = {0x02, 0x02, 'g', 0x00, 0x00, 0x01, 0x00};
/* v1: [("t", [(0, 42, "", no error)])]. */
static const uint8_t golden_response_v1[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't',  0x00, 0x00,
                                             0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                             0x00, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x00};
/* v8: throttle 0, [("g", [("t", [(0, 42, epoch 5, null, 0)])], no error)]. */
static const uint8_t golden_response_v8[] = {0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 'g',  0x02, 0x02,
                                             't',  0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                             0x00, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x05,
                                             0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

static void test_golden(void **state)
{
    struct api_offset_fetch_request req;
    struct api_offset_fetch_response resp;
    fixture(&req, &resp, 1);
    req_topics[0].partition_count = 1;
    codec_check_golden(&codec_request, 1, &req, golden_request_v1, sizeof(golden_request_v1));
    resp_topics[0].partition_count = 1;
    codec_check_golden(&codec_response, 1, &resp, golden_response_v1, sizeof(golden_response_v1));
    fixture(&req, &resp, 8);
    req.group_count = 1;
    req_groups[0].topic_count = -1;
    codec_check_golden(&codec_request, 8, &req, golden_request_v8, sizeof(golden_request_v8));
    resp.throttle_time_ms = 0;
    resp.group_count = 1;
    resp_groups[0].error_code = 0;
    resp_topics[0].partition_count = 1;
    resp_partitions[0].metadata = wire_string_null();
    codec_check_golden(&codec_response, 8, &resp, golden_response_v8, sizeof(golden_response_v8));
}

static void test_what_a_version_cannot_carry(void **state)
{
    struct api_offset_fetch_request req;
    struct api_offset_fetch_response resp;
    fixture(&req, &resp, 8);
    codec_check_encode_fails(&codec_request, 7, &req, KS_ERR_UNSUPPORTED_VERSION); /* 2 groups */
    codec_check_encode_fails(&codec_response, 7, &resp, KS_ERR_UNSUPPORTED_VERSION);
    req.group_count = 1;
    codec_check_encode_fails(&codec_request, 6, &req, KS_ERR_UNSUPPORTED_VERSION); /* stable */
    req.require_stable = false;
    req_groups[0].topic_count = -1;
    codec_check_encode_fails(&codec_request, 1, &req, KS_ERR_UNSUPPORTED_VERSION); /* all */
}

static void test_garbage(void **state)
{
    codec_check_garbage(&codec_request, 0, API_OFFSET_FETCH_VERSION_MAX, golden_request_v1,
                        sizeof(golden_request_v1));
    codec_check_garbage(&codec_response, 0, API_OFFSET_FETCH_VERSION_MAX, golden_response_v8,
                        sizeof(golden_response_v8));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_version),
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_what_a_version_cannot_carry),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
