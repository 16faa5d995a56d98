/*
 * env_posix.h: the real environment behind system/env.h, so that the code that runs
 * under simulation also runs as a real broker (FoundationDB's "one code base for
 * simulation and production"; Kafka's SocketServer and LogManager sit on top of it).
 *
 * Single-threaded like the simulator. A `struct posix_loop` owns an epoll instance
 * and a timer heap ordered by (deadline, sequence); any number of `struct posix_env`
 * (one per node living in the process) hang off one loop. system/posix/ is the one
 * place in system/ that calls the operating system.
 *
 * What each env.h call becomes:
 *  - wall_ms: clock_gettime(CLOCK_REALTIME) in ms (follows NTP jumps, libfaketime);
 *    mono_ns: CLOCK_MONOTONIC; timers: the loop's heap, fired in (deadline, sequence)
 *    order, at most about 1 ms late (epoll_wait's resolution).
 *  - network: non-blocking TCP. listen binds the env's bind address (default
 *    127.0.0.1; port 0 picks a free port, see posix_env_listen_port_last). connect
 *    takes a numeric IPv4 or IPv6 address or "localhost", never a DNS name (no
 *    blocking resolver). A connect gets on_open(KS_ERR_REFUSED) when nothing
 *    listens and on_open(KS_ERR_TIMED_OUT) when no answer came within the connect
 *    timeout. send writes at once when it can and queues the rest, flushed on
 *    EPOLLOUT. on_closed gets KS_OK for an orderly close by the peer (EOF) and
 *    KS_ERR_CLOSED for a reset or any other socket error. env_close flushes what was
 *    queued, then shuts down the write side (the peer sees EOF, on_closed KS_OK) and
 *    lingers, discarding input, until the peer closes too or POSIX_CLOSE_LINGER_NS
 *    passes. No callback runs inside the call that registered it: failures known at
 *    once are delivered through a zero-delay timer.
 *  - send queue limit: when a send would take a connection's queue past
 *    POSIX_SEND_QUEUE_BYTES_MAX (or the env's smaller option), the connection breaks: env_send
 * returns KS_ERR_CLOSED and the owner gets on_closed(KS_ERR_CLOSED) later, the contract system code
 * already handles (a peer that stops reading is a broken peer).
 *  - files: relative to the data directory (opened once; every call is an *at()
 *    call on it), write = pwrite, sync = fsync, dir_sync = fsync of the directory
 *    opened O_RDONLY|O_DIRECTORY, list sorted by byte-wise name. Paths are checked
 *    as env.h says (relative, no empty, "." or ".." parts): KS_ERR_INVALID otherwise.
 *    errno maps to enum ks_err through posix_err_from_errno.
 *  - random: xoshiro256** seeded through SplitMix64 from the seed; buggify is always
 *    false and the bug mask 0 (production).
 *  - trace and log: one line each on a FILE * (stderr by default), with the UTC wall
 *    time, the node name and the level or trace kind.
 *
 * Ownership: the loop outlives its envs; an env owns its sockets, files and timers and
 * closes them (without callbacks, as after a crash) when destroyed.
 */
#ifndef KS_ENV_POSIX_H
#define KS_ENV_POSIX_H

#include <stdio.h>

#include "../env.h"

#define POSIX_CONNS_MAX 4096u                      /* connections per env, open or closing */
#define POSIX_LISTENERS_MAX 16u                    /* listening ports per env */
#define POSIX_FILES_OPEN_MAX 4096u                 /* open file handles per env */
#define POSIX_TIMERS_MAX (1u << 20)                /* pending timers per loop */
#define POSIX_SEND_QUEUE_BYTES_MAX (256u << 20)    /* queued, unsent bytes per connection */
#define POSIX_RECV_CHUNK_BYTES 65536u              /* largest chunk handed to on_recv */
#define POSIX_PATH_BYTES_MAX 1024u                 /* longest relative path, with its NUL */
#define POSIX_DIR_ENTRIES_MAX (1u << 20)           /* entries dir_list reads from one directory */
#define POSIX_CONNECT_TIMEOUT_MS_DEFAULT 10000u    /* a connect with no answer fails after */
#define POSIX_CLOSE_LINGER_NS (30ull * 1000000000) /* a closed connection drains at most */
#define POSIX_NODE_NAME_BYTES_MAX 64u

struct posix_loop;
struct posix_env;

/* ---- The loop ------------------------------------------------------------------- */

/* Create a loop (an epoll instance and an empty timer heap). Returns NULL when the
 * system refuses an epoll instance (out of descriptors). */
struct posix_loop *posix_loop_create(void);

/* Destroy a loop whose envs were all destroyed; restores the signal mask changed by
 * posix_loop_signals_watch. NULL is fine. */
void posix_loop_destroy(struct posix_loop *loop);

/* Why posix_loop_run_until returned. */
enum posix_loop_exit {
    POSIX_LOOP_STOPPED,  /* posix_loop_stop was called */
    POSIX_LOOP_DONE,     /* done(ctx) returned true */
    POSIX_LOOP_DEADLINE, /* the monotonic clock reached the deadline */
};

typedef bool (*posix_loop_done_fn)(void *ctx);

/*
 * Run events (sockets, timers, signals) until posix_loop_stop is called, done(ctx)
 * returns true (checked before every turn; done may be NULL) or CLOCK_MONOTONIC
 * reaches deadline_mono_ns (UINT64_MAX: no deadline). Not reentrant: never call it
 * from a callback.
 */
enum posix_loop_exit posix_loop_run_until(struct posix_loop *loop, uint64_t deadline_mono_ns,
                                          posix_loop_done_fn done, void *ctx);

/* Make the running (or the next) posix_loop_run_until return POSIX_LOOP_STOPPED
 * after the current callback. */
void posix_loop_stop(struct posix_loop *loop);

/* CLOCK_MONOTONIC in ns, the clock of deadlines and of env_mono_ns. */
uint64_t posix_loop_mono_ns(void);

/*
 * Take SIGTERM and SIGINT through a signalfd so a server can shut down cleanly: the
 * two signals are blocked for the process (the one piece of process state this
 * touches; posix_loop_destroy restores the old mask) and each one that arrives runs
 * fn(ctx, signal_number) from the loop, or, with fn NULL, stops the loop. Call it at
 * most once per loop, before any thread exists. Errors: KS_ERR_IO (signalfd failed),
 * KS_ERR_BUSY (already watching).
 */
typedef void (*posix_loop_signal_fn)(void *ctx, int signal_number);
KS_MUST_CHECK enum ks_err posix_loop_signals_watch(struct posix_loop *loop, posix_loop_signal_fn fn,
                                                   void *ctx);

/* ---- An env for one node --------------------------------------------------------- */

/* Options; all-zero (or a NULL pointer) means every default. */
struct posix_env_options {
    const char *node_name;         /* for log lines; NULL: "node"; copied */
    const char *bind_address;      /* numeric IPv4/IPv6 or "localhost"; NULL: "127.0.0.1" */
    FILE *log_file;                /* trace and log lines; NULL: stderr; borrowed */
    bool log_debug;                /* print ENV_LOG_DEBUG lines too */
    bool trace_quiet;              /* drop env_trace lines */
    bool data_dir_create;          /* mkdir data_dir (one level) when it is missing */
    uint32_t connect_timeout_ms;   /* 0: POSIX_CONNECT_TIMEOUT_MS_DEFAULT */
    uint32_t send_queue_bytes_max; /* 0 or more than POSIX_SEND_QUEUE_BYTES_MAX: that */
    uint32_t close_linger_ms;      /* 0: POSIX_CLOSE_LINGER_NS */
};

/*
 * Create an env for a node whose files live under data_dir (an absolute or
 * process-relative path to an existing directory). Errors: KS_ERR_NOT_FOUND (no such
 * directory), KS_ERR_INVALID (bad bind address or node name), KS_ERR_IO.
 */
KS_MUST_CHECK enum ks_err posix_env_create(struct posix_loop *loop, const char *data_dir,
                                           uint64_t seed, const struct posix_env_options *options,
                                           struct posix_env **env_out);

/* Close every socket, file and timer of the env without calling back (as the world
 * drops a crashed node's), then free it. Never from one of this env's callbacks.
 * NULL is fine. */
void posix_env_destroy(struct posix_env *env);

/* The env.h interface of this env, to hand to system code. */
struct env *posix_env_base(struct posix_env *env);

/* The port the env's last successful env_listen bound (the chosen one for port 0);
 * 0 before any. */
uint16_t posix_env_listen_port_last(const struct posix_env *env);

/* Connections of the env that are open, connecting, or closed by their owner and
 * still draining; a clean shutdown runs the loop until this reaches 0. */
uint32_t posix_env_conn_count(const struct posix_env *env);

/* Close every listening socket of the env at once, without calling back: a server
 * shutting down accepts no more connections (Kafka's SocketServer stops its
 * acceptors first), and nothing reaches a listener's owner after the owner is freed.
 * Connections already accepted stay. */
void posix_env_listeners_close(struct posix_env *env);

/* Timers pending for the env (its own and the env's internal ones). */
uint32_t posix_env_timer_count(const struct posix_env *env);

/*
 * A baseline for file benchmarks (issue 3's append benchmark compares against it):
 * create or truncate `path` under the env's data directory, write total_bytes there
 * with plain sequential write(2) calls of `chunk` (repeated), fsync every
 * sync_every_bytes (0: once at the end), close, and report the CLOCK_MONOTONIC time
 * it all took. The file stays; delete it with env_path_delete. Errors as env.h's
 * file calls.
 */
KS_MUST_CHECK enum ks_err posix_bench_plain_write(struct posix_env *env, const char *path,
                                                  const uint8_t *chunk, uint32_t chunk_bytes,
                                                  uint64_t total_bytes, uint64_t sync_every_bytes,
                                                  uint64_t *elapsed_ns_out);

/* The error an errno value stands for: ENOENT and ENOTDIR KS_ERR_NOT_FOUND, EEXIST
 * KS_ERR_EXISTS, ENOSPC and EDQUOT KS_ERR_NO_SPACE, ENOTEMPTY, EISDIR and EINVAL
 * KS_ERR_INVALID, EMFILE and ENFILE KS_ERR_TOO_MANY, ECONNREFUSED KS_ERR_REFUSED,
 * ETIMEDOUT KS_ERR_TIMED_OUT, EADDRINUSE KS_ERR_BUSY, 0 KS_OK, EIO and all others
 * KS_ERR_IO. */
enum ks_err posix_err_from_errno(int errno_value);

#endif
