/*
 * simdisk.c: one node's simulated filesystem: a volatile page cache apart from durable
 * contents, directory entries durable only after a directory sync, power-loss crashes
 * that keep a random prefix of what was unsynced and tear the last write at a sector,
 * and injected faults (EIO, ENOSPC, latency, bit flips on read).
 * Kafka: what LogSegment, OffsetIndex and the checkpoint files rely on from Linux
 * (FileChannel.force, and Utils.atomicMoveWithFallback's fsync of the parent directory).
 *
 * Method, after SQLite's test6.c. Every inode keeps what is durable apart from what is
 * current, with the ordered operations that lead from one to the other:
 *  - a file: durable bytes, cached bytes, and the writes and truncates since its last
 *    sync. Replaying all of them onto the durable bytes gives the cached bytes.
 *  - a directory: durable entries, current entries, and the name operations since its
 *    last sync. A name operation drops a name, binds a name, or both at once (a rename
 *    inside one directory, atomic as in a journalling filesystem). Replaying them all
 *    onto the durable entries gives the current entries.
 * A sync replays everything and checks that it arrives at the current state. A crash
 * replays a random prefix per inode (the last kept op, if a write, torn at an absolute
 * 512-byte sector boundary), makes the outcome current, cuts any directory reached by
 * a second name (a cross-directory rename kept in one directory and not the other can
 * do that, even make a cycle), and frees what no name reaches. Every prefix of an
 * inode's history was once its current state, so a crash invents no state but the
 * torn write.
 *
 * Order: inodes sit in one array sorted by id (ids only grow), entries in arrays
 * sorted byte-wise by name, handles in an array sorted by id. Nothing iterates in
 * address or hash order. Inodes are reclaimed by mark and sweep from the root, the
 * open handles and the pending name operations; walks mark what they visit, so a
 * rename cycle cannot make them loop.
 *
 * Writeback: a file or directory that reaches its limit of pending operations has its
 * oldest half made durable, as the kernel's writeback would. A crash may keep any
 * prefix anyway, so this narrows what a crash can lose and never widens it.
 *
 * Space: a file holds max(durable size, cached size) bytes until its inode is
 * reclaimed (a deleted file's blocks come back once no durable or pending name and no
 * handle reaches it, as a journal frees blocks only when the unlink commits).
 */
#include "simdisk.h"

#include <stdlib.h>
#include <string.h>

#define SIMDISK_INODES_MAX (1u << 20)
#define SIMDISK_DIR_ENTRIES_MAX (1u << 16)
#define SIMDISK_FILE_OPS_PENDING_MAX 1024u
#define SIMDISK_DIR_OPS_PENDING_MAX 1024u
#define SIMDISK_PPM_MAX 1000000u

_Static_assert(SIMDISK_FILE_OPS_PENDING_MAX % 2 == 0, "writeback takes the oldest half");
_Static_assert(SIMDISK_DIR_OPS_PENDING_MAX % 2 == 0, "writeback takes the oldest half");
_Static_assert(SIMDISK_SECTOR_BYTES > 0, "sectors have a size");
_Static_assert(SIMDISK_PATH_BYTES_MAX >= 2, "a path holds at least one name");

/* A growable byte array: a file's durable or cached contents. */
struct bytes {
    uint8_t *data;           /* owned; NULL while capacity is 0 */
    uint64_t size_bytes;     /* the file's size */
    uint64_t capacity_bytes; /* allocated */
};

enum data_op_kind { DATA_OP_WRITE, DATA_OP_TRUNCATE };

/* A write or truncate not yet synced. */
struct data_op {
    enum data_op_kind kind;
    uint64_t offset;     /* write: where it starts; truncate: 0 */
    uint64_t size_bytes; /* write: bytes written (> 0); truncate: the new file size */
    uint8_t *bytes;      /* write: a copy, owned; truncate: NULL */
};

/* A name change in one directory not yet synced. */
struct name_op {
    char *name_dropped;  /* owned; NULL when the op only binds */
    char *name_bound;    /* owned; NULL when the op only drops */
    struct inode *inode; /* what name_bound names; NULL when the op only drops */
};

struct entry {
    char *name; /* owned */
    struct inode *inode;
};

/* A directory's entries, sorted byte-wise by name, names unique. */
struct entries {
    struct entry *items;
    uint32_t count;
    uint32_t capacity;
};

struct inode {
    uint64_t id; /* never 0, never reused */
    bool is_dir;
    uint32_t handle_count; /* open handles on this inode */
    uint64_t mark_epoch;   /* last reclaim or walk that reached it */
    /* A file. */
    struct bytes durable;
    struct bytes cache;
    struct data_op *data_ops; /* oldest first */
    uint32_t data_op_count;
    uint32_t data_op_capacity;
    /* A directory. */
    struct entries durable_entries;
    struct entries current_entries;
    struct name_op *name_ops; /* oldest first */
    uint32_t name_op_count;
    uint32_t name_op_capacity;
};

struct handle {
    uint64_t id;
    struct inode *inode;
};

struct simdisk {
    struct rng *rng; /* borrowed */
    struct simdisk_faults faults;
    uint32_t fail_next_count[SIMDISK_OP_COUNT];
    uint64_t latency_ns;   /* accumulated since the last take */
    struct inode **inodes; /* sorted by id */
    uint32_t inode_count;
    uint32_t inode_capacity;
    uint64_t inode_id_next;
    struct inode *root;
    struct handle *handles; /* sorted by id, SIMDISK_FILES_OPEN_MAX allocated */
    uint32_t handle_count;
    uint64_t handle_id_next;
    uint64_t used_bytes; /* sum of inode_usage_bytes over all inodes */
    uint64_t mark_epoch;
    bool reclaim_wanted; /* a writeback may have left unreachable inodes */
};

static uint64_t max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/* ---- Byte arrays ---------------------------------------------------------------- */

static void bytes_reserve(struct bytes *b, uint64_t size_bytes)
{
    KS_ASSERT(size_bytes <= SIMDISK_FILE_BYTES_MAX);
    KS_ASSERT(b->size_bytes <= b->capacity_bytes);
    if (size_bytes <= b->capacity_bytes)
        return;
    uint64_t capacity = max_u64(size_bytes, max_u64(64, b->capacity_bytes * 2));
    b->data = ks_realloc(b->data, (size_t)capacity);
    b->capacity_bytes = capacity;
}

/* Set the size; bytes past the old size read as zeros. */
static void bytes_resize(struct bytes *b, uint64_t size_bytes)
{
    if (size_bytes > b->size_bytes) {
        bytes_reserve(b, size_bytes);
        memset(b->data + b->size_bytes, 0, (size_t)(size_bytes - b->size_bytes));
    }
    b->size_bytes = size_bytes;
    KS_ASSERT(b->size_bytes <= b->capacity_bytes);
}

static void bytes_write(struct bytes *b, uint64_t offset, const uint8_t *src, uint64_t size_bytes)
{
    KS_ASSERT(size_bytes > 0);
    KS_ASSERT(offset + size_bytes <= SIMDISK_FILE_BYTES_MAX);
    if (offset + size_bytes > b->size_bytes)
        bytes_resize(b, offset + size_bytes);
    memcpy(b->data + offset, src, (size_t)size_bytes);
}

static void bytes_copy(struct bytes *dst, const struct bytes *src)
{
    bytes_reserve(dst, src->size_bytes);
    if (src->size_bytes > 0)
        memcpy(dst->data, src->data, (size_t)src->size_bytes);
    dst->size_bytes = src->size_bytes;
    KS_ASSERT(dst->size_bytes == src->size_bytes);
}

static bool bytes_equal(const struct bytes *a, const struct bytes *b)
{
    if (a->size_bytes != b->size_bytes)
        return false;
    return a->size_bytes == 0 || memcmp(a->data, b->data, (size_t)a->size_bytes) == 0;
}

/* ---- Directory entries ---------------------------------------------------------- */

/* True when name is present; *index_out is its slot, or where it would go. */
static bool entries_search(const struct entries *e, const char *name, uint32_t *index_out)
{
    uint32_t lo = 0;
    uint32_t hi = e->count;
    while (lo < hi) { /* halves every step: at most 32 */
        uint32_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(e->items[mid].name, name); /* compares as unsigned char */
        if (cmp == 0) {
            *index_out = mid;
            return true;
        }
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    KS_ASSERT(lo <= e->count);
    *index_out = lo;
    return false;
}

static const struct entry *entries_find(const struct entries *e, const char *name)
{
    uint32_t index;
    return entries_search(e, name, &index) ? &e->items[index] : NULL;
}

/* Bind name to inode, replacing what it named before. */
static void entries_bind(struct entries *e, const char *name, struct inode *inode)
{
    KS_ASSERT(inode != NULL);
    uint32_t index;
    if (entries_search(e, name, &index)) {
        e->items[index].inode = inode;
        return;
    }
    KS_ASSERT(e->count < SIMDISK_DIR_ENTRIES_MAX);
    if (e->count == e->capacity) {
        e->capacity = e->capacity == 0 ? 8 : e->capacity * 2;
        e->items = ks_realloc(e->items, e->capacity * sizeof *e->items);
    }
    memmove(&e->items[index + 1], &e->items[index], (e->count - index) * sizeof *e->items);
    e->items[index] = (struct entry){.name = ks_strdup(name), .inode = inode};
    e->count++;
}

/* Drop a name that must be present (replayed history never drops a missing name). */
static void entries_drop(struct entries *e, const char *name)
{
    uint32_t index;
    bool found = entries_search(e, name, &index);
    KS_ASSERT(found);
    KS_ASSERT(e->count > 0);
    free(e->items[index].name);
    memmove(&e->items[index], &e->items[index + 1], (e->count - index - 1) * sizeof *e->items);
    e->count--;
}

static void entries_clear(struct entries *e)
{
    for (uint32_t i = 0; i < e->count; i++)
        free(e->items[i].name);
    e->count = 0;
}

static void entries_free(struct entries *e)
{
    entries_clear(e);
    free(e->items);
    *e = (struct entries){0};
}

static void entries_copy(struct entries *dst, const struct entries *src)
{
    entries_clear(dst);
    if (src->count > dst->capacity) {
        dst->capacity = src->count;
        dst->items = ks_realloc(dst->items, dst->capacity * sizeof *dst->items);
    }
    for (uint32_t i = 0; i < src->count; i++)
        dst->items[i] =
            (struct entry){.name = ks_strdup(src->items[i].name), .inode = src->items[i].inode};
    dst->count = src->count;
    KS_ASSERT(dst->count == src->count);
}

static bool entries_equal(const struct entries *a, const struct entries *b)
{
    if (a->count != b->count)
        return false;
    for (uint32_t i = 0; i < a->count; i++) {
        if (strcmp(a->items[i].name, b->items[i].name) != 0)
            return false;
        if (a->items[i].inode != b->items[i].inode)
            return false;
    }
    return true;
}

/* ---- Accounting ------------------------------------------------------------------ */

static uint64_t inode_usage_bytes(const struct inode *inode)
{
    if (inode->is_dir)
        return 0;
    return max_u64(inode->durable.size_bytes, inode->cache.size_bytes);
}

static void disk_usage_change(struct simdisk *disk, uint64_t before_bytes, uint64_t after_bytes)
{
    KS_ASSERT(disk->used_bytes >= before_bytes);
    disk->used_bytes = disk->used_bytes - before_bytes + after_bytes;
    KS_ASSERT(disk->used_bytes >= after_bytes);
}

/* Whether the file may grow its cache to cache_size_bytes within the capacity. */
static bool disk_space_allows(const struct simdisk *disk, const struct inode *file,
                              uint64_t cache_size_bytes)
{
    uint64_t before_bytes = inode_usage_bytes(file);
    uint64_t after_bytes = max_u64(file->durable.size_bytes, cache_size_bytes);
    KS_ASSERT(disk->used_bytes >= before_bytes);
    if (disk->faults.capacity_bytes == 0 || after_bytes <= before_bytes)
        return true;
    return disk->used_bytes + (after_bytes - before_bytes) <= disk->faults.capacity_bytes;
}

/* ---- File operations ------------------------------------------------------------ */

/* Apply op to b, a write cut to its first write_bytes_kept bytes. */
static void data_op_apply(struct bytes *b, const struct data_op *op, uint64_t write_bytes_kept)
{
    if (op->kind == DATA_OP_TRUNCATE) {
        KS_ASSERT(op->bytes == NULL);
        bytes_resize(b, op->size_bytes);
        return;
    }
    KS_ASSERT(op->kind == DATA_OP_WRITE);
    KS_ASSERT(write_bytes_kept <= op->size_bytes);
    if (write_bytes_kept > 0)
        bytes_write(b, op->offset, op->bytes, write_bytes_kept);
}

/* Drop the file's pending operations from index `from` on. */
static void file_ops_drop(struct inode *file, uint32_t from)
{
    KS_ASSERT(from <= file->data_op_count);
    for (uint32_t i = from; i < file->data_op_count; i++)
        free(file->data_ops[i].bytes);
    file->data_op_count = from;
}

/* Make the oldest `count` pending operations durable. */
static void file_ops_make_durable(struct simdisk *disk, struct inode *file, uint32_t count)
{
    KS_ASSERT(!file->is_dir);
    KS_ASSERT(count <= file->data_op_count);
    uint64_t usage_before = inode_usage_bytes(file);
    for (uint32_t i = 0; i < count; i++) {
        data_op_apply(&file->durable, &file->data_ops[i], file->data_ops[i].size_bytes);
        free(file->data_ops[i].bytes);
    }
    uint32_t rest = file->data_op_count - count;
    if (rest > 0)
        memmove(file->data_ops, file->data_ops + count, rest * sizeof *file->data_ops);
    file->data_op_count = rest;
    disk_usage_change(disk, usage_before, inode_usage_bytes(file));
}

static void file_ops_append(struct simdisk *disk, struct inode *file, struct data_op op)
{
    if (file->data_op_count == SIMDISK_FILE_OPS_PENDING_MAX)
        file_ops_make_durable(disk, file, SIMDISK_FILE_OPS_PENDING_MAX / 2);
    KS_ASSERT(file->data_op_count < SIMDISK_FILE_OPS_PENDING_MAX);
    if (file->data_op_count == file->data_op_capacity) {
        file->data_op_capacity = file->data_op_capacity == 0 ? 8 : file->data_op_capacity * 2;
        file->data_ops =
            ks_realloc(file->data_ops, file->data_op_capacity * sizeof *file->data_ops);
    }
    file->data_ops[file->data_op_count++] = op;
}

static void file_record_write(struct simdisk *disk, struct inode *file, uint64_t offset,
                              const uint8_t *bytes, uint32_t size_bytes)
{
    KS_ASSERT(size_bytes > 0);
    uint64_t usage_before = inode_usage_bytes(file);
    bytes_write(&file->cache, offset, bytes, size_bytes);
    disk_usage_change(disk, usage_before, inode_usage_bytes(file));
    uint8_t *copy = ks_alloc(size_bytes);
    memcpy(copy, bytes, size_bytes);
    file_ops_append(
        disk, file,
        (struct data_op){
            .kind = DATA_OP_WRITE, .offset = offset, .size_bytes = size_bytes, .bytes = copy});
    KS_ASSERT(file->cache.size_bytes >= offset + size_bytes);
}

static void file_record_truncate(struct simdisk *disk, struct inode *file, uint64_t size_bytes)
{
    uint64_t usage_before = inode_usage_bytes(file);
    bytes_resize(&file->cache, size_bytes);
    disk_usage_change(disk, usage_before, inode_usage_bytes(file));
    file_ops_append(disk, file,
                    (struct data_op){.kind = DATA_OP_TRUNCATE, .size_bytes = size_bytes});
    KS_ASSERT(file->cache.size_bytes == size_bytes);
}

/* ---- Name operations ------------------------------------------------------------ */

static void name_op_apply(struct entries *e, const struct name_op *op)
{
    KS_ASSERT(op->name_dropped != NULL || op->name_bound != NULL);
    KS_ASSERT((op->name_bound == NULL) == (op->inode == NULL));
    if (op->name_dropped != NULL)
        entries_drop(e, op->name_dropped);
    if (op->name_bound != NULL)
        entries_bind(e, op->name_bound, op->inode);
}

static void name_op_free(struct name_op *op)
{
    free(op->name_dropped);
    free(op->name_bound);
    *op = (struct name_op){0};
}

/* Make the oldest `count` pending name operations durable. */
static void dir_ops_make_durable(struct simdisk *disk, struct inode *dir, uint32_t count)
{
    KS_ASSERT(dir->is_dir);
    KS_ASSERT(count <= dir->name_op_count);
    for (uint32_t i = 0; i < count; i++) {
        name_op_apply(&dir->durable_entries, &dir->name_ops[i]);
        name_op_free(&dir->name_ops[i]);
    }
    uint32_t rest = dir->name_op_count - count;
    if (rest > 0)
        memmove(dir->name_ops, dir->name_ops + count, rest * sizeof *dir->name_ops);
    dir->name_op_count = rest;
    if (count > 0)
        disk->reclaim_wanted = true; /* a durable drop may leave an inode unreached */
}

static void dir_ops_drop_all(struct inode *dir)
{
    KS_ASSERT(dir->is_dir);
    for (uint32_t i = 0; i < dir->name_op_count; i++)
        name_op_free(&dir->name_ops[i]);
    dir->name_op_count = 0;
}

/* Change the directory's current entries and remember the change until dir_sync. */
static void dir_record(struct simdisk *disk, struct inode *dir, const char *name_dropped,
                       const char *name_bound, struct inode *inode)
{
    KS_ASSERT(dir->is_dir);
    struct name_op op = {
        .name_dropped = name_dropped != NULL ? ks_strdup(name_dropped) : NULL,
        .name_bound = name_bound != NULL ? ks_strdup(name_bound) : NULL,
        .inode = inode,
    };
    name_op_apply(&dir->current_entries, &op);
    if (dir->name_op_count == SIMDISK_DIR_OPS_PENDING_MAX)
        dir_ops_make_durable(disk, dir, SIMDISK_DIR_OPS_PENDING_MAX / 2);
    KS_ASSERT(dir->name_op_count < SIMDISK_DIR_OPS_PENDING_MAX);
    if (dir->name_op_count == dir->name_op_capacity) {
        dir->name_op_capacity = dir->name_op_capacity == 0 ? 8 : dir->name_op_capacity * 2;
        dir->name_ops = ks_realloc(dir->name_ops, dir->name_op_capacity * sizeof *dir->name_ops);
    }
    dir->name_ops[dir->name_op_count++] = op;
}

/* ---- Inodes and reclaiming ------------------------------------------------------- */

static struct inode *inode_create(struct simdisk *disk, bool is_dir)
{
    KS_ASSERT(disk->inode_count < SIMDISK_INODES_MAX);
    if (disk->inode_count == disk->inode_capacity) {
        disk->inode_capacity = disk->inode_capacity == 0 ? 16 : disk->inode_capacity * 2;
        disk->inodes = ks_realloc(disk->inodes, disk->inode_capacity * sizeof *disk->inodes);
    }
    struct inode *inode = ks_alloc(sizeof *inode);
    inode->id = disk->inode_id_next++;
    inode->is_dir = is_dir;
    KS_ASSERT(disk->inode_count == 0 || disk->inodes[disk->inode_count - 1]->id < inode->id);
    disk->inodes[disk->inode_count++] = inode;
    return inode;
}

static void inode_free(struct inode *inode)
{
    KS_ASSERT(inode->handle_count == 0);
    free(inode->durable.data);
    free(inode->cache.data);
    file_ops_drop(inode, 0);
    free(inode->data_ops);
    entries_free(&inode->durable_entries);
    entries_free(&inode->current_entries);
    if (inode->is_dir)
        dir_ops_drop_all(inode);
    free(inode->name_ops);
    free(inode);
}

/* Index of inode `id` in disk->inodes (it must be there). */
static uint32_t inode_index(const struct simdisk *disk, uint64_t id)
{
    uint32_t lo = 0;
    uint32_t hi = disk->inode_count;
    while (lo < hi) { /* halves every step */
        uint32_t mid = lo + (hi - lo) / 2;
        if (disk->inodes[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    KS_ASSERT(lo < disk->inode_count);
    KS_ASSERT(disk->inodes[lo]->id == id);
    return lo;
}

static void reclaim_mark(struct simdisk *disk, struct inode *inode, struct inode **stack,
                         uint32_t *stack_count)
{
    if (inode->mark_epoch == disk->mark_epoch)
        return;
    inode->mark_epoch = disk->mark_epoch;
    if (inode->is_dir) {
        KS_ASSERT(*stack_count < disk->inode_count); /* each inode is pushed once */
        stack[(*stack_count)++] = inode;
    }
}

/* Mark what a directory's current, durable and pending names reach. */
static void reclaim_mark_dir(struct simdisk *disk, const struct inode *dir, struct inode **stack,
                             uint32_t *stack_count)
{
    KS_ASSERT(dir->is_dir);
    for (uint32_t i = 0; i < dir->current_entries.count; i++)
        reclaim_mark(disk, dir->current_entries.items[i].inode, stack, stack_count);
    for (uint32_t i = 0; i < dir->durable_entries.count; i++)
        reclaim_mark(disk, dir->durable_entries.items[i].inode, stack, stack_count);
    for (uint32_t i = 0; i < dir->name_op_count; i++) {
        if (dir->name_ops[i].inode != NULL)
            reclaim_mark(disk, dir->name_ops[i].inode, stack, stack_count);
    }
}

/* Free every inode that neither the root's names nor an open handle reaches. */
static void disk_reclaim(struct simdisk *disk)
{
    disk->mark_epoch++;
    struct inode **stack = ks_alloc(disk->inode_count * sizeof *stack);
    uint32_t stack_count = 0;
    reclaim_mark(disk, disk->root, stack, &stack_count);
    for (uint32_t i = 0; i < disk->handle_count; i++)
        reclaim_mark(disk, disk->handles[i].inode, stack, &stack_count);
    for (uint32_t steps = 0; stack_count > 0; steps++) {
        KS_ASSERT(steps < disk->inode_count);
        reclaim_mark_dir(disk, stack[--stack_count], stack, &stack_count);
    }
    free(stack);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < disk->inode_count; i++) {
        struct inode *inode = disk->inodes[i];
        if (inode->mark_epoch == disk->mark_epoch) {
            disk->inodes[kept++] = inode;
            continue;
        }
        disk_usage_change(disk, inode_usage_bytes(inode), 0);
        inode_free(inode);
    }
    disk->inode_count = kept;
    disk->reclaim_wanted = false;
    KS_ASSERT(disk->inodes[0] == disk->root);
}

static void disk_reclaim_if_wanted(struct simdisk *disk)
{
    if (disk->reclaim_wanted)
        disk_reclaim(disk);
    KS_ASSERT(!disk->reclaim_wanted);
}

/* ---- Handles, faults, paths ------------------------------------------------------ */

static struct handle *handle_find(struct simdisk *disk, uint64_t id)
{
    uint32_t lo = 0;
    uint32_t hi = disk->handle_count;
    while (lo < hi) { /* halves every step */
        uint32_t mid = lo + (hi - lo) / 2;
        if (disk->handles[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == disk->handle_count || disk->handles[lo].id != id)
        return NULL;
    KS_ASSERT(disk->handles[lo].inode->handle_count > 0);
    KS_ASSERT(!disk->handles[lo].inode->is_dir);
    return &disk->handles[lo];
}

static uint64_t handle_open(struct simdisk *disk, struct inode *file)
{
    KS_ASSERT(disk->handle_count < SIMDISK_FILES_OPEN_MAX);
    KS_ASSERT(!file->is_dir);
    uint64_t id = disk->handle_id_next++;
    disk->handles[disk->handle_count++] = (struct handle){.id = id, .inode = file};
    file->handle_count++;
    return id;
}

/* Every call that reaches the disk: draw its latency, then its EIO. */
static enum ks_err disk_call(struct simdisk *disk, enum simdisk_op op)
{
    KS_ASSERT(op < SIMDISK_OP_COUNT);
    const struct simdisk_faults *f = &disk->faults;
    KS_ASSERT(f->latency_ns_min <= f->latency_ns_max);
    if (f->latency_ns_max > 0)
        disk->latency_ns += f->latency_ns_min == f->latency_ns_max
                                ? f->latency_ns_min
                                : rng_between(disk->rng, f->latency_ns_min, f->latency_ns_max);
    if (disk->fail_next_count[op] > 0) {
        disk->fail_next_count[op]--;
        return KS_ERR_IO;
    }
    return rng_chance_ppm(disk->rng, f->eio_ppm[op]) ? KS_ERR_IO : KS_OK;
}

/* Relative, '/'-separated, no empty, "." or ".." parts, shorter than the limit. "" is
 * the root. */
static bool path_valid(const char *path)
{
    if (path == NULL)
        return false;
    size_t length = strnlen(path, SIMDISK_PATH_BYTES_MAX);
    if (length >= SIMDISK_PATH_BYTES_MAX)
        return false;
    size_t part_start = 0;
    for (size_t i = 0; length > 0 && i <= length; i++) {
        if (i < length && path[i] != '/')
            continue;
        const char *part = path + part_start;
        size_t part_length = i - part_start;
        if (part_length == 0)
            return false;
        if (part_length == 1 && part[0] == '.')
            return false;
        if (part_length == 2 && part[0] == '.' && part[1] == '.')
            return false;
        part_start = i + 1;
    }
    return true;
}

/*
 * Follow a valid path through current entries. With parent_only (path not ""), stop
 * at the directory holding the last part and copy that part into name_out; else the
 * whole path must name a directory. Errors: KS_ERR_NOT_FOUND.
 */
static enum ks_err path_walk(const struct simdisk *disk, const char *path, bool parent_only,
                             struct inode **dir_out, char name_out[SIMDISK_PATH_BYTES_MAX])
{
    KS_ASSERT(path_valid(path));
    KS_ASSERT(!parent_only || path[0] != '\0');
    struct inode *dir = disk->root;
    const char *part = path;
    for (uint32_t depth = 0; part[0] != '\0'; depth++) {
        KS_ASSERT(depth < SIMDISK_PATH_BYTES_MAX); /* every part takes a byte */
        const char *slash = strchr(part, '/');
        size_t length = slash != NULL ? (size_t)(slash - part) : strlen(part);
        memcpy(name_out, part, length);
        name_out[length] = '\0';
        if (slash == NULL && parent_only)
            break;
        const struct entry *e = entries_find(&dir->current_entries, name_out);
        if (e == NULL || !e->inode->is_dir)
            return KS_ERR_NOT_FOUND;
        dir = e->inode;
        part = slash != NULL ? slash + 1 : part + length;
    }
    *dir_out = dir;
    return KS_OK;
}

/* ---- Creation, faults, latency ---------------------------------------------------- */

struct simdisk *simdisk_create(struct rng *rng)
{
    KS_ASSERT(rng != NULL);
    struct simdisk *disk = ks_alloc(sizeof *disk);
    disk->rng = rng;
    disk->inode_id_next = 1;
    disk->handle_id_next = 1;
    disk->handles = ks_alloc(SIMDISK_FILES_OPEN_MAX * sizeof *disk->handles);
    disk->root = inode_create(disk, true);
    KS_ASSERT(disk->inode_count == 1);
    KS_ASSERT(disk->root->id == 1);
    return disk;
}

void simdisk_destroy(struct simdisk *disk)
{
    if (disk == NULL)
        return;
    for (uint32_t i = 0; i < disk->handle_count; i++)
        disk->handles[i].inode->handle_count = 0;
    for (uint32_t i = 0; i < disk->inode_count; i++)
        inode_free(disk->inodes[i]);
    free(disk->inodes);
    free(disk->handles);
    free(disk);
}

void simdisk_faults_set(struct simdisk *disk, const struct simdisk_faults *faults)
{
    KS_ASSERT(faults != NULL);
    for (uint32_t op = 0; op < SIMDISK_OP_COUNT; op++)
        KS_ASSERT(faults->eio_ppm[op] <= SIMDISK_PPM_MAX);
    KS_ASSERT(faults->read_bitflip_ppm <= SIMDISK_PPM_MAX);
    KS_ASSERT(faults->latency_ns_min <= faults->latency_ns_max);
    disk->faults = *faults;
}

void simdisk_faults_get(const struct simdisk *disk, struct simdisk_faults *faults_out)
{
    KS_ASSERT(faults_out != NULL);
    *faults_out = disk->faults;
}

void simdisk_fail_next(struct simdisk *disk, enum simdisk_op op, uint32_t count)
{
    KS_ASSERT(op < SIMDISK_OP_COUNT);
    disk->fail_next_count[op] = count;
}

uint64_t simdisk_latency_take_ns(struct simdisk *disk)
{
    uint64_t latency_ns = disk->latency_ns;
    disk->latency_ns = 0;
    return latency_ns;
}

/* ---- File calls ------------------------------------------------------------------ */

/* Find the file `name` in parent, or create it as flags allow. */
static enum ks_err open_find_or_create(struct simdisk *disk, struct inode *parent, const char *name,
                                       unsigned flags, struct inode **file_out)
{
    KS_ASSERT(parent->is_dir);
    const struct entry *e = entries_find(&parent->current_entries, name);
    if (e != NULL) {
        if (e->inode->is_dir)
            return KS_ERR_INVALID;
        if ((flags & ENV_FILE_CREATE) != 0 && (flags & ENV_FILE_EXCL) != 0)
            return KS_ERR_EXISTS;
        *file_out = e->inode;
        return KS_OK;
    }
    if ((flags & ENV_FILE_CREATE) == 0)
        return KS_ERR_NOT_FOUND;
    if (parent->current_entries.count >= SIMDISK_DIR_ENTRIES_MAX ||
        disk->inode_count >= SIMDISK_INODES_MAX)
        return KS_ERR_TOO_MANY;
    struct inode *file = inode_create(disk, false);
    dir_record(disk, parent, NULL, name, file);
    *file_out = file;
    KS_ASSERT(entries_find(&parent->current_entries, name)->inode == file);
    return KS_OK;
}

enum ks_err simdisk_open(struct simdisk *disk, const char *path, unsigned flags, uint64_t *file_out)
{
    const unsigned flags_known = ENV_FILE_CREATE | ENV_FILE_EXCL | ENV_FILE_TRUNC;
    if (!path_valid(path) || path[0] == '\0' || (flags & ~flags_known) != 0 || file_out == NULL)
        return KS_ERR_INVALID;
    enum ks_err err = disk_call(disk, SIMDISK_OP_META);
    if (err != KS_OK)
        return err;
    if (disk->handle_count >= SIMDISK_FILES_OPEN_MAX)
        return KS_ERR_TOO_MANY;
    struct inode *parent;
    char name[SIMDISK_PATH_BYTES_MAX];
    err = path_walk(disk, path, true, &parent, name);
    if (err != KS_OK)
        return err;
    struct inode *file;
    err = open_find_or_create(disk, parent, name, flags, &file);
    if (err != KS_OK)
        return err;
    if ((flags & ENV_FILE_TRUNC) != 0 && file->cache.size_bytes > 0)
        file_record_truncate(disk, file, 0);
    *file_out = handle_open(disk, file);
    disk_reclaim_if_wanted(disk);
    KS_ASSERT(*file_out != 0);
    return KS_OK;
}

enum ks_err simdisk_read(struct simdisk *disk, uint64_t file, uint64_t offset, uint8_t *buf,
                         uint32_t size_bytes, uint32_t *read_bytes_out)
{
    struct handle *handle = handle_find(disk, file);
    if (handle == NULL || (buf == NULL && size_bytes > 0) || read_bytes_out == NULL)
        return KS_ERR_INVALID;
    enum ks_err err = disk_call(disk, SIMDISK_OP_READ);
    if (err != KS_OK)
        return err;
    const struct bytes *cache = &handle->inode->cache;
    uint64_t available = offset < cache->size_bytes ? cache->size_bytes - offset : 0;
    uint32_t count = available < size_bytes ? (uint32_t)available : size_bytes;
    if (count > 0)
        memcpy(buf, cache->data + offset, count);
    if (count > 0 && rng_chance_ppm(disk->rng, disk->faults.read_bitflip_ppm)) {
        uint64_t bit = rng_below(disk->rng, (uint64_t)count * 8);
        buf[bit / 8] ^= (uint8_t)(1u << (bit % 8)); /* the caller's copy only */
    }
    *read_bytes_out = count;
    KS_ASSERT(count <= size_bytes);
    return KS_OK;
}

enum ks_err simdisk_write(struct simdisk *disk, uint64_t file, uint64_t offset,
                          const uint8_t *bytes, uint32_t size_bytes)
{
    struct handle *handle = handle_find(disk, file);
    if (handle == NULL || (bytes == NULL && size_bytes > 0))
        return KS_ERR_INVALID;
    enum ks_err err = disk_call(disk, SIMDISK_OP_WRITE);
    if (err != KS_OK)
        return err;
    if (offset > SIMDISK_FILE_BYTES_MAX - size_bytes)
        return KS_ERR_NO_SPACE;
    if (size_bytes == 0)
        return KS_OK;
    struct inode *inode = handle->inode;
    if (!disk_space_allows(disk, inode, max_u64(inode->cache.size_bytes, offset + size_bytes)))
        return KS_ERR_NO_SPACE;
    file_record_write(disk, inode, offset, bytes, size_bytes);
    KS_ASSERT(inode->cache.size_bytes <= SIMDISK_FILE_BYTES_MAX);
    return KS_OK;
}

/* A metadata call (fstat) for fault injection: SIMDISK_OP_META. */
enum ks_err simdisk_size(struct simdisk *disk, uint64_t file, uint64_t *size_out)
{
    struct handle *handle = handle_find(disk, file);
    if (handle == NULL || size_out == NULL)
        return KS_ERR_INVALID;
    enum ks_err err = disk_call(disk, SIMDISK_OP_META);
    if (err != KS_OK)
        return err;
    *size_out = handle->inode->cache.size_bytes;
    KS_ASSERT(*size_out <= SIMDISK_FILE_BYTES_MAX);
    return KS_OK;
}

enum ks_err simdisk_truncate(struct simdisk *disk, uint64_t file, uint64_t size_bytes)
{
    struct handle *handle = handle_find(disk, file);
    if (handle == NULL)
        return KS_ERR_INVALID;
    enum ks_err err = disk_call(disk, SIMDISK_OP_WRITE);
    if (err != KS_OK)
        return err;
    struct inode *inode = handle->inode;
    if (size_bytes > SIMDISK_FILE_BYTES_MAX || !disk_space_allows(disk, inode, size_bytes))
        return KS_ERR_NO_SPACE;
    if (size_bytes != inode->cache.size_bytes)
        file_record_truncate(disk, inode, size_bytes);
    KS_ASSERT(inode->cache.size_bytes == size_bytes);
    return KS_OK;
}

enum ks_err simdisk_sync(struct simdisk *disk, uint64_t file)
{
    struct handle *handle = handle_find(disk, file);
    if (handle == NULL)
        return KS_ERR_INVALID;
    enum ks_err err = disk_call(disk, SIMDISK_OP_SYNC);
    if (err != KS_OK)
        return err; /* what was pending stays pending: a crash may still lose it */
    struct inode *inode = handle->inode;
    file_ops_make_durable(disk, inode, inode->data_op_count);
    /* The replayed history must arrive where the cache is. */
    KS_ASSERT(inode->data_op_count == 0);
    KS_ASSERT(bytes_equal(&inode->durable, &inode->cache));
    return KS_OK;
}

void simdisk_close(struct simdisk *disk, uint64_t file)
{
    struct handle *handle = handle_find(disk, file);
    if (handle == NULL)
        return; /* like close(2) on a bad descriptor: nothing to do */
    struct inode *inode = handle->inode;
    KS_ASSERT(inode->handle_count > 0);
    inode->handle_count--;
    uint32_t index = (uint32_t)(handle - disk->handles);
    KS_ASSERT(index < disk->handle_count);
    memmove(&disk->handles[index], &disk->handles[index + 1],
            (disk->handle_count - index - 1) * sizeof *disk->handles);
    disk->handle_count--;
    if (inode->handle_count == 0)
        disk_reclaim(disk); /* an unlinked file goes with its last handle */
}

/* ---- Name calls ------------------------------------------------------------------ */

/* Whether `moved` (at path from) may take the name to_name in to_dir (path to). */
static enum ks_err rename_check(const struct inode *moved, const char *from, const char *to,
                                const struct inode *to_dir, const char *to_name)
{
    KS_ASSERT(to_dir->is_dir);
    const struct entry *target = entries_find(&to_dir->current_entries, to_name);
    if (target != NULL && (target->inode->is_dir || moved->is_dir))
        return KS_ERR_INVALID; /* only a file replaces a file */
    if (target == NULL && to_dir->current_entries.count >= SIMDISK_DIR_ENTRIES_MAX)
        return KS_ERR_TOO_MANY;
    size_t from_length = strlen(from);
    if (moved->is_dir && strncmp(from, to, from_length) == 0 && to[from_length] == '/')
        return KS_ERR_INVALID; /* into its own subtree */
    return KS_OK;
}

enum ks_err simdisk_rename(struct simdisk *disk, const char *from, const char *to)
{
    if (!path_valid(from) || !path_valid(to) || from[0] == '\0' || to[0] == '\0')
        return KS_ERR_INVALID;
    enum ks_err err = disk_call(disk, SIMDISK_OP_META);
    if (err != KS_OK)
        return err;
    struct inode *from_dir;
    struct inode *to_dir;
    char from_name[SIMDISK_PATH_BYTES_MAX];
    char to_name[SIMDISK_PATH_BYTES_MAX];
    err = path_walk(disk, from, true, &from_dir, from_name);
    if (err != KS_OK)
        return err;
    const struct entry *e = entries_find(&from_dir->current_entries, from_name);
    if (e == NULL)
        return KS_ERR_NOT_FOUND;
    struct inode *moved = e->inode;
    err = path_walk(disk, to, true, &to_dir, to_name);
    if (err != KS_OK)
        return err;
    if (from_dir == to_dir && strcmp(from_name, to_name) == 0)
        return KS_OK; /* a rename onto itself changes nothing */
    err = rename_check(moved, from, to, to_dir, to_name);
    if (err != KS_OK)
        return err;
    if (from_dir == to_dir) {
        dir_record(disk, from_dir, from_name, to_name, moved); /* atomic in one directory */
    } else {
        dir_record(disk, from_dir, from_name, NULL, NULL);
        dir_record(disk, to_dir, NULL, to_name, moved);
    }
    disk_reclaim_if_wanted(disk);
    KS_ASSERT(entries_find(&to_dir->current_entries, to_name)->inode == moved);
    return KS_OK;
}

enum ks_err simdisk_delete(struct simdisk *disk, const char *path)
{
    if (!path_valid(path) || path[0] == '\0')
        return KS_ERR_INVALID;
    enum ks_err err = disk_call(disk, SIMDISK_OP_META);
    if (err != KS_OK)
        return err;
    struct inode *parent;
    char name[SIMDISK_PATH_BYTES_MAX];
    err = path_walk(disk, path, true, &parent, name);
    if (err != KS_OK)
        return err;
    const struct entry *e = entries_find(&parent->current_entries, name);
    if (e == NULL)
        return KS_ERR_NOT_FOUND;
    if (e->inode->is_dir && e->inode->current_entries.count > 0)
        return KS_ERR_INVALID; /* not empty */
    dir_record(disk, parent, name, NULL, NULL);
    disk_reclaim_if_wanted(disk);
    KS_ASSERT(entries_find(&parent->current_entries, name) == NULL);
    return KS_OK;
}

enum ks_err simdisk_mkdir(struct simdisk *disk, const char *path)
{
    if (!path_valid(path))
        return KS_ERR_INVALID;
    enum ks_err err = disk_call(disk, SIMDISK_OP_META);
    if (err != KS_OK)
        return err;
    if (path[0] == '\0')
        return KS_ERR_EXISTS; /* the root */
    struct inode *parent;
    char name[SIMDISK_PATH_BYTES_MAX];
    err = path_walk(disk, path, true, &parent, name);
    if (err != KS_OK)
        return err;
    if (entries_find(&parent->current_entries, name) != NULL)
        return KS_ERR_EXISTS;
    if (parent->current_entries.count >= SIMDISK_DIR_ENTRIES_MAX ||
        disk->inode_count >= SIMDISK_INODES_MAX)
        return KS_ERR_TOO_MANY;
    struct inode *dir = inode_create(disk, true);
    dir_record(disk, parent, NULL, name, dir);
    disk_reclaim_if_wanted(disk);
    KS_ASSERT(entries_find(&parent->current_entries, name)->inode == dir);
    return KS_OK;
}

struct list_item {
    char *name;
    bool is_dir;
};

enum ks_err simdisk_list(struct simdisk *disk, const char *path, env_dir_entry_fn fn, void *ctx)
{
    if (!path_valid(path) || fn == NULL)
        return KS_ERR_INVALID;
    enum ks_err err = disk_call(disk, SIMDISK_OP_META);
    if (err != KS_OK)
        return err;
    struct inode *dir;
    char name[SIMDISK_PATH_BYTES_MAX];
    err = path_walk(disk, path, false, &dir, name);
    if (err != KS_OK)
        return err;
    /* A snapshot, so that the callback may change the directory. */
    uint32_t count = dir->current_entries.count;
    struct list_item *items = ks_alloc(count * sizeof *items);
    for (uint32_t i = 0; i < count; i++) {
        const struct entry *e = &dir->current_entries.items[i];
        KS_ASSERT(i == 0 || strcmp(dir->current_entries.items[i - 1].name, e->name) < 0);
        items[i] = (struct list_item){.name = ks_strdup(e->name), .is_dir = e->inode->is_dir};
    }
    for (uint32_t i = 0; i < count; i++)
        fn(ctx, items[i].name, items[i].is_dir);
    for (uint32_t i = 0; i < count; i++)
        free(items[i].name);
    free(items);
    return KS_OK;
}

enum ks_err simdisk_dir_sync(struct simdisk *disk, const char *path)
{
    if (!path_valid(path))
        return KS_ERR_INVALID;
    enum ks_err err = disk_call(disk, SIMDISK_OP_SYNC);
    if (err != KS_OK)
        return err;
    struct inode *dir;
    char name[SIMDISK_PATH_BYTES_MAX];
    err = path_walk(disk, path, false, &dir, name);
    if (err != KS_OK)
        return err;
    dir_ops_make_durable(disk, dir, dir->name_op_count);
    /* The replayed history must arrive at the current entries. */
    KS_ASSERT(dir->name_op_count == 0);
    KS_ASSERT(entries_equal(&dir->durable_entries, &dir->current_entries));
    disk_reclaim_if_wanted(disk);
    return KS_OK;
}

/* ---- Crash and process exit ------------------------------------------------------- */

/* Bytes of a write that survive power loss: a prefix ending at the write's start, at
 * an absolute sector boundary inside it, or at its end, each equally likely. */
static uint64_t crash_tear(struct rng *rng, const struct data_op *op)
{
    KS_ASSERT(op->kind == DATA_OP_WRITE);
    KS_ASSERT(op->size_bytes > 0);
    uint64_t end = op->offset + op->size_bytes;
    uint64_t sector_first = op->offset / SIMDISK_SECTOR_BYTES;
    uint64_t boundaries_inside = (end - 1) / SIMDISK_SECTOR_BYTES - sector_first;
    uint64_t choice = rng_below(rng, boundaries_inside + 2);
    uint64_t kept_end = end;
    if (choice == 0)
        kept_end = op->offset;
    else if (choice <= boundaries_inside)
        kept_end = (sector_first + choice) * SIMDISK_SECTOR_BYTES;
    KS_ASSERT(kept_end >= op->offset && kept_end <= end);
    KS_ASSERT(kept_end == end || kept_end == op->offset || kept_end % SIMDISK_SECTOR_BYTES == 0);
    return kept_end - op->offset;
}

/* Keep a random prefix of the file's pending operations; returns how many were
 * dropped or torn. */
static uint64_t crash_file(struct simdisk *disk, struct inode *file)
{
    KS_ASSERT(file->handle_count == 0);
    uint32_t count = file->data_op_count;
    if (count == 0) {
        KS_ASSERT(bytes_equal(&file->durable, &file->cache));
        return 0;
    }
    uint32_t kept = (uint32_t)rng_below(disk->rng, (uint64_t)count + 1);
    uint32_t whole = kept;
    if (kept > 0 && file->data_ops[kept - 1].kind == DATA_OP_WRITE)
        whole = kept - 1; /* the last kept op is a write: it may tear */
    file_ops_make_durable(disk, file, whole);
    uint64_t lost = count - kept;
    uint64_t usage_before = inode_usage_bytes(file);
    if (whole < kept) {
        const struct data_op *op = &file->data_ops[0];
        uint64_t kept_bytes = crash_tear(disk->rng, op);
        data_op_apply(&file->durable, op, kept_bytes);
        lost += kept_bytes < op->size_bytes ? 1 : 0;
    }
    file_ops_drop(file, 0);
    bytes_copy(&file->cache, &file->durable);
    disk_usage_change(disk, usage_before, inode_usage_bytes(file));
    KS_ASSERT(lost <= count);
    return lost;
}

/* Keep a random prefix of the directory's pending name operations. */
static uint64_t crash_dir(struct simdisk *disk, struct inode *dir)
{
    uint32_t count = dir->name_op_count;
    if (count == 0) {
        KS_ASSERT(entries_equal(&dir->durable_entries, &dir->current_entries));
        return 0;
    }
    uint32_t kept = (uint32_t)rng_below(disk->rng, (uint64_t)count + 1);
    dir_ops_make_durable(disk, dir, kept);
    dir_ops_drop_all(dir);
    entries_copy(&dir->current_entries, &dir->durable_entries);
    KS_ASSERT(dir->name_op_count == 0);
    return count - kept;
}

/* Depth first in name order from the root: a directory reached a second time loses
 * that name, so the tree that survives is a tree. */
static void crash_cut_second_names(struct simdisk *disk, struct inode *dir, uint32_t depth)
{
    KS_ASSERT(depth < disk->inode_count);
    KS_ASSERT(dir->name_op_count == 0);
    dir->mark_epoch = disk->mark_epoch;
    struct entries *entries = &dir->durable_entries;
    uint32_t count_before = entries->count;
    uint32_t i = 0;
    for (uint32_t step = 0; step < count_before && i < entries->count; step++) {
        struct inode *child = entries->items[i].inode;
        if (!child->is_dir) {
            i++;
        } else if (child->mark_epoch == disk->mark_epoch) {
            entries_drop(&dir->current_entries, entries->items[i].name);
            entries_drop(entries, entries->items[i].name);
        } else {
            crash_cut_second_names(disk, child, depth + 1);
            i++;
        }
    }
}

uint64_t simdisk_crash(struct simdisk *disk)
{
    for (uint32_t i = 0; i < disk->handle_count; i++)
        disk->handles[i].inode->handle_count = 0;
    disk->handle_count = 0;
    disk_reclaim(disk); /* unlinked files go with their handles */
    uint64_t lost = 0;
    for (uint32_t i = 0; i < disk->inode_count; i++) { /* id order: deterministic */
        struct inode *inode = disk->inodes[i];
        lost += inode->is_dir ? crash_dir(disk, inode) : crash_file(disk, inode);
    }
    disk->mark_epoch++;
    crash_cut_second_names(disk, disk->root, 0);
    disk_reclaim(disk);
    KS_ASSERT(disk->handle_count == 0);
    KS_ASSERT(disk->inodes[0] == disk->root);
    return lost;
}

void simdisk_close_all(struct simdisk *disk)
{
    for (uint32_t i = 0; i < disk->handle_count; i++) {
        KS_ASSERT(disk->handles[i].inode->handle_count > 0);
        disk->handles[i].inode->handle_count--;
    }
    disk->handle_count = 0;
    disk_reclaim(disk);
    KS_ASSERT(disk->root->handle_count == 0);
}

/* ---- Walking and accounting -------------------------------------------------------- */

struct walk {
    const struct simdisk *disk;
    bool *visited; /* by index in disk->inodes */
    char *path;    /* owned, grows */
    size_t path_capacity;
    simdisk_walk_fn fn;
    void *ctx;
};

/* Put dir's path (path_length bytes, already in walk->path) + "/" + name in walk->path;
 * returns the new length. */
static size_t walk_path_extend(struct walk *walk, size_t path_length, const char *name)
{
    size_t name_length = strlen(name);
    size_t length = path_length + (path_length > 0 ? 1 : 0) + name_length;
    if (length + 1 > walk->path_capacity) {
        walk->path_capacity =
            length + 1 > walk->path_capacity * 2 ? length + 1 : walk->path_capacity * 2;
        walk->path = ks_realloc(walk->path, walk->path_capacity);
    }
    if (path_length > 0)
        walk->path[path_length] = '/';
    memcpy(walk->path + length - name_length, name, name_length + 1);
    KS_ASSERT(strlen(walk->path) == length);
    return length;
}

static void walk_dir(struct walk *walk, const struct inode *dir, size_t path_length, uint32_t depth)
{
    KS_ASSERT(dir->is_dir);
    KS_ASSERT(depth < walk->disk->inode_count); /* each directory is entered once */
    for (uint32_t i = 0; i < dir->durable_entries.count; i++) {
        const struct entry *e = &dir->durable_entries.items[i];
        const struct inode *child = e->inode;
        size_t length = walk_path_extend(walk, path_length, e->name);
        if (!child->is_dir) {
            walk->fn(walk->ctx, walk->path, false, child->durable.data, child->durable.size_bytes);
            continue;
        }
        uint32_t index = inode_index(walk->disk, child->id);
        if (walk->visited[index])
            continue; /* a second name for a directory: the walk keeps the first */
        walk->visited[index] = true;
        walk->fn(walk->ctx, walk->path, true, NULL, 0);
        walk_dir(walk, child, length, depth + 1);
    }
}

void simdisk_walk_durable(const struct simdisk *disk, simdisk_walk_fn fn, void *ctx)
{
    KS_ASSERT(fn != NULL);
    KS_ASSERT(disk->inodes[0] == disk->root);
    struct walk walk = {
        .disk = disk,
        .visited = ks_alloc(disk->inode_count * sizeof(bool)),
        .path = ks_alloc(64),
        .path_capacity = 64,
        .fn = fn,
        .ctx = ctx,
    };
    walk.visited[0] = true; /* the root */
    walk_dir(&walk, disk->root, 0, 0);
    free(walk.visited);
    free(walk.path);
}

uint64_t simdisk_used_bytes(const struct simdisk *disk)
{
    uint64_t used_bytes = 0;
    for (uint32_t i = 0; i < disk->inode_count; i++)
        used_bytes += inode_usage_bytes(disk->inodes[i]);
    KS_ASSERT(used_bytes == disk->used_bytes); /* the running sum agrees with a recount */
    return used_bytes;
}
