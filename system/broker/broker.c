/*
 * broker.c: a broker node, see broker.h. Kafka: BrokerServer, KafkaApis, and a small
 * SocketServer stand-in (one request at a time per connection).
 */
#include "broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bclient.h"
#include "system/proto/api.h"

struct broker_conn {
    struct broker *broker;
    env_conn_id id;
    bool open; /* false: closed while a request was with the replica manager */
    bool busy; /* a request is with the replica manager */
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    struct frame_splitter splitter;
    uint8_t *ahead; /* bytes received, not yet split */
    uint32_t ahead_size;
    env_timer_id timer; /* pump after an answer */
};

static void broker_conn_pump(struct broker_conn *c);

/* ---- Connections -------------------------------------------------------------------- */

static void broker_conn_free(struct broker_conn *c)
{
    struct broker *b = c->broker;
    for (uint32_t i = 0; i < b->conn_count; i++) {
        if (b->conns[i] == c) {
            memmove(&b->conns[i], &b->conns[i + 1], (b->conn_count - i - 1) * sizeof(*b->conns));
            b->conn_count--;
            break;
        }
    }
    if (c->timer != 0)
        env_timer_cancel(b->env, c->timer);
    frame_splitter_free(&c->splitter);
    free(c->ahead);
    free(c);
}

static void broker_conn_close(struct broker_conn *c)
{
    KS_ASSERT(c->open);
    env_close(c->broker->env, c->id);
    c->open = false;
    if (!c->busy)
        broker_conn_free(c);
}

static void broker_conn_timer_fire(void *ctx)
{
    struct broker_conn *c = ctx;
    c->timer = 0;
    broker_conn_pump(c);
}

/* Sends the answer (body NULL: none, as for acks=0) and lets the next request in. */
static void broker_conn_answer(struct broker_conn *c, struct wire_writer *body)
{
    KS_ASSERT(c->busy);
    c->busy = false;
    if (!c->open) {
        broker_conn_free(c);
        return;
    }
    if (body != NULL) {
        struct wire_writer w;
        wire_writer_init(&w);
        uint32_t start = frame_begin(&w);
        frame_response_header_write(&w, frame_response_header_version(c->api_key, c->api_version),
                                    c->correlation_id);
        wire_write_raw(&w, body->bytes, body->size_bytes);
        frame_end(&w, start);
        enum ks_err err = body->err != KS_OK || w.err != KS_OK
                              ? KS_ERR_INVALID
                              : env_send(c->broker->env, c->id, w.bytes, w.size_bytes);
        wire_writer_free(&w);
        if (err != KS_OK) {
            broker_conn_close(c);
            return;
        }
    }
    if (c->timer == 0)
        c->timer = env_timer_start(c->broker->env, 0, broker_conn_timer_fire, c);
}

static void broker_produce_done(void *ctx, const struct api_produce_response *response)
{
    struct broker_conn *c = ctx;
    if (response == NULL) {
        broker_conn_answer(c, NULL);
        return;
    }
    struct wire_writer w;
    wire_writer_init(&w);
    api_produce_response_encode(&w, c->api_version, response);
    broker_conn_answer(c, &w);
    wire_writer_free(&w);
}

static void broker_fetch_done(void *ctx, const struct api_fetch_multi_response *response)
{
    struct broker_conn *c = ctx;
    struct wire_writer w;
    wire_writer_init(&w);
    api_fetch_multi_response_encode(&w, c->api_version, response);
    broker_conn_answer(c, &w);
    wire_writer_free(&w);
}

static void broker_list_offsets_done(void *ctx, const struct api_list_offsets_response *response)
{
    struct broker_conn *c = ctx;
    struct wire_writer w;
    wire_writer_init(&w);
    api_list_offsets_response_encode(&w, c->api_version, response);
    broker_conn_answer(c, &w);
    wire_writer_free(&w);
}

static void broker_epoch_done(void *ctx,
                              const struct api_offsets_for_leader_epoch_response *response)
{
    struct broker_conn *c = ctx;
    struct wire_writer w;
    wire_writer_init(&w);
    api_offsets_for_leader_epoch_response_encode(&w, c->api_version, response);
    broker_conn_answer(c, &w);
    wire_writer_free(&w);
}

/* Metadata and InitProducerId, answered at once from the broker's own state. */
static enum ks_err broker_dispatch_client(struct broker_conn *c, const uint8_t *body, uint32_t size)
{
    struct wire_writer w;
    wire_writer_init(&w);
    enum ks_err err =
        c->api_key == API_METADATA
            ? bclient_metadata(&c->broker->rmgr->image, c->api_version, body, size, &w)
            : bclient_init_producer_id(&c->broker->producer_id_next, c->api_version, body, size,
                                       &w);
    if (err == KS_OK)
        broker_conn_answer(c, &w);
    wire_writer_free(&w);
    return err;
}

/* KafkaApis.handle: decode and hand to the replica manager. Errors close the conn. */
static enum ks_err broker_dispatch(struct broker_conn *c, const uint8_t *body, uint32_t size)
{
    struct rmgr *r = c->broker->rmgr;
    int16_t v = c->api_version;
    enum ks_err err = KS_ERR_UNSUPPORTED_VERSION;
    if (c->api_key == API_METADATA || c->api_key == API_INIT_PRODUCER_ID) {
        err = broker_dispatch_client(c, body, size);
    } else if (c->api_key == API_PRODUCE && v >= API_PRODUCE_VERSION_MIN &&
               v <= API_PRODUCE_VERSION_MAX) {
        struct api_produce_request req;
        if ((err = api_produce_request_decode(v, body, size, &req)) == KS_OK) {
            rmgr_produce(r, &req, broker_produce_done, c);
            api_produce_request_free(&req);
        }
    } else if (c->api_key == API_FETCH && v >= API_FETCH_VERSION_MIN &&
               v <= API_FETCH_VERSION_MAX) {
        struct api_fetch_multi_request req;
        if ((err = api_fetch_multi_request_decode(v, body, size, &req)) == KS_OK) {
            rmgr_fetch(r, v, &req, broker_fetch_done, c);
            api_fetch_multi_request_free(&req);
        }
    } else if (c->api_key == API_LIST_OFFSETS && v >= API_LIST_OFFSETS_VERSION_MIN &&
               v <= API_LIST_OFFSETS_VERSION_MAX) {
        struct api_list_offsets_request req;
        if ((err = api_list_offsets_request_decode(v, body, size, &req)) == KS_OK) {
            rmgr_list_offsets(r, &req, broker_list_offsets_done, c);
            api_list_offsets_request_free(&req);
        }
    } else if (c->api_key == API_OFFSET_FOR_LEADER_EPOCH &&
               v <= API_OFFSETS_FOR_LEADER_EPOCH_VERSION_MAX) {
        struct api_offsets_for_leader_epoch_request req;
        if ((err = api_offsets_for_leader_epoch_request_decode(v, body, size, &req)) == KS_OK) {
            rmgr_offsets_for_leader_epoch(r, &req, broker_epoch_done, c);
            api_offsets_for_leader_epoch_request_free(&req);
        }
    }
    return err;
}

static bool broker_conn_frame(struct broker_conn *c, const uint8_t *bytes, uint32_t size)
{
    struct wire_reader rd;
    wire_reader_init(&rd, bytes, size);
    struct frame_request_header header;
    int header_version = 0;
    if (frame_request_header_read(&rd, &header, &header_version) != KS_OK)
        return false;
    c->api_key = header.api_key;
    c->api_version = header.api_version;
    c->correlation_id = header.correlation_id;
    c->busy = true;
    c->broker->requests++;
    enum ks_err err = broker_dispatch(c, bytes + rd.offset, size - rd.offset);
    if (err != KS_OK)
        c->busy = false;
    return err == KS_OK;
}

/* Hands over the next whole request, unless one is with the replica manager. */
static void broker_conn_pump(struct broker_conn *c)
{
    uint32_t used = 0;
    while (c->open && !c->busy && used < c->ahead_size) {
        uint32_t consumed = 0;
        if (frame_splitter_feed(&c->splitter, c->ahead + used, c->ahead_size - used, &consumed) !=
            KS_OK) {
            broker_conn_close(c);
            return;
        }
        used += consumed;
        if (!frame_splitter_ready(&c->splitter))
            continue;
        const uint8_t *frame = NULL;
        uint32_t frame_size = 0;
        frame_splitter_frame(&c->splitter, &frame, &frame_size);
        bool ok = broker_conn_frame(c, frame, frame_size);
        frame_splitter_pop(&c->splitter);
        if (!ok) {
            broker_conn_close(c);
            return;
        }
    }
    memmove(c->ahead, c->ahead + used, c->ahead_size - used);
    c->ahead_size -= used;
}

static void broker_on_recv(void *ctx, env_conn_id conn, const uint8_t *bytes, uint32_t size)
{
    struct broker_conn *c = ctx;
    KS_ASSERT(conn == c->id);
    if (!c->open)
        return;
    if (c->ahead_size + (uint64_t)size > BROKER_READ_AHEAD_BYTES_MAX) {
        broker_conn_close(c);
        return;
    }
    c->ahead = ks_realloc(c->ahead, c->ahead_size + size);
    memcpy(c->ahead + c->ahead_size, bytes, size);
    c->ahead_size += size;
    broker_conn_pump(c);
}

static void broker_on_closed(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct broker_conn *c = ctx;
    (void)conn;
    (void)err;
    c->open = false;
    if (!c->busy)
        broker_conn_free(c);
}

static void broker_on_open(void *ctx, env_conn_id conn, enum ks_err err)
{
    (void)ctx;
    (void)conn;
    (void)err;
    KS_UNREACHABLE(); /* accepted connections never get on_open */
}

static const struct env_conn_handler broker_conn_handler = {broker_on_open, broker_on_recv,
                                                            broker_on_closed};

static void broker_accept(void *ctx, env_conn_id conn, const char *peer_name,
                          const struct env_conn_handler **handler_out, void **conn_ctx_out)
{
    struct broker *b = ctx;
    (void)peer_name;
    struct broker_conn *c = ks_alloc(sizeof(*c));
    c->broker = b;
    c->id = conn;
    c->open = true;
    frame_splitter_init(&c->splitter, BROKER_FRAME_BYTES_MAX);
    *handler_out = &broker_conn_handler;
    *conn_ctx_out = c;
    if (b->conn_count == BROKER_CONNS_MAX) {
        broker_conn_close(c);
        return;
    }
    b->conns = ks_realloc(b->conns, (b->conn_count + 1) * sizeof(*b->conns));
    b->conns[b->conn_count++] = c;
}

/* ---- Node --------------------------------------------------------------------------- */

static void broker_alter_thunk(void *ctx, const struct pchange_alter *alter)
{
    struct broker *b = ctx;
    if (b->alter_fn != NULL)
        b->alter_fn(b->alter_ctx, alter);
}

/* ---- KRaft: the net to the controllers, routed to bmeta and blife ---------------- */

static enum ks_err broker_net_request(void *ctx, const struct frame_request_header *header,
                                      const uint8_t *body, uint32_t size_bytes,
                                      struct wire_writer *response)
{
    (void)ctx;
    (void)header;
    (void)body;
    (void)size_bytes;
    (void)response;
    return KS_ERR_INVALID; /* a broker does not listen on the controller port */
}

static void broker_net_response(void *ctx, int32_t peer_id, int16_t api_key, uint64_t cookie,
                                const uint8_t *body, uint32_t size_bytes)
{
    struct broker *b = ctx;
    if (api_key == API_FETCH)
        bmeta_on_response(b->meta, peer_id, cookie, body, size_bytes);
    else
        blife_on_response(b->life, peer_id, api_key, cookie, body, size_bytes);
}

static void broker_net_failure(void *ctx, int32_t peer_id, int16_t api_key, uint64_t cookie)
{
    struct broker *b = ctx;
    if (api_key == API_FETCH)
        bmeta_on_failure(b->meta, peer_id, cookie);
    else
        blife_on_failure(b->life, peer_id, cookie);
}

static const struct raft_net_handler broker_net_handler = {broker_net_request, broker_net_response,
                                                           broker_net_failure};

/* BrokerMetadataPublisher: a new image reaches the replica manager. */
static void broker_publish(void *ctx, const struct mimage *img)
{
    struct broker *b = ctx;
    if (broker_apply_image(b, img) != KS_OK)
        env_logf(b->env, ENV_LOG_WARN, "broker %d: image at %lld not applied", b->broker_id,
                 (long long)img->offset);
}

/* controller.quorum.voters parsed as raft does; raft insists node.id is a voter, so it
 * parses a copy naming the first voter, then the broker's id goes back in. */
static enum ks_err broker_config_quorum(struct broker *b, const struct props *config)
{
    struct props copy;
    props_init(&copy);
    enum ks_err err = props_merge(&copy, config);
    const char *voters = props_get(config, "controller.quorum.voters");
    char first[16] = {0};
    for (uint32_t i = 0;
         voters != NULL && i + 1 < sizeof(first) && voters[i] != '@' && voters[i] != 0; i++)
        first[i] = voters[i];
    if (err == KS_OK)
        err = props_set(&copy, "node.id", first);
    if (err == KS_OK)
        err = raft_config_parse(&copy, &b->quorum);
    props_free(&copy);
    if (err != KS_OK || raft_config_voter_index(&b->quorum, b->broker_id) >= 0)
        return KS_ERR_INVALID_CONFIG; /* a broker is never a voter (combined mode: no) */
    b->quorum.node_id = b->broker_id;
    return KS_OK;
}

/* listeners=PLAINTEXT://host:port (the first); else the node's name and port. */
static enum ks_err broker_config_listener(struct broker *b, const struct props *config)
{
    struct blife_config *lc = &b->life_config;
    const char *listeners = props_get(config, "listeners");
    const char *host = listeners != NULL ? strstr(listeners, "://") : NULL;
    snprintf(lc->host, sizeof(lc->host), "%s",
             b->env->node_name != NULL ? b->env->node_name : "localhost");
    lc->port = b->port;
    if (host != NULL) {
        host += 3;
        const char *colon = strchr(host, ':');
        long port = colon != NULL ? strtol(colon + 1, NULL, 10) : 0;
        if (colon == NULL || port <= 0 || port > UINT16_MAX)
            return KS_ERR_INVALID_CONFIG;
        if (colon > host && (size_t)(colon - host) < sizeof(lc->host))
            snprintf(lc->host, sizeof(lc->host), "%.*s", (int)(colon - host), host);
        lc->port = (uint16_t)port;
        b->port = lc->port;
    }
    return KS_OK;
}

static enum ks_err broker_config_kraft(struct broker *b, const struct props *config)
{
    struct blife_config *lc = &b->life_config;
    int64_t interval = BLIFE_HEARTBEAT_INTERVAL_MS_DEFAULT;
    b->kraft = props_get(config, "controller.quorum.voters") != NULL;
    if (!b->kraft)
        return KS_OK;
    if (broker_config_quorum(b, config) != KS_OK || broker_config_listener(b, config) != KS_OK ||
        props_get_i64(config, "broker.heartbeat.interval.ms", interval, &interval) != KS_OK ||
        interval <= 0 || interval > RAFT_TIMEOUT_MS_MAX)
        return KS_ERR_INVALID_CONFIG;
    lc->broker_id = b->broker_id;
    lc->heartbeat_interval_ms = (uint32_t)interval;
    const char *rack = props_get(config, "broker.rack");
    const char *cluster = props_get(config, "cluster.id");
    snprintf(lc->rack, sizeof(lc->rack), "%s", rack != NULL ? rack : "");
    snprintf(lc->cluster_id, sizeof(lc->cluster_id), "%s", cluster != NULL ? cluster : "");
    return KS_OK;
}

static void broker_start_kraft(struct broker *b)
{
    KS_ASSERT(b->kraft);
    b->net = raft_net_create(b->env, &b->quorum, &broker_net_handler, b);
    b->meta = bmeta_create(b->env, b->net, &b->quorum, broker_publish, b);
    b->life = blife_create(b->env, b->net, &b->quorum, b->meta, &b->life_config);
}

static enum ks_err broker_config(struct broker *b, const struct props *config,
                                 struct rmgr_config *rc, struct plog_config *pc)
{
    int64_t port = BROKER_PORT_DEFAULT;
    if (rmgr_config_from_props(config, rc) != KS_OK ||
        plog_config_from_props(config, pc) != KS_OK ||
        props_get_i64(config, "port", BROKER_PORT_DEFAULT, &port) != KS_OK || port <= 0 ||
        port > UINT16_MAX)
        return KS_ERR_INVALID_CONFIG;
    const char *dir = props_get(config, "log.dir");
    if (dir == NULL)
        dir = props_get(config, "log.dirs"); /* one directory */
    snprintf(b->log_dir, sizeof(b->log_dir), "%s", dir != NULL ? dir : BROKER_LOG_DIR_DEFAULT);
    b->port = (uint16_t)port;
    b->broker_id = rc->broker_id;
    return broker_config_kraft(b, config);
}

void *broker_start(struct env *env, const struct props *config)
{
    struct broker *b = ks_alloc(sizeof(*b));
    b->env = env;
    struct rmgr_config rc;
    struct plog_config pc;
    enum ks_err err = broker_config(b, config, &rc, &pc);
    if (err == KS_OK)
        err = logdir_open(env, b->log_dir, &pc, NULL, NULL, &b->logdir);
    if (err == KS_OK) {
        b->rmgr = rmgr_create(env, &rc, b->logdir, broker_alter_thunk, b);
        err = env_listen(env, b->port, broker_accept, b);
    }
    if (err == KS_OK && b->kraft)
        broker_start_kraft(b);
    if (err != KS_OK) {
        env_logf(env, ENV_LOG_ERROR, "broker start failed: %s", ks_err_name(err));
        broker_destroy(b);
        return NULL;
    }
    b->producer_id_next = (int64_t)b->broker_id << 32 | (int64_t)(env_random(env) & 0xffffu) << 16;
    env_tracef(env, "broker.start", "id=%d port=%u", b->broker_id, b->port);
    return b;
}

void broker_stop(void *node)
{
    struct broker *b = node;
    if (b->kraft) {
        blife_stop(b->life);
        bmeta_stop(b->meta);
        raft_net_close_all(b->net);
    }
    rmgr_free(b->rmgr);
    b->rmgr = NULL;
    for (uint32_t i = 0; i < b->conn_count; i++) {
        if (b->conns[i]->open)
            env_close(b->env, b->conns[i]->id);
        b->conns[i]->open = false;
    }
    if (logdir_close(b->logdir, 0) != KS_OK)
        env_logf(b->env, ENV_LOG_WARN, "broker %d: unclean log dir close", b->broker_id);
    b->logdir = NULL;
}

void broker_destroy(void *node)
{
    struct broker *b = node;
    if (b->rmgr != NULL)
        rmgr_destroy(b->rmgr);
    if (b->logdir != NULL)
        logdir_free(b->logdir);
    for (uint32_t i = 0; i < b->conn_count; i++) {
        frame_splitter_free(&b->conns[i]->splitter);
        free(b->conns[i]->ahead);
        free(b->conns[i]);
    }
    free(b->conns);
    if (b->net != NULL)
        raft_net_free(b->net);
    bmeta_free(b->meta);
    if (b->life != NULL)
        blife_free(b->life);
    free(b);
}

void broker_describe(void *node, char *buf, size_t buf_bytes)
{
    struct broker *b = node;
    if (!b->kraft) {
        snprintf(buf, buf_bytes, "broker %d (static metadata)", b->broker_id);
        return;
    }
    snprintf(buf, buf_bytes, "broker %d %s fenced=%d epoch=%lld metadata=%lld controller=%d",
             b->broker_id, blife_state_name(b->life->state), b->life->fenced,
             (long long)b->life->broker_epoch, (long long)bmeta_applied_offset(b->meta),
             bmeta_leader_id(b->meta));
}

void broker_begin_controlled_shutdown(struct broker *b)
{
    if (b->kraft)
        blife_begin_controlled_shutdown(b->life);
}

bool broker_shutdown_ready(const struct broker *b)
{
    return !b->kraft || blife_shutdown_ready(b->life);
}

enum ks_err broker_apply_image(struct broker *b, const struct mimage *img)
{
    KS_ASSERT(b->rmgr != NULL);
    return rmgr_apply_image(b->rmgr, img);
}

void broker_set_alter_partition(struct broker *b, rmgr_alter_partition_fn fn, void *ctx)
{
    b->alter_fn = fn;
    b->alter_ctx = ctx;
}
