/*
 * api_metadata.h: the Metadata API (key 3), request and response, versions 0-12,
 * flexible from 9. Kafka: MetadataRequest.json, MetadataResponse.json (KIP-430
 * authorized operations v8, KIP-482 flexible v9, KIP-516 topic ids v10, KIP-700 cluster
 * operations dropped v11, nullable topic names v12).
 *
 * Decoders borrow their input: names, hosts and ids in the results point into it, so
 * keep the input alive while the result is used. Decoders allocate the arrays; free a
 * decoded result with the matching _free(). Encoders only read their argument.
 * Fields absent at a version decode to Kafka's defaults.
 */
#ifndef KS_PROTO_API_METADATA_H
#define KS_PROTO_API_METADATA_H

#include "system/proto/wire.h"

#define API_METADATA_VERSION_MIN 0
#define API_METADATA_VERSION_MAX 12
#define API_METADATA_FLEXIBLE_VERSION_FIRST 9
/* Default of the authorized-operations fields when not asked for (Integer.MIN_VALUE). */
#define API_METADATA_AUTHORIZED_OPERATIONS_UNSET INT32_MIN

struct api_metadata_request_topic {
    struct wire_uuid topic_id; /* v10+; zero when asked by name */
    struct wire_string name;   /* nullable from v10 (asked by id) */
};

struct api_metadata_request {
    /*
     * -1: all topics (null in v1+, an empty array in v0). 0: no topics (v1+ only).
     * Otherwise topics[0..topic_count).
     */
    int32_t topic_count;
    struct api_metadata_request_topic *topics;
    bool allow_auto_topic_creation;             /* v4+; default true */
    bool include_cluster_authorized_operations; /* v8-v10 */
    bool include_topic_authorized_operations;   /* v8+ */
};

struct api_metadata_broker {
    int32_t node_id;
    struct wire_string host;
    int32_t port;
    struct wire_string rack; /* v1+, nullable */
};

struct api_metadata_partition {
    int16_t error_code;
    int32_t partition_index;
    int32_t leader_id;
    int32_t leader_epoch; /* v7+; default -1 */
    uint32_t replica_count;
    int32_t *replica_nodes;
    uint32_t isr_count;
    int32_t *isr_nodes;
    uint32_t offline_replica_count; /* v5+ */
    int32_t *offline_replicas;
};

struct api_metadata_topic {
    int16_t error_code;
    struct wire_string name;   /* nullable from v12 */
    struct wire_uuid topic_id; /* v10+ */
    bool is_internal;          /* v1+ */
    uint32_t partition_count;
    struct api_metadata_partition *partitions;
    int32_t topic_authorized_operations; /* v8+ */
};

struct api_metadata_response {
    int32_t throttle_time_ms; /* v3+ */
    uint32_t broker_count;
    struct api_metadata_broker *brokers;
    struct wire_string cluster_id; /* v2+, nullable; default null */
    int32_t controller_id;         /* v1+; default -1 */
    uint32_t topic_count;
    struct api_metadata_topic *topics;
    int32_t cluster_authorized_operations; /* v8-v10 */
};

/* Decodes a request body (after the header). Borrows body; free *out when done. */
KS_MUST_CHECK enum ks_err api_metadata_request_decode(int16_t version, const uint8_t *body,
                                                      uint32_t size_bytes,
                                                      struct api_metadata_request *out);
/*
 * Appends a request body. As Kafka does, a value a version cannot carry fails (w->err =
 * KS_ERR_UNSUPPORTED_VERSION): no topics in v0, auto creation off before v4, asking for
 * authorized operations before v8, topics by id before v10.
 */
void api_metadata_request_encode(struct wire_writer *w, int16_t version,
                                 const struct api_metadata_request *request);
void api_metadata_request_free(struct api_metadata_request *request);

KS_MUST_CHECK enum ks_err api_metadata_response_decode(int16_t version, const uint8_t *body,
                                                       uint32_t size_bytes,
                                                       struct api_metadata_response *out);
/* Appends a response body; fields a version cannot carry are left out, as Kafka does. */
void api_metadata_response_encode(struct wire_writer *w, int16_t version,
                                  const struct api_metadata_response *response);
void api_metadata_response_free(struct api_metadata_response *response);

#endif
