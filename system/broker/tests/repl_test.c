/*
 * repl_test.c: replication between three brokers in a simulated world, with the test
 * playing the controller: it holds the metadata image, applies AlterPartition with
 * pchange_alter_partition, elects leaders as the controller would after a crash, and
 * pushes each new image to the running brokers. Pins: acks=all with
 * min.insync.replicas=2 survives a leader crash (bug repl_acks_all_before_isr caught);
 * a new follower keeps acknowledged records across two leader changes (bug
 * repl_truncate_to_hw caught, KIP-101); a divergent tail is truncated by leader epoch;
 * the ISR shrinks on a partitioned follower and expands after the heal, with the high
 * watermark never above an ISR member's log end offset (bug repl_hw_ignores_isr
 * caught); NOT_ENOUGH_REPLICAS and REQUEST_TIMED_OUT; delayed fetch; idempotent
 * duplicates, also across a leader change, a clean restart (the `.snapshot` at the log
 * end offset, nothing replayed) and a power loss (the snapshot of the last roll plus a
 * replay); OFFSET_OUT_OF_RANGE below the leader's log start offset (full truncation,
 * fetch from the leader's start) and above the leader's end (truncate to it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sched.h"
#include "sim/world.h"
#include "system/broker/broker.h"
#include "system/bugs.h"
#include "system/log/rb.h"

#define MS WORLD_NS_PER_MS
#define T_BROKERS 3
#define T_TOPIC "orders"
#define T_ACKED_MAX 256u
#define T_WHY_BYTES 256u
#define T_ALTER_EVENTS_MAX 64u

static const struct world_node_type t_broker_type = {"broker", broker_start, broker_stop,
                                                     broker_destroy, NULL};

struct t_acked {
    int64_t offset;
    char value[32];
};

struct t_alter_event {
    struct cluster *cl;
    struct pchange_alter alter;
};

struct cluster {
    struct world *w;
    struct t_alter_event alter_events[T_ALTER_EVENTS_MAX]; /* answered within 1 ms */
    uint32_t alter_next;
    int nodes[T_BROKERS];
    struct mimage img;
    int64_t offset;
    struct wire_uuid topic_id;
    uint32_t alters_applied;
    /* the producer driver */
    int16_t acks;
    uint32_t to_send;
    uint32_t sent;
    bool inflight;
    uint32_t crash_after_acks;   /* crash the leader when this many are acked; 0 never */
    bool elect_twice_after_last; /* KIP-101: two leader changes at the last ack */
    struct t_acked acked[T_ACKED_MAX];
    uint32_t acked_count;
    int16_t last_error;
    uint64_t hw_violations;
    char why[T_WHY_BYTES];
};

/* ---- The controller's part ----------------------------------------------------------- */

static struct broker *cl_broker(struct cluster *cl, int32_t id)
{
    if (world_node_state_of(cl->w, cl->nodes[id]) != WORLD_NODE_RUNNING)
        return NULL;
    return world_node_impl(cl->w, cl->nodes[id]);
}

static struct rmgr *cl_rmgr(struct cluster *cl, int32_t id)
{
    struct broker *b = cl_broker(cl, id);
    return b == NULL ? NULL : b->rmgr;
}

static const struct mimage_partition *cl_state(struct cluster *cl)
{
    return &mimage_topic_find_name(&cl->img, T_TOPIC, strlen(T_TOPIC))->partitions[0];
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
    if (err == KS_OK && has) {
        cl_apply(cl, &rec);
        cl->alters_applied++;
    }
    cl_publish(cl);
    struct broker *b = cl_broker(cl, e->alter.broker_id);
    if (b != NULL)
        rmgr_alter_partition_response(b->rmgr, &e->alter.topic_id, e->alter.partition_id, err,
                                      cl_state(cl));
}

/* The controller answers AlterPartition after a millisecond. */
static void cl_alter(void *ctx, const struct pchange_alter *alter)
{
    struct cluster *cl = ctx;
    struct t_alter_event *e = &cl->alter_events[cl->alter_next++ % T_ALTER_EVENTS_MAX];
    e->cl = cl;
    e->alter = *alter;
    sched_after(world_sched(cl->w), MS, cl_alter_apply, e, 0);
}

/* A new leader (and ISR, when isr_count > 0), as the controller elects after a crash. */
static void cl_elect(struct cluster *cl, int32_t leader, const int32_t *isr, int32_t isr_count)
{
    struct mrec rec;
    mrec_init(&rec, MREC_PARTITION_CHANGE);
    rec.u.partition_change.topic_id = cl->topic_id;
    rec.u.partition_change.partition_id = 0;
    rec.u.partition_change.leader = leader;
    if (isr_count > 0) {
        rec.u.partition_change.isr.count = isr_count;
        memcpy(rec.u.partition_change.isr.ids, isr, (size_t)isr_count * sizeof(*isr));
    }
    cl_apply(cl, &rec);
    cl_publish(cl);
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
    mrec_init(&rec, MREC_PARTITION);
    struct mrec_partition *p = &rec.u.partition;
    p->topic_id = cl->topic_id;
    p->partition_id = 0;
    p->replicas.count = p->isr.count = T_BROKERS;
    for (int32_t id = 0; id < T_BROKERS; id++)
        p->replicas.ids[id] = p->isr.ids[id] = id;
    p->leader = 0;
    p->leader_epoch = 0;
    p->partition_epoch = 0;
    cl_apply(cl, &rec);
}

static void hw_observer(void *ctx, struct world *w)
{
    struct cluster *cl = ctx;
    (void)w;
    struct rmgr *rs[T_BROKERS];
    for (int32_t id = 0; id < T_BROKERS; id++)
        rs[id] = cl_rmgr(cl, id);
    if (!rmgr_check_hw_within_isr(rs, T_BROKERS, T_TOPIC, 0, cl->why, sizeof(cl->why)))
        cl->hw_violations++;
}

/* segment_bytes 0: Kafka's default log.segment.bytes. */
static struct cluster *cl_new_segments(uint64_t seed, env_bug_mask bugs, int min_isr,
                                       int64_t segment_bytes)
{
    struct cluster *cl = calloc(1, sizeof(*cl));
    struct world_config config;
    world_config_default(&config, seed);
    config.bugs = bugs;
    cl->w = world_create(&config);
    mimage_init(&cl->img);
    for (int32_t id = 0; id < T_BROKERS; id++) {
        struct props props;
        props_init(&props);
        char text[32];
        snprintf(text, sizeof(text), "%d", id);
        assert_int_equal(props_set(&props, "node.id", text), KS_OK);
        snprintf(text, sizeof(text), "%d", min_isr);
        assert_int_equal(props_set(&props, "min.insync.replicas", text), KS_OK);
        assert_int_equal(props_set(&props, "replica.fetch.backoff.ms", "100"), KS_OK);
        if (segment_bytes > 0) {
            snprintf(text, sizeof(text), "%lld", (long long)segment_bytes);
            assert_int_equal(props_set(&props, "log.segment.bytes", text), KS_OK);
        }
        snprintf(text, sizeof(text), "b%d", id);
        cl->nodes[id] = world_node_add(cl->w, text, &t_broker_type, &props);
        props_free(&props);
        assert_true(cl->nodes[id] >= 0);
        assert_int_equal(world_node_start(cl->w, cl->nodes[id]), KS_OK);
    }
    cl_register(cl);
    cl_publish(cl);
    world_observer_add(cl->w, hw_observer, cl);
    return cl;
}

static struct cluster *cl_new(uint64_t seed, env_bug_mask bugs, int min_isr)
{
    return cl_new_segments(seed, bugs, min_isr, 0);
}

static void cl_free(struct cluster *cl)
{
    world_destroy(cl->w);
    mimage_free(&cl->img);
    free(cl);
}

static void cl_run_to(struct cluster *cl, uint64_t ms)
{
    world_run_until(cl->w, ms * MS, UINT64_MAX);
}

/* ---- Producing --------------------------------------------------------------------- */

static uint8_t *t_batch(const char *value, int64_t producer_id, int16_t epoch, int32_t sequence,
                        uint32_t *size_out)
{
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    if (producer_id >= 0)
        rb_builder_set_producer(&b, producer_id, epoch, sequence);
    struct rb_record_input rec = {1767225600000,           NULL, 0, (const uint8_t *)value,
                                  (uint32_t)strlen(value), NULL, 0};
    assert_int_equal(rb_builder_append(&b, &rec), KS_OK);
    uint8_t *bytes = NULL;
    assert_int_equal(rb_builder_finish(&b, &bytes, size_out), KS_OK);
    rb_builder_release(&b);
    return bytes;
}

/* What one produce call got back. */
struct t_result {
    bool done;
    int16_t error;
    int64_t base_offset;
};

static void t_result_done(void *ctx, const struct api_produce_response *resp)
{
    struct t_result *res = ctx;
    res->done = true;
    if (resp == NULL)
        return;
    res->error = resp->topics[0].partitions[0].error_code;
    res->base_offset = resp->topics[0].partitions[0].base_offset;
}

static void t_produce(struct rmgr *r, int16_t acks, int32_t timeout_ms, const uint8_t *batch,
                      uint32_t size, rmgr_produce_done_fn done, void *ctx)
{
    struct api_produce_partition part = {0, {batch, (int32_t)size}};
    struct api_produce_topic topic = {wire_string_from(T_TOPIC), 1, &part};
    struct api_produce_request req;
    api_produce_request_init(&req);
    req.acks = acks;
    req.timeout_ms = timeout_ms;
    req.topic_count = 1;
    req.topics = &topic;
    rmgr_produce(r, &req, done, ctx);
}

static struct t_result t_produce_value(struct cluster *cl, int32_t leader, int16_t acks,
                                       const char *value, struct t_result *res)
{
    uint32_t size = 0;
    uint8_t *batch = t_batch(value, -1, -1, -1, &size);
    memset(res, 0, sizeof(*res));
    t_produce(cl_rmgr(cl, leader), acks, 30000, batch, size, t_result_done, res);
    free(batch);
    return *res;
}

static void driver_next(void *ctx, uint64_t arg);

static void driver_crash_leader(void *ctx, uint64_t arg)
{
    struct cluster *cl = ctx;
    int32_t leader = (int32_t)arg;
    assert_int_equal(world_node_crash(cl->w, cl->nodes[leader]), KS_OK);
    int32_t isr[T_BROKERS], n = 0;
    for (int32_t id = 0; id < T_BROKERS; id++) {
        if (id != leader)
            isr[n++] = id;
    }
    cl_elect(cl, (leader + 1) % T_BROKERS, isr, n); /* the controller fences it at once */
}

static void driver_elect_twice(void *ctx, uint64_t arg)
{
    struct cluster *cl = ctx;
    (void)arg;
    cl_elect(cl, 1, NULL, 0);
    cl_elect(cl, 2, NULL, 0);
}

static void driver_done(void *ctx, const struct api_produce_response *resp)
{
    struct cluster *cl = ctx;
    const struct api_produce_partition_response *p = &resp->topics[0].partitions[0];
    cl->inflight = false;
    cl->last_error = p->error_code;
    int32_t leader = cl_state(cl)->leader;
    if (p->error_code == KS_OK) {
        KS_ASSERT(cl->acked_count < T_ACKED_MAX);
        struct t_acked *a = &cl->acked[cl->acked_count++];
        a->offset = p->base_offset;
        snprintf(a->value, sizeof(a->value), "v%u", cl->sent);
        cl->sent++;
        if (cl->acked_count == cl->crash_after_acks)
            sched_after(world_sched(cl->w), 0, driver_crash_leader, cl, (uint64_t)leader);
        if (cl->elect_twice_after_last && cl->sent == cl->to_send)
            sched_after(world_sched(cl->w), 0, driver_elect_twice, cl, 0);
    }
    if (cl->sent < cl->to_send)
        sched_after(world_sched(cl->w), 10 * MS, driver_next, cl, 0);
}

/* Sends the next value to the leader the image names (retrying the same value). */
static void driver_next(void *ctx, uint64_t arg)
{
    struct cluster *cl = ctx;
    (void)arg;
    struct rmgr *r = cl_rmgr(cl, cl_state(cl)->leader);
    if (r == NULL || cl->inflight || cl->sent >= cl->to_send) {
        if (cl->sent < cl->to_send)
            sched_after(world_sched(cl->w), 10 * MS, driver_next, cl, 0);
        return;
    }
    char value[32];
    snprintf(value, sizeof(value), "v%u", cl->sent);
    uint32_t size = 0;
    uint8_t *batch = t_batch(value, -1, -1, -1, &size);
    cl->inflight = true;
    t_produce(r, cl->acks, 5000, batch, size, driver_done, cl);
    free(batch);
}

static void driver_start(struct cluster *cl, int16_t acks, uint32_t count)
{
    cl->acks = acks;
    cl->to_send = count;
    sched_after(world_sched(cl->w), 0, driver_next, cl, 0);
}

/* Every acknowledged record is on broker id, and running replicas agree below HW. */
static bool cl_check(struct cluster *cl, int32_t id)
{
    struct rmgr *r = cl_rmgr(cl, id);
    for (uint32_t i = 0; i < cl->acked_count; i++) {
        const struct t_acked *a = &cl->acked[i];
        if (!rmgr_check_record_at(r, T_TOPIC, 0, a->offset, (const uint8_t *)a->value,
                                  (uint32_t)strlen(a->value), cl->why, sizeof(cl->why)))
            return false;
    }
    struct rmgr *rs[T_BROKERS];
    for (int32_t i = 0; i < T_BROKERS; i++)
        rs[i] = cl_rmgr(cl, i);
    return rmgr_check_replicas_agree(rs, T_BROKERS, T_TOPIC, 0, cl->why, sizeof(cl->why));
}

/* ---- Scenarios ---------------------------------------------------------------------- */

/* acks=all, min.insync.replicas=2: the leader crashes right after an acknowledgement;
 * the new leader has every acknowledged record, and so does the old one once back. */
static bool run_leader_crash(uint64_t seed, env_bug_mask bugs)
{
    struct cluster *cl = cl_new(seed, bugs, 2);
    cl_run_to(cl, 1000);
    cl->crash_after_acks = 10;
    driver_start(cl, -1, 20);
    cl_run_to(cl, 5000);
    assert_int_equal(cl->sent, 20);
    assert_int_equal(cl_state(cl)->leader, 1);
    bool ok = cl_check(cl, 1);
    if (ok) {
        assert_int_equal(world_node_start(cl->w, cl->nodes[0]), KS_OK);
        cl_publish(cl);
        cl_run_to(cl, 8000);
        ok = cl_check(cl, 0) && cl_check(cl, 1) && cl_check(cl, 2);
        assert_int_equal(part_log_end_offset(rmgr_part(cl_rmgr(cl, 0), T_TOPIC, 0)),
                         part_log_end_offset(rmgr_part(cl_rmgr(cl, 1), T_TOPIC, 0)));
    }
    if (!ok)
        print_message("seed %llu: %s\n", (unsigned long long)seed, cl->why);
    cl_free(cl);
    return ok;
}

static void test_acks_all_survives_leader_crash(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++)
        assert_true(run_leader_crash(seed, 0));
}

static void test_bug_acks_all_before_isr_caught(void **state)
{
    (void)state;
    assert_false(run_leader_crash(1, 1ull << KS_BUG_REPL_ACKS_ALL_BEFORE_ISR));
}

/* KIP-101: two leader changes at the instant of the last acknowledgement, while the
 * followers' high watermarks still lag. Leader epochs keep the acknowledged records. */
static bool run_two_leader_changes(uint64_t seed, env_bug_mask bugs)
{
    struct cluster *cl = cl_new(seed, bugs, 2);
    cl_run_to(cl, 1000);
    cl->elect_twice_after_last = true;
    driver_start(cl, -1, 5);
    cl_run_to(cl, 4000);
    assert_int_equal(cl_state(cl)->leader, 2);
    assert_int_equal(cl->acked_count, 5);
    bool ok = cl_check(cl, 2) && cl_check(cl, 0);
    if (!ok)
        print_message("seed %llu: %s\n", (unsigned long long)seed, cl->why);
    cl_free(cl);
    return ok;
}

static void test_two_leader_changes_keep_acked(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 3; seed++)
        assert_true(run_two_leader_changes(seed, 0));
}

static void test_bug_truncate_to_hw_caught(void **state)
{
    (void)state;
    assert_false(run_two_leader_changes(1, 1ull << KS_BUG_REPL_TRUNCATE_TO_HW));
}

/* The old leader, cut off, appends a tail nobody else has; a new leader writes other
 * records at those offsets; after the heal the old leader truncates by epoch. */
static void test_divergent_tail_truncated(void **state)
{
    (void)state;
    struct cluster *cl = cl_new(11, 0, 1);
    cl_run_to(cl, 1000);
    struct t_result res;
    t_produce_value(cl, 0, -1, "common", &res);
    cl_run_to(cl, 1100);
    assert_true(res.done);
    assert_int_equal(res.error, KS_OK);
    int others[2] = {cl->nodes[1], cl->nodes[2]};
    world_partition(cl->w, &cl->nodes[0], 1, others, 2, false);
    for (int i = 0; i < 3; i++) {
        t_produce_value(cl, 0, 1, "stale-tail", &res);
        assert_int_equal(res.error, KS_OK);
    }
    cl_run_to(cl, 1200);
    int32_t isr[2] = {1, 2};
    cl_elect(cl, 1, isr, 2);
    for (int i = 0; i < 2; i++) {
        t_produce_value(cl, 1, 1, "new-leader", &res);
        assert_int_equal(res.error, KS_OK);
    }
    cl_run_to(cl, 1500);
    world_heal(cl->w);
    cl_run_to(cl, 5000);
    struct part *p0 = rmgr_part(cl_rmgr(cl, 0), T_TOPIC, 0);
    struct part *p1 = rmgr_part(cl_rmgr(cl, 1), T_TOPIC, 0);
    assert_int_equal(part_log_end_offset(p0), 3);
    assert_int_equal(part_log_end_offset(p1), 3);
    assert_true(cl_check(cl, 1));
    char why[T_WHY_BYTES];
    assert_true(rmgr_check_record_at(cl_rmgr(cl, 0), T_TOPIC, 0, 1, (const uint8_t *)"new-leader",
                                     10, why, sizeof(why)));
    assert_int_equal(cl_state(cl)->isr_count, 3); /* b0 rejoined */
    cl_free(cl);
}

/* A follower cut off for longer than replica.lag.time.max.ms leaves the ISR; after the
 * heal it catches up and rejoins. The high watermark never passes an ISR member. */
static uint64_t run_isr_shrink_expand(uint64_t seed, env_bug_mask bugs)
{
    struct cluster *cl = cl_new(seed, bugs, 1);
    cl_run_to(cl, 1000);
    int others[2] = {cl->nodes[0], cl->nodes[1]};
    world_partition(cl->w, &cl->nodes[2], 1, others, 2, false);
    driver_start(cl, 1, 60);
    cl_run_to(cl, 47000); /* checked every lag / 2: out between 30 s and 45 s */
    uint64_t violations = cl->hw_violations;
    if (bugs == 0) {
        assert_int_equal(cl_state(cl)->isr_count, 2);
        assert_false(mimage_partition_in_isr(cl_state(cl), 2));
        world_heal(cl->w);
        cl_run_to(cl, 52000);
        assert_int_equal(cl_state(cl)->isr_count, 3);
        assert_true(cl->alters_applied >= 2);
        assert_true(cl_check(cl, 0));
        violations = cl->hw_violations;
    }
    if (violations > 0)
        print_message("seed %llu: %s\n", (unsigned long long)seed, cl->why);
    cl_free(cl);
    return violations;
}

static void test_isr_shrink_and_expand(void **state)
{
    (void)state;
    assert_int_equal(run_isr_shrink_expand(21, 0), 0);
}

static void test_bug_hw_ignores_isr_caught(void **state)
{
    (void)state;
    assert_true(run_isr_shrink_expand(21, 1ull << KS_BUG_REPL_HW_IGNORES_ISR) > 0);
}

/* ISR below min.insync.replicas: acks=all writes nothing; acks=1 still writes. A
 * follower that never fetches times an acks=all write out. */
static void test_not_enough_replicas(void **state)
{
    (void)state;
    struct cluster *cl = cl_new(31, 0, 2);
    cl_run_to(cl, 1000);
    struct mrec rec;
    mrec_init(&rec, MREC_PARTITION_CHANGE);
    rec.u.partition_change.topic_id = cl->topic_id;
    rec.u.partition_change.partition_id = 0;
    rec.u.partition_change.isr.count = 1;
    rec.u.partition_change.isr.ids[0] = 0;
    cl_apply(cl, &rec);
    cl_publish(cl);
    struct part *p = rmgr_part(cl_rmgr(cl, 0), T_TOPIC, 0);
    int64_t leo = part_log_end_offset(p);
    struct t_result res;
    t_produce_value(cl, 0, -1, "refused", &res);
    assert_true(res.done);
    assert_int_equal(res.error, KS_ERR_NOT_ENOUGH_REPLICAS);
    assert_int_equal(part_log_end_offset(p), leo);
    t_produce_value(cl, 0, 1, "acks-one", &res);
    assert_int_equal(res.error, KS_OK);
    assert_int_equal(part_log_end_offset(p), leo + 1);
    cl_free(cl);

    cl = cl_new(32, 0, 2);
    cl_run_to(cl, 1000);
    int all[2] = {cl->nodes[1], cl->nodes[2]};
    world_partition(cl->w, &cl->nodes[0], 1, all, 2, false);
    uint32_t size = 0;
    uint8_t *batch = t_batch("late", -1, -1, -1, &size);
    memset(&res, 0, sizeof(res));
    t_produce(cl_rmgr(cl, 0), -1, 1000, batch, size, t_result_done, &res);
    free(batch);
    cl_run_to(cl, 1900);
    assert_false(res.done);
    cl_run_to(cl, 2100);
    assert_true(res.done);
    assert_int_equal(res.error, KS_ERR_REQUEST_TIMED_OUT);
    cl_free(cl);
}

/* A consumer fetch at the high watermark waits for data, up to max_wait_ms. */
struct t_fetch {
    bool done;
    int16_t error;
    int32_t records_bytes;
    uint64_t at_ns;
    struct world *w;
};

static void t_fetch_done(void *ctx, const struct api_fetch_multi_response *resp)
{
    struct t_fetch *f = ctx;
    f->done = true;
    f->at_ns = world_now_ns(f->w);
    f->error = resp->topics[0].partitions[0].error_code;
    f->records_bytes = resp->topics[0].partitions[0].records.size_bytes;
}

static void t_fetch(struct cluster *cl, int64_t offset, struct t_fetch *out)
{
    struct api_fetch_partition part;
    api_fetch_partition_init(&part);
    part.fetch_offset = offset;
    part.partition_max_bytes = 1 << 20;
    struct api_fetch_topic topic = {wire_string_from(T_TOPIC), {{0}}, 1, &part};
    struct api_fetch_multi_request req;
    api_fetch_multi_request_init(&req);
    req.max_wait_ms = 500;
    req.min_bytes = 1;
    req.topic_count = 1;
    req.topics = &topic;
    memset(out, 0, sizeof(*out));
    out->w = cl->w;
    rmgr_fetch(cl_rmgr(cl, 0), 12, &req, t_fetch_done, out);
}

static void test_delayed_fetch(void **state)
{
    (void)state;
    struct cluster *cl = cl_new(41, 0, 1);
    cl_run_to(cl, 1000);
    struct part *p = rmgr_part(cl_rmgr(cl, 0), T_TOPIC, 0);
    struct t_fetch f;
    t_fetch(cl, part_high_watermark(p), &f);
    cl_run_to(cl, 1200);
    assert_false(f.done);
    struct t_result res;
    t_produce_value(cl, 0, 1, "wake", &res);
    cl_run_to(cl, 1300);
    assert_true(f.done);
    assert_int_equal(f.error, KS_OK);
    assert_true(f.records_bytes > 0);
    assert_true(f.at_ns < 1300 * MS);
    t_fetch(cl, part_high_watermark(p), &f);
    cl_run_to(cl, 1790);
    assert_false(f.done);
    cl_run_to(cl, 1810);
    assert_true(f.done);
    assert_true(f.records_bytes <= 0);
    cl_free(cl);
}

/* Idempotence: a retried batch is not written twice, even by a new leader. */
static int16_t t_idem(struct cluster *cl, int32_t leader, int16_t epoch, int32_t sequence,
                      int64_t *offset_out)
{
    uint32_t size = 0;
    uint8_t *batch = t_batch("idem", 4242, epoch, sequence, &size);
    struct t_result res;
    memset(&res, 0, sizeof(res));
    t_produce(cl_rmgr(cl, leader), -1, 5000, batch, size, t_result_done, &res);
    free(batch);
    cl_run_to(cl, world_now_ns(cl->w) / MS + 200);
    assert_true(res.done);
    *offset_out = res.base_offset;
    return res.error;
}

static void test_idempotent_duplicates(void **state)
{
    (void)state;
    struct cluster *cl = cl_new(51, 0, 2);
    cl_run_to(cl, 1000);
    int64_t first = -1, again = -1, offset = -1;
    assert_int_equal(t_idem(cl, 0, 0, 0, &first), KS_OK);
    assert_int_equal(t_idem(cl, 0, 0, 1, &offset), KS_OK);
    struct part *p = rmgr_part(cl_rmgr(cl, 0), T_TOPIC, 0);
    int64_t leo = part_log_end_offset(p);
    assert_int_equal(t_idem(cl, 0, 0, 0, &again), KS_OK);
    assert_int_equal(again, first);
    assert_int_equal(part_log_end_offset(p), leo);
    assert_int_equal(t_idem(cl, 0, 0, 5, &offset), KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert_int_equal(t_idem(cl, 0, 1, 3, &offset), KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    int64_t epoch1_first = -1;
    assert_int_equal(t_idem(cl, 0, 1, 0, &epoch1_first), KS_OK);
    assert_int_equal(t_idem(cl, 0, 0, 2, &offset), KS_ERR_INVALID_PRODUCER_EPOCH);
    /* a new leader knows the producer from the batches it replicated */
    cl_elect(cl, 1, NULL, 0);
    cl_run_to(cl, world_now_ns(cl->w) / MS + 500);
    struct part *p1 = rmgr_part(cl_rmgr(cl, 1), T_TOPIC, 0);
    leo = part_log_end_offset(p1);
    assert_int_equal(t_idem(cl, 1, 1, 0, &again), KS_OK);
    assert_int_equal(again, epoch1_first);
    assert_int_equal(part_log_end_offset(p1), leo);
    assert_int_equal(t_idem(cl, 1, 1, 1, &offset), KS_OK);
    assert_int_equal(offset, leo);
    cl_free(cl);
}

/* Producer state survives a clean stop (a snapshot at the log end offset, nothing
 * replayed) and a power loss of every broker (the snapshot of the last roll, the rest
 * replayed): a retried batch is still answered with its first offsets and not written
 * again, and a sequence gap is still refused. */
static void t_restart_all(struct cluster *cl, bool crash)
{
    for (int32_t id = 0; id < T_BROKERS; id++) {
        if (crash)
            assert_int_equal(world_node_crash(cl->w, cl->nodes[id]), KS_OK);
        else
            assert_int_equal(world_node_stop(cl->w, cl->nodes[id]), KS_OK);
    }
    cl_run_to(cl, world_now_ns(cl->w) / MS + 100);
    for (int32_t id = 0; id < T_BROKERS; id++)
        assert_int_equal(world_node_start(cl->w, cl->nodes[id]), KS_OK);
    cl_publish(cl);
    cl_run_to(cl, world_now_ns(cl->w) / MS + 1000);
}

static void t_dedup_after_restart(struct cluster *cl, int32_t last_sequence, int64_t last_offset)
{
    struct part *p = rmgr_part(cl_rmgr(cl, 0), T_TOPIC, 0);
    int64_t leo = part_log_end_offset(p);
    int64_t offset = -1;
    assert_int_equal(t_idem(cl, 0, 0, last_sequence, &offset), KS_OK);
    assert_int_equal(offset, last_offset);
    assert_int_equal(part_log_end_offset(p), leo);
    assert_int_equal(t_idem(cl, 0, 0, last_sequence + 2, &offset),
                     KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
}

static void test_idempotent_dedup_across_restart(void **state)
{
    (void)state;
    struct cluster *cl = cl_new_segments(53, 0, 2, 1024);
    cl_run_to(cl, 1000);
    int64_t offset = -1;
    int32_t sequence = 0;
    for (; sequence < 40; sequence++)
        assert_int_equal(t_idem(cl, 0, 0, sequence, &offset), KS_OK);
    int64_t last_offset = offset;
    struct part *p = rmgr_part(cl_rmgr(cl, 0), T_TOPIC, 0);
    assert_true(p->log->segment_count > 2); /* rolls wrote snapshots */

    t_restart_all(cl, false);
    p = rmgr_part(cl_rmgr(cl, 0), T_TOPIC, 0);
    assert_int_equal(p->producers.loaded_snapshot_offset, part_log_end_offset(p));
    assert_int_equal(p->producers.replayed_batch_count, 0);
    t_dedup_after_restart(cl, sequence - 1, last_offset);

    for (; sequence < 50; sequence++)
        assert_int_equal(t_idem(cl, 0, 0, sequence, &offset), KS_OK);
    last_offset = offset;
    t_restart_all(cl, true);
    p = rmgr_part(cl_rmgr(cl, 0), T_TOPIC, 0);
    assert_true(p->producers.loaded_snapshot_offset >= 0);
    assert_true(p->producers.replayed_batch_count > 0);
    /* every replica lost power: the unsynced tail may be gone, the rest is known */
    const struct pstate_producer *known = pstate_find(&p->producers, 4242);
    assert_non_null(known);
    const struct pstate_batch *last = &known->batches[known->batch_count - 1];
    assert_true(last->last_sequence >= 39);
    assert_true(last->last_offset <= last_offset);
    assert_int_equal(last->last_offset, part_log_end_offset(p) - 1);
    t_dedup_after_restart(cl, last->last_sequence, last->last_offset);
    cl_free(cl);
}

/* ---- OFFSET_OUT_OF_RANGE ----------------------------------------------------------- */

static struct fetcher *t_fetcher(struct cluster *cl, int32_t follower, int32_t leader)
{
    struct rmgr *r = cl_rmgr(cl, follower);
    for (uint32_t i = 0; r != NULL && i < r->fetcher_count; i++) {
        if (r->fetchers[i]->leader_id == leader)
            return r->fetchers[i];
    }
    return NULL;
}

static void t_isr_without(struct cluster *cl, int32_t out)
{
    struct mrec rec;
    mrec_init(&rec, MREC_PARTITION_CHANGE);
    rec.u.partition_change.topic_id = cl->topic_id;
    rec.u.partition_change.partition_id = 0;
    int32_t count = 0;
    for (int32_t id = 0; id < T_BROKERS; id++) {
        if (id != out)
            rec.u.partition_change.isr.ids[count++] = id;
    }
    rec.u.partition_change.isr.count = count;
    cl_apply(cl, &rec);
    cl_publish(cl);
}

/* A follower cut off while the leader's log start offset moves past its log end
 * (retention, DeleteRecords): after the heal its fetch is out of range; it asks the
 * leader's end, then start, truncates fully, fetches from the leader's log start
 * offset, catches up and rejoins the ISR. */
static void test_out_of_range_below_leader_log_start(void **state)
{
    (void)state;
    struct cluster *cl = cl_new_segments(71, 0, 1, 1024);
    cl_run_to(cl, 1000);
    int others[2] = {cl->nodes[0], cl->nodes[1]};
    world_partition(cl->w, &cl->nodes[2], 1, others, 2, false);
    t_isr_without(cl, 2);
    driver_start(cl, 1, 40);
    cl_run_to(cl, 3000);
    assert_int_equal(cl->sent, 40);
    struct part *p0 = rmgr_part(cl_rmgr(cl, 0), T_TOPIC, 0);
    struct part *p2 = rmgr_part(cl_rmgr(cl, 2), T_TOPIC, 0);
    int64_t start = part_high_watermark(p0) - 5;
    assert_true(start > part_log_end_offset(p2));
    assert_int_equal(plog_advance_log_start_offset(p0->log, start), KS_OK);
    world_heal(cl->w);
    cl_run_to(cl, 6000);
    struct fetcher *f = t_fetcher(cl, 2, 0);
    assert_non_null(f);
    assert_true(f->out_of_range >= 1);
    assert_int_equal(f->full_truncations, 1);
    assert_int_equal(p2->log->log_start_offset, start);
    assert_int_equal(part_log_end_offset(p2), part_log_end_offset(p0));
    assert_int_equal(p2->fetch_reset, PART_RESET_NONE);
    struct rmgr *rs[T_BROKERS] = {cl_rmgr(cl, 0), cl_rmgr(cl, 1), cl_rmgr(cl, 2)};
    assert_true(rmgr_check_replicas_agree(rs, T_BROKERS, T_TOPIC, 0, cl->why, sizeof(cl->why)));
    assert_int_equal(cl_state(cl)->isr_count, 3); /* b2 rejoined */
    char why[T_WHY_BYTES];
    assert_true(rmgr_check_record_at(cl_rmgr(cl, 2), T_TOPIC, 0, start + 1, (const uint8_t *)"v36",
                                     3, why, sizeof(why)));
    cl_free(cl);
}

/* A follower whose log (without leader epochs) ends above the leader's: the fetch is out
 * of range, the leader's end is below, the follower truncates to it and follows. */
static void test_out_of_range_above_leader_end(void **state)
{
    (void)state;
    struct cluster *cl = cl_new(72, 0, 1);
    cl_run_to(cl, 1000);
    int others[2] = {cl->nodes[0], cl->nodes[1]};
    world_partition(cl->w, &cl->nodes[2], 1, others, 2, false);
    t_isr_without(cl, 2);
    struct part *p2 = rmgr_part(cl_rmgr(cl, 2), T_TOPIC, 0);
    for (int64_t offset = 0; offset < 3; offset++) {
        uint32_t size = 0;
        uint8_t *batch = t_batch("stray", -1, -1, -1, &size);
        assert_int_equal(rb_restamp(batch, size, offset, -1), KS_OK);
        struct plog_append_info info;
        assert_int_equal(plog_append_follower(p2->log, batch, size, &info), KS_OK);
        free(batch);
    }
    assert_int_equal(plog_latest_epoch(p2->log), -1);
    assert_int_equal(part_log_end_offset(p2), 3);
    world_heal(cl->w);
    cl_run_to(cl, 3000);
    struct fetcher *f = t_fetcher(cl, 2, 0);
    assert_non_null(f);
    assert_true(f->out_of_range >= 1);
    assert_int_equal(f->full_truncations, 0);
    assert_int_equal(part_log_end_offset(p2), 0);
    struct t_result res;
    t_produce_value(cl, 0, 1, "after", &res);
    assert_int_equal(res.error, KS_OK);
    cl_run_to(cl, 4000);
    assert_int_equal(part_log_end_offset(p2), 1);
    char why[T_WHY_BYTES];
    assert_true(rmgr_check_record_at(cl_rmgr(cl, 2), T_TOPIC, 0, 0, (const uint8_t *)"after", 5,
                                     why, sizeof(why)));
    cl_free(cl);
}

/* The same seed gives the same trace. */
static void test_same_seed_same_trace(void **state)
{
    (void)state;
    uint64_t hashes[2];
    for (int i = 0; i < 2; i++) {
        struct cluster *cl = cl_new(61, 0, 2);
        cl_run_to(cl, 500);
        driver_start(cl, -1, 10);
        cl_run_to(cl, 2000);
        hashes[i] = world_trace_hash(cl->w);
        cl_free(cl);
    }
    assert_true(hashes[0] == hashes[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acks_all_survives_leader_crash),
        cmocka_unit_test(test_bug_acks_all_before_isr_caught),
        cmocka_unit_test(test_two_leader_changes_keep_acked),
        cmocka_unit_test(test_bug_truncate_to_hw_caught),
        cmocka_unit_test(test_divergent_tail_truncated),
        cmocka_unit_test(test_isr_shrink_and_expand),
        cmocka_unit_test(test_bug_hw_ignores_isr_caught),
        cmocka_unit_test(test_not_enough_replicas),
        cmocka_unit_test(test_delayed_fetch),
        cmocka_unit_test(test_idempotent_duplicates),
        cmocka_unit_test(test_idempotent_dedup_across_restart),
        cmocka_unit_test(test_out_of_range_below_leader_log_start),
        cmocka_unit_test(test_out_of_range_above_leader_end),
        cmocka_unit_test(test_same_seed_same_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
