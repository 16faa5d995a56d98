/*
 * offsets_rec.h: the record keys and values of __consumer_offsets, and which of its
 * partitions holds a group. Kafka: OffsetCommitKey.json (versions 0-1),
 * OffsetCommitValue.json (v0-v4, flexible v4; KIP-211 drops expireTimestamp after v1,
 * KIP-320 leaderEpoch v3), GroupMetadataKey.json (version 2), GroupMetadataValue.json
 * (v0-v4, flexible v4; rebalanceTimeout v1, currentStateTimestamp v2, KIP-345
 * groupInstanceId v3), GroupCoordinator.partitionFor (Utils.abs(groupId.hashCode()) %
 * offsets.topic.num.partitions). See kafka-internals.md section 10.6.
 *
 * Key and value each start with an int16 version; the key's version says the record
 * type (0, 1 offset commit; 2 group metadata; 3+ KIP-848 and share groups, not decoded
 * here). A null value is a tombstone: the key is deleted. Decoders borrow their input
 * and allocate only the members array of GroupMetadataValue (free with _free()).
 */
#ifndef KS_GROUP_OFFSETS_REC_H
#define KS_GROUP_OFFSETS_REC_H

#include "system/proto/wire.h"

/* Kafka's default offsets.topic.num.partitions. */
#define OFFREC_PARTITION_COUNT_DEFAULT 50
/* Key versions = record types. */
#define OFFREC_KEY_OFFSET_COMMIT_V0 0
#define OFFREC_KEY_OFFSET_COMMIT 1 /* what Kafka writes */
#define OFFREC_KEY_GROUP_METADATA 2
/* Value versions. */
#define OFFREC_VALUE_VERSION_MAX 4
#define OFFREC_VALUE_FLEXIBLE_VERSION_FIRST 4
/* Most members one GroupMetadataValue may carry when decoded. */
#define OFFREC_MEMBERS_MAX 65536u

struct offrec_key {
    int16_t version; /* 0, 1: offset commit; 2: group metadata */
    struct wire_string group;
    struct wire_string topic; /* offset commit only */
    int32_t partition;        /* offset commit only */
};

struct offrec_offset_commit_value {
    int16_t version; /* Kafka writes 3, or 1 with an explicit expire timestamp */
    int64_t offset;
    int32_t leader_epoch; /* v3+; default -1 */
    struct wire_string metadata;
    int64_t commit_timestamp;
    int64_t expire_timestamp; /* v1 only; default -1 */
};

struct offrec_member {
    struct wire_string member_id;
    struct wire_string group_instance_id; /* v3+, nullable; default null */
    struct wire_string client_id;
    struct wire_string client_host;
    int32_t rebalance_timeout_ms; /* v1+; default -1 */
    int32_t session_timeout_ms;
    struct wire_bytes subscription; /* ConsumerProtocolSubscription for consumers */
    struct wire_bytes assignment;   /* ConsumerProtocolAssignment for consumers */
};

struct offrec_group_metadata_value {
    int16_t version; /* Kafka writes 3 */
    struct wire_string protocol_type;
    int32_t generation;
    struct wire_string protocol;     /* nullable */
    struct wire_string leader;       /* nullable */
    int64_t current_state_timestamp; /* v2+; default -1 */
    uint32_t member_count;
    struct offrec_member *members;
};

/* Appends a key; key->version picks the type. */
void offrec_key_encode(struct wire_writer *w, const struct offrec_key *key);
/* Unknown key versions (3+) fail with KS_ERR_UNSUPPORTED_VERSION; nothing allocated. */
KS_MUST_CHECK enum ks_err offrec_key_decode(const uint8_t *bytes, uint32_t size_bytes,
                                            struct offrec_key *out);

void offrec_offset_commit_value_encode(struct wire_writer *w,
                                       const struct offrec_offset_commit_value *value);
/* Versions above 4 parse as 4 (KIP-915: new fields only as tags); nothing allocated. */
KS_MUST_CHECK enum ks_err offrec_offset_commit_value_decode(const uint8_t *bytes,
                                                            uint32_t size_bytes,
                                                            struct offrec_offset_commit_value *out);

void offrec_group_metadata_value_encode(struct wire_writer *w,
                                        const struct offrec_group_metadata_value *value);
KS_MUST_CHECK enum ks_err
offrec_group_metadata_value_decode(const uint8_t *bytes, uint32_t size_bytes,
                                   struct offrec_group_metadata_value *out);
void offrec_group_metadata_value_free(struct offrec_group_metadata_value *value);

/*
 * One line describing a record, for `ksim dump-log`, like Kafka's dump-log offsets
 * decoder: key and value as JSON-like text, "<DELETE>" for a tombstone (value NULL),
 * the error for bytes that do not decode. Always NUL-terminates (if size > 0);
 * returns the length the whole text needs, as snprintf does.
 */
uint32_t offrec_describe(const uint8_t *key, uint32_t key_len, const uint8_t *value,
                         uint32_t value_len, char *buf, uint32_t size);

/* The __consumer_offsets partition of a group: Utils.abs(String.hashCode) % count. */
int32_t offrec_partition_for_group(struct wire_string group_id, int32_t partition_count);

#endif
