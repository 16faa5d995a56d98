/*
 * phase.h: the two phases of every run (issue 8). A safety phase in which the
 * scenario's faults happen and the safety checks watch every event, then a liveness
 * phase: the runner stops the random fault schedules, heals every partition, restarts
 * every node that was started and is now crashed, killed or stopped, clears every disk
 * fault, and then requires each expected invariant's liveness condition (inv.h, struct
 * inv_liveness) to hold within a budget of simulated time. A condition that has not
 * held by then is a violation that names what did not recover. TigerBeetle's VOPR runs
 * the same two phases; FoundationDB's specs end with a clean phase expecting progress.
 *
 * Where the phase starts and its budget are scenario settings, the bare verb
 *
 *   liveness [from TIME] [budget DURATION]
 *
 * Without `from`, the phase starts just after the timeline's last timed line (the last
 * `at`, the last firing of an `every`, the end of a `faults` schedule). Without
 * `budget`, the budget is derived from the nodes' timeouts: the largest a liveness
 * condition asks for (inv_liveness.budget_ns), at least INV_LIVENESS_BUDGET_NS_MIN.
 * The budget ends at the run's end at the latest.
 *
 * The module also carries two liveness-only invariants, for the Kafka parts:
 *   raft_quorum_recovers  condition raft_leader: one running controller leads and every
 *                         other running controller follows it in its epoch; budget from
 *                         the controllers' timeouts, 2 x (election + fetch + election
 *                         backoff) + request timeout + 2 s;
 *   brokers_recover       condition brokers_registered: every running broker is Running,
 *                         unfenced and has applied the active controller's high
 *                         watermark; budget broker.session.timeout.ms + the Raft budget,
 *                         or 4 heartbeat intervals + 2 s, whichever is larger.
 */
#ifndef SIM_PHASE_H
#define SIM_PHASE_H

#include "scn.h"

#define PHASE_AFTER_LAST_NS (1000000ull) /* the default start: 1 ms after the last line */

/* The bare verb `liveness` and the invariants below. */
extern const struct scn_module phase_module;

extern const struct inv_def phase_inv_raft_quorum_recovers;
extern const struct inv_def phase_inv_brokers_recover;

struct phase_settings {
    bool from_set; /* from the script; else derived */
    bool budget_set;
    uint64_t from_ns;     /* when the liveness phase starts (<= run) */
    uint64_t budget_ns;   /* how long the conditions have (> 0) */
    uint64_t deadline_ns; /* min(from + budget, run) */
};

/* The settings of script (its `liveness` line, else the defaults). defs are the
 * invariants the run expects (for the budget's default). */
void phase_settings_get(const struct scn_script *script, const struct inv_def *const *defs,
                        uint32_t def_count, struct phase_settings *out);

/* The start of the liveness phase: heal, restart, clear disk faults. Traces
 * `phase.liveness` with what it did; returns true when it changed the world. */
bool phase_recover(struct world *world, const struct phase_settings *settings);

#endif
