/*
 * broker.h: a broker node: one log dir, the replica manager, and the request server
 * (system/server/srv.h) serving Produce, Fetch, ListOffsets, OffsetForLeaderEpoch,
 * Metadata, InitProducerId, DescribeConfigs and DescribeCluster on the broker port. Kafka: BrokerServer (startup:
 * LogManager, ReplicaManager, SocketServer), KafkaApis (handleProduceRequest,
 * handleFetchRequest, handleListOffsetRequest, handleOffsetForLeaderEpochRequest,
 * handleTopicMetadataRequest, handleInitProducerIdRequest).
 *
 * Metadata comes in through broker_apply_image: tests push a static image, or, with
 * controller.quorum.voters set (KRaft, process.roles=broker), the broker follows
 * `__cluster_metadata` as a Raft observer (bmeta.h, Kafka's MetadataLoader and
 * BrokerMetadataPublisher) and keeps its session with the controllers (blife.h,
 * BrokerLifecycleManager). AlterPartition goes out through the function set with
 * broker_set_alter_partition; in KRaft mode that is, unless set otherwise, the broker's
 * AlterPartitionManager (balter.h) over the same net.
 *
 * Requests: each API is a row of the server's handler table; a row's handler decodes
 * the body and hands it to the replica manager, whose answer (at once, or later for a
 * delayed produce or fetch) goes back through srv_respond. A body that does not decode
 * closes the connection, as Kafka does. Other modules serve more APIs on the same
 * listener by adding rows to broker_srv's table (srv_handler_add), e.g. the group
 * coordinator (bgroup.h).
 *
 * Hosted mode (broker_create with a struct broker_host): a node that already has a log
 * dir and a request server (kbroker's knode.h) lends them; the broker adds its rows to
 * that server and opens no listener of its own.
 *
 * Configuration (Kafka's names): node.id or broker.id, port (9092), log.dir
 * (kafka-logs), the log's topic defaults (log.segment.bytes, ...), replica.* and
 * min.insync.replicas, socket.request.max.bytes, max.connections; KRaft:
 * controller.quorum.voters (`1@c1:9093,...`), listeners (`PLAINTEXT://host:port`, else
 * the node name and port), broker.heartbeat.interval.ms (2000), broker.rack,
 * cluster.id.
 *
 * Ownership: a broker owns its logdir (unless hosted), replica manager, server (unless
 * hosted) and the requests it holds. No global state.
 */
#ifndef KS_BROKER_BROKER_H
#define KS_BROKER_BROKER_H

#include "blife.h"
#include "bmeta.h"
#include "rmgr.h"
#include "system/server/srv.h"

#define BROKER_PORT_DEFAULT 9092
#define BROKER_LOG_DIR_DEFAULT "kafka-logs"
#define BROKER_LOG_DIR_BYTES_MAX 256u
#define BROKER_CLUSTER_ID_BYTES_MAX 64u
#define BROKER_HOST_BYTES_MAX 256u
/* Requests with the replica manager at once, at most (srv holds one a connection). */
#define BROKER_CALLS_MAX SRV_CONNS_MAX_LIMIT
/* Rows broker_handlers_build writes. */
#define BROKER_HANDLERS_COUNT 8u

struct bgroup;
struct balter;

/* What a hosting node lends the broker (both borrowed for the broker's life). */
struct broker_host {
    struct logdir *logdir;
    struct srv *srv;
};

/* Topics a Metadata request asked for that do not exist, when it allows auto
 * creation (auto.create.topics.enable): the hook may create them. */
typedef void (*broker_auto_create_fn)(void *ctx, const char *const *topics, uint32_t count);

struct broker {
    struct env *env;
    int32_t broker_id;
    uint16_t port;
    char log_dir[BROKER_LOG_DIR_BYTES_MAX];
    char cluster_id[BROKER_CLUSTER_ID_BYTES_MAX]; /* cluster.id, for Metadata; "" unknown */
    int32_t controller_id;                        /* for Metadata; -1 unknown */
    char self_host[BROKER_HOST_BYTES_MAX];        /* for Metadata before registration */
    uint16_t self_port;
    bool hosted;                                  /* logdir and srv are borrowed */
    struct logdir *logdir;
    struct rmgr *rmgr;
    rmgr_alter_partition_fn alter_fn;
    void *alter_ctx;
    broker_auto_create_fn auto_create_fn;
    void *auto_create_ctx;
    struct srv_config srv_config;
    struct srv *srv;           /* the request server */
    struct srv_calls calls; /* requests with the replica manager */
    uint64_t requests;        /* handled, for tests */
    int64_t producer_id_next; /* InitProducerId without a coordinator, see bclient.h */
    /* KRaft (NULL/false when metadata is pushed by a test) */
    bool kraft;
    struct raft_config quorum; /* the controller voters; node_id = broker_id */
    struct blife_config life_config;
    struct raft_net *net; /* to the controllers, shared by meta and life */
    struct bmeta *meta;
    struct blife *life;
    struct balter *alter; /* AlterPartitionManager (balter.h), the default alter fn */
    struct bgroup *group; /* the group coordinator (bgroup.h) */
};

/*
 * The node type's functions, in the shapes of sim/world.h's struct world_node_type
 * (system/ does not include sim/; a node-type table there, or a test, lists them).
 * start returns a struct broker *, or NULL on a bad config or a log dir that cannot be
 * opened; stop closes cleanly (logs flushed, checkpoints written); destroy frees
 * memory only.
 */
void *broker_start(struct env *env, const struct props *config);
/* broker_start with what a hosting node lends (NULL: nothing, as broker_start). */
struct broker *broker_create(struct env *env, const struct props *config,
                             const struct broker_host *host);
void broker_stop(void *broker);
void broker_destroy(void *broker);
/* One line: lifecycle state, fenced, broker epoch, metadata offset applied. */
void broker_describe(void *broker, char *buf, size_t buf_bytes);

/* KRaft controlled shutdown: ask the controller (WantShutDown); poll
 * broker_shutdown_ready, then stop the node (the harness bounds the wait). */
void broker_begin_controlled_shutdown(struct broker *b);
bool broker_shutdown_ready(const struct broker *b);

KS_MUST_CHECK enum ks_err broker_apply_image(struct broker *b, const struct mimage *img);
void broker_set_alter_partition(struct broker *b, rmgr_alter_partition_fn fn, void *ctx);
void broker_set_auto_create(struct broker *b, broker_auto_create_fn fn, void *ctx);
/* What Metadata answers as the controller id and cluster id (KRaft: any live broker). */
void broker_set_cluster(struct broker *b, const char *cluster_id, int32_t controller_id);

/* The endpoint Metadata names this broker at while the image does not list it (a
 * combined node before its registration commits). */
void broker_set_self_endpoint(struct broker *b, const char *host, uint16_t port);

/* The request server the broker's APIs are served on: other modules add their rows
 * with srv_handler_add. */
struct srv *broker_srv(struct broker *b);
/* Writes the broker's rows (BROKER_HANDLERS_COUNT) into rows; returns the count. */
uint32_t broker_handlers_build(struct broker *b, struct srv_handler *rows, uint32_t rows_max);

#endif
