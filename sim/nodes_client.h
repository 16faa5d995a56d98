/*
 * nodes_client.h: the world node types of the clients (system/client/cnode.h): a
 * producer and a consumer with a simple workload.
 */
#ifndef SIM_NODES_CLIENT_H
#define SIM_NODES_CLIENT_H

#include "world.h"

extern const struct world_node_type nodes_client_producer_type;
extern const struct world_node_type nodes_client_consumer_type;

#endif
