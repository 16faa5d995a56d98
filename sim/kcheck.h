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
 *    order in the partition when it promised order (idempotence or max.in.flight 1);
 *  - kcheck_replicas_agree: every two replicas of a partition hold byte-identical
 *    batches (a digest of each batch's bytes, epoch and offsets included) over every
 *    offset both hold below both high watermarks;
 *  - kcheck_hw_monotonic: a leader's high watermark never moves back within one leader
 *    epoch of one incarnation of the broker. This one is watched during the run: the
 *    harness calls kcheck_observe_leaders after every event (struct kcheck_hw_watch,
 *    usable alone by scenario invariants).
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
    KCHECK_REPLICAS_AGREE,
    KCHECK_HW_MONOTONIC,
    KCHECK_KIND_COUNT,
};
const char *kcheck_kind_name(enum kcheck_kind kind);

struct kcheck_record {
    int64_t offset;
    uint64_t value_digest;
};

/* One batch of a replica's log: offsets and a digest of its bytes. */
struct kcheck_batch {
    int64_t base_offset;
    int64_t last_offset;
    int32_t leader_epoch;
    uint64_t digest;
};

struct kcheck_replica {
    int32_t broker_id;
    uint32_t topic; /* history topic id */
    int32_t partition;
    bool in_isr;
    bool leader;
    int64_t high_watermark;
    int64_t log_start_offset;
    int64_t log_end_offset;
    struct kcheck_record *records; /* by offset */
    uint32_t record_count;
    struct kcheck_batch *batches; /* by offset */
    uint32_t batch_count;
};

/* ---- The leaders' high watermarks, watched during a run ------------------------- */

#define KCHECK_HW_MARKS_MAX 65536u

/* The last high watermark seen of one partition's leader on one broker. */
struct kcheck_hw_mark {
    int32_t broker_id;
    uint32_t incarnation; /* of the broker node: a restart starts over */
    char topic[PLOG_TOPIC_BYTES_MAX + 1];
    int32_t partition;
    int32_t leader_epoch;
    int64_t high_watermark;
};

struct kcheck_hw_watch {
    struct kcheck_hw_mark *marks;
    uint32_t mark_count;
    uint64_t observations;
};

void kcheck_hw_watch_init(struct kcheck_hw_watch *w);
void kcheck_hw_watch_free(struct kcheck_hw_watch *w);
/* Looks at one replica now (ignored unless it leads). Returns false, saying in why which
 * partition, broker, epoch and offsets, when its high watermark moved back since the
 * last look within the same leader epoch and incarnation. */
bool kcheck_hw_watch_observe(struct kcheck_hw_watch *w, const struct part *p, uint32_t incarnation,
                             uint64_t now_ns, char *why, size_t why_bytes);

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
    struct kcheck_hw_watch hw_watch;
    /* totals for the summary */
    uint64_t sent, acked, failed, received;
};

struct kcheck *kcheck_create(const struct history *history);
void kcheck_free(struct kcheck *ck);

/* Reads the partition's log as it is now (after the run). The topic must be one the
 * history knows (else the replica is ignored). */
KS_MUST_CHECK enum ks_err kcheck_add_replica(struct kcheck *ck, struct part *p, bool in_isr,
                                             bool leader);
/* kcheck_hw_monotonic, during the run: one replica after an event (see
 * kcheck_hw_watch_observe); a violation is recorded at once. */
void kcheck_observe_leader(struct kcheck *ck, const struct part *p, uint32_t incarnation,
                           uint64_t now_ns);
/* Runs every check; returns the number of violations. */
uint64_t kcheck_run(struct kcheck *ck);
uint64_t kcheck_violations(const struct kcheck *ck, enum kcheck_kind kind);
void kcheck_report(const struct kcheck *ck, FILE *out);

#endif
