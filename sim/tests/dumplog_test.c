/*
 * dumplog_test.c: `ksim dump-log` (sim/dumplog.h) on files written here with the rb
 * builder, the idx codecs and the ckpt formatter into a temporary directory: every
 * batch field in JSON, records with UTF-8, binary and null keys and values, index
 * entries checked against the .log (Kafka's mismatch reports), a bad CRC shown and
 * stepped over, a torn tail ending the file, checkpoint files, and garbage of every
 * kind never crashing the tool. Kafka: DumpLogSegmentsTest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../system/log/ckpt.h"
#include "../../system/log/idx.h"
#include "../../system/log/rb.h"
#include "../dumplog.h"

#define PATH_BYTES_MAX 4096u
#define OUT_BYTES_MAX (1u << 20)
#define GARBAGE_ROUNDS 200u

struct fixture {
    char dir[PATH_BYTES_MAX / 2];
    uint8_t *log; /* three batches: offsets 0..2, 3..4, 5 */
    uint32_t log_size;
    uint32_t batch_sizes[3];
};

static void path_of(const struct fixture *f, const char *name, char *buf)
{
    int n = snprintf(buf, PATH_BYTES_MAX, "%s/%.1000s", f->dir, name);
    assert_true(n > 0 && n < (int)PATH_BYTES_MAX);
}

static void file_write(const struct fixture *f, const char *name, const void *bytes, size_t n)
{
    char path[PATH_BYTES_MAX];
    path_of(f, name, path);
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(bytes, 1, n, file), n);
    assert_int_equal(fclose(file), 0);
}

/* Runs dump-log on one file of the fixture; returns its output (free()). */
static char *dump(const struct fixture *f, const char *name, const struct dumplog_options *o,
                  enum ks_err expected)
{
    char path[PATH_BYTES_MAX];
    path_of(f, name, path);
    FILE *out = tmpfile();
    FILE *err = tmpfile();
    assert_non_null(out);
    assert_non_null(err);
    assert_int_equal(dumplog_file(o, path, out, err), expected);
    char *text = calloc(1, OUT_BYTES_MAX);
    rewind(out);
    size_t n = fread(text, 1, OUT_BYTES_MAX - 1, out);
    text[n] = '\0';
    fclose(out);
    fclose(err);
    return text;
}

static uint32_t count_of(const char *text, const char *needle)
{
    uint32_t n = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void batch_add(struct fixture *f, uint32_t index, int64_t base_offset,
                      const struct rb_record_input *records, uint32_t count)
{
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    rb_builder_set_producer(&b, 77, 3, (int32_t)base_offset);
    for (uint32_t i = 0; i < count; i++)
        assert_int_equal(rb_builder_append(&b, &records[i]), KS_OK);
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    assert_int_equal(rb_builder_finish(&b, &bytes, &size), KS_OK);
    rb_builder_release(&b);
    assert_int_equal(rb_restamp(bytes, size, base_offset, 5), KS_OK);
    f->log = realloc(f->log, f->log_size + size);
    memcpy(f->log + f->log_size, bytes, size);
    f->log_size += size;
    f->batch_sizes[index] = size;
    free(bytes);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "%s/dumplog_test.XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    static const uint8_t binary[] = {0xff, 0x00, 0xfe};
    static const struct rb_record_header headers[] = {
        {.key = (const uint8_t *)"trace",
         .key_size = 5,
         .value = (const uint8_t *)"x",
         .value_size = 1},
    };
    const struct rb_record_input first[] = {
        {.timestamp = 1000,
         .key = (const uint8_t *)"k1",
         .key_size = 2,
         .value = (const uint8_t *)"v\"1",
         .value_size = 3,
         .headers = headers,
         .header_count = 1},
        {.timestamp = 1002, .key = binary, .key_size = 3, .value = binary, .value_size = 3},
        {.timestamp = 1001, .key = NULL, .value = (const uint8_t *)"", .value_size = 0},
    };
    const struct rb_record_input second[] = {
        {.timestamp = 2000, .key = (const uint8_t *)"k1", .key_size = 2, .value = NULL},
        {.timestamp = 2005,
         .key = (const uint8_t *)"k2",
         .key_size = 2,
         .value = (const uint8_t *)"\xc3\xa9t\xc3\xa9",
         .value_size = 5},
    };
    const struct rb_record_input third[] = {
        {.timestamp = 3000,
         .key = (const uint8_t *)"k3",
         .key_size = 2,
         .value = (const uint8_t *)"v3",
         .value_size = 2},
    };
    batch_add(f, 0, 0, first, 3);
    batch_add(f, 1, 3, second, 2);
    batch_add(f, 2, 5, third, 1);
    file_write(f, "00000000000000000000.log", f->log, f->log_size);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char command[PATH_BYTES_MAX + 16];
    snprintf(command, sizeof(command), "rm -rf '%s'", f->dir);
    assert_int_equal(system(command), 0);
    free(f->log);
    free(f);
    return 0;
}

/* ---- Tests -------------------------------------------------------------------------- */

static void test_kind_of(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        enum dumplog_kind kind;
    } cases[] = {
        {"d/orders-0/00000000000000000000.log", DUMPLOG_KIND_LOG},
        {"00000000000000000042.log.deleted", DUMPLOG_KIND_LOG},
        {"00000000000000000042.log.cleaned", DUMPLOG_KIND_LOG},
        {"00000000000000000042.index.swap", DUMPLOG_KIND_INDEX},
        {"x/00000000000000000000.timeindex", DUMPLOG_KIND_TIMEINDEX},
        {"recovery-point-offset-checkpoint", DUMPLOG_KIND_OFFSET_CHECKPOINT},
        {"a/replication-offset-checkpoint", DUMPLOG_KIND_OFFSET_CHECKPOINT},
        {"log-start-offset-checkpoint", DUMPLOG_KIND_OFFSET_CHECKPOINT},
        {"cleaner-offset-checkpoint", DUMPLOG_KIND_OFFSET_CHECKPOINT},
        {"t-0/leader-epoch-checkpoint", DUMPLOG_KIND_EPOCH_CHECKPOINT},
        {".kafka_cleanshutdown", DUMPLOG_KIND_CLEAN_SHUTDOWN},
        {"t-0/partition.metadata", DUMPLOG_KIND_PARTITION_METADATA},
        {"__cluster_metadata-0/quorum-state", DUMPLOG_KIND_QUORUM_STATE},
        {"00000000000000000100-0000000001.checkpoint", DUMPLOG_KIND_LOG},
        {"notes.txt", DUMPLOG_KIND_UNKNOWN},
        {".log", DUMPLOG_KIND_UNKNOWN},
        {"leader-epoch-checkpoint.tmp", DUMPLOG_KIND_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (dumplog_kind_of(cases[i].path) != cases[i].kind)
            fail_msg("%s: kind %s", cases[i].path,
                     dumplog_kind_name(dumplog_kind_of(cases[i].path)));
    }
}

static void test_log_json_batches(void **state)
{
    struct fixture *f = *state;
    struct dumplog_options o = {.json = true};
    char *text = dump(f, "00000000000000000000.log", &o, KS_OK);
    assert_int_equal(count_of(text, "{\"type\":\"batch\""), 3);
    assert_int_equal(count_of(text, "\"valid\":true"), 3);
    assert_int_equal(count_of(text, "\"type\":\"record\""), 0);
    assert_non_null(
        strstr(text, "\"base_offset\":0,\"last_offset\":2,\"count\":3,\"position\":0,"));
    assert_non_null(strstr(text, "\"base_offset\":3,\"last_offset\":4,\"count\":2"));
    assert_non_null(strstr(text, "\"producer_id\":77,\"producer_epoch\":3,\"base_sequence\":3,"
                                 "\"partition_leader_epoch\":5,\"max_timestamp\":2005"));
    assert_non_null(strstr(text, "\"compression\":\"none\",\"is_transactional\":false,"
                                 "\"is_control\":false"));
    assert_non_null(strstr(text, "{\"type\":\"end\",\"batches\":3,\"invalid_batches\":0"));
    free(text);
}

static void test_log_deep_iteration(void **state)
{
    struct fixture *f = *state;
    struct dumplog_options o = {.json = true, .deep_iteration = true};
    char *text = dump(f, "00000000000000000000.log", &o, KS_OK);
    assert_int_equal(count_of(text, "\"type\":\"record\""), 6);
    assert_non_null(
        strstr(text, "{\"type\":\"record\",\"offset\":0,\"timestamp\":1000,\"key\":\"k1\","
                     "\"value\":\"v\\\"1\",\"headers\":[{\"key\":\"trace\",\"value\":\"x\"}]}"));
    assert_non_null(strstr(text, "\"key\":{\"base64\":\"/wD+\"},\"value\":{\"base64\":\"/wD+\"}"));
    assert_non_null(strstr(text, "\"offset\":2,\"timestamp\":1001,\"key\":null,\"value\":\"\""));
    assert_non_null(strstr(text, "\"offset\":3,\"timestamp\":2000,\"key\":\"k1\",\"value\":null"));
    assert_non_null(strstr(text, "\"value\":\"\xc3\xa9t\xc3\xa9\""));
    free(text);
    struct dumplog_options text_options = {.print_data_log = true};
    text = dump(f, "00000000000000000000.log", &text_options, KS_OK);
    assert_non_null(strstr(text, "baseOffset: 3 lastOffset: 4 count: 2 baseSequence: 3 "
                                 "lastSequence: 4 producerId: 77 producerEpoch: 3"));
    assert_non_null(strstr(text, "| offset: 3 CreateTime: 2000 keySize: 2 valueSize: -1 "
                                 "sequence: 3 headerKeys: [] key: k1 payload: null"));
    free(text);
}

static void test_log_bad_crc_goes_on(void **state)
{
    struct fixture *f = *state;
    uint8_t *copy = malloc(f->log_size);
    memcpy(copy, f->log, f->log_size);
    copy[f->batch_sizes[0] + RB_HEADER_SIZE + 2] ^= 0x10; /* a record byte of batch 2 */
    file_write(f, "00000000000000000000.log", copy, f->log_size);
    struct dumplog_options o = {.json = true, .deep_iteration = true};
    char *text = dump(f, "00000000000000000000.log", &o, KS_OK);
    assert_int_equal(count_of(text, "{\"type\":\"batch\""), 3);
    assert_int_equal(count_of(text, "\"valid\":false"), 1);
    assert_non_null(strstr(text, "\"base_offset\":3,\"last_offset\":4"));
    assert_int_equal(count_of(text, "\"type\":\"record\""), 4); /* not the bad batch's */
    assert_non_null(strstr(text, "\"invalid_batches\":1"));
    free(text);
    free(copy);
}

static void test_log_torn_tail_ends(void **state)
{
    struct fixture *f = *state;
    static const uint32_t cuts[] = {1, 16, 17, 60, 61};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        uint32_t size = f->batch_sizes[0] + cuts[i];
        file_write(f, "00000000000000000000.log", f->log, size);
        struct dumplog_options o = {.json = true, .deep_iteration = true};
        char *text = dump(f, "00000000000000000000.log", &o, KS_OK);
        assert_int_equal(count_of(text, "{\"type\":\"batch\""), 1);
        assert_non_null(strstr(text, "{\"type\":\"torn_tail\",\"position\":"));
        free(text);
    }
    uint8_t junk[80];
    memcpy(junk, f->log, sizeof(junk));
    memset(junk + 8, 0xff, 4); /* batchLength -1: not a batch */
    file_write(f, "00000000000000000000.log", junk, sizeof(junk));
    struct dumplog_options o = {.json = true};
    char *text = dump(f, "00000000000000000000.log", &o, KS_OK);
    assert_non_null(strstr(text, "{\"type\":\"corrupt\",\"position\":0"));
    free(text);
}

/* An index with one right entry, one wrong entry and preallocated zeros. */
static void test_index_checked_against_log(void **state)
{
    struct fixture *f = *state;
    uint8_t index[8 * 5] = {0};
    struct idx_offset_entry right = {.relative_offset = 4, .position = (int32_t)f->batch_sizes[0]};
    struct idx_offset_entry wrong = {.relative_offset = 6,
                                     .position = (int32_t)(f->batch_sizes[0] + f->batch_sizes[1])};
    idx_offset_entry_store(index, &right);
    idx_offset_entry_store(index + 8, &wrong);
    file_write(f, "00000000000000000000.index", index, sizeof(index));
    struct dumplog_options o = {.json = true};
    char *text = dump(f, "00000000000000000000.index", &o, KS_OK);
    assert_int_equal(count_of(text, "{\"type\":\"index\""), 2);
    assert_non_null(strstr(text, "{\"type\":\"index\",\"offset\":4,\"position\":"));
    assert_non_null(
        strstr(text, "{\"type\":\"index_mismatch\",\"index_offset\":6,\"log_offset\":5}"));
    assert_non_null(strstr(text, "\"mismatches\":1"));
    free(text);
    struct dumplog_options t = {0};
    text = dump(f, "00000000000000000000.index", &t, KS_OK);
    assert_non_null(strstr(text, "Mismatches in :"));
    assert_non_null(strstr(text, "index_offset: 6, log_offset: 5"));
    free(text);
    struct dumplog_options sanity = {.index_sanity_check = true};
    text = dump(f, "00000000000000000000.index", &sanity, KS_OK);
    assert_non_null(strstr(text, "passed sanity check"));
    free(text);
}

static void test_timeindex_checked_against_log(void **state)
{
    struct fixture *f = *state;
    uint8_t index[12 * 4] = {0};
    struct idx_time_entry right = {.timestamp = 2005, .relative_offset = 4};
    struct idx_time_entry wrong = {.timestamp = 2999, .relative_offset = 5};
    idx_time_entry_store(index, &right);
    idx_time_entry_store(index + 12, &wrong);
    file_write(f, "00000000000000000000.timeindex", index, sizeof(index));
    struct dumplog_options o = {.json = true};
    char *text = dump(f, "00000000000000000000.timeindex", &o, KS_OK);
    assert_int_equal(count_of(text, "{\"type\":\"timeindex\""), 2);
    assert_non_null(strstr(text, "{\"type\":\"timeindex\",\"timestamp\":2005,\"offset\":4}"));
    assert_non_null(strstr(text, "{\"type\":\"timeindex_mismatch\",\"index_timestamp\":2999,"
                                 "\"log_timestamp\":3000}"));
    free(text);
}

static void test_checkpoints(void **state)
{
    struct fixture *f = *state;
    struct ckpt_offset_entry entries[2] = {{"orders", 0, 1234}, {"orders", 1, 98}};
    char *ckpt = NULL;
    size_t size = 0;
    ckpt_offsets_format(entries, 2, &ckpt, &size);
    file_write(f, "recovery-point-offset-checkpoint", ckpt, size);
    free(ckpt);
    struct ckpt_epoch_entry epochs[2] = {{0, 0}, {3, 120}};
    ckpt_epochs_format(epochs, 2, &ckpt, &size);
    file_write(f, "leader-epoch-checkpoint", ckpt, size);
    free(ckpt);
    static const char meta[] = "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n";
    file_write(f, "partition.metadata", meta, sizeof(meta) - 1);
    static const char clean[] = "{\"version\":0,\"brokerEpoch\":12}";
    file_write(f, ".kafka_cleanshutdown", clean, sizeof(clean) - 1);
    struct dumplog_options o = {.json = true};
    char *text = dump(f, "recovery-point-offset-checkpoint", &o, KS_OK);
    assert_non_null(strstr(text, "{\"type\":\"offset_checkpoint\",\"topic\":\"orders\","
                                 "\"partition\":1,\"offset\":98}"));
    free(text);
    text = dump(f, "leader-epoch-checkpoint", &o, KS_OK);
    assert_non_null(
        strstr(text, "{\"type\":\"epoch_checkpoint\",\"epoch\":3,\"start_offset\":120}"));
    free(text);
    text = dump(f, "partition.metadata", &o, KS_OK);
    assert_non_null(strstr(text, "{\"type\":\"property\",\"key\":\"topic_id\","
                                 "\"value\":\"AAAAAAAAAAAAAAAAAAAAAQ\"}"));
    free(text);
    text = dump(f, ".kafka_cleanshutdown", &o, KS_OK);
    assert_non_null(strstr(text, "\"text\":\"{\\\"version\\\":0,\\\"brokerEpoch\\\":12}\""));
    free(text);
    file_write(f, "cleaner-offset-checkpoint", "1\n0\n", 4);
    text = dump(f, "cleaner-offset-checkpoint", &o, KS_OK);
    assert_non_null(strstr(text, "{\"type\":\"corrupt\""));
    free(text);
}

/* Random bytes, and the fixture's log cut and flipped at random, for every kind. */
static void test_garbage_never_crashes(void **state)
{
    struct fixture *f = *state;
    static const char *const names[] = {
        "00000000000000000000.log",
        "00000000000000000000.index",
        "00000000000000000000.timeindex",
        "leader-epoch-checkpoint",
        "replication-offset-checkpoint",
        "partition.metadata",
        "quorum-state",
    };
    uint64_t seed = 12345;
    uint8_t *bytes = malloc(f->log_size + 256);
    for (uint32_t round = 0; round < GARBAGE_ROUNDS; round++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t size = (uint32_t)(seed >> 40) % (f->log_size + 200);
        for (uint32_t i = 0; i < size; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            bool keep = round % 2 == 0 && i < f->log_size && (seed >> 60) != 0;
            bytes[i] = keep ? f->log[i] : (uint8_t)(seed >> 33);
        }
        const char *name = names[round % (sizeof(names) / sizeof(names[0]))];
        if (round % 3 == 0)
            name = names[0];
        file_write(f, name, bytes, size);
        struct dumplog_options o = {
            .json = round % 2 == 0, .deep_iteration = true, .print_data_log = round % 4 == 1};
        char *text = dump(f, name, &o, KS_OK);
        free(text);
    }
    free(bytes);
}

static void test_missing_and_usage(void **state)
{
    struct fixture *f = *state;
    struct dumplog_options o = {.json = true};
    char *text = dump(f, "00000000000000000099.log", &o, KS_ERR_NOT_FOUND);
    assert_string_equal(text, "");
    free(text);
    char path[PATH_BYTES_MAX];
    path_of(f, "00000000000000000000.log", path);
    char missing[PATH_BYTES_MAX];
    path_of(f, "nope.index", missing);
    FILE *out = tmpfile();
    FILE *err = tmpfile();
    char *ok_args[] = {path, (char *)"--json"};
    assert_int_equal(dumplog_main(2, ok_args, out, err), 0);
    char *bad_args[] = {path, missing};
    assert_int_equal(dumplog_main(2, bad_args, out, err), 2);
    char *dir_args[] = {f->dir};
    assert_int_equal(dumplog_main(1, dir_args, out, err), 2);
    char *usage_args[] = {(char *)"--bogus"};
    assert_int_equal(dumplog_main(1, usage_args, out, err), 2);
    assert_int_equal(dumplog_main(0, NULL, out, err), 2);
    fclose(out);
    fclose(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_of),
        cmocka_unit_test_setup_teardown(test_log_json_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_deep_iteration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_bad_crc_goes_on, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_torn_tail_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_index_checked_against_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeindex_checked_against_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_never_crashes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_and_usage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
