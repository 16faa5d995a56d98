/*
 * raft_cluster.h: a test harness for KRaft quorums under simulation, shared by the
 * raft tests (header-only: static functions). It builds a world of `controller`
 * nodes c1..cN and checks after every event, with world_observer_add:
 *  - one leader per epoch: no two nodes are ever leader of the same epoch;
 *  - committed entries are never lost: every batch a node holds below its high
 *    watermark matches the first batch ever seen committed at that offset, and a new
 *    leader's log holds every batch committed before it was elected;
 *  - state machines agree: every node that has applied the log up to an offset holds
 *    the same image there (count and hash of the records), snapshots included.
 * A violation is recorded (what, when) and the run stops.
 */
#ifndef RAFT_TESTS_RAFT_CLUSTER_H
#define RAFT_TESTS_RAFT_CLUSTER_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/nodes_raft.h"
#include "sim/world.h"
#include "system/bugs.h"
#include "system/raft/raft_node.h"

#define MS WORLD_NS_PER_MS
#define CLUSTER_NODES_MAX 9u
#define CLUSTER_EPOCHS_MAX 100000u
#define CLUSTER_OFFSETS_MAX (1u << 18)

struct cluster_committed {
    bool set;
    int64_t last_offset;
    int32_t epoch;
    uint32_t crc;
};

struct cluster_image {
    bool set;
    uint64_t record_count;
    uint64_t hash;
};

struct cluster_node_check {
    int64_t checked_end; /* batches ending below it were compared */
    int64_t applied_checked;
    uint32_t incarnation;
    uint64_t truncations;
    int32_t leader_epoch_checked; /* last epoch in which its log was checked as leader */
};

struct cluster {
    struct world *w;
    uint32_t n;
    int ids[CLUSTER_NODES_MAX];
    int32_t *leader_by_epoch;            /* node id + 1, 0 none */
    struct cluster_committed *committed; /* by base offset */
    struct cluster_image *images;        /* by applied offset */
    int64_t committed_end;               /* one past the highest committed offset */
    struct cluster_node_check check[CLUSTER_NODES_MAX];
    bool violated;
    char violation[256];
    uint64_t violation_at_ns;
};

static inline void cluster_violate(struct cluster *c, const char *fmt, int a, long long b,
                                   long long d)
{
    if (c->violated)
        return;
    c->violated = true;
    c->violation_at_ns = world_now_ns(c->w);
    snprintf(c->violation, sizeof(c->violation), fmt, a, b, d);
    world_stop(c->w);
}

static inline struct raft *cluster_raft(struct cluster *c, uint32_t i)
{
    enum world_node_state st = world_node_state_of(c->w, c->ids[i]);
    if (st != WORLD_NODE_RUNNING && st != WORLD_NODE_PAUSED)
        return NULL;
    return raft_node_raft(world_node_impl(c->w, c->ids[i]));
}

static inline bool cluster_status(struct cluster *c, uint32_t i, struct raft_status *out)
{
    struct raft *r = cluster_raft(c, i);
    if (r == NULL)
        return false;
    raft_status_get(r, out);
    return true;
}

/* Compares (or records) one batch below a high watermark. */
static inline void cluster_check_batch(struct cluster *c, uint32_t i,
                                       const struct raft_log_batch *b)
{
    if (b->base_offset < 0 || b->base_offset >= (int64_t)CLUSTER_OFFSETS_MAX)
        return;
    struct cluster_committed *e = &c->committed[b->base_offset];
    if (!e->set) {
        *e = (struct cluster_committed){true, b->last_offset, b->epoch, b->crc};
        if (b->last_offset + 1 > c->committed_end)
            c->committed_end = b->last_offset + 1;
        return;
    }
    if (e->epoch != b->epoch || e->crc != b->crc || e->last_offset != b->last_offset)
        cluster_violate(c, "committed batch lost: c%d holds epoch %lld at offset %lld", (int)i + 1,
                        (long long)b->epoch, (long long)b->base_offset);
}

static inline void cluster_check_committed(struct cluster *c, uint32_t i,
                                           const struct raft_status *s)
{
    const struct raft_log *log = raft_log_of(cluster_raft(c, i));
    struct cluster_node_check *k = &c->check[i];
    uint32_t incarnation = world_node_incarnation(c->w, c->ids[i]);
    uint32_t count = raft_log_batch_count(log);
    if (k->incarnation != incarnation || k->truncations != s->truncations) {
        k->incarnation = incarnation;
        k->truncations = s->truncations;
        k->checked_end = 0;
        k->applied_checked = -1;
    }
    for (uint32_t j = raft_log_batch_find(log, k->checked_end); j < count; j++) {
        const struct raft_log_batch *b = raft_log_batch_at(log, j);
        if (b->last_offset >= s->high_watermark)
            break;
        cluster_check_batch(c, i, b);
        k->checked_end = b->last_offset + 1;
    }
}

static inline void cluster_check_image(struct cluster *c, uint32_t i, const struct raft_status *s)
{
    struct cluster_node_check *k = &c->check[i];
    if (s->applied_offset == k->applied_checked || s->applied_offset >= CLUSTER_OFFSETS_MAX)
        return;
    k->applied_checked = s->applied_offset;
    struct raft_node_image image;
    raft_node_image_get(world_node_impl(c->w, c->ids[i]), &image);
    struct cluster_image *e = &c->images[s->applied_offset];
    if (!e->set) {
        *e = (struct cluster_image){true, image.record_count, image.hash};
        return;
    }
    if (e->record_count != image.record_count || e->hash != image.hash)
        cluster_violate(c, "c%d's image at applied offset %lld differs (%lld records)", (int)i + 1,
                        (long long)s->applied_offset, (long long)image.record_count);
}

/* A new leader must hold every batch committed so far (Raft's leader completeness). */
static inline void cluster_check_new_leader(struct cluster *c, uint32_t i,
                                            const struct raft_status *s)
{
    const struct raft_log *log = raft_log_of(cluster_raft(c, i));
    uint32_t count = raft_log_batch_count(log);
    c->check[i].leader_epoch_checked = s->epoch;
    for (uint32_t j = 0; j < count; j++) {
        const struct raft_log_batch *b = raft_log_batch_at(log, j);
        if (b->base_offset >= c->committed_end)
            return;
        struct cluster_committed *e = &c->committed[b->base_offset];
        if (e->set && (e->epoch != b->epoch || e->crc != b->crc))
            cluster_violate(c, "new leader c%d of epoch %lld differs at committed offset %lld",
                            (int)i + 1, (long long)s->epoch, (long long)b->base_offset);
    }
    if (s->log_end_offset < c->committed_end)
        cluster_violate(c, "new leader c%d ends at %lld, below committed end %lld", (int)i + 1,
                        (long long)s->log_end_offset, (long long)c->committed_end);
}

static inline void cluster_observe(void *ctx, struct world *w)
{
    struct cluster *c = ctx;
    for (uint32_t i = 0; i < c->n && !c->violated; i++) {
        struct raft_status s;
        if (!cluster_status(c, i, &s))
            continue;
        if (s.state == RAFT_LEADER && s.epoch < (int32_t)CLUSTER_EPOCHS_MAX) {
            int32_t *slot = &c->leader_by_epoch[s.epoch];
            if (*slot == 0)
                *slot = s.node_id + 1;
            else if (*slot != s.node_id + 1)
                cluster_violate(c, "two leaders in epoch %d: c%lld and c%lld", s.epoch,
                                (long long)*slot - 1, (long long)s.node_id);
            if (c->check[i].leader_epoch_checked != s.epoch)
                cluster_check_new_leader(c, i, &s);
        }
        cluster_check_committed(c, i, &s);
        cluster_check_image(c, i, &s);
    }
}

/* A quorum of n controllers; the test workload appends every append_ms (0 = off); a
 * snapshot every snapshot_bytes of applied log (0: Kafka's default). */
static inline struct cluster *cluster_new_snapshots(uint64_t seed, uint32_t n, env_bug_mask bugs,
                                                    uint32_t append_ms, uint32_t snapshot_bytes)
{
    struct world_config config;
    world_config_default(&config, seed);
    config.bugs = bugs;
    struct cluster *c = calloc(1, sizeof(*c));
    c->w = world_create(&config);
    c->n = n;
    c->leader_by_epoch = calloc(CLUSTER_EPOCHS_MAX, sizeof(*c->leader_by_epoch));
    c->committed = calloc(CLUSTER_OFFSETS_MAX, sizeof(*c->committed));
    c->images = calloc(CLUSTER_OFFSETS_MAX, sizeof(*c->images));
    char voters[512] = "", buf[64];
    for (uint32_t i = 0; i < n; i++) {
        snprintf(buf, sizeof(buf), "%s%u@c%u:9093", i ? "," : "", i + 1, i + 1);
        strcat(voters, buf);
    }
    for (uint32_t i = 0; i < n; i++) {
        struct props props;
        props_init(&props);
        snprintf(buf, sizeof(buf), "%u", i + 1);
        if (props_set(&props, "node.id", buf) != KS_OK ||
            props_set(&props, "controller.quorum.voters", voters) != KS_OK)
            abort();
        snprintf(buf, sizeof(buf), "%u", append_ms);
        if (props_set(&props, "raft.test.append.interval.ms", buf) != KS_OK)
            abort();
        snprintf(buf, sizeof(buf), "%u", snapshot_bytes);
        if (snapshot_bytes > 0 &&
            props_set(&props, "metadata.log.max.record.bytes.between.snapshots", buf) != KS_OK)
            abort();
        snprintf(buf, sizeof(buf), "c%u", i + 1);
        c->ids[i] = world_node_add(c->w, buf, &nodes_raft_controller_type, &props);
        props_free(&props);
        if (c->ids[i] < 0 || world_node_start(c->w, c->ids[i]) != KS_OK)
            abort();
    }
    world_observer_add(c->w, cluster_observe, c);
    return c;
}

static inline struct cluster *cluster_new(uint64_t seed, uint32_t n, env_bug_mask bugs,
                                          uint32_t append_ms)
{
    return cluster_new_snapshots(seed, n, bugs, append_ms, 0);
}

static inline void cluster_free(struct cluster *c)
{
    world_destroy(c->w);
    free(c->leader_by_epoch);
    free(c->committed);
    free(c->images);
    free(c);
}

/* Runs to t_ms of virtual time (or until a violation stops the world). */
static inline void cluster_run_to(struct cluster *c, uint64_t t_ms)
{
    if (!c->violated)
        world_run_until(c->w, t_ms * MS, UINT64_MAX);
}

static inline uint64_t cluster_now_ms(struct cluster *c)
{
    return world_now_ns(c->w) / MS;
}

/* The running leader of the highest epoch, or -1. */
static inline int cluster_leader(struct cluster *c)
{
    int best = -1;
    int32_t best_epoch = -1;
    for (uint32_t i = 0; i < c->n; i++) {
        struct raft_status s;
        if (cluster_status(c, i, &s) && s.state == RAFT_LEADER && s.epoch > best_epoch) {
            best = (int)i;
            best_epoch = s.epoch;
        }
    }
    return best;
}

static inline uint32_t cluster_count_in_state(struct cluster *c, enum raft_state state)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < c->n; i++) {
        struct raft_status s;
        n += cluster_status(c, i, &s) && s.state == state;
    }
    return n;
}

/* Cuts node i off from every other node (two-way). */
static inline void cluster_isolate(struct cluster *c, uint32_t i)
{
    int others[CLUSTER_NODES_MAX];
    uint32_t k = 0;
    for (uint32_t j = 0; j < c->n; j++) {
        if (j != i)
            others[k++] = c->ids[j];
    }
    world_partition(c->w, &c->ids[i], 1, others, k, false);
}

static inline int64_t cluster_hw(struct cluster *c, uint32_t i)
{
    struct raft_status s;
    return cluster_status(c, i, &s) ? s.high_watermark : -1;
}

/* Prints the cluster, for a failing seed. */
static inline void cluster_print(struct cluster *c, uint64_t seed)
{
    fprintf(stderr, "seed %llu t=%llums%s%s\n", (unsigned long long)seed,
            (unsigned long long)cluster_now_ms(c), c->violated ? " VIOLATION: " : "",
            c->violated ? c->violation : "");
    for (uint32_t i = 0; i < c->n; i++) {
        char line[256] = "down";
        void *impl = world_node_impl(c->w, c->ids[i]);
        if (impl != NULL)
            raft_node_describe(impl, line, sizeof(line));
        fprintf(stderr, "  c%u %s\n", i + 1, line);
    }
}

#endif
