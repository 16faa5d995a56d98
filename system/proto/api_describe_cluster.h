/*
 * api_describe_cluster.h: the DescribeCluster API (key 60, KIP-700), request and
 * response, versions 0-1, flexible from 0. Kafka: DescribeClusterRequest.json,
 * DescribeClusterResponse.json (v1 adds EndpointType, KIP-919).
 *
 * Decoders borrow their input and allocate the arrays; free with the matching _free().
 */
#ifndef KS_PROTO_API_DESCRIBE_CLUSTER_H
#define KS_PROTO_API_DESCRIBE_CLUSTER_H

#include "system/proto/wire.h"

#define API_DESCRIBE_CLUSTER_VERSION_MIN 0
#define API_DESCRIBE_CLUSTER_VERSION_MAX 1
/* EndpointType: 1 brokers, 2 controllers (v1+). */
#define API_DESCRIBE_CLUSTER_ENDPOINT_BROKERS 1
#define API_DESCRIBE_CLUSTER_ENDPOINT_CONTROLLERS 2
/* ClusterAuthorizedOperations when not asked for. */
#define API_DESCRIBE_CLUSTER_AUTHORIZED_OPERATIONS_UNSET INT32_MIN

struct api_describe_cluster_request {
    bool include_cluster_authorized_operations;
    int8_t endpoint_type; /* v1+; default 1 */
};

struct api_describe_cluster_broker {
    int32_t broker_id;
    struct wire_string host;
    int32_t port;
    struct wire_string rack; /* nullable */
};

struct api_describe_cluster_response {
    int32_t throttle_time_ms;
    int16_t error_code;
    struct wire_string error_message; /* nullable */
    int8_t endpoint_type;             /* v1+; default 1 */
    struct wire_string cluster_id;
    int32_t controller_id; /* default -1 */
    uint32_t broker_count;
    struct api_describe_cluster_broker *brokers;
    int32_t cluster_authorized_operations;
};

KS_MUST_CHECK enum ks_err api_describe_cluster_request_decode(
    int16_t version, const uint8_t *body, uint32_t size_bytes,
    struct api_describe_cluster_request *out);
void api_describe_cluster_request_encode(struct wire_writer *w, int16_t version,
                                         const struct api_describe_cluster_request *request);

KS_MUST_CHECK enum ks_err api_describe_cluster_response_decode(
    int16_t version, const uint8_t *body, uint32_t size_bytes,
    struct api_describe_cluster_response *out);
void api_describe_cluster_response_encode(struct wire_writer *w, int16_t version,
                                          const struct api_describe_cluster_response *response);
void api_describe_cluster_response_free(struct api_describe_cluster_response *response);

#endif
