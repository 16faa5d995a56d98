/*
 * knode.h: one Kafka node in KRaft mode as kbroker runs it: its configuration by
 * Kafka's property names, its log directory (meta.properties, the clean-shutdown
 * marker, the partition logs through logdir), and the request server on its listeners
 * with the APIs the node serves. A combined node (process.roles=broker,controller)
 * hosts the KRaft voter, the controller and the broker (khost.h): the data path
 * (Produce, Fetch, ListOffsets, OffsetForLeaderEpoch, InitProducerId), Metadata from
 * the committed image, CreateTopics and DeleteTopics through the controller. A node with
 * one role answers ApiVersions and Metadata only (itself, no topics) so far. Kafka: KafkaRaftServer, KafkaConfig
 * (node.id, process.roles, listeners, advertised.listeners, log.dirs,
 * controller.quorum.voters), MetaProperties (meta.properties v1), KafkaApis
 * .handleTopicMetadataRequest, BrokerServer.shutdown.
 *
 * Written against env.h only: the same node starts under simulation (paths are relative
 * to the env's data directory) and in kbroker. Other modules add rows to the handler
 * table through knode_srv (srv_handler_add).
 *
 * Lifecycle: knode_start (read or write meta.properties, open the log dir, listen),
 * then knode_shutdown (stop taking requests) until knode_drained, then knode_close
 * (checkpoints and .kafka_cleanshutdown, frees). After a crash: knode_free.
 */
#ifndef KS_SERVER_KNODE_H
#define KS_SERVER_KNODE_H

#include "system/log/plog.h"
#include "system/server/srv.h"

#define KNODE_LISTENERS_MAX SRV_LISTENERS_MAX
#define KNODE_LISTENER_NAME_BYTES_MAX 64u
#define KNODE_HOST_BYTES_MAX 256u
#define KNODE_PATH_BYTES_MAX 512u
#define KNODE_VOTERS_MAX 16u
/* Kafka's Uuid as base64url without padding: 22 characters. */
#define KNODE_UUID_CHARS 22u
/* Draws of a random Uuid before giving up (Kafka redraws ones starting with '-'). */
#define KNODE_UUID_DRAWS_MAX 64u
#define KNODE_META_PROPERTIES "meta.properties"
#define KNODE_META_PROPERTIES_BYTES_MAX 65536u

struct knode;

/* One entry of listeners or advertised.listeners: NAME://host:port. */
struct knode_listener {
    char name[KNODE_LISTENER_NAME_BYTES_MAX];
    char host[KNODE_HOST_BYTES_MAX]; /* "" binds every interface */
    uint16_t port;                   /* 0: any free port (set once bound) */
};

struct knode_voter {
    int32_t node_id;
    char host[KNODE_HOST_BYTES_MAX];
    uint16_t port;
};

struct knode_config {
    int32_t node_id;                                      /* node.id */
    bool role_broker;                                     /* process.roles */
    bool role_controller;                                 /* process.roles */
    struct knode_listener listeners[KNODE_LISTENERS_MAX]; /* listeners */
    uint32_t listener_count;
    struct knode_listener advertised[KNODE_LISTENERS_MAX]; /* advertised.listeners */
    uint32_t advertised_count;
    char controller_listener_names[KNODE_LISTENER_NAME_BYTES_MAX]; /* controller.listener.names */
    struct knode_voter voters[KNODE_VOTERS_MAX];                   /* controller.quorum.voters */
    uint32_t voter_count;
    char log_dir[KNODE_PATH_BYTES_MAX]; /* first entry of log.dirs (or log.dir) */
    /* cluster.id to format a new log dir with (kafka-storage format -t); "" a random
     * one. Not a KafkaConfig setting: Kafka takes it from the format command. */
    char cluster_id[KNODE_UUID_CHARS + 1];
    struct srv_config srv;              /* socket.request.max.bytes, max.connections */
    struct plog_config log;             /* log.segment.bytes, log.retention.ms, ... */
    /* Every setting as given (min.insync.replicas, num.partitions, ...), read by the
     * hosted broker and controller; borrowed for knode_start only; may be NULL. */
    const struct props *props;
    /* Optional: called after each listener is bound (kbroker reads the port a port 0
     * got and calls knode_listener_port_set). Not a Kafka setting. */
    void (*listen_hook)(void *ctx, struct knode *node, uint32_t index);
    void *listen_hook_ctx;
};

/* Defaults kbroker uses: node 1, broker and controller, PLAINTEXT://127.0.0.1:9092,
 * log.dirs ./kbroker-data. */
void knode_config_default(struct knode_config *config);

/*
 * Reads Kafka's names from props over the defaults in config. On error writes a line
 * for people into error (naming the key and what is wrong) and returns
 * KS_ERR_INVALID_CONFIG. Unknown keys are ignored, as Kafka does (with a warning).
 */
KS_MUST_CHECK enum ks_err knode_config_from_props(struct knode_config *config,
                                                  const struct props *props, char *error,
                                                  size_t error_bytes);

/* Parses "NAME://host:port" ("[::1]" for IPv6, "" host allowed). */
KS_MUST_CHECK enum ks_err knode_listener_parse(const char *text, struct knode_listener *out);

/* The listener clients are sent to in Metadata: the first non-controller listener's
 * advertised entry (same name) or the listener itself. */
const struct knode_listener *knode_config_broker_endpoint(const struct knode_config *config);

struct knode;

/*
 * Starts the node: meta.properties (read and checked, or written on first start with
 * a new cluster.id and directory.id), the log dir, the server on every listener.
 * Errors: KS_ERR_INCONSISTENT_CLUSTER_ID (meta.properties names another node id or does
 * not parse), KS_ERR_KAFKA_STORAGE_ERROR (the log dir does not load), env errors
 * (KS_ERR_BUSY: a port is taken). *error gets a line for people.
 */
KS_MUST_CHECK enum ks_err knode_start(struct env *env, const struct knode_config *config,
                                      struct knode **out, char *error, size_t error_bytes);

/* Set the port a listener really got (a configured port 0), so Metadata advertises
 * it. index is the listener's position in config.listeners. */
void knode_listener_port_set(struct knode *node, uint32_t index, uint16_t port);

const char *knode_cluster_id(const struct knode *node);
const char *knode_directory_id(const struct knode *node);
/* Whether the hosted broker is registered and unfenced (true for a one-role node). */
bool knode_ready(const struct knode *node);
struct srv *knode_srv(struct knode *node);

/* Stop taking requests; in-flight answers still go out. */
void knode_shutdown(struct knode *node);
bool knode_drained(const struct knode *node);
/* Close the log dir (checkpoints, then the clean-shutdown marker) and free the node. */
KS_MUST_CHECK enum ks_err knode_close(struct knode *node);
/* Free memory only (after a crash). NULL is fine. */
void knode_free(struct knode *node);

#endif
