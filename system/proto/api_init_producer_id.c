/*
 * api_init_producer_id.c: InitProducerId (key 22) request and response, v0-v5. Kafka:
 * InitProducerIdRequest.json, InitProducerIdResponse.json. Fields in wire order,
 * labelled by version.
 */
#include "system/proto/api_init_producer_id.h"

#include <string.h>

static bool version_flexible(int16_t version)
{
    return version >= API_INIT_PRODUCER_ID_FLEXIBLE_VERSION_FIRST;
}

static bool version_valid(int16_t version)
{
    return version >= API_INIT_PRODUCER_ID_VERSION_MIN &&
           version <= API_INIT_PRODUCER_ID_VERSION_MAX;
}

void api_init_producer_id_request_init(struct api_init_producer_id_request *request)
{
    memset(request, 0, sizeof(*request));
    request->transactional_id = wire_string_null();
    request->producer_id = API_INIT_PRODUCER_ID_NO_PRODUCER_ID;
    request->producer_epoch = API_INIT_PRODUCER_ID_NO_PRODUCER_EPOCH;
}

enum ks_err api_init_producer_id_request_decode(int16_t version, const uint8_t *body,
                                                uint32_t size_bytes,
                                                struct api_init_producer_id_request *out)
{
    struct wire_reader r;
    bool flexible = version_flexible(version);
    api_init_producer_id_request_init(out);
    if (!version_valid(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->transactional_id = wire_read_flex_nullable_string(&r, flexible);
    out->transaction_timeout_ms = wire_read_int32(&r);
    if (version >= 3) {
        out->producer_id = wire_read_int64(&r);
        out->producer_epoch = wire_read_int16(&r);
    }
    if (flexible)
        wire_skip_tagged_fields(&r);
    return wire_reader_finish(&r);
}

void api_init_producer_id_request_encode(struct wire_writer *w, int16_t version,
                                         const struct api_init_producer_id_request *request)
{
    bool flexible = version_flexible(version);
    KS_ASSERT(version_valid(version));
    bool bump = request->producer_id != API_INIT_PRODUCER_ID_NO_PRODUCER_ID ||
                request->producer_epoch != API_INIT_PRODUCER_ID_NO_PRODUCER_EPOCH;
    if (bump && version < 3) {
        wire_writer_fail(w, KS_ERR_UNSUPPORTED_VERSION); /* epoch bump needs v3 */
        return;
    }
    wire_write_flex_nullable_string(w, flexible, request->transactional_id);
    wire_write_int32(w, request->transaction_timeout_ms);
    if (version >= 3) {
        wire_write_int64(w, request->producer_id);
        wire_write_int16(w, request->producer_epoch);
    }
    if (flexible)
        wire_write_empty_tagged_fields(w);
}

enum ks_err api_init_producer_id_response_decode(int16_t version, const uint8_t *body,
                                                 uint32_t size_bytes,
                                                 struct api_init_producer_id_response *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    out->producer_id = API_INIT_PRODUCER_ID_NO_PRODUCER_ID;
    if (!version_valid(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->throttle_time_ms = wire_read_int32(&r);
    out->error_code = wire_read_int16(&r);
    out->producer_id = wire_read_int64(&r);
    out->producer_epoch = wire_read_int16(&r);
    if (version_flexible(version))
        wire_skip_tagged_fields(&r);
    return wire_reader_finish(&r);
}

void api_init_producer_id_response_encode(struct wire_writer *w, int16_t version,
                                          const struct api_init_producer_id_response *response)
{
    KS_ASSERT(version_valid(version));
    wire_write_int32(w, response->throttle_time_ms);
    wire_write_int16(w, response->error_code);
    wire_write_int64(w, response->producer_id);
    wire_write_int16(w, response->producer_epoch);
    if (version_flexible(version))
        wire_write_empty_tagged_fields(w);
}
