/*
 * api_offset_commit.c: OffsetCommit (key 8) request and response, v0-v9. Kafka:
 * OffsetCommitRequest.json, OffsetCommitResponse.json. Fields in wire order, each
 * labelled with the versions that carry it.
 */
#include "system/proto/api_offset_commit.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element, to bound counts before allocating. */
#define OFFSET_COMMIT_TOPIC_SIZE_MIN 2u
#define OFFSET_COMMIT_REQUEST_PARTITION_SIZE_MIN 13u
#define OFFSET_COMMIT_RESPONSE_PARTITION_SIZE_MIN 6u

static bool version_flexible(int16_t version)
{
    return version >= API_OFFSET_COMMIT_FLEXIBLE_VERSION_FIRST;
}

static bool version_known(int16_t version)
{
    return version >= API_OFFSET_COMMIT_VERSION_MIN && version <= API_OFFSET_COMMIT_VERSION_MAX;
}

/* ---- request ---- */

static void request_partition_decode(struct wire_reader *r, int16_t version,
                                     struct api_offset_commit_request_partition *p)
{
    bool flexible = version_flexible(version);
    p->partition_index = wire_read_int32(r);                            /* PartitionIndex */
    p->committed_offset = wire_read_int64(r);                           /* CommittedOffset */
    p->committed_leader_epoch = version >= 6 ? wire_read_int32(r) : -1; /* v6+ */
    p->commit_timestamp = version == 1 ? wire_read_int64(r) : -1;       /* v1 */
    p->committed_metadata = wire_read_flex_nullable_string(r, flexible);
    if (flexible)
        wire_skip_tagged_fields(r);
}

static void request_topic_decode(struct wire_reader *r, int16_t version,
                                 struct api_offset_commit_request_topic *t)
{
    bool flexible = version_flexible(version);
    t->name = wire_read_flex_string(r, flexible);
    int32_t n = wire_read_flex_array_count(r, flexible, OFFSET_COMMIT_REQUEST_PARTITION_SIZE_MIN);
    t->partitions = wire_array_alloc(n, sizeof(*t->partitions));
    t->partition_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        request_partition_decode(r, version, &t->partitions[i]);
    if (flexible)
        wire_skip_tagged_fields(r);
}

static void request_decode_body(struct wire_reader *r, int16_t version,
                                struct api_offset_commit_request *out)
{
    bool flexible = version_flexible(version);
    out->group_id = wire_read_flex_string(r, flexible);                          /* GroupId */
    out->generation_id_or_member_epoch = version >= 1 ? wire_read_int32(r) : -1; /* v1+ */
    out->member_id =
        version >= 1 ? wire_read_flex_string(r, flexible) : wire_string_from(""); /* v1+ */
    out->group_instance_id =
        version >= 7 ? wire_read_flex_nullable_string(r, flexible) : wire_string_null(); /* v7+ */
    out->retention_time_ms = version >= 2 && version <= 4 ? wire_read_int64(r) : -1;     /* v2-4 */
    int32_t n = wire_read_flex_array_count(r, flexible, OFFSET_COMMIT_TOPIC_SIZE_MIN);
    out->topics = wire_array_alloc(n, sizeof(*out->topics));
    out->topic_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        request_topic_decode(r, version, &out->topics[i]); /* Topics */
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err api_offset_commit_request_decode(int16_t version, const uint8_t *body,
                                             uint32_t size_bytes,
                                             struct api_offset_commit_request *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    request_decode_body(&r, version, out);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_offset_commit_request_free(out);
    return err;
}

/* Whether the request holds only what the version can carry. */
static bool request_fits_version(int16_t version, const struct api_offset_commit_request *request)
{
    if (version < 7 && !wire_string_is_null(request->group_instance_id))
        return false;
    for (uint32_t i = 0; i < request->topic_count; i++) {
        const struct api_offset_commit_request_topic *t = &request->topics[i];
        for (uint32_t j = 0; j < t->partition_count && version != 1; j++) {
            if (t->partitions[j].commit_timestamp != -1)
                return false;
        }
    }
    return true;
}

static void request_partition_encode(struct wire_writer *w, int16_t version,
                                     const struct api_offset_commit_request_partition *p)
{
    bool flexible = version_flexible(version);
    wire_write_int32(w, p->partition_index);
    wire_write_int64(w, p->committed_offset);
    if (version >= 6)
        wire_write_int32(w, p->committed_leader_epoch);
    if (version == 1)
        wire_write_int64(w, p->commit_timestamp);
    wire_write_flex_nullable_string(w, flexible, p->committed_metadata);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_offset_commit_request_encode(struct wire_writer *w, int16_t version,
                                      const struct api_offset_commit_request *request)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(request->topic_count <= WIRE_ARRAY_COUNT_MAX);
    if (!request_fits_version(version, request)) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    wire_write_flex_string(w, flexible, request->group_id);
    if (version >= 1) {
        wire_write_int32(w, request->generation_id_or_member_epoch);
        wire_write_flex_string(w, flexible, request->member_id);
    }
    if (version >= 7)
        wire_write_flex_nullable_string(w, flexible, request->group_instance_id);
    if (version >= 2 && version <= 4)
        wire_write_int64(w, request->retention_time_ms);
    wire_write_flex_array_count(w, flexible, (int32_t)request->topic_count);
    for (uint32_t i = 0; i < request->topic_count; i++) {
        const struct api_offset_commit_request_topic *t = &request->topics[i];
        wire_write_flex_string(w, flexible, t->name);
        wire_write_flex_array_count(w, flexible, (int32_t)t->partition_count);
        for (uint32_t j = 0; j < t->partition_count; j++)
            request_partition_encode(w, version, &t->partitions[j]);
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_offset_commit_request_free(struct api_offset_commit_request *request)
{
    for (uint32_t i = 0; i < request->topic_count; i++)
        free(request->topics[i].partitions);
    free(request->topics);
    request->topics = NULL;
    request->topic_count = 0;
}

/* ---- response ---- */

static void response_topic_decode(struct wire_reader *r, bool flexible,
                                  struct api_offset_commit_response_topic *t)
{
    t->name = wire_read_flex_string(r, flexible);
    int32_t n = wire_read_flex_array_count(r, flexible, OFFSET_COMMIT_RESPONSE_PARTITION_SIZE_MIN);
    t->partitions = wire_array_alloc(n, sizeof(*t->partitions));
    t->partition_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++) {
        t->partitions[i].partition_index = wire_read_int32(r);
        t->partitions[i].error_code = wire_read_int16(r);
        if (flexible)
            wire_skip_tagged_fields(r);
    }
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err api_offset_commit_response_decode(int16_t version, const uint8_t *body,
                                              uint32_t size_bytes,
                                              struct api_offset_commit_response *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->throttle_time_ms = version >= 3 ? wire_read_int32(&r) : 0; /* v3+ */
    int32_t n = wire_read_flex_array_count(&r, flexible, OFFSET_COMMIT_TOPIC_SIZE_MIN);
    out->topics = wire_array_alloc(n, sizeof(*out->topics));
    out->topic_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r.err == KS_OK; i++)
        response_topic_decode(&r, flexible, &out->topics[i]); /* Topics */
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_offset_commit_response_free(out);
    return err;
}

void api_offset_commit_response_encode(struct wire_writer *w, int16_t version,
                                       const struct api_offset_commit_response *response)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(response->topic_count <= WIRE_ARRAY_COUNT_MAX);
    if (version >= 3)
        wire_write_int32(w, response->throttle_time_ms);
    wire_write_flex_array_count(w, flexible, (int32_t)response->topic_count);
    for (uint32_t i = 0; i < response->topic_count; i++) {
        const struct api_offset_commit_response_topic *t = &response->topics[i];
        wire_write_flex_string(w, flexible, t->name);
        wire_write_flex_array_count(w, flexible, (int32_t)t->partition_count);
        for (uint32_t j = 0; j < t->partition_count; j++) {
            wire_write_int32(w, t->partitions[j].partition_index);
            wire_write_int16(w, t->partitions[j].error_code);
            if (flexible)
                wire_write_empty_tagged_fields(w);
        }
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_offset_commit_response_free(struct api_offset_commit_response *response)
{
    for (uint32_t i = 0; i < response->topic_count; i++)
        free(response->topics[i].partitions);
    free(response->topics);
    response->topics = NULL;
    response->topic_count = 0;
}
