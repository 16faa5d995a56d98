/*
 * simdisk_test.c: pins the simulated disk's contract (sim/simdisk.h, env.h's file
 * calls): page cache against durable bytes, directory durability, crash prefixes and
 * sector tearing, unlink and close semantics, faults, ordering and determinism.
 * Tests that depend on crash luck run many seeds and check that every outcome is an
 * allowed one and that the interesting outcomes do occur.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../simdisk.h"

#define SEEDS_COUNT 200u
#define TEXT_BYTES_MAX 4096u
#define FILE_BYTES_TEST_MAX 65536u

/* ---- Helpers ---------------------------------------------------------------------- */

/* Create (or replace) path holding bytes; sync the file when asked. */
static void put_file(struct simdisk *disk, const char *path, const uint8_t *bytes,
                     uint32_t size_bytes, bool sync)
{
    uint64_t file = 0;
    assert_int_equal(simdisk_open(disk, path, ENV_FILE_CREATE | ENV_FILE_TRUNC, &file), KS_OK);
    assert_int_equal(simdisk_write(disk, file, 0, bytes, size_bytes), KS_OK);
    if (sync)
        assert_int_equal(simdisk_sync(disk, file), KS_OK);
    simdisk_close(disk, file);
}

/* Read the whole file at path into buf. */
static enum ks_err get_file(struct simdisk *disk, const char *path, uint8_t *buf,
                            uint32_t capacity_bytes, uint32_t *size_out)
{
    uint64_t file = 0;
    enum ks_err err = simdisk_open(disk, path, 0, &file);
    if (err != KS_OK)
        return err;
    uint64_t size = 0;
    assert_int_equal(simdisk_size(disk, file, &size), KS_OK);
    assert_true(size <= capacity_bytes);
    assert_int_equal(simdisk_read(disk, file, 0, buf, capacity_bytes, size_out), KS_OK);
    assert_int_equal(*size_out, size);
    simdisk_close(disk, file);
    return KS_OK;
}

static bool path_exists(struct simdisk *disk, const char *path)
{
    uint64_t file = 0;
    enum ks_err err = simdisk_open(disk, path, 0, &file);
    assert_true(err == KS_OK || err == KS_ERR_NOT_FOUND);
    if (err == KS_OK)
        simdisk_close(disk, file);
    return err == KS_OK;
}

struct text {
    char bytes[TEXT_BYTES_MAX];
    size_t length;
};

static void text_add(struct text *t, const char *s)
{
    size_t n = strlen(s);
    assert_true(t->length + n < TEXT_BYTES_MAX);
    memcpy(t->bytes + t->length, s, n + 1);
    t->length += n;
}

/* Walk callback: "d path" for directories, "f path size checksum" for files. */
static void walk_to_text(void *ctx, const char *path, bool is_dir, const uint8_t *bytes,
                         uint64_t size_bytes)
{
    char line[SIMDISK_PATH_BYTES_MAX + 64];
    if (is_dir) {
        assert_null(bytes);
        snprintf(line, sizeof line, "d %s\n", path);
    } else {
        uint64_t hash = ks_fnv1a64(KS_FNV1A64_INIT, bytes, (size_t)size_bytes);
        snprintf(line, sizeof line, "f %s %llu %016llx\n", path, (unsigned long long)size_bytes,
                 (unsigned long long)hash);
    }
    text_add(ctx, line);
}

/* Walk callback that only names paths: "path" or "path/" per line. */
static void walk_names(void *ctx, const char *path, bool is_dir, const uint8_t *bytes,
                       uint64_t size_bytes)
{
    text_add(ctx, path);
    text_add(ctx, is_dir ? "/\n" : "\n");
}

static void list_to_text(void *ctx, const char *name, bool is_dir)
{
    text_add(ctx, name);
    text_add(ctx, is_dir ? "/ " : " ");
}

static struct simdisk *disk_seeded(struct rng *rng, uint64_t seed)
{
    rng_seed(rng, seed);
    return simdisk_create(rng);
}

static void fill_pattern(uint8_t *bytes, uint32_t size_bytes, uint32_t salt)
{
    for (uint32_t i = 0; i < size_bytes; i++)
        bytes[i] = (uint8_t)(i * 7u + salt * 13u + 1u);
}

/* ---- Bad input ---------------------------------------------------------------------- */

static void test_bad_paths_are_invalid(void **state)
{
    static const struct {
        const char *name;
        const char *path;
        enum ks_err open_err;  /* open with CREATE */
        enum ks_err mkdir_err; /* mkdir */
        enum ks_err list_err;  /* list and dir_sync */
    } cases[] = {
        {"root is not a file", "", KS_ERR_INVALID, KS_ERR_EXISTS, KS_OK},
        {"absolute", "/a", KS_ERR_INVALID, KS_ERR_INVALID, KS_ERR_INVALID},
        {"trailing slash", "a/", KS_ERR_INVALID, KS_ERR_INVALID, KS_ERR_INVALID},
        {"empty part", "a//b", KS_ERR_INVALID, KS_ERR_INVALID, KS_ERR_INVALID},
        {"dot", ".", KS_ERR_INVALID, KS_ERR_INVALID, KS_ERR_INVALID},
        {"dot dot", "..", KS_ERR_INVALID, KS_ERR_INVALID, KS_ERR_INVALID},
        {"inner dot", "a/./b", KS_ERR_INVALID, KS_ERR_INVALID, KS_ERR_INVALID},
        {"inner dot dot", "a/../b", KS_ERR_INVALID, KS_ERR_INVALID, KS_ERR_INVALID},
        {"null", NULL, KS_ERR_INVALID, KS_ERR_INVALID, KS_ERR_INVALID},
    };
    struct rng rng;
    struct simdisk *disk = disk_seeded(&rng, 1);
    struct text t = {0};
    for (size_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        const char *path = cases[i].path;
        uint64_t file = 0;
        assert_int_equal(simdisk_open(disk, path, ENV_FILE_CREATE, &file), cases[i].open_err);
        assert_int_equal(simdisk_mkdir(disk, path), cases[i].mkdir_err);
        assert_int_equal(simdisk_list(disk, path, list_to_text, &t), cases[i].list_err);
        assert_int_equal(simdisk_dir_sync(disk, path), cases[i].list_err);
        assert_int_equal(simdisk_delete(disk, path), KS_ERR_INVALID);
        assert_int_equal(simdisk_rename(disk, path, "x"), KS_ERR_INVALID);
        assert_int_equal(simdisk_rename(disk, "x", path), KS_ERR_INVALID);
    }
    assert_int_equal(t.length, 0); /* nothing was ever created */
    simdisk_destroy(disk);
}

static void test_path_length_limit(void **state)
{
    struct rng rng;
    struct simdisk *disk = disk_seeded(&rng, 1);
    char path[SIMDISK_PATH_BYTES_MAX + 1];
    memset(path, 'a', SIMDISK_PATH_BYTES_MAX);
    path[SIMDISK_PATH_BYTES_MAX] = '\0';
    uint64_t file = 0;
    assert_int_equal(simdisk_open(disk, path, ENV_FILE_CREATE, &file), KS_ERR_INVALID);
    path[SIMDISK_PATH_BYTES_MAX - 1] = '\0'; /* one byte under the limit */
    assert_int_equal(simdisk_open(disk, path, ENV_FILE_CREATE, &file), KS_OK);
    simdisk_close(disk, file);
    simdisk_destroy(disk);
}

static void test_bad_handles_are_invalid(void **state)
{
    static const uint64_t handles[] = {0, 2, 999, UINT64_MAX};
    struct rng rng;
    struct simdisk *disk = disk_seeded(&rng, 1);
    uint64_t open_file = 0;
    assert_int_equal(simdisk_open(disk, "f", ENV_FILE_CREATE, &open_file), KS_OK);
    assert_int_equal(open_file, 1);
    uint8_t buf[8] = {0};
    uint32_t read_bytes = 0;
    uint64_t size = 0;
    for (size_t i = 0; i < KS_ARRAY_COUNT(handles); i++) {
        uint64_t h = handles[i];
        assert_int_equal(simdisk_read(disk, h, 0, buf, 8, &read_bytes), KS_ERR_INVALID);
        assert_int_equal(simdisk_write(disk, h, 0, buf, 8), KS_ERR_INVALID);
        assert_int_equal(simdisk_size(disk, h, &size), KS_ERR_INVALID);
        assert_int_equal(simdisk_truncate(disk, h, 0), KS_ERR_INVALID);
        assert_int_equal(simdisk_sync(disk, h), KS_ERR_INVALID);
        simdisk_close(disk, h); /* ignored */
    }
    /* Null buffers and out-pointers on a good handle. */
    assert_int_equal(simdisk_read(disk, open_file, 0, NULL, 8, &read_bytes), KS_ERR_INVALID);
    assert_int_equal(simdisk_read(disk, open_file, 0, buf, 8, NULL), KS_ERR_INVALID);
    assert_int_equal(simdisk_write(disk, open_file, 0, NULL, 8), KS_ERR_INVALID);
    assert_int_equal(simdisk_size(disk, open_file, NULL), KS_ERR_INVALID);
    assert_int_equal(simdisk_list(disk, "", NULL, NULL), KS_ERR_INVALID);
    assert_int_equal(simdisk_open(disk, "g", ENV_FILE_CREATE, NULL), KS_ERR_INVALID);
    /* A write past the largest file is ENOSPC and writes nothing. */
    assert_int_equal(simdisk_write(disk, open_file, SIMDISK_FILE_BYTES_MAX, buf, 1),
                     KS_ERR_NO_SPACE);
    assert_int_equal(simdisk_truncate(disk, open_file, SIMDISK_FILE_BYTES_MAX + 1),
                     KS_ERR_NO_SPACE);
    assert_int_equal(simdisk_size(disk, open_file, &size), KS_OK);
    assert_int_equal(size, 0);
    simdisk_close(disk, open_file);
    assert_int_equal(simdisk_sync(disk, open_file), KS_ERR_INVALID); /* closed */
    simdisk_destroy(disk);
}

/* ---- Open, read, write ---------------------------------------------------------------- */

static void test_open_cases(void **state)
{
    static const struct {
        const char *name;
        const char *path;
        unsigned flags;
        enum ks_err err;
    } cases[] = {
        {"missing without create", "g", 0, KS_ERR_NOT_FOUND},
        {"missing parent", "x/g", ENV_FILE_CREATE, KS_ERR_NOT_FOUND},
        {"file as parent", "f/g", ENV_FILE_CREATE, KS_ERR_NOT_FOUND},
        {"exclusive on existing", "f", ENV_FILE_CREATE | ENV_FILE_EXCL, KS_ERR_EXISTS},
        {"a directory", "d", 0, KS_ERR_INVALID},
        {"a directory with create", "d", ENV_FILE_CREATE, KS_ERR_INVALID},
        {"unknown flag", "f", 1u << 7, KS_ERR_INVALID},
        {"existing", "f", 0, KS_OK},
        {"existing with create", "f", ENV_FILE_CREATE, KS_OK},
        {"new in a directory", "d/g", ENV_FILE_CREATE | ENV_FILE_EXCL, KS_OK},
    };
    for (size_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        struct rng rng;
        struct simdisk *disk = disk_seeded(&rng, 1);
        put_file(disk, "f", (const uint8_t *)"abc", 3, false);
        assert_int_equal(simdisk_mkdir(disk, "d"), KS_OK);
        uint64_t file = 0;
        enum ks_err err = simdisk_open(disk, cases[i].path, cases[i].flags, &file);
        if (err != cases[i].err)
            fail_msg("case '%s': got %s", cases[i].name, ks_err_name(err));
        if (err == KS_OK) {
            assert_true(file != 0);
            simdisk_close(disk, file);
        }
        simdisk_destroy(disk);
    }
}

static void test_open_trunc_empties_file(void **state)
{
    struct rng rng;
    struct simdisk *disk = disk_seeded(&rng, 1);
    put_file(disk, "f", (const uint8_t *)"abcdef", 6, true);
    uint64_t file = 0;
    uint64_t size = 99;
    assert_int_equal(simdisk_open(disk, "f", ENV_FILE_TRUNC, &file), KS_OK);
    assert_int_equal(simdisk_size(disk, file, &size), KS_OK);
    assert_int_equal(size, 0);
    simdisk_close(disk, file);
    simdisk_destroy(disk);
}

static void test_read_write_gap_and_short_read(void **state)
{
    struct rng rng;
    struct simdisk *disk = disk_seeded(&rng, 1);
    uint64_t file = 0;
    assert_int_equal(simdisk_open(disk, "f", ENV_FILE_CREATE, &file), KS_OK);
    assert_int_equal(simdisk_write(disk, file, 10, (const uint8_t *)"xyz", 3), KS_OK);
    assert_int_equal(simdisk_write(disk, file, 11, (const uint8_t *)"Q", 1), KS_OK);
    assert_int_equal(simdisk_write(disk, file, 50, (const uint8_t *)"", 0), KS_OK);
    uint8_t buf[32];
    memset(buf, 0xee, sizeof buf);
    uint32_t read_bytes = 0;
    assert_int_equal(simdisk_read(disk, file, 0, buf, sizeof buf, &read_bytes), KS_OK);
    assert_int_equal(read_bytes, 13); /* the empty write at 50 did not extend */
    static const uint8_t expected[13] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'x', 'Q', 'z'};
    assert_memory_equal(buf, expected, sizeof expected);
    assert_int_equal(simdisk_read(disk, file, 11, buf, 1, &read_bytes), KS_OK);
    assert_int_equal(read_bytes, 1);
    assert_int_equal(buf[0], 'Q');
    assert_int_equal(simdisk_read(disk, file, 13, buf, 4, &read_bytes), KS_OK);
    assert_int_equal(read_bytes, 0);
    assert_int_equal(simdisk_read(disk, file, 1000, buf, 4, &read_bytes), KS_OK);
    assert_int_equal(read_bytes, 0);
    simdisk_close(disk, file);
    simdisk_destroy(disk);
}

/* ---- Crashes: file contents ---------------------------------------------------------- */

/* A durable file "f" (name and bytes) holding `synced_bytes` bytes of 'a'. */
static struct simdisk *disk_with_durable_file(struct rng *rng, uint64_t seed, uint32_t synced_bytes)
{
    struct simdisk *disk = disk_seeded(rng, seed);
    uint8_t bytes[FILE_BYTES_TEST_MAX];
    assert_true(synced_bytes <= sizeof bytes);
    memset(bytes, 'a', synced_bytes);
    uint64_t file = 0;
    assert_int_equal(simdisk_open(disk, "f", ENV_FILE_CREATE, &file), KS_OK);
    if (synced_bytes > 0)
        assert_int_equal(simdisk_write(disk, file, 0, bytes, synced_bytes), KS_OK);
    assert_int_equal(simdisk_sync(disk, file), KS_OK);
    simdisk_close(disk, file);
    assert_int_equal(simdisk_dir_sync(disk, ""), KS_OK);
    return disk;
}

static void test_synced_write_survives_unsynced_may_vanish(void **state)
{
    uint32_t gone = 0;
    uint32_t kept = 0;
    for (uint64_t seed = 1; seed <= SEEDS_COUNT; seed++) {
        struct rng rng;
        struct simdisk *disk = disk_with_durable_file(&rng, seed, 512);
        uint64_t file = 0;
        uint8_t b[100];
        memset(b, 'b', sizeof b);
        assert_int_equal(simdisk_open(disk, "f", 0, &file), KS_OK);
        assert_int_equal(simdisk_write(disk, file, 512, b, sizeof b), KS_OK);
        uint64_t lost = simdisk_crash(disk);
        uint8_t buf[1024];
        uint32_t size = 0;
        assert_int_equal(get_file(disk, "f", buf, sizeof buf, &size), KS_OK);
        assert_true(size == 512 || size == 612); /* a write inside one sector never tears */
        for (uint32_t i = 0; i < size; i++)
            assert_int_equal(buf[i], i < 512 ? 'a' : 'b');
        assert_int_equal(lost, size == 512 ? 1 : 0);
        gone += size == 512;
        kept += size == 612;
        simdisk_destroy(disk);
    }
    assert_true(gone > 0);
    assert_true(kept > 0);
}

static void test_torn_write_keeps_sector_aligned_prefix(void **state)
{
    static const struct {
        const char *name;
        uint32_t offset;
        uint32_t size_bytes;
        bool can_be_partial; /* a sector boundary lies strictly inside the write */
    } cases[] = {
        {"one whole sector", 0, 512, false},         {"inside one sector", 1000, 24, false},
        {"across one boundary", 500, 30, true},      {"across five boundaries", 100, 3000, true},
        {"aligned, many sectors", 1024, 2048, true},
    };
    for (size_t c = 0; c < KS_ARRAY_COUNT(cases); c++) {
        uint32_t offset = cases[c].offset;
        uint32_t end = offset + cases[c].size_bytes;
        uint8_t write[4096];
        fill_pattern(write, cases[c].size_bytes, (uint32_t)c);
        uint32_t empty = 0, partial = 0, full = 0;
        for (uint64_t seed = 1; seed <= SEEDS_COUNT; seed++) {
            struct rng rng;
            struct simdisk *disk = disk_with_durable_file(&rng, seed, 0);
            uint64_t file = 0;
            assert_int_equal(simdisk_open(disk, "f", 0, &file), KS_OK);
            assert_int_equal(simdisk_write(disk, file, offset, write, cases[c].size_bytes), KS_OK);
            simdisk_crash(disk);
            uint8_t buf[8192];
            uint32_t size = 0;
            assert_int_equal(get_file(disk, "f", buf, sizeof buf, &size), KS_OK);
            if (size == 0) {
                empty++;
            } else {
                /* Ends at the write's end or at an absolute sector boundary inside it. */
                assert_true(size > offset && size <= end);
                assert_true(size == end || size % SIMDISK_SECTOR_BYTES == 0);
                for (uint32_t i = 0; i < offset; i++)
                    assert_int_equal(buf[i], 0);
                assert_memory_equal(buf + offset, write, size - offset);
                full += size == end;
                partial += size < end;
            }
            simdisk_destroy(disk);
        }
        if (empty == 0 || full == 0 || (partial > 0) != cases[c].can_be_partial)
            fail_msg("case '%s': empty %u partial %u full %u", cases[c].name, empty, partial, full);
    }
}

static void test_truncate_pending_until_sync(void **state)
{
    uint32_t long_kept = 0, short_kept = 0;
    for (uint64_t seed = 1; seed <= SEEDS_COUNT; seed++) {
        struct rng rng;
        struct simdisk *disk = disk_with_durable_file(&rng, seed, 1000);
        uint64_t file = 0, size = 0;
        assert_int_equal(simdisk_open(disk, "f", 0, &file), KS_OK);
        assert_int_equal(simdisk_truncate(disk, file, 100), KS_OK);
        assert_int_equal(simdisk_size(disk, file, &size), KS_OK);
        assert_int_equal(size, 100);                      /* the cache shrinks at once */
        assert_int_equal(simdisk_used_bytes(disk), 1000); /* the durable bytes still count */
        simdisk_crash(disk);
        uint8_t buf[2048];
        uint32_t got = 0;
        assert_int_equal(get_file(disk, "f", buf, sizeof buf, &got), KS_OK);
        assert_true(got == 100 || got == 1000);
        for (uint32_t i = 0; i < got; i++)
            assert_int_equal(buf[i], 'a');
        long_kept += got == 1000;
        short_kept += got == 100;
        simdisk_destroy(disk);
    }
    assert_true(long_kept > 0);
    assert_true(short_kept > 0);
}

static void test_truncate_extends_with_zeros_and_sync_makes_it_durable(void **state)
{
    for (uint64_t seed = 1; seed <= 20; seed++) {
        struct rng rng;
        struct simdisk *disk = disk_with_durable_file(&rng, seed, 10);
        uint64_t file = 0;
        assert_int_equal(simdisk_open(disk, "f", 0, &file), KS_OK);
        assert_int_equal(simdisk_truncate(disk, file, 4), KS_OK);
        assert_int_equal(simdisk_truncate(disk, file, 8), KS_OK);
        assert_int_equal(simdisk_sync(disk, file), KS_OK);
        assert_int_equal(simdisk_crash(disk), 0);
        uint8_t buf[16];
        uint32_t got = 0;
        assert_int_equal(get_file(disk, "f", buf, sizeof buf, &got), KS_OK);
        assert_int_equal(got, 8);
        assert_memory_equal(buf, "aaaa\0\0\0\0", 8);
        simdisk_destroy(disk);
    }
}

static void test_failed_sync_leaves_writes_pending(void **state)
{
    uint32_t lost = 0;
    for (uint64_t seed = 1; seed <= 50; seed++) {
        struct rng rng;
        struct simdisk *disk = disk_with_durable_file(&rng, seed, 0);
        uint64_t file = 0;
        assert_int_equal(simdisk_open(disk, "f", 0, &file), KS_OK);
        assert_int_equal(simdisk_write(disk, file, 0, (const uint8_t *)"hello", 5), KS_OK);
        simdisk_fail_next(disk, SIMDISK_OP_SYNC, 1);
        assert_int_equal(simdisk_sync(disk, file), KS_ERR_IO);
        simdisk_crash(disk);
        uint8_t buf[16];
        uint32_t got = 0;
        assert_int_equal(get_file(disk, "f", buf, sizeof buf, &got), KS_OK);
        assert_true(got == 0 || got == 5);
        lost += got == 0;
        simdisk_destroy(disk);
    }
    assert_true(lost > 0);
}

/* Thousands of unsynced appends: the oldest are written back (the pending limit is
 * 1024 per file, half written back when reached), the rest may be lost in order. */
static void test_many_unsynced_appends_leave_a_prefix(void **state)
{
    enum { APPENDS = 3000, APPEND_BYTES = 10 };
    static uint8_t stream[APPENDS * APPEND_BYTES];
    fill_pattern(stream, sizeof stream, 3);
    for (uint64_t seed = 1; seed <= 10; seed++) {
        struct rng rng;
        struct simdisk *disk = disk_with_durable_file(&rng, seed, 0);
        uint64_t file = 0;
        assert_int_equal(simdisk_open(disk, "f", 0, &file), KS_OK);
        for (uint32_t i = 0; i < APPENDS; i++)
            assert_int_equal(simdisk_write(disk, file, (uint64_t)i * APPEND_BYTES,
                                           stream + i * APPEND_BYTES, APPEND_BYTES),
                             KS_OK);
        simdisk_crash(disk);
        static uint8_t buf[APPENDS * APPEND_BYTES];
        uint32_t got = 0;
        assert_int_equal(get_file(disk, "f", buf, sizeof buf, &got), KS_OK);
        assert_true(got >= (APPENDS - 1024) * APPEND_BYTES);
        assert_memory_equal(buf, stream, got);
        simdisk_destroy(disk);
    }
}

/* ---- Crashes: names --------------------------------------------------------------------- */

static void test_created_file_needs_dir_sync(void **state)
{
    static const struct {
        const char *name;
        bool dir_sync;
    } cases[] = {{"without dir_sync", false}, {"with dir_sync", true}};
    for (size_t c = 0; c < KS_ARRAY_COUNT(cases); c++) {
        uint32_t vanished = 0, survived = 0;
        for (uint64_t seed = 1; seed <= SEEDS_COUNT; seed++) {
            struct rng rng;
            struct simdisk *disk = disk_seeded(&rng, seed);
            put_file(disk, "f", (const uint8_t *)"data", 4, true);
            if (cases[c].dir_sync)
                assert_int_equal(simdisk_dir_sync(disk, ""), KS_OK);
            simdisk_crash(disk);
            uint8_t buf[16];
            uint32_t got = 0;
            enum ks_err err = get_file(disk, "f", buf, sizeof buf, &got);
            if (err == KS_OK) {
                assert_int_equal(got, 4);
                assert_memory_equal(buf, "data", 4);
                survived++;
            } else {
                assert_int_equal(err, KS_ERR_NOT_FOUND);
                assert_int_equal(simdisk_used_bytes(disk), 0); /* the inode went too */
                vanished++;
            }
            simdisk_destroy(disk);
        }
        assert_true(survived > 0);
        if ((vanished > 0) == cases[c].dir_sync)
            fail_msg("case '%s': vanished %u of %u", cases[c].name, vanished, SEEDS_COUNT);
    }
}

static void test_mkdir_needs_parent_dir_sync(void **state)
{
    uint32_t whole = 0, none = 0;
    for (uint64_t seed = 1; seed <= SEEDS_COUNT; seed++) {
        struct rng rng;
        struct simdisk *disk = disk_seeded(&rng, seed);
        assert_int_equal(simdisk_mkdir(disk, "d"), KS_OK);
        put_file(disk, "d/f", (const uint8_t *)"x", 1, true);
        assert_int_equal(simdisk_dir_sync(disk, "d"), KS_OK); /* but not the root */
        simdisk_crash(disk);
        struct text t = {0};
        simdisk_walk_durable(disk, walk_names, &t);
        if (t.length == 0) {
            none++; /* d/f is durable in d, but nothing reaches d */
        } else {
            assert_string_equal(t.bytes, "d/\nd/f\n");
            whole++;
        }
        simdisk_destroy(disk);
    }
    assert_true(whole > 0);
    assert_true(none > 0);
}

static void test_rename_durability(void **state)
{
    static const struct {
        const char *name;
        bool dir_sync;
    } cases[] = {{"without dir_sync", false}, {"with dir_sync", true}};
    for (size_t c = 0; c < KS_ARRAY_COUNT(cases); c++) {
        uint32_t old_kept = 0, new_kept = 0;
        for (uint64_t seed = 1; seed <= SEEDS_COUNT; seed++) {
            struct rng rng;
            struct simdisk *disk = disk_seeded(&rng, seed);
            put_file(disk, "old", (const uint8_t *)"v1", 2, true);
            assert_int_equal(simdisk_dir_sync(disk, ""), KS_OK);
            assert_int_equal(simdisk_rename(disk, "old", "new"), KS_OK);
            assert_false(path_exists(disk, "old"));
            if (cases[c].dir_sync)
                assert_int_equal(simdisk_dir_sync(disk, ""), KS_OK);
            simdisk_crash(disk);
            bool has_old = path_exists(disk, "old");
            bool has_new = path_exists(disk, "new");
            assert_true(has_old != has_new); /* a rename in one directory is atomic */
            uint8_t buf[8];
            uint32_t got = 0;
            assert_int_equal(get_file(disk, has_old ? "old" : "new", buf, sizeof buf, &got), KS_OK);
            assert_int_equal(got, 2);
            old_kept += has_old;
            new_kept += has_new;
            simdisk_destroy(disk);
        }
        assert_true(new_kept > 0);
        if ((old_kept > 0) == cases[c].dir_sync)
            fail_msg("case '%s': old name back %u times", cases[c].name, old_kept);
    }
}

/* a -> b -> c, never synced: a crash keeps a prefix of the two renames. */
static void test_rename_chain_keeps_a_prefix(void **state)
{
    uint32_t seen[3] = {0};
    static const char *const names[3] = {"a", "b", "c"};
    for (uint64_t seed = 1; seed <= SEEDS_COUNT; seed++) {
        struct rng rng;
        struct simdisk *disk = disk_seeded(&rng, seed);
        put_file(disk, "a", (const uint8_t *)"v", 1, true);
        assert_int_equal(simdisk_dir_sync(disk, ""), KS_OK);
        assert_int_equal(simdisk_rename(disk, "a", "b"), KS_OK);
        assert_int_equal(simdisk_rename(disk, "b", "c"), KS_OK);
        assert_int_equal(simdisk_crash(disk) <= 2, true);
        uint32_t present = 0;
        for (uint32_t i = 0; i < 3; i++) {
            bool exists = path_exists(disk, names[i]);
            present += exists;
            seen[i] += exists;
        }
        assert_int_equal(present, 1);
        simdisk_destroy(disk);
    }
    for (uint32_t i = 0; i < 3; i++)
        assert_true(seen[i] > 0);
}

static void test_rename_replaces_file_and_across_dirs_needs_both_syncs(void **state)
{
    for (uint64_t seed = 1; seed <= 50; seed++) {
        struct rng rng;
        struct simdisk *disk = disk_seeded(&rng, seed);
        assert_int_equal(simdisk_mkdir(disk, "d1"), KS_OK);
        assert_int_equal(simdisk_mkdir(disk, "d2"), KS_OK);
        put_file(disk, "d1/f", (const uint8_t *)"new", 3, true);
        put_file(disk, "d2/f", (const uint8_t *)"old", 3, true);
        assert_int_equal(simdisk_dir_sync(disk, ""), KS_OK);
        assert_int_equal(simdisk_dir_sync(disk, "d1"), KS_OK);
        assert_int_equal(simdisk_dir_sync(disk, "d2"), KS_OK);
        assert_int_equal(simdisk_rename(disk, "d1/f", "d2/f"), KS_OK);
        assert_int_equal(simdisk_dir_sync(disk, "d1"), KS_OK);
        assert_int_equal(simdisk_dir_sync(disk, "d2"), KS_OK);
        assert_int_equal(simdisk_crash(disk), 0);
        struct text t = {0};
        simdisk_walk_durable(disk, walk_names, &t);
        assert_string_equal(t.bytes, "d1/\nd2/\nd2/f\n");
        uint8_t buf[8];
        uint32_t got = 0;
        assert_int_equal(get_file(disk, "d2/f", buf, sizeof buf, &got), KS_OK);
        assert_memory_equal(buf, "new", 3);
        assert_int_equal(simdisk_used_bytes(disk), 3); /* the replaced file is gone */
        simdisk_destroy(disk);
    }
}

static void test_delete_durability(void **state)
{
    static const struct {
        const char *name;
        bool dir_sync;
    } cases[] = {{"without dir_sync", false}, {"with dir_sync", true}};
    for (size_t c = 0; c < KS_ARRAY_COUNT(cases); c++) {
        uint32_t back = 0, gone = 0;
        for (uint64_t seed = 1; seed <= SEEDS_COUNT; seed++) {
            struct rng rng;
            struct simdisk *disk = disk_with_durable_file(&rng, seed, 7);
            assert_int_equal(simdisk_delete(disk, "f"), KS_OK);
            assert_false(path_exists(disk, "f"));
            if (cases[c].dir_sync)
                assert_int_equal(simdisk_dir_sync(disk, ""), KS_OK);
            simdisk_crash(disk);
            bool exists = path_exists(disk, "f");
            back += exists;
            gone += !exists;
            assert_int_equal(simdisk_used_bytes(disk), exists ? 7 : 0);
            simdisk_destroy(disk);
        }
        assert_true(gone > 0);
        if ((back > 0) == cases[c].dir_sync)
            fail_msg("case '%s': came back %u times", cases[c].name, back);
    }
}

/* Lists the current tree depth first through simdisk_list, as walk_names prints it.
 * It has no cycle guard of its own: a depth past the limit fails the test. */
struct list_tree {
    struct simdisk *disk;
    struct text *out;
    char path[SIMDISK_PATH_BYTES_MAX];
    uint32_t depth;
};

enum { LIST_TREE_DEPTH_MAX = 8 };

static void list_tree_entry(void *ctx, const char *name, bool is_dir)
{
    struct list_tree *lt = ctx;
    struct list_tree child = {.disk = lt->disk, .out = lt->out, .depth = lt->depth + 1};
    int n = snprintf(child.path, sizeof child.path, "%s%s%s", lt->path, lt->path[0] ? "/" : "",
                     name);
    assert_true(n > 0 && (size_t)n < sizeof child.path);
    text_add(lt->out, child.path);
    text_add(lt->out, is_dir ? "/\n" : "\n");
    if (!is_dir)
        return;
    if (child.depth > LIST_TREE_DEPTH_MAX)
        fail_msg("current names loop at %s", child.path);
    assert_int_equal(simdisk_list(lt->disk, child.path, list_tree_entry, &child), KS_OK);
}

/* Cross-directory directory renames synced in one directory only can make the durable
 * names a cycle; walks must end and a crash must leave a tree. */
static void test_rename_cycle_leaves_a_tree(void **state)
{
    for (uint64_t seed = 1; seed <= SEEDS_COUNT; seed++) {
        struct rng rng;
        struct simdisk *disk = disk_seeded(&rng, seed);
        assert_int_equal(simdisk_mkdir(disk, "a"), KS_OK);
        assert_int_equal(simdisk_mkdir(disk, "a/b"), KS_OK);
        assert_int_equal(simdisk_dir_sync(disk, ""), KS_OK);
        assert_int_equal(simdisk_dir_sync(disk, "a"), KS_OK);
        assert_int_equal(simdisk_rename(disk, "a/b", "b"), KS_OK);
        assert_int_equal(simdisk_rename(disk, "a", "b/a"), KS_OK);
        assert_int_equal(simdisk_rename(disk, "b", "b/a/x"), KS_ERR_INVALID);
        assert_int_equal(simdisk_dir_sync(disk, "b"), KS_OK); /* durable: a -> b -> a */
        struct text before = {0};
        simdisk_walk_durable(disk, walk_names, &before);
        assert_string_equal(before.bytes, "a/\na/b/\n");
        simdisk_crash(disk);
        struct text after = {0};
        simdisk_walk_durable(disk, walk_names, &after);
        /* Every directory once: at most a and b, each under one name. */
        uint32_t lines = 0;
        for (size_t i = 0; i < after.length; i++)
            lines += after.bytes[i] == '\n';
        assert_true(lines >= 1 && lines <= 2);
        /* After a crash the current names are the durable ones, and a tree. */
        static struct text listed;
        listed = (struct text){0};
        struct list_tree root = {.disk = disk, .out = &listed};
        assert_int_equal(simdisk_list(disk, "", list_tree_entry, &root), KS_OK);
        assert_string_equal(listed.bytes, after.bytes);
        simdisk_destroy(disk);
    }
}

/* ---- Handles, unlink, close_all ------------------------------------------------------- */

static void test_unlink_while_open_stays_readable(void **state)
{
    struct rng rng;
    struct simdisk *disk = disk_seeded(&rng, 1);
    put_file(disk, "f", (const uint8_t *)"keep", 4, true);
    assert_int_equal(simdisk_dir_sync(disk, ""), KS_OK);
    uint64_t file = 0;
    assert_int_equal(simdisk_open(disk, "f", 0, &file), KS_OK);
    assert_int_equal(simdisk_delete(disk, "f"), KS_OK);
    assert_int_equal(simdisk_dir_sync(disk, ""), KS_OK);
    assert_false(path_exists(disk, "f"));
    uint8_t buf[8];
    uint32_t got = 0;
    assert_int_equal(simdisk_read(disk, file, 0, buf, sizeof buf, &got), KS_OK);
    assert_int_equal(got, 4);
    assert_memory_equal(buf, "keep", 4);
    assert_int_equal(simdisk_write(disk, file, 4, (const uint8_t *)"!", 1), KS_OK);
    assert_int_equal(simdisk_sync(disk, file), KS_OK);
    assert_int_equal(simdisk_used_bytes(disk), 5);
    /* A new file may take the name meanwhile. */
    put_file(disk, "f", (const uint8_t *)"other", 5, false);
    assert_int_equal(simdisk_read(disk, file, 0, buf, sizeof buf, &got), KS_OK);
    assert_int_equal(got, 5);
    assert_memory_equal(buf, "keep!", 5);
    simdisk_close(disk, file);
    assert_int_equal(simdisk_used_bytes(disk), 5); /* only "other" is left */
    simdisk_destroy(disk);
}

static void test_close_all_keeps_page_cache(void **state)
{
    struct rng rng;
    struct simdisk *disk = disk_seeded(&rng, 1);
    uint64_t file = 0;
    assert_int_equal(simdisk_open(disk, "d", ENV_FILE_CREATE, &file), KS_OK);
    assert_int_equal(simdisk_write(disk, file, 0, (const uint8_t *)"unsynced", 8), KS_OK);
    simdisk_close_all(disk);
    uint8_t buf[16];
    uint32_t got = 0;
    assert_int_equal(simdisk_read(disk, file, 0, buf, sizeof buf, &got), KS_ERR_INVALID);
    assert_int_equal(get_file(disk, "d", buf, sizeof buf, &got), KS_OK);
    assert_int_equal(got, 8);
    assert_memory_equal(buf, "unsynced", 8);
    struct text t = {0};
    simdisk_walk_durable(disk, walk_names, &t);
    assert_int_equal(t.length, 0); /* still nothing durable */
    simdisk_destroy(disk);
}

static void test_handles_never_zero_never_reused(void **state)
{
    struct rng rng;
    struct simdisk *disk = disk_seeded(&rng, 1);
    uint64_t previous = 0;
    for (uint32_t i = 0; i < 5; i++) {
        uint64_t file = 0;
        assert_int_equal(simdisk_open(disk, "f", ENV_FILE_CREATE, &file), KS_OK);
        assert_true(file > previous);
        previous = file;
        simdisk_close(disk, file);
    }
    uint64_t file = 0;
    assert_int_equal(simdisk_open(disk, "f", 0, &file), KS_OK);
    simdisk_crash(disk);
    uint64_t size = 0;
    assert_int_equal(simdisk_size(disk, file, &size), KS_ERR_INVALID); /* dropped */
    /* The open-file limit. */
    static uint64_t handles[SIMDISK_FILES_OPEN_MAX];
    for (uint32_t i = 0; i < SIMDISK_FILES_OPEN_MAX; i++) {
        assert_int_equal(simdisk_open(disk, "g", ENV_FILE_CREATE, &handles[i]), KS_OK);
        assert_true(handles[i] > file);
    }
    assert_int_equal(simdisk_open(disk, "g", 0, &file), KS_ERR_TOO_MANY);
    for (uint32_t i = 0; i < SIMDISK_FILES_OPEN_MAX; i++)
        simdisk_close(disk, handles[i]);
    simdisk_destroy(disk);
}

/* ---- Faults --------------------------------------------------------------------------- */

/* One call of each kind, on a disk holding file "f" open as `file`. */
typedef enum ks_err (*disk_call_fn)(struct simdisk *disk, uint64_t file);

static enum ks_err call_read(struct simdisk *disk, uint64_t file)
{
    uint8_t buf[4];
    uint32_t got = 0;
    return simdisk_read(disk, file, 0, buf, sizeof buf, &got);
}
static enum ks_err call_write(struct simdisk *disk, uint64_t file)
{
    return simdisk_write(disk, file, 0, (const uint8_t *)"zz", 2);
}
static enum ks_err call_truncate(struct simdisk *disk, uint64_t file)
{
    return simdisk_truncate(disk, file, 1);
}
static enum ks_err call_sync(struct simdisk *disk, uint64_t file)
{
    return simdisk_sync(disk, file);
}
static enum ks_err call_dir_sync(struct simdisk *disk, uint64_t file)
{
    return simdisk_dir_sync(disk, "");
}
static enum ks_err call_open(struct simdisk *disk, uint64_t file)
{
    uint64_t other = 0;
    enum ks_err err = simdisk_open(disk, "f", 0, &other);
    if (err == KS_OK)
        simdisk_close(disk, other);
    return err;
}
static enum ks_err call_size(struct simdisk *disk, uint64_t file)
{
    uint64_t size = 0;
    return simdisk_size(disk, file, &size);
}
static enum ks_err call_mkdir(struct simdisk *disk, uint64_t file)
{
    return simdisk_mkdir(disk, "");
}
static enum ks_err call_rename(struct simdisk *disk, uint64_t file)
{
    return simdisk_rename(disk, "f", "f");
}
static enum ks_err call_delete(struct simdisk *disk, uint64_t file)
{
    return simdisk_delete(disk, "missing");
}
static void list_ignore(void *ctx, const char *name, bool is_dir) {}
static enum ks_err call_list(struct simdisk *disk, uint64_t file)
{
    return simdisk_list(disk, "", list_ignore, NULL);
}

static const struct {
    const char *name;
    enum simdisk_op op;
    disk_call_fn call;
    enum ks_err err_without_fault;
} fault_calls[] = {
    {"read", SIMDISK_OP_READ, call_read, KS_OK},
    {"write", SIMDISK_OP_WRITE, call_write, KS_OK},
    {"truncate", SIMDISK_OP_WRITE, call_truncate, KS_OK},
    {"sync", SIMDISK_OP_SYNC, call_sync, KS_OK},
    {"dir_sync", SIMDISK_OP_SYNC, call_dir_sync, KS_OK},
    {"open", SIMDISK_OP_META, call_open, KS_OK},
    {"size", SIMDISK_OP_META, call_size, KS_OK},
    {"mkdir", SIMDISK_OP_META, call_mkdir, KS_ERR_EXISTS},
    {"rename", SIMDISK_OP_META, call_rename, KS_OK},
    {"delete", SIMDISK_OP_META, call_delete, KS_ERR_NOT_FOUND},
    {"list", SIMDISK_OP_META, call_list, KS_OK},
};

static void test_fail_next_by_kind(void **state)
{
    for (size_t c = 0; c < KS_ARRAY_COUNT(fault_calls); c++) {
        struct rng rng;
        struct simdisk *disk = disk_seeded(&rng, 1);
        uint64_t file = 0;
        assert_int_equal(simdisk_open(disk, "f", ENV_FILE_CREATE, &file), KS_OK);
        assert_int_equal(simdisk_write(disk, file, 0, (const uint8_t *)"abcd", 4), KS_OK);
        simdisk_fail_next(disk, fault_calls[c].op, 2);
        /* Calls of the other kinds are untouched. */
        for (size_t o = 0; o < KS_ARRAY_COUNT(fault_calls); o++) {
            if (fault_calls[o].op != fault_calls[c].op)
                assert_int_equal(fault_calls[o].call(disk, file), fault_calls[o].err_without_fault);
        }
        assert_int_equal(fault_calls[c].call(disk, file), KS_ERR_IO);
        assert_int_equal(fault_calls[c].call(disk, file), KS_ERR_IO);
        enum ks_err err = fault_calls[c].call(disk, file);
        if (err != fault_calls[c].err_without_fault)
            fail_msg("case '%s': third call got %s", fault_calls[c].name, ks_err_name(err));
        simdisk_close(disk, file);
        simdisk_destroy(disk);
    }
}

static void test_failed_write_writes_nothing(void **state)
{
    struct rng rng;
    struct simdisk *disk = disk_seeded(&rng, 1);
    uint64_t file = 0, size = 0;
    assert_int_equal(simdisk_open(disk, "f", ENV_FILE_CREATE, &file), KS_OK);
    simdisk_fail_next(disk, SIMDISK_OP_WRITE, 1);
    assert_int_equal(simdisk_write(disk, file, 0, (const uint8_t *)"abcd", 4), KS_ERR_IO);
    assert_int_equal(simdisk_size(disk, file, &size), KS_OK);
    assert_int_equal(size, 0);
    assert_int_equal(simdisk_used_bytes(disk), 0);
    simdisk_close(disk, file);
    simdisk_destroy(disk);
}

static void test_eio_odds(void **state)
{
    static const struct {
        uint32_t ppm;
        uint32_t failures_min;
        uint32_t failures_max;
    } cases[] = {
        {0, 0, 0},
        {250000, 400, 600}, /* about 500 of 2000 */
        {1000000, 2000, 2000},
    };
    for (size_t c = 0; c < KS_ARRAY_COUNT(cases); c++) {
        struct rng rng;
        struct simdisk *disk = disk_seeded(&rng, 7);
        uint64_t file = 0;
        assert_int_equal(simdisk_open(disk, "f", ENV_FILE_CREATE, &file), KS_OK);
        struct simdisk_faults faults = {0};
        faults.eio_ppm[SIMDISK_OP_READ] = cases[c].ppm;
        simdisk_faults_set(disk, &faults);
        struct simdisk_faults got = {0};
        simdisk_faults_get(disk, &got);
        assert_int_equal(got.eio_ppm[SIMDISK_OP_READ], cases[c].ppm);
        uint32_t failures = 0;
        for (uint32_t i = 0; i < 2000; i++) {
            enum ks_err err = call_read(disk, file);
            assert_true(err == KS_OK || err == KS_ERR_IO);
            failures += err == KS_ERR_IO;
        }
        assert_true(failures >= cases[c].failures_min);
        assert_true(failures <= cases[c].failures_max);
        assert_int_equal(call_write(disk, file), KS_OK); /* only reads fail */
        simdisk_close(disk, file);
        simdisk_destroy(disk);
    }
}

static void test_capacity_gives_no_space(void **state)
{
    struct rng rng;
    struct simdisk *disk = disk_seeded(&rng, 1);
    struct simdisk_faults faults = {.capacity_bytes = 1000};
    simdisk_faults_set(disk, &faults);
    uint8_t bytes[600];
    memset(bytes, 'x', sizeof bytes);
    uint64_t file = 0, size = 0;
    assert_int_equal(simdisk_open(disk, "f", ENV_FILE_CREATE, &file), KS_OK);
    assert_int_equal(simdisk_write(disk, file, 0, bytes, 600), KS_OK);
    assert_int_equal(simdisk_write(disk, file, 600, bytes, 600), KS_ERR_NO_SPACE);
    assert_int_equal(simdisk_size(disk, file, &size), KS_OK);
    assert_int_equal(size, 600);                                         /* nothing written */
    assert_int_equal(simdisk_write(disk, file, 0, bytes, 600), KS_OK);   /* overwrite fits */
    assert_int_equal(simdisk_write(disk, file, 600, bytes, 400), KS_OK); /* exactly full */
    assert_int_equal(simdisk_used_bytes(disk), 1000);
    assert_int_equal(simdisk_sync(disk, file), KS_OK);
    assert_int_equal(simdisk_write(disk, file, 1000, bytes, 1), KS_ERR_NO_SPACE);
    assert_int_equal(simdisk_truncate(disk, file, 1001), KS_ERR_NO_SPACE);
    uint64_t other = 0;
    assert_int_equal(simdisk_open(disk, "g", ENV_FILE_CREATE, &other), KS_OK);
    assert_int_equal(simdisk_write(disk, other, 0, bytes, 1), KS_ERR_NO_SPACE);
    /* A pending shrink keeps the durable bytes' space until it is synced. */
    assert_int_equal(simdisk_truncate(disk, file, 0), KS_OK);
    assert_int_equal(simdisk_write(disk, other, 0, bytes, 1), KS_ERR_NO_SPACE);
    assert_int_equal(simdisk_sync(disk, file), KS_OK);
    assert_int_equal(simdisk_write(disk, other, 0, bytes, 600), KS_OK);
    simdisk_close(disk, file);
    simdisk_close(disk, other);
    simdisk_destroy(disk);
}

static uint32_t bits_differing(const uint8_t *a, const uint8_t *b, uint32_t size_bytes)
{
    uint32_t bits = 0;
    for (uint32_t i = 0; i < size_bytes; i++)
        bits += (uint32_t)__builtin_popcount((unsigned)(a[i] ^ b[i]));
    return bits;
}

static void test_bit_flip_changes_one_returned_bit(void **state)
{
    struct rng rng;
    struct simdisk *disk = disk_seeded(&rng, 3);
    uint8_t stored[256];
    fill_pattern(stored, sizeof stored, 9);
    uint64_t file = 0;
    assert_int_equal(simdisk_open(disk, "f", ENV_FILE_CREATE, &file), KS_OK);
    assert_int_equal(simdisk_write(disk, file, 0, stored, sizeof stored), KS_OK);
    struct simdisk_faults faults = {.read_bitflip_ppm = 1000000};
    simdisk_faults_set(disk, &faults);
    uint8_t buf[256];
    uint32_t got = 0;
    uint32_t positions_seen = 0;
    uint8_t first[256];
    for (uint32_t i = 0; i < 50; i++) {
        assert_int_equal(simdisk_read(disk, file, 0, buf, sizeof buf, &got), KS_OK);
        assert_int_equal(got, sizeof buf);
        assert_int_equal(bits_differing(buf, stored, sizeof buf), 1);
        if (i == 0)
            memcpy(first, buf, sizeof buf);
        positions_seen += memcmp(first, buf, sizeof buf) != 0;
    }
    assert_true(positions_seen > 0); /* the flipped bit moves */
    faults.read_bitflip_ppm = 0;
    simdisk_faults_set(disk, &faults);
    assert_int_equal(simdisk_read(disk, file, 0, buf, sizeof buf, &got), KS_OK);
    assert_memory_equal(buf, stored, sizeof stored); /* the stored bytes are intact */
    simdisk_close(disk, file);
    simdisk_destroy(disk);
}

static void test_latency_accumulates_and_take_resets(void **state)
{
    static const struct {
        uint64_t min_ns;
        uint64_t max_ns;
    } cases[] = {{0, 0}, {100, 100}, {10, 20}, {0, 1000000}};
    enum { CALLS = 5 };
    for (size_t c = 0; c < KS_ARRAY_COUNT(cases); c++) {
        struct rng rng;
        struct simdisk *disk = disk_seeded(&rng, 5);
        struct simdisk_faults faults = {.latency_ns_min = cases[c].min_ns,
                                        .latency_ns_max = cases[c].max_ns};
        simdisk_faults_set(disk, &faults);
        uint64_t file = 0;
        assert_int_equal(simdisk_open(disk, "f", ENV_FILE_CREATE, &file), KS_OK);
        for (uint32_t i = 1; i < CALLS; i++)
            assert_int_equal(call_write(disk, file), KS_OK);
        simdisk_close(disk, file); /* close costs nothing */
        uint64_t latency_ns = simdisk_latency_take_ns(disk);
        assert_true(latency_ns >= CALLS * cases[c].min_ns);
        assert_true(latency_ns <= CALLS * cases[c].max_ns);
        assert_int_equal(simdisk_latency_take_ns(disk), 0);
        simdisk_destroy(disk);
    }
}

/* ---- Listing and walking --------------------------------------------------------------- */

static void test_list_in_byte_order(void **state)
{
    struct rng rng;
    struct simdisk *disk = disk_seeded(&rng, 1);
    static const char *const files[] = {"b", "a", "B", "a0", "\xff", "a-"};
    for (size_t i = 0; i < KS_ARRAY_COUNT(files); i++)
        put_file(disk, files[i], (const uint8_t *)"", 0, false);
    assert_int_equal(simdisk_mkdir(disk, "dir"), KS_OK);
    assert_int_equal(simdisk_mkdir(disk, "dir/sub"), KS_OK);
    struct text t = {0};
    assert_int_equal(simdisk_list(disk, "", list_to_text, &t), KS_OK);
    assert_string_equal(t.bytes, "B a a- a0 b dir/ \xff ");
    struct text sub = {0};
    assert_int_equal(simdisk_list(disk, "dir", list_to_text, &sub), KS_OK);
    assert_string_equal(sub.bytes, "sub/ ");
    assert_int_equal(simdisk_list(disk, "missing", list_to_text, &t), KS_ERR_NOT_FOUND);
    assert_int_equal(simdisk_list(disk, "a", list_to_text, &t), KS_ERR_NOT_FOUND);
    simdisk_destroy(disk);
}

struct list_delete {
    struct simdisk *disk;
    struct text deleted;
};

static void list_delete_each(void *ctx, const char *name, bool is_dir)
{
    struct list_delete *ld = ctx;
    assert_int_equal(simdisk_delete(ld->disk, name), KS_OK);
    text_add(&ld->deleted, name);
}

static void test_list_callback_may_delete(void **state)
{
    struct rng rng;
    struct simdisk *disk = disk_seeded(&rng, 1);
    put_file(disk, "x", (const uint8_t *)"1", 1, false);
    put_file(disk, "y", (const uint8_t *)"2", 1, false);
    static struct list_delete ld;
    ld = (struct list_delete){.disk = disk};
    assert_int_equal(simdisk_list(disk, "", list_delete_each, &ld), KS_OK);
    assert_string_equal(ld.deleted.bytes, "xy");
    struct text after = {0};
    assert_int_equal(simdisk_list(disk, "", list_to_text, &after), KS_OK);
    assert_int_equal(after.length, 0);
    simdisk_destroy(disk);
}

static void test_walk_durable_order_and_contents(void **state)
{
    struct rng rng;
    struct simdisk *disk = disk_seeded(&rng, 1);
    assert_int_equal(simdisk_mkdir(disk, "d"), KS_OK);
    assert_int_equal(simdisk_mkdir(disk, "d/e"), KS_OK);
    put_file(disk, "z", (const uint8_t *)"zz", 2, true);
    put_file(disk, "a", (const uint8_t *)"a", 1, true);
    put_file(disk, "d-", (const uint8_t *)"", 0, true);
    put_file(disk, "d/x", (const uint8_t *)"xxx", 3, true);
    put_file(disk, "d/e/y", (const uint8_t *)"yyyy", 4, true);
    assert_int_equal(simdisk_dir_sync(disk, ""), KS_OK);
    assert_int_equal(simdisk_dir_sync(disk, "d"), KS_OK);
    assert_int_equal(simdisk_dir_sync(disk, "d/e"), KS_OK);
    /* Changes after the syncs do not show. */
    put_file(disk, "w", (const uint8_t *)"w", 1, true);
    uint64_t file = 0;
    assert_int_equal(simdisk_open(disk, "a", 0, &file), KS_OK);
    assert_int_equal(simdisk_write(disk, file, 0, (const uint8_t *)"changed", 7), KS_OK);
    simdisk_close(disk, file);
    assert_int_equal(simdisk_delete(disk, "z"), KS_OK);

    struct text names = {0};
    simdisk_walk_durable(disk, walk_names, &names);
    assert_string_equal(names.bytes, "a\nd/\nd/e/\nd/e/y\nd/x\nd-\nz\n");
    struct text walked = {0};
    simdisk_walk_durable(disk, walk_to_text, &walked);
    struct text expected = {0};
    walk_to_text(&expected, "a", false, (const uint8_t *)"a", 1);
    walk_to_text(&expected, "d", true, NULL, 0);
    walk_to_text(&expected, "d/e", true, NULL, 0);
    walk_to_text(&expected, "d/e/y", false, (const uint8_t *)"yyyy", 4);
    walk_to_text(&expected, "d/x", false, (const uint8_t *)"xxx", 3);
    walk_to_text(&expected, "d-", false, NULL, 0);
    walk_to_text(&expected, "z", false, (const uint8_t *)"zz", 2);
    assert_string_equal(walked.bytes, expected.bytes);
    simdisk_destroy(disk);
}

static void test_dir_call_errors(void **state)
{
    enum call { MKDIR, DELETE, RENAME, DIR_SYNC };
    static const struct {
        const char *name;
        enum call call;
        const char *path;
        const char *to;
        enum ks_err err;
    } cases[] = {
        {"mkdir existing", MKDIR, "d", NULL, KS_ERR_EXISTS},
        {"mkdir over a file", MKDIR, "g", NULL, KS_ERR_EXISTS},
        {"mkdir missing parent", MKDIR, "x/y", NULL, KS_ERR_NOT_FOUND},
        {"mkdir nested", MKDIR, "d/n", NULL, KS_OK},
        {"delete non-empty dir", DELETE, "d", NULL, KS_ERR_INVALID},
        {"delete empty dir", DELETE, "e", NULL, KS_OK},
        {"delete missing", DELETE, "x", NULL, KS_ERR_NOT_FOUND},
        {"delete under a file", DELETE, "g/x", NULL, KS_ERR_NOT_FOUND},
        {"rename missing", RENAME, "x", "y", KS_ERR_NOT_FOUND},
        {"rename to missing parent", RENAME, "g", "x/g", KS_ERR_NOT_FOUND},
        {"rename dir into itself", RENAME, "d", "d/sub", KS_ERR_INVALID},
        {"rename file over dir", RENAME, "g", "e", KS_ERR_INVALID},
        {"rename dir over file", RENAME, "e", "g", KS_ERR_INVALID},
        {"rename file over file", RENAME, "g", "d/f", KS_OK},
        {"rename dir", RENAME, "d", "dd", KS_OK},
        {"rename dir to a longer sibling name", RENAME, "e", "e2", KS_OK},
        {"rename onto itself", RENAME, "g", "g", KS_OK},
        {"dir_sync missing", DIR_SYNC, "x", NULL, KS_ERR_NOT_FOUND},
        {"dir_sync a file", DIR_SYNC, "g", NULL, KS_ERR_NOT_FOUND},
    };
    for (size_t c = 0; c < KS_ARRAY_COUNT(cases); c++) {
        struct rng rng;
        struct simdisk *disk = disk_seeded(&rng, 1);
        assert_int_equal(simdisk_mkdir(disk, "d"), KS_OK);
        assert_int_equal(simdisk_mkdir(disk, "e"), KS_OK);
        put_file(disk, "d/f", (const uint8_t *)"f", 1, false);
        put_file(disk, "g", (const uint8_t *)"g", 1, false);
        enum ks_err err = KS_OK;
        switch (cases[c].call) {
        case MKDIR:
            err = simdisk_mkdir(disk, cases[c].path);
            break;
        case DELETE:
            err = simdisk_delete(disk, cases[c].path);
            break;
        case RENAME:
            err = simdisk_rename(disk, cases[c].path, cases[c].to);
            break;
        case DIR_SYNC:
            err = simdisk_dir_sync(disk, cases[c].path);
            break;
        }
        if (err != cases[c].err)
            fail_msg("case '%s': got %s", cases[c].name, ks_err_name(err));
        simdisk_crash(disk); /* any state the calls leave must crash cleanly */
        simdisk_destroy(disk);
    }
}

static void test_rename_moves_current_names(void **state)
{
    struct rng rng;
    struct simdisk *disk = disk_seeded(&rng, 1);
    assert_int_equal(simdisk_mkdir(disk, "d"), KS_OK);
    put_file(disk, "d/f", (const uint8_t *)"f", 1, false);
    put_file(disk, "g", (const uint8_t *)"gg", 2, false);
    assert_int_equal(simdisk_rename(disk, "g", "d/f"), KS_OK);
    assert_int_equal(simdisk_rename(disk, "d", "e"), KS_OK);
    struct text t = {0};
    assert_int_equal(simdisk_list(disk, "", list_to_text, &t), KS_OK);
    assert_string_equal(t.bytes, "e/ ");
    uint8_t buf[4];
    uint32_t got = 0;
    assert_int_equal(get_file(disk, "e/f", buf, sizeof buf, &got), KS_OK);
    assert_int_equal(got, 2);
    assert_false(path_exists(disk, "d/f"));
    simdisk_destroy(disk);
}

/* ---- Determinism ------------------------------------------------------------------------ */

/* A busy unsynced history, crashed; returns a hash of what survives. */
static uint64_t crash_outcome_hash(uint64_t seed)
{
    struct rng rng;
    struct simdisk *disk = disk_seeded(&rng, seed);
    uint8_t bytes[2000];
    fill_pattern(bytes, sizeof bytes, 1);
    assert_int_equal(simdisk_mkdir(disk, "log"), KS_OK);
    assert_int_equal(simdisk_dir_sync(disk, ""), KS_OK);
    static const char *const names[] = {"log/00.log", "log/00.index", "log/01.log", "cp"};
    for (size_t i = 0; i < KS_ARRAY_COUNT(names); i++) {
        uint64_t file = 0;
        assert_int_equal(simdisk_open(disk, names[i], ENV_FILE_CREATE, &file), KS_OK);
        for (uint32_t w = 0; w < 6; w++)
            assert_int_equal(simdisk_write(disk, file, w * 700u, bytes, 1500), KS_OK);
        if (i % 2 == 0)
            assert_int_equal(simdisk_truncate(disk, file, 2500), KS_OK);
        simdisk_close(disk, file);
    }
    assert_int_equal(simdisk_rename(disk, "cp", "log/cp"), KS_OK);
    simdisk_crash(disk);
    struct text t = {0};
    simdisk_walk_durable(disk, walk_to_text, &t);
    simdisk_destroy(disk);
    return ks_fnv1a64(KS_FNV1A64_INIT, t.bytes, t.length);
}

static void test_same_seed_same_crash(void **state)
{
    uint64_t first = crash_outcome_hash(42);
    uint32_t differing = 0;
    for (uint64_t seed = 1; seed <= 16; seed++) {
        assert_int_equal(crash_outcome_hash(seed), crash_outcome_hash(seed));
        differing += crash_outcome_hash(seed) != first;
    }
    assert_int_equal(crash_outcome_hash(42), first);
    assert_true(differing > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_paths_are_invalid),
        cmocka_unit_test(test_path_length_limit),
        cmocka_unit_test(test_bad_handles_are_invalid),
        cmocka_unit_test(test_open_cases),
        cmocka_unit_test(test_open_trunc_empties_file),
        cmocka_unit_test(test_read_write_gap_and_short_read),
        cmocka_unit_test(test_synced_write_survives_unsynced_may_vanish),
        cmocka_unit_test(test_torn_write_keeps_sector_aligned_prefix),
        cmocka_unit_test(test_truncate_pending_until_sync),
        cmocka_unit_test(test_truncate_extends_with_zeros_and_sync_makes_it_durable),
        cmocka_unit_test(test_failed_sync_leaves_writes_pending),
        cmocka_unit_test(test_many_unsynced_appends_leave_a_prefix),
        cmocka_unit_test(test_created_file_needs_dir_sync),
        cmocka_unit_test(test_mkdir_needs_parent_dir_sync),
        cmocka_unit_test(test_rename_durability),
        cmocka_unit_test(test_rename_chain_keeps_a_prefix),
        cmocka_unit_test(test_rename_replaces_file_and_across_dirs_needs_both_syncs),
        cmocka_unit_test(test_delete_durability),
        cmocka_unit_test(test_rename_cycle_leaves_a_tree),
        cmocka_unit_test(test_unlink_while_open_stays_readable),
        cmocka_unit_test(test_close_all_keeps_page_cache),
        cmocka_unit_test(test_handles_never_zero_never_reused),
        cmocka_unit_test(test_fail_next_by_kind),
        cmocka_unit_test(test_failed_write_writes_nothing),
        cmocka_unit_test(test_eio_odds),
        cmocka_unit_test(test_capacity_gives_no_space),
        cmocka_unit_test(test_bit_flip_changes_one_returned_bit),
        cmocka_unit_test(test_latency_accumulates_and_take_resets),
        cmocka_unit_test(test_list_in_byte_order),
        cmocka_unit_test(test_list_callback_may_delete),
        cmocka_unit_test(test_walk_durable_order_and_contents),
        cmocka_unit_test(test_dir_call_errors),
        cmocka_unit_test(test_rename_moves_current_names),
        cmocka_unit_test(test_same_seed_same_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
