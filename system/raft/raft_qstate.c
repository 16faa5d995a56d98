/*
 * raft_qstate.c: the quorum-state file, see raft_qstate.h. Kafka:
 * FileQuorumStateStore.writeElectionStateToFile / readElectionState.
 */
#include "system/raft/raft_qstate.h"

#include <stdio.h>
#include <string.h>

#define RAFT_QSTATE_PATH_BYTES_MAX 256u
/* Digits of an int32, with sign, at most. */
#define RAFT_QSTATE_INT_DIGITS_MAX 11

uint32_t raft_qstate_format(const struct raft_qstate *qs, const struct raft_config *config,
                            char *buf, uint32_t buf_bytes)
{
    KS_ASSERT(buf_bytes >= 256);
    KS_ASSERT(config->voter_count <= RAFT_VOTERS_MAX);
    int n = snprintf(buf, buf_bytes,
                     "{\"clusterId\":\"\",\"leaderId\":%d,\"leaderEpoch\":%d,\"votedId\":%d,"
                     "\"appliedOffset\":0,\"currentVoters\":[",
                     qs->leader_id, qs->leader_epoch, qs->voted_id);
    for (uint32_t i = 0; i < config->voter_count && n > 0 && (uint32_t)n < buf_bytes; i++)
        n += snprintf(buf + n, buf_bytes - (uint32_t)n, "%s{\"voterId\":%d}", i ? "," : "",
                      config->voters[i].id);
    if (n > 0 && (uint32_t)n < buf_bytes)
        n += snprintf(buf + n, buf_bytes - (uint32_t)n, "],\"data_version\":0}");
    KS_ASSERT(n > 0);
    KS_ASSERT((uint32_t)n < buf_bytes);
    return (uint32_t)n;
}

/* Finds `"key":` in text and parses the integer after it. */
static bool qstate_field(const char *text, uint32_t size_bytes, const char *key, int32_t *out)
{
    char pattern[32];
    int plen = snprintf(pattern, sizeof(pattern), "\"%s\":", key);
    KS_ASSERT(plen > 0 && (size_t)plen < sizeof(pattern));
    for (uint32_t i = 0; i + (uint32_t)plen <= size_bytes; i++) {
        if (memcmp(text + i, pattern, (size_t)plen) != 0)
            continue;
        uint32_t p = i + (uint32_t)plen;
        bool negative = p < size_bytes && text[p] == '-';
        p += negative;
        int64_t v = 0;
        int digits = 0;
        for (; p < size_bytes && text[p] >= '0' && text[p] <= '9'; p++) {
            if (++digits > RAFT_QSTATE_INT_DIGITS_MAX)
                return false;
            v = v * 10 + (text[p] - '0');
        }
        v = negative ? -v : v;
        if (digits == 0 || v < INT32_MIN || v > INT32_MAX)
            return false;
        *out = (int32_t)v;
        return true;
    }
    return false;
}

enum ks_err raft_qstate_parse(const char *text, uint32_t size_bytes, struct raft_qstate *out)
{
    int32_t data_version = -1;
    if (size_bytes < 2 || text[0] != '{' || text[size_bytes - 1] != '}')
        return KS_ERR_CORRUPT_MESSAGE;
    if (!qstate_field(text, size_bytes, "leaderId", &out->leader_id) ||
        !qstate_field(text, size_bytes, "leaderEpoch", &out->leader_epoch) ||
        !qstate_field(text, size_bytes, "votedId", &out->voted_id) ||
        !qstate_field(text, size_bytes, "data_version", &data_version))
        return KS_ERR_CORRUPT_MESSAGE;
    if (data_version != 0 || out->leader_epoch < 0 || out->leader_id < -1 || out->voted_id < -1)
        return KS_ERR_CORRUPT_MESSAGE;
    return KS_OK;
}

static void qstate_path(char *buf, size_t buf_bytes, const char *dir, const char *name)
{
    int n = snprintf(buf, buf_bytes, "%s/%s", dir, name);
    KS_ASSERT(n > 0 && (size_t)n < buf_bytes);
}

enum ks_err raft_qstate_read(struct env *env, const char *dir, struct raft_qstate *out)
{
    char path[RAFT_QSTATE_PATH_BYTES_MAX];
    char text[RAFT_QSTATE_BYTES_MAX];
    env_file_id file = 0;
    uint32_t n = 0;
    *out = (struct raft_qstate){.leader_epoch = 0, .leader_id = -1, .voted_id = -1};
    qstate_path(path, sizeof(path), dir, RAFT_QSTATE_FILE);
    enum ks_err err = env_file_open(env, path, 0, &file);
    if (err == KS_ERR_NOT_FOUND)
        return KS_OK;
    if (err != KS_OK)
        return err;
    err = env_file_read(env, file, 0, (uint8_t *)text, sizeof(text), &n);
    env_file_close(env, file);
    if (err != KS_OK)
        return err;
    if (n == 0)
        return KS_OK;
    if (n == sizeof(text))
        return KS_ERR_CORRUPT_MESSAGE;
    return raft_qstate_parse(text, n, out);
}

enum ks_err raft_qstate_write(struct env *env, const char *dir, const struct raft_qstate *qs,
                              const struct raft_config *config)
{
    char path[RAFT_QSTATE_PATH_BYTES_MAX], tmp[RAFT_QSTATE_PATH_BYTES_MAX];
    char text[RAFT_QSTATE_BYTES_MAX];
    env_file_id file = 0;
    uint32_t n = raft_qstate_format(qs, config, text, sizeof(text));
    qstate_path(path, sizeof(path), dir, RAFT_QSTATE_FILE);
    qstate_path(tmp, sizeof(tmp), dir, RAFT_QSTATE_FILE ".tmp");
    enum ks_err err = env_file_open(env, tmp, ENV_FILE_CREATE | ENV_FILE_TRUNC, &file);
    if (err != KS_OK)
        return err;
    err = env_file_write(env, file, 0, (const uint8_t *)text, n);
    if (err == KS_OK)
        err = env_file_sync(env, file);
    env_file_close(env, file);
    if (err == KS_OK)
        err = env_path_rename(env, tmp, path);
    if (err == KS_OK)
        err = env_dir_sync(env, dir);
    return err;
}
