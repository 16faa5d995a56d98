/*
 * fixture_pingecho.c: the world's ping and echo fixture nodes, see fixture_pingecho.h.
 * Written against env.h only, like system code, so that they exercise the world the
 * way brokers will.
 */
#include "fixture_pingecho.h"

#include <stdlib.h>
#include <string.h>

#include "../../system/bugs.h"

#define PING_FRAME_BYTES 12u /* 4-byte length + 8-byte sequence number */
#define PING_FILE "ping/acked"
#define ECHO_CONNS_MAX 64u
#define FIXTURE_RX_BYTES_MAX 256u
#define PING_OUTSTANDING_MAX 4u /* pings sent and not yet echoed */

/* ---- Frames ------------------------------------------------------------------- */

struct fixture_rx {
    uint8_t bytes[FIXTURE_RX_BYTES_MAX];
    uint32_t size;
};

/* Append bytes and hand each whole 12-byte frame's sequence number to fn. Returns
 * false when a frame is malformed. */
static bool rx_feed(struct fixture_rx *rx, const uint8_t *bytes, uint32_t size_bytes,
                    void (*fn)(void *ctx, uint64_t seq), void *ctx)
{
    for (uint32_t i = 0; i < size_bytes; i++) {
        KS_ASSERT(rx->size < PING_FRAME_BYTES);
        rx->bytes[rx->size++] = bytes[i];
        if (rx->size < PING_FRAME_BYTES)
            continue;
        if (ks_be32_load(rx->bytes) != 8)
            return false;
        rx->size = 0;
        fn(ctx, ks_be64_load(rx->bytes + 4));
    }
    return true;
}

static void frame_encode(uint8_t out[PING_FRAME_BYTES], uint64_t seq)
{
    ks_be32_store(out, 8);
    ks_be64_store(out + 4, seq);
}

/* ---- Ping --------------------------------------------------------------------- */

enum ping_conn_state { PING_IDLE, PING_CONNECTING, PING_OPEN, PING_BACKOFF };
static const char *const ping_conn_names[] = {"Idle", "Connecting", "Open", "Backoff"};
static const uint32_t ping_conn_next[] = {
    [PING_IDLE] = SM_BIT(PING_CONNECTING),
    [PING_CONNECTING] = SM_BIT(PING_OPEN) | SM_BIT(PING_BACKOFF),
    [PING_OPEN] = SM_BIT(PING_BACKOFF),
    [PING_BACKOFF] = SM_BIT(PING_CONNECTING),
};
const struct sm_def fixture_ping_conn_sm = {"ping_conn", ping_conn_names,
                                            KS_ARRAY_COUNT(ping_conn_names), ping_conn_next};

struct ping {
    struct env *env;
    char target[64];
    uint16_t port;
    uint64_t interval_ns;
    uint64_t backoff_ns;
    uint64_t sync_every;

    env_conn_id conn;
    bool open;
    env_timer_id tick;
    env_file_id file;
    bool disk_failed;
    struct fixture_rx rx;

    uint64_t next_seq;     /* next to send on this connection */
    uint64_t expected_seq; /* next echo expected */
    struct fixture_ping_status status;
    uint32_t conn_state;                        /* enum ping_conn_state */
    uint64_t sent_ns[PING_OUTSTANDING_MAX]; /* monotonic send time of seq, at seq % max */
};

static void ping_set_conn_state(struct ping *p, uint32_t to)
{
    sm_transition(p->env, &fixture_ping_conn_sm, p->conn_state, to);
    p->conn_state = to;
    KS_ASSERT((to == PING_OPEN) == p->open);
}

static void ping_connect(void *ctx);

static void ping_on_open(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct ping *p = ctx;
    KS_ASSERT(conn == p->conn);
    KS_ASSERT(!p->open);
    if (err != KS_OK) {
        p->conn = 0;
        ping_set_conn_state(p, PING_BACKOFF);
        env_timer_start(p->env, p->backoff_ns, ping_connect, p);
        return;
    }
    p->open = true;
    ping_set_conn_state(p, PING_OPEN);
    p->status.connects++;
    p->next_seq = p->expected_seq; /* resend whatever was not echoed */
    p->rx.size = 0;
}

static void ping_sync(struct ping *p)
{
    if (p->disk_failed)
        return;
    uint8_t buf[8];
    ks_be64_store(buf, p->status.acked);
    enum ks_err err = env_file_write(p->env, p->file, 0, buf, sizeof(buf));
    if (err == KS_OK && !env_bug(p->env, KS_BUG_FIXTURE_PING_SKIP_FSYNC))
        err = env_file_sync(p->env, p->file);
    if (err != KS_OK) {
        p->disk_failed = true; /* after a failed fsync nothing unsynced can be trusted */
        env_tracef(p->env, "ping.disk_failed", "%s", ks_err_name(err));
        return;
    }
    p->status.synced = p->status.acked;
}

static void ping_on_echo(void *ctx, uint64_t seq)
{
    struct ping *p = ctx;
    if (seq != p->expected_seq) {
        p->status.order_errors++;
        env_tracef(p->env, "ping.out_of_order", "got=%llu want=%llu", (unsigned long long)seq,
                   (unsigned long long)p->expected_seq);
    }
    p->expected_seq = seq + 1;
    uint64_t rtt_ns = env_mono_ns(p->env) - p->sent_ns[seq % PING_OUTSTANDING_MAX];
    uint64_t rtt_us = rtt_ns / 1000u;
    p->status.rtt_us[p->status.round_trips % FIXTURE_RTT_RING] =
        rtt_us > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt_us;
    p->status.acked++;
    p->status.round_trips++;
    if (p->status.acked % p->sync_every == 0)
        ping_sync(p);
}

static void ping_on_recv(void *ctx, env_conn_id conn, const uint8_t *bytes, uint32_t size_bytes)
{
    struct ping *p = ctx;
    KS_ASSERT(conn == p->conn && p->open);
    if (!rx_feed(&p->rx, bytes, size_bytes, ping_on_echo, p))
        p->status.order_errors++;
}

static void ping_on_closed(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct ping *p = ctx;
    KS_ASSERT(conn == p->conn);
    p->open = false;
    p->conn = 0;
    ping_set_conn_state(p, PING_BACKOFF);
    env_timer_start(p->env, p->backoff_ns, ping_connect, p);
}

static const struct env_conn_handler ping_handler = {ping_on_open, ping_on_recv, ping_on_closed};

static void ping_connect(void *ctx)
{
    struct ping *p = ctx;
    KS_ASSERT(p->conn == 0);
    ping_set_conn_state(p, PING_CONNECTING);
    if (env_connect(p->env, p->target, p->port, &ping_handler, p, &p->conn) != KS_OK) {
        p->conn = 0;
        ping_set_conn_state(p, PING_BACKOFF);
        env_timer_start(p->env, p->backoff_ns, ping_connect, p);
    }
}

static void ping_tick(void *ctx)
{
    struct ping *p = ctx;
    p->tick = env_timer_start(p->env, p->interval_ns, ping_tick, p);
    /* keep at most 4 pings outstanding */
    if (!p->open || p->next_seq >= p->expected_seq + PING_OUTSTANDING_MAX)
        return;
    uint8_t frame[PING_FRAME_BYTES];
    _Static_assert(PING_OUTSTANDING_MAX <= FIXTURE_RTT_RING, "a receive fits the ring");
    p->sent_ns[p->next_seq % PING_OUTSTANDING_MAX] = env_mono_ns(p->env);
    frame_encode(frame, p->next_seq++);
    if (env_send(p->env, p->conn, frame, sizeof(frame)) != KS_OK)
        p->next_seq--;
}

/* Open (creating durably) the counter file and load the count it holds. */
static enum ks_err ping_load(struct ping *p)
{
    enum ks_err err = env_dir_create(p->env, "ping");
    if (err == KS_OK)
        err = env_dir_sync(p->env, "");
    if (err != KS_OK && err != KS_ERR_EXISTS)
        return err;
    err = env_file_open(p->env, PING_FILE, ENV_FILE_CREATE, &p->file);
    if (err == KS_OK)
        err = env_dir_sync(p->env, "ping");
    if (err != KS_OK)
        return err;
    uint8_t buf[8];
    uint32_t n = 0;
    err = env_file_read(p->env, p->file, 0, buf, sizeof(buf), &n);
    if (err != KS_OK)
        return err;
    p->status.loaded_at_start = n == sizeof(buf) ? ks_be64_load(buf) : 0;
    return KS_OK;
}

static bool props_u64(const struct props *config, const char *key, int64_t dflt, int64_t min,
                      uint64_t *out)
{
    int64_t v = 0;
    if (props_get_i64(config, key, dflt, &v) != KS_OK || v < min)
        return false;
    *out = (uint64_t)v;
    return true;
}

static void *ping_start(struct env *env, const struct props *config)
{
    const char *target = props_get(config, "target");
    uint64_t port = 0, interval_ms = 0, backoff_ms = 0;
    struct ping *p = ks_alloc(sizeof(*p));
    p->env = env;
    bool ok = target != NULL && strlen(target) < sizeof(p->target) &&
              props_u64(config, "port", 7, 1, &port) && port <= UINT16_MAX &&
              props_u64(config, "ping.interval.ms", 10, 1, &interval_ms) &&
              props_u64(config, "ping.sync.every", 8, 1, &p->sync_every) &&
              props_u64(config, "reconnect.backoff.ms", 100, 1, &backoff_ms);
    if (!ok) {
        env_logf(env, ENV_LOG_ERROR, "ping: bad config");
        free(p);
        return NULL;
    }
    snprintf(p->target, sizeof(p->target), "%s", target);
    p->port = (uint16_t)port;
    p->interval_ns = interval_ms * 1000000u;
    p->backoff_ns = backoff_ms * 1000000u;
    if (ping_load(p) != KS_OK) {
        p->disk_failed = true;
        p->status.load_failed = true;
    }
    p->status.acked = p->status.loaded_at_start;
    p->status.synced = p->status.loaded_at_start;
    p->next_seq = p->expected_seq = p->status.acked;
    env_tracef(env, "ping.start", "loaded=%llu", (unsigned long long)p->status.loaded_at_start);
    ping_connect(p);
    p->tick = env_timer_start(env, p->interval_ns, ping_tick, p);
    return p;
}

static void ping_stop(void *node)
{
    struct ping *p = node;
    ping_sync(p);
}

static void ping_destroy(void *node) { free(node); }

static void ping_describe(void *node, char *buf, size_t buf_bytes)
{
    struct ping *p = node;
    snprintf(buf, buf_bytes, "acked=%llu synced=%llu open=%d",
             (unsigned long long)p->status.acked, (unsigned long long)p->status.synced, p->open);
}

void fixture_ping_status_get(const void *impl, struct fixture_ping_status *out)
{
    const struct ping *p = impl;
    *out = p->status;
}

const struct world_node_type fixture_ping_type = {
    .name = "ping",
    .start = ping_start,
    .stop = ping_stop,
    .destroy = ping_destroy,
    .describe = ping_describe,
};

/* ---- Echo --------------------------------------------------------------------- */

struct echo;

struct echo_conn {
    struct echo *echo;
    env_conn_id conn;
    struct fixture_rx rx;
    bool holding; /* bug switch: a frame held back to swap with the next */
    uint64_t held_seq;
};

struct echo {
    struct env *env;
    struct echo_conn *conns[ECHO_CONNS_MAX];
    struct fixture_echo_status status;
};

static void echo_send(struct echo_conn *ec, uint64_t seq)
{
    uint8_t frame[PING_FRAME_BYTES];
    frame_encode(frame, seq);
    if (env_send(ec->echo->env, ec->conn, frame, sizeof(frame)) == KS_OK)
        ec->echo->status.frames_echoed++;
}

static void echo_on_frame(void *ctx, uint64_t seq)
{
    struct echo_conn *ec = ctx;
    if (!env_bug(ec->echo->env, KS_BUG_FIXTURE_ECHO_REORDER)) {
        echo_send(ec, seq);
        return;
    }
    if (!ec->holding) {
        ec->holding = true;
        ec->held_seq = seq;
        return;
    }
    ec->holding = false;
    echo_send(ec, seq);
    echo_send(ec, ec->held_seq);
}

static void echo_conn_release(struct echo_conn *ec)
{
    struct echo *e = ec->echo;
    for (uint32_t i = 0; i < ECHO_CONNS_MAX; i++) {
        if (e->conns[i] == ec)
            e->conns[i] = NULL;
    }
    free(ec);
}

static void echo_on_recv(void *ctx, env_conn_id conn, const uint8_t *bytes, uint32_t size_bytes)
{
    struct echo_conn *ec = ctx;
    KS_ASSERT(ec->conn == conn);
    if (!rx_feed(&ec->rx, bytes, size_bytes, echo_on_frame, ec)) {
        env_close(ec->echo->env, conn);
        echo_conn_release(ec);
    }
}

static void echo_on_closed(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct echo_conn *ec = ctx;
    KS_ASSERT(ec->conn == conn);
    echo_conn_release(ec);
}

static void echo_on_open(void *ctx, env_conn_id conn, enum ks_err err)
{
    KS_UNREACHABLE(); /* accepted connections never get on_open */
}

static const struct env_conn_handler echo_handler = {echo_on_open, echo_on_recv, echo_on_closed};

static void echo_accept(void *ctx, env_conn_id conn, const char *peer_name,
                        const struct env_conn_handler **handler_out, void **conn_ctx_out)
{
    struct echo *e = ctx;
    struct echo_conn *ec = ks_alloc(sizeof(*ec));
    ec->echo = e;
    ec->conn = conn;
    *handler_out = &echo_handler;
    *conn_ctx_out = ec;
    for (uint32_t i = 0; i < ECHO_CONNS_MAX; i++) {
        if (e->conns[i] == NULL) {
            e->conns[i] = ec;
            e->status.connections++;
            return;
        }
    }
    env_close(e->env, conn); /* full: turn it away */
    free(ec);
    *conn_ctx_out = NULL;
}

static void *echo_start(struct env *env, const struct props *config)
{
    uint64_t port = 0;
    if (!props_u64(config, "port", 7, 1, &port) || port > UINT16_MAX)
        return NULL;
    struct echo *e = ks_alloc(sizeof(*e));
    e->env = env;
    if (env_listen(env, (uint16_t)port, echo_accept, e) != KS_OK) {
        free(e);
        return NULL;
    }
    return e;
}

static void echo_destroy(void *node)
{
    struct echo *e = node;
    for (uint32_t i = 0; i < ECHO_CONNS_MAX; i++)
        free(e->conns[i]);
    free(e);
}

static void echo_stop(void *node)
{
    struct echo *e = node;
    for (uint32_t i = 0; i < ECHO_CONNS_MAX; i++) {
        if (e->conns[i] != NULL)
            env_close(e->env, e->conns[i]->conn);
    }
}

static void echo_describe(void *node, char *buf, size_t buf_bytes)
{
    struct echo *e = node;
    snprintf(buf, buf_bytes, "echoed=%llu connections=%llu",
             (unsigned long long)e->status.frames_echoed,
             (unsigned long long)e->status.connections);
}

void fixture_echo_status_get(const void *impl, struct fixture_echo_status *out)
{
    const struct echo *e = impl;
    *out = e->status;
}

const struct world_node_type fixture_echo_type = {
    .name = "echo",
    .start = echo_start,
    .stop = echo_stop,
    .destroy = echo_destroy,
    .describe = echo_describe,
};
