/*
 * api_describe_groups.c: DescribeGroups (key 15) request and response, v0-v5. Kafka:
 * DescribeGroupsRequest.json, DescribeGroupsResponse.json. Fields in wire order, each
 * labelled with the versions that carry it.
 */
#include "system/proto/api_describe_groups.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element, to bound counts before allocating. */
#define DESCRIBE_GROUPS_NAME_SIZE_MIN 1u
#define DESCRIBE_GROUPS_GROUP_SIZE_MIN 7u
#define DESCRIBE_GROUPS_MEMBER_SIZE_MIN 6u

static bool version_flexible(int16_t version)
{
    return version >= API_DESCRIBE_GROUPS_FLEXIBLE_VERSION_FIRST;
}

static bool version_known(int16_t version)
{
    return version >= API_DESCRIBE_GROUPS_VERSION_MIN && version <= API_DESCRIBE_GROUPS_VERSION_MAX;
}

/* ---- request ---- */

enum ks_err api_describe_groups_request_decode(int16_t version, const uint8_t *body,
                                               uint32_t size_bytes,
                                               struct api_describe_groups_request *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    int32_t n = wire_read_flex_array_count(&r, flexible, DESCRIBE_GROUPS_NAME_SIZE_MIN);
    out->groups = wire_array_alloc(n, sizeof(*out->groups));
    out->group_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++)
        out->groups[i] = wire_read_flex_string(&r, flexible);                       /* Groups */
    out->include_authorized_operations = version >= 3 ? wire_read_bool(&r) : false; /* v3+ */
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_describe_groups_request_free(out);
    return err;
}

void api_describe_groups_request_encode(struct wire_writer *w, int16_t version,
                                        const struct api_describe_groups_request *request)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(request->group_count <= WIRE_ARRAY_COUNT_MAX);
    if (version < 3 && request->include_authorized_operations) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    wire_write_flex_array_count(w, flexible, (int32_t)request->group_count);
    for (uint32_t i = 0; i < request->group_count; i++)
        wire_write_flex_string(w, flexible, request->groups[i]);
    if (version >= 3)
        wire_write_bool(w, request->include_authorized_operations);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_describe_groups_request_free(struct api_describe_groups_request *request)
{
    free(request->groups);
    request->groups = NULL;
    request->group_count = 0;
}

/* ---- response ---- */

static void member_decode(struct wire_reader *r, int16_t version,
                          struct api_describe_groups_member *m)
{
    bool flexible = version_flexible(version);
    m->member_id = wire_read_flex_string(r, flexible);
    m->group_instance_id =
        version >= 4 ? wire_read_flex_nullable_string(r, flexible) : wire_string_null(); /* v4+ */
    m->client_id = wire_read_flex_string(r, flexible);
    m->client_host = wire_read_flex_string(r, flexible);
    m->member_metadata = wire_read_flex_bytes(r, flexible);
    m->member_assignment = wire_read_flex_bytes(r, flexible);
    if (flexible)
        wire_skip_tagged_fields(r);
}

static void group_decode(struct wire_reader *r, int16_t version,
                         struct api_describe_groups_group *g)
{
    bool flexible = version_flexible(version);
    g->error_code = wire_read_int16(r);
    g->group_id = wire_read_flex_string(r, flexible);
    g->group_state = wire_read_flex_string(r, flexible);
    g->protocol_type = wire_read_flex_string(r, flexible);
    g->protocol_data = wire_read_flex_string(r, flexible);
    int32_t n = wire_read_flex_array_count(r, flexible, DESCRIBE_GROUPS_MEMBER_SIZE_MIN);
    g->members = wire_array_alloc(n, sizeof(*g->members));
    g->member_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        member_decode(r, version, &g->members[i]);
    g->authorized_operations =
        version >= 3 ? wire_read_int32(r) : API_DESCRIBE_GROUPS_AUTHORIZED_OPERATIONS_UNSET;
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err api_describe_groups_response_decode(int16_t version, const uint8_t *body,
                                                uint32_t size_bytes,
                                                struct api_describe_groups_response *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->throttle_time_ms = version >= 1 ? wire_read_int32(&r) : 0; /* v1+ */
    int32_t n = wire_read_flex_array_count(&r, flexible, DESCRIBE_GROUPS_GROUP_SIZE_MIN);
    out->groups = wire_array_alloc(n, sizeof(*out->groups));
    out->group_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r.err == KS_OK; i++)
        group_decode(&r, version, &out->groups[i]); /* Groups */
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_describe_groups_response_free(out);
    return err;
}

static void member_encode(struct wire_writer *w, int16_t version,
                          const struct api_describe_groups_member *m)
{
    bool flexible = version_flexible(version);
    wire_write_flex_string(w, flexible, m->member_id);
    if (version >= 4)
        wire_write_flex_nullable_string(w, flexible, m->group_instance_id);
    wire_write_flex_string(w, flexible, m->client_id);
    wire_write_flex_string(w, flexible, m->client_host);
    wire_write_flex_bytes(w, flexible, m->member_metadata);
    wire_write_flex_bytes(w, flexible, m->member_assignment);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

static void group_encode(struct wire_writer *w, int16_t version,
                         const struct api_describe_groups_group *g)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(g->member_count <= WIRE_ARRAY_COUNT_MAX);
    if (version < 3 && g->authorized_operations != API_DESCRIBE_GROUPS_AUTHORIZED_OPERATIONS_UNSET)
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
    wire_write_int16(w, g->error_code);
    wire_write_flex_string(w, flexible, g->group_id);
    wire_write_flex_string(w, flexible, g->group_state);
    wire_write_flex_string(w, flexible, g->protocol_type);
    wire_write_flex_string(w, flexible, g->protocol_data);
    wire_write_flex_array_count(w, flexible, (int32_t)g->member_count);
    for (uint32_t i = 0; i < g->member_count; i++)
        member_encode(w, version, &g->members[i]);
    if (version >= 3)
        wire_write_int32(w, g->authorized_operations);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_describe_groups_response_encode(struct wire_writer *w, int16_t version,
                                         const struct api_describe_groups_response *response)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(response->group_count <= WIRE_ARRAY_COUNT_MAX);
    if (version >= 1)
        wire_write_int32(w, response->throttle_time_ms);
    wire_write_flex_array_count(w, flexible, (int32_t)response->group_count);
    for (uint32_t i = 0; i < response->group_count; i++)
        group_encode(w, version, &response->groups[i]);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_describe_groups_response_free(struct api_describe_groups_response *response)
{
    for (uint32_t i = 0; i < response->group_count; i++)
        free(response->groups[i].members);
    free(response->groups);
    response->groups = NULL;
    response->group_count = 0;
}
