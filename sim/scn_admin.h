/*
 * scn_admin.h: the harness's admin client and the scenario verb `topic` that drives it,
 * like Kafka's `kafka-topics.sh --bootstrap-controller`: an `admin` node sends
 * CreateTopics and DeleteTopics over the wire to the controllers named in its
 * controller.quorum.voters, trying each in turn until the active one answers; a
 * NOT_CONTROLLER answer, a broken connection or no answer within
 * SCN_ADMIN_REQUEST_TIMEOUT_MS moves on to the next controller after
 * SCN_ADMIN_RETRY_BACKOFF_MS, at most SCN_ADMIN_ATTEMPTS_MAX times. Operations run one
 * at a time, in the order the script gave them. Kafka: Admin.createTopics /
 * deleteTopics through the controller bootstrap (KIP-919), TopicCommand.
 *
 *   node admin type=admin controller.quorum.voters=1@c1:9093,2@c2:9093,3@c3:9093
 *   topic create orders partitions=3 replication.factor=3 min.insync.replicas=2
 *   at 30s topic delete orders
 *
 * `topic create NAME [partitions=N] [replication.factor=N] [via=NODE] [CONFIG=VALUE...]`
 * and `topic delete NAME [via=NODE]`, bare or timed; via names the admin node (default:
 * the first one declared before the line). Other key=value words are topic configs.
 * Traces: admin.request (API, topic, controller, attempt), admin.result (Kafka's error
 * name and what the controller answered), admin.gave_up, admin.skipped (the admin node
 * was down when the verb ran).
 */
#ifndef SIM_SCN_ADMIN_H
#define SIM_SCN_ADMIN_H

#include "scn.h"
#include "world.h"

#define SCN_ADMIN_OPS_MAX 64u
#define SCN_ADMIN_CONFIGS_MAX 16u
#define SCN_ADMIN_TOPIC_BYTES_MAX 250u /* Kafka's longest topic name, 249, and a NUL */
#define SCN_ADMIN_CONFIG_BYTES_MAX 128u
#define SCN_ADMIN_ATTEMPTS_MAX 200u
#define SCN_ADMIN_RETRY_BACKOFF_MS 200u
#define SCN_ADMIN_REQUEST_TIMEOUT_MS 5000u
#define SCN_ADMIN_CREATE_TOPICS_VERSION 7
#define SCN_ADMIN_DELETE_TOPICS_VERSION 5
#define SCN_ADMIN_VERB_COUNT 1u

struct scn_admin_op {
    bool create; /* else delete */
    char topic[SCN_ADMIN_TOPIC_BYTES_MAX];
    int32_t partitions;         /* -1: num.partitions */
    int16_t replication_factor; /* -1: default.replication.factor */
    uint32_t config_count;
    char config_keys[SCN_ADMIN_CONFIGS_MAX][SCN_ADMIN_CONFIG_BYTES_MAX];
    char config_values[SCN_ADMIN_CONFIGS_MAX][SCN_ADMIN_CONFIG_BYTES_MAX];
};

extern const struct world_node_type scn_admin_node_type;
extern const struct scn_verb scn_admin_verbs[SCN_ADMIN_VERB_COUNT];

struct scn_admin;
/* Queues an operation on a running admin node (its impl). Returns false when the queue
 * (SCN_ADMIN_OPS_MAX) is full. */
bool scn_admin_submit(struct scn_admin *admin, const struct scn_admin_op *op);

struct scn_admin_stats {
    uint64_t succeeded; /* answered with error NONE */
    uint64_t failed;    /* answered with another error (TOPIC_ALREADY_EXISTS, ...) */
    uint64_t gave_up;
    uint64_t attempts;
};
void scn_admin_stats_get(const struct scn_admin *admin, struct scn_admin_stats *out);

#endif
