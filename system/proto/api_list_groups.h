/*
 * api_list_groups.h: the ListGroups API (key 16), request and response, versions 0-5,
 * flexible from 3. Kafka: ListGroupsRequest.json, ListGroupsResponse.json (throttle
 * time v1, KIP-482 flexible v3, KIP-518 StatesFilter and GroupState v4, KIP-848
 * TypesFilter and GroupType v5).
 *
 * Decoders borrow their input and allocate the arrays; free with the matching _free().
 */
#ifndef KS_PROTO_API_LIST_GROUPS_H
#define KS_PROTO_API_LIST_GROUPS_H

#include "system/proto/wire.h"

#define API_LIST_GROUPS_VERSION_MIN 0
#define API_LIST_GROUPS_VERSION_MAX 5
#define API_LIST_GROUPS_FLEXIBLE_VERSION_FIRST 3

struct api_list_groups_request {
    uint32_t states_filter_count; /* v4+; empty = every state */
    struct wire_string *states_filter;
    uint32_t types_filter_count; /* v5+; empty = every type */
    struct wire_string *types_filter;
};

struct api_list_groups_group {
    struct wire_string group_id;
    struct wire_string protocol_type;
    struct wire_string group_state; /* v4+, ignorable; default "" */
    struct wire_string group_type;  /* v5+, ignorable; default "" */
};

struct api_list_groups_response {
    int32_t throttle_time_ms; /* v1+ */
    int16_t error_code;
    uint32_t group_count;
    struct api_list_groups_group *groups;
};

KS_MUST_CHECK enum ks_err api_list_groups_request_decode(int16_t version, const uint8_t *body,
                                                         uint32_t size_bytes,
                                                         struct api_list_groups_request *out);
/* Appends a request body; a states filter below v4 or a types filter below v5 fails. */
void api_list_groups_request_encode(struct wire_writer *w, int16_t version,
                                    const struct api_list_groups_request *request);
void api_list_groups_request_free(struct api_list_groups_request *request);

KS_MUST_CHECK enum ks_err api_list_groups_response_decode(int16_t version, const uint8_t *body,
                                                          uint32_t size_bytes,
                                                          struct api_list_groups_response *out);
void api_list_groups_response_encode(struct wire_writer *w, int16_t version,
                                     const struct api_list_groups_response *response);
void api_list_groups_response_free(struct api_list_groups_response *response);

#endif
