/*
 * narrate.h: a run told as a story. Trace records become sentences ("t=1.204s echo1
 * crashed (power loss): 3 unsynced writes lost"); message traffic is folded into a
 * count between two sentences; violations appear where they happened. Used by
 * `ksim replay --narrate`, the lessons and the HTML report.
 *
 * Sentences come from a table of rules keyed by trace kind (narrate.c); a module that
 * traces its own kinds (a broker's "repl.truncate") adds rules there. A kind without a
 * rule is told plainly: "ping1: ping.start loaded=0".
 */
#ifndef SIM_NARRATE_H
#define SIM_NARRATE_H

#include <stdio.h>

#include "tracelog.h"

#define NARRATE_SENTENCE_BYTES_MAX 1024u

/* The sentence for one record, without the time; false for records folded as traffic
 * (net.send, net.recv) or not worth telling (node.add, net.listen). */
bool narrate_sentence(const struct tracelog_record *record, char *buf, size_t buf_bytes);

/* "t=1.204s" */
void narrate_time(uint64_t ns, char *buf, size_t buf_bytes);

/* Tell the whole log, with the result's violations in place, then how it ended. */
void narrate_log(const struct tracelog *log, const struct runner_result *result, FILE *out);

#endif
