/*
 * api_describe_configs.c: DescribeConfigs (key 32) request and response, v0-v4. Kafka:
 * DescribeConfigsRequest.json, DescribeConfigsResponse.json. Fields in wire order.
 */
#include "system/proto/api_describe_configs.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one element, to bound counts before allocating. */
#define DESCRIBE_CONFIGS_RESOURCE_SIZE_MIN 3u /* type, empty name, null keys (flexible) */
#define DESCRIBE_CONFIGS_KEY_SIZE_MIN 1u
#define DESCRIBE_CONFIGS_RESULT_SIZE_MIN 6u
#define DESCRIBE_CONFIGS_ENTRY_SIZE_MIN 4u
#define DESCRIBE_CONFIGS_SYNONYM_SIZE_MIN 3u

static bool version_flexible(int16_t version)
{
    return version >= API_DESCRIBE_CONFIGS_FLEXIBLE_VERSION_FIRST;
}

static bool version_known(int16_t version)
{
    return version >= API_DESCRIBE_CONFIGS_VERSION_MIN &&
           version <= API_DESCRIBE_CONFIGS_VERSION_MAX;
}

/* ---- Request ---- */

static void request_read_resource(struct wire_reader *r, bool flexible,
                                  struct api_describe_configs_resource *res)
{
    res->resource_type = wire_read_int8(r);                     /* ResourceType */
    res->resource_name = wire_read_flex_string(r, flexible);    /* ResourceName */
    res->key_count = wire_read_flex_nullable_array_count(r, flexible, DESCRIBE_CONFIGS_KEY_SIZE_MIN);
    res->keys = wire_array_alloc(res->key_count < 0 ? 0 : res->key_count, sizeof(*res->keys));
    for (int32_t i = 0; i < res->key_count && r->err == KS_OK; i++)
        res->keys[i] = wire_read_flex_string(r, flexible); /* ConfigurationKeys */
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err api_describe_configs_request_decode(int16_t version, const uint8_t *body,
                                                uint32_t size_bytes,
                                                struct api_describe_configs_request *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    int32_t n = wire_read_flex_array_count(&r, flexible, DESCRIBE_CONFIGS_RESOURCE_SIZE_MIN);
    KS_ASSERT(n >= 0);
    out->resources = wire_array_alloc(n, sizeof(*out->resources));
    out->resource_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r.err == KS_OK; i++)
        request_read_resource(&r, flexible, &out->resources[i]);
    if (version >= 1)
        out->include_synonyms = wire_read_bool(&r);
    if (version >= 3)
        out->include_documentation = wire_read_bool(&r);
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_describe_configs_request_free(out);
    return err;
}

void api_describe_configs_request_encode(struct wire_writer *w, int16_t version,
                                         const struct api_describe_configs_request *request)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(request->resource_count <= WIRE_ARRAY_COUNT_MAX);
    wire_write_flex_array_count(w, flexible, (int32_t)request->resource_count);
    for (uint32_t i = 0; i < request->resource_count; i++) {
        const struct api_describe_configs_resource *res = &request->resources[i];
        wire_write_int8(w, res->resource_type);
        wire_write_flex_string(w, flexible, res->resource_name);
        wire_write_flex_nullable_array_count(w, flexible, res->key_count);
        for (int32_t k = 0; k < res->key_count; k++)
            wire_write_flex_string(w, flexible, res->keys[k]);
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    if (version >= 1)
        wire_write_bool(w, request->include_synonyms);
    if (version >= 3)
        wire_write_bool(w, request->include_documentation);
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_describe_configs_request_free(struct api_describe_configs_request *request)
{
    for (uint32_t i = 0; i < request->resource_count; i++)
        free(request->resources[i].keys);
    free(request->resources);
    request->resources = NULL;
    request->resource_count = 0;
}

/* ---- Response ---- */

static void response_read_entry(struct wire_reader *r, int16_t version, bool flexible,
                                struct api_describe_configs_entry *e)
{
    e->name = wire_read_flex_string(r, flexible);           /* Name */
    e->value = wire_read_flex_nullable_string(r, flexible); /* Value */
    e->read_only = wire_read_bool(r);                       /* ReadOnly */
    e->config_source = -1;
    if (version == 0)
        e->is_default = wire_read_bool(r); /* IsDefault */
    else
        e->config_source = wire_read_int8(r); /* ConfigSource */
    e->is_sensitive = wire_read_bool(r);      /* IsSensitive */
    if (version >= 1) {
        int32_t n = wire_read_flex_array_count(r, flexible, DESCRIBE_CONFIGS_SYNONYM_SIZE_MIN);
        e->synonyms = wire_array_alloc(n, sizeof(*e->synonyms));
        e->synonym_count = (uint32_t)n;
        for (int32_t i = 0; i < n && r->err == KS_OK; i++) { /* Synonyms */
            e->synonyms[i].name = wire_read_flex_string(r, flexible);
            e->synonyms[i].value = wire_read_flex_nullable_string(r, flexible);
            e->synonyms[i].source = wire_read_int8(r);
            if (flexible)
                wire_skip_tagged_fields(r);
        }
    }
    if (version >= 3) {
        e->config_type = wire_read_int8(r);                             /* ConfigType */
        e->documentation = wire_read_flex_nullable_string(r, flexible); /* Documentation */
    }
    if (flexible)
        wire_skip_tagged_fields(r);
}

static void response_read_result(struct wire_reader *r, int16_t version, bool flexible,
                                 struct api_describe_configs_result *res)
{
    res->error_code = wire_read_int16(r);                           /* ErrorCode */
    res->error_message = wire_read_flex_nullable_string(r, flexible); /* ErrorMessage */
    res->resource_type = wire_read_int8(r);                         /* ResourceType */
    res->resource_name = wire_read_flex_string(r, flexible);        /* ResourceName */
    int32_t n = wire_read_flex_array_count(r, flexible, DESCRIBE_CONFIGS_ENTRY_SIZE_MIN);
    res->configs = wire_array_alloc(n, sizeof(*res->configs));
    res->config_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r->err == KS_OK; i++) /* Configs */
        response_read_entry(r, version, flexible, &res->configs[i]);
    if (flexible)
        wire_skip_tagged_fields(r);
}

enum ks_err api_describe_configs_response_decode(int16_t version, const uint8_t *body,
                                                 uint32_t size_bytes,
                                                 struct api_describe_configs_response *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->throttle_time_ms = wire_read_int32(&r); /* ThrottleTimeMs */
    int32_t n = wire_read_flex_array_count(&r, flexible, DESCRIBE_CONFIGS_RESULT_SIZE_MIN);
    out->results = wire_array_alloc(n, sizeof(*out->results));
    out->result_count = (uint32_t)n;
    for (int32_t i = 0; i < n && r.err == KS_OK; i++) /* Results */
        response_read_result(&r, version, flexible, &out->results[i]);
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_describe_configs_response_free(out);
    return err;
}

static void response_write_entry(struct wire_writer *w, int16_t version, bool flexible,
                                 const struct api_describe_configs_entry *e)
{
    wire_write_flex_string(w, flexible, e->name);
    wire_write_flex_nullable_string(w, flexible, e->value);
    wire_write_bool(w, e->read_only);
    if (version == 0)
        wire_write_bool(w, e->is_default);
    else
        wire_write_int8(w, e->config_source);
    wire_write_bool(w, e->is_sensitive);
    if (version >= 1) {
        KS_ASSERT(e->synonym_count <= WIRE_ARRAY_COUNT_MAX);
        wire_write_flex_array_count(w, flexible, (int32_t)e->synonym_count);
        for (uint32_t i = 0; i < e->synonym_count; i++) {
            wire_write_flex_string(w, flexible, e->synonyms[i].name);
            wire_write_flex_nullable_string(w, flexible, e->synonyms[i].value);
            wire_write_int8(w, e->synonyms[i].source);
            if (flexible)
                wire_write_empty_tagged_fields(w);
        }
    }
    if (version >= 3) {
        wire_write_int8(w, e->config_type);
        wire_write_flex_nullable_string(w, flexible, e->documentation);
    }
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_describe_configs_response_encode(struct wire_writer *w, int16_t version,
                                          const struct api_describe_configs_response *response)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    KS_ASSERT(response->result_count <= WIRE_ARRAY_COUNT_MAX);
    wire_write_int32(w, response->throttle_time_ms);
    wire_write_flex_array_count(w, flexible, (int32_t)response->result_count);
    for (uint32_t i = 0; i < response->result_count; i++) {
        const struct api_describe_configs_result *res = &response->results[i];
        KS_ASSERT(res->config_count <= WIRE_ARRAY_COUNT_MAX);
        wire_write_int16(w, res->error_code);
        wire_write_flex_nullable_string(w, flexible, res->error_message);
        wire_write_int8(w, res->resource_type);
        wire_write_flex_string(w, flexible, res->resource_name);
        wire_write_flex_array_count(w, flexible, (int32_t)res->config_count);
        for (uint32_t j = 0; j < res->config_count; j++)
            response_write_entry(w, version, flexible, &res->configs[j]);
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

void api_describe_configs_response_free(struct api_describe_configs_response *response)
{
    for (uint32_t i = 0; i < response->result_count; i++) {
        struct api_describe_configs_result *res = &response->results[i];
        for (uint32_t j = 0; j < res->config_count; j++)
            free(res->configs[j].synonyms);
        free(res->configs);
    }
    free(response->results);
    response->results = NULL;
    response->result_count = 0;
}
