/*
 * raft_config_test.c: parsing of a controller's properties: controller.quorum.voters
 * in good and bad forms, node.id among the voters, the port and timeout defaults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "system/raft/raft_config.h"

static enum ks_err parse(const char *node_id, const char *voters, struct raft_config *out)
{
    struct props props;
    props_init(&props);
    if (node_id != NULL)
        assert_int_equal(props_set(&props, "node.id", node_id), KS_OK);
    if (voters != NULL)
        assert_int_equal(props_set(&props, "controller.quorum.voters", voters), KS_OK);
    enum ks_err err = raft_config_parse(&props, out);
    props_free(&props);
    return err;
}

static void test_voters_table(void **state)
{
    static const struct {
        const char *name;
        const char *node_id;
        const char *voters;
        enum ks_err err;
        uint32_t count;
    } cases[] = {
        {"three voters", "2", "1@c1:9093,2@c2:9093,3@c3:9093", KS_OK, 3},
        {"one voter", "7", "7@host-a:1", KS_OK, 1},
        {"unsorted", "1", "3@c3:9093,1@c1:9093", KS_OK, 2},
        {"node not a voter", "4", "1@c1:9093,2@c2:9093", KS_ERR_INVALID, 0},
        {"duplicate id", "1", "1@c1:9093,1@c2:9093", KS_ERR_INVALID, 0},
        {"no port", "1", "1@c1", KS_ERR_INVALID, 0},
        {"port zero", "1", "1@c1:0", KS_ERR_INVALID, 0},
        {"port too big", "1", "1@c1:65536", KS_ERR_INVALID, 0},
        {"no host", "1", "1@:9093", KS_ERR_INVALID, 0},
        {"no id", "1", "@c1:9093", KS_ERR_INVALID, 0},
        {"empty entry", "1", "1@c1:9093,", KS_ERR_INVALID, 0},
        {"missing voters", "1", NULL, KS_ERR_INVALID, 0},
        {"missing node.id", NULL, "1@c1:9093", KS_ERR_INVALID, 0},
        {"negative node.id", "-1", "1@c1:9093", KS_ERR_INVALID, 0},
        {"ten voters", "1", "1@a:1,2@a:1,3@a:1,4@a:1,5@a:1,6@a:1,7@a:1,8@a:1,9@a:1,10@a:1",
         KS_ERR_TOO_MANY, 0},
    };
    for (size_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        struct raft_config config;
        enum ks_err err = parse(cases[i].node_id, cases[i].voters, &config);
        if (err != cases[i].err)
            fail_msg("%s: got %s", cases[i].name, ks_err_name(err));
        if (err == KS_OK)
            assert_int_equal(config.voter_count, cases[i].count);
    }
}

static void test_defaults_and_lookup(void **state)
{
    struct raft_config config;
    assert_int_equal(parse("2", "3@c3:9095,1@c1:9093,2@c2:9094", &config), KS_OK);
    assert_int_equal(config.voters[0].id, 1);
    assert_string_equal(config.voters[2].host, "c3");
    assert_int_equal(config.listener_port, 9094);
    assert_int_equal(config.election_timeout_ms, 1000);
    assert_int_equal(config.fetch_timeout_ms, 2000);
    assert_int_equal(config.election_backoff_max_ms, 1000);
    assert_int_equal(config.request_timeout_ms, 2000);
    assert_int_equal(config.retry_backoff_ms, 20);
    assert_int_equal(config.append_interval_ms, 0);
    assert_int_equal(raft_config_voter_index(&config, 3), 2);
    assert_int_equal(raft_config_voter_index(&config, 4), -1);
    assert_int_equal(raft_config_majority(&config), 2);
}

static void test_timeouts_overridden_and_checked(void **state)
{
    struct props props;
    struct raft_config config;
    props_init(&props);
    assert_int_equal(props_set(&props, "node.id", "1"), KS_OK);
    assert_int_equal(props_set(&props, "controller.quorum.voters", "1@c1:9093"), KS_OK);
    assert_int_equal(props_set(&props, "controller.quorum.election.timeout.ms", "300"), KS_OK);
    assert_int_equal(props_set(&props, "controller.listener.port", "19093"), KS_OK);
    assert_int_equal(raft_config_parse(&props, &config), KS_OK);
    assert_int_equal(config.election_timeout_ms, 300);
    assert_int_equal(config.listener_port, 19093);
    assert_int_equal(props_set(&props, "controller.quorum.fetch.timeout.ms", "0"), KS_OK);
    assert_int_equal(raft_config_parse(&props, &config), KS_ERR_INVALID);
    assert_int_equal(props_set(&props, "controller.quorum.fetch.timeout.ms", "x"), KS_OK);
    assert_int_equal(raft_config_parse(&props, &config), KS_ERR_INVALID);
    props_free(&props);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_voters_table),
        cmocka_unit_test(test_defaults_and_lookup),
        cmocka_unit_test(test_timeouts_overridden_and_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
