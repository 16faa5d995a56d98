/*
 * raft_qstate.h: the `quorum-state` file of a KRaft voter: its epoch, the leader it
 * knows and the vote it cast in that epoch, written before the voter acts on them
 * (a vote before the reply that grants it). Kafka: FileQuorumStateStore,
 * QuorumStateData (data_version 0), ElectionState.
 *
 * Format, one JSON object (Kafka's field order):
 *   {"clusterId":"","leaderId":3,"leaderEpoch":7,"votedId":-1,"appliedOffset":0,
 *    "currentVoters":[{"voterId":1},{"voterId":3}],"data_version":0}
 * Written as `quorum-state.tmp`, fsynced, renamed over `quorum-state`, then the
 * directory is synced, so a crash leaves the old or the new state, never a mix.
 */
#ifndef KS_RAFT_QSTATE_H
#define KS_RAFT_QSTATE_H

#include "system/env.h"
#include "system/raft/raft_config.h"

/* Largest quorum-state file accepted or written. */
#define RAFT_QSTATE_BYTES_MAX 4096u
#define RAFT_QSTATE_FILE "quorum-state"

struct raft_qstate {
    int32_t leader_epoch; /* the epoch, 0 before any election */
    int32_t leader_id;    /* -1 unknown */
    int32_t voted_id;     /* -1 none */
};

/* Formats the JSON text; returns its length (< buf_bytes) . */
uint32_t raft_qstate_format(const struct raft_qstate *qs, const struct raft_config *config,
                            char *buf, uint32_t buf_bytes);
/* Parses the JSON text. Errors: KS_ERR_CORRUPT_MESSAGE when a field is missing or bad. */
KS_MUST_CHECK enum ks_err raft_qstate_parse(const char *text, uint32_t size_bytes,
                                            struct raft_qstate *out);

/* Reads dir/quorum-state; a missing or empty file is the initial state (epoch 0, no
 * leader, no vote). Errors: KS_ERR_IO, KS_ERR_CORRUPT_MESSAGE. */
KS_MUST_CHECK enum ks_err raft_qstate_read(struct env *env, const char *dir,
                                           struct raft_qstate *out);
/* Writes dir/quorum-state durably (tmp, fsync, rename, dir sync). Errors: KS_ERR_IO,
 * KS_ERR_NO_SPACE. */
KS_MUST_CHECK enum ks_err raft_qstate_write(struct env *env, const char *dir,
                                            const struct raft_qstate *qs,
                                            const struct raft_config *config);

#endif
