/*
 * narrate.c: trace records as sentences, see narrate.h. Each rule reads the record's
 * text, which world.c, scn_world.c and the node types write as `key=value` words or
 * short phrases, and says it in English; a rule that cannot read the text falls back
 * to telling the record as it is.
 */
#include "narrate.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define NARRATE_TEXT_BYTES_MAX 1024u

typedef void (*narrate_fn)(const char *node, const char *text, char *buf, size_t buf_bytes);

struct narrate_rule {
    const char *kind;
    narrate_fn fn; /* NULL: not told */
};

/* The number after `key=` in text, or fallback. */
static unsigned long long text_number(const char *text, const char *key,
                                      unsigned long long fallback)
{
    const char *at = strstr(text, key);
    if (at == NULL)
        return fallback;
    return strtoull(at + strlen(key), NULL, 10);
}

static void say_start(const char *node, const char *text, char *buf, size_t n)
{
    unsigned long long inc = text_number(text, "incarnation=", 0);
    if (inc <= 1)
        snprintf(buf, n, "%s started", node);
    else
        snprintf(buf, n, "%s restarted from its disk (incarnation %llu)", node, inc);
}

static void say_crash(const char *node, const char *text, char *buf, size_t n)
{
    unsigned long long lost = text_number(text, "unsynced_ops_lost=", 0);
    snprintf(buf, n, "%s crashed (power loss): %llu unsynced write%s lost", node, lost,
             lost == 1 ? "" : "s");
}

static void say_kill(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s was killed (the process died; its page cache survives)", node);
}

static void say_stop(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s stopped cleanly", node);
}

static void say_pause(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s froze for %llums (a GC-like pause)", node,
             text_number(text, "duration_ms=", 0));
}

static void say_resume(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s resumed after its pause", node);
}

static void say_start_failed(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s failed to start (its configuration or disk was refused)", node);
}

static void say_heal(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "the network healed: every partition is gone");
}

static void say_partition(const char *node, const char *text, char *buf, size_t n)
{
    bool one_way = strstr(text, "one_way=1") != NULL;
    snprintf(buf, n, "the network split %s: %llu node(s) against %llu",
             one_way ? "one way" : "both ways", text_number(text, "from=", 0),
             text_number(text, "to=", 0));
}

static void say_clock_jump(const char *node, const char *text, char *buf, size_t n)
{
    long long delta = strtoll(strstr(text, "=") != NULL ? strstr(text, "=") + 1 : "0", NULL, 10);
    snprintf(buf, n, "%s's wall clock jumped %s by %lldms", node, delta < 0 ? "back" : "forward",
             delta < 0 ? -delta : delta);
}

static void say_drift(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s's clock now drifts (%s)", node, text);
}

static void say_disk(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s's disk changed: %s", node, text);
}

static void say_link_break(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "connections broke: %s", text);
}

static void say_action(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "the script says: %s", text);
}

static void say_fault(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "the random fault schedule (%s)", text);
}

static void say_faults_end(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "the random fault schedule ends and recovers (%s)", text);
}

static void say_skip(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s: skipped %s (not in a state it applies to)", node, text);
}

static void say_open(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s connected (%s)", node, text);
}

static void say_open_failed(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s could not connect (%s)", node, text);
}

static void say_accept(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s accepted a connection (%s)", node, text);
}

static void say_broken(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s saw its connection break (%s)", node, text);
}

static void say_closed(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s saw its connection closed by the peer (%s)", node, text);
}

static void say_ping_start(const char *node, const char *text, char *buf, size_t n)
{
    snprintf(buf, n, "%s loaded its counter from disk: %llu round trips", node,
             text_number(text, "loaded=", 0));
}

/* Kinds in the order of the world's own (world.c, scn_world.c), then the fixture's;
 * later modules append theirs. */
static const struct narrate_rule narrate_rules[] = {
    {"node.add", NULL},
    {"node.start", say_start},
    {"node.start_failed", say_start_failed},
    {"node.stop", say_stop},
    {"node.resume", say_resume},
    {"fault.crash", say_crash},
    {"fault.kill", say_kill},
    {"fault.pause", say_pause},
    {"fault.partition", say_partition},
    {"fault.heal", say_heal},
    {"fault.clock_jump", say_clock_jump},
    {"fault.clock_drift", say_drift},
    {"fault.disk", say_disk},
    {"fault.link_break", say_link_break},
    {"scn.action", say_action},
    {"scn.fault", say_fault},
    {"scn.faults_end", say_faults_end},
    {"scn.skip", say_skip},
    {"net.listen", NULL},
    {"net.connect", NULL},
    {"net.send", NULL},
    {"net.recv", NULL},
    {"net.close", NULL},
    {"net.open", say_open},
    {"net.open_failed", say_open_failed},
    {"net.accept", say_accept},
    {"net.broken", say_broken},
    {"net.closed", say_closed},
    {"ping.start", say_ping_start},
};

bool narrate_sentence(const struct tracelog_record *r, char *buf, size_t buf_bytes)
{
    char text[NARRATE_TEXT_BYTES_MAX];
    tracelog_text_copy(r, text, sizeof(text));
    KS_ASSERT(buf_bytes > 0);
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(narrate_rules); i++) {
        if (strcmp(narrate_rules[i].kind, r->kind) != 0)
            continue;
        if (narrate_rules[i].fn == NULL)
            return false;
        narrate_rules[i].fn(r->node, text, buf, buf_bytes);
        return true;
    }
    snprintf(buf, buf_bytes, "%s: %s %s", r->node, r->kind, text);
    return true;
}

void narrate_time(uint64_t ns, char *buf, size_t buf_bytes)
{
    snprintf(buf, buf_bytes, "t=%" PRIu64 ".%03" PRIu64 "s", ns / 1000000000u,
             ns / 1000000u % 1000u);
}

struct narrate_state {
    FILE *out;
    uint64_t traffic;      /* messages folded since the last sentence */
    uint64_t traffic_from; /* time of the first of them */
    const struct runner_result *result;
    uint32_t violations_told;
};

static void narrate_traffic_flush(struct narrate_state *st, uint64_t until_ns)
{
    if (st->traffic == 0)
        return;
    char from[32], until[32];
    narrate_time(st->traffic_from, from, sizeof(from));
    narrate_time(until_ns, until, sizeof(until));
    fprintf(st->out, "            ... %" PRIu64 " message%s sent and received (%s to %s)\n",
            st->traffic, st->traffic == 1 ? "" : "s", from, until);
    st->traffic = 0;
}

/* Tell the violations found up to now_ns. */
static void narrate_violations(struct narrate_state *st, uint64_t now_ns, bool all)
{
    const struct runner_result *r = st->result;
    KS_ASSERT(r->violation_count <= INV_VIOLATIONS_MAX);
    while (st->violations_told < r->violation_count) {
        const struct inv_violation *v = &r->violations[st->violations_told];
        if (!all && v->time_ns > now_ns)
            return;
        char t[32];
        narrate_time(v->time_ns, t, sizeof(t));
        narrate_traffic_flush(st, v->time_ns);
        fprintf(st->out, "%-11s VIOLATION of %s%s%s: %s\n", t, v->invariant,
                v->node[0] != '\0' ? " at " : "", v->node, v->message);
        st->violations_told++;
    }
}

static void narrate_end(struct narrate_state *st, const struct runner_result *r)
{
    char t[32];
    narrate_time(r->sim_ns, t, sizeof(t));
    if (r->violation_count == 0)
        fprintf(st->out, "%-11s the run ends: every invariant held (%" PRIu64 " events)\n", t,
                r->events);
    else
        fprintf(st->out, "%-11s the run ends: %" PRIu32 " violation(s) (%" PRIu64 " events)\n", t,
                r->violation_count + r->violations_dropped, r->events);
}

void narrate_log(const struct tracelog *log, const struct runner_result *r, FILE *out)
{
    struct narrate_state st = {.out = out, .result = r};
    char sentence[NARRATE_SENTENCE_BYTES_MAX], t[32];
    uint64_t last_ns = 0;
    for (uint32_t i = 0; i < tracelog_count(log); i++) {
        struct tracelog_record rec;
        if (!tracelog_get(log, i, &rec))
            continue;
        narrate_violations(&st, rec.time_ns, false);
        last_ns = rec.time_ns;
        if (!narrate_sentence(&rec, sentence, sizeof(sentence))) {
            bool traffic = strcmp(rec.kind, "net.send") == 0 || strcmp(rec.kind, "net.recv") == 0;
            if (traffic && st.traffic++ == 0)
                st.traffic_from = rec.time_ns;
            continue;
        }
        narrate_traffic_flush(&st, rec.time_ns);
        narrate_time(rec.time_ns, t, sizeof(t));
        fprintf(out, "%-11s %s\n", t, sentence);
    }
    narrate_violations(&st, UINT64_MAX, true);
    narrate_traffic_flush(&st, last_ns);
    narrate_end(&st, r);
    KS_ASSERT(st.violations_told == r->violation_count);
}
