/*
 * assignor_plan.h: the working state the assignors share (internal to assignor*.c).
 * Topics are sorted by name and their partitions numbered globally in that order, so
 * a partition is one uint32 and "sorted by topic, then partition" is numeric order.
 * Members keep their input index; two orders over them are kept: Java's MemberInfo
 * order (range, roundrobin) and plain member id order (sticky).
 */
#ifndef KS_GROUP_ASSIGNOR_PLAN_H
#define KS_GROUP_ASSIGNOR_PLAN_H

#include "system/group/assignor.h"

#define ASSIGNOR_NONE UINT32_MAX

struct assignor_plan {
    const struct assignor_topic *topics; /* input */
    uint32_t topic_count;
    const struct assignor_member *members; /* input */
    uint32_t member_count;
    uint32_t *topic_order;     /* sorted rank -> input index */
    uint32_t *topic_base;      /* sorted rank -> first global partition (count + 1 entries) */
    uint32_t *partition_topic; /* global partition -> sorted topic rank */
    uint32_t partition_total;
    uint32_t *member_info_order; /* MemberInfo order -> member index */
    uint32_t *member_id_order;   /* member id order -> member index */
    uint8_t *subscribed;         /* [member * topic_count + rank]: 1 if subscribed */
    uint32_t *owner;             /* global partition -> member index or ASSIGNOR_NONE */
};

/* The sorted rank of a topic name, ASSIGNOR_NONE if not in the metadata. */
uint32_t assignor_plan_topic_rank(const struct assignor_plan *plan, struct wire_string name);
/* The global partition of (topic, partition), ASSIGNOR_NONE if it does not exist. */
uint32_t assignor_plan_partition(const struct assignor_plan *plan, const struct assignor_tp *tp);
bool assignor_plan_subscribed(const struct assignor_plan *plan, uint32_t member, uint32_t rank);

/* Sticky and cooperative-sticky (assignor_sticky.c): fills plan->owner. */
void assignor_sticky_assign(struct assignor_plan *plan, bool cooperative);

#endif
