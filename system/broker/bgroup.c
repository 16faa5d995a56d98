/*
 * bgroup.c: the group APIs' request handlers on a broker, see bgroup.h. Kafka:
 * KafkaApis (handleFindCoordinatorRequest, handleJoinGroupRequest,
 * handleSyncGroupRequest, handleHeartbeatRequest, handleLeaveGroupRequest,
 * handleOffsetCommitRequest, handleOffsetFetchRequest, handleDescribeGroupsRequest,
 * handleListGroupsRequest, handleDeleteGroupsRequest).
 *
 * Every handler has the same shape: decode the body at the request's version (a body
 * that does not decode closes the connection, as Kafka does), hand the decoded request
 * to the coordinator with the srv request as the completion's context, free what the
 * decoder allocated (the coordinator copies what it keeps), and in the completion
 * encode the response at the request's version and end the request.
 */
#include "bgroup.h"

#include <stdlib.h>
#include <string.h>

#include "bmeta.h"
#include "broker.h"
#include "part.h"

/* One append with the replica manager. */
struct bgroup_append {
    struct bgroup_log *log;
    uint64_t append_id;
    gcoord_log_done_fn done;
    void *ctx;
    bool in_call;  /* rmgr_produce has not returned yet */
    bool answered; /* the produce answered */
    enum ks_err err;
    int64_t base_offset;
    env_timer_id timer; /* completes an answer that came inside the call */
};

struct bgroup_log {
    struct gcoord_log base; /* first */
    struct env *env;
    struct broker *broker;
    struct bgroup_append **appends; /* waiting for the produce's answer */
    uint32_t append_count;
};

static void bgroup_replies_drop(struct bgroup *g, bool cancel_timers);

struct bgroup *bgroup_create(struct env *env, const struct gcoord_config *config,
                             const struct bgroup_host *host)
{
    KS_ASSERT(host->log != NULL);
    KS_ASSERT(host->leader_of != NULL);
    struct bgroup *g = ks_alloc(sizeof(*g));
    g->env = env;
    g->config = *config;
    g->host = *host;
    g->coord = gcoord_create(env, config, host->log);
    KS_ASSERT(g->coord != NULL);
    return g;
}

void bgroup_stop(struct bgroup *g)
{
    if (g == NULL)
        return;
    gcoord_stop(g->coord);
    bgroup_replies_drop(g, true);
    for (uint32_t i = 0; g->log != NULL && i < g->log->append_count; i++) {
        if (g->log->appends[i]->timer != 0)
            env_timer_cancel(g->env, g->log->appends[i]->timer);
        g->log->appends[i]->timer = 0;
    }
}

static void bgroup_log_free(struct bgroup_log *log);

void bgroup_free(struct bgroup *g)
{
    if (g == NULL)
        return;
    gcoord_free(g->coord);
    bgroup_replies_drop(g, false);
    bgroup_log_free(g->log);
    free(g->loaded_epochs);
    free(g);
}

static struct gcoord_client bgroup_client(const struct srv_request *request)
{
    struct gcoord_client client;
    memset(&client, 0, sizeof(client));
    client.api_version = request->header.api_version;
    client.client_id =
        request->header.client_id.length >= 0 ? request->header.client_id : wire_string_from("");
    client.client_host = wire_string_from(request->peer_name != NULL ? request->peer_name : "");
    return client;
}

/*
 * One handler and its completion per API. NAME is the api_NAME codec prefix and
 * gcoord_CALL the coordinator's handler; FREE_REQ frees a decoded request (a no-op for
 * heartbeats and syncs, whose decoders allocate nothing).
 */
/*
 * An answer from the coordinator goes out on a zero-delay timer: srv_respond may hand
 * the connection's next request to its handler at once, and the coordinator must not
 * be re-entered from its own completion.
 */
struct bgroup_reply {
    struct bgroup *g;
    struct srv_request *request;
    struct wire_writer body;
    env_timer_id timer;
    struct bgroup_reply *next;
};

static void bgroup_reply_unlink(struct bgroup *g, struct bgroup_reply *r)
{
    for (struct bgroup_reply **at = &g->replies; *at != NULL; at = &(*at)->next) {
        if (*at == r) {
            *at = r->next;
            KS_ASSERT(g->reply_count > 0);
            g->reply_count--;
            return;
        }
    }
    KS_UNREACHABLE();
}

static void bgroup_reply_free(struct bgroup_reply *r)
{
    wire_writer_free(&r->body);
    free(r);
}

/* Forgets every request with the coordinator (their srv requests end with the server). */
static void bgroup_replies_drop(struct bgroup *g, bool cancel_timers)
{
    while (g->replies != NULL) {
        struct bgroup_reply *r = g->replies;
        if (cancel_timers && r->timer != 0)
            env_timer_cancel(g->env, r->timer);
        bgroup_reply_unlink(g, r);
        bgroup_reply_free(r);
    }
    KS_ASSERT(g->reply_count == 0);
}

static void bgroup_reply_fire(void *ctx)
{
    struct bgroup_reply *r = ctx;
    bgroup_reply_unlink(r->g, r);
    srv_respond(r->request, &r->body);
    bgroup_reply_free(r);
}

/* A request with the coordinator: linked until answered (or the bgroup is freed). */
static struct bgroup_reply *bgroup_reply_begin(struct bgroup *g, struct srv_request *request)
{
    KS_ASSERT(g->reply_count < SRV_CONNS_MAX_LIMIT); /* one request a connection */
    struct bgroup_reply *r = ks_alloc(sizeof(*r));
    r->g = g;
    r->request = request;
    wire_writer_init(&r->body);
    r->next = g->replies;
    g->replies = r;
    g->reply_count++;
    return r;
}

#define BGROUP_DONE(NAME)                                                                          \
    static void bgroup_##NAME##_done(void *ctx, const struct api_##NAME##_response *response)      \
    {                                                                                              \
        struct bgroup_reply *r = ctx;                                                              \
        KS_ASSERT(r->timer == 0);                                                                  \
        api_##NAME##_response_encode(&r->body, r->request->header.api_version, response);          \
        r->timer = env_timer_start(r->g->env, 0, bgroup_reply_fire, r);                            \
    }

#define BGROUP_HANDLE(NAME, CALL, FREE_REQ)                                                        \
    BGROUP_DONE(NAME)                                                                              \
    static void bgroup_##NAME(void *ctx, struct srv_request *request)                              \
    {                                                                                              \
        struct bgroup *g = ctx;                                                                    \
        struct api_##NAME##_request decoded;                                                       \
        memset(&decoded, 0, sizeof(decoded));                                                      \
        if (api_##NAME##_request_decode(request->header.api_version, request->body,                \
                                        request->body_size_bytes, &decoded) != KS_OK) {            \
            srv_respond_close(request);                                                            \
            return;                                                                                \
        }                                                                                          \
        g->requests++;                                                                             \
        struct gcoord_client client = bgroup_client(request);                                      \
        struct bgroup_reply *r = bgroup_reply_begin(g, request);                                   \
        gcoord_##CALL(g->coord, &client, &decoded, bgroup_##NAME##_done, r);                       \
        FREE_REQ(&decoded);                                                                        \
    }

static inline void bgroup_free_nothing(void *decoded)
{
    (void)decoded;
}

BGROUP_HANDLE(join_group, join_group, api_join_group_request_free)
BGROUP_HANDLE(sync_group, sync_group, api_sync_group_request_free)
BGROUP_HANDLE(heartbeat, heartbeat, bgroup_free_nothing)
BGROUP_HANDLE(leave_group, leave_group, api_leave_group_request_free)
BGROUP_HANDLE(offset_commit, offset_commit, api_offset_commit_request_free)
BGROUP_HANDLE(offset_fetch, offset_fetch, api_offset_fetch_request_free)
BGROUP_HANDLE(describe_groups, describe_groups, api_describe_groups_request_free)
BGROUP_HANDLE(list_groups, list_groups, api_list_groups_request_free)
BGROUP_HANDLE(delete_groups, delete_groups, api_delete_groups_request_free)

/* FindCoordinator is answered at once from the host's view of leadership. */
static void bgroup_find_coordinator(void *ctx, struct srv_request *request)
{
    struct bgroup *g = ctx;
    struct api_find_coordinator_request decoded;
    memset(&decoded, 0, sizeof(decoded));
    if (api_find_coordinator_request_decode(request->header.api_version, request->body,
                                            request->body_size_bytes, &decoded) != KS_OK) {
        srv_respond_close(request);
        return;
    }
    g->requests++;
    struct api_find_coordinator_response response;
    memset(&response, 0, sizeof(response));
    gcoord_find_coordinator(&g->config, &decoded, g->host.leader_of, g->host.leader_ctx, &response);
    KS_ASSERT(response.coordinator_count == decoded.key_count);
    struct wire_writer body;
    wire_writer_init(&body);
    api_find_coordinator_response_encode(&body, request->header.api_version, &response);
    srv_respond(request, &body);
    wire_writer_free(&body);
    gcoord_find_coordinator_response_free(&response);
    api_find_coordinator_request_free(&decoded);
}

static struct srv_handler bgroup_row(struct bgroup *g, int16_t api_key, srv_handler_fn fn)
{
    const struct api_info *info = api_info(api_key);
    KS_ASSERT(info != NULL);
    KS_ASSERT(info->version_min != API_VERSION_NONE);
    struct srv_handler row = {api_key, info->version_min, info->version_max, fn, g};
    return row;
}

uint32_t bgroup_handlers(struct bgroup *g, struct srv_handler *out, uint32_t out_capacity)
{
    KS_ASSERT(out_capacity >= BGROUP_HANDLERS_COUNT);
    uint32_t n = 0;
    out[n++] = bgroup_row(g, API_FIND_COORDINATOR, bgroup_find_coordinator);
    out[n++] = bgroup_row(g, API_JOIN_GROUP, bgroup_join_group);
    out[n++] = bgroup_row(g, API_SYNC_GROUP, bgroup_sync_group);
    out[n++] = bgroup_row(g, API_HEARTBEAT, bgroup_heartbeat);
    out[n++] = bgroup_row(g, API_LEAVE_GROUP, bgroup_leave_group);
    out[n++] = bgroup_row(g, API_OFFSET_COMMIT, bgroup_offset_commit);
    out[n++] = bgroup_row(g, API_OFFSET_FETCH, bgroup_offset_fetch);
    out[n++] = bgroup_row(g, API_DESCRIBE_GROUPS, bgroup_describe_groups);
    out[n++] = bgroup_row(g, API_LIST_GROUPS, bgroup_list_groups);
    out[n++] = bgroup_row(g, 42 /* DeleteGroups */, bgroup_delete_groups);
    KS_ASSERT(n == BGROUP_HANDLERS_COUNT);
    return n;
}

/* ---- Leadership of __consumer_offsets --------------------------------------------- */

static void bgroup_loaded(void *ctx, int32_t partition, enum ks_err err)
{
    struct bgroup *g = ctx;
    env_tracef(g->env, "group.load", "%s-%d loaded: %s", BGROUP_OFFSETS_TOPIC, partition,
               ks_err_name(err));
}

void bgroup_become_leader(struct bgroup *g, int32_t partition, int32_t leader_epoch,
                          struct plog *log, int64_t end_offset)
{
    KS_ASSERT(partition >= 0);
    KS_ASSERT(partition < g->config.offsets_partition_count);
    gcoord_unload(g->coord, partition); /* a new epoch reloads from the log */
    enum ks_err err =
        gcoord_load(g->coord, partition, leader_epoch, log, end_offset, bgroup_loaded, g);
    if (err != KS_OK)
        env_tracef(g->env, "group.load", "%s-%d not loaded: %s", BGROUP_OFFSETS_TOPIC, partition,
                   ks_err_name(err));
}

void bgroup_resign(struct bgroup *g, int32_t partition)
{
    KS_ASSERT(partition >= 0);
    KS_ASSERT(partition < g->config.offsets_partition_count);
    gcoord_unload(g->coord, partition);
}

/* ---- Hosted by a broker --------------------------------------------------------------- */

#define BGROUP_COMMIT_TIMEOUT_MS 5000 /* offsets.commit.timeout.ms */

static void bgroup_append_forget(struct bgroup_append *a)
{
    struct bgroup_log *log = a->log;
    for (uint32_t i = 0; i < log->append_count; i++) {
        if (log->appends[i] == a) {
            memmove(&log->appends[i], &log->appends[i + 1],
                    (log->append_count - i - 1) * sizeof(*log->appends));
            log->append_count--;
            break;
        }
    }
    free(a);
}

static void bgroup_append_complete(struct bgroup_append *a)
{
    KS_ASSERT(a->answered);
    gcoord_log_done_fn done = a->done;
    void *ctx = a->ctx;
    uint64_t id = a->append_id;
    enum ks_err err = a->err;
    int64_t base = a->base_offset;
    bgroup_append_forget(a);
    done(ctx, id, err, base);
}

static void bgroup_append_timer(void *ctx)
{
    struct bgroup_append *a = ctx;
    a->timer = 0;
    bgroup_append_complete(a);
}

static void bgroup_append_done(void *ctx, const struct api_produce_response *response)
{
    struct bgroup_append *a = ctx;
    KS_ASSERT(!a->answered);
    a->answered = true;
    a->err = KS_ERR_UNKNOWN_SERVER_ERROR;
    if (response != NULL && response->topic_count == 1 &&
        response->topics[0].partition_count == 1) {
        a->err = (enum ks_err)response->topics[0].partitions[0].error_code;
        a->base_offset = response->topics[0].partitions[0].base_offset;
    }
    if (a->in_call) /* gcoord_log: never inside append */
        a->timer = env_timer_start(a->log->env, 0, bgroup_append_timer, a);
    else
        bgroup_append_complete(a);
}

static void bgroup_log_append(struct gcoord_log *base, int32_t partition, const uint8_t *batch,
                              uint32_t size_bytes, uint64_t append_id, gcoord_log_done_fn done,
                              void *ctx)
{
    struct bgroup_log *log = (struct bgroup_log *)base;
    KS_ASSERT(log->append_count < GCOORD_APPENDS_MAX);
    struct bgroup_append *a = ks_alloc(sizeof(*a));
    *a = (struct bgroup_append){log, append_id, done, ctx, true, false, KS_OK, -1, 0};
    log->appends[log->append_count++] = a;
    struct api_produce_partition pp = {partition, {batch, (int32_t)size_bytes}};
    struct api_produce_topic pt = {wire_string_from(BGROUP_OFFSETS_TOPIC), 1, &pp};
    struct api_produce_request pr;
    api_produce_request_init(&pr);
    pr.acks = -1;
    pr.timeout_ms = BGROUP_COMMIT_TIMEOUT_MS;
    pr.topic_count = 1;
    pr.topics = &pt;
    rmgr_produce(log->broker->rmgr, &pr, bgroup_append_done, a);
    a->in_call = false;
}

/* FindCoordinator's view: the leader of the partition in the broker's image. */
static enum ks_err bgroup_broker_leader_of(void *ctx, int32_t partition, int32_t *node_id,
                                           struct wire_string *host, int32_t *port)
{
    struct bgroup *g = ctx;
    const struct mimage *img = &g->broker->rmgr->image;
    const struct mimage_topic *t =
        mimage_topic_find_name(img, BGROUP_OFFSETS_TOPIC, (uint32_t)strlen(BGROUP_OFFSETS_TOPIC));
    if (t == NULL) {
        const char *names[1] = {BGROUP_OFFSETS_TOPIC};
        if (g->broker->auto_create_fn != NULL && !g->create_requested) {
            g->create_requested = true;
            g->broker->auto_create_fn(g->broker->auto_create_ctx, names, 1);
        }
        return KS_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    if (partition < 0 || (uint32_t)partition >= t->partition_count ||
        t->partitions[partition].leader < 0)
        return KS_ERR_COORDINATOR_NOT_AVAILABLE;
    const struct mimage_broker *leader = mimage_broker_find(img, t->partitions[partition].leader);
    if (leader == NULL || leader->endpoint_count == 0)
        return KS_ERR_COORDINATOR_NOT_AVAILABLE;
    *node_id = leader->id;
    *host = wire_string_from(leader->endpoints[0].host);
    *port = leader->endpoints[0].port;
    return KS_OK;
}

/* Appends the replica manager dropped (a stop or crash) are freed unanswered. */
static void bgroup_log_free(struct bgroup_log *log)
{
    if (log == NULL)
        return;
    for (uint32_t i = 0; i < log->append_count; i++)
        free(log->appends[i]);
    free(log->appends);
    free(log);
}

struct bgroup *bgroup_attach(struct broker *b, const struct props *config)
{
    struct gcoord_config gc;
    if (gcoord_config_from_props(config, &gc) != KS_OK)
        return NULL;
    struct bgroup_log *log = ks_alloc(sizeof(*log));
    log->base.append = bgroup_log_append;
    log->env = b->env;
    log->broker = b;
    log->appends = ks_alloc(GCOORD_APPENDS_MAX * sizeof(*log->appends));
    struct bgroup_host host = {&log->base, bgroup_broker_leader_of, NULL};
    struct bgroup *g = bgroup_create(b->env, &gc, &host);
    g->host.leader_ctx = g;
    g->broker = b;
    g->log = log;
    g->loaded_epochs = ks_alloc((size_t)gc.offsets_partition_count * sizeof(int32_t));
    for (int32_t p = 0; p < gc.offsets_partition_count; p++)
        g->loaded_epochs[p] = BGROUP_NOT_LOADED;
    struct srv_handler rows[BGROUP_HANDLERS_COUNT];
    uint32_t n = bgroup_handlers(g, rows, BGROUP_HANDLERS_COUNT);
    for (uint32_t i = 0; i < n; i++)
        srv_handler_add(broker_srv(b), &rows[i]);
    return g;
}

/* Whether the broker's image is the quorum's latest as last heard: a restarted broker
 * replays old images (naming it leader of partitions it lost meanwhile) before it caught
 * up, and must not serve groups from them (BrokerMetadataPublisher publishes only once
 * the loader caught up). */
static bool bgroup_metadata_current(const struct bgroup *g)
{
    const struct broker *b = g->broker;
    if (!b->kraft || b->meta == NULL)
        return true;
    return b->meta->next_offset >= b->meta->high_watermark;
}

void bgroup_on_image(struct bgroup *g)
{
    if (g == NULL || g->broker == NULL)
        return;
    bool current = bgroup_metadata_current(g);
    for (int32_t p = 0; p < g->config.offsets_partition_count; p++) {
        struct part *part = rmgr_part(g->broker->rmgr, BGROUP_OFFSETS_TOPIC, p);
        bool leads = part != NULL && part->role == PART_LEADER;
        if (leads && !current)
            continue; /* keeps what it serves; loads nothing new from an old image */
        if (leads && g->loaded_epochs[p] != part->leader_epoch) {
            g->loaded_epochs[p] = part->leader_epoch;
            /* to the log end, as GroupMetadataManager does: a new leader's high watermark
             * lags the records it has, which are committed once followers fetch */
            bgroup_become_leader(g, p, part->leader_epoch, part->log,
                                 plog_log_end_offset(part->log));
        } else if (!leads && g->loaded_epochs[p] != BGROUP_NOT_LOADED) {
            g->loaded_epochs[p] = BGROUP_NOT_LOADED;
            bgroup_resign(g, p);
        }
    }
}
