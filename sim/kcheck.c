/*
 * kcheck.c: the history checker over the clients' history and the final logs, see
 * kcheck.h.
 */
#include "kcheck.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../system/log/rb.h"

#define KCHECK_EVENT_TEXT_BYTES 200u

const char *kcheck_kind_name(enum kcheck_kind kind)
{
    static const char *const names[KCHECK_KIND_COUNT] = {
        "kcheck_acked_present",      "kcheck_no_duplicates", "kcheck_consumer_order",
        "kcheck_consumed_committed", "kcheck_key_order",     "kcheck_replicas_agree",
        "kcheck_hw_monotonic"};
    KS_ASSERT(kind < KCHECK_KIND_COUNT);
    return names[kind];
}

struct kcheck *kcheck_create(const struct history *history)
{
    struct kcheck *ck = ks_alloc(sizeof(*ck));
    ck->history = history;
    kcheck_hw_watch_init(&ck->hw_watch);
    return ck;
}

void kcheck_free(struct kcheck *ck)
{
    if (ck == NULL)
        return;
    for (uint32_t i = 0; i < ck->replica_count; i++) {
        free(ck->replicas[i].records);
        free(ck->replicas[i].batches);
    }
    kcheck_hw_watch_free(&ck->hw_watch);
    free(ck);
}

static void kcheck_violation(struct kcheck *ck, enum kcheck_kind kind, const char *fmt, ...)
    KS_PRINTF(3, 4);

static void kcheck_violation(struct kcheck *ck, enum kcheck_kind kind, const char *fmt, ...)
{
    ck->violation_count[kind]++;
    if (ck->kept == KCHECK_VIOLATIONS_MAX)
        return;
    struct kcheck_violation *v = &ck->violations[ck->kept++];
    v->kind = kind;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->text, sizeof(v->text), fmt, ap);
    va_end(ap);
}

/* ---- Reading logs ------------------------------------------------------------------ */

static void kcheck_replica_push(struct kcheck_replica *r, int64_t offset, uint64_t digest,
                                uint32_t *capacity)
{
    if (r->record_count == *capacity) {
        *capacity = *capacity == 0 ? 256 : *capacity * 2;
        r->records = ks_realloc(r->records, *capacity * sizeof(*r->records));
    }
    KS_ASSERT(r->record_count == 0 || r->records[r->record_count - 1].offset < offset);
    r->records[r->record_count++] = (struct kcheck_record){offset, digest};
}

static void kcheck_replica_push_batch(struct kcheck_replica *r, const struct rb_batch *batch,
                                      const uint8_t *bytes, uint32_t *capacity)
{
    if (r->batch_count == *capacity) {
        *capacity = *capacity == 0 ? 64 : *capacity * 2;
        r->batches = ks_realloc(r->batches, *capacity * sizeof(*r->batches));
    }
    const struct rb_batch_header *h = &batch->header;
    KS_ASSERT(r->batch_count == 0 || r->batches[r->batch_count - 1].last_offset < h->base_offset);
    r->batches[r->batch_count++] =
        (struct kcheck_batch){h->base_offset, h->base_offset + h->last_offset_delta,
                              h->partition_leader_epoch, history_digest(bytes, batch->size_bytes)};
}

/* Appends the records of the batches in bytes; returns the offset after the last. */
static int64_t kcheck_replica_batches(struct kcheck_replica *r, const uint8_t *bytes, uint32_t size,
                                      int64_t offset, uint32_t *capacity, uint32_t *batch_capacity)
{
    size_t at = 0;
    while (at < size) {
        struct rb_batch batch;
        if (rb_decode(bytes + at, size - at, &batch) != KS_OK)
            break;
        int64_t last = batch.header.base_offset + batch.header.last_offset_delta;
        if (last >= offset)
            kcheck_replica_push_batch(r, &batch, bytes + at, batch_capacity);
        struct rb_iter it;
        struct rb_record rec;
        rb_iter_init(&it, &batch);
        while ((batch.header.attributes & RB_ATTR_CONTROL) == 0 && rb_iter_next(&it, &rec)) {
            if (rec.offset >= offset)
                kcheck_replica_push(r, rec.offset, history_digest(rec.value, rec.value_size),
                                    capacity);
        }
        at += batch.size_bytes;
        rb_batch_release(&batch);
        offset = last + 1;
    }
    return offset;
}

enum ks_err kcheck_add_replica(struct kcheck *ck, struct part *p, bool in_isr, bool leader)
{
    const struct history *h = ck->history;
    uint32_t topic = UINT32_MAX;
    for (uint32_t i = 0; i < h->topic_count; i++) {
        if (strcmp(h->topics[i], p->topic) == 0)
            topic = i;
    }
    if (topic == UINT32_MAX)
        return KS_OK;
    if (ck->replica_count == KCHECK_REPLICAS_MAX)
        return KS_ERR_TOO_MANY;
    struct kcheck_replica *r = &ck->replicas[ck->replica_count++];
    memset(r, 0, sizeof(*r));
    r->broker_id = p->broker_id;
    r->topic = topic;
    r->partition = p->partition;
    r->in_isr = in_isr;
    r->leader = leader;
    r->high_watermark = part_high_watermark(p);
    r->log_start_offset = p->log->log_start_offset;
    r->log_end_offset = part_log_end_offset(p);
    uint32_t capacity = 0, batch_capacity = 0;
    int64_t offset = p->log->log_start_offset;
    while (offset < r->log_end_offset) {
        uint8_t *bytes = NULL;
        uint32_t size = 0;
        enum ks_err err =
            plog_read(p->log, offset, KCHECK_READ_BYTES, r->log_end_offset, true, &bytes, &size);
        if (err != KS_OK || bytes == NULL) {
            free(bytes);
            return err == KS_OK ? KS_ERR_IO : err;
        }
        int64_t next = kcheck_replica_batches(r, bytes, size, offset, &capacity, &batch_capacity);
        free(bytes);
        if (next <= offset)
            return KS_ERR_CORRUPT_MESSAGE;
        offset = next;
    }
    return KS_OK;
}

static const struct kcheck_record *kcheck_replica_at(const struct kcheck_replica *r, int64_t offset)
{
    uint32_t lo = 0, hi = r->record_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (r->records[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->record_count && r->records[lo].offset == offset ? &r->records[lo] : NULL;
}

static const struct kcheck_replica *kcheck_leader(const struct kcheck *ck, uint32_t topic,
                                                  int32_t partition)
{
    for (uint32_t i = 0; i < ck->replica_count; i++) {
        const struct kcheck_replica *r = &ck->replicas[i];
        if (r->leader && r->topic == topic && r->partition == partition)
            return r;
    }
    return NULL;
}

/* ---- Checks ------------------------------------------------------------------------ */

static void kcheck_acked_present(struct kcheck *ck, const struct history_event *e)
{
    char text[KCHECK_EVENT_TEXT_BYTES];
    for (uint32_t i = 0; i < ck->replica_count; i++) {
        const struct kcheck_replica *r = &ck->replicas[i];
        if (!r->in_isr || r->topic != e->topic || r->partition != e->partition)
            continue;
        const struct kcheck_record *rec = kcheck_replica_at(r, e->offset);
        if (rec != NULL && rec->value_digest == e->value_digest)
            continue;
        if (e->acks != -1) {
            ck->allowed_count[KCHECK_ACKED_PRESENT]++;
            return;
        }
        history_event_format(ck->history, e, text, sizeof(text));
        kcheck_violation(ck, KCHECK_ACKED_PRESENT,
                         "acknowledged record lost: %s; broker %d (in ISR, log end offset %" PRId64
                         ") has %s at that offset",
                         text, r->broker_id, r->log_end_offset,
                         rec == NULL ? "no record" : "another record");
        return;
    }
}

static void kcheck_consumed(struct kcheck *ck, const struct history_event *e, int64_t *last)
{
    char text[KCHECK_EVENT_TEXT_BYTES];
    history_event_format(ck->history, e, text, sizeof(text));
    if (e->offset <= *last)
        kcheck_violation(ck, KCHECK_CONSUMER_ORDER, "offset went back: %s after offset %" PRId64,
                         text, *last);
    const struct kcheck_replica *leader = kcheck_leader(ck, e->topic, e->partition);
    if (leader != NULL && e->offset > *last + 1 && *last >= 0) {
        const struct kcheck_record *gap = kcheck_replica_at(leader, *last + 1);
        if (gap != NULL && gap->offset < e->offset)
            kcheck_violation(ck, KCHECK_CONSUMER_ORDER,
                             "gap: %s skipped offset %" PRId64 " which broker %d holds", text,
                             *last + 1, leader->broker_id);
    }
    if (e->offset >= e->high_watermark)
        kcheck_violation(ck, KCHECK_CONSUMED_COMMITTED,
                         "read above the high watermark %" PRId64 ": %s", e->high_watermark, text);
    if (leader != NULL) {
        const struct kcheck_record *rec = kcheck_replica_at(leader, e->offset);
        if (rec == NULL || rec->value_digest != e->value_digest)
            kcheck_violation(ck, KCHECK_CONSUMED_COMMITTED,
                             "consumed record not in the leader's final log: %s; broker %d has %s",
                             text, leader->broker_id, rec == NULL ? "no record" : "another record");
    }
    if (e->offset > *last)
        *last = e->offset;
}

/* Per (client, topic, partition) positions for the order check. */
struct kcheck_position {
    uint32_t client;
    uint32_t topic;
    int32_t partition;
    int64_t last;
};

static int64_t *kcheck_position(struct kcheck_position **positions, uint32_t *count,
                                const struct history_event *e)
{
    for (uint32_t i = 0; i < *count; i++) {
        struct kcheck_position *p = &(*positions)[i];
        if (p->client == e->client && p->topic == e->topic && p->partition == e->partition)
            return &p->last;
    }
    *positions = ks_realloc(*positions, (*count + 1) * sizeof(**positions));
    (*positions)[*count] = (struct kcheck_position){e->client, e->topic, e->partition, -1};
    return &(*positions)[(*count)++].last;
}

static void kcheck_walk(struct kcheck *ck)
{
    const struct history *h = ck->history;
    struct kcheck_position *positions = NULL;
    uint32_t position_count = 0;
    for (uint64_t i = 0; i < h->count; i++) {
        const struct history_event *e = &h->events[i];
        switch (e->op) {
        case HISTORY_SEND:
            ck->sent++;
            break;
        case HISTORY_ACK:
            ck->acked++;
            if (e->offset >= 0)
                kcheck_acked_present(ck, e);
            break;
        case HISTORY_FAIL:
            ck->failed++;
            break;
        case HISTORY_RECEIVE:
            ck->received++;
            kcheck_consumed(ck, e, kcheck_position(&positions, &position_count, e));
            break;
        case HISTORY_RESET:
            *kcheck_position(&positions, &position_count, e) = e->offset - 1;
            break;
        case HISTORY_ERROR:
            break;
        }
    }
    free(positions);
}

/* Value digests an idempotent producer sent, sorted, for the duplicate check. */
static int kcheck_u64_compare(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool kcheck_sent_idempotent(const uint64_t *sorted, uint64_t count, uint64_t digest)
{
    return bsearch(&digest, sorted, count, sizeof(*sorted), kcheck_u64_compare) != NULL;
}

static int kcheck_record_by_digest(const void *a, const void *b)
{
    const struct kcheck_record *x = a, *y = b;
    if (x->value_digest != y->value_digest)
        return x->value_digest < y->value_digest ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static void kcheck_duplicates(struct kcheck *ck)
{
    const struct history *h = ck->history;
    uint64_t *idem = ks_alloc((h->count + 1) * sizeof(*idem));
    uint64_t n = 0;
    for (uint64_t i = 0; i < h->count; i++) {
        if (h->events[i].op == HISTORY_SEND && h->events[i].idempotent)
            idem[n++] = h->events[i].value_digest;
    }
    qsort(idem, n, sizeof(*idem), kcheck_u64_compare);
    for (uint32_t i = 0; i < ck->replica_count; i++) {
        const struct kcheck_replica *r = &ck->replicas[i];
        if (!r->leader || r->record_count == 0)
            continue;
        struct kcheck_record *copy = ks_alloc(r->record_count * sizeof(*copy));
        memcpy(copy, r->records, r->record_count * sizeof(*copy));
        qsort(copy, r->record_count, sizeof(*copy), kcheck_record_by_digest);
        for (uint32_t j = 1; j < r->record_count; j++) {
            if (copy[j].value_digest != copy[j - 1].value_digest)
                continue;
            if (!kcheck_sent_idempotent(idem, n, copy[j].value_digest)) {
                ck->allowed_count[KCHECK_NO_DUPLICATES]++;
                continue;
            }
            kcheck_violation(ck, KCHECK_NO_DUPLICATES,
                             "duplicate in %s-%d on broker %d (leader): the same value at offsets "
                             "%" PRId64 " and %" PRId64 " (digest %016" PRIx64 ")",
                             history_topic_name(h, r->topic), r->partition, r->broker_id,
                             copy[j - 1].offset, copy[j].offset, copy[j].value_digest);
        }
        free(copy);
    }
    free(idem);
}

/* ACK events of ordered producers, sorted by (client, topic, partition, key, send). */

static int kcheck_ack_compare(const void *a, const void *b)
{
    const struct history_event *x = *(const struct history_event *const *)a;
    const struct history_event *y = *(const struct history_event *const *)b;
    if (x->client != y->client)
        return x->client < y->client ? -1 : 1;
    if (x->topic != y->topic)
        return x->topic < y->topic ? -1 : 1;
    if (x->partition != y->partition)
        return x->partition < y->partition ? -1 : 1;
    if (x->key_digest != y->key_digest)
        return x->key_digest < y->key_digest ? -1 : 1;
    return x->send_index < y->send_index ? -1 : x->send_index > y->send_index;
}

static void kcheck_key_order(struct kcheck *ck)
{
    const struct history *h = ck->history;
    const struct history_event **acks = ks_alloc((h->count + 1) * sizeof(*acks));
    uint64_t n = 0;
    for (uint64_t i = 0; i < h->count; i++) {
        const struct history_event *e = &h->events[i];
        if (e->op == HISTORY_ACK && e->ordered && !e->key_null && e->offset >= 0)
            acks[n++] = e;
    }
    qsort(acks, n, sizeof(*acks), kcheck_ack_compare);
    char a[KCHECK_EVENT_TEXT_BYTES], b[KCHECK_EVENT_TEXT_BYTES];
    for (uint64_t i = 1; i < n; i++) {
        const struct history_event *x = acks[i - 1], *y = acks[i];
        if (x->client != y->client || x->topic != y->topic || x->partition != y->partition ||
            x->key_digest != y->key_digest || x->offset < y->offset)
            continue;
        history_event_format(h, x, a, sizeof(a));
        history_event_format(h, y, b, sizeof(b));
        kcheck_violation(ck, KCHECK_KEY_ORDER, "sent earlier, written later: %s and %s", a, b);
    }
    free(acks);
}

/* ---- Replicas agree below the high watermark ------------------------------------ */

static const struct kcheck_batch *kcheck_batch_at(const struct kcheck_replica *r, int64_t base)
{
    uint32_t lo = 0, hi = r->batch_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (r->batches[mid].base_offset < base)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->batch_count && r->batches[lo].base_offset == base ? &r->batches[lo] : NULL;
}

/* Every batch of a inside [low, high) is in b, byte for byte; false after reporting. */
static bool kcheck_pair_covered(struct kcheck *ck, const struct kcheck_replica *a,
                                const struct kcheck_replica *b, int64_t low, int64_t high)
{
    for (uint32_t i = 0; i < a->batch_count; i++) {
        const struct kcheck_batch *x = &a->batches[i];
        if (x->base_offset < low || x->last_offset >= high)
            continue;
        const struct kcheck_batch *y = kcheck_batch_at(b, x->base_offset);
        if (y != NULL && y->last_offset == x->last_offset && y->digest == x->digest)
            continue;
        kcheck_violation(ck, KCHECK_REPLICAS_AGREE,
                         "%s-%d: brokers %d and %d differ at offset %" PRId64
                         " below high watermarks %" PRId64 " and %" PRId64
                         ": broker %d has offsets %" PRId64 "..%" PRId64
                         " (leader epoch %d), broker %d %s (end of run)",
                         history_topic_name(ck->history, a->topic), a->partition, a->broker_id,
                         b->broker_id, x->base_offset, a->high_watermark, b->high_watermark,
                         a->broker_id, x->base_offset, x->last_offset, x->leader_epoch,
                         b->broker_id, y == NULL ? "no batch there" : "another batch");
        return false;
    }
    return true;
}

static void kcheck_replicas_agree(struct kcheck *ck)
{
    for (uint32_t i = 0; i < ck->replica_count; i++) {
        const struct kcheck_replica *a = &ck->replicas[i];
        for (uint32_t j = i + 1; j < ck->replica_count; j++) {
            const struct kcheck_replica *b = &ck->replicas[j];
            if (a->topic != b->topic || a->partition != b->partition)
                continue;
            int64_t low = a->log_start_offset > b->log_start_offset ? a->log_start_offset
                                                                    : b->log_start_offset;
            int64_t high =
                a->high_watermark < b->high_watermark ? a->high_watermark : b->high_watermark;
            if (kcheck_pair_covered(ck, a, b, low, high))
                (void)kcheck_pair_covered(ck, b, a, low, high);
        }
    }
}

/* ---- The leaders' high watermarks ----------------------------------------------- */

void kcheck_hw_watch_init(struct kcheck_hw_watch *w)
{
    memset(w, 0, sizeof(*w));
}

void kcheck_hw_watch_free(struct kcheck_hw_watch *w)
{
    free(w->marks);
    memset(w, 0, sizeof(*w));
}

static struct kcheck_hw_mark *kcheck_hw_mark(struct kcheck_hw_watch *w, const struct part *p)
{
    for (uint32_t i = 0; i < w->mark_count; i++) {
        struct kcheck_hw_mark *m = &w->marks[i];
        if (m->broker_id == p->broker_id && m->partition == p->partition &&
            strcmp(m->topic, p->topic) == 0)
            return m;
    }
    if (w->mark_count == KCHECK_HW_MARKS_MAX)
        return NULL;
    w->marks = ks_realloc(w->marks, (w->mark_count + 1) * sizeof(*w->marks));
    struct kcheck_hw_mark *m = &w->marks[w->mark_count++];
    memset(m, 0, sizeof(*m));
    m->broker_id = p->broker_id;
    snprintf(m->topic, sizeof(m->topic), "%s", p->topic);
    m->partition = p->partition;
    m->leader_epoch = PART_NO_EPOCH;
    m->high_watermark = PART_NO_OFFSET;
    return m;
}

bool kcheck_hw_watch_observe(struct kcheck_hw_watch *w, const struct part *p, uint32_t incarnation,
                             uint64_t now_ns, char *why, size_t why_bytes)
{
    if (p->role != PART_LEADER)
        return true;
    w->observations++;
    struct kcheck_hw_mark *m = kcheck_hw_mark(w, p);
    if (m == NULL)
        return true;
    int64_t hw = part_high_watermark(p);
    bool same = m->incarnation == incarnation && m->leader_epoch == p->leader_epoch;
    bool back = same && hw < m->high_watermark;
    if (back)
        snprintf(why, why_bytes,
                 "%s-%d: the high watermark of leader broker %d went back from %" PRId64
                 " to %" PRId64 " within leader epoch %d at %" PRIu64 ".%06" PRIu64 "s",
                 p->topic, p->partition, p->broker_id, m->high_watermark, hw, p->leader_epoch,
                 now_ns / 1000000000u, now_ns % 1000000000u / 1000u);
    m->incarnation = incarnation;
    m->leader_epoch = p->leader_epoch;
    m->high_watermark = hw;
    KS_ASSERT(w->mark_count <= KCHECK_HW_MARKS_MAX);
    return !back;
}

void kcheck_observe_leader(struct kcheck *ck, const struct part *p, uint32_t incarnation,
                           uint64_t now_ns)
{
    char why[KCHECK_TEXT_BYTES];
    if (!kcheck_hw_watch_observe(&ck->hw_watch, p, incarnation, now_ns, why, sizeof(why)))
        kcheck_violation(ck, KCHECK_HW_MONOTONIC, "%s", why);
}

uint64_t kcheck_run(struct kcheck *ck)
{
    kcheck_walk(ck);
    kcheck_duplicates(ck);
    kcheck_key_order(ck);
    kcheck_replicas_agree(ck);
    uint64_t total = 0;
    for (uint32_t k = 0; k < KCHECK_KIND_COUNT; k++)
        total += ck->violation_count[k];
    return total;
}

uint64_t kcheck_violations(const struct kcheck *ck, enum kcheck_kind kind)
{
    KS_ASSERT(kind < KCHECK_KIND_COUNT);
    return ck->violation_count[kind];
}

void kcheck_report(const struct kcheck *ck, FILE *out)
{
    fprintf(out,
            "kcheck: sent %" PRIu64 ", acknowledged %" PRIu64 ", failed %" PRIu64
            ", received %" PRIu64 "\n",
            ck->sent, ck->acked, ck->failed, ck->received);
    for (uint32_t k = 0; k < KCHECK_KIND_COUNT; k++)
        fprintf(out, "  %-26s violations %" PRIu64 ", allowed anomalies %" PRIu64 "\n",
                kcheck_kind_name((enum kcheck_kind)k), ck->violation_count[k],
                ck->allowed_count[k]);
    for (uint64_t i = 0; i < ck->kept; i++)
        fprintf(out, "  VIOLATION %s: %s\n", kcheck_kind_name(ck->violations[i].kind),
                ck->violations[i].text);
}
