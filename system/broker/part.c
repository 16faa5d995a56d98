/*
 * part.c: one partition's replica, see part.h. Kafka: Partition, Replica,
 * LeaderEpochFileCache.endOffsetFor.
 */
#include "part.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/bugs.h"

static const char *const part_role_names[] = {"none", "leader", "follower"};

const char *part_role_name(enum part_role role)
{
    KS_ASSERT((unsigned)role < KS_ARRAY_COUNT(part_role_names));
    return part_role_names[role];
}

void part_init(struct part *p, struct env *env, int32_t broker_id, const char *topic,
               const struct wire_uuid *topic_id, int32_t partition, struct plog *log)
{
    KS_ASSERT(strlen(topic) <= PLOG_TOPIC_BYTES_MAX);
    KS_ASSERT(partition >= 0);
    memset(p, 0, sizeof(*p));
    p->env = env;
    snprintf(p->topic, sizeof(p->topic), "%s", topic);
    p->topic_id = *topic_id;
    p->partition = partition;
    p->broker_id = broker_id;
    p->log = log;
    p->role = PART_NONE;
    p->leader_id = -1;
    p->leader_epoch = PART_NO_EPOCH;
    p->partition_epoch = PART_NO_EPOCH;
    p->min_insync_replicas = 1;
    p->fetch_reset = PART_RESET_NONE;
    p->fetch_start_offset = PART_NO_OFFSET;
    pstate_init(&p->producers);
}

void part_free(struct part *p)
{
    pstate_free(&p->producers);
}

static bool part_role_transition_legal(enum part_role from, enum part_role to)
{
    return to != PART_NONE || from == PART_NONE;
}

static void part_set_role(struct part *p, enum part_role to)
{
    KS_ASSERT(part_role_transition_legal(p->role, to));
    env_tracef(p->env, "repl.role", "%s-%d %s -> %s leader=%d epoch=%d leo=%lld hw=%lld", p->topic,
               p->partition, part_role_name(p->role), part_role_name(to), p->leader_id,
               p->leader_epoch, (long long)part_log_end_offset(p),
               (long long)part_high_watermark(p));
    p->role = to;
}

bool part_in_isr(const struct part *p, int32_t broker_id)
{
    for (uint32_t i = 0; i < p->isr_count; i++) {
        if (p->isr[i] == broker_id)
            return true;
    }
    return false;
}

static struct part_replica *part_replica(struct part *p, int32_t broker_id)
{
    for (uint32_t i = 0; i < p->replica_count; i++) {
        if (p->replicas[i].broker_id == broker_id)
            return &p->replicas[i];
    }
    return NULL;
}

static void part_copy_assignment(struct part *p, const struct mimage_partition *state)
{
    KS_ASSERT(state->replica_count <= PART_REPLICAS_MAX);
    KS_ASSERT(state->isr_count <= PART_REPLICAS_MAX);
    p->replica_count = state->replica_count;
    memset(p->replicas, 0, sizeof(p->replicas));
    for (uint32_t i = 0; i < state->replica_count; i++) {
        p->replicas[i].broker_id = state->replicas[i];
        p->replicas[i].log_end_offset = PART_NO_OFFSET;
        p->replicas[i].log_start_offset = PART_NO_OFFSET;
        p->replicas[i].last_fetch_leader_log_end_offset = PART_NO_OFFSET;
    }
    p->isr_count = state->isr_count;
    memcpy(p->isr, state->isr, state->isr_count * sizeof(p->isr[0]));
    p->leader_id = state->leader;
    p->leader_epoch = state->leader_epoch;
    p->partition_epoch = state->partition_epoch;
    p->alter_inflight = false;
    p->alter_isr_count = 0;
}

bool part_make_leader(struct part *p, const struct mimage_partition *state, int64_t now_ms)
{
    KS_ASSERT(state->leader == p->broker_id);
    KS_ASSERT(state->leader_epoch >= p->leader_epoch);
    part_copy_assignment(p, state);
    p->leader_epoch_start_offset = part_log_end_offset(p);
    p->fetch_reset = PART_RESET_NONE;
    p->fetch_start_offset = PART_NO_OFFSET;
    for (uint32_t i = 0; i < p->replica_count; i++) {
        struct part_replica *r = &p->replicas[i];
        r->last_caught_up_ms = part_in_isr(p, r->broker_id) ? now_ms : 0;
        r->last_fetch_ms = now_ms;
    }
    part_set_role(p, PART_LEADER);
    return part_maybe_advance_hw(p);
}

enum ks_err part_make_follower(struct part *p, const struct mimage_partition *state,
                               bool *changed_out)
{
    KS_ASSERT(state->leader != p->broker_id);
    KS_ASSERT(state->leader_epoch >= p->leader_epoch);
    *changed_out = p->role != PART_FOLLOWER || p->leader_id != state->leader ||
                   p->leader_epoch != state->leader_epoch;
    bool was_follower = p->role == PART_FOLLOWER && !*changed_out;
    part_copy_assignment(p, state);
    if (was_follower)
        return KS_OK;
    p->fetch_reset = PART_RESET_NONE; /* a new leader: its answers, not the old one's */
    p->fetch_epochless = false;
    part_set_role(p, PART_FOLLOWER);
    if (env_bug(p->env, KS_BUG_REPL_TRUNCATE_TO_HW)) {
        /* KAFKA-1211 / KIP-101: trust the high watermark instead of leader epochs. */
        env_tracef(p->env, "repl.truncate", "%s-%d to hw %lld (bug)", p->topic, p->partition,
                   (long long)part_high_watermark(p));
        return part_truncate_to(p, part_high_watermark(p));
    }
    return KS_OK;
}

bool part_update_isr(struct part *p, const int32_t *isr, uint32_t isr_count,
                     int32_t partition_epoch)
{
    KS_ASSERT(isr_count <= PART_REPLICAS_MAX);
    KS_ASSERT(partition_epoch >= p->partition_epoch);
    env_tracef(p->env, "repl.isr", "%s-%d partition_epoch %d -> %d isr %u -> %u", p->topic,
               p->partition, p->partition_epoch, partition_epoch, p->isr_count, isr_count);
    p->isr_count = isr_count;
    memcpy(p->isr, isr, isr_count * sizeof(isr[0]));
    p->partition_epoch = partition_epoch;
    p->alter_inflight = false;
    p->alter_isr_count = 0;
    return p->role == PART_LEADER && part_maybe_advance_hw(p);
}

enum ks_err part_check_epoch(const struct part *p, int32_t current_leader_epoch)
{
    if (current_leader_epoch < 0 || current_leader_epoch == p->leader_epoch)
        return KS_OK;
    return current_leader_epoch < p->leader_epoch ? KS_ERR_FENCED_LEADER_EPOCH
                                                  : KS_ERR_UNKNOWN_LEADER_EPOCH;
}

/* Whether broker_id counts for the high watermark: in the ISR or being added to it. */
static bool part_in_maximal_isr(const struct part *p, int32_t broker_id)
{
    if (part_in_isr(p, broker_id))
        return true;
    for (uint32_t i = 0; p->alter_inflight && i < p->alter_isr_count; i++) {
        if (p->alter_isr[i] == broker_id)
            return true;
    }
    return false;
}

/* The minimum log end offset over the maximal ISR; -1 when a member is unknown. */
static int64_t part_isr_min_log_end_offset(struct part *p)
{
    int64_t min = part_log_end_offset(p);
    for (uint32_t i = 0; i < p->replica_count; i++) {
        const struct part_replica *r = &p->replicas[i];
        if (r->broker_id == p->broker_id || !part_in_maximal_isr(p, r->broker_id))
            continue;
        if (r->log_end_offset < 0)
            return PART_NO_OFFSET;
        if (r->log_end_offset < min)
            min = r->log_end_offset;
    }
    return min;
}

bool part_maybe_advance_hw(struct part *p)
{
    KS_ASSERT(p->role == PART_LEADER);
    int64_t hw = part_high_watermark(p);
    int64_t candidate;
    if (p->hw_ignores_isr) {
        candidate = part_log_end_offset(p); /* bug: the followers are not waited for */
    } else {
        if ((int64_t)p->isr_count < p->min_insync_replicas)
            return false; /* KAFKA-15583 */
        candidate = part_isr_min_log_end_offset(p);
    }
    if (candidate < hw && candidate >= p->log->log_start_offset &&
        env_bug(p->env, KS_BUG_KAFKA7128_ISR_EXPAND_BELOW_HW)) {
        plog_set_high_watermark(p->log, candidate); /* bug: the minimum, even below */
        return true;
    }
    if (candidate <= hw)
        return false;
    KS_ASSERT(candidate <= part_log_end_offset(p));
    plog_set_high_watermark(p->log, candidate);
    KS_ASSERT(part_high_watermark(p) == candidate);
    return true;
}

bool part_follower_fetched(struct part *p, int32_t broker_id, int64_t fetch_offset,
                           int64_t log_start_offset, int64_t leader_log_end_offset, int64_t now_ms)
{
    KS_ASSERT(p->role == PART_LEADER);
    KS_ASSERT(fetch_offset <= leader_log_end_offset);
    struct part_replica *r = part_replica(p, broker_id);
    if (r == NULL)
        return false;
    if (fetch_offset >= leader_log_end_offset)
        r->last_caught_up_ms = now_ms;
    else if (fetch_offset >= r->last_fetch_leader_log_end_offset &&
             r->last_fetch_ms > r->last_caught_up_ms)
        r->last_caught_up_ms = r->last_fetch_ms;
    r->last_fetch_leader_log_end_offset = leader_log_end_offset;
    r->last_fetch_ms = now_ms;
    r->log_end_offset = fetch_offset;
    r->log_start_offset = log_start_offset;
    return part_maybe_advance_hw(p);
}

bool part_isr_expand_due(const struct part *p, int32_t broker_id, int32_t *isr, uint32_t *isr_count)
{
    if (p->role != PART_LEADER || p->alter_inflight || part_in_isr(p, broker_id))
        return false;
    const struct part_replica *r = part_replica((struct part *)p, broker_id);
    if (r == NULL || r->log_end_offset < 0)
        return false;
    bool caught_up = r->log_end_offset >= part_high_watermark(p) &&
                     r->log_end_offset >= p->leader_epoch_start_offset; /* KAFKA-7128 */
    if (!caught_up && !env_bug(p->env, KS_BUG_KAFKA7128_ISR_EXPAND_BELOW_HW))
        return false;
    KS_ASSERT(p->isr_count < PART_REPLICAS_MAX);
    memcpy(isr, p->isr, p->isr_count * sizeof(isr[0]));
    isr[p->isr_count] = broker_id;
    *isr_count = p->isr_count + 1;
    return true;
}

bool part_isr_shrink_due(const struct part *p, int64_t now_ms, int64_t lag_max_ms, int32_t *isr,
                         uint32_t *isr_count)
{
    if (p->role != PART_LEADER || p->alter_inflight)
        return false;
    uint32_t count = 0;
    for (uint32_t i = 0; i < p->isr_count; i++) {
        int32_t id = p->isr[i];
        const struct part_replica *r = part_replica((struct part *)p, id);
        bool out_of_sync = id != p->broker_id && r != NULL &&
                           r->log_end_offset != part_log_end_offset(p) &&
                           now_ms - r->last_caught_up_ms > lag_max_ms;
        if (!out_of_sync)
            isr[count++] = id;
    }
    KS_ASSERT(count >= 1); /* the leader stays */
    *isr_count = count;
    return count < p->isr_count;
}

/* The epoch cache as the leader sees it: the log's entries plus its own epoch. */
static uint32_t part_epochs(const struct part *p, struct plog_epoch_entry *out)
{
    uint32_t count = p->log->epoch_count;
    memcpy(out, p->log->epochs, count * sizeof(out[0]));
    bool own = p->role == PART_LEADER && (count == 0 || out[count - 1].epoch < p->leader_epoch);
    if (own && count < PLOG_EPOCHS_MAX + 1)
        out[count++] = (struct plog_epoch_entry){p->leader_epoch, p->leader_epoch_start_offset};
    return count;
}

void part_end_offset_for_epoch(const struct part *p, int32_t requested_epoch, int32_t *epoch_out,
                               int64_t *end_offset_out)
{
    struct plog_epoch_entry *entries = ks_alloc((PLOG_EPOCHS_MAX + 1) * sizeof(*entries));
    uint32_t count = part_epochs(p, entries);
    *epoch_out = PART_NO_EPOCH;
    *end_offset_out = PART_NO_OFFSET;
    if (requested_epoch >= 0 && count > 0) {
        if (requested_epoch == entries[count - 1].epoch) {
            *epoch_out = requested_epoch;
            *end_offset_out = part_log_end_offset(p);
        } else {
            uint32_t higher = 0;
            while (higher < count && entries[higher].epoch <= requested_epoch)
                higher++;
            if (higher < count) {
                *epoch_out = higher == 0 ? requested_epoch : entries[higher - 1].epoch;
                *end_offset_out = entries[higher].start_offset;
            }
        }
    }
    free(entries);
    KS_ASSERT(*end_offset_out <= part_log_end_offset(p));
}

int32_t part_epoch_for_offset(const struct part *p, int64_t offset)
{
    int32_t epoch = PART_NO_EPOCH;
    for (uint32_t i = 0; i < p->log->epoch_count && p->log->epochs[i].start_offset <= offset; i++)
        epoch = p->log->epochs[i].epoch;
    if (p->role == PART_LEADER && offset >= p->leader_epoch_start_offset && epoch < p->leader_epoch)
        epoch = p->leader_epoch;
    return epoch;
}

enum ks_err part_truncate_to(struct part *p, int64_t offset)
{
    KS_ASSERT(offset >= 0);
    if (offset >= part_log_end_offset(p))
        return KS_OK;
    env_tracef(p->env, "repl.truncate", "%s-%d leo %lld -> %lld hw=%lld", p->topic, p->partition,
               (long long)part_log_end_offset(p), (long long)offset,
               (long long)part_high_watermark(p));
    enum ks_err err = plog_truncate_to(p->log, offset);
    if (err == KS_OK)
        err = pstate_truncate(&p->producers, p->log);
    KS_ASSERT(err != KS_OK || part_log_end_offset(p) <= offset);
    return err;
}

int64_t part_fetch_offset(const struct part *p)
{
    int64_t leo = part_log_end_offset(p);
    return p->fetch_start_offset > leo ? p->fetch_start_offset : leo;
}

enum ks_err part_truncate_fully_and_start_at(struct part *p, int64_t offset)
{
    KS_ASSERT(p->role == PART_FOLLOWER);
    KS_ASSERT(offset > part_log_end_offset(p));
    int64_t base = p->log->segments[0]->base_offset;
    env_tracef(p->env, "repl.truncate_fully", "%s-%d leo %lld -> empty, fetch from %lld", p->topic,
               p->partition, (long long)part_log_end_offset(p), (long long)offset);
    enum ks_err err = plog_truncate_to(p->log, base);
    if (err == KS_OK)
        err = pstate_truncate(&p->producers, p->log);
    if (err == KS_OK)
        p->fetch_start_offset = offset;
    KS_ASSERT(err != KS_OK || part_log_end_offset(p) == base);
    return err;
}
