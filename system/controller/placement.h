/*
 * placement.h: where a new topic's replicas go. Kafka: ReplicaPlacer,
 * StripedReplicaPlacer (KRaft) and AdminUtils.assignReplicasToBrokers (the
 * rack-aware scheme both follow): brokers are arranged alternating between racks,
 * partition p's first replica is broker (p + start) of that list, and the followers
 * come after it with a shift that grows every full round, skipping racks (and then
 * brokers) that already hold a replica until every rack holds one. `start` and
 * `shift` are random draws (env_random), so leaders spread across runs.
 *
 * Pure: the caller passes the usable brokers (unfenced, not shutting down) and the
 * random draws, and gets a partition_count x replication_factor array of ids.
 */
#ifndef KS_CONTROLLER_PLACEMENT_H
#define KS_CONTROLLER_PLACEMENT_H

#include "system/ks.h"

/* Most brokers a placement considers. */
#define PLACEMENT_BROKERS_MAX 1024u

struct placement_broker {
    int32_t id;
    const char *rack; /* NULL: no rack (a group of its own) */
};

/*
 * Fills assignment[p * replication_factor + r] with replica r of partition p.
 * brokers must be sorted by id, without duplicates. Errors (Kafka's):
 * INVALID_PARTITIONS (37) for partition_count <= 0; INVALID_REPLICATION_FACTOR (38)
 * for a factor <= 0 or above the broker count; KS_ERR_TOO_MANY past the limits.
 */
KS_MUST_CHECK enum ks_err placement_place(const struct placement_broker *brokers,
                                          uint32_t broker_count, int32_t partition_count,
                                          int32_t replication_factor, uint64_t random_start,
                                          uint64_t random_shift, int32_t *assignment);

#endif
