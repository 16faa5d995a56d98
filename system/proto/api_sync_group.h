/*
 * api_sync_group.h: the SyncGroup API (key 14), request and response, versions 0-5,
 * flexible from 4. Kafka: SyncGroupRequest.json, SyncGroupResponse.json (throttle time
 * v1, KIP-345 GroupInstanceId v3, KIP-482 flexible v4, KIP-559 ProtocolType and
 * ProtocolName v5).
 *
 * Decoders borrow their input (strings and assignment bytes point into it) and allocate
 * the arrays; free a decoded message with the matching _free(). Encoders only read.
 * Absent fields decode to Kafka's defaults; on encode ignorable fields are dropped and a
 * non-default non-ignorable one fails with KS_ERR_UNSUPPORTED_VERSION.
 */
#ifndef KS_PROTO_API_SYNC_GROUP_H
#define KS_PROTO_API_SYNC_GROUP_H

#include "system/proto/wire.h"

#define API_SYNC_GROUP_VERSION_MIN 0
#define API_SYNC_GROUP_VERSION_MAX 5
#define API_SYNC_GROUP_FLEXIBLE_VERSION_FIRST 4

struct api_sync_group_assignment {
    struct wire_string member_id;
    struct wire_bytes assignment; /* ConsumerProtocolAssignment for "consumer" groups */
};

struct api_sync_group_request {
    struct wire_string group_id;
    int32_t generation_id;
    struct wire_string member_id;
    struct wire_string group_instance_id; /* v3+, nullable; default null */
    struct wire_string protocol_type;     /* v5+, nullable, ignorable; default null */
    struct wire_string protocol_name;     /* v5+, nullable, ignorable; default null */
    uint32_t assignment_count;            /* only the leader sends assignments */
    struct api_sync_group_assignment *assignments;
};

struct api_sync_group_response {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;
    struct wire_string protocol_type; /* v5+, nullable, ignorable; default null */
    struct wire_string protocol_name; /* v5+, nullable, ignorable; default null */
    struct wire_bytes assignment;
};

KS_MUST_CHECK enum ks_err api_sync_group_request_decode(int16_t version, const uint8_t *body,
                                                        uint32_t size_bytes,
                                                        struct api_sync_group_request *out);
/* Appends a request body; a group instance id below v3 fails (UNSUPPORTED_VERSION). */
void api_sync_group_request_encode(struct wire_writer *w, int16_t version,
                                   const struct api_sync_group_request *request);
void api_sync_group_request_free(struct api_sync_group_request *request);

/* The response allocates nothing; decoding it needs no _free(). */
KS_MUST_CHECK enum ks_err api_sync_group_response_decode(int16_t version, const uint8_t *body,
                                                         uint32_t size_bytes,
                                                         struct api_sync_group_response *out);
void api_sync_group_response_encode(struct wire_writer *w, int16_t version,
                                    const struct api_sync_group_response *response);

#endif
