/*
 * rb.c: RecordBatch v2 encoder and decoder. Kafka: DefaultRecordBatch, DefaultRecord,
 * MemoryRecordsBuilder, ControlRecordType, EndTransactionMarker (KIP-98).
 *
 * The decoder trusts nothing: every length is checked against what is left before it
 * is used, every count against a bound derived from the bytes at hand, and the whole
 * batch is walked once in rb_decode so that later iteration cannot fail (rb_iter_next
 * asserts on bytes this file already validated, never on fresh ones).
 */
#include "system/log/rb.h"

#include <stdlib.h>
#include <string.h>

#include "system/log/compress.h"
#include "system/log/crc32c.h"
#include "system/log/varint.h"

/* Header field offsets (kafka-internals.md 2.1). */
#define RB_BASE_OFFSET_OFFSET 0u
#define RB_BATCH_LENGTH_OFFSET 8u
#define RB_PARTITION_LEADER_EPOCH_OFFSET 12u
#define RB_LAST_OFFSET_DELTA_OFFSET 23u
#define RB_BASE_TIMESTAMP_OFFSET 27u
#define RB_MAX_TIMESTAMP_OFFSET 35u
#define RB_PRODUCER_ID_OFFSET 43u
#define RB_PRODUCER_EPOCH_OFFSET 51u
#define RB_BASE_SEQUENCE_OFFSET 53u
#define RB_RECORDS_COUNT_OFFSET 57u
#define RB_BATCH_LENGTH_MIN (RB_HEADER_SIZE - RB_LOG_OVERHEAD)
#define RB_BUILDER_CAPACITY_MIN 256u
#define RB_CONTROL_VERSION 0

_Static_assert(RB_RECORDS_COUNT_OFFSET + 4 == RB_HEADER_SIZE, "61-byte header");
_Static_assert(RB_ATTRIBUTES_OFFSET == RB_CRC_OFFSET + 4, "CRC covers attributes onward");
_Static_assert(RB_BATCH_SIZE_MAX <= INT32_MAX, "batchLength is an int32");
_Static_assert(RB_DECOMPRESSED_SIZE_MAX <= INT32_MAX, "record sizes are int32 varints");
_Static_assert((int)RB_COMPRESSION_ZSTD == (int)COMPRESS_ZSTD, "codec numbers agree");

static const char *const rb_compression_names[RB_COMPRESSION_COUNT] = {
    "none", "gzip", "snappy", "lz4", "zstd",
};

const char *rb_compression_name(uint32_t codec)
{
    return codec < RB_COMPRESSION_COUNT ? rb_compression_names[codec] : "unknown";
}

bool rb_compression_supported(enum rb_compression codec)
{
    return compress_supported((enum compress_codec)codec);
}

/* Two's complement addition without signed overflow (Java's long arithmetic). */
static int64_t rb_add_wrap(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

/* ---- Header and scan --------------------------------------------------------------- */

void rb_batch_header_load(const uint8_t header_bytes[RB_HEADER_SIZE], struct rb_batch_header *out)
{
    const uint8_t *p = header_bytes;
    KS_ASSERT(p != NULL);
    out->base_offset = (int64_t)ks_be64_load(p + RB_BASE_OFFSET_OFFSET);
    out->batch_length = (int32_t)ks_be32_load(p + RB_BATCH_LENGTH_OFFSET);
    out->partition_leader_epoch = (int32_t)ks_be32_load(p + RB_PARTITION_LEADER_EPOCH_OFFSET);
    out->magic = (int8_t)p[RB_MAGIC_OFFSET];
    out->crc = ks_be32_load(p + RB_CRC_OFFSET);
    out->attributes = ks_be16_load(p + RB_ATTRIBUTES_OFFSET);
    out->last_offset_delta = (int32_t)ks_be32_load(p + RB_LAST_OFFSET_DELTA_OFFSET);
    out->base_timestamp = (int64_t)ks_be64_load(p + RB_BASE_TIMESTAMP_OFFSET);
    out->max_timestamp = (int64_t)ks_be64_load(p + RB_MAX_TIMESTAMP_OFFSET);
    out->producer_id = (int64_t)ks_be64_load(p + RB_PRODUCER_ID_OFFSET);
    out->producer_epoch = (int16_t)ks_be16_load(p + RB_PRODUCER_EPOCH_OFFSET);
    out->base_sequence = (int32_t)ks_be32_load(p + RB_BASE_SEQUENCE_OFFSET);
    out->records_count = (int32_t)ks_be32_load(p + RB_RECORDS_COUNT_OFFSET);
}

/* The checks of FileLogInputStream.nextBatch, in its order: size, then room, then magic. */
enum ks_err rb_scan(const uint8_t *buf, size_t size_bytes, struct rb_scan *out)
{
    KS_ASSERT(buf != NULL || size_bytes == 0);
    KS_ASSERT(out != NULL);
    if (size_bytes < RB_HEADER_SIZE_UP_TO_MAGIC)
        return KS_ERR_TRUNCATED;
    int32_t batch_length = (int32_t)ks_be32_load(buf + RB_BATCH_LENGTH_OFFSET);
    if (batch_length < (int32_t)RB_BATCH_LENGTH_MIN ||
        (uint32_t)batch_length > RB_BATCH_SIZE_MAX - RB_LOG_OVERHEAD)
        return KS_ERR_CORRUPT_MESSAGE;
    uint32_t batch_size = (uint32_t)batch_length + RB_LOG_OVERHEAD;
    if (batch_size > size_bytes)
        return KS_ERR_TRUNCATED;
    int8_t magic = (int8_t)buf[RB_MAGIC_OFFSET];
    if (magic == 0 || magic == 1)
        return KS_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT;
    if (magic != RB_MAGIC)
        return KS_ERR_CORRUPT_MESSAGE;
    rb_batch_header_load(buf, &out->header);
    out->base_offset = out->header.base_offset;
    out->last_offset = rb_add_wrap(out->header.base_offset, out->header.last_offset_delta);
    out->size_bytes = batch_size;
    out->crc_computed = crc32c(buf + RB_ATTRIBUTES_OFFSET, batch_size - RB_ATTRIBUTES_OFFSET);
    out->crc_valid = out->crc_computed == out->header.crc;
    return KS_OK;
}

/* ---- Records ----------------------------------------------------------------------- */

/* A cursor over untrusted bytes: every read checks what is left. */
struct rb_cursor {
    const uint8_t *bytes;
    uint32_t position;
    uint32_t end;
};

/* The common case of a varint, one or two bytes (record lengths under 16 KiB, small
 * deltas and sizes): the value varint_get decodes, without its general loop. False
 * when the varint is longer or the bytes end first (the general path decides). */
static bool rb_cursor_varint_short(struct rb_cursor *c, uint32_t *zigzag_out)
{
    KS_ASSERT(c->position <= c->end);
    uint32_t left = c->end - c->position;
    const uint8_t *p = c->bytes + c->position;
    if (left >= 1 && p[0] < 0x80u) {
        *zigzag_out = p[0];
        c->position += 1;
        return true;
    }
    if (left >= 2 && p[1] < 0x80u) {
        *zigzag_out = (p[0] & 0x7fu) | (uint32_t)p[1] << 7;
        c->position += 2;
        return true;
    }
    return false;
}

static enum ks_err rb_cursor_varint(struct rb_cursor *c, int32_t *out)
{
    uint32_t used = 0, zigzag = 0;
    if (rb_cursor_varint_short(c, &zigzag)) {
        *out = varint_unzigzag32(zigzag);
        return KS_OK;
    }
    if (varint_get_i32(c->bytes + c->position, c->end - c->position, out, &used) != KS_OK)
        return KS_ERR_CORRUPT_MESSAGE;
    c->position += used;
    return KS_OK;
}

static enum ks_err rb_cursor_varlong(struct rb_cursor *c, int64_t *out)
{
    uint32_t used = 0, zigzag = 0;
    if (rb_cursor_varint_short(c, &zigzag)) {
        *out = varint_unzigzag64(zigzag);
        return KS_OK;
    }
    if (varint_get_i64(c->bytes + c->position, c->end - c->position, out, &used) != KS_OK)
        return KS_ERR_CORRUPT_MESSAGE;
    c->position += used;
    return KS_OK;
}

/* A length-prefixed byte string; -1 is null (only when null_ok). */
static enum ks_err rb_cursor_bytes(struct rb_cursor *c, bool null_ok, const uint8_t **out,
                                   uint32_t *size_out)
{
    int32_t size = 0;
    if (rb_cursor_varint(c, &size) != KS_OK)
        return KS_ERR_CORRUPT_MESSAGE;
    if (size == -1 && null_ok) {
        *out = NULL;
        *size_out = 0;
        return KS_OK;
    }
    if (size < 0 || (uint32_t)size > c->end - c->position)
        return KS_ERR_CORRUPT_MESSAGE;
    *out = c->bytes + c->position;
    *size_out = (uint32_t)size;
    c->position += (uint32_t)size;
    return KS_OK;
}

/* Checks header_count headers and records where they lie. */
static enum ks_err rb_record_parse_headers(struct rb_cursor *c, struct rb_record *out)
{
    int32_t count = 0;
    if (rb_cursor_varint(c, &count) != KS_OK || count < 0 ||
        (uint32_t)count > (c->end - c->position) / RB_RECORD_HEADER_SIZE_MIN)
        return KS_ERR_CORRUPT_MESSAGE;
    out->header_count = (uint32_t)count;
    out->headers = c->bytes + c->position;
    uint32_t start = c->position;
    for (int32_t i = 0; i < count; i++) {
        struct rb_record_header h;
        if (rb_cursor_bytes(c, false, &h.key, &h.key_size) != KS_OK ||
            rb_cursor_bytes(c, true, &h.value, &h.value_size) != KS_OK)
            return KS_ERR_CORRUPT_MESSAGE;
    }
    out->headers_size = c->position - start;
    return KS_OK;
}

/*
 * Parses the record at *position_io of records[0..size): its length must fit, and its
 * fields must fill exactly that length (DefaultRecord.readFrom). Offsets and
 * timestamps are made absolute from the batch header.
 */
static enum ks_err rb_record_parse(const struct rb_batch_header *header, const uint8_t *records,
                                   uint32_t size, uint32_t *position_io, struct rb_record *out)
{
    struct rb_cursor outer = {records, *position_io, size};
    int32_t length = 0;
    if (rb_cursor_varint(&outer, &length) != KS_OK || length < 0 ||
        (uint32_t)length > outer.end - outer.position)
        return KS_ERR_CORRUPT_MESSAGE;
    struct rb_cursor c = {records, outer.position, outer.position + (uint32_t)length};
    if (c.position == c.end)
        return KS_ERR_CORRUPT_MESSAGE;
    out->attributes = (int8_t)records[c.position++];
    if (rb_cursor_varlong(&c, &out->timestamp_delta) != KS_OK ||
        rb_cursor_varint(&c, &out->offset_delta) != KS_OK ||
        rb_cursor_bytes(&c, true, &out->key, &out->key_size) != KS_OK ||
        rb_cursor_bytes(&c, true, &out->value, &out->value_size) != KS_OK ||
        rb_record_parse_headers(&c, out) != KS_OK)
        return KS_ERR_CORRUPT_MESSAGE;
    if (c.position != c.end)
        return KS_ERR_CORRUPT_MESSAGE; /* the length said more than the fields hold */
    out->offset = rb_add_wrap(header->base_offset, out->offset_delta);
    out->timestamp = rb_add_wrap(header->base_timestamp, out->timestamp_delta);
    if ((header->attributes & RB_ATTR_LOG_APPEND_TIME) != 0)
        out->timestamp = header->max_timestamp;
    *position_io = c.end;
    return KS_OK;
}

/* Walks every record once: framing, increasing deltas within lastOffsetDelta, count. */
static enum ks_err rb_decode_validate_records(const struct rb_batch *batch)
{
    const struct rb_batch_header *h = &batch->header;
    uint32_t count_max = batch->records_size_bytes / RB_RECORD_SIZE_MIN;
    if (h->records_count < 0 || (uint32_t)h->records_count > count_max)
        return KS_ERR_CORRUPT_MESSAGE;
    if ((h->attributes & RB_ATTR_CONTROL) != 0 && h->records_count > 1)
        return KS_ERR_CORRUPT_MESSAGE;
    uint32_t position = 0;
    int64_t delta_previous = -1;
    for (int32_t i = 0; i < h->records_count; i++) {
        struct rb_record r;
        if (rb_record_parse(h, batch->records, batch->records_size_bytes, &position, &r) != KS_OK)
            return KS_ERR_CORRUPT_MESSAGE;
        if (r.offset_delta <= delta_previous || r.offset_delta > h->last_offset_delta)
            return KS_ERR_CORRUPT_MESSAGE;
        delta_previous = r.offset_delta;
    }
    if (position != batch->records_size_bytes)
        return KS_ERR_CORRUPT_MESSAGE; /* bytes left after the last record */
    return KS_OK;
}

/* Points batch->records at the records, decompressing them if the codec says so. */
static enum ks_err rb_decode_records(const uint8_t *buf, struct rb_batch *batch)
{
    uint32_t codec = batch->header.attributes & RB_ATTR_COMPRESSION_MASK;
    const uint8_t *payload = buf + RB_HEADER_SIZE;
    uint32_t payload_size = batch->size_bytes - RB_HEADER_SIZE;
    if (codec == RB_COMPRESSION_NONE) {
        batch->records = payload;
        batch->records_size_bytes = payload_size;
        return KS_OK;
    }
    if (codec >= RB_COMPRESSION_COUNT || !rb_compression_supported(codec))
        return KS_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    uint8_t *out = NULL;
    size_t out_size = 0;
    enum ks_err err = compress_decode((enum compress_codec)codec, payload, payload_size,
                                      RB_DECOMPRESSED_SIZE_MAX, &out, &out_size);
    if (err == KS_ERR_UNSUPPORTED_COMPRESSION_TYPE)
        return err;
    if (err != KS_OK)
        return KS_ERR_CORRUPT_MESSAGE;
    KS_ASSERT(out_size <= RB_DECOMPRESSED_SIZE_MAX);
    batch->owned = out;
    batch->records = out;
    batch->records_size_bytes = (uint32_t)out_size;
    return KS_OK;
}

enum ks_err rb_decode(const uint8_t *buf, size_t size_bytes, struct rb_batch *out)
{
    KS_ASSERT(out != NULL);
    memset(out, 0, sizeof(*out));
    struct rb_scan scan;
    enum ks_err err = rb_scan(buf, size_bytes, &scan);
    if (err != KS_OK)
        return err;
    if (!scan.crc_valid)
        return KS_ERR_CORRUPT_MESSAGE;
    out->header = scan.header;
    out->size_bytes = scan.size_bytes;
    err = rb_decode_records(buf, out);
    if (err == KS_OK)
        err = rb_decode_validate_records(out);
    if (err != KS_OK)
        rb_batch_release(out);
    KS_ASSERT(err != KS_OK || out->size_bytes <= size_bytes);
    return err;
}

void rb_batch_release(struct rb_batch *batch)
{
    KS_ASSERT(batch != NULL);
    free(batch->owned);
    memset(batch, 0, sizeof(*batch));
}

void rb_iter_init(struct rb_iter *it, const struct rb_batch *batch)
{
    KS_ASSERT(batch != NULL);
    KS_ASSERT(batch->header.records_count >= 0);
    it->batch = batch;
    it->position = 0;
    it->index = 0;
}

bool rb_iter_next(struct rb_iter *it, struct rb_record *out)
{
    const struct rb_batch *b = it->batch;
    if (it->index >= b->header.records_count)
        return false;
    enum ks_err err =
        rb_record_parse(&b->header, b->records, b->records_size_bytes, &it->position, out);
    KS_ASSERT(err == KS_OK); /* rb_decode walked these very bytes */
    it->index++;
    KS_ASSERT(it->position <= b->records_size_bytes);
    return true;
}

bool rb_record_header_next(const struct rb_record *record, uint32_t *position_io,
                           struct rb_record_header *out)
{
    KS_ASSERT(*position_io <= record->headers_size);
    if (*position_io == record->headers_size)
        return false;
    struct rb_cursor c = {record->headers, *position_io, record->headers_size};
    enum ks_err err = rb_cursor_bytes(&c, false, &out->key, &out->key_size);
    if (err == KS_OK)
        err = rb_cursor_bytes(&c, true, &out->value, &out->value_size);
    KS_ASSERT(err == KS_OK); /* validated by rb_decode */
    *position_io = c.position;
    return true;
}

enum ks_err rb_control_type_decode(const struct rb_record *record, int16_t *type_out)
{
    KS_ASSERT(record != NULL);
    if (record->key == NULL || record->key_size < RB_CONTROL_KEY_SIZE)
        return KS_ERR_CORRUPT_MESSAGE;
    int16_t version = (int16_t)ks_be16_load(record->key);
    if (version < 0)
        return KS_ERR_CORRUPT_MESSAGE;
    *type_out = (int16_t)ks_be16_load(record->key + 2);
    return KS_OK;
}

enum ks_err rb_control_marker_decode(const struct rb_record *record, int32_t *coordinator_epoch_out)
{
    KS_ASSERT(record != NULL);
    if (record->value == NULL || record->value_size < RB_CONTROL_MARKER_SIZE)
        return KS_ERR_CORRUPT_MESSAGE;
    int16_t version = (int16_t)ks_be16_load(record->value);
    if (version < 0)
        return KS_ERR_CORRUPT_MESSAGE;
    *coordinator_epoch_out = (int32_t)ks_be32_load(record->value + 2);
    return KS_OK;
}

/* ---- Builder ----------------------------------------------------------------------- */

void rb_builder_init(struct rb_builder *b, enum rb_compression compression)
{
    KS_ASSERT(b != NULL);
    KS_ASSERT((unsigned)compression < RB_COMPRESSION_COUNT);
    memset(b, 0, sizeof(*b));
    b->compression = compression;
    b->partition_leader_epoch = RB_NO_PARTITION_LEADER_EPOCH;
    b->producer_id = RB_NO_PRODUCER_ID;
    b->producer_epoch = RB_NO_PRODUCER_EPOCH;
    b->base_sequence = RB_NO_SEQUENCE;
    b->base_timestamp = -1; /* RecordBatch.NO_TIMESTAMP until the first record */
    b->max_timestamp = -1;
    b->last_offset_delta = -1;
}

void rb_builder_release(struct rb_builder *b)
{
    KS_ASSERT(b != NULL);
    free(b->records);
    b->records = NULL;
    b->records_size_bytes = 0;
    b->records_capacity_bytes = 0;
}

void rb_builder_set_producer(struct rb_builder *b, int64_t producer_id, int16_t producer_epoch,
                             int32_t base_sequence)
{
    KS_ASSERT(b->records_count == 0 || b->producer_id == producer_id);
    b->producer_id = producer_id;
    b->producer_epoch = producer_epoch;
    b->base_sequence = base_sequence;
}

void rb_builder_set_flags(struct rb_builder *b, uint16_t flags)
{
    const uint16_t allowed =
        RB_ATTR_LOG_APPEND_TIME | RB_ATTR_TRANSACTIONAL | RB_ATTR_CONTROL | RB_ATTR_DELETE_HORIZON;
    KS_ASSERT((flags & ~allowed) == 0);
    KS_ASSERT((flags & RB_ATTR_CONTROL) == 0 || b->records_count <= 1);
    b->attributes = (uint16_t)(flags | (b->base_timestamp_fixed ? RB_ATTR_DELETE_HORIZON : 0u));
}

void rb_builder_set_last_offset_delta(struct rb_builder *b, int32_t last_offset_delta)
{
    KS_ASSERT(last_offset_delta >= b->last_offset_delta);
    KS_ASSERT(last_offset_delta >= 0);
    b->last_offset_delta = last_offset_delta;
}

/* The size of a record's body (everything after its length varint). */
static uint64_t rb_builder_body_size(int64_t timestamp_delta, int32_t offset_delta,
                                     const struct rb_record_input *r)
{
    uint64_t size = 1; /* attributes */
    size += varint_size_i64(timestamp_delta) + varint_size_i32(offset_delta);
    size += r->key == NULL ? 1 : varint_size_i32((int32_t)r->key_size) + (uint64_t)r->key_size;
    size +=
        r->value == NULL ? 1 : varint_size_i32((int32_t)r->value_size) + (uint64_t)r->value_size;
    size += varint_size_i32((int32_t)r->header_count);
    for (uint32_t i = 0; i < r->header_count; i++) {
        const struct rb_record_header *h = &r->headers[i];
        KS_ASSERT(h->key != NULL || h->key_size == 0); /* header keys are never null */
        size += varint_size_i32((int32_t)h->key_size) + (uint64_t)h->key_size;
        size += h->value == NULL ? 1 : varint_size_i32((int32_t)h->value_size) + h->value_size;
    }
    return size;
}

/* Grows the record buffer to hold more bytes, never past RB_DECOMPRESSED_SIZE_MAX. */
static enum ks_err rb_builder_reserve(struct rb_builder *b, uint64_t more)
{
    KS_ASSERT(b->records_size_bytes <= b->records_capacity_bytes);
    uint64_t need = (uint64_t)b->records_size_bytes + more;
    if (need > RB_DECOMPRESSED_SIZE_MAX)
        return KS_ERR_MESSAGE_TOO_LARGE;
    if (need <= b->records_capacity_bytes)
        return KS_OK;
    uint64_t capacity = b->records_capacity_bytes < RB_BUILDER_CAPACITY_MIN
                            ? RB_BUILDER_CAPACITY_MIN
                            : b->records_capacity_bytes;
    while (capacity < need) /* at most 32 doublings */
        capacity *= 2;
    if (capacity > RB_DECOMPRESSED_SIZE_MAX)
        capacity = RB_DECOMPRESSED_SIZE_MAX;
    b->records = ks_realloc(b->records, capacity);
    b->records_capacity_bytes = (uint32_t)capacity;
    return KS_OK;
}

static void rb_builder_put_varint(struct rb_builder *b, int32_t v)
{
    b->records_size_bytes += varint_put_i32(b->records + b->records_size_bytes, v);
}

static void rb_builder_put_bytes(struct rb_builder *b, const uint8_t *bytes, uint32_t size,
                                 bool is_null)
{
    if (is_null) {
        rb_builder_put_varint(b, -1);
        return;
    }
    rb_builder_put_varint(b, (int32_t)size);
    if (size > 0)
        memcpy(b->records + b->records_size_bytes, bytes, size);
    b->records_size_bytes += size;
}

/* Writes one record whose body size is known and whose room is reserved. */
static void rb_builder_put_record(struct rb_builder *b, int64_t timestamp_delta,
                                  int32_t offset_delta, const struct rb_record_input *r,
                                  uint32_t body_size)
{
    uint32_t start = b->records_size_bytes;
    rb_builder_put_varint(b, (int32_t)body_size);
    uint32_t body_start = b->records_size_bytes;
    b->records[b->records_size_bytes++] = 0; /* record attributes: unused */
    b->records_size_bytes += varint_put_i64(b->records + b->records_size_bytes, timestamp_delta);
    rb_builder_put_varint(b, offset_delta);
    rb_builder_put_bytes(b, r->key, r->key_size, r->key == NULL);
    rb_builder_put_bytes(b, r->value, r->value_size, r->value == NULL);
    rb_builder_put_varint(b, (int32_t)r->header_count);
    for (uint32_t i = 0; i < r->header_count; i++) {
        const struct rb_record_header *h = &r->headers[i];
        rb_builder_put_bytes(b, h->key, h->key_size, false);
        rb_builder_put_bytes(b, h->value, h->value_size, h->value == NULL);
    }
    KS_ASSERT(b->records_size_bytes - body_start == body_size);
    KS_ASSERT(b->records_size_bytes > start);
}

enum ks_err rb_builder_append_at(struct rb_builder *b, int32_t offset_delta,
                                 const struct rb_record_input *record)
{
    KS_ASSERT(offset_delta > b->last_offset_delta);
    KS_ASSERT(record->headers != NULL || record->header_count == 0);
    if (b->records_count >= (int32_t)RB_RECORDS_MAX)
        return KS_ERR_TOO_MANY;
    if ((b->attributes & RB_ATTR_CONTROL) != 0 && b->records_count >= 1)
        return KS_ERR_TOO_MANY; /* a control batch holds exactly one record */
    if (record->key_size > RB_DECOMPRESSED_SIZE_MAX ||
        record->value_size > RB_DECOMPRESSED_SIZE_MAX ||
        record->header_count > RB_DECOMPRESSED_SIZE_MAX / RB_RECORD_HEADER_SIZE_MIN)
        return KS_ERR_MESSAGE_TOO_LARGE;
    int64_t base =
        b->records_count == 0 && !b->base_timestamp_fixed ? record->timestamp : b->base_timestamp;
    int64_t timestamp_delta = (int64_t)((uint64_t)record->timestamp - (uint64_t)base);
    uint64_t body = rb_builder_body_size(timestamp_delta, offset_delta, record);
    if (body > RB_DECOMPRESSED_SIZE_MAX)
        return KS_ERR_MESSAGE_TOO_LARGE;
    enum ks_err err = rb_builder_reserve(b, body + VARINT32_SIZE_MAX);
    if (err != KS_OK)
        return err;
    rb_builder_put_record(b, timestamp_delta, offset_delta, record, (uint32_t)body);
    if (b->records_count == 0 || record->timestamp > b->max_timestamp)
        b->max_timestamp = record->timestamp;
    b->base_timestamp = base;
    b->records_count++;
    b->last_offset_delta = offset_delta;
    return KS_OK;
}

void rb_builder_set_delete_horizon(struct rb_builder *b, int64_t delete_horizon_ms)
{
    KS_ASSERT(b->records_count == 0);
    b->attributes |= RB_ATTR_DELETE_HORIZON;
    b->base_timestamp = delete_horizon_ms;
    b->base_timestamp_fixed = true;
}

enum ks_err rb_builder_append(struct rb_builder *b, const struct rb_record_input *record)
{
    KS_ASSERT(b->last_offset_delta < INT32_MAX);
    return rb_builder_append_at(b, b->last_offset_delta + 1, record);
}

enum ks_err rb_builder_append_marker(struct rb_builder *b, int64_t timestamp,
                                     enum rb_control_type type, int32_t coordinator_epoch)
{
    KS_ASSERT(type == RB_CONTROL_ABORT || type == RB_CONTROL_COMMIT);
    KS_ASSERT(b->compression == RB_COMPRESSION_NONE); /* markers are never compressed */
    if (b->records_count >= 1)
        return KS_ERR_TOO_MANY;
    uint8_t key[RB_CONTROL_KEY_SIZE];
    uint8_t value[RB_CONTROL_MARKER_SIZE];
    ks_be16_store(key, RB_CONTROL_VERSION);
    ks_be16_store(key + 2, (uint16_t)type);
    ks_be16_store(value, RB_CONTROL_VERSION);
    ks_be32_store(value + 2, (uint32_t)coordinator_epoch);
    b->attributes |= RB_ATTR_CONTROL;
    struct rb_record_input r = {
        .timestamp = timestamp,
        .key = key,
        .key_size = sizeof(key),
        .value = value,
        .value_size = sizeof(value),
    };
    return rb_builder_append(b, &r);
}

/* Writes the 61 header bytes, CRC left 0. */
static void rb_builder_put_header(const struct rb_builder *b, uint8_t *p, uint32_t batch_size)
{
    KS_ASSERT(batch_size >= RB_HEADER_SIZE);
    ks_be64_store(p + RB_BASE_OFFSET_OFFSET, (uint64_t)b->base_offset);
    ks_be32_store(p + RB_BATCH_LENGTH_OFFSET, batch_size - RB_LOG_OVERHEAD);
    ks_be32_store(p + RB_PARTITION_LEADER_EPOCH_OFFSET, (uint32_t)b->partition_leader_epoch);
    p[RB_MAGIC_OFFSET] = RB_MAGIC;
    ks_be32_store(p + RB_CRC_OFFSET, 0);
    ks_be16_store(p + RB_ATTRIBUTES_OFFSET, (uint16_t)(b->attributes | b->compression));
    int32_t last_offset_delta = b->last_offset_delta < 0 ? 0 : b->last_offset_delta;
    ks_be32_store(p + RB_LAST_OFFSET_DELTA_OFFSET, (uint32_t)last_offset_delta);
    ks_be64_store(p + RB_BASE_TIMESTAMP_OFFSET, (uint64_t)b->base_timestamp);
    ks_be64_store(p + RB_MAX_TIMESTAMP_OFFSET, (uint64_t)b->max_timestamp);
    ks_be64_store(p + RB_PRODUCER_ID_OFFSET, (uint64_t)b->producer_id);
    ks_be16_store(p + RB_PRODUCER_EPOCH_OFFSET, (uint16_t)b->producer_epoch);
    ks_be32_store(p + RB_BASE_SEQUENCE_OFFSET, (uint32_t)b->base_sequence);
    ks_be32_store(p + RB_RECORDS_COUNT_OFFSET, (uint32_t)b->records_count);
}

enum ks_err rb_builder_finish(struct rb_builder *b, uint8_t **bytes_out, uint32_t *size_out)
{
    KS_ASSERT(b->records_count >= 0);
    KS_ASSERT(b->records_size_bytes <= RB_DECOMPRESSED_SIZE_MAX);
    const uint8_t *payload = b->records;
    size_t payload_size = b->records_size_bytes;
    uint8_t *compressed = NULL;
    if (b->compression != RB_COMPRESSION_NONE) {
        enum ks_err err = compress_encode((enum compress_codec)b->compression, b->records,
                                          b->records_size_bytes, &compressed, &payload_size);
        if (err != KS_OK)
            return err;
        payload = compressed;
    }
    if (payload_size > RB_BATCH_SIZE_MAX - RB_HEADER_SIZE) {
        free(compressed);
        return KS_ERR_MESSAGE_TOO_LARGE;
    }
    uint32_t size = RB_HEADER_SIZE + (uint32_t)payload_size;
    uint8_t *bytes = ks_alloc(size);
    rb_builder_put_header(b, bytes, size);
    if (payload_size > 0)
        memcpy(bytes + RB_HEADER_SIZE, payload, payload_size);
    free(compressed);
    ks_be32_store(bytes + RB_CRC_OFFSET,
                  crc32c(bytes + RB_ATTRIBUTES_OFFSET, size - RB_ATTRIBUTES_OFFSET));
    *bytes_out = bytes;
    *size_out = size;
    return KS_OK;
}

/* ---- Re-stamping ------------------------------------------------------------------- */

enum ks_err rb_restamp(uint8_t *batch, size_t size_bytes, int64_t base_offset,
                       int32_t partition_leader_epoch)
{
    KS_ASSERT(batch != NULL);
    if (size_bytes < RB_HEADER_SIZE)
        return KS_ERR_TRUNCATED;
    ks_be64_store(batch + RB_BASE_OFFSET_OFFSET, (uint64_t)base_offset);
    ks_be32_store(batch + RB_PARTITION_LEADER_EPOCH_OFFSET, (uint32_t)partition_leader_epoch);
    return KS_OK;
}

enum ks_err rb_crc_update(uint8_t *batch, size_t size_bytes)
{
    struct rb_scan scan;
    enum ks_err err = rb_scan(batch, size_bytes, &scan);
    if (err != KS_OK)
        return err;
    KS_ASSERT(scan.size_bytes <= size_bytes);
    ks_be32_store(batch + RB_CRC_OFFSET, scan.crc_computed);
    return KS_OK;
}

enum ks_err rb_set_log_append_time(uint8_t *batch, size_t size_bytes, int64_t timestamp)
{
    struct rb_scan scan;
    enum ks_err err = rb_scan(batch, size_bytes, &scan);
    if (err != KS_OK)
        return err;
    uint16_t attributes = (uint16_t)(scan.header.attributes | RB_ATTR_LOG_APPEND_TIME);
    ks_be16_store(batch + RB_ATTRIBUTES_OFFSET, attributes);
    ks_be64_store(batch + RB_MAX_TIMESTAMP_OFFSET, (uint64_t)timestamp);
    return rb_crc_update(batch, size_bytes);
}
