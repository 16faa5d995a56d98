/*
 * api_join_group.h: the JoinGroup API (key 11), request and response, versions 0-9,
 * flexible from 6. Kafka: JoinGroupRequest.json, JoinGroupResponse.json
 * (RebalanceTimeoutMs v1, throttle time v2, KIP-394 MEMBER_ID_REQUIRED handshake v4,
 * KIP-345 GroupInstanceId v5, KIP-482 flexible v6, KIP-559 ProtocolType in the
 * response v7, KIP-800 Reason v8, SkipAssignment v9).
 *
 * Decoders borrow their input (strings and metadata bytes point into it) and allocate
 * the arrays; free a decoded message with the matching _free(). Encoders only read.
 * As Kafka's generated messages do, a field a version lacks decodes to its default; on
 * encode an ignorable field is dropped and a non-ignorable one that differs from its
 * default fails with KS_ERR_UNSUPPORTED_VERSION.
 */
#ifndef KS_PROTO_API_JOIN_GROUP_H
#define KS_PROTO_API_JOIN_GROUP_H

#include "system/proto/wire.h"

#define API_JOIN_GROUP_VERSION_MIN 0
#define API_JOIN_GROUP_VERSION_MAX 9
#define API_JOIN_GROUP_FLEXIBLE_VERSION_FIRST 6
/* First version where an unknown member must rejoin with the id it is given (KIP-394). */
#define API_JOIN_GROUP_MEMBER_ID_REQUIRED_VERSION_FIRST 4

struct api_join_group_protocol {
    struct wire_string name;
    struct wire_bytes metadata; /* ConsumerProtocolSubscription for "consumer" groups */
};

struct api_join_group_request {
    struct wire_string group_id;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;         /* v1+, ignorable; default -1 */
    struct wire_string member_id;         /* "" for a new member */
    struct wire_string group_instance_id; /* v5+, nullable; default null */
    struct wire_string protocol_type;
    uint32_t protocol_count;
    struct api_join_group_protocol *protocols;
    struct wire_string reason; /* v8+, nullable, ignorable; default null */
};

struct api_join_group_member {
    struct wire_string member_id;
    struct wire_string group_instance_id; /* v5+, nullable, ignorable; default null */
    struct wire_bytes metadata;
};

struct api_join_group_response {
    int32_t throttle_time_ms; /* v2+ */
    int16_t error_code;
    int32_t generation_id;
    struct wire_string protocol_type; /* v7+, nullable, ignorable; default null */
    struct wire_string protocol_name; /* nullable from v7 */
    struct wire_string leader;
    bool skip_assignment; /* v9+; default false */
    struct wire_string member_id;
    uint32_t member_count; /* only the leader gets members */
    struct api_join_group_member *members;
};

KS_MUST_CHECK enum ks_err api_join_group_request_decode(int16_t version, const uint8_t *body,
                                                        uint32_t size_bytes,
                                                        struct api_join_group_request *out);
/* Appends a request body; a group instance id below v5 fails (UNSUPPORTED_VERSION). */
void api_join_group_request_encode(struct wire_writer *w, int16_t version,
                                   const struct api_join_group_request *request);
void api_join_group_request_free(struct api_join_group_request *request);

KS_MUST_CHECK enum ks_err api_join_group_response_decode(int16_t version, const uint8_t *body,
                                                         uint32_t size_bytes,
                                                         struct api_join_group_response *out);
/* Appends a response body; skip_assignment below v9 fails (UNSUPPORTED_VERSION). */
void api_join_group_response_encode(struct wire_writer *w, int16_t version,
                                    const struct api_join_group_response *response);
void api_join_group_response_free(struct api_join_group_response *response);

#endif
