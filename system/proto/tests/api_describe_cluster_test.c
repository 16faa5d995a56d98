/*
 * api_describe_cluster_test.c: DescribeCluster requests and responses round-tripped at
 * versions 0-1, golden bytes both ways for v0 and v1, every truncation rejected, and
 * garbage decoded without a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "system/proto/api_describe_cluster.h"
#include "system/proto/tests/group_codec_check.h"

static void request_free(struct api_describe_cluster_request *request)
{
    (void)request;
}

CODEC_ADAPT(request, struct api_describe_cluster_request, api_describe_cluster_request_encode,
            api_describe_cluster_request_decode, request_free);
CODEC_ADAPT(response, struct api_describe_cluster_response, api_describe_cluster_response_encode,
            api_describe_cluster_response_decode, api_describe_cluster_response_free);

static struct api_describe_cluster_broker brokers[2];

static void fixture(struct api_describe_cluster_response *resp)
{
    brokers[0] = (struct api_describe_cluster_broker){1, wire_string_from("127.0.0.1"), 9092,
                                                      wire_string_null()};
    brokers[1] = (struct api_describe_cluster_broker){2, wire_string_from("h2"), 9093,
                                                      wire_string_from("r1")};
    *resp = (struct api_describe_cluster_response){0,
                                                   0,
                                                   wire_string_null(),
                                                   API_DESCRIBE_CLUSTER_ENDPOINT_BROKERS,
                                                   wire_string_from("abc"),
                                                   1,
                                                   2,
                                                   brokers,
                                                   API_DESCRIBE_CLUSTER_AUTHORIZED_OPERATIONS_UNSET};
}

static void test_round_trip_every_version(void **state)
{
    struct api_describe_cluster_request req = {true, API_DESCRIBE_CLUSTER_ENDPOINT_BROKERS};
    struct api_describe_cluster_response resp;
    fixture(&resp);
    for (int16_t v = 0; v <= API_DESCRIBE_CLUSTER_VERSION_MAX; v++) {
        codec_check_round_trip(&codec_request, v, &req);
        codec_check_round_trip(&codec_response, v, &resp);
    }
}

/* v0: include operations false, tags. */
static const uint8_t golden_request_v0[] = {0x00, 0x00};
/* v1: include operations true, endpoint type 1, tags. */
static const uint8_t golden_request_v1[] = {0x01, 0x01, 0x00};
/* v0: throttle 0, error 0, null message, cluster "c", controller 1,
 * [(1, "h", 9092, null rack, tags)], operations INT32_MIN, tags. */
static const uint8_t golden_response_v0[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 'c',  0x00, 0x00, 0x00, 0x01, 0x02,
    0x00, 0x00, 0x00, 0x01, 0x02, 'h',  0x00, 0x00, 0x23, 0x84, 0x00, 0x00, 0x80, 0x00,
    0x00, 0x00, 0x00};
/* v1: as v0 with endpoint type 1 after the message. */
static const uint8_t golden_response_v1[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 'c',  0x00, 0x00, 0x00, 0x01,
    0x02, 0x00, 0x00, 0x00, 0x01, 0x02, 'h',  0x00, 0x00, 0x23, 0x84, 0x00, 0x00, 0x80,
    0x00, 0x00, 0x00, 0x00};

static void test_golden(void **state)
{
    struct api_describe_cluster_request req0 = {false, API_DESCRIBE_CLUSTER_ENDPOINT_BROKERS};
    struct api_describe_cluster_request req1 = {true, API_DESCRIBE_CLUSTER_ENDPOINT_BROKERS};
    codec_check_golden(&codec_request, 0, &req0, golden_request_v0, sizeof(golden_request_v0));
    codec_check_golden(&codec_request, 1, &req1, golden_request_v1, sizeof(golden_request_v1));
    struct api_describe_cluster_broker b = {1, wire_string_from("h"), 9092, wire_string_null()};
    struct api_describe_cluster_response resp = {
        0, 0, wire_string_null(), API_DESCRIBE_CLUSTER_ENDPOINT_BROKERS, wire_string_from("c"), 1,
        1, &b, API_DESCRIBE_CLUSTER_AUTHORIZED_OPERATIONS_UNSET};
    codec_check_golden(&codec_response, 0, &resp, golden_response_v0, sizeof(golden_response_v0));
    codec_check_golden(&codec_response, 1, &resp, golden_response_v1, sizeof(golden_response_v1));
}

static void test_garbage(void **state)
{
    codec_check_garbage(&codec_request, 0, API_DESCRIBE_CLUSTER_VERSION_MAX, golden_request_v1,
                        sizeof(golden_request_v1));
    codec_check_garbage(&codec_response, 0, API_DESCRIBE_CLUSTER_VERSION_MAX, golden_response_v1,
                        sizeof(golden_response_v1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_version),
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
