/*
 * proto_group_fuzz.c: arbitrary bytes into every consumer-group decoder: the requests
 * and responses of FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * OffsetCommit, OffsetFetch, DescribeGroups, ListGroups and DeleteGroups, the consumer
 * protocol payloads (system/group/cproto) and the __consumer_offsets records
 * (system/group/offsets_rec, with their dump-log description). libFuzzer entry point.
 *
 * Input: byte 0 picks the decoder (modulo their number), byte 1 the version (modulo
 * 16, so unknown versions are tried too), the rest is the body. Whatever decodes must
 * re-encode, and that encoding must decode and re-encode to the same bytes
 * (encode(decode(encode(x))) == encode(x)). Anything else is a bug: abort.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/group/cproto.h"
#include "system/group/offsets_rec.h"
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

/* Largest decoded message struct; checked against each codec's size. */
#define FUZZ_MESSAGE_SIZE_MAX 256u
/* Versions tried: 0..15 (every API's range lies inside). */
#define FUZZ_VERSIONS 16
/* Text the description may take. */
#define FUZZ_DESCRIBE_SIZE 512u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check(bool ok)
{
    if (!ok)
        abort();
}

struct fuzz_codec {
    size_t message_size;
    void (*encode)(struct wire_writer *w, int16_t version, const void *message);
    enum ks_err (*decode)(int16_t version, const uint8_t *bytes, uint32_t size, void *out);
    void (*release)(void *message);
};

static void release_nothing(void *message)
{
    (void)message;
}

#define FUZZ_ADAPT(name, type, encode_fn, decode_fn, free_fn)                                      \
    static void name##_encode(struct wire_writer *w, int16_t v, const void *m)                     \
    {                                                                                              \
        encode_fn(w, v, (const type *)m);                                                          \
    }                                                                                              \
    static enum ks_err name##_decode(int16_t v, const uint8_t *b, uint32_t n, void *out)           \
    {                                                                                              \
        return decode_fn(v, b, n, (type *)out);                                                    \
    }                                                                                              \
    static void name##_release(void *m)                                                            \
    {                                                                                              \
        free_fn((type *)m);                                                                        \
    }

#define FUZZ_ENTRY(name, type)                                                                     \
    {                                                                                              \
        sizeof(type), name##_encode, name##_decode, name##_release                                 \
    }

FUZZ_ADAPT(fc_req, struct api_find_coordinator_request, api_find_coordinator_request_encode,
           api_find_coordinator_request_decode, api_find_coordinator_request_free)
FUZZ_ADAPT(fc_resp, struct api_find_coordinator_response, api_find_coordinator_response_encode,
           api_find_coordinator_response_decode, api_find_coordinator_response_free)
FUZZ_ADAPT(jg_req, struct api_join_group_request, api_join_group_request_encode,
           api_join_group_request_decode, api_join_group_request_free)
FUZZ_ADAPT(jg_resp, struct api_join_group_response, api_join_group_response_encode,
           api_join_group_response_decode, api_join_group_response_free)
FUZZ_ADAPT(sg_req, struct api_sync_group_request, api_sync_group_request_encode,
           api_sync_group_request_decode, api_sync_group_request_free)
FUZZ_ADAPT(sg_resp, struct api_sync_group_response, api_sync_group_response_encode,
           api_sync_group_response_decode, release_nothing)
FUZZ_ADAPT(hb_req, struct api_heartbeat_request, api_heartbeat_request_encode,
           api_heartbeat_request_decode, release_nothing)
FUZZ_ADAPT(hb_resp, struct api_heartbeat_response, api_heartbeat_response_encode,
           api_heartbeat_response_decode, release_nothing)
FUZZ_ADAPT(lg_req, struct api_leave_group_request, api_leave_group_request_encode,
           api_leave_group_request_decode, api_leave_group_request_free)
FUZZ_ADAPT(lg_resp, struct api_leave_group_response, api_leave_group_response_encode,
           api_leave_group_response_decode, api_leave_group_response_free)
FUZZ_ADAPT(oc_req, struct api_offset_commit_request, api_offset_commit_request_encode,
           api_offset_commit_request_decode, api_offset_commit_request_free)
FUZZ_ADAPT(oc_resp, struct api_offset_commit_response, api_offset_commit_response_encode,
           api_offset_commit_response_decode, api_offset_commit_response_free)
FUZZ_ADAPT(of_req, struct api_offset_fetch_request, api_offset_fetch_request_encode,
           api_offset_fetch_request_decode, api_offset_fetch_request_free)
FUZZ_ADAPT(of_resp, struct api_offset_fetch_response, api_offset_fetch_response_encode,
           api_offset_fetch_response_decode, api_offset_fetch_response_free)
FUZZ_ADAPT(dg_req, struct api_describe_groups_request, api_describe_groups_request_encode,
           api_describe_groups_request_decode, api_describe_groups_request_free)
FUZZ_ADAPT(dg_resp, struct api_describe_groups_response, api_describe_groups_response_encode,
           api_describe_groups_response_decode, api_describe_groups_response_free)
FUZZ_ADAPT(lsg_req, struct api_list_groups_request, api_list_groups_request_encode,
           api_list_groups_request_decode, api_list_groups_request_free)
FUZZ_ADAPT(lsg_resp, struct api_list_groups_response, api_list_groups_response_encode,
           api_list_groups_response_decode, api_list_groups_response_free)
FUZZ_ADAPT(del_req, struct api_delete_groups_request, api_delete_groups_request_encode,
           api_delete_groups_request_decode, api_delete_groups_request_free)
FUZZ_ADAPT(del_resp, struct api_delete_groups_response, api_delete_groups_response_encode,
           api_delete_groups_response_decode, api_delete_groups_response_free)

/* The payloads carry their own version; the fuzzer's version byte is ignored. */
static void sub_encode(struct wire_writer *w, int16_t v, const void *m)
{
    struct cproto_subscription s = *(const struct cproto_subscription *)m;
    s.version = s.version > CPROTO_VERSION_MAX ? CPROTO_VERSION_MAX : s.version;
    cproto_subscription_encode(w, &s);
}
static enum ks_err sub_decode(int16_t v, const uint8_t *b, uint32_t n, void *out)
{
    return cproto_subscription_decode(b, n, out);
}
static void sub_release(void *m)
{
    cproto_subscription_free(m);
}
static void asg_encode(struct wire_writer *w, int16_t v, const void *m)
{
    struct cproto_assignment a = *(const struct cproto_assignment *)m;
    a.version = a.version > CPROTO_VERSION_MAX ? CPROTO_VERSION_MAX : a.version;
    cproto_assignment_encode(w, &a);
}
static enum ks_err asg_decode(int16_t v, const uint8_t *b, uint32_t n, void *out)
{
    return cproto_assignment_decode(b, n, out);
}
static void asg_release(void *m)
{
    cproto_assignment_free(m);
}
static void sticky_encode(struct wire_writer *w, int16_t v, const void *m)
{
    cproto_sticky_user_data_encode(w, m);
}
static enum ks_err sticky_decode(int16_t v, const uint8_t *b, uint32_t n, void *out)
{
    return cproto_sticky_user_data_decode(b, n, out);
}
static void sticky_release(void *m)
{
    cproto_sticky_user_data_free(m);
}
static void key_encode(struct wire_writer *w, int16_t v, const void *m)
{
    offrec_key_encode(w, m);
}
static enum ks_err key_decode(int16_t v, const uint8_t *b, uint32_t n, void *out)
{
    return offrec_key_decode(b, n, out);
}
static void commit_encode(struct wire_writer *w, int16_t v, const void *m)
{
    struct offrec_offset_commit_value c = *(const struct offrec_offset_commit_value *)m;
    c.version = c.version > OFFREC_VALUE_VERSION_MAX ? OFFREC_VALUE_VERSION_MAX : c.version;
    offrec_offset_commit_value_encode(w, &c);
}
static enum ks_err commit_decode(int16_t v, const uint8_t *b, uint32_t n, void *out)
{
    return offrec_offset_commit_value_decode(b, n, out);
}
static void group_encode(struct wire_writer *w, int16_t v, const void *m)
{
    struct offrec_group_metadata_value g = *(const struct offrec_group_metadata_value *)m;
    g.version = g.version > OFFREC_VALUE_VERSION_MAX ? OFFREC_VALUE_VERSION_MAX : g.version;
    offrec_group_metadata_value_encode(w, &g);
}
static enum ks_err group_decode(int16_t v, const uint8_t *b, uint32_t n, void *out)
{
    return offrec_group_metadata_value_decode(b, n, out);
}
static void group_release(void *m)
{
    offrec_group_metadata_value_free(m);
}

static const struct fuzz_codec fuzz_codecs[] = {
    FUZZ_ENTRY(fc_req, struct api_find_coordinator_request),
    FUZZ_ENTRY(fc_resp, struct api_find_coordinator_response),
    FUZZ_ENTRY(jg_req, struct api_join_group_request),
    FUZZ_ENTRY(jg_resp, struct api_join_group_response),
    FUZZ_ENTRY(sg_req, struct api_sync_group_request),
    FUZZ_ENTRY(sg_resp, struct api_sync_group_response),
    FUZZ_ENTRY(hb_req, struct api_heartbeat_request),
    FUZZ_ENTRY(hb_resp, struct api_heartbeat_response),
    FUZZ_ENTRY(lg_req, struct api_leave_group_request),
    FUZZ_ENTRY(lg_resp, struct api_leave_group_response),
    FUZZ_ENTRY(oc_req, struct api_offset_commit_request),
    FUZZ_ENTRY(oc_resp, struct api_offset_commit_response),
    FUZZ_ENTRY(of_req, struct api_offset_fetch_request),
    FUZZ_ENTRY(of_resp, struct api_offset_fetch_response),
    FUZZ_ENTRY(dg_req, struct api_describe_groups_request),
    FUZZ_ENTRY(dg_resp, struct api_describe_groups_response),
    FUZZ_ENTRY(lsg_req, struct api_list_groups_request),
    FUZZ_ENTRY(lsg_resp, struct api_list_groups_response),
    FUZZ_ENTRY(del_req, struct api_delete_groups_request),
    FUZZ_ENTRY(del_resp, struct api_delete_groups_response),
    {sizeof(struct cproto_subscription), sub_encode, sub_decode, sub_release},
    {sizeof(struct cproto_assignment), asg_encode, asg_decode, asg_release},
    {sizeof(struct cproto_sticky_user_data), sticky_encode, sticky_decode, sticky_release},
    {sizeof(struct offrec_key), key_encode, key_decode, release_nothing},
    {sizeof(struct offrec_offset_commit_value), commit_encode, commit_decode, release_nothing},
    {sizeof(struct offrec_group_metadata_value), group_encode, group_decode, group_release},
};

/* Decode; if that works, encode(decode(encode(x))) must equal encode(x). */
static void fuzz_codec_run(const struct fuzz_codec *c, int16_t v, const uint8_t *body,
                           uint32_t size)
{
    uint8_t first[FUZZ_MESSAGE_SIZE_MAX], second[FUZZ_MESSAGE_SIZE_MAX];
    struct wire_writer w1, w2;
    fuzz_check(c->message_size <= FUZZ_MESSAGE_SIZE_MAX);
    if (c->decode(v, body, size, first) != KS_OK)
        return;
    wire_writer_init(&w1);
    wire_writer_init(&w2);
    c->encode(&w1, v, first);
    fuzz_check(w1.err == KS_OK);
    fuzz_check(c->decode(v, w1.bytes, w1.size_bytes, second) == KS_OK);
    c->encode(&w2, v, second);
    fuzz_check(w2.err == KS_OK && w2.size_bytes == w1.size_bytes);
    fuzz_check(w1.size_bytes == 0 || memcmp(w1.bytes, w2.bytes, w1.size_bytes) == 0);
    c->release(second);
    c->release(first);
    wire_writer_free(&w2);
    wire_writer_free(&w1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[FUZZ_DESCRIBE_SIZE];
    if (size < 2 || size > UINT32_MAX)
        return 0;
    const struct fuzz_codec *c = &fuzz_codecs[data[0] % KS_ARRAY_COUNT(fuzz_codecs)];
    int16_t version = (int16_t)(data[1] % FUZZ_VERSIONS);
    const uint8_t *body = data + 2;
    uint32_t body_size = (uint32_t)(size - 2);
    fuzz_codec_run(c, version, body, body_size);
    /* The body as a record value under each kind of key, and as a key. */
    static const uint8_t commit_key[] = {0x00, 0x01, 0x00, 0x01, 'g', 0x00, 0x01, 't', 0, 0, 0, 0};
    static const uint8_t group_key[] = {0x00, 0x02, 0x00, 0x01, 'g'};
    uint32_t n =
        offrec_describe(commit_key, sizeof(commit_key), body, body_size, text, sizeof(text));
    fuzz_check(n < sizeof(text) ? strlen(text) == n : strlen(text) == sizeof(text) - 1);
    offrec_describe(group_key, sizeof(group_key), body, body_size, text, sizeof(text));
    offrec_describe(body, body_size, NULL, 0, text, sizeof(text));
    return 0;
}
