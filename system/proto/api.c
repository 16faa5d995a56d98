/*
 * api.c: the API key table and the ApiVersions codec. Kafka: ApiKeys,
 * ApiVersionsRequest.json and ApiVersionsResponse.json (v0-v3; v3 flexible, KIP-482),
 * KIP-511 (client software name, the v0 fallback), KIP-584 (feature tags).
 *
 * The first flexible version of each key is copied from Kafka's JSON schemas (4.0
 * line); the implemented range says what this project decodes and advertises, and
 * grows as codecs are added (one api_<name>.c per API).
 */
#include "system/proto/api.h"

#include <string.h>

/* Indexed by key; every key Kafka defines is here. */
static const struct api_info api_table[API_KEY_MAX + 1] = {
    [0] = {0, "Produce", API_VERSION_NONE, API_VERSION_NONE, 9},
    [1] = {1, "Fetch", API_VERSION_NONE, API_VERSION_NONE, 12},
    [2] = {2, "ListOffsets", API_VERSION_NONE, API_VERSION_NONE, 6},
    [3] = {3, "Metadata", 0, 12, 9},
    [4] = {4, "LeaderAndIsr", API_VERSION_NONE, API_VERSION_NONE, 4},
    [5] = {5, "StopReplica", API_VERSION_NONE, API_VERSION_NONE, 2},
    [6] = {6, "UpdateMetadata", API_VERSION_NONE, API_VERSION_NONE, 6},
    [7] = {7, "ControlledShutdown", API_VERSION_NONE, API_VERSION_NONE, 3},
    [8] = {8, "OffsetCommit", 0, 9, 8},
    [9] = {9, "OffsetFetch", 0, 9, 6},
    [10] = {10, "FindCoordinator", 0, 6, 3},
    [11] = {11, "JoinGroup", 0, 9, 6},
    [12] = {12, "Heartbeat", 0, 4, 4},
    [13] = {13, "LeaveGroup", 0, 5, 4},
    [14] = {14, "SyncGroup", 0, 5, 4},
    [15] = {15, "DescribeGroups", 0, 5, 5},
    [16] = {16, "ListGroups", 0, 5, 3},
    [17] = {17, "SaslHandshake", API_VERSION_NONE, API_VERSION_NONE, API_VERSION_NONE},
    [18] = {18, "ApiVersions", 0, 3, 3},
    [19] = {19, "CreateTopics", 0, 7, 5},
    [20] = {20, "DeleteTopics", 0, 6, 4},
    [21] = {21, "DeleteRecords", API_VERSION_NONE, API_VERSION_NONE, 2},
    [22] = {22, "InitProducerId", API_VERSION_NONE, API_VERSION_NONE, 2},
    [23] = {23, "OffsetForLeaderEpoch", API_VERSION_NONE, API_VERSION_NONE, 4},
    [24] = {24, "AddPartitionsToTxn", API_VERSION_NONE, API_VERSION_NONE, 3},
    [25] = {25, "AddOffsetsToTxn", API_VERSION_NONE, API_VERSION_NONE, 3},
    [26] = {26, "EndTxn", API_VERSION_NONE, API_VERSION_NONE, 3},
    [27] = {27, "WriteTxnMarkers", API_VERSION_NONE, API_VERSION_NONE, 1},
    [28] = {28, "TxnOffsetCommit", API_VERSION_NONE, API_VERSION_NONE, 3},
    [29] = {29, "DescribeAcls", API_VERSION_NONE, API_VERSION_NONE, 2},
    [30] = {30, "CreateAcls", API_VERSION_NONE, API_VERSION_NONE, 2},
    [31] = {31, "DeleteAcls", API_VERSION_NONE, API_VERSION_NONE, 2},
    [32] = {32, "DescribeConfigs", API_VERSION_NONE, API_VERSION_NONE, 4},
    [33] = {33, "AlterConfigs", API_VERSION_NONE, API_VERSION_NONE, 2},
    [34] = {34, "AlterReplicaLogDirs", API_VERSION_NONE, API_VERSION_NONE, 2},
    [35] = {35, "DescribeLogDirs", API_VERSION_NONE, API_VERSION_NONE, 2},
    [36] = {36, "SaslAuthenticate", API_VERSION_NONE, API_VERSION_NONE, 2},
    [37] = {37, "CreatePartitions", API_VERSION_NONE, API_VERSION_NONE, 2},
    [38] = {38, "CreateDelegationToken", API_VERSION_NONE, API_VERSION_NONE, 2},
    [39] = {39, "RenewDelegationToken", API_VERSION_NONE, API_VERSION_NONE, 2},
    [40] = {40, "ExpireDelegationToken", API_VERSION_NONE, API_VERSION_NONE, 2},
    [41] = {41, "DescribeDelegationToken", API_VERSION_NONE, API_VERSION_NONE, 2},
    [42] = {42, "DeleteGroups", 0, 2, 2},
    [43] = {43, "ElectLeaders", API_VERSION_NONE, API_VERSION_NONE, 2},
    [44] = {44, "IncrementalAlterConfigs", API_VERSION_NONE, API_VERSION_NONE, 1},
    [45] = {45, "AlterPartitionReassignments", API_VERSION_NONE, API_VERSION_NONE, 0},
    [46] = {46, "ListPartitionReassignments", API_VERSION_NONE, API_VERSION_NONE, 0},
    [47] = {47, "OffsetDelete", API_VERSION_NONE, API_VERSION_NONE, API_VERSION_NONE},
    [48] = {48, "DescribeClientQuotas", API_VERSION_NONE, API_VERSION_NONE, 1},
    [49] = {49, "AlterClientQuotas", API_VERSION_NONE, API_VERSION_NONE, 1},
    [50] = {50, "DescribeUserScramCredentials", API_VERSION_NONE, API_VERSION_NONE, 0},
    [51] = {51, "AlterUserScramCredentials", API_VERSION_NONE, API_VERSION_NONE, 0},
    [52] = {52, "Vote", API_VERSION_NONE, API_VERSION_NONE, 0},
    [53] = {53, "BeginQuorumEpoch", API_VERSION_NONE, API_VERSION_NONE, 1},
    [54] = {54, "EndQuorumEpoch", API_VERSION_NONE, API_VERSION_NONE, 1},
    [55] = {55, "DescribeQuorum", API_VERSION_NONE, API_VERSION_NONE, 0},
    [56] = {56, "AlterPartition", API_VERSION_NONE, API_VERSION_NONE, 0},
    [57] = {57, "UpdateFeatures", API_VERSION_NONE, API_VERSION_NONE, 0},
    [58] = {58, "Envelope", API_VERSION_NONE, API_VERSION_NONE, 0},
    [59] = {59, "FetchSnapshot", API_VERSION_NONE, API_VERSION_NONE, 0},
    [60] = {60, "DescribeCluster", API_VERSION_NONE, API_VERSION_NONE, 0},
    [61] = {61, "DescribeProducers", API_VERSION_NONE, API_VERSION_NONE, 0},
    [62] = {62, "BrokerRegistration", 0, 4, 0},
    [63] = {63, "BrokerHeartbeat", 0, 1, 0},
    [64] = {64, "UnregisterBroker", API_VERSION_NONE, API_VERSION_NONE, 0},
    [65] = {65, "DescribeTransactions", API_VERSION_NONE, API_VERSION_NONE, 0},
    [66] = {66, "ListTransactions", API_VERSION_NONE, API_VERSION_NONE, 0},
    [67] = {67, "AllocateProducerIds", API_VERSION_NONE, API_VERSION_NONE, 0},
    [68] = {68, "ConsumerGroupHeartbeat", API_VERSION_NONE, API_VERSION_NONE, 0},
    [69] = {69, "ConsumerGroupDescribe", API_VERSION_NONE, API_VERSION_NONE, 0},
    [70] = {70, "ControllerRegistration", API_VERSION_NONE, API_VERSION_NONE, 0},
    [71] = {71, "GetTelemetrySubscriptions", API_VERSION_NONE, API_VERSION_NONE, 0},
    [72] = {72, "PushTelemetry", API_VERSION_NONE, API_VERSION_NONE, 0},
    [73] = {73, "AssignReplicasToDirs", API_VERSION_NONE, API_VERSION_NONE, 0},
    [74] = {74, "ListClientMetricsResources", API_VERSION_NONE, API_VERSION_NONE, 0},
    [75] = {75, "DescribeTopicPartitions", API_VERSION_NONE, API_VERSION_NONE, 0},
    [76] = {76, "ShareGroupHeartbeat", API_VERSION_NONE, API_VERSION_NONE, 0},
    [77] = {77, "ShareGroupDescribe", API_VERSION_NONE, API_VERSION_NONE, 0},
    [78] = {78, "ShareFetch", API_VERSION_NONE, API_VERSION_NONE, 0},
    [79] = {79, "ShareAcknowledge", API_VERSION_NONE, API_VERSION_NONE, 0},
    [80] = {80, "AddRaftVoter", API_VERSION_NONE, API_VERSION_NONE, 0},
    [81] = {81, "RemoveRaftVoter", API_VERSION_NONE, API_VERSION_NONE, 0},
    [82] = {82, "UpdateRaftVoter", API_VERSION_NONE, API_VERSION_NONE, 0},
    [83] = {83, "InitializeShareGroupState", API_VERSION_NONE, API_VERSION_NONE, 0},
    [84] = {84, "ReadShareGroupState", API_VERSION_NONE, API_VERSION_NONE, 0},
    [85] = {85, "WriteShareGroupState", API_VERSION_NONE, API_VERSION_NONE, 0},
    [86] = {86, "DeleteShareGroupState", API_VERSION_NONE, API_VERSION_NONE, 0},
    [87] = {87, "ReadShareGroupStateSummary", API_VERSION_NONE, API_VERSION_NONE, 0},
};
_Static_assert(KS_ARRAY_COUNT(api_table) == API_KEY_MAX + 1, "one entry a key");

/* Wire sizes, at least, of one ApiKeys entry and one feature entry. */
#define API_VERSIONS_KEY_SIZE_MIN 6u
#define API_VERSIONS_FEATURE_SIZE_MIN 6u

const struct api_info *api_info(int16_t api_key)
{
    if (api_key < 0 || api_key > API_KEY_MAX)
        return NULL;
    const struct api_info *info = &api_table[api_key];
    KS_ASSERT(info->key == api_key);
    KS_ASSERT(info->name != NULL);
    return info;
}

const char *api_name(int16_t api_key)
{
    const struct api_info *info = api_info(api_key);
    return info == NULL ? "Unknown" : info->name;
}

bool api_version_implemented(int16_t api_key, int16_t api_version)
{
    const struct api_info *info = api_info(api_key);
    if (info == NULL || info->version_min == API_VERSION_NONE)
        return false;
    KS_ASSERT(info->version_min <= info->version_max);
    return api_version >= info->version_min && api_version <= info->version_max;
}

bool api_version_is_flexible(int16_t api_key, int16_t api_version)
{
    const struct api_info *info = api_info(api_key);
    if (info == NULL || info->flexible_version_first == API_VERSION_NONE)
        return false;
    return api_version >= info->flexible_version_first;
}

/* ---- ApiVersions request ---- */

enum ks_err api_versions_request_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                        struct api_versions_request *out)
{
    struct wire_reader r;
    out->client_software_name = wire_string_from("");
    out->client_software_version = wire_string_from("");
    if (version < API_VERSIONS_VERSION_MIN || version > API_VERSIONS_VERSION_MAX)
        return KS_ERR_UNSUPPORTED_VERSION;
    wire_reader_init(&r, body, size_bytes);
    if (version >= API_VERSIONS_FLEXIBLE_VERSION_FIRST) {
        out->client_software_name = wire_read_compact_string(&r);
        out->client_software_version = wire_read_compact_string(&r);
        wire_skip_tagged_fields(&r);
    }
    return wire_reader_finish(&r);
}

void api_versions_request_encode(struct wire_writer *w, int16_t version,
                                 const struct api_versions_request *request)
{
    KS_ASSERT(version >= API_VERSIONS_VERSION_MIN);
    KS_ASSERT(version <= API_VERSIONS_VERSION_MAX);
    if (version < API_VERSIONS_FLEXIBLE_VERSION_FIRST)
        return; /* empty body */
    wire_write_compact_string(w, request->client_software_name);
    wire_write_compact_string(w, request->client_software_version);
    wire_write_empty_tagged_fields(w);
}

static bool software_char_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? */
static bool software_string_valid(struct wire_string s)
{
    if (wire_string_is_null(s) || s.length == 0)
        return false;
    if (!software_char_alnum(s.chars[0]) || !software_char_alnum(s.chars[s.length - 1]))
        return false;
    for (int32_t i = 1; i < s.length - 1; i++) {
        char c = s.chars[i];
        if (!software_char_alnum(c) && c != '-' && c != '.')
            return false;
    }
    return true;
}

bool api_versions_request_valid(int16_t version, const struct api_versions_request *request)
{
    if (version < API_VERSIONS_FLEXIBLE_VERSION_FIRST)
        return true;
    return software_string_valid(request->client_software_name) &&
           software_string_valid(request->client_software_version);
}

/* ---- ApiVersions response ---- */

static void response_clear(struct api_versions_response *out)
{
    memset(out, 0, sizeof(*out));
    out->finalized_features_epoch = -1;
}

void api_versions_response_build(struct api_versions_response *out)
{
    response_clear(out);
    for (int16_t key = 0; key <= API_KEY_MAX; key++) {
        const struct api_info *info = api_info(key);
        if (info->version_min == API_VERSION_NONE)
            continue;
        KS_ASSERT(out->key_count < API_VERSIONS_KEYS_MAX);
        struct api_versions_key *entry = &out->keys[out->key_count++];
        entry->api_key = key;
        entry->version_min = info->version_min;
        entry->version_max = info->version_max;
    }
    KS_ASSERT(out->key_count > 0); /* ApiVersions itself, at least */
}

enum ks_err api_versions_answer_from(int16_t request_version, const uint8_t *body,
                                     uint32_t size_bytes, const struct api_versions_key *keys,
                                     uint32_t key_count, struct api_versions_response *out,
                                     int16_t *response_version)
{
    struct api_versions_request request;
    KS_ASSERT(key_count > 0); /* ApiVersions itself, at least */
    KS_ASSERT(key_count <= API_VERSIONS_KEYS_MAX);
    response_clear(out);
    *response_version = 0;
    if (request_version < API_VERSIONS_VERSION_MIN || request_version > API_VERSIONS_VERSION_MAX) {
        out->error_code = KS_ERR_UNSUPPORTED_VERSION;
        out->key_count = 1;
        out->keys[0].api_key = API_API_VERSIONS;
        out->keys[0].version_min = API_VERSIONS_VERSION_MIN;
        out->keys[0].version_max = API_VERSIONS_VERSION_MAX;
        return KS_OK;
    }
    enum ks_err err = api_versions_request_decode(request_version, body, size_bytes, &request);
    if (err != KS_OK)
        return err;
    *response_version = request_version;
    if (!api_versions_request_valid(request_version, &request)) {
        out->error_code = KS_ERR_INVALID_REQUEST;
        return KS_OK;
    }
    memcpy(out->keys, keys, key_count * sizeof(*keys));
    out->key_count = key_count;
    return KS_OK;
}

enum ks_err api_versions_answer(int16_t request_version, const uint8_t *body, uint32_t size_bytes,
                                struct api_versions_response *out, int16_t *response_version)
{
    struct api_versions_response table;
    api_versions_response_build(&table);
    return api_versions_answer_from(request_version, body, size_bytes, table.keys, table.key_count,
                                    out, response_version);
}

/* Features: compact array of (name, two int16, tags). The order of the two is the caller's. */
static void features_encode(struct wire_writer *w, const struct api_versions_feature *features,
                            uint32_t count, bool max_first)
{
    KS_ASSERT(count <= API_VERSIONS_FEATURES_MAX);
    wire_write_compact_array_count(w, (int32_t)count);
    for (uint32_t i = 0; i < count; i++) {
        const struct api_versions_feature *f = &features[i];
        wire_write_compact_string(w, f->name);
        wire_write_int16(w, max_first ? f->version_max : f->version_min);
        wire_write_int16(w, max_first ? f->version_min : f->version_max);
        wire_write_empty_tagged_fields(w);
    }
}

static void features_decode(struct wire_reader *r, struct api_versions_feature *features,
                            uint32_t *count, bool max_first)
{
    int32_t n = wire_read_compact_array_count(r, API_VERSIONS_FEATURE_SIZE_MIN);
    if (n > (int32_t)API_VERSIONS_FEATURES_MAX) {
        wire_reader_fail(r, KS_ERR_TOO_MANY);
        n = 0;
    }
    for (int32_t i = 0; i < n && r->err == KS_OK; i++) {
        struct api_versions_feature *f = &features[i];
        f->name = wire_read_compact_string(r);
        int16_t first = wire_read_int16(r);
        int16_t second = wire_read_int16(r);
        f->version_max = max_first ? first : second;
        f->version_min = max_first ? second : first;
        wire_skip_tagged_fields(r);
    }
    *count = r->err == KS_OK ? (uint32_t)n : 0;
}

/* The v3+ tag section: only fields that differ from their defaults are written. */
static void response_tags_encode(struct wire_writer *w, const struct api_versions_response *resp)
{
    struct wire_writer field;
    uint32_t count = (resp->supported_feature_count > 0) + (resp->finalized_features_epoch != -1) +
                     (resp->finalized_feature_count > 0) + resp->zk_migration_ready;
    wire_write_uvarint(w, count);
    wire_writer_init(&field);
    if (resp->supported_feature_count > 0) {
        features_encode(&field, resp->supported_features, resp->supported_feature_count, false);
        wire_write_tagged_field(w, 0, &field);
    }
    if (resp->finalized_features_epoch != -1) {
        wire_writer_reset(&field);
        wire_write_int64(&field, resp->finalized_features_epoch);
        wire_write_tagged_field(w, 1, &field);
    }
    if (resp->finalized_feature_count > 0) {
        wire_writer_reset(&field);
        features_encode(&field, resp->finalized_features, resp->finalized_feature_count, true);
        wire_write_tagged_field(w, 2, &field);
    }
    if (resp->zk_migration_ready) {
        wire_writer_reset(&field);
        wire_write_bool(&field, true);
        wire_write_tagged_field(w, 3, &field);
    }
    wire_writer_free(&field);
}

static void response_tags_decode(struct wire_reader *r, struct api_versions_response *out)
{
    struct wire_tags tags;
    struct wire_reader field;
    uint32_t tag;
    wire_read_tags_begin(r, &tags);
    while (wire_read_tags_next(r, &tags, &tag, &field)) {
        switch (tag) {
        case 0:
            features_decode(&field, out->supported_features, &out->supported_feature_count, false);
            break;
        case 1:
            out->finalized_features_epoch = wire_read_int64(&field);
            break;
        case 2:
            features_decode(&field, out->finalized_features, &out->finalized_feature_count, true);
            break;
        case 3:
            out->zk_migration_ready = wire_read_bool(&field);
            break;
        default:
            continue; /* unknown: skipped */
        }
        wire_read_tag_end(r, &field);
    }
}

void api_versions_response_encode(struct wire_writer *w, int16_t version,
                                  const struct api_versions_response *response)
{
    KS_ASSERT(version >= API_VERSIONS_VERSION_MIN);
    KS_ASSERT(version <= API_VERSIONS_VERSION_MAX);
    KS_ASSERT(response->key_count <= API_VERSIONS_KEYS_MAX);
    bool flexible = version >= API_VERSIONS_FLEXIBLE_VERSION_FIRST;
    wire_write_int16(w, response->error_code);
    wire_write_flex_array_count(w, flexible, (int32_t)response->key_count);
    for (uint32_t i = 0; i < response->key_count; i++) {
        wire_write_int16(w, response->keys[i].api_key);
        wire_write_int16(w, response->keys[i].version_min);
        wire_write_int16(w, response->keys[i].version_max);
        if (flexible)
            wire_write_empty_tagged_fields(w);
    }
    if (version >= 1)
        wire_write_int32(w, response->throttle_time_ms);
    if (flexible)
        response_tags_encode(w, response);
}

static enum ks_err response_decode_at(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                      struct api_versions_response *out)
{
    struct wire_reader r;
    bool flexible = version >= API_VERSIONS_FLEXIBLE_VERSION_FIRST;
    response_clear(out);
    wire_reader_init(&r, body, size_bytes);
    out->error_code = wire_read_int16(&r);
    int32_t count = wire_read_flex_array_count(&r, flexible, API_VERSIONS_KEY_SIZE_MIN);
    if (count > (int32_t)API_VERSIONS_KEYS_MAX) {
        wire_reader_fail(&r, KS_ERR_TOO_MANY);
        count = 0;
    }
    for (int32_t i = 0; i < count && r.err == KS_OK; i++) {
        out->keys[i].api_key = wire_read_int16(&r);
        out->keys[i].version_min = wire_read_int16(&r);
        out->keys[i].version_max = wire_read_int16(&r);
        if (flexible)
            wire_skip_tagged_fields(&r);
    }
    out->key_count = r.err == KS_OK ? (uint32_t)count : 0;
    if (version >= 1)
        out->throttle_time_ms = wire_read_int32(&r);
    if (flexible)
        response_tags_decode(&r, out);
    return wire_reader_finish(&r);
}

enum ks_err api_versions_response_decode(int16_t version, const uint8_t *body, uint32_t size_bytes,
                                         struct api_versions_response *out)
{
    if (version < API_VERSIONS_VERSION_MIN || version > API_VERSIONS_VERSION_MAX) {
        response_clear(out);
        return KS_ERR_UNSUPPORTED_VERSION;
    }
    enum ks_err err = response_decode_at(version, body, size_bytes, out);
    if (err != KS_OK && version != 0)
        err = response_decode_at(0, body, size_bytes, out); /* the broker's v0 fallback */
    return err;
}
