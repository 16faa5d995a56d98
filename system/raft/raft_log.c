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

#define RAFT_LOG_SEGMENT_NAME "00000000000000000000.log"
#define RAFT_LOG_PATH_BYTES_MAX (RAFT_LOG_DIR_BYTES_MAX + 32u)

struct raft_log {
    struct env *env;
    char dir[RAFT_LOG_DIR_BYTES_MAX];
    env_file_id file;
    struct raft_log_batch *batches; /* ascending offsets, contiguous */
    uint32_t batch_count;
    uint32_t batch_capacity;
    uint64_t size_bytes;    /* end of the last batch in the segment */
    int64_t flushed_offset; /* end offset at the last fsync */
    uint64_t recovered_truncated_bytes;
};

int64_t raft_log_end_offset(const struct raft_log *log)
{
    if (log->batch_count == 0)
        return 0;
    return log->batches[log->batch_count - 1].last_offset + 1;
}

int64_t raft_log_flushed_offset(const struct raft_log *log)
{
    KS_ASSERT(log->flushed_offset <= raft_log_end_offset(log));
    return log->flushed_offset;
}

int32_t raft_log_last_epoch(const struct raft_log *log)
{
    return log->batch_count == 0 ? 0 : log->batches[log->batch_count - 1].epoch;
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

static enum ks_err log_open_segment(struct raft_log *log)
{
    char path[RAFT_LOG_PATH_BYTES_MAX];
    enum ks_err err = env_dir_create(log->env, log->dir);
    if (err == KS_OK)
        err = env_dir_sync(log->env, "");
    if (err != KS_OK && err != KS_ERR_EXISTS)
        return err;
    int n = snprintf(path, sizeof(path), "%s/%s", log->dir, RAFT_LOG_SEGMENT_NAME);
    KS_ASSERT(n > 0 && (size_t)n < sizeof(path));
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
    enum ks_err err = log_open_segment(log);
    if (err == KS_OK)
        err = log_recover(log);
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
    return err;
}

/* Index of the batch holding offset, or batch_count when offset is at or past the end. */
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

enum ks_err raft_log_truncate_to(struct raft_log *log, int64_t offset)
{
    KS_ASSERT(offset >= 0);
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
    *epoch_out = 0;
    *end_offset_out = 0;
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
    KS_ASSERT(offset >= 0);
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
