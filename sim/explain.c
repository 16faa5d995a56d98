/*
 * explain.c: the causal slice of a violation, see explain.h.
 *
 * Two passes over the trace up to the violation: the first learns the node names and
 * which node is which broker id; the second keeps the records the rules below call
 * relevant, in a ring of the latest EXPLAIN_STEPS_MAX, folding a run of records of one
 * kind on one node into its latest ("and 12 more like it"), and counts the requests the
 * nodes involved served in the last EXPLAIN_WINDOW_NS.
 */
#include "explain.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "narrate.h"

#define EXPLAIN_TEXT_BYTES_MAX 4096u
#define EXPLAIN_BROKERS_MAX 64u
#define EXPLAIN_APIS_MAX 8u         /* request kinds counted per node */
#define EXPLAIN_SENTENCE_SHOWN 220u /* a long record (a metadata record's JSON) is cut */

/* Whom a kind of record is about. */
enum explain_scope {
    EXPLAIN_NODE,      /* the record's node is involved */
    EXPLAIN_PARTITION, /* its text names an involved partition (else: its node) */
    EXPLAIN_TEXT,      /* its node is involved or its text names an involved node */
    EXPLAIN_NAMED,     /* its text names an involved node ("to b1") */
    EXPLAIN_METADATA,  /* a metadata record about an involved partition or broker */
    EXPLAIN_WORLD,     /* always: it changes every node's world */
};

struct explain_rule {
    const char *kind; /* a kind, or a prefix ending in '.' */
    enum explain_scope scope;
};

/* First match wins: exact kinds, then prefixes. Kinds not listed are not told. */
static const struct explain_rule explain_rules[] = {
    {"repl.fetcher", EXPLAIN_NODE},   {"repl.fetch_error", EXPLAIN_PARTITION},
    {"raft.", EXPLAIN_NODE},          {"ctrl.fence", EXPLAIN_TEXT},
    {"ctrl.register", EXPLAIN_TEXT},  {"ctrl.answer", EXPLAIN_NAMED},
    {"ctrl.apply", EXPLAIN_METADATA}, {"ctrl.", EXPLAIN_NODE},
    {"blife.", EXPLAIN_NODE},         {"repl.", EXPLAIN_PARTITION},
    {"pstate.", EXPLAIN_PARTITION},   {"kcheck.", EXPLAIN_PARTITION},
    {"log.open", EXPLAIN_NODE},       {"log.roll", EXPLAIN_NODE},
    {"log.retention", EXPLAIN_NODE},  {"log.clean", EXPLAIN_NODE},
    {"log.truncate", EXPLAIN_NODE},   {"group.", EXPLAIN_TEXT},
    {"gcoord.", EXPLAIN_TEXT},        {"cgroup.", EXPLAIN_NODE},
    {"bgroup.", EXPLAIN_NODE},        {"fault.partition", EXPLAIN_WORLD},
    {"fault.heal", EXPLAIN_WORLD},    {"fault.link_break", EXPLAIN_NODE},
    {"fault.", EXPLAIN_NODE},         {"node.start", EXPLAIN_NODE},
    {"node.stop", EXPLAIN_NODE},      {"scn.action", EXPLAIN_TEXT},
    {"scn.fault", EXPLAIN_TEXT},      {"scn.skip", EXPLAIN_NODE},
    {"phase.liveness", EXPLAIN_WORLD}, {"admin.result", EXPLAIN_PARTITION},
};

static const struct explain_rule *explain_rule_of(const char *kind)
{
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(explain_rules); i++) {
        const char *k = explain_rules[i].kind;
        size_t len = strlen(k);
        KS_ASSERT(len > 0);
        bool prefix = k[len - 1] == '.';
        if (prefix ? strncmp(kind, k, len) == 0 : strcmp(kind, k) == 0)
            return &explain_rules[i];
    }
    return NULL;
}

/* ---- Words --------------------------------------------------------------------------- */

static bool explain_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.';
}

/* Does text hold word as a whole word (a trailing '.' of a sentence aside)? */
static bool explain_has_word(const char *text, const char *word)
{
    size_t len = strlen(word);
    if (len == 0)
        return false;
    for (const char *hit = strstr(text, word); hit != NULL; hit = strstr(hit + 1, word)) {
        bool start = hit == text || !explain_word_char(hit[-1]);
        char next = hit[len];
        bool end = !explain_word_char(next) || (next == '.' && !explain_word_char(hit[len + 1]));
        if (start && end)
            return true;
    }
    return false;
}

static bool explain_listed(char (*list)[WORLD_NODE_NAME_BYTES_MAX], uint32_t count,
                           const char *name)
{
    for (uint32_t i = 0; i < count; i++) {
        if (strcmp(list[i], name) == 0)
            return true;
    }
    return false;
}

static void explain_add(char (*list)[WORLD_NODE_NAME_BYTES_MAX], uint32_t *count,
                        const char *name, size_t len)
{
    if (len == 0 || len >= WORLD_NODE_NAME_BYTES_MAX || *count >= EXPLAIN_SUBJECTS_MAX)
        return;
    char copy[WORLD_NODE_NAME_BYTES_MAX];
    memcpy(copy, name, len);
    copy[len] = '\0';
    if (explain_listed(list, *count, copy))
        return;
    memcpy(list[*count], copy, len + 1);
    (*count)++;
}

/* "orders-0": a name, a dash, digits; not a record key of the log fixture ("key-3"). */
static bool explain_is_partition(const char *word, size_t len)
{
    const char *dash = NULL;
    for (size_t i = 0; i < len; i++)
        dash = word[i] == '-' ? word + i : dash;
    if (dash == NULL || dash == word || dash + 1 == word + len || strncmp(word, "key-", 4) == 0)
        return false;
    for (const char *c = dash + 1; c < word + len; c++) {
        if (*c < '0' || *c > '9')
            return false;
    }
    return true;
}

/* ---- Subjects ------------------------------------------------------------------------ */

/* Node names (from node.add) and broker ids (from broker.start "id=N"). */
struct explain_names {
    char nodes[WORLD_NODES_MAX][WORLD_NODE_NAME_BYTES_MAX];
    uint32_t node_count;
    int32_t broker_id[WORLD_NODES_MAX]; /* -1: not a broker */
};

static void explain_names_learn(const struct tracelog *log, struct explain_names *n)
{
    memset(n, 0, sizeof(*n));
    char text[EXPLAIN_TEXT_BYTES_MAX];
    for (uint32_t i = 0; i < tracelog_count(log); i++) {
        struct tracelog_record r;
        if (!tracelog_get(log, i, &r))
            continue;
        bool add = strcmp(r.kind, "node.add") == 0 && n->node_count < WORLD_NODES_MAX;
        if (add && !explain_listed(n->nodes, n->node_count, r.node)) {
            n->broker_id[n->node_count] = -1;
            snprintf(n->nodes[n->node_count++], WORLD_NODE_NAME_BYTES_MAX, "%s", r.node);
        }
        if (strcmp(r.kind, "broker.start") != 0)
            continue;
        tracelog_text_copy(&r, text, sizeof(text));
        int id = -1;
        for (uint32_t j = 0; j < n->node_count; j++) {
            if (strcmp(n->nodes[j], r.node) == 0 && sscanf(text, "id=%d", &id) == 1)
                n->broker_id[j] = id;
        }
    }
    KS_ASSERT(n->node_count <= WORLD_NODES_MAX);
}

/* A number after "broker", "leader", "replica" or "follower" names a broker's node. */
static void explain_subjects_brokers(const struct explain_names *n, const char *message,
                                     struct explain_subjects *s)
{
    static const char *const words[] = {"broker ", "leader ", "replica ", "follower "};
    for (uint32_t w = 0; w < KS_ARRAY_COUNT(words); w++) {
        for (const char *hit = strstr(message, words[w]); hit != NULL;
             hit = strstr(hit + 1, words[w])) {
            int id = -1;
            if (sscanf(hit + strlen(words[w]), "%d", &id) != 1)
                continue;
            for (uint32_t j = 0; j < n->node_count; j++) {
                if (n->broker_id[j] == id && id >= 0)
                    explain_add(s->nodes, &s->node_count, n->nodes[j], strlen(n->nodes[j]));
            }
        }
    }
}

/* The topic id of topic in a TOPIC_RECORD the controllers applied, into id. */
static void explain_topic_id(const struct tracelog *log, const char *topic, char *id, size_t bytes)
{
    char text[EXPLAIN_TEXT_BYTES_MAX], name[WORLD_NODE_NAME_BYTES_MAX + 16];
    snprintf(name, sizeof(name), "\"name\":\"%s\"", topic);
    id[0] = '\0';
    for (uint32_t i = 0; i < tracelog_count(log) && id[0] == '\0'; i++) {
        struct tracelog_record r;
        if (!tracelog_get(log, i, &r) || strcmp(r.kind, "ctrl.apply") != 0)
            continue;
        tracelog_text_copy(&r, text, sizeof(text));
        const char *key = strstr(text, "\"topicId\":\"");
        if (strstr(text, "\"TOPIC_RECORD\"") == NULL || strstr(text, name) == NULL || key == NULL)
            continue;
        key += strlen("\"topicId\":\"");
        size_t len = strcspn(key, "\"");
        snprintf(id, bytes, "%.*s", (int)(len < bytes ? len : bytes - 1), key);
    }
}

/* Broker ids of the involved nodes, metadata names of the involved partitions. */
static void explain_subjects_ids(const struct tracelog *log, const struct explain_names *n,
                                 struct explain_subjects *s)
{
    for (uint32_t i = 0; i < s->node_count; i++) {
        for (uint32_t j = 0; j < n->node_count; j++) {
            if (strcmp(s->nodes[i], n->nodes[j]) == 0 && n->broker_id[j] >= 0)
                s->broker_ids[s->broker_id_count++] = n->broker_id[j];
        }
    }
    for (uint32_t p = 0; p < s->partition_count; p++) {
        char topic[WORLD_NODE_NAME_BYTES_MAX];
        snprintf(topic, sizeof(topic), "%s", s->partitions[p]);
        char *dash = strrchr(topic, '-');
        KS_ASSERT(dash != NULL);
        *dash = '\0';
        s->partition_ids[p] = atoi(dash + 1);
        explain_topic_id(log, topic, s->topic_ids[p], sizeof(s->topic_ids[p]));
    }
    KS_ASSERT(s->broker_id_count <= EXPLAIN_SUBJECTS_MAX);
}

void explain_subjects_find(const struct tracelog *log, const struct inv_violation *v,
                           struct explain_subjects *out)
{
    memset(out, 0, sizeof(*out));
    struct explain_names *n = ks_alloc(sizeof(*n));
    explain_names_learn(log, n);
    if (v->node[0] != '\0')
        explain_add(out->nodes, &out->node_count, v->node, strlen(v->node));
    for (uint32_t j = 0; j < n->node_count; j++) {
        if (explain_has_word(v->message, n->nodes[j]))
            explain_add(out->nodes, &out->node_count, n->nodes[j], strlen(n->nodes[j]));
    }
    explain_subjects_brokers(n, v->message, out);
    const char *m = v->message;
    while (*m != '\0') {
        while (*m != '\0' && !explain_word_char(*m))
            m++;
        size_t len = 0;
        while (explain_word_char(m[len]))
            len++;
        while (len > 0 && m[len - 1] == '.')
            len--; /* the end of a sentence */
        if (len > 0 && explain_is_partition(m, len))
            explain_add(out->partitions, &out->partition_count, m, len);
        m += len;
        while (*m == '.')
            m++;
    }
    explain_subjects_ids(log, n, out);
    free(n);
    KS_ASSERT(out->node_count <= EXPLAIN_SUBJECTS_MAX);
}

/* ---- The slice ----------------------------------------------------------------------- */

static bool explain_names_involved(const char *text, const struct explain_subjects *s)
{
    for (uint32_t i = 0; i < s->node_count; i++) {
        if (explain_has_word(text, s->nodes[i]))
            return true;
    }
    return false;
}

static bool explain_names_partition(const char *text, const struct explain_subjects *s)
{
    for (uint32_t i = 0; i < s->partition_count; i++) {
        if (explain_has_word(text, s->partitions[i]))
            return true;
    }
    return false;
}

/* Does a metadata record's JSON hold "key":value for a number value? */
static bool explain_json_number(const char *text, const char *key, int32_t value)
{
    char want[64];
    snprintf(want, sizeof(want), "\"%s\":%d", key, value);
    for (const char *hit = strstr(text, want); hit != NULL; hit = strstr(hit + 1, want)) {
        char next = hit[strlen(want)];
        if (next < '0' || next > '9')
            return true;
    }
    return false;
}

/* A metadata record about an involved partition (its topic id and partition id) or an
 * involved broker (its id, as a broker record or as a partition's leader). */
static bool explain_metadata_relevant(const char *text, const struct explain_subjects *s)
{
    for (uint32_t p = 0; p < s->partition_count; p++) {
        char topic[64];
        snprintf(topic, sizeof(topic), "\"topicId\":\"%s\"", s->topic_ids[p]);
        if (s->topic_ids[p][0] != '\0' && strstr(text, topic) != NULL &&
            explain_json_number(text, "partitionId", s->partition_ids[p]))
            return true;
    }
    for (uint32_t b = 0; b < s->broker_id_count; b++) {
        bool broker_record = strstr(text, "BROKER_RECORD") != NULL;
        if ((broker_record && (explain_json_number(text, "id", s->broker_ids[b]) ||
                               explain_json_number(text, "brokerId", s->broker_ids[b]))) ||
            (s->partition_count == 0 && explain_json_number(text, "leader", s->broker_ids[b])))
            return true;
    }
    return false;
}

bool explain_record_relevant(const struct tracelog_record *r, const struct explain_subjects *s)
{
    const struct explain_rule *rule = explain_rule_of(r->kind);
    if (rule == NULL)
        return false;
    bool own = explain_listed((char (*)[WORLD_NODE_NAME_BYTES_MAX])s->nodes, s->node_count,
                              r->node);
    char text[EXPLAIN_TEXT_BYTES_MAX];
    tracelog_text_copy(r, text, sizeof(text));
    switch (rule->scope) {
    case EXPLAIN_WORLD:
        return true;
    case EXPLAIN_NODE:
        return own;
    case EXPLAIN_TEXT:
        return own || explain_names_involved(text, s);
    case EXPLAIN_NAMED:
        return explain_names_involved(text, s);
    case EXPLAIN_METADATA:
        return own && explain_metadata_relevant(text, s);
    case EXPLAIN_PARTITION:
        return s->partition_count > 0 ? explain_names_partition(text, s) : own;
    }
    KS_UNREACHABLE();
}

/* The latest relevant records; a run of one kind on one node keeps its latest. */
struct explain_steps {
    uint32_t index[EXPLAIN_STEPS_MAX];
    uint32_t repeats[EXPLAIN_STEPS_MAX];
    uint32_t count; /* in the ring (<= EXPLAIN_STEPS_MAX) */
    uint32_t head;  /* the oldest */
    uint32_t total; /* steps seen (after folding) */
    struct tracelog_record last;
};

static void explain_steps_push(struct explain_steps *st, uint32_t index,
                               const struct tracelog_record *r)
{
    bool same = st->count > 0 && strcmp(st->last.node, r->node) == 0 &&
                strcmp(st->last.kind, r->kind) == 0 && strcmp(r->kind, "ctrl.apply") != 0;
    if (same) {
        uint32_t newest = (st->head + st->count - 1) % EXPLAIN_STEPS_MAX;
        st->index[newest] = index;
        st->repeats[newest]++;
        st->last = *r;
        return;
    }
    uint32_t slot = (st->head + st->count) % EXPLAIN_STEPS_MAX;
    if (st->count == EXPLAIN_STEPS_MAX)
        st->head = (st->head + 1) % EXPLAIN_STEPS_MAX;
    else
        st->count++;
    st->index[slot] = index;
    st->repeats[slot] = 0;
    st->total++;
    st->last = *r;
    KS_ASSERT(st->count <= EXPLAIN_STEPS_MAX);
}

/* Requests served by the nodes involved in the window: "Fetch" x 20 per node. */
struct explain_requests {
    char api[EXPLAIN_SUBJECTS_MAX][EXPLAIN_APIS_MAX][32];
    uint32_t count[EXPLAIN_SUBJECTS_MAX][EXPLAIN_APIS_MAX];
};

static void explain_requests_add(struct explain_requests *q, const struct explain_subjects *s,
                                 const struct tracelog_record *r)
{
    char text[EXPLAIN_TEXT_BYTES_MAX], api[32];
    tracelog_text_copy(r, text, sizeof(text));
    if (sscanf(text, "conn=%*s %31s", api) != 1)
        return;
    for (uint32_t n = 0; n < s->node_count; n++) {
        if (strcmp(s->nodes[n], r->node) != 0)
            continue;
        for (uint32_t a = 0; a < EXPLAIN_APIS_MAX; a++) {
            if (q->api[n][a][0] == '\0')
                snprintf(q->api[n][a], sizeof(q->api[n][a]), "%s", api);
            if (strcmp(q->api[n][a], api) == 0) {
                q->count[n][a]++;
                return;
            }
        }
    }
}

/* ---- Telling --------------------------------------------------------------------------- */

static void explain_header(const struct explain_subjects *s, const struct inv_violation *v,
                           FILE *out)
{
    char t[32];
    narrate_time(v->time_ns, t, sizeof(t));
    fprintf(out, "Why %s broke at %s%s%s: %s\n", v->invariant, t, v->node[0] ? " on " : "",
            v->node, v->message);
    fprintf(out, "  involved:");
    for (uint32_t i = 0; i < s->node_count; i++)
        fprintf(out, "%s%s", i == 0 ? " nodes " : ", ", s->nodes[i]);
    for (uint32_t i = 0; i < s->partition_count; i++)
        fprintf(out, "%s%s", i == 0 ? "; partitions " : ", ", s->partitions[i]);
    if (s->node_count + s->partition_count == 0)
        fprintf(out, " no node or partition named: the whole cluster");
    fputc('\n', out);
}

static void explain_steps_tell(const struct tracelog *log, const struct explain_steps *st,
                               FILE *out)
{
    fprintf(out, "  what led to it, oldest first (%s%" PRIu32 " step%s that touched them):\n",
            st->total > st->count ? "the last of " : "", st->total, st->total == 1 ? "" : "s");
    char sentence[NARRATE_SENTENCE_BYTES_MAX], t[32];
    for (uint32_t k = 0; k < st->count; k++) {
        uint32_t slot = (st->head + k) % EXPLAIN_STEPS_MAX;
        struct tracelog_record r;
        if (!tracelog_get(log, st->index[slot], &r) ||
            !narrate_sentence(&r, sentence, sizeof(sentence)))
            continue;
        if (strlen(sentence) > EXPLAIN_SENTENCE_SHOWN)
            memcpy(sentence + EXPLAIN_SENTENCE_SHOWN - 3, "...", 4);
        narrate_time(r.time_ns, t, sizeof(t));
        fprintf(out, "%-11s %s", t, sentence);
        if (st->repeats[slot] > 0)
            fprintf(out, " (the last of %" PRIu32 " like it)", st->repeats[slot] + 1);
        fputc('\n', out);
    }
}

static void explain_requests_tell(const struct explain_requests *q,
                                  const struct explain_subjects *s, FILE *out)
{
    bool any = false;
    for (uint32_t n = 0; n < s->node_count; n++) {
        if (q->count[n][0] == 0)
            continue;
        fprintf(out, "%s%s:", any ? "; " : "  requests the nodes involved served in the last "
                                         "second: ",
                s->nodes[n]);
        for (uint32_t a = 0; a < EXPLAIN_APIS_MAX && q->count[n][a] > 0; a++)
            fprintf(out, " %s x%" PRIu32, q->api[n][a], q->count[n][a]);
        any = true;
    }
    if (any)
        fputc('\n', out);
}

void explain_violation(const struct tracelog *log, const struct runner_result *result, FILE *out)
{
    if (result->violation_count == 0) {
        fprintf(out, "ksim explain: no violation to explain\n");
        return;
    }
    const struct inv_violation *v = &result->violations[0];
    struct explain_subjects s;
    explain_subjects_find(log, v, &s);
    struct explain_steps *st = ks_alloc(sizeof(*st));
    struct explain_requests *q = ks_alloc(sizeof(*q));
    for (uint32_t i = 0; i < tracelog_count(log); i++) {
        struct tracelog_record r;
        if (!tracelog_get(log, i, &r))
            continue;
        if (r.time_ns > v->time_ns || strcmp(r.kind, "inv.violation") == 0)
            continue;
        if (strcmp(r.kind, "srv.request") == 0 && r.time_ns + EXPLAIN_WINDOW_NS >= v->time_ns)
            explain_requests_add(q, &s, &r);
        else if (explain_record_relevant(&r, &s))
            explain_steps_push(st, i, &r);
    }
    explain_header(&s, v, out);
    explain_steps_tell(log, st, out);
    explain_requests_tell(q, &s, out);
    char t[32];
    narrate_time(v->time_ns, t, sizeof(t));
    fprintf(out, "%-11s VIOLATION of %s%s%s: %s\n", t, v->invariant, v->node[0] ? " at " : "",
            v->node, v->message);
    const struct inv_def *def = scn_lang_invariant(runner_lang(), v->invariant);
    if (def != NULL)
        fprintf(out, "  %s promises: %s\n", v->invariant, def->summary);
    free(q);
    free(st);
}
