/*
 * report_live.h: the run report's issue-8 sections (report.h): the liveness phase with
 * each condition's recovery time, the liveness figures, and the state-machine coverage
 * table with the transitions never reached.
 */
#ifndef SIM_REPORT_LIVE_H
#define SIM_REPORT_LIVE_H

#include <stdio.h>

#include "runner.h"

void report_live_phases(FILE *out, const struct runner_result *result);
void report_live_coverage(FILE *out, const struct runner_result *result);

#endif
