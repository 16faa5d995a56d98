/*
 * kcheck_test.c: the clients and the history checker in a simulated world of three
 * brokers, the test playing the controller (as system/broker/tests/repl_test.c does):
 * an idempotent acks=all producer node and a consumer node run a workload while
 * leaders crash, change twice at once, or lose their connections to the producer;
 * afterwards kcheck reads the history and the brokers' logs; during the run it watches
 * every leader's high watermark. Pins: no violation in a correct world; each bug switch
 * caught by the check that names it: repl_acks_all_before_isr and repl_truncate_to_hw
 * (KIP-101: two leader changes, each published, while a follower's high watermark
 * lags) lose acknowledged writes; producer_retry_without_idempotence_sequence writes
 * duplicates; kip279_epochless_truncation (a follower that led an epoch nobody else
 * saw keeps its divergent tail) breaks kcheck_replicas_agree; kafka7128_isr_expand_
 * below_hw (a follower back from a partition rejoins the ISR below the high watermark)
 * breaks kcheck_hw_monotonic.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kcheck.h"
#include "sim/nodes_client.h"
#include "sim/sched.h"
#include "sim/world.h"
#include "system/broker/broker.h"
#include "system/bugs.h"
#include "system/client/cnode.h"
#include "system/log/rb.h"

#define MS WORLD_NS_PER_MS
#define T_BROKERS 3
#define T_PARTITIONS 3
#define T_TOPIC "orders"
#define T_ALTER_EVENTS_MAX 256u

static const struct world_node_type t_broker_type = {"broker", broker_start, broker_stop,
                                                     broker_destroy, NULL};

enum t_fault {
    T_FAULT_CRASH_LEADER,
    T_FAULT_ELECT_TWICE,
    T_FAULT_BREAK_LINKS,
    T_FAULT_KIP101, /* two leader changes at one instant, each published */
};

struct t_alter_event {
    struct cluster *cl;
    struct pchange_alter alter;
};

struct cluster {
    struct world *w;
    struct t_alter_event alter_events[T_ALTER_EVENTS_MAX];
    uint32_t alter_next;
    int nodes[T_BROKERS];
    int producer;
    int consumer;
    struct mimage img;
    int64_t offset;
    struct wire_uuid topic_id;
    struct history *history;
    struct kcheck *ck; /* created with the cluster: it watches during the run */
};

/* ---- The controller's part (as in repl_test.c) ------------------------------------ */

static struct broker *cl_broker(struct cluster *cl, int32_t id)
{
    if (world_node_state_of(cl->w, cl->nodes[id]) != WORLD_NODE_RUNNING)
        return NULL;
    return world_node_impl(cl->w, cl->nodes[id]);
}

static const struct mimage_partition *cl_state(struct cluster *cl, int32_t partition)
{
    return &mimage_topic_find_name(&cl->img, T_TOPIC, strlen(T_TOPIC))->partitions[partition];
}

static void cl_apply(struct cluster *cl, const struct mrec *rec)
{
    assert_int_equal(mimage_apply(&cl->img, ++cl->offset, rec), KS_OK);
}

static void cl_alter(void *ctx, const struct pchange_alter *alter);

static void cl_publish(struct cluster *cl)
{
    for (int32_t id = 0; id < T_BROKERS; id++) {
        struct broker *b = cl_broker(cl, id);
        if (b == NULL)
            continue;
        broker_set_alter_partition(b, cl_alter, cl);
        assert_int_equal(broker_apply_image(b, &cl->img), KS_OK);
    }
}

static void cl_alter_apply(void *ctx, uint64_t arg)
{
    struct t_alter_event *e = ctx;
    struct cluster *cl = e->cl;
    (void)arg;
    struct pchange_context pc;
    pchange_context_init(&pc, &cl->img, false);
    struct mrec rec;
    bool has = false;
    enum ks_err err = pchange_alter_partition(&pc, &e->alter, &rec, &has);
    if (err == KS_OK && has)
        cl_apply(cl, &rec);
    cl_publish(cl);
    struct broker *b = cl_broker(cl, e->alter.broker_id);
    if (b != NULL)
        rmgr_alter_partition_response(b->rmgr, &e->alter.topic_id, e->alter.partition_id, err,
                                      cl_state(cl, e->alter.partition_id));
}

static void cl_alter(void *ctx, const struct pchange_alter *alter)
{
    struct cluster *cl = ctx;
    struct t_alter_event *e = &cl->alter_events[cl->alter_next++ % T_ALTER_EVENTS_MAX];
    e->cl = cl;
    e->alter = *alter;
    sched_after(world_sched(cl->w), MS, cl_alter_apply, e, 0);
}

static void cl_elect(struct cluster *cl, int32_t partition, int32_t leader, const int32_t *isr,
                     uint32_t isr_count)
{
    struct mrec rec;
    mrec_init(&rec, MREC_PARTITION_CHANGE);
    rec.u.partition_change.topic_id = cl->topic_id;
    rec.u.partition_change.partition_id = partition;
    rec.u.partition_change.leader = leader;
    if (isr_count > 0) {
        rec.u.partition_change.isr.count = isr_count;
        memcpy(rec.u.partition_change.isr.ids, isr, isr_count * sizeof(*isr));
    }
    cl_apply(cl, &rec);
}

static void cl_register(struct cluster *cl)
{
    struct mrec rec;
    for (int32_t id = 0; id < T_BROKERS; id++) {
        mrec_init(&rec, MREC_REGISTER_BROKER);
        struct mrec_register_broker *r = &rec.u.register_broker;
        r->broker_id = id;
        r->broker_epoch = id + 1;
        r->incarnation_id.bytes[0] = (uint8_t)(id + 1);
        r->endpoint_count = 1;
        r->endpoints[0].name = wire_string_from("PLAINTEXT");
        r->endpoints[0].host = wire_string_from(world_node_name(cl->w, cl->nodes[id]));
        r->endpoints[0].port = BROKER_PORT_DEFAULT;
        r->fenced = false;
        cl_apply(cl, &rec);
    }
    mrec_init(&rec, MREC_TOPIC);
    rec.u.topic.name = wire_string_from(T_TOPIC);
    cl->topic_id.bytes[15] = 7;
    rec.u.topic.topic_id = cl->topic_id;
    cl_apply(cl, &rec);
    for (int32_t part = 0; part < T_PARTITIONS; part++) {
        mrec_init(&rec, MREC_PARTITION);
        struct mrec_partition *p = &rec.u.partition;
        p->topic_id = cl->topic_id;
        p->partition_id = part;
        p->replicas.count = p->isr.count = T_BROKERS;
        for (int32_t id = 0; id < T_BROKERS; id++)
            p->replicas.ids[id] = p->isr.ids[id] = (part + id) % T_BROKERS;
        p->leader = part % T_BROKERS;
        p->leader_epoch = 0; /* as the controller does: batches carry epochs */
        p->partition_epoch = 0;
        cl_apply(cl, &rec);
    }
}

/* ---- The world ---------------------------------------------------------------------- */

static int cl_client(struct cluster *cl, const char *name, const struct world_node_type *type,
                     const char *const *kv, uint32_t kv_count)
{
    struct props props;
    props_init(&props);
    assert_int_equal(props_set(&props, "bootstrap.servers", "b0:9092,b1:9092,b2:9092"), KS_OK);
    for (uint32_t i = 0; i + 1 < kv_count; i += 2)
        assert_int_equal(props_set(&props, kv[i], kv[i + 1]), KS_OK);
    int node = world_node_add(cl->w, name, type, &props);
    props_free(&props);
    assert_true(node >= 0);
    assert_int_equal(world_node_start(cl->w, node), KS_OK);
    cnode_set_history(world_node_impl(cl->w, node), cl->history);
    return node;
}

/* kcheck_hw_monotonic after every event: every running broker's leaders. */
static void cl_observe(void *ctx, struct world *w)
{
    struct cluster *cl = ctx;
    for (int32_t id = 0; id < T_BROKERS; id++) {
        struct broker *b = cl_broker(cl, id);
        for (int32_t part = 0; b != NULL && b->rmgr != NULL && part < T_PARTITIONS; part++) {
            const struct part *p = rmgr_part(b->rmgr, T_TOPIC, part);
            if (p != NULL)
                kcheck_observe_leader(cl->ck, p, world_node_incarnation(w, cl->nodes[id]),
                                      world_now_ns(w));
        }
    }
}

/* lag_ms 0: Kafka's default replica.lag.time.max.ms. */
static struct cluster *cl_new_lag(uint64_t seed, env_bug_mask bugs, uint32_t lag_ms)
{
    struct cluster *cl = calloc(1, sizeof(*cl));
    struct world_config config;
    world_config_default(&config, seed);
    config.bugs = bugs;
    cl->w = world_create(&config);
    cl->history = history_create();
    cl->ck = kcheck_create(cl->history);
    mimage_init(&cl->img);
    for (int32_t id = 0; id < T_BROKERS; id++) {
        struct props props;
        props_init(&props);
        char text[32];
        snprintf(text, sizeof(text), "%d", id);
        assert_int_equal(props_set(&props, "node.id", text), KS_OK);
        assert_int_equal(props_set(&props, "min.insync.replicas", "2"), KS_OK);
        assert_int_equal(props_set(&props, "replica.fetch.backoff.ms", "100"), KS_OK);
        if (lag_ms > 0) {
            snprintf(text, sizeof(text), "%u", lag_ms);
            assert_int_equal(props_set(&props, "replica.lag.time.max.ms", text), KS_OK);
        }
        snprintf(text, sizeof(text), "b%d", id);
        cl->nodes[id] = world_node_add(cl->w, text, &t_broker_type, &props);
        props_free(&props);
        assert_int_equal(world_node_start(cl->w, cl->nodes[id]), KS_OK);
    }
    for (int32_t a = 0; a < T_BROKERS; a++) {
        for (int32_t b = a + 1; b < T_BROKERS; b++) /* followers lag: windows for the bugs */
            world_link_latency_set(cl->w, cl->nodes[a], cl->nodes[b], 20 * MS, 40 * MS, true);
    }
    cl_register(cl);
    cl_publish(cl);
    static const char *const producer_kv[] = {"workload.rate", "300", "workload.keys",      "20",
                                              "linger.ms",     "5",   "request.timeout.ms", "3000"};
    static const char *const consumer_kv[] = {"workload.partitions", "3", "auto.offset.reset",
                                              "earliest"};
    cl->producer =
        cl_client(cl, "p0", &nodes_client_producer_type, producer_kv, KS_ARRAY_COUNT(producer_kv));
    cl->consumer =
        cl_client(cl, "c0", &nodes_client_consumer_type, consumer_kv, KS_ARRAY_COUNT(consumer_kv));
    world_observer_add(cl->w, cl_observe, cl);
    return cl;
}

static struct cluster *cl_new(uint64_t seed, env_bug_mask bugs)
{
    return cl_new_lag(seed, bugs, 0);
}

/* Frees the cluster but not its checker (the caller's). */
static void cl_free(struct cluster *cl)
{
    world_destroy(cl->w);
    history_free(cl->history);
    mimage_free(&cl->img);
    free(cl);
}

static void cl_run_to(struct cluster *cl, uint64_t ms)
{
    world_run_until(cl->w, ms * MS, UINT64_MAX);
}

/* The controller fences a crashed broker: partitions it led get the next ISR member. */
static void cl_crash(struct cluster *cl, int32_t victim)
{
    assert_int_equal(world_node_crash(cl->w, cl->nodes[victim]), KS_OK);
    for (int32_t part = 0; part < T_PARTITIONS; part++) {
        const struct mimage_partition *s = cl_state(cl, part);
        int32_t isr[T_BROKERS];
        uint32_t n = 0;
        for (uint32_t i = 0; i < s->isr_count; i++) {
            if (s->isr[i] != victim)
                isr[n++] = s->isr[i];
        }
        if (n == s->isr_count || n == 0)
            continue;
        cl_elect(cl, part, s->leader == victim ? isr[0] : s->leader, isr, n);
    }
    cl_publish(cl);
}

static void cl_restart(struct cluster *cl, int32_t id)
{
    assert_int_equal(world_node_start(cl->w, cl->nodes[id]), KS_OK);
    cl_publish(cl);
}

/* KIP-101's sequence: two leader changes at one instant, followers' HW lagging. */
static void cl_elect_twice(struct cluster *cl, int32_t part)
{
    int32_t leader = cl_state(cl, part)->leader;
    cl_elect(cl, part, (leader + 1) % T_BROKERS, NULL, 0);
    cl_elect(cl, part, (leader + 2) % T_BROKERS, NULL, 0);
    cl_publish(cl);
}

/* KIP-101's second sequence: each change reaches the brokers, so the replica that
 * leads last was a follower of the one in between (and, with repl_truncate_to_hw,
 * truncated to its lagging high watermark on the way). */
static void cl_elect_twice_published(struct cluster *cl, int32_t part)
{
    int32_t leader = cl_state(cl, part)->leader;
    cl_elect(cl, part, (leader + 1) % T_BROKERS, NULL, 0);
    cl_publish(cl);
    cl_elect(cl, part, (leader + 2) % T_BROKERS, NULL, 0);
    cl_publish(cl);
}

static void cl_apply_fault(struct cluster *cl, enum t_fault fault, uint32_t round)
{
    switch (fault) {
    case T_FAULT_KIP101:
        cl_elect_twice_published(cl, (int32_t)round % T_PARTITIONS);
        break;
    case T_FAULT_CRASH_LEADER:
        cl_crash(cl, cl_state(cl, (int32_t)round % T_PARTITIONS)->leader);
        break;
    case T_FAULT_ELECT_TWICE:
        cl_elect_twice(cl, (int32_t)round % T_PARTITIONS);
        break;
    case T_FAULT_BREAK_LINKS:
        for (int32_t id = 0; id < T_BROKERS; id++)
            world_link_break(cl->w, cl->producer, cl->nodes[id]);
        break;
    }
}

static uint64_t cl_check(struct cluster *cl, struct kcheck **out)
{
    struct kcheck *ck = cl->ck;
    for (int32_t id = 0; id < T_BROKERS; id++) {
        struct broker *b = cl_broker(cl, id);
        for (int32_t part = 0; b != NULL && part < T_PARTITIONS; part++) {
            struct part *p = rmgr_part(b->rmgr, T_TOPIC, part);
            const struct mimage_partition *s = cl_state(cl, part);
            if (p != NULL)
                assert_int_equal(
                    kcheck_add_replica(ck, p, mimage_partition_in_isr(s, id), s->leader == id),
                    KS_OK);
        }
    }
    uint64_t violations = kcheck_run(ck);
    *out = ck;
    return violations;
}

/* Stops the workload at 9 s, checks at 14 s; prints and returns the checker. */
static struct kcheck *cl_finish(struct cluster *cl, uint64_t seed, env_bug_mask bugs, int fault)
{
    cl_run_to(cl, 9000);
    cnode_workload_stop(world_node_impl(cl->w, cl->producer));
    cl_run_to(cl, 14000);
    struct kcheck *ck = NULL;
    uint64_t violations = cl_check(cl, &ck);
    const struct cnode *pn = world_node_impl(cl->w, cl->producer);
    const struct cnode *cn = world_node_impl(cl->w, cl->consumer);
    print_message("seed %llu fault %d bugs %llx: sent %llu acked %llu failed %llu received %llu "
                  "violations %llu\n",
                  (unsigned long long)seed, (int)fault, (unsigned long long)bugs,
                  (unsigned long long)pn->sent, (unsigned long long)pn->acked,
                  (unsigned long long)pn->failed, (unsigned long long)cn->received,
                  (unsigned long long)violations);
    if (violations > 0)
        kcheck_report(ck, stdout);
    cl_free(cl);
    return ck;
}

/* Runs a workload with a fault every 1.5 s from 2 s, restarts crashed brokers 1 s
 * later, stops the workload at 9 s, checks at 14 s. Returns the checker. */
static struct kcheck *run_world(uint64_t seed, env_bug_mask bugs, enum t_fault fault)
{
    struct cluster *cl = cl_new(seed, bugs);
    for (uint32_t round = 0; round < 4; round++) {
        uint64_t at = 2000 + round * 1500;
        cl_run_to(cl, at);
        cl_apply_fault(cl, fault, round);
        cl_run_to(cl, at + 1000);
        for (int32_t id = 0; id < T_BROKERS; id++) {
            if (world_node_state_of(cl->w, cl->nodes[id]) == WORLD_NODE_CRASHED)
                cl_restart(cl, id);
        }
    }
    return cl_finish(cl, seed, bugs, (int)fault);
}

static void cl_write_done(void *ctx, const struct api_produce_response *resp)
{
    bool *done = ctx;
    assert_int_equal(resp->topics[0].partitions[0].error_code, KS_OK);
    *done = true;
}

/* Appends count acks=1 records straight to a broker's replica manager. */
static void cl_write_direct(struct cluster *cl, int32_t id, int32_t part, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        struct rb_builder b;
        rb_builder_init(&b, RB_COMPRESSION_NONE);
        struct rb_record_input rec = {1767225600000, NULL, 0, (const uint8_t *)"stray", 5, NULL, 0};
        assert_int_equal(rb_builder_append(&b, &rec), KS_OK);
        uint8_t *bytes = NULL;
        uint32_t size = 0;
        assert_int_equal(rb_builder_finish(&b, &bytes, &size), KS_OK);
        rb_builder_release(&b);
        struct api_produce_partition pp = {part, {bytes, (int32_t)size}};
        struct api_produce_topic topic = {wire_string_from(T_TOPIC), 1, &pp};
        struct api_produce_request req;
        api_produce_request_init(&req);
        req.acks = 1;
        req.timeout_ms = 1000;
        req.topic_count = 1;
        req.topics = &topic;
        bool done = false;
        rmgr_produce(cl_broker(cl, id)->rmgr, &req, cl_write_done, &done);
        assert_true(done);
        free(bytes);
    }
}

/* KIP-279's sequence on partition 0 (replicas 0, 1, 2, leader 0): broker 1 is cut off
 * from the other brokers; broker 2 leads epoch 1 (its writes replicated to broker 0);
 * broker 1 leads epoch 2 alone and writes a shorter tail nobody else has; broker 2
 * leads epoch 3 and the cut heals. Broker 1 must truncate its epoch-2 tail to where its
 * own epoch <= 1 ends, not to where the leader's does. */
static struct kcheck *run_kip279(uint64_t seed, env_bug_mask bugs)
{
    struct cluster *cl = cl_new(seed, bugs);
    cl_run_to(cl, 2000);
    int others[2] = {cl->nodes[0], cl->nodes[2]};
    world_partition(cl->w, &cl->nodes[1], 1, others, 2, false);
    int32_t isr02[2] = {0, 2}, isr01[2] = {0, 1};
    cl_elect(cl, 0, 2, isr02, 2);
    cl_publish(cl);
    cl_write_direct(cl, 2, 0, 4); /* epoch 1 writes, whatever the producer manages */
    cl_run_to(cl, 2400);
    cl_elect(cl, 0, 1, isr01, 2);
    cl_publish(cl);
    cl_write_direct(cl, 1, 0, 3);
    cl_run_to(cl, 2500);
    cl_elect(cl, 0, 2, isr02, 2);
    cl_publish(cl);
    world_heal(cl->w);
    return cl_finish(cl, seed, bugs, 10);
}

/* A follower cut off from its leaders for longer than replica.lag.time.max.ms (1 s)
 * leaves the ISR; after the heal it must catch up to the high watermark before it
 * rejoins (KAFKA-7128), and no leader's high watermark moves back. */
static struct kcheck *run_isr_rejoin(uint64_t seed, env_bug_mask bugs)
{
    struct cluster *cl = cl_new_lag(seed, bugs, 1000);
    cl_run_to(cl, 2000);
    int others[2] = {cl->nodes[0], cl->nodes[2]};
    world_partition(cl->w, &cl->nodes[1], 1, others, 2, false);
    cl_run_to(cl, 5000);
    assert_false(mimage_partition_in_isr(cl_state(cl, 0), 1));
    world_heal(cl->w);
    return cl_finish(cl, seed, bugs, 11);
}

static void t_expect_clean(struct kcheck *ck)
{
    assert_true(ck->acked > 1000);
    assert_true(ck->received > 1000);
    assert_true(ck->hw_watch.observations > 1000);
    uint64_t total = 0;
    for (uint32_t k = 0; k < KCHECK_KIND_COUNT; k++)
        total += ck->violation_count[k];
    assert_int_equal(total, 0);
    kcheck_free(ck);
}

static void test_clean_world_no_violations(void **state)
{
    (void)state;
    static const enum t_fault faults[] = {T_FAULT_CRASH_LEADER, T_FAULT_ELECT_TWICE,
                                          T_FAULT_BREAK_LINKS, T_FAULT_KIP101};
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(faults); i++)
        t_expect_clean(run_world(1 + i, 0, faults[i]));
    t_expect_clean(run_kip279(5, 0));
    t_expect_clean(run_isr_rejoin(6, 0));
}

static void test_bug_truncate_to_hw_caught(void **state)
{
    (void)state;
    struct kcheck *ck = run_world(4, 1ull << KS_BUG_REPL_TRUNCATE_TO_HW, T_FAULT_KIP101);
    assert_true(kcheck_violations(ck, KCHECK_ACKED_PRESENT) > 0);
    kcheck_free(ck);
}

static void test_bug_kip279_epochless_truncation_caught(void **state)
{
    (void)state;
    struct kcheck *ck = run_kip279(5, 1ull << KS_BUG_KIP279_EPOCHLESS_TRUNCATION);
    assert_true(kcheck_violations(ck, KCHECK_REPLICAS_AGREE) > 0);
    kcheck_free(ck);
}

static void test_bug_kafka7128_isr_expand_below_hw_caught(void **state)
{
    (void)state;
    struct kcheck *ck = run_isr_rejoin(6, 1ull << KS_BUG_KAFKA7128_ISR_EXPAND_BELOW_HW);
    assert_true(kcheck_violations(ck, KCHECK_HW_MONOTONIC) > 0);
    kcheck_free(ck);
}

static void test_bug_acks_all_before_isr_caught(void **state)
{
    (void)state;
    struct kcheck *ck = run_world(1, 1ull << KS_BUG_REPL_ACKS_ALL_BEFORE_ISR, T_FAULT_CRASH_LEADER);
    assert_true(kcheck_violations(ck, KCHECK_ACKED_PRESENT) > 0);
    kcheck_free(ck);
}

static void test_bug_retry_without_sequence_caught(void **state)
{
    (void)state;
    struct kcheck *ck = run_world(3, 1ull << KS_BUG_PRODUCER_RETRY_WITHOUT_IDEMPOTENCE_SEQUENCE,
                                  T_FAULT_BREAK_LINKS);
    assert_true(kcheck_violations(ck, KCHECK_NO_DUPLICATES) > 0);
    kcheck_free(ck);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_world_no_violations),
        cmocka_unit_test(test_bug_acks_all_before_isr_caught),
        cmocka_unit_test(test_bug_retry_without_sequence_caught),
        cmocka_unit_test(test_bug_truncate_to_hw_caught),
        cmocka_unit_test(test_bug_kip279_epochless_truncation_caught),
        cmocka_unit_test(test_bug_kafka7128_isr_expand_below_hw_caught),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
