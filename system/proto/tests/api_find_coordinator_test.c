/*
 * api_find_coordinator_test.c: FindCoordinator requests and responses round-tripped at
 * every version 0-6, golden bytes both ways for v0 (classic) and v4 (flexible, batched
 * keys), what a version cannot carry (transaction keys at v0, several keys below v4),
 * and bad input (every truncation, trailing bytes, garbage).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "system/proto/api_find_coordinator.h"
#include "system/proto/tests/group_codec_check.h"

CODEC_ADAPT(request, struct api_find_coordinator_request, api_find_coordinator_request_encode,
            api_find_coordinator_request_decode, api_find_coordinator_request_free);
CODEC_ADAPT(response, struct api_find_coordinator_response, api_find_coordinator_response_encode,
            api_find_coordinator_response_decode, api_find_coordinator_response_free);

static struct wire_string keys[2];
static struct api_find_coordinator_coordinator coordinators[2];

static void fixture(struct api_find_coordinator_request *req,
                    struct api_find_coordinator_response *resp, int16_t v)
{
    bool batched = v >= API_FIND_COORDINATOR_BATCH_VERSION_FIRST;
    keys[0] = wire_string_from("g1");
    keys[1] = wire_string_from("g2");
    *req = (struct api_find_coordinator_request){v >= 1 ? 1 : 0, batched ? 2 : 1, keys};
    coordinators[0] =
        (struct api_find_coordinator_coordinator){wire_string_from(batched ? "g1" : ""),
                                                  1,
                                                  wire_string_from("h"),
                                                  9092,
                                                  0,
                                                  wire_string_null()};
    coordinators[1] = (struct api_find_coordinator_coordinator){
        wire_string_from("g2"),
        -1,
        wire_string_from(""),
        -1,
        15,
        wire_string_from(v >= 1 ? "not available" : NULL)};
    *resp = (struct api_find_coordinator_response){v >= 1 ? 5 : 0, batched ? 2 : 1, coordinators};
    if (!batched && v >= 1)
        coordinators[0].error_message = wire_string_from("");
}

static void test_round_trip_every_version(void **state)
{
    struct api_find_coordinator_request req;
    struct api_find_coordinator_response resp;
    for (int16_t v = 0; v <= API_FIND_COORDINATOR_VERSION_MAX; v++) {
        fixture(&req, &resp, v);
        codec_check_round_trip(&codec_request, v, &req);
        codec_check_round_trip(&codec_response, v, &resp);
    }
}

/* v0: Key "g1". */
static const uint8_t golden_request_v0[] = {0x00, 0x02, 'g', '1'};
/* v4: KeyType 0, CoordinatorKeys ["g1", "g2"], no tags. */
static const uint8_t golden_request_v4[] = {0x00, 0x03, 0x03, 'g', '1', 0x03, 'g', '2', 0x00};
/* v0: ErrorCode 0, NodeId 1, Host "h", Port 9092. */
static const uint8_t golden_response_v0[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
                                             0x01, 'h',  0x00, 0x00, 0x23, 0x84};
/* v4: throttle 5; one coordinator: Key "g1", NodeId 1, Host "h", Port 9092, no error,
 * null message, no tags; no tags. */
static const uint8_t golden_response_v4[] = {0x00, 0x00, 0x00, 0x05, 0x02, 0x03, 'g',  '1',
                                             0x00, 0x00, 0x00, 0x01, 0x02, 'h',  0x00, 0x00,
                                             0x23, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00};

static void test_golden(void **state)
{
    struct api_find_coordinator_request req;
    struct api_find_coordinator_response resp;
    fixture(&req, &resp, 0);
    codec_check_golden(&codec_request, 0, &req, golden_request_v0, sizeof(golden_request_v0));
    codec_check_golden(&codec_response, 0, &resp, golden_response_v0, sizeof(golden_response_v0));
    fixture(&req, &resp, 4);
    req.key_type = 0;
    codec_check_golden(&codec_request, 4, &req, golden_request_v4, sizeof(golden_request_v4));
    resp.coordinator_count = 1;
    codec_check_golden(&codec_response, 4, &resp, golden_response_v4, sizeof(golden_response_v4));
}

static void test_decoded_values(void **state)
{
    struct api_find_coordinator_response resp;
    assert_int_equal(api_find_coordinator_response_decode(0, golden_response_v0,
                                                          sizeof(golden_response_v0), &resp),
                     KS_OK);
    assert_int_equal(resp.coordinator_count, 1);
    assert_true(wire_string_equal_cstr(resp.coordinators[0].key, ""));
    assert_true(wire_string_equal_cstr(resp.coordinators[0].host, "h"));
    assert_int_equal(resp.coordinators[0].port, 9092);
    assert_true(wire_string_is_null(resp.coordinators[0].error_message));
    api_find_coordinator_response_free(&resp);
}

static void test_what_a_version_cannot_carry(void **state)
{
    struct api_find_coordinator_request req;
    struct api_find_coordinator_response resp;
    fixture(&req, &resp, 4);
    codec_check_encode_fails(&codec_request, 3, &req, KS_ERR_UNSUPPORTED_VERSION); /* 2 keys */
    codec_check_encode_fails(&codec_response, 3, &resp, KS_ERR_UNSUPPORTED_VERSION);
    req.key_count = 1;
    req.key_type = API_FIND_COORDINATOR_KEY_TYPE_TRANSACTION;
    codec_check_encode_fails(&codec_request, 0, &req, KS_ERR_UNSUPPORTED_VERSION);
    codec_check_round_trip(&codec_request, 1, &req);
}

static void test_garbage(void **state)
{
    codec_check_garbage(&codec_request, 0, API_FIND_COORDINATOR_VERSION_MAX, golden_request_v4,
                        sizeof(golden_request_v4));
    codec_check_garbage(&codec_response, 0, API_FIND_COORDINATOR_VERSION_MAX, golden_response_v4,
                        sizeof(golden_response_v4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_version),
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_decoded_values),
        cmocka_unit_test(test_what_a_version_cannot_carry),
        cmocka_unit_test(test_garbage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
