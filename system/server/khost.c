/*
 * khost.c: the broker and the controller of a combined node, see khost.h. Kafka:
 * KafkaRaftServer (combined mode), BrokerLifecycleManager, BrokerMetadataPublisher,
 * ControllerApis.handleCreateTopics / handleDeleteTopics reached by forwarding,
 * AutoTopicCreationManager.
 *
 * One timer (every KHOST_TICK_MS) drives the broker's side: push a newer committed
 * image to the broker, register once the controller is active, heartbeat. CreateTopics
 * and DeleteTopics on the broker listener become calls to the controller, answered when
 * their records commit; the calls sit in a list so that a crash frees them.
 */
#include "system/server/khost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/broker/balter.h"
#include "system/broker/broker.h"
#include "system/controller/ctrl_raft.h"
#include "system/group/gcoord.h"
#include "system/raft/raft.h"
#include "system/raft/raft_config.h"
#include "system/raft/raft_net.h"
#include "system/server/subenv.h"

#define KHOST_NS_PER_MS 1000000ull
#define KHOST_CLUSTER_ID_BYTES_MAX 64u
#define KHOST_LISTENER_NAME "PLAINTEXT"
#define KHOST_SECURITY_PLAINTEXT 0
#define KHOST_OFFSETS_TOPIC "__consumer_offsets"
/* Versions the broker's session speaks to a remote controller (as blife.h). */
#define KHOST_REGISTRATION_VERSION 3
#define KHOST_HEARTBEAT_VERSION 1
#define KHOST_CREATE_TOPICS_VERSION 5

struct khost_call {
    struct srv_call link; /* first: the host's list of held requests */
    struct khost *host;
    int16_t version;
};

struct khost {
    struct env *env;
    struct subenv meta_env; /* files under <log dir>/metadata */
    int32_t node_id;
    char cluster_id[KHOST_CLUSTER_ID_BYTES_MAX];
    char endpoint_host[KHOST_HOST_BYTES_MAX];
    uint16_t endpoint_port;
    uint64_t heartbeat_interval_ns;
    int32_t offsets_partition_count; /* offsets.topic.num.partitions, as the coordinator's */
    struct ctrl_raft *cr;
    struct raft *raft;
    struct raft_config quorum; /* the voters, for net */
    struct raft_net *net;      /* to a remote active controller; NULL in a quorum of one */
    struct broker *broker;
    env_timer_id timer;
    bool stopped;
    /* the broker's session with the local controller */
    struct wire_uuid incarnation_id;
    bool registering;
    bool heartbeating;
    int64_t broker_epoch; /* -1 before registration */
    uint64_t register_next_ns; /* after a refused registration, retry from then */
    bool fenced;
    uint64_t heartbeat_next_ns;
    int64_t image_offset; /* of the last image pushed to the broker */
    struct balter *alter; /* AlterPartitionManager (balter.h) */
    /* client requests waiting for the controller */
    struct srv_calls calls; /* CreateTopics and DeleteTopics waiting for the controller */
};

static struct ctrl *khost_ctrl(const struct khost *h)
{
    return ctrl_raft_ctrl(h->cr);
}

/* ---- A remote active controller (BrokerLifecycleManager over the network) ---- */

/* The voter that leads the quorum, or -1. */
static int32_t khost_leader(const struct khost *h)
{
    struct raft_status st;
    raft_status_get(h->raft, &st);
    return st.leader_id;
}

static void khost_registered(void *ctx, const struct api_broker_registration_response *r);
static void khost_heartbeat_done(void *ctx, const struct api_broker_heartbeat_response *r);

/* Sends a request to the leading voter's controller listener; a failure to send ends
 * the call at once (the next tick tries again). */
static void khost_send(struct khost *h, int16_t api_key, int16_t version,
                       const struct wire_writer *body)
{
    int32_t leader = khost_leader(h);
    enum ks_err err = KS_ERR_NOT_CONTROLLER;
    if (h->net != NULL && leader >= 0 && leader != h->node_id)
        err = raft_net_send(h->net, leader, api_key, version, body, (uint64_t)api_key);
    if (err == KS_OK)
        return;
    h->registering = api_key == API_BROKER_REGISTRATION ? false : h->registering;
    h->heartbeating = api_key == API_BROKER_HEARTBEAT ? false : h->heartbeating;
}

static enum ks_err khost_net_request(void *ctx, const struct frame_request_header *header,
                                     const uint8_t *body, uint32_t size_bytes,
                                     struct wire_writer *response)
{
    return KS_ERR_INVALID; /* this net never listens */
}

static void khost_net_response(void *ctx, int32_t peer_id, int16_t api_key, uint64_t cookie,
                               const uint8_t *body, uint32_t size_bytes)
{
    struct khost *h = ctx;
    if (h->stopped)
        return;
    if (api_key == API_ALTER_PARTITION) {
        balter_on_response(h->alter, peer_id, cookie, body, size_bytes);
    } else if (api_key == API_BROKER_REGISTRATION && h->registering) {
        struct api_broker_registration_response r;
        if (api_broker_registration_response_decode(KHOST_REGISTRATION_VERSION, body, size_bytes,
                                                    &r) != KS_OK)
            r.error_code = KS_ERR_CORRUPT_MESSAGE;
        khost_registered(h, &r);
    } else if (api_key == API_BROKER_HEARTBEAT && h->heartbeating) {
        struct api_broker_heartbeat_response r;
        if (api_broker_heartbeat_response_decode(KHOST_HEARTBEAT_VERSION, body, size_bytes, &r) !=
            KS_OK)
            r.error_code = KS_ERR_CORRUPT_MESSAGE;
        khost_heartbeat_done(h, &r);
    }
}

static void khost_net_failure(void *ctx, int32_t peer_id, int16_t api_key, uint64_t cookie)
{
    struct khost *h = ctx;
    h->registering = api_key == API_BROKER_REGISTRATION ? false : h->registering;
    h->heartbeating = api_key == API_BROKER_HEARTBEAT ? false : h->heartbeating;
    if (api_key == API_ALTER_PARTITION && !h->stopped)
        balter_on_failure(h->alter, peer_id, cookie);
}

static const struct raft_net_handler khost_net_handler = {khost_net_request, khost_net_response,
                                                          khost_net_failure};

/* ---- AlterPartition (AlterPartitionManager): the leader's ISR changes ---- */

static int32_t khost_alter_controller(void *ctx)
{
    return khost_leader(ctx);
}

static int64_t khost_alter_epoch(void *ctx)
{
    const struct khost *h = ctx;
    return h->broker_epoch;
}

static void khost_alter_done(void *ctx, const struct ctrl_alter_partition_result *r)
{
    struct mimage_partition state;
    memset(&state, 0, sizeof(state));
    KS_ASSERT(r->isr_count <= MREC_REPLICAS_MAX);
    state.isr_count = r->isr_count;
    memcpy(state.isr, r->isr, r->isr_count * sizeof(state.isr[0]));
    state.leader = r->leader_id;
    state.leader_epoch = r->leader_epoch;
    state.partition_epoch = r->partition_epoch;
    balter_call_answer(ctx, (enum ks_err)r->error_code, &state);
}

/* The local controller takes the change when it is the active one. */
static bool khost_alter_local(void *ctx, const struct pchange_alter *alter, int64_t broker_epoch,
                              struct balter_call *call)
{
    struct khost *h = ctx;
    if (!ctrl_is_active(khost_ctrl(h)))
        return false;
    ctrl_alter_partition(khost_ctrl(h), alter, broker_epoch, khost_alter_done, call);
    return true;
}

/* ---- The broker's session (BrokerLifecycleManager, straight to the controller) ---- */

static void khost_registered(void *ctx, const struct api_broker_registration_response *r)
{
    struct khost *h = ctx;
    KS_ASSERT(h->registering);
    h->registering = false;
    if (r->error_code != KS_OK) {
        h->register_next_ns = env_mono_ns(h->env) + KHOST_FENCED_HEARTBEAT_MS * 10 * KHOST_NS_PER_MS;
        env_logf(h->env, ENV_LOG_WARN, "[BrokerLifecycleManager id=%d] registration failed: %s",
                 h->node_id, ks_err_name((enum ks_err)r->error_code));
        return;
    }
    h->broker_epoch = r->broker_epoch;
    h->heartbeat_next_ns = 0;
    env_logf(h->env, ENV_LOG_INFO,
             "[BrokerLifecycleManager id=%d] Successfully registered broker %d with broker "
             "epoch %lld",
             h->node_id, h->node_id, (long long)r->broker_epoch);
}

static void khost_register(struct khost *h)
{
    struct api_broker_registration_request req;
    KS_ASSERT(!h->registering);
    memset(&req, 0, sizeof(req));
    req.broker_id = h->node_id;
    req.cluster_id = wire_string_from(h->cluster_id);
    req.incarnation_id = h->incarnation_id;
    req.listener_count = 1;
    req.listeners[0] = (struct api_broker_registration_listener){
        wire_string_from(KHOST_LISTENER_NAME), wire_string_from(h->endpoint_host),
        h->endpoint_port, KHOST_SECURITY_PLAINTEXT};
    req.rack = wire_string_null();
    req.previous_broker_epoch = -1;
    h->registering = true;
    if (ctrl_is_active(khost_ctrl(h))) {
        ctrl_broker_registration(khost_ctrl(h), &req, khost_registered, h);
        return;
    }
    struct wire_writer w;
    wire_writer_init(&w);
    api_broker_registration_request_encode(&w, KHOST_REGISTRATION_VERSION, &req);
    khost_send(h, API_BROKER_REGISTRATION, KHOST_REGISTRATION_VERSION, &w);
    wire_writer_free(&w);
}

static void khost_heartbeat_done(void *ctx, const struct api_broker_heartbeat_response *r)
{
    struct khost *h = ctx;
    KS_ASSERT(h->heartbeating);
    h->heartbeating = false;
    if (r->error_code != KS_OK) {
        if (r->error_code == KS_ERR_STALE_BROKER_EPOCH)
            h->broker_epoch = -1; /* register again */
        return;
    }
    if (h->fenced && !r->is_fenced)
        env_logf(h->env, ENV_LOG_INFO,
                 "[BrokerLifecycleManager id=%d] The broker has been unfenced. Transitioning "
                 "from RECOVERY to RUNNING.",
                 h->node_id);
    h->fenced = r->is_fenced;
}

static void khost_heartbeat(struct khost *h, uint64_t now_ns)
{
    struct api_broker_heartbeat_request req;
    KS_ASSERT(h->broker_epoch >= 0);
    KS_ASSERT(!h->heartbeating);
    memset(&req, 0, sizeof(req));
    req.broker_id = h->node_id;
    req.broker_epoch = h->broker_epoch;
    req.current_metadata_offset = h->image_offset;
    req.want_fence = h->image_offset < h->broker_epoch; /* our registration not applied */
    h->heartbeating = true;
    h->heartbeat_next_ns =
        now_ns + (h->fenced ? KHOST_FENCED_HEARTBEAT_MS * KHOST_NS_PER_MS : h->heartbeat_interval_ns);
    if (ctrl_is_active(khost_ctrl(h))) {
        ctrl_broker_heartbeat(khost_ctrl(h), &req, khost_heartbeat_done, h);
        return;
    }
    struct wire_writer w;
    wire_writer_init(&w);
    api_broker_heartbeat_request_encode(&w, KHOST_HEARTBEAT_VERSION, &req);
    khost_send(h, API_BROKER_HEARTBEAT, KHOST_HEARTBEAT_VERSION, &w);
    wire_writer_free(&w);
}

/* BrokerMetadataPublisher: a newer committed image reaches the replica manager. */
static void khost_publish(struct khost *h)
{
    const struct mimage *img = ctrl_committed_image(khost_ctrl(h));
    if (img->offset == h->image_offset)
        return;
    if (broker_apply_image(h->broker, img) != KS_OK) {
        env_logf(h->env, ENV_LOG_WARN, "[BrokerMetadataPublisher id=%d] image at %lld not applied",
                 h->node_id, (long long)img->offset);
        return;
    }
    h->image_offset = img->offset;
}

static void khost_tick(void *ctx)
{
    struct khost *h = ctx;
    KS_ASSERT(!h->stopped);
    h->timer = env_timer_start(h->env, KHOST_TICK_MS * KHOST_NS_PER_MS, khost_tick, h);
    khost_publish(h);
    int32_t leader = khost_leader(h);
    broker_set_cluster(h->broker, h->cluster_id, leader >= 0 ? leader : h->node_id);
    bool remote = h->net != NULL && leader >= 0 && leader != h->node_id;
    if (!ctrl_is_active(khost_ctrl(h)) && !remote)
        return;
    uint64_t now = env_mono_ns(h->env);
    if (h->broker_epoch < 0 && !h->registering && now >= h->register_next_ns)
        khost_register(h);
    else if (h->broker_epoch >= 0 && !h->heartbeating && now >= h->heartbeat_next_ns)
        khost_heartbeat(h, now);
}

bool khost_ready(const struct khost *h)
{
    return h->broker_epoch >= 0 && !h->fenced;
}

/* ---- Auto topic creation (Metadata with allow_auto_topic_creation) ---- */

static void khost_auto_created(void *ctx, const struct api_create_topics_response *r)
{
    struct khost *h = ctx;
    for (uint32_t i = 0; i < r->topic_count; i++) {
        const struct api_create_topics_result *t = &r->topics[i];
        if (t->error_code != KS_OK && t->error_code != KS_ERR_TOPIC_ALREADY_EXISTS)
            env_logf(h->env, ENV_LOG_INFO, "[AutoTopicCreationManager id=%d] %.*s: %s",
                     h->node_id, t->name.length < 0 ? 0 : t->name.length, t->name.chars,
                     ks_err_name((enum ks_err)t->error_code));
    }
    if (!h->stopped)
        khost_publish(h);
}

static void khost_auto_create(void *ctx, const char *const *topics, uint32_t count)
{
    struct khost *h = ctx;
    if (h->stopped)
        return;
    bool local = ctrl_is_active(khost_ctrl(h));
    int32_t leader = khost_leader(h);
    if (!local && (h->net == NULL || leader < 0 || leader == h->node_id))
        return; /* the client asks again */
    static const struct api_create_topics_config compact = {
        {"cleanup.policy", 14}, {"compact", 7}};
    struct api_create_topics_request req;
    memset(&req, 0, sizeof(req));
    req.topics = ks_alloc((size_t)count * sizeof(*req.topics));
    for (uint32_t i = 0; i < count; i++) {
        bool offsets = strcmp(topics[i], KHOST_OFFSETS_TOPIC) == 0;
        if (topics[i][0] == '_' && topics[i][1] == '_' && !offsets)
            continue; /* other internal topics are created by their owners */
        struct api_create_topics_topic *t = &req.topics[req.topic_count++];
        t->name = wire_string_from(topics[i]);
        t->num_partitions = offsets ? h->offsets_partition_count : -1;
        t->replication_factor = -1; /* default.replication.factor */
        if (offsets) { /* GroupCoordinator's offsetsTopicConfigs */
            t->config_count = 1;
            t->configs = (struct api_create_topics_config *)&compact;
        }
    }
    req.timeout_ms = 30000;
    if (req.topic_count > 0 && local) {
        ctrl_create_topics(khost_ctrl(h), &req, khost_auto_created, h);
    } else if (req.topic_count > 0) { /* forwarded; the answer is not waited for */
        struct wire_writer w;
        wire_writer_init(&w);
        api_create_topics_request_encode(&w, KHOST_CREATE_TOPICS_VERSION, &req);
        enum ks_err err =
            raft_net_send(h->net, leader, API_CREATE_TOPICS, KHOST_CREATE_TOPICS_VERSION, &w, 0);
        if (err != KS_OK)
            env_logf(h->env, ENV_LOG_DEBUG, "[AutoTopicCreationManager id=%d] not forwarded: %s",
                     h->node_id, ks_err_name(err));
        wire_writer_free(&w);
    }
    free(req.topics);
}

/* ---- CreateTopics and DeleteTopics on the broker listener ---- */

static struct khost_call *khost_call_begin(struct khost *h, struct srv_request *request)
{
    KS_ASSERT(h->calls.count < KHOST_CALLS_MAX);
    struct khost_call *c = ks_alloc(sizeof(*c));
    c->host = h;
    c->version = request->header.api_version;
    srv_call_link(&h->calls, &c->link, request);
    return c;
}

static void khost_call_end(struct khost_call *c, const struct wire_writer *body)
{
    struct khost *h = c->host;
    struct srv_request *request = srv_call_unlink(&c->link);
    free(c);
    if (!h->stopped)
        khost_publish(h); /* the broker sees the new topics before the client does */
    srv_respond(request, body);
}

static void khost_create_topics_done(void *ctx, const struct api_create_topics_response *r)
{
    struct khost_call *c = ctx;
    struct wire_writer w;
    wire_writer_init(&w);
    api_create_topics_response_encode(&w, c->version, r);
    khost_call_end(c, &w);
    wire_writer_free(&w);
}

static void khost_on_create_topics(void *ctx, struct srv_request *request)
{
    struct khost *h = ctx;
    struct api_create_topics_request req;
    if (api_create_topics_request_decode(request->header.api_version, request->body,
                                         request->body_size_bytes, &req) != KS_OK) {
        srv_respond_close(request);
        return;
    }
    ctrl_create_topics(khost_ctrl(h), &req, khost_create_topics_done,
                       khost_call_begin(h, request));
    api_create_topics_request_free(&req);
}

static void khost_delete_topics_done(void *ctx, const struct api_delete_topics_response *r)
{
    struct khost_call *c = ctx;
    struct wire_writer w;
    wire_writer_init(&w);
    api_delete_topics_response_encode(&w, c->version, r);
    khost_call_end(c, &w);
    wire_writer_free(&w);
}

static void khost_on_delete_topics(void *ctx, struct srv_request *request)
{
    struct khost *h = ctx;
    struct api_delete_topics_request req;
    int16_t version = request->header.api_version;
    if (api_delete_topics_request_decode(version, request->body, request->body_size_bytes, &req) !=
        KS_OK) {
        srv_respond_close(request);
        return;
    }
    ctrl_delete_topics(khost_ctrl(h), version, &req, khost_delete_topics_done,
                       khost_call_begin(h, request));
    api_delete_topics_request_free(&req);
}

static void khost_rows_add(struct khost *h, struct srv *srv)
{
    const struct srv_handler rows[] = {
        {API_CREATE_TOPICS, API_CREATE_TOPICS_VERSION_MIN, API_CREATE_TOPICS_VERSION_MAX,
         khost_on_create_topics, h},
        {API_DELETE_TOPICS, API_DELETE_TOPICS_VERSION_MIN, API_DELETE_TOPICS_VERSION_MAX,
         khost_on_delete_topics, h},
    };
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(rows); i++)
        srv_handler_add(srv, &rows[i]);
}

/* ---- Start and stop ---- */

/* The settings every part reads: the caller's, then the node's identity over them;
 * without controller.quorum.voters for the broker (it is fed the image here). */
static enum ks_err khost_props(const struct khost_config *config, bool for_broker,
                               struct props *out)
{
    char id[16];
    enum ks_err err = KS_OK;
    props_init(out);
    const struct props *in = config->props;
    for (uint32_t i = 0; in != NULL && i < in->count && err == KS_OK; i++) {
        const char *key = in->entries[i].key;
        if (!(for_broker && strcmp(key, "controller.quorum.voters") == 0))
            err = props_set(out, key, in->entries[i].value);
    }
    snprintf(id, sizeof(id), "%d", config->node_id);
    if (err == KS_OK)
        err = props_set(out, "node.id", id);
    if (err == KS_OK)
        err = props_set(out, "cluster.id", config->cluster_id);
    if (err == KS_OK && !for_broker)
        err = props_set(out, "controller.quorum.voters", config->voters);
    if (err == KS_OK && for_broker)
        err = props_set(out, "log.dir", config->log_dir);
    return err;
}

/* The voter and the controller, on files under <log dir>/metadata. */
static enum ks_err khost_start_controller(struct khost *h, const struct khost_config *config,
                                          char *error, size_t error_bytes)
{
    struct props props;
    struct raft_config rc;
    struct ctrl_config cc;
    char dir[SUBENV_PREFIX_BYTES_MAX];
    snprintf(dir, sizeof(dir), "%s/%s", config->log_dir, KHOST_METADATA_DIR);
    enum ks_err err = env_dir_create(h->env, dir);
    if (err == KS_ERR_EXISTS)
        err = KS_OK;
    if (err == KS_OK)
        err = subenv_init(&h->meta_env, h->env, dir);
    if (err == KS_OK && (khost_props(config, false, &props) != KS_OK ||
                         raft_config_parse(&props, &rc) != KS_OK ||
                         ctrl_config_from_props(&props, &cc) != KS_OK))
        err = KS_ERR_INVALID_CONFIG;
    props_free(&props);
    if (err != KS_OK) {
        snprintf(error, error_bytes, "controller settings or %s: %s", dir, ks_err_name(err));
        return err;
    }
    if (config->controller_port >= 0)
        rc.listener_port = (uint16_t)config->controller_port;
    h->cr = ctrl_raft_create(&h->meta_env.base, &cc);
    err = raft_create(&h->meta_env.base, &rc, &ctrl_raft_sm, h->cr, &h->raft);
    if (err != KS_OK) {
        snprintf(error, error_bytes, "cannot start the KRaft voter in %s: %s", dir,
                 ks_err_name(err));
        return err;
    }
    ctrl_raft_attach(h->cr, h->raft);
    h->quorum = rc;
    if (rc.voter_count > 1)
        h->net = raft_net_create(&h->meta_env.base, &h->quorum, &khost_net_handler, h);
    return KS_OK;
}

static enum ks_err khost_start_broker(struct khost *h, const struct khost_config *config,
                                      struct logdir *logdir, struct srv *srv, char *error,
                                      size_t error_bytes)
{
    struct props props;
    struct broker_host lent = {logdir, srv};
    enum ks_err err = khost_props(config, true, &props);
    if (err == KS_OK)
        h->broker = broker_create(h->env, &props, &lent);
    props_free(&props);
    if (h->broker == NULL) {
        snprintf(error, error_bytes, "cannot start the broker (settings or log dir)");
        return KS_ERR_INVALID_CONFIG;
    }
    broker_set_cluster(h->broker, h->cluster_id, h->node_id);
    broker_set_self_endpoint(h->broker, h->endpoint_host, h->endpoint_port);
    broker_set_auto_create(h->broker, khost_auto_create, h);
    struct balter_hooks hooks = {khost_alter_controller, khost_alter_epoch, khost_alter_local, h};
    h->alter = balter_create(h->env, h->node_id, h->net, &h->quorum, h->broker->rmgr, &hooks);
    broker_set_alter_partition(h->broker, balter_alter, h->alter);
    khost_rows_add(h, srv);
    return KS_OK;
}

enum ks_err khost_start(struct env *env, const struct khost_config *config, struct logdir *logdir,
                        struct srv *srv, struct khost **out, char *error, size_t error_bytes)
{
    KS_ASSERT(config->cluster_id != NULL);
    KS_ASSERT(config->log_dir != NULL);
    int64_t interval = KHOST_HEARTBEAT_MS_DEFAULT;
    *out = NULL;
    if (config->props != NULL &&
        (props_get_i64(config->props, "broker.heartbeat.interval.ms", interval, &interval) !=
             KS_OK ||
         interval <= 0 || interval > RAFT_TIMEOUT_MS_MAX)) {
        snprintf(error, error_bytes, "broker.heartbeat.interval.ms: a positive number of ms");
        return KS_ERR_INVALID_CONFIG;
    }
    struct gcoord_config gc;
    struct props empty;
    props_init(&empty);
    if (gcoord_config_from_props(config->props != NULL ? config->props : &empty, &gc) != KS_OK) {
        snprintf(error, error_bytes, "offsets.topic.* or group.*: a value out of range");
        return KS_ERR_INVALID_CONFIG;
    }
    struct khost *h = ks_alloc(sizeof(*h));
    h->env = env;
    h->offsets_partition_count = gc.offsets_partition_count;
    h->node_id = config->node_id;
    snprintf(h->cluster_id, sizeof(h->cluster_id), "%s", config->cluster_id);
    snprintf(h->endpoint_host, sizeof(h->endpoint_host), "%s", config->endpoint_host);
    h->endpoint_port = config->endpoint_port;
    h->heartbeat_interval_ns = (uint64_t)interval * KHOST_NS_PER_MS;
    h->broker_epoch = -1;
    h->fenced = true;
    h->image_offset = MIMAGE_NO_OFFSET;
    for (uint32_t i = 0; i < sizeof(h->incarnation_id.bytes); i += 8) {
        uint64_t r = env_random(env);
        memcpy(h->incarnation_id.bytes + i, &r, 8);
    }
    enum ks_err err = khost_start_controller(h, config, error, error_bytes);
    if (err == KS_OK)
        err = khost_start_broker(h, config, logdir, srv, error, error_bytes);
    if (err != KS_OK) {
        if (h->cr != NULL)
            ctrl_raft_stop(h->cr);
        if (h->raft != NULL)
            raft_stop(h->raft);
        h->stopped = true;
        khost_free(h);
        return err;
    }
    h->timer = env_timer_start(env, 0, khost_tick, h);
    *out = h;
    return KS_OK;
}

void khost_stop(struct khost *h)
{
    KS_ASSERT(!h->stopped);
    h->stopped = true;
    if (h->timer != 0)
        env_timer_cancel(h->env, h->timer);
    h->timer = 0;
    balter_stop(h->alter);
    ctrl_raft_stop(h->cr); /* pending calls answered NOT_CONTROLLER */
    raft_stop(h->raft);
    if (h->net != NULL)
        raft_net_close_all(h->net);
    broker_stop(h->broker);
    KS_ASSERT(h->calls.count == 0);
}

void khost_free(struct khost *h)
{
    if (h == NULL)
        return;
    balter_free(h->alter);
    if (h->broker != NULL)
        broker_destroy(h->broker);
    raft_free(h->raft);
    ctrl_raft_free(h->cr);
    if (h->net != NULL)
        raft_net_free(h->net);
    uint32_t freed = 0;
    while (h->calls.first != NULL) { /* bounded by calls.count */
        struct srv_call *c = h->calls.first;
        KS_ASSERT(freed++ < KHOST_CALLS_MAX);
        srv_call_unlink(c);
        free(c); /* the khost_call it begins */
    }
    free(h);
}
