/*
 * api_offset_fetch.h: the OffsetFetch API (key 9), request and response, versions 0-9,
 * flexible from 6. Kafka: OffsetFetchRequest.json, OffsetFetchResponse.json (null
 * topics = all and a top-level error v2, throttle time v3, KIP-320 leader epoch v5,
 * KIP-482 flexible v6, KIP-447 RequireStable v7, KIP-709 batched groups v8, KIP-848
 * MemberId and MemberEpoch v9).
 *
 * Both messages are held in the batched (v8+) shape: below v8 a request asks for
 * exactly one group and a response answers exactly one, whose GroupId is not on the
 * wire (it decodes as "") and whose error code is the top-level one (v2-7; 0 below v2).
 * Decoders borrow their input and allocate the arrays; free with the matching _free().
 */
#ifndef KS_PROTO_API_OFFSET_FETCH_H
#define KS_PROTO_API_OFFSET_FETCH_H

#include "system/proto/wire.h"

#define API_OFFSET_FETCH_VERSION_MIN 0
#define API_OFFSET_FETCH_VERSION_MAX 9
#define API_OFFSET_FETCH_FLEXIBLE_VERSION_FIRST 6
/* First version with a batch of groups (KIP-709). */
#define API_OFFSET_FETCH_BATCH_VERSION_FIRST 8

struct api_offset_fetch_request_topic {
    struct wire_string name;
    uint32_t partition_count;
    int32_t *partition_indexes;
};

struct api_offset_fetch_request_group {
    struct wire_string group_id;
    struct wire_string member_id; /* v9+, nullable, ignorable; default null */
    int32_t member_epoch;         /* v9+, ignorable; default -1 */
    int32_t topic_count;          /* -1: all topics (v2+) */
    struct api_offset_fetch_request_topic *topics;
};

struct api_offset_fetch_request {
    uint32_t group_count; /* exactly 1 below v8 */
    struct api_offset_fetch_request_group *groups;
    bool require_stable; /* v7+; default false */
};

struct api_offset_fetch_response_partition {
    int32_t partition_index;
    int64_t committed_offset;       /* -1: none */
    int32_t committed_leader_epoch; /* v5+, ignorable; default -1 */
    struct wire_string metadata;    /* nullable */
    int16_t error_code;
};

struct api_offset_fetch_response_topic {
    struct wire_string name;
    uint32_t partition_count;
    struct api_offset_fetch_response_partition *partitions;
};

struct api_offset_fetch_response_group {
    struct wire_string group_id; /* v8+; "" below */
    uint32_t topic_count;
    struct api_offset_fetch_response_topic *topics;
    int16_t error_code; /* v2+, ignorable below v8; default 0 */
};

struct api_offset_fetch_response {
    int32_t throttle_time_ms; /* v3+ */
    uint32_t group_count;     /* exactly 1 below v8 */
    struct api_offset_fetch_response_group *groups;
};

KS_MUST_CHECK enum ks_err api_offset_fetch_request_decode(int16_t version, const uint8_t *body,
                                                          uint32_t size_bytes,
                                                          struct api_offset_fetch_request *out);
/*
 * Appends a request body. Fails (UNSUPPORTED_VERSION) on what the version cannot carry:
 * other than one group below v8, all topics (null) below v2, require_stable below v7.
 */
void api_offset_fetch_request_encode(struct wire_writer *w, int16_t version,
                                     const struct api_offset_fetch_request *request);
void api_offset_fetch_request_free(struct api_offset_fetch_request *request);

KS_MUST_CHECK enum ks_err api_offset_fetch_response_decode(int16_t version, const uint8_t *body,
                                                           uint32_t size_bytes,
                                                           struct api_offset_fetch_response *out);
/* Appends a response body; other than one group below v8 fails (UNSUPPORTED_VERSION). */
void api_offset_fetch_response_encode(struct wire_writer *w, int16_t version,
                                      const struct api_offset_fetch_response *response);
void api_offset_fetch_response_free(struct api_offset_fetch_response *response);

#endif
