/*
 * cgroup.c: the consumer's group membership, see cgroup.h. Kafka: AbstractCoordinator,
 * ConsumerCoordinator, Heartbeat (the timers of the heartbeat thread), the rebalance
 * callbacks of ConsumerRebalanceListener.
 *
 * One timer drives everything (cgroup_run): it looks at the state and the deadlines
 * (retry backoff, the next heartbeat, the next auto commit, the poll and session
 * timeouts) and sends at most one group request (FindCoordinator, JoinGroup, SyncGroup,
 * OffsetFetch) at a time; heartbeats and commits go beside it. Answers to a request that
 * a later event made stale (a rebalance, a lost coordinator) are recognised by the
 * request's sequence number and ignored.
 */
#include "cgroup.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/bugs.h"
#include "system/proto/api.h"
#include "system/proto/api_find_coordinator.h"
#include "system/proto/api_heartbeat.h"
#include "system/proto/api_join_group.h"
#include "system/proto/api_leave_group.h"
#include "system/proto/api_offset_commit.h"
#include "system/proto/api_offset_fetch.h"
#include "system/proto/api_sync_group.h"

#define NS_PER_MS 1000000ull
/* The versions the member speaks. */
#define CGROUP_FIND_COORDINATOR_VERSION 4
#define CGROUP_JOIN_GROUP_VERSION 7
#define CGROUP_SYNC_GROUP_VERSION 5
#define CGROUP_HEARTBEAT_VERSION 4
#define CGROUP_LEAVE_GROUP_VERSION 4
#define CGROUP_OFFSET_COMMIT_VERSION 8
#define CGROUP_OFFSET_FETCH_VERSION 7
#define CGROUP_SUBSCRIPTION_VERSION 3
#define CGROUP_ASSIGNMENT_VERSION 3
#define CGROUP_TRACE_BYTES 512u

/* The coordinator's connection in cnet, or NULL. */
static const struct cnet_broker *cgroup_coordinator_broker(const struct cgroup *g)
{
    const struct cnet *net = g->consumer->net;
    for (uint32_t i = 0; i < net->broker_count; i++) {
        if (net->brokers[i]->id == g->coordinator)
            return net->brokers[i];
    }
    return NULL;
}

/* NetworkClient.connectionFailed: a connection attempt to the coordinator ended
 * without opening (refused, timed out) or the connection broke. True when the
 * coordinator should be forgotten; else the connection is open or being opened. */
static bool cgroup_coordinator_unreachable(struct cgroup *g)
{
    const struct cnet_broker *b = cgroup_coordinator_broker(g);
    if (b == NULL || (b->state == CNET_CONN_NONE && g->coordinator_connecting))
        return true;
    bool ready = cnet_ready(g->consumer->net, g->coordinator);
    g->coordinator_connecting = !ready && b->state == CNET_CONN_CONNECTING;
    return false;
}

static void cgroup_run(void *ctx);

static const char *const cgroup_state_names[] = {
    "Unjoined", "Preparing", "Joining", "Syncing", "FetchingOffsets",
    "Stable",   "Leaving",   "Closed",  "Failed",
};
_Static_assert(KS_ARRAY_COUNT(cgroup_state_names) == CGROUP_FAILED + 1, "state names");

const char *cgroup_state_name(enum cgroup_state state)
{
    KS_ASSERT((unsigned)state < KS_ARRAY_COUNT(cgroup_state_names));
    return cgroup_state_names[state];
}

/* ---- Configuration ----------------------------------------------------------------- */

static bool cgroup_assignor_parse(const char *word, enum assignor_kind *out)
{
    static const struct {
        const char *name;
        enum assignor_kind kind;
    } names[] = {
        {"range", ASSIGNOR_RANGE},
        {"org.apache.kafka.clients.consumer.RangeAssignor", ASSIGNOR_RANGE},
        {"roundrobin", ASSIGNOR_ROUNDROBIN},
        {"org.apache.kafka.clients.consumer.RoundRobinAssignor", ASSIGNOR_ROUNDROBIN},
        {"sticky", ASSIGNOR_STICKY},
        {"org.apache.kafka.clients.consumer.StickyAssignor", ASSIGNOR_STICKY},
        {"cooperative-sticky", ASSIGNOR_COOPERATIVE_STICKY},
        {"org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
         ASSIGNOR_COOPERATIVE_STICKY},
    };
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(names); i++) {
        if (strcmp(word, names[i].name) == 0) {
            *out = names[i].kind;
            return true;
        }
    }
    return false;
}

/* partition.assignment.strategy: a comma-separated list, in order of preference. */
static enum ks_err cgroup_config_assignors(const char *text, struct cgroup_config *out)
{
    char buf[512];
    if (strlen(text) >= sizeof(buf))
        return KS_ERR_INVALID_CONFIG;
    snprintf(buf, sizeof(buf), "%s", text);
    out->assignor_count = 0;
    char *save = NULL;
    for (char *w = strtok_r(buf, ", ", &save); w != NULL; w = strtok_r(NULL, ", ", &save)) {
        if (out->assignor_count == CGROUP_ASSIGNORS_MAX ||
            !cgroup_assignor_parse(w, &out->assignors[out->assignor_count]))
            return KS_ERR_INVALID_CONFIG;
        out->assignor_count++;
    }
    return out->assignor_count > 0 ? KS_OK : KS_ERR_INVALID_CONFIG;
}

static bool cgroup_config_i32(const struct props *props, const char *key, int64_t def, int64_t min,
                              int32_t *out)
{
    int64_t v = 0;
    if (props_get_i64(props, key, def, &v) != KS_OK || v < min || v > INT32_MAX)
        return false;
    *out = (int32_t)v;
    return true;
}

enum ks_err cgroup_config_from_props(const struct props *props, struct cgroup_config *out)
{
    memset(out, 0, sizeof(*out));
    const char *group = props_get(props, "group.id");
    const char *instance = props_get(props, "group.instance.id");
    const char *strategy = props_get(props, "partition.assignment.strategy");
    const char *auto_commit = props_get(props, "enable.auto.commit");
    int32_t backoff = 0;
    if (group == NULL || strlen(group) == 0 || strlen(group) > CGROUP_GROUP_ID_BYTES_MAX ||
        (instance != NULL && strlen(instance) > CGROUP_MEMBER_ID_BYTES_MAX))
        return KS_ERR_INVALID_CONFIG;
    snprintf(out->group_id, sizeof(out->group_id), "%s", group);
    snprintf(out->group_instance_id, sizeof(out->group_instance_id), "%s",
             instance != NULL ? instance : "");
    if (!cgroup_config_i32(props, "session.timeout.ms", 45000, 1, &out->session_timeout_ms) ||
        !cgroup_config_i32(props, "heartbeat.interval.ms", 3000, 1, &out->heartbeat_interval_ms) ||
        !cgroup_config_i32(props, "max.poll.interval.ms", 300000, 1, &out->max_poll_interval_ms) ||
        !cgroup_config_i32(props, "auto.commit.interval.ms", 5000, 1,
                           &out->auto_commit_interval_ms) ||
        !cgroup_config_i32(props, "retry.backoff.ms", 100, 0, &backoff))
        return KS_ERR_INVALID_CONFIG;
    if (out->heartbeat_interval_ms >= out->session_timeout_ms)
        return KS_ERR_INVALID_CONFIG; /* Kafka: heartbeat must be lower than the session */
    out->retry_backoff_ms = (uint32_t)backoff;
    if (auto_commit != NULL && strcmp(auto_commit, "true") != 0 &&
        strcmp(auto_commit, "false") != 0)
        return KS_ERR_INVALID_CONFIG;
    out->enable_auto_commit = auto_commit == NULL || strcmp(auto_commit, "true") == 0;
    return cgroup_config_assignors(strategy != NULL ? strategy : "range,cooperative-sticky", out);
}

/* ---- Small helpers ------------------------------------------------------------------ */

static uint64_t cgroup_now(const struct cgroup *g)
{
    return env_mono_ns(g->env);
}

static void cgroup_set_state(struct cgroup *g, enum cgroup_state state, const char *why)
{
    KS_ASSERT(g->state != CGROUP_CLOSED);
    KS_ASSERT(g->state != CGROUP_FAILED || state == CGROUP_CLOSED);
    if (g->state == state)
        return;
    env_tracef(g->env, "group.client", "group %s member %s generation %d: %s -> %s (%s)",
               g->config.group_id, g->member_id[0] != 0 ? g->member_id : "-", g->generation,
               cgroup_state_name(g->state), cgroup_state_name(state), why);
    g->state = state;
}

static void cgroup_event(struct cgroup *g, enum cgroup_event_kind kind, const char *topic,
                         int32_t partition, int64_t offset)
{
    if (g->event_fn == NULL)
        return;
    struct cgroup_event e = {kind, g->generation, g->member_id, topic, partition, offset};
    g->event_fn(g->event_ctx, &e);
}

/* Runs cgroup_run at at_ns (or now when earlier), keeping the earlier of two asks. */
static void cgroup_schedule(struct cgroup *g, uint64_t at_ns)
{
    if (g->state == CGROUP_CLOSED)
        return;
    uint64_t now = cgroup_now(g);
    if (at_ns < now)
        at_ns = now;
    if (g->timer != 0 && g->timer_at_ns <= at_ns)
        return;
    if (g->timer != 0)
        env_timer_cancel(g->env, g->timer);
    g->timer_at_ns = at_ns;
    g->timer = env_timer_start(g->env, at_ns - now, cgroup_run, g);
}

static void cgroup_backoff(struct cgroup *g)
{
    g->retry_at_ns = cgroup_now(g) + (uint64_t)g->config.retry_backoff_ms * NS_PER_MS;
    cgroup_schedule(g, g->retry_at_ns);
}

static int cgroup_tp_compare(const void *a, const void *b)
{
    const struct cgroup_tp *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c != 0 ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static bool cgroup_tp_in(const struct cgroup_tp *list, uint32_t count, const struct cgroup_tp *tp)
{
    return count > 0 && bsearch(tp, list, count, sizeof(*list), cgroup_tp_compare) != NULL;
}

bool cgroup_owns(const struct cgroup *g, const char *topic, int32_t partition)
{
    struct cgroup_tp tp;
    memset(&tp, 0, sizeof(tp));
    snprintf(tp.topic, sizeof(tp.topic), "%s", topic);
    tp.partition = partition;
    return !g->revoked_all && cgroup_tp_in(g->owned, g->owned_count, &tp);
}

bool cgroup_assigned(const struct cgroup *g, const char *topic, int32_t partition)
{
    struct cgroup_tp tp;
    memset(&tp, 0, sizeof(tp));
    snprintf(tp.topic, sizeof(tp.topic), "%s", topic);
    tp.partition = partition;
    return !g->revoked_all && g->generation != CGROUP_GENERATION_NONE &&
           cgroup_tp_in(g->owned, g->owned_count, &tp);
}

/* The coordinator is gone (AbstractCoordinator.markCoordinatorUnknown). */
static void cgroup_coordinator_unknown(struct cgroup *g, const char *why)
{
    if (g->coordinator == CNET_NO_NODE)
        return;
    env_tracef(g->env, "group.client", "group %s member %s: coordinator %d unknown (%s)",
               g->config.group_id, g->member_id[0] != 0 ? g->member_id : "-", g->coordinator, why);
    g->coordinator = CNET_NO_NODE;
    g->coordinator_connecting = false;
    g->request_seq++; /* answers of the old coordinator are stale */
    g->in_flight = false;
    g->heartbeat_in_flight = false;
    cgroup_backoff(g);
}

/* Takes owned partitions away from the consumer; REVOKED (or LOST) events. */
static void cgroup_unassign_all(struct cgroup *g, enum cgroup_event_kind kind)
{
    if (g->revoked_all)
        return;
    for (uint32_t i = 0; i < g->owned_count; i++) {
        enum ks_err gone = consumer_unassign(g->consumer, g->owned[i].topic, g->owned[i].partition);
        KS_ASSERT(gone == KS_OK || gone == KS_ERR_NOT_FOUND); /* not yet resumed: not held */
        if (gone == KS_OK)
            cgroup_event(g, kind, g->owned[i].topic, g->owned[i].partition, -1);
    }
    g->revoked_all = true;
    if (kind == CGROUP_EVENT_LOST)
        g->owned_count = 0; /* nothing to be sticky about */
}

/* resetGenerationOnResponseError: this member is no longer in the generation. */
static void cgroup_reset_generation(struct cgroup *g, bool reset_member_id, const char *why)
{
    cgroup_unassign_all(g, CGROUP_EVENT_LOST);
    g->generation = CGROUP_GENERATION_NONE;
    if (reset_member_id)
        g->member_id[0] = 0;
    g->fetching_count = 0;
    g->request_seq++;
    g->in_flight = false;
    cgroup_set_state(g, CGROUP_UNJOINED, why);
    cgroup_backoff(g);
}

/* requestRejoin: the group rebalances; the member keeps its id and generation. */
static void cgroup_request_rejoin(struct cgroup *g, const char *why)
{
    if (g->state == CGROUP_PREPARING || g->state == CGROUP_JOINING)
        return;
    g->request_seq++;
    g->in_flight = false;
    g->rejoin_needed = false;
    cgroup_set_state(g, CGROUP_PREPARING, why);
    cgroup_schedule(g, cgroup_now(g));
}

/* Errors common to every group answer; true when handled. */
static bool cgroup_common_error(struct cgroup *g, enum ks_err err, const char *what)
{
    switch (err) {
    case KS_ERR_NOT_COORDINATOR:
    case KS_ERR_COORDINATOR_NOT_AVAILABLE:
    case KS_ERR_NETWORK_EXCEPTION:
    case KS_ERR_REQUEST_TIMED_OUT:
        cgroup_coordinator_unknown(g, ks_err_name(err));
        return true;
    case KS_ERR_FENCED_INSTANCE_ID:
        cgroup_unassign_all(g, CGROUP_EVENT_LOST);
        cgroup_set_state(g, CGROUP_FAILED, what);
        return true;
    default:
        return false;
    }
}

/* ---- Requests ------------------------------------------------------------------------ */

/* One request out: the member, the sequence it was sent under, and for commits what
 * they carry. */
struct cgroup_req {
    struct cgroup *g;
    uint64_t seq;
    int32_t generation;
    uint32_t count;
    struct cgroup_tp *tps; /* commits: the partitions and offsets committed */
    int64_t *offsets;
};

static void cgroup_req_free(struct cgroup_req *req)
{
    struct cgroup *g = req->g;
    for (uint32_t i = 0; i < g->req_count; i++) {
        if (g->reqs[i] == req) {
            g->reqs[i] = g->reqs[--g->req_count];
            break;
        }
    }
    free(req->tps);
    free(req->offsets);
    free(req);
}

/* Sends body to node; fn gets a struct cgroup_req as ctx. KS_ERR_CLOSED when the
 * connection is not ready. */
static enum ks_err cgroup_send(struct cgroup *g, int32_t node, int16_t api_key, int16_t version,
                               const struct wire_writer *body, cnet_response_fn fn,
                               struct cgroup_req **req_out)
{
    KS_ASSERT(body->err == KS_OK);
    if (node == CNET_NO_NODE || !cnet_ready(g->consumer->net, node))
        return KS_ERR_CLOSED;
    if (g->req_count == CGROUP_REQUESTS_MAX)
        return KS_ERR_TOO_MANY;
    struct cgroup_req *req = ks_alloc(sizeof(*req));
    g->reqs[g->req_count++] = req;
    req->g = g;
    req->seq = g->request_seq;
    req->generation = g->generation;
    enum ks_err err = cnet_send(g->consumer->net, node, api_key, version, body, fn, req);
    if (err != KS_OK) {
        cgroup_req_free(req);
        return err;
    }
    if (req_out != NULL)
        *req_out = req;
    return KS_OK;
}

static void cgroup_ignore_answer(void *ctx, enum ks_err err, const uint8_t *body, uint32_t size)
{
    (void)err;
    (void)body;
    (void)size;
    cgroup_req_free(ctx);
}

/* ---- FindCoordinator ------------------------------------------------------------------ */

/* The cnet node for the coordinator: the broker with its id, else one at its address
 * (a bootstrap entry, before metadata named the brokers). */
static int32_t cgroup_coordinator_node(const struct cgroup *g, int32_t node_id,
                                       struct wire_string host, int32_t port)
{
    const struct cnet *net = g->consumer->net;
    for (uint32_t i = 0; i < net->broker_count; i++) {
        if (net->brokers[i]->id == node_id)
            return node_id;
    }
    for (uint32_t i = 0; i < net->broker_count; i++) {
        const struct cnet_broker *b = net->brokers[i];
        if (b->port == port && wire_string_equal_cstr(host, b->host))
            return b->id;
    }
    return CNET_NO_NODE;
}

static void cgroup_find_done(void *ctx, enum ks_err err, const uint8_t *body, uint32_t size)
{
    struct cgroup_req *req = ctx;
    struct cgroup *g = req->g;
    bool stale = req->seq != g->request_seq || g->state == CGROUP_CLOSED;
    cgroup_req_free(req);
    if (stale)
        return;
    g->in_flight = false;
    struct api_find_coordinator_response resp;
    if (err == KS_OK && api_find_coordinator_response_decode(CGROUP_FIND_COORDINATOR_VERSION, body,
                                                             size, &resp) == KS_OK) {
        if (resp.coordinator_count == 1 && resp.coordinators[0].error_code == KS_OK) {
            const struct api_find_coordinator_coordinator *co = &resp.coordinators[0];
            g->coordinator = cgroup_coordinator_node(g, co->node_id, co->host, co->port);
            if (g->coordinator == CNET_NO_NODE)
                cnet_metadata_refresh(g->consumer->net);
            else
                env_tracef(g->env, "group.client", "group %s: coordinator is node %d",
                           g->config.group_id, co->node_id);
        }
        api_find_coordinator_response_free(&resp);
    }
    g->last_heartbeat_ok_ns = cgroup_now(g);
    if (g->coordinator == CNET_NO_NODE)
        cgroup_backoff(g);
    else
        cgroup_schedule(g, cgroup_now(g));
}

static void cgroup_find(struct cgroup *g)
{
    int32_t node = cnet_any_ready(g->consumer->net);
    struct wire_string key = wire_string_from(g->config.group_id);
    struct api_find_coordinator_request fr = {API_FIND_COORDINATOR_KEY_TYPE_GROUP, 1, &key};
    struct wire_writer w;
    wire_writer_init(&w);
    api_find_coordinator_request_encode(&w, CGROUP_FIND_COORDINATOR_VERSION, &fr);
    if (cgroup_send(g, node, API_FIND_COORDINATOR, CGROUP_FIND_COORDINATOR_VERSION, &w,
                    cgroup_find_done, NULL) == KS_OK)
        g->in_flight = true;
    else
        cgroup_backoff(g);
    wire_writer_free(&w);
}

/* ---- OffsetCommit --------------------------------------------------------------------- */

static void cgroup_commit_done(void *ctx, enum ks_err err, const uint8_t *body, uint32_t size)
{
    struct cgroup_req *req = ctx;
    struct cgroup *g = req->g;
    KS_ASSERT(g->commits_in_flight > 0);
    g->commits_in_flight--;
    struct api_offset_commit_response resp;
    bool decoded = err == KS_OK && api_offset_commit_response_decode(CGROUP_OFFSET_COMMIT_VERSION,
                                                                     body, size, &resp) == KS_OK;
    enum ks_err first = decoded ? KS_OK : (err != KS_OK ? err : KS_ERR_NETWORK_EXCEPTION);
    for (uint32_t t = 0; decoded && t < resp.topic_count; t++) {
        for (uint32_t p = 0; p < resp.topics[t].partition_count; p++) {
            const struct api_offset_commit_response_partition *rp = &resp.topics[t].partitions[p];
            for (uint32_t i = 0; i < req->count; i++) {
                if (req->tps[i].partition != rp->partition_index ||
                    !wire_string_equal_cstr(resp.topics[t].name, req->tps[i].topic))
                    continue;
                if (rp->error_code == KS_OK) {
                    g->commits_ok++;
                    cgroup_event(g, CGROUP_EVENT_COMMITTED, req->tps[i].topic,
                                 req->tps[i].partition, req->offsets[i]);
                } else if (first == KS_OK) {
                    first = (enum ks_err)rp->error_code;
                }
            }
        }
    }
    if (decoded)
        api_offset_commit_response_free(&resp);
    bool current = req->seq == g->request_seq && req->generation == g->generation;
    cgroup_req_free(req);
    if (first != KS_OK)
        g->commits_failed++;
    if (g->state == CGROUP_CLOSED || g->state == CGROUP_FAILED || first == KS_OK || !current) {
        if (g->state == CGROUP_PREPARING)
            cgroup_schedule(g, cgroup_now(g));
        return;
    }
    if (cgroup_common_error(g, first, "offset commit"))
        return;
    if (first == KS_ERR_REBALANCE_IN_PROGRESS)
        cgroup_request_rejoin(g, "commit: REBALANCE_IN_PROGRESS");
    else if (first == KS_ERR_ILLEGAL_GENERATION || first == KS_ERR_UNKNOWN_MEMBER_ID)
        cgroup_reset_generation(g, first == KS_ERR_UNKNOWN_MEMBER_ID, ks_err_name(first));
    else if (g->state == CGROUP_PREPARING)
        cgroup_schedule(g, cgroup_now(g));
}

/* Commits the consumer's positions of owned partitions that moved since the last
 * commit; true when a commit went out. */
static bool cgroup_commit_positions(struct cgroup *g, cnet_response_fn fn)
{
    if (g->revoked_all || g->owned_count == 0 || g->generation == CGROUP_GENERATION_NONE)
        return false;
    struct api_offset_commit_request_partition *parts =
        ks_alloc((g->owned_count + 1) * sizeof(*parts));
    struct api_offset_commit_request_topic *topics =
        ks_alloc((g->owned_count + 1) * sizeof(*topics));
    struct cgroup_tp *tps = ks_alloc((g->owned_count + 1) * sizeof(*tps));
    int64_t *offsets = ks_alloc((g->owned_count + 1) * sizeof(*offsets));
    uint32_t count = 0, topic_count = 0;
    for (uint32_t i = 0; i < g->owned_count; i++) {
        int64_t pos = consumer_position(g->consumer, g->owned[i].topic, g->owned[i].partition);
        if (pos != CONSUMER_NO_POSITION && env_bug(g->env, KS_BUG_GROUP_COMMIT_OFF_BY_ONE))
            pos++; /* the last consumed offset + 1, from a position that already is */
        if (pos == CONSUMER_NO_POSITION || pos == g->owned_committed[i])
            continue;
        struct api_offset_commit_request_partition *p = &parts[count];
        p->partition_index = g->owned[i].partition;
        p->committed_offset = pos;
        p->committed_leader_epoch = -1;
        p->commit_timestamp = -1;
        p->committed_metadata = wire_string_from("");
        struct api_offset_commit_request_topic *t =
            topic_count > 0 ? &topics[topic_count - 1] : NULL;
        if (t == NULL || !wire_string_equal_cstr(t->name, g->owned[i].topic)) {
            t = &topics[topic_count++];
            t->name = wire_string_from(g->owned[i].topic);
            t->partitions = p;
        }
        t->partition_count++;
        tps[count] = g->owned[i];
        offsets[count++] = pos;
    }
    struct api_offset_commit_request cr;
    memset(&cr, 0, sizeof(cr));
    cr.group_id = wire_string_from(g->config.group_id);
    cr.generation_id_or_member_epoch = g->generation;
    cr.member_id = wire_string_from(g->member_id);
    cr.group_instance_id = g->config.group_instance_id[0] != 0
                               ? wire_string_from(g->config.group_instance_id)
                               : wire_string_null();
    cr.retention_time_ms = -1;
    cr.topic_count = topic_count;
    cr.topics = topics;
    struct wire_writer w;
    wire_writer_init(&w);
    api_offset_commit_request_encode(&w, CGROUP_OFFSET_COMMIT_VERSION, &cr);
    struct cgroup_req *req = NULL;
    bool sent = count > 0 && cgroup_send(g, g->coordinator, API_OFFSET_COMMIT,
                                         CGROUP_OFFSET_COMMIT_VERSION, &w, fn, &req) == KS_OK;
    wire_writer_free(&w);
    free(parts);
    free(topics);
    if (!sent) {
        free(tps);
        free(offsets);
        return false;
    }
    req->count = count;
    req->tps = tps;
    req->offsets = offsets;
    for (uint32_t i = 0, j = 0; i < g->owned_count && j < count; i++) {
        if (cgroup_tp_compare(&g->owned[i], &tps[j]) == 0)
            g->owned_committed[i] = offsets[j++];
    }
    if (fn == cgroup_commit_done)
        g->commits_in_flight++;
    env_tracef(g->env, "group.client", "group %s member %s generation %d: commit %u offsets",
               g->config.group_id, g->member_id, g->generation, count);
    return true;
}

void cgroup_commit(struct cgroup *g)
{
    if (g->state == CGROUP_STABLE || g->state == CGROUP_FETCHING_OFFSETS)
        (void)cgroup_commit_positions(g, cgroup_commit_done);
}

/* ---- JoinGroup ------------------------------------------------------------------------ */

/* The subscription of one protocol: topics, owned partitions (the previous assignment
 * under the eager protocol), generation, and the sticky assignors' user data. */
static void cgroup_subscription(const struct cgroup *g, enum assignor_kind kind,
                                struct wire_writer *out)
{
    struct cproto_subscription s;
    memset(&s, 0, sizeof(s));
    s.version = CGROUP_SUBSCRIPTION_VERSION;
    struct wire_string *topics = ks_alloc((g->topic_count + 1) * sizeof(*topics));
    for (uint32_t i = 0; i < g->topic_count; i++)
        topics[i] = wire_string_from(g->topics[i]);
    s.topic_count = g->topic_count;
    s.topics = topics;
    struct cproto_topic_partitions *owned = ks_alloc((g->owned_count + 1) * sizeof(*owned));
    int32_t *parts = ks_alloc((g->owned_count + 1) * sizeof(*parts));
    for (uint32_t i = 0; i < g->owned_count; i++) {
        struct cproto_topic_partitions *last = s.owned_count > 0 ? &owned[s.owned_count - 1] : NULL;
        if (last == NULL || !wire_string_equal_cstr(last->topic, g->owned[i].topic)) {
            last = &owned[s.owned_count++];
            last->topic = wire_string_from(g->owned[i].topic);
            last->partitions = &parts[i];
        }
        last->partitions[last->partition_count++] = g->owned[i].partition;
    }
    s.owned_partitions = owned;
    s.generation_id = g->generation;
    s.rack_id = wire_string_null();
    struct wire_writer user;
    wire_writer_init(&user);
    s.user_data = (struct wire_bytes){NULL, -1};
    if (kind == ASSIGNOR_COOPERATIVE_STICKY) {
        cproto_cooperative_user_data_encode(&user, g->generation);
        s.user_data = (struct wire_bytes){user.bytes, (int32_t)user.size_bytes};
    } else if (kind == ASSIGNOR_STICKY) {
        struct cproto_sticky_user_data d = {s.owned_count, owned, g->generation};
        cproto_sticky_user_data_encode(&user, &d);
        s.user_data = (struct wire_bytes){user.bytes, (int32_t)user.size_bytes};
    }
    cproto_subscription_encode(out, &s);
    wire_writer_free(&user);
    free(topics);
    free(owned);
    free(parts);
}

static void cgroup_sync(struct cgroup *g, const struct api_join_group_response *resp);

static void cgroup_join_done(void *ctx, enum ks_err err, const uint8_t *body, uint32_t size)
{
    struct cgroup_req *req = ctx;
    struct cgroup *g = req->g;
    bool stale = req->seq != g->request_seq || g->state != CGROUP_JOINING;
    cgroup_req_free(req);
    if (stale)
        return;
    g->in_flight = false;
    struct api_join_group_response resp;
    if (err == KS_OK &&
        api_join_group_response_decode(CGROUP_JOIN_GROUP_VERSION, body, size, &resp) != KS_OK)
        err = KS_ERR_CORRUPT_MESSAGE;
    if (err != KS_OK) {
        if (!cgroup_common_error(g, err, "join"))
            cgroup_backoff(g);
        return;
    }
    enum ks_err code = (enum ks_err)resp.error_code;
    if (code == KS_ERR_MEMBER_ID_REQUIRED || code == KS_OK) {
        snprintf(g->member_id, sizeof(g->member_id), "%.*s", resp.member_id.length,
                 resp.member_id.chars);
    }
    if (code == KS_OK) {
        g->generation = resp.generation_id;
        g->leader = wire_string_equal(resp.leader, resp.member_id);
        if (!assignor_from_name(resp.protocol_name, &g->protocol))
            code = KS_ERR_INCONSISTENT_GROUP_PROTOCOL;
    }
    if (code == KS_OK) {
        g->rebalances++;
        env_tracef(g->env, "group.client",
                   "group %s generation %d: %s joins as %s (%s), %u members", g->config.group_id,
                   g->generation, g->member_id, g->leader ? "leader" : "follower",
                   assignor_name(g->protocol), resp.member_count);
        cgroup_set_state(g, CGROUP_SYNCING, "joined");
        cgroup_sync(g, &resp);
    } else if (code == KS_ERR_MEMBER_ID_REQUIRED) {
        cgroup_schedule(g, cgroup_now(g)); /* rejoin at once with the id */
    } else if (code == KS_ERR_UNKNOWN_MEMBER_ID || code == KS_ERR_ILLEGAL_GENERATION) {
        cgroup_reset_generation(g, code == KS_ERR_UNKNOWN_MEMBER_ID, ks_err_name(code));
    } else if (!cgroup_common_error(g, code, "join")) {
        cgroup_backoff(g); /* COORDINATOR_LOAD_IN_PROGRESS, REBALANCE_IN_PROGRESS, ... */
    }
    api_join_group_response_free(&resp);
}

static void cgroup_join(struct cgroup *g)
{
    KS_ASSERT(g->state == CGROUP_JOINING);
    KS_ASSERT(!g->in_flight);
    struct api_join_group_protocol protocols[CGROUP_ASSIGNORS_MAX];
    struct wire_writer meta[CGROUP_ASSIGNORS_MAX];
    for (uint32_t i = 0; i < g->config.assignor_count; i++) {
        wire_writer_init(&meta[i]);
        cgroup_subscription(g, g->config.assignors[i], &meta[i]);
        protocols[i].name = wire_string_from(assignor_name(g->config.assignors[i]));
        protocols[i].metadata = (struct wire_bytes){meta[i].bytes, (int32_t)meta[i].size_bytes};
    }
    struct api_join_group_request jr;
    memset(&jr, 0, sizeof(jr));
    jr.group_id = wire_string_from(g->config.group_id);
    jr.session_timeout_ms = g->config.session_timeout_ms;
    jr.rebalance_timeout_ms = g->config.max_poll_interval_ms;
    jr.member_id = wire_string_from(g->member_id);
    jr.group_instance_id = g->config.group_instance_id[0] != 0
                               ? wire_string_from(g->config.group_instance_id)
                               : wire_string_null();
    jr.protocol_type = wire_string_from(CPROTO_PROTOCOL_TYPE);
    jr.protocol_count = g->config.assignor_count;
    jr.protocols = protocols;
    jr.reason = wire_string_null();
    struct wire_writer w;
    wire_writer_init(&w);
    api_join_group_request_encode(&w, CGROUP_JOIN_GROUP_VERSION, &jr);
    if (cgroup_send(g, g->coordinator, API_JOIN_GROUP, CGROUP_JOIN_GROUP_VERSION, &w,
                    cgroup_join_done, NULL) == KS_OK) {
        g->in_flight = true;
        g->joins++;
    } else {
        cgroup_backoff(g);
    }
    wire_writer_free(&w);
    for (uint32_t i = 0; i < g->config.assignor_count; i++)
        wire_writer_free(&meta[i]);
}

/* ---- SyncGroup ------------------------------------------------------------------------ */

/* The leader's topics: every topic a member subscribes to whose metadata is known. */
static uint32_t cgroup_leader_topics(struct cgroup *g, const struct cproto_subscription *subs,
                                     uint32_t member_count, struct assignor_topic *out,
                                     uint32_t out_capacity)
{
    uint32_t count = 0;
    for (uint32_t m = 0; m < member_count; m++) {
        for (uint32_t t = 0; t < subs[m].topic_count; t++) {
            char name[CNET_TOPIC_BYTES_MAX + 1];
            struct wire_string topic = subs[m].topics[t];
            if (topic.length <= 0 || topic.length > (int32_t)CNET_TOPIC_BYTES_MAX)
                continue;
            snprintf(name, sizeof(name), "%.*s", topic.length, topic.chars);
            const struct cnet_topic *ct = cnet_topic(g->consumer->net, name);
            if (ct == NULL) {
                if (cnet_want_topic(g->consumer->net, name) != KS_OK)
                    env_logf(g->env, ENV_LOG_WARN, "group %s: too many topics for metadata",
                             g->config.group_id);
                continue;
            }
            bool seen = false;
            for (uint32_t i = 0; i < count && !seen; i++)
                seen = wire_string_equal(out[i].name, topic);
            if (!seen && ct->partition_count > 0 && count < out_capacity)
                out[count++] = (struct assignor_topic){topic, (int32_t)ct->partition_count};
        }
    }
    return count;
}

/* Bug switch group_leader_double_assign: the first member's first partition goes to
 * the second member too (kept sorted). */
static void cgroup_bug_double_assign(struct cgroup *g, struct assignor_result *result)
{
    if (!env_bug(g->env, KS_BUG_GROUP_LEADER_DOUBLE_ASSIGN) || result->member_count < 2 ||
        result->members[0].partition_count == 0)
        return;
    struct assignor_member_assignment *second = &result->members[1];
    struct assignor_tp *grown = ks_alloc((second->partition_count + 1) * sizeof(*grown));
    grown[0] = result->members[0].partitions[0];
    memcpy(&grown[1], second->partitions, second->partition_count * sizeof(*grown));
    free(second->partitions);
    second->partitions = grown;
    second->partition_count++;
}

/* ConsumerCoordinator.onLeaderElected: decode the subscriptions, run the group's
 * assignor, encode one assignment per member. Returns the assignments (allocated,
 * their bytes in *buffers), or NULL with count 0 when the subscriptions are bad. */
static struct api_sync_group_assignment *
cgroup_leader_assign(struct cgroup *g, const struct api_join_group_response *resp,
                     struct wire_writer **buffers)
{
    uint32_t n = resp->member_count;
    struct cproto_subscription *subs = ks_alloc((n + 1) * sizeof(*subs));
    struct assignor_member *members = ks_alloc((n + 1) * sizeof(*members));
    struct assignor_tp **owned = ks_alloc((n + 1) * sizeof(*owned));
    struct assignor_topic topics[CGROUP_TOPICS_MAX];
    struct api_sync_group_assignment *out = NULL;
    uint32_t decoded = 0;
    for (; decoded < n; decoded++) {
        const struct api_join_group_member *jm = &resp->members[decoded];
        if (jm->metadata.size_bytes < 0 ||
            cproto_subscription_decode(jm->metadata.bytes, (uint32_t)jm->metadata.size_bytes,
                                       &subs[decoded]) != KS_OK)
            goto done;
        struct assignor_member *am = &members[decoded];
        am->member_id = jm->member_id;
        am->group_instance_id = jm->group_instance_id;
        am->topic_count = subs[decoded].topic_count;
        am->topics = subs[decoded].topics;
        assignor_owned_from_subscription(g->protocol, &subs[decoded], &owned[decoded],
                                         &am->owned_count, &am->generation);
        am->owned = owned[decoded];
    }
    uint32_t topic_count = cgroup_leader_topics(g, subs, n, topics, CGROUP_TOPICS_MAX);
    struct assignor_result result;
    if (assignor_assign(g->protocol, topics, topic_count, members, n, &result) != KS_OK)
        goto done;
    out = ks_alloc((n + 1) * sizeof(*out));
    *buffers = ks_alloc((n + 1) * sizeof(**buffers));
    cgroup_bug_double_assign(g, &result);
    for (uint32_t m = 0; m < n; m++) {
        struct cproto_assignment a;
        assignor_to_cproto_assignment(&result.members[m], CGROUP_ASSIGNMENT_VERSION, &a);
        wire_writer_init(&(*buffers)[m]);
        cproto_assignment_encode(&(*buffers)[m], &a);
        cproto_assignment_free(&a);
        out[m].member_id = resp->members[m].member_id;
        out[m].assignment =
            (struct wire_bytes){(*buffers)[m].bytes, (int32_t)(*buffers)[m].size_bytes};
    }
    assignor_result_free(&result);
done:
    for (uint32_t i = 0; i < decoded; i++) {
        cproto_subscription_free(&subs[i]);
        free(owned[i]);
    }
    free(subs);
    free(members);
    free(owned);
    return out;
}

static void cgroup_sync_done(void *ctx, enum ks_err err, const uint8_t *body, uint32_t size);

static void cgroup_sync(struct cgroup *g, const struct api_join_group_response *resp)
{
    KS_ASSERT(g->state == CGROUP_SYNCING);
    struct wire_writer *buffers = NULL;
    struct api_sync_group_assignment *assignments = NULL;
    uint32_t count = 0;
    if (g->leader) {
        assignments = cgroup_leader_assign(g, resp, &buffers);
        count = assignments != NULL ? resp->member_count : 0;
    }
    struct api_sync_group_request sr;
    memset(&sr, 0, sizeof(sr));
    sr.group_id = wire_string_from(g->config.group_id);
    sr.generation_id = g->generation;
    sr.member_id = wire_string_from(g->member_id);
    sr.group_instance_id = g->config.group_instance_id[0] != 0
                               ? wire_string_from(g->config.group_instance_id)
                               : wire_string_null();
    sr.protocol_type = wire_string_from(CPROTO_PROTOCOL_TYPE);
    sr.protocol_name = wire_string_from(assignor_name(g->protocol));
    sr.assignment_count = count;
    sr.assignments = assignments;
    struct wire_writer w;
    wire_writer_init(&w);
    api_sync_group_request_encode(&w, CGROUP_SYNC_GROUP_VERSION, &sr);
    if (cgroup_send(g, g->coordinator, API_SYNC_GROUP, CGROUP_SYNC_GROUP_VERSION, &w,
                    cgroup_sync_done, NULL) == KS_OK)
        g->in_flight = true;
    else
        cgroup_coordinator_unknown(g, "sync not sent");
    wire_writer_free(&w);
    for (uint32_t i = 0; i < count; i++)
        wire_writer_free(&buffers[i]);
    free(buffers);
    free(assignments);
    if (!g->in_flight)
        cgroup_request_rejoin(g, "sync not sent");
}

/* The partitions of an assignment, sorted; false on bad bytes. */
static bool cgroup_assignment_decode(struct wire_bytes bytes, struct cgroup_tp **out,
                                     uint32_t *count_out)
{
    *out = NULL;
    *count_out = 0;
    struct cproto_assignment a;
    if (bytes.size_bytes <= 0) {
        *out = ks_alloc(sizeof(**out));
        return true; /* an empty assignment */
    }
    if (cproto_assignment_decode(bytes.bytes, (uint32_t)bytes.size_bytes, &a) != KS_OK)
        return false;
    uint32_t total = 0;
    bool ok = true;
    for (uint32_t t = 0; t < a.topic_count; t++)
        total += a.assigned_partitions[t].partition_count;
    ok = total <= CGROUP_PARTS_MAX;
    struct cgroup_tp *tps = ks_alloc((total + 1) * sizeof(*tps));
    uint32_t n = 0;
    for (uint32_t t = 0; ok && t < a.topic_count; t++) {
        const struct cproto_topic_partitions *tp = &a.assigned_partitions[t];
        ok = tp->topic.length > 0 && tp->topic.length <= (int32_t)CNET_TOPIC_BYTES_MAX;
        for (uint32_t p = 0; ok && p < tp->partition_count; p++) {
            snprintf(tps[n].topic, sizeof(tps[n].topic), "%.*s", tp->topic.length, tp->topic.chars);
            tps[n++].partition = tp->partitions[p];
        }
    }
    cproto_assignment_free(&a);
    if (!ok) {
        free(tps);
        return false;
    }
    qsort(tps, n, sizeof(*tps), cgroup_tp_compare);
    *out = tps;
    *count_out = n;
    return true;
}

static void cgroup_fetch_offsets(struct cgroup *g);

static void cgroup_trace_assignment(struct cgroup *g, const struct cgroup_tp *tps, uint32_t count)
{
    char text[CGROUP_TRACE_BYTES];
    size_t used = 0;
    text[0] = 0;
    for (uint32_t i = 0; i < count && used + 8 < sizeof(text); i++) {
        int n = snprintf(text + used, sizeof(text) - used, "%s%s-%d", i > 0 ? "," : "",
                         tps[i].topic, tps[i].partition);
        used += n > 0 ? (size_t)n : 0;
    }
    if (used >= sizeof(text))
        used = sizeof(text) - 1;
    env_tracef(g->env, "group.client", "group %s generation %d: %s is assigned [%s]",
               g->config.group_id, g->generation, g->member_id, text);
}

/* ConsumerCoordinator.onJoinComplete: revoke what was taken away (cooperative), keep
 * what stays, and fetch the committed offsets of what is new. */
static void cgroup_apply_assignment(struct cgroup *g, struct cgroup_tp *assigned, uint32_t count)
{
    bool revoked_any = false;
    if (!g->revoked_all) {
        (void)cgroup_commit_positions(g, cgroup_commit_done);
        for (uint32_t i = 0; i < g->owned_count; i++) {
            if (cgroup_tp_in(assigned, count, &g->owned[i]))
                continue;
            enum ks_err gone =
                consumer_unassign(g->consumer, g->owned[i].topic, g->owned[i].partition);
            KS_ASSERT(gone == KS_OK || gone == KS_ERR_NOT_FOUND);
            if (gone == KS_OK)
                cgroup_event(g, CGROUP_EVENT_REVOKED, g->owned[i].topic, g->owned[i].partition, -1);
            revoked_any = true;
        }
    }
    int64_t *committed = ks_alloc((count + 1) * sizeof(*committed));
    struct cgroup_tp *fetching = ks_alloc((count + 1) * sizeof(*fetching));
    uint32_t fetching_count = 0;
    for (uint32_t i = 0; i < count; i++) {
        committed[i] = -1;
        struct cgroup_tp *was = g->revoked_all || g->owned_count == 0
                                    ? NULL
                                    : bsearch(&assigned[i], g->owned, g->owned_count,
                                              sizeof(*g->owned), cgroup_tp_compare);
        if (was != NULL)
            committed[i] = g->owned_committed[was - g->owned];
        else
            fetching[fetching_count++] = assigned[i];
    }
    free(g->owned);
    free(g->owned_committed);
    free(g->fetching);
    g->owned = assigned;
    g->owned_committed = committed;
    g->owned_count = count;
    g->fetching = fetching;
    g->fetching_count = fetching_count;
    g->revoked_all = false;
    cgroup_trace_assignment(g, assigned, count);
    if (revoked_any && g->cooperative)
        g->rejoin_needed = true; /* KIP-429: the second round hands them out */
    if (fetching_count > 0) {
        cgroup_set_state(g, CGROUP_FETCHING_OFFSETS, "assigned");
        cgroup_fetch_offsets(g);
    } else {
        cgroup_set_state(g, CGROUP_STABLE, "assigned");
    }
    g->next_heartbeat_ns = cgroup_now(g) + (uint64_t)g->config.heartbeat_interval_ms * NS_PER_MS;
    g->last_heartbeat_ok_ns = cgroup_now(g);
    cgroup_schedule(g, cgroup_now(g));
}

static void cgroup_sync_done(void *ctx, enum ks_err err, const uint8_t *body, uint32_t size)
{
    struct cgroup_req *req = ctx;
    struct cgroup *g = req->g;
    bool stale = req->seq != g->request_seq || g->state != CGROUP_SYNCING;
    cgroup_req_free(req);
    if (stale)
        return;
    g->in_flight = false;
    struct api_sync_group_response resp;
    if (err == KS_OK &&
        api_sync_group_response_decode(CGROUP_SYNC_GROUP_VERSION, body, size, &resp) != KS_OK)
        err = KS_ERR_CORRUPT_MESSAGE;
    enum ks_err code = err != KS_OK ? err : (enum ks_err)resp.error_code;
    if (code == KS_OK) {
        struct cgroup_tp *tps = NULL;
        uint32_t count = 0;
        if (cgroup_assignment_decode(resp.assignment, &tps, &count)) {
            cgroup_apply_assignment(g, tps, count);
            return;
        }
        code = KS_ERR_CORRUPT_MESSAGE;
    }
    if (cgroup_common_error(g, code, "sync")) {
        if (g->state == CGROUP_SYNCING)
            cgroup_set_state(g, CGROUP_PREPARING, "sync failed");
        return;
    }
    if (code == KS_ERR_UNKNOWN_MEMBER_ID || code == KS_ERR_ILLEGAL_GENERATION) {
        cgroup_reset_generation(g, code == KS_ERR_UNKNOWN_MEMBER_ID, ks_err_name(code));
        return;
    }
    cgroup_request_rejoin(g, ks_err_name(code)); /* REBALANCE_IN_PROGRESS and others */
    cgroup_backoff(g);
}

/* ---- OffsetFetch ---------------------------------------------------------------------- */

/* A new partition starts at its committed offset, or by auto.offset.reset (-1). */
static void cgroup_resume(struct cgroup *g, const struct cgroup_tp *tp, int64_t committed)
{
    if (env_bug(g->env, KS_BUG_GROUP_SKIP_OFFSET_FETCH))
        committed = -1; /* as if nothing were committed */
    if (consumer_assign(g->consumer, tp->topic, tp->partition) != KS_OK)
        return;
    if (committed >= 0 && consumer_seek(g->consumer, tp->topic, tp->partition, committed) != KS_OK)
        KS_UNREACHABLE();
    struct cgroup_tp *at =
        bsearch(tp, g->owned, g->owned_count, sizeof(*g->owned), cgroup_tp_compare);
    KS_ASSERT(at != NULL);
    g->owned_committed[at - g->owned] = committed;
    cgroup_event(g, CGROUP_EVENT_RESUMED, tp->topic, tp->partition, committed);
    cgroup_event(g, CGROUP_EVENT_ASSIGNED, tp->topic, tp->partition, -1);
}

static int64_t cgroup_committed_in(const struct api_offset_fetch_response_group *grp,
                                   const struct cgroup_tp *tp, enum ks_err *err)
{
    for (uint32_t t = 0; t < grp->topic_count; t++) {
        if (!wire_string_equal_cstr(grp->topics[t].name, tp->topic))
            continue;
        for (uint32_t p = 0; p < grp->topics[t].partition_count; p++) {
            const struct api_offset_fetch_response_partition *rp = &grp->topics[t].partitions[p];
            if (rp->partition_index != tp->partition)
                continue;
            if (rp->error_code != KS_OK && *err == KS_OK)
                *err = (enum ks_err)rp->error_code;
            return rp->committed_offset;
        }
    }
    if (*err == KS_OK)
        *err = KS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    return -1;
}

static void cgroup_fetch_offsets_done(void *ctx, enum ks_err err, const uint8_t *body,
                                      uint32_t size)
{
    struct cgroup_req *req = ctx;
    struct cgroup *g = req->g;
    bool stale = req->seq != g->request_seq || g->state != CGROUP_FETCHING_OFFSETS;
    cgroup_req_free(req);
    if (stale)
        return;
    g->in_flight = false;
    struct api_offset_fetch_response resp;
    bool decoded = err == KS_OK && api_offset_fetch_response_decode(CGROUP_OFFSET_FETCH_VERSION,
                                                                    body, size, &resp) == KS_OK;
    enum ks_err code = decoded ? KS_OK : (err != KS_OK ? err : KS_ERR_CORRUPT_MESSAGE);
    if (decoded && (resp.group_count != 1 || resp.groups[0].error_code != KS_OK))
        code =
            resp.group_count == 1 ? (enum ks_err)resp.groups[0].error_code : KS_ERR_CORRUPT_MESSAGE;
    int64_t *committed = ks_alloc((g->fetching_count + 1) * sizeof(*committed));
    for (uint32_t i = 0; code == KS_OK && i < g->fetching_count; i++)
        committed[i] = cgroup_committed_in(&resp.groups[0], &g->fetching[i], &code);
    if (decoded)
        api_offset_fetch_response_free(&resp);
    if (code == KS_OK) {
        for (uint32_t i = 0; i < g->fetching_count; i++)
            cgroup_resume(g, &g->fetching[i], committed[i]);
        g->fetching_count = 0;
        cgroup_set_state(g, CGROUP_STABLE, "offsets fetched");
        cgroup_schedule(g, cgroup_now(g));
    } else if (!cgroup_common_error(g, code, "offset fetch")) {
        if (code == KS_ERR_UNKNOWN_MEMBER_ID || code == KS_ERR_ILLEGAL_GENERATION)
            cgroup_reset_generation(g, code == KS_ERR_UNKNOWN_MEMBER_ID, ks_err_name(code));
        else
            cgroup_backoff(g); /* COORDINATOR_LOAD_IN_PROGRESS, UNSTABLE_OFFSET_COMMIT, ... */
    }
    free(committed);
}

static void cgroup_fetch_offsets(struct cgroup *g)
{
    KS_ASSERT(g->state == CGROUP_FETCHING_OFFSETS);
    KS_ASSERT(g->fetching_count > 0);
    struct api_offset_fetch_request_topic *topics =
        ks_alloc((g->fetching_count + 1) * sizeof(*topics));
    int32_t *parts = ks_alloc((g->fetching_count + 1) * sizeof(*parts));
    int32_t topic_count = 0;
    for (uint32_t i = 0; i < g->fetching_count; i++) {
        struct api_offset_fetch_request_topic *t =
            topic_count > 0 ? &topics[topic_count - 1] : NULL;
        if (t == NULL || !wire_string_equal_cstr(t->name, g->fetching[i].topic)) {
            t = &topics[topic_count++];
            t->name = wire_string_from(g->fetching[i].topic);
            t->partition_indexes = &parts[i];
        }
        t->partition_indexes[t->partition_count++] = g->fetching[i].partition;
    }
    struct api_offset_fetch_request_group grp = {wire_string_from(g->config.group_id),
                                                 wire_string_null(), -1, topic_count, topics};
    struct api_offset_fetch_request fr = {1, &grp, false};
    struct wire_writer w;
    wire_writer_init(&w);
    api_offset_fetch_request_encode(&w, CGROUP_OFFSET_FETCH_VERSION, &fr);
    if (cgroup_send(g, g->coordinator, API_OFFSET_FETCH, CGROUP_OFFSET_FETCH_VERSION, &w,
                    cgroup_fetch_offsets_done, NULL) == KS_OK)
        g->in_flight = true;
    else
        cgroup_backoff(g);
    wire_writer_free(&w);
    free(topics);
    free(parts);
}

/* ---- Heartbeat and LeaveGroup ---------------------------------------------------------- */

static void cgroup_heartbeat_done(void *ctx, enum ks_err err, const uint8_t *body, uint32_t size)
{
    struct cgroup_req *req = ctx;
    struct cgroup *g = req->g;
    bool stale = req->seq != g->request_seq || req->generation != g->generation ||
                 (g->state != CGROUP_STABLE && g->state != CGROUP_FETCHING_OFFSETS);
    cgroup_req_free(req);
    if (stale)
        return;
    KS_ASSERT(g->heartbeat_in_flight);
    g->heartbeat_in_flight = false;
    struct api_heartbeat_response resp;
    if (err == KS_OK &&
        api_heartbeat_response_decode(CGROUP_HEARTBEAT_VERSION, body, size, &resp) != KS_OK)
        err = KS_ERR_CORRUPT_MESSAGE;
    enum ks_err code = err != KS_OK ? err : (enum ks_err)resp.error_code;
    if (code == KS_OK) {
        g->heartbeats++;
        g->last_heartbeat_ok_ns = cgroup_now(g);
    } else if (cgroup_common_error(g, code, "heartbeat")) {
        return;
    } else if (code == KS_ERR_REBALANCE_IN_PROGRESS) {
        cgroup_request_rejoin(g, "heartbeat: REBALANCE_IN_PROGRESS");
    } else if (code == KS_ERR_UNKNOWN_MEMBER_ID || code == KS_ERR_ILLEGAL_GENERATION) {
        cgroup_reset_generation(g, code == KS_ERR_UNKNOWN_MEMBER_ID, ks_err_name(code));
    }
    cgroup_schedule(g, cgroup_now(g));
}

static void cgroup_heartbeat(struct cgroup *g)
{
    struct api_heartbeat_request hr = {
        wire_string_from(g->config.group_id), g->generation, wire_string_from(g->member_id),
        g->config.group_instance_id[0] != 0 ? wire_string_from(g->config.group_instance_id)
                                            : wire_string_null()};
    struct wire_writer w;
    wire_writer_init(&w);
    api_heartbeat_request_encode(&w, CGROUP_HEARTBEAT_VERSION, &hr);
    if (cgroup_send(g, g->coordinator, API_HEARTBEAT, CGROUP_HEARTBEAT_VERSION, &w,
                    cgroup_heartbeat_done, NULL) == KS_OK)
        g->heartbeat_in_flight = true;
    wire_writer_free(&w);
    g->next_heartbeat_ns = cgroup_now(g) + (uint64_t)g->config.heartbeat_interval_ms * NS_PER_MS;
}

/* AbstractCoordinator.maybeLeaveGroup: tell the coordinator, answer not awaited. */
static void cgroup_send_leave(struct cgroup *g, const char *reason)
{
    if (g->member_id[0] == 0 || g->coordinator == CNET_NO_NODE)
        return;
    struct api_leave_group_member m = {wire_string_from(g->member_id), wire_string_null(),
                                       wire_string_from(reason)};
    struct api_leave_group_request lr = {wire_string_from(g->config.group_id), 1, &m};
    struct wire_writer w;
    wire_writer_init(&w);
    api_leave_group_request_encode(&w, CGROUP_LEAVE_GROUP_VERSION, &lr);
    (void)cgroup_send(g, g->coordinator, API_LEAVE_GROUP, CGROUP_LEAVE_GROUP_VERSION, &w,
                      cgroup_ignore_answer, NULL);
    wire_writer_free(&w);
    env_tracef(g->env, "group.client", "group %s generation %d: %s leaves (%s)", g->config.group_id,
               g->generation, g->member_id, reason);
}

/* ---- The driver ------------------------------------------------------------------------ */

/* Every subscribed topic's metadata is known (or the topic is known to be missing). */
static bool cgroup_metadata_ready(struct cgroup *g)
{
    for (uint32_t i = 0; i < g->topic_count; i++) {
        const struct cnet_topic *t = cnet_topic(g->consumer->net, g->topics[i]);
        if (t == NULL || (t->partition_count == 0 && t->error == KS_OK)) {
            cnet_metadata_refresh(g->consumer->net);
            return false;
        }
    }
    return true;
}

/* ConsumerCoordinator.onJoinPrepare, then the JoinGroup. */
static void cgroup_prepare(struct cgroup *g)
{
    if (g->in_flight || g->commits_in_flight > 0)
        return; /* the commit's answer runs us again */
    if (!g->prepare_committed && g->config.enable_auto_commit) {
        g->prepare_committed = true;
        if (cgroup_commit_positions(g, cgroup_commit_done))
            return;
    }
    if (!cgroup_metadata_ready(g)) {
        cgroup_backoff(g);
        return;
    }
    if (!g->cooperative || g->generation == CGROUP_GENERATION_NONE)
        cgroup_unassign_all(g, g->generation == CGROUP_GENERATION_NONE ? CGROUP_EVENT_LOST
                                                                       : CGROUP_EVENT_REVOKED);
    g->prepare_committed = false;
    cgroup_set_state(g, CGROUP_JOINING, "join");
    cgroup_join(g);
}

/* Heartbeats, the session and auto commits of a member with an assignment. */
static void cgroup_member_tick(struct cgroup *g, uint64_t now)
{
    uint64_t session_ns = (uint64_t)g->config.session_timeout_ms * NS_PER_MS;
    if (now >= g->last_heartbeat_ok_ns + session_ns) {
        cgroup_coordinator_unknown(g, "session timed out without a heartbeat answer");
        return;
    }
    if (!g->heartbeat_in_flight && now >= g->next_heartbeat_ns)
        cgroup_heartbeat(g);
    /* an answer in flight runs us when it comes; the session bounds the wait */
    uint64_t next = g->heartbeat_in_flight ? UINT64_MAX : g->next_heartbeat_ns;
    if (g->state == CGROUP_STABLE && g->config.enable_auto_commit) {
        if (now >= g->next_auto_commit_ns) {
            (void)cgroup_commit_positions(g, cgroup_commit_done);
            g->next_auto_commit_ns = now + (uint64_t)g->config.auto_commit_interval_ms * NS_PER_MS;
        }
        next = g->next_auto_commit_ns < next ? g->next_auto_commit_ns : next;
    }
    uint64_t session_at = g->last_heartbeat_ok_ns + session_ns;
    cgroup_schedule(g, session_at < next ? session_at : next);
}

static bool cgroup_poll_expired(struct cgroup *g, uint64_t now)
{
    uint64_t limit = g->last_poll_ns + (uint64_t)g->config.max_poll_interval_ms * NS_PER_MS;
    if (g->state == CGROUP_UNJOINED || g->state == CGROUP_LEAVING || now < limit) {
        if (g->state != CGROUP_LEAVING && g->state != CGROUP_UNJOINED)
            cgroup_schedule(g, limit);
        return false;
    }
    cgroup_send_leave(g, "consumer poll timeout has expired");
    cgroup_unassign_all(g, CGROUP_EVENT_LOST);
    g->generation = CGROUP_GENERATION_NONE;
    if (g->config.group_instance_id[0] == 0)
        g->member_id[0] = 0;
    g->request_seq++;
    g->in_flight = false;
    g->heartbeat_in_flight = false;
    g->fetching_count = 0;
    cgroup_set_state(g, CGROUP_LEAVING, "max.poll.interval.ms passed without a poll");
    return true;
}

static void cgroup_run(void *ctx)
{
    struct cgroup *g = ctx;
    g->timer = 0;
    uint64_t now = cgroup_now(g);
    if (g->state == CGROUP_CLOSED || g->state == CGROUP_FAILED || g->topic_count == 0 ||
        cgroup_poll_expired(g, now) || g->state == CGROUP_LEAVING)
        return;
    if (now < g->retry_at_ns) {
        cgroup_schedule(g, g->retry_at_ns);
        return;
    }
    if (g->coordinator == CNET_NO_NODE) {
        if (!g->in_flight)
            cgroup_find(g);
        return;
    }
    if (cgroup_coordinator_unreachable(g)) {
        cgroup_coordinator_unknown(g, "coordinator unreachable");
        return;
    }
    if (!cnet_ready(g->consumer->net, g->coordinator)) {
        cgroup_backoff(g); /* connecting, or the connection is full */
        return;
    }
    switch (g->state) {
    case CGROUP_UNJOINED:
        cgroup_set_state(g, CGROUP_PREPARING, "subscribed");
        cgroup_prepare(g);
        break;
    case CGROUP_PREPARING:
        cgroup_prepare(g);
        break;
    case CGROUP_JOINING:
        if (!g->in_flight)
            cgroup_join(g);
        break;
    case CGROUP_SYNCING:
        if (!g->in_flight)
            cgroup_request_rejoin(g, "sync lost");
        break;
    case CGROUP_FETCHING_OFFSETS:
        if (!g->in_flight)
            cgroup_fetch_offsets(g);
        cgroup_member_tick(g, now);
        break;
    case CGROUP_STABLE:
        if (g->rejoin_needed)
            cgroup_request_rejoin(g, "revoked partitions to hand out");
        else
            cgroup_member_tick(g, now);
        break;
    default:
        KS_UNREACHABLE();
    }
}

/* ---- Lifecycle ------------------------------------------------------------------------- */

struct cgroup *cgroup_create(struct env *env, const struct props *config, struct consumer *consumer,
                             cgroup_event_fn event_fn, void *event_ctx, enum ks_err *err_out)
{
    struct cgroup_config cc;
    *err_out = cgroup_config_from_props(config, &cc);
    if (*err_out != KS_OK)
        return NULL;
    KS_ASSERT(consumer != NULL);
    struct cgroup *g = ks_alloc(sizeof(*g));
    g->env = env;
    g->config = cc;
    g->consumer = consumer;
    g->state = CGROUP_UNJOINED;
    g->cooperative = true;
    for (uint32_t i = 0; i < cc.assignor_count; i++)
        g->cooperative &= assignor_is_cooperative(cc.assignors[i]);
    g->coordinator = CNET_NO_NODE;
    g->generation = CGROUP_GENERATION_NONE;
    g->revoked_all = true;
    g->event_fn = event_fn;
    g->event_ctx = event_ctx;
    g->last_poll_ns = cgroup_now(g);
    g->next_auto_commit_ns = cgroup_now(g) + (uint64_t)cc.auto_commit_interval_ms * NS_PER_MS;
    return g;
}

void cgroup_close(struct cgroup *g)
{
    if (g == NULL || g->state == CGROUP_CLOSED)
        return;
    if (g->timer != 0)
        env_timer_cancel(g->env, g->timer);
    g->timer = 0;
    if (g->config.enable_auto_commit && g->coordinator != CNET_NO_NODE)
        (void)cgroup_commit_positions(g, cgroup_ignore_answer);
    cgroup_unassign_all(g, CGROUP_EVENT_REVOKED);
    if (g->config.group_instance_id[0] == 0)
        cgroup_send_leave(g, "the consumer is being closed");
    cgroup_set_state(g, CGROUP_CLOSED, "closed");
}

void cgroup_destroy(struct cgroup *g)
{
    if (g == NULL)
        return;
    while (g->req_count > 0)
        cgroup_req_free(g->reqs[g->req_count - 1]);
    free(g->owned);
    free(g->owned_committed);
    free(g->fetching);
    free(g);
}

enum ks_err cgroup_subscribe(struct cgroup *g, const char *topic)
{
    size_t len = strlen(topic);
    if (len == 0 || len > CNET_TOPIC_BYTES_MAX)
        return KS_ERR_INVALID;
    for (uint32_t i = 0; i < g->topic_count; i++) {
        if (strcmp(g->topics[i], topic) == 0)
            return KS_OK;
    }
    if (g->topic_count == CGROUP_TOPICS_MAX)
        return KS_ERR_TOO_MANY;
    if (cnet_want_topic(g->consumer->net, topic) != KS_OK)
        return KS_ERR_TOO_MANY;
    uint32_t at = g->topic_count;
    while (at > 0 && strcmp(g->topics[at - 1], topic) > 0) {
        memcpy(g->topics[at], g->topics[at - 1], sizeof(g->topics[at]));
        at--;
    }
    snprintf(g->topics[at], sizeof(g->topics[at]), "%s", topic);
    g->topic_count++;
    if (g->state == CGROUP_STABLE)
        g->rejoin_needed = true; /* a new subscription rebalances */
    cgroup_schedule(g, cgroup_now(g));
    return KS_OK;
}

void cgroup_poll(struct cgroup *g)
{
    if (g->state == CGROUP_CLOSED || g->state == CGROUP_FAILED)
        return;
    g->last_poll_ns = cgroup_now(g);
    if (g->state == CGROUP_LEAVING) {
        cgroup_set_state(g, CGROUP_UNJOINED, "polled again");
        cgroup_schedule(g, cgroup_now(g));
    }
}
