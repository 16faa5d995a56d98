/*
 * srv_fuzz.c: arbitrary bytes as connections' input to the request server, the way a
 * broker meets them on a socket. Kafka: SocketServer, RequestChannel, KafkaApis.
 * libFuzzer entry point (AFL++ compatible).
 *
 * A direct call path, no world (creating a simulated world costs ~20 ms under ASan, a
 * thousand times an input): a small env of its own gives srv one listener, hands it
 * accepted connections, feeds on_recv, fires timers in deadline order and records what
 * srv sends and closes. srv runs with socket.request.max.bytes 65536 and a read-ahead
 * bound of 4096 (so the bound is hit), and a Metadata handler that answers at once,
 * after a timer, or not at all, by correlation id.
 *
 * Input byte 0 picks the chunk size (1..64, or everything at once); byte 1 picks what
 * else happens: bit 0 a second connection sends the same bytes interleaved, bit 1 the
 * server shuts down midway, bit 2 the peer closes midway (a request may be in flight).
 * The rest is the stream. What comes back must be whole frames answering correlation
 * ids that were sent; nothing may crash, assert or leak.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "system/proto/api_metadata.h"
#include "system/server/srv.h"

#define FUZZ_INPUT_BYTES_MAX 262144u
#define FUZZ_PORT 9092
#define FUZZ_DELAYS_MAX 4u
#define FUZZ_DELAY_NS 5000000u
#define FUZZ_TIMERS_MAX 64u
#define FUZZ_CONNS 2u
#define FUZZ_RX_BYTES_MAX (4u * 1024u * 1024u)
#define FUZZ_NS_PER_CHUNK 1000000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(bool ok)
{
    if (!ok)
        abort();
}

/* ---- A small env: timers, one listener, accepted connections ---- */

struct fuzz_timer {
    env_timer_id id;
    uint64_t deadline_ns;
    env_timer_fn fn;
    void *ctx;
};

struct fuzz_conn {
    const struct env_conn_handler *handler;
    void *ctx;
    bool closed_by_server;
    bool closed_by_peer;
    uint8_t *rx; /* what srv sent */
    uint32_t rx_size;
};

struct fuzz_env {
    struct env base;
    uint64_t now_ns;
    env_timer_id timer_next;
    struct fuzz_timer timers[FUZZ_TIMERS_MAX];
    uint32_t timer_count;
    env_accept_fn accept_fn;
    void *accept_ctx;
    struct fuzz_conn conns[FUZZ_CONNS]; /* conn id = index + 1 */
    uint64_t random_state;
};

static struct fuzz_env *fuzz_env_of(struct env *env)
{
    return (struct fuzz_env *)env;
}

static struct fuzz_conn *fuzz_conn_of(struct fuzz_env *fe, env_conn_id id)
{
    fuzz_check(id >= 1 && id <= FUZZ_CONNS);
    return &fe->conns[id - 1];
}

static int64_t fuzz_wall_ms(struct env *env)
{
    return (int64_t)(fuzz_env_of(env)->now_ns / 1000000u);
}
static uint64_t fuzz_mono_ns(struct env *env)
{
    return fuzz_env_of(env)->now_ns;
}

static env_timer_id fuzz_timer_start(struct env *env, uint64_t delay_ns, env_timer_fn fn, void *ctx)
{
    struct fuzz_env *fe = fuzz_env_of(env);
    fuzz_check(fe->timer_count < FUZZ_TIMERS_MAX);
    struct fuzz_timer *t = &fe->timers[fe->timer_count++];
    *t = (struct fuzz_timer){++fe->timer_next, fe->now_ns + delay_ns, fn, ctx};
    return t->id;
}

static bool fuzz_timer_cancel(struct env *env, env_timer_id id)
{
    struct fuzz_env *fe = fuzz_env_of(env);
    for (uint32_t i = 0; i < fe->timer_count; i++) {
        if (fe->timers[i].id != id)
            continue;
        fe->timers[i] = fe->timers[--fe->timer_count];
        return true;
    }
    return false;
}

static enum ks_err fuzz_listen(struct env *env, uint16_t port, env_accept_fn fn, void *ctx)
{
    struct fuzz_env *fe = fuzz_env_of(env);
    fuzz_check(fe->accept_fn == NULL);
    fe->accept_fn = fn;
    fe->accept_ctx = ctx;
    return KS_OK;
}

static enum ks_err fuzz_connect(struct env *env, const char *host, uint16_t port,
                                const struct env_conn_handler *h, void *ctx, env_conn_id *out)
{
    return KS_ERR_INVALID; /* the server never connects */
}

static enum ks_err fuzz_send(struct env *env, env_conn_id id, const uint8_t *bytes, uint32_t n)
{
    struct fuzz_conn *c = fuzz_conn_of(fuzz_env_of(env), id);
    fuzz_check(!c->closed_by_server); /* srv never sends after closing */
    if (c->closed_by_peer)
        return KS_ERR_CLOSED;
    fuzz_check(c->rx_size + n <= FUZZ_RX_BYTES_MAX);
    c->rx = realloc(c->rx, c->rx_size + n);
    fuzz_check(c->rx != NULL);
    memcpy(c->rx + c->rx_size, bytes, n);
    c->rx_size += n;
    return KS_OK;
}

static void fuzz_close(struct env *env, env_conn_id id)
{
    struct fuzz_conn *c = fuzz_conn_of(fuzz_env_of(env), id);
    fuzz_check(!c->closed_by_server); /* closed once */
    c->closed_by_server = true;
}

static enum ks_err fuzz_file_open(struct env *env, const char *p, unsigned f, env_file_id *out)
{
    return KS_ERR_IO;
}
static enum ks_err fuzz_file_read(struct env *env, env_file_id f, uint64_t o, uint8_t *b,
                                  uint32_t n, uint32_t *got)
{
    return KS_ERR_IO;
}
static enum ks_err fuzz_file_write(struct env *env, env_file_id f, uint64_t o, const uint8_t *b,
                                   uint32_t n)
{
    return KS_ERR_IO;
}
static enum ks_err fuzz_file_size(struct env *env, env_file_id f, uint64_t *out)
{
    return KS_ERR_IO;
}
static enum ks_err fuzz_file_truncate(struct env *env, env_file_id f, uint64_t n)
{
    return KS_ERR_IO;
}
static enum ks_err fuzz_file_sync(struct env *env, env_file_id f)
{
    return KS_ERR_IO;
}
static void fuzz_file_close(struct env *env, env_file_id f) {}
static enum ks_err fuzz_path_rename(struct env *env, const char *a, const char *b)
{
    return KS_ERR_IO;
}
static enum ks_err fuzz_path_delete(struct env *env, const char *p)
{
    return KS_ERR_IO;
}
static enum ks_err fuzz_dir_create(struct env *env, const char *p)
{
    return KS_ERR_IO;
}
static enum ks_err fuzz_dir_list(struct env *env, const char *p, env_dir_entry_fn fn, void *ctx)
{
    return KS_ERR_IO;
}
static enum ks_err fuzz_dir_sync(struct env *env, const char *p)
{
    return KS_ERR_IO;
}

static uint64_t fuzz_random(struct env *env)
{
    struct fuzz_env *fe = fuzz_env_of(env);
    fe->random_state = fe->random_state * 6364136223846793005ull + 1442695040888963407ull;
    return fe->random_state;
}

static bool fuzz_buggify(struct env *env, const char *site)
{
    return false;
}
static void fuzz_trace(struct env *env, const char *kind, const char *text) {}
static void fuzz_log(struct env *env, enum env_log_level level, const char *text) {}

static const struct env_ops fuzz_env_ops = {
    .wall_ms = fuzz_wall_ms,
    .mono_ns = fuzz_mono_ns,
    .timer_start = fuzz_timer_start,
    .timer_cancel = fuzz_timer_cancel,
    .listen = fuzz_listen,
    .connect = fuzz_connect,
    .send = fuzz_send,
    .close = fuzz_close,
    .file_open = fuzz_file_open,
    .file_read = fuzz_file_read,
    .file_write = fuzz_file_write,
    .file_size = fuzz_file_size,
    .file_truncate = fuzz_file_truncate,
    .file_sync = fuzz_file_sync,
    .file_close = fuzz_file_close,
    .path_rename = fuzz_path_rename,
    .path_delete = fuzz_path_delete,
    .dir_create = fuzz_dir_create,
    .dir_list = fuzz_dir_list,
    .dir_sync = fuzz_dir_sync,
    .random = fuzz_random,
    .buggify = fuzz_buggify,
    .trace = fuzz_trace,
    .log = fuzz_log,
};

/* Fires every timer due by now, earliest (then first started) first. At most
 * FUZZ_TIMERS_MAX fire per call plus what they start, bounded by the table. */
static void fuzz_timers_run(struct fuzz_env *fe)
{
    for (uint32_t fired = 0; fired < 4 * FUZZ_TIMERS_MAX; fired++) {
        int32_t best = -1;
        for (uint32_t i = 0; i < fe->timer_count; i++) {
            const struct fuzz_timer *t = &fe->timers[i];
            if (t->deadline_ns > fe->now_ns)
                continue;
            if (best < 0 || t->deadline_ns < fe->timers[best].deadline_ns ||
                (t->deadline_ns == fe->timers[best].deadline_ns && t->id < fe->timers[best].id))
                best = (int32_t)i;
        }
        if (best < 0)
            return;
        struct fuzz_timer t = fe->timers[best];
        fe->timers[best] = fe->timers[--fe->timer_count];
        t.fn(t.ctx);
    }
    fuzz_check(false); /* timers that keep starting timers: a loop */
}

/* Runs timers until none is left, moving time to each deadline. A delayed answer
 * unmutes a connection whose next request may be delayed again: at most one timer a
 * request, and requests are bounded by the input. */
static void fuzz_timers_drain(struct fuzz_env *fe)
{
    for (uint32_t round = 0; round < FUZZ_INPUT_BYTES_MAX && fe->timer_count > 0; round++) {
        uint64_t next = UINT64_MAX;
        for (uint32_t i = 0; i < fe->timer_count; i++)
            next = fe->timers[i].deadline_ns < next ? fe->timers[i].deadline_ns : next;
        fe->now_ns = next > fe->now_ns ? next : fe->now_ns;
        fuzz_timers_run(fe);
    }
    fuzz_check(fe->timer_count == 0);
}

/* ---- The handler ---- */

struct fuzz_delay {
    struct srv_request *request;
    bool used;
};

struct fuzz_server {
    struct env *env;
    struct srv *srv;
    struct fuzz_delay delays[FUZZ_DELAYS_MAX];
};

static void fuzz_answer(struct srv_request *request)
{
    struct api_metadata_broker broker = {1, wire_string_from("server"), FUZZ_PORT,
                                         wire_string_null()};
    struct api_metadata_response response = {.broker_count = 1,
                                             .brokers = &broker,
                                             .cluster_id = wire_string_from("fuzz"),
                                             .controller_id = 1};
    struct wire_writer body;
    wire_writer_init(&body);
    api_metadata_response_encode(&body, request->header.api_version, &response);
    srv_respond(request, &body);
    wire_writer_free(&body);
}

static void fuzz_delay_fire(void *ctx)
{
    struct fuzz_delay *d = ctx;
    fuzz_check(d->used);
    d->used = false;
    fuzz_answer(d->request);
}

static void fuzz_on_metadata(void *ctx, struct srv_request *request)
{
    struct fuzz_server *server = ctx;
    struct api_metadata_request asked;
    if (api_metadata_request_decode(request->header.api_version, request->body,
                                    request->body_size_bytes, &asked) != KS_OK) {
        srv_respond_close(request);
        return;
    }
    api_metadata_request_free(&asked);
    uint32_t kind = (uint32_t)request->header.correlation_id % 3;
    if (kind == 2) {
        srv_respond_none(request);
        return;
    }
    for (uint32_t i = 0; kind == 1 && i < FUZZ_DELAYS_MAX; i++) {
        struct fuzz_delay *d = &server->delays[i];
        if (d->used)
            continue;
        *d = (struct fuzz_delay){request, true};
        env_timer_start(server->env, FUZZ_DELAY_NS, fuzz_delay_fire, d);
        return;
    }
    fuzz_answer(request);
}

/* ---- Checks ---- */

/* Whether a whole frame of the stream carries corr (a superset of what may be
 * answered: srv answers whole frames only). */
static bool fuzz_stream_has_corr(const uint8_t *s, uint32_t n, int32_t corr)
{
    uint32_t off = 0;
    /* Each pass moves past one frame of at least 4 bytes. */
    while (off + 12 <= n) {
        uint32_t size = ks_be32_load(s + off);
        if (size > n - off - 4)
            return false;
        if (size >= 8 && (int32_t)ks_be32_load(s + off + 8) == corr)
            return true;
        off += 4 + size;
    }
    return false;
}

/* What srv sent on a connection: whole frames, each answering a frame that was sent. */
static void fuzz_conn_check(const struct fuzz_conn *c, const uint8_t *stream, uint32_t n)
{
    uint32_t off = 0;
    while (off + 4 <= c->rx_size) {
        uint32_t size = ks_be32_load(c->rx + off);
        fuzz_check(size >= 4 && size <= c->rx_size - off - 4);
        fuzz_check(fuzz_stream_has_corr(stream, n, (int32_t)ks_be32_load(c->rx + off + 4)));
        off += 4 + size;
    }
    fuzz_check(off == c->rx_size);
}

/* ---- The run ---- */

static void fuzz_accept(struct fuzz_env *fe, uint32_t index)
{
    struct fuzz_conn *c = &fe->conns[index];
    fe->accept_fn(fe->accept_ctx, index + 1, "fuzz-client:1", &c->handler, &c->ctx);
    fuzz_check(c->handler != NULL);
}

static void fuzz_feed(struct fuzz_env *fe, uint32_t index, const uint8_t *bytes, uint32_t n)
{
    struct fuzz_conn *c = &fe->conns[index];
    if (n > 0 && !c->closed_by_server && !c->closed_by_peer)
        c->handler->on_recv(c->ctx, index + 1, bytes, n);
}

static void fuzz_peer_close(struct fuzz_env *fe, uint32_t index)
{
    struct fuzz_conn *c = &fe->conns[index];
    if (c->closed_by_server || c->closed_by_peer)
        return;
    c->closed_by_peer = true;
    c->handler->on_closed(c->ctx, index + 1, KS_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > FUZZ_INPUT_BYTES_MAX)
        return 0;
    const uint8_t *stream = data + 2;
    uint32_t n = (uint32_t)size - 2;
    uint32_t chunk = data[0] < 64 ? 1u + data[0] : (n > 0 ? n : 1);
    uint8_t flags = data[1];
    uint32_t conn_count = (flags & 1) ? 2 : 1;
    struct fuzz_env *fe = calloc(1, sizeof(*fe));
    struct fuzz_server *server = calloc(1, sizeof(*server));
    fe->base = (struct env){&fuzz_env_ops, "fuzz", 0};
    struct srv_config sc;
    srv_config_default(&sc);
    sc.request_size_bytes_max = 65536;
    sc.read_ahead_bytes_max = 4096;
    struct srv_handler rows[] = {{API_METADATA, 0, 12, fuzz_on_metadata, server}};
    server->env = &fe->base;
    server->srv = srv_create(&fe->base, &sc, rows, 1);
    fuzz_check(srv_listen(server->srv, FUZZ_PORT) == KS_OK);
    for (uint32_t i = 0; i < conn_count; i++)
        fuzz_accept(fe, i);
    for (uint32_t off = 0; off < n; off += chunk) {
        uint32_t take = n - off < chunk ? n - off : chunk;
        for (uint32_t i = 0; i < conn_count; i++)
            fuzz_feed(fe, i, stream + off, take);
        fe->now_ns += FUZZ_NS_PER_CHUNK;
        fuzz_timers_run(fe);
        if ((flags & 2) && off < n / 2 && off + take >= n / 2)
            srv_shutdown(server->srv);
        if ((flags & 4) && off < n / 2 && off + take >= n / 2)
            fuzz_peer_close(fe, 0);
    }
    fuzz_timers_drain(fe);
    fuzz_check(srv_drained(server->srv)); /* every request was ended */
    struct srv_stats stats;
    srv_stats_get(server->srv, &stats);
    fuzz_check(stats.responses + stats.responses_none <= stats.requests);
    for (uint32_t i = 0; i < conn_count; i++) {
        fuzz_conn_check(&fe->conns[i], stream, n);
        fuzz_peer_close(fe, i);
    }
    srv_free(server->srv);
    for (uint32_t i = 0; i < conn_count; i++)
        free(fe->conns[i].rx);
    free(server);
    free(fe);
    return 0;
}
