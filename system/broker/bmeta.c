/*
 * bmeta.c: the broker's metadata observer, see bmeta.h. Kafka: MetadataLoader,
 * BrokerMetadataPublisher, KafkaRaftClient as an observer (pollFollowerAsObserver,
 * maybeSendFetchOrFetchSnapshot, handleFetchResponse).
 */
#include "bmeta.h"

#include <stdlib.h>
#include <string.h>

#include "system/log/rb.h"
#include "system/proto/api.h"
#include "system/proto/api_fetch.h"

#define BMETA_NS_PER_MS 1000000ull
#define BMETA_FETCH_VERSION 13
#define BMETA_NEVER UINT64_MAX

/* __cluster_metadata's topic id: Uuid.METADATA_TOPIC_ID, AAAAAAAAAAAAAAAAAAAAAQ. */
static const struct wire_uuid bmeta_topic_id = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};

static const char *const bmeta_state_names[BMETA_STATE_COUNT] = {"Idle", "Fetching", "Stopped"};

#define BMETA_BIT(s) (1u << (s))
static const uint32_t bmeta_transitions[BMETA_STATE_COUNT] = {
    [BMETA_IDLE] = BMETA_BIT(BMETA_FETCHING) | BMETA_BIT(BMETA_STOPPED),
    [BMETA_FETCHING] = BMETA_BIT(BMETA_IDLE) | BMETA_BIT(BMETA_STOPPED),
    [BMETA_STOPPED] = 0,
};

const char *bmeta_state_name(enum bmeta_state state)
{
    KS_ASSERT(state < BMETA_STATE_COUNT);
    return bmeta_state_names[state];
}

static void bmeta_set_state(struct bmeta *m, enum bmeta_state to)
{
    KS_ASSERT(to < BMETA_STATE_COUNT);
    KS_ASSERT(bmeta_transitions[m->state] & BMETA_BIT(to));
    if (to != BMETA_FETCHING && m->state != BMETA_FETCHING)
        env_tracef(m->env, "bmeta.state", "%s -> %s", bmeta_state_name(m->state),
                   bmeta_state_name(to));
    m->state = to;
}

static uint64_t bmeta_now(struct bmeta *m)
{
    return env_mono_ns(m->env);
}

static void bmeta_poll(void *ctx);

/* Points the timer at the next fetch, or the request timeout while one is in flight. */
static void bmeta_schedule(struct bmeta *m)
{
    KS_ASSERT(m->state != BMETA_STOPPED);
    uint64_t at = m->state == BMETA_FETCHING
                      ? m->fetch_sent_ns + BMETA_REQUEST_TIMEOUT_MS * BMETA_NS_PER_MS
                      : m->fetch_next_ns;
    uint64_t now = bmeta_now(m);
    if (m->timer != 0)
        env_timer_cancel(m->env, m->timer);
    m->timer = env_timer_start(m->env, at > now ? at - now : 0, bmeta_poll, m);
    KS_ASSERT(m->timer != 0);
}

/* The peer to fetch from: the known leader, else the next voter in turn. */
static int32_t bmeta_peer(struct bmeta *m)
{
    KS_ASSERT(m->quorum->voter_count > 0);
    if (m->leader_id >= 0 && raft_config_voter_index(m->quorum, m->leader_id) >= 0)
        return m->leader_id;
    uint32_t index = m->voter_cursor++ % m->quorum->voter_count;
    return m->quorum->voters[index].id;
}

static void bmeta_send_fetch(struct bmeta *m)
{
    KS_ASSERT(m->state == BMETA_IDLE);
    struct api_fetch_request req;
    api_fetch_request_init(&req);
    req.replica_id = m->quorum->node_id;
    req.max_bytes = BMETA_FETCH_BYTES_MAX;
    req.has_partition = true;
    req.topic_id = bmeta_topic_id;
    req.current_leader_epoch = m->leader_epoch;
    req.fetch_offset = m->next_offset;
    req.last_fetched_epoch = m->last_epoch;
    req.log_start_offset = 0;
    req.partition_max_bytes = BMETA_FETCH_BYTES_MAX;
    struct wire_writer w;
    wire_writer_init(&w);
    api_fetch_request_encode(&w, BMETA_FETCH_VERSION, &req);
    m->fetch_peer = bmeta_peer(m);
    m->fetch_id++;
    m->fetch_sent_ns = bmeta_now(m);
    m->stats.fetches++;
    enum ks_err err =
        raft_net_send(m->net, m->fetch_peer, API_FETCH, BMETA_FETCH_VERSION, &w, m->fetch_id);
    wire_writer_free(&w);
    if (err == KS_OK) {
        bmeta_set_state(m, BMETA_FETCHING);
        return;
    }
    env_tracef(m->env, "bmeta.send_failed", "to=%d %s", m->fetch_peer, ks_err_name(err));
    m->leader_id = -1;
    m->fetch_next_ns = m->fetch_sent_ns + BMETA_RETRY_BACKOFF_MS * BMETA_NS_PER_MS;
}

static void bmeta_poll(void *ctx)
{
    struct bmeta *m = ctx;
    m->timer = 0;
    if (m->state == BMETA_STOPPED)
        return;
    if (m->state == BMETA_FETCHING) { /* timed out: the failure moves us on */
        env_tracef(m->env, "bmeta.fetch_timeout", "to=%d", m->fetch_peer);
        raft_net_reset_peer(m->net, m->fetch_peer);
        if (m->state == BMETA_FETCHING) { /* no failure came: give up on it here */
            m->fetch_id++;
            bmeta_set_state(m, BMETA_IDLE);
            m->fetch_next_ns = bmeta_now(m) + BMETA_RETRY_BACKOFF_MS * BMETA_NS_PER_MS;
        }
    } else {
        bmeta_send_fetch(m);
    }
    if (m->state != BMETA_STOPPED && m->timer == 0)
        bmeta_schedule(m);
}

/* Applies one committed batch's data records, in offset order. */
static bool bmeta_apply_batch(struct bmeta *m, const struct rb_batch *batch)
{
    bool changed = false;
    if (!(batch->header.attributes & RB_ATTR_CONTROL)) {
        struct rb_iter it;
        struct rb_record record;
        rb_iter_init(&it, batch);
        while (rb_iter_next(&it, &record)) { /* bounded by the batch's record count */
            enum ks_err err =
                mimage_apply_value(&m->image, record.offset, record.value, record.value_size);
            if (err == KS_OK) {
                m->stats.records_applied++;
                changed = true;
            } else {
                m->stats.records_refused++;
                env_tracef(m->env, "bmeta.record_refused", "offset %lld: %s",
                           (long long)record.offset, ks_err_name(err));
            }
        }
    }
    m->next_offset = batch->header.base_offset + batch->header.last_offset_delta + 1;
    m->last_epoch = batch->header.partition_leader_epoch;
    return changed;
}

/* Applies the batches of bytes that start at next_offset and end below the high
 * watermark; the rest is fetched again. Returns whether the image changed. */
static bool bmeta_apply_bytes(struct bmeta *m, const uint8_t *bytes, uint32_t size)
{
    uint32_t position = 0;
    bool changed = false;
    for (uint32_t n = 0; n < BMETA_BATCHES_PER_FETCH_MAX && position < size; n++) {
        struct rb_batch batch;
        if (rb_decode(bytes + position, size - position, &batch) != KS_OK)
            break; /* a partial batch at the end, or bad bytes: fetch again */
        int64_t last = batch.header.base_offset + batch.header.last_offset_delta;
        bool take = batch.header.base_offset == m->next_offset && last < m->high_watermark;
        if (take)
            changed |= bmeta_apply_batch(m, &batch);
        position += batch.size_bytes;
        rb_batch_release(&batch);
        if (!take)
            break;
    }
    return changed;
}

/* Follows what the answer says about the leader. Returns false when the answer
 * carries no records for us (an error, a divergence, a snapshot). */
static bool bmeta_follow(struct bmeta *m, int32_t peer_id, const struct api_fetch_response *resp)
{
    if (resp->current_leader_epoch > m->leader_epoch ||
        (resp->current_leader_epoch == m->leader_epoch && resp->current_leader_id >= 0)) {
        m->leader_epoch = resp->current_leader_epoch;
        m->leader_id = resp->current_leader_id;
    }
    if (resp->partition_error_code != KS_OK) {
        if (m->leader_id == peer_id && resp->partition_error_code == KS_ERR_NOT_LEADER_OR_FOLLOWER)
            m->leader_id = -1;
        return false;
    }
    if (resp->diverging_epoch != -1 || resp->diverging_end_offset != -1) {
        m->stats.divergences++;
        env_tracef(m->env, "bmeta.diverged", "leader %d: epoch %d end %lld, we applied to %lld",
                   peer_id, resp->diverging_epoch, (long long)resp->diverging_end_offset,
                   (long long)m->next_offset);
        return false;
    }
    if (resp->snapshot_end_offset >= 0 && resp->snapshot_epoch >= 0) {
        m->stats.snapshots_needed++;
        env_tracef(m->env, "bmeta.snapshot_needed", "leader %d snapshot %lld-%d", peer_id,
                   (long long)resp->snapshot_end_offset, resp->snapshot_epoch);
        return false;
    }
    return true;
}

static void bmeta_publish(struct bmeta *m)
{
    m->stats.publishes++;
    env_tracef(m->env, "bmeta.publish", "offset %lld digest %016llx brokers %u topics %u",
               (long long)m->image.offset, (unsigned long long)mimage_digest(&m->image),
               m->image.broker_count, m->image.topic_count);
    if (m->publish != NULL)
        m->publish(m->publish_ctx, &m->image);
}

void bmeta_on_response(struct bmeta *m, int32_t peer_id, uint64_t cookie, const uint8_t *body,
                       uint32_t size_bytes)
{
    if (m->state != BMETA_FETCHING || cookie != m->fetch_id || peer_id != m->fetch_peer)
        return; /* a late answer to an abandoned request */
    bmeta_set_state(m, BMETA_IDLE);
    uint64_t now = bmeta_now(m);
    m->fetch_next_ns = now + BMETA_RETRY_BACKOFF_MS * BMETA_NS_PER_MS;
    struct api_fetch_response resp;
    if (api_fetch_response_decode(BMETA_FETCH_VERSION, body, size_bytes, &resp) == KS_OK &&
        resp.error_code == KS_OK && resp.has_partition && bmeta_follow(m, peer_id, &resp)) {
        int64_t before = m->next_offset;
        if (resp.high_watermark > m->high_watermark)
            m->high_watermark = resp.high_watermark;
        bool changed = bmeta_apply_bytes(m, resp.records.bytes, (uint32_t)resp.records.size_bytes);
        KS_ASSERT(m->next_offset >= before); /* never goes back */
        if (changed)
            bmeta_publish(m);
        m->fetch_next_ns =
            m->next_offset > before ? now : now + BMETA_FETCH_IDLE_WAIT_MS * BMETA_NS_PER_MS;
    }
    bmeta_schedule(m);
}

void bmeta_on_failure(struct bmeta *m, int32_t peer_id, uint64_t cookie)
{
    if (m->state != BMETA_FETCHING || cookie != m->fetch_id || peer_id != m->fetch_peer)
        return;
    bmeta_set_state(m, BMETA_IDLE);
    if (m->leader_id == peer_id)
        m->leader_id = -1;
    m->fetch_next_ns = bmeta_now(m) + BMETA_RETRY_BACKOFF_MS * BMETA_NS_PER_MS;
    bmeta_schedule(m);
}

struct bmeta *bmeta_create(struct env *env, struct raft_net *net, const struct raft_config *quorum,
                           bmeta_publish_fn publish, void *publish_ctx)
{
    KS_ASSERT(quorum->voter_count > 0);
    KS_ASSERT(raft_config_voter_index(quorum, quorum->node_id) < 0); /* an observer */
    struct bmeta *m = ks_alloc(sizeof(*m));
    m->env = env;
    m->net = net;
    m->quorum = quorum;
    m->publish = publish;
    m->publish_ctx = publish_ctx;
    m->state = BMETA_IDLE;
    mimage_init(&m->image);
    m->leader_id = -1;
    m->fetch_peer = -1;
    m->voter_cursor = (uint32_t)env_random_below(env, quorum->voter_count);
    m->fetch_next_ns = bmeta_now(m);
    bmeta_schedule(m);
    return m;
}

void bmeta_stop(struct bmeta *m)
{
    if (m->timer != 0)
        env_timer_cancel(m->env, m->timer);
    m->timer = 0;
    if (m->state != BMETA_STOPPED)
        bmeta_set_state(m, BMETA_STOPPED);
}

void bmeta_free(struct bmeta *m)
{
    if (m == NULL)
        return;
    mimage_free(&m->image);
    free(m);
}

int64_t bmeta_applied_offset(const struct bmeta *m)
{
    return m->next_offset - 1;
}

int32_t bmeta_leader_id(const struct bmeta *m)
{
    return m->leader_id;
}

const struct mimage *bmeta_image(const struct bmeta *m)
{
    return &m->image;
}
