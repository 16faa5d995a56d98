/*
 * balter.h: the broker's AlterPartition client (Kafka's AlterPartitionManager). The
 * replica manager proposes a leader's ISR change (rmgr_alter_partition_fn); balter
 * sends it to the active controller over a raft_net (or hands it to a local active
 * controller through the local hook) and gives the answer back with
 * rmgr_alter_partition_response from a zero-delay timer, never inside rmgr's call.
 *
 * Where it goes: the controller the node heard of (the controller hook: bmeta's leader
 * on a broker, the Raft leader on a combined node), else, after NOT_CONTROLLER or a
 * failed send, the next voter in turn. The request carries the broker epoch the
 * broker_epoch hook gives (blife's). An answer that never comes ends as a net failure
 * (REQUEST_TIMED_OUT to rmgr), after which rmgr proposes again.
 *
 * The node's net handler routes API_ALTER_PARTITION responses and failures here
 * (balter_on_response, balter_on_failure). Deterministic: env.h only.
 *
 * Ownership: a balter borrows env, net, quorum and rmgr for its life (until
 * balter_stop); it owns its slots. No global state.
 */
#ifndef KS_BROKER_BALTER_H
#define KS_BROKER_BALTER_H

#include "rmgr.h"
#include "system/raft/raft_config.h"
#include "system/raft/raft_net.h"

#define BALTER_ALTER_PARTITION_VERSION 3
/* AlterPartition requests in flight at once (one per led partition at most). */
#define BALTER_SLOTS_MAX 2048u

struct balter;
/* One AlterPartition a local controller is answering (see balter_hooks.local). */
struct balter_call;

struct balter_hooks {
    /* The active controller the node heard of, or -1. */
    int32_t (*controller)(void *ctx);
    /* The broker epoch to send (-1 before registration). */
    int64_t (*broker_epoch)(void *ctx);
    /* NULL, or: true when a local active controller took the change; it then answers
     * with balter_call_answer(call, ...) exactly once (possibly inside this call). */
    bool (*local)(void *ctx, const struct pchange_alter *alter, int64_t broker_epoch,
                  struct balter_call *call);
    void *ctx;
};

/* net may be NULL (no remote controller: every change is answered NOT_CONTROLLER
 * unless local takes it). */
struct balter *balter_create(struct env *env, int32_t node_id, struct raft_net *net,
                             const struct raft_config *quorum, struct rmgr *rmgr,
                             const struct balter_hooks *hooks);
/* Ends delivery: no more calls into rmgr. */
void balter_stop(struct balter *a);
/* Memory only (a crashed node is freed without balter_stop). NULL: nothing. */
void balter_free(struct balter *a);

/* rmgr's alter_partition seam (ctx: the struct balter *). */
void balter_alter(void *ctx, const struct pchange_alter *alter);

/* A local controller's answer; state NULL when it has none. */
void balter_call_answer(struct balter_call *call, enum ks_err err,
                        const struct mimage_partition *state);

/* From the node's net handler, for api_key API_ALTER_PARTITION. */
void balter_on_response(struct balter *a, int32_t peer_id, uint64_t cookie, const uint8_t *body,
                        uint32_t size_bytes);
void balter_on_failure(struct balter *a, int32_t peer_id, uint64_t cookie);

/* Changes sent to a remote controller and answered OK, for tests. */
uint64_t balter_accepted(const struct balter *a);

#endif
