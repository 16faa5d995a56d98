/*
 * producer.c: the producer client, see producer.h. Kafka: KafkaProducer,
 * RecordAccumulator, ProducerBatch, Sender, TransactionManager (idempotence only),
 * BuiltInPartitioner.
 */
#include "producer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/bugs.h"
#include "system/proto/api.h"
#include "system/proto/api_init_producer_id.h"
#include "system/proto/api_produce.h"

#define NS_PER_MS 1000000ull
#define PRODUCER_RETRIES_DEFAULT INT32_MAX
#define PRODUCER_RETRY_BACKOFF_MS_DEFAULT 100
#define PRODUCER_RETRY_BACKOFF_MAX_MS_DEFAULT 1000
#define PRODUCER_DELIVERY_TIMEOUT_MS_DEFAULT 120000
#define PRODUCER_LINGER_MS_DEFAULT 0
#define PRODUCER_BATCH_SIZE_DEFAULT 16384
#define PRODUCER_IDEMPOTENT_IN_FLIGHT_MAX 5
#define PRODUCER_JITTER_PERCENT 20u
#define PRODUCER_BACKOFF_SHIFT_MAX 20u
#define PRODUCER_REQUEST_BATCHES_MAX 1024u

/* One Produce (or InitProducerId) request in flight. */
struct producer_request {
    struct producer *p;
    int32_t node;
    bool init_pid;
    uint32_t batch_count;
    struct producer_batch *batches[PRODUCER_REQUEST_BATCHES_MAX];
};

static void producer_run(void *ctx);

const char *producer_batch_state_name(enum producer_batch_state state)
{
    switch (state) {
    case PRODUCER_BATCH_OPEN:
        return "OPEN";
    case PRODUCER_BATCH_SEALED:
        return "SEALED";
    case PRODUCER_BATCH_IN_FLIGHT:
        return "IN_FLIGHT";
    case PRODUCER_BATCH_BACKOFF:
        return "BACKOFF";
    case PRODUCER_BATCH_DONE:
        return "DONE";
    }
    return "?";
}

/* The only place a batch changes state: asserts the transition is one of producer.h's. */
static void producer_batch_set_state(struct producer_batch *b, enum producer_batch_state next)
{
    enum producer_batch_state s = b->state;
    bool legal = (s == PRODUCER_BATCH_OPEN && next != PRODUCER_BATCH_BACKOFF) ||
                 (s == PRODUCER_BATCH_SEALED &&
                  (next == PRODUCER_BATCH_IN_FLIGHT || next == PRODUCER_BATCH_DONE)) ||
                 (s == PRODUCER_BATCH_IN_FLIGHT &&
                  (next == PRODUCER_BATCH_BACKOFF || next == PRODUCER_BATCH_DONE)) ||
                 (s == PRODUCER_BATCH_BACKOFF &&
                  (next == PRODUCER_BATCH_IN_FLIGHT || next == PRODUCER_BATCH_DONE));
    KS_ASSERT(legal);
    KS_ASSERT(s != next);
    if (next == PRODUCER_BATCH_IN_FLIGHT)
        b->part->inflight++;
    if (s == PRODUCER_BATCH_IN_FLIGHT) {
        KS_ASSERT(b->part->inflight > 0);
        b->part->inflight--;
    }
    b->state = next;
}

/* ---- Configuration ------------------------------------------------------------------ */

static enum ks_err producer_config_acks(const struct props *props, int16_t *acks)
{
    const char *v = props_get(props, "acks");
    if (v == NULL || strcmp(v, "all") == 0 || strcmp(v, "-1") == 0)
        *acks = -1;
    else if (strcmp(v, "1") == 0)
        *acks = 1;
    else if (strcmp(v, "0") == 0)
        *acks = 0;
    else
        return KS_ERR_INVALID_CONFIG;
    return KS_OK;
}

static enum ks_err producer_config_numbers(const struct props *props, struct producer_config *out)
{
    int64_t retries, backoff, backoff_max, delivery, linger, batch;
    if (props_get_i64(props, "retries", PRODUCER_RETRIES_DEFAULT, &retries) != KS_OK ||
        props_get_i64(props, "retry.backoff.ms", PRODUCER_RETRY_BACKOFF_MS_DEFAULT, &backoff) !=
            KS_OK ||
        props_get_i64(props, "retry.backoff.max.ms", PRODUCER_RETRY_BACKOFF_MAX_MS_DEFAULT,
                      &backoff_max) != KS_OK ||
        props_get_i64(props, "delivery.timeout.ms", PRODUCER_DELIVERY_TIMEOUT_MS_DEFAULT,
                      &delivery) != KS_OK ||
        props_get_i64(props, "linger.ms", PRODUCER_LINGER_MS_DEFAULT, &linger) != KS_OK ||
        props_get_i64(props, "batch.size", PRODUCER_BATCH_SIZE_DEFAULT, &batch) != KS_OK)
        return KS_ERR_INVALID_CONFIG;
    if (retries < 0 || retries > INT32_MAX || backoff < 0 || backoff > INT32_MAX ||
        backoff_max < backoff || backoff_max > INT32_MAX || delivery <= 0 || delivery > INT32_MAX ||
        linger < 0 || linger > INT32_MAX || batch < 1 || batch > (int64_t)RB_BATCH_SIZE_MAX)
        return KS_ERR_INVALID_CONFIG;
    out->retries = (int32_t)retries;
    out->retry_backoff_ms = (uint32_t)backoff;
    out->retry_backoff_max_ms = (uint32_t)backoff_max;
    out->delivery_timeout_ms = (uint32_t)delivery;
    out->linger_ms = (uint32_t)linger;
    out->batch_size_bytes = (uint32_t)batch;
    return KS_OK;
}

enum ks_err producer_config_from_props(const struct props *props, struct producer_config *out)
{
    memset(out, 0, sizeof(*out));
    bool idem = true;
    if (cnet_config_from_props(props, &out->net) != KS_OK ||
        producer_config_acks(props, &out->acks) != KS_OK ||
        producer_config_numbers(props, out) != KS_OK ||
        props_get_bool(props, "enable.idempotence", true, &idem) != KS_OK)
        return KS_ERR_INVALID_CONFIG;
    bool conflict = out->acks != -1 || out->retries == 0 ||
                    out->net.in_flight_max > PRODUCER_IDEMPOTENT_IN_FLIGHT_MAX;
    bool explicit_idem = props_get(props, "enable.idempotence") != NULL;
    if (idem && conflict && explicit_idem)
        return KS_ERR_INVALID_CONFIG; /* ConfigException, as KafkaProducer throws */
    out->idempotence = idem && !conflict;
    return KS_OK;
}

/* ---- History ------------------------------------------------------------------------ */

void producer_set_history(struct producer *p, struct history *history, const char *client_name)
{
    p->history = history;
    if (history != NULL)
        p->history_client = history_client_register(history, client_name);
}

static bool producer_ordered(const struct producer *p)
{
    return p->config.idempotence || p->config.net.in_flight_max == 1;
}

static void producer_history_send(struct producer *p, struct producer_topic *t, int32_t partition,
                                  struct producer_record *r)
{
    if (p->history == NULL)
        return;
    struct history_event e;
    memset(&e, 0, sizeof(e));
    e.time_ns = env_mono_ns(p->env);
    e.client = p->history_client;
    e.op = HISTORY_SEND;
    e.topic = t->history_topic;
    e.partition = partition;
    e.offset = HISTORY_NO_OFFSET;
    history_event_set_key(&e, r->key, r->key_size);
    history_event_set_value(&e, r->value, r->value_size);
    e.producer_id = p->config.idempotence ? p->producer_id : -1;
    e.acks = p->config.acks;
    e.idempotent = p->config.idempotence;
    e.ordered = producer_ordered(p);
    r->history_send = history_append(p->history, &e);
}

static void producer_history_result(struct producer *p, const struct producer_batch *b,
                                    const struct producer_record *r, int64_t offset,
                                    enum ks_err err)
{
    if (p->history == NULL)
        return;
    struct history_event e;
    memset(&e, 0, sizeof(e));
    e.time_ns = env_mono_ns(p->env);
    e.client = p->history_client;
    e.op = err == KS_OK ? HISTORY_ACK : HISTORY_FAIL;
    e.topic = p->topics[b->part->topic].history_topic;
    e.partition = b->part->partition;
    e.offset = offset;
    e.send_index = r->history_send;
    history_event_set_key(&e, r->key, r->key_size);
    history_event_set_value(&e, r->value, r->value_size);
    e.result = err;
    e.producer_id = p->config.idempotence ? p->producer_id : -1;
    e.acks = p->config.acks;
    e.idempotent = p->config.idempotence;
    e.ordered = producer_ordered(p);
    history_append(p->history, &e);
}

/* ---- Records and batches ------------------------------------------------------------ */

static void producer_record_fill(struct producer_record *r, const uint8_t *key, uint32_t key_size,
                                 const uint8_t *value, uint32_t value_size,
                                 const struct rb_record_header *headers, uint32_t header_count)
{
    size_t total = (size_t)key_size + value_size + 1u;
    for (uint32_t i = 0; i < header_count; i++)
        total += (size_t)headers[i].key_size + headers[i].value_size;
    r->blob = ks_alloc(total);
    uint8_t *at = r->blob;
    if (key != NULL) {
        memcpy(at, key, key_size);
        r->key = at;
        r->key_size = key_size;
        at += key_size;
    }
    if (value != NULL) {
        memcpy(at, value, value_size);
        r->value = at;
        r->value_size = value_size;
        at += value_size;
    }
    for (uint32_t i = 0; i < header_count; i++) {
        memcpy(at, headers[i].key, headers[i].key_size);
        r->headers[i].key = at;
        r->headers[i].key_size = headers[i].key_size;
        at += headers[i].key_size;
        if (headers[i].value != NULL) {
            memcpy(at, headers[i].value, headers[i].value_size);
            r->headers[i].value = at;
            r->headers[i].value_size = headers[i].value_size;
            at += headers[i].value_size;
        }
    }
    r->header_count = header_count;
}

static uint32_t producer_record_size(const struct producer_record *r)
{
    uint32_t size = PRODUCER_RECORD_OVERHEAD_BYTES + r->key_size + r->value_size;
    for (uint32_t i = 0; i < r->header_count; i++)
        size += r->headers[i].key_size + r->headers[i].value_size + 2u;
    return size;
}

static void producer_batch_free(struct producer_batch *b)
{
    for (uint32_t i = 0; i < b->record_count; i++)
        free(b->records[i].blob);
    free(b->records);
    free(b);
}

/* Runs every record's callback and removes the batch from its queue. */
static void producer_batch_complete(struct producer *p, struct producer_batch *b,
                                    int64_t base_offset, enum ks_err err)
{
    producer_batch_set_state(b, PRODUCER_BATCH_DONE);
    struct producer_partition *part = b->part;
    for (uint32_t i = 0; i < part->batch_count; i++) {
        if (part->batches[i] == b) {
            memmove(&part->batches[i], &part->batches[i + 1],
                    (part->batch_count - i - 1) * sizeof(*part->batches));
            part->batch_count--;
            break;
        }
    }
    for (uint32_t i = 0; i < b->record_count; i++) {
        struct producer_record *r = &b->records[i];
        int64_t offset = err != KS_OK || base_offset < 0 ? -1 : base_offset + i;
        producer_history_result(p, b, r, offset, err);
        if (err == KS_OK)
            p->acked_records++;
        else
            p->failed_records++;
        if (r->done != NULL)
            r->done(r->ctx, part->partition, offset, err);
    }
    producer_batch_free(b);
}

static struct producer_batch *producer_batch_new(struct producer *p,
                                                 struct producer_partition *part)
{
    KS_ASSERT(part->batch_count < PRODUCER_BATCHES_MAX);
    struct producer_batch *b = ks_alloc(sizeof(*b));
    b->state = PRODUCER_BATCH_OPEN;
    b->part = part;
    b->created_ns = env_mono_ns(p->env);
    b->base_sequence = RB_NO_SEQUENCE;
    b->size_bytes = RB_HEADER_SIZE;
    part->batches = ks_realloc(part->batches, (part->batch_count + 1) * sizeof(*part->batches));
    part->batches[part->batch_count++] = b;
    return b;
}

/* RecordAccumulator.append: into the open batch when it has room, else a new one. */
static void producer_append(struct producer *p, struct producer_topic *t, int32_t partition,
                            struct producer_record *r)
{
    KS_ASSERT(partition >= 0 && (uint32_t)partition < t->partition_count);
    struct producer_partition *part = &t->partitions[partition];
    struct producer_batch *last =
        part->batch_count > 0 ? part->batches[part->batch_count - 1] : NULL;
    uint32_t size = producer_record_size(r);
    if (last != NULL && last->state == PRODUCER_BATCH_OPEN &&
        (last->size_bytes + size > p->config.batch_size_bytes ||
         last->record_count == PRODUCER_RECORDS_MAX))
        producer_batch_set_state(last, PRODUCER_BATCH_SEALED);
    if (last == NULL || last->state != PRODUCER_BATCH_OPEN)
        last = producer_batch_new(p, part);
    if (last->record_count == last->record_capacity) {
        last->record_capacity = last->record_capacity == 0 ? 8 : last->record_capacity * 2;
        last->records = ks_realloc(last->records, last->record_capacity * sizeof(*last->records));
    }
    producer_history_send(p, t, partition, r);
    last->records[last->record_count++] = *r;
    last->size_bytes += size;
    p->sent_records++;
}

/* Whether a keyless record for partition would open a new batch (KIP-480 switch). */
static bool producer_needs_new_batch(const struct producer *p,
                                     const struct producer_partition *part, uint32_t size)
{
    if (part->batch_count == 0)
        return true;
    const struct producer_batch *last = part->batches[part->batch_count - 1];
    return last->state != PRODUCER_BATCH_OPEN ||
           last->size_bytes + size > p->config.batch_size_bytes;
}

static int32_t producer_partition_for(struct producer *p, struct producer_topic *t,
                                      const struct producer_record *r)
{
    if (r->key != NULL)
        return partitioner_partition_for_key(r->key, r->key_size, t->partition_count);
    int32_t sticky = partitioner_sticky_partition(&t->sticky, p->env, t->partition_count);
    if (producer_needs_new_batch(p, &t->partitions[sticky], producer_record_size(r)) &&
        t->partitions[sticky].batch_count > 0) {
        partitioner_sticky_on_new_batch(&t->sticky, p->env, sticky, t->partition_count);
        sticky = partitioner_sticky_partition(&t->sticky, p->env, t->partition_count);
    }
    return sticky;
}

/* Partitions a topic's waiting records once its metadata is known. */
static void producer_topic_ready(struct producer *p, struct producer_topic *t)
{
    const struct cnet_topic *ct = cnet_topic(p->net, t->name);
    if (t->partition_count != 0 || ct == NULL || ct->partition_count == 0)
        return;
    t->partition_count = ct->partition_count;
    t->partitions = ks_alloc(t->partition_count * sizeof(*t->partitions));
    for (uint32_t i = 0; i < t->partition_count; i++) {
        t->partitions[i].topic = (uint32_t)(t - p->topics);
        t->partitions[i].partition = (int32_t)i;
        t->partitions[i].last_acked_sequence = -1;
    }
    for (uint32_t i = 0; i < t->pending_count; i++)
        producer_append(p, t, producer_partition_for(p, t, &t->pending[i]), &t->pending[i]);
    free(t->pending);
    t->pending = NULL;
    t->pending_count = 0;
}

/* ---- Lifecycle ---------------------------------------------------------------------- */

static void producer_wake(void *ctx)
{
    struct producer *p = ctx;
    uint64_t now = env_mono_ns(p->env);
    if (p->run_timer != 0 && p->run_at_ns <= now)
        return;
    if (p->run_timer != 0)
        env_timer_cancel(p->env, p->run_timer);
    p->run_at_ns = now;
    p->run_timer = env_timer_start(p->env, 0, producer_run, p);
}

struct producer *producer_create(struct env *env, const struct props *config, enum ks_err *err_out)
{
    struct producer_config pc;
    *err_out = producer_config_from_props(config, &pc);
    if (*err_out != KS_OK)
        return NULL;
    struct producer *p = ks_alloc(sizeof(*p));
    p->env = env;
    p->config = pc;
    p->net = cnet_create(env, &pc.net, producer_wake, p);
    p->producer_id = RB_NO_PRODUCER_ID;
    p->producer_epoch = RB_NO_PRODUCER_EPOCH;
    p->pid_state = PRODUCER_PID_NONE;
    return p;
}

static void producer_free_memory(struct producer *p, bool callbacks)
{
    for (uint32_t i = 0; i < p->topic_count; i++) {
        struct producer_topic *t = &p->topics[i];
        for (uint32_t j = 0; j < t->partition_count; j++) {
            struct producer_partition *part = &t->partitions[j];
            while (part->batch_count > 0) {
                struct producer_batch *b = part->batches[0];
                if (callbacks) {
                    if (b->state == PRODUCER_BATCH_IN_FLIGHT)
                        producer_batch_set_state(b, PRODUCER_BATCH_BACKOFF);
                    producer_batch_complete(p, b, -1, KS_ERR_CLOSED);
                } else {
                    producer_batch_free(b);
                    memmove(&part->batches[0], &part->batches[1],
                            (part->batch_count - 1) * sizeof(*part->batches));
                    part->batch_count--;
                }
            }
            free(part->batches);
        }
        for (uint32_t j = 0; j < t->pending_count; j++)
            free(t->pending[j].blob);
        free(t->pending);
        free(t->partitions);
    }
    for (uint32_t i = 0; i < p->request_count; i++)
        free(p->requests[i]);
    free(p);
}

void producer_close(struct producer *p)
{
    if (p == NULL)
        return;
    if (p->run_timer != 0)
        env_timer_cancel(p->env, p->run_timer);
    cnet_free(p->net);
    p->net = NULL;
    producer_free_memory(p, true);
}

void producer_destroy(struct producer *p)
{
    if (p == NULL)
        return;
    cnet_destroy(p->net);
    producer_free_memory(p, false);
}

static struct producer_topic *producer_topic_get(struct producer *p, const char *topic)
{
    for (uint32_t i = 0; i < p->topic_count; i++) {
        if (strcmp(p->topics[i].name, topic) == 0)
            return &p->topics[i];
    }
    size_t n = strlen(topic);
    if (n == 0 || n > CNET_TOPIC_BYTES_MAX || p->topic_count == PRODUCER_TOPICS_MAX ||
        cnet_want_topic(p->net, topic) != KS_OK)
        return NULL;
    struct producer_topic *t = &p->topics[p->topic_count++];
    memset(t, 0, sizeof(*t));
    memcpy(t->name, topic, n + 1);
    partitioner_sticky_init(&t->sticky);
    if (p->history != NULL)
        t->history_topic = history_topic_intern(p->history, topic);
    return t;
}

enum ks_err producer_send(struct producer *p, const char *topic, const uint8_t *key,
                          uint32_t key_size, const uint8_t *value, uint32_t value_size,
                          const struct rb_record_header *headers, uint32_t header_count,
                          producer_send_done_fn done, void *ctx)
{
    KS_ASSERT(p->net != NULL);
    if (header_count > PRODUCER_HEADERS_MAX)
        return KS_ERR_TOO_MANY;
    struct producer_topic *t = producer_topic_get(p, topic);
    if (t == NULL)
        return KS_ERR_INVALID_TOPIC_EXCEPTION;
    if (t->partition_count == 0 && t->pending_count == PRODUCER_PENDING_MAX)
        return KS_ERR_TOO_MANY;
    struct producer_record r;
    memset(&r, 0, sizeof(r));
    producer_record_fill(&r, key, key_size, value, value_size, headers, header_count);
    r.timestamp_ms = env_wall_ms(p->env);
    r.done = done;
    r.ctx = ctx;
    if (t->partition_count == 0) {
        t->pending = ks_realloc(t->pending, (t->pending_count + 1) * sizeof(*t->pending));
        t->pending[t->pending_count++] = r;
    } else {
        int32_t partition = producer_partition_for(p, t, &r);
        if (t->partitions[partition].batch_count == PRODUCER_BATCHES_MAX) {
            free(r.blob);
            return KS_ERR_TOO_MANY;
        }
        producer_append(p, t, partition, &r);
    }
    producer_wake(p);
    return KS_OK;
}

void producer_flush(struct producer *p)
{
    p->flushing = true;
    producer_wake(p);
}

uint64_t producer_unfinished(const struct producer *p)
{
    uint64_t pending = 0;
    for (uint32_t i = 0; i < p->topic_count; i++)
        pending += p->topics[i].pending_count;
    KS_ASSERT(p->sent_records >= p->acked_records + p->failed_records);
    return p->sent_records - p->acked_records - p->failed_records + pending;
}

/* ---- Sender: answers ---------------------------------------------------------------- */

static void producer_request_forget(struct producer *p, struct producer_request *req)
{
    for (uint32_t i = 0; i < p->request_count; i++) {
        if (p->requests[i] == req) {
            p->requests[i] = p->requests[--p->request_count];
            free(req);
            return;
        }
    }
    KS_UNREACHABLE();
}

static struct producer_request *producer_request_new(struct producer *p, int32_t node)
{
    KS_ASSERT(p->request_count < PRODUCER_REQUESTS_MAX);
    struct producer_request *req = ks_alloc(sizeof(*req));
    req->p = p;
    req->node = node;
    p->requests[p->request_count++] = req;
    return req;
}

/* Sender.canRetry's error list: Kafka's RetriableException subclasses. */
static bool producer_err_retriable(enum ks_err err)
{
    switch (err) {
    case KS_ERR_CORRUPT_MESSAGE:
    case KS_ERR_UNKNOWN_TOPIC_OR_PARTITION:
    case KS_ERR_LEADER_NOT_AVAILABLE:
    case KS_ERR_NOT_LEADER_OR_FOLLOWER:
    case KS_ERR_REQUEST_TIMED_OUT:
    case KS_ERR_NETWORK_EXCEPTION:
    case KS_ERR_NOT_ENOUGH_REPLICAS:
    case KS_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case KS_ERR_KAFKA_STORAGE_ERROR:
    case KS_ERR_FENCED_LEADER_EPOCH:
    case KS_ERR_UNKNOWN_LEADER_EPOCH:
        return true;
    default:
        return false;
    }
}

static bool producer_err_needs_metadata(enum ks_err err)
{
    return err == KS_ERR_UNKNOWN_TOPIC_OR_PARTITION || err == KS_ERR_LEADER_NOT_AVAILABLE ||
           err == KS_ERR_NOT_LEADER_OR_FOLLOWER || err == KS_ERR_NETWORK_EXCEPTION ||
           err == KS_ERR_REQUEST_TIMED_OUT || err == KS_ERR_FENCED_LEADER_EPOCH ||
           err == KS_ERR_UNKNOWN_LEADER_EPOCH || err == KS_ERR_KAFKA_STORAGE_ERROR;
}

/* retry.backoff.ms * 2^(attempts-1), capped, with +-20% jitter (KIP-580). */
static uint64_t producer_backoff_ns(struct producer *p, uint32_t attempts)
{
    uint32_t shift = attempts == 0 ? 0 : attempts - 1;
    if (shift > PRODUCER_BACKOFF_SHIFT_MAX)
        shift = PRODUCER_BACKOFF_SHIFT_MAX;
    uint64_t ms = (uint64_t)p->config.retry_backoff_ms << shift;
    if (ms > p->config.retry_backoff_max_ms)
        ms = p->config.retry_backoff_max_ms;
    uint64_t percent = 100u - PRODUCER_JITTER_PERCENT +
                       env_random_below(p->env, 2u * PRODUCER_JITTER_PERCENT + 1u);
    return ms * NS_PER_MS * percent / 100u;
}

static void producer_bump_epoch(struct producer *p)
{
    KS_ASSERT(p->config.idempotence);
    if (p->pid_state == PRODUCER_PID_READY)
        p->pid_state = PRODUCER_PID_BUMP_WAIT;
}

static void producer_batch_retry(struct producer *p, struct producer_batch *b, enum ks_err err)
{
    uint64_t now = env_mono_ns(p->env);
    bool timed_out = now >= b->created_ns + (uint64_t)p->config.delivery_timeout_ms * NS_PER_MS;
    if (b->attempts > (uint32_t)p->config.retries || timed_out) {
        producer_batch_set_state(b, PRODUCER_BATCH_BACKOFF);
        if (p->config.idempotence)
            producer_bump_epoch(p);
        producer_batch_complete(p, b, -1, timed_out ? KS_ERR_REQUEST_TIMED_OUT : err);
        return;
    }
    producer_batch_set_state(b, PRODUCER_BATCH_BACKOFF);
    b->retry_at_ns = now + producer_backoff_ns(p, b->attempts);
    p->retries_done++;
    if (producer_err_needs_metadata(err))
        cnet_metadata_refresh(p->net);
}

/* Sender.completeBatch: one batch's answer. */
static void producer_batch_answer(struct producer *p, struct producer_batch *b, enum ks_err err,
                                  int64_t base_offset)
{
    KS_ASSERT(b->state == PRODUCER_BATCH_IN_FLIGHT);
    struct producer_partition *part = b->part;
    bool idem = p->config.idempotence;
    if (err == KS_OK || err == KS_ERR_DUPLICATE_SEQUENCE_NUMBER) {
        if (idem) {
            int32_t last = b->base_sequence + (int32_t)b->record_count - 1;
            if (last > part->last_acked_sequence)
                part->last_acked_sequence = last;
        }
        producer_batch_complete(p, b, err == KS_OK ? base_offset : -1, KS_OK);
    } else if (idem && err == KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER &&
               b->base_sequence != part->last_acked_sequence + 1) {
        producer_batch_retry(p, b, err); /* an earlier batch failed: ours follows it */
    } else if (idem && err == KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER) {
        producer_bump_epoch(p); /* the broker lost our state: fail, new epoch (KIP-360) */
        producer_batch_set_state(b, PRODUCER_BATCH_BACKOFF);
        producer_batch_complete(p, b, -1, err);
    } else if (idem &&
               (err == KS_ERR_UNKNOWN_PRODUCER_ID || err == KS_ERR_INVALID_PRODUCER_EPOCH)) {
        producer_bump_epoch(p);
        producer_batch_retry(p, b, err);
    } else if (producer_err_retriable(err)) {
        producer_batch_retry(p, b, err);
    } else {
        producer_batch_set_state(b, PRODUCER_BATCH_BACKOFF);
        if (idem)
            producer_bump_epoch(p);
        producer_batch_complete(p, b, -1, err);
    }
}

static const struct api_produce_partition_response *
producer_response_find(const struct api_produce_response *resp, const char *topic,
                       int32_t partition)
{
    for (uint32_t i = 0; i < resp->topic_count; i++) {
        if (!wire_string_equal_cstr(resp->topics[i].name, topic))
            continue;
        for (uint32_t j = 0; j < resp->topics[i].partition_count; j++) {
            if (resp->topics[i].partitions[j].index == partition)
                return &resp->topics[i].partitions[j];
        }
    }
    return NULL;
}

static void producer_produce_done(void *ctx, enum ks_err err, const uint8_t *body, uint32_t size)
{
    struct producer_request *req = ctx;
    struct producer *p = req->p;
    struct api_produce_response resp;
    bool decoded = err == KS_OK &&
                   api_produce_response_decode(CNET_PRODUCE_VERSION, body, size, &resp) == KS_OK;
    for (uint32_t i = 0; i < req->batch_count; i++) {
        struct producer_batch *b = req->batches[i];
        const struct api_produce_partition_response *pr =
            decoded
                ? producer_response_find(&resp, p->topics[b->part->topic].name, b->part->partition)
                : NULL;
        if (pr != NULL)
            producer_batch_answer(p, b, (enum ks_err)pr->error_code, pr->base_offset);
        else
            producer_batch_answer(p, b, err != KS_OK ? err : KS_ERR_NETWORK_EXCEPTION, -1);
    }
    if (decoded)
        api_produce_response_free(&resp);
    producer_request_forget(p, req);
    producer_wake(p);
}

/* ---- Sender: producer ids ------------------------------------------------------------ */

static void producer_resequence(struct producer *p)
{
    for (uint32_t i = 0; i < p->topic_count; i++) {
        for (uint32_t j = 0; j < p->topics[i].partition_count; j++) {
            struct producer_partition *part = &p->topics[i].partitions[j];
            KS_ASSERT(part->inflight == 0);
            part->next_sequence = 0;
            part->last_acked_sequence = -1;
            for (uint32_t k = 0; k < part->batch_count; k++)
                part->batches[k]->base_sequence = RB_NO_SEQUENCE;
        }
    }
}

static void producer_init_pid_done(void *ctx, enum ks_err err, const uint8_t *body, uint32_t size)
{
    struct producer_request *req = ctx;
    struct producer *p = req->p;
    KS_ASSERT(p->pid_state == PRODUCER_PID_REQUESTING);
    struct api_init_producer_id_response resp;
    if (err == KS_OK)
        err =
            api_init_producer_id_response_decode(CNET_INIT_PRODUCER_ID_VERSION, body, size, &resp);
    if (err == KS_OK)
        err = (enum ks_err)resp.error_code;
    if (err == KS_OK) {
        bool bump = p->producer_id == resp.producer_id;
        p->producer_id = resp.producer_id;
        p->producer_epoch = resp.producer_epoch;
        producer_resequence(p);
        p->epoch_bumps += bump;
        env_tracef(p->env, "producer.pid", "id=%lld epoch=%d", (long long)p->producer_id,
                   p->producer_epoch);
    }
    p->pid_state = err == KS_OK          ? PRODUCER_PID_READY
                   : p->producer_id >= 0 ? PRODUCER_PID_BUMP_WAIT
                                         : PRODUCER_PID_NONE;
    producer_request_forget(p, req);
    producer_wake(p);
}

/* Asks for a producer id, or (with one) for a bumped epoch (InitProducerId v3+). */
static void producer_init_pid(struct producer *p)
{
    int32_t node = cnet_any_ready(p->net);
    if (node == CNET_NO_NODE)
        return;
    struct api_init_producer_id_request ir;
    api_init_producer_id_request_init(&ir);
    ir.producer_id = p->producer_id;
    ir.producer_epoch = p->producer_epoch;
    struct wire_writer w;
    wire_writer_init(&w);
    api_init_producer_id_request_encode(&w, CNET_INIT_PRODUCER_ID_VERSION, &ir);
    struct producer_request *req = producer_request_new(p, node);
    req->init_pid = true;
    if (cnet_send(p->net, node, API_INIT_PRODUCER_ID, CNET_INIT_PRODUCER_ID_VERSION, &w,
                  producer_init_pid_done, req) == KS_OK)
        p->pid_state = PRODUCER_PID_REQUESTING;
    else
        producer_request_forget(p, req);
    wire_writer_free(&w);
}

static uint32_t producer_inflight_total(const struct producer *p)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->topic_count; i++) {
        for (uint32_t j = 0; j < p->topics[i].partition_count; j++)
            n += p->topics[i].partitions[j].inflight;
    }
    return n;
}

/* Whether batches may go; otherwise moves the producer id along. */
static bool producer_pid_usable(struct producer *p)
{
    if (!p->config.idempotence)
        return true;
    if (p->pid_state == PRODUCER_PID_NONE)
        producer_init_pid(p);
    else if (p->pid_state == PRODUCER_PID_BUMP_WAIT && producer_inflight_total(p) == 0)
        producer_init_pid(p);
    return p->pid_state == PRODUCER_PID_READY;
}

/* ---- Sender: draining --------------------------------------------------------------- */

static bool producer_batch_ready(const struct producer *p, const struct producer_batch *b,
                                 uint64_t now)
{
    switch (b->state) {
    case PRODUCER_BATCH_OPEN:
        return p->flushing || now >= b->created_ns + (uint64_t)p->config.linger_ms * NS_PER_MS;
    case PRODUCER_BATCH_SEALED:
        return true;
    case PRODUCER_BATCH_BACKOFF:
        return now >= b->retry_at_ns;
    case PRODUCER_BATCH_IN_FLIGHT:
    case PRODUCER_BATCH_DONE:
        return false;
    }
    KS_UNREACHABLE();
}

/* The partition's next batch to send, if one is ready: queue order, a batch in
 * backoff holds back the rest. */
static struct producer_batch *producer_partition_next(const struct producer *p,
                                                      const struct producer_partition *part,
                                                      uint64_t now)
{
    if (part->inflight >= p->config.net.in_flight_max)
        return NULL;
    for (uint32_t i = 0; i < part->batch_count; i++) {
        struct producer_batch *b = part->batches[i];
        if (b->state == PRODUCER_BATCH_IN_FLIGHT)
            continue;
        return producer_batch_ready(p, b, now) ? b : NULL;
    }
    return NULL;
}

/* Builds the batch's bytes: sequences are kept across retries (the same bytes). */
static uint8_t *producer_batch_encode(struct producer *p, struct producer_batch *b, uint32_t *size)
{
    struct producer_partition *part = b->part;
    if (p->config.idempotence && b->base_sequence == RB_NO_SEQUENCE) {
        b->base_sequence = part->next_sequence;
        b->producer_epoch = p->producer_epoch;
        part->next_sequence += (int32_t)b->record_count;
    }
    struct rb_builder rb;
    rb_builder_init(&rb, RB_COMPRESSION_NONE);
    bool planted =
        b->attempts > 0 && env_bug(p->env, KS_BUG_PRODUCER_RETRY_WITHOUT_IDEMPOTENCE_SEQUENCE);
    if (p->config.idempotence && !planted)
        rb_builder_set_producer(&rb, p->producer_id, b->producer_epoch, b->base_sequence);
    for (uint32_t i = 0; i < b->record_count; i++) {
        const struct producer_record *r = &b->records[i];
        struct rb_record_input in = {r->timestamp_ms, r->key,     r->key_size,    r->value,
                                     r->value_size,   r->headers, r->header_count};
        enum ks_err err = rb_builder_append(&rb, &in);
        KS_ASSERT(err == KS_OK); /* bounded by batch.size and PRODUCER_RECORDS_MAX */
    }
    uint8_t *bytes = NULL;
    enum ks_err err = rb_builder_finish(&rb, &bytes, size);
    KS_ASSERT(err == KS_OK);
    rb_builder_release(&rb);
    return bytes;
}

/* Sends one Produce request holding the batches collected for a node. */
static void producer_send_request(struct producer *p, struct producer_request *req)
{
    struct api_produce_partition parts[PRODUCER_REQUEST_BATCHES_MAX];
    struct api_produce_topic topics[PRODUCER_TOPICS_MAX];
    uint8_t *bytes[PRODUCER_REQUEST_BATCHES_MAX];
    uint32_t topic_count = 0;
    for (uint32_t ti = 0; ti < p->topic_count; ti++) {
        uint32_t first = 0, n = 0;
        for (uint32_t i = 0; i < req->batch_count; i++) {
            struct producer_batch *b = req->batches[i];
            if (b->part->topic != ti)
                continue;
            uint32_t size = 0;
            bytes[i] = producer_batch_encode(p, b, &size);
            if (n == 0)
                first = i;
            parts[i] =
                (struct api_produce_partition){b->part->partition, {bytes[i], (int32_t)size}};
            n++;
        }
        (void)first;
        if (n > 0)
            topics[topic_count++] =
                (struct api_produce_topic){wire_string_from(p->topics[ti].name), 0, NULL};
    }
    /* batches are collected topic by topic (see producer_drain), so each topic's are adjacent */
    uint32_t at = 0;
    for (uint32_t t = 0; t < topic_count; t++) {
        topics[t].partitions = &parts[at];
        while (at < req->batch_count &&
               strcmp(p->topics[req->batches[at]->part->topic].name, topics[t].name.chars) == 0) {
            topics[t].partition_count++;
            at++;
        }
    }
    KS_ASSERT(at == req->batch_count);
    struct api_produce_request pr;
    api_produce_request_init(&pr);
    pr.acks = p->config.acks;
    pr.timeout_ms = (int32_t)p->config.net.request_timeout_ms;
    pr.topic_count = topic_count;
    pr.topics = topics;
    struct wire_writer w;
    wire_writer_init(&w);
    api_produce_request_encode(&w, CNET_PRODUCE_VERSION, &pr);
    for (uint32_t i = 0; i < req->batch_count; i++)
        free(bytes[i]);
    bool answer = p->config.acks != 0;
    enum ks_err err = cnet_send(p->net, req->node, API_PRODUCE, CNET_PRODUCE_VERSION, &w,
                                answer ? producer_produce_done : NULL, req);
    wire_writer_free(&w);
    p->produce_requests++;
    for (uint32_t i = 0; i < req->batch_count; i++) {
        producer_batch_set_state(req->batches[i], PRODUCER_BATCH_IN_FLIGHT);
        req->batches[i]->attempts++;
    }
    if (err != KS_OK || !answer) {
        for (uint32_t i = 0; i < req->batch_count; i++)
            producer_batch_answer(p, req->batches[i],
                                  err == KS_OK ? KS_OK : KS_ERR_NETWORK_EXCEPTION, -1);
        producer_request_forget(p, req);
    }
}

/* Sender.sendProducerData: one request per ready broker with each partition's next
 * batch. Returns whether anything was sent. */
static bool producer_drain(struct producer *p, uint64_t now)
{
    struct producer_request *by_node[CNET_BROKERS_MAX];
    uint32_t node_count = 0;
    bool need_metadata = false;
    for (uint32_t ti = 0; ti < p->topic_count; ti++) {
        struct producer_topic *t = &p->topics[ti];
        for (uint32_t j = 0; j < t->partition_count; j++) {
            struct producer_batch *b = producer_partition_next(p, &t->partitions[j], now);
            if (b == NULL)
                continue;
            int32_t leader = cnet_leader(p->net, t->name, (int32_t)j, NULL);
            if (leader == CNET_NO_NODE) {
                need_metadata = true;
                continue;
            }
            struct producer_request *req = NULL;
            for (uint32_t k = 0; k < node_count && req == NULL; k++)
                req = by_node[k]->node == leader ? by_node[k] : NULL;
            if (req == NULL) {
                if (!cnet_ready(p->net, leader) || p->request_count == PRODUCER_REQUESTS_MAX)
                    continue;
                req = by_node[node_count++] = producer_request_new(p, leader);
            }
            if (req->batch_count < PRODUCER_REQUEST_BATCHES_MAX)
                req->batches[req->batch_count++] = b;
        }
    }
    if (need_metadata)
        cnet_metadata_refresh(p->net);
    for (uint32_t k = 0; k < node_count; k++)
        producer_send_request(p, by_node[k]);
    return node_count > 0;
}

/* Fails batches past delivery.timeout.ms that are not in flight. */
static void producer_expire(struct producer *p, uint64_t now)
{
    uint64_t timeout = (uint64_t)p->config.delivery_timeout_ms * NS_PER_MS;
    for (uint32_t ti = 0; ti < p->topic_count; ti++) {
        for (uint32_t j = 0; j < p->topics[ti].partition_count; j++) {
            struct producer_partition *part = &p->topics[ti].partitions[j];
            for (uint32_t i = 0; i < part->batch_count;) {
                struct producer_batch *b = part->batches[i];
                if (b->state == PRODUCER_BATCH_IN_FLIGHT || now < b->created_ns + timeout) {
                    i++;
                    continue;
                }
                if (p->config.idempotence && b->base_sequence != RB_NO_SEQUENCE)
                    producer_bump_epoch(p);
                producer_batch_complete(p, b, -1, KS_ERR_REQUEST_TIMED_OUT);
            }
        }
    }
}

/* When the sender must look again: the earliest linger, backoff or delivery deadline
 * still ahead. 0: none. */
static uint64_t producer_next_deadline(const struct producer *p, uint64_t now)
{
    uint64_t next = 0;
    for (uint32_t ti = 0; ti < p->topic_count; ti++) {
        for (uint32_t j = 0; j < p->topics[ti].partition_count; j++) {
            const struct producer_partition *part = &p->topics[ti].partitions[j];
            for (uint32_t i = 0; i < part->batch_count; i++) {
                const struct producer_batch *b = part->batches[i];
                uint64_t at[3] = {b->created_ns +
                                      (uint64_t)p->config.delivery_timeout_ms * NS_PER_MS,
                                  b->state == PRODUCER_BATCH_OPEN
                                      ? b->created_ns + (uint64_t)p->config.linger_ms * NS_PER_MS
                                      : 0,
                                  b->state == PRODUCER_BATCH_BACKOFF ? b->retry_at_ns : 0};
                for (uint32_t k = 0; k < 3; k++) {
                    if (at[k] > now && (next == 0 || at[k] < next))
                        next = at[k];
                }
                if (b->state == PRODUCER_BATCH_IN_FLIGHT)
                    continue;
            }
        }
    }
    return next;
}

static bool producer_queues_empty(const struct producer *p)
{
    for (uint32_t ti = 0; ti < p->topic_count; ti++) {
        for (uint32_t j = 0; j < p->topics[ti].partition_count; j++) {
            if (p->topics[ti].partitions[j].batch_count > 0)
                return false;
        }
    }
    return true;
}

/* Sender.runOnce. */
static void producer_run(void *ctx)
{
    struct producer *p = ctx;
    p->run_timer = 0;
    uint64_t now = env_mono_ns(p->env);
    for (uint32_t i = 0; i < p->topic_count; i++)
        producer_topic_ready(p, &p->topics[i]);
    producer_expire(p, now);
    bool sent = producer_pid_usable(p) && producer_drain(p, now);
    if (p->flushing && producer_queues_empty(p))
        p->flushing = false;
    if (sent) {
        producer_wake(p);
        return;
    }
    uint64_t next = producer_next_deadline(p, now);
    if (next != 0 && p->run_timer == 0) {
        p->run_at_ns = next;
        p->run_timer = env_timer_start(p->env, next - now, producer_run, p);
    }
}
