/*
 * pstate.c: idempotent producer state of one partition, see pstate.h. Kafka:
 * ProducerStateManager, ProducerStateEntry, ProducerAppendInfo.
 */
#include "pstate.h"

#include <stdlib.h>
#include <string.h>

#include "system/log/rb.h"

void pstate_init(struct pstate *ps)
{
    memset(ps, 0, sizeof(*ps));
}

void pstate_free(struct pstate *ps)
{
    free(ps->producers);
    memset(ps, 0, sizeof(*ps));
}

void pstate_clear(struct pstate *ps)
{
    ps->producer_count = 0;
}

/* Index of the first producer with id >= producer_id. */
static uint32_t pstate_lower_bound(const struct pstate *ps, int64_t producer_id)
{
    uint32_t low = 0, high = ps->producer_count;
    while (low < high) {
        uint32_t mid = low + (high - low) / 2;
        if (ps->producers[mid].producer_id < producer_id)
            low = mid + 1;
        else
            high = mid;
    }
    KS_ASSERT(low <= ps->producer_count);
    return low;
}

const struct pstate_producer *pstate_find(const struct pstate *ps, int64_t producer_id)
{
    uint32_t i = pstate_lower_bound(ps, producer_id);
    if (i < ps->producer_count && ps->producers[i].producer_id == producer_id)
        return &ps->producers[i];
    return NULL;
}

static int32_t pstate_next_sequence(int32_t sequence)
{
    KS_ASSERT(sequence >= 0);
    return sequence == PSTATE_SEQUENCE_MAX ? 0 : sequence + 1;
}

enum ks_err pstate_check(const struct pstate *ps, int64_t producer_id, int16_t epoch,
                         int32_t first_sequence, int32_t last_sequence, struct pstate_verdict *out)
{
    KS_ASSERT(producer_id >= 0);
    memset(out, 0, sizeof(*out));
    if (first_sequence < 0 || last_sequence < 0)
        return KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    const struct pstate_producer *p = pstate_find(ps, producer_id);
    if (p == NULL || p->batch_count == 0)
        return KS_OK; /* unknown producer: any sequence (KIP-360) */
    if (epoch < p->epoch)
        return KS_ERR_INVALID_PRODUCER_EPOCH;
    if (epoch > p->epoch)
        return first_sequence == 0 ? KS_OK : KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
    for (uint32_t i = 0; i < p->batch_count; i++) {
        const struct pstate_batch *b = &p->batches[i];
        if (b->first_sequence == first_sequence && b->last_sequence == last_sequence) {
            out->duplicate = true;
            out->first_offset = b->first_offset;
            out->last_offset = b->last_offset;
            return KS_OK;
        }
    }
    int32_t expected = pstate_next_sequence(p->batches[p->batch_count - 1].last_sequence);
    return first_sequence == expected ? KS_OK : KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
}

/* The entry for producer_id, inserted empty when missing; NULL at the limit. */
static struct pstate_producer *pstate_get_or_insert(struct pstate *ps, int64_t producer_id)
{
    uint32_t i = pstate_lower_bound(ps, producer_id);
    if (i < ps->producer_count && ps->producers[i].producer_id == producer_id)
        return &ps->producers[i];
    if (ps->producer_count == PSTATE_PRODUCERS_MAX)
        return NULL;
    if (ps->producer_count == ps->producer_capacity) {
        ps->producer_capacity = ps->producer_capacity == 0 ? 8 : ps->producer_capacity * 2;
        ps->producers = ks_realloc(ps->producers, ps->producer_capacity * sizeof(*ps->producers));
    }
    memmove(&ps->producers[i + 1], &ps->producers[i],
            (ps->producer_count - i) * sizeof(*ps->producers));
    ps->producer_count++;
    memset(&ps->producers[i], 0, sizeof(ps->producers[i]));
    ps->producers[i].producer_id = producer_id;
    return &ps->producers[i];
}

enum ks_err pstate_update(struct pstate *ps, int64_t producer_id, int16_t epoch,
                          int32_t first_sequence, int32_t last_sequence, int64_t first_offset,
                          int64_t last_offset)
{
    KS_ASSERT(producer_id >= 0);
    KS_ASSERT(first_offset <= last_offset);
    struct pstate_producer *p = pstate_get_or_insert(ps, producer_id);
    if (p == NULL)
        return KS_ERR_TOO_MANY;
    if (epoch != p->epoch || p->batch_count == 0) {
        p->epoch = epoch;
        p->batch_count = 0;
    }
    if (p->batch_count == PSTATE_BATCHES_MAX) {
        memmove(&p->batches[0], &p->batches[1], (PSTATE_BATCHES_MAX - 1) * sizeof(p->batches[0]));
        p->batch_count--;
    }
    p->batches[p->batch_count++] =
        (struct pstate_batch){first_sequence, last_sequence, first_offset, last_offset};
    KS_ASSERT(p->batch_count <= PSTATE_BATCHES_MAX);
    return KS_OK;
}

void pstate_update_batches(struct pstate *ps, const uint8_t *batches, uint32_t size_bytes)
{
    uint32_t position = 0;
    for (uint32_t i = 0; i < PSTATE_REBUILD_BATCHES_MAX && position < size_bytes; i++) {
        struct rb_scan scan;
        if (rb_scan(batches + position, size_bytes - position, &scan) != KS_OK)
            return;
        const struct rb_batch_header *h = &scan.header;
        if (h->producer_id >= 0 && h->base_sequence >= 0 &&
            (h->attributes & RB_ATTR_CONTROL) == 0) {
            int32_t last = (int32_t)(((int64_t)h->base_sequence + h->last_offset_delta) %
                                     ((int64_t)PSTATE_SEQUENCE_MAX + 1));
            (void)pstate_update(ps, h->producer_id, h->producer_epoch, h->base_sequence, last,
                                scan.base_offset, scan.last_offset);
        }
        position += scan.size_bytes;
    }
}

enum ks_err pstate_rebuild(struct pstate *ps, struct plog *log)
{
    pstate_clear(ps);
    int64_t offset = log->log_start_offset;
    int64_t end = plog_log_end_offset(log);
    for (uint32_t i = 0; i < PSTATE_REBUILD_BATCHES_MAX && offset < end; i++) {
        uint8_t *bytes = NULL;
        uint32_t size = 0;
        enum ks_err err =
            plog_read(log, offset, PSTATE_REBUILD_READ_BYTES, end, true, &bytes, &size);
        if (err != KS_OK)
            return err;
        if (bytes == NULL)
            break;
        struct rb_scan scan;
        uint32_t position = 0, whole = 0;
        while (position < size && rb_scan(bytes + position, size - position, &scan) == KS_OK) {
            position += scan.size_bytes;
            whole = position;
            offset = scan.last_offset + 1;
        }
        pstate_update_batches(ps, bytes, whole);
        free(bytes);
        if (whole == 0)
            break;
    }
    return KS_OK;
}
