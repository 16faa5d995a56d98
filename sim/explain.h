/*
 * explain.h: why a violation happened, told in Kafka's words (issue 8). From a run's
 * trace and its first violation, explain_violation prints the causal slice that led to
 * it: the nodes and partitions the violation names (a broker id in the message counts
 * as its node, learnt from the trace's broker.start lines), then, oldest first, the
 * records that touched them: elections and Raft roles, leader epochs, high-watermark
 * and log-end-offset moves, ISR changes and AlterPartition, truncations, log opens,
 * rolls, retention and cleaning, fencing and registration, the metadata records the
 * active controller applied about them, the faults that hit them, and the scenario's
 * lines naming them; then the requests the nodes involved served in the last second,
 * and last the broken invariant with what it promises. Used by `ksim replay --explain`.
 *
 * FoundationDB's and TigerBeetle's users read traces by hand for this; Jepsen's
 * anomaly explanations show the operations involved. Here the slice is chosen by
 * rules: which trace kinds matter (explain.c's table) and who they touch.
 */
#ifndef SIM_EXPLAIN_H
#define SIM_EXPLAIN_H

#include <stdio.h>

#include "tracelog.h"

#define EXPLAIN_STEPS_MAX 40u    /* steps of the story (the latest ones) */
#define EXPLAIN_SUBJECTS_MAX 16u /* nodes and partitions named */
#define EXPLAIN_WINDOW_NS (1000ull * 1000000ull) /* requests counted before the violation */

/* What a violation is about: nodes (names) and partitions ("orders-0"). */
struct explain_subjects {
    char nodes[EXPLAIN_SUBJECTS_MAX][WORLD_NODE_NAME_BYTES_MAX];
    uint32_t node_count;
    char partitions[EXPLAIN_SUBJECTS_MAX][WORLD_NODE_NAME_BYTES_MAX];
    uint32_t partition_count;
    int32_t broker_ids[EXPLAIN_SUBJECTS_MAX]; /* of the involved nodes that are brokers */
    uint32_t broker_id_count;
    /* The involved partitions as the controller's metadata records name them: a topic id
     * (learnt from TOPIC_RECORDs) and a partition id; "" when the topic is unknown. */
    char topic_ids[EXPLAIN_SUBJECTS_MAX][32];
    int32_t partition_ids[EXPLAIN_SUBJECTS_MAX];
};

/* The subjects of violation v in the run traced by log (pure; for tests). */
void explain_subjects_find(const struct tracelog *log, const struct inv_violation *v,
                           struct explain_subjects *out);

/* Whether record r belongs to the slice of subjects (pure; for tests). */
bool explain_record_relevant(const struct tracelog_record *r, const struct explain_subjects *s);

/* Print the story of result's first violation (nothing but a line when there is none). */
void explain_violation(const struct tracelog *log, const struct runner_result *result, FILE *out);

#endif
