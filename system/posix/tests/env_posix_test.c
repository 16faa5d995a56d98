/*
 * env_posix_test.c: the POSIX environment against env.h's contract, on loopback and
 * in a mkdtemp directory: timers in (deadline, sequence) order and cancel; TCP echo
 * of many chunks in order, through the send queue; refused connects; orderly peer
 * close (KS_OK) and reset (KS_ERR_CLOSED); no callbacks after env_close; files,
 * directories, listing order, errno mapping and bad paths; seeded randomness; log
 * lines; SIGTERM through the signalfd. One test checks the wall clock against
 * KS_EXPECT_WALL_MS_MIN/MAX when set (ci/tests/posix_faketime.sh runs it under
 * libfaketime) and is skipped otherwise.
 */
#define _GNU_SOURCE /* nftw */
#include <setjmp.h> /* cmocka.h needs these three first */
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../env_posix.h"

#define NS_PER_MS 1000000ull
#define TEST_WAIT_NS (10000ull * NS_PER_MS) /* the longest any test waits for its condition */
#define TIMERS_MAX 16u
#define CHUNKS_COUNT 300u
#define BIG_SEND_BYTES (4u << 20)
#define RECEIVED_BYTES_MAX (BIG_SEND_BYTES + CHUNKS_COUNT * 1024u)

/* ---- Helpers ------------------------------------------------------------------ */

#define FIXTURE_ENVS_MAX 8u

/* A loop, a temporary data directory, and the envs a test made: those it did not
 * destroy (it failed half-way) the teardown destroys, so the next test starts clean. */
struct fixture {
    struct posix_loop *loop;
    FILE *devnull; /* where the envs' lines go */
    char dir[64];
    struct posix_env *envs[FIXTURE_ENVS_MAX];
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int fixture_setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/env_posix_test.XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    f->loop = posix_loop_create();
    f->devnull = fopen("/dev/null", "w");
    *state = f;
    return f->loop != NULL && f->devnull != NULL ? 0 : -1;
}

static int fixture_teardown(void **state)
{
    struct fixture *f = *state;
    for (uint32_t i = 0; i < FIXTURE_ENVS_MAX; i++)
        posix_env_destroy(f->envs[i]);
    posix_loop_destroy(f->loop);
    fclose(f->devnull);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* An env on the fixture's loop and directory, owned by the fixture. */
static struct posix_env *env_new_with(struct fixture *f, uint64_t seed,
                                      const struct posix_env_options *o)
{
    struct posix_env *env = NULL;
    assert_int_equal(posix_env_create(f->loop, f->dir, seed, o, &env), KS_OK);
    for (uint32_t i = 0; i < FIXTURE_ENVS_MAX; i++) {
        if (f->envs[i] == NULL) {
            f->envs[i] = env;
            return env;
        }
    }
    fail_msg("more than %u envs", FIXTURE_ENVS_MAX);
    return NULL;
}

/* An env logging quietly into /dev/null. */
static struct posix_env *env_new(struct fixture *f, const char *name, uint64_t seed)
{
    struct posix_env_options o = {.node_name = name, .log_file = f->devnull};
    return env_new_with(f, seed, &o);
}

static void env_free(struct fixture *f, struct posix_env *env)
{
    for (uint32_t i = 0; i < FIXTURE_ENVS_MAX; i++) {
        if (f->envs[i] == env)
            f->envs[i] = NULL;
    }
    posix_env_destroy(env);
}

static bool flag_is_set(void *ctx)
{
    return *(bool *)ctx;
}

/* Run the loop until *flag, failing the test after TEST_WAIT_NS. */
static void run_until_flag(struct fixture *f, bool *flag)
{
    uint64_t deadline = posix_loop_mono_ns() + TEST_WAIT_NS;
    assert_int_equal(posix_loop_run_until(f->loop, deadline, flag_is_set, flag), POSIX_LOOP_DONE);
}

static void run_for_ms(struct fixture *f, uint64_t ms)
{
    uint64_t deadline = posix_loop_mono_ns() + ms * NS_PER_MS;
    assert_int_equal(posix_loop_run_until(f->loop, deadline, NULL, NULL), POSIX_LOOP_DEADLINE);
}

/* ---- Timers ------------------------------------------------------------------ */

struct timer_log {
    struct env *env;
    int order[TIMERS_MAX];
    uint32_t count;
    uint32_t expected;
    bool done;
};

struct timer_probe {
    struct timer_log *log;
    int tag;
};

static void timer_probe_fire(void *ctx)
{
    struct timer_probe *p = ctx;
    assert_true(p->log->count < TIMERS_MAX);
    p->log->order[p->log->count++] = p->tag;
    p->log->done = p->log->count == p->log->expected;
}

#define TIMER_PLAN_GAP_MS 10u /* the closest two deadlines of the plan */

static const struct {
    int tag;
    uint64_t delay_ms;
} timer_plan[] = {{30, 30}, {10, 10}, {99, 15}, {20, 20}, {1, 0}, {2, 0}};

/* Start the plan; true when it took less than the gap between its deadlines, so that
 * the order they fire in is the order of their delays even on a loaded machine. */
static bool timer_plan_start(struct env *env, struct timer_probe *probes, env_timer_id *ids,
                             struct timer_log *log)
{
    uint64_t start = env_mono_ns(env);
    for (size_t i = 0; i < KS_ARRAY_COUNT(timer_plan); i++) {
        probes[i] = (struct timer_probe){log, timer_plan[i].tag};
        ids[i] =
            env_timer_start(env, timer_plan[i].delay_ms * NS_PER_MS, timer_probe_fire, &probes[i]);
        assert_true(ids[i] != 0);
        for (size_t j = 0; j < i; j++)
            assert_true(ids[i] != ids[j]); /* never reused */
    }
    return env_mono_ns(env) - start < TIMER_PLAN_GAP_MS * NS_PER_MS / 2;
}

static void test_timers_fire_in_deadline_order_and_cancel(void **state)
{
    struct fixture *f = *state;
    struct posix_env *pe = env_new(f, "timers", 1);
    struct env *env = posix_env_base(pe);
    struct timer_log log = {.env = env, .expected = 5};
    struct timer_probe probes[KS_ARRAY_COUNT(timer_plan)];
    env_timer_id ids[KS_ARRAY_COUNT(timer_plan)];
    bool in_time = false;
    for (uint32_t attempt = 0; attempt < 20 && !in_time; attempt++) {
        in_time = timer_plan_start(env, probes, ids, &log);
        for (size_t i = 0; !in_time && i < KS_ARRAY_COUNT(timer_plan); i++)
            assert_true(env_timer_cancel(env, ids[i]));
    }
    assert_true(in_time);
    assert_int_equal(log.count, 0); /* never inside the call */
    assert_true(env_timer_cancel(env, ids[2]));
    assert_false(env_timer_cancel(env, ids[2]));
    assert_int_equal(posix_env_timer_count(pe), 5);
    run_until_flag(f, &log.done);
    static const int expected[] = {1, 2, 10, 20, 30}; /* the two zero delays in start order */
    assert_int_equal(log.count, KS_ARRAY_COUNT(expected));
    for (size_t i = 0; i < KS_ARRAY_COUNT(expected); i++)
        assert_int_equal(log.order[i], expected[i]);
    assert_false(env_timer_cancel(env, ids[0])); /* already fired */
    assert_int_equal(posix_env_timer_count(pe), 0);
    env_free(f, pe);
}

struct restarter {
    struct env *env;
    uint32_t runs;
};

static void restarter_fire(void *ctx)
{
    struct restarter *r = ctx;
    r->runs++;
    env_timer_start(r->env, 0, restarter_fire, r); /* fires next pass, not in this one */
}

static void stopper_fire(void *ctx)
{
    posix_loop_stop(ctx);
}

/* A timer that restarts itself at delay 0 cannot starve a later one, and stop works. */
static void test_timer_restarting_at_zero_does_not_spin(void **state)
{
    struct fixture *f = *state;
    struct posix_env *pe = env_new(f, "spin", 1);
    struct restarter r = {.env = posix_env_base(pe)};
    env_timer_start(r.env, 0, restarter_fire, &r);
    env_timer_start(r.env, 5 * NS_PER_MS, stopper_fire, f->loop);
    uint64_t deadline = posix_loop_mono_ns() + TEST_WAIT_NS;
    assert_int_equal(posix_loop_run_until(f->loop, deadline, NULL, NULL), POSIX_LOOP_STOPPED);
    assert_true(r.runs > 1);
    run_for_ms(f, 1); /* the stop was consumed; the deadline ends this run */
    env_free(f, pe);  /* drops the pending restarter */
}

static void test_clocks(void **state)
{
    struct fixture *f = *state;
    struct posix_env *pe = env_new(f, "clock", 1);
    struct env *env = posix_env_base(pe);
    int64_t wall = env_wall_ms(env);
    int64_t libc_ms = (int64_t)time(NULL) * 1000;
    assert_true(wall > libc_ms - 5000 && wall < libc_ms + 5000);
    uint64_t mono = env_mono_ns(env);
    run_for_ms(f, 2);
    assert_true(env_mono_ns(env) >= mono + 2 * NS_PER_MS);
    env_free(f, pe);
}

/* Under libfaketime (ci/tests/posix_faketime.sh): the wall clock is the faked one and
 * the monotonic clock still advances. Skipped when the bounds are not set. */
static void test_wall_clock_follows_faketime(void **state)
{
    const char *min_text = getenv("KS_EXPECT_WALL_MS_MIN");
    const char *max_text = getenv("KS_EXPECT_WALL_MS_MAX");
    if (min_text == NULL || max_text == NULL) {
        skip();
        return;
    }
    struct fixture *f = *state;
    struct posix_env *pe = env_new(f, "faketime", 1);
    struct env *env = posix_env_base(pe);
    int64_t wall = env_wall_ms(env);
    printf("env_wall_ms=%lld\n", (long long)wall);
    assert_true(wall >= strtoll(min_text, NULL, 10));
    assert_true(wall <= strtoll(max_text, NULL, 10));
    uint64_t mono = env_mono_ns(env);
    run_for_ms(f, 20);
    assert_true(env_mono_ns(env) > mono);
    env_free(f, pe);
}

/* ---- TCP ------------------------------------------------------------------ */

/* The echo server: sends back whatever arrives; counts its callbacks. */
struct echo {
    struct env *env;
    env_conn_id conn;
    char peer_name[64];
    uint32_t accepted;
    uint32_t closed;
    enum ks_err closed_err;
    bool close_after_send; /* on accept: send "bye" and close */
    bool closed_flag;
};

static void echo_recv(void *ctx, env_conn_id conn, const uint8_t *bytes, uint32_t size_bytes)
{
    struct echo *e = ctx;
    assert_int_equal(env_send(e->env, conn, bytes, size_bytes), KS_OK);
}

static void echo_closed(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct echo *e = ctx;
    assert_true(conn == e->conn);
    e->closed++;
    e->closed_err = err;
    e->closed_flag = true;
}

static void echo_open_unexpected(void *ctx, env_conn_id conn, enum ks_err err)
{
    fail_msg("an accepted connection got on_open");
}

static const struct env_conn_handler echo_handler = {echo_open_unexpected, echo_recv, echo_closed};

static void echo_accept(void *ctx, env_conn_id conn, const char *peer_name,
                        const struct env_conn_handler **handler_out, void **conn_ctx_out)
{
    struct echo *e = ctx;
    e->accepted++;
    e->conn = conn;
    snprintf(e->peer_name, sizeof(e->peer_name), "%s", peer_name);
    *handler_out = &echo_handler;
    *conn_ctx_out = e;
    if (e->close_after_send) {
        assert_int_equal(env_send(e->env, conn, (const uint8_t *)"bye", 3), KS_OK);
        env_close(e->env, conn);
        assert_int_equal(env_send(e->env, conn, (const uint8_t *)"x", 1), KS_ERR_CLOSED);
    }
}

/* The client: records what it gets. */
struct client {
    struct env *env;
    env_conn_id conn;
    uint32_t opens;
    enum ks_err open_err;
    uint32_t closes;
    enum ks_err closed_err;
    uint32_t recv_calls;
    uint8_t *received;
    uint32_t received_bytes;
    uint32_t expected_bytes;
    bool open_flag;
    bool done_flag;
};

static void client_open(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct client *c = ctx;
    assert_true(conn == c->conn);
    c->opens++;
    c->open_err = err;
    c->open_flag = true;
    c->done_flag = err != KS_OK;
}

static void client_recv(void *ctx, env_conn_id conn, const uint8_t *bytes, uint32_t size_bytes)
{
    struct client *c = ctx;
    assert_true(conn == c->conn);
    assert_true(size_bytes > 0);
    assert_true(c->received_bytes + size_bytes <= RECEIVED_BYTES_MAX);
    c->recv_calls++;
    if (c->received != NULL)
        memcpy(c->received + c->received_bytes, bytes, size_bytes);
    c->received_bytes += size_bytes;
    if (c->expected_bytes != 0 && c->received_bytes == c->expected_bytes)
        c->done_flag = true;
}

static void client_closed(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct client *c = ctx;
    assert_true(conn == c->conn);
    c->closes++;
    c->closed_err = err;
    c->done_flag = true;
}

static const struct env_conn_handler client_handler = {client_open, client_recv, client_closed};

static void client_connect(struct client *c, struct env *env, const char *host, uint16_t port)
{
    c->env = env;
    assert_int_equal(env_connect(env, host, port, &client_handler, c, &c->conn), KS_OK);
    assert_true(c->conn != 0);
    assert_int_equal(c->opens, 0); /* never inside the call */
}

/* A server env listening on a free port with an echo. */
static struct posix_env *echo_server(struct fixture *f, struct echo *e, uint16_t *port_out)
{
    struct posix_env *server = env_new(f, "server", 1);
    e->env = posix_env_base(server);
    assert_int_equal(env_listen(e->env, 0, echo_accept, e), KS_OK);
    *port_out = posix_env_listen_port_last(server);
    assert_true(*port_out != 0);
    return server;
}

static uint8_t pattern_byte(uint32_t i)
{
    return (uint8_t)(i * 131u + (i >> 8) * 7u);
}

static void test_tcp_echo_many_chunks_in_order(void **state)
{
    struct fixture *f = *state;
    struct echo e = {0};
    uint16_t port = 0;
    struct posix_env *server = echo_server(f, &e, &port);
    struct posix_env *client_env = env_new(f, "client", 2);
    struct client c = {.received = malloc(RECEIVED_BYTES_MAX)};
    client_connect(&c, posix_env_base(client_env), "localhost", port);
    run_until_flag(f, &c.open_flag);
    assert_int_equal(c.open_err, KS_OK);
    assert_int_equal(e.accepted, 1);
    assert_memory_equal(e.peer_name, "127.0.0.1:", 10);
    /* Many small chunks, then one large send that cannot go out at once: the queue
     * and EPOLLOUT carry it while the echo comes back. */
    uint8_t *sent = malloc(RECEIVED_BYTES_MAX);
    uint32_t total = 0;
    for (uint32_t i = 0; i < CHUNKS_COUNT; i++) {
        uint32_t size = 1 + (i * 37u) % 1000u;
        for (uint32_t j = 0; j < size; j++)
            sent[total + j] = pattern_byte(total + j);
        assert_int_equal(env_send(c.env, c.conn, sent + total, size), KS_OK);
        total += size;
    }
    for (uint32_t j = 0; j < BIG_SEND_BYTES; j++)
        sent[total + j] = pattern_byte(total + j);
    assert_int_equal(env_send(c.env, c.conn, sent + total, BIG_SEND_BYTES), KS_OK);
    total += BIG_SEND_BYTES;
    assert_int_equal(env_send(c.env, c.conn, sent, 0), KS_OK);
    c.expected_bytes = total;
    run_until_flag(f, &c.done_flag);
    assert_int_equal(c.received_bytes, total);
    assert_memory_equal(c.received, sent, total);
    assert_int_equal(c.closes, 0);
    assert_int_equal(e.closed, 0);
    free(sent);
    free(c.received);
    env_free(f, client_env);
    env_free(f, server);
}

/* A port where nothing listens: bound, read, closed. */
static uint16_t port_closed(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    socklen_t size = sizeof(addr);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &size), 0);
    close(fd);
    return ntohs(addr.sin_port);
}

static void test_connect_refused(void **state)
{
    struct fixture *f = *state;
    struct posix_env *pe = env_new(f, "client", 1);
    struct client c = {0};
    client_connect(&c, posix_env_base(pe), "127.0.0.1", port_closed());
    run_until_flag(f, &c.done_flag);
    assert_int_equal(c.opens, 1);
    assert_int_equal(c.open_err, KS_ERR_REFUSED);
    assert_int_equal(c.closes, 0);
    assert_int_equal(env_send(c.env, c.conn, (const uint8_t *)"x", 1), KS_ERR_CLOSED);
    assert_int_equal(posix_env_conn_count(pe), 0);
    env_free(f, pe);
}

static void test_connect_and_listen_errors(void **state)
{
    struct fixture *f = *state;
    struct posix_env *pe = env_new(f, "client", 1);
    struct env *env = posix_env_base(pe);
    struct client c = {0};
    static const char *const bad_hosts[] = {"example.com", "", "1.2.3", "::g", "[::1"};
    for (size_t i = 0; i < KS_ARRAY_COUNT(bad_hosts); i++)
        assert_int_equal(env_connect(env, bad_hosts[i], 9092, &client_handler, &c, &c.conn),
                         KS_ERR_INVALID);
    assert_int_equal(env_connect(env, "127.0.0.1", 0, &client_handler, &c, &c.conn),
                     KS_ERR_INVALID);
    struct echo e = {0};
    uint16_t port = 0;
    struct posix_env *server = echo_server(f, &e, &port);
    assert_int_equal(env_listen(env, port, echo_accept, &e), KS_ERR_BUSY);
    env_free(f, server);
    env_free(f, pe);
}

/* The server says "bye" and closes: the client reads it, then on_closed(KS_OK); the
 * server hears nothing more and its draining end goes once the client closed too. */
static void test_peer_close_is_orderly(void **state)
{
    struct fixture *f = *state;
    struct echo e = {.close_after_send = true};
    uint16_t port = 0;
    struct posix_env *server = echo_server(f, &e, &port);
    struct posix_env *client_env = env_new(f, "client", 2);
    struct client c = {.received = malloc(16)};
    client_connect(&c, posix_env_base(client_env), "127.0.0.1", port);
    run_until_flag(f, &c.done_flag); /* set by on_closed */
    assert_int_equal(c.open_err, KS_OK);
    assert_int_equal(c.received_bytes, 3);
    assert_memory_equal(c.received, "bye", 3);
    assert_int_equal(c.closed_err, KS_OK);
    assert_int_equal(posix_env_conn_count(client_env), 0);
    for (uint32_t i = 0; i < 1000 && posix_env_conn_count(server) > 0; i++)
        run_for_ms(f, 1);
    assert_int_equal(posix_env_conn_count(server), 0);
    assert_int_equal(e.closed, 0); /* no callbacks after env_close */
    free(c.received);
    env_free(f, client_env);
    env_free(f, server);
}

/* The client sends and closes at once: its bytes still arrive, the server sees
 * on_closed(KS_OK), and the client gets no callback at all. */
static void test_close_suppresses_callbacks(void **state)
{
    struct fixture *f = *state;
    struct echo e = {0};
    uint16_t port = 0;
    struct posix_env *server = echo_server(f, &e, &port);
    struct posix_env *client_env = env_new(f, "client", 2);
    struct client c = {0};
    client_connect(&c, posix_env_base(client_env), "127.0.0.1", port);
    run_until_flag(f, &c.open_flag);
    assert_int_equal(env_send(c.env, c.conn, (const uint8_t *)"hello", 5), KS_OK);
    env_close(c.env, c.conn);
    env_close(c.env, c.conn); /* twice is fine */
    assert_int_equal(env_send(c.env, c.conn, (const uint8_t *)"x", 1), KS_ERR_CLOSED);
    run_until_flag(f, &e.closed_flag);
    assert_int_equal(e.closed_err, KS_OK);
    assert_int_equal(c.recv_calls, 0);
    assert_int_equal(c.closes, 0);
    /* A connect closed before it opened never calls back either. */
    struct client c2 = {0};
    client_connect(&c2, c.env, "127.0.0.1", port);
    env_close(c2.env, c2.conn);
    run_for_ms(f, 20);
    assert_int_equal(c2.opens, 0);
    assert_int_equal(posix_env_conn_count(client_env), 0);
    env_free(f, client_env);
    env_free(f, server);
}

/* A peer that resets the connection: on_closed(KS_ERR_CLOSED). */
static void test_reset_is_an_error(void **state)
{
    struct fixture *f = *state;
    struct echo e = {0};
    uint16_t port = 0;
    struct posix_env *server = echo_server(f, &e, &port);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    for (uint32_t i = 0; i < 1000 && e.accepted == 0; i++)
        run_for_ms(f, 1);
    assert_int_equal(e.accepted, 1);
    struct linger hard = {.l_onoff = 1, .l_linger = 0};
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard)), 0);
    close(fd); /* RST */
    run_until_flag(f, &e.closed_flag);
    assert_int_equal(e.closed_err, KS_ERR_CLOSED);
    env_free(f, server);
}

/* ---- TCP against a raw peer that reads only when told ---------------------------- */

/* A blocking loopback listener with a small receive buffer (inherited by what it
 * accepts), so that an env's sends back up into its queue. */
static int raw_listen(uint16_t *port_out, int backlog)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    int rcvbuf = 4096;
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(fd, backlog), 0);
    socklen_t size = sizeof(addr);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &size), 0);
    *port_out = ntohs(addr.sin_port);
    return fd;
}

/* An env client connected to a raw peer; returns the peer's socket, non-blocking. */
static int raw_pair(struct fixture *f, struct client *c, struct posix_env *pe)
{
    uint16_t port = 0;
    int listen_fd = raw_listen(&port, 4);
    client_connect(c, posix_env_base(pe), "127.0.0.1", port);
    int fd = accept(listen_fd, NULL, NULL); /* the kernel completed the handshake */
    assert_true(fd >= 0);
    close(listen_fd);
    assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
    run_until_flag(f, &c->open_flag);
    assert_int_equal(c->open_err, KS_OK);
    return fd;
}

/* Thousands of sends to a peer that reads slowly: the queue takes them, EPOLLOUT
 * drains it, and the bytes arrive once each, in order. */
static void test_send_queue_drains_in_order(void **state)
{
    struct fixture *f = *state;
    struct posix_env *pe = env_new(f, "client", 1);
    struct client c = {0};
    int fd = raw_pair(f, &c, pe);
    enum { CHUNK = 3000, CHUNKS = 1000 };
    uint8_t chunk[CHUNK];
    for (uint32_t i = 0; i < CHUNKS; i++) {
        for (uint32_t j = 0; j < CHUNK; j++)
            chunk[j] = pattern_byte(i * CHUNK + j);
        assert_int_equal(env_send(c.env, c.conn, chunk, CHUNK), KS_OK);
    }
    uint32_t got = 0;
    uint8_t buf[8192];
    uint64_t deadline = posix_loop_mono_ns() + TEST_WAIT_NS;
    while (got < CHUNK * CHUNKS && posix_loop_mono_ns() < deadline) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        for (ssize_t j = 0; j < n; j++)
            assert_int_equal(buf[j], pattern_byte(got + (uint32_t)j));
        got += n > 0 ? (uint32_t)n : 0;
        if (n <= 0)
            run_for_ms(f, 1);
    }
    assert_int_equal(got, CHUNK * CHUNKS);
    assert_int_equal(c.closes, 0);
    close(fd);
    run_until_flag(f, &c.done_flag);
    assert_int_equal(c.closed_err, KS_OK);
    env_free(f, pe);
}

/* Past the send queue limit the connection breaks: KS_ERR_CLOSED now, on_closed
 * (KS_ERR_CLOSED) once, later, from the loop. */
static void test_send_queue_limit_breaks_the_connection(void **state)
{
    struct fixture *f = *state;
    struct posix_env_options o = {.log_file = f->devnull, .send_queue_bytes_max = 65536};
    struct posix_env *pe = env_new_with(f, 1, &o);
    struct client c = {0};
    int fd = raw_pair(f, &c, pe);
    uint8_t chunk[16384] = {0};
    enum ks_err err = KS_OK;
    for (uint32_t i = 0; i < 4096 && err == KS_OK; i++)
        err = env_send(c.env, c.conn, chunk, sizeof(chunk));
    assert_int_equal(err, KS_ERR_CLOSED);
    assert_int_equal(c.closes, 0); /* never inside the call */
    run_until_flag(f, &c.done_flag);
    assert_int_equal(c.closes, 1);
    assert_int_equal(c.closed_err, KS_ERR_CLOSED);
    run_for_ms(f, 5);
    assert_int_equal(c.closes, 1);
    assert_int_equal(posix_env_conn_count(pe), 0);
    close(fd);
    env_free(f, pe);
}

/* A send that finds the connection reset returns KS_ERR_CLOSED; on_closed follows
 * from the loop. */
static void test_send_after_reset(void **state)
{
    struct fixture *f = *state;
    struct posix_env *pe = env_new(f, "client", 1);
    struct client c = {0};
    int fd = raw_pair(f, &c, pe);
    struct linger hard = {.l_onoff = 1, .l_linger = 0};
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard)), 0);
    close(fd); /* RST, seen by the next send */
    enum ks_err err = KS_OK;
    for (uint32_t i = 0; i < 100 && err == KS_OK; i++) {
        err = env_send(c.env, c.conn, (const uint8_t *)"x", 1);
        if (err == KS_OK)
            usleep(1000);
    }
    assert_int_equal(err, KS_ERR_CLOSED);
    assert_int_equal(c.closes, 0);
    run_until_flag(f, &c.done_flag);
    assert_int_equal(c.closes, 1);
    assert_int_equal(c.closed_err, KS_ERR_CLOSED);
    env_free(f, pe);
}

/* A closed connection whose peer never closes is dropped after the linger. */
static void test_close_lingers_then_gives_up(void **state)
{
    struct fixture *f = *state;
    struct posix_env_options o = {.log_file = f->devnull, .close_linger_ms = 300};
    struct posix_env *pe = env_new_with(f, 1, &o);
    struct client c = {0};
    int fd = raw_pair(f, &c, pe);
    assert_int_equal(env_send(c.env, c.conn, (const uint8_t *)"last", 4), KS_OK);
    env_close(c.env, c.conn);
    uint64_t closed_at = posix_loop_mono_ns();
    run_for_ms(f, 5);
    if (posix_loop_mono_ns() - closed_at < 250 * NS_PER_MS) /* not descheduled past it */
        assert_int_equal(posix_env_conn_count(pe), 1);      /* draining: waiting for the peer */
    char buf[8];
    assert_int_equal(recv(fd, buf, sizeof(buf), 0), 4); /* the bytes still arrived */
    assert_int_equal(recv(fd, buf, sizeof(buf), 0), 0); /* then EOF */
    for (uint32_t i = 0; i < 1000 && posix_env_conn_count(pe) > 0; i++)
        run_for_ms(f, 1);
    assert_int_equal(posix_env_conn_count(pe), 0);
    assert_int_equal(c.closes + c.recv_calls, 0);
    close(fd);
    env_free(f, pe);
}

/* A listener whose accept queue is full drops SYNs: the connect times out. */
static void test_connect_times_out(void **state)
{
    struct fixture *f = *state;
    struct posix_env_options o = {.log_file = f->devnull, .connect_timeout_ms = 200};
    struct posix_env *pe = env_new_with(f, 1, &o);
    uint16_t port = 0;
    int listen_fd = raw_listen(&port, 0);
    int fillers[4];
    struct sockaddr_in addr = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    for (size_t i = 0; i < KS_ARRAY_COUNT(fillers); i++) {
        fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        connect(fillers[i], (struct sockaddr *)&addr, sizeof(addr));
    }
    struct client c = {0};
    client_connect(&c, posix_env_base(pe), "127.0.0.1", port);
    uint64_t start = posix_loop_mono_ns();
    run_until_flag(f, &c.done_flag);
    assert_int_equal(c.opens, 1);
    assert_int_equal(c.open_err, KS_ERR_TIMED_OUT);
    assert_true(posix_loop_mono_ns() - start >= 200 * NS_PER_MS);
    for (size_t i = 0; i < KS_ARRAY_COUNT(fillers); i++)
        close(fillers[i]);
    close(listen_fd);
    env_free(f, pe);
}

static void test_ipv6_literals_are_hosts(void **state)
{
    struct fixture *f = *state;
    struct posix_env *pe = env_new(f, "client", 1);
    struct client c = {0};
    static const char *const hosts[] = {"::1", "[::1]"};
    for (size_t i = 0; i < KS_ARRAY_COUNT(hosts); i++) {
        client_connect(&c, posix_env_base(pe), hosts[i], 9);
        env_close(c.env, c.conn);
    }
    run_for_ms(f, 5);
    assert_int_equal(c.opens, 0);
    env_free(f, pe);
}

/* Destroying an env with everything open frees it all (ASan) and calls nobody. */
static void test_destroy_drops_everything(void **state)
{
    struct fixture *f = *state;
    struct echo e = {0};
    uint16_t port = 0;
    struct posix_env *server = echo_server(f, &e, &port);
    struct posix_env *client_env = env_new(f, "client", 2);
    struct client c = {0};
    client_connect(&c, posix_env_base(client_env), "127.0.0.1", port);
    run_until_flag(f, &c.open_flag);
    struct client pending = {0};
    client_connect(&pending, c.env, "127.0.0.1", port_closed());
    env_timer_start(c.env, 1000 * NS_PER_MS, stopper_fire, f->loop);
    env_file_id file = 0;
    assert_int_equal(env_file_open(c.env, "open-file", ENV_FILE_CREATE, &file), KS_OK);
    assert_int_equal(env_send(c.env, c.conn, (const uint8_t *)"abc", 3), KS_OK);
    env_free(f, client_env);
    run_until_flag(f, &e.closed_flag); /* the peer sees the socket go */
    assert_int_equal(pending.opens, 0);
    env_free(f, server);
}

/* ---- Files ------------------------------------------------------------------ */

static void test_file_write_read_size_truncate_sync(void **state)
{
    struct fixture *f = *state;
    struct posix_env *pe = env_new(f, "files", 1);
    struct env *env = posix_env_base(pe);
    env_file_id file = 0;
    assert_int_equal(env_file_open(env, "a.log", ENV_FILE_CREATE | ENV_FILE_EXCL, &file), KS_OK);
    assert_true(file != 0);
    assert_int_equal(env_file_write(env, file, 0, (const uint8_t *)"hello", 5), KS_OK);
    assert_int_equal(env_file_write(env, file, 10, (const uint8_t *)"world", 5), KS_OK);
    uint64_t size = 0;
    assert_int_equal(env_file_size(env, file, &size), KS_OK);
    assert_int_equal(size, 15);
    uint8_t buf[32];
    uint32_t got = 0;
    assert_int_equal(env_file_read(env, file, 0, buf, sizeof(buf), &got), KS_OK);
    assert_int_equal(got, 15);
    assert_memory_equal(buf, "hello\0\0\0\0\0world", 15); /* the gap reads as zeros */
    assert_int_equal(env_file_read(env, file, 100, buf, sizeof(buf), &got), KS_OK);
    assert_int_equal(got, 0);
    assert_int_equal(env_file_truncate(env, file, 3), KS_OK);
    assert_int_equal(env_file_size(env, file, &size), KS_OK);
    assert_int_equal(size, 3);
    assert_int_equal(env_file_sync(env, file), KS_OK);
    env_file_close(env, file);
    env_file_close(env, file); /* twice is fine */
    assert_int_equal(env_file_read(env, file, 0, buf, 1, &got), KS_ERR_INVALID);
    char path[128];
    snprintf(path, sizeof(path), "%s/a.log", f->dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0); /* on the real disk, under data_dir */
    assert_int_equal(st.st_size, 3);
    env_file_id again = 0;
    assert_int_equal(env_file_open(env, "a.log", ENV_FILE_TRUNC, &again), KS_OK);
    assert_true(again != file); /* handles are never reused */
    assert_int_equal(env_file_size(env, again, &size), KS_OK);
    assert_int_equal(size, 0);
    env_file_close(env, again);
    env_free(f, pe);
}

struct listing {
    char names[8][16];
    bool is_dir[8];
    uint32_t count;
};

static void listing_add(void *ctx, const char *name, bool is_dir)
{
    struct listing *l = ctx;
    assert_true(l->count < 8);
    snprintf(l->names[l->count], sizeof(l->names[0]), "%s", name);
    l->is_dir[l->count++] = is_dir;
}

static void file_touch(struct env *env, const char *path)
{
    env_file_id file = 0;
    assert_int_equal(env_file_open(env, path, ENV_FILE_CREATE, &file), KS_OK);
    env_file_close(env, file);
}

static void test_dirs_rename_delete_list(void **state)
{
    struct fixture *f = *state;
    struct posix_env *pe = env_new(f, "dirs", 1);
    struct env *env = posix_env_base(pe);
    assert_int_equal(env_dir_create(env, "d"), KS_OK);
    assert_int_equal(env_dir_create(env, "d"), KS_ERR_EXISTS);
    assert_int_equal(env_dir_create(env, ""), KS_ERR_EXISTS);
    assert_int_equal(env_dir_create(env, "missing/d"), KS_ERR_NOT_FOUND);
    static const char *const files[] = {"d/b", "d/a", "d/B", "d/\xc3\xa9", "d/a0"};
    for (size_t i = 0; i < KS_ARRAY_COUNT(files); i++)
        file_touch(env, files[i]);
    assert_int_equal(env_dir_create(env, "d/sub"), KS_OK);
    struct listing l = {0};
    assert_int_equal(env_dir_list(env, "d", listing_add, &l), KS_OK);
    static const char *const order[] = {"B", "a", "a0", "b", "sub", "\xc3\xa9"}; /* bytes */
    assert_int_equal(l.count, KS_ARRAY_COUNT(order));
    for (size_t i = 0; i < KS_ARRAY_COUNT(order); i++) {
        assert_string_equal(l.names[i], order[i]);
        assert_int_equal(l.is_dir[i], strcmp(order[i], "sub") == 0);
    }
    struct listing root = {0};
    assert_int_equal(env_dir_list(env, "", listing_add, &root), KS_OK);
    assert_int_equal(root.count, 1);
    assert_string_equal(root.names[0], "d");
    assert_int_equal(env_path_rename(env, "d/a", "d/z"), KS_OK);
    assert_int_equal(env_path_rename(env, "d/b", "d/z"), KS_OK); /* replaces a file */
    assert_int_equal(env_path_rename(env, "d/a", "d/y"), KS_ERR_NOT_FOUND);
    assert_int_equal(env_path_rename(env, "d/z", "d/sub"), KS_ERR_INVALID);
    assert_int_equal(env_dir_sync(env, "d"), KS_OK);
    assert_int_equal(env_dir_sync(env, ""), KS_OK);
    assert_int_equal(env_dir_sync(env, "nope"), KS_ERR_NOT_FOUND);
    assert_int_equal(env_path_delete(env, "d"), KS_ERR_INVALID); /* not empty */
    assert_int_equal(env_path_delete(env, "d/z"), KS_OK);
    assert_int_equal(env_path_delete(env, "d/z"), KS_ERR_NOT_FOUND);
    assert_int_equal(env_path_delete(env, "d/sub"), KS_OK); /* an empty directory */
    struct listing after = {0};
    assert_int_equal(env_dir_list(env, "d", listing_add, &after), KS_OK);
    assert_int_equal(after.count, 3); /* B, a0, é */
    assert_int_equal(env_dir_list(env, "nope", listing_add, &after), KS_ERR_NOT_FOUND);
    assert_int_equal(env_dir_list(env, "d/B", listing_add, &after), KS_ERR_NOT_FOUND);
    env_free(f, pe);
}

static void test_file_errors_and_paths(void **state)
{
    struct fixture *f = *state;
    struct posix_env *pe = env_new(f, "errors", 1);
    struct env *env = posix_env_base(pe);
    env_file_id file = 0;
    assert_int_equal(env_file_open(env, "missing", 0, &file), KS_ERR_NOT_FOUND);
    assert_int_equal(env_file_open(env, "no/such/dir", ENV_FILE_CREATE, &file), KS_ERR_NOT_FOUND);
    file_touch(env, "x");
    assert_int_equal(env_file_open(env, "x", ENV_FILE_CREATE | ENV_FILE_EXCL, &file),
                     KS_ERR_EXISTS);
    assert_int_equal(env_file_open(env, "x/y", ENV_FILE_CREATE, &file), KS_ERR_NOT_FOUND);
    assert_int_equal(env_dir_create(env, "dir"), KS_OK);
    assert_int_equal(env_file_open(env, "dir", 0, &file), KS_ERR_INVALID);
    assert_int_equal(env_file_open(env, "x", 1u << 7, &file), KS_ERR_INVALID);
    static const char *const bad[] = {"",   "/etc/passwd", "../x",  "a/../b", "a//b",
                                      "a/", ".",           "a/./b", "..",     "/"};
    for (size_t i = 0; i < KS_ARRAY_COUNT(bad); i++) {
        assert_int_equal(env_file_open(env, bad[i], ENV_FILE_CREATE, &file), KS_ERR_INVALID);
        assert_int_equal(env_path_rename(env, "x", bad[i]), KS_ERR_INVALID);
        assert_int_equal(env_path_delete(env, bad[i]), KS_ERR_INVALID);
    }
    assert_int_equal(env_dir_create(env, "../escape"), KS_ERR_INVALID);
    assert_int_equal(env_dir_sync(env, "/"), KS_ERR_INVALID);
    char long_path[POSIX_PATH_BYTES_MAX + 8];
    memset(long_path, 'a', sizeof(long_path) - 1);
    long_path[sizeof(long_path) - 1] = '\0';
    assert_int_equal(env_file_open(env, long_path, ENV_FILE_CREATE, &file), KS_ERR_INVALID);
    /* Unlink semantics: an open handle stays readable after delete. */
    assert_int_equal(env_file_open(env, "x", 0, &file), KS_OK);
    assert_int_equal(env_file_write(env, file, 0, (const uint8_t *)"kept", 4), KS_OK);
    assert_int_equal(env_path_delete(env, "x"), KS_OK);
    uint8_t buf[8];
    uint32_t got = 0;
    assert_int_equal(env_file_read(env, file, 0, buf, sizeof(buf), &got), KS_OK);
    assert_int_equal(got, 4);
    env_file_close(env, file);
    assert_int_equal(env_file_write(env, 12345, 0, buf, 1), KS_ERR_INVALID);
    assert_int_equal(env_file_sync(env, 12345), KS_ERR_INVALID);
    env_free(f, pe);
}

static void test_bench_plain_write(void **state)
{
    struct fixture *f = *state;
    struct posix_env *pe = env_new(f, "bench", 1);
    struct env *env = posix_env_base(pe);
    uint8_t chunk[1000];
    memset(chunk, 0xab, sizeof(chunk));
    uint64_t elapsed_ns = 0;
    assert_int_equal(
        posix_bench_plain_write(pe, "plain", chunk, sizeof(chunk), 10500, 4000, &elapsed_ns),
        KS_OK);
    assert_true(elapsed_ns > 0);
    env_file_id file = 0;
    assert_int_equal(env_file_open(env, "plain", 0, &file), KS_OK);
    uint64_t size = 0;
    assert_int_equal(env_file_size(env, file, &size), KS_OK);
    assert_int_equal(size, 10500);
    env_file_close(env, file);
    assert_int_equal(posix_bench_plain_write(pe, "../x", chunk, 1, 1, 0, &elapsed_ns),
                     KS_ERR_INVALID);
    assert_int_equal(posix_bench_plain_write(pe, "no/dir", chunk, 1, 1, 0, &elapsed_ns),
                     KS_ERR_NOT_FOUND);
    env_free(f, pe);
}

static void test_err_from_errno(void **state)
{
    static const struct {
        int errno_value;
        enum ks_err err;
    } cases[] = {
        {0, KS_OK},
        {ENOENT, KS_ERR_NOT_FOUND},
        {ENOTDIR, KS_ERR_NOT_FOUND},
        {EEXIST, KS_ERR_EXISTS},
        {ENOSPC, KS_ERR_NO_SPACE},
        {EDQUOT, KS_ERR_NO_SPACE},
        {EIO, KS_ERR_IO},
        {EACCES, KS_ERR_IO},
        {ENOTEMPTY, KS_ERR_INVALID},
        {EISDIR, KS_ERR_INVALID},
        {EMFILE, KS_ERR_TOO_MANY},
        {ECONNREFUSED, KS_ERR_REFUSED},
        {ETIMEDOUT, KS_ERR_TIMED_OUT},
        {EADDRINUSE, KS_ERR_BUSY},
        {ECONNRESET, KS_ERR_CLOSED},
    };
    for (size_t i = 0; i < KS_ARRAY_COUNT(cases); i++)
        assert_int_equal(posix_err_from_errno(cases[i].errno_value), cases[i].err);
}

/* ---- Env creation, randomness, lines, signals ------------------------------------ */

static void test_create_errors_and_data_dir_create(void **state)
{
    struct fixture *f = *state;
    struct posix_env *pe = NULL;
    char path[128];
    snprintf(path, sizeof(path), "%s/not-yet", f->dir);
    assert_int_equal(posix_env_create(f->loop, path, 1, NULL, &pe), KS_ERR_NOT_FOUND);
    struct posix_env_options bad_bind = {.bind_address = "example.com"};
    assert_int_equal(posix_env_create(f->loop, f->dir, 1, &bad_bind, &pe), KS_ERR_INVALID);
    struct posix_env_options create = {.data_dir_create = true, .trace_quiet = true};
    assert_int_equal(posix_env_create(f->loop, path, 1, &create, &pe), KS_OK);
    struct env *env = posix_env_base(pe);
    assert_string_equal(env->node_name, "node");
    assert_int_equal(env->bugs, 0);
    assert_false(env_buggify(env, "anywhere"));
    file_touch(env, "inside");
    snprintf(path, sizeof(path), "%s/not-yet/inside", f->dir);
    assert_int_equal(access(path, F_OK), 0);
    env_free(f, pe);
}

static void test_random_is_seeded(void **state)
{
    struct fixture *f = *state;
    struct posix_env *a = env_new(f, "a", 42);
    struct posix_env *b = env_new(f, "b", 42);
    struct posix_env *c = env_new(f, "c", 43);
    bool differs = false;
    for (int i = 0; i < 16; i++) {
        uint64_t x = env_random(posix_env_base(a));
        assert_true(x == env_random(posix_env_base(b)));
        differs |= x != env_random(posix_env_base(c));
        assert_true(env_random_below(posix_env_base(a), 10) < 10);
        (void)env_random_below(posix_env_base(b), 10);
    }
    assert_true(differs);
    env_free(f, a);
    env_free(f, b);
    env_free(f, c);
}

static void test_log_and_trace_lines(void **state)
{
    struct fixture *f = *state;
    char *text = NULL;
    size_t text_bytes = 0;
    FILE *out = open_memstream(&text, &text_bytes);
    struct posix_env_options o = {.node_name = "broker-1", .log_file = out};
    struct posix_env *pe = env_new_with(f, 1, &o);
    struct env *env = posix_env_base(pe);
    env_logf(env, ENV_LOG_INFO, "started %d", 7);
    env_logf(env, ENV_LOG_DEBUG, "hidden");
    env_tracef(env, "raft.role", "leader epoch=%d", 3);
    env_free(f, pe);
    fclose(out);
    /* 2026-11-25T12:00:00.123Z broker-1 INFO started 7 */
    char *second = strchr(text, '\n');
    assert_non_null(second);
    assert_int_equal(text[4], '-');
    assert_int_equal(text[10], 'T');
    assert_int_equal(text[23], 'Z');
    assert_memory_equal(text + 24, " broker-1 INFO started 7\n", 25);
    assert_non_null(strstr(second, " broker-1 TRACE raft.role leader epoch=3\n"));
    assert_null(strstr(text, "hidden"));
    free(text);
}

struct signal_seen {
    int signal_number;
    struct posix_loop *loop;
};

static void signal_record(void *ctx, int signal_number)
{
    struct signal_seen *s = ctx;
    s->signal_number = signal_number;
    posix_loop_stop(s->loop);
}

static void test_sigterm_through_signalfd(void **state)
{
    struct fixture *f = *state;
    struct signal_seen seen = {.loop = f->loop};
    assert_int_equal(posix_loop_signals_watch(f->loop, signal_record, &seen), KS_OK);
    assert_int_equal(posix_loop_signals_watch(f->loop, NULL, NULL), KS_ERR_BUSY);
    assert_int_equal(raise(SIGTERM), 0); /* blocked: it waits in the signalfd */
    uint64_t deadline = posix_loop_mono_ns() + TEST_WAIT_NS;
    assert_int_equal(posix_loop_run_until(f->loop, deadline, NULL, NULL), POSIX_LOOP_STOPPED);
    assert_int_equal(seen.signal_number, SIGTERM);
    /* the teardown's posix_loop_destroy restores the mask */
}

static void test_sigint_stops_without_callback(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(posix_loop_signals_watch(f->loop, NULL, NULL), KS_OK);
    assert_int_equal(raise(SIGINT), 0);
    uint64_t deadline = posix_loop_mono_ns() + TEST_WAIT_NS;
    assert_int_equal(posix_loop_run_until(f->loop, deadline, NULL, NULL), POSIX_LOOP_STOPPED);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)

int main(void)
{
    const struct CMUnitTest clock_tests[] = {
        T(test_wall_clock_follows_faketime),
    };
    if (getenv("KS_EXPECT_WALL_MS_MIN") != NULL) /* under faketime: only the clock */
        return cmocka_run_group_tests(clock_tests, NULL, NULL);
    const struct CMUnitTest tests[] = {
        T(test_timers_fire_in_deadline_order_and_cancel),
        T(test_timer_restarting_at_zero_does_not_spin),
        T(test_clocks),
        T(test_wall_clock_follows_faketime),
        T(test_tcp_echo_many_chunks_in_order),
        T(test_connect_refused),
        T(test_connect_and_listen_errors),
        T(test_peer_close_is_orderly),
        T(test_close_suppresses_callbacks),
        T(test_reset_is_an_error),
        T(test_send_queue_drains_in_order),
        T(test_send_queue_limit_breaks_the_connection),
        T(test_send_after_reset),
        T(test_close_lingers_then_gives_up),
        T(test_connect_times_out),
        T(test_ipv6_literals_are_hosts),
        T(test_destroy_drops_everything),
        T(test_file_write_read_size_truncate_sync),
        T(test_dirs_rename_delete_list),
        T(test_file_errors_and_paths),
        T(test_bench_plain_write),
        T(test_err_from_errno),
        T(test_create_errors_and_data_dir_create),
        T(test_random_is_seeded),
        T(test_log_and_trace_lines),
        T(test_sigterm_through_signalfd),
        T(test_sigint_stops_without_callback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
