/*
 * api_join_group_test.c: JoinGroup requests and responses round-tripped at every
 * version 0-9 (fields a version lacks come back as Kafka's defaults), golden bytes both
 * ways for v0 (classic) and v6/v7 (flexible), what a version cannot carry (a group
 * instance id below v5, SkipAssignment below v9), and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "system/proto/api_join_group.h"
#include "system/proto/tests/group_codec_check.h"

CODEC_ADAPT(request, struct api_join_group_request, api_join_group_request_encode,
            api_join_group_request_decode, api_join_group_request_free);
CODEC_ADAPT(response, struct api_join_group_response, api_join_group_response_encode,
            api_join_group_response_decode, api_join_group_response_free);

static const uint8_t metadata_12[] = {0x01, 0x02};
static const uint8_t metadata_7[] = {0x07};
static struct api_join_group_protocol protocols[2];
static struct api_join_group_member members[2];

static void fixture(struct api_join_group_request *req, struct api_join_group_response *resp,
                    int16_t v)
{
    protocols[0] = (struct api_join_group_protocol){wire_string_from("range"), {metadata_12, 2}};
    protocols[1] =
        (struct api_join_group_protocol){wire_string_from("cooperative-sticky"), {metadata_7, 0}};
    *req = (struct api_join_group_request){wire_string_from("g"),
                                           30000,
                                           300000,
                                           wire_string_from(""),
                                           wire_string_from(v >= 5 ? "static-1" : NULL),
                                           wire_string_from("consumer"),
                                           2,
                                           protocols,
                                           wire_string_from(v >= 8 ? "rejoin" : NULL)};
    members[0] =
        (struct api_join_group_member){wire_string_from("m1"), wire_string_null(), {metadata_7, 1}};
    members[1] = (struct api_join_group_member){
        wire_string_from("m2"), wire_string_from(v >= 5 ? "static-1" : NULL), {metadata_12, 2}};
    *resp = (struct api_join_group_response){v >= 2 ? 3 : 0,
                                             0,
                                             1,
                                             wire_string_from(v >= 7 ? "consumer" : NULL),
                                             wire_string_from("range"),
                                             wire_string_from("m1"),
                                             v >= 9,
                                             wire_string_from("m1"),
                                             2,
                                             members};
}

static void test_round_trip_every_version(void **state)
{
    struct api_join_group_request req;
    struct api_join_group_response resp;
    for (int16_t v = 0; v <= API_JOIN_GROUP_VERSION_MAX; v++) {
        fixture(&req, &resp, v);
        codec_check_round_trip(&codec_request, v, &req);
        codec_check_round_trip(&codec_response, v, &resp);
    }
}

/* v0: "g", session 30000, member "", "consumer", [("range", 01 02)]. */
static const uint8_t golden_request_v0[] = {0x00, 0x01, 'g',  0x00, 0x00, 0x75, 0x30, 0x00, 0x00,
                                            0x00, 0x08, 'c',  'o',  'n',  's',  'u',  'm',  'e',
                                            'r',  0x00, 0x00, 0x00, 0x01, 0x00, 0x05, 'r',  'a',
                                            'n',  'g',  'e',  0x00, 0x00, 0x00, 0x02, 0x01, 0x02};
/* v6: "g", session 30000, rebalance 300000, member "", null instance, "consumer",
 * [("range", 01 02)] with empty tags, empty tags. */
static const uint8_t golden_request_v6[] = {0x02, 'g',  0x00, 0x00, 0x75, 0x30, 0x00, 0x04, 0x93,
                                            0xe0, 0x01, 0x00, 0x09, 'c',  'o',  'n',  's',  'u',
                                            'm',  'e',  'r',  0x02, 0x06, 'r',  'a',  'n',  'g',
                                            'e',  0x03, 0x01, 0x02, 0x00, 0x00};
/* v0: no error, generation 1, "range", leader "m1", member "m1", [("m1", 07)]. */
static const uint8_t golden_response_v0[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x05, 'r',
                                             'a',  'n',  'g',  'e',  0x00, 0x02, 'm',  '1',  0x00,
                                             0x02, 'm',  '1',  0x00, 0x00, 0x00, 0x01, 0x00, 0x02,
                                             'm',  '1',  0x00, 0x00, 0x00, 0x01, 0x07};
/* v7: throttle 0, no error, generation 1, type "consumer", "range", leader "m1",
 * member "m1", [("m1", null instance, 07)]. */
static const uint8_t golden_response_v7[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x09, 'c',  'o', 'n',
    's',  'u',  'm',  'e',  'r',  0x06, 'r',  'a',  'n',  'g',  'e',  0x03, 'm', '1',
    0x03, 'm',  '1',  0x02, 0x03, 'm',  '1',  0x00, 0x02, 0x07, 0x00, 0x00};

static void test_golden(void **state)
{
    struct api_join_group_request req;
    struct api_join_group_response resp;
    fixture(&req, &resp, 0);
    req.protocol_count = 1;
    codec_check_golden(&codec_request, 0, &req, golden_request_v0, sizeof(golden_request_v0));
    resp.member_count = 1;
    codec_check_golden(&codec_response, 0, &resp, golden_response_v0, sizeof(golden_response_v0));
    fixture(&req, &resp, 6);
    req.protocol_count = 1;
    req.group_instance_id = wire_string_null();
    codec_check_golden(&codec_request, 6, &req, golden_request_v6, sizeof(golden_request_v6));
    fixture(&req, &resp, 7);
    resp.throttle_time_ms = 0;
    resp.member_count = 1;
    codec_check_golden(&codec_response, 7, &resp, golden_response_v7, sizeof(golden_response_v7));
}

static void test_defaults_of_absent_fields(void **state)
{
    struct api_join_group_request req;
    assert_int_equal(
        api_join_group_request_decode(0, golden_request_v0, sizeof(golden_request_v0), &req),
        KS_OK);
    assert_int_equal(req.rebalance_timeout_ms, -1);
    assert_true(wire_string_is_null(req.group_instance_id));
    assert_true(wire_string_is_null(req.reason));
    assert_int_equal(req.protocols[0].metadata.size_bytes, 2);
    api_join_group_request_free(&req);
}

static void test_what_a_version_cannot_carry(void **state)
{
    struct api_join_group_request req;
    struct api_join_group_response resp;
    fixture(&req, &resp, 9);
    codec_check_encode_fails(&codec_request, 4, &req, KS_ERR_UNSUPPORTED_VERSION);
    codec_check_encode_fails(&codec_response, 8, &resp, KS_ERR_UNSUPPORTED_VERSION);
    resp.protocol_name = wire_string_null(); /* nullable only from v7 */
    codec_check_round_trip(&codec_response, 9, &resp);
    resp.skip_assignment = false;
    codec_check_encode_fails(&codec_response, 6, &resp, KS_ERR_INVALID);
}

static void test_garbage(void **state)
{
    codec_check_garbage(&codec_request, 0, API_JOIN_GROUP_VERSION_MAX, golden_request_v6,
                        sizeof(golden_request_v6));
    codec_check_garbage(&codec_response, 0, API_JOIN_GROUP_VERSION_MAX, golden_response_v7,
                        sizeof(golden_response_v7));
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
