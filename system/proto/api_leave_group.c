/*
 * api_leave_group.c: LeaveGroup (key 13) request and response, v0-v5. Kafka:
 * LeaveGroupRequest.json, LeaveGroupResponse.json. Fields in wire order, each labelled
 * with the versions that carry it.
 */
#include "system/proto/api_leave_group.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element, to bound counts before allocating. */
#define LEAVE_GROUP_MEMBER_SIZE_MIN 2u
#define LEAVE_GROUP_MEMBER_RESPONSE_SIZE_MIN 4u

static bool version_flexible(int16_t version)
{
    return version >= API_LEAVE_GROUP_FLEXIBLE_VERSION_FIRST;
}

static bool version_batched(int16_t version)
{
    return version >= API_LEAVE_GROUP_BATCH_VERSION_FIRST;
}

static bool version_known(int16_t version)
{
    return version >= API_LEAVE_GROUP_VERSION_MIN && version <= API_LEAVE_GROUP_VERSION_MAX;
}

/* ---- request ---- */

static void member_decode(struct wire_reader *r, int16_t version, struct api_leave_group_member *m)
{
    bool flexible = version_flexible(version);
    m->member_id = wire_read_flex_string(r, flexible);
    m->group_instance_id = wire_read_flex_nullable_string(r, flexible);
    m->reason = version >= 5 ? wire_read_compact_nullable_string(r) : wire_string_null();
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err api_leave_group_request_decode(int16_t version, const uint8_t *body,
                                           uint32_t size_bytes, struct api_leave_group_request *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->group_id = wire_read_flex_string(&r, flexible); /* GroupId */
    if (!version_batched(version)) {
        out->members = wire_array_alloc(1, sizeof(*out->members));
        out->member_count = 1;
        out->members[0].member_id = wire_read_string(&r); /* MemberId v0-2 */
        out->members[0].group_instance_id = wire_string_null();
        out->members[0].reason = wire_string_null();
    } else {
        int32_t n = wire_read_flex_array_count(&r, flexible, LEAVE_GROUP_MEMBER_SIZE_MIN);
        out->members = wire_array_alloc(n, sizeof(*out->members));
        out->member_count = (uint32_t)n;
        for (int32_t i = 0; i < n && r.err == KS_OK; i++)
            member_decode(&r, version, &out->members[i]); /* Members v3+ */
    }
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_leave_group_request_free(out);
    return err;
}

/* Whether the request holds only what the version can carry. */
static bool request_fits_version(int16_t version, const struct api_leave_group_request *request)
{
    if (version_batched(version))
        return true;
    return request->member_count == 1 && wire_string_is_null(request->members[0].group_instance_id);
}

void api_leave_group_request_encode(struct wire_writer *w, int16_t version,
                                    const struct api_leave_group_request *request)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(request->member_count <= WIRE_ARRAY_COUNT_MAX);
    if (!request_fits_version(version, request)) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    wire_write_flex_string(w, flexible, request->group_id);
    if (!version_batched(version)) {
        wire_write_string(w, request->members[0].member_id);
    } else {
        wire_write_flex_array_count(w, flexible, (int32_t)request->member_count);
        for (uint32_t i = 0; i < request->member_count; i++) {
            const struct api_leave_group_member *m = &request->members[i];
            wire_write_flex_string(w, flexible, m->member_id);
            wire_write_flex_nullable_string(w, flexible, m->group_instance_id);
            if (version >= 5)
                wire_write_compact_nullable_string(w, m->reason);
            if (flexible)
                wire_write_empty_tagged_fields(w);
        }
    }
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_leave_group_request_free(struct api_leave_group_request *request)
{
    free(request->members);
    request->members = NULL;
    request->member_count = 0;
}

/* ---- response ---- */

enum ks_err api_leave_group_response_decode(int16_t version, const uint8_t *body,
                                            uint32_t size_bytes,
                                            struct api_leave_group_response *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->throttle_time_ms = version >= 1 ? wire_read_int32(&r) : 0; /* v1+ */
    out->error_code = wire_read_int16(&r);                          /* ErrorCode */
    if (version_batched(version)) {
        int32_t n = wire_read_flex_array_count(&r, flexible, LEAVE_GROUP_MEMBER_RESPONSE_SIZE_MIN);
        out->members = wire_array_alloc(n, sizeof(*out->members));
        out->member_count = (uint32_t)n;
        for (int32_t i = 0; i < n && r.err == KS_OK; i++) { /* Members v3+ */
            out->members[i].member_id = wire_read_flex_string(&r, flexible);
            out->members[i].group_instance_id = wire_read_flex_nullable_string(&r, flexible);
            out->members[i].error_code = wire_read_int16(&r);
            if (flexible)
                wire_skip_tagged_fields(&r);
        }
    }
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_leave_group_response_free(out);
    return err;
}

void api_leave_group_response_encode(struct wire_writer *w, int16_t version,
                                     const struct api_leave_group_response *response)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(response->member_count <= WIRE_ARRAY_COUNT_MAX);
    if (!version_batched(version) && response->member_count > 0) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    if (version >= 1)
        wire_write_int32(w, response->throttle_time_ms);
    wire_write_int16(w, response->error_code);
    if (version_batched(version)) {
        wire_write_flex_array_count(w, flexible, (int32_t)response->member_count);
        for (uint32_t i = 0; i < response->member_count; i++) {
            const struct api_leave_group_member_response *m = &response->members[i];
            wire_write_flex_string(w, flexible, m->member_id);
            wire_write_flex_nullable_string(w, flexible, m->group_instance_id);
            wire_write_int16(w, m->error_code);
            if (flexible)
                wire_write_empty_tagged_fields(w);
        }
    }
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_leave_group_response_free(struct api_leave_group_response *response)
{
    free(response->members);
    response->members = NULL;
    response->member_count = 0;
}
