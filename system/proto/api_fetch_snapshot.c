/*
 * api_fetch_snapshot.c: FetchSnapshot (key 59) request and response, v0, flexible.
 * Kafka: FetchSnapshotRequest.json, FetchSnapshotResponse.json. Fields in wire order;
 * SnapshotId is a nested struct with its own (empty) tag section.
 */
#include "system/proto/api_fetch_snapshot.h"

#include <string.h>

#define FS_TOPIC_SIZE_MIN 3u
#define FS_REQUEST_PARTITION_SIZE_MIN 30u
#define FS_RESPONSE_PARTITION_SIZE_MIN 41u
#define FS_TOPICS_MAX 1
#define FS_TAG_CLUSTER_ID 0u
#define FS_TAG_CURRENT_LEADER 0u

void api_fetch_snapshot_request_init(struct api_fetch_snapshot_request *request)
{
    memset(request, 0, sizeof(*request));
    request->cluster_id = wire_string_null();
    request->replica_id = -1;
    request->max_bytes = INT32_MAX;
}

void api_fetch_snapshot_response_init(struct api_fetch_snapshot_response *response)
{
    memset(response, 0, sizeof(*response));
    response->current_leader_id = -1;
    response->current_leader_epoch = -1;
    response->unaligned_records = (struct wire_bytes){NULL, 0};
}

static bool fs_topic_begin(struct wire_reader *r, uint32_t partition_size_min,
                           struct wire_string *name)
{
    int32_t topics = wire_read_compact_array_count(r, FS_TOPIC_SIZE_MIN);
    if (topics > FS_TOPICS_MAX)
        wire_reader_fail(r, KS_ERR_TOO_MANY);
    if (topics != 1 || r->err != KS_OK)
        return false;
    *name = wire_read_compact_string(r);
    int32_t partitions = wire_read_compact_array_count(r, partition_size_min);
    if (r->err == KS_OK && partitions != 1)
        wire_reader_fail(r, partitions > 1 ? KS_ERR_TOO_MANY : KS_ERR_INVALID);
    return r->err == KS_OK;
}

static void fs_topic_write_begin(struct wire_writer *w, bool has_partition, struct wire_string name)
{
    wire_write_compact_array_count(w, has_partition ? 1 : 0);
    if (!has_partition)
        return;
    wire_write_compact_string(w, name);
    wire_write_compact_array_count(w, 1);
}

/* SnapshotId { EndOffset int64, Epoch int32 } with its tag section. */
static void fs_snapshot_id_read(struct wire_reader *r, int64_t *end_offset, int32_t *epoch)
{
    *end_offset = wire_read_int64(r);
    *epoch = wire_read_int32(r);
    wire_skip_tagged_fields(r);
}

static void fs_snapshot_id_write(struct wire_writer *w, int64_t end_offset, int32_t epoch)
{
    wire_write_int64(w, end_offset);
    wire_write_int32(w, epoch);
    wire_write_empty_tagged_fields(w);
}

/* ---- request ---- */

static void request_tags_decode(struct wire_reader *r, struct api_fetch_snapshot_request *out)
{
    struct wire_tags tags;
    struct wire_reader field;
    uint32_t tag;
    wire_read_tags_begin(r, &tags);
    while (wire_read_tags_next(r, &tags, &tag, &field)) {
        if (tag != FS_TAG_CLUSTER_ID)
            continue; /* unknown: skipped */
        out->cluster_id = wire_read_compact_nullable_string(&field);
        wire_read_tag_end(r, &field);
    }
}

enum ks_err api_fetch_snapshot_request_decode(int16_t version, const uint8_t *body,
                                              uint32_t size_bytes,
                                              struct api_fetch_snapshot_request *out)
{
    struct wire_reader r;
    api_fetch_snapshot_request_init(out);
    if (version < API_FETCH_SNAPSHOT_VERSION_MIN || version > API_FETCH_SNAPSHOT_VERSION_MAX)
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->replica_id = wire_read_int32(&r);
    out->max_bytes = wire_read_int32(&r);
    out->has_partition = fs_topic_begin(&r, FS_REQUEST_PARTITION_SIZE_MIN, &out->topic_name);
    if (out->has_partition) {
        out->partition = wire_read_int32(&r);
        out->current_leader_epoch = wire_read_int32(&r);
        fs_snapshot_id_read(&r, &out->snapshot_end_offset, &out->snapshot_epoch);
        out->position = wire_read_int64(&r);
        wire_skip_tagged_fields(&r); /* partition (v1 ReplicaDirectoryId) */
        wire_skip_tagged_fields(&r); /* topic */
    }
    request_tags_decode(&r, out);
    return wire_reader_finish(&r);
}

void api_fetch_snapshot_request_encode(struct wire_writer *w, int16_t version,
                                       const struct api_fetch_snapshot_request *request)
{
    KS_ASSERT(version >= API_FETCH_SNAPSHOT_VERSION_MIN);
    KS_ASSERT(version <= API_FETCH_SNAPSHOT_VERSION_MAX);
    wire_write_int32(w, request->replica_id);
    wire_write_int32(w, request->max_bytes);
    fs_topic_write_begin(w, request->has_partition, request->topic_name);
    if (request->has_partition) {
        wire_write_int32(w, request->partition);
        wire_write_int32(w, request->current_leader_epoch);
        fs_snapshot_id_write(w, request->snapshot_end_offset, request->snapshot_epoch);
        wire_write_int64(w, request->position);
        wire_write_empty_tagged_fields(w);
        wire_write_empty_tagged_fields(w);
    }
    if (wire_string_is_null(request->cluster_id)) {
        wire_write_empty_tagged_fields(w);
        return;
    }
    struct wire_writer field;
    wire_writer_init(&field);
    wire_write_compact_nullable_string(&field, request->cluster_id);
    wire_write_uvarint(w, 1);
    wire_write_tagged_field(w, FS_TAG_CLUSTER_ID, &field);
    wire_writer_free(&field);
}

/* ---- response ---- */

static void response_partition_tags_decode(struct wire_reader *r,
                                           struct api_fetch_snapshot_response *out)
{
    struct wire_tags tags;
    struct wire_reader f;
    uint32_t tag;
    wire_read_tags_begin(r, &tags);
    while (wire_read_tags_next(r, &tags, &tag, &f)) {
        if (tag != FS_TAG_CURRENT_LEADER)
            continue;
        out->current_leader_id = wire_read_int32(&f);
        out->current_leader_epoch = wire_read_int32(&f);
        wire_skip_tagged_fields(&f);
        wire_read_tag_end(r, &f);
    }
}

enum ks_err api_fetch_snapshot_response_decode(int16_t version, const uint8_t *body,
                                               uint32_t size_bytes,
                                               struct api_fetch_snapshot_response *out)
{
    struct wire_reader r;
    api_fetch_snapshot_response_init(out);
    if (version < API_FETCH_SNAPSHOT_VERSION_MIN || version > API_FETCH_SNAPSHOT_VERSION_MAX)
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->throttle_time_ms = wire_read_int32(&r);
    out->error_code = wire_read_int16(&r);
    out->has_partition = fs_topic_begin(&r, FS_RESPONSE_PARTITION_SIZE_MIN, &out->topic_name);
    if (out->has_partition) {
        out->index = wire_read_int32(&r);
        out->partition_error_code = wire_read_int16(&r);
        fs_snapshot_id_read(&r, &out->snapshot_end_offset, &out->snapshot_epoch);
        out->size = wire_read_int64(&r);
        out->position = wire_read_int64(&r);
        out->unaligned_records = wire_read_compact_bytes(&r);
        response_partition_tags_decode(&r, out);
        wire_skip_tagged_fields(&r); /* topic */
    }
    wire_skip_tagged_fields(&r); /* v1 NodeEndpoints */
    return wire_reader_finish(&r);
}

void api_fetch_snapshot_response_encode(struct wire_writer *w, int16_t version,
                                        const struct api_fetch_snapshot_response *response)
{
    KS_ASSERT(version >= API_FETCH_SNAPSHOT_VERSION_MIN);
    KS_ASSERT(version <= API_FETCH_SNAPSHOT_VERSION_MAX);
    KS_ASSERT(response->unaligned_records.size_bytes >= 0);
    wire_write_int32(w, response->throttle_time_ms);
    wire_write_int16(w, response->error_code);
    fs_topic_write_begin(w, response->has_partition, response->topic_name);
    if (response->has_partition) {
        wire_write_int32(w, response->index);
        wire_write_int16(w, response->partition_error_code);
        fs_snapshot_id_write(w, response->snapshot_end_offset, response->snapshot_epoch);
        wire_write_int64(w, response->size);
        wire_write_int64(w, response->position);
        wire_write_compact_bytes(w, response->unaligned_records);
        bool leader = response->current_leader_id != -1 || response->current_leader_epoch != -1;
        wire_write_uvarint(w, leader ? 1 : 0);
        if (leader) {
            struct wire_writer f;
            wire_writer_init(&f);
            wire_write_int32(&f, response->current_leader_id);
            wire_write_int32(&f, response->current_leader_epoch);
            wire_write_empty_tagged_fields(&f);
            wire_write_tagged_field(w, FS_TAG_CURRENT_LEADER, &f);
            wire_writer_free(&f);
        }
        wire_write_empty_tagged_fields(w); /* topic */
    }
    wire_write_empty_tagged_fields(w);
}
