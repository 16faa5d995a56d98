/*
 * gcoord_offsets_test.c: offsets and __consumer_offsets on the group coordinator.
 * Commits acknowledged only after the append completes, and failing with the log;
 * commit validation (simple commits, generations, members); OffsetFetch with -1 for
 * none and all topics; offsets and groups surviving a crash of the coordinator's node
 * through a real __consumer_offsets-0 plog on the simulated disk, with
 * COORDINATOR_LOAD_IN_PROGRESS while it loads; KIP-211 retention expiry writing
 * tombstones; DescribeGroups, ListGroups, DeleteGroups; FindCoordinator; the invariant
 * checks, and the bug switches group_ack_before_append and
 * group_stale_generation_commit caught. Kafka: GroupMetadataManagerTest,
 * OffsetMetadataManagerTest, GroupCoordinatorTest.
 */
#include "gcoord_testkit.h"

static const char *const plog_props[] = {"offsets.topic.num.partitions", "1",  "test.plog", "1",
                                         "test.append.delay.ms",         "20", NULL};

static void test_commit_acknowledged_after_append(void **state)
{
    static const char *const props[] = {"test.append.delay.ms", "50", NULL};
    struct tk t = tk_new_props(20, 0, props);
    struct tk_client cl[1];
    tk_group_form(&t, cl, 1, "g1", "range");
    tk_commit(&cl[0], 3, 42);
    assert_false(cl[0].commit_answered);
    tk_run_ms(&t, 30);
    assert_false(cl[0].commit_answered);
    int16_t err = -2;
    assert_int_equal(tk_fetch(&t, "g1", 3, &err), -1); /* not applied before it is written */
    assert_int_equal(err, 0);
    tk_run_ms(&t, 30);
    assert_true(cl[0].commit_answered);
    assert_int_equal(cl[0].commit_error, 0);
    assert_int_equal(tk_fetch(&t, "g1", 3, NULL), 42);
    assert_int_equal(tk_fetch(&t, "g1", 4, NULL), -1);
    tk_free(&t);
}

static void test_commit_and_sync_fail_with_the_log(void **state)
{
    struct tk t = tk_new(21, 0);
    struct tk_client cl[2];
    tk_group_form(&t, cl, 2, "g1", "range");
    tk_node(&t)->log.fail = true;
    tk_commit(&cl[0], 0, 7);
    tk_run_ms(&t, 20);
    assert_true(cl[0].commit_answered);
    assert_int_equal(cl[0].commit_error, KS_ERR_COORDINATOR_NOT_AVAILABLE);
    assert_int_equal(tk_fetch(&t, "g1", 0, NULL), -1);
    /* a rebalance whose GroupMetadata record fails: members rejoin */
    tk_join_topics(&cl[0], TK_TOPIC, "audit");
    tk_join(&cl[1]);
    struct tk_client *leader = strcmp(cl[0].leader, cl[0].member_id) == 0 ? &cl[0] : &cl[1];
    tk_sync_leader(leader);
    tk_sync(leader == &cl[0] ? &cl[1] : &cl[0]);
    tk_run_ms(&t, 20);
    assert_int_equal(cl[0].sync_error, KS_ERR_COORDINATOR_NOT_AVAILABLE);
    assert_int_equal(cl[1].sync_error, KS_ERR_COORDINATOR_NOT_AVAILABLE);
    assert_int_equal(tk_state(&t, "g1"), GMETA_PREPARING_REBALANCE);
    tk_free(&t);
}

static void test_commit_validation(void **state)
{
    struct tk t = tk_new(22, 0);
    struct tk_client simple, cl[2];
    tk_client_init(&simple, &t, "standalone", "s", "range");
    tk_commit_as(&simple, -1, "", 1, 100); /* a group nobody joined: simple commit */
    tk_run_ms(&t, 10);
    assert_int_equal(simple.commit_error, 0);
    assert_int_equal(tk_fetch(&t, "standalone", 1, NULL), 100);
    assert_int_equal(tk_state(&t, "standalone"), GMETA_EMPTY);
    tk_client_init(&simple, &t, "nogroup", "s", "range");
    tk_commit_as(&simple, 3, "someone", 1, 100);
    assert_int_equal(simple.commit_error, KS_ERR_ILLEGAL_GENERATION);

    tk_group_form(&t, cl, 2, "g1", "range");
    tk_client_init(&simple, &t, "g1", "s", "range");
    tk_commit_as(&simple, -1, "", 0, 5); /* the group has members */
    assert_int_equal(simple.commit_error, KS_ERR_UNKNOWN_MEMBER_ID);
    tk_commit_as(&cl[0], 0, cl[0].member_id, 0, 5);
    assert_int_equal(cl[0].commit_error, KS_ERR_ILLEGAL_GENERATION);
    tk_commit_as(&cl[0], 1, "ghost", 0, 5);
    assert_int_equal(cl[0].commit_error, KS_ERR_UNKNOWN_MEMBER_ID);
    /* during PreparingRebalance the current generation may still commit */
    tk_join_topics(&cl[0], TK_TOPIC, "audit");
    tk_commit(&cl[1], 0, 9);
    tk_run_ms(&t, 10);
    assert_int_equal(cl[1].commit_error, 0);
    assert_int_equal(tk_fetch(&t, "g1", 0, NULL), 9);
    tk_free(&t);
}

/* A zombie of generation 1 commits after the partition moved to another member in
 * generation 2. Returns whether gcoord_check_offsets_monotonic failed on the history
 * of acknowledged commits. */
static bool stale_commit_run(env_bug_mask bugs)
{
    struct tk t = tk_new(23, bugs);
    struct tk_client cl[2];
    tk_group_form(&t, cl, 2, "g1", "range");
    struct gcoord_commit_event history[4];
    uint32_t n = 0;
    struct tk_client zombie = cl[0];
    tk_commit(&cl[0], 0, 10);
    tk_run_ms(&t, 10);
    assert_int_equal(cl[0].commit_error, 0);
    history[n++] = (struct gcoord_commit_event){wire_string_from("g1"), wire_string_from(TK_TOPIC),
                                                0, 10, false};
    /* a rebalance to generation 2; the next owner of partition 0 commits further */
    tk_join_topics(&cl[1], TK_TOPIC, "audit");
    tk_join(&cl[0]);
    assert_int_equal(cl[1].generation, 2);
    struct tk_client *leader = strcmp(cl[0].leader, cl[0].member_id) == 0 ? &cl[0] : &cl[1];
    tk_sync_leader(leader);
    tk_sync(leader == &cl[0] ? &cl[1] : &cl[0]);
    tk_run_ms(&t, 10);
    tk_commit(&cl[1], 0, 20);
    tk_run_ms(&t, 10);
    assert_int_equal(cl[1].commit_error, 0);
    history[n++] = (struct gcoord_commit_event){wire_string_from("g1"), wire_string_from(TK_TOPIC),
                                                0, 20, false};
    tk_commit(&zombie, 0, 15); /* generation 1 */
    tk_run_ms(&t, 10);
    if (zombie.commit_error == 0)
        history[n++] = (struct gcoord_commit_event){wire_string_from("g1"),
                                                    wire_string_from(TK_TOPIC), 0, 15, false};
    else
        assert_int_equal(zombie.commit_error, KS_ERR_ILLEGAL_GENERATION);
    char why[256];
    bool failed = gcoord_check_offsets_monotonic(history, n, why, sizeof(why)) != KS_OK;
    if (failed)
        assert_non_null(strstr(why, "moved back from 20 to 15"));
    tk_free(&t);
    return failed;
}

static void test_bug_stale_generation_commit_caught(void **state)
{
    assert_false(stale_commit_run(0));
    assert_true(stale_commit_run(1ull << KS_BUG_GROUP_STALE_GENERATION_COMMIT));
}

static void test_offsets_and_group_survive_a_crash(void **state)
{
    struct tk t = tk_new_props(24, 0, plog_props);
    struct tk_client cl[3];
    tk_group_form(&t, cl, 3, "g1", "sticky");
    for (uint32_t i = 0; i < 3; i++) {
        tk_commit(&cl[i], (int32_t)i, 100 + i);
        tk_commit(&cl[i], (int32_t)i, 200 + i); /* the last value of a key wins */
    }
    struct tk_client simple;
    tk_client_init(&simple, &t, "standalone", "s", "range");
    tk_commit_as(&simple, -1, "", 5, 55);
    tk_run_ms(&t, 100);
    assert_int_equal(cl[2].commit_error, 0);
    assert_true(tk_node(&t)->log.records >= 8);
    tk_restart(&t);
    int16_t err = 0;
    tk_fetch(&t, "g1", 0, &err);
    assert_int_equal(err, KS_ERR_COORDINATOR_LOAD_IN_PROGRESS);
    tk_join(&cl[0]);
    assert_int_equal(cl[0].join_error, KS_ERR_COORDINATOR_LOAD_IN_PROGRESS);
    tk_run_ms(&t, 5);
    assert_int_equal(tk_node(&t)->loads_done, 1);
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(tk_fetch(&t, "g1", (int32_t)i, NULL), 200 + i);
    assert_int_equal(tk_fetch(&t, "g1", 3, NULL), -1);
    assert_int_equal(tk_fetch(&t, "standalone", 5, NULL), 55);
    /* the group came back Stable, members and assignments included */
    struct gmeta *g = gcoord_group_find(tk_coord(&t), wire_string_from("g1"));
    assert_non_null(g);
    assert_int_equal(g->state, GMETA_STABLE);
    assert_int_equal(g->generation, 1);
    assert_int_equal(g->member_count, 3);
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(tk_heartbeat(&cl[i]), 0);
        uint32_t before = tk_assigned_count(&cl[i]);
        tk_sync(&cl[i]);
        assert_int_equal(cl[i].sync_error, 0);
        assert_int_equal(tk_assigned_count(&cl[i]), before);
    }
    char why[256];
    assert_int_equal(gcoord_check_groups_single_owner(tk_coord(&t), why, sizeof(why)), KS_OK);
    /* members that never come back expire and the group rebalances to Empty */
    tk_run_ms(&t, 11000);
    assert_int_equal(tk_state(&t, "g1"), GMETA_EMPTY);
    assert_int_equal(tk_fetch(&t, "g1", 1, NULL), 201);
    tk_free(&t);
}

/* A commit whose append is slow; the coordinator's node crashes before it completes.
 * Returns whether an acknowledged commit was lost. */
static bool ack_before_append_run(env_bug_mask bugs)
{
    static const char *const props[] = {"offsets.topic.num.partitions", "1",   "test.plog", "1",
                                        "test.append.delay.ms",         "500", NULL};
    struct tk t = tk_new_props(25, bugs, props);
    struct tk_client simple;
    tk_client_init(&simple, &t, "g1", "s", "range");
    tk_commit_as(&simple, -1, "", 0, 77);
    tk_run_ms(&t, 100);
    bool acked = simple.commit_answered && simple.commit_error == 0;
    tk_restart(&t);
    tk_run_ms(&t, 5);
    int64_t offset = tk_fetch(&t, "g1", 0, NULL);
    tk_free(&t);
    return acked && offset != 77;
}

static void test_bug_ack_before_append_caught(void **state)
{
    assert_false(ack_before_append_run(0));
    assert_true(ack_before_append_run(1ull << KS_BUG_GROUP_ACK_BEFORE_APPEND));
}

/* Runs ms, the member heartbeating every 2 s. */
static void run_heartbeating(struct tk *t, struct tk_client *cl, uint64_t ms)
{
    for (uint64_t done = 0; done < ms; done += 2000) {
        tk_run_ms(t, ms - done < 2000 ? ms - done : 2000);
        assert_int_equal(tk_heartbeat(cl), 0);
    }
}

static void test_retention_expiry_writes_tombstones(void **state)
{
    static const char *const props[] = {"offsets.topic.num.partitions",
                                        "1",
                                        "test.plog",
                                        "1",
                                        "offsets.retention.minutes",
                                        "1",
                                        "offsets.retention.check.interval.ms",
                                        "10000",
                                        NULL};
    struct tk t = tk_new_props(26, 0, props);
    struct tk_client old, young, cl[1];
    tk_client_init(&old, &t, "old", "s", "range");
    tk_commit_as(&old, -1, "", 0, 1);
    tk_group_form(&t, cl, 1, "consumers", "range"); /* t = 3.1 s */
    tk_commit(&cl[0], 0, 5);
    run_heartbeating(&t, &cl[0], 40000);
    tk_client_init(&young, &t, "young", "s", "range");
    tk_commit_as(&young, -1, "", 0, 2);
    run_heartbeating(&t, &cl[0], 21000); /* t = 64 s: "old" is past a minute, not the rest */
    assert_int_equal(tk_fetch(&t, "old", 0, NULL), 1);
    run_heartbeating(&t, &cl[0], 10000); /* the check at 70 s expires it */
    assert_int_equal(tk_fetch(&t, "old", 0, NULL), -1);
    assert_null(gcoord_group_find(tk_coord(&t), wire_string_from("old")));
    assert_int_equal(tk_fetch(&t, "young", 0, NULL), 2);
    /* a Stable group's subscribed topics do not expire */
    assert_int_equal(tk_heartbeat(&cl[0]), 0);
    assert_int_equal(tk_fetch(&t, "consumers", 0, NULL), 5);
    tk_run_ms(&t, 100);
    tk_restart(&t); /* the tombstones are in the log */
    tk_run_ms(&t, 5);
    assert_int_equal(tk_fetch(&t, "old", 0, NULL), -1);
    assert_null(gcoord_group_find(tk_coord(&t), wire_string_from("old")));
    assert_int_equal(tk_fetch(&t, "young", 0, NULL), 2);
    assert_int_equal(tk_fetch(&t, "consumers", 0, NULL), 5);
    /* the consumer group empties (its member's session ends after the restart): its
     * offsets expire a minute after it became Empty */
    tk_run_ms(&t, 11000);
    assert_int_equal(tk_state(&t, "consumers"), GMETA_EMPTY);
    tk_run_ms(&t, 50000);
    assert_int_equal(tk_fetch(&t, "consumers", 0, NULL), 5);
    tk_run_ms(&t, 20000);
    assert_int_equal(tk_fetch(&t, "consumers", 0, NULL), -1);
    assert_int_equal(tk_fetch(&t, "young", 0, NULL), -1);
    tk_free(&t);
}

struct admin_result {
    uint32_t count;
    int16_t errors[4];
    char states[4][32];
    uint32_t members[4];
};

static void on_describe(void *ctx, const struct api_describe_groups_response *r)
{
    struct admin_result *out = ctx;
    out->count = r->group_count;
    for (uint32_t i = 0; i < r->group_count && i < 4; i++) {
        out->errors[i] = r->groups[i].error_code;
        tk_copy_string(out->states[i], sizeof(out->states[i]), r->groups[i].group_state);
        out->members[i] = r->groups[i].member_count;
    }
}

static void on_list(void *ctx, const struct api_list_groups_response *r)
{
    struct admin_result *out = ctx;
    out->count = r->group_count;
    out->errors[0] = r->error_code;
    for (uint32_t i = 0; i < r->group_count && i < 4; i++)
        tk_copy_string(out->states[i], sizeof(out->states[i]), r->groups[i].group_id);
}

static void on_delete(void *ctx, const struct api_delete_groups_response *r)
{
    struct admin_result *out = ctx;
    out->count = r->result_count;
    for (uint32_t i = 0; i < r->result_count && i < 4; i++)
        out->errors[i] = r->results[i].error_code;
}

static void test_describe_list_delete(void **state)
{
    struct tk t = tk_new(27, 0);
    struct tk_client cl[2], simple;
    tk_group_form(&t, cl, 2, "g1", "range");
    tk_client_init(&simple, &t, "g0", "s", "range");
    tk_commit_as(&simple, -1, "", 0, 3);
    tk_run_ms(&t, 10);
    struct gcoord_client who = {5, wire_string_from("admin"), wire_string_from("/h")};
    struct wire_string names[3] = {wire_string_from("g1"), wire_string_from("g0"),
                                   wire_string_from("nope")};
    struct api_describe_groups_request dreq = {3, names, false};
    struct admin_result r = {0};
    gcoord_describe_groups(tk_coord(&t), &who, &dreq, on_describe, &r);
    assert_int_equal(r.count, 3);
    assert_string_equal(r.states[0], "Stable");
    assert_int_equal(r.members[0], 2);
    assert_string_equal(r.states[1], "Empty");
    assert_string_equal(r.states[2], "Dead");
    struct wire_string stable = wire_string_from("stable");
    struct api_list_groups_request lreq = {0};
    memset(&r, 0, sizeof(r));
    gcoord_list_groups(tk_coord(&t), &who, &lreq, on_list, &r);
    assert_int_equal(r.count, 2);
    assert_string_equal(r.states[0], "g0"); /* in group id order */
    assert_string_equal(r.states[1], "g1");
    lreq.states_filter_count = 1;
    lreq.states_filter = &stable;
    gcoord_list_groups(tk_coord(&t), &who, &lreq, on_list, &r);
    assert_int_equal(r.count, 1);
    assert_string_equal(r.states[0], "g1");

    struct api_delete_groups_request del = {3, names};
    memset(&r, 0, sizeof(r));
    gcoord_delete_groups(tk_coord(&t), &who, &del, on_delete, &r);
    assert_int_equal(r.count, 0); /* waits for g0's tombstones */
    tk_run_ms(&t, 10);
    assert_int_equal(r.count, 3);
    assert_int_equal(r.errors[0], KS_ERR_NON_EMPTY_GROUP);
    assert_int_equal(r.errors[1], 0);
    assert_int_equal(r.errors[2], KS_ERR_GROUP_ID_NOT_FOUND);
    assert_int_equal(tk_fetch(&t, "g0", 0, NULL), -1);
    assert_null(gcoord_group_find(tk_coord(&t), wire_string_from("g0")));
    tk_free(&t);
}

static enum ks_err leader_of(void *ctx, int32_t partition, int32_t *node_id,
                             struct wire_string *host, int32_t *port)
{
    if (partition % 2 == 1)
        return KS_ERR_COORDINATOR_NOT_AVAILABLE;
    *node_id = partition;
    *host = wire_string_from("broker");
    *port = 9092;
    return KS_OK;
}

static void test_find_coordinator(void **state)
{
    struct gcoord_config config;
    gcoord_config_default(&config);
    struct wire_string keys[3] = {wire_string_from("polygenelubricants"), wire_string_from("g1"),
                                  wire_string_from("")};
    struct api_find_coordinator_request req = {API_FIND_COORDINATOR_KEY_TYPE_GROUP, 3, keys};
    struct api_find_coordinator_response r;
    gcoord_find_coordinator(&config, &req, leader_of, NULL, &r);
    assert_int_equal(r.coordinator_count, 3);
    /* hashCode is Integer.MIN_VALUE: Utils.abs gives 0 */
    assert_int_equal(r.coordinators[0].node_id, 0);
    assert_int_equal(r.coordinators[0].error_code, 0);
    int32_t p = gcoord_partition_for(&config, keys[1]);
    assert_int_equal(r.coordinators[1].error_code,
                     p % 2 ? KS_ERR_COORDINATOR_NOT_AVAILABLE : KS_OK);
    assert_int_equal(r.coordinators[2].error_code, KS_ERR_INVALID_GROUP_ID);
    gcoord_find_coordinator_response_free(&r);
    req.key_type = API_FIND_COORDINATOR_KEY_TYPE_TRANSACTION;
    gcoord_find_coordinator(&config, &req, leader_of, NULL, &r);
    assert_int_equal(r.coordinators[0].error_code, KS_ERR_INVALID_REQUEST);
    gcoord_find_coordinator_response_free(&r);
}

static void assignment_bytes(struct wire_writer *w, int32_t p0, int32_t p1)
{
    int32_t parts[2] = {p0, p1};
    struct cproto_topic_partitions tp = {wire_string_from(TK_TOPIC), 2, parts};
    struct cproto_assignment a = {0, 1, &tp, {NULL, -1}};
    wire_writer_init(w);
    cproto_assignment_encode(w, &a);
}

static void test_checks(void **state)
{
    struct wire_writer a, b, c;
    assignment_bytes(&a, 0, 1);
    assignment_bytes(&b, 2, 3);
    assignment_bytes(&c, 3, 4);
    struct gcoord_owner_report r[3] = {
        {wire_string_from("g"), 1, wire_string_from("m1"), {a.bytes, (int32_t)a.size_bytes}},
        {wire_string_from("g"), 1, wire_string_from("m2"), {b.bytes, (int32_t)b.size_bytes}},
        {wire_string_from("g"), 2, wire_string_from("m3"), {c.bytes, (int32_t)c.size_bytes}},
    };
    char why[256];
    assert_int_equal(gcoord_check_single_owner(r, 3, why, sizeof(why)), KS_OK);
    r[2].generation = 1; /* partition 3 twice in generation 1 */
    assert_int_equal(gcoord_check_single_owner(r, 3, why, sizeof(why)), KS_ERR_INVALID);
    assert_non_null(strstr(why, "orders-3 owned by m2 and m3"));
    uint8_t junk[3] = {0, 0, 9};
    r[2].assignment = (struct wire_bytes){junk, 3};
    assert_int_equal(gcoord_check_single_owner(r, 3, why, sizeof(why)), KS_ERR_INVALID);
    wire_writer_free(&a);
    wire_writer_free(&b);
    wire_writer_free(&c);

    struct gcoord_commit_event h[4] = {
        {wire_string_from("g"), wire_string_from("t"), 0, 10, false},
        {wire_string_from("g"), wire_string_from("t"), 1, 5, false},
        {wire_string_from("g"), wire_string_from("t"), 0, 3, true}, /* a seek */
        {wire_string_from("g"), wire_string_from("t"), 0, 4, false},
    };
    assert_int_equal(gcoord_check_offsets_monotonic(h, 4, why, sizeof(why)), KS_OK);
    h[2].reset = false;
    assert_int_equal(gcoord_check_offsets_monotonic(h, 4, why, sizeof(why)), KS_ERR_INVALID);
}

static void test_config_from_props(void **state)
{
    struct props props;
    props_init(&props);
    struct gcoord_config c;
    assert_int_equal(gcoord_config_from_props(&props, &c), KS_OK);
    assert_int_equal(c.offsets_partition_count, 50);
    assert_int_equal(c.group_initial_rebalance_delay_ms, 3000);
    assert_int_equal(c.offsets_retention_ms, 7LL * 24 * 3600 * 1000);
    assert_int_equal(props_set(&props, "offsets.retention.minutes", "2"), KS_OK);
    assert_int_equal(gcoord_config_from_props(&props, &c), KS_OK);
    assert_int_equal(c.offsets_retention_ms, 120000);
    assert_int_equal(props_set(&props, "offsets.topic.num.partitions", "0"), KS_OK);
    assert_int_equal(gcoord_config_from_props(&props, &c), KS_ERR_INVALID);
    assert_int_equal(props_set(&props, "offsets.topic.num.partitions", "x"), KS_OK);
    assert_int_equal(gcoord_config_from_props(&props, &c), KS_ERR_INVALID);
    props_free(&props);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_acknowledged_after_append),
        cmocka_unit_test(test_commit_and_sync_fail_with_the_log),
        cmocka_unit_test(test_commit_validation),
        cmocka_unit_test(test_bug_stale_generation_commit_caught),
        cmocka_unit_test(test_offsets_and_group_survive_a_crash),
        cmocka_unit_test(test_bug_ack_before_append_caught),
        cmocka_unit_test(test_retention_expiry_writes_tombstones),
        cmocka_unit_test(test_describe_list_delete),
        cmocka_unit_test(test_find_coordinator),
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_config_from_props),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
