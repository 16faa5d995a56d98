/*
 * scn.c: the scenario language's parser core, see scn.h and scenarios/README.md.
 *
 * Method: the file is split into lines, each line into words (whitespace separated;
 * `|` is a word of its own; `#` at the start of a word ends the line). The first word
 * picks a core statement or a verb from the language's tables; verbs read their words
 * through the cursor functions, which report errors at the column of the offending
 * word. After the last line a final pass checks what needs the whole script: the run
 * duration, times within it, repeat bounds. Only the first error is kept; nothing is
 * run by this file.
 */
#include "scn.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_US 1000ull
#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull
#define WORDS_BYTES_MAX (SCN_LINE_BYTES_MAX * 3u)
#define LIST_TEXT_BYTES_MAX 400u /* lists of names in error messages */

/* The core statements; verbs may not take these names. */
static const char *const core_statements[] = {"world", "node", "at", "every", "run", "expect"};

struct scn_parser {
    const struct scn_lang *lang;
    struct scn_script *script;
    struct scn_error *error;
    bool failed;
    uint32_t line;
    uint32_t line_end_col; /* the column just after the last word */
    struct scn_token tokens[SCN_LINE_TOKENS_MAX];
    uint32_t token_count;
    uint32_t token_index;
    char words[WORDS_BYTES_MAX]; /* NUL-terminated copies of the line's words */
    uint32_t words_used;
    uint64_t at_last_ns; /* time order of `at` lines */
    uint32_t at_last_line;
};

/* ---- Errors ---------------------------------------------------------------------- */

void scn_error_print(const struct scn_error *error, FILE *out)
{
    KS_ASSERT(error != NULL);
    if (error->pos.line == 0)
        fprintf(out, "%s: %s\n", error->file, error->message);
    else
        fprintf(out, "%s:%" PRIu32 ":%" PRIu32 ": %s\n", error->file, error->pos.line,
                error->pos.col, error->message);
}

static bool parser_failv(struct scn_parser *p, uint32_t col, const char *fmt, va_list ap)
{
    KS_ASSERT(col >= 1);
    if (p->failed)
        return false;
    p->failed = true;
    p->error->pos.line = p->line;
    p->error->pos.col = col;
    vsnprintf(p->error->message, sizeof(p->error->message), fmt, ap);
    return false;
}

static bool parser_fail_at(struct scn_parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
    KS_PRINTF(4, 5);
static bool parser_fail_at(struct scn_parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    p->line = line;
    parser_failv(p, col, fmt, ap);
    va_end(ap);
    return false;
}

bool scn_fail(struct scn_parser *p, const struct scn_token *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    parser_failv(p, at == NULL ? p->line_end_col : at->col, fmt, ap);
    va_end(ap);
    return false;
}

/* ---- Durations and numbers ------------------------------------------------------- */

struct unit {
    const char *suffix;
    uint64_t ns;
};
static const struct unit units[] = {
    {"ns", 1},       {"us", NS_PER_US},    {"ms", NS_PER_MS},
    {"s", NS_PER_S}, {"m", 60 * NS_PER_S}, {"h", 3600 * NS_PER_S},
};

void scn_duration_format(uint64_t ns, char *buf, size_t buf_bytes)
{
    KS_ASSERT(buf_bytes > 0);
    uint32_t best = 0;
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(units); i++) {
        if (ns % units[i].ns == 0 && (ns > 0 || i == 3))
            best = i;
    }
    KS_ASSERT(best < KS_ARRAY_COUNT(units));
    snprintf(buf, buf_bytes, "%" PRIu64 "%s", ns / units[best].ns, units[best].suffix);
}

/* Digits of s as a number; *end_out after the last digit. False on overflow or none. */
static bool digits_parse(const char *s, uint64_t *value_out, const char **end_out)
{
    uint64_t value = 0;
    uint32_t count = 0;
    for (; s[count] >= '0' && s[count] <= '9'; count++) {
        if (count >= 20)
            return false;
        uint64_t digit = (uint64_t)(s[count] - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return false;
        value = value * 10 + digit;
    }
    *value_out = value;
    *end_out = s + count;
    return count > 0;
}

static bool duration_parse_unsigned(struct scn_parser *p, const struct scn_token *t,
                                    const char *text, uint64_t *ns_out)
{
    uint64_t value = 0;
    const char *end = text;
    if (!digits_parse(text, &value, &end)) {
        if (text[0] >= '0' && text[0] <= '9')
            return scn_fail(p, t, "duration '%s' is too long (most 30 days)", t->text);
        return scn_fail(p, t,
                        "expected a duration such as 250ms or 5s (units ns, us, ms, s, m, h), "
                        "found '%s'",
                        t->text);
    }
    if (*end == '.' || *end == ',')
        return scn_fail(p, t, "durations are whole numbers: write 1500ms, not 1.5s ('%s')",
                        t->text);
    if (*end == '\0')
        return scn_fail(p, t, "duration '%s' needs a unit (ns, us, ms, s, m, h)", t->text);
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(units); i++) {
        if (strcmp(end, units[i].suffix) != 0)
            continue;
        if (value > SCN_DURATION_NS_MAX / units[i].ns)
            return scn_fail(p, t, "duration '%s' is too long (most 30 days)", t->text);
        *ns_out = value * units[i].ns;
        KS_ASSERT(*ns_out <= SCN_DURATION_NS_MAX);
        return true;
    }
    return scn_fail(p, t, "unknown unit '%s' in duration '%s' (units ns, us, ms, s, m, h)", end,
                    t->text);
}

bool scn_token_duration(struct scn_parser *p, const struct scn_token *t, uint64_t *ns_out)
{
    KS_ASSERT(t != NULL);
    if (t->text[0] == '-' || t->text[0] == '+')
        return scn_fail(p, t, "expected a duration without a sign, found '%s'", t->text);
    return duration_parse_unsigned(p, t, t->text, ns_out);
}

bool scn_token_duration_signed(struct scn_parser *p, const struct scn_token *t, int64_t *ns_out)
{
    KS_ASSERT(t != NULL);
    bool negative = t->text[0] == '-';
    const char *text = t->text + (negative || t->text[0] == '+' ? 1 : 0);
    uint64_t ns = 0;
    if (!duration_parse_unsigned(p, t, text, &ns))
        return false;
    _Static_assert(SCN_DURATION_NS_MAX < (uint64_t)INT64_MAX, "signed durations fit");
    *ns_out = negative ? -(int64_t)ns : (int64_t)ns;
    return true;
}

/* A sub-word of t: len bytes from offset, stored as a token of its own. */
static struct scn_token token_part(struct scn_parser *p, const struct scn_token *t, uint32_t offset,
                                   uint32_t len)
{
    KS_ASSERT(offset + len <= t->len);
    KS_ASSERT(p->words_used + len + 1 <= WORDS_BYTES_MAX);
    char *copy = &p->words[p->words_used];
    memcpy(copy, t->text + offset, len);
    copy[len] = '\0';
    p->words_used += len + 1;
    return (struct scn_token){.text = copy, .len = len, .col = t->col + offset};
}

bool scn_token_duration_range(struct scn_parser *p, const struct scn_token *t, uint64_t *lo_ns,
                              uint64_t *hi_ns)
{
    const char *dots = strstr(t->text, "..");
    if (dots == NULL) {
        if (!scn_token_duration(p, t, lo_ns))
            return false;
        *hi_ns = *lo_ns;
        return true;
    }
    uint32_t split = (uint32_t)(dots - t->text);
    struct scn_token lo = token_part(p, t, 0, split);
    struct scn_token hi = token_part(p, t, split + 2, t->len - split - 2);
    if (!scn_token_duration(p, &lo, lo_ns) || !scn_token_duration(p, &hi, hi_ns))
        return false;
    if (*hi_ns < *lo_ns)
        return scn_fail(p, &hi, "range '%s' goes backwards (expected LOW..HIGH)", t->text);
    return true;
}

bool scn_token_u64(struct scn_parser *p, const struct scn_token *t, uint64_t max, uint64_t *out)
{
    uint64_t value = 0;
    const char *end = t->text;
    if (!digits_parse(t->text, &value, &end)) {
        if (t->text[0] >= '0' && t->text[0] <= '9')
            return scn_fail(p, t, "number '%s' is too large (most %" PRIu64 ")", t->text, max);
        return scn_fail(p, t, "expected a whole number, found '%s'", t->text);
    }
    if (*end != '\0')
        return scn_fail(p, t, "expected a whole number, found '%s'", t->text);
    if (value > max)
        return scn_fail(p, t, "number '%s' is too large (most %" PRIu64 ")", t->text, max);
    *out = value;
    return true;
}

bool scn_token_i64(struct scn_parser *p, const struct scn_token *t, int64_t min, int64_t max,
                   int64_t *out)
{
    KS_ASSERT(min <= max);
    bool negative = t->text[0] == '-';
    struct scn_token digits = *t;
    if (negative || t->text[0] == '+') {
        digits = token_part(p, t, 1, t->len - 1);
        digits.col = t->col;
    }
    uint64_t magnitude = 0;
    if (!scn_token_u64(p, &digits, (uint64_t)INT64_MAX, &magnitude))
        return false;
    int64_t value = negative ? -(int64_t)magnitude : (int64_t)magnitude;
    if (value < min || value > max)
        return scn_fail(p, t, "number '%s' is out of range (%" PRId64 "..%" PRId64 ")", t->text,
                        min, max);
    *out = value;
    return true;
}

/* ---- Nodes ------------------------------------------------------------------------ */

int scn_node_find(const struct scn_script *script, const char *name)
{
    KS_ASSERT(script->node_count <= SCN_NODES_MAX);
    for (uint32_t i = 0; i < script->node_count; i++) {
        if (strcmp(script->nodes[i]->name, name) == 0)
            return (int)i;
    }
    return -1;
}

/* "a, b, c" into buf, cut at the buffer's size. */
static void node_names_list(const struct scn_script *script, char *buf, size_t buf_bytes)
{
    size_t used = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < script->node_count && used + 1 < buf_bytes; i++) {
        int n = snprintf(buf + used, buf_bytes - used, "%s%s", i == 0 ? "" : ", ",
                         script->nodes[i]->name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (script->node_count == 0)
        snprintf(buf, buf_bytes, "none yet");
}

static bool node_lookup(struct scn_parser *p, const struct scn_token *t, uint16_t *id_out)
{
    int id = scn_node_find(p->script, t->text);
    if (id < 0) {
        char names[LIST_TEXT_BYTES_MAX];
        node_names_list(p->script, names, sizeof(names));
        return scn_fail(p, t, "unknown node '%s' (declared before this line: %s)", t->text, names);
    }
    KS_ASSERT((uint32_t)id < SCN_NODES_MAX);
    *id_out = (uint16_t)id;
    return true;
}

static bool node_set_add(struct scn_parser *p, const struct scn_token *t, struct scn_node_set *out)
{
    uint16_t id = 0;
    if (t->len == 0)
        return scn_fail(p, t, "expected a node name (names are separated by ',' only)");
    if (!node_lookup(p, t, &id))
        return false;
    KS_ASSERT(out->count < SCN_NODES_MAX);
    for (uint32_t i = 0; i < out->count; i++) {
        if (out->ids[i] == id)
            return scn_fail(p, t, "node '%s' is named twice", t->text);
    }
    out->ids[out->count++] = id;
    return true;
}

bool scn_token_nodes(struct scn_parser *p, const struct scn_token *t, struct scn_node_set *out)
{
    memset(out, 0, sizeof(*out));
    if (strcmp(t->text, "all") == 0) {
        out->all = true;
        return true;
    }
    uint32_t start = 0;
    for (uint32_t i = 0; i <= t->len; i++) {
        if (i < t->len && t->text[i] != ',')
            continue;
        struct scn_token name = token_part(p, t, start, i - start);
        if (!node_set_add(p, &name, out))
            return false;
        start = i + 1;
    }
    KS_ASSERT(out->count >= 1);
    return true;
}

/* ---- The cursor ------------------------------------------------------------------- */

const struct scn_script *scn_parser_script(const struct scn_parser *p)
{
    return p->script;
}

uint32_t scn_parser_line(const struct scn_parser *p)
{
    KS_ASSERT(p->line >= 1);
    return p->line;
}

bool scn_peek(const struct scn_parser *p, struct scn_token *out)
{
    KS_ASSERT(p->token_index <= p->token_count);
    if (p->token_index == p->token_count)
        return false;
    *out = p->tokens[p->token_index];
    return true;
}

bool scn_next(struct scn_parser *p, const char *what, struct scn_token *out)
{
    if (!scn_peek(p, out))
        return scn_fail(p, NULL, "expected %s", what);
    p->token_index++;
    KS_ASSERT(p->token_index <= p->token_count);
    return true;
}

bool scn_accept(struct scn_parser *p, const char *word)
{
    struct scn_token t;
    if (!scn_peek(p, &t) || strcmp(t.text, word) != 0)
        return false;
    p->token_index++;
    return true;
}

bool scn_expect_word(struct scn_parser *p, const char *word)
{
    struct scn_token t;
    if (!scn_peek(p, &t))
        return scn_fail(p, NULL, "expected '%s'", word);
    if (strcmp(t.text, word) != 0)
        return scn_fail(p, &t, "expected '%s', found '%s'", word, t.text);
    p->token_index++;
    return true;
}

bool scn_end(struct scn_parser *p)
{
    struct scn_token t;
    if (scn_peek(p, &t))
        return scn_fail(p, &t, "expected the end of the line, found '%s'", t.text);
    return true;
}

bool scn_duration(struct scn_parser *p, const char *what, uint64_t *ns_out)
{
    struct scn_token t;
    return scn_next(p, what, &t) && scn_token_duration(p, &t, ns_out);
}

bool scn_time(struct scn_parser *p, const char *what, uint64_t *ns_out)
{
    struct scn_token t;
    if (!scn_next(p, what, &t) || !scn_token_duration(p, &t, ns_out))
        return false;
    struct scn_script *s = p->script;
    KS_ASSERT(s->time_count <= s->time_capacity);
    if (s->time_count == SCN_TIMES_MAX)
        return scn_fail(p, &t, "more than %u times named in verbs", SCN_TIMES_MAX);
    if (s->time_count == s->time_capacity) {
        s->time_capacity = s->time_capacity == 0 ? 16 : s->time_capacity * 2;
        s->times = ks_realloc(s->times, s->time_capacity * sizeof(s->times[0]));
    }
    s->times[s->time_count++] = (struct scn_time_ref){*ns_out, {p->line, t.col}};
    return true;
}

bool scn_duration_signed(struct scn_parser *p, const char *what, int64_t *ns_out)
{
    struct scn_token t;
    return scn_next(p, what, &t) && scn_token_duration_signed(p, &t, ns_out);
}

bool scn_duration_range(struct scn_parser *p, const char *what, uint64_t *lo_ns, uint64_t *hi_ns)
{
    struct scn_token t;
    return scn_next(p, what, &t) && scn_token_duration_range(p, &t, lo_ns, hi_ns);
}

bool scn_u64(struct scn_parser *p, const char *what, uint64_t max, uint64_t *out)
{
    struct scn_token t;
    return scn_next(p, what, &t) && scn_token_u64(p, &t, max, out);
}

bool scn_i64(struct scn_parser *p, const char *what, int64_t min, int64_t max, int64_t *out)
{
    struct scn_token t;
    return scn_next(p, what, &t) && scn_token_i64(p, &t, min, max, out);
}

bool scn_node(struct scn_parser *p, uint16_t *id_out)
{
    struct scn_token t;
    return scn_next(p, "a node name", &t) && node_lookup(p, &t, id_out);
}

bool scn_nodes(struct scn_parser *p, struct scn_node_set *out)
{
    struct scn_token t;
    return scn_next(p, "node names separated by ',' (or 'all')", &t) && scn_token_nodes(p, &t, out);
}

static bool key_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool scn_kv(struct scn_parser *p, const char *what, struct scn_token *key_out,
            struct scn_token *value_out)
{
    struct scn_token t;
    if (!scn_next(p, what, &t))
        return false;
    const char *eq = strchr(t.text, '=');
    if (eq == NULL || eq == t.text)
        return scn_fail(p, &t, "expected %s as key=value, found '%s'", what, t.text);
    uint32_t split = (uint32_t)(eq - t.text);
    for (uint32_t i = 0; i < split; i++) {
        if (!key_char_ok(t.text[i]))
            return scn_fail(p, &t,
                            "property names are lowercase letters, digits and '._-' "
                            "(like log.segment.bytes), found '%s'",
                            t.text);
    }
    if (split + 1 == t.len)
        return scn_fail(p, &t, "property '%s' has no value after '='", t.text);
    *key_out = token_part(p, &t, 0, split);
    *value_out = token_part(p, &t, split + 1, t.len - split - 1);
    return true;
}

/* ---- Lines into words ------------------------------------------------------------- */

static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* One word starting at line[i]; returns its length. `|` is a word of its own. */
static uint32_t word_length(const char *line, uint32_t len, uint32_t i)
{
    if (line[i] == '|')
        return 1;
    uint32_t n = 0;
    while (i + n < len && !space(line[i + n]) && line[i + n] != '|')
        n++;
    return n;
}

static bool parser_tokenize(struct scn_parser *p, const char *line, uint32_t len)
{
    p->token_count = 0;
    p->token_index = 0;
    p->words_used = 0;
    p->line_end_col = 1;
    if (len > SCN_LINE_BYTES_MAX)
        return parser_fail_at(p, p->line, SCN_LINE_BYTES_MAX + 1, "line is longer than %u bytes",
                              SCN_LINE_BYTES_MAX);
    for (uint32_t i = 0; i < len;) {
        if (space(line[i])) {
            i++;
            continue;
        }
        if (line[i] == '#')
            break;
        if (p->token_count == SCN_LINE_TOKENS_MAX)
            return parser_fail_at(p, p->line, i + 1, "more than %u words on one line",
                                  SCN_LINE_TOKENS_MAX);
        uint32_t n = word_length(line, len, i);
        KS_ASSERT(n >= 1);
        KS_ASSERT(p->words_used + n + 1 <= WORDS_BYTES_MAX);
        char *copy = &p->words[p->words_used];
        memcpy(copy, line + i, n);
        copy[n] = '\0';
        p->words_used += n + 1;
        p->tokens[p->token_count++] = (struct scn_token){.text = copy, .len = n, .col = i + 1};
        i += n;
        p->line_end_col = i + 1;
    }
    return true;
}

/* ---- Tables ------------------------------------------------------------------------ */

static bool core_statement(const char *name)
{
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(core_statements); i++) {
        if (strcmp(core_statements[i], name) == 0)
            return true;
    }
    return false;
}

const struct scn_verb *scn_lang_verb(const struct scn_lang *lang, const char *name)
{
    KS_ASSERT(lang->module_count <= SCN_MODULES_MAX);
    for (uint32_t m = 0; m < lang->module_count; m++) {
        const struct scn_module *module = lang->modules[m];
        KS_ASSERT(module->verb_count <= SCN_MODULE_ENTRIES_MAX);
        for (uint32_t i = 0; i < module->verb_count; i++) {
            if (strcmp(module->verbs[i].name, name) == 0)
                return &module->verbs[i];
        }
    }
    return NULL;
}

const struct scn_node_kind *scn_lang_node_kind(const struct scn_lang *lang, const char *name)
{
    KS_ASSERT(lang->module_count <= SCN_MODULES_MAX);
    for (uint32_t m = 0; m < lang->module_count; m++) {
        const struct scn_module *module = lang->modules[m];
        KS_ASSERT(module->node_kind_count <= SCN_MODULE_ENTRIES_MAX);
        for (uint32_t i = 0; i < module->node_kind_count; i++) {
            if (strcmp(module->node_kinds[i].name, name) == 0)
                return &module->node_kinds[i];
        }
    }
    return NULL;
}

const struct inv_def *scn_lang_invariant(const struct scn_lang *lang, const char *name)
{
    KS_ASSERT(lang->module_count <= SCN_MODULES_MAX);
    for (uint32_t m = 0; m < lang->module_count; m++) {
        const struct scn_module *module = lang->modules[m];
        KS_ASSERT(module->invariant_count <= SCN_MODULE_ENTRIES_MAX);
        for (uint32_t i = 0; i < module->invariant_count; i++) {
            if (strcmp(module->invariants[i]->name, name) == 0)
                return module->invariants[i];
        }
    }
    return NULL;
}

/* Which kind of entry a name list holds, for lang_check's messages. */
enum entry_kind { ENTRY_VERB, ENTRY_NODE_KIND, ENTRY_INVARIANT };

static const char *entry_name(const struct scn_module *module, enum entry_kind kind, uint32_t i)
{
    switch (kind) {
    case ENTRY_VERB:
        return module->verbs[i].name;
    case ENTRY_NODE_KIND:
        return module->node_kinds[i].name;
    case ENTRY_INVARIANT:
        return module->invariants[i]->name;
    }
    KS_UNREACHABLE();
}

static uint32_t entry_count(const struct scn_module *module, enum entry_kind kind)
{
    switch (kind) {
    case ENTRY_VERB:
        return module->verb_count;
    case ENTRY_NODE_KIND:
        return module->node_kind_count;
    case ENTRY_INVARIANT:
        return module->invariant_count;
    }
    KS_UNREACHABLE();
}

/* Whether name occurs among the entries of `kind` before (module m, index i). */
static bool entry_seen_before(const struct scn_lang *lang, enum entry_kind kind, uint32_t m,
                              uint32_t i, const char *name)
{
    for (uint32_t mm = 0; mm <= m; mm++) {
        uint32_t end = mm == m ? i : entry_count(lang->modules[mm], kind);
        for (uint32_t ii = 0; ii < end; ii++) {
            if (strcmp(entry_name(lang->modules[mm], kind, ii), name) == 0)
                return true;
        }
    }
    return false;
}

static enum ks_err lang_check_kind(const struct scn_lang *lang, enum entry_kind kind, char *message,
                                   size_t message_bytes)
{
    static const char *const kind_names[] = {"verb", "node kind", "invariant"};
    for (uint32_t m = 0; m < lang->module_count; m++) {
        const struct scn_module *module = lang->modules[m];
        uint32_t count = entry_count(module, kind);
        if (count > SCN_MODULE_ENTRIES_MAX) {
            snprintf(message, message_bytes, "module %s has too many entries", module->name);
            return KS_ERR_TOO_MANY;
        }
        for (uint32_t i = 0; i < count; i++) {
            const char *name = entry_name(module, kind, i);
            bool clash = entry_seen_before(lang, kind, m, i, name) ||
                         (kind == ENTRY_VERB && core_statement(name));
            if (name[0] == '\0' || clash) {
                snprintf(message, message_bytes, "%s '%s' of module %s is defined twice",
                         kind_names[kind], name, module->name);
                return KS_ERR_EXISTS;
            }
        }
    }
    return KS_OK;
}

static enum ks_err lang_check_functions(const struct scn_lang *lang, char *message,
                                        size_t message_bytes)
{
    for (uint32_t m = 0; m < lang->module_count; m++) {
        const struct scn_module *module = lang->modules[m];
        for (uint32_t i = 0; i < module->verb_count && i < SCN_MODULE_ENTRIES_MAX; i++) {
            const struct scn_verb *v = &module->verbs[i];
            if (v->parse == NULL || v->exec == NULL || v->flags == 0) {
                snprintf(message, message_bytes, "verb '%s' lacks parse, exec or flags", v->name);
                return KS_ERR_INVALID;
            }
        }
        for (uint32_t i = 0; i < module->node_kind_count && i < SCN_MODULE_ENTRIES_MAX; i++) {
            if (module->node_kinds[i].type == NULL) {
                snprintf(message, message_bytes, "node kind '%s' lacks a world node type",
                         module->node_kinds[i].name);
                return KS_ERR_INVALID;
            }
        }
    }
    return KS_OK;
}

enum ks_err scn_lang_check(const struct scn_lang *lang, char *message, size_t message_bytes)
{
    KS_ASSERT(message_bytes > 0);
    message[0] = '\0';
    if (lang->module_count > SCN_MODULES_MAX) {
        snprintf(message, message_bytes, "more than %u modules", SCN_MODULES_MAX);
        return KS_ERR_TOO_MANY;
    }
    static const enum entry_kind kinds[] = {ENTRY_VERB, ENTRY_NODE_KIND, ENTRY_INVARIANT};
    for (uint32_t k = 0; k < KS_ARRAY_COUNT(kinds); k++) {
        enum ks_err err = lang_check_kind(lang, kinds[k], message, message_bytes);
        if (err != KS_OK)
            return err;
    }
    return lang_check_functions(lang, message, message_bytes);
}

/* The names of every verb (or invariant or node kind) into buf, for messages. */
static void lang_names_list(const struct scn_lang *lang, enum entry_kind kind, char *buf,
                            size_t buf_bytes)
{
    size_t used = 0;
    buf[0] = '\0';
    for (uint32_t m = 0; m < lang->module_count; m++) {
        uint32_t count = entry_count(lang->modules[m], kind);
        for (uint32_t i = 0; i < count && used + 1 < buf_bytes; i++) {
            int n = snprintf(buf + used, buf_bytes - used, "%s%s", used == 0 ? "" : ", ",
                             entry_name(lang->modules[m], kind, i));
            if (n < 0)
                return;
            used += (size_t)n;
        }
    }
    if (used == 0)
        snprintf(buf, buf_bytes, "none");
}

/* ---- Statements ------------------------------------------------------------------- */

static bool action_append(struct scn_parser *p, const struct scn_action *action)
{
    struct scn_script *s = p->script;
    KS_ASSERT(s->action_count <= s->action_capacity);
    if (s->action_count == SCN_ACTIONS_MAX)
        return parser_fail_at(p, p->line, 1, "more than %u timeline lines", SCN_ACTIONS_MAX);
    if (s->action_count == s->action_capacity) {
        uint32_t capacity = s->action_capacity == 0 ? 16 : s->action_capacity * 2;
        if (capacity > SCN_ACTIONS_MAX)
            capacity = SCN_ACTIONS_MAX;
        s->actions = ks_realloc(s->actions, capacity * sizeof(s->actions[0]));
        s->action_capacity = capacity;
    }
    s->actions[s->action_count++] = *action;
    KS_ASSERT(s->action_count <= s->action_capacity);
    return true;
}

/* The words from token index `from` to the end, joined by spaces. */
static char *parser_text_from(const struct scn_parser *p, uint32_t from)
{
    size_t size = 1;
    for (uint32_t i = from; i < p->token_count; i++)
        size += p->tokens[i].len + 1;
    char *text = ks_alloc(size);
    size_t used = 0;
    for (uint32_t i = from; i < p->token_count; i++) {
        memcpy(text + used, p->tokens[i].text, p->tokens[i].len);
        used += p->tokens[i].len;
        text[used++] = i + 1 < p->token_count ? ' ' : '\0';
    }
    KS_ASSERT(used < size || used == 0);
    return text;
}

/* Parse the verb at the cursor into *action (its timing already filled in). */
static bool parser_verb(struct scn_parser *p, struct scn_action *action)
{
    struct scn_token name;
    if (!scn_next(p, "a verb", &name))
        return false;
    const struct scn_verb *verb = scn_lang_verb(p->lang, name.text);
    if (verb == NULL) {
        char names[LIST_TEXT_BYTES_MAX];
        lang_names_list(p->lang, ENTRY_VERB, names, sizeof(names));
        return scn_fail(p, &name, "unknown verb '%s' (verbs: %s)", name.text, names);
    }
    bool timed = action->when != SCN_WHEN_BARE;
    if (timed && !(verb->flags & SCN_VERB_TIMED))
        return scn_fail(p, &name, "'%s' cannot be timed: write it on a line of its own",
                        verb->name);
    if (!timed && !(verb->flags & SCN_VERB_BARE))
        return scn_fail(p, &name, "'%s' needs a time: write 'at TIME %s'", verb->name, verb->usage);
    uint32_t verb_index = p->token_index - 1;
    void *args = NULL;
    bool ok = verb->parse(p, &args) && scn_end(p) && !p->failed;
    if (!ok) {
        if (verb->free_args != NULL && args != NULL)
            verb->free_args(args);
        else
            free(args);
        if (!p->failed)
            return scn_fail(p, &name, "expected %s", verb->usage);
        return false;
    }
    action->verb = verb;
    action->args = args;
    action->pos = (struct scn_pos){p->line, name.col};
    action->text = parser_text_from(p, verb_index);
    if (action_append(p, action))
        return true;
    free(action->text);
    if (verb->free_args != NULL)
        verb->free_args(args);
    else
        free(args);
    return false;
}

static bool parser_at(struct scn_parser *p)
{
    struct scn_token t;
    struct scn_action action = {.when = SCN_WHEN_AT};
    if (!scn_next(p, "a time such as 5s", &t) || !scn_token_duration(p, &t, &action.at_ns))
        return false;
    if (action.at_ns < p->at_last_ns) {
        char now[32], before[32];
        scn_duration_format(action.at_ns, now, sizeof(now));
        scn_duration_format(p->at_last_ns, before, sizeof(before));
        return scn_fail(
            p, &t, "time %s goes back before %s (line %" PRIu32 "): keep 'at' lines in time order",
            now, before, p->at_last_line);
    }
    p->at_last_ns = action.at_ns;
    p->at_last_line = p->line;
    action.time_pos = (struct scn_pos){p->line, t.col};
    return parser_verb(p, &action);
}

static bool parser_every(struct scn_parser *p)
{
    struct scn_token t;
    struct scn_action action = {.when = SCN_WHEN_EVERY};
    if (!scn_next(p, "a period such as 2s", &t) || !scn_token_duration(p, &t, &action.every_ns))
        return false;
    if (action.every_ns == 0)
        return scn_fail(p, &t, "the period of 'every' must be longer than 0");
    action.time_pos = (struct scn_pos){p->line, t.col};
    action.at_ns = action.every_ns;
    if (scn_accept(p, "from") && !scn_duration(p, "a start time after 'from'", &action.at_ns))
        return false;
    struct scn_token until;
    if (scn_peek(p, &until) && strcmp(until.text, "until") == 0) {
        p->token_index++;
        if (!scn_next(p, "an end time after 'until'", &until) ||
            !scn_token_duration(p, &until, &action.until_ns))
            return false;
        if (action.until_ns <= action.at_ns)
            return scn_fail(p, &until, "'until' must come after the first firing");
        action.until_set = true;
    }
    return parser_verb(p, &action);
}

static bool parser_run(struct scn_parser *p)
{
    struct scn_token t;
    if (p->script->run_set)
        return scn_fail(p, &p->tokens[0], "'run' already given at line %" PRIu32,
                        p->script->run_pos.line);
    if (!scn_next(p, "the run's duration such as 60s", &t) ||
        !scn_token_duration(p, &t, &p->script->run_ns))
        return false;
    if (p->script->run_ns == 0)
        return scn_fail(p, &t, "the run must last longer than 0");
    p->script->run_set = true;
    p->script->run_pos = (struct scn_pos){p->line, t.col};
    return scn_end(p);
}

static bool parser_expect_one(struct scn_parser *p, const struct scn_token *t)
{
    struct scn_script *s = p->script;
    const struct inv_def *def = scn_lang_invariant(p->lang, t->text);
    if (def == NULL) {
        char names[LIST_TEXT_BYTES_MAX];
        lang_names_list(p->lang, ENTRY_INVARIANT, names, sizeof(names));
        return scn_fail(p, t, "unknown invariant '%s' (invariants: %s)", t->text, names);
    }
    for (uint32_t i = 0; i < s->expect_count; i++) {
        if (s->expects[i].def == def)
            return scn_fail(p, t, "invariant '%s' already expected at line %" PRIu32, t->text,
                            s->expects[i].pos.line);
    }
    if (s->expect_count == SCN_EXPECTS_MAX)
        return scn_fail(p, t, "more than %u invariants", SCN_EXPECTS_MAX);
    s->expects[s->expect_count++] = (struct scn_expect){def, {p->line, t->col}};
    return true;
}

static bool parser_expect(struct scn_parser *p)
{
    struct scn_token t;
    if (!scn_next(p, "an invariant name", &t))
        return false;
    if (!parser_expect_one(p, &t))
        return false;
    for (uint32_t i = 0; i < SCN_LINE_TOKENS_MAX && scn_peek(p, &t); i++) {
        p->token_index++;
        if (!parser_expect_one(p, &t))
            return false;
    }
    return true;
}

static bool world_setting_given(const struct scn_world_settings *w, const char *key)
{
    return (strcmp(key, "seed") == 0 && w->seed_set) ||
           (strcmp(key, "latency") == 0 && w->latency_set) ||
           (strcmp(key, "connect.timeout") == 0 && w->connect_timeout_set) ||
           (strcmp(key, "buggify.ppm") == 0 && w->buggify_set) ||
           (strcmp(key, "epoch.ms") == 0 && w->epoch_set);
}

/* world KEY=VALUE...: settings of the whole world. */
static bool parser_world_setting(struct scn_parser *p, const struct scn_token *key,
                                 const struct scn_token *value)
{
    struct scn_world_settings *w = &p->script->world;
    uint64_t ppm = 0;
    if (world_setting_given(w, key->text))
        return scn_fail(p, key, "world setting '%s' is given twice", key->text);
    if (strcmp(key->text, "seed") == 0) {
        w->seed_set = true;
        return scn_token_u64(p, value, UINT64_MAX, &w->seed);
    }
    if (strcmp(key->text, "latency") == 0) {
        w->latency_set = true;
        return scn_token_duration_range(p, value, &w->latency_ns_min, &w->latency_ns_max);
    }
    if (strcmp(key->text, "connect.timeout") == 0) {
        w->connect_timeout_set = true;
        return scn_token_duration(p, value, &w->connect_timeout_ns);
    }
    if (strcmp(key->text, "buggify.ppm") == 0) {
        w->buggify_set = true;
        bool ok = scn_token_u64(p, value, 1000000, &ppm);
        w->buggify_ppm = (uint32_t)ppm;
        return ok;
    }
    if (strcmp(key->text, "epoch.ms") == 0) {
        w->epoch_set = true;
        return scn_token_i64(p, value, 0, INT64_MAX / 2, &w->wall_epoch_ms);
    }
    return scn_fail(p, key,
                    "unknown world setting '%s' (settings: seed, latency, connect.timeout, "
                    "buggify.ppm, epoch.ms)",
                    key->text);
}

static bool parser_world(struct scn_parser *p)
{
    struct scn_token key, value;
    if (!scn_kv(p, "a world setting", &key, &value))
        return false;
    for (uint32_t i = 0; i < SCN_LINE_TOKENS_MAX; i++) {
        if (!parser_world_setting(p, &key, &value))
            return false;
        struct scn_token next;
        if (!scn_peek(p, &next))
            return true;
        if (!scn_kv(p, "a world setting", &key, &value))
            return false;
    }
    KS_UNREACHABLE();
}

/* ---- node NAME type=KIND [start=TIME|never] key=value... ----------------------------- */

/* The key=value words of one node line, before they become properties. */
struct node_line {
    struct scn_token name;
    struct scn_token type_key;
    const struct scn_node_kind *kind;
    bool start_never;
    uint64_t start_ns;
    struct scn_token keys[SCN_LINE_TOKENS_MAX];
    struct scn_token values[SCN_LINE_TOKENS_MAX];
    uint32_t count;
};

static bool node_name_check(struct scn_parser *p, const struct scn_token *t)
{
    if (t->len >= WORLD_NODE_NAME_BYTES_MAX)
        return scn_fail(p, t, "node name '%s' is longer than %u bytes", t->text,
                        WORLD_NODE_NAME_BYTES_MAX - 1);
    for (uint32_t i = 0; i < t->len; i++) {
        char c = t->text[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        if (!ok)
            return scn_fail(p, t, "node names are letters, digits and '_-.', found '%s'", t->text);
    }
    if (strcmp(t->text, "all") == 0)
        return scn_fail(p, t, "'all' is not a node name: it means every node");
    int other = scn_node_find(p->script, t->text);
    if (other >= 0)
        return scn_fail(p, t, "node '%s' already declared at line %" PRIu32, t->text,
                        p->script->nodes[other]->pos.line);
    if (p->script->node_count == SCN_NODES_MAX)
        return scn_fail(p, t, "more than %u nodes", SCN_NODES_MAX);
    return true;
}

static bool node_line_type(struct scn_parser *p, struct node_line *n, const struct scn_token *key,
                           const struct scn_token *value)
{
    n->kind = scn_lang_node_kind(p->lang, value->text);
    n->type_key = *key;
    if (n->kind == NULL) {
        char names[LIST_TEXT_BYTES_MAX];
        lang_names_list(p->lang, ENTRY_NODE_KIND, names, sizeof(names));
        return scn_fail(p, value, "unknown node type '%s' (types: %s)", value->text, names);
    }
    return true;
}

static bool node_line_word(struct scn_parser *p, struct node_line *n)
{
    struct scn_token key, value;
    if (!scn_kv(p, "a node property", &key, &value))
        return false;
    for (uint32_t i = 0; i < n->count; i++) {
        if (strcmp(n->keys[i].text, key.text) == 0)
            return scn_fail(p, &key, "property '%s' is given twice", key.text);
    }
    bool type_seen = n->type_key.text != NULL;
    if (strcmp(key.text, "type") == 0 && type_seen)
        return scn_fail(p, &key, "property 'type' is given twice");
    if (strcmp(key.text, "type") == 0)
        return node_line_type(p, n, &key, &value);
    if (strcmp(key.text, "start") == 0 && strcmp(value.text, "never") == 0) {
        n->start_never = true;
        return true;
    }
    if (strcmp(key.text, "start") == 0)
        return scn_token_duration(p, &value, &n->start_ns);
    KS_ASSERT(n->count < SCN_LINE_TOKENS_MAX);
    n->keys[n->count] = key;
    n->values[n->count] = value;
    n->count++;
    return true;
}

static const struct scn_prop_spec *prop_spec_find(const struct scn_node_kind *kind, const char *key)
{
    KS_ASSERT(kind->prop_count <= SCN_MODULE_ENTRIES_MAX);
    for (uint32_t i = 0; i < kind->prop_count; i++) {
        if (strcmp(kind->props[i].key, key) == 0)
            return &kind->props[i];
    }
    return NULL;
}

static bool node_prop_check(struct scn_parser *p, const struct scn_node_kind *kind,
                            const struct scn_token *key, const struct scn_token *value)
{
    if (kind->props == NULL)
        return true;
    const struct scn_prop_spec *spec = prop_spec_find(kind, key->text);
    if (spec == NULL) {
        char names[LIST_TEXT_BYTES_MAX];
        size_t used = 0;
        names[0] = '\0';
        for (uint32_t i = 0; i < kind->prop_count && used + 1 < sizeof(names); i++) {
            int n = snprintf(names + used, sizeof(names) - used, "%s%s", i == 0 ? "" : ", ",
                             kind->props[i].key);
            used += n < 0 ? 0 : (size_t)n;
        }
        return scn_fail(p, key, "unknown property '%s' for type %s (properties: start, %s)",
                        key->text, kind->name, names);
    }
    int64_t number = 0;
    uint16_t node = 0;
    switch (spec->kind) {
    case SCN_PROP_STRING:
        return true;
    case SCN_PROP_INT:
        return scn_token_i64(p, value, spec->min, spec->max, &number);
    case SCN_PROP_BOOL:
        if (strcmp(value->text, "true") == 0 || strcmp(value->text, "false") == 0)
            return true;
        return scn_fail(p, value, "expected true or false, found '%s'", value->text);
    case SCN_PROP_NODE:
        return node_lookup(p, value, &node);
    }
    KS_UNREACHABLE();
}

static bool node_line_check(struct scn_parser *p, const struct node_line *n)
{
    if (n->kind == NULL)
        return scn_fail(p, NULL, "expected type=KIND for node '%s'", n->name.text);
    for (uint32_t i = 0; i < n->count; i++) {
        if (!node_prop_check(p, n->kind, &n->keys[i], &n->values[i]))
            return false;
    }
    for (uint32_t s = 0; s < n->kind->prop_count && n->kind->props != NULL; s++) {
        const struct scn_prop_spec *spec = &n->kind->props[s];
        bool present = false;
        for (uint32_t i = 0; i < n->count; i++)
            present = present || strcmp(n->keys[i].text, spec->key) == 0;
        if (spec->required && !present)
            return scn_fail(p, &n->type_key, "type %s needs property '%s'", n->kind->name,
                            spec->key);
    }
    return true;
}

static bool parser_node(struct scn_parser *p)
{
    struct node_line *n = ks_alloc(sizeof(*n));
    bool ok = scn_next(p, "a node name", &n->name) && node_name_check(p, &n->name);
    struct scn_token t;
    for (uint32_t i = 0; ok && i < SCN_LINE_TOKENS_MAX && scn_peek(p, &t); i++)
        ok = node_line_word(p, n);
    ok = ok && node_line_check(p, n);
    if (ok) {
        struct scn_node *node = ks_alloc(sizeof(*node));
        memcpy(node->name, n->name.text, n->name.len + 1);
        node->kind = n->kind;
        node->start_never = n->start_never;
        node->start_ns = n->start_ns;
        node->pos = (struct scn_pos){p->line, n->name.col};
        props_init(&node->config);
        for (uint32_t i = 0; i < n->count; i++) {
            enum ks_err err = props_set(&node->config, n->keys[i].text, n->values[i].text);
            KS_ASSERT(err == KS_OK); /* keys and values are shorter than a line */
        }
        p->script->nodes[p->script->node_count++] = node;
        KS_ASSERT(p->script->node_count <= SCN_NODES_MAX);
    }
    free(n);
    return ok;
}

/* ---- Lines and the whole script --------------------------------------------------- */

static bool parser_line(struct scn_parser *p)
{
    struct scn_token first;
    if (!scn_peek(p, &first))
        return true;
    p->token_index = 1;
    if (strcmp(first.text, "world") == 0)
        return parser_world(p);
    if (strcmp(first.text, "node") == 0)
        return parser_node(p);
    if (strcmp(first.text, "at") == 0)
        return parser_at(p);
    if (strcmp(first.text, "every") == 0)
        return parser_every(p);
    if (strcmp(first.text, "run") == 0)
        return parser_run(p);
    if (strcmp(first.text, "expect") == 0)
        return parser_expect(p);
    p->token_index = 0;
    if (scn_lang_verb(p->lang, first.text) == NULL) {
        char names[LIST_TEXT_BYTES_MAX];
        lang_names_list(p->lang, ENTRY_VERB, names, sizeof(names));
        return scn_fail(p, &first,
                        "expected world, node, at, every, run, expect or a verb, found '%s' "
                        "(verbs: %s)",
                        first.text, names);
    }
    struct scn_action action = {.when = SCN_WHEN_BARE};
    return parser_verb(p, &action);
}

/* A time of the script must lie within the run. */
static bool finish_time(struct scn_parser *p, uint64_t ns, struct scn_pos pos, const char *what)
{
    if (ns <= p->script->run_ns)
        return true;
    char time[32], run[32];
    scn_duration_format(ns, time, sizeof(time));
    scn_duration_format(p->script->run_ns, run, sizeof(run));
    return parser_fail_at(p, pos.line, pos.col,
                          "%s %s is after the end of the run (run %s, line %" PRIu32 ")", what,
                          time, run, p->script->run_pos.line);
}

static bool finish_action(struct scn_parser *p, struct scn_action *a)
{
    if (a->when == SCN_WHEN_BARE)
        return true;
    if (!finish_time(p, a->at_ns, a->time_pos, a->when == SCN_WHEN_AT ? "time" : "first firing"))
        return false;
    if (a->when == SCN_WHEN_AT)
        return true;
    if (!a->until_set)
        a->until_ns = p->script->run_ns;
    if (!finish_time(p, a->until_ns, a->time_pos, "'until'"))
        return false;
    if (a->until_ns <= a->at_ns)
        return parser_fail_at(p, a->time_pos.line, a->time_pos.col,
                              "'every' starts at the end of the run: it would never fire");
    KS_ASSERT(a->every_ns > 0);
    if ((a->until_ns - a->at_ns) / a->every_ns >= SCN_REPEAT_FIRINGS_MAX)
        return parser_fail_at(p, a->time_pos.line, a->time_pos.col,
                              "'every' would fire more than %u times: use a longer period",
                              SCN_REPEAT_FIRINGS_MAX);
    return true;
}

/* Checks that need the whole script. */
static bool parser_finish(struct scn_parser *p)
{
    struct scn_script *s = p->script;
    if (!s->run_set)
        return parser_fail_at(p, s->line_count + 1, 1,
                              "expected a 'run DURATION' line before the end of the file");
    for (uint32_t i = 0; i < s->node_count; i++) {
        struct scn_node *node = s->nodes[i];
        if (!node->start_never && !finish_time(p, node->start_ns, node->pos, "start"))
            return false;
    }
    for (uint32_t i = 0; i < s->action_count; i++) {
        if (!finish_action(p, &s->actions[i]))
            return false;
    }
    for (uint32_t i = 0; i < s->time_count; i++) {
        if (!finish_time(p, s->times[i].ns, s->times[i].pos, "time"))
            return false;
    }
    return true;
}

static bool parser_lines(struct scn_parser *p, const char *text)
{
    const char *cursor = text;
    for (uint32_t n = 1; *cursor != '\0'; n++) {
        if (n > SCN_LINES_MAX)
            return parser_fail_at(p, n, 1, "more than %u lines", SCN_LINES_MAX);
        const char *newline = strchr(cursor, '\n');
        size_t len = newline == NULL ? strlen(cursor) : (size_t)(newline - cursor);
        p->line = n;
        p->script->line_count = n;
        uint32_t len32 = len > SCN_LINE_BYTES_MAX ? SCN_LINE_BYTES_MAX + 1 : (uint32_t)len;
        if (!parser_tokenize(p, cursor, len32) || !parser_line(p))
            return false;
        KS_ASSERT(!p->failed);
        cursor = newline == NULL ? cursor + len : newline + 1;
    }
    return true;
}

enum ks_err scn_parse(const struct scn_lang *lang, const char *file, const char *text,
                      struct scn_script **script_out, struct scn_error *error)
{
    KS_ASSERT(lang != NULL);
    KS_ASSERT(text != NULL);
    memset(error, 0, sizeof(*error));
    snprintf(error->file, sizeof(error->file), "%s", file);
    *script_out = NULL;
    struct scn_parser *p = ks_alloc(sizeof(*p));
    p->lang = lang;
    p->error = error;
    p->script = ks_alloc(sizeof(*p->script));
    p->script->file = ks_strdup(file);
    bool ok = parser_lines(p, text) && parser_finish(p);
    KS_ASSERT(ok == !p->failed);
    if (ok)
        *script_out = p->script;
    else
        scn_script_free(p->script);
    free(p);
    return ok ? KS_OK : KS_ERR_INVALID;
}

static enum ks_err file_read_all(const char *path, char **text_out, struct scn_error *error)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        snprintf(error->message, sizeof(error->message), "cannot open: %s", strerror(errno));
        return KS_ERR_NOT_FOUND;
    }
    char *text = ks_alloc(SCN_FILE_BYTES_MAX + 1);
    size_t size = fread(text, 1, SCN_FILE_BYTES_MAX + 1, file);
    bool failed = ferror(file) != 0;
    fclose(file);
    if (failed || size > SCN_FILE_BYTES_MAX) {
        snprintf(error->message, sizeof(error->message),
                 failed ? "cannot read" : "larger than %u bytes", SCN_FILE_BYTES_MAX);
        free(text);
        return KS_ERR_INVALID;
    }
    if (memchr(text, '\0', size) != NULL) {
        snprintf(error->message, sizeof(error->message), "holds a NUL byte: not a scenario");
        free(text);
        return KS_ERR_INVALID;
    }
    text[size] = '\0';
    *text_out = text;
    return KS_OK;
}

enum ks_err scn_parse_file(const struct scn_lang *lang, const char *path,
                           struct scn_script **script_out, struct scn_error *error)
{
    char *text = NULL;
    memset(error, 0, sizeof(*error));
    snprintf(error->file, sizeof(error->file), "%s", path);
    *script_out = NULL;
    enum ks_err err = file_read_all(path, &text, error);
    if (err != KS_OK)
        return err;
    err = scn_parse(lang, path, text, script_out, error);
    free(text);
    return err;
}

void scn_script_free(struct scn_script *script)
{
    if (script == NULL)
        return;
    KS_ASSERT(script->node_count <= SCN_NODES_MAX);
    KS_ASSERT(script->action_count <= script->action_capacity);
    for (uint32_t i = 0; i < script->node_count; i++) {
        props_free(&script->nodes[i]->config);
        free(script->nodes[i]);
    }
    for (uint32_t i = 0; i < script->action_count; i++) {
        struct scn_action *a = &script->actions[i];
        if (a->verb->free_args != NULL && a->args != NULL)
            a->verb->free_args(a->args);
        else
            free(a->args);
        free(a->text);
    }
    free(script->actions);
    free(script->times);
    free(script->file);
    free(script);
}
