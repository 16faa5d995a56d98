/*
 * srv_test.c: the request server and the kbroker node under simulation. A server node
 * (srv with a test Metadata handler that answers at once, after a timer, or not at all,
 * by correlation id) or a knode, and client nodes that send raw frames: ApiVersions
 * v0-v4 (v4 gets the v0 fallback), Metadata, unknown keys and versions, oversized
 * and negative sizes, garbage headers, undecodable bodies, pipelined requests answered
 * in order across a delayed answer, the same stream split byte by byte, read-ahead and
 * max.connections limits, shutdown with a request in flight, meta.properties and the
 * clean-shutdown marker across a restart.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/world.h"
#include "system/proto/api_metadata.h"
#include "system/server/knode.h"
#include "system/server/srv.h"

#define MS WORLD_NS_PER_MS
#define TEST_PORT 9092
#define TEST_DELAYS_MAX 16u
#define TEST_DELAY_MS 50u
#define TEST_RX_BYTES_MAX (1u << 20)
#define TEST_FRAMES_MAX 64u

/* ---- The test server: srv with a Metadata handler steered by correlation id ---- */

/*
 * corr % 10: 1 and 3 answer after TEST_DELAY_MS, 4 gets no response (acks=0 style),
 * anything else answers at once. The answer is a Metadata response whose one broker's
 * node id is the correlation id.
 */
struct test_server;

struct test_delay {
    struct test_server *server;
    struct srv_request *request;
    env_timer_id timer;
    bool used;
};

struct test_server {
    struct env *env;
    struct srv *srv;
    struct test_delay delays[TEST_DELAYS_MAX];
};

static void test_answer(struct srv_request *request)
{
    struct api_metadata_broker broker = {request->header.correlation_id, wire_string_from("server"),
                                         TEST_PORT, wire_string_null()};
    struct api_metadata_response response = {
        .broker_count = 1, .brokers = &broker, .controller_id = -1};
    struct wire_writer body;
    wire_writer_init(&body);
    api_metadata_response_encode(&body, request->header.api_version, &response);
    srv_respond(request, &body);
    wire_writer_free(&body);
}

static void test_delay_fire(void *ctx)
{
    struct test_delay *d = ctx;
    KS_ASSERT(d->used);
    d->used = false;
    test_answer(d->request);
}

static void test_on_metadata(void *ctx, struct srv_request *request)
{
    struct test_server *server = ctx;
    struct api_metadata_request asked;
    if (api_metadata_request_decode(request->header.api_version, request->body,
                                    request->body_size_bytes, &asked) != KS_OK) {
        srv_respond_close(request);
        return;
    }
    api_metadata_request_free(&asked);
    int32_t kind = request->header.correlation_id % 10;
    if (kind == 4) {
        srv_respond_none(request);
    } else if (kind == 1 || kind == 3) {
        for (uint32_t i = 0; i < TEST_DELAYS_MAX; i++) {
            struct test_delay *d = &server->delays[i];
            if (d->used)
                continue;
            *d = (struct test_delay){server, request, 0, true};
            d->timer = env_timer_start(server->env, TEST_DELAY_MS * MS, test_delay_fire, d);
            return;
        }
        fail_msg("too many delayed requests");
    } else {
        test_answer(request);
    }
}

static void *test_server_start(struct env *env, const struct props *config)
{
    struct test_server *server = ks_alloc(sizeof(*server));
    struct srv_config sc;
    const char *bad = NULL;
    int64_t read_ahead = SRV_READ_AHEAD_BYTES_MAX_DEFAULT;
    srv_config_default(&sc);
    assert_int_equal(srv_config_from_props(&sc, config, &bad), KS_OK);
    assert_int_equal(props_get_i64(config, "test.read.ahead.bytes", read_ahead, &read_ahead),
                     KS_OK);
    sc.read_ahead_bytes_max = (uint32_t)read_ahead;
    struct srv_handler rows[] = {{API_METADATA, 0, 12, test_on_metadata, server}};
    server->env = env;
    server->srv = srv_create(env, &sc, rows, 1);
    assert_int_equal(srv_listen(server->srv, TEST_PORT), KS_OK);
    return server;
}

static void test_server_destroy(void *impl)
{
    struct test_server *server = impl;
    srv_free(server->srv);
    free(server);
}

static const struct world_node_type test_server_type = {"test-server", test_server_start, NULL,
                                                        test_server_destroy, NULL};

/* ---- The kbroker node under simulation ---- */

struct test_knode {
    struct knode *node;
};

static void *test_knode_start(struct env *env, const struct props *props)
{
    struct knode_config config;
    char error[256];
    knode_config_default(&config);
    snprintf(config.log_dir, sizeof(config.log_dir), "kafka-logs");
    if (knode_config_from_props(&config, props, error, sizeof(error)) != KS_OK)
        return NULL;
    struct test_knode *t = ks_alloc(sizeof(*t));
    if (knode_start(env, &config, &t->node, error, sizeof(error)) != KS_OK) {
        print_message("knode_start: %s\n", error);
        free(t);
        return NULL;
    }
    return t;
}

static void test_knode_stop(void *impl)
{
    struct test_knode *t = impl;
    knode_shutdown(t->node);
    assert_int_equal(knode_close(t->node), KS_OK);
    t->node = NULL;
}

static void test_knode_destroy(void *impl)
{
    struct test_knode *t = impl;
    knode_free(t->node);
    free(t);
}

static const struct world_node_type test_knode_type = {"knode", test_knode_start, test_knode_stop,
                                                       test_knode_destroy, NULL};

/* ---- The client: sends raw bytes, keeps what comes back ---- */

struct test_client {
    struct env *env;
    env_conn_id conn;
    bool open;
    bool closed;
    uint8_t *queued; /* sent once open */
    uint32_t queued_size;
    uint32_t chunk_bytes; /* 0: one send */
    uint8_t rx[TEST_RX_BYTES_MAX];
    uint32_t rx_size;
};

static void test_client_flush(struct test_client *c)
{
    uint32_t chunk = c->chunk_bytes == 0 ? c->queued_size : c->chunk_bytes;
    for (uint32_t off = 0; off < c->queued_size; off += chunk) {
        uint32_t n = c->queued_size - off < chunk ? c->queued_size - off : chunk;
        if (env_send(c->env, c->conn, c->queued + off, n) != KS_OK)
            break;
    }
    free(c->queued);
    c->queued = NULL;
    c->queued_size = 0;
}

static void test_client_open(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct test_client *c = ctx;
    assert_int_equal(err, KS_OK);
    c->open = true;
    test_client_flush(c);
}

static void test_client_recv(void *ctx, env_conn_id conn, const uint8_t *bytes, uint32_t n)
{
    struct test_client *c = ctx;
    assert_true(c->rx_size + n <= TEST_RX_BYTES_MAX);
    memcpy(c->rx + c->rx_size, bytes, n);
    c->rx_size += n;
}

static void test_client_closed(void *ctx, env_conn_id conn, enum ks_err err)
{
    struct test_client *c = ctx;
    c->open = false;
    c->closed = true;
}

static const struct env_conn_handler test_client_handler = {test_client_open, test_client_recv,
                                                            test_client_closed};

static void *test_client_start(struct env *env, const struct props *props)
{
    struct test_client *c = ks_alloc(sizeof(*c));
    c->env = env;
    assert_int_equal(
        env_connect(env, props_get(props, "target"), TEST_PORT, &test_client_handler, c, &c->conn),
        KS_OK);
    return c;
}

static void test_client_destroy(void *impl)
{
    struct test_client *c = impl;
    free(c->queued);
    free(c);
}

static const struct world_node_type test_client_type = {"client", test_client_start, NULL,
                                                        test_client_destroy, NULL};

/* Queue bytes (sent at open, or now when open), in chunks of chunk_bytes (0: one). */
static void test_client_send(struct test_client *c, const uint8_t *bytes, uint32_t n,
                             uint32_t chunk_bytes)
{
    c->queued = ks_realloc(c->queued, c->queued_size + n);
    memcpy(c->queued + c->queued_size, bytes, n);
    c->queued_size += n;
    c->chunk_bytes = chunk_bytes;
    if (c->open)
        test_client_flush(c);
}

/* ---- A world, frames, responses ---- */

struct test_world {
    struct world *w;
    int server;
};

static struct test_world test_world_new(const struct world_node_type *type, const char *props_text)
{
    struct world_config config;
    struct props props;
    uint32_t line = 0;
    world_config_default(&config, 42);
    struct test_world t = {.w = world_create(&config)};
    props_init(&props);
    assert_int_equal(props_parse(&props, props_text, &line), KS_OK);
    t.server = world_node_add(t.w, "server", type, &props);
    props_free(&props);
    assert_int_equal(world_node_start(t.w, t.server), KS_OK);
    return t;
}

static struct test_client *test_client_add(struct test_world *t, const char *name)
{
    struct props props;
    props_init(&props);
    assert_int_equal(props_set(&props, "target", "server"), KS_OK);
    int id = world_node_add(t->w, name, &test_client_type, &props);
    props_free(&props);
    assert_int_equal(world_node_start(t->w, id), KS_OK);
    return world_node_impl(t->w, id);
}

static void test_run(struct test_world *t, uint64_t ms)
{
    world_run_until(t->w, world_now_ns(t->w) + ms * MS, UINT64_MAX);
}

/* Appends one request frame. */
static void frame_request(struct wire_writer *w, int16_t key, int16_t version, int32_t corr,
                          const struct wire_writer *body)
{
    struct frame_request_header h = {key, version, corr, wire_string_from("srv-test")};
    int header_version = frame_request_header_version(key, version);
    uint32_t start = frame_begin(w);
    frame_request_header_write(w, header_version < 0 ? 1 : header_version, &h);
    if (body != NULL && body->size_bytes > 0)
        wire_write_raw(w, body->bytes, body->size_bytes);
    frame_end(w, start);
}

static void frame_metadata(struct wire_writer *w, int16_t version, int32_t corr)
{
    struct api_metadata_request request = {.topic_count = version == 0 ? -1 : 0,
                                           .allow_auto_topic_creation = true};
    struct wire_writer body;
    wire_writer_init(&body);
    api_metadata_request_encode(&body, version, &request);
    assert_int_equal(body.err, KS_OK);
    frame_request(w, API_METADATA, version, corr, &body);
    wire_writer_free(&body);
}

static void frame_api_versions(struct wire_writer *w, int16_t version, int32_t corr,
                               const char *software)
{
    struct wire_writer body;
    wire_writer_init(&body);
    if (version >= 3 && version <= API_VERSIONS_VERSION_MAX) {
        struct api_versions_request request = {wire_string_from(software), wire_string_from("1.0")};
        api_versions_request_encode(&body, version, &request);
    } else if (version > API_VERSIONS_VERSION_MAX) {
        wire_write_raw(&body,
                       "\x05kcat\x04"
                       "1.0\x00",
                       10); /* what v4 might hold */
    }
    frame_request(w, API_API_VERSIONS, version, corr, &body);
    wire_writer_free(&body);
}

struct test_frame {
    const uint8_t *bytes; /* after the size prefix, into the client's rx */
    uint32_t size_bytes;
};

/* Splits what the client received into frames. */
static uint32_t test_frames(const struct test_client *c, struct test_frame *out)
{
    uint32_t count = 0, off = 0;
    while (off + 4 <= c->rx_size && count < TEST_FRAMES_MAX) {
        uint32_t n = ks_be32_load(c->rx + off);
        assert_true(off + 4 + n <= c->rx_size);
        out[count++] = (struct test_frame){c->rx + off + 4, n};
        off += 4 + n;
    }
    assert_int_equal(off, c->rx_size);
    return count;
}

static int32_t frame_corr(const struct test_frame *f)
{
    assert_true(f->size_bytes >= 4);
    return (int32_t)ks_be32_load(f->bytes);
}

/* A Metadata response frame: header v1 from v9; decodes; its first broker's id. */
static void check_metadata(const struct test_frame *f, int16_t version, int32_t corr,
                           struct api_metadata_response *out)
{
    struct wire_reader r;
    int32_t got = 0;
    wire_reader_init(&r, f->bytes, f->size_bytes);
    assert_int_equal(frame_response_header_read(&r, version >= 9 ? 1 : 0, &got), KS_OK);
    assert_int_equal(got, corr);
    assert_int_equal(
        api_metadata_response_decode(version, r.bytes + r.offset, wire_reader_remaining(&r), out),
        KS_OK);
}

/* ---- ApiVersions ---- */

static void test_api_versions_every_version(void **state)
{
    struct test_world t = test_world_new(&test_server_type, "");
    struct test_client *c = test_client_add(&t, "client");
    struct wire_writer w;
    wire_writer_init(&w);
    for (int16_t v = 0; v <= 4; v++)
        frame_api_versions(&w, v, 100 + v, "librdkafka");
    frame_api_versions(&w, 3, 105, "-bad name");
    test_client_send(c, w.bytes, w.size_bytes, 0);
    test_run(&t, 100);
    struct test_frame frames[TEST_FRAMES_MAX];
    assert_int_equal(test_frames(c, frames), 6);
    for (int16_t v = 0; v <= 5; v++) {
        struct api_versions_response response;
        int16_t asked = v == 5 ? 3 : v;
        assert_int_equal(frame_corr(&frames[v]), 100 + v); /* header v0 always */
        assert_int_equal(api_versions_response_decode(asked > 3 ? 0 : asked, frames[v].bytes + 4,
                                                      frames[v].size_bytes - 4, &response),
                         KS_OK);
        if (v == 4) { /* KIP-511 fallback: v0, UNSUPPORTED_VERSION, ApiVersions only */
            assert_int_equal(response.error_code, KS_ERR_UNSUPPORTED_VERSION);
            assert_int_equal(response.key_count, 1);
            assert_int_equal(response.keys[0].api_key, API_API_VERSIONS);
            assert_int_equal(response.keys[0].version_max, 3);
            continue;
        }
        if (v == 5) {
            assert_int_equal(response.error_code, KS_ERR_INVALID_REQUEST);
            continue;
        }
        assert_int_equal(response.error_code, 0);
        assert_int_equal(response.key_count, 2); /* exactly the handler table */
        assert_int_equal(response.keys[0].api_key, API_METADATA);
        assert_int_equal(response.keys[0].version_max, 12);
        assert_int_equal(response.keys[1].api_key, API_API_VERSIONS);
    }
    assert_false(c->closed);
    wire_writer_free(&w);
    world_destroy(t.w);
}

/* ---- Closing on bad input, and serving others after ---- */

struct bad_case {
    const char *name;
    uint8_t bytes[24];
    uint32_t size;
};

static const struct bad_case bad_cases[] = {
    {"unknown key 1000", {0, 0, 0, 10, 0x03, 0xe8, 0, 0, 0, 0, 0, 7, 0xff, 0xff}, 14},
    {"known key not served (Produce v7)", {0, 0, 0, 10, 0, 0, 0, 7, 0, 0, 0, 7, 0xff, 0xff}, 14},
    {"Metadata v13", {0, 0, 0, 10, 0, 3, 0, 13, 0, 0, 0, 7, 0xff, 0xff}, 14},
    {"negative size", {0xff, 0xff, 0xff, 0xfe, 0, 3}, 6},
    {"above socket.request.max.bytes", {0, 0, 0x10, 0x01, 0, 3, 0, 1}, 8},
    {"header cut short", {0, 0, 0, 3, 0, 3, 0}, 7},
    {"client id longer than the frame", {0, 0, 0, 10, 0, 3, 0, 1, 0, 0, 0, 7, 0x10, 0}, 14},
    {"Metadata v1 body cut", {0, 0, 0, 12, 0, 3, 0, 1, 0, 0, 0, 7, 0xff, 0xff, 0, 0}, 16},
    {"ApiVersions v3 body garbage",
     {0, 0, 0, 12, 0, 18, 0, 3, 0, 0, 0, 7, 0xff, 0xff, 0, 0x80},
     16},
};

static void test_bad_input_closes_and_server_keeps_serving(void **state)
{
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(bad_cases); i++) {
        struct test_world t = test_world_new(&test_server_type, "socket.request.max.bytes=4096");
        struct test_client *bad = test_client_add(&t, "bad");
        test_client_send(bad, bad_cases[i].bytes, bad_cases[i].size, 0);
        test_run(&t, 100);
        print_message("%s: closed=%d rx=%u\n", bad_cases[i].name, bad->closed, bad->rx_size);
        assert_true(bad->closed);
        assert_int_equal(bad->rx_size, 0);
        struct test_client *good = test_client_add(&t, "good");
        struct wire_writer w;
        wire_writer_init(&w);
        frame_metadata(&w, 1, 7);
        test_client_send(good, w.bytes, w.size_bytes, 0);
        test_run(&t, 100);
        struct test_frame frames[TEST_FRAMES_MAX];
        struct api_metadata_response response;
        assert_int_equal(test_frames(good, frames), 1);
        check_metadata(&frames[0], 1, 7, &response);
        assert_int_equal(response.brokers[0].node_id, 7);
        api_metadata_response_free(&response);
        assert_false(good->closed);
        wire_writer_free(&w);
        world_destroy(t.w);
    }
}

/* ---- Pipelining, delays, no-response, byte-by-byte ---- */

static void pipelined(uint32_t chunk_bytes)
{
    static const int16_t versions[] = {0, 1, 4, 7, 9, 12, 1, 9, 3, 12, 5, 2};
    struct test_world t = test_world_new(&test_server_type, "");
    struct test_client *c = test_client_add(&t, "client");
    struct wire_writer w;
    wire_writer_init(&w);
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(versions); i++)
        frame_metadata(&w, versions[i], (int32_t)i); /* 1, 3, 11 delayed; 4 silent */
    test_client_send(c, w.bytes, w.size_bytes, chunk_bytes);
    test_run(&t, 1000);
    struct test_frame frames[TEST_FRAMES_MAX];
    uint32_t count = test_frames(c, frames), k = 0;
    assert_int_equal(count, KS_ARRAY_COUNT(versions) - 1);
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(versions); i++) {
        if (i % 10 == 4)
            continue;
        struct api_metadata_response response;
        check_metadata(&frames[k++], versions[i], (int32_t)i, &response);
        assert_int_equal(response.brokers[0].node_id, (int32_t)i);
        api_metadata_response_free(&response);
    }
    assert_false(c->closed);
    wire_writer_free(&w);
    world_destroy(t.w);
}

static void test_pipelined_in_order(void **state)
{
    pipelined(0);
}

static void test_pipelined_byte_by_byte(void **state)
{
    pipelined(1);
}

static void test_pipelined_odd_chunks(void **state)
{
    pipelined(7);
}

/* ---- Limits ---- */

static void test_read_ahead_bound_closes(void **state)
{
    struct test_world t = test_world_new(&test_server_type, "test.read.ahead.bytes=100");
    struct test_client *c = test_client_add(&t, "client");
    struct wire_writer w;
    wire_writer_init(&w);
    for (int32_t i = 0; i < 10; i++)
        frame_metadata(&w, 1, i == 0 ? 1 : 10 * i); /* the first is delayed: the rest wait */
    assert_true(w.size_bytes > 100 + 30);
    test_client_send(c, w.bytes, w.size_bytes, 0);
    test_run(&t, 200);
    assert_true(c->closed);
    assert_int_equal(c->rx_size, 0); /* the delayed answer is dropped with the connection */
    struct srv_stats stats;
    srv_stats_get(((struct test_server *)world_node_impl(t.w, t.server))->srv, &stats);
    assert_int_equal(stats.closed_limit, 1);
    wire_writer_free(&w);
    world_destroy(t.w);
}

static void test_max_connections(void **state)
{
    struct test_world t = test_world_new(&test_server_type, "max.connections=1");
    struct test_client *a = test_client_add(&t, "a");
    test_run(&t, 50);
    struct test_client *b = test_client_add(&t, "b");
    test_run(&t, 50);
    assert_false(a->closed);
    assert_true(b->closed);
    world_destroy(t.w);
}

static void test_shutdown_finishes_in_flight(void **state)
{
    struct test_world t = test_world_new(&test_server_type, "");
    struct test_client *busy = test_client_add(&t, "busy");
    struct test_client *idle = test_client_add(&t, "idle");
    struct wire_writer w;
    wire_writer_init(&w);
    frame_metadata(&w, 1, 1);  /* delayed */
    frame_metadata(&w, 1, 20); /* read ahead: dropped at shutdown */
    test_client_send(busy, w.bytes, w.size_bytes, 0);
    test_run(&t, 10);
    struct srv *srv = ((struct test_server *)world_node_impl(t.w, t.server))->srv;
    srv_shutdown(srv);
    assert_false(srv_drained(srv));
    test_run(&t, 200);
    assert_true(srv_drained(srv));
    assert_true(idle->closed);
    assert_true(busy->closed);
    struct test_frame frames[TEST_FRAMES_MAX];
    assert_int_equal(test_frames(busy, frames), 1);
    assert_int_equal(frame_corr(&frames[0]), 1);
    wire_writer_free(&w);
    world_destroy(t.w);
}

/* ---- knode: Metadata, meta.properties, clean shutdown ---- */

static void test_knode_metadata_and_restart(void **state)
{
    static const int16_t versions[] = {0, 1, 4, 9, 10, 12};
    struct test_world t =
        test_world_new(&test_knode_type, "node.id=3\nlisteners=PLAINTEXT://server:9092\n");
    struct test_client *c = test_client_add(&t, "client");
    struct wire_writer w;
    wire_writer_init(&w);
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(versions); i++)
        frame_metadata(&w, versions[i], (int32_t)i);
    test_client_send(c, w.bytes, w.size_bytes, 0);
    test_run(&t, 100);
    struct test_frame frames[TEST_FRAMES_MAX];
    assert_int_equal(test_frames(c, frames), KS_ARRAY_COUNT(versions));
    char cluster_id[KNODE_UUID_CHARS + 1];
    snprintf(cluster_id, sizeof(cluster_id), "%s",
             knode_cluster_id(((struct test_knode *)world_node_impl(t.w, t.server))->node));
    assert_int_equal(strlen(cluster_id), KNODE_UUID_CHARS);
    assert_true(cluster_id[0] != '-');
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(versions); i++) {
        struct api_metadata_response r;
        check_metadata(&frames[i], versions[i], (int32_t)i, &r);
        assert_int_equal(r.broker_count, 1);
        assert_int_equal(r.brokers[0].node_id, 3);
        assert_true(wire_string_equal_cstr(r.brokers[0].host, "server"));
        assert_int_equal(r.brokers[0].port, 9092);
        assert_int_equal(r.topic_count, 0);
        if (versions[i] >= 1)
            assert_int_equal(r.controller_id, 3);
        if (versions[i] >= 2)
            assert_true(wire_string_equal_cstr(r.cluster_id, cluster_id));
        api_metadata_response_free(&r);
    }
    assert_int_equal(world_node_stop(t.w, t.server), KS_OK);
    assert_int_equal(world_node_start(t.w, t.server), KS_OK);
    const char *again =
        knode_cluster_id(((struct test_knode *)world_node_impl(t.w, t.server))->node);
    assert_string_equal(again, cluster_id); /* meta.properties kept it */
    wire_writer_free(&w);
    world_destroy(t.w);
}

static void test_knode_unknown_topics(void **state)
{
    struct test_world t = test_world_new(&test_knode_type, "");
    struct test_client *c = test_client_add(&t, "client");
    struct api_metadata_request_topic topics[] = {{{{0}}, {"orders", 6}}};
    struct api_metadata_request request = {1, topics, true, false, false};
    struct wire_writer body, w;
    wire_writer_init(&body);
    wire_writer_init(&w);
    api_metadata_request_encode(&body, 4, &request);
    frame_request(&w, API_METADATA, 4, 9, &body);
    test_client_send(c, w.bytes, w.size_bytes, 0);
    test_run(&t, 100);
    struct test_frame frames[TEST_FRAMES_MAX];
    struct api_metadata_response r;
    assert_int_equal(test_frames(c, frames), 1);
    check_metadata(&frames[0], 4, 9, &r);
    assert_int_equal(r.topic_count, 1);
    assert_int_equal(r.topics[0].error_code, KS_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    assert_true(wire_string_equal_cstr(r.topics[0].name, "orders"));
    api_metadata_response_free(&r);
    wire_writer_free(&body);
    wire_writer_free(&w);
    world_destroy(t.w);
}

/* ---- knode configuration ---- */

static const struct {
    const char *text;
    bool ok;
} config_cases[] = {
    {"node.id=2\nprocess.roles=broker\nlisteners=PLAINTEXT://127.0.0.1:9092", true},
    {"listeners=PLAINTEXT://[::1]:9092,CONTROLLER://127.0.0.1:9093\n"
     "controller.quorum.voters=1@127.0.0.1:9093",
     true},
    {"node.id=-1", false},
    {"node.id=abc", false},
    {"process.roles=broker,zookeeper", false},
    {"process.roles=", false},
    {"listeners=127.0.0.1:9092", false},
    {"listeners=PLAINTEXT://127.0.0.1:70000", false},
    {"listeners=PLAINTEXT://::1:9092", false},
    {"listeners=A://h:1,A://h:2", false},
    {"listeners=CONTROLLER://127.0.0.1:9093\nprocess.roles=broker", false},
    {"controller.quorum.voters=2@h:9093", false}, /* node 1 is a controller, not a voter */
    {"controller.quorum.voters=x@h:9093", false},
    {"socket.request.max.bytes=0", false},
    {"socket.request.max.bytes=4096", true},
    {"log.dirs=/var/lib/kafka,/other", true},
};

static void test_knode_config(void **state)
{
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(config_cases); i++) {
        struct props props;
        struct knode_config config;
        char error[256] = "";
        uint32_t line = 0;
        props_init(&props);
        assert_int_equal(props_parse(&props, config_cases[i].text, &line), KS_OK);
        knode_config_default(&config);
        enum ks_err err = knode_config_from_props(&config, &props, error, sizeof(error));
        print_message("%s -> %s %s\n", config_cases[i].text, ks_err_name(err), error);
        assert_int_equal(err == KS_OK, config_cases[i].ok);
        props_free(&props);
    }
    struct knode_listener l;
    assert_int_equal(knode_listener_parse("PLAINTEXT://[::1]:9092", &l), KS_OK);
    assert_string_equal(l.host, "::1");
    assert_int_equal(knode_listener_parse("PLAINTEXT://:9092", &l), KS_OK);
    assert_string_equal(l.host, "");
}

/* The list of held requests: linked in any order, unlinked from the middle, the ends
 * and last, each giving back its own request. */
static void test_held_calls(void **state)
{
    (void)state;
    struct srv_request r[3];
    struct srv_call c[3];
    struct srv_calls list = {0};
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 3; i++)
        srv_call_link(&list, &c[i], &r[i]);
    assert_int_equal(list.count, 3);
    assert_ptr_equal(list.first, &c[2]);
    assert_ptr_equal(srv_call_unlink(&c[1]), &r[1]);
    assert_ptr_equal(list.first, &c[2]);
    assert_ptr_equal(c[2].next, &c[0]);
    assert_ptr_equal(c[0].prev, &c[2]);
    assert_ptr_equal(srv_call_unlink(&c[2]), &r[2]);
    assert_ptr_equal(list.first, &c[0]);
    assert_null(c[0].prev);
    assert_ptr_equal(srv_call_unlink(&c[0]), &r[0]);
    assert_null(list.first);
    assert_int_equal(list.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_versions_every_version),
        cmocka_unit_test(test_held_calls),
        cmocka_unit_test(test_bad_input_closes_and_server_keeps_serving),
        cmocka_unit_test(test_pipelined_in_order),
        cmocka_unit_test(test_pipelined_byte_by_byte),
        cmocka_unit_test(test_pipelined_odd_chunks),
        cmocka_unit_test(test_read_ahead_bound_closes),
        cmocka_unit_test(test_max_connections),
        cmocka_unit_test(test_shutdown_finishes_in_flight),
        cmocka_unit_test(test_knode_metadata_and_restart),
        cmocka_unit_test(test_knode_unknown_topics),
        cmocka_unit_test(test_knode_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
