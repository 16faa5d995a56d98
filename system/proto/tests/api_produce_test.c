/*
 * api_produce_test.c: Produce (key 0) v3-v11: golden bytes both ways for v3 (classic)
 * and v9/v10 (flexible, with RecordErrors, CurrentLeader and NodeEndpoints); a round
 * trip at every version; every truncated prefix, bad counts, named limits and
 * unsupported versions rejected through the sticky error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "system/proto/api_produce.h"

#define I64_M1 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff

/* v3: no transactional id, acks=all, 30 s, topic "t" partition 0 with records "abc". */
static const uint8_t golden_request_v3[] = {
    0xff, 0xff,                            /* TransactionalId: null */
    0xff, 0xff,                            /* Acks -1 */
    0,    0,    0x75, 0x30,                /* TimeoutMs 30000 */
    0,    0,    0,    1,                   /* TopicData: 1 */
    0,    1,    't',                       /* Name */
    0,    0,    0,    1,                   /* PartitionData: 1 */
    0,    0,    0,    0,                   /* Index */
    0,    0,    0,    3,    'a', 'b', 'c', /* Records */
};

/* v9: transactional id "tx", acks=1, topic "t" partition 1 with records "abc". */
static const uint8_t golden_request_v9[] = {
    0x03, 't',  'x',           /* TransactionalId */
    0,    1,                   /* Acks */
    0,    0,    0x75, 0x30,    /* TimeoutMs */
    0x02, 0x02, 't',           /* TopicData: 1, Name */
    0x02, 0,    0,    0,    1, /* PartitionData: 1, Index 1 */
    0x04, 'a',  'b',  'c',     /* Records */
    0x00, 0x00, 0x00,          /* tags: partition, topic, request */
};

/* v3 response: offset 16, no LogAppendTime, throttle 0. */
static const uint8_t golden_response_v3[] = {
    0,      0, 0,   1,              /* Responses: 1 */
    0,      1, 't',                 /* Name */
    0,      0, 0,   1,              /* PartitionResponses: 1 */
    0,      0, 0,   0,              /* Index */
    0,      0,                      /* ErrorCode */
    0,      0, 0,   0, 0, 0, 0, 16, /* BaseOffset */
    I64_M1,                         /* LogAppendTimeMs -1 */
    0,      0, 0,   0,              /* ThrottleTimeMs */
};

/* v10 response: NOT_LEADER_OR_FOLLOWER, batch 0 "bad", leader 2 epoch 5, node 2 at h:9092. */
static const uint8_t golden_response_v10[] = {
    0x02,   0x02,   't',    0x02, /* Responses: 1, Name, PartitionResponses: 1 */
    0,      0,      0,      0,    /* Index */
    0,      6,                    /* ErrorCode 6 */
    I64_M1, I64_M1, I64_M1,       /* BaseOffset, LogAppendTimeMs, LogStartOffset */
    0x02,   0,      0,      0,    0, 0x04, 'b', 'a', 'd',  0x00, /* RecordErrors: 1 {0, "bad"} */
    0x00,                                                        /* ErrorMessage: null */
    0x01,   0x00,   0x09,   0,    0, 0,    2,   0,   0,    0,    5, 0x00, /* tags: CurrentLeader 2@5
                                                                           */
    0x00,                                                                 /* topic tags */
    0,      0,      0,      0,                                            /* ThrottleTimeMs */
    0x01,   0x00,   0x0d,   0x02, 0, 0,    0,   2,   0x02, 'h',  0, 0,    0x23,
    0x84,   0x00,   0x00, /* NodeEndpoints */
};

static struct api_produce_partition sample_partitions[1];
static struct api_produce_topic sample_topics[1];

static struct api_produce_request sample_request(int16_t version)
{
    struct api_produce_request req;
    api_produce_request_init(&req);
    req.acks = version == 3 ? -1 : 1;
    req.timeout_ms = 30000;
    if (version >= 9)
        req.transactional_id = wire_string_from("tx");
    sample_partitions[0] =
        (struct api_produce_partition){version == 3 ? 0 : 1, {(const uint8_t *)"abc", 3}};
    sample_topics[0] = (struct api_produce_topic){wire_string_from("t"), 1, sample_partitions};
    req.topic_count = 1;
    req.topics = sample_topics;
    return req;
}

static struct api_produce_record_error sample_record_errors[1];
static struct api_produce_partition_response sample_partition_responses[1];
static struct api_produce_topic_response sample_topic_responses[1];
static struct api_produce_node_endpoint sample_endpoints[1];

static struct api_produce_response sample_response_v10(void)
{
    struct api_produce_response resp;
    struct api_produce_partition_response *p = &sample_partition_responses[0];
    api_produce_response_init(&resp);
    api_produce_partition_response_init(p);
    p->error_code = KS_ERR_NOT_LEADER_OR_FOLLOWER;
    p->base_offset = -1;
    sample_record_errors[0] = (struct api_produce_record_error){0, wire_string_from("bad")};
    p->record_error_count = 1;
    p->record_errors = sample_record_errors;
    p->current_leader_id = 2;
    p->current_leader_epoch = 5;
    sample_topic_responses[0] =
        (struct api_produce_topic_response){wire_string_from("t"), 1, sample_partition_responses};
    sample_endpoints[0] =
        (struct api_produce_node_endpoint){2, wire_string_from("h"), 9092, wire_string_null()};
    resp.topic_count = 1;
    resp.topics = sample_topic_responses;
    resp.node_endpoint_count = 1;
    resp.node_endpoints = sample_endpoints;
    return resp;
}

static void expect_bytes(const struct wire_writer *w, const uint8_t *golden, size_t size)
{
    assert_int_equal(w->err, KS_OK);
    assert_int_equal(w->size_bytes, size);
    assert_memory_equal(w->bytes, golden, size);
}

static void test_request_golden_both_ways(void **state)
{
    struct wire_writer w;
    struct api_produce_request req = sample_request(3), out;
    wire_writer_init(&w);
    api_produce_request_encode(&w, 3, &req);
    expect_bytes(&w, golden_request_v3, sizeof(golden_request_v3));
    wire_writer_reset(&w);
    req = sample_request(9);
    api_produce_request_encode(&w, 9, &req);
    expect_bytes(&w, golden_request_v9, sizeof(golden_request_v9));
    wire_writer_free(&w);

    assert_int_equal(
        api_produce_request_decode(3, golden_request_v3, sizeof(golden_request_v3), &out), KS_OK);
    assert_true(wire_string_is_null(out.transactional_id));
    assert_int_equal(out.acks, -1);
    assert_int_equal(out.timeout_ms, 30000);
    assert_int_equal(out.topic_count, 1);
    assert_true(wire_string_equal_cstr(out.topics[0].name, "t"));
    assert_int_equal(out.topics[0].partitions[0].records.size_bytes, 3);
    assert_memory_equal(out.topics[0].partitions[0].records.bytes, "abc", 3);
    api_produce_request_free(&out);
    assert_int_equal(
        api_produce_request_decode(9, golden_request_v9, sizeof(golden_request_v9), &out), KS_OK);
    assert_true(wire_string_equal_cstr(out.transactional_id, "tx"));
    assert_int_equal(out.topics[0].partitions[0].index, 1);
    api_produce_request_free(&out);
}

static void test_response_golden_both_ways(void **state)
{
    struct wire_writer w;
    struct api_produce_response resp, out;
    struct api_produce_partition_response p;
    struct api_produce_topic_response t = {wire_string_from("t"), 1, &p};
    api_produce_response_init(&resp);
    api_produce_partition_response_init(&p);
    p.base_offset = 16;
    resp.topic_count = 1;
    resp.topics = &t;
    wire_writer_init(&w);
    api_produce_response_encode(&w, 3, &resp);
    expect_bytes(&w, golden_response_v3, sizeof(golden_response_v3));
    wire_writer_reset(&w);
    resp = sample_response_v10();
    api_produce_response_encode(&w, 10, &resp);
    expect_bytes(&w, golden_response_v10, sizeof(golden_response_v10));
    wire_writer_free(&w);

    assert_int_equal(
        api_produce_response_decode(3, golden_response_v3, sizeof(golden_response_v3), &out),
        KS_OK);
    assert_int_equal(out.topics[0].partitions[0].base_offset, 16);
    assert_int_equal(out.topics[0].partitions[0].log_append_time_ms, -1);
    assert_int_equal(out.topics[0].partitions[0].log_start_offset, -1);
    api_produce_response_free(&out);
    assert_int_equal(
        api_produce_response_decode(10, golden_response_v10, sizeof(golden_response_v10), &out),
        KS_OK);
    const struct api_produce_partition_response *q = &out.topics[0].partitions[0];
    assert_int_equal(q->error_code, KS_ERR_NOT_LEADER_OR_FOLLOWER);
    assert_int_equal(q->record_error_count, 1);
    assert_true(wire_string_equal_cstr(q->record_errors[0].message, "bad"));
    assert_true(wire_string_is_null(q->error_message));
    assert_int_equal(q->current_leader_id, 2);
    assert_int_equal(q->current_leader_epoch, 5);
    assert_int_equal(out.node_endpoint_count, 1);
    assert_int_equal(out.node_endpoints[0].port, 9092);
    assert_true(wire_string_equal_cstr(out.node_endpoints[0].host, "h"));
    assert_true(wire_string_is_null(out.node_endpoints[0].rack));
    api_produce_response_free(&out);
}

/* Encode, decode, encode again: the same bytes, at every version. */
static void test_round_trip_every_version(void **state)
{
    for (int16_t v = API_PRODUCE_VERSION_MIN; v <= API_PRODUCE_VERSION_MAX; v++) {
        struct wire_writer w1, w2;
        struct api_produce_request req = sample_request(v), req_out;
        struct api_produce_response resp = sample_response_v10(), resp_out;
        wire_writer_init(&w1);
        wire_writer_init(&w2);
        api_produce_request_encode(&w1, v, &req);
        assert_int_equal(api_produce_request_decode(v, w1.bytes, w1.size_bytes, &req_out), KS_OK);
        api_produce_request_encode(&w2, v, &req_out);
        expect_bytes(&w2, w1.bytes, w1.size_bytes);
        api_produce_request_free(&req_out);
        wire_writer_reset(&w1);
        wire_writer_reset(&w2);
        api_produce_response_encode(&w1, v, &resp);
        assert_int_equal(api_produce_response_decode(v, w1.bytes, w1.size_bytes, &resp_out), KS_OK);
        assert_int_equal(resp_out.topics[0].partitions[0].record_error_count, v >= 8 ? 1 : 0);
        assert_int_equal(resp_out.topics[0].partitions[0].current_leader_id, v >= 10 ? 2 : -1);
        assert_int_equal(resp_out.node_endpoint_count, v >= 10 ? 1 : 0);
        api_produce_response_encode(&w2, v, &resp_out);
        expect_bytes(&w2, w1.bytes, w1.size_bytes);
        api_produce_response_free(&resp_out);
        wire_writer_free(&w1);
        wire_writer_free(&w2);
    }
}

static void test_truncated_and_bad_input(void **state)
{
    struct api_produce_request req;
    struct api_produce_response resp;
    for (uint32_t n = 0; n < sizeof(golden_request_v9); n++)
        assert_int_not_equal(api_produce_request_decode(9, golden_request_v9, n, &req), KS_OK);
    for (uint32_t n = 0; n < sizeof(golden_request_v3); n++)
        assert_int_not_equal(api_produce_request_decode(3, golden_request_v3, n, &req), KS_OK);
    for (uint32_t n = 0; n < sizeof(golden_response_v10); n++)
        assert_int_not_equal(api_produce_response_decode(10, golden_response_v10, n, &resp), KS_OK);
    /* Trailing byte, unsupported versions. */
    uint8_t longer[sizeof(golden_request_v3) + 1] = {0};
    memcpy(longer, golden_request_v3, sizeof(golden_request_v3));
    assert_int_equal(api_produce_request_decode(3, longer, sizeof(longer), &req), KS_ERR_INVALID);
    assert_int_equal(
        api_produce_request_decode(2, golden_request_v3, sizeof(golden_request_v3), &req),
        KS_ERR_UNSUPPORTED_VERSION);
    assert_int_equal(
        api_produce_response_decode(12, golden_response_v3, sizeof(golden_response_v3), &resp),
        KS_ERR_UNSUPPORTED_VERSION);
    /* A negative topic count; a partition count beyond what is left. */
    uint8_t bad[sizeof(golden_request_v3)];
    memcpy(bad, golden_request_v3, sizeof(bad));
    bad[8] = 0xff;
    assert_int_equal(api_produce_request_decode(3, bad, sizeof(bad), &req), KS_ERR_INVALID);
    memcpy(bad, golden_request_v3, sizeof(bad));
    bad[17] = 0x7f;
    assert_int_equal(api_produce_request_decode(3, bad, sizeof(bad), &req), KS_ERR_TRUNCATED);
    /* A record error's tag section claiming more tags than bytes. */
    uint8_t tags[sizeof(golden_response_v10)];
    memcpy(tags, golden_response_v10, sizeof(tags));
    tags[43] = 0x7f;
    assert_int_not_equal(api_produce_response_decode(10, tags, sizeof(tags), &resp), KS_OK);
}

/* More topics than API_PRODUCE_TOPICS_MAX: KS_ERR_TOO_MANY before anything is allocated. */
static void test_named_limit(void **state)
{
    uint32_t count = API_PRODUCE_TOPICS_MAX + 1;
    uint32_t size = 12 + count * 6;
    uint8_t *body = test_calloc(1, size);
    struct api_produce_request req;
    body[0] = 0xff; /* TransactionalId null */
    body[1] = 0xff;
    ks_be32_store(body + 8, count); /* the rest: empty names, no partitions */
    assert_int_equal(api_produce_request_decode(3, body, size, &req), KS_ERR_TOO_MANY);
    ks_be32_store(body + 8, count - 1);
    assert_int_equal(api_produce_request_decode(3, body, size - 6, &req), KS_OK);
    assert_int_equal(req.topic_count, API_PRODUCE_TOPICS_MAX);
    api_produce_request_free(&req);
    test_free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_golden_both_ways),
        cmocka_unit_test(test_response_golden_both_ways),
        cmocka_unit_test(test_round_trip_every_version),
        cmocka_unit_test(test_truncated_and_bad_input),
        cmocka_unit_test(test_named_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
