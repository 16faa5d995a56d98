/*
 * scn_group.h: consumer groups in scenarios: the node kind `group_consumer` (a consumer
 * in a group, system/client/cgroup.h, reading its assignment and committing) and the
 * group invariants: group_single_owner, group_offsets_monotonic,
 * group_acked_commits_survive, group_committed_consumed, group_resume_from_commit,
 * group_rebalance_completes (a liveness condition). Kafka has no such thing: the
 * harness's view of KafkaConsumer in groups and of the GroupCoordinator's tables.
 */
#ifndef SIM_SCN_GROUP_H
#define SIM_SCN_GROUP_H

#include "scn.h"
#include "world.h"

extern const struct world_node_type scn_group_consumer_type;
extern const struct scn_module scn_group_module;

#endif
