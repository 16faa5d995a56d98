/*
 * api_alter_partition.c: AlterPartition (key 56) request and response, v0-v3, all
 * flexible. Kafka: AlterPartitionRequest.json, AlterPartitionResponse.json. Fields in
 * wire order, labelled by version.
 */
#include "system/proto/api_alter_partition.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element at any version, to bound counts before allocating. */
#define ALTER_PARTITION_TOPIC_SIZE_MIN 3u
#define ALTER_PARTITION_PARTITION_SIZE_MIN 14u
#define ALTER_PARTITION_PARTITION_RESPONSE_SIZE_MIN 20u
#define ALTER_PARTITION_BROKER_ID_SIZE 4u
#define ALTER_PARTITION_BROKER_STATE_SIZE 13u

static bool version_valid(int16_t version)
{
    return version >= API_ALTER_PARTITION_VERSION_MIN && version <= API_ALTER_PARTITION_VERSION_MAX;
}

static void topic_key_read(struct wire_reader *r, int16_t version, struct wire_string *name,
                           struct wire_uuid *id)
{
    if (version >= API_ALTER_PARTITION_TOPIC_ID_VERSION_FIRST)
        *id = wire_read_uuid(r);
    else
        *name = wire_read_compact_string(r);
}

static void topic_key_write(struct wire_writer *w, int16_t version, struct wire_string name,
                            const struct wire_uuid *id)
{
    if (version >= API_ALTER_PARTITION_TOPIC_ID_VERSION_FIRST)
        wire_write_uuid(w, id);
    else
        wire_write_compact_string(w, name);
}

/* ---- request: decode ---- */

/* NewIsr ([]int32, v0-2) or NewIsrWithEpochs ([]BrokerState, v3+). */
static void new_isr_decode(struct wire_reader *r, int16_t version,
                           struct api_alter_partition_partition *p)
{
    bool epochs = version >= API_ALTER_PARTITION_BROKER_EPOCHS_VERSION_FIRST;
    int32_t n = wire_read_flex_array_count_max(
        r, true, epochs ? ALTER_PARTITION_BROKER_STATE_SIZE : ALTER_PARTITION_BROKER_ID_SIZE,
        API_ALTER_PARTITION_ISR_MAX);
    p->new_isr = wire_array_alloc(n, sizeof(*p->new_isr));
    p->new_isr_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++) {
        p->new_isr[i].broker_id = wire_read_int32(r);
        p->new_isr[i].broker_epoch = epochs ? wire_read_int64(r) : -1;
        if (epochs)
            wire_skip_tagged_fields(r);
    }
}

static void request_partition_decode(struct wire_reader *r, int16_t version,
                                     struct api_alter_partition_partition *p)
{
    p->partition_index = wire_read_int32(r);
    p->leader_epoch = wire_read_int32(r);
    new_isr_decode(r, version, p);
    p->leader_recovery_state = version >= 1 ? wire_read_int8(r) : API_ALTER_PARTITION_RECOVERED;
    p->partition_epoch = wire_read_int32(r);
    wire_skip_tagged_fields(r);
}

static void request_topic_decode(struct wire_reader *r, int16_t version,
                                 struct api_alter_partition_topic *t)
{
    topic_key_read(r, version, &t->topic_name, &t->topic_id);
    int32_t n = wire_read_flex_array_count_max(r, true, ALTER_PARTITION_PARTITION_SIZE_MIN,
                                               API_ALTER_PARTITION_PARTITIONS_MAX);
    t->partitions = wire_array_alloc(n, sizeof(*t->partitions));
    t->partition_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        request_partition_decode(r, version, &t->partitions[i]);
    wire_skip_tagged_fields(r);
}

enum ks_err api_alter_partition_request_decode(int16_t version, const uint8_t *body,
                                               uint32_t size_bytes,
                                               struct api_alter_partition_request *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    out->broker_epoch = -1;
    if (!version_valid(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->broker_id = wire_read_int32(&r);
    out->broker_epoch = wire_read_int64(&r);
    int32_t n = wire_read_flex_array_count_max(&r, true, ALTER_PARTITION_TOPIC_SIZE_MIN,
                                               API_ALTER_PARTITION_TOPICS_MAX);
    out->topics = wire_array_alloc(n, sizeof(*out->topics));
    out->topic_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r.err == KS_OK; i++)
        request_topic_decode(&r, version, &out->topics[i]);
    wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_alter_partition_request_free(out);
    return err;
}

/* ---- request: encode ---- */

/* Whether every partition's recovery state fits the version (v0 knows only RECOVERED). */
static bool request_fits_version(int16_t version, const struct api_alter_partition_request *req)
{
    for (uint32_t i = 0; i < req->topic_count && version < 1; i++) {
        for (uint32_t j = 0; j < req->topics[i].partition_count; j++) {
            if (req->topics[i].partitions[j].leader_recovery_state != API_ALTER_PARTITION_RECOVERED)
                return false;
        }
    }
    return true;
}

static void request_partition_encode(struct wire_writer *w, int16_t version,
                                     const struct api_alter_partition_partition *p)
{
    bool epochs = version >= API_ALTER_PARTITION_BROKER_EPOCHS_VERSION_FIRST;
    KS_ASSERT(p->new_isr_count <= API_ALTER_PARTITION_ISR_MAX);
    wire_write_int32(w, p->partition_index);
    wire_write_int32(w, p->leader_epoch);
    wire_write_compact_array_count(w, (int32_t)p->new_isr_count);
    for (uint32_t i = 0; i < p->new_isr_count; i++) {
        wire_write_int32(w, p->new_isr[i].broker_id);
        if (epochs) {
            wire_write_int64(w, p->new_isr[i].broker_epoch);
            wire_write_empty_tagged_fields(w);
        }
    }
    if (version >= 1)
        wire_write_int8(w, p->leader_recovery_state);
    wire_write_int32(w, p->partition_epoch);
    wire_write_empty_tagged_fields(w);
}

void api_alter_partition_request_encode(struct wire_writer *w, int16_t version,
                                        const struct api_alter_partition_request *request)
{
    KS_ASSERT(version_valid(version));
    KS_ASSERT(request->topic_count <= API_ALTER_PARTITION_TOPICS_MAX);
    if (!request_fits_version(version, request)) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    wire_write_int32(w, request->broker_id);
    wire_write_int64(w, request->broker_epoch);
    wire_write_compact_array_count(w, (int32_t)request->topic_count);
    for (uint32_t i = 0; i < request->topic_count; i++) {
        const struct api_alter_partition_topic *t = &request->topics[i];
        KS_ASSERT(t->partition_count <= API_ALTER_PARTITION_PARTITIONS_MAX);
        topic_key_write(w, version, t->topic_name, &t->topic_id);
        wire_write_compact_array_count(w, (int32_t)t->partition_count);
        for (uint32_t j = 0; j < t->partition_count; j++)
            request_partition_encode(w, version, &t->partitions[j]);
        wire_write_empty_tagged_fields(w);
    }
    wire_write_empty_tagged_fields(w);
}

void api_alter_partition_request_free(struct api_alter_partition_request *request)
{
    for (uint32_t i = 0; i < request->topic_count; i++) {
        struct api_alter_partition_topic *t = &request->topics[i];
        for (uint32_t j = 0; j < t->partition_count; j++)
            free(t->partitions[j].new_isr);
        free(t->partitions);
    }
    free(request->topics);
    request->topics = NULL;
    request->topic_count = 0;
}

/* ---- response ---- */

static void response_partition_decode(struct wire_reader *r, int16_t version,
                                      struct api_alter_partition_partition_response *p)
{
    p->partition_index = wire_read_int32(r);
    p->error_code = wire_read_int16(r);
    p->leader_id = wire_read_int32(r);
    p->leader_epoch = wire_read_int32(r);
    int32_t n = wire_read_flex_array_count_max(r, true, ALTER_PARTITION_BROKER_ID_SIZE,
                                               API_ALTER_PARTITION_ISR_MAX);
    p->isr = wire_array_alloc(n, sizeof(*p->isr));
    p->isr_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++)
        p->isr[i] = wire_read_int32(r);
    p->leader_recovery_state = version >= 1 ? wire_read_int8(r) : API_ALTER_PARTITION_RECOVERED;
    p->partition_epoch = wire_read_int32(r);
    wire_skip_tagged_fields(r);
}

static void response_topic_decode(struct wire_reader *r, int16_t version,
                                  struct api_alter_partition_topic_response *t)
{
    topic_key_read(r, version, &t->topic_name, &t->topic_id);
    int32_t n = wire_read_flex_array_count_max(r, true, ALTER_PARTITION_PARTITION_RESPONSE_SIZE_MIN,
                                               API_ALTER_PARTITION_PARTITIONS_MAX);
    t->partitions = wire_array_alloc(n, sizeof(*t->partitions));
    t->partition_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        response_partition_decode(r, version, &t->partitions[i]);
    wire_skip_tagged_fields(r);
}

enum ks_err api_alter_partition_response_decode(int16_t version, const uint8_t *body,
                                                uint32_t size_bytes,
                                                struct api_alter_partition_response *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    if (!version_valid(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->throttle_time_ms = wire_read_int32(&r);
    out->error_code = wire_read_int16(&r);
    int32_t n = wire_read_flex_array_count_max(&r, true, ALTER_PARTITION_TOPIC_SIZE_MIN,
                                               API_ALTER_PARTITION_TOPICS_MAX);
    out->topics = wire_array_alloc(n, sizeof(*out->topics));
    out->topic_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r.err == KS_OK; i++)
        response_topic_decode(&r, version, &out->topics[i]);
    wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_alter_partition_response_free(out);
    return err;
}

static bool response_fits_version(int16_t version, const struct api_alter_partition_response *resp)
{
    for (uint32_t i = 0; i < resp->topic_count && version < 1; i++) {
        for (uint32_t j = 0; j < resp->topics[i].partition_count; j++) {
            if (resp->topics[i].partitions[j].leader_recovery_state !=
                API_ALTER_PARTITION_RECOVERED)
                return false;
        }
    }
    return true;
}

static void response_partition_encode(struct wire_writer *w, int16_t version,
                                      const struct api_alter_partition_partition_response *p)
{
    KS_ASSERT(p->isr_count <= API_ALTER_PARTITION_ISR_MAX);
    wire_write_int32(w, p->partition_index);
    wire_write_int16(w, p->error_code);
    wire_write_int32(w, p->leader_id);
    wire_write_int32(w, p->leader_epoch);
    wire_write_compact_array_count(w, (int32_t)p->isr_count);
    for (uint32_t i = 0; i < p->isr_count; i++)
        wire_write_int32(w, p->isr[i]);
    if (version >= 1)
        wire_write_int8(w, p->leader_recovery_state);
    wire_write_int32(w, p->partition_epoch);
    wire_write_empty_tagged_fields(w);
}

void api_alter_partition_response_encode(struct wire_writer *w, int16_t version,
                                         const struct api_alter_partition_response *response)
{
    KS_ASSERT(version_valid(version));
    KS_ASSERT(response->topic_count <= API_ALTER_PARTITION_TOPICS_MAX);
    if (!response_fits_version(version, response)) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    wire_write_int32(w, response->throttle_time_ms);
    wire_write_int16(w, response->error_code);
    wire_write_compact_array_count(w, (int32_t)response->topic_count);
    for (uint32_t i = 0; i < response->topic_count; i++) {
        const struct api_alter_partition_topic_response *t = &response->topics[i];
        KS_ASSERT(t->partition_count <= API_ALTER_PARTITION_PARTITIONS_MAX);
        topic_key_write(w, version, t->topic_name, &t->topic_id);
        wire_write_compact_array_count(w, (int32_t)t->partition_count);
        for (uint32_t j = 0; j < t->partition_count; j++)
            response_partition_encode(w, version, &t->partitions[j]);
        wire_write_empty_tagged_fields(w);
    }
    wire_write_empty_tagged_fields(w);
}

void api_alter_partition_response_free(struct api_alter_partition_response *response)
{
    for (uint32_t i = 0; i < response->topic_count; i++) {
        struct api_alter_partition_topic_response *t = &response->topics[i];
        for (uint32_t j = 0; j < t->partition_count; j++)
            free(t->partitions[j].isr);
        free(t->partitions);
    }
    free(response->topics);
    response->topics = NULL;
    response->topic_count = 0;
}
