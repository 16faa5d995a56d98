/*
 * balter.c: the AlterPartition client, see balter.h. Kafka: AlterPartitionManager
 * (DefaultAlterPartitionManager), ControllerNodeProvider.
 */
#include "balter.h"

#include <stdlib.h>
#include <string.h>

#include "system/proto/api.h"
#include "system/proto/api_alter_partition.h"

/* A change on its way to the controller (a slot; cookie = index + 1). */
struct balter_call {
    bool used;
    struct balter *owner;
    struct wire_uuid topic_id;
    int32_t partition;
    bool answered; /* waiting for the delivery timer */
    enum ks_err err;
    bool has_state;
    struct mimage_partition state;
};

struct balter {
    struct env *env;
    int32_t node_id;
    struct raft_net *net;
    const struct raft_config *quorum;
    struct rmgr *rmgr;
    struct balter_hooks hooks;
    bool stopped;
    bool skip_hint;        /* after NOT_CONTROLLER or a failure: the next voter */
    uint32_t voter_cursor; /* next voter in turn */
    uint64_t accepted;
    env_timer_id timer; /* delivers answered calls, never inside rmgr's call */
    struct balter_call calls[BALTER_SLOTS_MAX];
};

struct balter *balter_create(struct env *env, int32_t node_id, struct raft_net *net,
                             const struct raft_config *quorum, struct rmgr *rmgr,
                             const struct balter_hooks *hooks)
{
    KS_ASSERT(quorum != NULL && quorum->voter_count > 0);
    struct balter *a = ks_alloc(sizeof(*a));
    a->env = env;
    a->node_id = node_id;
    a->net = net;
    a->quorum = quorum;
    a->rmgr = rmgr;
    a->hooks = *hooks;
    a->voter_cursor = (uint32_t)node_id % quorum->voter_count; /* no draw: seeds keep */
    return a;
}

void balter_stop(struct balter *a)
{
    if (a == NULL)
        return;
    a->stopped = true;
    if (a->timer != 0)
        env_timer_cancel(a->env, a->timer);
    a->timer = 0;
}

void balter_free(struct balter *a)
{
    free(a); /* memory only: after a crash the node's timers are gone with it */
}

uint64_t balter_accepted(const struct balter *a)
{
    return a->accepted;
}

static uint32_t balter_slot(struct balter *a, const struct pchange_alter *alter)
{
    for (uint32_t i = 0; i < BALTER_SLOTS_MAX; i++) {
        if (!a->calls[i].used) {
            memset(&a->calls[i], 0, sizeof(a->calls[i]));
            a->calls[i].used = true;
            a->calls[i].owner = a;
            a->calls[i].topic_id = alter->topic_id;
            a->calls[i].partition = alter->partition_id;
            return i;
        }
    }
    return BALTER_SLOTS_MAX;
}

/* Hands the answered calls to the replica manager and frees their slots. */
static void balter_deliver(void *ctx)
{
    struct balter *a = ctx;
    a->timer = 0;
    for (uint32_t i = 0; i < BALTER_SLOTS_MAX; i++) {
        struct balter_call *c = &a->calls[i];
        if (!c->used || !c->answered)
            continue;
        c->used = false;
        if (!a->stopped)
            rmgr_alter_partition_response(a->rmgr, &c->topic_id, c->partition, c->err,
                                          c->has_state ? &c->state : NULL);
    }
}

void balter_call_answer(struct balter_call *c, enum ks_err err,
                        const struct mimage_partition *state)
{
    struct balter *a = c->owner;
    KS_ASSERT(c->used);
    KS_ASSERT(!c->answered);
    c->answered = true;
    c->err = err;
    c->has_state = state != NULL;
    if (state != NULL)
        c->state = *state;
    if (a->timer == 0 && !a->stopped)
        a->timer = env_timer_start(a->env, 0, balter_deliver, a);
}

/* The controller to send to: the one heard of, else (or after a miss) the next voter. */
static int32_t balter_target(struct balter *a)
{
    int32_t id = a->skip_hint ? -1 : a->hooks.controller(a->hooks.ctx);
    a->skip_hint = false;
    if (id < 0 || id == a->node_id || raft_config_voter_index(a->quorum, id) < 0) {
        for (uint32_t n = 0; n < a->quorum->voter_count; n++) {
            id = a->quorum->voters[a->voter_cursor++ % a->quorum->voter_count].id;
            if (id != a->node_id)
                return id;
        }
        return -1;
    }
    return id;
}

/* Sends the change to a remote controller; KS_OK when it went out. */
static enum ks_err balter_send(struct balter *a, const struct pchange_alter *alter,
                               int64_t broker_epoch, uint32_t slot)
{
    int32_t target = balter_target(a);
    if (target < 0)
        return KS_ERR_NOT_CONTROLLER;
    struct api_alter_partition_broker_state isr[MREC_REPLICAS_MAX];
    KS_ASSERT(alter->isr_count <= MREC_REPLICAS_MAX);
    for (uint32_t i = 0; i < alter->isr_count; i++)
        isr[i] =
            (struct api_alter_partition_broker_state){alter->isr[i], alter->isr_broker_epochs[i]};
    struct api_alter_partition_partition part = {
        alter->partition_id, alter->leader_epoch, alter->isr_count, isr, 0, alter->partition_epoch};
    struct api_alter_partition_topic topic = {wire_string_null(), alter->topic_id, 1, &part};
    struct api_alter_partition_request req = {a->node_id, broker_epoch, 1, &topic};
    struct wire_writer w;
    wire_writer_init(&w);
    api_alter_partition_request_encode(&w, BALTER_ALTER_PARTITION_VERSION, &req);
    enum ks_err err = raft_net_send(a->net, target, API_ALTER_PARTITION,
                                    BALTER_ALTER_PARTITION_VERSION, &w, slot + 1u);
    wire_writer_free(&w);
    if (err != KS_OK)
        a->skip_hint = true;
    return err;
}

void balter_alter(void *ctx, const struct pchange_alter *alter)
{
    struct balter *a = ctx;
    if (a->stopped)
        return;
    uint32_t slot = balter_slot(a, alter);
    if (slot == BALTER_SLOTS_MAX) { /* more than the partitions led here: never */
        env_logf(a->env, ENV_LOG_WARN, "[AlterPartitionManager id=%d] too many in flight",
                 a->node_id);
        return;
    }
    int64_t epoch = a->hooks.broker_epoch(a->hooks.ctx);
    if (a->hooks.local != NULL && a->hooks.local(a->hooks.ctx, alter, epoch, &a->calls[slot]))
        return;
    enum ks_err err = KS_ERR_NOT_CONTROLLER;
    if (a->net != NULL)
        err = balter_send(a, alter, epoch, slot);
    if (err != KS_OK)
        balter_call_answer(&a->calls[slot], err, NULL);
}

static struct balter_call *balter_waiting(struct balter *a, uint64_t cookie)
{
    if (a->stopped || cookie == 0 || cookie > BALTER_SLOTS_MAX || !a->calls[cookie - 1].used ||
        a->calls[cookie - 1].answered)
        return NULL;
    return &a->calls[cookie - 1];
}

void balter_on_failure(struct balter *a, int32_t peer_id, uint64_t cookie)
{
    (void)peer_id;
    struct balter_call *c = balter_waiting(a, cookie);
    if (c == NULL)
        return;
    a->skip_hint = true;
    balter_call_answer(c, KS_ERR_REQUEST_TIMED_OUT, NULL);
}

void balter_on_response(struct balter *a, int32_t peer_id, uint64_t cookie, const uint8_t *body,
                        uint32_t size_bytes)
{
    struct balter_call *c = balter_waiting(a, cookie);
    if (c == NULL)
        return;
    struct api_alter_partition_response r;
    if (body == NULL || api_alter_partition_response_decode(BALTER_ALTER_PARTITION_VERSION, body,
                                                            size_bytes, &r) != KS_OK) {
        balter_on_failure(a, peer_id, cookie);
        return;
    }
    enum ks_err err = (enum ks_err)r.error_code;
    struct mimage_partition state;
    memset(&state, 0, sizeof(state));
    bool found = false;
    for (uint32_t t = 0; t < r.topic_count && !found; t++) {
        for (uint32_t i = 0; i < r.topics[t].partition_count && !found; i++) {
            const struct api_alter_partition_partition_response *p = &r.topics[t].partitions[i];
            if (p->partition_index != c->partition || p->isr_count > MREC_REPLICAS_MAX)
                continue;
            found = true;
            err = err != KS_OK ? err : (enum ks_err)p->error_code;
            state.isr_count = p->isr_count;
            memcpy(state.isr, p->isr, p->isr_count * sizeof(state.isr[0]));
            state.leader = p->leader_id;
            state.leader_epoch = p->leader_epoch;
            state.partition_epoch = p->partition_epoch;
        }
    }
    api_alter_partition_response_free(&r);
    if (err == KS_ERR_NOT_CONTROLLER)
        a->skip_hint = true;
    else if (found && err == KS_OK)
        a->accepted++;
    balter_call_answer(c, found ? err : KS_ERR_UNKNOWN_TOPIC_OR_PARTITION, found ? &state : NULL);
}
