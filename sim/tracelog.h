/*
 * tracelog.h: a run's trace, captured in memory and read back record by record. The
 * world writes each trace record as a line `MS.NNNNNN NODE KIND TEXT` (world.c); replay
 * narrations, reports and the shrinker read those lines instead of hooking into the
 * world, so anything a module traces shows up in them without extra plumbing.
 *
 * Ownership: a tracelog owns its text; records point into it.
 */
#ifndef SIM_TRACELOG_H
#define SIM_TRACELOG_H

#include "runner.h"

#define TRACELOG_LINES_MAX (64u << 20) /* records of one captured run */
#define TRACELOG_KIND_BYTES_MAX 64u
#define TRACELOG_NODE_WORLD "world" /* the node name of world-level records */

/* One record. text and its length point into the line (not NUL-terminated there). */
struct tracelog_record {
    uint64_t time_ns;
    char node[WORLD_NODE_NAME_BYTES_MAX];
    char kind[TRACELOG_KIND_BYTES_MAX];
    const char *text;
    uint32_t text_len;
};

/* Parse one line (without its newline, len bytes). False when it is not a record. */
bool tracelog_parse_line(const char *line, size_t len, struct tracelog_record *out);

struct tracelog;

/* Run script once under options with the trace captured (options->inspect etc. are
 * honoured). Returns KS_OK and *log_out, or the runner's setup error. */
KS_MUST_CHECK enum ks_err tracelog_capture(const struct scn_script *script,
                                           const struct runner_options *options,
                                           struct runner_result *result, struct tracelog **log_out);
/* A log over text (copied), for tests and files. */
struct tracelog *tracelog_from_text(const char *text, size_t len);
void tracelog_free(struct tracelog *log);

uint32_t tracelog_count(const struct tracelog *log);
/* Record i (< count); false when that line is not a well-formed record. */
bool tracelog_get(const struct tracelog *log, uint32_t i, struct tracelog_record *out);
/* The raw text. */
const char *tracelog_text(const struct tracelog *log, size_t *len_out);

/* Copies the text, NUL-terminated, into buf. */
void tracelog_text_copy(const struct tracelog_record *r, char *buf, size_t buf_bytes);

#endif
