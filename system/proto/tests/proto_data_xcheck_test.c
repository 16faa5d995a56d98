/*
 * proto_data_xcheck_test.c: the C half of the kafka-python cross-check of the data-path
 * codecs (ci/tests/proto_data_kafka_python.sh). Reads the frames kafka-python wrote
 * into $KS_XCHECK_DIR (py_*.bin), splits and decodes each, checks values, re-encodes it
 * (same bytes required), and writes our own encoding of the same content (c_*.bin) for
 * kafka-python to decode. Skipped when KS_XCHECK_DIR is unset.
 *
 * Content shared with the script: topic "orders"; Produce acks=-1, 30000 ms, partition 0
 * "abc" and partition 1 empty; Fetch by a consumer, read_committed, session 77 epoch 2
 * (v7+), rack "rack-a" (v11); ListOffsets earliest of 0, latest of 1. Client id
 * "kafka-python", correlation id 100 + version.
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
#include "system/proto/api_fetch.h"
#include "system/proto/api_list_offsets.h"
#include "system/proto/api_produce.h"
#include "system/proto/frame.h"

#define XCHECK_PATH_SIZE_MAX 4096u
#define XCHECK_FILE_SIZE_MAX 1048576u
#define XCHECK_NAME_SIZE_MAX 64u

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

/* The one frame of a file, without its size prefix (checked against the file size). */
static void xcheck_unframe(const uint8_t *bytes, uint32_t size, struct wire_reader *r)
{
    assert_true(size >= FRAME_PREFIX_SIZE);
    assert_int_equal(ks_be32_load(bytes), size - FRAME_PREFIX_SIZE);
    wire_reader_init(r, bytes + FRAME_PREFIX_SIZE, size - FRAME_PREFIX_SIZE);
}

/*
 * Per message type: decode a body, check it, and re-encode it into w (rt); encode our
 * own fixture into w (fixture).
 */
typedef void (*xcheck_rt_fn)(int16_t version, const uint8_t *body, uint32_t size,
                             struct wire_writer *w);
typedef void (*xcheck_fixture_fn)(int16_t version, struct wire_writer *w);

struct xcheck_api {
    const char *name;
    int16_t api_key;
    int16_t request_version_min, request_version_max;
    int16_t response_version_min, response_version_max;
    xcheck_rt_fn request_rt, response_rt;
    xcheck_fixture_fn request_fixture, response_fixture;
};

static void frame_request(struct wire_writer *w, int16_t key, int16_t version,
                          const struct wire_writer *body)
{
    struct frame_request_header h = {key, version, 100 + version, wire_string_from("kafka-python")};
    uint32_t start = frame_begin(w);
    frame_request_header_write(w, frame_request_header_version(key, version), &h);
    wire_write_raw(w, body->bytes, body->size_bytes);
    frame_end(w, start);
}

static void frame_response(struct wire_writer *w, int16_t key, int16_t version,
                           const struct wire_writer *body)
{
    uint32_t start = frame_begin(w);
    frame_response_header_write(w, frame_response_header_version(key, version), 100 + version);
    wire_write_raw(w, body->bytes, body->size_bytes);
    frame_end(w, start);
}

static void check_one(const struct xcheck_api *api, bool request, int16_t version)
{
    char name[XCHECK_NAME_SIZE_MAX];
    struct wire_writer body, frame;
    struct wire_reader r;
    uint32_t size;
    snprintf(name, sizeof(name), "%s_%s_v%d", request ? "req" : "resp", api->name, version);
    uint8_t *bytes = xcheck_read(name, &size);
    xcheck_unframe(bytes, size, &r);
    if (request) {
        struct frame_request_header h;
        int header_version;
        assert_int_equal(frame_request_header_read(&r, &h, &header_version), KS_OK);
        assert_int_equal(h.api_key, api->api_key);
        assert_int_equal(h.api_version, version);
        assert_int_equal(h.correlation_id, 100 + version);
    } else {
        int32_t correlation_id;
        assert_int_equal(
            frame_response_header_read(&r, frame_response_header_version(api->api_key, version),
                                       &correlation_id),
            KS_OK);
        assert_int_equal(correlation_id, 100 + version);
    }
    wire_writer_init(&body);
    wire_writer_init(&frame);
    (request ? api->request_rt : api->response_rt)(version, r.bytes + r.offset,
                                                   wire_reader_remaining(&r), &body);
    (request ? frame_request : frame_response)(&frame, api->api_key, version, &body);
    assert_int_equal(frame.size_bytes, size); /* decode, re-encode: kafka-python's bytes */
    assert_memory_equal(frame.bytes, bytes, size);
    wire_writer_reset(&body);
    wire_writer_reset(&frame);
    (request ? api->request_fixture : api->response_fixture)(version, &body);
    (request ? frame_request : frame_response)(&frame, api->api_key, version, &body);
    xcheck_write(name, &frame);
    wire_writer_free(&body);
    wire_writer_free(&frame);
    free(bytes);
}

static void check_api(const struct xcheck_api *api)
{
    for (int16_t v = api->request_version_min; v <= api->request_version_max; v++)
        check_one(api, true, v);
    for (int16_t v = api->response_version_min; v <= api->response_version_max; v++)
        check_one(api, false, v);
}

/* ---- Produce ---- */

static void produce_request_fixture(int16_t version, struct wire_writer *w)
{
    struct api_produce_partition ps[2] = {{0, {(const uint8_t *)"abc", 3}},
                                          {1, {(const uint8_t *)"", 0}}};
    struct api_produce_topic t = {wire_string_from("orders"), 2, ps};
    struct api_produce_request req;
    api_produce_request_init(&req);
    req.acks = -1;
    req.timeout_ms = 30000;
    req.topic_count = 1;
    req.topics = &t;
    api_produce_request_encode(w, version, &req);
}

static void produce_request_rt(int16_t version, const uint8_t *body, uint32_t size,
                               struct wire_writer *w)
{
    struct api_produce_request req;
    assert_int_equal(api_produce_request_decode(version, body, size, &req), KS_OK);
    assert_int_equal(req.acks, -1);
    assert_int_equal(req.topics[0].partition_count, 2);
    assert_memory_equal(req.topics[0].partitions[0].records.bytes, "abc", 3);
    assert_int_equal(req.topics[0].partitions[1].records.size_bytes, 0);
    api_produce_request_encode(w, version, &req);
    api_produce_request_free(&req);
}

static void produce_response_fixture(int16_t version, struct wire_writer *w)
{
    struct api_produce_partition_response p;
    struct api_produce_topic_response t = {wire_string_from("orders"), 1, &p};
    struct api_produce_response resp;
    api_produce_response_init(&resp);
    api_produce_partition_response_init(&p);
    p.base_offset = 16;
    p.log_start_offset = 3;
    resp.topic_count = 1;
    resp.topics = &t;
    resp.throttle_time_ms = 7;
    api_produce_response_encode(w, version, &resp);
}

static void produce_response_rt(int16_t version, const uint8_t *body, uint32_t size,
                                struct wire_writer *w)
{
    struct api_produce_response resp;
    assert_int_equal(api_produce_response_decode(version, body, size, &resp), KS_OK);
    assert_int_equal(resp.throttle_time_ms, 7);
    assert_int_equal(resp.topics[0].partitions[0].base_offset, 16);
    assert_int_equal(resp.topics[0].partitions[0].log_start_offset, version >= 5 ? 3 : -1);
    api_produce_response_encode(w, version, &resp);
    api_produce_response_free(&resp);
}

/* ---- Fetch ---- */

static void fetch_request_fixture(int16_t version, struct wire_writer *w)
{
    struct api_fetch_partition ps[2];
    struct api_fetch_topic t = {wire_string_from("orders"), {{0}}, 2, ps};
    struct api_fetch_multi_request req;
    api_fetch_multi_request_init(&req);
    for (int i = 0; i < 2; i++) {
        api_fetch_partition_init(&ps[i]);
        ps[i].partition = 2 * i;
        ps[i].fetch_offset = 10 + 10 * i;
        ps[i].partition_max_bytes = i == 0 ? 1048576 : 65536;
        ps[i].current_leader_epoch = 5;
    }
    req.max_wait_ms = 500;
    req.min_bytes = 1;
    req.max_bytes = 52428800;
    req.isolation_level = 1;
    req.session_id = 77;
    req.session_epoch = 2;
    req.topic_count = 1;
    req.topics = &t;
    req.rack_id = wire_string_from("rack-a");
    api_fetch_multi_request_encode(w, version, &req);
}

static void fetch_request_rt(int16_t version, const uint8_t *body, uint32_t size,
                             struct wire_writer *w)
{
    struct api_fetch_multi_request req;
    assert_int_equal(api_fetch_multi_request_decode(version, body, size, &req), KS_OK);
    assert_int_equal(req.replica_id, -1);
    assert_int_equal(req.isolation_level, 1);
    assert_int_equal(req.topics[0].partitions[1].fetch_offset, 20);
    assert_int_equal(req.session_id, version >= 7 ? 77 : 0);
    api_fetch_multi_request_encode(w, version, &req);
    api_fetch_multi_request_free(&req);
}

static void fetch_response_fixture(int16_t version, struct wire_writer *w)
{
    struct api_fetch_aborted_transaction aborted[2] = {{7, 30}, {8, 35}};
    struct api_fetch_partition_data ps[2];
    struct api_fetch_topic_data t = {wire_string_from("orders"), {{0}}, 2, ps};
    struct api_fetch_multi_response resp;
    api_fetch_multi_response_init(&resp);
    for (int i = 0; i < 2; i++) {
        api_fetch_partition_data_init(&ps[i]);
        ps[i].partition_index = 2 * i;
        ps[i].high_watermark = 50;
        ps[i].last_stable_offset = 40;
        ps[i].log_start_offset = 1;
    }
    ps[0].aborted_transaction_count = 2;
    ps[0].aborted_transactions = aborted;
    ps[0].records = (struct wire_bytes){(const uint8_t *)"xyz", 3};
    ps[1].error_code = KS_ERR_NOT_LEADER_OR_FOLLOWER;
    resp.throttle_time_ms = 7;
    resp.session_id = 77;
    resp.topic_count = 1;
    resp.topics = &t;
    api_fetch_multi_response_encode(w, version, &resp);
}

static void fetch_response_rt(int16_t version, const uint8_t *body, uint32_t size,
                              struct wire_writer *w)
{
    struct api_fetch_multi_response resp;
    assert_int_equal(api_fetch_multi_response_decode(version, body, size, &resp), KS_OK);
    const struct api_fetch_partition_data *p = &resp.topics[0].partitions[0];
    assert_int_equal(p->aborted_transaction_count, 2);
    assert_int_equal(p->aborted_transactions[1].producer_id, 8);
    assert_memory_equal(p->records.bytes, "xyz", 3);
    assert_int_equal(resp.topics[0].partitions[1].aborted_transaction_count, -1);
    assert_int_equal(resp.topics[0].partitions[1].records.size_bytes, -1);
    api_fetch_multi_response_encode(w, version, &resp);
    api_fetch_multi_response_free(&resp);
}

/* ---- ListOffsets ---- */

static void list_offsets_request_fixture(int16_t version, struct wire_writer *w)
{
    struct api_list_offsets_partition ps[2] = {{0, -1, API_LIST_OFFSETS_EARLIEST_TIMESTAMP},
                                               {1, -1, API_LIST_OFFSETS_LATEST_TIMESTAMP}};
    struct api_list_offsets_topic t = {wire_string_from("orders"), 2, ps};
    struct api_list_offsets_request req;
    api_list_offsets_request_init(&req);
    req.isolation_level = version >= 2 ? 1 : 0;
    req.topic_count = 1;
    req.topics = &t;
    api_list_offsets_request_encode(w, version, &req);
}

static void list_offsets_request_rt(int16_t version, const uint8_t *body, uint32_t size,
                                    struct wire_writer *w)
{
    struct api_list_offsets_request req;
    assert_int_equal(api_list_offsets_request_decode(version, body, size, &req), KS_OK);
    assert_int_equal(req.topics[0].partitions[0].timestamp, -2);
    assert_int_equal(req.topics[0].partitions[1].timestamp, -1);
    api_list_offsets_request_encode(w, version, &req);
    api_list_offsets_request_free(&req);
}

static void list_offsets_response_fixture(int16_t version, struct wire_writer *w)
{
    struct api_list_offsets_partition_response ps[2] = {{0, 0, -1, 42, 5}, {1, 6, -1, -1, 5}};
    struct api_list_offsets_topic_response t = {wire_string_from("orders"), 2, ps};
    struct api_list_offsets_response resp = {7, 1, &t};
    api_list_offsets_response_encode(w, version, &resp);
}

static void list_offsets_response_rt(int16_t version, const uint8_t *body, uint32_t size,
                                     struct wire_writer *w)
{
    struct api_list_offsets_response resp;
    assert_int_equal(api_list_offsets_response_decode(version, body, size, &resp), KS_OK);
    assert_int_equal(resp.topics[0].partitions[0].offset, 42);
    assert_int_equal(resp.topics[0].partitions[1].error_code, 6);
    api_list_offsets_response_encode(w, version, &resp);
    api_list_offsets_response_free(&resp);
}

static const struct xcheck_api xcheck_produce = {"produce",
                                                 API_PRODUCE,
                                                 3,
                                                 8,
                                                 3,
                                                 7,
                                                 produce_request_rt,
                                                 produce_response_rt,
                                                 produce_request_fixture,
                                                 produce_response_fixture};
static const struct xcheck_api xcheck_fetch = {"fetch",
                                               API_FETCH,
                                               4,
                                               11,
                                               4,
                                               11,
                                               fetch_request_rt,
                                               fetch_response_rt,
                                               fetch_request_fixture,
                                               fetch_response_fixture};
static const struct xcheck_api xcheck_list_offsets = {"list_offsets",
                                                      API_LIST_OFFSETS,
                                                      1,
                                                      3,
                                                      1,
                                                      5,
                                                      list_offsets_request_rt,
                                                      list_offsets_response_rt,
                                                      list_offsets_request_fixture,
                                                      list_offsets_response_fixture};

static void test_produce(void **state)
{
    check_api(&xcheck_produce);
}

static void test_fetch(void **state)
{
    check_api(&xcheck_fetch);
}

static void test_list_offsets(void **state)
{
    check_api(&xcheck_list_offsets);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_produce),
        cmocka_unit_test(test_fetch),
        cmocka_unit_test(test_list_offsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
