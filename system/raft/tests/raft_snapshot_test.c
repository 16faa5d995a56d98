/*
 * raft_snapshot_test.c: KRaft snapshots (KIP-630). The snapshot file's bytes (header,
 * image, footer batches) both ways and bad ones refused; files found newest-first with
 * leftovers deleted; under simulation, every voter snapshots after
 * metadata.log.max.record.bytes.between.snapshots and moves its log start, a restarted
 * voter reloads its image from the snapshot, and a voter that was down while the log
 * start passed its log end catches up with FetchSnapshot. raft_cluster.h checks after
 * every event that state machine images agree at every applied offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "raft_cluster.h"
#include "raft_test_disk.h"
#include "system/raft/raft_snapshot.h"

#define SEEDS_SNAPSHOT 5u
#define SNAPSHOT_BYTES 3000u

static void test_build_parse_round_trip(void **state)
{
    struct raft_snapshot_id id = {.end_offset = 120, .epoch = 4};
    static const uint8_t image[] = {1, 2, 3, 4, 5};
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    assert_int_equal(raft_snapshot_build(&id, 1000, image, sizeof(image), &bytes, &size), KS_OK);
    const uint8_t *out = NULL;
    uint32_t out_size = 0;
    assert_int_equal(raft_snapshot_parse(bytes, size, &out, &out_size), KS_OK);
    assert_int_equal(out_size, sizeof(image));
    assert_memory_equal(out, image, sizeof(image));
    for (uint32_t n = 0; n < size; n++) /* every prefix is refused */
        assert_int_equal(raft_snapshot_parse(bytes, n, &out, &out_size), KS_ERR_CORRUPT_MESSAGE);
    bytes[size - 1] ^= 0x40; /* the footer's CRC breaks */
    assert_int_equal(raft_snapshot_parse(bytes, size, &out, &out_size), KS_ERR_CORRUPT_MESSAGE);
    free(bytes);
}

static void test_files_newest_wins_and_leftovers_go(void **state)
{
    struct test_disk d = test_disk_new(1);
    struct env *env = test_disk_env(&d);
    struct raft_snapshot_id ids[] = {{50, 2}, {90, 3}, {90, 2}};
    assert_int_equal(env_dir_create(env, "m"), KS_OK);
    assert_int_equal(env_dir_sync(env, ""), KS_OK);
    for (size_t i = 0; i < KS_ARRAY_COUNT(ids); i++) {
        uint8_t *bytes = NULL;
        uint32_t size = 0;
        assert_int_equal(raft_snapshot_build(&ids[i], 1, (const uint8_t *)"x", 1, &bytes, &size),
                         KS_OK);
        assert_int_equal(raft_snapshot_write(env, "m", &ids[i], bytes, size), KS_OK);
        free(bytes);
    }
    env_file_id file = 0;
    assert_int_equal(env_file_open(env, "m/00000000000000000100-0000000003.checkpoint.part",
                                   ENV_FILE_CREATE, &file),
                     KS_OK);
    env_file_close(env, file);
    struct raft_snapshot_id latest;
    bool found = false;
    assert_int_equal(raft_snapshot_latest(env, "m", &latest, &found), KS_OK);
    assert_true(found);
    assert_int_equal(latest.end_offset, 90);
    assert_int_equal(latest.epoch, 3);
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    assert_int_equal(raft_snapshot_read(env, "m", &ids[0], &bytes, &size), KS_ERR_NOT_FOUND);
    assert_int_equal(raft_snapshot_read(env, "m", &latest, &bytes, &size), KS_OK);
    free(bytes);
    test_disk_crash_restart(&d); /* written durably: still there */
    assert_int_equal(raft_snapshot_latest(test_disk_env(&d), "m", &latest, &found), KS_OK);
    assert_true(found);
    assert_int_equal(latest.end_offset, 90);
    world_destroy(d.w);
}

static void check_clean(struct cluster *c, uint64_t seed)
{
    if (c->violated)
        cluster_print(c, seed);
    assert_false(c->violated);
}

static void test_voters_snapshot_and_restart_from_it(void **state)
{
    for (uint64_t seed = 1; seed <= SEEDS_SNAPSHOT; seed++) {
        struct cluster *c = cluster_new_snapshots(seed, 3, 0, 20, SNAPSHOT_BYTES);
        cluster_run_to(c, 8000);
        check_clean(c, seed);
        for (uint32_t i = 0; i < 3; i++) {
            struct raft_status s;
            assert_true(cluster_status(c, i, &s));
            assert_true(s.snapshots_taken >= 1);
            assert_true(s.log_start_offset > 0);
        }
        world_node_crash(c->w, c->ids[1]);
        cluster_run_to(c, 8500);
        world_node_start(c->w, c->ids[1]);
        struct raft_status s;
        assert_true(cluster_status(c, 1, &s));
        assert_true(s.applied_offset > 0); /* loaded from its snapshot */
        assert_true(s.applied_offset >= s.log_start_offset);
        cluster_run_to(c, 12000);
        check_clean(c, seed);
        cluster_free(c);
    }
}

static void test_lagging_voter_catches_up_with_fetch_snapshot(void **state)
{
    for (uint64_t seed = 1; seed <= SEEDS_SNAPSHOT; seed++) {
        struct cluster *c = cluster_new_snapshots(seed, 3, 0, 20, SNAPSHOT_BYTES);
        cluster_run_to(c, 3000);
        int leader = cluster_leader(c);
        assert_true(leader >= 0);
        uint32_t lagging = ((uint32_t)leader + 1) % 3;
        struct raft_status before;
        assert_true(cluster_status(c, lagging, &before));
        world_node_crash(c->w, c->ids[lagging]);
        cluster_run_to(c, 9000);
        struct raft_status ls;
        assert_true(cluster_status(c, (uint32_t)leader, &ls));
        assert_true(ls.log_start_offset > before.log_end_offset); /* it must fetch a snapshot */
        world_node_start(c->w, c->ids[lagging]);
        cluster_run_to(c, 14000);
        check_clean(c, seed);
        struct raft_status s;
        assert_true(cluster_status(c, lagging, &s));
        if (s.snapshots_installed < 1 || s.state != RAFT_FOLLOWER)
            cluster_print(c, seed);
        assert_true(s.snapshots_installed >= 1);
        assert_int_equal(s.state, RAFT_FOLLOWER);
        assert_true(s.high_watermark > ls.log_start_offset);
        cluster_free(c);
    }
}

/* Crashes and restarts of a minority while snapshots come and go. */
static void test_minority_crashes_with_snapshots(void **state)
{
    for (uint64_t seed = 1; seed <= SEEDS_SNAPSHOT; seed++) {
        struct cluster *c = cluster_new_snapshots(seed, 3, 0, 20, SNAPSHOT_BYTES);
        struct rng *rng = world_rng(c->w);
        cluster_run_to(c, 2000);
        for (uint32_t round = 0; round < 16 && !c->violated; round++) {
            uint32_t i = (uint32_t)rng_below(rng, 3), down = 0;
            for (uint32_t j = 0; j < 3; j++)
                down += world_node_impl(c->w, c->ids[j]) == NULL;
            if (world_node_impl(c->w, c->ids[i]) != NULL && down == 0)
                world_node_crash(c->w, c->ids[i]);
            else if (world_node_impl(c->w, c->ids[i]) == NULL)
                world_node_start(c->w, c->ids[i]);
            cluster_run_to(c, cluster_now_ms(c) + 500 + rng_below(rng, 3000));
        }
        for (uint32_t j = 0; j < 3; j++) {
            if (world_node_impl(c->w, c->ids[j]) == NULL)
                world_node_start(c->w, c->ids[j]);
        }
        cluster_run_to(c, cluster_now_ms(c) + 6000);
        check_clean(c, seed);
        int leader = cluster_leader(c);
        assert_true(leader >= 0);
        assert_true(cluster_count_in_state(c, RAFT_FOLLOWER) == 2);
        cluster_free(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_parse_round_trip),
        cmocka_unit_test(test_files_newest_wins_and_leftovers_go),
        cmocka_unit_test(test_voters_snapshot_and_restart_from_it),
        cmocka_unit_test(test_lagging_voter_catches_up_with_fetch_snapshot),
        cmocka_unit_test(test_minority_crashes_with_snapshots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
