/*
 * cgroup.h: the consumer's group membership (classic protocol). Kafka:
 * AbstractCoordinator (FindCoordinator, JoinGroup with the KIP-394 MEMBER_ID_REQUIRED
 * handshake, SyncGroup, the heartbeat thread with session.timeout.ms and
 * heartbeat.interval.ms, LeaveGroup, max.poll.interval.ms) and ConsumerCoordinator (the
 * leader running the assignor, onJoinPrepare / onJoinComplete with the eager and the
 * cooperative (KIP-429) protocols, rebalance callbacks, OffsetCommit with
 * enable.auto.commit and auto.commit.interval.ms or explicit, OffsetFetch to resume).
 *
 * A cgroup drives a struct consumer (consumer.h) it borrows: it shares the consumer's
 * network client, assigns and unassigns the consumer's partitions as the group decides,
 * seeks each newly assigned partition to its committed offset (auto.offset.reset when
 * none), and commits the consumer's positions: a position is the offset after the last
 * record handed to the application, so a commit never covers a record not consumed.
 *
 * States (cgroup_state): UNJOINED -> PREPARING (onJoinPrepare: with auto commit the
 * positions are committed first; eager: every partition revoked) -> JOINING (JoinGroup,
 * again at once after MEMBER_ID_REQUIRED) -> SYNCING (the leader runs the assignor) ->
 * FETCHING_OFFSETS (OffsetFetch for the new partitions) -> STABLE (heartbeats, auto
 * commits). REBALANCE_IN_PROGRESS sends a member back to PREPARING with its id and
 * generation; UNKNOWN_MEMBER_ID and ILLEGAL_GENERATION fence it (partitions lost,
 * generation reset, UNJOINED). Apart from the state, the coordinator is known or not:
 * NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, a broken connection or no heartbeat
 * answer within session.timeout.ms forget it, and FindCoordinator runs before the next
 * group request (membership is kept). COORDINATOR_LOAD_IN_PROGRESS and other retriable
 * errors retry after retry.backoff.ms. LEAVING: max.poll.interval.ms passed without
 * cgroup_poll, the member left (partitions lost) until the next poll. CLOSED after
 * cgroup_close; FAILED on FENCED_INSTANCE_ID. With cooperative-sticky (every assignor
 * cooperative, KIP-429) nothing is revoked before the join: partitions taken away are
 * committed, revoked after SyncGroup, and a second rebalance hands them out.
 *
 * Every group event is traced ("group.client"): joins, generations, assignments,
 * revocations, commits; the optional observer gets them as structs for checkers.
 *
 * Ownership: a cgroup owns its state and its timers; it borrows the consumer, which
 * must outlive it. No global state.
 */
#ifndef KS_CLIENT_CGROUP_H
#define KS_CLIENT_CGROUP_H

#include "consumer.h"
#include "system/group/assignor.h"

#define CGROUP_GROUP_ID_BYTES_MAX 249u
#define CGROUP_MEMBER_ID_BYTES_MAX 255u
#define CGROUP_ASSIGNORS_MAX 4u
#define CGROUP_TOPICS_MAX 64u
#define CGROUP_PARTS_MAX CONSUMER_PARTS_MAX
#define CGROUP_GENERATION_NONE (-1)
/* Requests of one member in flight: one group request, a heartbeat, commits, a leave. */
#define CGROUP_REQUESTS_MAX (2u * CNET_INFLIGHT_MAX)

enum cgroup_state {
    CGROUP_UNJOINED,
    CGROUP_PREPARING,
    CGROUP_JOINING,
    CGROUP_SYNCING,
    CGROUP_FETCHING_OFFSETS,
    CGROUP_STABLE,
    CGROUP_LEAVING,
    CGROUP_CLOSED,
    CGROUP_FAILED,
};
const char *cgroup_state_name(enum cgroup_state state);

/* What the application and checkers hear about. */
enum cgroup_event_kind {
    CGROUP_EVENT_ASSIGNED,  /* onPartitionsAssigned: partitions added to this member */
    CGROUP_EVENT_REVOKED,   /* onPartitionsRevoked: given up, positions committed first */
    CGROUP_EVENT_LOST,      /* onPartitionsLost: taken away without a commit */
    CGROUP_EVENT_COMMITTED, /* an offset commit acknowledged (offset of partition) */
    CGROUP_EVENT_RESUMED,   /* a new partition starts at its committed offset (-1: none) */
};

struct cgroup_event {
    enum cgroup_event_kind kind;
    int32_t generation;
    const char *member_id;
    const char *topic;
    int32_t partition;
    int64_t offset; /* COMMITTED, RESUMED; -1 otherwise */
};

typedef void (*cgroup_event_fn)(void *ctx, const struct cgroup_event *event);

struct cgroup_config {
    char group_id[CGROUP_GROUP_ID_BYTES_MAX + 1];
    char group_instance_id[CGROUP_MEMBER_ID_BYTES_MAX + 1]; /* "" none (dynamic member) */
    int32_t session_timeout_ms;                             /* session.timeout.ms, 45000 */
    int32_t heartbeat_interval_ms;                          /* heartbeat.interval.ms, 3000 */
    int32_t max_poll_interval_ms;    /* max.poll.interval.ms, 300000 (the rebalance timeout) */
    bool enable_auto_commit;         /* enable.auto.commit, true */
    int32_t auto_commit_interval_ms; /* auto.commit.interval.ms, 5000 */
    uint32_t retry_backoff_ms;       /* retry.backoff.ms, 100 */
    enum assignor_kind assignors[CGROUP_ASSIGNORS_MAX]; /* partition.assignment.strategy */
    uint32_t assignor_count;                            /* default range, cooperative-sticky */
};

struct cgroup_tp {
    char topic[CNET_TOPIC_BYTES_MAX + 1];
    int32_t partition;
};

struct cgroup_req;

struct cgroup {
    struct env *env;
    struct cgroup_config config;
    struct consumer *consumer; /* borrowed */
    enum cgroup_state state;
    bool cooperative; /* every assignor cooperative: KIP-429 */
    char topics[CGROUP_TOPICS_MAX][CNET_TOPIC_BYTES_MAX + 1]; /* subscription, sorted */
    uint32_t topic_count;
    int32_t coordinator;         /* cnet node id, CNET_NO_NODE while unknown */
    bool coordinator_connecting; /* a connection attempt to it is under way */
    char member_id[CGROUP_MEMBER_ID_BYTES_MAX + 1];
    int32_t generation;
    bool leader;
    enum assignor_kind protocol; /* chosen by the coordinator */
    struct cgroup_tp *owned;     /* the current (eager: the last) assignment, sorted */
    int64_t *owned_committed;    /* per owned partition: the last offset committed, -1 */
    uint32_t owned_count;
    bool revoked_all;           /* owned is the last assignment, no longer held (eager, lost) */
    struct cgroup_tp *fetching; /* new partitions waiting for their committed offsets */
    uint32_t fetching_count;
    bool rejoin_needed;       /* after a cooperative revocation */
    bool prepare_committed;   /* onJoinPrepare's commit went out */
    bool in_flight;           /* a group request (find, join, sync, fetch) is out */
    bool heartbeat_in_flight; /* at most one */
    uint32_t commits_in_flight;
    uint64_t request_seq;                         /* answers to an older request are ignored */
    struct cgroup_req *reqs[CGROUP_REQUESTS_MAX]; /* in flight, freed by cgroup_destroy */
    uint32_t req_count;
    env_timer_id timer; /* the next step: retry, heartbeat, auto commit, poll check */
    uint64_t timer_at_ns;
    uint64_t last_heartbeat_ok_ns;
    uint64_t next_heartbeat_ns;
    uint64_t next_auto_commit_ns;
    uint64_t last_poll_ns;
    uint64_t retry_at_ns;
    cgroup_event_fn event_fn;
    void *event_ctx;
    /* counters */
    uint64_t joins;
    uint64_t rebalances; /* generations joined */
    uint64_t commits_ok;
    uint64_t commits_failed;
    uint64_t heartbeats;
};

/* Reads the group's settings (Kafka's names, above). KS_ERR_INVALID_CONFIG on a bad
 * value or a missing group.id. */
KS_MUST_CHECK enum ks_err cgroup_config_from_props(const struct props *props,
                                                   struct cgroup_config *out);

/* A member of config's group for the consumer; it joins once subscribed. */
struct cgroup *cgroup_create(struct env *env, const struct props *config, struct consumer *consumer,
                             cgroup_event_fn event_fn, void *event_ctx, enum ks_err *err_out);
/* Clean close (KafkaConsumer.close): commits with auto commit, leaves the group. What
 * is sent is not waited for; the consumer can be closed right after. */
void cgroup_close(struct cgroup *g);
/* Frees memory only (after cgroup_close, or after a crash), with the requests still in
 * flight: the consumer's network client must not call back any more (closed or
 * destroyed, or destroyed right after). */
void cgroup_destroy(struct cgroup *g);

/* KafkaConsumer.subscribe: adds a topic. Errors: KS_ERR_TOO_MANY, KS_ERR_INVALID. */
KS_MUST_CHECK enum ks_err cgroup_subscribe(struct cgroup *g, const char *topic);
/* The application polled (KafkaConsumer.poll): resets the max.poll.interval.ms clock and
 * rejoins after a poll timeout. */
void cgroup_poll(struct cgroup *g);
/* KafkaConsumer.commitAsync of the current positions of owned partitions. */
void cgroup_commit(struct cgroup *g);
/* Whether the member owns the partition now. */
bool cgroup_owns(const struct cgroup *g, const char *topic, int32_t partition);
/* Whether the partition is in the member's assignment of its current generation (owned,
 * or waiting for its committed offset). */
bool cgroup_assigned(const struct cgroup *g, const char *topic, int32_t partition);

#endif
