/*
 * api_list_groups_test.c: ListGroups requests and responses round-tripped at every
 * version 0-5, golden bytes both ways for v0 (classic) and v4 (flexible, states
 * filter), filters a version cannot carry, and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "system/proto/api_list_groups.h"
#include "system/proto/tests/group_codec_check.h"

CODEC_ADAPT(request, struct api_list_groups_request, api_list_groups_request_encode,
            api_list_groups_request_decode, api_list_groups_request_free);
CODEC_ADAPT(response, struct api_list_groups_response, api_list_groups_response_encode,
            api_list_groups_response_decode, api_list_groups_response_free);

static struct wire_string states[2];
static struct wire_string types[1];
static struct api_list_groups_group groups[2];

static void fixture(struct api_list_groups_request *req, struct api_list_groups_response *resp,
                    int16_t v)
{
    states[0] = wire_string_from("Stable");
    states[1] = wire_string_from("Empty");
    types[0] = wire_string_from("classic");
    *req = (struct api_list_groups_request){v >= 4 ? 2 : 0, states, v >= 5 ? 1 : 0, types};
    groups[0] = (struct api_list_groups_group){wire_string_from("g"), wire_string_from("consumer"),
                                               wire_string_from(v >= 4 ? "Stable" : ""),
                                               wire_string_from(v >= 5 ? "classic" : "")};
    groups[1] = (struct api_list_groups_group){wire_string_from("h"), wire_string_from(""),
                                               wire_string_from(v >= 4 ? "Empty" : ""),
                                               wire_string_from("")};
    *resp = (struct api_list_groups_response){v >= 1 ? 1 : 0, 0, 2, groups};
}

static void test_round_trip_every_version(void **state)
{
    struct api_list_groups_request req;
    struct api_list_groups_response resp;
    for (int16_t v = 0; v <= API_LIST_GROUPS_VERSION_MAX; v++) {
        fixture(&req, &resp, v);
        if (v > 0) /* v0 requests are empty: nothing to cut */
            codec_check_round_trip(&codec_request, v, &req);
        codec_check_round_trip(&codec_response, v, &resp);
    }
}

/* v4: states filter ["Stable"], tags. */
static const uint8_t golden_request_v4[] = {0x02, 0x07, 'S', 't', 'a', 'b', 'l', 'e', 0x00};
/* v0: no error, [("g", "consumer")]. */
static const uint8_t golden_response_v0[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
                                             0x01, 'g',  0x00, 0x08, 'c',  'o',  'n',
                                             's',  'u',  'm',  'e',  'r'};
/* v4: throttle 0, no error, [("g", "consumer", "Stable")]. */
static const uint8_t golden_response_v4[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 'g',
                                             0x09, 'c',  'o',  'n',  's',  'u',  'm',  'e',  'r',
                                             0x07, 'S',  't',  'a',  'b',  'l',  'e',  0x00, 0x00};

static void test_golden(void **state)
{
    struct api_list_groups_request req;
    struct api_list_groups_response resp;
    fixture(&req, &resp, 0);
    codec_check_golden(&codec_request, 0, &req, NULL, 0);
    resp.group_count = 1;
    codec_check_golden(&codec_response, 0, &resp, golden_response_v0, sizeof(golden_response_v0));
    fixture(&req, &resp, 4);
    req.states_filter_count = 1;
    codec_check_golden(&codec_request, 4, &req, golden_request_v4, sizeof(golden_request_v4));
    resp.throttle_time_ms = 0;
    resp.group_count = 1;
    codec_check_golden(&codec_response, 4, &resp, golden_response_v4, sizeof(golden_response_v4));
}

static void test_what_a_version_cannot_carry(void **state)
{
    struct api_list_groups_request req;
    struct api_list_groups_response resp;
    fixture(&req, &resp, 5);
    codec_check_encode_fails(&codec_request, 4, &req, KS_ERR_UNSUPPORTED_VERSION);
    req.types_filter_count = 0;
    codec_check_encode_fails(&codec_request, 3, &req, KS_ERR_UNSUPPORTED_VERSION);
}

static void test_garbage(void **state)
{
    codec_check_garbage(&codec_request, 0, API_LIST_GROUPS_VERSION_MAX, golden_request_v4,
                        sizeof(golden_request_v4));
    codec_check_garbage(&codec_response, 0, API_LIST_GROUPS_VERSION_MAX, golden_response_v4,
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
