/*
 * api_delete_topics_test.c: DeleteTopics (key 20) golden bytes both ways at v0, v4
 * (flexible) and v6 (topics by id), responses at v0 and v6, every truncated prefix
 * failing cleanly, and a nameless topic refused before v6.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "system/proto/api_delete_topics.h"

#define UUID_BYTES 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
#define ORDERS 'o', 'r', 'd', 'e', 'r', 's'

static const uint8_t golden_request_v0[] = {0, 0, 0, 1, 0, 6, ORDERS, 0, 0, 0x03, 0xe8};
static const uint8_t golden_request_v4[] = {0x02, 0x07, ORDERS, 0, 0, 0x03, 0xe8, 0x00};
/* v6: "orders" with its id, and a topic by id alone (null name). */
static const uint8_t golden_request_v6[] = {
    0x03, 0x07, ORDERS, UUID_BYTES, 0x00, 0x00, UUID_BYTES, 0x00, 0, 0, 0x03, 0xe8, 0x00,
};
static const uint8_t golden_response_v0[] = {0, 0, 0, 1, 0, 6, ORDERS, 0, 3};
/* v6: throttle 0, "orders" with id, no error, null message. */
static const uint8_t golden_response_v6[] = {
    0, 0, 0, 0, 0x02, 0x07, ORDERS, UUID_BYTES, 0, 0, 0x00, 0x00, 0x00,
};

static void check_request(int16_t version, const uint8_t *golden, uint32_t size,
                          const struct api_delete_topics_request *req)
{
    struct api_delete_topics_request out;
    struct wire_writer w;
    wire_writer_init(&w);
    api_delete_topics_request_encode(&w, version, req);
    assert_int_equal(w.err, KS_OK);
    assert_int_equal(w.size_bytes, size);
    assert_memory_equal(w.bytes, golden, size);
    wire_writer_free(&w);
    assert_int_equal(api_delete_topics_request_decode(version, golden, size, &out), KS_OK);
    assert_int_equal(out.topic_count, req->topic_count);
    assert_true(wire_string_equal(out.topics[0].name, req->topics[0].name));
    assert_int_equal(out.timeout_ms, 1000);
    if (version >= 6)
        assert_true(wire_string_is_null(out.topics[1].name));
    api_delete_topics_request_free(&out);
    for (uint32_t len = 0; len < size; len++) {
        uint8_t *copy = malloc(len + 1);
        memcpy(copy, golden, len);
        assert_int_not_equal(api_delete_topics_request_decode(version, copy, len, &out), KS_OK);
        free(copy);
    }
}

static void test_request_golden(void **state)
{
    (void)state;
    struct api_delete_topics_topic topics[] = {{wire_string_from("orders"), {{UUID_BYTES}}},
                                               {wire_string_null(), {{UUID_BYTES}}}};
    struct api_delete_topics_request req = {1, topics, 1000};
    check_request(0, golden_request_v0, sizeof(golden_request_v0), &req);
    check_request(4, golden_request_v4, sizeof(golden_request_v4), &req);
    req.topic_count = 2;
    check_request(6, golden_request_v6, sizeof(golden_request_v6), &req);
}

static void test_response_golden(void **state)
{
    (void)state;
    struct api_delete_topics_result result = {
        wire_string_from("orders"), {{UUID_BYTES}}, 3, wire_string_null()};
    struct api_delete_topics_response resp = {0, 1, &result}, out;
    struct wire_writer w;
    wire_writer_init(&w);
    api_delete_topics_response_encode(&w, 0, &resp);
    assert_int_equal(w.size_bytes, sizeof(golden_response_v0));
    assert_memory_equal(w.bytes, golden_response_v0, sizeof(golden_response_v0));
    wire_writer_reset(&w);
    result.error_code = 0;
    api_delete_topics_response_encode(&w, 6, &resp);
    assert_int_equal(w.size_bytes, sizeof(golden_response_v6));
    assert_memory_equal(w.bytes, golden_response_v6, sizeof(golden_response_v6));
    wire_writer_free(&w);
    assert_int_equal(
        api_delete_topics_response_decode(6, golden_response_v6, sizeof(golden_response_v6), &out),
        KS_OK);
    assert_int_equal(out.result_count, 1);
    assert_memory_equal(out.results[0].topic_id.bytes, result.topic_id.bytes, 16);
    api_delete_topics_response_free(&out);
    for (uint32_t len = 0; len < sizeof(golden_response_v6); len++)
        assert_int_not_equal(api_delete_topics_response_decode(6, golden_response_v6, len, &out),
                             KS_OK);
}

static void test_bad_input(void **state)
{
    (void)state;
    struct api_delete_topics_topic topic = {wire_string_null(), {{UUID_BYTES}}};
    struct api_delete_topics_request req = {1, &topic, 1}, out;
    struct wire_writer w;
    wire_writer_init(&w);
    api_delete_topics_request_encode(&w, 5, &req);
    assert_int_equal(w.err, KS_ERR_UNSUPPORTED_VERSION);
    wire_writer_free(&w);
    static const uint8_t null_name_v0[] = {0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 1};
    assert_int_equal(api_delete_topics_request_decode(0, null_name_v0, sizeof(null_name_v0), &out),
                     KS_ERR_INVALID);
    assert_int_equal(
        api_delete_topics_request_decode(7, golden_request_v0, sizeof(golden_request_v0), &out),
        KS_ERR_UNSUPPORTED_VERSION);
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
