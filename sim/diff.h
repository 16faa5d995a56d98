/*
 * diff.h: `ksim diff`, the first event where two runs went different ways (issue 8,
 * item 2). When a replay no longer fails after a code change, or a bug switch changes
 * a run, the trace says where: the two traces are compared record by record (time,
 * node, kind, text) and the first record that differs is the divergence. It prints the
 * records around it on both sides and, when the runs can be re-run here, each involved
 * node's state (its type's describe()) at that simulated time.
 *
 *   ksim diff --trace-a FILE --trace-b FILE       two saved traces (two builds, one seed)
 *   ksim diff SCN --seed A --seed-b B             one scenario, two seeds
 *   ksim diff SCN [--seed N] --bug NAME...        without and with bug switches
 *   ksim diff SCN [--seed N] --set [NODE:]KEY=VALUE...
 *                                                 without and with a changed setting: a
 *                                                 node property (NODE:, else every node
 *                                                 that has KEY) or `world.KEY` (a world
 *                                                 setting such as world.latency=1ms..5ms)
 *   [--context N]                                 records shown around it (default 5)
 *
 * The last line is one JSON object. Exit 0: identical; 1: they differ (the divergence
 * printed); 2: bad input or usage. Replaying and narrating work on the same traces
 * (tracelog.h).
 */
#ifndef SIM_DIFF_H
#define SIM_DIFF_H

#include <stdio.h>

#include "tracelog.h"

#define DIFF_CONTEXT_DEFAULT 5u
#define DIFF_CONTEXT_MAX 100u
#define DIFF_SETS_MAX 32u

/* Where two traces part. */
struct diff_point {
    bool identical;
    uint32_t index; /* the first differing record (both sides share 0..index-1) */
    bool a_ended;   /* a has no record at index (b is longer) */
    bool b_ended;
    uint64_t time_ns; /* the earlier of the two records' times */
};

/* Whether two records are the same event. */
bool diff_record_equal(const struct tracelog_record *a, const struct tracelog_record *b);
/* The first record where a and b differ (malformed lines compare as text). */
void diff_first(const struct tracelog *a, const struct tracelog *b, struct diff_point *out);

/* args start after the word `diff`. */
int diff_main(int argc, char **argv, FILE *out, FILE *err);

#endif
