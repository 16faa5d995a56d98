/*
 * api_find_coordinator.h: the FindCoordinator API (key 10), request and response,
 * versions 0-6, flexible from 3. Kafka: FindCoordinatorRequest.json,
 * FindCoordinatorResponse.json (KeyType v1, KIP-482 flexible v3, KIP-699 batched keys
 * v4, v5 and v6 same wire format as v4: KIP-890 error code, KIP-932 share key type).
 *
 * Both messages are held in the batched (v4+) shape: below v4 a request carries exactly
 * one key and a response exactly one coordinator, whose key is not on the wire (it
 * decodes as ""). Decoders borrow their input (strings point into it) and allocate the
 * arrays; free a decoded message with the matching _free(). Encoders only read.
 */
#ifndef KS_PROTO_API_FIND_COORDINATOR_H
#define KS_PROTO_API_FIND_COORDINATOR_H

#include "system/proto/wire.h"

#define API_FIND_COORDINATOR_VERSION_MIN 0
#define API_FIND_COORDINATOR_VERSION_MAX 6
#define API_FIND_COORDINATOR_FLEXIBLE_VERSION_FIRST 3
/* First version batching keys (KIP-699). */
#define API_FIND_COORDINATOR_BATCH_VERSION_FIRST 4

/* CoordinatorType: FindCoordinatorRequest.CoordinatorType. */
#define API_FIND_COORDINATOR_KEY_TYPE_GROUP 0
#define API_FIND_COORDINATOR_KEY_TYPE_TRANSACTION 1
#define API_FIND_COORDINATOR_KEY_TYPE_SHARE 2

struct api_find_coordinator_request {
    int8_t key_type;    /* v1+; v0 only groups */
    uint32_t key_count; /* exactly 1 below v4 */
    struct wire_string *keys;
};

struct api_find_coordinator_coordinator {
    struct wire_string key; /* v4+; "" below */
    int32_t node_id;
    struct wire_string host;
    int32_t port;
    int16_t error_code;
    struct wire_string error_message; /* v1+, nullable; default null */
};

struct api_find_coordinator_response {
    int32_t throttle_time_ms;   /* v1+ */
    uint32_t coordinator_count; /* exactly 1 below v4 */
    struct api_find_coordinator_coordinator *coordinators;
};

/* Decodes a request body (after the header). Borrows body; free *out when done. */
KS_MUST_CHECK enum ks_err
api_find_coordinator_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                    struct api_find_coordinator_request *out);
/*
 * Appends a request body. What the version cannot carry fails with
 * KS_ERR_UNSUPPORTED_VERSION: a key type other than group at v0, other than one key
 * below v4.
 */
void api_find_coordinator_request_encode(struct wire_writer *w, int16_t version,
                                         const struct api_find_coordinator_request *request);
void api_find_coordinator_request_free(struct api_find_coordinator_request *request);

KS_MUST_CHECK enum ks_err
api_find_coordinator_response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                     struct api_find_coordinator_response *out);
/* Appends a response body; other than one coordinator below v4 fails (UNSUPPORTED_VERSION). */
void api_find_coordinator_response_encode(struct wire_writer *w, int16_t version,
                                          const struct api_find_coordinator_response *response);
void api_find_coordinator_response_free(struct api_find_coordinator_response *response);

#endif
