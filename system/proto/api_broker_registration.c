/*
 * api_broker_registration.c: BrokerRegistration (key 62) request and response,
 * v0-v4, every version flexible. Kafka: BrokerRegistrationRequest.json,
 * BrokerRegistrationResponse.json. Fields in wire order, labelled by version.
 */
#include "system/proto/api_broker_registration.h"

#include <string.h>

/* Fewest wire bytes of a listener and a feature, to bound counts. */
#define REGISTRATION_LISTENER_SIZE_MIN 7u
#define REGISTRATION_FEATURE_SIZE_MIN 6u

static bool version_ok(int16_t version)
{
    return version >= API_BROKER_REGISTRATION_VERSION_MIN &&
           version <= API_BROKER_REGISTRATION_VERSION_MAX;
}

static void listeners_read(struct wire_reader *r, struct api_broker_registration_request *out)
{
    int32_t n = wire_read_compact_array_count(r, REGISTRATION_LISTENER_SIZE_MIN);
    if (n > (int32_t)API_BROKER_REGISTRATION_LISTENERS_MAX)
        wire_reader_fail(r, KS_ERR_TOO_MANY);
    if (r->err != KS_OK)
        return;
    out->listener_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++) {
        out->listeners[i].name = wire_read_compact_string(r);
        out->listeners[i].host = wire_read_compact_string(r);
        out->listeners[i].port = wire_read_uint16(r);
        out->listeners[i].security_protocol = wire_read_int16(r);
        wire_skip_tagged_fields(r);
    }
}

static void features_read(struct wire_reader *r, struct api_broker_registration_request *out)
{
    int32_t n = wire_read_compact_array_count(r, REGISTRATION_FEATURE_SIZE_MIN);
    if (n > (int32_t)API_BROKER_REGISTRATION_FEATURES_MAX)
        wire_reader_fail(r, KS_ERR_TOO_MANY);
    if (r->err != KS_OK)
        return;
    out->feature_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++) {
        out->features[i].name = wire_read_compact_string(r);
        out->features[i].version_min = wire_read_int16(r);
        out->features[i].version_max = wire_read_int16(r);
        wire_skip_tagged_fields(r);
    }
}

static void log_dirs_read(struct wire_reader *r, struct api_broker_registration_request *out)
{
    int32_t n = wire_read_compact_array_count(r, WIRE_UUID_SIZE);
    if (n > (int32_t)API_BROKER_REGISTRATION_LOG_DIRS_MAX)
        wire_reader_fail(r, KS_ERR_TOO_MANY);
    if (r->err != KS_OK)
        return;
    out->log_dir_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++)
        out->log_dirs[i] = wire_read_uuid(r);
}

enum ks_err api_broker_registration_request_decode(int16_t version, const uint8_t *body,
                                                   uint32_t size_bytes,
                                                   struct api_broker_registration_request *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    out->previous_broker_epoch = -1;
    if (!version_ok(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->broker_id = wire_read_int32(&r);
    out->cluster_id = wire_read_compact_string(&r);
    out->incarnation_id = wire_read_uuid(&r);
    listeners_read(&r, out);
    features_read(&r, out);
    out->rack = wire_read_compact_nullable_string(&r);
    if (version >= 1)
        out->is_migrating_zk_broker = wire_read_bool(&r);
    if (version >= 2)
        log_dirs_read(&r, out);
    if (version >= 3)
        out->previous_broker_epoch = wire_read_int64(&r);
    wire_skip_tagged_fields(&r);
    return wire_reader_finish(&r);
}

void api_broker_registration_request_encode(struct wire_writer *w, int16_t version,
                                            const struct api_broker_registration_request *request)
{
    KS_ASSERT(version_ok(version));
    KS_ASSERT(request->listener_count <= API_BROKER_REGISTRATION_LISTENERS_MAX);
    KS_ASSERT(request->feature_count <= API_BROKER_REGISTRATION_FEATURES_MAX);
    KS_ASSERT(request->log_dir_count <= API_BROKER_REGISTRATION_LOG_DIRS_MAX);
    if ((version < 1 && request->is_migrating_zk_broker) ||
        (version < 2 && request->log_dir_count > 0) ||
        (version < 3 && request->previous_broker_epoch != -1)) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    wire_write_int32(w, request->broker_id);
    wire_write_compact_string(w, request->cluster_id);
    wire_write_uuid(w, &request->incarnation_id);
    wire_write_compact_array_count(w, (int32_t)request->listener_count);
    for (uint32_t i = 0; i < request->listener_count; i++) {
        wire_write_compact_string(w, request->listeners[i].name);
        wire_write_compact_string(w, request->listeners[i].host);
        wire_write_uint16(w, request->listeners[i].port);
        wire_write_int16(w, request->listeners[i].security_protocol);
        wire_write_empty_tagged_fields(w);
    }
    wire_write_compact_array_count(w, (int32_t)request->feature_count);
    for (uint32_t i = 0; i < request->feature_count; i++) {
        wire_write_compact_string(w, request->features[i].name);
        wire_write_int16(w, request->features[i].version_min);
        wire_write_int16(w, request->features[i].version_max);
        wire_write_empty_tagged_fields(w);
    }
    wire_write_compact_nullable_string(w, request->rack);
    if (version >= 1)
        wire_write_bool(w, request->is_migrating_zk_broker);
    if (version >= 2) {
        wire_write_compact_array_count(w, (int32_t)request->log_dir_count);
        for (uint32_t i = 0; i < request->log_dir_count; i++)
            wire_write_uuid(w, &request->log_dirs[i]);
    }
    if (version >= 3)
        wire_write_int64(w, request->previous_broker_epoch);
    wire_write_empty_tagged_fields(w);
}

enum ks_err api_broker_registration_response_decode(int16_t version, const uint8_t *body,
                                                    uint32_t size_bytes,
                                                    struct api_broker_registration_response *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    out->broker_epoch = -1;
    if (!version_ok(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->throttle_time_ms = wire_read_int32(&r);
    out->error_code = wire_read_int16(&r);
    out->broker_epoch = wire_read_int64(&r);
    wire_skip_tagged_fields(&r);
    return wire_reader_finish(&r);
}

void api_broker_registration_response_encode(
    struct wire_writer *w, int16_t version, const struct api_broker_registration_response *response)
{
    KS_ASSERT(version_ok(version));
    wire_write_int32(w, response->throttle_time_ms);
    wire_write_int16(w, response->error_code);
    wire_write_int64(w, response->broker_epoch);
    wire_write_empty_tagged_fields(w);
}
