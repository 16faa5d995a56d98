/*
 * cleaner.c: log compaction, one synchronous pass per call. Kafka: LogCleaner.Cleaner
 * (doClean, buildOffsetMap, cleanSegments, groupSegmentsBySize), LogCleanerManager
 * (cleanableOffsets), SkimpyOffsetMap, MemoryRecords.filterTo. See cleaner.h.
 * Invariant: the active segment and everything at or above the first uncleanable
 * offset are never read for rewriting nor touched; offsets never change.
 */
#include "cleaner.h"

#include <stdlib.h>
#include <string.h>

#include "rb.h"
#include "system/bugs.h"
#include "system/sm.h"

#define CLEANER_PROBES_MAX CLEANER_KEYS_MAX

/* ---- The offset map (SkimpyOffsetMap, with exact keys) --------------------------- */

struct cleaner_slot {
    uint64_t hash;
    uint8_t *key; /* owned; NULL = empty slot */
    uint32_t key_size;
    int64_t offset;
};

struct cleaner_map {
    struct cleaner_slot *slots;
    uint32_t capacity; /* a power of two, at least twice count */
    uint32_t count;
    bool keep_first; /* the cleaner_drops_latest bug: the first offset sticks */
};

static uint64_t cleaner_hash(const uint8_t *key, uint32_t size)
{
    return ks_fnv1a64(KS_FNV1A64_INIT, key, size);
}

/* The slot holding key, or the empty slot where it would go. */
static struct cleaner_slot *cleaner_map_find(const struct cleaner_map *map, const uint8_t *key,
                                             uint32_t size, uint64_t hash)
{
    KS_ASSERT(map->capacity > 0);
    KS_ASSERT((map->capacity & (map->capacity - 1)) == 0);
    uint32_t i = (uint32_t)hash & (map->capacity - 1);
    for (uint32_t probe = 0; probe < map->capacity; probe++) {
        struct cleaner_slot *s = &map->slots[i];
        if (s->key == NULL ||
            (s->hash == hash && s->key_size == size && memcmp(s->key, key, size) == 0))
            return s;
        i = (i + 1) & (map->capacity - 1);
    }
    KS_UNREACHABLE(); /* the table is never more than half full */
}

static void cleaner_map_grow(struct cleaner_map *map)
{
    struct cleaner_map bigger = {.capacity = map->capacity == 0 ? 1024 : map->capacity * 2,
                                 .keep_first = map->keep_first};
    bigger.slots = ks_alloc((size_t)bigger.capacity * sizeof(*bigger.slots));
    for (uint32_t i = 0; i < map->capacity; i++) {
        struct cleaner_slot *s = &map->slots[i];
        if (s->key != NULL)
            *cleaner_map_find(&bigger, s->key, s->key_size, s->hash) = *s;
    }
    bigger.count = map->count;
    free(map->slots);
    *map = bigger;
}

/* Records key at offset (the latest wins, unless keep_first). False when full. */
static bool cleaner_map_put(struct cleaner_map *map, const uint8_t *key, uint32_t size,
                            int64_t offset)
{
    if (map->capacity == 0 || map->count * 2 >= map->capacity)
        cleaner_map_grow(map);
    uint64_t hash = cleaner_hash(key, size);
    struct cleaner_slot *s = cleaner_map_find(map, key, size, hash);
    if (s->key != NULL) {
        if (!map->keep_first && offset > s->offset)
            s->offset = offset;
        return true;
    }
    if (map->count == CLEANER_KEYS_MAX)
        return false;
    s->hash = hash;
    s->key = ks_alloc(size == 0 ? 1 : size);
    memcpy(s->key, key, size);
    s->key_size = size;
    s->offset = offset;
    map->count++;
    return true;
}

/* The mapped offset of key, -1 when absent. */
static int64_t cleaner_map_get(const struct cleaner_map *map, const uint8_t *key, uint32_t size)
{
    if (map->capacity == 0)
        return -1;
    const struct cleaner_slot *s = cleaner_map_find(map, key, size, cleaner_hash(key, size));
    return s->key == NULL ? -1 : s->offset;
}

static void cleaner_map_free(struct cleaner_map *map)
{
    for (uint32_t i = 0; i < map->capacity; i++)
        free(map->slots[i].key);
    free(map->slots);
    memset(map, 0, sizeof(*map));
}

/* ---- Range and ratio (LogCleanerManager.cleanableOffsets) ------------------------------ */

void cleaner_cleanable(const struct plog *log, int64_t now_ms, struct cleaner_stats *out)
{
    memset(out, 0, sizeof(*out));
    int64_t end = plog_log_end_offset(log);
    int64_t dirty = log->cleaner_checkpoint;
    if (dirty < log->log_start_offset || dirty > end)
        dirty = log->log_start_offset;
    int64_t bound = plog_active(log)->base_offset;
    bound = log->high_watermark < bound ? log->high_watermark : bound;
    for (uint32_t i = 0; log->config.min_compaction_lag_ms > 0 && i < log->segment_count; i++) {
        const struct seg *seg = log->segments[i];
        if (seg->base_offset >= bound)
            break;
        if (seg->max_timestamp > now_ms - log->config.min_compaction_lag_ms) {
            bound = seg->base_offset;
            break;
        }
    }
    uint32_t bound_index = plog_segment_floor(log, bound);
    int64_t uncleanable = log->segments[bound_index]->base_offset; /* whole segments only */
    out->first_dirty_offset = dirty;
    out->first_uncleanable_offset = uncleanable > dirty ? uncleanable : dirty;
    for (uint32_t i = 0; i < bound_index; i++) {
        const struct seg *seg = log->segments[i];
        if (seg->next_offset <= dirty && seg->base_offset < dirty)
            out->clean_bytes += seg->size_bytes;
        else
            out->cleanable_bytes += seg->size_bytes;
    }
    uint64_t total = out->clean_bytes + out->cleanable_bytes;
    out->dirty_ratio_ppm = total == 0 ? 0 : (uint32_t)(out->cleanable_bytes * 1000000u / total);
    KS_ASSERT(out->dirty_ratio_ppm <= 1000000u);
}

/* ---- Walking batches -------------------------------------------------------------------- */

typedef enum ks_err (*cleaner_batch_fn)(void *ctx, const struct seg_batch *batch,
                                        const uint8_t *bytes);

struct cleaner_walk {
    struct seg *seg;
    cleaner_batch_fn fn;
    void *ctx;
    uint8_t *buf;
    uint32_t buf_capacity;
    enum ks_err err;
};

static bool cleaner_walk_batch(void *ctx, const struct seg_batch *batch)
{
    struct cleaner_walk *w = ctx;
    if (batch->size_bytes > w->buf_capacity) {
        w->buf = ks_realloc(w->buf, batch->size_bytes);
        w->buf_capacity = batch->size_bytes;
    }
    w->err = seg_read_at(w->seg, batch->position, w->buf, batch->size_bytes);
    if (w->err == KS_OK)
        w->err = w->fn(w->ctx, batch, w->buf);
    return w->err == KS_OK;
}

/* Calls fn for every batch of seg with its bytes. */
static enum ks_err cleaner_for_each_batch(struct seg *seg, cleaner_batch_fn fn, void *ctx)
{
    struct cleaner_walk w = {.seg = seg, .fn = fn, .ctx = ctx};
    enum ks_err err = seg_walk(seg, cleaner_walk_batch, &w);
    free(w.buf);
    if (err == KS_ERR_TRUNCATED)
        err = KS_ERR_CORRUPT_MESSAGE;
    return err != KS_OK ? err : w.err;
}

/* ---- Building the offset map ---------------------------------------------------------- */

struct cleaner_mapping {
    struct cleaner_map *map;
    int64_t from_offset;
    int64_t to_offset;
    bool full;
};

static enum ks_err cleaner_map_batch(void *ctx, const struct seg_batch *b, const uint8_t *bytes)
{
    struct cleaner_mapping *m = ctx;
    struct rb_batch batch;
    if (rb_decode(bytes, b->size_bytes, &batch) != KS_OK)
        return KS_ERR_CORRUPT_MESSAGE;
    struct rb_iter it;
    struct rb_record r;
    rb_iter_init(&it, &batch);
    bool control = (batch.header.attributes & RB_ATTR_CONTROL) != 0;
    for (int32_t i = 0; !control && i <= batch.header.records_count && rb_iter_next(&it, &r); i++) {
        if (r.key == NULL || r.offset < m->from_offset || r.offset >= m->to_offset)
            continue;
        if (!cleaner_map_put(m->map, r.key, r.key_size, r.offset)) {
            m->full = true;
            break;
        }
    }
    rb_batch_release(&batch);
    return KS_OK;
}

/* Maps the dirty range; returns the end of what was mapped (a segment base). */
static enum ks_err cleaner_build_map(struct plog *log, const struct cleaner_stats *range,
                                     struct cleaner_map *map, int64_t *end_out)
{
    struct cleaner_mapping m = {map, range->first_dirty_offset, range->first_uncleanable_offset,
                                false};
    *end_out = range->first_uncleanable_offset;
    for (uint32_t i = plog_segment_floor(log, range->first_dirty_offset); i < log->segment_count;
         i++) {
        struct seg *seg = log->segments[i];
        if (seg->base_offset >= range->first_uncleanable_offset)
            break;
        enum ks_err err = cleaner_for_each_batch(seg, cleaner_map_batch, &m);
        if (err != KS_OK)
            return err;
        if (m.full) {
            *end_out = seg->base_offset; /* this segment was not wholly mapped */
            break;
        }
    }
    return KS_OK;
}

/* ---- Filtering batches (MemoryRecords.filterTo) ----------------------------------------- */

struct cleaner_filter {
    struct plog *log;
    const struct cleaner_map *map;
    struct seg *out;
    int64_t now_ms;
    struct cleaner_stats *stats;
};

/* shouldRetainRecord: keyed, the latest for its key, not an expired tombstone. */
static bool cleaner_keep(const struct cleaner_filter *f, const struct rb_batch_header *h,
                         const struct rb_record *r)
{
    if (r->key == NULL)
        return false;
    int64_t mapped = cleaner_map_get(f->map, r->key, r->key_size);
    if (mapped >= 0 && (f->map->keep_first ? r->offset > mapped : r->offset < mapped))
        return false;
    if (r->value != NULL)
        return true;
    int64_t horizon = (h->attributes & RB_ATTR_DELETE_HORIZON) != 0
                          ? h->base_timestamp
                          : h->max_timestamp + f->log->config.delete_retention_ms;
    if (f->now_ms < horizon)
        return true;
    f->stats->tombstones_dropped++;
    return false;
}

/* Appends a record to the builder with its headers. */
static enum ks_err cleaner_builder_add(struct rb_builder *b, const struct rb_record *r)
{
    struct rb_record_header *headers = NULL;
    if (r->header_count > CLEANER_HEADERS_MAX)
        return KS_ERR_CORRUPT_MESSAGE;
    if (r->header_count > 0)
        headers = ks_alloc(r->header_count * sizeof(*headers));
    uint32_t position = 0;
    for (uint32_t i = 0; i < r->header_count; i++) {
        bool ok = rb_record_header_next(r, &position, &headers[i]);
        KS_ASSERT(ok); /* rb_decode validated the record */
    }
    struct rb_record_input in = {
        .timestamp = r->timestamp,
        .key = r->key,
        .key_size = r->key_size,
        .value = r->value,
        .value_size = r->value_size,
        .headers = headers,
        .header_count = r->header_count,
    };
    enum ks_err err = rb_builder_append_at(b, r->offset_delta, &in);
    free(headers);
    return err;
}

/* Rebuilds batch with the records marked in keep; same offsets and producer fields;
 * delete_horizon_ms (KIP-534) stamped when not RB_NO_TIMESTAMP. */
static enum ks_err cleaner_rebuild(const struct cleaner_filter *f, const struct rb_batch *batch,
                                   const bool *keep, int64_t delete_horizon_ms)
{
    const struct rb_batch_header *h = &batch->header;
    struct rb_builder b;
    rb_builder_init(&b, (enum rb_compression)(h->attributes & RB_ATTR_COMPRESSION_MASK));
    rb_builder_set_flags(&b, h->attributes & (RB_ATTR_LOG_APPEND_TIME | RB_ATTR_TRANSACTIONAL));
    if (delete_horizon_ms != RB_NO_TIMESTAMP)
        rb_builder_set_delete_horizon(&b, delete_horizon_ms);
    rb_builder_set_producer(&b, h->producer_id, h->producer_epoch, h->base_sequence);
    b.base_offset = h->base_offset;
    b.partition_leader_epoch = h->partition_leader_epoch;
    struct rb_iter it;
    struct rb_record r;
    rb_iter_init(&it, batch);
    enum ks_err err = KS_OK;
    for (int32_t i = 0; err == KS_OK && i < h->records_count && rb_iter_next(&it, &r); i++) {
        if (keep[i])
            err = cleaner_builder_add(&b, &r);
    }
    rb_builder_set_last_offset_delta(&b, h->last_offset_delta);
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    if (err == KS_OK)
        err = rb_builder_finish(&b, &bytes, &size);
    rb_builder_release(&b);
    if (err == KS_OK) {
        f->stats->bytes_out += size;
        err = seg_append(f->out, bytes, size);
    }
    free(bytes);
    return err;
}

static enum ks_err cleaner_filter_batch(void *ctx, const struct seg_batch *sb, const uint8_t *bytes)
{
    struct cleaner_filter *f = ctx;
    KS_ASSERT(f->out != NULL && f->out->size_bytes <= SEG_SIZE_BYTES_MAX);
    struct rb_batch batch;
    if (rb_decode(bytes, sb->size_bytes, &batch) != KS_OK)
        return KS_ERR_CORRUPT_MESSAGE;
    f->stats->bytes_in += sb->size_bytes;
    int32_t count = batch.header.records_count;
    bool *keep = ks_alloc(count > 0 ? (size_t)count : 1);
    int32_t kept = 0;
    bool control = (batch.header.attributes & RB_ATTR_CONTROL) != 0;
    struct rb_iter it;
    struct rb_record r;
    bool tombstone_kept = false;
    rb_iter_init(&it, &batch);
    for (int32_t i = 0; i < count && rb_iter_next(&it, &r); i++) {
        keep[i] = control || cleaner_keep(f, &batch.header, &r);
        kept += keep[i] ? 1 : 0;
        tombstone_kept = tombstone_kept || (keep[i] && !control && r.value == NULL);
    }
    f->stats->records_kept += (uint64_t)kept;
    f->stats->records_dropped += (uint64_t)(count - kept);
    /* KIP-534: a batch keeping tombstones gets its delete horizon the first time. */
    int64_t horizon = (batch.header.attributes & RB_ATTR_DELETE_HORIZON) != 0
                          ? batch.header.base_timestamp
                          : RB_NO_TIMESTAMP;
    bool stamp = horizon == RB_NO_TIMESTAMP && tombstone_kept;
    if (stamp) {
        horizon = f->now_ms + f->log->config.delete_retention_ms;
        f->stats->horizons_stamped++;
    }
    enum ks_err err = KS_OK;
    if (kept == count && !stamp) {
        f->stats->bytes_out += sb->size_bytes;
        err = seg_append(f->out, bytes, sb->size_bytes); /* unchanged: byte for byte */
    } else if (kept > 0) {
        err = cleaner_rebuild(f, &batch, keep, horizon);
    }
    KS_ASSERT(kept >= 0 && kept <= count);
    KS_ASSERT(f->out->next_offset <= batch.header.base_offset + batch.header.last_offset_delta + 1);
    free(keep);
    rb_batch_release(&batch);
    return err;
}

/* ---- Groups and the pass ---------------------------------------------------------------- */

/* groupSegmentsBySize: how many segments from first go into one cleaned segment. */
static uint32_t cleaner_group_size(const struct plog *log, uint32_t first, uint32_t limit)
{
    const struct seg *head = log->segments[first];
    uint64_t bytes = head->size_bytes;
    uint64_t index_bytes = (uint64_t)head->offset_count * SEG_OFFSET_ENTRY_BYTES;
    uint32_t n = 1;
    for (; first + n < limit; n++) {
        const struct seg *next = log->segments[first + n];
        bytes += next->size_bytes;
        index_bytes += (uint64_t)next->offset_count * SEG_OFFSET_ENTRY_BYTES;
        if (bytes > (uint64_t)log->config.segment_bytes ||
            index_bytes > (uint64_t)log->config.segment_index_bytes ||
            next->next_offset - 1 - head->base_offset > INT32_MAX)
            break;
    }
    KS_ASSERT(n >= 1 && first + n <= limit);
    return n;
}

static void cleaner_discard(struct seg *cleaned)
{
    char path[SEG_PATH_BYTES_MAX];
    const char *exts[3] = {".log", ".index", ".timeindex"};
    struct env *env = cleaned->env;
    char dir[SEG_PATH_BYTES_MAX];
    int64_t base = cleaned->base_offset;
    memcpy(dir, cleaned->dir, sizeof(dir));
    seg_close(cleaned);
    for (uint32_t i = 0; i < 3; i++) {
        if (seg_path(path, sizeof(path), dir, base, exts[i], ".cleaned") == KS_OK) {
            enum ks_err err = env_path_delete(env, path);
            (void)err; /* plog_open deletes leftovers */
        }
    }
}

/* Cleans segments [first, first + count) into one, then swaps it in. */
static enum ks_err cleaner_clean_group(struct plog *log, uint32_t first, uint32_t count,
                                       struct cleaner_filter *f)
{
    struct seg *cleaned = NULL;
    enum ks_err err = seg_create(log->env, log->dir, log->segments[first]->base_offset,
                                 &log->seg_config, ".cleaned", &cleaned);
    if (err != KS_OK)
        return err;
    f->out = cleaned;
    for (uint32_t i = first; err == KS_OK && i < first + count; i++)
        err = cleaner_for_each_batch(log->segments[i], cleaner_filter_batch, f);
    if (err == KS_OK)
        err = seg_trim(cleaned);
    if (err == KS_OK)
        err = seg_flush(cleaned);
    if (err != KS_OK) {
        cleaner_discard(cleaned);
        return err;
    }
    return plog_replace_segments(log, first, count, cleaned);
}

static enum ks_err cleaner_rewrite(struct plog *log, int64_t end, struct cleaner_filter *f)
{
    uint32_t limit = 0;
    for (uint32_t i = 0; i < log->segment_count && log->segments[i]->base_offset < end; i++)
        limit = i + 1;
    KS_ASSERT(limit < log->segment_count); /* the active segment stays out */
    for (uint32_t first = 0; first < limit;) {
        uint32_t n = cleaner_group_size(log, first, limit);
        uint32_t segments_before = log->segment_count;
        enum ks_err err = cleaner_clean_group(log, first, n, f);
        if (err != KS_OK)
            return err;
        KS_ASSERT(log->segment_count == segments_before - (n - 1));
        f->stats->segments_in += n;
        f->stats->segments_out++;
        limit -= n - 1;
        first++;
    }
    return KS_OK;
}

/* One pass as a state machine (system/sm.h): a pass that finds enough dirty bytes maps
 * the keys, may rewrite, and ends idle, or failed (the log goes offline). */
enum cleaner_sm_state { CLEANER_IDLE, CLEANER_MAPPING, CLEANER_REWRITING, CLEANER_FAILED };
static const char *const cleaner_sm_names[] = {"Idle", "Mapping", "Rewriting", "Failed"};
static const uint32_t cleaner_sm_next[] = {
    [CLEANER_IDLE] = SM_BIT(CLEANER_MAPPING),
    [CLEANER_MAPPING] = SM_BIT(CLEANER_IDLE) | SM_BIT(CLEANER_REWRITING) | SM_BIT(CLEANER_FAILED),
    [CLEANER_REWRITING] = SM_BIT(CLEANER_IDLE) | SM_BIT(CLEANER_FAILED),
    [CLEANER_FAILED] = 0,
};
const struct sm_def cleaner_sm = {"cleaner", cleaner_sm_names, KS_ARRAY_COUNT(cleaner_sm_names),
                                  cleaner_sm_next};

enum ks_err cleaner_clean(struct plog *log, int64_t now_ms, struct cleaner_stats *out)
{
    cleaner_cleanable(log, now_ms, out);
    if (log->offline)
        return KS_ERR_KAFKA_STORAGE_ERROR;
    if ((log->config.cleanup_policy & PLOG_CLEANUP_COMPACT) == 0 || out->cleanable_bytes == 0 ||
        out->dirty_ratio_ppm < log->config.min_cleanable_dirty_ratio_ppm)
        return KS_OK;
    struct cleaner_map map = {.keep_first = env_bug(log->env, KS_BUG_CLEANER_DROPS_LATEST)};
    int64_t end = 0;
    uint32_t state = CLEANER_MAPPING;
    sm_transition(log->env, &cleaner_sm, CLEANER_IDLE, state);
    enum ks_err err = cleaner_build_map(log, out, &map, &end);
    if (err == KS_OK && end > log->segments[0]->base_offset) {
        sm_transition(log->env, &cleaner_sm, state, CLEANER_REWRITING);
        state = CLEANER_REWRITING;
        struct cleaner_filter f = {.log = log, .map = &map, .now_ms = now_ms, .stats = out};
        err = cleaner_rewrite(log, end, &f);
        out->cleaned = true;
    }
    cleaner_map_free(&map);
    sm_transition(log->env, &cleaner_sm, state, err == KS_OK ? CLEANER_IDLE : CLEANER_FAILED);
    if (err == KS_OK) {
        KS_ASSERT(end <= plog_active(log)->base_offset); /* never the active segment */
        if (end > log->cleaner_checkpoint)
            log->cleaner_checkpoint = end;
        env_tracef(log->env, "log.clean", "%s dirty=%lld end=%lld kept=%llu dropped=%llu", log->dir,
                   (long long)out->first_dirty_offset, (long long)end,
                   (unsigned long long)out->records_kept, (unsigned long long)out->records_dropped);
        return KS_OK;
    }
    if (err != KS_ERR_CORRUPT_MESSAGE && !log->offline)
        log->offline = true;
    return err == KS_ERR_CORRUPT_MESSAGE ? err : KS_ERR_KAFKA_STORAGE_ERROR;
}
