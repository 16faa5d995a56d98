/*
 * api_offsets_for_leader_epoch.c: OffsetForLeaderEpoch (key 23) request and response,
 * v0-v4. Kafka: OffsetForLeaderEpochRequest.json, OffsetForLeaderEpochResponse.json.
 * Fields in wire order, labelled by version.
 */
#include "system/proto/api_offsets_for_leader_epoch.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element at any version, to bound counts before allocating. */
#define OFLE_TOPIC_SIZE_MIN 3u
#define OFLE_PARTITION_SIZE_MIN 8u
#define OFLE_END_OFFSET_SIZE_MIN 14u

static bool version_flexible(int16_t version)
{
    return version >= API_OFFSETS_FOR_LEADER_EPOCH_FLEXIBLE_VERSION_FIRST;
}

static bool version_valid(int16_t version)
{
    return version >= API_OFFSETS_FOR_LEADER_EPOCH_VERSION_MIN &&
           version <= API_OFFSETS_FOR_LEADER_EPOCH_VERSION_MAX;
}

/* ---- request ---- */

static void request_topic_decode(struct wire_reader *r, int16_t version,
                                 struct api_offsets_for_leader_epoch_topic *t)
{
    bool flexible = version_flexible(version);
    t->topic = wire_read_flex_string(r, flexible);
    int32_t n = wire_read_flex_array_count_max(r, flexible, OFLE_PARTITION_SIZE_MIN,
                                API_OFFSETS_FOR_LEADER_EPOCH_PARTITIONS_MAX);
    t->partitions = wire_array_alloc(n, sizeof(*t->partitions));
    t->partition_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++) {
        struct api_offsets_for_leader_epoch_partition *p = &t->partitions[i];
        p->partition = wire_read_int32(r);
        p->current_leader_epoch = version >= 2 ? wire_read_int32(r) : -1;
        p->leader_epoch = wire_read_int32(r);
        if (flexible)
            wire_skip_tagged_fields(r);
    }
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err
api_offsets_for_leader_epoch_request_decode(int16_t version, const uint8_t *body,
                                            uint32_t size_bytes,
                                            struct api_offsets_for_leader_epoch_request *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    out->replica_id = API_OFFSETS_FOR_LEADER_EPOCH_DEBUGGING_REPLICA_ID;
    if (!version_valid(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    if (version >= 3)
        out->replica_id = wire_read_int32(&r);
    int32_t n =
        wire_read_flex_array_count_max(&r, flexible, OFLE_TOPIC_SIZE_MIN, API_OFFSETS_FOR_LEADER_EPOCH_TOPICS_MAX);
    out->topics = wire_array_alloc(n, sizeof(*out->topics));
    out->topic_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r.err == KS_OK; i++)
        request_topic_decode(&r, version, &out->topics[i]);
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_offsets_for_leader_epoch_request_free(out);
    return err;
}

void api_offsets_for_leader_epoch_request_encode(
    struct wire_writer *w, int16_t version,
    const struct api_offsets_for_leader_epoch_request *request)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_valid(version));
    KS_ASSERT(request->topic_count <= API_OFFSETS_FOR_LEADER_EPOCH_TOPICS_MAX);
    if (version >= 3)
        wire_write_int32(w, request->replica_id);
    wire_write_flex_array_count(w, flexible, (int32_t)request->topic_count);
    for (uint32_t i = 0; i < request->topic_count; i++) {
        const struct api_offsets_for_leader_epoch_topic *t = &request->topics[i];
        KS_ASSERT(t->partition_count <= API_OFFSETS_FOR_LEADER_EPOCH_PARTITIONS_MAX);
        wire_write_flex_string(w, flexible, t->topic);
        wire_write_flex_array_count(w, flexible, (int32_t)t->partition_count);
        for (uint32_t j = 0; j < t->partition_count; j++) {
            wire_write_int32(w, t->partitions[j].partition);
            if (version >= 2)
                wire_write_int32(w, t->partitions[j].current_leader_epoch);
            wire_write_int32(w, t->partitions[j].leader_epoch);
            if (flexible)
                wire_write_empty_tagged_fields(w);
        }
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_offsets_for_leader_epoch_request_free(struct api_offsets_for_leader_epoch_request *request)
{
    for (uint32_t i = 0; i < request->topic_count; i++)
        free(request->topics[i].partitions);
    free(request->topics);
    request->topics = NULL;
    request->topic_count = 0;
}

/* ---- response ---- */

static void response_topic_decode(struct wire_reader *r, int16_t version,
                                  struct api_offsets_for_leader_epoch_topic_result *t)
{
    bool flexible = version_flexible(version);
    t->topic = wire_read_flex_string(r, flexible);
    int32_t n = wire_read_flex_array_count_max(r, flexible, OFLE_END_OFFSET_SIZE_MIN,
                                API_OFFSETS_FOR_LEADER_EPOCH_PARTITIONS_MAX);
    t->partitions = wire_array_alloc(n, sizeof(*t->partitions));
    t->partition_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++) {
        struct api_offsets_for_leader_epoch_end_offset *p = &t->partitions[i];
        p->error_code = wire_read_int16(r);
        p->partition = wire_read_int32(r);
        p->leader_epoch = version >= 1 ? wire_read_int32(r) : -1;
        p->end_offset = wire_read_int64(r);
        if (flexible)
            wire_skip_tagged_fields(r);
    }
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err
api_offsets_for_leader_epoch_response_decode(int16_t version, const uint8_t *body,
                                             uint32_t size_bytes,
                                             struct api_offsets_for_leader_epoch_response *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_valid(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    if (version >= 2)
        out->throttle_time_ms = wire_read_int32(&r);
    int32_t n =
        wire_read_flex_array_count_max(&r, flexible, OFLE_TOPIC_SIZE_MIN, API_OFFSETS_FOR_LEADER_EPOCH_TOPICS_MAX);
    out->topics = wire_array_alloc(n, sizeof(*out->topics));
    out->topic_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r.err == KS_OK; i++)
        response_topic_decode(&r, version, &out->topics[i]);
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_offsets_for_leader_epoch_response_free(out);
    return err;
}

void api_offsets_for_leader_epoch_response_encode(
    struct wire_writer *w, int16_t version,
    const struct api_offsets_for_leader_epoch_response *response)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_valid(version));
    KS_ASSERT(response->topic_count <= API_OFFSETS_FOR_LEADER_EPOCH_TOPICS_MAX);
    if (version >= 2)
        wire_write_int32(w, response->throttle_time_ms);
    wire_write_flex_array_count(w, flexible, (int32_t)response->topic_count);
    for (uint32_t i = 0; i < response->topic_count; i++) {
        const struct api_offsets_for_leader_epoch_topic_result *t = &response->topics[i];
        KS_ASSERT(t->partition_count <= API_OFFSETS_FOR_LEADER_EPOCH_PARTITIONS_MAX);
        wire_write_flex_string(w, flexible, t->topic);
        wire_write_flex_array_count(w, flexible, (int32_t)t->partition_count);
        for (uint32_t j = 0; j < t->partition_count; j++) {
            const struct api_offsets_for_leader_epoch_end_offset *p = &t->partitions[j];
            wire_write_int16(w, p->error_code);
            wire_write_int32(w, p->partition);
            if (version >= 1)
                wire_write_int32(w, p->leader_epoch);
            wire_write_int64(w, p->end_offset);
            if (flexible)
                wire_write_empty_tagged_fields(w);
        }
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_offsets_for_leader_epoch_response_free(
    struct api_offsets_for_leader_epoch_response *response)
{
    for (uint32_t i = 0; i < response->topic_count; i++)
        free(response->topics[i].partitions);
    free(response->topics);
    response->topics = NULL;
    response->topic_count = 0;
}
