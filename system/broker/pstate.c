/*
 * pstate.c: idempotent producer state of one partition and its `.snapshot` files, see
 * pstate.h. Kafka: ProducerStateManager, ProducerStateEntry, ProducerAppendInfo.
 */
#include "pstate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/log/crc32c.h"
#include "system/log/rb.h"

#define PSTATE_NO_SEQUENCE (-1)
#define PSTATE_NO_COORDINATOR_EPOCH (-1)
#define PSTATE_NAME_BYTES 64u

void pstate_init(struct pstate *ps)
{
    memset(ps, 0, sizeof(*ps));
    ps->loaded_snapshot_offset = PSTATE_NO_OFFSET;
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
                          int64_t last_offset, int64_t timestamp)
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
    p->last_timestamp = timestamp;
    KS_ASSERT(p->batch_count <= PSTATE_BATCHES_MAX);
    return KS_OK;
}

void pstate_update_batches(struct pstate *ps, const uint8_t *batches, uint32_t size_bytes,
                           int64_t from_offset, int64_t to_offset)
{
    uint32_t position = 0;
    for (uint32_t i = 0; i < PSTATE_REBUILD_BATCHES_MAX && position < size_bytes; i++) {
        struct rb_scan scan;
        if (rb_scan(batches + position, size_bytes - position, &scan) != KS_OK)
            return;
        const struct rb_batch_header *h = &scan.header;
        bool in_range = scan.base_offset >= from_offset && scan.base_offset < to_offset;
        if (in_range && h->producer_id >= 0 && h->base_sequence >= 0 &&
            (h->attributes & RB_ATTR_CONTROL) == 0) {
            int32_t last = (int32_t)(((int64_t)h->base_sequence + h->last_offset_delta) %
                                     ((int64_t)PSTATE_SEQUENCE_MAX + 1));
            (void)pstate_update(ps, h->producer_id, h->producer_epoch, h->base_sequence, last,
                                scan.base_offset, scan.last_offset, h->max_timestamp);
            ps->replayed_batch_count++;
        }
        position += scan.size_bytes;
    }
}

/* Replays the log's batches from offset to its end (ProducerStateManager fed by
 * LogLoader.loadProducersFromRecords). */
static enum ks_err pstate_replay(struct pstate *ps, struct plog *log, int64_t offset)
{
    int64_t end = plog_log_end_offset(log);
    int64_t from = offset;
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
        pstate_update_batches(ps, bytes, whole, from, INT64_MAX);
        free(bytes);
        if (whole == 0)
            break;
    }
    KS_ASSERT(offset <= end || end < from);
    return KS_OK;
}

/* ---- Snapshot bytes ------------------------------------------------------------- */

static void pstate_put16(uint8_t *at, int16_t v)
{
    uint16_t u = (uint16_t)v;
    at[0] = (uint8_t)(u >> 8);
    at[1] = (uint8_t)u;
}

static void pstate_put32(uint8_t *at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        at[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void pstate_put64(uint8_t *at, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        at[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint16_t pstate_get16(const uint8_t *at)
{
    return (uint16_t)((uint16_t)at[0] << 8 | at[1]);
}

static uint32_t pstate_get32(const uint8_t *at)
{
    return (uint32_t)at[0] << 24 | (uint32_t)at[1] << 16 | (uint32_t)at[2] << 8 | at[3];
}

static uint64_t pstate_get64(const uint8_t *at)
{
    return (uint64_t)pstate_get32(at) << 32 | pstate_get32(at + 4);
}

/* One entry: the producer's last batch (ProducerStateManager.writeSnapshot). */
static void pstate_entry_encode(const struct pstate_producer *p, uint8_t *at)
{
    const struct pstate_batch *last = p->batch_count > 0 ? &p->batches[p->batch_count - 1] : NULL;
    pstate_put64(at, (uint64_t)p->producer_id);
    pstate_put16(at + 8, p->epoch);
    pstate_put32(at + 10, (uint32_t)(last != NULL ? last->last_sequence : PSTATE_NO_SEQUENCE));
    pstate_put64(at + 14, (uint64_t)(last != NULL ? last->last_offset : PSTATE_NO_OFFSET));
    pstate_put32(at + 22, (uint32_t)(last != NULL ? last->last_offset - last->first_offset : 0));
    pstate_put64(at + 26, (uint64_t)p->last_timestamp);
    pstate_put32(at + 34, (uint32_t)PSTATE_NO_COORDINATOR_EPOCH);
    pstate_put64(at + 38, (uint64_t)PSTATE_NO_OFFSET);
    _Static_assert(38 + 8 == PSTATE_SNAPSHOT_ENTRY_BYTES, "entry layout");
}

void pstate_snapshot_encode(const struct pstate *ps, uint8_t **bytes_out, uint32_t *size_out)
{
    KS_ASSERT(ps->producer_count <= PSTATE_PRODUCERS_MAX);
    uint32_t size = PSTATE_SNAPSHOT_HEADER_BYTES + ps->producer_count * PSTATE_SNAPSHOT_ENTRY_BYTES;
    uint8_t *bytes = ks_alloc(size);
    pstate_put16(bytes, PSTATE_SNAPSHOT_VERSION);
    pstate_put32(bytes + 6, ps->producer_count);
    for (uint32_t i = 0; i < ps->producer_count; i++)
        pstate_entry_encode(&ps->producers[i],
                            bytes + PSTATE_SNAPSHOT_HEADER_BYTES + i * PSTATE_SNAPSHOT_ENTRY_BYTES);
    pstate_put32(bytes + 2, crc32c(bytes + 6, size - 6));
    KS_ASSERT(size <= PSTATE_SNAPSHOT_BYTES_MAX);
    *bytes_out = bytes;
    *size_out = size;
}

/* The first sequence of a batch from its last and its offset delta (wrapping). */
static int32_t pstate_first_sequence(int32_t last_sequence, int32_t offset_delta)
{
    int64_t first = (int64_t)last_sequence - offset_delta;
    if (first < 0)
        first += (int64_t)PSTATE_SEQUENCE_MAX + 1;
    return (int32_t)first;
}

/* One entry from disk; KS_ERR_CORRUPT_MESSAGE when a field cannot be. */
static enum ks_err pstate_entry_decode(struct pstate *ps, const uint8_t *at)
{
    int64_t producer_id = (int64_t)pstate_get64(at);
    int16_t epoch = (int16_t)pstate_get16(at + 8);
    int32_t last_sequence = (int32_t)pstate_get32(at + 10);
    int64_t last_offset = (int64_t)pstate_get64(at + 14);
    int32_t offset_delta = (int32_t)pstate_get32(at + 22);
    int64_t timestamp = (int64_t)pstate_get64(at + 26);
    if (producer_id < 0 || last_sequence < PSTATE_NO_SEQUENCE || offset_delta < 0 ||
        last_offset < PSTATE_NO_OFFSET || offset_delta > last_offset + 1 ||
        pstate_find(ps, producer_id) != NULL)
        return KS_ERR_CORRUPT_MESSAGE;
    if (last_sequence == PSTATE_NO_SEQUENCE || last_offset == PSTATE_NO_OFFSET)
        return KS_OK; /* no data batch kept (a marker only): nothing to de-duplicate */
    if (offset_delta > last_offset)
        return KS_ERR_CORRUPT_MESSAGE;
    enum ks_err err =
        pstate_update(ps, producer_id, epoch, pstate_first_sequence(last_sequence, offset_delta),
                      last_sequence, last_offset - offset_delta, last_offset, timestamp);
    return err == KS_OK ? KS_OK : KS_ERR_CORRUPT_MESSAGE;
}

enum ks_err pstate_snapshot_decode(struct pstate *ps, const uint8_t *bytes, uint32_t size_bytes)
{
    pstate_clear(ps);
    if (size_bytes < PSTATE_SNAPSHOT_HEADER_BYTES ||
        (int16_t)pstate_get16(bytes) != PSTATE_SNAPSHOT_VERSION ||
        pstate_get32(bytes + 2) != crc32c(bytes + 6, size_bytes - 6))
        return KS_ERR_CORRUPT_MESSAGE;
    uint32_t count = pstate_get32(bytes + 6);
    if (count > PSTATE_PRODUCERS_MAX ||
        size_bytes != PSTATE_SNAPSHOT_HEADER_BYTES + count * PSTATE_SNAPSHOT_ENTRY_BYTES)
        return KS_ERR_CORRUPT_MESSAGE;
    for (uint32_t i = 0; i < count; i++) {
        enum ks_err err = pstate_entry_decode(ps, bytes + PSTATE_SNAPSHOT_HEADER_BYTES +
                                                      i * PSTATE_SNAPSHOT_ENTRY_BYTES);
        if (err != KS_OK) {
            pstate_clear(ps);
            return err;
        }
    }
    KS_ASSERT(ps->producer_count <= count);
    return KS_OK;
}

/* ---- Snapshot files ------------------------------------------------------------- */

void pstate_snapshot_name(int64_t offset, char *buf, size_t buf_bytes)
{
    KS_ASSERT(offset >= 0);
    int n = snprintf(buf, buf_bytes, "%020" PRId64 "%s", offset, PSTATE_SNAPSHOT_SUFFIX);
    KS_ASSERT(n > 0 && (size_t)n < buf_bytes);
}

bool pstate_snapshot_parse_name(const char *name, int64_t *offset_out)
{
    size_t suffix = strlen(PSTATE_SNAPSHOT_SUFFIX);
    if (strlen(name) != SEG_NAME_DIGITS + suffix ||
        strcmp(name + SEG_NAME_DIGITS, PSTATE_SNAPSHOT_SUFFIX) != 0)
        return false;
    int64_t offset = 0;
    for (uint32_t i = 0; i < SEG_NAME_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9' || offset > (INT64_MAX - 9) / 10)
            return false;
        offset = offset * 10 + (name[i] - '0');
    }
    *offset_out = offset;
    return true;
}

/* Collects snapshot offsets from a directory listing. */
struct pstate_listing {
    int64_t *offsets;
    uint32_t count;
    uint32_t max;
    bool overflow;
};

static void pstate_listing_add(void *ctx, const char *name, bool is_dir)
{
    struct pstate_listing *l = ctx;
    int64_t offset = 0;
    if (is_dir || !pstate_snapshot_parse_name(name, &offset))
        return;
    if (l->count == l->max) {
        l->overflow = true;
        return;
    }
    l->offsets[l->count++] = offset;
}

static int pstate_offset_compare(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

enum ks_err pstate_snapshot_offsets(struct plog *log, int64_t *offsets, uint32_t max,
                                    uint32_t *count_out)
{
    struct pstate_listing l = {offsets, 0, max, false};
    enum ks_err err = env_dir_list(log->env, log->dir, pstate_listing_add, &l);
    if (err == KS_OK && l.overflow)
        err = KS_ERR_TOO_MANY;
    qsort(offsets, l.count, sizeof(*offsets), pstate_offset_compare);
    *count_out = err == KS_OK ? l.count : 0;
    KS_ASSERT(*count_out <= max);
    return err;
}

static enum ks_err pstate_snapshot_delete(struct plog *log, int64_t offset)
{
    char name[PSTATE_NAME_BYTES], path[SEG_PATH_BYTES_MAX];
    pstate_snapshot_name(offset, name, sizeof(name));
    int n = snprintf(path, sizeof(path), "%s/%s", log->dir, name);
    KS_ASSERT(n > 0 && (size_t)n < sizeof(path));
    env_tracef(log->env, "pstate.snapshot_delete", "%s", path);
    enum ks_err err = env_path_delete(log->env, path);
    return err == KS_ERR_NOT_FOUND ? KS_OK : err;
}

/* Deletes the snapshots outside [low, high]; syncs the directory when one went. */
static enum ks_err pstate_snapshots_delete_outside(struct plog *log, int64_t low, int64_t high)
{
    int64_t *offsets = ks_alloc(PSTATE_SNAPSHOTS_MAX * sizeof(*offsets));
    uint32_t count = 0;
    enum ks_err err = pstate_snapshot_offsets(log, offsets, PSTATE_SNAPSHOTS_MAX, &count);
    bool deleted = false;
    for (uint32_t i = 0; err == KS_OK && i < count; i++) {
        if (offsets[i] >= low && offsets[i] <= high)
            continue;
        err = pstate_snapshot_delete(log, offsets[i]);
        deleted = true;
    }
    free(offsets);
    if (err == KS_OK && deleted)
        err = env_dir_sync(log->env, log->dir);
    return err;
}

enum ks_err pstate_snapshots_delete_above(struct plog *log, int64_t offset)
{
    KS_ASSERT(offset >= 0);
    return pstate_snapshots_delete_outside(log, 0, offset);
}

enum ks_err pstate_snapshot_write(const struct pstate *ps, struct plog *log, int64_t offset)
{
    KS_ASSERT(offset >= 0);
    KS_ASSERT(offset <= plog_log_end_offset(log));
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    pstate_snapshot_encode(ps, &bytes, &size);
    char name[PSTATE_NAME_BYTES];
    pstate_snapshot_name(offset, name, sizeof(name));
    enum ks_err err = plog_file_write_atomic(log->env, log->dir, name, bytes, size);
    free(bytes);
    env_tracef(log->env, "pstate.snapshot", "%s/%s producers=%u %s", log->dir, name,
               ps->producer_count, ks_err_name(err));
    if (err == KS_OK)
        err = pstate_snapshots_delete_outside(log, log->log_start_offset, INT64_MAX);
    return err;
}

/* Loads the newest snapshot at or below limit, deleting those that do not decode;
 * *offset_out -1 when none. */
static enum ks_err pstate_load_snapshot(struct pstate *ps, struct plog *log, const int64_t *offsets,
                                        uint32_t count, int64_t limit, int64_t *offset_out)
{
    *offset_out = PSTATE_NO_OFFSET;
    for (uint32_t i = count; i > 0; i--) {
        if (offsets[i - 1] > limit)
            continue;
        char name[PSTATE_NAME_BYTES], path[SEG_PATH_BYTES_MAX];
        pstate_snapshot_name(offsets[i - 1], name, sizeof(name));
        int n = snprintf(path, sizeof(path), "%s/%s", log->dir, name);
        KS_ASSERT(n > 0 && (size_t)n < sizeof(path));
        char *text = NULL;
        uint32_t size = 0;
        enum ks_err err =
            plog_file_read_all(log->env, path, PSTATE_SNAPSHOT_BYTES_MAX, &text, &size);
        if (err == KS_OK)
            err = pstate_snapshot_decode(ps, (const uint8_t *)text, size);
        free(text);
        if (err == KS_OK) {
            *offset_out = offsets[i - 1];
            return KS_OK;
        }
        if (err != KS_ERR_CORRUPT_MESSAGE && err != KS_ERR_TRUNCATED)
            return err; /* an I/O error: the log dir's problem */
        env_tracef(log->env, "pstate.snapshot_corrupt", "%s", path);
        ps->corrupt_snapshot_count++;
        err = pstate_snapshot_delete(log, offsets[i - 1]);
        if (err != KS_OK)
            return err;
    }
    pstate_clear(ps);
    return KS_OK;
}

enum ks_err pstate_load(struct pstate *ps, struct plog *log)
{
    pstate_clear(ps);
    ps->replayed_batch_count = 0;
    int64_t end = plog_log_end_offset(log);
    enum ks_err err = pstate_snapshots_delete_outside(log, log->log_start_offset, end);
    int64_t *offsets = ks_alloc(PSTATE_SNAPSHOTS_MAX * sizeof(*offsets));
    uint32_t count = 0;
    if (err == KS_OK)
        err = pstate_snapshot_offsets(log, offsets, PSTATE_SNAPSHOTS_MAX, &count);
    int64_t loaded = PSTATE_NO_OFFSET;
    if (err == KS_OK)
        err = pstate_load_snapshot(ps, log, offsets, count, end, &loaded);
    free(offsets);
    ps->loaded_snapshot_offset = loaded;
    if (err == KS_OK)
        err = pstate_replay(ps, log, loaded >= 0 ? loaded : log->log_start_offset);
    if (err == KS_OK)
        env_tracef(log->env, "pstate.load",
                   "%s snapshot=%" PRId64 " replayed=%" PRIu64 " producers=%u", log->dir, loaded,
                   ps->replayed_batch_count, ps->producer_count);
    KS_ASSERT(err != KS_OK || loaded <= end);
    return err;
}

enum ks_err pstate_truncate(struct pstate *ps, struct plog *log)
{
    enum ks_err err = pstate_snapshots_delete_above(log, plog_log_end_offset(log));
    if (err == KS_OK)
        err = pstate_load(ps, log);
    return err;
}
