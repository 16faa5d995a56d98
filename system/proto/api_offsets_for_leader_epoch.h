/*
 * api_offsets_for_leader_epoch.h: the OffsetForLeaderEpoch API (key 23), request and
 * response, versions 0-4, flexible from 4. Kafka: OffsetForLeaderEpochRequest.json,
 * OffsetForLeaderEpochResponse.json (KIP-101 epoch end offsets, KIP-279 v1 LeaderEpoch
 * in the response, KIP-320 v2 CurrentLeaderEpoch for fencing, v3 ReplicaId, v4
 * flexible).
 *
 * A follower (or a consumer, KIP-320) asks, per partition, for the end offset of
 * LeaderEpoch in the leader's log: where to truncate to. Decoders borrow their input
 * (topic names point into it) and allocate the arrays; free a decoded result with the
 * matching _free(). Encoders leave out fields a version lacks, as Kafka does.
 */
#ifndef KS_PROTO_API_OFFSETS_FOR_LEADER_EPOCH_H
#define KS_PROTO_API_OFFSETS_FOR_LEADER_EPOCH_H

#include "system/proto/wire.h"

#define API_OFFSETS_FOR_LEADER_EPOCH_VERSION_MIN 0
#define API_OFFSETS_FOR_LEADER_EPOCH_VERSION_MAX 4
#define API_OFFSETS_FOR_LEADER_EPOCH_FLEXIBLE_VERSION_FIRST 4
/* ReplicaId's default before v3 and when unset: a debugging client, not a replica. */
#define API_OFFSETS_FOR_LEADER_EPOCH_DEBUGGING_REPLICA_ID (-2)
/* ReplicaId of a consumer. */
#define API_OFFSETS_FOR_LEADER_EPOCH_CONSUMER_REPLICA_ID (-1)

/* Limits on what one request or response may hold; more decodes to KS_ERR_TOO_MANY. */
#define API_OFFSETS_FOR_LEADER_EPOCH_TOPICS_MAX 4096u
#define API_OFFSETS_FOR_LEADER_EPOCH_PARTITIONS_MAX 65536u /* per topic */

struct api_offsets_for_leader_epoch_partition {
    int32_t partition;
    int32_t current_leader_epoch; /* v2+; default -1 (no fencing) */
    int32_t leader_epoch;         /* the epoch whose end offset is asked for */
};

struct api_offsets_for_leader_epoch_topic {
    struct wire_string topic;
    uint32_t partition_count;
    struct api_offsets_for_leader_epoch_partition *partitions;
};

struct api_offsets_for_leader_epoch_request {
    int32_t replica_id; /* v3+; default -2 */
    uint32_t topic_count;
    struct api_offsets_for_leader_epoch_topic *topics;
};

struct api_offsets_for_leader_epoch_end_offset {
    int16_t error_code;
    int32_t partition;
    int32_t leader_epoch; /* v1+; default -1 */
    int64_t end_offset;   /* default -1 */
};

struct api_offsets_for_leader_epoch_topic_result {
    struct wire_string topic;
    uint32_t partition_count;
    struct api_offsets_for_leader_epoch_end_offset *partitions;
};

struct api_offsets_for_leader_epoch_response {
    int32_t throttle_time_ms; /* v2+ */
    uint32_t topic_count;
    struct api_offsets_for_leader_epoch_topic_result *topics;
};

/* Decodes a request body (after the header). Borrows body; free *out when done. */
KS_MUST_CHECK enum ks_err
api_offsets_for_leader_epoch_request_decode(int16_t version, const uint8_t *body,
                                            uint32_t size_bytes,
                                            struct api_offsets_for_leader_epoch_request *out);
void api_offsets_for_leader_epoch_request_encode(
    struct wire_writer *w, int16_t version,
    const struct api_offsets_for_leader_epoch_request *request);
void api_offsets_for_leader_epoch_request_free(
    struct api_offsets_for_leader_epoch_request *request);

KS_MUST_CHECK enum ks_err
api_offsets_for_leader_epoch_response_decode(int16_t version, const uint8_t *body,
                                             uint32_t size_bytes,
                                             struct api_offsets_for_leader_epoch_response *out);
void api_offsets_for_leader_epoch_response_encode(
    struct wire_writer *w, int16_t version,
    const struct api_offsets_for_leader_epoch_response *response);
void api_offsets_for_leader_epoch_response_free(
    struct api_offsets_for_leader_epoch_response *response);

#endif
