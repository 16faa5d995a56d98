/*
 * frame_test.c: the frame splitter fed whole, byte by byte and in random chunk sizes
 * (fixed seed), oversize and negative size prefixes, request and response headers in
 * golden bytes both ways, and the header-version table against Kafka's schemas.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "system/proto/api.h"
#include "system/proto/frame.h"

/* Frames in a test stream, at most. */
#define TEST_FRAMES_MAX 64u
/* A tiny deterministic generator (xorshift64), seeded per test. */
struct test_rng {
    uint64_t state;
};

static uint32_t test_rng_next(struct test_rng *rng, uint32_t bound)
{
    rng->state ^= rng->state << 13;
    rng->state ^= rng->state >> 7;
    rng->state ^= rng->state << 17;
    return (uint32_t)(rng->state % bound);
}

/* A stream of frames whose sizes and contents come from the seed. */
struct test_stream {
    struct wire_writer w;
    uint32_t frame_count;
    uint32_t frame_start[TEST_FRAMES_MAX]; /* offset of each frame's body */
    uint32_t frame_size[TEST_FRAMES_MAX];
};

static void test_stream_build(struct test_stream *s, struct test_rng *rng, uint32_t frame_count)
{
    assert_true(frame_count <= TEST_FRAMES_MAX);
    wire_writer_init(&s->w);
    s->frame_count = frame_count;
    for (uint32_t i = 0; i < frame_count; i++) {
        uint32_t size = i % 7 == 3 ? 0 : test_rng_next(rng, 9000);
        uint32_t start = frame_begin(&s->w);
        s->frame_start[i] = start + FRAME_PREFIX_SIZE;
        s->frame_size[i] = size;
        for (uint32_t j = 0; j < size; j++)
            wire_write_int8(&s->w, (int8_t)(i * 31 + j));
        frame_end(&s->w, start);
    }
    assert_int_equal(s->w.err, KS_OK);
}

/* Feeds the stream in chunks (0: random sizes up to 700, else that size); checks frames. */
static void test_stream_split(struct test_stream *s, struct test_rng *rng, uint32_t chunk)
{
    struct frame_splitter sp;
    uint32_t frames_seen = 0, offset = 0;
    frame_splitter_init(&sp, FRAME_SIZE_MAX_DEFAULT);
    while (offset < s->w.size_bytes) {
        uint32_t n = chunk != 0 ? chunk : 1 + test_rng_next(rng, 700);
        if (n > s->w.size_bytes - offset)
            n = s->w.size_bytes - offset;
        uint32_t used = 0;
        while (used < n) { /* a chunk may hold several frames */
            uint32_t consumed;
            assert_int_equal(
                frame_splitter_feed(&sp, s->w.bytes + offset + used, n - used, &consumed), KS_OK);
            used += consumed;
            if (!frame_splitter_ready(&sp))
                continue;
            const uint8_t *bytes;
            uint32_t size;
            frame_splitter_frame(&sp, &bytes, &size);
            assert_true(frames_seen < s->frame_count);
            assert_int_equal(size, s->frame_size[frames_seen]);
            if (size > 0)
                assert_memory_equal(bytes, s->w.bytes + s->frame_start[frames_seen], size);
            frame_splitter_pop(&sp);
            frames_seen++;
        }
        offset += n;
    }
    assert_int_equal(frames_seen, s->frame_count);
    assert_false(frame_splitter_ready(&sp));
    frame_splitter_free(&sp);
}

static void test_splitter_chunkings(void **state)
{
    struct test_rng rng = {0x5eed1234abcdULL};
    struct test_stream s;
    test_stream_build(&s, &rng, 40);
    test_stream_split(&s, &rng, s.w.size_bytes); /* all at once */
    test_stream_split(&s, &rng, 1);              /* byte by byte */
    test_stream_split(&s, &rng, 3);
    for (int round = 0; round < 20; round++)
        test_stream_split(&s, &rng, 0); /* random chunk sizes */
    wire_writer_free(&s.w);
}

static void test_splitter_holds_frame_until_pop(void **state)
{
    static const uint8_t two[] = {0, 0, 0, 1, 0xaa, 0, 0, 0, 1, 0xbb};
    struct frame_splitter sp;
    uint32_t consumed;
    const uint8_t *bytes;
    uint32_t size;
    frame_splitter_init(&sp, 16);
    assert_int_equal(frame_splitter_feed(&sp, two, sizeof(two), &consumed), KS_OK);
    assert_int_equal(consumed, 5);
    assert_int_equal(frame_splitter_feed(&sp, two + 5, 5, &consumed), KS_OK);
    assert_int_equal(consumed, 0); /* first frame not popped yet */
    frame_splitter_frame(&sp, &bytes, &size);
    assert_int_equal(size, 1);
    assert_int_equal(bytes[0], 0xaa);
    frame_splitter_pop(&sp);
    assert_int_equal(frame_splitter_feed(&sp, two + 5, 5, &consumed), KS_OK);
    assert_int_equal(consumed, 5);
    frame_splitter_frame(&sp, &bytes, &size);
    assert_int_equal(bytes[0], 0xbb);
    frame_splitter_pop(&sp);
    frame_splitter_free(&sp);
}

static const struct {
    const char *name;
    uint32_t size_max;
    uint8_t prefix[4];
    enum ks_err err;
} size_cases[] = {
    {"at the limit", 16, {0, 0, 0, 16}, KS_OK},
    {"one above the limit", 16, {0, 0, 0, 17}, KS_ERR_TOO_MANY},
    {"socket.request.max.bytes + 1",
     FRAME_SIZE_MAX_DEFAULT,
     {0x06, 0x40, 0x00, 0x01},
     KS_ERR_TOO_MANY},
    {"negative", FRAME_SIZE_MAX_DEFAULT, {0xff, 0xff, 0xff, 0xfe}, KS_ERR_INVALID},
};

static void test_splitter_size_limits(void **state)
{
    for (size_t i = 0; i < KS_ARRAY_COUNT(size_cases); i++) {
        struct frame_splitter sp;
        uint32_t consumed;
        frame_splitter_init(&sp, size_cases[i].size_max);
        /* Byte by byte: the check fires when the fourth prefix byte arrives. */
        enum ks_err err = KS_OK;
        for (uint32_t j = 0; j < 4 && err == KS_OK; j++)
            err = frame_splitter_feed(&sp, &size_cases[i].prefix[j], 1, &consumed);
        if (err != size_cases[i].err)
            fail_msg("case '%s': err %d", size_cases[i].name, err);
        if (err != KS_OK) { /* sticky */
            assert_int_equal(frame_splitter_feed(&sp, size_cases[i].prefix, 4, &consumed), err);
            assert_int_equal(consumed, 0);
        }
        assert_false(frame_splitter_ready(&sp));
        frame_splitter_free(&sp);
    }
}

/* Request header v1 of ApiVersions v0: STYLE.md's golden frame. */
static const uint8_t golden_api_versions_v0[] = {
    0x00, 0x00, 0x00, 0x0a, 0x00, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff,
};

/* Request header v2 of Metadata v9, correlation 7, client "c", empty tags. */
static const uint8_t golden_header_v2[] = {
    0x00, 0x03, 0x00, 0x09, 0x00, 0x00, 0x00, 0x07, 0x00, 0x01, 'c', 0x00,
};

/* Request header v0 of ControlledShutdown v0: no client id. */
static const uint8_t golden_header_v0[] = {0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05};

static void test_request_header_golden(void **state)
{
    struct wire_writer w;
    struct wire_reader r;
    struct frame_request_header h = {API_API_VERSIONS, 0, 1, {NULL, -1}};
    int version;
    wire_writer_init(&w);
    uint32_t start = frame_begin(&w);
    frame_request_header_write(&w, frame_request_header_version(h.api_key, h.api_version), &h);
    frame_end(&w, start);
    assert_int_equal(w.size_bytes, sizeof(golden_api_versions_v0));
    assert_memory_equal(w.bytes, golden_api_versions_v0, sizeof(golden_api_versions_v0));

    wire_reader_init(&r, golden_api_versions_v0 + 4, sizeof(golden_api_versions_v0) - 4);
    assert_int_equal(frame_request_header_read(&r, &h, &version), KS_OK);
    assert_int_equal(version, 1);
    assert_int_equal(h.api_key, 18);
    assert_int_equal(h.correlation_id, 1);
    assert_true(wire_string_is_null(h.client_id));
    assert_int_equal(wire_reader_finish(&r), KS_OK);

    wire_reader_init(&r, golden_header_v2, sizeof(golden_header_v2));
    assert_int_equal(frame_request_header_read(&r, &h, &version), KS_OK);
    assert_int_equal(version, 2);
    assert_true(wire_string_equal_cstr(h.client_id, "c"));
    assert_int_equal(wire_reader_finish(&r), KS_OK);
    wire_writer_reset(&w);
    frame_request_header_write(&w, 2, &h);
    assert_memory_equal(w.bytes, golden_header_v2, sizeof(golden_header_v2));

    wire_reader_init(&r, golden_header_v0, sizeof(golden_header_v0));
    assert_int_equal(frame_request_header_read(&r, &h, &version), KS_OK);
    assert_int_equal(version, 0);
    assert_int_equal(h.correlation_id, 5);
    assert_int_equal(wire_reader_finish(&r), KS_OK);
    wire_writer_free(&w);
}

static void test_request_header_bad(void **state)
{
    static const uint8_t unknown_key[] = {0x01, 0x00, 0x00, 0x00, 0x00,
                                          0x00, 0x00, 0x09, 0xff, 0xff};
    static const uint8_t short_client[] = {0x00, 0x03, 0x00, 0x01, 0, 0, 0, 1, 0x00, 0x05, 'a'};
    struct frame_request_header h;
    struct wire_reader r;
    int version;
    wire_reader_init(&r, unknown_key, sizeof(unknown_key));
    assert_int_equal(frame_request_header_read(&r, &h, &version), KS_ERR_INVALID);
    assert_int_equal(h.correlation_id, 9); /* still known, for the log */
    assert_int_equal(version, FRAME_HEADER_VERSION_UNKNOWN);
    wire_reader_init(&r, short_client, sizeof(short_client));
    assert_int_equal(frame_request_header_read(&r, &h, &version), KS_ERR_TRUNCATED);
    wire_reader_init(&r, short_client, 5);
    assert_int_equal(frame_request_header_read(&r, &h, &version), KS_ERR_TRUNCATED);
}

static void test_response_header_golden(void **state)
{
    static const uint8_t v0[] = {0x00, 0x00, 0x01, 0x02};
    static const uint8_t v1[] = {0x00, 0x00, 0x01, 0x02, 0x00};
    struct wire_writer w;
    struct wire_reader r;
    int32_t correlation_id;
    wire_writer_init(&w);
    frame_response_header_write(&w, 0, 258);
    assert_memory_equal(w.bytes, v0, sizeof(v0));
    wire_writer_reset(&w);
    frame_response_header_write(&w, 1, 258);
    assert_int_equal(w.size_bytes, sizeof(v1));
    assert_memory_equal(w.bytes, v1, sizeof(v1));
    wire_reader_init(&r, v1, sizeof(v1));
    assert_int_equal(frame_response_header_read(&r, 1, &correlation_id), KS_OK);
    assert_int_equal(correlation_id, 258);
    assert_int_equal(wire_reader_finish(&r), KS_OK);
    wire_reader_init(&r, v1, 4);
    assert_int_equal(frame_response_header_read(&r, 1, &correlation_id), KS_ERR_TRUNCATED);
    wire_writer_free(&w);
}

static const struct {
    int16_t api_key;
    int16_t api_version;
    int request_header_version;
    int response_header_version;
} header_cases[] = {
    {API_PRODUCE, 8, 1, 0},
    {API_PRODUCE, 9, 2, 1},
    {API_FETCH, 11, 1, 0},
    {API_FETCH, 12, 2, 1},
    {API_METADATA, 8, 1, 0},
    {API_METADATA, 9, 2, 1},
    {API_METADATA, 12, 2, 1},
    {API_CONTROLLED_SHUTDOWN, 0, 0, 0},
    {API_CONTROLLED_SHUTDOWN, 1, 1, 0},
    {API_CONTROLLED_SHUTDOWN, 3, 2, 1},
    {API_SASL_HANDSHAKE, 1, 1, 0}, /* never flexible */
    {API_API_VERSIONS, 2, 1, 0},
    {API_API_VERSIONS, 3, 2, 0}, /* response header stays v0 */
    {API_API_VERSIONS, 9, 2, 0},
    {API_VOTE, 0, 2, 1},
    {API_BEGIN_QUORUM_EPOCH, 0, 1, 0},
    {API_BEGIN_QUORUM_EPOCH, 1, 2, 1},
    {87, 0, 2, 1},
    {88, 0, FRAME_HEADER_VERSION_UNKNOWN, FRAME_HEADER_VERSION_UNKNOWN},
    {-1, 0, FRAME_HEADER_VERSION_UNKNOWN, FRAME_HEADER_VERSION_UNKNOWN},
};

static void test_header_version_table(void **state)
{
    for (size_t i = 0; i < KS_ARRAY_COUNT(header_cases); i++) {
        int16_t key = header_cases[i].api_key, version = header_cases[i].api_version;
        if (frame_request_header_version(key, version) != header_cases[i].request_header_version ||
            frame_response_header_version(key, version) != header_cases[i].response_header_version)
            fail_msg("key %d version %d", key, version);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splitter_chunkings),
        cmocka_unit_test(test_splitter_holds_frame_until_pop),
        cmocka_unit_test(test_splitter_size_limits),
        cmocka_unit_test(test_request_header_golden),
        cmocka_unit_test(test_request_header_bad),
        cmocka_unit_test(test_response_header_golden),
        cmocka_unit_test(test_header_version_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
