/*
 * cproto.h: the consumer protocol payloads carried inside JoinGroup (member metadata)
 * and SyncGroup (assignments) when the group's protocol type is "consumer", and the
 * assignors' user data. Kafka: ConsumerProtocolSubscription.json v0-v3,
 * ConsumerProtocolAssignment.json v0-v3, ConsumerProtocol (an int16 version, then a
 * non-flexible struct; a newer version is parsed as the newest known, trailing bytes
 * ignored), StickyAssignor's STICKY_ASSIGNOR_USER_DATA_V0/V1 and
 * CooperativeStickyAssignor's COOPERATIVE_STICKY_ASSIGNOR_USER_DATA_V0.
 *
 * Decoders borrow their input (names, user data point into it) and allocate the
 * arrays; free with the matching _free(). Encoders only read and drop what the version
 * lacks (every field added after v0 is ignorable).
 */
#ifndef KS_GROUP_CPROTO_H
#define KS_GROUP_CPROTO_H

#include "system/proto/wire.h"

#define CPROTO_VERSION_MIN 0
#define CPROTO_VERSION_MAX 3
/* The protocol type of consumer groups in JoinGroup. */
#define CPROTO_PROTOCOL_TYPE "consumer"
/* GenerationId when unknown (v2+ default). */
#define CPROTO_GENERATION_UNKNOWN (-1)

/* A topic and some of its partitions (TopicPartition in both schemas). */
struct cproto_topic_partitions {
    struct wire_string topic;
    uint32_t partition_count;
    int32_t *partitions;
};

/* ConsumerProtocolSubscription: what a member sends in JoinGroup. */
struct cproto_subscription {
    int16_t version; /* as decoded (may exceed 3) or to encode (0-3) */
    uint32_t topic_count;
    struct wire_string *topics;
    struct wire_bytes user_data; /* nullable */
    uint32_t owned_count;        /* v1+ */
    struct cproto_topic_partitions *owned_partitions;
    int32_t generation_id;      /* v2+; default -1 */
    struct wire_string rack_id; /* v3+, nullable; default null */
};

/* ConsumerProtocolAssignment: what the leader hands each member in SyncGroup. */
struct cproto_assignment {
    int16_t version;
    uint32_t topic_count;
    struct cproto_topic_partitions *assigned_partitions;
    struct wire_bytes user_data; /* nullable */
};

/* StickyAssignor user data: the previous assignment, v1 adds the generation. */
struct cproto_sticky_user_data {
    uint32_t topic_count;
    struct cproto_topic_partitions *previous_assignment;
    int32_t generation; /* -1 when absent (v0) */
};

/* Appends the payload at s->version (0-3). */
void cproto_subscription_encode(struct wire_writer *w, const struct cproto_subscription *s);
/* A negative version or malformed bytes fail; versions above 3 parse as 3. */
KS_MUST_CHECK enum ks_err cproto_subscription_decode(const uint8_t *bytes, uint32_t size_bytes,
                                                     struct cproto_subscription *out);
void cproto_subscription_free(struct cproto_subscription *s);

void cproto_assignment_encode(struct wire_writer *w, const struct cproto_assignment *a);
KS_MUST_CHECK enum ks_err cproto_assignment_decode(const uint8_t *bytes, uint32_t size_bytes,
                                                   struct cproto_assignment *out);
void cproto_assignment_free(struct cproto_assignment *a);

/* V1 with the generation (what Kafka writes), V0 when generation is -1 (unknown). */
void cproto_sticky_user_data_encode(struct wire_writer *w, const struct cproto_sticky_user_data *d);
KS_MUST_CHECK enum ks_err cproto_sticky_user_data_decode(const uint8_t *bytes, uint32_t size_bytes,
                                                         struct cproto_sticky_user_data *out);
void cproto_sticky_user_data_free(struct cproto_sticky_user_data *d);

/* CooperativeStickyAssignor user data: one int32 generation. */
void cproto_cooperative_user_data_encode(struct wire_writer *w, int32_t generation);
KS_MUST_CHECK enum ks_err
cproto_cooperative_user_data_decode(const uint8_t *bytes, uint32_t size_bytes, int32_t *generation);

#endif
