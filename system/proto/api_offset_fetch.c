/*
 * api_offset_fetch.c: OffsetFetch (key 9) request and response, v0-v9. Kafka:
 * OffsetFetchRequest.json, OffsetFetchResponse.json. Fields in wire order, each
 * labelled with the versions that carry it. Below v8 the one group's fields sit at the
 * top level; the topic and partition structs are the same in both shapes.
 */
#include "system/proto/api_offset_fetch.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element, to bound counts before allocating. */
#define OFFSET_FETCH_GROUP_SIZE_MIN 2u
#define OFFSET_FETCH_TOPIC_SIZE_MIN 2u
#define OFFSET_FETCH_PARTITION_INDEX_SIZE 4u
#define OFFSET_FETCH_RESPONSE_PARTITION_SIZE_MIN 15u

static bool version_flexible(int16_t version)
{
    return version >= API_OFFSET_FETCH_FLEXIBLE_VERSION_FIRST;
}

static bool version_batched(int16_t version)
{
    return version >= API_OFFSET_FETCH_BATCH_VERSION_FIRST;
}

static bool version_known(int16_t version)
{
    return version >= API_OFFSET_FETCH_VERSION_MIN && version <= API_OFFSET_FETCH_VERSION_MAX;
}

/* ---- request ---- */

static void request_topic_decode(struct wire_reader *r, bool flexible,
                                 struct api_offset_fetch_request_topic *t)
{
    t->name = wire_read_flex_string(r, flexible);
    int32_t n = wire_read_flex_array_count(r, flexible, OFFSET_FETCH_PARTITION_INDEX_SIZE);
    t->partition_indexes = wire_array_alloc(n, sizeof(*t->partition_indexes));
    t->partition_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++)
        t->partition_indexes[i] = wire_read_int32(r);
    if (flexible)
        wire_skip_tagged_fields(r);
}

/* Topics: nullable from v2 (null = all topics). */
static void request_topics_decode(struct wire_reader *r, int16_t version,
                                  struct api_offset_fetch_request_group *g)
{
    bool flexible = version_flexible(version);
    int32_t n = version >= 2
                    ? wire_read_flex_nullable_array_count(r, flexible, OFFSET_FETCH_TOPIC_SIZE_MIN)
                    : wire_read_array_count(r, OFFSET_FETCH_TOPIC_SIZE_MIN);
    g->topic_count = n;
    g->topics = wire_array_alloc(n < 0 ? 0 : n, sizeof(*g->topics));
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        request_topic_decode(r, flexible, &g->topics[i]);
}

static void request_group_decode(struct wire_reader *r, int16_t version,
                                 struct api_offset_fetch_request_group *g)
{
    g->group_id = wire_read_compact_string(r); /* v8+ */
    g->member_id = version >= 9 ? wire_read_compact_nullable_string(r) : wire_string_null();
    g->member_epoch = version >= 9 ? wire_read_int32(r) : -1; /* v9+ */
    request_topics_decode(r, version, g);
    wire_skip_tagged_fields(r);
}

static void request_decode_body(struct wire_reader *r, int16_t version,
                                struct api_offset_fetch_request *out)
{
    bool flexible = version_flexible(version);
    if (!version_batched(version)) {
        out->groups = wire_array_alloc(1, sizeof(*out->groups));
        out->group_count = 1;
        out->groups[0].group_id = wire_read_flex_string(r, flexible); /* GroupId v0-7 */
        out->groups[0].member_id = wire_string_null();
        out->groups[0].member_epoch = -1;
        request_topics_decode(r, version, &out->groups[0]); /* Topics v0-7 */
    } else {
        int32_t n = wire_read_compact_array_count(r, OFFSET_FETCH_GROUP_SIZE_MIN);
        out->groups = wire_array_alloc(n, sizeof(*out->groups));
        out->group_count = (uint32_t)n;
        for (int32_t i = 0; i < n && r->err == KS_OK; i++)
            request_group_decode(r, version, &out->groups[i]); /* Groups v8+ */
    }
    out->require_stable = version >= 7 ? wire_read_bool(r) : false; /* v7+ */
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err api_offset_fetch_request_decode(int16_t version, const uint8_t *body,
                                            uint32_t size_bytes,
                                            struct api_offset_fetch_request *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    request_decode_body(&r, version, out);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_offset_fetch_request_free(out);
    return err;
}

static bool request_fits_version(int16_t version, const struct api_offset_fetch_request *request)
{
    if (version < 7 && request->require_stable)
        return false;
    if (version_batched(version))
        return true;
    return request->group_count == 1 && (version >= 2 || request->groups[0].topic_count >= 0);
}

static void request_topics_encode(struct wire_writer *w, int16_t version,
                                  const struct api_offset_fetch_request_group *g)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(g->topic_count >= -1);
    wire_write_flex_nullable_array_count(w, flexible, g->topic_count);
    for (int32_t i = 0; i < g->topic_count; i++) {
        const struct api_offset_fetch_request_topic *t = &g->topics[i];
        wire_write_flex_string(w, flexible, t->name);
        wire_write_flex_array_count(w, flexible, (int32_t)t->partition_count);
        for (uint32_t j = 0; j < t->partition_count; j++)
            wire_write_int32(w, t->partition_indexes[j]);
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
}

void api_offset_fetch_request_encode(struct wire_writer *w, int16_t version,
                                     const struct api_offset_fetch_request *request)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(request->group_count <= WIRE_ARRAY_COUNT_MAX);
    if (!request_fits_version(version, request)) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    if (!version_batched(version)) {
        wire_write_flex_string(w, flexible, request->groups[0].group_id);
        request_topics_encode(w, version, &request->groups[0]);
    } else {
        wire_write_compact_array_count(w, (int32_t)request->group_count);
        for (uint32_t i = 0; i < request->group_count; i++) {
            const struct api_offset_fetch_request_group *g = &request->groups[i];
            wire_write_compact_string(w, g->group_id);
            if (version >= 9) {
                wire_write_compact_nullable_string(w, g->member_id);
                wire_write_int32(w, g->member_epoch);
            }
            request_topics_encode(w, version, g);
            wire_write_empty_tagged_fields(w);
        }
    }
    if (version >= 7)
        wire_write_bool(w, request->require_stable);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_offset_fetch_request_free(struct api_offset_fetch_request *request)
{
    for (uint32_t i = 0; i < request->group_count; i++) {
        struct api_offset_fetch_request_group *g = &request->groups[i];
        for (int32_t j = 0; j < g->topic_count; j++)
            free(g->topics[j].partition_indexes);
        free(g->topics);
    }
    free(request->groups);
    request->groups = NULL;
    request->group_count = 0;
}

/* ---- response: decode ---- */

static void response_partition_decode(struct wire_reader *r, int16_t version,
                                      struct api_offset_fetch_response_partition *p)
{
    bool flexible = version_flexible(version);
    p->partition_index = wire_read_int32(r);
    p->committed_offset = wire_read_int64(r);
    p->committed_leader_epoch = version >= 5 ? wire_read_int32(r) : -1; /* v5+ */
    p->metadata = wire_read_flex_nullable_string(r, flexible);
    p->error_code = wire_read_int16(r);
    if (flexible)
        wire_skip_tagged_fields(r);
}

static void response_topics_decode(struct wire_reader *r, int16_t version,
                                   struct api_offset_fetch_response_group *g)
{
    bool flexible = version_flexible(version);
    int32_t n = wire_read_flex_array_count(r, flexible, OFFSET_FETCH_TOPIC_SIZE_MIN);
    g->topics = wire_array_alloc(n, sizeof(*g->topics));
    g->topic_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++) {
        struct api_offset_fetch_response_topic *t = &g->topics[i];
        t->name = wire_read_flex_string(r, flexible);
        int32_t m =
            wire_read_flex_array_count(r, flexible, OFFSET_FETCH_RESPONSE_PARTITION_SIZE_MIN);
        t->partitions = wire_array_alloc(m, sizeof(*t->partitions));
        t->partition_count = (uint32_t)m;
        for (int32_t j = 0; j < m && r->err == KS_OK; j++)
            response_partition_decode(r, version, &t->partitions[j]);
        if (flexible)
            wire_skip_tagged_fields(r);
    }
}

static void response_decode_body(struct wire_reader *r, int16_t version,
                                 struct api_offset_fetch_response *out)
{
    out->throttle_time_ms = version >= 3 ? wire_read_int32(r) : 0; /* v3+ */
    if (!version_batched(version)) {
        out->groups = wire_array_alloc(1, sizeof(*out->groups));
        out->group_count = 1;
        out->groups[0].group_id = wire_string_from("");
        response_topics_decode(r, version, &out->groups[0]);               /* Topics v0-7 */
        out->groups[0].error_code = version >= 2 ? wire_read_int16(r) : 0; /* ErrorCode v2-7 */
    } else {
        int32_t n = wire_read_compact_array_count(r, OFFSET_FETCH_GROUP_SIZE_MIN);
        out->groups = wire_array_alloc(n, sizeof(*out->groups));
        out->group_count = (uint32_t)n;
        for (int32_t i = 0; i < n && r->err == KS_OK; i++) { /* Groups v8+ */
            out->groups[i].group_id = wire_read_compact_string(r);
            response_topics_decode(r, version, &out->groups[i]);
            out->groups[i].error_code = wire_read_int16(r);
            wire_skip_tagged_fields(r);
        }
    }
    if (version_flexible(version))
        wire_skip_tagged_fields(r);
}

enum ks_err api_offset_fetch_response_decode(int16_t version, const uint8_t *body,
                                             uint32_t size_bytes,
                                             struct api_offset_fetch_response *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    response_decode_body(&r, version, out);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_offset_fetch_response_free(out);
    return err;
}

/* ---- response: encode ---- */

static void response_partition_encode(struct wire_writer *w, int16_t version,
                                      const struct api_offset_fetch_response_partition *p)
{
    bool flexible = version_flexible(version);
    wire_write_int32(w, p->partition_index);
    wire_write_int64(w, p->committed_offset);
    if (version >= 5)
        wire_write_int32(w, p->committed_leader_epoch);
    wire_write_flex_nullable_string(w, flexible, p->metadata);
    wire_write_int16(w, p->error_code);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

static void response_topics_encode(struct wire_writer *w, int16_t version,
                                   const struct api_offset_fetch_response_group *g)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(g->topic_count <= WIRE_ARRAY_COUNT_MAX);
    wire_write_flex_array_count(w, flexible, (int32_t)g->topic_count);
    for (uint32_t i = 0; i < g->topic_count; i++) {
        const struct api_offset_fetch_response_topic *t = &g->topics[i];
        wire_write_flex_string(w, flexible, t->name);
        wire_write_flex_array_count(w, flexible, (int32_t)t->partition_count);
        for (uint32_t j = 0; j < t->partition_count; j++)
            response_partition_encode(w, version, &t->partitions[j]);
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
}

void api_offset_fetch_response_encode(struct wire_writer *w, int16_t version,
                                      const struct api_offset_fetch_response *response)
{
    KS_ASSERT(version_known(version));
    KS_ASSERT(response->group_count <= WIRE_ARRAY_COUNT_MAX);
    if (!version_batched(version) && response->group_count != 1) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    if (version >= 3)
        wire_write_int32(w, response->throttle_time_ms);
    if (!version_batched(version)) {
        response_topics_encode(w, version, &response->groups[0]);
        if (version >= 2)
            wire_write_int16(w, response->groups[0].error_code);
    } else {
        wire_write_compact_array_count(w, (int32_t)response->group_count);
        for (uint32_t i = 0; i < response->group_count; i++) {
            wire_write_compact_string(w, response->groups[i].group_id);
            response_topics_encode(w, version, &response->groups[i]);
            wire_write_int16(w, response->groups[i].error_code);
            wire_write_empty_tagged_fields(w);
        }
    }
    if (version_flexible(version))
        wire_write_empty_tagged_fields(w);
}

void api_offset_fetch_response_free(struct api_offset_fetch_response *response)
{
    for (uint32_t i = 0; i < response->group_count; i++) {
        struct api_offset_fetch_response_group *g = &response->groups[i];
        for (uint32_t j = 0; j < g->topic_count; j++)
            free(g->topics[j].partitions);
        free(g->topics);
    }
    free(response->groups);
    response->groups = NULL;
    response->group_count = 0;
}
