/*
 * cleaner_test.c: compaction on the simulated disk. The cleanable range and the dirty
 * ratio (integer), min.compaction.lag.ms, the latest value of every key kept with its
 * offset, tombstones dropped only after delete.retention.ms, compressed batches
 * rewritten in their codec, the active segment never touched; a crash injected at
 * every step of cleaning and swapping (a freezing env stops the cleaner after N
 * mutating calls, then the power fails) always leaves a log that reopens valid and
 * holds the latest value of every key; and the cleaner_drops_latest bug is caught by
 * that same check. Kafka: LogCleanerTest, LogCleanerManagerTest.
 */
#include "log_testkit.h"
#include "system/log/cleaner.h"

#define LOG_DIR "data"
#define KEYS 12u
#define NOW_MS 1000000000ll

static struct plog_config compact_config(void)
{
    struct plog_config c;
    plog_config_default(&c);
    c.cleanup_policy = PLOG_CLEANUP_COMPACT;
    c.segment_bytes = 1024;
    c.segment_index_bytes = 480;
    c.index_interval_bytes = 100;
    c.delete_retention_ms = 1000;
    c.min_cleanable_dirty_ratio_ppm = 100000;
    return c;
}

static struct plog *open_partition(struct env *env, const struct plog_config *c, bool clean,
                                   int32_t partition)
{
    struct plog_open_args args = {"orders", partition, -1, -1, -1, -1, clean};
    struct plog *log = NULL;
    assert_int_equal(plog_open(env, LOG_DIR, &args, c, &log), KS_OK);
    return log;
}

static struct plog *open_log(struct env *env, const struct plog_config *c, bool clean)
{
    return open_partition(env, c, clean, 0);
}

/* Appends count records for keys (first + i) % KEYS; a record's value is its own offset
 * (8 bytes), or null when tombstone_every divides it. */
static void append_keyed(struct plog *log, uint32_t count, uint32_t first, int64_t ts,
                         uint32_t tombstone_every, enum rb_compression codec)
{
    struct rb_builder b;
    rb_builder_init(&b, codec);
    int64_t offset = plog_log_end_offset(log);
    for (uint32_t i = 0; i < count; i++) {
        char key[16];
        uint8_t value[8];
        int n = snprintf(key, sizeof(key), "k%u", (first + i) % KEYS);
        ks_be64_store(value, (uint64_t)(offset + i));
        bool tombstone = tombstone_every > 0 && (offset + i) % tombstone_every == 0;
        struct rb_record_input r = {.timestamp = ts,
                                    .key = (const uint8_t *)key,
                                    .key_size = (uint32_t)n,
                                    .value = tombstone ? NULL : value,
                                    .value_size = tombstone ? 0 : 8};
        assert_int_equal(rb_builder_append(&b, &r), KS_OK);
    }
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    assert_int_equal(rb_builder_finish(&b, &bytes, &size), KS_OK);
    rb_builder_release(&b);
    struct plog_append_info info;
    assert_int_equal(plog_append_leader(log, bytes, size, 1, &info), KS_OK);
    free(bytes);
}

/* What a log holds: the last record of each key, and whether every record is one that
 * was appended (value == offset) in increasing offset order. */
struct contents {
    int64_t last_offset[KEYS];
    bool last_is_tombstone[KEYS];
    uint32_t records;
    uint32_t tombstones;
    bool values_match_offsets;
    uint32_t compressed_batches;
};

static void contents_batch(struct contents *c, const uint8_t *bytes, uint32_t size)
{
    struct rb_batch batch;
    assert_int_equal(rb_decode(bytes, size, &batch), KS_OK);
    if ((batch.header.attributes & RB_ATTR_COMPRESSION_MASK) != 0)
        c->compressed_batches++;
    struct rb_iter it;
    struct rb_record r;
    rb_iter_init(&it, &batch);
    while (rb_iter_next(&it, &r)) {
        unsigned k = (unsigned)atoi((const char *)r.key + 1);
        assert_true(k < KEYS);
        c->last_offset[k] = r.offset;
        c->last_is_tombstone[k] = r.value == NULL;
        c->tombstones += r.value == NULL;
        c->records++;
        if (r.value != NULL && (int64_t)ks_be64_load(r.value) != r.offset)
            c->values_match_offsets = false;
    }
    rb_batch_release(&batch);
}

static void contents_read(struct plog *log, struct contents *c)
{
    memset(c, 0, sizeof(*c));
    c->values_match_offsets = true;
    for (uint32_t k = 0; k < KEYS; k++)
        c->last_offset[k] = -1;
    for (uint32_t i = 0; i < log->segment_count; i++) {
        struct seg *seg = log->segments[i];
        uint8_t *bytes = malloc(seg->size_bytes + 1);
        assert_int_equal(seg_read_at(seg, 0, bytes, seg->size_bytes), KS_OK);
        for (uint32_t pos = 0; pos < seg->size_bytes;) {
            struct rb_scan scan;
            assert_int_equal(rb_scan(bytes + pos, seg->size_bytes - pos, &scan), KS_OK);
            assert_true(scan.crc_valid);
            contents_batch(c, bytes + pos, scan.size_bytes);
            pos += scan.size_bytes;
        }
        free(bytes);
    }
}

/* The invariant: same last offset (so the same latest value) for every key. */
static bool latest_values_equal(const struct contents *a, const struct contents *b)
{
    for (uint32_t k = 0; k < KEYS; k++) {
        if (a->last_offset[k] != b->last_offset[k])
            return false;
    }
    return true;
}

/* 8 segments of history for 12 keys, then a young active segment. */
static struct plog *build_partition(struct env *env, const struct plog_config *c,
                                    uint32_t tombstone_every, int32_t partition)
{
    struct plog *log = open_partition(env, c, false, partition);
    for (uint32_t i = 0; i < 40; i++)
        append_keyed(log, 5, i * 7, NOW_MS - 100000 + i, tombstone_every, RB_COMPRESSION_NONE);
    assert_int_equal(plog_roll(log), KS_OK);
    append_keyed(log, 3, 0, NOW_MS, 0, RB_COMPRESSION_NONE);
    plog_set_high_watermark(log, plog_log_end_offset(log));
    assert_int_equal(plog_flush(log), KS_OK);
    return log;
}

static struct plog *build_history(struct env *env, const struct plog_config *c,
                                  uint32_t tombstone_every)
{
    return build_partition(env, c, tombstone_every, 0);
}

static void test_cleanable_range_and_ratio(void **state)
{
    struct tk t = tk_new(1, 0);
    struct plog_config c = compact_config();
    struct plog *log = build_history(t.env, &c, 0);
    struct cleaner_stats s;
    cleaner_cleanable(log, NOW_MS, &s);
    assert_int_equal(s.first_dirty_offset, 0);
    assert_int_equal(s.first_uncleanable_offset, plog_active(log)->base_offset);
    assert_int_equal(s.clean_bytes, 0);
    assert_int_equal(s.dirty_ratio_ppm, 1000000);
    uint32_t mid = log->segment_count / 2;
    plog_set_high_watermark(log, log->segments[mid]->base_offset + 1);
    cleaner_cleanable(log, NOW_MS, &s);
    assert_int_equal(s.first_uncleanable_offset, log->segments[mid]->base_offset);
    plog_set_high_watermark(log, plog_log_end_offset(log));
    log->cleaner_checkpoint = log->segments[2]->base_offset;
    cleaner_cleanable(log, NOW_MS, &s);
    uint64_t clean = log->segments[0]->size_bytes + log->segments[1]->size_bytes;
    assert_int_equal(s.clean_bytes, clean);
    assert_int_equal(s.dirty_ratio_ppm, s.cleanable_bytes * 1000000 / (clean + s.cleanable_bytes));
    /* min.compaction.lag.ms: segments newer than now - lag are not cleanable */
    log->cleaner_checkpoint = -1;
    log->config.min_compaction_lag_ms = 100000 - 20;
    cleaner_cleanable(log, NOW_MS, &s);
    assert_true(s.first_uncleanable_offset > 0);
    assert_true(s.first_uncleanable_offset < plog_active(log)->base_offset);
    uint32_t young = plog_segment_floor(log, s.first_uncleanable_offset);
    assert_true(log->segments[young]->max_timestamp > NOW_MS - log->config.min_compaction_lag_ms);
    assert_true(log->segments[young - 1]->max_timestamp <=
                NOW_MS - log->config.min_compaction_lag_ms);
    assert_int_equal(plog_close(log), KS_OK);
    tk_free(&t);
}

static void test_compaction_keeps_latest_with_offsets(void **state)
{
    struct tk t = tk_new(2, 0);
    struct plog_config c = compact_config();
    struct plog *log = build_history(t.env, &c, 0);
    struct contents before, after;
    contents_read(log, &before);
    struct seg *active = plog_active(log);
    uint32_t active_size = active->size_bytes;
    uint32_t segments = log->segment_count;
    struct cleaner_stats s;
    assert_int_equal(cleaner_clean(log, NOW_MS, &s), KS_OK);
    assert_true(s.cleaned);
    assert_true(s.records_dropped > 0);
    assert_int_equal(s.segments_in, segments - 1);
    assert_true(plog_size_bytes(log) < s.bytes_in);
    assert_true(plog_active(log) == active && active->size_bytes == active_size);
    assert_int_equal(log->cleaner_checkpoint, active->base_offset);
    contents_read(log, &after);
    assert_true(latest_values_equal(&before, &after));
    assert_true(after.values_match_offsets);
    /* below the active segment, one record per key */
    assert_int_equal(after.records, KEYS + 3);
    assert_int_equal(plog_log_end_offset(log), active->next_offset);
    /* a second pass finds nothing dirty */
    assert_int_equal(cleaner_clean(log, NOW_MS, &s), KS_OK);
    assert_false(s.cleaned);
    /* a forced full pass merges the now small segments into groups */
    log->cleaner_checkpoint = -1;
    assert_int_equal(cleaner_clean(log, NOW_MS, &s), KS_OK);
    assert_true(s.cleaned);
    assert_true(s.segments_out < s.segments_in);
    assert_int_equal(log->segment_count, s.segments_out + 1);
    contents_read(log, &after);
    assert_true(latest_values_equal(&before, &after));
    assert_int_equal(plog_close(log), KS_OK);
    log = open_log(t.env, &c, true);
    contents_read(log, &after);
    assert_true(latest_values_equal(&before, &after));
    assert_int_equal(plog_close(log), KS_OK);
    tk_free(&t);
}

static void test_tombstones_after_delete_retention(void **state)
{
    struct tk t = tk_new(3, 0);
    struct plog_config c = compact_config();
    c.delete_retention_ms = 200000;
    struct plog *log = build_history(t.env, &c, 9);
    struct contents before, after;
    contents_read(log, &before);
    struct cleaner_stats s;
    assert_int_equal(cleaner_clean(log, NOW_MS, &s), KS_OK); /* horizon not reached */
    assert_int_equal(s.tombstones_dropped, 0);
    contents_read(log, &after);
    assert_true(latest_values_equal(&before, &after));
    assert_true(after.tombstones > 0);
    log->cleaner_checkpoint = -1; /* force a full pass */
    assert_int_equal(cleaner_clean(log, NOW_MS + 200000, &s), KS_OK);
    assert_true(s.tombstones_dropped > 0);
    contents_read(log, &after);
    for (uint32_t k = 0; k < KEYS; k++) {
        if (before.last_is_tombstone[k] && before.last_offset[k] < plog_active(log)->base_offset)
            assert_int_equal(after.last_offset[k], -1); /* deleted for good */
        else
            assert_int_equal(after.last_offset[k], before.last_offset[k]);
    }
    assert_int_equal(plog_close(log), KS_OK);
    tk_free(&t);
}

/* KIP-534: the first pass stamps a delete horizon of now + delete.retention.ms on the
 * batches whose tombstones it keeps (record timestamps unchanged); a later pass keeps
 * them until now reaches that horizon, although their record time is long past. */
static void test_delete_horizon_stamped_then_honoured(void **state)
{
    (void)state;
    struct tk t = tk_new(9, 0);
    struct plog_config c = compact_config();
    c.delete_retention_ms = 200000;
    struct plog *log = build_history(t.env, &c, 9);
    struct contents before, after;
    contents_read(log, &before);
    struct cleaner_stats s;
    assert_int_equal(cleaner_clean(log, NOW_MS, &s), KS_OK);
    assert_true(s.horizons_stamped > 0);
    assert_int_equal(s.tombstones_dropped, 0);
    uint32_t stamped = 0;
    for (uint32_t i = 0; i + 1 < log->segment_count; i++) {
        struct seg *seg = log->segments[i];
        uint8_t *bytes = malloc(seg->size_bytes + 1);
        assert_int_equal(seg_read_at(seg, 0, bytes, seg->size_bytes), KS_OK);
        for (uint32_t pos = 0; pos < seg->size_bytes;) {
            struct rb_batch batch;
            struct rb_scan scan;
            assert_int_equal(rb_scan(bytes + pos, seg->size_bytes - pos, &scan), KS_OK);
            assert_int_equal(rb_decode(bytes + pos, scan.size_bytes, &batch), KS_OK);
            bool horizon = (batch.header.attributes & RB_ATTR_DELETE_HORIZON) != 0;
            bool tombstones = false;
            struct rb_iter it;
            struct rb_record r;
            rb_iter_init(&it, &batch);
            while (rb_iter_next(&it, &r)) {
                tombstones = tombstones || r.value == NULL;
                assert_true(r.timestamp < NOW_MS); /* still the producer's time */
            }
            assert_true(horizon == tombstones);
            if (horizon) {
                assert_true(batch.header.base_timestamp == NOW_MS + 200000);
                stamped++;
            }
            rb_batch_release(&batch);
            pos += scan.size_bytes;
        }
        free(bytes);
    }
    assert_int_equal(stamped, s.horizons_stamped);
    log->cleaner_checkpoint = -1; /* a full pass just before the horizon drops nothing */
    assert_int_equal(cleaner_clean(log, NOW_MS + 199999, &s), KS_OK);
    assert_int_equal(s.tombstones_dropped, 0);
    assert_int_equal(s.horizons_stamped, 0);
    struct contents mid;
    contents_read(log, &mid);
    assert_true(latest_values_equal(&before, &mid));
    log->cleaner_checkpoint = -1; /* at the horizon they go */
    assert_int_equal(cleaner_clean(log, NOW_MS + 200000, &s), KS_OK);
    assert_true(s.tombstones_dropped > 0);
    contents_read(log, &after);
    assert_int_equal(after.tombstones, mid.tombstones - (uint32_t)s.tombstones_dropped);
    assert_int_equal(plog_close(log), KS_OK);
    tk_free(&t);
}

static void test_min_dirty_ratio_and_delete_policy(void **state)
{
    struct tk t = tk_new(4, 0);
    struct plog_config c = compact_config();
    c.min_cleanable_dirty_ratio_ppm = 1000000;
    struct plog *log = build_history(t.env, &c, 0);
    log->cleaner_checkpoint = log->segments[1]->base_offset; /* ratio < 100% */
    struct cleaner_stats s;
    assert_int_equal(cleaner_clean(log, NOW_MS, &s), KS_OK);
    assert_false(s.cleaned);
    log->config.cleanup_policy = PLOG_CLEANUP_DELETE;
    log->cleaner_checkpoint = -1;
    assert_int_equal(cleaner_clean(log, NOW_MS, &s), KS_OK);
    assert_false(s.cleaned);
    assert_int_equal(plog_close(log), KS_OK);
    tk_free(&t);
}

static void test_compressed_batches_keep_their_codec(void **state)
{
    struct tk t = tk_new(5, 0);
    struct plog_config c = compact_config();
    struct plog *log = open_log(t.env, &c, false);
    for (uint32_t i = 0; i < 30; i++)
        append_keyed(log, 6, i * 5, NOW_MS - 50000, 0,
                     rb_compression_supported(RB_COMPRESSION_GZIP) ? RB_COMPRESSION_GZIP
                                                                   : RB_COMPRESSION_NONE);
    assert_int_equal(plog_roll(log), KS_OK);
    append_keyed(log, 1, 0, NOW_MS, 0, RB_COMPRESSION_NONE);
    plog_set_high_watermark(log, plog_log_end_offset(log));
    struct contents before, after;
    contents_read(log, &before);
    struct cleaner_stats s;
    assert_int_equal(cleaner_clean(log, NOW_MS, &s), KS_OK);
    assert_true(s.cleaned);
    contents_read(log, &after);
    assert_true(latest_values_equal(&before, &after));
    assert_true(after.values_match_offsets);
    if (rb_compression_supported(RB_COMPRESSION_GZIP))
        assert_true(after.compressed_batches > 0);
    assert_int_equal(plog_close(log), KS_OK);
    tk_free(&t);
}

/* ---- Crashes at every step ---------------------------------------------------------- */

struct dir_scan {
    uint32_t temporary; /* .cleaned or .swap names */
};

static void dir_scan_entry(void *ctx, const char *name, bool is_dir)
{
    struct dir_scan *d = ctx;
    size_t n = strlen(name);
    if ((n > 8 && strcmp(name + n - 8, ".cleaned") == 0) ||
        (n > 5 && strcmp(name + n - 5, ".swap") == 0))
        d->temporary++;
}

/* Crash the cleaner of partition p after `mutations` mutating calls; reopen; check.
 * Returns whether the cleaner finished before the freeze; *valid_out: the latest
 * values survived. Each crash point gets its own partition (worlds are costly). */
static uint32_t swaps_completed; /* over the crash points, to show the swap path ran */

static bool crash_clean_at(struct tk *t, int32_t p, uint64_t mutations, bool *valid_out)
{
    struct plog_config c = compact_config();
    struct plog *log = build_partition(t->env, &c, 0, p);
    struct contents before, after;
    contents_read(log, &before);
    assert_int_equal(plog_close(log), KS_OK);
    struct tk_freeze f;
    tk_freeze_init(&f, t->env, UINT64_MAX);
    log = open_partition(&f.env, &c, true, p);
    plog_set_high_watermark(log, plog_log_end_offset(log));
    f.mutations_left = mutations;
    struct cleaner_stats s;
    enum ks_err err = cleaner_clean(log, NOW_MS, &s);
    bool finished = !f.frozen;
    assert_true(err == KS_OK || f.frozen);
    plog_free(log);
    tk_crash(t);
    if (mutations % 3 == 1) { /* and again while the log recovers (and finishes a swap) */
        tk_freeze_init(&f, t->env, mutations % 17);
        struct plog_open_args args = {"orders", p, -1, -1, -1, -1, false};
        if (plog_open(&f.env, LOG_DIR, &args, &c, &log) == KS_OK)
            plog_free(log);
        tk_crash(t);
    }
    log = open_partition(t->env, &c, false, p);
    swaps_completed += log->swaps_completed;
    struct dir_scan d = {0};
    char dir[64];
    snprintf(dir, sizeof(dir), LOG_DIR "/orders-%d", p);
    assert_int_equal(env_dir_list(t->env, dir, dir_scan_entry, &d), KS_OK);
    assert_int_equal(d.temporary, 0);
    contents_read(log, &after);
    assert_true(after.values_match_offsets);
    *valid_out = latest_values_equal(&before, &after);
    assert_int_equal(plog_close(log), KS_OK);
    return finished;
}

static void test_crash_at_every_step_of_cleaning(void **state)
{
    uint32_t points = 0;
    for (uint64_t seed = 10; seed < 13; seed++) {
        struct tk t = tk_new(seed, 0);
        bool finished = false;
        for (uint64_t m = 0; m < 100000 && !finished; m++) {
            bool valid = false;
            finished = crash_clean_at(&t, (int32_t)m, m, &valid);
            if (!valid)
                fail_msg("seed %llu: crash after %llu mutations lost a latest value",
                         (unsigned long long)seed, (unsigned long long)m);
            points++;
        }
        assert_true(finished);
        tk_free(&t);
    }
    assert_true(points > 100);
    assert_true(swaps_completed > 0);
    print_message("cleaner crash points: %u, swaps completed at open: %u\n", points,
                  swaps_completed);
}

static void test_bug_cleaner_drops_latest_is_caught(void **state)
{
    for (uint32_t bug = 0; bug < 2; bug++) {
        struct tk t = tk_new(20, bug ? 1ull << KS_BUG_CLEANER_DROPS_LATEST : 0);
        bool valid = false;
        assert_true(crash_clean_at(&t, 0, UINT64_MAX, &valid));
        assert_int_equal(valid, bug == 0);
        tk_free(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cleanable_range_and_ratio),
        cmocka_unit_test(test_compaction_keeps_latest_with_offsets),
        cmocka_unit_test(test_tombstones_after_delete_retention),
        cmocka_unit_test(test_delete_horizon_stamped_then_honoured),
        cmocka_unit_test(test_min_dirty_ratio_and_delete_policy),
        cmocka_unit_test(test_compressed_batches_keep_their_codec),
        cmocka_unit_test(test_crash_at_every_step_of_cleaning),
        cmocka_unit_test(test_bug_cleaner_drops_latest_is_caught),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
