/*
 * shrink.c: the shrinker's model and steps, see shrink.h. Pure: no run happens here
 * (shrink_cmd.c runs the candidates), so tests drive the steps on synthetic scripts.
 */
#include "shrink.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define SHRINK_TEXT_BYTES_MAX (4u << 20)
#define SHRINK_WORDS_MAX 256u

/* Properties that set a node's load: intervals (doubling lightens) and rates (halving
 * lightens). Modules add theirs (a producer's rate, linger.ms). */
static const struct shrink_load {
    const char *key;
    bool interval; /* else a rate */
    int64_t limit; /* the legal bound the value stops at */
} shrink_loads[] = {
    {"ping.interval.ms", true, 3600000},
};

/* ---- The model ---------------------------------------------------------------------------- */

static void shrink_world_line(struct shrink_script *m, const struct scn_world_settings *w,
                              uint64_t seed)
{
    char lo[32], hi[32];
    size_t n = (size_t)snprintf(m->world, sizeof(m->world), "seed=%" PRIu64, seed);
    if (w->latency_set && n < sizeof(m->world)) {
        scn_duration_format(w->latency_ns_min, lo, sizeof(lo));
        scn_duration_format(w->latency_ns_max, hi, sizeof(hi));
        n += (size_t)snprintf(m->world + n, sizeof(m->world) - n, " latency=%s..%s", lo, hi);
    }
    if (w->connect_timeout_set && n < sizeof(m->world)) {
        scn_duration_format(w->connect_timeout_ns, lo, sizeof(lo));
        n += (size_t)snprintf(m->world + n, sizeof(m->world) - n, " connect.timeout=%s", lo);
    }
    if (w->buggify_set && n < sizeof(m->world))
        n += (size_t)snprintf(m->world + n, sizeof(m->world) - n, " buggify.ppm=%" PRIu32,
                              w->buggify_ppm);
    if (w->epoch_set && n < sizeof(m->world))
        snprintf(m->world + n, sizeof(m->world) - n, " epoch.ms=%" PRId64, w->wall_epoch_ms);
}

static void shrink_node_from(struct shrink_node *dst, const struct scn_node *src)
{
    snprintf(dst->name, sizeof(dst->name), "%s", src->name);
    snprintf(dst->kind, sizeof(dst->kind), "%s", src->kind->name);
    dst->start_never = src->start_never;
    dst->start_ns = src->start_ns;
    KS_ASSERT(src->config.count <= PROPS_ENTRIES_MAX);
    for (uint32_t i = 0; i < src->config.count && i < SHRINK_PROPS_MAX; i++) {
        snprintf(dst->props[i].key, sizeof(dst->props[i].key), "%s", src->config.entries[i].key);
        snprintf(dst->props[i].value, sizeof(dst->props[i].value), "%s",
                 src->config.entries[i].value);
        dst->prop_count++;
    }
}

struct shrink_script *shrink_from_script(const struct scn_script *s, uint64_t seed)
{
    struct shrink_script *m = ks_alloc(sizeof(*m));
    shrink_world_line(m, &s->world, seed);
    m->nodes = ks_alloc((s->node_count + 1) * sizeof(*m->nodes));
    for (uint32_t i = 0; i < s->node_count; i++)
        shrink_node_from(&m->nodes[m->node_count++], s->nodes[i]);
    KS_ASSERT(s->action_count <= SHRINK_ACTIONS_MAX);
    m->actions = ks_alloc((s->action_count + 1) * sizeof(*m->actions));
    for (uint32_t i = 0; i < s->action_count; i++) {
        const struct scn_action *a = &s->actions[i];
        m->actions[m->action_count++] = (struct shrink_action){.when = a->when,
                                                               .at_ns = a->at_ns,
                                                               .every_ns = a->every_ns,
                                                               .until_ns = a->until_ns,
                                                               .until_set = a->until_set,
                                                               .line = a->pos.line,
                                                               .text = ks_strdup(a->text)};
    }
    m->run_ns = s->run_ns;
    for (uint32_t i = 0; i < s->expect_count; i++)
        snprintf(m->expects[m->expect_count++], INV_NAME_BYTES_MAX, "%s", s->expects[i].def->name);
    return m;
}

struct shrink_script *shrink_copy(const struct shrink_script *m)
{
    struct shrink_script *c = ks_alloc(sizeof(*c));
    *c = *m;
    c->nodes = ks_alloc((m->node_count + 1) * sizeof(*c->nodes));
    memcpy(c->nodes, m->nodes, m->node_count * sizeof(*c->nodes));
    c->actions = ks_alloc((m->action_count + 1) * sizeof(*c->actions));
    for (uint32_t i = 0; i < m->action_count; i++) {
        c->actions[i] = m->actions[i];
        c->actions[i].text = ks_strdup(m->actions[i].text);
    }
    return c;
}

void shrink_free(struct shrink_script *m)
{
    if (m == NULL)
        return;
    for (uint32_t i = 0; i < m->action_count; i++)
        free(m->actions[i].text);
    free(m->actions);
    free(m->nodes);
    free(m);
}

/* ---- Formatting ---------------------------------------------------------------------------- */

struct text_buf {
    char *text;
    size_t used;
};

static void tb_add(struct text_buf *b, const char *fmt, ...) KS_PRINTF(2, 3);
static void tb_add(struct text_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->text + b->used, SHRINK_TEXT_BYTES_MAX - b->used, fmt, ap);
    va_end(ap);
    KS_ASSERT(n >= 0);
    b->used += (size_t)n;
    KS_ASSERT(b->used < SHRINK_TEXT_BYTES_MAX);
}

static void format_node(struct text_buf *b, const struct shrink_node *n)
{
    char t[32];
    tb_add(b, "node %s type=%s", n->name, n->kind);
    if (n->start_never)
        tb_add(b, " start=never");
    else if (n->start_ns != 0) {
        scn_duration_format(n->start_ns, t, sizeof(t));
        tb_add(b, " start=%s", t);
    }
    for (uint32_t i = 0; i < n->prop_count; i++)
        tb_add(b, " %s=%s", n->props[i].key, n->props[i].value);
    tb_add(b, "\n");
}

static void format_action(struct text_buf *b, const struct shrink_action *a)
{
    char t[32], p[32];
    if (a->when == SCN_WHEN_BARE) {
        tb_add(b, "%s\n", a->text);
        return;
    }
    scn_duration_format(a->at_ns, t, sizeof(t));
    if (a->when == SCN_WHEN_AT) {
        tb_add(b, "at %s %s\n", t, a->text);
        return;
    }
    scn_duration_format(a->every_ns, p, sizeof(p));
    tb_add(b, "every %s from %s", p, t);
    if (a->until_set) {
        scn_duration_format(a->until_ns, t, sizeof(t));
        tb_add(b, " until %s", t);
    }
    tb_add(b, " %s\n", a->text);
}

char *shrink_format(const struct shrink_script *m, const char *comment)
{
    struct text_buf b = {.text = ks_alloc(SHRINK_TEXT_BYTES_MAX)};
    char t[32];
    if (comment != NULL)
        tb_add(&b, "%s\n", comment);
    tb_add(&b, "world %s\n\n", m->world);
    for (uint32_t i = 0; i < m->node_count; i++)
        format_node(&b, &m->nodes[i]);
    tb_add(&b, "\n");
    for (int pass = 0; pass < 3; pass++) {
        enum scn_when when = pass == 0 ? SCN_WHEN_BARE : pass == 1 ? SCN_WHEN_AT : SCN_WHEN_EVERY;
        for (uint32_t i = 0; i < m->action_count; i++) {
            if (m->actions[i].when == when)
                format_action(&b, &m->actions[i]);
        }
    }
    scn_duration_format(m->run_ns, t, sizeof(t));
    tb_add(&b, "\nrun %s\nexpect", t);
    for (uint32_t i = 0; i < m->expect_count; i++)
        tb_add(&b, " %s", m->expects[i]);
    tb_add(&b, "\n");
    return b.text;
}

/* ---- Steps ----------------------------------------------------------------------------------- */

/* Whether a goes after b: bare lines, then `at` lines in time order, then `every`
 * lines, the order shrink_format writes them. */
static bool shrink_after(const struct shrink_action *a, const struct shrink_action *b)
{
    if (a->when != b->when)
        return a->when < b->when;
    return a->when == SCN_WHEN_AT && b->at_ns > a->at_ns;
}

/* Stable insertion sort into that order. */
static void shrink_sort_at(struct shrink_script *m)
{
    _Static_assert(SCN_WHEN_BARE < SCN_WHEN_AT && SCN_WHEN_AT < SCN_WHEN_EVERY, "line order");
    for (uint32_t i = 1; i < m->action_count; i++) {
        struct shrink_action a = m->actions[i];
        uint32_t j = i;
        while (j > 0 && shrink_after(&a, &m->actions[j - 1])) {
            m->actions[j] = m->actions[j - 1];
            j--;
        }
        m->actions[j] = a;
    }
}

static void shrink_add_at(struct shrink_script *m, uint64_t at_ns, const char *text, size_t len)
{
    KS_ASSERT(m->action_count < SHRINK_ACTIONS_MAX);
    m->actions = ks_realloc(m->actions, (m->action_count + 1) * sizeof(*m->actions));
    char *copy = ks_alloc(len + 1);
    memcpy(copy, text, len);
    m->actions[m->action_count++] =
        (struct shrink_action){.when = SCN_WHEN_AT, .at_ns = at_ns, .text = copy};
}

/* The verbs of one scn.fault ("line N: kind: VERB") or scn.faults_end ("line N: A; B")
 * record of the schedule on line. */
static void shrink_expand_record(struct shrink_script *m, const struct tracelog_record *r,
                                 uint32_t line)
{
    char text[2048], prefix[32];
    tracelog_text_copy(r, text, sizeof(text));
    snprintf(prefix, sizeof(prefix), "line %" PRIu32 ": ", line);
    if (strncmp(text, prefix, strlen(prefix)) != 0)
        return;
    const char *body = text + strlen(prefix);
    if (strcmp(r->kind, "scn.fault") == 0) {
        const char *verb = strstr(body, ": ");
        if (verb != NULL)
            shrink_add_at(m, r->time_ns, verb + 2, strlen(verb + 2));
        return;
    }
    for (uint32_t i = 0; i < SHRINK_WORDS_MAX && body[0] != '\0'; i++) {
        size_t len = strcspn(body, ";");
        shrink_add_at(m, r->time_ns, body, len);
        body += len;
        while (*body == ';' || *body == ' ')
            body++;
    }
}

bool shrink_expand_faults(struct shrink_script *m, const struct tracelog *log)
{
    bool changed = false;
    for (uint32_t i = m->action_count; i > 0; i--) {
        struct shrink_action a = m->actions[i - 1];
        if (strncmp(a.text, "faults ", 7) != 0)
            continue;
        shrink_drop_actions(m, i - 1, 1);
        for (uint32_t r = 0; r < tracelog_count(log); r++) {
            struct tracelog_record rec;
            bool ours = tracelog_get(log, r, &rec) && (strcmp(rec.kind, "scn.fault") == 0 ||
                                                       strcmp(rec.kind, "scn.faults_end") == 0);
            if (ours)
                shrink_expand_record(m, &rec, a.line);
        }
        changed = true;
    }
    shrink_sort_at(m);
    return changed;
}

bool shrink_drop_actions(struct shrink_script *m, uint32_t first, uint32_t count)
{
    if (count == 0 || first >= m->action_count || count > m->action_count - first)
        return false;
    for (uint32_t i = first; i < first + count; i++)
        free(m->actions[i].text);
    memmove(&m->actions[first], &m->actions[first + count],
            (m->action_count - first - count) * sizeof(*m->actions));
    m->action_count -= count;
    return true;
}

/* Does text name node as a word (words split at spaces, commas, '|' and '=')? */
static bool text_names(const char *text, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = text; *p != '\0';) {
        size_t word = strcspn(p, " ,|=");
        if (word == len && strncmp(p, name, len) == 0)
            return true;
        p += word;
        p += *p != '\0' ? 1 : 0;
    }
    return false;
}

bool shrink_drop_node(struct shrink_script *m, uint32_t index)
{
    if (index >= m->node_count)
        return false;
    char name[WORLD_NODE_NAME_BYTES_MAX];
    snprintf(name, sizeof(name), "%s", m->nodes[index].name);
    memmove(&m->nodes[index], &m->nodes[index + 1],
            (m->node_count - index - 1) * sizeof(*m->nodes));
    m->node_count--;
    for (uint32_t i = m->action_count; i > 0; i--) {
        if (text_names(m->actions[i - 1].text, name))
            shrink_drop_actions(m, i - 1, 1);
    }
    for (uint32_t i = m->node_count; i > 0; i--) {
        if (i - 1 >= m->node_count)
            continue; /* a cascade removed more than one */
        const struct shrink_node *n = &m->nodes[i - 1];
        for (uint32_t p = 0; p < n->prop_count; p++) {
            if (strcmp(n->props[p].value, name) == 0) {
                shrink_drop_node(m, i - 1); /* its target is gone */
                break;
            }
        }
    }
    return true;
}

bool shrink_set_run(struct shrink_script *m, uint64_t run_ns)
{
    if (run_ns == 0 || run_ns >= m->run_ns)
        return false;
    m->run_ns = run_ns;
    for (uint32_t i = m->action_count; i > 0; i--) {
        struct shrink_action *a = &m->actions[i - 1];
        if (a->when != SCN_WHEN_BARE && a->at_ns > run_ns) {
            shrink_drop_actions(m, i - 1, 1);
            continue;
        }
        if (a->when == SCN_WHEN_EVERY && a->until_set && a->until_ns > run_ns)
            a->until_set = false;
    }
    for (uint32_t i = 0; i < m->node_count; i++) {
        if (!m->nodes[i].start_never && m->nodes[i].start_ns > run_ns)
            m->nodes[i].start_never = true;
    }
    return true;
}

bool shrink_lighten(struct shrink_script *m, uint32_t index)
{
    KS_ASSERT(index < m->node_count);
    struct shrink_node *n = &m->nodes[index];
    bool changed = false;
    for (uint32_t p = 0; p < n->prop_count; p++) {
        for (uint32_t k = 0; k < KS_ARRAY_COUNT(shrink_loads); k++) {
            const struct shrink_load *load = &shrink_loads[k];
            if (strcmp(n->props[p].key, load->key) != 0)
                continue;
            int64_t v = strtoll(n->props[p].value, NULL, 10);
            int64_t next = load->interval ? (v * 2 < load->limit ? v * 2 : load->limit)
                                          : (v / 2 > load->limit ? v / 2 : load->limit);
            if (next == v || v <= 0)
                continue;
            snprintf(n->props[p].value, sizeof(n->props[p].value), "%" PRId64, next);
            changed = true;
        }
    }
    return changed;
}

bool shrink_round_times(struct shrink_script *m, uint64_t unit_ns)
{
    KS_ASSERT(unit_ns > 0);
    bool changed = false;
    for (uint32_t i = 0; i < m->action_count; i++) {
        struct shrink_action *a = &m->actions[i];
        if (a->when != SCN_WHEN_AT || a->at_ns % unit_ns == 0)
            continue;
        a->at_ns -= a->at_ns % unit_ns;
        changed = true;
    }
    return changed;
}

bool shrink_expect_only(struct shrink_script *m, const char *invariant)
{
    if (m->expect_count == 1 && strcmp(m->expects[0], invariant) == 0)
        return false;
    snprintf(m->expects[0], sizeof(m->expects[0]), "%s", invariant);
    m->expect_count = 1;
    return true;
}
