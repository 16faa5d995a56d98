/*
 * api_leave_group_test.c: LeaveGroup requests and responses round-tripped at every
 * version 0-5, golden bytes both ways for v0 (classic, one member) and v4 (flexible,
 * batch), what a version cannot carry (several members or an instance id below v3,
 * member results below v3), and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "system/proto/api_leave_group.h"
#include "system/proto/tests/group_codec_check.h"

CODEC_ADAPT(request, struct api_leave_group_request, api_leave_group_request_encode,
            api_leave_group_request_decode, api_leave_group_request_free);
CODEC_ADAPT(response, struct api_leave_group_response, api_leave_group_response_encode,
            api_leave_group_response_decode, api_leave_group_response_free);

static struct api_leave_group_member members[2];
static struct api_leave_group_member_response member_results[2];

static void fixture(struct api_leave_group_request *req, struct api_leave_group_response *resp,
                    int16_t v)
{
    bool batched = v >= API_LEAVE_GROUP_BATCH_VERSION_FIRST;
    members[0] = (struct api_leave_group_member){wire_string_from("m1"),
                                                 wire_string_from(batched ? "static-1" : NULL),
                                                 wire_string_from(v >= 5 ? "bye" : NULL)};
    members[1] = (struct api_leave_group_member){wire_string_from("m2"), wire_string_null(),
                                                 wire_string_null()};
    *req = (struct api_leave_group_request){wire_string_from("g"), batched ? 2 : 1, members};
    member_results[0] =
        (struct api_leave_group_member_response){wire_string_from("m1"), wire_string_null(), 0};
    member_results[1] = (struct api_leave_group_member_response){wire_string_from("m2"),
                                                                 wire_string_from("static-2"), 25};
    *resp = (struct api_leave_group_response){v >= 1 ? 4 : 0, 0, batched ? 2 : 0, member_results};
}

static void test_round_trip_every_version(void **state)
{
    struct api_leave_group_request req;
    struct api_leave_group_response resp;
    for (int16_t v = 0; v <= API_LEAVE_GROUP_VERSION_MAX; v++) {
        fixture(&req, &resp, v);
        codec_check_round_trip(&codec_request, v, &req);
        codec_check_round_trip(&codec_response, v, &resp);
    }
}

/* v0: "g", member "m1". */
static const uint8_t golden_request_v0[] = {0x00, 0x01, 'g', 0x00, 0x02, 'm', '1'};
/* v4: "g", [("m1", "static-1")], tags. */
static const uint8_t golden_request_v4[] = {0x02, 'g', 0x02, 0x03, 'm', '1', 0x09, 's', 't',
                                            'a',  't', 'i',  'c',  '-', '1', 0x00, 0x00};
/* v0: UNKNOWN_MEMBER_ID (25). */
static const uint8_t golden_response_v0[] = {0x00, 0x19};
/* v4: throttle 0, no error, [("m1", null, 0)]. */
static const uint8_t golden_response_v4[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03,
                                             'm',  '1',  0x00, 0x00, 0x00, 0x00, 0x00};

static void test_golden(void **state)
{
    struct api_leave_group_request req;
    struct api_leave_group_response resp;
    fixture(&req, &resp, 0);
    codec_check_golden(&codec_request, 0, &req, golden_request_v0, sizeof(golden_request_v0));
    resp.error_code = 25;
    codec_check_golden(&codec_response, 0, &resp, golden_response_v0, sizeof(golden_response_v0));
    fixture(&req, &resp, 4);
    req.member_count = 1;
    codec_check_golden(&codec_request, 4, &req, golden_request_v4, sizeof(golden_request_v4));
    resp.throttle_time_ms = 0;
    resp.member_count = 1;
    codec_check_golden(&codec_response, 4, &resp, golden_response_v4, sizeof(golden_response_v4));
}

static void test_what_a_version_cannot_carry(void **state)
{
    struct api_leave_group_request req;
    struct api_leave_group_response resp;
    fixture(&req, &resp, 5);
    codec_check_encode_fails(&codec_request, 2, &req, KS_ERR_UNSUPPORTED_VERSION);
    req.member_count = 1; /* one member, but with an instance id */
    codec_check_encode_fails(&codec_request, 2, &req, KS_ERR_UNSUPPORTED_VERSION);
    codec_check_encode_fails(&codec_response, 2, &resp, KS_ERR_UNSUPPORTED_VERSION);
}

static void test_garbage(void **state)
{
    codec_check_garbage(&codec_request, 0, API_LEAVE_GROUP_VERSION_MAX, golden_request_v4,
                        sizeof(golden_request_v4));
    codec_check_garbage(&codec_response, 0, API_LEAVE_GROUP_VERSION_MAX, golden_response_v4,
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
