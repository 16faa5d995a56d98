/*
 * varint.c: unsigned and zig-zag varints of RecordBatch v2 records. Kafka:
 * org.apache.kafka.common.utils.ByteUtils. See varint.h for the format and the
 * rules on overlong input.
 */
#include "system/log/varint.h"

#define VARINT_GROUP_BITS 7u
#define VARINT_MORE 0x80u
#define VARINT_GROUP_MASK 0x7fu

_Static_assert(VARINT32_SIZE_MAX *VARINT_GROUP_BITS >= 32, "5 groups hold 32 bits");
_Static_assert(VARINT64_SIZE_MAX *VARINT_GROUP_BITS >= 64, "10 groups hold 64 bits");

uint32_t varint_size_u64(uint64_t v)
{
    uint32_t size = 1;
    while (v >= VARINT_MORE) {
        v >>= VARINT_GROUP_BITS;
        size++;
    }
    KS_ASSERT(size <= VARINT64_SIZE_MAX);
    return size;
}

uint32_t varint_size_u32(uint32_t v)
{
    uint32_t size = varint_size_u64(v);
    KS_ASSERT(size <= VARINT32_SIZE_MAX);
    return size;
}

uint32_t varint_size_i32(int32_t v)
{
    return varint_size_u32(varint_zigzag32(v));
}
uint32_t varint_size_i64(int64_t v)
{
    return varint_size_u64(varint_zigzag64(v));
}

uint32_t varint_put_u64(uint8_t *buf, uint64_t v)
{
    KS_ASSERT(buf != NULL);
    uint32_t n = 0;
    while (v >= VARINT_MORE) {
        buf[n++] = (uint8_t)((v & VARINT_GROUP_MASK) | VARINT_MORE);
        v >>= VARINT_GROUP_BITS;
    }
    buf[n++] = (uint8_t)v;
    KS_ASSERT(n <= VARINT64_SIZE_MAX);
    return n;
}

uint32_t varint_put_u32(uint8_t *buf, uint32_t v)
{
    uint32_t n = varint_put_u64(buf, v);
    KS_ASSERT(n <= VARINT32_SIZE_MAX);
    return n;
}

uint32_t varint_put_i32(uint8_t *buf, int32_t v)
{
    return varint_put_u32(buf, varint_zigzag32(v));
}
uint32_t varint_put_i64(uint8_t *buf, int64_t v)
{
    return varint_put_u64(buf, varint_zigzag64(v));
}

/*
 * The shared reader: at most size_max bytes, and the value must fit in width_bits.
 * The last group may only carry the bits still missing (4 for 32, 1 for 64).
 */
static enum ks_err varint_get(const uint8_t *buf, size_t size_bytes, uint32_t size_max,
                              uint32_t width_bits, uint64_t *out, uint32_t *used_out)
{
    KS_ASSERT(buf != NULL || size_bytes == 0);
    KS_ASSERT(size_max * VARINT_GROUP_BITS >= width_bits);
    uint64_t value = 0;
    for (uint32_t i = 0; i < size_max; i++) {
        if (i >= size_bytes)
            return KS_ERR_TRUNCATED;
        uint64_t group = buf[i] & VARINT_GROUP_MASK;
        uint32_t shift = i * VARINT_GROUP_BITS;
        if (width_bits - shift < VARINT_GROUP_BITS && (group >> (width_bits - shift)) != 0)
            return KS_ERR_INVALID; /* bits beyond the width */
        value |= group << shift;
        if ((buf[i] & VARINT_MORE) == 0) {
            *out = value;
            *used_out = i + 1;
            return KS_OK;
        }
    }
    return KS_ERR_INVALID; /* still continuing after size_max bytes */
}

enum ks_err varint_get_u32(const uint8_t *buf, size_t size_bytes, uint32_t *out, uint32_t *used_out)
{
    uint64_t v = 0;
    enum ks_err err = varint_get(buf, size_bytes, VARINT32_SIZE_MAX, 32, &v, used_out);
    if (err == KS_OK) {
        KS_ASSERT(v <= UINT32_MAX);
        *out = (uint32_t)v;
    }
    return err;
}

enum ks_err varint_get_u64(const uint8_t *buf, size_t size_bytes, uint64_t *out, uint32_t *used_out)
{
    return varint_get(buf, size_bytes, VARINT64_SIZE_MAX, 64, out, used_out);
}

enum ks_err varint_get_i32(const uint8_t *buf, size_t size_bytes, int32_t *out, uint32_t *used_out)
{
    uint32_t u = 0;
    enum ks_err err = varint_get_u32(buf, size_bytes, &u, used_out);
    if (err == KS_OK)
        *out = varint_unzigzag32(u);
    return err;
}

enum ks_err varint_get_i64(const uint8_t *buf, size_t size_bytes, int64_t *out, uint32_t *used_out)
{
    uint64_t u = 0;
    enum ks_err err = varint_get_u64(buf, size_bytes, &u, used_out);
    if (err == KS_OK)
        *out = varint_unzigzag64(u);
    return err;
}
