/*
 * api.h: the table of Kafka's API keys (name, the versions this project implements,
 * the first flexible version from each Kafka JSON schema) and the ApiVersions codec.
 * Kafka: ApiKeys, ApiVersionsRequest/ApiVersionsResponse (KIP-35, KIP-482 flexible
 * v3, KIP-511 client software name and the UNSUPPORTED_VERSION fallback, KIP-584
 * features).
 *
 * Decoders borrow their input: strings in the results point into it. The response
 * keeps its arrays inline (bounded by the limits below), so nothing is allocated.
 */
#ifndef KS_PROTO_API_H
#define KS_PROTO_API_H

#include "system/proto/wire.h"

/* Kafka's API keys, numbered as Kafka numbers them. */
enum api_key {
    API_PRODUCE = 0,
    API_FETCH = 1,
    API_LIST_OFFSETS = 2,
    API_METADATA = 3,
    API_LEADER_AND_ISR = 4,
    API_STOP_REPLICA = 5,
    API_UPDATE_METADATA = 6,
    API_CONTROLLED_SHUTDOWN = 7,
    API_OFFSET_COMMIT = 8,
    API_OFFSET_FETCH = 9,
    API_FIND_COORDINATOR = 10,
    API_JOIN_GROUP = 11,
    API_HEARTBEAT = 12,
    API_LEAVE_GROUP = 13,
    API_SYNC_GROUP = 14,
    API_DESCRIBE_GROUPS = 15,
    API_LIST_GROUPS = 16,
    API_SASL_HANDSHAKE = 17,
    API_API_VERSIONS = 18,
    API_CREATE_TOPICS = 19,
    API_DELETE_TOPICS = 20,
    API_DELETE_RECORDS = 21,
    API_INIT_PRODUCER_ID = 22,
    API_OFFSET_FOR_LEADER_EPOCH = 23,
    API_DESCRIBE_CONFIGS = 32,
    API_SASL_AUTHENTICATE = 36,
    API_VOTE = 52,
    API_BEGIN_QUORUM_EPOCH = 53,
    API_END_QUORUM_EPOCH = 54,
    API_DESCRIBE_QUORUM = 55,
    API_ALTER_PARTITION = 56,
    API_FETCH_SNAPSHOT = 59,
    API_DESCRIBE_CLUSTER = 60,
    API_BROKER_REGISTRATION = 62,
    API_BROKER_HEARTBEAT = 63,
};

/* Highest API key Kafka defines (ReadShareGroupStateSummary, 4.0). */
#define API_KEY_MAX 87
/* No version of this API is flexible (or none is implemented). */
#define API_VERSION_NONE (-1)

struct api_info {
    int16_t key;
    const char *name;               /* Kafka's name: "ApiVersions" */
    int16_t version_min;            /* lowest version implemented, API_VERSION_NONE if none */
    int16_t version_max;            /* highest version implemented, API_VERSION_NONE if none */
    int16_t flexible_version_first; /* per Kafka's JSON schema, API_VERSION_NONE if never */
};

/* The entry for a key, or NULL when Kafka has no such key. */
const struct api_info *api_info(int16_t api_key);
/* Kafka's name of a key, "Unknown" when there is none. */
const char *api_name(int16_t api_key);
/* Whether this project implements (and advertises) the version. */
bool api_version_implemented(int16_t api_key, int16_t api_version);
/* Whether a version of a known key uses the flexible encoding (false for unknown keys). */
bool api_version_is_flexible(int16_t api_key, int16_t api_version);

/* ---- ApiVersions (key 18) ---- */

#define API_VERSIONS_VERSION_MIN 0
#define API_VERSIONS_VERSION_MAX 3
#define API_VERSIONS_FLEXIBLE_VERSION_FIRST 3
/* Most API keys and features one response may list. */
#define API_VERSIONS_KEYS_MAX 128u
#define API_VERSIONS_FEATURES_MAX 32u

/* Request: empty body before v3. */
struct api_versions_request {
    struct wire_string client_software_name;    /* v3+ */
    struct wire_string client_software_version; /* v3+ */
};

struct api_versions_key {
    int16_t api_key;
    int16_t version_min;
    int16_t version_max;
};

/* A feature a broker supports (tag 0) or the cluster finalized (tag 2; levels). */
struct api_versions_feature {
    struct wire_string name;
    int16_t version_min;
    int16_t version_max;
};

struct api_versions_response {
    int16_t error_code;
    uint32_t key_count;
    struct api_versions_key keys[API_VERSIONS_KEYS_MAX];
    int32_t throttle_time_ms; /* v1+ */
    /* v3+, tagged */
    uint32_t supported_feature_count; /* tag 0 */
    struct api_versions_feature supported_features[API_VERSIONS_FEATURES_MAX];
    int64_t finalized_features_epoch; /* tag 1, -1 unknown */
    uint32_t finalized_feature_count; /* tag 2 */
    struct api_versions_feature finalized_features[API_VERSIONS_FEATURES_MAX];
    bool zk_migration_ready; /* tag 3 */
};

/* Decodes a request body (after the header). Borrows body. */
KS_MUST_CHECK enum ks_err api_versions_request_decode(int16_t version, const uint8_t *body,
                                                      uint32_t size_bytes,
                                                      struct api_versions_request *out);
/* Appends a request body; errors land in w->err. */
void api_versions_request_encode(struct wire_writer *w, int16_t version,
                                 const struct api_versions_request *request);
/* KIP-511: software name and version must match [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? */
bool api_versions_request_valid(int16_t version, const struct api_versions_request *request);

/* A response from this project's table: every implemented key, no error, no features. */
void api_versions_response_build(struct api_versions_response *out);

/*
 * What a broker answers to an ApiVersions request of any version (KIP-511). A version
 * outside 0..API_VERSIONS_VERSION_MAX is not parsed: the answer is a v0 response with
 * UNSUPPORTED_VERSION (35) listing only the ApiVersions key, as Kafka does. A body that
 * passes decoding but names its client software badly gets INVALID_REQUEST (42), no
 * keys. Otherwise the table. *response_version is the version to encode the answer in.
 * Returns an error only when a supported version's body does not decode: Kafka closes
 * the connection then.
 */
KS_MUST_CHECK enum ks_err api_versions_answer(int16_t request_version, const uint8_t *body,
                                              uint32_t size_bytes,
                                              struct api_versions_response *out,
                                              int16_t *response_version);

/*
 * The same answer with the keys a server actually serves instead of this table
 * (ApiVersions must be among them): a node advertises its handler table, so it never
 * advertises an API it has a codec for but does not serve. keys is copied.
 */
KS_MUST_CHECK enum ks_err
api_versions_answer_from(int16_t request_version, const uint8_t *body, uint32_t size_bytes,
                         const struct api_versions_key *keys, uint32_t key_count,
                         struct api_versions_response *out, int16_t *response_version);

/*
 * Decodes a response body. Like Kafka's client, a body that does not decode at the
 * version asked is tried again as v0 (a broker answers a too-new request in v0).
 */
KS_MUST_CHECK enum ks_err api_versions_response_decode(int16_t version, const uint8_t *body,
                                                       uint32_t size_bytes,
                                                       struct api_versions_response *out);
void api_versions_response_encode(struct wire_writer *w, int16_t version,
                                  const struct api_versions_response *response);

#endif
