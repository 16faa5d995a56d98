/*
 * plog.c: the log of one partition: sorted segments, offsets, roll, flush, retention,
 * recovery at open and the leader epoch cache. Kafka: UnifiedLog, LocalLog, LogLoader,
 * LogConfig, LeaderEpochFileCache. Invariant: log_start_offset <= high_watermark <=
 * log end offset; segments strictly increase in base offset and do not overlap.
 */
#include "plog.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "rb.h"
#include "system/bugs.h"

#define PLOG_EPOCH_CHECKPOINT "leader-epoch-checkpoint"
#define PLOG_NS_PER_MS 1000000ull
#define PLOG_DELAY_MS_MAX (INT64_MAX / (int64_t)PLOG_NS_PER_MS)

struct plog_pending_delete {
    struct plog *log;
    int64_t base_offset;
    env_timer_id timer;
};

/* ---- Configuration ----------------------------------------------------------------- */

struct plog_config_key {
    const char *topic_name;
    const char *broker_name;
    size_t field; /* offsetof in struct plog_config, an int64_t */
    int64_t default_value;
    int64_t min_value;
    int64_t max_value;
};

static const struct plog_config_key plog_config_keys[] = {
    {"segment.bytes", "log.segment.bytes", offsetof(struct plog_config, segment_bytes), 1073741824,
     14, SEG_SIZE_BYTES_MAX},
    {"segment.ms", "log.roll.ms", offsetof(struct plog_config, segment_ms), 604800000, 1,
     INT64_MAX},
    {"segment.jitter.ms", "log.roll.jitter.ms", offsetof(struct plog_config, segment_jitter_ms), 0,
     0, INT64_MAX},
    {"segment.index.bytes", "log.index.size.max.bytes",
     offsetof(struct plog_config, segment_index_bytes), 10485760, 2 * SEG_TIME_ENTRY_BYTES,
     SEG_SIZE_BYTES_MAX},
    {"index.interval.bytes", "log.index.interval.bytes",
     offsetof(struct plog_config, index_interval_bytes), 4096, 0, SEG_SIZE_BYTES_MAX},
    {"flush.messages", "log.flush.interval.messages", offsetof(struct plog_config, flush_messages),
     INT64_MAX, 1, INT64_MAX},
    {"flush.ms", "log.flush.interval.ms", offsetof(struct plog_config, flush_ms), INT64_MAX, 0,
     INT64_MAX},
    {"retention.ms", "log.retention.ms", offsetof(struct plog_config, retention_ms), 604800000, -1,
     INT64_MAX},
    {"retention.bytes", "log.retention.bytes", offsetof(struct plog_config, retention_bytes), -1,
     INT64_MIN, INT64_MAX},
    {"file.delete.delay.ms", "log.segment.delete.delay.ms",
     offsetof(struct plog_config, file_delete_delay_ms), 60000, 0, INT64_MAX},
    {"max.message.bytes", "message.max.bytes", offsetof(struct plog_config, max_message_bytes),
     1048588, 0, INT32_MAX},
    {"min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms",
     offsetof(struct plog_config, min_compaction_lag_ms), 0, 0, INT64_MAX},
    {"delete.retention.ms", "log.cleaner.delete.retention.ms",
     offsetof(struct plog_config, delete_retention_ms), 86400000, 0, INT64_MAX},
};

void plog_config_default(struct plog_config *config)
{
    memset(config, 0, sizeof(*config));
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(plog_config_keys); i++) {
        const struct plog_config_key *k = &plog_config_keys[i];
        *(int64_t *)((char *)config + k->field) = k->default_value;
    }
    config->cleanup_policy = PLOG_CLEANUP_DELETE;
    config->min_cleanable_dirty_ratio_ppm = 500000;
}

/* "compact", "delete", "compact,delete" (any order, spaces allowed). */
static enum ks_err plog_parse_policy(const char *text, unsigned *out)
{
    unsigned policy = 0;
    const char *p = text;
    for (uint32_t i = 0; i < 8 && *p != '\0'; i++) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ", ");
        if (n == 7 && strncmp(p, "compact", 7) == 0)
            policy |= PLOG_CLEANUP_COMPACT;
        else if (n == 6 && strncmp(p, "delete", 6) == 0)
            policy |= PLOG_CLEANUP_DELETE;
        else if (n != 0)
            return KS_ERR_INVALID;
        p += n;
    }
    if (policy == 0 || *p != '\0')
        return KS_ERR_INVALID;
    *out = policy;
    return KS_OK;
}

/* A ratio "0.5", "1", "0.25" in [0, 1] as parts per million, without floating point. */
static enum ks_err plog_parse_ratio_ppm(const char *text, uint32_t *out)
{
    uint32_t whole = 0, frac = 0, scale = 1000000;
    const char *p = text;
    if (*p < '0' || *p > '9')
        return KS_ERR_INVALID;
    for (uint32_t i = 0; i < 2 && *p >= '0' && *p <= '9'; i++)
        whole = whole * 10 + (uint32_t)(*p++ - '0');
    if (*p == '.') {
        p++;
        for (uint32_t i = 0; i < 6 && *p >= '0' && *p <= '9'; i++) {
            scale /= 10;
            frac += (uint32_t)(*p++ - '0') * scale;
        }
    }
    if (*p != '\0' || whole > 1 || (whole == 1 && frac > 0))
        return KS_ERR_INVALID;
    *out = whole * 1000000 + frac;
    return KS_OK;
}

enum ks_err plog_config_from_props(const struct props *props, struct plog_config *out)
{
    plog_config_default(out);
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(plog_config_keys); i++) {
        const struct plog_config_key *k = &plog_config_keys[i];
        const char *name = props_get(props, k->topic_name) != NULL ? k->topic_name : k->broker_name;
        int64_t value = 0;
        enum ks_err err = props_get_i64(props, name, k->default_value, &value);
        if (err != KS_OK || value < k->min_value || value > k->max_value)
            return KS_ERR_INVALID;
        *(int64_t *)((char *)out + k->field) = value;
    }
    const char *policy = props_get(props, "cleanup.policy");
    policy = policy != NULL ? policy : props_get(props, "log.cleanup.policy");
    if (policy != NULL && plog_parse_policy(policy, &out->cleanup_policy) != KS_OK)
        return KS_ERR_INVALID;
    const char *ratio = props_get(props, "min.cleanable.dirty.ratio");
    ratio = ratio != NULL ? ratio : props_get(props, "log.cleaner.min.cleanable.ratio");
    if (ratio != NULL && plog_parse_ratio_ppm(ratio, &out->min_cleanable_dirty_ratio_ppm) != KS_OK)
        return KS_ERR_INVALID;
    return KS_OK;
}

/* ---- Small helpers ------------------------------------------------------------------- */

/* An environment error takes the log offline. */
static enum ks_err plog_fail(struct plog *log, enum ks_err err)
{
    KS_ASSERT(err != KS_OK);
    log->offline = true;
    env_logf(log->env, ENV_LOG_ERROR, "log %s offline: %s", log->dir, ks_err_name(err));
    return KS_ERR_KAFKA_STORAGE_ERROR;
}

static int64_t plog_sub_saturating(int64_t a, int64_t b)
{
    if (b < 0 && a > INT64_MAX + b)
        return INT64_MAX;
    if (b > 0 && a < INT64_MIN + b)
        return INT64_MIN;
    return a - b;
}

uint64_t plog_size_bytes(const struct plog *log)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < log->segment_count; i++)
        total += log->segments[i]->size_bytes;
    return total;
}

uint32_t plog_segment_floor(const struct plog *log, int64_t offset)
{
    KS_ASSERT(log->segment_count > 0);
    uint32_t low = 0, high = log->segment_count; /* segments [0, low) have base <= offset */
    for (uint32_t step = 0; step < 64 && low < high; step++) {
        uint32_t mid = low + (high - low) / 2;
        if (log->segments[mid]->base_offset <= offset)
            low = mid + 1;
        else
            high = mid;
    }
    return low == 0 ? 0 : low - 1;
}

/* The shape every operation keeps: segments ordered and disjoint, the active one
 * untrimmed, log start <= high watermark <= end, recovery point <= end. O(segments):
 * checked after structural changes (open, roll, truncate, retention, swap). */
static void plog_assert_shape(const struct plog *log)
{
    KS_ASSERT(log->segment_count >= 1);
    KS_ASSERT(log->segment_count <= PLOG_SEGMENTS_MAX);
    for (uint32_t i = 0; i + 1 < log->segment_count; i++) {
        KS_ASSERT(log->segments[i]->base_offset < log->segments[i + 1]->base_offset);
        KS_ASSERT(log->segments[i]->next_offset <= log->segments[i + 1]->base_offset);
    }
    int64_t end = log->segments[log->segment_count - 1]->next_offset;
    KS_ASSERT(!log->segments[log->segment_count - 1]->trimmed);
    KS_ASSERT(log->log_start_offset <= log->high_watermark);
    KS_ASSERT(log->high_watermark <= end);
    KS_ASSERT(log->recovery_point <= end);
    KS_ASSERT(log->epoch_count <= PLOG_EPOCHS_MAX);
}

static void plog_segments_insert(struct plog *log, uint32_t at, struct seg *seg)
{
    KS_ASSERT(log->segment_count < PLOG_SEGMENTS_MAX);
    KS_ASSERT(at <= log->segment_count);
    if (log->segment_count == log->segment_capacity) {
        uint32_t cap = log->segment_capacity == 0 ? 8 : log->segment_capacity * 2;
        log->segments = ks_realloc(log->segments, cap * sizeof(*log->segments));
        log->segment_capacity = cap;
    }
    memmove(&log->segments[at + 1], &log->segments[at],
            (log->segment_count - at) * sizeof(*log->segments));
    log->segments[at] = seg;
    log->segment_count++;
}

static void plog_segments_remove(struct plog *log, uint32_t first, uint32_t count)
{
    KS_ASSERT(first + count <= log->segment_count);
    memmove(&log->segments[first], &log->segments[first + count],
            (log->segment_count - first - count) * sizeof(*log->segments));
    log->segment_count -= count;
}

/* ---- Checkpoint files ---------------------------------------------------------------- */

/* "<dir>/<name>" (name_bytes of it, all when SIZE_MAX); KS_ERR_INVALID when too long. */
static enum ks_err plog_join(char buf[SEG_PATH_BYTES_MAX], const char *dir, const char *name,
                             size_t name_bytes)
{
    size_t n = strlen(name) < name_bytes ? strlen(name) : name_bytes;
    size_t d = strlen(dir);
    if (d + 1 + n + 1 > SEG_PATH_BYTES_MAX)
        return KS_ERR_INVALID;
    memcpy(buf, dir, d);
    buf[d] = '/';
    memcpy(buf + d + 1, name, n);
    buf[d + 1 + n] = '\0';
    return KS_OK;
}

enum ks_err plog_file_write_atomic(struct env *env, const char *dir, const char *name,
                                   const uint8_t *bytes, uint32_t size_bytes)
{
    char path[SEG_PATH_BYTES_MAX], tmp[SEG_PATH_BYTES_MAX];
    enum ks_err err = plog_join(path, dir, name, SIZE_MAX);
    if (err == KS_OK)
        err = plog_join(tmp, dir, name, SIZE_MAX);
    if (err == KS_OK && strlen(tmp) + 5 > sizeof(tmp))
        err = KS_ERR_INVALID;
    if (err != KS_OK)
        return err;
    strcat(tmp, ".tmp");
    env_file_id file = 0;
    err = env_file_open(env, tmp, ENV_FILE_CREATE | ENV_FILE_TRUNC, &file);
    if (err != KS_OK)
        return err;
    if (size_bytes > 0)
        err = env_file_write(env, file, 0, bytes, size_bytes);
    if (err == KS_OK)
        err = env_file_sync(env, file);
    env_file_close(env, file);
    if (err == KS_OK)
        err = env_path_rename(env, tmp, path);
    if (err == KS_OK)
        err = env_dir_sync(env, dir);
    return err;
}

enum ks_err plog_file_read_all(struct env *env, const char *path, uint32_t max_bytes,
                               char **text_out, uint32_t *size_out)
{
    env_file_id file = 0;
    uint64_t size = 0;
    *text_out = NULL;
    enum ks_err err = env_file_open(env, path, 0, &file);
    if (err != KS_OK)
        return err;
    err = env_file_size(env, file, &size);
    if (err == KS_OK && size > max_bytes)
        err = KS_ERR_CORRUPT_MESSAGE;
    char *text = NULL;
    uint32_t got = 0;
    if (err == KS_OK) {
        text = ks_alloc(size + 1);
        err = env_file_read(env, file, 0, (uint8_t *)text, (uint32_t)size, &got);
    }
    env_file_close(env, file);
    if (err == KS_OK && got != size)
        err = KS_ERR_TRUNCATED;
    if (err != KS_OK) {
        free(text);
        return err;
    }
    text[size] = '\0';
    *text_out = text;
    *size_out = (uint32_t)size;
    return KS_OK;
}

/* ---- Leader epoch cache (LeaderEpochFileCache) -------------------------------------- */

static enum ks_err plog_epochs_write(struct plog *log)
{
    struct ckpt_epoch_entry *entries = ks_alloc((log->epoch_count + 1) * sizeof(*entries));
    for (uint32_t i = 0; i < log->epoch_count; i++)
        entries[i] = (struct ckpt_epoch_entry){log->epochs[i].epoch, log->epochs[i].start_offset};
    char *text = NULL;
    size_t size = 0;
    ckpt_epochs_format(entries, log->epoch_count, &text, &size);
    free(entries);
    KS_ASSERT(size <= PLOG_CHECKPOINT_BYTES_MAX);
    enum ks_err err = plog_file_write_atomic(log->env, log->dir, PLOG_EPOCH_CHECKPOINT,
                                             (const uint8_t *)text, (uint32_t)size);
    free(text);
    return err;
}

/* Kafka's text (ckpt.h); a malformed file is an error, as it takes Kafka's log dir
 * offline. */
static enum ks_err plog_epochs_parse(struct plog *log, const char *text, uint32_t size)
{
    struct ckpt_epoch_entry *entries = NULL;
    uint32_t count = 0;
    enum ks_err err = ckpt_epochs_parse((const uint8_t *)text, size, &entries, &count);
    if (err == KS_OK && count > PLOG_EPOCHS_MAX)
        err = KS_ERR_TOO_MANY;
    for (uint32_t i = 0; err == KS_OK && i < count; i++) {
        if (entries[i].epoch < 0 || entries[i].start_offset < 0)
            err = KS_ERR_CORRUPT_MESSAGE;
        log->epochs[i] = (struct plog_epoch_entry){entries[i].epoch, entries[i].start_offset};
    }
    free(entries);
    log->epoch_count = err == KS_OK ? count : 0;
    return err == KS_OK ? KS_OK : KS_ERR_CORRUPT_MESSAGE;
}

static enum ks_err plog_epochs_load(struct plog *log)
{
    char path[SEG_PATH_BYTES_MAX];
    char *text = NULL;
    uint32_t size = 0;
    log->epoch_count = 0;
    enum ks_err err = plog_join(path, log->dir, PLOG_EPOCH_CHECKPOINT, SIZE_MAX);
    if (err == KS_OK)
        err = plog_file_read_all(log->env, path, PLOG_CHECKPOINT_BYTES_MAX, &text, &size);
    if (err == KS_ERR_NOT_FOUND)
        return KS_OK;
    if (err == KS_OK)
        err = plog_epochs_parse(log, text, size);
    free(text);
    return err;
}

int32_t plog_latest_epoch(const struct plog *log)
{
    return log->epoch_count == 0 ? -1 : log->epochs[log->epoch_count - 1].epoch;
}

/* assign(epoch, start): only a newer epoch makes an entry. Returns whether it did. */
static bool plog_epochs_assign(struct plog *log, int32_t epoch, int64_t start_offset)
{
    if (epoch < 0 || epoch <= plog_latest_epoch(log))
        return false;
    KS_ASSERT(log->epoch_count == 0 ||
              start_offset >= log->epochs[log->epoch_count - 1].start_offset);
    if (log->epoch_count > 0 && log->epochs[log->epoch_count - 1].start_offset == start_offset)
        log->epoch_count--; /* the older epoch never wrote a batch */
    if (log->epoch_count == PLOG_EPOCHS_MAX) {
        memmove(&log->epochs[0], &log->epochs[1], (PLOG_EPOCHS_MAX - 1) * sizeof(log->epochs[0]));
        log->epoch_count--;
    }
    log->epochs[log->epoch_count++] = (struct plog_epoch_entry){epoch, start_offset};
    return true;
}

/* truncateFromEnd: drop entries starting at or past offset. */
static bool plog_epochs_truncate_end(struct plog *log, int64_t offset)
{
    uint32_t before = log->epoch_count;
    for (uint32_t i = 0; i < PLOG_EPOCHS_MAX && log->epoch_count > 0 &&
                         log->epochs[log->epoch_count - 1].start_offset >= offset;
         i++)
        log->epoch_count--;
    return before != log->epoch_count;
}

/* truncateFromStart: entries below offset go, the last of them moved to offset. */
static bool plog_epochs_truncate_start(struct plog *log, int64_t offset)
{
    uint32_t below = 0;
    for (uint32_t i = 0; i < log->epoch_count && log->epochs[i].start_offset < offset; i++)
        below++;
    if (below == 0)
        return false;
    struct plog_epoch_entry keep = {log->epochs[below - 1].epoch, offset};
    memmove(&log->epochs[1], &log->epochs[below],
            (log->epoch_count - below) * sizeof(log->epochs[0]));
    log->epochs[0] = keep;
    log->epoch_count = log->epoch_count - below + 1;
    if (log->epoch_count > 1 && log->epochs[1].start_offset == offset) {
        memmove(&log->epochs[0], &log->epochs[1], (log->epoch_count - 1) * sizeof(log->epochs[0]));
        log->epoch_count--;
    }
    return true;
}

static void plog_recover_batch(void *ctx, const struct seg_batch *batch)
{
    struct plog *log = ctx;
    plog_epochs_assign(log, batch->partition_leader_epoch, batch->base_offset);
}

/* ---- Deleting segments ------------------------------------------------------------- */

static void plog_delete_files(struct env *env, const char *dir, int64_t base, const char *suffix)
{
    const char *exts[3] = {".log", ".index", ".timeindex"};
    for (uint32_t i = 0; i < 3; i++) {
        char path[SEG_PATH_BYTES_MAX];
        if (seg_path(path, sizeof(path), dir, base, exts[i], suffix) != KS_OK)
            continue;
        enum ks_err err = env_path_delete(env, path);
        (void)err; /* a missing file or a failed delete leaves garbage, never wrong data */
    }
}

static void plog_pending_remove(struct plog *log, struct plog_pending_delete *d)
{
    for (uint32_t i = 0; i < log->delete_count; i++) {
        if (log->deletes[i] == d) {
            log->deletes[i] = log->deletes[--log->delete_count];
            free(d);
            return;
        }
    }
    KS_UNREACHABLE();
}

static void plog_pending_fire(void *ctx)
{
    struct plog_pending_delete *d = ctx;
    struct plog *log = d->log;
    plog_delete_files(log->env, log->dir, d->base_offset, ".deleted");
    log->dir_dirty = true;
    plog_pending_remove(log, d);
}

/* Renames seg to `.deleted`, closes it, schedules the delete (LocalLog.deleteSegmentFiles). */
static enum ks_err plog_segment_delete_async(struct plog *log, struct seg *seg)
{
    enum ks_err err = seg_rename_suffix(seg, ".deleted");
    int64_t base = seg->base_offset;
    seg_close(seg);
    log->dir_dirty = true;
    if (err != KS_OK)
        return err;
    KS_ASSERT(log->delete_count < PLOG_PENDING_DELETES_MAX);
    if (log->delete_count == log->delete_capacity) {
        uint32_t cap = log->delete_capacity == 0 ? 8 : log->delete_capacity * 2;
        log->deletes = ks_realloc(log->deletes, cap * sizeof(*log->deletes));
        log->delete_capacity = cap;
    }
    struct plog_pending_delete *d = ks_alloc(sizeof(*d));
    d->log = log;
    d->base_offset = base;
    int64_t delay_ms = log->config.file_delete_delay_ms;
    delay_ms = delay_ms > PLOG_DELAY_MS_MAX ? PLOG_DELAY_MS_MAX : delay_ms;
    d->timer = env_timer_start(log->env, (uint64_t)delay_ms * PLOG_NS_PER_MS, plog_pending_fire, d);
    log->deletes[log->delete_count++] = d;
    return KS_OK;
}

/* ---- Creating segments and rolling ------------------------------------------------- */

static enum ks_err plog_segment_new(struct plog *log, int64_t base_offset, struct seg **out)
{
    enum ks_err err = seg_create(log->env, log->dir, base_offset, &log->seg_config, "", out);
    if (err != KS_OK)
        return err;
    int64_t jitter = log->config.segment_jitter_ms;
    jitter = jitter < log->config.segment_ms ? jitter : log->config.segment_ms;
    (*out)->roll_jitter_ms = jitter > 0 ? (int64_t)env_random_below(log->env, (uint64_t)jitter) : 0;
    log->dir_dirty = true;
    return KS_OK;
}

/* fsync segments from the one holding from_offset to the end, then the directory. */
static enum ks_err plog_flush_from(struct plog *log, int64_t from_offset)
{
    for (uint32_t i = plog_segment_floor(log, from_offset); i < log->segment_count; i++) {
        enum ks_err err = seg_flush(log->segments[i]);
        if (err != KS_OK)
            return err;
    }
    if (log->dir_dirty) {
        enum ks_err err = env_dir_sync(log->env, log->dir);
        if (err != KS_OK)
            return err;
        log->dir_dirty = false;
    }
    return KS_OK;
}

/* LocalLog.roll at new_base: trim the old active segment and fsync everything below
 * new_base first (so that a new segment's name never survives a crash that loses data
 * before it), then create the new segment and sync its name. The recovery point moves
 * to new_base. */
static enum ks_err plog_roll_at(struct plog *log, int64_t new_base)
{
    struct seg *old = plog_active(log);
    KS_ASSERT(new_base >= old->next_offset);
    KS_ASSERT(old->size_bytes > 0);
    struct seg *seg = NULL;
    enum ks_err err = seg_trim(old);
    if (err == KS_OK && !env_bug(log->env, KS_BUG_LOG_ROLL_SKIPS_FSYNC))
        err = plog_flush_from(log, log->recovery_point);
    if (err == KS_OK)
        err = plog_segment_new(log, new_base, &seg);
    if (err != KS_OK)
        return err;
    plog_segments_insert(log, log->segment_count, seg);
    err = env_dir_sync(log->env, log->dir);
    if (err != KS_OK)
        return err;
    log->dir_dirty = false;
    if (log->recovery_point < new_base)
        log->recovery_point = new_base;
    env_tracef(log->env, "log.roll", "%s base=%lld", log->dir, (long long)new_base);
    KS_ASSERT(plog_active(log) == seg);
    plog_assert_shape(log);
    return KS_OK;
}

enum ks_err plog_roll(struct plog *log)
{
    if (log->offline)
        return KS_ERR_KAFKA_STORAGE_ERROR;
    if (plog_active(log)->size_bytes == 0)
        return KS_OK;
    enum ks_err err = plog_roll_at(log, plog_log_end_offset(log));
    return err == KS_OK ? KS_OK : plog_fail(log, err);
}

/* UnifiedLog.maybeRoll's conditions, for an append of size bytes. */
static bool plog_should_roll(const struct plog *log, uint32_t size, int64_t max_timestamp,
                             int64_t last_offset)
{
    const struct seg *a = plog_active(log);
    if (a->size_bytes == 0)
        return false;
    if ((int64_t)a->size_bytes > log->config.segment_bytes - (int64_t)size)
        return true;
    int64_t waited = a->first_batch_max_timestamp >= 0
                         ? plog_sub_saturating(max_timestamp, a->first_batch_max_timestamp)
                         : plog_sub_saturating(env_wall_ms(log->env), a->created_ms);
    if (waited > log->config.segment_ms - a->roll_jitter_ms)
        return true;
    if (seg_index_full(a))
        return true;
    return last_offset - a->base_offset > INT32_MAX;
}

/* ---- Appending ----------------------------------------------------------------------- */

/* Record i must have offset delta i; a compacted topic needs keys. */
static enum ks_err plog_validate_records(const struct plog *log, const struct rb_batch *batch)
{
    /* rb_decode let through only deltas that strictly increase from 0 up to at most
     * lastOffsetDelta, one a record: with lastOffsetDelta + 1 records they are exactly
     * 0, 1, 2..., so without keys to check the count decides, as the walk would. */
    if ((log->config.cleanup_policy & PLOG_CLEANUP_COMPACT) == 0)
        return batch->header.records_count == (int64_t)batch->header.last_offset_delta + 1
                   ? KS_OK
                   : KS_ERR_CORRUPT_MESSAGE;
    struct rb_iter it;
    struct rb_record r;
    rb_iter_init(&it, batch);
    int32_t i = 0;
    for (; i <= batch->header.records_count && rb_iter_next(&it, &r); i++) {
        if (r.offset_delta != i)
            return KS_ERR_CORRUPT_MESSAGE;
        bool control = (batch->header.attributes & RB_ATTR_CONTROL) != 0;
        if ((log->config.cleanup_policy & PLOG_CLEANUP_COMPACT) != 0 && r.key == NULL && !control)
            return KS_ERR_CORRUPT_MESSAGE; /* Kafka: INVALID_RECORD */
    }
    return i == batch->header.last_offset_delta + 1 ? KS_OK : KS_ERR_CORRUPT_MESSAGE;
}

/* LogValidator for one produced batch, in Kafka's order: framing, size, CRC, records.
 * The slow path: each check on its own, so a bad batch gets the first error in that order. */
static enum ks_err plog_validate_leader_ordered(const struct plog *log, const uint8_t *batch,
                                                uint32_t size_bytes)
{
    struct rb_scan scan;
    enum ks_err err = rb_scan(batch, size_bytes, &scan);
    if (err != KS_OK)
        return err == KS_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT ? err : KS_ERR_CORRUPT_MESSAGE;
    if ((int64_t)scan.size_bytes > log->config.max_message_bytes)
        return KS_ERR_MESSAGE_TOO_LARGE;
    if (!scan.crc_valid || scan.size_bytes != size_bytes)
        return KS_ERR_CORRUPT_MESSAGE;
    if ((int64_t)size_bytes > log->config.segment_bytes)
        return KS_ERR_RECORD_LIST_TOO_LARGE;
    struct rb_batch decoded;
    err = rb_decode(batch, size_bytes, &decoded);
    if (err != KS_OK)
        return err == KS_ERR_TRUNCATED ? KS_ERR_CORRUPT_MESSAGE : err;
    err = plog_validate_records(log, &decoded);
    rb_batch_release(&decoded);
    return err;
}

/* The same checks with one CRC pass: rb_decode checks framing, CRC and records at once.
 * Only when it fails are the checks taken one by one (plog_validate_leader_ordered),
 * which then report the same error the ordered checks always report. */
static enum ks_err plog_validate_leader(const struct plog *log, const uint8_t *batch,
                                        uint32_t size_bytes)
{
    struct rb_batch decoded;
    if (rb_decode(batch, size_bytes, &decoded) != KS_OK)
        return plog_validate_leader_ordered(log, batch, size_bytes);
    KS_ASSERT(decoded.size_bytes <= size_bytes);
    enum ks_err err = KS_OK;
    if ((int64_t)decoded.size_bytes > log->config.max_message_bytes)
        err = KS_ERR_MESSAGE_TOO_LARGE;
    else if (decoded.size_bytes != size_bytes)
        err = KS_ERR_CORRUPT_MESSAGE;
    else if ((int64_t)size_bytes > log->config.segment_bytes)
        err = KS_ERR_RECORD_LIST_TOO_LARGE;
    else
        err = plog_validate_records(log, &decoded);
    rb_batch_release(&decoded);
    return err;
}

static void plog_flush_timer_fire(void *ctx)
{
    struct plog *log = ctx;
    log->flush_timer = 0;
    if (!log->offline) {
        enum ks_err err = plog_flush(log);
        (void)err; /* plog_flush took the log offline on failure */
    }
}

/* Flush policy after an append: flush.messages now, flush.ms by a timer. */
static enum ks_err plog_after_append(struct plog *log)
{
    if (plog_log_end_offset(log) - log->recovery_point >= log->config.flush_messages)
        return plog_flush(log);
    if (log->config.flush_ms < PLOG_DELAY_MS_MAX && log->flush_timer == 0)
        log->flush_timer = env_timer_start(
            log->env, (uint64_t)log->config.flush_ms * PLOG_NS_PER_MS, plog_flush_timer_fire, log);
    return KS_OK;
}

/* Rolls if needed, appends, updates the epoch cache. */
static enum ks_err plog_append_checked(struct plog *log, const uint8_t *bytes, uint32_t size,
                                       const struct plog_append_info *info, bool *rolled_out)
{
    *rolled_out = false;
    KS_ASSERT(info->first_offset >= plog_log_end_offset(log));
    KS_ASSERT(info->last_offset >= info->first_offset);
    enum ks_err err = KS_OK;
    if (plog_should_roll(log, size, info->max_timestamp, info->last_offset)) {
        err = plog_roll_at(log, info->first_offset);
        *rolled_out = true;
    }
    if (err == KS_OK)
        err = seg_append(plog_active(log), bytes, size);
    if (err != KS_OK)
        return plog_fail(log, err);
    bool changed = false;
    uint32_t position = 0;
    for (uint32_t i = 0; i < info->batch_count; i++) {
        struct rb_batch_header h;
        rb_batch_header_load(bytes + position, &h);
        changed |= plog_epochs_assign(log, h.partition_leader_epoch, h.base_offset);
        position += (uint32_t)h.batch_length + RB_LOG_OVERHEAD;
    }
    if (changed && (err = plog_epochs_write(log)) != KS_OK)
        return plog_fail(log, err);
    KS_ASSERT(plog_log_end_offset(log) == info->last_offset + 1);
    err = plog_after_append(log);
    return err == KS_OK || log->offline ? err : plog_fail(log, err);
}

/* Re-stamped fields (baseOffset, partitionLeaderEpoch) end before the magic byte. */
_Static_assert(RB_MAGIC_OFFSET <= RB_ATTRIBUTES_OFFSET, "re-stamping leaves the CRC valid");

enum ks_err plog_append_leader(struct plog *log, uint8_t *batch, uint32_t size_bytes,
                               int32_t leader_epoch, struct plog_append_info *out)
{
    memset(out, 0, sizeof(*out));
    if (log->offline)
        return KS_ERR_KAFKA_STORAGE_ERROR;
    enum ks_err err = plog_validate_leader(log, batch, size_bytes);
    if (err != KS_OK)
        return err;
    int64_t base = plog_log_end_offset(log);
    if (env_bug(log->env, KS_BUG_LOG_OFFSET_GAP_ON_ROLL)) {
        struct rb_batch_header pre;
        rb_batch_header_load(batch, &pre);
        if (plog_should_roll(log, size_bytes, pre.max_timestamp, base + pre.last_offset_delta))
            base++;
    }
    /* baseOffset and partitionLeaderEpoch precede the CRC'd bytes (attributes to the
     * end): the CRC checked above stays valid, no second pass. */
    if (rb_restamp(batch, size_bytes, base, leader_epoch) != KS_OK)
        return KS_ERR_CORRUPT_MESSAGE;
    struct rb_batch_header h;
    rb_batch_header_load(batch, &h);
    out->first_offset = base;
    out->last_offset = base + h.last_offset_delta;
    out->max_timestamp = h.max_timestamp;
    out->size_bytes = size_bytes;
    out->batch_count = 1;
    return plog_append_checked(log, batch, size_bytes, out, &out->rolled);
}

/* Walks follower batches: CRC-valid, offsets increasing from the log end. */
static enum ks_err plog_validate_follower(const struct plog *log, const uint8_t *batches,
                                          uint32_t size_bytes, struct plog_append_info *out)
{
    int64_t next = plog_log_end_offset(log);
    uint32_t position = 0;
    out->max_timestamp = SEG_NO_TIMESTAMP;
    for (uint32_t i = 0; i < SEG_SCAN_BATCHES_MAX && position < size_bytes; i++) {
        struct rb_scan scan;
        enum ks_err err = rb_scan(batches + position, size_bytes - position, &scan);
        if (err != KS_OK || !scan.crc_valid)
            return KS_ERR_CORRUPT_MESSAGE;
        if (scan.base_offset < next || scan.last_offset < scan.base_offset)
            return KS_ERR_OFFSET_OUT_OF_RANGE;
        if (i == 0)
            out->first_offset = scan.base_offset;
        out->last_offset = scan.last_offset;
        if (scan.header.max_timestamp > out->max_timestamp)
            out->max_timestamp = scan.header.max_timestamp;
        next = scan.last_offset + 1;
        position += scan.size_bytes;
        out->batch_count++;
    }
    if (out->batch_count == 0)
        return KS_ERR_CORRUPT_MESSAGE;
    if ((int64_t)size_bytes > log->config.segment_bytes)
        return KS_ERR_RECORD_LIST_TOO_LARGE;
    out->size_bytes = size_bytes;
    return KS_OK;
}

enum ks_err plog_append_follower(struct plog *log, const uint8_t *batches, uint32_t size_bytes,
                                 struct plog_append_info *out)
{
    memset(out, 0, sizeof(*out));
    if (log->offline)
        return KS_ERR_KAFKA_STORAGE_ERROR;
    enum ks_err err = plog_validate_follower(log, batches, size_bytes, out);
    if (err != KS_OK)
        return err;
    return plog_append_checked(log, batches, size_bytes, out, &out->rolled);
}

/* ---- Reading and ListOffsets ------------------------------------------------------- */

enum ks_err plog_read(struct plog *log, int64_t offset, uint32_t max_bytes, int64_t max_offset,
                      bool min_one_batch, uint8_t **bytes_out, uint32_t *size_out)
{
    *bytes_out = NULL;
    *size_out = 0;
    if (log->offline)
        return KS_ERR_KAFKA_STORAGE_ERROR;
    int64_t end = plog_log_end_offset(log);
    if (offset < log->log_start_offset || offset > end)
        return KS_ERR_OFFSET_OUT_OF_RANGE;
    if (offset == end || max_offset <= offset)
        return KS_OK;
    for (uint32_t i = plog_segment_floor(log, offset); i < log->segment_count; i++) {
        struct seg *seg = log->segments[i];
        uint32_t max_position = seg->size_bytes;
        struct seg_batch limit;
        if (max_offset < seg->next_offset && seg_translate(seg, max_offset, &limit) == KS_OK)
            max_position = limit.position;
        enum ks_err err =
            seg_read(seg, offset, max_bytes, max_position, min_one_batch, bytes_out, size_out);
        if (err == KS_ERR_NOT_FOUND)
            continue; /* nothing at or after offset here (a compaction gap) */
        return err == KS_OK ? KS_OK : plog_fail(log, err);
    }
    return KS_OK;
}

enum ks_err plog_offset_for_timestamp(struct plog *log, int64_t timestamp,
                                      struct seg_timestamp_offset *out)
{
    memset(out, 0, sizeof(*out));
    if (log->offline)
        return KS_ERR_KAFKA_STORAGE_ERROR;
    if (timestamp == PLOG_TIMESTAMP_EARLIEST || timestamp == PLOG_TIMESTAMP_LATEST) {
        int64_t offset =
            timestamp == PLOG_TIMESTAMP_EARLIEST ? log->log_start_offset : plog_log_end_offset(log);
        *out = (struct seg_timestamp_offset){true, SEG_NO_TIMESTAMP, offset, -1};
        for (uint32_t i = 0; i < log->epoch_count && log->epochs[i].start_offset <= offset; i++)
            out->leader_epoch = log->epochs[i].epoch;
        return KS_OK;
    }
    if (timestamp < 0)
        return KS_ERR_INVALID_REQUEST;
    for (uint32_t i = 0; i < log->segment_count; i++) {
        struct seg *seg = log->segments[i];
        if (seg->max_timestamp < timestamp || seg->next_offset <= log->log_start_offset)
            continue;
        enum ks_err err = seg_find_by_timestamp(seg, timestamp, log->log_start_offset, out);
        if (err != KS_OK)
            return plog_fail(log, err);
        if (out->found)
            return KS_OK;
    }
    return KS_OK;
}

/* ---- Flush, high watermark, log start ------------------------------------------------ */

enum ks_err plog_flush(struct plog *log)
{
    if (log->offline)
        return KS_ERR_KAFKA_STORAGE_ERROR;
    enum ks_err err = plog_flush_from(log, log->recovery_point);
    if (err != KS_OK)
        return plog_fail(log, err);
    log->recovery_point = plog_log_end_offset(log);
    KS_ASSERT(!log->dir_dirty);
    return KS_OK;
}

void plog_set_high_watermark(struct plog *log, int64_t high_watermark)
{
    KS_ASSERT(high_watermark >= log->log_start_offset);
    KS_ASSERT(high_watermark <= plog_log_end_offset(log));
    log->high_watermark = high_watermark;
}

enum ks_err plog_advance_log_start_offset(struct plog *log, int64_t offset)
{
    if (log->offline)
        return KS_ERR_KAFKA_STORAGE_ERROR;
    if (offset > log->high_watermark)
        return KS_ERR_OFFSET_OUT_OF_RANGE;
    if (offset <= log->log_start_offset)
        return KS_OK;
    log->log_start_offset = offset;
    if (plog_epochs_truncate_start(log, offset)) {
        enum ks_err err = plog_epochs_write(log);
        if (err != KS_OK)
            return plog_fail(log, err);
    }
    return KS_OK;
}

/* ---- Truncation (followers) ---------------------------------------------------------- */

/* Deletes segments [first, count) from the end (newest first). */
static enum ks_err plog_delete_tail(struct plog *log, uint32_t first)
{
    for (uint32_t i = log->segment_count; i > first; i--) {
        struct seg *seg = log->segments[i - 1];
        plog_segments_remove(log, i - 1, 1);
        enum ks_err err = plog_segment_delete_async(log, seg);
        if (err != KS_OK)
            return err;
    }
    return KS_OK;
}

static enum ks_err plog_truncate_inner(struct plog *log, int64_t offset)
{
    bool fully = offset <= log->segments[0]->base_offset || offset < log->log_start_offset;
    uint32_t keep = fully ? 0 : plog_segment_floor(log, offset - 1) + 1;
    enum ks_err err = plog_delete_tail(log, keep);
    if (err == KS_OK && fully) {
        struct seg *fresh = NULL;
        err = plog_segment_new(log, offset, &fresh);
        if (err == KS_OK) {
            plog_segments_insert(log, 0, fresh);
            log->log_start_offset = offset;
        }
    }
    if (err != KS_OK)
        return err;
    uint32_t cut = 0;
    err = seg_truncate_to(plog_active(log), offset, &cut);
    if (err == KS_OK)
        err = seg_untrim(plog_active(log));
    if (err == KS_OK)
        err = seg_flush(plog_active(log));
    if (err == KS_OK)
        err = env_dir_sync(log->env, log->dir);
    log->dir_dirty = err != KS_OK;
    return err;
}

enum ks_err plog_truncate_to(struct plog *log, int64_t offset)
{
    if (log->offline)
        return KS_ERR_KAFKA_STORAGE_ERROR;
    KS_ASSERT(offset >= 0);
    if (offset >= plog_log_end_offset(log))
        return KS_OK;
    enum ks_err err = plog_truncate_inner(log, offset);
    if (err != KS_OK)
        return plog_fail(log, err);
    int64_t end = plog_log_end_offset(log);
    KS_ASSERT(end <= offset);
    if (log->high_watermark > end)
        log->high_watermark = end;
    if (log->recovery_point > end)
        log->recovery_point = end;
    if (log->log_start_offset > end)
        log->log_start_offset = end;
    if (plog_epochs_truncate_end(log, end) && (err = plog_epochs_write(log)) != KS_OK)
        return plog_fail(log, err);
    plog_assert_shape(log);
    return KS_OK;
}

/* ---- Retention ------------------------------------------------------------------------ */

struct plog_retention_pass {
    enum { PLOG_PASS_START, PLOG_PASS_SIZE, PLOG_PASS_TIME } kind;
    int64_t now_ms;
    int64_t size_excess; /* size pass: bytes still to delete */
};

static bool plog_retention_qualifies(struct plog *log, struct plog_retention_pass *pass,
                                     const struct seg *seg, const struct seg *next)
{
    switch (pass->kind) {
    case PLOG_PASS_START:
        return next != NULL && next->base_offset <= log->log_start_offset;
    case PLOG_PASS_SIZE:
        if (pass->size_excess - (int64_t)seg->size_bytes < 0)
            return false;
        pass->size_excess -= seg->size_bytes;
        return true;
    case PLOG_PASS_TIME: {
        if (next == NULL && env_bug(log->env, KS_BUG_LOG_RETENTION_DELETES_ACTIVE))
            return true;
        int64_t ts = seg->max_timestamp >= 0 ? seg->max_timestamp : seg->created_ms;
        return plog_sub_saturating(pass->now_ms, ts) > log->config.retention_ms;
    }
    }
    KS_UNREACHABLE();
}

/* UnifiedLog.deletableSegments: oldest first, stop at the first that does not qualify. */
static uint32_t plog_deletable_count(struct plog *log, struct plog_retention_pass *pass)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < log->segment_count; i++) {
        const struct seg *seg = log->segments[i];
        const struct seg *next = i + 1 < log->segment_count ? log->segments[i + 1] : NULL;
        int64_t upper = next != NULL ? next->base_offset : plog_log_end_offset(log);
        bool last_and_empty = next == NULL && seg->size_bytes == 0;
        if (log->high_watermark < upper || last_and_empty ||
            !plog_retention_qualifies(log, pass, seg, next))
            break;
        n++;
    }
    return n;
}

/* Deletes the n oldest segments, rolling first when that is all of them. */
static enum ks_err plog_delete_oldest(struct plog *log, uint32_t n)
{
    KS_ASSERT(n <= log->segment_count);
    enum ks_err err = KS_OK;
    if (n == log->segment_count)
        err = plog_roll_at(log, plog_log_end_offset(log));
    for (uint32_t i = 0; err == KS_OK && i < n; i++) {
        struct seg *seg = log->segments[0];
        KS_ASSERT(log->segment_count > 1); /* never the active segment */
        plog_segments_remove(log, 0, 1);
        err = plog_segment_delete_async(log, seg);
    }
    if (err != KS_OK)
        return err;
    if (log->log_start_offset < log->segments[0]->base_offset)
        log->log_start_offset = log->segments[0]->base_offset;
    if (plog_epochs_truncate_start(log, log->log_start_offset))
        err = plog_epochs_write(log);
    if (err == KS_OK)
        err = seg_indexes_write(plog_active(log)); /* the files show every entry (seg.h) */
    if (err == KS_OK)
        err = env_dir_sync(log->env, log->dir);
    log->dir_dirty = err != KS_OK;
    return err;
}

enum ks_err plog_retention(struct plog *log, int64_t now_ms, uint32_t *deleted_out)
{
    *deleted_out = 0;
    if (log->offline)
        return KS_ERR_KAFKA_STORAGE_ERROR;
    bool delete_policy = (log->config.cleanup_policy & PLOG_CLEANUP_DELETE) != 0;
    for (uint32_t p = PLOG_PASS_START; p <= PLOG_PASS_TIME; p++) {
        struct plog_retention_pass pass = {.kind = p, .now_ms = now_ms};
        if (p != PLOG_PASS_START && !delete_policy)
            break;
        if (p == PLOG_PASS_SIZE) {
            int64_t size = (int64_t)plog_size_bytes(log);
            if (log->config.retention_bytes < 0 || size < log->config.retention_bytes)
                continue;
            pass.size_excess = size - log->config.retention_bytes;
        }
        if (p == PLOG_PASS_TIME && log->config.retention_ms < 0)
            continue;
        uint32_t n = plog_deletable_count(log, &pass);
        enum ks_err err = n == 0 ? KS_OK : plog_delete_oldest(log, n);
        if (err != KS_OK)
            return plog_fail(log, err);
        *deleted_out += n;
    }
    plog_assert_shape(log);
    return KS_OK;
}

/* ---- Replacing segments (the cleaner's swap) ---------------------------------------- */

enum ks_err plog_replace_segments(struct plog *log, uint32_t first, uint32_t count,
                                  struct seg *cleaned)
{
    KS_ASSERT(count >= 1 && first + count < log->segment_count); /* never the active one */
    KS_ASSERT(cleaned->base_offset == log->segments[first]->base_offset);
    KS_ASSERT(cleaned->next_offset <= log->segments[first + count]->base_offset);
    if (log->offline) {
        seg_close(cleaned);
        return KS_ERR_KAFKA_STORAGE_ERROR;
    }
    enum ks_err err = seg_rename_suffix(cleaned, ".swap");
    if (err == KS_OK)
        err = env_dir_sync(log->env, log->dir);
    for (uint32_t i = 0; err == KS_OK && i < count; i++) {
        struct seg *old = log->segments[first];
        plog_segments_remove(log, first, 1);
        err = plog_segment_delete_async(log, old);
    }
    if (err == KS_OK)
        err = seg_rename_suffix(cleaned, "");
    if (err == KS_OK)
        err = env_dir_sync(log->env, log->dir);
    if (err == KS_OK)
        err = seg_indexes_write(plog_active(log)); /* the files show every entry (seg.h) */
    if (err != KS_OK) {
        seg_close(cleaned);
        return plog_fail(log, err);
    }
    plog_segments_insert(log, first, cleaned);
    plog_assert_shape(log);
    env_tracef(log->env, "log.swap", "%s base=%lld segments=%u", log->dir,
               (long long)cleaned->base_offset, count);
    return KS_OK;
}

/* ---- Opening: temporary files and swaps (LogLoader.removeTempFilesAndCollectSwapFiles) */

struct plog_listing {
    char **names;
    uint32_t count;
    uint32_t capacity;
    bool overflow;
};

static void plog_listing_add(void *ctx, const char *name, bool is_dir)
{
    struct plog_listing *l = ctx;
    if (is_dir)
        return;
    if (l->count == PLOG_DIR_ENTRIES_MAX) {
        l->overflow = true;
        return;
    }
    if (l->count == l->capacity) {
        l->capacity = l->capacity == 0 ? 64 : l->capacity * 2;
        l->names = ks_realloc(l->names, l->capacity * sizeof(*l->names));
    }
    l->names[l->count++] = ks_strdup(name);
}

static void plog_listing_free(struct plog_listing *l)
{
    for (uint32_t i = 0; i < l->count; i++)
        free(l->names[i]);
    free(l->names);
    memset(l, 0, sizeof(*l));
}

static enum ks_err plog_list(struct plog *log, struct plog_listing *out)
{
    memset(out, 0, sizeof(*out));
    enum ks_err err = env_dir_list(log->env, log->dir, plog_listing_add, out);
    if (err == KS_OK && out->overflow)
        err = KS_ERR_TOO_MANY;
    if (err != KS_OK)
        plog_listing_free(out);
    return err;
}

/* "<20 digits><rest>": the base offset and the rest of the name. */
static bool plog_name_split(const char *name, int64_t *base_out, const char **rest_out)
{
    char log_name[SEG_NAME_DIGITS + 5];
    if (strlen(name) < SEG_NAME_DIGITS + 1)
        return false;
    memcpy(log_name, name, SEG_NAME_DIGITS);
    memcpy(log_name + SEG_NAME_DIGITS, ".log", 5);
    if (!seg_parse_log_name(log_name, base_out))
        return false;
    *rest_out = name + SEG_NAME_DIGITS;
    return true;
}

static bool plog_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static enum ks_err plog_delete_name(struct plog *log, const char *name)
{
    char path[SEG_PATH_BYTES_MAX];
    enum ks_err err = plog_join(path, log->dir, name, SIZE_MAX);
    if (err == KS_OK)
        err = env_path_delete(log->env, path);
    return err == KS_ERR_NOT_FOUND ? KS_OK : err;
}

/* Deletes `.deleted`, `.cleaned` and `.tmp` files and the swaps at or above the
 * smallest `.cleaned` base. */
static enum ks_err plog_remove_temp_files(struct plog *log, const struct plog_listing *l)
{
    int64_t cleaned_min = INT64_MAX;
    enum ks_err err = KS_OK;
    for (uint32_t i = 0; err == KS_OK && i < l->count; i++) {
        const char *name = l->names[i];
        int64_t base = 0;
        const char *rest = NULL;
        bool cleaned = plog_ends_with(name, ".cleaned");
        if (cleaned && plog_name_split(name, &base, &rest) && base < cleaned_min)
            cleaned_min = base;
        if (cleaned || plog_ends_with(name, ".deleted") || plog_ends_with(name, ".tmp"))
            err = plog_delete_name(log, name);
    }
    for (uint32_t i = 0; err == KS_OK && i < l->count; i++) {
        int64_t base = 0;
        const char *rest = NULL;
        if (plog_ends_with(l->names[i], ".swap") && plog_name_split(l->names[i], &base, &rest) &&
            base >= cleaned_min)
            err = plog_delete_name(log, l->names[i]);
    }
    return err;
}

/* A complete `.log.swap`: recover it, delete the live segments it covers, rename it. */
static enum ks_err plog_complete_swap(struct plog *log, int64_t base, const struct plog_listing *l)
{
    struct seg *swap = NULL;
    bool needs_recovery = false;
    uint32_t cut = 0;
    enum ks_err err = seg_open(log->env, log->dir, base, &log->seg_config, ".swap", false,
                               &needs_recovery, &swap);
    if (err != KS_OK)
        return err;
    err = seg_recover(swap, NULL, NULL, &cut);
    for (uint32_t i = 0; err == KS_OK && i < l->count; i++) {
        int64_t other = 0;
        const char *rest = NULL;
        if (plog_name_split(l->names[i], &other, &rest) && strcmp(rest, ".log") == 0 &&
            other > base && other < swap->next_offset)
            plog_delete_files(log->env, log->dir, other, "");
    }
    if (err == KS_OK)
        err = seg_trim(swap);
    if (err == KS_OK)
        err = seg_flush(swap);
    if (err == KS_OK)
        err = seg_rename_suffix(swap, "");
    seg_close(swap);
    return err;
}

/* Leftover index swaps (their .log already renamed) take their live names. */
static enum ks_err plog_rename_index_swap(struct plog *log, const char *name)
{
    char from[SEG_PATH_BYTES_MAX], to[SEG_PATH_BYTES_MAX];
    enum ks_err err = plog_join(from, log->dir, name, SIZE_MAX);
    if (err == KS_OK)
        err = plog_join(to, log->dir, name, strlen(name) - strlen(".swap"));
    return err == KS_OK ? env_path_rename(log->env, from, to) : err;
}

static enum ks_err plog_resolve_swaps(struct plog *log)
{
    struct plog_listing l;
    enum ks_err err = plog_list(log, &l);
    for (uint32_t i = 0; err == KS_OK && i < l.count; i++) {
        int64_t base = 0;
        const char *rest = NULL;
        if (plog_name_split(l.names[i], &base, &rest) && strcmp(rest, ".log.swap") == 0) {
            err = plog_complete_swap(log, base, &l);
            log->swaps_completed++;
        }
    }
    plog_listing_free(&l);
    if (err == KS_OK)
        err = plog_list(log, &l);
    for (uint32_t i = 0; err == KS_OK && i < l.count; i++) {
        if (plog_ends_with(l.names[i], ".swap"))
            err = plog_rename_index_swap(log, l.names[i]);
    }
    plog_listing_free(&l);
    return err;
}

/* ---- Opening: segments and recovery ------------------------------------------------- */

static enum ks_err plog_open_segments(struct plog *log, bool *any_needs_recovery)
{
    struct plog_listing l;
    enum ks_err err = plog_list(log, &l);
    uint32_t live = 0;
    for (uint32_t i = 0; err == KS_OK && i < l.count; i++) {
        int64_t base = 0;
        live += seg_parse_log_name(l.names[i], &base) ? 1 : 0;
    }
    if (err == KS_OK && live > PLOG_SEGMENTS_MAX)
        err = KS_ERR_TOO_MANY;
    uint32_t opened = 0;
    for (uint32_t i = 0; err == KS_OK && i < l.count; i++) {
        int64_t base = 0;
        if (!seg_parse_log_name(l.names[i], &base))
            continue;
        struct seg *seg = NULL;
        bool needs = false;
        err = seg_open(log->env, log->dir, base, &log->seg_config, "", ++opened == live, &needs,
                       &seg);
        if (err == KS_OK)
            plog_segments_insert(log, log->segment_count, seg);
        *any_needs_recovery |= needs;
    }
    plog_listing_free(&l);
    return err;
}

/* Recovers segment i; a cut in a segment that is not the last drops all after it. */
static enum ks_err plog_recover_segment(struct plog *log, uint32_t i, bool *cut_out)
{
    struct seg *seg = log->segments[i];
    uint32_t cut = 0;
    enum ks_err err = seg_recover(seg, plog_recover_batch, log, &cut);
    if (err != KS_OK)
        return err;
    log->recovered_segment_count++;
    log->recovered_truncated_bytes += cut;
    *cut_out = cut > 0;
    if (cut > 0 && i + 1 < log->segment_count) {
        for (uint32_t j = log->segment_count; j > i + 1; j--) {
            struct seg *later = log->segments[j - 1];
            plog_delete_files(log->env, log->dir, later->base_offset, "");
            seg_close(later);
        }
        log->segment_count = i + 1;
        err = seg_untrim(seg);
    }
    return err;
}

/* LogLoader.recoverLog: from the segment holding the recovery point (or every segment
 * whose index failed its checks) onward. */
static enum ks_err plog_recover(struct plog *log, bool clean, int64_t recovery_point)
{
    uint32_t from = log->segment_count;
    if (!clean)
        from = plog_segment_floor(log, recovery_point < 0 ? 0 : recovery_point);
    if (from < log->segment_count &&
        plog_epochs_truncate_end(log, log->segments[from]->base_offset))
        log->dir_dirty = true;
    for (uint32_t i = 0; i < log->segment_count; i++) {
        struct seg *seg = log->segments[i];
        if (!seg->needs_recovery && i < from)
            continue;
        bool cut = false;
        enum ks_err err = plog_recover_segment(log, i, &cut);
        if (err != KS_OK)
            return err;
        log->dir_dirty |= cut;
    }
    return KS_OK;
}

static enum ks_err plog_open_dir(struct plog *log)
{
    enum ks_err err = env_dir_create(log->env, log->dir);
    if (err == KS_ERR_EXISTS)
        return KS_OK;
    if (err == KS_OK)
        err = env_dir_sync(log->env, log->log_dir);
    return err;
}

static enum ks_err plog_load(struct plog *log, const struct plog_open_args *args)
{
    bool any_needs_recovery = false;
    enum ks_err err = plog_open_dir(log);
    struct plog_listing l;
    if (err == KS_OK)
        err = plog_list(log, &l);
    if (err == KS_OK) {
        err = plog_remove_temp_files(log, &l);
        plog_listing_free(&l);
    }
    if (err == KS_OK)
        err = plog_resolve_swaps(log);
    if (err == KS_OK)
        err = plog_epochs_load(log);
    if (err == KS_OK)
        err = plog_open_segments(log, &any_needs_recovery);
    if (err == KS_OK && log->segment_count > 0)
        err = plog_recover(log, args->clean_shutdown, args->recovery_point);
    if (err == KS_OK && log->segment_count == 0) {
        struct seg *seg = NULL;
        err = plog_segment_new(log, args->log_start_offset > 0 ? args->log_start_offset : 0, &seg);
        if (err == KS_OK)
            plog_segments_insert(log, 0, seg);
    }
    return err;
}

/* Offsets after loading: log start, recovery point, high watermark, epochs. */
static enum ks_err plog_settle(struct plog *log, const struct plog_open_args *args)
{
    int64_t end = plog_log_end_offset(log);
    int64_t start = log->segments[0]->base_offset;
    start = args->log_start_offset > start ? args->log_start_offset : start;
    log->log_start_offset = start < end ? start : end;
    int64_t rp = args->clean_shutdown ? end : (args->recovery_point < 0 ? 0 : args->recovery_point);
    log->recovery_point = rp < end ? rp : end;
    int64_t hw = args->high_watermark < 0 ? 0 : args->high_watermark;
    hw = hw < log->log_start_offset ? log->log_start_offset : hw;
    log->high_watermark = hw > end ? end : hw;
    log->cleaner_checkpoint = args->cleaner_checkpoint;
    bool changed = plog_epochs_truncate_end(log, end);
    changed |= plog_epochs_truncate_start(log, log->log_start_offset);
    enum ks_err err = changed || log->dir_dirty ? plog_epochs_write(log) : KS_OK;
    if (err == KS_OK)
        err = env_dir_sync(log->env, log->dir);
    log->dir_dirty = err != KS_OK;
    return err;
}

enum ks_err plog_open(struct env *env, const char *log_dir, const struct plog_open_args *args,
                      const struct plog_config *config, struct plog **log_out)
{
    KS_ASSERT(args->partition >= 0);
    size_t topic_length = strlen(args->topic);
    if (topic_length == 0 || topic_length > PLOG_TOPIC_BYTES_MAX ||
        strspn(args->topic, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
            topic_length)
        return KS_ERR_INVALID_TOPIC_EXCEPTION;
    struct plog *log = ks_alloc(sizeof(*log));
    log->env = env;
    int n = snprintf(log->dir, sizeof(log->dir), "%s/%s-%d", log_dir, args->topic, args->partition);
    if (n < 0 || (size_t)n + SEG_NAME_DIGITS + 32 >= sizeof(log->dir)) {
        free(log);
        return KS_ERR_INVALID;
    }
    snprintf(log->log_dir, sizeof(log->log_dir), "%s", log_dir);
    snprintf(log->topic, sizeof(log->topic), "%s", args->topic);
    log->partition = args->partition;
    log->config = *config;
    log->seg_config.index_interval_bytes = (uint32_t)config->index_interval_bytes;
    log->seg_config.index_size_bytes_max = (uint32_t)config->segment_index_bytes;
    enum ks_err err = plog_load(log, args);
    if (err == KS_OK)
        err = plog_settle(log, args);
    if (err != KS_OK) {
        for (uint32_t i = 0; i < log->segment_count; i++)
            seg_close(log->segments[i]);
        free(log->segments);
        free(log);
        return err == KS_ERR_CORRUPT_MESSAGE ? KS_ERR_KAFKA_STORAGE_ERROR : err;
    }
    plog_assert_shape(log);
    *log_out = log;
    return KS_OK;
}

/* ---- Closing --------------------------------------------------------------------------- */

static void plog_free_deletes(struct plog *log, bool run_now)
{
    for (uint32_t i = 0; i < log->delete_count; i++) {
        struct plog_pending_delete *d = log->deletes[i];
        if (run_now) {
            env_timer_cancel(log->env, d->timer);
            plog_delete_files(log->env, log->dir, d->base_offset, ".deleted");
        }
        free(d);
    }
    free(log->deletes);
    log->deletes = NULL;
    log->delete_count = 0;
}

enum ks_err plog_close(struct plog *log)
{
    enum ks_err err = log->offline ? KS_ERR_KAFKA_STORAGE_ERROR : KS_OK;
    if (log->flush_timer != 0)
        env_timer_cancel(log->env, log->flush_timer);
    plog_free_deletes(log, true);
    for (uint32_t i = 0; err == KS_OK && i < log->segment_count; i++) {
        err = seg_trim(log->segments[i]);
        if (err == KS_OK)
            err = seg_flush(log->segments[i]);
    }
    if (err == KS_OK)
        err = plog_epochs_write(log);
    if (err == KS_OK)
        err = env_dir_sync(log->env, log->dir);
    if (err == KS_OK)
        log->recovery_point = plog_log_end_offset(log);
    for (uint32_t i = 0; i < log->segment_count; i++)
        seg_close(log->segments[i]);
    free(log->segments);
    free(log);
    return err == KS_OK || err == KS_ERR_KAFKA_STORAGE_ERROR ? err : KS_ERR_KAFKA_STORAGE_ERROR;
}

void plog_free(struct plog *log)
{
    if (log == NULL)
        return;
    plog_free_deletes(log, false);
    for (uint32_t i = 0; i < log->segment_count; i++)
        seg_free(log->segments[i]);
    free(log->segments);
    free(log);
}
