/*
 * sm.h: state-machine declarations. A machine of system/ (Raft's roles, a segment's
 * lifecycle, the cleaner, later the replica, partition, broker and group states)
 * declares its states and its legal transitions in one static const table, a struct
 * sm_def. Its one _set_state function calls sm_transition, which asserts that the
 * move is legal and records it in the run's trace as an `sm` event
 * `MACHINE FROM->TO` (env_tracef). The simulator counts those events per run and per
 * swarm (sim/smcov.h): which transitions were taken how often, which never. Kafka's
 * own machines keep such tables too (QuorumState, ReplicaStateMachine's validPrevious
 * States, GroupState's validPreviousStates); TigerBeetle asserts each transition.
 *
 * Table form: next_mask[from] has bit `to` set when from -> to is legal. A
 * self-transition (bit from in next_mask[from]) is a legal re-entry (a new epoch in
 * the same role). Names are single words without spaces or "->".
 *
 * Allocates nothing; the tables are static const and live as long as the program.
 */
#ifndef KS_SM_H
#define KS_SM_H

#include "env.h"

#define SM_STATES_MAX 32u
#define SM_NAME_BYTES_MAX 32u
#define SM_EDGES_MAX (SM_STATES_MAX * SM_STATES_MAX)
#define SM_TRACE_KIND "sm"
#define SM_BIT(s) (1u << (s))

struct sm_def {
    const char *name;               /* "raft", "segment", "cleaner" */
    const char *const *state_names; /* state_count names, index = the machine's enum */
    uint32_t state_count;
    const uint32_t *next_mask; /* state_count rows: bit `to` set when from -> to is legal */
};

/* Whether from -> to is legal (false when either is out of range). */
bool sm_legal(const struct sm_def *def, uint32_t from, uint32_t to);
/* Number of legal transitions. */
uint32_t sm_edge_count(const struct sm_def *def);
/* The index of from -> to among the legal transitions (ordered by from, then to), or -1
 * when it is not legal. */
int32_t sm_edge_index(const struct sm_def *def, uint32_t from, uint32_t to);
/* The transition with that index (< sm_edge_count). */
void sm_edge_at(const struct sm_def *def, uint32_t index, uint32_t *from_out, uint32_t *to_out);
/* The state named name, or -1. */
int32_t sm_state_find(const struct sm_def *def, const char *name, size_t name_len);

/* Check a table: a name, 1..SM_STATES_MAX states with distinct single-word names, no
 * bit beyond state_count. On error writes why. */
KS_MUST_CHECK enum ks_err sm_def_check(const struct sm_def *def, char *why, size_t why_bytes);

/* The trace text of from -> to: "raft Candidate->Leader". */
void sm_format(const struct sm_def *def, uint32_t from, uint32_t to, char *buf, size_t buf_bytes);

/* Assert that from -> to is legal and record it as an `sm` trace event. */
void sm_transition(struct env *env, const struct sm_def *def, uint32_t from, uint32_t to);

/* ---- The machines of system/ (each defined beside its code) -------------------------- */

extern const struct sm_def raft_sm;    /* system/raft/raft.c: a voter's role (QuorumState) */
extern const struct sm_def seg_sm;     /* system/log/seg.c: a segment's lifecycle */
extern const struct sm_def cleaner_sm; /* system/log/cleaner.c: one cleaning pass */

#endif
