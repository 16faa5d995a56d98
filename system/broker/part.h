/*
 * part.h: one partition's replica on a broker: its role (leader or follower), its
 * log, the leader epoch and partition epoch it knows, the ISR, and as leader the
 * state of every follower. Kafka: Partition (makeLeader, makeFollower,
 * updateFollowerFetchState, maybeIncrementLeaderHW, maybeShrinkIsr,
 * maybeExpandIsr, appendRecordsToLeader, checkEnoughReplicasReachOffset,
 * lastOffsetForLeaderEpoch), Replica (ReplicaState), LeaderEpochFileCache.endOffsetFor.
 *
 * Leader rules (kafka-internals.md section 8): the high watermark is the minimum log
 * end offset over the maximal ISR (the ISR plus members an AlterPartition in flight
 * adds), never moves back, and does not advance while the ISR is below
 * min.insync.replicas (KAFKA-15583). A follower is caught up when its fetch offset
 * reached the leader's log end offset; one not caught up for replica.lag.time.max.ms
 * leaves the ISR; one whose log end offset reached the high watermark and the start
 * of the current leader epoch rejoins (KAFKA-7128). At most one AlterPartition is in
 * flight; the ISR changes only when the controller's answer (or a newer image) comes.
 *
 * The epoch cache of the log holds epochs that wrote batches; a new leader also counts
 * its own epoch as starting at its log end offset (KAFKA-7415) without writing it.
 *
 * Ownership: a part borrows its plog (the logdir owns it) and owns its producer state.
 */
#ifndef KS_BROKER_PART_H
#define KS_BROKER_PART_H

#include "pstate.h"
#include "system/controller/mimage.h"

#define PART_REPLICAS_MAX MREC_REPLICAS_MAX
#define PART_NO_OFFSET (-1)
#define PART_NO_EPOCH (-1)

enum part_role {
    PART_NONE,     /* created, no role yet */
    PART_LEADER,   /* leads: appends and serves */
    PART_FOLLOWER, /* fetches from the leader (or waits for one: leader_id -1) */
};
const char *part_role_name(enum part_role role);

/* A follower's OFFSET_OUT_OF_RANGE handling, step by step (AbstractFetcherThread.
 * handleOutOfRangeError, ReplicaFetcherThread.fetchLatestOffsetFromLeader and
 * fetchEarliestOffsetFromLeader): the fetcher asks the leader for its log end offset,
 * then, when that is not below the follower's, for its log start offset. */
enum part_fetch_reset {
    PART_RESET_NONE,
    PART_RESET_LEADER_END,   /* ask ListOffsets LATEST */
    PART_RESET_LEADER_START, /* ask ListOffsets EARLIEST */
};

/* The leader's view of one replica (Kafka: Replica's ReplicaState). */
struct part_replica {
    int32_t broker_id;
    int64_t log_end_offset; /* -1 until it fetched in this leader epoch */
    int64_t log_start_offset;
    int64_t last_caught_up_ms; /* monotonic */
    int64_t last_fetch_ms;     /* monotonic, of the previous fetch */
    int64_t last_fetch_leader_log_end_offset;
};

struct part {
    struct env *env;
    char topic[PLOG_TOPIC_BYTES_MAX + 1];
    struct wire_uuid topic_id;
    int32_t partition;
    int32_t broker_id; /* this broker */
    struct plog *log;  /* borrowed */
    struct pstate producers;
    enum part_role role;
    int32_t leader_id; /* -1: none */
    int32_t leader_epoch;
    int32_t partition_epoch;
    int64_t leader_epoch_start_offset; /* leader: log end offset when it became leader */
    uint32_t replica_count;
    struct part_replica replicas[PART_REPLICAS_MAX];
    uint32_t isr_count;
    int32_t isr[PART_REPLICAS_MAX];
    bool alter_inflight;
    uint32_t alter_isr_count; /* the ISR proposed */
    int32_t alter_isr[PART_REPLICAS_MAX];
    int32_t min_insync_replicas;
    bool hw_ignores_isr; /* bug switch KS_BUG_REPL_HW_IGNORES_ISR */
    /* Follower, kept by its fetcher: the out-of-range step, and after a full
     * truncation the offset fetching resumes from while the log is empty below it
     * (PART_NO_OFFSET: fetch from the log end offset). */
    enum part_fetch_reset fetch_reset;
    int64_t fetch_start_offset;
    bool fetch_epochless; /* bug KS_BUG_KIP279_EPOCHLESS_TRUNCATION: no LastFetchedEpoch */
};

/* The replica's state when created: no role, epochs -1. */
void part_init(struct part *p, struct env *env, int32_t broker_id, const char *topic,
               const struct wire_uuid *topic_id, int32_t partition, struct plog *log);
void part_free(struct part *p);

static inline int64_t part_log_end_offset(const struct part *p)
{
    return plog_log_end_offset(p->log);
}
static inline int64_t part_high_watermark(const struct part *p)
{
    return p->log->high_watermark;
}

/* Becomes leader of the image's partition state (leader == this broker). Returns
 * whether the high watermark moved. */
bool part_make_leader(struct part *p, const struct mimage_partition *state, int64_t now_ms);
/* Becomes (or stays) follower. Returns true when the leader or its epoch changed (the
 * fetcher must be moved). */
KS_MUST_CHECK enum ks_err part_make_follower(struct part *p, const struct mimage_partition *state,
                                             bool *changed_out);
/* A newer partition epoch with the same leader epoch: the ISR changed. Returns
 * whether the high watermark moved. */
bool part_update_isr(struct part *p, const int32_t *isr, uint32_t isr_count,
                     int32_t partition_epoch);

bool part_in_isr(const struct part *p, int32_t broker_id);
/* Current leader epoch check for requests: -1 skips it; older FENCED_LEADER_EPOCH,
 * newer UNKNOWN_LEADER_EPOCH. */
enum ks_err part_check_epoch(const struct part *p, int32_t current_leader_epoch);

/* Leader: recompute the high watermark; returns whether it moved. */
bool part_maybe_advance_hw(struct part *p);
/* Leader: a follower fetched at fetch_offset (Partition.updateFollowerFetchState).
 * Returns whether the high watermark moved. */
bool part_follower_fetched(struct part *p, int32_t broker_id, int64_t fetch_offset,
                           int64_t log_start_offset, int64_t leader_log_end_offset, int64_t now_ms);
/* Leader: the ISR an expansion or shrink would propose now, if any (no AlterPartition
 * in flight). Returns true and fills isr when one is due. */
bool part_isr_expand_due(const struct part *p, int32_t broker_id, int32_t *isr,
                         uint32_t *isr_count);
bool part_isr_shrink_due(const struct part *p, int64_t now_ms, int64_t lag_max_ms, int32_t *isr,
                         uint32_t *isr_count);

/* LeaderEpochFileCache.endOffsetFor (with the leader's own epoch counted): the largest
 * epoch <= requested and where it ends; (-1, -1) when requested is past them all. */
void part_end_offset_for_epoch(const struct part *p, int32_t requested_epoch, int32_t *epoch_out,
                               int64_t *end_offset_out);
/* The epoch of the batch holding offset, from the cache; -1 when unknown. */
int32_t part_epoch_for_offset(const struct part *p, int64_t offset);

/* Follower: truncates the log (and rebuilds producer state). Never below the log start. */
KS_MUST_CHECK enum ks_err part_truncate_to(struct part *p, int64_t offset);
/* Follower (Kafka: UnifiedLog.truncateFullyAndStartAt, offset above the log end offset,
 * the leader's log start offset): every record goes, producer state and snapshots
 * too, and fetching resumes at offset. The log keeps its first segment's base until
 * the first fetched batch (appended at offset) and the log start offset follows the
 * leader's (plog has no way to re-base an empty log). */
KS_MUST_CHECK enum ks_err part_truncate_fully_and_start_at(struct part *p, int64_t offset);
/* Where the follower fetches from: the log end offset, or the start a full truncation
 * set while the log is still below it. */
int64_t part_fetch_offset(const struct part *p);

#endif
