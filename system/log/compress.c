/*
 * compress.c: gzip, snappy (raw and xerial-framed), lz4 (frame) and zstd for record
 * batches, each behind its KS_HAVE_ switch. Kafka: org.apache.kafka.common.compress.
 * See compress.h for the formats. Decoders grow their output by doubling, never past
 * the caller's bound, and every loop makes progress or stops.
 */
#include "system/log/compress.h"

#include <stdlib.h>
#include <string.h>

#ifndef KS_HAVE_Z
#define KS_HAVE_Z 0
#endif
#ifndef KS_HAVE_SNAPPY
#define KS_HAVE_SNAPPY 0
#endif
#ifndef KS_HAVE_LZ4
#define KS_HAVE_LZ4 0
#endif
#ifndef KS_HAVE_ZSTD
#define KS_HAVE_ZSTD 0
#endif

#if KS_HAVE_Z
#include <zlib.h>
#endif
#if KS_HAVE_SNAPPY
#include <snappy-c.h>
#endif
#if KS_HAVE_LZ4
#include <lz4frame.h>
#endif
#if KS_HAVE_ZSTD
#include <zstd.h>
#endif

#define COMPRESS_INPUT_SIZE_MAX (1u << 30) /* zlib counts in 32 bits */
#define COMPRESS_OUT_SIZE_MIN 1024u        /* first output buffer */
#define COMPRESS_GZIP_WINDOW_BITS (15 + 16)
#define COMPRESS_GZIP_LEVEL 6 /* Kafka's default (Deflater default) */
#define COMPRESS_ZSTD_LEVEL 3 /* Kafka's default */

/* A growing output buffer with a hard bound. */
struct compress_out {
    uint8_t *bytes;
    size_t size;
    size_t capacity;
    size_t size_max;
};

static void compress_out_init(struct compress_out *out, size_t in_size, size_t size_max)
{
    size_t first = in_size * 4 > COMPRESS_OUT_SIZE_MIN ? in_size * 4 : COMPRESS_OUT_SIZE_MIN;
    out->capacity = first < size_max ? first : size_max;
    out->bytes = ks_alloc(out->capacity);
    out->size = 0;
    out->size_max = size_max;
}

/* Makes room for at least one more byte; KS_ERR_MESSAGE_TOO_LARGE at the bound. */
__attribute__((unused)) static enum ks_err compress_out_grow(struct compress_out *out)
{
    KS_ASSERT(out->size <= out->capacity);
    KS_ASSERT(out->capacity <= out->size_max);
    if (out->size < out->capacity)
        return KS_OK;
    if (out->capacity == out->size_max)
        return KS_ERR_MESSAGE_TOO_LARGE;
    size_t next = out->capacity * 2 < out->size_max ? out->capacity * 2 : out->size_max;
    if (next == 0)
        next = out->size_max < COMPRESS_OUT_SIZE_MIN ? out->size_max : COMPRESS_OUT_SIZE_MIN;
    out->bytes = ks_realloc(out->bytes, next);
    out->capacity = next;
    return KS_OK;
}

/* Makes room for n more bytes (the caller checked the bound), doubling as it grows so
 * that many small blocks cost linear time. */
__attribute__((unused)) static void compress_out_reserve(struct compress_out *out, size_t n)
{
    KS_ASSERT(n <= out->size_max - out->size);
    if (out->size + n <= out->capacity)
        return;
    size_t next = out->capacity * 2 > out->size + n ? out->capacity * 2 : out->size + n;
    if (next > out->size_max)
        next = out->size_max;
    out->bytes = ks_realloc(out->bytes, next);
    out->capacity = next;
    KS_ASSERT(out->size + n <= out->capacity);
}

/* Hands the buffer over on success, frees it on error. */
static enum ks_err compress_out_finish(struct compress_out *out, enum ks_err err,
                                       uint8_t **out_bytes, size_t *out_size)
{
    if (err != KS_OK) {
        free(out->bytes);
        out->bytes = NULL;
        return err;
    }
    *out_bytes = out->bytes;
    *out_size = out->size;
    return KS_OK;
}

bool compress_supported(enum compress_codec codec)
{
    switch (codec) {
    case COMPRESS_NONE:
        return true;
    case COMPRESS_GZIP:
        return KS_HAVE_Z != 0;
    case COMPRESS_SNAPPY:
        return KS_HAVE_SNAPPY != 0;
    case COMPRESS_LZ4:
        return KS_HAVE_LZ4 != 0;
    case COMPRESS_ZSTD:
        return KS_HAVE_ZSTD != 0;
    }
    return false;
}

/* ---- gzip -------------------------------------------------------------------------- */
#if KS_HAVE_Z
static enum ks_err gzip_encode(const uint8_t *in, size_t in_size, struct compress_out *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, COMPRESS_GZIP_LEVEL, Z_DEFLATED, COMPRESS_GZIP_WINDOW_BITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return KS_ERR_INVALID;
    size_t bound = deflateBound(&zs, (uLong)in_size) + COMPRESS_OUT_SIZE_MIN;
    out->bytes = ks_realloc(out->bytes, bound);
    out->capacity = bound;
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)in_size;
    zs.next_out = out->bytes;
    zs.avail_out = (uInt)bound;
    int rc = deflate(&zs, Z_FINISH);
    out->size = bound - zs.avail_out;
    deflateEnd(&zs);
    return rc == Z_STREAM_END ? KS_OK : KS_ERR_INVALID;
}

/*
 * Inflates member after member until the input is used up. Each pass consumes input,
 * produces output or grows the buffer (bounded); a pass that does none of these stops
 * the loop with an error, so it cannot spin.
 */
static enum ks_err gzip_decode(const uint8_t *in, size_t in_size, struct compress_out *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, COMPRESS_GZIP_WINDOW_BITS) != Z_OK)
        return KS_ERR_CORRUPT_MESSAGE;
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)in_size;
    enum ks_err err = KS_OK;
    for (;;) {
        err = compress_out_grow(out);
        if (err != KS_OK)
            break;
        uInt room = (uInt)(out->capacity - out->size);
        uInt in_before = zs.avail_in;
        zs.next_out = out->bytes + out->size;
        zs.avail_out = room;
        int rc = inflate(&zs, Z_NO_FLUSH);
        out->size += room - zs.avail_out;
        if (rc == Z_STREAM_END && zs.avail_in == 0)
            break;
        if (rc == Z_STREAM_END && inflateReset(&zs) == Z_OK)
            continue; /* another member follows */
        bool progress = zs.avail_in != in_before || zs.avail_out != room;
        if ((rc != Z_OK && rc != Z_BUF_ERROR) || !progress) {
            err = KS_ERR_CORRUPT_MESSAGE;
            break;
        }
    }
    inflateEnd(&zs);
    return err;
}
#endif

/* ---- snappy ------------------------------------------------------------------------ */
#if KS_HAVE_SNAPPY
static const uint8_t snappy_xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
#define SNAPPY_XERIAL_VERSION 1u
#define SNAPPY_XERIAL_COMPATIBLE_VERSION 1u

static enum ks_err snappy_encode_xerial(const uint8_t *in, size_t in_size, struct compress_out *out)
{
    size_t block_count =
        (in_size + COMPRESS_SNAPPY_XERIAL_BLOCK_SIZE - 1) / COMPRESS_SNAPPY_XERIAL_BLOCK_SIZE;
    size_t block_bound = 4 + snappy_max_compressed_length(COMPRESS_SNAPPY_XERIAL_BLOCK_SIZE);
    size_t bound = COMPRESS_SNAPPY_XERIAL_HEADER_SIZE + block_count * block_bound;
    out->bytes = ks_realloc(out->bytes, bound);
    out->capacity = bound;
    memcpy(out->bytes, snappy_xerial_magic, sizeof(snappy_xerial_magic));
    ks_be32_store(out->bytes + 8, SNAPPY_XERIAL_VERSION);
    ks_be32_store(out->bytes + 12, SNAPPY_XERIAL_COMPATIBLE_VERSION);
    out->size = COMPRESS_SNAPPY_XERIAL_HEADER_SIZE;
    for (size_t i = 0; i < block_count; i++) {
        size_t start = i * COMPRESS_SNAPPY_XERIAL_BLOCK_SIZE;
        size_t n = in_size - start < COMPRESS_SNAPPY_XERIAL_BLOCK_SIZE
                       ? in_size - start
                       : COMPRESS_SNAPPY_XERIAL_BLOCK_SIZE;
        size_t block_size = bound - out->size - 4;
        if (snappy_compress((const char *)in + start, n, (char *)out->bytes + out->size + 4,
                            &block_size) != SNAPPY_OK)
            return KS_ERR_INVALID;
        ks_be32_store(out->bytes + out->size, (uint32_t)block_size);
        out->size += 4 + block_size;
    }
    KS_ASSERT(out->size <= bound);
    return KS_OK;
}

/* Appends one raw snappy block, checking its announced length against the bound. */
static enum ks_err snappy_decode_raw(const uint8_t *in, size_t in_size, struct compress_out *out)
{
    size_t n = 0;
    if (snappy_uncompressed_length((const char *)in, in_size, &n) != SNAPPY_OK)
        return KS_ERR_CORRUPT_MESSAGE;
    if (n > out->size_max - out->size)
        return KS_ERR_MESSAGE_TOO_LARGE;
    compress_out_reserve(out, n);
    size_t got = n;
    if (snappy_uncompress((const char *)in, in_size, (char *)out->bytes + out->size, &got) !=
            SNAPPY_OK ||
        got != n)
        return KS_ERR_CORRUPT_MESSAGE;
    out->size += n;
    return KS_OK;
}

/* Xerial framing when the magic is there, else one raw block (as snappy-java reads). */
static enum ks_err snappy_decode(const uint8_t *in, size_t in_size, struct compress_out *out)
{
    if (in_size < sizeof(snappy_xerial_magic) ||
        memcmp(in, snappy_xerial_magic, sizeof(snappy_xerial_magic)) != 0)
        return snappy_decode_raw(in, in_size, out);
    if (in_size < COMPRESS_SNAPPY_XERIAL_HEADER_SIZE)
        return KS_ERR_CORRUPT_MESSAGE;
    size_t pos = COMPRESS_SNAPPY_XERIAL_HEADER_SIZE;
    while (pos < in_size) { /* each pass consumes at least 4 bytes */
        if (in_size - pos < 4)
            return KS_ERR_CORRUPT_MESSAGE;
        uint32_t block_size = ks_be32_load(in + pos);
        pos += 4;
        if (block_size > in_size - pos)
            return KS_ERR_CORRUPT_MESSAGE;
        enum ks_err err = snappy_decode_raw(in + pos, block_size, out);
        if (err != KS_OK)
            return err;
        pos += block_size;
    }
    return KS_OK;
}
#endif

/* ---- lz4 --------------------------------------------------------------------------- */
#if KS_HAVE_LZ4
static enum ks_err lz4_encode(const uint8_t *in, size_t in_size, struct compress_out *out)
{
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof(prefs));
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;        /* as KafkaLZ4BlockOutputStream */
    prefs.frameInfo.blockMode = LZ4F_blockIndependent; /* Kafka reads blocks alone */
    prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
    size_t bound = LZ4F_compressFrameBound(in_size, &prefs);
    out->bytes = ks_realloc(out->bytes, bound);
    out->capacity = bound;
    size_t n = LZ4F_compressFrame(out->bytes, bound, in, in_size, &prefs);
    if (LZ4F_isError(n))
        return KS_ERR_INVALID;
    out->size = n;
    return KS_OK;
}

/*
 * Decodes frame after frame until the input is used up and the last frame is
 * complete. A pass that neither consumes nor produces (with room to produce) means
 * the input ended inside a frame: an error, so the loop cannot spin.
 */
static enum ks_err lz4_decode(const uint8_t *in, size_t in_size, struct compress_out *out)
{
    LZ4F_dctx *dctx = NULL;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
        return KS_ERR_CORRUPT_MESSAGE;
    size_t pos = 0;
    enum ks_err err = KS_OK;
    for (;;) {
        err = compress_out_grow(out);
        if (err != KS_OK)
            break;
        size_t produced = out->capacity - out->size;
        size_t consumed = in_size - pos;
        size_t hint =
            LZ4F_decompress(dctx, out->bytes + out->size, &produced, in + pos, &consumed, NULL);
        if (LZ4F_isError(hint)) {
            err = KS_ERR_CORRUPT_MESSAGE;
            break;
        }
        pos += consumed;
        out->size += produced;
        if (hint == 0 && pos == in_size)
            break;
        if (consumed == 0 && produced == 0) {
            err = KS_ERR_CORRUPT_MESSAGE;
            break;
        }
    }
    LZ4F_freeDecompressionContext(dctx);
    return err;
}
#endif

/* ---- zstd -------------------------------------------------------------------------- */
#if KS_HAVE_ZSTD
static enum ks_err zstd_encode(const uint8_t *in, size_t in_size, struct compress_out *out)
{
    size_t bound = ZSTD_compressBound(in_size);
    out->bytes = ks_realloc(out->bytes, bound);
    out->capacity = bound;
    size_t n = ZSTD_compress(out->bytes, bound, in, in_size, COMPRESS_ZSTD_LEVEL);
    if (ZSTD_isError(n))
        return KS_ERR_INVALID;
    out->size = n;
    return KS_OK;
}

/* As lz4_decode: frame after frame, and a pass without progress is an error. */
static enum ks_err zstd_decode(const uint8_t *in, size_t in_size, struct compress_out *out)
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    KS_ASSERT(dctx != NULL);
    enum ks_err err = KS_OK;
    if (ZSTD_isError(
            ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, (int)COMPRESS_ZSTD_WINDOW_LOG_MAX)))
        err = KS_ERR_INVALID;
    ZSTD_inBuffer src = {in, in_size, 0};
    while (err == KS_OK) {
        err = compress_out_grow(out);
        if (err != KS_OK)
            break;
        ZSTD_outBuffer dst = {out->bytes + out->size, out->capacity - out->size, 0};
        size_t pos_before = src.pos;
        size_t hint = ZSTD_decompressStream(dctx, &dst, &src);
        if (ZSTD_isError(hint)) {
            err = KS_ERR_CORRUPT_MESSAGE;
            break;
        }
        out->size += dst.pos;
        if (hint == 0 && src.pos == in_size)
            break;
        if (src.pos == pos_before && dst.pos == 0)
            err = KS_ERR_CORRUPT_MESSAGE;
    }
    ZSTD_freeDCtx(dctx);
    return err;
}
#endif

/* ---- Dispatch ---------------------------------------------------------------------- */

enum ks_err compress_encode(enum compress_codec codec, const uint8_t *in, size_t in_size,
                            uint8_t **out_bytes, size_t *out_size)
{
    KS_ASSERT(in != NULL || in_size == 0);
    KS_ASSERT(in_size <= COMPRESS_INPUT_SIZE_MAX);
    if (codec == COMPRESS_NONE || !compress_supported(codec))
        return KS_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    struct compress_out out;
    compress_out_init(&out, 0, COMPRESS_OUT_SIZE_MIN);
    enum ks_err err = KS_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    switch (codec) {
#if KS_HAVE_Z
    case COMPRESS_GZIP:
        err = gzip_encode(in, in_size, &out);
        break;
#endif
#if KS_HAVE_SNAPPY
    case COMPRESS_SNAPPY:
        err = snappy_encode_xerial(in, in_size, &out);
        break;
#endif
#if KS_HAVE_LZ4
    case COMPRESS_LZ4:
        err = lz4_encode(in, in_size, &out);
        break;
#endif
#if KS_HAVE_ZSTD
    case COMPRESS_ZSTD:
        err = zstd_encode(in, in_size, &out);
        break;
#endif
    default:
        break;
    }
    return compress_out_finish(&out, err, out_bytes, out_size);
}

enum ks_err compress_decode(enum compress_codec codec, const uint8_t *in, size_t in_size,
                            size_t out_size_max, uint8_t **out_bytes, size_t *out_size)
{
    KS_ASSERT(in != NULL || in_size == 0);
    KS_ASSERT(in_size <= COMPRESS_INPUT_SIZE_MAX);
    KS_ASSERT(out_size_max <= COMPRESS_INPUT_SIZE_MAX);
    if (codec == COMPRESS_NONE || !compress_supported(codec))
        return KS_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    /* One byte of slack: a stream that fills exactly out_size_max can still report
     * its end; anything that lands in the slack byte is too large. */
    struct compress_out out;
    compress_out_init(&out, in_size, out_size_max + 1);
    enum ks_err err = KS_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    switch (codec) {
#if KS_HAVE_Z
    case COMPRESS_GZIP:
        err = gzip_decode(in, in_size, &out);
        break;
#endif
#if KS_HAVE_SNAPPY
    case COMPRESS_SNAPPY:
        err = snappy_decode(in, in_size, &out);
        break;
#endif
#if KS_HAVE_LZ4
    case COMPRESS_LZ4:
        err = lz4_decode(in, in_size, &out);
        break;
#endif
#if KS_HAVE_ZSTD
    case COMPRESS_ZSTD:
        err = zstd_decode(in, in_size, &out);
        break;
#endif
    default:
        break;
    }
    if (err == KS_OK && out.size > out_size_max)
        err = KS_ERR_MESSAGE_TOO_LARGE;
    return compress_out_finish(&out, err, out_bytes, out_size);
}
