/*
 * api_delete_groups.h: the DeleteGroups API (key 42), request and response, versions
 * 0-2, flexible from 2. Kafka: DeleteGroupsRequest.json, DeleteGroupsResponse.json
 * (v1 same as v0, KIP-482 flexible v2).
 *
 * Decoders borrow their input and allocate the arrays; free with the matching _free().
 */
#ifndef KS_PROTO_API_DELETE_GROUPS_H
#define KS_PROTO_API_DELETE_GROUPS_H

#include "system/proto/wire.h"

#define API_DELETE_GROUPS_VERSION_MIN 0
#define API_DELETE_GROUPS_VERSION_MAX 2
#define API_DELETE_GROUPS_FLEXIBLE_VERSION_FIRST 2

struct api_delete_groups_request {
    uint32_t group_count;
    struct wire_string *groups_names;
};

struct api_delete_groups_result {
    struct wire_string group_id;
    int16_t error_code;
};

struct api_delete_groups_response {
    int32_t throttle_time_ms;
    uint32_t result_count;
    struct api_delete_groups_result *results;
};

KS_MUST_CHECK enum ks_err api_delete_groups_request_decode(int16_t version, const uint8_t *body,
                                                           uint32_t size_bytes,
                                                           struct api_delete_groups_request *out);
void api_delete_groups_request_encode(struct wire_writer *w, int16_t version,
                                      const struct api_delete_groups_request *request);
void api_delete_groups_request_free(struct api_delete_groups_request *request);

KS_MUST_CHECK enum ks_err api_delete_groups_response_decode(int16_t version, const uint8_t *body,
                                                            uint32_t size_bytes,
                                                            struct api_delete_groups_response *out);
void api_delete_groups_response_encode(struct wire_writer *w, int16_t version,
                                       const struct api_delete_groups_response *response);
void api_delete_groups_response_free(struct api_delete_groups_response *response);

#endif
