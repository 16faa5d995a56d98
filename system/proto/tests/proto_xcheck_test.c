/*
 * proto_xcheck_test.c: the C half of the kafka-python cross-check
 * (ci/tests/proto_kafka_python.sh). Reads the frames kafka-python wrote into
 * $KS_XCHECK_DIR (py_*.bin), splits, decodes and checks them, re-encodes each (same
 * bytes required), and writes our own encodings of the same content (c_*.bin) for
 * kafka-python to decode. Skipped when KS_XCHECK_DIR is unset.
 *
 * Content shared with the script: Metadata v0-5 with topics "orders", "payments" and
 * auto creation off (v4+), client id "kafka-python", correlation 100 + version (200 for
 * the "all topics" requests); the response in fixture_metadata_response().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/proto/api.h"
#include "system/proto/api_metadata.h"
#include "system/proto/frame.h"

#define XCHECK_PATH_SIZE_MAX 4096u
#define XCHECK_FILE_SIZE_MAX 1048576u
#define XCHECK_METADATA_VERSION_MAX 5
#define XCHECK_API_VERSIONS_VERSION_MAX 2

static const char *xcheck_dir(void)
{
    const char *dir = getenv("KS_XCHECK_DIR");
    if (dir == NULL || dir[0] == '\0')
        skip();
    return dir;
}

static void xcheck_path(char *path, const char *prefix, const char *name)
{
    int n = snprintf(path, XCHECK_PATH_SIZE_MAX, "%s/%s_%s.bin", xcheck_dir(), prefix, name);
    assert_true(n > 0 && (unsigned)n < XCHECK_PATH_SIZE_MAX);
}

/* Reads py_<name>.bin; the caller frees. */
static uint8_t *xcheck_read(const char *name, uint32_t *size)
{
    char path[XCHECK_PATH_SIZE_MAX];
    xcheck_path(path, "py", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    uint8_t *bytes = malloc(XCHECK_FILE_SIZE_MAX);
    assert_non_null(bytes);
    size_t n = fread(bytes, 1, XCHECK_FILE_SIZE_MAX, f);
    fclose(f);
    assert_true(n < XCHECK_FILE_SIZE_MAX);
    *size = (uint32_t)n;
    return bytes;
}

static void xcheck_write(const char *name, const struct wire_writer *w)
{
    char path[XCHECK_PATH_SIZE_MAX];
    assert_int_equal(w->err, KS_OK);
    xcheck_path(path, "c", name);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        fail_msg("cannot create %s", path);
    assert_int_equal(fwrite(w->bytes, 1, w->size_bytes, f), w->size_bytes);
    assert_int_equal(fclose(f), 0);
}

/* Splits the one frame the file holds, fed in 7-byte chunks; copies it into *out. */
static void xcheck_unframe(const uint8_t *bytes, uint32_t size, struct wire_writer *out)
{
    struct frame_splitter sp;
    uint32_t offset = 0, consumed;
    frame_splitter_init(&sp, FRAME_SIZE_MAX_DEFAULT);
    while (offset < size && !frame_splitter_ready(&sp)) {
        uint32_t n = size - offset < 7 ? size - offset : 7;
        assert_int_equal(frame_splitter_feed(&sp, bytes + offset, n, &consumed), KS_OK);
        offset += consumed;
    }
    assert_int_equal(offset, size); /* exactly one frame */
    assert_true(frame_splitter_ready(&sp));
    const uint8_t *frame;
    uint32_t frame_size;
    frame_splitter_frame(&sp, &frame, &frame_size);
    wire_writer_init(out);
    wire_write_raw(out, frame, frame_size);
    frame_splitter_pop(&sp);
    frame_splitter_free(&sp);
}

/* ---- the shared content ---- */

static int32_t nodes_1[] = {1};
static int32_t nodes_2[] = {2};
static int32_t nodes_12[] = {1, 2};
static int32_t nodes_21[] = {2, 1};

static void fixture_metadata_response(struct api_metadata_response *r,
                                      struct api_metadata_broker brokers[2],
                                      struct api_metadata_topic topics[2],
                                      struct api_metadata_partition partitions[2])
{
    memset(r, 0, sizeof(*r));
    memset(topics, 0, 2 * sizeof(*topics));
    brokers[0] = (struct api_metadata_broker){1, wire_string_from("broker-1"), 9092,
                                              wire_string_from("rack-a")};
    brokers[1] =
        (struct api_metadata_broker){2, wire_string_from("broker-2"), 9093, wire_string_null()};
    partitions[0] = (struct api_metadata_partition){0, 0, 1, -1, 2, nodes_12, 2, nodes_12, 0, NULL};
    partitions[1] =
        (struct api_metadata_partition){0, 1, 2, -1, 2, nodes_21, 1, nodes_2, 1, nodes_1};
    topics[0].name = wire_string_from("orders");
    topics[0].partition_count = 2;
    topics[0].partitions = partitions;
    topics[1].error_code = KS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    topics[1].name = wire_string_from("missing");
    for (int i = 0; i < 2; i++)
        topics[i].topic_authorized_operations = API_METADATA_AUTHORIZED_OPERATIONS_UNSET;
    r->throttle_time_ms = 7;
    r->broker_count = 2;
    r->brokers = brokers;
    r->cluster_id = wire_string_from("ks-cluster");
    r->controller_id = 2;
    r->topic_count = 2;
    r->topics = topics;
    r->cluster_authorized_operations = API_METADATA_AUTHORIZED_OPERATIONS_UNSET;
}

static void encode_request_frame(struct wire_writer *w, int16_t key, int16_t version,
                                 int32_t correlation_id, const struct api_metadata_request *md)
{
    struct frame_request_header h = {key, version, correlation_id,
                                     wire_string_from("kafka-python")};
    uint32_t start = frame_begin(w);
    frame_request_header_write(w, frame_request_header_version(key, version), &h);
    if (key == API_METADATA) {
        api_metadata_request_encode(w, version, md);
    } else {
        struct api_versions_request av = {wire_string_from(""), wire_string_from("")};
        api_versions_request_encode(w, version, &av);
    }
    frame_end(w, start);
}

/* ---- Metadata requests ---- */

static void check_metadata_request(const char *name, int16_t version, int32_t correlation_id,
                                   int32_t topic_count)
{
    struct wire_uuid zero = {{0}};
    struct api_metadata_request_topic topics[2] = {{zero, wire_string_from("orders")},
                                                   {zero, wire_string_from("payments")}};
    struct api_metadata_request ours = {topic_count, topics, version < 4, false, false};
    struct api_metadata_request got;
    struct frame_request_header h;
    struct wire_writer frame, again;
    struct wire_reader r;
    uint32_t size;
    int header_version;
    uint8_t *bytes = xcheck_read(name, &size);
    xcheck_unframe(bytes, size, &frame);
    wire_reader_init(&r, frame.bytes, frame.size_bytes);
    assert_int_equal(frame_request_header_read(&r, &h, &header_version), KS_OK);
    assert_int_equal(h.api_key, API_METADATA);
    assert_int_equal(h.api_version, version);
    assert_int_equal(h.correlation_id, correlation_id);
    assert_true(wire_string_equal_cstr(h.client_id, "kafka-python"));
    assert_int_equal(
        api_metadata_request_decode(version, r.bytes + r.offset, wire_reader_remaining(&r), &got),
        KS_OK);
    assert_int_equal(got.topic_count, topic_count);
    for (int32_t i = 0; i < got.topic_count; i++)
        assert_true(wire_string_equal(got.topics[i].name, topics[i].name));
    assert_int_equal(got.allow_auto_topic_creation, version < 4);
    wire_writer_init(&again);
    encode_request_frame(&again, API_METADATA, version, correlation_id, &got);
    assert_int_equal(again.size_bytes, size);
    assert_memory_equal(again.bytes, bytes, size);
    wire_writer_reset(&again);
    encode_request_frame(&again, API_METADATA, version, correlation_id, &ours);
    xcheck_write(name, &again);
    api_metadata_request_free(&got);
    wire_writer_free(&again);
    wire_writer_free(&frame);
    free(bytes);
}

static void test_metadata_requests(void **state)
{
    char name[64];
    for (int16_t v = 0; v <= XCHECK_METADATA_VERSION_MAX; v++) {
        snprintf(name, sizeof(name), "req_metadata_v%d", v);
        check_metadata_request(name, v, 100 + v, 2);
    }
    check_metadata_request("req_metadata_v0_all", 0, 200, -1);
    check_metadata_request("req_metadata_v1_all", 1, 200, -1);
}

/* ---- Metadata responses ---- */

static void check_metadata_response(int16_t version)
{
    struct api_metadata_response want, got;
    struct api_metadata_broker brokers[2];
    struct api_metadata_topic topics[2];
    struct api_metadata_partition partitions[2];
    struct wire_writer frame, ours;
    struct wire_reader r;
    char name[64];
    uint32_t size;
    int32_t correlation_id;
    fixture_metadata_response(&want, brokers, topics, partitions);
    snprintf(name, sizeof(name), "resp_metadata_v%d", version);
    uint8_t *bytes = xcheck_read(name, &size);
    xcheck_unframe(bytes, size, &frame);
    wire_reader_init(&r, frame.bytes, frame.size_bytes);
    assert_int_equal(frame_response_header_read(&r, 0, &correlation_id), KS_OK);
    assert_int_equal(correlation_id, 100 + version);
    assert_int_equal(
        api_metadata_response_decode(version, r.bytes + r.offset, wire_reader_remaining(&r), &got),
        KS_OK);
    assert_int_equal(got.broker_count, 2);
    assert_true(wire_string_equal(got.brokers[0].host, want.brokers[0].host));
    assert_true(wire_string_equal(got.brokers[0].rack,
                                  version >= 1 ? want.brokers[0].rack : wire_string_null()));
    assert_int_equal(got.controller_id, version >= 1 ? 2 : -1);
    assert_int_equal(got.topic_count, 2);
    assert_int_equal(got.topics[1].error_code, KS_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    assert_int_equal(got.topics[0].partitions[1].isr_count, 1);
    assert_int_equal(got.topics[0].partitions[1].offline_replica_count, version >= 5 ? 1 : 0);
    /* Our encoding of what we decoded, and of our own copy, must both be kafka-python's. */
    wire_writer_init(&ours);
    uint32_t start = frame_begin(&ours);
    frame_response_header_write(&ours, 0, correlation_id);
    api_metadata_response_encode(&ours, version, &got);
    frame_end(&ours, start);
    assert_int_equal(ours.size_bytes, size);
    assert_memory_equal(ours.bytes, bytes, size);
    wire_writer_reset(&ours);
    start = frame_begin(&ours);
    frame_response_header_write(&ours, 0, correlation_id);
    api_metadata_response_encode(&ours, version, &want);
    frame_end(&ours, start);
    xcheck_write(name, &ours);
    api_metadata_response_free(&got);
    wire_writer_free(&ours);
    wire_writer_free(&frame);
    free(bytes);
}

static void test_metadata_responses(void **state)
{
    for (int16_t v = 0; v <= XCHECK_METADATA_VERSION_MAX; v++)
        check_metadata_response(v);
}

/* ---- ApiVersions ---- */

static void check_api_versions(int16_t version)
{
    struct frame_request_header h;
    struct api_versions_response answer, decoded;
    struct wire_writer frame, ours;
    struct wire_reader r;
    char name[64];
    uint32_t size;
    int header_version;
    int16_t response_version;
    snprintf(name, sizeof(name), "req_apiversions_v%d", version);
    uint8_t *bytes = xcheck_read(name, &size);
    xcheck_unframe(bytes, size, &frame);
    wire_reader_init(&r, frame.bytes, frame.size_bytes);
    assert_int_equal(frame_request_header_read(&r, &h, &header_version), KS_OK);
    assert_int_equal(h.api_version, version);
    assert_int_equal(api_versions_answer(version, r.bytes + r.offset, wire_reader_remaining(&r),
                                         &answer, &response_version),
                     KS_OK);
    wire_writer_init(&ours);
    encode_request_frame(&ours, API_API_VERSIONS, version, h.correlation_id, NULL);
    assert_int_equal(ours.size_bytes, size);
    assert_memory_equal(ours.bytes, bytes, size);
    xcheck_write(name, &ours);
    free(bytes);
    wire_writer_free(&frame);

    /* kafka-python's response lists exactly what our table answers. */
    snprintf(name, sizeof(name), "resp_apiversions_v%d", version);
    bytes = xcheck_read(name, &size);
    xcheck_unframe(bytes, size, &frame);
    assert_int_equal(
        api_versions_response_decode(version, frame.bytes + 4, frame.size_bytes - 4, &decoded),
        KS_OK);
    assert_int_equal(decoded.key_count, answer.key_count);
    wire_writer_reset(&ours);
    uint32_t start = frame_begin(&ours);
    frame_response_header_write(&ours, 0, h.correlation_id);
    api_versions_response_encode(&ours, response_version, &answer);
    frame_end(&ours, start);
    assert_int_equal(ours.size_bytes, size);
    assert_memory_equal(ours.bytes, bytes, size);
    xcheck_write(name, &ours);
    free(bytes);
    wire_writer_free(&frame);
    wire_writer_free(&ours);
}

static void test_api_versions(void **state)
{
    for (int16_t v = 0; v <= XCHECK_API_VERSIONS_VERSION_MAX; v++)
        check_api_versions(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata_requests),
        cmocka_unit_test(test_metadata_responses),
        cmocka_unit_test(test_api_versions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
