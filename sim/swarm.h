/*
 * swarm.h: `ksim swarm`, many seeds of scenarios (or of random worlds, gen.h) over
 * worker processes. FoundationDB runs its simulation tests as thousands of seeds per
 * commit, TigerBeetle's VOPR the same; swarm testing also varies which faults are on.
 *
 *   ksim swarm [SCENARIO...] [--seeds N | --time S] [--jobs J] [--shard I/N]
 *              [--out DIR] [--bug NAME]... [--seed-start S] [--first] [--run SECONDS]
 *              [--no-reports] [--coverage]
 *   ksim swarm --print-world [--seed-start S] [--run SECONDS]   (the random world of S)
 *   ksim swarm --print-invariants   (every invariant a random world may expect)
 *
 * Jobs: with k scenarios, global job g runs scenario g % k with seed seed_start + g / k
 * (no scenario: a random world drawn from that seed). `--shard I/N` (0 <= I < N) keeps
 * the jobs with g % N == I, so N machines cover disjoint seeds; `--seeds N` counts the
 * jobs of this shard. A job's result depends only on its scenario, seed and bug
 * switches, never on the job count or timing; only the order of output lines may.
 * `--first` stops at the first failure, deterministically the lowest failing job (jobs
 * below it are finished, jobs above it discarded).
 *
 * Every failure is saved as OUT/<scenario>-seed<N>.replay (replay.h) with an HTML
 * report beside it (OUT/<scenario>-seed<N>/report.html). A worker that dies (an
 * assertion) is a failure too: its job is saved with outcome crash and the worker is
 * replaced. The summary ends with the state-machine coverage merged over every job
 * (smcov.h; --coverage prints the table, transitions reached and never reached). The
 * last line of output is one JSON object (with "sm_coverage"). Exit: 0 no failure, 1 some
 * failure, 2 bad usage.
 */
#ifndef SIM_SWARM_H
#define SIM_SWARM_H

#include <stdio.h>

#include "runner.h"

#define SWARM_JOBS_MAX 256u      /* worker processes */
#define SWARM_SCENARIOS_MAX 256u /* scenario files of one swarm */
#define SWARM_FAILURES_MAX 100000u
#define SWARM_SEEDS_DEFAULT 100u
#define SWARM_PATH_BYTES_MAX 1024u

struct swarm_shard {
    uint64_t index; /* I */
    uint64_t count; /* N >= 1 */
};

/* "I/N" with 0 <= I < N; false otherwise. */
bool swarm_shard_parse(const char *text, struct swarm_shard *out);

/* The global job of this shard's j-th job. */
uint64_t swarm_shard_job(const struct swarm_shard *shard, uint64_t j);

/* Which scenario and seed a global job runs. */
void swarm_job_split(uint64_t job, uint32_t scenario_count, uint64_t seed_start,
                     uint32_t *scenario_out, uint64_t *seed_out);

/* args start after the word `swarm`. */
int swarm_main(int argc, char **argv, FILE *out, FILE *err);

#endif
