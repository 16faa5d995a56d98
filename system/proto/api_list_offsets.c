/*
 * api_list_offsets.c: ListOffsets (key 2) request and response, v1-v10. Kafka:
 * ListOffsetsRequest.json, ListOffsetsResponse.json, ListOffsetsRequest.Builder (the
 * lowest version each question needs). Fields in wire order, labelled by version.
 */
#include "system/proto/api_list_offsets.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element at any version, to bound counts before allocating. */
#define LIST_OFFSETS_TOPIC_SIZE_MIN 3u
#define LIST_OFFSETS_PARTITION_SIZE_MIN 12u
#define LIST_OFFSETS_PARTITION_RESPONSE_SIZE_MIN 22u

static bool version_flexible(int16_t version)
{
    return version >= API_LIST_OFFSETS_FLEXIBLE_VERSION_FIRST;
}

static bool version_valid(int16_t version)
{
    return version >= API_LIST_OFFSETS_VERSION_MIN && version <= API_LIST_OFFSETS_VERSION_MAX;
}

void api_list_offsets_request_init(struct api_list_offsets_request *request)
{
    memset(request, 0, sizeof(*request));
    request->replica_id = -1;
}

/* ---- request ---- */

static void request_topic_decode(struct wire_reader *r, int16_t version,
                                 struct api_list_offsets_topic *t)
{
    bool flexible = version_flexible(version);
    t->name = wire_read_flex_string(r, flexible);
    int32_t n = wire_read_flex_array_count_max(r, flexible, LIST_OFFSETS_PARTITION_SIZE_MIN,
                                        API_LIST_OFFSETS_PARTITIONS_MAX);
    t->partitions = wire_array_alloc(n, sizeof(*t->partitions));
    t->partition_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++) {
        struct api_list_offsets_partition *p = &t->partitions[i];
        p->partition_index = wire_read_int32(r);
        p->current_leader_epoch = version >= 4 ? wire_read_int32(r) : -1;
        p->timestamp = wire_read_int64(r);
        if (flexible)
            wire_skip_tagged_fields(r);
    }
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err api_list_offsets_request_decode(int16_t version, const uint8_t *body,
                                            uint32_t size_bytes,
                                            struct api_list_offsets_request *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    api_list_offsets_request_init(out);
    if (!version_valid(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->replica_id = wire_read_int32(&r);
    if (version >= 2)
        out->isolation_level = wire_read_int8(&r);
    int32_t n = wire_read_flex_array_count_max(&r, flexible, LIST_OFFSETS_TOPIC_SIZE_MIN,
                                        API_LIST_OFFSETS_TOPICS_MAX);
    out->topics = wire_array_alloc(n, sizeof(*out->topics));
    out->topic_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r.err == KS_OK; i++)
        request_topic_decode(&r, version, &out->topics[i]);
    if (version >= 10)
        out->timeout_ms = wire_read_int32(&r);
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_list_offsets_request_free(out);
    return err;
}

/* The lowest version that can ask this question (ListOffsetsRequest.Builder). */
static int16_t request_version_needed(const struct api_list_offsets_request *request)
{
    int16_t needed = request->isolation_level != 0 ? 2 : API_LIST_OFFSETS_VERSION_MIN;
    for (uint32_t i = 0; i < request->topic_count; i++) {
        const struct api_list_offsets_topic *t = &request->topics[i];
        for (uint32_t j = 0; j < t->partition_count; j++) {
            int64_t ts = t->partitions[j].timestamp;
            int16_t v = ts == API_LIST_OFFSETS_MAX_TIMESTAMP              ? 7
                        : ts == API_LIST_OFFSETS_EARLIEST_LOCAL_TIMESTAMP ? 8
                        : ts == API_LIST_OFFSETS_LATEST_TIERED_TIMESTAMP  ? 9
                                                                          : 0;
            needed = v > needed ? v : needed;
        }
    }
    return needed;
}

void api_list_offsets_request_encode(struct wire_writer *w, int16_t version,
                                     const struct api_list_offsets_request *request)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_valid(version));
    KS_ASSERT(request->topic_count <= API_LIST_OFFSETS_TOPICS_MAX);
    if (version < request_version_needed(request)) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    wire_write_int32(w, request->replica_id);
    if (version >= 2)
        wire_write_int8(w, request->isolation_level);
    wire_write_flex_array_count(w, flexible, (int32_t)request->topic_count);
    for (uint32_t i = 0; i < request->topic_count; i++) {
        const struct api_list_offsets_topic *t = &request->topics[i];
        KS_ASSERT(t->partition_count <= API_LIST_OFFSETS_PARTITIONS_MAX);
        wire_write_flex_string(w, flexible, t->name);
        wire_write_flex_array_count(w, flexible, (int32_t)t->partition_count);
        for (uint32_t j = 0; j < t->partition_count; j++) {
            wire_write_int32(w, t->partitions[j].partition_index);
            if (version >= 4)
                wire_write_int32(w, t->partitions[j].current_leader_epoch);
            wire_write_int64(w, t->partitions[j].timestamp);
            if (flexible)
                wire_write_empty_tagged_fields(w);
        }
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    if (version >= 10)
        wire_write_int32(w, request->timeout_ms);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_list_offsets_request_free(struct api_list_offsets_request *request)
{
    for (uint32_t i = 0; i < request->topic_count; i++)
        free(request->topics[i].partitions);
    free(request->topics);
    request->topics = NULL;
    request->topic_count = 0;
}

/* ---- response ---- */

static void response_topic_decode(struct wire_reader *r, int16_t version,
                                  struct api_list_offsets_topic_response *t)
{
    bool flexible = version_flexible(version);
    t->name = wire_read_flex_string(r, flexible);
    int32_t n = wire_read_flex_array_count_max(r, flexible, LIST_OFFSETS_PARTITION_RESPONSE_SIZE_MIN,
                                        API_LIST_OFFSETS_PARTITIONS_MAX);
    t->partitions = wire_array_alloc(n, sizeof(*t->partitions));
    t->partition_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++) {
        struct api_list_offsets_partition_response *p = &t->partitions[i];
        p->partition_index = wire_read_int32(r);
        p->error_code = wire_read_int16(r);
        p->timestamp = wire_read_int64(r);
        p->offset = wire_read_int64(r);
        p->leader_epoch = version >= 4 ? wire_read_int32(r) : -1;
        if (flexible)
            wire_skip_tagged_fields(r);
    }
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err api_list_offsets_response_decode(int16_t version, const uint8_t *body,
                                             uint32_t size_bytes,
                                             struct api_list_offsets_response *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_valid(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    if (version >= 2)
        out->throttle_time_ms = wire_read_int32(&r);
    int32_t n = wire_read_flex_array_count_max(&r, flexible, LIST_OFFSETS_TOPIC_SIZE_MIN,
                                        API_LIST_OFFSETS_TOPICS_MAX);
    out->topics = wire_array_alloc(n, sizeof(*out->topics));
    out->topic_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r.err == KS_OK; i++)
        response_topic_decode(&r, version, &out->topics[i]);
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_list_offsets_response_free(out);
    return err;
}

static void response_topic_encode(struct wire_writer *w, int16_t version,
                                  const struct api_list_offsets_topic_response *t)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(t->partition_count <= API_LIST_OFFSETS_PARTITIONS_MAX);
    wire_write_flex_string(w, flexible, t->name);
    wire_write_flex_array_count(w, flexible, (int32_t)t->partition_count);
    for (uint32_t i = 0; i < t->partition_count; i++) {
        const struct api_list_offsets_partition_response *p = &t->partitions[i];
        wire_write_int32(w, p->partition_index);
        wire_write_int16(w, p->error_code);
        wire_write_int64(w, p->timestamp);
        wire_write_int64(w, p->offset);
        if (version >= 4)
            wire_write_int32(w, p->leader_epoch);
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_list_offsets_response_encode(struct wire_writer *w, int16_t version,
                                      const struct api_list_offsets_response *response)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_valid(version));
    KS_ASSERT(response->topic_count <= API_LIST_OFFSETS_TOPICS_MAX);
    if (version >= 2)
        wire_write_int32(w, response->throttle_time_ms);
    wire_write_flex_array_count(w, flexible, (int32_t)response->topic_count);
    for (uint32_t i = 0; i < response->topic_count; i++)
        response_topic_encode(w, version, &response->topics[i]);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_list_offsets_response_free(struct api_list_offsets_response *response)
{
    for (uint32_t i = 0; i < response->topic_count; i++)
        free(response->topics[i].partitions);
    free(response->topics);
    response->topics = NULL;
    response->topic_count = 0;
}
