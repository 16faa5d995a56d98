/*
 * ctrl_srv.h: the controller's APIs on the controller listener's request server
 * (system/server/srv.h): BrokerRegistration, BrokerHeartbeat, CreateTopics,
 * DeleteTopics and AlterPartition (each of its partitions a ctrl_alter_partition, the
 * answer sent when the last one is in), each decoded, handed to the controller state machine
 * (ctrl.h) and answered when the controller calls back, which is after the operation's records
 * commit (or at once on an error such as NOT_CONTROLLER). Kafka: ControllerApis
 * (handleBrokerRegistration, handleBrokerHeartbeatRequest, handleCreateTopics,
 * handleDeleteTopics, handleAlterPartitionRequest), the controller's RequestChannel answering when
 * the QuorumController's future completes.
 *
 * Metadata is answered at once from the committed image (bclient_metadata, the same
 * answer a broker writes from its image), naming this node as the controller while it
 * is the active one.
 *
 * srv handles one request at a time per connection, so a broker's heartbeats and an
 * admin's requests are answered in order. A body that does not decode closes the
 * connection, as Kafka does. Requests waiting for the controller are tracked here:
 * ctrl_srv_free frees them without answering (after a crash; the server drops them).
 * Trace kind: ctrl.answer (API, version, what was answered).
 *
 * Ownership: borrows env and ctrl; owns its calls in flight.
 */
#ifndef KS_CONTROLLER_CTRL_SRV_H
#define KS_CONTROLLER_CTRL_SRV_H

#include "system/controller/ctrl.h"
#include "system/proto/api_alter_partition.h"
#include "system/server/srv.h"

/* Rows ctrl_srv_handlers_build writes. */
#define CTRL_SRV_ROWS 6u
/* Partitions one AlterPartition request may change (the controller parks at most
 * CTRL_PENDING_MAX answers); more get INVALID_REQUEST. */
#define CTRL_SRV_ALTER_PARTITIONS_MAX 1024u
/* Requests waiting for the controller at once, at most (srv holds one a connection). */
#define CTRL_SRV_CALLS_MAX 4096u

struct ctrl_srv;

/* node_id and cluster_id (may be NULL) are what Metadata names. */
struct ctrl_srv *ctrl_srv_create(struct env *env, struct ctrl *ctrl, int32_t node_id,
                                 const char *cluster_id);
/* Writes the controller's rows (CTRL_SRV_ROWS) for a server's table. */
uint32_t ctrl_srv_handlers_build(struct ctrl_srv *cs, struct srv_handler *rows, uint32_t rows_max);
/* Requests still waiting for the controller. */
uint32_t ctrl_srv_calls_waiting(const struct ctrl_srv *cs);
/* Frees memory only: the calls still waiting are dropped unanswered. Call it after the
 * controller is stopped or freed (it must never call back into a freed call). */
void ctrl_srv_free(struct ctrl_srv *cs);

#endif
