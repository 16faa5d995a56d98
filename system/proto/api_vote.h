/*
 * api_vote.h: the Vote API (key 52), request and response, versions 0-2, flexible
 * from 0. Kafka: VoteRequest.json, VoteResponse.json (KIP-595; v1 adds voter and
 * directory ids, KIP-853; v2 adds PreVote, KIP-996), RaftUtil.singletonVoteRequest.
 *
 * KRaft sends exactly one topic holding one partition (__cluster_metadata-0), so the
 * structs hold that one partition inline: has_partition says whether the topics
 * array held it (an error response may carry none). More than one topic or partition
 * decodes to KS_ERR_TOO_MANY (Kafka answers such a request INVALID_REQUEST).
 * Decoders borrow their input (strings point into it) and allocate nothing. The
 * response's v1+ NodeEndpoints (tag 0) is skipped on decode and never written.
 */
#ifndef KS_PROTO_API_VOTE_H
#define KS_PROTO_API_VOTE_H

#include "system/proto/wire.h"

#define API_VOTE_VERSION_MIN 0
#define API_VOTE_VERSION_MAX 2
#define API_VOTE_FLEXIBLE_VERSION_FIRST 0
/* The first version carrying PreVote. */
#define API_VOTE_PRE_VOTE_VERSION_FIRST 2

struct api_vote_request {
    struct wire_string cluster_id; /* nullable; default null */
    int32_t voter_id;              /* v1+: the receiver; default -1 */
    bool has_partition;
    struct wire_string topic_name;
    int32_t partition_index;
    int32_t replica_epoch;                 /* CandidateEpoch before v2 */
    int32_t replica_id;                    /* CandidateId before v2 */
    struct wire_uuid replica_directory_id; /* v1+ */
    struct wire_uuid voter_directory_id;   /* v1+ */
    int32_t last_offset_epoch;
    int64_t last_offset;
    bool pre_vote; /* v2+ */
};

struct api_vote_response {
    int16_t error_code; /* top level */
    bool has_partition;
    struct wire_string topic_name;
    int32_t partition_index;
    int16_t partition_error_code;
    int32_t leader_id; /* -1 unknown */
    int32_t leader_epoch;
    bool vote_granted;
};

/* Decodes a request body (after the header). Borrows body. */
KS_MUST_CHECK enum ks_err api_vote_request_decode(int16_t version, const uint8_t *body,
                                                  uint32_t size_bytes,
                                                  struct api_vote_request *out);
/* Appends a request body; pre_vote before v2 fails with KS_ERR_UNSUPPORTED_VERSION. */
void api_vote_request_encode(struct wire_writer *w, int16_t version,
                             const struct api_vote_request *request);

KS_MUST_CHECK enum ks_err api_vote_response_decode(int16_t version, const uint8_t *body,
                                                   uint32_t size_bytes,
                                                   struct api_vote_response *out);
void api_vote_response_encode(struct wire_writer *w, int16_t version,
                              const struct api_vote_response *response);

#endif
