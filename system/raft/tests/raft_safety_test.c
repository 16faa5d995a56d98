/*
 * raft_safety_test.c: KRaft safety under faults (KIP-595), checked after every event
 * by raft_cluster.h: committed entries survive crashes and restarts of any minority;
 * a leader cut off with uncommitted entries truncates them by the diverging epoch
 * after the heal; a voter that crashes right after voting does not vote again in that
 * epoch; and each of raft_vote_not_persisted, raft_hw_from_minority and
 * raft_vote_without_log_check is caught by those checkers on some seed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "raft_cluster.h"

#define SEEDS_CRASH 6u
#define SEEDS_BUG 30u
#define CRASH_ROUNDS 24u

static void check_clean(struct cluster *c, uint64_t seed)
{
    if (c->violated)
        cluster_print(c, seed);
    assert_false(c->violated);
}

/* Crashes or restarts one node per round, never more than a minority down at once. */
static void minority_crash_run(uint64_t seed, uint32_t voters)
{
    struct cluster *c = cluster_new(seed, voters, 0, 20);
    struct rng *rng = world_rng(c->w);
    uint32_t minority = (voters - 1) / 2;
    cluster_run_to(c, 3000);
    for (uint32_t round = 0; round < CRASH_ROUNDS && !c->violated; round++) {
        uint32_t down = 0;
        for (uint32_t i = 0; i < voters; i++)
            down += world_node_impl(c->w, c->ids[i]) == NULL;
        uint32_t i = (uint32_t)rng_below(rng, voters);
        bool alive = world_node_impl(c->w, c->ids[i]) != NULL;
        if (alive && down < minority)
            world_node_crash(c->w, c->ids[i]);
        else if (!alive)
            world_node_start(c->w, c->ids[i]);
        cluster_run_to(c, cluster_now_ms(c) + 300 + rng_below(rng, 2500));
    }
    check_clean(c, seed);
    int64_t committed = c->committed_end;
    for (uint32_t i = 0; i < voters; i++) {
        if (world_node_impl(c->w, c->ids[i]) == NULL)
            world_node_start(c->w, c->ids[i]);
    }
    cluster_run_to(c, cluster_now_ms(c) + 8000);
    check_clean(c, seed);
    int leader = cluster_leader(c);
    assert_true(leader >= 0);
    assert_true(cluster_hw(c, (uint32_t)leader) > committed); /* progress after the faults */
    assert_true(committed > 100);                             /* and during them */
    cluster_free(c);
}

static void test_minority_crashes_never_lose_committed_3(void **state)
{
    for (uint64_t seed = 1; seed <= SEEDS_CRASH; seed++)
        minority_crash_run(seed, 3);
}

static void test_minority_crashes_never_lose_committed_5(void **state)
{
    for (uint64_t seed = 1; seed <= SEEDS_CRASH; seed++)
        minority_crash_run(seed, 5);
}

/* Isolates the leader for 6 s (it appends entries nobody else gets), then heals. */
static int isolate_leader_then_heal(struct cluster *c)
{
    cluster_run_to(c, 4000);
    int old = cluster_leader(c);
    assert_true(old >= 0);
    cluster_isolate(c, (uint32_t)old);
    cluster_run_to(c, 10000);
    world_heal(c->w);
    cluster_run_to(c, 16000);
    return old;
}

static void test_divergence_truncated_after_leader_change(void **state)
{
    for (uint64_t seed = 1; seed <= SEEDS_CRASH; seed++) {
        struct cluster *c = cluster_new(seed, 3, 0, 20);
        int old = isolate_leader_then_heal(c);
        check_clean(c, seed);
        struct raft_status s;
        assert_true(cluster_status(c, (uint32_t)old, &s));
        assert_int_equal(s.state, RAFT_FOLLOWER);
        assert_true(s.truncations >= 1);
        assert_int_equal(s.truncations_below_hw, 0);
        /* Its log now matches the leader's batch for batch below the HW. */
        const struct raft_log *a = raft_log_of(cluster_raft(c, (uint32_t)old));
        const struct raft_log *b = raft_log_of(cluster_raft(c, (uint32_t)cluster_leader(c)));
        for (uint32_t i = 0; i < raft_log_batch_count(a) && i < raft_log_batch_count(b); i++) {
            if (raft_log_batch_at(a, i)->last_offset >= s.high_watermark)
                break;
            assert_int_equal(raft_log_batch_at(a, i)->crc, raft_log_batch_at(b, i)->crc);
            assert_int_equal(raft_log_batch_at(a, i)->epoch, raft_log_batch_at(b, i)->epoch);
        }
        cluster_free(c);
    }
}

static void test_bug_hw_from_minority_loses_committed(void **state)
{
    uint32_t caught = 0;
    for (uint64_t seed = 1; seed <= SEEDS_CRASH; seed++) {
        struct cluster *c = cluster_new(seed, 3, 1ull << KS_BUG_RAFT_HW_FROM_MINORITY, 20);
        isolate_leader_then_heal(c);
        caught += c->violated;
        cluster_free(c);
    }
    fprintf(stderr, "raft_hw_from_minority caught on %u of %u seeds\n", caught, SEEDS_CRASH);
    assert_true(caught > 0);
}

/*
 * The vote trap: 1 and 2 cannot talk. When a leader is elected with a vote from the
 * third voter, that voter crashes at once (the leader's BeginQuorumEpoch is lost with
 * it) and restarts 100 ms later cut off from that leader. The other side then asks it
 * for a vote in the same epoch: a voter that persisted its vote refuses.
 */
struct vote_trap {
    struct cluster *c;
    bool fired;
    int voter;
    int leader;
};

static void vote_trap_observe(void *ctx, struct world *w)
{
    struct vote_trap *t = ctx;
    struct cluster *c = t->c;
    int leader = cluster_leader(c);
    struct raft_status ls, vs;
    if (t->fired || leader < 0 || !cluster_status(c, (uint32_t)leader, &ls))
        return;
    for (uint32_t j = 0; j < c->n; j++) {
        if ((int)j == leader || !cluster_status(c, j, &vs))
            continue;
        if (vs.state != RAFT_UNATTACHED || vs.voted_id != ls.node_id || vs.epoch != ls.epoch)
            continue;
        t->fired = true;
        t->voter = (int)j;
        t->leader = leader;
        world_node_crash(w, c->ids[j]);
        world_partition(w, &c->ids[j], 1, &c->ids[leader], 1, false);
        return;
    }
}

/* Returns 1 when the run saw two leaders in one epoch, 0 when not, -1 if no trap. */
static int vote_trap_run(uint64_t seed, env_bug_mask bugs)
{
    struct cluster *c = cluster_new(seed, 3, bugs, 0);
    struct vote_trap trap = {.c = c};
    world_partition(c->w, &c->ids[0], 1, &c->ids[1], 1, false);
    world_observer_add(c->w, vote_trap_observe, &trap);
    for (uint32_t step = 0; step < 100 && !trap.fired; step++)
        cluster_run_to(c, cluster_now_ms(c) + 100);
    int result = -1;
    if (trap.fired) {
        cluster_run_to(c, cluster_now_ms(c) + 100);
        world_node_start(c->w, c->ids[trap.voter]);
        cluster_run_to(c, cluster_now_ms(c) + 10000);
        result = c->violated;
    }
    cluster_free(c);
    return result;
}

static void test_vote_persisted_before_reply(void **state)
{
    uint32_t trapped = 0;
    for (uint64_t seed = 1; seed <= SEEDS_BUG; seed++) {
        int result = vote_trap_run(seed, 0);
        if (result == 1)
            fprintf(stderr, "seed %llu: two leaders in one epoch\n", (unsigned long long)seed);
        assert_int_not_equal(result, 1);
        trapped += result == 0;
    }
    assert_true(trapped > SEEDS_BUG / 2);
}

static void test_bug_vote_not_persisted_elects_two_leaders(void **state)
{
    uint32_t caught = 0;
    for (uint64_t seed = 1; seed <= SEEDS_BUG; seed++)
        caught += vote_trap_run(seed, 1ull << KS_BUG_RAFT_VOTE_NOT_PERSISTED) == 1;
    fprintf(stderr, "raft_vote_not_persisted caught on %u of %u seeds\n", caught, SEEDS_BUG);
    assert_true(caught > 0);
}

/*
 * c_stale misses 3 s of appends; then the leader and the up-to-date follower crash
 * and the two followers restart together. Only the up-to-date one may win.
 */
static int stale_candidate_run(uint64_t seed, env_bug_mask bugs)
{
    struct cluster *c = cluster_new(seed, 3, bugs, 20);
    cluster_run_to(c, 3000);
    int leader = cluster_leader(c);
    assert_true(leader >= 0);
    uint32_t stale = ((uint32_t)leader + 1) % 3, fresh = ((uint32_t)leader + 2) % 3;
    world_node_crash(c->w, c->ids[stale]);
    cluster_run_to(c, 6000);
    world_node_crash(c->w, c->ids[leader]);
    world_node_crash(c->w, c->ids[fresh]);
    cluster_run_to(c, 6100);
    world_node_start(c->w, c->ids[stale]);
    world_node_start(c->w, c->ids[fresh]);
    cluster_run_to(c, 14000);
    int result = c->violated;
    if (!bugs)
        check_clean(c, seed);
    if (!bugs)
        assert_int_equal(cluster_leader(c), (int)fresh);
    cluster_free(c);
    return result;
}

static void test_stale_voter_never_elected(void **state)
{
    for (uint64_t seed = 1; seed <= SEEDS_CRASH; seed++)
        assert_int_equal(stale_candidate_run(seed, 0), 0);
}

static void test_bug_vote_without_log_check_loses_committed(void **state)
{
    uint32_t caught = 0;
    for (uint64_t seed = 1; seed <= SEEDS_BUG; seed++)
        caught += stale_candidate_run(seed, 1ull << KS_BUG_RAFT_VOTE_WITHOUT_LOG_CHECK);
    fprintf(stderr, "raft_vote_without_log_check caught on %u of %u seeds\n", caught, SEEDS_BUG);
    assert_true(caught > 0);
}

/* A long GC-like pause of the leader: the others elect a new one; the old one resumes,
 * finds its check-quorum expired or hears the new epoch, and follows. */
static void test_paused_leader_steps_down(void **state)
{
    for (uint64_t seed = 1; seed <= SEEDS_CRASH; seed++) {
        struct cluster *c = cluster_new(seed, 3, 0, 20);
        cluster_run_to(c, 4000);
        int old = cluster_leader(c);
        assert_true(old >= 0);
        assert_int_equal(world_node_pause(c->w, c->ids[old], 6000 * MS), KS_OK);
        cluster_run_to(c, 16000);
        check_clean(c, seed);
        struct raft_status s;
        assert_true(cluster_status(c, (uint32_t)old, &s));
        assert_int_equal(s.state, RAFT_FOLLOWER);
        assert_int_equal(cluster_count_in_state(c, RAFT_LEADER), 1);
        cluster_free(c);
    }
}

/* The leader can hear but not speak: fetches reach it, answers do not come back. The
 * followers' requests time out, they elect a leader among themselves, and the old
 * leader, no longer fetched from, resigns by check-quorum; after the heal it follows. */
static void test_one_way_partition_from_leader(void **state)
{
    for (uint64_t seed = 1; seed <= SEEDS_CRASH; seed++) {
        struct cluster *c = cluster_new(seed, 3, 0, 20);
        cluster_run_to(c, 4000);
        int old = cluster_leader(c);
        assert_true(old >= 0);
        int others[2] = {c->ids[(old + 1) % 3], c->ids[(old + 2) % 3]};
        world_partition(c->w, &c->ids[old], 1, others, 2, true);
        cluster_run_to(c, 14000);
        check_clean(c, seed);
        int now = cluster_leader(c);
        struct raft_status s;
        assert_true(cluster_status(c, (uint32_t)old, &s));
        if (now == old || s.state == RAFT_LEADER)
            cluster_print(c, seed);
        assert_true(now >= 0 && now != old);
        assert_int_not_equal(s.state, RAFT_LEADER);
        world_heal(c->w);
        cluster_run_to(c, 20000);
        check_clean(c, seed);
        assert_true(cluster_status(c, (uint32_t)old, &s));
        assert_int_equal(s.state, RAFT_FOLLOWER);
        cluster_free(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minority_crashes_never_lose_committed_3),
        cmocka_unit_test(test_minority_crashes_never_lose_committed_5),
        cmocka_unit_test(test_divergence_truncated_after_leader_change),
        cmocka_unit_test(test_bug_hw_from_minority_loses_committed),
        cmocka_unit_test(test_vote_persisted_before_reply),
        cmocka_unit_test(test_bug_vote_not_persisted_elects_two_leaders),
        cmocka_unit_test(test_stale_voter_never_elected),
        cmocka_unit_test(test_paused_leader_steps_down),
        cmocka_unit_test(test_one_way_partition_from_leader),
        cmocka_unit_test(test_bug_vote_without_log_check_loses_committed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
