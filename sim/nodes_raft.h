/*
 * nodes_raft.h: the world's `controller` node type, a KRaft voter (system/raft), and
 * its scenario module: the node kind `controller` and the Raft invariants
 *   raft_one_leader_per_epoch  (safety) no two controllers ever lead the same epoch;
 *   raft_committed_never_lost  (safety) a batch below a controller's high watermark
 *                              never changes, and a new leader holds every committed one;
 *   raft_leader_elected        (liveness) after the faults, one running controller leads
 *                              and every other running one follows it.
 */
#ifndef SIM_NODES_RAFT_H
#define SIM_NODES_RAFT_H

#include "scn.h"
#include "world.h"

extern const struct world_node_type nodes_raft_controller_type;

extern const struct inv_def nodes_raft_inv_one_leader_per_epoch;
extern const struct inv_def nodes_raft_inv_committed_never_lost;
extern const struct inv_def nodes_raft_inv_leader_elected;

/* For the program's language (sim/runner.c lists the modules it assembles). */
extern const struct scn_module nodes_raft_scn_module;

#endif
