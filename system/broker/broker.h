/*
 * broker.h: a broker node: one log dir, the replica manager, and a listener serving
 * Produce, Fetch, ListOffsets and OffsetForLeaderEpoch on the broker port. Kafka:
 * BrokerServer (startup: LogManager, ReplicaManager, SocketServer), KafkaApis
 * (handleProduceRequest, handleFetchRequest, handleListOffsetRequest,
 * handleOffsetForLeaderEpochRequest).
 *
 * Metadata comes in through broker_apply_image: tests push a static image, or, with
 * controller.quorum.voters set (KRaft, process.roles=broker), the broker follows
 * `__cluster_metadata` as a Raft observer (bmeta.h, Kafka's MetadataLoader and
 * BrokerMetadataPublisher) and keeps its session with the controllers (blife.h,
 * BrokerLifecycleManager). AlterPartition goes out through the function set with
 * broker_set_alter_partition.
 *
 * Metadata and InitProducerId are answered from the broker's own state (bclient.h).
 *
 * The listener here is a stand-in for system/server/srv.h until it lands: it splits
 * frames, reads request headers, answers one request at a time per connection (so in
 * order, as Kafka mutes a channel), and closes a connection on a request it cannot
 * decode. Configuration (Kafka's names): node.id or broker.id, port (9092), log.dir
 * (kafka-logs), the log's topic defaults (log.segment.bytes, ...), replica.* and
 * min.insync.replicas; KRaft: controller.quorum.voters (`1@c1:9093,...`),
 * listeners (`PLAINTEXT://host:port`, else the node name and port),
 * broker.heartbeat.interval.ms (2000), broker.rack, cluster.id.
 *
 * Ownership: a broker owns its logdir,
 * replica manager and connections. No global state.
 */
#ifndef KS_BROKER_BROKER_H
#define KS_BROKER_BROKER_H

#include "blife.h"
#include "bmeta.h"
#include "rmgr.h"

#define BROKER_CONNS_MAX 1024u
#define BROKER_PORT_DEFAULT 9092
#define BROKER_LOG_DIR_DEFAULT "kafka-logs"
#define BROKER_LOG_DIR_BYTES_MAX 256u
#define BROKER_READ_AHEAD_BYTES_MAX (64u * 1024u * 1024u)
#define BROKER_FRAME_BYTES_MAX FRAME_SIZE_MAX_DEFAULT

struct broker_conn;

struct broker {
    struct env *env;
    int32_t broker_id;
    uint16_t port;
    char log_dir[BROKER_LOG_DIR_BYTES_MAX];
    struct logdir *logdir;
    struct rmgr *rmgr;
    rmgr_alter_partition_fn alter_fn;
    void *alter_ctx;
    struct broker_conn **conns; /* open or waiting for an answer */
    uint32_t conn_count;
    uint64_t requests;        /* served, for tests */
    int64_t producer_id_next; /* InitProducerId without a coordinator, see bclient.h */
    /* KRaft (NULL/false when metadata is pushed by a test) */
    bool kraft;
    struct raft_config quorum; /* the controller voters; node_id = broker_id */
    struct blife_config life_config;
    struct raft_net *net; /* to the controllers, shared by meta and life */
    struct bmeta *meta;
    struct blife *life;
};

/*
 * The node type's functions, in the shapes of sim/world.h's struct world_node_type
 * (system/ does not include sim/; a node-type table there, or a test, lists them).
 * start returns a struct broker *, or NULL on a bad config or a log dir that cannot be
 * opened; stop closes cleanly (logs flushed, checkpoints written); destroy frees
 * memory only.
 */
void *broker_start(struct env *env, const struct props *config);
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

#endif
