/*
 * bugs.c: the table of bug switches, see bugs.h.
 */
#include "bugs.h"

#include <string.h>

static const struct ks_bug_info bug_table[] = {
    {KS_BUG_FIXTURE_PING_SKIP_FSYNC, "fixture_ping_skip_fsync", "ping_durable_counter",
     "world_crash_restart.scn",
     "the ping fixture reports its counter durable without calling fsync"},
    {KS_BUG_FIXTURE_ECHO_REORDER, "fixture_echo_reorder", "ping_in_order", "world_pingecho.scn",
     "the echo fixture swaps two consecutive replies on a connection"},
    {KS_BUG_LOG_SKIP_RECOVERY_CRC, "log_skip_recovery_crc", "log_recovered_batches_valid",
     "log_crash_recovery.scn", "log recovery keeps a batch whose CRC does not match"},
    {KS_BUG_LOG_RETENTION_DELETES_ACTIVE, "log_retention_deletes_active",
     "log_retention_keeps_unexpired", "log_retention.scn",
     "retention deletes the active segment with records that have not expired"},
    {KS_BUG_CLEANER_DROPS_LATEST, "cleaner_drops_latest", "log_latest_value_per_key",
     "log_compaction.scn", "the cleaner keeps the first value of a key instead of the last"},
    {KS_BUG_RAFT_VOTE_NOT_PERSISTED, "raft_vote_not_persisted", "raft_one_leader_per_epoch",
     "raft_vote_crash.scn", "a voter replies to a Vote before writing quorum-state"},
    {KS_BUG_RAFT_NO_CHECK_QUORUM, "raft_no_check_quorum", "raft_partitioned_leader_resigns",
     "raft_leader_isolated.scn", "a leader cut off from the majority keeps leading (KAFKA-15489)"},
    {KS_BUG_RAFT_HW_FROM_MINORITY, "raft_hw_from_minority", "raft_committed_never_lost",
     "raft_leader_isolated.scn", "the high watermark advances with one voter fewer than a majority"},
    {KS_BUG_RAFT_VOTE_WITHOUT_LOG_CHECK, "raft_vote_without_log_check", "raft_committed_never_lost",
     "raft_leader_crash.scn", "a voter grants a vote to a candidate whose log is behind its own"},
    {KS_BUG_CTRL_ELECT_OUTSIDE_ISR, "ctrl_elect_outside_isr", "ctrl_leader_in_isr",
     "ctrl_broker_session_expiry.scn",
     "partition leader election ignores the ISR (an unclean election with the setting off)"},
    {KS_BUG_CTRL_NO_FENCING, "ctrl_no_fencing", "ctrl_stale_brokers_fenced",
     "ctrl_broker_session_expiry.scn",
     "a broker that stopped heartbeating is never fenced (broker.session.timeout.ms ignored)"},
    {KS_BUG_LOG_ROLL_SKIPS_FSYNC, "log_roll_skips_fsync", "log_no_fsynced_loss",
     "log_crash_recovery.scn",
     "a roll moves the recovery point past data it never fsynced; a crash then loses it"},
    {KS_BUG_LOG_OFFSET_GAP_ON_ROLL, "log_offset_gap_on_roll", "log_offsets_contiguous",
     "log_segment_roll.scn", "the batch that rolls a segment is stamped one offset past the end"},
    {KS_BUG_LOG_INDEX_BASE_OFFSET, "log_index_base_offset", "log_indexes_consistent",
     "log_segment_roll.scn",
     "offset index entries hold a batch's base offset instead of its last offset"},
    {KS_BUG_REPL_TRUNCATE_TO_HW, "repl_truncate_to_hw", "repl_acked_present_on_leader",
     "system/broker/tests/repl_test.c",
     "a new follower truncates to its high watermark instead of by leader epoch (KIP-101)"},
    {KS_BUG_REPL_HW_IGNORES_ISR, "repl_hw_ignores_isr", "repl_hw_within_isr",
     "system/broker/tests/repl_test.c",
     "the leader's high watermark is its log end offset, whatever the ISR holds"},
    {KS_BUG_REPL_ACKS_ALL_BEFORE_ISR, "repl_acks_all_before_isr", "kcheck_history",
     "repl_acks_leader_crash.scn",
     "acks=all is answered after the leader's append, before the ISR has the records"},
    {KS_BUG_GROUP_ACK_BEFORE_APPEND, "group_ack_before_append", "group_acked_commits_survive",
     "system/group/tests/gcoord_test.c",
     "an offset commit is acknowledged before its record is replicated; failover loses it"},
    {KS_BUG_GROUP_STALE_GENERATION_COMMIT, "group_stale_generation_commit",
     "group_offsets_monotonic", "system/group/tests/gcoord_test.c",
     "offset commits from an earlier generation are accepted (a zombie moves offsets back)"},
    {KS_BUG_GROUP_SKIP_REBALANCE_ON_EXPIRY, "group_skip_rebalance_on_expiry",
     "group_generation_members", "system/group/tests/gcoord_test.c",
     "a member whose session expired is removed without a rebalance; its partitions go unowned"},
    {KS_BUG_PRODUCER_RETRY_WITHOUT_IDEMPOTENCE_SEQUENCE, "producer_retry_without_idempotence_sequence",
     "kcheck_no_duplicates", "sim/tests/kcheck_test.c",
     "an idempotent producer retries a batch without its producer id: the broker writes it twice"},
    {KS_BUG_KIP279_EPOCHLESS_TRUNCATION, "kip279_epochless_truncation", "kcheck_replicas_agree",
     "sim/tests/kcheck_test.c",
     "a follower truncates to the leader's answer without checking its epoch (KIP-279) and "
     "keeps a divergent tail"},
    {KS_BUG_KAFKA7128_ISR_EXPAND_BELOW_HW, "kafka7128_isr_expand_below_hw",
     "kcheck_hw_monotonic", "sim/tests/kcheck_test.c",
     "a follower below the high watermark rejoins the ISR and the leader's high watermark moves "
     "back (KAFKA-7128)"},
    {KS_BUG_GROUP_LEADER_DOUBLE_ASSIGN, "group_leader_double_assign", "group_single_owner",
     "group_members_churn.scn",
     "the group leader's assignment gives one partition to two members of a generation"},
    {KS_BUG_GROUP_SKIP_OFFSET_FETCH, "group_skip_offset_fetch", "group_resume_from_commit",
     "group_member_crash.scn",
     "a member starts a new partition by auto.offset.reset, not from the group's commit"},
    {KS_BUG_GROUP_COMMIT_OFF_BY_ONE, "group_commit_off_by_one", "group_committed_consumed",
     "group_coordinator_crash.scn",
     "a member commits its position plus one: a record nobody consumed counts as consumed"},
    {KS_BUG_RAFT_SNAPSHOT_NOT_LOADED, "raft_snapshot_not_loaded", "raft_images_agree",
     "raft_snapshot_catchup.scn",
     "a follower installing a fetched snapshot keeps its old state machine (KIP-630)"},
};
_Static_assert(KS_ARRAY_COUNT(bug_table) == KS_BUG_COUNT, "one entry per switch");

const struct ks_bug_info *ks_bug_table(uint32_t *count_out)
{
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(bug_table); i++)
        KS_ASSERT(bug_table[i].bug == (enum ks_bug)i);
    *count_out = KS_ARRAY_COUNT(bug_table);
    return bug_table;
}

const struct ks_bug_info *ks_bug_find(const char *name)
{
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(bug_table); i++) {
        if (strcmp(bug_table[i].name, name) == 0)
            return &bug_table[i];
    }
    return NULL;
}
