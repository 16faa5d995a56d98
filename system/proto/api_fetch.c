/*
 * api_fetch.c: Fetch (key 1) request and response at versions 4-17, and the
 * single-partition view KRaft replication uses (12-13). Kafka: FetchRequest.json,
 * FetchResponse.json, FetchRequest.Builder, RaftUtil.singletonFetchRequest. Fields are
 * read and written in wire order, each labelled with the versions that carry it; tagged
 * fields go in the tag section that ends their struct.
 */
#include "system/proto/api_fetch.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element at any version, to bound counts before allocating. */
#define FETCH_TOPIC_SIZE_MIN 3u
#define FETCH_REQUEST_PARTITION_SIZE_MIN 16u
#define FETCH_RESPONSE_PARTITION_SIZE_MIN 30u
#define FETCH_FORGOTTEN_SIZE_MIN 3u
#define FETCH_ABORTED_SIZE_MIN 16u
#define FETCH_PARTITION_ID_SIZE 4u
#define FETCH_NODE_ENDPOINT_SIZE_MIN 11u

/* Tags of the request (FetchRequest.json). */
#define FETCH_TAG_CLUSTER_ID 0u
#define FETCH_TAG_REPLICA_STATE 1u
#define FETCH_TAG_REPLICA_DIRECTORY_ID 0u /* in FetchPartition */
/* Tags of the response partition and of the response (FetchResponse.json). */
#define FETCH_TAG_DIVERGING_EPOCH 0u
#define FETCH_TAG_CURRENT_LEADER 1u
#define FETCH_TAG_SNAPSHOT_ID 2u
#define FETCH_TAG_NODE_ENDPOINTS 0u

/* How many topics and partitions a decode accepts: the named maxima, or one for KRaft. */
struct fetch_limits {
    uint32_t topics_max;
    uint32_t partitions_max;
};

static const struct fetch_limits fetch_limits_multi = {API_FETCH_TOPICS_MAX,
                                                       API_FETCH_PARTITIONS_MAX};
static const struct fetch_limits fetch_limits_single = {1, 1};

static bool version_flexible(int16_t version)
{
    return version >= API_FETCH_FLEXIBLE_VERSION_FIRST;
}

static bool version_valid(int16_t version)
{
    return version >= API_FETCH_VERSION_MIN && version <= API_FETCH_VERSION_MAX;
}

static struct wire_bytes fetch_read_records(struct wire_reader *r, bool flexible)
{
    return flexible ? wire_read_compact_nullable_bytes(r) : wire_read_nullable_bytes(r);
}

static void fetch_write_records(struct wire_writer *w, bool flexible, struct wire_bytes records)
{
    if (flexible)
        wire_write_compact_nullable_bytes(w, records);
    else
        wire_write_nullable_bytes(w, records);
}

/* The topic's identity: a name before v13, an id from v13. */
static void topic_key_read(struct wire_reader *r, int16_t version, struct wire_string *name,
                           struct wire_uuid *id)
{
    if (version >= API_FETCH_TOPIC_ID_VERSION_FIRST)
        *id = wire_read_uuid(r);
    else
        *name = wire_read_flex_string(r, version_flexible(version));
}

static void topic_key_write(struct wire_writer *w, int16_t version, struct wire_string name,
                            const struct wire_uuid *id)
{
    if (version >= API_FETCH_TOPIC_ID_VERSION_FIRST)
        wire_write_uuid(w, id);
    else
        wire_write_flex_string(w, version_flexible(version), name);
}

/* ---- defaults ---- */

void api_fetch_multi_request_init(struct api_fetch_multi_request *request)
{
    memset(request, 0, sizeof(*request));
    request->cluster_id = wire_string_null();
    request->replica_id = -1;
    request->replica_epoch = -1;
    request->max_bytes = INT32_MAX;
    request->session_epoch = -1;
    request->rack_id = wire_string_from("");
}

void api_fetch_partition_init(struct api_fetch_partition *partition)
{
    memset(partition, 0, sizeof(*partition));
    partition->current_leader_epoch = -1;
    partition->last_fetched_epoch = -1;
    partition->log_start_offset = -1;
}

void api_fetch_multi_response_init(struct api_fetch_multi_response *response)
{
    memset(response, 0, sizeof(*response));
}

void api_fetch_partition_data_init(struct api_fetch_partition_data *partition)
{
    memset(partition, 0, sizeof(*partition));
    partition->last_stable_offset = -1;
    partition->log_start_offset = -1;
    partition->diverging_epoch = -1;
    partition->diverging_end_offset = -1;
    partition->current_leader_id = -1;
    partition->current_leader_epoch = -1;
    partition->snapshot_end_offset = -1;
    partition->snapshot_epoch = -1;
    partition->aborted_transaction_count = -1;
    partition->preferred_read_replica = -1;
    partition->records.size_bytes = -1;
}

/* ---- request: decode ---- */

static void request_partition_tags_decode(struct wire_reader *r, struct api_fetch_partition *p)
{
    struct wire_tags tags;
    struct wire_reader field;
    uint32_t tag;
    wire_read_tags_begin(r, &tags);
    while (wire_read_tags_next(r, &tags, &tag, &field)) {
        if (tag != FETCH_TAG_REPLICA_DIRECTORY_ID)
            continue; /* unknown (or before v17): skipped */
        p->replica_directory_id = wire_read_uuid(&field);
        wire_read_tag_end(r, &field);
    }
}

static void request_partition_decode(struct wire_reader *r, int16_t version,
                                     struct api_fetch_partition *p)
{
    api_fetch_partition_init(p);
    p->partition = wire_read_int32(r);
    if (version >= 9)
        p->current_leader_epoch = wire_read_int32(r);
    p->fetch_offset = wire_read_int64(r);
    if (version >= 12)
        p->last_fetched_epoch = wire_read_int32(r);
    if (version >= 5)
        p->log_start_offset = wire_read_int64(r);
    p->partition_max_bytes = wire_read_int32(r);
    if (version_flexible(version))
        request_partition_tags_decode(r, p);
}

static void request_topic_decode(struct wire_reader *r, int16_t version,
                                 const struct fetch_limits *limits, struct api_fetch_topic *t)
{
    bool flexible = version_flexible(version);
    topic_key_read(r, version, &t->topic, &t->topic_id);
    int32_t n =
        wire_read_flex_array_count_max(r, flexible, FETCH_REQUEST_PARTITION_SIZE_MIN, limits->partitions_max);
    t->partitions = wire_array_alloc(n, sizeof(*t->partitions));
    t->partition_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        request_partition_decode(r, version, &t->partitions[i]);
    if (flexible)
        wire_skip_tagged_fields(r);
}

static void request_forgotten_decode(struct wire_reader *r, int16_t version,
                                     struct api_fetch_forgotten_topic *t)
{
    bool flexible = version_flexible(version);
    topic_key_read(r, version, &t->topic, &t->topic_id);
    int32_t n = wire_read_flex_array_count_max(r, flexible, FETCH_PARTITION_ID_SIZE, API_FETCH_PARTITIONS_MAX);
    t->partitions = wire_array_alloc(n, sizeof(*t->partitions));
    t->partition_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++)
        t->partitions[i] = wire_read_int32(r);
    if (flexible)
        wire_skip_tagged_fields(r);
}

static void request_tags_decode(struct wire_reader *r, int16_t version,
                                struct api_fetch_multi_request *out)
{
    struct wire_tags tags;
    struct wire_reader field;
    uint32_t tag;
    wire_read_tags_begin(r, &tags);
    while (wire_read_tags_next(r, &tags, &tag, &field)) {
        if (tag == FETCH_TAG_CLUSTER_ID) {
            out->cluster_id = wire_read_compact_nullable_string(&field);
        } else if (tag == FETCH_TAG_REPLICA_STATE &&
                   version >= API_FETCH_REPLICA_STATE_VERSION_FIRST) {
            out->replica_id = wire_read_int32(&field);
            out->replica_epoch = wire_read_int64(&field);
            wire_skip_tagged_fields(&field);
        } else {
            continue; /* unknown: skipped */
        }
        wire_read_tag_end(r, &field);
    }
}

static void request_decode_body(struct wire_reader *r, int16_t version,
                                const struct fetch_limits *limits,
                                struct api_fetch_multi_request *out)
{
    bool flexible = version_flexible(version);
    if (version < API_FETCH_REPLICA_STATE_VERSION_FIRST)
        out->replica_id = wire_read_int32(r);
    out->max_wait_ms = wire_read_int32(r);
    out->min_bytes = wire_read_int32(r);
    out->max_bytes = wire_read_int32(r);
    out->isolation_level = wire_read_int8(r);
    if (version >= 7) {
        out->session_id = wire_read_int32(r);
        out->session_epoch = wire_read_int32(r);
    }
    int32_t n = wire_read_flex_array_count_max(r, flexible, FETCH_TOPIC_SIZE_MIN, limits->topics_max);
    out->topics = wire_array_alloc(n, sizeof(*out->topics));
    out->topic_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        request_topic_decode(r, version, limits, &out->topics[i]);
    if (version >= 7) {
        n = wire_read_flex_array_count_max(r, flexible, FETCH_FORGOTTEN_SIZE_MIN, API_FETCH_TOPICS_MAX);
        out->forgotten_topics = wire_array_alloc(n, sizeof(*out->forgotten_topics));
        out->forgotten_topic_count = (uint32_t)n;
        for (int32_t i = 0; i < n && r->err == KS_OK; i++)
            request_forgotten_decode(r, version, &out->forgotten_topics[i]);
    }
    if (version >= 11)
        out->rack_id = wire_read_flex_string(r, flexible);
    if (flexible)
        request_tags_decode(r, version, out);
}

static enum ks_err request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                  const struct fetch_limits *limits,
                                  struct api_fetch_multi_request *out)
{
    struct wire_reader r;
    api_fetch_multi_request_init(out);
    if (!version_valid(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    request_decode_body(&r, version, limits, out);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_fetch_multi_request_free(out);
    return err;
}

enum ks_err api_fetch_multi_request_decode(int16_t version, const uint8_t *body,
                                           uint32_t size_bytes, struct api_fetch_multi_request *out)
{
    return request_decode(version, body, size_bytes, &fetch_limits_multi, out);
}

/* ---- request: encode ---- */

static void request_partition_encode(struct wire_writer *w, int16_t version,
                                     const struct api_fetch_partition *p)
{
    wire_write_int32(w, p->partition);
    if (version >= 9)
        wire_write_int32(w, p->current_leader_epoch);
    wire_write_int64(w, p->fetch_offset);
    if (version >= 12)
        wire_write_int32(w, p->last_fetched_epoch);
    if (version >= 5)
        wire_write_int64(w, p->log_start_offset);
    wire_write_int32(w, p->partition_max_bytes);
    if (!version_flexible(version))
        return;
    if (version < 17 || wire_uuid_is_zero(&p->replica_directory_id)) {
        wire_write_empty_tagged_fields(w);
        return;
    }
    struct wire_writer field;
    wire_writer_init(&field);
    wire_write_uuid(&field, &p->replica_directory_id);
    wire_write_uvarint(w, 1);
    wire_write_tagged_field(w, FETCH_TAG_REPLICA_DIRECTORY_ID, &field);
    wire_writer_free(&field);
}

static void request_topic_encode(struct wire_writer *w, int16_t version,
                                 const struct api_fetch_topic *t)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(t->partition_count <= API_FETCH_PARTITIONS_MAX);
    topic_key_write(w, version, t->topic, &t->topic_id);
    wire_write_flex_array_count(w, flexible, (int32_t)t->partition_count);
    for (uint32_t i = 0; i < t->partition_count; i++)
        request_partition_encode(w, version, &t->partitions[i]);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

static void request_forgotten_encode(struct wire_writer *w, int16_t version,
                                     const struct api_fetch_forgotten_topic *t)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(t->partition_count <= API_FETCH_PARTITIONS_MAX);
    topic_key_write(w, version, t->topic, &t->topic_id);
    wire_write_flex_array_count(w, flexible, (int32_t)t->partition_count);
    for (uint32_t i = 0; i < t->partition_count; i++)
        wire_write_int32(w, t->partitions[i]);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

/* The request's tag section: ClusterId (0) when not null, ReplicaState (1) from v15. */
static void request_tags_encode(struct wire_writer *w, int16_t version,
                                const struct api_fetch_multi_request *request)
{
    bool cluster = !wire_string_is_null(request->cluster_id);
    bool replica = version >= API_FETCH_REPLICA_STATE_VERSION_FIRST &&
                   (request->replica_id != -1 || request->replica_epoch != -1);
    struct wire_writer field;
    wire_write_uvarint(w, (uint32_t)cluster + replica);
    wire_writer_init(&field);
    if (cluster) {
        wire_write_compact_nullable_string(&field, request->cluster_id);
        wire_write_tagged_field(w, FETCH_TAG_CLUSTER_ID, &field);
    }
    if (replica) {
        wire_writer_reset(&field);
        wire_write_int32(&field, request->replica_id);
        wire_write_int64(&field, request->replica_epoch);
        wire_write_empty_tagged_fields(&field);
        wire_write_tagged_field(w, FETCH_TAG_REPLICA_STATE, &field);
    }
    wire_writer_free(&field);
}

void api_fetch_multi_request_encode(struct wire_writer *w, int16_t version,
                                    const struct api_fetch_multi_request *request)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_valid(version));
    KS_ASSERT(request->topic_count <= API_FETCH_TOPICS_MAX);
    KS_ASSERT(request->forgotten_topic_count <= API_FETCH_TOPICS_MAX);
    if (version < API_FETCH_REPLICA_STATE_VERSION_FIRST)
        wire_write_int32(w, request->replica_id);
    wire_write_int32(w, request->max_wait_ms);
    wire_write_int32(w, request->min_bytes);
    wire_write_int32(w, request->max_bytes);
    wire_write_int8(w, request->isolation_level);
    if (version >= 7) {
        wire_write_int32(w, request->session_id);
        wire_write_int32(w, request->session_epoch);
    }
    wire_write_flex_array_count(w, flexible, (int32_t)request->topic_count);
    for (uint32_t i = 0; i < request->topic_count; i++)
        request_topic_encode(w, version, &request->topics[i]);
    if (version >= 7) {
        wire_write_flex_array_count(w, flexible, (int32_t)request->forgotten_topic_count);
        for (uint32_t i = 0; i < request->forgotten_topic_count; i++)
            request_forgotten_encode(w, version, &request->forgotten_topics[i]);
    }
    if (version >= 11)
        wire_write_flex_string(w, flexible, request->rack_id);
    if (flexible)
        request_tags_encode(w, version, request);
}

void api_fetch_multi_request_free(struct api_fetch_multi_request *request)
{
    for (uint32_t i = 0; i < request->topic_count; i++)
        free(request->topics[i].partitions);
    for (uint32_t i = 0; i < request->forgotten_topic_count; i++)
        free(request->forgotten_topics[i].partitions);
    free(request->topics);
    free(request->forgotten_topics);
    request->topics = NULL;
    request->forgotten_topics = NULL;
    request->topic_count = 0;
    request->forgotten_topic_count = 0;
}

/* ---- response: decode ---- */

static void response_partition_tags_decode(struct wire_reader *r,
                                           struct api_fetch_partition_data *p)
{
    struct wire_tags tags;
    struct wire_reader f;
    uint32_t tag;
    wire_read_tags_begin(r, &tags);
    while (wire_read_tags_next(r, &tags, &tag, &f)) {
        if (tag == FETCH_TAG_DIVERGING_EPOCH) {
            p->diverging_epoch = wire_read_int32(&f);
            p->diverging_end_offset = wire_read_int64(&f);
        } else if (tag == FETCH_TAG_CURRENT_LEADER) {
            p->current_leader_id = wire_read_int32(&f);
            p->current_leader_epoch = wire_read_int32(&f);
        } else if (tag == FETCH_TAG_SNAPSHOT_ID) {
            p->snapshot_end_offset = wire_read_int64(&f);
            p->snapshot_epoch = wire_read_int32(&f);
        } else {
            continue; /* unknown: skipped */
        }
        wire_skip_tagged_fields(&f); /* the tagged struct's own tag section */
        wire_read_tag_end(r, &f);
    }
}

static void response_aborted_decode(struct wire_reader *r, bool flexible,
                                    struct api_fetch_partition_data *p)
{
    int32_t n = wire_read_flex_nullable_array_count(r, flexible, FETCH_ABORTED_SIZE_MIN);
    if (n > 0 && (uint32_t)n > API_FETCH_ABORTED_TRANSACTIONS_MAX)
        wire_reader_fail(r, KS_ERR_TOO_MANY);
    p->aborted_transaction_count = r->err == KS_OK ? n : -1;
    if (p->aborted_transaction_count <= 0)
        return;
    p->aborted_transactions = wire_array_alloc(n, sizeof(*p->aborted_transactions));
    for (int32_t i = 0; i < n; i++) {
        p->aborted_transactions[i].producer_id = wire_read_int64(r);
        p->aborted_transactions[i].first_offset = wire_read_int64(r);
        if (flexible)
            wire_skip_tagged_fields(r);
    }
}

static void response_partition_decode(struct wire_reader *r, int16_t version,
                                      struct api_fetch_partition_data *p)
{
    bool flexible = version_flexible(version);
    api_fetch_partition_data_init(p);
    p->partition_index = wire_read_int32(r);
    p->error_code = wire_read_int16(r);
    p->high_watermark = wire_read_int64(r);
    p->last_stable_offset = wire_read_int64(r);
    if (version >= 5)
        p->log_start_offset = wire_read_int64(r);
    response_aborted_decode(r, flexible, p);
    if (version >= 11)
        p->preferred_read_replica = wire_read_int32(r);
    p->records = fetch_read_records(r, flexible);
    if (flexible)
        response_partition_tags_decode(r, p);
}

static void response_topic_decode(struct wire_reader *r, int16_t version,
                                  const struct fetch_limits *limits, struct api_fetch_topic_data *t)
{
    bool flexible = version_flexible(version);
    topic_key_read(r, version, &t->topic, &t->topic_id);
    int32_t n =
        wire_read_flex_array_count_max(r, flexible, FETCH_RESPONSE_PARTITION_SIZE_MIN, limits->partitions_max);
    t->partitions = wire_array_alloc(n, sizeof(*t->partitions));
    t->partition_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        response_partition_decode(r, version, &t->partitions[i]);
    if (flexible)
        wire_skip_tagged_fields(r);
}

/* NodeEndpoints (tag 0, v16+): the leaders that CurrentLeader names (KIP-951). */
static void response_node_endpoints_decode(struct wire_reader *f,
                                           struct api_fetch_multi_response *out)
{
    int32_t n =
        wire_read_flex_array_count_max(f, true, FETCH_NODE_ENDPOINT_SIZE_MIN, API_FETCH_NODE_ENDPOINTS_MAX);
    free(out->node_endpoints); /* tags ascend strictly, so this is the first */
    out->node_endpoints = wire_array_alloc(n, sizeof(*out->node_endpoints));
    out->node_endpoint_count = (uint32_t)n;
    for (int32_t i = 0; i < n && f->err == KS_OK; i++) {
        struct api_fetch_node_endpoint *e = &out->node_endpoints[i];
        e->node_id = wire_read_int32(f);
        e->host = wire_read_compact_string(f);
        e->port = wire_read_int32(f);
        e->rack = wire_read_compact_nullable_string(f);
        wire_skip_tagged_fields(f);
    }
}

static void response_tags_decode(struct wire_reader *r, int16_t version,
                                 struct api_fetch_multi_response *out)
{
    struct wire_tags tags;
    struct wire_reader field;
    uint32_t tag;
    wire_read_tags_begin(r, &tags);
    while (wire_read_tags_next(r, &tags, &tag, &field)) {
        if (tag != FETCH_TAG_NODE_ENDPOINTS || version < 16)
            continue; /* unknown: skipped */
        response_node_endpoints_decode(&field, out);
        wire_read_tag_end(r, &field);
    }
}

static void response_decode_body(struct wire_reader *r, int16_t version,
                                 const struct fetch_limits *limits,
                                 struct api_fetch_multi_response *out)
{
    bool flexible = version_flexible(version);
    out->throttle_time_ms = wire_read_int32(r);
    if (version >= 7) {
        out->error_code = wire_read_int16(r);
        out->session_id = wire_read_int32(r);
    }
    int32_t n = wire_read_flex_array_count_max(r, flexible, FETCH_TOPIC_SIZE_MIN, limits->topics_max);
    out->topics = wire_array_alloc(n, sizeof(*out->topics));
    out->topic_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        response_topic_decode(r, version, limits, &out->topics[i]);
    if (flexible)
        response_tags_decode(r, version, out);
}

static enum ks_err response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                   const struct fetch_limits *limits,
                                   struct api_fetch_multi_response *out)
{
    struct wire_reader r;
    api_fetch_multi_response_init(out);
    if (!version_valid(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    response_decode_body(&r, version, limits, out);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_fetch_multi_response_free(out);
    return err;
}

enum ks_err api_fetch_multi_response_decode(int16_t version, const uint8_t *body,
                                            uint32_t size_bytes,
                                            struct api_fetch_multi_response *out)
{
    return response_decode(version, body, size_bytes, &fetch_limits_multi, out);
}

/* ---- response: encode ---- */

/* The partition's tag section: each tagged struct ends with its own empty tags. */
static void response_partition_tags_encode(struct wire_writer *w,
                                           const struct api_fetch_partition_data *p)
{
    bool diverging = p->diverging_epoch != -1 || p->diverging_end_offset != -1;
    bool leader = p->current_leader_id != -1 || p->current_leader_epoch != -1;
    bool snapshot = p->snapshot_end_offset != -1 || p->snapshot_epoch != -1;
    struct wire_writer f;
    wire_write_uvarint(w, (uint32_t)diverging + leader + snapshot);
    wire_writer_init(&f);
    if (diverging) {
        wire_write_int32(&f, p->diverging_epoch);
        wire_write_int64(&f, p->diverging_end_offset);
        wire_write_empty_tagged_fields(&f);
        wire_write_tagged_field(w, FETCH_TAG_DIVERGING_EPOCH, &f);
    }
    if (leader) {
        wire_writer_reset(&f);
        wire_write_int32(&f, p->current_leader_id);
        wire_write_int32(&f, p->current_leader_epoch);
        wire_write_empty_tagged_fields(&f);
        wire_write_tagged_field(w, FETCH_TAG_CURRENT_LEADER, &f);
    }
    if (snapshot) {
        wire_writer_reset(&f);
        wire_write_int64(&f, p->snapshot_end_offset);
        wire_write_int32(&f, p->snapshot_epoch);
        wire_write_empty_tagged_fields(&f);
        wire_write_tagged_field(w, FETCH_TAG_SNAPSHOT_ID, &f);
    }
    wire_writer_free(&f);
}

static void response_partition_encode(struct wire_writer *w, int16_t version,
                                      const struct api_fetch_partition_data *p)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(p->aborted_transaction_count >= -1);
    KS_ASSERT(p->aborted_transaction_count <= (int32_t)API_FETCH_ABORTED_TRANSACTIONS_MAX);
    wire_write_int32(w, p->partition_index);
    wire_write_int16(w, p->error_code);
    wire_write_int64(w, p->high_watermark);
    wire_write_int64(w, p->last_stable_offset);
    if (version >= 5)
        wire_write_int64(w, p->log_start_offset);
    wire_write_flex_nullable_array_count(w, flexible, p->aborted_transaction_count);
    for (int32_t i = 0; i < p->aborted_transaction_count; i++) {
        wire_write_int64(w, p->aborted_transactions[i].producer_id);
        wire_write_int64(w, p->aborted_transactions[i].first_offset);
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    if (version >= 11)
        wire_write_int32(w, p->preferred_read_replica);
    fetch_write_records(w, flexible, p->records);
    if (flexible)
        response_partition_tags_encode(w, p);
}

static void response_topic_encode(struct wire_writer *w, int16_t version,
                                  const struct api_fetch_topic_data *t)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(t->partition_count <= API_FETCH_PARTITIONS_MAX);
    topic_key_write(w, version, t->topic, &t->topic_id);
    wire_write_flex_array_count(w, flexible, (int32_t)t->partition_count);
    for (uint32_t i = 0; i < t->partition_count; i++)
        response_partition_encode(w, version, &t->partitions[i]);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

/* The response's tag section: NodeEndpoints (0) from v16, when there are any. */
static void response_tags_encode(struct wire_writer *w, int16_t version,
                                 const struct api_fetch_multi_response *response)
{
    KS_ASSERT(response->node_endpoint_count <= API_FETCH_NODE_ENDPOINTS_MAX);
    if (version < 16 || response->node_endpoint_count == 0) {
        wire_write_empty_tagged_fields(w);
        return;
    }
    struct wire_writer f;
    wire_writer_init(&f);
    wire_write_compact_array_count(&f, (int32_t)response->node_endpoint_count);
    for (uint32_t i = 0; i < response->node_endpoint_count; i++) {
        const struct api_fetch_node_endpoint *e = &response->node_endpoints[i];
        wire_write_int32(&f, e->node_id);
        wire_write_compact_string(&f, e->host);
        wire_write_int32(&f, e->port);
        wire_write_compact_nullable_string(&f, e->rack);
        wire_write_empty_tagged_fields(&f);
    }
    wire_write_uvarint(w, 1);
    wire_write_tagged_field(w, FETCH_TAG_NODE_ENDPOINTS, &f);
    wire_writer_free(&f);
}

void api_fetch_multi_response_encode(struct wire_writer *w, int16_t version,
                                     const struct api_fetch_multi_response *response)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_valid(version));
    KS_ASSERT(response->topic_count <= API_FETCH_TOPICS_MAX);
    wire_write_int32(w, response->throttle_time_ms);
    if (version >= 7) {
        wire_write_int16(w, response->error_code);
        wire_write_int32(w, response->session_id);
    }
    wire_write_flex_array_count(w, flexible, (int32_t)response->topic_count);
    for (uint32_t i = 0; i < response->topic_count; i++)
        response_topic_encode(w, version, &response->topics[i]);
    if (flexible)
        response_tags_encode(w, version, response);
}

void api_fetch_multi_response_free(struct api_fetch_multi_response *response)
{
    for (uint32_t i = 0; i < response->topic_count; i++) {
        struct api_fetch_topic_data *t = &response->topics[i];
        for (uint32_t j = 0; j < t->partition_count; j++)
            free(t->partitions[j].aborted_transactions);
        free(t->partitions);
    }
    free(response->topics);
    free(response->node_endpoints);
    response->topics = NULL;
    response->node_endpoints = NULL;
    response->topic_count = 0;
    response->node_endpoint_count = 0;
}

/* ---- the single-partition view (KRaft) ---- */

static bool kraft_version_valid(int16_t version)
{
    return version >= API_FETCH_KRAFT_VERSION_MIN && version <= API_FETCH_KRAFT_VERSION_MAX;
}

void api_fetch_request_init(struct api_fetch_request *request)
{
    memset(request, 0, sizeof(*request));
    request->cluster_id = wire_string_null();
    request->replica_id = -1;
    request->max_bytes = INT32_MAX;
    request->session_epoch = -1;
    request->current_leader_epoch = -1;
    request->last_fetched_epoch = -1;
    request->log_start_offset = -1;
    request->rack_id = wire_string_from("");
}

void api_fetch_response_init(struct api_fetch_response *response)
{
    struct api_fetch_partition_data p;
    api_fetch_partition_data_init(&p);
    memset(response, 0, sizeof(*response));
    response->last_stable_offset = p.last_stable_offset;
    response->log_start_offset = p.log_start_offset;
    response->diverging_epoch = p.diverging_epoch;
    response->diverging_end_offset = p.diverging_end_offset;
    response->current_leader_id = p.current_leader_id;
    response->current_leader_epoch = p.current_leader_epoch;
    response->snapshot_end_offset = p.snapshot_end_offset;
    response->snapshot_epoch = p.snapshot_epoch;
    response->aborted_transaction_count = p.aborted_transaction_count;
    response->preferred_read_replica = p.preferred_read_replica;
    response->records = p.records;
}

/* Copies the one partition of a decoded multi request; a topic without one is invalid. */
static enum ks_err single_request_from(const struct api_fetch_multi_request *m,
                                       struct api_fetch_request *out)
{
    out->cluster_id = m->cluster_id;
    out->replica_id = m->replica_id;
    out->max_wait_ms = m->max_wait_ms;
    out->min_bytes = m->min_bytes;
    out->max_bytes = m->max_bytes;
    out->isolation_level = m->isolation_level;
    out->session_id = m->session_id;
    out->session_epoch = m->session_epoch;
    out->rack_id = m->rack_id;
    out->has_partition = m->topic_count == 1;
    if (!out->has_partition)
        return KS_OK;
    if (m->topics[0].partition_count != 1)
        return KS_ERR_INVALID;
    const struct api_fetch_partition *p = &m->topics[0].partitions[0];
    out->topic = m->topics[0].topic;
    out->topic_id = m->topics[0].topic_id;
    out->partition = p->partition;
    out->current_leader_epoch = p->current_leader_epoch;
    out->fetch_offset = p->fetch_offset;
    out->last_fetched_epoch = p->last_fetched_epoch;
    out->log_start_offset = p->log_start_offset;
    out->partition_max_bytes = p->partition_max_bytes;
    return KS_OK;
}

enum ks_err api_fetch_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                     struct api_fetch_request *out)
{
    struct api_fetch_multi_request m;
    api_fetch_request_init(out);
    if (!kraft_version_valid(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    enum ks_err err = request_decode(version, body, size_bytes, &fetch_limits_single, &m);
    if (err != KS_OK)
        return err;
    err = single_request_from(&m, out);
    api_fetch_multi_request_free(&m);
    return err;
}

void api_fetch_request_encode(struct wire_writer *w, int16_t version,
                              const struct api_fetch_request *request)
{
    struct api_fetch_multi_request m;
    struct api_fetch_partition p;
    struct api_fetch_topic t = {request->topic, request->topic_id, 1, &p};
    KS_ASSERT(kraft_version_valid(version));
    api_fetch_multi_request_init(&m);
    api_fetch_partition_init(&p);
    m.cluster_id = request->cluster_id;
    m.replica_id = request->replica_id;
    m.max_wait_ms = request->max_wait_ms;
    m.min_bytes = request->min_bytes;
    m.max_bytes = request->max_bytes;
    m.isolation_level = request->isolation_level;
    m.session_id = request->session_id;
    m.session_epoch = request->session_epoch;
    m.rack_id = request->rack_id;
    m.topic_count = request->has_partition ? 1 : 0;
    m.topics = &t;
    p.partition = request->partition;
    p.current_leader_epoch = request->current_leader_epoch;
    p.fetch_offset = request->fetch_offset;
    p.last_fetched_epoch = request->last_fetched_epoch;
    p.log_start_offset = request->log_start_offset;
    p.partition_max_bytes = request->partition_max_bytes;
    api_fetch_multi_request_encode(w, version, &m);
}

static void single_partition_copy(const struct api_fetch_partition_data *p,
                                  struct api_fetch_response *out)
{
    out->partition_index = p->partition_index;
    out->partition_error_code = p->error_code;
    out->high_watermark = p->high_watermark;
    out->last_stable_offset = p->last_stable_offset;
    out->log_start_offset = p->log_start_offset;
    out->diverging_epoch = p->diverging_epoch;
    out->diverging_end_offset = p->diverging_end_offset;
    out->current_leader_id = p->current_leader_id;
    out->current_leader_epoch = p->current_leader_epoch;
    out->snapshot_end_offset = p->snapshot_end_offset;
    out->snapshot_epoch = p->snapshot_epoch;
    out->aborted_transaction_count = p->aborted_transaction_count;
    out->preferred_read_replica = p->preferred_read_replica;
    out->records = p->records;
}

enum ks_err api_fetch_response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                      struct api_fetch_response *out)
{
    struct api_fetch_multi_response m;
    api_fetch_response_init(out);
    if (!kraft_version_valid(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    enum ks_err err = response_decode(version, body, size_bytes, &fetch_limits_single, &m);
    if (err != KS_OK)
        return err;
    out->throttle_time_ms = m.throttle_time_ms;
    out->error_code = m.error_code;
    out->session_id = m.session_id;
    out->has_partition = m.topic_count == 1;
    if (out->has_partition && m.topics[0].partition_count != 1)
        err = KS_ERR_INVALID;
    else if (out->has_partition) {
        out->topic = m.topics[0].topic;
        out->topic_id = m.topics[0].topic_id;
        single_partition_copy(&m.topics[0].partitions[0], out);
    }
    api_fetch_multi_response_free(&m);
    return err;
}

void api_fetch_response_encode(struct wire_writer *w, int16_t version,
                               const struct api_fetch_response *response)
{
    struct api_fetch_multi_response m;
    struct api_fetch_partition_data p;
    struct api_fetch_topic_data t = {response->topic, response->topic_id, 1, &p};
    KS_ASSERT(kraft_version_valid(version));
    KS_ASSERT(response->aborted_transaction_count >= -1);
    KS_ASSERT(response->aborted_transaction_count <= 0);
    api_fetch_multi_response_init(&m);
    m.throttle_time_ms = response->throttle_time_ms;
    m.error_code = response->error_code;
    m.session_id = response->session_id;
    m.topic_count = response->has_partition ? 1 : 0;
    m.topics = &t;
    p = (struct api_fetch_partition_data){
        .partition_index = response->partition_index,
        .error_code = response->partition_error_code,
        .high_watermark = response->high_watermark,
        .last_stable_offset = response->last_stable_offset,
        .log_start_offset = response->log_start_offset,
        .diverging_epoch = response->diverging_epoch,
        .diverging_end_offset = response->diverging_end_offset,
        .current_leader_id = response->current_leader_id,
        .current_leader_epoch = response->current_leader_epoch,
        .snapshot_end_offset = response->snapshot_end_offset,
        .snapshot_epoch = response->snapshot_epoch,
        .aborted_transaction_count = response->aborted_transaction_count,
        .preferred_read_replica = response->preferred_read_replica,
        .records = response->records,
    };
    api_fetch_multi_response_encode(w, version, &m);
}
