/*
 * api_begin_quorum_epoch.h: the BeginQuorumEpoch API (key 53), request and response,
 * version 0 (what Kafka 3.0-3.8 speak; not flexible). Kafka:
 * BeginQuorumEpochRequest.json, BeginQuorumEpochResponse.json (KIP-595). A new leader
 * sends it to every voter so that they learn the epoch and start fetching.
 *
 * As in api_vote.h, the one partition KRaft sends is held inline (has_partition);
 * more topics or partitions decode to KS_ERR_TOO_MANY. Decoders borrow their input.
 */
#ifndef KS_PROTO_API_BEGIN_QUORUM_EPOCH_H
#define KS_PROTO_API_BEGIN_QUORUM_EPOCH_H

#include "system/proto/wire.h"

#define API_BEGIN_QUORUM_EPOCH_VERSION_MIN 0
#define API_BEGIN_QUORUM_EPOCH_VERSION_MAX 0

struct api_begin_quorum_epoch_request {
    struct wire_string cluster_id; /* nullable; default null */
    bool has_partition;
    struct wire_string topic_name;
    int32_t partition_index;
    int32_t leader_id;
    int32_t leader_epoch;
};

struct api_begin_quorum_epoch_response {
    int16_t error_code; /* top level */
    bool has_partition;
    struct wire_string topic_name;
    int32_t partition_index;
    int16_t partition_error_code;
    int32_t leader_id;
    int32_t leader_epoch;
};

KS_MUST_CHECK enum ks_err
api_begin_quorum_epoch_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                      struct api_begin_quorum_epoch_request *out);
void api_begin_quorum_epoch_request_encode(struct wire_writer *w, int16_t version,
                                           const struct api_begin_quorum_epoch_request *request);
KS_MUST_CHECK enum ks_err
api_begin_quorum_epoch_response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                       struct api_begin_quorum_epoch_response *out);
void api_begin_quorum_epoch_response_encode(struct wire_writer *w, int16_t version,
                                            const struct api_begin_quorum_epoch_response *response);

#endif
