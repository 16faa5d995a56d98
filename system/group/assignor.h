/*
 * assignor.h: the client-side partition assignors of Kafka's classic consumer groups,
 * run by the group leader on the members' subscriptions. Kafka: RangeAssignor,
 * RoundRobinAssignor, StickyAssignor, CooperativeStickyAssignor and
 * AbstractStickyAssignor (KIP-54, KIP-341, KIP-429, KIP-792), ConsumerPartitionAssignor.
 *
 * Deterministic: topics and members are sorted as Java sorts them (String.compareTo
 * over UTF-16 units; members as MemberInfo sorts them, static members first by
 * group.instance.id) and where Java iterates a HashMap, we iterate in member id order.
 * No floating point. Racks are not considered (no rack-aware assignment).
 *
 * The sticky assignors take each member's previously owned partitions and generation
 * in struct assignor_member: for "sticky" the caller fills them from the StickyAssignor
 * user data (cproto_sticky_user_data), for "cooperative-sticky" from the subscription's
 * OwnedPartitions and GenerationId (v2+) or the cooperative user data.
 *
 * Results borrow the input's topic names; free them with assignor_result_free().
 */
#ifndef KS_GROUP_ASSIGNOR_H
#define KS_GROUP_ASSIGNOR_H

#include "system/group/cproto.h"
#include "system/proto/wire.h"

/* Named limits on one assignment; above them assignor_assign() fails with TOO_MANY. */
#define ASSIGNOR_MEMBERS_MAX 1024u
#define ASSIGNOR_TOPICS_MAX 1024u
#define ASSIGNOR_PARTITIONS_MAX 262144u
/* A member's owned partitions are one entry per partition at most. */
#define ASSIGNOR_OWNED_MAX ASSIGNOR_PARTITIONS_MAX
/* Generation of a member that sent none (AbstractStickyAssignor.DEFAULT_GENERATION). */
#define ASSIGNOR_GENERATION_UNKNOWN (-1)

enum assignor_kind {
    ASSIGNOR_RANGE,
    ASSIGNOR_ROUNDROBIN,
    ASSIGNOR_STICKY,
    ASSIGNOR_COOPERATIVE_STICKY,
};

/* A topic of the cluster metadata the leader sees. */
struct assignor_topic {
    struct wire_string name;
    int32_t partition_count;
};

struct assignor_tp {
    struct wire_string topic;
    int32_t partition;
};

struct assignor_member {
    struct wire_string member_id;
    struct wire_string group_instance_id; /* nullable */
    uint32_t topic_count;                 /* subscribed topics; unknown ones are ignored */
    const struct wire_string *topics;
    uint32_t owned_count; /* sticky assignors: previously owned partitions */
    const struct assignor_tp *owned;
    int32_t generation; /* sticky assignors; ASSIGNOR_GENERATION_UNKNOWN if none */
};

/* One member's partitions, sorted by topic (Java order) then partition. */
struct assignor_member_assignment {
    uint32_t partition_count;
    struct assignor_tp *partitions;
};

struct assignor_result {
    uint32_t member_count; /* as the input, same order */
    struct assignor_member_assignment *members;
};

/* Kafka's protocol name ("range", "roundrobin", "sticky", "cooperative-sticky"). */
const char *assignor_name(enum assignor_kind kind);
/* The assignor a protocol name selects; false if none of ours. */
bool assignor_from_name(struct wire_string name, enum assignor_kind *kind);
/* Whether the assignor follows the cooperative protocol (KIP-429). */
bool assignor_is_cooperative(enum assignor_kind kind);

/*
 * Assigns every partition of the subscribed topics. With cooperative-sticky, a
 * partition that moves away from a member still owning it is left out of this round
 * (the owner revokes it, then a follow-up rebalance assigns it). Input comes from the
 * wire: duplicate member ids or topic names, negative partition counts fail with
 * KS_ERR_INVALID, limits with KS_ERR_TOO_MANY; *out is then empty.
 */
KS_MUST_CHECK enum ks_err assignor_assign(enum assignor_kind kind,
                                          const struct assignor_topic *topics, uint32_t topic_count,
                                          const struct assignor_member *members,
                                          uint32_t member_count, struct assignor_result *out);
void assignor_result_free(struct assignor_result *result);

/*
 * The owned partitions and generation an assignor reads from a member's decoded
 * subscription (assignor_cproto.c): none for range and roundrobin; for sticky the
 * StickyAssignor user data (previous assignment, V1 generation); for cooperative-sticky
 * OwnedPartitions with GenerationId (v2+, when >= 0), else the generation in the
 * cooperative user data (-1 if it does not parse), as
 * CooperativeStickyAssignor.memberData does. *owned is allocated (free() it) and its
 * topic names point into the subscription's input. Undecodable sticky user data counts
 * as no previous assignment, as Kafka logs and carries on.
 */
void assignor_owned_from_subscription(enum assignor_kind kind, const struct cproto_subscription *s,
                                      struct assignor_tp **owned, uint32_t *owned_count,
                                      int32_t *generation);
/*
 * One member's result as a ConsumerProtocolAssignment at version (0-3), partitions
 * grouped by topic in order. Allocates the topic array and partition arrays: free with
 * cproto_assignment_free(). Topic names point into the assignor's input.
 */
void assignor_to_cproto_assignment(const struct assignor_member_assignment *a, int16_t version,
                                   struct cproto_assignment *out);

#endif
