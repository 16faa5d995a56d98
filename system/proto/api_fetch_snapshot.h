/*
 * api_fetch_snapshot.h: the FetchSnapshot API (key 59), request and response, version
 * 0 (flexible). Kafka: FetchSnapshotRequest.json, FetchSnapshotResponse.json (KIP-630).
 * A follower whose fetch offset fell below the leader's log start downloads the
 * snapshot named by the Fetch response's SnapshotId, in chunks from Position.
 *
 * One topic with one partition inline (has_partition), as KRaft sends; more decode to
 * KS_ERR_TOO_MANY. Request ClusterId is tag 0 of the request; response CurrentLeader is
 * tag 0 of the partition. Decoders borrow their input (name, bytes point into it).
 */
#ifndef KS_PROTO_API_FETCH_SNAPSHOT_H
#define KS_PROTO_API_FETCH_SNAPSHOT_H

#include "system/proto/wire.h"

#define API_FETCH_SNAPSHOT_VERSION_MIN 0
#define API_FETCH_SNAPSHOT_VERSION_MAX 0

struct api_fetch_snapshot_request {
    struct wire_string cluster_id; /* tag 0; nullable, default null */
    int32_t replica_id;            /* default -1 */
    int32_t max_bytes;             /* default 0x7fffffff */
    bool has_partition;
    struct wire_string topic_name;
    int32_t partition;
    int32_t current_leader_epoch;
    int64_t snapshot_end_offset;
    int32_t snapshot_epoch;
    int64_t position;
};

struct api_fetch_snapshot_response {
    int32_t throttle_time_ms;
    int16_t error_code; /* top level */
    bool has_partition;
    struct wire_string topic_name;
    int32_t index;
    int16_t partition_error_code;
    int64_t snapshot_end_offset;
    int32_t snapshot_epoch;
    /* tag 0 CurrentLeader: written when either is not -1 */
    int32_t current_leader_id;
    int32_t current_leader_epoch;
    int64_t size;     /* of the whole snapshot */
    int64_t position; /* of unaligned_records in it */
    struct wire_bytes unaligned_records;
};

void api_fetch_snapshot_request_init(struct api_fetch_snapshot_request *request);
void api_fetch_snapshot_response_init(struct api_fetch_snapshot_response *response);

KS_MUST_CHECK enum ks_err api_fetch_snapshot_request_decode(int16_t version, const uint8_t *body,
                                                            uint32_t size_bytes,
                                                            struct api_fetch_snapshot_request *out);
void api_fetch_snapshot_request_encode(struct wire_writer *w, int16_t version,
                                       const struct api_fetch_snapshot_request *request);
KS_MUST_CHECK enum ks_err
api_fetch_snapshot_response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                   struct api_fetch_snapshot_response *out);
/* unaligned_records must not be null (the schema's records are not nullable). */
void api_fetch_snapshot_response_encode(struct wire_writer *w, int16_t version,
                                        const struct api_fetch_snapshot_response *response);

#endif
