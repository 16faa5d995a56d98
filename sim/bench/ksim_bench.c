/*
 * ksim_bench.c: the world's benchmarks, run by ci/bench (never by ci/test).
 *  1. bare scheduler events per second: a heap holding 1024 pending events, each
 *     event scheduling its successor at a pseudo-random later time;
 *  2. the simulated-to-wall time ratio and events per second of a many-node world:
 *     PAIRS ping/echo pairs running for SECONDS of simulated time.
 * Prints one JSON object a line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../tests/fixture_pingecho.h"
#include "../world.h"

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct chain {
    struct sched *sched;
    uint64_t x;
};

static void chain_step(void *ctx, uint64_t arg)
{
    struct chain *c = ctx;
    c->x = c->x * 6364136223846793005ull + 1442695040888963407ull;
    sched_after(c->sched, 1 + (c->x >> 54), chain_step, ctx, arg);
}

static void bench_scheduler(uint64_t events)
{
    struct chain c = {.sched = sched_create(), .x = 1};
    for (uint32_t i = 0; i < 1024; i++)
        sched_at(c.sched, i, chain_step, &c, i);
    uint64_t t0 = wall_ns();
    for (uint64_t i = 0; i < events; i++)
        sched_step(c.sched, UINT64_MAX);
    uint64_t dt = wall_ns() - t0;
    printf("{\"bench\":\"scheduler\",\"events\":%llu,\"wall_ms\":%.1f,"
           "\"events_per_second\":%.0f}\n",
           (unsigned long long)events, dt / 1e6, events / (dt / 1e9));
    sched_destroy(c.sched);
}

static void bench_world(uint32_t pairs, uint64_t seconds)
{
    struct world_config config;
    world_config_default(&config, 1);
    struct world *w = world_create(&config);
    for (uint32_t i = 0; i < pairs; i++) {
        char echo[32], ping[32];
        snprintf(echo, sizeof(echo), "echo%u", i);
        snprintf(ping, sizeof(ping), "ping%u", i);
        struct props props;
        props_init(&props);
        if (props_set(&props, "target", echo) != KS_OK)
            abort();
        int e = world_node_add(w, echo, &fixture_echo_type, NULL);
        int p = world_node_add(w, ping, &fixture_ping_type, &props);
        props_free(&props);
        if (world_node_start(w, e) != KS_OK || world_node_start(w, p) != KS_OK)
            abort();
    }
    uint64_t t0 = wall_ns();
    uint64_t events = world_run_until(w, seconds * 1000000000ull, UINT64_MAX);
    uint64_t dt = wall_ns() - t0;
    printf("{\"bench\":\"ping_world\",\"nodes\":%u,\"sim_seconds\":%llu,\"events\":%llu,"
           "\"wall_ms\":%.1f,\"events_per_second\":%.0f,\"sim_to_wall_ratio\":%.1f}\n",
           pairs * 2, (unsigned long long)seconds, (unsigned long long)events, dt / 1e6,
           events / (dt / 1e9), (seconds * 1e9) / dt);
    world_destroy(w);
}

int main(int argc, char **argv)
{
    uint64_t events = argc > 1 ? strtoull(argv[1], NULL, 10) : 50000000ull;
    uint32_t pairs = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 50;
    uint64_t seconds = argc > 3 ? strtoull(argv[3], NULL, 10) : 60;
    bench_scheduler(events);
    bench_world(pairs, seconds);
    return 0;
}
