/*
 * api_begin_quorum_epoch.c: BeginQuorumEpoch (key 53) request and response, v0
 * (classic encoding). Kafka: BeginQuorumEpochRequest.json,
 * BeginQuorumEpochResponse.json. Fields in wire order.
 */
#include "system/proto/api_begin_quorum_epoch.h"

#include <string.h>

#define BQE_TOPIC_SIZE_MIN 6u
#define BQE_REQUEST_PARTITION_SIZE 12u
#define BQE_RESPONSE_PARTITION_SIZE 14u
#define BQE_TOPICS_MAX 1

/* Reads the topics array's head; returns whether one partition follows. */
static bool bqe_topic_begin(struct wire_reader *r, uint32_t partition_size_min,
                            struct wire_string *topic_name)
{
    int32_t topics = wire_read_array_count(r, BQE_TOPIC_SIZE_MIN);
    if (topics > BQE_TOPICS_MAX)
        wire_reader_fail(r, KS_ERR_TOO_MANY);
    if (topics != 1 || r->err != KS_OK)
        return false;
    *topic_name = wire_read_string(r);
    int32_t partitions = wire_read_array_count(r, partition_size_min);
    if (r->err == KS_OK && partitions != 1)
        wire_reader_fail(r, partitions > 1 ? KS_ERR_TOO_MANY : KS_ERR_INVALID);
    return r->err == KS_OK;
}

static void bqe_topic_write_begin(struct wire_writer *w, bool has_partition,
                                  struct wire_string topic_name)
{
    wire_write_array_count(w, has_partition ? 1 : 0);
    if (!has_partition)
        return;
    wire_write_string(w, topic_name);
    wire_write_array_count(w, 1);
}

enum ks_err api_begin_quorum_epoch_request_decode(int16_t version, const uint8_t *body,
                                                  uint32_t size_bytes,
                                                  struct api_begin_quorum_epoch_request *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    if (version < API_BEGIN_QUORUM_EPOCH_VERSION_MIN ||
        version > API_BEGIN_QUORUM_EPOCH_VERSION_MAX)
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->cluster_id = wire_read_nullable_string(&r);
    out->has_partition = bqe_topic_begin(&r, BQE_REQUEST_PARTITION_SIZE, &out->topic_name);
    if (out->has_partition) {
        out->partition_index = wire_read_int32(&r);
        out->leader_id = wire_read_int32(&r);
        out->leader_epoch = wire_read_int32(&r);
    }
    return wire_reader_finish(&r);
}

void api_begin_quorum_epoch_request_encode(struct wire_writer *w, int16_t version,
                                           const struct api_begin_quorum_epoch_request *request)
{
    KS_ASSERT(version >= API_BEGIN_QUORUM_EPOCH_VERSION_MIN);
    KS_ASSERT(version <= API_BEGIN_QUORUM_EPOCH_VERSION_MAX);
    wire_write_nullable_string(w, request->cluster_id);
    bqe_topic_write_begin(w, request->has_partition, request->topic_name);
    if (!request->has_partition)
        return;
    wire_write_int32(w, request->partition_index);
    wire_write_int32(w, request->leader_id);
    wire_write_int32(w, request->leader_epoch);
}

enum ks_err api_begin_quorum_epoch_response_decode(int16_t version, const uint8_t *body,
                                                   uint32_t size_bytes,
                                                   struct api_begin_quorum_epoch_response *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    out->leader_id = -1;
    out->leader_epoch = -1;
    if (version < API_BEGIN_QUORUM_EPOCH_VERSION_MIN ||
        version > API_BEGIN_QUORUM_EPOCH_VERSION_MAX)
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->error_code = wire_read_int16(&r);
    out->has_partition = bqe_topic_begin(&r, BQE_RESPONSE_PARTITION_SIZE, &out->topic_name);
    if (out->has_partition) {
        out->partition_index = wire_read_int32(&r);
        out->partition_error_code = wire_read_int16(&r);
        out->leader_id = wire_read_int32(&r);
        out->leader_epoch = wire_read_int32(&r);
    }
    return wire_reader_finish(&r);
}

void api_begin_quorum_epoch_response_encode(struct wire_writer *w, int16_t version,
                                            const struct api_begin_quorum_epoch_response *response)
{
    KS_ASSERT(version >= API_BEGIN_QUORUM_EPOCH_VERSION_MIN);
    KS_ASSERT(version <= API_BEGIN_QUORUM_EPOCH_VERSION_MAX);
    wire_write_int16(w, response->error_code);
    bqe_topic_write_begin(w, response->has_partition, response->topic_name);
    if (!response->has_partition)
        return;
    wire_write_int32(w, response->partition_index);
    wire_write_int16(w, response->partition_error_code);
    wire_write_int32(w, response->leader_id);
    wire_write_int32(w, response->leader_epoch);
}
