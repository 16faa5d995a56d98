/*
 * nodes_raft.h: the world's `controller` node type, a KRaft voter (system/raft).
 */
#ifndef SIM_NODES_RAFT_H
#define SIM_NODES_RAFT_H

#include "world.h"

extern const struct world_node_type nodes_raft_controller_type;

#endif
