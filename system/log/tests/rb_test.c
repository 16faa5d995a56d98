/*
 * rb_test.c: RecordBatch v2 golden bytes both ways (kafka-python's builder made them),
 * every codec round trip, control markers, re-stamping, and bad input: truncated, bad
 * CRC, bad magic, bad lengths, record count mismatch, record framing, codec misuse,
 * a decompression bomb, and every single-byte change. Kafka: DefaultRecordBatch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/log/compress.h"
#include "system/log/crc32c.h"
#include "system/log/rb.h"

#if KS_HAVE_SNAPPY
#include <snappy-c.h>
#endif

#define RB_TEST_RECORDS 200u
#define RB_TEST_BOMB_SIZE (4u * 1024u * 1024u + 1u)

/*
 * kafka-python 2.0.2 DefaultRecordBatchBuilder(magic 2, no codec, producer -1/-1/-1):
 * record 0: ts 1700000000000, key "k1", value "hello", no headers;
 * record 1: ts +5, null key, value "v", headers h="x", n=null.
 * baseOffset 0, partitionLeaderEpoch 0, CRC 0xd63480eb.
 */
static const uint8_t golden_two_records[] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x4e, 0x00, 0x00, 0x00,
    0x00, 0x02, 0xd6, 0x34, 0x80, 0xeb, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01,
    0x8b, 0xcf, 0xe5, 0x68, 0x00, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x05, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00,
    0x02, 0x1a, 0x00, 0x00, 0x00, 0x04, 0x6b, 0x31, 0x0a, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    0x1c, 0x00, 0x0a, 0x02, 0x01, 0x02, 0x76, 0x04, 0x02, 0x68, 0x02, 0x78, 0x02, 0x6e, 0x01,
};
/* Where fields of the golden batch's records sit. */
#define GOLDEN_RECORD0_LENGTH 61u
#define GOLDEN_RECORD1_OFFSET_DELTA 78u
#define GOLDEN_RECORD1_HEADER_COUNT 82u
#define GOLDEN_RECORD1_HEADER0_KEY_LENGTH 83u

static const struct rb_record_header golden_headers[] = {
    {(const uint8_t *)"h", 1, (const uint8_t *)"x", 1},
    {(const uint8_t *)"n", 1, NULL, 0},
};

static uint8_t *copy_bytes(const uint8_t *bytes, size_t size)
{
    uint8_t *p = malloc(size);
    assert_non_null(p);
    memcpy(p, bytes, size);
    return p;
}

/* A batch around any payload, with a valid CRC: for feeding the decoder bad records. */
static uint8_t *wrap_payload(const uint8_t *payload, uint32_t payload_size, uint16_t attributes,
                             int32_t count, int32_t last_offset_delta, uint32_t *size_out)
{
    uint32_t size = RB_HEADER_SIZE + payload_size;
    uint8_t *b = calloc(1, size);
    assert_non_null(b);
    ks_be32_store(b + 8, size - RB_LOG_OVERHEAD);
    b[RB_MAGIC_OFFSET] = RB_MAGIC;
    ks_be16_store(b + 21, attributes);
    ks_be32_store(b + 23, (uint32_t)last_offset_delta);
    ks_be64_store(b + 43, UINT64_MAX);
    ks_be16_store(b + 51, 0xffff);
    ks_be32_store(b + 53, UINT32_MAX);
    ks_be32_store(b + 57, (uint32_t)count);
    if (payload_size > 0)
        memcpy(b + RB_HEADER_SIZE, payload, payload_size);
    assert_int_equal(rb_crc_update(b, size), KS_OK);
    *size_out = size;
    return b;
}

static void assert_bytes(const uint8_t *p, uint32_t n, const char *s)
{
    assert_non_null(p);
    assert_int_equal(n, strlen(s));
    assert_memory_equal(p, s, n);
}

static void test_golden_decode(void **state)
{
    (void)state;
    struct rb_batch batch;
    assert_int_equal(rb_decode(golden_two_records, sizeof(golden_two_records), &batch), KS_OK);
    const struct rb_batch_header *h = &batch.header;
    assert_int_equal(batch.size_bytes, sizeof(golden_two_records));
    assert_true(h->base_offset == 0);
    assert_int_equal(h->batch_length, 78);
    assert_int_equal(h->magic, 2);
    assert_int_equal(h->crc, 0xd63480ebu);
    assert_int_equal(h->attributes, 0);
    assert_int_equal(h->last_offset_delta, 1);
    assert_true(h->base_timestamp == 1700000000000LL);
    assert_true(h->max_timestamp == 1700000000005LL);
    assert_true(h->producer_id == -1);
    assert_int_equal(h->producer_epoch, -1);
    assert_int_equal(h->base_sequence, -1);
    assert_int_equal(h->records_count, 2);
    struct rb_iter it;
    struct rb_record r;
    rb_iter_init(&it, &batch);
    assert_true(rb_iter_next(&it, &r));
    assert_true(r.offset == 0 && r.timestamp == 1700000000000LL);
    assert_bytes(r.key, r.key_size, "k1");
    assert_bytes(r.value, r.value_size, "hello");
    assert_int_equal(r.header_count, 0);
    assert_true(rb_iter_next(&it, &r));
    assert_true(r.offset == 1 && r.timestamp == 1700000000005LL);
    assert_null(r.key);
    assert_bytes(r.value, r.value_size, "v");
    assert_int_equal(r.header_count, 2);
    uint32_t pos = 0;
    struct rb_record_header rh;
    assert_true(rb_record_header_next(&r, &pos, &rh));
    assert_bytes(rh.key, rh.key_size, "h");
    assert_bytes(rh.value, rh.value_size, "x");
    assert_true(rb_record_header_next(&r, &pos, &rh));
    assert_bytes(rh.key, rh.key_size, "n");
    assert_null(rh.value);
    assert_false(rb_record_header_next(&r, &pos, &rh));
    assert_false(rb_iter_next(&it, &r));
    rb_batch_release(&batch);
    rb_batch_release(&batch); /* twice is fine */
}

static void test_golden_encode(void **state)
{
    (void)state;
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    b.partition_leader_epoch = 0; /* kafka-python writes 0 where Java writes -1 */
    struct rb_record_input r0 = {
        1700000000000LL, (const uint8_t *)"k1", 2, (const uint8_t *)"hello", 5, NULL, 0};
    struct rb_record_input r1 = {1700000000005LL, NULL, 0, (const uint8_t *)"v", 1,
                                 golden_headers,  2};
    assert_int_equal(rb_builder_append(&b, &r0), KS_OK);
    assert_int_equal(rb_builder_append(&b, &r1), KS_OK);
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    assert_int_equal(rb_builder_finish(&b, &bytes, &size), KS_OK);
    rb_builder_release(&b);
    assert_int_equal(size, sizeof(golden_two_records));
    assert_memory_equal(bytes, golden_two_records, size);
    free(bytes);
}

/* Builds RB_TEST_RECORDS varied records with a codec, decodes, compares. */
static void round_trip(enum rb_compression codec)
{
    struct rb_builder b;
    rb_builder_init(&b, codec);
    rb_builder_set_producer(&b, 4242, 3, 17);
    rb_builder_set_flags(&b, RB_ATTR_TRANSACTIONAL);
    char key[32], value[200];
    for (uint32_t i = 0; i < RB_TEST_RECORDS; i++) {
        int kn = snprintf(key, sizeof(key), "key-%u", i % 7);
        memset(value, 'a' + (int)(i % 26), sizeof(value));
        struct rb_record_input in = {
            .timestamp = 1000 + (int64_t)(i % 10) * 3 - 5,
            .key = i % 5 == 0 ? NULL : (const uint8_t *)key,
            .key_size = i % 5 == 0 ? 0 : (uint32_t)kn,
            .value = i % 11 == 3 ? NULL : (const uint8_t *)value,
            .value_size = i % 11 == 3 ? 0 : i % sizeof(value),
            .headers = golden_headers,
            .header_count = i % 3,
        };
        assert_int_equal(rb_builder_append(&b, &in), KS_OK);
    }
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    enum ks_err err = rb_builder_finish(&b, &bytes, &size);
    rb_builder_release(&b);
    if (!rb_compression_supported(codec)) {
        assert_int_equal(err, KS_ERR_UNSUPPORTED_COMPRESSION_TYPE);
        return;
    }
    assert_int_equal(err, KS_OK);
    struct rb_batch batch;
    assert_int_equal(rb_decode(bytes, size, &batch), KS_OK);
    assert_int_equal(batch.header.attributes, RB_ATTR_TRANSACTIONAL | codec);
    assert_true(batch.header.producer_id == 4242);
    assert_int_equal(batch.header.producer_epoch, 3);
    assert_int_equal(batch.header.base_sequence, 17);
    assert_int_equal(batch.header.partition_leader_epoch, -1);
    assert_int_equal(batch.header.last_offset_delta, RB_TEST_RECORDS - 1);
    assert_true(batch.header.base_timestamp == 995);
    assert_true(batch.header.max_timestamp == 1022);
    struct rb_iter it;
    struct rb_record r;
    rb_iter_init(&it, &batch);
    for (uint32_t i = 0; i < RB_TEST_RECORDS; i++) {
        assert_true(rb_iter_next(&it, &r));
        assert_true(r.offset == i);
        assert_true(r.timestamp == 1000 + (int64_t)(i % 10) * 3 - 5);
        if (i % 5 == 0)
            assert_null(r.key);
        else
            assert_int_equal(r.key_size, (uint32_t)snprintf(key, sizeof(key), "key-%u", i % 7));
        if (i % 11 == 3) {
            assert_null(r.value);
        } else {
            assert_int_equal(r.value_size, i % sizeof(value));
            for (uint32_t k = 0; k < r.value_size; k++)
                assert_int_equal(r.value[k], 'a' + (int)(i % 26));
        }
        assert_int_equal(r.header_count, i % 3);
    }
    assert_false(rb_iter_next(&it, &r));
    rb_batch_release(&batch);
    free(bytes);
}

static void test_round_trip_every_codec(void **state)
{
    (void)state;
    round_trip(RB_COMPRESSION_NONE);
    round_trip(RB_COMPRESSION_GZIP);
    round_trip(RB_COMPRESSION_SNAPPY);
    round_trip(RB_COMPRESSION_LZ4);
    round_trip(RB_COMPRESSION_ZSTD);
}

static void test_compressed_output_is_framed_as_kafka_writes(void **state)
{
    (void)state;
    static const struct {
        enum rb_compression codec;
        uint8_t magic[8];
        uint32_t magic_size;
    } cases[] = {
        {RB_COMPRESSION_GZIP, {0x1f, 0x8b}, 2},
        {RB_COMPRESSION_SNAPPY, {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}, 8},
        {RB_COMPRESSION_LZ4, {0x04, 0x22, 0x4d, 0x18}, 4},
        {RB_COMPRESSION_ZSTD, {0x28, 0xb5, 0x2f, 0xfd}, 4},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (!rb_compression_supported(cases[i].codec))
            continue;
        struct rb_builder b;
        rb_builder_init(&b, cases[i].codec);
        struct rb_record_input in = {1, NULL, 0, (const uint8_t *)"value", 5, NULL, 0};
        assert_int_equal(rb_builder_append(&b, &in), KS_OK);
        uint8_t *bytes = NULL;
        uint32_t size = 0;
        assert_int_equal(rb_builder_finish(&b, &bytes, &size), KS_OK);
        rb_builder_release(&b);
        assert_memory_equal(bytes + RB_HEADER_SIZE, cases[i].magic, cases[i].magic_size);
        free(bytes);
    }
}

static void test_snappy_raw_block_is_read(void **state)
{
    (void)state;
#if KS_HAVE_SNAPPY
    /* librdkafka writes one raw snappy block, no xerial framing. */
    const uint8_t *records = golden_two_records + RB_HEADER_SIZE;
    size_t records_size = sizeof(golden_two_records) - RB_HEADER_SIZE;
    char raw[256];
    size_t raw_size = sizeof(raw);
    assert_int_equal(snappy_compress((const char *)records, records_size, raw, &raw_size),
                     SNAPPY_OK);
    uint32_t size = 0;
    uint8_t *b =
        wrap_payload((const uint8_t *)raw, (uint32_t)raw_size, RB_COMPRESSION_SNAPPY, 2, 1, &size);
    ks_be64_store(b + 27, 1700000000000ULL);
    assert_int_equal(rb_crc_update(b, size), KS_OK);
    struct rb_batch batch;
    assert_int_equal(rb_decode(b, size, &batch), KS_OK);
    assert_int_equal(batch.records_size_bytes, records_size);
    assert_memory_equal(batch.records, records, records_size);
    rb_batch_release(&batch);
    free(b);
#else
    skip();
#endif
}

static void test_control_marker(void **state)
{
    (void)state;
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    rb_builder_set_producer(&b, 77, 2, RB_NO_SEQUENCE);
    rb_builder_set_flags(&b, RB_ATTR_TRANSACTIONAL);
    assert_int_equal(rb_builder_append_marker(&b, 5000, RB_CONTROL_COMMIT, 9), KS_OK);
    struct rb_record_input more = {5001, NULL, 0, NULL, 0, NULL, 0};
    assert_int_equal(rb_builder_append(&b, &more), KS_ERR_TOO_MANY);
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    assert_int_equal(rb_builder_finish(&b, &bytes, &size), KS_OK);
    rb_builder_release(&b);
    /* record: length 16, attrs 0, ts 0, offset 0, key 4 (00 00 00 01), value 6. */
    static const uint8_t golden_record[] = {0x20, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01,
                                            0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00};
    assert_int_equal(size, RB_HEADER_SIZE + sizeof(golden_record));
    assert_memory_equal(bytes + RB_HEADER_SIZE, golden_record, sizeof(golden_record));
    struct rb_batch batch;
    assert_int_equal(rb_decode(bytes, size, &batch), KS_OK);
    assert_int_equal(batch.header.attributes, RB_ATTR_TRANSACTIONAL | RB_ATTR_CONTROL);
    struct rb_iter it;
    struct rb_record r;
    rb_iter_init(&it, &batch);
    assert_true(rb_iter_next(&it, &r));
    int16_t type = -1;
    int32_t coordinator_epoch = -1;
    assert_int_equal(rb_control_type_decode(&r, &type), KS_OK);
    assert_int_equal(type, RB_CONTROL_COMMIT);
    assert_int_equal(rb_control_marker_decode(&r, &coordinator_epoch), KS_OK);
    assert_int_equal(coordinator_epoch, 9);
    rb_batch_release(&batch);
    /* A control record with a short key is corrupt. */
    struct rb_record bad = r;
    bad.key_size = 3;
    assert_int_equal(rb_control_type_decode(&bad, &type), KS_ERR_CORRUPT_MESSAGE);
    bad.value = NULL;
    assert_int_equal(rb_control_marker_decode(&bad, &coordinator_epoch), KS_ERR_CORRUPT_MESSAGE);
    free(bytes);
}

static void test_restamp_and_log_append_time(void **state)
{
    (void)state;
    uint8_t *b = copy_bytes(golden_two_records, sizeof(golden_two_records));
    assert_int_equal(rb_restamp(b, sizeof(golden_two_records), 1000, 7), KS_OK);
    assert_int_equal(ks_be32_load(b + RB_CRC_OFFSET), 0xd63480ebu); /* outside the CRC */
    struct rb_batch batch;
    assert_int_equal(rb_decode(b, sizeof(golden_two_records), &batch), KS_OK);
    assert_true(batch.header.base_offset == 1000);
    assert_int_equal(batch.header.partition_leader_epoch, 7);
    struct rb_iter it;
    struct rb_record r;
    rb_iter_init(&it, &batch);
    assert_true(rb_iter_next(&it, &r) && r.offset == 1000);
    assert_true(rb_iter_next(&it, &r) && r.offset == 1001);
    rb_batch_release(&batch);
    assert_int_equal(rb_set_log_append_time(b, sizeof(golden_two_records), 1800000000000LL), KS_OK);
    assert_int_equal(rb_decode(b, sizeof(golden_two_records), &batch), KS_OK);
    assert_int_equal(batch.header.attributes, RB_ATTR_LOG_APPEND_TIME);
    rb_iter_init(&it, &batch);
    assert_true(rb_iter_next(&it, &r) && r.timestamp == 1800000000000LL);
    assert_true(rb_iter_next(&it, &r) && r.timestamp == 1800000000000LL);
    rb_batch_release(&batch);
    assert_int_equal(rb_restamp(b, RB_HEADER_SIZE - 1, 0, 0), KS_ERR_TRUNCATED);
    free(b);
}

static void test_offset_gaps_as_compaction_leaves_them(void **state)
{
    (void)state;
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    struct rb_record_input in = {10, (const uint8_t *)"k", 1, (const uint8_t *)"v", 1, NULL, 0};
    assert_int_equal(rb_builder_append_at(&b, 3, &in), KS_OK);
    assert_int_equal(rb_builder_append_at(&b, 9, &in), KS_OK);
    rb_builder_set_last_offset_delta(&b, 12);
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    assert_int_equal(rb_builder_finish(&b, &bytes, &size), KS_OK);
    rb_builder_release(&b);
    struct rb_scan scan;
    assert_int_equal(rb_scan(bytes, size, &scan), KS_OK);
    assert_true(scan.crc_valid);
    assert_true(scan.last_offset == 12);
    struct rb_batch batch;
    assert_int_equal(rb_decode(bytes, size, &batch), KS_OK);
    struct rb_iter it;
    struct rb_record r;
    rb_iter_init(&it, &batch);
    assert_true(rb_iter_next(&it, &r) && r.offset == 3);
    assert_true(rb_iter_next(&it, &r) && r.offset == 9);
    rb_batch_release(&batch);
    free(bytes);
}

/* KIP-534: the horizon sits in baseTimestamp with attribute bit 6, records are deltas
 * from it (one negative here) and read back with their own timestamps; maxTimestamp
 * stays the records' largest. */
static void test_delete_horizon(void **state)
{
    (void)state;
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    rb_builder_set_delete_horizon(&b, 5000);
    rb_builder_set_flags(&b, RB_ATTR_TRANSACTIONAL);
    struct rb_record_input in = {1000, (const uint8_t *)"k", 1, NULL, 0, NULL, 0};
    assert_int_equal(rb_builder_append_at(&b, 0, &in), KS_OK);
    in.timestamp = 7000;
    assert_int_equal(rb_builder_append_at(&b, 2, &in), KS_OK);
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    assert_int_equal(rb_builder_finish(&b, &bytes, &size), KS_OK);
    rb_builder_release(&b);
    struct rb_batch batch;
    assert_int_equal(rb_decode(bytes, size, &batch), KS_OK);
    assert_true((batch.header.attributes & RB_ATTR_DELETE_HORIZON) != 0);
    assert_true((batch.header.attributes & RB_ATTR_TRANSACTIONAL) != 0);
    assert_true(batch.header.base_timestamp == 5000);
    assert_true(batch.header.max_timestamp == 7000);
    struct rb_iter it;
    struct rb_record r;
    rb_iter_init(&it, &batch);
    assert_true(rb_iter_next(&it, &r) && r.offset == 0 && r.timestamp == 1000);
    assert_true(r.timestamp_delta == -4000);
    assert_true(rb_iter_next(&it, &r) && r.offset == 2 && r.timestamp == 7000);
    rb_batch_release(&batch);
    free(bytes);
}

static void test_empty_batch(void **state)
{
    (void)state;
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    assert_int_equal(rb_builder_finish(&b, &bytes, &size), KS_OK);
    rb_builder_release(&b);
    assert_int_equal(size, RB_HEADER_SIZE);
    struct rb_batch batch;
    assert_int_equal(rb_decode(bytes, size, &batch), KS_OK);
    assert_int_equal(batch.header.records_count, 0);
    assert_true(batch.header.base_timestamp == -1);
    rb_batch_release(&batch);
    free(bytes);
}

/* A mutation of the golden batch and the error it must give. */
struct mutation {
    const char *name;
    uint32_t at;     /* byte to set */
    uint8_t value;   /* its new value */
    bool fix_crc;    /* recompute the CRC afterwards */
    enum ks_err err; /* from rb_decode */
};

static const struct mutation mutations[] = {
    {"bad CRC", 70, 0x00, false, KS_ERR_CORRUPT_MESSAGE},
    {"CRC field", RB_CRC_OFFSET, 0x00, false, KS_ERR_CORRUPT_MESSAGE},
    {"magic 1", RB_MAGIC_OFFSET, 1, false, KS_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT},
    {"magic 0", RB_MAGIC_OFFSET, 0, false, KS_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT},
    {"magic 3", RB_MAGIC_OFFSET, 3, false, KS_ERR_CORRUPT_MESSAGE},
    {"batchLength below the header", 11, 48, false, KS_ERR_CORRUPT_MESSAGE},
    {"batchLength negative", 8, 0x80, false, KS_ERR_CORRUPT_MESSAGE},
    {"batchLength past the buffer", 11, 0x4f, false, KS_ERR_TRUNCATED},
    {"batchLength short of the records", 11, 0x4d, true, KS_ERR_CORRUPT_MESSAGE},
    {"count one more", 60, 3, true, KS_ERR_CORRUPT_MESSAGE},
    {"count one less", 60, 1, true, KS_ERR_CORRUPT_MESSAGE},
    {"count negative", 57, 0xff, true, KS_ERR_CORRUPT_MESSAGE},
    {"codec 5", 22, 5, true, KS_ERR_UNSUPPORTED_COMPRESSION_TYPE},
    {"codec 7", 22, 7, true, KS_ERR_UNSUPPORTED_COMPRESSION_TYPE},
    {"gzip codec over raw records", 22, 1, true, KS_ERR_CORRUPT_MESSAGE},
    {"zstd codec over raw records", 22, 4, true, KS_ERR_CORRUPT_MESSAGE},
    {"control batch of two", 22, RB_ATTR_CONTROL, true, KS_ERR_CORRUPT_MESSAGE},
    {"lastOffsetDelta below a record", 26, 0, true, KS_ERR_CORRUPT_MESSAGE},
    {"record length longer", GOLDEN_RECORD0_LENGTH, 0x1c, true, KS_ERR_CORRUPT_MESSAGE},
    {"record length shorter", GOLDEN_RECORD0_LENGTH, 0x18, true, KS_ERR_CORRUPT_MESSAGE},
    {"record length negative", GOLDEN_RECORD0_LENGTH, 0x01, true, KS_ERR_CORRUPT_MESSAGE},
    {"record length overlong varint", GOLDEN_RECORD0_LENGTH, 0xff, true, KS_ERR_CORRUPT_MESSAGE},
    {"offset delta repeats", GOLDEN_RECORD1_OFFSET_DELTA, 0x00, true, KS_ERR_CORRUPT_MESSAGE},
    {"offset delta past last", GOLDEN_RECORD1_OFFSET_DELTA, 0x04, true, KS_ERR_CORRUPT_MESSAGE},
    {"header count too big", GOLDEN_RECORD1_HEADER_COUNT, 0x06, true, KS_ERR_CORRUPT_MESSAGE},
    {"header count negative", GOLDEN_RECORD1_HEADER_COUNT, 0x01, true, KS_ERR_CORRUPT_MESSAGE},
    {"header key null", GOLDEN_RECORD1_HEADER0_KEY_LENGTH, 0x01, true, KS_ERR_CORRUPT_MESSAGE},
    {"base offset is outside the CRC", 7, 0x42, false, KS_OK},
    {"leader epoch is outside the CRC", 15, 0x42, false, KS_OK},
    {"transactional flag", 22, RB_ATTR_TRANSACTIONAL, true, KS_OK},
};

static void test_mutations(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++) {
        const struct mutation *m = &mutations[i];
        uint8_t *b = copy_bytes(golden_two_records, sizeof(golden_two_records));
        b[m->at] = m->value;
        if (m->fix_crc)
            ks_be32_store(b + RB_CRC_OFFSET,
                          crc32c(b + RB_ATTRIBUTES_OFFSET, sizeof(golden_two_records) - 21));
        enum ks_err expected = m->err;
        bool sets_codec = m->at == 22 && (m->value & RB_ATTR_COMPRESSION_MASK) != 0;
        if (sets_codec && !rb_compression_supported(m->value & RB_ATTR_COMPRESSION_MASK))
            expected = KS_ERR_UNSUPPORTED_COMPRESSION_TYPE; /* a build without that codec */
        struct rb_batch batch;
        enum ks_err err = rb_decode(b, sizeof(golden_two_records), &batch);
        if (err != expected)
            fail_msg("%s: got %s, expected %s", m->name, ks_err_name(err), ks_err_name(expected));
        if (err == KS_OK)
            rb_batch_release(&batch);
        free(b);
    }
}

static void test_truncated_at_every_length(void **state)
{
    (void)state;
    for (size_t n = 0; n < sizeof(golden_two_records); n++) {
        uint8_t *b = copy_bytes(golden_two_records, n == 0 ? 1 : n); /* exact-size copy */
        struct rb_batch batch;
        struct rb_scan scan;
        assert_int_equal(rb_decode(b, n, &batch), KS_ERR_TRUNCATED);
        assert_int_equal(rb_scan(b, n, &scan), KS_ERR_TRUNCATED);
        free(b);
    }
}

static void test_every_single_byte_change(void **state)
{
    (void)state;
    for (uint32_t at = 0; at < sizeof(golden_two_records); at++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            uint8_t *b = copy_bytes(golden_two_records, sizeof(golden_two_records));
            b[at] ^= (uint8_t)(1u << bit);
            struct rb_batch batch;
            enum ks_err err = rb_decode(b, sizeof(golden_two_records), &batch);
            bool outside_crc = at < 8 || (at >= 12 && at < 16);
            if (outside_crc)
                assert_int_equal(err, KS_OK);
            else
                assert_int_not_equal(err, KS_OK);
            if (err == KS_OK)
                rb_batch_release(&batch);
            free(b);
        }
    }
}

static void test_scan_reports_crc_and_steps_over(void **state)
{
    (void)state;
    uint8_t two[2 * sizeof(golden_two_records)];
    memcpy(two, golden_two_records, sizeof(golden_two_records));
    memcpy(two + sizeof(golden_two_records), golden_two_records, sizeof(golden_two_records));
    two[70] ^= 1; /* first batch's CRC fails */
    struct rb_scan scan;
    assert_int_equal(rb_scan(two, sizeof(two), &scan), KS_OK);
    assert_false(scan.crc_valid);
    assert_int_equal(scan.size_bytes, sizeof(golden_two_records));
    assert_true(scan.last_offset == 1);
    assert_int_equal(rb_scan(two + scan.size_bytes, sizeof(two) - scan.size_bytes, &scan), KS_OK);
    assert_true(scan.crc_valid);
    assert_int_equal(scan.crc_computed, 0xd63480ebu);
}

/* A batch whose records inflate past RB_DECOMPRESSED_SIZE_MAX is refused (zstd: the
 * cheapest to build; every codec shares the bound, checked below at a smaller size). */
static void test_decompression_bomb_is_refused(void **state)
{
    (void)state;
    if (!rb_compression_supported(RB_COMPRESSION_ZSTD))
        skip();
    size_t n = (size_t)RB_DECOMPRESSED_SIZE_MAX + 1;
    uint8_t *zeros = calloc(1, n);
    assert_non_null(zeros);
    uint8_t *packed = NULL;
    size_t packed_size = 0;
    assert_int_equal(compress_encode(COMPRESS_ZSTD, zeros, n, &packed, &packed_size), KS_OK);
    free(zeros);
    assert_true(packed_size < 64 * 1024);
    uint32_t size = 0;
    uint8_t *b = wrap_payload(packed, (uint32_t)packed_size, RB_COMPRESSION_ZSTD, 1, 0, &size);
    struct rb_batch batch;
    assert_int_equal(rb_decode(b, size, &batch), KS_ERR_CORRUPT_MESSAGE);
    free(b);
    free(packed);
}

static void test_decompression_bound_every_codec(void **state)
{
    (void)state;
    static const enum rb_compression codecs[] = {RB_COMPRESSION_GZIP, RB_COMPRESSION_SNAPPY,
                                                 RB_COMPRESSION_LZ4, RB_COMPRESSION_ZSTD};
    size_t n = RB_TEST_BOMB_SIZE;
    uint8_t *zeros = calloc(1, n);
    assert_non_null(zeros);
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
        if (!rb_compression_supported(codecs[i]))
            continue;
        uint8_t *packed = NULL;
        size_t packed_size = 0;
        assert_int_equal(
            compress_encode((enum compress_codec)codecs[i], zeros, n, &packed, &packed_size),
            KS_OK);
        /* one byte over the bound is refused; exactly at it decompresses */
        uint8_t *out = NULL;
        size_t out_size = 0;
        assert_int_equal(compress_decode((enum compress_codec)codecs[i], packed, packed_size, n - 1,
                                         &out, &out_size),
                         KS_ERR_MESSAGE_TOO_LARGE);
        assert_int_equal(compress_decode((enum compress_codec)codecs[i], packed, packed_size, n,
                                         &out, &out_size),
                         KS_OK);
        assert_int_equal(out_size, n);
        free(out);
        free(packed);
    }
    free(zeros);
}

static void test_truncated_compressed_stream(void **state)
{
    (void)state;
    static const enum compress_codec codecs[] = {COMPRESS_GZIP, COMPRESS_SNAPPY, COMPRESS_LZ4,
                                                 COMPRESS_ZSTD};
    const uint8_t *text = golden_two_records;
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
        if (!compress_supported(codecs[i]))
            continue;
        uint8_t *packed = NULL;
        size_t packed_size = 0;
        assert_int_equal(
            compress_encode(codecs[i], text, sizeof(golden_two_records), &packed, &packed_size),
            KS_OK);
        for (size_t cut = 0; cut < packed_size; cut++) {
            uint8_t *out = NULL;
            size_t out_size = 0;
            enum ks_err err = compress_decode(codecs[i], packed, cut, 1u << 20, &out, &out_size);
            if (err == KS_OK) { /* a cut between xerial blocks or frames is a shorter stream */
                assert_true(out_size < sizeof(golden_two_records));
                free(out);
            }
        }
        /* trailing garbage is refused */
        uint8_t *longer = calloc(1, packed_size + 1);
        memcpy(longer, packed, packed_size);
        longer[packed_size] = 0x5a;
        uint8_t *out = NULL;
        size_t out_size = 0;
        assert_int_not_equal(
            compress_decode(codecs[i], longer, packed_size + 1, 1u << 20, &out, &out_size), KS_OK);
        free(longer);
        free(packed);
    }
}

static void test_builder_limits(void **state)
{
    (void)state;
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    struct rb_record_input huge = {0,    NULL, 0, (const uint8_t *)"", RB_DECOMPRESSED_SIZE_MAX,
                                   NULL, 0};
    assert_int_equal(rb_builder_append(&b, &huge), KS_ERR_MESSAGE_TOO_LARGE);
    assert_int_equal(b.records_count, 0);
    rb_builder_release(&b);
    assert_string_equal(rb_compression_name(RB_COMPRESSION_LZ4), "lz4");
    assert_string_equal(rb_compression_name(9), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_decode),
        cmocka_unit_test(test_golden_encode),
        cmocka_unit_test(test_round_trip_every_codec),
        cmocka_unit_test(test_compressed_output_is_framed_as_kafka_writes),
        cmocka_unit_test(test_snappy_raw_block_is_read),
        cmocka_unit_test(test_control_marker),
        cmocka_unit_test(test_restamp_and_log_append_time),
        cmocka_unit_test(test_offset_gaps_as_compaction_leaves_them),
        cmocka_unit_test(test_delete_horizon),
        cmocka_unit_test(test_empty_batch),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_truncated_at_every_length),
        cmocka_unit_test(test_every_single_byte_change),
        cmocka_unit_test(test_scan_reports_crc_and_steps_over),
        cmocka_unit_test(test_decompression_bomb_is_refused),
        cmocka_unit_test(test_decompression_bound_every_codec),
        cmocka_unit_test(test_truncated_compressed_stream),
        cmocka_unit_test(test_builder_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
