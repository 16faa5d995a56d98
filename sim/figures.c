/*
 * figures.c: liveness figures of one run, see figures.h.
 */
#include "figures.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fixture_pingecho.h"

#define FIG_NS_PER_MS 1000000ull

enum fig_series { FIG_PING_RTT, FIG_ELECTION, FIG_UNDER_REPLICATED, FIG_REBALANCE, FIG_SERIES };

/* A span of a declared machine: from entering `from_state` to entering `to_state`. */
struct fig_span_def {
    enum fig_series series;
    const char *machine;
    const char *from_state;
    const char *to_state;
};

static const struct fig_span_def fig_spans[] = {
    {FIG_UNDER_REPLICATED, "partition_isr", "Shrunk", "InSync"},
    {FIG_REBALANCE, "group", "PreparingRebalance", "Stable"},
};
_Static_assert(KS_ARRAY_COUNT(fig_spans) <= FIG_SPANS_MAX, "spans fit");

struct fig_samples {
    uint64_t *values;
    uint64_t count;
    uint64_t capacity;
};

struct fig_node {
    bool leader; /* last raft role seen was Leader */
    uint64_t span_start_ns[FIG_SPANS_MAX];
    bool span_open[FIG_SPANS_MAX];
    uint32_t incarnation_seen; /* ping RTT draining */
    uint64_t rtt_seen;
};

struct fig_run {
    struct fig_samples series[FIG_SERIES];
    struct fig_node nodes[WORLD_NODES_MAX];
    bool election_pending;
    uint64_t election_since_ns;
    uint64_t dropped;
};

/* ---- Percentiles ------------------------------------------------------------------- */

uint64_t fig_rank(const uint64_t *sorted, uint64_t count, uint32_t pct)
{
    KS_ASSERT(count > 0);
    KS_ASSERT(pct >= 1 && pct <= 100);
    uint64_t rank = (count * pct + 99u) / 100u; /* ceil(count * pct / 100), 1-based */
    KS_ASSERT(rank >= 1 && rank <= count);
    return sorted[rank - 1];
}

static int fig_u64_order(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

void fig_pct_compute(uint64_t *values, uint64_t count, struct fig_pct *out)
{
    memset(out, 0, sizeof(*out));
    if (count == 0)
        return;
    qsort(values, count, sizeof(values[0]), fig_u64_order);
    out->count = count;
    out->p50 = fig_rank(values, count, 50);
    out->p90 = fig_rank(values, count, 90);
    out->p99 = fig_rank(values, count, 99);
    out->max = values[count - 1];
    KS_ASSERT(out->p50 <= out->p90 && out->p90 <= out->p99 && out->p99 <= out->max);
}

/* ---- Collecting ------------------------------------------------------------------- */

struct fig_run *fig_run_create(void)
{
    return ks_alloc(sizeof(struct fig_run));
}

void fig_run_destroy(struct fig_run *run)
{
    if (run == NULL)
        return;
    for (uint32_t i = 0; i < FIG_SERIES; i++)
        free(run->series[i].values);
    free(run);
}

static void fig_add(struct fig_run *run, enum fig_series series, uint64_t value)
{
    struct fig_samples *s = &run->series[series];
    if (s->count == FIG_SAMPLES_MAX) {
        run->dropped++;
        return;
    }
    if (s->count == s->capacity) {
        s->capacity = s->capacity == 0 ? 1024 : s->capacity * 2;
        s->values = ks_realloc(s->values, s->capacity * sizeof(s->values[0]));
    }
    s->values[s->count++] = value;
    KS_ASSERT(s->count <= FIG_SAMPLES_MAX);
}

/* "MACHINE FROM->TO": whether it is machine's and the target state is `state`. */
static bool fig_sm_enters(const char *text, const char *machine, const char *state)
{
    size_t m = strlen(machine);
    if (strncmp(text, machine, m) != 0 || text[m] != ' ')
        return false;
    const char *arrow = strstr(text + m, "->");
    return arrow != NULL && strcmp(arrow + 2, state) == 0;
}

static void fig_on_sm(struct fig_run *run, struct world *world, int node, const char *text)
{
    struct fig_node *n = &run->nodes[node];
    uint64_t now = world_now_ns(world);
    if (strncmp(text, "raft ", 5) == 0) {
        n->leader = fig_sm_enters(text, "raft", "Leader");
        if (n->leader && run->election_pending) {
            fig_add(run, FIG_ELECTION, (now - run->election_since_ns) / FIG_NS_PER_MS);
            run->election_pending = false;
        }
    }
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(fig_spans); i++) {
        const struct fig_span_def *d = &fig_spans[i];
        if (fig_sm_enters(text, d->machine, d->from_state) && !n->span_open[i]) {
            n->span_open[i] = true;
            n->span_start_ns[i] = now;
        } else if (fig_sm_enters(text, d->machine, d->to_state) && n->span_open[i]) {
            n->span_open[i] = false;
            fig_add(run, d->series, (now - n->span_start_ns[i]) / FIG_NS_PER_MS);
        }
    }
}

void fig_on_trace(struct fig_run *run, struct world *world, int node, const char *kind,
                  const char *text)
{
    if (node < 0 || (uint32_t)node >= WORLD_NODES_MAX)
        return;
    if (strcmp(kind, SM_TRACE_KIND) == 0) {
        fig_on_sm(run, world, node, text);
        return;
    }
    bool gone = strcmp(kind, "fault.crash") == 0 || strcmp(kind, "fault.kill") == 0 ||
                strcmp(kind, "node.stop") == 0;
    if (gone && run->nodes[node].leader) {
        run->nodes[node].leader = false;
        if (!run->election_pending) {
            run->election_pending = true;
            run->election_since_ns = world_now_ns(world);
        }
    }
}

/* Drain the ping nodes' new round-trip times. */
void fig_observe(struct fig_run *run, struct world *world)
{
    struct fixture_ping_status status;
    uint32_t count = world_node_count(world);
    KS_ASSERT(count <= WORLD_NODES_MAX);
    for (uint32_t i = 0; i < count; i++) {
        const void *impl = world_node_impl(world, (int)i);
        if (impl == NULL || world_node_type_of(world, (int)i) != &fixture_ping_type)
            continue;
        struct fig_node *n = &run->nodes[i];
        uint32_t incarnation = world_node_incarnation(world, (int)i);
        if (n->incarnation_seen != incarnation) {
            n->incarnation_seen = incarnation;
            n->rtt_seen = 0;
        }
        fixture_ping_status_get(impl, &status);
        if (status.round_trips - n->rtt_seen > FIXTURE_RTT_RING) {
            run->dropped += status.round_trips - n->rtt_seen - FIXTURE_RTT_RING;
            n->rtt_seen = status.round_trips - FIXTURE_RTT_RING;
        }
        for (; n->rtt_seen < status.round_trips; n->rtt_seen++)
            fig_add(run, FIG_PING_RTT, status.rtt_us[n->rtt_seen % FIXTURE_RTT_RING]);
    }
}

void fig_summarize(struct fig_run *run, struct fig_summary *out)
{
    memset(out, 0, sizeof(*out));
    struct fig_samples *s = run->series;
    fig_pct_compute(s[FIG_PING_RTT].values, s[FIG_PING_RTT].count, &out->ping_rtt_us);
    fig_pct_compute(s[FIG_ELECTION].values, s[FIG_ELECTION].count, &out->leader_election_ms);
    fig_pct_compute(s[FIG_UNDER_REPLICATED].values, s[FIG_UNDER_REPLICATED].count,
                    &out->under_replicated_ms);
    fig_pct_compute(s[FIG_REBALANCE].values, s[FIG_REBALANCE].count, &out->rebalance_ms);
    out->leader_elections_pending = run->election_pending ? 1 : 0;
    out->samples_dropped = run->dropped;
}

static void fig_pct_json(FILE *out, const char *name, const struct fig_pct *p)
{
    fprintf(out,
            "\"%s\":{\"count\":%" PRIu64 ",\"p50\":%" PRIu64 ",\"p90\":%" PRIu64 ",\"p99\":%" PRIu64
            ",\"max\":%" PRIu64 "}",
            name, p->count, p->p50, p->p90, p->p99, p->max);
}

void fig_json(FILE *out, const struct fig_summary *s)
{
    fputs("\"liveness_figures\":{", out);
    fig_pct_json(out, "ping_rtt_us", &s->ping_rtt_us);
    fputc(',', out);
    fig_pct_json(out, "leader_election_ms", &s->leader_election_ms);
    fprintf(out, ",\"leader_elections_pending\":%" PRIu64 ",", s->leader_elections_pending);
    fig_pct_json(out, "under_replicated_ms", &s->under_replicated_ms);
    fputc(',', out);
    fig_pct_json(out, "rebalance_ms", &s->rebalance_ms);
    fprintf(out, ",\"samples_dropped\":%" PRIu64 "}", s->samples_dropped);
}
