/*
 * gcoord_test.c: the classic group coordinator in a simulated world, one coordinator
 * node with a fake __consumer_offsets log. Join and sync flows of 1 to 5 members under
 * every assignor's protocol name; the MEMBER_ID_REQUIRED handshake; the initial
 * rebalance delay; session expiry and the rebalance and SyncGroup deadlines; static
 * members restarting without a rebalance; heartbeats during rebalances; LeaveGroup;
 * offset commits acknowledged only once their records are replicated (and failing with
 * the log); the errors; DescribeGroups, ListGroups, DeleteGroups; the invariant checks,
 * and the bug switch group_skip_rebalance_on_expiry caught by them; a property test of
 * members joining, crashing and returning at random with the checks after every tick
 * and liveness once the faults stop. Kafka: GroupCoordinatorTest, GroupMetadataTest.
 */
#include "gcoord_testkit.h"
#include "sim/rng.h"

static const char *const protocols[] = {"range", "roundrobin", "sticky", "cooperative-sticky"};

static void test_join_sync_flows(void **state)
{
    for (uint32_t p = 0; p < KS_ARRAY_COUNT(protocols); p++) {
        for (uint32_t n = 1; n <= 5; n++) {
            struct tk t = tk_new(100 + p * 10 + n, 0);
            struct tk_client cl[5];
            tk_group_form(&t, cl, n, "g1", protocols[p]);
            assert_int_equal(tk_state(&t, "g1"), GMETA_STABLE);
            uint32_t total = 0;
            for (uint32_t i = 0; i < n; i++) {
                assert_int_equal(cl[i].generation, 1);
                assert_int_equal(tk_heartbeat(&cl[i]), 0);
                uint32_t mine = tk_assigned_count(&cl[i]);
                assert_true(mine >= TK_TOPIC_PARTITIONS / n);
                assert_true(mine <= TK_TOPIC_PARTITIONS / n + 1);
                total += mine;
            }
            assert_int_equal(total, TK_TOPIC_PARTITIONS);
            struct gcoord_owner_report reports[5];
            tk_reports(cl, n, reports);
            char why[256];
            assert_int_equal(gcoord_check_single_owner(reports, n, why, sizeof(why)), KS_OK);
            assert_int_equal(gcoord_check_groups_single_owner(tk_coord(&t), why, sizeof(why)),
                             KS_OK);
            assert_int_equal(gcoord_check_generation_members(tk_coord(&t), why, sizeof(why)),
                             KS_OK);
            /* the group's metadata record was written once the leader synced */
            assert_true(tk_node(&t)->log.completed >= 1);
            tk_free(&t);
        }
    }
}

static void test_member_id_handshake(void **state)
{
    struct tk t = tk_new(1, 0);
    struct tk_client a, b, c;
    tk_client_init(&a, &t, "g1", "client-a", "range");
    tk_join(&a);
    assert_int_equal(a.join_error, KS_ERR_MEMBER_ID_REQUIRED);
    assert_true(strncmp(a.member_id, "client-a-", 9) == 0);
    assert_int_equal(strlen(a.member_id), 9 + 36);
    /* an id the coordinator never gave out */
    tk_client_init(&b, &t, "g1", "client-b", "range");
    strcpy(b.member_id, "client-b-made-up");
    tk_join(&b);
    assert_int_equal(b.join_error, KS_ERR_UNKNOWN_MEMBER_ID);
    /* below v4 a new member joins at once, without the handshake */
    tk_client_init(&c, &t, "g1", "client-c", "range");
    c.join_version = 3;
    tk_join(&c);
    assert_false(c.join_answered);
    tk_join(&a); /* with the id it got */
    assert_false(a.join_answered);
    tk_run_ms(&t, 6100);
    assert_int_equal(a.join_error, 0);
    assert_int_equal(c.join_error, 0);
    assert_int_equal(a.generation, 1);
    /* the first joiner leads */
    assert_string_equal(a.leader, c.member_id);
    assert_int_equal(c.join_member_count, 2);
    assert_int_equal(a.join_member_count, 0);
    tk_free(&t);
}

static void test_initial_rebalance_delay(void **state)
{
    struct tk t = tk_new(2, 0);
    struct tk_client a, b;
    tk_client_init(&a, &t, "g1", "a", "range");
    tk_client_init(&b, &t, "g1", "b", "range");
    a.join_version = b.join_version = 3;
    tk_join(&a);
    tk_run_ms(&t, 2000);
    assert_false(a.join_answered);
    tk_join(&b); /* a new member within the delay extends it by another delay */
    tk_run_ms(&t, 900);
    assert_false(a.join_answered);
    tk_run_ms(&t, 3000); /* t = 5.9 s */
    assert_false(a.join_answered);
    tk_run_ms(&t, 200); /* t = 6.1 s, past 3 s + 3 s */
    assert_true(a.join_answered);
    assert_true(b.join_answered);
    assert_int_equal(a.generation, 1);
    assert_int_equal(b.generation, 1);

    /* a group that has been Stable rebalances without the initial delay */
    tk_sync_leader(&a);
    tk_sync(&b);
    tk_run_ms(&t, 50);
    assert_int_equal(tk_state(&t, "g1"), GMETA_STABLE);
    tk_join_topics(&b, TK_TOPIC, "audit"); /* new metadata */
    assert_int_equal(tk_state(&t, "g1"), GMETA_PREPARING_REBALANCE);
    tk_join(&a);
    assert_true(a.join_answered); /* everyone rejoined: the join phase ends at once */
    assert_int_equal(a.generation, 2);
    tk_free(&t);
}

/* Two members; b stops heartbeating. Returns a's heartbeat answers after b's session. */
static void session_expiry_run(env_bug_mask bugs, bool *rebalanced, bool *check_failed)
{
    struct tk t = tk_new(3, bugs);
    struct tk_client cl[2];
    tk_group_form(&t, cl, 2, "g1", "range");
    *rebalanced = false;
    *check_failed = false;
    char why[256];
    for (uint32_t s = 0; s < 30; s++) {
        tk_run_ms(&t, 1000);
        int16_t err = tk_heartbeat(&cl[0]);
        if (err == KS_ERR_REBALANCE_IN_PROGRESS) {
            *rebalanced = true;
            break;
        }
        assert_int_equal(err, 0);
        if (gcoord_check_generation_members(tk_coord(&t), why, sizeof(why)) != KS_OK)
            *check_failed = true;
    }
    if (*rebalanced) {
        assert_int_equal(tk_state(&t, "g1"), GMETA_PREPARING_REBALANCE);
        tk_join(&cl[0]);
        assert_true(cl[0].join_answered);
        assert_int_equal(cl[0].generation, 2);
        assert_string_equal(cl[0].leader, cl[0].member_id);
        assert_int_equal(cl[0].join_member_count, 1);
        assert_int_equal(tk_heartbeat(&cl[1]), KS_ERR_UNKNOWN_MEMBER_ID);
    }
    tk_free(&t);
}

static void test_session_expiry_rebalances(void **state)
{
    bool rebalanced, check_failed;
    session_expiry_run(0, &rebalanced, &check_failed);
    assert_true(rebalanced);
    assert_false(check_failed);
}

static void test_bug_skip_rebalance_on_expiry_caught(void **state)
{
    bool rebalanced, check_failed;
    session_expiry_run(1ull << KS_BUG_GROUP_SKIP_REBALANCE_ON_EXPIRY, &rebalanced, &check_failed);
    assert_false(rebalanced);
    assert_true(check_failed); /* gcoord_check_generation_members catches it */
}

static void test_rebalance_timeout_removes_absent_members(void **state)
{
    struct tk t = tk_new(4, 0);
    struct tk_client cl[2];
    tk_group_form(&t, cl, 2, "g1", "range");
    tk_join_topics(&cl[0], TK_TOPIC, "audit"); /* starts a rebalance */
    assert_false(cl[0].join_answered);
    /* cl[1] heartbeats (told to rejoin) but never does: out at the rebalance timeout */
    for (uint32_t s = 0; s < 19; s++) {
        tk_run_ms(&t, 1000);
        assert_int_equal(tk_heartbeat(&cl[1]), KS_ERR_REBALANCE_IN_PROGRESS);
        assert_false(cl[0].join_answered);
    }
    tk_run_ms(&t, 1100);
    assert_true(cl[0].join_answered);
    assert_int_equal(cl[0].generation, 2);
    assert_int_equal(cl[0].join_member_count, 1);
    assert_int_equal(tk_heartbeat(&cl[1]), KS_ERR_UNKNOWN_MEMBER_ID);
    tk_free(&t);
}

static void test_sync_deadline_removes_silent_members(void **state)
{
    struct tk t = tk_new(5, 0);
    struct tk_client cl[2];
    tk_client_init(&cl[0], &t, "g1", "a", "range");
    tk_client_init(&cl[1], &t, "g1", "b", "range");
    cl[0].join_version = cl[1].join_version = 3;
    tk_join(&cl[0]);
    tk_join(&cl[1]);
    tk_run_ms(&t, 6100);
    struct tk_client *leader = strcmp(cl[0].leader, cl[0].member_id) == 0 ? &cl[0] : &cl[1];
    struct tk_client *follower = leader == &cl[0] ? &cl[1] : &cl[0];
    tk_sync(follower); /* the leader heartbeats but never syncs (KAFKA-12890) */
    for (uint32_t s = 0; s < 19; s++) {
        tk_run_ms(&t, 1000);
        assert_int_equal(tk_heartbeat(follower), 0);
        assert_int_equal(tk_heartbeat(leader), 0);
    }
    assert_false(follower->sync_answered);
    tk_run_ms(&t, 1100);
    assert_true(follower->sync_answered);
    assert_int_equal(follower->sync_error, KS_ERR_REBALANCE_IN_PROGRESS);
    assert_int_equal(tk_heartbeat(leader), KS_ERR_UNKNOWN_MEMBER_ID);
    tk_free(&t);
}

static void test_static_member_restart_without_rebalance(void **state)
{
    struct tk t = tk_new(6, 0);
    struct tk_client cl[2];
    for (uint32_t i = 0; i < 2; i++) {
        tk_client_init(&cl[i], &t, "g1", i ? "b" : "a", "range");
        snprintf(cl[i].instance_id, sizeof(cl[i].instance_id), "instance-%u", i);
        tk_join(&cl[i]); /* static members need no handshake */
    }
    tk_run_ms(&t, 6100);
    assert_int_equal(cl[0].join_error, 0);
    assert_true(strncmp(cl[0].member_id, "instance-0-", 11) == 0);
    struct tk_client *leader = strcmp(cl[0].leader, cl[0].member_id) == 0 ? &cl[0] : &cl[1];
    tk_sync_leader(leader);
    tk_sync(leader == &cl[0] ? &cl[1] : &cl[0]);
    tk_run_ms(&t, 50);
    assert_int_equal(tk_state(&t, "g1"), GMETA_STABLE);
    uint32_t assigned = tk_assigned_count(&cl[1]);
    assert_true(assigned > 0);

    /* cl[1] restarts: same instance id, no member id, same subscription */
    char old_id[TK_ID_BYTES];
    strcpy(old_id, cl[1].member_id);
    struct tk_client restarted = cl[1];
    restarted.member_id[0] = '\0';
    tk_join(&restarted);
    assert_false(restarted.join_answered); /* the replacement is written first */
    tk_run_ms(&t, 50);
    assert_true(restarted.join_answered);
    assert_int_equal(restarted.join_error, 0);
    assert_int_equal(restarted.generation, 1); /* no rebalance */
    assert_string_not_equal(restarted.member_id, old_id);
    assert_int_equal(tk_state(&t, "g1"), GMETA_STABLE);
    assert_int_equal(tk_heartbeat(&cl[0]), 0);
    /* the old instance is fenced */
    assert_int_equal(tk_heartbeat_as(&cl[1], old_id), KS_ERR_FENCED_INSTANCE_ID);
    tk_commit(&cl[1], 0, 5); /* without its instance id: just unknown */
    tk_run_ms(&t, 50);
    assert_int_equal(cl[1].commit_error, KS_ERR_UNKNOWN_MEMBER_ID);
    /* the new one syncs and gets the old assignment back */
    tk_sync(&restarted);
    assert_true(restarted.sync_answered);
    assert_int_equal(restarted.sync_error, 0);
    assert_int_equal(tk_assigned_count(&restarted), assigned);
    assert_int_equal(tk_heartbeat(&restarted), 0);
    char why[256];
    assert_int_equal(gcoord_check_generation_members(tk_coord(&t), why, sizeof(why)), KS_OK);
    tk_free(&t);
}

static void test_heartbeat_and_sync_errors(void **state)
{
    struct tk t = tk_new(7, 0);
    struct tk_client cl[2];
    tk_group_form(&t, cl, 2, "g1", "range");
    struct tk_client stale = cl[0];
    stale.generation = 0;
    assert_int_equal(tk_heartbeat(&stale), KS_ERR_ILLEGAL_GENERATION);
    tk_sync(&stale);
    assert_int_equal(stale.sync_error, KS_ERR_ILLEGAL_GENERATION);
    assert_int_equal(tk_heartbeat_as(&cl[0], "nobody"), KS_ERR_UNKNOWN_MEMBER_ID);
    /* a follower rejoining with unchanged metadata is answered with the generation */
    tk_join(&cl[1]);
    assert_true(cl[1].join_answered);
    assert_int_equal(cl[1].generation, 1);
    assert_int_equal(tk_state(&t, "g1"), GMETA_STABLE);
    /* a different protocol: INCONSISTENT_GROUP_PROTOCOL */
    struct tk_client other;
    tk_client_init(&other, &t, "g1", "other", "roundrobin");
    other.join_version = 3;
    tk_join(&other);
    assert_int_equal(other.join_error, KS_ERR_INCONSISTENT_GROUP_PROTOCOL);
    /* the leader rejoins: a rebalance; heartbeats and syncs are told so */
    struct tk_client *leader = strcmp(cl[0].leader, cl[0].member_id) == 0 ? &cl[0] : &cl[1];
    struct tk_client *follower = leader == &cl[0] ? &cl[1] : &cl[0];
    tk_join(leader);
    assert_int_equal(tk_state(&t, "g1"), GMETA_PREPARING_REBALANCE);
    assert_int_equal(tk_heartbeat(follower), KS_ERR_REBALANCE_IN_PROGRESS);
    tk_sync(follower);
    assert_int_equal(follower->sync_error, KS_ERR_REBALANCE_IN_PROGRESS);
    tk_join(follower);
    assert_int_equal(follower->generation, 2);
    /* commits during CompletingRebalance */
    tk_commit(follower, 0, 1);
    assert_true(follower->commit_answered);
    assert_int_equal(follower->commit_error, KS_ERR_REBALANCE_IN_PROGRESS);
    tk_free(&t);
}

static void test_session_timeout_bounds_and_not_coordinator(void **state)
{
    struct tk t = tk_new(8, 0);
    struct tk_client a;
    tk_client_init(&a, &t, "g1", "a", "range");
    struct wire_writer sub = tk_subscription(TK_TOPIC, NULL);
    struct api_join_group_protocol p = {wire_string_from("range"),
                                        {sub.bytes, (int32_t)sub.size_bytes}};
    struct api_join_group_request req = {.group_id = wire_string_from("g1"),
                                         .session_timeout_ms = 5999,
                                         .rebalance_timeout_ms = 1000,
                                         .member_id = wire_string_from(""),
                                         .group_instance_id = wire_string_null(),
                                         .protocol_type = wire_string_from("consumer"),
                                         .protocol_count = 1,
                                         .protocols = &p};
    struct gcoord_client who = {5, wire_string_from("a"), wire_string_from("/h")};
    gcoord_join_group(tk_coord(&t), &who, &req, tk_on_join, &a);
    assert_int_equal(a.join_error, KS_ERR_INVALID_SESSION_TIMEOUT);
    req.session_timeout_ms = 1800001;
    gcoord_join_group(tk_coord(&t), &who, &req, tk_on_join, &a);
    assert_int_equal(a.join_error, KS_ERR_INVALID_SESSION_TIMEOUT);
    req.protocol_count = 0;
    req.session_timeout_ms = 10000;
    gcoord_join_group(tk_coord(&t), &who, &req, tk_on_join, &a);
    assert_int_equal(a.join_error, KS_ERR_INCONSISTENT_GROUP_PROTOCOL);
    wire_writer_free(&sub);
    /* leadership of the group's partition moves away */
    int32_t partition = gcoord_partition_for(&tk_coord(&t)->config, wire_string_from("g1"));
    gcoord_unload(tk_coord(&t), partition);
    tk_join(&a);
    assert_int_equal(a.join_error, KS_ERR_NOT_COORDINATOR);
    int16_t err = 0;
    tk_fetch(&t, "g1", 0, &err);
    assert_int_equal(err, KS_ERR_NOT_COORDINATOR);
    /* and comes back: loading first */
    assert_int_equal(gcoord_load(tk_coord(&t), partition, 1, NULL, 0, NULL, NULL), KS_OK);
    tk_join(&a);
    assert_int_equal(a.join_error, KS_ERR_COORDINATOR_LOAD_IN_PROGRESS);
    tk_run_ms(&t, 1);
    tk_join(&a);
    assert_int_equal(a.join_error, KS_ERR_MEMBER_ID_REQUIRED);
    tk_free(&t);
}

static void test_unload_answers_waiting_joins(void **state)
{
    struct tk t = tk_new(9, 0);
    struct tk_client a;
    tk_client_init(&a, &t, "g1", "a", "range");
    a.join_version = 3;
    tk_join(&a);
    assert_false(a.join_answered);
    gcoord_unload(tk_coord(&t),
                  gcoord_partition_for(&tk_coord(&t)->config, wire_string_from("g1")));
    assert_true(a.join_answered);
    assert_int_equal(a.join_error, KS_ERR_NOT_COORDINATOR);
    assert_null(gcoord_group_find(tk_coord(&t), wire_string_from("g1")));
    tk_run_ms(&t, 5000);
    tk_free(&t);
}

struct leave_result {
    int16_t top;
    int16_t members[2];
    uint32_t count;
};

static void on_leave(void *ctx, const struct api_leave_group_response *r)
{
    struct leave_result *got = ctx;
    got->top = r->error_code;
    got->count = r->member_count;
    for (uint32_t i = 0; i < r->member_count && i < 2; i++)
        got->members[i] = r->members[i].error_code;
}

static void test_leave_group(void **state)
{
    struct tk t = tk_new(10, 0);
    struct tk_client cl[3];
    tk_group_form(&t, cl, 3, "g1", "roundrobin");
    struct api_leave_group_member who[2] = {
        {wire_string_from(cl[2].member_id), wire_string_null(), wire_string_null()},
        {wire_string_from("ghost"), wire_string_null(), wire_string_null()},
    };
    struct api_leave_group_request req = {wire_string_from("g1"), 2, who};
    struct gcoord_client client = {5, wire_string_from("c"), wire_string_from("/h")};
    struct leave_result got = {0};
    gcoord_leave_group(tk_coord(&t), &client, &req, on_leave, &got);
    assert_int_equal(got.top, 0);
    assert_int_equal(got.count, 2);
    assert_int_equal(got.members[0], 0);
    assert_int_equal(got.members[1], KS_ERR_UNKNOWN_MEMBER_ID);
    assert_int_equal(tk_state(&t, "g1"), GMETA_PREPARING_REBALANCE);
    tk_join(&cl[0]);
    tk_join(&cl[1]);
    assert_int_equal(cl[0].generation, 2);
    assert_int_equal(tk_state(&t, "g1"), GMETA_COMPLETING_REBALANCE);
    /* everyone leaves (v0, one at a time): Empty, generation 3 */
    client.api_version = 0;
    for (uint32_t i = 0; i < 2; i++) {
        struct api_leave_group_member one = {wire_string_from(cl[i].member_id), wire_string_null(),
                                             wire_string_null()};
        struct api_leave_group_request r1 = {wire_string_from("g1"), 1, &one};
        gcoord_leave_group(tk_coord(&t), &client, &r1, on_leave, &got);
        assert_int_equal(got.top, 0);
        assert_int_equal(got.count, 0);
    }
    assert_int_equal(tk_state(&t, "g1"), GMETA_EMPTY);
    assert_int_equal(gcoord_group_find(tk_coord(&t), wire_string_from("g1"))->generation, 3);
    tk_free(&t);
}

/* Two static members in generation 1, assignments synced. */
static void static_pair(struct tk *t, struct tk_client *cl)
{
    for (uint32_t i = 0; i < 2; i++) {
        tk_client_init(&cl[i], t, "g1", i ? "b" : "a", "range");
        snprintf(cl[i].instance_id, sizeof(cl[i].instance_id), "instance-%u", i);
        tk_join(&cl[i]);
    }
    tk_run_ms(t, 6100);
    struct tk_client *leader = strcmp(cl[0].leader, cl[0].member_id) == 0 ? &cl[0] : &cl[1];
    assert_int_equal(tk_heartbeat(&cl[0]), 0); /* CompletingRebalance: heartbeats are fine */
    tk_sync_leader(leader);
    tk_sync(leader == &cl[0] ? &cl[1] : &cl[0]);
    tk_run_ms(t, 50);
    assert_int_equal(tk_state(t, "g1"), GMETA_STABLE);
}

static void test_static_member_edges(void **state)
{
    struct tk t = tk_new(11, 0);
    struct tk_client cl[2];
    static_pair(&t, cl);
    /* a replacement whose record fails: the old member id stays */
    tk_node(&t)->log.fail = true;
    struct tk_client again = cl[0];
    again.member_id[0] = '\0';
    tk_join(&again);
    tk_run_ms(&t, 20);
    assert_int_equal(again.join_error, KS_ERR_COORDINATOR_NOT_AVAILABLE);
    assert_int_equal(tk_heartbeat(&cl[0]), 0);
    tk_node(&t)->log.fail = false;
    /* a restart during a rebalance joins the rebalance under the new id */
    tk_join_topics(&cl[1], TK_TOPIC, "audit");
    assert_int_equal(tk_state(&t, "g1"), GMETA_PREPARING_REBALANCE);
    again = cl[0];
    again.member_id[0] = '\0';
    tk_join(&again);
    assert_true(again.join_answered); /* both joined: the join phase ends */
    assert_int_equal(again.join_error, 0);
    assert_int_equal(again.generation, 2);
    assert_int_equal(tk_heartbeat_as(&cl[0], cl[0].member_id), KS_ERR_FENCED_INSTANCE_ID);
    /* LeaveGroup by instance id: a stale member id is fenced, the right one leaves */
    struct api_leave_group_member who = {wire_string_from(cl[0].member_id),
                                         wire_string_from("instance-0"), wire_string_null()};
    struct api_leave_group_request req = {wire_string_from("g1"), 1, &who};
    struct gcoord_client client = {5, wire_string_from("a"), wire_string_from("/h")};
    struct leave_result got = {0};
    gcoord_leave_group(tk_coord(&t), &client, &req, on_leave, &got);
    assert_int_equal(got.members[0], KS_ERR_FENCED_INSTANCE_ID);
    who.member_id = wire_string_from("");
    gcoord_leave_group(tk_coord(&t), &client, &req, on_leave, &got);
    assert_int_equal(got.members[0], 0);
    assert_int_equal(tk_state(&t, "g1"), GMETA_PREPARING_REBALANCE);
    tk_join_topics(&cl[1], TK_TOPIC, "audit");
    assert_int_equal(cl[1].generation, 3);
    assert_int_equal(cl[1].join_member_count, 1);
    tk_free(&t);
}

/* ---- Membership churn: a property test ---------------------------------------------- */

#define CHURN_CLIENTS 5u
#define CHURN_REPORTS_MAX 4096u

enum churn_state { CHURN_IDLE, CHURN_JOINING, CHURN_SYNCING, CHURN_STABLE, CHURN_DOWN };

struct churn {
    struct tk t;
    struct rng rng;
    struct tk_client cl[CHURN_CLIENTS];
    enum churn_state state[CHURN_CLIENTS];
    uint32_t down_ticks[CHURN_CLIENTS];
    struct gcoord_owner_report reports[CHURN_REPORTS_MAX];
    uint8_t assignments[CHURN_REPORTS_MAX][128];
    char member_ids[CHURN_REPORTS_MAX][TK_ID_BYTES];
    uint32_t report_count;
};

static void churn_restart_client(struct churn *ch, uint32_t i)
{
    char id[32];
    snprintf(id, sizeof(id), "consumer-%u", i + 1);
    tk_client_init(&ch->cl[i], &ch->t, "g1", id, "range");
    ch->state[i] = CHURN_JOINING;
    tk_join(&ch->cl[i]);
}

static void churn_record(struct churn *ch, uint32_t i)
{
    struct tk_client *cl = &ch->cl[i];
    assert_true(ch->report_count < CHURN_REPORTS_MAX);
    assert_true(cl->assignment_size <= 128);
    uint32_t n = ch->report_count++;
    memcpy(ch->assignments[n], cl->assignment, (size_t)cl->assignment_size);
    strcpy(ch->member_ids[n], cl->member_id);
    ch->reports[n] = (struct gcoord_owner_report){wire_string_from("g1"),
                                                  cl->generation,
                                                  wire_string_from(ch->member_ids[n]),
                                                  {ch->assignments[n], cl->assignment_size}};
}

/* What one client does with the answers it got and on this tick. */
static void churn_step(struct churn *ch, uint32_t i, bool faults)
{
    struct tk_client *cl = &ch->cl[i];
    switch (ch->state[i]) {
    case CHURN_DOWN:
        if (--ch->down_ticks[i] == 0)
            churn_restart_client(ch, i);
        return;
    case CHURN_IDLE:
        churn_restart_client(ch, i);
        return;
    case CHURN_JOINING:
        if (!cl->join_answered)
            return;
        if (cl->join_error == KS_ERR_MEMBER_ID_REQUIRED ||
            cl->join_error == KS_ERR_REBALANCE_IN_PROGRESS) {
            tk_join(cl);
        } else if (cl->join_error != 0) {
            ch->state[i] = CHURN_IDLE;
        } else {
            ch->state[i] = CHURN_SYNCING;
            if (strcmp(cl->leader, cl->member_id) == 0)
                tk_sync_leader(cl);
            else
                tk_sync(cl);
        }
        return;
    case CHURN_SYNCING:
        if (!cl->sync_answered)
            return;
        if (cl->sync_error == 0) {
            churn_record(ch, i);
            ch->state[i] = CHURN_STABLE;
        } else {
            ch->state[i] = CHURN_JOINING;
            tk_join(cl);
        }
        return;
    case CHURN_STABLE:
        break;
    }
    if (faults && rng_chance_ppm(&ch->rng, 20000)) { /* crash: silent for a while */
        ch->state[i] = CHURN_DOWN;
        ch->down_ticks[i] = 1 + (uint32_t)rng_below(&ch->rng, 40);
        return;
    }
    int16_t err = tk_heartbeat(cl);
    if (err == KS_ERR_REBALANCE_IN_PROGRESS) {
        ch->state[i] = CHURN_JOINING;
        tk_join(cl);
    } else if (err != 0) {
        ch->state[i] = CHURN_IDLE;
    }
}

static void churn_check(struct churn *ch)
{
    char why[256];
    if (gcoord_check_single_owner(ch->reports, ch->report_count, why, sizeof(why)) != KS_OK)
        fail_msg("seed %llu: %s", (unsigned long long)world_seed(ch->t.w), why);
    if (gcoord_check_generation_members(tk_coord(&ch->t), why, sizeof(why)) != KS_OK)
        fail_msg("seed %llu: %s", (unsigned long long)world_seed(ch->t.w), why);
    if (gcoord_check_groups_single_owner(tk_coord(&ch->t), why, sizeof(why)) != KS_OK)
        fail_msg("seed %llu: %s", (unsigned long long)world_seed(ch->t.w), why);
}

/* Members join, heartbeat, crash and come back at random (500 ms ticks); every tick the
 * checks hold. Then the faults stop: within the rebalance bounds the group is Stable
 * with every live client in it and every partition owned once (liveness). */
static void churn_run(uint64_t seed)
{
    struct churn *ch = ks_alloc(sizeof(*ch));
    ch->t = tk_new(seed, 0);
    rng_seed(&ch->rng, seed);
    for (uint32_t tick = 0; tick < 400; tick++) {
        tk_run_ms(&ch->t, 500);
        for (uint32_t i = 0; i < CHURN_CLIENTS; i++)
            churn_step(ch, i, true);
        churn_check(ch);
    }
    for (uint32_t tick = 0; tick < 200; tick++) {
        tk_run_ms(&ch->t, 500);
        for (uint32_t i = 0; i < CHURN_CLIENTS; i++)
            churn_step(ch, i, false);
        churn_check(ch);
    }
    assert_int_equal(tk_state(&ch->t, "g1"), GMETA_STABLE);
    uint32_t total = 0;
    for (uint32_t i = 0; i < CHURN_CLIENTS; i++) {
        assert_int_equal(ch->state[i], CHURN_STABLE);
        total += tk_assigned_count(&ch->cl[i]);
    }
    assert_int_equal(total, TK_TOPIC_PARTITIONS);
    struct gmeta *g = gcoord_group_find(tk_coord(&ch->t), wire_string_from("g1"));
    assert_true(g->generation >= 10); /* the faults did force rebalances */
    assert_true(ch->report_count >= 40);
    tk_free(&ch->t);
    free(ch);
}

static void test_membership_churn(void **state)
{
    for (uint64_t seed = 1; seed <= 20; seed++)
        churn_run(seed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_sync_flows),
        cmocka_unit_test(test_member_id_handshake),
        cmocka_unit_test(test_initial_rebalance_delay),
        cmocka_unit_test(test_session_expiry_rebalances),
        cmocka_unit_test(test_bug_skip_rebalance_on_expiry_caught),
        cmocka_unit_test(test_rebalance_timeout_removes_absent_members),
        cmocka_unit_test(test_sync_deadline_removes_silent_members),
        cmocka_unit_test(test_static_member_restart_without_rebalance),
        cmocka_unit_test(test_heartbeat_and_sync_errors),
        cmocka_unit_test(test_session_timeout_bounds_and_not_coordinator),
        cmocka_unit_test(test_unload_answers_waiting_joins),
        cmocka_unit_test(test_leave_group),
        cmocka_unit_test(test_static_member_edges),
        cmocka_unit_test(test_membership_churn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
