/*
 * env_posix.c: the POSIX environment of env_posix.h: an epoll loop with a timer heap,
 * non-blocking TCP, files under a data directory, the system clocks, a seeded random
 * stream and timestamped log lines. Kafka: what SocketServer's Selector and
 * LogManager's FileChannels give the broker, here behind system/env.h.
 *
 * Handles. Connections, listeners and the signal watch live in the loop's `watches`
 * table, timers in its `timers` table, open files in the env's `files` table. A key
 * is (sequence << POSIX_SLOT_BITS | slot): lookups are one array index and one
 * compare, and a key is never reused because its sequence only grows. epoll carries
 * keys, never pointers, so an event for something closed earlier in the same batch
 * finds nothing and is dropped. For the same reason every dispatch looks its object
 * up again after each user callback, which may have closed it.
 *
 * Connections move CONNECTING -> OPEN -> DRAINING (closed by the owner, flushing and
 * lingering) -> freed, or to NOTICE (socket gone, an on_open or on_closed due through
 * a zero-delay timer, because it was found inside a call such as env_send, where
 * calling back is not allowed) -> freed. Each has at most one internal timer: the
 * connect timeout, the notice, or the linger.
 */
#define _GNU_SOURCE /* accept4 */
#include "env_posix.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define POSIX_SLOT_BITS 20u
#define POSIX_SLOTS_MAX (1u << POSIX_SLOT_BITS)
#define POSIX_SLOT_NONE UINT32_MAX
#define POSIX_EPOLL_EVENTS_MAX 64u
#define POSIX_ACCEPTS_PER_EVENT_MAX 64u /* connections accepted per listener event */
#define POSIX_READS_PER_EVENT_MAX 16u   /* recv calls per connection event */
#define POSIX_WRITES_PER_FLUSH_MAX 64u  /* sendmsg calls per flush */
#define POSIX_IOV_MAX 64u               /* queue chunks per sendmsg */
#define POSIX_SEND_CHUNK_BYTES_MIN 16384u
#define POSIX_IO_CALLS_MAX 1024u /* pread/pwrite/send calls (EINTR, short) per request */
#define POSIX_SIGNALS_PER_EVENT_MAX 16u
#define POSIX_ACCEPT_BACKOFF_NS (100ull * 1000000) /* out of descriptors: stop accepting */
#define POSIX_LISTEN_BACKLOG 511
#define POSIX_WAIT_MS_MAX 3600000 /* longest single epoll_wait */
#define POSIX_PEER_NAME_BYTES_MAX 64u
#define POSIX_NS_PER_MS 1000000ull
#define POSIX_NS_PER_S 1000000000ull

_Static_assert(POSIX_TIMERS_MAX <= POSIX_SLOTS_MAX, "timer ids need a slot each");
_Static_assert(POSIX_FILES_OPEN_MAX <= POSIX_SLOTS_MAX, "file ids need a slot each");
_Static_assert(POSIX_RECV_CHUNK_BYTES <= UINT32_MAX, "on_recv takes a uint32_t size");

/* ---- Slot tables ------------------------------------------------------------------ */

struct slab_slot {
    uint64_t key; /* 0 when free */
    void *object;
    uint32_t free_next;
};

/* Objects by key; see the file header. */
struct slab {
    struct slab_slot *slots;
    uint32_t capacity;  /* slots allocated */
    uint32_t used_high; /* slots ever handed out */
    uint32_t count;     /* slots holding an object */
    uint32_t count_max;
    uint32_t free_head; /* a freed slot to reuse, or POSIX_SLOT_NONE */
    uint64_t seq_next;  /* the next key's sequence, from 1 */
};

static void slab_init(struct slab *slab, uint32_t count_max)
{
    KS_ASSERT(count_max > 0 && count_max <= POSIX_SLOTS_MAX);
    memset(slab, 0, sizeof(*slab));
    slab->count_max = count_max;
    slab->free_head = POSIX_SLOT_NONE;
    slab->seq_next = 1;
}

static void slab_free(struct slab *slab)
{
    KS_ASSERT(slab->count == 0); /* owners free their objects first */
    free(slab->slots);
    slab->slots = NULL;
}

/* Take a slot for object. Returns its key, or 0 when the table is full. */
static uint64_t slab_add(struct slab *slab, void *object)
{
    KS_ASSERT(object != NULL);
    if (slab->count >= slab->count_max)
        return 0;
    uint32_t slot = slab->free_head;
    if (slot != POSIX_SLOT_NONE) {
        slab->free_head = slab->slots[slot].free_next;
    } else {
        if (slab->used_high == slab->capacity) {
            slab->capacity = slab->capacity == 0 ? 64 : slab->capacity * 2;
            slab->slots = ks_realloc(slab->slots, sizeof(*slab->slots) * slab->capacity);
        }
        slot = slab->used_high++;
    }
    KS_ASSERT(slab->seq_next < (1ull << (64 - POSIX_SLOT_BITS)));
    uint64_t key = slab->seq_next++ << POSIX_SLOT_BITS | slot;
    slab->slots[slot] = (struct slab_slot){.key = key, .object = object};
    slab->count++;
    KS_ASSERT(key != 0);
    return key;
}

static void *slab_find(const struct slab *slab, uint64_t key)
{
    uint32_t slot = (uint32_t)(key & (POSIX_SLOTS_MAX - 1));
    if (key == 0 || slot >= slab->used_high || slab->slots[slot].key != key)
        return NULL;
    return slab->slots[slot].object;
}

static void slab_remove(struct slab *slab, uint64_t key)
{
    uint32_t slot = (uint32_t)(key & (POSIX_SLOTS_MAX - 1));
    KS_ASSERT(slot < slab->used_high);
    KS_ASSERT(slab->slots[slot].key == key);
    slab->slots[slot] = (struct slab_slot){.free_next = slab->free_head};
    slab->free_head = slot;
    slab->count--;
}

/* The object in slot i (for walks over every slot), or NULL. */
static void *slab_at(const struct slab *slab, uint32_t i)
{
    KS_ASSERT(i < slab->used_high);
    return slab->slots[i].key != 0 ? slab->slots[i].object : NULL;
}

/* Every key added from now on is at least this. */
static uint64_t slab_key_limit(const struct slab *slab)
{
    return slab->seq_next << POSIX_SLOT_BITS;
}

/* ---- Loop, env and object types ----------------------------------------------------- */

struct posix_timer {
    uint64_t key; /* the env_timer_id */
    uint64_t deadline_ns;
    struct posix_env *env;
    env_timer_fn fn;
    void *ctx;
    uint32_t heap_index;
};

enum watch_kind { WATCH_LISTENER = 1, WATCH_CONN, WATCH_SIGNAL };

/* The first member of everything in the loop's watches table. */
struct watch {
    enum watch_kind kind;
    uint64_t key;
};

struct posix_signal {
    struct watch watch;
    int fd;
    posix_loop_signal_fn fn;
    void *ctx;
};

struct posix_loop {
    int epoll_fd;
    struct slab watches;       /* listeners, connections, the signal watch */
    struct slab timers;        /* struct posix_timer */
    struct posix_timer **heap; /* min-heap by (deadline_ns, key) */
    uint32_t heap_count;
    uint32_t heap_capacity;
    uint8_t *recv_buf; /* POSIX_RECV_CHUNK_BYTES, lent to on_recv */
    uint32_t env_count;
    bool running;
    bool stop_requested;
    struct posix_env *callback_env; /* the env whose callback runs now, or NULL */
    uint64_t signal_key;            /* the signal watch, 0 when none */
    sigset_t signal_mask_old;
};

struct posix_file {
    int fd;
};

struct posix_env {
    struct env base; /* first: a struct env * is a struct posix_env * */
    struct posix_loop *loop;
    char node_name[POSIX_NODE_NAME_BYTES_MAX];
    int dir_fd; /* the data directory */
    struct sockaddr_storage bind_addr;
    socklen_t bind_addr_size;
    FILE *log_file;
    bool log_debug;
    bool trace_quiet;
    uint64_t connect_timeout_ns;
    uint64_t close_linger_ns;
    uint32_t send_queue_bytes_max;
    uint64_t rng[4]; /* xoshiro256** */
    struct slab files;
    uint32_t conn_count;
    uint32_t listener_count;
    uint32_t timer_count;
    uint16_t listen_port_last;
};

struct posix_listener {
    struct watch watch;
    struct posix_env *env;
    int fd;
    uint16_t port;
    env_accept_fn fn;
    void *ctx;
    env_timer_id backoff_timer; /* re-arms accepting after EMFILE; 0 when none */
};

enum conn_state { CONN_CONNECTING, CONN_OPEN, CONN_DRAINING, CONN_NOTICE };

struct send_chunk {
    struct send_chunk *next;
    uint32_t size_bytes;
    uint32_t capacity_bytes;
    uint8_t bytes[];
};

struct posix_conn {
    struct watch watch; /* watch.key is the env_conn_id */
    struct posix_env *env;
    enum conn_state state;
    int fd;          /* -1 in NOTICE */
    uint32_t events; /* registered with epoll */
    bool opened;     /* on_open(KS_OK) was called or it was accepted: failures say on_closed */
    bool write_shut; /* DRAINING: shutdown(SHUT_WR) done */
    bool read_eof;   /* DRAINING: the peer closed its side */
    enum ks_err notice_err;
    const struct env_conn_handler *handler;
    void *ctx;
    env_timer_id timer; /* connect timeout, notice or linger; 0 when none */
    struct send_chunk *send_head;
    struct send_chunk *send_tail;
    uint32_t send_head_offset; /* bytes of send_head already written */
    uint64_t send_queued_bytes;
};

static const struct env_ops posix_env_ops;

static struct posix_env *env_of(struct env *base)
{
    KS_ASSERT(base != NULL);
    KS_ASSERT(base->ops == &posix_env_ops);
    return (struct posix_env *)base;
}

/* ---- Errors --------------------------------------------------------------------- */

enum ks_err posix_err_from_errno(int errno_value)
{
    switch (errno_value) {
    case 0:
        return KS_OK;
    case ENOENT:
    case ENOTDIR:
        return KS_ERR_NOT_FOUND;
    case EEXIST:
        return KS_ERR_EXISTS;
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
        return KS_ERR_NO_SPACE;
    case ENOTEMPTY:
    case EISDIR:
    case EINVAL:
    case ENAMETOOLONG:
        return KS_ERR_INVALID;
    case EMFILE:
    case ENFILE:
        return KS_ERR_TOO_MANY;
    case ECONNREFUSED:
        return KS_ERR_REFUSED;
    case ETIMEDOUT:
        return KS_ERR_TIMED_OUT;
    case EADDRINUSE:
        return KS_ERR_BUSY;
    case ECONNRESET:
    case EPIPE:
        return KS_ERR_CLOSED;
    default:
        return KS_ERR_IO;
    }
}

/* How a connect attempt failed, as env.h's on_open reports it. */
static enum ks_err connect_err_from_errno(int errno_value)
{
    switch (errno_value) {
    case ECONNREFUSED:
        return KS_ERR_REFUSED;
    case ETIMEDOUT:
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EHOSTDOWN:
        return KS_ERR_TIMED_OUT;
    default:
        return KS_ERR_CLOSED;
    }
}

/* ---- Clocks, randomness, lines ------------------------------------------------------ */

uint64_t posix_loop_mono_ns(void)
{
    struct timespec ts;
    int rc = clock_gettime(CLOCK_MONOTONIC, &ts);
    KS_ASSERT(rc == 0); /* fails only for a bad clock id */
    return (uint64_t)ts.tv_sec * POSIX_NS_PER_S + (uint64_t)ts.tv_nsec;
}

static int64_t posix_wall_ms(struct env *base)
{
    (void)env_of(base);
    struct timespec ts;
    int rc = clock_gettime(CLOCK_REALTIME, &ts);
    KS_ASSERT(rc == 0);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / (long)POSIX_NS_PER_MS;
}

static uint64_t posix_mono_ns(struct env *base)
{
    (void)env_of(base);
    return posix_loop_mono_ns();
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman and Vigna). */
static uint64_t posix_random(struct env *base)
{
    uint64_t *s = env_of(base)->rng;
    uint64_t result = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}

static bool posix_buggify(struct env *base, const char *site)
{
    (void)env_of(base);
    (void)site;
    return false; /* production: rare paths stay rare */
}

/* One line: UTC wall time, node, what (level or "TRACE kind"), text. Flushed, so that
 * the last lines before a crash are on disk. */
static void line_write(struct posix_env *env, const char *what, const char *kind, const char *text)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    time_t seconds = ts.tv_sec;
    gmtime_r(&seconds, &tm);
    fprintf(env->log_file, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s%s%s %s\n", tm.tm_year + 1900,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / (long)POSIX_NS_PER_MS, env->node_name, what, kind[0] ? " " : "", kind,
            text);
    fflush(env->log_file);
}

static void posix_trace(struct env *base, const char *kind, const char *text)
{
    struct posix_env *env = env_of(base);
    if (!env->trace_quiet)
        line_write(env, "TRACE", kind, text);
}

static void posix_log(struct env *base, enum env_log_level level, const char *text)
{
    static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    struct posix_env *env = env_of(base);
    KS_ASSERT((unsigned)level < KS_ARRAY_COUNT(level_names));
    if (level == ENV_LOG_DEBUG && !env->log_debug)
        return;
    line_write(env, level_names[level], "", text);
}

/* ---- Timer heap ------------------------------------------------------------------ */

static bool timer_before(const struct posix_timer *a, const struct posix_timer *b)
{
    return a->deadline_ns < b->deadline_ns || (a->deadline_ns == b->deadline_ns && a->key < b->key);
}

static void heap_place(struct posix_loop *loop, uint32_t index, struct posix_timer *t)
{
    loop->heap[index] = t;
    t->heap_index = index;
}

static void heap_sift_up(struct posix_loop *loop, uint32_t index)
{
    struct posix_timer *t = loop->heap[index];
    while (index > 0) {
        uint32_t parent = (index - 1) / 2;
        if (!timer_before(t, loop->heap[parent]))
            break;
        heap_place(loop, index, loop->heap[parent]);
        index = parent;
    }
    heap_place(loop, index, t);
}

static void heap_sift_down(struct posix_loop *loop, uint32_t index)
{
    struct posix_timer *t = loop->heap[index];
    for (;;) { /* bounded: index at least doubles each step */
        uint32_t child = 2 * index + 1;
        if (child >= loop->heap_count)
            break;
        if (child + 1 < loop->heap_count && timer_before(loop->heap[child + 1], loop->heap[child]))
            child++;
        if (!timer_before(loop->heap[child], t))
            break;
        heap_place(loop, index, loop->heap[child]);
        index = child;
    }
    heap_place(loop, index, t);
}

static void heap_push(struct posix_loop *loop, struct posix_timer *t)
{
    if (loop->heap_count == loop->heap_capacity) {
        loop->heap_capacity = loop->heap_capacity == 0 ? 64 : loop->heap_capacity * 2;
        loop->heap = ks_realloc(loop->heap, sizeof(*loop->heap) * loop->heap_capacity);
    }
    heap_place(loop, loop->heap_count++, t);
    heap_sift_up(loop, t->heap_index);
}

static void heap_remove(struct posix_loop *loop, struct posix_timer *t)
{
    uint32_t index = t->heap_index;
    KS_ASSERT(index < loop->heap_count);
    KS_ASSERT(loop->heap[index] == t);
    struct posix_timer *last = loop->heap[--loop->heap_count];
    if (last == t)
        return;
    heap_place(loop, index, last);
    heap_sift_down(loop, index);
    heap_sift_up(loop, last->heap_index);
}

/* ---- Timers ------------------------------------------------------------------ */

static env_timer_id timer_add(struct posix_env *env, uint64_t delay_ns, env_timer_fn fn, void *ctx)
{
    KS_ASSERT(fn != NULL);
    struct posix_loop *loop = env->loop;
    struct posix_timer *t = ks_alloc(sizeof(*t));
    uint64_t now = posix_loop_mono_ns();
    t->deadline_ns = delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns;
    t->env = env;
    t->fn = fn;
    t->ctx = ctx;
    t->key = slab_add(&loop->timers, t);
    KS_ASSERT(t->key != 0); /* POSIX_TIMERS_MAX pending timers is a leak, not a load */
    heap_push(loop, t);
    env->timer_count++;
    return t->key;
}

/* Take a pending timer out of the heap and the table, and free it. */
static void timer_unlink(struct posix_loop *loop, struct posix_timer *t)
{
    KS_ASSERT(t->env->timer_count > 0);
    heap_remove(loop, t);
    slab_remove(&loop->timers, t->key);
    t->env->timer_count--;
    free(t);
}

static bool timer_cancel(struct posix_env *env, env_timer_id id)
{
    struct posix_timer *t = slab_find(&env->loop->timers, id);
    if (t == NULL)
        return false;
    KS_ASSERT(t->env == env); /* another node's timer id */
    timer_unlink(env->loop, t);
    return true;
}

static env_timer_id posix_timer_start(struct env *base, uint64_t delay_ns, env_timer_fn fn,
                                      void *ctx)
{
    return timer_add(env_of(base), delay_ns, fn, ctx);
}

static bool posix_timer_cancel(struct env *base, env_timer_id timer)
{
    return timer_cancel(env_of(base), timer);
}

/*
 * Fire the timers due now, in (deadline, key) order. Only timers that existed when
 * the pass began fire: one that a callback starts (even with delay 0) waits for the
 * next pass, so a timer that restarts itself cannot keep this loop spinning.
 */
static void loop_timers_fire(struct posix_loop *loop)
{
    uint64_t now = posix_loop_mono_ns();
    uint64_t key_limit = slab_key_limit(&loop->timers);
    for (uint32_t i = 0; i < POSIX_TIMERS_MAX && loop->heap_count > 0; i++) {
        struct posix_timer *t = loop->heap[0];
        if (t->deadline_ns > now || t->key >= key_limit || loop->stop_requested)
            break;
        struct posix_env *env = t->env;
        env_timer_fn fn = t->fn;
        void *ctx = t->ctx;
        timer_unlink(loop, t);
        loop->callback_env = env;
        fn(ctx);
        loop->callback_env = NULL;
    }
}

/* ---- Epoll --------------------------------------------------------------------- */

static bool epoll_set(struct posix_loop *loop, int op, int fd, uint64_t key, uint32_t events)
{
    struct epoll_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.events = events;
    ev.data.u64 = key;
    return epoll_ctl(loop->epoll_fd, op, fd, &ev) == 0;
}

static void fd_close(int fd)
{
    KS_ASSERT(fd >= 0);
    close(fd); /* Linux frees the descriptor even when close reports an error */
}

/* ---- Connections ------------------------------------------------------------------ */

static void conn_on_timer(void *ctx);

static struct posix_conn *conn_find(struct posix_loop *loop, env_conn_id id)
{
    struct watch *w = slab_find(&loop->watches, id);
    return w != NULL && w->kind == WATCH_CONN ? (struct posix_conn *)w : NULL;
}

/* The connection as its owner sees it: NULL when unknown, another env's, or closed. */
static struct posix_conn *conn_of_owner(struct posix_env *env, env_conn_id id)
{
    struct posix_conn *conn = conn_find(env->loop, id);
    if (conn == NULL || conn->env != env || conn->state == CONN_DRAINING)
        return NULL;
    return conn;
}

/* A connection around fd (registered later), or NULL when the table is full. */
static struct posix_conn *conn_new(struct posix_env *env, int fd, enum conn_state state)
{
    KS_ASSERT(env->conn_count < POSIX_CONNS_MAX);
    struct posix_conn *conn = ks_alloc(sizeof(*conn));
    conn->watch.kind = WATCH_CONN;
    conn->env = env;
    conn->state = state;
    conn->fd = fd;
    conn->opened = state == CONN_OPEN;
    conn->watch.key = slab_add(&env->loop->watches, conn);
    if (conn->watch.key == 0) {
        free(conn);
        return NULL;
    }
    env->conn_count++;
    return conn;
}

static void send_queue_clear(struct posix_conn *conn)
{
    struct send_chunk *chunk = conn->send_head;
    while (chunk != NULL) { /* bounded: the queue holds at most its bytes in chunks */
        struct send_chunk *next = chunk->next;
        free(chunk);
        chunk = next;
    }
    conn->send_head = NULL;
    conn->send_tail = NULL;
    conn->send_head_offset = 0;
    conn->send_queued_bytes = 0;
}

/* Forget the connection: socket, queue, timer, table slot. No callbacks. */
static void conn_free(struct posix_conn *conn)
{
    struct posix_env *env = conn->env;
    KS_ASSERT(env->conn_count > 0);
    if (conn->timer != 0)
        timer_cancel(env, conn->timer);
    if (conn->fd >= 0)
        fd_close(conn->fd);
    send_queue_clear(conn);
    slab_remove(&env->loop->watches, conn->watch.key);
    env->conn_count--;
    free(conn);
}

/* The end of a connection, told to its owner: on_open(err) when it never opened,
 * on_closed(err) otherwise. Only from the loop, never inside an env call. */
static void conn_end(struct posix_conn *conn, enum ks_err err)
{
    KS_ASSERT(conn->state != CONN_DRAINING);
    KS_ASSERT(conn->handler != NULL);
    const struct env_conn_handler *handler = conn->handler;
    void *ctx = conn->ctx;
    env_conn_id id = conn->watch.key;
    bool opened = conn->opened;
    conn_free(conn);
    if (opened)
        handler->on_closed(ctx, id, err);
    else
        handler->on_open(ctx, id, err);
}

/* Found broken inside an env call: drop the socket now, tell the owner from the loop. */
static void conn_notice(struct posix_conn *conn, enum ks_err err)
{
    KS_ASSERT(conn->state != CONN_DRAINING);
    KS_ASSERT(err != KS_OK);
    if (conn->timer != 0)
        timer_cancel(conn->env, conn->timer);
    if (conn->fd >= 0)
        fd_close(conn->fd);
    conn->fd = -1;
    conn->events = 0;
    send_queue_clear(conn);
    conn->state = CONN_NOTICE;
    conn->notice_err = err;
    conn->timer = timer_add(conn->env, 0, conn_on_timer, conn);
}

static uint32_t conn_events_wanted(const struct posix_conn *conn)
{
    uint32_t out = conn->send_head != NULL ? EPOLLOUT : 0;
    switch (conn->state) {
    case CONN_CONNECTING:
        return EPOLLOUT;
    case CONN_OPEN:
        return EPOLLIN | EPOLLRDHUP | out;
    case CONN_DRAINING:
        return (conn->read_eof ? 0 : EPOLLIN | EPOLLRDHUP) | out;
    case CONN_NOTICE:
        break;
    }
    KS_UNREACHABLE();
}

/* Tell epoll what the connection waits for now. False when epoll refuses. */
static bool conn_watch_update(struct posix_conn *conn)
{
    KS_ASSERT(conn->fd >= 0);
    uint32_t wanted = conn_events_wanted(conn);
    if (wanted == conn->events)
        return true;
    if (!epoll_set(conn->env->loop, EPOLL_CTL_MOD, conn->fd, conn->watch.key, wanted))
        return false;
    conn->events = wanted;
    return true;
}

static void send_queue_append(struct posix_conn *conn, const uint8_t *bytes, uint32_t size_bytes)
{
    KS_ASSERT(size_bytes > 0);
    struct send_chunk *tail = conn->send_tail;
    uint32_t room = tail != NULL ? tail->capacity_bytes - tail->size_bytes : 0;
    uint32_t copied = room < size_bytes ? room : size_bytes;
    if (copied > 0) {
        memcpy(tail->bytes + tail->size_bytes, bytes, copied);
        tail->size_bytes += copied;
    }
    if (copied < size_bytes) {
        uint32_t rest = size_bytes - copied;
        uint32_t capacity = rest > POSIX_SEND_CHUNK_BYTES_MIN ? rest : POSIX_SEND_CHUNK_BYTES_MIN;
        struct send_chunk *chunk = ks_alloc(sizeof(*chunk) + capacity);
        chunk->capacity_bytes = capacity;
        chunk->size_bytes = rest;
        memcpy(chunk->bytes, bytes + copied, rest);
        if (tail != NULL)
            tail->next = chunk;
        else
            conn->send_head = chunk;
        conn->send_tail = chunk;
    }
    conn->send_queued_bytes += size_bytes;
    KS_ASSERT(conn->send_queued_bytes <= conn->env->send_queue_bytes_max);
}

static void send_queue_consume(struct posix_conn *conn, uint64_t size_bytes)
{
    KS_ASSERT(size_bytes <= conn->send_queued_bytes);
    conn->send_queued_bytes -= size_bytes;
    while (size_bytes > 0) { /* bounded by the bytes written */
        struct send_chunk *head = conn->send_head;
        uint32_t left = head->size_bytes - conn->send_head_offset;
        if (size_bytes < left) {
            conn->send_head_offset += (uint32_t)size_bytes;
            return;
        }
        size_bytes -= left;
        conn->send_head = head->next;
        conn->send_head_offset = 0;
        free(head);
    }
    if (conn->send_head == NULL)
        conn->send_tail = NULL;
    KS_ASSERT((conn->send_head == NULL) == (conn->send_queued_bytes == 0));
}

enum flush_result { FLUSH_EMPTY, FLUSH_PENDING, FLUSH_ERROR };

/* Write what the queue holds until the socket is full. */
static enum flush_result conn_flush(struct posix_conn *conn)
{
    for (uint32_t call = 0; call < POSIX_WRITES_PER_FLUSH_MAX && conn->send_head != NULL; call++) {
        struct iovec iov[POSIX_IOV_MAX];
        uint32_t count = 0;
        uint32_t offset = conn->send_head_offset;
        for (struct send_chunk *c = conn->send_head; c != NULL && count < POSIX_IOV_MAX;
             c = c->next) {
            iov[count].iov_base = c->bytes + offset;
            iov[count++].iov_len = c->size_bytes - offset;
            offset = 0;
        }
        struct msghdr msg;
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = iov;
        msg.msg_iovlen = count;
        ssize_t n = sendmsg(conn->fd, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return FLUSH_PENDING;
        if (n < 0)
            return FLUSH_ERROR;
        send_queue_consume(conn, (uint64_t)n);
    }
    return conn->send_head == NULL ? FLUSH_EMPTY : FLUSH_PENDING;
}

/* Write directly while the queue is empty. Returns the bytes written, or -1 when the
 * connection broke. */
static int64_t conn_write_direct(struct posix_conn *conn, const uint8_t *bytes, uint32_t size_bytes)
{
    KS_ASSERT(conn->send_head == NULL);
    uint32_t written = 0;
    for (uint32_t call = 0; call < POSIX_IO_CALLS_MAX && written < size_bytes; call++) {
        ssize_t n = send(conn->fd, bytes + written, size_bytes - written, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0)
            return -1;
        written += (uint32_t)n;
    }
    KS_ASSERT(written <= size_bytes);
    return written;
}

static enum ks_err posix_send(struct env *base, env_conn_id id, const uint8_t *bytes,
                              uint32_t size_bytes)
{
    struct posix_env *env = env_of(base);
    KS_ASSERT(bytes != NULL || size_bytes == 0);
    struct posix_conn *conn = conn_of_owner(env, id);
    if (conn == NULL || conn->state != CONN_OPEN)
        return KS_ERR_CLOSED;
    if (size_bytes == 0)
        return KS_OK;
    if (size_bytes > env->send_queue_bytes_max - conn->send_queued_bytes) {
        env_logf(base, ENV_LOG_WARN, "connection %llu: send queue over %u bytes, breaking it",
                 (unsigned long long)id, env->send_queue_bytes_max);
        conn_notice(conn, KS_ERR_CLOSED);
        return KS_ERR_CLOSED;
    }
    int64_t written = 0;
    if (conn->send_head == NULL)
        written = conn_write_direct(conn, bytes, size_bytes);
    if (written >= 0 && (uint64_t)written < size_bytes) {
        send_queue_append(conn, bytes + written, size_bytes - (uint32_t)written);
        if (!conn_watch_update(conn))
            written = -1;
    }
    if (written < 0) {
        conn_notice(conn, KS_ERR_CLOSED);
        return KS_ERR_CLOSED;
    }
    return KS_OK;
}

/* ---- Closing: the owner's close, draining, lingering --------------------------------- */

/* After the owner closed: once the queue is out, shut the write side (the peer reads
 * EOF); once the peer closed too, free. False when the connection is gone. */
static bool conn_drain_step(struct posix_conn *conn)
{
    KS_ASSERT(conn->state == CONN_DRAINING);
    if (conn->send_head == NULL && !conn->write_shut) {
        conn->write_shut = true;
        if (shutdown(conn->fd, SHUT_WR) != 0)
            conn->read_eof = true; /* not connected any more: nothing to wait for */
    }
    if ((conn->write_shut && conn->read_eof) || !conn_watch_update(conn)) {
        conn_free(conn);
        return false;
    }
    return true;
}

/* Input after the owner closed is discarded; EOF or an error ends the wait. */
static bool conn_drain_read(struct posix_conn *conn)
{
    uint8_t *buf = conn->env->loop->recv_buf;
    for (uint32_t i = 0; i < POSIX_READS_PER_EVENT_MAX; i++) {
        ssize_t n = recv(conn->fd, buf, POSIX_RECV_CHUNK_BYTES, 0);
        if (n > 0 || (n < 0 && errno == EINTR))
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (n < 0) {
            conn_free(conn);
            return false;
        }
        conn->read_eof = true;
        return true;
    }
    return true;
}

static void conn_drain_on_ready(struct posix_conn *conn, uint32_t events)
{
    KS_ASSERT(conn->state == CONN_DRAINING);
    if ((events & EPOLLERR) != 0) {
        conn_free(conn);
        return;
    }
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) != 0 && !conn->read_eof &&
        !conn_drain_read(conn))
        return;
    if ((events & (EPOLLOUT | EPOLLHUP)) != 0 && conn->send_head != NULL &&
        conn_flush(conn) == FLUSH_ERROR) {
        conn_free(conn);
        return;
    }
    conn_drain_step(conn);
}

static void posix_close(struct env *base, env_conn_id id)
{
    struct posix_env *env = env_of(base);
    struct posix_conn *conn = conn_of_owner(env, id);
    if (conn == NULL)
        return;
    if (conn->state != CONN_OPEN) {
        conn_free(conn); /* connecting or a notice due: nothing to deliver */
        return;
    }
    conn->state = CONN_DRAINING;
    conn->handler = NULL;
    conn->ctx = NULL;
    KS_ASSERT(conn->timer == 0);
    conn->timer = timer_add(env, env->close_linger_ns, conn_on_timer, conn);
    conn_drain_step(conn);
}

/* The connection's one internal timer: connect timeout, notice or linger. */
static void conn_on_timer(void *ctx)
{
    struct posix_conn *conn = ctx;
    KS_ASSERT(conn->timer != 0);
    conn->timer = 0; /* it fired */
    switch (conn->state) {
    case CONN_CONNECTING:
        conn_end(conn, KS_ERR_TIMED_OUT);
        return;
    case CONN_NOTICE:
        conn_end(conn, conn->notice_err);
        return;
    case CONN_DRAINING:
        conn_free(conn);
        return; /* the peer never closed: give up */
    case CONN_OPEN:
        break;
    }
    KS_UNREACHABLE();
}

/* ---- Connections: events ------------------------------------------------------------ */

static void conn_on_connected(struct posix_conn *conn)
{
    KS_ASSERT(conn->state == CONN_CONNECTING);
    int so_error = 0;
    socklen_t size = sizeof(so_error);
    if (getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &so_error, &size) != 0)
        so_error = errno;
    if (so_error != 0) {
        conn_end(conn, connect_err_from_errno(so_error));
        return;
    }
    if (conn->timer != 0)
        timer_cancel(conn->env, conn->timer);
    conn->timer = 0;
    conn->state = CONN_OPEN;
    conn->opened = true;
    if (!conn_watch_update(conn)) {
        conn_end(conn, KS_ERR_CLOSED);
        return;
    }
    conn->handler->on_open(conn->ctx, conn->watch.key, KS_OK);
}

/* Hand what arrived to on_recv, chunk by chunk; EOF ends the connection with KS_OK,
 * an error with KS_ERR_CLOSED. Returns whether the connection is still open. */
static bool conn_read(struct posix_loop *loop, env_conn_id id)
{
    for (uint32_t i = 0; i < POSIX_READS_PER_EVENT_MAX; i++) {
        struct posix_conn *conn = conn_find(loop, id);
        if (conn == NULL || conn->state != CONN_OPEN)
            return false; /* its owner closed it from on_recv */
        ssize_t n = recv(conn->fd, loop->recv_buf, POSIX_RECV_CHUNK_BYTES, 0);
        if (n > 0) {
            conn->handler->on_recv(conn->ctx, id, loop->recv_buf, (uint32_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        conn_end(conn, n == 0 ? KS_OK : KS_ERR_CLOSED);
        return false;
    }
    struct posix_conn *conn = conn_find(loop, id);
    return conn != NULL && conn->state == CONN_OPEN;
}

static void conn_on_ready(struct posix_conn *conn, uint32_t events)
{
    KS_ASSERT(conn->state == CONN_OPEN);
    struct posix_loop *loop = conn->env->loop;
    env_conn_id id = conn->watch.key;
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0 && !conn_read(loop, id))
        return;
    conn = conn_find(loop, id);
    KS_ASSERT(conn != NULL && conn->state == CONN_OPEN);
    if ((events & EPOLLOUT) == 0 || conn->send_head == NULL)
        return;
    if (conn_flush(conn) == FLUSH_ERROR || !conn_watch_update(conn))
        conn_end(conn, KS_ERR_CLOSED);
}

static void conn_on_event(struct posix_conn *conn, uint32_t events)
{
    switch (conn->state) {
    case CONN_CONNECTING:
        conn_on_connected(conn);
        return;
    case CONN_OPEN:
        conn_on_ready(conn, events);
        return;
    case CONN_DRAINING:
        conn_drain_on_ready(conn, events);
        return;
    case CONN_NOTICE:
        break; /* its socket is closed: no events */
    }
    KS_UNREACHABLE();
}

/* ---- Addresses ------------------------------------------------------------------- */

/* A numeric IPv4 or IPv6 address (brackets allowed) or "localhost"; no resolver. */
static bool addr_parse(const char *host, uint16_t port, struct sockaddr_storage *out,
                       socklen_t *size_out)
{
    char text[INET6_ADDRSTRLEN + 2];
    if (host == NULL || strlen(host) >= sizeof(text))
        return false;
    snprintf(text, sizeof(text), "%s", strcmp(host, "localhost") == 0 ? "127.0.0.1" : host);
    memset(out, 0, sizeof(*out));
    struct sockaddr_in *v4 = (struct sockaddr_in *)out;
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        *size_out = sizeof(*v4);
        return true;
    }
    size_t length = strlen(text);
    if (length >= 2 && text[0] == '[' && text[length - 1] == ']') {
        memmove(text, text + 1, length - 2);
        text[length - 2] = '\0';
    }
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
    if (inet_pton(AF_INET6, text, &v6->sin6_addr) != 1)
        return false;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *size_out = sizeof(*v6);
    return true;
}

static void addr_port_set(struct sockaddr_storage *addr, uint16_t port)
{
    if (addr->ss_family == AF_INET)
        ((struct sockaddr_in *)addr)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)addr)->sin6_port = htons(port);
}

static uint16_t addr_port(const struct sockaddr_storage *addr)
{
    if (addr->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)addr)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
}

/* "1.2.3.4:5" or "[::1]:5". */
static void addr_name(const struct sockaddr_storage *addr, char *buf, size_t buf_bytes)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (addr->ss_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)addr)->sin_addr, host, sizeof(host));
        snprintf(buf, buf_bytes, "%s:%u", host, addr_port(addr));
    } else {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)addr)->sin6_addr, host, sizeof(host));
        snprintf(buf, buf_bytes, "[%s]:%u", host, addr_port(addr));
    }
}

/* A non-blocking TCP socket with TCP_NODELAY (as Kafka's SocketServer sets), or -1. */
static int socket_tcp(int family)
{
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* a hint: ignore failure */
    return fd;
}

/* ---- Connect ------------------------------------------------------------------ */

static enum ks_err posix_connect(struct env *base, const char *host, uint16_t port,
                                 const struct env_conn_handler *handler, void *ctx,
                                 env_conn_id *conn_out)
{
    struct posix_env *env = env_of(base);
    KS_ASSERT(handler != NULL && handler->on_open != NULL);
    KS_ASSERT(handler->on_recv != NULL && handler->on_closed != NULL);
    KS_ASSERT(conn_out != NULL);
    struct sockaddr_storage addr;
    socklen_t addr_size = 0;
    if (port == 0 || !addr_parse(host, port, &addr, &addr_size))
        return KS_ERR_INVALID;
    if (env->conn_count >= POSIX_CONNS_MAX)
        return KS_ERR_TOO_MANY;
    int fd = socket_tcp(addr.ss_family);
    if (fd < 0)
        return errno == EMFILE || errno == ENFILE ? KS_ERR_TOO_MANY : KS_ERR_IO;
    struct posix_conn *conn = conn_new(env, fd, CONN_CONNECTING);
    if (conn == NULL) {
        fd_close(fd);
        return KS_ERR_TOO_MANY;
    }
    conn->handler = handler;
    conn->ctx = ctx;
    *conn_out = conn->watch.key;
    if (connect(fd, (struct sockaddr *)&addr, addr_size) != 0 && errno != EINPROGRESS) {
        conn_notice(conn, connect_err_from_errno(errno));
        return KS_OK;
    }
    if (!epoll_set(env->loop, EPOLL_CTL_ADD, fd, conn->watch.key, EPOLLOUT)) {
        conn_notice(conn, KS_ERR_CLOSED);
        return KS_OK;
    }
    conn->events = EPOLLOUT;
    conn->timer = timer_add(env, env->connect_timeout_ns, conn_on_timer, conn);
    return KS_OK;
}

/* ---- Listen and accept ------------------------------------------------------------ */

static void listener_on_backoff(void *ctx)
{
    struct posix_listener *l = ctx;
    l->backoff_timer = 0;
    if (!epoll_set(l->env->loop, EPOLL_CTL_MOD, l->fd, l->watch.key, EPOLLIN))
        l->backoff_timer = timer_add(l->env, POSIX_ACCEPT_BACKOFF_NS, listener_on_backoff, l);
}

/* Out of descriptors: accept would fail at once forever; stop listening a while. */
static void listener_backoff(struct posix_listener *l, int errno_value)
{
    env_logf(&l->env->base, ENV_LOG_WARN, "port %u: accept failed (%s), pausing", l->port,
             strerror(errno_value));
    if (l->backoff_timer != 0)
        return;
    epoll_set(l->env->loop, EPOLL_CTL_MOD, l->fd, l->watch.key, 0);
    l->backoff_timer = timer_add(l->env, POSIX_ACCEPT_BACKOFF_NS, listener_on_backoff, l);
}

/* An accepted socket becomes an open connection owned by whoever the accept callback
 * names. */
static void listener_accept_one(struct posix_listener *l, int fd,
                                const struct sockaddr_storage *peer)
{
    struct posix_env *env = l->env;
    char peer_name[POSIX_PEER_NAME_BYTES_MAX];
    addr_name(peer, peer_name, sizeof(peer_name));
    struct posix_conn *conn =
        env->conn_count < POSIX_CONNS_MAX ? conn_new(env, fd, CONN_OPEN) : NULL;
    if (conn == NULL) {
        env_logf(&env->base, ENV_LOG_WARN, "port %u: refusing %s, %u connections open", l->port,
                 peer_name, env->conn_count);
        fd_close(fd);
        return;
    }
    conn->events = EPOLLIN | EPOLLRDHUP;
    if (!epoll_set(env->loop, EPOLL_CTL_ADD, fd, conn->watch.key, conn->events)) {
        conn_free(conn);
        return;
    }
    env_conn_id id = conn->watch.key;
    const struct env_conn_handler *handler = NULL;
    void *ctx = NULL;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    l->fn(l->ctx, id, peer_name, &handler, &ctx);
    KS_ASSERT(handler != NULL); /* the accept callback must name an owner */
    conn = conn_find(env->loop, id);
    if (conn != NULL && conn->state != CONN_DRAINING) {
        conn->handler = handler;
        conn->ctx = ctx;
    }
}

static void listener_on_event(struct posix_listener *l)
{
    for (uint32_t i = 0; i < POSIX_ACCEPTS_PER_EVENT_MAX; i++) {
        struct sockaddr_storage peer;
        socklen_t peer_size = sizeof(peer);
        int fd = accept4(l->fd, (struct sockaddr *)&peer, &peer_size, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            listener_accept_one(l, fd, &peer);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        listener_backoff(l, errno);
        return;
    }
}

/* Bind and listen on fd at addr. */
static enum ks_err listen_bind(int fd, const struct sockaddr_storage *addr, socklen_t addr_size)
{
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
        return posix_err_from_errno(errno);
    if (bind(fd, (const struct sockaddr *)addr, addr_size) != 0)
        return posix_err_from_errno(errno);
    if (listen(fd, POSIX_LISTEN_BACKLOG) != 0)
        return posix_err_from_errno(errno);
    return KS_OK;
}

static enum ks_err posix_listen(struct env *base, uint16_t port, env_accept_fn fn, void *ctx)
{
    struct posix_env *env = env_of(base);
    KS_ASSERT(fn != NULL);
    if (env->listener_count >= POSIX_LISTENERS_MAX)
        return KS_ERR_TOO_MANY;
    struct sockaddr_storage addr = env->bind_addr;
    addr_port_set(&addr, port);
    int fd = socket_tcp(addr.ss_family);
    if (fd < 0)
        return posix_err_from_errno(errno);
    enum ks_err err = listen_bind(fd, &addr, env->bind_addr_size);
    socklen_t addr_size = sizeof(addr);
    if (err == KS_OK && getsockname(fd, (struct sockaddr *)&addr, &addr_size) != 0)
        err = KS_ERR_IO;
    struct posix_listener *l = ks_alloc(sizeof(*l));
    l->watch.kind = WATCH_LISTENER;
    l->watch.key = err == KS_OK ? slab_add(&env->loop->watches, l) : 0;
    if (err == KS_OK && l->watch.key == 0)
        err = KS_ERR_TOO_MANY;
    if (err == KS_OK && !epoll_set(env->loop, EPOLL_CTL_ADD, fd, l->watch.key, EPOLLIN)) {
        slab_remove(&env->loop->watches, l->watch.key);
        err = KS_ERR_IO;
    }
    if (err != KS_OK) {
        free(l);
        fd_close(fd);
        return err;
    }
    l->env = env;
    l->fd = fd;
    l->port = addr_port(&addr);
    l->fn = fn;
    l->ctx = ctx;
    env->listener_count++;
    env->listen_port_last = l->port;
    return KS_OK;
}

static void listener_free(struct posix_listener *l)
{
    struct posix_env *env = l->env;
    KS_ASSERT(env->listener_count > 0);
    if (l->backoff_timer != 0)
        timer_cancel(env, l->backoff_timer);
    fd_close(l->fd);
    slab_remove(&env->loop->watches, l->watch.key);
    env->listener_count--;
    free(l);
}

/* ---- Files ------------------------------------------------------------------ */

/* Relative, '/'-separated, no empty, "." or ".." parts, shorter than the limit; ""
 * is the data directory. */
static bool path_valid(const char *path)
{
    if (path == NULL)
        return false;
    size_t length = strnlen(path, POSIX_PATH_BYTES_MAX);
    if (length >= POSIX_PATH_BYTES_MAX)
        return false;
    size_t part_start = 0;
    for (size_t i = 0; length > 0 && i <= length; i++) {
        if (i < length && path[i] != '/')
            continue;
        size_t part_length = i - part_start;
        const char *part = path + part_start;
        if (part_length == 0 || (part_length == 1 && part[0] == '.') ||
            (part_length == 2 && part[0] == '.' && part[1] == '.'))
            return false;
        part_start = i + 1;
    }
    return true;
}

/* The path for an *at() call: "" (the data directory) is ".". */
static const char *path_at(const char *path)
{
    return path[0] == '\0' ? "." : path;
}

static struct posix_file *file_find(struct posix_env *env, env_file_id id)
{
    return slab_find(&env->files, id);
}

static enum ks_err posix_file_open(struct env *base, const char *path, unsigned flags,
                                   env_file_id *file_out)
{
    struct posix_env *env = env_of(base);
    const unsigned flags_known = ENV_FILE_CREATE | ENV_FILE_EXCL | ENV_FILE_TRUNC;
    if (!path_valid(path) || path[0] == '\0' || (flags & ~flags_known) != 0 || file_out == NULL)
        return KS_ERR_INVALID;
    if (env->files.count >= POSIX_FILES_OPEN_MAX)
        return KS_ERR_TOO_MANY;
    int oflags = O_RDWR | O_CLOEXEC;
    if ((flags & ENV_FILE_CREATE) != 0)
        oflags |= O_CREAT | ((flags & ENV_FILE_EXCL) != 0 ? O_EXCL : 0);
    if ((flags & ENV_FILE_TRUNC) != 0)
        oflags |= O_TRUNC;
    int fd = -1;
    for (uint32_t i = 0; i < POSIX_IO_CALLS_MAX && fd < 0; i++) {
        fd = openat(env->dir_fd, path, oflags, 0644);
        if (fd < 0 && errno != EINTR)
            return posix_err_from_errno(errno);
    }
    if (fd < 0)
        return KS_ERR_IO;
    struct posix_file *file = ks_alloc(sizeof(*file));
    file->fd = fd;
    *file_out = slab_add(&env->files, file);
    KS_ASSERT(*file_out != 0); /* the count was checked above */
    return KS_OK;
}

static enum ks_err posix_file_read(struct env *base, env_file_id id, uint64_t offset, uint8_t *buf,
                                   uint32_t size_bytes, uint32_t *read_bytes_out)
{
    struct posix_file *file = file_find(env_of(base), id);
    if (file == NULL || (buf == NULL && size_bytes > 0) || read_bytes_out == NULL ||
        offset > (uint64_t)INT64_MAX - size_bytes)
        return KS_ERR_INVALID;
    uint32_t done = 0;
    for (uint32_t call = 0; done < size_bytes; call++) {
        if (call == POSIX_IO_CALLS_MAX)
            return KS_ERR_IO;
        ssize_t n = pread(file->fd, buf + done, size_bytes - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return posix_err_from_errno(errno);
        if (n == 0)
            break; /* end of file */
        done += (uint32_t)n;
    }
    *read_bytes_out = done;
    KS_ASSERT(done <= size_bytes);
    return KS_OK;
}

/* pwrite until all is written. A failure after a partial write leaves that part. */
static enum ks_err posix_file_write(struct env *base, env_file_id id, uint64_t offset,
                                    const uint8_t *bytes, uint32_t size_bytes)
{
    struct posix_file *file = file_find(env_of(base), id);
    if (file == NULL || (bytes == NULL && size_bytes > 0))
        return KS_ERR_INVALID;
    if (offset > (uint64_t)INT64_MAX - size_bytes)
        return KS_ERR_NO_SPACE;
    uint32_t done = 0;
    for (uint32_t call = 0; done < size_bytes; call++) {
        if (call == POSIX_IO_CALLS_MAX)
            return KS_ERR_IO;
        ssize_t n = pwrite(file->fd, bytes + done, size_bytes - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return posix_err_from_errno(errno);
        done += (uint32_t)n;
    }
    KS_ASSERT(done == size_bytes);
    return KS_OK;
}

static enum ks_err posix_file_size(struct env *base, env_file_id id, uint64_t *size_out)
{
    struct posix_file *file = file_find(env_of(base), id);
    if (file == NULL || size_out == NULL)
        return KS_ERR_INVALID;
    struct stat st;
    if (fstat(file->fd, &st) != 0)
        return posix_err_from_errno(errno);
    KS_ASSERT(st.st_size >= 0);
    *size_out = (uint64_t)st.st_size;
    return KS_OK;
}

static enum ks_err posix_file_truncate(struct env *base, env_file_id id, uint64_t size_bytes)
{
    struct posix_file *file = file_find(env_of(base), id);
    if (file == NULL)
        return KS_ERR_INVALID;
    if (size_bytes > (uint64_t)INT64_MAX)
        return KS_ERR_NO_SPACE;
    for (uint32_t i = 0; i < POSIX_IO_CALLS_MAX; i++) {
        if (ftruncate(file->fd, (off_t)size_bytes) == 0)
            return KS_OK;
        if (errno != EINTR)
            return posix_err_from_errno(errno);
    }
    return KS_ERR_IO;
}

static enum ks_err fd_sync(int fd)
{
    for (uint32_t i = 0; i < POSIX_IO_CALLS_MAX; i++) {
        if (fsync(fd) == 0)
            return KS_OK;
        if (errno != EINTR)
            return posix_err_from_errno(errno);
    }
    return KS_ERR_IO;
}

static enum ks_err posix_file_sync(struct env *base, env_file_id id)
{
    struct posix_file *file = file_find(env_of(base), id);
    if (file == NULL)
        return KS_ERR_INVALID;
    return fd_sync(file->fd);
}

static void posix_file_close(struct env *base, env_file_id id)
{
    struct posix_env *env = env_of(base);
    struct posix_file *file = file_find(env, id);
    if (file == NULL)
        return; /* like close(2) on a bad descriptor: nothing to do */
    fd_close(file->fd);
    slab_remove(&env->files, id);
    free(file);
}

static enum ks_err posix_path_rename(struct env *base, const char *from, const char *to)
{
    struct posix_env *env = env_of(base);
    if (!path_valid(from) || !path_valid(to) || from[0] == '\0' || to[0] == '\0')
        return KS_ERR_INVALID;
    if (renameat(env->dir_fd, from, env->dir_fd, to) == 0)
        return KS_OK;
    if (errno == EEXIST)
        return KS_ERR_INVALID; /* a directory onto a non-empty one */
    return posix_err_from_errno(errno);
}

static enum ks_err posix_path_delete(struct env *base, const char *path)
{
    struct posix_env *env = env_of(base);
    if (!path_valid(path) || path[0] == '\0')
        return KS_ERR_INVALID;
    if (unlinkat(env->dir_fd, path, 0) == 0)
        return KS_OK;
    if (errno != EISDIR && errno != EPERM) /* Linux says EISDIR for a directory, POSIX EPERM */
        return posix_err_from_errno(errno);
    if (unlinkat(env->dir_fd, path, AT_REMOVEDIR) == 0)
        return KS_OK;
    if (errno == EEXIST || errno == ENOTEMPTY)
        return KS_ERR_INVALID; /* not empty */
    return errno == ENOTDIR ? KS_ERR_IO : posix_err_from_errno(errno);
}

static enum ks_err posix_dir_create(struct env *base, const char *path)
{
    struct posix_env *env = env_of(base);
    if (!path_valid(path))
        return KS_ERR_INVALID;
    if (path[0] == '\0')
        return KS_ERR_EXISTS; /* the data directory */
    if (mkdirat(env->dir_fd, path, 0755) != 0)
        return posix_err_from_errno(errno);
    return KS_OK;
}

/* Open a directory under the data directory for reading or syncing. */
static enum ks_err dir_open(struct posix_env *env, const char *path, int *fd_out)
{
    for (uint32_t i = 0; i < POSIX_IO_CALLS_MAX; i++) {
        int fd = openat(env->dir_fd, path_at(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
            *fd_out = fd;
            return KS_OK;
        }
        if (errno != EINTR)
            return posix_err_from_errno(errno);
    }
    return KS_ERR_IO;
}

static enum ks_err posix_dir_sync(struct env *base, const char *path)
{
    struct posix_env *env = env_of(base);
    if (!path_valid(path))
        return KS_ERR_INVALID;
    int fd = -1;
    enum ks_err err = dir_open(env, path, &fd);
    if (err != KS_OK)
        return err;
    err = fd_sync(fd);
    fd_close(fd);
    /* A filesystem that cannot sync a directory says EINVAL; its names are then as
     * durable as it makes them (Kafka's Utils.flushDir ignores this too). */
    return err == KS_ERR_INVALID ? KS_OK : err;
}

struct dir_item {
    char *name;
    bool is_dir;
};

static int dir_item_compare(const void *a, const void *b)
{
    /* strcmp compares as unsigned char: byte-wise order */
    return strcmp(((const struct dir_item *)a)->name, ((const struct dir_item *)b)->name);
}

static void dir_items_free(struct dir_item *items, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        free(items[i].name);
    free(items);
}

/* Read every entry but "." and "..". Errors: KS_ERR_IO, KS_ERR_TOO_MANY. */
static enum ks_err dir_read(DIR *dir, struct dir_item **items_out, uint32_t *count_out)
{
    struct dir_item *items = NULL;
    uint32_t count = 0, capacity = 0;
    for (;;) {
        errno = 0;
        struct dirent *d = readdir(dir);
        if (d == NULL && errno != 0) {
            dir_items_free(items, count);
            return posix_err_from_errno(errno);
        }
        if (d == NULL)
            break;
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
            continue;
        if (count == POSIX_DIR_ENTRIES_MAX) {
            dir_items_free(items, count);
            return KS_ERR_TOO_MANY;
        }
        if (count == capacity) {
            capacity = capacity == 0 ? 64 : capacity * 2;
            items = ks_realloc(items, sizeof(*items) * capacity);
        }
        bool is_dir = d->d_type == DT_DIR;
        struct stat st;
        if (d->d_type == DT_UNKNOWN &&
            fstatat(dirfd(dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            is_dir = S_ISDIR(st.st_mode);
        items[count++] = (struct dir_item){ks_strdup(d->d_name), is_dir};
    }
    *items_out = items;
    *count_out = count;
    return KS_OK;
}

static enum ks_err posix_dir_list(struct env *base, const char *path, env_dir_entry_fn fn,
                                  void *ctx)
{
    struct posix_env *env = env_of(base);
    if (!path_valid(path) || fn == NULL)
        return KS_ERR_INVALID;
    int fd = -1;
    enum ks_err err = dir_open(env, path, &fd);
    if (err != KS_OK)
        return err;
    DIR *dir = fdopendir(fd);
    if (dir == NULL) {
        err = posix_err_from_errno(errno);
        fd_close(fd);
        return err;
    }
    struct dir_item *items = NULL;
    uint32_t count = 0;
    err = dir_read(dir, &items, &count);
    closedir(dir); /* closes fd */
    if (err != KS_OK)
        return err;
    if (count > 1)
        qsort(items, count, sizeof(*items), dir_item_compare);
    for (uint32_t i = 0; i < count; i++)
        fn(ctx, items[i].name, items[i].is_dir);
    dir_items_free(items, count);
    return KS_OK;
}

/* ---- Benchmark baseline ---------------------------------------------------------- */

/* write(2) all of bytes at the file's position. */
static enum ks_err bench_write_all(int fd, const uint8_t *bytes, uint32_t size_bytes)
{
    uint32_t done = 0;
    for (uint32_t call = 0; done < size_bytes; call++) {
        if (call == POSIX_IO_CALLS_MAX)
            return KS_ERR_IO;
        ssize_t n = write(fd, bytes + done, size_bytes - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return posix_err_from_errno(errno);
        done += (uint32_t)n;
    }
    KS_ASSERT(done == size_bytes);
    return KS_OK;
}

enum ks_err posix_bench_plain_write(struct posix_env *env, const char *path, const uint8_t *chunk,
                                    uint32_t chunk_bytes, uint64_t total_bytes,
                                    uint64_t sync_every_bytes, uint64_t *elapsed_ns_out)
{
    KS_ASSERT(env != NULL && elapsed_ns_out != NULL);
    if (!path_valid(path) || path[0] == '\0' || chunk == NULL || chunk_bytes == 0)
        return KS_ERR_INVALID;
    uint64_t start = posix_loop_mono_ns();
    int fd = openat(env->dir_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return posix_err_from_errno(errno);
    enum ks_err err = KS_OK;
    uint64_t written = 0, synced = 0;
    while (err == KS_OK && written < total_bytes) { /* bounded: total_bytes / chunk_bytes */
        uint64_t left = total_bytes - written;
        uint32_t size = left < chunk_bytes ? (uint32_t)left : chunk_bytes;
        err = bench_write_all(fd, chunk, size);
        written += size;
        if (err == KS_OK && sync_every_bytes != 0 && written - synced >= sync_every_bytes) {
            err = fd_sync(fd);
            synced = written;
        }
    }
    if (err == KS_OK && synced < written)
        err = fd_sync(fd);
    fd_close(fd);
    *elapsed_ns_out = posix_loop_mono_ns() - start;
    KS_ASSERT(err != KS_OK || written == total_bytes);
    return err;
}

/* ---- Signals ------------------------------------------------------------------- */

static void signal_on_event(struct posix_loop *loop, struct posix_signal *s)
{
    for (uint32_t i = 0; i < POSIX_SIGNALS_PER_EVENT_MAX; i++) {
        struct signalfd_siginfo info;
        ssize_t n = read(s->fd, &info, sizeof(info));
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof(info))
            return; /* EAGAIN: all read */
        if (s->fn != NULL)
            s->fn(s->ctx, (int)info.ssi_signo);
        else
            loop->stop_requested = true;
    }
}

enum ks_err posix_loop_signals_watch(struct posix_loop *loop, posix_loop_signal_fn fn, void *ctx)
{
    KS_ASSERT(loop != NULL);
    if (loop->signal_key != 0)
        return KS_ERR_BUSY;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return KS_ERR_IO;
    struct posix_signal *s = ks_alloc(sizeof(*s));
    *s = (struct posix_signal){{WATCH_SIGNAL, 0}, fd, fn, ctx};
    s->watch.key = slab_add(&loop->watches, s);
    if (s->watch.key == 0 || !epoll_set(loop, EPOLL_CTL_ADD, fd, s->watch.key, EPOLLIN) ||
        sigprocmask(SIG_BLOCK, &set, &loop->signal_mask_old) != 0) {
        if (s->watch.key != 0)
            slab_remove(&loop->watches, s->watch.key);
        fd_close(fd);
        free(s);
        return KS_ERR_IO;
    }
    loop->signal_key = s->watch.key;
    return KS_OK;
}

static void signals_unwatch(struct posix_loop *loop)
{
    struct posix_signal *s = slab_find(&loop->watches, loop->signal_key);
    KS_ASSERT(s != NULL && s->watch.kind == WATCH_SIGNAL);
    fd_close(s->fd);
    slab_remove(&loop->watches, s->watch.key);
    free(s);
    loop->signal_key = 0;
    sigprocmask(SIG_SETMASK, &loop->signal_mask_old, NULL);
}

/* ---- The loop ------------------------------------------------------------------ */

struct posix_loop *posix_loop_create(void)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct posix_loop *loop = ks_alloc(sizeof(*loop));
    loop->epoll_fd = fd;
    slab_init(&loop->watches, POSIX_SLOTS_MAX);
    slab_init(&loop->timers, POSIX_TIMERS_MAX);
    loop->recv_buf = ks_alloc(POSIX_RECV_CHUNK_BYTES);
    KS_ASSERT(loop->heap_count == 0);
    return loop;
}

void posix_loop_destroy(struct posix_loop *loop)
{
    if (loop == NULL)
        return;
    KS_ASSERT(loop->env_count == 0); /* destroy the envs first */
    KS_ASSERT(!loop->running);
    if (loop->signal_key != 0)
        signals_unwatch(loop);
    KS_ASSERT(loop->heap_count == 0);
    slab_free(&loop->watches);
    slab_free(&loop->timers);
    free(loop->heap);
    free(loop->recv_buf);
    fd_close(loop->epoll_fd);
    free(loop);
}

void posix_loop_stop(struct posix_loop *loop)
{
    KS_ASSERT(loop != NULL);
    loop->stop_requested = true;
}

/* How long epoll may sleep: until the first timer or the deadline, rounded up to
 * whole ms so that it never wakes early and spins. */
static int loop_wait_ms(const struct posix_loop *loop, uint64_t deadline_ns)
{
    uint64_t wake_ns = deadline_ns;
    if (loop->heap_count > 0 && loop->heap[0]->deadline_ns < wake_ns)
        wake_ns = loop->heap[0]->deadline_ns;
    if (wake_ns == UINT64_MAX)
        return -1;
    uint64_t now = posix_loop_mono_ns();
    if (wake_ns <= now)
        return 0;
    uint64_t ms = (wake_ns - now + POSIX_NS_PER_MS - 1) / POSIX_NS_PER_MS;
    return ms > POSIX_WAIT_MS_MAX ? POSIX_WAIT_MS_MAX : (int)ms;
}

static void loop_dispatch(struct posix_loop *loop, uint64_t key, uint32_t events)
{
    struct watch *w = slab_find(&loop->watches, key);
    if (w == NULL)
        return; /* closed earlier in this batch */
    switch (w->kind) {
    case WATCH_SIGNAL:
        signal_on_event(loop, (struct posix_signal *)w);
        return;
    case WATCH_LISTENER: {
        struct posix_listener *l = (struct posix_listener *)w;
        loop->callback_env = l->env;
        listener_on_event(l);
        break;
    }
    case WATCH_CONN: {
        struct posix_conn *conn = (struct posix_conn *)w;
        loop->callback_env = conn->env;
        conn_on_event(conn, events);
        break;
    }
    }
    loop->callback_env = NULL;
}

/* One turn: wait for events (or the first timer), dispatch them, fire due timers. */
static void loop_turn(struct posix_loop *loop, uint64_t deadline_ns)
{
    struct epoll_event events[POSIX_EPOLL_EVENTS_MAX];
    int n =
        epoll_wait(loop->epoll_fd, events, POSIX_EPOLL_EVENTS_MAX, loop_wait_ms(loop, deadline_ns));
    KS_ASSERT(n >= 0 || errno == EINTR); /* other errors mean a bad epoll fd: ours */
    for (int i = 0; i < n && !loop->stop_requested; i++)
        loop_dispatch(loop, events[i].data.u64, events[i].events);
    loop_timers_fire(loop);
}

enum posix_loop_exit posix_loop_run_until(struct posix_loop *loop, uint64_t deadline_mono_ns,
                                          posix_loop_done_fn done, void *ctx)
{
    KS_ASSERT(loop != NULL);
    KS_ASSERT(!loop->running); /* not from a callback */
    loop->running = true;
    enum posix_loop_exit exit_reason;
    for (;;) { /* the scheduler loop: unbounded by design, ended by stop, done or deadline */
        if (loop->stop_requested) {
            exit_reason = POSIX_LOOP_STOPPED;
            break;
        }
        if (done != NULL && done(ctx)) {
            exit_reason = POSIX_LOOP_DONE;
            break;
        }
        if (deadline_mono_ns != UINT64_MAX && posix_loop_mono_ns() >= deadline_mono_ns) {
            exit_reason = POSIX_LOOP_DEADLINE;
            break;
        }
        loop_turn(loop, deadline_mono_ns);
    }
    loop->stop_requested = false;
    loop->running = false;
    return exit_reason;
}

/* ---- Envs ------------------------------------------------------------------ */

static enum ks_err env_options_apply(struct posix_env *env, const struct posix_env_options *o)
{
    const char *name = o->node_name != NULL ? o->node_name : "node";
    if (name[0] == '\0' || strlen(name) >= sizeof(env->node_name))
        return KS_ERR_INVALID;
    snprintf(env->node_name, sizeof(env->node_name), "%s", name);
    const char *bind = o->bind_address != NULL ? o->bind_address : "127.0.0.1";
    if (!addr_parse(bind, 0, &env->bind_addr, &env->bind_addr_size))
        return KS_ERR_INVALID;
    env->log_file = o->log_file != NULL ? o->log_file : stderr;
    env->log_debug = o->log_debug;
    env->trace_quiet = o->trace_quiet;
    uint32_t timeout_ms =
        o->connect_timeout_ms != 0 ? o->connect_timeout_ms : POSIX_CONNECT_TIMEOUT_MS_DEFAULT;
    env->connect_timeout_ns = (uint64_t)timeout_ms * POSIX_NS_PER_MS;
    env->close_linger_ns =
        o->close_linger_ms != 0 ? o->close_linger_ms * POSIX_NS_PER_MS : POSIX_CLOSE_LINGER_NS;
    bool queue_default =
        o->send_queue_bytes_max == 0 || o->send_queue_bytes_max > POSIX_SEND_QUEUE_BYTES_MAX;
    env->send_queue_bytes_max =
        queue_default ? POSIX_SEND_QUEUE_BYTES_MAX : o->send_queue_bytes_max;
    return KS_OK;
}

static enum ks_err data_dir_open(const char *data_dir, bool create, int *fd_out)
{
    if (data_dir == NULL || data_dir[0] == '\0')
        return KS_ERR_INVALID;
    int fd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT && create) {
        if (mkdir(data_dir, 0755) != 0 && errno != EEXIST)
            return posix_err_from_errno(errno);
        fd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (fd < 0)
        return posix_err_from_errno(errno);
    *fd_out = fd;
    return KS_OK;
}

enum ks_err posix_env_create(struct posix_loop *loop, const char *data_dir, uint64_t seed,
                             const struct posix_env_options *options, struct posix_env **env_out)
{
    KS_ASSERT(loop != NULL);
    KS_ASSERT(env_out != NULL);
    static const struct posix_env_options defaults;
    struct posix_env *env = ks_alloc(sizeof(*env));
    env->dir_fd = -1;
    enum ks_err err = env_options_apply(env, options != NULL ? options : &defaults);
    if (err == KS_OK)
        err = data_dir_open(data_dir, options != NULL && options->data_dir_create, &env->dir_fd);
    if (err != KS_OK) {
        free(env);
        return err;
    }
    env->base.ops = &posix_env_ops;
    env->base.node_name = env->node_name;
    env->base.bugs = 0;
    env->loop = loop;
    uint64_t state = seed;
    for (int i = 0; i < 4; i++)
        env->rng[i] = splitmix64(&state);
    slab_init(&env->files, POSIX_FILES_OPEN_MAX);
    loop->env_count++;
    *env_out = env;
    return KS_OK;
}

/* Drop every connection and listener of env from the loop's table. */
static void env_watches_drop(struct posix_env *env)
{
    struct slab *watches = &env->loop->watches;
    for (uint32_t i = 0; i < watches->used_high; i++) {
        struct watch *w = slab_at(watches, i);
        if (w != NULL && w->kind == WATCH_CONN && ((struct posix_conn *)w)->env == env)
            conn_free((struct posix_conn *)w);
        else if (w != NULL && w->kind == WATCH_LISTENER && ((struct posix_listener *)w)->env == env)
            listener_free((struct posix_listener *)w);
    }
    KS_ASSERT(env->conn_count == 0);
    KS_ASSERT(env->listener_count == 0);
}

void posix_env_listeners_close(struct posix_env *env)
{
    struct slab *watches = &env->loop->watches;
    for (uint32_t i = 0; i < watches->used_high; i++) {
        struct watch *w = slab_at(watches, i);
        if (w != NULL && w->kind == WATCH_LISTENER && ((struct posix_listener *)w)->env == env)
            listener_free((struct posix_listener *)w);
    }
    KS_ASSERT(env->listener_count == 0);
}

static void env_timers_drop(struct posix_env *env)
{
    struct slab *timers = &env->loop->timers;
    for (uint32_t i = 0; i < timers->used_high; i++) {
        struct posix_timer *t = slab_at(timers, i);
        if (t != NULL && t->env == env)
            timer_unlink(env->loop, t);
    }
    KS_ASSERT(env->timer_count == 0);
}

static void env_files_drop(struct posix_env *env)
{
    for (uint32_t i = 0; i < env->files.used_high; i++) {
        struct posix_file *file = slab_at(&env->files, i);
        if (file != NULL)
            posix_file_close(&env->base, env->files.slots[i].key);
    }
    KS_ASSERT(env->files.count == 0);
}

void posix_env_destroy(struct posix_env *env)
{
    if (env == NULL)
        return;
    struct posix_loop *loop = env->loop;
    KS_ASSERT(loop->callback_env != env); /* not from its own callback */
    KS_ASSERT(loop->env_count > 0);
    env_watches_drop(env);
    env_timers_drop(env);
    env_files_drop(env);
    slab_free(&env->files);
    fd_close(env->dir_fd);
    fflush(env->log_file);
    loop->env_count--;
    free(env);
}

struct env *posix_env_base(struct posix_env *env)
{
    KS_ASSERT(env != NULL);
    return &env->base;
}

uint16_t posix_env_listen_port_last(const struct posix_env *env)
{
    return env->listen_port_last;
}
uint32_t posix_env_conn_count(const struct posix_env *env)
{
    return env->conn_count;
}
uint32_t posix_env_timer_count(const struct posix_env *env)
{
    return env->timer_count;
}

static const struct env_ops posix_env_ops = {
    .wall_ms = posix_wall_ms,
    .mono_ns = posix_mono_ns,
    .timer_start = posix_timer_start,
    .timer_cancel = posix_timer_cancel,
    .listen = posix_listen,
    .connect = posix_connect,
    .send = posix_send,
    .close = posix_close,
    .file_open = posix_file_open,
    .file_read = posix_file_read,
    .file_write = posix_file_write,
    .file_size = posix_file_size,
    .file_truncate = posix_file_truncate,
    .file_sync = posix_file_sync,
    .file_close = posix_file_close,
    .path_rename = posix_path_rename,
    .path_delete = posix_path_delete,
    .dir_create = posix_dir_create,
    .dir_list = posix_dir_list,
    .dir_sync = posix_dir_sync,
    .random = posix_random,
    .buggify = posix_buggify,
    .trace = posix_trace,
    .log = posix_log,
};
