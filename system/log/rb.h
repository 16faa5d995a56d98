/*
 * rb.h: RecordBatch v2 (magic 2), the unit of every produce, fetch and log segment.
 * Kafka: org.apache.kafka.common.record.DefaultRecordBatch, DefaultRecord,
 * ControlRecordType, EndTransactionMarker, MemoryRecordsBuilder (KIP-98, KIP-32,
 * KIP-82 headers, KIP-110 zstd).
 *
 * Layout (big-endian; section 2 of kafka-internals.md): a 61-byte header
 *   baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 |
 *   crc uint32 | attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 |
 *   maxTimestamp int64 | producerId int64 | producerEpoch int16 | baseSequence int32 |
 *   recordsCount int32
 * then the records, raw or as one compressed stream. The CRC-32C covers attributes to
 * the end, so baseOffset and partitionLeaderEpoch can be re-stamped without it.
 * Records: length varint | attributes int8 | timestampDelta varlong | offsetDelta
 * varint | keyLength varint (-1 null) | key | valueLength varint (-1 null) | value |
 * headersCount varint | headers (keyLength varint, key, valueLength varint, value).
 *
 * Everything here is pure: bytes in, bytes or views out, no I/O. Bytes from outside are
 * never trusted: the decoder checks sizes, magic, CRC and every record's framing and
 * returns Kafka's errors (CORRUPT_MESSAGE for bad bytes, UNSUPPORTED_FOR_MESSAGE_FORMAT
 * for magic 0/1, UNSUPPORTED_COMPRESSION_TYPE for a codec not built in); it never
 * reads out of bounds. Decompression is bounded by RB_DECOMPRESSED_SIZE_MAX.
 */
#ifndef KS_LOG_RB_H
#define KS_LOG_RB_H

#include "system/ks.h"

/* ---- Layout ---------------------------------------------------------------------- */

#define RB_MAGIC 2
#define RB_HEADER_SIZE 61u       /* bytes before the records */
#define RB_LOG_OVERHEAD 12u      /* baseOffset + batchLength: bytes not in batchLength */
#define RB_MAGIC_OFFSET 16u      /* where the magic sits, in every format */
#define RB_CRC_OFFSET 17u        /* the CRC field */
#define RB_ATTRIBUTES_OFFSET 21u /* the CRC covers from here to the end */
#define RB_HEADER_SIZE_UP_TO_MAGIC 17u

/* Limits. A batch is at most RB_BATCH_SIZE_MAX bytes whole; its decompressed records
 * at most RB_DECOMPRESSED_SIZE_MAX (zip bombs stop there, with CORRUPT_MESSAGE). */
#define RB_BATCH_SIZE_MAX (64u * 1024u * 1024u)
#define RB_DECOMPRESSED_SIZE_MAX (64u * 1024u * 1024u)
#define RB_RECORD_SIZE_MIN 7u /* length, attributes, deltas, key, value, header count */
#define RB_RECORDS_MAX (RB_DECOMPRESSED_SIZE_MAX / RB_RECORD_SIZE_MIN)
#define RB_RECORD_HEADER_SIZE_MIN 2u /* key length and value length varints */

/* Attributes (int16). */
enum rb_compression {
    RB_COMPRESSION_NONE = 0,
    RB_COMPRESSION_GZIP = 1,
    RB_COMPRESSION_SNAPPY = 2,
    RB_COMPRESSION_LZ4 = 3,
    RB_COMPRESSION_ZSTD = 4,
};
#define RB_COMPRESSION_COUNT 5
#define RB_ATTR_COMPRESSION_MASK 0x0007u
#define RB_ATTR_LOG_APPEND_TIME 0x0008u /* timestamp type: 0 CreateTime, 1 LogAppendTime */
#define RB_ATTR_TRANSACTIONAL 0x0010u
#define RB_ATTR_CONTROL 0x0020u
#define RB_ATTR_DELETE_HORIZON 0x0040u /* KIP-534: baseTimestamp holds the horizon */
#define RB_NO_TIMESTAMP (-1) /* RecordBatch.NO_TIMESTAMP */

#define RB_NO_PRODUCER_ID (-1)
#define RB_NO_PRODUCER_EPOCH (-1)
#define RB_NO_SEQUENCE (-1)
#define RB_NO_PARTITION_LEADER_EPOCH (-1)

/* Control record types (key: int16 version 0, int16 type). */
enum rb_control_type {
    RB_CONTROL_ABORT = 0,
    RB_CONTROL_COMMIT = 1,
    RB_CONTROL_LEADER_CHANGE = 2,
    RB_CONTROL_SNAPSHOT_HEADER = 3,
    RB_CONTROL_SNAPSHOT_FOOTER = 4,
    RB_CONTROL_KRAFT_VERSION = 5,
    RB_CONTROL_KRAFT_VOTERS = 6,
};
#define RB_CONTROL_KEY_SIZE 4u    /* version int16, type int16 */
#define RB_CONTROL_MARKER_SIZE 6u /* version int16, coordinatorEpoch int32 */

/* A human name for a codec ("none", "gzip", ...); "unknown" past the table. */
const char *rb_compression_name(uint32_t codec);

/* Whether this build can read and write a codec. */
bool rb_compression_supported(enum rb_compression codec);

/* ---- The header ------------------------------------------------------------------ */

struct rb_batch_header {
    int64_t base_offset;
    int32_t batch_length; /* bytes after this field */
    int32_t partition_leader_epoch;
    int8_t magic;
    uint32_t crc;
    uint16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t records_count;
};

/* Decodes the 61 header bytes as they are, without checking anything. */
void rb_batch_header_load(const uint8_t header_bytes[RB_HEADER_SIZE], struct rb_batch_header *out);

/*
 * The header-only parse that recovery and dump-log use to walk a segment: reads the
 * batch starting at buf and checks its size and magic, and whether its CRC matches.
 * Kafka: FileLogInputStream.nextBatch, DefaultRecordBatch.ensureValid.
 *
 * Returns KS_OK with *out filled (crc_valid may be false: the batch's framing holds,
 * so a reader can step over it); KS_ERR_TRUNCATED when buf ends before the batch does
 * (a torn tail or a partial batch at the end of a fetch); KS_ERR_CORRUPT_MESSAGE when
 * batchLength is below the header or above RB_BATCH_SIZE_MAX;
 * KS_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT for magic 0 or 1; KS_ERR_CORRUPT_MESSAGE for
 * any other magic. Reads only buf[0..size_bytes).
 */
struct rb_scan {
    struct rb_batch_header header;
    int64_t base_offset;
    int64_t last_offset; /* base_offset + lastOffsetDelta */
    uint32_t size_bytes; /* the whole batch: batchLength + 12 */
    uint32_t crc_computed;
    bool crc_valid;
};
KS_MUST_CHECK enum ks_err rb_scan(const uint8_t *buf, size_t size_bytes, struct rb_scan *out);

/* ---- Decoding -------------------------------------------------------------------- */

/* One record header: key is never null; value is NULL when null (value_size then 0). */
struct rb_record_header {
    const uint8_t *key;
    uint32_t key_size;
    const uint8_t *value;
    uint32_t value_size;
};

/* One record as a view into its batch (or its decompressed records). key / value are
 * NULL when null; *_size is then 0. */
struct rb_record {
    int64_t offset;    /* base_offset + offset_delta */
    int64_t timestamp; /* base_timestamp + timestamp_delta (or maxTimestamp, LogAppendTime) */
    int64_t timestamp_delta;
    int32_t offset_delta;
    int8_t attributes;
    const uint8_t *key;
    uint32_t key_size;
    const uint8_t *value;
    uint32_t value_size;
    uint32_t header_count;
    const uint8_t *headers; /* header_count encoded headers; read with rb_record_header_next */
    uint32_t headers_size;
};

/*
 * A decoded, fully validated batch. records points into the caller's buffer when the
 * batch is uncompressed, or into owned (allocated here) when it was decompressed.
 */
struct rb_batch {
    struct rb_batch_header header;
    uint32_t size_bytes; /* of the whole encoded batch */
    const uint8_t *records;
    uint32_t records_size_bytes;
    uint8_t *owned; /* decompressed records, or NULL; freed by rb_batch_release */
};

/*
 * Decodes and validates the batch at the start of buf: sizes, magic, CRC, codec,
 * decompression within RB_DECOMPRESSED_SIZE_MAX, every record's framing, offset deltas
 * increasing within lastOffsetDelta, the record count, nothing left over, at most one
 * record in a control batch. After KS_OK iteration cannot fail.
 * Borrows buf: the batch's views point into it, so keep buf alive until
 * rb_batch_release. On error nothing is allocated and *out must not be used.
 * Errors: as rb_scan, plus KS_ERR_CORRUPT_MESSAGE for a bad CRC or bad records, and
 * KS_ERR_UNSUPPORTED_COMPRESSION_TYPE for codec 5..7 or one not built in.
 */
KS_MUST_CHECK enum ks_err rb_decode(const uint8_t *buf, size_t size_bytes, struct rb_batch *out);

/* Frees what rb_decode allocated; the batch is then empty. Safe to call twice. */
void rb_batch_release(struct rb_batch *batch);

/* Walks the records of a decoded batch, in order. */
struct rb_iter {
    const struct rb_batch *batch;
    uint32_t position; /* in batch->records */
    int32_t index;     /* records returned so far */
};
void rb_iter_init(struct rb_iter *it, const struct rb_batch *batch);
/* Fills *out with the next record; false after the last. */
bool rb_iter_next(struct rb_iter *it, struct rb_record *out);

/* Reads the header at *position_io (start at 0) of a record; false after the last. */
bool rb_record_header_next(const struct rb_record *record, uint32_t *position_io,
                           struct rb_record_header *out);

/*
 * Control records. rb_control_type_decode reads a control record's key (version >= 0,
 * type; unknown types are returned as they are, for the caller to ignore);
 * rb_control_marker_decode reads an ABORT/COMMIT value (EndTransactionMarker).
 * Errors: KS_ERR_CORRUPT_MESSAGE when the key or value is null, short or negative.
 */
KS_MUST_CHECK enum ks_err rb_control_type_decode(const struct rb_record *record, int16_t *type_out);
KS_MUST_CHECK enum ks_err rb_control_marker_decode(const struct rb_record *record,
                                                   int32_t *coordinator_epoch_out);

/* ---- Encoding -------------------------------------------------------------------- */

/* A record to append. key / value NULL means null; headers[i].key must not be NULL. */
struct rb_record_input {
    int64_t timestamp;
    const uint8_t *key;
    uint32_t key_size;
    const uint8_t *value;
    uint32_t value_size;
    const struct rb_record_header *headers;
    uint32_t header_count;
};

/*
 * Builds one batch, as a producer's MemoryRecordsBuilder does: records are appended
 * with offset deltas 0, 1, 2... (or explicit increasing deltas, as compaction keeps
 * them), then rb_builder_finish compresses, writes the header and the CRC. Defaults:
 * base offset 0, partition leader epoch -1, no producer (-1, -1, -1), CreateTime.
 * Owns its buffers until rb_builder_release.
 */
struct rb_builder {
    enum rb_compression compression;
    uint16_t attributes; /* timestamp type, transactional, control (codec added at finish) */
    int64_t base_offset;
    int32_t partition_leader_epoch;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int64_t base_timestamp;
    bool base_timestamp_fixed; /* a delete horizon holds it; records are deltas from it */
    int64_t max_timestamp;
    int32_t records_count;
    int32_t last_offset_delta; /* -1 before the first record */
    uint8_t *records;          /* encoded records, uncompressed */
    uint32_t records_size_bytes;
    uint32_t records_capacity_bytes;
};

void rb_builder_init(struct rb_builder *b, enum rb_compression compression);
void rb_builder_release(struct rb_builder *b);
void rb_builder_set_producer(struct rb_builder *b, int64_t producer_id, int16_t producer_epoch,
                             int32_t base_sequence);
/* attribute flags: RB_ATTR_LOG_APPEND_TIME, RB_ATTR_TRANSACTIONAL, RB_ATTR_CONTROL. */
void rb_builder_set_flags(struct rb_builder *b, uint16_t flags);

/*
 * Appends a record at the next offset delta (last + 1). Errors: KS_ERR_MESSAGE_TOO_LARGE
 * when the records would pass RB_DECOMPRESSED_SIZE_MAX; KS_ERR_TOO_MANY past
 * RB_RECORDS_MAX or past one record in a control batch.
 */
KS_MUST_CHECK enum ks_err rb_builder_append(struct rb_builder *b,
                                            const struct rb_record_input *record);
/* Appends at an explicit offset delta, greater than the last one. */
KS_MUST_CHECK enum ks_err rb_builder_append_at(struct rb_builder *b, int32_t offset_delta,
                                               const struct rb_record_input *record);
/* Appends a transaction marker (control record ABORT or COMMIT): sets RB_ATTR_CONTROL. */
KS_MUST_CHECK enum ks_err rb_builder_append_marker(struct rb_builder *b, int64_t timestamp,
                                                   enum rb_control_type type,
                                                   int32_t coordinator_epoch);
/*
 * KIP-534: marks the batch with the delete horizon (attribute bit 6) and stores the
 * horizon in baseTimestamp; records' timestamps are then deltas from it (negative
 * ones too), so they read back unchanged. The cleaner stamps it on a batch holding
 * tombstones the first time it cleans it. Call before the first record.
 */
void rb_builder_set_delete_horizon(struct rb_builder *b, int64_t delete_horizon_ms);
/* Keeps a lastOffsetDelta past the last record's (compaction keeps it). */
void rb_builder_set_last_offset_delta(struct rb_builder *b, int32_t last_offset_delta);

/*
 * Produces the batch: *bytes_out is allocated here (free with free()), *size_out its
 * size. The builder stays usable for rb_builder_release only. Errors:
 * KS_ERR_UNSUPPORTED_COMPRESSION_TYPE when the codec is not built in;
 * KS_ERR_MESSAGE_TOO_LARGE when the batch passes RB_BATCH_SIZE_MAX.
 */
KS_MUST_CHECK enum ks_err rb_builder_finish(struct rb_builder *b, uint8_t **bytes_out,
                                            uint32_t *size_out);

/* ---- Re-stamping in place, as a broker does on append ------------------------------ */

/*
 * Sets baseOffset and partitionLeaderEpoch of an encoded batch (outside the CRC, so
 * the CRC stays valid). Errors: KS_ERR_TRUNCATED if size_bytes < RB_HEADER_SIZE.
 */
KS_MUST_CHECK enum ks_err rb_restamp(uint8_t *batch, size_t size_bytes, int64_t base_offset,
                                     int32_t partition_leader_epoch);
/* Sets LogAppendTime: the timestamp type bit and maxTimestamp, then recomputes the CRC. */
KS_MUST_CHECK enum ks_err rb_set_log_append_time(uint8_t *batch, size_t size_bytes,
                                                 int64_t timestamp);
/* Recomputes the CRC over attributes..end after the caller changed bytes under it. */
KS_MUST_CHECK enum ks_err rb_crc_update(uint8_t *batch, size_t size_bytes);

#endif
