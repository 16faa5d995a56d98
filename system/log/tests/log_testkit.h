/*
 * log_testkit.h: what the partition log's tests share (seg_test.c, plog_test.c,
 * cleaner_test.c, logdir_test.c): a world with one node of a tiny node type whose env
 * the tests drive directly; batches built with rb_builder; and a freezing env, a thin
 * wrapper that lets the first N mutating file calls through and fails every later one
 * with KS_ERR_IO without doing it, so that a crash right after it lands between any
 * two steps of an operation (SQLite's test_vfs countdown, applied to env.h).
 */
#ifndef KS_LOG_TESTKIT_H
#define KS_LOG_TESTKIT_H

/* cmocka needs these first */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/world.h"
#include "system/bugs.h"
#include "system/log/rb.h"

#define TK_MS WORLD_NS_PER_MS

/* ---- A world with one node -------------------------------------------------------- */

static void *tk_node_start(struct env *env, const struct props *config)
{
    (void)env;
    (void)config;
    return ks_alloc(1);
}
static void tk_node_destroy(void *node)
{
    free(node);
}
static const struct world_node_type tk_node_type = {"logtest", tk_node_start, NULL, tk_node_destroy,
                                                    NULL};

struct tk {
    struct world *w;
    int node;
    struct env *env;
};

static inline struct tk tk_new(uint64_t seed, env_bug_mask bugs)
{
    struct world_config config;
    world_config_default(&config, seed);
    config.bugs = bugs;
    struct tk t = {.w = world_create(&config)};
    t.node = world_node_add(t.w, "broker1", &tk_node_type, NULL);
    assert_true(t.node >= 0);
    assert_int_equal(world_node_start(t.w, t.node), KS_OK);
    t.env = world_node_env(t.w, t.node);
    assert_int_equal(env_dir_create(t.env, "data"), KS_OK);
    assert_int_equal(env_dir_sync(t.env, ""), KS_OK);
    return t;
}

/* Power loss and restart: unsynced writes are kept as a random prefix, torn. */
static inline void tk_crash(struct tk *t)
{
    assert_int_equal(world_node_crash(t->w, t->node), KS_OK);
    assert_int_equal(world_node_start(t->w, t->node), KS_OK);
}

static inline void tk_run_ms(struct tk *t, uint64_t ms)
{
    world_run_until(t->w, world_now_ns(t->w) + ms * TK_MS, UINT64_MAX);
}

static inline void tk_free(struct tk *t)
{
    world_destroy(t->w);
}

/* ---- Batches ------------------------------------------------------------------------- */

/* A batch of count records, keys "k<key_first + i>" (NULL keys when key_first < 0),
 * values of value_bytes bytes filled with fill (NULL values when value_bytes < 0),
 * timestamps timestamp + i. Returns malloc'd bytes. */
static inline uint8_t *tk_batch(uint32_t count, int64_t key_first, int32_t value_bytes,
                                uint8_t fill, int64_t timestamp, uint32_t *size_out)
{
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    uint8_t *value = malloc(value_bytes > 0 ? (size_t)value_bytes : 1);
    memset(value, fill, value_bytes > 0 ? (size_t)value_bytes : 1);
    for (uint32_t i = 0; i < count; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "k%lld", (long long)(key_first + i));
        struct rb_record_input r = {
            .timestamp = timestamp + i,
            .key = key_first < 0 ? NULL : (const uint8_t *)key,
            .key_size = key_first < 0 ? 0 : (uint32_t)n,
            .value = value_bytes < 0 ? NULL : value,
            .value_size = value_bytes < 0 ? 0 : (uint32_t)value_bytes,
        };
        assert_int_equal(rb_builder_append(&b, &r), KS_OK);
    }
    uint8_t *bytes = NULL;
    assert_int_equal(rb_builder_finish(&b, &bytes, size_out), KS_OK);
    rb_builder_release(&b);
    free(value);
    return bytes;
}

/* ---- The freezing env ---------------------------------------------------------------- */

struct tk_freeze {
    struct env env; /* first: the wrapper is a struct env */
    struct env *inner;
    uint64_t mutations_left; /* mutating calls still allowed; UINT64_MAX: no freeze */
    uint64_t mutations;      /* mutating calls let through */
    bool frozen;
};

static inline struct tk_freeze *tk_freeze_of(struct env *env)
{
    return (struct tk_freeze *)env;
}

/* Whether a mutating call may go on; counts it. */
static inline bool tk_freeze_allow(struct env *env)
{
    struct tk_freeze *f = tk_freeze_of(env);
    if (f->frozen || f->mutations_left == 0) {
        f->frozen = true;
        return false;
    }
    if (f->mutations_left != UINT64_MAX)
        f->mutations_left--;
    f->mutations++;
    return true;
}

static int64_t tkf_wall_ms(struct env *e)
{
    return env_wall_ms(tk_freeze_of(e)->inner);
}
static uint64_t tkf_mono_ns(struct env *e)
{
    return env_mono_ns(tk_freeze_of(e)->inner);
}
static env_timer_id tkf_timer_start(struct env *e, uint64_t d, env_timer_fn fn, void *ctx)
{
    return env_timer_start(tk_freeze_of(e)->inner, d, fn, ctx);
}
static bool tkf_timer_cancel(struct env *e, env_timer_id t)
{
    return env_timer_cancel(tk_freeze_of(e)->inner, t);
}
static enum ks_err tkf_file_open(struct env *e, const char *path, unsigned flags, env_file_id *out)
{
    if ((flags & (ENV_FILE_CREATE | ENV_FILE_TRUNC)) != 0 && !tk_freeze_allow(e))
        return KS_ERR_IO;
    return env_file_open(tk_freeze_of(e)->inner, path, flags, out);
}
static enum ks_err tkf_file_read(struct env *e, env_file_id f, uint64_t o, uint8_t *b, uint32_t n,
                                 uint32_t *got)
{
    return env_file_read(tk_freeze_of(e)->inner, f, o, b, n, got);
}
static enum ks_err tkf_file_write(struct env *e, env_file_id f, uint64_t o, const uint8_t *b,
                                  uint32_t n)
{
    return tk_freeze_allow(e) ? env_file_write(tk_freeze_of(e)->inner, f, o, b, n) : KS_ERR_IO;
}
static enum ks_err tkf_file_size(struct env *e, env_file_id f, uint64_t *out)
{
    return env_file_size(tk_freeze_of(e)->inner, f, out);
}
static enum ks_err tkf_file_truncate(struct env *e, env_file_id f, uint64_t n)
{
    return tk_freeze_allow(e) ? env_file_truncate(tk_freeze_of(e)->inner, f, n) : KS_ERR_IO;
}
static enum ks_err tkf_file_sync(struct env *e, env_file_id f)
{
    return tk_freeze_allow(e) ? env_file_sync(tk_freeze_of(e)->inner, f) : KS_ERR_IO;
}
static void tkf_file_close(struct env *e, env_file_id f)
{
    env_file_close(tk_freeze_of(e)->inner, f);
}
static enum ks_err tkf_path_rename(struct env *e, const char *from, const char *to)
{
    return tk_freeze_allow(e) ? env_path_rename(tk_freeze_of(e)->inner, from, to) : KS_ERR_IO;
}
static enum ks_err tkf_path_delete(struct env *e, const char *path)
{
    return tk_freeze_allow(e) ? env_path_delete(tk_freeze_of(e)->inner, path) : KS_ERR_IO;
}
static enum ks_err tkf_dir_create(struct env *e, const char *path)
{
    return tk_freeze_allow(e) ? env_dir_create(tk_freeze_of(e)->inner, path) : KS_ERR_IO;
}
static enum ks_err tkf_dir_list(struct env *e, const char *path, env_dir_entry_fn fn, void *ctx)
{
    return env_dir_list(tk_freeze_of(e)->inner, path, fn, ctx);
}
static enum ks_err tkf_dir_sync(struct env *e, const char *path)
{
    return tk_freeze_allow(e) ? env_dir_sync(tk_freeze_of(e)->inner, path) : KS_ERR_IO;
}
static uint64_t tkf_random(struct env *e)
{
    return env_random(tk_freeze_of(e)->inner);
}
static bool tkf_buggify(struct env *e, const char *site)
{
    return env_buggify(tk_freeze_of(e)->inner, site);
}
static void tkf_trace(struct env *e, const char *kind, const char *text)
{
    env_trace(tk_freeze_of(e)->inner, kind, text);
}
static void tkf_log(struct env *e, enum env_log_level level, const char *text)
{
    tk_freeze_of(e)->inner->ops->log(tk_freeze_of(e)->inner, level, text);
}

static const struct env_ops tk_freeze_ops = {
    .wall_ms = tkf_wall_ms,
    .mono_ns = tkf_mono_ns,
    .timer_start = tkf_timer_start,
    .timer_cancel = tkf_timer_cancel,
    .file_open = tkf_file_open,
    .file_read = tkf_file_read,
    .file_write = tkf_file_write,
    .file_size = tkf_file_size,
    .file_truncate = tkf_file_truncate,
    .file_sync = tkf_file_sync,
    .file_close = tkf_file_close,
    .path_rename = tkf_path_rename,
    .path_delete = tkf_path_delete,
    .dir_create = tkf_dir_create,
    .dir_list = tkf_dir_list,
    .dir_sync = tkf_dir_sync,
    .random = tkf_random,
    .buggify = tkf_buggify,
    .trace = tkf_trace,
    .log = tkf_log,
};

/* Wraps inner; mutations_left = UINT64_MAX never freezes. */
static inline void tk_freeze_init(struct tk_freeze *f, struct env *inner, uint64_t mutations_left)
{
    memset(f, 0, sizeof(*f));
    f->env.ops = &tk_freeze_ops;
    f->env.node_name = inner->node_name;
    f->env.bugs = inner->bugs;
    f->inner = inner;
    f->mutations_left = mutations_left;
}

#endif
