/*
 * ctrl_raft.h: the controller state machine (ctrl.h) running on a KRaft voter
 * (raft.h). Kafka: QuorumController's QuorumMetaLogListener (handleCommit,
 * handleLoadSnapshot, handleLeaderChange, beginShutdown), SnapshotGenerator /
 * SnapshotEmitter (the image written as the records that rebuild it).
 *
 * The raft state machine's apply hands each committed record to ctrl_commit in offset
 * order and traces it (`ctrl.apply` with mrec_describe's text). A leader becomes the
 * active controller only once everything below its epoch's start offset is applied
 * (its LeaderChange record is committed), as Kafka's handleLeaderChange waits for;
 * losing Raft leadership (or a newer epoch) renounces. Leadership is watched by a
 * timer every CTRL_RAFT_POLL_INTERVAL_MS and after each applied record. The ctrl_log
 * seam appends an operation's records as one atomic batch (raft_append_records), so
 * every node applies all of them or none; one too large for a batch goes in as few
 * batches as fit.
 * Snapshots: image writes "KSMI", version, the image offset, then each record (u32
 * size + mrec value) that rebuilds the image; load replays them into a fresh image.
 *
 * Requests: attaching plugs the controller's APIs (ctrl_srv.h: BrokerRegistration,
 * BrokerHeartbeat, CreateTopics, DeleteTopics, AlterPartition) into the voter's listener
 * (raft_srv), beside Raft's own; they are answered once their records commit.
 *
 * Ownership: owns the ctrl and its request handlers; borrows the raft (created after this, freed by
 * the caller).
 */
#ifndef KS_CONTROLLER_CTRL_RAFT_H
#define KS_CONTROLLER_CTRL_RAFT_H

#include "system/controller/ctrl.h"
#include "system/raft/raft.h"

#define CTRL_RAFT_POLL_INTERVAL_MS 10u
#define CTRL_RAFT_SNAPSHOT_MAGIC 0x4b534d49u /* "KSMI" */
#define CTRL_RAFT_SNAPSHOT_VERSION 1
/* Most records one snapshot image holds. */
#define CTRL_RAFT_SNAPSHOT_RECORDS_MAX                                                             \
    (MIMAGE_BROKERS_MAX + MIMAGE_TOPICS_MAX * 64u + MIMAGE_CONFIGS_MAX)
#define CTRL_RAFT_DESCRIBE_BYTES_MAX 512u

struct ctrl_raft;

/* Creates the controller (inactive); pass ctrl_raft_sm and the result to raft_create,
 * then ctrl_raft_attach the voter. */
struct ctrl_raft *ctrl_raft_create(struct env *env, const struct ctrl_config *config);
extern const struct raft_state_machine ctrl_raft_sm;
/* Starts watching the voter's leadership and serves the controller's APIs on its
 * listener. */
void ctrl_raft_attach(struct ctrl_raft *cr, struct raft *raft);
/* Renounces, cancels timers (through env); call before raft_stop. */
void ctrl_raft_stop(struct ctrl_raft *cr);
/* Frees memory only (after stop, or at a crash). */
void ctrl_raft_free(struct ctrl_raft *cr);

struct ctrl *ctrl_raft_ctrl(const struct ctrl_raft *cr);

/* Writes the snapshot image of img into buf; returns its size, 0 when it does not fit. */
uint32_t ctrl_raft_image_encode(const struct mimage *img, uint8_t *buf, uint32_t buf_bytes);
/* Rebuilds an image from snapshot bytes into out (initialised by the caller). Errors:
 * KS_ERR_CORRUPT_MESSAGE for bytes that do not parse or apply. */
KS_MUST_CHECK enum ks_err ctrl_raft_image_decode(const uint8_t *bytes, uint32_t size_bytes,
                                                 struct mimage *out);

#endif
