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
 * gen_parts table: the ping/echo fixture now; brokers, controllers and clients append
 * theirs. Each part draws its nodes and lines from its own random stream, derived from
 * the seed and the part's name, so adding a part does not reshuffle the others.
 */
#ifndef SIM_GEN_H
#define SIM_GEN_H

#include "rng.h"
#include "runner.h"

#define GEN_TEXT_BYTES_MAX (256u << 10)
#define GEN_NODES_MAX 32u
#define GEN_EXPECTS_MAX 32u
#define GEN_RUN_NS_MIN (20ull * 1000000000ull)
#define GEN_QUIET_NS (10ull * 1000000000ull) /* fault-free tail for liveness checks */

struct gen;

/* A module's share of a random world. draw adds nodes, lines and invariants. */
struct gen_part {
    const char *name;
    void (*draw)(struct gen *gen, struct rng *rng);
};

struct gen_options {
    uint64_t run_ns; /* 0: drawn from the seed, 30 s to 2 min */
};

/* The scenario text of seed's world (ks_alloc'd, NUL-terminated). */
char *gen_scenario(uint64_t seed, const struct gen_options *options);

/* ---- For parts ---------------------------------------------------------------------- */

/* Add a node line: `node NAME type=... key=value...` (the text after `node `). The
 * name is the first word; returns the node's index among the generated nodes. */
uint32_t gen_node(struct gen *gen, const char *fmt, ...) KS_PRINTF(2, 3);
/* Add a bare setup line (`latency ...`, `disk ...`). */
void gen_line(struct gen *gen, const char *fmt, ...) KS_PRINTF(2, 3);
/* Expect an invariant (once; repeats are ignored). */
void gen_expect(struct gen *gen, const char *invariant);
uint32_t gen_node_count(const struct gen *gen);
const char *gen_node_name(const struct gen *gen, uint32_t index);

#endif
