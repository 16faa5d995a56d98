/*
 * api_leave_group.h: the LeaveGroup API (key 13), request and response, versions 0-5,
 * flexible from 4. Kafka: LeaveGroupRequest.json, LeaveGroupResponse.json (throttle
 * time v1, KIP-345 batch of members with GroupInstanceId v3, KIP-482 flexible v4,
 * KIP-800 Reason v5).
 *
 * The request is held in the batched (v3+) shape: below v3 it carries exactly one
 * member, without instance id or reason, sent as the top-level MemberId. Decoders
 * borrow their input and allocate the arrays; free with the matching _free().
 */
#ifndef KS_PROTO_API_LEAVE_GROUP_H
#define KS_PROTO_API_LEAVE_GROUP_H

#include "system/proto/wire.h"

#define API_LEAVE_GROUP_VERSION_MIN 0
#define API_LEAVE_GROUP_VERSION_MAX 5
#define API_LEAVE_GROUP_FLEXIBLE_VERSION_FIRST 4
/* First version with a batch of members (KIP-345). */
#define API_LEAVE_GROUP_BATCH_VERSION_FIRST 3

struct api_leave_group_member {
    struct wire_string member_id;
    struct wire_string group_instance_id; /* v3+, nullable; default null */
    struct wire_string reason;            /* v5+, nullable, ignorable; default null */
};

struct api_leave_group_request {
    struct wire_string group_id;
    uint32_t member_count; /* exactly 1 below v3 */
    struct api_leave_group_member *members;
};

struct api_leave_group_member_response {
    struct wire_string member_id;
    struct wire_string group_instance_id; /* nullable */
    int16_t error_code;
};

struct api_leave_group_response {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;
    uint32_t member_count; /* v3+ */
    struct api_leave_group_member_response *members;
};

KS_MUST_CHECK enum ks_err api_leave_group_request_decode(int16_t version, const uint8_t *body,
                                                         uint32_t size_bytes,
                                                         struct api_leave_group_request *out);
/*
 * Appends a request body. Below v3, other than one member, or a member with an instance
 * id, fails (UNSUPPORTED_VERSION).
 */
void api_leave_group_request_encode(struct wire_writer *w, int16_t version,
                                    const struct api_leave_group_request *request);
void api_leave_group_request_free(struct api_leave_group_request *request);

KS_MUST_CHECK enum ks_err api_leave_group_response_decode(int16_t version, const uint8_t *body,
                                                          uint32_t size_bytes,
                                                          struct api_leave_group_response *out);
/* Appends a response body; members below v3 fail (UNSUPPORTED_VERSION). */
void api_leave_group_response_encode(struct wire_writer *w, int16_t version,
                                     const struct api_leave_group_response *response);
void api_leave_group_response_free(struct api_leave_group_response *response);

#endif
