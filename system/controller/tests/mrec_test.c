/*
 * mrec_test.c: metadata record golden bytes both ways (built by hand from the field
 * order of Kafka's metadata JSON schemas), round trips, every truncated prefix
 * failing cleanly, bad frames, unknown types and versions, oversized lists, and the
 * dump-log text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "system/controller/mrec.h"

#define UUID_BYTES 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
#define DESCRIBE_SIZE 1024u

static const struct wire_uuid test_uuid = {{UUID_BYTES}};

/* TopicRecord v0 "foo". */
static const uint8_t golden_topic[] = {
    0x01,       0x02, 0x00,      /* frame 1, type 2, version 0 */
    0x04,       'f',  'o',  'o', /* Name */
    UUID_BYTES,                  /* TopicId */
    0x00,                        /* tags */
};

/* PartitionRecord v0: partition 0, replicas [1,2], isr [1], leader 1, epochs 0. */
static const uint8_t golden_partition[] = {
    0x01, 0x03, 0x00, 0, 0, 0, 0, UUID_BYTES,             /* PartitionId, TopicId */
    0x03, 0,    0,    0, 1, 0, 0, 0,          2,          /* Replicas */
    0x02, 0,    0,    0, 1,                               /* Isr */
    0x01, 0x01,                                           /* Removing, Adding: empty */
    0,    0,    0,    1, 0, 0, 0, 0,          0, 0, 0, 0, /* Leader, LeaderEpoch, PartitionEpoch */
    0x00,                                                 /* tags */
};

/* The same, recovering from an unclean election: tag 0 LeaderRecoveryState 1. */
static const uint8_t golden_partition_recovering[] =
    {
        0x01, 0x03, 0x00, 0,    0, 0, 0, UUID_BYTES, 0x03, 0,    0,    0,    1, 0,
        0,    0,    2,    0x02, 0, 0, 0, 1,          0x01, 0x01, 0,    0,    0, 1,
        0,    0,    0,    0,    0, 0, 0, 0,          0x01, 0x00, 0x01, 0x01, /* one tag: 0, size 1,
                                                                                value 1 */
};

/* PartitionChangeRecord v0: partition 2, isr [1,2] (tag 0), leader 2 (tag 1). */
static const uint8_t golden_partition_change[] = {
    0x01, 0x05, 0x00, 0, 0, 0, 2, UUID_BYTES,          /* PartitionId, TopicId */
    0x02,                                              /* two tags */
    0x00, 0x09, 0x03, 0, 0, 0, 1, 0,          0, 0, 2, /* tag 0 Isr */
    0x01, 0x04, 0,    0, 0, 2,                         /* tag 1 Leader */
};

/* PartitionChangeRecord v0 changing nothing but the leader to none (-1). */
static const uint8_t golden_partition_change_no_leader[] = {
    0x01, 0x05, 0x00, 0, 0, 0, 0, UUID_BYTES, 0x01, 0x01, 0x04, 0xff, 0xff, 0xff, 0xff,
};

/* RegisterBrokerRecord v1: broker 1, epoch 10, PLAINTEXT b1:9092, no rack, fenced. */
static const uint8_t golden_register_broker[] = {
    0x01, 0x00, 0x01, 0,    0,    0,    1,    UUID_BYTES, /* BrokerId, IncarnationId */
    0,    0,    0,    0,    0,    0,    0,    10,         /* BrokerEpoch */
    0x02, 0x0a, 'P',  'L',  'A',  'I',  'N',  'T',        'E', 'X', 'T', /* EndPoints: 1, Name */
    0x03, 'b',  '1',  0x23, 0x84, 0x00, 0x00, 0x00, /* Host, Port, Protocol, tags */
    0x01,                                           /* Features: empty */
    0x00,                                           /* Rack: null */
    0x01, 0x00,                                     /* Fenced, InControlledShutdown */
    0x00,                                           /* tags */
};

/* FenceBrokerRecord: id 3, epoch 32. */
static const uint8_t golden_fence[] = {
    0x01, 0x07, 0x00, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 32, 0x00,
};

/* UnfenceBrokerRecord: id 3, epoch 32. */
static const uint8_t golden_unfence[] = {
    0x01, 0x08, 0x00, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 32, 0x00,
};

/* ConfigRecord: topic "foo" cleanup.policy=compact. */
static const uint8_t golden_config[] = {
    0x01, 0x04, 0x00, 0x02, 0x04, 'f', 'o', 'o',  0x0f, 'c', 'l', 'e', 'a', 'n', 'u', 'p',
    '.',  'p',  'o',  'l',  'i',  'c', 'y', 0x08, 'c',  'o', 'm', 'p', 'a', 'c', 't', 0x00,
};

/* RemoveTopicRecord. */
static const uint8_t golden_remove_topic[] = {0x01, 0x09, 0x00, UUID_BYTES, 0x00};

/* BrokerRegistrationChangeRecord v1: broker 1 epoch 5 unfenced (tag 0 = -1). */
static const uint8_t golden_registration_change[] = {
    0x01, 0x11, 0x01, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 5, 0x01, 0x00, 0x01, 0xff,
};

/* FeatureLevelRecord metadata.version 19. */
static const uint8_t golden_feature_level[] = {
    0x01, 0x0c, 0x00, 0x11, 'm', 'e', 't', 'a', 'd', 'a', 't',  'a',
    '.',  'v',  'e',  'r',  's', 'i', 'o', 'n', 0,   19,  0x00,
};

static void ids_set(struct mrec_ids *ids, int32_t count, const int32_t *values)
{
    ids->count = count;
    for (int32_t i = 0; i < count; i++)
        ids->ids[i] = values[i];
}

static struct mrec make_topic(void)
{
    struct mrec rec;
    mrec_init(&rec, MREC_TOPIC);
    rec.u.topic.name = wire_string_from("foo");
    rec.u.topic.topic_id = test_uuid;
    return rec;
}

static struct mrec make_partition(int8_t recovery)
{
    static const int32_t replicas[] = {1, 2}, isr[] = {1};
    struct mrec rec;
    mrec_init(&rec, MREC_PARTITION);
    struct mrec_partition *p = &rec.u.partition;
    p->partition_id = 0;
    p->topic_id = test_uuid;
    ids_set(&p->replicas, 2, replicas);
    ids_set(&p->isr, 1, isr);
    p->leader = 1;
    p->leader_epoch = 0;
    p->partition_epoch = 0;
    p->leader_recovery_state = recovery;
    return rec;
}

static struct mrec make_partition_change(bool no_leader)
{
    static const int32_t isr[] = {1, 2};
    struct mrec rec;
    mrec_init(&rec, MREC_PARTITION_CHANGE);
    rec.u.partition_change.topic_id = test_uuid;
    if (no_leader) {
        rec.u.partition_change.partition_id = 0;
        rec.u.partition_change.leader = MREC_NO_LEADER;
        return rec;
    }
    rec.u.partition_change.partition_id = 2;
    ids_set(&rec.u.partition_change.isr, 2, isr);
    rec.u.partition_change.leader = 2;
    return rec;
}

static struct mrec make_register_broker(void)
{
    struct mrec rec;
    mrec_init(&rec, MREC_REGISTER_BROKER);
    rec.version = 1;
    struct mrec_register_broker *b = &rec.u.register_broker;
    b->broker_id = 1;
    b->incarnation_id = test_uuid;
    b->broker_epoch = 10;
    b->endpoint_count = 1;
    b->endpoints[0].name = wire_string_from("PLAINTEXT");
    b->endpoints[0].host = wire_string_from("b1");
    b->endpoints[0].port = 9092;
    return rec;
}

static struct mrec make_broker_epoch(enum mrec_type type)
{
    struct mrec rec;
    mrec_init(&rec, type);
    rec.u.fence_broker.broker_id = 3;
    rec.u.fence_broker.broker_epoch = 32;
    return rec;
}

static struct mrec make_config(void)
{
    struct mrec rec;
    mrec_init(&rec, MREC_CONFIG);
    rec.u.config.resource_type = MREC_CONFIG_RESOURCE_TOPIC;
    rec.u.config.resource_name = wire_string_from("foo");
    rec.u.config.name = wire_string_from("cleanup.policy");
    rec.u.config.value = wire_string_from("compact");
    return rec;
}

static struct mrec make_remove_topic(void)
{
    struct mrec rec;
    mrec_init(&rec, MREC_REMOVE_TOPIC);
    rec.u.remove_topic.topic_id = test_uuid;
    return rec;
}

static struct mrec make_registration_change(void)
{
    struct mrec rec;
    mrec_init(&rec, MREC_BROKER_REGISTRATION_CHANGE);
    rec.version = 1;
    rec.u.registration_change.broker_id = 1;
    rec.u.registration_change.broker_epoch = 5;
    rec.u.registration_change.fenced = MREC_FENCE_CHANGE_UNFENCE;
    return rec;
}

static struct mrec make_feature_level(void)
{
    struct mrec rec;
    mrec_init(&rec, MREC_FEATURE_LEVEL);
    rec.u.feature_level.name = wire_string_from("metadata.version");
    rec.u.feature_level.feature_level = 19;
    return rec;
}

struct golden_case {
    const char *name;
    const uint8_t *bytes;
    uint32_t size;
    struct mrec rec;
};

#define GOLDEN(n, g, r)                                                                            \
    {                                                                                              \
        n, g, sizeof(g), r                                                                         \
    }

static void golden_cases(struct golden_case *cases, uint32_t *count)
{
    struct golden_case all[] = {
        GOLDEN("topic", golden_topic, make_topic()),
        GOLDEN("partition", golden_partition, make_partition(MREC_LEADER_RECOVERED)),
        GOLDEN("partition recovering", golden_partition_recovering,
               make_partition(MREC_LEADER_RECOVERING)),
        GOLDEN("partition change", golden_partition_change, make_partition_change(false)),
        GOLDEN("partition change no leader", golden_partition_change_no_leader,
               make_partition_change(true)),
        GOLDEN("register broker", golden_register_broker, make_register_broker()),
        GOLDEN("fence", golden_fence, make_broker_epoch(MREC_FENCE_BROKER)),
        GOLDEN("unfence", golden_unfence, make_broker_epoch(MREC_UNFENCE_BROKER)),
        GOLDEN("config", golden_config, make_config()),
        GOLDEN("remove topic", golden_remove_topic, make_remove_topic()),
        GOLDEN("registration change", golden_registration_change, make_registration_change()),
        GOLDEN("feature level", golden_feature_level, make_feature_level()),
    };
    memcpy(cases, all, sizeof(all));
    *count = KS_ARRAY_COUNT(all);
}

#define GOLDEN_CASES_MAX 16u

static void test_golden_encode(void **state)
{
    (void)state;
    struct golden_case cases[GOLDEN_CASES_MAX];
    uint32_t n;
    golden_cases(cases, &n);
    for (uint32_t i = 0; i < n; i++) {
        struct wire_writer w;
        wire_writer_init(&w);
        mrec_encode(&w, &cases[i].rec);
        assert_int_equal(w.err, KS_OK);
        if (w.size_bytes != cases[i].size || memcmp(w.bytes, cases[i].bytes, w.size_bytes) != 0)
            fail_msg("%s: encoding differs from the golden bytes", cases[i].name);
        wire_writer_free(&w);
    }
}

/* Decoding the golden bytes and encoding the result gives the same bytes. */
static void test_golden_decode_round_trip(void **state)
{
    (void)state;
    struct golden_case cases[GOLDEN_CASES_MAX];
    uint32_t n;
    golden_cases(cases, &n);
    for (uint32_t i = 0; i < n; i++) {
        struct mrec rec;
        struct wire_writer w;
        assert_int_equal(mrec_decode(cases[i].bytes, cases[i].size, &rec), KS_OK);
        assert_int_equal(rec.type, cases[i].rec.type);
        assert_int_equal(rec.version, cases[i].rec.version);
        wire_writer_init(&w);
        mrec_encode(&w, &rec);
        assert_int_equal(w.err, KS_OK);
        if (w.size_bytes != cases[i].size || memcmp(w.bytes, cases[i].bytes, w.size_bytes) != 0)
            fail_msg("%s: round trip differs", cases[i].name);
        wire_writer_free(&w);
    }
}

static void test_decoded_values(void **state)
{
    (void)state;
    struct mrec rec;
    assert_int_equal(mrec_decode(golden_partition_change, sizeof(golden_partition_change), &rec),
                     KS_OK);
    assert_int_equal(rec.u.partition_change.partition_id, 2);
    assert_int_equal(rec.u.partition_change.isr.count, 2);
    assert_int_equal(rec.u.partition_change.isr.ids[1], 2);
    assert_int_equal(rec.u.partition_change.leader, 2);
    assert_int_equal(rec.u.partition_change.replicas.count, -1);
    assert_int_equal(rec.u.partition_change.leader_recovery_state, -1);
    assert_int_equal(mrec_decode(golden_register_broker, sizeof(golden_register_broker), &rec),
                     KS_OK);
    assert_true(wire_string_equal_cstr(rec.u.register_broker.endpoints[0].host, "b1"));
    assert_int_equal(rec.u.register_broker.endpoints[0].port, 9092);
    assert_true(wire_string_is_null(rec.u.register_broker.rack));
    assert_true(rec.u.register_broker.fenced);
}

/* Every strict prefix of every golden fails without reading past its end. */
static void test_truncations_fail(void **state)
{
    (void)state;
    struct golden_case cases[GOLDEN_CASES_MAX];
    uint32_t n;
    golden_cases(cases, &n);
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t len = 0; len < cases[i].size; len++) {
            uint8_t *copy = malloc(len + 1);
            struct mrec rec;
            memcpy(copy, cases[i].bytes, len);
            if (mrec_decode(copy, len, &rec) == KS_OK)
                fail_msg("%s: prefix of %u bytes decoded", cases[i].name, len);
            free(copy);
        }
    }
}

static void test_bad_input(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint8_t bytes[24];
        uint32_t size;
        enum ks_err err;
    } cases[] = {
        {"frame version 0", {0x00, 0x02, 0x00}, 3, KS_ERR_INVALID},
        {"frame version 2", {0x02, 0x02, 0x00}, 3, KS_ERR_INVALID},
        {"type 6 is unused", {0x01, 0x06, 0x00, 0x00}, 4, KS_ERR_INVALID},
        {"unknown type 99", {0x01, 0x63, 0x00, 0x00}, 4, KS_ERR_INVALID},
        {"topic v1 unknown", {0x01, 0x02, 0x01}, 3, KS_ERR_UNSUPPORTED_VERSION},
        {"register broker v4", {0x01, 0x00, 0x04}, 3, KS_ERR_UNSUPPORTED_VERSION},
        {"noop trailing byte", {0x01, 0x14, 0x00, 0x00, 0x00}, 5, KS_ERR_INVALID},
        {"noop ok", {0x01, 0x14, 0x00, 0x00}, 4, KS_OK},
        {"overlong varint", {0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 7, KS_ERR_INVALID},
        {"remove topic, no tags", {0x01, 0x09, 0x00, UUID_BYTES}, 19, KS_ERR_TRUNCATED},
    };
    for (uint32_t i = 0; i < KS_ARRAY_COUNT(cases); i++) {
        struct mrec rec;
        enum ks_err err = mrec_decode(cases[i].bytes, cases[i].size, &rec);
        if (err != cases[i].err)
            fail_msg("%s: got %s", cases[i].name, ks_err_name(err));
    }
    struct mrec rec;
    assert_int_equal(mrec_decode(NULL, 0, &rec), KS_ERR_INVALID);
}

/* A replica list longer than MREC_REPLICAS_MAX is refused both ways. */
static void test_replica_limit(void **state)
{
    (void)state;
    struct mrec rec = make_partition_change(false);
    struct wire_writer w;
    rec.u.partition_change.isr.count = MREC_REPLICAS_MAX + 1;
    wire_writer_init(&w);
    mrec_encode(&w, &rec);
    assert_int_equal(w.err, KS_ERR_INVALID);
    wire_writer_free(&w);

    /* Hand-made: tag 0 holding 17 ids. */
    uint8_t bytes[64 + 4 * MREC_REPLICAS_MAX] = {0x01,
                                                 0x05,
                                                 0x00,
                                                 0,
                                                 0,
                                                 0,
                                                 0,
                                                 UUID_BYTES,
                                                 0x01,
                                                 0x00,
                                                 (uint8_t)(1 + 4 * (MREC_REPLICAS_MAX + 1)),
                                                 (uint8_t)(MREC_REPLICAS_MAX + 2)};
    uint32_t size = 3 + 4 + 16 + 1 + 1 + 1 + 1 + 4 * (MREC_REPLICAS_MAX + 1);
    assert_int_equal(mrec_decode(bytes, size, &rec), KS_ERR_TOO_MANY);
}

static void test_encode_refuses_unsupported(void **state)
{
    (void)state;
    struct mrec rec = make_partition(MREC_LEADER_RECOVERED);
    struct wire_writer w;
    rec.version = 1; /* needs Directories */
    wire_writer_init(&w);
    mrec_encode(&w, &rec);
    assert_int_equal(w.err, KS_ERR_UNSUPPORTED_VERSION);
    wire_writer_reset(&w);
    rec = make_register_broker();
    rec.version = 0;
    rec.u.register_broker.in_controlled_shutdown = true;
    mrec_encode(&w, &rec);
    assert_int_equal(w.err, KS_ERR_UNSUPPORTED_VERSION);
    wire_writer_reset(&w);
    rec = make_topic();
    rec.type = (enum mrec_type)6;
    mrec_encode(&w, &rec);
    assert_int_equal(w.err, KS_ERR_INVALID);
    wire_writer_free(&w);
}

static void test_describe(void **state)
{
    (void)state;
    char buf[DESCRIBE_SIZE];
    assert_int_equal(
        mrec_describe(golden_partition_change, sizeof(golden_partition_change), buf, sizeof(buf)),
        KS_OK);
    assert_string_equal(buf, "{\"type\":\"PARTITION_CHANGE_RECORD\",\"version\":0,\"data\":{"
                             "\"partitionId\":2,\"topicId\":\"AQIDBAUGBwgJCgsMDQ4PEA\","
                             "\"isr\":[1,2],\"leader\":2}}");
    assert_int_equal(mrec_describe(golden_topic, sizeof(golden_topic), buf, sizeof(buf)), KS_OK);
    assert_non_null(strstr(buf, "\"name\":\"foo\""));
    assert_int_equal(mrec_describe(golden_topic, 3, buf, sizeof(buf)), KS_ERR_TRUNCATED);
    assert_non_null(strstr(buf, "undecodable"));
    /* A tiny buffer still ends in NUL. */
    assert_int_equal(mrec_describe(golden_config, sizeof(golden_config), buf, 8), KS_OK);
    assert_int_equal(strlen(buf), 7);
}

static void test_uuid_text(void **state)
{
    (void)state;
    char text[MREC_UUID_TEXT_SIZE];
    struct wire_uuid metadata_topic = {{0}};
    metadata_topic.bytes[15] = 1;
    mrec_uuid_text(&metadata_topic, text);
    assert_string_equal(text, "AAAAAAAAAAAAAAAAAAAAAQ"); /* Uuid.METADATA_TOPIC_ID */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_encode),
        cmocka_unit_test(test_golden_decode_round_trip),
        cmocka_unit_test(test_decoded_values),
        cmocka_unit_test(test_truncations_fail),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_replica_limit),
        cmocka_unit_test(test_encode_refuses_unsupported),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_uuid_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
