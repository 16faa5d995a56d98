/*
 * history.h: what the clients did, as an append-only list of events, for a checker to
 * read after (or during) a run, as Jepsen's queue checkers read a history. Producers
 * record each send, acknowledgement and failure; consumers each record received,
 * each position reset and each fetch error. Kafka has no such thing: this is the
 * harness's view of KafkaProducer's callbacks and KafkaConsumer.poll's results.
 *
 * The harness creates one history and hands it to every client node it starts
 * (cnode_set_history, producer_set_history, consumer_set_history) right after the
 * start, before the world runs; clients with no history record nothing. Events keep
 * their order of recording (one thread), their time is the recording node's
 * monotonic clock (simulated time under the simulator). Values are kept as a 64-bit
 * digest and a short printable prefix for reports.
 *
 * Ownership: the history owns its events and its client and topic names; clients
 * borrow it and must not outlive it. No global state.
 */
#ifndef KS_CLIENT_HISTORY_H
#define KS_CLIENT_HISTORY_H

#include "system/ks.h"

#define HISTORY_EVENTS_MAX (16u * 1024u * 1024u)
#define HISTORY_CLIENTS_MAX 256u
#define HISTORY_TOPICS_MAX 256u
#define HISTORY_NAME_BYTES_MAX 64u
#define HISTORY_TEXT_BYTES 24u /* printable value prefix kept for reports */
#define HISTORY_NO_OFFSET (-1)

enum history_op {
    HISTORY_SEND,    /* producer: a record handed to send(); partition known */
    HISTORY_ACK,     /* producer: the record's acknowledgement (offset; -1 for acks=0) */
    HISTORY_FAIL,    /* producer: the record failed for good (result) */
    HISTORY_RECEIVE, /* consumer: a record handed to the application */
    HISTORY_RESET,   /* consumer: position set (seek, auto.offset.reset) to offset */
    HISTORY_ERROR,   /* consumer: a fetch or reset failed (result) */
};
const char *history_op_name(enum history_op op);

struct history_event {
    uint64_t index; /* position in the history */
    uint64_t time_ns;
    uint32_t client; /* from history_client_register */
    enum history_op op;
    uint32_t topic; /* from history_topic_intern */
    int32_t partition;
    int64_t offset;      /* HISTORY_NO_OFFSET when none */
    uint64_t send_index; /* ACK, FAIL: the index of the record's SEND event */
    uint64_t key_digest; /* 0 for a null key */
    bool key_null;
    uint64_t value_digest;
    char value_text[HISTORY_TEXT_BYTES]; /* NUL-terminated prefix, non-printables as '.' */
    enum ks_err result;
    int64_t high_watermark; /* RECEIVE: the partition's HW in that fetch response */
    int64_t producer_id;    /* SEND, ACK: idempotent producer id, else -1 */
    int16_t acks;           /* SEND: the producer's acks */
    bool idempotent;        /* SEND: the producer's enable.idempotence */
    bool ordered;           /* SEND: idempotence or max.in.flight 1 (per-key order promised) */
};

struct history {
    struct history_event *events;
    uint64_t count;
    uint64_t capacity;
    char clients[HISTORY_CLIENTS_MAX][HISTORY_NAME_BYTES_MAX];
    uint32_t client_count;
    char topics[HISTORY_TOPICS_MAX][HISTORY_NAME_BYTES_MAX];
    uint32_t topic_count;
    uint64_t dropped; /* events past HISTORY_EVENTS_MAX, counted not kept */
};

struct history *history_create(void);
void history_free(struct history *h);

/* The id of a client name (registered once, the same id again after). */
uint32_t history_client_register(struct history *h, const char *name);
uint32_t history_topic_intern(struct history *h, const char *topic);
const char *history_client_name(const struct history *h, uint32_t client);
const char *history_topic_name(const struct history *h, uint32_t topic);

/* FNV-1a of the bytes (a null key or value digests as 0). */
uint64_t history_digest(const uint8_t *bytes, uint32_t size_bytes);
/* Fills value_digest and value_text of e from a value. */
void history_event_set_value(struct history_event *e, const uint8_t *value, uint32_t size_bytes);
void history_event_set_key(struct history_event *e, const uint8_t *key, uint32_t size_bytes);

/* Appends a copy of e (its index is assigned); returns the index. */
uint64_t history_append(struct history *h, const struct history_event *e);

/* One line for people: "#12 t=1.234s p0 ACK orders-1@17 v=p0-..-3 NONE". */
void history_event_format(const struct history *h, const struct history_event *e, char *buf,
                          size_t buf_bytes);

#endif
