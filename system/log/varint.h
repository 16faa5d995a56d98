/*
 * varint.h: the variable-length integers of RecordBatch v2 records and of flexible
 * protocol versions. Kafka: org.apache.kafka.common.utils.ByteUtils (readVarint,
 * readVarlong, readUnsignedVarint; KIP-98 records, KIP-482 tagged fields).
 *
 * Unsigned varints are 7-bit groups, low group first, high bit = more follows; at
 * most 5 bytes for 32 bits and 10 for 64. Signed ones are zig-zag encoded first
 * ((n << 1) ^ (n >> 31), 63 for 64 bits): 0 -> 00, -1 -> 01, 1 -> 02, 64 -> 80 01.
 *
 * Readers are bounded by the input size and never read past it. They accept
 * non-minimal encodings within the size limit (as Kafka does) but reject an encoding
 * longer than the limit or one whose last byte carries bits beyond the integer's
 * width. Pure functions, no state.
 */
#ifndef KS_LOG_VARINT_H
#define KS_LOG_VARINT_H

#include "system/ks.h"

#define VARINT32_SIZE_MAX 5u  /* bytes of a 32-bit varint at most */
#define VARINT64_SIZE_MAX 10u /* bytes of a 64-bit varint at most */

/* Zig-zag mapping between signed and unsigned. */
static inline uint32_t varint_zigzag32(int32_t v)
{
    return ((uint32_t)v << 1) ^ (uint32_t)(0 - ((uint32_t)v >> 31));
}
static inline uint64_t varint_zigzag64(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(0 - ((uint64_t)v >> 63));
}
static inline int32_t varint_unzigzag32(uint32_t u)
{
    return (int32_t)((u >> 1) ^ (0u - (u & 1u)));
}
static inline int64_t varint_unzigzag64(uint64_t u)
{
    return (int64_t)((u >> 1) ^ (0ull - (u & 1ull)));
}

/* Encoded sizes in bytes. */
uint32_t varint_size_u32(uint32_t v);
uint32_t varint_size_u64(uint64_t v);
uint32_t varint_size_i32(int32_t v);
uint32_t varint_size_i64(int64_t v);

/*
 * Writers: buf must hold VARINT32_SIZE_MAX (VARINT64_SIZE_MAX) bytes, or at least the
 * size the matching varint_size_ function reports. Return the bytes written.
 */
uint32_t varint_put_u32(uint8_t *buf, uint32_t v);
uint32_t varint_put_u64(uint8_t *buf, uint64_t v);
uint32_t varint_put_i32(uint8_t *buf, int32_t v);
uint32_t varint_put_i64(uint8_t *buf, int64_t v);

/*
 * Readers: decode one varint from buf[0..size_bytes) into *out and its length into
 * *used_out. Errors: KS_ERR_TRUNCATED when the input ends inside the varint,
 * KS_ERR_INVALID when it is longer than the limit or overflows the width. On error
 * the outputs are untouched.
 */
KS_MUST_CHECK enum ks_err varint_get_u32(const uint8_t *buf, size_t size_bytes, uint32_t *out,
                                         uint32_t *used_out);
KS_MUST_CHECK enum ks_err varint_get_u64(const uint8_t *buf, size_t size_bytes, uint64_t *out,
                                         uint32_t *used_out);
KS_MUST_CHECK enum ks_err varint_get_i32(const uint8_t *buf, size_t size_bytes, int32_t *out,
                                         uint32_t *used_out);
KS_MUST_CHECK enum ks_err varint_get_i64(const uint8_t *buf, size_t size_bytes, int64_t *out,
                                         uint32_t *used_out);

#endif
