/*
 * raft_node.c: the controller node, see raft_node.h. Kafka: KafkaRaftManager.
 */
#include "system/raft/raft_node.h"

#include <stdio.h>
#include <stdlib.h>

#define RAFT_NODE_NS_PER_MS 1000000ull

struct raft_node {
    struct env *env;
    struct raft_config config;
    struct raft *raft;
    env_timer_id append_timer;
    uint64_t append_seq; /* records this incarnation appended */
};

static void raft_node_append_tick(void *ctx)
{
    struct raft_node *node = ctx;
    KS_ASSERT(node->config.append_interval_ms > 0);
    node->append_timer =
        env_timer_start(node->env, node->config.append_interval_ms * RAFT_NODE_NS_PER_MS,
                        raft_node_append_tick, node);
    struct raft_status status;
    raft_status_get(node->raft, &status);
    if (status.state != RAFT_LEADER)
        return;
    char value[64];
    int n = snprintf(value, sizeof(value), "node=%d epoch=%d seq=%llu", node->config.node_id,
                     status.epoch, (unsigned long long)node->append_seq);
    KS_ASSERT(n > 0 && (size_t)n < sizeof(value));
    if (raft_append(node->raft, (const uint8_t *)value, (uint32_t)n) == KS_OK)
        node->append_seq++;
}

void *raft_node_start(struct env *env, const struct props *config)
{
    struct raft_node *node = ks_alloc(sizeof(*node));
    node->env = env;
    enum ks_err err = raft_config_parse(config, &node->config);
    if (err == KS_OK)
        err = raft_create(env, &node->config, &node->raft);
    if (err != KS_OK) {
        env_logf(env, ENV_LOG_ERROR, "controller: cannot start: %s", ks_err_name(err));
        free(node);
        return NULL;
    }
    if (node->config.append_interval_ms > 0)
        node->append_timer =
            env_timer_start(env, node->config.append_interval_ms * RAFT_NODE_NS_PER_MS,
                            raft_node_append_tick, node);
    return node;
}

void raft_node_stop(void *impl)
{
    struct raft_node *node = impl;
    if (node->append_timer != 0)
        env_timer_cancel(node->env, node->append_timer);
    node->append_timer = 0;
    raft_stop(node->raft);
}

void raft_node_destroy(void *impl)
{
    struct raft_node *node = impl;
    raft_free(node->raft);
    free(node);
}

void raft_node_describe(void *impl, char *buf, size_t buf_bytes)
{
    struct raft_node *node = impl;
    struct raft_status s;
    raft_status_get(node->raft, &s);
    snprintf(buf, buf_bytes, "%s epoch=%d leader=%d voted=%d hw=%lld leo=%lld",
             raft_state_name(s.state), s.epoch, s.leader_id, s.voted_id,
             (long long)s.high_watermark, (long long)s.log_end_offset);
}

struct raft *raft_node_raft(void *impl)
{
    struct raft_node *node = impl;
    KS_ASSERT(node->raft != NULL);
    return node->raft;
}
