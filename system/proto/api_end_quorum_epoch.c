/*
 * api_end_quorum_epoch.c: EndQuorumEpoch (key 54) request and response, v0 (classic
 * encoding). Kafka: EndQuorumEpochRequest.json, EndQuorumEpochResponse.json. Fields in
 * wire order.
 */
#include "system/proto/api_end_quorum_epoch.h"

#include <string.h>

#define EQE_TOPIC_SIZE_MIN 6u
#define EQE_REQUEST_PARTITION_SIZE_MIN 16u
#define EQE_RESPONSE_PARTITION_SIZE 14u
#define EQE_SUCCESSOR_SIZE 4u
#define EQE_TOPICS_MAX 1

static bool eqe_topic_begin(struct wire_reader *r, uint32_t partition_size_min,
                            struct wire_string *topic_name)
{
    int32_t topics = wire_read_array_count(r, EQE_TOPIC_SIZE_MIN);
    if (topics > EQE_TOPICS_MAX)
        wire_reader_fail(r, KS_ERR_TOO_MANY);
    if (topics != 1 || r->err != KS_OK)
        return false;
    *topic_name = wire_read_string(r);
    int32_t partitions = wire_read_array_count(r, partition_size_min);
    if (r->err == KS_OK && partitions != 1)
        wire_reader_fail(r, partitions > 1 ? KS_ERR_TOO_MANY : KS_ERR_INVALID);
    return r->err == KS_OK;
}

static void eqe_topic_write_begin(struct wire_writer *w, bool has_partition,
                                  struct wire_string topic_name)
{
    wire_write_array_count(w, has_partition ? 1 : 0);
    if (!has_partition)
        return;
    wire_write_string(w, topic_name);
    wire_write_array_count(w, 1);
}

static void request_successors_decode(struct wire_reader *r,
                                      struct api_end_quorum_epoch_request *out)
{
    int32_t count = wire_read_array_count(r, EQE_SUCCESSOR_SIZE);
    if (count > (int32_t)API_END_QUORUM_EPOCH_SUCCESSORS_MAX) {
        wire_reader_fail(r, KS_ERR_TOO_MANY);
        return;
    }
    for (int32_t i = 0; i < count && r->err == KS_OK; i++)
        out->preferred_successors[i] = wire_read_int32(r);
    out->preferred_successor_count = r->err == KS_OK ? (uint32_t)count : 0;
}

enum ks_err api_end_quorum_epoch_request_decode(int16_t version, const uint8_t *body,
                                                uint32_t size_bytes,
                                                struct api_end_quorum_epoch_request *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    if (version < API_END_QUORUM_EPOCH_VERSION_MIN || version > API_END_QUORUM_EPOCH_VERSION_MAX)
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->cluster_id = wire_read_nullable_string(&r);
    out->has_partition = eqe_topic_begin(&r, EQE_REQUEST_PARTITION_SIZE_MIN, &out->topic_name);
    if (out->has_partition) {
        out->partition_index = wire_read_int32(&r);
        out->leader_id = wire_read_int32(&r);
        out->leader_epoch = wire_read_int32(&r);
        request_successors_decode(&r, out);
    }
    return wire_reader_finish(&r);
}

void api_end_quorum_epoch_request_encode(struct wire_writer *w, int16_t version,
                                         const struct api_end_quorum_epoch_request *request)
{
    KS_ASSERT(version >= API_END_QUORUM_EPOCH_VERSION_MIN);
    KS_ASSERT(version <= API_END_QUORUM_EPOCH_VERSION_MAX);
    KS_ASSERT(request->preferred_successor_count <= API_END_QUORUM_EPOCH_SUCCESSORS_MAX);
    wire_write_nullable_string(w, request->cluster_id);
    eqe_topic_write_begin(w, request->has_partition, request->topic_name);
    if (!request->has_partition)
        return;
    wire_write_int32(w, request->partition_index);
    wire_write_int32(w, request->leader_id);
    wire_write_int32(w, request->leader_epoch);
    wire_write_array_count(w, (int32_t)request->preferred_successor_count);
    for (uint32_t i = 0; i < request->preferred_successor_count; i++)
        wire_write_int32(w, request->preferred_successors[i]);
}

enum ks_err api_end_quorum_epoch_response_decode(int16_t version, const uint8_t *body,
                                                 uint32_t size_bytes,
                                                 struct api_end_quorum_epoch_response *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    out->leader_id = -1;
    out->leader_epoch = -1;
    if (version < API_END_QUORUM_EPOCH_VERSION_MIN || version > API_END_QUORUM_EPOCH_VERSION_MAX)
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->error_code = wire_read_int16(&r);
    out->has_partition = eqe_topic_begin(&r, EQE_RESPONSE_PARTITION_SIZE, &out->topic_name);
    if (out->has_partition) {
        out->partition_index = wire_read_int32(&r);
        out->partition_error_code = wire_read_int16(&r);
        out->leader_id = wire_read_int32(&r);
        out->leader_epoch = wire_read_int32(&r);
    }
    return wire_reader_finish(&r);
}

void api_end_quorum_epoch_response_encode(struct wire_writer *w, int16_t version,
                                          const struct api_end_quorum_epoch_response *response)
{
    KS_ASSERT(version >= API_END_QUORUM_EPOCH_VERSION_MIN);
    KS_ASSERT(version <= API_END_QUORUM_EPOCH_VERSION_MAX);
    wire_write_int16(w, response->error_code);
    eqe_topic_write_begin(w, response->has_partition, response->topic_name);
    if (!response->has_partition)
        return;
    wire_write_int32(w, response->partition_index);
    wire_write_int16(w, response->partition_error_code);
    wire_write_int32(w, response->leader_id);
    wire_write_int32(w, response->leader_epoch);
}
