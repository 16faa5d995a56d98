/*
 * logdir_test.c: a log directory on the simulated disk: the checkpoint files byte for
 * byte, the clean-shutdown marker (written last at close, honoured and deleted at
 * open), recovery from the checkpointed recovery point after a crash, the log start
 * offset checkpointed after retention, the cleaner checkpoint, and a malformed
 * checkpoint taking the directory offline. Kafka: LogManagerTest,
 * OffsetCheckpointFileTest.
 */
#include "log_testkit.h"
#include "system/log/logdir.h"

#define DIR "data"

static struct plog_config test_defaults(void)
{
    struct plog_config c;
    plog_config_default(&c);
    c.segment_bytes = 2048;
    c.segment_index_bytes = 240;
    c.index_interval_bytes = 200;
    return c;
}

static struct logdir *open_dir(struct env *env)
{
    struct plog_config c = test_defaults();
    struct logdir *dir = NULL;
    assert_int_equal(logdir_open(env, DIR, &c, NULL, NULL, &dir), KS_OK);
    return dir;
}

static void append(struct plog *log, uint32_t count, int64_t ts)
{
    uint32_t size = 0;
    uint8_t *b = tk_batch(count, 0, 300, 'z', ts, &size);
    struct plog_append_info info;
    assert_int_equal(plog_append_leader(log, b, size, 2, &info), KS_OK);
    free(b);
}

static char *read_text(struct env *env, const char *path)
{
    char *text = NULL;
    uint32_t size = 0;
    enum ks_err err = plog_file_read_all(env, path, 1 << 20, &text, &size);
    return err == KS_OK ? text : NULL;
}

static void expect_file(struct env *env, const char *path, const char *expected)
{
    char *text = read_text(env, path);
    assert_non_null(text);
    assert_string_equal(text, expected);
    free(text);
}

static void test_checkpoints_and_clean_shutdown(void **state)
{
    struct tk t = tk_new(1, 0);
    struct logdir *dir = open_dir(t.env);
    struct plog *a = NULL, *b = NULL;
    assert_int_equal(logdir_get_or_create(dir, "orders", 1, NULL, &b), KS_OK);
    assert_int_equal(logdir_get_or_create(dir, "orders", 0, NULL, &a), KS_OK);
    assert_ptr_equal(logdir_find(dir, "orders", 1), b);
    append(a, 3, 100);
    append(a, 2, 100);
    append(b, 4, 100);
    plog_set_high_watermark(a, 3);
    assert_int_equal(plog_flush(b), KS_OK);
    assert_int_equal(logdir_checkpoint(dir), KS_OK);
    expect_file(t.env, DIR "/recovery-point-offset-checkpoint", "0\n2\norders 0 0\norders 1 4\n");
    expect_file(t.env, DIR "/replication-offset-checkpoint", "0\n2\norders 0 3\norders 1 0\n");
    expect_file(t.env, DIR "/log-start-offset-checkpoint", "0\n0\n");
    expect_file(t.env, DIR "/cleaner-offset-checkpoint", "0\n0\n");
    assert_int_equal(logdir_close(dir, 42), KS_OK);
    expect_file(t.env, DIR "/.kafka_cleanshutdown", "{\"version\":0,\"brokerEpoch\":42}");
    expect_file(t.env, DIR "/recovery-point-offset-checkpoint", "0\n2\norders 0 5\norders 1 4\n");
    dir = open_dir(t.env);
    assert_true(dir->had_clean_shutdown);
    assert_null(read_text(t.env, DIR "/.kafka_cleanshutdown")); /* deleted at open */
    a = logdir_find(dir, "orders", 0);
    assert_non_null(a);
    assert_int_equal(plog_log_end_offset(a), 5);
    assert_int_equal(a->high_watermark, 3);
    assert_int_equal(a->recovered_segment_count, 0);
    assert_int_equal(a->recovery_point, 5);
    assert_int_equal(logdir_close(dir, 43), KS_OK);
    tk_free(&t);
}

static void test_crash_recovers_from_checkpointed_point(void **state)
{
    struct tk t = tk_new(2, 0);
    struct logdir *dir = open_dir(t.env);
    struct plog *log = NULL;
    assert_int_equal(logdir_get_or_create(dir, "orders", 0, NULL, &log), KS_OK);
    for (uint32_t i = 0; i < 30; i++)
        append(log, 1, 100 + i); /* rolls every ~6 batches */
    assert_true(log->segment_count >= 4);
    int64_t rp = log->recovery_point;
    assert_true(rp > 0);
    assert_int_equal(logdir_checkpoint(dir), KS_OK);
    logdir_free(dir);
    tk_crash(&t);
    dir = open_dir(t.env);
    assert_false(dir->had_clean_shutdown);
    log = logdir_find(dir, "orders", 0);
    assert_non_null(log);
    assert_true(plog_log_end_offset(log) >= rp);       /* fsynced at roll */
    assert_int_equal(log->recovered_segment_count, 1); /* only the active segment */
    assert_int_equal(logdir_close(dir, 1), KS_OK);
    tk_free(&t);
}

static void test_retention_checkpoints_log_start(void **state)
{
    struct tk t = tk_new(3, 0);
    struct logdir *dir = open_dir(t.env);
    struct plog *log = NULL;
    assert_int_equal(logdir_get_or_create(dir, "orders", 0, NULL, &log), KS_OK);
    for (uint32_t i = 0; i < 20; i++)
        append(log, 1, 100 + i);
    plog_set_high_watermark(log, plog_log_end_offset(log));
    assert_int_equal(plog_advance_log_start_offset(log, 8), KS_OK);
    uint32_t deleted = 0;
    assert_int_equal(logdir_retention(dir, 0, &deleted), KS_OK);
    assert_true(deleted >= 1);
    assert_true(log->segments[0]->base_offset <= 8);
    char expect[128];
    if (log->segments[0]->base_offset < 8)
        snprintf(expect, sizeof(expect), "0\n1\norders 0 8\n");
    else
        snprintf(expect, sizeof(expect), "0\n0\n");
    expect_file(t.env, DIR "/log-start-offset-checkpoint", expect);
    logdir_free(dir);
    tk_crash(&t);
    dir = open_dir(t.env);
    log = logdir_find(dir, "orders", 0);
    assert_int_equal(log->log_start_offset, 8);
    assert_int_equal(logdir_close(dir, 1), KS_OK);
    tk_free(&t);
}

static void compact_topics(void *ctx, const char *topic, struct plog_config *config)
{
    if (strcmp(topic, "compacted") == 0)
        config->cleanup_policy = PLOG_CLEANUP_COMPACT;
}

static void test_cleaner_checkpoint(void **state)
{
    struct tk t = tk_new(4, 0);
    struct plog_config c = test_defaults();
    struct logdir *dir = NULL;
    assert_int_equal(logdir_open(t.env, DIR, &c, compact_topics, NULL, &dir), KS_OK);
    c.cleanup_policy = PLOG_CLEANUP_COMPACT;
    struct plog *log = NULL;
    assert_int_equal(logdir_get_or_create(dir, "compacted", 0, &c, &log), KS_OK);
    for (uint32_t i = 0; i < 20; i++)
        append(log, 1, 100 + i);
    plog_set_high_watermark(log, plog_log_end_offset(log));
    uint32_t cleaned = 0;
    assert_int_equal(logdir_clean(dir, 1000, &cleaned), KS_OK);
    assert_int_equal(cleaned, 1);
    int64_t dirty = log->cleaner_checkpoint;
    assert_int_equal(dirty, plog_active(log)->base_offset);
    char expect[128];
    snprintf(expect, sizeof(expect), "0\n1\ncompacted 0 %lld\n", (long long)dirty);
    expect_file(t.env, DIR "/cleaner-offset-checkpoint", expect);
    assert_int_equal(logdir_close(dir, 1), KS_OK);
    assert_int_equal(logdir_open(t.env, DIR, &c, compact_topics, NULL, &dir), KS_OK);
    log = logdir_find(dir, "compacted", 0);
    assert_int_equal(log->cleaner_checkpoint, dirty);
    assert_int_equal(log->config.cleanup_policy, PLOG_CLEANUP_COMPACT);
    assert_int_equal(logdir_close(dir, 1), KS_OK);
    tk_free(&t);
}

static void test_bad_checkpoint_takes_dir_offline(void **state)
{
    static const char *const bad[] = {
        "1\n0\n",
        "0\n2\norders 0 1\n",
        "0\n1\norders x 1\n",
        "0\n1\nor/ders 0 1\n",
    };
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(bad); i++) {
        struct tk t = tk_new(5 + i, 0);
        struct logdir *dir = open_dir(t.env);
        assert_int_equal(logdir_close(dir, 1), KS_OK);
        assert_int_equal(plog_file_write_atomic(t.env, DIR, "replication-offset-checkpoint",
                                                (const uint8_t *)bad[i], (uint32_t)strlen(bad[i])),
                         KS_OK);
        struct plog_config c = test_defaults();
        assert_int_equal(logdir_open(t.env, DIR, &c, NULL, NULL, &dir), KS_ERR_KAFKA_STORAGE_ERROR);
        tk_free(&t);
    }
}

static void test_skips_foreign_directories(void **state)
{
    struct tk t = tk_new(9, 0);
    assert_int_equal(env_dir_create(t.env, DIR), KS_ERR_EXISTS);
    assert_int_equal(env_dir_create(t.env, DIR "/orders-0.0123456789abcdef0123456789abcdef-delete"),
                     KS_OK);
    assert_int_equal(env_dir_create(t.env, DIR "/orders-3-future"), KS_OK);
    assert_int_equal(env_dir_create(t.env, DIR "/bad name-1"), KS_OK);
    assert_int_equal(env_dir_create(t.env, DIR "/orders-2"), KS_OK);
    struct logdir *dir = open_dir(t.env);
    assert_int_equal(dir->log_count, 1);
    assert_non_null(logdir_find(dir, "orders", 2));
    assert_int_equal(logdir_close(dir, 1), KS_OK);
    tk_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoints_and_clean_shutdown),
        cmocka_unit_test(test_crash_recovers_from_checkpointed_point),
        cmocka_unit_test(test_retention_checkpoints_log_start),
        cmocka_unit_test(test_cleaner_checkpoint),
        cmocka_unit_test(test_bad_checkpoint_takes_dir_offline),
        cmocka_unit_test(test_skips_foreign_directories),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
