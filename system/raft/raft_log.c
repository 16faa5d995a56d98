/*
 * raft_log.c: the KRaft log over one segment file, see raft_log.h. Kafka:
 * KafkaMetadataLog, LogSegment.recover (scan, truncate the invalid tail),
 * LeaderEpochFileCache.endOffsetFor.
 */
#include "system/raft/raft_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/log/rb.h"

#define RAFT_LOG_PATH_BYTES_MAX (RAFT_LOG_DIR_BYTES_MAX + 32u)
#define RAFT_LOG_NAME_BYTES_MAX 32u
#define RAFT_LOG_OFFSET_DIGITS 20u
/* Directory entries looked at when opening, at most. */
#define RAFT_LOG_DIR_ENTRIES_MAX 4096u
/* Bytes copied per read when a segment is rewritten from its new start. */
#define RAFT_LOG_COPY_CHUNK_BYTES (64u * 1024u)
/* partition.metadata of __cluster_metadata-0 (topic id Uuid.METADATA_TOPIC_ID). */
#define RAFT_LOG_PARTITION_METADATA "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n"
/* Most leader-epoch-checkpoint entries written (epochs in the log). */
#define RAFT_LOG_EPOCH_ENTRIES_MAX 4096u
#define RAFT_LOG_EPOCH_LINE_BYTES_MAX 48u

struct raft_log {
    struct env *env;
    char dir[RAFT_LOG_DIR_BYTES_MAX];
    env_file_id file;
    char segment_name[RAFT_LOG_NAME_BYTES_MAX]; /* `<base offset, 20 digits>.log` */
    int64_t start_offset;                       /* log start: the segment's base offset */
    int32_t start_epoch;                        /* epoch of the snapshot ending there */
    struct raft_log_batch *batches;             /* ascending offsets, contiguous */
    uint32_t batch_count;
    uint32_t batch_capacity;
    uint64_t size_bytes;    /* end of the last batch in the segment */
    int64_t flushed_offset; /* end offset at the last fsync */
    uint64_t recovered_truncated_bytes;
    uint32_t epochs_written; /* epoch entries in leader-epoch-checkpoint, for change checks */
    int32_t epochs_last_written;
};

int64_t raft_log_end_offset(const struct raft_log *log)
{
    if (log->batch_count == 0)
        return log->start_offset;
    return log->batches[log->batch_count - 1].last_offset + 1;
}

int64_t raft_log_flushed_offset(const struct raft_log *log)
{
    KS_ASSERT(log->flushed_offset <= raft_log_end_offset(log));
    return log->flushed_offset;
}

int32_t raft_log_last_epoch(const struct raft_log *log)
{
    return log->batch_count == 0 ? log->start_epoch : log->batches[log->batch_count - 1].epoch;
}

int64_t raft_log_start_offset(const struct raft_log *log)
{
    return log->start_offset;
}

uint32_t raft_log_batch_count(const struct raft_log *log)
{
    return log->batch_count;
}

const struct raft_log_batch *raft_log_batch_at(const struct raft_log *log, uint32_t index)
{
    KS_ASSERT(index < log->batch_count);
    return &log->batches[index];
}

uint64_t raft_log_recovered_truncated_bytes(const struct raft_log *log)
{
    return log->recovered_truncated_bytes;
}

/* Adds a batch to the table after its checks passed. */
static enum ks_err log_table_push(struct raft_log *log, const struct rb_scan *scan,
                                  uint64_t position)
{
    if (log->batch_count == RAFT_LOG_BATCHES_MAX)
        return KS_ERR_TOO_MANY;
    if (log->batch_count == log->batch_capacity) {
        log->batch_capacity = log->batch_capacity == 0 ? 64 : log->batch_capacity * 2;
        log->batches = ks_realloc(log->batches, log->batch_capacity * sizeof(*log->batches));
    }
    KS_ASSERT(scan->base_offset == raft_log_end_offset(log));
    log->batches[log->batch_count++] = (struct raft_log_batch){
        .base_offset = scan->base_offset,
        .last_offset = scan->last_offset,
        .epoch = scan->header.partition_leader_epoch,
        .crc = scan->header.crc,
        .position = position,
        .size_bytes = scan->size_bytes,
    };
    return KS_OK;
}

/* Whether a scanned batch may follow the log's current end. */
static bool log_batch_fits(const struct raft_log *log, const struct rb_scan *scan,
                           int32_t epoch_max)
{
    return scan->crc_valid && scan->base_offset == raft_log_end_offset(log) &&
           scan->last_offset >= scan->base_offset &&
           scan->header.partition_leader_epoch >= raft_log_last_epoch(log) &&
           scan->header.partition_leader_epoch <= epoch_max &&
           scan->header.partition_leader_epoch >= 0;
}

/* Reads the batch at position of the segment; KS_ERR_TRUNCATED / CORRUPT at a bad one. */
static enum ks_err log_scan_one(struct raft_log *log, uint64_t position, uint64_t file_size,
                                struct rb_scan *scan)
{
    uint8_t head[RB_HEADER_SIZE];
    uint32_t n = 0;
    if (file_size - position < RB_HEADER_SIZE)
        return KS_ERR_TRUNCATED;
    enum ks_err err = env_file_read(log->env, log->file, position, head, sizeof(head), &n);
    if (err != KS_OK)
        return err;
    int32_t batch_length = (int32_t)ks_be32_load(head + 8);
    if (batch_length < (int32_t)(RB_HEADER_SIZE - RB_LOG_OVERHEAD) ||
        (uint32_t)batch_length > RB_BATCH_SIZE_MAX - RB_LOG_OVERHEAD)
        return KS_ERR_CORRUPT_MESSAGE;
    uint32_t size = (uint32_t)batch_length + RB_LOG_OVERHEAD;
    if (file_size - position < size)
        return KS_ERR_TRUNCATED;
    uint8_t *buf = ks_alloc(size);
    err = env_file_read(log->env, log->file, position, buf, size, &n);
    if (err == KS_OK)
        err = n == size ? rb_scan(buf, size, scan) : KS_ERR_TRUNCATED;
    free(buf);
    return err;
}

/* Walks the segment, keeping the valid prefix; truncates the rest durably. */
static enum ks_err log_recover(struct raft_log *log)
{
    uint64_t file_size = 0, position = 0;
    enum ks_err err = env_file_size(log->env, log->file, &file_size);
    if (err != KS_OK)
        return err;
    if (file_size > RAFT_LOG_BYTES_MAX)
        return KS_ERR_TOO_MANY;
    for (uint32_t i = 0; i < RAFT_LOG_BATCHES_MAX && position < file_size; i++) {
        struct rb_scan scan;
        err = log_scan_one(log, position, file_size, &scan);
        if (err == KS_ERR_IO)
            return err;
        if (err != KS_OK || !log_batch_fits(log, &scan, INT32_MAX))
            break;
        err = log_table_push(log, &scan, position);
        if (err != KS_OK)
            return err;
        position += scan.size_bytes;
    }
    log->size_bytes = position;
    log->recovered_truncated_bytes = file_size - position;
    if (position < file_size) {
        err = env_file_truncate(log->env, log->file, position);
        if (err == KS_OK)
            err = env_file_sync(log->env, log->file);
    }
    log->flushed_offset = raft_log_end_offset(log);
    return err;
}

static void log_path(const struct raft_log *log, const char *name, char *buf, size_t buf_bytes)
{
    int n = snprintf(buf, buf_bytes, "%s/%s", log->dir, name);
    KS_ASSERT(n > 0 && (size_t)n < buf_bytes);
}

/* Parses `<20 digits>.log` (suffix given); false for other names. */
static bool log_segment_name_parse(const char *name, const char *suffix, int64_t *base_out)
{
    size_t len = strlen(name), suffix_len = strlen(suffix);
    if (len != RAFT_LOG_OFFSET_DIGITS + suffix_len || strcmp(name + RAFT_LOG_OFFSET_DIGITS, suffix))
        return false;
    int64_t base = 0;
    for (uint32_t i = 0; i < RAFT_LOG_OFFSET_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9' || base > (INT64_MAX - 9) / 10)
            return false;
        base = base * 10 + (name[i] - '0');
    }
    *base_out = base;
    return true;
}

/* What the log directory holds: segments and leftovers of an interrupted rewrite. */
struct log_listing {
    uint32_t entries;
    int64_t newest_base; /* -1 none */
    uint32_t stale_count;
    char stale[8][RAFT_LOG_NAME_BYTES_MAX]; /* older segments and .swap files to delete */
};

static void log_list_entry(void *ctx, const char *name, bool is_dir)
{
    struct log_listing *l = ctx;
    int64_t base = 0;
    if (is_dir || ++l->entries > RAFT_LOG_DIR_ENTRIES_MAX)
        return;
    bool swap = log_segment_name_parse(name, ".log.swap", &base);
    bool segment = !swap && log_segment_name_parse(name, ".log", &base);
    if (!swap && !segment)
        return;
    if (segment && base > l->newest_base) {
        if (l->newest_base >= 0 && l->stale_count < KS_ARRAY_COUNT(l->stale))
            snprintf(l->stale[l->stale_count++], RAFT_LOG_NAME_BYTES_MAX, "%020lld.log",
                     (long long)l->newest_base);
        l->newest_base = base;
    } else if (l->stale_count < KS_ARRAY_COUNT(l->stale)) {
        snprintf(l->stale[l->stale_count++], RAFT_LOG_NAME_BYTES_MAX, "%s", name);
    }
}

/* Deletes older segments and .swap leftovers, keeping the newest segment. */
static enum ks_err log_delete_stale(struct raft_log *log, const struct log_listing *l)
{
    char path[RAFT_LOG_PATH_BYTES_MAX];
    for (uint32_t i = 0; i < l->stale_count; i++) {
        log_path(log, l->stale[i], path, sizeof(path));
        enum ks_err err = env_path_delete(log->env, path);
        if (err != KS_OK && err != KS_ERR_NOT_FOUND)
            return err;
    }
    return l->stale_count > 0 ? env_dir_sync(log->env, log->dir) : KS_OK;
}

/* Writes dir/name as tmp, fsync, rename, dir sync (Kafka's CheckpointFile). */
static enum ks_err log_write_small_file(struct raft_log *log, const char *name,
                                        const uint8_t *bytes, uint32_t size)
{
    char path[RAFT_LOG_PATH_BYTES_MAX], tmp[RAFT_LOG_PATH_BYTES_MAX];
    env_file_id file = 0;
    log_path(log, name, path, sizeof(path));
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    KS_ASSERT(n > 0 && (size_t)n < sizeof(tmp));
    enum ks_err err = env_file_open(log->env, tmp, ENV_FILE_CREATE | ENV_FILE_TRUNC, &file);
    if (err != KS_OK)
        return err;
    err = env_file_write(log->env, file, 0, bytes, size);
    if (err == KS_OK)
        err = env_file_sync(log->env, file);
    env_file_close(log->env, file);
    if (err == KS_OK)
        err = env_path_rename(log->env, tmp, path);
    return err == KS_OK ? env_dir_sync(log->env, log->dir) : err;
}

/*
 * leader-epoch-checkpoint: `0`, the entry count, then `epoch startOffset` per epoch in
 * the log (Kafka's LeaderEpochCheckpointFile). Written when the epochs change; the log
 * itself answers epoch lookups from its batches, so the file is for tools and people.
 */
static enum ks_err log_epochs_write(struct raft_log *log)
{
    uint32_t count = 0;
    int32_t last = -1;
    for (uint32_t i = 0; i < log->batch_count; i++) {
        count += log->batches[i].epoch != last;
        last = log->batches[i].epoch;
    }
    if (count == log->epochs_written && last == log->epochs_last_written)
        return KS_OK;
    uint32_t shown = count < RAFT_LOG_EPOCH_ENTRIES_MAX ? count : RAFT_LOG_EPOCH_ENTRIES_MAX;
    size_t cap = 32 + (size_t)shown * RAFT_LOG_EPOCH_LINE_BYTES_MAX;
    char *text = ks_alloc(cap);
    int n = snprintf(text, cap, "0\n%u\n", shown);
    int32_t prev = -1;
    for (uint32_t i = 0, k = 0; i < log->batch_count && k < shown; i++) {
        if (log->batches[i].epoch == prev)
            continue;
        prev = log->batches[i].epoch;
        k++;
        n += snprintf(text + n, cap - (size_t)n, "%d %lld\n", prev,
                      (long long)log->batches[i].base_offset);
    }
    KS_ASSERT(n > 0 && (size_t)n < cap);
    enum ks_err err =
        log_write_small_file(log, "leader-epoch-checkpoint", (uint8_t *)text, (uint32_t)n);
    free(text);
    if (err == KS_OK) {
        log->epochs_written = count;
        log->epochs_last_written = last;
    }
    return err;
}

static enum ks_err log_partition_metadata_write(struct raft_log *log)
{
    static const char text[] = RAFT_LOG_PARTITION_METADATA;
    char path[RAFT_LOG_PATH_BYTES_MAX];
    env_file_id file = 0;
    log_path(log, "partition.metadata", path, sizeof(path));
    enum ks_err err = env_file_open(log->env, path, 0, &file);
    if (err == KS_OK) {
        env_file_close(log->env, file);
        return KS_OK;
    }
    if (err != KS_ERR_NOT_FOUND)
        return err;
    return log_write_small_file(log, "partition.metadata", (const uint8_t *)text, sizeof(text) - 1);
}

static enum ks_err log_open_segment(struct raft_log *log)
{
    char path[RAFT_LOG_PATH_BYTES_MAX];
    struct log_listing listing = {.newest_base = -1};
    enum ks_err err = env_dir_create(log->env, log->dir);
    if (err == KS_OK)
        err = env_dir_sync(log->env, "");
    if (err != KS_OK && err != KS_ERR_EXISTS)
        return err;
    err = env_dir_list(log->env, log->dir, log_list_entry, &listing);
    if (err == KS_OK)
        err = log_delete_stale(log, &listing);
    if (err != KS_OK)
        return err;
    log->start_offset = listing.newest_base < 0 ? 0 : listing.newest_base;
    snprintf(log->segment_name, sizeof(log->segment_name), "%020lld.log",
             (long long)log->start_offset);
    log_path(log, log->segment_name, path, sizeof(path));
    err = env_file_open(log->env, path, ENV_FILE_CREATE, &log->file);
    if (err == KS_OK)
        err = env_dir_sync(log->env, log->dir);
    return err;
}

enum ks_err raft_log_open(struct env *env, const char *dir, struct raft_log **out)
{
    KS_ASSERT(strlen(dir) < RAFT_LOG_DIR_BYTES_MAX);
    struct raft_log *log = ks_alloc(sizeof(*log));
    log->env = env;
    snprintf(log->dir, sizeof(log->dir), "%s", dir);
    log->epochs_last_written = -1;
    enum ks_err err = log_open_segment(log);
    if (err == KS_OK)
        err = log_partition_metadata_write(log);
    if (err == KS_OK)
        err = log_recover(log);
    if (err == KS_OK)
        err = log_epochs_write(log);
    if (err != KS_OK) {
        if (log->file != 0)
            env_file_close(env, log->file);
        raft_log_free(log);
        return err;
    }
    *out = log;
    return KS_OK;
}

void raft_log_close(struct raft_log *log)
{
    if (log->file != 0)
        env_file_close(log->env, log->file);
    log->file = 0;
}

void raft_log_free(struct raft_log *log)
{
    if (log == NULL)
        return;
    free(log->batches);
    free(log);
}

enum ks_err raft_log_append(struct raft_log *log, const uint8_t *bytes, uint32_t size_bytes,
                            int32_t epoch_max, uint32_t *appended_out)
{
    uint32_t position = 0;
    *appended_out = 0;
    for (uint32_t i = 0; i < RAFT_LOG_BATCHES_MAX && position < size_bytes; i++) {
        struct rb_scan scan;
        enum ks_err err = rb_scan(bytes + position, size_bytes - position, &scan);
        if (err == KS_ERR_TRUNCATED)
            return KS_OK; /* a partial batch at the end */
        if (err != KS_OK || !log_batch_fits(log, &scan, epoch_max))
            return KS_ERR_CORRUPT_MESSAGE;
        if (log->size_bytes + scan.size_bytes > RAFT_LOG_BYTES_MAX)
            return KS_ERR_TOO_MANY;
        err =
            env_file_write(log->env, log->file, log->size_bytes, bytes + position, scan.size_bytes);
        if (err == KS_OK)
            err = log_table_push(log, &scan, log->size_bytes);
        if (err != KS_OK)
            return err;
        log->size_bytes += scan.size_bytes;
        position += scan.size_bytes;
        (*appended_out)++;
    }
    return KS_OK;
}

enum ks_err raft_log_flush(struct raft_log *log)
{
    enum ks_err err = env_file_sync(log->env, log->file);
    if (err == KS_OK)
        log->flushed_offset = raft_log_end_offset(log);
    return err == KS_OK ? log_epochs_write(log) : err;
}

/* Index of the batch holding offset, or batch_count when offset is at or past the end. */
static uint64_t raft_min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint32_t log_batch_index(const struct raft_log *log, int64_t offset)
{
    uint32_t lo = 0, hi = log->batch_count;
    while (lo < hi) { /* bounded: halves each round */
        uint32_t mid = lo + (hi - lo) / 2;
        if (log->batches[mid].last_offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    KS_ASSERT(lo <= log->batch_count);
    return lo;
}

uint32_t raft_log_batch_find(const struct raft_log *log, int64_t offset)
{
    return log_batch_index(log, offset);
}

enum ks_err raft_log_truncate_to(struct raft_log *log, int64_t offset)
{
    KS_ASSERT(offset >= 0);
    if (offset < log->start_offset)
        offset = log->start_offset; /* below the snapshot nothing is left to remove */
    uint32_t index = log_batch_index(log, offset);
    if (index == log->batch_count)
        return KS_OK;
    uint64_t position = log->batches[index].position;
    enum ks_err err = env_file_truncate(log->env, log->file, position);
    if (err != KS_OK)
        return err;
    log->batch_count = index;
    log->size_bytes = position;
    if (log->flushed_offset > raft_log_end_offset(log))
        log->flushed_offset = raft_log_end_offset(log);
    KS_ASSERT(raft_log_end_offset(log) <= offset);
    return KS_OK;
}

void raft_log_end_offset_for_epoch(const struct raft_log *log, int32_t epoch, int32_t *epoch_out,
                                   int64_t *end_offset_out)
{
    *epoch_out = log->start_epoch <= epoch ? log->start_epoch : 0;
    *end_offset_out = log->start_offset;
    /* The last batch whose epoch is <= epoch; epochs never decrease along the log. */
    uint32_t lo = 0, hi = log->batch_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (log->batches[mid].epoch <= epoch)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return;
    *epoch_out = log->batches[lo - 1].epoch;
    *end_offset_out =
        lo == log->batch_count ? raft_log_end_offset(log) : log->batches[lo].base_offset;
    KS_ASSERT(*epoch_out <= epoch);
}

enum ks_err raft_log_read(struct raft_log *log, int64_t offset, uint32_t max_bytes,
                          uint8_t **bytes_out, uint32_t *size_out)
{
    KS_ASSERT(offset >= log->start_offset);
    KS_ASSERT(offset <= raft_log_end_offset(log));
    *bytes_out = NULL;
    *size_out = 0;
    uint32_t first = log_batch_index(log, offset);
    if (first == log->batch_count)
        return KS_OK;
    uint64_t size = 0;
    uint32_t last = first;
    while (last < log->batch_count &&
           (last == first || size + log->batches[last].size_bytes <= max_bytes))
        size += log->batches[last++].size_bytes;
    KS_ASSERT(size > 0 && size <= UINT32_MAX);
    uint8_t *buf = ks_alloc(size);
    uint32_t n = 0;
    enum ks_err err =
        env_file_read(log->env, log->file, log->batches[first].position, buf, (uint32_t)size, &n);
    if (err == KS_OK && n != size)
        err = KS_ERR_IO; /* the table and the file disagree: the file changed under us */
    if (err != KS_OK) {
        free(buf);
        return err;
    }
    *bytes_out = buf;
    *size_out = (uint32_t)size;
    return KS_OK;
}

/* Copies the batches from index first on into a new segment `<offset>.log`: written as
 * .swap, fsynced, renamed, then the old segment goes (Kafka's .swap discipline). */
static enum ks_err log_rewrite_from(struct raft_log *log, uint32_t first, int64_t offset)
{
    char name[RAFT_LOG_NAME_BYTES_MAX], swap[RAFT_LOG_PATH_BYTES_MAX];
    char path[RAFT_LOG_PATH_BYTES_MAX], old[RAFT_LOG_PATH_BYTES_MAX];
    env_file_id file = 0;
    snprintf(name, sizeof(name), "%020lld.log", (long long)offset);
    log_path(log, name, path, sizeof(path));
    int n = snprintf(swap, sizeof(swap), "%s.swap", path);
    KS_ASSERT(n > 0 && (size_t)n < sizeof(swap));
    uint64_t from = first < log->batch_count ? log->batches[first].position : log->size_bytes;
    enum ks_err err = env_file_open(log->env, swap, ENV_FILE_CREATE | ENV_FILE_TRUNC, &file);
    uint8_t *chunk = ks_alloc(RAFT_LOG_COPY_CHUNK_BYTES);
    for (uint64_t at = from; err == KS_OK && at < log->size_bytes;) { /* bounded by size */
        uint32_t want = (uint32_t)raft_min_u64(RAFT_LOG_COPY_CHUNK_BYTES, log->size_bytes - at);
        uint32_t got = 0;
        err = env_file_read(log->env, log->file, at, chunk, want, &got);
        if (err == KS_OK && got != want)
            err = KS_ERR_IO;
        if (err == KS_OK)
            err = env_file_write(log->env, file, at - from, chunk, want);
        at += want;
    }
    free(chunk);
    if (err == KS_OK)
        err = env_file_sync(log->env, file);
    if (err == KS_OK)
        err = env_path_rename(log->env, swap, path);
    if (err == KS_OK)
        err = env_dir_sync(log->env, log->dir);
    if (err != KS_OK) {
        if (file != 0)
            env_file_close(log->env, file);
        return err;
    }
    log_path(log, log->segment_name, old, sizeof(old));
    env_file_close(log->env, log->file);
    log->file = file;
    snprintf(log->segment_name, sizeof(log->segment_name), "%s", name);
    for (uint32_t i = first; i < log->batch_count; i++) {
        log->batches[i - first] = log->batches[i];
        log->batches[i - first].position -= from;
    }
    log->batch_count -= first;
    log->size_bytes -= from;
    err = env_path_delete(log->env, old);
    return err == KS_OK ? env_dir_sync(log->env, log->dir) : err;
}

enum ks_err raft_log_advance_start(struct raft_log *log, int64_t offset, int32_t epoch)
{
    KS_ASSERT(offset >= log->start_offset);
    KS_ASSERT(epoch >= 0);
    uint32_t first = 0;
    while (first < log->batch_count && log->batches[first].base_offset < offset)
        first++; /* bounded by batch_count; a batch straddling offset goes too */
    enum ks_err err = KS_OK;
    if (offset != log->start_offset)
        err = log_rewrite_from(log, first, offset);
    if (err != KS_OK)
        return err;
    if (log->batch_count > 0 && log->batches[0].base_offset != offset) {
        /* the first kept batch must start the segment: drop the table and rescan */
        log->batch_count = 0;
        log->size_bytes = 0;
        err = env_file_truncate(log->env, log->file, 0);
    }
    log->start_offset = offset;
    log->start_epoch = epoch;
    if (log->flushed_offset < offset)
        log->flushed_offset = offset;
    KS_ASSERT(raft_log_end_offset(log) >= offset);
    return err == KS_OK ? log_epochs_write(log) : err;
}
