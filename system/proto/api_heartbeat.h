/*
 * api_heartbeat.h: the Heartbeat API (key 12), request and response, versions 0-4,
 * flexible from 4. Kafka: HeartbeatRequest.json, HeartbeatResponse.json (throttle time
 * v1, KIP-345 GroupInstanceId v3, KIP-482 flexible v4).
 *
 * Nothing is allocated: decoded strings point into the input, so keep it alive.
 */
#ifndef KS_PROTO_API_HEARTBEAT_H
#define KS_PROTO_API_HEARTBEAT_H

#include "system/proto/wire.h"

#define API_HEARTBEAT_VERSION_MIN 0
#define API_HEARTBEAT_VERSION_MAX 4
#define API_HEARTBEAT_FLEXIBLE_VERSION_FIRST 4

struct api_heartbeat_request {
    struct wire_string group_id;
    int32_t generation_id;
    struct wire_string member_id;
    struct wire_string group_instance_id; /* v3+, nullable; default null */
};

struct api_heartbeat_response {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;
};

KS_MUST_CHECK enum ks_err api_heartbeat_request_decode(int16_t version, const uint8_t *body,
                                                       uint32_t size_bytes,
                                                       struct api_heartbeat_request *out);
/* Appends a request body; a group instance id below v3 fails (UNSUPPORTED_VERSION). */
void api_heartbeat_request_encode(struct wire_writer *w, int16_t version,
                                  const struct api_heartbeat_request *request);
KS_MUST_CHECK enum ks_err api_heartbeat_response_decode(int16_t version, const uint8_t *body,
                                                        uint32_t size_bytes,
                                                        struct api_heartbeat_response *out);
void api_heartbeat_response_encode(struct wire_writer *w, int16_t version,
                                   const struct api_heartbeat_response *response);

#endif
