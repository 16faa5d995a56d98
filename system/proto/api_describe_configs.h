/*
 * api_describe_configs.h: the DescribeConfigs API (key 32), request and response,
 * versions 0-4, flexible from 4. Kafka: DescribeConfigsRequest.json,
 * DescribeConfigsResponse.json (v1 adds IncludeSynonyms, ConfigSource and Synonyms in
 * place of IsDefault; v3 adds IncludeDocumentation, ConfigType and Documentation;
 * KIP-482 flexible v4).
 *
 * Decoders borrow their input and allocate the arrays; free with the matching _free().
 */
#ifndef KS_PROTO_API_DESCRIBE_CONFIGS_H
#define KS_PROTO_API_DESCRIBE_CONFIGS_H

#include "system/proto/wire.h"

#define API_DESCRIBE_CONFIGS_VERSION_MIN 0
#define API_DESCRIBE_CONFIGS_VERSION_MAX 4
#define API_DESCRIBE_CONFIGS_FLEXIBLE_VERSION_FIRST 4

/* ConfigResource types (Kafka's ConfigResource.Type). */
#define API_CONFIG_RESOURCE_TOPIC 2
#define API_CONFIG_RESOURCE_BROKER 4
/* ConfigSource values (DescribeConfigsResponse.ConfigSource). */
#define API_CONFIG_SOURCE_TOPIC 1
#define API_CONFIG_SOURCE_STATIC_BROKER 4
#define API_CONFIG_SOURCE_DEFAULT 5
/* ConfigType values (ConfigDef.Type order): 0 unknown. */
#define API_CONFIG_TYPE_UNKNOWN 0
#define API_CONFIG_TYPE_STRING 2
#define API_CONFIG_TYPE_INT 3
#define API_CONFIG_TYPE_LONG 5

struct api_describe_configs_resource {
    int8_t resource_type;
    struct wire_string resource_name;
    int32_t key_count; /* -1: null (every config) */
    struct wire_string *keys;
};

struct api_describe_configs_request {
    uint32_t resource_count;
    struct api_describe_configs_resource *resources;
    bool include_synonyms;      /* v1+ */
    bool include_documentation; /* v3+ */
};

struct api_describe_configs_synonym {
    struct wire_string name;
    struct wire_string value; /* nullable */
    int8_t source;
};

struct api_describe_configs_entry {
    struct wire_string name;
    struct wire_string value; /* nullable */
    bool read_only;
    bool is_default;     /* v0 only; v1+ derive it from config_source */
    int8_t config_source; /* v1+; default -1 */
    bool is_sensitive;
    uint32_t synonym_count; /* v1+ */
    struct api_describe_configs_synonym *synonyms;
    int8_t config_type;             /* v3+ */
    struct wire_string documentation; /* v3+, nullable */
};

struct api_describe_configs_result {
    int16_t error_code;
    struct wire_string error_message; /* nullable */
    int8_t resource_type;
    struct wire_string resource_name;
    uint32_t config_count;
    struct api_describe_configs_entry *configs;
};

struct api_describe_configs_response {
    int32_t throttle_time_ms;
    uint32_t result_count;
    struct api_describe_configs_result *results;
};

KS_MUST_CHECK enum ks_err api_describe_configs_request_decode(
    int16_t version, const uint8_t *body, uint32_t size_bytes,
    struct api_describe_configs_request *out);
void api_describe_configs_request_encode(struct wire_writer *w, int16_t version,
                                         const struct api_describe_configs_request *request);
void api_describe_configs_request_free(struct api_describe_configs_request *request);

KS_MUST_CHECK enum ks_err api_describe_configs_response_decode(
    int16_t version, const uint8_t *body, uint32_t size_bytes,
    struct api_describe_configs_response *out);
/* The entries' synonyms arrays are written only from v1, documentation from v3. */
void api_describe_configs_response_encode(struct wire_writer *w, int16_t version,
                                          const struct api_describe_configs_response *response);
void api_describe_configs_response_free(struct api_describe_configs_response *response);

#endif
