/*
 * api_delete_groups_test.c: DeleteGroups requests and responses round-tripped at every
 * version 0-2, golden bytes both ways for v0 (classic) and v2 (flexible), and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "system/proto/api_delete_groups.h"
#include "system/proto/tests/group_codec_check.h"

CODEC_ADAPT(request, struct api_delete_groups_request, api_delete_groups_request_encode,
            api_delete_groups_request_decode, api_delete_groups_request_free);
CODEC_ADAPT(response, struct api_delete_groups_response, api_delete_groups_response_encode,
            api_delete_groups_response_decode, api_delete_groups_response_free);

static struct wire_string names[2];
static struct api_delete_groups_result results[2];

static void fixture(struct api_delete_groups_request *req, struct api_delete_groups_response *resp)
{
    names[0] = wire_string_from("g");
    names[1] = wire_string_from("busy");
    *req = (struct api_delete_groups_request){2, names};
    results[0] = (struct api_delete_groups_result){wire_string_from("g"), 69};
    results[1] = (struct api_delete_groups_result){wire_string_from("busy"), 68};
    *resp = (struct api_delete_groups_response){0, 2, results};
}

static void test_round_trip_every_version(void **state)
{
    struct api_delete_groups_request req;
    struct api_delete_groups_response resp;
    fixture(&req, &resp);
    for (int16_t v = 0; v <= API_DELETE_GROUPS_VERSION_MAX; v++) {
        codec_check_round_trip(&codec_request, v, &req);
        codec_check_round_trip(&codec_response, v, &resp);
    }
}

/* v0: ["g"]. */
static const uint8_t golden_request_v0[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'g'};
/* v2: ["g"], tags. */
static const uint8_t golden_request_v2[] = {0x02, 0x02, 'g', 0x00};
/* v0: throttle 0, [("g", GROUP_ID_NOT_FOUND 69)]. */
static const uint8_t golden_response_v0[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                             0x01, 0x00, 0x01, 'g',  0x00, 0x45};
/* v2: throttle 0, [("g", 69)], tags. */
static const uint8_t golden_response_v2[] = {0x00, 0x00, 0x00, 0x00, 0x02, 0x02,
                                             'g',  0x00, 0x45, 0x00, 0x00};

static void test_golden(void **state)
{
    struct api_delete_groups_request req;
    struct api_delete_groups_response resp;
    fixture(&req, &resp);
    req.group_count = 1;
    resp.result_count = 1;
    codec_check_golden(&codec_request, 0, &req, golden_request_v0, sizeof(golden_request_v0));
    codec_check_golden(&codec_request, 2, &req, golden_request_v2, sizeof(golden_request_v2));
    codec_check_golden(&codec_response, 0, &resp, golden_response_v0, sizeof(golden_response_v0));
    codec_check_golden(&codec_response, 2, &resp, golden_response_v2, sizeof(golden_response_v2));
}

static void test_garbage(void **state)
{
    codec_check_garbage(&codec_request, 0, API_DELETE_GROUPS_VERSION_MAX, golden_request_v2,
                        sizeof(golden_request_v2));
    codec_check_garbage(&codec_response, 0, API_DELETE_GROUPS_VERSION_MAX, golden_response_v2,
                        sizeof(golden_response_v2));
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
