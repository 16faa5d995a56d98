/*
 * placement.c: replica placement, striped across racks from a random start. Kafka:
 * StripedReplicaPlacer, AdminUtils.assignReplicasToBrokersRackAware and
 * getRackAlternatedBrokerList. See placement.h.
 */
#include "system/controller/placement.h"

#include <stdlib.h>
#include <string.h>

#include "system/controller/mrec.h"

/* Racks compare by name; NULL (no rack) sorts first. */
static int rack_compare(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    return strcmp(a, b);
}

/* Sorted distinct racks of the brokers, as indexes of a broker holding each. */
static uint32_t racks_collect(const struct placement_broker *brokers, uint32_t n,
                              const char **racks)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t slot = 0;
        while (slot < count && rack_compare(racks[slot], brokers[i].rack) < 0)
            slot++;
        if (slot < count && rack_compare(racks[slot], brokers[i].rack) == 0)
            continue;
        memmove(&racks[slot + 1], &racks[slot], sizeof(*racks) * (count - slot));
        racks[slot] = brokers[i].rack;
        count++;
    }
    KS_ASSERT(count >= 1);
    KS_ASSERT(count <= n);
    return count;
}

/* getRackAlternatedBrokerList: the i-th broker (by id) of each rack in rack order, for
 * i = 0, 1, ... Writes indexes into brokers. */
static void arrange(const struct placement_broker *brokers, uint32_t n, const char **racks,
                    uint32_t rack_count, uint32_t *arranged)
{
    uint32_t filled = 0;
    for (uint32_t round = 0; filled < n; round++) {
        KS_ASSERT(round < n);
        for (uint32_t r = 0; r < rack_count; r++) {
            uint32_t seen = 0;
            for (uint32_t b = 0; b < n; b++) {
                if (rack_compare(brokers[b].rack, racks[r]) != 0)
                    continue;
                if (seen++ == round) {
                    arranged[filled++] = b;
                    break;
                }
            }
        }
    }
    KS_ASSERT(filled == n);
}

static uint32_t replica_index(uint32_t first, uint32_t shift, uint32_t j, uint32_t n)
{
    KS_ASSERT(n >= 2);
    return (first + 1 + (shift + j) % (n - 1)) % n;
}

static bool ids_contain(const int32_t *ids, uint32_t count, int32_t id)
{
    for (uint32_t i = 0; i < count; i++) {
        if (ids[i] == id)
            return true;
    }
    return false;
}

struct place_state {
    const struct placement_broker *brokers;
    uint32_t n;
    const uint32_t *arranged;
    uint32_t rack_count;
};

/* Whether a replica of this partition (row[0..count)) already sits in rack. */
static uint32_t racks_used(const struct place_state *s, const int32_t *row, uint32_t count,
                           const char *rack, bool *used)
{
    uint32_t distinct = 0;
    *used = false;
    for (uint32_t i = 0; i < count; i++) {
        bool earlier = false;
        const char *rack_i = NULL;
        for (uint32_t b = 0; b < s->n; b++) {
            if (s->brokers[b].id == row[i])
                rack_i = s->brokers[b].rack;
        }
        for (uint32_t k = 0; k < i && !earlier; k++) {
            for (uint32_t b = 0; b < s->n; b++) {
                if (s->brokers[b].id == row[k] && rack_compare(s->brokers[b].rack, rack_i) == 0)
                    earlier = true;
            }
        }
        distinct += !earlier;
        if (rack_compare(rack_i, rack) == 0)
            *used = true;
    }
    return distinct;
}

/* One partition: the first replica at `first`, followers by the rack-aware walk. */
static void place_partition(const struct place_state *s, uint32_t first, uint32_t shift,
                            uint32_t rf, int32_t *row)
{
    uint32_t k = 0;
    row[0] = s->brokers[s->arranged[first]].id;
    for (uint32_t r = 1; r < rf; r++) {
        for (;;) {
            KS_ASSERT(k < s->n * s->n + s->n); /* every broker is reached within n steps */
            const struct placement_broker *b = &s->brokers[s->arranged[replica_index(
                first, (uint32_t)(((uint64_t)shift * s->rack_count) % s->n), k, s->n)]];
            k++;
            bool rack_used;
            uint32_t distinct = racks_used(s, row, r, b->rack, &rack_used);
            bool rack_ok = !rack_used || distinct == s->rack_count;
            if (rack_ok && !ids_contain(row, r, b->id)) {
                row[r] = b->id;
                break;
            }
        }
    }
}

enum ks_err placement_place(const struct placement_broker *brokers, uint32_t broker_count,
                            int32_t partition_count, int32_t replication_factor,
                            uint64_t random_start, uint64_t random_shift, int32_t *assignment)
{
    if (partition_count <= 0)
        return KS_ERR_INVALID_PARTITIONS;
    if (replication_factor <= 0 || (uint32_t)replication_factor > broker_count)
        return KS_ERR_INVALID_REPLICATION_FACTOR;
    if (broker_count > PLACEMENT_BROKERS_MAX || (uint32_t)replication_factor > MREC_REPLICAS_MAX)
        return KS_ERR_TOO_MANY;
    for (uint32_t i = 1; i < broker_count; i++)
        KS_ASSERT(brokers[i - 1].id < brokers[i].id);
    const char **racks = ks_alloc(sizeof(*racks) * broker_count);
    uint32_t *arranged = ks_alloc(sizeof(*arranged) * broker_count);
    struct place_state s = {brokers, broker_count, arranged, 0};
    s.rack_count = racks_collect(brokers, broker_count, racks);
    arrange(brokers, broker_count, racks, s.rack_count, arranged);
    uint32_t start = (uint32_t)(random_start % broker_count);
    uint32_t shift = (uint32_t)(random_shift % broker_count);
    for (int32_t p = 0; p < partition_count; p++) {
        if (p > 0 && (uint32_t)p % broker_count == 0)
            shift++;
        uint32_t first = ((uint32_t)p + start) % broker_count;
        place_partition(&s, first, shift, (uint32_t)replication_factor,
                        &assignment[(size_t)p * (uint32_t)replication_factor]);
    }
    free(racks);
    free(arranged);
    return KS_OK;
}
