/*
 * kcheck.h: the history checker, in the spirit of Jepsen's queue checkers: it reads
 * the clients' history (system/client/history.h) and the brokers' final logs and
 * reports every violation with the offending events. Kafka's guarantees checked
 * (kafka-internals.md section 8, KIP-98, KIP-101):
 *  - kcheck_acked_present: every acknowledged (partition, offset, value) is in the
 *    final log of every in-sync replica given (acks=all; with acks 0 or 1 a loss is an
 *    allowed anomaly, counted, as Kafka documents it);
 *  - kcheck_no_duplicates: each value an idempotent producer sent appears at most once
 *    in the leader's log (without idempotence duplicates are allowed, counted);
 *  - kcheck_consumer_order: each consumer sees offsets of a partition in increasing
 *    order, without gaps but where the leader's log has no records (compaction,
 *    control batches), a reset (seek, auto.offset.reset) starting over;
 *  - kcheck_consumed_committed: a consumed record was below the high watermark of its
 *    fetch answer and is in the leader's final log at the same offset with the same
 *    value (nothing read above the high watermark was later truncated);
 *  - kcheck_key_order: one producer's acknowledged records with the same key keep send
 *    order in the partition when it promised order (idempotence or max.in.flight 1).
 *
 * Replicas are added by the harness after the run (kcheck_add_replica reads a
 * broker's partition log). Ownership: borrows the history; owns copies of what it
 * read from the logs and its report. Not for system/: a sim-side tool.
 */
#ifndef SIM_KCHECK_H
#define SIM_KCHECK_H

#include <stdio.h>

#include "../system/broker/part.h"
#include "../system/client/history.h"

#define KCHECK_REPLICAS_MAX 1024u
#define KCHECK_VIOLATIONS_MAX 64u /* kept with text; more are counted */
#define KCHECK_TEXT_BYTES 512u
#define KCHECK_READ_BYTES (1u << 20)

enum kcheck_kind {
    KCHECK_ACKED_PRESENT,
    KCHECK_NO_DUPLICATES,
    KCHECK_CONSUMER_ORDER,
    KCHECK_CONSUMED_COMMITTED,
    KCHECK_KEY_ORDER,
    KCHECK_KIND_COUNT,
};
const char *kcheck_kind_name(enum kcheck_kind kind);

struct kcheck_record {
    int64_t offset;
    uint64_t value_digest;
};

struct kcheck_replica {
    int32_t broker_id;
    uint32_t topic; /* history topic id */
    int32_t partition;
    bool in_isr;
    bool leader;
    int64_t high_watermark;
    int64_t log_end_offset;
    struct kcheck_record *records; /* by offset */
    uint32_t record_count;
};

struct kcheck_violation {
    enum kcheck_kind kind;
    char text[KCHECK_TEXT_BYTES];
};

struct kcheck {
    const struct history *history;
    struct kcheck_replica replicas[KCHECK_REPLICAS_MAX];
    uint32_t replica_count;
    struct kcheck_violation violations[KCHECK_VIOLATIONS_MAX];
    uint64_t violation_count[KCHECK_KIND_COUNT];
    uint64_t allowed_count[KCHECK_KIND_COUNT]; /* anomalies the settings allow */
    uint64_t kept;
    /* totals for the summary */
    uint64_t sent, acked, failed, received;
};

struct kcheck *kcheck_create(const struct history *history);
void kcheck_free(struct kcheck *ck);

/* Reads the partition's log as it is now (after the run). The topic must be one the
 * history knows (else the replica is ignored). */
KS_MUST_CHECK enum ks_err kcheck_add_replica(struct kcheck *ck, struct part *p, bool in_isr,
                                             bool leader);
/* Runs every check; returns the number of violations. */
uint64_t kcheck_run(struct kcheck *ck);
uint64_t kcheck_violations(const struct kcheck *ck, enum kcheck_kind kind);
void kcheck_report(const struct kcheck *ck, FILE *out);

#endif
