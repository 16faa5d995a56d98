/*
 * api_produce.h: the Produce API (key 0), request and response, versions 3-11,
 * flexible from 9. Kafka: ProduceRequest.json, ProduceResponse.json (v3 first with
 * RecordBatch v2 and TransactionalId, v5 LogStartOffset, v7 zstd (KIP-110), v8
 * RecordErrors and ErrorMessage (KIP-467), v9 flexible (KIP-482), v10 the tagged
 * CurrentLeader (0) and NodeEndpoints (0) (KIP-951), v11 KIP-890 part 1).
 *
 * Records are opaque here: each partition carries its record batches as a bytes view
 * (system/log/rb.h decodes them). acks=0 requests get no response at all; that is the
 * broker's business, not the codec's.
 *
 * Decoders borrow their input: names, records and messages point into it, so keep
 * the input alive while the result is used. Decoders allocate the arrays; free a
 * decoded result with the matching _free(). Encoders only read their argument and
 * leave out fields a version lacks, as Kafka does.
 */
#ifndef KS_PROTO_API_PRODUCE_H
#define KS_PROTO_API_PRODUCE_H

#include "system/proto/wire.h"

#define API_PRODUCE_VERSION_MIN 3
#define API_PRODUCE_VERSION_MAX 11
#define API_PRODUCE_FLEXIBLE_VERSION_FIRST 9

/* Limits on what one request or response may hold; more decodes to KS_ERR_TOO_MANY. */
#define API_PRODUCE_TOPICS_MAX 4096u
#define API_PRODUCE_PARTITIONS_MAX 65536u    /* per topic */
#define API_PRODUCE_RECORD_ERRORS_MAX 65536u /* per partition */
#define API_PRODUCE_NODE_ENDPOINTS_MAX 1024u

struct api_produce_partition {
    int32_t index;
    struct wire_bytes records; /* nullable; record batches, opaque here */
};

struct api_produce_topic {
    struct wire_string name;
    uint32_t partition_count;
    struct api_produce_partition *partitions;
};

struct api_produce_request {
    struct wire_string transactional_id; /* nullable, default null */
    int16_t acks;                        /* 0, 1 or -1 (all) */
    int32_t timeout_ms;
    uint32_t topic_count;
    struct api_produce_topic *topics;
};

/* BatchIndexAndErrorMessage (v8+): which batch of the partition failed, and why. */
struct api_produce_record_error {
    int32_t batch_index;
    struct wire_string message; /* nullable, default null */
};

struct api_produce_partition_response {
    int32_t index;
    int16_t error_code;
    int64_t base_offset;
    int64_t log_append_time_ms;  /* v2+; -1 unless the topic uses LogAppendTime */
    int64_t log_start_offset;    /* v5+; default -1 */
    uint32_t record_error_count; /* v8+ */
    struct api_produce_record_error *record_errors;
    struct wire_string error_message; /* v8+, nullable, default null */
    /* v10+, tag 0 CurrentLeader: written when either is not -1 */
    int32_t current_leader_id;
    int32_t current_leader_epoch;
};

struct api_produce_topic_response {
    struct wire_string name;
    uint32_t partition_count;
    struct api_produce_partition_response *partitions;
};

struct api_produce_node_endpoint {
    int32_t node_id;
    struct wire_string host;
    int32_t port;
    struct wire_string rack; /* nullable */
};

struct api_produce_response {
    uint32_t topic_count;
    struct api_produce_topic_response *topics;
    int32_t throttle_time_ms;
    uint32_t node_endpoint_count; /* v10+, tag 0: written when any */
    struct api_produce_node_endpoint *node_endpoints;
};

/* Kafka's defaults. */
void api_produce_request_init(struct api_produce_request *request);
void api_produce_response_init(struct api_produce_response *response);
void api_produce_partition_response_init(struct api_produce_partition_response *partition);

/* Decodes a request body (after the header). Borrows body; free *out when done. */
KS_MUST_CHECK enum ks_err api_produce_request_decode(int16_t version, const uint8_t *body,
                                                     uint32_t size_bytes,
                                                     struct api_produce_request *out);
void api_produce_request_encode(struct wire_writer *w, int16_t version,
                                const struct api_produce_request *request);
void api_produce_request_free(struct api_produce_request *request);

KS_MUST_CHECK enum ks_err api_produce_response_decode(int16_t version, const uint8_t *body,
                                                      uint32_t size_bytes,
                                                      struct api_produce_response *out);
void api_produce_response_encode(struct wire_writer *w, int16_t version,
                                 const struct api_produce_response *response);
void api_produce_response_free(struct api_produce_response *response);

#endif
