/*
 * seg_test.c: one segment on the simulated disk: names, the bytes of .index and
 * .timeindex (golden), preallocation and trimming, fetch reads, lookups by offset and
 * timestamp, truncation, recovery from torn and corrupt tails, index sanity checks at
 * open, and the log_skip_recovery_crc bug switch caught by the recovery check.
 * Kafka: LogSegmentTest, OffsetIndexTest, TimeIndexTest.
 */
#include "log_testkit.h"
#include "system/log/seg.h"

#define DIR "data/t-0"

static struct seg_config test_config(uint32_t interval, uint32_t index_bytes)
{
    return (struct seg_config){.index_interval_bytes = interval,
                               .index_size_bytes_max = index_bytes};
}

static struct tk setup(uint64_t seed, env_bug_mask bugs)
{
    struct tk t = tk_new(seed, bugs);
    assert_int_equal(env_dir_create(t.env, DIR), KS_OK);
    return t;
}

static uint64_t file_size(struct env *env, const char *path)
{
    env_file_id f = 0;
    uint64_t size = 0;
    assert_int_equal(env_file_open(env, path, 0, &f), KS_OK);
    assert_int_equal(env_file_size(env, f, &size), KS_OK);
    env_file_close(env, f);
    return size;
}

static uint8_t *file_bytes(struct env *env, const char *path, uint64_t *size_out)
{
    env_file_id f = 0;
    *size_out = file_size(env, path);
    uint8_t *buf = malloc(*size_out + 1);
    uint32_t got = 0;
    assert_int_equal(env_file_open(env, path, 0, &f), KS_OK);
    assert_int_equal(env_file_read(env, f, 0, buf, (uint32_t)*size_out, &got), KS_OK);
    env_file_close(env, f);
    return buf;
}

/* Appends a batch of count records at offset base; returns its size. */
static uint32_t append(struct seg *seg, int64_t base, uint32_t count, int32_t value_bytes,
                       int64_t ts)
{
    uint32_t size = 0;
    uint8_t *b = tk_batch(count, base, value_bytes, 'v', ts, &size);
    assert_int_equal(rb_restamp(b, size, base, 3), KS_OK);
    assert_int_equal(seg_append(seg, b, size), KS_OK);
    free(b);
    return size;
}

static void test_names(void **state)
{
    static const struct {
        const char *name;
        bool ok;
        int64_t base;
    } cases[] = {
        {"00000000000000000000.log", true, 0},         {"00000000000000001234.log", true, 1234},
        {"09223372036854775807.log", true, INT64_MAX}, {"0000000000000000123.log", false, 0},
        {"00000000000000001234.index", false, 0},      {"00000000000000001234.log.swap", false, 0},
        {"0000000000000000x234.log", false, 0},
    };
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        int64_t base = -1;
        assert_int_equal(seg_parse_log_name(cases[i].name, &base), cases[i].ok);
        if (cases[i].ok)
            assert_int_equal(base, cases[i].base);
    }
    char buf[SEG_PATH_BYTES_MAX];
    assert_int_equal(seg_path(buf, sizeof(buf), "d/t-0", 42, ".timeindex", ".swap"), KS_OK);
    assert_string_equal(buf, "d/t-0/00000000000000000042.timeindex.swap");
    assert_int_equal(seg_path(buf, 10, "d/t-0", 42, ".log", ""), KS_ERR_INVALID);
}

/* Golden index bytes: with interval 100 and batches of ~140 bytes, every batch after
 * the first gets an entry. */
static void test_index_bytes_golden(void **state)
{
    struct tk t = setup(1, 0);
    struct seg_config c = test_config(100, 240);
    struct seg *seg = NULL;
    assert_int_equal(seg_create(t.env, DIR, 100, &c, "", &seg), KS_OK);
    assert_int_equal(file_size(t.env, DIR "/00000000000000000100.index"), 240);
    assert_int_equal(file_size(t.env, DIR "/00000000000000000100.timeindex"), 240);
    uint32_t s0 = append(seg, 100, 2, 50, 1000); /* offsets 100-101 */
    uint32_t s1 = append(seg, 102, 2, 50, 2000); /* 102-103: entry (103, s0) */
    uint32_t s2 = append(seg, 104, 2, 50, 1500); /* 104-105: entry (105, s0+s1); ts not larger */
    assert_true(s0 > 100 && s1 > 100 && s2 > 100);
    assert_int_equal(seg->offset_count, 2);
    assert_int_equal(seg->time_count, 1);
    assert_int_equal(seg->next_offset, 106);
    assert_int_equal(seg->max_timestamp, 2001);
    assert_int_equal(seg->offset_of_max_timestamp, 103);
    assert_int_equal(seg_trim(seg), KS_OK);
    uint64_t n = 0;
    uint8_t *idx = file_bytes(t.env, DIR "/00000000000000000100.index", &n);
    uint8_t expect_idx[16] = {0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0};
    expect_idx[7] = (uint8_t)s0;
    ks_be32_store(expect_idx + 12, s0 + s1);
    assert_int_equal(n, 16);
    assert_memory_equal(idx, expect_idx, 16);
    free(idx);
    /* time index: (2001, 3) from the second append; the final entry adds nothing new */
    uint8_t *tix = file_bytes(t.env, DIR "/00000000000000000100.timeindex", &n);
    static const uint8_t expect_tix[12] = {0, 0, 0, 0, 0, 0, 0x07, 0xd1, 0, 0, 0, 3};
    assert_int_equal(n, 12);
    assert_memory_equal(tix, expect_tix, 12);
    free(tix);
    seg_close(seg);
    tk_free(&t);
}

static void test_read_translate_and_timestamp(void **state)
{
    struct tk t = setup(2, 0);
    struct seg_config c = test_config(0, 4096);
    struct seg *seg = NULL;
    assert_int_equal(seg_create(t.env, DIR, 0, &c, "", &seg), KS_OK);
    uint32_t sizes[10], total = 0;
    for (uint32_t i = 0; i < 10; i++) {
        sizes[i] = append(seg, i * 3, 3, 20, 10000 + i * 100);
        total += sizes[i];
    }
    struct seg_batch b;
    assert_int_equal(seg_translate(seg, 7, &b), KS_OK);
    assert_int_equal(b.base_offset, 6);
    assert_int_equal(b.position, sizes[0] + sizes[1]);
    assert_int_equal(seg_translate(seg, 30, &b), KS_ERR_NOT_FOUND);
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    assert_int_equal(seg_read(seg, 4, 1u << 20, UINT32_MAX, false, &bytes, &size), KS_OK);
    assert_int_equal(size, total - sizes[0]);
    free(bytes);
    assert_int_equal(seg_read(seg, 4, 10, UINT32_MAX, false, &bytes, &size), KS_OK);
    assert_int_equal(size, 10); /* a partial batch, as a fetch may return */
    free(bytes);
    assert_int_equal(seg_read(seg, 4, 10, UINT32_MAX, true, &bytes, &size), KS_OK);
    assert_int_equal(size, sizes[1]); /* min one batch: whole */
    free(bytes);
    struct seg_timestamp_offset found;
    assert_int_equal(seg_find_by_timestamp(seg, 10401, 0, &found), KS_OK);
    assert_true(found.found);
    assert_int_equal(found.offset, 13);
    assert_int_equal(found.timestamp, 10401);
    assert_int_equal(found.leader_epoch, 3);
    assert_int_equal(seg_find_by_timestamp(seg, 10150, 0, &found), KS_OK);
    assert_int_equal(found.offset, 6);
    assert_int_equal(seg_find_by_timestamp(seg, 10000, 20, &found), KS_OK);
    assert_int_equal(found.offset, 20);
    assert_int_equal(seg_find_by_timestamp(seg, 99999, 0, &found), KS_OK);
    assert_false(found.found);
    seg_close(seg);
    tk_free(&t);
}

static void test_truncate(void **state)
{
    struct tk t = setup(3, 0);
    struct seg_config c = test_config(0, 4096);
    struct seg *seg = NULL;
    assert_int_equal(seg_create(t.env, DIR, 0, &c, "", &seg), KS_OK);
    uint32_t first = append(seg, 0, 2, 10, 100);
    for (uint32_t i = 1; i < 6; i++)
        append(seg, i * 2, 2, 10, 100 + i * 10);
    uint32_t cut = 0;
    assert_int_equal(seg_truncate_to(seg, 3, &cut), KS_OK); /* the batch holding 3 goes */
    assert_int_equal(seg->size_bytes, first);
    assert_int_equal(seg->next_offset, 2);
    assert_int_equal(seg->max_timestamp, 101);
    assert_int_equal(seg->offset_count, 0);
    assert_int_equal(seg->time_count, 0);
    assert_int_equal(file_size(t.env, DIR "/00000000000000000000.index"), 4096);
    append(seg, 2, 2, 10, 500);
    assert_int_equal(seg->next_offset, 4);
    assert_int_equal(seg->offset_count, 1); /* as a rebuild would: first batch's bytes count */
    assert_int_equal(seg->offsets[0].offset, 3);
    assert_int_equal(seg->offsets[0].position, first);
    seg_close(seg);
    tk_free(&t);
}

/* Writes bytes at position of a segment's .log. */
static void poke(struct env *env, const char *path, uint64_t position, const uint8_t *bytes,
                 uint32_t n)
{
    env_file_id f = 0;
    assert_int_equal(env_file_open(env, path, 0, &f), KS_OK);
    assert_int_equal(env_file_write(env, f, position, bytes, n), KS_OK);
    env_file_close(env, f);
}

/* Builds a segment of 8 batches, closes it; returns the position of batch 5. */
static uint32_t build_closed(struct tk *t, uint32_t *total_out)
{
    struct seg_config c = test_config(50, 4096);
    struct seg *seg = NULL;
    assert_int_equal(seg_create(t->env, DIR, 0, &c, "", &seg), KS_OK);
    uint32_t pos5 = 0, total = 0;
    for (uint32_t i = 0; i < 8; i++) {
        if (i == 5)
            pos5 = total;
        total += append(seg, i * 2, 2, 30, 1000 + i);
    }
    assert_int_equal(seg_trim(seg), KS_OK);
    assert_int_equal(seg_flush(seg), KS_OK);
    seg_close(seg);
    *total_out = total;
    return pos5;
}

static struct seg *reopen(struct tk *t, bool *needs)
{
    struct seg_config c = test_config(50, 4096);
    struct seg *seg = NULL;
    assert_int_equal(seg_open(t->env, DIR, 0, &c, "", true, needs, &seg), KS_OK);
    return seg;
}

static void test_recover_cuts_at_bad_crc_and_rebuilds(void **state)
{
    struct tk t = setup(4, 0);
    uint32_t total = 0, pos5 = build_closed(&t, &total);
    bool needs = true;
    struct seg *seg = reopen(&t, &needs);
    assert_false(needs);
    assert_int_equal(seg->next_offset, 16);
    uint32_t offsets_before = seg->offset_count, times_before = seg->time_count;
    struct seg_offset_entry saved[16];
    assert_true(offsets_before > 3 && offsets_before <= 16);
    memcpy(saved, seg->offsets, offsets_before * sizeof(saved[0]));
    uint32_t cut = 0;
    assert_int_equal(seg_recover(seg, NULL, NULL, &cut), KS_OK); /* clean: nothing cut */
    assert_int_equal(cut, 0);
    assert_int_equal(seg->offset_count, offsets_before);
    assert_int_equal(seg->time_count + 1, times_before + 1);
    for (uint32_t i = 0; i < offsets_before; i++) {
        assert_int_equal(seg->offsets[i].offset, saved[i].offset);
        assert_int_equal(seg->offsets[i].position, saved[i].position);
    }
    seg_close(seg);
    uint8_t flip = 0xee;
    poke(t.env, DIR "/00000000000000000000.log", pos5 + 70, &flip, 1); /* inside batch 5 */
    seg = reopen(&t, &needs);
    assert_int_equal(seg_recover(seg, NULL, NULL, &cut), KS_OK);
    assert_int_equal(cut, total - pos5);
    assert_int_equal(seg->size_bytes, pos5);
    assert_int_equal(seg->next_offset, 10);
    for (uint32_t i = 0; i < seg->offset_count; i++)
        assert_true(seg->offsets[i].offset < 10 && seg->offsets[i].position < pos5);
    seg_close(seg);
    tk_free(&t);
}

static void test_recover_torn_tail(void **state)
{
    struct tk t = setup(5, 0);
    uint32_t total = 0, pos5 = build_closed(&t, &total);
    env_file_id f = 0;
    assert_int_equal(env_file_open(t.env, DIR "/00000000000000000000.log", 0, &f), KS_OK);
    assert_int_equal(env_file_truncate(t.env, f, pos5 + 30), KS_OK); /* mid-batch */
    env_file_close(t.env, f);
    bool needs = false;
    struct seg *seg = reopen(&t, &needs);
    uint32_t cut = 0;
    assert_int_equal(seg_recover(seg, NULL, NULL, &cut), KS_OK);
    assert_int_equal(cut, 30);
    assert_int_equal(seg->next_offset, 10);
    seg_close(seg);
    tk_free(&t);
}

static void test_open_detects_bad_index(void **state)
{
    static const struct {
        const char *what;
        const char *file;
        uint64_t position;
        uint8_t bytes[4];
        uint32_t n;
    } cases[] = {
        {"offset index not increasing", DIR "/00000000000000000000.index", 8, {0, 0, 0, 0}, 4},
        {"position past the log", DIR "/00000000000000000000.index", 4, {0x7f, 0, 0, 0}, 4},
        {"offset index odd length", DIR "/00000000000000000000.index", 16 * 8, {1, 2, 3, 4}, 4},
        {"time index decreasing", DIR "/00000000000000000000.timeindex", 16, {0, 0, 0, 0}, 4},
    };
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        struct tk t = setup(6 + i, 0);
        uint32_t total = 0;
        build_closed(&t, &total);
        poke(t.env, cases[i].file, cases[i].position, cases[i].bytes, cases[i].n);
        bool needs = false;
        struct seg *seg = reopen(&t, &needs);
        if (!needs)
            fail_msg("%s: not detected", cases[i].what);
        uint32_t cut = 0;
        assert_int_equal(seg_recover(seg, NULL, NULL, &cut), KS_OK);
        assert_int_equal(seg->next_offset, 16);
        seg_close(seg);
        tk_free(&t);
    }
}

/* The recovery check: every batch that survives recovery has a valid CRC. */
static bool recovered_all_valid(struct tk *t)
{
    bool needs = false;
    struct seg *seg = reopen(t, &needs);
    uint32_t cut = 0;
    assert_int_equal(seg_recover(seg, NULL, NULL, &cut), KS_OK);
    uint8_t *buf = malloc(seg->size_bytes + 1);
    assert_int_equal(seg_read_at(seg, 0, buf, seg->size_bytes), KS_OK);
    bool ok = true;
    for (uint32_t pos = 0, i = 0; pos < seg->size_bytes && i < 100; i++) {
        struct rb_scan scan;
        assert_int_equal(rb_scan(buf + pos, seg->size_bytes - pos, &scan), KS_OK);
        ok &= scan.crc_valid;
        pos += scan.size_bytes;
    }
    free(buf);
    seg_close(seg);
    return ok;
}

static void test_bug_skip_recovery_crc_is_caught(void **state)
{
    for (uint32_t bug = 0; bug < 2; bug++) {
        struct tk t = setup(20, bug ? 1ull << KS_BUG_LOG_SKIP_RECOVERY_CRC : 0);
        uint32_t total = 0, pos5 = build_closed(&t, &total);
        uint8_t flip = 0x5a;
        poke(t.env, DIR "/00000000000000000000.log", pos5 + 80, &flip, 1);
        assert_int_equal(recovered_all_valid(&t), bug == 0);
        tk_free(&t);
    }
}

/* Bad bytes after two good batches: recovery keeps the good ones, cuts the rest, and
 * never asserts. */
static void test_recover_bad_input(void **state)
{
    static const struct {
        const char *what;
        uint32_t at;     /* offset into the third batch's header */
        uint8_t byte[4]; /* written there */
        uint32_t n;
    } cases[] = {
        {"magic 1", 16, {1}, 1},
        {"magic 3", 16, {3}, 1},
        {"batch length below the header", 8, {0, 0, 0, 10}, 4},
        {"batch length negative", 8, {0x80, 0, 0, 0}, 4},
        {"batch length past the file", 8, {0, 1, 0, 0}, 4},
        {"last offset delta negative", 23, {0xff, 0xff, 0xff, 0xff}, 4},
        {"base offset going back", 0, {0, 0, 0, 0}, 4},
        {"offset past int32 from the base", 0, {0xff, 0xff, 0xff, 0xff}, 4},
        {"crc", 17, {0, 0, 0, 0}, 4},
    };
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        struct tk t = setup(40 + i, 0);
        struct seg_config c = test_config(0, 4096);
        struct seg *seg = NULL;
        assert_int_equal(seg_create(t.env, DIR, 0, &c, "", &seg), KS_OK);
        uint32_t good = append(seg, 0, 2, 10, 1) + append(seg, 2, 2, 10, 2);
        append(seg, 4, 2, 10, 3);
        uint32_t total = seg->size_bytes;
        seg_close(seg);
        uint8_t bytes[8] = {0};
        memcpy(bytes, cases[i].byte, cases[i].n);
        if (cases[i].at == 0) /* an 8-byte base offset */
            memcpy(bytes + 4, cases[i].byte, cases[i].n);
        uint32_t n = cases[i].at == 0 ? 8 : cases[i].n;
        poke(t.env, DIR "/00000000000000000000.log", good + cases[i].at, bytes, n);
        bool needs = false;
        seg = reopen(&t, &needs);
        uint32_t cut = 0;
        assert_int_equal(seg_recover(seg, NULL, NULL, &cut), KS_OK);
        if (seg->size_bytes != good || cut != total - good)
            fail_msg("%s: kept %u of %u bytes", cases[i].what, seg->size_bytes, total);
        assert_int_equal(seg->next_offset, 4);
        seg_close(seg);
        tk_free(&t);
    }
}

static void test_suffix_rename(void **state)
{
    struct tk t = setup(30, 0);
    struct seg_config c = test_config(0, 240);
    struct seg *seg = NULL;
    assert_int_equal(seg_create(t.env, DIR, 7, &c, ".cleaned", &seg), KS_OK);
    append(seg, 7, 1, 5, 1);
    assert_int_equal(seg_rename_suffix(seg, ".swap"), KS_OK);
    assert_int_equal(seg_rename_suffix(seg, ""), KS_OK);
    assert_int_equal(file_size(t.env, DIR "/00000000000000000007.log"), seg->size_bytes);
    env_file_id f = 0;
    assert_int_equal(env_file_open(t.env, DIR "/00000000000000000007.log.swap", 0, &f),
                     KS_ERR_NOT_FOUND);
    seg_close(seg);
    tk_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_index_bytes_golden),
        cmocka_unit_test(test_read_translate_and_timestamp),
        cmocka_unit_test(test_truncate),
        cmocka_unit_test(test_recover_cuts_at_bad_crc_and_rebuilds),
        cmocka_unit_test(test_recover_torn_tail),
        cmocka_unit_test(test_open_detects_bad_index),
        cmocka_unit_test(test_bug_skip_recovery_crc_is_caught),
        cmocka_unit_test(test_recover_bad_input),
        cmocka_unit_test(test_suffix_rename),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
