/*
 * inv.h: invariant checkers. An invariant is a named property of a run; a scenario
 * lists the ones it expects (`expect ping_in_order ping_progress`). Each has up to two
 * checks: a safety check run after every event the world runs (through
 * world_observer_add), and a liveness check run once at the end of the run, after the
 * faults have stopped (the system made progress within a bound). Kafka's system tests
 * and RaftEventSimulationTest register invariants the same way; FoundationDB's
 * workloads have the same check phase.
 *
 * A check that finds the property broken records a violation (invariant, simulated
 * time, node, message). An invariant table entry (struct inv_def) is static const;
 * modules export them, and the program assembles the tables it wants (see
 * scn_module in scn.h). There is no registration at run time.
 *
 * This file also holds the ping/echo fixture's invariants (ping_in_order,
 * ping_durable_counter, ping_progress), the harness's own first users.
 */
#ifndef SIM_INV_H
#define SIM_INV_H

#include "../system/ks.h"

struct world;
struct world_node_type;
struct props;

#define INV_VIOLATIONS_MAX 64u /* kept per run; the run stops when this many are found */
#define INV_CHECKERS_MAX 64u   /* invariants expected by one run */
#define INV_NAME_BYTES_MAX 64u
#define INV_NODE_BYTES_MAX 64u
#define INV_MESSAGE_BYTES_MAX 256u
#define INV_QUIET_NS_MIN (5000ull * 1000000ull) /* liveness needs this much quiet time */

struct inv_violation {
    char invariant[INV_NAME_BYTES_MAX];
    uint64_t time_ns;              /* simulated time of the finding */
    char node[INV_NODE_BYTES_MAX]; /* "" when the finding is not about one node */
    char message[INV_MESSAGE_BYTES_MAX];
};

/* What a check sees: the world and the set it reports into. */
struct inv_check;

/* A liveness condition (issue 8): what must become true again in the liveness phase,
 * after the runner stopped the faults, healed the network, restarted crashed nodes and
 * cleared disk faults (sim/phase.h). It is polled after every event from the start of
 * the phase; the time it first holds is the recovery time (a liveness figure); when it
 * has not held by the end of the budget, a violation of its invariant names it and
 * says why. Raft (a leader elected), the broker (every partition readable, the ISR
 * full, acknowledged records consumed) and groups (stable, every partition owned) add
 * theirs the same way. */
struct inv_liveness {
    const char *name;    /* "ping_round_trips" */
    const char *summary; /* one line */
    /* Whether the condition holds now (state is the invariant's). When not, why says
     * what has not recovered, naming the node. */
    bool (*met)(void *state, struct inv_check *check, char *why, size_t why_bytes);
    /* The budget a node of this type needs to recover under config (0: none), derived
     * from its timeouts; the runner's default budget is the largest. May be NULL. */
    uint64_t (*budget_ns)(const struct world_node_type *type, const struct props *config);
};

#define INV_LIVENESS_BUDGET_NS_MIN (5000ull * 1000000ull) /* the default budget's floor */
#define INV_WHY_BYTES_MAX 192u

/* One condition's outcome, for the run's JSON and report. */
struct inv_liveness_result {
    char name[INV_NAME_BYTES_MAX];
    bool met;
    uint64_t recovered_ns; /* from the start of the phase to the first time it held */
};

/* One invariant. Every function may be NULL except name and summary. */
struct inv_def {
    const char *name;    /* what `expect` takes */
    const char *summary; /* one line for `ksim invariants` and the README */
    /* Per-run checker state (NULL allowed when the checks need none). */
    void *(*create)(struct world *world);
    void (*destroy)(void *state);
    /* Safety: after every event. Must be cheap: a few loads per node. */
    void (*check_event)(void *state, struct inv_check *check);
    /* Liveness: once, at the end of the run. */
    void (*check_end)(void *state, struct inv_check *check);
    /* Liveness condition of the liveness phase (may be NULL). */
    const struct inv_liveness *liveness;
};

/* The checkers of one run. */
struct inv_set;

/* Called for every violation as it is recorded (to print it at once). */
typedef void (*inv_violation_fn)(void *ctx, const struct inv_violation *violation);

/* Create checkers for defs (borrowed; they must outlive the set) and hook them into
 * the world as an observer. The world must be destroyed before the set (the world
 * keeps the observer). on_violation may be NULL. */
struct inv_set *inv_set_create(struct world *world, const struct inv_def *const *defs,
                               uint32_t def_count, inv_violation_fn on_violation, void *ctx);
void inv_set_destroy(struct inv_set *set);

/* Tell the checkers that the world was disturbed now (a fault, a heal, a restart):
 * liveness windows start after the last disturbance. */
void inv_set_disturbed(struct inv_set *set);
/* Run the liveness checks (once, at the end). */
void inv_set_finish(struct inv_set *set);

/* The liveness phase began now: poll the liveness conditions after every event. */
void inv_set_liveness_begin(struct inv_set *set, uint64_t budget_ns);
/* The budget is over (or the run ends): every condition that has not held is a
 * violation of its invariant. Once; nothing when the phase never began. */
void inv_set_liveness_deadline(struct inv_set *set);
/* The conditions' outcomes so far (at most INV_CHECKERS_MAX). */
uint32_t inv_set_liveness_results(const struct inv_set *set, struct inv_liveness_result *out);

const struct inv_violation *inv_set_violations(const struct inv_set *set, uint32_t *count_out);
/* Violations found but not kept (beyond INV_VIOLATIONS_MAX). */
uint32_t inv_set_violations_dropped(const struct inv_set *set);

/* ---- For checks ------------------------------------------------------------------ */

struct world *inv_check_world(const struct inv_check *check);
/* Simulated time of the last disturbance (0 when none yet). */
uint64_t inv_check_disturbed_ns(const struct inv_check *check);
/* Record a violation of the running check's invariant about node (-1: none). */
void inv_check_report(struct inv_check *check, int node, const char *fmt, ...) KS_PRINTF(3, 4);

/* ---- The ping/echo fixture's invariants ------------------------------------------- */

/* No ping node ever saw an echo out of order. */
extern const struct inv_def inv_ping_in_order;
/* A ping node never loads a count lower than one it reported synced. */
extern const struct inv_def inv_ping_durable_counter;
/* Every running ping node made round trips after the last disturbance; its liveness
 * condition ping_round_trips: every ping node runs and made a round trip in the phase. */
extern const struct inv_def inv_ping_progress;

/* The world's own condition, added to every run by the runner (not in the language):
 * nodes_running: every node that was ever started runs again. */
extern const struct inv_def inv_world_nodes_running;

#endif
