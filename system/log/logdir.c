/*
 * logdir.c: a log directory's partition logs and its checkpoint files. Kafka:
 * LogManager, OffsetCheckpointFile, CleanShutdownFileHandler. See logdir.h.
 * Invariant: logs are sorted by (topic, partition) with no duplicates.
 */
#include "logdir.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ckpt.h"
#include "cleaner.h"

enum logdir_kind {
    LOGDIR_KIND_RECOVERY_POINT,
    LOGDIR_KIND_LOG_START,
    LOGDIR_KIND_REPLICATION,
    LOGDIR_KIND_CLEANER,
    LOGDIR_KIND_COUNT,
};

static const char *const logdir_file_names[LOGDIR_KIND_COUNT] = {
    LOGDIR_RECOVERY_POINT,
    LOGDIR_LOG_START,
    LOGDIR_REPLICATION,
    LOGDIR_CLEANER,
};

struct logdir_checkpoints {
    struct ckpt_offset_entry *entries[LOGDIR_KIND_COUNT];
    uint32_t counts[LOGDIR_KIND_COUNT];
};

/* ---- Names and order ---------------------------------------------------------------- */

static int logdir_compare(const char *topic_a, int32_t partition_a, const char *topic_b,
                          int32_t partition_b)
{
    int c = strcmp(topic_a, topic_b);
    if (c != 0)
        return c;
    return partition_a < partition_b ? -1 : partition_a > partition_b;
}

/* The index where topic-partition is or would go. */
static uint32_t logdir_search(const struct logdir *dir, const char *topic, int32_t partition,
                              bool *found_out)
{
    uint32_t low = 0, high = dir->log_count;
    for (uint32_t step = 0; step < 64 && low < high; step++) {
        uint32_t mid = low + (high - low) / 2;
        const struct plog *log = dir->logs[mid];
        if (logdir_compare(log->topic, log->partition, topic, partition) < 0)
            low = mid + 1;
        else
            high = mid;
    }
    *found_out =
        low < dir->log_count &&
        logdir_compare(dir->logs[low]->topic, dir->logs[low]->partition, topic, partition) == 0;
    return low;
}

struct plog *logdir_find(const struct logdir *dir, const char *topic, int32_t partition)
{
    bool found = false;
    uint32_t i = logdir_search(dir, topic, partition, &found);
    return found ? dir->logs[i] : NULL;
}

static void logdir_insert(struct logdir *dir, struct plog *log)
{
    bool found = false;
    uint32_t at = logdir_search(dir, log->topic, log->partition, &found);
    KS_ASSERT(!found);
    KS_ASSERT(dir->log_count < LOGDIR_LOGS_MAX);
    if (dir->log_count == dir->log_capacity) {
        dir->log_capacity = dir->log_capacity == 0 ? 16 : dir->log_capacity * 2;
        dir->logs = ks_realloc(dir->logs, dir->log_capacity * sizeof(*dir->logs));
    }
    memmove(&dir->logs[at + 1], &dir->logs[at], (dir->log_count - at) * sizeof(*dir->logs));
    dir->logs[at] = log;
    dir->log_count++;
    KS_ASSERT(at == 0 || logdir_compare(dir->logs[at - 1]->topic, dir->logs[at - 1]->partition,
                                        log->topic, log->partition) < 0);
}

/* "<topic>-<partition>" with a legal topic; false for anything else (`-delete`, ...). */
static bool logdir_parse_name(const char *name, char *topic_out, int32_t *partition_out)
{
    const char *dash = strrchr(name, '-');
    if (dash == NULL || dash == name || dash[1] == '\0' || strlen(dash + 1) > 10)
        return false;
    int64_t partition = 0;
    for (const char *p = dash + 1; *p != '\0'; p++) {
        if (*p < '0' || *p > '9')
            return false;
        partition = partition * 10 + (*p - '0');
    }
    size_t topic_length = (size_t)(dash - name);
    if (partition > INT32_MAX || !ckpt_topic_is_legal(name, topic_length))
        return false;
    memcpy(topic_out, name, topic_length);
    topic_out[topic_length] = '\0';
    *partition_out = (int32_t)partition;
    return true;
}

/* ---- Checkpoint files ----------------------------------------------------------------- */

static enum ks_err logdir_join(const struct logdir *dir, const char *name,
                               char path[SEG_PATH_BYTES_MAX])
{
    int n = snprintf(path, SEG_PATH_BYTES_MAX, "%s/%s", dir->path, name);
    return n < 0 || n >= (int)SEG_PATH_BYTES_MAX ? KS_ERR_INVALID : KS_OK;
}

/* A missing file has no entries; a malformed one takes the dir offline. */
static enum ks_err logdir_read_offsets(struct logdir *dir, const char *name,
                                       struct ckpt_offset_entry **entries_out, uint32_t *count_out)
{
    char path[SEG_PATH_BYTES_MAX];
    char *text = NULL;
    uint32_t size = 0;
    *entries_out = NULL;
    *count_out = 0;
    enum ks_err err = logdir_join(dir, name, path);
    if (err == KS_OK)
        err = plog_file_read_all(dir->env, path, LOGDIR_CHECKPOINT_BYTES_MAX, &text, &size);
    if (err == KS_ERR_NOT_FOUND)
        return KS_OK;
    if (err == KS_OK &&
        ckpt_offsets_parse((const uint8_t *)text, size, entries_out, count_out) != KS_OK)
        err = KS_ERR_KAFKA_STORAGE_ERROR;
    free(text);
    return err;
}

static int64_t logdir_lookup(const struct logdir_checkpoints *c, enum logdir_kind kind,
                             const char *topic, int32_t partition)
{
    for (uint32_t i = 0; i < c->counts[kind]; i++) {
        const struct ckpt_offset_entry *e = &c->entries[kind][i];
        if (e->partition == partition && strcmp(e->topic, topic) == 0)
            return e->offset;
    }
    return -1;
}

static void logdir_checkpoints_free(struct logdir_checkpoints *c)
{
    for (uint32_t k = 0; k < LOGDIR_KIND_COUNT; k++)
        free(c->entries[k]);
    memset(c, 0, sizeof(*c));
}

/* The offset a log contributes to a file, or -1 for none. at_close: recovery point at
 * the log end (everything was flushed). */
static int64_t logdir_entry_offset(const struct plog *log, enum logdir_kind kind, bool at_close)
{
    switch (kind) {
    case LOGDIR_KIND_RECOVERY_POINT:
        return at_close ? plog_log_end_offset(log) : log->recovery_point;
    case LOGDIR_KIND_LOG_START:
        return log->log_start_offset > log->segments[0]->base_offset ? log->log_start_offset : -1;
    case LOGDIR_KIND_REPLICATION:
        return log->high_watermark;
    case LOGDIR_KIND_CLEANER:
        return (log->config.cleanup_policy & PLOG_CLEANUP_COMPACT) != 0 ? log->cleaner_checkpoint
                                                                        : -1;
    case LOGDIR_KIND_COUNT:
        break;
    }
    KS_UNREACHABLE();
}

/* Collects every file's entries from the logs, in (topic, partition) order. */
static void logdir_collect(const struct logdir *dir, bool at_close, struct logdir_checkpoints *c)
{
    memset(c, 0, sizeof(*c));
    for (uint32_t k = 0; k < LOGDIR_KIND_COUNT; k++) {
        c->entries[k] = ks_alloc((dir->log_count + 1) * sizeof(*c->entries[k]));
        for (uint32_t i = 0; i < dir->log_count; i++) {
            const struct plog *log = dir->logs[i];
            int64_t offset = logdir_entry_offset(log, (enum logdir_kind)k, at_close);
            if (offset < 0)
                continue;
            struct ckpt_offset_entry *e = &c->entries[k][c->counts[k]++];
            snprintf(e->topic, sizeof(e->topic), "%s", log->topic);
            e->partition = log->partition;
            e->offset = offset;
        }
        KS_ASSERT(c->counts[k] <= dir->log_count);
    }
}

static enum ks_err logdir_write(struct logdir *dir, const struct logdir_checkpoints *c)
{
    enum ks_err err = KS_OK;
    for (uint32_t k = 0; err == KS_OK && k < LOGDIR_KIND_COUNT; k++) {
        char *text = NULL;
        size_t size = 0;
        ckpt_offsets_format(c->entries[k], c->counts[k], &text, &size);
        if (size > LOGDIR_CHECKPOINT_BYTES_MAX)
            err = KS_ERR_TOO_MANY;
        if (err == KS_OK)
            err = plog_file_write_atomic(dir->env, dir->path, logdir_file_names[k],
                                         (const uint8_t *)text, (uint32_t)size);
        free(text);
    }
    return err;
}

enum ks_err logdir_checkpoint(struct logdir *dir)
{
    struct logdir_checkpoints c;
    logdir_collect(dir, false, &c);
    enum ks_err err = logdir_write(dir, &c);
    logdir_checkpoints_free(&c);
    return err;
}

/* ---- Opening ------------------------------------------------------------------------- */

static enum ks_err logdir_create_dir(struct logdir *dir)
{
    enum ks_err err = env_dir_create(dir->env, dir->path);
    if (err == KS_ERR_EXISTS)
        return KS_OK;
    if (err != KS_OK)
        return err;
    char parent[SEG_PATH_BYTES_MAX];
    const char *slash = strrchr(dir->path, '/');
    size_t n = slash == NULL ? 0 : (size_t)(slash - dir->path);
    memcpy(parent, dir->path, n);
    parent[n] = '\0';
    return env_dir_sync(dir->env, parent);
}

/* Reads and deletes the clean-shutdown marker. */
static enum ks_err logdir_take_marker(struct logdir *dir)
{
    char path[SEG_PATH_BYTES_MAX];
    char *text = NULL;
    uint32_t size = 0;
    enum ks_err err = logdir_join(dir, LOGDIR_CLEAN_SHUTDOWN, path);
    if (err == KS_OK)
        err = plog_file_read_all(dir->env, path, 4096, &text, &size);
    free(text);
    dir->had_clean_shutdown = err == KS_OK;
    return err == KS_ERR_NOT_FOUND ? KS_OK : err;
}

static enum ks_err logdir_delete_marker(struct logdir *dir)
{
    if (!dir->had_clean_shutdown)
        return KS_OK;
    char path[SEG_PATH_BYTES_MAX];
    enum ks_err err = logdir_join(dir, LOGDIR_CLEAN_SHUTDOWN, path);
    if (err == KS_OK)
        err = env_path_delete(dir->env, path);
    if (err == KS_OK)
        err = env_dir_sync(dir->env, dir->path);
    return err;
}

struct logdir_listing {
    char **names;
    uint32_t count;
    uint32_t capacity;
};

static void logdir_listing_add(void *ctx, const char *name, bool is_dir)
{
    struct logdir_listing *l = ctx;
    if (!is_dir || l->count == LOGDIR_LOGS_MAX)
        return;
    if (l->count == l->capacity) {
        l->capacity = l->capacity == 0 ? 16 : l->capacity * 2;
        l->names = ks_realloc(l->names, l->capacity * sizeof(*l->names));
    }
    l->names[l->count++] = ks_strdup(name);
}

static enum ks_err logdir_open_log(struct logdir *dir, const char *topic, int32_t partition,
                                   const struct logdir_checkpoints *c, logdir_config_fn config_fn,
                                   void *config_ctx)
{
    struct plog_config config = dir->defaults;
    if (config_fn != NULL)
        config_fn(config_ctx, topic, &config);
    struct plog_open_args args = {
        .topic = topic,
        .partition = partition,
        .recovery_point = logdir_lookup(c, LOGDIR_KIND_RECOVERY_POINT, topic, partition),
        .log_start_offset = logdir_lookup(c, LOGDIR_KIND_LOG_START, topic, partition),
        .high_watermark = logdir_lookup(c, LOGDIR_KIND_REPLICATION, topic, partition),
        .cleaner_checkpoint = logdir_lookup(c, LOGDIR_KIND_CLEANER, topic, partition),
        .clean_shutdown = dir->had_clean_shutdown,
    };
    struct plog *log = NULL;
    enum ks_err err = plog_open(dir->env, dir->path, &args, &config, &log);
    if (err == KS_OK)
        logdir_insert(dir, log);
    return err;
}

/* LogManager.loadLogs: every partition directory, with its checkpointed offsets. */
static enum ks_err logdir_load(struct logdir *dir, logdir_config_fn config_fn, void *config_ctx)
{
    struct logdir_checkpoints c;
    memset(&c, 0, sizeof(c));
    enum ks_err err = logdir_take_marker(dir);
    for (uint32_t k = 0; err == KS_OK && k < LOGDIR_KIND_COUNT; k++)
        err = logdir_read_offsets(dir, logdir_file_names[k], &c.entries[k], &c.counts[k]);
    struct logdir_listing l = {0};
    if (err == KS_OK)
        err = env_dir_list(dir->env, dir->path, logdir_listing_add, &l);
    for (uint32_t i = 0; err == KS_OK && i < l.count; i++) {
        char topic[PLOG_TOPIC_BYTES_MAX + 1];
        int32_t partition = 0;
        if (logdir_parse_name(l.names[i], topic, &partition))
            err = logdir_open_log(dir, topic, partition, &c, config_fn, config_ctx);
    }
    for (uint32_t i = 0; i < l.count; i++)
        free(l.names[i]);
    free(l.names);
    logdir_checkpoints_free(&c);
    if (err == KS_OK)
        err = logdir_delete_marker(dir);
    return err;
}

enum ks_err logdir_open(struct env *env, const char *path, const struct plog_config *defaults,
                        logdir_config_fn config_fn, void *config_ctx, struct logdir **out)
{
    if (strlen(path) + PLOG_TOPIC_BYTES_MAX + 64 >= SEG_PATH_BYTES_MAX)
        return KS_ERR_INVALID;
    struct logdir *dir = ks_alloc(sizeof(*dir));
    dir->env = env;
    snprintf(dir->path, sizeof(dir->path), "%s", path);
    dir->defaults = *defaults;
    enum ks_err err = logdir_create_dir(dir);
    if (err == KS_OK)
        err = logdir_load(dir, config_fn, config_ctx);
    if (err != KS_OK) {
        for (uint32_t i = 0; i < dir->log_count; i++) {
            enum ks_err ignored = plog_close(dir->logs[i]);
            (void)ignored; /* the dir is offline anyway */
        }
        free(dir->logs);
        free(dir);
        return err == KS_ERR_CORRUPT_MESSAGE ? KS_ERR_KAFKA_STORAGE_ERROR : err;
    }
    *out = dir;
    return KS_OK;
}

enum ks_err logdir_get_or_create(struct logdir *dir, const char *topic, int32_t partition,
                                 const struct plog_config *config, struct plog **out)
{
    *out = logdir_find(dir, topic, partition);
    if (*out != NULL)
        return KS_OK;
    if (dir->log_count == LOGDIR_LOGS_MAX)
        return KS_ERR_TOO_MANY;
    struct plog_open_args args = {topic, partition, -1, -1, -1, -1, false};
    enum ks_err err =
        plog_open(dir->env, dir->path, &args, config != NULL ? config : &dir->defaults, out);
    if (err != KS_OK)
        return err;
    logdir_insert(dir, *out);
    KS_ASSERT(logdir_find(dir, topic, partition) == *out);
    return KS_OK;
}

/* ---- Periodic work ---------------------------------------------------------------------- */

enum ks_err logdir_retention(struct logdir *dir, int64_t now_ms, uint32_t *deleted_out)
{
    *deleted_out = 0;
    enum ks_err first_err = KS_OK;
    for (uint32_t i = 0; i < dir->log_count; i++) {
        uint32_t deleted = 0;
        enum ks_err err = plog_retention(dir->logs[i], now_ms, &deleted);
        first_err = first_err == KS_OK ? err : first_err;
        *deleted_out += deleted;
    }
    if (*deleted_out > 0) {
        enum ks_err err = logdir_checkpoint(dir);
        first_err = first_err == KS_OK ? err : first_err;
    }
    return first_err;
}

enum ks_err logdir_clean(struct logdir *dir, int64_t now_ms, uint32_t *cleaned_out)
{
    *cleaned_out = 0;
    enum ks_err first_err = KS_OK;
    for (uint32_t i = 0; i < dir->log_count; i++) {
        struct cleaner_stats stats;
        enum ks_err err = cleaner_clean(dir->logs[i], now_ms, &stats);
        first_err = first_err == KS_OK ? err : first_err;
        *cleaned_out += stats.cleaned ? 1 : 0;
    }
    if (*cleaned_out > 0) {
        enum ks_err err = logdir_checkpoint(dir);
        first_err = first_err == KS_OK ? err : first_err;
    }
    return first_err;
}

/* ---- Closing ---------------------------------------------------------------------------- */

static enum ks_err logdir_write_marker(struct logdir *dir, int64_t broker_epoch)
{
    char text[64];
    int n = snprintf(text, sizeof(text), "{\"version\":0,\"brokerEpoch\":%lld}",
                     (long long)broker_epoch);
    KS_ASSERT(n > 0 && (size_t)n < sizeof(text));
    return plog_file_write_atomic(dir->env, dir->path, LOGDIR_CLEAN_SHUTDOWN, (const uint8_t *)text,
                                  (uint32_t)n);
}

enum ks_err logdir_close(struct logdir *dir, int64_t broker_epoch)
{
    struct logdir_checkpoints c;
    logdir_collect(dir, true, &c);
    enum ks_err err = KS_OK;
    KS_ASSERT(dir->log_count <= LOGDIR_LOGS_MAX);
    for (uint32_t i = 0; i < dir->log_count; i++) {
        enum ks_err close_err = plog_close(dir->logs[i]);
        err = err == KS_OK ? close_err : err;
    }
    dir->log_count = 0;
    if (err == KS_OK)
        err = logdir_write(dir, &c);
    if (err == KS_OK)
        err = logdir_write_marker(dir, broker_epoch);
    logdir_checkpoints_free(&c);
    free(dir->logs);
    free(dir);
    return err;
}

void logdir_free(struct logdir *dir)
{
    if (dir == NULL)
        return;
    for (uint32_t i = 0; i < dir->log_count; i++)
        plog_free(dir->logs[i]);
    free(dir->logs);
    free(dir);
}
