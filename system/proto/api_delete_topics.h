/*
 * api_delete_topics.h: DeleteTopics (key 20), request and response, versions 0-6,
 * flexible from 4. Kafka: DeleteTopicsRequest.json, DeleteTopicsResponse.json (v1
 * throttle time; v4 flexible; v5 ErrorMessage; v6 topics by name or id, KIP-516).
 *
 * Before v6 the request is a list of names (TopicNames); from v6 a list of (nullable
 * name, topic id). Both decode into topics[]: before v6 every topic_id is zero.
 * Decoders borrow their input and allocate the arrays; free with the matching _free().
 */
#ifndef KS_PROTO_API_DELETE_TOPICS_H
#define KS_PROTO_API_DELETE_TOPICS_H

#include "system/proto/wire.h"

#define API_DELETE_TOPICS_VERSION_MIN 0
#define API_DELETE_TOPICS_VERSION_MAX 6
#define API_DELETE_TOPICS_FLEXIBLE_VERSION_FIRST 4
#define API_DELETE_TOPICS_TOPIC_IDS_VERSION_FIRST 6

struct api_delete_topics_topic {
    struct wire_string name;   /* nullable from v6 */
    struct wire_uuid topic_id; /* v6+ */
};

struct api_delete_topics_request {
    uint32_t topic_count;
    struct api_delete_topics_topic *topics;
    int32_t timeout_ms;
};

struct api_delete_topics_result {
    struct wire_string name;   /* nullable from v6 */
    struct wire_uuid topic_id; /* v6+ */
    int16_t error_code;
    struct wire_string error_message; /* v5+, nullable */
};

struct api_delete_topics_response {
    int32_t throttle_time_ms; /* v1+ */
    uint32_t result_count;
    struct api_delete_topics_result *results;
};

KS_MUST_CHECK enum ks_err api_delete_topics_request_decode(int16_t version, const uint8_t *body,
                                                           uint32_t size_bytes,
                                                           struct api_delete_topics_request *out);
/* Before v6, a topic without a name (asked by id) fails w->err with UNSUPPORTED_VERSION. */
void api_delete_topics_request_encode(struct wire_writer *w, int16_t version,
                                      const struct api_delete_topics_request *request);
void api_delete_topics_request_free(struct api_delete_topics_request *request);

KS_MUST_CHECK enum ks_err api_delete_topics_response_decode(int16_t version, const uint8_t *body,
                                                            uint32_t size_bytes,
                                                            struct api_delete_topics_response *out);
void api_delete_topics_response_encode(struct wire_writer *w, int16_t version,
                                       const struct api_delete_topics_response *response);
void api_delete_topics_response_free(struct api_delete_topics_response *response);

#endif
