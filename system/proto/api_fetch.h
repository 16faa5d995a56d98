/*
 * api_fetch.h: the Fetch API (key 1) as KRaft uses it, request and response, versions
 * 12-13 (flexible; 12 names topics, 13 uses topic ids, KIP-516). Kafka:
 * FetchRequest.json, FetchResponse.json, RaftUtil.singletonFetchRequest (KIP-595:
 * LastFetchedEpoch, and in the response the tagged DivergingEpoch (0), CurrentLeader
 * (1) and SnapshotId (2); KIP-630 snapshots).
 *
 * KRaft fetches exactly one partition, so the structs hold it inline (has_partition);
 * more topics or partitions decode to KS_ERR_TOO_MANY. ForgottenTopicsData is read and
 * dropped (KRaft sends none; none is written). AbortedTransactions are counted and
 * skipped (KRaft's log has no transactions): encode writes null (-1) or empty (0).
 * Decoders borrow their input: strings and records point into it.
 */
#ifndef KS_PROTO_API_FETCH_H
#define KS_PROTO_API_FETCH_H

#include "system/proto/wire.h"

#define API_FETCH_VERSION_MIN 12
#define API_FETCH_VERSION_MAX 13
#define API_FETCH_TOPIC_ID_VERSION_FIRST 13

struct api_fetch_request {
    struct wire_string cluster_id; /* tag 0; nullable, default null */
    int32_t replica_id;            /* -1 for consumers */
    int32_t max_wait_ms;
    int32_t min_bytes;
    int32_t max_bytes;      /* default 0x7fffffff */
    int8_t isolation_level; /* 0 read_uncommitted */
    int32_t session_id;     /* 0 */
    int32_t session_epoch;  /* -1: no session */
    bool has_partition;
    struct wire_string topic;  /* v12 */
    struct wire_uuid topic_id; /* v13+ */
    int32_t partition;
    int32_t current_leader_epoch; /* -1 unknown */
    int64_t fetch_offset;
    int32_t last_fetched_epoch; /* -1 unknown */
    int64_t log_start_offset;   /* -1 for consumers */
    int32_t partition_max_bytes;
    struct wire_string rack_id; /* default "" */
};

struct api_fetch_response {
    int32_t throttle_time_ms;
    int16_t error_code; /* top level */
    int32_t session_id;
    bool has_partition;
    struct wire_string topic;  /* v12 */
    struct wire_uuid topic_id; /* v13+ */
    int32_t partition_index;
    int16_t partition_error_code;
    int64_t high_watermark;
    int64_t last_stable_offset; /* -1 */
    int64_t log_start_offset;   /* -1 */
    /* tag 0 DivergingEpoch: written when epoch != -1 or end_offset != -1 */
    int32_t diverging_epoch;
    int64_t diverging_end_offset;
    /* tag 1 CurrentLeader: written when either is not -1 */
    int32_t current_leader_id;
    int32_t current_leader_epoch;
    /* tag 2 SnapshotId: written when either is not -1 */
    int64_t snapshot_end_offset;
    int32_t snapshot_epoch;
    int32_t aborted_transaction_count; /* -1 null, else how many were on the wire */
    int32_t preferred_read_replica;    /* -1 */
    struct wire_bytes records;         /* nullable */
};

/* Kafka's defaults for every field (what a decoder starts from). */
void api_fetch_request_init(struct api_fetch_request *request);
void api_fetch_response_init(struct api_fetch_response *response);

KS_MUST_CHECK enum ks_err api_fetch_request_decode(int16_t version, const uint8_t *body,
                                                   uint32_t size_bytes,
                                                   struct api_fetch_request *out);
void api_fetch_request_encode(struct wire_writer *w, int16_t version,
                              const struct api_fetch_request *request);
KS_MUST_CHECK enum ks_err api_fetch_response_decode(int16_t version, const uint8_t *body,
                                                    uint32_t size_bytes,
                                                    struct api_fetch_response *out);
/* aborted_transaction_count must be -1 or 0 (no transactions to list). */
void api_fetch_response_encode(struct wire_writer *w, int16_t version,
                               const struct api_fetch_response *response);

#endif
