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

#include "../system/props.h"
#include "tests/fixture_pingecho.h"
#include "world.h"

#define INV_NS_PER_MS 1000000ull

struct inv_checker {
    const struct inv_def *def;
    void *state;
    bool live_met;         /* its liveness condition held in the phase */
    uint64_t live_met_ns;  /* first time it held, from the start of the phase */
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
    bool live_active; /* the liveness phase runs and its deadline has not passed */
    bool live_began;
    bool live_done;
    uint64_t live_begin_ns;
    uint64_t live_budget_ns;
    uint32_t live_pending; /* conditions that have not held yet */
    struct inv_violation violations[INV_VIOLATIONS_MAX];
    uint32_t violation_count;
    uint32_t violations_dropped;
    struct inv_check check;
};

/* Poll the conditions that have not held yet; record when each first holds. */
static void inv_set_liveness_poll(struct inv_set *set)
{
    char why[INV_WHY_BYTES_MAX];
    uint64_t now = world_now_ns(set->world);
    KS_ASSERT(now >= set->live_begin_ns);
    for (uint32_t i = 0; i < set->checker_count; i++) {
        struct inv_checker *c = &set->checkers[i];
        if (c->def->liveness == NULL || c->live_met)
            continue;
        set->check.def = c->def;
        if (!c->def->liveness->met(c->state, &set->check, why, sizeof(why)))
            continue;
        c->live_met = true;
        c->live_met_ns = now - set->live_begin_ns;
        KS_ASSERT(set->live_pending > 0);
        set->live_pending--;
        world_tracef(set->world, -1, "inv.recovered", "%s after %llums", c->def->liveness->name,
                     (unsigned long long)(c->live_met_ns / INV_NS_PER_MS));
    }
    set->check.def = NULL;
}

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
    if (set->live_active && set->live_pending > 0)
        inv_set_liveness_poll(set);
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

void inv_set_liveness_begin(struct inv_set *set, uint64_t budget_ns)
{
    KS_ASSERT(!set->live_began);
    KS_ASSERT(budget_ns > 0);
    set->live_began = true;
    set->live_active = true;
    set->live_begin_ns = world_now_ns(set->world);
    set->live_budget_ns = budget_ns;
    set->live_pending = 0;
    for (uint32_t i = 0; i < set->checker_count; i++)
        set->live_pending += set->checkers[i].def->liveness != NULL ? 1u : 0u;
    KS_ASSERT(set->live_pending <= INV_CHECKERS_MAX);
}

void inv_set_liveness_deadline(struct inv_set *set)
{
    if (!set->live_began || set->live_done)
        return;
    set->live_done = true;
    inv_set_liveness_poll(set); /* what the last event changed */
    set->live_active = false;
    char why[INV_WHY_BYTES_MAX];
    uint64_t now = world_now_ns(set->world);
    for (uint32_t i = 0; i < set->checker_count; i++) {
        struct inv_checker *c = &set->checkers[i];
        if (c->def->liveness == NULL || c->live_met)
            continue;
        set->check.def = c->def;
        bool met = c->def->liveness->met(c->state, &set->check, why, sizeof(why));
        KS_ASSERT(!met); /* polled just before */
        inv_check_report(&set->check, -1,
                         "liveness: %s did not recover within %llums of the liveness phase "
                         "(began at %llums, budget %llums): %s",
                         c->def->liveness->name,
                         (unsigned long long)((now - set->live_begin_ns) / INV_NS_PER_MS),
                         (unsigned long long)(set->live_begin_ns / INV_NS_PER_MS),
                         (unsigned long long)(set->live_budget_ns / INV_NS_PER_MS), why);
    }
    set->check.def = NULL;
}

uint32_t inv_set_liveness_results(const struct inv_set *set, struct inv_liveness_result *out)
{
    uint32_t count = 0;
    KS_ASSERT(set->checker_count <= INV_CHECKERS_MAX);
    for (uint32_t i = 0; i < set->checker_count && set->live_began; i++) {
        const struct inv_checker *c = &set->checkers[i];
        if (c->def->liveness == NULL)
            continue;
        memset(&out[count], 0, sizeof(out[count]));
        snprintf(out[count].name, sizeof(out[count].name), "%s", c->def->liveness->name);
        out[count].met = c->live_met;
        out[count].recovered_ns = c->live_met_ns;
        count++;
    }
    return count;
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

/* ping_round_trips: every ping node runs and acked more round trips since its window
 * opened (the start of the phase, or its later start or disturbance). */
static bool ping_round_trips_met(void *state, struct inv_check *check, char *why,
                                 size_t why_bytes)
{
    struct ping_memory *m = state;
    struct world *world = inv_check_world(check);
    struct fixture_ping_status status;
    for (uint32_t i = 0; i < ping_node_count(world); i++) {
        if (world_node_type_of(world, (int)i) != &fixture_ping_type)
            continue;
        enum world_node_state st = world_node_state_of(world, (int)i);
        if (st != WORLD_NODE_RUNNING || !ping_status(world, (int)i, &status)) {
            snprintf(why, why_bytes, "ping node %s is %s", world_node_name(world, (int)i),
                     world_node_state_name(st));
            return false;
        }
        if (status.acked <= m->window_acked[i]) {
            snprintf(why, why_bytes, "ping node %s made no round trip since %llums (acked stuck at %llu)",
                     world_node_name(world, (int)i),
                     (unsigned long long)(m->window_start_ns[i] / INV_NS_PER_MS),
                     (unsigned long long)status.acked);
            return false;
        }
    }
    return true;
}

/* A ping reconnects after its backoff (a connect into a partition waits up to the
 * connect timeout, 3 s by default) and needs a few intervals for a round trip. */
static uint64_t ping_round_trips_budget(const struct world_node_type *type,
                                        const struct props *config)
{
    if (type != &fixture_ping_type)
        return 0;
    int64_t interval_ms = 10, backoff_ms = 100;
    if (props_get_i64(config, "ping.interval.ms", 10, &interval_ms) != KS_OK ||
        props_get_i64(config, "reconnect.backoff.ms", 100, &backoff_ms) != KS_OK)
        return 0;
    KS_ASSERT(interval_ms >= 0 && backoff_ms >= 0);
    return (uint64_t)(2 * backoff_ms + 8 * interval_ms + 3000) * INV_NS_PER_MS;
}

static const struct inv_liveness ping_round_trips = {
    .name = "ping_round_trips",
    .summary = "every ping node runs and makes a round trip in the liveness phase",
    .met = ping_round_trips_met,
    .budget_ns = ping_round_trips_budget,
};

/* nodes_running: every node that was ever started runs (not crashed, stopped, paused). */
static bool nodes_running_met(void *state, struct inv_check *check, char *why, size_t why_bytes)
{
    struct world *world = inv_check_world(check);
    KS_ASSERT(state == NULL);
    for (uint32_t i = 0; i < world_node_count(world) && i < WORLD_NODES_MAX; i++) {
        enum world_node_state st = world_node_state_of(world, (int)i);
        if (world_node_incarnation(world, (int)i) == 0 || st == WORLD_NODE_RUNNING)
            continue;
        snprintf(why, why_bytes, "node %s is %s", world_node_name(world, (int)i),
                 world_node_state_name(st));
        return false;
    }
    return true;
}

static const struct inv_liveness nodes_running = {
    .name = "nodes_running",
    .summary = "every node that was started runs again",
    .met = nodes_running_met,
};

const struct inv_def inv_world_nodes_running = {
    .name = "nodes_running",
    .summary = "every node that was started runs again in the liveness phase",
    .liveness = &nodes_running,
};

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
    .liveness = &ping_round_trips,
};
