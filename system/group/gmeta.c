/*
 * gmeta.c: one classic consumer group's metadata: the state machine's legal moves,
 * members kept sorted by member id, pending member ids, protocol selection and the
 * committed offsets table. Kafka: GroupMetadata, MemberMetadata, GroupState.
 */
#include "gmeta.h"

#include <stdlib.h>
#include <string.h>

static const char *const state_names[GMETA_STATE_COUNT] = {
    "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead",
};

const char *gmeta_state_name(enum gmeta_state state)
{
    KS_ASSERT((unsigned)state < GMETA_STATE_COUNT);
    return state_names[state];
}

/* ---- Strings ------------------------------------------------------------------- */

struct wire_string gmeta_string_dup(struct wire_string s)
{
    if (s.length < 0)
        return wire_string_null();
    char *chars = ks_alloc((size_t)s.length + 1);
    if (s.length > 0)
        memcpy(chars, s.chars, (size_t)s.length);
    return (struct wire_string){chars, s.length};
}

struct wire_bytes gmeta_bytes_dup(struct wire_bytes b)
{
    if (b.size_bytes < 0)
        return (struct wire_bytes){NULL, -1};
    uint8_t *bytes = ks_alloc((size_t)b.size_bytes + 1);
    if (b.size_bytes > 0)
        memcpy(bytes, b.bytes, (size_t)b.size_bytes);
    return (struct wire_bytes){bytes, b.size_bytes};
}

void gmeta_string_free(struct wire_string *s)
{
    free((void *)s->chars);
    *s = wire_string_null();
}

void gmeta_bytes_free(struct wire_bytes *b)
{
    free((void *)b->bytes);
    *b = (struct wire_bytes){NULL, -1};
}

void gmeta_set_string(struct wire_string *field, struct wire_string value)
{
    struct wire_string copy = gmeta_string_dup(value);
    gmeta_string_free(field);
    *field = copy;
}

int gmeta_string_compare(struct wire_string a, struct wire_string b)
{
    if (a.length < 0 || b.length < 0)
        return (a.length >= 0) - (b.length >= 0);
    int32_t n = a.length < b.length ? a.length : b.length;
    int c = n > 0 ? memcmp(a.chars, b.chars, (size_t)n) : 0;
    if (c != 0)
        return c;
    return (a.length > b.length) - (a.length < b.length);
}

/* ---- The group ----------------------------------------------------------------- */

struct gmeta *gmeta_create(struct env *env, void *coordinator, struct wire_string group_id,
                           int32_t partition)
{
    KS_ASSERT(group_id.length >= 0);
    KS_ASSERT(partition >= 0);
    struct gmeta *g = ks_alloc(sizeof(*g));
    g->env = env;
    g->coordinator = coordinator;
    g->group_id = gmeta_string_dup(group_id);
    g->partition = partition;
    g->state = GMETA_EMPTY;
    g->state_timestamp_ms = env_wall_ms(env);
    g->protocol_type = wire_string_null();
    g->protocol = wire_string_null();
    g->leader = wire_string_null();
    g->members = ks_alloc(sizeof(*g->members) * GMETA_MEMBERS_MAX);
    g->pending = ks_alloc(sizeof(*g->pending) * GMETA_PENDING_MEMBERS_MAX);
    return g;
}

void gmeta_free(struct gmeta *g)
{
    KS_ASSERT(g->join_timer == 0);
    KS_ASSERT(g->sync_timer == 0);
    for (uint32_t i = 0; i < g->member_count; i++)
        gmeta_member_free(g->members[i]);
    for (uint32_t i = 0; i < g->pending_count; i++)
        gmeta_string_free(&g->pending[i].member_id);
    for (uint32_t i = 0; i < g->offset_count; i++) {
        gmeta_string_free(&g->offsets[i].topic);
        gmeta_string_free(&g->offsets[i].metadata);
    }
    free(g->members);
    free(g->pending);
    free(g->offsets);
    gmeta_string_free(&g->group_id);
    gmeta_string_free(&g->protocol_type);
    gmeta_string_free(&g->protocol);
    gmeta_string_free(&g->leader);
    free(g);
}

bool gmeta_transition_legal(enum gmeta_state from, enum gmeta_state to)
{
    switch (to) {
    case GMETA_EMPTY:
        return from == GMETA_PREPARING_REBALANCE;
    case GMETA_PREPARING_REBALANCE:
        return from == GMETA_STABLE || from == GMETA_COMPLETING_REBALANCE || from == GMETA_EMPTY;
    case GMETA_COMPLETING_REBALANCE:
        return from == GMETA_PREPARING_REBALANCE;
    case GMETA_STABLE:
        return from == GMETA_COMPLETING_REBALANCE;
    case GMETA_DEAD:
        return true;
    }
    return false;
}

void gmeta_set_state(struct gmeta *g, enum gmeta_state state, const char *reason)
{
    KS_ASSERT(g->state != GMETA_DEAD);
    KS_ASSERT(gmeta_transition_legal(g->state, state));
    env_tracef(g->env, "group.state", "group %.*s generation %d: %s -> %s (%s), %u members",
               (int)g->group_id.length, g->group_id.chars, g->generation,
               gmeta_state_name(g->state), gmeta_state_name(state), reason, g->member_count);
    g->state = state;
    g->state_timestamp_ms = env_wall_ms(g->env);
    KS_ASSERT(state != GMETA_EMPTY || g->member_count == 0);
}

/* ---- Members ------------------------------------------------------------------- */

/* Index of the first member whose id is >= member_id. */
static uint32_t member_lower_bound(const struct gmeta *g, struct wire_string member_id)
{
    uint32_t lo = 0, hi = g->member_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (gmeta_string_compare(g->members[mid]->member_id, member_id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct gmeta_member *gmeta_member_find(const struct gmeta *g, struct wire_string member_id)
{
    if (member_id.length < 0)
        return NULL;
    uint32_t i = member_lower_bound(g, member_id);
    if (i < g->member_count && wire_string_equal(g->members[i]->member_id, member_id))
        return g->members[i];
    return NULL;
}

struct gmeta_member *gmeta_member_find_static(const struct gmeta *g,
                                              struct wire_string group_instance_id)
{
    if (group_instance_id.length < 0)
        return NULL;
    for (uint32_t i = 0; i < g->member_count; i++) {
        if (wire_string_equal(g->members[i]->group_instance_id, group_instance_id))
            return g->members[i];
    }
    return NULL;
}

static void member_protocols_free(struct gmeta_member *m)
{
    for (uint32_t i = 0; i < m->protocol_count; i++) {
        gmeta_string_free(&m->protocols[i].name);
        gmeta_bytes_free(&m->protocols[i].metadata);
    }
    free(m->protocols);
    m->protocols = NULL;
    m->protocol_count = 0;
}

void gmeta_member_update(struct gmeta_member *m, const struct api_join_group_request *request)
{
    KS_ASSERT(request->protocol_count > 0);
    KS_ASSERT(request->protocol_count <= GMETA_PROTOCOLS_MAX);
    member_protocols_free(m);
    m->protocols = ks_alloc(sizeof(*m->protocols) * request->protocol_count);
    for (uint32_t i = 0; i < request->protocol_count; i++) {
        m->protocols[i].name = gmeta_string_dup(request->protocols[i].name);
        m->protocols[i].metadata = gmeta_bytes_dup(request->protocols[i].metadata);
    }
    m->protocol_count = request->protocol_count;
    m->session_timeout_ms = request->session_timeout_ms;
    m->rebalance_timeout_ms = request->rebalance_timeout_ms > 0 ? request->rebalance_timeout_ms
                                                                : request->session_timeout_ms;
}

struct gmeta_member *gmeta_member_create(struct gmeta *g, struct wire_string member_id,
                                         const struct api_join_group_request *request,
                                         struct wire_string client_id,
                                         struct wire_string client_host, uint64_t join_seq)
{
    KS_ASSERT(member_id.length > 0);
    struct gmeta_member *m = ks_alloc(sizeof(*m));
    m->group = g;
    m->member_id = gmeta_string_dup(member_id);
    m->group_instance_id = gmeta_string_dup(request->group_instance_id);
    m->client_id = gmeta_string_dup(client_id.length < 0 ? wire_string_from("") : client_id);
    m->client_host = gmeta_string_dup(client_host.length < 0 ? wire_string_from("") : client_host);
    m->assignment = (struct wire_bytes){ks_alloc(1), 0};
    m->join_seq = join_seq;
    m->generation = -1;
    gmeta_member_update(m, request);
    return m;
}

bool gmeta_member_same_protocols(const struct gmeta_member *m,
                                 const struct api_join_group_request *request)
{
    if (m->protocol_count != request->protocol_count)
        return false;
    for (uint32_t i = 0; i < m->protocol_count; i++) {
        const struct api_join_group_protocol *p = &request->protocols[i];
        struct wire_bytes a = m->protocols[i].metadata, b = p->metadata;
        if (!wire_string_equal(m->protocols[i].name, p->name) || a.size_bytes != b.size_bytes)
            return false;
        if (a.size_bytes > 0 && memcmp(a.bytes, b.bytes, (size_t)a.size_bytes) != 0)
            return false;
    }
    return true;
}

void gmeta_member_insert(struct gmeta *g, struct gmeta_member *m)
{
    KS_ASSERT(g->member_count < GMETA_MEMBERS_MAX);
    KS_ASSERT(gmeta_member_find(g, m->member_id) == NULL);
    uint32_t i = member_lower_bound(g, m->member_id);
    memmove(&g->members[i + 1], &g->members[i], sizeof(*g->members) * (g->member_count - i));
    g->members[i] = m;
    g->member_count++;
    if (g->protocol_type.length < 0)
        gmeta_set_string(&g->protocol_type, wire_string_from(""));
}

void gmeta_member_remove(struct gmeta *g, struct gmeta_member *m)
{
    uint32_t i = member_lower_bound(g, m->member_id);
    KS_ASSERT(i < g->member_count);
    KS_ASSERT(g->members[i] == m);
    memmove(&g->members[i], &g->members[i + 1], sizeof(*g->members) * (g->member_count - i - 1));
    g->member_count--;
    if (wire_string_equal(g->leader, m->member_id))
        gmeta_string_free(&g->leader);
}

void gmeta_member_free(struct gmeta_member *m)
{
    KS_ASSERT(m->session_timer == 0);
    KS_ASSERT(m->join_done == NULL && m->sync_done == NULL);
    member_protocols_free(m);
    gmeta_string_free(&m->member_id);
    gmeta_string_free(&m->group_instance_id);
    gmeta_string_free(&m->client_id);
    gmeta_string_free(&m->client_host);
    gmeta_bytes_free(&m->assignment);
    free(m);
}

void gmeta_member_rename(struct gmeta *g, struct gmeta_member *m, struct wire_string member_id)
{
    bool was_leader = gmeta_is_leader(g, m);
    gmeta_member_remove(g, m);
    gmeta_set_string(&m->member_id, member_id);
    gmeta_member_insert(g, m);
    if (was_leader)
        gmeta_set_string(&g->leader, member_id);
    KS_ASSERT(gmeta_member_find(g, member_id) == m);
}

void gmeta_member_set_assignment(struct gmeta_member *m, struct wire_bytes assignment)
{
    struct wire_bytes copy =
        gmeta_bytes_dup(assignment.size_bytes < 0 ? (struct wire_bytes){NULL, 0} : assignment);
    gmeta_bytes_free(&m->assignment);
    m->assignment = copy;
}

struct wire_bytes gmeta_member_metadata(const struct gmeta *g, const struct gmeta_member *m)
{
    for (uint32_t i = 0; i < m->protocol_count; i++) {
        if (wire_string_equal(m->protocols[i].name, g->protocol))
            return m->protocols[i].metadata;
    }
    return (struct wire_bytes){NULL, -1};
}

bool gmeta_is_leader(const struct gmeta *g, const struct gmeta_member *m)
{
    return g->leader.length >= 0 && wire_string_equal(g->leader, m->member_id);
}

/* ---- Pending member ids -------------------------------------------------------- */

enum ks_err gmeta_pending_add(struct gmeta *g, struct wire_string member_id, uint64_t deadline_ns)
{
    if (g->pending_count >= GMETA_PENDING_MEMBERS_MAX)
        return KS_ERR_TOO_MANY;
    g->pending[g->pending_count].member_id = gmeta_string_dup(member_id);
    g->pending[g->pending_count].deadline_ns = deadline_ns;
    g->pending_count++;
    return KS_OK;
}

void gmeta_pending_prune(struct gmeta *g, uint64_t now_ns)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < g->pending_count; i++) {
        if (g->pending[i].deadline_ns <= now_ns)
            gmeta_string_free(&g->pending[i].member_id);
        else
            g->pending[kept++] = g->pending[i];
    }
    KS_ASSERT(kept <= g->pending_count);
    g->pending_count = kept;
}

bool gmeta_pending_take(struct gmeta *g, struct wire_string member_id, uint64_t now_ns)
{
    gmeta_pending_prune(g, now_ns);
    for (uint32_t i = 0; i < g->pending_count; i++) {
        if (!wire_string_equal(g->pending[i].member_id, member_id))
            continue;
        gmeta_string_free(&g->pending[i].member_id);
        g->pending[i] = g->pending[g->pending_count - 1];
        g->pending_count--;
        return true;
    }
    return false;
}

/* ---- Protocols ----------------------------------------------------------------- */

static bool member_offers(const struct gmeta_member *m, struct wire_string name)
{
    for (uint32_t i = 0; i < m->protocol_count; i++) {
        if (wire_string_equal(m->protocols[i].name, name))
            return true;
    }
    return false;
}

static bool all_members_offer(const struct gmeta *g, struct wire_string name)
{
    for (uint32_t i = 0; i < g->member_count; i++) {
        if (!member_offers(g->members[i], name))
            return false;
    }
    return true;
}

bool gmeta_protocols_supported(const struct gmeta *g, const struct api_join_group_request *request)
{
    if (g->member_count == 0)
        return request->protocol_type.length > 0 && request->protocol_count > 0;
    if (!wire_string_equal(g->protocol_type, request->protocol_type))
        return false;
    for (uint32_t i = 0; i < request->protocol_count; i++) {
        if (all_members_offer(g, request->protocols[i].name))
            return true;
    }
    return false;
}

/* Votes for name: members whose first common protocol it is. */
static uint32_t protocol_votes(const struct gmeta *g, struct wire_string name)
{
    uint32_t votes = 0;
    for (uint32_t i = 0; i < g->member_count; i++) {
        const struct gmeta_member *m = g->members[i];
        for (uint32_t p = 0; p < m->protocol_count; p++) {
            if (!all_members_offer(g, m->protocols[p].name))
                continue;
            votes += wire_string_equal(m->protocols[p].name, name);
            break;
        }
    }
    return votes;
}

bool gmeta_select_protocol(const struct gmeta *g, struct wire_string *out)
{
    KS_ASSERT(g->member_count > 0);
    const struct gmeta_member *first = g->members[0];
    bool found = false;
    uint32_t best_votes = 0;
    for (uint32_t p = 0; p < first->protocol_count; p++) {
        struct wire_string name = first->protocols[p].name;
        if (!all_members_offer(g, name))
            continue;
        uint32_t votes = protocol_votes(g, name);
        if (!found || votes > best_votes ||
            (votes == best_votes && gmeta_string_compare(name, *out) < 0)) {
            *out = name;
            best_votes = votes;
            found = true;
        }
    }
    return found;
}

/* ---- Offsets ------------------------------------------------------------------- */

static int offset_compare(const struct gmeta_offset *o, struct wire_string topic, int32_t partition)
{
    int c = gmeta_string_compare(o->topic, topic);
    if (c != 0)
        return c;
    return (o->partition > partition) - (o->partition < partition);
}

static uint32_t offset_lower_bound(const struct gmeta *g, struct wire_string topic,
                                   int32_t partition)
{
    uint32_t lo = 0, hi = g->offset_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (offset_compare(&g->offsets[mid], topic, partition) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct gmeta_offset *gmeta_offset_find(const struct gmeta *g, struct wire_string topic,
                                       int32_t partition)
{
    uint32_t i = offset_lower_bound(g, topic, partition);
    if (i < g->offset_count && offset_compare(&g->offsets[i], topic, partition) == 0)
        return &g->offsets[i];
    return NULL;
}

enum ks_err gmeta_offset_put(struct gmeta *g, const struct gmeta_offset *offset)
{
    struct gmeta_offset *o = gmeta_offset_find(g, offset->topic, offset->partition);
    if (o == NULL) {
        if (g->offset_count >= GMETA_OFFSETS_MAX)
            return KS_ERR_TOO_MANY;
        if (g->offset_count == g->offset_capacity) {
            g->offset_capacity = g->offset_capacity ? g->offset_capacity * 2 : 16;
            g->offsets = ks_realloc(g->offsets, sizeof(*g->offsets) * g->offset_capacity);
        }
        uint32_t i = offset_lower_bound(g, offset->topic, offset->partition);
        memmove(&g->offsets[i + 1], &g->offsets[i], sizeof(*g->offsets) * (g->offset_count - i));
        g->offset_count++;
        o = &g->offsets[i];
        *o = (struct gmeta_offset){.topic = gmeta_string_dup(offset->topic),
                                   .partition = offset->partition,
                                   .metadata = wire_string_null()};
    }
    o->offset = offset->offset;
    o->leader_epoch = offset->leader_epoch;
    gmeta_set_string(&o->metadata, offset->metadata);
    o->commit_timestamp_ms = offset->commit_timestamp_ms;
    o->expire_timestamp_ms = offset->expire_timestamp_ms;
    KS_ASSERT(gmeta_offset_find(g, offset->topic, offset->partition) == o);
    return KS_OK;
}

void gmeta_offset_delete(struct gmeta *g, struct wire_string topic, int32_t partition)
{
    struct gmeta_offset *o = gmeta_offset_find(g, topic, partition);
    if (o == NULL)
        return;
    uint32_t i = (uint32_t)(o - g->offsets);
    KS_ASSERT(i < g->offset_count);
    gmeta_string_free(&o->topic);
    gmeta_string_free(&o->metadata);
    memmove(&g->offsets[i], &g->offsets[i + 1], sizeof(*g->offsets) * (g->offset_count - i - 1));
    g->offset_count--;
}
