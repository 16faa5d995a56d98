/*
 * raft_invariants_test.c: the scenario module's Raft invariants (sim/nodes_raft.c),
 * driven through inv_set as `ksim run` drives them: a quorum under a leader crash and
 * a partition passes all three; raft_hw_from_minority breaks raft_committed_never_lost;
 * a run that ends too soon after a fault fails raft_leader_elected's quiet rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "raft_cluster.h"
#include "sim/inv.h"

static const struct inv_def *const raft_invariants[] = {
    &nodes_raft_inv_one_leader_per_epoch,
    &nodes_raft_inv_committed_never_lost,
    &nodes_raft_inv_leader_elected,
};

/* Crash the leader at 4 s, restart it at 7 s, isolate the new leader 10-16 s; the
 * run ends at end_ms. Returns the violations' invariant names joined, "" when none. */
static void faulty_run(uint64_t seed, env_bug_mask bugs, uint64_t end_ms, char *out, size_t n)
{
    struct cluster *c = cluster_new(seed, 3, bugs, 20);
    struct inv_set *set =
        inv_set_create(c->w, raft_invariants, KS_ARRAY_COUNT(raft_invariants), NULL, NULL);
    world_run_until(c->w, 4000 * MS, UINT64_MAX);
    int leader = cluster_leader(c);
    assert_true(leader >= 0);
    world_node_crash(c->w, c->ids[leader]);
    inv_set_disturbed(set);
    world_run_until(c->w, 7000 * MS, UINT64_MAX);
    world_node_start(c->w, c->ids[leader]);
    inv_set_disturbed(set);
    world_run_until(c->w, 10000 * MS, UINT64_MAX);
    int second = cluster_leader(c);
    assert_true(second >= 0);
    cluster_isolate(c, (uint32_t)second);
    inv_set_disturbed(set);
    world_run_until(c->w, 16000 * MS, UINT64_MAX);
    world_heal(c->w);
    inv_set_disturbed(set);
    world_run_until(c->w, end_ms * MS, UINT64_MAX);
    inv_set_finish(set);
    uint32_t count = 0;
    const struct inv_violation *v = inv_set_violations(set, &count);
    out[0] = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (strstr(out, v[i].invariant) == NULL)
            snprintf(out + strlen(out), n - strlen(out), "%s ", v[i].invariant);
    }
    cluster_free(c); /* destroys the world first: it keeps the set's observer */
    inv_set_destroy(set);
}

static void test_faults_keep_every_invariant(void **state)
{
    char found[256];
    for (uint64_t seed = 1; seed <= 5; seed++) {
        faulty_run(seed, 0, 26000, found, sizeof(found));
        if (found[0] != 0)
            fail_msg("seed %llu: %s", (unsigned long long)seed, found);
    }
}

static void test_hw_from_minority_breaks_committed_never_lost(void **state)
{
    char found[256];
    uint32_t caught = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        faulty_run(seed, 1ull << KS_BUG_RAFT_HW_FROM_MINORITY, 26000, found, sizeof(found));
        caught += strstr(found, "raft_committed_never_lost") != NULL;
    }
    assert_true(caught > 0);
}

static void test_leader_elected_needs_quiet(void **state)
{
    char found[256];
    faulty_run(1, 0, 17000, found, sizeof(found));
    assert_string_equal(found, "raft_leader_elected ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faults_keep_every_invariant),
        cmocka_unit_test(test_hw_from_minority_breaks_committed_never_lost),
        cmocka_unit_test(test_leader_elected_needs_quiet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
