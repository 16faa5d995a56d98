/*
 * api_metadata_test.c: Metadata requests and responses round-tripped at every version
 * 0-12 (fields a version lacks come back as Kafka's defaults), golden bytes both ways
 * for requests v0, v1, v9, v12 and responses v1 and v9, the v0 "empty means all" rule,
 * what a version cannot carry, and bad input (every truncation, huge counts).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "system/proto/api_metadata.h"

/* ---- fixtures ---- */

static int32_t nodes_1[] = {1};
static int32_t nodes_123[] = {1, 2, 3};
static int32_t nodes_12[] = {1, 2};
static int32_t nodes_3[] = {3};

static struct api_metadata_partition orders_partitions[] = {
    {0, 0, 1, 7, 3, nodes_123, 2, nodes_12, 1, nodes_3},
    {0, 1, 2, 4, 3, nodes_123, 3, nodes_123, 0, NULL},
};
static struct api_metadata_partition offsets_partitions[] = {
    {KS_ERR_LEADER_NOT_AVAILABLE, 0, -1, -1, 1, nodes_1, 0, NULL, 0, NULL},
};

/* A cluster of three brokers with two topics; built fresh for each test. */
static void fixture_response(struct api_metadata_response *r, struct api_metadata_topic topics[2],
                             struct api_metadata_broker brokers[3])
{
    memset(r, 0, sizeof(*r));
    for (int32_t i = 0; i < 3; i++) {
        brokers[i].node_id = i + 1;
        brokers[i].host = wire_string_from(i == 0 ? "broker-1" : i == 1 ? "broker-2" : "b3");
        brokers[i].port = 9092 + i;
        brokers[i].rack = i == 2 ? wire_string_null() : wire_string_from("rack-a");
    }
    memset(topics, 0, 2 * sizeof(*topics));
    topics[0].name = wire_string_from("orders");
    for (uint32_t i = 0; i < WIRE_UUID_SIZE; i++)
        topics[0].topic_id.bytes[i] = (uint8_t)(0xa0 + i);
    topics[0].partition_count = 2;
    topics[0].partitions = orders_partitions;
    topics[0].topic_authorized_operations = 0x0df8;
    topics[1].error_code = 0;
    topics[1].name = wire_string_from("__consumer_offsets");
    topics[1].topic_id.bytes[15] = 1;
    topics[1].is_internal = true;
    topics[1].partition_count = 1;
    topics[1].partitions = offsets_partitions;
    topics[1].topic_authorized_operations = API_METADATA_AUTHORIZED_OPERATIONS_UNSET;
    r->throttle_time_ms = 12;
    r->broker_count = 3;
    r->brokers = brokers;
    r->cluster_id = wire_string_from("ks-cluster-0001");
    r->controller_id = 2;
    r->topic_count = 2;
    r->topics = topics;
    r->cluster_authorized_operations = 0x0ff0;
}

static void expect_nodes(uint32_t count, const int32_t *nodes, uint32_t count_expected,
                         const int32_t *nodes_expected)
{
    assert_int_equal(count, count_expected);
    for (uint32_t i = 0; i < count; i++)
        assert_int_equal(nodes[i], nodes_expected[i]);
}

static void expect_partition(int16_t v, const struct api_metadata_partition *got,
                             const struct api_metadata_partition *want)
{
    assert_int_equal(got->error_code, want->error_code);
    assert_int_equal(got->partition_index, want->partition_index);
    assert_int_equal(got->leader_id, want->leader_id);
    assert_int_equal(got->leader_epoch, v >= 7 ? want->leader_epoch : -1);
    expect_nodes(got->replica_count, got->replica_nodes, want->replica_count, want->replica_nodes);
    expect_nodes(got->isr_count, got->isr_nodes, want->isr_count, want->isr_nodes);
    if (v >= 5)
        expect_nodes(got->offline_replica_count, got->offline_replicas, want->offline_replica_count,
                     want->offline_replicas);
    else
        assert_int_equal(got->offline_replica_count, 0);
}

static void expect_topic(int16_t v, const struct api_metadata_topic *got,
                         const struct api_metadata_topic *want)
{
    static const struct wire_uuid zero;
    assert_int_equal(got->error_code, want->error_code);
    assert_true(wire_string_equal(got->name, want->name));
    assert_memory_equal(&got->topic_id, v >= 10 ? &want->topic_id : &zero, WIRE_UUID_SIZE);
    assert_int_equal(got->is_internal, v >= 1 && want->is_internal);
    assert_int_equal(got->topic_authorized_operations,
                     v >= 8 ? want->topic_authorized_operations
                            : API_METADATA_AUTHORIZED_OPERATIONS_UNSET);
    assert_int_equal(got->partition_count, want->partition_count);
    for (uint32_t i = 0; i < got->partition_count; i++)
        expect_partition(v, &got->partitions[i], &want->partitions[i]);
}

/* got must equal want as seen through version v. */
static void expect_response(int16_t v, const struct api_metadata_response *got,
                            const struct api_metadata_response *want)
{
    assert_int_equal(got->throttle_time_ms, v >= 3 ? want->throttle_time_ms : 0);
    assert_int_equal(got->broker_count, want->broker_count);
    for (uint32_t i = 0; i < got->broker_count; i++) {
        assert_int_equal(got->brokers[i].node_id, want->brokers[i].node_id);
        assert_true(wire_string_equal(got->brokers[i].host, want->brokers[i].host));
        assert_int_equal(got->brokers[i].port, want->brokers[i].port);
        assert_true(wire_string_equal(got->brokers[i].rack,
                                      v >= 1 ? want->brokers[i].rack : wire_string_null()));
    }
    assert_true(wire_string_equal(got->cluster_id, v >= 2 ? want->cluster_id : wire_string_null()));
    assert_int_equal(got->controller_id, v >= 1 ? want->controller_id : -1);
    assert_int_equal(got->cluster_authorized_operations,
                     v >= 8 && v <= 10 ? want->cluster_authorized_operations
                                       : API_METADATA_AUTHORIZED_OPERATIONS_UNSET);
    assert_int_equal(got->topic_count, want->topic_count);
    for (uint32_t i = 0; i < got->topic_count; i++)
        expect_topic(v, &got->topics[i], &want->topics[i]);
}

/* ---- round trips ---- */

static void test_response_round_trip_every_version(void **state)
{
    struct api_metadata_response want, got;
    struct api_metadata_topic topics[2];
    struct api_metadata_broker brokers[3];
    fixture_response(&want, topics, brokers);
    for (int16_t v = API_METADATA_VERSION_MIN; v <= API_METADATA_VERSION_MAX; v++) {
        struct wire_writer w, again;
        wire_writer_init(&w);
        wire_writer_init(&again);
        api_metadata_response_encode(&w, v, &want);
        assert_int_equal(w.err, KS_OK);
        assert_int_equal(api_metadata_response_decode(v, w.bytes, w.size_bytes, &got), KS_OK);
        expect_response(v, &got, &want);
        api_metadata_response_encode(&again, v, &got);
        assert_int_equal(again.size_bytes, w.size_bytes);
        assert_memory_equal(again.bytes, w.bytes, w.size_bytes);
        api_metadata_response_free(&got);
        /* Every truncation fails cleanly and frees what it allocated. */
        for (uint32_t n = 0; n < w.size_bytes; n += 1 + n / 16)
            assert_int_not_equal(api_metadata_response_decode(v, w.bytes, n, &got), KS_OK);
        wire_writer_free(&again);
        wire_writer_free(&w);
    }
}

static void test_request_round_trip_every_version(void **state)
{
    struct api_metadata_request_topic topics[2] = {
        {{{0}}, wire_string_from("orders")},
        {{{0}}, wire_string_from("payments")},
    };
    struct api_metadata_request want = {2, topics, true, false, false}, got;
    for (int16_t v = API_METADATA_VERSION_MIN; v <= API_METADATA_VERSION_MAX; v++) {
        struct wire_writer w;
        wire_writer_init(&w);
        want.include_topic_authorized_operations = v >= 8;
        want.include_cluster_authorized_operations = v >= 8 && v <= 10;
        want.allow_auto_topic_creation = v < 4 || v % 2 == 0;
        api_metadata_request_encode(&w, v, &want);
        assert_int_equal(w.err, KS_OK);
        assert_int_equal(api_metadata_request_decode(v, w.bytes, w.size_bytes, &got), KS_OK);
        assert_int_equal(got.topic_count, 2);
        assert_true(wire_string_equal_cstr(got.topics[1].name, "payments"));
        assert_int_equal(got.allow_auto_topic_creation, want.allow_auto_topic_creation);
        assert_int_equal(got.include_topic_authorized_operations,
                         want.include_topic_authorized_operations);
        assert_int_equal(got.include_cluster_authorized_operations,
                         want.include_cluster_authorized_operations);
        api_metadata_request_free(&got);
        for (uint32_t n = 0; n < w.size_bytes; n++)
            assert_int_not_equal(api_metadata_request_decode(v, w.bytes, n, &got), KS_OK);
        wire_writer_free(&w);
    }
}

/* ---- golden bytes ---- */

static const struct {
    const char *name;
    int16_t version;
    int32_t topic_count; /* of the single topic "t", or -1 / 0 */
    uint8_t bytes[32];
    uint32_t size;
} request_goldens[] = {
    {"v0 all topics (empty array)", 0, -1, {0, 0, 0, 0}, 4},
    {"v1 all topics (null)", 1, -1, {0xff, 0xff, 0xff, 0xff}, 4},
    {"v1 no topics", 1, 0, {0, 0, 0, 0}, 4},
    {"v1 one topic", 1, 1, {0, 0, 0, 1, 0, 1, 't'}, 7},
    {"v4 one topic", 4, 1, {0, 0, 0, 1, 0, 1, 't', 1}, 8},
    {"v9 one topic", 9, 1, {0x02, 0x02, 't', 0x00, 0x01, 0x00, 0x00, 0x00}, 8},
    {"v9 all topics", 9, -1, {0x00, 0x01, 0x00, 0x00, 0x00}, 5},
    {"v12 one topic",
     12,
     1,
     {0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 't', 0x00, 0x01, 0x00, 0x00},
     23},
};

static void test_request_golden(void **state)
{
    struct api_metadata_request_topic topic = {{{0}}, wire_string_from("t")};
    for (size_t i = 0; i < KS_ARRAY_COUNT(request_goldens); i++) {
        struct api_metadata_request request = {request_goldens[i].topic_count, &topic, true, false,
                                               false};
        struct api_metadata_request got;
        struct wire_writer w;
        int16_t v = request_goldens[i].version;
        wire_writer_init(&w);
        api_metadata_request_encode(&w, v, &request);
        assert_int_equal(w.err, KS_OK);
        if (w.size_bytes != request_goldens[i].size ||
            memcmp(w.bytes, request_goldens[i].bytes, w.size_bytes) != 0)
            fail_msg("case '%s': encoding differs", request_goldens[i].name);
        assert_int_equal(
            api_metadata_request_decode(v, request_goldens[i].bytes, request_goldens[i].size, &got),
            KS_OK);
        assert_int_equal(got.topic_count, request_goldens[i].topic_count);
        if (got.topic_count == 1)
            assert_true(wire_string_equal_cstr(got.topics[0].name, "t"));
        api_metadata_request_free(&got);
        wire_writer_free(&w);
    }
}

/* One broker (1, "h", 9092, no rack), controller 1, topic "t" with partition 0 on [1]. */
static const uint8_t golden_response_v1[] = {
    0, 0, 0,    1,                              /* brokers */
    0, 0, 0,    1,    0,    1,    'h',          /* node 1, host */
    0, 0, 0x23, 0x84, 0xff, 0xff,               /* port 9092, rack null */
    0, 0, 0,    1,                              /* controller 1 */
    0, 0, 0,    1,                              /* topics */
    0, 0, 0,    1,    't',  0,                  /* error, name, not internal */
    0, 0, 0,    1,                              /* partitions */
    0, 0, 0,    0,    0,    0,    0,   0, 0, 1, /* error, index 0, leader 1 */
    0, 0, 0,    1,    0,    0,    0,   1,       /* replicas [1] */
    0, 0, 0,    1,    0,    0,    0,   1,       /* isr [1] */
};

/* The same at v9, with leader epoch 5. */
static const uint8_t golden_response_v9[] = {
    0,    0,    0, 0,                                       /* throttle */
    0x02, 0,    0, 0,    1,    0x02, 'h', 0, 0, 0x23, 0x84, /* broker */
    0x00, 0x00,                                             /* rack null, tags */
    0x00,                                                   /* cluster id null */
    0,    0,    0, 1,                                       /* controller */
    0x02, 0,    0, 0x02, 't',  0x00,                        /* topic: error, name, internal */
    0x02, 0,    0, 0,    0,    0,    0,   0, 0, 0,    1,    /* partition: error, index, leader */
    0,    0,    0, 5,                                       /* leader epoch */
    0x02, 0,    0, 0,    1,    0x02, 0,   0, 0, 1,    0x01, /* replicas, isr, offline */
    0x00,                                                   /* partition tags */
    0x80, 0,    0, 0,    0x00,                              /* topic operations, tags */
    0x80, 0,    0, 0,    0x00,                              /* cluster operations, tags */
};

static void small_response(struct api_metadata_response *r, struct api_metadata_broker *broker,
                           struct api_metadata_topic *topic, struct api_metadata_partition *p)
{
    memset(r, 0, sizeof(*r));
    memset(topic, 0, sizeof(*topic));
    memset(p, 0, sizeof(*p));
    *broker = (struct api_metadata_broker){1, wire_string_from("h"), 9092, wire_string_null()};
    *p = (struct api_metadata_partition){0, 0, 1, 5, 1, nodes_1, 1, nodes_1, 0, NULL};
    topic->name = wire_string_from("t");
    topic->partition_count = 1;
    topic->partitions = p;
    topic->topic_authorized_operations = API_METADATA_AUTHORIZED_OPERATIONS_UNSET;
    r->broker_count = 1;
    r->brokers = broker;
    r->cluster_id = wire_string_null();
    r->controller_id = 1;
    r->topic_count = 1;
    r->topics = topic;
    r->cluster_authorized_operations = API_METADATA_AUTHORIZED_OPERATIONS_UNSET;
}

static void test_response_golden(void **state)
{
    struct api_metadata_response want, got;
    struct api_metadata_broker broker;
    struct api_metadata_topic topic;
    struct api_metadata_partition partition;
    small_response(&want, &broker, &topic, &partition);
    static const struct {
        int16_t version;
        const uint8_t *bytes;
        uint32_t size;
    } cases[] = {
        {1, golden_response_v1, sizeof(golden_response_v1)},
        {9, golden_response_v9, sizeof(golden_response_v9)},
    };
    for (size_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        struct wire_writer w;
        wire_writer_init(&w);
        api_metadata_response_encode(&w, cases[i].version, &want);
        assert_int_equal(w.err, KS_OK);
        assert_int_equal(w.size_bytes, cases[i].size);
        assert_memory_equal(w.bytes, cases[i].bytes, cases[i].size);
        assert_int_equal(
            api_metadata_response_decode(cases[i].version, cases[i].bytes, cases[i].size, &got),
            KS_OK);
        expect_response(cases[i].version, &got, &want);
        api_metadata_response_free(&got);
        wire_writer_free(&w);
    }
}

/* ---- what a version cannot carry; bad input ---- */

static void test_request_version_limits(void **state)
{
    struct api_metadata_request_topic topic = {{{0}}, wire_string_from("t")};
    struct api_metadata_request none = {0, NULL, true, false, false};
    struct api_metadata_request no_auto = {-1, NULL, false, false, false};
    struct api_metadata_request ops = {-1, NULL, true, true, false};
    struct api_metadata_request by_id = {1, &topic, true, false, false};
    struct wire_writer w;
    wire_writer_init(&w);
    api_metadata_request_encode(&w, 0, &none);
    assert_int_equal(w.err, KS_ERR_UNSUPPORTED_VERSION);
    wire_writer_reset(&w);
    api_metadata_request_encode(&w, 3, &no_auto);
    assert_int_equal(w.err, KS_ERR_UNSUPPORTED_VERSION);
    wire_writer_reset(&w);
    api_metadata_request_encode(&w, 11, &ops);
    assert_int_equal(w.err, KS_ERR_UNSUPPORTED_VERSION);
    wire_writer_reset(&w);
    topic.topic_id.bytes[3] = 9;
    topic.name = wire_string_null();
    api_metadata_request_encode(&w, 9, &by_id);
    assert_int_equal(w.err, KS_ERR_UNSUPPORTED_VERSION);
    wire_writer_reset(&w);
    api_metadata_request_encode(&w, 10, &by_id); /* by id, null name: fine from v10 */
    assert_int_equal(w.err, KS_OK);
    wire_writer_free(&w);
}

static void test_bad_input(void **state)
{
    struct api_metadata_request request;
    struct api_metadata_response response;
    /* v0 topics are not nullable. */
    static const uint8_t null_topics[] = {0xff, 0xff, 0xff, 0xff};
    assert_int_equal(api_metadata_request_decode(0, null_topics, 4, &request), KS_ERR_INVALID);
    /* A count far beyond the input fails before allocating. */
    static const uint8_t huge[] = {0x00, 0xff, 0xff, 0xff, 0x00, 0x00};
    assert_int_equal(api_metadata_request_decode(1, huge, sizeof(huge), &request),
                     KS_ERR_TRUNCATED);
    assert_int_equal(api_metadata_response_decode(0, huge, sizeof(huge), &response),
                     KS_ERR_TRUNCATED);
    /* Replicas counted beyond the input, deep inside a response. */
    uint8_t deep[sizeof(golden_response_v1)];
    memcpy(deep, golden_response_v1, sizeof(deep));
    deep[sizeof(deep) - 13] = 0x7f; /* the replica count: 127 */
    assert_int_not_equal(api_metadata_response_decode(1, deep, sizeof(deep), &response), KS_OK);
    /* A null topic name only from v12. */
    static const uint8_t null_name_v11[] = {
        0, 0, 0, 0, 0x01, 0x00, 0, 0, 0, 1, 0x02, 0, 0, 0x00,
    };
    assert_int_not_equal(
        api_metadata_response_decode(11, null_name_v11, sizeof(null_name_v11), &response), KS_OK);
    /* Trailing bytes, and versions we do not speak. */
    static const uint8_t trailing[] = {0, 0, 0, 0, 0};
    assert_int_equal(api_metadata_request_decode(0, trailing, sizeof(trailing), &request),
                     KS_ERR_INVALID);
    assert_int_equal(api_metadata_request_decode(13, trailing, 4, &request),
                     KS_ERR_UNSUPPORTED_VERSION);
    assert_int_equal(api_metadata_response_decode(-1, trailing, 4, &response),
                     KS_ERR_UNSUPPORTED_VERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_response_round_trip_every_version),
        cmocka_unit_test(test_request_round_trip_every_version),
        cmocka_unit_test(test_request_golden),
        cmocka_unit_test(test_response_golden),
        cmocka_unit_test(test_request_version_limits),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
