/*
 * pstate_test.c: the idempotent producers' state and its `.snapshot` files. Pins: the
 * snapshot bytes of Kafka's ProducerStateManager (version 1, CRC-32C, 46-byte entries)
 * both ways against golden bytes, with a sequence that wraps; bad snapshots refused
 * (short, wrong version, CRC, count, negative producer id, a producer twice); on a
 * simulated disk, the newest snapshot at or below the log end offset is loaded and
 * the log replayed from it, a corrupt one is deleted and the next older used,
 * snapshots above a truncation point and below the log start offset are deleted.
 * Kafka: ProducerStateManagerTest.
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
#include "system/broker/pstate.h"
#include "system/log/crc32c.h"
#include "system/log/rb.h"

#define T_TS 1767225600000

/* Producer 1000, epoch 2, last batch sequences 5..9 at offsets 100..104 (max timestamp
 * T_TS + 4); producer 4242, epoch 0, sequences 2147483647..0 (wrapping) at offsets 6..7.
 * Computed independently (Python, struct.pack(">hI") + CRC-32C of the rest). */
static const uint8_t golden_snapshot[] = {
    0x00, 0x01, 0xef, 0x39, 0x61, 0x31, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x03, 0xe8, 0x00, 0x02, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x68, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x01, 0x9b, 0x76, 0xda, 0xa8, 0x04, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x10, 0x92, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x9b, 0x76, 0xda, 0xa8, 0x00,
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

static void golden_state(struct pstate *ps)
{
    pstate_init(ps);
    /* an older batch of producer 1000: a snapshot keeps only the last */
    assert_int_equal(pstate_update(ps, 1000, 2, 0, 4, 90, 94, T_TS), KS_OK);
    assert_int_equal(pstate_update(ps, 1000, 2, 5, 9, 100, 104, T_TS + 4), KS_OK);
    assert_int_equal(pstate_update(ps, 4242, 0, INT32_MAX, 0, 6, 7, T_TS), KS_OK);
}

static void test_snapshot_encode_golden(void **state)
{
    (void)state;
    struct pstate ps;
    golden_state(&ps);
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    pstate_snapshot_encode(&ps, &bytes, &size);
    assert_int_equal(size, sizeof(golden_snapshot));
    assert_memory_equal(bytes, golden_snapshot, sizeof(golden_snapshot));
    free(bytes);
    pstate_free(&ps);
}

static void test_snapshot_decode_golden(void **state)
{
    (void)state;
    struct pstate ps;
    pstate_init(&ps);
    assert_int_equal(pstate_snapshot_decode(&ps, golden_snapshot, sizeof(golden_snapshot)), KS_OK);
    assert_int_equal(ps.producer_count, 2);
    const struct pstate_producer *p = pstate_find(&ps, 1000);
    assert_non_null(p);
    assert_int_equal(p->epoch, 2);
    assert_int_equal(p->batch_count, 1);
    assert_int_equal(p->batches[0].first_sequence, 5);
    assert_int_equal(p->batches[0].last_sequence, 9);
    assert_int_equal(p->batches[0].first_offset, 100);
    assert_int_equal(p->batches[0].last_offset, 104);
    assert_int_equal(p->last_timestamp, T_TS + 4);
    const struct pstate_producer *q = pstate_find(&ps, 4242);
    assert_non_null(q);
    assert_int_equal(q->batches[0].first_sequence, INT32_MAX);
    assert_int_equal(q->batches[0].last_sequence, 0);
    assert_int_equal(q->batches[0].first_offset, 6);
    /* what the state then decides */
    struct pstate_verdict v;
    assert_int_equal(pstate_check(&ps, 1000, 2, 5, 9, &v), KS_OK);
    assert_true(v.duplicate);
    assert_int_equal(v.first_offset, 100);
    assert_int_equal(pstate_check(&ps, 1000, 2, 10, 12, &v), KS_OK);
    assert_false(v.duplicate);
    assert_int_equal(pstate_check(&ps, 1000, 2, 11, 12, &v), KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert_int_equal(pstate_check(&ps, 1000, 1, 10, 12, &v), KS_ERR_INVALID_PRODUCER_EPOCH);
    assert_int_equal(pstate_check(&ps, 4242, 0, 1, 1, &v), KS_OK);
    assert_false(v.duplicate);
    /* a round trip gives the same bytes */
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    pstate_snapshot_encode(&ps, &bytes, &size);
    assert_memory_equal(bytes, golden_snapshot, sizeof(golden_snapshot));
    free(bytes);
    pstate_free(&ps);
}

/* Rewrites the CRC after an edit, so that only the edit is wrong. */
static void recrc(uint8_t *bytes, uint32_t size)
{
    uint32_t crc = crc32c(bytes + 6, size - 6);
    for (int i = 0; i < 4; i++)
        bytes[2 + i] = (uint8_t)(crc >> (24 - 8 * i));
}

static void test_snapshot_decode_bad(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint32_t at;   /* byte to change */
        uint8_t value; /* its new value */
        uint32_t size; /* bytes given (0: all) */
        bool fix_crc;
    } cases[] = {
        {"empty", 0, 0x00, 1, false},
        {"header only, truncated", 0, 0x00, 9, false},
        {"version 2", 1, 0x02, 0, false},
        {"version 0", 1, 0x00, 0, true},
        {"crc flipped", 2, 0xee, 0, false},
        {"entry byte flipped, crc kept", 40, 0x11, 0, false},
        {"count 3 for 2 entries", 9, 0x03, 0, true},
        {"count 1 for 2 entries", 9, 0x01, 0, true},
        {"one entry cut short", 0, 0x00, sizeof(golden_snapshot) - 1, false},
        {"negative producer id", 10, 0x80, 0, true},
        {"negative offset delta", 32, 0x80, 0, true},
        {"the same producer twice", 63, 0xe8, 0, true},
    };
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        uint8_t bytes[sizeof(golden_snapshot)];
        memcpy(bytes, golden_snapshot, sizeof(bytes));
        uint32_t size = cases[i].size == 0 ? (uint32_t)sizeof(bytes) : cases[i].size;
        bytes[cases[i].at] = cases[i].value;
        if (cases[i].fix_crc) {
            if (cases[i].at == 63)
                bytes[62] = 0x03; /* producer id 1000 again */
            recrc(bytes, size);
        }
        struct pstate ps;
        pstate_init(&ps);
        enum ks_err err = pstate_snapshot_decode(&ps, bytes, size);
        if (err != KS_ERR_CORRUPT_MESSAGE)
            print_message("case %s: %s\n", cases[i].name, ks_err_name(err));
        assert_int_equal(err, KS_ERR_CORRUPT_MESSAGE);
        assert_int_equal(ps.producer_count, 0);
        pstate_free(&ps);
    }
}

static void test_snapshot_names(void **state)
{
    (void)state;
    char name[64];
    pstate_snapshot_name(1234, name, sizeof(name));
    assert_string_equal(name, "00000000000000001234.snapshot");
    int64_t offset = -1;
    assert_true(pstate_snapshot_parse_name(name, &offset));
    assert_int_equal(offset, 1234);
    static const char *const not_snapshots[] = {
        "00000000000000001234.log",          "0000000000000001234.snapshot",
        "00000000000000001234.snapshot.tmp", "0000000000000000123x.snapshot",
        "leader-epoch-checkpoint",
    };
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(not_snapshots); i++)
        assert_false(pstate_snapshot_parse_name(not_snapshots[i], &offset));
}

/* ---- On a simulated disk ----------------------------------------------------------- */

static void *t_node_start(struct env *env, const struct props *config)
{
    (void)env;
    (void)config;
    return ks_alloc(1);
}
static void t_node_destroy(void *node)
{
    free(node);
}
static const struct world_node_type t_node_type = {"pstatetest", t_node_start, NULL, t_node_destroy,
                                                   NULL};

struct t_disk {
    struct world *w;
    int node;
    struct env *env;
    struct plog *log;
};

static void t_open(struct t_disk *t, bool clean)
{
    struct plog_config config;
    plog_config_default(&config);
    config.segment_bytes = 600; /* a few batches a segment */
    struct plog_open_args args = {.topic = "orders",
                                  .partition = 0,
                                  .recovery_point = -1,
                                  .log_start_offset = -1,
                                  .high_watermark = -1,
                                  .cleaner_checkpoint = -1,
                                  .clean_shutdown = clean};
    assert_int_equal(plog_open(t->env, "data", &args, &config, &t->log), KS_OK);
}

static struct t_disk t_disk_new(void)
{
    struct world_config config;
    world_config_default(&config, 3);
    struct t_disk t = {.w = world_create(&config)};
    t.node = world_node_add(t.w, "broker1", &t_node_type, NULL);
    assert_int_equal(world_node_start(t.w, t.node), KS_OK);
    t.env = world_node_env(t.w, t.node);
    assert_int_equal(env_dir_create(t.env, "data"), KS_OK);
    assert_int_equal(env_dir_sync(t.env, ""), KS_OK);
    t_open(&t, false);
    return t;
}

/* Appends an idempotent batch of count records as the leader; returns its base offset. */
static int64_t t_append(struct t_disk *t, struct pstate *ps, int64_t producer_id, int32_t sequence,
                        uint32_t count, bool *rolled_out)
{
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    rb_builder_set_producer(&b, producer_id, 0, sequence);
    for (uint32_t i = 0; i < count; i++) {
        struct rb_record_input rec = {T_TS + i, NULL, 0, (const uint8_t *)"value-bytes",
                                      11,       NULL, 0};
        assert_int_equal(rb_builder_append(&b, &rec), KS_OK);
    }
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    assert_int_equal(rb_builder_finish(&b, &bytes, &size), KS_OK);
    rb_builder_release(&b);
    struct plog_append_info info;
    assert_int_equal(plog_append_leader(t->log, bytes, size, 0, &info), KS_OK);
    free(bytes);
    if (info.rolled)
        assert_int_equal(pstate_snapshot_write(ps, t->log, plog_active(t->log)->base_offset),
                         KS_OK);
    assert_int_equal(pstate_update(ps, producer_id, 0, sequence, sequence + (int32_t)count - 1,
                                   info.first_offset, info.last_offset, info.max_timestamp),
                     KS_OK);
    *rolled_out = info.rolled;
    return info.first_offset;
}

static uint32_t t_snapshots(struct t_disk *t, int64_t *offsets)
{
    uint32_t count = 0;
    assert_int_equal(pstate_snapshot_offsets(t->log, offsets, 64, &count), KS_OK);
    return count;
}

/* Writes 30 batches of two producers, rolling every few; returns the rolls. */
static uint32_t t_fill(struct t_disk *t, struct pstate *ps)
{
    uint32_t rolls = 0;
    for (int32_t i = 0; i < 30; i++) {
        bool rolled = false;
        (void)t_append(t, ps, 7 + (i % 2), (i / 2) * 3, 3, &rolled);
        rolls += rolled ? 1 : 0;
    }
    return rolls;
}

static bool t_same_state(const struct pstate *a, const struct pstate *b)
{
    if (a->producer_count != b->producer_count)
        return false;
    for (uint32_t i = 0; i < a->producer_count; i++) {
        const struct pstate_producer *x = &a->producers[i];
        const struct pstate_producer *y = pstate_find(b, x->producer_id);
        if (y == NULL || x->epoch != y->epoch)
            return false;
        const struct pstate_batch *lx = &x->batches[x->batch_count - 1];
        const struct pstate_batch *ly = &y->batches[y->batch_count - 1];
        if (memcmp(lx, ly, sizeof(*lx)) != 0)
            return false;
    }
    return true;
}

static void test_load_newest_snapshot_and_replay(void **state)
{
    (void)state;
    struct t_disk t = t_disk_new();
    struct pstate ps;
    pstate_init(&ps);
    uint32_t rolls = t_fill(&t, &ps);
    assert_true(rolls >= 3);
    int64_t offsets[64];
    uint32_t count = t_snapshots(&t, offsets);
    assert_int_equal(count, rolls);
    int64_t newest = offsets[count - 1];
    assert_int_equal(newest, plog_active(t.log)->base_offset);

    struct pstate loaded;
    pstate_init(&loaded);
    assert_int_equal(pstate_load(&loaded, t.log), KS_OK);
    assert_int_equal(loaded.loaded_snapshot_offset, newest);
    assert_true(loaded.replayed_batch_count > 0);
    assert_true(loaded.replayed_batch_count < 30);
    assert_true(t_same_state(&ps, &loaded));

    /* the newest is corrupt: deleted, and the one before it used */
    char path[128], name[64];
    pstate_snapshot_name(newest, name, sizeof(name));
    snprintf(path, sizeof(path), "data/orders-0/%s", name);
    env_file_id f = 0;
    assert_int_equal(env_file_open(t.env, path, 0, &f), KS_OK);
    uint8_t junk = 0x5a;
    assert_int_equal(env_file_write(t.env, f, 12, &junk, 1), KS_OK);
    env_file_close(t.env, f);
    assert_int_equal(pstate_load(&loaded, t.log), KS_OK);
    assert_int_equal(loaded.corrupt_snapshot_count, 1);
    assert_int_equal(loaded.loaded_snapshot_offset, offsets[count - 2]);
    assert_true(t_same_state(&ps, &loaded));
    assert_int_equal(t_snapshots(&t, offsets), count - 1);

    pstate_free(&loaded);
    pstate_free(&ps);
    plog_free(t.log);
    world_destroy(t.w);
}

static void test_truncate_deletes_snapshots_above(void **state)
{
    (void)state;
    struct t_disk t = t_disk_new();
    struct pstate ps;
    pstate_init(&ps);
    (void)t_fill(&t, &ps);
    int64_t offsets[64];
    uint32_t count = t_snapshots(&t, offsets);
    assert_true(count >= 3);
    int64_t cut = offsets[1] + 1; /* just above the second snapshot */
    assert_int_equal(plog_truncate_to(t.log, cut), KS_OK);
    assert_int_equal(pstate_truncate(&ps, t.log), KS_OK);
    assert_int_equal(t_snapshots(&t, offsets), 2);
    assert_int_equal(ps.loaded_snapshot_offset, offsets[1]);
    /* the state is the log's: every batch at or past the cut is forgotten */
    for (uint32_t i = 0; i < ps.producer_count; i++) {
        const struct pstate_producer *p = &ps.producers[i];
        assert_true(p->batches[p->batch_count - 1].last_offset < cut);
    }
    struct pstate fresh;
    pstate_init(&fresh);
    assert_int_equal(pstate_load(&fresh, t.log), KS_OK);
    assert_true(t_same_state(&ps, &fresh));
    pstate_free(&fresh);
    pstate_free(&ps);
    plog_free(t.log);
    world_destroy(t.w);
}

/* A crash: the log keeps what was synced below the last roll; the snapshots above the
 * recovered log end offset go, the newest below it is used. */
static void test_crash_keeps_state(void **state)
{
    (void)state;
    struct t_disk t = t_disk_new();
    struct pstate ps;
    pstate_init(&ps);
    (void)t_fill(&t, &ps);
    int64_t leo_before = plog_log_end_offset(t.log);
    plog_free(t.log);
    assert_int_equal(world_node_crash(t.w, t.node), KS_OK);
    assert_int_equal(world_node_start(t.w, t.node), KS_OK);
    t.env = world_node_env(t.w, t.node);
    t_open(&t, false);
    assert_true(plog_log_end_offset(t.log) <= leo_before);
    struct pstate loaded;
    pstate_init(&loaded);
    assert_int_equal(pstate_load(&loaded, t.log), KS_OK);
    assert_true(loaded.loaded_snapshot_offset >= 0);
    assert_true(loaded.loaded_snapshot_offset <= plog_log_end_offset(t.log));
    int64_t offsets[64];
    uint32_t count = t_snapshots(&t, offsets);
    assert_true(count > 0);
    assert_true(offsets[count - 1] <= plog_log_end_offset(t.log));
    /* the state equals a replay of the whole recovered log */
    struct pstate replayed;
    pstate_init(&replayed);
    char name[64], path[128];
    for (uint32_t i = 0; i < count; i++) {
        pstate_snapshot_name(offsets[i], name, sizeof(name));
        snprintf(path, sizeof(path), "data/orders-0/%s", name);
        assert_int_equal(env_path_delete(t.env, path), KS_OK);
    }
    assert_int_equal(pstate_load(&replayed, t.log), KS_OK);
    assert_int_equal(replayed.loaded_snapshot_offset, -1);
    assert_true(t_same_state(&replayed, &loaded));
    pstate_free(&replayed);
    pstate_free(&loaded);
    pstate_free(&ps);
    plog_free(t.log);
    world_destroy(t.w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot_encode_golden),
        cmocka_unit_test(test_snapshot_decode_golden),
        cmocka_unit_test(test_snapshot_decode_bad),
        cmocka_unit_test(test_snapshot_names),
        cmocka_unit_test(test_load_newest_snapshot_and_replay),
        cmocka_unit_test(test_truncate_deletes_snapshots_above),
        cmocka_unit_test(test_crash_keeps_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
