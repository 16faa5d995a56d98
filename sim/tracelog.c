/*
 * tracelog.c: a captured trace, see tracelog.h. The capture goes through
 * open_memstream: the world writes lines into memory exactly as it would into --trace.
 */
#include "tracelog.h"

#include <stdlib.h>
#include <string.h>

struct tracelog {
    char *text;
    size_t len;
    uint32_t *line_starts; /* offset of each line */
    uint32_t line_count;
};

/* "MS.NNNNNN": milliseconds, a dot and six digits of nanoseconds. */
static bool parse_time(const char *s, size_t len, uint64_t *ns_out)
{
    uint64_t ms = 0, frac = 0;
    size_t i = 0;
    for (; i < len && i < 20 && s[i] >= '0' && s[i] <= '9'; i++)
        ms = ms * 10 + (uint64_t)(s[i] - '0');
    if (i == 0 || i >= len || s[i] != '.' || len - i - 1 != 6)
        return false;
    for (size_t d = i + 1; d < len; d++) {
        if (s[d] < '0' || s[d] > '9')
            return false;
        frac = frac * 10 + (uint64_t)(s[d] - '0');
    }
    *ns_out = ms * WORLD_NS_PER_MS + frac;
    return true;
}

/* The next space-separated word of line[*at, len). */
static bool next_word(const char *line, size_t len, size_t *at, size_t *start, size_t *word_len)
{
    *start = *at;
    size_t end = *at;
    while (end < len && line[end] != ' ')
        end++;
    *word_len = end - *start;
    *at = end < len ? end + 1 : end;
    return *word_len > 0;
}

bool tracelog_parse_line(const char *line, size_t len, struct tracelog_record *out)
{
    size_t at = 0, start = 0, word = 0;
    memset(out, 0, sizeof(*out));
    if (!next_word(line, len, &at, &start, &word) || !parse_time(line + start, word, &out->time_ns))
        return false;
    if (!next_word(line, len, &at, &start, &word) || word >= sizeof(out->node))
        return false;
    memcpy(out->node, line + start, word);
    if (!next_word(line, len, &at, &start, &word) || word >= sizeof(out->kind))
        return false;
    memcpy(out->kind, line + start, word);
    KS_ASSERT(at <= len);
    out->text = line + at;
    out->text_len = (uint32_t)(len - at);
    return true;
}

static void tracelog_index(struct tracelog *log)
{
    uint32_t count = 0;
    for (size_t i = 0; i < log->len; i++)
        count += log->text[i] == '\n' ? 1u : 0u;
    if (log->len > 0 && log->text[log->len - 1] != '\n')
        count++;
    KS_ASSERT(count <= TRACELOG_LINES_MAX);
    log->line_starts = ks_alloc((count + 1) * sizeof(uint32_t));
    uint32_t line = 0;
    for (size_t i = 0; i < log->len && line < count; i++) {
        if (i == 0 || log->text[i - 1] == '\n')
            log->line_starts[line++] = (uint32_t)i;
    }
    KS_ASSERT(line == count);
    log->line_starts[count] = (uint32_t)log->len;
    log->line_count = count;
}

struct tracelog *tracelog_from_text(const char *text, size_t len)
{
    KS_ASSERT(len < UINT32_MAX);
    struct tracelog *log = ks_alloc(sizeof(*log));
    log->text = ks_alloc(len + 1);
    memcpy(log->text, text, len);
    log->len = len;
    tracelog_index(log);
    return log;
}

enum ks_err tracelog_capture(const struct scn_script *script, const struct runner_options *options,
                             struct runner_result *result, struct tracelog **log_out)
{
    char *buf = NULL;
    size_t len = 0;
    *log_out = NULL;
    FILE *trace = open_memstream(&buf, &len);
    if (trace == NULL)
        return KS_ERR_IO;
    enum ks_err err = runner_run_once(script, options, trace, NULL, result);
    bool closed = fclose(trace) == 0;
    if (err == KS_OK && closed)
        *log_out = tracelog_from_text(buf, len);
    free(buf);
    return err == KS_OK && !closed ? KS_ERR_IO : err;
}

void tracelog_free(struct tracelog *log)
{
    if (log == NULL)
        return;
    free(log->line_starts);
    free(log->text);
    free(log);
}

uint32_t tracelog_count(const struct tracelog *log)
{
    return log->line_count;
}

bool tracelog_get(const struct tracelog *log, uint32_t i, struct tracelog_record *out)
{
    KS_ASSERT(i < log->line_count);
    uint32_t start = log->line_starts[i];
    uint32_t end = log->line_starts[i + 1];
    KS_ASSERT(start <= end);
    if (end > start && log->text[end - 1] == '\n')
        end--;
    return tracelog_parse_line(log->text + start, end - start, out);
}

const char *tracelog_text(const struct tracelog *log, size_t *len_out)
{
    *len_out = log->len;
    return log->text;
}

void tracelog_text_copy(const struct tracelog_record *r, char *buf, size_t buf_bytes)
{
    KS_ASSERT(buf_bytes > 0);
    size_t n = r->text_len < buf_bytes - 1 ? r->text_len : buf_bytes - 1;
    memcpy(buf, r->text, n);
    buf[n] = '\0';
}
