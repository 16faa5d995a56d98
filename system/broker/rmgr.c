/*
 * rmgr.c: the replica manager, see rmgr.h. Kafka: ReplicaManager, DelayedProduce,
 * DelayedFetch, DelayedOperationPurgatory, AlterPartitionManager,
 * ReplicaFetcherManager.
 *
 * The purgatory is two lists in arrival order. After anything that can complete a
 * waiting request (an append, a high watermark move, an ISR or role change) the lists
 * are walked; a request that can complete is taken out of its list before its
 * callback runs, and the walk starts again, so a callback may call back in.
 */
#include "rmgr.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/bugs.h"
#include "system/log/rb.h"

#define RMGR_NS_PER_MS 1000000ull
#define RMGR_ACKS_ALL (-1)
#define RMGR_CONSUMER_REPLICA_ID (-1)
#define RMGR_DEBUG_REPLICA_ID (-2)
#define RMGR_PURGATORY_ROUNDS_MAX (RMGR_DELAYED_CHECKS_MAX + 1u)
#define RMGR_CHECK_BATCHES_MAX (1u << 24)
#define RMGR_CHECK_READ_BYTES (4u * 1024u * 1024u)

struct delayed_produce_part {
    uint32_t topic_index;
    uint32_t partition_index;
    struct part *part;
    int32_t leader_epoch;
    int64_t required_offset;
    bool pending;
};

struct delayed_produce {
    struct rmgr *rmgr;
    struct api_produce_response response;
    char **names; /* owned copies of the topic names */
    struct delayed_produce_part *parts;
    uint32_t part_count;
    env_timer_id timer;
    bool timed_out;
    rmgr_produce_done_fn done;
    void *ctx;
};

struct delayed_fetch {
    struct rmgr *rmgr;
    int16_t version;
    struct api_fetch_multi_request request; /* deep copy: names owned */
    env_timer_id timer;
    rmgr_fetch_done_fn done;
    void *ctx;
};

static int64_t rmgr_now_ms(struct rmgr *r)
{
    return (int64_t)(env_mono_ns(r->env) / RMGR_NS_PER_MS);
}
static void rmgr_purgatory_check(struct rmgr *r);
static void rmgr_isr_timer_start(struct rmgr *r);

/* ---- Configuration ------------------------------------------------------------------ */

void rmgr_config_default(struct rmgr_config *config, int32_t broker_id)
{
    memset(config, 0, sizeof(*config));
    config->broker_id = broker_id;
    config->replica_lag_time_max_ms = 30000;
    config->min_insync_replicas = 1;
    fetcher_config_default(&config->fetcher, broker_id);
}

static enum ks_err rmgr_props_i32(const struct props *props, const char *key, int32_t value_min,
                                  int32_t *io)
{
    int64_t v = 0;
    if (props_get_i64(props, key, *io, &v) != KS_OK || v < value_min || v > INT32_MAX)
        return KS_ERR_INVALID_CONFIG;
    *io = (int32_t)v;
    return KS_OK;
}

enum ks_err rmgr_config_from_props(const struct props *props, struct rmgr_config *out)
{
    int32_t id = -1;
    if (rmgr_props_i32(props, "node.id", -1, &id) != KS_OK ||
        rmgr_props_i32(props, "broker.id", -1, &id) != KS_OK || id < 0)
        return KS_ERR_INVALID_CONFIG;
    rmgr_config_default(out, id);
    int32_t lag = (int32_t)out->replica_lag_time_max_ms;
    struct fetcher_config *f = &out->fetcher;
    enum ks_err err = rmgr_props_i32(props, "replica.lag.time.max.ms", 1, &lag);
    if (err == KS_OK)
        err = rmgr_props_i32(props, "min.insync.replicas", 1, &out->min_insync_replicas);
    if (err == KS_OK)
        err = rmgr_props_i32(props, "replica.fetch.max.bytes", 1, &f->fetch_max_bytes);
    if (err == KS_OK)
        err = rmgr_props_i32(props, "replica.fetch.response.max.bytes", 1,
                             &f->fetch_response_max_bytes);
    if (err == KS_OK)
        err = rmgr_props_i32(props, "replica.fetch.wait.max.ms", 0, &f->fetch_wait_max_ms);
    if (err == KS_OK)
        err = rmgr_props_i32(props, "replica.fetch.min.bytes", 1, &f->fetch_min_bytes);
    if (err == KS_OK)
        err = rmgr_props_i32(props, "replica.fetch.backoff.ms", 0, &f->fetch_backoff_ms);
    out->replica_lag_time_max_ms = lag;
    return err;
}

/* ---- Lifecycle ---------------------------------------------------------------------- */

struct rmgr *rmgr_create(struct env *env, const struct rmgr_config *config, struct logdir *logdir,
                         rmgr_alter_partition_fn alter_fn, void *alter_ctx)
{
    KS_ASSERT(config->broker_id >= 0);
    KS_ASSERT(config->replica_lag_time_max_ms > 0);
    struct rmgr *r = ks_alloc(sizeof(*r));
    r->env = env;
    r->config = *config;
    r->logdir = logdir;
    r->alter_fn = alter_fn;
    r->alter_ctx = alter_ctx;
    mimage_init(&r->image);
    rmgr_isr_timer_start(r);
    return r;
}

static void delayed_produce_free(struct delayed_produce *d)
{
    for (uint32_t i = 0; i < d->response.topic_count; i++)
        free(d->names[i]);
    free(d->names);
    free(d->parts);
    api_produce_response_free(&d->response);
    free(d);
}

static void delayed_fetch_free(struct delayed_fetch *d)
{
    for (uint32_t i = 0; i < d->request.topic_count; i++) {
        free((char *)d->request.topics[i].topic.chars);
        free(d->request.topics[i].partitions);
    }
    free(d->request.topics);
    free(d);
}

/* Clean shutdown (UnifiedLog.close): a snapshot at the log end offset, so the next
 * start replays nothing. The log dir flushes the log right after. */
static void rmgr_snapshot_on_close(struct part *p)
{
    if (p->log->offline)
        return;
    enum ks_err err = pstate_snapshot_write(&p->producers, p->log, part_log_end_offset(p));
    if (err != KS_OK)
        env_tracef(p->env, "pstate.snapshot_failed", "%s-%d at close: %s", p->topic, p->partition,
                   ks_err_name(err));
}

static void rmgr_release(struct rmgr *r, bool crashed)
{
    for (uint32_t i = 0; i < r->produce_count; i++) {
        if (!crashed)
            env_timer_cancel(r->env, r->produces[i]->timer);
        delayed_produce_free(r->produces[i]);
    }
    for (uint32_t i = 0; i < r->fetch_count; i++) {
        if (!crashed)
            env_timer_cancel(r->env, r->fetches[i]->timer);
        delayed_fetch_free(r->fetches[i]);
    }
    for (uint32_t i = 0; i < r->fetcher_count; i++) {
        if (crashed)
            fetcher_destroy(r->fetchers[i]);
        else
            fetcher_free(r->fetchers[i]);
    }
    for (uint32_t i = 0; i < r->part_count; i++) {
        if (!crashed)
            rmgr_snapshot_on_close(r->parts[i]);
        part_free(r->parts[i]);
        free(r->parts[i]);
    }
    if (!crashed && r->isr_timer != 0)
        env_timer_cancel(r->env, r->isr_timer);
    free(r->produces);
    free(r->fetches);
    free(r->fetchers);
    free(r->parts);
    mimage_free(&r->image);
    free(r);
}

void rmgr_free(struct rmgr *r)
{
    rmgr_release(r, false);
}
void rmgr_destroy(struct rmgr *r)
{
    rmgr_release(r, true);
}

/* ---- Partitions --------------------------------------------------------------------- */

static int rmgr_part_cmp(const struct part *p, const char *topic, size_t topic_length,
                         int32_t partition)
{
    size_t length = strlen(p->topic);
    int c = memcmp(p->topic, topic, length < topic_length ? length : topic_length);
    if (c == 0 && length != topic_length)
        c = length < topic_length ? -1 : 1;
    if (c == 0 && p->partition != partition)
        c = p->partition < partition ? -1 : 1;
    return c;
}

/* Index of the first part >= (topic, partition). */
static uint32_t rmgr_part_lower_bound(const struct rmgr *r, const char *topic, size_t length,
                                      int32_t partition)
{
    uint32_t low = 0, high = r->part_count;
    while (low < high) {
        uint32_t mid = low + (high - low) / 2;
        if (rmgr_part_cmp(r->parts[mid], topic, length, partition) < 0)
            low = mid + 1;
        else
            high = mid;
    }
    return low;
}

static struct part *rmgr_part_n(const struct rmgr *r, const char *topic, size_t length,
                                int32_t partition)
{
    uint32_t i = rmgr_part_lower_bound(r, topic, length, partition);
    if (i < r->part_count && rmgr_part_cmp(r->parts[i], topic, length, partition) == 0)
        return r->parts[i];
    return NULL;
}

struct part *rmgr_part(const struct rmgr *r, const char *topic, int32_t partition)
{
    return rmgr_part_n(r, topic, strlen(topic), partition);
}

static struct part *rmgr_part_by_id(const struct rmgr *r, const struct wire_uuid *id,
                                    int32_t partition)
{
    for (uint32_t i = 0; i < r->part_count; i++) {
        struct part *p = r->parts[i];
        if (p->partition == partition && memcmp(&p->topic_id, id, sizeof(*id)) == 0)
            return p;
    }
    return NULL;
}

static enum ks_err rmgr_part_create(struct rmgr *r, const struct mimage_topic *topic,
                                    int32_t partition, struct part **out)
{
    struct plog *log = NULL;
    enum ks_err err = logdir_get_or_create(r->logdir, topic->name, partition, NULL, &log);
    if (err != KS_OK)
        return err;
    if (r->part_count == RMGR_PARTS_MAX)
        return KS_ERR_TOO_MANY;
    struct part *p = ks_alloc(sizeof(*p));
    part_init(p, r->env, r->config.broker_id, topic->name, &topic->id, partition, log);
    err = pstate_load(&p->producers, log);
    if (err != KS_OK) {
        part_free(p);
        free(p);
        return err;
    }
    uint32_t i = rmgr_part_lower_bound(r, topic->name, strlen(topic->name), partition);
    r->parts = ks_realloc(r->parts, (r->part_count + 1) * sizeof(*r->parts));
    memmove(&r->parts[i + 1], &r->parts[i], (r->part_count - i) * sizeof(*r->parts));
    r->parts[i] = p;
    r->part_count++;
    *out = p;
    return KS_OK;
}

/* ---- Fetchers ----------------------------------------------------------------------- */

static struct fetcher *rmgr_fetcher(struct rmgr *r, int32_t leader_id, bool create)
{
    for (uint32_t i = 0; i < r->fetcher_count; i++) {
        if (r->fetchers[i]->leader_id == leader_id)
            return r->fetchers[i];
    }
    const struct mimage_broker *b = mimage_broker_find(&r->image, leader_id);
    if (!create || b == NULL || b->endpoint_count == 0 || r->fetcher_count == RMGR_FETCHERS_MAX)
        return NULL;
    struct fetcher *f = fetcher_create(r->env, &r->config.fetcher, leader_id, b->endpoints[0].host,
                                       b->endpoints[0].port);
    r->fetchers = ks_realloc(r->fetchers, (r->fetcher_count + 1) * sizeof(*r->fetchers));
    r->fetchers[r->fetcher_count++] = f;
    return f;
}

/* Every follower is in exactly its leader's fetcher; leaders and the leaderless in none. */
static void rmgr_fetchers_sync(struct rmgr *r)
{
    for (uint32_t i = 0; i < r->fetcher_count; i++) {
        struct fetcher *f = r->fetchers[i];
        const struct mimage_broker *b = mimage_broker_find(&r->image, f->leader_id);
        if (b != NULL && b->endpoint_count > 0)
            fetcher_set_endpoint(f, b->endpoints[0].host, b->endpoints[0].port);
    }
    for (uint32_t i = 0; i < r->part_count; i++) {
        struct part *p = r->parts[i];
        int32_t want = p->role == PART_FOLLOWER ? p->leader_id : -1;
        for (uint32_t j = 0; j < r->fetcher_count; j++) {
            if (r->fetchers[j]->leader_id != want && fetcher_has(r->fetchers[j], p))
                fetcher_remove(r->fetchers[j], p);
        }
        struct fetcher *f = want >= 0 ? rmgr_fetcher(r, want, true) : NULL;
        if (f != NULL && !fetcher_has(f, p))
            fetcher_add(f, p);
    }
}

/* ---- Metadata ----------------------------------------------------------------------- */

static int32_t rmgr_min_isr(const struct rmgr *r, const char *topic)
{
    const char *v =
        mimage_config_get(&r->image, MREC_CONFIG_RESOURCE_TOPIC, topic, "min.insync.replicas");
    if (v == NULL)
        return r->config.min_insync_replicas;
    long long n = strtoll(v, NULL, 10);
    return n >= 1 && n <= INT32_MAX ? (int32_t)n : r->config.min_insync_replicas;
}

static enum ks_err rmgr_apply_partition(struct rmgr *r, struct part *p,
                                        const struct mimage_partition *state)
{
    if (state->leader_epoch < p->leader_epoch)
        return KS_OK; /* stale */
    p->hw_ignores_isr = env_bug(r->env, KS_BUG_REPL_HW_IGNORES_ISR);
    if (state->leader == r->config.broker_id) {
        if (p->role != PART_LEADER || state->leader_epoch > p->leader_epoch)
            part_make_leader(p, state, rmgr_now_ms(r));
        else if (state->partition_epoch > p->partition_epoch)
            part_update_isr(p, state->isr, state->isr_count, state->partition_epoch);
        return KS_OK;
    }
    if (p->role == PART_LEADER && state->leader_epoch == p->leader_epoch)
        return KS_OK; /* an ISR-only change cannot move leadership */
    bool changed = false;
    return part_make_follower(p, state, &changed);
}

enum ks_err rmgr_apply_image(struct rmgr *r, const struct mimage *img)
{
    mimage_copy(&r->image, img);
    enum ks_err err = KS_OK;
    for (uint32_t t = 0; t < r->image.topic_count && err == KS_OK; t++) {
        const struct mimage_topic *topic = &r->image.topics[t];
        for (uint32_t i = 0; i < topic->partition_count && err == KS_OK; i++) {
            const struct mimage_partition *state = &topic->partitions[i];
            if (!mimage_partition_has_replica(state, r->config.broker_id))
                continue;
            struct part *p = rmgr_part(r, topic->name, (int32_t)i);
            if (p == NULL)
                err = rmgr_part_create(r, topic, (int32_t)i, &p);
            if (err != KS_OK)
                break;
            p->min_insync_replicas = rmgr_min_isr(r, topic->name);
            err = rmgr_apply_partition(r, p, state);
        }
    }
    rmgr_fetchers_sync(r);
    rmgr_purgatory_check(r);
    return err;
}

/* ---- AlterPartition ------------------------------------------------------------------ */

static void rmgr_alter_send(struct rmgr *r, struct part *p, const int32_t *isr, uint32_t count)
{
    KS_ASSERT(p->role == PART_LEADER);
    KS_ASSERT(!p->alter_inflight);
    if (r->alter_fn == NULL)
        return;
    p->alter_inflight = true;
    p->alter_isr_count = count;
    memcpy(p->alter_isr, isr, count * sizeof(isr[0]));
    struct pchange_alter a;
    memset(&a, 0, sizeof(a));
    a.broker_id = r->config.broker_id;
    a.topic_id = p->topic_id;
    a.partition_id = p->partition;
    a.leader_epoch = p->leader_epoch;
    a.partition_epoch = p->partition_epoch;
    a.isr_count = count;
    for (uint32_t i = 0; i < count; i++) {
        a.isr[i] = isr[i];
        a.isr_broker_epochs[i] = -1;
    }
    env_tracef(r->env, "repl.alter_partition", "%s-%d epoch=%d partition_epoch=%d isr %u -> %u",
               p->topic, p->partition, p->leader_epoch, p->partition_epoch, p->isr_count, count);
    r->alter_requests++;
    r->alter_fn(r->alter_ctx, &a);
}

void rmgr_alter_partition_response(struct rmgr *r, const struct wire_uuid *topic_id,
                                   int32_t partition, enum ks_err err,
                                   const struct mimage_partition *state)
{
    struct part *p = rmgr_part_by_id(r, topic_id, partition);
    if (p == NULL || p->role != PART_LEADER)
        return;
    env_tracef(r->env, "repl.alter_partition_response", "%s-%d %s", p->topic, p->partition,
               ks_err_name(err));
    if (err == KS_OK && state != NULL && state->leader_epoch == p->leader_epoch &&
        state->partition_epoch > p->partition_epoch)
        part_update_isr(p, state->isr, state->isr_count, state->partition_epoch);
    p->alter_inflight = false;
    p->alter_isr_count = 0;
    rmgr_purgatory_check(r);
}

static void rmgr_isr_timer_fire(void *ctx)
{
    struct rmgr *r = ctx;
    r->isr_timer = 0;
    int64_t now = rmgr_now_ms(r);
    for (uint32_t i = 0; i < r->part_count; i++) {
        struct part *p = r->parts[i];
        int32_t isr[PART_REPLICAS_MAX];
        uint32_t count = 0;
        if (part_isr_shrink_due(p, now, r->config.replica_lag_time_max_ms, isr, &count))
            rmgr_alter_send(r, p, isr, count);
    }
    rmgr_isr_timer_start(r);
}

static void rmgr_isr_timer_start(struct rmgr *r)
{
    KS_ASSERT(r->isr_timer == 0);
    uint64_t period_ms = (uint64_t)r->config.replica_lag_time_max_ms / 2 + 1;
    r->isr_timer = env_timer_start(r->env, period_ms * RMGR_NS_PER_MS, rmgr_isr_timer_fire, r);
}

/* ---- Produce ------------------------------------------------------------------------ */

/* A roll: the producer state of the log below the new segment goes to a snapshot
 * (UnifiedLog.roll); a failure costs only a longer replay at the next start. */
static void rmgr_snapshot_on_roll(struct part *p)
{
    int64_t base = plog_active(p->log)->base_offset;
    KS_ASSERT(base <= part_log_end_offset(p));
    enum ks_err err = pstate_snapshot_write(&p->producers, p->log, base);
    if (err != KS_OK)
        env_tracef(p->env, "pstate.snapshot_failed", "%s-%d at %lld: %s", p->topic, p->partition,
                   (long long)base, ks_err_name(err));
}

/* Checks and appends one partition's batch. On KS_OK *required_out is the offset the
 * high watermark must reach for acks=all. */
static enum ks_err rmgr_append(struct part *p, int16_t acks, struct wire_bytes records,
                               struct api_produce_partition_response *out, int64_t *required_out)
{
    if (p->role != PART_LEADER)
        return KS_ERR_NOT_LEADER_OR_FOLLOWER;
    struct rb_scan scan;
    if (records.size_bytes <= 0 ||
        rb_scan(records.bytes, (size_t)records.size_bytes, &scan) != KS_OK)
        return KS_ERR_CORRUPT_MESSAGE;
    if (scan.size_bytes != (uint32_t)records.size_bytes)
        return KS_ERR_INVALID_RECORD; /* v3+: exactly one batch */
    if (acks == RMGR_ACKS_ALL && (int64_t)p->isr_count < p->min_insync_replicas)
        return KS_ERR_NOT_ENOUGH_REPLICAS;
    const struct rb_batch_header *h = &scan.header;
    bool idempotent = h->producer_id >= 0 && h->base_sequence >= 0;
    int32_t last_sequence = 0;
    if (idempotent) {
        last_sequence = (int32_t)(((int64_t)h->base_sequence + h->last_offset_delta) %
                                  ((int64_t)PSTATE_SEQUENCE_MAX + 1));
        struct pstate_verdict verdict;
        enum ks_err err = pstate_check(&p->producers, h->producer_id, h->producer_epoch,
                                       h->base_sequence, last_sequence, &verdict);
        if (err != KS_OK)
            return err;
        if (verdict.duplicate) {
            out->base_offset = verdict.first_offset;
            *required_out = verdict.last_offset + 1;
            return KS_OK;
        }
    }
    uint8_t *copy = ks_alloc((size_t)records.size_bytes);
    memcpy(copy, records.bytes, (size_t)records.size_bytes);
    struct plog_append_info info;
    enum ks_err err =
        plog_append_leader(p->log, copy, (uint32_t)records.size_bytes, p->leader_epoch, &info);
    free(copy);
    if (err != KS_OK)
        return err;
    if (info.rolled)
        rmgr_snapshot_on_roll(p);
    if (idempotent)
        (void)pstate_update(&p->producers, h->producer_id, h->producer_epoch, h->base_sequence,
                            last_sequence, info.first_offset, info.last_offset, info.max_timestamp);
    out->base_offset = info.first_offset;
    *required_out = info.last_offset + 1;
    part_maybe_advance_hw(p);
    KS_ASSERT(part_high_watermark(p) <= part_log_end_offset(p));
    return KS_OK;
}

static bool delayed_produce_try(struct delayed_produce *d)
{
    bool all_done = true;
    for (uint32_t i = 0; i < d->part_count; i++) {
        struct delayed_produce_part *dp = &d->parts[i];
        if (!dp->pending)
            continue;
        struct api_produce_partition_response *out =
            &d->response.topics[dp->topic_index].partitions[dp->partition_index];
        struct part *p = dp->part;
        if (p->role != PART_LEADER || p->leader_epoch != dp->leader_epoch) {
            out->error_code = KS_ERR_NOT_LEADER_OR_FOLLOWER;
            dp->pending = false;
        } else if (part_high_watermark(p) >= dp->required_offset) {
            out->error_code = (int64_t)p->isr_count >= p->min_insync_replicas
                                  ? KS_OK
                                  : KS_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND;
            dp->pending = false;
        } else if (d->timed_out) {
            out->error_code = KS_ERR_REQUEST_TIMED_OUT;
            dp->pending = false;
        }
        all_done = all_done && !dp->pending;
    }
    return all_done;
}

static void delayed_produce_complete(struct delayed_produce *d)
{
    d->done(d->ctx, &d->response);
    delayed_produce_free(d);
}

static void rmgr_produce_remove(struct rmgr *r, struct delayed_produce *d)
{
    for (uint32_t i = 0; i < r->produce_count; i++) {
        if (r->produces[i] == d) {
            memmove(&r->produces[i], &r->produces[i + 1],
                    (r->produce_count - i - 1) * sizeof(*r->produces));
            r->produce_count--;
            return;
        }
    }
    KS_UNREACHABLE();
}

static void delayed_produce_timeout(void *ctx)
{
    struct delayed_produce *d = ctx;
    d->timer = 0;
    d->timed_out = true;
    KS_ASSERT(delayed_produce_try(d));
    rmgr_produce_remove(d->rmgr, d);
    delayed_produce_complete(d);
}

static struct delayed_produce *delayed_produce_new(struct rmgr *r,
                                                   const struct api_produce_request *req)
{
    struct delayed_produce *d = ks_alloc(sizeof(*d));
    d->rmgr = r;
    api_produce_response_init(&d->response);
    d->response.topic_count = req->topic_count;
    d->response.topics = ks_alloc((req->topic_count + 1) * sizeof(*d->response.topics));
    d->names = ks_alloc((req->topic_count + 1) * sizeof(*d->names));
    uint32_t total = 0;
    for (uint32_t t = 0; t < req->topic_count; t++) {
        const struct api_produce_topic *in = &req->topics[t];
        struct api_produce_topic_response *out = &d->response.topics[t];
        int32_t length = in->name.length < 0 ? 0 : in->name.length;
        d->names[t] = ks_alloc((size_t)length + 1);
        memcpy(d->names[t], in->name.chars, (size_t)length);
        out->name = (struct wire_string){d->names[t], length};
        out->partition_count = in->partition_count;
        out->partitions = ks_alloc((in->partition_count + 1) * sizeof(*out->partitions));
        for (uint32_t i = 0; i < in->partition_count; i++) {
            api_produce_partition_response_init(&out->partitions[i]);
            out->partitions[i].index = in->partitions[i].index;
            out->partitions[i].base_offset = -1;
        }
        total += in->partition_count;
    }
    d->parts = ks_alloc((total + 1) * sizeof(*d->parts));
    return d;
}

void rmgr_produce(struct rmgr *r, const struct api_produce_request *req, rmgr_produce_done_fn done,
                  void *ctx)
{
    KS_ASSERT(done != NULL);
    struct delayed_produce *d = delayed_produce_new(r, req);
    d->done = done;
    d->ctx = ctx;
    bool valid_acks = req->acks == 0 || req->acks == 1 || req->acks == RMGR_ACKS_ALL;
    bool wait = req->acks == RMGR_ACKS_ALL && !env_bug(r->env, KS_BUG_REPL_ACKS_ALL_BEFORE_ISR);
    for (uint32_t t = 0; t < req->topic_count; t++) {
        const struct api_produce_topic *in = &req->topics[t];
        for (uint32_t i = 0; i < in->partition_count; i++) {
            struct api_produce_partition_response *out = &d->response.topics[t].partitions[i];
            struct part *p =
                rmgr_part_n(r, d->names[t], strlen(d->names[t]), in->partitions[i].index);
            int64_t required = 0;
            enum ks_err err =
                !valid_acks ? KS_ERR_INVALID_REQUIRED_ACKS
                : p == NULL ? KS_ERR_UNKNOWN_TOPIC_OR_PARTITION
                            : rmgr_append(p, req->acks, in->partitions[i].records, out, &required);
            out->error_code = (int16_t)(err == KS_ERR_UNKNOWN_SERVER_ERROR ? -1 : err);
            if (err < 0 && err != KS_ERR_UNKNOWN_SERVER_ERROR)
                out->error_code = KS_ERR_KAFKA_STORAGE_ERROR;
            if (err == KS_OK)
                out->log_start_offset = p->log->log_start_offset;
            if (err == KS_OK && wait)
                d->parts[d->part_count++] =
                    (struct delayed_produce_part){t, i, p, p->leader_epoch, required, true};
        }
    }
    rmgr_purgatory_check(r); /* appends may complete fetches */
    if (req->acks == 0) {
        done(ctx, NULL);
        delayed_produce_free(d);
    } else if (delayed_produce_try(d)) {
        delayed_produce_complete(d);
    } else {
        KS_ASSERT(r->produce_count < RMGR_DELAYED_PRODUCES_MAX);
        uint64_t timeout_ms = req->timeout_ms > 0 ? (uint64_t)req->timeout_ms : 0;
        d->timer = env_timer_start(r->env, timeout_ms * RMGR_NS_PER_MS, delayed_produce_timeout, d);
        r->produces = ks_realloc(r->produces, (r->produce_count + 1) * sizeof(*r->produces));
        r->produces[r->produce_count++] = d;
    }
}

/* ---- Fetch -------------------------------------------------------------------------- */

/* What reading a fetch produced, beyond the response. */
struct rmgr_read {
    uint8_t **buffers; /* plog_read's, freed after the callback */
    uint32_t buffer_count;
    int64_t bytes;
    bool respond_now; /* an error or a diverging epoch */
};

static struct part *rmgr_fetch_part(const struct rmgr *r, int16_t version,
                                    const struct api_fetch_topic *t, int32_t partition)
{
    if (version >= API_FETCH_TOPIC_ID_VERSION_FIRST)
        return rmgr_part_by_id(r, &t->topic_id, partition);
    if (t->topic.length < 0)
        return NULL;
    return rmgr_part_n(r, t->topic.chars, (size_t)t->topic.length, partition);
}

/* Partition.fetchRecords: checks, then reads; a follower's position is recorded when
 * update_followers (the first time a request is read, not when a delayed one is). */
static enum ks_err rmgr_fetch_read_partition(struct rmgr *r, int32_t replica_id, struct part *p,
                                             const struct api_fetch_partition *in,
                                             int64_t bytes_max, bool update_followers,
                                             struct api_fetch_partition_data *out,
                                             struct rmgr_read *rd)
{
    if (p == NULL)
        return KS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (p->role != PART_LEADER)
        return KS_ERR_NOT_LEADER_OR_FOLLOWER;
    enum ks_err err = part_check_epoch(p, in->current_leader_epoch);
    if (err != KS_OK)
        return err;
    int64_t leo = part_log_end_offset(p);
    out->log_start_offset = p->log->log_start_offset;
    if (in->last_fetched_epoch >= 0) {
        int32_t epoch = PART_NO_EPOCH;
        int64_t end = PART_NO_OFFSET;
        part_end_offset_for_epoch(p, in->last_fetched_epoch, &epoch, &end);
        if (end < in->fetch_offset || epoch < in->last_fetched_epoch) {
            out->diverging_epoch = epoch;
            out->diverging_end_offset = end;
            out->high_watermark = part_high_watermark(p);
            rd->respond_now = true;
            return KS_OK;
        }
    }
    if (in->fetch_offset < p->log->log_start_offset || in->fetch_offset > leo)
        return KS_ERR_OFFSET_OUT_OF_RANGE;
    int64_t max_offset = replica_id >= 0 ? leo : part_high_watermark(p);
    uint32_t max_bytes =
        (uint32_t)(in->partition_max_bytes < bytes_max ? in->partition_max_bytes : bytes_max);
    if (in->fetch_offset < max_offset && in->partition_max_bytes > 0) {
        uint8_t *bytes = NULL;
        uint32_t size = 0;
        err = plog_read(p->log, in->fetch_offset, max_bytes, max_offset, rd->bytes == 0, &bytes,
                        &size);
        if (err != KS_OK)
            return err;
        if (bytes != NULL) {
            rd->buffers[rd->buffer_count++] = bytes;
            out->records = (struct wire_bytes){bytes, (int32_t)size};
            rd->bytes += size;
        }
    }
    if (update_followers && replica_id >= 0) {
        part_follower_fetched(p, replica_id, in->fetch_offset, in->log_start_offset, leo,
                              rmgr_now_ms(r));
        int32_t isr[PART_REPLICAS_MAX];
        uint32_t count = 0;
        if (part_isr_expand_due(p, replica_id, isr, &count))
            rmgr_alter_send(r, p, isr, count);
    }
    out->high_watermark = part_high_watermark(p);
    out->last_stable_offset = part_high_watermark(p);
    return KS_OK;
}

static uint32_t rmgr_fetch_partition_total(const struct api_fetch_multi_request *req)
{
    uint32_t total = 0;
    for (uint32_t t = 0; t < req->topic_count; t++)
        total += req->topics[t].partition_count;
    return total;
}

/* Builds the whole response (ReplicaManager.readFromLog). */
static void rmgr_fetch_read(struct rmgr *r, int16_t version,
                            const struct api_fetch_multi_request *req, bool update_followers,
                            struct api_fetch_multi_response *resp, struct rmgr_read *rd)
{
    api_fetch_multi_response_init(resp);
    rd->buffers = ks_alloc((rmgr_fetch_partition_total(req) + 1) * sizeof(*rd->buffers));
    resp->topic_count = req->topic_count;
    resp->topics = ks_alloc((req->topic_count + 1) * sizeof(*resp->topics));
    int64_t max_bytes = req->max_bytes > 0 ? req->max_bytes : 0;
    for (uint32_t t = 0; t < req->topic_count; t++) {
        const struct api_fetch_topic *in = &req->topics[t];
        struct api_fetch_topic_data *out = &resp->topics[t];
        out->topic = in->topic;
        out->topic_id = in->topic_id;
        out->partition_count = in->partition_count;
        out->partitions = ks_alloc((in->partition_count + 1) * sizeof(*out->partitions));
        for (uint32_t i = 0; i < in->partition_count; i++) {
            const struct api_fetch_partition *ip = &in->partitions[i];
            struct api_fetch_partition_data *op = &out->partitions[i];
            api_fetch_partition_data_init(op);
            op->partition_index = ip->partition;
            struct part *p = rmgr_fetch_part(r, version, in, ip->partition);
            enum ks_err err = rmgr_fetch_read_partition(
                r, req->replica_id, p, ip, max_bytes - rd->bytes, update_followers, op, rd);
            if (err != KS_OK) {
                op->error_code = (int16_t)(err < 0 ? KS_ERR_KAFKA_STORAGE_ERROR : err);
                op->high_watermark = -1;
                rd->respond_now = true;
            }
        }
    }
}

static void rmgr_fetch_respond(struct api_fetch_multi_response *resp, struct rmgr_read *rd,
                               rmgr_fetch_done_fn done, void *ctx)
{
    done(ctx, resp);
    for (uint32_t i = 0; i < rd->buffer_count; i++)
        free(rd->buffers[i]);
    free(rd->buffers);
    api_fetch_multi_response_free(resp);
}

static void rmgr_fetch_copy(struct api_fetch_multi_request *dst,
                            const struct api_fetch_multi_request *src)
{
    *dst = *src;
    dst->cluster_id = wire_string_null();
    dst->rack_id = wire_string_null();
    dst->forgotten_topic_count = 0;
    dst->forgotten_topics = NULL;
    dst->topics = ks_alloc((src->topic_count + 1) * sizeof(*dst->topics));
    for (uint32_t t = 0; t < src->topic_count; t++) {
        const struct api_fetch_topic *in = &src->topics[t];
        struct api_fetch_topic *out = &dst->topics[t];
        *out = *in;
        int32_t length = in->topic.length < 0 ? 0 : in->topic.length;
        char *name = ks_alloc((size_t)length + 1);
        memcpy(name, in->topic.chars, (size_t)length);
        out->topic = (struct wire_string){name, in->topic.length < 0 ? -1 : length};
        out->partitions = ks_alloc((in->partition_count + 1) * sizeof(*out->partitions));
        memcpy(out->partitions, in->partitions, in->partition_count * sizeof(*out->partitions));
    }
}

/* DelayedFetch.tryComplete: enough bytes, or something changed that ends the wait. */
static bool delayed_fetch_try(struct delayed_fetch *d)
{
    struct api_fetch_multi_response resp;
    struct rmgr_read rd;
    memset(&rd, 0, sizeof(rd));
    rmgr_fetch_read(d->rmgr, d->version, &d->request, false, &resp, &rd);
    bool ready = rd.respond_now || rd.bytes >= d->request.min_bytes;
    for (uint32_t i = 0; i < rd.buffer_count; i++)
        free(rd.buffers[i]);
    free(rd.buffers);
    api_fetch_multi_response_free(&resp);
    return ready;
}

static void delayed_fetch_complete(struct delayed_fetch *d)
{
    struct api_fetch_multi_response resp;
    struct rmgr_read rd;
    memset(&rd, 0, sizeof(rd));
    rmgr_fetch_read(d->rmgr, d->version, &d->request, false, &resp, &rd);
    rmgr_fetch_respond(&resp, &rd, d->done, d->ctx);
    delayed_fetch_free(d);
}

static void rmgr_fetch_remove(struct rmgr *r, struct delayed_fetch *d)
{
    for (uint32_t i = 0; i < r->fetch_count; i++) {
        if (r->fetches[i] == d) {
            memmove(&r->fetches[i], &r->fetches[i + 1],
                    (r->fetch_count - i - 1) * sizeof(*r->fetches));
            r->fetch_count--;
            return;
        }
    }
    KS_UNREACHABLE();
}

static void delayed_fetch_timeout(void *ctx)
{
    struct delayed_fetch *d = ctx;
    d->timer = 0;
    rmgr_fetch_remove(d->rmgr, d);
    delayed_fetch_complete(d);
}

void rmgr_fetch(struct rmgr *r, int16_t version, const struct api_fetch_multi_request *req,
                rmgr_fetch_done_fn done, void *ctx)
{
    KS_ASSERT(done != NULL);
    struct api_fetch_multi_response resp;
    struct rmgr_read rd;
    memset(&rd, 0, sizeof(rd));
    rmgr_fetch_read(r, version, req, true, &resp, &rd);
    bool now = req->max_wait_ms <= 0 || req->topic_count == 0 || rd.respond_now ||
               rd.bytes >= req->min_bytes;
    rmgr_purgatory_check(r); /* a follower's fetch may move the high watermark */
    if (now || r->fetch_count == RMGR_DELAYED_FETCHES_MAX) {
        rmgr_fetch_respond(&resp, &rd, done, ctx);
        return;
    }
    for (uint32_t i = 0; i < rd.buffer_count; i++)
        free(rd.buffers[i]);
    free(rd.buffers);
    api_fetch_multi_response_free(&resp);
    struct delayed_fetch *d = ks_alloc(sizeof(*d));
    d->rmgr = r;
    d->version = version;
    rmgr_fetch_copy(&d->request, req);
    d->done = done;
    d->ctx = ctx;
    d->timer = env_timer_start(r->env, (uint64_t)req->max_wait_ms * RMGR_NS_PER_MS,
                               delayed_fetch_timeout, d);
    r->fetches = ks_realloc(r->fetches, (r->fetch_count + 1) * sizeof(*r->fetches));
    r->fetches[r->fetch_count++] = d;
}

/* ---- Purgatory ---------------------------------------------------------------------- */

/* Takes out and completes one waiting request that can complete; false when none. */
static bool rmgr_purgatory_step(struct rmgr *r)
{
    for (uint32_t i = 0; i < r->produce_count; i++) {
        struct delayed_produce *d = r->produces[i];
        if (delayed_produce_try(d)) {
            rmgr_produce_remove(r, d);
            env_timer_cancel(r->env, d->timer);
            delayed_produce_complete(d);
            return true;
        }
    }
    for (uint32_t i = 0; i < r->fetch_count; i++) {
        struct delayed_fetch *d = r->fetches[i];
        if (delayed_fetch_try(d)) {
            rmgr_fetch_remove(r, d);
            env_timer_cancel(r->env, d->timer);
            delayed_fetch_complete(d);
            return true;
        }
    }
    return false;
}

static void rmgr_purgatory_check(struct rmgr *r)
{
    if (r->checking)
        return; /* the walk in progress starts over after each completion */
    r->checking = true;
    uint32_t rounds = 0;
    while (rmgr_purgatory_step(r))
        KS_ASSERT(++rounds < RMGR_PURGATORY_ROUNDS_MAX);
    r->checking = false;
}

/* ---- ListOffsets and OffsetsForLeaderEpoch ------------------------------------------- */

static enum ks_err rmgr_list_offsets_partition(struct rmgr *r, int32_t replica_id, struct part *p,
                                               const struct api_list_offsets_partition *in,
                                               struct api_list_offsets_partition_response *out)
{
    if (p == NULL)
        return KS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (p->role != PART_LEADER && replica_id != RMGR_DEBUG_REPLICA_ID)
        return KS_ERR_NOT_LEADER_OR_FOLLOWER;
    enum ks_err err = part_check_epoch(p, in->current_leader_epoch);
    if (err != KS_OK)
        return err;
    int64_t hw = part_high_watermark(p);
    int64_t last = replica_id == RMGR_CONSUMER_REPLICA_ID ? hw : part_log_end_offset(p);
    if (in->timestamp == API_LIST_OFFSETS_EARLIEST_TIMESTAMP) {
        out->offset = p->log->log_start_offset;
        out->leader_epoch = part_epoch_for_offset(p, out->offset);
    } else if (in->timestamp == API_LIST_OFFSETS_LATEST_TIMESTAMP) {
        out->offset = last;
        out->leader_epoch = p->leader_epoch;
    } else if (in->timestamp >= 0) {
        struct seg_timestamp_offset found;
        err = plog_offset_for_timestamp(p->log, in->timestamp, &found);
        if (err != KS_OK)
            return err;
        if (found.found && found.offset < last) {
            out->timestamp = found.timestamp;
            out->offset = found.offset;
            out->leader_epoch = found.leader_epoch;
        }
    } else {
        return KS_ERR_UNSUPPORTED_VERSION; /* max timestamp, tiered: not kept here */
    }
    (void)r;
    return KS_OK;
}

void rmgr_list_offsets(struct rmgr *r, const struct api_list_offsets_request *req,
                       rmgr_list_offsets_done_fn done, void *ctx)
{
    struct api_list_offsets_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.topic_count = req->topic_count;
    resp.topics = ks_alloc((req->topic_count + 1) * sizeof(*resp.topics));
    for (uint32_t t = 0; t < req->topic_count; t++) {
        const struct api_list_offsets_topic *in = &req->topics[t];
        struct api_list_offsets_topic_response *out = &resp.topics[t];
        out->name = in->name;
        out->partition_count = in->partition_count;
        out->partitions = ks_alloc((in->partition_count + 1) * sizeof(*out->partitions));
        for (uint32_t i = 0; i < in->partition_count; i++) {
            struct api_list_offsets_partition_response *op = &out->partitions[i];
            *op = (struct api_list_offsets_partition_response){in->partitions[i].partition_index, 0,
                                                               -1, -1, -1};
            struct part *p = in->name.length < 0
                                 ? NULL
                                 : rmgr_part_n(r, in->name.chars, (size_t)in->name.length,
                                               in->partitions[i].partition_index);
            enum ks_err err =
                rmgr_list_offsets_partition(r, req->replica_id, p, &in->partitions[i], op);
            op->error_code = (int16_t)(err < 0 ? KS_ERR_KAFKA_STORAGE_ERROR : err);
        }
    }
    done(ctx, &resp);
    api_list_offsets_response_free(&resp);
}

void rmgr_offsets_for_leader_epoch(struct rmgr *r,
                                   const struct api_offsets_for_leader_epoch_request *req,
                                   rmgr_offsets_for_leader_epoch_done_fn done, void *ctx)
{
    struct api_offsets_for_leader_epoch_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.topic_count = req->topic_count;
    resp.topics = ks_alloc((req->topic_count + 1) * sizeof(*resp.topics));
    for (uint32_t t = 0; t < req->topic_count; t++) {
        const struct api_offsets_for_leader_epoch_topic *in = &req->topics[t];
        struct api_offsets_for_leader_epoch_topic_result *out = &resp.topics[t];
        out->topic = in->topic;
        out->partition_count = in->partition_count;
        out->partitions = ks_alloc((in->partition_count + 1) * sizeof(*out->partitions));
        for (uint32_t i = 0; i < in->partition_count; i++) {
            const struct api_offsets_for_leader_epoch_partition *ip = &in->partitions[i];
            struct api_offsets_for_leader_epoch_end_offset *op = &out->partitions[i];
            *op = (struct api_offsets_for_leader_epoch_end_offset){0, ip->partition, -1, -1};
            struct part *p =
                in->topic.length < 0
                    ? NULL
                    : rmgr_part_n(r, in->topic.chars, (size_t)in->topic.length, ip->partition);
            enum ks_err err = p == NULL ? KS_ERR_UNKNOWN_TOPIC_OR_PARTITION
                              : p->role != PART_LEADER && req->replica_id != RMGR_DEBUG_REPLICA_ID
                                  ? KS_ERR_NOT_LEADER_OR_FOLLOWER
                                  : part_check_epoch(p, ip->current_leader_epoch);
            if (err == KS_OK)
                part_end_offset_for_epoch(p, ip->leader_epoch, &op->leader_epoch, &op->end_offset);
            op->error_code = (int16_t)err;
        }
    }
    done(ctx, &resp);
    api_offsets_for_leader_epoch_response_free(&resp);
}

/* ---- Checks ------------------------------------------------------------------------- */

/* Reads the batch at offset: *bytes_out allocated, *scan_out its header. */
static bool rmgr_check_read_batch(struct part *p, int64_t offset, int64_t end, uint8_t **bytes_out,
                                  struct rb_scan *scan_out)
{
    uint32_t size = 0;
    *bytes_out = NULL;
    if (plog_read(p->log, offset, RMGR_CHECK_READ_BYTES, end, true, bytes_out, &size) != KS_OK ||
        *bytes_out == NULL)
        return false;
    return rb_scan(*bytes_out, size, scan_out) == KS_OK;
}

static bool rmgr_check_pair(struct part *a, struct part *b, char *why, size_t why_bytes)
{
    int64_t end = part_high_watermark(a) < part_high_watermark(b) ? part_high_watermark(a)
                                                                  : part_high_watermark(b);
    int64_t offset = a->log->log_start_offset > b->log->log_start_offset ? a->log->log_start_offset
                                                                         : b->log->log_start_offset;
    for (uint32_t i = 0; i < RMGR_CHECK_BATCHES_MAX && offset < end; i++) {
        uint8_t *x = NULL, *y = NULL;
        struct rb_scan sx, sy;
        bool ok = rmgr_check_read_batch(a, offset, end, &x, &sx) &&
                  rmgr_check_read_batch(b, offset, end, &y, &sy) &&
                  sx.size_bytes == sy.size_bytes && memcmp(x, y, sx.size_bytes) == 0;
        free(x);
        free(y);
        if (!ok) {
            snprintf(why, why_bytes,
                     "%s-%d: brokers %d and %d differ at offset %" PRId64
                     " below high watermarks %" PRId64 " and %" PRId64,
                     a->topic, a->partition, a->broker_id, b->broker_id, offset,
                     part_high_watermark(a), part_high_watermark(b));
            return false;
        }
        offset = sx.last_offset + 1;
    }
    return true;
}

bool rmgr_check_replicas_agree(struct rmgr *const *rmgrs, uint32_t count, const char *topic,
                               int32_t partition, char *why, size_t why_bytes)
{
    for (uint32_t i = 0; i < count; i++) {
        struct part *a = rmgrs[i] == NULL ? NULL : rmgr_part(rmgrs[i], topic, partition);
        for (uint32_t j = i + 1; a != NULL && j < count; j++) {
            struct part *b = rmgrs[j] == NULL ? NULL : rmgr_part(rmgrs[j], topic, partition);
            if (b != NULL && !rmgr_check_pair(a, b, why, why_bytes))
                return false;
        }
    }
    return true;
}

bool rmgr_check_hw_within_isr(struct rmgr *const *rmgrs, uint32_t count, const char *topic,
                              int32_t partition, char *why, size_t why_bytes)
{
    for (uint32_t i = 0; i < count; i++) {
        struct part *leader = rmgrs[i] == NULL ? NULL : rmgr_part(rmgrs[i], topic, partition);
        if (leader == NULL || leader->role != PART_LEADER)
            continue;
        for (uint32_t j = 0; j < count; j++) {
            struct part *m = rmgrs[j] == NULL ? NULL : rmgr_part(rmgrs[j], topic, partition);
            if (m == NULL || m == leader || !part_in_isr(leader, m->broker_id))
                continue;
            if (part_high_watermark(leader) > part_log_end_offset(m)) {
                snprintf(why, why_bytes,
                         "%s-%d: leader %d high watermark %" PRId64
                         " above ISR member %d's log end offset %" PRId64,
                         topic, partition, leader->broker_id, part_high_watermark(leader),
                         m->broker_id, part_log_end_offset(m));
                return false;
            }
        }
    }
    return true;
}

bool rmgr_check_record_at(struct rmgr *r, const char *topic, int32_t partition, int64_t offset,
                          const uint8_t *value, uint32_t value_size, char *why, size_t why_bytes)
{
    struct part *p = rmgr_part(r, topic, partition);
    bool ok = false;
    if (p != NULL && offset < part_log_end_offset(p) && offset >= p->log->log_start_offset) {
        uint8_t *bytes = NULL;
        struct rb_scan scan;
        struct rb_batch batch;
        if (rmgr_check_read_batch(p, offset, part_log_end_offset(p), &bytes, &scan) &&
            rb_decode(bytes, scan.size_bytes, &batch) == KS_OK) {
            struct rb_iter it;
            struct rb_record rec;
            rb_iter_init(&it, &batch);
            while (!ok && rb_iter_next(&it, &rec))
                ok = rec.offset == offset && rec.value_size == value_size &&
                     (value_size == 0 || memcmp(rec.value, value, value_size) == 0);
            rb_batch_release(&batch);
        }
        free(bytes);
    }
    if (!ok)
        snprintf(why, why_bytes,
                 "%s-%d: broker %d lacks the acknowledged record at offset %" PRId64
                 " (log end offset %" PRId64 ")",
                 topic, partition, r->config.broker_id, offset,
                 p == NULL ? (int64_t)-1 : part_log_end_offset(p));
    return ok;
}
