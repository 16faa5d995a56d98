/*
 * raft_net_test.c: a controller faced with bad bytes (KafkaNetworkChannel's side of
 * "a request that does not decode gets a closed connection, never a crash"): a probe
 * node sends one frame to a single-voter quorum's leader and records the answer.
 * Garbage, a truncated Vote, an API the controller does not serve and a negative size
 * prefix close the connection; ApiVersions lists the Raft APIs (the listener is srv.h);
 * with the controller on, a broken BrokerRegistration closes and an unknown broker's
 * heartbeat is answered BROKER_ID_NOT_REGISTERED, its AlterPartition STALE_BROKER_EPOCH,
 * and Metadata names the active controller; an
 * observer's Fetch v13 (replica id -1) gets records and the high watermark. The leader keeps
 * leading through all of it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "raft_cluster.h"
#include "system/log/rb.h"
#include "system/proto/api.h"
#include "system/proto/api_alter_partition.h"
#include "system/proto/api_broker_heartbeat.h"
#include "system/proto/api_fetch.h"
#include "system/proto/api_metadata.h"
#include "system/proto/frame.h"

#define PROBE_RX_BYTES_MAX (256u * 1024u)

struct probe {
    struct env *env;
    bool opened;
    bool closed;
    uint8_t *tx;
    uint32_t tx_size;
    uint8_t rx[PROBE_RX_BYTES_MAX];
    uint32_t rx_size;
};

static void probe_open(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct probe *p = ctx;
    p->opened = err == KS_OK;
    if (p->opened)
        assert_int_equal(env_send(p->env, conn, p->tx, p->tx_size), KS_OK);
}

static void probe_recv(void *ctx, env_conn_id conn, const uint8_t *bytes, uint32_t n)
{
    struct probe *p = ctx;
    assert_true(p->rx_size + n <= PROBE_RX_BYTES_MAX);
    memcpy(p->rx + p->rx_size, bytes, n);
    p->rx_size += n;
}

static void probe_closed(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct probe *p = ctx;
    p->closed = true;
}

static const struct env_conn_handler probe_handler = {probe_open, probe_recv, probe_closed};

static uint8_t hex_nibble(char c)
{
    return (uint8_t)(c <= '9' ? c - '0' : c - 'a' + 10);
}

/* Connects to c1:9093 and, once open, sends the bytes of config `frame.hex`. */
static void *probe_start(struct env *env, const struct props *config)
{
    struct probe *p = calloc(1, sizeof(*p));
    const char *hex = props_get(config, "frame.hex");
    p->env = env;
    p->tx_size = (uint32_t)(strlen(hex) / 2);
    p->tx = malloc(p->tx_size + 1);
    for (uint32_t i = 0; i < p->tx_size; i++)
        p->tx[i] = (uint8_t)(hex_nibble(hex[2 * i]) << 4 | hex_nibble(hex[2 * i + 1]));
    env_conn_id conn = 0;
    assert_int_equal(env_connect(env, "c1", 9093, &probe_handler, p, &conn), KS_OK);
    return p;
}

static void probe_destroy(void *node)
{
    struct probe *p = node;
    free(p->tx);
    free(p);
}

static const struct world_node_type probe_type = {"probe", probe_start, NULL, probe_destroy, NULL};

/* A single-voter quorum (it elects itself) with the workload on, and a probe that
 * sends frame to it at 2 s. Returns the probe after 3 s; *c_out is the cluster. */
static struct probe *probe_run_mode(const uint8_t *frame, uint32_t size, uint32_t append_ms,
                                    struct cluster **c_out)
{
    struct cluster *c = cluster_new(1, 1, 0, append_ms);
    char *hex = calloc(1, 2 * size + 1);
    for (uint32_t i = 0; i < size; i++)
        snprintf(hex + 2 * i, 3, "%02x", frame[i]);
    struct props props;
    props_init(&props);
    assert_int_equal(props_set(&props, "frame.hex", hex), KS_OK);
    int probe = world_node_add(c->w, "probe", &probe_type, &props);
    props_free(&props);
    free(hex);
    cluster_run_to(c, 2000);
    assert_int_equal(cluster_leader(c), 0);
    assert_int_equal(world_node_start(c->w, probe), KS_OK);
    cluster_run_to(c, 3000);
    assert_false(c->violated);
    assert_int_equal(cluster_leader(c), 0); /* unharmed */
    *c_out = c;
    return world_node_impl(c->w, probe);
}

/* The voter runs the test workload (every 20 ms). */
static struct probe *probe_run(const uint8_t *frame, uint32_t size, struct cluster **c_out)
{
    return probe_run_mode(frame, size, 20, c_out);
}

/* Frames a request: header v2 (flexible) or v1, then body bytes. */
static uint8_t *request_frame(int16_t key, int16_t version, const uint8_t *body, uint32_t n,
                              uint32_t *size)
{
    struct wire_writer w;
    struct frame_request_header h = {key, version, 7, wire_string_from("probe")};
    wire_writer_init(&w);
    uint32_t start = frame_begin(&w);
    frame_request_header_write(&w, frame_request_header_version(key, version), &h);
    wire_write_raw(&w, body, n);
    frame_end(&w, start);
    return wire_writer_release(&w, size);
}

static void expect_closed(const uint8_t *frame, uint32_t size)
{
    struct cluster *c = NULL;
    struct probe *p = probe_run(frame, size, &c);
    assert_true(p->opened);
    assert_true(p->closed);
    assert_int_equal(p->rx_size, 0);
    cluster_free(c);
}

static void test_garbage_closes_the_connection(void **state)
{
    static const uint8_t garbage[] = {0, 0, 0, 5, 0xde, 0xad, 0xbe, 0xef, 0x99};
    expect_closed(garbage, sizeof(garbage));
    static const uint8_t negative_size[] = {0xff, 0xff, 0xff, 0xf0, 1, 2, 3};
    expect_closed(negative_size, sizeof(negative_size));
}

static void test_truncated_vote_closes_the_connection(void **state)
{
    static const uint8_t body[] = {0x00, 0x02, 0x13, '_', '_'};
    uint32_t size = 0;
    uint8_t *frame = request_frame(API_VOTE, 2, body, sizeof(body), &size);
    expect_closed(frame, size);
    free(frame);
}

static void test_unserved_api_closes_the_connection(void **state)
{
    static const uint8_t body[] = {0, 0};
    uint32_t size = 0;
    uint8_t *frame = request_frame(API_PRODUCE, 3, body, sizeof(body), &size);
    expect_closed(frame, size);
    free(frame);
}

/* The listener is a request server: ApiVersions lists the Raft APIs it serves. */
static void test_api_versions_lists_raft_apis(void **state)
{
    static const struct {
        int16_t key;
        int16_t version_max;
    } expected[] = {
        {API_FETCH, API_FETCH_KRAFT_VERSION_MAX},
        {API_VOTE, 2},
        {API_BEGIN_QUORUM_EPOCH, 0},
        {API_END_QUORUM_EPOCH, 0},
        {API_FETCH_SNAPSHOT, 0},
    };
    uint32_t size = 0;
    uint8_t *frame = request_frame(API_API_VERSIONS, 0, NULL, 0, &size);
    struct cluster *c = NULL;
    struct probe *p = probe_run(frame, size, &c);
    free(frame);
    assert_false(p->closed);
    assert_true(p->rx_size > 8);
    /* size, correlation id (header v0), body */
    assert_int_equal(ks_be32_load(p->rx), p->rx_size - 4);
    assert_int_equal(ks_be32_load(p->rx + 4), 7);
    struct api_versions_response r;
    assert_int_equal(api_versions_response_decode(0, p->rx + 8, p->rx_size - 8, &r), KS_OK);
    assert_int_equal(r.error_code, KS_OK);
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(expected); i++) {
        bool found = false;
        for (uint32_t k = 0; k < r.key_count; k++) {
            if (r.keys[k].api_key != expected[i].key)
                continue;
            found = true;
            assert_int_equal(r.keys[k].version_max, expected[i].version_max);
        }
        assert_true(found);
    }
    cluster_free(c);
}

/* The voter runs the controller: a BrokerRegistration that does not decode closes the
 * connection; a heartbeat of a broker that never registered is answered with
 * BROKER_ID_NOT_REGISTERED once the controller is active. */
static void test_controller_truncated_registration_closes(void **state)
{
    static const uint8_t body[] = {0x00, 0x00, 0x00, 0x04, 0x05};
    uint32_t size = 0;
    uint8_t *frame = request_frame(API_BROKER_REGISTRATION, 3, body, sizeof(body), &size);
    struct cluster *c = NULL;
    struct probe *p = probe_run_mode(frame, size, 0, &c);
    free(frame);
    assert_true(p->opened);
    assert_true(p->closed);
    assert_int_equal(p->rx_size, 0);
    cluster_free(c);
}

static void test_controller_answers_unknown_broker_heartbeat(void **state)
{
    struct api_broker_heartbeat_request req = {.broker_id = 99, .broker_epoch = 5};
    struct wire_writer body;
    wire_writer_init(&body);
    api_broker_heartbeat_request_encode(&body, 1, &req);
    uint32_t size = 0;
    uint8_t *frame = request_frame(API_BROKER_HEARTBEAT, 1, body.bytes, body.size_bytes, &size);
    wire_writer_free(&body);
    struct cluster *c = NULL;
    struct probe *p = probe_run_mode(frame, size, 0, &c);
    free(frame);
    assert_false(p->closed);
    assert_true(p->rx_size > 9);
    assert_int_equal(ks_be32_load(p->rx), p->rx_size - 4);
    assert_int_equal(ks_be32_load(p->rx + 4), 7);
    /* header v1 (flexible): correlation id, empty tagged fields */
    struct api_broker_heartbeat_response r;
    assert_int_equal(api_broker_heartbeat_response_decode(1, p->rx + 9, p->rx_size - 9, &r), KS_OK);
    assert_int_equal(r.error_code, KS_ERR_BROKER_ID_NOT_REGISTERED);
    assert_true(r.is_fenced);
    cluster_free(c);
}

/* AlterPartition from a broker the controller does not know: each partition is refused
 * with STALE_BROKER_EPOCH, which the answer also carries at the top level. */
static void test_controller_answers_alter_partition(void **state)
{
    struct api_alter_partition_broker_state isr[2] = {{99, 5}, {98, 5}};
    struct api_alter_partition_partition parts[2] = {{0, 1, 2, isr, 0, 3}, {1, 1, 2, isr, 0, 3}};
    struct api_alter_partition_topic topic = {
        .topic_id = {{1, 2, 3}}, .partition_count = 2, .partitions = parts};
    struct api_alter_partition_request req = {99, 5, 1, &topic};
    struct wire_writer body;
    wire_writer_init(&body);
    api_alter_partition_request_encode(&body, 3, &req);
    uint32_t size = 0;
    uint8_t *frame = request_frame(API_ALTER_PARTITION, 3, body.bytes, body.size_bytes, &size);
    wire_writer_free(&body);
    struct cluster *c = NULL;
    struct probe *p = probe_run_mode(frame, size, 0, &c);
    free(frame);
    assert_false(p->closed);
    assert_true(p->rx_size > 9);
    struct api_alter_partition_response r;
    assert_int_equal(api_alter_partition_response_decode(3, p->rx + 9, p->rx_size - 9, &r), KS_OK);
    assert_int_equal(r.error_code, KS_ERR_STALE_BROKER_EPOCH);
    assert_int_equal(r.topic_count, 1);
    assert_int_equal(r.topics[0].partition_count, 2);
    for (uint32_t i = 0; i < 2; i++) {
        assert_int_equal(r.topics[0].partitions[i].partition_index, (int32_t)i);
        assert_int_equal(r.topics[0].partitions[i].error_code, KS_ERR_STALE_BROKER_EPOCH);
    }
    api_alter_partition_response_free(&r);
    cluster_free(c);
}

/* Metadata on the controller listener: the active controller names itself. */
static void test_controller_answers_metadata(void **state)
{
    struct api_metadata_request req = {.topic_count = -1, .allow_auto_topic_creation = false};
    struct wire_writer body;
    wire_writer_init(&body);
    api_metadata_request_encode(&body, 12, &req);
    uint32_t size = 0;
    uint8_t *frame = request_frame(API_METADATA, 12, body.bytes, body.size_bytes, &size);
    wire_writer_free(&body);
    struct cluster *c = NULL;
    struct probe *p = probe_run_mode(frame, size, 0, &c);
    free(frame);
    assert_false(p->closed);
    assert_true(p->rx_size > 9);
    struct api_metadata_response r;
    assert_int_equal(api_metadata_response_decode(12, p->rx + 9, p->rx_size - 9, &r), KS_OK);
    assert_int_equal(r.controller_id, 1);
    assert_int_equal(r.broker_count, 0); /* no broker registered */
    assert_int_equal(r.topic_count, 0);
    api_metadata_response_free(&r);
    cluster_free(c);
}

static void test_observer_fetch_gets_records(void **state)
{
    struct api_fetch_request req;
    api_fetch_request_init(&req);
    req.has_partition = true;
    req.topic_id.bytes[15] = 1; /* __cluster_metadata's id */
    req.current_leader_epoch = 1;
    req.fetch_offset = 0;
    req.last_fetched_epoch = 0;
    req.partition_max_bytes = 1 << 20;
    struct wire_writer body;
    wire_writer_init(&body);
    api_fetch_request_encode(&body, 13, &req);
    uint32_t size = 0;
    uint8_t *frame = request_frame(API_FETCH, 13, body.bytes, body.size_bytes, &size);
    wire_writer_free(&body);
    struct cluster *c = NULL;
    struct probe *p = probe_run(frame, size, &c);
    free(frame);
    assert_false(p->closed);
    assert_true(p->rx_size > 4);
    assert_int_equal(ks_be32_load(p->rx), p->rx_size - 4);
    struct wire_reader r;
    int32_t correlation_id = 0;
    wire_reader_init(&r, p->rx + 4, p->rx_size - 4);
    assert_int_equal(frame_response_header_read(&r, 1, &correlation_id), KS_OK);
    assert_int_equal(correlation_id, 7);
    struct api_fetch_response resp;
    assert_int_equal(
        api_fetch_response_decode(13, p->rx + 4 + r.offset, p->rx_size - 4 - r.offset, &resp),
        KS_OK);
    assert_int_equal(resp.partition_error_code, KS_OK);
    assert_int_equal(resp.current_leader_id, 1);
    assert_int_equal(resp.current_leader_epoch, 1);
    assert_true(resp.high_watermark > 10);
    struct rb_scan scan;
    assert_true(resp.records.size_bytes > 0);
    assert_int_equal(rb_scan(resp.records.bytes, (size_t)resp.records.size_bytes, &scan), KS_OK);
    assert_int_equal(scan.base_offset, 0);
    assert_true(scan.header.attributes & RB_ATTR_CONTROL); /* LEADER_CHANGE comes first */
    cluster_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_garbage_closes_the_connection),
        cmocka_unit_test(test_truncated_vote_closes_the_connection),
        cmocka_unit_test(test_unserved_api_closes_the_connection),
        cmocka_unit_test(test_api_versions_lists_raft_apis),
        cmocka_unit_test(test_controller_truncated_registration_closes),
        cmocka_unit_test(test_controller_answers_unknown_broker_heartbeat),
        cmocka_unit_test(test_controller_answers_alter_partition),
        cmocka_unit_test(test_controller_answers_metadata),
        cmocka_unit_test(test_observer_fetch_gets_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
