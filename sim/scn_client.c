/*
 * scn_client.c: client node kinds, the `workload` verb and the history checker's
 * invariants, see scn_client.h. Kafka has no such thing: the harness's Jepsen-like
 * view of KafkaProducer and KafkaConsumer and of the replicas' logs.
 */
#include "scn_client.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../system/broker/broker.h"
#include "../system/client/cnode.h"
#include "kcheck.h"
#include "nodes_broker.h"
#include "nodes_client.h"
#include "runner.h"

#define SCN_CLIENT_WHY_BYTES 512u

/* ---- Helpers ---------------------------------------------------------------------- */

static bool scn_client_is_client(const struct world *world, int node)
{
    const struct world_node_type *type = world_node_type_of(world, node);
    return type == &nodes_client_producer_type || type == &nodes_client_consumer_type;
}

/* The running broker's replica manager, or NULL. */
static struct rmgr *scn_client_rmgr(struct world *world, int node)
{
    if (world_node_state_of(world, node) != WORLD_NODE_RUNNING)
        return NULL;
    struct broker *b = nodes_broker_of(world, node);
    return b == NULL ? NULL : b->rmgr;
}

/* ---- The verb `workload` ------------------------------------------------------------ */

struct workload_args {
    bool start; /* else stop */
    struct scn_node_set nodes;
};

static bool workload_parse(struct scn_parser *parser, void **args_out)
{
    struct scn_token action;
    if (!scn_next(parser, "'start' or 'stop'", &action))
        return false;
    bool start = strcmp(action.text, "start") == 0;
    if (!start && strcmp(action.text, "stop") != 0)
        return scn_fail(parser, &action, "expected 'start' or 'stop'");
    struct workload_args *args = ks_alloc(sizeof(*args));
    args->start = start;
    if (!scn_nodes(parser, &args->nodes) || !scn_end(parser)) {
        free(args);
        return false;
    }
    *args_out = args;
    return true;
}

static void workload_one(struct world *world, int node, bool start)
{
    struct cnode *n = world_node_impl(world, node);
    if (world_node_type_of(world, node) != &nodes_client_producer_type ||
        world_node_state_of(world, node) != WORLD_NODE_RUNNING || n == NULL) {
        world_tracef(world, node, "client.skipped", "workload %s: not a running producer node",
                     start ? "start" : "stop");
        return;
    }
    if (start)
        cnode_workload_start(n);
    else
        cnode_workload_stop(n);
    world_tracef(world, node, "client.workload", "%s", start ? "start" : "stop");
}

static void workload_exec(struct runner_exec *exec, const void *raw)
{
    const struct workload_args *args = raw;
    struct world *world = runner_exec_world(exec);
    uint32_t count = args->nodes.all ? world_node_count(world) : args->nodes.count;
    KS_ASSERT(count <= WORLD_NODES_MAX);
    for (uint32_t i = 0; i < count; i++) {
        int node = args->nodes.all ? (int)i : (int)args->nodes.ids[i];
        if (!args->nodes.all || world_node_type_of(world, node) == &nodes_client_producer_type)
            workload_one(world, node, args->start);
    }
}

static const struct scn_verb scn_client_verbs[] = {
    {"workload", "workload start|stop NODES", SCN_VERB_BARE | SCN_VERB_TIMED, workload_parse,
     workload_exec, NULL},
};

/* ---- kcheck_history ----------------------------------------------------------------- */

struct history_state {
    struct history *history;
    uint32_t incarnation[WORLD_NODES_MAX]; /* of the client node the history went to */
};

static void *history_create_state(struct world *world)
{
    (void)world;
    struct history_state *s = ks_alloc(sizeof(*s));
    s->history = history_create();
    return s;
}

static void history_destroy_state(void *state)
{
    struct history_state *s = state;
    history_free(s->history);
    free(s);
}

/* Every client node that started (or restarted) since the last event gets the history
 * before it sends or reads anything: its first work is a later event. */
static void history_check_event(void *state, struct inv_check *check)
{
    struct history_state *s = state;
    struct world *world = inv_check_world(check);
    uint32_t count = world_node_count(world);
    KS_ASSERT(count <= WORLD_NODES_MAX);
    for (uint32_t i = 0; i < count; i++) {
        int node = (int)i;
        if (!scn_client_is_client(world, node) ||
            world_node_state_of(world, node) != WORLD_NODE_RUNNING)
            continue;
        uint32_t inc = world_node_incarnation(world, node);
        void *impl = world_node_impl(world, node);
        if (s->incarnation[i] == inc || impl == NULL)
            continue;
        cnode_set_history(impl, s->history);
        s->incarnation[i] = inc;
    }
}

/* Adds every replica of the running brokers, in node order, as their images see it. */
static void history_add_replicas(struct kcheck *ck, struct world *world, struct inv_check *check)
{
    uint32_t count = world_node_count(world);
    for (uint32_t i = 0; i < count; i++) {
        struct rmgr *r = scn_client_rmgr(world, (int)i);
        struct broker *b = r == NULL ? NULL : nodes_broker_of(world, (int)i);
        const struct mimage *img = b == NULL ? NULL : bmeta_image(b->meta);
        for (uint32_t j = 0; img != NULL && j < r->part_count; j++) {
            struct part *p = r->parts[j];
            const struct mimage_topic *t = mimage_topic_find_name(img, p->topic, strlen(p->topic));
            if (t == NULL || (uint32_t)p->partition >= t->partition_count)
                continue;
            const struct mimage_partition *state = &t->partitions[p->partition];
            bool in_isr = mimage_partition_in_isr(state, p->broker_id);
            if (kcheck_add_replica(ck, p, in_isr, state->leader == p->broker_id) != KS_OK)
                inv_check_report(check, (int)i, "kcheck could not read %s-%d", p->topic,
                                 p->partition);
        }
    }
}

static void history_trace_summary(const struct kcheck *ck, struct world *world)
{
    world_tracef(world, -1, "kcheck.summary",
                 "sent %" PRIu64 " acknowledged %" PRIu64 " failed %" PRIu64 " received %" PRIu64,
                 ck->sent, ck->acked, ck->failed, ck->received);
    for (uint32_t k = 0; k < KCHECK_KIND_COUNT; k++)
        world_tracef(world, -1, "kcheck.summary", "%s violations %" PRIu64 " allowed %" PRIu64,
                     kcheck_kind_name((enum kcheck_kind)k), ck->violation_count[k],
                     ck->allowed_count[k]);
}

static void history_check_end(void *state, struct inv_check *check)
{
    struct history_state *s = state;
    struct world *world = inv_check_world(check);
    struct kcheck *ck = kcheck_create(s->history);
    history_add_replicas(ck, world, check);
    uint64_t violations = kcheck_run(ck);
    history_trace_summary(ck, world);
    for (uint64_t i = 0; i < ck->kept; i++)
        inv_check_report(check, -1, "%s: %s", kcheck_kind_name(ck->violations[i].kind),
                         ck->violations[i].text);
    if (violations > ck->kept)
        inv_check_report(check, -1, "and %" PRIu64 " more violations", violations - ck->kept);
    kcheck_free(ck);
}

static const struct inv_def scn_client_inv_history = {
    .name = "kcheck_history",
    .summary = "the clients' history against the brokers' logs (kcheck): no acknowledged acks=all "
               "write lost, no idempotent duplicate, consumers in order below the high watermark",
    .create = history_create_state,
    .destroy = history_destroy_state,
    .check_event = history_check_event,
    .check_end = history_check_end,
};

/* ---- kcheck_hw_monotonic ------------------------------------------------------------ */

static void *hw_create_state(struct world *world)
{
    (void)world;
    struct kcheck_hw_watch *w = ks_alloc(sizeof(*w));
    kcheck_hw_watch_init(w);
    return w;
}

static void hw_destroy_state(void *state)
{
    kcheck_hw_watch_free(state);
    free(state);
}

static void hw_check_event(void *state, struct inv_check *check)
{
    struct kcheck_hw_watch *w = state;
    struct world *world = inv_check_world(check);
    uint32_t count = world_node_count(world);
    char why[SCN_CLIENT_WHY_BYTES];
    for (uint32_t i = 0; i < count; i++) {
        struct rmgr *r = scn_client_rmgr(world, (int)i);
        uint32_t inc = world_node_incarnation(world, (int)i);
        for (uint32_t j = 0; r != NULL && j < r->part_count; j++) {
            if (!kcheck_hw_watch_observe(w, r->parts[j], inc, world_now_ns(world), why,
                                         sizeof(why)))
                inv_check_report(check, (int)i, "%s", why);
        }
    }
}

static const struct inv_def scn_client_inv_hw_monotonic = {
    .name = "kcheck_hw_monotonic",
    .summary = "a leader's high watermark never moves back within a leader epoch",
    .create = hw_create_state,
    .destroy = hw_destroy_state,
    .check_event = hw_check_event,
};

/* ---- kcheck_replicas_agree ---------------------------------------------------------- */

/* Whether a broker before index has the partition (checked there already). */
static bool agree_seen(struct rmgr *const *rmgrs, uint32_t index, const struct part *p)
{
    for (uint32_t i = 0; i < index; i++) {
        if (rmgrs[i] != NULL && rmgr_part(rmgrs[i], p->topic, p->partition) != NULL)
            return true;
    }
    return false;
}

static void agree_check_end(void *state, struct inv_check *check)
{
    (void)state;
    struct world *world = inv_check_world(check);
    uint32_t count = world_node_count(world);
    struct rmgr *rmgrs[WORLD_NODES_MAX];
    KS_ASSERT(count <= WORLD_NODES_MAX);
    for (uint32_t i = 0; i < count; i++)
        rmgrs[i] = scn_client_rmgr(world, (int)i);
    char why[SCN_CLIENT_WHY_BYTES];
    for (uint32_t i = 0; i < count; i++) {
        for (uint32_t j = 0; rmgrs[i] != NULL && j < rmgrs[i]->part_count; j++) {
            const struct part *p = rmgrs[i]->parts[j];
            if (agree_seen(rmgrs, i, p))
                continue;
            if (!rmgr_check_replicas_agree(rmgrs, count, p->topic, p->partition, why, sizeof(why)))
                inv_check_report(check, -1, "%s (end of run)", why);
        }
    }
}

static const struct inv_def scn_client_inv_replicas_agree = {
    .name = "kcheck_replicas_agree",
    .summary = "at the end, the running replicas of a partition hold identical batches below "
               "their high watermarks (byte for byte)",
    .check_end = agree_check_end,
};

/* ---- The module --------------------------------------------------------------------- */

static const struct scn_node_kind scn_client_kinds[] = {
    {"producer", &nodes_client_producer_type,
     "a producer with a workload: bootstrap.servers, acks, enable.idempotence, linger.ms, "
     "batch.size, retries, delivery.timeout.ms, max.in.flight.requests.per.connection; "
     "workload.topic (orders), workload.rate (100/s), workload.keys (0: null keys), "
     "workload.count (0: no cap)",
     NULL, 0},
    {"consumer", &nodes_client_consumer_type,
     "a consumer reading partitions 0..workload.partitions-1 of workload.topic by manual "
     "assignment: bootstrap.servers, auto.offset.reset, fetch.max.wait.ms, fetch.min.bytes",
     NULL, 0},
};

static const struct inv_def *const scn_client_invariants[] = {
    &scn_client_inv_history,
    &scn_client_inv_hw_monotonic,
    &scn_client_inv_replicas_agree,
};

const struct scn_module scn_client_module = {
    .name = "client",
    .verbs = scn_client_verbs,
    .verb_count = KS_ARRAY_COUNT(scn_client_verbs),
    .node_kinds = scn_client_kinds,
    .node_kind_count = KS_ARRAY_COUNT(scn_client_kinds),
    .invariants = scn_client_invariants,
    .invariant_count = KS_ARRAY_COUNT(scn_client_invariants),
};
