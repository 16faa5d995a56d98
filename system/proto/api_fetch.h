/*
 * api_fetch.h: the Fetch API (key 1), request and response, versions 4-17, flexible
 * from 12. Kafka: FetchRequest.json, FetchResponse.json (v4 IsolationLevel and
 * AbortedTransactions, v5 LogStartOffset, v7 fetch sessions (KIP-227), v9
 * CurrentLeaderEpoch (KIP-320), v11 RackId and PreferredReadReplica (KIP-392), v12
 * flexible with LastFetchedEpoch and the tagged DivergingEpoch (0), CurrentLeader (1),
 * SnapshotId (2) (KIP-595, KIP-630), v13 topic ids (KIP-516), v15 ReplicaState tag
 * (KIP-903), v16 NodeEndpoints tag (KIP-951), v17 ReplicaDirectoryId tag (KIP-853)).
 *
 * Two views of one codec:
 * - api_fetch_multi_*: any number of topics and partitions, what consumers and
 *   followers send (librdkafka 4-16, kafka-python 4-11, kafkajs 4-11).
 * - api_fetch_request / api_fetch_response: exactly one partition inline, as KRaft
 *   replication fetches (versions 12-13). These wrap the multi codec: more topics or
 *   partitions decode to KS_ERR_TOO_MANY; aborted transactions are only counted.
 *
 * Decoders borrow their input: names, records and hosts point into it, so keep the
 * input alive while the result is used. The multi decoders allocate the arrays; free
 * a decoded result with the matching _free(). Encoders only read their argument and
 * leave out fields a version lacks, as FetchRequest.Builder does; a topic needs its
 * name before v13 (null fails KS_ERR_INVALID) and is sent by id from v13.
 */
#ifndef KS_PROTO_API_FETCH_H
#define KS_PROTO_API_FETCH_H

#include "system/proto/wire.h"

#define API_FETCH_VERSION_MIN 4
#define API_FETCH_VERSION_MAX 17
#define API_FETCH_FLEXIBLE_VERSION_FIRST 12
#define API_FETCH_TOPIC_ID_VERSION_FIRST 13
#define API_FETCH_REPLICA_STATE_VERSION_FIRST 15
/* The single-partition view: the versions KRaft speaks. */
#define API_FETCH_KRAFT_VERSION_MIN 12
#define API_FETCH_KRAFT_VERSION_MAX 13

/* Limits on what one request or response may hold; more decodes to KS_ERR_TOO_MANY. */
#define API_FETCH_TOPICS_MAX 4096u
#define API_FETCH_PARTITIONS_MAX 65536u /* per topic, and forgotten per topic */
#define API_FETCH_ABORTED_TRANSACTIONS_MAX 65536u
#define API_FETCH_NODE_ENDPOINTS_MAX 1024u

/* ---- the multi view ---- */

struct api_fetch_partition {
    int32_t partition;
    int32_t current_leader_epoch; /* v9+; default -1 */
    int64_t fetch_offset;
    int32_t last_fetched_epoch; /* v12+; default -1 */
    int64_t log_start_offset;   /* v5+; default -1 (consumers) */
    int32_t partition_max_bytes;
    struct wire_uuid replica_directory_id; /* v17+, tag 0; zero: unset */
};

struct api_fetch_topic {
    struct wire_string topic;  /* v4-v12 */
    struct wire_uuid topic_id; /* v13+ */
    uint32_t partition_count;
    struct api_fetch_partition *partitions;
};

struct api_fetch_forgotten_topic {
    struct wire_string topic;  /* v7-v12 */
    struct wire_uuid topic_id; /* v13+ */
    uint32_t partition_count;
    int32_t *partitions;
};

struct api_fetch_multi_request {
    struct wire_string cluster_id; /* v12+, tag 0; nullable, default null */
    int32_t replica_id;            /* v4-v14 in the body, v15+ in ReplicaState (tag 1); -1 */
    int64_t replica_epoch;         /* v15+, ReplicaState (tag 1); default -1 */
    int32_t max_wait_ms;
    int32_t min_bytes;
    int32_t max_bytes;      /* default 0x7fffffff */
    int8_t isolation_level; /* 0 read_uncommitted, 1 read_committed */
    int32_t session_id;     /* v7+; default 0 */
    int32_t session_epoch;  /* v7+; default -1 (no session) */
    uint32_t topic_count;
    struct api_fetch_topic *topics;
    uint32_t forgotten_topic_count; /* v7+ */
    struct api_fetch_forgotten_topic *forgotten_topics;
    struct wire_string rack_id; /* v11+; default "" */
};

struct api_fetch_aborted_transaction {
    int64_t producer_id;
    int64_t first_offset;
};

struct api_fetch_partition_data {
    int32_t partition_index;
    int16_t error_code;
    int64_t high_watermark;
    int64_t last_stable_offset; /* default -1 */
    int64_t log_start_offset;   /* v5+; default -1 */
    /* v12+, tag 0 DivergingEpoch: written when either is not -1 */
    int32_t diverging_epoch;
    int64_t diverging_end_offset;
    /* v12+, tag 1 CurrentLeader: written when either is not -1 */
    int32_t current_leader_id;
    int32_t current_leader_epoch;
    /* v12+, tag 2 SnapshotId: written when either is not -1 */
    int64_t snapshot_end_offset;
    int32_t snapshot_epoch;
    int32_t aborted_transaction_count; /* -1: null (the default) */
    struct api_fetch_aborted_transaction *aborted_transactions;
    int32_t preferred_read_replica; /* v11+; default -1 */
    struct wire_bytes records;      /* nullable; record batches, opaque here */
};

struct api_fetch_topic_data {
    struct wire_string topic;  /* v4-v12 */
    struct wire_uuid topic_id; /* v13+ */
    uint32_t partition_count;
    struct api_fetch_partition_data *partitions;
};

struct api_fetch_node_endpoint {
    int32_t node_id;
    struct wire_string host;
    int32_t port;
    struct wire_string rack; /* nullable */
};

struct api_fetch_multi_response {
    int32_t throttle_time_ms;
    int16_t error_code; /* v7+ */
    int32_t session_id; /* v7+ */
    uint32_t topic_count;
    struct api_fetch_topic_data *topics;
    uint32_t node_endpoint_count; /* v16+, tag 0: written when any */
    struct api_fetch_node_endpoint *node_endpoints;
};

/* Kafka's defaults for every field. */
void api_fetch_multi_request_init(struct api_fetch_multi_request *request);
void api_fetch_partition_init(struct api_fetch_partition *partition);
void api_fetch_multi_response_init(struct api_fetch_multi_response *response);
void api_fetch_partition_data_init(struct api_fetch_partition_data *partition);

/* Decodes a request body (after the header). Borrows body; free *out when done. */
KS_MUST_CHECK enum ks_err api_fetch_multi_request_decode(int16_t version, const uint8_t *body,
                                                         uint32_t size_bytes,
                                                         struct api_fetch_multi_request *out);
void api_fetch_multi_request_encode(struct wire_writer *w, int16_t version,
                                    const struct api_fetch_multi_request *request);
void api_fetch_multi_request_free(struct api_fetch_multi_request *request);

KS_MUST_CHECK enum ks_err api_fetch_multi_response_decode(int16_t version, const uint8_t *body,
                                                          uint32_t size_bytes,
                                                          struct api_fetch_multi_response *out);
void api_fetch_multi_response_encode(struct wire_writer *w, int16_t version,
                                     const struct api_fetch_multi_response *response);
void api_fetch_multi_response_free(struct api_fetch_multi_response *response);

/* ---- the single-partition view (KRaft) ---- */

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

/* Versions API_FETCH_KRAFT_VERSION_MIN..MAX; others give KS_ERR_UNSUPPORTED_VERSION. */
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
