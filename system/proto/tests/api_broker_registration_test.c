/*
 * api_broker_registration_test.c: BrokerRegistration (key 62) golden bytes both ways
 * at v0 and v3, the response, every truncated prefix failing cleanly, too many
 * listeners, and values a version cannot carry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "system/proto/api_broker_registration.h"

#define UUID_BYTES 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
#define LISTENER                                                                                   \
    0x0a, 'P', 'L', 'A', 'I', 'N', 'T', 'E', 'X', 'T', 0x03, 'b', '1', 0x23, 0x84, 0, 0, 0x00

/* v0: broker 1, cluster "ks", PLAINTEXT b1:9092, no features, no rack. */
static const uint8_t golden_request_v0[] = {
    0, 0, 0, 1, 0x03, 'k', 's', UUID_BYTES, 0x02, LISTENER, 0x01, 0x00, 0x00,
};
/* v3: as v0, then IsMigratingZkBroker false, LogDirs empty, PreviousBrokerEpoch 7. */
static const uint8_t golden_request_v3[] = {
    0,    0,    0, 1, 0x03, 'k', 's', UUID_BYTES, 0x02, LISTENER, 0x01, 0x00,
    0x00, 0x01, 0, 0, 0,    0,   0,   0,          0,    7,        0x00,
};
/* Response: throttle 0, no error, epoch 10. */
static const uint8_t golden_response[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0x00};

static struct api_broker_registration_request sample(int16_t version)
{
    struct api_broker_registration_request req = {
        .broker_id = 1,
        .cluster_id = wire_string_from("ks"),
        .incarnation_id = {{UUID_BYTES}},
        .listener_count = 1,
        .rack = wire_string_null(),
        .previous_broker_epoch = version >= 3 ? 7 : -1,
    };
    req.listeners[0].name = wire_string_from("PLAINTEXT");
    req.listeners[0].host = wire_string_from("b1");
    req.listeners[0].port = 9092;
    return req;
}

static void expect_request(int16_t version, const uint8_t *golden, uint32_t size)
{
    struct api_broker_registration_request req = sample(version), out;
    struct wire_writer w;
    wire_writer_init(&w);
    api_broker_registration_request_encode(&w, version, &req);
    assert_int_equal(w.err, KS_OK);
    assert_int_equal(w.size_bytes, size);
    assert_memory_equal(w.bytes, golden, size);
    wire_writer_free(&w);
    assert_int_equal(api_broker_registration_request_decode(version, golden, size, &out), KS_OK);
    assert_int_equal(out.broker_id, 1);
    assert_true(wire_string_equal_cstr(out.cluster_id, "ks"));
    assert_int_equal(out.listener_count, 1);
    assert_int_equal(out.listeners[0].port, 9092);
    assert_true(wire_string_is_null(out.rack));
    assert_int_equal(out.previous_broker_epoch, version >= 3 ? 7 : -1);
    for (uint32_t len = 0; len < size; len++) {
        uint8_t *copy = malloc(len + 1);
        memcpy(copy, golden, len);
        assert_int_not_equal(api_broker_registration_request_decode(version, copy, len, &out),
                             KS_OK);
        free(copy);
    }
}

static void test_request_golden(void **state)
{
    (void)state;
    expect_request(0, golden_request_v0, sizeof(golden_request_v0));
    expect_request(3, golden_request_v3, sizeof(golden_request_v3));
}

static void test_response_golden(void **state)
{
    (void)state;
    struct api_broker_registration_response resp = {0, 0, 10}, out;
    struct wire_writer w;
    wire_writer_init(&w);
    api_broker_registration_response_encode(&w, 4, &resp);
    assert_int_equal(w.size_bytes, sizeof(golden_response));
    assert_memory_equal(w.bytes, golden_response, sizeof(golden_response));
    wire_writer_free(&w);
    assert_int_equal(
        api_broker_registration_response_decode(4, golden_response, sizeof(golden_response), &out),
        KS_OK);
    assert_int_equal(out.broker_epoch, 10);
    for (uint32_t len = 0; len < sizeof(golden_response); len++)
        assert_int_not_equal(api_broker_registration_response_decode(4, golden_response, len, &out),
                             KS_OK);
}

static void test_bad_input(void **state)
{
    (void)state;
    struct api_broker_registration_request out;
    uint8_t many[256] = {0, 0, 0, 1, 0x03, 'k', 's', UUID_BYTES, 18 /* 17 listeners */};
    assert_int_equal(api_broker_registration_request_decode(0, many, sizeof(many), &out),
                     KS_ERR_TOO_MANY);
    assert_int_equal(api_broker_registration_request_decode(5, golden_request_v0,
                                                            sizeof(golden_request_v0), &out),
                     KS_ERR_UNSUPPORTED_VERSION);
    uint8_t trailing[sizeof(golden_request_v0) + 1];
    memcpy(trailing, golden_request_v0, sizeof(golden_request_v0));
    trailing[sizeof(golden_request_v0)] = 0;
    assert_int_equal(api_broker_registration_request_decode(0, trailing, sizeof(trailing), &out),
                     KS_ERR_INVALID);
    /* A previous epoch cannot go in v2. */
    struct api_broker_registration_request req = sample(3);
    struct wire_writer w;
    wire_writer_init(&w);
    api_broker_registration_request_encode(&w, 2, &req);
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
