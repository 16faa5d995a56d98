/*
 * phase.c: the liveness phase's settings and its recovery step, see phase.h.
 */
#include "phase.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "scn_world.h"

#define PHASE_DESC_BYTES_MAX 1024u

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

const struct scn_module phase_module = {
    .name = "phase",
    .verbs = phase_verbs,
    .verb_count = KS_ARRAY_COUNT(phase_verbs),
};

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
