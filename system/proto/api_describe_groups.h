/*
 * api_describe_groups.h: the DescribeGroups API (key 15), request and response,
 * versions 0-5, flexible from 5. Kafka: DescribeGroupsRequest.json,
 * DescribeGroupsResponse.json (throttle time v1, KIP-430 authorized operations v3,
 * KIP-345 GroupInstanceId v4, KIP-482 flexible v5).
 *
 * Decoders borrow their input and allocate the arrays; free with the matching _free().
 * Absent fields decode to Kafka's defaults; on encode ignorable fields are dropped and
 * a non-default non-ignorable one fails with KS_ERR_UNSUPPORTED_VERSION.
 */
#ifndef KS_PROTO_API_DESCRIBE_GROUPS_H
#define KS_PROTO_API_DESCRIBE_GROUPS_H

#include "system/proto/wire.h"

#define API_DESCRIBE_GROUPS_VERSION_MIN 0
#define API_DESCRIBE_GROUPS_VERSION_MAX 5
#define API_DESCRIBE_GROUPS_FLEXIBLE_VERSION_FIRST 5
/* AuthorizedOperations when not asked for (Integer.MIN_VALUE). */
#define API_DESCRIBE_GROUPS_AUTHORIZED_OPERATIONS_UNSET INT32_MIN

struct api_describe_groups_request {
    uint32_t group_count;
    struct wire_string *groups;
    bool include_authorized_operations; /* v3+; default false */
};

struct api_describe_groups_member {
    struct wire_string member_id;
    struct wire_string group_instance_id; /* v4+, nullable, ignorable; default null */
    struct wire_string client_id;
    struct wire_string client_host;
    struct wire_bytes member_metadata;   /* only in state Stable */
    struct wire_bytes member_assignment; /* only in state Stable */
};

struct api_describe_groups_group {
    int16_t error_code;
    struct wire_string group_id;
    struct wire_string group_state; /* "Stable", "PreparingRebalance", ... */
    struct wire_string protocol_type;
    struct wire_string protocol_data; /* the protocol name, in state Stable */
    uint32_t member_count;
    struct api_describe_groups_member *members;
    int32_t authorized_operations; /* v3+; default INT32_MIN */
};

struct api_describe_groups_response {
    int32_t throttle_time_ms; /* v1+ */
    uint32_t group_count;
    struct api_describe_groups_group *groups;
};

KS_MUST_CHECK enum ks_err
api_describe_groups_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                   struct api_describe_groups_request *out);
/* Appends a request body; asking for authorized operations below v3 fails. */
void api_describe_groups_request_encode(struct wire_writer *w, int16_t version,
                                        const struct api_describe_groups_request *request);
void api_describe_groups_request_free(struct api_describe_groups_request *request);

KS_MUST_CHECK enum ks_err
api_describe_groups_response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                    struct api_describe_groups_response *out);
/* Appends a response body; authorized operations other than unset below v3 fail. */
void api_describe_groups_response_encode(struct wire_writer *w, int16_t version,
                                         const struct api_describe_groups_response *response);
void api_describe_groups_response_free(struct api_describe_groups_response *response);

#endif
