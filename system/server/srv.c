/*
 * srv.c: the request server, see srv.h. Kafka: SocketServer's Acceptor and Processor,
 * RequestChannel (mute a channel while its request is handled, unmute when the
 * response is sent), KafkaApis.handle and handleApiVersionsRequest.
 *
 * A connection is READING (frames are split and dispatched), MUTED (its one request is
 * with a handler; bytes wait in read_ahead) or CLOSED (env_close'd or gone; memory kept
 * only while a handler still holds its request). Bytes go to the frame splitter as long
 * as the connection reads; the splitter's frame is the in-flight request's buffer and
 * is popped when the request ends. A pump loop runs frames until the connection mutes;
 * an answer given inside the handler call only unmutes, and the loop goes on, so a
 * stream of pipelined requests never recurses.
 */
#include "system/server/srv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum srv_conn_state {
    SRV_CONN_READING,
    SRV_CONN_MUTED,
    SRV_CONN_CLOSED,
};

static const char *const srv_conn_state_names[] = {"READING", "MUTED", "CLOSED"};

/* Why a connection was closed, for traces and counters. */
enum srv_close_reason {
    SRV_CLOSE_PEER,
    SRV_CLOSE_INVALID,
    SRV_CLOSE_TOO_LARGE,
    SRV_CLOSE_UNSUPPORTED,
    SRV_CLOSE_LIMIT,
    SRV_CLOSE_SHUTDOWN,
    SRV_CLOSE_HANDLER,
    SRV_CLOSE_BROKEN,
};

static const char *const srv_close_reason_names[] = {
    "peer closed",
    "invalid request",
    "frame above socket.request.max.bytes",
    "unsupported api key or version",
    "limit reached",
    "shutdown",
    "handler closed it",
    "send failed",
};

_Static_assert(KS_ARRAY_COUNT(srv_close_reason_names) == SRV_CLOSE_BROKEN + 1, "a name a reason");
_Static_assert(KS_ARRAY_COUNT(srv_conn_state_names) == SRV_CONN_CLOSED + 1, "a name a state");

struct srv_conn {
    struct srv *srv;
    env_conn_id id;
    enum srv_conn_state state;
    struct frame_splitter splitter;
    uint8_t *read_ahead; /* owned; bytes [read_ahead_offset, read_ahead_size) wait */
    uint32_t read_ahead_offset;
    uint32_t read_ahead_size;
    uint32_t read_ahead_capacity;
    struct srv_request request; /* the one in flight when request_live */
    bool request_live;
    bool pumping;              /* inside srv_conn_pump: answers only unmute */
    bool close_after_response; /* shutdown: close once the in-flight answer is out */
    char peer_name[SRV_PEER_NAME_BYTES_MAX];
    struct srv_conn *prev; /* in accept order */
    struct srv_conn *next;
};

enum srv_state {
    SRV_CREATED,
    SRV_LISTENING,
    SRV_SHUT_DOWN,
};

struct srv {
    struct env *env;
    struct srv_config config;
    enum srv_state state;
    struct srv_handler handlers[SRV_HANDLERS_MAX];
    uint32_t handler_count;
    uint16_t ports[SRV_LISTENERS_MAX];
    uint32_t port_count;
    struct srv_conn *conn_first;
    struct srv_conn *conn_last;
    uint32_t conn_count;         /* in the list, CLOSED ones still held included */
    uint64_t read_ahead_total;   /* bytes waiting in every read_ahead */
    uint32_t requests_in_flight; /* connections with request_live */
    struct srv_stats stats;
};

/* Read-ahead buffers start this big and double. */
#define SRV_READ_AHEAD_CAPACITY_MIN 4096u

/* ---- Configuration ------------------------------------------------------------------ */

void srv_config_default(struct srv_config *config)
{
    memset(config, 0, sizeof(*config));
    config->request_size_bytes_max = FRAME_SIZE_MAX_DEFAULT;
    config->conns_max = SRV_CONNS_MAX_DEFAULT;
    config->read_ahead_bytes_max = SRV_READ_AHEAD_BYTES_MAX_DEFAULT;
    config->read_ahead_bytes_total_max = SRV_READ_AHEAD_TOTAL_BYTES_MAX_DEFAULT;
    config->node_id = -1;
}

/* One integer property within [min, max]; missing keeps *value. */
static enum ks_err config_int(const struct props *props, const char *key, int64_t min, int64_t max,
                              int64_t *value, const char **bad_key_out)
{
    int64_t v = 0;
    if (props_get_i64(props, key, *value, &v) != KS_OK || v < min || v > max) {
        *bad_key_out = key;
        return KS_ERR_INVALID_CONFIG;
    }
    *value = v;
    return KS_OK;
}

enum ks_err srv_config_from_props(struct srv_config *config, const struct props *props,
                                  const char **bad_key_out)
{
    int64_t request_max = config->request_size_bytes_max;
    int64_t conns_max = config->conns_max;
    int64_t queued_max = -1;
    *bad_key_out = NULL;
    enum ks_err err =
        config_int(props, "socket.request.max.bytes", 1, INT32_MAX, &request_max, bad_key_out);
    if (err == KS_OK)
        err = config_int(props, "max.connections", 1, SRV_CONNS_MAX_LIMIT, &conns_max, bad_key_out);
    if (err == KS_OK)
        err =
            config_int(props, "queued.max.request.bytes", -1, INT64_MAX, &queued_max, bad_key_out);
    if (err == KS_OK && queued_max == 0) {
        *bad_key_out = "queued.max.request.bytes";
        err = KS_ERR_INVALID_CONFIG;
    }
    if (err != KS_OK)
        return err;
    config->request_size_bytes_max = (uint32_t)request_max;
    config->conns_max = (uint32_t)conns_max;
    if (queued_max > 0)
        config->read_ahead_bytes_total_max = (uint64_t)queued_max;
    return KS_OK;
}

/* ---- Handler table -------------------------------------------------------------------- */

static const struct srv_handler *srv_handler_find(const struct srv *srv, int16_t api_key)
{
    KS_ASSERT(srv->handler_count <= SRV_HANDLERS_MAX);
    for (uint32_t i = 0; i < srv->handler_count; i++) {
        if (srv->handlers[i].api_key == api_key)
            return &srv->handlers[i];
    }
    return NULL;
}

/* A row is the node's own configuration: wrong rows are bugs, asserted. */
static void srv_handler_check(const struct srv *srv, const struct srv_handler *h)
{
    KS_ASSERT(h->fn != NULL);
    KS_ASSERT(h->api_key != API_API_VERSIONS); /* answered by the server */
    KS_ASSERT(srv_handler_find(srv, h->api_key) == NULL);
    KS_ASSERT(h->version_min <= h->version_max);
    KS_ASSERT(api_version_implemented(h->api_key, h->version_min));
    KS_ASSERT(api_version_implemented(h->api_key, h->version_max));
}

void srv_api_versions_build(const struct srv *srv, struct api_versions_response *out)
{
    memset(out, 0, sizeof(*out));
    out->finalized_features_epoch = -1;
    /* Walk keys in order, so the list is sorted by key as Kafka sends it. */
    for (int16_t key = 0; key <= API_KEY_MAX; key++) {
        const struct srv_handler *h = srv_handler_find(srv, key);
        if (h == NULL && key != API_API_VERSIONS)
            continue;
        KS_ASSERT(out->key_count < API_VERSIONS_KEYS_MAX);
        struct api_versions_key *entry = &out->keys[out->key_count++];
        entry->api_key = key;
        entry->version_min = h != NULL ? h->version_min : API_VERSIONS_VERSION_MIN;
        entry->version_max = h != NULL ? h->version_max : API_VERSIONS_VERSION_MAX;
    }
    KS_ASSERT(out->key_count == srv->handler_count + 1);
}

struct srv *srv_create(struct env *env, const struct srv_config *config,
                       const struct srv_handler *handlers, uint32_t handler_count)
{
    KS_ASSERT(handler_count <= SRV_HANDLERS_MAX);
    KS_ASSERT(config->request_size_bytes_max <= INT32_MAX);
    KS_ASSERT(config->conns_max > 0);
    KS_ASSERT(config->conns_max <= SRV_CONNS_MAX_LIMIT);
    struct srv *srv = ks_alloc(sizeof(*srv));
    srv->env = env;
    srv->config = *config;
    srv->state = SRV_CREATED;
    for (uint32_t i = 0; i < handler_count; i++) {
        srv_handler_check(srv, &handlers[i]);
        srv->handlers[srv->handler_count++] = handlers[i];
    }
    return srv;
}

void srv_handler_add(struct srv *srv, const struct srv_handler *handler)
{
    KS_ASSERT(srv->handler_count < SRV_HANDLERS_MAX);
    KS_ASSERT(srv->state != SRV_SHUT_DOWN);
    KS_ASSERT(handler->fn != NULL);
    KS_ASSERT(api_info(handler->api_key) != NULL);
    KS_ASSERT(handler->api_key != API_API_VERSIONS);
    KS_ASSERT(srv_handler_find(srv, handler->api_key) == NULL);
    KS_ASSERT(handler->version_min >= 0);
    KS_ASSERT(handler->version_min <= handler->version_max);
    srv->handlers[srv->handler_count++] = *handler;
}

/* ---- Connections: list, close, free ------------------------------------------------- */

static void srv_conn_unlink(struct srv *srv, struct srv_conn *c)
{
    KS_ASSERT(srv->conn_count > 0);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        srv->conn_first = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    else
        srv->conn_last = c->prev;
    srv->conn_count--;
}

static void srv_conn_read_ahead_drop(struct srv_conn *c)
{
    uint32_t waiting = c->read_ahead_size - c->read_ahead_offset;
    KS_ASSERT(c->srv->read_ahead_total >= waiting);
    c->srv->read_ahead_total -= waiting;
    c->read_ahead_offset = 0;
    c->read_ahead_size = 0;
}

static void srv_conn_free(struct srv_conn *c)
{
    srv_conn_read_ahead_drop(c);
    srv_conn_unlink(c->srv, c);
    frame_splitter_free(&c->splitter);
    free(c->read_ahead);
    free(c);
}

/* Frees a CLOSED connection once nobody holds it (no live request, no pump running). */
static void srv_conn_release_if_done(struct srv_conn *c)
{
    if (c->state != SRV_CONN_CLOSED || c->request_live || c->pumping)
        return;
    srv_conn_free(c);
}

/* Moves to CLOSED; env_close unless the peer already went. Memory stays while held. */
static void srv_conn_close(struct srv_conn *c, enum srv_close_reason reason)
{
    struct srv *srv = c->srv;
    if (c->state == SRV_CONN_CLOSED)
        return;
    KS_ASSERT((unsigned)reason < KS_ARRAY_COUNT(srv_close_reason_names));
    env_tracef(srv->env, "srv.close", "conn=%llu peer=%s state=%s: %s", (unsigned long long)c->id,
               c->peer_name, srv_conn_state_names[c->state], srv_close_reason_names[reason]);
    if (reason != SRV_CLOSE_PEER)
        env_close(srv->env, c->id);
    srv->stats.closed_invalid += reason == SRV_CLOSE_INVALID;
    srv->stats.closed_too_large += reason == SRV_CLOSE_TOO_LARGE;
    srv->stats.closed_unsupported += reason == SRV_CLOSE_UNSUPPORTED;
    srv->stats.closed_limit += reason == SRV_CLOSE_LIMIT;
    c->state = SRV_CONN_CLOSED;
    srv_conn_read_ahead_drop(c);
    KS_ASSERT(srv->stats.conns_open > 0);
    srv->stats.conns_open--;
}

/* ---- Sending ------------------------------------------------------------------------- */

static void srv_conn_send(struct srv_conn *c, const struct wire_writer *frame)
{
    KS_ASSERT(frame->err == KS_OK);
    KS_ASSERT(c->state != SRV_CONN_CLOSED);
    enum ks_err err = env_send(c->srv->env, c->id, frame->bytes, frame->size_bytes);
    if (err != KS_OK)
        srv_conn_close(c, SRV_CLOSE_BROKEN); /* env_close: no on_closed will follow */
}

/* Size, response header, body. Returns false when the body could not be encoded. */
static bool srv_frame_build(struct wire_writer *frame, const struct srv_request *request,
                            const struct wire_writer *body)
{
    int header_version =
        frame_response_header_version(request->header.api_key, request->header.api_version);
    KS_ASSERT(header_version >= 0);
    if (body->err != KS_OK)
        return false;
    uint32_t start = frame_begin(frame);
    frame_response_header_write(frame, header_version, request->header.correlation_id);
    if (body->size_bytes > 0)
        wire_write_raw(frame, body->bytes, body->size_bytes);
    frame_end(frame, start);
    return frame->err == KS_OK;
}

/* ---- Dispatch -------------------------------------------------------------------------- */

static void srv_conn_pump(struct srv_conn *c);

/* The request ends: its frame goes, the connection reads again (or closes). */
static void srv_request_end(struct srv_request *request)
{
    struct srv_conn *c = request->conn;
    struct srv *srv = c->srv;
    KS_ASSERT(c->request_live);
    KS_ASSERT(request == &c->request);
    KS_ASSERT(srv->requests_in_flight > 0);
    c->request_live = false;
    srv->requests_in_flight--;
    frame_splitter_pop(&c->splitter);
    if (c->state == SRV_CONN_MUTED)
        c->state = SRV_CONN_READING;
    if (c->state == SRV_CONN_READING && c->close_after_response)
        srv_conn_close(c, SRV_CLOSE_SHUTDOWN);
    if (c->pumping)
        return; /* the pump loop goes on with the next frame */
    if (c->state == SRV_CONN_READING)
        srv_conn_pump(c);
    else
        srv_conn_release_if_done(c);
}

static void srv_trace_request(struct srv *srv, const struct srv_request *request)
{
    const struct wire_string *id = &request->header.client_id;
    int id_length = id->length < 0 ? 0 : id->length;
    if (id_length > SRV_CLIENT_ID_TRACE_BYTES_MAX)
        id_length = SRV_CLIENT_ID_TRACE_BYTES_MAX;
    env_tracef(srv->env, "srv.request", "conn=%llu %s v%d corr=%d client=%.*s size=%u",
               (unsigned long long)request->conn_id, api_name(request->header.api_key),
               request->header.api_version, request->header.correlation_id, id_length,
               id->length < 0 ? "" : id->chars, request->body_size_bytes);
}

void srv_respond(struct srv_request *request, const struct wire_writer *body)
{
    struct srv_conn *c = request->conn;
    struct srv *srv = c->srv;
    KS_ASSERT(c->request_live);
    if (c->state != SRV_CONN_CLOSED) {
        struct wire_writer frame;
        wire_writer_init(&frame);
        if (srv_frame_build(&frame, request, body)) {
            env_tracef(srv->env, "srv.response", "conn=%llu %s v%d corr=%d size=%u",
                       (unsigned long long)request->conn_id, api_name(request->header.api_key),
                       request->header.api_version, request->header.correlation_id,
                       frame.size_bytes - FRAME_PREFIX_SIZE);
            srv->stats.responses++;
            srv_conn_send(c, &frame);
        } else {
            env_logf(srv->env, ENV_LOG_ERROR,
                     "[SocketServer nodeId=%d] cannot encode %s v%d response: %s",
                     srv->config.node_id, api_name(request->header.api_key),
                     request->header.api_version, ks_err_name(body->err));
            srv_conn_close(c, SRV_CLOSE_HANDLER);
        }
        wire_writer_free(&frame);
    }
    srv_request_end(request);
}

void srv_respond_none(struct srv_request *request)
{
    KS_ASSERT(request->conn->request_live);
    env_tracef(request->conn->srv->env, "srv.response", "conn=%llu %s v%d corr=%d none",
               (unsigned long long)request->conn_id, api_name(request->header.api_key),
               request->header.api_version, request->header.correlation_id);
    request->conn->srv->stats.responses_none++;
    srv_request_end(request);
}

void srv_respond_close(struct srv_request *request)
{
    KS_ASSERT(request->conn->request_live);
    srv_conn_close(request->conn, SRV_CLOSE_INVALID);
    srv_request_end(request);
}

bool srv_request_conn_open(const struct srv_request *request)
{
    KS_ASSERT(request->conn->request_live);
    return request->conn->state != SRV_CONN_CLOSED;
}

/* ApiVersions at any version, from the handler table (KIP-511 fallback included). */
static void srv_answer_api_versions(struct srv *srv, struct srv_request *request)
{
    struct api_versions_response served, answer;
    int16_t response_version = 0;
    srv_api_versions_build(srv, &served);
    enum ks_err err = api_versions_answer_from(request->header.api_version, request->body,
                                               request->body_size_bytes, served.keys,
                                               served.key_count, &answer, &response_version);
    if (err != KS_OK) {
        srv_respond_close(request);
        return;
    }
    struct wire_writer body;
    wire_writer_init(&body);
    api_versions_response_encode(&body, response_version, &answer);
    srv_respond(request, &body);
    wire_writer_free(&body);
}

/* The frame the splitter holds becomes the connection's request, handled now. */
static void srv_conn_dispatch(struct srv_conn *c)
{
    struct srv *srv = c->srv;
    const uint8_t *bytes = NULL;
    uint32_t size_bytes = 0;
    struct wire_reader r;
    KS_ASSERT(c->state == SRV_CONN_READING);
    KS_ASSERT(!c->request_live);
    frame_splitter_frame(&c->splitter, &bytes, &size_bytes);
    wire_reader_init(&r, bytes, size_bytes);
    struct srv_request *request = &c->request;
    memset(request, 0, sizeof(*request));
    if (frame_request_header_read(&r, &request->header, &request->header_version) != KS_OK) {
        env_tracef(srv->env, "srv.bad_header", "conn=%llu key=%d version=%d size=%u",
                   (unsigned long long)c->id, request->header.api_key, request->header.api_version,
                   size_bytes);
        srv_conn_close(c, api_info(request->header.api_key) == NULL && r.offset >= 8
                              ? SRV_CLOSE_UNSUPPORTED
                              : SRV_CLOSE_INVALID);
        return;
    }
    request->body = bytes + r.offset;
    request->body_size_bytes = size_bytes - r.offset;
    request->conn_id = c->id;
    request->peer_name = c->peer_name;
    request->conn = c;
    c->request_live = true;
    c->state = SRV_CONN_MUTED;
    srv->requests_in_flight++;
    srv->stats.requests++;
    srv_trace_request(srv, request);
    int16_t key = request->header.api_key, version = request->header.api_version;
    if (key == API_API_VERSIONS) {
        srv_answer_api_versions(srv, request);
        return;
    }
    const struct srv_handler *h = srv_handler_find(srv, key);
    if (h == NULL || version < h->version_min || version > h->version_max) {
        srv_conn_close(c, SRV_CLOSE_UNSUPPORTED);
        srv_request_end(request);
        return;
    }
    h->fn(h->ctx, request);
}

/* Feeds bytes to the splitter while the connection reads, dispatching each frame.
 * Returns how many bytes it took; the rest must wait (muted) or be dropped (closed). */
static uint32_t srv_conn_feed(struct srv_conn *c, const uint8_t *bytes, uint32_t size_bytes)
{
    uint32_t used = 0;
    KS_ASSERT(c->pumping);
    /* Each pass takes at least one byte or ends a frame taken before, so it ends. */
    while (c->state == SRV_CONN_READING &&
           (used < size_bytes || frame_splitter_ready(&c->splitter))) {
        if (!frame_splitter_ready(&c->splitter)) {
            uint32_t taken = 0;
            enum ks_err err =
                frame_splitter_feed(&c->splitter, bytes + used, size_bytes - used, &taken);
            used += taken;
            if (err != KS_OK) {
                srv_conn_close(c, err == KS_ERR_TOO_MANY ? SRV_CLOSE_TOO_LARGE : SRV_CLOSE_INVALID);
                break;
            }
            if (!frame_splitter_ready(&c->splitter))
                continue;
        }
        srv_conn_dispatch(c);
    }
    KS_ASSERT(used <= size_bytes);
    return used;
}

/* Runs the read-ahead bytes through the splitter while the connection reads. */
static void srv_conn_pump(struct srv_conn *c)
{
    KS_ASSERT(!c->pumping);
    c->pumping = true;
    uint32_t waiting = c->read_ahead_size - c->read_ahead_offset;
    uint32_t used = srv_conn_feed(c, c->read_ahead + c->read_ahead_offset, waiting);
    if (c->state != SRV_CONN_CLOSED) {
        KS_ASSERT(c->srv->read_ahead_total >= used);
        c->read_ahead_offset += used;
        c->srv->read_ahead_total -= used;
        if (c->read_ahead_offset == c->read_ahead_size)
            c->read_ahead_offset = c->read_ahead_size = 0;
    }
    c->pumping = false;
    srv_conn_release_if_done(c);
}

/* ---- Receiving --------------------------------------------------------------------------- */

/* Keeps bytes for later. Returns false when a read-ahead bound would be passed. */
static bool srv_conn_read_ahead_add(struct srv_conn *c, const uint8_t *bytes, uint32_t n)
{
    struct srv *srv = c->srv;
    uint64_t waiting = c->read_ahead_size - c->read_ahead_offset;
    if (waiting + n > srv->config.read_ahead_bytes_max ||
        srv->read_ahead_total + n > srv->config.read_ahead_bytes_total_max)
        return false;
    if (c->read_ahead_offset > 0) { /* compact: what waits moves to the front */
        memmove(c->read_ahead, c->read_ahead + c->read_ahead_offset, (size_t)waiting);
        c->read_ahead_offset = 0;
        c->read_ahead_size = (uint32_t)waiting;
    }
    uint64_t need = waiting + n;
    if (need > c->read_ahead_capacity) {
        uint64_t capacity = c->read_ahead_capacity < SRV_READ_AHEAD_CAPACITY_MIN
                                ? SRV_READ_AHEAD_CAPACITY_MIN
                                : (uint64_t)c->read_ahead_capacity * 2;
        capacity = capacity < need ? need : capacity;
        c->read_ahead = ks_realloc(c->read_ahead, (size_t)capacity);
        c->read_ahead_capacity = (uint32_t)capacity;
    }
    memcpy(c->read_ahead + c->read_ahead_size, bytes, n);
    c->read_ahead_size += n;
    srv->read_ahead_total += n;
    return true;
}

static void srv_on_recv(void *ctx, env_conn_id conn, const uint8_t *bytes, uint32_t size_bytes)
{
    struct srv_conn *c = ctx;
    KS_ASSERT(c->id == conn);
    if (c->state == SRV_CONN_CLOSED)
        return; /* closed by us, input discarded */
    uint32_t used = 0;
    if (c->state == SRV_CONN_READING && c->read_ahead_size == c->read_ahead_offset) {
        c->pumping = true; /* fast path: straight from the chunk */
        used = srv_conn_feed(c, bytes, size_bytes);
        c->pumping = false;
    }
    if (c->state != SRV_CONN_CLOSED && used < size_bytes) {
        if (!srv_conn_read_ahead_add(c, bytes + used, size_bytes - used)) {
            env_logf(c->srv->env, ENV_LOG_WARN,
                     "[SocketServer nodeId=%d] closing %s: read-ahead past its bound while a "
                     "request is in flight",
                     c->srv->config.node_id, c->peer_name);
            srv_conn_close(c, SRV_CLOSE_LIMIT);
        } else if (c->state == SRV_CONN_READING) {
            srv_conn_pump(c);
            return;
        }
    }
    srv_conn_release_if_done(c);
}

static void srv_on_closed(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct srv_conn *c = ctx;
    KS_ASSERT(c->id == conn);
    KS_ASSERT(!c->pumping);
    srv_conn_close(c, SRV_CLOSE_PEER);
    srv_conn_release_if_done(c);
}

static void srv_on_open(void *ctx, env_conn_id conn, enum ks_err err)
{
    KS_UNREACHABLE(); /* accepted connections never get on_open */
}

static const struct env_conn_handler srv_conn_handler = {srv_on_open, srv_on_recv, srv_on_closed};

/* A refused connection: closed inside the accept call, so no callback ever comes. */
static void srv_refused_recv(void *ctx, env_conn_id conn, const uint8_t *b, uint32_t n) {}
static void srv_refused_closed(void *ctx, env_conn_id conn, enum ks_err err) {}
static const struct env_conn_handler srv_refused_handler = {srv_on_open, srv_refused_recv,
                                                            srv_refused_closed};

static void srv_on_accept(void *ctx, env_conn_id conn, const char *peer_name,
                          const struct env_conn_handler **handler_out, void **conn_ctx_out)
{
    struct srv *srv = ctx;
    if (srv->state != SRV_LISTENING || srv->stats.conns_open >= srv->config.conns_max) {
        env_tracef(srv->env, "srv.refuse", "conn=%llu peer=%s: %s", (unsigned long long)conn,
                   peer_name, srv->state != SRV_LISTENING ? "shutting down" : "max.connections");
        srv->stats.closed_limit += srv->state == SRV_LISTENING;
        *handler_out = &srv_refused_handler;
        *conn_ctx_out = srv;
        env_close(srv->env, conn);
        return;
    }
    struct srv_conn *c = ks_alloc(sizeof(*c));
    c->srv = srv;
    c->id = conn;
    c->state = SRV_CONN_READING;
    frame_splitter_init(&c->splitter, srv->config.request_size_bytes_max);
    snprintf(c->peer_name, sizeof(c->peer_name), "%s", peer_name != NULL ? peer_name : "?");
    c->prev = srv->conn_last;
    if (srv->conn_last != NULL)
        srv->conn_last->next = c;
    else
        srv->conn_first = c;
    srv->conn_last = c;
    srv->conn_count++;
    srv->stats.accepted++;
    srv->stats.conns_open++;
    KS_ASSERT(srv->stats.conns_open <= srv->conn_count);
    env_tracef(srv->env, "srv.accept", "conn=%llu peer=%s", (unsigned long long)conn, c->peer_name);
    *handler_out = &srv_conn_handler;
    *conn_ctx_out = c;
}

enum ks_err srv_listen(struct srv *srv, uint16_t port)
{
    KS_ASSERT(srv->state != SRV_SHUT_DOWN);
    if (srv->port_count == SRV_LISTENERS_MAX)
        return KS_ERR_TOO_MANY;
    enum ks_err err = env_listen(srv->env, port, srv_on_accept, srv);
    if (err != KS_OK)
        return err;
    srv->ports[srv->port_count++] = port;
    srv->state = SRV_LISTENING;
    env_tracef(srv->env, "srv.listen", "port=%u apis=%u", port, srv->handler_count + 1);
    return KS_OK;
}

/* ---- Shutdown, stats, free ----------------------------------------------------------------- */

void srv_shutdown(struct srv *srv)
{
    KS_ASSERT(srv->state != SRV_SHUT_DOWN);
    srv->state = SRV_SHUT_DOWN;
    env_tracef(srv->env, "srv.shutdown", "conns=%u in_flight=%u", srv->stats.conns_open,
               srv->requests_in_flight);
    /* Closing may free the connection, so take the next one first. The list is
     * finite and nothing is added to it (accepting stopped). */
    struct srv_conn *next = NULL;
    for (struct srv_conn *c = srv->conn_first; c != NULL; c = next) {
        next = c->next;
        if (c->state == SRV_CONN_CLOSED)
            continue;
        if (c->request_live) {
            c->close_after_response = true;
            srv_conn_read_ahead_drop(c);
            continue;
        }
        srv_conn_close(c, SRV_CLOSE_SHUTDOWN);
        srv_conn_release_if_done(c);
    }
}

bool srv_drained(const struct srv *srv)
{
    return srv->requests_in_flight == 0;
}

void srv_stats_get(const struct srv *srv, struct srv_stats *out)
{
    *out = srv->stats;
}

void srv_free(struct srv *srv)
{
    if (srv == NULL)
        return;
    /* Bounded by conn_count: each pass frees one connection. */
    while (srv->conn_first != NULL) {
        struct srv_conn *c = srv->conn_first;
        if (c->state != SRV_CONN_CLOSED)
            srv_conn_close(c, SRV_CLOSE_SHUTDOWN);
        if (c->request_live)
            srv->requests_in_flight--;
        srv_conn_free(c);
    }
    KS_ASSERT(srv->conn_count == 0);
    KS_ASSERT(srv->read_ahead_total == 0);
    free(srv);
}

void srv_abandon(struct srv *srv)
{
    if (srv == NULL)
        return;
    /* Bounded by conn_count: each pass frees one connection. */
    while (srv->conn_first != NULL) {
        struct srv_conn *c = srv->conn_first;
        if (c->state != SRV_CONN_CLOSED) {
            KS_ASSERT(srv->stats.conns_open > 0);
            srv->stats.conns_open--;
            c->state = SRV_CONN_CLOSED;
        }
        if (c->request_live)
            srv->requests_in_flight--;
        srv_conn_free(c);
    }
    KS_ASSERT(srv->requests_in_flight == 0);
    KS_ASSERT(srv->read_ahead_total == 0);
    free(srv);
}

/* ---- Held requests ------------------------------------------------------------------- */

void srv_call_link(struct srv_calls *list, struct srv_call *call, struct srv_request *request)
{
    KS_ASSERT(list != NULL && call != NULL && request != NULL);
    call->list = list;
    call->request = request;
    call->prev = NULL;
    call->next = list->first;
    if (list->first != NULL)
        list->first->prev = call;
    list->first = call;
    list->count++;
}

struct srv_request *srv_call_unlink(struct srv_call *call)
{
    struct srv_calls *list = call->list;
    KS_ASSERT(list != NULL && list->count > 0);
    if (call->prev != NULL)
        call->prev->next = call->next;
    else
        list->first = call->next;
    if (call->next != NULL)
        call->next->prev = call->prev;
    list->count--;
    call->list = NULL;
    return call->request;
}
