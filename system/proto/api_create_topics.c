/*
 * api_create_topics.c: CreateTopics (key 19) request and response, v0-v7, flexible
 * from v5. Kafka: CreateTopicsRequest.json, CreateTopicsResponse.json. Fields in wire
 * order, labelled by version; counts are bounded by the bytes left before allocating.
 */
#include "system/proto/api_create_topics.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element, classic encoding (compact is never larger). */
#define CREATE_TOPIC_SIZE_MIN 4u      /* name, partitions... at least */
#define CREATE_ASSIGNMENT_SIZE_MIN 5u /* index int32 + empty array */
#define CREATE_CONFIG_SIZE_MIN 2u
#define CREATE_BROKER_ID_SIZE 4u
#define CREATE_RESULT_SIZE_MIN 4u
#define CREATE_RESULT_CONFIG_SIZE_MIN 5u
/* Response v5+ TopicConfigErrorCode tag. */
#define CREATE_TAG_TOPIC_CONFIG_ERROR_CODE 0u

static bool version_ok(int16_t version)
{
    return version >= API_CREATE_TOPICS_VERSION_MIN && version <= API_CREATE_TOPICS_VERSION_MAX;
}

static bool flexible(int16_t version)
{
    return version >= API_CREATE_TOPICS_FLEXIBLE_VERSION_FIRST;
}

static void *array_alloc(int32_t count, size_t element_size)
{
    return ks_alloc((size_t)(count > 0 ? count : 1) * element_size);
}

/* ---- request ---- */

static void assignment_read(struct wire_reader *r, bool flex,
                            struct api_create_topics_assignment *a)
{
    a->partition_index = wire_read_int32(r);
    int32_t n = wire_read_flex_array_count(r, flex, CREATE_BROKER_ID_SIZE);
    if (r->err != KS_OK)
        return;
    a->broker_id_count = (uint32_t)n;
    a->broker_ids = array_alloc(n, sizeof(int32_t));
    for (int32_t i = 0; i < n; i++)
        a->broker_ids[i] = wire_read_int32(r);
    if (flex)
        wire_skip_tagged_fields(r);
}

static void topic_read(struct wire_reader *r, bool flex, struct api_create_topics_topic *t)
{
    t->name = wire_read_flex_string(r, flex);
    t->num_partitions = wire_read_int32(r);
    t->replication_factor = wire_read_int16(r);
    int32_t n = wire_read_flex_array_count(r, flex, CREATE_ASSIGNMENT_SIZE_MIN);
    if (r->err != KS_OK)
        return;
    t->assignments = array_alloc(n, sizeof(*t->assignments));
    for (int32_t i = 0; i < n && r->err == KS_OK; i++) {
        assignment_read(r, flex, &t->assignments[i]);
        t->assignment_count = (uint32_t)i + 1;
    }
    n = wire_read_flex_array_count(r, flex, CREATE_CONFIG_SIZE_MIN);
    if (r->err != KS_OK)
        return;
    t->configs = array_alloc(n, sizeof(*t->configs));
    t->config_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++) {
        t->configs[i].name = wire_read_flex_string(r, flex);
        t->configs[i].value = wire_read_flex_nullable_string(r, flex);
        if (flex)
            wire_skip_tagged_fields(r);
    }
    if (flex)
        wire_skip_tagged_fields(r);
}

enum ks_err api_create_topics_request_decode(int16_t version, const uint8_t *body,
                                             uint32_t size_bytes,
                                             struct api_create_topics_request *out)
{
    struct wire_reader r;
    bool flex = flexible(version);
    memset(out, 0, sizeof(*out));
    out->timeout_ms = API_CREATE_TOPICS_TIMEOUT_MS_DEFAULT;
    if (!version_ok(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    int32_t n = wire_read_flex_array_count(&r, flex, CREATE_TOPIC_SIZE_MIN);
    if (r.err == KS_OK) {
        out->topics = array_alloc(n, sizeof(*out->topics));
        for (int32_t i = 0; i < n && r.err == KS_OK; i++) {
            topic_read(&r, flex, &out->topics[i]);
            out->topic_count = (uint32_t)i + 1;
        }
    }
    out->timeout_ms = wire_read_int32(&r);
    if (version >= 1)
        out->validate_only = wire_read_bool(&r);
    if (flex)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_create_topics_request_free(out);
    return err;
}

static void topic_write(struct wire_writer *w, bool flex, const struct api_create_topics_topic *t)
{
    wire_write_flex_string(w, flex, t->name);
    wire_write_int32(w, t->num_partitions);
    wire_write_int16(w, t->replication_factor);
    wire_write_flex_array_count(w, flex, (int32_t)t->assignment_count);
    for (uint32_t i = 0; i < t->assignment_count; i++) {
        const struct api_create_topics_assignment *a = &t->assignments[i];
        wire_write_int32(w, a->partition_index);
        wire_write_flex_array_count(w, flex, (int32_t)a->broker_id_count);
        for (uint32_t k = 0; k < a->broker_id_count; k++)
            wire_write_int32(w, a->broker_ids[k]);
        if (flex)
            wire_write_empty_tagged_fields(w);
    }
    wire_write_flex_array_count(w, flex, (int32_t)t->config_count);
    for (uint32_t i = 0; i < t->config_count; i++) {
        wire_write_flex_string(w, flex, t->configs[i].name);
        wire_write_flex_nullable_string(w, flex, t->configs[i].value);
        if (flex)
            wire_write_empty_tagged_fields(w);
    }
    if (flex)
        wire_write_empty_tagged_fields(w);
}

void api_create_topics_request_encode(struct wire_writer *w, int16_t version,
                                      const struct api_create_topics_request *request)
{
    bool flex = flexible(version);
    KS_ASSERT(version_ok(version));
    if (version < 1 && request->validate_only) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    wire_write_flex_array_count(w, flex, (int32_t)request->topic_count);
    for (uint32_t i = 0; i < request->topic_count; i++)
        topic_write(w, flex, &request->topics[i]);
    wire_write_int32(w, request->timeout_ms);
    if (version >= 1)
        wire_write_bool(w, request->validate_only);
    if (flex)
        wire_write_empty_tagged_fields(w);
}

void api_create_topics_request_free(struct api_create_topics_request *request)
{
    for (uint32_t i = 0; i < request->topic_count; i++) {
        struct api_create_topics_topic *t = &request->topics[i];
        for (uint32_t k = 0; k < t->assignment_count; k++)
            free(t->assignments[k].broker_ids);
        free(t->assignments);
        free(t->configs);
    }
    free(request->topics);
    memset(request, 0, sizeof(*request));
}

/* ---- response ---- */

static void result_configs_read(struct wire_reader *r, struct api_create_topics_result *t)
{
    int32_t n = wire_read_compact_nullable_array_count(r, CREATE_RESULT_CONFIG_SIZE_MIN);
    if (r->err != KS_OK)
        return;
    t->config_count = n;
    t->configs = array_alloc(n, sizeof(*t->configs));
    for (int32_t i = 0; i < n; i++) {
        t->configs[i].name = wire_read_compact_string(r);
        t->configs[i].value = wire_read_compact_nullable_string(r);
        t->configs[i].read_only = wire_read_bool(r);
        t->configs[i].config_source = wire_read_int8(r);
        t->configs[i].is_sensitive = wire_read_bool(r);
        wire_skip_tagged_fields(r);
    }
}

static void result_tags_read(struct wire_reader *r, struct api_create_topics_result *t)
{
    struct wire_tags tags;
    struct wire_reader field;
    uint32_t tag;
    wire_read_tags_begin(r, &tags);
    while (wire_read_tags_next(r, &tags, &tag, &field)) {
        if (tag == CREATE_TAG_TOPIC_CONFIG_ERROR_CODE)
            t->topic_config_error_code = wire_read_int16(&field);
        else
            field.offset = field.size_bytes;
        wire_read_tag_end(r, &field);
    }
}

static void result_read(struct wire_reader *r, int16_t version, struct api_create_topics_result *t)
{
    bool flex = flexible(version);
    t->name = wire_read_flex_string(r, flex);
    if (version >= 7)
        t->topic_id = wire_read_uuid(r);
    t->error_code = wire_read_int16(r);
    if (version >= 1)
        t->error_message = wire_read_flex_nullable_string(r, flex);
    if (version >= 5) {
        t->num_partitions = wire_read_int32(r);
        t->replication_factor = wire_read_int16(r);
        result_configs_read(r, t);
        result_tags_read(r, t);
    }
}

enum ks_err api_create_topics_response_decode(int16_t version, const uint8_t *body,
                                              uint32_t size_bytes,
                                              struct api_create_topics_response *out)
{
    struct wire_reader r;
    bool flex = flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_ok(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    if (version >= 2)
        out->throttle_time_ms = wire_read_int32(&r);
    int32_t n = wire_read_flex_array_count(&r, flex, CREATE_RESULT_SIZE_MIN);
    if (r.err == KS_OK) {
        out->topics = array_alloc(n, sizeof(*out->topics));
        for (int32_t i = 0; i < n && r.err == KS_OK; i++) {
            struct api_create_topics_result *t = &out->topics[i];
            t->error_message = wire_string_null();
            t->num_partitions = -1;
            t->replication_factor = -1;
            result_read(&r, version, t);
            out->topic_count = (uint32_t)i + 1;
        }
    }
    if (flex)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_create_topics_response_free(out);
    return err;
}

static void result_configs_write(struct wire_writer *w, const struct api_create_topics_result *t)
{
    wire_write_compact_nullable_array_count(w, t->config_count);
    for (int32_t i = 0; i < t->config_count; i++) {
        wire_write_compact_string(w, t->configs[i].name);
        wire_write_compact_nullable_string(w, t->configs[i].value);
        wire_write_bool(w, t->configs[i].read_only);
        wire_write_int8(w, t->configs[i].config_source);
        wire_write_bool(w, t->configs[i].is_sensitive);
        wire_write_empty_tagged_fields(w);
    }
}

static void result_write(struct wire_writer *w, int16_t version,
                         const struct api_create_topics_result *t)
{
    bool flex = flexible(version);
    wire_write_flex_string(w, flex, t->name);
    if (version >= 7)
        wire_write_uuid(w, &t->topic_id);
    wire_write_int16(w, t->error_code);
    if (version >= 1)
        wire_write_flex_nullable_string(w, flex, t->error_message);
    if (version < 5)
        return;
    wire_write_int32(w, t->num_partitions);
    wire_write_int16(w, t->replication_factor);
    result_configs_write(w, t);
    if (t->topic_config_error_code == 0) {
        wire_write_empty_tagged_fields(w);
        return;
    }
    struct wire_writer field;
    wire_writer_init(&field);
    wire_write_int16(&field, t->topic_config_error_code);
    wire_write_uvarint(w, 1);
    wire_write_tagged_field(w, CREATE_TAG_TOPIC_CONFIG_ERROR_CODE, &field);
    wire_writer_free(&field);
}

void api_create_topics_response_encode(struct wire_writer *w, int16_t version,
                                       const struct api_create_topics_response *response)
{
    bool flex = flexible(version);
    KS_ASSERT(version_ok(version));
    if (version >= 2)
        wire_write_int32(w, response->throttle_time_ms);
    wire_write_flex_array_count(w, flex, (int32_t)response->topic_count);
    for (uint32_t i = 0; i < response->topic_count; i++)
        result_write(w, version, &response->topics[i]);
    if (flex)
        wire_write_empty_tagged_fields(w);
}

void api_create_topics_response_free(struct api_create_topics_response *response)
{
    for (uint32_t i = 0; i < response->topic_count; i++)
        free(response->topics[i].configs);
    free(response->topics);
    memset(response, 0, sizeof(*response));
}
