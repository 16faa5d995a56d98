/*
 * nodes_broker.h: the world's `broker` node type (system/broker in KRaft mode: a Raft
 * observer of `__cluster_metadata` with a session at the controllers) and its scenario
 * module: the node kind `broker` and the broker metadata invariants
 *   broker_images_agree    (safety) two brokers' images at the same applied offset have
 *                          the same mimage_digest;
 *   broker_leader_unfenced (safety) a partition leader in a broker's image is an
 *                          unfenced broker in that partition's ISR;
 *   broker_caught_up       (liveness) by the end every running broker has applied the
 *                          controllers' high watermark and is unfenced (Running).
 * The module also carries the admin client's node kind `admin` and the verb `topic`
 * (sim/scn_admin.h: CreateTopics and DeleteTopics sent to the active controller).
 */
#ifndef SIM_NODES_BROKER_H
#define SIM_NODES_BROKER_H

#include "scn.h"
#include "world.h"

extern const struct world_node_type nodes_broker_type;

extern const struct inv_def nodes_broker_inv_images_agree;
extern const struct inv_def nodes_broker_inv_leader_unfenced;
extern const struct inv_def nodes_broker_inv_caught_up;

extern const struct scn_module nodes_broker_scn_module;

/* The running KRaft broker of node, or NULL. */
struct broker *nodes_broker_of(struct world *world, int node);

/* Controlled shutdown (BrokerLifecycleManager.beginControlledShutdown): asks the
 * controller, then stops the node once it agrees or after bound_ms. */
void nodes_broker_stop_controlled(struct world *world, int node, uint64_t bound_ms);

#endif
