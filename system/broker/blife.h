/*
 * blife.h: the broker's side of its session with the controller quorum. Kafka:
 * BrokerLifecycleManager (KIP-631): BrokerRegistration with a new incarnation id per
 * start, BrokerHeartbeat every broker.heartbeat.interval.ms carrying the metadata
 * offset applied, WantFence until the broker has applied its own registration record,
 * controlled shutdown with WantShutDown.
 *
 * States (BrokerState): STARTING (registering, retried with doubling backoff) ->
 * RECOVERY (registered, fenced, catching up) -> RUNNING (the controller unfenced it)
 * -> PENDING_CONTROLLED_SHUTDOWN -> SHUTTING_DOWN (the controller said ShouldShutDown,
 * or the bound passed). RUNNING goes back to RECOVERY when a heartbeat answer says the
 * broker is fenced (its session expired); STALE_BROKER_EPOCH or
 * BROKER_ID_NOT_REGISTERED go back to STARTING (register again). NOT_CONTROLLER moves
 * on to the next voter (or the leader the metadata fetcher heard of).
 *
 * Requests go through the caller's raft_net (shared with bmeta), which routes
 * BrokerRegistration and BrokerHeartbeat answers and failures here.
 */
#ifndef KS_BROKER_BLIFE_H
#define KS_BROKER_BLIFE_H

#include "bmeta.h"

#define BLIFE_HEARTBEAT_INTERVAL_MS_DEFAULT 2000
#define BLIFE_SESSION_TIMEOUT_MS_DEFAULT 9000
#define BLIFE_REGISTRATION_BACKOFF_MS_MIN 100u
#define BLIFE_REGISTRATION_BACKOFF_MS_MAX 2000u
/* A request unanswered this long is abandoned and the next controller tried. */
#define BLIFE_REQUEST_TIMEOUT_MS 2000u
#define BLIFE_HOST_BYTES_MAX 64u
#define BLIFE_RACK_BYTES_MAX 64u
#define BLIFE_CLUSTER_ID_BYTES_MAX 64u
#define BLIFE_REGISTRATION_VERSION 3
#define BLIFE_HEARTBEAT_VERSION 1

enum blife_state {
    BLIFE_STARTING,
    BLIFE_RECOVERY,
    BLIFE_RUNNING,
    BLIFE_PENDING_CONTROLLED_SHUTDOWN,
    BLIFE_SHUTTING_DOWN,
    BLIFE_STATE_COUNT,
};

struct blife_config {
    int32_t broker_id;
    char host[BLIFE_HOST_BYTES_MAX]; /* advertised listener host (the node name) */
    uint16_t port;
    char rack[BLIFE_RACK_BYTES_MAX]; /* empty: none */
    char cluster_id[BLIFE_CLUSTER_ID_BYTES_MAX];
    uint32_t heartbeat_interval_ms;
};

struct blife {
    struct env *env;
    struct raft_net *net;
    const struct raft_config *quorum;
    struct bmeta *meta; /* for the applied offset and the leader it heard of */
    struct blife_config config;
    enum blife_state state;
    struct wire_uuid incarnation_id;
    int64_t broker_epoch;  /* -1 until registered */
    bool fenced;           /* as the controller last said */
    int32_t controller_id; /* where requests go; -1: pick */
    uint32_t voter_cursor;
    bool inflight;
    int16_t inflight_api;
    uint64_t request_id; /* cookie of the request in flight */
    uint64_t sent_ns;
    uint32_t backoff_ms;
    uint64_t next_ns;
    env_timer_id timer;
    uint64_t registrations; /* answered OK */
    uint64_t heartbeats;    /* answered OK */
};

/* Starts registering at once. Borrows env, net, quorum and meta; copies config. */
struct blife *blife_create(struct env *env, struct raft_net *net, const struct raft_config *quorum,
                           struct bmeta *meta, const struct blife_config *config);
/* Asks the controller for a controlled shutdown (WantShutDown). */
void blife_begin_controlled_shutdown(struct blife *l);
/* Whether a controlled shutdown may finish: the controller said ShouldShutDown, or
 * the broker never registered. */
bool blife_shutdown_ready(const struct blife *l);
/* Cancels the timer; nothing more is sent. */
void blife_stop(struct blife *l);
void blife_free(struct blife *l);

void blife_on_response(struct blife *l, int32_t peer_id, int16_t api_key, uint64_t cookie,
                       const uint8_t *body, uint32_t size_bytes);
void blife_on_failure(struct blife *l, int32_t peer_id, uint64_t cookie);

const char *blife_state_name(enum blife_state state);

#endif
