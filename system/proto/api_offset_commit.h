/*
 * api_offset_commit.h: the OffsetCommit API (key 8), request and response, versions
 * 0-9, flexible from 8. Kafka: OffsetCommitRequest.json, OffsetCommitResponse.json
 * (generation and member id v1, CommitTimestamp only in v1, RetentionTimeMs v2-4,
 * throttle time v3, KIP-320 CommittedLeaderEpoch v6, KIP-345 GroupInstanceId v7,
 * KIP-482 flexible v8, v9 same wire format as v8 for KIP-848).
 *
 * Decoders borrow their input (names and metadata point into it) and allocate the
 * arrays; free a decoded message with the matching _free(). Encoders only read. Absent
 * fields decode to Kafka's defaults; on encode ignorable fields are dropped and a
 * non-default non-ignorable one fails with KS_ERR_UNSUPPORTED_VERSION.
 */
#ifndef KS_PROTO_API_OFFSET_COMMIT_H
#define KS_PROTO_API_OFFSET_COMMIT_H

#include "system/proto/wire.h"

#define API_OFFSET_COMMIT_VERSION_MIN 0
#define API_OFFSET_COMMIT_VERSION_MAX 9
#define API_OFFSET_COMMIT_FLEXIBLE_VERSION_FIRST 8

struct api_offset_commit_request_partition {
    int32_t partition_index;
    int64_t committed_offset;
    int32_t committed_leader_epoch;        /* v6+, ignorable; default -1 */
    int64_t commit_timestamp;              /* v1 only; default -1 */
    struct wire_string committed_metadata; /* nullable */
};

struct api_offset_commit_request_topic {
    struct wire_string name;
    uint32_t partition_count;
    struct api_offset_commit_request_partition *partitions;
};

struct api_offset_commit_request {
    struct wire_string group_id;
    int32_t generation_id_or_member_epoch; /* v1+, ignorable; default -1 */
    struct wire_string member_id;          /* v1+, ignorable; default "" */
    struct wire_string group_instance_id;  /* v7+, nullable; default null */
    int64_t retention_time_ms;             /* v2-4, ignorable; default -1 */
    uint32_t topic_count;
    struct api_offset_commit_request_topic *topics;
};

struct api_offset_commit_response_partition {
    int32_t partition_index;
    int16_t error_code;
};

struct api_offset_commit_response_topic {
    struct wire_string name;
    uint32_t partition_count;
    struct api_offset_commit_response_partition *partitions;
};

struct api_offset_commit_response {
    int32_t throttle_time_ms; /* v3+ */
    uint32_t topic_count;
    struct api_offset_commit_response_topic *topics;
};

KS_MUST_CHECK enum ks_err api_offset_commit_request_decode(int16_t version, const uint8_t *body,
                                                           uint32_t size_bytes,
                                                           struct api_offset_commit_request *out);
/*
 * Appends a request body. A group instance id below v7, or a commit timestamp other
 * than -1 outside v1, fails (UNSUPPORTED_VERSION).
 */
void api_offset_commit_request_encode(struct wire_writer *w, int16_t version,
                                      const struct api_offset_commit_request *request);
void api_offset_commit_request_free(struct api_offset_commit_request *request);

KS_MUST_CHECK enum ks_err api_offset_commit_response_decode(int16_t version, const uint8_t *body,
                                                            uint32_t size_bytes,
                                                            struct api_offset_commit_response *out);
void api_offset_commit_response_encode(struct wire_writer *w, int16_t version,
                                       const struct api_offset_commit_response *response);
void api_offset_commit_response_free(struct api_offset_commit_response *response);

#endif
