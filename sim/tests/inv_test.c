/*
 * inv_test.c: the invariant checker set and the ping/echo fixture's invariants. Each
 * invariant holds on a healthy world and fails on the fault or bug switch it is
 * meant to catch; the set keeps at most INV_VIOLATIONS_MAX findings and stops the
 * world beyond them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../system/bugs.h"
#include "../inv.h"
#include "../world.h"
#include "fixture_pingecho.h"

#define NS_PER_S 1000000000ull

static const struct inv_def *const ping_defs[] = {&inv_ping_in_order, &inv_ping_durable_counter,
                                                  &inv_ping_progress};

struct fixture {
    struct world *world;
    struct inv_set *set;
    int echo;
    int ping;
    uint32_t printed;
};

static void on_violation(void *ctx, const struct inv_violation *v)
{
    struct fixture *f = ctx;
    f->printed++;
    assert_true(v->invariant[0] != '\0');
}

static void fixture_init(struct fixture *f, env_bug_mask bugs)
{
    memset(f, 0, sizeof(*f));
    struct world_config config;
    world_config_default(&config, 5);
    config.bugs = bugs;
    f->world = world_create(&config);
    struct props props;
    props_init(&props);
    f->echo = world_node_add(f->world, "echo1", &fixture_echo_type, &props);
    assert_int_equal(props_set(&props, "target", "echo1"), KS_OK);
    assert_int_equal(props_set(&props, "ping.interval.ms", "2"), KS_OK);
    f->ping = world_node_add(f->world, "ping1", &fixture_ping_type, &props);
    props_free(&props);
    f->set = inv_set_create(f->world, ping_defs, KS_ARRAY_COUNT(ping_defs), on_violation, f);
    assert_int_equal(world_node_start(f->world, f->echo), KS_OK);
    assert_int_equal(world_node_start(f->world, f->ping), KS_OK);
}

static void fixture_run(struct fixture *f, uint64_t until_s)
{
    world_run_until(f->world, until_s * NS_PER_S, UINT64_MAX);
}

static const struct inv_violation *fixture_finish(struct fixture *f, uint32_t *count)
{
    inv_set_finish(f->set);
    const struct inv_violation *v = inv_set_violations(f->set, count);
    assert_int_equal(f->printed, *count);
    return v;
}

static void fixture_free(struct fixture *f)
{
    world_destroy(f->world);
    inv_set_destroy(f->set);
}

static void healthy_world_holds(void **state)
{
    struct fixture f;
    fixture_init(&f, 0);
    fixture_run(&f, 3);
    /* A power loss of the ping and a restart: the synced count survives. */
    assert_int_equal(world_node_crash(f.world, f.ping), KS_OK);
    inv_set_disturbed(f.set);
    assert_int_equal(world_node_start(f.world, f.ping), KS_OK);
    fixture_run(&f, 12);
    uint32_t count = 0;
    fixture_finish(&f, &count);
    assert_int_equal(count, 0);
    fixture_free(&f);
}

static void echo_reorder_breaks_in_order(void **state)
{
    struct fixture f;
    fixture_init(&f, (env_bug_mask)1 << KS_BUG_FIXTURE_ECHO_REORDER);
    fixture_run(&f, 10);
    uint32_t count = 0;
    const struct inv_violation *v = fixture_finish(&f, &count);
    assert_int_equal(count, 1); /* once per incarnation, not once per echo */
    assert_string_equal(v[0].invariant, "ping_in_order");
    assert_string_equal(v[0].node, "ping1");
    assert_true(v[0].time_ns > 0);
    fixture_free(&f);
}

static void skip_fsync_breaks_durable_counter(void **state)
{
    struct fixture f;
    fixture_init(&f, (env_bug_mask)1 << KS_BUG_FIXTURE_PING_SKIP_FSYNC);
    fixture_run(&f, 3);
    assert_int_equal(world_node_crash(f.world, f.ping), KS_OK);
    assert_int_equal(world_node_start(f.world, f.ping), KS_OK);
    fixture_run(&f, 4); /* the observer sees the new incarnation after an event */
    uint32_t count = 0;
    const struct inv_violation *v = inv_set_violations(f.set, &count);
    assert_int_equal(count, 1);
    assert_string_equal(v[0].invariant, "ping_durable_counter");
    assert_non_null(strstr(v[0].message, "was reported synced before"));
    fixture_free(&f);
}

static void dead_echo_breaks_progress(void **state)
{
    struct fixture f;
    fixture_init(&f, 0);
    fixture_run(&f, 2);
    assert_int_equal(world_node_crash(f.world, f.echo), KS_OK);
    inv_set_disturbed(f.set);
    fixture_run(&f, 10);
    uint32_t count = 0;
    const struct inv_violation *v = fixture_finish(&f, &count);
    assert_int_equal(count, 1);
    assert_string_equal(v[0].invariant, "ping_progress");
    assert_non_null(strstr(v[0].message, "no round trip in the last 8000ms"));
    fixture_free(&f);
}

static void short_quiet_breaks_progress(void **state)
{
    struct fixture f;
    fixture_init(&f, 0);
    fixture_run(&f, 9);
    world_heal(f.world);
    inv_set_disturbed(f.set); /* a disturbance 1 s before the end */
    fixture_run(&f, 10);
    uint32_t count = 0;
    const struct inv_violation *v = fixture_finish(&f, &count);
    assert_int_equal(count, 1);
    assert_non_null(strstr(v[0].message, "the run ended 1000ms after"));
    fixture_free(&f);
}

static void always_check(void *state, struct inv_check *check)
{
    inv_check_report(check, -1, "event %llu",
                     (unsigned long long)world_events_count(inv_check_world(check)));
}

static const struct inv_def inv_always = {
    .name = "always", .summary = "fails after every event", .check_event = always_check};

static void violations_are_capped(void **state)
{
    struct world_config config;
    world_config_default(&config, 1);
    struct world *world = world_create(&config);
    const struct inv_def *defs[] = {&inv_always};
    struct inv_set *set = inv_set_create(world, defs, 1, NULL, NULL);
    struct props props;
    props_init(&props);
    int echo = world_node_add(world, "echo1", &fixture_echo_type, &props);
    assert_int_equal(props_set(&props, "target", "echo1"), KS_OK);
    int ping = world_node_add(world, "ping1", &fixture_ping_type, &props);
    props_free(&props);
    assert_int_equal(world_node_start(world, echo), KS_OK);
    assert_int_equal(world_node_start(world, ping), KS_OK);
    world_run_until(world, 10 * NS_PER_S, UINT64_MAX);
    assert_true(world_stopped(world));
    uint32_t count = 0;
    const struct inv_violation *v = inv_set_violations(set, &count);
    assert_int_equal(count, INV_VIOLATIONS_MAX);
    assert_int_equal(inv_set_violations_dropped(set), 1);
    assert_string_equal(v[0].node, "");
    assert_string_equal(v[0].invariant, "always");
    world_destroy(world);
    inv_set_destroy(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(healthy_world_holds),
        cmocka_unit_test(echo_reorder_breaks_in_order),
        cmocka_unit_test(skip_fsync_breaks_durable_counter),
        cmocka_unit_test(dead_echo_breaks_progress),
        cmocka_unit_test(short_quiet_breaks_progress),
        cmocka_unit_test(violations_are_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
