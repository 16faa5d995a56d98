/*
 * cnet.c: the clients' network layer and metadata cache, see cnet.h. Kafka:
 * NetworkClient, Metadata, DefaultMetadataUpdater.
 */
#include "cnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/proto/api.h"
#include "system/proto/api_metadata.h"

#define CNET_REQUEST_TIMEOUT_MS_DEFAULT 30000
#define CNET_IN_FLIGHT_DEFAULT 5
#define CNET_RECONNECT_BACKOFF_MS_DEFAULT 50

static void cnet_broker_disconnect(struct cnet_broker *b, enum ks_err err);

/* ---- Configuration ---------------------------------------------------------------- */

static enum ks_err cnet_bootstrap_parse(const char *text, struct cnet_config *out)
{
    const char *p = text;
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= CNET_HOST_BYTES_MAX || out->bootstrap_count == CNET_BOOTSTRAP_MAX)
            return KS_ERR_INVALID_CONFIG;
        memcpy(out->bootstrap[out->bootstrap_count], p, n);
        out->bootstrap[out->bootstrap_count][n] = '\0';
        if (strchr(out->bootstrap[out->bootstrap_count], ':') == NULL)
            return KS_ERR_INVALID_CONFIG;
        out->bootstrap_count++;
        p += n;
        if (*p == ',')
            p++;
    }
    return out->bootstrap_count > 0 ? KS_OK : KS_ERR_INVALID_CONFIG;
}

enum ks_err cnet_config_from_props(const struct props *props, struct cnet_config *out)
{
    memset(out, 0, sizeof(*out));
    const char *id = props_get(props, "client.id");
    snprintf(out->client_id, sizeof(out->client_id), "%s", id != NULL ? id : "ksim-client");
    const char *bootstrap = props_get(props, "bootstrap.servers");
    int64_t timeout = 0, inflight = 0, backoff = 0;
    if (bootstrap == NULL || cnet_bootstrap_parse(bootstrap, out) != KS_OK ||
        props_get_i64(props, "request.timeout.ms", CNET_REQUEST_TIMEOUT_MS_DEFAULT, &timeout) !=
            KS_OK ||
        props_get_i64(props, "max.in.flight.requests.per.connection", CNET_IN_FLIGHT_DEFAULT,
                      &inflight) != KS_OK ||
        props_get_i64(props, "reconnect.backoff.ms", CNET_RECONNECT_BACKOFF_MS_DEFAULT, &backoff) !=
            KS_OK)
        return KS_ERR_INVALID_CONFIG;
    if (timeout <= 0 || timeout > INT32_MAX || inflight < 1 || inflight > CNET_INFLIGHT_MAX ||
        backoff < 0 || backoff > INT32_MAX)
        return KS_ERR_INVALID_CONFIG;
    out->request_timeout_ms = (uint32_t)timeout;
    out->in_flight_max = (uint32_t)inflight;
    out->reconnect_backoff_ms = (uint32_t)backoff;
    return KS_OK;
}

/* ---- Brokers ------------------------------------------------------------------------ */

static struct cnet_broker *cnet_broker_find(const struct cnet *net, int32_t id)
{
    for (uint32_t i = 0; i < net->broker_count; i++) {
        if (net->brokers[i]->id == id)
            return net->brokers[i];
    }
    return NULL;
}

static struct cnet_broker *cnet_broker_add(struct cnet *net, int32_t id, const char *host,
                                           uint16_t port)
{
    if (net->broker_count == CNET_BROKERS_MAX)
        return NULL;
    struct cnet_broker *b = ks_alloc(sizeof(*b));
    b->net = net;
    b->id = id;
    snprintf(b->host, sizeof(b->host), "%s", host);
    b->port = port;
    frame_splitter_init(&b->splitter, CNET_RECV_BYTES_MAX);
    net->brokers[net->broker_count++] = b;
    return b;
}

struct cnet *cnet_create(struct env *env, const struct cnet_config *config, cnet_wake_fn wake,
                         void *wake_ctx)
{
    KS_ASSERT(config->bootstrap_count > 0);
    KS_ASSERT(config->in_flight_max >= 1 && config->in_flight_max <= CNET_INFLIGHT_MAX);
    struct cnet *net = ks_alloc(sizeof(*net));
    net->env = env;
    net->config = *config;
    net->wake = wake;
    net->wake_ctx = wake_ctx;
    net->correlation_next = 1;
    for (uint32_t i = 0; i < config->bootstrap_count; i++) {
        char host[CNET_HOST_BYTES_MAX];
        snprintf(host, sizeof(host), "%s", config->bootstrap[i]);
        char *colon = strrchr(host, ':');
        KS_ASSERT(colon != NULL);
        *colon = '\0';
        /* -2 - i: -1 is CNET_NO_NODE, which cnet_any_ready returns for "none ready" */
        (void)cnet_broker_add(net, -2 - (int32_t)i, host, (uint16_t)atoi(colon + 1));
    }
    return net;
}

static void cnet_free_memory(struct cnet *net)
{
    for (uint32_t i = 0; i < net->broker_count; i++) {
        frame_splitter_free(&net->brokers[i]->splitter);
        free(net->brokers[i]);
    }
    for (uint32_t i = 0; i < net->topic_count; i++)
        free(net->topics[i].partitions);
    free(net);
}

void cnet_free(struct cnet *net)
{
    if (net == NULL)
        return;
    for (uint32_t i = 0; i < net->broker_count; i++) {
        struct cnet_broker *b = net->brokers[i];
        for (uint32_t j = 0; j < b->inflight_count; j++)
            env_timer_cancel(net->env, b->inflight[j].timer);
        if (b->state != CNET_CONN_NONE)
            env_close(net->env, b->conn);
    }
    if (net->metadata_timer != 0)
        env_timer_cancel(net->env, net->metadata_timer);
    cnet_free_memory(net);
}

void cnet_destroy(struct cnet *net)
{
    if (net != NULL)
        cnet_free_memory(net);
}

static void cnet_wake(struct cnet *net)
{
    if (net->wake != NULL)
        net->wake(net->wake_ctx);
}

/* ---- Connections -------------------------------------------------------------------- */

static void cnet_on_open(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct cnet_broker *b = ctx;
    KS_ASSERT(b->state == CNET_CONN_CONNECTING);
    KS_ASSERT(b->conn == conn);
    if (err != KS_OK) {
        b->state = CNET_CONN_NONE;
        b->conn = 0;
        cnet_metadata_refresh(b->net);
        cnet_wake(b->net);
        return;
    }
    b->state = CNET_CONN_READY;
    if (b->net->metadata_wanted && !b->net->metadata_inflight)
        cnet_metadata_refresh(b->net);
    cnet_wake(b->net);
}

static void cnet_broker_response(struct cnet_broker *b, const uint8_t *frame, uint32_t size)
{
    if (b->inflight_count == 0) {
        cnet_broker_disconnect(b, KS_ERR_NETWORK_EXCEPTION);
        return;
    }
    struct cnet_inflight head = b->inflight[0];
    struct wire_reader r;
    wire_reader_init(&r, frame, size);
    int32_t correlation = 0;
    int hv = frame_response_header_version(head.api_key, head.api_version);
    if (frame_response_header_read(&r, hv, &correlation) != KS_OK ||
        correlation != head.correlation_id) {
        cnet_broker_disconnect(b, KS_ERR_NETWORK_EXCEPTION);
        return;
    }
    memmove(&b->inflight[0], &b->inflight[1], (b->inflight_count - 1) * sizeof(b->inflight[0]));
    b->inflight_count--;
    env_timer_cancel(b->net->env, head.timer);
    head.fn(head.ctx, KS_OK, frame + r.offset, size - r.offset);
}

static void cnet_on_recv(void *ctx, env_conn_id conn, const uint8_t *bytes, uint32_t size)
{
    struct cnet_broker *b = ctx;
    KS_ASSERT(b->conn == conn);
    uint32_t used = 0;
    while (used < size && b->state == CNET_CONN_READY && b->conn == conn) {
        uint32_t consumed = 0;
        if (frame_splitter_feed(&b->splitter, bytes + used, size - used, &consumed) != KS_OK) {
            cnet_broker_disconnect(b, KS_ERR_NETWORK_EXCEPTION);
            return;
        }
        used += consumed;
        if (!frame_splitter_ready(&b->splitter))
            continue;
        const uint8_t *frame = NULL;
        uint32_t frame_size = 0;
        frame_splitter_frame(&b->splitter, &frame, &frame_size);
        uint8_t *copy = ks_alloc(frame_size + 1u);
        memcpy(copy, frame, frame_size);
        frame_splitter_pop(&b->splitter);
        cnet_broker_response(b, copy, frame_size);
        free(copy);
    }
}

static void cnet_on_closed(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct cnet_broker *b = ctx;
    (void)err;
    if (b->conn != conn || b->state == CNET_CONN_NONE)
        return;
    b->state = CNET_CONN_NONE; /* env will not call again */
    cnet_broker_disconnect(b, KS_ERR_NETWORK_EXCEPTION);
}

static const struct env_conn_handler cnet_conn_handler = {cnet_on_open, cnet_on_recv,
                                                          cnet_on_closed};

/* Closes (if open) and fails everything in flight with err, oldest first. */
static void cnet_broker_disconnect(struct cnet_broker *b, enum ks_err err)
{
    struct cnet *net = b->net;
    if (b->state != CNET_CONN_NONE)
        env_close(net->env, b->conn);
    b->state = CNET_CONN_NONE;
    b->conn = 0;
    b->connect_not_before_ns =
        env_mono_ns(net->env) + (uint64_t)net->config.reconnect_backoff_ms * 1000000u;
    frame_splitter_free(&b->splitter);
    frame_splitter_init(&b->splitter, CNET_RECV_BYTES_MAX);
    struct cnet_inflight failed[CNET_INFLIGHT_MAX];
    uint32_t count = b->inflight_count;
    memcpy(failed, b->inflight, count * sizeof(failed[0]));
    b->inflight_count = 0;
    for (uint32_t i = 0; i < count; i++)
        env_timer_cancel(net->env, failed[i].timer);
    cnet_metadata_refresh(net);
    for (uint32_t i = 0; i < count; i++)
        failed[i].fn(failed[i].ctx, err, NULL, 0);
    KS_ASSERT(b->inflight_count <= CNET_INFLIGHT_MAX);
    cnet_wake(net);
}

bool cnet_ready(struct cnet *net, int32_t node)
{
    struct cnet_broker *b = cnet_broker_find(net, node);
    if (b == NULL)
        return false;
    if (b->state == CNET_CONN_NONE && env_mono_ns(net->env) >= b->connect_not_before_ns) {
        env_conn_id conn = 0;
        if (env_connect(net->env, b->host, b->port, &cnet_conn_handler, b, &conn) == KS_OK) {
            b->state = CNET_CONN_CONNECTING;
            b->conn = conn;
        }
    }
    return b->state == CNET_CONN_READY && b->inflight_count < net->config.in_flight_max;
}

int32_t cnet_any_ready(struct cnet *net)
{
    KS_ASSERT(net->broker_count > 0);
    /* prefer brokers from metadata over bootstrap entries, least loaded first */
    int32_t best = CNET_NO_NODE;
    uint32_t best_load = UINT32_MAX;
    for (uint32_t i = 0; i < net->broker_count; i++) {
        struct cnet_broker *b = net->brokers[i];
        if (b->state == CNET_CONN_READY && b->inflight_count < net->config.in_flight_max &&
            b->inflight_count < best_load) {
            best = b->id;
            best_load = b->inflight_count;
        }
    }
    if (best != CNET_NO_NODE)
        return best;
    for (uint32_t i = 0; i < net->broker_count; i++) {
        struct cnet_broker *b = net->brokers[(net->bootstrap_next + i) % net->broker_count];
        if (b->state == CNET_CONN_CONNECTING)
            return CNET_NO_NODE; /* one attempt at a time */
    }
    net->bootstrap_next = (net->bootstrap_next + 1) % net->broker_count;
    (void)cnet_ready(net, net->brokers[net->bootstrap_next]->id);
    return CNET_NO_NODE;
}

uint32_t cnet_inflight(const struct cnet *net, int32_t node)
{
    struct cnet_broker *b = cnet_broker_find(net, node);
    return b == NULL ? 0 : b->inflight_count;
}

/* request.timeout.ms: the timer's ctx is the broker; the oldest request timed out
 * (answers come in order, so a later one cannot be older). */
static void cnet_broker_timeout(void *ctx)
{
    struct cnet_broker *b = ctx;
    KS_ASSERT(b->inflight_count > 0);
    b->inflight[0].timer = 0;
    env_logf(b->net->env, ENV_LOG_INFO, "request %d to broker %d timed out",
             b->inflight[0].correlation_id, b->id);
    cnet_broker_disconnect(b, KS_ERR_REQUEST_TIMED_OUT);
}

enum ks_err cnet_send(struct cnet *net, int32_t node, int16_t api_key, int16_t api_version,
                      const struct wire_writer *body, cnet_response_fn fn, void *ctx)
{
    struct cnet_broker *b = cnet_broker_find(net, node);
    KS_ASSERT(b != NULL);
    KS_ASSERT(b->inflight_count < CNET_INFLIGHT_MAX);
    if (b->state != CNET_CONN_READY)
        return KS_ERR_CLOSED;
    if (body->err != KS_OK)
        return KS_ERR_INVALID;
    struct frame_request_header header = {api_key, api_version, net->correlation_next++,
                                          wire_string_from(net->config.client_id)};
    struct wire_writer w;
    wire_writer_init(&w);
    uint32_t start = frame_begin(&w);
    frame_request_header_write(&w, frame_request_header_version(api_key, api_version), &header);
    wire_write_raw(&w, body->bytes, body->size_bytes);
    frame_end(&w, start);
    enum ks_err err =
        w.err != KS_OK ? KS_ERR_INVALID : env_send(net->env, b->conn, w.bytes, w.size_bytes);
    wire_writer_free(&w);
    if (err != KS_OK)
        return err;
    if (fn == NULL)
        return KS_OK;
    struct cnet_inflight *slot = &b->inflight[b->inflight_count++];
    slot->correlation_id = header.correlation_id;
    slot->api_key = api_key;
    slot->api_version = api_version;
    slot->fn = fn;
    slot->ctx = ctx;
    slot->timer = env_timer_start(net->env, (uint64_t)net->config.request_timeout_ms * 1000000u,
                                  cnet_broker_timeout, b);
    return KS_OK;
}

/* ---- Metadata ----------------------------------------------------------------------- */

static struct cnet_topic *cnet_topic_find(struct cnet *net, const char *topic)
{
    for (uint32_t i = 0; i < net->topic_count; i++) {
        if (strcmp(net->topics[i].name, topic) == 0)
            return &net->topics[i];
    }
    return NULL;
}

const struct cnet_topic *cnet_topic(const struct cnet *net, const char *topic)
{
    return cnet_topic_find((struct cnet *)net, topic);
}

enum ks_err cnet_want_topic(struct cnet *net, const char *topic)
{
    if (cnet_topic_find(net, topic) != NULL)
        return KS_OK;
    if (net->topic_count == CNET_TOPICS_MAX || strlen(topic) > CNET_TOPIC_BYTES_MAX)
        return KS_ERR_TOO_MANY;
    struct cnet_topic *t = &net->topics[net->topic_count++];
    memset(t, 0, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", topic);
    cnet_metadata_refresh(net);
    return KS_OK;
}

int32_t cnet_leader(const struct cnet *net, const char *topic, int32_t partition,
                    int32_t *leader_epoch_out)
{
    const struct cnet_topic *t = cnet_topic(net, topic);
    if (leader_epoch_out != NULL)
        *leader_epoch_out = -1;
    if (t == NULL || partition < 0 || (uint32_t)partition >= t->partition_count)
        return CNET_NO_NODE;
    if (leader_epoch_out != NULL)
        *leader_epoch_out = t->partitions[partition].leader_epoch;
    return t->partitions[partition].leader;
}

static void cnet_metadata_apply_brokers(struct cnet *net, const struct api_metadata_response *m)
{
    for (uint32_t i = 0; i < m->broker_count; i++) {
        const struct api_metadata_broker *mb = &m->brokers[i];
        if (cnet_broker_find(net, mb->node_id) != NULL || mb->host.length <= 0 ||
            mb->host.length >= (int32_t)CNET_HOST_BYTES_MAX || mb->port <= 0 ||
            mb->port > UINT16_MAX)
            continue;
        char host[CNET_HOST_BYTES_MAX];
        memcpy(host, mb->host.chars, (size_t)mb->host.length);
        host[mb->host.length] = '\0';
        (void)cnet_broker_add(net, mb->node_id, host, (uint16_t)mb->port);
    }
}

static void cnet_metadata_apply_topic(struct cnet *net, const struct api_metadata_topic *mt)
{
    char name[CNET_TOPIC_BYTES_MAX + 1];
    if (mt->name.length <= 0 || mt->name.length > (int32_t)CNET_TOPIC_BYTES_MAX)
        return;
    memcpy(name, mt->name.chars, (size_t)mt->name.length);
    name[mt->name.length] = '\0';
    struct cnet_topic *t = cnet_topic_find(net, name);
    if (t == NULL)
        return;
    t->error = mt->error_code;
    if (mt->error_code != KS_OK || mt->partition_count == 0 ||
        mt->partition_count > CNET_PARTITIONS_MAX)
        return;
    if (t->partition_count != mt->partition_count) {
        free(t->partitions);
        t->partitions = ks_alloc(mt->partition_count * sizeof(*t->partitions));
        t->partition_count = mt->partition_count;
        for (uint32_t i = 0; i < t->partition_count; i++)
            t->partitions[i] = (struct cnet_partition){CNET_NO_NODE, -1};
    }
    for (uint32_t i = 0; i < mt->partition_count; i++) {
        const struct api_metadata_partition *mp = &mt->partitions[i];
        if (mp->partition_index < 0 || (uint32_t)mp->partition_index >= t->partition_count)
            continue;
        struct cnet_partition *p = &t->partitions[mp->partition_index];
        if (mp->leader_epoch < p->leader_epoch)
            continue; /* stale metadata from a lagging broker (KIP-320) */
        p->leader_epoch = mp->leader_epoch;
        p->leader = mp->error_code == KS_OK ? mp->leader_id : CNET_NO_NODE;
    }
}

static void cnet_metadata_timer_fire(void *ctx)
{
    struct cnet *net = ctx;
    net->metadata_timer = 0;
    cnet_metadata_refresh(net);
}

static void cnet_metadata_retry_later(struct cnet *net)
{
    net->metadata_not_before_ns = env_mono_ns(net->env) + CNET_METADATA_BACKOFF_MS * 1000000ull;
    if (net->metadata_timer == 0)
        net->metadata_timer = env_timer_start(net->env, CNET_METADATA_BACKOFF_MS * 1000000ull,
                                              cnet_metadata_timer_fire, net);
}

static void cnet_metadata_done(void *ctx, enum ks_err err, const uint8_t *body, uint32_t size)
{
    struct cnet *net = ctx;
    KS_ASSERT(net->metadata_inflight);
    net->metadata_inflight = false;
    struct api_metadata_response m;
    if (err == KS_OK)
        err = api_metadata_response_decode(CNET_METADATA_VERSION, body, size, &m);
    if (err != KS_OK) {
        net->metadata_wanted = true;
        cnet_metadata_retry_later(net);
        return;
    }
    cnet_metadata_apply_brokers(net, &m);
    bool missing = false;
    for (uint32_t i = 0; i < m.topic_count; i++)
        cnet_metadata_apply_topic(net, &m.topics[i]);
    for (uint32_t i = 0; i < net->topic_count; i++) {
        const struct cnet_topic *t = &net->topics[i];
        missing |= t->partition_count == 0;
        for (uint32_t j = 0; j < t->partition_count; j++)
            missing |= t->partitions[j].leader == CNET_NO_NODE;
    }
    api_metadata_response_free(&m);
    net->metadata_updates++;
    if (missing || net->metadata_wanted) {
        net->metadata_wanted = true;
        cnet_metadata_retry_later(net);
    }
    cnet_wake(net);
}

void cnet_metadata_refresh(struct cnet *net)
{
    net->metadata_wanted = true;
    if (net->metadata_inflight || net->topic_count == 0)
        return;
    if (env_mono_ns(net->env) < net->metadata_not_before_ns) {
        cnet_metadata_retry_later(net);
        return;
    }
    int32_t node = cnet_any_ready(net);
    if (node == CNET_NO_NODE)
        return; /* the connection's on_open wakes us: the owner calls again */
    struct api_metadata_request_topic topics[CNET_TOPICS_MAX];
    memset(topics, 0, sizeof(topics));
    for (uint32_t i = 0; i < net->topic_count; i++)
        topics[i].name = wire_string_from(net->topics[i].name);
    struct api_metadata_request req = {(int32_t)net->topic_count, topics, false, false, false};
    struct wire_writer w;
    wire_writer_init(&w);
    api_metadata_request_encode(&w, CNET_METADATA_VERSION, &req);
    enum ks_err err =
        cnet_send(net, node, API_METADATA, CNET_METADATA_VERSION, &w, cnet_metadata_done, net);
    wire_writer_free(&w);
    if (err == KS_OK) {
        net->metadata_inflight = true;
        net->metadata_wanted = false;
    } else {
        cnet_metadata_retry_later(net);
    }
}
