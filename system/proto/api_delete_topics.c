/*
 * api_delete_topics.c: DeleteTopics (key 20) request and response, v0-v6, flexible
 * from v4. Kafka: DeleteTopicsRequest.json, DeleteTopicsResponse.json. Fields in wire
 * order, labelled by version.
 */
#include "system/proto/api_delete_topics.h"

#include <stdlib.h>
#include <string.h>

#define DELETE_NAME_SIZE_MIN 1u
#define DELETE_TOPIC_V6_SIZE_MIN 18u /* null name, uuid, tags */
#define DELETE_RESULT_SIZE_MIN 3u

static bool version_ok(int16_t version)
{
    return version >= API_DELETE_TOPICS_VERSION_MIN && version <= API_DELETE_TOPICS_VERSION_MAX;
}

static bool flexible(int16_t version)
{
    return version >= API_DELETE_TOPICS_FLEXIBLE_VERSION_FIRST;
}

static void *array_alloc(int32_t count, size_t element_size)
{
    return ks_alloc((size_t)(count > 0 ? count : 1) * element_size);
}

enum ks_err api_delete_topics_request_decode(int16_t version, const uint8_t *body,
                                             uint32_t size_bytes,
                                             struct api_delete_topics_request *out)
{
    struct wire_reader r;
    bool flex = flexible(version);
    bool by_id = version >= API_DELETE_TOPICS_TOPIC_IDS_VERSION_FIRST;
    memset(out, 0, sizeof(*out));
    if (!version_ok(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    int32_t n = wire_read_flex_array_count(&r, flex,
                                           by_id ? DELETE_TOPIC_V6_SIZE_MIN : DELETE_NAME_SIZE_MIN);
    if (r.err == KS_OK) {
        out->topics = array_alloc(n, sizeof(*out->topics));
        out->topic_count = (uint32_t)n;
        for (int32_t i = 0; i < n; i++) {
            struct api_delete_topics_topic *t = &out->topics[i];
            if (!by_id) {
                t->name = wire_read_flex_string(&r, flex);
                continue;
            }
            t->name = wire_read_compact_nullable_string(&r);
            t->topic_id = wire_read_uuid(&r);
            wire_skip_tagged_fields(&r);
        }
    }
    out->timeout_ms = wire_read_int32(&r);
    if (flex)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_delete_topics_request_free(out);
    return err;
}

void api_delete_topics_request_encode(struct wire_writer *w, int16_t version,
                                      const struct api_delete_topics_request *request)
{
    bool flex = flexible(version);
    bool by_id = version >= API_DELETE_TOPICS_TOPIC_IDS_VERSION_FIRST;
    KS_ASSERT(version_ok(version));
    for (uint32_t i = 0; !by_id && i < request->topic_count; i++) {
        if (wire_string_is_null(request->topics[i].name)) {
            wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
            return;
        }
    }
    wire_write_flex_array_count(w, flex, (int32_t)request->topic_count);
    for (uint32_t i = 0; i < request->topic_count; i++) {
        const struct api_delete_topics_topic *t = &request->topics[i];
        if (!by_id) {
            wire_write_flex_string(w, flex, t->name);
            continue;
        }
        wire_write_compact_nullable_string(w, t->name);
        wire_write_uuid(w, &t->topic_id);
        wire_write_empty_tagged_fields(w);
    }
    wire_write_int32(w, request->timeout_ms);
    if (flex)
        wire_write_empty_tagged_fields(w);
}

void api_delete_topics_request_free(struct api_delete_topics_request *request)
{
    free(request->topics);
    memset(request, 0, sizeof(*request));
}

static void result_read(struct wire_reader *r, int16_t version, struct api_delete_topics_result *t)
{
    bool flex = flexible(version);
    t->name = version >= API_DELETE_TOPICS_TOPIC_IDS_VERSION_FIRST
                  ? wire_read_compact_nullable_string(r)
                  : wire_read_flex_string(r, flex);
    if (version >= API_DELETE_TOPICS_TOPIC_IDS_VERSION_FIRST)
        t->topic_id = wire_read_uuid(r);
    t->error_code = wire_read_int16(r);
    t->error_message = wire_string_null();
    if (version >= 5)
        t->error_message = wire_read_compact_nullable_string(r);
    if (flex)
        wire_skip_tagged_fields(r);
}

enum ks_err api_delete_topics_response_decode(int16_t version, const uint8_t *body,
                                              uint32_t size_bytes,
                                              struct api_delete_topics_response *out)
{
    struct wire_reader r;
    bool flex = flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_ok(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    if (version >= 1)
        out->throttle_time_ms = wire_read_int32(&r);
    int32_t n = wire_read_flex_array_count(&r, flex, DELETE_RESULT_SIZE_MIN);
    if (r.err == KS_OK) {
        out->results = array_alloc(n, sizeof(*out->results));
        out->result_count = (uint32_t)n;
        for (int32_t i = 0; i < n; i++)
            result_read(&r, version, &out->results[i]);
    }
    if (flex)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_delete_topics_response_free(out);
    return err;
}

void api_delete_topics_response_encode(struct wire_writer *w, int16_t version,
                                       const struct api_delete_topics_response *response)
{
    bool flex = flexible(version);
    bool by_id = version >= API_DELETE_TOPICS_TOPIC_IDS_VERSION_FIRST;
    KS_ASSERT(version_ok(version));
    if (version >= 1)
        wire_write_int32(w, response->throttle_time_ms);
    wire_write_flex_array_count(w, flex, (int32_t)response->result_count);
    for (uint32_t i = 0; i < response->result_count; i++) {
        const struct api_delete_topics_result *t = &response->results[i];
        if (by_id)
            wire_write_compact_nullable_string(w, t->name);
        else
            wire_write_flex_string(w, flex, t->name);
        if (by_id)
            wire_write_uuid(w, &t->topic_id);
        wire_write_int16(w, t->error_code);
        if (version >= 5)
            wire_write_compact_nullable_string(w, t->error_message);
        if (flex)
            wire_write_empty_tagged_fields(w);
    }
    if (flex)
        wire_write_empty_tagged_fields(w);
}

void api_delete_topics_response_free(struct api_delete_topics_response *response)
{
    free(response->results);
    memset(response, 0, sizeof(*response));
}
