/*
 * figures.h: liveness figures of one run in simulated time (issue 8, item 4), for the
 * run's JSON, its report and ci/bench: how long recovery took, not only whether it
 * happened. Percentiles are computed with integers (nearest rank on sorted samples).
 *
 * Sources, all read from what the run records (no hooks in system/):
 *  - ping round-trip times (the ping fixture's last RTTs, drained after every event):
 *    the stand-in for produce-to-acknowledge until the producer exists;
 *  - leader elections: from a crash, kill or stop of the node whose Raft role was
 *    Leader (`sm raft ...->Leader` events tell who leads) to the next `->Leader`;
 *  - spans between two states of a declared machine (figures.c's fig_spans table):
 *    time partitions spend under-replicated (`partition_isr` InSync -> Shrunk and back,
 *    when the broker declares it) and rebalance durations (`group` PreparingRebalance
 *    to Stable, when groups declare theirs). They read 0 samples until then.
 */
#ifndef SIM_FIGURES_H
#define SIM_FIGURES_H

#include <stdio.h>

#include "world.h"

#define FIG_SAMPLES_MAX (1u << 20) /* per figure and run; beyond it samples are dropped */
#define FIG_SPANS_MAX 4u

/* Nearest-rank percentiles of a sample set, in the samples' unit. */
struct fig_pct {
    uint64_t count;
    uint64_t p50;
    uint64_t p90;
    uint64_t p99;
    uint64_t max;
};

/* The value at percentile pct (1..100) of count sorted values: the smallest value with
 * at least pct% of the values at or below it. count > 0. */
uint64_t fig_rank(const uint64_t *sorted, uint64_t count, uint32_t pct);
/* Sort values (in place, ascending) and fill out; count 0 gives zeros. */
void fig_pct_compute(uint64_t *values, uint64_t count, struct fig_pct *out);

struct fig_summary {
    struct fig_pct ping_rtt_us;         /* ping round trips, microseconds */
    struct fig_pct leader_election_ms;  /* leader crash to a new leader */
    uint64_t leader_elections_pending;  /* crashes of a leader not yet followed by one */
    struct fig_pct under_replicated_ms; /* per episode (broker: later) */
    struct fig_pct rebalance_ms;        /* per rebalance (groups: later) */
    uint64_t samples_dropped;
};

struct fig_run;

struct fig_run *fig_run_create(void);
void fig_run_destroy(struct fig_run *run);
/* Every trace record (the runner's world trace listener). */
void fig_on_trace(struct fig_run *run, struct world *world, int node, const char *kind,
                  const char *text);
/* After every event (the runner's world observer). */
void fig_observe(struct fig_run *run, struct world *world);
void fig_summarize(struct fig_run *run, struct fig_summary *out);

/* `"liveness_figures":{...}` without a leading comma. */
void fig_json(FILE *out, const struct fig_summary *s);

#endif
