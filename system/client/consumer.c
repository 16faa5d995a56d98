/*
 * consumer.c: the consumer client, manual assignment, see consumer.h. Kafka:
 * KafkaConsumer, Fetcher, OffsetFetcher, SubscriptionState.
 */
#include "consumer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/proto/api.h"
#include "system/proto/api_fetch.h"
#include "system/proto/api_list_offsets.h"

#define NS_PER_MS 1000000ull
#define CONSUMER_FETCH_MIN_BYTES_DEFAULT 1
#define CONSUMER_FETCH_MAX_BYTES_DEFAULT 52428800
#define CONSUMER_FETCH_MAX_WAIT_MS_DEFAULT 500
#define CONSUMER_PARTITION_FETCH_BYTES_DEFAULT 1048576
#define CONSUMER_RETRY_BACKOFF_MS_DEFAULT 100

/* A Fetch or ListOffsets in flight: the partitions it carries and their positions. */
struct consumer_request {
    struct consumer *c;
    int32_t node;
    bool list_offsets;
    uint32_t count;
    uint32_t parts[CONSUMER_PARTS_MAX];
    int64_t positions[CONSUMER_PARTS_MAX];
};

static void consumer_run(void *ctx);

/* ---- Configuration and lifecycle ------------------------------------------------------ */

static enum ks_err consumer_config_reset(const struct props *props, enum consumer_reset *out)
{
    const char *v = props_get(props, "auto.offset.reset");
    if (v == NULL || strcmp(v, "latest") == 0)
        *out = CONSUMER_RESET_LATEST;
    else if (strcmp(v, "earliest") == 0)
        *out = CONSUMER_RESET_EARLIEST;
    else if (strcmp(v, "none") == 0)
        *out = CONSUMER_RESET_NONE;
    else
        return KS_ERR_INVALID_CONFIG;
    return KS_OK;
}

enum ks_err consumer_config_from_props(const struct props *props, struct consumer_config *out)
{
    memset(out, 0, sizeof(*out));
    int64_t min_bytes, max_bytes, wait, part_bytes, backoff;
    const char *iso = props_get(props, "isolation.level");
    if (cnet_config_from_props(props, &out->net) != KS_OK ||
        consumer_config_reset(props, &out->auto_offset_reset) != KS_OK ||
        props_get_i64(props, "fetch.min.bytes", CONSUMER_FETCH_MIN_BYTES_DEFAULT, &min_bytes) !=
            KS_OK ||
        props_get_i64(props, "fetch.max.bytes", CONSUMER_FETCH_MAX_BYTES_DEFAULT, &max_bytes) !=
            KS_OK ||
        props_get_i64(props, "fetch.max.wait.ms", CONSUMER_FETCH_MAX_WAIT_MS_DEFAULT, &wait) !=
            KS_OK ||
        props_get_i64(props, "max.partition.fetch.bytes", CONSUMER_PARTITION_FETCH_BYTES_DEFAULT,
                      &part_bytes) != KS_OK ||
        props_get_i64(props, "retry.backoff.ms", CONSUMER_RETRY_BACKOFF_MS_DEFAULT, &backoff) !=
            KS_OK ||
        (iso != NULL && strcmp(iso, "read_uncommitted") != 0))
        return KS_ERR_INVALID_CONFIG;
    if (min_bytes < 0 || min_bytes > INT32_MAX || max_bytes < 1 || max_bytes > INT32_MAX ||
        wait < 0 || wait > INT32_MAX || part_bytes < 1 || part_bytes > INT32_MAX || backoff < 0 ||
        backoff > INT32_MAX)
        return KS_ERR_INVALID_CONFIG;
    out->fetch_min_bytes = (int32_t)min_bytes;
    out->fetch_max_bytes = (int32_t)max_bytes;
    out->fetch_max_wait_ms = (int32_t)wait;
    out->max_partition_fetch_bytes = (int32_t)part_bytes;
    out->retry_backoff_ms = (uint32_t)backoff;
    return KS_OK;
}

static void consumer_wake(void *ctx)
{
    struct consumer *c = ctx;
    uint64_t now = env_mono_ns(c->env);
    if (c->run_timer != 0 && c->run_at_ns <= now)
        return;
    if (c->run_timer != 0)
        env_timer_cancel(c->env, c->run_timer);
    c->run_at_ns = now;
    c->run_timer = env_timer_start(c->env, 0, consumer_run, c);
}

struct consumer *consumer_create(struct env *env, const struct props *config,
                                 consumer_record_fn record_fn, void *record_ctx,
                                 enum ks_err *err_out)
{
    struct consumer_config cc;
    *err_out = consumer_config_from_props(config, &cc);
    if (*err_out != KS_OK)
        return NULL;
    struct consumer *c = ks_alloc(sizeof(*c));
    c->env = env;
    c->config = cc;
    c->record_fn = record_fn;
    c->record_ctx = record_ctx;
    c->net = cnet_create(env, &cc.net, consumer_wake, c);
    return c;
}

static void consumer_free_memory(struct consumer *c)
{
    for (uint32_t i = 0; i < c->request_count; i++)
        free(c->requests[i]);
    free(c);
}

void consumer_close(struct consumer *c)
{
    if (c == NULL)
        return;
    if (c->run_timer != 0)
        env_timer_cancel(c->env, c->run_timer);
    cnet_free(c->net);
    consumer_free_memory(c);
}

void consumer_destroy(struct consumer *c)
{
    if (c == NULL)
        return;
    cnet_destroy(c->net);
    consumer_free_memory(c);
}

void consumer_set_history(struct consumer *c, struct history *history, const char *client_name)
{
    c->history = history;
    if (history == NULL)
        return;
    c->history_client = history_client_register(history, client_name);
    for (uint32_t i = 0; i < c->part_count; i++)
        c->parts[i].history_topic = history_topic_intern(history, c->parts[i].topic);
}

static void consumer_history(struct consumer *c, const struct consumer_part *p, enum history_op op,
                             int64_t offset, enum ks_err result, const struct rb_record *rec)
{
    if (c->history == NULL)
        return;
    struct history_event e;
    memset(&e, 0, sizeof(e));
    e.time_ns = env_mono_ns(c->env);
    e.client = c->history_client;
    e.op = op;
    e.topic = p->history_topic;
    e.partition = p->partition;
    e.offset = offset;
    e.result = result;
    e.high_watermark = p->high_watermark;
    e.producer_id = -1;
    if (rec != NULL) {
        history_event_set_key(&e, rec->key, rec->key_size);
        history_event_set_value(&e, rec->value, rec->value_size);
    }
    history_append(c->history, &e);
}

/* ---- Assignment ----------------------------------------------------------------------- */

static struct consumer_part *consumer_part_find_any(const struct consumer *c, const char *topic,
                                                    int32_t partition)
{
    for (uint32_t i = 0; i < c->part_count; i++) {
        if (c->parts[i].partition == partition && strcmp(c->parts[i].topic, topic) == 0)
            return (struct consumer_part *)&c->parts[i];
    }
    return NULL;
}

/* An assigned partition (not taken away by consumer_unassign), or NULL. */
static struct consumer_part *consumer_part_find(const struct consumer *c, const char *topic,
                                                int32_t partition)
{
    struct consumer_part *p = consumer_part_find_any(c, topic, partition);
    return p != NULL && !p->unassigned ? p : NULL;
}

enum ks_err consumer_unassign(struct consumer *c, const char *topic, int32_t partition)
{
    struct consumer_part *p = consumer_part_find(c, topic, partition);
    if (p == NULL)
        return KS_ERR_NOT_FOUND;
    p->unassigned = true;
    p->state = CONSUMER_PART_RESET_NEEDED; /* answers in flight are stale now */
    p->position = CONSUMER_NO_POSITION;
    KS_ASSERT(consumer_part_find(c, topic, partition) == NULL);
    return KS_OK;
}

enum ks_err consumer_assign(struct consumer *c, const char *topic, int32_t partition)
{
    struct consumer_part *again = consumer_part_find_any(c, topic, partition);
    if (again != NULL && again->unassigned) {
        again->unassigned = false;
        again->retry_at_ns = 0;
        KS_ASSERT(again->state == CONSUMER_PART_RESET_NEEDED);
        consumer_wake(c);
        return KS_OK;
    }
    if (again != NULL)
        return KS_OK;
    if (c->part_count == CONSUMER_PARTS_MAX)
        return KS_ERR_TOO_MANY;
    if (partition < 0 || strlen(topic) == 0 || strlen(topic) > CNET_TOPIC_BYTES_MAX ||
        cnet_want_topic(c->net, topic) != KS_OK)
        return KS_ERR_INVALID_TOPIC_EXCEPTION;
    struct consumer_part *p = &c->parts[c->part_count++];
    memset(p, 0, sizeof(*p));
    snprintf(p->topic, sizeof(p->topic), "%s", topic);
    p->partition = partition;
    p->state = CONSUMER_PART_RESET_NEEDED;
    p->position = CONSUMER_NO_POSITION;
    p->request_node = CNET_NO_NODE;
    p->high_watermark = -1;
    if (c->history != NULL)
        p->history_topic = history_topic_intern(c->history, topic);
    consumer_wake(c);
    return KS_OK;
}

enum ks_err consumer_seek(struct consumer *c, const char *topic, int32_t partition, int64_t offset)
{
    struct consumer_part *p = consumer_part_find(c, topic, partition);
    if (p == NULL)
        return KS_ERR_NOT_FOUND;
    KS_ASSERT(offset >= 0);
    p->position = offset;
    p->state = CONSUMER_PART_FETCHABLE;
    consumer_history(c, p, HISTORY_RESET, offset, KS_OK, NULL);
    consumer_wake(c);
    return KS_OK;
}

int64_t consumer_position(const struct consumer *c, const char *topic, int32_t partition)
{
    const struct consumer_part *p = consumer_part_find(c, topic, partition);
    return p == NULL || p->state != CONSUMER_PART_FETCHABLE ? CONSUMER_NO_POSITION : p->position;
}

/* ---- Requests ------------------------------------------------------------------------- */

static struct consumer_request *consumer_request_new(struct consumer *c, int32_t node,
                                                     bool list_offsets)
{
    KS_ASSERT(c->request_count < CONSUMER_REQUESTS_MAX);
    struct consumer_request *req = ks_alloc(sizeof(*req));
    req->c = c;
    req->node = node;
    req->list_offsets = list_offsets;
    c->requests[c->request_count++] = req;
    return req;
}

static void consumer_request_forget(struct consumer *c, struct consumer_request *req)
{
    for (uint32_t i = 0; i < req->count; i++) {
        struct consumer_part *p = &c->parts[req->parts[i]];
        if (p->request_node == req->node)
            p->request_node = CNET_NO_NODE;
    }
    for (uint32_t i = 0; i < c->request_count; i++) {
        if (c->requests[i] == req) {
            c->requests[i] = c->requests[--c->request_count];
            free(req);
            return;
        }
    }
    KS_UNREACHABLE();
}

/* A partition-level error: refresh metadata and back off, or reset the position. */
static void consumer_part_error(struct consumer *c, struct consumer_part *p, enum ks_err err)
{
    consumer_history(c, p, HISTORY_ERROR, p->position, err, NULL);
    p->retry_at_ns = env_mono_ns(c->env) + (uint64_t)c->config.retry_backoff_ms * NS_PER_MS;
    if (err == KS_ERR_OFFSET_OUT_OF_RANGE) {
        p->state = c->config.auto_offset_reset == CONSUMER_RESET_NONE ? CONSUMER_PART_FAILED
                                                                      : CONSUMER_PART_RESET_NEEDED;
        return;
    }
    if (p->state == CONSUMER_PART_RESETTING)
        p->state = CONSUMER_PART_RESET_NEEDED;
    cnet_metadata_refresh(c->net);
}

static void consumer_list_offsets_done(void *ctx, enum ks_err err, const uint8_t *body,
                                       uint32_t size)
{
    struct consumer_request *req = ctx;
    struct consumer *c = req->c;
    struct api_list_offsets_response resp;
    bool decoded = err == KS_OK && api_list_offsets_response_decode(CNET_LIST_OFFSETS_VERSION, body,
                                                                    size, &resp) == KS_OK;
    KS_ASSERT(req->count == 1);
    struct consumer_part *p = &c->parts[req->parts[0]];
    const struct api_list_offsets_partition_response *pr =
        decoded && resp.topic_count == 1 && resp.topics[0].partition_count == 1
            ? &resp.topics[0].partitions[0]
            : NULL;
    if (p->state == CONSUMER_PART_RESETTING) {
        if (pr != NULL && pr->error_code == KS_OK && pr->offset >= 0) {
            p->position = pr->offset;
            p->state = CONSUMER_PART_FETCHABLE;
            consumer_history(c, p, HISTORY_RESET, p->position, KS_OK, NULL);
        } else {
            consumer_part_error(c, p,
                                pr != NULL     ? (enum ks_err)pr->error_code
                                : err != KS_OK ? err
                                               : KS_ERR_NETWORK_EXCEPTION);
        }
    }
    if (decoded)
        api_list_offsets_response_free(&resp);
    consumer_request_forget(c, req);
    consumer_wake(c);
}

/* OffsetFetcher.resetPositionsIfNeeded: one ListOffsets per partition. */
static void consumer_reset(struct consumer *c, uint32_t index, int32_t node)
{
    struct consumer_part *p = &c->parts[index];
    int32_t epoch = -1;
    (void)cnet_leader(c->net, p->topic, p->partition, &epoch);
    struct api_list_offsets_partition lp = {p->partition, epoch,
                                            c->config.auto_offset_reset == CONSUMER_RESET_EARLIEST
                                                ? API_LIST_OFFSETS_EARLIEST_TIMESTAMP
                                                : API_LIST_OFFSETS_LATEST_TIMESTAMP};
    struct api_list_offsets_topic lt = {wire_string_from(p->topic), 1, &lp};
    struct api_list_offsets_request lr;
    api_list_offsets_request_init(&lr);
    lr.isolation_level = c->config.isolation_level;
    lr.topic_count = 1;
    lr.topics = &lt;
    struct wire_writer w;
    wire_writer_init(&w);
    api_list_offsets_request_encode(&w, CNET_LIST_OFFSETS_VERSION, &lr);
    struct consumer_request *req = consumer_request_new(c, node, true);
    req->parts[req->count++] = index;
    if (cnet_send(c->net, node, API_LIST_OFFSETS, CNET_LIST_OFFSETS_VERSION, &w,
                  consumer_list_offsets_done, req) == KS_OK) {
        p->state = CONSUMER_PART_RESETTING;
        p->request_node = node;
    } else {
        consumer_request_forget(c, req);
    }
    wire_writer_free(&w);
}

/* ---- Fetching ------------------------------------------------------------------------- */

/* Hands the records at or past the position to the application, batch by batch; a
 * partial batch at the end of the answer is left for the next fetch. */
static void consumer_deliver(struct consumer *c, struct consumer_part *p, struct wire_bytes records)
{
    const uint8_t *at = records.bytes;
    size_t left = records.size_bytes > 0 ? (size_t)records.size_bytes : 0;
    for (uint32_t n = 0; n < CONSUMER_BATCHES_PER_FETCH_MAX && left > 0; n++) {
        struct rb_batch batch;
        if (rb_decode(at, left, &batch) != KS_OK)
            break; /* truncated tail or bad bytes: fetch again from the position */
        int64_t last = batch.header.base_offset + batch.header.last_offset_delta;
        bool control = (batch.header.attributes & RB_ATTR_CONTROL) != 0;
        struct rb_iter it;
        struct rb_record rec;
        rb_iter_init(&it, &batch);
        while (!control && rb_iter_next(&it, &rec)) {
            if (rec.offset < p->position)
                continue;
            KS_ASSERT(rec.offset >= p->position);
            consumer_history(c, p, HISTORY_RECEIVE, rec.offset, KS_OK, &rec);
            c->records_received++;
            p->position = rec.offset + 1;
            if (c->record_fn != NULL)
                c->record_fn(c->record_ctx, p->topic, p->partition, &rec);
        }
        if (last + 1 > p->position)
            p->position = last + 1;
        at += batch.size_bytes;
        left -= batch.size_bytes;
        rb_batch_release(&batch);
    }
}

static const struct api_fetch_partition_data *
consumer_fetch_find(const struct api_fetch_multi_response *resp, const char *topic,
                    int32_t partition)
{
    for (uint32_t i = 0; i < resp->topic_count; i++) {
        if (!wire_string_equal_cstr(resp->topics[i].topic, topic))
            continue;
        for (uint32_t j = 0; j < resp->topics[i].partition_count; j++) {
            if (resp->topics[i].partitions[j].partition_index == partition)
                return &resp->topics[i].partitions[j];
        }
    }
    return NULL;
}

static void consumer_fetch_done(void *ctx, enum ks_err err, const uint8_t *body, uint32_t size)
{
    struct consumer_request *req = ctx;
    struct consumer *c = req->c;
    struct api_fetch_multi_response resp;
    bool decoded = err == KS_OK &&
                   api_fetch_multi_response_decode(CNET_FETCH_VERSION, body, size, &resp) == KS_OK;
    if (decoded && resp.error_code != KS_OK)
        err = (enum ks_err)resp.error_code;
    for (uint32_t i = 0; i < req->count; i++) {
        struct consumer_part *p = &c->parts[req->parts[i]];
        if (p->state != CONSUMER_PART_FETCHABLE || p->position != req->positions[i])
            continue; /* sought or reset meanwhile: the answer is stale */
        const struct api_fetch_partition_data *pd =
            decoded && err == KS_OK ? consumer_fetch_find(&resp, p->topic, p->partition) : NULL;
        if (pd == NULL) {
            consumer_part_error(c, p, err != KS_OK ? err : KS_ERR_NETWORK_EXCEPTION);
            continue;
        }
        if (pd->error_code != KS_OK) {
            consumer_part_error(c, p, (enum ks_err)pd->error_code);
            continue;
        }
        p->high_watermark = pd->high_watermark;
        consumer_deliver(c, p, pd->records);
    }
    if (decoded)
        api_fetch_multi_response_free(&resp);
    consumer_request_forget(c, req);
    consumer_wake(c);
}

/* Fetcher.sendFetches for one broker: every fetchable partition it leads. */
static void consumer_fetch(struct consumer *c, int32_t node, const uint32_t *indexes,
                           uint32_t count)
{
    struct api_fetch_partition *fps = ks_alloc(count * sizeof(*fps));
    struct api_fetch_topic *fts = ks_alloc(count * sizeof(*fts));
    uint32_t topic_count = 0;
    struct consumer_request *req = consumer_request_new(c, node, false);
    for (uint32_t i = 0; i < count; i++) {
        struct consumer_part *p = &c->parts[indexes[i]];
        api_fetch_partition_init(&fps[i]);
        fps[i].partition = p->partition;
        (void)cnet_leader(c->net, p->topic, p->partition, &fps[i].current_leader_epoch);
        fps[i].fetch_offset = p->position;
        fps[i].partition_max_bytes = c->config.max_partition_fetch_bytes;
        struct api_fetch_topic *t = topic_count > 0 ? &fts[topic_count - 1] : NULL;
        if (t == NULL || !wire_string_equal_cstr(t->topic, p->topic)) {
            t = &fts[topic_count++];
            memset(t, 0, sizeof(*t));
            t->topic = wire_string_from(p->topic);
            t->partitions = &fps[i];
        }
        t->partition_count++;
        req->parts[req->count] = indexes[i];
        req->positions[req->count++] = p->position;
    }
    struct api_fetch_multi_request fr;
    api_fetch_multi_request_init(&fr);
    fr.max_wait_ms = c->config.fetch_max_wait_ms;
    fr.min_bytes = c->config.fetch_min_bytes;
    fr.max_bytes = c->config.fetch_max_bytes;
    fr.isolation_level = c->config.isolation_level;
    fr.topic_count = topic_count;
    fr.topics = fts;
    struct wire_writer w;
    wire_writer_init(&w);
    api_fetch_multi_request_encode(&w, CNET_FETCH_VERSION, &fr);
    if (cnet_send(c->net, node, API_FETCH, CNET_FETCH_VERSION, &w, consumer_fetch_done, req) ==
        KS_OK) {
        for (uint32_t i = 0; i < count; i++)
            c->parts[indexes[i]].request_node = node;
        c->fetches++;
    } else {
        consumer_request_forget(c, req);
    }
    wire_writer_free(&w);
    free(fps);
    free(fts);
}

static bool consumer_node_busy(const struct consumer *c, int32_t node)
{
    for (uint32_t i = 0; i < c->part_count; i++) {
        if (c->parts[i].request_node == node)
            return true;
    }
    return false;
}

/* Fetches from each leader with nothing in flight; parts grouped by topic order. */
static void consumer_fetch_all(struct consumer *c, uint64_t now)
{
    uint32_t *indexes = ks_alloc(c->part_count * sizeof(*indexes) + 1u);
    bool done[CONSUMER_PARTS_MAX] = {false};
    for (uint32_t i = 0; i < c->part_count; i++) {
        const struct consumer_part *p = &c->parts[i];
        int32_t leader = cnet_leader(c->net, p->topic, p->partition, NULL);
        if (done[i] || p->unassigned || p->state != CONSUMER_PART_FETCHABLE || p->request_node != CNET_NO_NODE ||
            now < p->retry_at_ns || leader == CNET_NO_NODE || consumer_node_busy(c, leader) ||
            !cnet_ready(c->net, leader))
            continue;
        uint32_t count = 0;
        for (uint32_t j = i; j < c->part_count; j++) {
            const struct consumer_part *q = &c->parts[j];
            if (!done[j] && !q->unassigned && q->state == CONSUMER_PART_FETCHABLE &&
                q->request_node == CNET_NO_NODE && now >= q->retry_at_ns &&
                cnet_leader(c->net, q->topic, q->partition, NULL) == leader) {
                indexes[count++] = j;
                done[j] = true;
            }
        }
        consumer_fetch(c, leader, indexes, count);
    }
    free(indexes);
}

/* The earliest backoff still ahead, 0 when none. */
static uint64_t consumer_next_deadline(const struct consumer *c, uint64_t now)
{
    uint64_t next = 0;
    for (uint32_t i = 0; i < c->part_count; i++) {
        uint64_t at = c->parts[i].retry_at_ns;
        if (at > now && (next == 0 || at < next))
            next = at;
    }
    return next;
}

/* KafkaConsumer.poll's loop: resets, metadata, fetches. */
static void consumer_run(void *ctx)
{
    struct consumer *c = ctx;
    c->run_timer = 0;
    uint64_t now = env_mono_ns(c->env);
    bool need_metadata = false;
    for (uint32_t i = 0; i < c->part_count; i++) {
        struct consumer_part *p = &c->parts[i];
        if (p->unassigned)
            continue;
        int32_t leader = cnet_leader(c->net, p->topic, p->partition, NULL);
        need_metadata |= leader == CNET_NO_NODE && p->state != CONSUMER_PART_FAILED;
        if (p->state == CONSUMER_PART_RESET_NEEDED &&
            c->config.auto_offset_reset == CONSUMER_RESET_NONE) {
            p->state = CONSUMER_PART_FAILED;
            consumer_history(c, p, HISTORY_ERROR, CONSUMER_NO_POSITION, KS_ERR_OFFSET_OUT_OF_RANGE,
                             NULL);
            continue;
        }
        if (p->state == CONSUMER_PART_RESET_NEEDED && now >= p->retry_at_ns &&
            leader != CNET_NO_NODE && p->request_node == CNET_NO_NODE && cnet_ready(c->net, leader))
            consumer_reset(c, i, leader);
    }
    if (need_metadata)
        cnet_metadata_refresh(c->net);
    consumer_fetch_all(c, now);
    uint64_t next = consumer_next_deadline(c, now);
    if (next != 0 && c->run_timer == 0) {
        c->run_at_ns = next;
        c->run_timer = env_timer_start(c->env, next - now, consumer_run, c);
    }
}
