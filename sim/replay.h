/*
 * replay.h: replay files and `ksim replay`. A replay file is a failure made
 * self-contained: the scenario's text (a file or a generated world), the seed, the bug
 * switches, what the run gave (outcome, trace hash, events) and its first violation.
 * `ksim replay FILE` runs it again and confirms the trace hash; `--until T` stops at a
 * simulated time and prints the cluster's state; `--narrate` tells the run as a story.
 * TigerBeetle's VOPR and FoundationDB print a seed the same way; here the seed comes
 * with everything else it needs, so it survives edits to the scenario file.
 *
 * The format is text, one `key value` a line, then `---` and the scenario verbatim:
 *
 *   # ksim replay file: ksim replay THIS_FILE
 *   ksim-replay 1
 *   name scenarios/world_random_faults.scn
 *   seed 42
 *   bug fixture_echo_reorder              (one line per switch)
 *   outcome violation                     (pass, violation or crash)
 *   trace-hash 302df2e56076d7ab           (none for a crash)
 *   events 45727
 *   sim-ns 60000000000
 *   invariant ping_in_order               (the first violation, when there is one)
 *   violation-ns 12345678901
 *   node ping1
 *   message echo 17 came back before 16
 *   scenario-bytes 812
 *   ---
 *   <812 bytes of scenario text>
 *
 * A `.scn` file given to `ksim replay` runs as a scenario with its own seed and nothing
 * to compare (to narrate or step through a lesson).
 *
 * `ksim replay` exit codes: 0 the run held every invariant and the hash matched; 1 an
 * invariant was violated and the hash matched (the failure reproduced); 2 bad input or
 * usage; 3 the trace hash differed (another binary, or a determinism bug).
 */
#ifndef SIM_REPLAY_H
#define SIM_REPLAY_H

#include <stdio.h>

#include "runner.h"

#define REPLAY_VERSION 1u
#define REPLAY_HEADER_LINES_MAX 256u
#define REPLAY_NAME_BYTES_MAX 512u
#define REPLAY_BUG_NAME_BYTES_MAX 64u
#define REPLAY_ERROR_BYTES_MAX 256u
#define REPLAY_EXIT_MISMATCH 3

enum replay_outcome {
    REPLAY_OUTCOME_PASS,
    REPLAY_OUTCOME_VIOLATION,
    REPLAY_OUTCOME_CRASH, /* the run aborted (an assertion): no hash */
};
const char *replay_outcome_name(enum replay_outcome outcome);

struct replay_file {
    char name[REPLAY_NAME_BYTES_MAX];
    uint64_t seed;
    char bugs[RUNNER_BUGS_MAX][REPLAY_BUG_NAME_BYTES_MAX];
    uint32_t bug_count;
    enum replay_outcome outcome;
    bool hash_known;
    uint64_t trace_hash;
    uint64_t events;
    uint64_t sim_ns;
    struct inv_violation violation; /* invariant "" when none */
    char *scenario;                 /* owned, NUL-terminated */
    size_t scenario_bytes;
};

/* Fill a replay file from a run's result (scenario copied). */
void replay_file_from_result(struct replay_file *file, const char *name, const char *scenario,
                             const struct runner_options *options,
                             const struct runner_result *result);
/* Write the file's text to out. */
KS_MUST_CHECK enum ks_err replay_format(const struct replay_file *file, FILE *out);
/* Write to path. */
KS_MUST_CHECK enum ks_err replay_save(const struct replay_file *file, const char *path);
/* Parse text; on error, error says which line and what (the file is left empty). */
KS_MUST_CHECK enum ks_err replay_parse(const char *text, size_t len, struct replay_file *out,
                                       char *error, size_t error_bytes);
/* Read and parse a file. */
KS_MUST_CHECK enum ks_err replay_load(const char *path, struct replay_file *out, char *error,
                                      size_t error_bytes);
void replay_file_free(struct replay_file *file);

/* Turn the file's bug names into options->bugs; false on a name ksim does not know. */
bool replay_options_bugs(const struct replay_file *file, struct runner_options *options);

/* Read a whole file into memory (NUL-terminated, at most max_bytes). */
KS_MUST_CHECK enum ks_err replay_read_all(const char *path, size_t max_bytes, char **text_out,
                                          size_t *len_out);

/* `ksim replay FILE [--until TIME] [--narrate] [--trace PATH] [--report DIR]`; args
 * start after the word `replay`. */
int replay_main(int argc, char **argv, FILE *out, FILE *err);

#endif
