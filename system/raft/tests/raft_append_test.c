/*
 * raft_append_test.c: atomic appends (raft_append_records; Kafka:
 * RaftClient.scheduleAtomicAppend, KIP-868): the records of one call go in one
 * RecordBatch at consecutive offsets, replicate as that batch, and every voter applies
 * all of them or none, also across crashes, power losses of the whole quorum and torn
 * writes (an fsync that fails leaves the batch in the page cache; the power loss keeps
 * a random prefix of it, cut at a sector). Bad calls are refused without appending.
 * Runs are checked after every event by raft_cluster.h as well (one leader per epoch,
 * committed batches never lost, images agree at equal applied offsets).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "raft_cluster.h"
#include "sim/simdisk.h"
#include "system/log/rb.h"

/* The test workload stays off: its period is longer than any run here. */
#define APPEND_MS_OFF 3600000u
/* Records in every batch the tests append. */
#define RECORDS_PER_BATCH 5u
#define VALUE_BYTES_MAX 700u
#define SEEDS_ATOMIC 12u
#define ROUNDS_ATOMIC 120u

static void check_clean(struct cluster *c, uint64_t seed)
{
    if (c->violated)
        cluster_print(c, seed);
    assert_false(c->violated);
}

/* Runs until a leader exists (at most 10 s more); returns it. */
static int leader_wait(struct cluster *c)
{
    for (uint32_t step = 0; step < 100 && cluster_leader(c) < 0; step++)
        cluster_run_to(c, cluster_now_ms(c) + 100);
    int leader = cluster_leader(c);
    assert_true(leader >= 0);
    return leader;
}

/* Fills values[i] with `batch=B record=I` padded to size bytes. */
static void values_fill(uint8_t bufs[][VALUE_BYTES_MAX], struct raft_record_value *values,
                        uint32_t count, uint64_t batch, const uint32_t *sizes)
{
    for (uint32_t i = 0; i < count; i++) {
        assert_true(sizes[i] <= VALUE_BYTES_MAX && sizes[i] >= 32);
        memset(bufs[i], 'x', sizes[i]);
        int n = snprintf((char *)bufs[i], 32, "batch=%llu record=%u", (unsigned long long)batch, i);
        bufs[i][n] = ' ';
        values[i] = (struct raft_record_value){bufs[i], sizes[i]};
    }
}

static void test_records_go_in_one_batch(void **state)
{
    struct cluster *c = cluster_new(1, 3, 0, APPEND_MS_OFF);
    int leader = leader_wait(c);
    struct raft *raft = cluster_raft(c, (uint32_t)leader);
    uint8_t bufs[RECORDS_PER_BATCH][VALUE_BYTES_MAX];
    struct raft_record_value values[RECORDS_PER_BATCH];
    const uint32_t sizes[RECORDS_PER_BATCH] = {40, 100, 32, 700, 64};
    values_fill(bufs, values, RECORDS_PER_BATCH, 1, sizes);
    int64_t end_before = raft_log_end_offset(raft_log_of(raft));
    int64_t last = -1;
    assert_int_equal(raft_append_records(raft, values, RECORDS_PER_BATCH, &last), KS_OK);
    assert_int_equal(last, end_before + RECORDS_PER_BATCH - 1);
    const struct raft_log *log = raft_log_of(raft);
    const struct raft_log_batch *b = raft_log_batch_at(log, raft_log_batch_count(log) - 1);
    assert_int_equal(b->base_offset, end_before);
    assert_int_equal(b->last_offset, last);
    cluster_run_to(c, cluster_now_ms(c) + 2000);
    check_clean(c, 1);
    for (uint32_t i = 0; i < c->n; i++) {
        struct raft_status s;
        struct raft_node_image image;
        assert_true(cluster_status(c, i, &s));
        assert_true(s.applied_offset == last + 1);
        raft_node_image_get(world_node_impl(c->w, c->ids[i]), &image);
        assert_int_equal(image.record_count, RECORDS_PER_BATCH);
        const struct raft_log *l = raft_log_of(cluster_raft(c, i));
        uint32_t j = raft_log_batch_find(l, end_before);
        assert_true(j < raft_log_batch_count(l));
        assert_int_equal(raft_log_batch_at(l, j)->crc, b->crc);
        assert_int_equal(raft_log_batch_at(l, j)->last_offset, last);
    }
    cluster_free(c);
}

static void test_bad_appends_refused(void **state)
{
    struct cluster *c = cluster_new(2, 3, 0, APPEND_MS_OFF);
    int leader = leader_wait(c);
    struct raft *raft = cluster_raft(c, (uint32_t)leader);
    struct raft *follower = cluster_raft(c, ((uint32_t)leader + 1) % c->n);
    static uint8_t big[RAFT_APPEND_BATCH_BYTES_MAX];
    static struct raft_record_value many[RAFT_APPEND_RECORDS_MAX + 1];
    for (uint32_t i = 0; i <= RAFT_APPEND_RECORDS_MAX; i++)
        many[i] = (struct raft_record_value){big, 1};
    struct raft_record_value two_big[2] = {{big, RAFT_APPEND_BATCH_BYTES_MAX / 2},
                                           {big, RAFT_APPEND_BATCH_BYTES_MAX / 2}};
    int64_t end = raft_log_end_offset(raft_log_of(raft));
    int64_t last = -7;
    assert_int_equal(raft_append_records(follower, many, 1, &last), KS_ERR_NOT_LEADER_OR_FOLLOWER);
    assert_int_equal(raft_append_records(raft, many, RAFT_APPEND_RECORDS_MAX + 1, &last),
                     KS_ERR_RECORD_LIST_TOO_LARGE);
    assert_int_equal(raft_append_records(raft, two_big, 2, &last), KS_ERR_RECORD_LIST_TOO_LARGE);
    assert_int_equal(last, -7);
    assert_int_equal(raft_log_end_offset(raft_log_of(raft)), end);
    /* The most records, and one value as large as the limit allows, are taken. */
    assert_int_equal(raft_append_records(raft, many, RAFT_APPEND_RECORDS_MAX, &last), KS_OK);
    assert_int_equal(last, end + RAFT_APPEND_RECORDS_MAX - 1);
    struct raft_record_value largest = {big, RAFT_APPEND_BATCH_BYTES_MAX - RB_HEADER_SIZE - 32};
    assert_int_equal(raft_append_records(raft, &largest, 1, &last), KS_OK);
    cluster_run_to(c, cluster_now_ms(c) + 3000);
    check_clean(c, 2);
    struct raft_status s;
    assert_true(cluster_status(c, ((uint32_t)leader + 1) % c->n, &s));
    assert_true(s.applied_offset == last + 1);
    cluster_free(c);
}

/*
 * The atomicity checker: after every event, every running voter has applied a whole
 * number of batches (its image counts a multiple of RECORDS_PER_BATCH records), its
 * applied offset is a batch boundary of its log, and every batch in its log holds one
 * record (a LeaderChange control batch) or RECORDS_PER_BATCH.
 */
struct atomic_check {
    struct cluster *c;
    bool violated;
    char what[160];
    uint64_t torn_tails; /* restarts that scanned away a torn tail */
    uint32_t incarnation[CLUSTER_NODES_MAX];
};

static void atomic_check_node(struct atomic_check *a, uint32_t i)
{
    struct cluster *c = a->c;
    struct raft_status s;
    struct raft_node_image image;
    if (!cluster_status(c, i, &s))
        return;
    const struct raft_log *log = raft_log_of(cluster_raft(c, i));
    uint32_t incarnation = world_node_incarnation(c->w, c->ids[i]);
    if (a->incarnation[i] != incarnation) {
        a->incarnation[i] = incarnation;
        a->torn_tails += raft_log_recovered_truncated_bytes(log) > 0;
    }
    raft_node_image_get(world_node_impl(c->w, c->ids[i]), &image);
    if (image.record_count % RECORDS_PER_BATCH != 0)
        snprintf(a->what, sizeof(a->what), "c%u applied %llu records", i + 1,
                 (unsigned long long)image.record_count);
    uint32_t j = raft_log_batch_find(log, s.applied_offset);
    if (j < raft_log_batch_count(log) && raft_log_batch_at(log, j)->base_offset != s.applied_offset)
        snprintf(a->what, sizeof(a->what), "c%u applied up to %lld, inside a batch", i + 1,
                 (long long)s.applied_offset);
    for (uint32_t k = 0; k < raft_log_batch_count(log); k++) {
        const struct raft_log_batch *b = raft_log_batch_at(log, k);
        int64_t records = b->last_offset - b->base_offset + 1;
        if (records != 1 && records != RECORDS_PER_BATCH)
            snprintf(a->what, sizeof(a->what), "c%u holds a batch of %lld records at %lld", i + 1,
                     (long long)records, (long long)b->base_offset);
    }
}

static void atomic_observe(void *ctx, struct world *w)
{
    struct atomic_check *a = ctx;
    for (uint32_t i = 0; i < a->c->n && !a->violated; i++) {
        atomic_check_node(a, i);
        if (a->what[0] != 0) {
            a->violated = true;
            world_stop(w);
        }
    }
}

/* The leader appends one batch of RECORDS_PER_BATCH values of random sizes; with
 * torn true its fsync fails first, leaving the batch unsynced (the voter fails). */
static void atomic_append(struct cluster *c, struct rng *rng, uint64_t batch, bool torn)
{
    int leader = cluster_leader(c);
    if (leader < 0)
        return;
    uint8_t bufs[RECORDS_PER_BATCH][VALUE_BYTES_MAX];
    struct raft_record_value values[RECORDS_PER_BATCH];
    uint32_t sizes[RECORDS_PER_BATCH];
    for (uint32_t i = 0; i < RECORDS_PER_BATCH; i++)
        sizes[i] = 32 + (uint32_t)rng_below(rng, VALUE_BYTES_MAX - 32);
    values_fill(bufs, values, RECORDS_PER_BATCH, batch, sizes);
    if (torn)
        simdisk_fail_next(world_node_disk(c->w, c->ids[leader]), SIMDISK_OP_SYNC, 1);
    int64_t last = -1;
    enum ks_err err =
        raft_append_records(cluster_raft(c, (uint32_t)leader), values, RECORDS_PER_BATCH, &last);
    assert_true(err == KS_OK || torn);
    if (torn) /* the failed voter loses power with the batch half written, maybe */
        world_node_crash(c->w, c->ids[leader]);
}

/* One fault: a node crashes or restarts, or the whole quorum loses power. */
static void atomic_fault(struct cluster *c, struct rng *rng)
{
    uint32_t i = (uint32_t)rng_below(rng, c->n);
    uint32_t roll = (uint32_t)rng_below(rng, 100);
    if (roll < 5) {
        for (uint32_t j = 0; j < c->n; j++)
            world_node_crash(c->w, c->ids[j]);
    } else if (world_node_impl(c->w, c->ids[i]) == NULL) {
        world_node_start(c->w, c->ids[i]);
    } else if (roll < 30) {
        world_node_crash(c->w, c->ids[i]);
    }
}

static uint64_t atomic_run(uint64_t seed)
{
    struct cluster *c = cluster_new(seed, 3, 0, APPEND_MS_OFF);
    struct atomic_check a = {.c = c};
    struct rng *rng = world_rng(c->w);
    world_observer_add(c->w, atomic_observe, &a);
    cluster_run_to(c, 2500);
    for (uint64_t round = 0; round < ROUNDS_ATOMIC && !a.violated && !c->violated; round++) {
        uint32_t roll = (uint32_t)rng_below(rng, 100);
        if (roll < 70)
            atomic_append(c, rng, round, roll < 6);
        else
            atomic_fault(c, rng);
        cluster_run_to(c, cluster_now_ms(c) + 20 + rng_below(rng, 400));
    }
    for (uint32_t i = 0; i < c->n; i++)
        world_node_start(c->w, c->ids[i]); /* those that are down */
    cluster_run_to(c, cluster_now_ms(c) + 8000);
    if (a.violated)
        fail_msg("seed %llu t=%llums: %s", (unsigned long long)seed,
                 (unsigned long long)cluster_now_ms(c), a.what);
    check_clean(c, seed);
    int leader = leader_wait(c);
    int64_t hw = cluster_hw(c, (uint32_t)leader);
    for (uint32_t i = 0; i < c->n; i++) { /* all caught up, all whole */
        struct raft_status s;
        assert_true(cluster_status(c, i, &s));
        assert_true(s.applied_offset == hw);
    }
    uint64_t torn = a.torn_tails;
    cluster_free(c);
    return torn;
}

static void test_batches_apply_whole_under_crashes(void **state)
{
    uint64_t torn = 0;
    for (uint64_t seed = 1; seed <= SEEDS_ATOMIC; seed++)
        torn += atomic_run(seed);
    fprintf(stderr, "restarts that dropped a torn tail: %llu\n", (unsigned long long)torn);
    assert_true(torn > 0); /* the torn case was exercised */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_go_in_one_batch),
        cmocka_unit_test(test_bad_appends_refused),
        cmocka_unit_test(test_batches_apply_whole_under_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
