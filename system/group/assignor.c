/*
 * assignor.c: the assignors' shared plan (sorted topics, global partition numbers,
 * member orders, subscriptions), RangeAssignor, RoundRobinAssignor, and the result.
 * Kafka: AbstractPartitionAssignor (topics without metadata are skipped),
 * RangeAssignor (per topic, consecutive ranges to subscribers in MemberInfo order),
 * RoundRobinAssignor (all partitions sorted, members in a circle), MemberInfo.compareTo.
 * The sticky assignors are in assignor_sticky.c.
 */
#include "system/group/assignor.h"

#include <stdlib.h>
#include <string.h>

#include "system/group/assignor_plan.h"
#include "system/group/jstring.h"

static const char *const assignor_names[] = {
    [ASSIGNOR_RANGE] = "range",
    [ASSIGNOR_ROUNDROBIN] = "roundrobin",
    [ASSIGNOR_STICKY] = "sticky",
    [ASSIGNOR_COOPERATIVE_STICKY] = "cooperative-sticky",
};

const char *assignor_name(enum assignor_kind kind)
{
    KS_ASSERT((uint32_t)kind < KS_ARRAY_COUNT(assignor_names));
    return assignor_names[kind];
}

bool assignor_from_name(struct wire_string name, enum assignor_kind *kind)
{
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(assignor_names); i++) {
        if (wire_string_equal_cstr(name, assignor_names[i])) {
            *kind = (enum assignor_kind)i;
            return true;
        }
    }
    return false;
}

bool assignor_is_cooperative(enum assignor_kind kind)
{
    return kind == ASSIGNOR_COOPERATIVE_STICKY;
}

/* ---- sorting index arrays (insertion sort: counts are bounded by the limits) ---- */

typedef int (*plan_compare_fn)(const struct assignor_plan *plan, uint32_t a, uint32_t b);

static void plan_sort(const struct assignor_plan *plan, uint32_t *items, uint32_t count,
                      plan_compare_fn compare)
{
    KS_ASSERT(count <= ASSIGNOR_MEMBERS_MAX || count <= ASSIGNOR_TOPICS_MAX);
    for (uint32_t i = 1; i < count; i++) {
        uint32_t item = items[i];
        uint32_t j = i;
        while (j > 0 && compare(plan, items[j - 1], item) > 0) {
            items[j] = items[j - 1];
            j--;
        }
        items[j] = item;
    }
}

static int topic_compare(const struct assignor_plan *plan, uint32_t a, uint32_t b)
{
    return jstring_compare(plan->topics[a].name, plan->topics[b].name);
}

static int member_id_compare(const struct assignor_plan *plan, uint32_t a, uint32_t b)
{
    return jstring_compare(plan->members[a].member_id, plan->members[b].member_id);
}

/* MemberInfo.compareTo: static members first, by instance id; then by member id. */
static int member_info_compare(const struct assignor_plan *plan, uint32_t a, uint32_t b)
{
    struct wire_string ia = plan->members[a].group_instance_id;
    struct wire_string ib = plan->members[b].group_instance_id;
    if (!wire_string_is_null(ia) && !wire_string_is_null(ib))
        return jstring_compare(ia, ib);
    if (!wire_string_is_null(ia) || !wire_string_is_null(ib))
        return wire_string_is_null(ia) ? 1 : -1;
    return member_id_compare(plan, a, b);
}

/* ---- the plan ---- */

uint32_t assignor_plan_topic_rank(const struct assignor_plan *plan, struct wire_string name)
{
    uint32_t low = 0, high = plan->topic_count;
    while (low < high) { /* binary search: at most log2(ASSIGNOR_TOPICS_MAX) turns */
        uint32_t mid = low + (high - low) / 2;
        int c = jstring_compare(plan->topics[plan->topic_order[mid]].name, name);
        if (c == 0)
            return mid;
        if (c < 0)
            low = mid + 1;
        else
            high = mid;
    }
    return ASSIGNOR_NONE;
}

uint32_t assignor_plan_partition(const struct assignor_plan *plan, const struct assignor_tp *tp)
{
    uint32_t rank = assignor_plan_topic_rank(plan, tp->topic);
    if (rank == ASSIGNOR_NONE || tp->partition < 0)
        return ASSIGNOR_NONE;
    uint32_t count = plan->topic_base[rank + 1] - plan->topic_base[rank];
    return (uint32_t)tp->partition < count ? plan->topic_base[rank] + (uint32_t)tp->partition
                                           : ASSIGNOR_NONE;
}

bool assignor_plan_subscribed(const struct assignor_plan *plan, uint32_t member, uint32_t rank)
{
    KS_ASSERT(member < plan->member_count);
    KS_ASSERT(rank < plan->topic_count);
    return plan->subscribed[member * plan->topic_count + rank] != 0;
}

/* Checks what came from the wire: limits, duplicates, partition counts. */
static enum ks_err plan_check_input(const struct assignor_plan *plan)
{
    uint64_t partitions = 0;
    if (plan->topic_count > ASSIGNOR_TOPICS_MAX || plan->member_count > ASSIGNOR_MEMBERS_MAX)
        return KS_ERR_TOO_MANY;
    for (uint32_t i = 0; i < plan->topic_count; i++) {
        if (plan->topics[i].partition_count < 0 || wire_string_is_null(plan->topics[i].name))
            return KS_ERR_INVALID;
        partitions += (uint64_t)plan->topics[i].partition_count;
    }
    if (partitions > ASSIGNOR_PARTITIONS_MAX)
        return KS_ERR_TOO_MANY;
    for (uint32_t i = 0; i < plan->member_count; i++) {
        if (plan->members[i].owned_count > ASSIGNOR_OWNED_MAX)
            return KS_ERR_TOO_MANY;
    }
    return KS_OK;
}

/* Sorted neighbours must differ: no duplicate topic names or member ids. */
static bool plan_unique(const struct assignor_plan *plan)
{
    for (uint32_t i = 1; i < plan->topic_count; i++) {
        if (topic_compare(plan, plan->topic_order[i - 1], plan->topic_order[i]) == 0)
            return false;
    }
    for (uint32_t i = 1; i < plan->member_count; i++) {
        if (member_id_compare(plan, plan->member_id_order[i - 1], plan->member_id_order[i]) == 0)
            return false;
    }
    return true;
}

static void plan_number_partitions(struct assignor_plan *plan)
{
    uint32_t base = 0;
    for (uint32_t rank = 0; rank < plan->topic_count; rank++) {
        plan->topic_base[rank] = base;
        base += (uint32_t)plan->topics[plan->topic_order[rank]].partition_count;
    }
    plan->topic_base[plan->topic_count] = base;
    plan->partition_total = base;
    plan->partition_topic = ks_alloc((size_t)base * sizeof(uint32_t) + 1);
    plan->owner = ks_alloc((size_t)base * sizeof(uint32_t) + 1);
    for (uint32_t rank = 0; rank < plan->topic_count; rank++) {
        for (uint32_t p = plan->topic_base[rank]; p < plan->topic_base[rank + 1]; p++)
            plan->partition_topic[p] = rank;
    }
    for (uint32_t p = 0; p < base; p++)
        plan->owner[p] = ASSIGNOR_NONE;
}

static void plan_subscriptions(struct assignor_plan *plan)
{
    for (uint32_t m = 0; m < plan->member_count; m++) {
        const struct assignor_member *member = &plan->members[m];
        for (uint32_t i = 0; i < member->topic_count; i++) {
            uint32_t rank = assignor_plan_topic_rank(plan, member->topics[i]);
            if (rank != ASSIGNOR_NONE)
                plan->subscribed[m * plan->topic_count + rank] = 1;
        }
    }
}

static void plan_free(struct assignor_plan *plan)
{
    free(plan->topic_order);
    free(plan->topic_base);
    free(plan->partition_topic);
    free(plan->member_info_order);
    free(plan->member_id_order);
    free(plan->subscribed);
    free(plan->owner);
    memset(plan, 0, sizeof(*plan));
}

static enum ks_err plan_init(struct assignor_plan *plan, const struct assignor_topic *topics,
                             uint32_t topic_count, const struct assignor_member *members,
                             uint32_t member_count)
{
    memset(plan, 0, sizeof(*plan));
    *plan = (struct assignor_plan){.topics = topics,
                                   .topic_count = topic_count,
                                   .members = members,
                                   .member_count = member_count};
    enum ks_err err = plan_check_input(plan);
    if (err != KS_OK)
        return err;
    plan->topic_order = ks_alloc((topic_count + 1) * sizeof(uint32_t));
    plan->topic_base = ks_alloc((topic_count + 1) * sizeof(uint32_t));
    plan->member_info_order = ks_alloc((member_count + 1) * sizeof(uint32_t));
    plan->member_id_order = ks_alloc((member_count + 1) * sizeof(uint32_t));
    plan->subscribed = ks_alloc((size_t)member_count * topic_count + 1);
    for (uint32_t i = 0; i < topic_count; i++)
        plan->topic_order[i] = i;
    for (uint32_t i = 0; i < member_count; i++)
        plan->member_info_order[i] = plan->member_id_order[i] = i;
    plan_sort(plan, plan->topic_order, topic_count, topic_compare);
    plan_sort(plan, plan->member_id_order, member_count, member_id_compare);
    plan_sort(plan, plan->member_info_order, member_count, member_info_compare);
    if (!plan_unique(plan)) {
        plan_free(plan);
        return KS_ERR_INVALID;
    }
    plan_number_partitions(plan);
    plan_subscriptions(plan);
    return KS_OK;
}

/* ---- range and roundrobin ---- */

/* RangeAssignor: per topic, floor(P/C) consecutive partitions each, the first P%C one more. */
static void assign_range(struct assignor_plan *plan)
{
    uint32_t *subscribers = ks_alloc((plan->member_count + 1) * sizeof(uint32_t));
    for (uint32_t rank = 0; rank < plan->topic_count; rank++) {
        uint32_t count = 0;
        for (uint32_t i = 0; i < plan->member_count; i++) {
            uint32_t m = plan->member_info_order[i];
            if (assignor_plan_subscribed(plan, m, rank))
                subscribers[count++] = m;
        }
        uint32_t base = plan->topic_base[rank];
        uint32_t partitions = plan->topic_base[rank + 1] - base;
        for (uint32_t i = 0; i < count; i++) {
            uint32_t each = partitions / count, extra = partitions % count;
            uint32_t start = each * i + (i < extra ? i : extra);
            uint32_t length = each + (i < extra ? 1 : 0);
            for (uint32_t p = start; p < start + length; p++)
                plan->owner[base + p] = subscribers[i];
        }
    }
    free(subscribers);
}

/* RoundRobinAssignor: sorted partitions dealt to sorted members, skipping non-subscribers. */
static void assign_roundrobin(struct assignor_plan *plan)
{
    uint32_t next = 0; /* position in member_info_order */
    for (uint32_t p = 0; p < plan->partition_total; p++) {
        uint32_t rank = plan->partition_topic[p];
        bool anyone = false;
        for (uint32_t i = 0; i < plan->member_count && !anyone; i++)
            anyone = assignor_plan_subscribed(plan, i, rank);
        if (!anyone)
            continue;
        /* Bounded: some member subscribes, so at most member_count steps. */
        while (!assignor_plan_subscribed(plan, plan->member_info_order[next], rank))
            next = (next + 1) % plan->member_count;
        plan->owner[p] = plan->member_info_order[next];
        next = (next + 1) % plan->member_count;
    }
}

/* ---- the result ---- */

static void plan_result(const struct assignor_plan *plan, struct assignor_result *out)
{
    out->member_count = plan->member_count;
    out->members = ks_alloc((plan->member_count + 1) * sizeof(*out->members));
    for (uint32_t p = 0; p < plan->partition_total; p++) {
        if (plan->owner[p] != ASSIGNOR_NONE)
            out->members[plan->owner[p]].partition_count++;
    }
    for (uint32_t m = 0; m < plan->member_count; m++) {
        out->members[m].partitions =
            ks_alloc((out->members[m].partition_count + 1) * sizeof(struct assignor_tp));
        out->members[m].partition_count = 0;
    }
    for (uint32_t p = 0; p < plan->partition_total; p++) { /* numeric order = sorted order */
        uint32_t m = plan->owner[p];
        if (m == ASSIGNOR_NONE)
            continue;
        uint32_t rank = plan->partition_topic[p];
        struct assignor_member_assignment *a = &out->members[m];
        a->partitions[a->partition_count].topic = plan->topics[plan->topic_order[rank]].name;
        a->partitions[a->partition_count].partition = (int32_t)(p - plan->topic_base[rank]);
        a->partition_count++;
    }
}

enum ks_err assignor_assign(enum assignor_kind kind, const struct assignor_topic *topics,
                            uint32_t topic_count, const struct assignor_member *members,
                            uint32_t member_count, struct assignor_result *out)
{
    struct assignor_plan plan;
    memset(out, 0, sizeof(*out));
    enum ks_err err = plan_init(&plan, topics, topic_count, members, member_count);
    if (err != KS_OK)
        return err;
    if (member_count > 0) {
        switch (kind) {
        case ASSIGNOR_RANGE:
            assign_range(&plan);
            break;
        case ASSIGNOR_ROUNDROBIN:
            assign_roundrobin(&plan);
            break;
        case ASSIGNOR_STICKY:
        case ASSIGNOR_COOPERATIVE_STICKY:
            assignor_sticky_assign(&plan, kind == ASSIGNOR_COOPERATIVE_STICKY);
            break;
        default:
            KS_UNREACHABLE();
        }
    }
    plan_result(&plan, out);
    plan_free(&plan);
    return KS_OK;
}

void assignor_result_free(struct assignor_result *result)
{
    for (uint32_t m = 0; m < result->member_count; m++)
        free(result->members[m].partitions);
    free(result->members);
    result->members = NULL;
    result->member_count = 0;
}
