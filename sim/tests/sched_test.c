/*
 * sched_test.c: the scheduler's order, cancellation and virtual time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "../sched.h"

struct log {
    uint64_t args[64];
    uint64_t times[64];
    uint32_t count;
    struct sched *sched;
};

static void record(void *ctx, uint64_t arg)
{
    struct log *l = ctx;
    assert_true(l->count < 64);
    l->times[l->count] = sched_now_ns(l->sched);
    l->args[l->count++] = arg;
}

static void run_all(struct sched *s)
{
    while (sched_step(s, UINT64_MAX)) {
    }
}

static void test_order_by_time_then_sequence(void **state)
{
    struct log l = {.sched = sched_create()};
    static const struct { uint64_t time_ns; uint64_t arg; } cases[] = {
        {50, 1}, {10, 2}, {50, 3}, {10, 4}, {0, 5}, {50, 6},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        sched_at(l.sched, cases[i].time_ns, record, &l, cases[i].arg);
    run_all(l.sched);
    static const uint64_t expected[] = {5, 2, 4, 1, 3, 6};
    assert_int_equal(l.count, 6);
    for (uint32_t i = 0; i < 6; i++)
        assert_int_equal(l.args[i], expected[i]);
    assert_int_equal(sched_now_ns(l.sched), 50);
    sched_destroy(l.sched);
}

static void test_time_jumps_over_idle(void **state)
{
    struct log l = {.sched = sched_create()};
    sched_at(l.sched, 1000000000000ull, record, &l, 1); /* 1000 s away */
    assert_true(sched_step(l.sched, UINT64_MAX));
    assert_int_equal(l.times[0], 1000000000000ull);
    assert_int_equal(sched_run_count(l.sched), 1);
    /* nothing due: time moves to the bound */
    assert_false(sched_step(l.sched, 2000000000000ull));
    assert_int_equal(sched_now_ns(l.sched), 2000000000000ull);
    sched_destroy(l.sched);
}

static void test_cancel(void **state)
{
    struct log l = {.sched = sched_create()};
    sched_event_id a = sched_at(l.sched, 10, record, &l, 1);
    sched_event_id b = sched_at(l.sched, 20, record, &l, 2);
    assert_int_not_equal(a, 0);
    void *ctx = NULL;
    assert_true(sched_cancel(l.sched, a, &ctx));
    assert_ptr_equal(ctx, &l);
    assert_false(sched_cancel(l.sched, a, NULL)); /* twice */
    assert_int_equal(sched_pending_count(l.sched), 1);
    run_all(l.sched);
    assert_int_equal(l.count, 1);
    assert_int_equal(l.args[0], 2);
    assert_false(sched_cancel(l.sched, b, NULL)); /* already fired */
    /* a reused slot does not answer to the old id */
    sched_event_id c = sched_at(l.sched, 30, record, &l, 3);
    assert_int_not_equal(c, a);
    assert_int_not_equal(c, b);
    assert_false(sched_cancel(l.sched, b, NULL));
    assert_true(sched_cancel(l.sched, c, NULL));
    assert_false(sched_cancel(l.sched, 0, NULL));
    sched_destroy(l.sched);
}

static void chain(void *ctx, uint64_t arg)
{
    struct log *l = ctx;
    record(ctx, arg);
    if (arg < 5)
        sched_after(l->sched, 0, chain, ctx, arg + 1); /* same time, runs after */
}

static void test_same_time_events_run_in_schedule_order(void **state)
{
    struct log l = {.sched = sched_create()};
    sched_at(l.sched, 7, chain, &l, 1);
    sched_at(l.sched, 7, record, &l, 100);
    run_all(l.sched);
    static const uint64_t expected[] = {1, 100, 2, 3, 4, 5};
    assert_int_equal(l.count, 6);
    for (uint32_t i = 0; i < 6; i++) {
        assert_int_equal(l.args[i], expected[i]);
        assert_int_equal(l.times[i], 7);
    }
    sched_destroy(l.sched);
}

static uint32_t drained;
static void drop(void *ctx, uint64_t arg) { drained++; }

static void test_drain_and_many_events(void **state)
{
    struct sched *s = sched_create();
    uint64_t x = 12345;
    for (uint32_t i = 0; i < 100000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        sched_at(s, x >> 40, drop, NULL, i);
    }
    uint64_t last = 0;
    for (uint32_t i = 0; i < 50000; i++) {
        assert_true(sched_step(s, UINT64_MAX));
        assert_true(sched_now_ns(s) >= last);
        last = sched_now_ns(s);
    }
    drained = 0;
    sched_drain(s, drop);
    assert_int_equal(drained, 50000);
    assert_int_equal(sched_pending_count(s), 0);
    sched_destroy(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_by_time_then_sequence),
        cmocka_unit_test(test_time_jumps_over_idle),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_same_time_events_run_in_schedule_order),
        cmocka_unit_test(test_drain_and_many_events),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
