/*
 * api_fetch_multi_test.c: Fetch (key 1) v4-v17 with many topics and partitions, as
 * consumers and followers send it: golden bytes both ways for v4 (classic, aborted
 * transactions) and v15 (flexible, topic ids, the ReplicaState tag); a round trip at
 * every version with forgotten topics, NodeEndpoints and the tagged partition fields;
 * every truncated prefix, bad counts and named limits rejected. The single-partition
 * KRaft view is tested in api_fetch_test.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "system/proto/api_fetch.h"

#define UUID_ONE 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
#define I64(b) 0, 0, 0, 0, 0, 0, 0, b

/* v4: a consumer, read_committed, fetches "t"/0 from offset 10. */
static const uint8_t golden_request_v4[] = {
    0xff,    0xff, 0xff, 0xff,            /* ReplicaId -1 */
    0,       0,    0x01, 0xf4,            /* MaxWaitMs 500 */
    0,       0,    0,    1,               /* MinBytes */
    0x7f,    0xff, 0xff, 0xff,            /* MaxBytes */
    1,                                    /* IsolationLevel read_committed */
    0,       0,    0,    1,    0, 1, 't', /* Topics: 1, Topic */
    0,       0,    0,    1,               /* Partitions: 1 */
    0,       0,    0,    0,               /* Partition */
    I64(10),                              /* FetchOffset */
    0,       0x10, 0,    0,               /* PartitionMaxBytes */
};

/* v4 response: HW 5, LSO 5, one aborted transaction (producer 7 from 3), records "abc". */
static const uint8_t golden_response_v4[] = {
    0,      0,      0, 0,                      /* ThrottleTimeMs */
    0,      0,      0, 1, 0,      1,      't', /* Responses: 1, Topic */
    0,      0,      0, 1,                      /* Partitions: 1 */
    0,      0,      0, 0, 0,      0,           /* PartitionIndex, ErrorCode */
    I64(5), I64(5),                            /* HighWatermark, LastStableOffset */
    0,      0,      0, 1, I64(7), I64(3),      /* AbortedTransactions: 1 */
    0,      0,      0, 3, 'a',    'b',    'c', /* Records */
};

/* v15: follower 2 (broker epoch 9) fetches topic id 1, partition 0, in ReplicaState. */
static const uint8_t golden_request_v15[] = {
    0,       0,        0x01, 0xf4,                        /* MaxWaitMs 500 */
    0,       0,        0,    1,                           /* MinBytes */
    0x7f,    0xff,     0xff, 0xff,                        /* MaxBytes */
    0,                                                    /* IsolationLevel */
    0,       0,        0,    0,                           /* SessionId */
    0xff,    0xff,     0xff, 0xff,                        /* SessionEpoch -1 */
    0x02,    UUID_ONE, 0x02,                              /* Topics: 1, TopicId, Partitions: 1 */
    0,       0,        0,    0,                           /* Partition */
    0,       0,        0,    7,                           /* CurrentLeaderEpoch */
    I64(10),                                              /* FetchOffset */
    0,       0,        0,    6,                           /* LastFetchedEpoch */
    I64(0),                                               /* LogStartOffset */
    0,       0x10,     0,    0,                           /* PartitionMaxBytes */
    0x00,    0x00,                                        /* tags: partition, topic */
    0x01,                                                 /* ForgottenTopicsData: empty */
    0x01,                                                 /* RackId "" */
    0x01,    0x01,     0x0d, 0,    0, 0, 2, I64(9), 0x00, /* tags: ReplicaState {2, 9} */
};

static void expect_bytes(const struct wire_writer *w, const uint8_t *golden, size_t size)
{
    assert_int_equal(w->err, KS_OK);
    assert_int_equal(w->size_bytes, size);
    assert_memory_equal(w->bytes, golden, size);
}

/* A rich request: two topics (the second with two partitions), one forgotten topic. */
struct fixture {
    struct api_fetch_partition partitions[3];
    struct api_fetch_topic topics[2];
    int32_t forgotten_partitions[2];
    struct api_fetch_forgotten_topic forgotten[1];
    struct api_fetch_aborted_transaction aborted[2];
    struct api_fetch_partition_data data[3];
    struct api_fetch_topic_data topic_data[2];
    struct api_fetch_node_endpoint endpoints[2];
};

static void fixture_request(struct fixture *f, int16_t version, struct api_fetch_multi_request *r)
{
    api_fetch_multi_request_init(r);
    for (int i = 0; i < 3; i++) {
        api_fetch_partition_init(&f->partitions[i]);
        f->partitions[i].partition = i;
        f->partitions[i].fetch_offset = 100 + i;
        f->partitions[i].partition_max_bytes = 1048576;
        f->partitions[i].current_leader_epoch = version >= 9 ? 3 : -1;
        f->partitions[i].last_fetched_epoch = version >= 12 ? 2 : -1;
        f->partitions[i].log_start_offset = version >= 5 ? 0 : -1;
    }
    if (version >= 17)
        f->partitions[1].replica_directory_id.bytes[0] = 0xab;
    f->topics[0] = (struct api_fetch_topic){wire_string_from("a"), {{0}}, 1, &f->partitions[0]};
    f->topics[1] = (struct api_fetch_topic){wire_string_from("b"), {{0}}, 2, &f->partitions[1]};
    f->topics[0].topic_id.bytes[15] = 1;
    f->topics[1].topic_id.bytes[15] = 2;
    f->forgotten_partitions[0] = 4;
    f->forgotten_partitions[1] = 5;
    f->forgotten[0] = (struct api_fetch_forgotten_topic){
        wire_string_from("c"), {{0}}, 2, f->forgotten_partitions};
    f->forgotten[0].topic_id.bytes[15] = 3;
    r->topic_count = 2;
    r->topics = f->topics;
    r->max_wait_ms = 500;
    r->min_bytes = 1;
    r->replica_id = 3;
    r->replica_epoch = version >= 15 ? 12 : -1;
    r->cluster_id = version >= 12 ? wire_string_from("cluster") : wire_string_null();
    r->isolation_level = 1;
    if (version >= 7) {
        r->session_id = 77;
        r->session_epoch = 2;
        r->forgotten_topic_count = 1;
        r->forgotten_topics = f->forgotten;
    }
    if (version >= 11)
        r->rack_id = wire_string_from("rack-a");
}

static void fixture_response(struct fixture *f, struct api_fetch_multi_response *r)
{
    api_fetch_multi_response_init(r);
    for (int i = 0; i < 3; i++) {
        api_fetch_partition_data_init(&f->data[i]);
        f->data[i].partition_index = i;
        f->data[i].high_watermark = 50 + i;
        f->data[i].last_stable_offset = 40 + i;
        f->data[i].log_start_offset = 1;
        f->data[i].preferred_read_replica = 2;
        f->data[i].records = (struct wire_bytes){(const uint8_t *)"xyz", 3};
    }
    f->aborted[0] = (struct api_fetch_aborted_transaction){7, 30};
    f->aborted[1] = (struct api_fetch_aborted_transaction){8, 35};
    f->data[0].aborted_transaction_count = 2;
    f->data[0].aborted_transactions = f->aborted;
    f->data[1].aborted_transaction_count = 0;
    f->data[1].error_code = KS_ERR_FENCED_LEADER_EPOCH;
    f->data[1].diverging_epoch = 4;
    f->data[1].diverging_end_offset = 44;
    f->data[1].current_leader_id = 2;
    f->data[1].current_leader_epoch = 6;
    f->data[1].records.size_bytes = -1;
    f->data[2].snapshot_end_offset = 900;
    f->data[2].snapshot_epoch = 5;
    f->topic_data[0] = (struct api_fetch_topic_data){wire_string_from("a"), {{0}}, 1, &f->data[0]};
    f->topic_data[1] = (struct api_fetch_topic_data){wire_string_from("b"), {{0}}, 2, &f->data[1]};
    f->topic_data[0].topic_id.bytes[15] = 1;
    f->topic_data[1].topic_id.bytes[15] = 2;
    f->endpoints[0] = (struct api_fetch_node_endpoint){2, wire_string_from("broker-2"), 9093,
                                                       wire_string_from("rack-b")};
    f->endpoints[1] =
        (struct api_fetch_node_endpoint){3, wire_string_from("broker-3"), 9094, wire_string_null()};
    r->throttle_time_ms = 1;
    r->error_code = 0;
    r->session_id = 77;
    r->topic_count = 2;
    r->topics = f->topic_data;
    r->node_endpoint_count = 2;
    r->node_endpoints = f->endpoints;
}

static void test_request_golden_both_ways(void **state)
{
    struct api_fetch_multi_request req, out;
    struct api_fetch_partition p;
    struct api_fetch_topic t = {wire_string_from("t"), {{0}}, 1, &p};
    struct wire_writer w;
    api_fetch_multi_request_init(&req);
    api_fetch_partition_init(&p);
    req.max_wait_ms = 500;
    req.min_bytes = 1;
    req.isolation_level = 1;
    req.topic_count = 1;
    req.topics = &t;
    p.fetch_offset = 10;
    p.partition_max_bytes = 1048576;
    wire_writer_init(&w);
    api_fetch_multi_request_encode(&w, 4, &req);
    expect_bytes(&w, golden_request_v4, sizeof(golden_request_v4));
    wire_writer_reset(&w);
    req.isolation_level = 0;
    req.replica_id = 2;
    req.replica_epoch = 9;
    t.topic_id.bytes[15] = 1;
    p.current_leader_epoch = 7;
    p.last_fetched_epoch = 6;
    p.log_start_offset = 0;
    api_fetch_multi_request_encode(&w, 15, &req);
    expect_bytes(&w, golden_request_v15, sizeof(golden_request_v15));
    wire_writer_free(&w);

    assert_int_equal(
        api_fetch_multi_request_decode(4, golden_request_v4, sizeof(golden_request_v4), &out),
        KS_OK);
    assert_int_equal(out.replica_id, -1);
    assert_int_equal(out.isolation_level, 1);
    assert_int_equal(out.session_epoch, -1);
    assert_true(wire_string_equal_cstr(out.topics[0].topic, "t"));
    assert_int_equal(out.topics[0].partitions[0].fetch_offset, 10);
    assert_int_equal(out.topics[0].partitions[0].log_start_offset, -1);
    assert_int_equal(out.topics[0].partitions[0].current_leader_epoch, -1);
    api_fetch_multi_request_free(&out);
    assert_int_equal(
        api_fetch_multi_request_decode(15, golden_request_v15, sizeof(golden_request_v15), &out),
        KS_OK);
    assert_int_equal(out.replica_id, 2);
    assert_int_equal(out.replica_epoch, 9);
    assert_int_equal(out.topics[0].topic_id.bytes[15], 1);
    assert_int_equal(out.topics[0].partitions[0].last_fetched_epoch, 6);
    api_fetch_multi_request_free(&out);
}

static void test_response_golden_both_ways(void **state)
{
    struct api_fetch_multi_response resp, out;
    struct api_fetch_partition_data p;
    struct api_fetch_topic_data t = {wire_string_from("t"), {{0}}, 1, &p};
    struct api_fetch_aborted_transaction aborted = {7, 3};
    struct wire_writer w;
    api_fetch_multi_response_init(&resp);
    api_fetch_partition_data_init(&p);
    p.high_watermark = 5;
    p.last_stable_offset = 5;
    p.aborted_transaction_count = 1;
    p.aborted_transactions = &aborted;
    p.records = (struct wire_bytes){(const uint8_t *)"abc", 3};
    resp.topic_count = 1;
    resp.topics = &t;
    wire_writer_init(&w);
    api_fetch_multi_response_encode(&w, 4, &resp);
    expect_bytes(&w, golden_response_v4, sizeof(golden_response_v4));
    wire_writer_free(&w);
    assert_int_equal(
        api_fetch_multi_response_decode(4, golden_response_v4, sizeof(golden_response_v4), &out),
        KS_OK);
    const struct api_fetch_partition_data *q = &out.topics[0].partitions[0];
    assert_int_equal(q->high_watermark, 5);
    assert_int_equal(q->log_start_offset, -1);
    assert_int_equal(q->aborted_transaction_count, 1);
    assert_int_equal(q->aborted_transactions[0].producer_id, 7);
    assert_int_equal(q->aborted_transactions[0].first_offset, 3);
    assert_int_equal(q->preferred_read_replica, -1);
    assert_memory_equal(q->records.bytes, "abc", 3);
    api_fetch_multi_response_free(&out);
}

static void check_request_round_trip(int16_t v)
{
    struct fixture f;
    struct api_fetch_multi_request req, out;
    struct wire_writer w1, w2;
    fixture_request(&f, v, &req);
    wire_writer_init(&w1);
    wire_writer_init(&w2);
    api_fetch_multi_request_encode(&w1, v, &req);
    assert_int_equal(w1.err, KS_OK);
    assert_int_equal(api_fetch_multi_request_decode(v, w1.bytes, w1.size_bytes, &out), KS_OK);
    assert_int_equal(out.topic_count, 2);
    assert_int_equal(out.topics[1].partition_count, 2);
    assert_int_equal(out.topics[1].partitions[1].fetch_offset, 102);
    assert_int_equal(out.replica_id, 3);
    assert_int_equal(out.forgotten_topic_count, v >= 7 ? 1 : 0);
    assert_int_equal(out.topics[1].partitions[0].replica_directory_id.bytes[0], v >= 17 ? 0xab : 0);
    assert_true(wire_string_equal(out.cluster_id, req.cluster_id));
    assert_true(wire_string_equal(out.rack_id, v >= 11 ? req.rack_id : wire_string_from("")));
    api_fetch_multi_request_encode(&w2, v, &out);
    expect_bytes(&w2, w1.bytes, w1.size_bytes);
    api_fetch_multi_request_free(&out);
    wire_writer_free(&w1);
    wire_writer_free(&w2);
}

static void check_response_round_trip(int16_t v)
{
    struct fixture f;
    struct api_fetch_multi_response resp, out;
    struct wire_writer w1, w2;
    fixture_response(&f, &resp);
    wire_writer_init(&w1);
    wire_writer_init(&w2);
    api_fetch_multi_response_encode(&w1, v, &resp);
    assert_int_equal(w1.err, KS_OK);
    assert_int_equal(api_fetch_multi_response_decode(v, w1.bytes, w1.size_bytes, &out), KS_OK);
    const struct api_fetch_partition_data *q = &out.topics[1].partitions[0];
    assert_int_equal(out.topics[0].partitions[0].aborted_transaction_count, 2);
    assert_int_equal(out.topics[0].partitions[0].aborted_transactions[1].first_offset, 35);
    assert_int_equal(q->aborted_transaction_count, 0);
    assert_int_equal(q->records.size_bytes, -1);
    assert_int_equal(q->diverging_epoch, v >= 12 ? 4 : -1);
    assert_int_equal(q->current_leader_id, v >= 12 ? 2 : -1);
    assert_int_equal(out.topics[1].partitions[1].snapshot_epoch, v >= 12 ? 5 : -1);
    assert_int_equal(out.session_id, v >= 7 ? 77 : 0);
    assert_int_equal(out.node_endpoint_count, v >= 16 ? 2 : 0);
    api_fetch_multi_response_encode(&w2, v, &out);
    expect_bytes(&w2, w1.bytes, w1.size_bytes);
    api_fetch_multi_response_free(&out);
    wire_writer_free(&w1);
    wire_writer_free(&w2);
}

static void test_round_trip_every_version(void **state)
{
    for (int16_t v = API_FETCH_VERSION_MIN; v <= API_FETCH_VERSION_MAX; v++) {
        check_request_round_trip(v);
        check_response_round_trip(v);
    }
}

/* Every prefix of every version's encoding fails, and frees what it allocated. */
static void test_truncated_every_version(void **state)
{
    for (int16_t v = API_FETCH_VERSION_MIN; v <= API_FETCH_VERSION_MAX; v++) {
        struct fixture f;
        struct api_fetch_multi_request req, req_out;
        struct api_fetch_multi_response resp, resp_out;
        struct wire_writer w1, w2;
        fixture_request(&f, v, &req);
        fixture_response(&f, &resp);
        wire_writer_init(&w1);
        wire_writer_init(&w2);
        api_fetch_multi_request_encode(&w1, v, &req);
        api_fetch_multi_response_encode(&w2, v, &resp);
        for (uint32_t n = 0; n < w1.size_bytes; n++)
            assert_int_not_equal(api_fetch_multi_request_decode(v, w1.bytes, n, &req_out), KS_OK);
        for (uint32_t n = 0; n < w2.size_bytes; n++)
            assert_int_not_equal(api_fetch_multi_response_decode(v, w2.bytes, n, &resp_out), KS_OK);
        wire_writer_free(&w1);
        wire_writer_free(&w2);
    }
}

static void test_bad_input(void **state)
{
    struct api_fetch_multi_request req;
    struct api_fetch_multi_response resp;
    uint8_t bad[sizeof(golden_response_v4)];
    assert_int_equal(
        api_fetch_multi_request_decode(3, golden_request_v4, sizeof(golden_request_v4), &req),
        KS_ERR_UNSUPPORTED_VERSION);
    assert_int_equal(
        api_fetch_multi_request_decode(18, golden_request_v4, sizeof(golden_request_v4), &req),
        KS_ERR_UNSUPPORTED_VERSION);
    /* AbortedTransactions: -2 is invalid, -1 null is fine, a huge count is truncated. */
    memcpy(bad, golden_response_v4, sizeof(bad));
    memcpy(bad + 37, (uint8_t[]){0xff, 0xff, 0xff, 0xfe}, 4);
    assert_int_equal(api_fetch_multi_response_decode(4, bad, sizeof(bad), &resp), KS_ERR_INVALID);
    memcpy(bad + 37, (uint8_t[]){0x00, 0x01, 0x00, 0x00}, 4);
    assert_int_equal(api_fetch_multi_response_decode(4, bad, sizeof(bad), &resp), KS_ERR_TRUNCATED);
    /* Records: a size beyond the input. */
    memcpy(bad, golden_response_v4, sizeof(bad));
    bad[sizeof(bad) - 4] = 9;
    assert_int_equal(api_fetch_multi_response_decode(4, bad, sizeof(bad), &resp), KS_ERR_TRUNCATED);
    /* A tagged field whose size runs past the input (v15 ReplicaState). */
    uint8_t tags[sizeof(golden_request_v15)];
    memcpy(tags, golden_request_v15, sizeof(tags));
    tags[sizeof(tags) - 14] = 0x20;
    assert_int_not_equal(api_fetch_multi_request_decode(15, tags, sizeof(tags), &req), KS_OK);
}

/* More partitions in one topic than API_FETCH_PARTITIONS_MAX: KS_ERR_TOO_MANY. */
static void test_named_limit(void **state)
{
    uint32_t count = API_FETCH_PARTITIONS_MAX + 1;
    uint32_t header = 17 + 4 + 2 + 4; /* fixed fields, Topics: 1, Topic "", Partitions */
    uint32_t size = header + count * 16;
    uint8_t *body = test_calloc(1, size);
    struct api_fetch_multi_request req;
    ks_be32_store(body + 17, 1);
    ks_be32_store(body + 23, count);
    assert_int_equal(api_fetch_multi_request_decode(4, body, size, &req), KS_ERR_TOO_MANY);
    ks_be32_store(body + 23, count - 1);
    assert_int_equal(api_fetch_multi_request_decode(4, body, size - 16, &req), KS_OK);
    assert_int_equal(req.topics[0].partition_count, API_FETCH_PARTITIONS_MAX);
    api_fetch_multi_request_free(&req);
    test_free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_golden_both_ways),
        cmocka_unit_test(test_response_golden_both_ways),
        cmocka_unit_test(test_round_trip_every_version),
        cmocka_unit_test(test_truncated_every_version),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_named_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
