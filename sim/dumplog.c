/*
 * dumplog.c: `ksim dump-log`, see dumplog.h. Kafka: kafka.tools.DumpLogSegments.
 *
 * A .log is read batch by batch with stdio, never whole: 17 bytes up to the magic give
 * the batch length, then the batch is read and handed to rb_scan (framing and CRC)
 * and, for --deep-iteration, rb_decode. Memory stays bounded by RB_BATCH_SIZE_MAX
 * whatever the file holds. Indexes and checkpoint files are small and read whole.
 * The JSON writer escapes every string; bytes that are not UTF-8 go out as base64.
 */
#include "dumplog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../system/controller/mrec.h"
#include "../system/group/offsets_rec.h"
#include "../system/log/ckpt.h"
#include "../system/log/idx.h"
#include "../system/log/rb.h"

#define DUMPLOG_PATH_BYTES_MAX 4096u
#define DUMPLOG_BASE_DIGITS 20u
#define DUMPLOG_METADATA_DIR "__cluster_metadata-"
#define DUMPLOG_OFFSETS_DIR "__consumer_offsets-"

/* One file being dumped. */
struct dumper {
    const struct dumplog_options *o;
    FILE *out;
    FILE *err;
    const char *path;
    bool metadata; /* records are KRaft metadata records */
    bool offsets;  /* records are __consumer_offsets records (offsets_rec.h) */
    uint8_t *buf;  /* one batch */
    size_t buf_capacity;
    uint64_t batches;
    uint64_t invalid_batches;
    uint64_t records;
    uint64_t mismatches;
};

/* ---- JSON ------------------------------------------------------------------------- */

static bool utf8_valid(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t len = c < 0x80           ? 1
                     : (c >> 5) == 0x6  ? 2
                     : (c >> 4) == 0xe  ? 3
                     : (c >> 3) == 0x1e ? 4
                                        : 0;
        if (len == 0 || i + len > n)
            return false;
        uint32_t cp = len == 1 ? c : (uint32_t)(c & (0x7f >> len));
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3fu);
        }
        static const uint32_t min_of_len[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_of_len[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

/* A JSON string of bytes that are valid UTF-8. */
static void json_utf8(FILE *out, const uint8_t *s, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void json_cstr(FILE *out, const char *s)
{
    size_t n = strlen(s);
    if (utf8_valid((const uint8_t *)s, n)) {
        json_utf8(out, (const uint8_t *)s, n);
        return;
    }
    fputc('"', out); /* a path that is not UTF-8: keep it readable, ASCII only */
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            fputc(c, out);
        else
            fprintf(out, "\\u%04x", c);
    }
    fputc('"', out);
}

static void json_base64(FILE *out, const uint8_t *s, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    fputc('"', out);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16;
        v |= i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0;
        v |= i + 2 < n ? s[i + 2] : 0;
        fputc(alphabet[v >> 18 & 63], out);
        fputc(alphabet[v >> 12 & 63], out);
        fputc(i + 1 < n ? alphabet[v >> 6 & 63] : '=', out);
        fputc(i + 2 < n ? alphabet[v & 63] : '=', out);
    }
    fputc('"', out);
}

/* Bytes as Kafka's dump shows them to JSON readers: a string, {"base64":...} or null. */
static void json_bytes(FILE *out, const uint8_t *s, size_t n)
{
    if (s == NULL) {
        fputs("null", out);
    } else if (utf8_valid(s, n)) {
        json_utf8(out, s, n);
    } else {
        fputs("{\"base64\":", out);
        json_base64(out, s, n);
        fputc('}', out);
    }
}

static const char *json_bool(bool b)
{
    return b ? "true" : "false";
}

/* Bytes for a text line: printable ASCII as is, the rest as \xNN. */
static void text_bytes(FILE *out, const uint8_t *s, size_t n)
{
    if (s == NULL) {
        fputs("null", out);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
            fputc(s[i], out);
        else
            fprintf(out, "\\x%02x", s[i]);
    }
}

/* ---- Names ------------------------------------------------------------------------ */

static const char *const kind_names[] = {
    [DUMPLOG_KIND_UNKNOWN] = "unknown",
    [DUMPLOG_KIND_LOG] = "log",
    [DUMPLOG_KIND_INDEX] = "index",
    [DUMPLOG_KIND_TIMEINDEX] = "timeindex",
    [DUMPLOG_KIND_OFFSET_CHECKPOINT] = "offset_checkpoint",
    [DUMPLOG_KIND_EPOCH_CHECKPOINT] = "epoch_checkpoint",
    [DUMPLOG_KIND_CLEAN_SHUTDOWN] = "clean_shutdown",
    [DUMPLOG_KIND_PARTITION_METADATA] = "partition_metadata",
    [DUMPLOG_KIND_QUORUM_STATE] = "quorum_state",
    [DUMPLOG_KIND_PROPERTIES] = "properties",
};

const char *dumplog_kind_name(enum dumplog_kind kind)
{
    KS_ASSERT((size_t)kind < KS_ARRAY_COUNT(kind_names));
    return kind_names[kind];
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* The length of name without a cleaner or retention suffix. */
static size_t name_core_length(const char *name)
{
    static const char *const suffixes[] = {".deleted", ".cleaned", ".swap"};
    size_t n = strlen(name);
    for (size_t i = 0; i < KS_ARRAY_COUNT(suffixes); i++) {
        if (ends_with(name, n, suffixes[i]))
            return n - strlen(suffixes[i]);
    }
    return n;
}

enum dumplog_kind dumplog_kind_of(const char *path)
{
    static const struct {
        const char *name;
        enum dumplog_kind kind;
        bool exact;
    } table[] = {
        {".log", DUMPLOG_KIND_LOG, false},
        {".checkpoint", DUMPLOG_KIND_LOG, false}, /* KRaft snapshot */
        {".index", DUMPLOG_KIND_INDEX, false},
        {".timeindex", DUMPLOG_KIND_TIMEINDEX, false},
        {"recovery-point-offset-checkpoint", DUMPLOG_KIND_OFFSET_CHECKPOINT, true},
        {"replication-offset-checkpoint", DUMPLOG_KIND_OFFSET_CHECKPOINT, true},
        {"log-start-offset-checkpoint", DUMPLOG_KIND_OFFSET_CHECKPOINT, true},
        {"cleaner-offset-checkpoint", DUMPLOG_KIND_OFFSET_CHECKPOINT, true},
        {"leader-epoch-checkpoint", DUMPLOG_KIND_EPOCH_CHECKPOINT, true},
        {".kafka_cleanshutdown", DUMPLOG_KIND_CLEAN_SHUTDOWN, true},
        {"partition.metadata", DUMPLOG_KIND_PARTITION_METADATA, true},
        {"quorum-state", DUMPLOG_KIND_QUORUM_STATE, true},
        {"meta.properties", DUMPLOG_KIND_PROPERTIES, true},
    };
    const char *name = base_name(path);
    size_t n = name_core_length(name);
    for (size_t i = 0; i < KS_ARRAY_COUNT(table); i++) {
        size_t k = strlen(table[i].name);
        if (table[i].exact ? n == k && memcmp(name, table[i].name, k) == 0
                           : n > k && ends_with(name, n, table[i].name))
            return table[i].kind;
    }
    return DUMPLOG_KIND_UNKNOWN;
}

/* The base offset a segment file's name carries (its 20 leading digits), else 0. */
static int64_t base_offset_of(const char *path)
{
    const char *name = base_name(path);
    int64_t base = 0;
    for (uint32_t i = 0; i < DUMPLOG_BASE_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        if (base > (INT64_MAX - 9) / 10)
            return 0;
        base = base * 10 + (name[i] - '0');
    }
    return name[DUMPLOG_BASE_DIGITS] == '.' || name[DUMPLOG_BASE_DIGITS] == '-' ? base : 0;
}

/* Whether the file sits in a log directory whose name starts with prefix. */
static bool in_dir_named(const char *path, const char *prefix)
{
    const char *name = base_name(path);
    if (name == path)
        return false;
    const char *dir_end = name - 1;
    const char *dir = dir_end;
    while (dir > path && dir[-1] != '/')
        dir--;
    size_t k = strlen(prefix);
    return (size_t)(dir_end - dir) > k && memcmp(dir, prefix, k) == 0;
}

/* Whether the file sits in a KRaft metadata log directory. */
static bool in_metadata_dir(const char *path)
{
    const char *name = base_name(path);
    if (name == path)
        return false;
    const char *dir_end = name - 1;
    const char *dir = dir_end;
    while (dir > path && dir[-1] != '/')
        dir--;
    size_t k = strlen(DUMPLOG_METADATA_DIR);
    return (size_t)(dir_end - dir) > k && memcmp(dir, DUMPLOG_METADATA_DIR, k) == 0;
}

/* path with its extension (".index", ...) replaced by ext, keeping suffixes out. */
static bool sibling_path(const char *path, const char *ext, char *buf, size_t buf_bytes)
{
    const char *name = base_name(path);
    if (strlen(name) < DUMPLOG_BASE_DIGITS + 1 || name[DUMPLOG_BASE_DIGITS] != '.')
        return false;
    size_t prefix = (size_t)(name - path) + DUMPLOG_BASE_DIGITS;
    int n = snprintf(buf, buf_bytes, "%.*s%s", (int)prefix, path, ext);
    return n > 0 && (size_t)n < buf_bytes;
}

/* ---- Reading ---------------------------------------------------------------------- */

static void report_open_error(struct dumper *d, int errno_value)
{
    fprintf(d->err, "ksim dump-log: cannot read %s: %s\n", d->path, strerror(errno_value));
}

/* Reads up to n bytes at position; returns how many were read (< n at the end). */
static size_t read_at(FILE *f, uint64_t position, uint8_t *buf, size_t n, bool *io_error)
{
    if (fseeko(f, (off_t)position, SEEK_SET) != 0) {
        *io_error = true;
        return 0;
    }
    size_t got = fread(buf, 1, n, f);
    *io_error = got < n && ferror(f);
    return got;
}

/* Reads a whole small file (at most max_bytes) into *bytes_out (free()). */
static enum ks_err read_whole(struct dumper *d, const char *path, size_t max_bytes,
                              uint8_t **bytes_out, size_t *size_out)
{
    *bytes_out = NULL;
    *size_out = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return errno == ENOENT ? KS_ERR_NOT_FOUND : KS_ERR_IO;
    enum ks_err e = KS_OK;
    size_t capacity = 4096, size = 0;
    uint8_t *bytes = ks_alloc(capacity + 1);
    for (uint32_t i = 0; i < DUMPLOG_INDEX_BYTES_MAX / 4096u + 2; i++) {
        size_t got = fread(bytes + size, 1, capacity - size, f);
        size += got;
        if (got == 0 || size > max_bytes)
            break;
        if (size == capacity) {
            capacity *= 2;
            bytes = ks_realloc(bytes, capacity + 1);
        }
    }
    if (ferror(f))
        e = KS_ERR_IO;
    else if (size > max_bytes)
        e = KS_ERR_TOO_MANY;
    fclose(f);
    if (e != KS_OK) {
        free(bytes);
        (void)d;
        return e;
    }
    bytes[size] = 0; /* text files may be read as strings */
    *bytes_out = bytes;
    *size_out = size;
    return KS_OK;
}

static void buf_reserve(struct dumper *d, size_t n)
{
    KS_ASSERT(n <= RB_BATCH_SIZE_MAX);
    if (n <= d->buf_capacity)
        return;
    size_t capacity = d->buf_capacity == 0 ? 65536 : d->buf_capacity;
    while (capacity < n)
        capacity *= 2;
    d->buf = ks_realloc(d->buf, capacity);
    d->buf_capacity = capacity;
}

/* ---- Common lines ------------------------------------------------------------------ */

static void print_file_start(struct dumper *d, enum dumplog_kind kind)
{
    if (d->o->json) {
        fputs("{\"type\":\"file\",\"path\":", d->out);
        json_cstr(d->out, d->path);
        fprintf(d->out, ",\"kind\":\"%s\"}\n", dumplog_kind_name(kind));
    } else {
        fprintf(d->out, "Dumping %s\n", d->path);
    }
}

/* A problem inside the file: JSON {"type":TYPE,"position":P,"error":...,"detail":...}. */
static void print_problem(struct dumper *d, const char *type, uint64_t position, enum ks_err e,
                          const char *detail)
{
    if (d->o->json) {
        fprintf(d->out,
                "{\"type\":\"%s\",\"position\":%" PRIu64 ",\"error\":\"%s\",\"detail\":", type,
                position, ks_err_name(e));
        json_cstr(d->out, detail);
        fputs("}\n", d->out);
    } else {
        fprintf(d->out, "%s at position %" PRIu64 ": %s (%s)\n", type, position, detail,
                ks_err_name(e));
    }
}

/* ---- .log: records ------------------------------------------------------------------ */

static const char *control_type_name(int16_t type)
{
    static const char *const names[] = {"ABORT",           "COMMIT",          "LEADER_CHANGE",
                                        "SNAPSHOT_HEADER", "SNAPSHOT_FOOTER", "KRAFT_VERSION",
                                        "KRAFT_VOTERS"};
    return type >= 0 && (size_t)type < KS_ARRAY_COUNT(names) ? names[type] : "UNKNOWN";
}

static void print_headers_json(struct dumper *d, const struct rb_record *r)
{
    fputs(",\"headers\":[", d->out);
    uint32_t position = 0;
    struct rb_record_header h;
    for (uint32_t i = 0; i < DUMPLOG_HEADERS_MAX && rb_record_header_next(r, &position, &h); i++) {
        fputs(i == 0 ? "{\"key\":" : ",{\"key\":", d->out);
        json_bytes(d->out, h.key, h.key_size);
        fputs(",\"value\":", d->out);
        json_bytes(d->out, h.value, h.value_size);
        fputc('}', d->out);
    }
    fputc(']', d->out);
}

static void print_headers_text(struct dumper *d, const struct rb_record *r)
{
    fputs(" headerKeys: [", d->out);
    uint32_t position = 0;
    struct rb_record_header h;
    for (uint32_t i = 0; i < DUMPLOG_HEADERS_MAX && rb_record_header_next(r, &position, &h); i++) {
        fputs(i == 0 ? "" : ", ", d->out);
        text_bytes(d->out, h.key, h.key_size);
    }
    fputc(']', d->out);
}

/* What a record means beyond its bytes: a control marker, a metadata record. */
static void record_describe(struct dumper *d, const struct rb_batch *batch,
                            const struct rb_record *r, char *text, size_t text_bytes)
{
    text[0] = '\0';
    if (batch->header.attributes & RB_ATTR_CONTROL) {
        int16_t type = -1;
        int32_t coordinator_epoch = 0;
        if (rb_control_type_decode(r, &type) != KS_OK) {
            snprintf(text, text_bytes, "undecodable control record");
        } else if ((type == RB_CONTROL_ABORT || type == RB_CONTROL_COMMIT) &&
                   rb_control_marker_decode(r, &coordinator_epoch) == KS_OK) {
            snprintf(text, text_bytes, "endTxnMarker: %s coordinatorEpoch: %" PRId32,
                     control_type_name(type), coordinator_epoch);
        } else {
            snprintf(text, text_bytes, "controlType: %s(%d)", control_type_name(type), type);
        }
        return;
    }
    if (d->metadata && r->value != NULL)
        (void)mrec_describe(r->value, r->value_size, text, text_bytes);
    if (d->offsets && r->key != NULL) /* group metadata and offset commits, tombstones too */
        (void)offrec_describe(r->key, r->key_size, r->value, r->value != NULL ? r->value_size : 0,
                              text, (uint32_t)text_bytes);
}

static void print_record(struct dumper *d, const struct rb_batch *batch, const struct rb_record *r)
{
    char text[DUMPLOG_TEXT_BYTES_MAX];
    record_describe(d, batch, r, text, sizeof(text));
    bool log_append = (batch->header.attributes & RB_ATTR_LOG_APPEND_TIME) != 0;
    if (d->o->json) {
        fprintf(d->out, "{\"type\":\"record\",\"offset\":%" PRId64 ",\"timestamp\":%" PRId64,
                r->offset, r->timestamp);
        fputs(",\"key\":", d->out);
        json_bytes(d->out, r->key, r->key_size);
        fputs(",\"value\":", d->out);
        json_bytes(d->out, r->value, r->value_size);
        print_headers_json(d, r);
        if (text[0] != '\0') {
            fputs(",\"description\":", d->out);
            json_cstr(d->out, text);
        }
        fputs("}\n", d->out);
        return;
    }
    int32_t sequence = batch->header.base_sequence < 0
                           ? -1
                           : (int32_t)(((int64_t)batch->header.base_sequence + r->offset_delta) %
                                       ((int64_t)INT32_MAX + 1));
    fprintf(d->out,
            "| offset: %" PRId64 " %s: %" PRId64 " keySize: %" PRId64 " valueSize: %" PRId64
            " sequence: %" PRId32,
            r->offset, log_append ? "LogAppendTime" : "CreateTime", r->timestamp,
            r->key == NULL ? (int64_t)-1 : (int64_t)r->key_size,
            r->value == NULL ? (int64_t)-1 : (int64_t)r->value_size, sequence);
    print_headers_text(d, r);
    if (text[0] != '\0')
        fprintf(d->out, " %s", text);
    if (d->o->print_data_log) {
        fputs(" key: ", d->out);
        text_bytes(d->out, r->key, r->key_size);
        fputs(" payload: ", d->out);
        text_bytes(d->out, r->value, r->value_size);
    }
    fputc('\n', d->out);
}

static void dump_records(struct dumper *d, uint64_t position, const struct rb_scan *scan)
{
    struct rb_batch batch;
    enum ks_err e = rb_decode(d->buf, scan->size_bytes, &batch);
    if (e != KS_OK) {
        print_problem(d, "error", position, e, "the batch's records do not decode");
        return;
    }
    struct rb_iter it;
    rb_iter_init(&it, &batch);
    struct rb_record r;
    for (uint32_t i = 0; i < RB_RECORDS_MAX && rb_iter_next(&it, &r); i++) {
        print_record(d, &batch, &r);
        d->records++;
    }
    rb_batch_release(&batch);
}

/* ---- .log: batches ------------------------------------------------------------------ */

static void print_batch_json(struct dumper *d, uint64_t position, const struct rb_scan *s)
{
    const struct rb_batch_header *h = &s->header;
    fprintf(d->out,
            "{\"type\":\"batch\",\"base_offset\":%" PRId64 ",\"last_offset\":%" PRId64
            ",\"count\":%" PRId32 ",\"position\":%" PRIu64 ",\"size\":%" PRIu32 ",\"crc\":%" PRIu32
            ",\"crc_computed\":%" PRIu32 ",\"valid\":%s",
            s->base_offset, s->last_offset, h->records_count, position, s->size_bytes, h->crc,
            s->crc_computed, json_bool(s->crc_valid));
    fprintf(d->out,
            ",\"producer_id\":%" PRId64 ",\"producer_epoch\":%d,\"base_sequence\":%" PRId32
            ",\"partition_leader_epoch\":%" PRId32 ",\"max_timestamp\":%" PRId64
            ",\"base_timestamp\":%" PRId64,
            h->producer_id, h->producer_epoch, h->base_sequence, h->partition_leader_epoch,
            h->max_timestamp, h->base_timestamp);
    fprintf(d->out,
            ",\"timestamp_type\":\"%s\",\"magic\":%d,\"compression\":\"%s\",\"is_transactional\":%"
            "s,\"is_control\":%s,\"has_delete_horizon\":%s}\n",
            h->attributes & RB_ATTR_LOG_APPEND_TIME ? "LogAppendTime" : "CreateTime", h->magic,
            rb_compression_name(h->attributes & RB_ATTR_COMPRESSION_MASK),
            json_bool(h->attributes & RB_ATTR_TRANSACTIONAL),
            json_bool(h->attributes & RB_ATTR_CONTROL),
            json_bool(h->attributes & RB_ATTR_DELETE_HORIZON));
}

static void print_batch_text(struct dumper *d, uint64_t position, const struct rb_scan *s)
{
    const struct rb_batch_header *h = &s->header;
    int32_t last_sequence = h->base_sequence < 0
                                ? -1
                                : (int32_t)(((int64_t)h->base_sequence + h->last_offset_delta) %
                                            ((int64_t)INT32_MAX + 1));
    char horizon[32] = "OptionalLong.empty";
    if (h->attributes & RB_ATTR_DELETE_HORIZON)
        snprintf(horizon, sizeof(horizon), "OptionalLong[%" PRId64 "]", h->base_timestamp);
    fprintf(d->out,
            "baseOffset: %" PRId64 " lastOffset: %" PRId64 " count: %" PRId32
            " baseSequence: %" PRId32 " lastSequence: %" PRId32 " producerId: %" PRId64
            " producerEpoch: %d partitionLeaderEpoch: %" PRId32
            " isTransactional: %s isControl: %s deleteHorizonMs: %s",
            s->base_offset, s->last_offset, h->records_count, h->base_sequence, last_sequence,
            h->producer_id, h->producer_epoch, h->partition_leader_epoch,
            json_bool(h->attributes & RB_ATTR_TRANSACTIONAL),
            json_bool(h->attributes & RB_ATTR_CONTROL), horizon);
    fprintf(d->out,
            " position: %" PRIu64 " %s: %" PRId64 " size: %" PRIu32
            " magic: %d compresscodec: %s crc: %" PRIu32 " isvalid: %s\n",
            position, h->attributes & RB_ATTR_LOG_APPEND_TIME ? "LogAppendTime" : "CreateTime",
            h->max_timestamp, s->size_bytes, h->magic,
            rb_compression_name(h->attributes & RB_ATTR_COMPRESSION_MASK), h->crc,
            json_bool(s->crc_valid));
}

/* Reads the batch at position into d->buf. KS_OK with *scan filled; KS_ERR_NOT_FOUND at
 * the clean end of the file; KS_ERR_TRUNCATED for a torn tail; KS_ERR_IO; or rb_scan's
 * errors for bytes that are not a batch (*size_out is then the framed size, or 0). */
static enum ks_err batch_read(struct dumper *d, FILE *f, uint64_t position, struct rb_scan *scan,
                              uint32_t *size_out)
{
    bool io_error = false;
    *size_out = 0;
    buf_reserve(d, RB_HEADER_SIZE);
    size_t got = read_at(f, position, d->buf, RB_HEADER_SIZE_UP_TO_MAGIC, &io_error);
    if (io_error)
        return KS_ERR_IO;
    if (got == 0)
        return KS_ERR_NOT_FOUND;
    if (got < RB_HEADER_SIZE_UP_TO_MAGIC)
        return KS_ERR_TRUNCATED;
    int32_t batch_length = (int32_t)ks_be32_load(d->buf + 8);
    if (batch_length < (int32_t)(RB_HEADER_SIZE - RB_LOG_OVERHEAD) ||
        (uint32_t)batch_length > RB_BATCH_SIZE_MAX - RB_LOG_OVERHEAD)
        return KS_ERR_CORRUPT_MESSAGE;
    uint32_t size = (uint32_t)batch_length + RB_LOG_OVERHEAD;
    buf_reserve(d, size);
    got = read_at(f, position, d->buf, size, &io_error);
    if (io_error)
        return KS_ERR_IO;
    if (got < size)
        return KS_ERR_TRUNCATED;
    *size_out = size;
    return rb_scan(d->buf, size, scan);
}

/* One step of the walk: false when the file ends here. */
static bool log_step(struct dumper *d, FILE *f, uint64_t *position, enum ks_err *err_out)
{
    struct rb_scan scan;
    uint32_t size = 0;
    enum ks_err e = batch_read(d, f, *position, &scan, &size);
    switch (e) {
    case KS_OK:
        break;
    case KS_ERR_NOT_FOUND:
        return false;
    case KS_ERR_TRUNCATED:
        print_problem(d, "torn_tail", *position, e, "the file ends inside a batch");
        return false;
    case KS_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT:
        print_problem(d, "error", *position, e, "a legacy (magic 0 or 1) message set, skipped");
        *position += size;
        return true;
    case KS_ERR_IO:
        *err_out = KS_ERR_IO;
        fprintf(d->err, "ksim dump-log: read error in %s\n", d->path);
        return false;
    default:
        print_problem(d, "corrupt", *position, e, "not a record batch: the walk stops here");
        return false;
    }
    d->batches++;
    d->invalid_batches += scan.crc_valid ? 0 : 1;
    if (d->o->json)
        print_batch_json(d, *position, &scan);
    else
        print_batch_text(d, *position, &scan);
    if ((d->o->deep_iteration || d->o->print_data_log) && scan.crc_valid)
        dump_records(d, *position, &scan);
    *position += size;
    return true;
}

static enum ks_err dump_log(struct dumper *d)
{
    FILE *f = fopen(d->path, "rb");
    if (f == NULL) {
        report_open_error(d, errno);
        return errno == ENOENT ? KS_ERR_NOT_FOUND : KS_ERR_IO;
    }
    print_file_start(d, DUMPLOG_KIND_LOG);
    if (!d->o->json)
        fprintf(d->out, "Log starting offset: %" PRId64 "\n", base_offset_of(d->path));
    uint64_t position = 0;
    enum ks_err e = KS_OK;
    for (uint32_t i = 0; i < DUMPLOG_BATCHES_MAX && log_step(d, f, &position, &e); i++)
        continue;
    fclose(f);
    if (d->o->json)
        fprintf(d->out,
                "{\"type\":\"end\",\"batches\":%" PRIu64 ",\"invalid_batches\":%" PRIu64
                ",\"records\":%" PRIu64 ",\"bytes_read\":%" PRIu64 "}\n",
                d->batches, d->invalid_batches, d->records, position);
    return e;
}

/* ---- .index and .timeindex -------------------------------------------------------- */

/* The batch at position of an open .log (header only is enough: rb_scan needs it whole). */
static bool log_batch_at(struct dumper *d, FILE *log, uint64_t position, struct rb_scan *scan)
{
    uint32_t size = 0;
    return batch_read(d, log, position, scan, &size) == KS_OK;
}

static void print_mismatch(struct dumper *d, const char *type, const char *text_head,
                           const char *a_name, int64_t a, const char *b_name, int64_t b)
{
    d->mismatches++;
    if (d->o->json) {
        fprintf(d->out, "{\"type\":\"%s\",\"%s\":%" PRId64 ",\"%s\":%" PRId64 "}\n", type, a_name,
                a, b_name, b);
        return;
    }
    fprintf(d->out, "%s :%s\n  %s: %" PRId64 ", %s: %" PRId64 "\n", text_head, d->path, a_name, a,
            b_name, b);
}

static void offset_entry_check(struct dumper *d, FILE *log, int64_t offset, uint32_t position)
{
    struct rb_scan scan;
    if (!log_batch_at(d, log, position, &scan)) {
        print_mismatch(d, "index_mismatch", "Mismatches in", "index_offset", offset, "log_offset",
                       -1);
        return;
    }
    if (scan.last_offset != offset)
        print_mismatch(d, "index_mismatch", "Mismatches in", "index_offset", offset, "log_offset",
                       scan.last_offset);
}

static enum ks_err sanity_report(struct dumper *d, enum ks_err check)
{
    if (d->o->json) {
        fprintf(d->out, "{\"type\":\"sanity_check\",\"passed\":%s,\"error\":\"%s\"}\n",
                json_bool(check == KS_OK), ks_err_name(check));
    } else if (check == KS_OK) {
        fprintf(d->out, "%s passed sanity check.\n", d->path);
    } else {
        fprintf(d->out, "%s failed sanity check: %s\n", d->path, ks_err_name(check));
    }
    return KS_OK;
}

static FILE *open_sibling_log(const char *path)
{
    char log_path[DUMPLOG_PATH_BYTES_MAX];
    if (!sibling_path(path, ".log", log_path, sizeof(log_path)))
        return NULL;
    return fopen(log_path, "rb");
}

static enum ks_err dump_offset_index(struct dumper *d, const uint8_t *bytes, size_t size)
{
    uint32_t entries = 0;
    enum ks_err check = idx_offset_check(bytes, size, &entries);
    if (d->o->index_sanity_check)
        return sanity_report(d, check);
    if (check != KS_OK)
        print_problem(d, "corrupt", 0, check, "the index fails Kafka's sanity check");
    int64_t base = base_offset_of(d->path);
    FILE *log = open_sibling_log(d->path);
    uint32_t whole = (uint32_t)(size / IDX_OFFSET_ENTRY_SIZE);
    for (uint32_t i = 0; i < whole; i++) {
        struct idx_offset_entry e;
        idx_offset_entry_load(bytes + (size_t)i * IDX_OFFSET_ENTRY_SIZE, &e);
        if (i > 0 && e.relative_offset == 0)
            break; /* the preallocated zeros of an active index */
        int64_t offset = base + e.relative_offset;
        if (d->o->json)
            fprintf(d->out,
                    "{\"type\":\"index\",\"offset\":%" PRId64 ",\"position\":%" PRId32 "}\n",
                    offset, e.position);
        else
            fprintf(d->out, "offset: %" PRId64 " position: %" PRId32 "\n", offset, e.position);
        if (log != NULL)
            offset_entry_check(d, log, offset, (uint32_t)e.position);
    }
    if (log != NULL)
        fclose(log);
    return KS_OK;
}

/* The first batch whose last offset >= offset, walking from position 0 (the walk is
 * resumed from *position_io, which callers reset when offsets go back). */
static bool log_find_batch(struct dumper *d, FILE *log, int64_t offset, uint64_t *position_io,
                           struct rb_scan *scan)
{
    for (uint32_t i = 0; i < DUMPLOG_BATCHES_MAX; i++) {
        uint32_t size = 0;
        if (batch_read(d, log, *position_io, scan, &size) != KS_OK)
            return false;
        if (scan->last_offset >= offset)
            return true;
        *position_io += size;
    }
    return false;
}

struct time_check {
    FILE *log;
    uint64_t position;
    int64_t last_offset;
    int64_t prev_timestamp;
};

static void time_entry_check(struct dumper *d, struct time_check *c, int64_t timestamp,
                             int64_t offset)
{
    if (offset < c->last_offset)
        c->position = 0;
    c->last_offset = offset;
    struct rb_scan scan;
    if (!log_find_batch(d, c->log, offset, &c->position, &scan)) {
        print_mismatch(d, "timeindex_offset_not_found",
                       "The following indexed offsets are not found in the log.", "index_offset",
                       offset, "log_offset", -1);
    } else if (scan.last_offset != offset) {
        print_mismatch(d, "timeindex_offset_not_found",
                       "The following indexed offsets are not found in the log.", "index_offset",
                       offset, "log_offset", scan.last_offset);
    } else if (scan.header.max_timestamp != timestamp) {
        print_mismatch(d, "timeindex_mismatch", "Found timestamp mismatch in", "index_timestamp",
                       timestamp, "log_timestamp", scan.header.max_timestamp);
    }
    if (c->prev_timestamp >= timestamp)
        print_mismatch(d, "timeindex_out_of_order", "Found out of order timestamp in",
                       "index_timestamp", timestamp, "previously_indexed_timestamp",
                       c->prev_timestamp);
    c->prev_timestamp = timestamp;
}

static enum ks_err dump_time_index(struct dumper *d, const uint8_t *bytes, size_t size)
{
    uint32_t entries = 0;
    enum ks_err check = idx_time_check(bytes, size, &entries);
    if (d->o->index_sanity_check)
        return sanity_report(d, check);
    if (check != KS_OK)
        print_problem(d, "corrupt", 0, check, "the index fails Kafka's sanity check");
    int64_t base = base_offset_of(d->path);
    struct time_check c = {.log = open_sibling_log(d->path), .prev_timestamp = INT64_MIN};
    uint32_t whole = (uint32_t)(size / IDX_TIME_ENTRY_SIZE);
    for (uint32_t i = 0; i < whole; i++) {
        struct idx_time_entry e;
        idx_time_entry_load(bytes + (size_t)i * IDX_TIME_ENTRY_SIZE, &e);
        if (i > 0 && e.relative_offset == 0 && e.timestamp == 0)
            break; /* preallocated zeros */
        int64_t offset = base + e.relative_offset;
        if (d->o->json)
            fprintf(d->out,
                    "{\"type\":\"timeindex\",\"timestamp\":%" PRId64 ",\"offset\":%" PRId64 "}\n",
                    e.timestamp, offset);
        else
            fprintf(d->out, "timestamp: %" PRId64 " offset: %" PRId64 "\n", e.timestamp, offset);
        if (c.log != NULL)
            time_entry_check(d, &c, e.timestamp, offset);
    }
    if (c.log != NULL)
        fclose(c.log);
    return KS_OK;
}

/* ---- Checkpoints and small text files ---------------------------------------------- */

static void dump_offset_checkpoint(struct dumper *d, const uint8_t *bytes, size_t size)
{
    struct ckpt_offset_entry *entries = NULL;
    uint32_t count = 0;
    enum ks_err e = ckpt_offsets_parse(bytes, size, &entries, &count);
    if (e != KS_OK) {
        print_problem(d, "corrupt", 0, e, "not a valid offset checkpoint file");
        return;
    }
    if (!d->o->json)
        fprintf(d->out, "version: %d entries: %" PRIu32 "\n", CKPT_VERSION, count);
    for (uint32_t i = 0; i < count; i++) {
        if (d->o->json) {
            fputs("{\"type\":\"offset_checkpoint\",\"topic\":", d->out);
            json_cstr(d->out, entries[i].topic);
            fprintf(d->out, ",\"partition\":%" PRId32 ",\"offset\":%" PRId64 "}\n",
                    entries[i].partition, entries[i].offset);
        } else {
            fprintf(d->out, "topic: %s partition: %" PRId32 " offset: %" PRId64 "\n",
                    entries[i].topic, entries[i].partition, entries[i].offset);
        }
    }
    free(entries);
}

static void dump_epoch_checkpoint(struct dumper *d, const uint8_t *bytes, size_t size)
{
    struct ckpt_epoch_entry *entries = NULL;
    uint32_t count = 0;
    enum ks_err e = ckpt_epochs_parse(bytes, size, &entries, &count);
    if (e != KS_OK) {
        print_problem(d, "corrupt", 0, e, "not a valid leader-epoch-checkpoint file");
        return;
    }
    if (!d->o->json)
        fprintf(d->out, "version: %d entries: %" PRIu32 "\n", CKPT_VERSION, count);
    for (uint32_t i = 0; i < count; i++) {
        if (d->o->json)
            fprintf(d->out,
                    "{\"type\":\"epoch_checkpoint\",\"epoch\":%" PRId32 ",\"start_offset\":%" PRId64
                    "}\n",
                    entries[i].epoch, entries[i].start_offset);
        else
            fprintf(d->out, "epoch: %" PRId32 " startOffset: %" PRId64 "\n", entries[i].epoch,
                    entries[i].start_offset);
    }
    free(entries);
}

/* partition.metadata, meta.properties: `key: value` or `key=value` lines. */
static void dump_properties(struct dumper *d, const uint8_t *bytes, size_t size)
{
    const char *text = (const char *)bytes;
    size_t line_start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i < size && bytes[i] != '\n')
            continue;
        size_t n = i - line_start;
        const char *line = text + line_start;
        line_start = i + 1;
        const char *sep = memchr(line, ':', n);
        const char *eq = memchr(line, '=', n);
        if (eq != NULL && (sep == NULL || eq < sep))
            sep = eq;
        if (n == 0 || line[0] == '#' || sep == NULL)
            continue;
        size_t key_n = (size_t)(sep - line);
        const char *value = sep + 1;
        size_t value_n = n - key_n - 1;
        while (value_n > 0 && (*value == ' ' || *value == '\t'))
            value++, value_n--;
        while (value_n > 0 && (value[value_n - 1] == '\r' || value[value_n - 1] == ' '))
            value_n--;
        if (d->o->json) {
            fputs("{\"type\":\"property\",\"key\":", d->out);
            json_bytes(d->out, (const uint8_t *)line, key_n);
            fputs(",\"value\":", d->out);
            json_bytes(d->out, (const uint8_t *)value, value_n);
            fputs("}\n", d->out);
        } else {
            fprintf(d->out, "%.*s: %.*s\n", (int)key_n, line, (int)value_n, value);
        }
    }
}

/* .kafka_cleanshutdown and quorum-state hold JSON; shown as they are. */
static void dump_text(struct dumper *d, const uint8_t *bytes, size_t size)
{
    if (d->o->json) {
        fputs("{\"type\":\"text\",\"text\":", d->out);
        json_bytes(d->out, bytes, size);
        fputs("}\n", d->out);
    } else {
        text_bytes(d->out, bytes, size);
        fputc('\n', d->out);
    }
}

static enum ks_err dump_small(struct dumper *d, enum dumplog_kind kind)
{
    uint8_t *bytes = NULL;
    size_t size = 0;
    size_t max = kind == DUMPLOG_KIND_INDEX || kind == DUMPLOG_KIND_TIMEINDEX
                     ? DUMPLOG_INDEX_BYTES_MAX
                     : DUMPLOG_SMALL_FILE_BYTES_MAX;
    enum ks_err e = read_whole(d, d->path, max, &bytes, &size);
    if (e == KS_ERR_TOO_MANY) {
        fprintf(d->err, "ksim dump-log: %s is larger than %zu bytes\n", d->path, max);
        return KS_ERR_IO;
    }
    if (e != KS_OK) {
        report_open_error(d, e == KS_ERR_NOT_FOUND ? ENOENT : EIO);
        return e;
    }
    print_file_start(d, kind);
    if (kind == DUMPLOG_KIND_INDEX)
        e = dump_offset_index(d, bytes, size);
    else if (kind == DUMPLOG_KIND_TIMEINDEX)
        e = dump_time_index(d, bytes, size);
    else if (kind == DUMPLOG_KIND_OFFSET_CHECKPOINT)
        dump_offset_checkpoint(d, bytes, size);
    else if (kind == DUMPLOG_KIND_EPOCH_CHECKPOINT)
        dump_epoch_checkpoint(d, bytes, size);
    else if (kind == DUMPLOG_KIND_PARTITION_METADATA || kind == DUMPLOG_KIND_PROPERTIES)
        dump_properties(d, bytes, size);
    else
        dump_text(d, bytes, size);
    if (d->o->json && (kind == DUMPLOG_KIND_INDEX || kind == DUMPLOG_KIND_TIMEINDEX))
        fprintf(d->out, "{\"type\":\"end\",\"mismatches\":%" PRIu64 "}\n", d->mismatches);
    free(bytes);
    return e;
}

/* ---- Entry points -------------------------------------------------------------------- */

enum ks_err dumplog_file(const struct dumplog_options *o, const char *path, FILE *out, FILE *err)
{
    KS_ASSERT(o != NULL);
    KS_ASSERT(path != NULL);
    struct stat st;
    memset(&st, 0, sizeof(st));
    int stat_errno = stat(path, &st) == 0 ? 0 : errno;
    if (stat_errno != 0 || S_ISDIR(st.st_mode)) {
        fprintf(err, "ksim dump-log: cannot read %s: %s\n", path,
                stat_errno != 0 ? strerror(stat_errno) : "it is a directory");
        return stat_errno == ENOENT ? KS_ERR_NOT_FOUND : KS_ERR_IO;
    }
    struct dumper d = {.o = o, .out = out, .err = err, .path = path};
    d.metadata = in_metadata_dir(path);
    d.offsets = in_dir_named(path, DUMPLOG_OFFSETS_DIR);
    enum dumplog_kind kind = dumplog_kind_of(path);
    enum ks_err e;
    if (kind == DUMPLOG_KIND_UNKNOWN) {
        fprintf(err, "ksim dump-log: ignoring unknown file %s\n", path);
        e = KS_ERR_INVALID;
    } else if (kind == DUMPLOG_KIND_LOG) {
        e = dump_log(&d);
    } else {
        e = dump_small(&d, kind);
    }
    free(d.buf);
    fflush(out);
    return e;
}

static const char dumplog_usage[] =
    "usage: ksim dump-log FILE... [--json] [--deep-iteration] [--print-data-log]\n"
    "                             [--index-sanity-check]\n"
    "  .log segments, .index, .timeindex, *-checkpoint files, leader-epoch-checkpoint,\n"
    "  .kafka_cleanshutdown, partition.metadata, quorum-state, meta.properties\n";

int dumplog_main(int argc, char **argv, FILE *out, FILE *err)
{
    struct dumplog_options o = {0};
    uint32_t files = 0;
    for (int i = 0; i < argc && i < (int)DUMPLOG_FILES_MAX; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0)
            o.json = true;
        else if (strcmp(a, "--deep-iteration") == 0)
            o.deep_iteration = true;
        else if (strcmp(a, "--print-data-log") == 0)
            o.print_data_log = true;
        else if (strcmp(a, "--index-sanity-check") == 0)
            o.index_sanity_check = true;
        else if (strncmp(a, "--files=", 8) == 0 || strncmp(a, "--", 2) != 0)
            files++;
        else {
            fprintf(err, "ksim dump-log: unknown option '%s'\n%s", a, dumplog_usage);
            return 2;
        }
    }
    if (files == 0 || argc > (int)DUMPLOG_FILES_MAX) {
        fprintf(err, "ksim dump-log: %s\n%s", files == 0 ? "no file given" : "too many files",
                dumplog_usage);
        return 2;
    }
    int code = 0;
    for (int i = 0; i < argc; i++) {
        const char *path = argv[i];
        if (strncmp(path, "--files=", 8) == 0)
            path += 8;
        else if (strncmp(path, "--", 2) == 0)
            continue;
        enum ks_err e = dumplog_file(&o, path, out, err);
        if (e == KS_ERR_NOT_FOUND || e == KS_ERR_IO)
            code = 2;
    }
    return code;
}
