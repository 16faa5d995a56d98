/*
 * pstate.h: the idempotent producers' state of one partition. Kafka:
 * ProducerStateManager, ProducerStateEntry, ProducerAppendInfo.checkSequence (KIP-98,
 * KIP-360).
 *
 * Per producer id: its epoch and the sequence and offset ranges of its last
 * PSTATE_BATCHES_MAX (5) batches, which is why a producer keeps at most five requests
 * in flight. The leader checks each batch before appending it (pstate_check): a lower
 * epoch is INVALID_PRODUCER_EPOCH; a batch equal to a retained one is a duplicate,
 * answered with the original offsets and not written; a new epoch must start at
 * sequence 0 and a batch of the same epoch must continue at last + 1 (wrapping at
 * INT32_MAX), else OUT_OF_ORDER_SEQUENCE_NUMBER. A producer this partition does not
 * know is accepted at any sequence (its state may have been lost to retention).
 * Leaders and followers record every appended batch (pstate_update), so a follower
 * that becomes leader de-duplicates as well. Recovery rebuilds the state by scanning
 * the log (pstate_rebuild).
 *
 * Producers are kept sorted by id (binary search for lookups, walks in id order).
 * Ownership: the state owns its array. No global state.
 */
#ifndef KS_BROKER_PSTATE_H
#define KS_BROKER_PSTATE_H

#include "system/log/plog.h"

#define PSTATE_BATCHES_MAX 5u      /* Kafka: ProducerStateEntry.NUM_BATCHES_TO_RETAIN */
#define PSTATE_PRODUCERS_MAX 8192u /* producers remembered per partition */
#define PSTATE_SEQUENCE_MAX INT32_MAX
/* Bytes read at a time while rebuilding from the log. */
#define PSTATE_REBUILD_READ_BYTES 65536u
#define PSTATE_REBUILD_BATCHES_MAX (1u << 30)

struct pstate_batch {
    int32_t first_sequence;
    int32_t last_sequence;
    int64_t first_offset;
    int64_t last_offset;
};

struct pstate_producer {
    int64_t producer_id;
    int16_t epoch;
    uint32_t batch_count; /* <= PSTATE_BATCHES_MAX, oldest first */
    struct pstate_batch batches[PSTATE_BATCHES_MAX];
};

struct pstate {
    struct pstate_producer *producers; /* sorted by producer_id */
    uint32_t producer_count;
    uint32_t producer_capacity;
};

/* What pstate_check decided about a batch. */
struct pstate_verdict {
    bool duplicate; /* already written: answer with these offsets */
    int64_t first_offset;
    int64_t last_offset;
};

void pstate_init(struct pstate *ps);
void pstate_free(struct pstate *ps);
void pstate_clear(struct pstate *ps);

/* Checks a batch the leader is about to append (producer_id >= 0). Errors:
 * KS_ERR_INVALID_PRODUCER_EPOCH, KS_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER. */
KS_MUST_CHECK enum ks_err pstate_check(const struct pstate *ps, int64_t producer_id, int16_t epoch,
                                       int32_t first_sequence, int32_t last_sequence,
                                       struct pstate_verdict *out);

/* Records an appended batch. A newer epoch forgets the older epoch's batches. Returns
 * KS_ERR_TOO_MANY when PSTATE_PRODUCERS_MAX producers are known (the batch is then not
 * remembered, as if its producer had expired). */
enum ks_err pstate_update(struct pstate *ps, int64_t producer_id, int16_t epoch,
                          int32_t first_sequence, int32_t last_sequence, int64_t first_offset,
                          int64_t last_offset);

/* Records every idempotent batch of a run of whole batches (a follower's append). */
void pstate_update_batches(struct pstate *ps, const uint8_t *batches, uint32_t size_bytes);

/* Drops what was learnt from offsets >= offset (after a truncation): rebuilds from
 * the log, as Kafka reloads producer state after truncating. */
KS_MUST_CHECK enum ks_err pstate_rebuild(struct pstate *ps, struct plog *log);

/* The producer's entry, or NULL. */
const struct pstate_producer *pstate_find(const struct pstate *ps, int64_t producer_id);

#endif
