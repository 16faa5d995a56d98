/*
 * assignor_cproto.c: between the consumer protocol payloads and the assignors: what
 * each assignor reads from a subscription (StickyAssignor.memberData,
 * CooperativeStickyAssignor.memberData) and a member's result as the assignment the
 * leader sends in SyncGroup (ConsumerProtocol.serializeAssignment groups by topic).
 */
#include <stdlib.h>
#include <string.h>

#include "system/group/assignor.h"

/* Flattens [topic, [partition]] into one assignor_tp per partition. */
static void flatten(uint32_t topic_count, const struct cproto_topic_partitions *tps,
                    struct assignor_tp **owned, uint32_t *owned_count)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < topic_count; i++)
        n += tps[i].partition_count;
    KS_ASSERT(n <= (uint64_t)WIRE_ARRAY_COUNT_MAX * 2);
    *owned = ks_alloc((size_t)(n + 1) * sizeof(**owned));
    *owned_count = 0;
    for (uint32_t i = 0; i < topic_count; i++) {
        for (uint32_t j = 0; j < tps[i].partition_count; j++)
            (*owned)[(*owned_count)++] = (struct assignor_tp){tps[i].topic, tps[i].partitions[j]};
    }
    KS_ASSERT(*owned_count == n);
}

static void owned_sticky(const struct cproto_subscription *s, struct assignor_tp **owned,
                         uint32_t *owned_count, int32_t *generation)
{
    struct cproto_sticky_user_data d;
    if (s->user_data.size_bytes <= 0 ||
        cproto_sticky_user_data_decode(s->user_data.bytes, (uint32_t)s->user_data.size_bytes, &d) !=
            KS_OK) {
        *owned = ks_alloc(sizeof(**owned));
        return;
    }
    flatten(d.topic_count, d.previous_assignment, owned, owned_count);
    *generation = d.generation;
    cproto_sticky_user_data_free(&d);
}

static void owned_cooperative(const struct cproto_subscription *s, struct assignor_tp **owned,
                              uint32_t *owned_count, int32_t *generation)
{
    flatten(s->owned_count, s->owned_partitions, owned, owned_count);
    if (s->version >= 2 && s->generation_id >= 0) {
        *generation = s->generation_id;
    } else if (s->user_data.size_bytes >= 0) {
        if (cproto_cooperative_user_data_decode(
                s->user_data.bytes, (uint32_t)s->user_data.size_bytes, generation) != KS_OK)
            *generation = ASSIGNOR_GENERATION_UNKNOWN;
    }
}

void assignor_owned_from_subscription(enum assignor_kind kind, const struct cproto_subscription *s,
                                      struct assignor_tp **owned, uint32_t *owned_count,
                                      int32_t *generation)
{
    *owned = NULL;
    *owned_count = 0;
    *generation = ASSIGNOR_GENERATION_UNKNOWN;
    switch (kind) {
    case ASSIGNOR_STICKY:
        owned_sticky(s, owned, owned_count, generation);
        break;
    case ASSIGNOR_COOPERATIVE_STICKY:
        owned_cooperative(s, owned, owned_count, generation);
        break;
    case ASSIGNOR_RANGE:
    case ASSIGNOR_ROUNDROBIN:
        *owned = ks_alloc(sizeof(**owned));
        break;
    default:
        KS_UNREACHABLE();
    }
    KS_ASSERT(*owned != NULL);
}

void assignor_to_cproto_assignment(const struct assignor_member_assignment *a, int16_t version,
                                   struct cproto_assignment *out)
{
    KS_ASSERT(version >= CPROTO_VERSION_MIN && version <= CPROTO_VERSION_MAX);
    memset(out, 0, sizeof(*out));
    out->version = version;
    out->user_data = (struct wire_bytes){NULL, -1};
    out->assigned_partitions =
        ks_alloc((a->partition_count + 1) * sizeof(*out->assigned_partitions));
    for (uint32_t i = 0; i < a->partition_count; i++) { /* sorted: a topic's run is contiguous */
        struct cproto_topic_partitions *last =
            out->topic_count > 0 ? &out->assigned_partitions[out->topic_count - 1] : NULL;
        if (last == NULL || !wire_string_equal(last->topic, a->partitions[i].topic)) {
            last = &out->assigned_partitions[out->topic_count++];
            last->topic = a->partitions[i].topic;
            last->partitions = ks_alloc((a->partition_count - i) * sizeof(int32_t));
        }
        last->partitions[last->partition_count++] = a->partitions[i].partition;
    }
    KS_ASSERT(out->topic_count <= a->partition_count);
}
