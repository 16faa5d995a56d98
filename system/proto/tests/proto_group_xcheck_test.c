/*
 * proto_group_xcheck_test.c: the C half of the consumer-group cross-check with
 * kafka-python (ci/tests/proto_group_kafka_python.sh). For every body kafka-python
 * wrote into $KS_XCHECK_DIR (py_<api>_<req|resp>_v<N>.bin, cproto_*.bin): decode it at
 * its version, re-encode (same bytes), encode the same content from our own structs
 * (same bytes again) and write ours as c_<name>.bin for kafka-python to decode.
 * Skipped when KS_XCHECK_DIR is unset.
 *
 * The content mirrors the script's: group "group-1", member "m-1", generation 3,
 * throttle 7, topics "orders" and "payments", member metadata = ConsumerProtocol
 * subscription v0 (["orders", "payments"], user data "ud"), assignment = v0
 * ([("orders", [0, 1]), ("payments", [2])], empty user data).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "system/group/cproto.h"
#include "system/proto/api_delete_groups.h"
#include "system/proto/api_describe_groups.h"
#include "system/proto/api_find_coordinator.h"
#include "system/proto/api_heartbeat.h"
#include "system/proto/api_join_group.h"
#include "system/proto/api_leave_group.h"
#include "system/proto/api_list_groups.h"
#include "system/proto/api_offset_commit.h"
#include "system/proto/api_offset_fetch.h"
#include "system/proto/api_sync_group.h"
#include "system/proto/tests/group_codec_check.h"

#define XCHECK_PATH_SIZE_MAX 4096u
#define XCHECK_FILE_SIZE_MAX 65536u
#define XCHECK_NAME_SIZE_MAX 64u
#define XCHECK_GROUP "group-1"
#define XCHECK_MEMBER "m-1"
#define XCHECK_GENERATION 3
#define XCHECK_THROTTLE_MS 7

CODEC_ADAPT(fc_req, struct api_find_coordinator_request, api_find_coordinator_request_encode,
            api_find_coordinator_request_decode, api_find_coordinator_request_free);
CODEC_ADAPT(fc_resp, struct api_find_coordinator_response, api_find_coordinator_response_encode,
            api_find_coordinator_response_decode, api_find_coordinator_response_free);
CODEC_ADAPT(jg_req, struct api_join_group_request, api_join_group_request_encode,
            api_join_group_request_decode, api_join_group_request_free);
CODEC_ADAPT(jg_resp, struct api_join_group_response, api_join_group_response_encode,
            api_join_group_response_decode, api_join_group_response_free);
CODEC_ADAPT(sg_req, struct api_sync_group_request, api_sync_group_request_encode,
            api_sync_group_request_decode, api_sync_group_request_free);
CODEC_ADAPT(sg_resp, struct api_sync_group_response, api_sync_group_response_encode,
            api_sync_group_response_decode, codec_free_nothing);
CODEC_ADAPT(hb_req, struct api_heartbeat_request, api_heartbeat_request_encode,
            api_heartbeat_request_decode, codec_free_nothing);
CODEC_ADAPT(hb_resp, struct api_heartbeat_response, api_heartbeat_response_encode,
            api_heartbeat_response_decode, codec_free_nothing);
CODEC_ADAPT(lg_req, struct api_leave_group_request, api_leave_group_request_encode,
            api_leave_group_request_decode, api_leave_group_request_free);
CODEC_ADAPT(lg_resp, struct api_leave_group_response, api_leave_group_response_encode,
            api_leave_group_response_decode, api_leave_group_response_free);
CODEC_ADAPT(oc_req, struct api_offset_commit_request, api_offset_commit_request_encode,
            api_offset_commit_request_decode, api_offset_commit_request_free);
CODEC_ADAPT(oc_resp, struct api_offset_commit_response, api_offset_commit_response_encode,
            api_offset_commit_response_decode, api_offset_commit_response_free);
CODEC_ADAPT(of_req, struct api_offset_fetch_request, api_offset_fetch_request_encode,
            api_offset_fetch_request_decode, api_offset_fetch_request_free);
CODEC_ADAPT(of_resp, struct api_offset_fetch_response, api_offset_fetch_response_encode,
            api_offset_fetch_response_decode, api_offset_fetch_response_free);
CODEC_ADAPT(dg_req, struct api_describe_groups_request, api_describe_groups_request_encode,
            api_describe_groups_request_decode, api_describe_groups_request_free);
CODEC_ADAPT(dg_resp, struct api_describe_groups_response, api_describe_groups_response_encode,
            api_describe_groups_response_decode, api_describe_groups_response_free);
CODEC_ADAPT(lsg_req, struct api_list_groups_request, api_list_groups_request_encode,
            api_list_groups_request_decode, api_list_groups_request_free);
CODEC_ADAPT(lsg_resp, struct api_list_groups_response, api_list_groups_response_encode,
            api_list_groups_response_decode, api_list_groups_response_free);
CODEC_ADAPT(del_req, struct api_delete_groups_request, api_delete_groups_request_encode,
            api_delete_groups_request_decode, api_delete_groups_request_free);
CODEC_ADAPT(del_resp, struct api_delete_groups_response, api_delete_groups_response_encode,
            api_delete_groups_response_decode, api_delete_groups_response_free);

/* ---- files ---- */

static const char *xcheck_dir(void)
{
    const char *dir = getenv("KS_XCHECK_DIR");
    if (dir == NULL || dir[0] == '\0')
        skip();
    return dir;
}

static void xcheck_path(char *path, const char *prefix, const char *name)
{
    int n = snprintf(path, XCHECK_PATH_SIZE_MAX, "%s/%s_%s.bin", xcheck_dir(), prefix, name);
    assert_true(n > 0 && (unsigned)n < XCHECK_PATH_SIZE_MAX);
}

/* Reads py_<name>.bin into an exactly sized buffer; the caller frees. */
static uint8_t *xcheck_read(const char *name, uint32_t *size)
{
    char path[XCHECK_PATH_SIZE_MAX];
    uint8_t *buf = malloc(XCHECK_FILE_SIZE_MAX);
    xcheck_path(path, "py", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    size_t n = fread(buf, 1, XCHECK_FILE_SIZE_MAX, f);
    fclose(f);
    assert_true(n < XCHECK_FILE_SIZE_MAX);
    uint8_t *exact = malloc(n + 1);
    memcpy(exact, buf, n);
    free(buf);
    *size = (uint32_t)n;
    return exact;
}

static void xcheck_write(const char *name, const uint8_t *bytes, uint32_t size)
{
    char path[XCHECK_PATH_SIZE_MAX];
    xcheck_path(path, "c", name);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        fail_msg("cannot create %s", path);
    if (size > 0) /* ListGroups v0-2 requests are empty */
        assert_int_equal(fwrite(bytes, 1, size, f), size);
    assert_int_equal(fclose(f), 0);
}

static void expect_same(const char *name, const uint8_t *a, uint32_t a_size, const uint8_t *b,
                        uint32_t b_size)
{
    if (a_size != b_size || (a_size > 0 && memcmp(a, b, a_size) != 0))
        fail_msg("%s: %u bytes vs kafka-python's %u, or different content", name, a_size, b_size);
}

/* kafka-python's body decodes at v and re-encodes to itself; ours equals it. */
static void xcheck_case(const char *api, const char *kind, int16_t v, const struct codec *c,
                        const void *message)
{
    char name[XCHECK_NAME_SIZE_MAX];
    uint8_t got[CODEC_MESSAGE_SIZE_MAX];
    struct wire_writer ours, again;
    uint32_t size;
    snprintf(name, sizeof(name), "%s_%s_v%d", api, kind, v);
    uint8_t *theirs = xcheck_read(name, &size);
    enum ks_err err = c->decode(v, theirs, size, got);
    if (err != KS_OK)
        fail_msg("%s: cannot decode kafka-python's body: %d", name, err);
    codec_encode(c, v, got, &again);
    expect_same(name, again.bytes, again.size_bytes, theirs, size);
    c->release(got);
    codec_encode(c, v, message, &ours);
    assert_int_equal(ours.err, KS_OK);
    expect_same(name, ours.bytes, ours.size_bytes, theirs, size);
    xcheck_write(name, ours.bytes, ours.size_bytes);
    wire_writer_free(&ours);
    wire_writer_free(&again);
    free(theirs);
}

/* ---- shared content ---- */

static struct wire_writer meta, assign;

static void content_init(void)
{
    struct wire_string topics[2] = {wire_string_from("orders"), wire_string_from("payments")};
    struct cproto_subscription sub = {0, 2,    topics, {(const uint8_t *)"ud", 2},
                                      0, NULL, -1,     wire_string_null()};
    static int32_t p01[] = {0, 1}, p2[] = {2};
    struct cproto_topic_partitions tps[2] = {{wire_string_from("orders"), 2, p01},
                                             {wire_string_from("payments"), 1, p2}};
    struct cproto_assignment a = {0, 2, tps, {(const uint8_t *)"", 0}};
    wire_writer_init(&meta);
    wire_writer_init(&assign);
    cproto_subscription_encode(&meta, &sub);
    cproto_assignment_encode(&assign, &a);
}

static struct wire_bytes meta_bytes(void)
{
    return (struct wire_bytes){meta.bytes, (int32_t)meta.size_bytes};
}

static struct wire_bytes assign_bytes(void)
{
    return (struct wire_bytes){assign.bytes, (int32_t)assign.size_bytes};
}

static int32_t throttle(int16_t v, int16_t first)
{
    return v >= first ? XCHECK_THROTTLE_MS : 0;
}

static void check_find_coordinator(int16_t v)
{
    struct wire_string key = wire_string_from(XCHECK_GROUP);
    struct api_find_coordinator_request req = {0, 1, &key};
    struct api_find_coordinator_coordinator c = {
        wire_string_from(""), 1, wire_string_from("broker-1"), 9092, 0, wire_string_null()};
    struct api_find_coordinator_response resp = {0, 1, &c};
    xcheck_case("find_coordinator", "req", v, &codec_fc_req, &req);
    if (v == 0) /* kafka-python's v1 response lacks ThrottleTimeMs (Kafka: v1+) */
        xcheck_case("find_coordinator", "resp", v, &codec_fc_resp, &resp);
}

static void check_join_group(int16_t v)
{
    struct api_join_group_protocol protocols[2] = {{wire_string_from("range"), meta_bytes()},
                                                   {wire_string_from("roundrobin"), meta_bytes()}};
    struct api_join_group_request req = {
        wire_string_from(XCHECK_GROUP), 10000, 300000,    wire_string_from(""), wire_string_null(),
        wire_string_from("consumer"),   2,     protocols, wire_string_null()};
    struct api_join_group_member members[2] = {
        {wire_string_from(XCHECK_MEMBER), wire_string_null(), meta_bytes()},
        {wire_string_from("m-2"), wire_string_null(), meta_bytes()}};
    struct api_join_group_response resp = {throttle(v, 2),
                                           0,
                                           XCHECK_GENERATION,
                                           wire_string_null(),
                                           wire_string_from("range"),
                                           wire_string_from(XCHECK_MEMBER),
                                           false,
                                           wire_string_from(XCHECK_MEMBER),
                                           2,
                                           members};
    xcheck_case("join_group", "req", v, &codec_jg_req, &req);
    xcheck_case("join_group", "resp", v, &codec_jg_resp, &resp);
}

static void check_sync_group(int16_t v)
{
    struct api_sync_group_assignment assignments[2] = {
        {wire_string_from(XCHECK_MEMBER), assign_bytes()},
        {wire_string_from("m-2"), {(const uint8_t *)"", 0}}};
    struct api_sync_group_request req = {wire_string_from(XCHECK_GROUP),
                                         XCHECK_GENERATION,
                                         wire_string_from(XCHECK_MEMBER),
                                         wire_string_null(),
                                         wire_string_null(),
                                         wire_string_null(),
                                         2,
                                         assignments};
    struct api_sync_group_response resp = {throttle(v, 1), 0, wire_string_null(),
                                           wire_string_null(), assign_bytes()};
    xcheck_case("sync_group", "req", v, &codec_sg_req, &req);
    xcheck_case("sync_group", "resp", v, &codec_sg_resp, &resp);
}

static void check_heartbeat_and_leave(int16_t v)
{
    struct api_heartbeat_request hb = {wire_string_from(XCHECK_GROUP), XCHECK_GENERATION,
                                       wire_string_from(XCHECK_MEMBER), wire_string_null()};
    struct api_heartbeat_response hb_resp = {throttle(v, 1), 27};
    struct api_leave_group_member member = {wire_string_from(XCHECK_MEMBER), wire_string_null(),
                                            wire_string_null()};
    struct api_leave_group_request lg = {wire_string_from(XCHECK_GROUP), 1, &member};
    struct api_leave_group_response lg_resp = {throttle(v, 1), 0, 0, NULL};
    xcheck_case("heartbeat", "req", v, &codec_hb_req, &hb);
    xcheck_case("heartbeat", "resp", v, &codec_hb_resp, &hb_resp);
    xcheck_case("leave_group", "req", v, &codec_lg_req, &lg);
    xcheck_case("leave_group", "resp", v, &codec_lg_resp, &lg_resp);
}

static void check_offset_commit(int16_t v)
{
    struct api_offset_commit_request_partition parts[2] = {
        {0, 42, -1, v == 1 ? 1700000000000 : -1, wire_string_from("meta")},
        {1, 43, -1, -1, wire_string_null()}};
    struct api_offset_commit_request_topic topic = {wire_string_from("orders"), 2, parts};
    struct api_offset_commit_request req = {wire_string_from(XCHECK_GROUP),
                                            v >= 1 ? XCHECK_GENERATION : -1,
                                            wire_string_from(v >= 1 ? XCHECK_MEMBER : ""),
                                            wire_string_null(),
                                            v >= 2 ? 86400000 : -1,
                                            1,
                                            &topic};
    struct api_offset_commit_response_partition rparts[2] = {{0, 0}, {1, 22}};
    struct api_offset_commit_response_topic rtopic = {wire_string_from("orders"), 2, rparts};
    struct api_offset_commit_response resp = {throttle(v, 3), 1, &rtopic};
    xcheck_case("offset_commit", "req", v, &codec_oc_req, &req);
    xcheck_case("offset_commit", "resp", v, &codec_oc_resp, &resp);
}

static void check_offset_fetch(int16_t v)
{
    int32_t indexes[2] = {0, 1};
    struct api_offset_fetch_request_topic topic = {wire_string_from("orders"), 2, indexes};
    struct api_offset_fetch_request_group group = {wire_string_from(XCHECK_GROUP),
                                                   wire_string_null(), -1, 1, &topic};
    struct api_offset_fetch_request req = {1, &group, false};
    struct api_offset_fetch_response_partition parts[2] = {{0, 42, -1, wire_string_from("meta"), 0},
                                                           {1, -1, -1, wire_string_from(""), 3}};
    struct api_offset_fetch_response_topic rtopic = {wire_string_from("orders"), 2, parts};
    struct api_offset_fetch_response_group rgroup = {wire_string_from(""), 1, &rtopic, 0};
    struct api_offset_fetch_response resp = {throttle(v, 3), 1, &rgroup};
    xcheck_case("offset_fetch", "req", v, &codec_of_req, &req);
    xcheck_case("offset_fetch", "resp", v, &codec_of_resp, &resp);
}

static void check_describe_groups(int16_t v)
{
    struct wire_string names[2] = {wire_string_from(XCHECK_GROUP), wire_string_from("group-2")};
    struct api_describe_groups_request req = {2, names, v >= 3};
    struct api_describe_groups_member member = {
        wire_string_from(XCHECK_MEMBER), wire_string_null(), wire_string_from("client-1"),
        wire_string_from("/10.0.0.1"),   meta_bytes(),       assign_bytes()};
    struct api_describe_groups_group groups[2] = {
        {0, wire_string_from(XCHECK_GROUP), wire_string_from("Stable"),
         wire_string_from("consumer"), wire_string_from("range"), 1, &member,
         API_DESCRIBE_GROUPS_AUTHORIZED_OPERATIONS_UNSET},
        {69, wire_string_from("group-2"), wire_string_from("Dead"), wire_string_from(""),
         wire_string_from(""), 0, NULL, API_DESCRIBE_GROUPS_AUTHORIZED_OPERATIONS_UNSET}};
    struct api_describe_groups_response resp = {throttle(v, 1), 2, groups};
    xcheck_case("describe_groups", "req", v, &codec_dg_req, &req);
    if (v <= 2) /* kafka-python's v3 response lacks AuthorizedOperations */
        xcheck_case("describe_groups", "resp", v, &codec_dg_resp, &resp);
}

static void check_list_and_delete_groups(int16_t v)
{
    struct api_list_groups_request lreq = {0, NULL, 0, NULL};
    struct api_list_groups_group listed[2] = {{wire_string_from(XCHECK_GROUP),
                                               wire_string_from("consumer"), wire_string_from(""),
                                               wire_string_from("")},
                                              {wire_string_from("group-2"), wire_string_from(""),
                                               wire_string_from(""), wire_string_from("")}};
    struct api_list_groups_response lresp = {throttle(v, 1), 0, 2, listed};
    struct wire_string names[2] = {wire_string_from(XCHECK_GROUP), wire_string_from("group-2")};
    struct api_delete_groups_request dreq = {2, names};
    struct api_delete_groups_result results[2] = {{wire_string_from(XCHECK_GROUP), 0},
                                                  {wire_string_from("group-2"), 69}};
    struct api_delete_groups_response dresp = {XCHECK_THROTTLE_MS, 2, results};
    xcheck_case("list_groups", "req", v, &codec_lsg_req, &lreq);
    xcheck_case("list_groups", "resp", v, &codec_lsg_resp, &lresp);
    if (v <= 1) {
        xcheck_case("delete_groups", "req", v, &codec_del_req, &dreq);
        xcheck_case("delete_groups", "resp", v, &codec_del_resp, &dresp);
    }
}

/* ---- tests ---- */

static void test_group_apis(void **state)
{
    xcheck_dir();
    content_init();
    for (int16_t v = 0; v <= 3; v++) {
        if (v <= 1) {
            check_find_coordinator(v);
            check_sync_group(v);
            check_heartbeat_and_leave(v);
        }
        if (v <= 2) {
            check_join_group(v);
            check_list_and_delete_groups(v);
        }
        check_offset_commit(v);
        check_offset_fetch(v);
        check_describe_groups(v);
    }
    wire_writer_free(&meta);
    wire_writer_free(&assign);
}

static void test_consumer_protocol(void **state)
{
    uint32_t size;
    struct cproto_subscription sub;
    struct cproto_assignment a;
    struct wire_writer again;
    xcheck_dir();
    content_init();
    uint8_t *theirs = xcheck_read("cproto_subscription_v0", &size);
    expect_same("cproto_subscription_v0", meta.bytes, meta.size_bytes, theirs, size);
    assert_int_equal(cproto_subscription_decode(theirs, size, &sub), KS_OK);
    assert_int_equal(sub.topic_count, 2);
    assert_true(wire_string_equal_cstr(sub.topics[1], "payments"));
    wire_writer_init(&again);
    cproto_subscription_encode(&again, &sub);
    expect_same("cproto_subscription_v0", again.bytes, again.size_bytes, theirs, size);
    cproto_subscription_free(&sub);
    xcheck_write("cproto_subscription_v0", meta.bytes, meta.size_bytes);
    free(theirs);
    theirs = xcheck_read("cproto_assignment_v0", &size);
    expect_same("cproto_assignment_v0", assign.bytes, assign.size_bytes, theirs, size);
    assert_int_equal(cproto_assignment_decode(theirs, size, &a), KS_OK);
    assert_int_equal(a.assigned_partitions[1].partitions[0], 2);
    wire_writer_reset(&again);
    cproto_assignment_encode(&again, &a);
    expect_same("cproto_assignment_v0", again.bytes, again.size_bytes, theirs, size);
    cproto_assignment_free(&a);
    xcheck_write("cproto_assignment_v0", assign.bytes, assign.size_bytes);
    free(theirs);
    wire_writer_free(&again);
    wire_writer_free(&meta);
    wire_writer_free(&assign);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_group_apis),
        cmocka_unit_test(test_consumer_protocol),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
