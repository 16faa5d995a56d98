/*
 * api_list_offsets.h: the ListOffsets API (key 2), request and response, versions
 * 1-10, flexible from 6. Kafka: ListOffsetsRequest.json, ListOffsetsResponse.json,
 * ListOffsetsRequest.Builder (v1 one offset per partition (KIP-79), v2
 * IsolationLevel, v4 CurrentLeaderEpoch and LeaderEpoch (KIP-320), v6 flexible, v7
 * max timestamp (KIP-734), v8 earliest local (KIP-405), v9 latest tiered (KIP-1005),
 * v10 TimeoutMs (KIP-1075)).
 *
 * A partition asks for the first offset whose timestamp is at least Timestamp, or for
 * one of the special offsets below. Decoders borrow their input (topic names point
 * into it) and allocate the arrays; free a decoded result with the matching _free().
 * Encoders leave out fields a version lacks, except what would change the question,
 * which fails with KS_ERR_UNSUPPORTED_VERSION as ListOffsetsRequest.Builder does:
 * read_committed before v2, and each special timestamp before the version that
 * introduced it.
 */
#ifndef KS_PROTO_API_LIST_OFFSETS_H
#define KS_PROTO_API_LIST_OFFSETS_H

#include "system/proto/wire.h"

#define API_LIST_OFFSETS_VERSION_MIN 1
#define API_LIST_OFFSETS_VERSION_MAX 10
#define API_LIST_OFFSETS_FLEXIBLE_VERSION_FIRST 6

/* Special timestamps (ListOffsetsRequest). */
#define API_LIST_OFFSETS_LATEST_TIMESTAMP (-1)         /* the log end offset (HW, LSO) */
#define API_LIST_OFFSETS_EARLIEST_TIMESTAMP (-2)       /* the log start offset */
#define API_LIST_OFFSETS_MAX_TIMESTAMP (-3)            /* v7+: the record with the max timestamp */
#define API_LIST_OFFSETS_EARLIEST_LOCAL_TIMESTAMP (-4) /* v8+ */
#define API_LIST_OFFSETS_LATEST_TIERED_TIMESTAMP (-5)  /* v9+ */

/* Limits on what one request or response may hold; more decodes to KS_ERR_TOO_MANY. */
#define API_LIST_OFFSETS_TOPICS_MAX 4096u
#define API_LIST_OFFSETS_PARTITIONS_MAX 65536u /* per topic */

struct api_list_offsets_partition {
    int32_t partition_index;
    int32_t current_leader_epoch; /* v4+; default -1 */
    int64_t timestamp;            /* or a special timestamp above */
};

struct api_list_offsets_topic {
    struct wire_string name;
    uint32_t partition_count;
    struct api_list_offsets_partition *partitions;
};

struct api_list_offsets_request {
    int32_t replica_id;     /* -1 for consumers */
    int8_t isolation_level; /* v2+: 0 read_uncommitted, 1 read_committed */
    uint32_t topic_count;
    struct api_list_offsets_topic *topics;
    int32_t timeout_ms; /* v10+; default 0 */
};

struct api_list_offsets_partition_response {
    int32_t partition_index;
    int16_t error_code;
    int64_t timestamp;    /* default -1 */
    int64_t offset;       /* default -1 */
    int32_t leader_epoch; /* v4+; default -1 */
};

struct api_list_offsets_topic_response {
    struct wire_string name;
    uint32_t partition_count;
    struct api_list_offsets_partition_response *partitions;
};

struct api_list_offsets_response {
    int32_t throttle_time_ms; /* v2+ */
    uint32_t topic_count;
    struct api_list_offsets_topic_response *topics;
};

/* Kafka's defaults. */
void api_list_offsets_request_init(struct api_list_offsets_request *request);

/* Decodes a request body (after the header). Borrows body; free *out when done. */
KS_MUST_CHECK enum ks_err api_list_offsets_request_decode(int16_t version, const uint8_t *body,
                                                          uint32_t size_bytes,
                                                          struct api_list_offsets_request *out);
void api_list_offsets_request_encode(struct wire_writer *w, int16_t version,
                                     const struct api_list_offsets_request *request);
void api_list_offsets_request_free(struct api_list_offsets_request *request);

KS_MUST_CHECK enum ks_err api_list_offsets_response_decode(int16_t version, const uint8_t *body,
                                                           uint32_t size_bytes,
                                                           struct api_list_offsets_response *out);
void api_list_offsets_response_encode(struct wire_writer *w, int16_t version,
                                      const struct api_list_offsets_response *response);
void api_list_offsets_response_free(struct api_list_offsets_response *response);

#endif
