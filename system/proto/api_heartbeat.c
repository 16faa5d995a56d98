/*
 * api_heartbeat.c: Heartbeat (key 12) request and response, v0-v4. Kafka:
 * HeartbeatRequest.json, HeartbeatResponse.json. Fields in wire order, each labelled
 * with the versions that carry it.
 */
#include "system/proto/api_heartbeat.h"

#include <string.h>

static bool version_flexible(int16_t version)
{
    return version >= API_HEARTBEAT_FLEXIBLE_VERSION_FIRST;
}

static bool version_known(int16_t version)
{
    return version >= API_HEARTBEAT_VERSION_MIN && version <= API_HEARTBEAT_VERSION_MAX;
}

enum ks_err api_heartbeat_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                         struct api_heartbeat_request *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->group_id = wire_read_flex_string(&r, flexible);  /* GroupId */
    out->generation_id = wire_read_int32(&r);             /* GenerationId */
    out->member_id = wire_read_flex_string(&r, flexible); /* MemberId */
    out->group_instance_id =
        version >= 3 ? wire_read_flex_nullable_string(&r, flexible) : wire_string_null(); /* v3+ */
    if (flexible)
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        memset(out, 0, sizeof(*out));
    return err;
}

void api_heartbeat_request_encode(struct wire_writer *w, int16_t version,
                                  const struct api_heartbeat_request *request)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_known(version));
    if (version < 3 && !wire_string_is_null(request->group_instance_id)) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION);
        return;
    }
    wire_write_flex_string(w, flexible, request->group_id);
    wire_write_int32(w, request->generation_id);
    wire_write_flex_string(w, flexible, request->member_id);
    if (version >= 3)
        wire_write_flex_nullable_string(w, flexible, request->group_instance_id);
    if (flexible)
        wire_write_empty_tagged_fields(w);
    KS_ASSERT(w->err != KS_OK || w->size_bytes > 0);
}

enum ks_err api_heartbeat_response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                          struct api_heartbeat_response *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->throttle_time_ms = version >= 1 ? wire_read_int32(&r) : 0; /* v1+ */
    out->error_code = wire_read_int16(&r);                          /* ErrorCode */
    if (version_flexible(version))
        wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        memset(out, 0, sizeof(*out));
    return err;
}

void api_heartbeat_response_encode(struct wire_writer *w, int16_t version,
                                   const struct api_heartbeat_response *response)
{
    KS_ASSERT(version_known(version));
    if (version >= 1)
        wire_write_int32(w, response->throttle_time_ms);
    wire_write_int16(w, response->error_code);
    if (version_flexible(version))
        wire_write_empty_tagged_fields(w);
}
