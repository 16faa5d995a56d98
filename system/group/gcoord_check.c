/*
 * gcoord_check.c: invariant checks on consumer groups, for tests and the scenario
 * checkers: one owner per partition within a generation (decoding the assignments
 * members got), committed offsets that never move back unless someone sought, and a
 * Stable group's members being the ones its generation formed with. Kafka: the
 * guarantees of GroupCoordinator and ConsumerCoordinator these stand for; see
 * kafka-internals.md section 10 and issue 6 item 5.
 */
#include "gcoord_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/group/cproto.h"

/* Most assigned partitions one check looks at. */
#define GCOORD_CHECK_PARTITIONS_MAX (1u << 20)

struct owned_tp {
    const struct gcoord_owner_report *report;
    struct wire_string topic;
    int32_t partition;
};

static int owned_tp_compare(const void *a, const void *b)
{
    const struct owned_tp *x = a, *y = b;
    int c = gmeta_string_compare(x->report->group_id, y->report->group_id);
    if (c == 0)
        c = (x->report->generation > y->report->generation) -
            (x->report->generation < y->report->generation);
    if (c == 0)
        c = gmeta_string_compare(x->topic, y->topic);
    if (c == 0)
        c = (x->partition > y->partition) - (x->partition < y->partition);
    if (c == 0)
        c = gmeta_string_compare(x->report->member_id, y->report->member_id);
    return c;
}

static enum ks_err owned_collect(const struct gcoord_owner_report *reports, uint32_t count,
                                 struct cproto_assignment *decoded, struct owned_tp **out,
                                 uint32_t *out_count, char *why, uint32_t why_size)
{
    uint32_t n = 0, capacity = 64;
    struct owned_tp *tps = ks_alloc(sizeof(*tps) * capacity);
    for (uint32_t i = 0; i < count; i++) {
        const struct wire_bytes *b = &reports[i].assignment;
        if (b->size_bytes <= 0)
            continue; /* nothing assigned */
        if (cproto_assignment_decode(b->bytes, (uint32_t)b->size_bytes, &decoded[i]) != KS_OK) {
            snprintf(why, why_size, "group %.*s generation %d: %.*s got an undecodable assignment",
                     (int)reports[i].group_id.length, reports[i].group_id.chars,
                     reports[i].generation, (int)reports[i].member_id.length,
                     reports[i].member_id.chars);
            *out = tps;
            *out_count = n;
            return KS_ERR_INVALID;
        }
        for (uint32_t t = 0; t < decoded[i].topic_count; t++) {
            const struct cproto_topic_partitions *tp = &decoded[i].assigned_partitions[t];
            for (uint32_t p = 0; p < tp->partition_count && n < GCOORD_CHECK_PARTITIONS_MAX; p++) {
                if (n == capacity) {
                    capacity *= 2;
                    tps = ks_realloc(tps, sizeof(*tps) * capacity);
                }
                tps[n++] = (struct owned_tp){&reports[i], tp->topic, tp->partitions[p]};
            }
        }
    }
    *out = tps;
    *out_count = n;
    return KS_OK;
}

enum ks_err gcoord_check_single_owner(const struct gcoord_owner_report *reports, uint32_t count,
                                      char *why, uint32_t why_size)
{
    KS_ASSERT(why_size > 0);
    why[0] = '\0';
    struct cproto_assignment *decoded = ks_alloc(sizeof(*decoded) * (count + 1));
    struct owned_tp *tps = NULL;
    uint32_t n = 0;
    enum ks_err err = owned_collect(reports, count, decoded, &tps, &n, why, why_size);
    if (err == KS_OK && n > 1)
        qsort(tps, n, sizeof(*tps), owned_tp_compare);
    for (uint32_t i = 1; err == KS_OK && i < n; i++) {
        const struct owned_tp *a = &tps[i - 1], *b = &tps[i];
        if (!wire_string_equal(a->report->group_id, b->report->group_id) ||
            a->report->generation != b->report->generation ||
            !wire_string_equal(a->topic, b->topic) || a->partition != b->partition ||
            wire_string_equal(a->report->member_id, b->report->member_id))
            continue;
        snprintf(why, why_size, "group %.*s generation %d: %.*s-%d owned by %.*s and %.*s",
                 (int)a->report->group_id.length, a->report->group_id.chars, a->report->generation,
                 (int)a->topic.length, a->topic.chars, a->partition,
                 (int)a->report->member_id.length, a->report->member_id.chars,
                 (int)b->report->member_id.length, b->report->member_id.chars);
        err = KS_ERR_INVALID;
    }
    for (uint32_t i = 0; i < count; i++)
        cproto_assignment_free(&decoded[i]);
    free(decoded);
    free(tps);
    return err;
}

enum ks_err gcoord_check_groups_single_owner(const struct gcoord *c, char *why, uint32_t why_size)
{
    enum ks_err err = KS_OK;
    for (uint32_t i = 0; i < c->group_count && err == KS_OK; i++) {
        const struct gmeta *g = c->groups[i];
        if (g->state != GMETA_STABLE)
            continue;
        struct gcoord_owner_report *reports = ks_alloc(sizeof(*reports) * (g->member_count + 1));
        for (uint32_t m = 0; m < g->member_count; m++)
            reports[m] = (struct gcoord_owner_report){
                g->group_id, g->generation, g->members[m]->member_id, g->members[m]->assignment};
        err = gcoord_check_single_owner(reports, g->member_count, why, why_size);
        free(reports);
    }
    return err;
}

/* ---- Offsets never move back ------------------------------------------------------ */

struct commit_ref {
    const struct gcoord_commit_event *event;
    uint32_t index; /* acknowledgement order */
};

static int commit_ref_compare(const void *a, const void *b)
{
    const struct commit_ref *x = a, *y = b;
    int c = gmeta_string_compare(x->event->group_id, y->event->group_id);
    if (c == 0)
        c = gmeta_string_compare(x->event->topic, y->event->topic);
    if (c == 0)
        c = (x->event->partition > y->event->partition) -
            (x->event->partition < y->event->partition);
    if (c == 0)
        c = (x->index > y->index) - (x->index < y->index);
    return c;
}

enum ks_err gcoord_check_offsets_monotonic(const struct gcoord_commit_event *history,
                                           uint32_t count, char *why, uint32_t why_size)
{
    KS_ASSERT(why_size > 0);
    why[0] = '\0';
    struct commit_ref *order = ks_alloc(sizeof(*order) * (count + 1));
    for (uint32_t i = 0; i < count; i++)
        order[i] = (struct commit_ref){&history[i], i};
    if (count > 1)
        qsort(order, count, sizeof(*order), commit_ref_compare);
    enum ks_err err = KS_OK;
    for (uint32_t i = 1; i < count && err == KS_OK; i++) {
        const struct gcoord_commit_event *a = order[i - 1].event, *b = order[i].event;
        if (!wire_string_equal(a->group_id, b->group_id) ||
            !wire_string_equal(a->topic, b->topic) || a->partition != b->partition || b->reset ||
            b->offset >= a->offset)
            continue;
        snprintf(why, why_size,
                 "group %.*s: committed offset of %.*s-%d moved back from %lld to %lld",
                 (int)a->group_id.length, a->group_id.chars, (int)a->topic.length, a->topic.chars,
                 a->partition, (long long)a->offset, (long long)b->offset);
        err = KS_ERR_INVALID;
    }
    free(order);
    return err;
}

/* ---- Generation membership ------------------------------------------------------- */

enum ks_err gcoord_check_generation_members(const struct gcoord *c, char *why, uint32_t why_size)
{
    KS_ASSERT(why_size > 0);
    why[0] = '\0';
    for (uint32_t i = 0; i < c->group_count; i++) {
        const struct gmeta *g = c->groups[i];
        if (g->state != GMETA_STABLE && g->state != GMETA_COMPLETING_REBALANCE)
            continue;
        bool ok = g->member_count == g->generation_member_count && g->member_count > 0;
        for (uint32_t m = 0; ok && m < g->member_count; m++)
            ok = g->members[m]->generation == g->generation;
        if (ok)
            continue;
        snprintf(why, why_size,
                 "group %.*s generation %d is %s with %u members, formed with %u: no rebalance "
                 "after a member left",
                 (int)g->group_id.length, g->group_id.chars, g->generation,
                 gmeta_state_name(g->state), g->member_count, g->generation_member_count);
        return KS_ERR_INVALID;
    }
    return KS_OK;
}
