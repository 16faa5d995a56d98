/*
 * raft_qstate_test.c: the quorum-state file: Kafka's JSON (data_version 0) byte for
 * byte, parsing good and bad texts, write then read, a missing file, and durability
 * across a crash (tmp, fsync, rename, dir sync).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "raft_test_disk.h"
#include "system/raft/raft_qstate.h"

static struct raft_config three_voters(void)
{
    struct raft_config config = {.node_id = 1, .voter_count = 3};
    for (uint32_t i = 0; i < 3; i++)
        config.voters[i].id = (int32_t)i + 1;
    return config;
}

static void test_format_golden(void **state)
{
    struct raft_config config = three_voters();
    struct raft_qstate qs = {.leader_epoch = 7, .leader_id = 3, .voted_id = -1};
    char buf[RAFT_QSTATE_BYTES_MAX];
    uint32_t n = raft_qstate_format(&qs, &config, buf, sizeof(buf));
    static const char golden[] =
        "{\"clusterId\":\"\",\"leaderId\":3,\"leaderEpoch\":7,\"votedId\":-1,\"appliedOffset\":0,"
        "\"currentVoters\":[{\"voterId\":1},{\"voterId\":2},{\"voterId\":3}],\"data_version\":0}";
    assert_int_equal(n, strlen(golden));
    assert_string_equal(buf, golden);
}

static void test_parse_table(void **state)
{
    static const struct {
        const char *text;
        enum ks_err err;
        int32_t epoch, leader, voted;
    } cases[] = {
        {"{\"leaderId\":-1,\"leaderEpoch\":4,\"votedId\":2,\"data_version\":0}", KS_OK, 4, -1, 2},
        {"{\"clusterId\":\"x\",\"leaderId\":1,\"leaderEpoch\":0,\"votedId\":-1,\"appliedOffset\":0,"
         "\"currentVoters\":null,\"data_version\":0}",
         KS_OK, 0, 1, -1},
        {"{\"leaderId\":1,\"leaderEpoch\":4,\"data_version\":0}", KS_ERR_CORRUPT_MESSAGE, 0, 0, 0},
        {"{\"leaderId\":1,\"leaderEpoch\":4,\"votedId\":1,\"data_version\":1}",
         KS_ERR_CORRUPT_MESSAGE, 0, 0, 0},
        {"{\"leaderId\":1,\"leaderEpoch\":-4,\"votedId\":1,\"data_version\":0}",
         KS_ERR_CORRUPT_MESSAGE, 0, 0, 0},
        {"{\"leaderId\":1,\"leaderEpoch\":99999999999,\"votedId\":1,\"data_version\":0}",
         KS_ERR_CORRUPT_MESSAGE, 0, 0, 0},
        {"{\"leaderId\":x,\"leaderEpoch\":1,\"votedId\":1,\"data_version\":0}",
         KS_ERR_CORRUPT_MESSAGE, 0, 0, 0},
        {"{\"leaderId\":1,\"leaderEpoch\":1,\"votedId\":1,\"data_version\":0",
         KS_ERR_CORRUPT_MESSAGE, 0, 0, 0},
        {"", KS_ERR_CORRUPT_MESSAGE, 0, 0, 0},
    };
    for (size_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        struct raft_qstate qs;
        enum ks_err err = raft_qstate_parse(cases[i].text, (uint32_t)strlen(cases[i].text), &qs);
        if (err != cases[i].err)
            fail_msg("case %zu: got %s", i, ks_err_name(err));
        if (err != KS_OK)
            continue;
        assert_int_equal(qs.leader_epoch, cases[i].epoch);
        assert_int_equal(qs.leader_id, cases[i].leader);
        assert_int_equal(qs.voted_id, cases[i].voted);
    }
}

static void test_write_read_and_crash(void **state)
{
    struct test_disk d = test_disk_new(1);
    struct raft_config config = three_voters();
    struct raft_qstate qs;
    assert_int_equal(env_dir_create(test_disk_env(&d), "q"), KS_OK);
    assert_int_equal(env_dir_sync(test_disk_env(&d), ""), KS_OK);
    assert_int_equal(raft_qstate_read(test_disk_env(&d), "q", &qs), KS_OK); /* missing */
    assert_int_equal(qs.leader_epoch, 0);
    assert_int_equal(qs.leader_id, -1);
    assert_int_equal(qs.voted_id, -1);
    for (int32_t epoch = 1; epoch <= 5; epoch++) {
        struct raft_qstate w = {.leader_epoch = epoch, .leader_id = -1, .voted_id = epoch % 3 + 1};
        assert_int_equal(raft_qstate_write(test_disk_env(&d), "q", &w, &config), KS_OK);
        test_disk_crash_restart(&d);
        assert_int_equal(raft_qstate_read(test_disk_env(&d), "q", &qs), KS_OK);
        assert_int_equal(qs.leader_epoch, epoch);
        assert_int_equal(qs.voted_id, epoch % 3 + 1);
    }
    world_destroy(d.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_golden),
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_write_read_and_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
