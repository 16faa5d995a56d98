/*
 * gen.c: random worlds, see gen.h. The world's own part draws link latencies and the
 * fault schedule after the module parts have added their nodes; the fixture's part
 * draws pings and echoes. Every number is drawn within the range the scenario
 * language accepts, so a generated scenario always parses.
 */
#include "gen.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define GEN_LINE_BYTES_MAX 1024u
#define GEN_NAME_BYTES_MAX 32u
#define NS_PER_S UINT64_C(1000000000)
#define NS_PER_MS UINT64_C(1000000)

struct gen {
    char *text;
    size_t used;
    char nodes[GEN_NODES_MAX][GEN_NAME_BYTES_MAX];
    uint32_t node_count;
    const char *expects[GEN_EXPECTS_MAX];
    uint32_t expect_count;
};

static void gen_vappend(struct gen *g, const char *fmt, va_list ap)
{
    KS_ASSERT(g->used < GEN_TEXT_BYTES_MAX);
    int n = vsnprintf(g->text + g->used, GEN_TEXT_BYTES_MAX - g->used, fmt, ap);
    KS_ASSERT(n >= 0);
    KS_ASSERT(g->used + (size_t)n < GEN_TEXT_BYTES_MAX);
    g->used += (size_t)n;
}

static void gen_append(struct gen *g, const char *fmt, ...) KS_PRINTF(2, 3);
static void gen_append(struct gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gen_vappend(g, fmt, ap);
    va_end(ap);
}

uint32_t gen_node(struct gen *g, const char *fmt, ...)
{
    KS_ASSERT(g->node_count < GEN_NODES_MAX);
    char line[GEN_LINE_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    size_t name_len = strcspn(line, " ");
    KS_ASSERT(name_len > 0 && name_len < GEN_NAME_BYTES_MAX);
    memcpy(g->nodes[g->node_count], line, name_len);
    g->nodes[g->node_count][name_len] = '\0';
    gen_append(g, "node %s\n", line);
    return g->node_count++;
}

void gen_line(struct gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gen_vappend(g, fmt, ap);
    va_end(ap);
    gen_append(g, "\n");
}

void gen_expect(struct gen *g, const char *invariant)
{
    for (uint32_t i = 0; i < g->expect_count; i++) {
        if (strcmp(g->expects[i], invariant) == 0)
            return;
    }
    KS_ASSERT(g->expect_count < GEN_EXPECTS_MAX);
    g->expects[g->expect_count++] = invariant;
}

uint32_t gen_node_count(const struct gen *g)
{
    return g->node_count;
}

const char *gen_node_name(const struct gen *g, uint32_t index)
{
    KS_ASSERT(index < g->node_count);
    return g->nodes[index];
}

/* ---- The ping/echo fixture's part ---------------------------------------------------- */

#define GEN_ECHOES_MAX 3u
#define GEN_PINGS_MAX 4u

static void gen_pingecho_draw(struct gen *g, struct rng *rng)
{
    uint32_t echoes = (uint32_t)rng_between(rng, 1, GEN_ECHOES_MAX);
    uint32_t pings = (uint32_t)rng_between(rng, 1, GEN_PINGS_MAX);
    for (uint32_t i = 0; i < echoes; i++)
        gen_node(g, "echo%" PRIu32 " type=echo", i + 1);
    for (uint32_t i = 0; i < pings; i++) {
        gen_node(g,
                 "ping%" PRIu32 " type=ping target=echo%" PRIu64 " ping.interval.ms=%" PRIu64
                 " ping.sync.every=%" PRIu64 " reconnect.backoff.ms=%" PRIu64,
                 i + 1, rng_between(rng, 1, echoes), rng_between(rng, 1, 50),
                 rng_between(rng, 1, 16), rng_between(rng, 10, 500));
    }
    gen_expect(g, "ping_in_order");
    gen_expect(g, "ping_durable_counter");
    gen_expect(g, "ping_progress");
}

static const struct gen_part gen_part_pingecho = {"pingecho", gen_pingecho_draw};

/* Every module's part. Later issues append theirs (brokers, controllers, clients). */
static const struct gen_part *const gen_parts[] = {
    &gen_part_pingecho,
};

/* ---- The world's part: latencies and the fault schedule -------------------------------- */

/* Fault kinds of the `faults` verb (scn_world.c); the swarm enables a random subset. */
static const char *const gen_fault_kinds[] = {
    "crash", "kill",  "stop",       "restart", "partition", "partition_one_way",
    "heal",  "pause", "clock_jump", "disk_eio"};

static void gen_world_line(struct gen *g, struct rng *rng, uint64_t seed)
{
    uint64_t lat_min_us = rng_between(rng, 50, 1000);
    uint64_t lat_max_us = lat_min_us + rng_between(rng, 0, 5000);
    gen_append(g,
               "world seed=%" PRIu64 " latency=%" PRIu64 "us..%" PRIu64
               "us connect.timeout=%" PRIu64 "ms\n\n",
               seed, lat_min_us, lat_max_us, rng_between(rng, 200, 3000));
}

/* Which kinds are on: each with odds 1/2, and always something that heals and restarts
 * when something breaks or takes down (the schedule's end recovers anyway). */
static void gen_faults_kinds(struct gen *g, struct rng *rng)
{
    bool first = true;
    uint32_t on = 0;
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(gen_fault_kinds); i++) {
        if (rng_below(rng, 2) == 0)
            continue;
        gen_append(g, "%s%s", first ? " kinds=" : ",", gen_fault_kinds[i]);
        first = false;
        on++;
    }
    if (on == 0)
        gen_append(g, " kinds=%s",
                   gen_fault_kinds[rng_below(rng, KS_ARRAY_COUNT(gen_fault_kinds))]);
}

static void gen_faults(struct gen *g, struct rng *rng, uint64_t run_ns)
{
    KS_ASSERT(run_ns >= GEN_RUN_NS_MIN);
    if (rng_below(rng, 8) == 0) {
        gen_append(g, "# no faults in this world\n");
        return;
    }
    uint64_t from_ns = rng_between(rng, 1, 5) * NS_PER_S;
    uint64_t until_ns = run_ns - GEN_QUIET_NS;
    uint64_t gap_min_ms = rng_between(rng, 50, 2000);
    uint64_t gap_max_ms = gap_min_ms + rng_between(rng, 0, 4000);
    gen_append(g, "faults from %" PRIu64 "s until %" PRIu64 "s every %" PRIu64 "ms..%" PRIu64 "ms",
               (uint64_t)(from_ns / NS_PER_S), (uint64_t)(until_ns / NS_PER_S), gap_min_ms,
               gap_max_ms);
    gen_faults_kinds(g, rng);
    uint64_t pause_min_ms = rng_between(rng, 10, 1000);
    gen_append(g, " pause=%" PRIu64 "ms..%" PRIu64 "ms jump=-%" PRIu64 "s..%" PRIu64 "s\n",
               pause_min_ms, pause_min_ms + rng_between(rng, 0, 3000), rng_between(rng, 0, 30),
               rng_between(rng, 0, 30));
}

static void gen_latencies(struct gen *g, struct rng *rng)
{
    uint32_t count = g->node_count;
    for (uint32_t i = 0; count > 1 && i < 2; i++) {
        if (rng_below(rng, 3) != 0)
            continue;
        uint32_t a = (uint32_t)rng_below(rng, count), b = (uint32_t)rng_below(rng, count);
        if (a == b)
            continue;
        uint64_t lo_us = rng_between(rng, 100, 5000);
        gen_line(g, "latency %s | %s %" PRIu64 "us..%" PRIu64 "us", g->nodes[a], g->nodes[b], lo_us,
                 lo_us + rng_between(rng, 0, 20000));
    }
}

char *gen_scenario(uint64_t seed, const struct gen_options *options)
{
    struct gen *g = ks_alloc(sizeof(*g));
    g->text = ks_alloc(GEN_TEXT_BYTES_MAX);
    struct rng rng;
    rng_derive(&rng, seed, "gen/world");
    uint64_t run_ns =
        options->run_ns != 0 ? options->run_ns : rng_between(&rng, 30, 120) * NS_PER_S;
    if (run_ns < GEN_RUN_NS_MIN)
        run_ns = GEN_RUN_NS_MIN;
    gen_append(g, "# A random world drawn from seed %" PRIu64 " by ksim swarm.\n", seed);
    gen_world_line(g, &rng, seed);
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(gen_parts); i++) {
        struct rng part_rng;
        char name[64];
        snprintf(name, sizeof(name), "gen/part/%s", gen_parts[i]->name);
        rng_derive(&part_rng, seed, name);
        gen_parts[i]->draw(g, &part_rng);
    }
    gen_append(g, "\n");
    gen_latencies(g, &rng);
    gen_faults(g, &rng, run_ns);
    gen_append(g, "\nrun %" PRIu64 "ms\nexpect", (uint64_t)(run_ns / NS_PER_MS));
    for (uint32_t i = 0; i < g->expect_count; i++)
        gen_append(g, " %s", g->expects[i]);
    gen_append(g, "\n");
    char *text = g->text;
    free(g);
    return text;
}
