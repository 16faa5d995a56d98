/*
 * raft_net.c: framing and connections between KRaft voters, see raft_net.h. Kafka:
 * KafkaNetworkChannel, NetworkClient's in-flight requests; the inbound side is srv.h
 * (SocketServer and RequestChannel on the controller listener).
 */
#include "system/raft/raft_net.h"

#include "system/proto/api.h"
#include "system/proto/api_begin_quorum_epoch.h"
#include "system/proto/api_end_quorum_epoch.h"
#include "system/proto/api_fetch.h"
#include "system/proto/api_fetch_snapshot.h"
#include "system/proto/api_vote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAFT_NET_CLIENT_ID_BYTES_MAX 32u

enum peer_state { PEER_IDLE, PEER_CONNECTING, PEER_OPEN };

/* A request sent (frame NULL) or waiting for its connection to open (frame owned). */
struct net_request {
    int32_t correlation_id;
    int16_t api_key;
    int16_t api_version;
    uint64_t cookie;
    uint8_t *frame;
    uint32_t frame_size;
};

struct net_peer {
    struct raft_net *net;
    int32_t id;
    enum peer_state state;
    env_conn_id conn;
    uint64_t generation; /* bumped on every reset: callbacks detect a reset under them */
    struct frame_splitter splitter;
    struct net_request requests[RAFT_NET_INFLIGHT_MAX]; /* oldest first */
    uint32_t request_count;
};

struct raft_net {
    struct env *env;
    const struct raft_config *config;
    const struct raft_net_handler *handler;
    void *ctx;
    char client_id[RAFT_NET_CLIENT_ID_BYTES_MAX];
    int32_t correlation_next;
    struct net_peer peers[RAFT_VOTERS_MAX]; /* by voter index; own index unused */
    struct srv *srv; /* the controller listener, once listening */
};

struct raft_net *raft_net_create(struct env *env, const struct raft_config *config,
                                 const struct raft_net_handler *handler, void *ctx)
{
    struct raft_net *net = ks_alloc(sizeof(*net));
    net->env = env;
    net->config = config;
    net->handler = handler;
    net->ctx = ctx;
    snprintf(net->client_id, sizeof(net->client_id), "raft-client-%d", config->node_id);
    for (uint32_t i = 0; i < config->voter_count; i++) {
        net->peers[i].net = net;
        net->peers[i].id = config->voters[i].id;
    }
    return net;
}

static struct net_peer *net_peer_of(struct raft_net *net, int32_t peer_id)
{
    int index = raft_config_voter_index(net->config, peer_id);
    KS_ASSERT(index >= 0);
    KS_ASSERT(peer_id != net->config->node_id);
    return &net->peers[index];
}

uint32_t raft_net_inflight(const struct raft_net *net, int32_t peer_id)
{
    int index = raft_config_voter_index(net->config, peer_id);
    KS_ASSERT(index >= 0);
    return net->peers[index].request_count;
}

/* Drops the peer's connection state; returns the requests it held (frames freed). */
static uint32_t net_peer_clear(struct net_peer *peer, struct net_request *failed)
{
    uint32_t count = peer->request_count;
    KS_ASSERT(count <= RAFT_NET_INFLIGHT_MAX);
    for (uint32_t i = 0; i < count; i++) {
        free(peer->requests[i].frame);
        peer->requests[i].frame = NULL;
        failed[i] = peer->requests[i];
    }
    if (peer->state != PEER_IDLE)
        frame_splitter_free(&peer->splitter);
    peer->request_count = 0;
    peer->state = PEER_IDLE;
    peer->conn = 0;
    peer->generation++;
    return count;
}

/* Clears the peer, then tells the handler about each lost request. */
static void net_peer_fail(struct net_peer *peer)
{
    struct net_request failed[RAFT_NET_INFLIGHT_MAX];
    struct raft_net *net = peer->net;
    uint32_t count = net_peer_clear(peer, failed);
    for (uint32_t i = 0; i < count; i++)
        net->handler->on_failure(net->ctx, peer->id, failed[i].api_key, failed[i].cookie);
}

void raft_net_reset_peer(struct raft_net *net, int32_t peer_id)
{
    struct net_peer *peer = net_peer_of(net, peer_id);
    if (peer->state == PEER_IDLE)
        return;
    env_close(net->env, peer->conn);
    net_peer_fail(peer);
    KS_ASSERT(peer->state == PEER_IDLE);
}

/* ---- outbound ---- */

static void peer_on_open(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct net_peer *peer = ctx;
    KS_ASSERT(peer->conn == conn);
    KS_ASSERT(peer->state == PEER_CONNECTING);
    if (err != KS_OK) {
        net_peer_fail(peer);
        return;
    }
    peer->state = PEER_OPEN;
    for (uint32_t i = 0; i < peer->request_count; i++) {
        struct net_request *req = &peer->requests[i];
        KS_ASSERT(req->frame != NULL);
        err = env_send(peer->net->env, conn, req->frame, req->frame_size);
        free(req->frame);
        req->frame = NULL;
        if (err != KS_OK)
            return; /* on_closed follows and fails them all */
    }
}

/* Handles one response frame; returns false when the connection must go. */
static bool peer_on_frame(struct net_peer *peer, const uint8_t *bytes, uint32_t size_bytes)
{
    struct raft_net *net = peer->net;
    if (peer->request_count == 0)
        return false; /* a response nobody asked for */
    struct net_request req = peer->requests[0];
    KS_ASSERT(req.frame == NULL);
    struct wire_reader r;
    int32_t correlation_id = 0;
    int version = frame_response_header_version(req.api_key, req.api_version);
    wire_reader_init(&r, bytes, size_bytes);
    if (frame_response_header_read(&r, version, &correlation_id) != KS_OK ||
        correlation_id != req.correlation_id)
        return false;
    memmove(&peer->requests[0], &peer->requests[1],
            (peer->request_count - 1) * sizeof(peer->requests[0]));
    peer->request_count--;
    net->handler->on_response(net->ctx, peer->id, req.api_key, req.cookie, bytes + r.offset,
                              size_bytes - r.offset);
    return true;
}

static void peer_on_recv(void *ctx, env_conn_id conn, const uint8_t *bytes, uint32_t size_bytes)
{
    struct net_peer *peer = ctx;
    KS_ASSERT(peer->conn == conn);
    KS_ASSERT(peer->state == PEER_OPEN);
    uint64_t generation = peer->generation;
    uint32_t offset = 0;
    while (offset < size_bytes) { /* each round consumes bytes or pops a frame */
        uint32_t consumed = 0;
        if (frame_splitter_feed(&peer->splitter, bytes + offset, size_bytes - offset, &consumed) !=
            KS_OK) {
            raft_net_reset_peer(peer->net, peer->id);
            return;
        }
        offset += consumed;
        if (!frame_splitter_ready(&peer->splitter))
            continue;
        const uint8_t *frame = NULL;
        uint32_t frame_size = 0;
        frame_splitter_frame(&peer->splitter, &frame, &frame_size);
        bool ok = peer_on_frame(peer, frame, frame_size);
        if (peer->generation != generation)
            return; /* reset under us */
        if (!ok) {
            raft_net_reset_peer(peer->net, peer->id);
            return;
        }
        frame_splitter_pop(&peer->splitter);
    }
}

static void peer_on_closed(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct net_peer *peer = ctx;
    KS_ASSERT(peer->conn == conn);
    net_peer_fail(peer);
}

static const struct env_conn_handler peer_handler = {peer_on_open, peer_on_recv, peer_on_closed};

static enum ks_err net_peer_connect(struct raft_net *net, struct net_peer *peer)
{
    int index = raft_config_voter_index(net->config, peer->id);
    const struct raft_voter *voter = &net->config->voters[index];
    KS_ASSERT(peer->state == PEER_IDLE);
    enum ks_err err =
        env_connect(net->env, voter->host, voter->port, &peer_handler, peer, &peer->conn);
    if (err != KS_OK) {
        peer->conn = 0;
        return err;
    }
    peer->state = PEER_CONNECTING;
    frame_splitter_init(&peer->splitter, RAFT_NET_FRAME_BYTES_MAX);
    return KS_OK;
}

/* Builds the request frame: size, header, body. */
static void net_frame_request(struct raft_net *net, struct wire_writer *frame, int16_t api_key,
                              int16_t api_version, int32_t correlation_id,
                              const struct wire_writer *body)
{
    struct frame_request_header header = {
        .api_key = api_key,
        .api_version = api_version,
        .correlation_id = correlation_id,
        .client_id = wire_string_from(net->client_id),
    };
    uint32_t start = frame_begin(frame);
    frame_request_header_write(frame, frame_request_header_version(api_key, api_version), &header);
    wire_write_raw(frame, body->bytes, body->size_bytes);
    frame_end(frame, start);
}

enum ks_err raft_net_send(struct raft_net *net, int32_t peer_id, int16_t api_key,
                          int16_t api_version, const struct wire_writer *body, uint64_t cookie)
{
    struct net_peer *peer = net_peer_of(net, peer_id);
    if (body->err != KS_OK)
        return KS_ERR_INVALID;
    if (peer->request_count == RAFT_NET_INFLIGHT_MAX)
        return KS_ERR_TOO_MANY;
    if (peer->state == PEER_IDLE) {
        enum ks_err err = net_peer_connect(net, peer);
        if (err != KS_OK)
            return err;
    }
    struct wire_writer frame;
    wire_writer_init(&frame);
    int32_t correlation_id = net->correlation_next++;
    if (net->correlation_next == INT32_MAX)
        net->correlation_next = 0;
    net_frame_request(net, &frame, api_key, api_version, correlation_id, body);
    KS_ASSERT(frame.err == KS_OK);
    struct net_request *req = &peer->requests[peer->request_count];
    *req = (struct net_request){correlation_id, api_key, api_version, cookie, NULL, 0};
    if (peer->state == PEER_CONNECTING) {
        req->frame = wire_writer_release(&frame, &req->frame_size);
    } else {
        enum ks_err err = env_send(net->env, peer->conn, frame.bytes, frame.size_bytes);
        wire_writer_free(&frame);
        if (err != KS_OK)
            return err; /* on_closed will follow for the others */
    }
    peer->request_count++;
    return KS_OK;
}

/* ---- inbound: the Raft rows of the controller listener's server ---- */

/* Answers one Raft request at once; a request on_request refuses closes the
 * connection, as Kafka does. */
static void net_on_srv_request(void *ctx, struct srv_request *request)
{
    struct raft_net *net = ctx;
    struct wire_writer body;
    wire_writer_init(&body);
    enum ks_err err = net->handler->on_request(net->ctx, &request->header, request->body,
                                               request->body_size_bytes, &body);
    if (err == KS_OK && body.err == KS_OK)
        srv_respond(request, &body);
    else
        srv_respond_close(request);
    wire_writer_free(&body);
}

/* The Raft APIs and the versions raft.c decodes. */
static const struct {
    int16_t api_key;
    int16_t version_min;
    int16_t version_max;
} net_rows[RAFT_NET_SRV_ROWS] = {
    {API_VOTE, API_VOTE_VERSION_MIN, API_VOTE_VERSION_MAX},
    {API_BEGIN_QUORUM_EPOCH, API_BEGIN_QUORUM_EPOCH_VERSION_MIN,
     API_BEGIN_QUORUM_EPOCH_VERSION_MAX},
    {API_END_QUORUM_EPOCH, API_END_QUORUM_EPOCH_VERSION_MIN, API_END_QUORUM_EPOCH_VERSION_MAX},
    {API_FETCH, API_FETCH_KRAFT_VERSION_MIN, API_FETCH_KRAFT_VERSION_MAX},
    {API_FETCH_SNAPSHOT, API_FETCH_SNAPSHOT_VERSION_MIN, API_FETCH_SNAPSHOT_VERSION_MAX},
};

uint32_t raft_net_handlers_build(struct raft_net *net, struct srv_handler *rows,
                                 uint32_t rows_max)
{
    KS_ASSERT(rows_max >= RAFT_NET_SRV_ROWS);
    for (uint32_t i = 0; i < RAFT_NET_SRV_ROWS; i++)
        rows[i] = (struct srv_handler){net_rows[i].api_key, net_rows[i].version_min,
                                       net_rows[i].version_max, net_on_srv_request, net};
    return RAFT_NET_SRV_ROWS;
}

enum ks_err raft_net_listen(struct raft_net *net)
{
    struct srv_handler rows[RAFT_NET_SRV_ROWS];
    struct srv_config config;
    KS_ASSERT(net->srv == NULL);
    srv_config_default(&config);
    config.node_id = net->config->node_id;
    config.request_size_bytes_max = RAFT_NET_FRAME_BYTES_MAX;
    config.conns_max = RAFT_NET_INBOUND_MAX;
    uint32_t count = raft_net_handlers_build(net, rows, RAFT_NET_SRV_ROWS);
    net->srv = srv_create(net->env, &config, NULL, 0);
    for (uint32_t i = 0; i < count; i++) /* not in api.h's broker-listener range */
        srv_handler_add(net->srv, &rows[i]);
    enum ks_err err = srv_listen(net->srv, net->config->listener_port);
    if (err != KS_OK) {
        srv_abandon(net->srv);
        net->srv = NULL;
    }
    return err;
}

struct srv *raft_net_srv(struct raft_net *net)
{
    return net->srv;
}

/* ---- shutdown ---- */

void raft_net_close_all(struct raft_net *net)
{
    struct net_request dropped[RAFT_NET_INFLIGHT_MAX];
    for (uint32_t i = 0; i < net->config->voter_count; i++) {
        struct net_peer *peer = &net->peers[i];
        if (peer->state != PEER_IDLE)
            env_close(net->env, peer->conn);
        if (peer->state != PEER_IDLE)
            net_peer_clear(peer, dropped);
    }
    if (net->srv != NULL)
        srv_shutdown(net->srv);
}

void raft_net_free(struct raft_net *net)
{
    if (net == NULL)
        return;
    for (uint32_t i = 0; i < net->config->voter_count; i++) {
        struct net_peer *peer = &net->peers[i];
        for (uint32_t j = 0; j < peer->request_count; j++)
            free(peer->requests[j].frame);
        if (peer->state != PEER_IDLE)
            frame_splitter_free(&peer->splitter);
    }
    srv_abandon(net->srv);
    free(net);
}
