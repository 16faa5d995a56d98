/*
 * cnode.h: client nodes for a simulated world (or any env): a producer or a consumer
 * with a simple workload, in the shapes of sim/world.h's node type functions (system/
 * does not include sim/; sim/nodes_client.c builds the world_node_type structs).
 * Kafka has no such thing: these play the part of an application around
 * KafkaProducer / KafkaConsumer, like Jepsen's queue clients.
 *
 * Producer node: sends workload.rate records per second (100) to workload.topic
 * ("orders"), keys "k0".."k{n-1}" drawn from env with workload.keys = n (0: null keys),
 * values unique per run: "<node>-<16 hex digits drawn at start>-<n>", so a checker
 * can match every record to its send. workload.count caps the records (0: no cap).
 * Consumer node: assigns partitions 0..workload.partitions-1 (1) of workload.topic and
 * reads them continuously. Everything else in the node's config goes to the client
 * (bootstrap.servers, acks, enable.idempotence, auto.offset.reset, ...).
 *
 * The harness hands its history with cnode_set_history right after each start,
 * before the world runs. Ownership: a node owns its client; no global state.
 */
#ifndef KS_CLIENT_CNODE_H
#define KS_CLIENT_CNODE_H

#include "consumer.h"
#include "producer.h"

#define CNODE_NAME_BYTES_MAX 64u
#define CNODE_RATE_MAX 1000000u
#define CNODE_KEYS_MAX 1000000u
#define CNODE_VALUE_BYTES_MAX 96u

struct cnode {
    struct env *env;
    char name[CNODE_NAME_BYTES_MAX];
    char topic[CNET_TOPIC_BYTES_MAX + 1];
    struct producer *producer; /* exactly one of producer, consumer */
    struct consumer *consumer;
    uint32_t rate;
    uint32_t keys;
    uint64_t count_max;
    uint64_t sent;
    uint64_t acked;
    uint64_t failed;
    uint64_t received;
    uint64_t tag; /* makes values unique across incarnations */
    env_timer_id timer;
    bool workload_stopped;
};

void *cnode_producer_start(struct env *env, const struct props *config);
void *cnode_consumer_start(struct env *env, const struct props *config);
void cnode_stop(void *node);
void cnode_destroy(void *node);
void cnode_describe(void *node, char *buf, size_t buf_bytes);

void cnode_set_history(void *node, struct history *history);
/* Stops sending new records (what is queued still goes). */
void cnode_workload_stop(void *node);
/* Resumes a stopped producer workload (nothing for a consumer or a running one). */
void cnode_workload_start(void *node);

#endif
