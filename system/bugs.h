/*
 * bugs.h: the named bug switches. Each one plants a known mistake (often one that
 * Kafka itself once had) behind env_bug(env, KS_BUG_...), off by default; each names
 * the invariant that must catch it. `ksim bugs` lists them; `ksim run --bug NAME`
 * turns one on; the tests show the harness catching every one.
 */
#ifndef KS_BUGS_H
#define KS_BUGS_H

#include "ks.h"

enum ks_bug {
    /* The world's ping fixture claims its counter is synced without fsync. */
    KS_BUG_FIXTURE_PING_SKIP_FSYNC,
    /* The world's echo fixture swaps two consecutive replies. */
    KS_BUG_FIXTURE_ECHO_REORDER,
    /* Log recovery accepts a batch whose CRC does not match (seg.c). */
    KS_BUG_LOG_SKIP_RECOVERY_CRC,
    /* Retention treats the active segment as expired, deleting unexpired records. */
    KS_BUG_LOG_RETENTION_DELETES_ACTIVE,
    /* The cleaner keeps the first value of a key instead of the last. */
    KS_BUG_CLEANER_DROPS_LATEST,
    /* A voter replies to a Vote before persisting it (raft.c): after a crash it can
     * vote twice in one epoch, electing two leaders. */
    KS_BUG_RAFT_VOTE_NOT_PERSISTED,
    /* A leader never checks that a majority still fetches (KAFKA-15489 split brain). */
    KS_BUG_RAFT_NO_CHECK_QUORUM,
    /* The leader's high watermark counts one voter fewer than a majority. */
    KS_BUG_RAFT_HW_FROM_MINORITY,
    /* A voter grants votes without checking the candidate's log is up to date. */
    KS_BUG_RAFT_VOTE_WITHOUT_LOG_CHECK,
    /* Partition leader election ignores the ISR: the first active replica leads, as in
     * an unclean election with unclean.leader.election.enable off (pchange.c). */
    KS_BUG_CTRL_ELECT_OUTSIDE_ISR,
    /* The controller never fences a broker that stopped heartbeating (ctrl.c). */
    KS_BUG_CTRL_NO_FENCING,
    /* A roll advances the recovery point without fsyncing the old segment (plog.c). */
    KS_BUG_LOG_ROLL_SKIPS_FSYNC,
    /* The batch that makes the log roll is given the log end offset + 1 (plog.c). */
    KS_BUG_LOG_OFFSET_GAP_ON_ROLL,
    /* Offset index entries name a batch's base offset, not its last (seg.c). */
    KS_BUG_LOG_INDEX_BASE_OFFSET,
    /* KAFKA-1211 / KIP-101: a replica becoming follower truncates its log to its high
     * watermark instead of using leader epochs, losing acknowledged records (part.c). */
    KS_BUG_REPL_TRUNCATE_TO_HW,
    /* The leader's high watermark is its own log end offset, ignoring the ISR (part.c). */
    KS_BUG_REPL_HW_IGNORES_ISR,
    /* acks=all is acknowledged right after the leader's append, before the ISR has it
     * (rmgr.c). */
    KS_BUG_REPL_ACKS_ALL_BEFORE_ISR,
    /* An offset commit is acknowledged (and applied) before its record is replicated:
     * lost when the coordinator fails over (gcoord_store.c). */
    KS_BUG_GROUP_ACK_BEFORE_APPEND,
    /* Offset commits from an earlier generation are accepted (gcoord_store.c). */
    KS_BUG_GROUP_STALE_GENERATION_COMMIT,
    /* A member whose session expired is removed without a rebalance (gcoord.c). */
    KS_BUG_GROUP_SKIP_REBALANCE_ON_EXPIRY,
    /* The producer resends a retried batch without its producer id and sequence, so the
     * broker cannot de-duplicate it (producer.c). */
    KS_BUG_PRODUCER_RETRY_WITHOUT_IDEMPOTENCE_SEQUENCE,
    /* KIP-279: a follower truncates to the end offset the leader answered for its last
     * epoch without checking which epoch the answer is for, then fetches without its
     * last fetched epoch (as before KIP-320): after quick leader changes it keeps a
     * divergent tail (fetcher.c). */
    KS_BUG_KIP279_EPOCHLESS_TRUNCATION,
    /* KAFKA-7128: the leader lets a follower back into the ISR below the high watermark
     * and recomputes the high watermark from it, moving it back (part.c). */
    KS_BUG_KAFKA7128_ISR_EXPAND_BELOW_HW,
    /* The group leader hands its own first partition to a second member too
     * (cgroup.c). */
    KS_BUG_GROUP_LEADER_DOUBLE_ASSIGN,
    /* A member starts a newly assigned partition by auto.offset.reset without fetching
     * its committed offset (cgroup.c). */
    KS_BUG_GROUP_SKIP_OFFSET_FETCH,
    /* A member commits its position plus one (the last consumed offset + 1, added once
     * too often): a record nobody consumed is marked consumed (cgroup.c). */
    KS_BUG_GROUP_COMMIT_OFF_BY_ONE,
    /* A follower that installs the leader's snapshot (FetchSnapshot, KIP-630) moves its
     * log start and applied offset to the snapshot's end but does not load the image
     * into its state machine, which then misses every record the snapshot holds
     * (raft.c). */
    KS_BUG_RAFT_SNAPSHOT_NOT_LOADED,
    KS_BUG_COUNT,
};
_Static_assert(KS_BUG_COUNT <= 64, "bug switches live in a 64-bit mask");

struct ks_bug_info {
    enum ks_bug bug;
    const char *name;      /* what --bug takes */
    const char *invariant; /* the invariant that must catch it */
    const char *scenario;  /* a scenario (under scenarios/) in which it is caught */
    const char *summary;
};

/* Every switch, in enum order. */
const struct ks_bug_info *ks_bug_table(uint32_t *count_out);
/* The switch called name, or NULL. */
const struct ks_bug_info *ks_bug_find(const char *name);

#endif
