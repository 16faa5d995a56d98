/*
 * api_init_producer_id_test.c: InitProducerId (key 22) v0-v5: golden bytes both ways
 * for v0 (classic, idempotence only) and v3 (flexible, an epoch bump); a round trip at
 * every version; an epoch bump refused below v3; truncated and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "system/proto/api_init_producer_id.h"

static const uint8_t golden_request_v0[] = {
    0xff, 0xff,             /* TransactionalId: null */
    0,    0,    0xea, 0x60, /* TransactionTimeoutMs 60000 */
};
static const uint8_t golden_response_v0[] = {
    0, 0, 0, 0,                   /* ThrottleTimeMs */
    0, 0,                         /* ErrorCode */
    0, 0, 0, 0, 0, 0, 0x03, 0xe8, /* ProducerId 1000 */
    0, 0,                         /* ProducerEpoch */
};
static const uint8_t golden_request_v3[] = {
    0x03, 't', 'x',                          /* TransactionalId "tx" */
    0,    0,   0xea, 0x60,                   /* TransactionTimeoutMs */
    0,    0,   0,    0,    0, 0, 0x03, 0xe8, /* ProducerId 1000 */
    0,    2,                                 /* ProducerEpoch */
    0x00,                                    /* tags */
};
static const uint8_t golden_response_v3[] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xe8, 0, 3, 0x00,
};

static void expect_bytes(const struct wire_writer *w, const uint8_t *golden, size_t size)
{
    assert_int_equal(w->err, KS_OK);
    assert_int_equal(w->size_bytes, size);
    assert_memory_equal(w->bytes, golden, size);
}

static void test_golden_both_ways(void **state)
{
    struct api_init_producer_id_request req, req_out;
    struct api_init_producer_id_response resp = {0, 0, 1000, 0}, resp_out;
    struct wire_writer w;
    api_init_producer_id_request_init(&req);
    req.transaction_timeout_ms = 60000;
    wire_writer_init(&w);
    api_init_producer_id_request_encode(&w, 0, &req);
    expect_bytes(&w, golden_request_v0, sizeof(golden_request_v0));
    wire_writer_reset(&w);
    api_init_producer_id_response_encode(&w, 0, &resp);
    expect_bytes(&w, golden_response_v0, sizeof(golden_response_v0));
    wire_writer_reset(&w);
    req.transactional_id = wire_string_from("tx");
    req.producer_id = 1000;
    req.producer_epoch = 2;
    api_init_producer_id_request_encode(&w, 3, &req);
    expect_bytes(&w, golden_request_v3, sizeof(golden_request_v3));
    wire_writer_reset(&w);
    resp.producer_epoch = 3;
    api_init_producer_id_response_encode(&w, 3, &resp);
    expect_bytes(&w, golden_response_v3, sizeof(golden_response_v3));
    wire_writer_free(&w);

    assert_int_equal(api_init_producer_id_request_decode(0, golden_request_v0,
                                                         sizeof(golden_request_v0), &req_out),
                     KS_OK);
    assert_true(wire_string_is_null(req_out.transactional_id));
    assert_int_equal(req_out.producer_id, -1);
    assert_int_equal(req_out.producer_epoch, -1);
    assert_int_equal(api_init_producer_id_request_decode(3, golden_request_v3,
                                                         sizeof(golden_request_v3), &req_out),
                     KS_OK);
    assert_true(wire_string_equal_cstr(req_out.transactional_id, "tx"));
    assert_int_equal(req_out.producer_id, 1000);
    assert_int_equal(req_out.producer_epoch, 2);
    assert_int_equal(api_init_producer_id_response_decode(3, golden_response_v3,
                                                          sizeof(golden_response_v3), &resp_out),
                     KS_OK);
    assert_int_equal(resp_out.producer_id, 1000);
    assert_int_equal(resp_out.producer_epoch, 3);
}

static void test_round_trip_every_version(void **state)
{
    for (int16_t v = API_INIT_PRODUCER_ID_VERSION_MIN; v <= API_INIT_PRODUCER_ID_VERSION_MAX; v++) {
        struct api_init_producer_id_request req, req_out;
        struct api_init_producer_id_response resp = {5, 90, -1, -1}, resp_out;
        struct wire_writer w1, w2;
        api_init_producer_id_request_init(&req);
        req.transactional_id = wire_string_from("orders-tx");
        req.transaction_timeout_ms = 900;
        if (v >= 3) {
            req.producer_id = 7;
            req.producer_epoch = 1;
        }
        wire_writer_init(&w1);
        wire_writer_init(&w2);
        api_init_producer_id_request_encode(&w1, v, &req);
        assert_int_equal(api_init_producer_id_request_decode(v, w1.bytes, w1.size_bytes, &req_out),
                         KS_OK);
        api_init_producer_id_request_encode(&w2, v, &req_out);
        expect_bytes(&w2, w1.bytes, w1.size_bytes);
        for (uint32_t n = 0; n < w1.size_bytes; n++)
            assert_int_not_equal(api_init_producer_id_request_decode(v, w1.bytes, n, &req_out),
                                 KS_OK);
        wire_writer_reset(&w1);
        wire_writer_reset(&w2);
        api_init_producer_id_response_encode(&w1, v, &resp);
        assert_int_equal(
            api_init_producer_id_response_decode(v, w1.bytes, w1.size_bytes, &resp_out), KS_OK);
        assert_int_equal(resp_out.error_code, 90);
        api_init_producer_id_response_encode(&w2, v, &resp_out);
        expect_bytes(&w2, w1.bytes, w1.size_bytes);
        wire_writer_free(&w1);
        wire_writer_free(&w2);
    }
}

static void test_epoch_bump_needs_v3_and_bad_input(void **state)
{
    struct api_init_producer_id_request req;
    struct wire_writer w;
    api_init_producer_id_request_init(&req);
    req.producer_id = 7;
    req.producer_epoch = 1;
    wire_writer_init(&w);
    api_init_producer_id_request_encode(&w, 2, &req);
    assert_int_equal(w.err, KS_ERR_UNSUPPORTED_VERSION);
    wire_writer_free(&w);
    assert_int_equal(
        api_init_producer_id_request_decode(6, golden_request_v3, sizeof(golden_request_v3), &req),
        KS_ERR_UNSUPPORTED_VERSION);
    uint8_t bad[sizeof(golden_request_v3)];
    memcpy(bad, golden_request_v3, sizeof(bad));
    bad[0] = 0x10; /* TransactionalId longer than the input */
    assert_int_equal(api_init_producer_id_request_decode(3, bad, sizeof(bad), &req),
                     KS_ERR_TRUNCATED);
    assert_int_equal(
        api_init_producer_id_request_decode(2, golden_request_v3, sizeof(golden_request_v3), &req),
        KS_ERR_INVALID); /* v3 bytes read as v2: bytes left over */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_both_ways),
        cmocka_unit_test(test_round_trip_every_version),
        cmocka_unit_test(test_epoch_bump_needs_v3_and_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
