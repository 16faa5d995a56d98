/*
 * gen.h: random worlds for the swarm. From one seed the generator writes a scenario's
 * text: the world's settings, nodes with configurations within their legal ranges, a
 * workload, a random fault schedule and the invariants to expect. As in swarm testing
 * (Groce et al., "Swarm Testing", ISSTA 2012) the seed also decides which fault kinds
 * are enabled at all, so that some runs hammer one kind of fault without others
 * masking it. The output is an ordinary scenario: replay files embed it and the
 * shrinker edits it like any other.
 *
 * Node kinds come from parts (struct gen_part), one per module, listed in gen.c's
 * gen_parts table: the ping/echo fixture, a partition log node (sim/scn_log.h), a KRaft
 * controller quorum (sim/nodes_raft.h) with, as a knob, brokers, an admin node and
 * topics (sim/nodes_broker.h, sim/scn_admin.h); clients and groups append theirs. Each part
 * draws its nodes and lines from its own random stream, derived from the seed and the
 * part's name, so adding a part does not reshuffle the others. Whether a part is in a
 * world at all is itself drawn (at least one always is).
 *
 * Knobs: the generator's yes/no choices that shape a world (which parts, compaction
 * or deletion, which fault kinds) are named (enum gen_knob). Each is drawn with odds in
 * per mille, by default the knob's own; `ksim swarm --favour-rare` sets other odds to
 * steer worlds towards rarely reached state-machine transitions (swarm.c). The knobs a
 * world turned on come back as a mask, so the swarm can learn which ones pay.
 */
#ifndef SIM_GEN_H
#define SIM_GEN_H

#include "rng.h"
#include "runner.h"

#define GEN_TEXT_BYTES_MAX (256u << 10)
#define GEN_NODES_MAX 32u
#define GEN_EXPECTS_MAX 32u
#define GEN_RUN_NS_MIN (30ull * 1000000000ull)
#define GEN_QUIET_NS (20ull * 1000000000ull) /* fault-free tail for liveness checks */
#define GEN_PERMILLE 1000u

struct gen;

/* The named choices of a world. Each is drawn once per world (or not at all when its
 * part is off), always from the same place in its stream, whatever its odds. */
enum gen_knob {
    GEN_KNOB_PINGECHO,      /* the ping/echo fixture's part */
    GEN_KNOB_LOG,           /* a partition log node */
    GEN_KNOB_RAFT,          /* a controller quorum */
    GEN_KNOB_LOG_COMPACT,   /* cleanup.policy=compact rather than delete */
    GEN_KNOB_LOG_SMALL,     /* small segments and indexes: many rolls */
    GEN_KNOB_LOG_CORRUPT,   /* crash, flip a bit of the last batch, restart */
    GEN_KNOB_RAFT_FIVE,     /* five voters rather than three (or one) */
    GEN_KNOB_RAFT_FAST,     /* short Raft timeouts */
    GEN_KNOB_BROKERS,       /* KRaft brokers with topics beside the quorum */
    GEN_KNOB_NO_FAULTS,     /* no fault schedule at all */
    GEN_KNOB_FAULT_CRASH,   /* the fault kinds of the `faults` verb, in its order */
    GEN_KNOB_FAULT_KILL,
    GEN_KNOB_FAULT_STOP,
    GEN_KNOB_FAULT_RESTART,
    GEN_KNOB_FAULT_PARTITION,
    GEN_KNOB_FAULT_PARTITION_ONE_WAY,
    GEN_KNOB_FAULT_HEAL,
    GEN_KNOB_FAULT_PAUSE,
    GEN_KNOB_FAULT_CLOCK_JUMP,
    GEN_KNOB_FAULT_DISK_EIO,
    GEN_KNOB_COUNT,
};
_Static_assert(GEN_KNOB_COUNT <= 64, "knobs fit a 64-bit mask");

/* A part of a world, one per module. draw adds nodes, lines and invariants. */
struct gen_part {
    const char *name;
    enum gen_knob knob; /* whether the part is in the world */
    void (*draw)(struct gen *gen, struct rng *rng);
    const char *invariants; /* every invariant draw may expect, space-separated */
};

struct gen_options {
    uint64_t run_ns; /* 0: drawn from the seed, 30 s to 2 min */
    /* Odds of each knob in per mille; 0 keeps the knob's default. */
    uint16_t knob_permille[GEN_KNOB_COUNT];
};

/* The scenario text of seed's world (ks_alloc'd, NUL-terminated). */
char *gen_scenario(uint64_t seed, const struct gen_options *options);
/* The same, also giving the knobs that were on (bit k: knob k). knobs_out may be NULL. */
char *gen_scenario_knobs(uint64_t seed, const struct gen_options *options, uint64_t *knobs_out);

/* The knob's name ("log_compact") and its default odds in per mille. */
const char *gen_knob_name(enum gen_knob knob);
uint16_t gen_knob_default_permille(enum gen_knob knob);

/* Every invariant some generated world may expect, space-separated ("a b c"), for
 * ci/mutation: a switch whose invariant is not among them is pending. */
void gen_invariants_print(FILE *out);

/* ---- For parts ---------------------------------------------------------------------- */

/* Add a node line: `node NAME type=... key=value...` (the text after `node `). The
 * name is the first word; returns the node's index among the generated nodes. */
uint32_t gen_node(struct gen *gen, const char *fmt, ...) KS_PRINTF(2, 3);
/* Add a bare or `every` line (`latency ...`, `append ...`, `every 5s flush log1`). Never
 * an `at` line: those must come in time order over the whole script. */
void gen_line(struct gen *gen, const char *fmt, ...) KS_PRINTF(2, 3);
/* Add `at TIME ...`: times must not go back over the whole world (asserted), so only
 * one part, the broker part, writes them. */
void gen_at(struct gen *gen, uint64_t at_ms, const char *fmt, ...) KS_PRINTF(3, 4);
/* The node at index never gets disk EIO from the fault schedule (a part whose node
 * treats EIO as fatal, as a KRaft voter does). */
void gen_node_spare_disk_eio(struct gen *gen, uint32_t index);
/* The node at index is in no random fault schedule (its part scripts its own faults). */
void gen_node_spare_faults(struct gen *gen, uint32_t index);
/* Expect an invariant (once; repeats are ignored). */
void gen_expect(struct gen *gen, const char *invariant);
/* Draw a knob from rng with its odds; records it in the world's mask when on. */
bool gen_knob(struct gen *gen, struct rng *rng, enum gen_knob knob);
uint32_t gen_node_count(const struct gen *gen);
const char *gen_node_name(const struct gen *gen, uint32_t index);
/* The run's length and the end of the fault schedule (faults and scripted `every`
 * lines stop by then, leaving GEN_QUIET_NS for the liveness phase). */
uint64_t gen_run_ns(const struct gen *gen);
uint64_t gen_faults_until_ns(const struct gen *gen);

#endif
