/*
 * report.h: a run's self-contained HTML report (`ksim run --report DIR`, `ksim replay
 * --report DIR`, and the swarm for each failure). One file, no network: inline CSS and
 * SVG drawn here. It shows the run's facts and the command that replays it, each
 * expected invariant with its description and result, a timeline of node states and
 * faults per node, a message sequence chart of the last messages before the violation
 * (or the end), the narration around it, and the scenario text.
 */
#ifndef SIM_REPORT_H
#define SIM_REPORT_H

#include "tracelog.h"

#define REPORT_MSC_ROWS_MAX 60u        /* rows of the message sequence chart */
#define REPORT_NARRATION_LINES_MAX 80u /* sentences before the violation */
#define REPORT_MARKS_MAX 4096u         /* fault marks on the timeline */
#define REPORT_CONNS_MAX 65536u        /* connections tracked for the chart */

struct report_input {
    const char *name;          /* the scenario's name (a path, or "generated") */
    const char *scenario_text; /* may be NULL */
    const struct scn_script *script;
    const struct runner_options *options;
    const struct runner_result *result;
    const struct tracelog *log;
    const char *replay_command; /* shown as the way back to this run */
};

/* Write the report to path. */
KS_MUST_CHECK enum ks_err report_write(const char *path, const struct report_input *in);

/* Run script again with the trace captured and write DIR/report.html (creating DIR).
 * path_out (may be NULL) gets the file's path. */
KS_MUST_CHECK enum ks_err report_run(const char *dir, const char *name, const char *scenario_text,
                                     const struct scn_script *script,
                                     const struct runner_options *options,
                                     const char *replay_command, char *path_out, size_t path_bytes);

#endif
