/*
 * ctrl_err.h: the Kafka error codes the controller answers with that system/ks.h does
 * not list (yet). Values are Kafka's (org.apache.kafka.common.protocol.Errors), so
 * they go on the wire unchanged; they share enum ks_err's number space.
 */
#ifndef KS_CONTROLLER_CTRL_ERR_H
#define KS_CONTROLLER_CTRL_ERR_H

#include "system/ks.h"

#define CTRL_ERR_TOPIC_ALREADY_EXISTS ((enum ks_err)36)
#define CTRL_ERR_INVALID_PARTITIONS ((enum ks_err)37)
#define CTRL_ERR_INVALID_REPLICATION_FACTOR ((enum ks_err)38)
#define CTRL_ERR_INVALID_REPLICA_ASSIGNMENT ((enum ks_err)39)
#define CTRL_ERR_INVALID_CONFIG ((enum ks_err)40)
#define CTRL_ERR_NOT_CONTROLLER ((enum ks_err)41)
#define CTRL_ERR_STALE_BROKER_EPOCH ((enum ks_err)77)
#define CTRL_ERR_INVALID_UPDATE_VERSION ((enum ks_err)95)
#define CTRL_ERR_UNKNOWN_TOPIC_ID ((enum ks_err)100)
#define CTRL_ERR_DUPLICATE_BROKER_REGISTRATION ((enum ks_err)101)
#define CTRL_ERR_BROKER_ID_NOT_REGISTERED ((enum ks_err)102)
#define CTRL_ERR_INCONSISTENT_CLUSTER_ID ((enum ks_err)104)
#define CTRL_ERR_INELIGIBLE_REPLICA ((enum ks_err)107)
#define CTRL_ERR_NEW_LEADER_ELECTED ((enum ks_err)108)

/* Kafka's name of any error the controller returns ("TOPIC_ALREADY_EXISTS"). */
const char *ctrl_err_name(int err);

#endif
