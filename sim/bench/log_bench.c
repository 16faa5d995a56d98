/*
 * log_bench.c: the partition log's benchmark (issue 3, item 10), run by ci/bench.d/log
 * (never by ci/test). Through the POSIX environment on the real filesystem:
 *  1. append throughput: 1 KiB records in 16 KiB batches appended as a leader (CRC
 *     check, validation, re-stamping, index upkeep), segments of SEGMENT_BYTES rolled
 *     and fsynced at each roll, a final flush; against posix_bench_plain_write of the
 *     same bytes in the same run (write(2) of each batch, fsync every SEGMENT_BYTES);
 *     over several rounds, each on a fresh log, the order of the two alternating from
 *     round to round; the medians are printed, and the ratio's range over the rounds;
 *  2. offset and timestamp lookups: random offsets (the segment, then the offset index
 *     and a short scan) and random timestamps (ListOffsets), in ns per lookup;
 *  3. recovery scan speed: the log closed, then reopened as after a crash with no
 *     recovery point, so every segment is read and CRC-checked from the page cache;
 *     by the wall clock (the target) and by the process's CPU time, which a machine
 *     shared with other work stretches less (recovery_scan_cpu_gb_s).
 * Prints one JSON object. Usage: log_bench [--dir DIR] [--mib N] [--rounds R]
 * (default: a fresh directory under the current one, 512 MiB, 5 rounds).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../system/log/plog.h"
#include "../../system/log/rb.h"
#include "../../system/posix/env_posix.h"

#define BENCH_RECORD_VALUE_BYTES 1000u /* with key and framing about 1 KiB a record */
#define BENCH_RECORDS_PER_BATCH 15u    /* about 16 KiB a batch */
#define BENCH_SEGMENT_BYTES (128u << 20)
#define BENCH_LOOKUPS 200000u
#define BENCH_MIB_DEFAULT 512u
#define BENCH_ROUNDS_DEFAULT 5u
#define BENCH_ROUNDS_MAX 31u
#define BENCH_TIMESTAMP_BASE 1767225600000ll

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CPU time of this process (user and system), for figures a busy machine blurs. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint8_t *bench_batch(uint32_t *size_out)
{
    static uint8_t value[BENCH_RECORD_VALUE_BYTES];
    memset(value, 'v', sizeof(value));
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    for (uint32_t i = 0; i < BENCH_RECORDS_PER_BATCH; i++) {
        char key[16];
        int n = snprintf(key, sizeof(key), "key-%05u", i);
        struct rb_record_input r = {.timestamp = BENCH_TIMESTAMP_BASE,
                                    .key = (const uint8_t *)key,
                                    .key_size = (uint32_t)n,
                                    .value = value,
                                    .value_size = sizeof(value)};
        KS_ASSERT(rb_builder_append(&b, &r) == KS_OK);
    }
    uint8_t *bytes = NULL;
    KS_ASSERT(rb_builder_finish(&b, &bytes, size_out) == KS_OK);
    rb_builder_release(&b);
    return bytes;
}

static const struct plog_open_args bench_args = {
    .topic = "bench",
    .partition = 0,
    .recovery_point = -1,
    .log_start_offset = -1,
    .high_watermark = -1,
    .cleaner_checkpoint = -1,
};

static void bench_config(struct plog_config *c)
{
    plog_config_default(c);
    c->segment_bytes = BENCH_SEGMENT_BYTES;
    c->retention_ms = -1;
}

/* Appends batch count times, each a fresh copy stamped with its own timestamp (one ms
 * per batch: the producer's work, timed apart and left out), then flushes. Returns the
 * ns the log took. */
static uint64_t bench_append(struct plog *log, const uint8_t *batch, uint32_t size, uint64_t count)
{
    uint8_t *copy = malloc(size);
    uint64_t producer_ns = 0;
    uint64_t start = now_ns();
    for (uint64_t i = 0; i < count; i++) {
        uint64_t t0 = now_ns();
        memcpy(copy, batch, size);
        ks_be64_store(copy + 27, (uint64_t)(BENCH_TIMESTAMP_BASE + (int64_t)i));
        ks_be64_store(copy + 35, (uint64_t)(BENCH_TIMESTAMP_BASE + (int64_t)i));
        KS_ASSERT(rb_crc_update(copy, size) == KS_OK);
        producer_ns += now_ns() - t0;
        struct plog_append_info info;
        KS_ASSERT(plog_append_leader(log, copy, size, 0, &info) == KS_OK);
    }
    KS_ASSERT(plog_flush(log) == KS_OK);
    uint64_t ns = now_ns() - start - producer_ns;
    free(copy);
    return ns;
}

static uint64_t bench_offset_lookups(struct plog *log, uint64_t *x)
{
    int64_t end = plog_log_end_offset(log);
    uint64_t start = now_ns();
    for (uint32_t i = 0; i < BENCH_LOOKUPS; i++) {
        *x = *x * 6364136223846793005ull + 1442695040888963407ull;
        int64_t offset = (int64_t)((*x >> 11) % (uint64_t)end);
        struct seg *seg = log->segments[plog_segment_floor(log, offset)];
        struct seg_batch b;
        KS_ASSERT(seg_translate(seg, offset, &b) == KS_OK);
        KS_ASSERT(b.base_offset <= offset && offset <= b.last_offset);
    }
    return (now_ns() - start) / BENCH_LOOKUPS;
}

static uint64_t bench_timestamp_lookups(struct plog *log, uint64_t *x, uint64_t count)
{
    uint64_t start = now_ns();
    for (uint32_t i = 0; i < BENCH_LOOKUPS / 10; i++) {
        *x = *x * 6364136223846793005ull + 1442695040888963407ull;
        struct seg_timestamp_offset out;
        KS_ASSERT(plog_offset_for_timestamp(
                      log, BENCH_TIMESTAMP_BASE + (int64_t)((*x >> 11) % count), &out) == KS_OK);
    }
    return (now_ns() - start) / (BENCH_LOOKUPS / 10);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* One round: a fresh log appended and flushed, and the plain write of the same bytes,
 * in an order that alternates between rounds so that neither always runs second (on
 * a page cache still writing back the other's bytes). Returns the open log. */
static struct plog *bench_round(struct posix_env *penv, uint32_t round, const uint8_t *batch,
                                uint32_t size, uint64_t count, uint64_t *append_ns,
                                uint64_t *plain_ns)
{
    struct env *env = posix_env_base(penv);
    char dir[32];
    snprintf(dir, sizeof(dir), "logs%" PRIu32, round);
    struct plog_config config;
    bench_config(&config);
    struct plog *log = NULL;
    KS_ASSERT(env_dir_create(env, dir) == KS_OK);
    KS_ASSERT(plog_open(env, dir, &bench_args, &config, &log) == KS_OK);
    if (round % 2 == 1)
        KS_ASSERT(posix_bench_plain_write(penv, "plain.bin", batch, size, count * size,
                                          BENCH_SEGMENT_BYTES, plain_ns) == KS_OK);
    *append_ns = bench_append(log, batch, size, count);
    if (round % 2 == 0)
        KS_ASSERT(posix_bench_plain_write(penv, "plain.bin", batch, size, count * size,
                                          BENCH_SEGMENT_BYTES, plain_ns) == KS_OK);
    KS_ASSERT(env_path_delete(env, "plain.bin") == KS_OK);
    return log;
}

static int bench_run(struct posix_env *penv, uint64_t mib, uint32_t rounds)
{
    struct env *env = posix_env_base(penv);
    uint32_t size = 0;
    uint8_t *batch = bench_batch(&size);
    uint64_t count = (mib << 20) / size;
    uint64_t bytes = count * size;
    struct plog_config config;
    bench_config(&config);
    uint64_t append_ns[BENCH_ROUNDS_MAX], plain_ns[BENCH_ROUNDS_MAX], pct_x10[BENCH_ROUNDS_MAX];
    struct plog *log = NULL;
    for (uint32_t r = 0; r < rounds; r++) {
        if (log != NULL)
            KS_ASSERT(plog_close(log) == KS_OK);
        log = bench_round(penv, r, batch, size, count, &append_ns[r], &plain_ns[r]);
        pct_x10[r] = plain_ns[r] * 1000u / append_ns[r];
    }
    uint64_t x = 42;
    uint64_t offset_ns = bench_offset_lookups(log, &x);
    uint64_t timestamp_ns = bench_timestamp_lookups(log, &x, count);
    KS_ASSERT(plog_close(log) == KS_OK);
    char dir[32];
    snprintf(dir, sizeof(dir), "logs%" PRIu32, rounds - 1);
    uint64_t start = now_ns(), start_cpu = cpu_ns();
    KS_ASSERT(plog_open(env, dir, &bench_args, &config, &log) == KS_OK); /* unclean */
    uint64_t recovery_ns = now_ns() - start, recovery_cpu_ns = cpu_ns() - start_cpu;
    KS_ASSERT(plog_log_end_offset(log) == (int64_t)(count * BENCH_RECORDS_PER_BATCH));
    uint32_t segments = log->segment_count;
    KS_ASSERT(plog_close(log) == KS_OK);
    qsort(append_ns, rounds, sizeof(uint64_t), cmp_u64);
    qsort(plain_ns, rounds, sizeof(uint64_t), cmp_u64);
    qsort(pct_x10, rounds, sizeof(uint64_t), cmp_u64);
    double append_mb_s = (double)bytes / 1048576.0 / ((double)append_ns[rounds / 2] / 1e9);
    double plain_mb_s = (double)bytes / 1048576.0 / ((double)plain_ns[rounds / 2] / 1e9);
    printf("{\"bench\":\"log\",\"bytes\":%" PRIu64 ",\"batch_bytes\":%" PRIu32
           ",\"segments\":%" PRIu32 ",\"rounds\":%" PRIu32
           ",\"append_mb_s\":%.1f,\"plain_write_mb_s\":%.1f,"
           "\"append_vs_plain_pct\":%.1f,\"append_vs_plain_pct_min\":%.1f,"
           "\"append_vs_plain_pct_max\":%.1f,\"offset_lookup_ns\":%" PRIu64
           ",\"timestamp_lookup_ns\":%" PRIu64
           ",\"recovery_scan_gb_s\":%.2f,\"recovery_scan_cpu_gb_s\":%.2f}\n",
           bytes, size, segments, rounds, append_mb_s, plain_mb_s,
           (double)pct_x10[rounds / 2] / 10.0, (double)pct_x10[0] / 10.0,
           (double)pct_x10[rounds - 1] / 10.0, offset_ns, timestamp_ns,
           (double)bytes / 1e9 / ((double)recovery_ns / 1e9),
           (double)bytes / 1e9 / ((double)recovery_cpu_ns / 1e9));
    free(batch);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    uint64_t mib = BENCH_MIB_DEFAULT;
    uint32_t rounds = BENCH_ROUNDS_DEFAULT;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
        else if (strcmp(argv[i], "--mib") == 0)
            mib = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--rounds") == 0)
            rounds = (uint32_t)strtoul(argv[i + 1], NULL, 10);
    }
    char made[] = "log_bench.XXXXXX";
    if (dir == NULL && (dir = mkdtemp(made)) == NULL) {
        perror("log_bench: mkdtemp");
        return 2;
    }
    struct posix_loop *loop = posix_loop_create();
    struct posix_env *penv = NULL;
    struct posix_env_options options = {.node_name = "bench", .trace_quiet = true};
    if (loop == NULL || posix_env_create(loop, dir, 1, &options, &penv) != KS_OK) {
        fprintf(stderr, "log_bench: cannot use %s\n", dir);
        return 2;
    }
    if (rounds == 0 || rounds > BENCH_ROUNDS_MAX)
        rounds = BENCH_ROUNDS_DEFAULT;
    int code = bench_run(penv, mib == 0 ? 1 : mib, rounds);
    posix_env_destroy(penv);
    posix_loop_destroy(loop);
    char command[4200];
    snprintf(command, sizeof(command), "rm -rf '%s'", dir);
    if (dir == made && system(command) != 0)
        fprintf(stderr, "log_bench: could not remove %s\n", dir);
    return code;
}
