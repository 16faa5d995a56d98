/*
 * broker.c: a broker node, see broker.h. Kafka: BrokerServer, KafkaApis (the request
 * handlers as rows of the request server's table, srv.h).
 *
 * A request handed to the replica manager becomes a struct broker_call, the context of
 * its completion callback; the callback encodes the answer at the request's version,
 * ends the request through srv and frees the call. Calls sit in a list so that a stop
 * or a crash (when the replica manager drops delayed requests unanswered) frees them.
 */
#include "broker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balter.h"
#include "bclient.h"
#include "bgroup.h"
#include "system/proto/api.h"
#include "system/proto/api_describe_cluster.h"
#include "system/proto/api_describe_configs.h"
#include "system/proto/api_init_producer_id.h"
#include "system/proto/api_metadata.h"

struct broker_call {
    struct srv_call link; /* first: the broker's list of held requests */
    struct broker *broker;
    int16_t version;
};

/* ---- Calls: requests with the replica manager -------------------------------------- */

static struct broker_call *broker_call_begin(struct broker *b, struct srv_request *request)
{
    KS_ASSERT(b->calls.count < BROKER_CALLS_MAX);
    struct broker_call *c = ks_alloc(sizeof(*c));
    c->broker = b;
    c->version = request->header.api_version;
    srv_call_link(&b->calls, &c->link, request);
    return c;
}

/* Ends the call: the answer (NULL: none, acks=0) goes out and the call is freed. */
static void broker_call_end(struct broker_call *c, const struct wire_writer *body)
{
    struct srv_request *request = srv_call_unlink(&c->link);
    free(c);
    if (body != NULL)
        srv_respond(request, body);
    else
        srv_respond_none(request);
}

/* Frees calls the replica manager will never answer (after rmgr_free or a crash). */
static void broker_calls_free(struct broker *b)
{
    uint32_t freed = 0;
    while (b->calls.first != NULL) { /* bounded by calls.count */
        struct srv_call *c = b->calls.first;
        KS_ASSERT(freed++ < BROKER_CALLS_MAX);
        srv_call_unlink(c);
        free(c); /* the broker_call it begins */
    }
    KS_ASSERT(b->calls.count == 0);
}

/* ---- Completions ---------------------------------------------------------------------- */

static void broker_produce_done(void *ctx, const struct api_produce_response *response)
{
    struct broker_call *c = ctx;
    if (response == NULL) {
        broker_call_end(c, NULL);
        return;
    }
    struct wire_writer w;
    wire_writer_init(&w);
    api_produce_response_encode(&w, c->version, response);
    broker_call_end(c, &w);
    wire_writer_free(&w);
}

/* Kafka answers a partition with nothing to read with empty records, never null ones
 * (librdkafka refuses a null MessageSet): a copy of the response with that fixed. The
 * copy's arrays are allocated (free them with broker_fetch_copy_free); bytes borrowed. */
static void broker_fetch_copy(const struct api_fetch_multi_response *in,
                              struct api_fetch_multi_response *out)
{
    static const uint8_t empty[1] = {0};
    *out = *in;
    out->topics = ks_alloc(((size_t)in->topic_count + 1u) * sizeof(*out->topics));
    for (uint32_t i = 0; i < in->topic_count; i++) {
        const struct api_fetch_topic_data *t = &in->topics[i];
        struct api_fetch_topic_data *o = &out->topics[i];
        *o = *t;
        o->partitions = ks_alloc(((size_t)t->partition_count + 1u) * sizeof(*o->partitions));
        for (uint32_t j = 0; j < t->partition_count; j++) {
            o->partitions[j] = t->partitions[j];
            if (o->partitions[j].records.size_bytes < 0)
                o->partitions[j].records = (struct wire_bytes){empty, 0};
        }
    }
    KS_ASSERT(out->topic_count == in->topic_count);
}

static void broker_fetch_copy_free(struct api_fetch_multi_response *copy)
{
    for (uint32_t i = 0; i < copy->topic_count; i++)
        free(copy->topics[i].partitions);
    free(copy->topics);
    copy->topics = NULL;
}

static void broker_fetch_done(void *ctx, const struct api_fetch_multi_response *response)
{
    struct broker_call *c = ctx;
    struct wire_writer w;
    struct api_fetch_multi_response copy;
    broker_fetch_copy(response, &copy);
    wire_writer_init(&w);
    api_fetch_multi_response_encode(&w, c->version, &copy);
    broker_fetch_copy_free(&copy);
    broker_call_end(c, &w);
    wire_writer_free(&w);
}

static void broker_list_offsets_done(void *ctx, const struct api_list_offsets_response *response)
{
    struct broker_call *c = ctx;
    struct wire_writer w;
    wire_writer_init(&w);
    api_list_offsets_response_encode(&w, c->version, response);
    broker_call_end(c, &w);
    wire_writer_free(&w);
}

static void broker_epoch_done(void *ctx,
                              const struct api_offsets_for_leader_epoch_response *response)
{
    struct broker_call *c = ctx;
    struct wire_writer w;
    wire_writer_init(&w);
    api_offsets_for_leader_epoch_response_encode(&w, c->version, response);
    broker_call_end(c, &w);
    wire_writer_free(&w);
}

/* ---- Handlers (KafkaApis.handle*Request) ------------------------------------------------ */

static void broker_on_produce(void *ctx, struct srv_request *request)
{
    struct broker *b = ctx;
    struct api_produce_request req;
    b->requests++;
    if (api_produce_request_decode(request->header.api_version, request->body,
                                   request->body_size_bytes, &req) != KS_OK) {
        srv_respond_close(request);
        return;
    }
    rmgr_produce(b->rmgr, &req, broker_produce_done, broker_call_begin(b, request));
    api_produce_request_free(&req);
}

static void broker_on_fetch(void *ctx, struct srv_request *request)
{
    struct broker *b = ctx;
    struct api_fetch_multi_request req;
    int16_t version = request->header.api_version;
    b->requests++;
    if (api_fetch_multi_request_decode(version, request->body, request->body_size_bytes,
                                       &req) != KS_OK) {
        srv_respond_close(request);
        return;
    }
    rmgr_fetch(b->rmgr, version, &req, broker_fetch_done, broker_call_begin(b, request));
    api_fetch_multi_request_free(&req);
}

static void broker_on_list_offsets(void *ctx, struct srv_request *request)
{
    struct broker *b = ctx;
    struct api_list_offsets_request req;
    b->requests++;
    if (api_list_offsets_request_decode(request->header.api_version, request->body,
                                        request->body_size_bytes, &req) != KS_OK) {
        srv_respond_close(request);
        return;
    }
    rmgr_list_offsets(b->rmgr, &req, broker_list_offsets_done, broker_call_begin(b, request));
    api_list_offsets_request_free(&req);
}

static void broker_on_epoch(void *ctx, struct srv_request *request)
{
    struct broker *b = ctx;
    struct api_offsets_for_leader_epoch_request req;
    b->requests++;
    if (api_offsets_for_leader_epoch_request_decode(request->header.api_version, request->body,
                                                    request->body_size_bytes, &req) != KS_OK) {
        srv_respond_close(request);
        return;
    }
    rmgr_offsets_for_leader_epoch(b->rmgr, &req, broker_epoch_done,
                                  broker_call_begin(b, request));
    api_offsets_for_leader_epoch_request_free(&req);
}

/* Metadata from the broker's image; unknown topics may be created (auto creation). */
static void broker_on_metadata(void *ctx, struct srv_request *request)
{
    struct broker *b = ctx;
    struct wire_writer w;
    struct bclient_missing missing;
    struct bclient_cluster cluster = {b->cluster_id, b->controller_id, b->broker_id,
                                      b->self_host[0] != '\0' ? b->self_host : NULL,
                                      b->self_port};
    b->requests++;
    missing.count = 0;
    wire_writer_init(&w);
    enum ks_err err =
        bclient_metadata(&b->rmgr->image, &cluster, request->header.api_version, request->body,
                         request->body_size_bytes, &w,
                         b->auto_create_fn != NULL ? &missing : NULL);
    if (err == KS_OK)
        srv_respond(request, &w);
    else
        srv_respond_close(request);
    wire_writer_free(&w);
    if (missing.count > 0)
        b->auto_create_fn(b->auto_create_ctx, (const char *const *)missing.names, missing.count);
    bclient_missing_free(&missing);
}

static void broker_on_init_producer_id(void *ctx, struct srv_request *request)
{
    struct broker *b = ctx;
    struct wire_writer w;
    b->requests++;
    wire_writer_init(&w);
    enum ks_err err =
        bclient_init_producer_id(&b->producer_id_next, request->header.api_version, request->body,
                                 request->body_size_bytes, &w);
    if (err == KS_OK)
        srv_respond(request, &w);
    else
        srv_respond_close(request);
    wire_writer_free(&w);
}

/* DescribeConfigs and DescribeCluster from the image (bclient.h). */
static void broker_on_describe(void *ctx, struct srv_request *request)
{
    struct broker *b = ctx;
    struct wire_writer w;
    struct bclient_cluster cluster = {b->cluster_id, b->controller_id, b->broker_id,
                                      b->self_host[0] != '\0' ? b->self_host : NULL,
                                      b->self_port};
    int16_t version = request->header.api_version;
    b->requests++;
    wire_writer_init(&w);
    enum ks_err err =
        request->header.api_key == API_DESCRIBE_CONFIGS
            ? bclient_describe_configs(&b->rmgr->image, b->broker_id, version, request->body,
                                       request->body_size_bytes, &w)
            : bclient_describe_cluster(&b->rmgr->image, &cluster, version, request->body,
                                       request->body_size_bytes, &w);
    if (err == KS_OK)
        srv_respond(request, &w);
    else
        srv_respond_close(request);
    wire_writer_free(&w);
}

uint32_t broker_handlers_build(struct broker *b, struct srv_handler *rows, uint32_t rows_max)
{
    KS_ASSERT(rows_max >= BROKER_HANDLERS_COUNT);
    rows[0] = (struct srv_handler){API_PRODUCE, API_PRODUCE_VERSION_MIN, API_PRODUCE_VERSION_MAX,
                                   broker_on_produce, b};
    rows[1] = (struct srv_handler){API_FETCH, API_FETCH_VERSION_MIN, API_FETCH_VERSION_MAX,
                                   broker_on_fetch, b};
    rows[2] = (struct srv_handler){API_LIST_OFFSETS, API_LIST_OFFSETS_VERSION_MIN,
                                   API_LIST_OFFSETS_VERSION_MAX, broker_on_list_offsets, b};
    rows[3] = (struct srv_handler){API_METADATA, API_METADATA_VERSION_MIN, API_METADATA_VERSION_MAX,
                                   broker_on_metadata, b};
    rows[4] = (struct srv_handler){API_OFFSET_FOR_LEADER_EPOCH,
                                   API_OFFSETS_FOR_LEADER_EPOCH_VERSION_MIN,
                                   API_OFFSETS_FOR_LEADER_EPOCH_VERSION_MAX, broker_on_epoch, b};
    rows[5] = (struct srv_handler){API_INIT_PRODUCER_ID, API_INIT_PRODUCER_ID_VERSION_MIN,
                                   API_INIT_PRODUCER_ID_VERSION_MAX, broker_on_init_producer_id, b};
    rows[6] = (struct srv_handler){API_DESCRIBE_CONFIGS, API_DESCRIBE_CONFIGS_VERSION_MIN,
                                   API_DESCRIBE_CONFIGS_VERSION_MAX, broker_on_describe, b};
    rows[7] = (struct srv_handler){API_DESCRIBE_CLUSTER, API_DESCRIBE_CLUSTER_VERSION_MIN,
                                   API_DESCRIBE_CLUSTER_VERSION_MAX, broker_on_describe, b};
    _Static_assert(BROKER_HANDLERS_COUNT == 8, "one row an API");
    return BROKER_HANDLERS_COUNT;
}

/* Adds the broker's rows to the server (srv_handler_add: the rows' versions are the
 * broker's codecs', vouched for here). */
static void broker_handlers_add(struct broker *b)
{
    struct srv_handler rows[BROKER_HANDLERS_COUNT];
    uint32_t count = broker_handlers_build(b, rows, BROKER_HANDLERS_COUNT);
    for (uint32_t i = 0; i < count; i++)
        srv_handler_add(b->srv, &rows[i]);
}

/* ---- Node --------------------------------------------------------------------------- */

static void broker_alter_thunk(void *ctx, const struct pchange_alter *alter)
{
    struct broker *b = ctx;
    if (b->alter_fn != NULL)
        b->alter_fn(b->alter_ctx, alter);
}

/* ---- KRaft: the net to the controllers, routed to bmeta and blife ---------------- */

static enum ks_err broker_net_request(void *ctx, const struct frame_request_header *header,
                                      const uint8_t *body, uint32_t size_bytes,
                                      struct wire_writer *response)
{
    (void)ctx;
    (void)header;
    (void)body;
    (void)size_bytes;
    (void)response;
    return KS_ERR_INVALID; /* a broker does not listen on the controller port */
}

static void broker_net_response(void *ctx, int32_t peer_id, int16_t api_key, uint64_t cookie,
                                const uint8_t *body, uint32_t size_bytes)
{
    struct broker *b = ctx;
    if (api_key == API_FETCH)
        bmeta_on_response(b->meta, peer_id, cookie, body, size_bytes);
    else if (api_key == API_ALTER_PARTITION)
        balter_on_response(b->alter, peer_id, cookie, body, size_bytes);
    else
        blife_on_response(b->life, peer_id, api_key, cookie, body, size_bytes);
}

static void broker_net_failure(void *ctx, int32_t peer_id, int16_t api_key, uint64_t cookie)
{
    struct broker *b = ctx;
    if (api_key == API_FETCH)
        bmeta_on_failure(b->meta, peer_id, cookie);
    else if (api_key == API_ALTER_PARTITION)
        balter_on_failure(b->alter, peer_id, cookie);
    else
        blife_on_failure(b->life, peer_id, cookie);
}

/* AlterPartitionManager's view: the controller bmeta heard of, blife's broker epoch. */
static int32_t broker_alter_controller(void *ctx)
{
    struct broker *b = ctx;
    return bmeta_leader_id(b->meta);
}

static int64_t broker_alter_epoch(void *ctx)
{
    struct broker *b = ctx;
    return b->life->broker_epoch;
}

static const struct raft_net_handler broker_net_handler = {broker_net_request, broker_net_response,
                                                           broker_net_failure};

/* BrokerMetadataPublisher: a new image reaches the replica manager. */
static void broker_publish(void *ctx, const struct mimage *img)
{
    struct broker *b = ctx;
    if (broker_apply_image(b, img) != KS_OK)
        env_logf(b->env, ENV_LOG_WARN, "broker %d: image at %lld not applied", b->broker_id,
                 (long long)img->offset);
}

/* controller.quorum.voters parsed as raft does; raft insists node.id is a voter, so it
 * parses a copy naming the first voter, then the broker's id goes back in. */
static enum ks_err broker_config_quorum(struct broker *b, const struct props *config)
{
    struct props copy;
    props_init(&copy);
    enum ks_err err = props_merge(&copy, config);
    const char *voters = props_get(config, "controller.quorum.voters");
    char first[16] = {0};
    for (uint32_t i = 0;
         voters != NULL && i + 1 < sizeof(first) && voters[i] != '@' && voters[i] != 0; i++)
        first[i] = voters[i];
    if (err == KS_OK)
        err = props_set(&copy, "node.id", first);
    if (err == KS_OK)
        err = raft_config_parse(&copy, &b->quorum);
    props_free(&copy);
    if (err != KS_OK || raft_config_voter_index(&b->quorum, b->broker_id) >= 0)
        return KS_ERR_INVALID_CONFIG; /* a broker is never a voter (combined mode: no) */
    b->quorum.node_id = b->broker_id;
    return KS_OK;
}

/* listeners=PLAINTEXT://host:port (the first); else the node's name and port. */
static enum ks_err broker_config_listener(struct broker *b, const struct props *config)
{
    struct blife_config *lc = &b->life_config;
    const char *listeners = props_get(config, "listeners");
    const char *host = listeners != NULL ? strstr(listeners, "://") : NULL;
    snprintf(lc->host, sizeof(lc->host), "%s",
             b->env->node_name != NULL ? b->env->node_name : "localhost");
    lc->port = b->port;
    if (host != NULL) {
        host += 3;
        const char *colon = strchr(host, ':');
        long port = colon != NULL ? strtol(colon + 1, NULL, 10) : 0;
        if (colon == NULL || port <= 0 || port > UINT16_MAX)
            return KS_ERR_INVALID_CONFIG;
        if (colon > host && (size_t)(colon - host) < sizeof(lc->host))
            snprintf(lc->host, sizeof(lc->host), "%.*s", (int)(colon - host), host);
        lc->port = (uint16_t)port;
        b->port = lc->port;
    }
    return KS_OK;
}

static enum ks_err broker_config_kraft(struct broker *b, const struct props *config)
{
    struct blife_config *lc = &b->life_config;
    int64_t interval = BLIFE_HEARTBEAT_INTERVAL_MS_DEFAULT;
    b->kraft = props_get(config, "controller.quorum.voters") != NULL;
    if (!b->kraft)
        return KS_OK;
    if (broker_config_quorum(b, config) != KS_OK || broker_config_listener(b, config) != KS_OK ||
        props_get_i64(config, "broker.heartbeat.interval.ms", interval, &interval) != KS_OK ||
        interval <= 0 || interval > RAFT_TIMEOUT_MS_MAX)
        return KS_ERR_INVALID_CONFIG;
    lc->broker_id = b->broker_id;
    lc->heartbeat_interval_ms = (uint32_t)interval;
    const char *rack = props_get(config, "broker.rack");
    const char *cluster = props_get(config, "cluster.id");
    snprintf(lc->rack, sizeof(lc->rack), "%s", rack != NULL ? rack : "");
    snprintf(lc->cluster_id, sizeof(lc->cluster_id), "%s", cluster != NULL ? cluster : "");
    return KS_OK;
}

static void broker_start_kraft(struct broker *b)
{
    KS_ASSERT(b->kraft);
    b->net = raft_net_create(b->env, &b->quorum, &broker_net_handler, b);
    b->meta = bmeta_create(b->env, b->net, &b->quorum, broker_publish, b);
    b->life = blife_create(b->env, b->net, &b->quorum, b->meta, &b->life_config);
    struct balter_hooks hooks = {broker_alter_controller, broker_alter_epoch, NULL, b};
    b->alter = balter_create(b->env, b->broker_id, b->net, &b->quorum, b->rmgr, &hooks);
    if (b->alter_fn == NULL)
        broker_set_alter_partition(b, balter_alter, b->alter);
}

static enum ks_err broker_config(struct broker *b, const struct props *config,
                                 struct rmgr_config *rc, struct plog_config *pc)
{
    int64_t port = BROKER_PORT_DEFAULT;
    const char *bad_key = NULL;
    srv_config_default(&b->srv_config);
    if (rmgr_config_from_props(config, rc) != KS_OK ||
        plog_config_from_props(config, pc) != KS_OK ||
        srv_config_from_props(&b->srv_config, config, &bad_key) != KS_OK ||
        props_get_i64(config, "port", BROKER_PORT_DEFAULT, &port) != KS_OK || port <= 0 ||
        port > UINT16_MAX)
        return KS_ERR_INVALID_CONFIG;
    const char *dir = props_get(config, "log.dir");
    if (dir == NULL)
        dir = props_get(config, "log.dirs"); /* one directory */
    snprintf(b->log_dir, sizeof(b->log_dir), "%s", dir != NULL ? dir : BROKER_LOG_DIR_DEFAULT);
    const char *cluster = props_get(config, "cluster.id");
    snprintf(b->cluster_id, sizeof(b->cluster_id), "%s", cluster != NULL ? cluster : "");
    b->port = (uint16_t)port;
    b->broker_id = rc->broker_id;
    b->srv_config.node_id = b->broker_id;
    return broker_config_kraft(b, config);
}

/* The log dir and the server: lent by the host, or the broker's own. */
static enum ks_err broker_open(struct broker *b, const struct plog_config *pc,
                               const struct broker_host *host)
{
    if (host != NULL) {
        KS_ASSERT(host->logdir != NULL);
        KS_ASSERT(host->srv != NULL);
        b->hosted = true;
        b->logdir = host->logdir;
        b->srv = host->srv;
        return KS_OK;
    }
    enum ks_err err = logdir_open(b->env, b->log_dir, pc, NULL, NULL, &b->logdir);
    if (err == KS_OK)
        b->srv = srv_create(b->env, &b->srv_config, NULL, 0);
    return err;
}

struct broker *broker_create(struct env *env, const struct props *config,
                             const struct broker_host *host)
{
    struct broker *b = ks_alloc(sizeof(*b));
    b->env = env;
    b->controller_id = -1;
    struct rmgr_config rc;
    struct plog_config pc;
    enum ks_err err = broker_config(b, config, &rc, &pc);
    if (err == KS_OK)
        err = broker_open(b, &pc, host);
    if (err == KS_OK) {
        b->rmgr = rmgr_create(env, &rc, b->logdir, broker_alter_thunk, b);
        broker_handlers_add(b);
        if (!b->hosted)
            err = srv_listen(b->srv, b->port);
    }
    if (err == KS_OK) {
        b->group = bgroup_attach(b, config); /* the group coordinator's rows on b->srv */
        err = b->group != NULL ? KS_OK : KS_ERR_INVALID_CONFIG;
    }
    if (err == KS_OK && b->kraft)
        broker_start_kraft(b);
    if (err != KS_OK) {
        env_logf(env, ENV_LOG_ERROR, "broker start failed: %s", ks_err_name(err));
        broker_destroy(b);
        return NULL;
    }
    b->producer_id_next = (int64_t)b->broker_id << 32 | (int64_t)(env_random(env) & 0xffffu) << 16;
    env_tracef(env, "broker.start", "id=%d port=%u%s", b->broker_id, b->port,
               b->hosted ? " hosted" : "");
    return b;
}

void *broker_start(struct env *env, const struct props *config)
{
    return broker_create(env, config, NULL);
}

void broker_stop(void *node)
{
    struct broker *b = node;
    if (b->kraft) {
        balter_stop(b->alter);
        blife_stop(b->life);
        bmeta_stop(b->meta);
        raft_net_close_all(b->net);
    }
    bgroup_stop(b->group);
    rmgr_free(b->rmgr); /* delayed requests dropped unanswered */
    b->rmgr = NULL;
    if (!b->hosted) {
        srv_free(b->srv); /* ends the requests still held, closes connections */
        b->srv = NULL;
    }
    broker_calls_free(b);
    if (!b->hosted && logdir_close(b->logdir, 0) != KS_OK)
        env_logf(b->env, ENV_LOG_WARN, "broker %d: unclean log dir close", b->broker_id);
    b->logdir = NULL;
}

void broker_destroy(void *node)
{
    struct broker *b = node;
    bgroup_free(b->group);
    if (b->rmgr != NULL)
        rmgr_destroy(b->rmgr);
    if (!b->hosted) {
        srv_abandon(b->srv);
        if (b->logdir != NULL)
            logdir_free(b->logdir);
    }
    broker_calls_free(b);
    if (b->net != NULL)
        raft_net_free(b->net);
    bmeta_free(b->meta);
    balter_free(b->alter);
    if (b->life != NULL)
        blife_free(b->life);
    free(b);
}

void broker_describe(void *node, char *buf, size_t buf_bytes)
{
    struct broker *b = node;
    if (!b->kraft) {
        snprintf(buf, buf_bytes, "broker %d (static metadata)", b->broker_id);
        return;
    }
    snprintf(buf, buf_bytes, "broker %d %s fenced=%d epoch=%lld metadata=%lld controller=%d",
             b->broker_id, blife_state_name(b->life->state), b->life->fenced,
             (long long)b->life->broker_epoch, (long long)bmeta_applied_offset(b->meta),
             bmeta_leader_id(b->meta));
}

void broker_begin_controlled_shutdown(struct broker *b)
{
    if (b->kraft)
        blife_begin_controlled_shutdown(b->life);
}

bool broker_shutdown_ready(const struct broker *b)
{
    return !b->kraft || blife_shutdown_ready(b->life);
}

enum ks_err broker_apply_image(struct broker *b, const struct mimage *img)
{
    KS_ASSERT(b->rmgr != NULL);
    enum ks_err err = rmgr_apply_image(b->rmgr, img);
    bgroup_on_image(b->group); /* load or unload __consumer_offsets partitions */
    return err;
}

void broker_set_alter_partition(struct broker *b, rmgr_alter_partition_fn fn, void *ctx)
{
    b->alter_fn = fn;
    b->alter_ctx = ctx;
}

void broker_set_auto_create(struct broker *b, broker_auto_create_fn fn, void *ctx)
{
    b->auto_create_fn = fn;
    b->auto_create_ctx = ctx;
}

void broker_set_cluster(struct broker *b, const char *cluster_id, int32_t controller_id)
{
    KS_ASSERT(controller_id >= -1);
    snprintf(b->cluster_id, sizeof(b->cluster_id), "%s", cluster_id != NULL ? cluster_id : "");
    b->controller_id = controller_id;
}

void broker_set_self_endpoint(struct broker *b, const char *host, uint16_t port)
{
    KS_ASSERT(host != NULL);
    snprintf(b->self_host, sizeof(b->self_host), "%s", host);
    b->self_port = port;
}

struct srv *broker_srv(struct broker *b)
{
    KS_ASSERT(b->srv != NULL);
    return b->srv;
}
