/*
 * scn_world.c: the world verbs of the scenario language and the ping/echo fixture's
 * node kinds, see scn_world.h and scenarios/README.md.
 *
 * Each verb has a parse function (words into a static argument block) and an exec
 * function (the block applied to the world at the verb's time). A verb applied to a
 * node in the wrong state (crash a crashed node) is traced as skipped, never fatal:
 * random fault schedules and scripted lines may meet. Every exec marks the world
 * disturbed, so liveness windows start after the last fault or recovery.
 *
 * The random fault schedule (`faults`) draws from its own stream, derived from the
 * root seed and its line number, so adding a scripted line elsewhere does not
 * reshuffle it (FoundationDB's attrition and clogging workloads, TigerBeetle's VOPR).
 */
#include "scn_world.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "tests/fixture_pingecho.h"

#define NS_PER_MS 1000000ull

/* ---- Helpers --------------------------------------------------------------------- */

static bool node_alive(enum world_node_state state)
{
    return state == WORLD_NODE_RUNNING || state == WORLD_NODE_PAUSED;
}

/* The world ids a set names, in id order (`all`: every node). */
static uint32_t nodes_resolve(struct world *world, const struct scn_node_set *set, int *ids)
{
    uint32_t count = set->all ? world_node_count(world) : set->count;
    KS_ASSERT(count <= SCN_NODES_MAX);
    for (uint32_t i = 0; i < count; i++)
        ids[i] = set->all ? (int)i : (int)set->ids[i];
    return count;
}

static bool set_contains(const struct scn_node_set *set, uint16_t id)
{
    KS_ASSERT(set->count <= SCN_NODES_MAX);
    for (uint32_t i = 0; i < set->count; i++) {
        if (set->ids[i] == id)
            return true;
    }
    return set->all;
}

static void skip_trace(struct world *world, int node, const char *verb, const char *why)
{
    world_tracef(world, node, "scn.skip", "%s: %s", verb, why);
}

/* ---- start crash kill restart stop ------------------------------------------------ */

enum life_verb { LIFE_START, LIFE_CRASH, LIFE_KILL, LIFE_RESTART, LIFE_STOP };
static const char *const life_names[] = {"start", "crash", "kill", "restart", "stop"};

static bool nodes_parse(struct scn_parser *p, void **args_out)
{
    struct scn_node_set *set = ks_alloc(sizeof(*set));
    *args_out = set;
    return scn_nodes(p, set) && scn_end(p);
}

static enum ks_err life_apply_one(struct world *world, int node, enum life_verb verb)
{
    bool alive = node_alive(world_node_state_of(world, node));
    switch (verb) {
    case LIFE_START:
        return alive ? KS_ERR_INVALID : world_node_start(world, node);
    case LIFE_CRASH:
        return world_node_crash(world, node);
    case LIFE_KILL:
        return world_node_kill(world, node);
    case LIFE_STOP:
        return world_node_stop(world, node);
    case LIFE_RESTART:
        if (alive && world_node_kill(world, node) != KS_OK)
            return KS_ERR_INVALID;
        return world_node_start(world, node);
    }
    KS_UNREACHABLE();
}

static void life_apply(struct runner_exec *x, const struct scn_node_set *set, enum life_verb verb)
{
    struct world *world = runner_exec_world(x);
    int ids[SCN_NODES_MAX];
    uint32_t count = nodes_resolve(world, set, ids);
    for (uint32_t i = 0; i < count; i++) {
        enum world_node_state before = world_node_state_of(world, ids[i]);
        if (life_apply_one(world, ids[i], verb) != KS_OK)
            skip_trace(world, ids[i], life_names[verb], world_node_state_name(before));
    }
    runner_exec_disturbed(x);
}

static void start_exec(struct runner_exec *x, const void *args)
{
    life_apply(x, args, LIFE_START);
}
static void crash_exec(struct runner_exec *x, const void *args)
{
    life_apply(x, args, LIFE_CRASH);
}
static void kill_exec(struct runner_exec *x, const void *args)
{
    life_apply(x, args, LIFE_KILL);
}
static void restart_exec(struct runner_exec *x, const void *args)
{
    life_apply(x, args, LIFE_RESTART);
}
static void stop_exec(struct runner_exec *x, const void *args)
{
    life_apply(x, args, LIFE_STOP);
}

/* ---- pause NODES for DURATION ------------------------------------------------------- */

struct pause_args {
    struct scn_node_set nodes;
    uint64_t duration_ns;
};

static bool pause_parse(struct scn_parser *p, void **args_out)
{
    struct pause_args *a = ks_alloc(sizeof(*a));
    *args_out = a;
    struct scn_token t;
    if (!scn_nodes(p, &a->nodes) || !scn_expect_word(p, "for") ||
        !scn_next(p, "how long, such as 2s", &t) || !scn_token_duration(p, &t, &a->duration_ns))
        return false;
    if (a->duration_ns == 0)
        return scn_fail(p, &t, "a pause must last longer than 0");
    return scn_end(p);
}

static void pause_exec(struct runner_exec *x, const void *args)
{
    const struct pause_args *a = args;
    struct world *world = runner_exec_world(x);
    int ids[SCN_NODES_MAX];
    uint32_t count = nodes_resolve(world, &a->nodes, ids);
    for (uint32_t i = 0; i < count; i++) {
        enum world_node_state before = world_node_state_of(world, ids[i]);
        if (world_node_pause(world, ids[i], a->duration_ns) != KS_OK)
            skip_trace(world, ids[i], "pause", world_node_state_name(before));
    }
    runner_exec_disturbed(x);
}

/* ---- partition A,B | C   partition A -> B   partition A ---------------------------- */

struct partition_args {
    struct scn_node_set from;
    struct scn_node_set to;
    bool one_way;
    bool isolate; /* no second set: from against every other node */
};

static bool node_sets_parse(struct scn_parser *p, struct scn_node_set *from,
                            struct scn_node_set *to, bool *one_way_out, bool *second_out)
{
    struct scn_token t;
    if (!scn_next(p, "node names separated by ','", &t) || !scn_token_nodes(p, &t, from))
        return false;
    if (from->all)
        return scn_fail(p, &t, "name the nodes on each side, not 'all'");
    *one_way_out = false;
    *second_out = true;
    if (scn_accept(p, "->"))
        *one_way_out = true;
    else if (!scn_accept(p, "|")) {
        *second_out = false;
        return true;
    }
    if (!scn_next(p, "the nodes on the other side", &t) || !scn_token_nodes(p, &t, to))
        return false;
    if (to->all)
        return scn_fail(p, &t, "name the nodes on each side, not 'all'");
    for (uint32_t i = 0; i < to->count; i++) {
        if (set_contains(from, to->ids[i]))
            return scn_fail(p, &t, "node '%s' is on both sides",
                            scn_parser_script(p)->nodes[to->ids[i]]->name);
    }
    return true;
}

static bool partition_parse(struct scn_parser *p, void **args_out)
{
    struct partition_args *a = ks_alloc(sizeof(*a));
    *args_out = a;
    bool second = false;
    if (!node_sets_parse(p, &a->from, &a->to, &a->one_way, &second))
        return false;
    a->isolate = !second;
    return scn_end(p);
}

static void partition_exec(struct runner_exec *x, const void *args)
{
    const struct partition_args *a = args;
    struct world *world = runner_exec_world(x);
    int from[SCN_NODES_MAX], to[SCN_NODES_MAX];
    uint32_t from_count = nodes_resolve(world, &a->from, from);
    uint32_t to_count = 0;
    if (a->isolate) {
        for (uint32_t i = 0; i < world_node_count(world) && i < SCN_NODES_MAX; i++) {
            if (!set_contains(&a->from, (uint16_t)i))
                to[to_count++] = (int)i;
        }
    } else {
        to_count = nodes_resolve(world, &a->to, to);
    }
    KS_ASSERT(from_count > 0);
    if (to_count > 0)
        world_partition(world, from, from_count, to, to_count, a->one_way);
    runner_exec_disturbed(x);
}

/* ---- heal ----------------------------------------------------------------------- */

static bool heal_parse(struct scn_parser *p, void **args_out)
{
    *args_out = NULL;
    return scn_end(p);
}

static void heal_exec(struct runner_exec *x, const void *args)
{
    KS_ASSERT(args == NULL);
    world_heal(runner_exec_world(x));
    runner_exec_disturbed(x);
}

/* ---- latency A | B RANGE ---------------------------------------------------------- */

struct latency_args {
    struct scn_node_set from;
    struct scn_node_set to;
    bool one_way;
    uint64_t ns_min;
    uint64_t ns_max;
};

static bool latency_parse(struct scn_parser *p, void **args_out)
{
    struct latency_args *a = ks_alloc(sizeof(*a));
    *args_out = a;
    bool second = false;
    if (!node_sets_parse(p, &a->from, &a->to, &a->one_way, &second))
        return false;
    struct scn_token t;
    if (!second)
        return scn_fail(p, scn_peek(p, &t) ? &t : NULL,
                        "expected '|' or '->' and the nodes on the other side");
    return scn_duration_range(p, "a latency such as 1ms..5ms", &a->ns_min, &a->ns_max) &&
           scn_end(p);
}

static void latency_exec(struct runner_exec *x, const void *args)
{
    const struct latency_args *a = args;
    struct world *world = runner_exec_world(x);
    int from[SCN_NODES_MAX], to[SCN_NODES_MAX];
    uint32_t from_count = nodes_resolve(world, &a->from, from);
    uint32_t to_count = nodes_resolve(world, &a->to, to);
    for (uint32_t i = 0; i < from_count; i++) {
        for (uint32_t j = 0; j < to_count; j++)
            world_link_latency_set(world, from[i], to[j], a->ns_min, a->ns_max, !a->one_way);
    }
    runner_exec_disturbed(x);
}

/* ---- disk NODES eio|bitflip|latency|capacity|enospc|clear ... ------------------------ */

enum disk_cmd {
    DISK_EIO_PPM,
    DISK_EIO_NEXT,
    DISK_BITFLIP,
    DISK_LATENCY,
    DISK_CAPACITY,
    DISK_ENOSPC,
    DISK_CLEAR,
};

struct disk_args {
    struct scn_node_set nodes;
    enum disk_cmd cmd;
    uint32_t op; /* SIMDISK_OP_COUNT: every kind */
    uint64_t value;
    uint64_t value_max;
};

static const char *const disk_op_names[SIMDISK_OP_COUNT] = {"read", "write", "sync", "meta"};

static bool disk_op_parse(struct scn_parser *p, struct disk_args *a)
{
    struct scn_token t;
    if (!scn_next(p, "read, write, sync, meta or all", &t))
        return false;
    a->op = SIMDISK_OP_COUNT;
    for (uint32_t i = 0; i < SIMDISK_OP_COUNT; i++) {
        if (strcmp(t.text, disk_op_names[i]) == 0)
            a->op = i;
    }
    if (a->op == SIMDISK_OP_COUNT && strcmp(t.text, "all") != 0)
        return scn_fail(p, &t, "expected read, write, sync, meta or all, found '%s'", t.text);
    return true;
}

/* `ppm=N` (odds) or, when next is allowed, `next=N` (the next N calls). */
static bool disk_odds_parse(struct scn_parser *p, struct disk_args *a, bool next_allowed)
{
    struct scn_token key, value;
    if (!scn_kv(p, next_allowed ? "ppm=N or next=N" : "ppm=N", &key, &value))
        return false;
    if (strcmp(key.text, "ppm") == 0)
        return scn_token_u64(p, &value, 1000000, &a->value);
    if (next_allowed && strcmp(key.text, "next") == 0) {
        a->cmd = DISK_EIO_NEXT;
        return scn_token_u64(p, &value, UINT32_MAX, &a->value);
    }
    return scn_fail(p, &key, "expected %s, found '%s'",
                    next_allowed ? "ppm= or next=" : "ppm=", key.text);
}

/* SIZE: bytes, optionally KiB, MiB or GiB; `unlimited` is 0. */
static bool disk_size_parse(struct scn_parser *p, struct disk_args *a)
{
    struct scn_token t;
    if (!scn_next(p, "a size such as 64MiB, or unlimited", &t))
        return false;
    if (strcmp(t.text, "unlimited") == 0) {
        a->value = 0;
        return true;
    }
    static const struct {
        const char *suffix;
        uint64_t bytes;
    } sizes[] = {{"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}};
    char digits[32];
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(sizes); i++) {
        size_t n = strlen(sizes[i].suffix);
        if (t.len <= n || t.len - n >= sizeof(digits) ||
            strcmp(t.text + t.len - n, sizes[i].suffix) != 0)
            continue;
        memcpy(digits, t.text, t.len - n);
        digits[t.len - n] = '\0';
        struct scn_token number = {.text = digits, .len = t.len - (uint32_t)n, .col = t.col};
        if (!scn_token_u64(p, &number, UINT64_MAX / sizes[i].bytes, &a->value))
            return false;
        a->value *= sizes[i].bytes;
        return true;
    }
    return scn_token_u64(p, &t, UINT64_MAX, &a->value);
}

static bool disk_parse(struct scn_parser *p, void **args_out)
{
    struct disk_args *a = ks_alloc(sizeof(*a));
    *args_out = a;
    struct scn_token t;
    if (!scn_nodes(p, &a->nodes) ||
        !scn_next(p, "eio, bitflip, latency, capacity, enospc or clear", &t))
        return false;
    bool ok = true;
    if (strcmp(t.text, "eio") == 0) {
        a->cmd = DISK_EIO_PPM;
        ok = disk_op_parse(p, a) && disk_odds_parse(p, a, true);
    } else if (strcmp(t.text, "bitflip") == 0) {
        a->cmd = DISK_BITFLIP;
        ok = disk_odds_parse(p, a, false);
    } else if (strcmp(t.text, "latency") == 0) {
        a->cmd = DISK_LATENCY;
        ok = scn_duration_range(p, "a latency such as 1ms..5ms", &a->value, &a->value_max);
    } else if (strcmp(t.text, "capacity") == 0) {
        a->cmd = DISK_CAPACITY;
        ok = disk_size_parse(p, a);
    } else if (strcmp(t.text, "enospc") == 0) {
        a->cmd = DISK_ENOSPC;
    } else if (strcmp(t.text, "clear") == 0) {
        a->cmd = DISK_CLEAR;
    } else {
        return scn_fail(
            p, &t, "expected eio, bitflip, latency, capacity, enospc or clear, found '%s'", t.text);
    }
    return ok && scn_end(p);
}

static void disk_apply(struct simdisk *disk, const struct disk_args *a)
{
    struct simdisk_faults faults;
    simdisk_faults_get(disk, &faults);
    for (uint32_t op = 0; op < SIMDISK_OP_COUNT; op++) {
        if (a->op != SIMDISK_OP_COUNT && a->op != op)
            continue;
        if (a->cmd == DISK_EIO_PPM)
            faults.eio_ppm[op] = (uint32_t)a->value;
        if (a->cmd == DISK_EIO_NEXT)
            simdisk_fail_next(disk, op, (uint32_t)a->value);
    }
    if (a->cmd == DISK_BITFLIP)
        faults.read_bitflip_ppm = (uint32_t)a->value;
    if (a->cmd == DISK_LATENCY) {
        faults.latency_ns_min = a->value;
        faults.latency_ns_max = a->value_max;
    }
    if (a->cmd == DISK_CAPACITY)
        faults.capacity_bytes = a->value;
    if (a->cmd == DISK_ENOSPC) {
        uint64_t used = simdisk_used_bytes(disk);
        faults.capacity_bytes = used == 0 ? 1 : used;
    }
    if (a->cmd == DISK_CLEAR) {
        memset(&faults, 0, sizeof(faults));
        for (uint32_t op = 0; op < SIMDISK_OP_COUNT; op++)
            simdisk_fail_next(disk, op, 0);
    }
    simdisk_faults_set(disk, &faults);
}

static void disk_exec(struct runner_exec *x, const void *args)
{
    const struct disk_args *a = args;
    struct world *world = runner_exec_world(x);
    int ids[SCN_NODES_MAX];
    uint32_t count = nodes_resolve(world, &a->nodes, ids);
    for (uint32_t i = 0; i < count; i++) {
        disk_apply(world_node_disk(world, ids[i]), a);
        world_tracef(world, ids[i], "fault.disk", "%s", runner_exec_action(x)->text);
    }
    runner_exec_disturbed(x);
}

/* ---- clock NODES jump DELTA | drift PPM -------------------------------------------- */

struct clock_args {
    struct scn_node_set nodes;
    bool drift;
    int64_t value; /* jump: ms; drift: ppm */
};

static bool clock_parse(struct scn_parser *p, void **args_out)
{
    struct clock_args *a = ks_alloc(sizeof(*a));
    *args_out = a;
    struct scn_token t;
    if (!scn_nodes(p, &a->nodes) || !scn_next(p, "jump or drift", &t))
        return false;
    if (strcmp(t.text, "drift") == 0) {
        a->drift = true;
        return scn_i64(p, "the drift in ppm, such as 200 or -200", -WORLD_CLOCK_DRIFT_PPM_MAX,
                       WORLD_CLOCK_DRIFT_PPM_MAX, &a->value) &&
               scn_end(p);
    }
    if (strcmp(t.text, "jump") != 0)
        return scn_fail(p, &t, "expected jump or drift, found '%s'", t.text);
    int64_t ns = 0;
    if (!scn_next(p, "how far, such as 5s or -5s", &t) || !scn_token_duration_signed(p, &t, &ns))
        return false;
    if (ns % (int64_t)NS_PER_MS != 0)
        return scn_fail(p, &t, "clock jumps are whole milliseconds, found '%s'", t.text);
    a->value = ns / (int64_t)NS_PER_MS;
    return scn_end(p);
}

static void clock_exec(struct runner_exec *x, const void *args)
{
    const struct clock_args *a = args;
    struct world *world = runner_exec_world(x);
    int ids[SCN_NODES_MAX];
    uint32_t count = nodes_resolve(world, &a->nodes, ids);
    for (uint32_t i = 0; i < count; i++) {
        if (!a->drift) {
            world_clock_jump(world, ids[i], a->value);
            continue;
        }
        enum ks_err err = world_clock_drift(world, ids[i], (int32_t)a->value);
        KS_ASSERT(err == KS_OK); /* the parser kept the bound */
    }
    runner_exec_disturbed(x);
}

/* ---- faults from T until T every LO..HI [kinds=...] [nodes=...] [pause=..] [jump=..] -- */

struct faults_args {
    uint64_t from_ns;
    uint64_t until_ns;
    uint64_t every_ns_min;
    uint64_t every_ns_max;
    uint32_t kinds; /* a bit per fault_kinds entry */
    struct scn_node_set nodes;
    uint64_t pause_ns_min;
    uint64_t pause_ns_max;
    int64_t jump_ms_min;
    int64_t jump_ms_max;
    uint32_t line;
};

#define FAULTS_DESC_BYTES_MAX 1024u

/* One run's state of a schedule. */
struct faults_state {
    const struct faults_args *args;
    struct runner_exec *exec;
    struct rng rng;
    /* What the last fault did, in the scenario language ("crash echo1"), traced so that
     * `ksim shrink` can turn the schedule into explicit `at` lines. */
    char desc[FAULTS_DESC_BYTES_MAX];
    bool downed[SCN_NODES_MAX];   /* nodes this schedule took down */
    bool disk_hit[SCN_NODES_MAX]; /* nodes whose disk it made fail */
};

typedef bool (*faults_eligible_fn)(enum world_node_state state);

static bool eligible_alive(enum world_node_state state)
{
    return node_alive(state);
}
static bool eligible_any(enum world_node_state state)
{
    return state != WORLD_NODE_DOWN;
}
static bool eligible_down(enum world_node_state state)
{
    return state == WORLD_NODE_CRASHED || state == WORLD_NODE_KILLED || state == WORLD_NODE_STOPPED;
}

/* A random node of the schedule's set that fits, or -1. */
static int faults_pick(struct faults_state *st, struct world *world, faults_eligible_fn eligible)
{
    int ids[SCN_NODES_MAX], fit[SCN_NODES_MAX];
    uint32_t count = nodes_resolve(world, &st->args->nodes, ids);
    uint32_t fit_count = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (eligible(world_node_state_of(world, ids[i])))
            fit[fit_count++] = ids[i];
    }
    KS_ASSERT(fit_count <= count);
    return fit_count == 0 ? -1 : fit[rng_below(&st->rng, fit_count)];
}

static void faults_desc(struct faults_state *st, const char *fmt, ...) KS_PRINTF(2, 3);
static void faults_desc(struct faults_state *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->desc, sizeof(st->desc), fmt, ap);
    va_end(ap);
}

/* Append "a,b,c" (the names of ids) to buf at *used. */
static void faults_desc_names(struct world *world, const int *ids, uint32_t count, char *buf,
                              size_t buf_bytes, size_t *used)
{
    KS_ASSERT(count <= SCN_NODES_MAX);
    for (uint32_t i = 0; i < count && *used < buf_bytes; i++) {
        int n = snprintf(buf + *used, buf_bytes - *used, "%s%s", i == 0 ? "" : ",",
                         world_node_name(world, ids[i]));
        *used += n > 0 ? (size_t)n : 0;
    }
}

static int fault_life(struct faults_state *st, struct world *world, enum life_verb verb)
{
    int node = faults_pick(st, world, verb == LIFE_RESTART ? eligible_down : eligible_alive);
    if (node < 0)
        return -1;
    enum ks_err err = life_apply_one(world, node, verb);
    KS_ASSERT(err == KS_OK || verb == LIFE_RESTART); /* a start may fail on config */
    st->downed[node] = verb != LIFE_RESTART;
    faults_desc(st, "%s %s", life_names[verb], world_node_name(world, node));
    return node;
}

static int fault_crash(struct faults_state *st, struct world *w)
{
    return fault_life(st, w, LIFE_CRASH);
}
static int fault_kill(struct faults_state *st, struct world *w)
{
    return fault_life(st, w, LIFE_KILL);
}
static int fault_stop(struct faults_state *st, struct world *w)
{
    return fault_life(st, w, LIFE_STOP);
}
static int fault_restart(struct faults_state *st, struct world *w)
{
    return fault_life(st, w, LIFE_RESTART);
}

/* Split the world in two: a random part of the schedule's nodes against the rest. */
static int fault_partition_sides(struct faults_state *st, struct world *world, bool one_way)
{
    int ids[SCN_NODES_MAX], side[SCN_NODES_MAX], rest[SCN_NODES_MAX];
    uint32_t count = nodes_resolve(world, &st->args->nodes, ids);
    bool in_side[SCN_NODES_MAX] = {false};
    uint32_t side_count = 0, rest_count = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (rng_below(&st->rng, 2) == 0)
            in_side[ids[i]] = true;
    }
    if (count > 0)
        in_side[ids[rng_below(&st->rng, count)]] = true; /* never empty */
    uint32_t world_count = world_node_count(world);
    KS_ASSERT(world_count <= SCN_NODES_MAX);
    uint32_t in_count = 0;
    for (uint32_t i = 0; i < world_count; i++)
        in_count += in_side[i] ? 1u : 0u;
    if (count > 1 && in_count == world_count)
        in_side[ids[rng_below(&st->rng, count)]] = false; /* never everyone */
    for (uint32_t i = 0; i < world_count; i++) {
        if (in_side[i])
            side[side_count++] = (int)i;
        else
            rest[rest_count++] = (int)i;
    }
    if (side_count == 0 || rest_count == 0)
        return -1;
    world_partition(world, side, side_count, rest, rest_count, one_way);
    size_t used = (size_t)snprintf(st->desc, sizeof(st->desc), "partition ");
    faults_desc_names(world, side, side_count, st->desc, sizeof(st->desc), &used);
    if (used < sizeof(st->desc))
        used +=
            (size_t)snprintf(st->desc + used, sizeof(st->desc) - used, one_way ? " -> " : " | ");
    faults_desc_names(world, rest, rest_count, st->desc, sizeof(st->desc), &used);
    return side[0];
}

static int fault_partition(struct faults_state *st, struct world *w)
{
    return fault_partition_sides(st, w, false);
}
static int fault_partition_one_way(struct faults_state *st, struct world *w)
{
    return fault_partition_sides(st, w, true);
}
static int fault_heal(struct faults_state *st, struct world *w)
{
    world_heal(w);
    faults_desc(st, "heal");
    return -1;
}

static int fault_pause(struct faults_state *st, struct world *world)
{
    int node = faults_pick(st, world, eligible_alive);
    if (node < 0)
        return -1;
    uint64_t ns = rng_between(&st->rng, st->args->pause_ns_min, st->args->pause_ns_max);
    enum ks_err err = world_node_pause(world, node, ns);
    KS_ASSERT(err == KS_OK);
    faults_desc(st, "pause %s for %" PRIu64 "ns", world_node_name(world, node), ns);
    return node;
}

static int fault_clock_jump(struct faults_state *st, struct world *world)
{
    int node = faults_pick(st, world, eligible_any);
    if (node < 0)
        return -1;
    const struct faults_args *a = st->args;
    KS_ASSERT(a->jump_ms_min <= a->jump_ms_max);
    uint64_t span = (uint64_t)(a->jump_ms_max - a->jump_ms_min);
    int64_t delta = a->jump_ms_min + (int64_t)rng_between(&st->rng, 0, span);
    world_clock_jump(world, node, delta);
    faults_desc(st, "clock %s jump %" PRId64 "ms", world_node_name(world, node), delta);
    return node;
}

/* The next 1..3 calls of one kind (read, write, sync or meta) of a running node fail
 * with EIO. */
static int fault_disk_eio(struct faults_state *st, struct world *world)
{
    int node = faults_pick(st, world, eligible_alive);
    if (node < 0)
        return -1;
    enum simdisk_op op = (enum simdisk_op)rng_below(&st->rng, SIMDISK_OP_COUNT);
    uint32_t count = (uint32_t)rng_between(&st->rng, 1, 3);
    simdisk_fail_next(world_node_disk(world, node), op, count);
    st->disk_hit[node] = true;
    faults_desc(st, "disk %s eio %s next=%" PRIu32, world_node_name(world, node), disk_op_names[op],
                count);
    return node;
}

struct fault_kind {
    const char *name;
    int (*apply)(struct faults_state *st, struct world *world); /* the node hit, or -1 */
};

static const struct fault_kind fault_kinds[] = {
    {"crash", fault_crash},
    {"kill", fault_kill},
    {"stop", fault_stop},
    {"restart", fault_restart},
    {"partition", fault_partition},
    {"partition_one_way", fault_partition_one_way},
    {"heal", fault_heal},
    {"pause", fault_pause},
    {"clock_jump", fault_clock_jump},
    {"disk_eio", fault_disk_eio},
};
_Static_assert(KS_ARRAY_COUNT(fault_kinds) <= SCN_WORLD_FAULT_KINDS_MAX, "kinds fit the mask");

static void faults_at(struct faults_state *st, struct world *world, uint64_t at_ns, sched_fn fn)
{
    world_at(world, at_ns, fn, st, 0);
}

static struct faults_state *faults_event_state(void *ctx)
{
    KS_ASSERT(ctx != NULL);
    return ctx;
}

static void faults_tick(void *ctx, uint64_t arg)
{
    struct faults_state *st = faults_event_state(ctx);
    if (runner_exec_liveness_began(st->exec))
        return; /* the liveness phase injects nothing (sim/phase.h) */
    struct world *world = runner_exec_world(st->exec);
    const struct faults_args *a = st->args;
    uint64_t now = world_now_ns(world);
    KS_ASSERT(now < a->until_ns);
    KS_ASSERT(a->kinds != 0);
    uint32_t enabled = (uint32_t)__builtin_popcount(a->kinds);
    uint32_t pick = (uint32_t)rng_below(&st->rng, enabled);
    uint32_t kind = 0;
    for (; kind < KS_ARRAY_COUNT(fault_kinds); kind++) {
        if ((a->kinds >> kind & 1u) && pick-- == 0)
            break;
    }
    KS_ASSERT(kind < KS_ARRAY_COUNT(fault_kinds));
    st->desc[0] = '\0';
    int node = fault_kinds[kind].apply(st, world);
    KS_ASSERT(node < 0 || st->desc[0] != '\0'); /* a fault that hit says what it did */
    world_tracef(world, node, "scn.fault", "line %" PRIu32 ": %s%s%s", a->line,
                 fault_kinds[kind].name, st->desc[0] != '\0' ? ": " : " (no node)", st->desc);
    runner_exec_disturbed(st->exec);
    uint64_t next = now + rng_between(&st->rng, a->every_ns_min, a->every_ns_max);
    if (next < a->until_ns)
        faults_at(st, world, next, faults_tick);
}

/* The schedule ends: heal, restart what it took down, clear the disk faults it set. */
static void faults_end(void *ctx, uint64_t arg)
{
    struct faults_state *st = faults_event_state(ctx);
    if (runner_exec_liveness_began(st->exec))
        return; /* the liveness phase recovered everything already */
    struct world *world = runner_exec_world(st->exec);
    KS_ASSERT(world_now_ns(world) == st->args->until_ns);
    world_heal(world);
    /* Traced as "line N: heal; disk X eio all next=0; start Y", each a world verb. */
    size_t used = (size_t)snprintf(st->desc, sizeof(st->desc), "heal");
    for (uint32_t i = 0; i < world_node_count(world) && i < SCN_NODES_MAX; i++) {
        const char *name = world_node_name(world, (int)i);
        for (int op = 0; st->disk_hit[i] && op < SIMDISK_OP_COUNT; op++)
            simdisk_fail_next(world_node_disk(world, (int)i), (enum simdisk_op)op, 0);
        if (st->disk_hit[i] && used < sizeof(st->desc))
            used += (size_t)snprintf(st->desc + used, sizeof(st->desc) - used,
                                     "; disk %s eio all next=0", name);
        if (!st->downed[i] || !eligible_down(world_node_state_of(world, (int)i)))
            continue;
        (void)world_node_start(world, (int)i); /* a failed start is traced */
        if (used < sizeof(st->desc))
            used += (size_t)snprintf(st->desc + used, sizeof(st->desc) - used, "; start %s", name);
    }
    world_tracef(world, -1, "scn.faults_end", "line %" PRIu32 ": %s", st->args->line, st->desc);
    runner_exec_disturbed(st->exec);
}

static void faults_exec(struct runner_exec *x, const void *args)
{
    const struct faults_args *a = args;
    struct world *world = runner_exec_world(x);
    struct faults_state *st = runner_exec_alloc(x, sizeof(*st));
    char name[64];
    snprintf(name, sizeof(name), "scn/faults/line-%" PRIu32, a->line);
    rng_derive(&st->rng, world_seed(world), name);
    st->args = a;
    st->exec = x;
    KS_ASSERT(a->from_ns < a->until_ns);
    KS_ASSERT(world_now_ns(world) <= a->from_ns);
    uint64_t first = a->from_ns + rng_between(&st->rng, 0, a->every_ns_max);
    if (first < a->until_ns)
        faults_at(st, world, first, faults_tick);
    faults_at(st, world, a->until_ns, faults_end);
}

static bool faults_kinds_parse(struct scn_parser *p, const struct scn_token *value, uint32_t *kinds)
{
    *kinds = 0;
    char part[64];
    uint32_t start = 0;
    for (uint32_t i = 0; i <= value->len; i++) {
        if (i < value->len && value->text[i] != ',')
            continue;
        uint32_t len = i - start < sizeof(part) - 1 ? i - start : (uint32_t)sizeof(part) - 1;
        memcpy(part, value->text + start, len);
        part[len] = '\0';
        struct scn_token t = {.text = part, .len = len, .col = value->col + start};
        uint32_t kind = 0;
        while (kind < KS_ARRAY_COUNT(fault_kinds) && strcmp(fault_kinds[kind].name, part) != 0)
            kind++;
        if (kind == KS_ARRAY_COUNT(fault_kinds))
            return scn_fail(p, &t,
                            "unknown fault kind '%s' (kinds: crash, kill, stop, restart, "
                            "partition, partition_one_way, heal, pause, clock_jump, disk_eio)",
                            part);
        *kinds |= 1u << kind;
        start = i + 1;
    }
    return true;
}

/* LO..HI of signed durations, in whole milliseconds. */
static bool faults_jump_parse(struct scn_parser *p, const struct scn_token *value,
                              struct faults_args *a)
{
    const char *dots = strstr(value->text, "..");
    if (dots == NULL)
        return scn_fail(p, value, "expected a range such as -5s..5s, found '%s'", value->text);
    char lo_text[64], hi_text[64];
    uint32_t split = (uint32_t)(dots - value->text);
    snprintf(lo_text, sizeof(lo_text), "%.*s", (int)split, value->text);
    snprintf(hi_text, sizeof(hi_text), "%s", dots + 2);
    struct scn_token lo = {.text = lo_text, .len = split, .col = value->col};
    struct scn_token hi = {
        .text = hi_text, .len = (uint32_t)strlen(hi_text), .col = value->col + split + 2};
    int64_t lo_ns = 0, hi_ns = 0;
    if (!scn_token_duration_signed(p, &lo, &lo_ns) || !scn_token_duration_signed(p, &hi, &hi_ns))
        return false;
    if (hi_ns < lo_ns)
        return scn_fail(p, &hi, "range '%s' goes backwards", value->text);
    a->jump_ms_min = lo_ns / (int64_t)NS_PER_MS;
    a->jump_ms_max = hi_ns / (int64_t)NS_PER_MS;
    return true;
}

static bool faults_option_parse(struct scn_parser *p, struct faults_args *a)
{
    struct scn_token key, value;
    if (!scn_kv(p, "an option (kinds=, nodes=, pause=, jump=)", &key, &value))
        return false;
    if (strcmp(key.text, "kinds") == 0)
        return faults_kinds_parse(p, &value, &a->kinds);
    if (strcmp(key.text, "nodes") == 0)
        return scn_token_nodes(p, &value, &a->nodes);
    if (strcmp(key.text, "pause") == 0)
        return scn_token_duration_range(p, &value, &a->pause_ns_min, &a->pause_ns_max);
    if (strcmp(key.text, "jump") == 0)
        return faults_jump_parse(p, &value, a);
    return scn_fail(p, &key, "unknown option '%s' (options: kinds, nodes, pause, jump)", key.text);
}

static void faults_defaults(struct faults_args *a)
{
    a->kinds = 0;
    static const char *const kinds_default[] = {"crash", "restart", "partition", "heal", "pause"};
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(fault_kinds); i++) {
        for (uint32_t d = 0; d < KS_ARRAY_COUNT(kinds_default); d++) {
            if (strcmp(fault_kinds[i].name, kinds_default[d]) == 0)
                a->kinds |= 1u << i;
        }
    }
    a->nodes.all = true;
    a->pause_ns_min = 100 * NS_PER_MS;
    a->pause_ns_max = 3000 * NS_PER_MS;
    a->jump_ms_min = -5000;
    a->jump_ms_max = 5000;
}

static bool faults_parse(struct scn_parser *p, void **args_out)
{
    struct faults_args *a = ks_alloc(sizeof(*a));
    *args_out = a;
    faults_defaults(a);
    struct scn_token t;
    a->line = scn_parser_line(p);
    if (scn_accept(p, "from") && !scn_time(p, "a start time after 'from'", &a->from_ns))
        return false;
    if (!scn_expect_word(p, "until") || !scn_peek(p, &t) ||
        !scn_time(p, "an end time after 'until'", &a->until_ns))
        return false;
    if (a->until_ns <= a->from_ns)
        return scn_fail(p, &t, "'until' must come after 'from'");
    if (!scn_expect_word(p, "every") || !scn_peek(p, &t) ||
        !scn_duration_range(p, "a gap such as 1s..4s", &a->every_ns_min, &a->every_ns_max))
        return false;
    if (a->every_ns_min == 0)
        return scn_fail(p, &t, "the gap between faults must be longer than 0");
    if ((a->until_ns - a->from_ns) / a->every_ns_min >= SCN_REPEAT_FIRINGS_MAX)
        return scn_fail(p, &t, "faults would fire more than %u times: use a longer gap",
                        SCN_REPEAT_FIRINGS_MAX);
    for (uint32_t i = 0; i < SCN_LINE_TOKENS_MAX && scn_peek(p, &t); i++) {
        if (!faults_option_parse(p, a))
            return false;
    }
    if (a->kinds == 0)
        return scn_fail(p, NULL, "faults need at least one kind");
    return true;
}

bool scn_world_faults_until(const struct scn_action *action, uint64_t *until_ns_out)
{
    if (action->verb->exec != faults_exec)
        return false;
    const struct faults_args *a = action->args;
    *until_ns_out = a->until_ns;
    return true;
}

/* ---- Tables -------------------------------------------------------------------------- */

static const struct scn_verb world_verbs[] = {
    {"start", "start NODES", SCN_VERB_TIMED | SCN_VERB_BARE, nodes_parse, start_exec, NULL},
    {"crash", "crash NODES", SCN_VERB_TIMED, nodes_parse, crash_exec, NULL},
    {"kill", "kill NODES", SCN_VERB_TIMED, nodes_parse, kill_exec, NULL},
    {"restart", "restart NODES", SCN_VERB_TIMED, nodes_parse, restart_exec, NULL},
    {"stop", "stop NODES", SCN_VERB_TIMED, nodes_parse, stop_exec, NULL},
    {"pause", "pause NODES for DURATION", SCN_VERB_TIMED, pause_parse, pause_exec, NULL},
    {"partition", "partition NODES [| NODES | -> NODES]", SCN_VERB_TIMED | SCN_VERB_BARE,
     partition_parse, partition_exec, NULL},
    {"heal", "heal", SCN_VERB_TIMED, heal_parse, heal_exec, NULL},
    {"latency", "latency NODES | NODES LOW..HIGH", SCN_VERB_TIMED | SCN_VERB_BARE, latency_parse,
     latency_exec, NULL},
    {"disk", "disk NODES eio|bitflip|latency|capacity|enospc|clear ...",
     SCN_VERB_TIMED | SCN_VERB_BARE, disk_parse, disk_exec, NULL},
    {"clock", "clock NODES jump DELTA | drift PPM", SCN_VERB_TIMED | SCN_VERB_BARE, clock_parse,
     clock_exec, NULL},
    {"faults", "faults [from TIME] until TIME every LOW..HIGH [kinds=...] [nodes=...]",
     SCN_VERB_BARE, faults_parse, faults_exec, NULL},
};

const struct scn_module scn_world_module = {
    .name = "world",
    .verbs = world_verbs,
    .verb_count = KS_ARRAY_COUNT(world_verbs),
};

static const struct scn_prop_spec ping_props[] = {
    {"target", SCN_PROP_NODE, true, 0, 0},
    {"port", SCN_PROP_INT, false, 1, 65535},
    {"ping.interval.ms", SCN_PROP_INT, false, 1, 3600000},
    {"ping.sync.every", SCN_PROP_INT, false, 1, 1000000},
    {"reconnect.backoff.ms", SCN_PROP_INT, false, 1, 3600000},
};

static const struct scn_prop_spec echo_props[] = {
    {"port", SCN_PROP_INT, false, 1, 65535},
};

static const struct scn_node_kind fixture_kinds[] = {
    {"ping", &fixture_ping_type,
     "the world's ping fixture: round trips to a target, counter on disk", ping_props,
     KS_ARRAY_COUNT(ping_props)},
    {"echo", &fixture_echo_type, "the world's echo fixture: sends every frame back", echo_props,
     KS_ARRAY_COUNT(echo_props)},
};

static const struct inv_def *const fixture_invariants[] = {
    &inv_ping_in_order,
    &inv_ping_durable_counter,
    &inv_ping_progress,
};

const struct scn_module scn_world_fixture_module = {
    .name = "fixture",
    .node_kinds = fixture_kinds,
    .node_kind_count = KS_ARRAY_COUNT(fixture_kinds),
    .invariants = fixture_invariants,
    .invariant_count = KS_ARRAY_COUNT(fixture_invariants),
};
