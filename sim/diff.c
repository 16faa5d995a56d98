/*
 * diff.c: `ksim diff`, see diff.h.
 *
 * Method: both runs' traces are captured in memory (tracelog.h) or read from files and
 * compared record by record; runs of one binary and one seed share every record up to
 * the divergence, so the first difference is the point where the runs went apart. A
 * changed setting is applied to the scenario's text (the node's or world's line gets
 * KEY=VALUE, replacing the key when it is there) and the text is parsed again, so the
 * parser checks the value as it checks any scenario.
 */
#include "diff.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define DIFF_TRACE_BYTES_MAX (1ull << 31)
#define DIFF_DESCRIBE_BYTES_MAX 512u
#define DIFF_LINE_BYTES_MAX 1024u
#define DIFF_INVOLVED_MAX 2u

struct diff_options {
    const char *scenario;
    const char *trace_a;
    const char *trace_b;
    bool seed_set;
    uint64_t seed;
    bool seed_b_set;
    uint64_t seed_b;
    struct runner_options run_b; /* bugs for side b */
    const char *sets[DIFF_SETS_MAX];
    uint32_t set_count;
    uint32_t context;
};

/* ---- Comparing ---------------------------------------------------------------------- */

bool diff_record_equal(const struct tracelog_record *a, const struct tracelog_record *b)
{
    return a->time_ns == b->time_ns && strcmp(a->node, b->node) == 0 &&
           strcmp(a->kind, b->kind) == 0 && a->text_len == b->text_len &&
           memcmp(a->text, b->text, a->text_len) == 0;
}

/* Record i of log, or false at the end. A malformed line becomes a record of its text. */
static bool diff_get(const struct tracelog *log, uint32_t i, struct tracelog_record *out)
{
    if (i >= tracelog_count(log))
        return false;
    if (!tracelog_get(log, i, out)) {
        memset(out, 0, sizeof(*out));
        snprintf(out->kind, sizeof(out->kind), "?");
        out->text = "(malformed line)";
        out->text_len = (uint32_t)strlen(out->text);
    }
    return true;
}

void diff_first(const struct tracelog *a, const struct tracelog *b, struct diff_point *out)
{
    memset(out, 0, sizeof(*out));
    uint32_t count_a = tracelog_count(a), count_b = tracelog_count(b);
    uint32_t most = count_a > count_b ? count_a : count_b;
    struct tracelog_record ra, rb;
    for (uint32_t i = 0; i < most; i++) {
        bool has_a = diff_get(a, i, &ra), has_b = diff_get(b, i, &rb);
        if (has_a && has_b && diff_record_equal(&ra, &rb))
            continue;
        out->index = i;
        out->a_ended = !has_a;
        out->b_ended = !has_b;
        out->time_ns = !has_a   ? rb.time_ns
                       : !has_b ? ra.time_ns
                                : (ra.time_ns < rb.time_ns ? ra.time_ns : rb.time_ns);
        return;
    }
    KS_ASSERT(count_a == count_b);
    out->identical = true;
    out->index = count_a;
}

/* ---- Printing ------------------------------------------------------------------------ */

static void diff_print_record(FILE *out, const char *prefix, const struct tracelog_record *r)
{
    fprintf(out, "%s%" PRIu64 ".%06" PRIu64 " %s %s %.*s\n", prefix, r->time_ns / 1000000u,
            r->time_ns % 1000000u, r->node, r->kind, (int)r->text_len, r->text);
}

static void diff_print_side(FILE *out, const char *label, const struct tracelog *log,
                            const struct diff_point *p, uint32_t context)
{
    struct tracelog_record r;
    fprintf(out, "  %s:\n", label);
    if (!diff_get(log, p->index, &r)) {
        fprintf(out, "  > (the trace ends here, after %u records)\n", tracelog_count(log));
        return;
    }
    diff_print_record(out, "  > ", &r);
    for (uint32_t i = p->index + 1; i <= p->index + context && diff_get(log, i, &r); i++)
        diff_print_record(out, "    ", &r);
}

static void diff_print(FILE *out, const struct tracelog *a, const struct tracelog *b,
                       const char *label_a, const char *label_b, const struct diff_point *p,
                       uint32_t context)
{
    struct tracelog_record r;
    fprintf(out,
            "ksim diff: the runs part at record %u, simulated time %" PRIu64 ".%06" PRIu64 "s\n",
            p->index, p->time_ns / 1000000000u, p->time_ns % 1000000000u / 1000u);
    uint32_t from = p->index > context ? p->index - context : 0;
    fprintf(out, "  both, before:\n");
    for (uint32_t i = from; i < p->index && diff_get(a, i, &r); i++)
        diff_print_record(out, "    ", &r);
    diff_print_side(out, label_a, a, p, context);
    diff_print_side(out, label_b, b, p, context);
}

/* ---- The state of the nodes involved -------------------------------------------------- */

struct diff_inspect {
    FILE *out;
    const char *label;
    char nodes[DIFF_INVOLVED_MAX][WORLD_NODE_NAME_BYTES_MAX];
    uint32_t node_count;
};

static void diff_inspect_print(void *ctx, struct world *world)
{
    struct diff_inspect *d = ctx;
    char describe[DIFF_DESCRIBE_BYTES_MAX];
    KS_ASSERT(d->node_count <= DIFF_INVOLVED_MAX);
    for (uint32_t k = 0; k < d->node_count; k++) {
        int node = world_node_find(world, d->nodes[k]);
        if (node < 0)
            continue;
        const void *impl = world_node_impl(world, node);
        const struct world_node_type *type = world_node_type_of(world, node);
        describe[0] = '\0';
        if (impl != NULL && type->describe != NULL)
            type->describe((void *)impl, describe, sizeof(describe));
        fprintf(d->out, "    %s %s: %s incarnation %" PRIu32 " %s\n", d->label, d->nodes[k],
                world_node_state_name(world_node_state_of(world, node)),
                world_node_incarnation(world, node), describe);
    }
}

/* The nodes named by the two differing records (not the world's own). */
static void diff_involved(const struct tracelog *a, const struct tracelog *b, uint32_t index,
                          struct diff_inspect *d)
{
    const struct tracelog *logs[2] = {a, b};
    struct tracelog_record r;
    d->node_count = 0;
    for (uint32_t s = 0; s < 2; s++) {
        if (!diff_get(logs[s], index, &r) || strcmp(r.node, TRACELOG_NODE_WORLD) == 0 ||
            r.node[0] == '\0')
            continue;
        if (d->node_count == 1 && strcmp(d->nodes[0], r.node) == 0)
            continue;
        snprintf(d->nodes[d->node_count++], WORLD_NODE_NAME_BYTES_MAX, "%s", r.node);
    }
}

static void diff_describe(FILE *out, const struct scn_script *script,
                          const struct runner_options *o, const char *label, uint64_t at_ns,
                          struct diff_inspect *d)
{
    struct runner_options stop = *o;
    struct runner_result *result = ks_alloc(sizeof(*result));
    stop.stop_ns = at_ns > 1 ? at_ns - 1 : 1; /* just before the differing event */
    stop.inspect = diff_inspect_print;
    stop.inspect_ctx = d;
    d->out = out;
    d->label = label;
    enum ks_err err = runner_run_once(script, &stop, NULL, NULL, result);
    if (err != KS_OK)
        fprintf(out, "    %s: the run could not be set up again\n", label);
    free(result);
}

/* ---- --set: the scenario's text with KEY=VALUE on a line ------------------------------ */

/* Whether line (len bytes) is `<word> <name>...` (or just `<word> ...` when name is
 * NULL). */
static bool diff_line_is(const char *line, size_t len, const char *word, const char *name)
{
    size_t w = strlen(word);
    if (len <= w || strncmp(line, word, w) != 0 || (line[w] != ' ' && line[w] != '\t'))
        return false;
    if (name == NULL)
        return true;
    const char *p = line + w;
    while (p < line + len && (*p == ' ' || *p == '\t'))
        p++;
    size_t n = strlen(name);
    return (size_t)(line + len - p) >= n && strncmp(p, name, n) == 0 &&
           (p + n == line + len || p[n] == ' ' || p[n] == '\t');
}

/* Whether the line (len bytes) holds the word `key=`. */
static bool diff_line_has(const char *line, size_t len, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; i + n < len; i++) {
        bool word_start = i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t';
        if (word_start && strncmp(line + i, key, n) == 0 && line[i + n] == '=')
            return true;
    }
    return false;
}

/* Append line with KEY=VALUE set (an existing KEY= word replaced) to out. */
static void diff_line_set(FILE *out, const char *line, size_t len, const char *key, const char *kv)
{
    size_t keep = len, key_len = strlen(key);
    for (size_t i = 0; i + 1 < len; i++) {
        if ((line[i] == ' ' || line[i] == '\t') && line[i + 1] == '#') {
            keep = i;
            break;
        }
    }
    bool replaced = false;
    size_t i = 0;
    while (i < keep) {
        size_t start = i;
        while (i < keep && line[i] != ' ' && line[i] != '\t')
            i++;
        bool match = i - start > key_len && strncmp(line + start, key, key_len) == 0 &&
                     line[start + key_len] == '=';
        if (match && !replaced)
            fputs(kv, out);
        else if (!match)
            fwrite(line + start, 1, i - start, out);
        replaced |= match;
        while (i < keep && (line[i] == ' ' || line[i] == '\t'))
            fputc(line[i++], out);
    }
    if (!replaced)
        fprintf(out, " %s", kv);
    fputc('\n', out);
}

/* One --set applied to text; *text_io replaced. False when nothing matched. */
static bool diff_apply_set(char **text_io, const char *set, FILE *err)
{
    char node[WORLD_NODE_NAME_BYTES_MAX] = "", key[DIFF_LINE_BYTES_MAX], kv[DIFF_LINE_BYTES_MAX];
    const char *colon = strchr(set, ':'), *eq = strchr(set, '=');
    const char *body = colon != NULL && colon < eq ? colon + 1 : set;
    bool world = strncmp(body, "world.", 6) == 0;
    if (eq == NULL || eq == body || strlen(set) >= sizeof(kv)) {
        fprintf(err, "ksim diff: --set takes [NODE:]KEY=VALUE or world.KEY=VALUE, not '%s'\n", set);
        return false;
    }
    if (body != set)
        snprintf(node, sizeof(node), "%.*s", (int)(colon - set), set);
    snprintf(kv, sizeof(kv), "%s", world ? body + 6 : body);
    snprintf(key, sizeof(key), "%.*s", (int)(strchr(kv, '=') - kv), kv);
    char *result = NULL;
    size_t result_len = 0;
    FILE *out = open_memstream(&result, &result_len);
    KS_ASSERT(out != NULL);
    uint32_t matched = 0;
    for (const char *line = *text_io; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        size_t len = nl == NULL ? strlen(line) : (size_t)(nl - line);
        bool hit = world ? diff_line_is(line, len, "world", NULL)
                         : diff_line_is(line, len, "node", node[0] ? node : NULL) &&
                               (node[0] != '\0' || diff_line_has(line, len, key));
        if (hit) {
            diff_line_set(out, line, len, key, kv);
            matched++;
        } else {
            fwrite(line, 1, len, out);
            fputc('\n', out);
        }
        line = nl == NULL ? line + len : nl + 1;
    }
    if (world && matched == 0) {
        fclose(out);
        free(result);
        size_t n = strlen(*text_io) + strlen(kv) + 16;
        result = ks_alloc(n);
        snprintf(result, n, "world %s\n%s", kv, *text_io);
        matched = 1;
    } else {
        fclose(out);
    }
    free(*text_io);
    *text_io = result;
    if (matched == 0)
        fprintf(err, "ksim diff: --set %s: no node line %s%s\n", set,
                node[0] ? "named " : "has the key ", node[0] ? node : key);
    return matched > 0;
}

/* ---- The command ------------------------------------------------------------------------ */

static int diff_usage(FILE *err, const char *problem)
{
    if (problem != NULL)
        fprintf(err, "ksim diff: %s\n", problem);
    fputs(
        "usage: ksim diff --trace-a FILE --trace-b FILE\n"
        "       ksim diff SCN [--seed N] [--seed-b N] [--bug NAME]... [--set [NODE:]KEY=VALUE]...\n"
        "                 [--context N]\n"
        "exit: 0 identical, 1 the runs differ, 2 bad input or usage\n",
        err);
    return RUNNER_EXIT_USAGE;
}

static bool diff_number(const char *text, uint64_t *out)
{
    char *end = NULL;
    if (text[0] < '0' || text[0] > '9')
        return false;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

static int diff_option(struct diff_options *o, const char *arg, const char *value, FILE *err)
{
    uint64_t n = 0;
    if (value == NULL)
        return diff_usage(err, "an option needs a value");
    if (strcmp(arg, "--trace-a") == 0)
        o->trace_a = value;
    else if (strcmp(arg, "--trace-b") == 0)
        o->trace_b = value;
    else if (strcmp(arg, "--seed") == 0 && diff_number(value, &o->seed))
        o->seed_set = true;
    else if (strcmp(arg, "--seed-b") == 0 && diff_number(value, &o->seed_b))
        o->seed_b_set = true;
    else if (strcmp(arg, "--context") == 0 && diff_number(value, &n) && n <= DIFF_CONTEXT_MAX)
        o->context = (uint32_t)n;
    else if (strcmp(arg, "--set") == 0 && o->set_count < DIFF_SETS_MAX)
        o->sets[o->set_count++] = value;
    else if (strcmp(arg, "--bug") == 0) {
        const struct ks_bug_info *bug = ks_bug_find(value);
        if (bug == NULL) {
            fprintf(err, "ksim diff: unknown bug switch '%s' (ksim bugs lists them)\n", value);
            return RUNNER_EXIT_USAGE;
        }
        KS_ASSERT(o->run_b.bug_count < RUNNER_BUGS_MAX);
        if (((o->run_b.bugs >> bug->bug) & 1u) == 0)
            o->run_b.bug_names[o->run_b.bug_count++] = bug->name;
        o->run_b.bugs |= (env_bug_mask)1 << bug->bug;
    } else {
        fprintf(err, "ksim diff: bad option %s %s\n", arg, value);
        return RUNNER_EXIT_USAGE;
    }
    return RUNNER_EXIT_OK;
}

static int diff_args(int argc, char **argv, struct diff_options *o, FILE *err)
{
    memset(o, 0, sizeof(*o));
    o->context = DIFF_CONTEXT_DEFAULT;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0) {
            if (o->scenario != NULL)
                return diff_usage(err, "diff takes one scenario file");
            o->scenario = argv[i];
            continue;
        }
        int code = diff_option(o, argv[i], i + 1 < argc ? argv[i + 1] : NULL, err);
        if (code != RUNNER_EXIT_OK)
            return code;
        i++;
    }
    bool traces = o->trace_a != NULL || o->trace_b != NULL;
    if (traces && (o->trace_a == NULL || o->trace_b == NULL || o->scenario != NULL))
        return diff_usage(err, "--trace-a and --trace-b go together, without a scenario");
    if (!traces && o->scenario == NULL)
        return diff_usage(err, "give a scenario, or --trace-a and --trace-b");
    bool changed = o->seed_b_set || o->run_b.bug_count > 0 || o->set_count > 0;
    if (!traces && !changed)
        return diff_usage(err, "say what differs: --seed-b, --bug or --set");
    return RUNNER_EXIT_OK;
}

static void diff_json(FILE *out, const struct diff_point *p, const struct tracelog *a,
                      const struct tracelog *b)
{
    fprintf(out,
            "{\"diff\":true,\"identical\":%s,\"index\":%u,\"time_ns\":%" PRIu64
            ",\"records_a\":%u,\"records_b\":%u",
            p->identical ? "true" : "false", p->index, p->time_ns, tracelog_count(a),
            tracelog_count(b));
    const struct tracelog *logs[2] = {a, b};
    const char *names[2] = {"a", "b"};
    struct tracelog_record r;
    for (uint32_t s = 0; s < 2 && !p->identical; s++) {
        fprintf(out, ",\"%s\":", names[s]);
        if (!diff_get(logs[s], p->index, &r)) {
            fputs("null", out);
            continue;
        }
        fprintf(out, "{\"time_ns\":%" PRIu64 ",\"node\":\"%s\",\"kind\":\"%s\",\"text\":\"",
                r.time_ns, r.node, r.kind);
        for (uint32_t i = 0; i < r.text_len; i++) {
            unsigned char c = (unsigned char)r.text[i];
            if (c == '"' || c == '\\')
                fprintf(out, "\\%c", c);
            else if (c >= 0x20)
                fputc(c, out);
        }
        fputs("\"}", out);
    }
    fputs("}\n", out);
}

static int diff_report(FILE *out, const struct tracelog *a, const struct tracelog *b,
                       const char *label_a, const char *label_b, uint32_t context,
                       struct diff_point *p)
{
    diff_first(a, b, p);
    if (p->identical)
        fprintf(out, "ksim diff: identical: %u records on both sides\n", tracelog_count(a));
    else
        diff_print(out, a, b, label_a, label_b, p, context);
    return p->identical ? RUNNER_EXIT_OK : RUNNER_EXIT_VIOLATION;
}

static int diff_traces(const struct diff_options *o, FILE *out, FILE *err)
{
    char *text[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    const char *paths[2] = {o->trace_a, o->trace_b};
    for (uint32_t s = 0; s < 2; s++) {
        if (replay_read_all(paths[s], DIFF_TRACE_BYTES_MAX, &text[s], &len[s]) != KS_OK) {
            fprintf(err, "ksim diff: cannot read the trace %s\n", paths[s]);
            free(text[0]);
            return RUNNER_EXIT_USAGE;
        }
    }
    struct tracelog *a = tracelog_from_text(text[0], len[0]);
    struct tracelog *b = tracelog_from_text(text[1], len[1]);
    struct diff_point p;
    int code = diff_report(out, a, b, o->trace_a, o->trace_b, o->context, &p);
    diff_json(out, &p, a, b);
    tracelog_free(a);
    tracelog_free(b);
    free(text[0]);
    free(text[1]);
    return code;
}

/* Side b's text: the scenario with every --set applied. */
static char *diff_text_b(const struct diff_options *o, const char *text, FILE *err)
{
    char *b = ks_strdup(text);
    for (uint32_t i = 0; i < o->set_count; i++) {
        if (!diff_apply_set(&b, o->sets[i], err)) {
            free(b);
            return NULL;
        }
    }
    return b;
}

static void diff_label(const struct diff_options *o, bool side_b, uint64_t seed, char *buf,
                       size_t bytes)
{
    int used = snprintf(buf, bytes, "%s (seed %" PRIu64, side_b ? "b" : "a", seed);
    for (uint32_t i = 0; side_b && i < o->run_b.bug_count; i++)
        used += snprintf(buf + used, bytes - (size_t)used, ", --bug %s", o->run_b.bug_names[i]);
    for (uint32_t i = 0; side_b && i < o->set_count; i++)
        used += snprintf(buf + used, bytes - (size_t)used, ", --set %s", o->sets[i]);
    snprintf(buf + used, bytes - (size_t)used, ")");
}

struct diff_side {
    char *text;
    struct scn_script *script;
    struct runner_options options;
    struct runner_result *result;
    struct tracelog *log;
    char label[DIFF_LINE_BYTES_MAX];
};

static bool diff_side_run(struct diff_side *s, const char *path, FILE *err)
{
    struct scn_error error;
    if (scn_parse(runner_lang(), path, s->text, &s->script, &error) != KS_OK) {
        scn_error_print(&error, err);
        return false;
    }
    s->result = ks_alloc(sizeof(*s->result));
    if (tracelog_capture(s->script, &s->options, s->result, &s->log) != KS_OK) {
        fprintf(err, "ksim diff: the run of %s could not be set up\n", path);
        return false;
    }
    return true;
}

static void diff_side_free(struct diff_side *s)
{
    if (s->log != NULL)
        tracelog_free(s->log);
    scn_script_free(s->script);
    free(s->result);
    free(s->text);
}

static int diff_scenarios(const struct diff_options *o, FILE *out, FILE *err)
{
    struct diff_side side[2];
    memset(side, 0, sizeof(side));
    size_t len = 0;
    int code = RUNNER_EXIT_USAGE;
    if (replay_read_all(o->scenario, SCN_FILE_BYTES_MAX, &side[0].text, &len) != KS_OK) {
        fprintf(err, "ksim diff: cannot read %s\n", o->scenario);
        return RUNNER_EXIT_USAGE;
    }
    side[1].text = diff_text_b(o, side[0].text, err);
    for (uint32_t s = 0; s < 2; s++) {
        struct runner_options *ro = &side[s].options;
        *ro = s == 1 ? o->run_b : (struct runner_options){0};
        ro->scenario_path = o->scenario;
        ro->quiet = true;
        ro->seed_set = o->seed_set || (s == 1 && o->seed_b_set);
        ro->seed = s == 1 && o->seed_b_set ? o->seed_b : o->seed;
    }
    if (side[1].text == NULL || !diff_side_run(&side[0], o->scenario, err) ||
        !diff_side_run(&side[1], o->scenario, err))
        goto free_sides;
    for (uint32_t s = 0; s < 2; s++)
        diff_label(o, s == 1, side[s].result->seed, side[s].label, sizeof(side[s].label));
    struct diff_point p;
    code = diff_report(out, side[0].log, side[1].log, side[0].label, side[1].label, o->context, &p);
    if (!p.identical) {
        struct diff_inspect inspect;
        memset(&inspect, 0, sizeof(inspect));
        diff_involved(side[0].log, side[1].log, p.index, &inspect);
        if (inspect.node_count > 0)
            fprintf(out, "  the nodes involved, just before the divergence:\n");
        for (uint32_t s = 0; s < 2 && inspect.node_count > 0; s++)
            diff_describe(out, side[s].script, &side[s].options, s == 0 ? "a" : "b", p.time_ns,
                          &inspect);
    }
    diff_json(out, &p, side[0].log, side[1].log);
free_sides:
    diff_side_free(&side[0]);
    diff_side_free(&side[1]);
    return code;
}

int diff_main(int argc, char **argv, FILE *out, FILE *err)
{
    struct diff_options *o = ks_alloc(sizeof(*o));
    int code = diff_args(argc, argv, o, err);
    if (code == RUNNER_EXIT_OK)
        code = o->trace_a != NULL ? diff_traces(o, out, err) : diff_scenarios(o, out, err);
    fflush(out);
    free(o);
    return code;
}
