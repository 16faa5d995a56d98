/*
 * frame.h: Kafka's size-prefixed framing and its request and response headers.
 * Kafka: NetworkReceive (int32 size, then that many bytes; socket.request.max.bytes),
 * RequestHeader v0-v2 and ResponseHeader v0-v1 (KIP-482), ApiKeys.requestHeaderVersion
 * and responseHeaderVersion.
 *
 * The splitter takes a byte stream in chunks of any size and hands out whole frames,
 * one at a time, as a broker takes one request per connection at once. It copies what it
 * needs, so the caller's chunks may go right after each feed. Headers are read with a
 * wire_reader and written with a wire_writer; client_id is a view into the input.
 */
#ifndef KS_PROTO_FRAME_H
#define KS_PROTO_FRAME_H

#include "system/proto/wire.h"

/* Kafka's default socket.request.max.bytes: 100 MiB. */
#define FRAME_SIZE_MAX_DEFAULT 104857600u
/* Bytes of the size prefix. */
#define FRAME_PREFIX_SIZE 4u

struct frame_splitter {
    uint32_t frame_size_max; /* larger frames fail with KS_ERR_TOO_MANY */
    uint8_t prefix[FRAME_PREFIX_SIZE];
    uint32_t prefix_fill; /* prefix bytes seen of the frame being read */
    uint8_t *frame;       /* owned; grows with the data, never beyond the frame's size */
    uint32_t frame_capacity;
    uint32_t frame_size; /* from the prefix, once prefix_fill == FRAME_PREFIX_SIZE */
    uint32_t frame_fill; /* bytes of the frame seen */
    bool frame_ready;    /* a whole frame waits for frame_splitter_pop() */
    enum ks_err err;     /* sticky */
};

void frame_splitter_init(struct frame_splitter *s, uint32_t frame_size_max);
void frame_splitter_free(struct frame_splitter *s);
/*
 * Takes bytes until one frame is whole or the chunk is used up; *consumed_bytes says how
 * many it took. While a frame is ready it takes nothing: pop it first. A size prefix
 * that is negative fails with KS_ERR_INVALID, one above frame_size_max with
 * KS_ERR_TOO_MANY; errors are sticky (the connection is done).
 */
KS_MUST_CHECK enum ks_err frame_splitter_feed(struct frame_splitter *s, const uint8_t *bytes,
                                              uint32_t size_bytes, uint32_t *consumed_bytes);
bool frame_splitter_ready(const struct frame_splitter *s);
/* The ready frame, without its size prefix; valid until the next pop or feed. */
void frame_splitter_frame(const struct frame_splitter *s, const uint8_t **bytes,
                          uint32_t *size_bytes);
void frame_splitter_pop(struct frame_splitter *s);

/* Header versions (ApiKeys.requestHeaderVersion, responseHeaderVersion). */
#define FRAME_HEADER_VERSION_UNKNOWN (-1)
/* 0 only for ControlledShutdown v0, 2 for flexible versions, else 1; unknown key: -1. */
int frame_request_header_version(int16_t api_key, int16_t api_version);
/* 1 for flexible versions except ApiVersions (always 0), else 0; unknown key: -1. */
int frame_response_header_version(int16_t api_key, int16_t api_version);

struct frame_request_header {
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    struct wire_string client_id; /* v1+, nullable; always int16 length, even in v2 */
};

/*
 * Reads a request header, choosing its version from the key and version it starts
 * with; *header_version says which. An unknown key fails with KS_ERR_INVALID after key,
 * version and correlation id were read (enough to log; Kafka closes the connection).
 * Unknown tags (v2) are skipped.
 */
KS_MUST_CHECK enum ks_err frame_request_header_read(struct wire_reader *r,
                                                    struct frame_request_header *out,
                                                    int *header_version);
void frame_request_header_write(struct wire_writer *w, int header_version,
                                const struct frame_request_header *header);
/* Reads a response header of the given version; returns the sticky error. */
KS_MUST_CHECK enum ks_err frame_response_header_read(struct wire_reader *r, int header_version,
                                                     int32_t *correlation_id);
void frame_response_header_write(struct wire_writer *w, int header_version, int32_t correlation_id);

/* Starts a frame in w (reserves the size prefix); returns where it starts. */
uint32_t frame_begin(struct wire_writer *w);
/* Fills in the size prefix of the frame started at start. */
void frame_end(struct wire_writer *w, uint32_t start);

#endif
