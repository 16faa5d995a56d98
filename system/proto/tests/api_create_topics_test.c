/*
 * api_create_topics_test.c: CreateTopics (key 19) golden bytes both ways at v0, v1 and
 * v5 (flexible) for the request, v0, v5 (tagged TopicConfigErrorCode) and v7 (topic
 * id) for the response, every truncated prefix failing cleanly, an assignment
 * round trip, and validate_only refused at v0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "system/proto/api_create_topics.h"

#define UUID_BYTES 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
#define ORDERS 'o', 'r', 'd', 'e', 'r', 's'
#define CLEANUP 'c', 'l', 'e', 'a', 'n', 'u', 'p', '.', 'p', 'o', 'l', 'i', 'c', 'y'
#define COMPACT 'c', 'o', 'm', 'p', 'a', 'c', 't'

/* v0: "orders", 3 partitions, factor 2, no assignments, cleanup.policy=compact, 1000 ms. */
static const uint8_t golden_request_v0[] = {
    0, 0, 0, 1, 0, 6, ORDERS, 0,       0, 0, 3,       0, 2, 0,    0,    0,
    0, 0, 0, 0, 1, 0, 14,     CLEANUP, 0, 7, COMPACT, 0, 0, 0x03, 0xe8,
};
/* v1: v0 plus validateOnly true. */
static const uint8_t golden_request_v1[] = {
    0, 0, 0, 1, 0, 6, ORDERS, 0,       0, 0, 3,       0, 2, 0,    0,    0,
    0, 0, 0, 0, 1, 0, 14,     CLEANUP, 0, 7, COMPACT, 0, 0, 0x03, 0xe8, 0x01,
};
/* v5: compact arrays and strings, tag sections. */
static const uint8_t golden_request_v5[] = {
    0x02,    0x07, ORDERS,  0,    0,    0, 3, 0,    2,    0x01, 0x02, 0x0f,
    CLEANUP, 0x08, COMPACT, 0x00, 0x00, 0, 0, 0x03, 0xe8, 0x01, 0x00,
};
/* Response v0: "orders", no error. */
static const uint8_t golden_response_v0[] = {0, 0, 0, 1, 0, 6, ORDERS, 0, 0};
/* Response v5: throttle 0, "orders", error 40, message null, 3 x 2, no configs,
 * TopicConfigErrorCode 40 in tag 0. */
static const uint8_t golden_response_v5[] = {
    0, 0, 0, 0, 0x02, 0x07, ORDERS, 0,    40, 0x00, 0,    0,
    0, 3, 0, 2, 0x01, 0x01, 0x00,   0x02, 0,  40,   0x00,
};
/* Response v7: as v5 with the topic id, no error, no tag. */
static const uint8_t golden_response_v7[] = {
    0, 0, 0, 0, 0x02, 0x07, ORDERS, UUID_BYTES, 0, 0, 0x00, 0, 0, 0, 3, 0, 2, 0x01, 0x00, 0x00,
};

static struct api_create_topics_config sample_config = {{"cleanup.policy", 14}, {"compact", 7}};

static struct api_create_topics_topic sample_topic(void)
{
    struct api_create_topics_topic t = {.name = wire_string_from("orders"),
                                        .num_partitions = 3,
                                        .replication_factor = 2,
                                        .config_count = 1,
                                        .configs = &sample_config};
    return t;
}

static void truncations_fail_request(int16_t version, const uint8_t *golden, uint32_t size)
{
    for (uint32_t len = 0; len < size; len++) {
        struct api_create_topics_request out;
        uint8_t *copy = malloc(len + 1);
        memcpy(copy, golden, len);
        assert_int_not_equal(api_create_topics_request_decode(version, copy, len, &out), KS_OK);
        free(copy);
    }
}

static void test_request_golden(void **state)
{
    (void)state;
    static const struct {
        int16_t version;
        const uint8_t *golden;
        uint32_t size;
    } cases[] = {
        {0, golden_request_v0, sizeof(golden_request_v0)},
        {1, golden_request_v1, sizeof(golden_request_v1)},
        {5, golden_request_v5, sizeof(golden_request_v5)},
    };
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        struct api_create_topics_topic topic = sample_topic();
        struct api_create_topics_request req = {1, &topic, 1000, cases[i].version >= 1}, out;
        struct wire_writer w;
        wire_writer_init(&w);
        api_create_topics_request_encode(&w, cases[i].version, &req);
        assert_int_equal(w.err, KS_OK);
        assert_int_equal(w.size_bytes, cases[i].size);
        assert_memory_equal(w.bytes, cases[i].golden, cases[i].size);
        wire_writer_free(&w);
        assert_int_equal(api_create_topics_request_decode(cases[i].version, cases[i].golden,
                                                          cases[i].size, &out),
                         KS_OK);
        assert_int_equal(out.topic_count, 1);
        assert_true(wire_string_equal_cstr(out.topics[0].name, "orders"));
        assert_int_equal(out.topics[0].num_partitions, 3);
        assert_int_equal(out.topics[0].replication_factor, 2);
        assert_true(wire_string_equal_cstr(out.topics[0].configs[0].value, "compact"));
        assert_int_equal(out.timeout_ms, 1000);
        assert_int_equal(out.validate_only, cases[i].version >= 1);
        api_create_topics_request_free(&out);
        truncations_fail_request(cases[i].version, cases[i].golden, cases[i].size);
    }
}

/* Manual assignments survive a round trip at every version. */
static void test_assignment_round_trip(void **state)
{
    (void)state;
    int32_t brokers0[] = {1, 2}, brokers1[] = {2, 3};
    struct api_create_topics_assignment assignments[] = {{0, 2, brokers0}, {1, 2, brokers1}};
    struct api_create_topics_topic topic = {wire_string_from("t"), -1, -1, 2, assignments, 0, NULL};
    struct api_create_topics_request req = {1, &topic, 5, false};
    for (int16_t v = API_CREATE_TOPICS_VERSION_MIN; v <= API_CREATE_TOPICS_VERSION_MAX; v++) {
        struct api_create_topics_request out;
        struct wire_writer w, again;
        wire_writer_init(&w);
        wire_writer_init(&again);
        api_create_topics_request_encode(&w, v, &req);
        assert_int_equal(api_create_topics_request_decode(v, w.bytes, w.size_bytes, &out), KS_OK);
        assert_int_equal(out.topics[0].assignment_count, 2);
        assert_int_equal(out.topics[0].assignments[1].broker_ids[1], 3);
        api_create_topics_request_encode(&again, v, &out);
        assert_int_equal(again.size_bytes, w.size_bytes);
        assert_memory_equal(again.bytes, w.bytes, w.size_bytes);
        api_create_topics_request_free(&out);
        wire_writer_free(&w);
        wire_writer_free(&again);
    }
}

static void test_response_golden(void **state)
{
    (void)state;
    static const struct {
        int16_t version;
        const uint8_t *golden;
        uint32_t size;
        int16_t error;
    } cases[] = {
        {0, golden_response_v0, sizeof(golden_response_v0), 0},
        {5, golden_response_v5, sizeof(golden_response_v5), 40},
        {7, golden_response_v7, sizeof(golden_response_v7), 0},
    };
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        struct api_create_topics_result result = {.name = wire_string_from("orders"),
                                                  .topic_id = {{UUID_BYTES}},
                                                  .error_code = cases[i].error,
                                                  .error_message = wire_string_null(),
                                                  .topic_config_error_code = cases[i].error,
                                                  .num_partitions = 3,
                                                  .replication_factor = 2,
                                                  .config_count = 0};
        struct api_create_topics_response resp = {0, 1, &result}, out;
        struct wire_writer w;
        wire_writer_init(&w);
        api_create_topics_response_encode(&w, cases[i].version, &resp);
        assert_int_equal(w.size_bytes, cases[i].size);
        assert_memory_equal(w.bytes, cases[i].golden, cases[i].size);
        wire_writer_free(&w);
        assert_int_equal(api_create_topics_response_decode(cases[i].version, cases[i].golden,
                                                           cases[i].size, &out),
                         KS_OK);
        assert_int_equal(out.topics[0].error_code, cases[i].error);
        assert_int_equal(out.topics[0].num_partitions, cases[i].version >= 5 ? 3 : -1);
        assert_int_equal(out.topics[0].topic_config_error_code,
                         cases[i].version >= 5 ? cases[i].error : 0);
        api_create_topics_response_free(&out);
        for (uint32_t len = 0; len < cases[i].size; len++)
            assert_int_not_equal(
                api_create_topics_response_decode(cases[i].version, cases[i].golden, len, &out),
                KS_OK);
    }
}

static void test_bad_input(void **state)
{
    (void)state;
    struct api_create_topics_request out;
    static const uint8_t huge_count[] = {0x7f, 0xff, 0xff, 0xff, 0, 0};
    assert_int_equal(api_create_topics_request_decode(0, huge_count, sizeof(huge_count), &out),
                     KS_ERR_TOO_MANY);
    static const uint8_t count_past_input[] = {0, 0, 0x10, 0, 0, 0};
    assert_int_equal(
        api_create_topics_request_decode(0, count_past_input, sizeof(count_past_input), &out),
        KS_ERR_TRUNCATED);
    static const uint8_t null_name[] = {0x02, 0x00, 0, 0, 0, 1, 0, 1, 0x01,
                                        0x01, 0x00, 0, 0, 0, 0, 0, 0};
    assert_int_equal(api_create_topics_request_decode(5, null_name, sizeof(null_name), &out),
                     KS_ERR_INVALID);
    assert_int_equal(
        api_create_topics_request_decode(8, golden_request_v5, sizeof(golden_request_v5), &out),
        KS_ERR_UNSUPPORTED_VERSION);
    struct api_create_topics_request req = {.validate_only = true};
    struct wire_writer w;
    wire_writer_init(&w);
    api_create_topics_request_encode(&w, 0, &req);
    assert_int_equal(w.err, KS_ERR_UNSUPPORTED_VERSION);
    wire_writer_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_golden),
        cmocka_unit_test(test_assignment_round_trip),
        cmocka_unit_test(test_response_golden),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
