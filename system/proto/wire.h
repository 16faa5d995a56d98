/*
 * wire.h: the primitive types of Kafka's wire protocol, read from a bounded byte span
 * and written into a growable buffer. Kafka: org.apache.kafka.common.protocol.types
 * (Type, ByteBufferAccessor, ByteUtils varints), KIP-482 (compact types, tagged fields).
 *
 * Reading never trusts the input. The reader carries a sticky error: once a read fails
 * (input ended: KS_ERR_TRUNCATED; malformed: KS_ERR_INVALID; a named limit passed:
 * KS_ERR_TOO_MANY), every later read returns zero values and the reader keeps the
 * first error. A decoder reads its fields in wire order without checking each one and
 * calls wire_reader_finish() once at the end.
 *
 * Strings and bytes are returned as views into the reader's input, never copied: keep
 * the input alive while the views are used. The writer owns its buffer; it has the same
 * sticky error, set when a value cannot be encoded (a string too long for its length
 * prefix, a null where the field is not nullable, the buffer past WIRE_WRITER_SIZE_MAX).
 */
#ifndef KS_PROTO_WIRE_H
#define KS_PROTO_WIRE_H

#include "system/ks.h"

/* Longest string, classic or compact: Kafka rejects lengths above Short.MAX_VALUE. */
#define WIRE_STRING_LENGTH_MAX 32767u
/* Largest bytes field; anything larger cannot come inside a frame anyway. */
#define WIRE_BYTES_SIZE_MAX 1073741824u
/* Most elements in one array; also never more than the bytes left to read. */
#define WIRE_ARRAY_COUNT_MAX 16777216u
/* Most tagged fields in one tag section. */
#define WIRE_TAGGED_FIELDS_MAX 1024u
/* Largest buffer a writer grows to. */
#define WIRE_WRITER_SIZE_MAX 1073741824u
/* Bytes in an unsigned varint of 32 bits and of 64 bits, at most. */
#define WIRE_UVARINT_SIZE_MAX 5u
#define WIRE_UVARLONG_SIZE_MAX 10u
#define WIRE_UUID_SIZE 16u

/* A string view: chars points into the input (or the caller's memory); length -1 is null. */
struct wire_string {
    const char *chars;
    int32_t length;
};

/* A bytes view: size_bytes -1 is null. */
struct wire_bytes {
    const uint8_t *bytes;
    int32_t size_bytes;
};

/* Kafka's Uuid: 16 bytes, most significant half first. All zero is Uuid.ZERO_UUID. */
struct wire_uuid {
    uint8_t bytes[WIRE_UUID_SIZE];
};

struct wire_reader {
    const uint8_t *bytes; /* borrowed input */
    uint32_t size_bytes;
    uint32_t offset; /* next byte to read; <= size_bytes */
    enum ks_err err; /* first failure, sticky */
};

struct wire_writer {
    uint8_t *bytes; /* owned, NULL until the first write */
    uint32_t size_bytes;
    uint32_t capacity_bytes;
    enum ks_err err; /* first failure, sticky */
};

/* Tag section walk: see wire_read_tags_begin(). */
struct wire_tags {
    uint32_t count;
    uint32_t index;
    int64_t tag_prev; /* -1 before the first tag */
};

/* String helpers. */
struct wire_string wire_string_null(void);
struct wire_string wire_string_from(const char *cstr); /* NULL gives a null string */
bool wire_string_is_null(struct wire_string s);
bool wire_string_equal(struct wire_string a, struct wire_string b); /* null equals only null */
bool wire_string_equal_cstr(struct wire_string s, const char *cstr);
bool wire_uuid_is_zero(const struct wire_uuid *uuid);

/* Reader. Borrows bytes. */
void wire_reader_init(struct wire_reader *r, const uint8_t *bytes, uint32_t size_bytes);
uint32_t wire_reader_remaining(const struct wire_reader *r);
/* Marks the reader failed (first error wins). */
void wire_reader_fail(struct wire_reader *r, enum ks_err err);
/* The sticky error, or KS_ERR_INVALID when bytes are left over: the end of a decode. */
KS_MUST_CHECK enum ks_err wire_reader_finish(const struct wire_reader *r);

int8_t wire_read_int8(struct wire_reader *r);
int16_t wire_read_int16(struct wire_reader *r);
int32_t wire_read_int32(struct wire_reader *r);
int64_t wire_read_int64(struct wire_reader *r);
uint16_t wire_read_uint16(struct wire_reader *r);
uint32_t wire_read_uint32(struct wire_reader *r);
bool wire_read_bool(struct wire_reader *r);
double wire_read_float64(struct wire_reader *r); /* transport only, never a decision */
uint32_t wire_read_uvarint(struct wire_reader *r);
uint64_t wire_read_uvarlong(struct wire_reader *r);
int32_t wire_read_varint(struct wire_reader *r);  /* zig-zag */
int64_t wire_read_varlong(struct wire_reader *r); /* zig-zag */
struct wire_uuid wire_read_uuid(struct wire_reader *r);
/* Copies n raw bytes; on failure zeroes out. */
void wire_read_raw(struct wire_reader *r, void *out, uint32_t n);

/* Strings: the non-nullable forms fail with KS_ERR_INVALID on null. */
struct wire_string wire_read_string(struct wire_reader *r);
struct wire_string wire_read_nullable_string(struct wire_reader *r);
struct wire_string wire_read_compact_string(struct wire_reader *r);
struct wire_string wire_read_compact_nullable_string(struct wire_reader *r);
/* Compact when flexible, classic otherwise. */
struct wire_string wire_read_flex_string(struct wire_reader *r, bool flexible);
struct wire_string wire_read_flex_nullable_string(struct wire_reader *r, bool flexible);

struct wire_bytes wire_read_bytes(struct wire_reader *r);
struct wire_bytes wire_read_nullable_bytes(struct wire_reader *r);
struct wire_bytes wire_read_compact_bytes(struct wire_reader *r);
struct wire_bytes wire_read_compact_nullable_bytes(struct wire_reader *r);
struct wire_bytes wire_read_flex_bytes(struct wire_reader *r, bool flexible);

/*
 * Array lengths. Return the element count, or -1 for null in the nullable forms. Each
 * element takes at least element_size_min bytes (>= 1) on the wire, so a count the
 * remaining input cannot hold fails with KS_ERR_TRUNCATED before anything is allocated.
 */
int32_t wire_read_array_count(struct wire_reader *r, uint32_t element_size_min);
int32_t wire_read_nullable_array_count(struct wire_reader *r, uint32_t element_size_min);
int32_t wire_read_compact_array_count(struct wire_reader *r, uint32_t element_size_min);
int32_t wire_read_compact_nullable_array_count(struct wire_reader *r, uint32_t element_size_min);
int32_t wire_read_flex_array_count(struct wire_reader *r, bool flexible, uint32_t element_size_min);
/* As wire_read_flex_array_count, also bounded by max: a larger count fails the reader
 * with KS_ERR_TOO_MANY (sticky) and reads as 0. */
int32_t wire_read_flex_array_count_max(struct wire_reader *r, bool flexible,
                                       uint32_t element_size_min, uint32_t max);
/* Zeroed room for a decoded array of count elements (count checked by the reader,
 * so <= WIRE_ARRAY_COUNT_MAX); never NULL, even for 0. */
void *wire_array_alloc(int32_t count, size_t element_size);
int32_t wire_read_flex_nullable_array_count(struct wire_reader *r, bool flexible,
                                            uint32_t element_size_min);

/*
 * Tagged fields. Walk a section with begin, then next until it returns false; next gives
 * each field's tag and a reader over exactly its bytes, and moves r past them. Tags must
 * ascend strictly. After decoding a known field, wire_read_tag_end() passes its error
 * (or leftover bytes) back to r. wire_skip_tagged_fields() skips a whole section.
 */
void wire_read_tags_begin(struct wire_reader *r, struct wire_tags *tags);
bool wire_read_tags_next(struct wire_reader *r, struct wire_tags *tags, uint32_t *tag,
                         struct wire_reader *field);
void wire_read_tag_end(struct wire_reader *r, const struct wire_reader *field);
void wire_skip_tagged_fields(struct wire_reader *r);

/* Writer. Owns its buffer; wire_writer_free() releases it. */
void wire_writer_init(struct wire_writer *w);
void wire_writer_free(struct wire_writer *w);
void wire_writer_reset(struct wire_writer *w); /* empty again, keeps capacity, clears err */
/* Marks the writer failed (first error wins): a value the version cannot carry. */
void wire_writer_fail(struct wire_writer *w, enum ks_err err);
/* Hands the buffer to the caller (free() it); the writer is empty again. */
uint8_t *wire_writer_release(struct wire_writer *w, uint32_t *size_bytes);

void wire_write_int8(struct wire_writer *w, int8_t v);
void wire_write_int16(struct wire_writer *w, int16_t v);
void wire_write_int32(struct wire_writer *w, int32_t v);
void wire_write_int64(struct wire_writer *w, int64_t v);
void wire_write_uint16(struct wire_writer *w, uint16_t v);
void wire_write_uint32(struct wire_writer *w, uint32_t v);
void wire_write_bool(struct wire_writer *w, bool v);
void wire_write_float64(struct wire_writer *w, double v);
void wire_write_uvarint(struct wire_writer *w, uint32_t v);
void wire_write_uvarlong(struct wire_writer *w, uint64_t v);
void wire_write_varint(struct wire_writer *w, int32_t v);
void wire_write_varlong(struct wire_writer *w, int64_t v);
void wire_write_uuid(struct wire_writer *w, const struct wire_uuid *uuid);
void wire_write_raw(struct wire_writer *w, const void *bytes, uint32_t n);

void wire_write_string(struct wire_writer *w, struct wire_string s);
void wire_write_nullable_string(struct wire_writer *w, struct wire_string s);
void wire_write_compact_string(struct wire_writer *w, struct wire_string s);
void wire_write_compact_nullable_string(struct wire_writer *w, struct wire_string s);
void wire_write_flex_string(struct wire_writer *w, bool flexible, struct wire_string s);
void wire_write_flex_nullable_string(struct wire_writer *w, bool flexible, struct wire_string s);

void wire_write_bytes(struct wire_writer *w, struct wire_bytes b);
void wire_write_nullable_bytes(struct wire_writer *w, struct wire_bytes b);
void wire_write_compact_bytes(struct wire_writer *w, struct wire_bytes b);
void wire_write_compact_nullable_bytes(struct wire_writer *w, struct wire_bytes b);
void wire_write_flex_bytes(struct wire_writer *w, bool flexible, struct wire_bytes b);

/* Array lengths; count -1 writes null (only in the nullable forms). */
void wire_write_array_count(struct wire_writer *w, int32_t count);
void wire_write_nullable_array_count(struct wire_writer *w, int32_t count);
void wire_write_compact_array_count(struct wire_writer *w, int32_t count);
void wire_write_compact_nullable_array_count(struct wire_writer *w, int32_t count);
void wire_write_flex_array_count(struct wire_writer *w, bool flexible, int32_t count);
void wire_write_flex_nullable_array_count(struct wire_writer *w, bool flexible, int32_t count);

/* An empty tag section (count 0), what most structs end with. */
void wire_write_empty_tagged_fields(struct wire_writer *w);
/* One tagged field: tag, then size, then the field's bytes (already encoded). */
void wire_write_tagged_field(struct wire_writer *w, uint32_t tag, const struct wire_writer *field);

/* Reserves an int32 to fill in later (a size prefix); returns its offset. */
uint32_t wire_write_reserve_int32(struct wire_writer *w);
void wire_write_patch_int32(struct wire_writer *w, uint32_t offset, int32_t v);

#endif
