/*
 * mimage.h: the metadata image, what the records of `__cluster_metadata` add up to:
 * registered brokers, topics with their partitions, configs. Kafka: MetadataImage,
 * MetadataDelta, ClusterImage/BrokerRegistration, TopicsImage/PartitionRegistration
 * (merge of a PartitionChangeRecord), ConfigurationsImage.
 *
 * Controllers and brokers apply committed records in offset order; two images that
 * applied the same records are equal (mimage_digest). Iteration is in key order:
 * brokers by id, topics by name, configs by (resource type, resource name, name).
 * Lookups by topic id are linear (an image holds at most MIMAGE_TOPICS_MAX topics).
 *
 * Records come from a log, so a record that does not fit the image (a partition of an
 * unknown topic, a fence with a stale broker epoch) is refused with KS_ERR_INVALID and
 * leaves the image as it was. The image owns copies of every string.
 */
#ifndef KS_CONTROLLER_MIMAGE_H
#define KS_CONTROLLER_MIMAGE_H

#include "system/controller/mrec.h"

#define MIMAGE_BROKERS_MAX 1024u
#define MIMAGE_TOPICS_MAX 4096u
#define MIMAGE_PARTITIONS_MAX 10000u /* per topic */
#define MIMAGE_CONFIGS_MAX 16384u
#define MIMAGE_NO_OFFSET (-1)

struct mimage_endpoint {
    char *name;
    char *host;
    uint16_t port;
    int16_t security_protocol;
};

struct mimage_broker {
    int32_t id;
    struct wire_uuid incarnation_id;
    int64_t epoch; /* the offset of its RegisterBrokerRecord */
    bool fenced;
    bool in_controlled_shutdown;
    uint32_t endpoint_count;
    struct mimage_endpoint endpoints[MREC_ENDPOINTS_MAX];
    char *rack; /* NULL: no rack */
};

struct mimage_partition {
    uint32_t replica_count;
    int32_t replicas[MREC_REPLICAS_MAX]; /* preferred order */
    uint32_t isr_count;
    int32_t isr[MREC_REPLICAS_MAX];
    int32_t leader; /* -1: none */
    int32_t leader_epoch;
    int32_t partition_epoch;
    int8_t leader_recovery_state;
};

struct mimage_topic {
    char *name;
    struct wire_uuid id;
    uint32_t partition_count;
    struct mimage_partition *partitions; /* index = partition id */
};

struct mimage_config {
    int8_t resource_type;
    char *resource_name;
    char *name;
    char *value;
};

struct mimage {
    int64_t offset;           /* of the last record applied, MIMAGE_NO_OFFSET before any */
    int16_t metadata_version; /* FeatureLevelRecord metadata.version; 0 unset */
    uint32_t broker_count;
    uint32_t broker_capacity;
    struct mimage_broker *brokers; /* sorted by id */
    uint32_t topic_count;
    uint32_t topic_capacity;
    struct mimage_topic *topics; /* sorted by name */
    uint32_t config_count;
    uint32_t config_capacity;
    struct mimage_config *configs; /* sorted by (type, resource name, name) */
};

void mimage_init(struct mimage *img);
void mimage_free(struct mimage *img);
/* dst becomes a deep copy of src (dst's old contents are freed). */
void mimage_copy(struct mimage *dst, const struct mimage *src);

/*
 * Applies one record written at offset (> the image's offset). Errors: KS_ERR_INVALID
 * when the record does not fit the image, KS_ERR_TOO_MANY at a limit; the image is
 * unchanged then (its offset too).
 */
KS_MUST_CHECK enum ks_err mimage_apply(struct mimage *img, int64_t offset, const struct mrec *rec);
/* Decodes a record value, then applies it. */
KS_MUST_CHECK enum ks_err mimage_apply_value(struct mimage *img, int64_t offset,
                                             const uint8_t *value, uint32_t size_bytes);

const struct mimage_broker *mimage_broker_find(const struct mimage *img, int32_t id);
/* Unfenced and not in controlled shutdown: may lead and join ISRs (KIP-841). */
bool mimage_broker_active(const struct mimage *img, int32_t id);
const struct mimage_topic *mimage_topic_find_name(const struct mimage *img, const char *name,
                                                  uint32_t name_length);
const struct mimage_topic *mimage_topic_find_id(const struct mimage *img,
                                                const struct wire_uuid *id);
/* The value of a config, or NULL. */
const char *mimage_config_get(const struct mimage *img, int8_t resource_type,
                              const char *resource_name, const char *name);

bool mimage_partition_has_replica(const struct mimage_partition *p, int32_t broker_id);
bool mimage_partition_in_isr(const struct mimage_partition *p, int32_t broker_id);

/* A hash of everything in the image but its offset, stable across runs and machines. */
uint64_t mimage_digest(const struct mimage *img);

#endif
