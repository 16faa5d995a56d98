/*
 * api_broker_heartbeat_test.c: BrokerHeartbeat (key 63) golden bytes both ways at v0
 * and v1 (tagged OfflineLogDirs), the response, every truncated prefix failing cleanly,
 * unknown tags skipped, and offline dirs refused at v0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "system/proto/api_broker_heartbeat.h"

#define UUID_BYTES 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16

/* v0: broker 1, epoch 5, offset 100, no fence, shut down. */
static const uint8_t golden_request_v0[] = {
    0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 100, 0x00, 0x01, 0x00,
};
/* v1: the same with one offline log dir in tag 0. */
static const uint8_t golden_request_v1[] = {
    0, 0, 0, 1, 0, 0,   0,    0,    0,    0,    0,    5,    0,          0,
    0, 0, 0, 0, 0, 100, 0x00, 0x01, 0x01, 0x00, 0x11, 0x02, UUID_BYTES,
};
/* v0 with an unknown tag 5 of two bytes. */
static const uint8_t request_unknown_tag[] = {
    0, 0, 0, 1, 0, 0,   0,    0,    0,    0,    0,    5,    0,    0,
    0, 0, 0, 0, 0, 100, 0x00, 0x01, 0x01, 0x05, 0x02, 0xaa, 0xbb,
};
/* Response: caught up, not fenced, no shutdown. */
static const uint8_t golden_response[] = {0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00, 0x00};

static void expect_request(int16_t version, const uint8_t *golden, uint32_t size)
{
    struct api_broker_heartbeat_request req = {.broker_id = 1,
                                               .broker_epoch = 5,
                                               .current_metadata_offset = 100,
                                               .want_shut_down = true},
                                        out;
    struct wire_uuid dir = {{UUID_BYTES}};
    if (version >= 1) {
        req.offline_log_dir_count = 1;
        req.offline_log_dirs[0] = dir;
    }
    struct wire_writer w;
    wire_writer_init(&w);
    api_broker_heartbeat_request_encode(&w, version, &req);
    assert_int_equal(w.err, KS_OK);
    assert_int_equal(w.size_bytes, size);
    assert_memory_equal(w.bytes, golden, size);
    wire_writer_free(&w);
    assert_int_equal(api_broker_heartbeat_request_decode(version, golden, size, &out), KS_OK);
    assert_int_equal(out.broker_epoch, 5);
    assert_int_equal(out.current_metadata_offset, 100);
    assert_true(out.want_shut_down);
    assert_false(out.want_fence);
    assert_int_equal(out.offline_log_dir_count, version >= 1 ? 1 : 0);
    for (uint32_t len = 0; len < size; len++) {
        uint8_t *copy = malloc(len + 1);
        memcpy(copy, golden, len);
        assert_int_not_equal(api_broker_heartbeat_request_decode(version, copy, len, &out), KS_OK);
        free(copy);
    }
}

static void test_request_golden(void **state)
{
    (void)state;
    expect_request(0, golden_request_v0, sizeof(golden_request_v0));
    expect_request(1, golden_request_v1, sizeof(golden_request_v1));
}

static void test_response_golden(void **state)
{
    (void)state;
    struct api_broker_heartbeat_response resp = {.is_caught_up = true}, out;
    struct wire_writer w;
    wire_writer_init(&w);
    api_broker_heartbeat_response_encode(&w, 1, &resp);
    assert_int_equal(w.size_bytes, sizeof(golden_response));
    assert_memory_equal(w.bytes, golden_response, sizeof(golden_response));
    wire_writer_free(&w);
    assert_int_equal(
        api_broker_heartbeat_response_decode(1, golden_response, sizeof(golden_response), &out),
        KS_OK);
    assert_true(out.is_caught_up);
    assert_false(out.is_fenced);
    for (uint32_t len = 0; len < sizeof(golden_response); len++)
        assert_int_not_equal(api_broker_heartbeat_response_decode(1, golden_response, len, &out),
                             KS_OK);
}

static void test_bad_input(void **state)
{
    (void)state;
    struct api_broker_heartbeat_request out;
    assert_int_equal(api_broker_heartbeat_request_decode(0, request_unknown_tag,
                                                         sizeof(request_unknown_tag), &out),
                     KS_OK);
    /* At v0 the OfflineLogDirs tag is unknown: skipped, not read. */
    assert_int_equal(
        api_broker_heartbeat_request_decode(0, golden_request_v1, sizeof(golden_request_v1), &out),
        KS_OK);
    assert_int_equal(out.offline_log_dir_count, 0);
    assert_int_equal(
        api_broker_heartbeat_request_decode(2, golden_request_v0, sizeof(golden_request_v0), &out),
        KS_ERR_UNSUPPORTED_VERSION);
    struct api_broker_heartbeat_request req = {.offline_log_dir_count = 1};
    struct wire_writer w;
    wire_writer_init(&w);
    api_broker_heartbeat_request_encode(&w, 0, &req);
    assert_int_equal(w.err, KS_ERR_UNSUPPORTED_VERSION);
    wire_writer_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_golden),
        cmocka_unit_test(test_response_golden),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
