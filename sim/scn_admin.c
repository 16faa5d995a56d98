/*
 * scn_admin.c: the admin node and the `topic` verb, see scn_admin.h. Kafka:
 * KafkaAdminClient's controller bootstrap (KIP-919), TopicCommand.
 *
 * The admin node is a client process: a raft_net (outbound only) to the controllers,
 * a queue of operations and one request in flight. One timer serves both the retry
 * backoff and the request timeout; a timeout resets the connection from the timer
 * (raft_net forbids that inside its callbacks), which fails the request and retries.
 */
#include "scn_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../system/proto/api.h"
#include "../system/proto/api_create_topics.h"
#include "../system/proto/api_delete_topics.h"
#include "../system/raft/raft_net.h"
#include "runner.h"

#define SCN_ADMIN_NS_PER_MS 1000000ull
#define SCN_ADMIN_ID_BYTES_MAX 16u

struct scn_admin {
    struct env *env;
    struct raft_config quorum; /* the controllers; node_id -1 (no voter) */
    struct raft_net *net;
    struct scn_admin_op ops[SCN_ADMIN_OPS_MAX]; /* a ring, oldest at head */
    uint32_t head;
    uint32_t count;
    uint32_t cursor;   /* index of the controller asked next */
    uint32_t attempts; /* of the operation at head */
    bool inflight;
    uint64_t cookie;
    int32_t peer;
    env_timer_id timer;
    struct scn_admin_stats stats;
};

/* ---- the queue and the timer ---- */

static void admin_on_timer(void *ctx);

static void admin_timer_set(struct scn_admin *a, uint64_t delay_ms)
{
    if (a->timer != 0)
        env_timer_cancel(a->env, a->timer);
    a->timer = env_timer_start(a->env, delay_ms * SCN_ADMIN_NS_PER_MS, admin_on_timer, a);
    KS_ASSERT(a->timer != 0);
}

static struct scn_admin_op *admin_head(struct scn_admin *a)
{
    KS_ASSERT(a->count > 0);
    return &a->ops[a->head];
}

/* The operation at head is done (answered or abandoned): the next one goes now. */
static void admin_pop(struct scn_admin *a)
{
    KS_ASSERT(a->count > 0);
    KS_ASSERT(!a->inflight);
    a->head = (a->head + 1) % SCN_ADMIN_OPS_MAX;
    a->count--;
    a->attempts = 0;
    if (a->count > 0)
        admin_timer_set(a, 0);
}

/* The attempt failed: the next controller, after the backoff. */
static void admin_retry(struct scn_admin *a, const char *why)
{
    KS_ASSERT(!a->inflight);
    struct scn_admin_op *op = admin_head(a);
    a->cursor = (a->cursor + 1) % a->quorum.voter_count;
    if (a->attempts >= SCN_ADMIN_ATTEMPTS_MAX) {
        env_tracef(a->env, "admin.gave_up", "topic %s %s after %u attempts: %s",
                   op->create ? "create" : "delete", op->topic, a->attempts, why);
        a->stats.gave_up++;
        admin_pop(a);
        return;
    }
    env_tracef(a->env, "admin.retry", "topic %s %s: %s; next controller %d in %ums",
               op->create ? "create" : "delete", op->topic, why, a->quorum.voters[a->cursor].id,
               SCN_ADMIN_RETRY_BACKOFF_MS);
    admin_timer_set(a, SCN_ADMIN_RETRY_BACKOFF_MS);
}

/* ---- requests ---- */

static void admin_encode_create(const struct scn_admin_op *op, struct wire_writer *w)
{
    struct api_create_topics_config configs[SCN_ADMIN_CONFIGS_MAX];
    struct api_create_topics_topic topic;
    struct api_create_topics_request req;
    KS_ASSERT(op->config_count <= SCN_ADMIN_CONFIGS_MAX);
    memset(&topic, 0, sizeof(topic));
    memset(&req, 0, sizeof(req));
    for (uint32_t i = 0; i < op->config_count; i++)
        configs[i] = (struct api_create_topics_config){wire_string_from(op->config_keys[i]),
                                                       wire_string_from(op->config_values[i])};
    topic.name = wire_string_from(op->topic);
    topic.num_partitions = op->partitions;
    topic.replication_factor = op->replication_factor;
    topic.config_count = op->config_count;
    topic.configs = configs;
    req.topic_count = 1;
    req.topics = &topic;
    req.timeout_ms = SCN_ADMIN_REQUEST_TIMEOUT_MS;
    api_create_topics_request_encode(w, SCN_ADMIN_CREATE_TOPICS_VERSION, &req);
}

static void admin_encode_delete(const struct scn_admin_op *op, struct wire_writer *w)
{
    struct api_delete_topics_topic topic;
    struct api_delete_topics_request req;
    memset(&topic, 0, sizeof(topic));
    topic.name = wire_string_from(op->topic);
    req = (struct api_delete_topics_request){1, &topic, SCN_ADMIN_REQUEST_TIMEOUT_MS};
    api_delete_topics_request_encode(w, SCN_ADMIN_DELETE_TOPICS_VERSION, &req);
}

static void admin_send(struct scn_admin *a)
{
    KS_ASSERT(!a->inflight);
    struct scn_admin_op *op = admin_head(a);
    struct wire_writer w;
    int16_t key = op->create ? API_CREATE_TOPICS : API_DELETE_TOPICS;
    int16_t version =
        op->create ? SCN_ADMIN_CREATE_TOPICS_VERSION : SCN_ADMIN_DELETE_TOPICS_VERSION;
    wire_writer_init(&w);
    if (op->create)
        admin_encode_create(op, &w);
    else
        admin_encode_delete(op, &w);
    a->peer = a->quorum.voters[a->cursor].id;
    a->attempts++;
    a->stats.attempts++;
    a->cookie++;
    env_tracef(a->env, "admin.request", "%s %s to controller %d (attempt %u)", api_name(key),
               op->topic, a->peer, a->attempts);
    enum ks_err err = raft_net_send(a->net, a->peer, key, version, &w, a->cookie);
    wire_writer_free(&w);
    if (err != KS_OK) {
        admin_retry(a, ks_err_name(err));
        return;
    }
    a->inflight = true;
    admin_timer_set(a, SCN_ADMIN_REQUEST_TIMEOUT_MS);
}

static void admin_on_timer(void *ctx)
{
    struct scn_admin *a = ctx;
    a->timer = 0;
    if (a->inflight) { /* no answer in time: the reset fails the request (on_failure) */
        raft_net_reset_peer(a->net, a->peer);
        KS_ASSERT(!a->inflight);
        return;
    }
    if (a->count > 0)
        admin_send(a);
}

/* ---- answers ---- */

/* Errors that send the request to the next controller: it does not lead, or its queue
 * of operations waiting to commit is full (the admin client's retriable errors). */
static bool admin_retriable(int16_t error_code)
{
    return error_code == KS_ERR_NOT_CONTROLLER || error_code == KS_ERR_REQUEST_TIMED_OUT;
}

/* Traces the answer; returns false when it must be retried (admin_retriable). */
static bool admin_create_answered(struct scn_admin *a, const struct api_create_topics_response *r)
{
    const struct api_create_topics_result *t = r->topic_count == 1 ? &r->topics[0] : NULL;
    if (t == NULL) {
        env_tracef(a->env, "admin.result", "topic create: %u results, expected one",
                   r->topic_count);
        a->stats.failed++;
        return true;
    }
    if (admin_retriable(t->error_code))
        return false;
    const struct wire_string *m = &t->error_message;
    const char *name = ks_err_name((enum ks_err)t->error_code);
    bool m_shown = m->length > 0 && ((size_t)m->length != strlen(name) ||
                                     memcmp(m->chars, name, (size_t)m->length) != 0);
    env_tracef(a->env, "admin.result",
               "topic create %.*s: %s%s%.*s (partitions=%d replication.factor=%d, controller %d)",
               t->name.length < 0 ? 0 : t->name.length, t->name.chars, name, m_shown ? ": " : "",
               m_shown ? m->length : 0, m_shown ? m->chars : "", t->num_partitions,
               t->replication_factor, a->peer);
    if (t->error_code == KS_OK)
        a->stats.succeeded++;
    else
        a->stats.failed++;
    return true;
}

static bool admin_delete_answered(struct scn_admin *a, const struct api_delete_topics_response *r)
{
    const struct api_delete_topics_result *t = r->result_count == 1 ? &r->results[0] : NULL;
    if (t == NULL) {
        env_tracef(a->env, "admin.result", "topic delete: %u results, expected one",
                   r->result_count);
        a->stats.failed++;
        return true;
    }
    if (admin_retriable(t->error_code))
        return false;
    env_tracef(a->env, "admin.result", "topic delete %s: %s (controller %d)", admin_head(a)->topic,
               ks_err_name((enum ks_err)t->error_code), a->peer);
    if (t->error_code == KS_OK)
        a->stats.succeeded++;
    else
        a->stats.failed++;
    return true;
}

static void admin_on_response(void *ctx, int32_t peer_id, int16_t api_key, uint64_t cookie,
                              const uint8_t *body, uint32_t size_bytes)
{
    struct scn_admin *a = ctx;
    if (!a->inflight || cookie != a->cookie)
        return;
    a->inflight = false;
    bool done = false;
    enum ks_err err;
    if (api_key == API_CREATE_TOPICS) {
        struct api_create_topics_response r;
        err = api_create_topics_response_decode(SCN_ADMIN_CREATE_TOPICS_VERSION, body, size_bytes,
                                                &r);
        done = err == KS_OK && admin_create_answered(a, &r);
        if (err == KS_OK)
            api_create_topics_response_free(&r);
    } else {
        struct api_delete_topics_response r;
        err = api_delete_topics_response_decode(SCN_ADMIN_DELETE_TOPICS_VERSION, body, size_bytes,
                                                &r);
        done = err == KS_OK && admin_delete_answered(a, &r);
        if (err == KS_OK)
            api_delete_topics_response_free(&r);
    }
    if (done)
        admin_pop(a);
    else
        admin_retry(a, err != KS_OK ? "answer does not decode"
                                    : "NOT_CONTROLLER or REQUEST_TIMED_OUT");
}

static void admin_on_failure(void *ctx, int32_t peer_id, int16_t api_key, uint64_t cookie)
{
    struct scn_admin *a = ctx;
    if (!a->inflight || cookie != a->cookie)
        return;
    a->inflight = false;
    admin_retry(a, "no answer (connection broken or timed out)");
}

static enum ks_err admin_on_request(void *ctx, const struct frame_request_header *header,
                                    const uint8_t *body, uint32_t size_bytes,
                                    struct wire_writer *response)
{
    return KS_ERR_INVALID; /* the admin never listens */
}

static const struct raft_net_handler admin_net_handler = {admin_on_request, admin_on_response,
                                                          admin_on_failure};

/* ---- the node ---- */

/* controller.quorum.voters parsed the way a voter would, as its first voter. */
static enum ks_err admin_quorum_parse(const struct props *config, struct raft_config *out)
{
    const char *voters = props_get(config, "controller.quorum.voters");
    const char *at = voters != NULL ? strchr(voters, '@') : NULL;
    if (at == NULL || at == voters || at - voters >= (long)SCN_ADMIN_ID_BYTES_MAX)
        return KS_ERR_INVALID;
    char id[SCN_ADMIN_ID_BYTES_MAX];
    memcpy(id, voters, (size_t)(at - voters));
    id[at - voters] = '\0';
    struct props p;
    props_init(&p);
    enum ks_err err = props_set(&p, "controller.quorum.voters", voters);
    if (err == KS_OK)
        err = props_set(&p, "node.id", id);
    if (err == KS_OK)
        err = raft_config_parse(&p, out);
    props_free(&p);
    out->node_id = -1; /* no voter: every controller is a peer */
    return err;
}

static void *admin_start(struct env *env, const struct props *config)
{
    struct scn_admin *a = ks_alloc(sizeof(*a));
    a->env = env;
    if (admin_quorum_parse(config, &a->quorum) != KS_OK) {
        env_logf(env, ENV_LOG_ERROR,
                 "admin: controller.quorum.voters must be id@host:port,... (got %s)",
                 props_get(config, "controller.quorum.voters") != NULL
                     ? props_get(config, "controller.quorum.voters")
                     : "nothing");
        free(a);
        return NULL;
    }
    a->net = raft_net_create(env, &a->quorum, &admin_net_handler, a);
    return a;
}

static void admin_stop(void *impl)
{
    struct scn_admin *a = impl;
    if (a->timer != 0)
        env_timer_cancel(a->env, a->timer);
    a->timer = 0;
    raft_net_close_all(a->net);
}

static void admin_destroy(void *impl)
{
    struct scn_admin *a = impl;
    raft_net_free(a->net);
    free(a);
}

static void admin_describe(void *impl, char *buf, size_t buf_bytes)
{
    struct scn_admin *a = impl;
    snprintf(buf, buf_bytes, "ops waiting=%u succeeded=%llu failed=%llu gave_up=%llu", a->count,
             (unsigned long long)a->stats.succeeded, (unsigned long long)a->stats.failed,
             (unsigned long long)a->stats.gave_up);
}

const struct world_node_type scn_admin_node_type = {
    .name = "admin",
    .start = admin_start,
    .stop = admin_stop,
    .destroy = admin_destroy,
    .describe = admin_describe,
};

bool scn_admin_submit(struct scn_admin *a, const struct scn_admin_op *op)
{
    KS_ASSERT(a->count <= SCN_ADMIN_OPS_MAX);
    if (a->count == SCN_ADMIN_OPS_MAX)
        return false;
    a->ops[(a->head + a->count) % SCN_ADMIN_OPS_MAX] = *op;
    a->count++;
    if (a->count == 1 && !a->inflight)
        admin_timer_set(a, 0);
    return true;
}

void scn_admin_stats_get(const struct scn_admin *a, struct scn_admin_stats *out)
{
    *out = a->stats;
}

/* ---- the verb ---- */

struct topic_args {
    uint16_t admin_node;
    struct scn_admin_op op;
};

/* The admin node of via=, or the first declared so far. */
static bool topic_admin_find(struct scn_parser *parser, const struct scn_token *via, uint16_t *out)
{
    const struct scn_script *script = scn_parser_script(parser);
    for (uint32_t i = 0; i < script->node_count; i++) {
        const struct scn_node *n = script->nodes[i];
        if (via != NULL && strcmp(n->name, via->text) != 0)
            continue;
        if (n->kind->type == &scn_admin_node_type) {
            *out = (uint16_t)i;
            return true;
        }
        if (via != NULL)
            return scn_fail(parser, via, "%s is not a node of type=admin", via->text);
    }
    if (via != NULL)
        return scn_fail(parser, via, "no node named %s declared before this line", via->text);
    return scn_fail(parser, NULL,
                    "topic needs an admin node declared before this line "
                    "(node NAME type=admin controller.quorum.voters=...)");
}

/* One key=value word of `topic create`. */
static bool topic_create_kv(struct scn_parser *parser, struct scn_admin_op *op,
                            const struct scn_token *key, const struct scn_token *value)
{
    int64_t v = 0;
    if (strcmp(key->text, "partitions") == 0) {
        if (!scn_token_i64(parser, value, 1, INT32_MAX, &v))
            return false;
        op->partitions = (int32_t)v;
        return true;
    }
    if (strcmp(key->text, "replication.factor") == 0) {
        if (!scn_token_i64(parser, value, 1, INT16_MAX, &v))
            return false;
        op->replication_factor = (int16_t)v;
        return true;
    }
    if (op->config_count == SCN_ADMIN_CONFIGS_MAX)
        return scn_fail(parser, key, "at most %u topic configs", SCN_ADMIN_CONFIGS_MAX);
    if (key->len >= SCN_ADMIN_CONFIG_BYTES_MAX || value->len >= SCN_ADMIN_CONFIG_BYTES_MAX)
        return scn_fail(parser, key, "a topic config longer than %u bytes",
                        SCN_ADMIN_CONFIG_BYTES_MAX - 1);
    memcpy(op->config_keys[op->config_count], key->text, key->len + 1);
    memcpy(op->config_values[op->config_count], value->text, value->len + 1);
    op->config_count++;
    return true;
}

static bool topic_parse(struct scn_parser *parser, void **args_out)
{
    struct scn_token action, name, key, value, via;
    bool via_set = false;
    if (!scn_next(parser, "'create' or 'delete'", &action))
        return false;
    bool create = strcmp(action.text, "create") == 0;
    if (!create && strcmp(action.text, "delete") != 0)
        return scn_fail(parser, &action, "expected 'create' or 'delete'");
    if (!scn_next(parser, "a topic name", &name))
        return false;
    if (name.len >= SCN_ADMIN_TOPIC_BYTES_MAX)
        return scn_fail(parser, &name, "a topic name is at most %u characters",
                        SCN_ADMIN_TOPIC_BYTES_MAX - 1);
    struct topic_args *args = ks_alloc(sizeof(*args));
    args->op.create = create;
    args->op.partitions = -1;
    args->op.replication_factor = -1;
    memcpy(args->op.topic, name.text, name.len + 1);
    bool ok = true;
    struct scn_token peek;
    while (ok && scn_peek(parser, &peek)) { /* each round takes a word */
        ok = scn_kv(parser, "key=value", &key, &value);
        if (ok && strcmp(key.text, "via") == 0) {
            via = value;
            via_set = true;
        } else if (ok && !create) {
            ok = scn_fail(parser, &key, "topic delete takes only via=NODE");
        } else if (ok) {
            ok = topic_create_kv(parser, &args->op, &key, &value);
        }
    }
    ok = ok && topic_admin_find(parser, via_set ? &via : NULL, &args->admin_node);
    if (!ok) {
        free(args);
        return false;
    }
    *args_out = args;
    return true;
}

static void topic_exec(struct runner_exec *exec, const void *raw)
{
    const struct topic_args *args = raw;
    struct world *world = runner_exec_world(exec);
    int node = args->admin_node;
    void *impl = world_node_impl(world, node);
    const char *what = args->op.create ? "create" : "delete";
    if (world_node_state_of(world, node) != WORLD_NODE_RUNNING || impl == NULL) {
        world_tracef(world, node, "admin.skipped", "topic %s %s: the admin node is %s", what,
                     args->op.topic, world_node_state_name(world_node_state_of(world, node)));
        return;
    }
    if (!scn_admin_submit(impl, &args->op))
        world_tracef(world, node, "admin.skipped", "topic %s %s: %u operations wait already", what,
                     args->op.topic, SCN_ADMIN_OPS_MAX);
}

const struct scn_verb scn_admin_verbs[SCN_ADMIN_VERB_COUNT] = {
    {"topic",
     "topic create NAME [partitions=N] [replication.factor=N] [via=NODE] [CONFIG=VALUE...] | "
     "topic delete NAME [via=NODE]",
     SCN_VERB_TIMED | SCN_VERB_BARE, topic_parse, topic_exec, NULL},
};
