/*
 * mimage.c: the metadata image and the replay of records into it. Kafka:
 * MetadataDelta.replay, ClusterDelta, TopicsDelta, PartitionRegistration.merge,
 * ConfigurationsDelta. Each apply checks the record against the image first and
 * changes nothing when it does not fit.
 */
#include "system/controller/mimage.h"

#include <stdlib.h>
#include <string.h>

#define MIMAGE_METADATA_VERSION_NAME "metadata.version"

void mimage_init(struct mimage *img)
{
    memset(img, 0, sizeof(*img));
    img->offset = MIMAGE_NO_OFFSET;
}

static char *string_dup(struct wire_string s)
{
    if (wire_string_is_null(s))
        return NULL;
    char *out = ks_alloc((size_t)s.length + 1);
    memcpy(out, s.chars, (size_t)s.length);
    return out;
}

static char *cstr_dup(const char *s)
{
    return s != NULL ? ks_strdup(s) : NULL;
}

static void broker_free(struct mimage_broker *b)
{
    for (uint32_t i = 0; i < b->endpoint_count; i++) {
        free(b->endpoints[i].name);
        free(b->endpoints[i].host);
    }
    free(b->rack);
}

static void topic_free(struct mimage_topic *t)
{
    free(t->name);
    free(t->partitions);
}

static void config_free(struct mimage_config *c)
{
    free(c->resource_name);
    free(c->name);
    free(c->value);
}

void mimage_free(struct mimage *img)
{
    for (uint32_t i = 0; i < img->broker_count; i++)
        broker_free(&img->brokers[i]);
    for (uint32_t i = 0; i < img->topic_count; i++)
        topic_free(&img->topics[i]);
    for (uint32_t i = 0; i < img->config_count; i++)
        config_free(&img->configs[i]);
    free(img->brokers);
    free(img->topics);
    free(img->configs);
    mimage_init(img);
}

void mimage_copy(struct mimage *dst, const struct mimage *src)
{
    KS_ASSERT(dst != src);
    mimage_free(dst);
    dst->offset = src->offset;
    dst->metadata_version = src->metadata_version;
    dst->broker_count = dst->broker_capacity = src->broker_count;
    dst->brokers = ks_alloc(sizeof(*dst->brokers) * (src->broker_count + 1));
    for (uint32_t i = 0; i < src->broker_count; i++) {
        struct mimage_broker *b = &dst->brokers[i];
        *b = src->brokers[i];
        for (uint32_t e = 0; e < b->endpoint_count; e++) {
            b->endpoints[e].name = cstr_dup(src->brokers[i].endpoints[e].name);
            b->endpoints[e].host = cstr_dup(src->brokers[i].endpoints[e].host);
        }
        b->rack = cstr_dup(src->brokers[i].rack);
    }
    dst->topic_count = dst->topic_capacity = src->topic_count;
    dst->topics = ks_alloc(sizeof(*dst->topics) * (src->topic_count + 1));
    for (uint32_t i = 0; i < src->topic_count; i++) {
        struct mimage_topic *t = &dst->topics[i];
        *t = src->topics[i];
        t->name = cstr_dup(src->topics[i].name);
        t->partitions = ks_alloc(sizeof(*t->partitions) * (t->partition_count + 1));
        memcpy(t->partitions, src->topics[i].partitions,
               sizeof(*t->partitions) * t->partition_count);
    }
    dst->config_count = dst->config_capacity = src->config_count;
    dst->configs = ks_alloc(sizeof(*dst->configs) * (src->config_count + 1));
    for (uint32_t i = 0; i < src->config_count; i++) {
        dst->configs[i] = src->configs[i];
        dst->configs[i].resource_name = cstr_dup(src->configs[i].resource_name);
        dst->configs[i].name = cstr_dup(src->configs[i].name);
        dst->configs[i].value = cstr_dup(src->configs[i].value);
    }
    KS_ASSERT(mimage_digest(dst) == mimage_digest(src));
}

/* ---- lookups --------------------------------------------------------------------- */

/* Index of broker id, or where it would go. */
static uint32_t broker_slot(const struct mimage *img, int32_t id, bool *found)
{
    uint32_t lo = 0, hi = img->broker_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (img->brokers[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < img->broker_count && img->brokers[lo].id == id;
    return lo;
}

const struct mimage_broker *mimage_broker_find(const struct mimage *img, int32_t id)
{
    bool found;
    uint32_t slot = broker_slot(img, id, &found);
    return found ? &img->brokers[slot] : NULL;
}

bool mimage_broker_active(const struct mimage *img, int32_t id)
{
    const struct mimage_broker *b = mimage_broker_find(img, id);
    return b != NULL && !b->fenced && !b->in_controlled_shutdown;
}

static int name_compare(const char *a, const char *b, uint32_t b_length)
{
    size_t a_length = strlen(a);
    size_t n = a_length < b_length ? a_length : b_length;
    int c = memcmp(a, b, n);
    if (c != 0)
        return c;
    return a_length < b_length ? -1 : a_length > b_length ? 1 : 0;
}

static uint32_t topic_slot(const struct mimage *img, const char *name, uint32_t length, bool *found)
{
    uint32_t lo = 0, hi = img->topic_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (name_compare(img->topics[mid].name, name, length) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < img->topic_count && name_compare(img->topics[lo].name, name, length) == 0;
    return lo;
}

const struct mimage_topic *mimage_topic_find_name(const struct mimage *img, const char *name,
                                                  uint32_t name_length)
{
    bool found;
    uint32_t slot = topic_slot(img, name, name_length, &found);
    return found ? &img->topics[slot] : NULL;
}

static int32_t topic_index_by_id(const struct mimage *img, const struct wire_uuid *id)
{
    for (uint32_t i = 0; i < img->topic_count; i++) {
        if (memcmp(img->topics[i].id.bytes, id->bytes, WIRE_UUID_SIZE) == 0)
            return (int32_t)i;
    }
    return -1;
}

const struct mimage_topic *mimage_topic_find_id(const struct mimage *img,
                                                const struct wire_uuid *id)
{
    int32_t i = topic_index_by_id(img, id);
    return i >= 0 ? &img->topics[i] : NULL;
}

static int config_compare(const struct mimage_config *c, int8_t type, const char *resource,
                          const char *name)
{
    if (c->resource_type != type)
        return c->resource_type < type ? -1 : 1;
    int r = strcmp(c->resource_name, resource);
    return r != 0 ? r : strcmp(c->name, name);
}

static uint32_t config_slot(const struct mimage *img, int8_t type, const char *resource,
                            const char *name, bool *found)
{
    uint32_t lo = 0, hi = img->config_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (config_compare(&img->configs[mid], type, resource, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < img->config_count && config_compare(&img->configs[lo], type, resource, name) == 0;
    return lo;
}

const char *mimage_config_get(const struct mimage *img, int8_t resource_type,
                              const char *resource_name, const char *name)
{
    bool found;
    uint32_t slot = config_slot(img, resource_type, resource_name, name, &found);
    return found ? img->configs[slot].value : NULL;
}

bool mimage_partition_has_replica(const struct mimage_partition *p, int32_t broker_id)
{
    for (uint32_t i = 0; i < p->replica_count; i++) {
        if (p->replicas[i] == broker_id)
            return true;
    }
    return false;
}

bool mimage_partition_in_isr(const struct mimage_partition *p, int32_t broker_id)
{
    for (uint32_t i = 0; i < p->isr_count; i++) {
        if (p->isr[i] == broker_id)
            return true;
    }
    return false;
}

/* ---- applying -------------------------------------------------------------------- */

/* Makes room for one more element in a sorted array, at slot. */
static void *array_insert(void *array, uint32_t *count, uint32_t *capacity, size_t size,
                          uint32_t slot)
{
    KS_ASSERT(slot <= *count);
    if (*count == *capacity) {
        *capacity = *capacity == 0 ? 8 : *capacity * 2;
        array = ks_realloc(array, size * *capacity);
    }
    uint8_t *bytes = array;
    memmove(bytes + size * (slot + 1), bytes + size * slot, size * (*count - slot));
    memset(bytes + size * slot, 0, size);
    (*count)++;
    return array;
}

static void array_remove(void *array, uint32_t *count, size_t size, uint32_t slot)
{
    KS_ASSERT(slot < *count);
    uint8_t *bytes = array;
    memmove(bytes + size * slot, bytes + size * (slot + 1), size * (*count - slot - 1));
    (*count)--;
}

static enum ks_err apply_register_broker(struct mimage *img, const struct mrec_register_broker *r)
{
    bool found;
    uint32_t slot = broker_slot(img, r->broker_id, &found);
    if (r->broker_id < 0 || r->endpoint_count > MREC_ENDPOINTS_MAX)
        return KS_ERR_INVALID;
    if (!found && img->broker_count >= MIMAGE_BROKERS_MAX)
        return KS_ERR_TOO_MANY;
    if (found)
        broker_free(&img->brokers[slot]);
    else
        img->brokers = array_insert(img->brokers, &img->broker_count, &img->broker_capacity,
                                    sizeof(*img->brokers), slot);
    struct mimage_broker *b = &img->brokers[slot];
    memset(b, 0, sizeof(*b));
    b->id = r->broker_id;
    b->incarnation_id = r->incarnation_id;
    b->epoch = r->broker_epoch;
    b->fenced = r->fenced;
    b->in_controlled_shutdown = r->in_controlled_shutdown;
    b->endpoint_count = r->endpoint_count;
    for (uint32_t i = 0; i < r->endpoint_count; i++) {
        b->endpoints[i].name = string_dup(r->endpoints[i].name);
        b->endpoints[i].host = string_dup(r->endpoints[i].host);
        b->endpoints[i].port = r->endpoints[i].port;
        b->endpoints[i].security_protocol = r->endpoints[i].security_protocol;
    }
    b->rack = string_dup(r->rack);
    return KS_OK;
}

/* The broker registered with exactly this epoch, or NULL. */
static struct mimage_broker *broker_with_epoch(struct mimage *img, int32_t id, int64_t epoch)
{
    bool found;
    uint32_t slot = broker_slot(img, id, &found);
    if (!found || img->brokers[slot].epoch != epoch)
        return NULL;
    return &img->brokers[slot];
}

static enum ks_err apply_unregister_broker(struct mimage *img, const struct mrec_broker_epoch *r)
{
    bool found;
    uint32_t slot = broker_slot(img, r->broker_id, &found);
    if (!found || img->brokers[slot].epoch != r->broker_epoch)
        return KS_ERR_INVALID;
    broker_free(&img->brokers[slot]);
    array_remove(img->brokers, &img->broker_count, sizeof(*img->brokers), slot);
    return KS_OK;
}

static enum ks_err apply_fence(struct mimage *img, const struct mrec_broker_epoch *r, bool fenced)
{
    struct mimage_broker *b = broker_with_epoch(img, r->broker_id, r->broker_epoch);
    if (b == NULL)
        return KS_ERR_INVALID;
    b->fenced = fenced;
    return KS_OK;
}

static enum ks_err apply_registration_change(struct mimage *img,
                                             const struct mrec_broker_registration_change *r)
{
    struct mimage_broker *b = broker_with_epoch(img, r->broker_id, r->broker_epoch);
    if (b == NULL || r->fenced < -1 || r->fenced > 1 || r->in_controlled_shutdown < 0 ||
        r->in_controlled_shutdown > 1)
        return KS_ERR_INVALID;
    if (r->fenced != MREC_FENCE_CHANGE_NONE)
        b->fenced = r->fenced == MREC_FENCE_CHANGE_FENCE;
    if (r->in_controlled_shutdown == 1)
        b->in_controlled_shutdown = true;
    return KS_OK;
}

static enum ks_err apply_topic(struct mimage *img, const struct mrec_topic *r)
{
    bool found;
    if (r->name.length <= 0 || wire_uuid_is_zero(&r->topic_id))
        return KS_ERR_INVALID;
    uint32_t slot = topic_slot(img, r->name.chars, (uint32_t)r->name.length, &found);
    if (found || topic_index_by_id(img, &r->topic_id) >= 0)
        return KS_ERR_INVALID;
    if (img->topic_count >= MIMAGE_TOPICS_MAX)
        return KS_ERR_TOO_MANY;
    img->topics = array_insert(img->topics, &img->topic_count, &img->topic_capacity,
                               sizeof(*img->topics), slot);
    img->topics[slot].name = string_dup(r->name);
    img->topics[slot].id = r->topic_id;
    return KS_OK;
}

static bool ids_fit(const struct mrec_ids *ids, bool may_be_empty)
{
    return ids->count >= (may_be_empty ? 0 : 1) && (uint32_t)ids->count <= MREC_REPLICAS_MAX;
}

static void ids_copy(int32_t *dst, uint32_t *dst_count, const struct mrec_ids *ids)
{
    KS_ASSERT(ids->count >= 0);
    *dst_count = (uint32_t)ids->count;
    memcpy(dst, ids->ids, sizeof(int32_t) * (uint32_t)ids->count);
}

static enum ks_err apply_partition(struct mimage *img, const struct mrec_partition *r)
{
    int32_t t = topic_index_by_id(img, &r->topic_id);
    if (t < 0 || r->partition_id < 0 || !ids_fit(&r->replicas, false) || !ids_fit(&r->isr, true))
        return KS_ERR_INVALID;
    struct mimage_topic *topic = &img->topics[t];
    if ((uint32_t)r->partition_id > topic->partition_count)
        return KS_ERR_INVALID; /* partitions arrive in order */
    if ((uint32_t)r->partition_id == topic->partition_count) {
        if (topic->partition_count >= MIMAGE_PARTITIONS_MAX)
            return KS_ERR_TOO_MANY;
        topic->partition_count++;
        topic->partitions =
            ks_realloc(topic->partitions, sizeof(*topic->partitions) * topic->partition_count);
    }
    struct mimage_partition *p = &topic->partitions[r->partition_id];
    memset(p, 0, sizeof(*p));
    ids_copy(p->replicas, &p->replica_count, &r->replicas);
    ids_copy(p->isr, &p->isr_count, &r->isr);
    p->leader = r->leader;
    p->leader_epoch = r->leader_epoch;
    p->partition_epoch = r->partition_epoch;
    p->leader_recovery_state = r->leader_recovery_state;
    return KS_OK;
}

/* PartitionRegistration.merge: a new leader bumps the leader epoch; every change
 * bumps the partition epoch. */
static enum ks_err apply_partition_change(struct mimage *img, const struct mrec_partition_change *r)
{
    int32_t t = topic_index_by_id(img, &r->topic_id);
    if (t < 0 || r->partition_id < 0 || (uint32_t)r->partition_id >= img->topics[t].partition_count)
        return KS_ERR_INVALID;
    if ((r->isr.count >= 0 && !ids_fit(&r->isr, true)) ||
        (r->replicas.count >= 0 && !ids_fit(&r->replicas, false)) || r->leader < -2)
        return KS_ERR_INVALID;
    struct mimage_partition *p = &img->topics[t].partitions[r->partition_id];
    if (r->isr.count >= 0)
        ids_copy(p->isr, &p->isr_count, &r->isr);
    if (r->replicas.count >= 0)
        ids_copy(p->replicas, &p->replica_count, &r->replicas);
    if (r->leader != MREC_NO_LEADER_CHANGE) {
        p->leader = r->leader;
        p->leader_epoch++;
    }
    if (r->leader_recovery_state != MREC_LEADER_RECOVERY_UNCHANGED)
        p->leader_recovery_state = r->leader_recovery_state;
    p->partition_epoch++;
    return KS_OK;
}

static enum ks_err apply_config(struct mimage *img, const struct mrec_config *r)
{
    bool found;
    if (r->resource_name.length < 0 || r->name.length <= 0)
        return KS_ERR_INVALID;
    char *resource = string_dup(r->resource_name);
    char *name = string_dup(r->name);
    uint32_t slot = config_slot(img, r->resource_type, resource, name, &found);
    enum ks_err err = KS_OK;
    if (found) {
        config_free(&img->configs[slot]);
        if (wire_string_is_null(r->value)) {
            array_remove(img->configs, &img->config_count, sizeof(*img->configs), slot);
            goto free_keys;
        }
    } else if (wire_string_is_null(r->value)) {
        goto free_keys; /* deleting what is not there */
    } else if (img->config_count >= MIMAGE_CONFIGS_MAX) {
        err = KS_ERR_TOO_MANY;
        goto free_keys;
    } else {
        img->configs = array_insert(img->configs, &img->config_count, &img->config_capacity,
                                    sizeof(*img->configs), slot);
    }
    img->configs[slot].resource_type = r->resource_type;
    img->configs[slot].resource_name = resource;
    img->configs[slot].name = name;
    img->configs[slot].value = string_dup(r->value);
    return KS_OK;
free_keys:
    free(resource);
    free(name);
    return err;
}

/* Removes every config of one resource. */
static void configs_remove_resource(struct mimage *img, int8_t type, const char *resource)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < img->config_count; i++) {
        struct mimage_config *c = &img->configs[i];
        if (c->resource_type == type && strcmp(c->resource_name, resource) == 0)
            config_free(c);
        else
            img->configs[kept++] = *c;
    }
    img->config_count = kept;
}

static enum ks_err apply_remove_topic(struct mimage *img, const struct mrec_remove_topic *r)
{
    int32_t t = topic_index_by_id(img, &r->topic_id);
    if (t < 0)
        return KS_ERR_INVALID;
    configs_remove_resource(img, MREC_CONFIG_RESOURCE_TOPIC, img->topics[t].name);
    topic_free(&img->topics[t]);
    array_remove(img->topics, &img->topic_count, sizeof(*img->topics), (uint32_t)t);
    return KS_OK;
}

static enum ks_err apply_record(struct mimage *img, const struct mrec *rec)
{
    switch (rec->type) {
    case MREC_REGISTER_BROKER:
        return apply_register_broker(img, &rec->u.register_broker);
    case MREC_UNREGISTER_BROKER:
        return apply_unregister_broker(img, &rec->u.unregister_broker);
    case MREC_FENCE_BROKER:
        return apply_fence(img, &rec->u.fence_broker, true);
    case MREC_UNFENCE_BROKER:
        return apply_fence(img, &rec->u.unfence_broker, false);
    case MREC_BROKER_REGISTRATION_CHANGE:
        return apply_registration_change(img, &rec->u.registration_change);
    case MREC_TOPIC:
        return apply_topic(img, &rec->u.topic);
    case MREC_PARTITION:
        return apply_partition(img, &rec->u.partition);
    case MREC_PARTITION_CHANGE:
        return apply_partition_change(img, &rec->u.partition_change);
    case MREC_CONFIG:
        return apply_config(img, &rec->u.config);
    case MREC_REMOVE_TOPIC:
        return apply_remove_topic(img, &rec->u.remove_topic);
    case MREC_FEATURE_LEVEL:
        if (wire_string_equal_cstr(rec->u.feature_level.name, MIMAGE_METADATA_VERSION_NAME))
            img->metadata_version = rec->u.feature_level.feature_level;
        return KS_OK;
    case MREC_NO_OP:
        return KS_OK;
    }
    return KS_ERR_INVALID;
}

enum ks_err mimage_apply(struct mimage *img, int64_t offset, const struct mrec *rec)
{
    KS_ASSERT(offset >= 0);
    KS_ASSERT(offset > img->offset); /* records apply once, in log order */
    enum ks_err err = apply_record(img, rec);
    if (err == KS_OK)
        img->offset = offset;
    return err;
}

enum ks_err mimage_apply_value(struct mimage *img, int64_t offset, const uint8_t *value,
                               uint32_t size_bytes)
{
    struct mrec rec;
    enum ks_err err = mrec_decode(value, size_bytes, &rec);
    if (err != KS_OK)
        return err;
    return mimage_apply(img, offset, &rec);
}

/* ---- digest ---------------------------------------------------------------------- */

static uint64_t hash_int(uint64_t h, int64_t v)
{
    uint8_t bytes[8];
    ks_be64_store(bytes, (uint64_t)v);
    return ks_fnv1a64(h, bytes, sizeof(bytes));
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    if (s == NULL)
        return hash_int(h, -1);
    h = hash_int(h, (int64_t)strlen(s));
    return ks_fnv1a64(h, s, strlen(s));
}

static uint64_t hash_ids(uint64_t h, const int32_t *ids, uint32_t count)
{
    h = hash_int(h, count);
    for (uint32_t i = 0; i < count; i++)
        h = hash_int(h, ids[i]);
    return h;
}

static uint64_t hash_broker(uint64_t h, const struct mimage_broker *b)
{
    h = hash_int(h, b->id);
    h = ks_fnv1a64(h, b->incarnation_id.bytes, WIRE_UUID_SIZE);
    h = hash_int(h, b->epoch);
    h = hash_int(h, (int64_t)b->fenced << 1 | (int64_t)b->in_controlled_shutdown);
    for (uint32_t e = 0; e < b->endpoint_count; e++) {
        h = hash_str(h, b->endpoints[e].name);
        h = hash_str(h, b->endpoints[e].host);
        h = hash_int(h, (int64_t)b->endpoints[e].port << 16 | b->endpoints[e].security_protocol);
    }
    return hash_str(h, b->rack);
}

static uint64_t hash_topic(uint64_t h, const struct mimage_topic *t)
{
    h = hash_str(h, t->name);
    h = ks_fnv1a64(h, t->id.bytes, WIRE_UUID_SIZE);
    for (uint32_t p = 0; p < t->partition_count; p++) {
        const struct mimage_partition *part = &t->partitions[p];
        h = hash_ids(h, part->replicas, part->replica_count);
        h = hash_ids(h, part->isr, part->isr_count);
        h = hash_int(h, part->leader);
        h = hash_int(h, part->leader_epoch);
        h = hash_int(h, part->partition_epoch);
        h = hash_int(h, part->leader_recovery_state);
    }
    return h;
}

uint64_t mimage_digest(const struct mimage *img)
{
    uint64_t h = hash_int(KS_FNV1A64_INIT, img->metadata_version);
    for (uint32_t i = 0; i < img->broker_count; i++)
        h = hash_broker(h, &img->brokers[i]);
    for (uint32_t i = 0; i < img->topic_count; i++)
        h = hash_topic(h, &img->topics[i]);
    for (uint32_t i = 0; i < img->config_count; i++) {
        h = hash_int(h, img->configs[i].resource_type);
        h = hash_str(h, img->configs[i].resource_name);
        h = hash_str(h, img->configs[i].name);
        h = hash_str(h, img->configs[i].value);
    }
    return h;
}
