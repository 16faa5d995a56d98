/*
 * simdisk.h: one node's simulated filesystem, with a volatile page cache and durable
 * contents kept apart, as SQLite's crash tests (test6.c) and TigerBeetle's testing
 * storage do.
 *
 * Model (the contract of env.h's file calls):
 *  - Each file (inode) has durable bytes and cached bytes. Writes and truncates change
 *    the cache and are remembered, in order, as pending operations until the file is
 *    synced; simdisk_sync makes the cache durable.
 *  - Each directory has durable entries and current entries. Create, rename and
 *    delete change the current entries and are remembered, in order, as pending name
 *    operations until the directory is synced; simdisk_dir_sync makes them durable.
 *    A rename across directories is pending in both; it is durable once both are synced.
 *  - simdisk_crash (power loss) drops all handles; each file keeps its durable bytes
 *    plus a random prefix of its pending operations, the last kept write torn at a
 *    512-byte sector boundary (a sector-aligned prefix of it survives); each directory
 *    keeps its durable entries plus a random prefix of its pending name operations.
 *    Files that no durable name reaches are gone.
 *  - simdisk_close_all (a process exit) drops all handles and keeps the page cache.
 *  - Faults: EIO on read, write or sync with odds in parts per million, or the next N
 *    calls of a kind; ENOSPC past a capacity; a latency per call (the world turns it
 *    into time the node is blocked); silent bit flips in the bytes a read returns
 *    (the stored bytes stay intact).
 *
 * Paths are relative, '/'-separated, without "." or ".." or empty parts; "" is the root.
 * Every decision draws from the rng given at creation (borrowed; the world derives one
 * per disk). No floating point.
 */
#ifndef SIM_SIMDISK_H
#define SIM_SIMDISK_H

#include "../system/env.h"
#include "rng.h"

#define SIMDISK_SECTOR_BYTES 512u
#define SIMDISK_FILES_OPEN_MAX 4096u
#define SIMDISK_PATH_BYTES_MAX 1024u
#define SIMDISK_FILE_BYTES_MAX (1ull << 32) /* largest file; a write past it is KS_ERR_NO_SPACE */

struct simdisk;

/* Kinds of calls, for fault injection. */
enum simdisk_op {
    SIMDISK_OP_READ,
    SIMDISK_OP_WRITE, /* write and truncate */
    SIMDISK_OP_SYNC,  /* file sync and directory sync */
    SIMDISK_OP_META,  /* open, create, rename, delete, list */
    SIMDISK_OP_COUNT,
};

struct simdisk_faults {
    uint32_t eio_ppm[SIMDISK_OP_COUNT]; /* odds that a call of that kind fails with EIO */
    uint32_t read_bitflip_ppm;          /* odds that a read returns one flipped bit */
    uint64_t capacity_bytes;            /* 0 = unlimited; beyond it writes get ENOSPC */
    uint64_t latency_ns_min;            /* added per call, drawn in [min, max] */
    uint64_t latency_ns_max;
};

/* Create an empty filesystem (just the root directory). rng is borrowed for the disk's
 * lifetime. */
struct simdisk *simdisk_create(struct rng *rng);
void simdisk_destroy(struct simdisk *disk);

void simdisk_faults_set(struct simdisk *disk, const struct simdisk_faults *faults);
void simdisk_faults_get(const struct simdisk *disk, struct simdisk_faults *faults_out);
/* The next `count` calls of kind `op` fail with EIO (then the odds apply again). */
void simdisk_fail_next(struct simdisk *disk, enum simdisk_op op, uint32_t count);

/* Latency accumulated by calls since the last take; the world adds it to the node's
 * busy time. Returns 0 without latency faults. */
uint64_t simdisk_latency_take_ns(struct simdisk *disk);

/* The calls behind env.h's file functions, with the same contracts and errors.
 * Handles (simdisk file ids) are never 0 and never reused. */
enum ks_err simdisk_open(struct simdisk *disk, const char *path, unsigned flags,
                         uint64_t *file_out);
enum ks_err simdisk_read(struct simdisk *disk, uint64_t file, uint64_t offset, uint8_t *buf,
                         uint32_t size_bytes, uint32_t *read_bytes_out);
enum ks_err simdisk_write(struct simdisk *disk, uint64_t file, uint64_t offset,
                          const uint8_t *bytes, uint32_t size_bytes);
enum ks_err simdisk_size(struct simdisk *disk, uint64_t file, uint64_t *size_out);
enum ks_err simdisk_truncate(struct simdisk *disk, uint64_t file, uint64_t size_bytes);
enum ks_err simdisk_sync(struct simdisk *disk, uint64_t file);
void simdisk_close(struct simdisk *disk, uint64_t file);
enum ks_err simdisk_rename(struct simdisk *disk, const char *from, const char *to);
enum ks_err simdisk_delete(struct simdisk *disk, const char *path);
enum ks_err simdisk_mkdir(struct simdisk *disk, const char *path);
enum ks_err simdisk_list(struct simdisk *disk, const char *path, env_dir_entry_fn fn,
                         void *ctx);
enum ks_err simdisk_dir_sync(struct simdisk *disk, const char *path);

/* Power loss: see the model above. Returns the number of pending operations that
 * were dropped or torn (for the trace). */
uint64_t simdisk_crash(struct simdisk *disk);

/* Process exit: close every handle, keep the page cache. */
void simdisk_close_all(struct simdisk *disk);

/* Walk the durable state (what a crash right now could at least keep), in name order,
 * depth first: directories before their contents. For --dump-disks and tests. */
typedef void (*simdisk_walk_fn)(void *ctx, const char *path, bool is_dir, const uint8_t *bytes,
                                uint64_t size_bytes);
void simdisk_walk_durable(const struct simdisk *disk, simdisk_walk_fn fn, void *ctx);

/* Bytes held (cache and durable), for limits and reports. */
uint64_t simdisk_used_bytes(const struct simdisk *disk);

#endif
