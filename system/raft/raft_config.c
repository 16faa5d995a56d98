/*
 * raft_config.c: parsing of a controller's properties, see raft_config.h. Kafka:
 * QuorumConfig.parseVoterConnections.
 */
#include "system/raft/raft_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest voters string considered (a props value is bounded anyway). */
#define RAFT_CONFIG_VOTERS_BYTES_MAX PROPS_VALUE_BYTES_MAX

/* Parses a decimal integer in [min, max] from [s, end). */
static bool config_int_parse(const char *s, const char *end, int64_t min, int64_t max, int64_t *out)
{
    if (s == end || end - s > 10)
        return false;
    int64_t v = 0;
    for (const char *p = s; p < end; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* One `id@host:port` entry in [s, end). */
static enum ks_err config_voter_parse(const char *s, const char *end, struct raft_voter *out)
{
    const char *at = memchr(s, '@', (size_t)(end - s));
    const char *colon = NULL;
    for (const char *p = end; p > s && colon == NULL; p--) {
        if (p[-1] == ':')
            colon = p - 1;
    }
    if (at == NULL || colon == NULL || colon < at + 2)
        return KS_ERR_INVALID;
    int64_t id = 0, port = 0;
    if (!config_int_parse(s, at, 0, INT32_MAX, &id) ||
        !config_int_parse(colon + 1, end, 1, UINT16_MAX, &port))
        return KS_ERR_INVALID;
    size_t host_bytes = (size_t)(colon - at - 1);
    if (host_bytes >= RAFT_HOST_BYTES_MAX)
        return KS_ERR_INVALID;
    memset(out, 0, sizeof(*out));
    out->id = (int32_t)id;
    memcpy(out->host, at + 1, host_bytes);
    out->port = (uint16_t)port;
    return KS_OK;
}

static int config_voter_compare(const void *a, const void *b)
{
    const struct raft_voter *va = a, *vb = b;
    return (va->id > vb->id) - (va->id < vb->id);
}

static enum ks_err config_voters_parse(const char *text, struct raft_config *out)
{
    if (text == NULL || strlen(text) > RAFT_CONFIG_VOTERS_BYTES_MAX)
        return KS_ERR_INVALID;
    const char *s = text;
    const char *text_end = text + strlen(text);
    out->voter_count = 0;
    while (s < text_end) {
        const char *comma = memchr(s, ',', (size_t)(text_end - s));
        const char *end = comma == NULL ? text_end : comma;
        if (out->voter_count == RAFT_VOTERS_MAX)
            return KS_ERR_TOO_MANY;
        enum ks_err err = config_voter_parse(s, end, &out->voters[out->voter_count]);
        if (err != KS_OK)
            return err;
        out->voter_count++;
        s = comma == NULL ? text_end : comma + 1;
    }
    if (out->voter_count == 0 || text_end[-1] == ',')
        return KS_ERR_INVALID; /* nothing, or an empty last entry */
    qsort(out->voters, out->voter_count, sizeof(out->voters[0]), config_voter_compare);
    for (uint32_t i = 1; i < out->voter_count; i++) {
        if (out->voters[i].id == out->voters[i - 1].id)
            return KS_ERR_INVALID;
    }
    return KS_OK;
}

static enum ks_err config_ms(const struct props *props, const char *key, int64_t dflt, int64_t min,
                             uint32_t *out)
{
    int64_t v = 0;
    enum ks_err err = props_get_i64(props, key, dflt, &v);
    if (err != KS_OK || v < min || v > RAFT_TIMEOUT_MS_MAX)
        return KS_ERR_INVALID;
    *out = (uint32_t)v;
    return KS_OK;
}

enum ks_err raft_config_parse(const struct props *props, struct raft_config *out)
{
    memset(out, 0, sizeof(*out));
    int64_t node_id = -1, port = 0;
    enum ks_err err = props_get_i64(props, "node.id", -1, &node_id);
    if (err != KS_OK || node_id < 0 || node_id > INT32_MAX)
        return KS_ERR_INVALID;
    out->node_id = (int32_t)node_id;
    err = config_voters_parse(props_get(props, "controller.quorum.voters"), out);
    if (err != KS_OK)
        return err;
    int self = raft_config_voter_index(out, out->node_id);
    if (self < 0)
        return KS_ERR_INVALID;
    err = props_get_i64(props, "controller.listener.port", out->voters[self].port, &port);
    if (err != KS_OK || port < 1 || port > UINT16_MAX)
        return KS_ERR_INVALID;
    out->listener_port = (uint16_t)port;
    if (config_ms(props, "controller.quorum.election.timeout.ms", 1000, 1,
                  &out->election_timeout_ms) != KS_OK ||
        config_ms(props, "controller.quorum.fetch.timeout.ms", 2000, 1, &out->fetch_timeout_ms) !=
            KS_OK ||
        config_ms(props, "controller.quorum.election.backoff.max.ms", 1000, 1,
                  &out->election_backoff_max_ms) != KS_OK ||
        config_ms(props, "controller.quorum.request.timeout.ms", 2000, 1,
                  &out->request_timeout_ms) != KS_OK ||
        config_ms(props, "controller.quorum.retry.backoff.ms", 20, 1, &out->retry_backoff_ms) !=
            KS_OK ||
        config_ms(props, "raft.test.append.interval.ms", 0, 0, &out->append_interval_ms) != KS_OK)
        return KS_ERR_INVALID;
    int64_t snapshot_bytes = 0;
    err = props_get_i64(props, "metadata.log.max.record.bytes.between.snapshots", 20971520,
                        &snapshot_bytes);
    if (err != KS_OK || snapshot_bytes < 1)
        return KS_ERR_INVALID;
    out->snapshot_bytes = (uint64_t)snapshot_bytes;
    return KS_OK;
}

int raft_config_voter_index(const struct raft_config *config, int32_t id)
{
    KS_ASSERT(config->voter_count <= RAFT_VOTERS_MAX);
    for (uint32_t i = 0; i < config->voter_count; i++) {
        if (config->voters[i].id == id)
            return (int)i;
    }
    return -1;
}

uint32_t raft_config_majority(const struct raft_config *config)
{
    KS_ASSERT(config->voter_count > 0);
    return config->voter_count / 2 + 1;
}
