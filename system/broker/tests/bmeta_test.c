/*
 * bmeta_test.c: KRaft brokers follow `__cluster_metadata` as Raft observers in a
 * simulated world of three controller voters (raft_node, the Raft layer without the
 * controller state machine) and three brokers. The test plays the controller state
 * machine: it appends mrec records through the Raft leader. Pins: every broker applies
 * the committed records, images agree by digest, the broker named leader leads and the
 * others follow; a restarted broker rebuilds its image from the log; a broker
 * partitioned away and healed catches up.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sim/world.h"
#include "system/broker/broker.h"
#include "system/broker/part.h"
#include "system/raft/raft_node.h"

#define MS WORLD_NS_PER_MS
#define T_CONTROLLERS 3
#define T_BROKERS 3
#define T_VOTERS "1@c1:9093,2@c2:9093,3@c3:9093"
#define T_TOPIC "orders"

static const struct world_node_type t_controller_type = {
    "controller", raft_node_start, raft_node_stop, raft_node_destroy, raft_node_describe};
static const struct world_node_type t_broker_type = {"broker", broker_start, broker_stop,
                                                     broker_destroy, broker_describe};

struct t_world {
    struct world *w;
    int controllers[T_CONTROLLERS];
    int brokers[T_BROKERS];
};

static void t_world_create(struct t_world *t, uint64_t seed)
{
    struct world_config wc;
    world_config_default(&wc, seed);
    t->w = world_create(&wc);
    char name[16], id[16], listeners[64];
    for (int i = 0; i < T_CONTROLLERS; i++) {
        struct props p;
        props_init(&p);
        snprintf(name, sizeof(name), "c%d", i + 1);
        snprintf(id, sizeof(id), "%d", i + 1);
        assert_int_equal(props_set(&p, "node.id", id), KS_OK);
        assert_int_equal(props_set(&p, "controller.quorum.voters", T_VOTERS), KS_OK);
        t->controllers[i] = world_node_add(t->w, name, &t_controller_type, &p);
        props_free(&p);
        assert_int_equal(world_node_start(t->w, t->controllers[i]), KS_OK);
    }
    for (int i = 0; i < T_BROKERS; i++) {
        struct props p;
        props_init(&p);
        snprintf(name, sizeof(name), "b%d", i + 1);
        snprintf(id, sizeof(id), "%d", 101 + i);
        snprintf(listeners, sizeof(listeners), "PLAINTEXT://%s:9092", name);
        assert_int_equal(props_set(&p, "node.id", id), KS_OK);
        assert_int_equal(props_set(&p, "process.roles", "broker"), KS_OK);
        assert_int_equal(props_set(&p, "controller.quorum.voters", T_VOTERS), KS_OK);
        assert_int_equal(props_set(&p, "listeners", listeners), KS_OK);
        t->brokers[i] = world_node_add(t->w, name, &t_broker_type, &p);
        props_free(&p);
        assert_int_equal(world_node_start(t->w, t->brokers[i]), KS_OK);
    }
}

static struct raft *t_leader(struct t_world *t)
{
    for (int i = 0; i < T_CONTROLLERS; i++) {
        void *impl = world_node_impl(t->w, t->controllers[i]);
        struct raft_status s;
        if (impl == NULL)
            continue;
        raft_status_get(raft_node_raft(impl), &s);
        if (s.state == RAFT_LEADER)
            return raft_node_raft(impl);
    }
    return NULL;
}

static void t_append(struct t_world *t, const struct mrec *rec)
{
    struct raft *leader = t_leader(t);
    assert_non_null(leader);
    struct wire_writer w;
    wire_writer_init(&w);
    mrec_encode(&w, rec);
    assert_int_equal(w.err, KS_OK);
    assert_int_equal(raft_append(leader, w.bytes, w.size_bytes), KS_OK);
    wire_writer_free(&w);
}

/* What the controller writes for three registered, unfenced brokers and a topic with
 * one partition led by broker 101. */
static void t_write_cluster(struct t_world *t)
{
    struct mrec rec;
    for (int i = 0; i < T_BROKERS; i++) {
        mrec_init(&rec, MREC_REGISTER_BROKER);
        rec.u.register_broker.broker_id = 101 + i;
        rec.u.register_broker.broker_epoch = i;
        rec.u.register_broker.endpoint_count = 1;
        rec.u.register_broker.endpoints[0] =
            (struct mrec_endpoint){wire_string_from("PLAINTEXT"), wire_string_from("b"), 9092, 0};
        rec.u.register_broker.fenced = false;
        t_append(t, &rec);
    }
    mrec_init(&rec, MREC_TOPIC);
    rec.u.topic.name = wire_string_from(T_TOPIC);
    rec.u.topic.topic_id.bytes[15] = 7;
    t_append(t, &rec);
    mrec_init(&rec, MREC_PARTITION);
    rec.u.partition.partition_id = 0;
    rec.u.partition.topic_id.bytes[15] = 7;
    rec.u.partition.replicas = (struct mrec_ids){3, {101, 102, 103}};
    rec.u.partition.isr = (struct mrec_ids){3, {101, 102, 103}};
    rec.u.partition.leader = 101;
    rec.u.partition.leader_epoch = 1;
    t_append(t, &rec);
}

static struct broker *t_broker(struct t_world *t, int i)
{
    return world_node_impl(t->w, t->brokers[i]);
}

/* Every running broker has the topic, the same digest, and the roles the image says. */
static void t_check_images(struct t_world *t)
{
    uint64_t digest = 0;
    for (int i = 0; i < T_BROKERS; i++) {
        struct broker *b = t_broker(t, i);
        assert_non_null(b);
        const struct mimage *img = bmeta_image(b->meta);
        assert_non_null(mimage_topic_find_name(img, T_TOPIC, strlen(T_TOPIC)));
        if (i == 0)
            digest = mimage_digest(img);
        assert_int_equal(mimage_digest(img), digest);
        struct part *p = rmgr_part(b->rmgr, T_TOPIC, 0);
        assert_non_null(p);
        assert_int_equal(p->role, i == 0 ? PART_LEADER : PART_FOLLOWER);
    }
}

static void test_brokers_follow_metadata_log(void **state)
{
    (void)state;
    struct t_world t;
    t_world_create(&t, 11);
    world_run_until(t.w, 5000 * MS, UINT64_MAX);
    t_write_cluster(&t);
    world_run_until(t.w, 8000 * MS, UINT64_MAX);
    t_check_images(&t);
    for (int i = 0; i < T_BROKERS; i++)
        assert_int_equal(t_broker(&t, i)->meta->stats.divergences, 0);
    world_destroy(t.w);
}

static void test_restart_and_partition_catch_up(void **state)
{
    (void)state;
    struct t_world t;
    t_world_create(&t, 12);
    world_run_until(t.w, 5000 * MS, UINT64_MAX);
    assert_int_equal(world_node_crash(t.w, t.brokers[1]), KS_OK);
    int cut[T_CONTROLLERS] = {t.controllers[0], t.controllers[1], t.controllers[2]};
    world_partition(t.w, &t.brokers[2], 1, cut, T_CONTROLLERS, false);
    t_write_cluster(&t);
    world_run_until(t.w, 7000 * MS, UINT64_MAX);
    assert_null(
        mimage_topic_find_name(bmeta_image(t_broker(&t, 2)->meta), T_TOPIC, strlen(T_TOPIC)));
    assert_int_equal(world_node_start(t.w, t.brokers[1]), KS_OK);
    world_heal(t.w);
    world_run_until(t.w, 12000 * MS, UINT64_MAX);
    t_check_images(&t);
    world_destroy(t.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_brokers_follow_metadata_log),
        cmocka_unit_test(test_restart_and_partition_catch_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
