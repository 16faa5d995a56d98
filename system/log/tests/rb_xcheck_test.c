/*
 * rb_xcheck_test.c: the C half of the kafka-python cross-check (ci/tests/rb_kafka_python.sh).
 * Kafka: DefaultRecordBatch as kafka-python's kafka.record.default_records reads and
 * builds it.
 *
 * Runs only when KS_XCHECK_DIR names a directory (otherwise every test is skipped):
 *   read:  for each py_NNN.bin there (batches kafka-python built), decode it and write
 *          py_NNN.ours, a text dump of every field, or "error NAME"; the script compares
 *          it with what kafka-python built and reads.
 *   write: build a set of batches here (every codec this build has, null keys,
 *          headers, producer fields, transactions, a commit marker, re-stamped offsets
 *          and epochs, LogAppendTime) as c_NNN.bin, each with its dump c_NNN.ours, for
 *          kafka-python to read back with validate_crc().
 *
 * Dump lines (numbers decimal, bytes lowercase hex, "-" for null, "" for empty):
 *   batch base_offset= partition_leader_epoch= magic= crc= attributes= last_offset_delta=
 *         base_timestamp= max_timestamp= producer_id= producer_epoch= base_sequence=
 *         records_count=
 *   record offset= timestamp= key= value= headers=K:V,K:V
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/log/rb.h"

#define XCHECK_FILES_MAX 1000u
#define XCHECK_PATH_MAX 4096u
#define XCHECK_FILE_SIZE_MAX (RB_BATCH_SIZE_MAX + 1024u)

static const char *xcheck_dir(void)
{
    const char *dir = getenv("KS_XCHECK_DIR");
    return dir != NULL && dir[0] != '\0' ? dir : NULL;
}

/* Reads a whole file; NULL when missing. */
static uint8_t *xcheck_read_file(const char *path, size_t *size_out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    uint8_t *buf = malloc(XCHECK_FILE_SIZE_MAX);
    assert_non_null(buf);
    size_t n = fread(buf, 1, XCHECK_FILE_SIZE_MAX, f);
    assert_true(n < XCHECK_FILE_SIZE_MAX);
    fclose(f);
    *size_out = n;
    return buf;
}

static void xcheck_write_file(const char *path, const uint8_t *bytes, size_t size)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, size, f), size);
    assert_int_equal(fclose(f), 0);
}

static void dump_bytes(FILE *f, const uint8_t *p, uint32_t n)
{
    if (p == NULL) {
        fputc('-', f);
        return;
    }
    for (uint32_t i = 0; i < n; i++)
        fprintf(f, "%02x", p[i]);
}

static void dump_header(FILE *f, const struct rb_batch_header *h)
{
    fprintf(f,
            "batch base_offset=%" PRId64 " partition_leader_epoch=%" PRId32 " magic=%d crc=%" PRIu32
            " attributes=%u last_offset_delta=%" PRId32 " base_timestamp=%" PRId64
            " max_timestamp=%" PRId64 " producer_id=%" PRId64 " producer_epoch=%d"
            " base_sequence=%" PRId32 " records_count=%" PRId32 "\n",
            h->base_offset, h->partition_leader_epoch, h->magic, h->crc, h->attributes,
            h->last_offset_delta, h->base_timestamp, h->max_timestamp, h->producer_id,
            h->producer_epoch, h->base_sequence, h->records_count);
}

static void dump_record(FILE *f, const struct rb_record *r)
{
    fprintf(f, "record offset=%" PRId64 " timestamp=%" PRId64 " key=", r->offset, r->timestamp);
    dump_bytes(f, r->key, r->key_size);
    fputs(" value=", f);
    dump_bytes(f, r->value, r->value_size);
    fputs(" headers=", f);
    uint32_t pos = 0;
    struct rb_record_header h;
    for (uint32_t i = 0; rb_record_header_next(r, &pos, &h); i++) {
        if (i > 0)
            fputc(',', f);
        dump_bytes(f, h.key, h.key_size);
        fputc(':', f);
        dump_bytes(f, h.value, h.value_size);
    }
    fputc('\n', f);
}

/* Decodes one batch and writes its dump (or its error) to path. */
static void dump_batch(const uint8_t *bytes, size_t size, const char *path)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    struct rb_batch batch;
    enum ks_err err = rb_decode(bytes, size, &batch);
    if (err != KS_OK) {
        fprintf(f, "error %s\n", ks_err_name(err));
        assert_int_equal(fclose(f), 0);
        return;
    }
    if (batch.size_bytes != size)
        fprintf(f, "trailing %zu\n", size - batch.size_bytes);
    dump_header(f, &batch.header);
    struct rb_iter it;
    struct rb_record r;
    rb_iter_init(&it, &batch);
    while (rb_iter_next(&it, &r))
        dump_record(f, &r);
    rb_batch_release(&batch);
    assert_int_equal(fclose(f), 0);
}

static void test_read_kafka_python_batches(void **state)
{
    (void)state;
    const char *dir = xcheck_dir();
    if (dir == NULL)
        skip();
    uint32_t count = 0;
    for (uint32_t i = 0; i < XCHECK_FILES_MAX; i++) {
        char in[XCHECK_PATH_MAX], out[XCHECK_PATH_MAX];
        snprintf(in, sizeof(in), "%s/py_%03u.bin", dir, i);
        snprintf(out, sizeof(out), "%s/py_%03u.ours", dir, i);
        size_t size = 0;
        uint8_t *bytes = xcheck_read_file(in, &size);
        if (bytes == NULL)
            break;
        dump_batch(bytes, size, out);
        free(bytes);
        count++;
    }
    print_message("decoded %u kafka-python batches from %s\n", count, dir);
    assert_true(count > 0);
}

/* ---- Batches for kafka-python to read ------------------------------------------------ */

static const struct rb_record_header xcheck_headers[] = {
    {(const uint8_t *)"trace-id", 8, (const uint8_t *)"\x00\x01\xfe\xff", 4},
    {(const uint8_t *)"empty", 5, (const uint8_t *)"", 0},
    {(const uint8_t *)"null", 4, NULL, 0},
};

/* One case: codec, flags, producer, and what to do after finishing. */
struct xcheck_case {
    enum rb_compression codec;
    uint16_t flags;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    uint32_t record_count;
    bool marker;                  /* one COMMIT control record instead */
    int64_t restamp_base_offset;  /* -1: leave 0 */
    int32_t restamp_leader_epoch; /* with restamp */
    int64_t log_append_time;      /* -1: CreateTime */
    int64_t delete_horizon;       /* KIP-534, as the cleaner stamps it; -1: none */
};

static const struct xcheck_case xcheck_cases[] = {
    {RB_COMPRESSION_NONE, 0, -1, -1, -1, 1, false, -1, 0, -1, -1},
    {RB_COMPRESSION_NONE, 0, -1, -1, -1, 50, false, -1, 0, -1, -1},
    {RB_COMPRESSION_GZIP, 0, -1, -1, -1, 50, false, -1, 0, -1, -1},
    {RB_COMPRESSION_SNAPPY, 0, -1, -1, -1, 50, false, -1, 0, -1, -1},
    {RB_COMPRESSION_LZ4, 0, -1, -1, -1, 50, false, -1, 0, -1, -1},
    {RB_COMPRESSION_ZSTD, 0, -1, -1, -1, 50, false, -1, 0, -1, -1},
    {RB_COMPRESSION_SNAPPY, 0, -1, -1, -1, 3000, false, -1, 0, -1, -1}, /* many xerial blocks */
    {RB_COMPRESSION_NONE, RB_ATTR_TRANSACTIONAL, 123456789, 4, 1000, 7, false, -1, 0, -1, -1},
    {RB_COMPRESSION_NONE, RB_ATTR_TRANSACTIONAL, 123456789, 4, -1, 0, true, 57, 3, -1, -1},
    {RB_COMPRESSION_NONE, 0, 9, 0, 0, 10, false, 1099511627776LL, 17, -1, -1},
    {RB_COMPRESSION_LZ4, 0, -1, -1, -1, 10, false, 4242, 2, 1800000000000LL, -1},
    /* KIP-534: baseTimestamp holds the delete horizon, records are deltas from it */
    {RB_COMPRESSION_NONE, 0, -1, -1, -1, 20, false, 8000, 4, -1, 1700000500000LL},
    {RB_COMPRESSION_GZIP, 0, -1, -1, -1, 20, false, -1, 0, -1, 1700000500000LL},
};

static void xcheck_fill(struct rb_builder *b, const struct xcheck_case *c)
{
    char key[32], value[300];
    for (uint32_t i = 0; i < c->record_count; i++) {
        int kn = snprintf(key, sizeof(key), "key-%u", i % 13);
        for (uint32_t k = 0; k < sizeof(value); k++)
            value[k] = (char)('a' + (i + k) % 26);
        struct rb_record_input in = {
            .timestamp = 1700000000000LL + (int64_t)(i * 37 % 101) - 50,
            .key = i % 4 == 1 ? NULL : (const uint8_t *)key,
            .key_size = i % 4 == 1 ? 0 : (uint32_t)kn,
            .value = i % 9 == 2 ? NULL : (const uint8_t *)value,
            .value_size = i % 9 == 2 ? 0 : (i * 7) % sizeof(value),
            .headers = xcheck_headers,
            .header_count = i % 4,
        };
        if (in.header_count == 3 || i == 0)
            in.header_count = i == 0 ? 0 : 3;
        assert_int_equal(rb_builder_append(b, &in), KS_OK);
    }
}

static void xcheck_write_case(const char *dir, uint32_t n, const struct xcheck_case *c)
{
    struct rb_builder b;
    rb_builder_init(&b, c->codec);
    rb_builder_set_producer(&b, c->producer_id, c->producer_epoch, c->base_sequence);
    rb_builder_set_flags(&b, c->flags);
    if (c->delete_horizon >= 0)
        rb_builder_set_delete_horizon(&b, c->delete_horizon);
    if (c->marker)
        assert_int_equal(rb_builder_append_marker(&b, 1700000000000LL, RB_CONTROL_COMMIT, 5),
                         KS_OK);
    else
        xcheck_fill(&b, c);
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    assert_int_equal(rb_builder_finish(&b, &bytes, &size), KS_OK);
    rb_builder_release(&b);
    if (c->restamp_base_offset >= 0)
        assert_int_equal(rb_restamp(bytes, size, c->restamp_base_offset, c->restamp_leader_epoch),
                         KS_OK);
    if (c->log_append_time >= 0)
        assert_int_equal(rb_set_log_append_time(bytes, size, c->log_append_time), KS_OK);
    char path[XCHECK_PATH_MAX];
    snprintf(path, sizeof(path), "%s/c_%03u.bin", dir, n);
    xcheck_write_file(path, bytes, size);
    snprintf(path, sizeof(path), "%s/c_%03u.ours", dir, n);
    dump_batch(bytes, size, path);
    free(bytes);
}

static void test_write_batches_for_kafka_python(void **state)
{
    (void)state;
    const char *dir = xcheck_dir();
    if (dir == NULL)
        skip();
    uint32_t n = 0;
    for (size_t i = 0; i < sizeof(xcheck_cases) / sizeof(xcheck_cases[0]); i++) {
        if (!rb_compression_supported(xcheck_cases[i].codec)) {
            print_message("codec %s not built in: skipped\n",
                          rb_compression_name(xcheck_cases[i].codec));
            continue;
        }
        xcheck_write_case(dir, n++, &xcheck_cases[i]);
    }
    print_message("wrote %u batches to %s\n", n, dir);
    assert_true(n > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_kafka_python_batches),
        cmocka_unit_test(test_write_batches_for_kafka_python),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
