/*
 * api_broker_heartbeat.h: BrokerHeartbeat (key 63), request and response, versions
 * 0-1, flexible from 0. Kafka: BrokerHeartbeatRequest.json,
 * BrokerHeartbeatResponse.json (KIP-631; v1 adds the tagged OfflineLogDirs, KIP-858).
 * Decoders borrow their input and allocate nothing.
 */
#ifndef KS_PROTO_API_BROKER_HEARTBEAT_H
#define KS_PROTO_API_BROKER_HEARTBEAT_H

#include "system/proto/wire.h"

#define API_BROKER_HEARTBEAT_VERSION_MIN 0
#define API_BROKER_HEARTBEAT_VERSION_MAX 1
#define API_BROKER_HEARTBEAT_FLEXIBLE_VERSION_FIRST 0
#define API_BROKER_HEARTBEAT_LOG_DIRS_MAX 64u

struct api_broker_heartbeat_request {
    int32_t broker_id;
    int64_t broker_epoch; /* default -1 */
    int64_t current_metadata_offset;
    bool want_fence;
    bool want_shut_down;
    uint32_t offline_log_dir_count; /* v1+, tag 0 */
    struct wire_uuid offline_log_dirs[API_BROKER_HEARTBEAT_LOG_DIRS_MAX];
};

struct api_broker_heartbeat_response {
    int32_t throttle_time_ms;
    int16_t error_code;
    bool is_caught_up; /* default false */
    bool is_fenced;    /* default true */
    bool should_shut_down;
};

KS_MUST_CHECK enum ks_err
api_broker_heartbeat_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                    struct api_broker_heartbeat_request *out);
/* Offline log dirs before v1 fail w->err with UNSUPPORTED_VERSION. */
void api_broker_heartbeat_request_encode(struct wire_writer *w, int16_t version,
                                         const struct api_broker_heartbeat_request *request);

KS_MUST_CHECK enum ks_err
api_broker_heartbeat_response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                     struct api_broker_heartbeat_response *out);
void api_broker_heartbeat_response_encode(struct wire_writer *w, int16_t version,
                                          const struct api_broker_heartbeat_response *response);

#endif
