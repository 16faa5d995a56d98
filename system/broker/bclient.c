/*
 * bclient.c: Metadata and InitProducerId answered by a broker, see bclient.h.
 */
#include "bclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/proto/api_describe_cluster.h"
#include "system/proto/api_describe_configs.h"
#include "system/proto/api_init_producer_id.h"
#include "system/proto/api_metadata.h"

static void bclient_metadata_brokers(const struct mimage *img, const struct bclient_cluster *cluster,
                                     struct api_metadata_response *out)
{
    bool self_listed = false;
    out->brokers = ks_alloc((img->broker_count + 1u) * sizeof(*out->brokers));
    for (uint32_t i = 0; i < img->broker_count; i++) {
        const struct mimage_broker *b = &img->brokers[i];
        if (b->fenced || b->endpoint_count == 0)
            continue;
        struct api_metadata_broker *mb = &out->brokers[out->broker_count++];
        mb->node_id = b->id;
        mb->host = wire_string_from(b->endpoints[0].host);
        mb->port = b->endpoints[0].port;
        mb->rack = wire_string_from(b->rack);
        self_listed = self_listed || b->id == cluster->self_id;
    }
    KS_ASSERT(out->broker_count <= img->broker_count);
    if (cluster->self_host != NULL && !self_listed) {
        struct api_metadata_broker *mb = &out->brokers[out->broker_count++];
        mb->node_id = cluster->self_id;
        mb->host = wire_string_from(cluster->self_host);
        mb->port = cluster->self_port;
        mb->rack = wire_string_null();
    }
}

static int32_t *bclient_ids(const int32_t *ids, uint32_t count)
{
    int32_t *copy = ks_alloc((count + 1u) * sizeof(*copy));
    memcpy(copy, ids, count * sizeof(*copy));
    return copy;
}

static void bclient_metadata_topic(const struct mimage_topic *t, struct api_metadata_topic *mt)
{
    mt->error_code = KS_OK;
    mt->name = wire_string_from(t->name);
    mt->topic_id = t->id;
    mt->topic_authorized_operations = API_METADATA_AUTHORIZED_OPERATIONS_UNSET;
    mt->partition_count = t->partition_count;
    mt->partitions = ks_alloc((t->partition_count + 1u) * sizeof(*mt->partitions));
    for (uint32_t j = 0; j < t->partition_count; j++) {
        const struct mimage_partition *p = &t->partitions[j];
        struct api_metadata_partition *mp = &mt->partitions[j];
        mp->error_code = p->leader < 0 ? KS_ERR_LEADER_NOT_AVAILABLE : KS_OK;
        mp->partition_index = (int32_t)j;
        mp->leader_id = p->leader;
        mp->leader_epoch = p->leader_epoch;
        mp->replica_count = p->replica_count;
        mp->replica_nodes = bclient_ids(p->replicas, p->replica_count);
        mp->isr_count = p->isr_count;
        mp->isr_nodes = bclient_ids(p->isr, p->isr_count);
    }
}

void bclient_missing_free(struct bclient_missing *missing)
{
    KS_ASSERT(missing->count <= BCLIENT_MISSING_MAX);
    for (uint32_t i = 0; i < missing->count; i++)
        free(missing->names[i]);
    missing->count = 0;
}

/* An unknown topic asked for by name: noted for auto creation when allowed. */
static void bclient_missing_note(const struct api_metadata_request *req,
                                 const struct wire_string *name, struct bclient_missing *missing)
{
    if (missing == NULL || !req->allow_auto_topic_creation || wire_string_is_null(*name) ||
        name->length <= 0 || missing->count == BCLIENT_MISSING_MAX)
        return;
    char *copy = ks_alloc((size_t)name->length + 1);
    memcpy(copy, name->chars, (size_t)name->length);
    missing->names[missing->count++] = copy;
    KS_ASSERT(missing->count <= BCLIENT_MISSING_MAX);
}

enum ks_err bclient_metadata(const struct mimage *img, const struct bclient_cluster *cluster,
                             int16_t version, const uint8_t *body, uint32_t size_bytes,
                             struct wire_writer *w, struct bclient_missing *missing)
{
    struct api_metadata_request req;
    if (version < API_METADATA_VERSION_MIN || version > API_METADATA_VERSION_MAX)
        return KS_ERR_UNSUPPORTED_VERSION;
    enum ks_err err = api_metadata_request_decode(version, body, size_bytes, &req);
    if (err != KS_OK)
        return err;
    struct api_metadata_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.controller_id = cluster->controller_id;
    if (cluster->cluster_id != NULL && cluster->cluster_id[0] != '\0')
        resp.cluster_id = wire_string_from(cluster->cluster_id);
    else
        resp.cluster_id = wire_string_null();
    resp.cluster_authorized_operations = API_METADATA_AUTHORIZED_OPERATIONS_UNSET;
    bclient_metadata_brokers(img, cluster, &resp);
    uint32_t asked = req.topic_count < 0 ? img->topic_count : (uint32_t)req.topic_count;
    resp.topics = ks_alloc((asked + 1u) * sizeof(*resp.topics));
    for (uint32_t i = 0; i < asked; i++) {
        struct api_metadata_topic *mt = &resp.topics[resp.topic_count++];
        const struct mimage_topic *t =
            req.topic_count < 0 ? &img->topics[i]
            : wire_string_is_null(req.topics[i].name)
                ? mimage_topic_find_id(img, &req.topics[i].topic_id)
                : mimage_topic_find_name(img, req.topics[i].name.chars,
                                         (uint32_t)req.topics[i].name.length);
        if (t != NULL) {
            bclient_metadata_topic(t, mt);
            continue;
        }
        bool by_id = wire_string_is_null(req.topics[i].name);
        mt->error_code = by_id ? KS_ERR_UNKNOWN_TOPIC_ID : KS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        bclient_missing_note(&req, &req.topics[i].name, missing);
        mt->name = req.topics[i].name;
        mt->topic_id = req.topics[i].topic_id;
        mt->topic_authorized_operations = API_METADATA_AUTHORIZED_OPERATIONS_UNSET;
    }
    api_metadata_response_encode(w, version, &resp);
    api_metadata_response_free(&resp);
    api_metadata_request_free(&req);
    return KS_OK;
}

enum ks_err bclient_init_producer_id(int64_t *producer_id_next, int16_t version,
                                     const uint8_t *body, uint32_t size_bytes,
                                     struct wire_writer *w)
{
    struct api_init_producer_id_request req;
    if (version < API_INIT_PRODUCER_ID_VERSION_MIN || version > API_INIT_PRODUCER_ID_VERSION_MAX)
        return KS_ERR_UNSUPPORTED_VERSION;
    enum ks_err err = api_init_producer_id_request_decode(version, body, size_bytes, &req);
    if (err != KS_OK)
        return err;
    struct api_init_producer_id_response resp = {0, KS_OK, 0, 0};
    if (req.producer_id >= 0 && req.producer_epoch >= 0 && req.producer_epoch < INT16_MAX) {
        resp.producer_id = req.producer_id;
        resp.producer_epoch = (int16_t)(req.producer_epoch + 1);
    } else {
        resp.producer_id = (*producer_id_next)++;
        resp.producer_epoch = 0;
    }
    KS_ASSERT(resp.producer_id >= 0);
    api_init_producer_id_response_encode(w, version, &resp);
    return KS_OK;
}

/* ---- DescribeConfigs (KafkaApis.handleDescribeConfigsRequest, ConfigHelper) ---- */

/* Configs listed for a resource, at most. */
#define BCLIENT_CONFIGS_MAX 16u
/* Kafka's longest topic name is 249 characters. */
#define BCLIENT_TOPIC_NAME_BYTES_MAX 256u
/* Kafka's UNSUPPORTED_ENDPOINT_TYPE (KIP-919), not in ks.h yet. */
#define BCLIENT_ERR_UNSUPPORTED_ENDPOINT_TYPE 119

struct bclient_config_default {
    const char *name;
    const char *value;
    int8_t type;
};

/* Kafka's topic-level defaults (LogConfig), the ones this broker applies. */
static const struct bclient_config_default bclient_topic_defaults[] = {
    {"cleanup.policy", "delete", API_CONFIG_TYPE_STRING},
    {"compression.type", "producer", API_CONFIG_TYPE_STRING},
    {"max.message.bytes", "1048588", API_CONFIG_TYPE_INT},
    {"min.insync.replicas", "1", API_CONFIG_TYPE_INT},
    {"retention.bytes", "-1", API_CONFIG_TYPE_LONG},
    {"retention.ms", "604800000", API_CONFIG_TYPE_LONG},
    {"segment.bytes", "1073741824", API_CONFIG_TYPE_INT},
    {"segment.ms", "604800000", API_CONFIG_TYPE_LONG},
};

/* Broker-level settings shown read-only. */
static const struct bclient_config_default bclient_broker_defaults[] = {
    {"auto.create.topics.enable", "true", API_CONFIG_TYPE_STRING},
    {"default.replication.factor", "1", API_CONFIG_TYPE_INT},
    {"min.insync.replicas", "1", API_CONFIG_TYPE_INT},
    {"num.partitions", "1", API_CONFIG_TYPE_INT},
    {"offsets.topic.num.partitions", "50", API_CONFIG_TYPE_INT},
};

_Static_assert(KS_ARRAY_COUNT(bclient_topic_defaults) <= BCLIENT_CONFIGS_MAX, "fits");
_Static_assert(KS_ARRAY_COUNT(bclient_broker_defaults) <= BCLIENT_CONFIGS_MAX, "fits");

/* Whether the request names this config (null keys: every config). */
static bool bclient_config_asked(const struct api_describe_configs_resource *res,
                                 const char *name)
{
    if (res->key_count < 0)
        return true;
    for (int32_t i = 0; i < res->key_count; i++) {
        if (wire_string_equal_cstr(res->keys[i], name))
            return true;
    }
    return false;
}

static void bclient_describe_resource(const struct mimage *img, int32_t broker_id,
                                      const struct api_describe_configs_resource *res,
                                      struct api_describe_configs_result *out)
{
    char name[BCLIENT_TOPIC_NAME_BYTES_MAX];
    out->resource_type = res->resource_type;
    out->resource_name = res->resource_name;
    out->error_message = wire_string_null();
    out->configs = ks_alloc(BCLIENT_CONFIGS_MAX * sizeof(*out->configs));
    bool topic = res->resource_type == API_CONFIG_RESOURCE_TOPIC;
    int n = snprintf(name, sizeof(name), "%.*s", res->resource_name.length < 0 ? 0 :
                     res->resource_name.length, res->resource_name.chars);
    if (topic && (n <= 0 || (size_t)n >= sizeof(name) ||
                  mimage_topic_find_name(img, name, (uint32_t)n) == NULL)) {
        out->error_code = KS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return;
    }
    if (!topic && (res->resource_type != API_CONFIG_RESOURCE_BROKER || n <= 0 ||
                   strtol(name, NULL, 10) != broker_id)) {
        out->error_code = KS_ERR_INVALID_REQUEST;
        return;
    }
    const struct bclient_config_default *table = topic ? bclient_topic_defaults
                                                       : bclient_broker_defaults;
    uint32_t count = topic ? KS_ARRAY_COUNT(bclient_topic_defaults)
                           : KS_ARRAY_COUNT(bclient_broker_defaults);
    for (uint32_t i = 0; i < count; i++) {
        if (!bclient_config_asked(res, table[i].name))
            continue;
        const char *set = topic ? mimage_config_get(img, API_CONFIG_RESOURCE_TOPIC, name,
                                                    table[i].name)
                                : NULL;
        struct api_describe_configs_entry *e = &out->configs[out->config_count++];
        e->name = wire_string_from(table[i].name);
        e->value = wire_string_from(set != NULL ? set : table[i].value);
        e->read_only = !topic;
        e->is_default = set == NULL;
        e->config_source = set != NULL ? API_CONFIG_SOURCE_TOPIC : API_CONFIG_SOURCE_DEFAULT;
        e->config_type = table[i].type;
        e->documentation = wire_string_null();
    }
    KS_ASSERT(out->config_count <= BCLIENT_CONFIGS_MAX);
}

enum ks_err bclient_describe_configs(const struct mimage *img, int32_t broker_id, int16_t version,
                                     const uint8_t *body, uint32_t size_bytes,
                                     struct wire_writer *w)
{
    struct api_describe_configs_request req;
    enum ks_err err = api_describe_configs_request_decode(version, body, size_bytes, &req);
    if (err != KS_OK)
        return err;
    struct api_describe_configs_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.results = ks_alloc(((size_t)req.resource_count + 1u) * sizeof(*resp.results));
    resp.result_count = req.resource_count;
    for (uint32_t i = 0; i < req.resource_count; i++)
        bclient_describe_resource(img, broker_id, &req.resources[i], &resp.results[i]);
    api_describe_configs_response_encode(w, version, &resp);
    api_describe_configs_response_free(&resp);
    api_describe_configs_request_free(&req);
    return KS_OK;
}

/* ---- DescribeCluster (KafkaApis.handleDescribeCluster) ---- */

enum ks_err bclient_describe_cluster(const struct mimage *img, const struct bclient_cluster *cluster,
                                     int16_t version, const uint8_t *body, uint32_t size_bytes,
                                     struct wire_writer *w)
{
    struct api_describe_cluster_request req;
    enum ks_err err = api_describe_cluster_request_decode(version, body, size_bytes, &req);
    if (err != KS_OK)
        return err;
    struct api_metadata_response md;
    memset(&md, 0, sizeof(md));
    bclient_metadata_brokers(img, cluster, &md);
    struct api_describe_cluster_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.endpoint_type = API_DESCRIBE_CLUSTER_ENDPOINT_BROKERS;
    resp.error_message = wire_string_null();
    resp.cluster_id = wire_string_from(cluster->cluster_id != NULL ? cluster->cluster_id : "");
    resp.controller_id = cluster->controller_id;
    resp.cluster_authorized_operations = API_DESCRIBE_CLUSTER_AUTHORIZED_OPERATIONS_UNSET;
    if (req.endpoint_type != API_DESCRIBE_CLUSTER_ENDPOINT_BROKERS) {
        resp.error_code = BCLIENT_ERR_UNSUPPORTED_ENDPOINT_TYPE;
    } else {
        resp.brokers = ks_alloc(((size_t)md.broker_count + 1u) * sizeof(*resp.brokers));
        for (uint32_t i = 0; i < md.broker_count; i++)
            resp.brokers[resp.broker_count++] = (struct api_describe_cluster_broker){
                md.brokers[i].node_id, md.brokers[i].host, md.brokers[i].port,
                md.brokers[i].rack};
    }
    api_describe_cluster_response_encode(w, version, &resp);
    api_describe_cluster_response_free(&resp);
    api_metadata_response_free(&md);
    return KS_OK;
}
