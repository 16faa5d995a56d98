/*
 * env.h: the environment interface, the only way system/ code reaches the world.
 *
 * Time, timers, connections, files, randomness, bug switches and trace events all go
 * through a `struct env *` handed to a node when it starts. The simulator (sim/world.c)
 * implements it over virtual time, a simulated network and simulated disks; a POSIX
 * implementation makes the same code a real broker. System code never calls the
 * operating system itself, so that a seed replays a run event for event.
 *
 * Everything is single-threaded and non-blocking: calls return at once, and what
 * takes time (a timer, a connect, bytes arriving) comes back later as a callback
 * carrying the `void *ctx` the caller gave. A callback never runs inside the call
 * that registered it. File calls complete before they return (their cost shows up as
 * time passing for the node, as a blocked thread would).
 *
 * Ownership: paths and byte buffers passed in are borrowed for the call only; bytes
 * handed to a receive callback are valid until the callback returns.
 *
 * After a node crashes, the environment drops all its timers, connections and open
 * files without calling back: the node's memory is gone.
 */
#ifndef KS_ENV_H
#define KS_ENV_H

#include <stdarg.h>

#include "ks.h"

struct env;

/* Handles: never 0 while valid, never reused within one node's lifetime. */
typedef uint64_t env_timer_id;
typedef uint64_t env_conn_id;
typedef uint64_t env_file_id;

typedef void (*env_timer_fn)(void *ctx);

/*
 * A connection's owner gets these calls. on_open reports the outcome of env_connect
 * (err KS_OK, KS_ERR_REFUSED when nothing listens, KS_ERR_TIMED_OUT when no answer
 * came, e.g. across a partition); an accepted connection is open from the start and
 * never gets on_open. on_recv hands over bytes in the order the peer sent them, in
 * chunks of any size. on_closed is the last call for the connection: err KS_OK when
 * the peer closed it, KS_ERR_CLOSED when it broke (a crash, a partition); bytes
 * still in flight are lost. After env_close the owner gets no more calls.
 */
struct env_conn_handler {
    void (*on_open)(void *ctx, env_conn_id conn, enum ks_err err);
    void (*on_recv)(void *ctx, env_conn_id conn, const uint8_t *bytes, uint32_t size_bytes);
    void (*on_closed)(void *ctx, env_conn_id conn, enum ks_err err);
};

/* A listener's owner gets a call for each accepted connection; it returns the handler
 * and context that will own the connection. */
typedef void (*env_accept_fn)(void *ctx, env_conn_id conn, const char *peer_name,
                              const struct env_conn_handler **handler_out, void **conn_ctx_out);

/* Flags for env_file_open. */
enum {
    ENV_FILE_CREATE = 1u << 0, /* create when missing */
    ENV_FILE_EXCL = 1u << 1,   /* with CREATE: fail with KS_ERR_EXISTS when present */
    ENV_FILE_TRUNC = 1u << 2,  /* truncate to 0 on open */
};

/* Directory listing callback: one call per entry, in byte-wise name order. */
typedef void (*env_dir_entry_fn)(void *ctx, const char *name, bool is_dir);

/* Trace event severity, for logs that people read. */
enum env_log_level { ENV_LOG_DEBUG, ENV_LOG_INFO, ENV_LOG_WARN, ENV_LOG_ERROR };

/* Process-wide bug switches: a bit mask, see system/bugs.h for names. */
typedef uint64_t env_bug_mask;

/*
 * The operations. Implementations fill this table; system code calls the inline
 * wrappers below, never the table directly.
 */
struct env_ops {
    int64_t (*wall_ms)(struct env *env);
    uint64_t (*mono_ns)(struct env *env);
    env_timer_id (*timer_start)(struct env *env, uint64_t delay_ns, env_timer_fn fn, void *ctx);
    bool (*timer_cancel)(struct env *env, env_timer_id timer);

    enum ks_err (*listen)(struct env *env, uint16_t port, env_accept_fn fn, void *ctx);
    enum ks_err (*connect)(struct env *env, const char *host, uint16_t port,
                           const struct env_conn_handler *handler, void *ctx,
                           env_conn_id *conn_out);
    enum ks_err (*send)(struct env *env, env_conn_id conn, const uint8_t *bytes,
                        uint32_t size_bytes);
    void (*close)(struct env *env, env_conn_id conn);

    enum ks_err (*file_open)(struct env *env, const char *path, unsigned flags,
                             env_file_id *file_out);
    enum ks_err (*file_read)(struct env *env, env_file_id file, uint64_t offset, uint8_t *buf,
                             uint32_t size_bytes, uint32_t *read_bytes_out);
    enum ks_err (*file_write)(struct env *env, env_file_id file, uint64_t offset,
                              const uint8_t *bytes, uint32_t size_bytes);
    enum ks_err (*file_size)(struct env *env, env_file_id file, uint64_t *size_out);
    enum ks_err (*file_truncate)(struct env *env, env_file_id file, uint64_t size_bytes);
    enum ks_err (*file_sync)(struct env *env, env_file_id file);
    void (*file_close)(struct env *env, env_file_id file);
    enum ks_err (*path_rename)(struct env *env, const char *from, const char *to);
    enum ks_err (*path_delete)(struct env *env, const char *path);
    enum ks_err (*dir_create)(struct env *env, const char *path);
    enum ks_err (*dir_list)(struct env *env, const char *path, env_dir_entry_fn fn, void *ctx);
    enum ks_err (*dir_sync)(struct env *env, const char *path);

    uint64_t (*random)(struct env *env);
    bool (*buggify)(struct env *env, const char *site);
    void (*trace)(struct env *env, const char *kind, const char *text);
    void (*log)(struct env *env, enum env_log_level level, const char *text);
};

/* What every environment holds; implementations embed it first in their own struct. */
struct env {
    const struct env_ops *ops;
    const char *node_name; /* borrowed, lives as long as the node */
    env_bug_mask bugs;     /* bug switches turned on for this run; 0 in production */
};

/* ---- Time ---------------------------------------------------------------------- */

/* This node's wall clock in ms since the Unix epoch. It may be skewed, drift and jump
 * (forward or back) like a real NTP-managed clock: use it for timestamps, never to
 * measure intervals. */
static inline int64_t env_wall_ms(struct env *env) { return env->ops->wall_ms(env); }

/* A monotonic clock in ns: never goes back, never jumps; arbitrary origin. */
static inline uint64_t env_mono_ns(struct env *env) { return env->ops->mono_ns(env); }

/* Call fn(ctx) once, delay_ns from now (0 = after the current callback returns). The
 * callback never runs inside this call. Returns the timer's id, never 0. */
static inline env_timer_id env_timer_start(struct env *env, uint64_t delay_ns, env_timer_fn fn,
                                           void *ctx)
{
    return env->ops->timer_start(env, delay_ns, fn, ctx);
}

/* Cancel a pending timer. Returns true when it was pending (and now never fires),
 * false when it already fired or was cancelled. */
static inline bool env_timer_cancel(struct env *env, env_timer_id timer)
{
    return env->ops->timer_cancel(env, timer);
}

/* ---- Network ------------------------------------------------------------------- */

/* Accept connections on port. Errors: KS_ERR_BUSY when the port is taken. The
 * listener lives until the node stops or crashes. */
KS_MUST_CHECK static inline enum ks_err env_listen(struct env *env, uint16_t port,
                                                   env_accept_fn fn, void *ctx)
{
    return env->ops->listen(env, port, fn, ctx);
}

/* Start connecting to host:port (a node name under simulation, a host name or address
 * for real). Returns KS_OK and the connection id at once; the outcome comes later
 * through handler->on_open. Errors returned here: KS_ERR_TOO_MANY (out of
 * connections), KS_ERR_INVALID (bad host). */
KS_MUST_CHECK static inline enum ks_err env_connect(struct env *env, const char *host,
                                                    uint16_t port,
                                                    const struct env_conn_handler *handler,
                                                    void *ctx, env_conn_id *conn_out)
{
    return env->ops->connect(env, host, port, handler, ctx, conn_out);
}

/* Queue bytes on an open connection; they arrive in order, once, unless the
 * connection breaks first. Errors: KS_ERR_CLOSED (not open any more; the owner still
 * gets on_closed if it has not yet). */
KS_MUST_CHECK static inline enum ks_err env_send(struct env *env, env_conn_id conn,
                                                 const uint8_t *bytes, uint32_t size_bytes)
{
    return env->ops->send(env, conn, bytes, size_bytes);
}

/* Close a connection: bytes already sent still arrive, then the peer gets on_closed
 * with KS_OK. The caller gets no further callbacks for it. */
static inline void env_close(struct env *env, env_conn_id conn) { env->ops->close(env, conn); }

/* ---- Files --------------------------------------------------------------------- */
/*
 * Paths are relative to the node's data directory, '/'-separated, without "." or ".."
 * parts. Durability follows Linux filesystems:
 *  - file_write lands in the page cache: readable at once, lost in a crash unless a
 *    file_sync of that file completed after it. A crash may keep any prefix of the
 *    unsynced writes, the last kept one torn at a 512-byte sector boundary.
 *  - file_sync makes the file's contents and size durable, not its name.
 *  - creating, renaming and deleting names are durable only after dir_sync of the
 *    directory holding the name (both directories for a rename across them). A crash
 *    may keep any prefix of the unsynced name changes of a directory.
 * Every call may fail with KS_ERR_IO (a disk fault); writes and syncs with
 * KS_ERR_NO_SPACE. After a failed file_sync, what was unsynced is in an unknown state:
 * the caller must treat the file as suspect (as Kafka takes a log dir offline).
 */

/* Open (and with ENV_FILE_CREATE create) a file. Errors: KS_ERR_NOT_FOUND (missing
 * file or parent directory), KS_ERR_EXISTS (CREATE|EXCL on an existing name),
 * KS_ERR_TOO_MANY (open-file limit), KS_ERR_IO. */
KS_MUST_CHECK static inline enum ks_err env_file_open(struct env *env, const char *path,
                                                      unsigned flags, env_file_id *file_out)
{
    return env->ops->file_open(env, path, flags, file_out);
}

/* Read up to size_bytes at offset; *read_bytes_out is less than asked only at the end
 * of the file. Errors: KS_ERR_IO. Under fault injection the bytes may come back with
 * a flipped bit (silent corruption): checksums are the caller's business. */
KS_MUST_CHECK static inline enum ks_err env_file_read(struct env *env, env_file_id file,
                                                      uint64_t offset, uint8_t *buf,
                                                      uint32_t size_bytes,
                                                      uint32_t *read_bytes_out)
{
    return env->ops->file_read(env, file, offset, buf, size_bytes, read_bytes_out);
}

/* Write at offset, extending the file (a gap reads as zeros). Volatile until synced.
 * Errors: KS_ERR_IO, KS_ERR_NO_SPACE (nothing was written). */
KS_MUST_CHECK static inline enum ks_err env_file_write(struct env *env, env_file_id file,
                                                       uint64_t offset, const uint8_t *bytes,
                                                       uint32_t size_bytes)
{
    return env->ops->file_write(env, file, offset, bytes, size_bytes);
}

/* The file's current (page cache) size. Errors: KS_ERR_IO. */
KS_MUST_CHECK static inline enum ks_err env_file_size(struct env *env, env_file_id file,
                                                      uint64_t *size_out)
{
    return env->ops->file_size(env, file, size_out);
}

/* Set the size (shrink or extend with zeros). Volatile until synced. */
KS_MUST_CHECK static inline enum ks_err env_file_truncate(struct env *env, env_file_id file,
                                                          uint64_t size_bytes)
{
    return env->ops->file_truncate(env, file, size_bytes);
}

/* Make the file's contents and size durable (fsync). Errors: KS_ERR_IO, KS_ERR_NO_SPACE. */
KS_MUST_CHECK static inline enum ks_err env_file_sync(struct env *env, env_file_id file)
{
    return env->ops->file_sync(env, file);
}

/* Close the handle. Unsynced data stays in the page cache (close is not fsync). */
static inline void env_file_close(struct env *env, env_file_id file)
{
    env->ops->file_close(env, file);
}

/* Atomically rename a file or directory, replacing an existing file at `to`. Durable
 * after dir_sync. Errors: KS_ERR_NOT_FOUND, KS_ERR_IO. */
KS_MUST_CHECK static inline enum ks_err env_path_rename(struct env *env, const char *from,
                                                        const char *to)
{
    return env->ops->path_rename(env, from, to);
}

/* Delete a file or an empty directory. Open handles stay readable (unlink semantics).
 * Durable after dir_sync. Errors: KS_ERR_NOT_FOUND, KS_ERR_INVALID (directory not
 * empty), KS_ERR_IO. */
KS_MUST_CHECK static inline enum ks_err env_path_delete(struct env *env, const char *path)
{
    return env->ops->path_delete(env, path);
}

/* Create a directory (the parent must exist). Durable after dir_sync of the parent.
 * Errors: KS_ERR_EXISTS, KS_ERR_NOT_FOUND, KS_ERR_IO. */
KS_MUST_CHECK static inline enum ks_err env_dir_create(struct env *env, const char *path)
{
    return env->ops->dir_create(env, path);
}

/* List a directory ("" is the data directory) in byte-wise name order, without "."
 * and "..". Errors: KS_ERR_NOT_FOUND, KS_ERR_IO. */
KS_MUST_CHECK static inline enum ks_err env_dir_list(struct env *env, const char *path,
                                                     env_dir_entry_fn fn, void *ctx)
{
    return env->ops->dir_list(env, path, fn, ctx);
}

/* Make the directory's name changes (create, rename, delete) durable. Errors:
 * KS_ERR_NOT_FOUND, KS_ERR_IO. */
KS_MUST_CHECK static inline enum ks_err env_dir_sync(struct env *env, const char *path)
{
    return env->ops->dir_sync(env, path);
}

/* ---- Randomness, bug switches, probes, trace ------------------------------------ */

/* 64 random bits from this node's own seeded stream. */
static inline uint64_t env_random(struct env *env) { return env->ops->random(env); }

/* A uniform draw in [0, bound), bound > 0, without modulo bias. */
static inline uint64_t env_random_below(struct env *env, uint64_t bound)
{
    KS_ASSERT(bound > 0);
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t r;
    do {
        r = env_random(env);
    } while (r >= limit);
    return r % bound;
}

/* Whether bug switch `bug` (an enum ks_bug from bugs.h) is on for this run. */
static inline bool env_bug(const struct env *env, unsigned bug)
{
    KS_ASSERT(bug < 64);
    return (env->bugs >> bug) & 1u;
}

/* A BUGGIFY-style probe: under simulation, a site is enabled or not once per run and
 * then fires at random, to make rare paths common; a real environment returns false.
 * `site` must be a string literal naming the place. */
static inline bool env_buggify(struct env *env, const char *site)
{
    return env->ops->buggify(env, site);
}

/* Record a state change in the run's trace (and its hash). kind is a short literal
 * ("raft.role", "log.roll"); text says what happened. */
static inline void env_trace(struct env *env, const char *kind, const char *text)
{
    env->ops->trace(env, kind, text);
}
void env_tracef(struct env *env, const char *kind, const char *fmt, ...) KS_PRINTF(3, 4);

/* A line for people (not hashed). */
void env_logf(struct env *env, enum env_log_level level, const char *fmt, ...) KS_PRINTF(3, 4);

#endif
