/*
 * seg.c: one log segment, an append-only .log of record batches with its sparse
 * .index and .timeindex. Kafka: LogSegment, OffsetIndex, TimeIndex (KIP-33).
 * Used by plog.c and cleaner.c. Invariant: base_offset <= every offset < next_offset.
 */
#include "seg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idx.h"
#include "rb.h"
#include "system/bugs.h"
#include "system/sm.h"

#define SEG_READ_CHUNK_BYTES (64u * 1024u)
#define SEG_RECOVER_CHUNK_BYTES (1024u * 1024u) /* recovery reads the .log this much at a time */

/* ---- Index entries (idx.h codecs, absolute offsets in memory) ----------------------- */

static void seg_offset_entry_store(uint8_t out[SEG_OFFSET_ENTRY_BYTES], int64_t base_offset,
                                   const struct seg_offset_entry *e)
{
    KS_ASSERT(e->offset >= base_offset);
    KS_ASSERT(e->offset - base_offset <= INT32_MAX);
    struct idx_offset_entry entry = {(int32_t)(e->offset - base_offset), (int32_t)e->position};
    idx_offset_entry_store(out, &entry);
}

static void seg_time_entry_store(uint8_t out[SEG_TIME_ENTRY_BYTES], int64_t base_offset,
                                 const struct seg_time_entry *e)
{
    KS_ASSERT(e->offset >= base_offset);
    KS_ASSERT(e->offset - base_offset <= INT32_MAX);
    struct idx_time_entry entry = {e->timestamp, (int32_t)(e->offset - base_offset)};
    idx_time_entry_store(out, &entry);
}

_Static_assert(SEG_OFFSET_ENTRY_BYTES == IDX_OFFSET_ENTRY_SIZE, "one entry size");
_Static_assert(SEG_TIME_ENTRY_BYTES == IDX_TIME_ENTRY_SIZE, "one entry size");

/* ---- Lifecycle (system/sm.h) -------------------------------------------------------- */

/* A segment's state follows from its suffix and whether its indexes are trimmed. */
enum seg_sm_state { SEG_NEW, SEG_ACTIVE, SEG_INACTIVE, SEG_CLEANED, SEG_SWAP, SEG_DELETED };
static const char *const seg_sm_names[] = {"New",     "Active", "Inactive",
                                           "Cleaned", "Swap",   "Deleted"};
static const uint32_t seg_sm_next[] = {
    [SEG_NEW] = SM_BIT(SEG_ACTIVE) | SM_BIT(SEG_INACTIVE) | SM_BIT(SEG_CLEANED) | SM_BIT(SEG_SWAP),
    [SEG_ACTIVE] = SM_BIT(SEG_INACTIVE) | SM_BIT(SEG_DELETED),
    [SEG_INACTIVE] = SM_BIT(SEG_ACTIVE) | SM_BIT(SEG_DELETED),
    [SEG_CLEANED] =
        SM_BIT(SEG_SWAP) | SM_BIT(SEG_INACTIVE) | SM_BIT(SEG_ACTIVE) | SM_BIT(SEG_DELETED),
    [SEG_SWAP] = SM_BIT(SEG_INACTIVE) | SM_BIT(SEG_ACTIVE) | SM_BIT(SEG_DELETED),
    [SEG_DELETED] = 0,
};
const struct sm_def seg_sm = {"segment", seg_sm_names, KS_ARRAY_COUNT(seg_sm_names), seg_sm_next};

static uint32_t seg_sm_state(const struct seg *seg)
{
    if (strcmp(seg->suffix, ".cleaned") == 0)
        return SEG_CLEANED;
    if (strcmp(seg->suffix, ".swap") == 0)
        return SEG_SWAP;
    if (strcmp(seg->suffix, ".deleted") == 0)
        return SEG_DELETED;
    return seg->trimmed ? SEG_INACTIVE : SEG_ACTIVE;
}

/* Trace the move from `from` to the segment's state now, when it moved. */
static void seg_sm_moved(struct seg *seg, uint32_t from)
{
    uint32_t to = seg_sm_state(seg);
    if (to != from)
        sm_transition(seg->env, &seg_sm, from, to);
}

/* ---- Paths ------------------------------------------------------------------------- */

enum ks_err seg_path(char *buf, size_t buf_bytes, const char *dir, int64_t base_offset,
                     const char *ext, const char *suffix)
{
    KS_ASSERT(base_offset >= 0);
    KS_ASSERT(buf_bytes > 0);
    int n = snprintf(buf, buf_bytes, "%s/%020lld%s%s", dir, (long long)base_offset, ext, suffix);
    if (n < 0 || (size_t)n >= buf_bytes)
        return KS_ERR_INVALID;
    return KS_OK;
}

bool seg_parse_log_name(const char *name, int64_t *base_offset_out)
{
    if (strlen(name) != SEG_NAME_DIGITS + 4 || strcmp(name + SEG_NAME_DIGITS, ".log") != 0)
        return false;
    int64_t value = 0;
    for (uint32_t i = 0; i < SEG_NAME_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        if (value > (INT64_MAX - (name[i] - '0')) / 10)
            return false;
        value = value * 10 + (name[i] - '0');
    }
    *base_offset_out = value;
    return true;
}

static enum ks_err seg_file_path(const struct seg *seg, const char *ext, char *buf)
{
    return seg_path(buf, SEG_PATH_BYTES_MAX, seg->dir, seg->base_offset, ext, seg->suffix);
}

/* ---- Life ---------------------------------------------------------------------------- */

static struct seg *seg_alloc(struct env *env, const char *dir, int64_t base_offset,
                             const struct seg_config *config, const char *suffix)
{
    KS_ASSERT(config->index_size_bytes_max >= SEG_TIME_ENTRY_BYTES * 2);
    KS_ASSERT(strlen(dir) < SEG_PATH_BYTES_MAX && strlen(suffix) < SEG_SUFFIX_BYTES_MAX);
    struct seg *seg = ks_alloc(sizeof(*seg));
    seg->env = env;
    snprintf(seg->dir, sizeof(seg->dir), "%s", dir);
    snprintf(seg->suffix, sizeof(seg->suffix), "%s", suffix);
    seg->base_offset = base_offset;
    seg->config = *config;
    seg->next_offset = base_offset;
    seg->max_timestamp = SEG_NO_TIMESTAMP;
    seg->offset_of_max_timestamp = base_offset;
    seg->first_batch_max_timestamp = SEG_NO_TIMESTAMP;
    seg->created_ms = env_wall_ms(env);
    seg->offset_entries_max = config->index_size_bytes_max / SEG_OFFSET_ENTRY_BYTES;
    seg->time_entries_max = config->index_size_bytes_max / SEG_TIME_ENTRY_BYTES;
    return seg;
}

void seg_free(struct seg *seg)
{
    if (seg == NULL)
        return;
    free(seg->offsets);
    free(seg->times);
    free(seg);
}

void seg_close(struct seg *seg)
{
    if (seg == NULL)
        return;
    if (seg->index_file != 0 && seg->time_file != 0) {
        enum ks_err err = seg_indexes_write(seg);
        (void)err; /* best effort, as close is: a short index fails its checks at open */
    }
    if (seg->log_file != 0)
        env_file_close(seg->env, seg->log_file);
    if (seg->index_file != 0)
        env_file_close(seg->env, seg->index_file);
    if (seg->time_file != 0)
        env_file_close(seg->env, seg->time_file);
    seg_free(seg);
}

static enum ks_err seg_open_file(struct seg *seg, const char *ext, unsigned flags,
                                 env_file_id *file_out)
{
    char path[SEG_PATH_BYTES_MAX];
    enum ks_err err = seg_file_path(seg, ext, path);
    if (err != KS_OK)
        return err;
    return env_file_open(seg->env, path, flags, file_out);
}

/* Sets both index files to their preallocated sizes (from their entries up). */
static enum ks_err seg_indexes_preallocate(struct seg *seg)
{
    uint64_t offset_bytes = (uint64_t)seg->offset_entries_max * SEG_OFFSET_ENTRY_BYTES;
    uint64_t time_bytes = (uint64_t)seg->time_entries_max * SEG_TIME_ENTRY_BYTES;
    enum ks_err err = env_file_truncate(seg->env, seg->index_file, offset_bytes);
    if (err == KS_OK)
        err = env_file_truncate(seg->env, seg->time_file, time_bytes);
    if (err == KS_OK)
        seg->trimmed = false;
    return err;
}

enum ks_err seg_create(struct env *env, const char *dir, int64_t base_offset,
                       const struct seg_config *config, const char *suffix, struct seg **seg_out)
{
    struct seg *seg = seg_alloc(env, dir, base_offset, config, suffix);
    unsigned flags = ENV_FILE_CREATE | ENV_FILE_TRUNC;
    enum ks_err err = seg_open_file(seg, ".log", flags, &seg->log_file);
    if (err == KS_OK)
        err = seg_open_file(seg, ".index", flags, &seg->index_file);
    if (err == KS_OK)
        err = seg_open_file(seg, ".timeindex", flags, &seg->time_file);
    if (err == KS_OK)
        err = seg_indexes_preallocate(seg);
    if (err != KS_OK) {
        seg_close(seg);
        return err;
    }
    KS_ASSERT(seg->size_bytes == 0);
    seg_sm_moved(seg, SEG_NEW);
    *seg_out = seg;
    return KS_OK;
}

/* ---- Reading the .log -------------------------------------------------------------- */

enum ks_err seg_read_at(struct seg *seg, uint32_t position, uint8_t *buf, uint32_t size_bytes)
{
    KS_ASSERT((uint64_t)position + size_bytes <= seg->size_bytes);
    uint32_t got = 0;
    enum ks_err err = env_file_read(seg->env, seg->log_file, position, buf, size_bytes, &got);
    if (err != KS_OK)
        return err;
    return got == size_bytes ? KS_OK : KS_ERR_TRUNCATED;
}

/* Parses the header bytes of the batch at position (bytes from disk: checked, never
 * asserted): KS_ERR_CORRUPT_MESSAGE when its framing is impossible, KS_ERR_TRUNCATED
 * when the .log ends inside the batch. */
static enum ks_err seg_batch_parse(const struct seg *seg, const uint8_t bytes[RB_HEADER_SIZE],
                                   uint32_t position, struct seg_batch *out)
{
    struct rb_batch_header h;
    rb_batch_header_load(bytes, &h);
    if (h.magic != RB_MAGIC || h.batch_length < (int32_t)(RB_HEADER_SIZE - RB_LOG_OVERHEAD) ||
        (uint32_t)h.batch_length > RB_BATCH_SIZE_MAX - RB_LOG_OVERHEAD || h.last_offset_delta < 0)
        return KS_ERR_CORRUPT_MESSAGE;
    out->position = position;
    out->size_bytes = (uint32_t)h.batch_length + RB_LOG_OVERHEAD;
    out->base_offset = h.base_offset;
    out->last_offset = (int64_t)((uint64_t)h.base_offset + (uint64_t)h.last_offset_delta);
    out->max_timestamp = h.max_timestamp;
    out->partition_leader_epoch = h.partition_leader_epoch;
    if ((uint64_t)position + out->size_bytes > seg->size_bytes)
        return KS_ERR_TRUNCATED;
    return KS_OK;
}

/* The header of the batch at position: KS_ERR_TRUNCATED when the .log ends inside it,
 * KS_ERR_CORRUPT_MESSAGE when its framing is impossible. */
static enum ks_err seg_batch_at(struct seg *seg, uint32_t position, struct seg_batch *out)
{
    uint8_t bytes[RB_HEADER_SIZE];
    if ((uint64_t)position + RB_HEADER_SIZE > seg->size_bytes)
        return KS_ERR_TRUNCATED;
    enum ks_err err = seg_read_at(seg, position, bytes, RB_HEADER_SIZE);
    if (err != KS_OK)
        return err;
    return seg_batch_parse(seg, bytes, position, out);
}

enum ks_err seg_walk(struct seg *seg, seg_batch_fn fn, void *ctx)
{
    uint32_t position = 0;
    for (uint32_t i = 0; i < SEG_SCAN_BATCHES_MAX && position < seg->size_bytes; i++) {
        struct seg_batch batch;
        enum ks_err err = seg_batch_at(seg, position, &batch);
        if (err != KS_OK)
            return err;
        if (!fn(ctx, &batch))
            return KS_OK;
        position += batch.size_bytes;
    }
    return KS_OK;
}

/* ---- Index lookups ----------------------------------------------------------------- */

/* Position of the largest offset entry with offset <= target, 0 when none
 * (OffsetIndex.lookup). */
static uint32_t seg_offset_lookup(const struct seg *seg, int64_t target)
{
    uint32_t low = 0, high = seg->offset_count; /* answer: entries [0, low) are <= target */
    for (uint32_t step = 0; step < 64 && low < high; step++) {
        uint32_t mid = low + (high - low) / 2;
        if (seg->offsets[mid].offset <= target)
            low = mid + 1;
        else
            high = mid;
    }
    KS_ASSERT(low == high);
    return low == 0 ? 0 : seg->offsets[low - 1].position;
}

/* Offset of the largest time entry with timestamp <= target, base when none
 * (TimeIndex.lookup). */
static int64_t seg_time_lookup(const struct seg *seg, int64_t target)
{
    uint32_t low = 0, high = seg->time_count;
    for (uint32_t step = 0; step < 64 && low < high; step++) {
        uint32_t mid = low + (high - low) / 2;
        if (seg->times[mid].timestamp <= target)
            low = mid + 1;
        else
            high = mid;
    }
    KS_ASSERT(low == high);
    return low == 0 ? seg->base_offset : seg->times[low - 1].offset;
}

/* The first offset entry with offset >= target (its batch ends at or past target),
 * NULL when none (AbstractIndex.smallestUpperBoundSlotFor). */
static const struct seg_offset_entry *seg_offset_lookup_upper(const struct seg *seg, int64_t target)
{
    uint32_t low = 0, high = seg->offset_count; /* answer: entries [0, low) are < target */
    for (uint32_t step = 0; step < 64 && low < high; step++) {
        uint32_t mid = low + (high - low) / 2;
        if (seg->offsets[mid].offset < target)
            low = mid + 1;
        else
            high = mid;
    }
    KS_ASSERT(low == high);
    return low == seg->offset_count ? NULL : &seg->offsets[low];
}

enum ks_err seg_translate(struct seg *seg, int64_t offset, struct seg_batch *out)
{
    /* One read when the batch named by the first entry at or past offset holds it:
     * offsets increase batch by batch, so no earlier batch ends at or past offset.
     * The header decides, not the entry (an index from disk may lie). */
    const struct seg_offset_entry *upper = seg_offset_lookup_upper(seg, offset);
    if (upper != NULL && upper->position < seg->size_bytes) {
        enum ks_err err = seg_batch_at(seg, upper->position, out);
        if (err == KS_ERR_IO)
            return err;
        if (err == KS_OK && out->base_offset <= offset && offset <= out->last_offset)
            return KS_OK;
    }
    /* Else OffsetIndex.lookup, then a scan of headers. */
    uint32_t position = seg_offset_lookup(seg, offset);
    for (uint32_t i = 0; i < SEG_SCAN_BATCHES_MAX && position < seg->size_bytes; i++) {
        enum ks_err err = seg_batch_at(seg, position, out);
        if (err != KS_OK)
            return err;
        if (out->last_offset >= offset)
            return KS_OK;
        position += out->size_bytes;
    }
    return KS_ERR_NOT_FOUND;
}

/* ---- Appending ------------------------------------------------------------------- */

/* Adds an offset entry in memory; seg_indexes_write puts it in the file later. */
static void seg_offset_entry_append(struct seg *seg, int64_t offset, uint32_t position)
{
    KS_ASSERT(seg->offset_count < seg->offset_entries_max);
    KS_ASSERT(seg->offset_count == 0 || seg->offsets[seg->offset_count - 1].offset < offset);
    if (seg->offset_count == seg->offset_capacity) {
        uint32_t cap = seg->offset_capacity == 0 ? 16 : seg->offset_capacity * 2;
        cap = cap > seg->offset_entries_max ? seg->offset_entries_max : cap;
        seg->offsets = ks_realloc(seg->offsets, cap * sizeof(*seg->offsets));
        seg->offset_capacity = cap;
    }
    seg->offsets[seg->offset_count++] = (struct seg_offset_entry){offset, position};
    KS_ASSERT(seg->offset_written_count < seg->offset_count);
}

/* TimeIndex.maybeAppend: only a strictly larger timestamp makes an entry (in memory;
 * seg_indexes_write puts it in the file later). */
static void seg_time_entry_maybe_append(struct seg *seg, int64_t timestamp, int64_t offset,
                                        bool skip_full_check)
{
    int64_t last_ts =
        seg->time_count == 0 ? SEG_NO_TIMESTAMP : seg->times[seg->time_count - 1].timestamp;
    if (timestamp <= last_ts)
        return;
    KS_ASSERT(seg->time_count == 0 || seg->times[seg->time_count - 1].offset <= offset);
    KS_ASSERT(skip_full_check ? seg->time_count < seg->time_entries_max
                              : seg->time_count + 1 < seg->time_entries_max);
    if (seg->time_count == seg->time_capacity) {
        uint32_t cap = seg->time_capacity == 0 ? 16 : seg->time_capacity * 2;
        cap = cap > seg->time_entries_max ? seg->time_entries_max : cap;
        seg->times = ks_realloc(seg->times, cap * sizeof(*seg->times));
        seg->time_capacity = cap;
    }
    seg->times[seg->time_count++] = (struct seg_time_entry){timestamp, offset};
    KS_ASSERT(seg->time_written_count < seg->time_count);
}

/* Writes the entries [written, count) of one index: one write at the end of what the
 * file holds. Entries come from our own arrays, never from disk. */
static enum ks_err seg_index_write_pending(struct seg *seg, bool time_index)
{
    uint32_t entry_bytes = time_index ? SEG_TIME_ENTRY_BYTES : SEG_OFFSET_ENTRY_BYTES;
    uint32_t *written = time_index ? &seg->time_written_count : &seg->offset_written_count;
    uint32_t count = time_index ? seg->time_count : seg->offset_count;
    KS_ASSERT(*written <= count);
    if (*written == count)
        return KS_OK;
    uint32_t size = (count - *written) * entry_bytes;
    uint8_t *bytes = ks_alloc(size);
    for (uint32_t i = *written; i < count; i++) {
        uint8_t *out = bytes + (size_t)(i - *written) * entry_bytes;
        if (time_index)
            seg_time_entry_store(out, seg->base_offset, &seg->times[i]);
        else
            seg_offset_entry_store(out, seg->base_offset, &seg->offsets[i]);
    }
    enum ks_err err = env_file_write(seg->env, time_index ? seg->time_file : seg->index_file,
                                     (uint64_t)*written * entry_bytes, bytes, size);
    free(bytes);
    if (err == KS_OK)
        *written = count;
    return err;
}

enum ks_err seg_indexes_write(struct seg *seg)
{
    enum ks_err err = seg_index_write_pending(seg, false);
    if (err == KS_OK)
        err = seg_index_write_pending(seg, true);
    KS_ASSERT(err != KS_OK || seg->offset_written_count == seg->offset_count);
    KS_ASSERT(err != KS_OK || seg->time_written_count == seg->time_count);
    return err;
}

bool seg_index_full(const struct seg *seg)
{
    return seg->offset_count >= seg->offset_entries_max ||
           seg->time_count + 1 >= seg->time_entries_max;
}

/* The per-batch bookkeeping shared by append and recovery (LogSegment.append). */
static void seg_account_batch(struct seg *seg, const struct seg_batch *b)
{
    KS_ASSERT(b->base_offset >= seg->next_offset);
    KS_ASSERT(b->last_offset >= b->base_offset);
    if (b->max_timestamp > seg->max_timestamp) {
        seg->max_timestamp = b->max_timestamp;
        seg->offset_of_max_timestamp = b->last_offset;
    }
    if (b->position == 0)
        seg->first_batch_max_timestamp = b->max_timestamp;
    if (seg->bytes_since_index_entry > seg->config.index_interval_bytes && !seg_index_full(seg)) {
        int64_t entry_offset =
            env_bug(seg->env, KS_BUG_LOG_INDEX_BASE_OFFSET) ? b->base_offset : b->last_offset;
        seg_offset_entry_append(seg, entry_offset, b->position);
        seg_time_entry_maybe_append(seg, seg->max_timestamp, seg->offset_of_max_timestamp, false);
        seg->bytes_since_index_entry = 0;
    }
    seg->bytes_since_index_entry += b->size_bytes;
    seg->next_offset = b->last_offset + 1;
}

/* The header of the batch at the start of bytes (already validated by the caller). */
static enum ks_err seg_batch_in_memory(const uint8_t *bytes, uint32_t size_bytes, uint32_t position,
                                       struct seg_batch *out)
{
    if (size_bytes < RB_HEADER_SIZE)
        return KS_ERR_CORRUPT_MESSAGE;
    struct rb_batch_header h;
    rb_batch_header_load(bytes, &h);
    if (h.batch_length < (int32_t)(RB_HEADER_SIZE - RB_LOG_OVERHEAD) ||
        (uint32_t)h.batch_length + RB_LOG_OVERHEAD > size_bytes || h.last_offset_delta < 0)
        return KS_ERR_CORRUPT_MESSAGE;
    out->position = position;
    out->size_bytes = (uint32_t)h.batch_length + RB_LOG_OVERHEAD;
    out->base_offset = h.base_offset;
    out->last_offset = h.base_offset + h.last_offset_delta;
    out->max_timestamp = h.max_timestamp;
    out->partition_leader_epoch = h.partition_leader_epoch;
    return KS_OK;
}

enum ks_err seg_append(struct seg *seg, const uint8_t *batches, uint32_t size_bytes)
{
    KS_ASSERT(!seg->trimmed);
    KS_ASSERT((uint64_t)seg->size_bytes + size_bytes <= SEG_SIZE_BYTES_MAX);
    enum ks_err err = env_file_write(seg->env, seg->log_file, seg->size_bytes, batches, size_bytes);
    if (err != KS_OK)
        return err;
    uint32_t start = seg->size_bytes;
    seg->size_bytes += size_bytes;
    uint32_t done = 0;
    for (uint32_t i = 0; i < SEG_SCAN_BATCHES_MAX && done < size_bytes; i++) {
        struct seg_batch b;
        err = seg_batch_in_memory(batches + done, size_bytes - done, start + done, &b);
        if (err != KS_OK)
            return err;
        seg_account_batch(seg, &b);
        done += b.size_bytes;
    }
    KS_ASSERT(done == size_bytes);
    return KS_OK;
}

/* ---- Reading (fetch) and ListOffsets ------------------------------------------------ */

enum ks_err seg_read(struct seg *seg, int64_t offset, uint32_t max_bytes, uint32_t max_position,
                     bool min_one_batch, uint8_t **bytes_out, uint32_t *size_out)
{
    *bytes_out = NULL;
    *size_out = 0;
    struct seg_batch first;
    enum ks_err err = seg_translate(seg, offset, &first);
    if (err != KS_OK)
        return err;
    uint32_t limit = max_position < seg->size_bytes ? max_position : seg->size_bytes;
    if (first.position >= limit)
        return KS_OK;
    uint32_t size = limit - first.position;
    if (size > max_bytes)
        size = min_one_batch && first.size_bytes > max_bytes ? first.size_bytes : max_bytes;
    if (size == 0)
        return KS_OK;
    uint8_t *buf = ks_alloc(size);
    err = seg_read_at(seg, first.position, buf, size);
    if (err != KS_OK) {
        free(buf);
        return err;
    }
    *bytes_out = buf;
    *size_out = size;
    return KS_OK;
}

/* The first record of a decoded batch with timestamp >= target and offset >= start. */
static bool seg_batch_find_timestamp(const struct rb_batch *batch, int64_t target, int64_t start,
                                     struct seg_timestamp_offset *out)
{
    struct rb_iter it;
    rb_iter_init(&it, batch);
    struct rb_record r;
    for (int32_t i = 0; i <= batch->header.records_count && rb_iter_next(&it, &r); i++) {
        if (r.timestamp >= target && r.offset >= start) {
            out->found = true;
            out->timestamp = r.timestamp;
            out->offset = r.offset;
            out->leader_epoch = batch->header.partition_leader_epoch;
            return true;
        }
    }
    return false;
}

/* Decodes the batch b and searches it. */
static enum ks_err seg_search_batch(struct seg *seg, const struct seg_batch *b, int64_t target,
                                    int64_t start, struct seg_timestamp_offset *out)
{
    uint8_t *buf = ks_realloc(NULL, b->size_bytes); /* not zeroed: the read fills it all */
    enum ks_err err = seg_read_at(seg, b->position, buf, b->size_bytes);
    struct rb_batch batch;
    if (err == KS_OK)
        err = rb_decode(buf, b->size_bytes, &batch);
    if (err == KS_OK) {
        seg_batch_find_timestamp(&batch, target, start, out);
        rb_batch_release(&batch);
    }
    free(buf);
    return err;
}

enum ks_err seg_find_by_timestamp(struct seg *seg, int64_t timestamp, int64_t starting_offset,
                                  struct seg_timestamp_offset *out)
{
    memset(out, 0, sizeof(*out));
    int64_t from_offset = seg_time_lookup(seg, timestamp);
    if (from_offset < starting_offset)
        from_offset = starting_offset;
    uint32_t position = seg_offset_lookup(seg, from_offset);
    for (uint32_t i = 0; i < SEG_SCAN_BATCHES_MAX && position < seg->size_bytes; i++) {
        struct seg_batch b;
        enum ks_err err = seg_batch_at(seg, position, &b);
        if (err != KS_OK)
            return err;
        if (b.max_timestamp >= timestamp && b.last_offset >= starting_offset) {
            err = seg_search_batch(seg, &b, timestamp, starting_offset, out);
            if (err != KS_OK || out->found)
                return err;
        }
        position += b.size_bytes;
    }
    return KS_OK;
}

/* ---- Truncation, flush, trim ------------------------------------------------------- */

/* Cuts the in-memory index entries at or past offset, and zeroes them on disk (the
 * files are cut to the entries they hold, then preallocated again when active). */
static enum ks_err seg_indexes_truncate(struct seg *seg, int64_t offset)
{
    uint32_t n = seg->offset_count;
    for (uint32_t i = 0;
         i < seg->offset_entries_max && n > 0 && seg->offsets[n - 1].offset >= offset; i++)
        n--;
    seg->offset_count = n;
    uint32_t t = seg->time_count;
    for (uint32_t i = 0; i < seg->time_entries_max && t > 0 && seg->times[t - 1].offset >= offset;
         i++)
        t--;
    seg->time_count = t;
    /* the files keep what they hold of the remaining entries; the rest stays pending */
    seg->offset_written_count = n < seg->offset_written_count ? n : seg->offset_written_count;
    seg->time_written_count = t < seg->time_written_count ? t : seg->time_written_count;
    enum ks_err err = env_file_truncate(
        seg->env, seg->index_file, (uint64_t)seg->offset_written_count * SEG_OFFSET_ENTRY_BYTES);
    if (err == KS_OK)
        err = env_file_truncate(seg->env, seg->time_file,
                                (uint64_t)seg->time_written_count * SEG_TIME_ENTRY_BYTES);
    if (err == KS_OK && !seg->trimmed)
        err = seg_indexes_preallocate(seg);
    return err;
}

/* After a truncation: the largest timestamp from the last time entry on
 * (LogSegment.loadLargestTimestamp), the next offset from the last offset entry on. */
static enum ks_err seg_reload_tail(struct seg *seg)
{
    seg->max_timestamp = SEG_NO_TIMESTAMP;
    seg->offset_of_max_timestamp = seg->base_offset;
    if (seg->time_count > 0) {
        seg->max_timestamp = seg->times[seg->time_count - 1].timestamp;
        seg->offset_of_max_timestamp = seg->times[seg->time_count - 1].offset;
    }
    uint32_t position =
        seg->time_count == 0 ? 0 : seg_offset_lookup(seg, seg->offset_of_max_timestamp);
    uint32_t from_offset_entry = seg_offset_lookup(seg, INT64_MAX);
    position = position < from_offset_entry ? position : from_offset_entry;
    seg->next_offset = seg->base_offset;
    seg->first_batch_max_timestamp = SEG_NO_TIMESTAMP;
    for (uint32_t i = 0; i < SEG_SCAN_BATCHES_MAX && position < seg->size_bytes; i++) {
        struct seg_batch b;
        enum ks_err err = seg_batch_at(seg, position, &b);
        if (err != KS_OK)
            return err;
        if (b.max_timestamp > seg->max_timestamp) {
            seg->max_timestamp = b.max_timestamp;
            seg->offset_of_max_timestamp = b.last_offset;
        }
        seg->next_offset = b.last_offset + 1;
        position += b.size_bytes;
    }
    seg->bytes_since_index_entry = seg->size_bytes - seg_offset_lookup(seg, INT64_MAX);
    struct seg_batch first;
    if (seg->size_bytes > 0 && seg_batch_at(seg, 0, &first) == KS_OK)
        seg->first_batch_max_timestamp = first.max_timestamp;
    return KS_OK;
}

enum ks_err seg_truncate_to(struct seg *seg, int64_t offset, uint32_t *truncated_bytes_out)
{
    *truncated_bytes_out = 0;
    struct seg_batch b;
    enum ks_err err = seg_translate(seg, offset, &b);
    if (err == KS_ERR_NOT_FOUND)
        return KS_OK; /* nothing at or past offset */
    if (err != KS_OK)
        return err;
    err = seg_indexes_truncate(seg, offset);
    if (err == KS_OK)
        err = env_file_truncate(seg->env, seg->log_file, b.position);
    if (err != KS_OK)
        return err;
    *truncated_bytes_out = seg->size_bytes - b.position;
    seg->size_bytes = b.position;
    if (seg->size_bytes == 0)
        seg->created_ms = env_wall_ms(seg->env);
    err = seg_reload_tail(seg);
    KS_ASSERT(seg->next_offset <= offset || seg->next_offset == seg->base_offset);
    return err;
}

enum ks_err seg_flush(struct seg *seg)
{
    enum ks_err err = seg_indexes_write(seg);
    if (err == KS_OK)
        err = env_file_sync(seg->env, seg->log_file);
    if (err == KS_OK)
        err = env_file_sync(seg->env, seg->index_file);
    if (err == KS_OK)
        err = env_file_sync(seg->env, seg->time_file);
    return err;
}

enum ks_err seg_trim(struct seg *seg)
{
    if (seg->trimmed)
        return KS_OK;
    uint32_t from = seg_sm_state(seg);
    if (seg->max_timestamp != SEG_NO_TIMESTAMP)
        seg_time_entry_maybe_append(seg, seg->max_timestamp, seg->offset_of_max_timestamp, true);
    enum ks_err err = seg_indexes_write(seg);
    if (err == KS_OK)
        err = env_file_truncate(seg->env, seg->index_file,
                                (uint64_t)seg->offset_count * SEG_OFFSET_ENTRY_BYTES);
    if (err == KS_OK)
        err = env_file_truncate(seg->env, seg->time_file,
                                (uint64_t)seg->time_count * SEG_TIME_ENTRY_BYTES);
    if (err == KS_OK)
        seg->trimmed = true;
    seg_sm_moved(seg, from);
    return err;
}

enum ks_err seg_untrim(struct seg *seg)
{
    if (!seg->trimmed)
        return KS_OK;
    uint32_t from = seg_sm_state(seg);
    enum ks_err err = seg_indexes_preallocate(seg);
    seg_sm_moved(seg, from);
    return err;
}

/* ---- Recovery ---------------------------------------------------------------------- */

/* A window on the .log for recovery's walk: [position, position + size) read in
 * chunks of SEG_RECOVER_CHUNK_BYTES, so a walk makes one read a chunk, not two a batch. */
struct seg_window {
    uint8_t *bytes; /* capacity bytes, allocated */
    uint32_t capacity;
    uint32_t position; /* of bytes[0] in the .log */
    uint32_t size;     /* bytes read */
};

/* Points *out at [position, position + size) of the .log, reading a new chunk from
 * position when the window does not hold it all. The caller checked that the range
 * lies inside the .log. */
static enum ks_err seg_window_get(struct seg *seg, struct seg_window *w, uint32_t position,
                                  uint32_t size, const uint8_t **out)
{
    KS_ASSERT((uint64_t)position + size <= seg->size_bytes);
    if (position >= w->position && (uint64_t)position + size <= (uint64_t)w->position + w->size) {
        *out = w->bytes + (position - w->position);
        return KS_OK;
    }
    uint32_t want = size > SEG_RECOVER_CHUNK_BYTES ? size : SEG_RECOVER_CHUNK_BYTES;
    want = want < seg->size_bytes - position ? want : seg->size_bytes - position;
    if (want > w->capacity) {
        free(w->bytes);
        w->bytes = ks_alloc(want);
        w->capacity = want;
    }
    w->size = 0; /* empty until the read succeeds */
    enum ks_err err = seg_read_at(seg, position, w->bytes, want);
    if (err != KS_OK)
        return err;
    w->position = position;
    w->size = want;
    KS_ASSERT(want >= size);
    *out = w->bytes;
    return KS_OK;
}

/* Checks the batch at position in full, from the window: KS_OK with *out filled when
 * it is whole, framed, CRC-valid and above next_offset; any error means "cut here"
 * (KS_ERR_IO: the read failed). */
static enum ks_err seg_recover_check(struct seg *seg, uint32_t position, struct seg_window *w,
                                     struct seg_batch *out)
{
    const uint8_t *bytes = NULL;
    if ((uint64_t)position + RB_HEADER_SIZE > seg->size_bytes)
        return KS_ERR_TRUNCATED;
    enum ks_err err = seg_window_get(seg, w, position, RB_HEADER_SIZE, &bytes);
    if (err == KS_OK)
        err = seg_batch_parse(seg, bytes, position, out);
    if (err == KS_OK)
        err = seg_window_get(seg, w, position, out->size_bytes, &bytes);
    if (err != KS_OK)
        return err;
    struct rb_scan scan;
    err = rb_scan(bytes, out->size_bytes, &scan);
    if (err != KS_OK)
        return err;
    KS_ASSERT(scan.size_bytes == out->size_bytes); /* one batchLength, parsed twice */
    if (!scan.crc_valid && !env_bug(seg->env, KS_BUG_LOG_SKIP_RECOVERY_CRC))
        return KS_ERR_CORRUPT_MESSAGE;
    if (out->base_offset < seg->next_offset || out->last_offset - seg->base_offset > INT32_MAX)
        return KS_ERR_CORRUPT_MESSAGE;
    return KS_OK;
}

enum ks_err seg_recover(struct seg *seg, seg_recover_batch_fn fn, void *ctx,
                        uint32_t *truncated_bytes_out)
{
    *truncated_bytes_out = 0;
    seg->offset_count = 0;
    seg->time_count = 0;
    seg->next_offset = seg->base_offset;
    seg->max_timestamp = SEG_NO_TIMESTAMP;
    seg->offset_of_max_timestamp = seg->base_offset;
    seg->first_batch_max_timestamp = SEG_NO_TIMESTAMP;
    seg->bytes_since_index_entry = 0;
    bool was_trimmed = seg->trimmed;
    seg->trimmed = false;
    seg->needs_recovery = false;
    enum ks_err err = seg_indexes_truncate(seg, seg->base_offset);
    struct seg_window window = {0};
    uint32_t valid = 0;
    for (uint32_t i = 0; err == KS_OK && i < SEG_SCAN_BATCHES_MAX && valid < seg->size_bytes; i++) {
        struct seg_batch b;
        enum ks_err bad = seg_recover_check(seg, valid, &window, &b);
        if (bad == KS_ERR_IO)
            err = bad;
        if (bad != KS_OK)
            break;
        seg_account_batch(seg, &b);
        if (fn != NULL)
            fn(ctx, &b);
        valid += b.size_bytes;
    }
    free(window.bytes);
    if (err == KS_OK && valid < seg->size_bytes) {
        err = env_file_truncate(seg->env, seg->log_file, valid);
        *truncated_bytes_out = seg->size_bytes - valid;
        seg->size_bytes = valid;
    }
    if (err == KS_OK && was_trimmed)
        err = seg_trim(seg);
    if (err == KS_OK)
        err = seg_indexes_write(seg); /* the rebuilt entries, one write an index */
    return err;
}

/* ---- Opening an existing segment ---------------------------------------------------- */

/* Reads the whole index file; *entries_out counts whole entries; false on a length
 * that is not a multiple of the entry size. */
static enum ks_err seg_index_read(struct seg *seg, env_file_id file, uint32_t entry_bytes,
                                  uint32_t entries_max, uint8_t **bytes_out, uint32_t *count_out,
                                  bool *sane_io)
{
    uint64_t size = 0;
    *bytes_out = NULL;
    *count_out = 0;
    enum ks_err err = env_file_size(seg->env, file, &size);
    if (err != KS_OK)
        return err;
    if (size % entry_bytes != 0 || size / entry_bytes > entries_max) {
        *sane_io = false;
        return KS_OK;
    }
    uint8_t *bytes = ks_alloc(size == 0 ? 1 : size);
    uint32_t got = 0;
    err = env_file_read(seg->env, file, 0, bytes, (uint32_t)size, &got);
    if (err == KS_OK && got != size)
        err = KS_ERR_TRUNCATED;
    if (err != KS_OK) {
        free(bytes);
        return err;
    }
    *bytes_out = bytes;
    *count_out = (uint32_t)(size / entry_bytes);
    return KS_OK;
}

/* Loads offset entries: offsets and positions strictly increase, inside the .log. */
static void seg_offsets_load(struct seg *seg, const uint8_t *bytes, uint32_t count, bool *sane_io)
{
    seg->offsets = ks_alloc((count == 0 ? 1 : count) * sizeof(*seg->offsets));
    seg->offset_capacity = count == 0 ? 1 : count;
    uint32_t entries = 0;
    if (idx_offset_check(bytes, (size_t)count * SEG_OFFSET_ENTRY_BYTES, &entries) != KS_OK ||
        !idx_offset_is_sorted(bytes, count)) {
        *sane_io = false;
        return;
    }
    for (uint32_t i = 0; i < count; i++) {
        struct idx_offset_entry raw;
        idx_offset_entry_load(bytes + (size_t)i * SEG_OFFSET_ENTRY_BYTES, &raw);
        struct seg_offset_entry e = {.offset = seg->base_offset + raw.relative_offset,
                                     .position = (uint32_t)raw.position};
        bool ordered = i == 0 || e.position > seg->offsets[i - 1].position;
        if (raw.relative_offset < 0 || raw.position < 0 || e.position >= seg->size_bytes ||
            !ordered) {
            *sane_io = false;
            return;
        }
        seg->offsets[seg->offset_count++] = e;
        seg->offset_written_count = seg->offset_count; /* read from the file */
    }
}

/* Loads time entries: timestamps strictly and offsets weakly increase. */
static void seg_times_load(struct seg *seg, const uint8_t *bytes, uint32_t count, bool *sane_io)
{
    seg->times = ks_alloc((count == 0 ? 1 : count) * sizeof(*seg->times));
    seg->time_capacity = count == 0 ? 1 : count;
    uint32_t entries = 0;
    if (idx_time_check(bytes, (size_t)count * SEG_TIME_ENTRY_BYTES, &entries) != KS_OK) {
        *sane_io = false;
        return;
    }
    for (uint32_t i = 0; i < count; i++) {
        struct idx_time_entry raw;
        idx_time_entry_load(bytes + (size_t)i * SEG_TIME_ENTRY_BYTES, &raw);
        struct seg_time_entry e = {.timestamp = raw.timestamp,
                                   .offset = seg->base_offset + raw.relative_offset};
        bool ordered = i == 0 || (e.timestamp > seg->times[i - 1].timestamp &&
                                  e.offset >= seg->times[i - 1].offset);
        if (raw.relative_offset < 0 || raw.timestamp < 0 || !ordered) {
            *sane_io = false;
            return;
        }
        seg->times[seg->time_count++] = e;
        seg->time_written_count = seg->time_count; /* read from the file */
    }
}

/* Opens both index files (a missing one is created empty and marks the segment for
 * rebuilding) and loads them. */
static enum ks_err seg_indexes_load(struct seg *seg, bool *sane_io)
{
    env_file_id *files[2] = {&seg->index_file, &seg->time_file};
    const char *exts[2] = {".index", ".timeindex"};
    for (uint32_t i = 0; i < 2; i++) {
        enum ks_err err = seg_open_file(seg, exts[i], 0, files[i]);
        if (err == KS_ERR_NOT_FOUND) {
            *sane_io = false;
            err = seg_open_file(seg, exts[i], ENV_FILE_CREATE | ENV_FILE_TRUNC, files[i]);
        }
        if (err != KS_OK)
            return err;
    }
    uint8_t *bytes = NULL;
    uint32_t count = 0;
    enum ks_err err = seg_index_read(seg, seg->index_file, SEG_OFFSET_ENTRY_BYTES,
                                     seg->offset_entries_max, &bytes, &count, sane_io);
    if (err == KS_OK && *sane_io)
        seg_offsets_load(seg, bytes, count, sane_io);
    free(bytes);
    bytes = NULL;
    if (err == KS_OK && *sane_io)
        err = seg_index_read(seg, seg->time_file, SEG_TIME_ENTRY_BYTES, seg->time_entries_max,
                             &bytes, &count, sane_io);
    if (err == KS_OK && *sane_io)
        seg_times_load(seg, bytes, count, sane_io);
    free(bytes);
    return err;
}

enum ks_err seg_open(struct env *env, const char *dir, int64_t base_offset,
                     const struct seg_config *config, const char *suffix, bool active,
                     bool *needs_recovery_out, struct seg **seg_out)
{
    struct seg *seg = seg_alloc(env, dir, base_offset, config, suffix);
    uint64_t size = 0;
    bool sane = true;
    enum ks_err err = seg_open_file(seg, ".log", 0, &seg->log_file);
    if (err == KS_OK)
        err = env_file_size(env, seg->log_file, &size);
    if (err == KS_OK && size > SEG_SIZE_BYTES_MAX)
        err = KS_ERR_CORRUPT_MESSAGE;
    if (err == KS_OK) {
        seg->size_bytes = (uint32_t)size;
        seg->trimmed = true; /* as found on disk; preallocated below when active */
        err = seg_indexes_load(seg, &sane);
    }
    if (err == KS_OK && sane)
        err = seg_reload_tail(seg);
    if (err == KS_ERR_CORRUPT_MESSAGE || err == KS_ERR_TRUNCATED) {
        sane = false; /* the tail does not parse: recovery decides */
        err = KS_OK;
    }
    if (err == KS_OK && active)
        err = seg_indexes_preallocate(seg);
    if (err != KS_OK) {
        seg_close(seg);
        return err;
    }
    seg->needs_recovery = !sane;
    *needs_recovery_out = !sane;
    seg_sm_moved(seg, SEG_NEW);
    *seg_out = seg;
    return KS_OK;
}

/* ---- Renaming ------------------------------------------------------------------------ */

enum ks_err seg_rename_suffix(struct seg *seg, const char *new_suffix)
{
    KS_ASSERT(strlen(new_suffix) < SEG_SUFFIX_BYTES_MAX);
    KS_ASSERT(strcmp(new_suffix, seg->suffix) != 0);
    const char *exts[3] = {".index", ".timeindex", ".log"}; /* the .log last */
    for (uint32_t i = 0; i < 3; i++) {
        char from[SEG_PATH_BYTES_MAX], to[SEG_PATH_BYTES_MAX];
        enum ks_err err = seg_file_path(seg, exts[i], from);
        if (err == KS_OK)
            err = seg_path(to, sizeof(to), seg->dir, seg->base_offset, exts[i], new_suffix);
        if (err == KS_OK)
            err = env_path_rename(seg->env, from, to);
        if (err == KS_ERR_NOT_FOUND && i < 2)
            err = KS_OK;
        if (err != KS_OK)
            return err;
    }
    uint32_t from = seg_sm_state(seg);
    snprintf(seg->suffix, sizeof(seg->suffix), "%s", new_suffix);
    seg_sm_moved(seg, from);
    return KS_OK;
}
