/*
 * raft_snapshot.c: KRaft snapshot files, see raft_snapshot.h. Kafka:
 * RecordsSnapshotWriter, FileRawSnapshotWriter, Snapshots.
 */
#include "system/raft/raft_snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/log/rb.h"
#include "system/proto/wire.h"

#define SNAPSHOT_PATH_BYTES_MAX 192u
#define SNAPSHOT_NAME_BYTES_MAX 64u
#define SNAPSHOT_SUFFIX ".checkpoint"
#define SNAPSHOT_PART_SUFFIX ".checkpoint.part"
#define SNAPSHOT_OFFSET_DIGITS 20u
#define SNAPSHOT_EPOCH_DIGITS 10u
#define SNAPSHOT_DIR_ENTRIES_MAX 4096u
#define SNAPSHOT_STALE_MAX 16u
#define SNAPSHOT_BATCHES 3u

static void snapshot_name(const struct raft_snapshot_id *id, const char *suffix, char *buf,
                          size_t buf_bytes)
{
    int n =
        snprintf(buf, buf_bytes, "%020lld-%010d%s", (long long)id->end_offset, id->epoch, suffix);
    KS_ASSERT(n > 0 && (size_t)n < buf_bytes);
}

static void snapshot_path(const char *dir, const char *name, char *buf, size_t buf_bytes)
{
    int n = snprintf(buf, buf_bytes, "%s/%s", dir, name);
    KS_ASSERT(n > 0 && (size_t)n < buf_bytes);
}

/* One control batch: key (version 0, type), value Version 0 [+ timestamp] + tags. */
static enum ks_err snapshot_control_batch(int16_t type, int64_t offset, int32_t epoch,
                                          int64_t timestamp, struct wire_writer *out)
{
    uint8_t key[RB_CONTROL_KEY_SIZE];
    uint8_t value[16];
    uint32_t value_size = 0;
    ks_be16_store(key, 0);
    ks_be16_store(key + 2, (uint16_t)type);
    ks_be16_store(value, 0); /* Version */
    value_size = 2;
    if (type == RB_CONTROL_SNAPSHOT_HEADER) {
        ks_be64_store(value + 2, (uint64_t)timestamp); /* LastContainedLogTimestamp */
        value_size = 10;
    }
    value[value_size++] = 0; /* empty tag section */
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    rb_builder_set_flags(&b, RB_ATTR_CONTROL);
    struct rb_record_input r = {.timestamp = timestamp,
                                .key = key,
                                .key_size = sizeof(key),
                                .value = value,
                                .value_size = value_size};
    enum ks_err err = rb_builder_append(&b, &r);
    KS_ASSERT(err == KS_OK);
    b.base_offset = offset;
    b.partition_leader_epoch = epoch;
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    err = rb_builder_finish(&b, &bytes, &size);
    rb_builder_release(&b);
    if (err == KS_OK)
        wire_write_raw(out, bytes, size);
    free(bytes);
    return err;
}

static enum ks_err snapshot_image_batch(int32_t epoch, int64_t timestamp, const uint8_t *image,
                                        uint32_t image_size, struct wire_writer *out)
{
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    struct rb_record_input r = {.timestamp = timestamp, .value = image, .value_size = image_size};
    enum ks_err err = rb_builder_append(&b, &r);
    KS_ASSERT(err == KS_OK);
    b.base_offset = 1;
    b.partition_leader_epoch = epoch;
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    err = rb_builder_finish(&b, &bytes, &size);
    rb_builder_release(&b);
    if (err == KS_OK)
        wire_write_raw(out, bytes, size);
    free(bytes);
    return err;
}

enum ks_err raft_snapshot_build(const struct raft_snapshot_id *id, int64_t timestamp,
                                const uint8_t *image, uint32_t image_size, uint8_t **bytes_out,
                                uint32_t *size_out)
{
    KS_ASSERT(image_size <= RAFT_SNAPSHOT_IMAGE_BYTES_MAX);
    KS_ASSERT(id->end_offset >= 0 && id->epoch >= 0);
    struct wire_writer w;
    wire_writer_init(&w);
    enum ks_err err =
        snapshot_control_batch(RB_CONTROL_SNAPSHOT_HEADER, 0, id->epoch, timestamp, &w);
    if (err == KS_OK)
        err = snapshot_image_batch(id->epoch, timestamp, image, image_size, &w);
    if (err == KS_OK)
        err = snapshot_control_batch(RB_CONTROL_SNAPSHOT_FOOTER, 2, id->epoch, timestamp, &w);
    if (err != KS_OK) {
        wire_writer_free(&w);
        return err;
    }
    *bytes_out = wire_writer_release(&w, size_out);
    return KS_OK;
}

/* The control type of a decoded control batch, or -1. */
static int snapshot_control_type(const struct rb_batch *batch)
{
    struct rb_iter it;
    struct rb_record record;
    int16_t type = -1;
    if (!(batch->header.attributes & RB_ATTR_CONTROL))
        return -1;
    rb_iter_init(&it, batch);
    if (!rb_iter_next(&it, &record) || rb_control_type_decode(&record, &type) != KS_OK)
        return -1;
    return type;
}

enum ks_err raft_snapshot_parse(const uint8_t *bytes, uint32_t size, const uint8_t **image_out,
                                uint32_t *image_size_out)
{
    static const int expected[SNAPSHOT_BATCHES] = {RB_CONTROL_SNAPSHOT_HEADER, -1,
                                                   RB_CONTROL_SNAPSHOT_FOOTER};
    uint32_t position = 0;
    *image_out = NULL;
    *image_size_out = 0;
    for (uint32_t i = 0; i < SNAPSHOT_BATCHES; i++) {
        struct rb_batch batch;
        if (position >= size || rb_decode(bytes + position, size - position, &batch) != KS_OK)
            return KS_ERR_CORRUPT_MESSAGE;
        bool ok = snapshot_control_type(&batch) == expected[i] && batch.owned == NULL;
        if (ok && i == 1) {
            struct rb_iter it;
            struct rb_record record;
            rb_iter_init(&it, &batch);
            ok = batch.header.records_count == 1 && rb_iter_next(&it, &record);
            *image_out = record.value;
            *image_size_out = ok ? record.value_size : 0;
        }
        position += batch.size_bytes;
        rb_batch_release(&batch);
        if (!ok)
            return KS_ERR_CORRUPT_MESSAGE;
    }
    return position == size && *image_out != NULL ? KS_OK : KS_ERR_CORRUPT_MESSAGE;
}

enum ks_err raft_snapshot_write(struct env *env, const char *dir, const struct raft_snapshot_id *id,
                                const uint8_t *bytes, uint32_t size)
{
    char name[SNAPSHOT_NAME_BYTES_MAX], part[SNAPSHOT_PATH_BYTES_MAX],
        path[SNAPSHOT_PATH_BYTES_MAX];
    env_file_id file = 0;
    KS_ASSERT(size <= RAFT_SNAPSHOT_BYTES_MAX);
    snapshot_name(id, SNAPSHOT_PART_SUFFIX, name, sizeof(name));
    snapshot_path(dir, name, part, sizeof(part));
    snapshot_name(id, SNAPSHOT_SUFFIX, name, sizeof(name));
    snapshot_path(dir, name, path, sizeof(path));
    enum ks_err err = env_file_open(env, part, ENV_FILE_CREATE | ENV_FILE_TRUNC, &file);
    if (err != KS_OK)
        return err;
    err = env_file_write(env, file, 0, bytes, size);
    if (err == KS_OK)
        err = env_file_sync(env, file);
    env_file_close(env, file);
    if (err == KS_OK)
        err = env_path_rename(env, part, path);
    if (err == KS_OK)
        err = env_dir_sync(env, dir);
    return err;
}

enum ks_err raft_snapshot_read(struct env *env, const char *dir, const struct raft_snapshot_id *id,
                               uint8_t **bytes_out, uint32_t *size_out)
{
    char name[SNAPSHOT_NAME_BYTES_MAX], path[SNAPSHOT_PATH_BYTES_MAX];
    env_file_id file = 0;
    uint64_t size = 0;
    uint32_t n = 0;
    snapshot_name(id, SNAPSHOT_SUFFIX, name, sizeof(name));
    snapshot_path(dir, name, path, sizeof(path));
    enum ks_err err = env_file_open(env, path, 0, &file);
    if (err != KS_OK)
        return err;
    err = env_file_size(env, file, &size);
    if (err == KS_OK && size > RAFT_SNAPSHOT_BYTES_MAX)
        err = KS_ERR_TOO_MANY;
    uint8_t *bytes = err == KS_OK ? ks_alloc(size + 1) : NULL;
    if (err == KS_OK)
        err = env_file_read(env, file, 0, bytes, (uint32_t)size, &n);
    env_file_close(env, file);
    if (err == KS_OK && n != size)
        err = KS_ERR_IO;
    if (err != KS_OK) {
        free(bytes);
        return err;
    }
    *bytes_out = bytes;
    *size_out = (uint32_t)size;
    return KS_OK;
}

/* Parses `<20 digits>-<10 digits><suffix>`. */
static bool snapshot_name_parse(const char *name, const char *suffix, struct raft_snapshot_id *id)
{
    size_t len = strlen(name), head = SNAPSHOT_OFFSET_DIGITS + 1 + SNAPSHOT_EPOCH_DIGITS;
    if (len != head + strlen(suffix) || strcmp(name + head, suffix) != 0 ||
        name[SNAPSHOT_OFFSET_DIGITS] != '-')
        return false;
    int64_t offset = 0, epoch = 0;
    for (uint32_t i = 0; i < head; i++) {
        if (i == SNAPSHOT_OFFSET_DIGITS)
            continue;
        if (name[i] < '0' || name[i] > '9')
            return false;
        int64_t *v = i < SNAPSHOT_OFFSET_DIGITS ? &offset : &epoch;
        if (*v > (INT64_MAX - 9) / 10)
            return false;
        *v = *v * 10 + (name[i] - '0');
    }
    if (epoch > INT32_MAX)
        return false;
    *id = (struct raft_snapshot_id){offset, (int32_t)epoch};
    return true;
}

struct snapshot_listing {
    uint32_t entries;
    bool found;
    struct raft_snapshot_id latest;
    uint32_t stale_count;
    char stale[SNAPSHOT_STALE_MAX][SNAPSHOT_NAME_BYTES_MAX];
};

static void snapshot_stale_add(struct snapshot_listing *l, const char *name)
{
    if (l->stale_count < SNAPSHOT_STALE_MAX)
        snprintf(l->stale[l->stale_count++], SNAPSHOT_NAME_BYTES_MAX, "%s", name);
}

static void snapshot_list_entry(void *ctx, const char *name, bool is_dir)
{
    struct snapshot_listing *l = ctx;
    struct raft_snapshot_id id;
    if (is_dir || ++l->entries > SNAPSHOT_DIR_ENTRIES_MAX)
        return;
    if (snapshot_name_parse(name, SNAPSHOT_PART_SUFFIX, &id)) {
        snapshot_stale_add(l, name);
        return;
    }
    if (!snapshot_name_parse(name, SNAPSHOT_SUFFIX, &id))
        return;
    bool newer = !l->found || id.end_offset > l->latest.end_offset ||
                 (id.end_offset == l->latest.end_offset && id.epoch > l->latest.epoch);
    char old[SNAPSHOT_NAME_BYTES_MAX];
    if (l->found)
        snapshot_name(newer ? &l->latest : &id, SNAPSHOT_SUFFIX, old, sizeof(old));
    if (l->found)
        snapshot_stale_add(l, old);
    if (newer)
        l->latest = id;
    l->found = true;
}

enum ks_err raft_snapshot_latest(struct env *env, const char *dir, struct raft_snapshot_id *out,
                                 bool *found_out)
{
    struct snapshot_listing l = {0};
    char path[SNAPSHOT_PATH_BYTES_MAX];
    enum ks_err err = env_dir_list(env, dir, snapshot_list_entry, &l);
    for (uint32_t i = 0; err == KS_OK && i < l.stale_count; i++) {
        snapshot_path(dir, l.stale[i], path, sizeof(path));
        err = env_path_delete(env, path);
        err = err == KS_ERR_NOT_FOUND ? KS_OK : err;
    }
    if (err == KS_OK && l.stale_count > 0)
        err = env_dir_sync(env, dir);
    *found_out = l.found;
    if (l.found)
        *out = l.latest;
    return err;
}
