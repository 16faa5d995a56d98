/*
 * nodes_raft.c: the adapter that makes system/raft's controller node a world node
 * type. system/ never includes sim/: the functions come from system/raft/raft_node.h.
 */
#include "nodes_raft.h"

#include "../system/raft/raft_node.h"

const struct world_node_type nodes_raft_controller_type = {
    .name = "controller",
    .start = raft_node_start,
    .stop = raft_node_stop,
    .destroy = raft_node_destroy,
    .describe = raft_node_describe,
};
