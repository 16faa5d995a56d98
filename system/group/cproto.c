/*
 * cproto.c: ConsumerProtocolSubscription and ConsumerProtocolAssignment v0-v3, and the
 * sticky assignors' user data. Kafka: ConsumerProtocol.serializeSubscription /
 * deserializeSubscription (checkSubscriptionVersion: newer parses as newest),
 * StickyAssignor.serializeTopicPartitionAssignment / deserializeTopicPartitionAssignment
 * (V1 first, then V0), CooperativeStickyAssignor.subscriptionUserData.
 */
#include "system/group/cproto.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element, to bound counts before allocating. */
#define CPROTO_TOPIC_SIZE_MIN 2u
#define CPROTO_TOPIC_PARTITIONS_SIZE_MIN 6u
#define CPROTO_PARTITION_SIZE 4u

static void *cproto_alloc(int32_t count, size_t element_size)
{
    KS_ASSERT(count >= 0);
    KS_ASSERT((uint32_t)count <= WIRE_ARRAY_COUNT_MAX);
    return ks_alloc((size_t)count * element_size);
}

/* ---- [TopicPartition] ---- */

static void topic_partitions_decode(struct wire_reader *r, uint32_t *count,
                                    struct cproto_topic_partitions **out)
{
    int32_t n = wire_read_array_count(r, CPROTO_TOPIC_PARTITIONS_SIZE_MIN);
    *out = cproto_alloc(n, sizeof(**out));
    *count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++) {
        struct cproto_topic_partitions *tp = &(*out)[i];
        tp->topic = wire_read_string(r);
        int32_t m = wire_read_array_count(r, CPROTO_PARTITION_SIZE);
        tp->partitions = cproto_alloc(m, sizeof(*tp->partitions));
        tp->partition_count = (uint32_t)m;
        for (int32_t j = 0; j < m; j++)
            tp->partitions[j] = wire_read_int32(r);
    }
}

static void topic_partitions_encode(struct wire_writer *w, uint32_t count,
                                    const struct cproto_topic_partitions *tps)
{
    KS_ASSERT(count <= WIRE_ARRAY_COUNT_MAX);
    wire_write_array_count(w, (int32_t)count);
    for (uint32_t i = 0; i < count; i++) {
        KS_ASSERT(tps[i].partition_count <= WIRE_ARRAY_COUNT_MAX);
        wire_write_string(w, tps[i].topic);
        wire_write_array_count(w, (int32_t)tps[i].partition_count);
        for (uint32_t j = 0; j < tps[i].partition_count; j++)
            wire_write_int32(w, tps[i].partitions[j]);
    }
}

static void topic_partitions_free(uint32_t count, struct cproto_topic_partitions *tps)
{
    for (uint32_t i = 0; i < count; i++)
        free(tps[i].partitions);
    free(tps);
}

/* Kafka ignores what follows a payload; we do so only for versions newer than ours. */
static enum ks_err cproto_finish(const struct wire_reader *r, int16_t version)
{
    if (r->err != KS_OK || version > CPROTO_VERSION_MAX)
        return r->err;
    return wire_reader_finish(r);
}

/* ---- subscription ---- */

void cproto_subscription_encode(struct wire_writer *w, const struct cproto_subscription *s)
{
    KS_ASSERT(s->version >= CPROTO_VERSION_MIN && s->version <= CPROTO_VERSION_MAX);
    KS_ASSERT(s->topic_count <= WIRE_ARRAY_COUNT_MAX);
    wire_write_int16(w, s->version);
    wire_write_array_count(w, (int32_t)s->topic_count);
    for (uint32_t i = 0; i < s->topic_count; i++)
        wire_write_string(w, s->topics[i]);
    wire_write_nullable_bytes(w, s->user_data);
    if (s->version >= 1)
        topic_partitions_encode(w, s->owned_count, s->owned_partitions);
    if (s->version >= 2)
        wire_write_int32(w, s->generation_id);
    if (s->version >= 3)
        wire_write_nullable_string(w, s->rack_id);
}

enum ks_err cproto_subscription_decode(const uint8_t *bytes, uint32_t size_bytes,
                                       struct cproto_subscription *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    out->generation_id = CPROTO_GENERATION_UNKNOWN;
    wire_reader_init(&r, bytes, size_bytes);
    out->version = wire_read_int16(&r);
    if (r.err == KS_OK && out->version < CPROTO_VERSION_MIN)
        wire_reader_fail(&r, KS_ERR_UNSUPPORTED_VERSION);
    int32_t n = wire_read_array_count(&r, CPROTO_TOPIC_SIZE_MIN);
    out->topics = cproto_alloc(n, sizeof(*out->topics));
    out->topic_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++)
        out->topics[i] = wire_read_string(&r);
    out->user_data = wire_read_nullable_bytes(&r);
    if (out->version >= 1)
        topic_partitions_decode(&r, &out->owned_count, &out->owned_partitions);
    if (out->version >= 2)
        out->generation_id = wire_read_int32(&r);
    out->rack_id = out->version >= 3 ? wire_read_nullable_string(&r) : wire_string_null();
    enum ks_err err = cproto_finish(&r, out->version);
    if (err != KS_OK)
        cproto_subscription_free(out);
    return err;
}

void cproto_subscription_free(struct cproto_subscription *s)
{
    free(s->topics);
    topic_partitions_free(s->owned_count, s->owned_partitions);
    s->topics = NULL;
    s->owned_partitions = NULL;
    s->topic_count = 0;
    s->owned_count = 0;
}

/* ---- assignment ---- */

void cproto_assignment_encode(struct wire_writer *w, const struct cproto_assignment *a)
{
    KS_ASSERT(a->version >= CPROTO_VERSION_MIN && a->version <= CPROTO_VERSION_MAX);
    wire_write_int16(w, a->version);
    topic_partitions_encode(w, a->topic_count, a->assigned_partitions);
    wire_write_nullable_bytes(w, a->user_data);
}

enum ks_err cproto_assignment_decode(const uint8_t *bytes, uint32_t size_bytes,
                                     struct cproto_assignment *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    wire_reader_init(&r, bytes, size_bytes);
    out->version = wire_read_int16(&r);
    if (r.err == KS_OK && out->version < CPROTO_VERSION_MIN)
        wire_reader_fail(&r, KS_ERR_UNSUPPORTED_VERSION);
    topic_partitions_decode(&r, &out->topic_count, &out->assigned_partitions);
    out->user_data = wire_read_nullable_bytes(&r);
    enum ks_err err = cproto_finish(&r, out->version);
    if (err != KS_OK)
        cproto_assignment_free(out);
    return err;
}

void cproto_assignment_free(struct cproto_assignment *a)
{
    topic_partitions_free(a->topic_count, a->assigned_partitions);
    a->assigned_partitions = NULL;
    a->topic_count = 0;
}

/* ---- assignors' user data ---- */

void cproto_sticky_user_data_encode(struct wire_writer *w, const struct cproto_sticky_user_data *d)
{
    KS_ASSERT(d->topic_count <= WIRE_ARRAY_COUNT_MAX);
    topic_partitions_encode(w, d->topic_count, d->previous_assignment);
    if (d->generation != CPROTO_GENERATION_UNKNOWN)
        wire_write_int32(w, d->generation); /* V1 */
}

enum ks_err cproto_sticky_user_data_decode(const uint8_t *bytes, uint32_t size_bytes,
                                           struct cproto_sticky_user_data *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    out->generation = CPROTO_GENERATION_UNKNOWN;
    wire_reader_init(&r, bytes, size_bytes);
    topic_partitions_decode(&r, &out->topic_count, &out->previous_assignment);
    /* V1 carries the generation after the assignment; V0 ends there. */
    if (r.err == KS_OK && wire_reader_remaining(&r) > 0)
        out->generation = wire_read_int32(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        cproto_sticky_user_data_free(out);
    return err;
}

void cproto_sticky_user_data_free(struct cproto_sticky_user_data *d)
{
    topic_partitions_free(d->topic_count, d->previous_assignment);
    d->previous_assignment = NULL;
    d->topic_count = 0;
}

void cproto_cooperative_user_data_encode(struct wire_writer *w, int32_t generation)
{
    wire_write_int32(w, generation);
}

enum ks_err cproto_cooperative_user_data_decode(const uint8_t *bytes, uint32_t size_bytes,
                                                int32_t *generation)
{
    struct wire_reader r;
    wire_reader_init(&r, bytes, size_bytes);
    *generation = wire_read_int32(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        *generation = CPROTO_GENERATION_UNKNOWN;
    return err;
}
