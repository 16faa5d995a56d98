/*
 * nodes_client.c: world node types over system/client/cnode.h.
 */
#include "nodes_client.h"

#include "../system/client/cnode.h"

const struct world_node_type nodes_client_producer_type = {
    "producer", cnode_producer_start, cnode_stop, cnode_destroy, cnode_describe};
const struct world_node_type nodes_client_consumer_type = {
    "consumer", cnode_consumer_start, cnode_stop, cnode_destroy, cnode_describe};
