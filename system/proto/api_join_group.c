/*
 * api_join_group.c: JoinGroup (key 11) request and response, v0-v9. Kafka:
 * JoinGroupRequest.json, JoinGroupResponse.json. Fields are read and written in wire
 * order, each labelled with the versions that carry it.
 */
#include "system/proto/api_join_group.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element, to bound counts before allocating. */
#define JOIN_GROUP_PROTOCOL_SIZE_MIN 2u
#define JOIN_GROUP_MEMBER_SIZE_MIN 2u

static bool version_flexible(int16_t version)
{
    return version >= API_JOIN_GROUP_FLEXIBLE_VERSION_FIRST;
}

static bool version_known(int16_t version)
{
    return version >= API_JOIN_GROUP_VERSION_MIN && version <= API_JOIN_GROUP_VERSION_MAX;
}

/* ---- request ---- */

static void protocol_decode(struct wire_reader *r, bool flexible, struct api_join_group_protocol *p)
{
    p->name = wire_read_flex_string(r, flexible);
    p->metadata = wire_read_flex_bytes(r, flexible);
    if (flexible)
        wire_skip_tagged_fields(r);
}

static void request_decode_body(struct wire_reader *r, int16_t version,
                                struct api_join_group_request *out)
{
    bool flexible = version_flexible(version);
    out->group_id = wire_read_flex_string(r, flexible);                 /* GroupId */
    out->session_timeout_ms = wire_read_int32(r);                       /* SessionTimeoutMs */
    out->rebalance_timeout_ms = version >= 1 ? wire_read_int32(r) : -1; /* v1+ */
    out->member_id = wire_read_flex_string(r, flexible);                /* MemberId */
    out->group_instance_id =
        version >= 5 ? wire_read_flex_nullable_string(r, flexible) : wire_string_null(); /* v5+ */
    out->protocol_type = wire_read_flex_string(r, flexible); /* ProtocolType */
    int32_t n = wire_read_flex_array_count(r, flexible, JOIN_GROUP_PROTOCOL_SIZE_MIN);
    out->protocols = wire_array_alloc(n, sizeof(*out->protocols));
    out->protocol_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        protocol_decode(r, flexible, &out->protocols[i]); /* Protocols */
    out->reason =
        version >= 8 ? wire_read_compact_nullable_string(r) : wire_string_null(); /* v8+ */
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err api_join_group_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                          struct api_join_group_request *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    request_decode_body(&r, version, out);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_join_group_request_free(out);
    return err;
}

void api_join_group_request_encode(struct wire_writer *w, int16_t version,
                                   const struct api_join_group_request *request)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(request->protocol_count <= WIRE_ARRAY_COUNT_MAX);
    if (version < 5 && !wire_string_is_null(request->group_instance_id)) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    wire_write_flex_string(w, flexible, request->group_id);
    wire_write_int32(w, request->session_timeout_ms);
    if (version >= 1)
        wire_write_int32(w, request->rebalance_timeout_ms);
    wire_write_flex_string(w, flexible, request->member_id);
    if (version >= 5)
        wire_write_flex_nullable_string(w, flexible, request->group_instance_id);
    wire_write_flex_string(w, flexible, request->protocol_type);
    wire_write_flex_array_count(w, flexible, (int32_t)request->protocol_count);
    for (uint32_t i = 0; i < request->protocol_count; i++) {
        wire_write_flex_string(w, flexible, request->protocols[i].name);
        wire_write_flex_bytes(w, flexible, request->protocols[i].metadata);
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    if (version >= 8)
        wire_write_compact_nullable_string(w, request->reason);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_join_group_request_free(struct api_join_group_request *request)
{
    free(request->protocols);
    request->protocols = NULL;
    request->protocol_count = 0;
}

/* ---- response ---- */

static void member_decode(struct wire_reader *r, int16_t version, struct api_join_group_member *m)
{
    bool flexible = version_flexible(version);
    m->member_id = wire_read_flex_string(r, flexible);
    m->group_instance_id =
        version >= 5 ? wire_read_flex_nullable_string(r, flexible) : wire_string_null();
    m->metadata = wire_read_flex_bytes(r, flexible);
    if (flexible)
        wire_skip_tagged_fields(r);
}

static void response_decode_body(struct wire_reader *r, int16_t version,
                                 struct api_join_group_response *out)
{
    bool flexible = version_flexible(version);
    out->throttle_time_ms = version >= 2 ? wire_read_int32(r) : 0; /* v2+ */
    out->error_code = wire_read_int16(r);                          /* ErrorCode */
    out->generation_id = wire_read_int32(r);                       /* GenerationId */
    out->protocol_type =
        version >= 7 ? wire_read_compact_nullable_string(r) : wire_string_null(); /* v7+ */
    out->protocol_name = version >= 7 ? wire_read_compact_nullable_string(r)
                                      : wire_read_flex_string(r, flexible); /* ProtocolName */
    out->leader = wire_read_flex_string(r, flexible);                       /* Leader */
    out->skip_assignment = version >= 9 ? wire_read_bool(r) : false;        /* v9+ */
    out->member_id = wire_read_flex_string(r, flexible);                    /* MemberId */
    int32_t n = wire_read_flex_array_count(r, flexible, JOIN_GROUP_MEMBER_SIZE_MIN);
    out->members = wire_array_alloc(n, sizeof(*out->members));
    out->member_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        member_decode(r, version, &out->members[i]); /* Members */
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err api_join_group_response_decode(int16_t version, const uint8_t *body,
                                           uint32_t size_bytes, struct api_join_group_response *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    response_decode_body(&r, version, out);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_join_group_response_free(out);
    return err;
}

static void member_encode(struct wire_writer *w, int16_t version,
                          const struct api_join_group_member *m)
{
    bool flexible = version_flexible(version);
    wire_write_flex_string(w, flexible, m->member_id);
    if (version >= 5)
        wire_write_flex_nullable_string(w, flexible, m->group_instance_id);
    wire_write_flex_bytes(w, flexible, m->metadata);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_join_group_response_encode(struct wire_writer *w, int16_t version,
                                    const struct api_join_group_response *response)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(response->member_count <= WIRE_ARRAY_COUNT_MAX);
    if (version < 9 && response->skip_assignment) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    if (version >= 2)
        wire_write_int32(w, response->throttle_time_ms);
    wire_write_int16(w, response->error_code);
    wire_write_int32(w, response->generation_id);
    if (version >= 7)
        wire_write_compact_nullable_string(w, response->protocol_type);
    if (version >= 7)
        wire_write_compact_nullable_string(w, response->protocol_name);
    else
        wire_write_flex_string(w, flexible, response->protocol_name); /* null fails: INVALID */
    wire_write_flex_string(w, flexible, response->leader);
    if (version >= 9)
        wire_write_bool(w, response->skip_assignment);
    wire_write_flex_string(w, flexible, response->member_id);
    wire_write_flex_array_count(w, flexible, (int32_t)response->member_count);
    for (uint32_t i = 0; i < response->member_count; i++)
        member_encode(w, version, &response->members[i]);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_join_group_response_free(struct api_join_group_response *response)
{
    free(response->members);
    response->members = NULL;
    response->member_count = 0;
}
