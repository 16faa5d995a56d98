/*
 * gen.c: random worlds, see gen.h. The world's own part draws link latencies and the
 * fault schedule after the module parts have added their nodes; the fixture's part
 * draws pings and echoes, the log part one partition log node under a producer (with
 * Kafka's topic configs within their legal ranges, small enough to roll, retain and
 * compact within a run), the Raft part a KRaft controller quorum. Every number is drawn
 * within the range the scenario language and the node's config parser accept, so a
 * generated scenario always parses and starts.
 */
#include "gen.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define GEN_LINE_BYTES_MAX 1024u
#define GEN_NAME_BYTES_MAX 32u
#define NS_PER_S UINT64_C(1000000000)
#define NS_PER_MS UINT64_C(1000000)

struct gen {
    const struct gen_options *options;
    uint64_t run_ns;
    uint64_t knobs; /* bit k: knob k was drawn on */
    char *text;
    size_t used;
    char nodes[GEN_NODES_MAX][GEN_NAME_BYTES_MAX];
    bool disk_eio_spared[GEN_NODES_MAX]; /* gen_node_spare_disk_eio */
    bool faults_spared[GEN_NODES_MAX];   /* gen_node_spare_faults */
    uint32_t node_count;
    uint64_t at_last_ms; /* gen_at: times never go back */
    const char *expects[GEN_EXPECTS_MAX];
    uint32_t expect_count;
};

static void gen_vappend(struct gen *g, const char *fmt, va_list ap)
{
    KS_ASSERT(g->used < GEN_TEXT_BYTES_MAX);
    int n = vsnprintf(g->text + g->used, GEN_TEXT_BYTES_MAX - g->used, fmt, ap);
    KS_ASSERT(n >= 0);
    KS_ASSERT(g->used + (size_t)n < GEN_TEXT_BYTES_MAX);
    g->used += (size_t)n;
}

static void gen_append(struct gen *g, const char *fmt, ...) KS_PRINTF(2, 3);
static void gen_append(struct gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gen_vappend(g, fmt, ap);
    va_end(ap);
}

uint32_t gen_node(struct gen *g, const char *fmt, ...)
{
    KS_ASSERT(g->node_count < GEN_NODES_MAX);
    char line[GEN_LINE_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    size_t name_len = strcspn(line, " ");
    KS_ASSERT(name_len > 0 && name_len < GEN_NAME_BYTES_MAX);
    memcpy(g->nodes[g->node_count], line, name_len);
    g->nodes[g->node_count][name_len] = '\0';
    gen_append(g, "node %s\n", line);
    return g->node_count++;
}

void gen_line(struct gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gen_vappend(g, fmt, ap);
    va_end(ap);
    gen_append(g, "\n");
}

void gen_at(struct gen *g, uint64_t at_ms, const char *fmt, ...)
{
    KS_ASSERT(at_ms >= g->at_last_ms);
    KS_ASSERT(at_ms * NS_PER_MS < g->run_ns);
    g->at_last_ms = at_ms;
    gen_append(g, "at %" PRIu64 "ms ", at_ms);
    va_list ap;
    va_start(ap, fmt);
    gen_vappend(g, fmt, ap);
    va_end(ap);
    gen_append(g, "\n");
}

void gen_expect(struct gen *g, const char *invariant)
{
    for (uint32_t i = 0; i < g->expect_count; i++) {
        if (strcmp(g->expects[i], invariant) == 0)
            return;
    }
    KS_ASSERT(g->expect_count < GEN_EXPECTS_MAX);
    g->expects[g->expect_count++] = invariant;
}

uint32_t gen_node_count(const struct gen *g)
{
    return g->node_count;
}

const char *gen_node_name(const struct gen *g, uint32_t index)
{
    KS_ASSERT(index < g->node_count);
    return g->nodes[index];
}

void gen_node_spare_disk_eio(struct gen *g, uint32_t index)
{
    KS_ASSERT(index < g->node_count);
    g->disk_eio_spared[index] = true;
}

void gen_node_spare_faults(struct gen *g, uint32_t index)
{
    KS_ASSERT(index < g->node_count);
    g->faults_spared[index] = true;
}

uint64_t gen_run_ns(const struct gen *g)
{
    return g->run_ns;
}

uint64_t gen_faults_until_ns(const struct gen *g)
{
    KS_ASSERT(g->run_ns >= GEN_RUN_NS_MIN);
    return g->run_ns - GEN_QUIET_NS;
}

/* ---- Knobs ------------------------------------------------------------------------------ */

struct gen_knob_info {
    const char *name;
    uint16_t default_permille;
};

static const struct gen_knob_info gen_knob_table[GEN_KNOB_COUNT] = {
    [GEN_KNOB_PINGECHO] = {"pingecho", 500},
    [GEN_KNOB_LOG] = {"log", 500},
    [GEN_KNOB_RAFT] = {"raft", 500},
    [GEN_KNOB_LOG_COMPACT] = {"log_compact", 333},
    [GEN_KNOB_LOG_SMALL] = {"log_small", 500},
    [GEN_KNOB_LOG_CORRUPT] = {"log_corrupt", 250},
    [GEN_KNOB_RAFT_FIVE] = {"raft_five", 200},
    [GEN_KNOB_RAFT_FAST] = {"raft_fast", 500},
    [GEN_KNOB_BROKERS] = {"brokers", 500},
    [GEN_KNOB_NO_FAULTS] = {"no_faults", 125},
    [GEN_KNOB_FAULT_CRASH] = {"crash", 500},
    [GEN_KNOB_FAULT_KILL] = {"kill", 500},
    [GEN_KNOB_FAULT_STOP] = {"stop", 500},
    [GEN_KNOB_FAULT_RESTART] = {"restart", 500},
    [GEN_KNOB_FAULT_PARTITION] = {"partition", 500},
    [GEN_KNOB_FAULT_PARTITION_ONE_WAY] = {"partition_one_way", 500},
    [GEN_KNOB_FAULT_HEAL] = {"heal", 500},
    [GEN_KNOB_FAULT_PAUSE] = {"pause", 500},
    [GEN_KNOB_FAULT_CLOCK_JUMP] = {"clock_jump", 500},
    [GEN_KNOB_FAULT_DISK_EIO] = {"disk_eio", 500},
};

const char *gen_knob_name(enum gen_knob knob)
{
    KS_ASSERT((uint32_t)knob < GEN_KNOB_COUNT);
    KS_ASSERT(gen_knob_table[knob].name != NULL);
    return gen_knob_table[knob].name;
}

uint16_t gen_knob_default_permille(enum gen_knob knob)
{
    KS_ASSERT((uint32_t)knob < GEN_KNOB_COUNT);
    return gen_knob_table[knob].default_permille;
}

bool gen_knob(struct gen *g, struct rng *rng, enum gen_knob knob)
{
    KS_ASSERT((uint32_t)knob < GEN_KNOB_COUNT);
    uint32_t odds = g->options->knob_permille[knob];
    odds = odds == 0 ? gen_knob_default_permille(knob) : odds;
    KS_ASSERT(odds <= GEN_PERMILLE);
    bool on = rng_below(rng, GEN_PERMILLE) < odds; /* one draw, whatever the odds */
    if (on)
        g->knobs |= UINT64_C(1) << knob;
    return on;
}

/* ---- The ping/echo fixture's part ---------------------------------------------------- */

#define GEN_ECHOES_MAX 3u
#define GEN_PINGS_MAX 4u

static void gen_pingecho_draw(struct gen *g, struct rng *rng)
{
    uint32_t echoes = (uint32_t)rng_between(rng, 1, GEN_ECHOES_MAX);
    uint32_t pings = (uint32_t)rng_between(rng, 1, GEN_PINGS_MAX);
    for (uint32_t i = 0; i < echoes; i++)
        gen_node(g, "echo%" PRIu32 " type=echo", i + 1);
    for (uint32_t i = 0; i < pings; i++) {
        gen_node(g,
                 "ping%" PRIu32 " type=ping target=echo%" PRIu64 " ping.interval.ms=%" PRIu64
                 " ping.sync.every=%" PRIu64 " reconnect.backoff.ms=%" PRIu64,
                 i + 1, rng_between(rng, 1, echoes), rng_between(rng, 1, 50),
                 rng_between(rng, 1, 16), rng_between(rng, 10, 500));
    }
    gen_expect(g, "ping_in_order");
    gen_expect(g, "ping_durable_counter");
    gen_expect(g, "ping_progress");
}

static const struct gen_part gen_part_pingecho = {
    "pingecho", GEN_KNOB_PINGECHO, gen_pingecho_draw,
    "ping_in_order ping_durable_counter ping_progress"};

/* ---- The partition log's part (sim/scn_log.h) ------------------------------------------ */

#define GEN_LOG_BURSTS_MAX 3u
#define GEN_LOG_LINE_BYTES_MAX 768u

/* The log node's topic and broker configs (plog.c's legal ranges). True: compacted. */
static bool gen_log_node(struct gen *g, struct rng *rng, bool corrupt, char *line, size_t bytes)
{
    bool compact = gen_knob(g, rng, GEN_KNOB_LOG_COMPACT);
    bool small = gen_knob(g, rng, GEN_KNOB_LOG_SMALL);
    uint64_t segment = small ? rng_between(rng, 2048, 32768) : rng_between(rng, 32768, 1u << 20);
    uint64_t index = small ? rng_between(rng, 24, 4096) : rng_between(rng, 4096, 1u << 20);
    int n = snprintf(line, bytes,
                     "log1 type=log cleanup.policy=%s segment.bytes=%" PRIu64
                     " segment.index.bytes=%" PRIu64 " index.interval.bytes=%" PRIu64
                     " log.flush.offset.checkpoint.interval.ms=%" PRIu64
                     " log.retention.check.interval.ms=%" PRIu64 " file.delete.delay.ms=%" PRIu64,
                     compact ? "compact" : "delete", segment, index, rng_between(rng, 0, 8192),
                     rng_between(rng, 500, 10000), rng_between(rng, 500, 10000),
                     rng_between(rng, 0, 5000));
    KS_ASSERT(n > 0 && (size_t)n < bytes);
    size_t used = (size_t)n;
    if (rng_below(rng, 3) == 0)
        used += (size_t)snprintf(line + used, bytes - used, " segment.ms=%" PRIu64,
                                 rng_between(rng, 1000, 30000));
    if (rng_below(rng, 4) == 0 && !corrupt)
        used += (size_t)snprintf(line + used, bytes - used, " flush.messages=%" PRIu64,
                                 rng_between(rng, 1, 500));
    if (compact)
        used += (size_t)snprintf(
            line + used, bytes - used,
            " min.cleanable.dirty.ratio=0.%" PRIu64 " log.cleaner.backoff.ms=%" PRIu64
            " delete.retention.ms=%" PRIu64 " min.compaction.lag.ms=%" PRIu64,
            rng_between(rng, 1, 9), rng_between(rng, 200, 5000), rng_between(rng, 0, 20000),
            rng_below(rng, 3) == 0 ? rng_between(rng, 0, 5000) : 0);
    else
        used += (size_t)snprintf(line + used, bytes - used, " retention.ms=%" PRIu64,
                                 rng_between(rng, 2000, 60000));
    KS_ASSERT(used < bytes);
    return compact;
}

/* Bursts of appends: the first from the start, the others on a period. */
static void gen_log_load(struct gen *g, struct rng *rng, bool compact)
{
    uint64_t until_s = gen_faults_until_ns(g) / NS_PER_S;
    uint64_t keys = compact ? rng_between(rng, 1, 50) : rng_between(rng, 1, 500);
    uint64_t burst_s = rng_between(rng, 5, 30);
    char load[GEN_LOG_LINE_BYTES_MAX];
    snprintf(load, sizeof(load),
             "log1 rate=%" PRIu64 "/s keys=%" PRIu64 " value.bytes=%" PRIu64 " batch=%" PRIu64
             " tombstones=%" PRIu64 " for %" PRIu64 "s",
             rng_between(rng, 20, 400), keys, rng_between(rng, 16, 300), rng_between(rng, 1, 20),
             compact ? rng_between(rng, 0, 100000) : 0, burst_s);
    gen_line(g, "append %s", load);
    uint64_t bursts = rng_between(rng, 0, GEN_LOG_BURSTS_MAX - 1);
    uint64_t period_s = burst_s + rng_between(rng, 1, 20);
    if (bursts > 0 && period_s < until_s)
        gen_line(g, "every %" PRIu64 "s until %" PRIu64 "s append %s", period_s,
                 period_s * (bursts + 1) < until_s ? period_s * (bursts + 1) : until_s, load);
}

/* Flushes, cleanings, retention passes and rolls on their own periods; power loss with
 * a flipped bit in the unsynced tail. Every line stops at the end of the faults.
 * `corrupt` flips a bit of a batch above the recovery point in the checkpoint file,
 * while a flush (the verb or flush.messages) fsyncs beyond it in between: no flushes
 * in a world with corruption, or the flipped batch was one the log had made durable. */
static void gen_log_verbs(struct gen *g, struct rng *rng, bool compact, bool corrupt)
{
    uint64_t until_s = gen_faults_until_ns(g) / NS_PER_S;
    static const char *const verbs[] = {"flush", "clean", "retention", "roll"};
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(verbs); i++) {
        bool fits = (i != 0 || !corrupt) && (i != 1 || compact) && (i != 2 || !compact);
        if (rng_below(rng, 2) == 0 || !fits)
            continue;
        gen_line(g, "every %" PRIu64 "ms until %" PRIu64 "s %s log1", rng_between(rng, 500, 9000),
                 until_s, verbs[i]);
    }
    if (!corrupt)
        return;
    uint64_t period_ms = rng_between(rng, 3000, 15000), from_ms = rng_between(rng, 2000, 9000);
    if (from_ms + 2 >= until_s * 1000u)
        return;
    gen_line(g, "every %" PRIu64 "ms from %" PRIu64 "ms until %" PRIu64 "s crash log1", period_ms,
             from_ms, until_s);
    gen_line(g, "every %" PRIu64 "ms from %" PRIu64 "ms until %" PRIu64 "s corrupt log1",
             period_ms, from_ms + 1, until_s);
    gen_line(g, "every %" PRIu64 "ms from %" PRIu64 "ms until %" PRIu64 "s restart log1",
             period_ms, from_ms + 2, until_s);
}

static void gen_log_draw(struct gen *g, struct rng *rng)
{
    char line[GEN_LOG_LINE_BYTES_MAX];
    bool corrupt = gen_knob(g, rng, GEN_KNOB_LOG_CORRUPT);
    bool compact = gen_log_node(g, rng, corrupt, line, sizeof(line));
    uint32_t node = gen_node(g, "%s", line);
    if (corrupt)
        gen_node_spare_faults(g, node); /* its own crashes; a stop or EIO would sync */
    gen_log_load(g, rng, compact);
    gen_log_verbs(g, rng, compact, corrupt);
    gen_expect(g, "log_no_fsynced_loss");
    gen_expect(g, "log_offsets_contiguous");
    gen_expect(g, "log_indexes_consistent");
    gen_expect(g, "log_recovered_batches_valid");
    gen_expect(g, compact ? "log_latest_value_per_key" : "log_retention_keeps_unexpired");
}

static const struct gen_part gen_part_log = {
    "log", GEN_KNOB_LOG, gen_log_draw,
    "log_no_fsynced_loss log_offsets_contiguous log_indexes_consistent "
    "log_recovered_batches_valid log_latest_value_per_key log_retention_keeps_unexpired"};

/* ---- The controller quorum's part (sim/nodes_raft.h) ------------------------------------ */

#define GEN_RAFT_VOTERS_MAX 5u
#define GEN_RAFT_VOTERS_BYTES_MAX 128u

/* Raft timeouts: fast ones elect within a few hundred milliseconds. The fetch timeout
 * stays at most 2500 ms, so that a leader cut off from the majority resigns (1.5 fetch
 * timeouts) within raft_partitioned_leader_resigns's 5 s. */
static void gen_raft_timeouts(struct gen *g, struct rng *rng, bool brokers, char *out,
                              size_t bytes)
{
    bool fast = gen_knob(g, rng, GEN_KNOB_RAFT_FAST);
    uint64_t election = fast ? rng_between(rng, 150, 500) : rng_between(rng, 500, 1200);
    uint64_t fetch = election + rng_between(rng, election / 2, election);
    fetch = fetch > 2500 ? 2500 : fetch;
    int n = snprintf(out, bytes,
                     "controller.quorum.election.timeout.ms=%" PRIu64
                     " controller.quorum.fetch.timeout.ms=%" PRIu64
                     " controller.quorum.election.backoff.max.ms=%" PRIu64
                     " controller.quorum.request.timeout.ms=%" PRIu64
                     " controller.quorum.retry.backoff.ms=%" PRIu64,
                     election, fetch, rng_between(rng, 50, election), rng_between(rng, 500, 2000),
                     rng_between(rng, 5, 100));
    KS_ASSERT(n > 0 && (size_t)n < bytes);
    /* Test appends fill the metadata log with records a broker cannot apply: only in a
     * quorum without brokers; with brokers, a session timeout for them instead. */
    uint64_t append_ms = rng_between(rng, 10, 200), session_ms = rng_between(rng, 3000, 8000);
    int m = brokers ? snprintf(out + n, bytes - (size_t)n, " broker.session.timeout.ms=%" PRIu64,
                               session_ms)
                    : snprintf(out + n, bytes - (size_t)n,
                               " raft.test.append.interval.ms=%" PRIu64, append_ms);
    KS_ASSERT(m > 0 && (size_t)(n + m) < bytes);
}

#define GEN_BROKERS_MAX 4u
#define GEN_TOPICS_MAX 3u

/* Topics created by the admin node once the quorum has had time to elect, each with a
 * replication factor the brokers can hold; one is sometimes deleted again. */
static void gen_topics(struct gen *g, struct rng *rng, uint32_t brokers)
{
    uint64_t until_ms = gen_faults_until_ns(g) / NS_PER_MS;
    uint64_t at_ms = rng_between(rng, 2000, 6000);
    uint32_t topics = (uint32_t)rng_between(rng, 1, GEN_TOPICS_MAX);
    for (uint32_t t = 1; t <= topics && at_ms < until_ms; t++) {
        uint64_t rf = rng_between(rng, 1, brokers < 3 ? brokers : 3);
        uint64_t isr = rng_between(rng, 1, rf);
        gen_at(g, at_ms,
               "topic create t%" PRIu32 " partitions=%" PRIu64 " replication.factor=%" PRIu64
               " min.insync.replicas=%" PRIu64,
               t, rng_between(rng, 1, 6), rf, isr);
        at_ms += rng_between(rng, 0, 10000);
    }
    if (topics > 1 && rng_below(rng, 3) == 0 && at_ms < until_ms)
        gen_at(g, at_ms, "topic delete t1");
}

/* Brokers (node ids from 11) registering with the quorum, an admin node, topics. */
static void gen_brokers(struct gen *g, struct rng *rng, const char *voters)
{
    uint32_t brokers = (uint32_t)rng_between(rng, 1, GEN_BROKERS_MAX);
    for (uint32_t i = 1; i <= brokers; i++) {
        uint32_t node = gen_node(g,
                                 "b%" PRIu32 " type=broker node.id=%" PRIu32
                                 " controller.quorum.voters=%s broker.heartbeat.interval.ms=%" PRIu64
                                 " replica.fetch.wait.max.ms=%" PRIu64
                                 " log.index.size.max.bytes=65536",
                                 i, 10 + i, voters, rng_between(rng, 200, 2000),
                                 rng_between(rng, 50, 500));
        gen_node_spare_disk_eio(g, node);
    }
    uint32_t admin = gen_node(g, "admin type=admin controller.quorum.voters=%s", voters);
    gen_node_spare_faults(g, admin); /* the tool, not the cluster */
    gen_topics(g, rng, brokers);
    gen_expect(g, "ctrl_leader_in_isr");
    gen_expect(g, "ctrl_stale_brokers_fenced");
    gen_expect(g, "broker_images_agree");
    gen_expect(g, "broker_leader_unfenced");
    gen_expect(g, "broker_caught_up");
    gen_expect(g, "brokers_recover");
}

static void gen_raft_draw(struct gen *g, struct rng *rng)
{
    /* Three or five voters. Not one: a lone voter resigns on check-quorum 1.5 fetch
     * timeouts after its election (it counts no fetch from itself), seed 263. */
    uint32_t voters = gen_knob(g, rng, GEN_KNOB_RAFT_FIVE) ? 5u : 3u;
    KS_ASSERT(voters <= GEN_RAFT_VOTERS_MAX);
    char list[GEN_RAFT_VOTERS_BYTES_MAX] = "";
    size_t used = 0;
    for (uint32_t i = 1; i <= voters; i++)
        used += (size_t)snprintf(list + used, sizeof(list) - used,
                                 "%s%" PRIu32 "@c%" PRIu32 ":9093", i == 1 ? "" : ",", i, i);
    KS_ASSERT(used < sizeof(list));
    bool brokers = gen_knob(g, rng, GEN_KNOB_BROKERS);
    char timeouts[GEN_LINE_BYTES_MAX / 2];
    gen_raft_timeouts(g, rng, brokers, timeouts, sizeof(timeouts));
    for (uint32_t i = 1; i <= voters; i++) {
        uint32_t node = gen_node(g,
                                 "c%" PRIu32 " type=controller node.id=%" PRIu32
                                 " controller.quorum.voters=%s %s",
                                 i, i, list, timeouts);
        gen_node_spare_disk_eio(g, node); /* EIO is fatal to a voter (raft.c: Failed) */
    }
    gen_expect(g, "raft_one_leader_per_epoch");
    gen_expect(g, "raft_committed_never_lost");
    gen_expect(g, "raft_leader_elected");
    gen_expect(g, "raft_partitioned_leader_resigns");
    gen_expect(g, "ctrl_images_agree");
    gen_expect(g, "raft_quorum_recovers");
    if (brokers)
        gen_brokers(g, rng, list);
}

static const struct gen_part gen_part_raft = {
    "raft", GEN_KNOB_RAFT, gen_raft_draw,
    "raft_one_leader_per_epoch raft_committed_never_lost raft_leader_elected "
    "raft_partitioned_leader_resigns ctrl_images_agree ctrl_leader_in_isr "
    "ctrl_stale_brokers_fenced broker_images_agree broker_leader_unfenced broker_caught_up "
    "raft_quorum_recovers brokers_recover"};

/* Every module's part. Later issues append theirs (brokers, clients, groups). */
static const struct gen_part *const gen_parts[] = {
    &gen_part_pingecho,
    &gen_part_log,
    &gen_part_raft,
};

void gen_invariants_print(FILE *out)
{
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(gen_parts); i++)
        fprintf(out, "%s%s", i == 0 ? "" : " ", gen_parts[i]->invariants);
    fputs("\n", out);
}

/* ---- The world's part: latencies and the fault schedule -------------------------------- */

/* Fault kinds of the `faults` verb (scn_world.c), with their knobs; the swarm enables a
 * random subset. */
static const char *const gen_fault_kinds[] = {
    "crash", "kill",  "stop",       "restart", "partition", "partition_one_way",
    "heal",  "pause", "clock_jump", "disk_eio"};
_Static_assert(GEN_KNOB_FAULT_CRASH + KS_ARRAY_COUNT(gen_fault_kinds) == GEN_KNOB_COUNT,
               "one knob per fault kind, the last knobs");

static void gen_world_line(struct gen *g, struct rng *rng, uint64_t seed)
{
    uint64_t lat_min_us = rng_between(rng, 50, 1000);
    uint64_t lat_max_us = lat_min_us + rng_between(rng, 0, 5000);
    gen_append(g,
               "world seed=%" PRIu64 " latency=%" PRIu64 "us..%" PRIu64
               "us connect.timeout=%" PRIu64 "ms\n\n",
               seed, lat_min_us, lat_max_us, rng_between(rng, 200, 3000));
}

/* Which kinds are on: each a knob (odds 1/2 by default); when none is, one drawn at
 * random (the schedule's end heals and restarts anyway). Bit i of the result: kind i. */
static uint32_t gen_faults_kinds(struct gen *g, struct rng *rng)
{
    uint32_t on = 0;
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(gen_fault_kinds); i++) {
        if (gen_knob(g, rng, (enum gen_knob)(GEN_KNOB_FAULT_CRASH + i)))
            on |= 1u << i;
    }
    uint32_t fallback = (uint32_t)rng_below(rng, KS_ARRAY_COUNT(gen_fault_kinds));
    if (on == 0) {
        on = 1u << fallback;
        g->knobs |= UINT64_C(1) << (GEN_KNOB_FAULT_CRASH + fallback);
    }
    return on;
}

static void gen_faults_kinds_append(struct gen *g, uint32_t kinds)
{
    bool first = true;
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(gen_fault_kinds); i++) {
        if (((kinds >> i) & 1u) == 0)
            continue;
        gen_append(g, "%s%s", first ? " kinds=" : ",", gen_fault_kinds[i]);
        first = false;
    }
    KS_ASSERT(!first);
}

/* The nodes a schedule may touch (not spared by their part; for disk EIO, not spared
 * that either), comma-separated; their count. */
static uint32_t gen_faults_nodes(const struct gen *g, bool eio, char *out, size_t bytes)
{
    size_t used = 0;
    uint32_t count = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < g->node_count; i++) {
        if (g->faults_spared[i] || (eio && g->disk_eio_spared[i]))
            continue;
        used += (size_t)snprintf(out + used, bytes - used, "%s%s", count == 0 ? "" : ",",
                                 g->nodes[i]);
        KS_ASSERT(used < bytes);
        count++;
    }
    return count;
}

/* One schedule over every node; when some node is spared disk EIO, the EIO kind goes to
 * a second schedule over the others (drawn from its own line's stream). */
static void gen_faults(struct gen *g, struct rng *rng)
{
    KS_ASSERT(g->run_ns >= GEN_RUN_NS_MIN);
    if (gen_knob(g, rng, GEN_KNOB_NO_FAULTS)) {
        gen_append(g, "# no faults in this world\n");
        return;
    }
    uint64_t from_s = rng_between(rng, 1, 5), until_s = gen_faults_until_ns(g) / NS_PER_S;
    uint64_t gap_min_ms = rng_between(rng, 50, 2000);
    uint64_t gap_max_ms = gap_min_ms + rng_between(rng, 0, 4000);
    uint32_t kinds = gen_faults_kinds(g, rng);
    uint64_t pause_min_ms = rng_between(rng, 10, 1000);
    uint64_t pause_max_ms = pause_min_ms + rng_between(rng, 0, 3000);
    uint64_t jump_back_s = rng_between(rng, 0, 30), jump_s = rng_between(rng, 0, 30);
    uint32_t eio = 1u << (GEN_KNOB_FAULT_DISK_EIO - GEN_KNOB_FAULT_CRASH);
    char eio_nodes[GEN_NODES_MAX * (GEN_NAME_BYTES_MAX + 1) + 1];
    char nodes[GEN_NODES_MAX * (GEN_NAME_BYTES_MAX + 1) + 1];
    uint32_t eio_count = gen_faults_nodes(g, true, eio_nodes, sizeof(eio_nodes));
    uint32_t count = gen_faults_nodes(g, false, nodes, sizeof(nodes));
    bool split = (kinds & eio) != 0 && eio_count < count;
    if (split && eio_count > 0)
        gen_append(g,
                   "faults from %" PRIu64 "s until %" PRIu64 "s every %" PRIu64 "ms..%" PRIu64
                   "ms kinds=disk_eio nodes=%s\n",
                   from_s, until_s, gap_min_ms * 2, gap_max_ms * 2, eio_nodes);
    if (split)
        kinds &= ~eio;
    if (kinds == 0 || count == 0)
        return;
    gen_append(g, "faults from %" PRIu64 "s until %" PRIu64 "s every %" PRIu64 "ms..%" PRIu64 "ms",
               from_s, until_s, gap_min_ms, gap_max_ms);
    gen_faults_kinds_append(g, kinds);
    if (count < g->node_count)
        gen_append(g, " nodes=%s", nodes);
    gen_append(g, " pause=%" PRIu64 "ms..%" PRIu64 "ms jump=-%" PRIu64 "s..%" PRIu64 "s\n",
               pause_min_ms, pause_max_ms, jump_back_s, jump_s);
}

static void gen_latencies(struct gen *g, struct rng *rng)
{
    uint32_t count = g->node_count;
    for (uint32_t i = 0; count > 1 && i < 2; i++) {
        if (rng_below(rng, 3) != 0)
            continue;
        uint32_t a = (uint32_t)rng_below(rng, count), b = (uint32_t)rng_below(rng, count);
        if (a == b)
            continue;
        uint64_t lo_us = rng_between(rng, 100, 5000);
        gen_line(g, "latency %s | %s %" PRIu64 "us..%" PRIu64 "us", g->nodes[a], g->nodes[b], lo_us,
                 lo_us + rng_between(rng, 0, 20000));
    }
}

/* Which parts are in the world: each its knob; when none is, one drawn from rng. */
static uint32_t gen_parts_pick(struct gen *g, struct rng *rng, bool *on)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(gen_parts); i++) {
        on[i] = gen_knob(g, rng, gen_parts[i]->knob);
        count += on[i] ? 1u : 0u;
    }
    uint32_t fallback = (uint32_t)rng_below(rng, KS_ARRAY_COUNT(gen_parts));
    if (count == 0) {
        on[fallback] = true;
        g->knobs |= UINT64_C(1) << gen_parts[fallback]->knob;
        count = 1;
    }
    KS_ASSERT(count <= KS_ARRAY_COUNT(gen_parts));
    return count;
}

static void gen_parts_draw(struct gen *g, struct rng *rng, uint64_t seed)
{
    bool on[KS_ARRAY_COUNT(gen_parts)];
    (void)gen_parts_pick(g, rng, on);
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(gen_parts); i++) {
        if (!on[i])
            continue;
        struct rng part_rng;
        char name[64];
        snprintf(name, sizeof(name), "gen/part/%s", gen_parts[i]->name);
        rng_derive(&part_rng, seed, name);
        gen_append(g, "# part %s\n", gen_parts[i]->name);
        gen_parts[i]->draw(g, &part_rng);
    }
}

static void gen_knobs_comment(struct gen *g)
{
    gen_append(g, "# knobs:");
    for (uint32_t k = 0; k < GEN_KNOB_COUNT; k++) {
        if ((g->knobs >> k) & 1u)
            gen_append(g, " %s", gen_knob_name((enum gen_knob)k));
    }
    gen_append(g, "\n");
}

char *gen_scenario_knobs(uint64_t seed, const struct gen_options *options, uint64_t *knobs_out)
{
    struct gen *g = ks_alloc(sizeof(*g));
    g->options = options;
    g->text = ks_alloc(GEN_TEXT_BYTES_MAX);
    struct rng rng, parts_rng;
    rng_derive(&rng, seed, "gen/world");
    rng_derive(&parts_rng, seed, "gen/parts");
    g->run_ns = options->run_ns != 0 ? options->run_ns : rng_between(&rng, 30, 120) * NS_PER_S;
    g->run_ns = g->run_ns < GEN_RUN_NS_MIN ? GEN_RUN_NS_MIN : g->run_ns;
    gen_append(g, "# A random world drawn from seed %" PRIu64 " by ksim swarm.\n", seed);
    gen_world_line(g, &rng, seed);
    gen_parts_draw(g, &parts_rng, seed);
    gen_append(g, "\n");
    gen_latencies(g, &rng);
    gen_faults(g, &rng);
    gen_knobs_comment(g);
    gen_append(g, "\nrun %" PRIu64 "ms\nexpect", (uint64_t)(g->run_ns / NS_PER_MS));
    for (uint32_t i = 0; i < g->expect_count; i++)
        gen_append(g, " %s", g->expects[i]);
    gen_append(g, "\n");
    KS_ASSERT(g->node_count >= 1);
    if (knobs_out != NULL)
        *knobs_out = g->knobs;
    char *text = g->text;
    free(g);
    return text;
}

char *gen_scenario(uint64_t seed, const struct gen_options *options)
{
    return gen_scenario_knobs(seed, options, NULL);
}
