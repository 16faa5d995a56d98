/*
 * api_init_producer_id.h: the InitProducerId API (key 22), request and response,
 * versions 0-5, flexible from 2. Kafka: InitProducerIdRequest.json,
 * InitProducerIdResponse.json, InitProducerIdRequest.Builder (KIP-98 idempotence and
 * transactions, v2 flexible, v3 ProducerId and ProducerEpoch to bump an epoch
 * (KIP-360), v4 PRODUCER_FENCED (KIP-588), v5 KIP-890).
 *
 * Nothing in these messages is variable-sized but the transactional id, a view into
 * the input: decoders allocate nothing. Encoding a known producer (epoch bump) below
 * v3 fails with KS_ERR_UNSUPPORTED_VERSION, as InitProducerIdRequest.Builder does.
 */
#ifndef KS_PROTO_API_INIT_PRODUCER_ID_H
#define KS_PROTO_API_INIT_PRODUCER_ID_H

#include "system/proto/wire.h"

#define API_INIT_PRODUCER_ID_VERSION_MIN 0
#define API_INIT_PRODUCER_ID_VERSION_MAX 5
#define API_INIT_PRODUCER_ID_FLEXIBLE_VERSION_FIRST 2
/* RecordBatch.NO_PRODUCER_ID, NO_PRODUCER_EPOCH. */
#define API_INIT_PRODUCER_ID_NO_PRODUCER_ID (-1)
#define API_INIT_PRODUCER_ID_NO_PRODUCER_EPOCH (-1)

struct api_init_producer_id_request {
    struct wire_string transactional_id; /* nullable: null for idempotence only */
    int32_t transaction_timeout_ms;
    int64_t producer_id;    /* v3+; default -1 */
    int16_t producer_epoch; /* v3+; default -1 */
};

struct api_init_producer_id_response {
    int32_t throttle_time_ms;
    int16_t error_code;
    int64_t producer_id; /* default -1 */
    int16_t producer_epoch;
};

void api_init_producer_id_request_init(struct api_init_producer_id_request *request);

/* Decodes a request body (after the header). Borrows body; allocates nothing. */
KS_MUST_CHECK enum ks_err
api_init_producer_id_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                    struct api_init_producer_id_request *out);
void api_init_producer_id_request_encode(struct wire_writer *w, int16_t version,
                                         const struct api_init_producer_id_request *request);

KS_MUST_CHECK enum ks_err
api_init_producer_id_response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                     struct api_init_producer_id_response *out);
void api_init_producer_id_response_encode(struct wire_writer *w, int16_t version,
                                          const struct api_init_producer_id_response *response);

#endif
