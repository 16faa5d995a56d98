/*
 * raft_election_test.c: KRaft elections under simulation (KIP-595, KIP-996): 3 and 5
 * voters elect one leader and replicate; a crashed leader is replaced and rejoins as a
 * follower; a stopped leader resigns with EndQuorumEpoch and a successor takes over
 * before the fetch timeout; a partitioned leader resigns through check-quorum while the
 * majority elects another (KAFKA-15489), and with raft_no_check_quorum it keeps leading.
 * Every run is checked after every event by raft_cluster.h (one leader per epoch,
 * committed entries never lost).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "raft_cluster.h"

#define SEEDS_ELECTION 8u

static void check_clean(struct cluster *c, uint64_t seed)
{
    if (c->violated)
        cluster_print(c, seed);
    assert_false(c->violated);
}

/* One leader, every other voter follows it, and the log is replicated. */
static void check_settled(struct cluster *c, uint64_t seed, int64_t hw_min)
{
    int leader = cluster_leader(c);
    if (leader < 0 || cluster_count_in_state(c, RAFT_FOLLOWER) != c->n - 1)
        cluster_print(c, seed);
    assert_true(leader >= 0);
    assert_int_equal(cluster_count_in_state(c, RAFT_LEADER), 1);
    assert_int_equal(cluster_count_in_state(c, RAFT_FOLLOWER), c->n - 1);
    for (uint32_t i = 0; i < c->n; i++) {
        if (cluster_hw(c, i) < hw_min)
            cluster_print(c, seed);
        assert_true(cluster_hw(c, i) >= hw_min);
    }
}

static void elect(uint32_t voters)
{
    for (uint64_t seed = 1; seed <= SEEDS_ELECTION; seed++) {
        struct cluster *c = cluster_new(seed, voters, 0, 100);
        cluster_run_to(c, 8000);
        check_clean(c, seed);
        check_settled(c, seed, 20);
        cluster_free(c);
    }
}

static void test_elect_3_voters(void **state)
{
    elect(3);
}
static void test_elect_5_voters(void **state)
{
    elect(5);
}

static void test_leader_crash_and_reelection(void **state)
{
    for (uint64_t seed = 1; seed <= SEEDS_ELECTION; seed++) {
        struct cluster *c = cluster_new(seed, 3, 0, 50);
        cluster_run_to(c, 5000);
        int old = cluster_leader(c);
        assert_true(old >= 0);
        struct raft_status before;
        assert_true(cluster_status(c, (uint32_t)old, &before));
        assert_int_equal(world_node_crash(c->w, c->ids[old]), KS_OK);
        cluster_run_to(c, 12000);
        check_clean(c, seed);
        int now = cluster_leader(c);
        assert_true(now >= 0 && now != old);
        struct raft_status after;
        assert_true(cluster_status(c, (uint32_t)now, &after));
        assert_true(after.epoch > before.epoch);
        assert_int_equal(world_node_start(c->w, c->ids[old]), KS_OK);
        cluster_run_to(c, 18000);
        check_clean(c, seed);
        check_settled(c, seed, after.high_watermark);
        cluster_free(c);
    }
}

/* Voters that are running for election (Prospective or Candidate) or won it. */
static uint32_t count_campaigning(struct cluster *c)
{
    return cluster_count_in_state(c, RAFT_PROSPECTIVE) + cluster_count_in_state(c, RAFT_CANDIDATE) +
           cluster_count_in_state(c, RAFT_LEADER);
}

static void test_stopped_leader_hands_over_with_end_quorum_epoch(void **state)
{
    for (uint64_t seed = 1; seed <= SEEDS_ELECTION; seed++) {
        struct cluster *c = cluster_new(seed, 3, 0, 50);
        cluster_run_to(c, 5000);
        int old = cluster_leader(c);
        assert_true(old >= 0);
        assert_int_equal(world_node_stop(c->w, c->ids[old]), KS_OK);
        uint64_t stopped_ms = cluster_now_ms(c);
        /* EndQuorumEpoch: the first preferred successor campaigns at once, long before
         * its fetch timeout (2 s) could have fired. */
        cluster_run_to(c, stopped_ms + 50);
        assert_true(count_campaigning(c) >= 1);
        cluster_run_to(c, stopped_ms + 3000);
        check_clean(c, seed);
        if (cluster_leader(c) < 0)
            cluster_print(c, seed);
        assert_true(cluster_leader(c) >= 0);
        assert_int_equal(world_node_start(c->w, c->ids[old]), KS_OK);
        cluster_run_to(c, stopped_ms + 8000);
        check_clean(c, seed);
        check_settled(c, seed, 1);
        cluster_free(c);
    }
}

/* Isolates the leader; returns it. After 6 s the majority must have its own leader. */
static int partition_leader(struct cluster *c, uint64_t seed)
{
    cluster_run_to(c, 5000);
    int old = cluster_leader(c);
    assert_true(old >= 0);
    cluster_isolate(c, (uint32_t)old);
    cluster_run_to(c, 11000);
    check_clean(c, seed);
    return old;
}

static void test_partitioned_leader_resigns_by_check_quorum(void **state)
{
    for (uint64_t seed = 1; seed <= SEEDS_ELECTION; seed++) {
        struct cluster *c = cluster_new(seed, 3, 0, 50);
        int old = partition_leader(c, seed);
        struct raft_status s;
        assert_true(cluster_status(c, (uint32_t)old, &s));
        if (s.state == RAFT_LEADER)
            cluster_print(c, seed);
        assert_int_not_equal(s.state, RAFT_LEADER); /* resigned: no split brain */
        assert_int_equal(cluster_count_in_state(c, RAFT_LEADER), 1);
        world_heal(c->w);
        cluster_run_to(c, 17000);
        check_clean(c, seed);
        check_settled(c, seed, 1);
        cluster_free(c);
    }
}

static void test_bug_no_check_quorum_keeps_two_leaders(void **state)
{
    for (uint64_t seed = 1; seed <= SEEDS_ELECTION; seed++) {
        struct cluster *c = cluster_new(seed, 3, 1ull << KS_BUG_RAFT_NO_CHECK_QUORUM, 50);
        int old = partition_leader(c, seed);
        struct raft_status s;
        assert_true(cluster_status(c, (uint32_t)old, &s));
        /* Caught: the isolated leader still leads beside the majority's leader. */
        assert_int_equal(s.state, RAFT_LEADER);
        assert_int_equal(cluster_count_in_state(c, RAFT_LEADER), 2);
        cluster_free(c);
    }
}

/* A quorum of one: its leader never hears a fetch from another voter and must not
 * resign by check-quorum for that (kbroker's single combined node runs this way). */
static void test_single_voter_keeps_leading(void **state)
{
    (void)state;
    struct cluster *c = cluster_new(7, 1, 0, 50);
    cluster_run_to(c, 3000);
    struct raft_status first;
    assert_true(cluster_status(c, 0, &first));
    assert_int_equal(first.state, RAFT_LEADER);
    cluster_run_to(c, 60000); /* twenty check-quorum windows */
    struct raft_status s;
    assert_true(cluster_status(c, 0, &s));
    assert_int_equal(s.state, RAFT_LEADER);
    assert_true(s.epoch == first.epoch);
    assert_true(s.high_watermark > first.high_watermark);
    cluster_free(c);
}

static uint64_t run_hash(uint64_t seed)
{
    struct cluster *c = cluster_new(seed, 3, 0, 50);
    cluster_run_to(c, 4000);
    int leader = cluster_leader(c);
    assert_true(leader >= 0);
    world_node_crash(c->w, c->ids[leader]);
    cluster_run_to(c, 9000);
    world_node_start(c->w, c->ids[leader]);
    cluster_run_to(c, 12000);
    uint64_t hash = world_trace_hash(c->w);
    cluster_free(c);
    return hash;
}

static void test_same_seed_same_trace(void **state)
{
    assert_int_equal(run_hash(11), run_hash(11));
    assert_int_not_equal(run_hash(11), run_hash(12));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elect_3_voters),
        cmocka_unit_test(test_elect_5_voters),
        cmocka_unit_test(test_leader_crash_and_reelection),
        cmocka_unit_test(test_stopped_leader_hands_over_with_end_quorum_epoch),
        cmocka_unit_test(test_partitioned_leader_resigns_by_check_quorum),
        cmocka_unit_test(test_bug_no_check_quorum_keeps_two_leaders),
        cmocka_unit_test(test_single_voter_keeps_leading),
        cmocka_unit_test(test_same_seed_same_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
