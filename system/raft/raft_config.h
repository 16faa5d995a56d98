/*
 * raft_config.h: a KRaft controller's configuration in Kafka's property names.
 * Kafka: QuorumConfig (controller.quorum.*), KafkaConfig (node.id,
 * controller.listener.names), KIP-595.
 *
 *   node.id                                    required, a voter's id
 *   controller.quorum.voters                   required, `1@c1:9093,2@c2:9093,...`;
 *                                              hosts are node names under simulation
 *   controller.listener.port                   default: this node's port in the voters
 *   controller.quorum.election.timeout.ms      1000 (randomized to [T, 2T))
 *   controller.quorum.fetch.timeout.ms         2000
 *   controller.quorum.election.backoff.max.ms  1000
 *   controller.quorum.request.timeout.ms       2000
 *   controller.quorum.retry.backoff.ms         20
 *   metadata.log.max.record.bytes.between.snapshots  20971520: log bytes applied
 *                                              between two snapshots (KIP-630)
 *   raft.test.append.interval.ms               0 (off): the test workload's period
 */
#ifndef KS_RAFT_CONFIG_H
#define KS_RAFT_CONFIG_H

#include "system/ks.h"
#include "system/props.h"

/* Most voters in a quorum (Kafka allows more; a controller quorum has 3 or 5). */
#define RAFT_VOTERS_MAX 9u
#define RAFT_HOST_BYTES_MAX 64u
/* Longest timeout accepted, so that ns arithmetic never overflows. */
#define RAFT_TIMEOUT_MS_MAX 3600000u

struct raft_voter {
    int32_t id;
    char host[RAFT_HOST_BYTES_MAX];
    uint16_t port;
};

struct raft_config {
    int32_t node_id;
    uint32_t voter_count;
    struct raft_voter voters[RAFT_VOTERS_MAX]; /* ascending id */
    uint16_t listener_port;
    uint32_t election_timeout_ms;
    uint32_t fetch_timeout_ms;
    uint32_t election_backoff_max_ms;
    uint32_t request_timeout_ms;
    uint32_t retry_backoff_ms;
    uint32_t append_interval_ms;
    uint64_t snapshot_bytes; /* metadata.log.max.record.bytes.between.snapshots */
};

/* Parses and checks the properties. Errors: KS_ERR_INVALID (missing or malformed
 * value, node.id not among the voters, duplicate voter), KS_ERR_TOO_MANY. */
KS_MUST_CHECK enum ks_err raft_config_parse(const struct props *props, struct raft_config *out);

/* The voter's index in voters[], or -1 when id is not a voter. */
int raft_config_voter_index(const struct raft_config *config, int32_t id);

/* How many votes make a majority of the voters. */
uint32_t raft_config_majority(const struct raft_config *config);

#endif
