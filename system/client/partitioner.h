/*
 * partitioner.h: which partition a produced record goes to. Kafka: BuiltInPartitioner
 * (partitionForKey: murmur2 of the key bytes, masked positive, modulo the partition
 * count), Utils.murmur2, Utils.toPositive, and the sticky partitioner of KIP-480 for
 * records without a key: stay on one partition until its batch is sent, then draw
 * another at random from the node's env stream.
 *
 * Pure but for the sticky draw, which goes through env_random. No allocation.
 */
#ifndef KS_CLIENT_PARTITIONER_H
#define KS_CLIENT_PARTITIONER_H

#include "system/env.h"

#define PARTITIONER_NO_PARTITION (-1)

/* Kafka's murmur2 (Utils.murmur2), as the int32 Java returns, bit for bit. */
int32_t partitioner_murmur2(const uint8_t *bytes, uint32_t size_bytes);
/* Utils.toPositive: the sign bit masked off (not abs). */
static inline int32_t partitioner_to_positive(int32_t v)
{
    return (int32_t)((uint32_t)v & 0x7fffffffu);
}
/* The partition of a keyed record: toPositive(murmur2(key)) % partition_count. */
int32_t partitioner_partition_for_key(const uint8_t *key, uint32_t key_size,
                                      uint32_t partition_count);

/* KIP-480 sticky choice for keyless records, one per topic. */
struct partitioner_sticky {
    int32_t partition; /* PARTITIONER_NO_PARTITION until the first draw */
};

void partitioner_sticky_init(struct partitioner_sticky *s);
/* The sticky partition, drawn now if there is none. */
int32_t partitioner_sticky_partition(struct partitioner_sticky *s, struct env *env,
                                     uint32_t partition_count);
/* A batch of the sticky partition was sent (or sealed): draw another partition, a
 * different one when there are several (StickyPartitionCache.nextPartition). */
void partitioner_sticky_on_new_batch(struct partitioner_sticky *s, struct env *env,
                                     int32_t prev_partition, uint32_t partition_count);

#endif
