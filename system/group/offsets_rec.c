/*
 * offsets_rec.c: __consumer_offsets keys and values (OffsetCommitKey/Value,
 * GroupMetadataKey/Value), their one-line description, and a group's partition.
 * Kafka: the group-coordinator JSON schemas, GroupCoordinatorRecordSerde,
 * GroupMetadataManager.partitionFor, Utils.abs, and OffsetsMessageParser (dump-log).
 */
#include "system/group/offsets_rec.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/group/jstring.h"

/* Fewest wire bytes of one member, to bound counts before allocating. */
#define OFFREC_MEMBER_SIZE_MIN 18u

static bool value_flexible(int16_t version)
{
    return version >= OFFREC_VALUE_FLEXIBLE_VERSION_FIRST;
}

/* The version a value is parsed as: newer than we know reads as the newest (KIP-915). */
static int16_t value_parse_version(int16_t version)
{
    return version > OFFREC_VALUE_VERSION_MAX ? OFFREC_VALUE_VERSION_MAX : version;
}

/* ---- keys ---- */

void offrec_key_encode(struct wire_writer *w, const struct offrec_key *key)
{
    KS_ASSERT(key->version >= OFFREC_KEY_OFFSET_COMMIT_V0);
    KS_ASSERT(key->version <= OFFREC_KEY_GROUP_METADATA);
    wire_write_int16(w, key->version);
    wire_write_string(w, key->group);
    if (key->version == OFFREC_KEY_GROUP_METADATA)
        return;
    wire_write_string(w, key->topic);
    wire_write_int32(w, key->partition);
}

enum ks_err offrec_key_decode(const uint8_t *bytes, uint32_t size_bytes, struct offrec_key *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    wire_reader_init(&r, bytes, size_bytes);
    out->version = wire_read_int16(&r);
    if (r.err == KS_OK &&
        (out->version < OFFREC_KEY_OFFSET_COMMIT_V0 || out->version > OFFREC_KEY_GROUP_METADATA))
        return KS_ERR_UNSUPPORTED_VERSION;
    out->group = wire_read_string(&r);
    if (out->version != OFFREC_KEY_GROUP_METADATA) {
        out->topic = wire_read_string(&r);
        out->partition = wire_read_int32(&r);
    }
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        memset(out, 0, sizeof(*out));
    return err;
}

/* ---- OffsetCommitValue ---- */

void offrec_offset_commit_value_encode(struct wire_writer *w,
                                       const struct offrec_offset_commit_value *value)
{
    int16_t v = value->version;
    KS_ASSERT(v >= 0 && v <= OFFREC_VALUE_VERSION_MAX);
    wire_write_int16(w, v);
    wire_write_int64(w, value->offset);
    if (v >= 3)
        wire_write_int32(w, value->leader_epoch);
    wire_write_flex_string(w, value_flexible(v), value->metadata);
    wire_write_int64(w, value->commit_timestamp);
    if (v == 1)
        wire_write_int64(w, value->expire_timestamp);
    if (value_flexible(v))
        wire_write_empty_tagged_fields(w);
}

enum ks_err offrec_offset_commit_value_decode(const uint8_t *bytes, uint32_t size_bytes,
                                              struct offrec_offset_commit_value *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    wire_reader_init(&r, bytes, size_bytes);
    out->version = wire_read_int16(&r);
    if (r.err == KS_OK && out->version < 0)
        return KS_ERR_UNSUPPORTED_VERSION;
    int16_t v = value_parse_version(out->version);
    out->offset = wire_read_int64(&r);
    out->leader_epoch = v >= 3 ? wire_read_int32(&r) : -1;
    out->metadata = wire_read_flex_string(&r, value_flexible(v));
    out->commit_timestamp = wire_read_int64(&r);
    out->expire_timestamp = v == 1 ? wire_read_int64(&r) : -1;
    if (value_flexible(v))
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        memset(out, 0, sizeof(*out));
    return err;
}

/* ---- GroupMetadataValue ---- */

static void member_encode(struct wire_writer *w, int16_t v, const struct offrec_member *m)
{
    bool flexible = value_flexible(v);
    wire_write_flex_string(w, flexible, m->member_id);
    if (v >= 3)
        wire_write_flex_nullable_string(w, flexible, m->group_instance_id);
    wire_write_flex_string(w, flexible, m->client_id);
    wire_write_flex_string(w, flexible, m->client_host);
    if (v >= 1)
        wire_write_int32(w, m->rebalance_timeout_ms);
    wire_write_int32(w, m->session_timeout_ms);
    wire_write_flex_bytes(w, flexible, m->subscription);
    wire_write_flex_bytes(w, flexible, m->assignment);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void offrec_group_metadata_value_encode(struct wire_writer *w,
                                        const struct offrec_group_metadata_value *value)
{
    int16_t v = value->version;
    bool flexible = value_flexible(v);
    KS_ASSERT(v >= 0 && v <= OFFREC_VALUE_VERSION_MAX);
    KS_ASSERT(value->member_count <= OFFREC_MEMBERS_MAX);
    wire_write_int16(w, v);
    wire_write_flex_string(w, flexible, value->protocol_type);
    wire_write_int32(w, value->generation);
    wire_write_flex_nullable_string(w, flexible, value->protocol);
    wire_write_flex_nullable_string(w, flexible, value->leader);
    if (v >= 2)
        wire_write_int64(w, value->current_state_timestamp);
    wire_write_flex_array_count(w, flexible, (int32_t)value->member_count);
    for (uint32_t i = 0; i < value->member_count; i++)
        member_encode(w, v, &value->members[i]);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

static void member_decode(struct wire_reader *r, int16_t v, struct offrec_member *m)
{
    bool flexible = value_flexible(v);
    m->member_id = wire_read_flex_string(r, flexible);
    m->group_instance_id =
        v >= 3 ? wire_read_flex_nullable_string(r, flexible) : wire_string_null();
    m->client_id = wire_read_flex_string(r, flexible);
    m->client_host = wire_read_flex_string(r, flexible);
    m->rebalance_timeout_ms = v >= 1 ? wire_read_int32(r) : -1;
    m->session_timeout_ms = wire_read_int32(r);
    m->subscription = wire_read_flex_bytes(r, flexible);
    m->assignment = wire_read_flex_bytes(r, flexible);
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err offrec_group_metadata_value_decode(const uint8_t *bytes, uint32_t size_bytes,
                                               struct offrec_group_metadata_value *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    wire_reader_init(&r, bytes, size_bytes);
    out->version = wire_read_int16(&r);
    if (r.err == KS_OK && out->version < 0)
        return KS_ERR_UNSUPPORTED_VERSION;
    int16_t v = value_parse_version(out->version);
    bool flexible = value_flexible(v);
    out->protocol_type = wire_read_flex_string(&r, flexible);
    out->generation = wire_read_int32(&r);
    out->protocol = wire_read_flex_nullable_string(&r, flexible);
    out->leader = wire_read_flex_nullable_string(&r, flexible);
    out->current_state_timestamp = v >= 2 ? wire_read_int64(&r) : -1;
    int32_t n = wire_read_flex_array_count(&r, flexible, OFFREC_MEMBER_SIZE_MIN);
    if ((uint32_t)n > OFFREC_MEMBERS_MAX) {
        wire_reader_fail(&r, KS_ERR_TOO_MANY);
        n = 0;
    }
    out->members = ks_alloc((size_t)n * sizeof(*out->members));
    out->member_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r.err == KS_OK; i++)
        member_decode(&r, v, &out->members[i]);
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        offrec_group_metadata_value_free(out);
    return err;
}

void offrec_group_metadata_value_free(struct offrec_group_metadata_value *value)
{
    free(value->members);
    value->members = NULL;
    value->member_count = 0;
}

/* ---- describe ---- */

/* Appends to a bounded text buffer, counting what would not fit. */
struct describe_out {
    char *buf;
    uint32_t size;
    uint32_t length; /* the whole text's length, even past size */
};

KS_PRINTF(2, 3) static void describe_printf(struct describe_out *o, const char *format, ...)
{
    va_list args;
    char *at = o->length < o->size ? o->buf + o->length : NULL;
    uint32_t room = o->length < o->size ? o->size - o->length : 0;
    va_start(args, format);
    int n = vsnprintf(at, room, format, args);
    va_end(args);
    KS_ASSERT(n >= 0);
    o->length += (uint32_t)n;
}

/* A string as JSON-ish text: quoted, or null; quotes and controls escaped as \xNN. */
static void describe_string(struct describe_out *o, struct wire_string s)
{
    if (wire_string_is_null(s)) {
        describe_printf(o, "null");
        return;
    }
    describe_printf(o, "\"");
    for (int32_t i = 0; i < s.length; i++) {
        unsigned char c = (unsigned char)s.chars[i];
        if (c < 0x20 || c == '"' || c == '\\' || c == 0x7f)
            describe_printf(o, "\\x%02x", c);
        else
            describe_printf(o, "%c", c);
    }
    describe_printf(o, "\"");
}

static void describe_offset_commit(struct describe_out *o, const uint8_t *value, uint32_t len)
{
    struct offrec_offset_commit_value v;
    enum ks_err err = offrec_offset_commit_value_decode(value, len, &v);
    if (err != KS_OK) {
        describe_printf(o, "<undecodable: %s>", ks_err_name(err));
        return;
    }
    describe_printf(
        o, "{\"version\":%d,\"offset\":%" PRId64 ",\"leaderEpoch\":%" PRId32 ",\"metadata\":",
        v.version, v.offset, v.leader_epoch);
    describe_string(o, v.metadata);
    describe_printf(o, ",\"commitTimestamp\":%" PRId64, v.commit_timestamp);
    if (v.version == 1)
        describe_printf(o, ",\"expireTimestamp\":%" PRId64, v.expire_timestamp);
    describe_printf(o, "}");
}

static void describe_member(struct describe_out *o, const struct offrec_member *m)
{
    describe_printf(o, "{\"memberId\":");
    describe_string(o, m->member_id);
    describe_printf(o, ",\"groupInstanceId\":");
    describe_string(o, m->group_instance_id);
    describe_printf(o, ",\"clientId\":");
    describe_string(o, m->client_id);
    describe_printf(o, ",\"clientHost\":");
    describe_string(o, m->client_host);
    describe_printf(o,
                    ",\"rebalanceTimeout\":%" PRId32 ",\"sessionTimeout\":%" PRId32
                    ",\"subscriptionBytes\":%" PRId32 ",\"assignmentBytes\":%" PRId32 "}",
                    m->rebalance_timeout_ms, m->session_timeout_ms, m->subscription.size_bytes,
                    m->assignment.size_bytes);
}

static void describe_group_metadata(struct describe_out *o, const uint8_t *value, uint32_t len)
{
    struct offrec_group_metadata_value v;
    enum ks_err err = offrec_group_metadata_value_decode(value, len, &v);
    if (err != KS_OK) {
        describe_printf(o, "<undecodable: %s>", ks_err_name(err));
        return;
    }
    describe_printf(o, "{\"version\":%d,\"protocolType\":", v.version);
    describe_string(o, v.protocol_type);
    describe_printf(o, ",\"generation\":%" PRId32 ",\"protocol\":", v.generation);
    describe_string(o, v.protocol);
    describe_printf(o, ",\"leader\":");
    describe_string(o, v.leader);
    describe_printf(o, ",\"currentStateTimestamp\":%" PRId64 ",\"members\":[",
                    v.current_state_timestamp);
    for (uint32_t i = 0; i < v.member_count; i++) {
        describe_printf(o, i == 0 ? "" : ",");
        describe_member(o, &v.members[i]);
    }
    describe_printf(o, "]}");
    offrec_group_metadata_value_free(&v);
}

uint32_t offrec_describe(const uint8_t *key, uint32_t key_len, const uint8_t *value,
                         uint32_t value_len, char *buf, uint32_t size)
{
    struct describe_out o = {buf, size, 0};
    struct offrec_key k;
    if (size > 0)
        buf[0] = '\0';
    enum ks_err err = offrec_key_decode(key, key_len, &k);
    if (err != KS_OK) {
        describe_printf(&o, "key: <undecodable: %s>", ks_err_name(err));
        return o.length;
    }
    bool commit = k.version != OFFREC_KEY_GROUP_METADATA;
    describe_printf(&o, "key: {\"type\":\"%s\",\"version\":%d,\"group\":",
                    commit ? "offset_commit" : "group_metadata", k.version);
    describe_string(&o, k.group);
    if (commit) {
        describe_printf(&o, ",\"topic\":");
        describe_string(&o, k.topic);
        describe_printf(&o, ",\"partition\":%" PRId32, k.partition);
    }
    describe_printf(&o, "} value: ");
    if (value == NULL)
        describe_printf(&o, "<DELETE>");
    else if (commit)
        describe_offset_commit(&o, value, value_len);
    else
        describe_group_metadata(&o, value, value_len);
    KS_ASSERT(size == 0 || o.length >= size || buf[o.length] == '\0');
    return o.length;
}

/* ---- partition of a group ---- */

int32_t offrec_partition_for_group(struct wire_string group_id, int32_t partition_count)
{
    KS_ASSERT(partition_count > 0);
    int32_t hash = jstring_hash(group_id);
    int32_t abs_hash = hash == INT32_MIN ? 0 : hash < 0 ? -hash : hash; /* Utils.abs */
    int32_t partition = abs_hash % partition_count;
    KS_ASSERT(partition >= 0 && partition < partition_count);
    return partition;
}
