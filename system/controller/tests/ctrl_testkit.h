/*
 * ctrl_testkit.h: what the controller tests share: a fake environment (virtual time,
 * a small timer table, a seeded random stream, bug switches) and an in-memory fake
 * of struct ctrl_log that commits when told to. Header-only: each test is one file.
 */
#ifndef KS_CONTROLLER_TESTS_CTRL_TESTKIT_H
#define KS_CONTROLLER_TESTS_CTRL_TESTKIT_H

#include <stdlib.h>
#include <string.h>

#include "system/controller/ctrl.h"

#define TESTKIT_TIMERS_MAX 64u
#define TESTKIT_RECORDS_MAX 65536u
#define TESTKIT_NS_PER_MS 1000000ull

struct testkit_timer {
    env_timer_id id;
    uint64_t due_ns;
    env_timer_fn fn;
    void *ctx;
};

struct testkit_env {
    struct env env;
    uint64_t now_ns;
    uint64_t random_state;
    env_timer_id next_timer;
    uint32_t timer_count;
    struct testkit_timer timers[TESTKIT_TIMERS_MAX];
    uint32_t traces;
};

static int64_t testkit_wall_ms(struct env *env)
{
    return (int64_t)(((struct testkit_env *)env)->now_ns / TESTKIT_NS_PER_MS);
}
static uint64_t testkit_mono_ns(struct env *env)
{
    return ((struct testkit_env *)env)->now_ns;
}

static env_timer_id testkit_timer_start(struct env *env, uint64_t delay_ns, env_timer_fn fn,
                                        void *ctx)
{
    struct testkit_env *t = (struct testkit_env *)env;
    KS_ASSERT(t->timer_count < TESTKIT_TIMERS_MAX);
    struct testkit_timer *timer = &t->timers[t->timer_count++];
    timer->id = ++t->next_timer;
    timer->due_ns = t->now_ns + delay_ns;
    timer->fn = fn;
    timer->ctx = ctx;
    return timer->id;
}

static bool testkit_timer_cancel(struct env *env, env_timer_id id)
{
    struct testkit_env *t = (struct testkit_env *)env;
    for (uint32_t i = 0; i < t->timer_count; i++) {
        if (t->timers[i].id == id) {
            t->timers[i] = t->timers[--t->timer_count];
            return true;
        }
    }
    return false;
}

static uint64_t testkit_random(struct env *env)
{
    struct testkit_env *t = (struct testkit_env *)env;
    uint64_t z = (t->random_state += 0x9e3779b97f4a7c15ULL); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static bool testkit_buggify(struct env *env, const char *site)
{
    (void)env;
    (void)site;
    return false;
}

static void testkit_trace(struct env *env, const char *kind, const char *text)
{
    (void)kind;
    (void)text;
    ((struct testkit_env *)env)->traces++;
}

static void testkit_log(struct env *env, enum env_log_level level, const char *text)
{
    (void)env;
    (void)level;
    (void)text;
}

static const struct env_ops testkit_env_ops = {
    .wall_ms = testkit_wall_ms,
    .mono_ns = testkit_mono_ns,
    .timer_start = testkit_timer_start,
    .timer_cancel = testkit_timer_cancel,
    .random = testkit_random,
    .buggify = testkit_buggify,
    .trace = testkit_trace,
    .log = testkit_log,
};

static void testkit_env_init(struct testkit_env *t, uint64_t seed, env_bug_mask bugs)
{
    memset(t, 0, sizeof(*t));
    t->env.ops = &testkit_env_ops;
    t->env.node_name = "controller-1";
    t->env.bugs = bugs;
    t->random_state = seed;
    t->now_ns = 1000 * TESTKIT_NS_PER_MS;
}

/* Moves time forward, firing due timers in (due time, id) order. */
static void testkit_advance_ms(struct testkit_env *t, uint64_t ms)
{
    uint64_t end_ns = t->now_ns + ms * TESTKIT_NS_PER_MS;
    for (;;) {
        int32_t best = -1;
        for (uint32_t i = 0; i < t->timer_count; i++) {
            if (t->timers[i].due_ns <= end_ns &&
                (best < 0 || t->timers[i].due_ns < t->timers[best].due_ns ||
                 (t->timers[i].due_ns == t->timers[best].due_ns &&
                  t->timers[i].id < t->timers[best].id)))
                best = (int32_t)i;
        }
        if (best < 0)
            break;
        struct testkit_timer timer = t->timers[best];
        t->timers[best] = t->timers[--t->timer_count];
        if (timer.due_ns > t->now_ns)
            t->now_ns = timer.due_ns;
        timer.fn(timer.ctx);
    }
    t->now_ns = end_ns;
}

/* ---- the fake log ---- */

struct testkit_record {
    uint8_t *bytes;
    uint32_t size_bytes;
};

struct testkit_log {
    bool leader;         /* append answers NOT_CONTROLLER when false */
    bool auto_commit;    /* commit_to is called by the test otherwise */
    struct ctrl *ctrl;   /* gets ctrl_commit */
    int64_t next_offset; /* the first offset is 0 */
    int64_t committed;   /* offsets below are committed */
    uint32_t appends;
    struct testkit_record records[TESTKIT_RECORDS_MAX];
};

static int64_t testkit_log_next_offset(void *ctx)
{
    return ((struct testkit_log *)ctx)->next_offset;
}

static void testkit_log_commit_to(struct testkit_log *log, int64_t end_offset);

static enum ks_err testkit_log_append(void *ctx, const struct ctrl_value *values, uint32_t count,
                                      int64_t *last_offset_out)
{
    struct testkit_log *log = ctx;
    if (!log->leader)
        return KS_ERR_NOT_CONTROLLER;
    KS_ASSERT(log->next_offset + count <= TESTKIT_RECORDS_MAX);
    for (uint32_t i = 0; i < count; i++) {
        struct testkit_record *r = &log->records[log->next_offset++];
        r->bytes = malloc(values[i].size_bytes);
        memcpy(r->bytes, values[i].bytes, values[i].size_bytes);
        r->size_bytes = values[i].size_bytes;
    }
    *last_offset_out = log->next_offset - 1;
    log->appends++;
    if (log->auto_commit)
        testkit_log_commit_to(log, log->next_offset);
    return KS_OK;
}

/* Commits every record below end_offset, handing each to the controller. */
static void testkit_log_commit_to(struct testkit_log *log, int64_t end_offset)
{
    KS_ASSERT(end_offset <= log->next_offset);
    while (log->committed < end_offset) {
        struct testkit_record *r = &log->records[log->committed];
        int64_t offset = log->committed++;
        enum ks_err err = ctrl_commit(log->ctrl, offset, r->bytes, r->size_bytes);
        KS_ASSERT(err == KS_OK);
    }
}

static void testkit_log_free(struct testkit_log *log)
{
    for (int64_t i = 0; i < log->next_offset; i++)
        free(log->records[i].bytes);
}

static struct ctrl_log testkit_log_ops(struct testkit_log *log)
{
    struct ctrl_log ops = {log, testkit_log_next_offset, testkit_log_append};
    return ops;
}

#endif
