/*
 * api_delete_groups.c: DeleteGroups (key 42) request and response, v0-v2. Kafka:
 * DeleteGroupsRequest.json, DeleteGroupsResponse.json. Fields in wire order.
 */
#include "system/proto/api_delete_groups.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element, to bound counts before allocating. */
#define DELETE_GROUPS_NAME_SIZE_MIN 1u
#define DELETE_GROUPS_RESULT_SIZE_MIN 3u

static bool version_flexible(int16_t version)
{
    return version >= API_DELETE_GROUPS_FLEXIBLE_VERSION_FIRST;
}

static bool version_known(int16_t version)
{
    return version >= API_DELETE_GROUPS_VERSION_MIN && version <= API_DELETE_GROUPS_VERSION_MAX;
}

enum ks_err api_delete_groups_request_decode(int16_t version, const uint8_t *body,
                                             uint32_t size_bytes,
                                             struct api_delete_groups_request *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    int32_t n = wire_read_flex_array_count(&r, flexible, DELETE_GROUPS_NAME_SIZE_MIN);
    KS_ASSERT(n >= 0);
    out->groups_names = ks_alloc((size_t)n * sizeof(*out->groups_names));
    out->group_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++)
        out->groups_names[i] = wire_read_flex_string(&r, flexible); /* GroupsNames */
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_delete_groups_request_free(out);
    return err;
}

void api_delete_groups_request_encode(struct wire_writer *w, int16_t version,
                                      const struct api_delete_groups_request *request)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(request->group_count <= WIRE_ARRAY_COUNT_MAX);
    wire_write_flex_array_count(w, flexible, (int32_t)request->group_count);
    for (uint32_t i = 0; i < request->group_count; i++)
        wire_write_flex_string(w, flexible, request->groups_names[i]);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_delete_groups_request_free(struct api_delete_groups_request *request)
{
    free(request->groups_names);
    request->groups_names = NULL;
    request->group_count = 0;
}

enum ks_err api_delete_groups_response_decode(int16_t version, const uint8_t *body,
                                              uint32_t size_bytes,
                                              struct api_delete_groups_response *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->throttle_time_ms = wire_read_int32(&r); /* ThrottleTimeMs */
    int32_t n = wire_read_flex_array_count(&r, flexible, DELETE_GROUPS_RESULT_SIZE_MIN);
    KS_ASSERT(n >= 0);
    out->results = ks_alloc((size_t)n * sizeof(*out->results));
    out->result_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r.err == KS_OK; i++) { /* Results */
        out->results[i].group_id = wire_read_flex_string(&r, flexible);
        out->results[i].error_code = wire_read_int16(&r);
        if (flexible)
            wire_skip_tagged_fields(&r);
    }
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_delete_groups_response_free(out);
    return err;
}

void api_delete_groups_response_encode(struct wire_writer *w, int16_t version,
                                       const struct api_delete_groups_response *response)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(response->result_count <= WIRE_ARRAY_COUNT_MAX);
    wire_write_int32(w, response->throttle_time_ms);
    wire_write_flex_array_count(w, flexible, (int32_t)response->result_count);
    for (uint32_t i = 0; i < response->result_count; i++) {
        wire_write_flex_string(w, flexible, response->results[i].group_id);
        wire_write_int16(w, response->results[i].error_code);
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_delete_groups_response_free(struct api_delete_groups_response *response)
{
    free(response->results);
    response->results = NULL;
    response->result_count = 0;
}
