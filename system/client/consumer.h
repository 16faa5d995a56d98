/*
 * consumer.h: the consumer client library, manual assignment only (groups come with
 * the group coordinator). Kafka: KafkaConsumer (assign, seek, position, poll),
 * Fetcher / AbstractFetch (one Fetch per leader broker in flight, fetch.min.bytes,
 * fetch.max.wait.ms, max.partition.fetch.bytes, isolation.level read_uncommitted),
 * OffsetFetcher (auto.offset.reset through ListOffsets: earliest, latest, none),
 * SubscriptionState (per-partition fetch state and position), and the leader
 * following of KIP-320 (CurrentLeaderEpoch in fetches, metadata refresh on
 * NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, broken
 * connections).
 *
 * Polling is continuous: once assigned, partitions are fetched and every record is
 * handed to the record callback in offset order per partition (poll's loop, without
 * the caller's thread). The broker enforces the high watermark; the consumer records
 * in its history what it saw and the high watermark the same response carried, so a
 * checker can tell.
 *
 * Per-partition fetch states (consumer_part_state): RESET_NEEDED -> RESETTING (a
 * ListOffsets in flight) -> FETCHABLE; FETCHABLE -> RESET_NEEDED on
 * OFFSET_OUT_OF_RANGE; RESET_NEEDED -> FAILED with auto.offset.reset=none (until a
 * seek). seek makes a partition FETCHABLE at once.
 *
 * Ownership: a consumer owns its network client and partition states; records handed
 * to the callback are borrowed for the call; the history is borrowed. No global state.
 */
#ifndef KS_CLIENT_CONSUMER_H
#define KS_CLIENT_CONSUMER_H

#include "cnet.h"
#include "history.h"
#include "system/log/rb.h"

#define CONSUMER_PARTS_MAX 1024u
#define CONSUMER_REQUESTS_MAX (CNET_BROKERS_MAX * CNET_INFLIGHT_MAX)
#define CONSUMER_BATCHES_PER_FETCH_MAX 65536u
#define CONSUMER_NO_POSITION (-1)

enum consumer_reset { CONSUMER_RESET_EARLIEST, CONSUMER_RESET_LATEST, CONSUMER_RESET_NONE };

enum consumer_part_state {
    CONSUMER_PART_RESET_NEEDED,
    CONSUMER_PART_RESETTING,
    CONSUMER_PART_FETCHABLE,
    CONSUMER_PART_FAILED,
};

typedef void (*consumer_record_fn)(void *ctx, const char *topic, int32_t partition,
                                   const struct rb_record *record);

struct consumer_config {
    struct cnet_config net;
    enum consumer_reset auto_offset_reset; /* auto.offset.reset, latest */
    int32_t fetch_min_bytes;               /* 1 */
    int32_t fetch_max_bytes;               /* 52428800 */
    int32_t fetch_max_wait_ms;             /* 500 */
    int32_t max_partition_fetch_bytes;     /* 1048576 */
    uint32_t retry_backoff_ms;             /* 100 */
    int8_t isolation_level;                /* 0: read_uncommitted (the only one yet) */
};

struct consumer_part {
    char topic[CNET_TOPIC_BYTES_MAX + 1];
    int32_t partition;
    uint32_t history_topic;
    enum consumer_part_state state;
    int64_t position;
    int32_t request_node; /* CNET_NO_NODE: nothing in flight */
    uint64_t retry_at_ns;
    int64_t high_watermark; /* from the last fetch answer, -1 before */
    bool unassigned;        /* taken away (consumer_unassign): not fetched until assigned */
};

struct consumer_request;

struct consumer {
    struct env *env;
    struct consumer_config config;
    struct cnet *net;
    consumer_record_fn record_fn;
    void *record_ctx;
    struct consumer_part parts[CONSUMER_PARTS_MAX];
    uint32_t part_count;
    struct consumer_request *requests[CONSUMER_REQUESTS_MAX];
    uint32_t request_count;
    env_timer_id run_timer;
    uint64_t run_at_ns;
    struct history *history;
    uint32_t history_client;
    uint64_t records_received; /* counters */
    uint64_t fetches;
};

KS_MUST_CHECK enum ks_err consumer_config_from_props(const struct props *props,
                                                     struct consumer_config *out);
struct consumer *consumer_create(struct env *env, const struct props *config,
                                 consumer_record_fn record_fn, void *record_ctx,
                                 enum ks_err *err_out);
void consumer_close(struct consumer *c);
void consumer_destroy(struct consumer *c);
void consumer_set_history(struct consumer *c, struct history *history, const char *client_name);

/* KafkaConsumer.assign: adds a partition (positions come from auto.offset.reset).
 * Errors: KS_ERR_TOO_MANY, KS_ERR_INVALID_TOPIC_EXCEPTION. */
KS_MUST_CHECK enum ks_err consumer_assign(struct consumer *c, const char *topic, int32_t partition);
/* KafkaConsumer.seek. KS_ERR_NOT_FOUND when not assigned. */
KS_MUST_CHECK enum ks_err consumer_seek(struct consumer *c, const char *topic, int32_t partition,
                                        int64_t offset);
/* Group hook (cgroup.h): takes a partition away; its answers in flight are dropped
 * and nothing more is fetched or delivered until consumer_assign gives it back (then
 * from auto.offset.reset or a seek). KS_ERR_NOT_FOUND when not assigned. */
KS_MUST_CHECK enum ks_err consumer_unassign(struct consumer *c, const char *topic,
                                            int32_t partition);
/* The next offset to read, CONSUMER_NO_POSITION while unknown or not assigned. */
int64_t consumer_position(const struct consumer *c, const char *topic, int32_t partition);

#endif
