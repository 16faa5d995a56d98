/*
 * raft_log_test.c: the KRaft log over one segment: appends checked batch by batch
 * (offsets, CRC, epochs), reads of whole batches, Kafka's endOffsetForEpoch, truncation,
 * durability of what was flushed across a crash, and recovery of a torn tail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "raft_test_disk.h"
#include "system/log/rb.h"
#include "system/raft/raft_log.h"

#define DIR "__cluster_metadata-0"

/* One batch of `records` records at base_offset, stamped with epoch. */
static uint8_t *batch_new(int64_t base_offset, int32_t epoch, uint32_t records, uint32_t *size)
{
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    for (uint32_t i = 0; i < records; i++) {
        struct rb_record_input r = {
            .timestamp = 1000 + i, .value = (const uint8_t *)"v", .value_size = 1};
        assert_int_equal(rb_builder_append(&b, &r), KS_OK);
    }
    b.base_offset = base_offset;
    b.partition_leader_epoch = epoch;
    uint8_t *bytes = NULL;
    assert_int_equal(rb_builder_finish(&b, &bytes, size), KS_OK);
    rb_builder_release(&b);
    return bytes;
}

static void append_ok(struct raft_log *log, int32_t epoch, uint32_t records)
{
    uint32_t size = 0, appended = 0;
    uint8_t *bytes = batch_new(raft_log_end_offset(log), epoch, records, &size);
    assert_int_equal(raft_log_append(log, bytes, size, epoch, &appended), KS_OK);
    assert_int_equal(appended, 1);
    free(bytes);
}

/* Epochs 1 (offsets 0-2), 3 (3-4), 4 (5-9): three batches of 3, 2 and 5 records. */
static struct raft_log *log_with_three_epochs(struct test_disk *d)
{
    struct raft_log *log = NULL;
    assert_int_equal(raft_log_open(test_disk_env(d), DIR, &log), KS_OK);
    assert_int_equal(raft_log_end_offset(log), 0);
    assert_int_equal(raft_log_last_epoch(log), 0);
    append_ok(log, 1, 3);
    append_ok(log, 3, 2);
    append_ok(log, 4, 5);
    assert_int_equal(raft_log_end_offset(log), 10);
    assert_int_equal(raft_log_flushed_offset(log), 0);
    assert_int_equal(raft_log_flush(log), KS_OK);
    assert_int_equal(raft_log_flushed_offset(log), 10);
    return log;
}

static void test_end_offset_for_epoch(void **state)
{
    static const struct {
        int32_t epoch;
        int32_t epoch_expected;
        int64_t end_expected;
    } cases[] = {
        {0, 0, 0}, {1, 1, 3}, {2, 1, 3}, {3, 3, 5}, {4, 4, 10}, {9, 4, 10},
    };
    struct test_disk d = test_disk_new(1);
    struct raft_log *log = log_with_three_epochs(&d);
    for (size_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        int32_t epoch = -1;
        int64_t end = -1;
        raft_log_end_offset_for_epoch(log, cases[i].epoch, &epoch, &end);
        assert_int_equal(epoch, cases[i].epoch_expected);
        assert_int_equal(end, cases[i].end_expected);
    }
    raft_log_close(log);
    raft_log_free(log);
    world_destroy(d.w);
}

static void test_bad_batches_refused(void **state)
{
    struct test_disk d = test_disk_new(2);
    struct raft_log *log = log_with_three_epochs(&d);
    uint32_t size = 0, appended = 0;
    uint8_t *gap = batch_new(11, 4, 1, &size); /* not at the end */
    assert_int_equal(raft_log_append(log, gap, size, 9, &appended), KS_ERR_CORRUPT_MESSAGE);
    free(gap);
    uint8_t *old = batch_new(10, 3, 1, &size); /* epoch goes back */
    assert_int_equal(raft_log_append(log, old, size, 9, &appended), KS_ERR_CORRUPT_MESSAGE);
    free(old);
    uint8_t *future = batch_new(10, 6, 1, &size); /* above epoch_max */
    assert_int_equal(raft_log_append(log, future, size, 5, &appended), KS_ERR_CORRUPT_MESSAGE);
    free(future);
    uint8_t *flipped = batch_new(10, 5, 1, &size);
    flipped[size - 1] ^= 1; /* CRC no longer matches */
    assert_int_equal(raft_log_append(log, flipped, size, 9, &appended), KS_ERR_CORRUPT_MESSAGE);
    /* A partial batch at the end is dropped quietly (KIP-74). */
    flipped[size - 1] ^= 1;
    assert_int_equal(raft_log_append(log, flipped, size - 3, 9, &appended), KS_OK);
    assert_int_equal(appended, 0);
    free(flipped);
    assert_int_equal(raft_log_end_offset(log), 10);
    raft_log_close(log);
    raft_log_free(log);
    world_destroy(d.w);
}

static void test_read_whole_batches(void **state)
{
    struct test_disk d = test_disk_new(3);
    struct raft_log *log = log_with_three_epochs(&d);
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    assert_int_equal(raft_log_read(log, 4, 1, &bytes, &size), KS_OK); /* inside batch 2 */
    struct rb_scan scan;
    assert_int_equal(rb_scan(bytes, size, &scan), KS_OK);
    assert_int_equal(scan.base_offset, 3);
    assert_int_equal(scan.size_bytes, size); /* one batch: max_bytes 1, KIP-74 */
    free(bytes);
    assert_int_equal(raft_log_read(log, 0, 1u << 20, &bytes, &size), KS_OK);
    uint32_t total = 0;
    for (uint32_t i = 0; i < raft_log_batch_count(log); i++)
        total += raft_log_batch_at(log, i)->size_bytes;
    assert_int_equal(size, total);
    free(bytes);
    assert_int_equal(raft_log_read(log, 10, 1u << 20, &bytes, &size), KS_OK);
    assert_null(bytes);
    assert_int_equal(size, 0);
    raft_log_close(log);
    raft_log_free(log);
    world_destroy(d.w);
}

static void test_truncate_then_append(void **state)
{
    struct test_disk d = test_disk_new(4);
    struct raft_log *log = log_with_three_epochs(&d);
    assert_int_equal(raft_log_truncate_to(log, 4), KS_OK); /* mid batch: it goes whole */
    assert_int_equal(raft_log_end_offset(log), 3);
    assert_int_equal(raft_log_last_epoch(log), 1);
    assert_int_equal(raft_log_flushed_offset(log), 3);
    append_ok(log, 5, 2);
    assert_int_equal(raft_log_end_offset(log), 5);
    assert_int_equal(raft_log_flush(log), KS_OK);
    raft_log_close(log);
    raft_log_free(log);
    test_disk_crash_restart(&d);
    assert_int_equal(raft_log_open(test_disk_env(&d), DIR, &log), KS_OK);
    assert_int_equal(raft_log_end_offset(log), 5);
    assert_int_equal(raft_log_last_epoch(log), 5);
    raft_log_close(log);
    raft_log_free(log);
    world_destroy(d.w);
}

static void test_crash_keeps_flushed_and_recovers_torn_tail(void **state)
{
    for (uint64_t seed = 1; seed <= 8; seed++) {
        struct test_disk d = test_disk_new(seed);
        struct raft_log *log = log_with_three_epochs(&d);
        append_ok(log, 4, 7); /* not flushed: a crash may keep any prefix of it */
        append_ok(log, 5, 9);
        raft_log_free(log); /* memory gone with the crash */
        test_disk_crash_restart(&d);
        assert_int_equal(raft_log_open(test_disk_env(&d), DIR, &log), KS_OK);
        int64_t end = raft_log_end_offset(log);
        assert_true(end == 10 || end == 17 || end == 26);
        raft_log_close(log);
        raft_log_free(log);
        world_destroy(d.w);
    }
}

static void test_garbage_tail_truncated_at_open(void **state)
{
    struct test_disk d = test_disk_new(9);
    struct raft_log *log = log_with_three_epochs(&d);
    raft_log_close(log);
    raft_log_free(log);
    env_file_id file = 0;
    uint64_t size = 0;
    struct env *env = test_disk_env(&d);
    assert_int_equal(env_file_open(env, DIR "/00000000000000000000.log", 0, &file), KS_OK);
    assert_int_equal(env_file_size(env, file, &size), KS_OK);
    static const uint8_t junk[100] = {0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 80, 1};
    assert_int_equal(env_file_write(env, file, size, junk, sizeof(junk)), KS_OK);
    env_file_close(env, file);
    assert_int_equal(raft_log_open(env, DIR, &log), KS_OK);
    assert_int_equal(raft_log_end_offset(log), 10);
    assert_int_equal(raft_log_recovered_truncated_bytes(log), sizeof(junk));
    append_ok(log, 6, 1); /* the log goes on where the valid prefix ended */
    assert_int_equal(raft_log_end_offset(log), 11);
    raft_log_close(log);
    raft_log_free(log);
    world_destroy(d.w);
}

/* Reads a whole small file of the log directory into buf (NUL-terminated). */
static void read_text(struct env *env, const char *name, char *buf, uint32_t buf_bytes)
{
    char path[128];
    env_file_id file = 0;
    uint32_t n = 0;
    snprintf(path, sizeof(path), DIR "/%s", name);
    assert_int_equal(env_file_open(env, path, 0, &file), KS_OK);
    assert_int_equal(env_file_read(env, file, 0, (uint8_t *)buf, buf_bytes - 1, &n), KS_OK);
    env_file_close(env, file);
    buf[n] = 0;
}

static void test_kafka_side_files(void **state)
{
    struct test_disk d = test_disk_new(10);
    struct raft_log *log = log_with_three_epochs(&d);
    char text[256];
    read_text(test_disk_env(&d), "partition.metadata", text, sizeof(text));
    assert_string_equal(text, "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n");
    read_text(test_disk_env(&d), "leader-epoch-checkpoint", text, sizeof(text));
    assert_string_equal(text, "0\n3\n1 0\n3 3\n4 5\n");
    assert_int_equal(raft_log_truncate_to(log, 4), KS_OK);
    assert_int_equal(raft_log_flush(log), KS_OK);
    read_text(test_disk_env(&d), "leader-epoch-checkpoint", text, sizeof(text));
    assert_string_equal(text, "0\n1\n1 0\n"); /* the batch straddling 4 went whole */
    /* The start moves to 3 (a snapshot there): the segment is renamed for it. */
    assert_int_equal(raft_log_advance_start(log, 3, 1), KS_OK);
    assert_int_equal(raft_log_start_offset(log), 3);
    assert_int_equal(raft_log_end_offset(log), 3);
    read_text(test_disk_env(&d), "leader-epoch-checkpoint", text, sizeof(text));
    assert_string_equal(text, "0\n0\n");
    append_ok(log, 5, 2);
    assert_int_equal(raft_log_flush(log), KS_OK);
    raft_log_close(log);
    raft_log_free(log);
    test_disk_crash_restart(&d);
    assert_int_equal(raft_log_open(test_disk_env(&d), DIR, &log), KS_OK);
    assert_int_equal(raft_log_start_offset(log), 3);
    assert_int_equal(raft_log_end_offset(log), 5);
    env_file_id file = 0;
    assert_int_equal(env_file_open(test_disk_env(&d), DIR "/00000000000000000003.log", 0, &file),
                     KS_OK);
    env_file_close(test_disk_env(&d), file);
    assert_int_equal(env_file_open(test_disk_env(&d), DIR "/00000000000000000000.log", 0, &file),
                     KS_ERR_NOT_FOUND);
    raft_log_close(log);
    raft_log_free(log);
    world_destroy(d.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_end_offset_for_epoch),
        cmocka_unit_test(test_bad_batches_refused),
        cmocka_unit_test(test_read_whole_batches),
        cmocka_unit_test(test_truncate_then_append),
        cmocka_unit_test(test_crash_keeps_flushed_and_recovers_torn_tail),
        cmocka_unit_test(test_garbage_tail_truncated_at_open),
        cmocka_unit_test(test_kafka_side_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
