/*
 * swarm.h: `ksim swarm`, many seeds of scenarios (or of random worlds, gen.h) over
 * worker processes. FoundationDB runs its simulation tests as thousands of seeds per
 * commit, TigerBeetle's VOPR the same; swarm testing also varies which faults are on.
 *
 *   ksim swarm [SCENARIO...] [--seeds N | --time S] [--jobs J] [--shard I/N]
 *              [--out DIR] [--bug NAME]... [--seed-start S] [--first] [--run SECONDS]
 *              [--no-reports] [--coverage] [--favour-rare]
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
 *
 * `--favour-rare` (random worlds only) steers the generator towards rarely reached
 * state-machine transitions (issue 8). Jobs go out in rounds of SWARM_FAVOUR_ROUND_JOBS;
 * a round starts once the rounds before it are in, so every job's world depends only on
 * its seed and the results of earlier rounds, never on timing or the worker count. When
 * a round closes, each of its runs gets a rarity score (every transition it reached
 * weighs more the fewer runs reached it before), and each generator knob (gen.h) gets
 * odds for the next round: its default, moved towards on when runs with the knob on
 * scored higher than runs without, towards off when lower, within 10%..90%. A replay
 * file holds the world's text, so it replays without the odds.
 */
#ifndef SIM_SWARM_H
#define SIM_SWARM_H

#include <stdio.h>

#include "gen.h"
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

/* ---- --favour-rare (pure, for tests) ---------------------------------------------------- */

#define SWARM_FAVOUR_ROUND_JOBS 32u
#define SWARM_FAVOUR_WEIGHT UINT64_C(1000000) /* a transition no run reached before */
#define SWARM_FAVOUR_SWING 400                 /* per mille a knob's odds move at most */
#define SWARM_FAVOUR_PERMILLE_MIN 100
#define SWARM_FAVOUR_PERMILLE_MAX 900

struct swarm_favour;

struct swarm_favour *swarm_favour_create(void);
void swarm_favour_free(struct swarm_favour *favour); /* NULL is fine */
/* Rounds closed so far (the open round's index) and the open round's results. */
uint32_t swarm_favour_round(const struct swarm_favour *favour);
uint32_t swarm_favour_round_count(const struct swarm_favour *favour);
/* The open round's odds, GEN_KNOB_COUNT of them. */
void swarm_favour_odds(const struct swarm_favour *favour, uint16_t *permille_out);
/* One result of the open round: the world's knobs and its transition counts. */
void swarm_favour_add(struct swarm_favour *favour, uint64_t knobs, const uint16_t *sm_counts,
                      uint32_t slots);
/* Close the open round: score its runs, set the next round's odds. */
void swarm_favour_round_end(struct swarm_favour *favour, uint32_t slots);
void swarm_favour_print(const struct swarm_favour *favour, FILE *out);
/* `"favour_rare":{...}` without a leading comma. */
void swarm_favour_json(const struct swarm_favour *favour, FILE *out);

/* args start after the word `swarm`. */
int swarm_main(int argc, char **argv, FILE *out, FILE *err);

#endif
