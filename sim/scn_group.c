/*
 * scn_group.c: consumer groups in scenarios, see scn_group.h.
 *
 * The node kind `group_consumer` is an application around KafkaConsumer in a group: it
 * subscribes to workload.topic (a comma-separated list), polls every
 * workload.poll.interval.ms (100), counts what it consumed, and keeps its group events
 * (commits acknowledged, partitions resumed) in a ring the checkers read after every
 * event. Everything else in its configuration goes to the consumer and the group
 * (bootstrap.servers, group.id, session.timeout.ms, heartbeat.interval.ms,
 * partition.assignment.strategy, enable.auto.commit, auto.commit.interval.ms, ...);
 * auto.offset.reset defaults to earliest, which group_committed_consumed relies on.
 *
 * The invariants, each with a bug switch that breaks it (system/bugs.h):
 *  - group_single_owner: the members of one generation of a group never hold the same
 *    partition (group_leader_double_assign).
 *  - group_offsets_monotonic: a committed offset in any coordinator's table never moves
 *    back (group_stale_generation_commit, with a zombie member).
 *  - group_acked_commits_survive: the coordinator serving a group has every commit it
 *    acknowledged (group_ack_before_append, with a coordinator crash).
 *  - group_committed_consumed: a committed offset never passes what the group's
 *    members consumed (group_commit_off_by_one).
 *  - group_resume_from_commit: a member takes over a partition at or after the last
 *    acknowledged commit (group_skip_offset_fetch).
 *  - group_rebalance_completes (liveness): in the liveness phase every running member
 *    becomes Stable and every partition of the subscribed topics is held by exactly one.
 */
#include "scn_group.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../system/broker/bgroup.h"
#include "../system/broker/broker.h"
#include "../system/client/cgroup.h"
#include "inv.h"
#include "nodes_broker.h"

#define SG_EVENTS_MAX 4096u    /* the ring of one node; checkers read it after each event */
#define SG_CONSUMED_MAX 256u   /* partitions one member tracks */
#define SG_TPS_MAX 1024u       /* (group, topic, partition) a checker tracks */
#define SG_NAME_BYTES_MAX 128u /* group ids and topics the checkers keep (longer: cut) */
#define SG_POLL_MS_DEFAULT 100

/* ---- The node ------------------------------------------------------------------------ */

struct sg_event {
    enum cgroup_event_kind kind;
    int32_t generation;
    char topic[SG_NAME_BYTES_MAX];
    int32_t partition;
    int64_t offset;
};

struct sg_consumed {
    char topic[SG_NAME_BYTES_MAX];
    int32_t partition;
    int64_t next; /* offset after the last record handed to the application */
};

struct sg_node {
    struct env *env;
    struct consumer *consumer;
    struct cgroup *group;
    uint32_t poll_ms;
    env_timer_id poll_timer;
    uint64_t received;
    struct sg_consumed consumed[SG_CONSUMED_MAX];
    uint32_t consumed_count;
    struct sg_event events[SG_EVENTS_MAX]; /* ring */
    uint64_t event_seq;                    /* events ever pushed */
};

static void sg_node_record(void *ctx, const char *topic, int32_t partition,
                           const struct rb_record *record)
{
    struct sg_node *n = ctx;
    n->received++;
    for (uint32_t i = 0; i < n->consumed_count; i++) {
        struct sg_consumed *c = &n->consumed[i];
        if (c->partition == partition && strcmp(c->topic, topic) == 0) {
            c->next = record->offset + 1;
            return;
        }
    }
    if (n->consumed_count == SG_CONSUMED_MAX)
        return;
    struct sg_consumed *c = &n->consumed[n->consumed_count++];
    snprintf(c->topic, sizeof(c->topic), "%s", topic);
    c->partition = partition;
    c->next = record->offset + 1;
}

static void sg_node_event(void *ctx, const struct cgroup_event *e)
{
    struct sg_node *n = ctx;
    struct sg_event *slot = &n->events[n->event_seq % SG_EVENTS_MAX];
    memset(slot, 0, sizeof(*slot));
    slot->kind = e->kind;
    slot->generation = e->generation;
    snprintf(slot->topic, sizeof(slot->topic), "%s", e->topic);
    slot->partition = e->partition;
    slot->offset = e->offset;
    n->event_seq++;
}

static void sg_node_poll(void *ctx)
{
    struct sg_node *n = ctx;
    cgroup_poll(n->group);
    n->poll_timer =
        env_timer_start(n->env, (uint64_t)n->poll_ms * WORLD_NS_PER_MS, sg_node_poll, n);
}

static void sg_node_free(struct sg_node *n)
{
    cgroup_destroy(n->group);
    consumer_destroy(n->consumer);
    free(n);
}

/* Subscribes to every topic of the comma-separated list. */
static bool sg_node_subscribe(struct sg_node *n, const char *list)
{
    char buf[512];
    if (strlen(list) >= sizeof(buf))
        return false;
    snprintf(buf, sizeof(buf), "%s", list);
    char *save = NULL;
    uint32_t count = 0;
    for (char *t = strtok_r(buf, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
        if (cgroup_subscribe(n->group, t) != KS_OK)
            return false;
        count++;
    }
    return count > 0;
}

static void *sg_node_start(struct env *env, const struct props *config)
{
    struct props merged;
    props_init(&merged);
    enum ks_err err = props_merge(&merged, config);
    if (err == KS_OK && props_get(config, "auto.offset.reset") == NULL)
        err = props_set(&merged, "auto.offset.reset", "earliest");
    if (err == KS_OK && props_get(config, "client.id") == NULL && env->node_name != NULL)
        err = props_set(&merged, "client.id", env->node_name);
    struct sg_node *n = ks_alloc(sizeof(*n));
    n->env = env;
    int64_t poll_ms = SG_POLL_MS_DEFAULT;
    if (err == KS_OK)
        err = props_get_i64(config, "workload.poll.interval.ms", SG_POLL_MS_DEFAULT, &poll_ms);
    n->poll_ms = poll_ms > 0 && poll_ms < 3600000 ? (uint32_t)poll_ms : SG_POLL_MS_DEFAULT;
    if (err == KS_OK)
        n->consumer = consumer_create(env, &merged, sg_node_record, n, &err);
    if (err == KS_OK)
        n->group = cgroup_create(env, &merged, n->consumer, sg_node_event, n, &err);
    const char *topics = props_get(config, "workload.topic");
    if (err == KS_OK && !sg_node_subscribe(n, topics != NULL ? topics : "orders"))
        err = KS_ERR_INVALID_CONFIG;
    props_free(&merged);
    if (err != KS_OK) {
        env_logf(env, ENV_LOG_ERROR, "group_consumer: bad configuration (%s)", ks_err_name(err));
        if (n->consumer != NULL)
            consumer_close(n->consumer);
        n->consumer = NULL;
        sg_node_free(n);
        return NULL;
    }
    n->poll_timer = env_timer_start(env, 0, sg_node_poll, n);
    return n;
}

static void sg_node_stop(void *node)
{
    struct sg_node *n = node;
    cgroup_close(n->group);
    consumer_close(n->consumer);
    n->consumer = NULL;
}

static void sg_node_destroy(void *node)
{
    sg_node_free(node);
}

static void sg_node_describe(void *node, char *buf, size_t buf_bytes)
{
    const struct sg_node *n = node;
    const struct cgroup *g = n->group;
    uint32_t held = 0;
    for (uint32_t i = 0; i < g->owned_count; i++)
        held += cgroup_owns(g, g->owned[i].topic, g->owned[i].partition);
    snprintf(buf, buf_bytes, "group %s member %s generation %d %s, %u partitions, %" PRIu64 " read",
             g->config.group_id, g->member_id[0] != 0 ? g->member_id : "-", g->generation,
             cgroup_state_name(g->state), held, n->received);
}

const struct world_node_type scn_group_consumer_type = {
    "group_consumer", sg_node_start, sg_node_stop, sg_node_destroy, sg_node_describe};

/* The running group consumer of node, or NULL. */
static struct sg_node *sg_node_of(struct world *world, int node)
{
    if (world_node_type_of(world, node) != &scn_group_consumer_type ||
        world_node_state_of(world, node) != WORLD_NODE_RUNNING)
        return NULL;
    return world_node_impl(world, node);
}

/* ---- Checker state ---------------------------------------------------------------------- */

struct sg_tp {
    char group[SG_NAME_BYTES_MAX];
    char topic[SG_NAME_BYTES_MAX];
    int32_t partition;
    int64_t table_max;     /* highest offset seen in a coordinator's table, -1 */
    int64_t acked_max;     /* highest commit acknowledged to a member, -1 */
    int64_t consumed_next; /* highest offset after a record the group consumed, 0 */
    int64_t resumed_max;   /* highest offset a member resumed from, -1 */
};

struct sg_state {
    struct sg_tp tps[SG_TPS_MAX];
    uint32_t tp_count;
    uint32_t incarnation[WORLD_NODES_MAX];
    uint64_t cursor[WORLD_NODES_MAX]; /* events of the node read so far */
};

static void *sg_state_create(struct world *world)
{
    (void)world;
    return ks_alloc(sizeof(struct sg_state));
}

static void sg_state_destroy(void *state)
{
    free(state);
}

static struct sg_tp *sg_tp(struct sg_state *s, const char *group, const char *topic,
                           int32_t partition)
{
    for (uint32_t i = 0; i < s->tp_count; i++) {
        struct sg_tp *t = &s->tps[i];
        if (t->partition == partition && strcmp(t->topic, topic) == 0 &&
            strcmp(t->group, group) == 0)
            return t;
    }
    if (s->tp_count == SG_TPS_MAX)
        return NULL;
    struct sg_tp *t = &s->tps[s->tp_count++];
    snprintf(t->group, sizeof(t->group), "%s", group);
    snprintf(t->topic, sizeof(t->topic), "%s", topic);
    t->partition = partition;
    t->table_max = -1;
    t->acked_max = -1;
    t->resumed_max = -1;
    return t;
}

typedef void (*sg_event_fn)(struct sg_state *s, struct inv_check *check, int node,
                            const struct sg_node *n, const struct sg_event *e);

/* Hands every group event of the running members not read yet to fn, and folds what
 * they consumed into the checker's table. */
static void sg_read_events(struct sg_state *s, struct inv_check *check, sg_event_fn fn)
{
    struct world *world = inv_check_world(check);
    uint32_t count = world_node_count(world);
    KS_ASSERT(count <= WORLD_NODES_MAX);
    for (uint32_t i = 0; i < count; i++) {
        struct sg_node *n = sg_node_of(world, (int)i);
        if (n == NULL)
            continue;
        uint32_t inc = world_node_incarnation(world, (int)i);
        if (s->incarnation[i] != inc) {
            s->incarnation[i] = inc;
            s->cursor[i] = 0;
        }
        const char *group = n->group->config.group_id;
        for (uint32_t c = 0; c < n->consumed_count; c++) {
            struct sg_tp *t = sg_tp(s, group, n->consumed[c].topic, n->consumed[c].partition);
            if (t != NULL && n->consumed[c].next > t->consumed_next)
                t->consumed_next = n->consumed[c].next;
        }
        if (n->event_seq - s->cursor[i] > SG_EVENTS_MAX) {
            inv_check_report(check, (int)i, "checker fell behind the member's events");
            s->cursor[i] = n->event_seq - SG_EVENTS_MAX;
        }
        for (; s->cursor[i] < n->event_seq; s->cursor[i]++)
            fn(s, check, (int)i, n, &n->events[s->cursor[i] % SG_EVENTS_MAX]);
    }
}

/* ---- group_single_owner --------------------------------------------------------------- */

static bool sg_same_generation(const struct cgroup *a, const struct cgroup *b)
{
    return a->generation != CGROUP_GENERATION_NONE && a->generation == b->generation &&
           !a->revoked_all && !b->revoked_all &&
           strcmp(a->config.group_id, b->config.group_id) == 0;
}

static void single_owner_check_event(void *state, struct inv_check *check)
{
    (void)state;
    struct world *world = inv_check_world(check);
    uint32_t count = world_node_count(world);
    for (uint32_t i = 0; i < count; i++) {
        const struct sg_node *a = sg_node_of(world, (int)i);
        for (uint32_t j = i + 1; a != NULL && j < count; j++) {
            const struct sg_node *b = sg_node_of(world, (int)j);
            if (b == NULL || !sg_same_generation(a->group, b->group))
                continue;
            for (uint32_t k = 0; k < a->group->owned_count; k++) {
                const struct cgroup_tp *tp = &a->group->owned[k];
                if (!cgroup_assigned(b->group, tp->topic, tp->partition))
                    continue;
                inv_check_report(
                    check, (int)j, "group %s generation %d: %s-%d assigned to %s and %s",
                    a->group->config.group_id, a->group->generation, tp->topic, tp->partition,
                    world_node_name(world, (int)i), world_node_name(world, (int)j));
                return;
            }
        }
    }
}

static const struct inv_def sg_inv_single_owner = {
    .name = "group_single_owner",
    .summary = "members of one generation of a group never hold the same partition",
    .check_event = single_owner_check_event,
};

/* ---- The coordinators' tables ------------------------------------------------------------ */

typedef void (*sg_offset_fn)(struct sg_state *s, struct inv_check *check, int node,
                             const struct gmeta *group, const struct gmeta_offset *offset);

/* Every committed offset of every group whose partition a running broker serves. */
static void sg_read_tables(struct sg_state *s, struct inv_check *check, sg_offset_fn fn)
{
    struct world *world = inv_check_world(check);
    uint32_t count = world_node_count(world);
    for (uint32_t i = 0; i < count; i++) {
        struct broker *b = world_node_state_of(world, (int)i) == WORLD_NODE_RUNNING
                               ? nodes_broker_of(world, (int)i)
                               : NULL;
        const struct gcoord *c = b != NULL && b->group != NULL ? b->group->coord : NULL;
        for (uint32_t g = 0; c != NULL && g < c->group_count; g++) {
            const struct gmeta *group = c->groups[g];
            if (c->partitions[group->partition].state != GCOORD_PARTITION_ACTIVE)
                continue;
            for (uint32_t o = 0; o < group->offset_count; o++)
                fn(s, check, (int)i, group, &group->offsets[o]);
        }
    }
}

static void sg_cut(char *out, size_t out_bytes, struct wire_string s)
{
    snprintf(out, out_bytes, "%.*s", s.length > 0 ? s.length : 0, s.length > 0 ? s.chars : "");
}

static struct sg_tp *sg_tp_of_offset(struct sg_state *s, const struct gmeta *group,
                                     const struct gmeta_offset *offset)
{
    char gid[SG_NAME_BYTES_MAX], topic[SG_NAME_BYTES_MAX];
    sg_cut(gid, sizeof(gid), group->group_id);
    sg_cut(topic, sizeof(topic), offset->topic);
    return sg_tp(s, gid, topic, offset->partition);
}

/* ---- group_offsets_monotonic ----------------------------------------------------------- */

static void monotonic_offset(struct sg_state *s, struct inv_check *check, int node,
                             const struct gmeta *group, const struct gmeta_offset *offset)
{
    struct sg_tp *t = sg_tp_of_offset(s, group, offset);
    if (t == NULL)
        return;
    if (offset->offset < t->table_max)
        inv_check_report(check, node,
                         "group %s %s-%d: committed offset moved back from %" PRId64 " to %" PRId64,
                         t->group, t->topic, t->partition, t->table_max, offset->offset);
    if (offset->offset > t->table_max)
        t->table_max = offset->offset;
}

static void monotonic_check_event(void *state, struct inv_check *check)
{
    sg_read_tables(state, check, monotonic_offset);
}

static const struct inv_def sg_inv_offsets_monotonic = {
    .name = "group_offsets_monotonic",
    .summary = "a group's committed offset in a coordinator's table never moves back",
    .create = sg_state_create,
    .destroy = sg_state_destroy,
    .check_event = monotonic_check_event,
};

/* ---- group_acked_commits_survive -------------------------------------------------------- */

static void acked_event(struct sg_state *s, struct inv_check *check, int node,
                        const struct sg_node *n, const struct sg_event *e)
{
    (void)check;
    (void)node;
    struct sg_tp *t = sg_tp(s, n->group->config.group_id, e->topic, e->partition);
    if (t != NULL && e->kind == CGROUP_EVENT_COMMITTED && e->offset > t->acked_max)
        t->acked_max = e->offset;
}

/* Marks what the serving coordinators hold: table_max becomes "seen now" here. */
static void acked_offset(struct sg_state *s, struct inv_check *check, int node,
                         const struct gmeta *group, const struct gmeta_offset *offset)
{
    (void)check;
    (void)node;
    struct sg_tp *t = sg_tp_of_offset(s, group, offset);
    if (t != NULL && offset->offset > t->table_max)
        t->table_max = offset->offset;
}

/* Whether a running broker serves the group (its partition loaded, the group known). */
static bool sg_group_served(struct world *world, const char *group_id)
{
    for (uint32_t i = 0; i < world_node_count(world); i++) {
        struct broker *b = world_node_state_of(world, (int)i) == WORLD_NODE_RUNNING
                               ? nodes_broker_of(world, (int)i)
                               : NULL;
        const struct gcoord *c = b != NULL && b->group != NULL ? b->group->coord : NULL;
        const struct gmeta *g = c != NULL ? gcoord_group_find(c, wire_string_from(group_id)) : NULL;
        if (g != NULL && c->partitions[g->partition].state == GCOORD_PARTITION_ACTIVE)
            return true;
    }
    return false;
}

static void acked_check_event(void *state, struct inv_check *check)
{
    struct sg_state *s = state;
    sg_read_events(s, check, acked_event);
    for (uint32_t i = 0; i < s->tp_count; i++)
        s->tps[i].table_max = -1;
    sg_read_tables(s, check, acked_offset);
    struct world *world = inv_check_world(check);
    for (uint32_t i = 0; i < s->tp_count; i++) {
        const struct sg_tp *t = &s->tps[i];
        if (t->acked_max < 0 || !sg_group_served(world, t->group))
            continue;
        if (t->table_max < t->acked_max) {
            inv_check_report(check, -1,
                             "group %s %s-%d: commit %" PRId64
                             " was acknowledged, the coordinator has %" PRId64,
                             t->group, t->topic, t->partition, t->acked_max, t->table_max);
            return;
        }
    }
}

static const struct inv_def sg_inv_acked_commits_survive = {
    .name = "group_acked_commits_survive",
    .summary = "the coordinator serving a group holds every commit it acknowledged",
    .create = sg_state_create,
    .destroy = sg_state_destroy,
    .check_event = acked_check_event,
};

/* ---- group_committed_consumed ---------------------------------------------------------- */

static void consumed_event(struct sg_state *s, struct inv_check *check, int node,
                           const struct sg_node *n, const struct sg_event *e)
{
    struct sg_tp *t = sg_tp(s, n->group->config.group_id, e->topic, e->partition);
    if (t == NULL)
        return;
    if (e->kind == CGROUP_EVENT_RESUMED && e->offset > t->resumed_max)
        t->resumed_max = e->offset;
    if (e->kind != CGROUP_EVENT_COMMITTED)
        return;
    int64_t bound = t->consumed_next > t->resumed_max ? t->consumed_next : t->resumed_max;
    if (e->offset > bound)
        inv_check_report(check, node,
                         "group %s %s-%d: committed %" PRId64
                         " but the group consumed up to %" PRId64,
                         t->group, t->topic, t->partition, e->offset, bound);
}

static void consumed_check_event(void *state, struct inv_check *check)
{
    sg_read_events(state, check, consumed_event);
}

static const struct inv_def sg_inv_committed_consumed = {
    .name = "group_committed_consumed",
    .summary = "no committed offset passes what the group's members consumed",
    .create = sg_state_create,
    .destroy = sg_state_destroy,
    .check_event = consumed_check_event,
};

/* ---- group_resume_from_commit ---------------------------------------------------------- */

static void resume_event(struct sg_state *s, struct inv_check *check, int node,
                         const struct sg_node *n, const struct sg_event *e)
{
    struct sg_tp *t = sg_tp(s, n->group->config.group_id, e->topic, e->partition);
    if (t == NULL)
        return;
    if (e->kind == CGROUP_EVENT_COMMITTED && e->offset > t->acked_max)
        t->acked_max = e->offset;
    if (e->kind == CGROUP_EVENT_RESUMED && e->offset < t->acked_max)
        inv_check_report(check, node,
                         "group %s %s-%d: generation %d resumes at %" PRId64
                         " below the acknowledged commit %" PRId64,
                         t->group, t->topic, t->partition, e->generation, e->offset, t->acked_max);
}

static void resume_check_event(void *state, struct inv_check *check)
{
    sg_read_events(state, check, resume_event);
}

static const struct inv_def sg_inv_resume_from_commit = {
    .name = "group_resume_from_commit",
    .summary = "a member takes a partition over at or after the group's last acknowledged commit",
    .create = sg_state_create,
    .destroy = sg_state_destroy,
    .check_event = resume_check_event,
};

/* ---- group_rebalance_completes (liveness) ------------------------------------------------ */

/* Members of group that hold topic-partition. */
static uint32_t sg_holders(struct world *world, const char *group, const char *topic,
                           int32_t partition)
{
    uint32_t holders = 0;
    for (uint32_t i = 0; i < world_node_count(world); i++) {
        const struct sg_node *n = sg_node_of(world, (int)i);
        holders += n != NULL && strcmp(n->group->config.group_id, group) == 0 &&
                   cgroup_owns(n->group, topic, partition);
    }
    return holders;
}

/* One member: Stable, and every partition of its topics held once in its group. */
static bool sg_member_settled(struct world *world, int node, const struct sg_node *n, char *why,
                              size_t why_bytes)
{
    const struct cgroup *g = n->group;
    if (g->state != CGROUP_STABLE) {
        snprintf(why, why_bytes, "%s is %s in group %s", world_node_name(world, node),
                 cgroup_state_name(g->state), g->config.group_id);
        return false;
    }
    for (uint32_t t = 0; t < g->topic_count; t++) {
        const struct cnet_topic *ct = cnet_topic(n->consumer->net, g->topics[t]);
        for (uint32_t p = 0; ct != NULL && p < ct->partition_count; p++) {
            uint32_t holders = sg_holders(world, g->config.group_id, g->topics[t], (int32_t)p);
            if (holders != 1) {
                snprintf(why, why_bytes, "group %s: %s-%u held by %u members", g->config.group_id,
                         g->topics[t], p, holders);
                return false;
            }
        }
    }
    return true;
}

static bool rebalance_met(void *state, struct inv_check *check, char *why, size_t why_bytes)
{
    (void)state;
    struct world *world = inv_check_world(check);
    for (uint32_t i = 0; i < world_node_count(world); i++) {
        const struct sg_node *n = sg_node_of(world, (int)i);
        if (n != NULL && !sg_member_settled(world, (int)i, n, why, why_bytes))
            return false;
    }
    return true;
}

/* Two sessions to notice the dead, a rebalance, and the coordinator's move. */
static uint64_t rebalance_budget(const struct world_node_type *type, const struct props *config)
{
    if (type != &scn_group_consumer_type)
        return 0;
    int64_t session = 45000;
    if (props_get_i64(config, "session.timeout.ms", 45000, &session) != KS_OK || session < 0)
        session = 45000;
    return ((uint64_t)session * 2 + 10000) * WORLD_NS_PER_MS;
}

static const struct inv_liveness sg_rebalance_liveness = {
    .name = "group_rebalance_completes",
    .summary = "every running member is Stable and every partition held by exactly one",
    .met = rebalance_met,
    .budget_ns = rebalance_budget,
};

static const struct inv_def sg_inv_rebalance_completes = {
    .name = "group_rebalance_completes",
    .summary = "once membership stops changing, rebalances complete and every partition is "
               "held by exactly one member (liveness)",
    .liveness = &sg_rebalance_liveness,
};

/* ---- The module ---------------------------------------------------------------------- */

static const struct scn_node_kind sg_kinds[] = {
    {"group_consumer", &scn_group_consumer_type,
     "a consumer in a group: bootstrap.servers, group.id, group.instance.id, session.timeout.ms, "
     "heartbeat.interval.ms, max.poll.interval.ms, partition.assignment.strategy, "
     "enable.auto.commit, auto.commit.interval.ms, auto.offset.reset (earliest); "
     "workload.topic (orders; a comma-separated list), workload.poll.interval.ms (100)",
     NULL, 0},
};

static const struct inv_def *const sg_invariants[] = {
    &sg_inv_single_owner,       &sg_inv_offsets_monotonic,  &sg_inv_acked_commits_survive,
    &sg_inv_committed_consumed, &sg_inv_resume_from_commit, &sg_inv_rebalance_completes,
};

const struct scn_module scn_group_module = {
    .name = "group",
    .node_kinds = sg_kinds,
    .node_kind_count = KS_ARRAY_COUNT(sg_kinds),
    .invariants = sg_invariants,
    .invariant_count = KS_ARRAY_COUNT(sg_invariants),
};
