/*
 * api_alter_partition.h: the AlterPartition API (key 56, AlterIsr before 3.2), request
 * and response, versions 0-3, flexible from 0. Kafka: AlterPartitionRequest.json,
 * AlterPartitionResponse.json, AlterPartitionRequest.Builder (KIP-497 AlterIsr, v1
 * LeaderRecoveryState (KIP-704), v2 topic ids (KIP-841), v3 broker epochs per ISR
 * member (KIP-903)).
 *
 * A partition leader asks the controller to change its ISR; the controller answers
 * with the partition's new state. The new ISR is a list of (broker id, broker epoch):
 * before v3 only ids go on the wire and epochs decode to -1, as the Builder converts
 * NewIsrWithEpochs to NewIsr. Topics go by name before v2 and by id from v2. A
 * LeaderRecoveryState other than 0 cannot be written at v0 (KS_ERR_UNSUPPORTED_VERSION).
 *
 * Decoders borrow their input (names point into it) and allocate the arrays; free a
 * decoded result with the matching _free().
 */
#ifndef KS_PROTO_API_ALTER_PARTITION_H
#define KS_PROTO_API_ALTER_PARTITION_H

#include "system/proto/wire.h"

#define API_ALTER_PARTITION_VERSION_MIN 0
#define API_ALTER_PARTITION_VERSION_MAX 3
#define API_ALTER_PARTITION_TOPIC_ID_VERSION_FIRST 2
#define API_ALTER_PARTITION_BROKER_EPOCHS_VERSION_FIRST 3

/* Limits on what one request or response may hold; more decodes to KS_ERR_TOO_MANY. */
#define API_ALTER_PARTITION_TOPICS_MAX 4096u
#define API_ALTER_PARTITION_PARTITIONS_MAX 65536u /* per topic */
#define API_ALTER_PARTITION_ISR_MAX 1024u         /* brokers in one ISR */

/* LeaderRecoveryState (KIP-704). */
#define API_ALTER_PARTITION_RECOVERED 0
#define API_ALTER_PARTITION_RECOVERING 1

struct api_alter_partition_broker_state {
    int32_t broker_id;
    int64_t broker_epoch; /* v3+; default -1 */
};

struct api_alter_partition_partition {
    int32_t partition_index;
    int32_t leader_epoch;
    uint32_t new_isr_count;
    struct api_alter_partition_broker_state *new_isr; /* NewIsr v0-2, NewIsrWithEpochs v3+ */
    int8_t leader_recovery_state;                     /* v1+; default 0 */
    int32_t partition_epoch;
};

struct api_alter_partition_topic {
    struct wire_string topic_name; /* v0-1 */
    struct wire_uuid topic_id;     /* v2+ */
    uint32_t partition_count;
    struct api_alter_partition_partition *partitions;
};

struct api_alter_partition_request {
    int32_t broker_id;
    int64_t broker_epoch; /* default -1 */
    uint32_t topic_count;
    struct api_alter_partition_topic *topics;
};

struct api_alter_partition_partition_response {
    int32_t partition_index;
    int16_t error_code;
    int32_t leader_id;
    int32_t leader_epoch;
    uint32_t isr_count;
    int32_t *isr;
    int8_t leader_recovery_state; /* v1+; default 0 */
    int32_t partition_epoch;
};

struct api_alter_partition_topic_response {
    struct wire_string topic_name; /* v0-1 */
    struct wire_uuid topic_id;     /* v2+ */
    uint32_t partition_count;
    struct api_alter_partition_partition_response *partitions;
};

struct api_alter_partition_response {
    int32_t throttle_time_ms;
    int16_t error_code;
    uint32_t topic_count;
    struct api_alter_partition_topic_response *topics;
};

/* Decodes a request body (after the header). Borrows body; free *out when done. */
KS_MUST_CHECK enum ks_err
api_alter_partition_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                   struct api_alter_partition_request *out);
void api_alter_partition_request_encode(struct wire_writer *w, int16_t version,
                                        const struct api_alter_partition_request *request);
void api_alter_partition_request_free(struct api_alter_partition_request *request);

KS_MUST_CHECK enum ks_err
api_alter_partition_response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                    struct api_alter_partition_response *out);
void api_alter_partition_response_encode(struct wire_writer *w, int16_t version,
                                         const struct api_alter_partition_response *response);
void api_alter_partition_response_free(struct api_alter_partition_response *response);

#endif
