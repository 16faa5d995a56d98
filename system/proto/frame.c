/*
 * frame.c: size-prefixed frames and request/response headers. Kafka: NetworkReceive,
 * RequestHeader, ResponseHeader, ApiKeys.requestHeaderVersion (KIP-482: flexible
 * versions use request header v2 and response header v1; ApiVersions responses always
 * use header v0 so a client can read one whatever version it asked for).
 */
#include "system/proto/frame.h"

#include "system/proto/api.h"

#include <stdlib.h>
#include <string.h>

/* First size of a splitter's frame buffer; it doubles up to the frame's size. */
#define FRAME_CAPACITY_MIN 4096u

void frame_splitter_init(struct frame_splitter *s, uint32_t frame_size_max)
{
    KS_ASSERT(frame_size_max <= INT32_MAX);
    memset(s, 0, sizeof(*s));
    s->frame_size_max = frame_size_max;
    s->err = KS_OK;
}

void frame_splitter_free(struct frame_splitter *s)
{
    free(s->frame);
    s->frame = NULL;
    s->frame_capacity = 0;
}

bool frame_splitter_ready(const struct frame_splitter *s)
{
    return s->frame_ready;
}

void frame_splitter_frame(const struct frame_splitter *s, const uint8_t **bytes,
                          uint32_t *size_bytes)
{
    KS_ASSERT(s->frame_ready);
    KS_ASSERT(s->frame_fill == s->frame_size);
    *bytes = s->frame;
    *size_bytes = s->frame_size;
}

void frame_splitter_pop(struct frame_splitter *s)
{
    KS_ASSERT(s->frame_ready);
    s->frame_ready = false;
    s->prefix_fill = 0;
    s->frame_size = 0;
    s->frame_fill = 0;
}

/* Takes size prefix bytes; once all four are in, checks the size. Returns bytes taken. */
static uint32_t splitter_take_prefix(struct frame_splitter *s, const uint8_t *bytes, uint32_t n)
{
    uint32_t take = FRAME_PREFIX_SIZE - s->prefix_fill;
    if (take > n)
        take = n;
    memcpy(s->prefix + s->prefix_fill, bytes, take);
    s->prefix_fill += take;
    KS_ASSERT(s->prefix_fill <= FRAME_PREFIX_SIZE);
    if (s->prefix_fill < FRAME_PREFIX_SIZE)
        return take;
    int32_t size = (int32_t)ks_be32_load(s->prefix);
    if (size < 0)
        s->err = KS_ERR_INVALID; /* Kafka: InvalidReceiveException */
    else if ((uint32_t)size > s->frame_size_max)
        s->err = KS_ERR_TOO_MANY; /* above socket.request.max.bytes */
    s->frame_size = size < 0 ? 0 : (uint32_t)size;
    s->frame_fill = 0;
    s->frame_ready = s->err == KS_OK && s->frame_size == 0;
    return take;
}

/* Grows the frame buffer to hold at least need bytes, never beyond the frame's size. */
static void splitter_reserve(struct frame_splitter *s, uint32_t need)
{
    KS_ASSERT(need <= s->frame_size);
    if (need <= s->frame_capacity)
        return;
    uint64_t capacity = s->frame_capacity < FRAME_CAPACITY_MIN ? FRAME_CAPACITY_MIN
                                                               : (uint64_t)s->frame_capacity * 2;
    if (capacity < need)
        capacity = need;
    if (capacity > s->frame_size)
        capacity = s->frame_size;
    s->frame = ks_realloc(s->frame, (size_t)capacity);
    s->frame_capacity = (uint32_t)capacity;
}

static uint32_t splitter_take_body(struct frame_splitter *s, const uint8_t *bytes, uint32_t n)
{
    uint32_t take = s->frame_size - s->frame_fill;
    if (take > n)
        take = n;
    splitter_reserve(s, s->frame_fill + take);
    memcpy(s->frame + s->frame_fill, bytes, take);
    s->frame_fill += take;
    KS_ASSERT(s->frame_fill <= s->frame_size);
    s->frame_ready = s->frame_fill == s->frame_size;
    return take;
}

enum ks_err frame_splitter_feed(struct frame_splitter *s, const uint8_t *bytes, uint32_t size_bytes,
                                uint32_t *consumed_bytes)
{
    uint32_t used = 0;
    *consumed_bytes = 0;
    KS_ASSERT(bytes != NULL || size_bytes == 0);
    /* Each pass takes at least one byte, so at most size_bytes passes. */
    while (s->err == KS_OK && !s->frame_ready && used < size_bytes) {
        if (s->prefix_fill < FRAME_PREFIX_SIZE)
            used += splitter_take_prefix(s, bytes + used, size_bytes - used);
        else
            used += splitter_take_body(s, bytes + used, size_bytes - used);
    }
    KS_ASSERT(used <= size_bytes);
    *consumed_bytes = used;
    return s->err;
}

/* ---- headers ---- */

int frame_request_header_version(int16_t api_key, int16_t api_version)
{
    if (api_info(api_key) == NULL)
        return FRAME_HEADER_VERSION_UNKNOWN;
    if (api_key == API_CONTROLLED_SHUTDOWN && api_version == 0)
        return 0;
    return api_version_is_flexible(api_key, api_version) ? 2 : 1;
}

int frame_response_header_version(int16_t api_key, int16_t api_version)
{
    if (api_info(api_key) == NULL)
        return FRAME_HEADER_VERSION_UNKNOWN;
    if (api_key == API_API_VERSIONS)
        return 0;
    return api_version_is_flexible(api_key, api_version) ? 1 : 0;
}

enum ks_err frame_request_header_read(struct wire_reader *r, struct frame_request_header *out,
                                      int *header_version)
{
    *header_version = FRAME_HEADER_VERSION_UNKNOWN;
    out->api_key = wire_read_int16(r);
    out->api_version = wire_read_int16(r);
    out->correlation_id = wire_read_int32(r);
    out->client_id = wire_string_null();
    if (r->err != KS_OK)
        return r->err;
    int version = frame_request_header_version(out->api_key, out->api_version);
    if (version == FRAME_HEADER_VERSION_UNKNOWN) {
        wire_reader_fail(r, KS_ERR_INVALID);
        return r->err;
    }
    if (version >= 1)
        out->client_id = wire_read_nullable_string(r);
    if (version >= 2)
        wire_skip_tagged_fields(r);
    if (r->err == KS_OK)
        *header_version = version;
    return r->err;
}

void frame_request_header_write(struct wire_writer *w, int header_version,
                                const struct frame_request_header *header)
{
    KS_ASSERT(header_version >= 0);
    KS_ASSERT(header_version <= 2);
    wire_write_int16(w, header->api_key);
    wire_write_int16(w, header->api_version);
    wire_write_int32(w, header->correlation_id);
    if (header_version >= 1)
        wire_write_nullable_string(w, header->client_id);
    if (header_version >= 2)
        wire_write_empty_tagged_fields(w);
}

enum ks_err frame_response_header_read(struct wire_reader *r, int header_version,
                                       int32_t *correlation_id)
{
    KS_ASSERT(header_version >= 0);
    KS_ASSERT(header_version <= 1);
    *correlation_id = wire_read_int32(r);
    if (header_version >= 1)
        wire_skip_tagged_fields(r);
    return r->err;
}

void frame_response_header_write(struct wire_writer *w, int header_version, int32_t correlation_id)
{
    KS_ASSERT(header_version >= 0);
    KS_ASSERT(header_version <= 1);
    wire_write_int32(w, correlation_id);
    if (header_version >= 1)
        wire_write_empty_tagged_fields(w);
}

uint32_t frame_begin(struct wire_writer *w)
{
    return wire_write_reserve_int32(w);
}

void frame_end(struct wire_writer *w, uint32_t start)
{
    if (w->err != KS_OK)
        return;
    KS_ASSERT(start + FRAME_PREFIX_SIZE <= w->size_bytes);
    uint32_t size = w->size_bytes - start - FRAME_PREFIX_SIZE;
    KS_ASSERT(size <= INT32_MAX);
    wire_write_patch_int32(w, start, (int32_t)size);
}
