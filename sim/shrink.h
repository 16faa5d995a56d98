/*
 * shrink.h: `ksim shrink FILE`: a failing run made small. From a replay file it
 * searches for a smaller scenario that still breaks the same invariant with the same
 * seed and bug switches: a random fault schedule expanded into explicit `at` lines
 * (from the concrete verbs the schedule traced), then fewer lines (delta debugging:
 * chunks, then single lines), fewer nodes, a shorter run, lighter load (intervals
 * doubled, rates halved) and rounder times. The result is written as a readable `.scn`
 * and saved as a replay file beside it. QuickCheck's shrinking, Zeller's ddmin and
 * Hypothesis's test-case reduction work the same way: propose, re-run, keep what
 * still fails.
 *
 * The model (struct shrink_script) is a scenario as editable lines; every candidate is
 * formatted, parsed again by the real parser and run, so a step can never produce a
 * scenario that does not parse.
 */
#ifndef SIM_SHRINK_H
#define SIM_SHRINK_H

#include <stdio.h>

#include "tracelog.h"

#define SHRINK_ACTIONS_MAX 8192u
#define SHRINK_PROPS_MAX 64u
#define SHRINK_KEY_BYTES_MAX 128u
#define SHRINK_VALUE_BYTES_MAX 256u
#define SHRINK_WORLD_BYTES_MAX 512u
#define SHRINK_RUNS_DEFAULT 400u /* candidate runs of one shrink */
#define SHRINK_PASSES_MAX 4u

struct shrink_prop {
    char key[SHRINK_KEY_BYTES_MAX];
    char value[SHRINK_VALUE_BYTES_MAX];
};

struct shrink_node {
    char name[WORLD_NODE_NAME_BYTES_MAX];
    char kind[WORLD_NODE_NAME_BYTES_MAX];
    bool start_never;
    uint64_t start_ns;
    struct shrink_prop props[SHRINK_PROPS_MAX];
    uint32_t prop_count;
};

struct shrink_action {
    enum scn_when when;
    uint64_t at_ns; /* at: the time; every: from */
    uint64_t every_ns;
    uint64_t until_ns;
    bool until_set;
    uint32_t line; /* in the original script (0: made by the shrinker) */
    char *text;    /* owned: the verb and its words */
};

struct shrink_script {
    char world[SHRINK_WORLD_BYTES_MAX]; /* the world line's words after `world` */
    struct shrink_node *nodes;
    uint32_t node_count;
    struct shrink_action *actions;
    uint32_t action_count;
    uint64_t run_ns;
    char expects[SCN_EXPECTS_MAX][INV_NAME_BYTES_MAX];
    uint32_t expect_count;
};

/* The model of a parsed script; seed goes into the world line. */
struct shrink_script *shrink_from_script(const struct scn_script *script, uint64_t seed);
struct shrink_script *shrink_copy(const struct shrink_script *m);
void shrink_free(struct shrink_script *m);
/* The scenario text (ks_alloc'd); comment (may be NULL) becomes the first lines. */
char *shrink_format(const struct shrink_script *m, const char *comment);

/* ---- Steps: each edits m in place; false when it did not apply -------------------------- */

/* Replace every `faults` line by the `at` lines of what it did in log. */
bool shrink_expand_faults(struct shrink_script *m, const struct tracelog *log);
/* Remove count actions from first. */
bool shrink_drop_actions(struct shrink_script *m, uint32_t first, uint32_t count);
/* Remove node index, the lines naming it and the nodes whose properties name it. */
bool shrink_drop_node(struct shrink_script *m, uint32_t index);
/* End the run at run_ns; drop what lies beyond. */
bool shrink_set_run(struct shrink_script *m, uint64_t run_ns);
/* Make node index's load lighter (its known interval and rate properties). */
bool shrink_lighten(struct shrink_script *m, uint32_t index);
/* Round every `at` time down to a multiple of unit_ns (order kept). */
bool shrink_round_times(struct shrink_script *m, uint64_t unit_ns);
/* Expect only this invariant. */
bool shrink_expect_only(struct shrink_script *m, const char *invariant);

/* `ksim shrink FILE [--out PATH] [--runs N]`; args start after the word `shrink`. */
int shrink_main(int argc, char **argv, FILE *out, FILE *err);

#endif
