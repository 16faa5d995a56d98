/*
 * api_describe_cluster.c: DescribeCluster (key 60) request and response, v0-v1, every
 * version flexible. Kafka: DescribeClusterRequest.json, DescribeClusterResponse.json.
 * Fields in wire order.
 */
#include "system/proto/api_describe_cluster.h"

#include <stdlib.h>
#include <string.h>

/* Fewest wire bytes of one broker: id, empty host, port, null rack, tags. */
#define DESCRIBE_CLUSTER_BROKER_SIZE_MIN 11u

static bool version_known(int16_t version)
{
    return version >= API_DESCRIBE_CLUSTER_VERSION_MIN &&
           version <= API_DESCRIBE_CLUSTER_VERSION_MAX;
}

enum ks_err api_describe_cluster_request_decode(int16_t version, const uint8_t *body,
                                                uint32_t size_bytes,
                                                struct api_describe_cluster_request *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    out->endpoint_type = API_DESCRIBE_CLUSTER_ENDPOINT_BROKERS;
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->include_cluster_authorized_operations = wire_read_bool(&r);
    if (version >= 1)
        out->endpoint_type = wire_read_int8(&r); /* EndpointType */
    wire_skip_tagged_fields(&r);
    return wire_reader_finish(&r);
}

void api_describe_cluster_request_encode(struct wire_writer *w, int16_t version,
                                         const struct api_describe_cluster_request *request)
{
    KS_ASSERT(version_known(version));
    wire_write_bool(w, request->include_cluster_authorized_operations);
    if (version >= 1)
        wire_write_int8(w, request->endpoint_type);
    wire_write_empty_tagged_fields(w);
}

enum ks_err api_describe_cluster_response_decode(int16_t version, const uint8_t *body,
                                                 uint32_t size_bytes,
                                                 struct api_describe_cluster_response *out)
{
    struct wire_reader r;
    memset(out, 0, sizeof(*out));
    if (!version_known(version))
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    out->throttle_time_ms = wire_read_int32(&r);                   /* ThrottleTimeMs */
    out->error_code = wire_read_int16(&r);                         /* ErrorCode */
    out->error_message = wire_read_compact_nullable_string(&r);    /* ErrorMessage */
    out->endpoint_type = API_DESCRIBE_CLUSTER_ENDPOINT_BROKERS;
    if (version >= 1)
        out->endpoint_type = wire_read_int8(&r); /* EndpointType */
    out->cluster_id = wire_read_compact_string(&r);                /* ClusterId */
    out->controller_id = wire_read_int32(&r);                      /* ControllerId */
    int32_t n = wire_read_compact_array_count(&r, DESCRIBE_CLUSTER_BROKER_SIZE_MIN);
    out->brokers = wire_array_alloc(n < 0 ? 0 : n, sizeof(*out->brokers));
    out->broker_count = n < 0 ? 0 : (uint32_t)n;
    for (int32_t i = 0; i < n && r.err == KS_OK; i++) { /* Brokers */
        struct api_describe_cluster_broker *b = &out->brokers[i];
        b->broker_id = wire_read_int32(&r);
        b->host = wire_read_compact_string(&r);
        b->port = wire_read_int32(&r);
        b->rack = wire_read_compact_nullable_string(&r);
        wire_skip_tagged_fields(&r);
    }
    out->cluster_authorized_operations = wire_read_int32(&r);
    wire_skip_tagged_fields(&r);
    enum ks_err err = wire_reader_finish(&r);
    if (err != KS_OK)
        api_describe_cluster_response_free(out);
    return err;
}

void api_describe_cluster_response_encode(struct wire_writer *w, int16_t version,
                                          const struct api_describe_cluster_response *response)
{
    KS_ASSERT(version_known(version));
    KS_ASSERT(response->broker_count <= WIRE_ARRAY_COUNT_MAX);
    wire_write_int32(w, response->throttle_time_ms);
    wire_write_int16(w, response->error_code);
    wire_write_compact_nullable_string(w, response->error_message);
    if (version >= 1)
        wire_write_int8(w, response->endpoint_type);
    wire_write_compact_string(w, response->cluster_id);
    wire_write_int32(w, response->controller_id);
    wire_write_compact_array_count(w, (int32_t)response->broker_count);
    for (uint32_t i = 0; i < response->broker_count; i++) {
        const struct api_describe_cluster_broker *b = &response->brokers[i];
        wire_write_int32(w, b->broker_id);
        wire_write_compact_string(w, b->host);
        wire_write_int32(w, b->port);
        wire_write_compact_nullable_string(w, b->rack);
        wire_write_empty_tagged_fields(w);
    }
    wire_write_int32(w, response->cluster_authorized_operations);
    wire_write_empty_tagged_fields(w);
}

void api_describe_cluster_response_free(struct api_describe_cluster_response *response)
{
    free(response->brokers);
    response->brokers = NULL;
    response->broker_count = 0;
}
