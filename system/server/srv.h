/*
 * srv.h: the request server every Kafka node runs on its listeners: accept
 * connections, split frames, read request headers, hand each request to the handler
 * of its API key and send the answers back. Kafka: SocketServer (Acceptor, Processor,
 * socket.request.max.bytes, max.connections), RequestChannel (a connection's channel is
 * muted while its request is being handled, so requests are handled one at a time per
 * connection and answered in order), KafkaApis.handle (dispatch by API key),
 * ApiVersionsRequest handling (KIP-35, KIP-511 fallback).
 *
 * Written against env.h only: the same server runs under simulation and for real.
 *
 * What the server does by itself, as Kafka does:
 *  - A frame above socket.request.max.bytes, or with a negative size, closes the
 *    connection (InvalidReceiveException).
 *  - A header that does not decode, an API key this server has no handler for, or a
 *    version outside its handler's range closes the connection.
 *  - ApiVersions (key 18) is answered here at every version: 0..3 from the handler
 *    table (the advertised list is exactly what the table serves, plus ApiVersions),
 *    any other version with the v0 fallback (UNSUPPORTED_VERSION listing ApiVersions
 *    0-3), a v3 body that does not decode closes the connection, bad client software
 *    names get INVALID_REQUEST.
 *  - One request at a time per connection: while a request is with its handler, bytes
 *    that arrive wait in the connection's read-ahead buffer (bounded per connection
 *    and over the server; past a bound the connection closes, since env.h cannot stop
 *    reading a socket the way Kafka mutes a channel). The answer may come at once or
 *    later (a delayed produce or fetch); either way the next request is handled only
 *    after it, so responses go out in request order.
 *
 * A handler gets a `struct srv_request *` and must end it exactly once with one of
 * srv_respond (a response body), srv_respond_none (acks=0 Produce: no response) or
 * srv_respond_close (a request it cannot decode: close, as Kafka does), now or later.
 * The request stays valid until then, even when its connection closes meanwhile (the
 * answer is then dropped). srv_free frees every request still with a handler: a
 * handler that holds requests must be stopped before.
 *
 * Trace kinds: srv.request, srv.response (API name, version, correlation id), srv.accept,
 * srv.close (why). No global state; the server owns its connections and their buffers.
 */
#ifndef KS_SERVER_SRV_H
#define KS_SERVER_SRV_H

#include "system/env.h"
#include "system/props.h"
#include "system/proto/api.h"
#include "system/proto/frame.h"

/* Handlers in one server's table, at most (one per API key). */
#define SRV_HANDLERS_MAX 64u
/* Kafka's max.connections is unbounded by default; ours is a named limit. */
#define SRV_CONNS_MAX_DEFAULT 1024u
#define SRV_CONNS_MAX_LIMIT 65536u
/* Bytes read ahead on one connection while its request is with a handler. */
#define SRV_READ_AHEAD_BYTES_MAX_DEFAULT (64u * 1024u * 1024u)
/* Bytes read ahead over all connections (Kafka: queued.max.request.bytes). */
#define SRV_READ_AHEAD_TOTAL_BYTES_MAX_DEFAULT (512ull * 1024u * 1024u)
/* Ports one server listens on. */
#define SRV_LISTENERS_MAX 4u
/* Longest peer name kept for logs. */
#define SRV_PEER_NAME_BYTES_MAX 64u
/* Longest client id shown in a trace line. */
#define SRV_CLIENT_ID_TRACE_BYTES_MAX 64

struct srv_config {
    uint32_t request_size_bytes_max;     /* socket.request.max.bytes, default 104857600 */
    uint32_t conns_max;                  /* max.connections (here: default 1024) */
    uint32_t read_ahead_bytes_max;       /* per connection, while muted */
    uint64_t read_ahead_bytes_total_max; /* queued.max.request.bytes (-1 in Kafka: ours bounded) */
    int32_t node_id;                     /* for log lines: [SocketServer nodeId=N] */
};

/* Kafka's defaults. */
void srv_config_default(struct srv_config *config);
/*
 * Reads socket.request.max.bytes, max.connections and queued.max.request.bytes (-1
 * keeps our bound) over the defaults already in config. Errors: KS_ERR_INVALID_CONFIG
 * for a value that is not a number or out of range; *bad_key_out names it.
 */
KS_MUST_CHECK enum ks_err srv_config_from_props(struct srv_config *config,
                                                const struct props *props,
                                                const char **bad_key_out);

struct srv_conn;

/*
 * One request with its handler. header and body are views into the connection's frame
 * buffer, valid until the request is ended. Fields below `private` are the server's.
 */
struct srv_request {
    struct frame_request_header header;
    int header_version;
    const uint8_t *body; /* after the header */
    uint32_t body_size_bytes;
    env_conn_id conn_id;   /* for logs and traces only */
    const char *peer_name; /* "host:port" or a node name; valid until the request ends */
    /* private */
    struct srv_conn *conn;
};

typedef void (*srv_handler_fn)(void *ctx, struct srv_request *request);

/* A row of the handler table: the versions of one API key this node serves. */
struct srv_handler {
    int16_t api_key;
    int16_t version_min; /* within api.h's implemented range for the key */
    int16_t version_max;
    srv_handler_fn fn;
    void *ctx;
};

struct srv;

/*
 * Creates a server (not yet listening). The table is copied; it must not name
 * ApiVersions (the server answers it), a key twice, or versions api.h does not mark
 * implemented (asserted: the table is the node's own configuration).
 */
struct srv *srv_create(struct env *env, const struct srv_config *config,
                       const struct srv_handler *handlers, uint32_t handler_count);
/*
 * Adds a row to the table after creation (a module that starts later, such as the
 * controller on a Raft voter's listener, plugs its APIs in). The rules of srv_create's
 * table hold except one: the row's versions need not be in api.h's implemented range,
 * which lists what the broker listener advertises; the module vouches for its own
 * codecs (the KRaft APIs Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch v12-13 and
 * FetchSnapshot are served only on the controller listener). Asserted.
 */
void srv_handler_add(struct srv *srv, const struct srv_handler *handler);
/* Listen on a port. Errors: as env_listen, KS_ERR_TOO_MANY past SRV_LISTENERS_MAX. */
KS_MUST_CHECK enum ks_err srv_listen(struct srv *srv, uint16_t port);

/*
 * End a request with a response: body is the response body (without size or header)
 * at the request's version. The server writes the size, the response header of the
 * right version (v1 for flexible versions except ApiVersions) and the body. A writer
 * with an error (a value the version cannot carry) closes the connection instead.
 */
void srv_respond(struct srv_request *request, const struct wire_writer *body);
/* End a request without a response (acks=0 Produce). */
void srv_respond_none(struct srv_request *request);
/* End a request by closing its connection (an undecodable body, as Kafka does). */
void srv_respond_close(struct srv_request *request);
/* Whether the request's connection is still open (an answer will reach the client). */
bool srv_request_conn_open(const struct srv_request *request);

/*
 * Requests a module holds for a later answer (a delayed produce, a controller write
 * waiting for its commit). The owner keeps a struct srv_calls; each held request sits
 * in a struct srv_call placed first in the owner's own call struct, so that the owner
 * can free the calls nobody will answer (after a stop or a crash).
 */
struct srv_calls;
struct srv_call {
    struct srv_calls *list;
    struct srv_request *request;
    struct srv_call *prev;
    struct srv_call *next;
};
struct srv_calls {
    struct srv_call *first;
    uint32_t count;
};
/* Puts call (holding request) on list. */
void srv_call_link(struct srv_calls *list, struct srv_call *call, struct srv_request *request);
/* Takes call off its list; returns its request, to be ended by the caller. */
struct srv_request *srv_call_unlink(struct srv_call *call);

/* The ApiVersions list this server advertises: ApiVersions and every table row, by key. */
void srv_api_versions_build(const struct srv *srv, struct api_versions_response *out);

/*
 * Clean shutdown, step one (SocketServer.stopProcessingRequests): accept no more
 * connections, drop read-ahead requests, close idle connections at once and the others
 * as soon as their in-flight answer is out. Poll srv_drained, then srv_free.
 */
void srv_shutdown(struct srv *srv);
/* No request is with a handler any more (every answer was sent or dropped). */
bool srv_drained(const struct srv *srv);
/* Frees the server; connections still open are closed. Requests still with a handler
 * are freed too: never touch them after. */
void srv_free(struct srv *srv);

/* Frees the server without calling env, even to close (the process died: the
 * environment drops its connections). Requests still with a handler are freed too. */
void srv_abandon(struct srv *srv);

struct srv_stats {
    uint64_t accepted;
    uint64_t requests;
    uint64_t responses;      /* sent */
    uint64_t responses_none; /* requests ended without a response */
    uint64_t closed_invalid; /* bad size prefix, header or body */
    uint64_t closed_too_large;
    uint64_t closed_unsupported; /* unknown key or version */
    uint64_t closed_limit;       /* max.connections, read-ahead bounds */
    uint32_t conns_open;
};
void srv_stats_get(const struct srv *srv, struct srv_stats *out);

#endif
