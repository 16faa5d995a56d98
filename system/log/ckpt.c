/*
 * ckpt.c: offset and leader-epoch checkpoint files. Kafka: CheckpointFile,
 * OffsetCheckpointFile, LeaderEpochCheckpointFile. See ckpt.h for the format and
 * the rules. A line reader hands out one line at a time; each entry parser splits it
 * into fields as Java's "\\s+" split does and converts them as Integer.parseInt and
 * Long.parseLong do.
 */
#include "system/log/ckpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CKPT_FIELDS_MAX 3u
#define CKPT_NUMBER_DIGITS_MAX 19u /* int64 */

/* Walks the text line by line (Java's BufferedReader.readLine). */
struct ckpt_reader {
    const uint8_t *text;
    size_t size;
    size_t position;
};

/* A field within a line. */
struct ckpt_field {
    const uint8_t *bytes;
    size_t size;
};

/* Next line without its terminator; false at the end of the text. */
static bool ckpt_reader_line(struct ckpt_reader *r, const uint8_t **line_out, size_t *size_out)
{
    KS_ASSERT(r->position <= r->size);
    if (r->position == r->size)
        return false;
    const uint8_t *start = r->text + r->position;
    const uint8_t *nl = memchr(start, '\n', r->size - r->position);
    size_t n = nl != NULL ? (size_t)(nl - start) : r->size - r->position;
    r->position += n + (nl != NULL ? 1 : 0);
    if (n > 0 && start[n - 1] == '\r')
        n--;
    *line_out = start;
    *size_out = n;
    KS_ASSERT(r->position <= r->size);
    return true;
}

static bool ckpt_is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r';
}

/*
 * Splits a line at runs of blanks. A leading blank makes an empty first field (as
 * Java's split does), which no entry accepts. Returns the field count, or
 * CKPT_FIELDS_MAX + 1 when there are more.
 */
static uint32_t ckpt_split(const uint8_t *line, size_t size, struct ckpt_field *fields)
{
    uint32_t count = 0;
    size_t i = 0;
    while (i < size || count == 0) {
        if (count == CKPT_FIELDS_MAX)
            return CKPT_FIELDS_MAX + 1;
        size_t start = i;
        while (i < size && !ckpt_is_blank(line[i]))
            i++;
        fields[count].bytes = line + start;
        fields[count].size = i - start;
        count++;
        while (i < size && ckpt_is_blank(line[i]))
            i++;
        if (i == size)
            break;
    }
    KS_ASSERT(count >= 1 && count <= CKPT_FIELDS_MAX);
    return count;
}

/* Long.parseLong within [min, max]: optional sign, then 1..19 decimal digits. */
static bool ckpt_parse_integer(struct ckpt_field f, int64_t min, int64_t max, int64_t *out)
{
    size_t i = 0;
    bool negative = false;
    if (f.size > 0 && (f.bytes[0] == '-' || f.bytes[0] == '+')) {
        negative = f.bytes[0] == '-';
        i = 1;
    }
    if (i == f.size || f.size - i > CKPT_NUMBER_DIGITS_MAX)
        return false;
    uint64_t magnitude = 0;
    for (; i < f.size; i++) {
        if (f.bytes[i] < '0' || f.bytes[i] > '9')
            return false;
        magnitude = magnitude * 10 + (uint64_t)(f.bytes[i] - '0'); /* < 10^19 < 2^64 */
    }
    if (!negative && magnitude > (uint64_t)max)
        return false;
    if (negative && magnitude > (uint64_t)0 - (uint64_t)min)
        return false;
    *out = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
    return *out >= min && *out <= max;
}

bool ckpt_topic_is_legal(const char *name, size_t size_bytes)
{
    if (size_bytes == 0 || size_bytes > CKPT_TOPIC_SIZE_MAX)
        return false;
    for (size_t i = 0; i < size_bytes; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* Reads the version and count lines. *empty_out: the file is empty (no entries). */
static enum ks_err ckpt_read_preamble(struct ckpt_reader *r, bool *empty_out, uint32_t *count_out)
{
    const uint8_t *line = NULL;
    size_t n = 0;
    int64_t version = 0, count = 0;
    *empty_out = !ckpt_reader_line(r, &line, &n);
    if (*empty_out)
        return KS_OK;
    struct ckpt_field whole = {line, n};
    if (!ckpt_parse_integer(whole, INT32_MIN, INT32_MAX, &version) || version != CKPT_VERSION)
        return KS_ERR_INVALID;
    if (!ckpt_reader_line(r, &line, &n))
        return KS_ERR_INVALID;
    whole = (struct ckpt_field){line, n};
    if (!ckpt_parse_integer(whole, INT32_MIN, INT32_MAX, &count) || count < 0)
        return KS_ERR_INVALID;
    if (count > (int64_t)CKPT_ENTRIES_MAX)
        return KS_ERR_TOO_MANY;
    *count_out = (uint32_t)count;
    return KS_OK;
}

/* Parses "topic partition offset". */
static bool ckpt_offset_line(const uint8_t *line, size_t n, struct ckpt_offset_entry *out)
{
    struct ckpt_field f[CKPT_FIELDS_MAX];
    int64_t partition = 0;
    if (n > CKPT_LINE_SIZE_MAX || ckpt_split(line, n, f) != 3)
        return false;
    if (!ckpt_topic_is_legal((const char *)f[0].bytes, f[0].size) ||
        !ckpt_parse_integer(f[1], INT32_MIN, INT32_MAX, &partition) ||
        !ckpt_parse_integer(f[2], INT64_MIN, INT64_MAX, &out->offset))
        return false;
    memcpy(out->topic, f[0].bytes, f[0].size);
    out->topic[f[0].size] = '\0';
    out->partition = (int32_t)partition;
    return true;
}

/* Parses "epoch startOffset". */
static bool ckpt_epoch_line(const uint8_t *line, size_t n, struct ckpt_epoch_entry *out)
{
    struct ckpt_field f[CKPT_FIELDS_MAX];
    int64_t epoch = 0;
    if (n > CKPT_LINE_SIZE_MAX || ckpt_split(line, n, f) != 2)
        return false;
    if (!ckpt_parse_integer(f[0], INT32_MIN, INT32_MAX, &epoch) ||
        !ckpt_parse_integer(f[1], INT64_MIN, INT64_MAX, &out->start_offset))
        return false;
    out->epoch = (int32_t)epoch;
    return true;
}

/*
 * The shared reader: preamble, then exactly count entry lines, each parsed by
 * parse_line into entries[i] (entry_size bytes each). More lines than count, or fewer,
 * is malformed, as in CheckpointReadBuffer.read.
 */
static enum ks_err ckpt_parse(const uint8_t *text, size_t size, size_t entry_size,
                              bool (*parse_line)(const uint8_t *, size_t, void *),
                              void **entries_out, uint32_t *count_out)
{
    KS_ASSERT(text != NULL || size == 0);
    struct ckpt_reader r = {text, size, 0};
    bool empty = false;
    uint32_t count = 0;
    *entries_out = NULL;
    *count_out = 0;
    enum ks_err err = ckpt_read_preamble(&r, &empty, &count);
    if (err != KS_OK || empty)
        return err;
    if (count > size / 4 + 1) /* each line takes at least "x 0\n" */
        return KS_ERR_INVALID;
    uint8_t *entries = count == 0 ? NULL : ks_alloc((size_t)count * entry_size);
    const uint8_t *line = NULL;
    size_t n = 0;
    uint32_t seen = 0;
    while (ckpt_reader_line(&r, &line, &n)) { /* each pass consumes a line */
        if (seen == count || !parse_line(line, n, entries + (size_t)seen * entry_size)) {
            free(entries);
            return KS_ERR_INVALID;
        }
        seen++;
    }
    if (seen != count) {
        free(entries);
        return KS_ERR_INVALID;
    }
    *entries_out = entries;
    *count_out = count;
    return KS_OK;
}

static bool ckpt_offset_line_any(const uint8_t *line, size_t n, void *out)
{
    return ckpt_offset_line(line, n, out);
}

static bool ckpt_epoch_line_any(const uint8_t *line, size_t n, void *out)
{
    return ckpt_epoch_line(line, n, out);
}

enum ks_err ckpt_offsets_parse(const uint8_t *text, size_t size_bytes,
                               struct ckpt_offset_entry **entries_out, uint32_t *count_out)
{
    void *entries = NULL;
    enum ks_err err = ckpt_parse(text, size_bytes, sizeof(struct ckpt_offset_entry),
                                 ckpt_offset_line_any, &entries, count_out);
    *entries_out = entries;
    return err;
}

/* Both columns strictly increase (LeaderEpochFileCache's invariant). */
static bool ckpt_epochs_increasing(const struct ckpt_epoch_entry *e, uint32_t count)
{
    for (uint32_t i = 1; i < count; i++)
        if (e[i].epoch <= e[i - 1].epoch || e[i].start_offset <= e[i - 1].start_offset)
            return false;
    return true;
}

enum ks_err ckpt_epochs_parse(const uint8_t *text, size_t size_bytes,
                              struct ckpt_epoch_entry **entries_out, uint32_t *count_out)
{
    void *entries = NULL;
    enum ks_err err = ckpt_parse(text, size_bytes, sizeof(struct ckpt_epoch_entry),
                                 ckpt_epoch_line_any, &entries, count_out);
    if (err == KS_OK && !ckpt_epochs_increasing(entries, *count_out)) {
        free(entries);
        entries = NULL;
        *count_out = 0;
        err = KS_ERR_INVALID;
    }
    *entries_out = entries;
    return err;
}

/* ---- Writing ----------------------------------------------------------------------- */

#define CKPT_NUMBER_TEXT_MAX 21u /* "-9223372036854775808" and a separator */

void ckpt_offsets_format(const struct ckpt_offset_entry *entries, uint32_t count, char **text_out,
                         size_t *size_out)
{
    KS_ASSERT(count <= CKPT_ENTRIES_MAX);
    KS_ASSERT(entries != NULL || count == 0);
    size_t capacity = 2 * CKPT_NUMBER_TEXT_MAX + 1 +
                      (size_t)count * (CKPT_TOPIC_SIZE_MAX + 2 * CKPT_NUMBER_TEXT_MAX + 1);
    char *text = ks_alloc(capacity);
    size_t n = (size_t)snprintf(text, capacity, "%d\n%u\n", CKPT_VERSION, count);
    for (uint32_t i = 0; i < count; i++) {
        const struct ckpt_offset_entry *e = &entries[i];
        KS_ASSERT(ckpt_topic_is_legal(e->topic, strnlen(e->topic, CKPT_TOPIC_SIZE_MAX + 1)));
        n += (size_t)snprintf(text + n, capacity - n, "%s %d %lld\n", e->topic, (int)e->partition,
                              (long long)e->offset);
        KS_ASSERT(n < capacity);
    }
    *text_out = text;
    *size_out = n;
}

void ckpt_epochs_format(const struct ckpt_epoch_entry *entries, uint32_t count, char **text_out,
                        size_t *size_out)
{
    KS_ASSERT(count <= CKPT_ENTRIES_MAX);
    KS_ASSERT(ckpt_epochs_increasing(entries, count));
    size_t capacity = (size_t)(count + 1) * 2 * CKPT_NUMBER_TEXT_MAX + 1;
    char *text = ks_alloc(capacity);
    size_t n = (size_t)snprintf(text, capacity, "%d\n%u\n", CKPT_VERSION, count);
    for (uint32_t i = 0; i < count; i++) {
        n += (size_t)snprintf(text + n, capacity - n, "%d %lld\n", (int)entries[i].epoch,
                              (long long)entries[i].start_offset);
        KS_ASSERT(n < capacity);
    }
    *text_out = text;
    *size_out = n;
}
