/*
 * proto_request_fuzz.c: arbitrary bytes into the request path of system/proto/, as a
 * broker meets them on a socket. Kafka: NetworkReceive, RequestHeader, ApiVersions
 * (KIP-511 fallback), Metadata. libFuzzer entry point (AFL++ compatible).
 *
 * 1. The input is a byte stream: the frame splitter takes it in chunks whose size comes
 *    from the input itself; every whole frame gets its request header read and, for
 *    ApiVersions and Metadata, its body decoded and answered.
 * 2. The input is also a raw body for every version of each request decoder.
 * Whatever decodes must re-encode, and decoding that encoding must give the same bytes
 * again (encode(decode(encode(x))) == encode(x)). Anything else is a bug: abort.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "system/proto/api.h"
#include "system/proto/api_metadata.h"
#include "system/proto/frame.h"

/* Frames up to 1 MiB: enough for any input libFuzzer makes, small enough to stay fast. */
#define FUZZ_FRAME_SIZE_MAX 1048576u
/* Chunk sizes the splitter is fed in: 1..FUZZ_CHUNK_SIZE_MAX. */
#define FUZZ_CHUNK_SIZE_MAX 61u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(bool ok)
{
    if (!ok)
        abort();
}

/* Metadata request at version v: decoded, re-encoded, decoded again: stable bytes. */
static void fuzz_metadata_request(int16_t version, const uint8_t *body, uint32_t size)
{
    struct api_metadata_request first, second;
    struct wire_writer w1, w2;
    if (api_metadata_request_decode(version, body, size, &first) != KS_OK)
        return;
    wire_writer_init(&w1);
    wire_writer_init(&w2);
    api_metadata_request_encode(&w1, version, &first);
    fuzz_check(w1.err == KS_OK);
    fuzz_check(api_metadata_request_decode(version, w1.bytes, w1.size_bytes, &second) == KS_OK);
    fuzz_check(second.topic_count == first.topic_count);
    api_metadata_request_encode(&w2, version, &second);
    fuzz_check(w2.err == KS_OK && w2.size_bytes == w1.size_bytes);
    fuzz_check(w1.size_bytes == 0 || memcmp(w1.bytes, w2.bytes, w1.size_bytes) == 0);
    api_metadata_request_free(&second);
    api_metadata_request_free(&first);
    wire_writer_free(&w2);
    wire_writer_free(&w1);
}

/* ApiVersions at any version: answered (or refused); the answer encodes and decodes. */
static void fuzz_api_versions_request(int16_t version, const uint8_t *body, uint32_t size)
{
    struct api_versions_response answer, back;
    int16_t response_version;
    struct wire_writer w;
    if (api_versions_answer(version, body, size, &answer, &response_version) != KS_OK)
        return;
    wire_writer_init(&w);
    api_versions_response_encode(&w, response_version, &answer);
    fuzz_check(w.err == KS_OK);
    fuzz_check(api_versions_response_decode(response_version, w.bytes, w.size_bytes, &back) ==
               KS_OK);
    fuzz_check(back.error_code == answer.error_code && back.key_count == answer.key_count);
    wire_writer_free(&w);
}

/* One whole frame: header, then the body by key. */
static void fuzz_frame(const uint8_t *frame, uint32_t size)
{
    struct frame_request_header header;
    struct wire_reader r;
    int header_version;
    wire_reader_init(&r, frame, size);
    if (frame_request_header_read(&r, &header, &header_version) != KS_OK)
        return;
    fuzz_check(header_version == frame_request_header_version(header.api_key, header.api_version));
    const uint8_t *body = r.bytes + r.offset;
    uint32_t body_size = wire_reader_remaining(&r);
    if (header.api_key == API_API_VERSIONS)
        fuzz_api_versions_request(header.api_version, body, body_size);
    else if (header.api_key == API_METADATA)
        fuzz_metadata_request(header.api_version, body, body_size);
}

static void fuzz_stream(const uint8_t *data, uint32_t size)
{
    struct frame_splitter sp;
    uint32_t offset = 0, consumed;
    uint32_t chunk = 1 + (uint32_t)(ks_fnv1a64(KS_FNV1A64_INIT, data, size) % FUZZ_CHUNK_SIZE_MAX);
    frame_splitter_init(&sp, FUZZ_FRAME_SIZE_MAX);
    /* Each pass consumes bytes or pops a frame, so at most 2 * size passes. */
    while (offset < size) {
        uint32_t n = size - offset < chunk ? size - offset : chunk;
        if (frame_splitter_feed(&sp, data + offset, n, &consumed) != KS_OK)
            break; /* a broker closes the connection */
        offset += consumed;
        if (frame_splitter_ready(&sp)) {
            const uint8_t *frame;
            uint32_t frame_size;
            frame_splitter_frame(&sp, &frame, &frame_size);
            fuzz_frame(frame, frame_size);
            frame_splitter_pop(&sp);
        }
    }
    frame_splitter_free(&sp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_FRAME_SIZE_MAX)
        return 0;
    fuzz_stream(data, (uint32_t)size);
    for (int16_t v = API_METADATA_VERSION_MIN; v <= API_METADATA_VERSION_MAX; v++)
        fuzz_metadata_request(v, data, (uint32_t)size);
    for (int16_t v = -1; v <= API_VERSIONS_VERSION_MAX + 1; v++)
        fuzz_api_versions_request(v, data, (uint32_t)size);
    return 0;
}
