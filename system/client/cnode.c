/*
 * cnode.c: producer and consumer nodes with a simple workload, see cnode.h.
 */
#include "cnode.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000ull
#define CNODE_RATE_DEFAULT 100
#define CNODE_TOPIC_DEFAULT "orders"

static struct cnode *cnode_new(struct env *env, const struct props *config)
{
    struct cnode *n = ks_alloc(sizeof(*n));
    n->env = env;
    snprintf(n->name, sizeof(n->name), "%s", env->node_name != NULL ? env->node_name : "client");
    const char *topic = props_get(config, "workload.topic");
    snprintf(n->topic, sizeof(n->topic), "%s", topic != NULL ? topic : CNODE_TOPIC_DEFAULT);
    n->tag = env_random(env);
    return n;
}

/* client.id defaults to the node's name. */
static void cnode_client_props(const struct cnode *n, const struct props *config, struct props *out)
{
    props_init(out);
    if (props_merge(out, config) != KS_OK ||
        (props_get(out, "client.id") == NULL && props_set(out, "client.id", n->name) != KS_OK))
        KS_UNREACHABLE(); /* a copy of a valid props always fits */
}

static void cnode_send_done(void *ctx, int32_t partition, int64_t offset, enum ks_err err)
{
    struct cnode *n = ctx;
    (void)partition;
    (void)offset;
    if (err == KS_OK)
        n->acked++;
    else
        n->failed++;
}

static void cnode_tick(void *ctx)
{
    struct cnode *n = ctx;
    n->timer = 0;
    if (n->workload_stopped || (n->count_max != 0 && n->sent >= n->count_max))
        return;
    char key[32];
    char value[CNODE_VALUE_BYTES_MAX];
    snprintf(key, sizeof(key), "k%" PRIu64, n->keys > 0 ? env_random_below(n->env, n->keys) : 0);
    int len =
        snprintf(value, sizeof(value), "%s-%016" PRIx64 "-%" PRIu64, n->name, n->tag, n->sent);
    KS_ASSERT(len > 0 && (size_t)len < sizeof(value));
    enum ks_err err =
        producer_send(n->producer, n->topic, n->keys > 0 ? (const uint8_t *)key : NULL,
                      n->keys > 0 ? (uint32_t)strlen(key) : 0, (const uint8_t *)value,
                      (uint32_t)len, NULL, 0, cnode_send_done, n);
    if (err == KS_OK)
        n->sent++;
    n->timer = env_timer_start(n->env, NS_PER_S / n->rate, cnode_tick, n);
}

void *cnode_producer_start(struct env *env, const struct props *config)
{
    struct cnode *n = cnode_new(env, config);
    int64_t rate = 0, keys = 0, count = 0;
    enum ks_err err = KS_OK;
    if (props_get_i64(config, "workload.rate", CNODE_RATE_DEFAULT, &rate) != KS_OK || rate < 1 ||
        rate > CNODE_RATE_MAX || props_get_i64(config, "workload.keys", 0, &keys) != KS_OK ||
        keys < 0 || keys > CNODE_KEYS_MAX ||
        props_get_i64(config, "workload.count", 0, &count) != KS_OK || count < 0)
        err = KS_ERR_INVALID_CONFIG;
    struct props client;
    cnode_client_props(n, config, &client);
    if (err == KS_OK)
        n->producer = producer_create(env, &client, &err);
    props_free(&client);
    if (err != KS_OK) {
        env_logf(env, ENV_LOG_ERROR, "producer node: bad config (%s)", ks_err_name(err));
        free(n);
        return NULL;
    }
    n->rate = (uint32_t)rate;
    n->keys = (uint32_t)keys;
    n->count_max = (uint64_t)count;
    n->timer = env_timer_start(env, 0, cnode_tick, n);
    return n;
}

static void cnode_record(void *ctx, const char *topic, int32_t partition,
                         const struct rb_record *rec)
{
    struct cnode *n = ctx;
    (void)topic;
    (void)partition;
    (void)rec;
    n->received++;
}

void *cnode_consumer_start(struct env *env, const struct props *config)
{
    struct cnode *n = cnode_new(env, config);
    int64_t partitions = 1;
    enum ks_err err = KS_OK;
    if (props_get_i64(config, "workload.partitions", 1, &partitions) != KS_OK || partitions < 1 ||
        partitions > CONSUMER_PARTS_MAX)
        err = KS_ERR_INVALID_CONFIG;
    struct props client;
    cnode_client_props(n, config, &client);
    if (err == KS_OK)
        n->consumer = consumer_create(env, &client, cnode_record, n, &err);
    props_free(&client);
    for (int64_t i = 0; err == KS_OK && i < partitions; i++)
        err = consumer_assign(n->consumer, n->topic, (int32_t)i);
    if (err != KS_OK) {
        env_logf(env, ENV_LOG_ERROR, "consumer node: bad config (%s)", ks_err_name(err));
        consumer_destroy(n->consumer);
        free(n);
        return NULL;
    }
    return n;
}

void cnode_stop(void *node)
{
    struct cnode *n = node;
    if (n->timer != 0)
        env_timer_cancel(n->env, n->timer);
    n->timer = 0;
    producer_close(n->producer);
    consumer_close(n->consumer);
    n->producer = NULL;
    n->consumer = NULL;
}

void cnode_destroy(void *node)
{
    struct cnode *n = node;
    producer_destroy(n->producer);
    consumer_destroy(n->consumer);
    free(n);
}

void cnode_describe(void *node, char *buf, size_t buf_bytes)
{
    const struct cnode *n = node;
    if (n->producer != NULL || n->consumer == NULL)
        snprintf(buf, buf_bytes, "producer sent=%" PRIu64 " acked=%" PRIu64 " failed=%" PRIu64,
                 n->sent, n->acked, n->failed);
    else
        snprintf(buf, buf_bytes, "consumer received=%" PRIu64, n->received);
}

void cnode_set_history(void *node, struct history *history)
{
    struct cnode *n = node;
    if (n->producer != NULL)
        producer_set_history(n->producer, history, n->name);
    if (n->consumer != NULL)
        consumer_set_history(n->consumer, history, n->name);
}

void cnode_workload_stop(void *node)
{
    struct cnode *n = node;
    n->workload_stopped = true;
    if (n->producer != NULL)
        producer_flush(n->producer);
}

void cnode_workload_start(void *node)
{
    struct cnode *n = node;
    if (n->producer == NULL || !n->workload_stopped)
        return;
    n->workload_stopped = false;
    if (n->timer == 0)
        n->timer = env_timer_start(n->env, 0, cnode_tick, n);
    KS_ASSERT(n->timer != 0);
}
