/*
 * api_vote.c: Vote (key 52) request and response, v0-v2, every version flexible.
 * Kafka: VoteRequest.json, VoteResponse.json. Fields are read and written in wire
 * order, each labelled with the versions that carry it.
 */
#include "system/proto/api_vote.h"

#include <string.h>

/* Fewest wire bytes of a topic and of a partition entry, to bound counts. */
#define VOTE_TOPIC_SIZE_MIN 3u
#define VOTE_REQUEST_PARTITION_SIZE_MIN 25u
#define VOTE_RESPONSE_PARTITION_SIZE_MIN 16u
/* KRaft's singleton: at most one topic with exactly one partition. */
#define VOTE_TOPICS_MAX 1

/* Reads the topics array's head; returns whether one partition follows. */
static bool vote_topic_begin(struct wire_reader *r, uint32_t partition_size_min,
                             struct wire_string *topic_name)
{
    int32_t topics = wire_read_compact_array_count(r, VOTE_TOPIC_SIZE_MIN);
    if (topics > VOTE_TOPICS_MAX)
        wire_reader_fail(r, KS_ERR_TOO_MANY);
    if (topics != 1 || r->err != KS_OK)
        return false;
    *topic_name = wire_read_compact_string(r);
    int32_t partitions = wire_read_compact_array_count(r, partition_size_min);
    if (r->err == KS_OK && partitions != 1)
        wire_reader_fail(r, partitions > 1 ? KS_ERR_TOO_MANY : KS_ERR_INVALID);
    return r->err == KS_OK;
}

/* Closes the partition's and the topic's tag sections. */
static void vote_topic_end(struct wire_reader *r)
{
    wire_skip_tagged_fields(r); /* partition */
    wire_skip_tagged_fields(r); /* topic */
}

static void vote_topic_write_begin(struct wire_writer *w, bool has_partition,
                                   struct wire_string topic_name)
{
    wire_write_compact_array_count(w, has_partition ? 1 : 0);
    if (!has_partition)
        return;
    wire_write_compact_string(w, topic_name);
    wire_write_compact_array_count(w, 1);
}

static void vote_topic_write_end(struct wire_writer *w)
{
    wire_write_empty_tagged_fields(w); /* partition */
    wire_write_empty_tagged_fields(w); /* topic */
}

/* ---- request ---- */

static void request_partition_decode(struct wire_reader *r, int16_t version,
                                     struct api_vote_request *out)
{
    out->partition_index = wire_read_int32(r);
    out->replica_epoch = wire_read_int32(r);
    out->replica_id = wire_read_int32(r);
    if (version >= 1) {
        out->replica_directory_id = wire_read_uuid(r);
        out->voter_directory_id = wire_read_uuid(r);
    }
    out->last_offset_epoch = wire_read_int32(r);
    out->last_offset = wire_read_int64(r);
    if (version >= API_VOTE_PRE_VOTE_VERSION_FIRST)
        out->pre_vote = wire_read_bool(r);
}

enum ks_err api_vote_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                    struct api_vote_request *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    out->voter_id = -1;
    if (version < API_VOTE_VERSION_MIN || version > API_VOTE_VERSION_MAX)
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->cluster_id = wire_read_compact_nullable_string(&r);
    if (version >= 1)
        out->voter_id = wire_read_int32(&r);
    out->has_partition = vote_topic_begin(&r, VOTE_REQUEST_PARTITION_SIZE_MIN, &out->topic_name);
    if (out->has_partition) {
        request_partition_decode(&r, version, out);
        vote_topic_end(&r);
    }
    wire_skip_tagged_fields(&r);
    return wire_reader_finish(&r);
}

void api_vote_request_encode(struct wire_writer *w, int16_t version,
                             const struct api_vote_request *request)
{
    KS_ASSERT(version >= API_VOTE_VERSION_MIN);
    KS_ASSERT(version <= API_VOTE_VERSION_MAX);
    if (request->pre_vote && version < API_VOTE_PRE_VOTE_VERSION_FIRST) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    wire_write_compact_nullable_string(w, request->cluster_id);
    if (version >= 1)
        wire_write_int32(w, request->voter_id);
    vote_topic_write_begin(w, request->has_partition, request->topic_name);
    if (request->has_partition) {
        wire_write_int32(w, request->partition_index);
        wire_write_int32(w, request->replica_epoch);
        wire_write_int32(w, request->replica_id);
        if (version >= 1) {
            wire_write_uuid(w, &request->replica_directory_id);
            wire_write_uuid(w, &request->voter_directory_id);
        }
        wire_write_int32(w, request->last_offset_epoch);
        wire_write_int64(w, request->last_offset);
        if (version >= API_VOTE_PRE_VOTE_VERSION_FIRST)
            wire_write_bool(w, request->pre_vote);
        vote_topic_write_end(w);
    }
    wire_write_empty_tagged_fields(w);
}

/* ---- response ---- */

enum ks_err api_vote_response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                     struct api_vote_response *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    out->leader_id = -1;
    out->leader_epoch = -1;
    if (version < API_VOTE_VERSION_MIN || version > API_VOTE_VERSION_MAX)
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->error_code = wire_read_int16(&r);
    out->has_partition = vote_topic_begin(&r, VOTE_RESPONSE_PARTITION_SIZE_MIN, &out->topic_name);
    if (out->has_partition) {
        out->partition_index = wire_read_int32(&r);
        out->partition_error_code = wire_read_int16(&r);
        out->leader_id = wire_read_int32(&r);
        out->leader_epoch = wire_read_int32(&r);
        out->vote_granted = wire_read_bool(&r);
        vote_topic_end(&r);
    }
    wire_skip_tagged_fields(&r); /* v1+ NodeEndpoints (tag 0): not used */
    return wire_reader_finish(&r);
}

void api_vote_response_encode(struct wire_writer *w, int16_t version,
                              const struct api_vote_response *response)
{
    KS_ASSERT(version >= API_VOTE_VERSION_MIN);
    KS_ASSERT(version <= API_VOTE_VERSION_MAX);
    wire_write_int16(w, response->error_code);
    vote_topic_write_begin(w, response->has_partition, response->topic_name);
    if (response->has_partition) {
        wire_write_int32(w, response->partition_index);
        wire_write_int16(w, response->partition_error_code);
        wire_write_int32(w, response->leader_id);
        wire_write_int32(w, response->leader_epoch);
        wire_write_bool(w, response->vote_granted);
        vote_topic_write_end(w);
    }
    wire_write_empty_tagged_fields(w);
}
