/*
 * bgroup.h: the group coordinator hosted on a broker: the request handlers of the group
 * APIs (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
 * OffsetFetch, DescribeGroups, ListGroups, DeleteGroups) as rows of the request server's
 * table (system/server/srv.h), each decoding its body, calling the gcoord_* handler and
 * encoding the answer at the request's version. Kafka: KafkaApis.handleFindCoordinatorRequest,
 * handleJoinGroupRequest, ..., GroupCoordinator hosted by BrokerServer,
 * GroupMetadataManager.partitionFor.
 *
 * The broker supplies the two things a coordinator needs from it (struct bgroup_host):
 * where the records of __consumer_offsets go (a struct gcoord_log: appended to the
 * partition this broker leads, answered once the high watermark passes them, i.e.
 * acks=all), and who leads a partition of __consumer_offsets (for FindCoordinator; the
 * host may create the topic on first use, as Kafka's auto creation of internal topics
 * does, answering COORDINATOR_NOT_AVAILABLE meanwhile). Leadership changes of
 * __consumer_offsets partitions reach the coordinator through bgroup_become_leader and
 * bgroup_resign (gcoord_load and gcoord_unload).
 *
 * Ownership: a bgroup owns its coordinator; the host and its log are borrowed. Requests
 * the coordinator holds (a JoinGroup waiting for the join phase) are answered through
 * srv; bgroup_free must come before srv_free. No global state.
 */
#ifndef KS_BROKER_BGROUP_H
#define KS_BROKER_BGROUP_H

#include "system/group/gcoord.h"
#include "system/server/srv.h"

/* Rows bgroup_handlers writes. */
#define BGROUP_HANDLERS_COUNT 10u
/* The internal topic of offsets and group metadata. */
#define BGROUP_OFFSETS_TOPIC "__consumer_offsets"
/* loaded_epochs of a partition this broker does not lead (leader epochs may be -1). */
#define BGROUP_NOT_LOADED INT32_MIN

struct bgroup_host {
    struct gcoord_log *log;        /* borrowed */
    gcoord_leader_of_fn leader_of; /* __consumer_offsets partition -> leader */
    void *leader_ctx;
};

struct broker;
struct bgroup_reply;
struct bgroup_log; /* the broker's struct gcoord_log: appends through the replica manager */

struct bgroup {
    struct env *env;
    struct gcoord_config config;
    struct bgroup_host host;
    struct gcoord *coord;         /* owned */
    uint64_t requests;            /* handled, for tests */
    struct bgroup_reply *replies; /* requests with the coordinator, newest first */
    uint32_t reply_count;
    /* Hosted by a broker (bgroup_attach); NULL/unused otherwise. */
    struct broker *broker;  /* borrowed */
    struct bgroup_log *log; /* owned */
    int32_t *loaded_epochs; /* per __consumer_offsets partition: epoch loaded, or NOT_LOADED */
    bool create_requested;  /* __consumer_offsets auto creation asked for */
};

/* Creates the hosted coordinator, owning no partition yet. */
struct bgroup *bgroup_create(struct env *env, const struct gcoord_config *config,
                             const struct bgroup_host *host);
/* Clean stop: the coordinator's timers are cancelled; waiting requests stay unanswered
 * (srv drops them with their connections). */
void bgroup_stop(struct bgroup *g);
/* Frees memory only (after bgroup_stop, or after a crash). */
void bgroup_free(struct bgroup *g);

/* Writes the handler rows (BGROUP_HANDLERS_COUNT) into out; returns the count. */
uint32_t bgroup_handlers(struct bgroup *g, struct srv_handler *out, uint32_t out_capacity);

/*
 * The coordinator of a broker: records go to __consumer_offsets-N through the broker's
 * replica manager as a Produce with acks=all (answered once the high watermark passes
 * them, or with NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT after offsets.commit.timeout.ms,
 * NOT_LEADER_OR_FOLLOWER, ...); FindCoordinator answers from the broker's metadata
 * image, asking the broker's auto creation hook for __consumer_offsets when it is
 * missing (COORDINATOR_NOT_AVAILABLE meanwhile). The rows are added to broker_srv.
 * Reads group.* and offsets.* (gcoord_config_from_props). NULL on a bad config.
 */
struct bgroup *bgroup_attach(struct broker *b, const struct props *config);
/* After every metadata image the broker applied: loads the __consumer_offsets
 * partitions this broker now leads (a new leader epoch reloads) and unloads those it
 * no longer leads. */
void bgroup_on_image(struct bgroup *g);

/* This broker leads __consumer_offsets-partition now: load its groups from log (NULL:
 * an empty partition) up to end_offset. Meanwhile COORDINATOR_LOAD_IN_PROGRESS. */
void bgroup_become_leader(struct bgroup *g, int32_t partition, int32_t leader_epoch,
                          struct plog *log, int64_t end_offset);
/* This broker no longer leads it: its groups are dropped (NOT_COORDINATOR). */
void bgroup_resign(struct bgroup *g, int32_t partition);

#endif
