/*
 * api_alter_partition_test.c: AlterPartition (key 56) v0-v3, all flexible: golden bytes
 * both ways for v1 (topic names, plain ISR) and v3 (topic ids, ISR with broker
 * epochs); a round trip at every version; recovery state refused at v0; truncated and
 * bad input, the ISR limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "system/proto/api_alter_partition.h"

#define UUID_ONE 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
#define I64(b) 0, 0, 0, 0, 0, 0, 0, b

/* v1: broker 1 (epoch 10) asks ISR {1, 2} for "t"/0 at leader epoch 5, partition epoch 7. */
static const uint8_t golden_request_v1[] = {
    0,       0,    0,    1,                   /* BrokerId */
    I64(10),                                  /* BrokerEpoch */
    0x02,    0x02, 't',  0x02,                /* Topics: 1, TopicName, Partitions: 1 */
    0,       0,    0,    0,                   /* PartitionIndex */
    0,       0,    0,    5,                   /* LeaderEpoch */
    0x03,    0,    0,    0,    1, 0, 0, 0, 2, /* NewIsr {1, 2} */
    0,                                        /* LeaderRecoveryState */
    0,       0,    0,    7,                   /* PartitionEpoch */
    0x00,    0x00, 0x00,                      /* tags: partition, topic, request */
};
/* v3: the same by topic id, broker epochs 10 and 11. */
static const uint8_t golden_request_v3[] = {
    0,    0,        0,    1, I64(10),             /* BrokerId, BrokerEpoch */
    0x02, UUID_ONE, 0x02,                         /* Topics: 1, TopicId, Partitions: 1 */
    0,    0,        0,    0, 0,       0,    0, 5, /* PartitionIndex, LeaderEpoch */
    0x03,                                         /* NewIsrWithEpochs: 2 */
    0,    0,        0,    1, I64(10), 0x00, 0, 0, 0, 2, I64(11), 0x00, 0, /* LeaderRecoveryState */
    0,    0,        0,    7,                                              /* PartitionEpoch */
    0x00, 0x00,     0x00,                                                 /* tags */
};
/* v3 response: leader 1, epoch 5, ISR {1, 2}, partition epoch 8. */
static const uint8_t golden_response_v3[] = {
    0,    0,        0,    0, 0, 0,          /* ThrottleTimeMs, ErrorCode */
    0x02, UUID_ONE, 0x02,                   /* Topics: 1, TopicId, Partitions: 1 */
    0,    0,        0,    0, 0, 0,          /* PartitionIndex, ErrorCode */
    0,    0,        0,    1, 0, 0, 0, 5,    /* LeaderId, LeaderEpoch */
    0x03, 0,        0,    0, 1, 0, 0, 0, 2, /* Isr */
    0,                                      /* LeaderRecoveryState */
    0,    0,        0,    8,                /* PartitionEpoch */
    0x00, 0x00,     0x00,                   /* tags */
};

static void expect_bytes(const struct wire_writer *w, const uint8_t *golden, size_t size)
{
    assert_int_equal(w->err, KS_OK);
    assert_int_equal(w->size_bytes, size);
    assert_memory_equal(w->bytes, golden, size);
}

struct fixture {
    struct api_alter_partition_broker_state isr[2];
    struct api_alter_partition_partition partition;
    struct api_alter_partition_topic topic;
    struct api_alter_partition_request request;
    int32_t isr_ids[2];
    struct api_alter_partition_partition_response partition_response;
    struct api_alter_partition_topic_response topic_response;
    struct api_alter_partition_response response;
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->isr[0] = (struct api_alter_partition_broker_state){1, 10};
    f->isr[1] = (struct api_alter_partition_broker_state){2, 11};
    f->partition = (struct api_alter_partition_partition){0, 5, 2, f->isr, 0, 7};
    f->topic.topic_name = wire_string_from("t");
    f->topic.topic_id.bytes[15] = 1;
    f->topic.partition_count = 1;
    f->topic.partitions = &f->partition;
    f->request = (struct api_alter_partition_request){1, 10, 1, &f->topic};
    f->isr_ids[0] = 1;
    f->isr_ids[1] = 2;
    f->partition_response =
        (struct api_alter_partition_partition_response){0, 0, 1, 5, 2, f->isr_ids, 0, 8};
    f->topic_response.topic_name = wire_string_from("t");
    f->topic_response.topic_id.bytes[15] = 1;
    f->topic_response.partition_count = 1;
    f->topic_response.partitions = &f->partition_response;
    f->response = (struct api_alter_partition_response){0, 0, 1, &f->topic_response};
}

static void test_golden_both_ways(void **state)
{
    struct fixture f;
    struct api_alter_partition_request out;
    struct api_alter_partition_response resp_out;
    struct wire_writer w;
    fixture_init(&f);
    wire_writer_init(&w);
    api_alter_partition_request_encode(&w, 1, &f.request);
    expect_bytes(&w, golden_request_v1, sizeof(golden_request_v1));
    wire_writer_reset(&w);
    api_alter_partition_request_encode(&w, 3, &f.request);
    expect_bytes(&w, golden_request_v3, sizeof(golden_request_v3));
    wire_writer_reset(&w);
    api_alter_partition_response_encode(&w, 3, &f.response);
    expect_bytes(&w, golden_response_v3, sizeof(golden_response_v3));
    wire_writer_free(&w);

    assert_int_equal(
        api_alter_partition_request_decode(1, golden_request_v1, sizeof(golden_request_v1), &out),
        KS_OK);
    assert_true(wire_string_equal_cstr(out.topics[0].topic_name, "t"));
    assert_int_equal(out.topics[0].partitions[0].new_isr_count, 2);
    assert_int_equal(out.topics[0].partitions[0].new_isr[1].broker_id, 2);
    assert_int_equal(out.topics[0].partitions[0].new_isr[1].broker_epoch, -1);
    api_alter_partition_request_free(&out);
    assert_int_equal(
        api_alter_partition_request_decode(3, golden_request_v3, sizeof(golden_request_v3), &out),
        KS_OK);
    assert_int_equal(out.topics[0].topic_id.bytes[15], 1);
    assert_int_equal(out.topics[0].partitions[0].new_isr[1].broker_epoch, 11);
    assert_int_equal(out.topics[0].partitions[0].partition_epoch, 7);
    api_alter_partition_request_free(&out);
    assert_int_equal(api_alter_partition_response_decode(3, golden_response_v3,
                                                         sizeof(golden_response_v3), &resp_out),
                     KS_OK);
    assert_int_equal(resp_out.topics[0].partitions[0].isr_count, 2);
    assert_int_equal(resp_out.topics[0].partitions[0].partition_epoch, 8);
    api_alter_partition_response_free(&resp_out);
}

static void test_round_trip_every_version(void **state)
{
    for (int16_t v = API_ALTER_PARTITION_VERSION_MIN; v <= API_ALTER_PARTITION_VERSION_MAX; v++) {
        struct fixture f;
        struct api_alter_partition_request out;
        struct api_alter_partition_response resp_out;
        struct wire_writer w1, w2;
        fixture_init(&f);
        f.partition.leader_recovery_state = v >= 1 ? API_ALTER_PARTITION_RECOVERING : 0;
        wire_writer_init(&w1);
        wire_writer_init(&w2);
        api_alter_partition_request_encode(&w1, v, &f.request);
        assert_int_equal(api_alter_partition_request_decode(v, w1.bytes, w1.size_bytes, &out),
                         KS_OK);
        assert_int_equal(out.topics[0].partitions[0].leader_recovery_state,
                         f.partition.leader_recovery_state);
        api_alter_partition_request_encode(&w2, v, &out);
        expect_bytes(&w2, w1.bytes, w1.size_bytes);
        api_alter_partition_request_free(&out);
        for (uint32_t n = 0; n < w1.size_bytes; n++)
            assert_int_not_equal(api_alter_partition_request_decode(v, w1.bytes, n, &out), KS_OK);
        wire_writer_reset(&w1);
        wire_writer_reset(&w2);
        api_alter_partition_response_encode(&w1, v, &f.response);
        assert_int_equal(api_alter_partition_response_decode(v, w1.bytes, w1.size_bytes, &resp_out),
                         KS_OK);
        api_alter_partition_response_encode(&w2, v, &resp_out);
        expect_bytes(&w2, w1.bytes, w1.size_bytes);
        api_alter_partition_response_free(&resp_out);
        for (uint32_t n = 0; n < w1.size_bytes; n++)
            assert_int_not_equal(api_alter_partition_response_decode(v, w1.bytes, n, &resp_out),
                                 KS_OK);
        wire_writer_free(&w1);
        wire_writer_free(&w2);
    }
}

static void test_bad_input_and_limits(void **state)
{
    struct fixture f;
    struct api_alter_partition_request out;
    struct wire_writer w;
    fixture_init(&f);
    f.partition.leader_recovery_state = API_ALTER_PARTITION_RECOVERING;
    wire_writer_init(&w);
    api_alter_partition_request_encode(&w, 0, &f.request);
    assert_int_equal(w.err, KS_ERR_UNSUPPORTED_VERSION);
    wire_writer_free(&w);
    assert_int_equal(
        api_alter_partition_request_decode(4, golden_request_v3, sizeof(golden_request_v3), &out),
        KS_ERR_UNSUPPORTED_VERSION);
    /* An ISR of API_ALTER_PARTITION_ISR_MAX + 1 brokers: KS_ERR_TOO_MANY. */
    uint32_t count = API_ALTER_PARTITION_ISR_MAX + 1;
    uint32_t size = 12 + 3 + 8 + 2 + count * 4 + 4 + 3;
    uint8_t *body = test_calloc(1, size);
    body[12] = 0x02; /* Topics: 1 */
    body[13] = 0x01; /* TopicName "" */
    body[14] = 0x02; /* Partitions: 1 */
    body[23] = (uint8_t)(((count + 1) & 0x7f) | 0x80);
    body[24] = (uint8_t)((count + 1) >> 7);
    assert_int_equal(api_alter_partition_request_decode(0, body, size, &out), KS_ERR_TOO_MANY);
    test_free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_both_ways),
        cmocka_unit_test(test_round_trip_every_version),
        cmocka_unit_test(test_bad_input_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
