/*
 * phase.c: the liveness phase's settings, its recovery step and the liveness conditions
 * of the controller quorum and the brokers, see phase.h.
 */
#include "phase.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../system/broker/blife.h"
#include "../system/broker/bmeta.h"
#include "../system/broker/broker.h"
#include "../system/props.h"
#include "../system/raft/raft.h"
#include "../system/raft/raft_node.h"
#include "nodes_broker.h"
#include "nodes_raft.h"
#include "scn_world.h"

#define PHASE_DESC_BYTES_MAX 1024u
#define PHASE_NS_PER_MS 1000000ull
#define PHASE_SLACK_MS 2000 /* added to every derived budget */

/* ---- The `liveness` verb ---------------------------------------------------------- */

struct phase_args {
    bool from_set;
    uint64_t from_ns;
    bool budget_set;
    uint64_t budget_ns;
};

static bool phase_seen_before(const struct scn_parser *p)
{
    const struct scn_script *s = scn_parser_script(p);
    for (uint32_t i = 0; i < s->action_count; i++) {
        if (strcmp(s->actions[i].verb->name, "liveness") == 0)
            return true;
    }
    return false;
}

static bool phase_parse(struct scn_parser *p, void **args_out)
{
    struct phase_args *a = ks_alloc(sizeof(*a));
    *args_out = a;
    struct scn_token t;
    if (phase_seen_before(p))
        return scn_fail(p, NULL, "the liveness phase is set twice (one 'liveness' line)");
    if (scn_accept(p, "from")) {
        a->from_set = true;
        if (!scn_time(p, "the start of the liveness phase after 'from'", &a->from_ns))
            return false;
    }
    if (scn_accept(p, "budget")) {
        a->budget_set = true;
        bool has_word = scn_peek(p, &t);
        if (!scn_duration(p, "a budget such as 10s", &a->budget_ns))
            return false;
        if (has_word && a->budget_ns == 0)
            return scn_fail(p, &t, "the liveness budget must be longer than 0");
    }
    if (scn_peek(p, &t) && !a->from_set && !a->budget_set)
        return scn_fail(p, &t, "expected 'from TIME' or 'budget DURATION', found '%s'", t.text);
    return scn_end(p);
}

static void phase_exec(struct runner_exec *x, const void *args)
{
    (void)x; /* the runner reads the line before the run (phase_settings_get) */
    KS_ASSERT(args != NULL);
}

static const struct scn_verb phase_verbs[] = {
    {"liveness", "liveness [from TIME] [budget DURATION]", SCN_VERB_BARE, phase_parse, phase_exec,
     NULL},
};

/* phase_module is at the end of the file, with the invariants. */

/* ---- Settings ----------------------------------------------------------------------- */

/* The time of an action's last firing (0 for a bare line other than `faults`). */
static uint64_t phase_action_last_ns(const struct scn_action *a)
{
    uint64_t until = 0;
    switch (a->when) {
    case SCN_WHEN_BARE:
        return scn_world_faults_until(a, &until) ? until : 0;
    case SCN_WHEN_AT:
        return a->at_ns;
    case SCN_WHEN_EVERY:
        KS_ASSERT(a->every_ns > 0);
        KS_ASSERT(a->until_ns > a->at_ns);
        return a->at_ns + (a->until_ns - 1 - a->at_ns) / a->every_ns * a->every_ns;
    }
    KS_UNREACHABLE();
}

static uint64_t phase_budget_default(const struct scn_script *s, const struct inv_def *const *defs,
                                     uint32_t def_count)
{
    uint64_t budget = INV_LIVENESS_BUDGET_NS_MIN;
    for (uint32_t d = 0; d < def_count; d++) {
        const struct inv_liveness *l = defs[d]->liveness;
        for (uint32_t n = 0; l != NULL && l->budget_ns != NULL && n < s->node_count; n++) {
            uint64_t need = l->budget_ns(s->nodes[n]->kind->type, &s->nodes[n]->config);
            budget = need > budget ? need : budget;
        }
    }
    return budget;
}

void phase_settings_get(const struct scn_script *s, const struct inv_def *const *defs,
                        uint32_t def_count, struct phase_settings *out)
{
    memset(out, 0, sizeof(*out));
    uint64_t last = 0;
    for (uint32_t i = 0; i < s->action_count; i++) {
        const struct scn_action *a = &s->actions[i];
        if (strcmp(a->verb->name, "liveness") == 0) {
            const struct phase_args *pa = a->args;
            out->from_set = pa->from_set;
            out->from_ns = pa->from_ns;
            out->budget_set = pa->budget_set;
            out->budget_ns = pa->budget_ns;
            continue;
        }
        uint64_t t = phase_action_last_ns(a);
        last = t > last ? t : last;
    }
    if (!out->from_set)
        out->from_ns = last == 0 ? 0 : last + PHASE_AFTER_LAST_NS;
    if (out->from_ns > s->run_ns)
        out->from_ns = s->run_ns;
    if (!out->budget_set)
        out->budget_ns = phase_budget_default(s, defs, def_count);
    KS_ASSERT(out->budget_ns > 0);
    uint64_t left = s->run_ns - out->from_ns;
    out->deadline_ns = out->from_ns + (out->budget_ns < left ? out->budget_ns : left);
    KS_ASSERT(out->deadline_ns <= s->run_ns);
}

/* ---- Recovery ----------------------------------------------------------------------- */

static void phase_desc(char *desc, size_t *used, const char *fmt, const char *name)
{
    if (*used >= PHASE_DESC_BYTES_MAX)
        return;
    int n = snprintf(desc + *used, PHASE_DESC_BYTES_MAX - *used, fmt, name);
    *used += n > 0 ? (size_t)n : 0;
}

static bool phase_any_blocked(const struct world *world)
{
    uint32_t count = world_node_count(world);
    KS_ASSERT(count <= WORLD_NODES_MAX);
    for (uint32_t a = 0; a < count; a++) {
        for (uint32_t b = 0; b < count; b++) {
            if (a != b && world_link_blocked(world, (int)a, (int)b))
                return true;
        }
    }
    return false;
}

/* Clear what makes calls fail (EIO odds, bit flips, a full disk); latency stays, it is
 * the disk's speed, not a fault. True when there was something to clear. */
static bool phase_disk_clear(struct simdisk *disk)
{
    struct simdisk_faults faults;
    simdisk_faults_get(disk, &faults);
    bool faulty = faults.read_bitflip_ppm != 0 || faults.capacity_bytes != 0;
    for (uint32_t op = 0; op < SIMDISK_OP_COUNT; op++) {
        faulty |= faults.eio_ppm[op] != 0;
        faults.eio_ppm[op] = 0;
        simdisk_fail_next(disk, (enum simdisk_op)op, 0);
    }
    faults.read_bitflip_ppm = 0;
    faults.capacity_bytes = 0;
    simdisk_faults_set(disk, &faults);
    return faulty;
}

bool phase_recover(struct world *world, const struct phase_settings *settings)
{
    char desc[PHASE_DESC_BYTES_MAX + 1] = "";
    size_t used = 0;
    if (phase_any_blocked(world)) {
        world_heal(world);
        phase_desc(desc, &used, "; heal%s", "");
    }
    for (uint32_t i = 0; i < world_node_count(world) && i < WORLD_NODES_MAX; i++) {
        struct simdisk *disk = world_node_disk(world, (int)i);
        const char *name = world_node_name(world, (int)i);
        if (phase_disk_clear(disk))
            phase_desc(desc, &used, "; disk %s clear", name);
        enum world_node_state st = world_node_state_of(world, (int)i);
        bool down = st == WORLD_NODE_CRASHED || st == WORLD_NODE_KILLED || st == WORLD_NODE_STOPPED;
        if (down && world_node_incarnation(world, (int)i) > 0) {
            (void)world_node_start(world, (int)i); /* a failed start is traced */
            phase_desc(desc, &used, "; start %s", name);
        }
    }
    world_tracef(world, -1, "phase.liveness", "budget_ms=%" PRIu64 "%s",
                 settings->budget_ns / 1000000u, desc);
    return used > 0;
}

/* ---- Liveness conditions of the controller quorum and the brokers ------------------------ */

/* The running controllers: the leader of the highest epoch (or -1) and how many run. */
static int phase_raft_leader(struct world *world, struct raft_status *leader_out,
                             uint32_t *running_out)
{
    int leader = -1;
    *running_out = 0;
    for (uint32_t i = 0; i < world_node_count(world) && i < WORLD_NODES_MAX; i++) {
        void *impl = world_node_impl(world, (int)i);
        if (world_node_type_of(world, (int)i) != &nodes_raft_controller_type || impl == NULL)
            continue;
        struct raft_status s;
        raft_status_get(raft_node_raft(impl), &s);
        (*running_out)++;
        if (s.state == RAFT_LEADER && (leader < 0 || s.epoch > leader_out->epoch)) {
            leader = (int)i;
            *leader_out = s;
        }
    }
    KS_ASSERT(leader < 0 || leader_out->state == RAFT_LEADER);
    return leader;
}

/* raft_leader: one running controller leads and every other running one follows it in
 * its epoch (Kafka's QuorumState settled: a leader and its followers). */
static bool phase_raft_leader_met(void *state, struct inv_check *check, char *why,
                                  size_t why_bytes)
{
    (void)state;
    struct world *world = inv_check_world(check);
    struct raft_status ls;
    uint32_t running = 0;
    int leader = phase_raft_leader(world, &ls, &running);
    if (running == 0)
        return true;
    if (leader < 0) {
        snprintf(why, why_bytes, "no controller leads (%" PRIu32 " running)", running);
        return false;
    }
    for (uint32_t i = 0; i < world_node_count(world) && i < WORLD_NODES_MAX; i++) {
        void *impl = world_node_impl(world, (int)i);
        if (world_node_type_of(world, (int)i) != &nodes_raft_controller_type || impl == NULL ||
            (int)i == leader)
            continue;
        struct raft_status s;
        raft_status_get(raft_node_raft(impl), &s);
        if (s.state == RAFT_FOLLOWER && s.epoch == ls.epoch && s.leader_id == ls.node_id)
            continue;
        snprintf(why, why_bytes, "controller %s is %s in epoch %d, not a follower of %s (epoch %d)",
                 world_node_name(world, (int)i), raft_state_name(s.state), s.epoch,
                 world_node_name(world, leader), ls.epoch);
        return false;
    }
    return true;
}

static int64_t phase_config_ms(const struct props *config, const char *key, int64_t default_ms)
{
    int64_t ms = default_ms;
    if (props_get_i64(config, key, default_ms, &ms) != KS_OK || ms < 0)
        return default_ms;
    return ms;
}

/* Two rounds of a fetch timeout, an election timeout and its backoff, one request
 * timeout and slack: an election that split once still ends within it. */
static uint64_t phase_raft_leader_budget(const struct world_node_type *type,
                                         const struct props *config)
{
    if (type != &nodes_raft_controller_type)
        return 0;
    int64_t election = phase_config_ms(config, "controller.quorum.election.timeout.ms", 1000);
    int64_t fetch = phase_config_ms(config, "controller.quorum.fetch.timeout.ms", 2000);
    int64_t backoff = phase_config_ms(config, "controller.quorum.election.backoff.max.ms", 1000);
    int64_t request = phase_config_ms(config, "controller.quorum.request.timeout.ms", 2000);
    int64_t budget_ms = 2 * (election + fetch + backoff) + request + PHASE_SLACK_MS;
    KS_ASSERT(budget_ms > 0);
    return (uint64_t)budget_ms * PHASE_NS_PER_MS;
}

static const struct inv_liveness phase_raft_leader_condition = {
    .name = "raft_leader",
    .summary = "one running controller leads and the other running ones follow it",
    .met = phase_raft_leader_met,
    .budget_ns = phase_raft_leader_budget,
};

const struct inv_def phase_inv_raft_quorum_recovers = {
    .name = "raft_quorum_recovers",
    .summary = "after the faults a controller leads and the others follow it, within the budget",
    .liveness = &phase_raft_leader_condition,
};

/* brokers_registered: every running broker is registered and unfenced (Running) and has
 * applied the metadata log up to the active controller's high watermark. */
static bool phase_brokers_met(void *state, struct inv_check *check, char *why, size_t why_bytes)
{
    (void)state;
    struct world *world = inv_check_world(check);
    struct raft_status ls;
    uint32_t running = 0;
    int leader = phase_raft_leader(world, &ls, &running);
    int64_t hw = leader < 0 ? -1 : ls.high_watermark;
    for (uint32_t i = 0; i < world_node_count(world) && i < WORLD_NODES_MAX; i++) {
        struct broker *b = nodes_broker_of(world, (int)i);
        if (b == NULL)
            continue;
        int64_t applied = bmeta_applied_offset(b->meta);
        if (leader >= 0 && applied + 1 >= hw && b->life->state == BLIFE_RUNNING &&
            !b->life->fenced)
            continue;
        snprintf(why, why_bytes,
                 "broker %s is %s%s with metadata applied to %" PRId64 ", the active "
                 "controller's high watermark %" PRId64,
                 world_node_name(world, (int)i), blife_state_name(b->life->state),
                 b->life->fenced ? " and fenced" : "", applied, hw);
        return false;
    }
    return true;
}

/* A broker needs the controller's session timeout to be fenced or forgotten, then a few
 * heartbeats to register again and be unfenced, and a leader to answer them. */
static uint64_t phase_brokers_budget(const struct world_node_type *type, const struct props *config)
{
    int64_t budget_ms = 0;
    if (type == &nodes_raft_controller_type)
        budget_ms = phase_config_ms(config, "broker.session.timeout.ms", 9000) +
                    (int64_t)(phase_raft_leader_budget(type, config) / PHASE_NS_PER_MS);
    else if (type == &nodes_broker_type)
        budget_ms = 4 * phase_config_ms(config, "broker.heartbeat.interval.ms", 2000) +
                    PHASE_SLACK_MS;
    KS_ASSERT(budget_ms >= 0);
    return (uint64_t)budget_ms * PHASE_NS_PER_MS;
}

static const struct inv_liveness phase_brokers_condition = {
    .name = "brokers_registered",
    .summary = "every running broker is unfenced and has the controllers' metadata",
    .met = phase_brokers_met,
    .budget_ns = phase_brokers_budget,
};

const struct inv_def phase_inv_brokers_recover = {
    .name = "brokers_recover",
    .summary = "after the faults every running broker is unfenced and caught up, within the budget",
    .liveness = &phase_brokers_condition,
};

static const struct inv_def *const phase_invariants[] = {
    &phase_inv_raft_quorum_recovers,
    &phase_inv_brokers_recover,
};

const struct scn_module phase_module = {
    .name = "phase",
    .verbs = phase_verbs,
    .verb_count = KS_ARRAY_COUNT(phase_verbs),
    .invariants = phase_invariants,
    .invariant_count = KS_ARRAY_COUNT(phase_invariants),
};
