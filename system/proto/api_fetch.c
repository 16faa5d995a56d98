/*
 * api_fetch.c: Fetch (key 1) request and response at versions 12-13, the flexible
 * versions KRaft replication speaks. Kafka: FetchRequest.json, FetchResponse.json.
 * Fields in wire order, tagged fields in the tag section that ends each struct.
 */
#include "system/proto/api_fetch.h"

#include <string.h>

#define FETCH_TOPIC_SIZE_MIN 3u
#define FETCH_REQUEST_PARTITION_SIZE_MIN 33u
#define FETCH_RESPONSE_PARTITION_SIZE_MIN 36u
#define FETCH_FORGOTTEN_SIZE_MIN 3u
#define FETCH_ABORTED_SIZE 17u
#define FETCH_PARTITION_ID_SIZE 4u
#define FETCH_TOPICS_MAX 1

/* Tags of the response partition (FetchResponse.json). */
#define FETCH_TAG_DIVERGING_EPOCH 0u
#define FETCH_TAG_CURRENT_LEADER 1u
#define FETCH_TAG_SNAPSHOT_ID 2u
/* Tag of the request's ClusterId. */
#define FETCH_TAG_CLUSTER_ID 0u

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
    memset(response, 0, sizeof(*response));
    response->last_stable_offset = -1;
    response->log_start_offset = -1;
    response->diverging_epoch = -1;
    response->diverging_end_offset = -1;
    response->current_leader_id = -1;
    response->current_leader_epoch = -1;
    response->snapshot_end_offset = -1;
    response->snapshot_epoch = -1;
    response->aborted_transaction_count = -1;
    response->preferred_read_replica = -1;
    response->records.size_bytes = -1;
}

/* The topic's identity: a name before v13, an id from v13. */
static void topic_key_read(struct wire_reader *r, int16_t version, struct wire_string *name,
                           struct wire_uuid *id)
{
    if (version >= API_FETCH_TOPIC_ID_VERSION_FIRST)
        *id = wire_read_uuid(r);
    else
        *name = wire_read_compact_string(r);
}

static void topic_key_write(struct wire_writer *w, int16_t version, struct wire_string name,
                            const struct wire_uuid *id)
{
    if (version >= API_FETCH_TOPIC_ID_VERSION_FIRST)
        wire_write_uuid(w, id);
    else
        wire_write_compact_string(w, name);
}

/* Reads the topics array's head and the topic key; returns whether a partition follows. */
static bool fetch_topic_begin(struct wire_reader *r, int16_t version, uint32_t partition_size_min,
                              struct wire_string *name, struct wire_uuid *id)
{
    int32_t topics = wire_read_compact_array_count(r, FETCH_TOPIC_SIZE_MIN);
    if (topics > FETCH_TOPICS_MAX)
        wire_reader_fail(r, KS_ERR_TOO_MANY);
    if (topics != 1 || r->err != KS_OK)
        return false;
    topic_key_read(r, version, name, id);
    int32_t partitions = wire_read_compact_array_count(r, partition_size_min);
    if (r->err == KS_OK && partitions != 1)
        wire_reader_fail(r, partitions > 1 ? KS_ERR_TOO_MANY : KS_ERR_INVALID);
    return r->err == KS_OK;
}

static void fetch_topic_write_begin(struct wire_writer *w, int16_t version, bool has_partition,
                                    struct wire_string name, const struct wire_uuid *id)
{
    wire_write_compact_array_count(w, has_partition ? 1 : 0);
    if (!has_partition)
        return;
    topic_key_write(w, version, name, id);
    wire_write_compact_array_count(w, 1);
}

/* ---- request ---- */

static void request_tags_decode(struct wire_reader *r, struct api_fetch_request *out)
{
    struct wire_tags tags;
    struct wire_reader field;
    uint32_t tag;
    wire_read_tags_begin(r, &tags);
    while (wire_read_tags_next(r, &tags, &tag, &field)) {
        if (tag != FETCH_TAG_CLUSTER_ID)
            continue; /* unknown: skipped */
        out->cluster_id = wire_read_compact_nullable_string(&field);
        wire_read_tag_end(r, &field);
    }
}

/* ForgottenTopicsData: KRaft sends none; read and drop. */
static void request_forgotten_skip(struct wire_reader *r, int16_t version)
{
    int32_t count = wire_read_compact_array_count(r, FETCH_FORGOTTEN_SIZE_MIN);
    for (int32_t i = 0; i < count && r->err == KS_OK; i++) {
        struct wire_string name;
        struct wire_uuid id;
        topic_key_read(r, version, &name, &id);
        int32_t partitions = wire_read_compact_array_count(r, FETCH_PARTITION_ID_SIZE);
        for (int32_t j = 0; j < partitions && r->err == KS_OK; j++)
            (void)wire_read_int32(r);
        wire_skip_tagged_fields(r);
    }
}

static void request_partition_decode(struct wire_reader *r, struct api_fetch_request *out)
{
    out->partition = wire_read_int32(r);
    out->current_leader_epoch = wire_read_int32(r);
    out->fetch_offset = wire_read_int64(r);
    out->last_fetched_epoch = wire_read_int32(r);
    out->log_start_offset = wire_read_int64(r);
    out->partition_max_bytes = wire_read_int32(r);
    wire_skip_tagged_fields(r); /* partition (v17 ReplicaDirectoryId: not in 12-13) */
    wire_skip_tagged_fields(r); /* topic */
}

enum ks_err api_fetch_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                     struct api_fetch_request *out)
{
    struct wire_reader r;
    api_fetch_request_init(out);
    if (version < API_FETCH_VERSION_MIN || version > API_FETCH_VERSION_MAX)
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->replica_id = wire_read_int32(&r);
    out->max_wait_ms = wire_read_int32(&r);
    out->min_bytes = wire_read_int32(&r);
    out->max_bytes = wire_read_int32(&r);
    out->isolation_level = wire_read_int8(&r);
    out->session_id = wire_read_int32(&r);
    out->session_epoch = wire_read_int32(&r);
    out->has_partition = fetch_topic_begin(&r, version, FETCH_REQUEST_PARTITION_SIZE_MIN,
                                           &out->topic, &out->topic_id);
    if (out->has_partition)
        request_partition_decode(&r, out);
    request_forgotten_skip(&r, version);
    out->rack_id = wire_read_compact_string(&r);
    request_tags_decode(&r, out);
    return wire_reader_finish(&r);
}

void api_fetch_request_encode(struct wire_writer *w, int16_t version,
                              const struct api_fetch_request *request)
{
    KS_ASSERT(version >= API_FETCH_VERSION_MIN);
    KS_ASSERT(version <= API_FETCH_VERSION_MAX);
    wire_write_int32(w, request->replica_id);
    wire_write_int32(w, request->max_wait_ms);
    wire_write_int32(w, request->min_bytes);
    wire_write_int32(w, request->max_bytes);
    wire_write_int8(w, request->isolation_level);
    wire_write_int32(w, request->session_id);
    wire_write_int32(w, request->session_epoch);
    fetch_topic_write_begin(w, version, request->has_partition, request->topic, &request->topic_id);
    if (request->has_partition) {
        wire_write_int32(w, request->partition);
        wire_write_int32(w, request->current_leader_epoch);
        wire_write_int64(w, request->fetch_offset);
        wire_write_int32(w, request->last_fetched_epoch);
        wire_write_int64(w, request->log_start_offset);
        wire_write_int32(w, request->partition_max_bytes);
        wire_write_empty_tagged_fields(w); /* partition */
        wire_write_empty_tagged_fields(w); /* topic */
    }
    wire_write_compact_array_count(w, 0); /* ForgottenTopicsData */
    wire_write_compact_string(w, request->rack_id);
    if (wire_string_is_null(request->cluster_id)) {
        wire_write_empty_tagged_fields(w);
        return;
    }
    struct wire_writer field;
    wire_writer_init(&field);
    wire_write_compact_nullable_string(&field, request->cluster_id);
    wire_write_uvarint(w, 1);
    wire_write_tagged_field(w, FETCH_TAG_CLUSTER_ID, &field);
    wire_writer_free(&field);
}

/* ---- response ---- */

static void response_partition_tags_decode(struct wire_reader *r, struct api_fetch_response *out)
{
    struct wire_tags tags;
    struct wire_reader f;
    uint32_t tag;
    wire_read_tags_begin(r, &tags);
    while (wire_read_tags_next(r, &tags, &tag, &f)) {
        if (tag == FETCH_TAG_DIVERGING_EPOCH) {
            out->diverging_epoch = wire_read_int32(&f);
            out->diverging_end_offset = wire_read_int64(&f);
        } else if (tag == FETCH_TAG_CURRENT_LEADER) {
            out->current_leader_id = wire_read_int32(&f);
            out->current_leader_epoch = wire_read_int32(&f);
        } else if (tag == FETCH_TAG_SNAPSHOT_ID) {
            out->snapshot_end_offset = wire_read_int64(&f);
            out->snapshot_epoch = wire_read_int32(&f);
        } else {
            continue; /* unknown: skipped */
        }
        wire_skip_tagged_fields(&f); /* the tagged struct's own tag section */
        wire_read_tag_end(r, &f);
    }
}

static void response_aborted_skip(struct wire_reader *r, struct api_fetch_response *out)
{
    int32_t count = wire_read_compact_nullable_array_count(r, FETCH_ABORTED_SIZE);
    out->aborted_transaction_count = count;
    for (int32_t i = 0; i < count && r->err == KS_OK; i++) {
        (void)wire_read_int64(r); /* ProducerId */
        (void)wire_read_int64(r); /* FirstOffset */
        wire_skip_tagged_fields(r);
    }
}

static void response_partition_decode(struct wire_reader *r, struct api_fetch_response *out)
{
    out->partition_index = wire_read_int32(r);
    out->partition_error_code = wire_read_int16(r);
    out->high_watermark = wire_read_int64(r);
    out->last_stable_offset = wire_read_int64(r);
    out->log_start_offset = wire_read_int64(r);
    response_aborted_skip(r, out);
    out->preferred_read_replica = wire_read_int32(r);
    out->records = wire_read_compact_nullable_bytes(r);
    response_partition_tags_decode(r, out);
    wire_skip_tagged_fields(r); /* topic */
}

enum ks_err api_fetch_response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                      struct api_fetch_response *out)
{
    struct wire_reader r;
    api_fetch_response_init(out);
    if (version < API_FETCH_VERSION_MIN || version > API_FETCH_VERSION_MAX)
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->throttle_time_ms = wire_read_int32(&r);
    out->error_code = wire_read_int16(&r);
    out->session_id = wire_read_int32(&r);
    out->has_partition = fetch_topic_begin(&r, version, FETCH_RESPONSE_PARTITION_SIZE_MIN,
                                           &out->topic, &out->topic_id);
    if (out->has_partition)
        response_partition_decode(&r, out);
    wire_skip_tagged_fields(&r); /* v16+ NodeEndpoints: not in 12-13 */
    return wire_reader_finish(&r);
}

/* The partition's tag section: each tagged struct ends with its own empty tags. */
static void response_partition_tags_encode(struct wire_writer *w,
                                           const struct api_fetch_response *resp)
{
    bool diverging = resp->diverging_epoch != -1 || resp->diverging_end_offset != -1;
    bool leader = resp->current_leader_id != -1 || resp->current_leader_epoch != -1;
    bool snapshot = resp->snapshot_end_offset != -1 || resp->snapshot_epoch != -1;
    struct wire_writer f;
    wire_write_uvarint(w, (uint32_t)diverging + leader + snapshot);
    wire_writer_init(&f);
    if (diverging) {
        wire_write_int32(&f, resp->diverging_epoch);
        wire_write_int64(&f, resp->diverging_end_offset);
        wire_write_empty_tagged_fields(&f);
        wire_write_tagged_field(w, FETCH_TAG_DIVERGING_EPOCH, &f);
    }
    if (leader) {
        wire_writer_reset(&f);
        wire_write_int32(&f, resp->current_leader_id);
        wire_write_int32(&f, resp->current_leader_epoch);
        wire_write_empty_tagged_fields(&f);
        wire_write_tagged_field(w, FETCH_TAG_CURRENT_LEADER, &f);
    }
    if (snapshot) {
        wire_writer_reset(&f);
        wire_write_int64(&f, resp->snapshot_end_offset);
        wire_write_int32(&f, resp->snapshot_epoch);
        wire_write_empty_tagged_fields(&f);
        wire_write_tagged_field(w, FETCH_TAG_SNAPSHOT_ID, &f);
    }
    wire_writer_free(&f);
}

void api_fetch_response_encode(struct wire_writer *w, int16_t version,
                               const struct api_fetch_response *response)
{
    KS_ASSERT(version >= API_FETCH_VERSION_MIN);
    KS_ASSERT(version <= API_FETCH_VERSION_MAX);
    KS_ASSERT(response->aborted_transaction_count >= -1);
    KS_ASSERT(response->aborted_transaction_count <= 0);
    wire_write_int32(w, response->throttle_time_ms);
    wire_write_int16(w, response->error_code);
    wire_write_int32(w, response->session_id);
    fetch_topic_write_begin(w, version, response->has_partition, response->topic,
                            &response->topic_id);
    if (response->has_partition) {
        wire_write_int32(w, response->partition_index);
        wire_write_int16(w, response->partition_error_code);
        wire_write_int64(w, response->high_watermark);
        wire_write_int64(w, response->last_stable_offset);
        wire_write_int64(w, response->log_start_offset);
        wire_write_compact_nullable_array_count(w, response->aborted_transaction_count);
        wire_write_int32(w, response->preferred_read_replica);
        wire_write_compact_nullable_bytes(w, response->records);
        response_partition_tags_encode(w, response);
        wire_write_empty_tagged_fields(w); /* topic */
    }
    wire_write_empty_tagged_fields(w);
}
