/*
 * pchange.c: leader election and partition changes. Kafka: PartitionChangeBuilder,
 * ReplicationControlManager. See pchange.h.
 */
#include "system/controller/pchange.h"

#include <string.h>


#define PCHANGE_UNCLEAN_CONFIG "unclean.leader.election.enable"

void pchange_context_init(struct pchange_context *ctx, const struct mimage *img,
                          bool unclean_leader_election)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->img = img;
    ctx->unclean_leader_election = unclean_leader_election;
    ctx->broker_going_down = PCHANGE_NO_BROKER;
    ctx->broker_coming_up = PCHANGE_NO_BROKER;
}

bool pchange_broker_acceptable(const struct pchange_context *ctx, int32_t broker_id)
{
    if (broker_id < 0 || broker_id == ctx->broker_going_down)
        return false;
    const struct mimage_broker *b = mimage_broker_find(ctx->img, broker_id);
    if (b == NULL || b->in_controlled_shutdown)
        return false;
    return !b->fenced || broker_id == ctx->broker_coming_up;
}

static bool ids_contain(const int32_t *ids, uint32_t count, int32_t id)
{
    for (uint32_t i = 0; i < count; i++) {
        if (ids[i] == id)
            return true;
    }
    return false;
}

/* The topic's unclean.leader.election.enable, else the broker default. */
static bool unclean_enabled(const struct pchange_context *ctx, const struct mimage_topic *topic)
{
    const char *v = mimage_config_get(ctx->img, MREC_CONFIG_RESOURCE_TOPIC, topic->name,
                                      PCHANGE_UNCLEAN_CONFIG);
    if (v == NULL)
        return ctx->unclean_leader_election;
    return strcmp(v, "true") == 0;
}

static int32_t first_acceptable(const struct pchange_context *ctx, const struct mimage_partition *p,
                                const int32_t *isr, uint32_t isr_count)
{
    for (uint32_t i = 0; i < p->replica_count; i++) {
        int32_t r = p->replicas[i];
        if ((isr == NULL || ids_contain(isr, isr_count, r)) && pchange_broker_acceptable(ctx, r))
            return r;
    }
    return MREC_NO_LEADER;
}

int32_t pchange_elect_leader(const struct pchange_context *ctx, const struct mimage_topic *topic,
                             const struct mimage_partition *p, const int32_t *isr,
                             uint32_t isr_count, bool *unclean_out)
{
    *unclean_out = false;
    if (ctx->bug_elect_outside_isr) /* planted bug: the ISR is not consulted */
        return first_acceptable(ctx, p, NULL, 0);
    if (ids_contain(isr, isr_count, p->leader) && pchange_broker_acceptable(ctx, p->leader))
        return p->leader;
    int32_t leader = first_acceptable(ctx, p, isr, isr_count);
    if (leader != MREC_NO_LEADER || !unclean_enabled(ctx, topic))
        return leader;
    leader = first_acceptable(ctx, p, NULL, 0);
    *unclean_out = leader != MREC_NO_LEADER;
    KS_ASSERT(leader == MREC_NO_LEADER || !ids_contain(isr, isr_count, leader));
    return leader;
}

static bool ids_equal(const int32_t *a, uint32_t a_count, const int32_t *b, uint32_t b_count)
{
    return a_count == b_count && memcmp(a, b, sizeof(int32_t) * a_count) == 0;
}

bool pchange_build(const struct pchange_context *ctx, const struct mimage_topic *topic,
                   int32_t partition_id, const int32_t *target_isr, uint32_t target_isr_count,
                   struct mrec *out)
{
    KS_ASSERT(partition_id >= 0 && (uint32_t)partition_id < topic->partition_count);
    const struct mimage_partition *p = &topic->partitions[partition_id];
    int32_t isr[MREC_REPLICAS_MAX];
    uint32_t isr_count = target_isr != NULL ? target_isr_count : p->isr_count;
    KS_ASSERT(isr_count <= MREC_REPLICAS_MAX);
    memcpy(isr, target_isr != NULL ? target_isr : p->isr, sizeof(int32_t) * isr_count);
    bool unclean;
    int32_t leader = pchange_elect_leader(ctx, topic, p, isr, isr_count, &unclean);
    mrec_init(out, MREC_PARTITION_CHANGE);
    struct mrec_partition_change *c = &out->u.partition_change;
    c->partition_id = partition_id;
    c->topic_id = topic->id;
    if (unclean) {
        isr[0] = leader;
        isr_count = 1;
        c->leader_recovery_state = MREC_LEADER_RECOVERING;
    }
    if (!ids_equal(isr, isr_count, p->isr, p->isr_count)) {
        c->isr.count = (int32_t)isr_count;
        memcpy(c->isr.ids, isr, sizeof(int32_t) * isr_count);
    }
    if (leader != p->leader)
        c->leader = leader;
    return c->isr.count >= 0 || c->leader != MREC_NO_LEADER_CHANGE ||
           c->leader_recovery_state != MREC_LEADER_RECOVERY_UNCHANGED;
}

/* The ISR without broker; an ISR the broker alone holds is kept (leaderless then). */
static uint32_t isr_without(const struct mimage_partition *p, int32_t broker, int32_t *isr)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < p->isr_count; i++) {
        if (p->isr[i] != broker)
            isr[n++] = p->isr[i];
    }
    if (n > 0)
        return n;
    memcpy(isr, p->isr, sizeof(int32_t) * p->isr_count);
    return p->isr_count;
}

uint32_t pchange_broker_down(const struct pchange_context *ctx, pchange_emit_fn emit,
                             void *emit_ctx)
{
    int32_t broker = ctx->broker_going_down;
    uint32_t emitted = 0;
    KS_ASSERT(broker >= 0);
    for (uint32_t t = 0; t < ctx->img->topic_count; t++) {
        const struct mimage_topic *topic = &ctx->img->topics[t];
        for (uint32_t i = 0; i < topic->partition_count; i++) {
            const struct mimage_partition *p = &topic->partitions[i];
            if (p->leader != broker && !mimage_partition_in_isr(p, broker))
                continue;
            int32_t isr[MREC_REPLICAS_MAX];
            uint32_t isr_count = isr_without(p, broker, isr);
            struct mrec rec;
            if (pchange_build(ctx, topic, (int32_t)i, isr, isr_count, &rec)) {
                emit(emit_ctx, &rec);
                emitted++;
            }
        }
    }
    return emitted;
}

uint32_t pchange_broker_up(const struct pchange_context *ctx, pchange_emit_fn emit, void *emit_ctx)
{
    int32_t broker = ctx->broker_coming_up;
    uint32_t emitted = 0;
    KS_ASSERT(broker >= 0);
    for (uint32_t t = 0; t < ctx->img->topic_count; t++) {
        const struct mimage_topic *topic = &ctx->img->topics[t];
        for (uint32_t i = 0; i < topic->partition_count; i++) {
            const struct mimage_partition *p = &topic->partitions[i];
            if (p->leader != MREC_NO_LEADER || !mimage_partition_has_replica(p, broker))
                continue;
            struct mrec rec;
            if (pchange_build(ctx, topic, (int32_t)i, NULL, 0, &rec)) {
                emit(emit_ctx, &rec);
                emitted++;
            }
        }
    }
    return emitted;
}

/* The ISR's shape: members are distinct replicas and include the leader. */
static bool alter_isr_valid(const struct mimage_partition *p, const struct pchange_alter *a)
{
    if (a->isr_count == 0 || a->isr_count > MREC_REPLICAS_MAX)
        return false;
    for (uint32_t i = 0; i < a->isr_count; i++) {
        if (!mimage_partition_has_replica(p, a->isr[i]) || ids_contain(a->isr, i, a->isr[i]))
            return false;
    }
    return ids_contain(a->isr, a->isr_count, p->leader);
}

/* KIP-841 / KIP-903: every new member is active and of the broker epoch it names. */
static bool alter_isr_eligible(const struct pchange_context *ctx, const struct mimage_partition *p,
                               const struct pchange_alter *a)
{
    for (uint32_t i = 0; i < a->isr_count; i++) {
        int32_t id = a->isr[i];
        const struct mimage_broker *b = mimage_broker_find(ctx->img, id);
        if (mimage_partition_in_isr(p, id))
            continue; /* already a member: not newly added */
        if (!pchange_broker_acceptable(ctx, id))
            return false;
        if (a->isr_broker_epochs[i] >= 0 && b->epoch != a->isr_broker_epochs[i])
            return false;
    }
    return true;
}

enum ks_err pchange_alter_partition(const struct pchange_context *ctx,
                                    const struct pchange_alter *alter, struct mrec *out,
                                    bool *has_record)
{
    *has_record = false;
    const struct mimage_topic *topic = mimage_topic_find_id(ctx->img, &alter->topic_id);
    if (topic == NULL)
        return KS_ERR_UNKNOWN_TOPIC_ID;
    if (alter->partition_id < 0 || (uint32_t)alter->partition_id >= topic->partition_count)
        return KS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    const struct mimage_partition *p = &topic->partitions[alter->partition_id];
    if (alter->leader_epoch != p->leader_epoch)
        return KS_ERR_FENCED_LEADER_EPOCH;
    if (alter->broker_id != p->leader)
        return KS_ERR_INVALID_REQUEST;
    if (alter->partition_epoch != p->partition_epoch)
        return KS_ERR_INVALID_UPDATE_VERSION;
    if (!alter_isr_valid(p, alter))
        return KS_ERR_INVALID_REQUEST;
    if (!alter_isr_eligible(ctx, p, alter))
        return KS_ERR_INELIGIBLE_REPLICA;
    *has_record = pchange_build(ctx, topic, alter->partition_id, alter->isr, alter->isr_count, out);
    KS_ASSERT(!*has_record || out->type == MREC_PARTITION_CHANGE);
    return KS_OK;
}
