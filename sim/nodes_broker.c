/*
 * nodes_broker.c: the adapter that makes system/broker's KRaft broker a world node
 * type, and the scenario module with the broker metadata invariants (see
 * nodes_broker.h). Kafka: BrokerServer (process.roles=broker), the MetadataLoader's
 * image consistency, KIP-631's fencing rules as seen by brokers.
 */
#include "nodes_broker.h"

#include <stdlib.h>
#include <string.h>

#include "../system/broker/broker.h"
#include "../system/raft/raft.h"
#include "../system/raft/raft_node.h"
#include "nodes_raft.h"
#include "scn_admin.h"

/* Applied offsets whose digest the checker remembers (a run writes far fewer). */
#define NODES_BROKER_OFFSETS_MAX (1u << 18)
/* How often a controlled shutdown checks whether the controller agreed. */
#define NODES_BROKER_SHUTDOWN_POLL_MS 50u
#define NODES_BROKER_NS_PER_MS 1000000ull

const struct world_node_type nodes_broker_type = {
    .name = "broker",
    .start = broker_start,
    .stop = broker_stop,
    .destroy = broker_destroy,
    .describe = broker_describe,
};

struct broker *nodes_broker_of(struct world *world, int node)
{
    if (world_node_type_of(world, node) != &nodes_broker_type)
        return NULL;
    struct broker *b = world_node_impl(world, node);
    return b == NULL || !b->kraft || b->meta == NULL ? NULL : b;
}

/* ---- controlled shutdown ---- */

struct nodes_broker_shutdown {
    struct world *world;
    int node;
    uint32_t incarnation;
    uint64_t deadline_ns;
};

static void nodes_broker_shutdown_poll(void *ctx, uint64_t arg)
{
    struct nodes_broker_shutdown *s = ctx;
    (void)arg;
    struct broker *b = world_node_impl(s->world, s->node);
    bool same = world_node_incarnation(s->world, s->node) == s->incarnation &&
                world_node_state_of(s->world, s->node) == WORLD_NODE_RUNNING && b != NULL;
    if (same && !broker_shutdown_ready(b) && world_now_ns(s->world) < s->deadline_ns) {
        world_at(s->world,
                 world_now_ns(s->world) + NODES_BROKER_SHUTDOWN_POLL_MS * NODES_BROKER_NS_PER_MS,
                 nodes_broker_shutdown_poll, s, 0);
        return;
    }
    if (same)
        (void)world_node_stop(s->world, s->node);
    free(s);
}

void nodes_broker_stop_controlled(struct world *world, int node, uint64_t bound_ms)
{
    struct broker *b = nodes_broker_of(world, node);
    if (b == NULL) {
        (void)world_node_stop(world, node);
        return;
    }
    broker_begin_controlled_shutdown(b);
    struct nodes_broker_shutdown *s = ks_alloc(sizeof(*s));
    *s = (struct nodes_broker_shutdown){world, node, world_node_incarnation(world, node),
                                        world_now_ns(world) + bound_ms * NODES_BROKER_NS_PER_MS};
    world_at(world, world_now_ns(world), nodes_broker_shutdown_poll, s, 0);
}

/* ---- broker_images_agree and broker_leader_unfenced ---- */

struct nodes_broker_images {
    uint64_t digest_by_offset[NODES_BROKER_OFFSETS_MAX]; /* 0: none seen */
    int64_t seen_offset[WORLD_NODES_MAX];                /* per node, last image checked */
    uint32_t seen_incarnation[WORLD_NODES_MAX];
    bool reported;
};

static void *nodes_broker_images_create(struct world *world)
{
    (void)world;
    return ks_alloc(sizeof(struct nodes_broker_images));
}

static void nodes_broker_state_destroy(void *state)
{
    free(state);
}

/* The broker's image when it changed since the last check, else NULL. */
static const struct mimage *nodes_broker_new_image(struct nodes_broker_images *m,
                                                   struct world *world, int node)
{
    struct broker *b = nodes_broker_of(world, node);
    if (b == NULL)
        return NULL;
    const struct mimage *img = bmeta_image(b->meta);
    uint32_t inc = world_node_incarnation(world, node);
    if (m->seen_incarnation[node] == inc && m->seen_offset[node] == img->offset)
        return NULL;
    m->seen_incarnation[node] = inc;
    m->seen_offset[node] = img->offset;
    return img->offset < 0 ? NULL : img;
}

static void nodes_broker_images_check(void *state, struct inv_check *check)
{
    struct nodes_broker_images *m = state;
    struct world *world = inv_check_world(check);
    for (uint32_t i = 0; i < world_node_count(world) && !m->reported; i++) {
        const struct mimage *img = nodes_broker_new_image(m, world, (int)i);
        if (img == NULL || img->offset >= (int64_t)NODES_BROKER_OFFSETS_MAX)
            continue;
        uint64_t digest = mimage_digest(img) | 1u; /* never 0, which means unseen */
        uint64_t *slot = &m->digest_by_offset[img->offset];
        if (*slot == 0)
            *slot = digest;
        if (*slot == digest)
            continue;
        m->reported = true;
        inv_check_report(
            check, (int)i, "image at offset %lld has digest %016llx, another broker's had %016llx",
            (long long)img->offset, (unsigned long long)digest, (unsigned long long)*slot);
    }
}

const struct inv_def nodes_broker_inv_images_agree = {
    .name = "broker_images_agree",
    .summary = "brokers' metadata images at the same applied offset are identical",
    .create = nodes_broker_images_create,
    .destroy = nodes_broker_state_destroy,
    .check_event = nodes_broker_images_check,
};

/* The first partition whose leader is fenced or outside its ISR, or false. */
static bool nodes_broker_bad_leader(const struct mimage *img, const char **topic, uint32_t *index)
{
    for (uint32_t t = 0; t < img->topic_count; t++) {
        const struct mimage_topic *tp = &img->topics[t];
        for (uint32_t p = 0; p < tp->partition_count; p++) {
            const struct mimage_partition *part = &tp->partitions[p];
            if (part->leader < 0)
                continue;
            const struct mimage_broker *br = mimage_broker_find(img, part->leader);
            if (br != NULL && !br->fenced && mimage_partition_in_isr(part, part->leader))
                continue;
            *topic = tp->name;
            *index = p;
            return true;
        }
    }
    return false;
}

static void nodes_broker_leaders_check(void *state, struct inv_check *check)
{
    struct nodes_broker_images *m = state;
    struct world *world = inv_check_world(check);
    for (uint32_t i = 0; i < world_node_count(world) && !m->reported; i++) {
        const struct mimage *img = nodes_broker_new_image(m, world, (int)i);
        const char *topic = NULL;
        uint32_t index = 0;
        if (img == NULL || !nodes_broker_bad_leader(img, &topic, &index))
            continue;
        m->reported = true;
        inv_check_report(
            check, (int)i,
            "image at offset %lld: %s-%u is led by a fenced broker or one outside its ISR",
            (long long)img->offset, topic, index);
    }
}

const struct inv_def nodes_broker_inv_leader_unfenced = {
    .name = "broker_leader_unfenced",
    .summary = "a partition leader in a broker's image is an unfenced broker in the ISR",
    .create = nodes_broker_images_create,
    .destroy = nodes_broker_state_destroy,
    .check_event = nodes_broker_leaders_check,
};

/* ---- broker_caught_up ---- */

/* The highest high watermark among running controllers, -1 when none runs. */
static int64_t nodes_broker_controller_hw(struct world *world)
{
    int64_t hw = -1;
    for (uint32_t i = 0; i < world_node_count(world); i++) {
        void *impl = world_node_impl(world, (int)i);
        if (world_node_type_of(world, (int)i) != &nodes_raft_controller_type || impl == NULL)
            continue;
        struct raft_status s;
        raft_status_get(raft_node_raft(impl), &s);
        if (s.state == RAFT_LEADER && s.high_watermark > hw)
            hw = s.high_watermark;
    }
    return hw;
}

static void nodes_broker_caught_up_end(void *state, struct inv_check *check)
{
    (void)state;
    struct world *world = inv_check_world(check);
    uint64_t quiet_ns = world_now_ns(world) - inv_check_disturbed_ns(check);
    if (quiet_ns < INV_QUIET_NS_MIN) {
        inv_check_report(check, -1, "the run ended %llums after the last disturbance",
                         (unsigned long long)(quiet_ns / 1000000u));
        return;
    }
    int64_t hw = nodes_broker_controller_hw(world);
    for (uint32_t i = 0; i < world_node_count(world); i++) {
        struct broker *b = nodes_broker_of(world, (int)i);
        if (b == NULL)
            continue;
        int64_t applied = bmeta_applied_offset(b->meta);
        if (applied + 1 < hw || b->life->state != BLIFE_RUNNING || b->life->fenced)
            inv_check_report(
                check, (int)i,
                "is %s fenced=%d with metadata applied to %lld, controllers' high watermark %lld",
                blife_state_name(b->life->state), b->life->fenced, (long long)applied,
                (long long)hw);
    }
}

const struct inv_def nodes_broker_inv_caught_up = {
    .name = "broker_caught_up",
    .summary = "by the end every running broker has the controllers' metadata and is unfenced",
    .check_end = nodes_broker_caught_up_end,
};

/* ---- the scenario module ---- */

static const struct scn_node_kind nodes_broker_kinds[] = {
    {"broker", &nodes_broker_type,
     "a KRaft broker: node.id, process.roles=broker, controller.quorum.voters "
     "(1@c1:9093,...), listeners (PLAINTEXT://b1:9092) or port, log.dirs, "
     "broker.heartbeat.interval.ms, broker.rack, replica.*, min.insync.replicas",
     NULL, 0},
    {"admin", &scn_admin_node_type,
     "an admin client (kafka-topics --bootstrap-controller): controller.quorum.voters "
     "(1@c1:9093,...); the `topic` verb sends it CreateTopics and DeleteTopics",
     NULL, 0},
};

static const struct inv_def *const nodes_broker_invariants[] = {
    &nodes_broker_inv_images_agree,
    &nodes_broker_inv_leader_unfenced,
    &nodes_broker_inv_caught_up,
};

const struct scn_module nodes_broker_scn_module = {
    .name = "broker",
    .verbs = scn_admin_verbs,
    .verb_count = SCN_ADMIN_VERB_COUNT,
    .node_kinds = nodes_broker_kinds,
    .node_kind_count = KS_ARRAY_COUNT(nodes_broker_kinds),
    .invariants = nodes_broker_invariants,
    .invariant_count = KS_ARRAY_COUNT(nodes_broker_invariants),
};
