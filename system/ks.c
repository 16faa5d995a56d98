/*
 * ks.c: assertion failure, error names, allocation and hashing shared by every module.
 */
#include "ks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The one process-wide pointer, diagnostic only (see ks.h). */
static _Thread_local ks_assert_context_fn assert_context_fn;
static _Thread_local void *assert_context_ctx;

void ks_assert_context_set(ks_assert_context_fn fn, void *ctx)
{
    assert_context_fn = fn;
    assert_context_ctx = ctx;
}

void ks_assert_fail(const char *cond, const char *file, int line)
{
    fprintf(stderr, "assertion failed: %s at %s:%d\n", cond, file, line);
    if (assert_context_fn != NULL) {
        ks_assert_context_fn fn = assert_context_fn;
        assert_context_fn = NULL; /* an assertion inside the hook must not recurse */
        fn(assert_context_ctx);
    }
    fflush(stderr);
    abort();
}

const char *ks_err_name(enum ks_err err)
{
    switch (err) {
    case KS_OK: return "NONE";
    case KS_ERR_UNKNOWN_SERVER_ERROR: return "UNKNOWN_SERVER_ERROR";
    case KS_ERR_OFFSET_OUT_OF_RANGE: return "OFFSET_OUT_OF_RANGE";
    case KS_ERR_CORRUPT_MESSAGE: return "CORRUPT_MESSAGE";
    case KS_ERR_UNKNOWN_TOPIC_OR_PARTITION: return "UNKNOWN_TOPIC_OR_PARTITION";
    case KS_ERR_INVALID_FETCH_SIZE: return "INVALID_FETCH_SIZE";
    case KS_ERR_LEADER_NOT_AVAILABLE: return "LEADER_NOT_AVAILABLE";
    case KS_ERR_NOT_LEADER_OR_FOLLOWER: return "NOT_LEADER_OR_FOLLOWER";
    case KS_ERR_REQUEST_TIMED_OUT: return "REQUEST_TIMED_OUT";
    case KS_ERR_MESSAGE_TOO_LARGE: return "MESSAGE_TOO_LARGE";
    case KS_ERR_NETWORK_EXCEPTION: return "NETWORK_EXCEPTION";
    case KS_ERR_INVALID_TOPIC_EXCEPTION: return "INVALID_TOPIC_EXCEPTION";
    case KS_ERR_RECORD_LIST_TOO_LARGE: return "RECORD_LIST_TOO_LARGE";
    case KS_ERR_NOT_ENOUGH_REPLICAS: return "NOT_ENOUGH_REPLICAS";
    case KS_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND: return "NOT_ENOUGH_REPLICAS_AFTER_APPEND";
    case KS_ERR_INVALID_REQUIRED_ACKS: return "INVALID_REQUIRED_ACKS";
    case KS_ERR_INVALID_TIMESTAMP: return "INVALID_TIMESTAMP";
    case KS_ERR_UNSUPPORTED_VERSION: return "UNSUPPORTED_VERSION";
    case KS_ERR_INVALID_REQUEST: return "INVALID_REQUEST";
    case KS_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT: return "UNSUPPORTED_FOR_MESSAGE_FORMAT";
    case KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER: return "OUT_OF_ORDER_SEQUENCE_NUMBER";
    case KS_ERR_DUPLICATE_SEQUENCE_NUMBER: return "DUPLICATE_SEQUENCE_NUMBER";
    case KS_ERR_INVALID_PRODUCER_EPOCH: return "INVALID_PRODUCER_EPOCH";
    case KS_ERR_KAFKA_STORAGE_ERROR: return "KAFKA_STORAGE_ERROR";
    case KS_ERR_FENCED_LEADER_EPOCH: return "FENCED_LEADER_EPOCH";
    case KS_ERR_UNKNOWN_LEADER_EPOCH: return "UNKNOWN_LEADER_EPOCH";
    case KS_ERR_UNSUPPORTED_COMPRESSION_TYPE: return "UNSUPPORTED_COMPRESSION_TYPE";
    case KS_ERR_INVALID_RECORD: return "INVALID_RECORD";
    case KS_ERR_GROUP_MAX_SIZE_REACHED: return "GROUP_MAX_SIZE_REACHED";
    case KS_ERR_INVALID_UPDATE_VERSION: return "INVALID_UPDATE_VERSION";
    case KS_ERR_INCONSISTENT_CLUSTER_ID: return "INCONSISTENT_CLUSTER_ID";
    case KS_ERR_BROKER_NOT_AVAILABLE: return "BROKER_NOT_AVAILABLE";
    case KS_ERR_REPLICA_NOT_AVAILABLE: return "REPLICA_NOT_AVAILABLE";
    case KS_ERR_STALE_CONTROLLER_EPOCH: return "STALE_CONTROLLER_EPOCH";
    case KS_ERR_OFFSET_METADATA_TOO_LARGE: return "OFFSET_METADATA_TOO_LARGE";
    case KS_ERR_COORDINATOR_LOAD_IN_PROGRESS: return "COORDINATOR_LOAD_IN_PROGRESS";
    case KS_ERR_COORDINATOR_NOT_AVAILABLE: return "COORDINATOR_NOT_AVAILABLE";
    case KS_ERR_NOT_COORDINATOR: return "NOT_COORDINATOR";
    case KS_ERR_ILLEGAL_GENERATION: return "ILLEGAL_GENERATION";
    case KS_ERR_INCONSISTENT_GROUP_PROTOCOL: return "INCONSISTENT_GROUP_PROTOCOL";
    case KS_ERR_INVALID_GROUP_ID: return "INVALID_GROUP_ID";
    case KS_ERR_UNKNOWN_MEMBER_ID: return "UNKNOWN_MEMBER_ID";
    case KS_ERR_INVALID_SESSION_TIMEOUT: return "INVALID_SESSION_TIMEOUT";
    case KS_ERR_REBALANCE_IN_PROGRESS: return "REBALANCE_IN_PROGRESS";
    case KS_ERR_INVALID_COMMIT_OFFSET_SIZE: return "INVALID_COMMIT_OFFSET_SIZE";
    case KS_ERR_TOPIC_AUTHORIZATION_FAILED: return "TOPIC_AUTHORIZATION_FAILED";
    case KS_ERR_GROUP_AUTHORIZATION_FAILED: return "GROUP_AUTHORIZATION_FAILED";
    case KS_ERR_CLUSTER_AUTHORIZATION_FAILED: return "CLUSTER_AUTHORIZATION_FAILED";
    case KS_ERR_UNSUPPORTED_SASL_MECHANISM: return "UNSUPPORTED_SASL_MECHANISM";
    case KS_ERR_ILLEGAL_SASL_STATE: return "ILLEGAL_SASL_STATE";
    case KS_ERR_TOPIC_ALREADY_EXISTS: return "TOPIC_ALREADY_EXISTS";
    case KS_ERR_INVALID_PARTITIONS: return "INVALID_PARTITIONS";
    case KS_ERR_INVALID_REPLICATION_FACTOR: return "INVALID_REPLICATION_FACTOR";
    case KS_ERR_INVALID_REPLICA_ASSIGNMENT: return "INVALID_REPLICA_ASSIGNMENT";
    case KS_ERR_INVALID_CONFIG: return "INVALID_CONFIG";
    case KS_ERR_NOT_CONTROLLER: return "NOT_CONTROLLER";
    case KS_ERR_POLICY_VIOLATION: return "POLICY_VIOLATION";
    case KS_ERR_INVALID_TXN_STATE: return "INVALID_TXN_STATE";
    case KS_ERR_INVALID_PRODUCER_ID_MAPPING: return "INVALID_PRODUCER_ID_MAPPING";
    case KS_ERR_INVALID_TRANSACTION_TIMEOUT: return "INVALID_TRANSACTION_TIMEOUT";
    case KS_ERR_CONCURRENT_TRANSACTIONS: return "CONCURRENT_TRANSACTIONS";
    case KS_ERR_TRANSACTION_COORDINATOR_FENCED: return "TRANSACTION_COORDINATOR_FENCED";
    case KS_ERR_SECURITY_DISABLED: return "SECURITY_DISABLED";
    case KS_ERR_OPERATION_NOT_ATTEMPTED: return "OPERATION_NOT_ATTEMPTED";
    case KS_ERR_LOG_DIR_NOT_FOUND: return "LOG_DIR_NOT_FOUND";
    case KS_ERR_SASL_AUTHENTICATION_FAILED: return "SASL_AUTHENTICATION_FAILED";
    case KS_ERR_UNKNOWN_PRODUCER_ID: return "UNKNOWN_PRODUCER_ID";
    case KS_ERR_REASSIGNMENT_IN_PROGRESS: return "REASSIGNMENT_IN_PROGRESS";
    case KS_ERR_NON_EMPTY_GROUP: return "NON_EMPTY_GROUP";
    case KS_ERR_GROUP_ID_NOT_FOUND: return "GROUP_ID_NOT_FOUND";
    case KS_ERR_FETCH_SESSION_ID_NOT_FOUND: return "FETCH_SESSION_ID_NOT_FOUND";
    case KS_ERR_INVALID_FETCH_SESSION_EPOCH: return "INVALID_FETCH_SESSION_EPOCH";
    case KS_ERR_STALE_BROKER_EPOCH: return "STALE_BROKER_EPOCH";
    case KS_ERR_OFFSET_NOT_AVAILABLE: return "OFFSET_NOT_AVAILABLE";
    case KS_ERR_MEMBER_ID_REQUIRED: return "MEMBER_ID_REQUIRED";
    case KS_ERR_FENCED_INSTANCE_ID: return "FENCED_INSTANCE_ID";
    case KS_ERR_UNSTABLE_OFFSET_COMMIT: return "UNSTABLE_OFFSET_COMMIT";
    case KS_ERR_PRODUCER_FENCED: return "PRODUCER_FENCED";
    case KS_ERR_UNKNOWN_TOPIC_ID: return "UNKNOWN_TOPIC_ID";
    case KS_ERR_DUPLICATE_BROKER_REGISTRATION: return "DUPLICATE_BROKER_REGISTRATION";
    case KS_ERR_BROKER_ID_NOT_REGISTERED: return "BROKER_ID_NOT_REGISTERED";
    case KS_ERR_INCONSISTENT_TOPIC_ID: return "INCONSISTENT_TOPIC_ID";
    case KS_ERR_INELIGIBLE_REPLICA: return "INELIGIBLE_REPLICA";
    case KS_ERR_NEW_LEADER_ELECTED: return "NEW_LEADER_ELECTED";
    case KS_ERR_FENCED_MEMBER_EPOCH: return "FENCED_MEMBER_EPOCH";
    case KS_ERR_STALE_MEMBER_EPOCH: return "STALE_MEMBER_EPOCH";
    case KS_ERR_TRANSACTION_ABORTABLE: return "TRANSACTION_ABORTABLE";
    case KS_ERR_IO: return "EIO";
    case KS_ERR_NO_SPACE: return "ENOSPC";
    case KS_ERR_NOT_FOUND: return "NOT_FOUND";
    case KS_ERR_EXISTS: return "EXISTS";
    case KS_ERR_REFUSED: return "CONNECTION_REFUSED";
    case KS_ERR_TIMED_OUT: return "CONNECT_TIMED_OUT";
    case KS_ERR_CLOSED: return "CONNECTION_CLOSED";
    case KS_ERR_INVALID: return "INVALID_ARGUMENT";
    case KS_ERR_TOO_MANY: return "LIMIT_REACHED";
    case KS_ERR_TRUNCATED: return "TRUNCATED";
    case KS_ERR_BUSY: return "BUSY";
    }
    return "UNKNOWN_ERROR";
}

static KS_NORETURN void alloc_fail(size_t size_bytes)
{
    fprintf(stderr, "out of memory allocating %zu bytes\n", size_bytes);
    abort();
}

void *ks_alloc(size_t size_bytes)
{
    void *p = calloc(1, size_bytes == 0 ? 1 : size_bytes);
    if (p == NULL)
        alloc_fail(size_bytes);
    return p;
}

void *ks_realloc(void *p, size_t size_bytes)
{
    void *q = realloc(p, size_bytes == 0 ? 1 : size_bytes);
    if (q == NULL)
        alloc_fail(size_bytes);
    return q;
}

char *ks_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = ks_alloc(n);
    memcpy(d, s, n);
    return d;
}

uint64_t ks_fnv1a64(uint64_t hash, const void *bytes, size_t size_bytes)
{
    const uint8_t *p = bytes;
    for (size_t i = 0; i < size_bytes; i++) {
        hash ^= p[i];
        hash *= 0x100000001b3ULL;
    }
    return hash;
}
