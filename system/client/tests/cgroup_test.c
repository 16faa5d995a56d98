/*
 * cgroup_test.c: the consumer's group membership against the real coordinator in a
 * simulated world. A coordinator node ("gc1": the request server with bgroup's
 * handlers, a fake __consumer_offsets log answering appends after a delay, and a
 * Metadata handler naming itself and the topic "orders" with 6 partitions led by an
 * unreachable broker, so that nothing is fetched: positions come from commits and
 * seeks) and consumer nodes that subscribe to "orders" and poll every 100 ms.
 *
 * Cases: two members split the partitions (range, roundrobin); a member that closes
 * or crashes (caught after session.timeout.ms) hands its partitions over; a commit
 * survives a rebalance and the next owner resumes from it; cooperative-sticky moves
 * partitions in two rounds with no partition held twice at any moment; a coordinator
 * loading late (NOT_COORDINATOR, then COORDINATOR_LOAD_IN_PROGRESS); a coordinator
 * restart losing the group (UNKNOWN_MEMBER_ID); a member that stops polling leaves
 * after max.poll.interval.ms; bad configurations.
 */
#include "system/group/tests/gcoord_testkit.h"

#include "system/broker/bgroup.h"
#include "system/client/cgroup.h"
#include "system/proto/api_metadata.h"

#define CT_PORT 9092
#define CT_PARTITIONS 6
#define CT_CONSUMERS_MAX 4
#define CT_EVENTS_MAX 4096u

/* ---- The coordinator node ------------------------------------------------------------ */

struct ct_server {
    struct env *env;
    struct tk_log log;
    struct bgroup *group;
    struct srv *srv;
    env_timer_id load_timer;
};

static enum ks_err ct_leader_of(void *ctx, int32_t partition, int32_t *node_id,
                                struct wire_string *host, int32_t *port)
{
    (void)ctx;
    (void)partition;
    *node_id = 1;
    *host = wire_string_from("gc1");
    *port = CT_PORT;
    return KS_OK;
}

static void ct_on_metadata(void *ctx, struct srv_request *request)
{
    (void)ctx;
    int32_t replicas[1] = {2};
    struct api_metadata_partition parts[CT_PARTITIONS];
    memset(parts, 0, sizeof(parts));
    for (int32_t i = 0; i < CT_PARTITIONS; i++) {
        parts[i].partition_index = i;
        parts[i].leader_id = 2;
        parts[i].replica_count = 1;
        parts[i].replica_nodes = replicas;
        parts[i].isr_count = 1;
        parts[i].isr_nodes = replicas;
    }
    struct api_metadata_topic topic;
    memset(&topic, 0, sizeof(topic));
    topic.name = wire_string_from(TK_TOPIC);
    topic.partition_count = CT_PARTITIONS;
    topic.partitions = parts;
    struct api_metadata_broker brokers[2] = {
        {1, wire_string_from("gc1"), CT_PORT, wire_string_null()},
        {2, wire_string_from("nowhere"), CT_PORT, wire_string_null()},
    };
    struct api_metadata_response response = {.broker_count = 2,
                                             .brokers = brokers,
                                             .controller_id = -1,
                                             .topic_count = 1,
                                             .topics = &topic};
    struct wire_writer body;
    wire_writer_init(&body);
    api_metadata_response_encode(&body, request->header.api_version, &response);
    srv_respond(request, &body);
    wire_writer_free(&body);
}

static void ct_server_load(void *ctx)
{
    struct ct_server *s = ctx;
    s->load_timer = 0;
    for (int32_t p = 0; p < s->group->config.offsets_partition_count; p++)
        bgroup_become_leader(s->group, p, 0, NULL, 0);
}

static void *ct_server_start(struct env *env, const struct props *config)
{
    struct ct_server *s = ks_alloc(sizeof(*s));
    s->env = env;
    s->log.base.append = tk_log_append;
    s->log.env = env;
    int64_t delay = 0, load_ms = 0;
    assert_int_equal(props_get_i64(config, "test.append.delay.ms", 5, &delay), KS_OK);
    assert_int_equal(props_get_i64(config, "test.load.after.ms", 0, &load_ms), KS_OK);
    s->log.delay_ms = (uint64_t)delay;
    struct gcoord_config gc;
    assert_int_equal(gcoord_config_from_props(config, &gc), KS_OK);
    struct bgroup_host host = {&s->log.base, ct_leader_of, s};
    s->group = bgroup_create(env, &gc, &host);
    struct srv_handler rows[BGROUP_HANDLERS_COUNT + 1];
    uint32_t n = bgroup_handlers(s->group, rows, BGROUP_HANDLERS_COUNT + 1);
    rows[n++] = (struct srv_handler){API_METADATA, 0, 12, ct_on_metadata, s};
    struct srv_config sc;
    srv_config_default(&sc);
    s->srv = srv_create(env, &sc, rows, n);
    assert_int_equal(srv_listen(s->srv, CT_PORT), KS_OK);
    s->load_timer = env_timer_start(env, (uint64_t)load_ms * MS, ct_server_load, s);
    return s;
}

static void ct_server_destroy(void *node)
{
    struct ct_server *s = node;
    bgroup_free(s->group);
    srv_free(s->srv);
    for (uint32_t i = 0; i < s->log.pending_count; i++) {
        free(s->log.pending[i]->batch);
        free(s->log.pending[i]);
    }
    free(s);
}

static void ct_server_stop(void *node)
{
    struct ct_server *s = node;
    bgroup_stop(s->group);
}

static const struct world_node_type ct_server_type = {"coordinator", ct_server_start,
                                                      ct_server_stop, ct_server_destroy, NULL};

/* ---- Consumer nodes ------------------------------------------------------------------- */

struct ct_member {
    struct env *env;
    struct consumer *consumer;
    struct cgroup *group;
    env_timer_id poll_timer;
    uint64_t stall_after_ns; /* 0: polls forever */
    struct cgroup_event events[CT_EVENTS_MAX];
    char topics[CT_EVENTS_MAX][16];
    uint32_t event_count;
};

static void ct_member_event(void *ctx, const struct cgroup_event *e)
{
    struct ct_member *m = ctx;
    if (m->event_count == CT_EVENTS_MAX)
        return;
    m->events[m->event_count] = *e;
    m->events[m->event_count].member_id = NULL;
    snprintf(m->topics[m->event_count], sizeof(m->topics[0]), "%s", e->topic);
    m->events[m->event_count].topic = m->topics[m->event_count];
    m->event_count++;
}

static void ct_member_poll(void *ctx)
{
    struct ct_member *m = ctx;
    m->poll_timer = 0;
    if (m->stall_after_ns != 0 && env_mono_ns(m->env) >= m->stall_after_ns)
        return;
    cgroup_poll(m->group);
    m->poll_timer = env_timer_start(m->env, 100 * MS, ct_member_poll, m);
}

static void *ct_member_start(struct env *env, const struct props *config)
{
    struct ct_member *m = ks_alloc(sizeof(*m));
    m->env = env;
    enum ks_err err = KS_OK;
    m->consumer = consumer_create(env, config, NULL, NULL, &err);
    assert_int_equal(err, KS_OK);
    m->group = cgroup_create(env, config, m->consumer, ct_member_event, m, &err);
    assert_int_equal(err, KS_OK);
    int64_t stall = 0;
    assert_int_equal(props_get_i64(config, "test.stall.after.ms", 0, &stall), KS_OK);
    m->stall_after_ns = stall > 0 ? env_mono_ns(env) + (uint64_t)stall * MS : 0;
    assert_int_equal(cgroup_subscribe(m->group, TK_TOPIC), KS_OK);
    m->poll_timer = env_timer_start(env, 0, ct_member_poll, m);
    return m;
}

static void ct_member_stop(void *node)
{
    struct ct_member *m = node;
    cgroup_close(m->group);
    consumer_close(m->consumer);
    m->consumer = NULL;
}

static void ct_member_destroy(void *node)
{
    struct ct_member *m = node;
    cgroup_destroy(m->group);
    consumer_destroy(m->consumer);
    free(m);
}

static const struct world_node_type ct_member_type = {"member", ct_member_start, ct_member_stop,
                                                      ct_member_destroy, NULL};

/* ---- The world ------------------------------------------------------------------------- */

struct ct {
    struct world *world;
    int server;
    int members[CT_CONSUMERS_MAX];
    uint32_t member_count;
    uint64_t double_owner_events; /* moments a partition had two holders */
};

static void ct_observe(void *ctx, struct world *world)
{
    struct ct *t = ctx;
    (void)world;
    for (int32_t p = 0; p < CT_PARTITIONS; p++) {
        uint32_t holders = 0;
        for (uint32_t i = 0; i < t->member_count; i++) {
            struct ct_member *m = world_node_impl(t->world, t->members[i]);
            holders += m != NULL && cgroup_owns(m->group, TK_TOPIC, p);
        }
        t->double_owner_events += holders > 1;
    }
}

static void ct_init(struct ct *t, uint64_t seed, const char *const *server_kv,
                    const char *const *member_kv, uint32_t members)
{
    memset(t, 0, sizeof(*t));
    struct world_config wc;
    world_config_default(&wc, seed);
    t->world = world_create(&wc);
    if (getenv("CT_TRACE") != NULL)
        world_trace_file_set(t->world, stderr);
    struct props sp;
    props_init(&sp);
    assert_int_equal(props_set(&sp, "group.initial.rebalance.delay.ms", "0"), KS_OK);
    for (uint32_t i = 0; server_kv != NULL && server_kv[i] != NULL; i += 2)
        assert_int_equal(props_set(&sp, server_kv[i], server_kv[i + 1]), KS_OK);
    t->server = world_node_add(t->world, "gc1", &ct_server_type, &sp);
    props_free(&sp);
    for (uint32_t i = 0; i < members; i++) {
        struct props mp;
        props_init(&mp);
        char name[16];
        snprintf(name, sizeof(name), "c%u", i + 1);
        assert_int_equal(props_set(&mp, "bootstrap.servers", "gc1:9092"), KS_OK);
        assert_int_equal(props_set(&mp, "group.id", "g1"), KS_OK);
        assert_int_equal(props_set(&mp, "client.id", name), KS_OK);
        assert_int_equal(props_set(&mp, "session.timeout.ms", "6000"), KS_OK);
        assert_int_equal(props_set(&mp, "heartbeat.interval.ms", "1000"), KS_OK);
        for (uint32_t k = 0; member_kv != NULL && member_kv[k] != NULL; k += 2)
            assert_int_equal(props_set(&mp, member_kv[k], member_kv[k + 1]), KS_OK);
        t->members[i] = world_node_add(t->world, name, &ct_member_type, &mp);
        props_free(&mp);
    }
    t->member_count = members;
    world_observer_add(t->world, ct_observe, t);
    assert_int_equal(world_node_start(t->world, t->server), KS_OK);
}

static void ct_start_member(struct ct *t, uint32_t i)
{
    assert_int_equal(world_node_start(t->world, t->members[i]), KS_OK);
}

static void ct_run_ms(struct ct *t, uint64_t ms)
{
    world_run_until(t->world, world_now_ns(t->world) + ms * MS, 50000000u);
}

static struct ct_member *ct_member(struct ct *t, uint32_t i)
{
    return world_node_impl(t->world, t->members[i]);
}

/* Partitions each member holds; asserts every partition is held exactly once among
 * the running members and the group is stable. */
static void ct_assert_covered(struct ct *t, uint32_t *held)
{
    for (int32_t p = 0; p < CT_PARTITIONS; p++) {
        uint32_t holders = 0;
        for (uint32_t i = 0; i < t->member_count; i++) {
            struct ct_member *m = ct_member(t, i);
            if (m != NULL && cgroup_owns(m->group, TK_TOPIC, p)) {
                holders++;
                if (held != NULL)
                    held[i]++;
            }
        }
        assert_int_equal(holders, 1);
    }
    for (uint32_t i = 0; i < t->member_count; i++) {
        struct ct_member *m = ct_member(t, i);
        if (m != NULL)
            assert_int_equal(m->group->state, CGROUP_STABLE);
    }
}

static void ct_free(struct ct *t)
{
    world_destroy(t->world);
}

/* ---- Cases ------------------------------------------------------------------------------ */

static void test_two_members_split(void **state)
{
    (void)state;
    static const char *const strategies[] = {"range", "roundrobin", "sticky", "cooperative-sticky"};
    for (uint32_t s = 0; s < KS_ARRAY_COUNT(strategies); s++) {
        const char *kv[] = {"partition.assignment.strategy", strategies[s], NULL};
        struct ct t;
        ct_init(&t, 11 + s, NULL, kv, 2);
        ct_start_member(&t, 0);
        ct_start_member(&t, 1);
        ct_run_ms(&t, 10000);
        uint32_t held[CT_CONSUMERS_MAX] = {0};
        ct_assert_covered(&t, held);
        assert_int_equal(held[0], 3);
        assert_int_equal(held[1], 3);
        assert_int_equal(ct_member(&t, 0)->group->generation, ct_member(&t, 1)->group->generation);
        uint64_t beats = ct_member(&t, 0)->group->heartbeats;
        ct_run_ms(&t, 5000);
        assert_true(ct_member(&t, 0)->group->heartbeats >= beats + 4);
        assert_int_equal(t.double_owner_events, 0);
        ct_free(&t);
    }
}

static void test_member_leaves_and_crashes(void **state)
{
    (void)state;
    struct ct t;
    ct_init(&t, 21, NULL, NULL, 3);
    for (uint32_t i = 0; i < 3; i++)
        ct_start_member(&t, i);
    ct_run_ms(&t, 10000);
    ct_assert_covered(&t, NULL);
    /* a clean close leaves at once: the others rebalance well within a session */
    assert_int_equal(world_node_stop(t.world, t.members[2]), KS_OK);
    ct_run_ms(&t, 3000);
    uint32_t held[CT_CONSUMERS_MAX] = {0};
    ct_assert_covered(&t, held);
    assert_int_equal(held[0] + held[1], CT_PARTITIONS);
    /* a crash is noticed only after session.timeout.ms (6 s) */
    assert_int_equal(world_node_crash(t.world, t.members[1]), KS_OK);
    ct_run_ms(&t, 3000);
    struct ct_member *m0 = ct_member(&t, 0);
    uint32_t owned = 0;
    for (int32_t p = 0; p < CT_PARTITIONS; p++)
        owned += cgroup_owns(m0->group, TK_TOPIC, p);
    assert_true(owned < CT_PARTITIONS);
    ct_run_ms(&t, 8000);
    memset(held, 0, sizeof(held));
    ct_assert_covered(&t, held);
    assert_int_equal(held[0], CT_PARTITIONS);
    ct_free(&t);
}

static int64_t ct_last_resume(const struct ct_member *m, int32_t partition)
{
    int64_t at = -2;
    for (uint32_t i = 0; i < m->event_count; i++) {
        if (m->events[i].kind == CGROUP_EVENT_RESUMED && m->events[i].partition == partition)
            at = m->events[i].offset;
    }
    return at;
}

static void test_commit_survives_rebalance(void **state)
{
    (void)state;
    const char *kv[] = {"enable.auto.commit", "false", NULL};
    struct ct t;
    ct_init(&t, 31, NULL, kv, 2);
    ct_start_member(&t, 0);
    ct_run_ms(&t, 5000);
    struct ct_member *m0 = ct_member(&t, 0);
    ct_assert_covered(&t, NULL);
    for (int32_t p = 0; p < CT_PARTITIONS; p++)
        assert_int_equal(consumer_seek(m0->consumer, TK_TOPIC, p, 40 + p), KS_OK);
    cgroup_commit(m0->group);
    ct_run_ms(&t, 1000);
    uint32_t committed = 0;
    for (uint32_t i = 0; i < m0->event_count; i++)
        committed += m0->events[i].kind == CGROUP_EVENT_COMMITTED;
    assert_int_equal(committed, CT_PARTITIONS);
    assert_int_equal(m0->group->commits_ok, CT_PARTITIONS);
    ct_start_member(&t, 1);
    ct_run_ms(&t, 10000);
    uint32_t held[CT_CONSUMERS_MAX] = {0};
    ct_assert_covered(&t, held);
    assert_int_equal(held[1], 3);
    struct ct_member *m1 = ct_member(&t, 1);
    for (int32_t p = 0; p < CT_PARTITIONS; p++) {
        struct ct_member *owner = cgroup_owns(m0->group, TK_TOPIC, p) ? m0 : m1;
        assert_int_equal(ct_last_resume(owner, p), 40 + p);
        assert_int_equal(consumer_position(owner->consumer, TK_TOPIC, p), 40 + p);
    }
    ct_free(&t);
}

static void test_cooperative_two_rounds(void **state)
{
    (void)state;
    const char *kv[] = {"partition.assignment.strategy", "cooperative-sticky", NULL};
    struct ct t;
    ct_init(&t, 41, NULL, kv, 3);
    ct_start_member(&t, 0);
    ct_start_member(&t, 1);
    ct_run_ms(&t, 8000);
    ct_assert_covered(&t, NULL);
    uint64_t rebalances = ct_member(&t, 0)->group->rebalances;
    ct_start_member(&t, 2);
    ct_run_ms(&t, 10000);
    uint32_t held[CT_CONSUMERS_MAX] = {0};
    ct_assert_covered(&t, held);
    assert_int_equal(held[0], 2);
    assert_int_equal(held[1], 2);
    assert_int_equal(held[2], 2);
    /* two rounds: one to revoke, one to hand out */
    assert_true(ct_member(&t, 0)->group->rebalances >= rebalances + 2);
    uint32_t revoked = 0;
    for (uint32_t i = 0; i < ct_member(&t, 0)->event_count; i++)
        revoked += ct_member(&t, 0)->events[i].kind == CGROUP_EVENT_REVOKED;
    assert_int_equal(revoked, 1); /* only what moved */
    assert_int_equal(t.double_owner_events, 0);
    ct_free(&t);
}

static void test_coordinator_loads_late(void **state)
{
    (void)state;
    const char *skv[] = {"test.load.after.ms", "3000", NULL};
    struct ct t;
    ct_init(&t, 51, skv, NULL, 2);
    ct_start_member(&t, 0);
    ct_start_member(&t, 1);
    ct_run_ms(&t, 2500);
    assert_int_equal(ct_member(&t, 0)->group->generation, CGROUP_GENERATION_NONE);
    ct_run_ms(&t, 8000);
    ct_assert_covered(&t, NULL);
    ct_free(&t);
}

static void test_coordinator_restart_loses_group(void **state)
{
    (void)state;
    struct ct t;
    ct_init(&t, 61, NULL, NULL, 2);
    ct_start_member(&t, 0);
    ct_start_member(&t, 1);
    ct_run_ms(&t, 6000);
    ct_assert_covered(&t, NULL);
    int32_t generation = ct_member(&t, 0)->group->generation;
    assert_int_equal(world_node_crash(t.world, t.server), KS_OK);
    ct_run_ms(&t, 2000);
    assert_int_equal(world_node_start(t.world, t.server), KS_OK);
    ct_run_ms(&t, 15000);
    ct_assert_covered(&t, NULL);
    /* the restarted coordinator knew no group: the members joined anew */
    assert_true(ct_member(&t, 0)->group->rebalances >= 2);
    (void)generation;
    ct_free(&t);
}

static void test_poll_timeout_leaves(void **state)
{
    (void)state;
    struct ct t;
    ct_init(&t, 71, NULL, NULL, 2);
    ct_start_member(&t, 0);
    struct props mp;
    (void)mp;
    ct_start_member(&t, 1);
    ct_run_ms(&t, 6000);
    ct_assert_covered(&t, NULL);
    /* member 1 stops polling: after max.poll.interval.ms it leaves */
    struct ct_member *m1 = ct_member(&t, 1);
    m1->group->config.max_poll_interval_ms = 4000;
    m1->stall_after_ns = env_mono_ns(m1->env);
    ct_run_ms(&t, 10000);
    assert_int_equal(m1->group->state, CGROUP_LEAVING);
    uint32_t owned = 0;
    for (int32_t p = 0; p < CT_PARTITIONS; p++) {
        owned += cgroup_owns(ct_member(&t, 0)->group, TK_TOPIC, p);
        assert_false(cgroup_owns(m1->group, TK_TOPIC, p));
    }
    assert_int_equal(owned, CT_PARTITIONS);
    /* it polls again and rejoins */
    m1->stall_after_ns = 0;
    m1->poll_timer = env_timer_start(m1->env, 0, ct_member_poll, m1);
    ct_run_ms(&t, 10000);
    ct_assert_covered(&t, NULL);
    assert_int_equal(t.double_owner_events, 0);
    ct_free(&t);
}

static void test_bad_config(void **state)
{
    (void)state;
    static const struct {
        const char *key, *value;
    } cases[] = {
        {"group.id", ""},
        {"partition.assignment.strategy", "fair"},
        {"partition.assignment.strategy", ""},
        {"session.timeout.ms", "0"},
        {"heartbeat.interval.ms", "50000"},
        {"enable.auto.commit", "yes"},
        {"max.poll.interval.ms", "-1"},
    };
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        struct props p;
        props_init(&p);
        assert_int_equal(props_set(&p, "group.id", "g1"), KS_OK);
        assert_int_equal(props_set(&p, cases[i].key, cases[i].value), KS_OK);
        struct cgroup_config cc;
        assert_int_equal(cgroup_config_from_props(&p, &cc), KS_ERR_INVALID_CONFIG);
        props_free(&p);
    }
    struct props p;
    props_init(&p);
    assert_int_equal(props_set(&p, "group.id", "g1"), KS_OK);
    struct cgroup_config cc;
    assert_int_equal(cgroup_config_from_props(&p, &cc), KS_OK);
    assert_int_equal(cc.assignor_count, 2);
    assert_int_equal(cc.assignors[0], ASSIGNOR_RANGE);
    assert_int_equal(cc.assignors[1], ASSIGNOR_COOPERATIVE_STICKY);
    assert_true(cc.enable_auto_commit);
    assert_int_equal(cc.session_timeout_ms, 45000);
    props_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_two_members_split),
        cmocka_unit_test(test_member_leaves_and_crashes),
        cmocka_unit_test(test_commit_survives_rebalance),
        cmocka_unit_test(test_cooperative_two_rounds),
        cmocka_unit_test(test_coordinator_loads_late),
        cmocka_unit_test(test_coordinator_restart_loses_group),
        cmocka_unit_test(test_poll_timeout_leaves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
