/*
 * mrec.c: KRaft metadata record codec (KIP-631). Kafka: MetadataRecordSerde and the
 * generated RegisterBrokerRecord, TopicRecord, PartitionRecord, PartitionChangeRecord,
 * FenceBrokerRecord, UnfenceBrokerRecord, ConfigRecord, RemoveTopicRecord,
 * FeatureLevelRecord, BrokerRegistrationChangeRecord, UnregisterBrokerRecord and
 * NoOpRecord. Fields are read and written in the JSON schemas' order; tagged fields
 * are written only when they differ from their default, as Kafka's generated code does.
 */
#include "system/controller/mrec.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Fewest bytes of one endpoint / feature on the wire (empty strings, fixed fields). */
#define MREC_ENDPOINT_SIZE_MIN 7u
#define MREC_FEATURE_SIZE_MIN 6u
#define MREC_INT32_SIZE 4u

struct mrec_type_info {
    uint32_t type;
    const char *name;      /* Kafka's class name */
    const char *json_name; /* MetadataRecordType's name, as kafka-dump-log prints it */
    int16_t version_max;
};

static const struct mrec_type_info type_table[] = {
    {MREC_REGISTER_BROKER, "RegisterBrokerRecord", "REGISTER_BROKER_RECORD",
     MREC_REGISTER_BROKER_VERSION_MAX},
    {MREC_UNREGISTER_BROKER, "UnregisterBrokerRecord", "UNREGISTER_BROKER_RECORD", 0},
    {MREC_TOPIC, "TopicRecord", "TOPIC_RECORD", 0},
    {MREC_PARTITION, "PartitionRecord", "PARTITION_RECORD", MREC_PARTITION_VERSION_MAX},
    {MREC_CONFIG, "ConfigRecord", "CONFIG_RECORD", 0},
    {MREC_PARTITION_CHANGE, "PartitionChangeRecord", "PARTITION_CHANGE_RECORD",
     MREC_PARTITION_CHANGE_VERSION_MAX},
    {MREC_FENCE_BROKER, "FenceBrokerRecord", "FENCE_BROKER_RECORD", 0},
    {MREC_UNFENCE_BROKER, "UnfenceBrokerRecord", "UNFENCE_BROKER_RECORD", 0},
    {MREC_REMOVE_TOPIC, "RemoveTopicRecord", "REMOVE_TOPIC_RECORD", 0},
    {MREC_FEATURE_LEVEL, "FeatureLevelRecord", "FEATURE_LEVEL_RECORD", 0},
    {MREC_BROKER_REGISTRATION_CHANGE, "BrokerRegistrationChangeRecord",
     "BROKER_REGISTRATION_CHANGE_RECORD", MREC_BROKER_REGISTRATION_CHANGE_VERSION_MAX},
    {MREC_NO_OP, "NoOpRecord", "NO_OP_RECORD", 0},
};

static const struct mrec_type_info *type_info(uint32_t type)
{
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(type_table); i++) {
        if (type_table[i].type == type)
            return &type_table[i];
    }
    return NULL;
}

const char *mrec_type_name(uint32_t type)
{
    const struct mrec_type_info *info = type_info(type);
    return info != NULL ? info->name : "Unknown";
}

int16_t mrec_version_max(uint32_t type)
{
    const struct mrec_type_info *info = type_info(type);
    return info != NULL ? info->version_max : -1;
}

static void ids_set_null(struct mrec_ids *ids)
{
    ids->count = -1;
}

void mrec_init(struct mrec *rec, enum mrec_type type)
{
    memset(rec, 0, sizeof(*rec));
    rec->type = type;
    switch (type) {
    case MREC_REGISTER_BROKER:
        rec->u.register_broker.rack = wire_string_null();
        rec->u.register_broker.fenced = true;
        break;
    case MREC_PARTITION:
        rec->u.partition.partition_id = -1;
        rec->u.partition.leader = MREC_NO_LEADER;
        rec->u.partition.leader_epoch = -1;
        rec->u.partition.partition_epoch = -1;
        break;
    case MREC_PARTITION_CHANGE:
        rec->u.partition_change.partition_id = -1;
        ids_set_null(&rec->u.partition_change.isr);
        rec->u.partition_change.leader = MREC_NO_LEADER_CHANGE;
        ids_set_null(&rec->u.partition_change.replicas);
        ids_set_null(&rec->u.partition_change.removing_replicas);
        ids_set_null(&rec->u.partition_change.adding_replicas);
        rec->u.partition_change.leader_recovery_state = MREC_LEADER_RECOVERY_UNCHANGED;
        break;
    case MREC_CONFIG:
        rec->u.config.value = wire_string_null();
        break;
    default:
        break;
    }
}

/* ---- encoding -------------------------------------------------------------------- */

static void ids_write(struct wire_writer *w, const struct mrec_ids *ids, bool nullable)
{
    if (ids->count < 0) {
        if (!nullable)
            wire_writer_fail(w, KS_ERR_INVALID);
        wire_write_compact_nullable_array_count(w, -1);
        return;
    }
    if ((uint32_t)ids->count > MREC_REPLICAS_MAX) {
        wire_writer_fail(w, KS_ERR_INVALID);
        return;
    }
    wire_write_compact_array_count(w, ids->count);
    for (int32_t i = 0; i < ids->count; i++)
        wire_write_int32(w, ids->ids[i]);
}

/* Writes ids as tagged field `tag` when it is not null (its default). */
static void ids_write_tagged(struct wire_writer *w, uint32_t tag, const struct mrec_ids *ids)
{
    struct wire_writer field;
    if (ids->count < 0)
        return;
    wire_writer_init(&field);
    ids_write(&field, ids, true);
    wire_write_tagged_field(w, tag, &field);
    wire_writer_free(&field);
}

static void int8_write_tagged(struct wire_writer *w, uint32_t tag, int8_t v)
{
    struct wire_writer field;
    wire_writer_init(&field);
    wire_write_int8(&field, v);
    wire_write_tagged_field(w, tag, &field);
    wire_writer_free(&field);
}

static void int32_write_tagged(struct wire_writer *w, uint32_t tag, int32_t v)
{
    struct wire_writer field;
    wire_writer_init(&field);
    wire_write_int32(&field, v);
    wire_write_tagged_field(w, tag, &field);
    wire_writer_free(&field);
}

static void register_broker_encode(struct wire_writer *w, int16_t version,
                                   const struct mrec_register_broker *r)
{
    if (r->endpoint_count > MREC_ENDPOINTS_MAX || r->feature_count > MREC_FEATURES_MAX) {
        wire_writer_fail(w, KS_ERR_INVALID);
        return;
    }
    wire_write_int32(w, r->broker_id);
    if (version >= 2)
        wire_write_bool(w, r->is_migrating_zk_broker);
    wire_write_uuid(w, &r->incarnation_id);
    wire_write_int64(w, r->broker_epoch);
    wire_write_compact_array_count(w, (int32_t)r->endpoint_count);
    for (uint32_t i = 0; i < r->endpoint_count; i++) {
        wire_write_compact_string(w, r->endpoints[i].name);
        wire_write_compact_string(w, r->endpoints[i].host);
        wire_write_uint16(w, r->endpoints[i].port);
        wire_write_int16(w, r->endpoints[i].security_protocol);
        wire_write_empty_tagged_fields(w);
    }
    wire_write_compact_array_count(w, (int32_t)r->feature_count);
    for (uint32_t i = 0; i < r->feature_count; i++) {
        wire_write_compact_string(w, r->features[i].name);
        wire_write_int16(w, r->features[i].version_min);
        wire_write_int16(w, r->features[i].version_max);
        wire_write_empty_tagged_fields(w);
    }
    wire_write_compact_nullable_string(w, r->rack);
    wire_write_bool(w, r->fenced);
    if (version >= 1)
        wire_write_bool(w, r->in_controlled_shutdown);
    else if (r->in_controlled_shutdown)
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
    wire_write_empty_tagged_fields(w); /* v3 LogDirs (tag 0): empty, the default */
}

static void partition_encode(struct wire_writer *w, int16_t version, const struct mrec_partition *p)
{
    if (version != 0) { /* v1+ needs Directories, which this project does not keep */
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    wire_write_int32(w, p->partition_id);
    wire_write_uuid(w, &p->topic_id);
    ids_write(w, &p->replicas, false);
    ids_write(w, &p->isr, false);
    ids_write(w, &p->removing_replicas, false);
    ids_write(w, &p->adding_replicas, false);
    wire_write_int32(w, p->leader);
    wire_write_int32(w, p->leader_epoch);
    wire_write_int32(w, p->partition_epoch);
    if (p->leader_recovery_state != MREC_LEADER_RECOVERED) {
        wire_write_uvarint(w, 1);
        int8_write_tagged(w, 0, p->leader_recovery_state);
    } else {
        wire_write_empty_tagged_fields(w);
    }
}

static uint32_t partition_change_tag_count(const struct mrec_partition_change *c)
{
    return (c->isr.count >= 0) + (c->leader != MREC_NO_LEADER_CHANGE) + (c->replicas.count >= 0) +
           (c->removing_replicas.count >= 0) + (c->adding_replicas.count >= 0) +
           (c->leader_recovery_state != MREC_LEADER_RECOVERY_UNCHANGED);
}

static void partition_change_encode(struct wire_writer *w, int16_t version,
                                    const struct mrec_partition_change *c)
{
    if (version != 0) { /* v1+ tags (Directories, ELR) are not kept */
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    wire_write_int32(w, c->partition_id);
    wire_write_uuid(w, &c->topic_id);
    wire_write_uvarint(w, partition_change_tag_count(c));
    ids_write_tagged(w, 0, &c->isr);
    if (c->leader != MREC_NO_LEADER_CHANGE)
        int32_write_tagged(w, 1, c->leader);
    ids_write_tagged(w, 2, &c->replicas);
    ids_write_tagged(w, 3, &c->removing_replicas);
    ids_write_tagged(w, 4, &c->adding_replicas);
    if (c->leader_recovery_state != MREC_LEADER_RECOVERY_UNCHANGED)
        int8_write_tagged(w, 5, c->leader_recovery_state);
}

static void registration_change_encode(struct wire_writer *w, int16_t version,
                                       const struct mrec_broker_registration_change *c)
{
    bool has_shutdown = version >= 1 && c->in_controlled_shutdown != 0;
    if (version < 1 && c->in_controlled_shutdown != 0)
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
    wire_write_int32(w, c->broker_id);
    wire_write_int64(w, c->broker_epoch);
    wire_write_uvarint(w, (uint32_t)(c->fenced != 0) + (uint32_t)has_shutdown);
    if (c->fenced != 0)
        int8_write_tagged(w, 0, c->fenced);
    if (has_shutdown)
        int8_write_tagged(w, 1, c->in_controlled_shutdown);
}

static void body_encode(struct wire_writer *w, const struct mrec *rec)
{
    switch (rec->type) {
    case MREC_REGISTER_BROKER:
        register_broker_encode(w, rec->version, &rec->u.register_broker);
        return;
    case MREC_UNREGISTER_BROKER:
    case MREC_FENCE_BROKER:
    case MREC_UNFENCE_BROKER: /* same shape: int32 id, int64 epoch */
        wire_write_int32(w, rec->u.fence_broker.broker_id);
        wire_write_int64(w, rec->u.fence_broker.broker_epoch);
        break;
    case MREC_TOPIC:
        wire_write_compact_string(w, rec->u.topic.name);
        wire_write_uuid(w, &rec->u.topic.topic_id);
        break;
    case MREC_PARTITION:
        partition_encode(w, rec->version, &rec->u.partition);
        return;
    case MREC_CONFIG:
        wire_write_int8(w, rec->u.config.resource_type);
        wire_write_compact_string(w, rec->u.config.resource_name);
        wire_write_compact_string(w, rec->u.config.name);
        wire_write_compact_nullable_string(w, rec->u.config.value);
        break;
    case MREC_PARTITION_CHANGE:
        partition_change_encode(w, rec->version, &rec->u.partition_change);
        return;
    case MREC_REMOVE_TOPIC:
        wire_write_uuid(w, &rec->u.remove_topic.topic_id);
        break;
    case MREC_FEATURE_LEVEL:
        wire_write_compact_string(w, rec->u.feature_level.name);
        wire_write_int16(w, rec->u.feature_level.feature_level);
        break;
    case MREC_BROKER_REGISTRATION_CHANGE:
        registration_change_encode(w, rec->version, &rec->u.registration_change);
        return;
    case MREC_NO_OP:
        break;
    }
    wire_write_empty_tagged_fields(w);
}

void mrec_encode(struct wire_writer *w, const struct mrec *rec)
{
    int16_t version_max = mrec_version_max((uint32_t)rec->type);
    if (version_max < 0) {
        wire_writer_fail(w, KS_ERR_INVALID);
        return;
    }
    if (rec->version < 0 || rec->version > version_max) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    wire_write_uvarint(w, MREC_FRAME_VERSION);
    wire_write_uvarint(w, (uint32_t)rec->type);
    wire_write_uvarint(w, (uint32_t)rec->version);
    body_encode(w, rec);
}

/* ---- decoding -------------------------------------------------------------------- */

static void ids_read(struct wire_reader *r, struct mrec_ids *ids, bool nullable)
{
    int32_t n = nullable ? wire_read_compact_nullable_array_count(r, MREC_INT32_SIZE)
                         : wire_read_compact_array_count(r, MREC_INT32_SIZE);
    ids->count = r->err == KS_OK ? n : 0;
    if (r->err != KS_OK || n < 0)
        return;
    if ((uint32_t)n > MREC_REPLICAS_MAX) {
        wire_reader_fail(r, KS_ERR_TOO_MANY);
        ids->count = 0;
        return;
    }
    for (int32_t i = 0; i < n; i++)
        ids->ids[i] = wire_read_int32(r);
}

/* Reads a compact array of uuids and drops it (Directories, LogDirs). */
static void uuids_skip(struct wire_reader *r)
{
    int32_t n = wire_read_compact_nullable_array_count(r, WIRE_UUID_SIZE);
    if (n > (int32_t)MREC_LOG_DIRS_MAX)
        wire_reader_fail(r, KS_ERR_TOO_MANY);
    for (int32_t i = 0; i < n && r->err == KS_OK; i++)
        (void)wire_read_uuid(r);
}

static void endpoints_read(struct wire_reader *r, struct mrec_register_broker *b)
{
    int32_t n = wire_read_compact_array_count(r, MREC_ENDPOINT_SIZE_MIN);
    if (n > (int32_t)MREC_ENDPOINTS_MAX)
        wire_reader_fail(r, KS_ERR_TOO_MANY);
    if (r->err != KS_OK)
        return;
    b->endpoint_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++) {
        b->endpoints[i].name = wire_read_compact_string(r);
        b->endpoints[i].host = wire_read_compact_string(r);
        b->endpoints[i].port = wire_read_uint16(r);
        b->endpoints[i].security_protocol = wire_read_int16(r);
        wire_skip_tagged_fields(r);
    }
}

static void features_read(struct wire_reader *r, struct mrec_register_broker *b)
{
    int32_t n = wire_read_compact_array_count(r, MREC_FEATURE_SIZE_MIN);
    if (n > (int32_t)MREC_FEATURES_MAX)
        wire_reader_fail(r, KS_ERR_TOO_MANY);
    if (r->err != KS_OK)
        return;
    b->feature_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++) {
        b->features[i].name = wire_read_compact_string(r);
        b->features[i].version_min = wire_read_int16(r);
        b->features[i].version_max = wire_read_int16(r);
        wire_skip_tagged_fields(r);
    }
}

static void register_broker_decode(struct wire_reader *r, int16_t version,
                                   struct mrec_register_broker *b)
{
    b->broker_id = wire_read_int32(r);
    if (version >= 2)
        b->is_migrating_zk_broker = wire_read_bool(r);
    b->incarnation_id = wire_read_uuid(r);
    b->broker_epoch = wire_read_int64(r);
    endpoints_read(r, b);
    features_read(r, b);
    b->rack = wire_read_compact_nullable_string(r);
    b->fenced = wire_read_bool(r);
    if (version >= 1)
        b->in_controlled_shutdown = wire_read_bool(r);
    wire_skip_tagged_fields(r); /* v3 LogDirs (tag 0) */
}

/* Reads a tag section, handing each tag to fn; unknown tags are skipped. */
typedef void (*tag_fn)(struct wire_reader *field, uint32_t tag, void *out);

static void tags_read(struct wire_reader *r, tag_fn fn, void *out)
{
    struct wire_tags tags;
    struct wire_reader field;
    uint32_t tag;
    wire_read_tags_begin(r, &tags);
    while (wire_read_tags_next(r, &tags, &tag, &field)) {
        fn(&field, tag, out);
        wire_read_tag_end(r, &field);
    }
}

static void partition_tag(struct wire_reader *field, uint32_t tag, void *out)
{
    struct mrec_partition *p = out;
    if (tag == 0)
        p->leader_recovery_state = wire_read_int8(field);
    else /* 1, 2: ELR, LastKnownElr (v2): not kept */
        field->offset = field->size_bytes;
}

static void partition_decode(struct wire_reader *r, int16_t version, struct mrec_partition *p)
{
    p->partition_id = wire_read_int32(r);
    p->topic_id = wire_read_uuid(r);
    ids_read(r, &p->replicas, false);
    ids_read(r, &p->isr, false);
    ids_read(r, &p->removing_replicas, false);
    ids_read(r, &p->adding_replicas, false);
    p->leader = wire_read_int32(r);
    p->leader_epoch = wire_read_int32(r);
    p->partition_epoch = wire_read_int32(r);
    if (version >= 1)
        uuids_skip(r); /* Directories */
    tags_read(r, partition_tag, p);
}

static void partition_change_tag(struct wire_reader *field, uint32_t tag, void *out)
{
    struct mrec_partition_change *c = out;
    switch (tag) {
    case 0:
        ids_read(field, &c->isr, true);
        break;
    case 1:
        c->leader = wire_read_int32(field);
        break;
    case 2:
        ids_read(field, &c->replicas, true);
        break;
    case 3:
        ids_read(field, &c->removing_replicas, true);
        break;
    case 4:
        ids_read(field, &c->adding_replicas, true);
        break;
    case 5:
        c->leader_recovery_state = wire_read_int8(field);
        break;
    default: /* 6-8: ELR, LastKnownElr, Directories: not kept */
        field->offset = field->size_bytes;
        break;
    }
}

static void registration_change_tag(struct wire_reader *field, uint32_t tag, void *out)
{
    struct mrec_broker_registration_change *c = out;
    if (tag == 0)
        c->fenced = wire_read_int8(field);
    else if (tag == 1)
        c->in_controlled_shutdown = wire_read_int8(field);
    else /* 2: LogDirs */
        field->offset = field->size_bytes;
}

static void body_decode(struct wire_reader *r, struct mrec *rec)
{
    switch (rec->type) {
    case MREC_REGISTER_BROKER:
        register_broker_decode(r, rec->version, &rec->u.register_broker);
        return;
    case MREC_UNREGISTER_BROKER:
    case MREC_FENCE_BROKER:
    case MREC_UNFENCE_BROKER:
        rec->u.fence_broker.broker_id = wire_read_int32(r);
        rec->u.fence_broker.broker_epoch = wire_read_int64(r);
        break;
    case MREC_TOPIC:
        rec->u.topic.name = wire_read_compact_string(r);
        rec->u.topic.topic_id = wire_read_uuid(r);
        break;
    case MREC_PARTITION:
        partition_decode(r, rec->version, &rec->u.partition);
        return;
    case MREC_CONFIG:
        rec->u.config.resource_type = wire_read_int8(r);
        rec->u.config.resource_name = wire_read_compact_string(r);
        rec->u.config.name = wire_read_compact_string(r);
        rec->u.config.value = wire_read_compact_nullable_string(r);
        break;
    case MREC_PARTITION_CHANGE:
        rec->u.partition_change.partition_id = wire_read_int32(r);
        rec->u.partition_change.topic_id = wire_read_uuid(r);
        tags_read(r, partition_change_tag, &rec->u.partition_change);
        return;
    case MREC_REMOVE_TOPIC:
        rec->u.remove_topic.topic_id = wire_read_uuid(r);
        break;
    case MREC_FEATURE_LEVEL:
        rec->u.feature_level.name = wire_read_compact_string(r);
        rec->u.feature_level.feature_level = wire_read_int16(r);
        break;
    case MREC_BROKER_REGISTRATION_CHANGE:
        rec->u.registration_change.broker_id = wire_read_int32(r);
        rec->u.registration_change.broker_epoch = wire_read_int64(r);
        tags_read(r, registration_change_tag, &rec->u.registration_change);
        return;
    case MREC_NO_OP:
        break;
    }
    wire_skip_tagged_fields(r);
}

enum ks_err mrec_decode(const uint8_t *bytes, uint32_t size_bytes, struct mrec *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    if (bytes == NULL)
        return KS_ERR_INVALID; /* a null value */
    wire_reader_init(&r, bytes, size_bytes);
    uint32_t frame_version = wire_read_uvarint(&r);
    uint32_t type = wire_read_uvarint(&r);
    uint32_t version = wire_read_uvarint(&r);
    if (r.err != KS_OK)
        return r.err;
    if (frame_version != MREC_FRAME_VERSION || type_info(type) == NULL)
        return KS_ERR_INVALID;
    if (version > (uint32_t)mrec_version_max(type))
        return KS_ERR_UNSUPPORTED_VERSION;
    mrec_init(out, (enum mrec_type)type);
    out->version = (int16_t)version;
    body_decode(&r, out);
    return wire_reader_finish(&r);
}

/* ---- describing ------------------------------------------------------------------ */

void mrec_uuid_text(const struct wire_uuid *uuid, char out[MREC_UUID_TEXT_SIZE])
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint32_t o = 0;
    for (uint32_t i = 0; i < WIRE_UUID_SIZE; i += 3) {
        uint32_t n = WIRE_UUID_SIZE - i < 3 ? WIRE_UUID_SIZE - i : 3;
        uint32_t v = (uint32_t)uuid->bytes[i] << 16;
        if (n > 1)
            v |= (uint32_t)uuid->bytes[i + 1] << 8;
        if (n > 2)
            v |= uuid->bytes[i + 2];
        for (uint32_t k = 0; k < n + 1; k++)
            out[o++] = alphabet[(v >> (18 - 6 * k)) & 0x3f];
    }
    KS_ASSERT(o == MREC_UUID_TEXT_SIZE - 1);
    out[o] = '\0';
}

/* A bounded text builder: appends stop at the end, the text stays terminated. */
struct text {
    char *buf;
    size_t size;
    size_t used;
};

static void KS_PRINTF(2, 3) text_add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    if (t->size == 0 || t->used >= t->size - 1)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->used, t->size - t->used, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    t->used += (size_t)n;
    if (t->used > t->size - 1)
        t->used = t->size - 1;
}

static void text_string(struct text *t, const char *key, struct wire_string s)
{
    if (wire_string_is_null(s))
        text_add(t, "\"%s\":null", key);
    else
        text_add(t, "\"%s\":\"%.*s\"", key, (int)s.length, s.chars);
}

static void text_uuid(struct text *t, const char *key, const struct wire_uuid *uuid)
{
    char id[MREC_UUID_TEXT_SIZE];
    mrec_uuid_text(uuid, id);
    text_add(t, "\"%s\":\"%s\"", key, id);
}

static void text_ids(struct text *t, const char *key, const struct mrec_ids *ids)
{
    if (ids->count < 0) {
        text_add(t, "\"%s\":null", key);
        return;
    }
    text_add(t, "\"%s\":[", key);
    for (int32_t i = 0; i < ids->count; i++)
        text_add(t, "%s%d", i > 0 ? "," : "", (int)ids->ids[i]);
    text_add(t, "]");
}

static void describe_register_broker(struct text *t, const struct mrec_register_broker *b)
{
    text_add(t, "\"brokerId\":%d,", (int)b->broker_id);
    text_uuid(t, "incarnationId", &b->incarnation_id);
    text_add(t, ",\"brokerEpoch\":%lld,\"endPoints\":[", (long long)b->broker_epoch);
    for (uint32_t i = 0; i < b->endpoint_count; i++) {
        const struct mrec_endpoint *e = &b->endpoints[i];
        text_add(t, "%s{", i > 0 ? "," : "");
        text_string(t, "name", e->name);
        text_add(t, ",");
        text_string(t, "host", e->host);
        text_add(t, ",\"port\":%u,\"securityProtocol\":%d}", (unsigned)e->port,
                 (int)e->security_protocol);
    }
    text_add(t, "],");
    text_string(t, "rack", b->rack);
    text_add(t, ",\"fenced\":%s,\"inControlledShutdown\":%s", b->fenced ? "true" : "false",
             b->in_controlled_shutdown ? "true" : "false");
}

static void describe_partition(struct text *t, const struct mrec_partition *p)
{
    text_add(t, "\"partitionId\":%d,", (int)p->partition_id);
    text_uuid(t, "topicId", &p->topic_id);
    text_add(t, ",");
    text_ids(t, "replicas", &p->replicas);
    text_add(t, ",");
    text_ids(t, "isr", &p->isr);
    text_add(t, ",");
    text_ids(t, "removingReplicas", &p->removing_replicas);
    text_add(t, ",");
    text_ids(t, "addingReplicas", &p->adding_replicas);
    text_add(t,
             ",\"leader\":%d,\"leaderRecoveryState\":%d,\"leaderEpoch\":%d,"
             "\"partitionEpoch\":%d",
             (int)p->leader, (int)p->leader_recovery_state, (int)p->leader_epoch,
             (int)p->partition_epoch);
}

static void describe_partition_change(struct text *t, const struct mrec_partition_change *c)
{
    text_add(t, "\"partitionId\":%d,", (int)c->partition_id);
    text_uuid(t, "topicId", &c->topic_id);
    if (c->isr.count >= 0) {
        text_add(t, ",");
        text_ids(t, "isr", &c->isr);
    }
    if (c->leader != MREC_NO_LEADER_CHANGE)
        text_add(t, ",\"leader\":%d", (int)c->leader);
    if (c->replicas.count >= 0) {
        text_add(t, ",");
        text_ids(t, "replicas", &c->replicas);
    }
    if (c->leader_recovery_state != MREC_LEADER_RECOVERY_UNCHANGED)
        text_add(t, ",\"leaderRecoveryState\":%d", (int)c->leader_recovery_state);
}

static void describe_body(struct text *t, const struct mrec *rec)
{
    switch (rec->type) {
    case MREC_REGISTER_BROKER:
        describe_register_broker(t, &rec->u.register_broker);
        break;
    case MREC_UNREGISTER_BROKER:
        text_add(t, "\"brokerId\":%d,\"brokerEpoch\":%lld", (int)rec->u.fence_broker.broker_id,
                 (long long)rec->u.fence_broker.broker_epoch);
        break;
    case MREC_FENCE_BROKER:
    case MREC_UNFENCE_BROKER:
        text_add(t, "\"id\":%d,\"epoch\":%lld", (int)rec->u.fence_broker.broker_id,
                 (long long)rec->u.fence_broker.broker_epoch);
        break;
    case MREC_TOPIC:
        text_string(t, "name", rec->u.topic.name);
        text_add(t, ",");
        text_uuid(t, "topicId", &rec->u.topic.topic_id);
        break;
    case MREC_PARTITION:
        describe_partition(t, &rec->u.partition);
        break;
    case MREC_CONFIG:
        text_add(t, "\"resourceType\":%d,", (int)rec->u.config.resource_type);
        text_string(t, "resourceName", rec->u.config.resource_name);
        text_add(t, ",");
        text_string(t, "name", rec->u.config.name);
        text_add(t, ",");
        text_string(t, "value", rec->u.config.value);
        break;
    case MREC_PARTITION_CHANGE:
        describe_partition_change(t, &rec->u.partition_change);
        break;
    case MREC_REMOVE_TOPIC:
        text_uuid(t, "topicId", &rec->u.remove_topic.topic_id);
        break;
    case MREC_FEATURE_LEVEL:
        text_string(t, "name", rec->u.feature_level.name);
        text_add(t, ",\"featureLevel\":%d", (int)rec->u.feature_level.feature_level);
        break;
    case MREC_BROKER_REGISTRATION_CHANGE:
        text_add(t,
                 "\"brokerId\":%d,\"brokerEpoch\":%lld,\"fenced\":%d,"
                 "\"inControlledShutdown\":%d",
                 (int)rec->u.registration_change.broker_id,
                 (long long)rec->u.registration_change.broker_epoch,
                 (int)rec->u.registration_change.fenced,
                 (int)rec->u.registration_change.in_controlled_shutdown);
        break;
    case MREC_NO_OP:
        break;
    }
}

enum ks_err mrec_describe(const uint8_t *bytes, uint32_t size_bytes, char *buf, size_t buf_size)
{
    struct text t = {buf, buf_size, 0};
    struct mrec rec;
    if (buf_size > 0)
        buf[0] = '\0';
    enum ks_err err = mrec_decode(bytes, size_bytes, &rec);
    if (err != KS_OK) {
        text_add(&t, "undecodable metadata record (%s)", ks_err_name(err));
        return err;
    }
    text_add(&t, "{\"type\":\"%s\",\"version\":%d,\"data\":{", type_info(rec.type)->json_name,
             (int)rec.version);
    describe_body(&t, &rec);
    text_add(&t, "}}");
    return KS_OK;
}
