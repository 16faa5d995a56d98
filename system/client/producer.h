/*
 * producer.h: the producer client library. Kafka: KafkaProducer (send, flush, close),
 * RecordAccumulator (one queue of batches per partition, batch.size, linger.ms),
 * ProducerBatch, Sender (drains ready batches into one Produce request per broker,
 * handles answers, retries with backoff, delivery.timeout.ms), TransactionManager's
 * idempotent part (InitProducerId, per-partition sequence numbers, retries keeping
 * their sequences, OUT_OF_ORDER_SEQUENCE_NUMBER and UNKNOWN_PRODUCER_ID handled by an
 * epoch bump, KIP-360), BuiltInPartitioner (partitioner.h).
 *
 * The batch lifecycle is an explicit state machine (producer_batch_state below):
 *
 *   OPEN --(full, or another record needs a new batch)--> SEALED
 *   OPEN | SEALED --(drained into a request)--> IN_FLIGHT
 *   IN_FLIGHT --(retriable error, retries left)--> BACKOFF --(backoff over)--> IN_FLIGHT
 *   IN_FLIGHT --(acknowledged, or a final error)--> DONE
 *   OPEN | SEALED | BACKOFF --(delivery.timeout.ms, close)--> DONE
 *
 * A batch is sent when SEALED, when OPEN for linger.ms, during a flush or when its
 * backoff is over. Per partition batches go out in queue order: a batch in backoff
 * holds back the ones behind it (sequences stay in order). Backoff is
 * retry.backoff.ms * 2^(attempts-1), capped at retry.backoff.max.ms, with +-20% jitter
 * drawn from env (KIP-580).
 *
 * Configuration (Kafka's names and 3.x defaults, kafka-internals.md 5.3):
 * bootstrap.servers, client.id, acks (all; 0, 1, all or -1), enable.idempotence (true
 * unless acks, retries or max.in.flight conflict and it was not set explicitly),
 * retries (2147483647), retry.backoff.ms (100), retry.backoff.max.ms (1000),
 * delivery.timeout.ms (120000), request.timeout.ms (30000), linger.ms (0),
 * batch.size (16384), max.in.flight.requests.per.connection (5).
 *
 * Records handed to send are copied. A send's callback runs exactly once: with the
 * partition and offset on success (offset -1 for acks=0), or with an error; never
 * inside send. close fails what is still queued with KS_ERR_CLOSED (Kafka's close
 * with a zero timeout); destroy (after a crash) frees memory without callbacks.
 *
 * Ownership: a producer owns its network client, queues and records; it borrows the
 * history (producer_set_history). No global state.
 */
#ifndef KS_CLIENT_PRODUCER_H
#define KS_CLIENT_PRODUCER_H

#include "cnet.h"
#include "history.h"
#include "partitioner.h"
#include "system/log/rb.h"

#define PRODUCER_TOPICS_MAX CNET_TOPICS_MAX
#define PRODUCER_BATCHES_MAX 4096u  /* per partition queue */
#define PRODUCER_RECORDS_MAX 65536u /* per batch */
#define PRODUCER_PENDING_MAX 65536u /* records waiting for a topic's metadata */
#define PRODUCER_HEADERS_MAX 64u    /* per record */
#define PRODUCER_REQUESTS_MAX (CNET_BROKERS_MAX * CNET_INFLIGHT_MAX + 1u)
#define PRODUCER_RECORD_OVERHEAD_BYTES 21u /* DefaultRecord.MAX_RECORD_OVERHEAD */

enum producer_batch_state {
    PRODUCER_BATCH_OPEN,      /* last of its queue, takes records */
    PRODUCER_BATCH_SEALED,    /* closed for records, not yet sent */
    PRODUCER_BATCH_IN_FLIGHT, /* in a Produce request */
    PRODUCER_BATCH_BACKOFF,   /* failed retriably, waiting to be sent again */
    PRODUCER_BATCH_DONE,      /* acknowledged or failed; callbacks ran */
};
const char *producer_batch_state_name(enum producer_batch_state state);

/* Idempotence: the producer id's lifecycle. */
enum producer_pid_state {
    PRODUCER_PID_NONE,       /* not idempotent, or none asked yet */
    PRODUCER_PID_REQUESTING, /* InitProducerId in flight */
    PRODUCER_PID_READY,      /* batches may go */
    PRODUCER_PID_BUMP_WAIT,  /* an epoch bump waits for requests in flight to end */
};

typedef void (*producer_send_done_fn)(void *ctx, int32_t partition, int64_t offset,
                                      enum ks_err err);

struct producer_config {
    struct cnet_config net;
    int16_t acks; /* 0, 1, -1 */
    bool idempotence;
    int32_t retries;
    uint32_t retry_backoff_ms;
    uint32_t retry_backoff_max_ms;
    uint32_t delivery_timeout_ms;
    uint32_t linger_ms;
    uint32_t batch_size_bytes;
};

struct producer_record {
    uint8_t *blob;      /* key, value and headers, owned */
    const uint8_t *key; /* NULL: null key */
    uint32_t key_size;
    const uint8_t *value; /* NULL: null value */
    uint32_t value_size;
    struct rb_record_header headers[PRODUCER_HEADERS_MAX];
    uint32_t header_count;
    int64_t timestamp_ms;
    producer_send_done_fn done;
    void *ctx;
    uint64_t history_send; /* index of its SEND event */
};

struct producer_partition;

struct producer_batch {
    enum producer_batch_state state;
    struct producer_partition *part;
    struct producer_record *records;
    uint32_t record_count;
    uint32_t record_capacity;
    uint32_t size_bytes; /* estimated encoded size */
    uint64_t created_ns;
    uint64_t retry_at_ns;
    uint32_t attempts;     /* sends so far */
    int32_t base_sequence; /* RB_NO_SEQUENCE until first drained (idempotence) */
    int16_t producer_epoch;
};

struct producer_partition {
    uint32_t topic; /* index in producer topics */
    int32_t partition;
    struct producer_batch **batches; /* queue order */
    uint32_t batch_count;
    int32_t next_sequence;
    int32_t last_acked_sequence; /* -1: none */
    uint32_t inflight;           /* batches IN_FLIGHT */
};

struct producer_topic {
    char name[CNET_TOPIC_BYTES_MAX + 1];
    uint32_t history_topic;
    uint32_t partition_count; /* 0 until metadata */
    struct producer_partition *partitions;
    struct partitioner_sticky sticky;
    struct producer_record *pending; /* waiting for metadata */
    uint32_t pending_count;
};

struct producer_request;

struct producer {
    struct env *env;
    struct producer_config config;
    struct cnet *net;
    struct producer_topic topics[PRODUCER_TOPICS_MAX];
    uint32_t topic_count;
    enum producer_pid_state pid_state;
    int64_t producer_id;
    int16_t producer_epoch;
    struct producer_request *requests[PRODUCER_REQUESTS_MAX];
    uint32_t request_count;
    env_timer_id run_timer;
    uint64_t run_at_ns;
    bool flushing;
    struct history *history; /* borrowed, may be NULL */
    uint32_t history_client;
    /* counters, for tests and reports */
    uint64_t sent_records;
    uint64_t acked_records;
    uint64_t failed_records;
    uint64_t produce_requests;
    uint64_t retries_done;
    uint64_t epoch_bumps;
};

KS_MUST_CHECK enum ks_err producer_config_from_props(const struct props *props,
                                                     struct producer_config *out);
/* NULL with *err_out set on a bad configuration. */
struct producer *producer_create(struct env *env, const struct props *config, enum ks_err *err_out);
/* Fails what is queued (KS_ERR_CLOSED), closes connections, frees. */
void producer_close(struct producer *p);
/* Frees memory only, without env calls or callbacks (after a crash). */
void producer_destroy(struct producer *p);

void producer_set_history(struct producer *p, struct history *history, const char *client_name);

/* KafkaProducer.send. key / value NULL mean null. Errors: KS_ERR_TOO_MANY at a queue
 * limit, KS_ERR_INVALID_TOPIC_EXCEPTION for a bad name. */
KS_MUST_CHECK enum ks_err producer_send(struct producer *p, const char *topic, const uint8_t *key,
                                        uint32_t key_size, const uint8_t *value,
                                        uint32_t value_size, const struct rb_record_header *headers,
                                        uint32_t header_count, producer_send_done_fn done,
                                        void *ctx);
/* Makes every queued batch ready now, until the queues are empty. */
void producer_flush(struct producer *p);
/* Records not yet acknowledged or failed. */
uint64_t producer_unfinished(const struct producer *p);

#endif
