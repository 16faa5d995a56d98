/*
 * scn_log.c: the `log` node kind, its verbs and its invariants, see scn_log.h.
 *
 * The node (struct lognode) is harness code standing where a broker's LogManager
 * would: it owns one plog, runs retention, the cleaner and the checkpoint writer on
 * their configured intervals, and after every start, retention pass or cleaning it
 * reads the whole log back through the segments (positions, never the indexes) into
 * an audit: every batch's CRC, every record's key and value, and every index entry
 * (in memory and on disk) compared with the batch it points at.
 *
 * Appends come from the `append` verb's producer, a world-level event stream that
 * calls into the running node. Each appended record goes into the node's journal (a
 * ring the checkers read with their own cursors). The checkers keep their own model
 * of every appended record and of the highest recovery point seen (what was fsynced),
 * so the model outlives crashes; after a restart the node's first audit is compared
 * with it, then the model forgets what the crash legitimately took (records above the
 * recovered log end, never fsynced).
 */
#include "scn_log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../system/bugs.h"
#include "../system/log/ckpt.h"
#include "../system/log/logdir.h"
#include "../system/log/plog.h"
#include "../system/log/rb.h"
#include "runner.h"

#define LOGNODE_NS_PER_MS 1000000ull
#define LOGNODE_DIR_DEFAULT "data"
#define LOGNODE_TOPIC_DEFAULT "events"
#define LOGNODE_CKPT_BYTES_MAX (1u << 20)
#define LOGNODE_AUDIT_BATCHES_MAX (1u << 24)
#define LOGNODE_PROBLEM_BYTES_MAX 200u
#define LOGNODE_KEY_BYTES_MAX 32u
#define LOGNODE_NO_KEY UINT32_MAX

/* ---- The node ---------------------------------------------------------------------- */

/* A record as the journal and the audit see it. */
struct lognode_record {
    int64_t offset;
    int64_t timestamp;
    uint32_t key_id; /* LOGNODE_NO_KEY when the key is not ours */
    uint32_t seq;    /* the producer's sequence number in the value */
    bool tombstone;
    bool batch_first;  /* the first record of an appended batch */
    int64_t batch_gap; /* journal: first offset minus the log end before the append */
};

/* What the node read back from its log. */
struct lognode_audit {
    uint64_t generation;
    bool after_start;
    int64_t now_ms;
    int64_t log_start_offset;
    int64_t log_end_offset;
    uint32_t batch_count;
    uint32_t invalid_batch_count;
    uint32_t index_mismatch_count;
    /* A read failed (an injected EIO): what was read is partial, so nothing is judged
     * by it. The log itself goes on (Kafka would take the log dir offline). */
    bool read_failed;
    char problem[LOGNODE_PROBLEM_BYTES_MAX]; /* the first problem found, or "" */
    struct lognode_record *records;
    uint32_t record_count;
    uint32_t record_capacity;
};

struct lognode {
    struct env *env;
    struct logdir *dir; /* the log dir, its checkpoints and marker (logdir.h) */
    struct plog *log;   /* its one log, owned by dir */
    struct plog_config config;
    char log_dir[SEG_PATH_BYTES_MAX];
    char topic[PLOG_TOPIC_BYTES_MAX + 1];
    int32_t partition;
    int64_t retention_check_interval_ms;
    int64_t cleaner_backoff_ms;
    int64_t checkpoint_interval_ms;
    env_timer_id retention_timer;
    env_timer_id cleaner_timer;
    env_timer_id checkpoint_timer;
    struct lognode_record journal[SCN_LOG_JOURNAL_MAX]; /* a ring */
    uint64_t journal_total;                             /* records ever journaled */
    uint64_t append_errors;
    struct lognode_audit audit;
};

static void lognode_problem(struct lognode_audit *a, const char *fmt, ...) KS_PRINTF(2, 3);
static void lognode_problem(struct lognode_audit *a, const char *fmt, ...)
{
    if (a->problem[0] != '\0')
        return;
    va_list args;
    va_start(args, fmt);
    vsnprintf(a->problem, sizeof(a->problem), fmt, args);
    va_end(args);
}

/* "key-<n>" and "v<seq>|..." as the producer writes them. */
static void lognode_record_parse(const struct rb_record *r, struct lognode_record *out)
{
    memset(out, 0, sizeof(*out));
    out->offset = r->offset;
    out->timestamp = r->timestamp;
    out->key_id = LOGNODE_NO_KEY;
    out->tombstone = r->value == NULL;
    char text[LOGNODE_KEY_BYTES_MAX];
    if (r->key != NULL && r->key_size > 4 && r->key_size < sizeof(text)) {
        memcpy(text, r->key, r->key_size);
        text[r->key_size] = '\0';
        unsigned id = 0;
        if (sscanf(text, "key-%u", &id) == 1)
            out->key_id = id;
    }
    if (r->value != NULL && r->value_size > 1 && r->value[0] == 'v') {
        uint32_t n = r->value_size < sizeof(text) - 1 ? r->value_size : (uint32_t)sizeof(text) - 1;
        memcpy(text, r->value, n);
        text[n] = '\0';
        unsigned seq = 0;
        if (sscanf(text, "v%u|", &seq) == 1)
            out->seq = seq;
    }
}

static void lognode_audit_add(struct lognode_audit *a, const struct lognode_record *r)
{
    if (a->record_count == a->record_capacity) {
        KS_ASSERT(a->record_capacity < SCN_LOG_MODEL_RECORDS_MAX);
        a->record_capacity = a->record_capacity == 0 ? 1024 : a->record_capacity * 2;
        a->records = ks_realloc(a->records, a->record_capacity * sizeof(a->records[0]));
    }
    a->records[a->record_count++] = *r;
}

/* Decodes one batch of the log into the audit. */
static void lognode_audit_batch(struct lognode_audit *a, const uint8_t *bytes, uint32_t size,
                                const struct rb_scan *scan)
{
    a->batch_count++;
    if (!scan->crc_valid) {
        a->invalid_batch_count++;
        lognode_problem(a, "batch at offset %" PRId64 " has a bad CRC", scan->base_offset);
        return;
    }
    struct rb_batch batch;
    enum ks_err err = rb_decode(bytes, size, &batch);
    if (err != KS_OK) {
        a->invalid_batch_count++;
        lognode_problem(a, "batch at offset %" PRId64 " does not decode: %s", scan->base_offset,
                        ks_err_name(err));
        return;
    }
    struct rb_iter it;
    struct rb_record r;
    rb_iter_init(&it, &batch);
    for (int32_t i = 0; i <= batch.header.records_count && rb_iter_next(&it, &r); i++) {
        struct lognode_record rec;
        lognode_record_parse(&r, &rec);
        lognode_audit_add(a, &rec);
    }
    rb_batch_release(&batch);
}

/* Each index entry of seg (in memory, and the same bytes on disk) names a batch. */
static void lognode_audit_indexes(struct lognode_audit *a, struct env *env, struct seg *seg,
                                  const struct seg_batch *batches, uint32_t batch_count)
{
    for (uint32_t i = 0; i < seg->offset_count; i++) {
        const struct seg_offset_entry *e = &seg->offsets[i];
        uint32_t j = 0;
        while (j < batch_count && batches[j].position != e->position)
            j++;
        uint8_t disk[SEG_OFFSET_ENTRY_BYTES];
        uint32_t got = 0;
        bool disk_ok = env_file_read(env, seg->index_file, (uint64_t)i * SEG_OFFSET_ENTRY_BYTES,
                                     disk, sizeof(disk), &got) == KS_OK &&
                       got == sizeof(disk) &&
                       (int64_t)(int32_t)ks_be32_load(disk) == e->offset - seg->base_offset &&
                       ks_be32_load(disk + 4) == e->position;
        if (j == batch_count || batches[j].last_offset != e->offset || !disk_ok) {
            a->index_mismatch_count++;
            lognode_problem(a,
                            "segment %" PRId64 ": offset index entry (%" PRId64 ", %" PRIu32 ") %s",
                            seg->base_offset, e->offset, e->position,
                            disk_ok ? "does not name a batch ending there" : "differs on disk");
        }
    }
    for (uint32_t i = 0; i < seg->time_count; i++) {
        const struct seg_time_entry *e = &seg->times[i];
        uint32_t j = 0;
        while (j < batch_count && batches[j].last_offset != e->offset)
            j++;
        if (j == batch_count || batches[j].max_timestamp != e->timestamp) {
            a->index_mismatch_count++;
            lognode_problem(a,
                            "segment %" PRId64 ": time index entry (%" PRId64 ", %" PRId64 ") "
                            "does not match a batch",
                            seg->base_offset, e->timestamp, e->offset);
        }
    }
}

/* Walks one segment by position, every batch read whole. */
static enum ks_err lognode_audit_segment(struct lognode *n, struct seg *seg, uint8_t **buf,
                                         uint32_t *capacity)
{
    struct lognode_audit *a = &n->audit;
    struct seg_batch *batches = NULL;
    uint32_t batch_count = 0, position = 0;
    enum ks_err err = KS_OK;
    for (uint32_t i = 0; i < LOGNODE_AUDIT_BATCHES_MAX && position < seg->size_bytes; i++) {
        uint8_t head[RB_HEADER_SIZE];
        if (seg->size_bytes - position < RB_HEADER_SIZE ||
            (err = seg_read_at(seg, position, head, RB_HEADER_SIZE)) != KS_OK) {
            lognode_problem(a, "segment %" PRId64 " ends in a partial batch", seg->base_offset);
            break;
        }
        struct rb_scan scan;
        uint32_t size = ks_be32_load(head + 8) + RB_LOG_OVERHEAD;
        if (size < RB_HEADER_SIZE || size > seg->size_bytes - position) {
            a->invalid_batch_count++;
            lognode_problem(a, "segment %" PRId64 ": no batch at position %" PRIu32,
                            seg->base_offset, position);
            break;
        }
        if (size > *capacity) {
            *buf = ks_realloc(*buf, size);
            *capacity = size;
        }
        if ((err = seg_read_at(seg, position, *buf, size)) != KS_OK)
            break;
        if (rb_scan(*buf, size, &scan) != KS_OK) {
            a->invalid_batch_count++;
            lognode_problem(a, "segment %" PRId64 ": bad batch at %" PRIu32, seg->base_offset,
                            position);
            break;
        }
        lognode_audit_batch(a, *buf, size, &scan);
        batches = ks_realloc(batches, (batch_count + 1) * sizeof(batches[0]));
        batches[batch_count++] = (struct seg_batch){.position = position,
                                                    .size_bytes = size,
                                                    .base_offset = scan.base_offset,
                                                    .last_offset = scan.last_offset,
                                                    .max_timestamp = scan.header.max_timestamp};
        position += size;
    }
    if (err == KS_OK)
        lognode_audit_indexes(a, n->env, seg, batches, batch_count);
    free(batches);
    return err;
}

/* Reads the whole log back: see the file header. */
static void lognode_audit_run(struct lognode *n, bool after_start, int64_t now_ms)
{
    struct lognode_audit *a = &n->audit;
    KS_ASSERT(n->log != NULL);
    a->generation++;
    a->after_start = after_start;
    a->now_ms = now_ms;
    a->log_start_offset = n->log->log_start_offset;
    a->log_end_offset = plog_log_end_offset(n->log);
    a->batch_count = 0;
    a->invalid_batch_count = 0;
    a->index_mismatch_count = 0;
    a->read_failed = false;
    a->problem[0] = '\0';
    a->record_count = 0;
    uint8_t *buf = NULL;
    uint32_t capacity = 0;
    for (uint32_t i = 0; i < n->log->segment_count; i++) {
        if (lognode_audit_segment(n, n->log->segments[i], &buf, &capacity) != KS_OK) {
            lognode_problem(a, "the audit could not read segment %" PRIu32, i);
            a->read_failed = true;
            break;
        }
    }
    free(buf);
    env_tracef(n->env, "log.audit",
               "gen=%" PRIu64 " start=%" PRId64 " end=%" PRId64 " batches=%" PRIu32
               " records=%" PRIu32 " invalid=%" PRIu32 " index_mismatches=%" PRIu32,
               a->generation, a->log_start_offset, a->log_end_offset, a->batch_count,
               a->record_count, a->invalid_batch_count, a->index_mismatch_count);
}

/* ---- Schedules ------------------------------------------------------------------------ */

static void lognode_retention_fire(void *ctx);
static void lognode_cleaner_fire(void *ctx);
static void lognode_checkpoint_fire(void *ctx);

static env_timer_id lognode_timer(struct lognode *n, int64_t ms, env_timer_fn fn)
{
    KS_ASSERT(ms > 0);
    return env_timer_start(n->env, (uint64_t)ms * LOGNODE_NS_PER_MS, fn, n);
}

/* LogManager's retention pass (checkpoints follow), then an audit when segments went. */
static void lognode_retention_run(struct lognode *n)
{
    if (n->log == NULL || n->log->offline)
        return;
    int64_t now_ms = env_wall_ms(n->env);
    uint32_t deleted = 0;
    enum ks_err err = logdir_retention(n->dir, now_ms, &deleted);
    env_tracef(n->env, "log.retention", "deleted=%" PRIu32 " err=%s log_start=%" PRId64, deleted,
               ks_err_name(err), n->log->log_start_offset);
    if (err == KS_OK && deleted > 0)
        lognode_audit_run(n, false, now_ms);
}

/* One cleaner pass (LogCleaner after its backoff), then an audit when it cleaned. */
static void lognode_clean_run(struct lognode *n)
{
    if (n->log == NULL || n->log->offline)
        return;
    int64_t now_ms = env_wall_ms(n->env);
    uint32_t cleaned = 0;
    enum ks_err err = logdir_clean(n->dir, now_ms, &cleaned);
    env_tracef(n->env, "log.clean", "cleaned=%" PRIu32 " err=%s", cleaned, ks_err_name(err));
    if (err == KS_OK && cleaned > 0)
        lognode_audit_run(n, false, now_ms);
}

static void lognode_retention_fire(void *ctx)
{
    struct lognode *n = ctx;
    n->retention_timer = lognode_timer(n, n->retention_check_interval_ms, lognode_retention_fire);
    lognode_retention_run(n);
}

static void lognode_cleaner_fire(void *ctx)
{
    struct lognode *n = ctx;
    n->cleaner_timer = lognode_timer(n, n->cleaner_backoff_ms, lognode_cleaner_fire);
    lognode_clean_run(n);
}

static void lognode_checkpoint_fire(void *ctx)
{
    struct lognode *n = ctx;
    n->checkpoint_timer = lognode_timer(n, n->checkpoint_interval_ms, lognode_checkpoint_fire);
    if (n->log != NULL && !n->log->offline && logdir_checkpoint(n->dir) != KS_OK)
        env_logf(n->env, ENV_LOG_WARN, "the checkpoints could not be written");
}

/* ---- Start, stop ---------------------------------------------------------------------- */

static bool lognode_config(struct lognode *n, const struct props *config)
{
    const char *topic = props_get(config, "topic");
    const char *dir = props_get(config, "log.dir");
    snprintf(n->topic, sizeof(n->topic), "%s", topic != NULL ? topic : LOGNODE_TOPIC_DEFAULT);
    snprintf(n->log_dir, sizeof(n->log_dir), "%s", dir != NULL ? dir : LOGNODE_DIR_DEFAULT);
    int64_t partition = 0;
    if (props_get_i64(config, "partition", 0, &partition) != KS_OK || partition < 0 ||
        partition > INT32_MAX)
        return false;
    n->partition = (int32_t)partition;
    if (props_get_i64(config, "log.retention.check.interval.ms", 300000,
                      &n->retention_check_interval_ms) != KS_OK ||
        props_get_i64(config, "log.cleaner.backoff.ms", 15000, &n->cleaner_backoff_ms) != KS_OK ||
        props_get_i64(config, "log.flush.offset.checkpoint.interval.ms", 60000,
                      &n->checkpoint_interval_ms) != KS_OK)
        return false;
    if (n->retention_check_interval_ms <= 0 || n->cleaner_backoff_ms <= 0 ||
        n->checkpoint_interval_ms <= 0)
        return false;
    return plog_config_from_props(config, &n->config) == KS_OK &&
           ckpt_topic_is_legal(n->topic, strlen(n->topic));
}

/* LogManager.loadLogs for our one log: the checkpoints and the marker are logdir's. */
static enum ks_err lognode_open(struct lognode *n)
{
    enum ks_err err = env_dir_create(n->env, n->log_dir);
    if (err == KS_OK)
        err = env_dir_sync(n->env, "");
    if (err != KS_OK && err != KS_ERR_EXISTS)
        return err;
    err = logdir_open(n->env, n->log_dir, &n->config, NULL, NULL, &n->dir);
    if (err == KS_OK)
        err = logdir_get_or_create(n->dir, n->topic, n->partition, &n->config, &n->log);
    if (err != KS_OK)
        return err;
    /* One node, no replicas: everything appended is committed. */
    plog_set_high_watermark(n->log, plog_log_end_offset(n->log));
    env_tracef(n->env, "log.open",
               "clean=%d recovery_point=%" PRId64 " start=%" PRId64 " end=%" PRId64
               " segments=%" PRIu32 " recovered=%" PRIu32 " truncated_bytes=%" PRIu64,
               n->dir->had_clean_shutdown, n->log->recovery_point, n->log->log_start_offset,
               plog_log_end_offset(n->log), n->log->segment_count, n->log->recovered_segment_count,
               n->log->recovered_truncated_bytes);
    return KS_OK;
}

static void *lognode_start(struct env *env, const struct props *config)
{
    struct lognode *n = ks_alloc(sizeof(*n));
    n->env = env;
    if (!lognode_config(n, config)) {
        env_logf(env, ENV_LOG_ERROR, "bad log node configuration");
        free(n);
        return NULL;
    }
    enum ks_err err = lognode_open(n);
    if (err != KS_OK) {
        env_logf(env, ENV_LOG_ERROR, "the log did not open: %s", ks_err_name(err));
        logdir_free(n->dir);
        free(n);
        return NULL;
    }
    lognode_audit_run(n, true, env_wall_ms(env));
    n->retention_timer = lognode_timer(n, n->retention_check_interval_ms, lognode_retention_fire);
    if (n->config.cleanup_policy & PLOG_CLEANUP_COMPACT)
        n->cleaner_timer = lognode_timer(n, n->cleaner_backoff_ms, lognode_cleaner_fire);
    n->checkpoint_timer = lognode_timer(n, n->checkpoint_interval_ms, lognode_checkpoint_fire);
    return n;
}

/* Clean shutdown (LogManager.shutdown): logdir flushes and closes the log, writes the
 * checkpoints with recovery points at the log ends, then the clean-shutdown marker. */
static void lognode_stop(void *node)
{
    struct lognode *n = node;
    KS_ASSERT(n->dir != NULL);
    env_timer_cancel(n->env, n->retention_timer);
    env_timer_cancel(n->env, n->cleaner_timer);
    env_timer_cancel(n->env, n->checkpoint_timer);
    int64_t end = plog_log_end_offset(n->log);
    enum ks_err err = logdir_close(n->dir, 0);
    n->dir = NULL;
    n->log = NULL;
    env_tracef(n->env, "log.stop", "end=%" PRId64 " err=%s", end, ks_err_name(err));
}

static void lognode_destroy(void *node)
{
    struct lognode *n = node;
    logdir_free(n->dir);
    free(n->audit.records);
    free(n);
}

static void lognode_describe(void *node, char *buf, size_t buf_bytes)
{
    const struct lognode *n = node;
    if (n->log == NULL) {
        snprintf(buf, buf_bytes, "log closed");
        return;
    }
    snprintf(buf, buf_bytes,
             "log %s-%" PRId32 " start=%" PRId64 " end=%" PRId64 " recovery_point=%" PRId64
             " segments=%" PRIu32 " bytes=%" PRIu64,
             n->topic, n->partition, n->log->log_start_offset, plog_log_end_offset(n->log),
             n->log->recovery_point, n->log->segment_count, plog_size_bytes(n->log));
}

const struct world_node_type scn_log_node_type = {
    .name = "log",
    .start = lognode_start,
    .stop = lognode_stop,
    .destroy = lognode_destroy,
    .describe = lognode_describe,
};

/* The running log node with world id `node`, or NULL. */
static struct lognode *lognode_of(struct world *world, int node)
{
    if (world_node_type_of(world, node) != &scn_log_node_type)
        return NULL;
    enum world_node_state state = world_node_state_of(world, node);
    if (state != WORLD_NODE_RUNNING && state != WORLD_NODE_PAUSED)
        return NULL;
    struct lognode *n = world_node_impl(world, node);
    return n != NULL && n->log != NULL ? n : NULL;
}

/* ---- append: the producer ----------------------------------------------------------- */

struct append_args {
    uint16_t node;
    uint64_t rate_per_s;
    uint32_t keys;
    uint32_t value_bytes;
    uint32_t batch_records;
    uint32_t tombstone_ppm;
    uint64_t duration_ns;
    uint32_t line;
};

struct producer {
    const struct append_args *args;
    struct runner_exec *exec;
    struct rng rng;
    uint64_t until_ns;
    uint64_t interval_ns;
    uint32_t seq;
    uint8_t *value; /* value_bytes of scratch */
};

/* Builds one batch of the producer's records, stamped with the node's clock. */
static enum ks_err producer_batch(struct producer *p, struct lognode *n, uint8_t **bytes_out,
                                  uint32_t *size_out, uint32_t *keys, uint32_t *seqs, bool *dead)
{
    const struct append_args *a = p->args;
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    int64_t now_ms = env_wall_ms(n->env);
    enum ks_err err = KS_OK;
    for (uint32_t i = 0; err == KS_OK && i < a->batch_records; i++) {
        char key[LOGNODE_KEY_BYTES_MAX];
        keys[i] = (uint32_t)rng_below(&p->rng, a->keys);
        seqs[i] = ++p->seq;
        dead[i] = a->tombstone_ppm > 0 && rng_chance_ppm(&p->rng, a->tombstone_ppm);
        int key_size = snprintf(key, sizeof(key), "key-%" PRIu32, keys[i]);
        int head = snprintf((char *)p->value, a->value_bytes, "v%" PRIu32 "|", seqs[i]);
        KS_ASSERT(key_size > 0 && head > 0);
        struct rb_record_input r = {.timestamp = now_ms,
                                    .key = (const uint8_t *)key,
                                    .key_size = (uint32_t)key_size,
                                    .value = dead[i] ? NULL : p->value,
                                    .value_size = dead[i] ? 0 : a->value_bytes};
        err = rb_builder_append(&b, &r);
    }
    if (err == KS_OK)
        err = rb_builder_finish(&b, bytes_out, size_out);
    rb_builder_release(&b);
    return err;
}

static void producer_journal(struct lognode *n, const struct plog_append_info *info,
                             int64_t end_before, const uint32_t *keys, const uint32_t *seqs,
                             const bool *dead)
{
    uint32_t count = (uint32_t)(info->last_offset - info->first_offset + 1);
    for (uint32_t i = 0; i < count; i++) {
        struct lognode_record *r = &n->journal[n->journal_total % SCN_LOG_JOURNAL_MAX];
        memset(r, 0, sizeof(*r));
        r->offset = info->first_offset + i;
        r->timestamp = info->max_timestamp;
        r->key_id = keys[i];
        r->seq = seqs[i];
        r->tombstone = dead[i];
        r->batch_first = i == 0;
        r->batch_gap = i == 0 ? info->first_offset - end_before : 0;
        n->journal_total++;
    }
}

static void producer_tick(void *ctx, uint64_t arg);

static void producer_schedule(struct producer *p, struct world *world, uint64_t at_ns)
{
    world_at(world, at_ns, producer_tick, p, 0);
}

static void producer_tick(void *ctx, uint64_t arg)
{
    struct producer *p = ctx;
    (void)arg;
    struct world *world = runner_exec_world(p->exec);
    struct lognode *n = lognode_of(world, p->args->node);
    uint64_t now = world_now_ns(world);
    if (now + p->interval_ns < p->until_ns)
        producer_schedule(p, world, now + p->interval_ns);
    if (n == NULL || world_node_state_of(world, p->args->node) != WORLD_NODE_RUNNING)
        return;
    uint32_t keys[SCN_LOG_BATCH_RECORDS_MAX], seqs[SCN_LOG_BATCH_RECORDS_MAX];
    bool dead[SCN_LOG_BATCH_RECORDS_MAX];
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    enum ks_err err = producer_batch(p, n, &bytes, &size, keys, seqs, dead);
    KS_ASSERT(err == KS_OK); /* our own records, within limits */
    int64_t end_before = plog_log_end_offset(n->log);
    struct plog_append_info info;
    err = plog_append_leader(n->log, bytes, size, 0, &info);
    free(bytes);
    if (err != KS_OK) {
        n->append_errors++;
        world_tracef(world, p->args->node, "log.append_error", "%s", ks_err_name(err));
        return;
    }
    producer_journal(n, &info, end_before, keys, seqs, dead);
    plog_set_high_watermark(n->log, plog_log_end_offset(n->log));
}

static void append_exec(struct runner_exec *x, const void *args)
{
    const struct append_args *a = args;
    struct world *world = runner_exec_world(x);
    struct producer *p = runner_exec_alloc(x, sizeof(*p));
    p->value = runner_exec_alloc(x, a->value_bytes + 1);
    memset(p->value, 'x', a->value_bytes);
    p->args = a;
    p->exec = x;
    char name[64];
    snprintf(name, sizeof(name), "scn/log/append/line-%" PRIu32, a->line);
    rng_derive(&p->rng, world_seed(world), name);
    uint64_t now = world_now_ns(world);
    p->until_ns = now + a->duration_ns;
    p->interval_ns = (uint64_t)a->batch_records * 1000000000ull / a->rate_per_s;
    p->interval_ns = p->interval_ns == 0 ? 1 : p->interval_ns;
    producer_schedule(p, world, now);
}

/* rate=N/s */
static bool append_rate_parse(struct scn_parser *p, const struct scn_token *value, uint64_t *out)
{
    char digits[32];
    if (value->len < 3 || value->len >= sizeof(digits) ||
        strcmp(value->text + value->len - 2, "/s") != 0)
        return scn_fail(p, value, "expected a rate such as 200/s, found '%s'", value->text);
    memcpy(digits, value->text, value->len - 2);
    digits[value->len - 2] = '\0';
    struct scn_token t = {.text = digits, .len = value->len - 2, .col = value->col};
    if (!scn_token_u64(p, &t, 1000000, out))
        return false;
    return *out > 0 || scn_fail(p, value, "the rate must be above 0");
}

static bool append_option_parse(struct scn_parser *p, struct append_args *a)
{
    struct scn_token key, value;
    uint64_t v = 0;
    if (!scn_kv(p, "an option (rate=, keys=, value.bytes=, batch=, tombstones=)", &key, &value))
        return false;
    if (strcmp(key.text, "rate") == 0)
        return append_rate_parse(p, &value, &a->rate_per_s);
    bool ok = true;
    if (strcmp(key.text, "keys") == 0 && (ok = scn_token_u64(p, &value, SCN_LOG_KEYS_MAX, &v)))
        a->keys = (uint32_t)v;
    else if (strcmp(key.text, "value.bytes") == 0 &&
             (ok = scn_token_u64(p, &value, SCN_LOG_VALUE_BYTES_MAX, &v)))
        a->value_bytes = (uint32_t)v;
    else if (strcmp(key.text, "batch") == 0 &&
             (ok = scn_token_u64(p, &value, SCN_LOG_BATCH_RECORDS_MAX, &v)))
        a->batch_records = (uint32_t)v;
    else if (strcmp(key.text, "tombstones") == 0 && (ok = scn_token_u64(p, &value, 1000000, &v)))
        a->tombstone_ppm = (uint32_t)v;
    else if (ok)
        return scn_fail(p, &key,
                        "unknown option '%s' (options: rate, keys, value.bytes, batch, tombstones)",
                        key.text);
    return ok;
}

static bool log_node_parse(struct scn_parser *p, uint16_t *node_out)
{
    struct scn_token t;
    if (!scn_peek(p, &t) || !scn_node(p, node_out))
        return false;
    const struct scn_node *node = scn_parser_script(p)->nodes[*node_out];
    if (node->kind->type != &scn_log_node_type)
        return scn_fail(p, &t, "'%s' is not a log node (type=log)", node->name);
    return true;
}

static bool append_parse(struct scn_parser *p, void **args_out)
{
    struct append_args *a = ks_alloc(sizeof(*a));
    *args_out = a;
    a->keys = 100;
    a->value_bytes = 100;
    a->batch_records = 10;
    a->line = scn_parser_line(p);
    if (!log_node_parse(p, &a->node))
        return false;
    struct scn_token t;
    for (uint32_t i = 0; i < SCN_LINE_TOKENS_MAX && scn_peek(p, &t) && strcmp(t.text, "for") != 0;
         i++) {
        if (!append_option_parse(p, a))
            return false;
    }
    if (a->rate_per_s == 0)
        return scn_fail(p, NULL, "append needs rate=N/s");
    if (a->keys == 0 || a->batch_records == 0 || a->value_bytes < LOGNODE_KEY_BYTES_MAX / 2)
        return scn_fail(p, NULL, "keys and batch must be above 0, value.bytes at least %u",
                        LOGNODE_KEY_BYTES_MAX / 2);
    if (!scn_expect_word(p, "for") || !scn_peek(p, &t) ||
        !scn_duration(p, "how long, such as 10s", &a->duration_ns))
        return false;
    if (a->duration_ns == 0)
        return scn_fail(p, &t, "the load must last longer than 0");
    return scn_end(p);
}

/* ---- retention, clean, flush, roll, corrupt ------------------------------------------- */

static bool node_only_parse(struct scn_parser *p, void **args_out)
{
    uint16_t *node = ks_alloc(sizeof(*node));
    *args_out = node;
    return log_node_parse(p, node) && scn_end(p);
}

enum now_verb { NOW_RETENTION, NOW_CLEAN, NOW_FLUSH, NOW_ROLL };

static void now_apply(struct runner_exec *x, const void *args, enum now_verb verb)
{
    const uint16_t *node = args;
    struct world *world = runner_exec_world(x);
    struct lognode *n = lognode_of(world, *node);
    if (n == NULL || world_node_state_of(world, *node) != WORLD_NODE_RUNNING) {
        world_tracef(world, *node, "scn.skip", "%s: the log node is not running",
                     runner_exec_action(x)->text);
        return;
    }
    enum ks_err err = KS_OK;
    if (verb == NOW_RETENTION)
        lognode_retention_run(n);
    else if (verb == NOW_CLEAN)
        lognode_clean_run(n);
    else if (verb == NOW_FLUSH)
        err = plog_flush(n->log);
    else
        err = plog_roll(n->log);
    if (err != KS_OK)
        world_tracef(world, *node, "log.error", "%s: %s", runner_exec_action(x)->text,
                     ks_err_name(err));
}

static void retention_exec(struct runner_exec *x, const void *args)
{
    now_apply(x, args, NOW_RETENTION);
}
static void clean_exec(struct runner_exec *x, const void *args)
{
    now_apply(x, args, NOW_CLEAN);
}
static void flush_exec(struct runner_exec *x, const void *args)
{
    now_apply(x, args, NOW_FLUSH);
}
static void roll_exec(struct runner_exec *x, const void *args)
{
    now_apply(x, args, NOW_ROLL);
}

/* corrupt: media corruption of the newest batch, on a node that is down. */
struct corrupt_find {
    char last_log[SEG_PATH_BYTES_MAX];
};

static void corrupt_list(void *ctx, const char *name, bool is_dir)
{
    struct corrupt_find *f = ctx;
    int64_t base = 0;
    if (!is_dir && seg_parse_log_name(name, &base))
        snprintf(f->last_log, sizeof(f->last_log), "%s", name);
}

/* The recovery point in the durable checkpoint (-1 when none). */
static int64_t corrupt_recovery_point(struct simdisk *disk, const char *log_dir, const char *topic,
                                      int32_t partition)
{
    char path[SEG_PATH_BYTES_MAX];
    snprintf(path, sizeof(path), "%s/%s", log_dir, LOGDIR_RECOVERY_POINT);
    uint64_t file = 0;
    if (simdisk_open(disk, path, 0, &file) != KS_OK)
        return -1;
    uint8_t *text = ks_alloc(LOGNODE_CKPT_BYTES_MAX);
    uint32_t size = 0;
    enum ks_err err = simdisk_read(disk, file, 0, text, LOGNODE_CKPT_BYTES_MAX, &size);
    simdisk_close(disk, file);
    struct ckpt_offset_entry *entries = NULL;
    uint32_t count = 0;
    int64_t offset = -1;
    if (err == KS_OK && ckpt_offsets_parse(text, size, &entries, &count) == KS_OK) {
        for (uint32_t i = 0; i < count; i++) {
            if (strcmp(entries[i].topic, topic) == 0 && entries[i].partition == partition)
                offset = entries[i].offset;
        }
    }
    free(entries);
    free(text);
    return offset;
}

/* The position and base offset of the last whole batch of file, or false. */
static bool corrupt_last_batch(struct simdisk *disk, uint64_t file, uint32_t *position_out,
                               int64_t *base_out, uint32_t *size_out)
{
    uint64_t size = 0;
    if (simdisk_size(disk, file, &size) != KS_OK)
        return false;
    uint64_t position = 0;
    bool found = false;
    for (uint32_t i = 0; i < LOGNODE_AUDIT_BATCHES_MAX && position + RB_HEADER_SIZE <= size; i++) {
        uint8_t head[RB_HEADER_SIZE];
        uint32_t got = 0;
        if (simdisk_read(disk, file, position, head, sizeof(head), &got) != KS_OK ||
            got < sizeof(head))
            break;
        uint32_t batch = ks_be32_load(head + 8) + RB_LOG_OVERHEAD;
        if (batch < RB_HEADER_SIZE || position + batch > size)
            break;
        *position_out = (uint32_t)position;
        *base_out = (int64_t)ks_be64_load(head);
        *size_out = batch;
        found = true;
        position += batch;
    }
    return found;
}

static void corrupt_exec(struct runner_exec *x, const void *args)
{
    const uint16_t *node = args;
    struct world *world = runner_exec_world(x);
    enum world_node_state state = world_node_state_of(world, *node);
    if (state == WORLD_NODE_RUNNING || state == WORLD_NODE_PAUSED) {
        world_tracef(world, *node, "scn.skip", "corrupt: the node is running");
        return;
    }
    const struct props *config = &runner_exec_script(x)->nodes[*node]->config;
    const char *topic = props_get(config, "topic");
    const char *log_dir = props_get(config, "log.dir");
    topic = topic != NULL ? topic : LOGNODE_TOPIC_DEFAULT;
    log_dir = log_dir != NULL ? log_dir : LOGNODE_DIR_DEFAULT;
    int64_t partition = 0;
    if (props_get_i64(config, "partition", 0, &partition) != KS_OK)
        partition = 0;
    struct simdisk *disk = world_node_disk(world, *node);
    char dir[SEG_PATH_BYTES_MAX], path[SEG_PATH_BYTES_MAX * 2];
    snprintf(dir, sizeof(dir), "%s/%s-%" PRId64, log_dir, topic, partition);
    struct corrupt_find f = {.last_log = ""};
    uint64_t file = 0;
    uint32_t position = 0, size = 0;
    int64_t base = 0;
    int64_t rp = corrupt_recovery_point(disk, log_dir, topic, (int32_t)partition);
    if (simdisk_list(disk, dir, corrupt_list, &f) != KS_OK || f.last_log[0] == '\0' ||
        snprintf(path, sizeof(path), "%s/%s", dir, f.last_log) <= 0 ||
        simdisk_open(disk, path, 0, &file) != KS_OK) {
        world_tracef(world, *node, "scn.skip", "corrupt: no segment");
        return;
    }
    bool found = corrupt_last_batch(disk, file, &position, &base, &size);
    if (found && base >= rp) {
        uint8_t byte = 0;
        uint32_t got = 0;
        uint32_t at = position + size - 1; /* the last byte: inside the CRC's range */
        if (simdisk_read(disk, file, at, &byte, 1, &got) == KS_OK && got == 1) {
            byte ^= 0x01;
            if (simdisk_write(disk, file, at, &byte, 1) == KS_OK)
                (void)simdisk_sync(disk, file);
        }
        world_tracef(world, *node, "fault.corrupt",
                     "%s: flipped a bit of the batch at offset %" PRId64 " (position %" PRIu32 ")",
                     path, base, position);
    } else {
        world_tracef(world, *node, "scn.skip",
                     "corrupt: the last batch is below the recovery point %" PRId64, rp);
    }
    simdisk_close(disk, file);
    runner_exec_disturbed(x);
}

/* ---- The checkers' model ------------------------------------------------------------- */

enum log_inv {
    LOG_INV_NO_FSYNCED_LOSS,
    LOG_INV_OFFSETS_CONTIGUOUS,
    LOG_INV_LATEST_VALUE,
    LOG_INV_INDEXES,
    LOG_INV_BATCHES_VALID,
    LOG_INV_RETENTION,
};

struct model_node {
    uint32_t incarnation;
    uint64_t journal_seen;
    uint64_t audit_seen;
    int64_t durable_end; /* the highest recovery point seen: below it, everything is fsynced */
    /* The latest time the node's clock has shown an audit: a pass may have deleted by
     * a clock that has since jumped back, as Kafka's wall clock would let it. */
    int64_t clock_high_ms;
    struct lognode_record *records; /* every appended record still possibly in the log */
    uint32_t record_count;
    uint32_t record_capacity;
};

struct model {
    enum log_inv kind;
    struct model_node nodes[WORLD_NODES_MAX];
};

static void *model_create(enum log_inv kind)
{
    struct model *m = ks_alloc(sizeof(*m));
    m->kind = kind;
    return m;
}

static void model_destroy(void *state)
{
    struct model *m = state;
    for (uint32_t i = 0; i < WORLD_NODES_MAX; i++)
        free(m->nodes[i].records);
    free(m);
}

/* The model's index of offset, or -1 (records are in offset order). */
static int64_t model_find(const struct lognode_record *records, uint32_t count, int64_t offset)
{
    uint32_t lo = 0, hi = count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (records[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < count && records[lo].offset == offset ? (int64_t)lo : -1;
}

static void model_add(struct model_node *mn, const struct lognode_record *r)
{
    if (mn->record_count == mn->record_capacity) {
        KS_ASSERT(mn->record_capacity < SCN_LOG_MODEL_RECORDS_MAX);
        mn->record_capacity = mn->record_capacity == 0 ? 1024 : mn->record_capacity * 2;
        mn->records = ks_realloc(mn->records, mn->record_capacity * sizeof(mn->records[0]));
    }
    mn->records[mn->record_count++] = *r;
}

static bool same_record(const struct lognode_record *a, const struct lognode_record *b)
{
    /* A tombstone carries no value, so no sequence number either. */
    return a->key_id == b->key_id && a->tombstone == b->tombstone &&
           (a->tombstone || a->seq == b->seq);
}

/* log_no_fsynced_loss, on the first audit after a start. */
static void check_fsynced(struct inv_check *c, int node, const struct model_node *mn,
                          const struct lognode *n)
{
    const struct lognode_audit *a = &n->audit;
    if (a->log_end_offset < mn->durable_end) {
        inv_check_report(c, node,
                         "the log ends at %" PRId64 " after restart, but offsets below %" PRId64
                         " were fsynced",
                         a->log_end_offset, mn->durable_end);
        return;
    }
    bool compacted = (n->config.cleanup_policy & PLOG_CLEANUP_COMPACT) != 0;
    for (uint32_t i = 0; i < mn->record_count; i++) {
        const struct lognode_record *r = &mn->records[i];
        if (r->offset < a->log_start_offset || r->offset >= mn->durable_end)
            continue;
        int64_t j = model_find(a->records, a->record_count, r->offset);
        if ((j < 0 && !compacted) || (j >= 0 && !same_record(r, &a->records[j]))) {
            inv_check_report(c, node,
                             "fsynced offset %" PRId64 " (key-%" PRIu32 ") %s after restart",
                             r->offset, r->key_id, j < 0 ? "is gone" : "changed");
            return;
        }
    }
}

static void check_contiguous(struct inv_check *c, int node, const struct lognode *n)
{
    const struct lognode_audit *a = &n->audit;
    bool compacted = (n->config.cleanup_policy & PLOG_CLEANUP_COMPACT) != 0;
    int64_t expected = a->log_start_offset;
    for (uint32_t i = 0; i < a->record_count; i++) {
        int64_t offset = a->records[i].offset;
        bool bad = compacted ? offset < expected : offset != expected;
        if (i == 0 && !compacted && a->records[0].offset < expected)
            bad = false; /* a first segment may begin below the log start */
        if (bad || offset >= a->log_end_offset) {
            inv_check_report(c, node, "offset %" PRId64 " where %s%" PRId64 " was expected", offset,
                             compacted ? "at least " : "", expected);
            return;
        }
        expected = offset + 1;
    }
    if (!compacted && a->record_count > 0 && expected != a->log_end_offset)
        inv_check_report(c, node, "the records end at %" PRId64 " but the log end is %" PRId64,
                         expected, a->log_end_offset);
}

/* The latest model record of each key, as indexes into mn->records (-1: none). */
static void check_latest(struct inv_check *c, int node, const struct model_node *mn,
                         const struct lognode *n)
{
    const struct lognode_audit *a = &n->audit;
    int64_t *latest = malloc(SCN_LOG_KEYS_MAX * sizeof(*latest));
    int64_t *last_seen = malloc(SCN_LOG_KEYS_MAX * sizeof(*last_seen));
    KS_ASSERT(latest != NULL && last_seen != NULL);
    for (uint32_t k = 0; k < SCN_LOG_KEYS_MAX; k++)
        latest[k] = last_seen[k] = -1;
    for (uint32_t i = 0; i < mn->record_count; i++) {
        if (mn->records[i].key_id < SCN_LOG_KEYS_MAX && mn->records[i].offset < a->log_end_offset)
            latest[mn->records[i].key_id] = i;
    }
    for (uint32_t i = 0; i < a->record_count; i++) {
        if (a->records[i].key_id < SCN_LOG_KEYS_MAX)
            last_seen[a->records[i].key_id] = a->records[i].offset;
    }
    for (uint32_t k = 0; k < SCN_LOG_KEYS_MAX; k++) {
        if (latest[k] < 0)
            continue;
        const struct lognode_record *r = &mn->records[latest[k]];
        if (r->offset < a->log_start_offset)
            continue;
        int64_t j = model_find(a->records, a->record_count, r->offset);
        if (j >= 0 && same_record(r, &a->records[j]))
            continue;
        /* The cleaner drops a tombstone once now reaches its horizon (KIP-534: now >=
         * horizon), so one exactly delete.retention.ms old may be gone. */
        bool expired = r->tombstone && mn->clock_high_ms - r->timestamp >= n->config.delete_retention_ms;
        if (expired && last_seen[k] < 0)
            continue; /* a tombstone dropped after delete.retention.ms, with its key */
        inv_check_report(c, node,
                         "key-%" PRIu32 ": its latest %s (offset %" PRId64
                         ") is gone; the log's last record of the key is at %" PRId64,
                         k, r->tombstone ? "tombstone" : "value", r->offset, last_seen[k]);
        break;
    }
    free(latest);
    free(last_seen);
}

static void check_retention(struct inv_check *c, int node, const struct model_node *mn,
                            const struct lognode *n)
{
    const struct lognode_audit *a = &n->audit;
    if (n->config.cleanup_policy != PLOG_CLEANUP_DELETE || n->config.retention_bytes >= 0 ||
        n->config.retention_ms < 0)
        return;
    for (uint32_t i = 0; i < mn->record_count; i++) {
        const struct lognode_record *r = &mn->records[i];
        if (r->offset >= a->log_end_offset || mn->clock_high_ms - r->timestamp > n->config.retention_ms)
            continue;
        if (model_find(a->records, a->record_count, r->offset) < 0) {
            inv_check_report(c, node,
                             "offset %" PRId64 " (timestamp %" PRId64 ", %" PRId64
                             " ms old, retention.ms %" PRId64 ") was deleted",
                             r->offset, r->timestamp, mn->clock_high_ms - r->timestamp,
                             n->config.retention_ms);
            return;
        }
    }
}

/* The checks of one invariant on a new audit. */
static void model_check_audit(struct model *m, struct inv_check *c, int node, struct model_node *mn,
                              const struct lognode *n)
{
    const struct lognode_audit *a = &n->audit;
    if (a->now_ms > mn->clock_high_ms)
        mn->clock_high_ms = a->now_ms;
    if (a->read_failed)
        return; /* a partial read proves nothing either way */
    switch (m->kind) {
    case LOG_INV_NO_FSYNCED_LOSS:
        if (a->after_start)
            check_fsynced(c, node, mn, n);
        break;
    case LOG_INV_OFFSETS_CONTIGUOUS:
        check_contiguous(c, node, n);
        break;
    case LOG_INV_LATEST_VALUE:
        check_latest(c, node, mn, n);
        break;
    case LOG_INV_INDEXES:
        if (a->index_mismatch_count > 0)
            inv_check_report(c, node, "%" PRIu32 " index entries disagree with the log: %s",
                             a->index_mismatch_count, a->problem);
        break;
    case LOG_INV_BATCHES_VALID:
        if (a->invalid_batch_count > 0)
            inv_check_report(c, node, "%" PRIu32 " invalid batches in the log: %s",
                             a->invalid_batch_count, a->problem);
        break;
    case LOG_INV_RETENTION:
        check_retention(c, node, mn, n);
        break;
    }
}

/* After a restart the model forgets what lies at or above the recovered log end. */
static void model_truncate(struct model_node *mn, int64_t log_end_offset)
{
    while (mn->record_count > 0 && mn->records[mn->record_count - 1].offset >= log_end_offset)
        mn->record_count--;
    if (mn->durable_end > log_end_offset)
        mn->durable_end = log_end_offset; /* reported already; keep checking from here */
}

static void model_drain(struct model *m, struct inv_check *c, int node, struct model_node *mn,
                        const struct lognode *n)
{
    uint64_t from = mn->journal_seen;
    if (n->journal_total - from > SCN_LOG_JOURNAL_MAX)
        from = n->journal_total - SCN_LOG_JOURNAL_MAX; /* cannot happen: one batch an event */
    for (uint64_t i = from; i < n->journal_total; i++) {
        const struct lognode_record *r = &n->journal[i % SCN_LOG_JOURNAL_MAX];
        if (m->kind == LOG_INV_OFFSETS_CONTIGUOUS && r->batch_first && r->batch_gap != 0)
            inv_check_report(c, node,
                             "a batch was given offset %" PRId64 ", %" PRId64 " past the log end",
                             r->offset, r->batch_gap);
        if (mn->record_count > 0 && mn->records[mn->record_count - 1].offset >= r->offset) {
            if (m->kind == LOG_INV_OFFSETS_CONTIGUOUS)
                inv_check_report(c, node, "offset %" PRId64 " was given twice", r->offset);
            model_truncate(mn, r->offset);
        }
        model_add(mn, r);
    }
    mn->journal_seen = n->journal_total;
}

static void model_check_event(void *state, struct inv_check *c)
{
    struct model *m = state;
    struct world *world = inv_check_world(c);
    uint32_t count = world_node_count(world);
    KS_ASSERT(count <= WORLD_NODES_MAX);
    for (uint32_t i = 0; i < count; i++) {
        const struct lognode *n = lognode_of(world, (int)i);
        if (n == NULL)
            continue;
        struct model_node *mn = &m->nodes[i];
        uint32_t incarnation = world_node_incarnation(world, (int)i);
        if (incarnation != mn->incarnation) {
            mn->incarnation = incarnation;
            mn->journal_seen = 0;
            mn->audit_seen = 0;
        }
        if (n->audit.generation != mn->audit_seen) {
            mn->audit_seen = n->audit.generation;
            model_check_audit(m, c, (int)i, mn, n);
            if (n->audit.after_start)
                model_truncate(mn, n->audit.log_end_offset);
        }
        model_drain(m, c, (int)i, mn, n);
        if (n->log->recovery_point > mn->durable_end)
            mn->durable_end = n->log->recovery_point;
    }
}

#define LOG_INV_DEF(fn_name, kind)                                                                 \
    static void *fn_name(struct world *world)                                                      \
    {                                                                                              \
        (void)world;                                                                               \
        return model_create(kind);                                                                 \
    }
LOG_INV_DEF(create_no_fsynced_loss, LOG_INV_NO_FSYNCED_LOSS)
LOG_INV_DEF(create_offsets_contiguous, LOG_INV_OFFSETS_CONTIGUOUS)
LOG_INV_DEF(create_latest_value, LOG_INV_LATEST_VALUE)
LOG_INV_DEF(create_indexes, LOG_INV_INDEXES)
LOG_INV_DEF(create_batches_valid, LOG_INV_BATCHES_VALID)
LOG_INV_DEF(create_retention, LOG_INV_RETENTION)

static const struct inv_def inv_log_no_fsynced_loss = {
    "log_no_fsynced_loss",
    "every record below a recovery point the log reached (fsynced) is there, unchanged, after "
    "every restart",
    create_no_fsynced_loss,
    model_destroy,
    model_check_event,
    NULL,
    NULL};
static const struct inv_def inv_log_offsets_contiguous = {
    "log_offsets_contiguous",
    "appends take the log end offset; the log's offsets rise one by one (compaction may leave "
    "gaps)",
    create_offsets_contiguous,
    model_destroy,
    model_check_event,
    NULL,
    NULL};
static const struct inv_def inv_log_latest_value = {
    "log_latest_value_per_key",
    "the latest value of every key stays in the log (a tombstone until delete.retention.ms)",
    create_latest_value,
    model_destroy,
    model_check_event,
    NULL,
    NULL};
static const struct inv_def inv_log_indexes = {
    "log_indexes_consistent",
    "every .index and .timeindex entry, in memory and on disk, names the batch it should",
    create_indexes,
    model_destroy,
    model_check_event,
    NULL,
    NULL};
static const struct inv_def inv_log_batches_valid = {
    "log_recovered_batches_valid",
    "every batch of the log (after recovery, retention and cleaning) passes its CRC",
    create_batches_valid,
    model_destroy,
    model_check_event,
    NULL,
    NULL};
static const struct inv_def inv_log_retention = {
    "log_retention_keeps_unexpired",
    "retention (delete policy, no retention.bytes) never deletes a record younger than "
    "retention.ms",
    create_retention,
    model_destroy,
    model_check_event,
    NULL,
    NULL};

/* ---- Tables -------------------------------------------------------------------------- */

static const struct scn_verb log_verbs[] = {
    {"append",
     "append NODE rate=N/s [keys=K] [value.bytes=B] [batch=M] [tombstones=PPM] for DURATION",
     SCN_VERB_TIMED | SCN_VERB_BARE, append_parse, append_exec, NULL},
    {"retention", "retention NODE", SCN_VERB_TIMED, node_only_parse, retention_exec, NULL},
    {"clean", "clean NODE", SCN_VERB_TIMED, node_only_parse, clean_exec, NULL},
    {"flush", "flush NODE", SCN_VERB_TIMED, node_only_parse, flush_exec, NULL},
    {"roll", "roll NODE", SCN_VERB_TIMED, node_only_parse, roll_exec, NULL},
    {"corrupt", "corrupt NODE", SCN_VERB_TIMED, node_only_parse, corrupt_exec, NULL},
};

#define LOG_PROP_INT(name)                                                                         \
    {                                                                                              \
        name, SCN_PROP_INT, false, INT64_MIN, INT64_MAX                                            \
    }
static const struct scn_prop_spec log_props[] = {
    {"topic", SCN_PROP_STRING, false, 0, 0},
    {"partition", SCN_PROP_INT, false, 0, INT32_MAX},
    {"log.dir", SCN_PROP_STRING, false, 0, 0},
    {"cleanup.policy", SCN_PROP_STRING, false, 0, 0},
    {"min.cleanable.dirty.ratio", SCN_PROP_STRING, false, 0, 0},
    LOG_PROP_INT("segment.bytes"),
    LOG_PROP_INT("segment.ms"),
    LOG_PROP_INT("segment.jitter.ms"),
    LOG_PROP_INT("segment.index.bytes"),
    LOG_PROP_INT("index.interval.bytes"),
    LOG_PROP_INT("flush.messages"),
    LOG_PROP_INT("flush.ms"),
    LOG_PROP_INT("retention.ms"),
    LOG_PROP_INT("retention.bytes"),
    LOG_PROP_INT("file.delete.delay.ms"),
    LOG_PROP_INT("max.message.bytes"),
    LOG_PROP_INT("min.compaction.lag.ms"),
    LOG_PROP_INT("delete.retention.ms"),
    {"log.retention.check.interval.ms", SCN_PROP_INT, false, 1, INT64_MAX},
    {"log.cleaner.backoff.ms", SCN_PROP_INT, false, 1, INT64_MAX},
    {"log.flush.offset.checkpoint.interval.ms", SCN_PROP_INT, false, 1, INT64_MAX},
};

static const struct scn_node_kind log_kinds[] = {
    {"log", &scn_log_node_type,
     "one partition log on one node, without a broker: retention, cleaner and checkpoints on "
     "their intervals",
     log_props, KS_ARRAY_COUNT(log_props)},
};

static const struct inv_def *const log_invariants[] = {
    &inv_log_no_fsynced_loss, &inv_log_offsets_contiguous, &inv_log_latest_value,
    &inv_log_indexes,         &inv_log_batches_valid,      &inv_log_retention,
};

const struct scn_module scn_log_module = {
    .name = "log",
    .verbs = log_verbs,
    .verb_count = KS_ARRAY_COUNT(log_verbs),
    .node_kinds = log_kinds,
    .node_kind_count = KS_ARRAY_COUNT(log_kinds),
    .invariants = log_invariants,
    .invariant_count = KS_ARRAY_COUNT(log_invariants),
};
