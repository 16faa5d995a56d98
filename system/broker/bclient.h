/*
 * bclient.h: the client-facing APIs a broker answers from its own state, beside the
 * replica manager's: Metadata (from the broker's metadata image: registered unfenced
 * brokers with their first endpoint, topics with partitions, leaders, leader epochs,
 * replicas and ISR) and InitProducerId for idempotent producers. Kafka:
 * KafkaApis.handleTopicMetadataRequest (MetadataCache), and the producer id part of
 * TransactionCoordinator.handleInitProducerId (ProducerIdManager).
 *
 * Simplification until the transaction coordinator exists: a broker hands out producer
 * ids from its own counter, (broker id << 32) | (16 random bits drawn at start << 16)
 * | counter, so ids from different brokers and incarnations do not collide in practice;
 * a known producer id (v3+) gets its epoch bumped by one, as KIP-360 asks.
 *
 * Pure functions over their arguments: body bytes in, a response body written into w.
 */
#ifndef KS_BROKER_BCLIENT_H
#define KS_BROKER_BCLIENT_H

#include "system/controller/mimage.h"
#include "system/proto/wire.h"

/* Topic names a Metadata request asked for without finding them. */
#define BCLIENT_MISSING_MAX 256u

/* What Metadata says of the cluster beside the image. */
struct bclient_cluster {
    const char *cluster_id; /* NULL or "": null on the wire */
    int32_t controller_id;  /* -1: none known */
    /* This broker, listed when the image does not list it unfenced yet (a node whose
     * registration is on its way); self_host NULL: never. */
    int32_t self_id;
    const char *self_host;
    int32_t self_port;
};

/* Names of unknown topics asked for with allow_auto_topic_creation (owned copies). */
struct bclient_missing {
    char *names[BCLIENT_MISSING_MAX];
    uint32_t count;
};
void bclient_missing_free(struct bclient_missing *missing);

/*
 * Decodes a Metadata request and writes the answer from img. missing (may be NULL)
 * gets the unknown topics asked for by name when the request allows auto creation
 * (the first BCLIENT_MISSING_MAX). Errors: a body that does not decode, a version not
 * implemented.
 */
KS_MUST_CHECK enum ks_err bclient_metadata(const struct mimage *img,
                                           const struct bclient_cluster *cluster,
                                           int16_t version, const uint8_t *body,
                                           uint32_t size_bytes, struct wire_writer *w,
                                           struct bclient_missing *missing);
/*
 * Decodes a DescribeConfigs request and writes the answer: a topic's configs (the
 * image's topic configs, source TOPIC_CONFIG, over Kafka's defaults, source
 * DEFAULT_CONFIG), a broker's (broker_id's, read-only defaults); unknown topics get
 * UNKNOWN_TOPIC_OR_PARTITION, other resource types INVALID_REQUEST.
 */
KS_MUST_CHECK enum ks_err bclient_describe_configs(const struct mimage *img, int32_t broker_id,
                                                   int16_t version, const uint8_t *body,
                                                   uint32_t size_bytes, struct wire_writer *w);
/* Decodes a DescribeCluster request and writes the answer from img and cluster. */
KS_MUST_CHECK enum ks_err bclient_describe_cluster(const struct mimage *img,
                                                   const struct bclient_cluster *cluster,
                                                   int16_t version, const uint8_t *body,
                                                   uint32_t size_bytes, struct wire_writer *w);

/* Decodes an InitProducerId request and writes the answer, taking the next id from
 * *producer_id_next when the request names none. */
KS_MUST_CHECK enum ks_err bclient_init_producer_id(int64_t *producer_id_next, int16_t version,
                                                   const uint8_t *body, uint32_t size_bytes,
                                                   struct wire_writer *w);

#endif
