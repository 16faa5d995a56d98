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

struct bgroup_host {
    struct gcoord_log *log;        /* borrowed */
    gcoord_leader_of_fn leader_of; /* __consumer_offsets partition -> leader */
    void *leader_ctx;
};

struct bgroup {
    struct env *env;
    struct gcoord_config config;
    struct bgroup_host host;
    struct gcoord *coord; /* owned */
    uint64_t requests;    /* handled, for tests */
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

/* This broker leads __consumer_offsets-partition now: load its groups from log (NULL:
 * an empty partition) up to end_offset. Meanwhile COORDINATOR_LOAD_IN_PROGRESS. */
void bgroup_become_leader(struct bgroup *g, int32_t partition, int32_t leader_epoch,
                          struct plog *log, int64_t end_offset);
/* This broker no longer leads it: its groups are dropped (NOT_COORDINATOR). */
void bgroup_resign(struct bgroup *g, int32_t partition);

#endif
