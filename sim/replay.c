/*
 * replay.c: replay files and `ksim replay`, see replay.h.
 */
#include "replay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "narrate.h"
#include "report.h"
#include "tracelog.h"

#define REPLAY_SEPARATOR "---\n"
#define REPLAY_STATE_BYTES_MAX 512u

const char *replay_outcome_name(enum replay_outcome outcome)
{
    switch (outcome) {
    case REPLAY_OUTCOME_PASS:
        return "pass";
    case REPLAY_OUTCOME_VIOLATION:
        return "violation";
    case REPLAY_OUTCOME_CRASH:
        return "crash";
    }
    return "?";
}

/* ---- Writing ---------------------------------------------------------------------- */

void replay_file_from_result(struct replay_file *f, const char *name, const char *scenario,
                             const struct runner_options *o, const struct runner_result *r)
{
    memset(f, 0, sizeof(*f));
    KS_ASSERT(o->bug_count <= RUNNER_BUGS_MAX);
    snprintf(f->name, sizeof(f->name), "%s", name);
    f->seed = r->seed;
    for (uint32_t i = 0; i < o->bug_count; i++)
        snprintf(f->bugs[i], sizeof(f->bugs[i]), "%s", o->bug_names[i]);
    f->bug_count = o->bug_count;
    f->outcome = r->violation_count > 0 ? REPLAY_OUTCOME_VIOLATION : REPLAY_OUTCOME_PASS;
    f->hash_known = true;
    f->trace_hash = r->trace_hash;
    f->events = r->events;
    f->sim_ns = r->sim_ns;
    if (r->violation_count > 0)
        f->violation = r->violations[0];
    f->scenario = ks_strdup(scenario);
    f->scenario_bytes = strlen(scenario);
}

/* A value on one line: newlines and tabs become spaces. */
static void format_value(FILE *out, const char *key, const char *value)
{
    fprintf(out, "%s ", key);
    for (size_t i = 0; value[i] != '\0' && i < INV_MESSAGE_BYTES_MAX; i++)
        fputc(value[i] == '\n' || value[i] == '\r' || value[i] == '\t' ? ' ' : value[i], out);
    fputc('\n', out);
}

enum ks_err replay_format(const struct replay_file *f, FILE *out)
{
    KS_ASSERT(f->scenario != NULL);
    KS_ASSERT(f->bug_count <= RUNNER_BUGS_MAX);
    fprintf(out, "# ksim replay file: ksim replay THIS_FILE\nksim-replay %u\n", REPLAY_VERSION);
    format_value(out, "name", f->name);
    fprintf(out, "seed %" PRIu64 "\n", f->seed);
    for (uint32_t i = 0; i < f->bug_count; i++)
        fprintf(out, "bug %s\n", f->bugs[i]);
    fprintf(out, "outcome %s\n", replay_outcome_name(f->outcome));
    if (f->hash_known)
        fprintf(out, "trace-hash %016" PRIx64 "\n", f->trace_hash);
    else
        fprintf(out, "trace-hash none\n");
    fprintf(out, "events %" PRIu64 "\nsim-ns %" PRIu64 "\n", f->events, f->sim_ns);
    if (f->violation.invariant[0] != '\0') {
        format_value(out, "invariant", f->violation.invariant);
        fprintf(out, "violation-ns %" PRIu64 "\n", f->violation.time_ns);
        if (f->violation.node[0] != '\0')
            format_value(out, "node", f->violation.node);
        format_value(out, "message", f->violation.message);
    }
    fprintf(out, "scenario-bytes %zu\n%s", f->scenario_bytes, REPLAY_SEPARATOR);
    fwrite(f->scenario, 1, f->scenario_bytes, out);
    return ferror(out) ? KS_ERR_IO : KS_OK;
}

enum ks_err replay_save(const struct replay_file *f, const char *path)
{
    FILE *out = fopen(path, "w");
    if (out == NULL)
        return KS_ERR_IO;
    enum ks_err err = replay_format(f, out);
    if (fclose(out) != 0)
        err = KS_ERR_IO;
    return err;
}

/* ---- Parsing ---------------------------------------------------------------------- */

struct parse_state {
    struct replay_file *f;
    char *error;
    size_t error_bytes;
    uint32_t line;
    bool version_seen;
    bool seen[16]; /* keys given, by index into header_keys */
    uint64_t scenario_bytes;
};

static bool parse_fail(struct parse_state *st, const char *fmt, ...) KS_PRINTF(2, 3);
static bool parse_fail(struct parse_state *st, const char *fmt, ...)
{
    char message[REPLAY_ERROR_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    snprintf(st->error, st->error_bytes, "line %" PRIu32 ": %s", st->line, message);
    return false;
}

static bool parse_u64(const char *text, int base, uint64_t *out)
{
    if (text[0] == '\0' || text[0] == '-' || text[0] == '+' || text[0] == ' ')
        return false;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(text, &end, base);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

static bool parse_string(struct parse_state *st, const char *value, char *dst, size_t dst_bytes)
{
    size_t n = strlen(value);
    if (n >= dst_bytes)
        return parse_fail(st, "value too long (%zu bytes, at most %zu)", n, dst_bytes - 1);
    memcpy(dst, value, n + 1);
    return true;
}

static bool parse_outcome(struct parse_state *st, const char *value)
{
    for (int o = REPLAY_OUTCOME_PASS; o <= REPLAY_OUTCOME_CRASH; o++) {
        if (strcmp(value, replay_outcome_name((enum replay_outcome)o)) == 0) {
            st->f->outcome = (enum replay_outcome)o;
            return true;
        }
    }
    return parse_fail(st, "outcome must be pass, violation or crash, not '%s'", value);
}

static bool parse_hash(struct parse_state *st, const char *value)
{
    if (strcmp(value, "none") == 0)
        return true;
    if (strlen(value) != 16 || !parse_u64(value, 16, &st->f->trace_hash))
        return parse_fail(st, "trace-hash must be 16 hex digits or none, not '%s'", value);
    st->f->hash_known = true;
    return true;
}

static bool parse_number(struct parse_state *st, const char *key, const char *value, uint64_t *out)
{
    if (!parse_u64(value, 10, out))
        return parse_fail(st, "%s takes a whole number, not '%s'", key, value);
    return true;
}

static const char *const header_keys[] = {"name",         "seed",   "bug",     "outcome",
                                          "trace-hash",   "events", "sim-ns",  "invariant",
                                          "violation-ns", "node",   "message", "scenario-bytes"};
_Static_assert(KS_ARRAY_COUNT(header_keys) <= 16, "seen[] holds every key");

static bool parse_value(struct parse_state *st, uint32_t key, const char *value)
{
    struct replay_file *f = st->f;
    switch (key) {
    case 0:
        return parse_string(st, value, f->name, sizeof(f->name));
    case 1:
        return parse_number(st, "seed", value, &f->seed);
    case 2:
        if (f->bug_count == RUNNER_BUGS_MAX)
            return parse_fail(st, "more than %u bug lines", RUNNER_BUGS_MAX);
        return parse_string(st, value, f->bugs[f->bug_count++], sizeof(f->bugs[0]));
    case 3:
        return parse_outcome(st, value);
    case 4:
        return parse_hash(st, value);
    case 5:
        return parse_number(st, "events", value, &f->events);
    case 6:
        return parse_number(st, "sim-ns", value, &f->sim_ns);
    case 7:
        return parse_string(st, value, f->violation.invariant, sizeof(f->violation.invariant));
    case 8:
        return parse_number(st, "violation-ns", value, &f->violation.time_ns);
    case 9:
        return parse_string(st, value, f->violation.node, sizeof(f->violation.node));
    case 10:
        return parse_string(st, value, f->violation.message, sizeof(f->violation.message));
    case 11:
        return parse_number(st, "scenario-bytes", value, &st->scenario_bytes);
    }
    KS_UNREACHABLE();
}

/* One header line (NUL-terminated, without its newline). */
static bool parse_header_line(struct parse_state *st, char *line)
{
    if (line[0] == '#' || line[0] == '\0')
        return true;
    char *space = strchr(line, ' ');
    if (space == NULL)
        return parse_fail(st, "expected 'key value', found '%s'", line);
    *space = '\0';
    const char *value = space + 1;
    if (!st->version_seen) {
        uint64_t version = 0;
        if (strcmp(line, "ksim-replay") != 0 || !parse_u64(value, 10, &version))
            return parse_fail(st, "not a ksim replay file (expected 'ksim-replay %u')",
                              REPLAY_VERSION);
        if (version != REPLAY_VERSION)
            return parse_fail(st, "replay file version %" PRIu64 ", this ksim reads %u", version,
                              REPLAY_VERSION);
        st->version_seen = true;
        return true;
    }
    for (uint32_t k = 0; k < KS_ARRAY_COUNT(header_keys); k++) {
        if (strcmp(line, header_keys[k]) != 0)
            continue;
        if (st->seen[k] && k != 2)
            return parse_fail(st, "'%s' given twice", line);
        st->seen[k] = true;
        return parse_value(st, k, value);
    }
    return parse_fail(st, "unknown key '%s'", line);
}

static bool parse_required(struct parse_state *st)
{
    static const uint32_t required[] = {0, 1, 3, 4, 11};
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(required); i++) {
        if (!st->seen[required[i]])
            return parse_fail(st, "missing '%s'", header_keys[required[i]]);
    }
    if ((st->f->outcome == REPLAY_OUTCOME_CRASH) == st->f->hash_known)
        return parse_fail(st, "a crash has trace-hash none, other outcomes a hash");
    if (st->f->outcome == REPLAY_OUTCOME_VIOLATION && !st->seen[7])
        return parse_fail(st, "outcome violation needs an 'invariant' line");
    return true;
}

static bool parse_headers(struct parse_state *st, const char *text, size_t len, size_t *body_out)
{
    size_t at = 0;
    char line[REPLAY_NAME_BYTES_MAX + 64];
    for (uint32_t i = 0; i < REPLAY_HEADER_LINES_MAX; i++) {
        st->line = i + 1;
        const char *nl = memchr(text + at, '\n', len - at);
        if (nl == NULL)
            return parse_fail(st, "the file ends before the '---' line");
        size_t n = (size_t)(nl - (text + at));
        if (n >= sizeof(line))
            return parse_fail(st, "line too long");
        memcpy(line, text + at, n);
        line[n] = '\0';
        at += n + 1;
        if (memchr(line, '\0', n) != NULL)
            return parse_fail(st, "a NUL byte in the header");
        if (strcmp(line, "---") == 0) {
            *body_out = at;
            return st->version_seen ? parse_required(st) : parse_fail(st, "not a ksim replay file");
        }
        if (!parse_header_line(st, line))
            return false;
    }
    return parse_fail(st, "more than %u header lines", REPLAY_HEADER_LINES_MAX);
}

enum ks_err replay_parse(const char *text, size_t len, struct replay_file *out, char *error,
                         size_t error_bytes)
{
    KS_ASSERT(error_bytes > 0);
    memset(out, 0, sizeof(*out));
    struct parse_state st = {.f = out, .error = error, .error_bytes = error_bytes};
    size_t body = 0;
    error[0] = '\0';
    if (!parse_headers(&st, text, len, &body)) {
        memset(out, 0, sizeof(*out));
        return KS_ERR_INVALID;
    }
    KS_ASSERT(body <= len);
    if (st.scenario_bytes != len - body) {
        snprintf(error, error_bytes,
                 "scenario-bytes says %" PRIu64 " but %zu bytes follow the '---' line",
                 st.scenario_bytes, len - body);
        memset(out, 0, sizeof(*out));
        return KS_ERR_INVALID;
    }
    out->scenario = ks_alloc(len - body + 1);
    memcpy(out->scenario, text + body, len - body);
    out->scenario_bytes = len - body;
    return KS_OK;
}

enum ks_err replay_read_all(const char *path, size_t max_bytes, char **text_out, size_t *len_out)
{
    *text_out = NULL;
    *len_out = 0;
    FILE *in = fopen(path, "rb");
    if (in == NULL)
        return KS_ERR_IO;
    char *text = ks_alloc(max_bytes + 1);
    size_t len = fread(text, 1, max_bytes + 1, in);
    bool failed = ferror(in) != 0;
    fclose(in);
    if (failed || len > max_bytes) {
        free(text);
        return failed ? KS_ERR_IO : KS_ERR_TOO_MANY;
    }
    text[len] = '\0';
    *text_out = text;
    *len_out = len;
    return KS_OK;
}

enum ks_err replay_load(const char *path, struct replay_file *out, char *error, size_t error_bytes)
{
    char *text = NULL;
    size_t len = 0;
    memset(out, 0, sizeof(*out));
    enum ks_err err = replay_read_all(path, SCN_FILE_BYTES_MAX + 65536u, &text, &len);
    if (err != KS_OK) {
        snprintf(error, error_bytes, "cannot read: %s",
                 err == KS_ERR_TOO_MANY ? "too large" : strerror(errno));
        return err;
    }
    err = replay_parse(text, len, out, error, error_bytes);
    free(text);
    return err;
}

void replay_file_free(struct replay_file *f)
{
    free(f->scenario);
    f->scenario = NULL;
}

bool replay_options_bugs(const struct replay_file *f, struct runner_options *o)
{
    KS_ASSERT(f->bug_count <= RUNNER_BUGS_MAX);
    for (uint32_t i = 0; i < f->bug_count; i++) {
        const struct ks_bug_info *bug = ks_bug_find(f->bugs[i]);
        if (bug == NULL)
            return false;
        if ((o->bugs >> bug->bug) & 1u)
            continue;
        o->bugs |= (env_bug_mask)1 << bug->bug;
        o->bug_names[o->bug_count++] = bug->name;
    }
    return true;
}
