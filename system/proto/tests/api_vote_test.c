/*
 * api_vote_test.c: Vote (key 52) golden bytes both ways at v0 and v2 (PreVote), a
 * response, every truncated prefix failing cleanly, two topics refused, and PreVote
 * refused at v0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "system/proto/api_vote.h"

#define TOPIC_BYTES                                                                                \
    '_', '_', 'c', 'l', 'u', 's', 't', 'e', 'r', '_', 'm', 'e', 't', 'a', 'd', 'a', 't', 'a'
#define ZERO_UUID 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0

/* v0: null cluster id, one topic, partition 0, candidate epoch 5 id 1, last 4@100. */
static const uint8_t golden_request_v0[] = {
    0x00,                                     /* ClusterId: null */
    0x02, 0x13, TOPIC_BYTES,                  /* Topics: 1, "__cluster_metadata" */
    0x02,                                     /* Partitions: 1 */
    0,    0,    0,           0,               /* PartitionIndex */
    0,    0,    0,           5,               /* CandidateEpoch */
    0,    0,    0,           1,               /* CandidateId */
    0,    0,    0,           4,               /* LastOffsetEpoch */
    0,    0,    0,           0, 0, 0, 0, 100, /* LastOffset */
    0x00, 0x00, 0x00,                         /* tags: partition, topic, request */
};

/* v2: as v0 plus VoterId 2, zero directory ids, PreVote true. */
static const uint8_t golden_request_v2[] = {
    0x00, 0, 0, 0, 2, 0x02, 0x13, TOPIC_BYTES, 0x02,      0,         0,    0,    0,
    0,    0, 0, 5, 0, 0,    0,    1,           ZERO_UUID, ZERO_UUID, 0,    0,    0,
    4,    0, 0, 0, 0, 0,    0,    0,           100,       0x01,      0x00, 0x00, 0x00,
};

/* Response: no error, partition 0, leader 1 epoch 5, granted. */
static const uint8_t golden_response_v0[] = {
    0, 0, 0x02, 0x13, TOPIC_BYTES, 0x02, 0, 0, 0,    0,    0,    0,
    0, 0, 0,    1,    0,           0,    0, 5, 0x01, 0x00, 0x00, 0x00,
};

static struct api_vote_request sample_request(bool pre_vote)
{
    struct api_vote_request req = {
        .cluster_id = wire_string_null(),
        .voter_id = 2,
        .has_partition = true,
        .topic_name = wire_string_from("__cluster_metadata"),
        .replica_epoch = 5,
        .replica_id = 1,
        .last_offset_epoch = 4,
        .last_offset = 100,
        .pre_vote = pre_vote,
    };
    return req;
}

static void check_encoded(const struct wire_writer *w, const uint8_t *golden, size_t size)
{
    assert_int_equal(w->err, KS_OK);
    assert_int_equal(w->size_bytes, size);
    assert_memory_equal(w->bytes, golden, size);
}

static void test_request_golden_both_ways(void **state)
{
    struct wire_writer w;
    wire_writer_init(&w);
    struct api_vote_request req = sample_request(false);
    api_vote_request_encode(&w, 0, &req);
    check_encoded(&w, golden_request_v0, sizeof(golden_request_v0));
    wire_writer_reset(&w);
    req.pre_vote = true;
    api_vote_request_encode(&w, 2, &req);
    check_encoded(&w, golden_request_v2, sizeof(golden_request_v2));
    wire_writer_free(&w);

    struct api_vote_request out;
    assert_int_equal(api_vote_request_decode(2, golden_request_v2, sizeof(golden_request_v2), &out),
                     KS_OK);
    assert_true(out.has_partition);
    assert_true(wire_string_equal_cstr(out.topic_name, "__cluster_metadata"));
    assert_true(wire_string_is_null(out.cluster_id));
    assert_int_equal(out.voter_id, 2);
    assert_int_equal(out.replica_epoch, 5);
    assert_int_equal(out.replica_id, 1);
    assert_int_equal(out.last_offset_epoch, 4);
    assert_int_equal(out.last_offset, 100);
    assert_true(out.pre_vote);
    assert_int_equal(api_vote_request_decode(0, golden_request_v0, sizeof(golden_request_v0), &out),
                     KS_OK);
    assert_false(out.pre_vote);
    assert_int_equal(out.voter_id, -1);
}

static void test_response_golden_both_ways(void **state)
{
    struct api_vote_response resp = {
        .has_partition = true,
        .topic_name = wire_string_from("__cluster_metadata"),
        .leader_id = 1,
        .leader_epoch = 5,
        .vote_granted = true,
    };
    struct wire_writer w;
    wire_writer_init(&w);
    api_vote_response_encode(&w, 0, &resp);
    check_encoded(&w, golden_response_v0, sizeof(golden_response_v0));
    wire_writer_free(&w);
    struct api_vote_response out;
    for (int16_t v = 0; v <= API_VOTE_VERSION_MAX; v++) {
        assert_int_equal(
            api_vote_response_decode(v, golden_response_v0, sizeof(golden_response_v0), &out),
            KS_OK);
        assert_int_equal(out.leader_id, 1);
        assert_int_equal(out.leader_epoch, 5);
        assert_true(out.vote_granted);
    }
}

static void test_truncated_and_bad_input(void **state)
{
    struct api_vote_request req;
    struct api_vote_response resp;
    for (uint32_t n = 0; n < sizeof(golden_request_v2); n++)
        assert_int_not_equal(api_vote_request_decode(2, golden_request_v2, n, &req), KS_OK);
    for (uint32_t n = 0; n < sizeof(golden_response_v0); n++)
        assert_int_not_equal(api_vote_response_decode(0, golden_response_v0, n, &resp), KS_OK);
    uint8_t two_topics[sizeof(golden_request_v0)];
    memcpy(two_topics, golden_request_v0, sizeof(two_topics));
    two_topics[1] = 0x03;
    assert_int_equal(api_vote_request_decode(0, two_topics, sizeof(two_topics), &req),
                     KS_ERR_TOO_MANY);
    assert_int_equal(api_vote_request_decode(3, golden_request_v0, sizeof(golden_request_v0), &req),
                     KS_ERR_UNSUPPORTED_VERSION);
    struct wire_writer w;
    wire_writer_init(&w);
    struct api_vote_request pre = sample_request(true);
    api_vote_request_encode(&w, 0, &pre);
    assert_int_equal(w.err, KS_ERR_UNSUPPORTED_VERSION);
    wire_writer_free(&w);
}

static void test_empty_topics_round_trip(void **state)
{
    struct api_vote_response resp = {.error_code = 42};
    struct wire_writer w;
    wire_writer_init(&w);
    api_vote_response_encode(&w, 1, &resp);
    static const uint8_t golden[] = {0, 42, 0x01, 0x00};
    check_encoded(&w, golden, sizeof(golden));
    struct api_vote_response out;
    assert_int_equal(api_vote_response_decode(1, w.bytes, w.size_bytes, &out), KS_OK);
    assert_false(out.has_partition);
    assert_int_equal(out.error_code, 42);
    wire_writer_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_golden_both_ways),
        cmocka_unit_test(test_response_golden_both_ways),
        cmocka_unit_test(test_truncated_and_bad_input),
        cmocka_unit_test(test_empty_topics_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
