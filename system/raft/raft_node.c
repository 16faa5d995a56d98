/*
 * raft_node.c: the controller node, see raft_node.h. Kafka: KafkaRaftManager,
 * ControllerServer (the controller state machine on the voter, ctrl_raft.h).
 */
#include "system/raft/raft_node.h"

#include "system/controller/ctrl_raft.h"

#include <stdio.h>
#include <stdlib.h>

#define RAFT_NODE_NS_PER_MS 1000000ull
#define RAFT_NODE_IMAGE_BYTES 16u

struct raft_node {
    struct env *env;
    struct raft_config config;
    struct raft *raft;
    env_timer_id append_timer;
    uint64_t append_seq; /* records this incarnation appended */
    struct raft_node_image image;
    struct ctrl_raft *controller; /* the controller state machine; NULL in test mode */
};

/* The test state machine: counts the committed records and hashes their values. */
static void raft_node_apply(void *ctx, int64_t offset, const uint8_t *value, uint32_t size)
{
    struct raft_node *node = ctx;
    node->image.record_count++;
    node->image.hash = ks_fnv1a64(node->image.hash, value, size);
}

static uint32_t raft_node_image_write(void *ctx, uint8_t *buf, uint32_t buf_bytes)
{
    struct raft_node *node = ctx;
    KS_ASSERT(buf_bytes >= RAFT_NODE_IMAGE_BYTES);
    ks_be64_store(buf, node->image.record_count);
    ks_be64_store(buf + 8, node->image.hash);
    return RAFT_NODE_IMAGE_BYTES;
}

static bool raft_node_image_load(void *ctx, const uint8_t *image, uint32_t size)
{
    struct raft_node *node = ctx;
    if (size != RAFT_NODE_IMAGE_BYTES)
        return false;
    node->image.record_count = ks_be64_load(image);
    node->image.hash = ks_be64_load(image + 8);
    return true;
}

static const struct raft_state_machine raft_node_sm = {raft_node_apply, raft_node_image_write,
                                                       raft_node_image_load};

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
    node->image.hash = KS_FNV1A64_INIT;
    struct ctrl_config ctrl_config;
    enum ks_err err = raft_config_parse(config, &node->config);
    if (err == KS_OK)
        err = ctrl_config_from_props(config, &ctrl_config);
    if (err == KS_OK && node->config.append_interval_ms == 0) {
        node->controller = ctrl_raft_create(env, &ctrl_config);
        err = raft_create(env, &node->config, &ctrl_raft_sm, node->controller, &node->raft);
    } else if (err == KS_OK) {
        err = raft_create(env, &node->config, &raft_node_sm, node, &node->raft);
    }
    if (err != KS_OK) {
        env_logf(env, ENV_LOG_ERROR, "controller: cannot start: %s", ks_err_name(err));
        ctrl_raft_free(node->controller);
        free(node);
        return NULL;
    }
    if (node->controller != NULL)
        ctrl_raft_attach(node->controller, node->raft);
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
    if (node->controller != NULL)
        ctrl_raft_stop(node->controller);
    raft_stop(node->raft);
}

void raft_node_destroy(void *impl)
{
    struct raft_node *node = impl;
    raft_free(node->raft);
    ctrl_raft_free(node->controller);
    free(node);
}

void raft_node_describe(void *impl, char *buf, size_t buf_bytes)
{
    struct raft_node *node = impl;
    struct raft_status s;
    raft_status_get(node->raft, &s);
    bool active = node->controller != NULL && ctrl_is_active(ctrl_raft_ctrl(node->controller));
    snprintf(buf, buf_bytes, "%s epoch=%d leader=%d voted=%d hw=%lld leo=%lld%s",
             raft_state_name(s.state), s.epoch, s.leader_id, s.voted_id,
             (long long)s.high_watermark, (long long)s.log_end_offset,
             active ? " active-controller" : "");
}

struct raft *raft_node_raft(void *impl)
{
    struct raft_node *node = impl;
    KS_ASSERT(node->raft != NULL);
    return node->raft;
}

void raft_node_image_get(void *impl, struct raft_node_image *out)
{
    struct raft_node *node = impl;
    *out = node->image;
}

struct ctrl *raft_node_ctrl(void *impl)
{
    struct raft_node *node = impl;
    return node->controller == NULL ? NULL : ctrl_raft_ctrl(node->controller);
}
