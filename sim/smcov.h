/*
 * smcov.h: state-machine coverage. Every machine of system/ (and the world's own node
 * lifecycle and the ping fixture's connection) declares its legal transitions in a
 * struct sm_def (system/sm.h) and records each one it takes as an `sm` trace event.
 * smcov counts those events per run and, merged, per swarm, and lists the transitions
 * never reached: a green swarm then says what it exercised. The run's JSON carries the
 * table as "sm_coverage", the HTML report draws it, `ci/sm-coverage` prints it for a
 * swarm. FoundationDB's `TEST()` macros and SQLite's testcase() serve the same purpose
 * for code paths; here the unit is a transition of a declared machine.
 *
 * Machines join by being listed in smcov.c's smcov_machines table (brokers, partitions,
 * groups append theirs). Counts are flat: machine m's transition e is slot
 * smcov_base(m) + e. A struct smcov is plain data (no pointers), so a swarm worker can
 * send it through a pipe.
 */
#ifndef SIM_SMCOV_H
#define SIM_SMCOV_H

#include <stdio.h>

#include "../system/sm.h"

#define SMCOV_MACHINES_MAX 32u
#define SMCOV_SLOTS_MAX 320u /* transitions of all machines together */

struct smcov {
    uint32_t counts[SMCOV_SLOTS_MAX]; /* saturating */
    uint32_t unknown;                 /* sm events of unlisted machines or illegal moves */
    uint32_t runs;                    /* runs merged in (1 for a run) */
};

uint32_t smcov_machine_count(void);
const struct sm_def *smcov_machine(uint32_t index);
/* The first slot of machine index. */
uint32_t smcov_base(uint32_t index);
/* Transitions of every machine together. */
uint32_t smcov_slot_count(void);

void smcov_reset(struct smcov *cov);
/* Count one `sm` event's text, "MACHINE FROM->TO". False (and unknown++) when the
 * machine is not listed or the move is not in its table. */
bool smcov_record(struct smcov *cov, const char *text, size_t len);
void smcov_merge(struct smcov *into, const struct smcov *from);
/* Transitions taken at least once. */
uint32_t smcov_reached(const struct smcov *cov);
/* Machine m's reached transitions and its total. */
void smcov_machine_reached(const struct smcov *cov, uint32_t m, uint32_t *reached_out,
                           uint32_t *total_out);

/* `"sm_coverage":{...}` without a leading comma: reached, total, and per machine its
 * transitions with counts and the names of those never reached. */
void smcov_json(FILE *out, const struct smcov *cov);
/* A table for people: per machine, each transition with its count, "never" marked. */
void smcov_table(FILE *out, const struct smcov *cov);

/* How rare a run was for `ksim swarm --favour-rare`: the lowest count, in the swarm's
 * table so far, of the transitions this run reached (UINT32_MAX when it reached none). */
uint32_t smcov_rarest(const struct smcov *swarm, const struct smcov *run);

#endif
