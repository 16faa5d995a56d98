/*
 * plog_test.c: the partition log on the simulated disk. Configuration from props;
 * leader and follower appends with their validation errors; roll by size, time (with
 * jitter) and full index; fetch reads and ListOffsets; truncation; the flush policy;
 * the leader-epoch-checkpoint; retention by time, size and log start offset, with
 * `.deleted` files removed after file.delete.delay.ms and the log_retention_deletes_active
 * bug caught; clean and unclean reopen.
 *
 * The crash property test (item 3 of issue 3): for many seeds, a log under random
 * appends, flushes and rolls (random segment, index and interval sizes) loses power
 * at thousands of points: between operations (the disk keeps a random, torn prefix of
 * unsynced writes), or inside one (a freezing env stops every mutating call after a
 * random count, so the crash lands between any two steps of an append, roll or
 * flush); a fifth of the time the power fails again while the log recovers. After
 * each crash the log is reopened and checked: every fsynced batch
 * survives; the log is a byte-exact prefix of what was appended; every index entry of
 * every segment equals what a full scan rebuilds, in memory and on disk.
 * Kafka: UnifiedLogTest, LogLoaderTest, LogSegmentsTest.
 */
#include "log_testkit.h"
#include "sim/rng.h"
#include "system/log/plog.h"

#define LOG_DIR "data"

static struct plog *open_log_at(struct env *env, const struct plog_config *config, bool clean,
                                int64_t recovery_point)
{
    struct plog_open_args args = {.topic = "orders",
                                  .partition = 0,
                                  .recovery_point = recovery_point,
                                  .log_start_offset = -1,
                                  .high_watermark = -1,
                                  .cleaner_checkpoint = -1,
                                  .clean_shutdown = clean};
    struct plog *log = NULL;
    assert_int_equal(plog_open(env, LOG_DIR, &args, config, &log), KS_OK);
    return log;
}

static struct plog *open_log(struct env *env, const struct plog_config *config, bool clean)
{
    return open_log_at(env, config, clean, -1);
}

static struct plog_config small_config(void)
{
    struct plog_config c;
    plog_config_default(&c);
    c.segment_bytes = 4096;
    c.segment_index_bytes = 1200;
    c.index_interval_bytes = 256;
    return c;
}

static struct plog_append_info append(struct plog *log, uint32_t count, int64_t key,
                                      int32_t value_bytes, int64_t ts)
{
    uint32_t size = 0;
    uint8_t *b = tk_batch(count, key, value_bytes, 'x', ts, &size);
    struct plog_append_info info;
    assert_int_equal(plog_append_leader(log, b, size, 5, &info), KS_OK);
    free(b);
    return info;
}

static bool path_exists(struct env *env, const char *path)
{
    env_file_id f = 0;
    if (env_file_open(env, path, 0, &f) != KS_OK)
        return false;
    env_file_close(env, f);
    return true;
}

/* ---- Configuration -------------------------------------------------------------------- */

static void test_config_names_and_defaults(void **state)
{
    struct plog_config c;
    struct props p;
    props_init(&p);
    assert_int_equal(plog_config_from_props(&p, &c), KS_OK);
    assert_int_equal(c.segment_bytes, 1073741824);
    assert_int_equal(c.segment_ms, 604800000);
    assert_int_equal(c.segment_index_bytes, 10485760);
    assert_int_equal(c.index_interval_bytes, 4096);
    assert_int_equal(c.flush_messages, INT64_MAX);
    assert_int_equal(c.retention_ms, 604800000);
    assert_int_equal(c.retention_bytes, -1);
    assert_int_equal(c.cleanup_policy, PLOG_CLEANUP_DELETE);
    assert_int_equal(c.file_delete_delay_ms, 60000);
    assert_int_equal(c.max_message_bytes, 1048588);
    assert_int_equal(c.min_cleanable_dirty_ratio_ppm, 500000);
    assert_int_equal(c.delete_retention_ms, 86400000);
    assert_int_equal(props_set(&p, "log.segment.bytes", "1048576"), KS_OK);
    assert_int_equal(props_set(&p, "segment.ms", "1000"), KS_OK);
    assert_int_equal(props_set(&p, "log.roll.ms", "5"), KS_OK); /* topic name wins */
    assert_int_equal(props_set(&p, "cleanup.policy", "compact, delete"), KS_OK);
    assert_int_equal(props_set(&p, "min.cleanable.dirty.ratio", "0.25"), KS_OK);
    assert_int_equal(plog_config_from_props(&p, &c), KS_OK);
    assert_int_equal(c.segment_bytes, 1048576);
    assert_int_equal(c.segment_ms, 1000);
    assert_int_equal(c.cleanup_policy, PLOG_CLEANUP_COMPACT | PLOG_CLEANUP_DELETE);
    assert_int_equal(c.min_cleanable_dirty_ratio_ppm, 250000);
    props_free(&p);
    static const struct {
        const char *key, *value;
    } bad[] = {
        {"segment.bytes", "13"},
        {"segment.bytes", "x"},
        {"cleanup.policy", "remove"},
        {"cleanup.policy", ""},
        {"min.cleanable.dirty.ratio", "1.5"},
        {"min.cleanable.dirty.ratio", ".5"},
        {"retention.ms", "-2"},
        {"segment.index.bytes", "10"},
    };
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(bad); i++) {
        props_init(&p);
        if (props_set(&p, bad[i].key, bad[i].value) == KS_OK)
            assert_int_equal(plog_config_from_props(&p, &c), KS_ERR_INVALID);
        props_free(&p);
    }
}

/* ---- Appends ---------------------------------------------------------------------------- */

static void test_leader_append_assigns_offsets_and_validates(void **state)
{
    struct tk t = tk_new(1, 0);
    struct plog_config c = small_config();
    c.max_message_bytes = 600;
    struct plog *log = open_log(t.env, &c, false);
    struct plog_append_info info = append(log, 3, 0, 10, 1000);
    assert_int_equal(info.first_offset, 0);
    assert_int_equal(info.last_offset, 2);
    info = append(log, 2, 0, 10, 1000);
    assert_int_equal(info.first_offset, 3);
    assert_int_equal(plog_log_end_offset(log), 5);
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    assert_int_equal(plog_read(log, 3, 1 << 20, INT64_MAX, false, &bytes, &size), KS_OK);
    struct rb_scan scan;
    assert_int_equal(rb_scan(bytes, size, &scan), KS_OK);
    assert_true(scan.crc_valid);
    assert_int_equal(scan.base_offset, 3);
    assert_int_equal(scan.header.partition_leader_epoch, 5);
    free(bytes);
    /* bad CRC, too large, trailing bytes */
    uint8_t *b = tk_batch(2, 0, 10, 'y', 1, &size);
    b[size - 1] ^= 1;
    struct plog_append_info ignored;
    assert_int_equal(plog_append_leader(log, b, size, 5, &ignored), KS_ERR_CORRUPT_MESSAGE);
    assert_int_equal(plog_append_leader(log, b, 30, 5, &ignored), KS_ERR_CORRUPT_MESSAGE);
    free(b);
    b = tk_batch(1, 0, 700, 'y', 1, &size);
    assert_int_equal(plog_append_leader(log, b, size, 5, &ignored), KS_ERR_MESSAGE_TOO_LARGE);
    free(b);
    assert_int_equal(plog_log_end_offset(log), 5);
    assert_int_equal(plog_latest_epoch(log), 5);
    assert_int_equal(plog_close(log), KS_OK);
    char *text = NULL;
    assert_int_equal(
        plog_file_read_all(t.env, LOG_DIR "/orders-0/leader-epoch-checkpoint", 1000, &text, &size),
        KS_OK);
    assert_string_equal(text, "0\n1\n5 0\n");
    free(text);
    tk_free(&t);
}

static void test_compacted_topic_rejects_null_keys(void **state)
{
    struct tk t = tk_new(2, 0);
    struct plog_config c = small_config();
    c.cleanup_policy = PLOG_CLEANUP_COMPACT;
    struct plog *log = open_log(t.env, &c, false);
    uint32_t size = 0;
    uint8_t *b = tk_batch(2, -1, 10, 'y', 1, &size);
    struct plog_append_info info;
    assert_int_equal(plog_append_leader(log, b, size, 0, &info), KS_ERR_CORRUPT_MESSAGE);
    free(b);
    assert_int_equal(plog_close(log), KS_OK);
    tk_free(&t);
}

static void test_follower_append_keeps_offsets(void **state)
{
    struct tk t = tk_new(3, 0);
    struct plog_config c = small_config();
    struct plog *log = open_log(t.env, &c, false);
    uint32_t s1 = 0, s2 = 0;
    uint8_t *b1 = tk_batch(2, 0, 10, 'a', 1, &s1);
    uint8_t *b2 = tk_batch(3, 0, 10, 'b', 1, &s2);
    assert_int_equal(rb_restamp(b1, s1, 10, 7), KS_OK);
    assert_int_equal(rb_restamp(b2, s2, 12, 8), KS_OK);
    uint8_t *both = malloc(s1 + s2);
    memcpy(both, b1, s1);
    memcpy(both + s1, b2, s2);
    struct plog_append_info info;
    assert_int_equal(plog_append_follower(log, both, s1 + s2, &info), KS_OK);
    assert_int_equal(info.first_offset, 10);
    assert_int_equal(plog_log_end_offset(log), 15);
    assert_int_equal(plog_latest_epoch(log), 8);
    assert_int_equal(plog_append_follower(log, both, s1 + s2, &info), KS_ERR_OFFSET_OUT_OF_RANGE);
    free(b1);
    free(b2);
    free(both);
    assert_int_equal(plog_close(log), KS_OK);
    tk_free(&t);
}

/* ---- Roll --------------------------------------------------------------------------------- */

static void test_roll_by_size_time_and_index(void **state)
{
    struct tk t = tk_new(4, 0);
    struct plog_config c = small_config();
    struct plog *log = open_log(t.env, &c, false);
    for (uint32_t i = 0; i < 20; i++)
        append(log, 1, i, 400, 1000);
    assert_true(log->segment_count >= 3);
    for (uint32_t i = 0; i + 1 < log->segment_count; i++) {
        assert_true(log->segments[i]->size_bytes <= 4096);
        assert_true(log->segments[i]->trimmed);
    }
    assert_int_equal(log->recovery_point, plog_active(log)->base_offset);
    assert_int_equal(plog_close(log), KS_OK);
    /* time: segment.ms against record timestamps, minus jitter */
    c = small_config();
    c.segment_ms = 1000;
    c.segment_jitter_ms = 500;
    log = open_log(t.env, &c, true);
    int64_t first_ts = 50000;
    append(log, 1, 0, 10, first_ts); /* rolls: the old segment began at 1000 */
    int64_t jitter = plog_active(log)->roll_jitter_ms;
    assert_true(jitter >= 0 && jitter < 500);
    uint32_t segments = log->segment_count;
    struct plog_append_info info = append(log, 1, 0, 10, first_ts + 1000 - jitter);
    assert_false(info.rolled); /* waited = 1000 - jitter: not more */
    info = append(log, 1, 0, 10, first_ts + 1001 - jitter);
    assert_true(info.rolled);
    assert_int_equal(log->segment_count, segments + 1);
    assert_int_equal(plog_close(log), KS_OK);
    /* index full: 4 offset entries fit */
    c = small_config();
    c.segment_index_bytes = 48;
    c.index_interval_bytes = 0;
    log = open_log(t.env, &c, true);
    uint32_t before = log->segment_count;
    for (uint32_t i = 0; i < 12; i++)
        append(log, 1, i, 10, 100 + i);
    assert_true(log->segment_count >= before + 2);
    for (uint32_t i = before; i + 1 < log->segment_count; i++)
        assert_true(log->segments[i]->time_count <= 4);
    assert_int_equal(plog_close(log), KS_OK);
    tk_free(&t);
}

/* ---- Read and ListOffsets ------------------------------------------------------------ */

static void test_read_and_list_offsets(void **state)
{
    struct tk t = tk_new(5, 0);
    struct plog_config c = small_config();
    struct plog *log = open_log(t.env, &c, false);
    for (uint32_t i = 0; i < 30; i++)
        append(log, 2, i, 300, 10000 + i * 10);
    assert_true(log->segment_count > 2);
    for (int64_t offset = 0; offset < 60; offset += 7) {
        uint8_t *bytes = NULL;
        uint32_t size = 0;
        assert_int_equal(plog_read(log, offset, 100, INT64_MAX, true, &bytes, &size), KS_OK);
        struct rb_scan scan;
        assert_int_equal(rb_scan(bytes, size, &scan), KS_OK);
        assert_true(scan.base_offset <= offset && offset <= scan.last_offset);
        free(bytes);
    }
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    assert_int_equal(plog_read(log, 61, 100, INT64_MAX, true, &bytes, &size),
                     KS_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(plog_read(log, 60, 100, INT64_MAX, true, &bytes, &size), KS_OK);
    assert_null(bytes);
    assert_int_equal(plog_read(log, 10, 1 << 20, 12, false, &bytes, &size), KS_OK);
    struct rb_scan scan;
    assert_int_equal(rb_scan(bytes, size, &scan), KS_OK);
    assert_int_equal(size, scan.size_bytes); /* stops before the batch holding 12 */
    free(bytes);
    struct seg_timestamp_offset found;
    assert_int_equal(plog_offset_for_timestamp(log, PLOG_TIMESTAMP_EARLIEST, &found), KS_OK);
    assert_int_equal(found.offset, 0);
    assert_int_equal(plog_offset_for_timestamp(log, PLOG_TIMESTAMP_LATEST, &found), KS_OK);
    assert_int_equal(found.offset, 60);
    assert_int_equal(found.leader_epoch, 5);
    assert_int_equal(plog_offset_for_timestamp(log, 10155, &found), KS_OK);
    assert_true(found.found);
    assert_int_equal(found.offset, 32);
    assert_int_equal(found.timestamp, 10160);
    assert_int_equal(plog_offset_for_timestamp(log, 10292, &found), KS_OK);
    assert_false(found.found);
    assert_int_equal(plog_close(log), KS_OK);
    tk_free(&t);
}

static void test_truncate_to(void **state)
{
    struct tk t = tk_new(6, 0);
    struct plog_config c = small_config();
    struct plog *log = open_log(t.env, &c, false);
    for (uint32_t i = 0; i < 30; i++)
        append(log, 2, i, 300, 10000 + i);
    plog_set_high_watermark(log, 60);
    uint32_t segments = log->segment_count;
    assert_int_equal(plog_truncate_to(log, 21), KS_OK); /* the batch 20-21 goes */
    assert_int_equal(plog_log_end_offset(log), 20);
    assert_int_equal(log->high_watermark, 20);
    assert_true(log->segment_count < segments);
    assert_false(plog_active(log)->trimmed);
    struct plog_append_info info = append(log, 1, 0, 10, 1);
    assert_int_equal(info.first_offset, 20);
    assert_int_equal(plog_truncate_to(log, 0), KS_OK);
    assert_int_equal(plog_log_end_offset(log), 0);
    assert_int_equal(log->segment_count, 1);
    assert_int_equal(plog_close(log), KS_OK);
    log = open_log(t.env, &c, true);
    assert_int_equal(plog_log_end_offset(log), 0);
    assert_int_equal(plog_close(log), KS_OK);
    tk_free(&t);
}

/* ---- Flush policy -------------------------------------------------------------------- */

static void test_flush_messages_and_flush_ms(void **state)
{
    struct tk t = tk_new(7, 0);
    struct plog_config c = small_config();
    c.flush_messages = 5;
    struct plog *log = open_log(t.env, &c, false);
    append(log, 3, 0, 10, 1);
    assert_int_equal(log->recovery_point, 0);
    append(log, 2, 0, 10, 1);
    assert_int_equal(log->recovery_point, 5);
    assert_int_equal(plog_close(log), KS_OK);
    c = small_config();
    c.flush_ms = 100;
    log = open_log(t.env, &c, true);
    append(log, 1, 0, 10, 1);
    assert_int_equal(log->recovery_point, 5);
    tk_run_ms(&t, 99);
    assert_int_equal(log->recovery_point, 5);
    tk_run_ms(&t, 2);
    assert_int_equal(log->recovery_point, 6);
    assert_int_equal(plog_close(log), KS_OK);
    tk_free(&t);
}

/* ---- Retention ---------------------------------------------------------------------- */

static void test_retention_by_time_and_delayed_delete(void **state)
{
    struct tk t = tk_new(8, 0);
    struct plog_config c = small_config();
    c.retention_ms = 1000;
    c.file_delete_delay_ms = 500;
    struct plog *log = open_log(t.env, &c, false);
    for (uint32_t i = 0; i < 10; i++)
        append(log, 1, i, 1000, 10000 + i); /* ~3 per segment */
    assert_int_equal(plog_roll(log), KS_OK);
    for (uint32_t i = 0; i < 3; i++)
        append(log, 1, i, 1000, 20000 + i);
    uint32_t segments = log->segment_count;
    int64_t first_new = log->segments[segments - 1]->base_offset;
    plog_set_high_watermark(log, 5); /* only segments wholly below 5 may go */
    uint32_t deleted = 0;
    assert_int_equal(plog_retention(log, 20500, &deleted), KS_OK);
    assert_true(deleted >= 1);
    assert_true(log->log_start_offset <= 5);
    plog_set_high_watermark(log, plog_log_end_offset(log));
    uint32_t more = 0;
    assert_int_equal(plog_retention(log, 20500, &more), KS_OK);
    assert_int_equal(log->segment_count, 1); /* the young active segment stays */
    assert_int_equal(log->log_start_offset, first_new);
    assert_int_equal(deleted + more, segments - 1);
    assert_true(path_exists(t.env, LOG_DIR "/orders-0/00000000000000000000.log.deleted"));
    assert_false(path_exists(t.env, LOG_DIR "/orders-0/00000000000000000000.log"));
    tk_run_ms(&t, 501);
    assert_false(path_exists(t.env, LOG_DIR "/orders-0/00000000000000000000.log.deleted"));
    /* everything expired: roll first, the active segment is never deleted */
    assert_int_equal(plog_retention(log, 90000, &deleted), KS_OK);
    assert_int_equal(deleted, 1);
    assert_int_equal(log->segment_count, 1);
    assert_int_equal(plog_active(log)->size_bytes, 0);
    assert_int_equal(log->log_start_offset, plog_log_end_offset(log));
    assert_int_equal(plog_close(log), KS_OK);
    tk_free(&t);
}

static void test_retention_by_size_and_log_start(void **state)
{
    struct tk t = tk_new(9, 0);
    struct plog_config c = small_config();
    c.retention_ms = -1;
    struct plog *log = open_log(t.env, &c, false);
    for (uint32_t i = 0; i < 20; i++)
        append(log, 1, i, 1000, 10000 + i);
    plog_set_high_watermark(log, plog_log_end_offset(log));
    uint64_t size = plog_size_bytes(log);
    uint32_t segments = log->segment_count;
    log->config.retention_bytes = (int64_t)size - 4000; /* about one segment too much */
    uint32_t deleted = 0;
    assert_int_equal(plog_retention(log, 0, &deleted), KS_OK);
    assert_int_equal(deleted, 1);
    assert_int_equal(log->segment_count, segments - 1);
    assert_true(plog_size_bytes(log) >= (uint64_t)log->config.retention_bytes);
    log->config.retention_bytes = -1;
    int64_t third = log->segments[2]->base_offset;
    assert_int_equal(plog_advance_log_start_offset(log, third + 1), KS_OK);
    assert_int_equal(plog_retention(log, 0, &deleted), KS_OK);
    assert_int_equal(deleted, 2);
    assert_int_equal(log->segments[0]->base_offset, third);
    assert_int_equal(log->log_start_offset, third + 1);
    uint8_t *bytes = NULL;
    uint32_t n = 0;
    assert_int_equal(plog_read(log, third, 100, INT64_MAX, true, &bytes, &n),
                     KS_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(plog_close(log), KS_OK);
    tk_free(&t);
}

/* The check: retention never deletes records that have not expired. */
static bool retention_keeps_unexpired(env_bug_mask bugs)
{
    struct tk t = tk_new(10, bugs);
    struct plog_config c = small_config();
    c.retention_ms = 1000;
    struct plog *log = open_log(t.env, &c, false);
    for (uint32_t i = 0; i < 6; i++)
        append(log, 1, i, 1000, 1000 + i); /* old */
    assert_int_equal(plog_roll(log), KS_OK);
    int64_t fresh = plog_log_end_offset(log);
    append(log, 1, 0, 10, 50000); /* young, in the active segment */
    plog_set_high_watermark(log, plog_log_end_offset(log));
    uint32_t deleted = 0;
    assert_int_equal(plog_retention(log, 50100, &deleted), KS_OK);
    uint8_t *bytes = NULL;
    uint32_t n = 0;
    bool kept = plog_read(log, fresh, 100, INT64_MAX, true, &bytes, &n) == KS_OK && n > 0;
    free(bytes);
    assert_int_equal(plog_close(log), KS_OK);
    tk_free(&t);
    return kept;
}

static void test_bug_retention_deletes_active_is_caught(void **state)
{
    assert_true(retention_keeps_unexpired(0));
    assert_false(retention_keeps_unexpired(1ull << KS_BUG_LOG_RETENTION_DELETES_ACTIVE));
}

/* ---- Reopen ------------------------------------------------------------------------- */

static void test_clean_reopen_skips_recovery(void **state)
{
    struct tk t = tk_new(11, 0);
    struct plog_config c = small_config();
    struct plog *log = open_log(t.env, &c, false);
    for (uint32_t i = 0; i < 20; i++)
        append(log, 2, i, 300, 10000 + i);
    int64_t end = plog_log_end_offset(log);
    uint32_t segments = log->segment_count;
    assert_int_equal(plog_close(log), KS_OK);
    log = open_log(t.env, &c, true);
    assert_int_equal(log->recovered_segment_count, 0);
    assert_int_equal(plog_log_end_offset(log), end);
    assert_int_equal(log->segment_count, segments);
    assert_int_equal(log->recovery_point, end);
    assert_int_equal(plog_close(log), KS_OK);
    log = open_log(t.env, &c, false); /* no marker: recover from the recovery point (0) */
    assert_int_equal(log->recovered_segment_count, segments);
    assert_int_equal(plog_log_end_offset(log), end);
    assert_int_equal(plog_close(log), KS_OK);
    tk_free(&t);
}

/* ---- The crash property test ----------------------------------------------------------- */

struct model_batch {
    int64_t base_offset;
    int64_t last_offset;
    uint32_t size;
    uint8_t *bytes;
};

struct model {
    struct model_batch *batches;
    uint32_t count;
    uint32_t capacity;
    uint32_t durable; /* batches [0, durable) were fsynced */
};

static void model_push(struct model *m, const uint8_t *bytes, uint32_t size,
                       const struct plog_append_info *info)
{
    if (m->count == m->capacity) {
        m->capacity = m->capacity == 0 ? 256 : m->capacity * 2;
        m->batches = realloc(m->batches, m->capacity * sizeof(*m->batches));
    }
    struct model_batch *b = &m->batches[m->count++];
    b->base_offset = info->first_offset;
    b->last_offset = info->last_offset;
    b->size = size;
    b->bytes = malloc(size);
    memcpy(b->bytes, bytes, size);
}

static void model_truncate(struct model *m, uint32_t count)
{
    for (uint32_t i = count; i < m->count; i++)
        free(m->batches[i].bytes);
    m->count = count;
}

/* What a full scan of the segment's batches rebuilds, by the rule of seg.h. */
static void check_segment_indexes(struct env *env, struct seg *seg, const uint8_t *log_bytes)
{
    uint32_t since = 0, n_offsets = 0, n_times = 0;
    int64_t max_ts = -1, max_ts_offset = seg->base_offset, last_ts = -1;
    for (uint32_t pos = 0; pos < seg->size_bytes;) {
        struct rb_batch_header h; /* the bytes equal the model's: no CRC needed here */
        rb_batch_header_load(log_bytes + pos, &h);
        struct {
            int64_t last_offset;
            uint32_t size_bytes;
        } s = {h.base_offset + h.last_offset_delta, (uint32_t)h.batch_length + RB_LOG_OVERHEAD};
        if (h.max_timestamp > max_ts) {
            max_ts = h.max_timestamp;
            max_ts_offset = s.last_offset;
        }
        if (since > seg->config.index_interval_bytes &&
            !(n_offsets >= seg->offset_entries_max || n_times + 1 >= seg->time_entries_max)) {
            assert_true(n_offsets < seg->offset_count);
            assert_int_equal(seg->offsets[n_offsets].offset, s.last_offset);
            assert_int_equal(seg->offsets[n_offsets].position, pos);
            n_offsets++;
            if (max_ts > last_ts) {
                assert_true(n_times < seg->time_count);
                assert_int_equal(seg->times[n_times].timestamp, max_ts);
                assert_int_equal(seg->times[n_times].offset, max_ts_offset);
                last_ts = max_ts;
                n_times++;
            }
            since = 0;
        }
        since += s.size_bytes;
        pos += s.size_bytes;
    }
    assert_int_equal(seg->offset_count, n_offsets);
    if (seg->trimmed && max_ts > last_ts)
        n_times++; /* the final entry written at roll */
    assert_int_equal(seg->time_count, n_times);
    /* and the files hold the same entries */
    char path[SEG_PATH_BYTES_MAX];
    assert_int_equal(seg_path(path, sizeof(path), seg->dir, seg->base_offset, ".index", ""), KS_OK);
    env_file_id f = 0;
    uint8_t entry[SEG_TIME_ENTRY_BYTES];
    uint32_t got = 0;
    uint64_t size = 0;
    assert_int_equal(env_file_open(env, path, 0, &f), KS_OK);
    assert_int_equal(env_file_size(env, f, &size), KS_OK);
    assert_true(size >= (uint64_t)seg->offset_count * 8);
    assert_true(!seg->trimmed || size == (uint64_t)seg->offset_count * 8);
    for (uint32_t i = 0; i < seg->offset_count; i++) {
        assert_int_equal(env_file_read(env, f, i * 8, entry, 8, &got), KS_OK);
        assert_int_equal(ks_be32_load(entry), seg->offsets[i].offset - seg->base_offset);
        assert_int_equal(ks_be32_load(entry + 4), seg->offsets[i].position);
    }
    env_file_close(env, f);
    assert_int_equal(seg_path(path, sizeof(path), seg->dir, seg->base_offset, ".timeindex", ""),
                     KS_OK);
    assert_int_equal(env_file_open(env, path, 0, &f), KS_OK);
    for (uint32_t i = 0; i < seg->time_count; i++) {
        assert_int_equal(env_file_read(env, f, i * 12, entry, 12, &got), KS_OK);
        assert_int_equal((int64_t)ks_be64_load(entry), seg->times[i].timestamp);
        assert_int_equal(ks_be32_load(entry + 8), seg->times[i].offset - seg->base_offset);
    }
    env_file_close(env, f);
}

/* The recovered log is a byte-exact prefix of the model holding every durable batch;
 * the model is cut to it. */
static void check_recovered(struct env *env, struct plog *log, struct model *m)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < log->segment_count; i++) {
        struct seg *seg = log->segments[i];
        uint8_t *bytes = malloc(seg->size_bytes + 1);
        assert_int_equal(seg_read_at(seg, 0, bytes, seg->size_bytes), KS_OK);
        for (uint32_t pos = 0; pos < seg->size_bytes; k++) {
            assert_true(k < m->count);
            assert_true(m->batches[k].size <= seg->size_bytes - pos);
            assert_memory_equal(bytes + pos, m->batches[k].bytes, m->batches[k].size);
            pos += m->batches[k].size;
        }
        check_segment_indexes(env, seg, bytes);
        free(bytes);
    }
    if (k < m->durable)
        fail_msg("lost fsynced batches: %u recovered, %u durable", k, m->durable);
    int64_t end = k == 0 ? 0 : m->batches[k - 1].last_offset + 1;
    assert_int_equal(plog_log_end_offset(log), end);
    model_truncate(m, k);
    m->durable = k;
}

struct crash_run {
    struct tk t;
    struct rng *rng;
    struct plog_config config;
    struct model model;
    int64_t recovery_point; /* as a checkpoint written at the last flush would say */
    uint64_t crash_points;
    uint64_t batches_appended;
};

/* One random operation; false when the log failed (the freeze hit). */
static bool crash_step(struct crash_run *r, struct plog *log)
{
    uint64_t dice = rng_below(r->rng, 100);
    if (dice < 8)
        return plog_flush(log) == KS_OK ? (r->model.durable = r->model.count, true) : false;
    if (dice < 12)
        return plog_roll(log) == KS_OK ? (r->model.durable = r->model.count, true) : false;
    uint32_t count = (uint32_t)rng_between(r->rng, 1, 4);
    int32_t value_bytes = (int32_t)rng_below(r->rng, 900);
    int64_t ts = 1000000 + (int64_t)r->batches_appended * 50 - (int64_t)rng_below(r->rng, 200);
    uint32_t size = 0;
    uint8_t *b = tk_batch(count, (int64_t)r->batches_appended, value_bytes,
                          (uint8_t)r->batches_appended, ts, &size);
    struct plog_append_info info;
    enum ks_err err = plog_append_leader(log, b, size, (int32_t)(r->batches_appended / 50), &info);
    if (err == KS_OK && info.rolled)
        r->model.durable = r->model.count;
    if (err == KS_OK || err == KS_ERR_KAFKA_STORAGE_ERROR) {
        /* a failed append may or may not have reached the disk: it is the tail a
         * recovered log may hold */
        model_push(&r->model, b, size, &info);
        r->batches_appended++;
    }
    free(b);
    return err == KS_OK;
}

/* Sometimes the power fails again while the log recovers (from the same recovery
 * point the next open uses, as the checkpoint file would give both). */
static void crash_during_open(struct crash_run *r, int64_t recovery_point)
{
    struct tk_freeze f;
    tk_freeze_init(&f, r->t.env, rng_below(r->rng, 60));
    struct plog_open_args args = {"orders", 0, recovery_point, -1, -1, -1, false};
    struct plog *log = NULL;
    if (plog_open(&f.env, LOG_DIR, &args, &r->config, &log) == KS_OK)
        plog_free(log);
    tk_crash(&r->t);
    r->crash_points++;
}

static void crash_round(struct crash_run *r)
{
    int64_t recovery_point = rng_below(r->rng, 10) != 0 ? r->recovery_point : -1;
    if (rng_below(r->rng, 5) == 0)
        crash_during_open(r, recovery_point);
    struct tk_freeze f;
    tk_freeze_init(&f, r->t.env, UINT64_MAX);
    struct plog *log = open_log_at(&f.env, &r->config, false, recovery_point);
    check_recovered(r->t.env, log, &r->model);
    r->recovery_point = log->recovery_point;
    bool freeze = rng_below(r->rng, 2) == 0;
    f.mutations_left = freeze ? rng_below(r->rng, 200) : UINT64_MAX;
    uint32_t steps = (uint32_t)rng_between(r->rng, 1, 40);
    for (uint32_t i = 0; i < steps && crash_step(r, log); i++)
        r->recovery_point = log->recovery_point;
    plog_free(log);
    tk_crash(&r->t);
    r->crash_points++;
}

static uint64_t crash_seed(uint64_t seed, uint32_t rounds)
{
    struct crash_run r = {.t = tk_new(seed, 0)};
    r.rng = world_rng(r.t.w);
    plog_config_default(&r.config);
    r.config.segment_bytes = (int64_t)rng_between(r.rng, 1500, 12000);
    r.config.segment_index_bytes = (int64_t)rng_between(r.rng, 48, 400);
    r.config.index_interval_bytes = (int64_t)rng_below(r.rng, 1500);
    r.config.segment_ms = (int64_t)rng_between(r.rng, 500, 5000);
    for (uint32_t i = 0; i < rounds; i++)
        crash_round(&r);
    struct tk_freeze f;
    tk_freeze_init(&f, r.t.env, UINT64_MAX);
    struct plog *log = open_log(&f.env, &r.config, false);
    check_recovered(r.t.env, log, &r.model);
    plog_free(log);
    model_truncate(&r.model, 0);
    free(r.model.batches);
    tk_free(&r.t);
    return r.crash_points;
}

static void test_crash_property(void **state)
{
    uint64_t points = 0;
    for (uint64_t seed = 1; seed <= 100; seed++)
        points += crash_seed(seed * 7919, 36);
    assert_true(points >= 4000);
    print_message("crash points: %llu over 100 seeds\n", (unsigned long long)points);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_names_and_defaults),
        cmocka_unit_test(test_leader_append_assigns_offsets_and_validates),
        cmocka_unit_test(test_compacted_topic_rejects_null_keys),
        cmocka_unit_test(test_follower_append_keeps_offsets),
        cmocka_unit_test(test_roll_by_size_time_and_index),
        cmocka_unit_test(test_read_and_list_offsets),
        cmocka_unit_test(test_truncate_to),
        cmocka_unit_test(test_flush_messages_and_flush_ms),
        cmocka_unit_test(test_retention_by_time_and_delayed_delete),
        cmocka_unit_test(test_retention_by_size_and_log_start),
        cmocka_unit_test(test_bug_retention_deletes_active_is_caught),
        cmocka_unit_test(test_clean_reopen_skips_recovery),
        cmocka_unit_test(test_crash_property),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
