/*
 * api_broker_registration.h: BrokerRegistration (key 62), request and response,
 * versions 0-4, flexible from 0. Kafka: BrokerRegistrationRequest.json,
 * BrokerRegistrationResponse.json (KIP-631; v1 IsMigratingZkBroker, KIP-866; v2
 * LogDirs, KIP-858; v3 PreviousBrokerEpoch, KIP-966; v4 lists features at level 0).
 *
 * The arrays are held inline up to the limits below (more decodes to
 * KS_ERR_TOO_MANY); decoders borrow their input (strings point into it) and allocate
 * nothing. The request's tag 0 (ZkMigrationReady, early 3.4) is skipped.
 */
#ifndef KS_PROTO_API_BROKER_REGISTRATION_H
#define KS_PROTO_API_BROKER_REGISTRATION_H

#include "system/proto/wire.h"

#define API_BROKER_REGISTRATION_VERSION_MIN 0
#define API_BROKER_REGISTRATION_VERSION_MAX 4
#define API_BROKER_REGISTRATION_FLEXIBLE_VERSION_FIRST 0
#define API_BROKER_REGISTRATION_LISTENERS_MAX 16u
#define API_BROKER_REGISTRATION_FEATURES_MAX 16u
#define API_BROKER_REGISTRATION_LOG_DIRS_MAX 64u

struct api_broker_registration_listener {
    struct wire_string name;
    struct wire_string host;
    uint16_t port;
    int16_t security_protocol;
};

struct api_broker_registration_feature {
    struct wire_string name;
    int16_t version_min;
    int16_t version_max;
};

struct api_broker_registration_request {
    int32_t broker_id;
    struct wire_string cluster_id;
    struct wire_uuid incarnation_id;
    uint32_t listener_count;
    struct api_broker_registration_listener listeners[API_BROKER_REGISTRATION_LISTENERS_MAX];
    uint32_t feature_count;
    struct api_broker_registration_feature features[API_BROKER_REGISTRATION_FEATURES_MAX];
    struct wire_string rack;     /* nullable */
    bool is_migrating_zk_broker; /* v1+ */
    uint32_t log_dir_count;      /* v2+ */
    struct wire_uuid log_dirs[API_BROKER_REGISTRATION_LOG_DIRS_MAX];
    int64_t previous_broker_epoch; /* v3+; default -1 */
};

struct api_broker_registration_response {
    int32_t throttle_time_ms;
    int16_t error_code;
    int64_t broker_epoch; /* default -1 */
};

/* Decodes a request body (after the header). Borrows body. */
KS_MUST_CHECK enum ks_err
api_broker_registration_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                       struct api_broker_registration_request *out);
/* Appends a request body; values a version cannot carry (migrating before v1, log
 * dirs before v2, a previous epoch before v3) fail w->err with UNSUPPORTED_VERSION. */
void api_broker_registration_request_encode(struct wire_writer *w, int16_t version,
                                            const struct api_broker_registration_request *request);

KS_MUST_CHECK enum ks_err
api_broker_registration_response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                        struct api_broker_registration_response *out);
void api_broker_registration_response_encode(
    struct wire_writer *w, int16_t version,
    const struct api_broker_registration_response *response);

#endif
