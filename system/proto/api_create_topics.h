/*
 * api_create_topics.h: CreateTopics (key 19), request and response, versions 0-7,
 * flexible from 5. Kafka: CreateTopicsRequest.json, CreateTopicsResponse.json (v1
 * validateOnly and ErrorMessage; v2 throttle time; v4 defaults for partitions and
 * replication factor, KIP-464; v5 flexible, configs in the response, KIP-525; v7
 * topic ids in the response, KIP-516).
 *
 * Decoders borrow their input (names and values point into it) and allocate the
 * arrays; free a decoded result with the matching _free(). Encoders only read.
 */
#ifndef KS_PROTO_API_CREATE_TOPICS_H
#define KS_PROTO_API_CREATE_TOPICS_H

#include "system/proto/wire.h"

#define API_CREATE_TOPICS_VERSION_MIN 0
#define API_CREATE_TOPICS_VERSION_MAX 7
#define API_CREATE_TOPICS_FLEXIBLE_VERSION_FIRST 5
#define API_CREATE_TOPICS_TIMEOUT_MS_DEFAULT 60000

struct api_create_topics_assignment {
    int32_t partition_index;
    uint32_t broker_id_count;
    int32_t *broker_ids;
};

struct api_create_topics_config {
    struct wire_string name;
    struct wire_string value; /* nullable */
};

struct api_create_topics_topic {
    struct wire_string name;
    int32_t num_partitions;     /* -1: the default, or the assignments' */
    int16_t replication_factor; /* -1: the default, or the assignments' */
    uint32_t assignment_count;
    struct api_create_topics_assignment *assignments;
    uint32_t config_count;
    struct api_create_topics_config *configs;
};

struct api_create_topics_request {
    uint32_t topic_count;
    struct api_create_topics_topic *topics;
    int32_t timeout_ms;
    bool validate_only; /* v1+ */
};

/* A config in the response (v5+). */
struct api_create_topics_result_config {
    struct wire_string name;
    struct wire_string value; /* nullable */
    bool read_only;
    int8_t config_source; /* default -1 */
    bool is_sensitive;
};

struct api_create_topics_result {
    struct wire_string name;
    struct wire_uuid topic_id; /* v7+ */
    int16_t error_code;
    struct wire_string error_message; /* v1+, nullable */
    int16_t topic_config_error_code;  /* v5+, tag 0 */
    int32_t num_partitions;           /* v5+; default -1 */
    int16_t replication_factor;       /* v5+; default -1 */
    int32_t config_count;             /* v5+, -1 null */
    struct api_create_topics_result_config *configs;
};

struct api_create_topics_response {
    int32_t throttle_time_ms; /* v2+ */
    uint32_t topic_count;
    struct api_create_topics_result *topics;
};

KS_MUST_CHECK enum ks_err api_create_topics_request_decode(int16_t version, const uint8_t *body,
                                                           uint32_t size_bytes,
                                                           struct api_create_topics_request *out);
/* validate_only before v1 fails w->err with UNSUPPORTED_VERSION. */
void api_create_topics_request_encode(struct wire_writer *w, int16_t version,
                                      const struct api_create_topics_request *request);
void api_create_topics_request_free(struct api_create_topics_request *request);

KS_MUST_CHECK enum ks_err api_create_topics_response_decode(int16_t version, const uint8_t *body,
                                                            uint32_t size_bytes,
                                                            struct api_create_topics_response *out);
/* Fields a version cannot carry are left out, as Kafka does. */
void api_create_topics_response_encode(struct wire_writer *w, int16_t version,
                                       const struct api_create_topics_response *response);
void api_create_topics_response_free(struct api_create_topics_response *response);

#endif
