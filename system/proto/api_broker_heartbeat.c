/*
 * api_broker_heartbeat.c: BrokerHeartbeat (key 63) request and response, v0-v1,
 * every version flexible. Kafka: BrokerHeartbeatRequest.json,
 * BrokerHeartbeatResponse.json. Fields in wire order, labelled by version.
 */
#include "system/proto/api_broker_heartbeat.h"

#include <string.h>

static bool version_ok(int16_t version)
{
    return version >= API_BROKER_HEARTBEAT_VERSION_MIN &&
           version <= API_BROKER_HEARTBEAT_VERSION_MAX;
}

static void offline_log_dirs_read(struct wire_reader *field,
                                  struct api_broker_heartbeat_request *out)
{
    int32_t n = wire_read_compact_array_count(field, WIRE_UUID_SIZE);
    if (n > (int32_t)API_BROKER_HEARTBEAT_LOG_DIRS_MAX)
        wire_reader_fail(field, KS_ERR_TOO_MANY);
    if (field->err != KS_OK)
        return;
    out->offline_log_dir_count = (uint32_t)n;
    for (int32_t i = 0; i < n; i++)
        out->offline_log_dirs[i] = wire_read_uuid(field);
}

enum ks_err api_broker_heartbeat_request_decode(int16_t version, const uint8_t *body,
                                                uint32_t size_bytes,
                                                struct api_broker_heartbeat_request *out)
{
    struct wire_reader r, field;
    struct wire_tags tags;
    uint32_t tag;
    memset(out, 0, sizeof(*out));
    out->broker_epoch = -1;
    if (!version_ok(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->broker_id = wire_read_int32(&r);
    out->broker_epoch = wire_read_int64(&r);
    out->current_metadata_offset = wire_read_int64(&r);
    out->want_fence = wire_read_bool(&r);
    out->want_shut_down = wire_read_bool(&r);
    wire_read_tags_begin(&r, &tags);
    while (wire_read_tags_next(&r, &tags, &tag, &field)) {
        if (tag == 0 && version >= 1)
            offline_log_dirs_read(&field, out);
        else
            field.offset = field.size_bytes; /* unknown: skipped */
        wire_read_tag_end(&r, &field);
    }
    return wire_reader_finish(&r);
}

void api_broker_heartbeat_request_encode(struct wire_writer *w, int16_t version,
                                         const struct api_broker_heartbeat_request *request)
{
    KS_ASSERT(version_ok(version));
    KS_ASSERT(request->offline_log_dir_count <= API_BROKER_HEARTBEAT_LOG_DIRS_MAX);
    if (version < 1 && request->offline_log_dir_count > 0) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    wire_write_int32(w, request->broker_id);
    wire_write_int64(w, request->broker_epoch);
    wire_write_int64(w, request->current_metadata_offset);
    wire_write_bool(w, request->want_fence);
    wire_write_bool(w, request->want_shut_down);
    if (request->offline_log_dir_count == 0) {
        wire_write_empty_tagged_fields(w);
        return;
    }
    struct wire_writer field;
    wire_writer_init(&field);
    wire_write_compact_array_count(&field, (int32_t)request->offline_log_dir_count);
    for (uint32_t i = 0; i < request->offline_log_dir_count; i++)
        wire_write_uuid(&field, &request->offline_log_dirs[i]);
    wire_write_uvarint(w, 1);
    wire_write_tagged_field(w, 0, &field);
    wire_writer_free(&field);
}

enum ks_err api_broker_heartbeat_response_decode(int16_t version, const uint8_t *body,
                                                 uint32_t size_bytes,
                                                 struct api_broker_heartbeat_response *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    out->is_fenced = true;
    if (!version_ok(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->throttle_time_ms = wire_read_int32(&r);
    out->error_code = wire_read_int16(&r);
    out->is_caught_up = wire_read_bool(&r);
    out->is_fenced = wire_read_bool(&r);
    out->should_shut_down = wire_read_bool(&r);
    wire_skip_tagged_fields(&r);
    return wire_reader_finish(&r);
}

void api_broker_heartbeat_response_encode(struct wire_writer *w, int16_t version,
                                          const struct api_broker_heartbeat_response *response)
{
    KS_ASSERT(version_ok(version));
    wire_write_int32(w, response->throttle_time_ms);
    wire_write_int16(w, response->error_code);
    wire_write_bool(w, response->is_caught_up);
    wire_write_bool(w, response->is_fenced);
    wire_write_bool(w, response->should_shut_down);
    wire_write_empty_tagged_fields(w);
}
