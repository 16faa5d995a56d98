/*
 * mrec.h: KRaft metadata records (KIP-631), the values of the records in the
 * RecordBatch v2 batches of `__cluster_metadata-0`, byte-compatible with Kafka.
 * Kafka: MetadataRecordSerde / AbstractApiMessageSerde (frame), and the generated
 * message classes of metadata JSON schemas (metadata/src/main/resources/common/metadata).
 *
 * A value is: unsigned varint frame version (1), unsigned varint record type (the
 * JSON's apiKey), unsigned varint record version, then the record body in the
 * flexible encoding (compact strings and arrays, a tag section at the end), since
 * every metadata record is flexible from v0. Keys are null.
 *
 * Decoding borrows its input: strings in a decoded record point into it. Replica
 * lists and endpoints are held inline up to the limits below; more fails with
 * KS_ERR_TOO_MANY. Nothing is allocated. Bytes from the log are never trusted:
 * errors come back as KS_ERR_TRUNCATED / KS_ERR_INVALID / KS_ERR_TOO_MANY /
 * KS_ERR_UNSUPPORTED_VERSION, never an assertion.
 */
#ifndef KS_CONTROLLER_MREC_H
#define KS_CONTROLLER_MREC_H

#include "system/proto/wire.h"

#define MREC_FRAME_VERSION 1u
/* Most replicas (and ISR, adding, removing members) of one partition. */
#define MREC_REPLICAS_MAX 16u
/* Most endpoints (listeners) and features one broker registers. */
#define MREC_ENDPOINTS_MAX 8u
#define MREC_FEATURES_MAX 8u
/* Most log directories a registration carries (decoded, then ignored). */
#define MREC_LOG_DIRS_MAX 64u

/* Record types, numbered as Kafka's MetadataRecordType. */
enum mrec_type {
    MREC_REGISTER_BROKER = 0,
    MREC_UNREGISTER_BROKER = 1,
    MREC_TOPIC = 2,
    MREC_PARTITION = 3,
    MREC_CONFIG = 4,
    MREC_PARTITION_CHANGE = 5,
    MREC_FENCE_BROKER = 7,
    MREC_UNFENCE_BROKER = 8,
    MREC_REMOVE_TOPIC = 9,
    MREC_FEATURE_LEVEL = 12,
    MREC_BROKER_REGISTRATION_CHANGE = 17,
    MREC_NO_OP = 20,
};

/* Highest version of each record this codec reads (and may write). */
#define MREC_REGISTER_BROKER_VERSION_MAX 3
#define MREC_PARTITION_VERSION_MAX 2
#define MREC_PARTITION_CHANGE_VERSION_MAX 2
#define MREC_BROKER_REGISTRATION_CHANGE_VERSION_MAX 2

/* PartitionChangeRecord's Leader: -2 leaves it, -1 means no leader. */
#define MREC_NO_LEADER (-1)
#define MREC_NO_LEADER_CHANGE (-2)
/* LeaderRecoveryState: RECOVERED 0, RECOVERING 1 (after an unclean election). */
#define MREC_LEADER_RECOVERED 0
#define MREC_LEADER_RECOVERING 1
#define MREC_LEADER_RECOVERY_UNCHANGED (-1)
/* ConfigRecord resource types (ConfigResource.Type). */
#define MREC_CONFIG_RESOURCE_TOPIC 2
#define MREC_CONFIG_RESOURCE_BROKER 4
/* BrokerRegistrationChangeRecord's Fenced: 1 fence, -1 unfence, 0 no change. */
#define MREC_FENCE_CHANGE_FENCE 1
#define MREC_FENCE_CHANGE_UNFENCE (-1)
#define MREC_FENCE_CHANGE_NONE 0

/* A broker id list; count -1 is null (in PartitionChangeRecord: unchanged). */
struct mrec_ids {
    int32_t count;
    int32_t ids[MREC_REPLICAS_MAX];
};

struct mrec_endpoint {
    struct wire_string name;
    struct wire_string host;
    uint16_t port;
    int16_t security_protocol;
};

struct mrec_feature {
    struct wire_string name;
    int16_t version_min;
    int16_t version_max;
};

/* RegisterBrokerRecord v0-3. */
struct mrec_register_broker {
    int32_t broker_id;
    bool is_migrating_zk_broker; /* v2+ */
    struct wire_uuid incarnation_id;
    int64_t broker_epoch;
    uint32_t endpoint_count;
    struct mrec_endpoint endpoints[MREC_ENDPOINTS_MAX];
    uint32_t feature_count;
    struct mrec_feature features[MREC_FEATURES_MAX];
    struct wire_string rack; /* nullable */
    bool fenced;
    bool in_controlled_shutdown; /* v1+ */
};

/* UnregisterBrokerRecord, and Fence/UnfenceBrokerRecord (Id, Epoch). */
struct mrec_broker_epoch {
    int32_t broker_id;
    int64_t broker_epoch;
};

struct mrec_topic {
    struct wire_string name;
    struct wire_uuid topic_id;
};

/* PartitionRecord v0-2 (Directories, v1+, and the ELR tags, v2, are skipped). */
struct mrec_partition {
    int32_t partition_id;
    struct wire_uuid topic_id;
    struct mrec_ids replicas;
    struct mrec_ids isr;
    struct mrec_ids removing_replicas;
    struct mrec_ids adding_replicas;
    int32_t leader;
    int8_t leader_recovery_state; /* tag 0, default 0 */
    int32_t leader_epoch;
    int32_t partition_epoch;
};

/* PartitionChangeRecord v0-2: count -1 / MREC_NO_LEADER_CHANGE / -1 mean unchanged. */
struct mrec_partition_change {
    int32_t partition_id;
    struct wire_uuid topic_id;
    struct mrec_ids isr;               /* tag 0 */
    int32_t leader;                    /* tag 1 */
    struct mrec_ids replicas;          /* tag 2 */
    struct mrec_ids removing_replicas; /* tag 3 */
    struct mrec_ids adding_replicas;   /* tag 4 */
    int8_t leader_recovery_state;      /* tag 5 */
};

struct mrec_config {
    int8_t resource_type;
    struct wire_string resource_name;
    struct wire_string name;
    struct wire_string value; /* null deletes */
};

struct mrec_remove_topic {
    struct wire_uuid topic_id;
};

struct mrec_feature_level {
    struct wire_string name;
    int16_t feature_level;
};

/* BrokerRegistrationChangeRecord v0-2 (LogDirs, v2, skipped). */
struct mrec_broker_registration_change {
    int32_t broker_id;
    int64_t broker_epoch;
    int8_t fenced;                 /* tag 0: MREC_FENCE_CHANGE_* */
    int8_t in_controlled_shutdown; /* tag 1, v1+: 1 entering, 0 no change */
};

struct mrec {
    enum mrec_type type;
    int16_t version;
    union {
        struct mrec_register_broker register_broker;
        struct mrec_broker_epoch unregister_broker;
        struct mrec_topic topic;
        struct mrec_partition partition;
        struct mrec_config config;
        struct mrec_partition_change partition_change;
        struct mrec_broker_epoch fence_broker;
        struct mrec_broker_epoch unfence_broker;
        struct mrec_remove_topic remove_topic;
        struct mrec_feature_level feature_level;
        struct mrec_broker_registration_change registration_change;
    } u;
};

/* Kafka's name of a record type ("PartitionChangeRecord"), "Unknown" otherwise. */
const char *mrec_type_name(uint32_t type);
/* The highest version of a type this codec knows; -1 for unknown types. */
int16_t mrec_version_max(uint32_t type);

/*
 * Records with Kafka's defaults: leader -1, epochs -1 in a partition; nothing changed
 * in a partition change; a fenced registration. Fill in the rest.
 */
void mrec_init(struct mrec *rec, enum mrec_type type);

/*
 * Appends the framed value. A record a version cannot carry (a list longer than the
 * limit, an unknown type or version) fails w->err with KS_ERR_INVALID or
 * KS_ERR_UNSUPPORTED_VERSION.
 */
void mrec_encode(struct wire_writer *w, const struct mrec *rec);

/* Decodes one framed value. Borrows bytes; allocates nothing. */
KS_MUST_CHECK enum ks_err mrec_decode(const uint8_t *bytes, uint32_t size_bytes, struct mrec *out);

/*
 * One line for people, as kafka-dump-log --cluster-metadata-decoder prints a record
 * ("PartitionChangeRecord(partitionId=0, topicId=..., isr=[1, 2], leader=1)"). Bytes
 * that do not decode give "undecodable metadata record (<error>)" and the error.
 * Always NUL-terminates buf (when buf_size > 0), truncating if needed.
 */
enum ks_err mrec_describe(const uint8_t *bytes, uint32_t size_bytes, char *buf, size_t buf_size);

/* Kafka's Uuid.toString: base64url without padding, 22 chars + NUL. */
#define MREC_UUID_TEXT_SIZE 23u
void mrec_uuid_text(const struct wire_uuid *uuid, char out[MREC_UUID_TEXT_SIZE]);

#endif
