/*
 * api_list_groups.c: ListGroups (key 16) request and response, v0-v5. Kafka:
 * ListGroupsRequest.json, ListGroupsResponse.json. Fields in wire order, each labelled
 * with the versions that carry it.
 */
#include "system/proto/api_list_groups.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element, to bound counts before allocating. */
#define LIST_GROUPS_FILTER_SIZE_MIN 1u
#define LIST_GROUPS_GROUP_SIZE_MIN 2u

static bool version_flexible(int16_t version)
{
    return version >= API_LIST_GROUPS_FLEXIBLE_VERSION_FIRST;
}

static bool version_known(int16_t version)
{
    return version >= API_LIST_GROUPS_VERSION_MIN && version <= API_LIST_GROUPS_VERSION_MAX;
}

/* A compact array of compact strings (the filters, v4+ and v5+). */
static void filter_decode(struct wire_reader *r, uint32_t *count, struct wire_string **strings)
{
    int32_t n = wire_read_compact_array_count(r, LIST_GROUPS_FILTER_SIZE_MIN);
    KS_ASSERT(n >= 0);
    *strings = ks_alloc((size_t)n * sizeof(**strings));
    *count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++)
        (*strings)[i] = wire_read_compact_string(r);
}

static void filter_encode(struct wire_writer *w, uint32_t count, const struct wire_string *strings)
{
    KS_ASSERT(count <= WIRE_ARRAY_COUNT_MAX);
    wire_write_compact_array_count(w, (int32_t)count);
    for (uint32_t i = 0; i < count; i++)
        wire_write_compact_string(w, strings[i]);
}

/* ---- request ---- */

enum ks_err api_list_groups_request_decode(int16_t version, const uint8_t *body,
                                           uint32_t size_bytes, struct api_list_groups_request *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    if (version >= 4)
        filter_decode(&r, &out->states_filter_count, &out->states_filter); /* v4+ */
    if (version >= 5)
        filter_decode(&r, &out->types_filter_count, &out->types_filter); /* v5+ */
    if (version_flexible(version))
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_list_groups_request_free(out);
    return err;
}

void api_list_groups_request_encode(struct wire_writer *w, int16_t version,
                                    const struct api_list_groups_request *request)
{
    KS_ASSERT(version_known(version));
    if ((version < 4 && request->states_filter_count > 0) ||
        (version < 5 && request->types_filter_count > 0)) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    if (version >= 4)
        filter_encode(w, request->states_filter_count, request->states_filter);
    if (version >= 5)
        filter_encode(w, request->types_filter_count, request->types_filter);
    if (version_flexible(version))
        wire_write_empty_tagged_fields(w);
}

void api_list_groups_request_free(struct api_list_groups_request *request)
{
    free(request->states_filter);
    free(request->types_filter);
    memset(request, 0, sizeof(*request));
}

/* ---- response ---- */

static void group_decode(struct wire_reader *r, int16_t version, struct api_list_groups_group *g)
{
    bool flexible = version_flexible(version);
    g->group_id = wire_read_flex_string(r, flexible);
    g->protocol_type = wire_read_flex_string(r, flexible);
    g->group_state = version >= 4 ? wire_read_compact_string(r) : wire_string_from(""); /* v4+ */
    g->group_type = version >= 5 ? wire_read_compact_string(r) : wire_string_from("");  /* v5+ */
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err api_list_groups_response_decode(int16_t version, const uint8_t *body,
                                            uint32_t size_bytes,
                                            struct api_list_groups_response *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->throttle_time_ms = version >= 1 ? wire_read_int32(&r) : 0; /* v1+ */
    out->error_code = wire_read_int16(&r);                          /* ErrorCode */
    int32_t n = wire_read_flex_array_count(&r, flexible, LIST_GROUPS_GROUP_SIZE_MIN);
    KS_ASSERT(n >= 0);
    out->groups = ks_alloc((size_t)n * sizeof(*out->groups));
    out->group_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r.err == KS_OK; i++)
        group_decode(&r, version, &out->groups[i]); /* Groups */
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_list_groups_response_free(out);
    return err;
}

void api_list_groups_response_encode(struct wire_writer *w, int16_t version,
                                     const struct api_list_groups_response *response)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(response->group_count <= WIRE_ARRAY_COUNT_MAX);
    if (version >= 1)
        wire_write_int32(w, response->throttle_time_ms);
    wire_write_int16(w, response->error_code);
    wire_write_flex_array_count(w, flexible, (int32_t)response->group_count);
    for (uint32_t i = 0; i < response->group_count; i++) {
        const struct api_list_groups_group *g = &response->groups[i];
        wire_write_flex_string(w, flexible, g->group_id);
        wire_write_flex_string(w, flexible, g->protocol_type);
        if (version >= 4)
            wire_write_compact_string(w, g->group_state);
        if (version >= 5)
            wire_write_compact_string(w, g->group_type);
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_list_groups_response_free(struct api_list_groups_response *response)
{
    free(response->groups);
    response->groups = NULL;
    response->group_count = 0;
}
