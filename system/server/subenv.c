/*
 * subenv.c: an environment rooted in a subdirectory of another's, see subenv.h.
 * Kafka: metadata.log.dir.
 */
#include "system/server/subenv.h"

#include <stdio.h>
#include <string.h>

static struct subenv *subenv_of(struct env *env)
{
    return (struct subenv *)env;
}

static struct env *subenv_inner(struct env *env)
{
    return subenv_of(env)->inner;
}

/* prefix/path ("" is the prefix itself). Returns false when it does not fit. */
static bool subenv_path(struct env *env, const char *path, char *out)
{
    const char *prefix = subenv_of(env)->prefix;
    int n = path[0] == '\0' ? snprintf(out, SUBENV_PATH_BYTES_MAX, "%s", prefix)
                            : snprintf(out, SUBENV_PATH_BYTES_MAX, "%s/%s", prefix, path);
    return n > 0 && (size_t)n < SUBENV_PATH_BYTES_MAX;
}

static int64_t sub_wall_ms(struct env *e)
{
    return env_wall_ms(subenv_inner(e));
}
static uint64_t sub_mono_ns(struct env *e)
{
    return env_mono_ns(subenv_inner(e));
}
static env_timer_id sub_timer_start(struct env *e, uint64_t d, env_timer_fn fn, void *ctx)
{
    return env_timer_start(subenv_inner(e), d, fn, ctx);
}
static bool sub_timer_cancel(struct env *e, env_timer_id t)
{
    return env_timer_cancel(subenv_inner(e), t);
}
static enum ks_err sub_listen(struct env *e, uint16_t port, env_accept_fn fn, void *ctx)
{
    return env_listen(subenv_inner(e), port, fn, ctx);
}
static enum ks_err sub_connect(struct env *e, const char *host, uint16_t port,
                               const struct env_conn_handler *h, void *ctx, env_conn_id *out)
{
    return env_connect(subenv_inner(e), host, port, h, ctx, out);
}
static enum ks_err sub_send(struct env *e, env_conn_id c, const uint8_t *b, uint32_t n)
{
    return env_send(subenv_inner(e), c, b, n);
}
static void sub_close(struct env *e, env_conn_id c)
{
    env_close(subenv_inner(e), c);
}
static enum ks_err sub_file_open(struct env *e, const char *p, unsigned f, env_file_id *out)
{
    char path[SUBENV_PATH_BYTES_MAX];
    return subenv_path(e, p, path) ? env_file_open(subenv_inner(e), path, f, out)
                                   : KS_ERR_INVALID;
}
static enum ks_err sub_file_read(struct env *e, env_file_id f, uint64_t off, uint8_t *b,
                                 uint32_t n, uint32_t *got)
{
    return env_file_read(subenv_inner(e), f, off, b, n, got);
}
static enum ks_err sub_file_write(struct env *e, env_file_id f, uint64_t off, const uint8_t *b,
                                  uint32_t n)
{
    return env_file_write(subenv_inner(e), f, off, b, n);
}
static enum ks_err sub_file_size(struct env *e, env_file_id f, uint64_t *out)
{
    return env_file_size(subenv_inner(e), f, out);
}
static enum ks_err sub_file_truncate(struct env *e, env_file_id f, uint64_t n)
{
    return env_file_truncate(subenv_inner(e), f, n);
}
static enum ks_err sub_file_sync(struct env *e, env_file_id f)
{
    return env_file_sync(subenv_inner(e), f);
}
static void sub_file_close(struct env *e, env_file_id f)
{
    env_file_close(subenv_inner(e), f);
}
static enum ks_err sub_path_rename(struct env *e, const char *a, const char *b)
{
    char from[SUBENV_PATH_BYTES_MAX], to[SUBENV_PATH_BYTES_MAX];
    if (!subenv_path(e, a, from) || !subenv_path(e, b, to))
        return KS_ERR_INVALID;
    return env_path_rename(subenv_inner(e), from, to);
}
static enum ks_err sub_path_delete(struct env *e, const char *p)
{
    char path[SUBENV_PATH_BYTES_MAX];
    return subenv_path(e, p, path) ? env_path_delete(subenv_inner(e), path) : KS_ERR_INVALID;
}
static enum ks_err sub_dir_create(struct env *e, const char *p)
{
    char path[SUBENV_PATH_BYTES_MAX];
    return subenv_path(e, p, path) ? env_dir_create(subenv_inner(e), path) : KS_ERR_INVALID;
}
static enum ks_err sub_dir_list(struct env *e, const char *p, env_dir_entry_fn fn, void *ctx)
{
    char path[SUBENV_PATH_BYTES_MAX];
    return subenv_path(e, p, path) ? env_dir_list(subenv_inner(e), path, fn, ctx)
                                   : KS_ERR_INVALID;
}
static enum ks_err sub_dir_sync(struct env *e, const char *p)
{
    char path[SUBENV_PATH_BYTES_MAX];
    return subenv_path(e, p, path) ? env_dir_sync(subenv_inner(e), path) : KS_ERR_INVALID;
}
static uint64_t sub_random(struct env *e)
{
    return env_random(subenv_inner(e));
}
static bool sub_buggify(struct env *e, const char *site)
{
    return env_buggify(subenv_inner(e), site);
}
static void sub_trace(struct env *e, const char *kind, const char *text)
{
    env_trace(subenv_inner(e), kind, text);
}
static void sub_log(struct env *e, enum env_log_level level, const char *text)
{
    subenv_inner(e)->ops->log(subenv_inner(e), level, text);
}

static const struct env_ops subenv_ops = {
    .wall_ms = sub_wall_ms,
    .mono_ns = sub_mono_ns,
    .timer_start = sub_timer_start,
    .timer_cancel = sub_timer_cancel,
    .listen = sub_listen,
    .connect = sub_connect,
    .send = sub_send,
    .close = sub_close,
    .file_open = sub_file_open,
    .file_read = sub_file_read,
    .file_write = sub_file_write,
    .file_size = sub_file_size,
    .file_truncate = sub_file_truncate,
    .file_sync = sub_file_sync,
    .file_close = sub_file_close,
    .path_rename = sub_path_rename,
    .path_delete = sub_path_delete,
    .dir_create = sub_dir_create,
    .dir_list = sub_dir_list,
    .dir_sync = sub_dir_sync,
    .random = sub_random,
    .buggify = sub_buggify,
    .trace = sub_trace,
    .log = sub_log,
};

enum ks_err subenv_init(struct subenv *sub, struct env *inner, const char *prefix)
{
    KS_ASSERT(inner != NULL);
    KS_ASSERT(prefix != NULL);
    size_t n = strlen(prefix);
    if (n == 0 || n >= sizeof(sub->prefix))
        return KS_ERR_INVALID;
    memset(sub, 0, sizeof(*sub));
    sub->inner = inner;
    memcpy(sub->prefix, prefix, n);
    sub->base = (struct env){&subenv_ops, inner->node_name, inner->bugs};
    KS_ASSERT(sub->base.ops == &subenv_ops);
    return KS_OK;
}
