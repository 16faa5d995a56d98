/*
 * world_test.c: the world's semantics, pinned with the ping/echo fixture and a probe
 * node: determinism of the trace hash, partitions (two-way breaks, one-way holds),
 * refused and timed-out connects, crash and restart against the disk, pause, clocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../system/bugs.h"
#include "../world.h"
#include "fixture_pingecho.h"

#define MS WORLD_NS_PER_MS

struct pair {
    struct world *w;
    int echo, ping;
};

static struct pair pair_new(uint64_t seed, env_bug_mask bugs)
{
    struct world_config config;
    world_config_default(&config, seed);
    config.bugs = bugs;
    struct pair p = {.w = world_create(&config)};
    struct props props;
    props_init(&props);
    assert_int_equal(props_set(&props, "target", "echo1"), KS_OK);
    assert_int_equal(props_set(&props, "ping.interval.ms", "5"), KS_OK);
    p.echo = world_node_add(p.w, "echo1", &fixture_echo_type, NULL);
    p.ping = world_node_add(p.w, "ping1", &fixture_ping_type, &props);
    props_free(&props);
    assert_int_equal(world_node_start(p.w, p.echo), KS_OK);
    assert_int_equal(world_node_start(p.w, p.ping), KS_OK);
    return p;
}

static struct fixture_ping_status ping_status(struct pair *p)
{
    struct fixture_ping_status s;
    fixture_ping_status_get(world_node_impl(p->w, p->ping), &s);
    return s;
}

static void run_to(struct pair *p, uint64_t t_ms)
{
    world_run_until(p->w, t_ms * MS, UINT64_MAX);
    assert_int_equal(world_now_ns(p->w), t_ms * MS);
}

static void test_ping_echo_round_trips(void **state)
{
    struct pair p = pair_new(1, 0);
    run_to(&p, 1000);
    struct fixture_ping_status s = ping_status(&p);
    assert_true(s.round_trips > 100);
    assert_int_equal(s.order_errors, 0);
    assert_int_equal(s.connects, 1);
    world_destroy(p.w);
}

static uint64_t run_hash(uint64_t seed)
{
    struct pair p = pair_new(seed, 0);
    run_to(&p, 200);
    world_node_crash(p.w, p.echo);
    run_to(&p, 400);
    world_node_start(p.w, p.echo);
    run_to(&p, 800);
    uint64_t h = world_trace_hash(p.w);
    world_destroy(p.w);
    return h;
}

static void test_equal_seeds_equal_traces(void **state)
{
    assert_int_equal(run_hash(5), run_hash(5));
    assert_int_not_equal(run_hash(5), run_hash(6));
}

static void test_two_way_partition_breaks_and_heal_reconnects(void **state)
{
    struct pair p = pair_new(2, 0);
    run_to(&p, 100);
    assert_int_equal(ping_status(&p).connects, 1);
    world_partition(p.w, &p.ping, 1, &p.echo, 1, false);
    assert_true(world_link_blocked(p.w, p.ping, p.echo));
    assert_true(world_link_blocked(p.w, p.echo, p.ping));
    run_to(&p, 150);
    uint64_t during = ping_status(&p).round_trips;
    run_to(&p, 2000);
    assert_int_equal(ping_status(&p).round_trips, during); /* nothing crosses */
    assert_int_equal(ping_status(&p).connects, 1);         /* reconnects time out */
    struct fixture_echo_status es;
    fixture_echo_status_get(world_node_impl(p.w, p.echo), &es);
    assert_int_equal(es.connections, 1);
    world_heal(p.w);
    run_to(&p, 6000);
    assert_true(ping_status(&p).connects >= 2);
    assert_true(ping_status(&p).round_trips > during + 100);
    assert_int_equal(ping_status(&p).order_errors, 0);
    world_destroy(p.w);
}

static void test_one_way_partition_holds_then_delivers(void **state)
{
    struct pair p = pair_new(3, 0);
    run_to(&p, 100);
    world_partition(p.w, &p.ping, 1, &p.echo, 1, true);
    assert_true(world_link_blocked(p.w, p.ping, p.echo));
    assert_false(world_link_blocked(p.w, p.echo, p.ping));
    run_to(&p, 120);
    uint64_t before = ping_status(&p).round_trips;
    run_to(&p, 1000);
    assert_int_equal(ping_status(&p).round_trips, before); /* held, not lost */
    assert_int_equal(ping_status(&p).connects, 1);         /* connection lives */
    world_heal(p.w);
    run_to(&p, 1100);
    assert_true(ping_status(&p).round_trips > before);
    assert_int_equal(ping_status(&p).connects, 1);
    assert_int_equal(ping_status(&p).order_errors, 0);
    world_destroy(p.w);
}

/* A probe node that records what happens to one connect. */
struct probe {
    struct env *env;
    enum ks_err open_err;
    bool opened;
    uint64_t opened_at_ns;
};

static void probe_open(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct probe *pr = ctx;
    pr->opened = true;
    pr->open_err = err;
    pr->opened_at_ns = env_mono_ns(pr->env);
}
static void probe_recv(void *ctx, env_conn_id c, const uint8_t *b, uint32_t n) {}
static void probe_closed(void *ctx, env_conn_id c, enum ks_err err) {}
static const struct env_conn_handler probe_handler = {probe_open, probe_recv, probe_closed};

static void *probe_start(struct env *env, const struct props *config)
{
    struct probe *pr = ks_alloc(sizeof(*pr));
    pr->env = env;
    env_conn_id conn = 0;
    assert_int_equal(env_connect(env, props_get(config, "target"), 7, &probe_handler, pr, &conn),
                     KS_OK);
    return pr;
}
static void probe_destroy(void *node) { free(node); }
static const struct world_node_type probe_type = {"probe", probe_start, NULL, probe_destroy, NULL};

static struct probe *probe_add(struct world *w, const char *name, const char *target, int *id)
{
    struct props props;
    props_init(&props);
    assert_int_equal(props_set(&props, "target", target), KS_OK);
    *id = world_node_add(w, name, &probe_type, &props);
    props_free(&props);
    assert_int_equal(world_node_start(w, *id), KS_OK);
    return world_node_impl(w, *id);
}

static void test_connect_refused_when_down_and_timeout_across_partition(void **state)
{
    struct world_config config;
    world_config_default(&config, 4);
    struct world *w = world_create(&config);
    int echo = world_node_add(w, "echo1", &fixture_echo_type, NULL);
    int echo2 = world_node_add(w, "echo2", &fixture_echo_type, NULL);
    assert_int_equal(world_node_start(w, echo2), KS_OK);
    int a = -1, b = -1;
    struct probe *pa = probe_add(w, "probe-a", "echo1", &a); /* echo1 never started */
    world_run_until(w, 100 * MS, UINT64_MAX);
    assert_true(pa->opened);
    assert_int_equal(pa->open_err, KS_ERR_REFUSED);
    assert_true(pa->opened_at_ns < 10 * MS); /* no timeout wait */
    world_partition(w, &echo2, 1, &echo, 1, false); /* unrelated: does not matter */
    int others[] = {echo2};
    struct probe *pb = probe_add(w, "probe-b", "echo2", &b);
    world_partition(w, &b, 1, others, 1, false);
    world_run_until(w, 100 * MS + config.connect_timeout_ns - MS, UINT64_MAX);
    assert_false(pb->opened);
    world_run_until(w, 200 * MS + config.connect_timeout_ns, UINT64_MAX);
    assert_true(pb->opened);
    assert_int_equal(pb->open_err, KS_ERR_TIMED_OUT);
    world_destroy(w);
}

/* Connect time is one latency each way: the link's distribution shows through it. */
static uint64_t connect_time_ns(uint64_t seed, uint32_t tail_ppm)
{
    struct world_config config;
    world_config_default(&config, seed);
    struct world *w = world_create(&config);
    int echo = world_node_add(w, "echo1", &fixture_echo_type, NULL);
    assert_int_equal(world_node_start(w, echo), KS_OK);
    struct props props;
    props_init(&props);
    assert_int_equal(props_set(&props, "target", "echo1"), KS_OK);
    int probe = world_node_add(w, "probe", &probe_type, &props);
    props_free(&props);
    world_link_latency_set(w, probe, echo, 7 * MS, 7 * MS, true);
    world_link_tail_set(w, probe, echo, tail_ppm, 50 * MS, true);
    assert_int_equal(world_node_start(w, probe), KS_OK);
    world_run_until(w, 1000 * MS, UINT64_MAX);
    struct probe *pr = world_node_impl(w, probe);
    assert_true(pr->opened);
    assert_int_equal(pr->open_err, KS_OK);
    uint64_t t = pr->opened_at_ns;
    world_destroy(w);
    return t;
}

static void test_link_latency_distribution(void **state)
{
    for (uint64_t seed = 1; seed <= 5; seed++)
        assert_int_equal(connect_time_ns(seed, 0), 14 * MS);
    bool varied = false;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        uint64_t t = connect_time_ns(seed, 1000000);
        assert_true(t >= 14 * MS && t <= 100 * MS);
        varied |= t != 14 * MS;
    }
    assert_true(varied);
}

static void test_crash_loses_unsynced_keeps_synced(void **state)
{
    struct pair p = pair_new(5, 0);
    run_to(&p, 1000);
    struct fixture_ping_status before = ping_status(&p);
    assert_true(before.synced > 0);
    assert_int_equal(world_node_crash(p.w, p.ping), KS_OK);
    assert_null(world_node_impl(p.w, p.ping));
    assert_int_equal(world_node_state_of(p.w, p.ping), WORLD_NODE_CRASHED);
    run_to(&p, 1100);
    assert_int_equal(world_node_start(p.w, p.ping), KS_OK);
    struct fixture_ping_status after = ping_status(&p);
    assert_true(after.loaded_at_start >= before.synced);
    assert_true(after.loaded_at_start <= before.acked);
    assert_int_equal(world_node_incarnation(p.w, p.ping), 2);
    /* the echo side saw its connection break and accepts the new one */
    run_to(&p, 2000);
    assert_true(ping_status(&p).round_trips > 0);
    world_destroy(p.w);
}

static void test_clean_stop_keeps_everything(void **state)
{
    struct pair p = pair_new(6, 0);
    run_to(&p, 333);
    uint64_t acked = ping_status(&p).acked;
    assert_int_equal(world_node_stop(p.w, p.ping), KS_OK);
    assert_int_equal(world_node_start(p.w, p.ping), KS_OK);
    assert_int_equal(ping_status(&p).loaded_at_start, acked);
    world_destroy(p.w);
}

static void test_skip_fsync_bug_loses_claimed_counts(void **state)
{
    /* With the bug on, some crash loses a count the node called durable. */
    bool caught = false;
    for (uint64_t seed = 1; seed <= 20 && !caught; seed++) {
        struct pair p = pair_new(seed, 1ull << KS_BUG_FIXTURE_PING_SKIP_FSYNC);
        run_to(&p, 500);
        uint64_t synced = ping_status(&p).synced;
        world_node_crash(p.w, p.ping);
        world_node_start(p.w, p.ping);
        caught = ping_status(&p).loaded_at_start < synced;
        world_destroy(p.w);
    }
    assert_true(caught);
}

static void test_pause_defers_events(void **state)
{
    struct pair p = pair_new(7, 0);
    run_to(&p, 100);
    assert_int_equal(world_node_pause(p.w, p.echo, 500 * MS), KS_OK);
    assert_int_equal(world_node_state_of(p.w, p.echo), WORLD_NODE_PAUSED);
    run_to(&p, 120);
    uint64_t before = ping_status(&p).round_trips;
    run_to(&p, 590);
    assert_int_equal(ping_status(&p).round_trips, before);
    run_to(&p, 700);
    assert_int_equal(world_node_state_of(p.w, p.echo), WORLD_NODE_RUNNING);
    assert_true(ping_status(&p).round_trips > before);
    assert_int_equal(ping_status(&p).order_errors, 0);
    world_destroy(p.w);
}

static void test_clocks_skew_drift_jump(void **state)
{
    struct pair p = pair_new(8, 0);
    struct env *env = world_node_env(p.w, p.ping);
    int64_t wall0 = env_wall_ms(env);
    uint64_t mono0 = env_mono_ns(env);
    world_clock_jump(p.w, p.ping, -3600 * 1000);
    assert_int_equal(env_wall_ms(env), wall0 - 3600 * 1000);
    assert_int_equal(env_mono_ns(env), mono0); /* monotonic ignores jumps */
    assert_int_equal(world_clock_drift(p.w, p.ping, 1000), KS_OK);
    assert_int_equal(world_clock_drift(p.w, p.ping, 1001 + 0 * WORLD_CLOCK_DRIFT_PPM_MAX),
                     KS_ERR_INVALID);
    run_to(&p, 10000);
    /* 10 s at +1000 ppm: 10 ms ahead of the echo node's clock, besides the jump */
    int64_t diff = world_clock_wall_ms(p.w, p.ping) - world_clock_wall_ms(p.w, p.echo);
    assert_int_equal(diff, -3600 * 1000 + 10);
    world_destroy(p.w);
}

static void test_echo_reorder_bug_is_seen(void **state)
{
    struct pair p = pair_new(9, 1ull << KS_BUG_FIXTURE_ECHO_REORDER);
    run_to(&p, 500);
    assert_true(ping_status(&p).order_errors > 0);
    world_destroy(p.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping_echo_round_trips),
        cmocka_unit_test(test_equal_seeds_equal_traces),
        cmocka_unit_test(test_two_way_partition_breaks_and_heal_reconnects),
        cmocka_unit_test(test_one_way_partition_holds_then_delivers),
        cmocka_unit_test(test_connect_refused_when_down_and_timeout_across_partition),
        cmocka_unit_test(test_link_latency_distribution),
        cmocka_unit_test(test_crash_loses_unsynced_keeps_synced),
        cmocka_unit_test(test_clean_stop_keeps_everything),
        cmocka_unit_test(test_skip_fsync_bug_loses_claimed_counts),
        cmocka_unit_test(test_pause_defers_events),
        cmocka_unit_test(test_clocks_skew_drift_jump),
        cmocka_unit_test(test_echo_reorder_bug_is_seen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
