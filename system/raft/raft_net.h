/*
 * raft_net.h: how KRaft voters talk: Kafka wire frames over env.h connections, one
 * outbound connection to each other voter for requests, inbound connections for the
 * requests of others. Kafka: KafkaNetworkChannel, RaftRequest/RaftResponse,
 * NetworkClient (correlation ids, in-order responses per connection).
 *
 * The inbound side is a request server (system/server/srv.h) on the controller
 * listener: raft_net_listen creates it with one row per Raft API (Vote,
 * BeginQuorumEpoch, EndQuorumEpoch, Fetch, FetchSnapshot), each answered at once by
 * on_request; other modules add their rows to it (raft_net_srv, srv_handler_add), as
 * the controller does for BrokerRegistration, BrokerHeartbeat, CreateTopics,
 * DeleteTopics and AlterPartition, whose answers come later. A node that
 * hosts its own server instead takes the Raft rows with raft_net_handlers_build.
 *
 * Requests are size-prefixed with a request header (v1, or v2 for flexible versions)
 * and client id `raft-client-<node.id>`; responses carry a response header and come
 * back in order on their connection. A request sent while its connection is still
 * being opened waits in the connection's queue. When a connection fails or breaks,
 * every request on it gets on_failure instead of a response (never both).
 *
 * Reentrancy: on_response may send (even to the same peer); handlers must not call
 * raft_net_reset_peer or raft_net_close_all (do that from a timer).
 */
#ifndef KS_RAFT_NET_H
#define KS_RAFT_NET_H

#include "system/env.h"
#include "system/proto/frame.h"
#include "system/raft/raft_config.h"
#include "system/server/srv.h"

/* Requests waiting or in flight on one outbound connection, at most. */
#define RAFT_NET_INFLIGHT_MAX 16u
/* Rows raft_net_handlers_build writes. */
#define RAFT_NET_SRV_ROWS 5u
/* Inbound connections held at once, at most. */
#define RAFT_NET_INBOUND_MAX 64u
/* Largest frame accepted (a Fetch response holds at most RAFT_FETCH_BYTES_MAX). */
#define RAFT_NET_FRAME_BYTES_MAX (16u * 1024u * 1024u)

struct raft_net_handler {
    /* A request arrived. Write the response body into response and return KS_OK to
     * send it; any other return closes the connection (Kafka closes on bad requests). */
    enum ks_err (*on_request)(void *ctx, const struct frame_request_header *header,
                              const uint8_t *body, uint32_t size_bytes,
                              struct wire_writer *response);
    /* The response to a request this node sent; cookie is what the sender passed. */
    void (*on_response)(void *ctx, int32_t peer_id, int16_t api_key, uint64_t cookie,
                        const uint8_t *body, uint32_t size_bytes);
    /* The request will get no response. */
    void (*on_failure)(void *ctx, int32_t peer_id, int16_t api_key, uint64_t cookie);
};

struct raft_net;

/* Borrows config and handler for the net's lifetime. */
struct raft_net *raft_net_create(struct env *env, const struct raft_config *config,
                                 const struct raft_net_handler *handler, void *ctx);
/* Listens on the controller listener port with a request server holding the Raft
 * rows. Errors: as srv_listen. */
KS_MUST_CHECK enum ks_err raft_net_listen(struct raft_net *net);
/* The server raft_net_listen created (NULL before): add rows with srv_handler_add. */
struct srv *raft_net_srv(struct raft_net *net);
/* Writes the Raft rows (RAFT_NET_SRV_ROWS of them) into rows; each answers with
 * on_request at once. Add them with srv_handler_add (api.h's implemented range is the
 * broker listener's and does not list them). */
uint32_t raft_net_handlers_build(struct raft_net *net, struct srv_handler *rows, uint32_t rows_max);
/*
 * Frames body as a request to voter peer_id and sends it (connecting first when
 * needed). Errors (nothing sent, no callback will come): KS_ERR_TOO_MANY when
 * RAFT_NET_INFLIGHT_MAX requests wait on that peer, KS_ERR_INVALID for a body the
 * writer failed on, errors of env_connect and env_send.
 */
KS_MUST_CHECK enum ks_err raft_net_send(struct raft_net *net, int32_t peer_id, int16_t api_key,
                                        int16_t api_version, const struct wire_writer *body,
                                        uint64_t cookie);
/* Requests waiting or in flight to peer_id. */
uint32_t raft_net_inflight(const struct raft_net *net, int32_t peer_id);
/* Closes the connection to peer_id; its requests get on_failure. */
void raft_net_reset_peer(struct raft_net *net, int32_t peer_id);
/* Clean shutdown: closes every outbound connection and shuts the server down (idle
 * inbound connections close at once, busy ones once their answer is out); no callbacks. */
void raft_net_close_all(struct raft_net *net);
/* Frees memory only, the server's too, without calling env (after a crash, or after
 * close_all). */
void raft_net_free(struct raft_net *net);

#endif
