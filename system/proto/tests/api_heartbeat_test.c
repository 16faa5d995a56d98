/*
 * api_heartbeat_test.c: Heartbeat requests and responses round-tripped at every version
 * 0-4, golden bytes both ways for v0 (classic) and v4 (flexible), a group instance id
 * below v3, and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "system/proto/api_heartbeat.h"
#include "system/proto/tests/group_codec_check.h"

CODEC_ADAPT(request, struct api_heartbeat_request, api_heartbeat_request_encode,
            api_heartbeat_request_decode, codec_free_nothing);
CODEC_ADAPT(response, struct api_heartbeat_response, api_heartbeat_response_encode,
            api_heartbeat_response_decode, codec_free_nothing);

static void fixture(struct api_heartbeat_request *req, struct api_heartbeat_response *resp,
                    int16_t v)
{
    *req = (struct api_heartbeat_request){wire_string_from("g"), 7, wire_string_from("m1"),
                                          wire_string_from(v >= 3 ? "static-1" : NULL)};
    *resp = (struct api_heartbeat_response){v >= 1 ? 1 : 0, 27};
}

static void test_round_trip_every_version(void **state)
{
    struct api_heartbeat_request req;
    struct api_heartbeat_response resp;
    for (int16_t v = 0; v <= API_HEARTBEAT_VERSION_MAX; v++) {
        fixture(&req, &resp, v);
        codec_check_round_trip(&codec_request, v, &req);
        codec_check_round_trip(&codec_response, v, &resp);
    }
}

/* v0: "g", generation 7, "m1". */
static const uint8_t golden_request_v0[] = {0x00, 0x01, 'g',  0x00, 0x00, 0x00,
                                            0x07, 0x00, 0x02, 'm',  '1'};
/* v4: "g", generation 7, "m1", "static-1", no tags. */
static const uint8_t golden_request_v4[] = {0x02, 'g', 0x00, 0x00, 0x00, 0x07, 0x03, 'm', '1', 0x09,
                                            's',  't', 'a',  't',  'i',  'c',  '-',  '1', 0x00};
/* v0: REBALANCE_IN_PROGRESS (27). */
static const uint8_t golden_response_v0[] = {0x00, 0x1b};
/* v4: throttle 1, error 27, no tags. */
static const uint8_t golden_response_v4[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x1b, 0x00};

static void test_golden(void **state)
{
    struct api_heartbeat_request req;
    struct api_heartbeat_response resp;
    fixture(&req, &resp, 0);
    codec_check_golden(&codec_request, 0, &req, golden_request_v0, sizeof(golden_request_v0));
    codec_check_golden(&codec_response, 0, &resp, golden_response_v0, sizeof(golden_response_v0));
    fixture(&req, &resp, 4);
    codec_check_golden(&codec_request, 4, &req, golden_request_v4, sizeof(golden_request_v4));
    codec_check_golden(&codec_response, 4, &resp, golden_response_v4, sizeof(golden_response_v4));
}

static void test_what_a_version_cannot_carry(void **state)
{
    struct api_heartbeat_request req;
    struct api_heartbeat_response resp;
    fixture(&req, &resp, 4);
    codec_check_encode_fails(&codec_request, 2, &req, KS_ERR_UNSUPPORTED_VERSION);
}

static void test_garbage(void **state)
{
    codec_check_garbage(&codec_request, 0, API_HEARTBEAT_VERSION_MAX, golden_request_v4,
                        sizeof(golden_request_v4));
    codec_check_garbage(&codec_response, 0, API_HEARTBEAT_VERSION_MAX, golden_response_v4,
                        sizeof(golden_response_v4));
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
