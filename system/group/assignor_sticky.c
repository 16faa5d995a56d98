/*
 * assignor_sticky.c: StickyAssignor and CooperativeStickyAssignor. Kafka:
 * AbstractStickyAssignor (allSubscriptionsEqual: who validly owns what, by generation;
 * ConstrainedAssignmentBuilder: keep up to the quota of owned partitions sorted by
 * partition then topic, deal the rest round-robin to members under the minimum quota,
 * then to those at it), CooperativeStickyAssignor.adjustAssignment (leave out of this
 * round every partition that changes owner; computePartitionsTransferringOwnership
 * when the general path ran).
 *
 * Where Java iterates a HashMap of members we go in member id order, so ties break the
 * same way on every run. The general case (members subscribed to different topics) is
 * not Java's GeneralAssignmentBuilder move for move: it keeps valid ownership, gives
 * each free partition (topics with fewest subscribers first) to the least-loaded
 * subscriber, then moves single partitions from the most to the least loaded eligible
 * member while that narrows the gap by two or more; the goals (every partition once,
 * balance, stickiness) are the same.
 */
#include <stdlib.h>
#include <string.h>

#include "system/group/assignor_plan.h"

struct sticky {
    struct assignor_plan *plan;
    bool cooperative;
    uint32_t *claimer; /* partition -> last member whose claim counted */
    uint32_t *holder;  /* partition -> member whose owned list keeps it */
    uint8_t *multi;    /* partition claimed by two members of one generation */
    uint32_t **claims; /* member -> partitions it claimed, in its order */
    uint32_t *claim_count;
    uint32_t *count;         /* member -> partitions assigned so far */
    uint32_t *maybe_revoked; /* partition -> member that had to give it up */
    uint32_t *transferring;  /* partition -> new owner while another still owns it */
    bool transferring_known; /* constrained path computed it */
};

static void sticky_init(struct sticky *s, struct assignor_plan *plan, bool cooperative)
{
    uint32_t parts = plan->partition_total + 1, members = plan->member_count + 1;
    memset(s, 0, sizeof(*s));
    s->plan = plan;
    s->cooperative = cooperative;
    s->claimer = ks_alloc(parts * sizeof(uint32_t));
    s->holder = ks_alloc(parts * sizeof(uint32_t));
    s->multi = ks_alloc(parts);
    s->maybe_revoked = ks_alloc(parts * sizeof(uint32_t));
    s->transferring = ks_alloc(parts * sizeof(uint32_t));
    s->claims = ks_alloc(members * sizeof(uint32_t *));
    s->claim_count = ks_alloc(members * sizeof(uint32_t));
    s->count = ks_alloc(members * sizeof(uint32_t));
    for (uint32_t p = 0; p < parts; p++)
        s->claimer[p] = s->holder[p] = s->maybe_revoked[p] = s->transferring[p] = ASSIGNOR_NONE;
    for (uint32_t m = 0; m < plan->member_count; m++)
        s->claims[m] = ks_alloc((plan->members[m].owned_count + 1) * sizeof(uint32_t));
}

static void sticky_free(struct sticky *s)
{
    for (uint32_t m = 0; m < s->plan->member_count; m++)
        free(s->claims[m]);
    free(s->claims);
    free(s->claim_count);
    free(s->count);
    free(s->claimer);
    free(s->holder);
    free(s->multi);
    free(s->maybe_revoked);
    free(s->transferring);
}

/* One claim of member m on partition p (allSubscriptionsEqual's inner loop). */
static void sticky_claim(struct sticky *s, uint32_t m, uint32_t p)
{
    uint32_t other = s->claimer[p];
    int32_t generation = s->plan->members[m].generation;
    if (other == ASSIGNOR_NONE || generation > s->plan->members[other].generation) {
        if (other != ASSIGNOR_NONE && s->holder[p] == other)
            s->holder[p] = ASSIGNOR_NONE;
        s->claims[m][s->claim_count[m]++] = p;
        s->holder[p] = m;
        s->claimer[p] = m;
    } else if (generation == s->plan->members[other].generation) {
        s->multi[p] = 1; /* both lose it */
        if (s->holder[p] == other)
            s->holder[p] = ASSIGNOR_NONE;
        s->claimer[p] = m;
    }
    KS_ASSERT(s->claim_count[m] <= s->plan->members[m].owned_count);
}

/* Who validly owns what: claims of existing, subscribed partitions, by generation. */
static void sticky_resolve_ownership(struct sticky *s)
{
    const struct assignor_plan *plan = s->plan;
    for (uint32_t i = 0; i < plan->member_count; i++) {
        uint32_t m = plan->member_id_order[i];
        const struct assignor_member *member = &plan->members[m];
        for (uint32_t j = 0; j < member->owned_count; j++) {
            uint32_t p = assignor_plan_partition(plan, &member->owned[j]);
            if (p != ASSIGNOR_NONE && assignor_plan_subscribed(plan, m, plan->partition_topic[p]))
                sticky_claim(s, m, p);
        }
    }
}

/* Member m's valid owned partitions, in claim order, each once; returns the count. */
static uint32_t sticky_owned(const struct sticky *s, uint32_t m, uint32_t *out, bool skip_multi)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->claim_count[m]; i++) {
        uint32_t p = s->claims[m][i];
        bool seen = false;
        for (uint32_t j = 0; j < n && !seen; j++)
            seen = out[j] == p;
        if (s->holder[p] == m && !seen && !(skip_multi && s->multi[p]))
            out[n++] = p;
    }
    return n;
}

static void sticky_give(struct sticky *s, uint32_t p, uint32_t m)
{
    KS_ASSERT(s->plan->owner[p] == ASSIGNOR_NONE);
    s->plan->owner[p] = m;
    s->count[m]++;
}

static bool subscriptions_equal(const struct assignor_plan *plan)
{
    uint32_t row = plan->topic_count;
    for (uint32_t m = 1; m < plan->member_count; m++) {
        if (memcmp(plan->subscribed, plan->subscribed + m * row, row) != 0)
            return false;
    }
    return true;
}

/* Sorts owned partitions by partition number, then topic (assignOwnedPartitions). */
static void sort_by_partition_then_topic(const struct assignor_plan *plan, uint32_t *ps, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        uint32_t p = ps[i], j = i;
        uint32_t key = p - plan->topic_base[plan->partition_topic[p]];
        while (j > 0) {
            uint32_t q = ps[j - 1];
            uint32_t key_q = q - plan->topic_base[plan->partition_topic[q]];
            if (key_q < key || (key_q == key && q < p))
                break;
            ps[j] = q;
            j--;
        }
        ps[j] = p;
    }
}

/* The constrained builder's lists: members under the minimum quota, and at it. */
struct quota {
    uint32_t min, max, expected_over, current_over;
    uint32_t *under, under_count, under_next;
    uint32_t *exact, exact_head, exact_tail, exact_capacity;
};

static void quota_exact_push(struct quota *q, uint32_t m)
{
    KS_ASSERT(q->exact_tail < q->exact_capacity);
    q->exact[q->exact_tail++] = m;
}

/* assignOwnedPartitions for one member. */
static void constrained_keep_owned(struct sticky *s, struct quota *q, uint32_t m, uint32_t *buf)
{
    uint32_t n = sticky_owned(s, m, buf, true);
    uint32_t keep = n;
    sort_by_partition_then_topic(s->plan, buf, n);
    if (n < q->min) {
        q->under[q->under_count++] = m;
    } else if (n >= q->max && q->current_over < q->expected_over) {
        keep = q->max;
        if (++q->current_over == q->expected_over)
            q->exact_head = q->exact_tail; /* clear */
    } else {
        keep = q->min;
        if (q->current_over < q->expected_over)
            quota_exact_push(q, m);
    }
    for (uint32_t i = 0; i < n; i++) {
        if (i < keep)
            sticky_give(s, buf[i], m);
        else
            s->maybe_revoked[buf[i]] = m;
    }
}

/* assignRoundRobin: one free partition to the next member under quota, else at quota. */
static void constrained_deal(struct sticky *s, struct quota *q, uint32_t p)
{
    uint32_t m;
    if (q->under_next < q->under_count) {
        m = q->under[q->under_next++];
    } else if (q->under_count == 0) {
        KS_ASSERT(q->exact_head < q->exact_tail); /* counts add up: someone has room */
        m = q->exact[q->exact_head++];
    } else {
        q->under_next = 0;
        m = q->under[q->under_next++];
    }
    sticky_give(s, p, m);
    if ((s->maybe_revoked[p] != ASSIGNOR_NONE && s->maybe_revoked[p] != m) || s->multi[p])
        s->transferring[p] = m;
    if (s->count[m] == q->min) {
        KS_ASSERT(q->under_next > 0 && q->under[q->under_next - 1] == m);
        q->under_next--;
        memmove(&q->under[q->under_next], &q->under[q->under_next + 1],
                (q->under_count - q->under_next - 1) * sizeof(uint32_t));
        q->under_count--;
        quota_exact_push(q, m);
    } else if (s->count[m] == q->max) {
        q->current_over++;
    }
    KS_ASSERT(s->count[m] <= q->max);
}

static void assign_constrained(struct sticky *s)
{
    struct assignor_plan *plan = s->plan;
    uint32_t total = 0, members = plan->member_count;
    for (uint32_t rank = 0; rank < plan->topic_count; rank++) {
        if (assignor_plan_subscribed(plan, 0, rank))
            total += plan->topic_base[rank + 1] - plan->topic_base[rank];
    }
    struct quota q = {.min = total / members,
                      .max = (total + members - 1) / members,
                      .expected_over = total % members,
                      .under = ks_alloc((members + 1) * sizeof(uint32_t)),
                      .exact_capacity = 2 * members + 1};
    q.exact = ks_alloc(q.exact_capacity * sizeof(uint32_t));
    uint32_t *buf = ks_alloc((plan->partition_total + 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < members; i++)
        constrained_keep_owned(s, &q, plan->member_id_order[i], buf);
    for (uint32_t p = 0; p < plan->partition_total; p++) {
        if (plan->owner[p] == ASSIGNOR_NONE &&
            assignor_plan_subscribed(plan, 0, plan->partition_topic[p]))
            constrained_deal(s, &q, p);
    }
    s->transferring_known = true;
    free(buf);
    free(q.under);
    free(q.exact);
}

/* ---- general case ---- */

static uint32_t topic_subscriber_count(const struct assignor_plan *plan, uint32_t rank)
{
    uint32_t n = 0;
    for (uint32_t m = 0; m < plan->member_count; m++)
        n += assignor_plan_subscribed(plan, m, rank) ? 1 : 0;
    return n;
}

/* The least-loaded member subscribed to the partition's topic (ties: member id order). */
static uint32_t general_least_loaded(const struct sticky *s, uint32_t p)
{
    const struct assignor_plan *plan = s->plan;
    uint32_t best = ASSIGNOR_NONE;
    for (uint32_t i = 0; i < plan->member_count; i++) {
        uint32_t m = plan->member_id_order[i];
        if (assignor_plan_subscribed(plan, m, plan->partition_topic[p]) &&
            (best == ASSIGNOR_NONE || s->count[m] < s->count[best]))
            best = m;
    }
    return best;
}

/*
 * One balancing move: the first partition (in order) whose owner has two or more
 * partitions more than the least-loaded member that could take it. O(P * M) a move.
 */
static bool general_move_one(struct sticky *s)
{
    struct assignor_plan *plan = s->plan;
    for (uint32_t p = 0; p < plan->partition_total; p++) {
        uint32_t from = plan->owner[p];
        if (from == ASSIGNOR_NONE)
            continue;
        uint32_t to = general_least_loaded(s, p);
        if (s->count[from] >= s->count[to] + 2) {
            plan->owner[p] = ASSIGNOR_NONE;
            s->count[from]--;
            sticky_give(s, p, to);
            return true;
        }
    }
    return false;
}

static void assign_general(struct sticky *s)
{
    struct assignor_plan *plan = s->plan;
    uint32_t *buf = ks_alloc((plan->partition_total + 1) * sizeof(uint32_t));
    for (uint32_t m = 0; m < plan->member_count; m++) {
        uint32_t n = sticky_owned(s, m, buf, false);
        for (uint32_t i = 0; i < n; i++)
            sticky_give(s, buf[i], m);
    }
    /* Free partitions, topics with fewest subscribers first (TopicComparator). */
    for (uint32_t want = 1; want <= plan->member_count; want++) {
        for (uint32_t p = 0; p < plan->partition_total; p++) {
            uint32_t rank = plan->partition_topic[p];
            if (plan->owner[p] == ASSIGNOR_NONE && topic_subscriber_count(plan, rank) == want)
                sticky_give(s, p, general_least_loaded(s, p));
        }
    }
    /* Each move lowers the sum of squared counts by 2 or more: bounded by P * P / 2. */
    uint64_t moves_max = (uint64_t)plan->partition_total * plan->partition_total / 2 + 1;
    for (uint64_t moves = 0; general_move_one(s); moves++)
        KS_ASSERT(moves < moves_max);
    free(buf);
}

/* computePartitionsTransferringOwnership: newly added to one member, revoked from another. */
static void compute_transferring(struct sticky *s)
{
    struct assignor_plan *plan = s->plan;
    uint8_t *revoked = ks_alloc(plan->partition_total + 1);
    for (uint32_t m = 0; m < plan->member_count; m++) {
        const struct assignor_member *member = &plan->members[m];
        for (uint32_t j = 0; j < member->owned_count; j++) {
            uint32_t p = assignor_plan_partition(plan, &member->owned[j]);
            if (p != ASSIGNOR_NONE && plan->owner[p] != m)
                revoked[p] = 1;
        }
    }
    for (uint32_t p = 0; p < plan->partition_total; p++) {
        uint32_t m = plan->owner[p];
        if (m == ASSIGNOR_NONE || !revoked[p])
            continue;
        bool owned_by_m = false;
        for (uint32_t j = 0; j < plan->members[m].owned_count && !owned_by_m; j++)
            owned_by_m = assignor_plan_partition(plan, &plan->members[m].owned[j]) == p;
        if (!owned_by_m)
            s->transferring[p] = m;
    }
    free(revoked);
}

void assignor_sticky_assign(struct assignor_plan *plan, bool cooperative)
{
    struct sticky s;
    KS_ASSERT(plan->member_count > 0);
    sticky_init(&s, plan, cooperative);
    sticky_resolve_ownership(&s);
    if (subscriptions_equal(plan))
        assign_constrained(&s);
    else
        assign_general(&s);
    if (cooperative) {
        if (!s.transferring_known)
            compute_transferring(&s);
        for (uint32_t p = 0; p < plan->partition_total; p++) {
            if (s.transferring[p] != ASSIGNOR_NONE)
                plan->owner[p] = ASSIGNOR_NONE; /* revoke first, assign next round */
        }
    }
    sticky_free(&s);
}
