/*
 * blife.c: the broker lifecycle manager, see blife.h. Kafka: BrokerLifecycleManager
 * (sendBrokerRegistration, sendBrokerHeartbeat, the BrokerHeartbeatResponseEvent
 * handling per BrokerState), KIP-631.
 */
#include "blife.h"

#include <stdlib.h>
#include <string.h>

#include "system/proto/api.h"
#include "system/proto/api_broker_heartbeat.h"
#include "system/proto/api_broker_registration.h"

#define BLIFE_NS_PER_MS 1000000ull
#define BLIFE_LISTENER_NAME "PLAINTEXT"
#define BLIFE_SECURITY_PLAINTEXT 0

static const char *const blife_state_names[BLIFE_STATE_COUNT] = {
    "Starting", "Recovery", "Running", "PendingControlledShutdown", "ShuttingDown"};

#define BLIFE_BIT(s) (1u << (s))
static const uint32_t blife_transitions[BLIFE_STATE_COUNT] = {
    [BLIFE_STARTING] = BLIFE_BIT(BLIFE_RECOVERY) | BLIFE_BIT(BLIFE_SHUTTING_DOWN),
    [BLIFE_RECOVERY] = BLIFE_BIT(BLIFE_RUNNING) | BLIFE_BIT(BLIFE_STARTING) |
                       BLIFE_BIT(BLIFE_PENDING_CONTROLLED_SHUTDOWN),
    [BLIFE_RUNNING] = BLIFE_BIT(BLIFE_RECOVERY) | BLIFE_BIT(BLIFE_STARTING) |
                      BLIFE_BIT(BLIFE_PENDING_CONTROLLED_SHUTDOWN),
    [BLIFE_PENDING_CONTROLLED_SHUTDOWN] =
        BLIFE_BIT(BLIFE_SHUTTING_DOWN) | BLIFE_BIT(BLIFE_STARTING),
    [BLIFE_SHUTTING_DOWN] = 0,
};

const char *blife_state_name(enum blife_state state)
{
    KS_ASSERT(state < BLIFE_STATE_COUNT);
    return blife_state_names[state];
}

static void blife_set_state(struct blife *l, enum blife_state to)
{
    KS_ASSERT(to < BLIFE_STATE_COUNT);
    KS_ASSERT(blife_transitions[l->state] & BLIFE_BIT(to));
    env_tracef(l->env, "blife.state", "broker %d: %s -> %s epoch=%lld", l->config.broker_id,
               blife_state_name(l->state), blife_state_name(to), (long long)l->broker_epoch);
    l->state = to;
}

static uint64_t blife_now(struct blife *l)
{
    return env_mono_ns(l->env);
}

static void blife_poll(void *ctx);

static void blife_schedule(struct blife *l)
{
    uint64_t at =
        l->inflight ? l->sent_ns + BLIFE_REQUEST_TIMEOUT_MS * BLIFE_NS_PER_MS : l->next_ns;
    uint64_t now = blife_now(l);
    if (l->timer != 0)
        env_timer_cancel(l->env, l->timer);
    l->timer = env_timer_start(l->env, at > now ? at - now : 0, blife_poll, l);
    KS_ASSERT(l->timer != 0);
}

/* The active controller as best known: the one that answered, the Raft leader the
 * metadata fetcher heard of, else the next voter in turn (QuorumController discovery). */
static int32_t blife_controller(struct blife *l)
{
    if (l->controller_id < 0)
        l->controller_id = bmeta_leader_id(l->meta);
    if (l->controller_id < 0 || raft_config_voter_index(l->quorum, l->controller_id) < 0)
        l->controller_id = l->quorum->voters[l->voter_cursor++ % l->quorum->voter_count].id;
    return l->controller_id;
}

static void blife_send(struct blife *l, int16_t api_key, int16_t version, struct wire_writer *w)
{
    KS_ASSERT(!l->inflight);
    int32_t peer = blife_controller(l);
    l->request_id++;
    l->sent_ns = blife_now(l);
    enum ks_err err = raft_net_send(l->net, peer, api_key, version, w, l->request_id);
    if (err == KS_OK) {
        l->inflight = true;
        l->inflight_api = api_key;
        return;
    }
    env_tracef(l->env, "blife.send_failed", "to=%d %s", peer, ks_err_name(err));
    l->controller_id = -1;
    l->next_ns = l->sent_ns + BLIFE_REGISTRATION_BACKOFF_MS_MIN * BLIFE_NS_PER_MS;
}

static void blife_send_registration(struct blife *l)
{
    KS_ASSERT(l->state == BLIFE_STARTING);
    struct api_broker_registration_request req;
    memset(&req, 0, sizeof(req));
    req.broker_id = l->config.broker_id;
    req.cluster_id = wire_string_from(l->config.cluster_id);
    req.incarnation_id = l->incarnation_id;
    req.listener_count = 1;
    req.listeners[0] = (struct api_broker_registration_listener){
        wire_string_from(BLIFE_LISTENER_NAME), wire_string_from(l->config.host), l->config.port,
        BLIFE_SECURITY_PLAINTEXT};
    req.rack = l->config.rack[0] != 0 ? wire_string_from(l->config.rack) : wire_string_null();
    req.previous_broker_epoch = -1;
    struct wire_writer w;
    wire_writer_init(&w);
    api_broker_registration_request_encode(&w, BLIFE_REGISTRATION_VERSION, &req);
    blife_send(l, API_BROKER_REGISTRATION, BLIFE_REGISTRATION_VERSION, &w);
    wire_writer_free(&w);
}

static void blife_send_heartbeat(struct blife *l)
{
    KS_ASSERT(l->state != BLIFE_STARTING);
    KS_ASSERT(l->broker_epoch >= 0);
    struct api_broker_heartbeat_request req;
    memset(&req, 0, sizeof(req));
    req.broker_id = l->config.broker_id;
    req.broker_epoch = l->broker_epoch;
    req.current_metadata_offset = bmeta_applied_offset(l->meta);
    /* ready to unfence once our own registration record is applied */
    req.want_fence = req.current_metadata_offset < l->broker_epoch;
    req.want_shut_down = l->state == BLIFE_PENDING_CONTROLLED_SHUTDOWN;
    struct wire_writer w;
    wire_writer_init(&w);
    api_broker_heartbeat_request_encode(&w, BLIFE_HEARTBEAT_VERSION, &req);
    blife_send(l, API_BROKER_HEARTBEAT, BLIFE_HEARTBEAT_VERSION, &w);
    wire_writer_free(&w);
}

static void blife_poll(void *ctx)
{
    struct blife *l = ctx;
    l->timer = 0;
    if (l->state == BLIFE_SHUTTING_DOWN)
        return;
    if (l->inflight) { /* timed out */
        int32_t peer = l->controller_id;
        env_tracef(l->env, "blife.timeout", "%s to %d", api_name(l->inflight_api), peer);
        l->inflight = false;
        l->request_id++; /* the answer, if any, is stale */
        l->controller_id = -1;
        l->voter_cursor++;
        l->next_ns = blife_now(l);
    } else if (l->state == BLIFE_STARTING) {
        blife_send_registration(l);
    } else {
        blife_send_heartbeat(l);
    }
    if (l->timer == 0 && l->state != BLIFE_SHUTTING_DOWN)
        blife_schedule(l);
}

/* Back off before registering again, and try another controller. */
static void blife_register_later(struct blife *l)
{
    l->next_ns = blife_now(l) + l->backoff_ms * BLIFE_NS_PER_MS;
    l->backoff_ms = l->backoff_ms * 2 > BLIFE_REGISTRATION_BACKOFF_MS_MAX
                        ? BLIFE_REGISTRATION_BACKOFF_MS_MAX
                        : l->backoff_ms * 2;
}

static void blife_on_registration(struct blife *l, const uint8_t *body, uint32_t size)
{
    struct api_broker_registration_response resp;
    if (l->state != BLIFE_STARTING)
        return;
    enum ks_err err =
        api_broker_registration_response_decode(BLIFE_REGISTRATION_VERSION, body, size, &resp);
    if (err == KS_OK && resp.error_code == KS_OK && resp.broker_epoch >= 0) {
        l->broker_epoch = resp.broker_epoch;
        l->registrations++;
        l->backoff_ms = BLIFE_REGISTRATION_BACKOFF_MS_MIN;
        l->fenced = true;
        blife_set_state(l, BLIFE_RECOVERY);
        l->next_ns = blife_now(l); /* first heartbeat at once */
        return;
    }
    env_tracef(l->env, "blife.registration_failed", "from %d: %s", l->controller_id,
               err != KS_OK ? ks_err_name(err) : ks_err_name((enum ks_err)resp.error_code));
    if (err != KS_OK || resp.error_code == KS_ERR_NOT_CONTROLLER)
        l->controller_id = -1;
    blife_register_later(l);
}

/* A heartbeat answer that says the session is gone: register again. */
static bool blife_heartbeat_lost_session(int16_t error_code)
{
    return error_code == KS_ERR_STALE_BROKER_EPOCH || error_code == KS_ERR_BROKER_ID_NOT_REGISTERED;
}

static void blife_on_heartbeat_ok(struct blife *l, const struct api_broker_heartbeat_response *r)
{
    l->heartbeats++;
    if (r->is_fenced != l->fenced)
        env_tracef(l->env, "blife.fenced", "broker %d fenced=%d caught_up=%d", l->config.broker_id,
                   r->is_fenced, r->is_caught_up);
    l->fenced = r->is_fenced;
    if (l->state == BLIFE_RECOVERY && !r->is_fenced)
        blife_set_state(l, BLIFE_RUNNING);
    else if (l->state == BLIFE_RUNNING && r->is_fenced)
        blife_set_state(l, BLIFE_RECOVERY);
    else if (l->state == BLIFE_PENDING_CONTROLLED_SHUTDOWN && r->should_shut_down)
        blife_set_state(l, BLIFE_SHUTTING_DOWN);
}

static void blife_on_heartbeat(struct blife *l, const uint8_t *body, uint32_t size)
{
    struct api_broker_heartbeat_response resp;
    if (l->state == BLIFE_STARTING || l->state == BLIFE_SHUTTING_DOWN)
        return;
    uint64_t interval_ns = (uint64_t)l->config.heartbeat_interval_ms * BLIFE_NS_PER_MS;
    l->next_ns = blife_now(l) + interval_ns;
    if (api_broker_heartbeat_response_decode(BLIFE_HEARTBEAT_VERSION, body, size, &resp) != KS_OK) {
        l->controller_id = -1;
        return;
    }
    if (resp.error_code == KS_OK) {
        blife_on_heartbeat_ok(l, &resp);
        if (l->state == BLIFE_RECOVERY || l->state == BLIFE_PENDING_CONTROLLED_SHUTDOWN)
            l->next_ns = blife_now(l) + interval_ns / 8; /* Kafka polls faster while waiting */
        return;
    }
    env_tracef(l->env, "blife.heartbeat_failed", "from %d: %s", l->controller_id,
               ks_err_name((enum ks_err)resp.error_code));
    if (resp.error_code == KS_ERR_NOT_CONTROLLER) {
        l->controller_id = -1;
        l->voter_cursor++;
        l->next_ns = blife_now(l);
    } else if (blife_heartbeat_lost_session(resp.error_code)) {
        l->broker_epoch = -1;
        l->fenced = true;
        blife_set_state(l, BLIFE_STARTING);
        l->next_ns = blife_now(l);
    }
}

void blife_on_response(struct blife *l, int32_t peer_id, int16_t api_key, uint64_t cookie,
                       const uint8_t *body, uint32_t size_bytes)
{
    if (!l->inflight || cookie != l->request_id || api_key != l->inflight_api)
        return;
    (void)peer_id;
    l->inflight = false;
    if (api_key == API_BROKER_REGISTRATION)
        blife_on_registration(l, body, size_bytes);
    else
        blife_on_heartbeat(l, body, size_bytes);
    if (l->state != BLIFE_SHUTTING_DOWN)
        blife_schedule(l);
    else if (l->timer != 0) {
        env_timer_cancel(l->env, l->timer);
        l->timer = 0;
    }
}

void blife_on_failure(struct blife *l, int32_t peer_id, uint64_t cookie)
{
    if (!l->inflight || cookie != l->request_id)
        return;
    (void)peer_id;
    l->inflight = false;
    l->controller_id = -1;
    l->voter_cursor++;
    if (l->state == BLIFE_STARTING)
        blife_register_later(l);
    else
        l->next_ns = blife_now(l) + BLIFE_REGISTRATION_BACKOFF_MS_MIN * BLIFE_NS_PER_MS;
    if (l->state != BLIFE_SHUTTING_DOWN)
        blife_schedule(l);
}

struct blife *blife_create(struct env *env, struct raft_net *net, const struct raft_config *quorum,
                           struct bmeta *meta, const struct blife_config *config)
{
    KS_ASSERT(quorum->voter_count > 0);
    KS_ASSERT(config->heartbeat_interval_ms > 0);
    struct blife *l = ks_alloc(sizeof(*l));
    l->env = env;
    l->net = net;
    l->quorum = quorum;
    l->meta = meta;
    l->config = *config;
    l->state = BLIFE_STARTING;
    for (uint32_t i = 0; i < sizeof(l->incarnation_id.bytes); i += 8) {
        uint64_t r = env_random(env);
        memcpy(l->incarnation_id.bytes + i, &r, 8);
    }
    l->broker_epoch = -1;
    l->fenced = true;
    l->controller_id = -1;
    l->voter_cursor = (uint32_t)env_random_below(env, quorum->voter_count);
    l->backoff_ms = BLIFE_REGISTRATION_BACKOFF_MS_MIN;
    l->next_ns = blife_now(l);
    blife_schedule(l);
    return l;
}

void blife_begin_controlled_shutdown(struct blife *l)
{
    if (l->state == BLIFE_STARTING) { /* never registered: nothing to hand over */
        blife_set_state(l, BLIFE_SHUTTING_DOWN);
        return;
    }
    if (l->state != BLIFE_RECOVERY && l->state != BLIFE_RUNNING)
        return;
    blife_set_state(l, BLIFE_PENDING_CONTROLLED_SHUTDOWN);
    if (!l->inflight) {
        l->next_ns = blife_now(l);
        blife_schedule(l);
    }
}

bool blife_shutdown_ready(const struct blife *l)
{
    return l->state == BLIFE_SHUTTING_DOWN;
}

void blife_stop(struct blife *l)
{
    if (l->timer != 0)
        env_timer_cancel(l->env, l->timer);
    l->timer = 0;
    l->inflight = false;
    if (l->state != BLIFE_SHUTTING_DOWN &&
        (blife_transitions[l->state] & BLIFE_BIT(BLIFE_SHUTTING_DOWN)))
        blife_set_state(l, BLIFE_SHUTTING_DOWN);
}

void blife_free(struct blife *l)
{
    free(l);
}
