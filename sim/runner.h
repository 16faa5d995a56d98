/*
 * runner.h: runs a parsed scenario in a fresh world: `ksim run`. It builds the world
 * from the script's settings and a seed, adds the nodes in declaration order (so a
 * node's index in the script is its world id), schedules the timeline, hooks the
 * expected invariants in as observers, runs until the run's end, runs the liveness
 * checks and reports: violations as they happen, then one JSON line. TigerBeetle's
 * VOPR and FoundationDB's simulator drive their runs the same way: the seed is printed
 * first, and a failure prints the command that replays it.
 *
 * Verbs' exec functions get a struct runner_exec: the world and a few services of the
 * run (memory that lives until the run ends, marking a disturbance for liveness).
 */
#ifndef SIM_RUNNER_H
#define SIM_RUNNER_H

#include <stdio.h>

#include "../system/bugs.h"
#include "figures.h"
#include "inv.h"
#include "phase.h"
#include "scn.h"
#include "smcov.h"

#define RUNNER_EVENTS_MAX (1ull << 34) /* event budget of one run */
#define RUNNER_ALLOCS_MAX 4096u        /* runner_exec_alloc blocks of one run */
#define RUNNER_BUGS_MAX KS_BUG_COUNT

/* Exit codes of ksim (DESIGN.md). */
enum runner_exit {
    RUNNER_EXIT_OK = 0,        /* every invariant held */
    RUNNER_EXIT_VIOLATION = 1, /* an invariant was violated (or the run was not deterministic) */
    RUNNER_EXIT_USAGE = 2,     /* bad input or usage */
};

struct runner_options {
    const char *scenario_path;
    bool seed_set; /* else the script's `world seed=`, else 1 */
    uint64_t seed;
    const char *trace_path; /* NULL: no trace file */
    env_bug_mask bugs;
    const char *bug_names[RUNNER_BUGS_MAX]; /* as given, for the replay command */
    uint32_t bug_count;
    bool check_determinism;
    const char *dump_disks_dir; /* NULL: no dump */
    bool quiet;                 /* only the JSON line on stdout */
    /* ksim replay --until: stop at this simulated time (0: the run's end); a run stopped
     * early skips the liveness checks. */
    uint64_t stop_ns;
    /* Called once the run is over, before the world goes (ksim replay --until prints
     * the cluster's state). NULL: nothing. */
    void (*inspect)(void *ctx, struct world *world);
    void *inspect_ctx;
    const char *report_dir; /* ksim run --report: an HTML report goes there (report.h) */
};

struct runner_result {
    uint64_t seed;
    uint64_t trace_hash;
    uint64_t sim_ns;
    uint64_t events;
    uint64_t wall_ms;
    bool budget_exhausted;
    struct inv_violation violations[INV_VIOLATIONS_MAX];
    uint32_t violation_count;
    uint32_t violations_dropped;
    /* Issue 8: the liveness phase, its conditions, figures and state-machine coverage. */
    struct phase_settings phase;
    struct inv_liveness_result liveness[INV_CHECKERS_MAX];
    uint32_t liveness_count;
    struct fig_summary figures;
    struct smcov sm_coverage;
};

/* The language ksim speaks: world verbs, the ping/echo fixture's node kinds and
 * invariants. Later issues add their modules to the table in runner.c. */
const struct scn_lang *runner_lang(void);

/* The seed a run of script uses under options. */
uint64_t runner_seed(const struct scn_script *script, const struct runner_options *options);

/* Run script once. trace (borrowed, may be NULL) gets the trace lines. out gets the
 * violations as they happen (NULL: silent). Returns KS_OK, or an error when the run
 * could not be set up (a node could not be added; a trace or dump file failed). */
KS_MUST_CHECK enum ks_err runner_run_once(const struct scn_script *script,
                                          const struct runner_options *options, FILE *trace,
                                          FILE *out, struct runner_result *result);

/* `ksim run`: parse, run (twice with check_determinism), print, and return the exit
 * code. out gets the report and the JSON last line; err gets parse errors. */
int runner_main(const struct runner_options *options, FILE *out, FILE *err);

/* ---- For verbs' exec functions ---------------------------------------------------- */

struct runner_exec;

struct world *runner_exec_world(struct runner_exec *exec);
const struct scn_script *runner_exec_script(const struct runner_exec *exec);
/* The action being run (its line, for traces). */
const struct scn_action *runner_exec_action(const struct runner_exec *exec);
/* Zeroed memory that lives until the run ends (a verb's per-run state). */
void *runner_exec_alloc(struct runner_exec *exec, size_t size_bytes);
/* The world was disturbed now (a fault, a heal, a restart): liveness windows start
 * after the last disturbance. */
void runner_exec_disturbed(struct runner_exec *exec);
/* Whether the liveness phase has begun (fault schedules stop injecting then). */
bool runner_exec_liveness_began(const struct runner_exec *exec);

#endif
