/*
 * api_end_quorum_epoch.h: the EndQuorumEpoch API (key 54), request and response,
 * version 0 (Kafka 3.0-3.8; not flexible). Kafka: EndQuorumEpochRequest.json,
 * EndQuorumEpochResponse.json (KIP-595). A leader that resigns gracefully sends it,
 * listing its preferred successors (voters sorted by log end offset, best first).
 *
 * One partition inline (has_partition), as in api_vote.h. Decoders borrow their input
 * and allocate nothing: at most API_END_QUORUM_EPOCH_SUCCESSORS_MAX successors.
 */
#ifndef KS_PROTO_API_END_QUORUM_EPOCH_H
#define KS_PROTO_API_END_QUORUM_EPOCH_H

#include "system/proto/wire.h"

#define API_END_QUORUM_EPOCH_VERSION_MIN 0
#define API_END_QUORUM_EPOCH_VERSION_MAX 0
/* Most preferred successors one request carries (a quorum has few voters). */
#define API_END_QUORUM_EPOCH_SUCCESSORS_MAX 16u

struct api_end_quorum_epoch_request {
    struct wire_string cluster_id; /* nullable; default null */
    bool has_partition;
    struct wire_string topic_name;
    int32_t partition_index;
    int32_t leader_id;
    int32_t leader_epoch;
    uint32_t preferred_successor_count;
    int32_t preferred_successors[API_END_QUORUM_EPOCH_SUCCESSORS_MAX];
};

/* The response has BeginQuorumEpoch's shape. */
struct api_end_quorum_epoch_response {
    int16_t error_code;
    bool has_partition;
    struct wire_string topic_name;
    int32_t partition_index;
    int16_t partition_error_code;
    int32_t leader_id;
    int32_t leader_epoch;
};

KS_MUST_CHECK enum ks_err
api_end_quorum_epoch_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                    struct api_end_quorum_epoch_request *out);
void api_end_quorum_epoch_request_encode(struct wire_writer *w, int16_t version,
                                         const struct api_end_quorum_epoch_request *request);
KS_MUST_CHECK enum ks_err
api_end_quorum_epoch_response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                     struct api_end_quorum_epoch_response *out);
void api_end_quorum_epoch_response_encode(struct wire_writer *w, int16_t version,
                                          const struct api_end_quorum_epoch_response *response);

#endif
