/*
 * plog_realclock_test.c: time-based roll (segment.ms) and retention (retention.ms) of
 * the partition log (plog.h) on the real clock, through the POSIX environment, under
 * libfaketime (issue 3, item 11; run by ci/tests/log_faketime.sh). Kafka:
 * UnifiedLog.maybeRoll, deleteRetentionMsBreachedSegments.
 *
 * Skipped unless KS_FAKETIME_FILE names the file libfaketime reads its offset from
 * (FAKETIME_TIMESTAMP_FILE with FAKETIME_NO_CACHE=1): the test writes offsets there to
 * jump the wall clock by hours and days, forward and back. The same story then runs
 * on a simulated node with world_clock_jump, and both must do exactly the same: the
 * same rolls, the same segments deleted, the same offsets kept.
 *
 * The story (segment.ms 1 h, retention.ms 1 d):
 *   +0     append                     one segment
 *   +2h    append                     rolls by time: two segments
 *   +3d    append, retention          rolls; the two old segments expire, the active stays
 *   -1d    append, retention          a clock set back: nothing is deleted, no roll
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/world.h"
#include "system/log/plog.h"
#include "system/log/rb.h"
#include "system/posix/env_posix.h"

#define STEPS_COUNT 4u
#define HOUR_MS 3600000ll
#define DAY_MS (24 * HOUR_MS)

struct step {
    const char *faketime_spec; /* the offset from the real clock, for libfaketime */
    int64_t offset_ms;         /* the same offset, for the simulated clock */
    bool retention;
};

static const struct step steps[STEPS_COUNT] = {
    {"+0", 0, false},
    {"+2h", 2 * HOUR_MS, false},
    {"+3d", 3 * DAY_MS, true},
    {"-1d", -DAY_MS, true},
};

/* What the log looked like after each step. */
struct outcome {
    uint32_t segments[STEPS_COUNT];
    uint32_t deleted[STEPS_COUNT];
    int64_t log_start[STEPS_COUNT];
    int64_t log_end[STEPS_COUNT];
    int64_t wall_ms[STEPS_COUNT];
};

typedef void (*clock_set_fn)(void *ctx, const struct step *step);

static void realclock_simulated(struct outcome *out);

static void append_now(struct env *env, struct plog *log)
{
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    struct rb_record_input r = {.timestamp = env_wall_ms(env),
                                .key = (const uint8_t *)"k",
                                .key_size = 1,
                                .value = (const uint8_t *)"v",
                                .value_size = 1};
    assert_int_equal(rb_builder_append(&b, &r), KS_OK);
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    assert_int_equal(rb_builder_finish(&b, &bytes, &size), KS_OK);
    rb_builder_release(&b);
    struct plog_append_info info;
    assert_int_equal(plog_append_leader(log, bytes, size, 0, &info), KS_OK);
    plog_set_high_watermark(log, plog_log_end_offset(log));
    free(bytes);
}

static void story_run(struct env *env, clock_set_fn clock_set, void *ctx, struct outcome *out)
{
    struct plog_config config;
    plog_config_default(&config);
    config.segment_ms = HOUR_MS;
    config.retention_ms = DAY_MS;
    config.file_delete_delay_ms = 0;
    config.segment_index_bytes = 4096;
    struct plog_open_args args = {.topic = "clock",
                                  .partition = 0,
                                  .recovery_point = -1,
                                  .log_start_offset = -1,
                                  .high_watermark = -1,
                                  .cleaner_checkpoint = -1};
    enum ks_err err = env_dir_create(env, "logs");
    assert_true(err == KS_OK || err == KS_ERR_EXISTS);
    struct plog *log = NULL;
    assert_int_equal(plog_open(env, "logs", &args, &config, &log), KS_OK);
    for (uint32_t i = 0; i < STEPS_COUNT; i++) {
        clock_set(ctx, &steps[i]);
        out->wall_ms[i] = env_wall_ms(env);
        append_now(env, log);
        uint32_t deleted = 0;
        if (steps[i].retention)
            assert_int_equal(plog_retention(log, env_wall_ms(env), &deleted), KS_OK);
        out->segments[i] = log->segment_count;
        out->deleted[i] = deleted;
        out->log_start[i] = log->log_start_offset;
        out->log_end[i] = plog_log_end_offset(log);
    }
    assert_int_equal(plog_close(log), KS_OK);
}

/* ---- The real clock, moved by libfaketime ------------------------------------------ */

static void faketime_set(void *ctx, const struct step *step)
{
    const char *path = ctx;
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(step->faketime_spec, f);
    assert_int_equal(fclose(f), 0);
}

static void test_real_clock_roll_and_retention(void **state)
{
    (void)state;
    const char *file = getenv("KS_FAKETIME_FILE");
    const char *dir = getenv("KS_REALCLOCK_DIR");
    if (file == NULL || dir == NULL)
        skip();
    struct posix_loop *loop = posix_loop_create();
    assert_non_null(loop);
    struct posix_env *penv = NULL;
    struct posix_env_options options = {.node_name = "clock", .trace_quiet = true};
    assert_int_equal(posix_env_create(loop, dir, 1, &options, &penv), KS_OK);
    struct outcome real;
    memset(&real, 0, sizeof(real));
    story_run(posix_env_base(penv), faketime_set, (void *)file, &real);
    posix_env_destroy(penv);
    posix_loop_destroy(loop);

    /* The clock really moved: by about 2 h, 3 d and -1 d from the first step. */
    assert_in_range(real.wall_ms[1] - real.wall_ms[0], 2 * HOUR_MS - 60000, 2 * HOUR_MS + 60000);
    assert_in_range(real.wall_ms[2] - real.wall_ms[0], 3 * DAY_MS - 60000, 3 * DAY_MS + 60000);
    assert_in_range(real.wall_ms[0] - real.wall_ms[3], DAY_MS - 60000, DAY_MS + 60000);
    /* Time roll at +2h; at +3d a roll, then two expired segments deleted; set back: nothing. */
    static const uint32_t segments_expected[STEPS_COUNT] = {1, 2, 1, 1};
    static const uint32_t deleted_expected[STEPS_COUNT] = {0, 0, 2, 0};
    static const int64_t start_expected[STEPS_COUNT] = {0, 0, 2, 2};
    for (uint32_t i = 0; i < STEPS_COUNT; i++) {
        assert_int_equal(real.segments[i], segments_expected[i]);
        assert_int_equal(real.deleted[i], deleted_expected[i]);
        assert_int_equal(real.log_start[i], start_expected[i]);
        assert_int_equal(real.log_end[i], i + 1); /* nothing unexpired was ever deleted */
    }
    printf("real clock: segments %u %u %u %u, deleted %u %u %u %u\n", real.segments[0],
           real.segments[1], real.segments[2], real.segments[3], real.deleted[0], real.deleted[1],
           real.deleted[2], real.deleted[3]);

    /* ---- The same story under simulation ------------------------------------------- */
    struct outcome simulated;
    memset(&simulated, 0, sizeof(simulated));
    realclock_simulated(&simulated);
    assert_memory_equal(real.segments, simulated.segments, sizeof(real.segments));
    assert_memory_equal(real.deleted, simulated.deleted, sizeof(real.deleted));
    assert_memory_equal(real.log_start, simulated.log_start, sizeof(real.log_start));
    assert_memory_equal(real.log_end, simulated.log_end, sizeof(real.log_end));
}

/* ---- The simulated clock ------------------------------------------------------------- */

struct sim_clock {
    struct world *world;
    int node;
    int64_t offset_ms; /* the offset applied so far */
};

static void sim_clock_set(void *ctx, const struct step *step)
{
    struct sim_clock *c = ctx;
    world_clock_jump(c->world, c->node, step->offset_ms - c->offset_ms);
    c->offset_ms = step->offset_ms;
}

static void *idle_start(struct env *env, const struct props *config)
{
    (void)env;
    (void)config;
    return ks_alloc(1);
}

static void idle_stop(void *node)
{
    (void)node;
}

static const struct world_node_type idle_type = {
    .name = "idle", .start = idle_start, .stop = idle_stop, .destroy = free};

static void realclock_simulated(struct outcome *out)
{
    struct world_config config;
    world_config_default(&config, 7);
    struct world *world = world_create(&config);
    int node = world_node_add(world, "clock", &idle_type, NULL);
    assert_true(node >= 0);
    assert_int_equal(world_node_start(world, node), KS_OK);
    struct sim_clock c = {.world = world, .node = node};
    story_run(world_node_env(world, node), sim_clock_set, &c, out);
    world_destroy(world);
}

static void test_simulated_clock_same_story(void **state)
{
    (void)state;
    struct outcome out;
    memset(&out, 0, sizeof(out));
    realclock_simulated(&out);
    static const uint32_t segments_expected[STEPS_COUNT] = {1, 2, 1, 1};
    static const uint32_t deleted_expected[STEPS_COUNT] = {0, 0, 2, 0};
    for (uint32_t i = 0; i < STEPS_COUNT; i++) {
        assert_int_equal(out.segments[i], segments_expected[i]);
        assert_int_equal(out.deleted[i], deleted_expected[i]);
        assert_int_equal(out.log_end[i], i + 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simulated_clock_same_story),
        cmocka_unit_test(test_real_clock_roll_and_retention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
