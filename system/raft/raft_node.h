/*
 * raft_node.h: the `controller` node: a KRaft voter (raft.h) started from Kafka
 * properties (raft_config.h), with a test workload that makes the leader append a
 * record every `raft.test.append.interval.ms` so that replication is exercised, and a
 * test state machine (a count and a hash of the committed records) that snapshots
 * carry.
 * Kafka: KafkaRaftManager, the controller process (KafkaRaftServer with
 * process.roles=controller). Without the test workload the voter feeds the controller
 * state machine (system/controller/ctrl_raft.h): QuorumController on KRaft.
 *
 * The four functions have the shapes of struct world_node_type's (sim/world.h);
 * sim/nodes_raft.c builds the node type from them, so that system/ stays free of sim/.
 */
#ifndef KS_RAFT_NODE_H
#define KS_RAFT_NODE_H

#include "system/env.h"
#include "system/props.h"
#include "system/raft/raft.h"

struct ctrl;

/* Starts (or restarts from disk); NULL on a configuration or disk error. */
void *raft_node_start(struct env *env, const struct props *config);
/* Clean shutdown (a leader resigns with EndQuorumEpoch). */
void raft_node_stop(void *node);
/* Frees memory without calling env. */
void raft_node_destroy(void *node);
void raft_node_describe(void *node, char *buf, size_t buf_bytes);

/* The test state machine's image: committed data records applied so far and an FNV-1a
 * hash over their values in order (a snapshot stores both). */
struct raft_node_image {
    uint64_t record_count;
    uint64_t hash;
};
void raft_node_image_get(void *node, struct raft_node_image *out);

/* The voter inside a running node (for tests and checkers). */
struct raft *raft_node_raft(void *node);
/* The controller state machine (ctrl.h) the voter feeds, or NULL in test mode
 * (raft.test.append.interval.ms > 0 runs the test state machine instead). */
struct ctrl *raft_node_ctrl(void *node);

#endif
