/*
 * api_produce.c: Produce (key 0) request and response, v3-v11. Kafka:
 * ProduceRequest.json, ProduceResponse.json. Fields are read and written in wire
 * order, each labelled with the versions that carry it.
 */
#include "system/proto/api_produce.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element at any version, to bound counts before allocating. */
#define PRODUCE_TOPIC_SIZE_MIN 3u
#define PRODUCE_PARTITION_SIZE_MIN 6u
#define PRODUCE_PARTITION_RESPONSE_SIZE_MIN 22u
#define PRODUCE_RECORD_ERROR_SIZE_MIN 5u
#define PRODUCE_NODE_ENDPOINT_SIZE_MIN 11u

/* Tags (ProduceResponse.json): in the partition, and at the top level. */
#define PRODUCE_TAG_CURRENT_LEADER 0u
#define PRODUCE_TAG_NODE_ENDPOINTS 0u
#define PRODUCE_TAGGED_VERSION_FIRST 10

static bool version_flexible(int16_t version)
{
    return version >= API_PRODUCE_FLEXIBLE_VERSION_FIRST;
}

static bool version_valid(int16_t version)
{
    return version >= API_PRODUCE_VERSION_MIN && version <= API_PRODUCE_VERSION_MAX;
}

void api_produce_request_init(struct api_produce_request *request)
{
    memset(request, 0, sizeof(*request));
    request->transactional_id = wire_string_null();
}

void api_produce_response_init(struct api_produce_response *response)
{
    memset(response, 0, sizeof(*response));
}

void api_produce_partition_response_init(struct api_produce_partition_response *partition)
{
    memset(partition, 0, sizeof(*partition));
    partition->log_append_time_ms = -1;
    partition->log_start_offset = -1;
    partition->error_message = wire_string_null();
    partition->current_leader_id = -1;
    partition->current_leader_epoch = -1;
}

/* ---- request ---- */

static void request_topic_decode(struct wire_reader *r, bool flexible, struct api_produce_topic *t)
{
    t->name = wire_read_flex_string(r, flexible);
    int32_t n =
        wire_read_flex_array_count_max(r, flexible, PRODUCE_PARTITION_SIZE_MIN, API_PRODUCE_PARTITIONS_MAX);
    t->partitions = wire_array_alloc(n, sizeof(*t->partitions));
    t->partition_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++) {
        struct api_produce_partition *p = &t->partitions[i];
        p->index = wire_read_int32(r);
        p->records = flexible ? wire_read_compact_nullable_bytes(r) : wire_read_nullable_bytes(r);
        if (flexible)
            wire_skip_tagged_fields(r);
    }
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err api_produce_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                       struct api_produce_request *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    api_produce_request_init(out);
    if (!version_valid(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->transactional_id = wire_read_flex_nullable_string(&r, flexible);
    out->acks = wire_read_int16(&r);
    out->timeout_ms = wire_read_int32(&r);
    int32_t n = wire_read_flex_array_count_max(&r, flexible, PRODUCE_TOPIC_SIZE_MIN, API_PRODUCE_TOPICS_MAX);
    out->topics = wire_array_alloc(n, sizeof(*out->topics));
    out->topic_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r.err == KS_OK; i++)
        request_topic_decode(&r, flexible, &out->topics[i]);
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_produce_request_free(out);
    return err;
}

static void request_topic_encode(struct wire_writer *w, bool flexible,
                                 const struct api_produce_topic *t)
{
    KS_ASSERT(t->partition_count <= API_PRODUCE_PARTITIONS_MAX);
    wire_write_flex_string(w, flexible, t->name);
    wire_write_flex_array_count(w, flexible, (int32_t)t->partition_count);
    for (uint32_t i = 0; i < t->partition_count; i++) {
        const struct api_produce_partition *p = &t->partitions[i];
        wire_write_int32(w, p->index);
        if (flexible)
            wire_write_compact_nullable_bytes(w, p->records);
        else
            wire_write_nullable_bytes(w, p->records);
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_produce_request_encode(struct wire_writer *w, int16_t version,
                                const struct api_produce_request *request)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_valid(version));
    KS_ASSERT(request->topic_count <= API_PRODUCE_TOPICS_MAX);
    wire_write_flex_nullable_string(w, flexible, request->transactional_id);
    wire_write_int16(w, request->acks);
    wire_write_int32(w, request->timeout_ms);
    wire_write_flex_array_count(w, flexible, (int32_t)request->topic_count);
    for (uint32_t i = 0; i < request->topic_count; i++)
        request_topic_encode(w, flexible, &request->topics[i]);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_produce_request_free(struct api_produce_request *request)
{
    for (uint32_t i = 0; i < request->topic_count; i++)
        free(request->topics[i].partitions);
    free(request->topics);
    request->topics = NULL;
    request->topic_count = 0;
}

/* ---- response: decode ---- */

static void partition_tags_decode(struct wire_reader *r, int16_t version,
                                  struct api_produce_partition_response *p)
{
    struct wire_tags tags;
    struct wire_reader f;
    uint32_t tag;
    wire_read_tags_begin(r, &tags);
    while (wire_read_tags_next(r, &tags, &tag, &f)) {
        if (tag != PRODUCE_TAG_CURRENT_LEADER || version < PRODUCE_TAGGED_VERSION_FIRST)
            continue; /* unknown: skipped */
        p->current_leader_id = wire_read_int32(&f);
        p->current_leader_epoch = wire_read_int32(&f);
        wire_skip_tagged_fields(&f);
        wire_read_tag_end(r, &f);
    }
}

static void record_errors_decode(struct wire_reader *r, bool flexible,
                                 struct api_produce_partition_response *p)
{
    int32_t n = wire_read_flex_array_count_max(r, flexible, PRODUCE_RECORD_ERROR_SIZE_MIN,
                                   API_PRODUCE_RECORD_ERRORS_MAX);
    p->record_errors = wire_array_alloc(n, sizeof(*p->record_errors));
    p->record_error_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++) {
        p->record_errors[i].batch_index = wire_read_int32(r);
        p->record_errors[i].message = wire_read_flex_nullable_string(r, flexible);
        if (flexible)
            wire_skip_tagged_fields(r);
    }
}

static void partition_response_decode(struct wire_reader *r, int16_t version,
                                      struct api_produce_partition_response *p)
{
    bool flexible = version_flexible(version);
    api_produce_partition_response_init(p);
    p->index = wire_read_int32(r);
    p->error_code = wire_read_int16(r);
    p->base_offset = wire_read_int64(r);
    p->log_append_time_ms = wire_read_int64(r);
    if (version >= 5)
        p->log_start_offset = wire_read_int64(r);
    if (version >= 8) {
        record_errors_decode(r, flexible, p);
        p->error_message = wire_read_flex_nullable_string(r, flexible);
    }
    if (flexible)
        partition_tags_decode(r, version, p);
}

static void topic_response_decode(struct wire_reader *r, int16_t version,
                                  struct api_produce_topic_response *t)
{
    bool flexible = version_flexible(version);
    t->name = wire_read_flex_string(r, flexible);
    int32_t n = wire_read_flex_array_count_max(r, flexible, PRODUCE_PARTITION_RESPONSE_SIZE_MIN,
                                   API_PRODUCE_PARTITIONS_MAX);
    t->partitions = wire_array_alloc(n, sizeof(*t->partitions));
    t->partition_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        partition_response_decode(r, version, &t->partitions[i]);
    if (flexible)
        wire_skip_tagged_fields(r);
}

/* NodeEndpoints (tag 0, v10+): the leaders that CurrentLeader names (KIP-951). */
static void node_endpoints_decode(struct wire_reader *f, struct api_produce_response *out)
{
    int32_t n =
        wire_read_flex_array_count_max(f, true, PRODUCE_NODE_ENDPOINT_SIZE_MIN, API_PRODUCE_NODE_ENDPOINTS_MAX);
    free(out->node_endpoints); /* tags ascend strictly, so this is the first */
    out->node_endpoints = wire_array_alloc(n, sizeof(*out->node_endpoints));
    out->node_endpoint_count = (uint32_t)n;
    for (int32_t i = 0; i < n && f->err == KS_OK; i++) {
        struct api_produce_node_endpoint *e = &out->node_endpoints[i];
        e->node_id = wire_read_int32(f);
        e->host = wire_read_compact_string(f);
        e->port = wire_read_int32(f);
        e->rack = wire_read_compact_nullable_string(f);
        wire_skip_tagged_fields(f);
    }
}

static void response_tags_decode(struct wire_reader *r, int16_t version,
                                 struct api_produce_response *out)
{
    struct wire_tags tags;
    struct wire_reader field;
    uint32_t tag;
    wire_read_tags_begin(r, &tags);
    while (wire_read_tags_next(r, &tags, &tag, &field)) {
        if (tag != PRODUCE_TAG_NODE_ENDPOINTS || version < PRODUCE_TAGGED_VERSION_FIRST)
            continue; /* unknown: skipped */
        node_endpoints_decode(&field, out);
        wire_read_tag_end(r, &field);
    }
}

enum ks_err api_produce_response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                        struct api_produce_response *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    api_produce_response_init(out);
    if (!version_valid(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    int32_t n = wire_read_flex_array_count_max(&r, flexible, PRODUCE_TOPIC_SIZE_MIN, API_PRODUCE_TOPICS_MAX);
    out->topics = wire_array_alloc(n, sizeof(*out->topics));
    out->topic_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r.err == KS_OK; i++)
        topic_response_decode(&r, version, &out->topics[i]);
    out->throttle_time_ms = wire_read_int32(&r);
    if (flexible)
        response_tags_decode(&r, version, out);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_produce_response_free(out);
    return err;
}

/* ---- response: encode ---- */

static void partition_tags_encode(struct wire_writer *w, int16_t version,
                                  const struct api_produce_partition_response *p)
{
    bool leader = version >= PRODUCE_TAGGED_VERSION_FIRST &&
                  (p->current_leader_id != -1 || p->current_leader_epoch != -1);
    if (!leader) {
        wire_write_empty_tagged_fields(w);
        return;
    }
    struct wire_writer f;
    wire_writer_init(&f);
    wire_write_int32(&f, p->current_leader_id);
    wire_write_int32(&f, p->current_leader_epoch);
    wire_write_empty_tagged_fields(&f);
    wire_write_uvarint(w, 1);
    wire_write_tagged_field(w, PRODUCE_TAG_CURRENT_LEADER, &f);
    wire_writer_free(&f);
}

static void partition_response_encode(struct wire_writer *w, int16_t version,
                                      const struct api_produce_partition_response *p)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(p->record_error_count <= API_PRODUCE_RECORD_ERRORS_MAX);
    wire_write_int32(w, p->index);
    wire_write_int16(w, p->error_code);
    wire_write_int64(w, p->base_offset);
    wire_write_int64(w, p->log_append_time_ms);
    if (version >= 5)
        wire_write_int64(w, p->log_start_offset);
    if (version >= 8) {
        wire_write_flex_array_count(w, flexible, (int32_t)p->record_error_count);
        for (uint32_t i = 0; i < p->record_error_count; i++) {
            wire_write_int32(w, p->record_errors[i].batch_index);
            wire_write_flex_nullable_string(w, flexible, p->record_errors[i].message);
            if (flexible)
                wire_write_empty_tagged_fields(w);
        }
        wire_write_flex_nullable_string(w, flexible, p->error_message);
    }
    if (flexible)
        partition_tags_encode(w, version, p);
}

static void response_tags_encode(struct wire_writer *w, int16_t version,
                                 const struct api_produce_response *response)
{
    KS_ASSERT(response->node_endpoint_count <= API_PRODUCE_NODE_ENDPOINTS_MAX);
    if (version < PRODUCE_TAGGED_VERSION_FIRST || response->node_endpoint_count == 0) {
        wire_write_empty_tagged_fields(w);
        return;
    }
    struct wire_writer f;
    wire_writer_init(&f);
    wire_write_compact_array_count(&f, (int32_t)response->node_endpoint_count);
    for (uint32_t i = 0; i < response->node_endpoint_count; i++) {
        const struct api_produce_node_endpoint *e = &response->node_endpoints[i];
        wire_write_int32(&f, e->node_id);
        wire_write_compact_string(&f, e->host);
        wire_write_int32(&f, e->port);
        wire_write_compact_nullable_string(&f, e->rack);
        wire_write_empty_tagged_fields(&f);
    }
    wire_write_uvarint(w, 1);
    wire_write_tagged_field(w, PRODUCE_TAG_NODE_ENDPOINTS, &f);
    wire_writer_free(&f);
}

void api_produce_response_encode(struct wire_writer *w, int16_t version,
                                 const struct api_produce_response *response)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_valid(version));
    KS_ASSERT(response->topic_count <= API_PRODUCE_TOPICS_MAX);
    wire_write_flex_array_count(w, flexible, (int32_t)response->topic_count);
    for (uint32_t i = 0; i < response->topic_count; i++) {
        const struct api_produce_topic_response *t = &response->topics[i];
        KS_ASSERT(t->partition_count <= API_PRODUCE_PARTITIONS_MAX);
        wire_write_flex_string(w, flexible, t->name);
        wire_write_flex_array_count(w, flexible, (int32_t)t->partition_count);
        for (uint32_t j = 0; j < t->partition_count; j++)
            partition_response_encode(w, version, &t->partitions[j]);
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    wire_write_int32(w, response->throttle_time_ms);
    if (flexible)
        response_tags_encode(w, version, response);
}

void api_produce_response_free(struct api_produce_response *response)
{
    for (uint32_t i = 0; i < response->topic_count; i++) {
        struct api_produce_topic_response *t = &response->topics[i];
        for (uint32_t j = 0; j < t->partition_count; j++)
            free(t->partitions[j].record_errors);
        free(t->partitions);
    }
    free(response->topics);
    free(response->node_endpoints);
    response->topics = NULL;
    response->node_endpoints = NULL;
    response->topic_count = 0;
    response->node_endpoint_count = 0;
}
