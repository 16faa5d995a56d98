/*
 * compress.h: the four compression codecs of RecordBatch v2 (attributes bits 0-2), over
 * Debian's libraries. Kafka: org.apache.kafka.common.compress (GzipCompression,
 * SnappyCompression, Lz4Compression with KafkaLZ4BlockOutputStream, ZstdCompression;
 * KIP-110 zstd, KIP-390 levels).
 *
 *   gzip   zlib, gzip wrapper (RFC 1952); concatenated members are read as one stream.
 *   snappy libsnappy. Java clients write snappy-java's xerial framing (magic
 *          82 'SNAPPY' 00, int32 version, int32 compatible version, then blocks of
 *          int32 length + raw snappy); librdkafka writes one raw block. Reads both,
 *          writes xerial (32 KiB blocks, as snappy-java does).
 *   lz4    liblz4's LZ4 frame format (magic 0x184D2204), independent 64 KiB blocks as
 *          Kafka writes them; concatenated frames are read as one stream.
 *   zstd   libzstd frames; window at most 2^COMPRESS_ZSTD_WINDOW_LOG_MAX.
 *
 * A codec missing from the build (KS_HAVE_Z, KS_HAVE_SNAPPY, KS_HAVE_LZ4, KS_HAVE_ZSTD)
 * gives KS_ERR_UNSUPPORTED_COMPRESSION_TYPE. Decompression stops at a caller's bound,
 * so a small bomb cannot make a large allocation. No state between calls.
 */
#ifndef KS_LOG_COMPRESS_H
#define KS_LOG_COMPRESS_H

#include "system/ks.h"

/* Codec numbers as in the batch attributes. */
enum compress_codec {
    COMPRESS_NONE = 0,
    COMPRESS_GZIP = 1,
    COMPRESS_SNAPPY = 2,
    COMPRESS_LZ4 = 3,
    COMPRESS_ZSTD = 4,
};

#define COMPRESS_SNAPPY_XERIAL_BLOCK_SIZE (32u * 1024u)
#define COMPRESS_SNAPPY_XERIAL_HEADER_SIZE 16u
#define COMPRESS_ZSTD_WINDOW_LOG_MAX 26u /* 64 MiB: no frame may need more */

/* Whether this build has the codec (COMPRESS_NONE is always there). */
bool compress_supported(enum compress_codec codec);

/*
 * Compresses in[0..in_size) into a new buffer (*out_bytes, free with free()).
 * Errors: KS_ERR_UNSUPPORTED_COMPRESSION_TYPE when the codec is not built in or is
 * COMPRESS_NONE; KS_ERR_INVALID if the library fails (never on valid input).
 */
KS_MUST_CHECK enum ks_err compress_encode(enum compress_codec codec, const uint8_t *in,
                                          size_t in_size, uint8_t **out_bytes, size_t *out_size);

/*
 * Decompresses in[0..in_size) into a new buffer (*out_bytes, free with free()) of at
 * most out_size_max bytes; the whole input must be consumed. Errors:
 * KS_ERR_UNSUPPORTED_COMPRESSION_TYPE as above; KS_ERR_CORRUPT_MESSAGE for bad or
 * truncated input or trailing bytes; KS_ERR_MESSAGE_TOO_LARGE when the output would
 * pass out_size_max. On error nothing stays allocated.
 */
KS_MUST_CHECK enum ks_err compress_decode(enum compress_codec codec, const uint8_t *in,
                                          size_t in_size, size_t out_size_max, uint8_t **out_bytes,
                                          size_t *out_size);

#endif
