/*
 * gcoord.c: the classic group coordinator's membership protocol: JoinGroup with the
 * MEMBER_ID_REQUIRED handshake (KIP-394) and static members (KIP-345), the join phase
 * (DelayedJoin: until every known member rejoined or the rebalance timeout passed;
 * InitialDelayedJoin: group.initial.rebalance.delay.ms for a new group), generations,
 * the leader, SyncGroup and its deadline (KAFKA-12890), Heartbeat and session expiry,
 * LeaveGroup, DescribeGroups and ListGroups. Kafka: GroupCoordinator, GroupMetadata.
 *
 * Records, offsets and loading are in gcoord_store.c.
 */
#include "gcoord_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/bugs.h"
#include "system/group/offsets_rec.h"

/* ---- Configuration ------------------------------------------------------------- */

void gcoord_config_default(struct gcoord_config *config)
{
    *config = (struct gcoord_config){
        .offsets_partition_count = OFFREC_PARTITION_COUNT_DEFAULT,
        .group_min_session_timeout_ms = 6000,
        .group_max_session_timeout_ms = 1800000,
        .group_initial_rebalance_delay_ms = 3000,
        .group_max_size = (int32_t)GMETA_MEMBERS_MAX,
        .offsets_retention_ms = 7 * 24 * 60 * 60 * 1000LL,
        .offsets_retention_check_interval_ms = 600000,
    };
}

static enum ks_err config_get_i32(const struct props *props, const char *key, int64_t min,
                                  int64_t max, int32_t *field)
{
    int64_t v = 0;
    enum ks_err err = props_get_i64(props, key, *field, &v);
    if (err != KS_OK || v < min || v > max)
        return KS_ERR_INVALID;
    *field = (int32_t)v;
    return KS_OK;
}

enum ks_err gcoord_config_from_props(const struct props *props, struct gcoord_config *out)
{
    struct gcoord_config c;
    gcoord_config_default(&c);
    int32_t retention_minutes = (int32_t)(c.offsets_retention_ms / 60000);
    int32_t check_ms = (int32_t)c.offsets_retention_check_interval_ms;
    enum ks_err err = KS_OK;
    if (err == KS_OK)
        err = config_get_i32(props, "offsets.topic.num.partitions", 1, GCOORD_PARTITIONS_MAX,
                             &c.offsets_partition_count);
    if (err == KS_OK)
        err = config_get_i32(props, "group.min.session.timeout.ms", 0, INT32_MAX,
                             &c.group_min_session_timeout_ms);
    if (err == KS_OK)
        err = config_get_i32(props, "group.max.session.timeout.ms", 0, INT32_MAX,
                             &c.group_max_session_timeout_ms);
    if (err == KS_OK)
        err = config_get_i32(props, "group.initial.rebalance.delay.ms", 0, INT32_MAX,
                             &c.group_initial_rebalance_delay_ms);
    if (err == KS_OK)
        err = config_get_i32(props, "group.max.size", 1, GMETA_MEMBERS_MAX, &c.group_max_size);
    if (err == KS_OK)
        err = config_get_i32(props, "offsets.retention.minutes", 1, INT32_MAX, &retention_minutes);
    if (err == KS_OK)
        err = config_get_i32(props, "offsets.retention.check.interval.ms", 1, INT32_MAX, &check_ms);
    if (err != KS_OK)
        return err;
    c.offsets_retention_ms = (int64_t)retention_minutes * 60000;
    c.offsets_retention_check_interval_ms = check_ms;
    *out = c;
    return KS_OK;
}

/* ---- Errors -------------------------------------------------------------------- */

int16_t gcoord_wire_error(enum ks_err err)
{
    if (err == KS_ERR_UNKNOWN_SERVER_ERROR || err < 0)
        return -1;
    return (int16_t)err;
}

enum ks_err gcoord_append_error(enum ks_err err)
{
    switch (err) {
    case KS_OK:
    case KS_ERR_NOT_COORDINATOR:
        return err;
    case KS_ERR_UNKNOWN_TOPIC_OR_PARTITION:
    case KS_ERR_NOT_ENOUGH_REPLICAS:
    case KS_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case KS_ERR_REQUEST_TIMED_OUT:
        return KS_ERR_COORDINATOR_NOT_AVAILABLE;
    case KS_ERR_NOT_LEADER_OR_FOLLOWER:
    case KS_ERR_KAFKA_STORAGE_ERROR:
        return KS_ERR_NOT_COORDINATOR;
    case KS_ERR_MESSAGE_TOO_LARGE:
    case KS_ERR_RECORD_LIST_TOO_LARGE:
        return KS_ERR_INVALID_COMMIT_OFFSET_SIZE;
    default:
        return KS_ERR_UNKNOWN_SERVER_ERROR;
    }
}

/* ---- The coordinator and its groups ---------------------------------------------- */

struct gcoord *gcoord_create(struct env *env, const struct gcoord_config *config,
                             struct gcoord_log *log)
{
    KS_ASSERT(config->offsets_partition_count > 0);
    KS_ASSERT(config->offsets_partition_count <= (int32_t)GCOORD_PARTITIONS_MAX);
    struct gcoord *c = ks_alloc(sizeof(*c));
    c->env = env;
    c->config = *config;
    c->log = log;
    c->partitions = ks_alloc(sizeof(*c->partitions) * (size_t)config->offsets_partition_count);
    for (int32_t p = 0; p < config->offsets_partition_count; p++)
        c->partitions[p] = (struct gcoord_partition){.coordinator = c, .partition = p};
    c->append_id_next = 1;
    c->join_seq_next = 1;
    c->retention_timer = env_timer_start(
        env, (uint64_t)config->offsets_retention_check_interval_ms * GCOORD_NS_PER_MS,
        gcoord_retention_timer_fire, c);
    return c;
}

static void group_cancel_timers(struct gcoord *c, struct gmeta *g)
{
    if (g->join_timer != 0)
        env_timer_cancel(c->env, g->join_timer);
    if (g->sync_timer != 0)
        env_timer_cancel(c->env, g->sync_timer);
    g->join_timer = 0;
    g->sync_timer = 0;
    for (uint32_t i = 0; i < g->member_count; i++) {
        if (g->members[i]->session_timer != 0)
            env_timer_cancel(c->env, g->members[i]->session_timer);
        g->members[i]->session_timer = 0;
    }
}

/* Forgets every timer id without calling env (after a crash the env dropped them). */
static void forget_timers(struct gcoord *c)
{
    for (uint32_t i = 0; i < c->group_count; i++) {
        struct gmeta *g = c->groups[i];
        g->join_timer = 0;
        g->sync_timer = 0;
        for (uint32_t m = 0; m < g->member_count; m++) {
            g->members[m]->session_timer = 0;
            g->members[m]->join_done = NULL;
            g->members[m]->sync_done = NULL;
        }
    }
    for (int32_t p = 0; p < c->config.offsets_partition_count; p++)
        c->partitions[p].load_timer = 0;
    c->retention_timer = 0;
}

void gcoord_stop(struct gcoord *c)
{
    KS_ASSERT(!c->in_callback);
    for (uint32_t i = 0; i < c->group_count; i++)
        group_cancel_timers(c, c->groups[i]);
    for (int32_t p = 0; p < c->config.offsets_partition_count; p++) {
        if (c->partitions[p].load_timer != 0)
            env_timer_cancel(c->env, c->partitions[p].load_timer);
    }
    if (c->retention_timer != 0)
        env_timer_cancel(c->env, c->retention_timer);
    forget_timers(c);
}

void gcoord_free(struct gcoord *c)
{
    forget_timers(c);
    gcoord_appends_drop(c, -1, false);
    for (uint32_t i = 0; i < c->group_count; i++)
        gmeta_free(c->groups[i]);
    free(c->groups);
    free(c->appends);
    free(c->partitions);
    free(c);
}

int32_t gcoord_partition_for(const struct gcoord_config *config, struct wire_string group_id)
{
    return offrec_partition_for_group(group_id, config->offsets_partition_count);
}

enum ks_err gcoord_partition_error(const struct gcoord *c, struct wire_string group_id)
{
    if (group_id.length <= 0)
        return KS_ERR_INVALID_GROUP_ID;
    int32_t p = gcoord_partition_for(&c->config, group_id);
    KS_ASSERT(p >= 0 && p < c->config.offsets_partition_count);
    switch (c->partitions[p].state) {
    case GCOORD_PARTITION_NOT_OWNED:
        return KS_ERR_NOT_COORDINATOR;
    case GCOORD_PARTITION_LOADING:
        return KS_ERR_COORDINATOR_LOAD_IN_PROGRESS;
    case GCOORD_PARTITION_ACTIVE:
        return KS_OK;
    }
    KS_UNREACHABLE();
}

static uint32_t group_lower_bound(const struct gcoord *c, struct wire_string group_id)
{
    uint32_t lo = 0, hi = c->group_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (gmeta_string_compare(c->groups[mid]->group_id, group_id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct gmeta *gcoord_group_find(const struct gcoord *c, struct wire_string group_id)
{
    uint32_t i = group_lower_bound(c, group_id);
    if (i < c->group_count && wire_string_equal(c->groups[i]->group_id, group_id))
        return c->groups[i];
    return NULL;
}

struct gmeta *gcoord_group_get_or_create(struct gcoord *c, struct wire_string group_id)
{
    struct gmeta *g = gcoord_group_find(c, group_id);
    if (g != NULL)
        return g;
    if (c->group_count >= GCOORD_GROUPS_MAX)
        return NULL;
    if (c->group_count == c->group_capacity) {
        c->group_capacity = c->group_capacity ? c->group_capacity * 2 : 16;
        c->groups = ks_realloc(c->groups, sizeof(*c->groups) * c->group_capacity);
    }
    g = gmeta_create(c->env, c, group_id, gcoord_partition_for(&c->config, group_id));
    uint32_t i = group_lower_bound(c, group_id);
    memmove(&c->groups[i + 1], &c->groups[i], sizeof(*c->groups) * (c->group_count - i));
    c->groups[i] = g;
    c->group_count++;
    KS_ASSERT(gcoord_group_find(c, group_id) == g);
    return g;
}

/* ---- Answering ----------------------------------------------------------------- */

static void join_answer(struct gcoord *c, gmeta_join_done_fn done, void *ctx,
                        const struct api_join_group_response *r)
{
    KS_ASSERT(!c->in_callback);
    c->in_callback = true;
    done(ctx, r);
    c->in_callback = false;
}

static void join_answer_error(struct gcoord *c, gmeta_join_done_fn done, void *ctx,
                              struct wire_string member_id, enum ks_err err)
{
    KS_ASSERT(err != KS_OK);
    struct api_join_group_response r = {
        .error_code = gcoord_wire_error(err),
        .generation_id = -1,
        .protocol_type = wire_string_null(),
        .protocol_name = wire_string_from(""),
        .leader = wire_string_from(""),
        .member_id = member_id.length < 0 ? wire_string_from("") : member_id,
    };
    join_answer(c, done, ctx, &r);
}

static void sync_answer(struct gcoord *c, gmeta_sync_done_fn done, void *ctx, enum ks_err err,
                        const struct gmeta *g, struct wire_bytes assignment)
{
    KS_ASSERT(!c->in_callback);
    struct api_sync_group_response r = {
        .error_code = gcoord_wire_error(err),
        .protocol_type = err == KS_OK ? g->protocol_type : wire_string_null(),
        .protocol_name = err == KS_OK ? g->protocol : wire_string_null(),
        .assignment = err == KS_OK ? assignment : (struct wire_bytes){(const uint8_t *)"", 0},
    };
    c->in_callback = true;
    done(ctx, &r);
    c->in_callback = false;
}

/* Answers the member's waiting JoinGroup and SyncGroup with err. */
static void member_answer_waiters(struct gcoord *c, struct gmeta_member *m, enum ks_err err)
{
    if (m->join_done != NULL) {
        gmeta_join_done_fn done = m->join_done;
        m->join_done = NULL;
        m->awaiting_join = false;
        join_answer_error(c, done, m->join_ctx, m->member_id, err);
    }
    if (m->sync_done != NULL) {
        gmeta_sync_done_fn done = m->sync_done;
        m->sync_done = NULL;
        sync_answer(c, done, m->sync_ctx, err, m->group, m->assignment);
    }
    KS_ASSERT(!m->awaiting_join);
}

void gcoord_group_remove(struct gcoord *c, struct gmeta *g, enum ks_err answer_err)
{
    group_cancel_timers(c, g);
    for (uint32_t i = 0; i < g->member_count; i++)
        member_answer_waiters(c, g->members[i], answer_err);
    if (g->state != GMETA_DEAD)
        gmeta_set_state(g, GMETA_DEAD, ks_err_name(answer_err));
    uint32_t i = group_lower_bound(c, g->group_id);
    KS_ASSERT(i < c->group_count && c->groups[i] == g);
    memmove(&c->groups[i], &c->groups[i + 1], sizeof(*c->groups) * (c->group_count - i - 1));
    c->group_count--;
    gmeta_free(g);
}

/* ---- Timers -------------------------------------------------------------------- */

static void member_session_fire(void *ctx);
static void remove_member_and_update(struct gcoord *c, struct gmeta *g, struct gmeta_member *m,
                                     const char *reason, bool expired);

void gcoord_member_touch(struct gcoord *c, struct gmeta_member *m)
{
    uint64_t timeout_ns = (uint64_t)m->session_timeout_ms * GCOORD_NS_PER_MS;
    m->session_deadline_ns = env_mono_ns(c->env) + timeout_ns;
    if (m->session_timer == 0)
        m->session_timer = env_timer_start(c->env, timeout_ns, member_session_fire, m);
    KS_ASSERT(m->session_timer != 0);
}

/* DelayedHeartbeat: expire a member whose deadline passed, unless it waits in a join or
 * sync (then the rebalance deadlines bound it). */
static void member_session_fire(void *ctx)
{
    struct gmeta_member *m = ctx;
    struct gmeta *g = m->group;
    struct gcoord *c = g->coordinator;
    m->session_timer = 0;
    uint64_t now = env_mono_ns(c->env);
    if (m->awaiting_join || m->sync_done != NULL)
        m->session_deadline_ns = now + (uint64_t)m->session_timeout_ms * GCOORD_NS_PER_MS;
    if (now < m->session_deadline_ns) {
        m->session_timer =
            env_timer_start(c->env, m->session_deadline_ns - now, member_session_fire, m);
        return;
    }
    remove_member_and_update(c, g, m, "session timeout", true);
}

static void complete_join(struct gcoord *c, struct gmeta *g);

/* DelayedJoin / InitialDelayedJoin expiry. */
static void group_join_fire(void *ctx)
{
    struct gmeta *g = ctx;
    struct gcoord *c = g->coordinator;
    g->join_timer = 0;
    KS_ASSERT(g->state == GMETA_PREPARING_REBALANCE);
    if (g->initial_delay_active && g->new_member_added && g->initial_delay_remaining_ms > 0) {
        int64_t delay = c->config.group_initial_rebalance_delay_ms;
        if (delay > g->initial_delay_remaining_ms)
            delay = g->initial_delay_remaining_ms;
        g->initial_delay_remaining_ms -= delay;
        g->new_member_added = false;
        g->join_timer =
            env_timer_start(c->env, (uint64_t)delay * GCOORD_NS_PER_MS, group_join_fire, g);
        return;
    }
    g->initial_delay_active = false;
    complete_join(c, g);
}

static int32_t group_rebalance_timeout_ms(const struct gmeta *g)
{
    int32_t timeout = 0;
    for (uint32_t i = 0; i < g->member_count; i++) {
        if (g->members[i]->rebalance_timeout_ms > timeout)
            timeout = g->members[i]->rebalance_timeout_ms;
    }
    return timeout;
}

static void prepare_rebalance(struct gcoord *c, struct gmeta *g, const char *reason);

/* KAFKA-12890: members that sent no SyncGroup within the rebalance timeout go. */
static void group_sync_fire(void *ctx)
{
    struct gmeta *g = ctx;
    struct gcoord *c = g->coordinator;
    g->sync_timer = 0;
    KS_ASSERT(g->state == GMETA_COMPLETING_REBALANCE || g->state == GMETA_STABLE);
    uint32_t removed = 0;
    for (uint32_t i = g->member_count; i > 0; i--) {
        struct gmeta_member *m = g->members[i - 1];
        if (!m->sync_pending)
            continue;
        env_tracef(c->env, "group.member", "group %.*s: %.*s sent no SyncGroup in time",
                   (int)g->group_id.length, g->group_id.chars, (int)m->member_id.length,
                   m->member_id.chars);
        if (m->session_timer != 0)
            env_timer_cancel(c->env, m->session_timer);
        m->session_timer = 0;
        member_answer_waiters(c, m, KS_ERR_UNKNOWN_MEMBER_ID);
        gmeta_member_remove(g, m);
        gmeta_member_free(m);
        removed++;
    }
    if (removed > 0)
        prepare_rebalance(c, g, "members missed the SyncGroup deadline");
}

/* ---- Rebalances ---------------------------------------------------------------- */

static void group_reset_assignments(struct gcoord *c, struct gmeta *g, enum ks_err err)
{
    for (uint32_t i = 0; i < g->member_count; i++) {
        struct gmeta_member *m = g->members[i];
        gmeta_member_set_assignment(m, (struct wire_bytes){NULL, 0});
        m->sync_pending = false;
        if (m->sync_done != NULL) {
            gmeta_sync_done_fn done = m->sync_done;
            m->sync_done = NULL;
            sync_answer(c, done, m->sync_ctx, err, g, m->assignment);
        }
    }
}

static bool all_members_joined(struct gcoord *c, struct gmeta *g)
{
    gmeta_pending_prune(g, env_mono_ns(c->env));
    if (g->pending_count > 0)
        return false;
    for (uint32_t i = 0; i < g->member_count; i++) {
        if (!g->members[i]->awaiting_join)
            return false;
    }
    return true;
}

static void maybe_complete_join(struct gcoord *c, struct gmeta *g)
{
    if (g->state == GMETA_PREPARING_REBALANCE && !g->initial_delay_active &&
        all_members_joined(c, g))
        complete_join(c, g);
}

/* GroupCoordinator.prepareRebalance: a join phase bounded by the rebalance timeout, or
 * for a new group the initial delay. */
static void prepare_rebalance(struct gcoord *c, struct gmeta *g, const char *reason)
{
    KS_ASSERT(g->state != GMETA_PREPARING_REBALANCE && g->state != GMETA_DEAD);
    if (g->state == GMETA_COMPLETING_REBALANCE || g->state == GMETA_STABLE)
        group_reset_assignments(c, g, KS_ERR_REBALANCE_IN_PROGRESS);
    if (g->sync_timer != 0)
        env_timer_cancel(c->env, g->sync_timer);
    g->sync_timer = 0;
    int64_t timeout = group_rebalance_timeout_ms(g);
    int64_t delay = timeout;
    g->initial_delay_active =
        g->state == GMETA_EMPTY && c->config.group_initial_rebalance_delay_ms > 0;
    if (g->initial_delay_active) {
        delay = c->config.group_initial_rebalance_delay_ms < timeout
                    ? c->config.group_initial_rebalance_delay_ms
                    : timeout;
        g->initial_delay_remaining_ms = timeout - delay;
        g->new_member_added = false;
    }
    gmeta_set_state(g, GMETA_PREPARING_REBALANCE, reason);
    KS_ASSERT(g->join_timer == 0);
    g->join_timer = env_timer_start(c->env, (uint64_t)delay * GCOORD_NS_PER_MS, group_join_fire, g);
    maybe_complete_join(c, g);
}

/* Removes members that did not rejoin (DelayedJoin.onExpiration's cleanup). */
static void remove_absent_members(struct gcoord *c, struct gmeta *g)
{
    for (uint32_t i = g->member_count; i > 0; i--) {
        struct gmeta_member *m = g->members[i - 1];
        if (m->awaiting_join)
            continue;
        env_tracef(c->env, "group.member", "group %.*s: %.*s did not rejoin in time, removed",
                   (int)g->group_id.length, g->group_id.chars, (int)m->member_id.length,
                   m->member_id.chars);
        if (m->session_timer != 0)
            env_timer_cancel(c->env, m->session_timer);
        m->session_timer = 0;
        member_answer_waiters(c, m, KS_ERR_UNKNOWN_MEMBER_ID);
        gmeta_member_remove(g, m);
        gmeta_member_free(m);
    }
}

static void group_choose_leader(struct gmeta *g)
{
    if (g->leader.length >= 0 && gmeta_member_find(g, g->leader) != NULL)
        return;
    const struct gmeta_member *first = g->members[0];
    for (uint32_t i = 1; i < g->member_count; i++) {
        if (g->members[i]->join_seq < first->join_seq)
            first = g->members[i];
    }
    gmeta_set_string(&g->leader, first->member_id);
}

static void join_answer_member(struct gcoord *c, struct gmeta *g, struct gmeta_member *m,
                               struct api_join_group_member *all)
{
    bool leader = gmeta_is_leader(g, m);
    struct api_join_group_response r = {
        .generation_id = g->generation,
        .protocol_type = g->protocol_type,
        .protocol_name = g->protocol,
        .leader = g->leader,
        .member_id = m->member_id,
        .member_count = leader ? g->member_count : 0,
        .members = leader ? all : NULL,
    };
    gmeta_join_done_fn done = m->join_done;
    m->join_done = NULL;
    m->awaiting_join = false;
    if (done != NULL)
        join_answer(c, done, m->join_ctx, &r);
}

static void group_stored_ignore(struct gcoord *c, void *data, enum ks_err err) {}

/* GroupCoordinator.onCompleteJoin: a new generation, or Empty when nobody rejoined. */
static void complete_join(struct gcoord *c, struct gmeta *g)
{
    KS_ASSERT(g->state == GMETA_PREPARING_REBALANCE);
    if (g->join_timer != 0)
        env_timer_cancel(c->env, g->join_timer);
    g->join_timer = 0;
    g->initial_delay_active = false;
    remove_absent_members(c, g);
    g->generation++;
    g->generation_member_count = g->member_count;
    if (g->member_count == 0) {
        gmeta_string_free(&g->protocol);
        gmeta_string_free(&g->leader);
        gmeta_set_state(g, GMETA_EMPTY, "nobody rejoined");
        gcoord_store_group(c, g, false, group_stored_ignore, NULL, NULL);
        return;
    }
    struct wire_string protocol;
    bool selected = gmeta_select_protocol(g, &protocol);
    KS_ASSERT(selected); /* joins were checked against the common protocols */
    gmeta_set_string(&g->protocol, protocol);
    group_choose_leader(g);
    gmeta_set_state(g, GMETA_COMPLETING_REBALANCE, "join phase complete");
    struct api_join_group_member *all = ks_alloc(sizeof(*all) * g->member_count);
    for (uint32_t i = 0; i < g->member_count; i++) {
        struct gmeta_member *m = g->members[i];
        all[i] = (struct api_join_group_member){m->member_id, m->group_instance_id,
                                                gmeta_member_metadata(g, m)};
        m->generation = g->generation;
        m->sync_pending = true;
        gcoord_member_touch(c, m);
    }
    uint32_t count = g->member_count;
    struct gmeta_member **members = ks_alloc(sizeof(*members) * count);
    memcpy(members, g->members, sizeof(*members) * count);
    for (uint32_t i = 0; i < count; i++)
        join_answer_member(c, g, members[i], all);
    free(members);
    free(all);
    g->sync_timer = env_timer_start(
        c->env, (uint64_t)group_rebalance_timeout_ms(g) * GCOORD_NS_PER_MS, group_sync_fire, g);
}

/* GroupCoordinator.removeMemberAndUpdateGroup. */
static void remove_member_and_update(struct gcoord *c, struct gmeta *g, struct gmeta_member *m,
                                     const char *reason, bool expired)
{
    env_tracef(c->env, "group.member", "group %.*s generation %d: %.*s leaves (%s)",
               (int)g->group_id.length, g->group_id.chars, g->generation, (int)m->member_id.length,
               m->member_id.chars, reason);
    if (m->session_timer != 0)
        env_timer_cancel(c->env, m->session_timer);
    m->session_timer = 0;
    member_answer_waiters(c, m, KS_ERR_UNKNOWN_MEMBER_ID);
    gmeta_member_remove(g, m);
    gmeta_member_free(m);
    switch (g->state) {
    case GMETA_STABLE:
    case GMETA_COMPLETING_REBALANCE:
        if (expired && env_bug(c->env, KS_BUG_GROUP_SKIP_REBALANCE_ON_EXPIRY))
            return;
        prepare_rebalance(c, g, reason);
        return;
    case GMETA_PREPARING_REBALANCE:
        maybe_complete_join(c, g);
        return;
    case GMETA_EMPTY:
    case GMETA_DEAD:
        KS_UNREACHABLE(); /* such groups have no members */
    }
}

/* ---- JoinGroup ----------------------------------------------------------------- */

/* "<prefix>-<uuid>", as Kafka builds member ids. */
static struct wire_string member_id_new(struct gcoord *c, struct wire_string prefix, char *buf,
                                        uint32_t buf_size)
{
    KS_ASSERT(buf_size >= 64);
    uint64_t hi = env_random(c->env), lo = env_random(c->env);
    int32_t prefix_len = prefix.length < 0 ? 0 : prefix.length;
    if (prefix_len > (int32_t)buf_size - 48)
        prefix_len = (int32_t)buf_size - 48;
    int n = snprintf(buf, buf_size, "%.*s-%08x-%04x-%04x-%04x-%012llx", (int)prefix_len,
                     prefix.chars ? prefix.chars : "", (unsigned)(hi >> 32),
                     (unsigned)(hi >> 16) & 0xffffu, (unsigned)hi & 0xffffu, (unsigned)(lo >> 48),
                     (unsigned long long)(lo & 0xffffffffffffull));
    KS_ASSERT(n > 0 && (uint32_t)n < buf_size);
    return (struct wire_string){buf, n};
}

static void member_await_join(struct gcoord *c, struct gmeta_member *m, gmeta_join_done_fn done,
                              void *ctx)
{
    if (m->join_done != NULL) { /* a retried JoinGroup replaces the earlier one */
        gmeta_join_done_fn old = m->join_done;
        m->join_done = NULL;
        join_answer_error(c, old, m->join_ctx, m->member_id, KS_ERR_REBALANCE_IN_PROGRESS);
    }
    m->awaiting_join = true;
    m->join_done = done;
    m->join_ctx = ctx;
    gcoord_member_touch(c, m);
}

/* Joins a member the group has (after checks) to the coming rebalance. */
static void join_rebalance(struct gcoord *c, struct gmeta *g, struct gmeta_member *m,
                           gmeta_join_done_fn done, void *ctx, const char *reason)
{
    member_await_join(c, m, done, ctx);
    if (g->state == GMETA_PREPARING_REBALANCE)
        maybe_complete_join(c, g);
    else
        prepare_rebalance(c, g, reason);
}

static void add_member_and_rebalance(struct gcoord *c, struct gmeta *g,
                                     const struct gcoord_client *client,
                                     const struct api_join_group_request *request,
                                     struct wire_string member_id, gmeta_join_done_fn done,
                                     void *ctx)
{
    if (g->member_count >= (uint32_t)c->config.group_max_size) {
        join_answer_error(c, done, ctx, member_id, KS_ERR_GROUP_MAX_SIZE_REACHED);
        return;
    }
    struct gmeta_member *m = gmeta_member_create(g, member_id, request, client->client_id,
                                                 client->client_host, c->join_seq_next++);
    gmeta_member_insert(g, m);
    g->new_member_added = true;
    env_tracef(c->env, "group.member", "group %.*s generation %d: %.*s joins",
               (int)g->group_id.length, g->group_id.chars, g->generation, (int)member_id.length,
               member_id.chars);
    join_rebalance(c, g, m, done, ctx, "a member joins");
}

/* Answers a member's JoinGroup at once with the current generation (a follower that
 * rejoined with unchanged metadata, or whose first answer got lost). */
static void join_answer_current(struct gcoord *c, struct gmeta *g, struct gmeta_member *m,
                                gmeta_join_done_fn done, void *ctx)
{
    struct api_join_group_member *all = NULL;
    bool leader = gmeta_is_leader(g, m);
    if (leader) {
        all = ks_alloc(sizeof(*all) * g->member_count);
        for (uint32_t i = 0; i < g->member_count; i++)
            all[i] = (struct api_join_group_member){g->members[i]->member_id,
                                                    g->members[i]->group_instance_id,
                                                    gmeta_member_metadata(g, g->members[i])};
    }
    struct api_join_group_response r = {
        .generation_id = g->generation,
        .protocol_type = g->protocol_type,
        .protocol_name = g->protocol,
        .leader = g->leader,
        .member_id = m->member_id,
        .member_count = leader ? g->member_count : 0,
        .members = all,
    };
    gcoord_member_touch(c, m);
    join_answer(c, done, ctx, &r);
    free(all);
}

struct static_replace {
    struct wire_string group_id; /* owned */
    struct wire_string old_id;   /* owned */
    struct wire_string new_id;   /* owned */
    int32_t generation;
    gmeta_join_done_fn done;
    void *ctx;
};

static void static_replace_free(void *data)
{
    struct static_replace *s = data;
    gmeta_string_free(&s->group_id);
    gmeta_string_free(&s->old_id);
    gmeta_string_free(&s->new_id);
    free(s);
}

/* The GroupMetadata record of a static member's replacement is replicated (or not). */
static void static_replace_stored(struct gcoord *c, void *data, enum ks_err err)
{
    struct static_replace *s = data;
    struct gmeta *g = gcoord_group_find(c, s->group_id);
    struct gmeta_member *m = g ? gmeta_member_find(g, s->new_id) : NULL;
    if (m == NULL || g->generation != s->generation) {
        join_answer_error(c, s->done, s->ctx, s->new_id,
                          err == KS_OK ? KS_ERR_REBALANCE_IN_PROGRESS : gcoord_append_error(err));
        return;
    }
    if (err != KS_OK) { /* the old instance keeps its place */
        gmeta_member_rename(g, m, s->old_id);
        join_answer_error(c, s->done, s->ctx, s->new_id, gcoord_append_error(err));
        return;
    }
    join_answer_current(c, g, m, s->done, s->ctx);
}

/* KIP-345: a known group.instance.id rejoins with no member id: the new instance takes
 * the old member's place; a Stable group with unchanged protocols does not rebalance. */
static void replace_static_member(struct gcoord *c, struct gmeta *g, struct gmeta_member *m,
                                  const struct api_join_group_request *request,
                                  struct wire_string new_id, gmeta_join_done_fn done, void *ctx)
{
    bool same = gmeta_member_same_protocols(m, request);
    env_tracef(c->env, "group.member", "group %.*s generation %d: static %.*s replaces %.*s",
               (int)g->group_id.length, g->group_id.chars, g->generation, (int)new_id.length,
               new_id.chars, (int)m->member_id.length, m->member_id.chars);
    member_answer_waiters(c, m, KS_ERR_FENCED_INSTANCE_ID);
    struct wire_string old_id = gmeta_string_dup(m->member_id);
    gmeta_member_rename(g, m, new_id);
    gmeta_member_update(m, request);
    if (g->state == GMETA_STABLE && same) {
        struct static_replace *s = ks_alloc(sizeof(*s));
        *s = (struct static_replace){gmeta_string_dup(g->group_id),
                                     old_id,
                                     gmeta_string_dup(new_id),
                                     g->generation,
                                     done,
                                     ctx};
        gcoord_member_touch(c, m);
        gcoord_store_group(c, g, false, static_replace_stored, s, static_replace_free);
        return;
    }
    gmeta_string_free(&old_id);
    join_rebalance(c, g, m, done, ctx, "a static member rejoins with new metadata");
}

static void join_new_member(struct gcoord *c, struct gmeta *g, const struct gcoord_client *client,
                            const struct api_join_group_request *request, gmeta_join_done_fn done,
                            void *ctx)
{
    char buf[GCOORD_MEMBER_ID_BYTES_MAX];
    bool is_static = request->group_instance_id.length >= 0;
    struct wire_string prefix = is_static ? request->group_instance_id : client->client_id;
    struct wire_string id = member_id_new(c, prefix, buf, sizeof(buf));
    if (is_static) {
        struct gmeta_member *old = gmeta_member_find_static(g, request->group_instance_id);
        if (old != NULL)
            replace_static_member(c, g, old, request, id, done, ctx);
        else
            add_member_and_rebalance(c, g, client, request, id, done, ctx);
        return;
    }
    if (client->api_version >= API_JOIN_GROUP_MEMBER_ID_REQUIRED_VERSION_FIRST) {
        uint64_t deadline =
            env_mono_ns(c->env) + (uint64_t)request->session_timeout_ms * GCOORD_NS_PER_MS;
        enum ks_err err = gmeta_pending_add(g, id, deadline);
        join_answer_error(c, done, ctx, id,
                          err == KS_OK ? KS_ERR_MEMBER_ID_REQUIRED
                                       : KS_ERR_GROUP_MAX_SIZE_REACHED);
        return;
    }
    add_member_and_rebalance(c, g, client, request, id, done, ctx);
}

static void join_known_member(struct gcoord *c, struct gmeta *g, const struct gcoord_client *client,
                              const struct api_join_group_request *request, gmeta_join_done_fn done,
                              void *ctx)
{
    struct gmeta_member *m = gmeta_member_find(g, request->member_id);
    if (m == NULL && gmeta_pending_take(g, request->member_id, env_mono_ns(c->env))) {
        add_member_and_rebalance(c, g, client, request, request->member_id, done, ctx);
        return;
    }
    struct gmeta_member *by_instance = gmeta_member_find_static(g, request->group_instance_id);
    if (by_instance != NULL && by_instance != m) {
        join_answer_error(c, done, ctx, request->member_id, KS_ERR_FENCED_INSTANCE_ID);
        return;
    }
    if (m == NULL) {
        join_answer_error(c, done, ctx, request->member_id, KS_ERR_UNKNOWN_MEMBER_ID);
        return;
    }
    bool same = gmeta_member_same_protocols(m, request);
    switch (g->state) {
    case GMETA_PREPARING_REBALANCE:
        gmeta_member_update(m, request);
        join_rebalance(c, g, m, done, ctx, "a member rejoins");
        return;
    case GMETA_COMPLETING_REBALANCE:
    case GMETA_STABLE:
        if (same && (g->state == GMETA_COMPLETING_REBALANCE || !gmeta_is_leader(g, m))) {
            join_answer_current(c, g, m, done, ctx);
            return;
        }
        gmeta_member_update(m, request);
        join_rebalance(c, g, m, done, ctx,
                       same ? "the leader rejoins" : "a member rejoins with new metadata");
        return;
    case GMETA_EMPTY:
    case GMETA_DEAD:
        break;
    }
    KS_UNREACHABLE(); /* a group with members is neither Empty nor Dead */
}

static enum ks_err join_validate(const struct gcoord *c,
                                 const struct api_join_group_request *request)
{
    enum ks_err err = gcoord_partition_error(c, request->group_id);
    if (err != KS_OK)
        return err;
    if (request->session_timeout_ms < c->config.group_min_session_timeout_ms ||
        request->session_timeout_ms > c->config.group_max_session_timeout_ms)
        return KS_ERR_INVALID_SESSION_TIMEOUT;
    if (request->protocol_type.length <= 0 || request->protocol_count == 0 ||
        request->protocol_count > GMETA_PROTOCOLS_MAX)
        return KS_ERR_INCONSISTENT_GROUP_PROTOCOL;
    if (request->member_id.length < 0 ||
        request->member_id.length > (int32_t)GCOORD_MEMBER_ID_BYTES_MAX)
        return KS_ERR_INVALID_REQUEST;
    return KS_OK;
}

void gcoord_join_group(struct gcoord *c, const struct gcoord_client *client,
                       const struct api_join_group_request *request, gmeta_join_done_fn done,
                       void *ctx)
{
    KS_ASSERT(!c->in_callback);
    enum ks_err err = join_validate(c, request);
    struct gmeta *g = NULL;
    if (err == KS_OK) {
        g = request->member_id.length == 0 ? gcoord_group_get_or_create(c, request->group_id)
                                           : gcoord_group_find(c, request->group_id);
        if (g == NULL)
            err = request->member_id.length == 0 ? KS_ERR_COORDINATOR_NOT_AVAILABLE
                                                 : KS_ERR_UNKNOWN_MEMBER_ID;
        else if (g->state == GMETA_DEAD)
            err = KS_ERR_COORDINATOR_NOT_AVAILABLE;
        else if (!gmeta_protocols_supported(g, request))
            err = KS_ERR_INCONSISTENT_GROUP_PROTOCOL;
    }
    if (err != KS_OK) {
        join_answer_error(c, done, ctx, request->member_id, err);
        return;
    }
    if (g->member_count == 0)
        gmeta_set_string(&g->protocol_type, request->protocol_type);
    if (request->member_id.length == 0)
        join_new_member(c, g, client, request, done, ctx);
    else
        join_known_member(c, g, client, request, done, ctx);
}

/* ---- SyncGroup ----------------------------------------------------------------- */

struct sync_stored {
    struct wire_string group_id; /* owned */
    int32_t generation;
};

static void sync_stored_free(void *data)
{
    struct sync_stored *s = data;
    gmeta_string_free(&s->group_id);
    free(s);
}

/* The leader's assignment is replicated: the group is Stable, every waiting member gets
 * its share. On failure the members rejoin. */
static void sync_stored(struct gcoord *c, void *data, enum ks_err err)
{
    struct sync_stored *s = data;
    struct gmeta *g = gcoord_group_find(c, s->group_id);
    if (g == NULL || g->generation != s->generation || g->state != GMETA_COMPLETING_REBALANCE)
        return; /* a rebalance or an unload answered the waiters already */
    if (err != KS_OK) {
        group_reset_assignments(c, g, gcoord_append_error(err));
        prepare_rebalance(c, g, "the group metadata write failed");
        return;
    }
    gmeta_set_state(g, GMETA_STABLE, "the leader's assignment is stored");
    for (uint32_t i = 0; i < g->member_count; i++) {
        struct gmeta_member *m = g->members[i];
        if (m->sync_done == NULL)
            continue;
        gmeta_sync_done_fn done = m->sync_done;
        m->sync_done = NULL;
        sync_answer(c, done, m->sync_ctx, KS_OK, g, m->assignment);
    }
}

static void sync_store_leader_assignment(struct gcoord *c, struct gmeta *g,
                                         const struct api_sync_group_request *request)
{
    for (uint32_t i = 0; i < g->member_count; i++)
        gmeta_member_set_assignment(g->members[i], (struct wire_bytes){NULL, 0});
    for (uint32_t i = 0; i < request->assignment_count; i++) {
        const struct api_sync_group_assignment *a = &request->assignments[i];
        struct gmeta_member *m = gmeta_member_find(g, a->member_id);
        if (m != NULL)
            gmeta_member_set_assignment(m, a->assignment);
    }
    struct sync_stored *s = ks_alloc(sizeof(*s));
    *s = (struct sync_stored){gmeta_string_dup(g->group_id), g->generation};
    gcoord_store_group(c, g, false, sync_stored, s, sync_stored_free);
}

/* The checks every member request makes (GroupCoordinator.validateCurrentMember). */
static enum ks_err member_validate(const struct gmeta *g, struct wire_string member_id,
                                   struct wire_string group_instance_id, struct gmeta_member **out)
{
    struct gmeta_member *by_instance = gmeta_member_find_static(g, group_instance_id);
    if (by_instance != NULL && !wire_string_equal(by_instance->member_id, member_id))
        return KS_ERR_FENCED_INSTANCE_ID;
    *out = gmeta_member_find(g, member_id);
    if (*out == NULL)
        return KS_ERR_UNKNOWN_MEMBER_ID;
    if (group_instance_id.length >= 0 &&
        !wire_string_equal((*out)->group_instance_id, group_instance_id))
        return KS_ERR_FENCED_INSTANCE_ID;
    return KS_OK;
}

static enum ks_err sync_validate(struct gcoord *c, const struct api_sync_group_request *request,
                                 struct gmeta **g_out, struct gmeta_member **m_out)
{
    enum ks_err err = gcoord_partition_error(c, request->group_id);
    if (err != KS_OK)
        return err;
    struct gmeta *g = gcoord_group_find(c, request->group_id);
    if (g == NULL)
        return KS_ERR_UNKNOWN_MEMBER_ID;
    if (g->state == GMETA_DEAD)
        return KS_ERR_COORDINATOR_NOT_AVAILABLE;
    err = member_validate(g, request->member_id, request->group_instance_id, m_out);
    if (err != KS_OK)
        return err;
    if (request->generation_id != g->generation)
        return KS_ERR_ILLEGAL_GENERATION;
    if ((request->protocol_type.length >= 0 &&
         !wire_string_equal(request->protocol_type, g->protocol_type)) ||
        (request->protocol_name.length >= 0 &&
         !wire_string_equal(request->protocol_name, g->protocol)))
        return KS_ERR_INCONSISTENT_GROUP_PROTOCOL;
    *g_out = g;
    return KS_OK;
}

void gcoord_sync_group(struct gcoord *c, const struct gcoord_client *client,
                       const struct api_sync_group_request *request, gmeta_sync_done_fn done,
                       void *ctx)
{
    KS_ASSERT(!c->in_callback);
    struct gmeta *g = NULL;
    struct gmeta_member *m = NULL;
    enum ks_err err = sync_validate(c, request, &g, &m);
    if (err == KS_OK && g->state == GMETA_PREPARING_REBALANCE)
        err = KS_ERR_REBALANCE_IN_PROGRESS;
    if (err != KS_OK) {
        sync_answer(c, done, ctx, err, g, (struct wire_bytes){NULL, 0});
        return;
    }
    KS_ASSERT(g->state == GMETA_COMPLETING_REBALANCE || g->state == GMETA_STABLE);
    m->sync_pending = false;
    gcoord_member_touch(c, m);
    if (g->state == GMETA_STABLE) {
        sync_answer(c, done, ctx, KS_OK, g, m->assignment);
        return;
    }
    if (m->sync_done != NULL) { /* a retried SyncGroup replaces the earlier one */
        gmeta_sync_done_fn old = m->sync_done;
        m->sync_done = NULL;
        sync_answer(c, old, m->sync_ctx, KS_ERR_REBALANCE_IN_PROGRESS, g, m->assignment);
    }
    m->sync_done = done;
    m->sync_ctx = ctx;
    if (gmeta_is_leader(g, m))
        sync_store_leader_assignment(c, g, request);
}

/* ---- Heartbeat ----------------------------------------------------------------- */

static void heartbeat_answer(struct gcoord *c, gcoord_heartbeat_done_fn done, void *ctx,
                             enum ks_err err)
{
    KS_ASSERT(!c->in_callback);
    struct api_heartbeat_response r = {.error_code = gcoord_wire_error(err)};
    c->in_callback = true;
    done(ctx, &r);
    c->in_callback = false;
}

void gcoord_heartbeat(struct gcoord *c, const struct gcoord_client *client,
                      const struct api_heartbeat_request *request, gcoord_heartbeat_done_fn done,
                      void *ctx)
{
    KS_ASSERT(!c->in_callback);
    enum ks_err err = gcoord_partition_error(c, request->group_id);
    struct gmeta *g = err == KS_OK ? gcoord_group_find(c, request->group_id) : NULL;
    struct gmeta_member *m = NULL;
    if (err == KS_OK && g == NULL)
        err = KS_ERR_UNKNOWN_MEMBER_ID;
    else if (err == KS_OK && g->state == GMETA_DEAD)
        err = KS_ERR_COORDINATOR_NOT_AVAILABLE;
    if (err == KS_OK)
        err = member_validate(g, request->member_id, request->group_instance_id, &m);
    if (err == KS_OK && request->generation_id != g->generation)
        err = KS_ERR_ILLEGAL_GENERATION;
    if (err == KS_OK) {
        KS_ASSERT(g->state != GMETA_EMPTY);
        gcoord_member_touch(c, m);
        if (g->state == GMETA_PREPARING_REBALANCE)
            err = KS_ERR_REBALANCE_IN_PROGRESS;
    }
    heartbeat_answer(c, done, ctx, err);
}

/* ---- LeaveGroup ---------------------------------------------------------------- */

/* One member of a LeaveGroup batch; by instance id for static members. */
static enum ks_err leave_one(struct gcoord *c, struct gmeta *g,
                             const struct api_leave_group_member *who)
{
    struct gmeta_member *m = NULL;
    if (who->group_instance_id.length >= 0) {
        m = gmeta_member_find_static(g, who->group_instance_id);
        if (m == NULL)
            return KS_ERR_UNKNOWN_MEMBER_ID;
        if (who->member_id.length > 0 && !wire_string_equal(m->member_id, who->member_id))
            return KS_ERR_FENCED_INSTANCE_ID;
    } else {
        m = gmeta_member_find(g, who->member_id);
        if (m == NULL)
            return gmeta_pending_take(g, who->member_id, env_mono_ns(c->env))
                       ? KS_OK
                       : KS_ERR_UNKNOWN_MEMBER_ID;
    }
    remove_member_and_update(c, g, m, "LeaveGroup", false);
    return KS_OK;
}

void gcoord_leave_group(struct gcoord *c, const struct gcoord_client *client,
                        const struct api_leave_group_request *request, gcoord_leave_done_fn done,
                        void *ctx)
{
    KS_ASSERT(!c->in_callback);
    KS_ASSERT(request->member_count <= WIRE_ARRAY_COUNT_MAX);
    enum ks_err err = gcoord_partition_error(c, request->group_id);
    struct gmeta *g = err == KS_OK ? gcoord_group_find(c, request->group_id) : NULL;
    if (err == KS_OK && (g == NULL || g->state == GMETA_DEAD))
        err = g == NULL ? KS_ERR_UNKNOWN_MEMBER_ID : KS_ERR_COORDINATOR_NOT_AVAILABLE;
    struct api_leave_group_response r = {0};
    r.members = ks_alloc(sizeof(*r.members) * (request->member_count + 1));
    for (uint32_t i = 0; err == KS_OK && i < request->member_count; i++) {
        const struct api_leave_group_member *who = &request->members[i];
        enum ks_err member_err = leave_one(c, g, who);
        r.members[r.member_count++] = (struct api_leave_group_member_response){
            who->member_id, who->group_instance_id, gcoord_wire_error(member_err)};
    }
    bool batch = client->api_version >= API_LEAVE_GROUP_BATCH_VERSION_FIRST;
    if (!batch && err == KS_OK && r.member_count == 1)
        err = r.members[0].error_code == 0 ? KS_OK : (enum ks_err)r.members[0].error_code;
    r.error_code = gcoord_wire_error(err);
    if (!batch || err != KS_OK)
        r.member_count = 0;
    c->in_callback = true;
    done(ctx, &r);
    c->in_callback = false;
    free(r.members);
}
