/*
 * ctrl_test.c: the controller state machine over the fake log: registration and
 * unfencing, topic creation (placement, validation errors with Kafka's codes),
 * deletion, session expiry fencing, controlled shutdown, AlterPartition, losing
 * leadership, determinism, and the two bug switches caught by the invariant checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>

#include "system/bugs.h"
#include "system/controller/tests/ctrl_testkit.h"

#define WHY_SIZE 256u
#define BROKERS 3

struct fixture {
    struct testkit_env tenv;
    struct testkit_log *log;
    struct ctrl *ctrl;
    int64_t epochs[BROKERS + 1]; /* by broker id */
};

/* Last responses seen by the callbacks. */
struct seen {
    uint32_t calls;
    struct api_broker_registration_response registration;
    struct api_broker_heartbeat_response heartbeat;
    int16_t topic_errors[8];
    struct wire_uuid topic_ids[8];
    int32_t partitions[8];
    struct ctrl_alter_partition_result alter;
};

static void on_registration(void *ctx, const struct api_broker_registration_response *r)
{
    struct seen *s = ctx;
    s->calls++;
    s->registration = *r;
}

static void on_heartbeat(void *ctx, const struct api_broker_heartbeat_response *r)
{
    struct seen *s = ctx;
    s->calls++;
    s->heartbeat = *r;
}

static void on_create(void *ctx, const struct api_create_topics_response *r)
{
    struct seen *s = ctx;
    s->calls++;
    for (uint32_t i = 0; i < r->topic_count && i < 8; i++) {
        s->topic_errors[i] = r->topics[i].error_code;
        s->topic_ids[i] = r->topics[i].topic_id;
        s->partitions[i] = r->topics[i].num_partitions;
    }
}

static void on_delete(void *ctx, const struct api_delete_topics_response *r)
{
    struct seen *s = ctx;
    s->calls++;
    for (uint32_t i = 0; i < r->result_count && i < 8; i++)
        s->topic_errors[i] = r->results[i].error_code;
}

static void on_alter(void *ctx, const struct ctrl_alter_partition_result *r)
{
    struct seen *s = ctx;
    s->calls++;
    s->alter = *r;
}

static void fixture_start(struct fixture *f, uint64_t seed, env_bug_mask bugs, bool unclean)
{
    struct ctrl_config config = {.node_id = 1,
                                 .session_timeout_ms = CTRL_SESSION_TIMEOUT_MS_DEFAULT,
                                 .default_partitions = 1,
                                 .default_replication_factor = 1,
                                 .unclean_leader_election = unclean};
    memset(f, 0, sizeof(*f));
    testkit_env_init(&f->tenv, seed, bugs);
    f->log = calloc(1, sizeof(*f->log));
    f->log->leader = true;
    f->log->auto_commit = true;
    struct ctrl_log ops = testkit_log_ops(f->log);
    f->ctrl = ctrl_create(&f->tenv.env, &config, &ops);
    f->log->ctrl = f->ctrl;
    ctrl_become_leader(f->ctrl, 1);
}

static void fixture_stop(struct fixture *f)
{
    ctrl_stop(f->ctrl);
    ctrl_free(f->ctrl);
    testkit_log_free(f->log);
    free(f->log);
}

static int16_t register_broker(struct fixture *f, int32_t id, uint8_t incarnation, const char *rack)
{
    struct api_broker_registration_request req = {.broker_id = id,
                                                  .cluster_id = wire_string_from("ks"),
                                                  .rack = wire_string_from(rack),
                                                  .listener_count = 1,
                                                  .previous_broker_epoch = -1};
    struct seen s = {0};
    req.incarnation_id.bytes[0] = incarnation;
    req.incarnation_id.bytes[15] = (uint8_t)id;
    req.listeners[0].name = wire_string_from("PLAINTEXT");
    req.listeners[0].host = wire_string_from("broker");
    req.listeners[0].port = (uint16_t)(9090 + id);
    ctrl_broker_registration(f->ctrl, &req, on_registration, &s);
    assert_int_equal(s.calls, 1);
    if (s.registration.error_code == 0 && id <= BROKERS)
        f->epochs[id] = s.registration.broker_epoch;
    return s.registration.error_code;
}

static struct api_broker_heartbeat_response heartbeat(struct fixture *f, int32_t id,
                                                      bool want_fence, bool want_shut_down)
{
    struct api_broker_heartbeat_request req = {.broker_id = id,
                                               .broker_epoch = f->epochs[id],
                                               .current_metadata_offset = f->log->committed,
                                               .want_fence = want_fence,
                                               .want_shut_down = want_shut_down};
    struct seen s = {0};
    ctrl_broker_heartbeat(f->ctrl, &req, on_heartbeat, &s);
    assert_int_equal(s.calls, 1);
    return s.heartbeat;
}

/* Three registered, unfenced brokers. */
static void fixture_cluster(struct fixture *f, uint64_t seed, env_bug_mask bugs)
{
    fixture_start(f, seed, bugs, false);
    for (int32_t id = 1; id <= BROKERS; id++)
        assert_int_equal(register_broker(f, id, 1, NULL), 0);
    for (int32_t id = 1; id <= BROKERS; id++) {
        struct api_broker_heartbeat_response r = heartbeat(f, id, false, false);
        assert_int_equal(r.error_code, 0);
        assert_false(r.is_fenced);
        assert_true(r.is_caught_up);
    }
}

static int16_t create_topic(struct fixture *f, const char *name, int32_t partitions, int16_t rf,
                            struct wire_uuid *id_out)
{
    struct api_create_topics_topic topic = {
        .name = wire_string_from(name), .num_partitions = partitions, .replication_factor = rf};
    struct api_create_topics_request req = {.topic_count = 1, .topics = &topic, .timeout_ms = 1};
    struct seen s = {0};
    ctrl_create_topics(f->ctrl, &req, on_create, &s);
    assert_int_equal(s.calls, 1);
    if (id_out != NULL)
        *id_out = s.topic_ids[0];
    return s.topic_errors[0];
}

static void assert_leaders_ok(const struct ctrl *ctrl)
{
    char why[WHY_SIZE];
    if (!ctrl_check_leader_in_isr(ctrl_committed_image(ctrl), why, sizeof(why)))
        fail_msg("%s", why);
}

static void test_register_and_unfence(void **state)
{
    (void)state;
    struct fixture f;
    fixture_cluster(&f, 1, 0);
    const struct mimage *img = ctrl_committed_image(f.ctrl);
    assert_int_equal(img->broker_count, 3);
    for (uint32_t i = 0; i < img->broker_count; i++) {
        assert_false(img->brokers[i].fenced);
        assert_int_equal(img->brokers[i].epoch, f.epochs[img->brokers[i].id]);
    }
    assert_int_equal(f.epochs[1], 0); /* broker epoch = offset of its registration */
    assert_int_equal(f.epochs[2], 1);
    /* A stale epoch and an unknown broker are refused. */
    struct api_broker_heartbeat_request req = {.broker_id = 2, .broker_epoch = 99};
    struct seen s = {0};
    ctrl_broker_heartbeat(f.ctrl, &req, on_heartbeat, &s);
    assert_int_equal(s.heartbeat.error_code, KS_ERR_STALE_BROKER_EPOCH);
    req.broker_id = 9;
    ctrl_broker_heartbeat(f.ctrl, &req, on_heartbeat, &s);
    assert_int_equal(s.heartbeat.error_code, KS_ERR_BROKER_ID_NOT_REGISTERED);
    /* Another incarnation while the session lives: DUPLICATE_BROKER_REGISTRATION. */
    assert_int_equal(register_broker(&f, 2, 7, NULL), KS_ERR_DUPLICATE_BROKER_REGISTRATION);
    fixture_stop(&f);
}

static void test_create_topic_places_replicas(void **state)
{
    (void)state;
    struct fixture f;
    struct wire_uuid id;
    fixture_cluster(&f, 7, 0);
    assert_int_equal(create_topic(&f, "orders", 6, 3, &id), 0);
    const struct mimage *img = ctrl_committed_image(f.ctrl);
    const struct mimage_topic *t = mimage_topic_find_name(img, "orders", 6);
    assert_non_null(t);
    assert_memory_equal(t->id.bytes, id.bytes, WIRE_UUID_SIZE);
    assert_int_equal(t->partition_count, 6);
    uint32_t led[BROKERS + 1] = {0};
    for (uint32_t p = 0; p < t->partition_count; p++) {
        const struct mimage_partition *part = &t->partitions[p];
        assert_int_equal(part->replica_count, 3);
        assert_int_equal(part->isr_count, 3);
        assert_int_equal(part->leader, part->replicas[0]);
        assert_int_equal(part->leader_epoch, 0);
        led[part->leader]++;
    }
    for (int32_t b = 1; b <= BROKERS; b++)
        assert_int_equal(led[b], 2); /* leaders spread round-robin */
    assert_leaders_ok(f.ctrl);
    fixture_stop(&f);
}

static void test_create_topic_errors(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *topic;
        int32_t partitions;
        int16_t rf;
        int16_t error;
    } cases[] = {
        {"ok", "t1", 2, 2, 0},
        {"exists", "t1", 1, 1, 36},
        {"zero partitions", "t2", 0, 1, 37},
        {"negative partitions", "t2", -5, 1, 37},
        {"zero replication", "t2", 1, 0, 38},
        {"replication above brokers", "t2", 1, 4, 38},
        {"empty name", "", 1, 1, 17},
        {"bad char", "a/b", 1, 1, 17},
        {"dot", ".", 1, 1, 17},
        {"collides with t1 modulo . and _", "t.1x", 1, 1, 0},
        {"collision", "t_1x", 1, 1, 17},
        {"defaults", "t3", -1, -1, 0},
    };
    struct fixture f;
    fixture_cluster(&f, 3, 0);
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        int16_t err = create_topic(&f, cases[i].topic, cases[i].partitions, cases[i].rf, NULL);
        if (err != cases[i].error)
            fail_msg("%s: error %d, want %d", cases[i].name, err, cases[i].error);
    }
    fixture_stop(&f);
}

static void test_create_topic_request_errors(void **state)
{
    (void)state;
    struct fixture f;
    fixture_cluster(&f, 3, 0);
    int32_t good[] = {1, 2}, dup[] = {1, 1}, unknown[] = {1, 9};
    struct api_create_topics_assignment assign_good[] = {{0, 2, good}, {1, 2, good}};
    struct api_create_topics_assignment assign_dup[] = {{0, 2, dup}};
    struct api_create_topics_assignment assign_unknown[] = {{0, 2, unknown}};
    struct api_create_topics_assignment assign_gap[] = {{1, 2, good}};
    struct api_create_topics_config bad_config[] = {
        {wire_string_from("no.such.config"), wire_string_from("1")}};
    struct api_create_topics_config good_config[] = {
        {wire_string_from("cleanup.policy"), wire_string_from("compact")}};
    struct api_create_topics_topic topics[] = {
        {wire_string_from("a1"), -1, -1, 2, assign_good, 0, NULL},
        {wire_string_from("a2"), -1, -1, 1, assign_dup, 0, NULL},
        {wire_string_from("a3"), -1, -1, 1, assign_unknown, 0, NULL},
        {wire_string_from("a4"), -1, -1, 1, assign_gap, 0, NULL},
        {wire_string_from("a5"), 2, -1, 2, assign_good, 0, NULL},
        {wire_string_from("a6"), 1, 1, 0, NULL, 1, bad_config},
        {wire_string_from("a7"), 1, 1, 0, NULL, 1, good_config},
        {wire_string_from("a7"), 1, 1, 0, NULL, 0, NULL},
    };
    static const int16_t want[] = {0, 39, 39, 39, 42, 40, 42, 42};
    struct api_create_topics_request req = {.topic_count = 8, .topics = topics};
    struct seen s = {0};
    ctrl_create_topics(f.ctrl, &req, on_create, &s);
    assert_int_equal(s.calls, 1);
    for (uint32_t i = 0; i < 8; i++) {
        if (s.topic_errors[i] != want[i])
            fail_msg("topic %u: error %d, want %d", i, s.topic_errors[i], want[i]);
    }
    const struct mimage *img = ctrl_committed_image(f.ctrl);
    const struct mimage_topic *t = mimage_topic_find_name(img, "a1", 2);
    assert_non_null(t);
    assert_int_equal(t->partitions[1].replicas[1], 2);
    assert_null(mimage_topic_find_name(img, "a7", 2));
    /* validate_only writes nothing. */
    uint32_t appends = f.log->appends;
    req.topic_count = 1;
    req.topics = &topics[6];
    req.validate_only = true;
    ctrl_create_topics(f.ctrl, &req, on_create, &s);
    assert_int_equal(s.topic_errors[0], 0);
    assert_int_equal(f.log->appends, appends);
    fixture_stop(&f);
}

static void test_delete_topics(void **state)
{
    (void)state;
    struct fixture f;
    struct wire_uuid id_a, id_b;
    fixture_cluster(&f, 5, 0);
    assert_int_equal(create_topic(&f, "a", 1, 1, &id_a), 0);
    assert_int_equal(create_topic(&f, "b", 1, 1, &id_b), 0);
    struct api_delete_topics_topic by_name[] = {{wire_string_from("a"), {{0}}},
                                                {wire_string_from("zz"), {{0}}}};
    struct api_delete_topics_request req = {.topic_count = 2, .topics = by_name};
    struct seen s = {0};
    ctrl_delete_topics(f.ctrl, 4, &req, on_delete, &s);
    assert_int_equal(s.topic_errors[0], 0);
    assert_int_equal(s.topic_errors[1], 3);
    struct api_delete_topics_topic by_id[] = {{wire_string_null(), id_b},
                                              {wire_string_null(), id_a}};
    req.topics = by_id;
    ctrl_delete_topics(f.ctrl, 6, &req, on_delete, &s);
    assert_int_equal(s.topic_errors[0], 0);
    assert_int_equal(s.topic_errors[1], 100);
    assert_int_equal(ctrl_committed_image(f.ctrl)->topic_count, 0);
    fixture_stop(&f);
}

/* Brokers 1 and 2 heartbeat every 2 s; broker 3 stops. */
static void run_heartbeats(struct fixture *f, uint32_t rounds)
{
    for (uint32_t i = 0; i < rounds; i++) {
        testkit_advance_ms(&f->tenv, CTRL_HEARTBEAT_INTERVAL_MS_DEFAULT);
        (void)heartbeat(f, 1, false, false);
        (void)heartbeat(f, 2, false, false);
    }
}

static void test_session_expiry_fences(void **state)
{
    (void)state;
    struct fixture f;
    char why[WHY_SIZE];
    fixture_cluster(&f, 11, 0);
    assert_int_equal(create_topic(&f, "orders", 6, 3, NULL), 0);
    run_heartbeats(&f, 6); /* 12 s */
    const struct mimage *img = ctrl_committed_image(f.ctrl);
    assert_true(mimage_broker_find(img, 3)->fenced);
    assert_false(mimage_broker_find(img, 1)->fenced);
    const struct mimage_topic *t = mimage_topic_find_name(img, "orders", 6);
    for (uint32_t p = 0; p < t->partition_count; p++) {
        assert_int_not_equal(t->partitions[p].leader, 3);
        assert_false(mimage_partition_in_isr(&t->partitions[p], 3));
        assert_int_equal(t->partitions[p].isr_count, 2);
    }
    assert_leaders_ok(f.ctrl);
    assert_true(ctrl_check_fencing(f.ctrl, CTRL_SESSION_CHECK_INTERVAL_MS, why, sizeof(why)));
    /* Broker 3 comes back: caught up, unfenced. ISRs grow back only by AlterPartition. */
    struct api_broker_heartbeat_response r = heartbeat(&f, 3, false, false);
    assert_false(r.is_fenced);
    assert_false(mimage_broker_find(ctrl_committed_image(f.ctrl), 3)->fenced);
    fixture_stop(&f);
}

static void test_bug_no_fencing_caught(void **state)
{
    (void)state;
    struct fixture f;
    char why[WHY_SIZE];
    fixture_cluster(&f, 11, 1ull << KS_BUG_CTRL_NO_FENCING);
    run_heartbeats(&f, 6);
    assert_false(mimage_broker_find(ctrl_committed_image(f.ctrl), 3)->fenced);
    assert_false(ctrl_check_fencing(f.ctrl, CTRL_SESSION_CHECK_INTERVAL_MS, why, sizeof(why)));
    assert_non_null(strstr(why, "broker 3"));
    fixture_stop(&f);
}

/*
 * Broker 1 is fenced (it leaves every ISR), comes back unfenced but out of the ISRs,
 * then broker 2 is fenced: each partition it led needs an election. Correctly the
 * leader comes from the ISR; under ctrl_elect_outside_isr broker 1 (first replica, not
 * in the ISR) leads some partition, and the check sees it.
 */
static bool elect_scenario(env_bug_mask bugs, char *why)
{
    struct fixture f;
    fixture_cluster(&f, 21, bugs);
    assert_int_equal(create_topic(&f, "orders", 6, 3, NULL), 0);
    (void)heartbeat(&f, 1, true, false);  /* broker 1 asks to be fenced */
    (void)heartbeat(&f, 1, false, false); /* and unfenced again */
    assert_false(mimage_broker_find(ctrl_committed_image(f.ctrl), 1)->fenced);
    (void)heartbeat(&f, 2, true, false);
    bool ok = ctrl_check_leader_in_isr(ctrl_committed_image(f.ctrl), why, WHY_SIZE);
    fixture_stop(&f);
    return ok;
}

static void test_bug_elect_outside_isr_caught(void **state)
{
    (void)state;
    char why[WHY_SIZE];
    assert_true(elect_scenario(0, why));
    assert_false(elect_scenario(1ull << KS_BUG_CTRL_ELECT_OUTSIDE_ISR, why));
    assert_non_null(strstr(why, "not in the ISR"));
}

static void test_unclean_election(void **state)
{
    (void)state;
    struct fixture f;
    fixture_start(&f, 4, 0, true);
    for (int32_t id = 1; id <= 2; id++) {
        assert_int_equal(register_broker(&f, id, 1, NULL), 0);
        (void)heartbeat(&f, id, false, false);
    }
    int32_t replicas[] = {1, 2};
    struct api_create_topics_assignment assign[] = {{0, 2, replicas}};
    struct api_create_topics_topic topic = {wire_string_from("u"), -1, -1, 1, assign, 0, NULL};
    struct api_create_topics_request req = {.topic_count = 1, .topics = &topic};
    struct seen s = {0};
    ctrl_create_topics(f.ctrl, &req, on_create, &s);
    assert_int_equal(s.topic_errors[0], 0);
    const struct mimage_topic *t = mimage_topic_find_name(ctrl_committed_image(f.ctrl), "u", 1);
    struct pchange_alter alter = {.broker_id = 1,
                                  .topic_id = t->id,
                                  .leader_epoch = 0,
                                  .partition_epoch = 0,
                                  .isr_count = 1,
                                  .isr = {1},
                                  .isr_broker_epochs = {-1}};
    ctrl_alter_partition(f.ctrl, &alter, f.epochs[1], on_alter, &s); /* ISR shrinks to {1} */
    assert_int_equal(s.alter.error_code, 0);
    (void)heartbeat(&f, 1, true, false); /* the only ISR member goes: no clean leader */
    t = mimage_topic_find_name(ctrl_committed_image(f.ctrl), "u", 1);
    assert_int_equal(t->partitions[0].leader, 2); /* unclean: broker 2 */
    assert_int_equal(t->partitions[0].isr_count, 1);
    assert_int_equal(t->partitions[0].isr[0], 2);
    assert_int_equal(t->partitions[0].leader_recovery_state, MREC_LEADER_RECOVERING);
    assert_leaders_ok(f.ctrl);
    fixture_stop(&f);
}

static void test_controlled_shutdown(void **state)
{
    (void)state;
    struct fixture f;
    fixture_cluster(&f, 13, 0);
    assert_int_equal(create_topic(&f, "orders", 3, 3, NULL), 0);
    struct api_broker_heartbeat_response r = heartbeat(&f, 2, false, true);
    assert_false(r.should_shut_down);
    const struct mimage *img = ctrl_committed_image(f.ctrl);
    assert_true(mimage_broker_find(img, 2)->in_controlled_shutdown);
    const struct mimage_topic *t = mimage_topic_find_name(img, "orders", 6);
    for (uint32_t p = 0; p < t->partition_count; p++) {
        assert_int_not_equal(t->partitions[p].leader, 2);
        assert_false(mimage_partition_in_isr(&t->partitions[p], 2));
    }
    r = heartbeat(&f, 2, false, true);
    assert_true(r.should_shut_down);
    assert_leaders_ok(f.ctrl);
    fixture_stop(&f);
}

static void test_alter_partition(void **state)
{
    (void)state;
    struct fixture f;
    struct wire_uuid id;
    fixture_cluster(&f, 17, 0);
    assert_int_equal(create_topic(&f, "t", 1, 3, &id), 0);
    const struct mimage_partition *p =
        &mimage_topic_find_name(ctrl_committed_image(f.ctrl), "t", 1)->partitions[0];
    int32_t leader = p->leader, others[2], n = 0;
    for (uint32_t i = 0; i < 3; i++) {
        if (p->replicas[i] != leader)
            others[n++] = p->replicas[i];
    }
    struct {
        const char *name;
        int32_t broker, leader_epoch, partition_epoch, isr_count, isr[3];
        int16_t error;
        int32_t partition_epoch_after;
    } cases[] = {
        {"shrink", leader, 0, 0, 2, {leader, others[0]}, 0, 1},
        {"stale partition epoch", leader, 0, 0, 1, {leader}, 95, 1},
        {"old leader epoch", leader, -1, 1, 1, {leader}, 74, 1},
        {"not the leader", others[0], 0, 1, 1, {others[0]}, 42, 1},
        {"isr without leader", leader, 0, 1, 1, {others[0]}, 42, 1},
        {"isr repeats", leader, 0, 1, 2, {leader, leader}, 42, 1},
        {"non replica", leader, 0, 1, 2, {leader, 99}, 42, 1},
        {"grow back", leader, 0, 1, 3, {leader, others[0], others[1]}, 0, 2},
        {"same isr: no change", leader, 0, 2, 3, {leader, others[0], others[1]}, 0, 2},
    };
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        struct pchange_alter alter = {.broker_id = cases[i].broker,
                                      .topic_id = id,
                                      .leader_epoch = cases[i].leader_epoch,
                                      .partition_epoch = cases[i].partition_epoch,
                                      .isr_count = (uint32_t)cases[i].isr_count};
        memcpy(alter.isr, cases[i].isr, sizeof(cases[i].isr));
        for (uint32_t k = 0; k < MREC_REPLICAS_MAX; k++)
            alter.isr_broker_epochs[k] = -1;
        struct seen s = {0};
        ctrl_alter_partition(f.ctrl, &alter, f.epochs[cases[i].broker], on_alter, &s);
        assert_int_equal(s.calls, 1);
        if (s.alter.error_code != cases[i].error)
            fail_msg("%s: error %d", cases[i].name, s.alter.error_code);
        p = &mimage_topic_find_name(ctrl_committed_image(f.ctrl), "t", 1)->partitions[0];
        assert_int_equal(p->partition_epoch, cases[i].partition_epoch_after);
        assert_int_equal(p->leader_epoch, 0); /* ISR-only changes keep it (KAFKA-15021) */
    }
    /* A fenced broker may not join (INELIGIBLE_REPLICA). */
    (void)heartbeat(&f, others[1], true, false);
    p = &mimage_topic_find_name(ctrl_committed_image(f.ctrl), "t", 1)->partitions[0];
    struct pchange_alter alter = {.broker_id = leader,
                                  .topic_id = id,
                                  .leader_epoch = 0,
                                  .partition_epoch = p->partition_epoch,
                                  .isr_count = 3,
                                  .isr = {leader, others[0], others[1]},
                                  .isr_broker_epochs = {-1, -1, -1}};
    struct seen s = {0};
    ctrl_alter_partition(f.ctrl, &alter, f.epochs[leader], on_alter, &s);
    assert_int_equal(s.alter.error_code, KS_ERR_INELIGIBLE_REPLICA);
    fixture_stop(&f);
}

static void test_not_controller(void **state)
{
    (void)state;
    struct fixture f;
    fixture_cluster(&f, 2, 0);
    f.log->auto_commit = false;
    struct seen s = {0};
    struct api_create_topics_topic topic = {
        .name = wire_string_from("p"), .num_partitions = 1, .replication_factor = 1};
    struct api_create_topics_request req = {.topic_count = 1, .topics = &topic};
    ctrl_create_topics(f.ctrl, &req, on_create, &s);
    assert_int_equal(s.calls, 0); /* waits for the commit */
    assert_non_null(mimage_topic_find_name(ctrl_working_image(f.ctrl), "p", 1));
    ctrl_renounce(f.ctrl);
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.topic_errors[0], KS_ERR_NOT_CONTROLLER);
    assert_null(mimage_topic_find_name(ctrl_working_image(f.ctrl), "p", 1));
    ctrl_create_topics(f.ctrl, &req, on_create, &s);
    assert_int_equal(s.topic_errors[0], KS_ERR_NOT_CONTROLLER);
    /* The log refusing an append makes the controller renounce. */
    f.log->committed = f.log->next_offset - 1; /* drop the uncommitted record */
    testkit_log_free(f.log);
    memset(f.log, 0, sizeof(*f.log));
    f.log->ctrl = f.ctrl;
    fixture_stop(&f);
}

static void test_append_refused(void **state)
{
    (void)state;
    struct fixture f;
    fixture_cluster(&f, 2, 0);
    f.log->leader = false;
    assert_int_equal(create_topic(&f, "q", 1, 1, NULL), KS_ERR_NOT_CONTROLLER);
    assert_false(ctrl_is_active(f.ctrl));
    fixture_stop(&f);
}

static uint64_t run_digest(uint64_t seed)
{
    struct fixture f;
    fixture_cluster(&f, seed, 0);
    assert_int_equal(create_topic(&f, "a", 7, 2, NULL), 0);
    assert_int_equal(create_topic(&f, "b", 5, 3, NULL), 0);
    run_heartbeats(&f, 6);
    uint64_t digest = mimage_digest(ctrl_committed_image(f.ctrl));
    assert_int_equal(digest, mimage_digest(ctrl_working_image(f.ctrl)));
    fixture_stop(&f);
    return digest;
}

static void test_deterministic(void **state)
{
    (void)state;
    assert_int_equal(run_digest(99), run_digest(99));
    assert_int_not_equal(run_digest(99), run_digest(100)); /* topic ids differ */
}

/* A follower applying the leader's log reaches the same image. */
static void test_follower_replays_same_image(void **state)
{
    (void)state;
    struct fixture f;
    fixture_cluster(&f, 8, 0);
    assert_int_equal(create_topic(&f, "x", 4, 2, NULL), 0);
    run_heartbeats(&f, 6);
    struct testkit_env fenv;
    testkit_env_init(&fenv, 1, 0);
    struct ctrl_config config = {.node_id = 2,
                                 .session_timeout_ms = 9000,
                                 .default_partitions = 1,
                                 .default_replication_factor = 1};
    struct ctrl_log ops = testkit_log_ops(f.log);
    struct ctrl *follower = ctrl_create(&fenv.env, &config, &ops);
    for (int64_t o = 0; o < f.log->committed; o++)
        assert_int_equal(
            ctrl_commit(follower, o, f.log->records[o].bytes, f.log->records[o].size_bytes), KS_OK);
    assert_int_equal(mimage_digest(ctrl_committed_image(follower)),
                     mimage_digest(ctrl_committed_image(f.ctrl)));
    ctrl_free(follower);
    fixture_stop(&f);
}

static void test_config_from_props(void **state)
{
    (void)state;
    struct props props;
    struct ctrl_config config;
    props_init(&props);
    assert_int_equal(ctrl_config_from_props(&props, &config), KS_OK);
    assert_int_equal(config.session_timeout_ms, 9000);
    assert_int_equal(props_set(&props, "broker.session.timeout.ms", "0"), KS_OK);
    assert_int_equal(ctrl_config_from_props(&props, &config), KS_ERR_INVALID);
    assert_int_equal(props_set(&props, "broker.session.timeout.ms", "5000"), KS_OK);
    assert_int_equal(props_set(&props, "unclean.leader.election.enable", "true"), KS_OK);
    assert_int_equal(ctrl_config_from_props(&props, &config), KS_OK);
    assert_true(config.unclean_leader_election);
    props_free(&props);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_and_unfence),
        cmocka_unit_test(test_create_topic_places_replicas),
        cmocka_unit_test(test_create_topic_errors),
        cmocka_unit_test(test_create_topic_request_errors),
        cmocka_unit_test(test_delete_topics),
        cmocka_unit_test(test_session_expiry_fences),
        cmocka_unit_test(test_bug_no_fencing_caught),
        cmocka_unit_test(test_bug_elect_outside_isr_caught),
        cmocka_unit_test(test_unclean_election),
        cmocka_unit_test(test_controlled_shutdown),
        cmocka_unit_test(test_alter_partition),
        cmocka_unit_test(test_not_controller),
        cmocka_unit_test(test_append_refused),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_follower_replays_same_image),
        cmocka_unit_test(test_config_from_props),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
