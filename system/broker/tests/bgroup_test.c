/*
 * bgroup_test.c: the group coordinator hosted on brokers. Three brokers with a metadata
 * image the test pushes (as repl_test does): __consumer_offsets (3 partitions,
 * replication 3) and "orders" (4 partitions), every partition led by b0 at first.
 * Consumer members (cgroup.h) find the coordinator through FindCoordinator, form a
 * group, commit; the commit is answered once the high watermark of the group's
 * __consumer_offsets partition passed it, on every replica. Then b0 crashes, the test
 * elects b1 for every partition: b1 loads the group's partition, the members find it,
 * rejoin, and resume from the committed offsets (they survive the failover).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/world.h"
#include "system/broker/bgroup.h"
#include "system/broker/broker.h"
#include "system/broker/part.h"
#include "system/client/cgroup.h"

#define MS WORLD_NS_PER_MS
#define BT_BROKERS 3
#define BT_MEMBERS 2
#define BT_OFFSETS_PARTITIONS 3
#define BT_ORDERS_PARTITIONS 4
#define BT_EVENTS_MAX 1024u

static const struct world_node_type bt_broker_type = {"broker", broker_start, broker_stop,
                                                      broker_destroy, NULL};

/* ---- Members ------------------------------------------------------------------------ */

struct bt_member {
    struct env *env;
    struct consumer *consumer;
    struct cgroup *group;
    env_timer_id poll_timer;
    uint32_t committed;
    int64_t resumed[BT_ORDERS_PARTITIONS]; /* last RESUMED offset, -2 none */
};

static void bt_member_event(void *ctx, const struct cgroup_event *e)
{
    struct bt_member *m = ctx;
    if (e->kind == CGROUP_EVENT_COMMITTED)
        m->committed++;
    if (e->kind == CGROUP_EVENT_RESUMED && e->partition < BT_ORDERS_PARTITIONS)
        m->resumed[e->partition] = e->offset;
}

static void bt_member_poll(void *ctx)
{
    struct bt_member *m = ctx;
    cgroup_poll(m->group);
    m->poll_timer = env_timer_start(m->env, 100 * MS, bt_member_poll, m);
}

static void *bt_member_start(struct env *env, const struct props *config)
{
    struct bt_member *m = ks_alloc(sizeof(*m));
    m->env = env;
    enum ks_err err = KS_OK;
    m->consumer = consumer_create(env, config, NULL, NULL, &err);
    assert_int_equal(err, KS_OK);
    m->group = cgroup_create(env, config, m->consumer, bt_member_event, m, &err);
    assert_int_equal(err, KS_OK);
    for (uint32_t p = 0; p < BT_ORDERS_PARTITIONS; p++)
        m->resumed[p] = -2;
    assert_int_equal(cgroup_subscribe(m->group, "orders"), KS_OK);
    m->poll_timer = env_timer_start(env, 0, bt_member_poll, m);
    return m;
}

static void bt_member_stop(void *node)
{
    struct bt_member *m = node;
    cgroup_close(m->group);
    consumer_close(m->consumer);
    m->consumer = NULL;
}

static void bt_member_destroy(void *node)
{
    struct bt_member *m = node;
    cgroup_destroy(m->group);
    consumer_destroy(m->consumer);
    free(m);
}

static const struct world_node_type bt_member_type = {"member", bt_member_start, bt_member_stop,
                                                      bt_member_destroy, NULL};

/* ---- The cluster ----------------------------------------------------------------------- */

struct bt {
    struct world *w;
    int brokers[BT_BROKERS];
    int members[BT_MEMBERS];
    struct mimage img;
    int64_t offset;
    struct wire_uuid topic_ids[2];
};

static struct broker *bt_broker(struct bt *t, int32_t id)
{
    if (world_node_state_of(t->w, t->brokers[id]) != WORLD_NODE_RUNNING)
        return NULL;
    return world_node_impl(t->w, t->brokers[id]);
}

static struct bt_member *bt_member(struct bt *t, uint32_t i)
{
    return world_node_impl(t->w, t->members[i]);
}

static void bt_apply(struct bt *t, const struct mrec *rec)
{
    assert_int_equal(mimage_apply(&t->img, ++t->offset, rec), KS_OK);
}

/* The ISR never changes here: AlterPartition is left unanswered. */
static void bt_alter(void *ctx, const struct pchange_alter *alter)
{
    (void)ctx;
    (void)alter;
}

static void bt_publish(struct bt *t)
{
    for (int32_t id = 0; id < BT_BROKERS; id++) {
        struct broker *b = bt_broker(t, id);
        if (b == NULL)
            continue;
        broker_set_alter_partition(b, bt_alter, t);
        assert_int_equal(broker_apply_image(b, &t->img), KS_OK);
    }
}

static void bt_topic(struct bt *t, uint32_t index, const char *name, int32_t partitions)
{
    struct mrec rec;
    mrec_init(&rec, MREC_TOPIC);
    rec.u.topic.name = wire_string_from(name);
    t->topic_ids[index].bytes[15] = (uint8_t)(index + 1);
    rec.u.topic.topic_id = t->topic_ids[index];
    bt_apply(t, &rec);
    for (int32_t p = 0; p < partitions; p++) {
        mrec_init(&rec, MREC_PARTITION);
        struct mrec_partition *mp = &rec.u.partition;
        mp->topic_id = t->topic_ids[index];
        mp->partition_id = p;
        mp->replicas.count = mp->isr.count = BT_BROKERS;
        for (int32_t id = 0; id < BT_BROKERS; id++)
            mp->replicas.ids[id] = mp->isr.ids[id] = id;
        mp->leader = 0;
        mp->leader_epoch = 0;
        mp->partition_epoch = 0;
        bt_apply(t, &rec);
    }
}

static void bt_register(struct bt *t)
{
    struct mrec rec;
    for (int32_t id = 0; id < BT_BROKERS; id++) {
        mrec_init(&rec, MREC_REGISTER_BROKER);
        struct mrec_register_broker *r = &rec.u.register_broker;
        r->broker_id = id;
        r->broker_epoch = id + 1;
        r->incarnation_id.bytes[0] = (uint8_t)(id + 1);
        r->endpoint_count = 1;
        r->endpoints[0].name = wire_string_from("PLAINTEXT");
        r->endpoints[0].host = wire_string_from(world_node_name(t->w, t->brokers[id]));
        r->endpoints[0].port = BROKER_PORT_DEFAULT;
        r->fenced = false;
        bt_apply(t, &rec);
    }
    bt_topic(t, 0, BGROUP_OFFSETS_TOPIC, BT_OFFSETS_PARTITIONS);
    bt_topic(t, 1, "orders", BT_ORDERS_PARTITIONS);
}

/* Every partition of both topics gets a new leader (and ISR without the old one). */
static void bt_elect_all(struct bt *t, int32_t leader, int32_t gone)
{
    for (uint32_t i = 0; i < 2; i++) {
        int32_t count = i == 0 ? BT_OFFSETS_PARTITIONS : BT_ORDERS_PARTITIONS;
        for (int32_t p = 0; p < count; p++) {
            struct mrec rec;
            mrec_init(&rec, MREC_PARTITION_CHANGE);
            rec.u.partition_change.topic_id = t->topic_ids[i];
            rec.u.partition_change.partition_id = p;
            rec.u.partition_change.leader = leader;
            int32_t n = 0;
            for (int32_t id = 0; id < BT_BROKERS; id++) {
                if (id != gone)
                    rec.u.partition_change.isr.ids[n++] = id;
            }
            rec.u.partition_change.isr.count = n;
            bt_apply(t, &rec);
        }
    }
    bt_publish(t);
}

static void bt_init(struct bt *t, uint64_t seed)
{
    memset(t, 0, sizeof(*t));
    struct world_config wc;
    world_config_default(&wc, seed);
    t->w = world_create(&wc);
    if (getenv("BT_TRACE") != NULL)
        world_trace_file_set(t->w, stderr);
    mimage_init(&t->img);
    for (int32_t id = 0; id < BT_BROKERS; id++) {
        struct props props;
        props_init(&props);
        char text[32];
        snprintf(text, sizeof(text), "%d", id);
        assert_int_equal(props_set(&props, "node.id", text), KS_OK);
        assert_int_equal(props_set(&props, "min.insync.replicas", "2"), KS_OK);
        assert_int_equal(props_set(&props, "replica.fetch.backoff.ms", "100"), KS_OK);
        assert_int_equal(props_set(&props, "offsets.topic.num.partitions", "3"), KS_OK);
        assert_int_equal(props_set(&props, "group.initial.rebalance.delay.ms", "0"), KS_OK);
        snprintf(text, sizeof(text), "b%d", id);
        t->brokers[id] = world_node_add(t->w, text, &bt_broker_type, &props);
        props_free(&props);
        assert_int_equal(world_node_start(t->w, t->brokers[id]), KS_OK);
    }
    for (uint32_t i = 0; i < BT_MEMBERS; i++) {
        struct props mp;
        props_init(&mp);
        char name[16];
        snprintf(name, sizeof(name), "c%u", i + 1);
        assert_int_equal(props_set(&mp, "bootstrap.servers", "b1:9092,b2:9092"), KS_OK);
        assert_int_equal(props_set(&mp, "group.id", "g1"), KS_OK);
        assert_int_equal(props_set(&mp, "client.id", name), KS_OK);
        assert_int_equal(props_set(&mp, "session.timeout.ms", "6000"), KS_OK);
        assert_int_equal(props_set(&mp, "heartbeat.interval.ms", "1000"), KS_OK);
        assert_int_equal(props_set(&mp, "enable.auto.commit", "false"), KS_OK);
        assert_int_equal(props_set(&mp, "auto.offset.reset", "earliest"), KS_OK);
        t->members[i] = world_node_add(t->w, name, &bt_member_type, &mp);
        props_free(&mp);
    }
    bt_register(t);
    bt_publish(t);
}

static void bt_run_ms(struct bt *t, uint64_t ms)
{
    world_run_until(t->w, world_now_ns(t->w) + ms * MS, 50000000u);
}

static void bt_free(struct bt *t)
{
    world_destroy(t->w);
    mimage_free(&t->img);
}

/* Every orders partition owned by exactly one running member, all stable. */
static void bt_assert_covered(struct bt *t)
{
    for (int32_t p = 0; p < BT_ORDERS_PARTITIONS; p++) {
        uint32_t holders = 0;
        for (uint32_t i = 0; i < BT_MEMBERS; i++)
            holders += cgroup_owns(bt_member(t, i)->group, "orders", p);
        assert_int_equal(holders, 1);
    }
    for (uint32_t i = 0; i < BT_MEMBERS; i++)
        assert_int_equal(bt_member(t, i)->group->state, CGROUP_STABLE);
}

static void test_group_on_brokers_and_failover(void **state)
{
    (void)state;
    struct bt t;
    bt_init(&t, 7);
    bt_run_ms(&t, 1000);
    for (uint32_t i = 0; i < BT_MEMBERS; i++)
        assert_int_equal(world_node_start(t.w, t.members[i]), KS_OK);
    bt_run_ms(&t, 10000);
    bt_assert_covered(&t);
    /* the coordinator is b0, the leader of the group's partition */
    assert_int_equal(bt_member(&t, 0)->group->coordinator, 0);
    /* commit a position on every partition */
    for (uint32_t i = 0; i < BT_MEMBERS; i++) {
        struct bt_member *m = bt_member(&t, i);
        for (int32_t p = 0; p < BT_ORDERS_PARTITIONS; p++) {
            if (cgroup_owns(m->group, "orders", p))
                assert_int_equal(consumer_seek(m->consumer, "orders", p, 100 + p), KS_OK);
        }
        cgroup_commit(m->group);
    }
    bt_run_ms(&t, 2000);
    assert_int_equal(bt_member(&t, 0)->committed + bt_member(&t, 1)->committed,
                     BT_ORDERS_PARTITIONS);
    /* the records are replicated: the group's partition has the same high watermark
     * on the followers once they fetched again */
    struct gcoord_config gc;
    gcoord_config_default(&gc);
    gc.offsets_partition_count = BT_OFFSETS_PARTITIONS;
    int32_t gp = gcoord_partition_for(&gc, wire_string_from("g1"));
    struct part *leader_part = rmgr_part(bt_broker(&t, 0)->rmgr, BGROUP_OFFSETS_TOPIC, gp);
    assert_non_null(leader_part);
    assert_true(part_high_watermark(leader_part) >= BT_ORDERS_PARTITIONS);
    /* b0 crashes; b1 leads everything; the group moves and resumes from the commits */
    assert_int_equal(world_node_crash(t.w, t.brokers[0]), KS_OK);
    bt_elect_all(&t, 1, 0);
    bt_run_ms(&t, 20000);
    bt_assert_covered(&t);
    assert_int_equal(bt_member(&t, 0)->group->coordinator, 1);
    /* a member leaves: the other takes every partition from its committed offset */
    assert_int_equal(world_node_stop(t.w, t.members[1]), KS_OK);
    bt_run_ms(&t, 10000);
    struct bt_member *m0 = bt_member(&t, 0);
    assert_int_equal(m0->group->state, CGROUP_STABLE);
    for (int32_t p = 0; p < BT_ORDERS_PARTITIONS; p++) {
        assert_true(cgroup_owns(m0->group, "orders", p));
        assert_int_equal(m0->resumed[p], 100 + p);
    }
    bt_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_on_brokers_and_failover),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
