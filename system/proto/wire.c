/*
 * wire.c: Kafka's wire primitives, read from a bounded span with a sticky error and
 * written into a growable buffer. Kafka: protocol.types.Type, ByteUtils (varints,
 * zig-zag), KIP-482 (compact strings, bytes and arrays; tagged fields).
 */
#include "system/proto/wire.h"

#include <stdlib.h>
#include <string.h>

/* First capacity of a writer's buffer. */
#define WIRE_WRITER_CAPACITY_MIN 256u

/* ---- views ---- */

struct wire_string wire_string_null(void)
{
    struct wire_string s = {NULL, -1};
    return s;
}

struct wire_string wire_string_from(const char *cstr)
{
    if (cstr == NULL)
        return wire_string_null();
    size_t n = strlen(cstr);
    KS_ASSERT(n <= INT32_MAX);
    struct wire_string s = {cstr, (int32_t)n};
    return s;
}

bool wire_string_is_null(struct wire_string s)
{
    return s.length < 0;
}

bool wire_string_equal(struct wire_string a, struct wire_string b)
{
    if (wire_string_is_null(a) || wire_string_is_null(b))
        return wire_string_is_null(a) && wire_string_is_null(b);
    if (a.length != b.length)
        return false;
    return a.length == 0 || memcmp(a.chars, b.chars, (size_t)a.length) == 0;
}

bool wire_string_equal_cstr(struct wire_string s, const char *cstr)
{
    return wire_string_equal(s, wire_string_from(cstr));
}

bool wire_uuid_is_zero(const struct wire_uuid *uuid)
{
    for (uint32_t i = 0; i < WIRE_UUID_SIZE; i++) {
        if (uuid->bytes[i] != 0)
            return false;
    }
    return true;
}

/* ---- reader ---- */

void wire_reader_init(struct wire_reader *r, const uint8_t *bytes, uint32_t size_bytes)
{
    KS_ASSERT(bytes != NULL || size_bytes == 0);
    r->bytes = bytes;
    r->size_bytes = size_bytes;
    r->offset = 0;
    r->err = KS_OK;
}

uint32_t wire_reader_remaining(const struct wire_reader *r)
{
    KS_ASSERT(r->offset <= r->size_bytes);
    return r->size_bytes - r->offset;
}

void wire_reader_fail(struct wire_reader *r, enum ks_err err)
{
    KS_ASSERT(err != KS_OK);
    if (r->err == KS_OK)
        r->err = err;
}

enum ks_err wire_reader_finish(const struct wire_reader *r)
{
    if (r->err != KS_OK)
        return r->err;
    return wire_reader_remaining(r) == 0 ? KS_OK : KS_ERR_INVALID;
}

/* Returns a pointer to the next n bytes and moves past them, or NULL (and fails). */
static const uint8_t *reader_take(struct wire_reader *r, uint32_t n)
{
    if (r->err != KS_OK)
        return NULL;
    if (wire_reader_remaining(r) < n) {
        wire_reader_fail(r, KS_ERR_TRUNCATED);
        return NULL;
    }
    const uint8_t *p = r->bytes + r->offset;
    r->offset += n;
    KS_ASSERT(r->offset <= r->size_bytes);
    return p;
}

int8_t wire_read_int8(struct wire_reader *r)
{
    const uint8_t *p = reader_take(r, 1);
    return p == NULL ? 0 : (int8_t)p[0];
}

int16_t wire_read_int16(struct wire_reader *r)
{
    return (int16_t)wire_read_uint16(r);
}

int32_t wire_read_int32(struct wire_reader *r)
{
    return (int32_t)wire_read_uint32(r);
}

int64_t wire_read_int64(struct wire_reader *r)
{
    const uint8_t *p = reader_take(r, 8);
    return p == NULL ? 0 : (int64_t)ks_be64_load(p);
}

uint16_t wire_read_uint16(struct wire_reader *r)
{
    const uint8_t *p = reader_take(r, 2);
    return p == NULL ? 0 : ks_be16_load(p);
}

uint32_t wire_read_uint32(struct wire_reader *r)
{
    const uint8_t *p = reader_take(r, 4);
    return p == NULL ? 0 : ks_be32_load(p);
}

bool wire_read_bool(struct wire_reader *r)
{
    return wire_read_int8(r) != 0; /* Kafka reads any non-zero byte as true */
}

double wire_read_float64(struct wire_reader *r)
{
    const uint8_t *p = reader_take(r, 8);
    if (p == NULL)
        return 0.0;
    uint64_t bits = ks_be64_load(p);
    double v;
    _Static_assert(sizeof(v) == sizeof(bits), "IEEE 754 binary64");
    memcpy(&v, &bits, sizeof(v));
    return v;
}

/*
 * An unsigned varint of at most size_max bytes. The last byte may only carry the bits
 * that still fit: bits_total is 32 or 64, so an overlong or overflowing encoding fails
 * with KS_ERR_INVALID instead of wrapping.
 */
static uint64_t reader_uvarint(struct wire_reader *r, uint32_t size_max, uint32_t bits_total)
{
    uint64_t value = 0;
    for (uint32_t i = 0; i < size_max; i++) {
        const uint8_t *p = reader_take(r, 1);
        if (p == NULL)
            return 0;
        uint32_t shift = 7 * i;
        uint64_t group = p[0] & 0x7fu;
        if (bits_total - shift < 7 && (group >> (bits_total - shift)) != 0) {
            wire_reader_fail(r, KS_ERR_INVALID);
            return 0;
        }
        value |= group << shift;
        if ((p[0] & 0x80u) == 0)
            return value;
    }
    wire_reader_fail(r, KS_ERR_INVALID); /* continuation bit on the last allowed byte */
    return 0;
}

uint32_t wire_read_uvarint(struct wire_reader *r)
{
    return (uint32_t)reader_uvarint(r, WIRE_UVARINT_SIZE_MAX, 32);
}

uint64_t wire_read_uvarlong(struct wire_reader *r)
{
    return reader_uvarint(r, WIRE_UVARLONG_SIZE_MAX, 64);
}

int32_t wire_read_varint(struct wire_reader *r)
{
    uint32_t u = wire_read_uvarint(r);
    return (int32_t)((u >> 1) ^ (0u - (u & 1u)));
}

int64_t wire_read_varlong(struct wire_reader *r)
{
    uint64_t u = wire_read_uvarlong(r);
    return (int64_t)((u >> 1) ^ (0u - (u & 1u)));
}

struct wire_uuid wire_read_uuid(struct wire_reader *r)
{
    struct wire_uuid uuid;
    wire_read_raw(r, uuid.bytes, WIRE_UUID_SIZE);
    return uuid;
}

void wire_read_raw(struct wire_reader *r, void *out, uint32_t n)
{
    const uint8_t *p = reader_take(r, n);
    if (p == NULL) {
        memset(out, 0, n);
        return;
    }
    memcpy(out, p, n);
}

/*
 * The body of a string or bytes field whose length was already read: length -1 is
 * null, which fails unless nullable; below -1 and above length_max is invalid.
 */
static const uint8_t *reader_span(struct wire_reader *r, int64_t length, uint32_t length_max,
                                  bool nullable)
{
    if (r->err != KS_OK)
        return NULL;
    if (length < -1 || length > (int64_t)length_max || (length == -1 && !nullable)) {
        wire_reader_fail(r, KS_ERR_INVALID);
        return NULL;
    }
    if (length == -1)
        return NULL;
    return reader_take(r, (uint32_t)length);
}

static struct wire_string reader_string(struct wire_reader *r, int64_t length, bool nullable)
{
    const uint8_t *p = reader_span(r, length, WIRE_STRING_LENGTH_MAX, nullable);
    if (p == NULL) {
        /* Null when the field said so; a failed read also yields null. */
        return r->err == KS_OK ? wire_string_null() : wire_string_from("");
    }
    struct wire_string s = {(const char *)p, (int32_t)length};
    return s;
}

struct wire_string wire_read_string(struct wire_reader *r)
{
    return reader_string(r, wire_read_int16(r), false);
}

struct wire_string wire_read_nullable_string(struct wire_reader *r)
{
    return reader_string(r, wire_read_int16(r), true);
}

struct wire_string wire_read_compact_string(struct wire_reader *r)
{
    return reader_string(r, (int64_t)wire_read_uvarint(r) - 1, false);
}

struct wire_string wire_read_compact_nullable_string(struct wire_reader *r)
{
    return reader_string(r, (int64_t)wire_read_uvarint(r) - 1, true);
}

struct wire_string wire_read_flex_string(struct wire_reader *r, bool flexible)
{
    return flexible ? wire_read_compact_string(r) : wire_read_string(r);
}

struct wire_string wire_read_flex_nullable_string(struct wire_reader *r, bool flexible)
{
    return flexible ? wire_read_compact_nullable_string(r) : wire_read_nullable_string(r);
}

static struct wire_bytes reader_bytes(struct wire_reader *r, int64_t size_bytes, bool nullable)
{
    const uint8_t *p = reader_span(r, size_bytes, WIRE_BYTES_SIZE_MAX, nullable);
    struct wire_bytes b = {p, (int32_t)size_bytes};
    if (p == NULL) {
        b.bytes = NULL;
        b.size_bytes = r->err == KS_OK ? -1 : 0;
    }
    return b;
}

struct wire_bytes wire_read_bytes(struct wire_reader *r)
{
    return reader_bytes(r, wire_read_int32(r), false);
}

struct wire_bytes wire_read_nullable_bytes(struct wire_reader *r)
{
    return reader_bytes(r, wire_read_int32(r), true);
}

struct wire_bytes wire_read_compact_bytes(struct wire_reader *r)
{
    return reader_bytes(r, (int64_t)wire_read_uvarint(r) - 1, false);
}

struct wire_bytes wire_read_compact_nullable_bytes(struct wire_reader *r)
{
    return reader_bytes(r, (int64_t)wire_read_uvarint(r) - 1, true);
}

struct wire_bytes wire_read_flex_bytes(struct wire_reader *r, bool flexible)
{
    return flexible ? wire_read_compact_bytes(r) : wire_read_bytes(r);
}

/* Checks an array count already read: -1 is null, the rest must fit the input. */
static int32_t reader_count(struct wire_reader *r, int64_t count, bool nullable,
                            uint32_t element_size_min)
{
    KS_ASSERT(element_size_min >= 1);
    if (r->err != KS_OK)
        return 0;
    if (count < -1 || (count == -1 && !nullable)) {
        wire_reader_fail(r, KS_ERR_INVALID);
        return 0;
    }
    if (count > (int64_t)WIRE_ARRAY_COUNT_MAX) {
        wire_reader_fail(r, KS_ERR_TOO_MANY);
        return 0;
    }
    if (count > 0 && (uint64_t)count * element_size_min > wire_reader_remaining(r)) {
        wire_reader_fail(r, KS_ERR_TRUNCATED);
        return 0;
    }
    return (int32_t)count;
}

int32_t wire_read_array_count(struct wire_reader *r, uint32_t element_size_min)
{
    return reader_count(r, wire_read_int32(r), false, element_size_min);
}

int32_t wire_read_nullable_array_count(struct wire_reader *r, uint32_t element_size_min)
{
    return reader_count(r, wire_read_int32(r), true, element_size_min);
}

int32_t wire_read_compact_array_count(struct wire_reader *r, uint32_t element_size_min)
{
    return reader_count(r, (int64_t)wire_read_uvarint(r) - 1, false, element_size_min);
}

int32_t wire_read_compact_nullable_array_count(struct wire_reader *r, uint32_t element_size_min)
{
    return reader_count(r, (int64_t)wire_read_uvarint(r) - 1, true, element_size_min);
}

int32_t wire_read_flex_array_count(struct wire_reader *r, bool flexible, uint32_t element_size_min)
{
    return flexible ? wire_read_compact_array_count(r, element_size_min)
                    : wire_read_array_count(r, element_size_min);
}

int32_t wire_read_flex_nullable_array_count(struct wire_reader *r, bool flexible,
                                            uint32_t element_size_min)
{
    return flexible ? wire_read_compact_nullable_array_count(r, element_size_min)
                    : wire_read_nullable_array_count(r, element_size_min);
}

/* ---- tagged fields ---- */

void wire_read_tags_begin(struct wire_reader *r, struct wire_tags *tags)
{
    tags->count = wire_read_uvarint(r);
    tags->index = 0;
    tags->tag_prev = -1;
    /* Each field takes at least two bytes: its tag and its size. */
    if (tags->count > WIRE_TAGGED_FIELDS_MAX)
        wire_reader_fail(r, KS_ERR_TOO_MANY);
    else if ((uint64_t)tags->count * 2 > wire_reader_remaining(r))
        wire_reader_fail(r, KS_ERR_TRUNCATED);
    if (r->err != KS_OK)
        tags->count = 0;
}

bool wire_read_tags_next(struct wire_reader *r, struct wire_tags *tags, uint32_t *tag,
                         struct wire_reader *field)
{
    KS_ASSERT(tags->index <= tags->count);
    wire_reader_init(field, NULL, 0);
    *tag = 0;
    if (r->err != KS_OK || tags->index == tags->count)
        return false;
    uint32_t tag_read = wire_read_uvarint(r);
    uint32_t size_bytes = wire_read_uvarint(r);
    if (r->err == KS_OK && (int64_t)tag_read <= tags->tag_prev)
        wire_reader_fail(r, KS_ERR_INVALID); /* tags ascend strictly */
    const uint8_t *p = reader_take(r, size_bytes);
    if (p == NULL)
        return false;
    wire_reader_init(field, p, size_bytes);
    tags->tag_prev = tag_read;
    tags->index++;
    *tag = tag_read;
    return true;
}

void wire_read_tag_end(struct wire_reader *r, const struct wire_reader *field)
{
    enum ks_err err = wire_reader_finish(field);
    if (err != KS_OK)
        wire_reader_fail(r, err == KS_ERR_TRUNCATED ? KS_ERR_INVALID : err);
}

void wire_skip_tagged_fields(struct wire_reader *r)
{
    struct wire_tags tags;
    struct wire_reader field;
    uint32_t tag;
    wire_read_tags_begin(r, &tags);
    while (wire_read_tags_next(r, &tags, &tag, &field)) {
        /* Unknown to us: skipped, as Kafka does. Bounded by tags.count. */
    }
}

/* ---- writer ---- */

void wire_writer_init(struct wire_writer *w)
{
    w->bytes = NULL;
    w->size_bytes = 0;
    w->capacity_bytes = 0;
    w->err = KS_OK;
}

void wire_writer_free(struct wire_writer *w)
{
    free(w->bytes);
    wire_writer_init(w);
}

void wire_writer_reset(struct wire_writer *w)
{
    KS_ASSERT(w->size_bytes <= w->capacity_bytes);
    w->size_bytes = 0;
    w->err = KS_OK;
}

uint8_t *wire_writer_release(struct wire_writer *w, uint32_t *size_bytes)
{
    uint8_t *bytes = w->bytes;
    *size_bytes = w->size_bytes;
    wire_writer_init(w);
    return bytes;
}

/* Returns room for n more bytes and counts them written, or NULL (and fails). */
static uint8_t *writer_take(struct wire_writer *w, uint32_t n)
{
    if (w->err != KS_OK)
        return NULL;
    if ((uint64_t)w->size_bytes + n > WIRE_WRITER_SIZE_MAX) {
        w->err = KS_ERR_TOO_MANY;
        return NULL;
    }
    uint32_t need = w->size_bytes + n;
    if (need > w->capacity_bytes) {
        uint64_t capacity = w->capacity_bytes < WIRE_WRITER_CAPACITY_MIN
                                ? WIRE_WRITER_CAPACITY_MIN
                                : (uint64_t)w->capacity_bytes * 2;
        while (capacity < need)
            capacity *= 2; /* at most 32 doublings */
        if (capacity > WIRE_WRITER_SIZE_MAX)
            capacity = WIRE_WRITER_SIZE_MAX;
        w->bytes = ks_realloc(w->bytes, (size_t)capacity);
        w->capacity_bytes = (uint32_t)capacity;
    }
    uint8_t *p = w->bytes + w->size_bytes;
    w->size_bytes = need;
    KS_ASSERT(w->size_bytes <= w->capacity_bytes);
    return p;
}

void wire_writer_fail(struct wire_writer *w, enum ks_err err)
{
    KS_ASSERT(err != KS_OK);
    if (w->err == KS_OK)
        w->err = err;
}

void wire_write_int8(struct wire_writer *w, int8_t v)
{
    uint8_t *p = writer_take(w, 1);
    if (p != NULL)
        p[0] = (uint8_t)v;
}

void wire_write_int16(struct wire_writer *w, int16_t v)
{
    wire_write_uint16(w, (uint16_t)v);
}

void wire_write_int32(struct wire_writer *w, int32_t v)
{
    wire_write_uint32(w, (uint32_t)v);
}

void wire_write_int64(struct wire_writer *w, int64_t v)
{
    uint8_t *p = writer_take(w, 8);
    if (p != NULL)
        ks_be64_store(p, (uint64_t)v);
}

void wire_write_uint16(struct wire_writer *w, uint16_t v)
{
    uint8_t *p = writer_take(w, 2);
    if (p != NULL)
        ks_be16_store(p, v);
}

void wire_write_uint32(struct wire_writer *w, uint32_t v)
{
    uint8_t *p = writer_take(w, 4);
    if (p != NULL)
        ks_be32_store(p, v);
}

void wire_write_bool(struct wire_writer *w, bool v)
{
    wire_write_int8(w, v ? 1 : 0);
}

void wire_write_float64(struct wire_writer *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    uint8_t *p = writer_take(w, 8);
    if (p != NULL)
        ks_be64_store(p, bits);
}

void wire_write_uvarlong(struct wire_writer *w, uint64_t v)
{
    uint8_t buf[WIRE_UVARLONG_SIZE_MAX];
    uint32_t n = 0;
    while (v >= 0x80u) {
        KS_ASSERT(n < WIRE_UVARLONG_SIZE_MAX - 1);
        buf[n++] = (uint8_t)(v | 0x80u);
        v >>= 7;
    }
    buf[n++] = (uint8_t)v;
    wire_write_raw(w, buf, n);
}

void wire_write_uvarint(struct wire_writer *w, uint32_t v)
{
    wire_write_uvarlong(w, v);
}

void wire_write_varint(struct wire_writer *w, int32_t v)
{
    uint32_t u = (uint32_t)v;
    wire_write_uvarint(w, (u << 1) ^ (0u - (u >> 31)));
}

void wire_write_varlong(struct wire_writer *w, int64_t v)
{
    uint64_t u = (uint64_t)v;
    wire_write_uvarlong(w, (u << 1) ^ (0u - (u >> 63)));
}

void wire_write_uuid(struct wire_writer *w, const struct wire_uuid *uuid)
{
    wire_write_raw(w, uuid->bytes, WIRE_UUID_SIZE);
}

void wire_write_raw(struct wire_writer *w, const void *bytes, uint32_t n)
{
    if (n == 0)
        return;
    uint8_t *p = writer_take(w, n);
    if (p != NULL)
        memcpy(p, bytes, n);
}

/* Whether a string may be written: null only where nullable, length within the limit. */
static bool writer_string_ok(struct wire_writer *w, struct wire_string s, bool nullable)
{
    if ((wire_string_is_null(s) && !nullable) || s.length > (int32_t)WIRE_STRING_LENGTH_MAX) {
        wire_writer_fail(w, KS_ERR_INVALID);
        return false;
    }
    return true;
}

static void writer_string(struct wire_writer *w, struct wire_string s, bool nullable, bool compact)
{
    if (!writer_string_ok(w, s, nullable))
        return;
    int32_t length = wire_string_is_null(s) ? -1 : s.length;
    if (compact)
        wire_write_uvarint(w, (uint32_t)(length + 1));
    else
        wire_write_int16(w, (int16_t)length);
    if (length > 0)
        wire_write_raw(w, s.chars, (uint32_t)length);
}

void wire_write_string(struct wire_writer *w, struct wire_string s)
{
    writer_string(w, s, false, false);
}

void wire_write_nullable_string(struct wire_writer *w, struct wire_string s)
{
    writer_string(w, s, true, false);
}

void wire_write_compact_string(struct wire_writer *w, struct wire_string s)
{
    writer_string(w, s, false, true);
}

void wire_write_compact_nullable_string(struct wire_writer *w, struct wire_string s)
{
    writer_string(w, s, true, true);
}

void wire_write_flex_string(struct wire_writer *w, bool flexible, struct wire_string s)
{
    writer_string(w, s, false, flexible);
}

void wire_write_flex_nullable_string(struct wire_writer *w, bool flexible, struct wire_string s)
{
    writer_string(w, s, true, flexible);
}

static void writer_bytes(struct wire_writer *w, struct wire_bytes b, bool nullable, bool compact)
{
    if ((b.size_bytes < 0 && !nullable) || b.size_bytes > (int64_t)WIRE_BYTES_SIZE_MAX) {
        wire_writer_fail(w, KS_ERR_INVALID);
        return;
    }
    int32_t size_bytes = b.size_bytes < 0 ? -1 : b.size_bytes;
    if (compact)
        wire_write_uvarint(w, (uint32_t)(size_bytes + 1));
    else
        wire_write_int32(w, size_bytes);
    if (size_bytes > 0)
        wire_write_raw(w, b.bytes, (uint32_t)size_bytes);
}

void wire_write_bytes(struct wire_writer *w, struct wire_bytes b)
{
    writer_bytes(w, b, false, false);
}

void wire_write_nullable_bytes(struct wire_writer *w, struct wire_bytes b)
{
    writer_bytes(w, b, true, false);
}

void wire_write_compact_bytes(struct wire_writer *w, struct wire_bytes b)
{
    writer_bytes(w, b, false, true);
}

void wire_write_compact_nullable_bytes(struct wire_writer *w, struct wire_bytes b)
{
    writer_bytes(w, b, true, true);
}

void wire_write_flex_bytes(struct wire_writer *w, bool flexible, struct wire_bytes b)
{
    writer_bytes(w, b, false, flexible);
}

static void writer_count(struct wire_writer *w, int32_t count, bool nullable, bool compact)
{
    if (count < -1 || (count == -1 && !nullable)) {
        wire_writer_fail(w, KS_ERR_INVALID);
        return;
    }
    if (compact)
        wire_write_uvarint(w, (uint32_t)(count + 1));
    else
        wire_write_int32(w, count);
}

void wire_write_array_count(struct wire_writer *w, int32_t count)
{
    writer_count(w, count, false, false);
}

void wire_write_nullable_array_count(struct wire_writer *w, int32_t count)
{
    writer_count(w, count, true, false);
}

void wire_write_compact_array_count(struct wire_writer *w, int32_t count)
{
    writer_count(w, count, false, true);
}

void wire_write_compact_nullable_array_count(struct wire_writer *w, int32_t count)
{
    writer_count(w, count, true, true);
}

void wire_write_flex_array_count(struct wire_writer *w, bool flexible, int32_t count)
{
    writer_count(w, count, false, flexible);
}

void wire_write_flex_nullable_array_count(struct wire_writer *w, bool flexible, int32_t count)
{
    writer_count(w, count, true, flexible);
}

void wire_write_empty_tagged_fields(struct wire_writer *w)
{
    wire_write_uvarint(w, 0);
}

void wire_write_tagged_field(struct wire_writer *w, uint32_t tag, const struct wire_writer *field)
{
    if (field->err != KS_OK) {
        wire_writer_fail(w, field->err);
        return;
    }
    wire_write_uvarint(w, tag);
    wire_write_uvarint(w, field->size_bytes);
    wire_write_raw(w, field->bytes, field->size_bytes);
}

uint32_t wire_write_reserve_int32(struct wire_writer *w)
{
    uint32_t offset = w->size_bytes;
    wire_write_int32(w, 0);
    return offset;
}

void wire_write_patch_int32(struct wire_writer *w, uint32_t offset, int32_t v)
{
    if (w->err != KS_OK)
        return;
    KS_ASSERT(offset <= w->size_bytes);
    KS_ASSERT(w->size_bytes - offset >= 4);
    ks_be32_store(w->bytes + offset, (uint32_t)v);
}

int32_t wire_read_flex_array_count_max(struct wire_reader *r, bool flexible,
                                       uint32_t element_size_min, uint32_t max)
{
    int32_t count = wire_read_flex_array_count(r, flexible, element_size_min);
    if (count > 0 && (uint32_t)count > max) {
        wire_reader_fail(r, KS_ERR_TOO_MANY);
        return 0;
    }
    return count;
}

void *wire_array_alloc(int32_t count, size_t element_size)
{
    KS_ASSERT(count >= 0);
    KS_ASSERT((uint32_t)count <= WIRE_ARRAY_COUNT_MAX);
    return ks_alloc((size_t)count * element_size);
}
