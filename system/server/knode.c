/*
 * knode.c: one Kafka node as kbroker runs it, see knode.h. Kafka: KafkaConfig
 * validation, MetaProperties and MetaPropertiesEnsemble (meta.properties v1 with
 * node.id, cluster.id, directory.id), Uuid.randomUuid (base64url, never starting with
 * '-'), KafkaApis.handleTopicMetadataRequest, KafkaRaftServer startup and shutdown.
 */
#include "system/server/knode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/log/logdir.h"
#include "system/proto/api_metadata.h"
#include "system/server/khost.h"

/* Rows of the handler table this node serves so far. */
#define KNODE_HANDLERS_MAX 8u

enum knode_state {
    KNODE_RUNNING,
    KNODE_SHUTTING_DOWN,
};

struct knode {
    struct env *env;
    struct knode_config config;
    enum knode_state state;
    char cluster_id[KNODE_UUID_CHARS + 1];
    char directory_id[KNODE_UUID_CHARS + 1];
    struct logdir *logdir;
    struct srv *srv;
    struct khost *host; /* combined mode: the voter, controller and broker */
};

/* ---- Configuration --------------------------------------------------------------------- */

void knode_config_default(struct knode_config *config)
{
    memset(config, 0, sizeof(*config));
    config->node_id = 1;
    config->role_broker = true;
    config->role_controller = true;
    snprintf(config->listeners[0].name, sizeof(config->listeners[0].name), "PLAINTEXT");
    snprintf(config->listeners[0].host, sizeof(config->listeners[0].host), "127.0.0.1");
    config->listeners[0].port = 9092;
    config->listener_count = 1;
    snprintf(config->controller_listener_names, sizeof(config->controller_listener_names),
             "CONTROLLER");
    snprintf(config->log_dir, sizeof(config->log_dir), "kbroker-data");
    srv_config_default(&config->srv);
    config->srv.node_id = config->node_id;
    plog_config_default(&config->log);
}

/* A decimal port 0..65535, the whole string. */
static bool knode_port_parse(const char *text, uint16_t *out)
{
    char *end = NULL;
    if (text[0] < '0' || text[0] > '9')
        return false;
    unsigned long v = strtoul(text, &end, 10);
    if (*end != '\0' || v > 65535)
        return false;
    *out = (uint16_t)v;
    return true;
}

/* host:port or [v6]:port into out. */
static enum ks_err knode_host_port_parse(const char *text, char *host, size_t host_bytes,
                                         uint16_t *port)
{
    const char *colon = strrchr(text, ':');
    if (colon == NULL)
        return KS_ERR_INVALID;
    const char *h = text;
    size_t n = (size_t)(colon - text);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    } else if (memchr(h, ':', n) != NULL) {
        return KS_ERR_INVALID; /* an IPv6 address needs brackets */
    }
    if (n >= host_bytes || !knode_port_parse(colon + 1, port))
        return KS_ERR_INVALID;
    memcpy(host, h, n);
    host[n] = '\0';
    return KS_OK;
}

enum ks_err knode_listener_parse(const char *text, struct knode_listener *out)
{
    memset(out, 0, sizeof(*out));
    const char *sep = strstr(text, "://");
    if (sep == NULL || sep == text || (size_t)(sep - text) >= sizeof(out->name))
        return KS_ERR_INVALID;
    for (const char *p = text; p < sep; p++) {
        bool ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';
        if (!ok)
            return KS_ERR_INVALID;
    }
    memcpy(out->name, text, (size_t)(sep - text));
    return knode_host_port_parse(sep + 3, out->host, sizeof(out->host), &out->port);
}

/* A comma-separated list, each entry handed to fn; empty entries are skipped. Returns
 * the first error, or KS_ERR_TOO_MANY past max entries. */
static enum ks_err knode_list_each(const char *text, uint32_t max,
                                   enum ks_err (*fn)(void *ctx, const char *item, uint32_t index),
                                   void *ctx, uint32_t *count_out)
{
    char item[KNODE_HOST_BYTES_MAX + KNODE_LISTENER_NAME_BYTES_MAX + 16];
    uint32_t count = 0;
    const char *p = text;
    /* Each pass moves p past one comma or to the end: at most strlen(text) passes. */
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t n = comma == NULL ? strlen(p) : (size_t)(comma - p);
        while (n > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n >= sizeof(item))
            return KS_ERR_INVALID;
        if (n > 0) {
            if (count == max)
                return KS_ERR_TOO_MANY;
            memcpy(item, p, n);
            item[n] = '\0';
            enum ks_err err = fn(ctx, item, count);
            if (err != KS_OK)
                return err;
            count++;
        }
        p = comma == NULL ? p + n : comma + 1;
        if (comma == NULL)
            break;
    }
    *count_out = count;
    return KS_OK;
}

static enum ks_err knode_listener_item(void *ctx, const char *item, uint32_t index)
{
    struct knode_listener *listeners = ctx;
    enum ks_err err = knode_listener_parse(item, &listeners[index]);
    for (uint32_t i = 0; err == KS_OK && i < index; i++) {
        if (strcmp(listeners[i].name, listeners[index].name) == 0)
            err = KS_ERR_EXISTS;
    }
    return err;
}

static enum ks_err knode_voter_item(void *ctx, const char *item, uint32_t index)
{
    struct knode_voter *voters = ctx;
    const char *at = strchr(item, '@');
    char *end = NULL;
    if (at == NULL || at == item || item[0] < '0' || item[0] > '9')
        return KS_ERR_INVALID;
    long id = strtol(item, &end, 10);
    if (end != at || id < 0 || id > INT32_MAX)
        return KS_ERR_INVALID;
    voters[index].node_id = (int32_t)id;
    return knode_host_port_parse(at + 1, voters[index].host, sizeof(voters[index].host),
                                 &voters[index].port);
}

static enum ks_err knode_roles_parse(struct knode_config *config, const char *text)
{
    bool broker = false, controller = false;
    const char *p = text;
    /* One role a pass; the string is finite. */
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        if (n == 6 && strncmp(p, "broker", 6) == 0 && !broker)
            broker = true;
        else if (n == 10 && strncmp(p, "controller", 10) == 0 && !controller)
            controller = true;
        else
            return KS_ERR_INVALID;
        p += n;
        if (*p == ',')
            p++;
    }
    if (!broker && !controller)
        return KS_ERR_INVALID;
    config->role_broker = broker;
    config->role_controller = controller;
    return KS_OK;
}

static enum ks_err config_fail(char *error, size_t error_bytes, const char *key, const char *value,
                               const char *why)
{
    snprintf(error, error_bytes, "Invalid value %s for configuration %s: %s",
             value != NULL ? value : "(missing)", key, why);
    return KS_ERR_INVALID_CONFIG;
}

/* node.id, process.roles, log.dirs. */
static enum ks_err knode_config_identity(struct knode_config *config, const struct props *props,
                                         char *error, size_t error_bytes)
{
    int64_t node_id = config->node_id;
    const char *v = props_get(props, "node.id");
    if (props_get_i64(props, "node.id", node_id, &node_id) != KS_OK || node_id < 0 ||
        node_id > INT32_MAX)
        return config_fail(error, error_bytes, "node.id", v, "a node id from 0 to 2147483647");
    config->node_id = (int32_t)node_id;
    config->srv.node_id = config->node_id;
    v = props_get(props, "process.roles");
    if (v != NULL && knode_roles_parse(config, v) != KS_OK)
        return config_fail(error, error_bytes, "process.roles", v,
                           "a list of 'broker' and 'controller'");
    const char *key = props_get(props, "log.dirs") != NULL ? "log.dirs" : "log.dir";
    v = props_get(props, key);
    if (v != NULL) {
        size_t n = strcspn(v, ",");
        while (n > 1 && v[n - 1] == '/')
            n--; /* "data/" is "data" */
        if (n == 0 || n >= sizeof(config->log_dir))
            return config_fail(error, error_bytes, key, v, "a directory path");
        memcpy(config->log_dir, v, n);
        config->log_dir[n] = '\0';
    }
    return KS_OK;
}

/* listeners, advertised.listeners, controller.listener.names, controller.quorum.voters. */
static enum ks_err knode_config_network(struct knode_config *config, const struct props *props,
                                        char *error, size_t error_bytes)
{
    const char *v = props_get(props, "listeners");
    if (v != NULL && (knode_list_each(v, KNODE_LISTENERS_MAX, knode_listener_item,
                                      config->listeners, &config->listener_count) != KS_OK ||
                      config->listener_count == 0))
        return config_fail(error, error_bytes, "listeners", v,
                           "a list of NAME://host:port with distinct names (at most 4)");
    v = props_get(props, "advertised.listeners");
    if (v != NULL && knode_list_each(v, KNODE_LISTENERS_MAX, knode_listener_item,
                                     config->advertised, &config->advertised_count) != KS_OK)
        return config_fail(error, error_bytes, "advertised.listeners", v,
                           "a list of NAME://host:port with distinct names");
    v = props_get(props, "controller.listener.names");
    if (v != NULL) {
        if (strlen(v) >= sizeof(config->controller_listener_names))
            return config_fail(error, error_bytes, "controller.listener.names", v, "too long");
        snprintf(config->controller_listener_names, sizeof(config->controller_listener_names), "%s",
                 v);
    }
    v = props_get(props, "controller.quorum.voters");
    if (v != NULL && knode_list_each(v, KNODE_VOTERS_MAX, knode_voter_item, config->voters,
                                     &config->voter_count) != KS_OK)
        return config_fail(error, error_bytes, "controller.quorum.voters", v,
                           "a list of id@host:port");
    if (knode_config_broker_endpoint(config) == NULL && config->role_broker)
        return config_fail(error, error_bytes, "listeners", props_get(props, "listeners"),
                           "a broker needs a listener not named in controller.listener.names");
    return KS_OK;
}

/* Whether name is one of the comma-separated controller.listener.names. */
static bool knode_is_controller_listener(const struct knode_config *config, const char *name)
{
    const char *p = config->controller_listener_names;
    size_t name_length = strlen(name);
    /* One name a pass over a bounded string. */
    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        if (n == name_length && strncmp(p, name, n) == 0)
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

const struct knode_listener *knode_config_broker_endpoint(const struct knode_config *config)
{
    KS_ASSERT(config->listener_count <= KNODE_LISTENERS_MAX);
    for (uint32_t i = 0; i < config->listener_count; i++) {
        const struct knode_listener *l = &config->listeners[i];
        if (knode_is_controller_listener(config, l->name))
            continue;
        for (uint32_t j = 0; j < config->advertised_count; j++) {
            if (strcmp(config->advertised[j].name, l->name) == 0)
                return &config->advertised[j];
        }
        return l;
    }
    return NULL;
}

enum ks_err knode_config_from_props(struct knode_config *config, const struct props *props,
                                    char *error, size_t error_bytes)
{
    const char *bad_key = NULL;
    enum ks_err err = knode_config_identity(config, props, error, error_bytes);
    if (err == KS_OK)
        err = knode_config_network(config, props, error, error_bytes);
    if (err == KS_OK && srv_config_from_props(&config->srv, props, &bad_key) != KS_OK)
        err = config_fail(error, error_bytes, bad_key, props_get(props, bad_key),
                          "a positive number in range");
    const char *cluster = props_get(props, "cluster.id");
    if (err == KS_OK && cluster != NULL && strlen(cluster) != KNODE_UUID_CHARS)
        err = config_fail(error, error_bytes, "cluster.id", cluster,
                          "a 22-character base64url Uuid, as kafka-storage random-uuid prints");
    if (err == KS_OK && cluster != NULL)
        memcpy(config->cluster_id, cluster, KNODE_UUID_CHARS + 1);
    if (err == KS_OK && plog_config_from_props(props, &config->log) != KS_OK)
        err = config_fail(error, error_bytes, "log.*", "", "a log setting is out of range");
    bool voter = false;
    for (uint32_t i = 0; i < config->voter_count; i++)
        voter = voter || config->voters[i].node_id == config->node_id;
    if (err == KS_OK && config->role_controller && config->voter_count > 0 && !voter)
        err = config_fail(error, error_bytes, "controller.quorum.voters",
                          props_get(props, "controller.quorum.voters"),
                          "a controller's node.id must be one of the voters");
    return err;
}

/* ---- meta.properties --------------------------------------------------------------------- */

/* Uuid.randomUuid().toString(): 16 random bytes in base64url without padding, redrawn
 * while it is zero or starts with '-' (Kafka avoids those). */
static void knode_uuid_random(struct env *env, char out[KNODE_UUID_CHARS + 1])
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (uint32_t draw = 0; draw < KNODE_UUID_DRAWS_MAX; draw++) {
        uint8_t bytes[18] = {0}; /* 16 bytes, padded to a multiple of 3 */
        ks_be64_store(bytes, env_random(env));
        ks_be64_store(bytes + 8, env_random(env));
        for (uint32_t i = 0; i < 6; i++) {
            uint32_t v =
                (uint32_t)bytes[3 * i] << 16 | (uint32_t)bytes[3 * i + 1] << 8 | bytes[3 * i + 2];
            for (uint32_t k = 0; k < 4 && 4 * i + k < KNODE_UUID_CHARS; k++)
                out[4 * i + k] = alphabet[(v >> (18 - 6 * k)) & 63];
        }
        out[KNODE_UUID_CHARS] = '\0';
        if (out[0] != '-' && strcmp(out, "AAAAAAAAAAAAAAAAAAAAAA") != 0)
            return;
    }
    KS_UNREACHABLE(); /* 64 draws all starting with '-': the random stream is broken */
}

static void knode_meta_path(const struct knode *node, char *path, size_t path_bytes)
{
    int n = snprintf(path, path_bytes, "%s/%s", node->config.log_dir, KNODE_META_PROPERTIES);
    KS_ASSERT(n > 0 && (size_t)n < path_bytes);
}

/* Copies a stored id, checking it is a 22-char Uuid string. */
static bool knode_meta_id(const struct props *meta, const char *key, char out[KNODE_UUID_CHARS + 1])
{
    const char *v = props_get(meta, key);
    if (v == NULL || strlen(v) != KNODE_UUID_CHARS)
        return false;
    memcpy(out, v, KNODE_UUID_CHARS + 1);
    return true;
}

/* Reads meta.properties when there is one. *found says whether it was there. */
static enum ks_err knode_meta_read(struct knode *node, bool *found, char *error, size_t error_bytes)
{
    char path[KNODE_PATH_BYTES_MAX + 32];
    char *text = NULL;
    uint32_t size = 0, line = 0;
    int64_t stored_id = -1, version = -1;
    knode_meta_path(node, path, sizeof(path));
    *found = false;
    enum ks_err err =
        plog_file_read_all(node->env, path, KNODE_META_PROPERTIES_BYTES_MAX, &text, &size);
    if (err == KS_ERR_NOT_FOUND)
        return KS_OK;
    if (err != KS_OK) {
        snprintf(error, error_bytes, "cannot read %s: %s", path, ks_err_name(err));
        return err;
    }
    *found = true;
    struct props *meta = ks_alloc(sizeof(*meta));
    props_init(meta);
    bool ok = props_parse(meta, text, &line) == KS_OK &&
              props_get_i64(meta, "version", -1, &version) == KS_OK && version == 1 &&
              props_get_i64(meta, "node.id", -1, &stored_id) == KS_OK &&
              knode_meta_id(meta, "cluster.id", node->cluster_id);
    if (ok && !knode_meta_id(meta, "directory.id", node->directory_id))
        knode_uuid_random(node->env, node->directory_id); /* written back below */
    err = KS_OK;
    if (!ok) {
        snprintf(error, error_bytes,
                 "%s is not a version 1 meta.properties with node.id and "
                 "cluster.id",
                 path);
        err = KS_ERR_INCONSISTENT_CLUSTER_ID;
    } else if (stored_id != node->config.node_id) {
        snprintf(error, error_bytes, "Stored node id %lld doesn't match previous node id %d in %s",
                 (long long)stored_id, node->config.node_id, path);
        err = KS_ERR_INCONSISTENT_CLUSTER_ID;
    }
    props_free(meta);
    free(meta);
    free(text);
    return err;
}

/* Writes meta.properties as Kafka's MetaProperties v1 (tmp, fsync, rename, dir sync). */
static enum ks_err knode_meta_write(struct knode *node)
{
    char text[512];
    int n = snprintf(text, sizeof(text),
                     "#\n#Written by kbroker\ncluster.id=%s\ndirectory.id=%s\nnode.id=%d\n"
                     "version=1\n",
                     node->cluster_id, node->directory_id, node->config.node_id);
    KS_ASSERT(n > 0 && (size_t)n < sizeof(text));
    return plog_file_write_atomic(node->env, node->config.log_dir, KNODE_META_PROPERTIES,
                                  (const uint8_t *)text, (uint32_t)n);
}

/* ---- Metadata (KafkaApis.handleTopicMetadataRequest) ----------------------------------- */

/* The answer for the topics asked: none exist yet. */
static void knode_metadata_topics(const struct api_metadata_request *request,
                                  struct api_metadata_response *response)
{
    if (request->topic_count <= 0)
        return; /* all topics (none) or no topics */
    response->topic_count = (uint32_t)request->topic_count;
    response->topics = ks_alloc((size_t)request->topic_count * sizeof(*response->topics));
    for (int32_t i = 0; i < request->topic_count; i++) {
        struct api_metadata_topic *t = &response->topics[i];
        const struct api_metadata_request_topic *asked = &request->topics[i];
        bool by_id = wire_string_is_null(asked->name);
        t->error_code = by_id ? KS_ERR_UNKNOWN_TOPIC_ID : KS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        t->name = asked->name;
        t->topic_id = asked->topic_id;
        t->topic_authorized_operations = API_METADATA_AUTHORIZED_OPERATIONS_UNSET;
    }
}

static void knode_on_metadata(void *ctx, struct srv_request *request)
{
    struct knode *node = ctx;
    struct api_metadata_request asked;
    int16_t version = request->header.api_version;
    if (api_metadata_request_decode(version, request->body, request->body_size_bytes, &asked) !=
        KS_OK) {
        srv_respond_close(request);
        return;
    }
    const struct knode_listener *endpoint = knode_config_broker_endpoint(&node->config);
    KS_ASSERT(endpoint != NULL);
    struct api_metadata_broker broker = {
        .node_id = node->config.node_id,
        .host = wire_string_from(endpoint->host[0] != '\0' ? endpoint->host : "localhost"),
        .port = endpoint->port,
        .rack = wire_string_null(),
    };
    struct api_metadata_response response = {
        .broker_count = 1,
        .brokers = &broker,
        .cluster_id = wire_string_from(node->cluster_id),
        .controller_id = node->config.node_id,
        .cluster_authorized_operations = API_METADATA_AUTHORIZED_OPERATIONS_UNSET,
    };
    knode_metadata_topics(&asked, &response);
    struct wire_writer body;
    wire_writer_init(&body);
    api_metadata_response_encode(&body, version, &response);
    srv_respond(request, &body);
    wire_writer_free(&body);
    free(response.topics);
    api_metadata_request_free(&asked);
}

/* The rows this node serves. Versions: what the codec implements (api.h). */
static uint32_t knode_handlers_build(struct knode *node, struct srv_handler *rows)
{
    const struct api_info *metadata = api_info(API_METADATA);
    KS_ASSERT(metadata->version_min != API_VERSION_NONE);
    uint32_t count = 0;
    if (node->config.role_broker && !node->config.role_controller) {
        rows[count++] = (struct srv_handler){API_METADATA, metadata->version_min,
                                             metadata->version_max, knode_on_metadata, node};
    }
    KS_ASSERT(count <= KNODE_HANDLERS_MAX);
    return count;
}

/* ---- Lifecycle ------------------------------------------------------------------------------ */

/* A combined node hosts the voter, the controller and the broker. */
static bool knode_hosts(const struct knode *node)
{
    return node->config.role_broker && node->config.role_controller;
}

/* The controller listener (named in controller.listener.names), or NULL. */
static const struct knode_listener *knode_controller_listener(const struct knode_config *config)
{
    for (uint32_t i = 0; i < config->listener_count; i++) {
        if (knode_is_controller_listener(config, config->listeners[i].name))
            return &config->listeners[i];
    }
    return NULL;
}

/* controller.quorum.voters as text; without any, this node alone (a voter entry's
 * port is never dialled by a quorum of one). */
static void knode_voters_text(const struct knode *node, char *out, size_t out_bytes)
{
    const struct knode_config *config = &node->config;
    const struct knode_listener *cl = knode_controller_listener(config);
    size_t used = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < config->voter_count && used < out_bytes; i++) {
        const struct knode_voter *v = &config->voters[i];
        bool v6 = strchr(v->host, ':') != NULL;
        int n = snprintf(out + used, out_bytes - used, "%s%d@%s%s%s:%u", i == 0 ? "" : ",",
                         v->node_id, v6 ? "[" : "", v->host, v6 ? "]" : "", v->port);
        used += n > 0 ? (size_t)n : 0;
    }
    if (config->voter_count == 0)
        snprintf(out, out_bytes, "%d@%s:%u", config->node_id, "localhost",
                 cl != NULL && cl->port != 0 ? cl->port : 1u);
}

static enum ks_err knode_host_start(struct knode *node, char *error, size_t error_bytes)
{
    struct khost_config hc;
    const struct knode_listener *endpoint = knode_config_broker_endpoint(&node->config);
    const struct knode_listener *cl = knode_controller_listener(&node->config);
    KS_ASSERT(endpoint != NULL);
    memset(&hc, 0, sizeof(hc));
    hc.node_id = node->config.node_id;
    hc.cluster_id = node->cluster_id;
    hc.props = node->config.props;
    hc.log_dir = node->config.log_dir;
    snprintf(hc.endpoint_host, sizeof(hc.endpoint_host), "%s",
             endpoint->host[0] != '\0' ? endpoint->host : "localhost");
    hc.endpoint_port = endpoint->port;
    knode_voters_text(node, hc.voters, sizeof(hc.voters));
    hc.controller_port = cl != NULL ? cl->port : (node->config.voter_count > 0 ? -1 : 0);
    return khost_start(node->env, &hc, node->logdir, node->srv, &node->host, error, error_bytes);
}

static enum ks_err knode_open_storage(struct knode *node, char *error, size_t error_bytes)
{
    bool found = false;
    enum ks_err err = knode_meta_read(node, &found, error, error_bytes);
    if (err != KS_OK)
        return err;
    if (!found) {
        knode_uuid_random(node->env, node->cluster_id);
        knode_uuid_random(node->env, node->directory_id);
        if (node->config.cluster_id[0] != '\0')
            memcpy(node->cluster_id, node->config.cluster_id, KNODE_UUID_CHARS + 1);
    } else if (node->config.cluster_id[0] != '\0' &&
               strcmp(node->config.cluster_id, node->cluster_id) != 0) {
        snprintf(error, error_bytes, "cluster.id %s does not match %s in %s/meta.properties",
                 node->config.cluster_id, node->cluster_id, node->config.log_dir);
        return KS_ERR_INCONSISTENT_CLUSTER_ID;
    }
    err =
        logdir_open(node->env, node->config.log_dir, &node->config.log, NULL, NULL, &node->logdir);
    if (err != KS_OK) {
        snprintf(error, error_bytes, "cannot open log dir %s: %s", node->config.log_dir,
                 ks_err_name(err));
        return err;
    }
    env_logf(node->env, ENV_LOG_INFO,
             "[KafkaRaftServer nodeId=%d] %s log dir %s (cluster.id %s, directory.id %s, %s)",
             node->config.node_id, found ? "Loaded" : "Formatted", node->config.log_dir,
             node->cluster_id, node->directory_id,
             node->logdir->had_clean_shutdown ? "clean shutdown" : "no clean-shutdown marker");
    err = knode_meta_write(node);
    if (err != KS_OK)
        snprintf(error, error_bytes, "cannot write %s/meta.properties: %s", node->config.log_dir,
                 ks_err_name(err));
    return err;
}

static enum ks_err knode_listen_all(struct knode *node, char *error, size_t error_bytes)
{
    for (uint32_t i = 0; i < node->config.listener_count; i++) {
        const struct knode_listener *l = &node->config.listeners[i];
        if (knode_hosts(node) && knode_is_controller_listener(&node->config, l->name))
            continue; /* the voter listens there */
        enum ks_err err = srv_listen(node->srv, l->port);
        if (err != KS_OK) {
            snprintf(error, error_bytes, "Socket server failed to bind to %s:%u (%s): %s", l->host,
                     l->port, l->name,
                     err == KS_ERR_BUSY ? "Address already in use" : ks_err_name(err));
            return err;
        }
        if (node->config.listen_hook != NULL)
            node->config.listen_hook(node->config.listen_hook_ctx, node, i);
        env_logf(node->env, ENV_LOG_INFO,
                 "[SocketServer listenerType=%s, nodeId=%d] Awaiting socket connections on "
                 "%s:%u (%s).",
                 knode_is_controller_listener(&node->config, l->name) ? "CONTROLLER" : "BROKER",
                 node->config.node_id, l->host[0] != '\0' ? l->host : "0.0.0.0", l->port, l->name);
    }
    return KS_OK;
}

enum ks_err knode_start(struct env *env, const struct knode_config *config, struct knode **out,
                        char *error, size_t error_bytes)
{
    struct srv_handler rows[KNODE_HANDLERS_MAX];
    KS_ASSERT(config->listener_count > 0);
    KS_ASSERT(config->listener_count <= KNODE_LISTENERS_MAX);
    *out = NULL;
    error[0] = '\0';
    struct knode *node = ks_alloc(sizeof(*node));
    node->env = env;
    node->config = *config;
    node->state = KNODE_RUNNING;
    enum ks_err err = knode_open_storage(node, error, error_bytes);
    if (err == KS_OK) {
        uint32_t count = knode_handlers_build(node, rows);
        node->srv = srv_create(env, &node->config.srv, rows, count);
        err = knode_listen_all(node, error, error_bytes);
    }
    if (err == KS_OK && knode_hosts(node))
        err = knode_host_start(node, error, error_bytes);
    if (err != KS_OK) {
        knode_free(node);
        return err;
    }
    env_tracef(env, "knode.start", "node %d cluster %s roles %s%s%s", config->node_id,
               node->cluster_id, config->role_broker ? "broker" : "",
               config->role_broker && config->role_controller ? "," : "",
               config->role_controller ? "controller" : "");
    *out = node;
    return KS_OK;
}

void knode_listener_port_set(struct knode *node, uint32_t index, uint16_t port)
{
    KS_ASSERT(index < node->config.listener_count);
    struct knode_listener *l = &node->config.listeners[index];
    for (uint32_t j = 0; j < node->config.advertised_count; j++) {
        struct knode_listener *a = &node->config.advertised[j];
        if (strcmp(a->name, l->name) == 0 && a->port == 0)
            a->port = port;
    }
    l->port = port;
}

const char *knode_cluster_id(const struct knode *node)
{
    return node->cluster_id;
}

const char *knode_directory_id(const struct knode *node)
{
    return node->directory_id;
}

bool knode_ready(const struct knode *node)
{
    return node->host == NULL || khost_ready(node->host);
}

struct srv *knode_srv(struct knode *node)
{
    return node->srv;
}

void knode_shutdown(struct knode *node)
{
    KS_ASSERT(node->state == KNODE_RUNNING);
    node->state = KNODE_SHUTTING_DOWN;
    srv_shutdown(node->srv);
}

bool knode_drained(const struct knode *node)
{
    KS_ASSERT(node->state == KNODE_SHUTTING_DOWN);
    return srv_drained(node->srv);
}

enum ks_err knode_close(struct knode *node)
{
    KS_ASSERT(node->state == KNODE_SHUTTING_DOWN);
    KS_ASSERT(node->logdir != NULL);
    if (node->host != NULL)
        khost_stop(node->host); /* answers what waits for the controller, stops the broker */
    srv_free(node->srv);
    node->srv = NULL;
    khost_free(node->host);
    node->host = NULL;
    enum ks_err err = logdir_close(node->logdir, -1); /* no broker epoch before registration */
    node->logdir = NULL;
    env_tracef(node->env, "knode.close", "node %d: %s", node->config.node_id, ks_err_name(err));
    free(node);
    return err;
}

void knode_free(struct knode *node)
{
    if (node == NULL)
        return;
    khost_free(node->host);
    srv_free(node->srv);
    if (node->logdir != NULL)
        logdir_free(node->logdir);
    free(node);
}
