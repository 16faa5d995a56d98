/*
 * api_describe_groups_test.c: DescribeGroups requests and responses round-tripped at
 * every version 0-5, golden bytes both ways for v0 (classic) and v5 (flexible), what a
 * version cannot carry (authorized operations below v3), and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "system/proto/api_describe_groups.h"
#include "system/proto/tests/group_codec_check.h"

CODEC_ADAPT(request, struct api_describe_groups_request, api_describe_groups_request_encode,
            api_describe_groups_request_decode, api_describe_groups_request_free);
CODEC_ADAPT(response, struct api_describe_groups_response, api_describe_groups_response_encode,
            api_describe_groups_response_decode, api_describe_groups_response_free);

static const uint8_t bytes_ab[] = {0x0a, 0x0b};
static struct wire_string names[2];
static struct api_describe_groups_member members[2];
static struct api_describe_groups_group groups[2];

static void fixture(struct api_describe_groups_request *req,
                    struct api_describe_groups_response *resp, int16_t v)
{
    names[0] = wire_string_from("g");
    names[1] = wire_string_from("dead");
    *req = (struct api_describe_groups_request){2, names, v >= 3};
    members[0] = (struct api_describe_groups_member){wire_string_from("m1"), wire_string_null(),
                                                     wire_string_from("c"),  wire_string_from("h"),
                                                     {bytes_ab, 0},          {bytes_ab, 0}};
    members[1] = (struct api_describe_groups_member){
        wire_string_from("m2"), wire_string_from(v >= 4 ? "static-2" : NULL),
        wire_string_from("c2"), wire_string_from("/10.0.0.2"),
        {bytes_ab, 2},          {bytes_ab, 1}};
    groups[0] = (struct api_describe_groups_group){
        0,
        wire_string_from("g"),
        wire_string_from("Stable"),
        wire_string_from("consumer"),
        wire_string_from("range"),
        2,
        members,
        v >= 3 ? 0x0df8 : API_DESCRIBE_GROUPS_AUTHORIZED_OPERATIONS_UNSET};
    groups[1] = (struct api_describe_groups_group){69,
                                                   wire_string_from("dead"),
                                                   wire_string_from("Dead"),
                                                   wire_string_from(""),
                                                   wire_string_from(""),
                                                   0,
                                                   NULL,
                                                   API_DESCRIBE_GROUPS_AUTHORIZED_OPERATIONS_UNSET};
    *resp = (struct api_describe_groups_response){v >= 1 ? 8 : 0, 2, groups};
}

static void test_round_trip_every_version(void **state)
{
    struct api_describe_groups_request req;
    struct api_describe_groups_response resp;
    for (int16_t v = 0; v <= API_DESCRIBE_GROUPS_VERSION_MAX; v++) {
        fixture(&req, &resp, v);
        codec_check_round_trip(&codec_request, v, &req);
        codec_check_round_trip(&codec_response, v, &resp);
    }
}

/* v0: ["g"]. */
static const uint8_t golden_request_v0[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'g'};
/* v5: ["g"], include authorized operations, tags. */
static const uint8_t golden_request_v5[] = {0x02, 0x02, 'g', 0x01, 0x00};
/* v0: [(no error, "g", "Stable", "consumer", "range", [])]. */
static const uint8_t golden_response_v0[] = {
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 'g',  0x00, 0x06, 'S', 't',
    'a',  'b',  'l',  'e',  0x00, 0x08, 'c',  'o',  'n',  's',  'u',  'm', 'e',
    'r',  0x00, 0x05, 'r',  'a',  'n',  'g',  'e',  0x00, 0x00, 0x00, 0x00};
/* v5: throttle 0, [(no error, "g", "Stable", "consumer", "range",
 * [("m1", null, "c", "h", empty, empty)], operations unset)]. */
static const uint8_t golden_response_v5[] = {
    0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x02, 'g',  0x07, 'S',  't', 'a',
    'b',  'l',  'e',  0x09, 'c',  'o',  'n',  's',  'u',  'm',  'e',  'r', 0x06,
    'r',  'a',  'n',  'g',  'e',  0x02, 0x03, 'm',  '1',  0x00, 0x02, 'c', 0x02,
    'h',  0x01, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00};

static void test_golden(void **state)
{
    struct api_describe_groups_request req;
    struct api_describe_groups_response resp;
    fixture(&req, &resp, 0);
    req.group_count = 1;
    codec_check_golden(&codec_request, 0, &req, golden_request_v0, sizeof(golden_request_v0));
    resp.group_count = 1;
    groups[0].member_count = 0;
    codec_check_golden(&codec_response, 0, &resp, golden_response_v0, sizeof(golden_response_v0));
    fixture(&req, &resp, 5);
    req.group_count = 1;
    codec_check_golden(&codec_request, 5, &req, golden_request_v5, sizeof(golden_request_v5));
    resp.throttle_time_ms = 0;
    resp.group_count = 1;
    groups[0].member_count = 1;
    groups[0].authorized_operations = API_DESCRIBE_GROUPS_AUTHORIZED_OPERATIONS_UNSET;
    codec_check_golden(&codec_response, 5, &resp, golden_response_v5, sizeof(golden_response_v5));
}

static void test_what_a_version_cannot_carry(void **state)
{
    struct api_describe_groups_request req;
    struct api_describe_groups_response resp;
    fixture(&req, &resp, 5);
    codec_check_encode_fails(&codec_request, 2, &req, KS_ERR_UNSUPPORTED_VERSION);
    codec_check_encode_fails(&codec_response, 2, &resp, KS_ERR_UNSUPPORTED_VERSION);
}

static void test_garbage(void **state)
{
    codec_check_garbage(&codec_request, 0, API_DESCRIBE_GROUPS_VERSION_MAX, golden_request_v0,
                        sizeof(golden_request_v0));
    codec_check_garbage(&codec_response, 0, API_DESCRIBE_GROUPS_VERSION_MAX, golden_response_v5,
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
