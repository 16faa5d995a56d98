/*
 * khost.h: the broker and the controller a combined kbroker node hosts
 * (process.roles=broker,controller): the KRaft voter with the controller state machine
 * (raft.h, ctrl_raft.h) on its own files under `<log.dirs>/metadata`, and the broker
 * (broker.h: replica manager, Produce, Fetch, ListOffsets, OffsetForLeaderEpoch,
 * Metadata, InitProducerId) on the node's log dir and request server. Kafka:
 * KafkaRaftServer in combined mode (ControllerServer and BrokerServer in one process),
 * BrokerLifecycleManager (registration, heartbeats; here straight to the local
 * controller), BrokerMetadataPublisher (each committed image goes to the replica
 * manager), ForwardingManager (CreateTopics and DeleteTopics sent to a broker reach the
 * controller), AutoTopicCreationManager (auto.create.topics.enable).
 *
 * The broker's session: once a controller is active, the host registers the broker
 * (with the node's advertised endpoint) and heartbeats every
 * broker.heartbeat.interval.ms, reporting the committed image's offset it has applied,
 * so that the controller unfences it: straight to the local controller when it is the
 * active one, else over raft_net to the leading voter's controller listener (a quorum
 * of several nodes; auto-created topics are forwarded the same way). Every voter
 * applies the committed records, so the broker always takes its image from the local
 * controller. Metadata names the Raft leader as the controller. The replica manager's
 * AlterPartition requests (ISR shrink and expansion) go the same way, their answers
 * handed back from a timer, never inside the replica manager's own call. Until the image lists
 * this broker unfenced, Metadata still names it (so clients that connect early see
 * their bootstrap broker).
 *
 * Written against env.h only (the same host runs under simulation). Ownership: borrows
 * env, the log dir and the server; owns the voter, the controller, the broker and the
 * requests it holds. No global state.
 */
#ifndef KS_SERVER_KHOST_H
#define KS_SERVER_KHOST_H

#include "system/log/logdir.h"
#include "system/props.h"
#include "system/server/srv.h"

/* The metadata log's directory under the log dir (Kafka: metadata.log.dir). */
#define KHOST_METADATA_DIR "metadata"
/* How often the host looks at the controller (registration, image, heartbeats). */
#define KHOST_TICK_MS 20u
/* Heartbeats while fenced come this often (Kafka sends them at once when fenced). */
#define KHOST_FENCED_HEARTBEAT_MS 100u
#define KHOST_HEARTBEAT_MS_DEFAULT 2000
/* Client requests waiting for the controller at once, at most. */
#define KHOST_CALLS_MAX 4096u
#define KHOST_HOST_BYTES_MAX 256u
#define KHOST_VOTERS_BYTES_MAX 1024u

struct khost_config {
    int32_t node_id;
    const char *cluster_id;     /* borrowed for the call */
    const struct props *props;  /* further settings (min.insync.replicas, ...); may be NULL */
    const char *log_dir;        /* the node's log dir, relative to env */
    char endpoint_host[KHOST_HOST_BYTES_MAX]; /* advertised to clients */
    uint16_t endpoint_port;
    char voters[KHOST_VOTERS_BYTES_MAX]; /* controller.quorum.voters; "" just this node */
    int32_t controller_port;             /* the voter's listener; 0 any free port, -1 its voter entry's */
};

struct khost;

/*
 * Starts the voter, the controller and the broker. Errors: the voter's disk or listener
 * errors, KS_ERR_INVALID_CONFIG; *error gets a line for people.
 */
KS_MUST_CHECK enum ks_err khost_start(struct env *env, const struct khost_config *config,
                                      struct logdir *logdir, struct srv *srv,
                                      struct khost **out, char *error, size_t error_bytes);
/* Whether the broker is registered and unfenced (clients can produce). */
bool khost_ready(const struct khost *host);
/* Clean stop: the controller renounces, the voter flushes, the broker stops (its
 * delayed requests dropped). The server and the log dir are the caller's to close. */
void khost_stop(struct khost *host);
/* Frees memory only (after khost_stop, or a crash). NULL is fine. */
void khost_free(struct khost *host);

#endif
