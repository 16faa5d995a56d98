/*
 * api_metadata.c: Metadata (key 3) request and response, v0-v12. Kafka:
 * MetadataRequest.json, MetadataResponse.json, MetadataRequest.Builder (what a version
 * cannot carry). Fields are read and written in wire order, each labelled with the
 * versions that carry it.
 */
#include "system/proto/api_metadata.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element, to bound counts before allocating. */
#define METADATA_REQUEST_TOPIC_SIZE_MIN 2u
#define METADATA_BROKER_SIZE_MIN 9u
#define METADATA_TOPIC_SIZE_MIN 5u
#define METADATA_PARTITION_SIZE_MIN 12u
#define METADATA_NODE_SIZE 4u

static bool version_flexible(int16_t version)
{
    return version >= API_METADATA_FLEXIBLE_VERSION_FIRST;
}

/* ---- request ---- */

static void request_topic_decode(struct wire_reader *r, int16_t version,
                                 struct api_metadata_request_topic *topic)
{
    bool flexible = version_flexible(version);
    if (version >= 10)
        topic->topic_id = wire_read_uuid(r);
    if (version >= 10)
        topic->name = wire_read_compact_nullable_string(r);
    else
        topic->name = wire_read_flex_string(r, flexible);
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err api_metadata_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                        struct api_metadata_request *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    out->allow_auto_topic_creation = true;
    if (version < API_METADATA_VERSION_MIN || version > API_METADATA_VERSION_MAX)
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    /* Topics: v0 not nullable (empty means all); v1+ null means all. */
    int32_t count =
        version == 0
            ? wire_read_array_count(&r, METADATA_REQUEST_TOPIC_SIZE_MIN)
            : wire_read_flex_nullable_array_count(&r, flexible, METADATA_REQUEST_TOPIC_SIZE_MIN);
    out->topic_count = count;
    if (count > 0) {
        out->topics = wire_array_alloc(count, sizeof(*out->topics));
        for (int32_t i = 0; i < count && r.err == KS_OK; i++)
            request_topic_decode(&r, version, &out->topics[i]);
    }
    if (version == 0 && count == 0)
        out->topic_count = -1;
    if (version >= 4)
        out->allow_auto_topic_creation = wire_read_bool(&r);
    if (version >= 8 && version <= 10)
        out->include_cluster_authorized_operations = wire_read_bool(&r);
    if (version >= 8)
        out->include_topic_authorized_operations = wire_read_bool(&r);
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_metadata_request_free(out);
    return err;
}

/* Whether the request holds only what the version can carry (MetadataRequest.Builder). */
static bool request_fits_version(int16_t version, const struct api_metadata_request *request)
{
    if (version == 0 && request->topic_count == 0)
        return false; /* v0 cannot ask for no topics */
    if (version < 4 && !request->allow_auto_topic_creation)
        return false;
    if (request->include_cluster_authorized_operations && (version < 8 || version > 10))
        return false;
    if (request->include_topic_authorized_operations && version < 8)
        return false;
    for (int32_t i = 0; i < request->topic_count && version < 10; i++) {
        if (!wire_uuid_is_zero(&request->topics[i].topic_id))
            return false; /* topic ids need v10 */
    }
    return true;
}

void api_metadata_request_encode(struct wire_writer *w, int16_t version,
                                 const struct api_metadata_request *request)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version >= API_METADATA_VERSION_MIN);
    KS_ASSERT(version <= API_METADATA_VERSION_MAX);
    KS_ASSERT(request->topic_count >= -1);
    if (!request_fits_version(version, request)) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    if (version == 0)
        wire_write_array_count(w, request->topic_count < 0 ? 0 : request->topic_count);
    else
        wire_write_flex_nullable_array_count(w, flexible, request->topic_count);
    for (int32_t i = 0; i < request->topic_count; i++) {
        const struct api_metadata_request_topic *topic = &request->topics[i];
        if (version >= 10)
            wire_write_uuid(w, &topic->topic_id);
        if (version >= 10)
            wire_write_compact_nullable_string(w, topic->name);
        else
            wire_write_flex_string(w, flexible, topic->name);
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    if (version >= 4)
        wire_write_bool(w, request->allow_auto_topic_creation);
    if (version >= 8 && version <= 10)
        wire_write_bool(w, request->include_cluster_authorized_operations);
    if (version >= 8)
        wire_write_bool(w, request->include_topic_authorized_operations);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_metadata_request_free(struct api_metadata_request *request)
{
    free(request->topics);
    request->topics = NULL;
    request->topic_count = 0;
}

/* ---- response: decode ---- */

/* An array of broker ids ([]int32). */
static void nodes_decode(struct wire_reader *r, bool flexible, uint32_t *count, int32_t **nodes)
{
    int32_t n = wire_read_flex_array_count(r, flexible, METADATA_NODE_SIZE);
    *nodes = wire_array_alloc(n, sizeof(**nodes));
    *count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++)
        (*nodes)[i] = wire_read_int32(r);
}

static void broker_decode(struct wire_reader *r, int16_t version, struct api_metadata_broker *b)
{
    bool flexible = version_flexible(version);
    b->node_id = wire_read_int32(r);
    b->host = wire_read_flex_string(r, flexible);
    b->port = wire_read_int32(r);
    b->rack = version >= 1 ? wire_read_flex_nullable_string(r, flexible) : wire_string_null();
    if (flexible)
        wire_skip_tagged_fields(r);
}

static void partition_decode(struct wire_reader *r, int16_t version,
                             struct api_metadata_partition *p)
{
    bool flexible = version_flexible(version);
    p->error_code = wire_read_int16(r);
    p->partition_index = wire_read_int32(r);
    p->leader_id = wire_read_int32(r);
    p->leader_epoch = version >= 7 ? wire_read_int32(r) : -1;
    nodes_decode(r, flexible, &p->replica_count, &p->replica_nodes);
    nodes_decode(r, flexible, &p->isr_count, &p->isr_nodes);
    if (version >= 5)
        nodes_decode(r, flexible, &p->offline_replica_count, &p->offline_replicas);
    if (flexible)
        wire_skip_tagged_fields(r);
}

static void topic_decode(struct wire_reader *r, int16_t version, struct api_metadata_topic *t)
{
    bool flexible = version_flexible(version);
    t->error_code = wire_read_int16(r);
    t->name =
        version >= 12 ? wire_read_compact_nullable_string(r) : wire_read_flex_string(r, flexible);
    if (version >= 10)
        t->topic_id = wire_read_uuid(r);
    t->is_internal = version >= 1 ? wire_read_bool(r) : false;
    int32_t n = wire_read_flex_array_count(r, flexible, METADATA_PARTITION_SIZE_MIN);
    t->partitions = wire_array_alloc(n, sizeof(*t->partitions));
    t->partition_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        partition_decode(r, version, &t->partitions[i]);
    t->topic_authorized_operations =
        version >= 8 ? wire_read_int32(r) : API_METADATA_AUTHORIZED_OPERATIONS_UNSET;
    if (flexible)
        wire_skip_tagged_fields(r);
}

static void response_decode_body(struct wire_reader *r, int16_t version,
                                 struct api_metadata_response *out)
{
    bool flexible = version_flexible(version);
    out->throttle_time_ms = version >= 3 ? wire_read_int32(r) : 0;
    int32_t n = wire_read_flex_array_count(r, flexible, METADATA_BROKER_SIZE_MIN);
    out->brokers = wire_array_alloc(n, sizeof(*out->brokers));
    out->broker_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        broker_decode(r, version, &out->brokers[i]);
    out->cluster_id =
        version >= 2 ? wire_read_flex_nullable_string(r, flexible) : wire_string_null();
    out->controller_id = version >= 1 ? wire_read_int32(r) : -1;
    n = wire_read_flex_array_count(r, flexible, METADATA_TOPIC_SIZE_MIN);
    out->topics = wire_array_alloc(n, sizeof(*out->topics));
    out->topic_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        topic_decode(r, version, &out->topics[i]);
    out->cluster_authorized_operations = version >= 8 && version <= 10
                                             ? wire_read_int32(r)
                                             : API_METADATA_AUTHORIZED_OPERATIONS_UNSET;
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err api_metadata_response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                         struct api_metadata_response *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    if (version < API_METADATA_VERSION_MIN || version > API_METADATA_VERSION_MAX)
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    response_decode_body(&r, version, out);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_metadata_response_free(out);
    return err;
}

/* ---- response: encode ---- */

static void nodes_encode(struct wire_writer *w, bool flexible, uint32_t count, const int32_t *nodes)
{
    KS_ASSERT(count <= WIRE_ARRAY_COUNT_MAX);
    wire_write_flex_array_count(w, flexible, (int32_t)count);
    for (uint32_t i = 0; i < count; i++)
        wire_write_int32(w, nodes[i]);
}

static void broker_encode(struct wire_writer *w, int16_t version,
                          const struct api_metadata_broker *b)
{
    bool flexible = version_flexible(version);
    wire_write_int32(w, b->node_id);
    wire_write_flex_string(w, flexible, b->host);
    wire_write_int32(w, b->port);
    if (version >= 1)
        wire_write_flex_nullable_string(w, flexible, b->rack);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

static void partition_encode(struct wire_writer *w, int16_t version,
                             const struct api_metadata_partition *p)
{
    bool flexible = version_flexible(version);
    wire_write_int16(w, p->error_code);
    wire_write_int32(w, p->partition_index);
    wire_write_int32(w, p->leader_id);
    if (version >= 7)
        wire_write_int32(w, p->leader_epoch);
    nodes_encode(w, flexible, p->replica_count, p->replica_nodes);
    nodes_encode(w, flexible, p->isr_count, p->isr_nodes);
    if (version >= 5)
        nodes_encode(w, flexible, p->offline_replica_count, p->offline_replicas);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

static void topic_encode(struct wire_writer *w, int16_t version, const struct api_metadata_topic *t)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(t->partition_count <= WIRE_ARRAY_COUNT_MAX);
    wire_write_int16(w, t->error_code);
    if (version >= 12)
        wire_write_compact_nullable_string(w, t->name);
    else
        wire_write_flex_string(w, flexible, t->name); /* null fails: INVALID */
    if (version >= 10)
        wire_write_uuid(w, &t->topic_id);
    if (version >= 1)
        wire_write_bool(w, t->is_internal);
    wire_write_flex_array_count(w, flexible, (int32_t)t->partition_count);
    for (uint32_t i = 0; i < t->partition_count; i++)
        partition_encode(w, version, &t->partitions[i]);
    if (version >= 8)
        wire_write_int32(w, t->topic_authorized_operations);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_metadata_response_encode(struct wire_writer *w, int16_t version,
                                  const struct api_metadata_response *response)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version >= API_METADATA_VERSION_MIN);
    KS_ASSERT(version <= API_METADATA_VERSION_MAX);
    KS_ASSERT(response->broker_count <= WIRE_ARRAY_COUNT_MAX);
    KS_ASSERT(response->topic_count <= WIRE_ARRAY_COUNT_MAX);
    if (version >= 3)
        wire_write_int32(w, response->throttle_time_ms);
    wire_write_flex_array_count(w, flexible, (int32_t)response->broker_count);
    for (uint32_t i = 0; i < response->broker_count; i++)
        broker_encode(w, version, &response->brokers[i]);
    if (version >= 2)
        wire_write_flex_nullable_string(w, flexible, response->cluster_id);
    if (version >= 1)
        wire_write_int32(w, response->controller_id);
    wire_write_flex_array_count(w, flexible, (int32_t)response->topic_count);
    for (uint32_t i = 0; i < response->topic_count; i++)
        topic_encode(w, version, &response->topics[i]);
    if (version >= 8 && version <= 10)
        wire_write_int32(w, response->cluster_authorized_operations);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

/* ---- free ---- */

static void partition_free(struct api_metadata_partition *p)
{
    free(p->replica_nodes);
    free(p->isr_nodes);
    free(p->offline_replicas);
    p->replica_nodes = p->isr_nodes = p->offline_replicas = NULL;
    p->replica_count = p->isr_count = p->offline_replica_count = 0;
}

void api_metadata_response_free(struct api_metadata_response *response)
{
    for (uint32_t i = 0; i < response->topic_count; i++) {
        struct api_metadata_topic *t = &response->topics[i];
        for (uint32_t j = 0; j < t->partition_count; j++)
            partition_free(&t->partitions[j]);
        free(t->partitions);
    }
    free(response->topics);
    free(response->brokers);
    response->topics = NULL;
    response->brokers = NULL;
    response->topic_count = 0;
    response->broker_count = 0;
}
