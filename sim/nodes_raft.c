/*
 * nodes_raft.c: the adapter that makes system/raft's controller node a world node
 * type, and the scenario module with the Raft invariants (see nodes_raft.h). system/
 * never includes sim/: the node functions come from system/raft/raft_node.h. Kafka:
 * RaftEventSimulationTest's invariants (MonotonicHighWatermark, SingleLeader,
 * ConsistentCommittedData).
 */
#include "nodes_raft.h"

#include <stdlib.h>

#include "../system/controller/ctrl.h"
#include "../system/raft/raft_node.h"
#include "runner.h"

const struct world_node_type nodes_raft_controller_type = {
    .name = "controller",
    .start = raft_node_start,
    .stop = raft_node_stop,
    .destroy = raft_node_destroy,
    .describe = raft_node_describe,
};

/* Epochs and offsets the checkers remember, at most (a run has far fewer). */
#define NODES_RAFT_EPOCHS_MAX (1u << 16)
#define NODES_RAFT_OFFSETS_MAX (1u << 20)

/* The voter of a running controller node, or NULL. */
static struct raft *nodes_raft_of(struct world *world, int node)
{
    if (world_node_type_of(world, node) != &nodes_raft_controller_type)
        return NULL;
    void *impl = world_node_impl(world, node);
    return impl == NULL ? NULL : raft_node_raft(impl);
}

/* ---- raft_one_leader_per_epoch ---- */

struct nodes_raft_leaders {
    int32_t leader_by_epoch[NODES_RAFT_EPOCHS_MAX]; /* node index + 1; 0 none */
    bool reported;
};

static void *nodes_raft_leaders_create(struct world *world)
{
    return ks_alloc(sizeof(struct nodes_raft_leaders));
}
static void nodes_raft_state_destroy(void *state)
{
    free(state);
}

static void nodes_raft_leaders_check(void *state, struct inv_check *check)
{
    struct nodes_raft_leaders *m = state;
    struct world *world = inv_check_world(check);
    for (uint32_t i = 0; i < world_node_count(world) && !m->reported; i++) {
        struct raft *raft = nodes_raft_of(world, (int)i);
        struct raft_status s;
        if (raft == NULL || (raft_status_get(raft, &s), s.state != RAFT_LEADER) ||
            s.epoch >= (int32_t)NODES_RAFT_EPOCHS_MAX)
            continue;
        int32_t *slot = &m->leader_by_epoch[s.epoch];
        if (*slot == 0)
            *slot = (int32_t)i + 1;
        if (*slot == (int32_t)i + 1)
            continue;
        m->reported = true;
        inv_check_report(check, (int)i, "leads epoch %d, which %s led before", s.epoch,
                         world_node_name(world, *slot - 1));
    }
}

const struct inv_def nodes_raft_inv_one_leader_per_epoch = {
    .name = "raft_one_leader_per_epoch",
    .summary = "no two controllers ever lead the same Raft epoch",
    .create = nodes_raft_leaders_create,
    .destroy = nodes_raft_state_destroy,
    .check_event = nodes_raft_leaders_check,
};

/* ---- raft_committed_never_lost ---- */

struct nodes_raft_batch {
    bool set;
    int32_t epoch;
    uint32_t crc;
};

struct nodes_raft_committed {
    struct nodes_raft_batch by_offset[NODES_RAFT_OFFSETS_MAX]; /* by base offset */
    int64_t committed_end;
    int64_t checked_end[WORLD_NODES_MAX];
    uint32_t incarnation[WORLD_NODES_MAX];
    uint64_t truncations[WORLD_NODES_MAX];
    int32_t leader_epoch_checked[WORLD_NODES_MAX];
    bool reported;
};

static void *nodes_raft_committed_create(struct world *world)
{
    return ks_alloc(sizeof(struct nodes_raft_committed));
}

/* Compares one batch with what was committed at its offset, or records it. */
static bool nodes_raft_batch_ok(struct nodes_raft_committed *m, const struct raft_log_batch *b,
                                bool record)
{
    if (b->base_offset < 0 || b->base_offset >= (int64_t)NODES_RAFT_OFFSETS_MAX)
        return true;
    struct nodes_raft_batch *e = &m->by_offset[b->base_offset];
    if (!e->set && record) {
        *e = (struct nodes_raft_batch){true, b->epoch, b->crc};
        m->committed_end =
            b->last_offset + 1 > m->committed_end ? b->last_offset + 1 : m->committed_end;
    }
    return !e->set || (e->epoch == b->epoch && e->crc == b->crc);
}

/* A new leader must hold every committed batch (leader completeness). */
static void nodes_raft_new_leader_check(struct nodes_raft_committed *m, struct inv_check *check,
                                        int node, const struct raft_status *s,
                                        const struct raft_log *log)
{
    m->leader_epoch_checked[node] = s->epoch;
    bool ok = s->log_end_offset >= m->committed_end;
    for (uint32_t j = 0; ok && j < raft_log_batch_count(log); j++)
        ok = nodes_raft_batch_ok(m, raft_log_batch_at(log, j), false);
    if (!ok && !m->reported)
        inv_check_report(check, node, "leader of epoch %d lacks committed batches (log end %lld)",
                         s->epoch, (long long)s->log_end_offset);
    m->reported |= !ok;
}

static void nodes_raft_committed_node(struct nodes_raft_committed *m, struct inv_check *check,
                                      int node, struct raft *raft)
{
    struct world *world = inv_check_world(check);
    struct raft_status s;
    raft_status_get(raft, &s);
    const struct raft_log *log = raft_log_of(raft);
    if (m->incarnation[node] != world_node_incarnation(world, node) ||
        m->truncations[node] != s.truncations) {
        m->incarnation[node] = world_node_incarnation(world, node);
        m->truncations[node] = s.truncations;
        m->checked_end[node] = 0;
    }
    if (s.state == RAFT_LEADER && m->leader_epoch_checked[node] != s.epoch)
        nodes_raft_new_leader_check(m, check, node, &s, log);
    uint32_t count = raft_log_batch_count(log);
    for (uint32_t j = raft_log_batch_find(log, m->checked_end[node]); j < count; j++) {
        const struct raft_log_batch *b = raft_log_batch_at(log, j);
        if (b->last_offset >= s.high_watermark)
            break;
        m->checked_end[node] = b->last_offset + 1;
        if (nodes_raft_batch_ok(m, b, true) || m->reported)
            continue;
        m->reported = true;
        inv_check_report(check, node,
                         "holds epoch %d at committed offset %lld, not the batch "
                         "committed there",
                         b->epoch, (long long)b->base_offset);
    }
}

static void nodes_raft_committed_check(void *state, struct inv_check *check)
{
    struct nodes_raft_committed *m = state;
    struct world *world = inv_check_world(check);
    KS_ASSERT(world_node_count(world) <= WORLD_NODES_MAX);
    for (uint32_t i = 0; i < world_node_count(world); i++) {
        struct raft *raft = nodes_raft_of(world, (int)i);
        if (raft != NULL)
            nodes_raft_committed_node(m, check, (int)i, raft);
    }
}

const struct inv_def nodes_raft_inv_committed_never_lost = {
    .name = "raft_committed_never_lost",
    .summary = "a batch below a controller's high watermark never changes; leaders hold them all",
    .create = nodes_raft_committed_create,
    .destroy = nodes_raft_state_destroy,
    .check_event = nodes_raft_committed_check,
};

/* ---- raft_leader_elected ---- */

static void nodes_raft_elected_end(void *state, struct inv_check *check)
{
    struct world *world = inv_check_world(check);
    uint64_t quiet_ns = world_now_ns(world) - inv_check_disturbed_ns(check);
    int leader = -1;
    struct raft_status s, ls = {0};
    if (quiet_ns < INV_QUIET_NS_MIN) {
        inv_check_report(check, -1,
                         "the run ended %llums after the last disturbance; "
                         "liveness needs %llums of quiet",
                         (unsigned long long)(quiet_ns / 1000000u),
                         (unsigned long long)(INV_QUIET_NS_MIN / 1000000u));
        return;
    }
    for (uint32_t i = 0; i < world_node_count(world); i++) {
        struct raft *raft = nodes_raft_of(world, (int)i);
        if (raft != NULL && (raft_status_get(raft, &s), s.state == RAFT_LEADER) &&
            (leader < 0 || s.epoch > ls.epoch)) {
            leader = (int)i;
            ls = s;
        }
    }
    if (leader < 0) {
        inv_check_report(check, -1, "no controller leads after %llums of quiet",
                         (unsigned long long)(quiet_ns / 1000000u));
        return;
    }
    for (uint32_t i = 0; i < world_node_count(world); i++) {
        struct raft *raft = nodes_raft_of(world, (int)i);
        if (raft == NULL || (int)i == leader)
            continue;
        raft_status_get(raft, &s);
        if (s.state != RAFT_FOLLOWER || s.epoch != ls.epoch || s.leader_id != ls.node_id)
            inv_check_report(check, (int)i, "is %s in epoch %d, not a follower of %s (epoch %d)",
                             raft_state_name(s.state), s.epoch, world_node_name(world, leader),
                             ls.epoch);
    }
}

const struct inv_def nodes_raft_inv_leader_elected = {
    .name = "raft_leader_elected",
    .summary = "after the faults one running controller leads and the others follow it",
    .check_end = nodes_raft_elected_end,
};

/* ---- the controller invariants ---- */

/* Image digests remembered by offset (a ring: older offsets are forgotten). */
#define NODES_RAFT_DIGESTS_MAX (1u << 14)
/* How long two controllers may both lead (different epochs): an isolated leader
 * resigns after 1.5 fetch timeouts (default 2000 ms) without a majority, plus slack. */
#define NODES_RAFT_TWO_LEADERS_NS_MAX (5000ull * 1000000ull)
/* Slack past broker.session.timeout.ms before an unfenced silent broker is a violation. */
#define NODES_RAFT_FENCING_SLACK_MS 1000u

/* The controller state machine of a running controller node, or NULL. */
static struct ctrl *nodes_raft_ctrl_of(struct world *world, int node)
{
    if (world_node_type_of(world, node) != &nodes_raft_controller_type)
        return NULL;
    void *impl = world_node_impl(world, node);
    return impl == NULL ? NULL : raft_node_ctrl(impl);
}

struct nodes_raft_digest {
    int64_t offset; /* -2: empty */
    uint64_t digest;
    int node;
};

struct nodes_raft_images {
    struct nodes_raft_digest ring[NODES_RAFT_DIGESTS_MAX];
    int64_t checked[WORLD_NODES_MAX];
    bool reported;
};

static void *nodes_raft_images_create(struct world *world)
{
    struct nodes_raft_images *m = ks_alloc(sizeof(*m));
    for (uint32_t i = 0; i < NODES_RAFT_DIGESTS_MAX; i++)
        m->ring[i].offset = -2;
    for (uint32_t i = 0; i < WORLD_NODES_MAX; i++)
        m->checked[i] = -2;
    return m;
}

static void nodes_raft_images_check(void *state, struct inv_check *check)
{
    struct nodes_raft_images *m = state;
    struct world *world = inv_check_world(check);
    for (uint32_t i = 0; i < world_node_count(world) && !m->reported; i++) {
        struct ctrl *ctrl = nodes_raft_ctrl_of(world, (int)i);
        const struct mimage *img = ctrl == NULL ? NULL : ctrl_committed_image(ctrl);
        if (img == NULL || img->offset < 0 || img->offset == m->checked[i])
            continue;
        m->checked[i] = img->offset;
        uint64_t digest = mimage_digest(img);
        struct nodes_raft_digest *e = &m->ring[(uint64_t)img->offset % NODES_RAFT_DIGESTS_MAX];
        if (e->offset != img->offset) {
            *e = (struct nodes_raft_digest){img->offset, digest, (int)i};
            continue;
        }
        if (e->digest == digest)
            continue;
        m->reported = true;
        inv_check_report(check, (int)i, "metadata image at offset %lld differs from %s's",
                         (long long)img->offset, world_node_name(world, e->node));
    }
}

const struct inv_def nodes_raft_inv_images_agree = {
    .name = "ctrl_images_agree",
    .summary = "controllers' metadata images at the same offset have the same digest",
    .create = nodes_raft_images_create,
    .destroy = nodes_raft_state_destroy,
    .check_event = nodes_raft_images_check,
};

static void nodes_raft_leader_in_isr_check(void *state, struct inv_check *check)
{
    bool *reported = state;
    struct world *world = inv_check_world(check);
    for (uint32_t i = 0; i < world_node_count(world) && !*reported; i++) {
        struct ctrl *ctrl = nodes_raft_ctrl_of(world, (int)i);
        char why[256];
        if (ctrl == NULL || ctrl_check_leader_in_isr(ctrl_committed_image(ctrl), why, sizeof(why)))
            continue;
        *reported = true;
        inv_check_report(check, (int)i, "%s", why);
    }
}

static void *nodes_raft_flag_create(struct world *world)
{
    return ks_alloc(sizeof(bool));
}

const struct inv_def nodes_raft_inv_leader_in_isr = {
    .name = "ctrl_leader_in_isr",
    .summary = "a partition leader is an unfenced broker in its ISR (unclean election off)",
    .create = nodes_raft_flag_create,
    .destroy = nodes_raft_state_destroy,
    .check_event = nodes_raft_leader_in_isr_check,
};

static void nodes_raft_fencing_check(void *state, struct inv_check *check)
{
    bool *reported = state;
    struct world *world = inv_check_world(check);
    for (uint32_t i = 0; i < world_node_count(world) && !*reported; i++) {
        struct ctrl *ctrl = nodes_raft_ctrl_of(world, (int)i);
        char why[256];
        if (ctrl == NULL || ctrl_check_fencing(ctrl, NODES_RAFT_FENCING_SLACK_MS, why, sizeof(why)))
            continue;
        *reported = true;
        inv_check_report(check, (int)i, "%s", why);
    }
}

const struct inv_def nodes_raft_inv_stale_brokers_fenced = {
    .name = "ctrl_stale_brokers_fenced",
    .summary = "the active controller fences a broker silent past broker.session.timeout.ms",
    .create = nodes_raft_flag_create,
    .destroy = nodes_raft_state_destroy,
    .check_event = nodes_raft_fencing_check,
};

/* ---- raft_partitioned_leader_resigns ---- */

struct nodes_raft_two_leaders {
    uint64_t since_ns; /* when two controllers started leading at once; 0: not now */
    bool reported;
};

static void *nodes_raft_two_leaders_create(struct world *world)
{
    return ks_alloc(sizeof(struct nodes_raft_two_leaders));
}

static void nodes_raft_two_leaders_check(void *state, struct inv_check *check)
{
    struct nodes_raft_two_leaders *m = state;
    struct world *world = inv_check_world(check);
    uint32_t leaders = 0;
    int stale = -1;
    int32_t stale_epoch = INT32_MAX;
    for (uint32_t i = 0; i < world_node_count(world); i++) {
        struct raft *raft = nodes_raft_of(world, (int)i);
        struct raft_status s;
        if (raft == NULL || (raft_status_get(raft, &s), s.state != RAFT_LEADER))
            continue;
        leaders++;
        if (s.epoch < stale_epoch) {
            stale_epoch = s.epoch;
            stale = (int)i;
        }
    }
    uint64_t now = world_now_ns(world);
    if (leaders < 2) {
        m->since_ns = 0;
        return;
    }
    if (m->since_ns == 0)
        m->since_ns = now;
    if (m->reported || now - m->since_ns <= NODES_RAFT_TWO_LEADERS_NS_MAX)
        return;
    m->reported = true;
    inv_check_report(check, stale, "still leads epoch %d %llums after a newer leader was elected",
                     stale_epoch, (unsigned long long)((now - m->since_ns) / 1000000u));
}

const struct inv_def nodes_raft_inv_partitioned_leader_resigns = {
    .name = "raft_partitioned_leader_resigns",
    .summary = "a leader cut off from the majority resigns (check-quorum) soon after a new one",
    .create = nodes_raft_two_leaders_create,
    .destroy = nodes_raft_state_destroy,
    .check_event = nodes_raft_two_leaders_check,
};

/* ---- raft_images_agree ---- */

/* Test-mode state machines (raft.test.append.interval.ms > 0) remembered by applied
 * offset, in a ring like the controllers' digests. */
struct nodes_raft_test_image {
    int64_t offset; /* -1: empty */
    struct raft_node_image image;
    int node;
};

struct nodes_raft_test_images {
    struct nodes_raft_test_image ring[NODES_RAFT_DIGESTS_MAX];
    int64_t checked[WORLD_NODES_MAX];
    uint32_t incarnation[WORLD_NODES_MAX];
    bool reported;
};

static void *nodes_raft_test_images_create(struct world *world)
{
    struct nodes_raft_test_images *m = ks_alloc(sizeof(*m));
    for (uint32_t i = 0; i < NODES_RAFT_DIGESTS_MAX; i++)
        m->ring[i].offset = -1;
    return m;
}

/* Compares a test-mode controller's image at its applied offset with the first one
 * seen there (records applied one by one, or loaded from a snapshot). */
static void nodes_raft_test_images_node(struct nodes_raft_test_images *m, struct inv_check *check,
                                        int node, void *impl)
{
    struct world *world = inv_check_world(check);
    struct raft_status s;
    struct raft_node_image image;
    raft_status_get(raft_node_raft(impl), &s);
    if (m->incarnation[node] == world_node_incarnation(world, node) &&
        m->checked[node] == s.applied_offset)
        return;
    m->incarnation[node] = world_node_incarnation(world, node);
    m->checked[node] = s.applied_offset;
    raft_node_image_get(impl, &image);
    struct nodes_raft_test_image *e = &m->ring[(uint64_t)s.applied_offset % NODES_RAFT_DIGESTS_MAX];
    if (e->offset != s.applied_offset) {
        *e = (struct nodes_raft_test_image){s.applied_offset, image, node};
        return;
    }
    if (e->image.record_count == image.record_count && e->image.hash == image.hash)
        return;
    m->reported = true;
    inv_check_report(check, node,
                     "state machine at applied offset %lld holds %llu records, %s's held %llu",
                     (long long)s.applied_offset, (unsigned long long)image.record_count,
                     world_node_name(world, e->node), (unsigned long long)e->image.record_count);
}

static void nodes_raft_test_images_check(void *state, struct inv_check *check)
{
    struct nodes_raft_test_images *m = state;
    struct world *world = inv_check_world(check);
    KS_ASSERT(world_node_count(world) <= WORLD_NODES_MAX);
    for (uint32_t i = 0; i < world_node_count(world) && !m->reported; i++) {
        void *impl = world_node_type_of(world, (int)i) == &nodes_raft_controller_type
                         ? world_node_impl(world, (int)i)
                         : NULL;
        if (impl != NULL && raft_node_ctrl(impl) == NULL)
            nodes_raft_test_images_node(m, check, (int)i, impl);
    }
}

const struct inv_def nodes_raft_inv_images_agree_test = {
    .name = "raft_images_agree",
    .summary = "test-mode controllers that applied the log to one offset hold one state "
               "(snapshots included)",
    .create = nodes_raft_test_images_create,
    .destroy = nodes_raft_state_destroy,
    .check_event = nodes_raft_test_images_check,
};

/* ---- crash_after_vote NODES for DURATION ---- */

/*
 * A targeted fault, the one Raft's vote persistence exists for: the first time one of
 * NODES has voted for a controller that has just become leader of that epoch (its
 * BeginQuorumEpoch has not reached the voter yet), the voter loses power at once, is
 * cut off from that leader (both ways, until the next heal) and starts again after
 * DURATION. A voter that persisted its vote remembers it; one that did not
 * (raft_vote_not_persisted) can vote again in the same epoch. One trap per run of
 * the verb; it fires at most once and never in the liveness phase.
 */
struct nodes_raft_trap_args {
    struct scn_node_set nodes;
    uint64_t down_ns;
};

struct nodes_raft_trap {
    struct runner_exec *exec; /* lives as long as the run */
    struct nodes_raft_trap_args args;
    bool fired;
};

static bool nodes_raft_trap_parse(struct scn_parser *p, void **args_out)
{
    struct nodes_raft_trap_args *a = ks_alloc(sizeof(*a));
    *args_out = a;
    struct scn_token t;
    if (!scn_nodes(p, &a->nodes) || !scn_expect_word(p, "for") ||
        !scn_next(p, "how long the voter stays down, such as 100ms", &t) ||
        !scn_token_duration(p, &t, &a->down_ns))
        return false;
    return scn_end(p);
}

static void nodes_raft_trap_restart(void *ctx, uint64_t node)
{
    struct nodes_raft_trap *trap = ctx;
    struct world *world = runner_exec_world(trap->exec);
    KS_ASSERT(trap->fired);
    if (world_node_start(world, (int)node) == KS_OK)
        runner_exec_disturbed(trap->exec);
}

/* The running controller leading epoch as node id leader_id, or -1. */
static int nodes_raft_leader_of(struct world *world, int32_t epoch, int32_t leader_id)
{
    for (uint32_t i = 0; i < world_node_count(world); i++) {
        struct raft *raft = nodes_raft_of(world, (int)i);
        struct raft_status s;
        if (raft != NULL && (raft_status_get(raft, &s), s.state == RAFT_LEADER) &&
            s.epoch == epoch && s.node_id == leader_id)
            return (int)i;
    }
    return -1;
}

static void nodes_raft_trap_fire(struct nodes_raft_trap *trap, int voter, int leader, int32_t epoch)
{
    struct world *world = runner_exec_world(trap->exec);
    KS_ASSERT(voter != leader);
    trap->fired = true;
    world_tracef(world, voter, "fault.crash_after_vote",
                 "voted for %s, leader of epoch %d, and loses power before hearing from it",
                 world_node_name(world, leader), epoch);
    enum ks_err err = world_node_crash(world, voter);
    KS_ASSERT(err == KS_OK);
    world_partition(world, &voter, 1, &leader, 1, false);
    world_at(world, world_now_ns(world) + trap->args.down_ns, nodes_raft_trap_restart, trap,
             (uint64_t)voter);
    runner_exec_disturbed(trap->exec);
}

static void nodes_raft_trap_observe(void *ctx, struct world *world)
{
    struct nodes_raft_trap *trap = ctx;
    if (trap->fired || runner_exec_liveness_began(trap->exec))
        return;
    uint32_t count = trap->args.nodes.all ? world_node_count(world) : trap->args.nodes.count;
    KS_ASSERT(count <= SCN_NODES_MAX);
    for (uint32_t i = 0; i < count; i++) {
        int voter = trap->args.nodes.all ? (int)i : (int)trap->args.nodes.ids[i];
        struct raft *raft = nodes_raft_of(world, voter);
        struct raft_status s;
        if (raft == NULL || world_node_state_of(world, voter) != WORLD_NODE_RUNNING)
            continue;
        raft_status_get(raft, &s);
        if (s.state != RAFT_UNATTACHED || s.voted_id < 0 || s.voted_id == s.node_id)
            continue;
        int leader = nodes_raft_leader_of(world, s.epoch, s.voted_id);
        if (leader >= 0) {
            nodes_raft_trap_fire(trap, voter, leader, s.epoch);
            return;
        }
    }
}

static void nodes_raft_trap_exec(struct runner_exec *x, const void *args)
{
    struct nodes_raft_trap *trap = runner_exec_alloc(x, sizeof(*trap));
    trap->exec = x;
    trap->args = *(const struct nodes_raft_trap_args *)args;
    world_observer_add(runner_exec_world(x), nodes_raft_trap_observe, trap);
}

static const struct scn_verb nodes_raft_verbs[] = {
    {"crash_after_vote", "crash_after_vote NODES for DURATION", SCN_VERB_TIMED | SCN_VERB_BARE,
     nodes_raft_trap_parse, nodes_raft_trap_exec, NULL},
};

/* ---- the scenario module ---- */

static const struct scn_node_kind nodes_raft_kinds[] = {
    {"controller", &nodes_raft_controller_type,
     "a KRaft voter: node.id, controller.quorum.voters (1@c1:9093,...), "
     "controller.quorum.*.ms, raft.test.append.interval.ms",
     NULL, 0},
};

static const struct inv_def *const nodes_raft_invariants[] = {
    &nodes_raft_inv_one_leader_per_epoch,
    &nodes_raft_inv_committed_never_lost,
    &nodes_raft_inv_leader_elected,
    &nodes_raft_inv_images_agree,
    &nodes_raft_inv_leader_in_isr,
    &nodes_raft_inv_stale_brokers_fenced,
    &nodes_raft_inv_partitioned_leader_resigns,
    &nodes_raft_inv_images_agree_test,
};

const struct scn_module nodes_raft_scn_module = {
    .name = "raft",
    .verbs = nodes_raft_verbs,
    .verb_count = KS_ARRAY_COUNT(nodes_raft_verbs),
    .node_kinds = nodes_raft_kinds,
    .node_kind_count = KS_ARRAY_COUNT(nodes_raft_kinds),
    .invariants = nodes_raft_invariants,
    .invariant_count = KS_ARRAY_COUNT(nodes_raft_invariants),
};
