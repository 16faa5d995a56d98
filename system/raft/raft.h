/*
 * raft.h: a KRaft voter (KIP-595): the quorum state machine with its epochs and
 * votes, elections with pre-vote (KIP-996), pull replication of the metadata log with
 * Fetch, the high watermark from a majority, check-quorum (KAFKA-15489) and graceful
 * resignation with EndQuorumEpoch. Kafka: KafkaRaftClient, QuorumState, LeaderState,
 * CandidateState, ProspectiveState, FollowerState, UnattachedState, ResignedState.
 *
 * Everything between voters goes through raft_net as Kafka wire bytes (Vote,
 * BeginQuorumEpoch, EndQuorumEpoch, Fetch v13, FetchSnapshot v0); the log is raft_log;
 * the quorum-state file is raft_qstate, written before the voter acts on a new epoch,
 * vote or leader. Committed records feed a state machine; after
 * metadata.log.max.record.bytes.between.snapshots applied bytes its image becomes a
 * snapshot (raft_snapshot, KIP-630) and the log start moves up to it; a follower below
 * the leader's log start downloads the snapshot with FetchSnapshot.
 * Driven by env callbacks only; one timer holds the nearest deadline of the state.
 */
#ifndef KS_RAFT_H
#define KS_RAFT_H

#include "system/env.h"
#include "system/raft/raft_config.h"
#include "system/raft/raft_log.h"

#define RAFT_TOPIC_NAME "__cluster_metadata"
#define RAFT_LOG_DIR "__cluster_metadata-0"
/* Most record bytes one Fetch response carries. */
#define RAFT_FETCH_BYTES_MAX (64u * 1024u)
/* A follower whose fetch came back empty waits this long before the next one (the
 * leader answers at once instead of holding the fetch as Kafka's long poll does). */
#define RAFT_FETCH_IDLE_WAIT_MS 50u
/* Largest value the leader's append takes. */
#define RAFT_APPEND_VALUE_BYTES_MAX 4096u

enum raft_state {
    RAFT_UNATTACHED,  /* no leader known in this epoch (may have voted) */
    RAFT_PROSPECTIVE, /* asking for pre-votes before bumping the epoch */
    RAFT_CANDIDATE,   /* voted for itself in a new epoch, asking for votes */
    RAFT_LEADER,
    RAFT_FOLLOWER,
    RAFT_RESIGNED, /* was leader of this epoch, stepped down */
    RAFT_FAILED,   /* a disk error: the voter does nothing more (Kafka exits) */
    RAFT_STATE_COUNT,
};

const char *raft_state_name(enum raft_state state);

struct raft_status {
    enum raft_state state;
    int32_t node_id;
    int32_t epoch;
    int32_t leader_id; /* -1 unknown */
    int32_t voted_id;  /* -1 none */
    int64_t high_watermark;
    int64_t log_end_offset;
    int64_t flushed_offset;
    uint64_t elections_won;
    uint64_t truncations;          /* divergences truncated away */
    uint64_t truncations_below_hw; /* truncations below the high watermark: never in Raft */
    uint64_t appends;              /* batches this node appended as leader */
    int64_t applied_offset;        /* records below it were given to the state machine */
    int64_t log_start_offset;      /* where the latest snapshot ends */
    uint64_t snapshots_taken;
    uint64_t snapshots_installed; /* fetched from the leader (FetchSnapshot) */
};

/*
 * The state machine the log feeds (the controller's metadata image, or a test's).
 * Committed data records reach apply once each, in offset order (control records
 * are not passed); a snapshot stores image's bytes; load resets to a snapshot's image.
 */
struct raft_state_machine {
    void (*apply)(void *ctx, int64_t offset, const uint8_t *value, uint32_t value_size);
    /* Writes the image at the applied offset into buf; returns its size (<= buf_bytes). */
    uint32_t (*image)(void *ctx, uint8_t *buf, uint32_t buf_bytes);
    /* Returns false when the image is malformed. */
    bool (*load)(void *ctx, const uint8_t *image, uint32_t image_size);
};

struct raft;

/* Opens the log, the latest snapshot (loaded into sm) and quorum-state under
 * RAFT_LOG_DIR, listens, and starts as quorum-state says (Unattached, Follower or
 * Resigned). Borrows sm and sm_ctx for its lifetime, nothing from config. Errors: disk
 * errors, KS_ERR_CORRUPT_MESSAGE (a bad snapshot), KS_ERR_BUSY (port taken). */
KS_MUST_CHECK enum ks_err raft_create(struct env *env, const struct raft_config *config,
                                      const struct raft_state_machine *sm, void *sm_ctx,
                                      struct raft **out);
/* Clean shutdown: a leader resigns with EndQuorumEpoch; the log is flushed and
 * closed. Schedules nothing. */
void raft_stop(struct raft *raft);
/* Frees memory only (after raft_stop, or at a crash). */
void raft_free(struct raft *raft);

void raft_status_get(const struct raft *raft, struct raft_status *out);

struct srv;
/* The request server on the controller listener (raft_net.h): the Raft APIs are its
 * rows; a module that serves more on that listener adds its rows (srv_handler_add). */
struct srv *raft_srv(struct raft *raft);
const struct raft_log *raft_log_of(const struct raft *raft);

/* The leader appends one record (value) in its own batch and fsyncs it. Errors:
 * KS_ERR_NOT_LEADER_OR_FOLLOWER when not leader, disk errors. */
KS_MUST_CHECK enum ks_err raft_append(struct raft *raft, const uint8_t *value, uint32_t value_size);

/* Most records one atomic append takes. */
#define RAFT_APPEND_RECORDS_MAX 1024u
/* Largest batch an atomic append builds: one batch always fits one Fetch response. */
#define RAFT_APPEND_BATCH_BYTES_MAX RAFT_FETCH_BYTES_MAX

/* One record value of an atomic append; borrowed for the call only. */
struct raft_record_value {
    const uint8_t *bytes;
    uint32_t size_bytes;
};

/*
 * Atomic append (Kafka: RaftClient.scheduleAtomicAppend, the controller's atomic
 * record batches of KIP-631 and KIP-868): the leader puts values[0..count) as the
 * records of ONE RecordBatch at the log end, at consecutive offsets, and fsyncs it.
 * A batch is the unit of replication, truncation, crash recovery (its CRC covers
 * every record) and the high watermark (it only ever lies between batches), so
 * every voter applies all of the records together, in order, or none of them.
 * *last_offset_out gets the offset of the last record (the batch is committed once
 * the high watermark passes it). count must be at least 1.
 * Errors: KS_ERR_NOT_LEADER_OR_FOLLOWER when not leader; KS_ERR_RECORD_LIST_TOO_LARGE
 * when count passes RAFT_APPEND_RECORDS_MAX or the batch could pass
 * RAFT_APPEND_BATCH_BYTES_MAX (nothing is appended); disk errors (the voter fails).
 */
KS_MUST_CHECK enum ks_err raft_append_records(struct raft *raft,
                                              const struct raft_record_value *values,
                                              uint32_t count, int64_t *last_offset_out);

#endif
