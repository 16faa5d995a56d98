/*
 * ks.h: what every module of the project shares: assertions that stay on in every
 * build, the error enum (Kafka's error codes by number, ours negative), and small
 * helpers for limits and big-endian bytes.
 *
 * KS_ASSERT is for what must hold in our own state. Bytes that come from a disk or
 * a network get an error return, never an assertion.
 */
#ifndef KS_H
#define KS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KS_MUST_CHECK __attribute__((warn_unused_result))
#define KS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define KS_NORETURN __attribute__((noreturn))
#define KS_ARRAY_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Errors. Values >= 0 are Kafka's error codes, spelled and numbered as Kafka does so
 * they go on the wire unchanged. Negative values are the project's own.
 */
enum ks_err {
    KS_OK = 0,
    KS_ERR_UNKNOWN_SERVER_ERROR = -1000, /* Kafka's -1, kept apart from ours */
    KS_ERR_OFFSET_OUT_OF_RANGE = 1,
    KS_ERR_CORRUPT_MESSAGE = 2,
    KS_ERR_UNKNOWN_TOPIC_OR_PARTITION = 3,
    KS_ERR_INVALID_FETCH_SIZE = 4,
    KS_ERR_LEADER_NOT_AVAILABLE = 5,
    KS_ERR_NOT_LEADER_OR_FOLLOWER = 6,
    KS_ERR_REQUEST_TIMED_OUT = 7,
    KS_ERR_MESSAGE_TOO_LARGE = 10,
    KS_ERR_NETWORK_EXCEPTION = 13,
    KS_ERR_INVALID_TOPIC_EXCEPTION = 17,
    KS_ERR_RECORD_LIST_TOO_LARGE = 18,
    KS_ERR_NOT_ENOUGH_REPLICAS = 19,
    KS_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20,
    KS_ERR_INVALID_REQUIRED_ACKS = 21,
    KS_ERR_INVALID_TIMESTAMP = 32,
    KS_ERR_UNSUPPORTED_VERSION = 35,
    KS_ERR_INVALID_REQUEST = 42,
    KS_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT = 43,
    KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER = 45,
    KS_ERR_DUPLICATE_SEQUENCE_NUMBER = 46,
    KS_ERR_INVALID_PRODUCER_EPOCH = 47,
    KS_ERR_KAFKA_STORAGE_ERROR = 56,
    KS_ERR_FENCED_LEADER_EPOCH = 74,
    KS_ERR_UNKNOWN_LEADER_EPOCH = 75,
    KS_ERR_UNSUPPORTED_COMPRESSION_TYPE = 76,
    KS_ERR_INVALID_RECORD = 87,
    KS_ERR_GROUP_MAX_SIZE_REACHED = 81,
    KS_ERR_INVALID_UPDATE_VERSION = 95,
    KS_ERR_INCONSISTENT_CLUSTER_ID = 104,
    KS_ERR_BROKER_NOT_AVAILABLE = 8,
    KS_ERR_REPLICA_NOT_AVAILABLE = 9,
    KS_ERR_STALE_CONTROLLER_EPOCH = 11,
    KS_ERR_OFFSET_METADATA_TOO_LARGE = 12,
    KS_ERR_COORDINATOR_LOAD_IN_PROGRESS = 14,
    KS_ERR_COORDINATOR_NOT_AVAILABLE = 15,
    KS_ERR_NOT_COORDINATOR = 16,
    KS_ERR_ILLEGAL_GENERATION = 22,
    KS_ERR_INCONSISTENT_GROUP_PROTOCOL = 23,
    KS_ERR_INVALID_GROUP_ID = 24,
    KS_ERR_UNKNOWN_MEMBER_ID = 25,
    KS_ERR_INVALID_SESSION_TIMEOUT = 26,
    KS_ERR_REBALANCE_IN_PROGRESS = 27,
    KS_ERR_INVALID_COMMIT_OFFSET_SIZE = 28,
    KS_ERR_TOPIC_AUTHORIZATION_FAILED = 29,
    KS_ERR_GROUP_AUTHORIZATION_FAILED = 30,
    KS_ERR_CLUSTER_AUTHORIZATION_FAILED = 31,
    KS_ERR_UNSUPPORTED_SASL_MECHANISM = 33,
    KS_ERR_ILLEGAL_SASL_STATE = 34,
    KS_ERR_TOPIC_ALREADY_EXISTS = 36,
    KS_ERR_INVALID_PARTITIONS = 37,
    KS_ERR_INVALID_REPLICATION_FACTOR = 38,
    KS_ERR_INVALID_REPLICA_ASSIGNMENT = 39,
    KS_ERR_INVALID_CONFIG = 40,
    KS_ERR_NOT_CONTROLLER = 41,
    KS_ERR_POLICY_VIOLATION = 44,
    KS_ERR_INVALID_TXN_STATE = 48,
    KS_ERR_INVALID_PRODUCER_ID_MAPPING = 49,
    KS_ERR_INVALID_TRANSACTION_TIMEOUT = 50,
    KS_ERR_CONCURRENT_TRANSACTIONS = 51,
    KS_ERR_TRANSACTION_COORDINATOR_FENCED = 52,
    KS_ERR_SECURITY_DISABLED = 53,
    KS_ERR_OPERATION_NOT_ATTEMPTED = 54,
    KS_ERR_LOG_DIR_NOT_FOUND = 57,
    KS_ERR_SASL_AUTHENTICATION_FAILED = 58,
    KS_ERR_UNKNOWN_PRODUCER_ID = 59,
    KS_ERR_REASSIGNMENT_IN_PROGRESS = 60,
    KS_ERR_NON_EMPTY_GROUP = 68,
    KS_ERR_GROUP_ID_NOT_FOUND = 69,
    KS_ERR_FETCH_SESSION_ID_NOT_FOUND = 70,
    KS_ERR_INVALID_FETCH_SESSION_EPOCH = 71,
    KS_ERR_STALE_BROKER_EPOCH = 77,
    KS_ERR_OFFSET_NOT_AVAILABLE = 78,
    KS_ERR_MEMBER_ID_REQUIRED = 79,
    KS_ERR_FENCED_INSTANCE_ID = 82,
    KS_ERR_UNSTABLE_OFFSET_COMMIT = 88,
    KS_ERR_PRODUCER_FENCED = 90,
    KS_ERR_UNKNOWN_TOPIC_ID = 100,
    KS_ERR_DUPLICATE_BROKER_REGISTRATION = 101,
    KS_ERR_BROKER_ID_NOT_REGISTERED = 102,
    KS_ERR_INCONSISTENT_TOPIC_ID = 103,
    KS_ERR_INELIGIBLE_REPLICA = 107,
    KS_ERR_NEW_LEADER_ELECTED = 108,
    KS_ERR_FENCED_MEMBER_EPOCH = 110,
    KS_ERR_STALE_MEMBER_EPOCH = 113,
    KS_ERR_TRANSACTION_ABORTABLE = 120,

    /* The project's own, never on the wire. */
    KS_ERR_IO = -1,            /* EIO from a disk */
    KS_ERR_NO_SPACE = -2,      /* ENOSPC */
    KS_ERR_NOT_FOUND = -3,     /* no such file, directory, node or port */
    KS_ERR_EXISTS = -4,        /* already exists */
    KS_ERR_REFUSED = -5,       /* connection refused: nobody listens there */
    KS_ERR_TIMED_OUT = -6,     /* connect attempt got no answer */
    KS_ERR_CLOSED = -7,        /* the connection is closed or broken */
    KS_ERR_INVALID = -8,       /* bad argument or malformed input */
    KS_ERR_TOO_MANY = -9,      /* a named limit was reached */
    KS_ERR_TRUNCATED = -10,    /* input ended early */
    KS_ERR_BUSY = -11,         /* already in use (a listening port) */
};

/* A name for an error, Kafka's where it is Kafka's ("NOT_ENOUGH_REPLICAS"). */
const char *ks_err_name(enum ks_err err);

/*
 * Assertions: on in every build. On failure print the condition, file and line, then
 * whatever the running harness registered (seed, simulated time), then abort.
 */
#define KS_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (__builtin_expect(!(cond), 0))                                                          \
            ks_assert_fail(#cond, __FILE__, __LINE__);                                             \
    } while (0)

#define KS_UNREACHABLE() ks_assert_fail("unreachable", __FILE__, __LINE__)

KS_NORETURN void ks_assert_fail(const char *cond, const char *file, int line);

/*
 * The harness may register one function that prints the run's context (seed,
 * simulated time, replay command) when an assertion fails. This is the process's one
 * piece of mutable global state; it is diagnostic only and never read by a run.
 */
typedef void (*ks_assert_context_fn)(void *ctx);
void ks_assert_context_set(ks_assert_context_fn fn, void *ctx);

/* Big-endian loads and stores, for codecs. */
static inline uint16_t ks_be16_load(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}
static inline uint32_t ks_be32_load(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t ks_be64_load(const uint8_t *p)
{
    return (uint64_t)ks_be32_load(p) << 32 | ks_be32_load(p + 4);
}
static inline void ks_be16_store(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void ks_be32_store(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void ks_be64_store(uint8_t *p, uint64_t v)
{
    ks_be32_store(p, (uint32_t)(v >> 32));
    ks_be32_store(p + 4, (uint32_t)v);
}

/* Allocation that never returns NULL: out of memory aborts with a message. */
void *ks_alloc(size_t size_bytes);      /* zeroed */
void *ks_realloc(void *p, size_t size_bytes);
char *ks_strdup(const char *s);

/* 64-bit FNV-1a, for names and trace hashing; stable across builds and machines. */
uint64_t ks_fnv1a64(uint64_t hash, const void *bytes, size_t size_bytes);
#define KS_FNV1A64_INIT 0xcbf29ce484222325ULL

#endif
