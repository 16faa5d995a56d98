/*
 * api_sync_group.c: SyncGroup (key 14) request and response, v0-v5. Kafka:
 * SyncGroupRequest.json, SyncGroupResponse.json. Fields are read and written in wire
 * order, each labelled with the versions that carry it.
 */
#include "system/proto/api_sync_group.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one assignment, to bound counts before allocating. */
#define SYNC_GROUP_ASSIGNMENT_SIZE_MIN 2u

static bool version_flexible(int16_t version)
{
    return version >= API_SYNC_GROUP_FLEXIBLE_VERSION_FIRST;
}

static bool version_known(int16_t version)
{
    return version >= API_SYNC_GROUP_VERSION_MIN && version <= API_SYNC_GROUP_VERSION_MAX;
}

/* ---- request ---- */

static void request_decode_body(struct wire_reader *r, int16_t version,
                                struct api_sync_group_request *out)
{
    bool flexible = version_flexible(version);
    out->group_id = wire_read_flex_string(r, flexible);  /* GroupId */
    out->generation_id = wire_read_int32(r);             /* GenerationId */
    out->member_id = wire_read_flex_string(r, flexible); /* MemberId */
    out->group_instance_id =
        version >= 3 ? wire_read_flex_nullable_string(r, flexible) : wire_string_null(); /* v3+ */
    out->protocol_type =
        version >= 5 ? wire_read_compact_nullable_string(r) : wire_string_null(); /* v5+ */
    out->protocol_name =
        version >= 5 ? wire_read_compact_nullable_string(r) : wire_string_null(); /* v5+ */
    int32_t n = wire_read_flex_array_count(r, flexible, SYNC_GROUP_ASSIGNMENT_SIZE_MIN);
    KS_ASSERT(n >= 0);
    out->assignments = ks_alloc((size_t)n * sizeof(*out->assignments));
    out->assignment_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++) {
        out->assignments[i].member_id = wire_read_flex_string(r, flexible);
        out->assignments[i].assignment = wire_read_flex_bytes(r, flexible);
        if (flexible)
            wire_skip_tagged_fields(r);
    }
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err api_sync_group_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                          struct api_sync_group_request *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    request_decode_body(&r, version, out);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_sync_group_request_free(out);
    return err;
}

void api_sync_group_request_encode(struct wire_writer *w, int16_t version,
                                   const struct api_sync_group_request *request)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(request->assignment_count <= WIRE_ARRAY_COUNT_MAX);
    if (version < 3 && !wire_string_is_null(request->group_instance_id)) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    wire_write_flex_string(w, flexible, request->group_id);
    wire_write_int32(w, request->generation_id);
    wire_write_flex_string(w, flexible, request->member_id);
    if (version >= 3)
        wire_write_flex_nullable_string(w, flexible, request->group_instance_id);
    if (version >= 5) {
        wire_write_compact_nullable_string(w, request->protocol_type);
        wire_write_compact_nullable_string(w, request->protocol_name);
    }
    wire_write_flex_array_count(w, flexible, (int32_t)request->assignment_count);
    for (uint32_t i = 0; i < request->assignment_count; i++) {
        wire_write_flex_string(w, flexible, request->assignments[i].member_id);
        wire_write_flex_bytes(w, flexible, request->assignments[i].assignment);
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_sync_group_request_free(struct api_sync_group_request *request)
{
    free(request->assignments);
    request->assignments = NULL;
    request->assignment_count = 0;
}

/* ---- response ---- */

enum ks_err api_sync_group_response_decode(int16_t version, const uint8_t *body,
                                           uint32_t size_bytes, struct api_sync_group_response *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->throttle_time_ms = version >= 1 ? wire_read_int32(&r) : 0; /* v1+ */
    out->error_code = wire_read_int16(&r);                          /* ErrorCode */
    out->protocol_type =
        version >= 5 ? wire_read_compact_nullable_string(&r) : wire_string_null(); /* v5+ */
    out->protocol_name =
        version >= 5 ? wire_read_compact_nullable_string(&r) : wire_string_null(); /* v5+ */
    out->assignment = wire_read_flex_bytes(&r, flexible);                          /* Assignment */
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        memset(out, 0, sizeof(*out));
    return err;
}

void api_sync_group_response_encode(struct wire_writer *w, int16_t version,
                                    const struct api_sync_group_response *response)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(response->assignment.size_bytes >= 0);
    if (version >= 1)
        wire_write_int32(w, response->throttle_time_ms);
    wire_write_int16(w, response->error_code);
    if (version >= 5) {
        wire_write_compact_nullable_string(w, response->protocol_type);
        wire_write_compact_nullable_string(w, response->protocol_name);
    }
    wire_write_flex_bytes(w, flexible, response->assignment);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}
