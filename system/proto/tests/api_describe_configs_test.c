/*
 * api_describe_configs_test.c: DescribeConfigs requests and responses round-tripped at
 * every version 0-4, golden bytes both ways for v0 (classic) and v4 (flexible), every
 * truncation rejected, and garbage decoded without a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "system/proto/api_describe_configs.h"
#include "system/proto/tests/group_codec_check.h"

CODEC_ADAPT(request, struct api_describe_configs_request, api_describe_configs_request_encode,
            api_describe_configs_request_decode, api_describe_configs_request_free);
CODEC_ADAPT(response, struct api_describe_configs_response, api_describe_configs_response_encode,
            api_describe_configs_response_decode, api_describe_configs_response_free);

static struct wire_string keys[1];
static struct api_describe_configs_resource resources[2];
static struct api_describe_configs_synonym synonyms[1];
static struct api_describe_configs_entry entries[2];
static struct api_describe_configs_result results[1];

static void fixture(struct api_describe_configs_request *req,
                    struct api_describe_configs_response *resp)
{
    keys[0] = wire_string_from("retention.ms");
    resources[0] = (struct api_describe_configs_resource){API_CONFIG_RESOURCE_TOPIC,
                                                          wire_string_from("t"), 1, keys};
    resources[1] = (struct api_describe_configs_resource){API_CONFIG_RESOURCE_BROKER,
                                                          wire_string_from("1"), -1, NULL};
    *req = (struct api_describe_configs_request){2, resources, true, true};
    synonyms[0] = (struct api_describe_configs_synonym){wire_string_from("log.retention.ms"),
                                                        wire_string_from("604800000"),
                                                        API_CONFIG_SOURCE_DEFAULT};
    entries[0] = (struct api_describe_configs_entry){
        wire_string_from("retention.ms"), wire_string_from("604800000"), false, false,
        API_CONFIG_SOURCE_DEFAULT, false, 1, synonyms, API_CONFIG_TYPE_LONG,
        wire_string_null()};
    entries[1] = (struct api_describe_configs_entry){
        wire_string_from("cleanup.policy"), wire_string_null(), true, false,
        API_CONFIG_SOURCE_TOPIC, true, 0, NULL, API_CONFIG_TYPE_STRING, wire_string_from("doc")};
    results[0] = (struct api_describe_configs_result){0, wire_string_null(),
                                                      API_CONFIG_RESOURCE_TOPIC,
                                                      wire_string_from("t"), 2, entries};
    *resp = (struct api_describe_configs_response){0, 1, results};
}

static void test_round_trip_every_version(void **state)
{
    struct api_describe_configs_request req;
    struct api_describe_configs_response resp;
    fixture(&req, &resp);
    for (int16_t v = 0; v <= API_DESCRIBE_CONFIGS_VERSION_MAX; v++) {
        /* v0 has is_default and no synonyms: round trips with those only */
        entries[0].is_default = v == 0;
        entries[0].synonym_count = v == 0 ? 0 : 1;
        codec_check_round_trip(&codec_request, v, &req);
        codec_check_round_trip(&codec_response, v, &resp);
    }
}

/* v0: [(TOPIC 2, "t", ["a"])]. */
static const uint8_t golden_request_v0[] = {0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x01, 't',
                                            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'a'};
/* v4: [(BROKER 4, "1", null keys, tags)], synonyms false, documentation true, tags. */
static const uint8_t golden_request_v4[] = {0x02, 0x04, 0x02, '1', 0x00, 0x00, 0x00, 0x01, 0x00};
/* v0: throttle 0, [(0, null, TOPIC, "t", [("a", "b", ro false, default true, sens false)])]. */
static const uint8_t golden_response_v0[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0xff, 0xff, 0x02, 0x00,
    0x01, 't',  0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'a',  0x00, 0x01, 'b',  0x00, 0x01, 0x00};
/* v4: throttle 0, [(0, null, TOPIC, "t", [("a", "b", false, source 5, false, [], type 0,
 * null doc, tags)], tags)], tags. */
static const uint8_t golden_response_v4[] = {
    0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x02, 't',  0x02, 0x02,
    'a',  0x02, 'b',  0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00};

static void test_golden(void **state)
{
    struct wire_string a = wire_string_from("a");
    struct api_describe_configs_resource res0 = {API_CONFIG_RESOURCE_TOPIC, wire_string_from("t"),
                                                 1, &a};
    struct api_describe_configs_request req0 = {1, &res0, false, false};
    codec_check_golden(&codec_request, 0, &req0, golden_request_v0, sizeof(golden_request_v0));
    struct api_describe_configs_resource res4 = {API_CONFIG_RESOURCE_BROKER,
                                                 wire_string_from("1"), -1, NULL};
    struct api_describe_configs_request req4 = {1, &res4, false, true};
    codec_check_golden(&codec_request, 4, &req4, golden_request_v4, sizeof(golden_request_v4));
    struct api_describe_configs_entry e = {wire_string_from("a"), wire_string_from("b"), false,
                                           true, -1, false, 0, NULL, 0, wire_string_null()};
    struct api_describe_configs_result r = {0, wire_string_null(), API_CONFIG_RESOURCE_TOPIC,
                                            wire_string_from("t"), 1, &e};
    struct api_describe_configs_response resp = {0, 1, &r};
    codec_check_golden(&codec_response, 0, &resp, golden_response_v0, sizeof(golden_response_v0));
    e.is_default = false;
    e.config_source = API_CONFIG_SOURCE_DEFAULT;
    codec_check_golden(&codec_response, 4, &resp, golden_response_v4, sizeof(golden_response_v4));
}

static void test_garbage(void **state)
{
    codec_check_garbage(&codec_request, 0, API_DESCRIBE_CONFIGS_VERSION_MAX, golden_request_v4,
                        sizeof(golden_request_v4));
    codec_check_garbage(&codec_response, 0, API_DESCRIBE_CONFIGS_VERSION_MAX, golden_response_v4,
                        sizeof(golden_response_v4));
}

static void test_unknown_version(void **state)
{
    struct api_describe_configs_request req;
    assert_int_equal(api_describe_configs_request_decode(5, golden_request_v4,
                                                         sizeof(golden_request_v4), &req),
                     KS_ERR_UNSUPPORTED_VERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_version),
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_unknown_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
