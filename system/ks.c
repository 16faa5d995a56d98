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
