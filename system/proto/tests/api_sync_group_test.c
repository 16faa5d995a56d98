/*
 * api_sync_group_test.c: SyncGroup requests and responses round-tripped at every
 * version 0-5, golden bytes both ways for v0 (classic) and v5 (flexible), a group
 * instance id below v3, and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "system/proto/api_sync_group.h"
#include "system/proto/tests/group_codec_check.h"

CODEC_ADAPT(request, struct api_sync_group_request, api_sync_group_request_encode,
            api_sync_group_request_decode, api_sync_group_request_free);
CODEC_ADAPT(response, struct api_sync_group_response, api_sync_group_response_encode,
            api_sync_group_response_decode, codec_free_nothing);

static const uint8_t assignment_a[] = {0x0a};
static struct api_sync_group_assignment assignments[2];

static void fixture(struct api_sync_group_request *req, struct api_sync_group_response *resp,
                    int16_t v)
{
    assignments[0] = (struct api_sync_group_assignment){wire_string_from("m1"), {assignment_a, 1}};
    assignments[1] = (struct api_sync_group_assignment){wire_string_from("m2"), {assignment_a, 0}};
    *req = (struct api_sync_group_request){wire_string_from("g"),
                                           1,
                                           wire_string_from("m1"),
                                           wire_string_from(v >= 3 ? "static-1" : NULL),
                                           wire_string_from(v >= 5 ? "consumer" : NULL),
                                           wire_string_from(v >= 5 ? "range" : NULL),
                                           2,
                                           assignments};
    *resp = (struct api_sync_group_response){v >= 1 ? 2 : 0,
                                             0,
                                             wire_string_from(v >= 5 ? "consumer" : NULL),
                                             wire_string_from(v >= 5 ? "range" : NULL),
                                             {assignment_a, 1}};
}

static void test_round_trip_every_version(void **state)
{
    struct api_sync_group_request req;
    struct api_sync_group_response resp;
    for (int16_t v = 0; v <= API_SYNC_GROUP_VERSION_MAX; v++) {
        fixture(&req, &resp, v);
        codec_check_round_trip(&codec_request, v, &req);
        codec_check_round_trip(&codec_response, v, &resp);
    }
}

/* v0: "g", generation 1, "m1", [("m1", 0a)]. */
static const uint8_t golden_request_v0[] = {0x00, 0x01, 'g', 0x00, 0x00, 0x00, 0x01, 0x00,
                                            0x02, 'm',  '1', 0x00, 0x00, 0x00, 0x01, 0x00,
                                            0x02, 'm',  '1', 0x00, 0x00, 0x00, 0x01, 0x0a};
/* v5: "g", generation 1, "m1", null instance, "consumer", "range", [("m1", 0a)]. */
static const uint8_t golden_request_v5[] = {
    0x02, 'g', 0x00, 0x00, 0x00, 0x01, 0x03, 'm', '1',  0x00, 0x09, 'c', 'o',  'n',  's',  'u', 'm',
    'e',  'r', 0x06, 'r',  'a',  'n',  'g',  'e', 0x02, 0x03, 'm',  '1', 0x02, 0x0a, 0x00, 0x00};
/* v0: no error, assignment 0a. */
static const uint8_t golden_response_v0[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0a};
/* v5: throttle 2, no error, "consumer", "range", assignment 0a. */
static const uint8_t golden_response_v5[] = {0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x09, 'c',
                                             'o',  'n',  's',  'u',  'm',  'e',  'r',  0x06,
                                             'r',  'a',  'n',  'g',  'e',  0x02, 0x0a, 0x00};

static void test_golden(void **state)
{
    struct api_sync_group_request req;
    struct api_sync_group_response resp;
    fixture(&req, &resp, 0);
    req.assignment_count = 1;
    codec_check_golden(&codec_request, 0, &req, golden_request_v0, sizeof(golden_request_v0));
    codec_check_golden(&codec_response, 0, &resp, golden_response_v0, sizeof(golden_response_v0));
    fixture(&req, &resp, 5);
    req.assignment_count = 1;
    req.group_instance_id = wire_string_null();
    codec_check_golden(&codec_request, 5, &req, golden_request_v5, sizeof(golden_request_v5));
    codec_check_golden(&codec_response, 5, &resp, golden_response_v5, sizeof(golden_response_v5));
}

static void test_what_a_version_cannot_carry(void **state)
{
    struct api_sync_group_request req;
    struct api_sync_group_response resp;
    fixture(&req, &resp, 5);
    codec_check_encode_fails(&codec_request, 2, &req, KS_ERR_UNSUPPORTED_VERSION);
    req.group_instance_id = wire_string_null();
    codec_check_round_trip(&codec_request, 2, &req); /* protocol type, name: ignorable */
}

static void test_garbage(void **state)
{
    codec_check_garbage(&codec_request, 0, API_SYNC_GROUP_VERSION_MAX, golden_request_v5,
                        sizeof(golden_request_v5));
    codec_check_garbage(&codec_response, 0, API_SYNC_GROUP_VERSION_MAX, golden_response_v5,
                        sizeof(golden_response_v5));
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
