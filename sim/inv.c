/*
 * inv.c: the invariant checker set of one run, and the ping/echo fixture's invariants,
 * see inv.h.
 *
 * The set is one world observer: after every event it runs each expected invariant's
 * safety check; at the end it runs the liveness checks once. Checkers keep their
 * memory across a node's incarnations (a crash wipes the node, not the checker), which
 * is what lets ping_durable_counter compare what a node reported synced before a crash
 * with what it loads after.
 */
#include "inv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fixture_pingecho.h"
#include "world.h"

struct inv_checker {
    const struct inv_def *def;
    void *state;
};

struct inv_check {
    struct inv_set *set;
    const struct inv_def *def; /* the invariant being checked */
};

struct inv_set {
    struct world *world;
    struct inv_checker checkers[INV_CHECKERS_MAX];
    uint32_t checker_count;
    inv_violation_fn on_violation;
    void *ctx;
    uint64_t disturbed_ns;
    bool finished;
    struct inv_violation violations[INV_VIOLATIONS_MAX];
    uint32_t violation_count;
    uint32_t violations_dropped;
    struct inv_check check;
};

static void inv_set_observe(void *ctx, struct world *world)
{
    struct inv_set *set = ctx;
    KS_ASSERT(set->world == world);
    KS_ASSERT(set->checker_count <= INV_CHECKERS_MAX);
    for (uint32_t i = 0; i < set->checker_count; i++) {
        const struct inv_def *def = set->checkers[i].def;
        if (def->check_event == NULL)
            continue;
        set->check.def = def;
        def->check_event(set->checkers[i].state, &set->check);
    }
    set->check.def = NULL;
}

struct inv_set *inv_set_create(struct world *world, const struct inv_def *const *defs,
                               uint32_t def_count, inv_violation_fn on_violation, void *ctx)
{
    KS_ASSERT(world != NULL);
    KS_ASSERT(def_count <= INV_CHECKERS_MAX);
    struct inv_set *set = ks_alloc(sizeof(*set));
    set->world = world;
    set->on_violation = on_violation;
    set->ctx = ctx;
    set->check.set = set;
    for (uint32_t i = 0; i < def_count; i++) {
        set->checkers[i].def = defs[i];
        set->checkers[i].state = defs[i]->create != NULL ? defs[i]->create(world) : NULL;
    }
    set->checker_count = def_count;
    world_observer_add(world, inv_set_observe, set);
    return set;
}

void inv_set_destroy(struct inv_set *set)
{
    if (set == NULL)
        return;
    KS_ASSERT(set->checker_count <= INV_CHECKERS_MAX);
    for (uint32_t i = 0; i < set->checker_count; i++) {
        if (set->checkers[i].def->destroy != NULL)
            set->checkers[i].def->destroy(set->checkers[i].state);
    }
    free(set);
}

void inv_set_disturbed(struct inv_set *set)
{
    uint64_t now = world_now_ns(set->world);
    KS_ASSERT(now >= set->disturbed_ns);
    set->disturbed_ns = now;
}

void inv_set_finish(struct inv_set *set)
{
    KS_ASSERT(!set->finished);
    set->finished = true;
    for (uint32_t i = 0; i < set->checker_count; i++) {
        const struct inv_def *def = set->checkers[i].def;
        if (def->check_end == NULL)
            continue;
        set->check.def = def;
        def->check_end(set->checkers[i].state, &set->check);
    }
    set->check.def = NULL;
}

const struct inv_violation *inv_set_violations(const struct inv_set *set, uint32_t *count_out)
{
    KS_ASSERT(set->violation_count <= INV_VIOLATIONS_MAX);
    *count_out = set->violation_count;
    return set->violations;
}

uint32_t inv_set_violations_dropped(const struct inv_set *set)
{
    return set->violations_dropped;
}

struct world *inv_check_world(const struct inv_check *check)
{
    return check->set->world;
}

uint64_t inv_check_disturbed_ns(const struct inv_check *check)
{
    return check->set->disturbed_ns;
}

void inv_check_report(struct inv_check *check, int node, const char *fmt, ...)
{
    struct inv_set *set = check->set;
    KS_ASSERT(check->def != NULL);
    if (set->violation_count == INV_VIOLATIONS_MAX) {
        set->violations_dropped++;
        world_stop(set->world); /* enough to go on; keep the report short */
        return;
    }
    struct inv_violation *v = &set->violations[set->violation_count++];
    memset(v, 0, sizeof(*v));
    snprintf(v->invariant, sizeof(v->invariant), "%s", check->def->name);
    v->time_ns = world_now_ns(set->world);
    if (node >= 0)
        snprintf(v->node, sizeof(v->node), "%s", world_node_name(set->world, node));
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->message, sizeof(v->message), fmt, ap);
    va_end(ap);
    world_tracef(set->world, node, "inv.violation", "%s: %s", v->invariant, v->message);
    if (set->on_violation != NULL)
        set->on_violation(set->ctx, v);
}

/* ---- The ping/echo fixture's invariants -------------------------------------------- */

/* Per ping node memory, kept across incarnations. */
struct ping_memory {
    uint32_t incarnation_seen[WORLD_NODES_MAX];
    uint64_t synced_max[WORLD_NODES_MAX];        /* ping_durable_counter */
    uint64_t disturbed_seen_ns[WORLD_NODES_MAX]; /* ping_progress: window start */
    uint64_t window_start_ns[WORLD_NODES_MAX];
    uint64_t window_acked[WORLD_NODES_MAX];
};

static void *ping_memory_create(struct world *world)
{
    KS_ASSERT(world_node_count(world) <= WORLD_NODES_MAX);
    return ks_alloc(sizeof(struct ping_memory));
}

static void ping_memory_destroy(void *state)
{
    free(state);
}

/* The status of node when it is a ping node that runs (or is paused). */
static bool ping_status(struct world *world, int node, struct fixture_ping_status *out)
{
    if (world_node_type_of(world, node) != &fixture_ping_type)
        return false;
    const void *impl = world_node_impl(world, node);
    if (impl == NULL)
        return false;
    fixture_ping_status_get(impl, out);
    return true;
}

static uint32_t ping_node_count(struct world *world)
{
    uint32_t count = world_node_count(world);
    KS_ASSERT(count <= WORLD_NODES_MAX);
    return count;
}

/* ping_in_order: once per incarnation, a node that saw an echo out of order. */
static void ping_in_order_check(void *state, struct inv_check *check)
{
    struct ping_memory *m = state;
    struct world *world = inv_check_world(check);
    struct fixture_ping_status status;
    for (uint32_t i = 0; i < ping_node_count(world); i++) {
        if (!ping_status(world, (int)i, &status) || status.order_errors == 0)
            continue;
        uint32_t incarnation = world_node_incarnation(world, (int)i);
        if (m->incarnation_seen[i] == incarnation)
            continue; /* reported for this incarnation already */
        m->incarnation_seen[i] = incarnation;
        inv_check_report(check, (int)i,
                         "%" PRIu64 " echo(es) came back out of order (incarnation %" PRIu32 ")",
                         status.order_errors, incarnation);
    }
}

/* ping_durable_counter: what a node loads at start is at least what it ever reported
 * synced before. */
static void ping_durable_counter_check(void *state, struct inv_check *check)
{
    struct ping_memory *m = state;
    struct world *world = inv_check_world(check);
    struct fixture_ping_status status;
    for (uint32_t i = 0; i < ping_node_count(world); i++) {
        if (!ping_status(world, (int)i, &status))
            continue;
        uint32_t incarnation = world_node_incarnation(world, (int)i);
        if (m->incarnation_seen[i] != incarnation) {
            m->incarnation_seen[i] = incarnation;
            /* a node whose disk failed at start loaded nothing and knows it */
            if (!status.load_failed && status.loaded_at_start < m->synced_max[i])
                inv_check_report(check, (int)i,
                                 "incarnation %" PRIu32 " loaded %" PRIu64
                                 " from disk, but %" PRIu64 " was reported synced before",
                                 incarnation, status.loaded_at_start, m->synced_max[i]);
        }
        if (status.synced > m->synced_max[i])
            m->synced_max[i] = status.synced;
    }
}

/* ping_progress, after every event: restart a node's window at each disturbance and
 * at each start, remembering the acked count there. */
static void ping_progress_check(void *state, struct inv_check *check)
{
    struct ping_memory *m = state;
    struct world *world = inv_check_world(check);
    uint64_t disturbed_ns = inv_check_disturbed_ns(check);
    struct fixture_ping_status status;
    for (uint32_t i = 0; i < ping_node_count(world); i++) {
        if (!ping_status(world, (int)i, &status))
            continue;
        uint32_t incarnation = world_node_incarnation(world, (int)i);
        if (m->incarnation_seen[i] == incarnation && m->disturbed_seen_ns[i] == disturbed_ns)
            continue;
        /* A start opens the window now; a disturbance when it happened. */
        bool started = m->incarnation_seen[i] != incarnation;
        m->incarnation_seen[i] = incarnation;
        m->disturbed_seen_ns[i] = disturbed_ns;
        m->window_start_ns[i] = started ? world_now_ns(world) : disturbed_ns;
        m->window_acked[i] = status.acked;
        KS_ASSERT(m->window_start_ns[i] <= world_now_ns(world));
    }
}

/* ping_progress at the end: every running ping node acked more round trips since the
 * start of its window, and the window was long enough to expect it. */
static void ping_progress_end(void *state, struct inv_check *check)
{
    struct ping_memory *m = state;
    struct world *world = inv_check_world(check);
    uint64_t now = world_now_ns(world);
    struct fixture_ping_status status;
    ping_progress_check(state, check); /* nodes that changed in the last event */
    for (uint32_t i = 0; i < ping_node_count(world); i++) {
        if (world_node_state_of(world, (int)i) != WORLD_NODE_RUNNING ||
            !ping_status(world, (int)i, &status))
            continue;
        KS_ASSERT(now >= m->window_start_ns[i]);
        uint64_t quiet_ms = (now - m->window_start_ns[i]) / 1000000u;
        if (now - m->window_start_ns[i] < INV_QUIET_NS_MIN)
            inv_check_report(check, (int)i,
                             "the run ended %" PRIu64 "ms after the last disturbance or start; "
                             "liveness needs %llums of quiet",
                             quiet_ms, INV_QUIET_NS_MIN / 1000000u);
        else if (status.acked <= m->window_acked[i])
            inv_check_report(check, (int)i,
                             "no round trip in the last %" PRIu64 "ms (acked stuck at %" PRIu64 ")",
                             quiet_ms, status.acked);
    }
}

const struct inv_def inv_ping_in_order = {
    .name = "ping_in_order",
    .summary = "no ping node ever sees an echo out of order",
    .create = ping_memory_create,
    .destroy = ping_memory_destroy,
    .check_event = ping_in_order_check,
};

const struct inv_def inv_ping_durable_counter = {
    .name = "ping_durable_counter",
    .summary = "a ping node never loads a count below one it reported synced",
    .create = ping_memory_create,
    .destroy = ping_memory_destroy,
    .check_event = ping_durable_counter_check,
};

const struct inv_def inv_ping_progress = {
    .name = "ping_progress",
    .summary = "every running ping node makes round trips after the last disturbance",
    .create = ping_memory_create,
    .destroy = ping_memory_destroy,
    .check_event = ping_progress_check,
    .check_end = ping_progress_end,
};
