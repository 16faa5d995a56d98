/*
 * fetcher.c: the replica fetcher towards one leader, see fetcher.h. Kafka:
 * ReplicaFetcherThread, AbstractFetcherThread.
 */
#include "fetcher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/bugs.h"
#include "system/log/rb.h"
#include "system/proto/api.h"
#include "system/proto/api_fetch.h"
#include "system/proto/api_list_offsets.h"

#define FETCHER_NS_PER_MS 1000000ull
#define FETCHER_BATCHES_MAX (1u << 24)
#define FETCHER_CLIENT_ID "replica-fetcher"

static const char *const fetcher_state_names[] = {"idle", "connecting", "await_response",
                                                  "backoff"};

static void fetcher_kick(struct fetcher *f);

void fetcher_config_default(struct fetcher_config *config, int32_t broker_id)
{
    memset(config, 0, sizeof(*config));
    config->broker_id = broker_id;
    config->fetch_max_bytes = 1048576;
    config->fetch_response_max_bytes = 10485760;
    config->fetch_wait_max_ms = 500;
    config->fetch_min_bytes = 1;
    config->fetch_backoff_ms = 1000;
}

static bool fetcher_transition_legal(enum fetcher_state from, enum fetcher_state to)
{
    switch (to) {
    case FETCHER_CONNECTING:
        return from == FETCHER_IDLE;
    case FETCHER_AWAIT_RESPONSE:
        return from == FETCHER_IDLE || from == FETCHER_CONNECTING;
    case FETCHER_IDLE:
    case FETCHER_BACKOFF:
        return true;
    }
    return false;
}

static void fetcher_set_state(struct fetcher *f, enum fetcher_state to)
{
    KS_ASSERT(fetcher_transition_legal(f->state, to));
    if (f->state != to && (to == FETCHER_BACKOFF || to == FETCHER_CONNECTING))
        env_tracef(f->env, "repl.fetcher", "leader=%d %s -> %s", f->leader_id,
                   fetcher_state_names[f->state], fetcher_state_names[to]);
    f->state = to;
}

struct fetcher *fetcher_create(struct env *env, const struct fetcher_config *config,
                               int32_t leader_id, const char *host, uint16_t port)
{
    KS_ASSERT(leader_id >= 0);
    KS_ASSERT(leader_id != config->broker_id);
    struct fetcher *f = ks_alloc(sizeof(*f));
    f->env = env;
    f->config = *config;
    f->leader_id = leader_id;
    snprintf(f->host, sizeof(f->host), "%s", host);
    f->port = port;
    f->state = FETCHER_IDLE;
    frame_splitter_init(&f->splitter, FETCHER_FRAME_BYTES_MAX);
    return f;
}

static void fetcher_release(struct fetcher *f)
{
    frame_splitter_free(&f->splitter);
    free(f->parts);
    free(f->sent);
    free(f);
}

void fetcher_free(struct fetcher *f)
{
    if (f->conn != 0)
        env_close(f->env, f->conn);
    if (f->timer != 0)
        env_timer_cancel(f->env, f->timer);
    fetcher_release(f);
}

void fetcher_destroy(struct fetcher *f)
{
    fetcher_release(f);
}

/* Drops the connection (and any request on it). */
static void fetcher_disconnect(struct fetcher *f)
{
    if (f->conn != 0)
        env_close(f->env, f->conn);
    f->conn = 0;
    f->conn_open = false;
    f->sent_count = 0;
    frame_splitter_free(&f->splitter);
    frame_splitter_init(&f->splitter, FETCHER_FRAME_BYTES_MAX);
}

void fetcher_set_endpoint(struct fetcher *f, const char *host, uint16_t port)
{
    if (strcmp(f->host, host) == 0 && f->port == port)
        return;
    snprintf(f->host, sizeof(f->host), "%s", host);
    f->port = port;
    fetcher_disconnect(f);
    if (f->state == FETCHER_CONNECTING || f->state == FETCHER_AWAIT_RESPONSE)
        fetcher_set_state(f, FETCHER_IDLE);
    fetcher_kick(f);
}

bool fetcher_has(const struct fetcher *f, const struct part *p)
{
    for (uint32_t i = 0; i < f->part_count; i++) {
        if (f->parts[i] == p)
            return true;
    }
    return false;
}

void fetcher_add(struct fetcher *f, struct part *p)
{
    KS_ASSERT(!fetcher_has(f, p));
    KS_ASSERT(f->part_count < FETCHER_PARTS_MAX);
    f->parts = ks_realloc(f->parts, (f->part_count + 1) * sizeof(*f->parts));
    f->parts[f->part_count++] = p;
    fetcher_kick(f);
}

void fetcher_remove(struct fetcher *f, const struct part *p)
{
    for (uint32_t i = 0; i < f->part_count; i++) {
        if (f->parts[i] == p) {
            memmove(&f->parts[i], &f->parts[i + 1], (f->part_count - i - 1) * sizeof(*f->parts));
            f->part_count--;
            break;
        }
    }
    for (uint32_t i = 0; i < f->sent_count; i++) {
        if (f->sent[i].part == p)
            f->sent[i].part = NULL; /* its answer is ignored */
    }
    KS_ASSERT(!fetcher_has(f, p));
}

/* ---- Timers ------------------------------------------------------------------------- */

static void fetcher_timer_fire(void *ctx)
{
    struct fetcher *f = ctx;
    f->timer = 0;
    if (f->state == FETCHER_BACKOFF)
        fetcher_set_state(f, FETCHER_IDLE);
    fetcher_kick(f);
}

static void fetcher_backoff(struct fetcher *f)
{
    fetcher_set_state(f, FETCHER_BACKOFF);
    if (f->timer != 0)
        env_timer_cancel(f->env, f->timer);
    f->timer = env_timer_start(f->env, (uint64_t)f->config.fetch_backoff_ms * FETCHER_NS_PER_MS,
                               fetcher_timer_fire, f);
}

/* ---- Requests ----------------------------------------------------------------------- */

/* Fills one topic of the request with the parts of that topic from index first on;
 * returns the index after them. */
static uint32_t fetcher_build_topic(struct fetcher *f, uint32_t first, struct api_fetch_topic *t)
{
    const struct part *head = f->parts[first];
    t->topic = wire_string_from(head->topic);
    t->topic_id = head->topic_id;
    t->partitions = ks_alloc((f->part_count + 1) * sizeof(*t->partitions));
    uint32_t i = first;
    for (; i < f->part_count && strcmp(f->parts[i]->topic, head->topic) == 0; i++) {
        struct part *p = f->parts[i];
        struct api_fetch_partition *out = &t->partitions[t->partition_count++];
        api_fetch_partition_init(out);
        out->partition = p->partition;
        out->current_leader_epoch = p->leader_epoch;
        out->fetch_offset = part_fetch_offset(p);
        bool restarted = out->fetch_offset > part_log_end_offset(p);
        out->last_fetched_epoch =
            restarted || p->fetch_epochless ? PART_NO_EPOCH : plog_latest_epoch(p->log);
        out->log_start_offset = p->log->log_start_offset;
        out->partition_max_bytes = f->config.fetch_max_bytes;
        f->sent[f->sent_count++] = (struct fetcher_sent){p, p->leader_epoch, out->fetch_offset};
    }
    return i;
}

static int fetcher_part_cmp(const void *a, const void *b)
{
    const struct part *x = *(struct part *const *)a, *y = *(struct part *const *)b;
    int c = strcmp(x->topic, y->topic);
    return c != 0 ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* Frames and sends one request whose body encode writes. */
static enum ks_err fetcher_send_frame(struct fetcher *f, int16_t api_key, int16_t version,
                                      void (*encode)(struct wire_writer *w, int16_t version,
                                                     const void *body),
                                      const void *body)
{
    struct wire_writer w;
    wire_writer_init(&w);
    uint32_t start = frame_begin(&w);
    struct frame_request_header header = {api_key, version, ++f->correlation_id,
                                          wire_string_from(FETCHER_CLIENT_ID)};
    frame_request_header_write(&w, frame_request_header_version(api_key, version), &header);
    encode(&w, version, body);
    frame_end(&w, start);
    enum ks_err err =
        w.err != KS_OK ? KS_ERR_INVALID : env_send(f->env, f->conn, w.bytes, w.size_bytes);
    wire_writer_free(&w);
    f->inflight_api = api_key;
    return err;
}

static void fetcher_encode_fetch(struct wire_writer *w, int16_t version, const void *body)
{
    api_fetch_multi_request_encode(w, version, body);
}

static void fetcher_encode_list_offsets(struct wire_writer *w, int16_t version, const void *body)
{
    api_list_offsets_request_encode(w, version, body);
}

static bool fetcher_reset_pending(const struct fetcher *f)
{
    for (uint32_t i = 0; i < f->part_count; i++) {
        if (f->parts[i]->fetch_reset != PART_RESET_NONE)
            return true;
    }
    return false;
}

/* ListOffsets for every partition out of range: LATEST or EARLIEST by its step. */
static enum ks_err fetcher_send_list_offsets(struct fetcher *f)
{
    KS_ASSERT(f->conn_open);
    struct api_list_offsets_request req;
    api_list_offsets_request_init(&req);
    req.replica_id = f->config.broker_id;
    req.topics = ks_alloc((f->part_count + 1) * sizeof(*req.topics));
    struct api_list_offsets_partition *partitions =
        ks_alloc((f->part_count + 1) * sizeof(*partitions));
    f->sent = ks_realloc(f->sent, (f->part_count + 1) * sizeof(*f->sent));
    f->sent_count = 0;
    for (uint32_t i = 0; i < f->part_count; i++) {
        struct part *p = f->parts[i];
        if (p->fetch_reset == PART_RESET_NONE)
            continue;
        struct api_list_offsets_partition *out = &partitions[req.topic_count];
        out->partition_index = p->partition;
        out->current_leader_epoch = p->leader_epoch;
        out->timestamp = p->fetch_reset == PART_RESET_LEADER_END
                             ? API_LIST_OFFSETS_LATEST_TIMESTAMP
                             : API_LIST_OFFSETS_EARLIEST_TIMESTAMP;
        req.topics[req.topic_count++] =
            (struct api_list_offsets_topic){wire_string_from(p->topic), 1, out};
        f->sent[f->sent_count++] = (struct fetcher_sent){p, p->leader_epoch, part_fetch_offset(p)};
    }
    KS_ASSERT(req.topic_count > 0);
    enum ks_err err = fetcher_send_frame(f, API_LIST_OFFSETS, FETCHER_LIST_OFFSETS_VERSION,
                                         fetcher_encode_list_offsets, &req);
    free(partitions);
    free(req.topics);
    return err;
}

static enum ks_err fetcher_send(struct fetcher *f)
{
    KS_ASSERT(f->conn_open);
    KS_ASSERT(f->part_count > 0);
    qsort(f->parts, f->part_count, sizeof(*f->parts), fetcher_part_cmp);
    if (fetcher_reset_pending(f))
        return fetcher_send_list_offsets(f);
    struct api_fetch_multi_request req;
    api_fetch_multi_request_init(&req);
    req.replica_id = f->config.broker_id;
    req.max_wait_ms = f->config.fetch_wait_max_ms;
    req.min_bytes = f->config.fetch_min_bytes;
    req.max_bytes = f->config.fetch_response_max_bytes;
    req.topics = ks_alloc((f->part_count + 1) * sizeof(*req.topics));
    f->sent = ks_realloc(f->sent, (f->part_count + 1) * sizeof(*f->sent));
    f->sent_count = 0;
    for (uint32_t i = 0; i < f->part_count;)
        i = fetcher_build_topic(f, i, &req.topics[req.topic_count++]);
    enum ks_err err = fetcher_send_frame(f, API_FETCH, FETCHER_VERSION, fetcher_encode_fetch, &req);
    for (uint32_t i = 0; i < req.topic_count; i++)
        free(req.topics[i].partitions);
    free(req.topics);
    return err;
}

/* ---- Responses ---------------------------------------------------------------------- */

/* The prefix of bytes made of whole batches. */
static uint32_t fetcher_whole_batches(const uint8_t *bytes, uint32_t size_bytes)
{
    uint32_t position = 0;
    struct rb_scan scan;
    for (uint32_t i = 0; i < FETCHER_BATCHES_MAX && position < size_bytes; i++) {
        if (rb_scan(bytes + position, size_bytes - position, &scan) != KS_OK)
            break;
        position += scan.size_bytes;
    }
    return position;
}

/* AbstractFetcherThread.getOffsetTruncationState for a DivergingEpoch. */
static enum ks_err fetcher_truncate_diverging(struct fetcher *f, struct part *p, int32_t epoch,
                                              int64_t end_offset)
{
    int64_t leo = part_log_end_offset(p);
    int64_t target = end_offset < leo ? end_offset : leo;
    bool epochless = env_bug(f->env, KS_BUG_KIP279_EPOCHLESS_TRUNCATION);
    if (epochless)
        p->fetch_epochless = true; /* bug: trust the offset, fetch on without epochs */
    if (epoch >= 0 && !epochless) {
        int32_t own_epoch = PART_NO_EPOCH;
        int64_t own_end = PART_NO_OFFSET;
        part_end_offset_for_epoch(p, epoch, &own_epoch, &own_end);
        if (own_end >= 0 && own_epoch != epoch)
            target = own_end < leo ? own_end : leo; /* ask again from our older epoch */
        else if (own_end >= 0 && own_end < target)
            target = own_end;
    }
    if (target < 0)
        target = 0;
    env_tracef(f->env, "repl.diverging", "%s-%d epoch=%d end=%lld leo=%lld -> truncate to %lld",
               p->topic, p->partition, epoch, (long long)end_offset, (long long)leo,
               (long long)target);
    f->truncations++;
    return part_truncate_to(p, target);
}

/* Records the appended batches' producers; after a roll, those below the new segment
 * first, then a snapshot at its base (UnifiedLog.roll), then the rest. */
static void fetcher_update_producers(struct part *p, const uint8_t *bytes, uint32_t size,
                                     bool rolled)
{
    if (!rolled) {
        pstate_update_batches(&p->producers, bytes, size, INT64_MIN, INT64_MAX);
        return;
    }
    int64_t base = plog_active(p->log)->base_offset;
    pstate_update_batches(&p->producers, bytes, size, INT64_MIN, base);
    enum ks_err err = pstate_snapshot_write(&p->producers, p->log, base);
    if (err != KS_OK)
        env_tracef(p->env, "pstate.snapshot_failed", "%s-%d at %lld: %s", p->topic, p->partition,
                   (long long)base, ks_err_name(err));
    pstate_update_batches(&p->producers, bytes, size, base, INT64_MAX);
}

/* The prefix of whole batches that fits one segment (at least one batch): a follower
 * append may not exceed segment.bytes, a fetch answer may. */
static uint32_t fetcher_chunk(const uint8_t *bytes, uint32_t size_bytes, int64_t segment_bytes)
{
    uint32_t position = 0;
    struct rb_scan scan;
    for (uint32_t i = 0; i < FETCHER_BATCHES_MAX && position < size_bytes; i++) {
        if (rb_scan(bytes + position, size_bytes - position, &scan) != KS_OK)
            break;
        if (position > 0 && (int64_t)position + scan.size_bytes > segment_bytes)
            break;
        position += scan.size_bytes;
    }
    return position;
}

/* Appends the whole batches of an answer, a segment's worth at a time. */
static enum ks_err fetcher_append_records(struct part *p, const uint8_t *bytes, uint32_t whole)
{
    uint32_t position = 0;
    for (uint32_t i = 0; i < FETCHER_BATCHES_MAX && position < whole; i++) {
        uint32_t chunk =
            fetcher_chunk(bytes + position, whole - position, p->log->config.segment_bytes);
        KS_ASSERT(chunk > 0);
        struct plog_append_info info;
        enum ks_err err = plog_append_follower(p->log, bytes + position, chunk, &info);
        if (err != KS_OK)
            return err;
        fetcher_update_producers(p, bytes + position, chunk, info.rolled);
        position += chunk;
    }
    KS_ASSERT(position == whole);
    return KS_OK;
}

static enum ks_err fetcher_append(struct part *p, const struct api_fetch_partition_data *d)
{
    uint32_t size = d->records.size_bytes > 0 ? (uint32_t)d->records.size_bytes : 0;
    uint32_t whole = fetcher_whole_batches(d->records.bytes, size);
    if (whole > 0) {
        enum ks_err err = fetcher_append_records(p, d->records.bytes, whole);
        if (err != KS_OK)
            return err;
    }
    int64_t leo = part_log_end_offset(p);
    int64_t hw = d->high_watermark < leo ? d->high_watermark : leo;
    if (hw > part_high_watermark(p) && hw >= p->log->log_start_offset)
        plog_set_high_watermark(p->log, hw);
    int64_t start =
        d->log_start_offset < part_high_watermark(p) ? d->log_start_offset : part_high_watermark(p);
    if (start > p->log->log_start_offset)
        return plog_advance_log_start_offset(p->log, start);
    return KS_OK;
}

/* Whether the partition changed since the request went (role, epoch, position). */
static bool fetcher_moved_on(const struct fetcher_sent *sent)
{
    const struct part *p = sent->part;
    return p == NULL || p->role != PART_FOLLOWER || p->leader_epoch != sent->leader_epoch ||
           part_fetch_offset(p) != sent->fetch_offset;
}

/* One partition of a ListOffsets answer, one step of handleOutOfRangeError; false when
 * the fetcher should back off. */
static bool fetcher_apply_offset(struct fetcher *f, const struct fetcher_sent *sent,
                                 const struct api_list_offsets_partition_response *d)
{
    struct part *p = sent->part;
    if (fetcher_moved_on(sent) || p->fetch_reset == PART_RESET_NONE)
        return true;
    enum ks_err err = d->error_code;
    int64_t leo = part_log_end_offset(p);
    if (err == KS_OK && d->offset < 0)
        err = KS_ERR_UNKNOWN_SERVER_ERROR;
    if (err == KS_OK && p->fetch_reset == PART_RESET_LEADER_END) {
        if (d->offset < leo) {
            env_tracef(f->env, "repl.out_of_range", "%s-%d leader %d ends at %lld below %lld",
                       p->topic, p->partition, f->leader_id, (long long)d->offset, (long long)leo);
            f->truncations++;
            err = part_truncate_to(p, d->offset);
            p->fetch_reset = err == KS_OK ? PART_RESET_NONE : p->fetch_reset;
        } else {
            p->fetch_reset = PART_RESET_LEADER_START;
        }
    } else if (err == KS_OK) {
        KS_ASSERT(p->fetch_reset == PART_RESET_LEADER_START);
        env_tracef(f->env, "repl.out_of_range", "%s-%d leader %d starts at %lld, log end %lld",
                   p->topic, p->partition, f->leader_id, (long long)d->offset, (long long)leo);
        if (d->offset > part_fetch_offset(p)) {
            f->full_truncations++;
            err = part_truncate_fully_and_start_at(p, d->offset);
        }
        p->fetch_reset = err == KS_OK ? PART_RESET_NONE : p->fetch_reset;
    }
    if (err != KS_OK)
        env_tracef(f->env, "repl.fetch_error", "%s-%d from %d: ListOffsets %s", p->topic,
                   p->partition, f->leader_id, ks_err_name(err));
    return err == KS_OK;
}

/* One partition of a response; false when the fetcher should back off. */
static bool fetcher_apply_partition(struct fetcher *f, const struct fetcher_sent *sent,
                                    const struct api_fetch_partition_data *d)
{
    struct part *p = sent->part;
    if (fetcher_moved_on(sent))
        return true; /* moved on meanwhile: ignore */
    enum ks_err err = d->error_code;
    if (err == KS_ERR_OFFSET_OUT_OF_RANGE) {
        env_tracef(f->env, "repl.out_of_range", "%s-%d from %d at %lld: ask the leader's end",
                   p->topic, p->partition, f->leader_id, (long long)sent->fetch_offset);
        f->out_of_range++;
        p->fetch_reset = PART_RESET_LEADER_END;
        return true; /* the next request is the ListOffsets */
    }
    if (err == KS_OK && (d->diverging_epoch >= 0 || d->diverging_end_offset >= 0))
        err = fetcher_truncate_diverging(f, p, d->diverging_epoch, d->diverging_end_offset);
    else if (err == KS_OK)
        err = fetcher_append(p, d);
    if (err != KS_OK)
        env_tracef(f->env, "repl.fetch_error", "%s-%d from %d: %s", p->topic, p->partition,
                   f->leader_id, ks_err_name(err));
    return err == KS_OK;
}

static const struct api_fetch_partition_data *
fetcher_find_data(const struct api_fetch_multi_response *resp, const struct part *p)
{
    for (uint32_t t = 0; t < resp->topic_count; t++) {
        const struct api_fetch_topic_data *td = &resp->topics[t];
        if (!wire_string_equal_cstr(td->topic, p->topic))
            continue;
        for (uint32_t i = 0; i < td->partition_count; i++) {
            if (td->partitions[i].partition_index == p->partition)
                return &td->partitions[i];
        }
    }
    return NULL;
}

static const struct api_list_offsets_partition_response *
fetcher_find_offset(const struct api_list_offsets_response *resp, const struct part *p)
{
    for (uint32_t t = 0; t < resp->topic_count; t++) {
        const struct api_list_offsets_topic_response *td = &resp->topics[t];
        if (!wire_string_equal_cstr(td->name, p->topic))
            continue;
        for (uint32_t i = 0; i < td->partition_count; i++) {
            if (td->partitions[i].partition_index == p->partition)
                return &td->partitions[i];
        }
    }
    return NULL;
}

/* A ListOffsets answer body; false when it does not decode. *ok_out false: back off. */
static bool fetcher_on_list_offsets(struct fetcher *f, const uint8_t *body, uint32_t size,
                                    bool *ok_out)
{
    struct api_list_offsets_response resp;
    if (api_list_offsets_response_decode(FETCHER_LIST_OFFSETS_VERSION, body, size, &resp) != KS_OK)
        return false;
    bool ok = true;
    for (uint32_t i = 0; ok && i < f->sent_count; i++) {
        const struct api_list_offsets_partition_response *d =
            f->sent[i].part == NULL ? NULL : fetcher_find_offset(&resp, f->sent[i].part);
        if (d != NULL && !fetcher_apply_offset(f, &f->sent[i], d))
            ok = false;
    }
    api_list_offsets_response_free(&resp);
    *ok_out = ok;
    return true;
}

/* A Fetch answer body; false when it does not decode. *ok_out false: back off. */
static bool fetcher_on_fetch(struct fetcher *f, const uint8_t *body, uint32_t size, bool *ok_out)
{
    struct api_fetch_multi_response resp;
    if (api_fetch_multi_response_decode(FETCHER_VERSION, body, size, &resp) != KS_OK)
        return false;
    bool ok = resp.error_code == KS_OK;
    for (uint32_t i = 0; ok && i < f->sent_count; i++) {
        const struct api_fetch_partition_data *d =
            f->sent[i].part == NULL ? NULL : fetcher_find_data(&resp, f->sent[i].part);
        if (d != NULL && !fetcher_apply_partition(f, &f->sent[i], d))
            ok = false;
    }
    api_fetch_multi_response_free(&resp);
    *ok_out = ok;
    return true;
}

static bool fetcher_on_frame(struct fetcher *f, const uint8_t *bytes, uint32_t size)
{
    struct wire_reader r;
    wire_reader_init(&r, bytes, size);
    int32_t correlation_id = 0;
    bool fetch = f->inflight_api == API_FETCH;
    int version =
        fetch ? frame_response_header_version(API_FETCH, FETCHER_VERSION)
              : frame_response_header_version(API_LIST_OFFSETS, FETCHER_LIST_OFFSETS_VERSION);
    if (frame_response_header_read(&r, version, &correlation_id) != KS_OK ||
        correlation_id != f->correlation_id || f->state != FETCHER_AWAIT_RESPONSE)
        return false;
    bool ok = false;
    bool decoded = fetch ? fetcher_on_fetch(f, bytes + r.offset, size - r.offset, &ok)
                         : fetcher_on_list_offsets(f, bytes + r.offset, size - r.offset, &ok);
    if (!decoded)
        return false;
    f->responses++;
    f->sent_count = 0;
    if (ok) {
        fetcher_set_state(f, FETCHER_IDLE);
        fetcher_kick(f);
    } else {
        fetcher_backoff(f);
    }
    return true;
}

/* ---- Connection --------------------------------------------------------------------- */

static void fetcher_on_open(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct fetcher *f = ctx;
    if (conn != f->conn)
        return;
    KS_ASSERT(f->state == FETCHER_CONNECTING);
    if (err != KS_OK) {
        f->conn = 0;
        fetcher_backoff(f);
        return;
    }
    f->conn_open = true;
    fetcher_set_state(f, FETCHER_IDLE);
    fetcher_kick(f);
}

static void fetcher_on_recv(void *ctx, env_conn_id conn, const uint8_t *bytes, uint32_t size)
{
    struct fetcher *f = ctx;
    KS_ASSERT(conn == f->conn);
    for (uint32_t offset = 0; offset < size && f->conn == conn;) {
        uint32_t consumed = 0;
        if (frame_splitter_feed(&f->splitter, bytes + offset, size - offset, &consumed) != KS_OK) {
            fetcher_disconnect(f);
            fetcher_backoff(f);
            return;
        }
        offset += consumed;
        if (!frame_splitter_ready(&f->splitter))
            continue;
        const uint8_t *frame = NULL;
        uint32_t frame_size = 0;
        frame_splitter_frame(&f->splitter, &frame, &frame_size);
        bool ok = fetcher_on_frame(f, frame, frame_size);
        if (f->conn != conn)
            return; /* the endpoint moved inside the callback */
        frame_splitter_pop(&f->splitter);
        if (!ok) {
            fetcher_disconnect(f);
            fetcher_backoff(f);
            return;
        }
    }
}

static void fetcher_on_closed(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct fetcher *f = ctx;
    (void)err;
    if (conn != f->conn)
        return;
    f->conn = 0;
    fetcher_disconnect(f);
    fetcher_backoff(f);
}

static const struct env_conn_handler fetcher_conn_handler = {fetcher_on_open, fetcher_on_recv,
                                                             fetcher_on_closed};

/* From IDLE: connect, or send the next request, when there is something to fetch. */
static void fetcher_kick(struct fetcher *f)
{
    if (f->state != FETCHER_IDLE || f->part_count == 0)
        return;
    if (!f->conn_open) {
        if (f->conn != 0)
            return;
        enum ks_err err = env_connect(f->env, f->host, f->port, &fetcher_conn_handler, f, &f->conn);
        if (err != KS_OK) {
            f->conn = 0;
            fetcher_backoff(f);
            return;
        }
        fetcher_set_state(f, FETCHER_CONNECTING);
        return;
    }
    if (fetcher_send(f) != KS_OK) {
        fetcher_disconnect(f);
        fetcher_backoff(f);
        return;
    }
    fetcher_set_state(f, FETCHER_AWAIT_RESPONSE);
}
