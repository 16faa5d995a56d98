/*
 * api_find_coordinator.c: FindCoordinator (key 10) request and response, v0-v6.
 * Kafka: FindCoordinatorRequest.json, FindCoordinatorResponse.json. Fields are read
 * and written in wire order, each labelled with the versions that carry it.
 */
#include "system/proto/api_find_coordinator.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element, to bound counts before allocating. */
#define FIND_COORDINATOR_KEY_SIZE_MIN 1u
#define FIND_COORDINATOR_COORDINATOR_SIZE_MIN 14u

static bool version_flexible(int16_t version)
{
    return version >= API_FIND_COORDINATOR_FLEXIBLE_VERSION_FIRST;
}

static bool version_batched(int16_t version)
{
    return version >= API_FIND_COORDINATOR_BATCH_VERSION_FIRST;
}

static bool version_known(int16_t version)
{
    return version >= API_FIND_COORDINATOR_VERSION_MIN &&
           version <= API_FIND_COORDINATOR_VERSION_MAX;
}

/* ---- request ---- */

enum ks_err api_find_coordinator_request_decode(int16_t version, const uint8_t *body,
                                                uint32_t size_bytes,
                                                struct api_find_coordinator_request *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    if (!version_batched(version)) {
        out->keys = wire_array_alloc(1, sizeof(*out->keys));
        out->key_count = 1;
        out->keys[0] = wire_read_flex_string(&r, flexible); /* Key v0-3 */
    }
    if (version >= 1)
        out->key_type = wire_read_int8(&r); /* KeyType v1+ */
    if (version_batched(version)) {
        int32_t n = wire_read_compact_array_count(&r, FIND_COORDINATOR_KEY_SIZE_MIN);
        out->keys = wire_array_alloc(n, sizeof(*out->keys));
        out->key_count = (uint32_t)n;
        for (int32_t i = 0; i < n; i++)
            out->keys[i] = wire_read_compact_string(&r); /* CoordinatorKeys v4+ */
    }
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_find_coordinator_request_free(out);
    return err;
}

void api_find_coordinator_request_encode(struct wire_writer *w, int16_t version,
                                         const struct api_find_coordinator_request *request)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(request->key_count <= WIRE_ARRAY_COUNT_MAX);
    if ((version == 0 && request->key_type != API_FIND_COORDINATOR_KEY_TYPE_GROUP) ||
        (!version_batched(version) && request->key_count != 1)) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    if (!version_batched(version))
        wire_write_flex_string(w, flexible, request->keys[0]);
    if (version >= 1)
        wire_write_int8(w, request->key_type);
    if (version_batched(version)) {
        wire_write_compact_array_count(w, (int32_t)request->key_count);
        for (uint32_t i = 0; i < request->key_count; i++)
            wire_write_compact_string(w, request->keys[i]);
    }
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_find_coordinator_request_free(struct api_find_coordinator_request *request)
{
    free(request->keys);
    request->keys = NULL;
    request->key_count = 0;
}

/* ---- response ---- */

/* One coordinator below v4: its fields sit at the top level, without a key. */
static void response_decode_single(struct wire_reader *r, int16_t version,
                                   struct api_find_coordinator_coordinator *c)
{
    bool flexible = version_flexible(version);
    c->key = wire_string_from("");
    c->error_code = wire_read_int16(r); /* ErrorCode v0-3 */
    c->error_message =
        version >= 1 ? wire_read_flex_nullable_string(r, flexible) : wire_string_null(); /* v1-3 */
    c->node_id = wire_read_int32(r);              /* NodeId v0-3 */
    c->host = wire_read_flex_string(r, flexible); /* Host v0-3 */
    c->port = wire_read_int32(r);                 /* Port v0-3 */
}

static void coordinator_decode(struct wire_reader *r, struct api_find_coordinator_coordinator *c)
{
    c->key = wire_read_compact_string(r);
    c->node_id = wire_read_int32(r);
    c->host = wire_read_compact_string(r);
    c->port = wire_read_int32(r);
    c->error_code = wire_read_int16(r);
    c->error_message = wire_read_compact_nullable_string(r);
    wire_skip_tagged_fields(r);
}

enum ks_err api_find_coordinator_response_decode(int16_t version, const uint8_t *body,
                                                 uint32_t size_bytes,
                                                 struct api_find_coordinator_response *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    if (version >= 1)
        out->throttle_time_ms = wire_read_int32(&r); /* ThrottleTimeMs v1+ */
    if (!version_batched(version)) {
        out->coordinators = wire_array_alloc(1, sizeof(*out->coordinators));
        out->coordinator_count = 1;
        response_decode_single(&r, version, &out->coordinators[0]);
    } else {
        int32_t n = wire_read_compact_array_count(&r, FIND_COORDINATOR_COORDINATOR_SIZE_MIN);
        out->coordinators = wire_array_alloc(n, sizeof(*out->coordinators));
        out->coordinator_count = (uint32_t)n;
        for (int32_t i = 0; i < n && r.err == KS_OK; i++)
            coordinator_decode(&r, &out->coordinators[i]); /* Coordinators v4+ */
    }
    if (version_flexible(version))
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_find_coordinator_response_free(out);
    return err;
}

static void response_encode_single(struct wire_writer *w, int16_t version,
                                   const struct api_find_coordinator_coordinator *c)
{
    bool flexible = version_flexible(version);
    wire_write_int16(w, c->error_code);
    if (version >= 1)
        wire_write_flex_nullable_string(w, flexible, c->error_message);
    wire_write_int32(w, c->node_id);
    wire_write_flex_string(w, flexible, c->host);
    wire_write_int32(w, c->port);
}

static void coordinator_encode(struct wire_writer *w,
                               const struct api_find_coordinator_coordinator *c)
{
    wire_write_compact_string(w, c->key);
    wire_write_int32(w, c->node_id);
    wire_write_compact_string(w, c->host);
    wire_write_int32(w, c->port);
    wire_write_int16(w, c->error_code);
    wire_write_compact_nullable_string(w, c->error_message);
    wire_write_empty_tagged_fields(w);
}

void api_find_coordinator_response_encode(struct wire_writer *w, int16_t version,
                                          const struct api_find_coordinator_response *response)
{
    KS_ASSERT(version_known(version));
    KS_ASSERT(response->coordinator_count <= WIRE_ARRAY_COUNT_MAX);
    if (!version_batched(version) && response->coordinator_count != 1) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    if (version >= 1)
        wire_write_int32(w, response->throttle_time_ms);
    if (!version_batched(version)) {
        response_encode_single(w, version, &response->coordinators[0]);
    } else {
        wire_write_compact_array_count(w, (int32_t)response->coordinator_count);
        for (uint32_t i = 0; i < response->coordinator_count; i++)
            coordinator_encode(w, &response->coordinators[i]);
    }
    if (version_flexible(version))
        wire_write_empty_tagged_fields(w);
}

void api_find_coordinator_response_free(struct api_find_coordinator_response *response)
{
    free(response->coordinators);
    response->coordinators = NULL;
    response->coordinator_count = 0;
}
