/*
 * cnet.h: the client's network layer and metadata cache, shared by the producer and
 * the consumer. Kafka: NetworkClient (one connection per broker, requests pipelined up
 * to max.in.flight.requests.per.connection, answers matched in order by correlation
 * id, request.timeout.ms closing the connection), ManualMetadataUpdater / Metadata
 * (bootstrap.servers, Metadata requests for the topics the owner wants, leaders and
 * leader epochs per partition, refreshed on request and on a broken connection).
 *
 * Event-driven through env.h: nothing waits. Each request's callback gets the
 * response body (borrowed for the call) or an error: KS_ERR_NETWORK_EXCEPTION when the
 * connection broke, KS_ERR_REQUEST_TIMED_OUT after request.timeout.ms (the connection
 * is then closed, failing the other requests on it too, as NetworkClient does).
 * Callbacks never run inside the call that sent the request. The owner's wake
 * function runs when something may have become possible (a connection opened or
 * closed, metadata arrived).
 *
 * Ownership: a cnet owns its connections, brokers and metadata; cnet_free closes
 * through env, cnet_destroy only frees memory (after a crash). No global state.
 */
#ifndef KS_CLIENT_CNET_H
#define KS_CLIENT_CNET_H

#include "system/env.h"
#include "system/props.h"
#include "system/proto/frame.h"

#define CNET_BROKERS_MAX 64u
#define CNET_BOOTSTRAP_MAX 16u
#define CNET_HOST_BYTES_MAX 64u
#define CNET_INFLIGHT_MAX 16u /* per connection; max.in.flight is capped here */
#define CNET_TOPICS_MAX 64u
#define CNET_TOPIC_BYTES_MAX 250u
#define CNET_PARTITIONS_MAX 1024u
#define CNET_CLIENT_ID_BYTES_MAX 64u
#define CNET_NO_NODE (-1)
#define CNET_METADATA_BACKOFF_MS 100u
#define CNET_RECV_BYTES_MAX (64u * 1024u * 1024u)
/* The versions the clients speak. */
#define CNET_METADATA_VERSION 9
#define CNET_PRODUCE_VERSION 9
#define CNET_FETCH_VERSION 12
#define CNET_LIST_OFFSETS_VERSION 7
#define CNET_INIT_PRODUCER_ID_VERSION 4

typedef void (*cnet_response_fn)(void *ctx, enum ks_err err, const uint8_t *body,
                                 uint32_t size_bytes);
typedef void (*cnet_wake_fn)(void *ctx);

enum cnet_conn_state {
    CNET_CONN_NONE,       /* no connection */
    CNET_CONN_CONNECTING, /* env_connect sent, on_open pending */
    CNET_CONN_READY,      /* open */
};

struct cnet_inflight {
    int32_t correlation_id;
    int16_t api_key;
    int16_t api_version;
    cnet_response_fn fn;
    void *ctx;
    env_timer_id timer; /* request.timeout.ms */
};

struct cnet;

struct cnet_broker {
    struct cnet *net;
    int32_t id; /* bootstrap entries: -2 - index (-1 is CNET_NO_NODE) */
    char host[CNET_HOST_BYTES_MAX];
    uint16_t port;
    enum cnet_conn_state state;
    env_conn_id conn;
    struct frame_splitter splitter;
    struct cnet_inflight inflight[CNET_INFLIGHT_MAX]; /* oldest first */
    uint32_t inflight_count;
    uint64_t connect_not_before_ns; /* reconnect.backoff.ms */
};

struct cnet_partition {
    int32_t leader; /* CNET_NO_NODE: none known */
    int32_t leader_epoch;
};

struct cnet_topic {
    char name[CNET_TOPIC_BYTES_MAX + 1];
    int16_t error;            /* from the last Metadata answer */
    uint32_t partition_count; /* 0: unknown */
    struct cnet_partition *partitions;
};

struct cnet_config {
    char client_id[CNET_CLIENT_ID_BYTES_MAX];
    char bootstrap[CNET_BOOTSTRAP_MAX][CNET_HOST_BYTES_MAX]; /* "host:port" */
    uint32_t bootstrap_count;
    uint32_t request_timeout_ms;   /* request.timeout.ms */
    uint32_t in_flight_max;        /* max.in.flight.requests.per.connection */
    uint32_t reconnect_backoff_ms; /* reconnect.backoff.ms, 50 */
};

struct cnet {
    struct env *env;
    struct cnet_config config;
    cnet_wake_fn wake;
    void *wake_ctx;
    struct cnet_broker *brokers[CNET_BROKERS_MAX]; /* bootstrap first, then by metadata */
    uint32_t broker_count;
    struct cnet_topic topics[CNET_TOPICS_MAX];
    uint32_t topic_count;
    int32_t correlation_next;
    bool metadata_inflight;
    bool metadata_wanted; /* a refresh asked for while one was in flight */
    uint64_t metadata_not_before_ns;
    uint64_t metadata_updates; /* answers applied */
    env_timer_id metadata_timer;
    uint32_t bootstrap_next; /* round robin over brokers for metadata */
};

/* Reads client.id, bootstrap.servers (comma-separated host:port), request.timeout.ms
 * (30000), max.in.flight.requests.per.connection (5), reconnect.backoff.ms (50).
 * KS_ERR_INVALID_CONFIG on a bad value. */
KS_MUST_CHECK enum ks_err cnet_config_from_props(const struct props *props,
                                                 struct cnet_config *out);

struct cnet *cnet_create(struct env *env, const struct cnet_config *config, cnet_wake_fn wake,
                         void *wake_ctx);
void cnet_free(struct cnet *net);
void cnet_destroy(struct cnet *net);

/* Adds a topic to the metadata the cnet keeps (and asks for it). */
KS_MUST_CHECK enum ks_err cnet_want_topic(struct cnet *net, const char *topic);
/* The topic's metadata (partition_count 0 until known), or NULL when not wanted. */
const struct cnet_topic *cnet_topic(const struct cnet *net, const char *topic);
/* The partition's leader, CNET_NO_NODE when unknown. */
int32_t cnet_leader(const struct cnet *net, const char *topic, int32_t partition,
                    int32_t *leader_epoch_out);
/* Asks for fresh metadata (sent at once, or after the current one, or a backoff). */
void cnet_metadata_refresh(struct cnet *net);

/* Whether a request can go to node now; starts connecting when there is no
 * connection. */
bool cnet_ready(struct cnet *net, int32_t node);
/* Any broker that is ready (for requests any broker answers), else CNET_NO_NODE after
 * starting a connection to one. */
int32_t cnet_any_ready(struct cnet *net);
/* Sends a request body; fn NULL means no answer is expected (acks=0). Needs
 * cnet_ready(node). Errors: KS_ERR_CLOSED (connection gone), KS_ERR_INVALID. */
KS_MUST_CHECK enum ks_err cnet_send(struct cnet *net, int32_t node, int16_t api_key,
                                    int16_t api_version, const struct wire_writer *body,
                                    cnet_response_fn fn, void *ctx);
/* Requests in flight to node. */
uint32_t cnet_inflight(const struct cnet *net, int32_t node);

#endif
