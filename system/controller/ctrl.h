/*
 * ctrl.h: the KRaft controller state machine (KIP-631). Kafka: QuorumController,
 * ClusterControlManager (registration, fencing), BrokerHeartbeatManager (sessions),
 * ReplicationControlManager (topics, partitions, AlterPartition),
 * ConfigurationControlManager (topic configs at creation).
 *
 * The seam with Raft is struct ctrl_log: the active controller hands the records of
 * one operation to log->append (one atomic batch) and applies them at once to its
 * working image, so the next decision sees them; the caller's callback runs when the
 * log reports them committed (ctrl_commit). Every node applies committed records to
 * its committed image in offset order. A controller is active between
 * ctrl_become_leader (call it once every record below the new epoch's start has been
 * handed to ctrl_commit, as KafkaRaftClient fires handleLeaderChange) and
 * ctrl_renounce (or an append answering NOT_CONTROLLER): then pending callbacks get
 * NOT_CONTROLLER and the working image goes back to the committed one.
 *
 * Decisions (placement, elections, ISR changes) are pchange.h and placement.h, pure
 * over the image. Sessions: a broker is fenced after broker.session.timeout.ms
 * without a heartbeat, checked by a timer every CTRL_SESSION_CHECK_INTERVAL_MS while
 * active. Callbacks may run inside the request call (when nothing needs committing, or
 * on an error); requests are borrowed for the call only.
 */
#ifndef KS_CONTROLLER_CTRL_H
#define KS_CONTROLLER_CTRL_H

#include "system/controller/mimage.h"
#include "system/controller/pchange.h"
#include "system/env.h"
#include "system/props.h"
#include "system/proto/api_broker_heartbeat.h"
#include "system/proto/api_broker_registration.h"
#include "system/proto/api_create_topics.h"
#include "system/proto/api_delete_topics.h"

#define CTRL_SESSION_TIMEOUT_MS_DEFAULT 9000
#define CTRL_HEARTBEAT_INTERVAL_MS_DEFAULT 2000 /* the broker side's, for reference */
#define CTRL_SESSION_CHECK_INTERVAL_MS 250u
/* Operations waiting for their records to commit. */
#define CTRL_PENDING_MAX 4096u
/* Records one operation may write (Kafka's MAX_RECORDS_PER_USER_OP). */
#define CTRL_RECORDS_PER_OP_MAX 10000u
/* Kafka's longest topic name. */
#define CTRL_TOPIC_NAME_LENGTH_MAX 249
#define CTRL_CLUSTER_ID_BYTES_MAX 64u

struct ctrl_config {
    int32_t node_id;
    char cluster_id[CTRL_CLUSTER_ID_BYTES_MAX]; /* empty: any cluster id is accepted */
    int64_t session_timeout_ms;                 /* broker.session.timeout.ms */
    int32_t default_partitions;                 /* num.partitions */
    int16_t default_replication_factor;         /* default.replication.factor */
    bool unclean_leader_election;               /* unclean.leader.election.enable */
};

/* Kafka's property names and defaults; KS_ERR_INVALID for bad values. */
KS_MUST_CHECK enum ks_err ctrl_config_from_props(const struct props *props,
                                                 struct ctrl_config *out);

/* One encoded record value. */
struct ctrl_value {
    const uint8_t *bytes;
    uint32_t size_bytes;
};

/* The log the controller writes to (Raft, or a fake in tests). */
struct ctrl_log {
    void *ctx;
    /* The offset the next appended record will get. */
    int64_t (*next_offset)(void *ctx);
    /* Appends the values as consecutive offsets in one batch; KS_OK with the last
     * offset, or KS_ERR_NOT_CONTROLLER (this node does not lead), or a disk error. */
    enum ks_err (*append)(void *ctx, const struct ctrl_value *values, uint32_t count,
                          int64_t *last_offset_out);
};

struct ctrl;

/* Borrows env and log for the controller's life; copies config. */
struct ctrl *ctrl_create(struct env *env, const struct ctrl_config *config,
                         const struct ctrl_log *log);
/* Cancels the timer (through env) and fails pending callbacks with NOT_CONTROLLER. */
void ctrl_stop(struct ctrl *ctrl);
/* Frees memory only, without calling env or callbacks (after stop, or at a crash). */
void ctrl_free(struct ctrl *ctrl);

/* ---- the Raft side ---- */

/* One committed record, in offset order. A value that does not decode or apply is
 * reported and skipped. */
KS_MUST_CHECK enum ks_err ctrl_commit(struct ctrl *ctrl, int64_t offset, const uint8_t *value,
                                      uint32_t size_bytes);
/* Committed RecordBatch v2 batches (control batches skipped), e.g. from raft_log_read. */
KS_MUST_CHECK enum ks_err ctrl_commit_batches(struct ctrl *ctrl, const uint8_t *bytes,
                                              uint32_t size_bytes);
/* A snapshot replaces the committed image (only while inactive). Copies img. */
void ctrl_load_image(struct ctrl *ctrl, const struct mimage *img);
void ctrl_become_leader(struct ctrl *ctrl, int32_t epoch);
void ctrl_renounce(struct ctrl *ctrl);
bool ctrl_is_active(const struct ctrl *ctrl);
const struct mimage *ctrl_committed_image(const struct ctrl *ctrl);
/* The image decisions are made on: committed plus this leader's own appends (the
 * committed image when not active). */
const struct mimage *ctrl_working_image(const struct ctrl *ctrl);

/* ---- requests ---- */

typedef void (*ctrl_registration_done_fn)(void *ctx,
                                          const struct api_broker_registration_response *r);
typedef void (*ctrl_heartbeat_done_fn)(void *ctx, const struct api_broker_heartbeat_response *r);
typedef void (*ctrl_create_topics_done_fn)(void *ctx, const struct api_create_topics_response *r);
typedef void (*ctrl_delete_topics_done_fn)(void *ctx, const struct api_delete_topics_response *r);

/* The answer to AlterPartition for one partition (Kafka's PartitionData). */
struct ctrl_alter_partition_result {
    int16_t error_code;
    int32_t leader_id;
    int32_t leader_epoch;
    uint32_t isr_count;
    int32_t isr[MREC_REPLICAS_MAX];
    int32_t partition_epoch;
};
typedef void (*ctrl_alter_partition_done_fn)(void *ctx,
                                             const struct ctrl_alter_partition_result *r);

void ctrl_broker_registration(struct ctrl *ctrl, const struct api_broker_registration_request *req,
                              ctrl_registration_done_fn done, void *done_ctx);
void ctrl_broker_heartbeat(struct ctrl *ctrl, const struct api_broker_heartbeat_request *req,
                           ctrl_heartbeat_done_fn done, void *done_ctx);
void ctrl_create_topics(struct ctrl *ctrl, const struct api_create_topics_request *req,
                        ctrl_create_topics_done_fn done, void *done_ctx);
/* version: the request's, to tell names (before v6) from ids. */
void ctrl_delete_topics(struct ctrl *ctrl, int16_t version,
                        const struct api_delete_topics_request *req,
                        ctrl_delete_topics_done_fn done, void *done_ctx);
/* alter->broker_epoch is the requester's; checked against its registration. */
void ctrl_alter_partition(struct ctrl *ctrl, const struct pchange_alter *alter,
                          int64_t broker_epoch, ctrl_alter_partition_done_fn done, void *done_ctx);

/* Runs the session check now (the timer calls it too). */
void ctrl_check_sessions_now(struct ctrl *ctrl);

/* ---- invariants, for tests and scenario checkers ---- */

/*
 * Every partition's leader is -1 or an unfenced, registered broker in its ISR. On a
 * violation returns false and says which partition in why.
 */
bool ctrl_check_leader_in_isr(const struct mimage *img, char *why, size_t why_size);
/*
 * No broker stays unfenced more than session timeout + slack_ms after its last
 * heartbeat to this (active) controller: fenced in its working image, the FenceBroker
 * record written (committed or still waiting for a majority). True when inactive.
 */
bool ctrl_check_fencing(const struct ctrl *ctrl, uint64_t slack_ms, char *why, size_t why_size);

#endif
