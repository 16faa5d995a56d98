/*
 * api_test.c: the API key table and ApiVersions in golden bytes both ways (v0 and v3,
 * requests and responses, feature tags), the KIP-511 fallback (a too-new request gets a
 * v0 UNSUPPORTED_VERSION answer; a client reads it back), INVALID_REQUEST for bad client
 * software names, and bad input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "system/proto/api.h"
#include "system/proto/frame.h"

/* STYLE.md: size, api_key 18, version 0, correlation id 1, null client id. */
static const uint8_t golden_request_v0[] = {
    0x00, 0x00, 0x00, 0x0a, 0x00, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff,
};

/* v3, correlation 2, client id "ks"; body: software "ks" version "1.0". */
static const uint8_t golden_request_v3[] = {
    0x00, 0x00, 0x00, 0x15,                         /* size 21 */
    0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, /* key 18, v3, correlation 2 */
    0x00, 0x02, 'k',  's',  0x00,                   /* client_id, header tags */
    0x03, 'k',  's',  0x04, '1',  '.',  '0',  0x00, /* name, version, tags */
};

/* The table's answer at v0: Metadata 0-12, ApiVersions 0-3. */
static const uint8_t golden_response_v0[] = {
    0x00, 0x00, 0x00, 0x6a, 0x00, 0x00, 0x00, 0x01, /* size 106, correlation 1 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x10,             /* error 0, sixteen keys */
    0x00, 0x03, 0x00, 0x00, 0x00, 0x0c,             /* Metadata 0-12 */
    0x00, 0x08, 0x00, 0x00, 0x00, 0x09,             /* OffsetCommit 0-9 */
    0x00, 0x09, 0x00, 0x00, 0x00, 0x09,             /* OffsetFetch 0-9 */
    0x00, 0x0a, 0x00, 0x00, 0x00, 0x06,             /* FindCoordinator 0-6 */
    0x00, 0x0b, 0x00, 0x00, 0x00, 0x09,             /* JoinGroup 0-9 */
    0x00, 0x0c, 0x00, 0x00, 0x00, 0x04,             /* Heartbeat 0-4 */
    0x00, 0x0d, 0x00, 0x00, 0x00, 0x05,             /* LeaveGroup 0-5 */
    0x00, 0x0e, 0x00, 0x00, 0x00, 0x05,             /* SyncGroup 0-5 */
    0x00, 0x0f, 0x00, 0x00, 0x00, 0x05,             /* DescribeGroups 0-5 */
    0x00, 0x10, 0x00, 0x00, 0x00, 0x05,             /* ListGroups 0-5 */
    0x00, 0x12, 0x00, 0x00, 0x00, 0x03,             /* ApiVersions 0-3 */
    0x00, 0x13, 0x00, 0x00, 0x00, 0x07,             /* CreateTopics 0-7 */
    0x00, 0x14, 0x00, 0x00, 0x00, 0x06,             /* DeleteTopics 0-6 */
    0x00, 0x2a, 0x00, 0x00, 0x00, 0x02,             /* DeleteGroups 0-2 */
    0x00, 0x3e, 0x00, 0x00, 0x00, 0x04,             /* BrokerRegistration 0-4 */
    0x00, 0x3f, 0x00, 0x00, 0x00, 0x01,             /* BrokerHeartbeat 0-1 */
};

/* The same at v3: compact array, tags per key, throttle, empty tag section. */
static const uint8_t golden_response_v3[] = {
    0x00, 0x00, 0x00, 0x7c, 0x00, 0x00, 0x00, 0x02, /* size 124, correlation 2 */
    0x00, 0x00, 0x11,                               /* error 0, 16 keys */
    0x00, 0x03, 0x00, 0x00, 0x00, 0x0c, 0x00,       /* Metadata 0-12 */
    0x00, 0x08, 0x00, 0x00, 0x00, 0x09, 0x00,       /* OffsetCommit 0-9 */
    0x00, 0x09, 0x00, 0x00, 0x00, 0x09, 0x00,       /* OffsetFetch 0-9 */
    0x00, 0x0a, 0x00, 0x00, 0x00, 0x06, 0x00,       /* FindCoordinator 0-6 */
    0x00, 0x0b, 0x00, 0x00, 0x00, 0x09, 0x00,       /* JoinGroup 0-9 */
    0x00, 0x0c, 0x00, 0x00, 0x00, 0x04, 0x00,       /* Heartbeat 0-4 */
    0x00, 0x0d, 0x00, 0x00, 0x00, 0x05, 0x00,       /* LeaveGroup 0-5 */
    0x00, 0x0e, 0x00, 0x00, 0x00, 0x05, 0x00,       /* SyncGroup 0-5 */
    0x00, 0x0f, 0x00, 0x00, 0x00, 0x05, 0x00,       /* DescribeGroups 0-5 */
    0x00, 0x10, 0x00, 0x00, 0x00, 0x05, 0x00,       /* ListGroups 0-5 */
    0x00, 0x12, 0x00, 0x00, 0x00, 0x03, 0x00,       /* ApiVersions 0-3 */
    0x00, 0x13, 0x00, 0x00, 0x00, 0x07, 0x00,       /* CreateTopics 0-7 */
    0x00, 0x14, 0x00, 0x00, 0x00, 0x06, 0x00,       /* DeleteTopics 0-6 */
    0x00, 0x2a, 0x00, 0x00, 0x00, 0x02, 0x00,       /* DeleteGroups 0-2 */
    0x00, 0x3e, 0x00, 0x00, 0x00, 0x04, 0x00,       /* BrokerRegistration 0-4 */
    0x00, 0x3f, 0x00, 0x00, 0x00, 0x01, 0x00,       /* BrokerHeartbeat 0-1 */
    0x00, 0x00, 0x00, 0x00, 0x00,                   /* throttle 0, no tags */
};

/* A v3 body with every tag: as a KRaft broker of 3.7 answers (one key for brevity). */
static const uint8_t golden_response_v3_features[] = {
    0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03, 0x00, /* error, ApiVersions 0-3 */
    0x00, 0x00, 0x00, 0x00,                                     /* throttle */
    0x04,                                                       /* four tags */
    0x00, 0x17, 0x02, 0x11, 'm',  'e',  't',  'a',  'd',  'a',  't',  'a',  '.',
    'v',  'e',  'r',  's',  'i',  'o',  'n',  0x00, 0x01, 0x00, 0x13, 0x00, /* tag 0: 1..19 */
    0x01, 0x08, 0,    0,    0,    0,    0,    0,    0,    0x2a,             /* tag 1: epoch 42 */
    0x02, 0x17, 0x02, 0x11, 'm',  'e',  't',  'a',  'd',  'a',  't',  'a',  '.',
    'v',  'e',  'r',  's',  'i',  'o',  'n',  0x00, 0x13, 0x00, 0x13, 0x00, /* tag 2: max 19, min 19
                                                                             */
    0x03, 0x01, 0x01,                                                       /* tag 3: true */
};

/* Kafka's fallback: v0 body, UNSUPPORTED_VERSION, only the ApiVersions key. */
static const uint8_t golden_response_unsupported[] = {
    0x00, 0x23, 0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03,
};

static void test_table(void **state)
{
    assert_string_equal(api_name(API_METADATA), "Metadata");
    assert_string_equal(api_name(API_API_VERSIONS), "ApiVersions");
    assert_string_equal(api_name(87), "ReadShareGroupStateSummary");
    assert_string_equal(api_name(88), "Unknown");
    assert_null(api_info(-1));
    assert_true(api_version_implemented(API_METADATA, 12));
    assert_false(api_version_implemented(API_METADATA, 13));
    assert_true(api_version_implemented(API_API_VERSIONS, 0));
    assert_false(api_version_implemented(API_API_VERSIONS, 4));
    assert_false(api_version_implemented(API_PRODUCE, 3));
    assert_true(api_version_is_flexible(API_METADATA, 9));
    assert_false(api_version_is_flexible(API_METADATA, 8));
    assert_false(api_version_is_flexible(API_SASL_HANDSHAKE, 1));
    for (int16_t key = 0; key <= API_KEY_MAX; key++) {
        const struct api_info *info = api_info(key);
        assert_non_null(info);
        assert_int_equal(info->key, key);
        assert_true(info->version_min <= info->version_max);
    }
}

/* Splits one frame and reads its request header. */
static void request_open(const uint8_t *frame, uint32_t size, struct frame_request_header *h,
                         struct wire_reader *body)
{
    int header_version;
    wire_reader_init(body, frame + FRAME_PREFIX_SIZE, size - FRAME_PREFIX_SIZE);
    assert_int_equal(ks_be32_load(frame), size - FRAME_PREFIX_SIZE);
    assert_int_equal(frame_request_header_read(body, h, &header_version), KS_OK);
    assert_int_equal(header_version, frame_request_header_version(h->api_key, h->api_version));
}

static void request_encode(struct wire_writer *w, const struct frame_request_header *h,
                           const struct api_versions_request *request)
{
    uint32_t start = frame_begin(w);
    frame_request_header_write(w, frame_request_header_version(h->api_key, h->api_version), h);
    api_versions_request_encode(w, h->api_version, request);
    frame_end(w, start);
    assert_int_equal(w->err, KS_OK);
}

static void test_request_v0_golden(void **state)
{
    struct frame_request_header h;
    struct wire_reader body;
    struct api_versions_request request;
    struct wire_writer w;
    request_open(golden_request_v0, sizeof(golden_request_v0), &h, &body);
    assert_int_equal(h.api_version, 0);
    assert_int_equal(api_versions_request_decode(0, body.bytes + body.offset,
                                                 wire_reader_remaining(&body), &request),
                     KS_OK);
    wire_writer_init(&w);
    request_encode(&w, &h, &request);
    assert_int_equal(w.size_bytes, sizeof(golden_request_v0));
    assert_memory_equal(w.bytes, golden_request_v0, sizeof(golden_request_v0));
    wire_writer_free(&w);
}

static void test_request_v3_golden(void **state)
{
    struct frame_request_header h;
    struct wire_reader body;
    struct api_versions_request request;
    struct wire_writer w;
    request_open(golden_request_v3, sizeof(golden_request_v3), &h, &body);
    assert_int_equal(h.api_version, 3);
    assert_true(wire_string_equal_cstr(h.client_id, "ks"));
    assert_int_equal(api_versions_request_decode(3, body.bytes + body.offset,
                                                 wire_reader_remaining(&body), &request),
                     KS_OK);
    assert_true(wire_string_equal_cstr(request.client_software_name, "ks"));
    assert_true(wire_string_equal_cstr(request.client_software_version, "1.0"));
    assert_true(api_versions_request_valid(3, &request));
    wire_writer_init(&w);
    request_encode(&w, &h, &request);
    assert_int_equal(w.size_bytes, sizeof(golden_request_v3));
    assert_memory_equal(w.bytes, golden_request_v3, sizeof(golden_request_v3));
    wire_writer_free(&w);
}

/* Encodes the broker's answer to a request of version v as a whole frame. */
static void answer_encode(struct wire_writer *w, int16_t request_version, int32_t correlation_id,
                          const uint8_t *body, uint32_t body_size)
{
    struct api_versions_response response;
    int16_t response_version;
    assert_int_equal(
        api_versions_answer(request_version, body, body_size, &response, &response_version), KS_OK);
    uint32_t start = frame_begin(w);
    frame_response_header_write(
        w, frame_response_header_version(API_API_VERSIONS, response_version), correlation_id);
    api_versions_response_encode(w, response_version, &response);
    frame_end(w, start);
    assert_int_equal(w->err, KS_OK);
}

static void test_response_golden_both_ways(void **state)
{
    struct wire_writer w;
    struct api_versions_response response;
    wire_writer_init(&w);
    answer_encode(&w, 0, 1, NULL, 0);
    assert_int_equal(w.size_bytes, sizeof(golden_response_v0));
    assert_memory_equal(w.bytes, golden_response_v0, sizeof(golden_response_v0));
    wire_writer_reset(&w);
    answer_encode(&w, 3, 2, golden_request_v3 + 17, sizeof(golden_request_v3) - 17);
    assert_int_equal(w.size_bytes, sizeof(golden_response_v3));
    assert_memory_equal(w.bytes, golden_response_v3, sizeof(golden_response_v3));

    assert_int_equal(api_versions_response_decode(0, golden_response_v0 + 8,
                                                  sizeof(golden_response_v0) - 8, &response),
                     KS_OK);
    assert_int_equal(response.key_count, 16);
    assert_int_equal(response.keys[0].api_key, API_METADATA);
    assert_int_equal(response.keys[0].version_max, 12);
    assert_int_equal(api_versions_response_decode(3, golden_response_v3 + 8,
                                                  sizeof(golden_response_v3) - 8, &response),
                     KS_OK);
    assert_int_equal(response.key_count, 16);
    assert_int_equal(response.keys[10].api_key, API_API_VERSIONS);
    assert_int_equal(response.keys[10].version_max, 3);
    assert_int_equal(response.finalized_features_epoch, -1);
    wire_writer_free(&w);
}

static void test_response_v3_features(void **state)
{
    struct api_versions_response response;
    struct wire_writer w;
    assert_int_equal(api_versions_response_decode(3, golden_response_v3_features,
                                                  sizeof(golden_response_v3_features), &response),
                     KS_OK);
    assert_int_equal(response.supported_feature_count, 1);
    assert_true(wire_string_equal_cstr(response.supported_features[0].name, "metadata.version"));
    assert_int_equal(response.supported_features[0].version_min, 1);
    assert_int_equal(response.supported_features[0].version_max, 19);
    assert_int_equal(response.finalized_features_epoch, 42);
    assert_int_equal(response.finalized_feature_count, 1);
    assert_int_equal(response.finalized_features[0].version_max, 19);
    assert_true(response.zk_migration_ready);
    wire_writer_init(&w);
    api_versions_response_encode(&w, 3, &response);
    assert_int_equal(w.err, KS_OK);
    assert_int_equal(w.size_bytes, sizeof(golden_response_v3_features));
    assert_memory_equal(w.bytes, golden_response_v3_features, sizeof(golden_response_v3_features));
    wire_writer_free(&w);
}

static void test_fallback_unsupported_version(void **state)
{
    static const uint8_t garbage[] = {0xde, 0xad};
    struct api_versions_response response;
    int16_t response_version;
    struct wire_writer w;
    /* A v4 request (and a negative one) is not parsed: v0 answer, error 35. */
    static const int16_t versions[] = {4, 127, -1};
    for (size_t i = 0; i < KS_ARRAY_COUNT(versions); i++) {
        assert_int_equal(api_versions_answer(versions[i], garbage, sizeof(garbage), &response,
                                             &response_version),
                         KS_OK);
        assert_int_equal(response_version, 0);
        assert_int_equal(response.error_code, KS_ERR_UNSUPPORTED_VERSION);
        wire_writer_init(&w);
        api_versions_response_encode(&w, response_version, &response);
        assert_int_equal(w.size_bytes, sizeof(golden_response_unsupported));
        assert_memory_equal(w.bytes, golden_response_unsupported,
                            sizeof(golden_response_unsupported));
        wire_writer_free(&w);
    }
    /* A client that asked with v3 reads the v0 body anyway, as Kafka's client does. */
    assert_int_equal(api_versions_response_decode(3, golden_response_unsupported,
                                                  sizeof(golden_response_unsupported), &response),
                     KS_OK);
    assert_int_equal(response.error_code, 35);
    assert_int_equal(response.key_count, 1);
    assert_int_equal(response.keys[0].version_max, API_VERSIONS_VERSION_MAX);
}

static const struct {
    const char *name;
    const char *version;
    bool valid;
} software_cases[] = {
    {"librdkafka", "2.3.0", true},
    {"apache-kafka-java", "3.7.0", true},
    {"a", "1", true},
    {"", "1.0", false},
    {"-lead", "1.0", false},
    {"trail.", "1.0", false},
    {"sp ace", "1.0", false},
    {"ok", "1.0-SNAPSHOT_x", false},
};

static void test_invalid_software_name(void **state)
{
    for (size_t i = 0; i < KS_ARRAY_COUNT(software_cases); i++) {
        struct api_versions_request request = {wire_string_from(software_cases[i].name),
                                               wire_string_from(software_cases[i].version)};
        struct api_versions_response response;
        struct wire_writer body;
        int16_t response_version;
        assert_int_equal(api_versions_request_valid(3, &request), software_cases[i].valid);
        wire_writer_init(&body);
        api_versions_request_encode(&body, 3, &request);
        assert_int_equal(
            api_versions_answer(3, body.bytes, body.size_bytes, &response, &response_version),
            KS_OK);
        assert_int_equal(response_version, 3);
        assert_int_equal(response.error_code,
                         software_cases[i].valid ? KS_OK : KS_ERR_INVALID_REQUEST);
        assert_int_equal(response.key_count, software_cases[i].valid ? 16 : 0);
        wire_writer_free(&body);
    }
}

static void test_bad_input(void **state)
{
    struct api_versions_request request;
    struct api_versions_response response;
    int16_t response_version;
    const uint8_t *body = golden_request_v3 + 17;
    uint32_t size = sizeof(golden_request_v3) - 17;
    /* Every truncation of a v3 body fails; the broker closes the connection. */
    for (uint32_t n = 0; n < size; n++) {
        assert_int_not_equal(api_versions_request_decode(3, body, n, &request), KS_OK);
        assert_int_not_equal(api_versions_answer(3, body, n, &response, &response_version), KS_OK);
    }
    /* A v0 body must be empty. */
    assert_int_equal(api_versions_request_decode(0, body, 1, &request), KS_ERR_INVALID);
    /* A response claiming more keys than it holds, in either form. */
    static const uint8_t many_keys[] = {0x00, 0x00, 0x00, 0x00, 0x7f, 0xff, 0x00, 0x12};
    assert_int_not_equal(api_versions_response_decode(3, many_keys, sizeof(many_keys), &response),
                         KS_OK);
    assert_int_equal(response.key_count, 0);
    /* Every truncation of a response with features fails cleanly. */
    for (uint32_t n = 0; n < sizeof(golden_response_v3_features); n++)
        assert_int_not_equal(
            api_versions_response_decode(3, golden_response_v3_features, n, &response), KS_OK);
    assert_int_equal(api_versions_response_decode(4, NULL, 0, &response),
                     KS_ERR_UNSUPPORTED_VERSION);
}

/* A server's own key list replaces the table; the fallback and errors stay as they are. */
static void test_answer_from_served_keys(void **state)
{
    static const struct api_versions_key served[] = {{API_METADATA, 0, 7},
                                                     {API_API_VERSIONS, 0, 3}};
    static const uint8_t v3_body[] = {0x03, 'k', 's', 0x04, '1', '.', '0', 0x00};
    struct api_versions_response response;
    int16_t response_version = -1;
    assert_int_equal(api_versions_answer_from(2, NULL, 0, served, 2, &response, &response_version),
                     KS_OK);
    assert_int_equal(response_version, 2);
    assert_int_equal(response.error_code, 0);
    assert_int_equal(response.key_count, 2);
    assert_int_equal(response.keys[0].api_key, API_METADATA);
    assert_int_equal(response.keys[0].version_max, 7);
    assert_int_equal(api_versions_answer_from(3, v3_body, sizeof(v3_body), served, 2, &response,
                                              &response_version),
                     KS_OK);
    assert_int_equal(response.key_count, 2);
    assert_int_equal(api_versions_answer_from(4, NULL, 0, served, 2, &response, &response_version),
                     KS_OK);
    assert_int_equal(response_version, 0);
    assert_int_equal(response.error_code, KS_ERR_UNSUPPORTED_VERSION);
    assert_int_equal(response.key_count, 1);
    assert_int_not_equal(
        api_versions_answer_from(3, v3_body, 3, served, 2, &response, &response_version), KS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_request_v0_golden),
        cmocka_unit_test(test_request_v3_golden),
        cmocka_unit_test(test_response_golden_both_ways),
        cmocka_unit_test(test_response_v3_features),
        cmocka_unit_test(test_fallback_unsupported_version),
        cmocka_unit_test(test_invalid_software_name),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_answer_from_served_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
