/*
 * partitioner.c: Kafka's built-in partitioner, see partitioner.h. Kafka:
 * BuiltInPartitioner, Utils.murmur2, StickyPartitionCache (KIP-480).
 */
#include "partitioner.h"

#define PARTITIONER_MURMUR2_SEED 0x9747b28cu
#define PARTITIONER_MURMUR2_M 0x5bd1e995u
#define PARTITIONER_MURMUR2_R 24u

int32_t partitioner_murmur2(const uint8_t *bytes, uint32_t size_bytes)
{
    const uint32_t m = PARTITIONER_MURMUR2_M;
    uint32_t h = PARTITIONER_MURMUR2_SEED ^ size_bytes;
    uint32_t blocks = size_bytes / 4u;
    for (uint32_t i = 0; i < blocks; i++) {
        const uint8_t *b = bytes + 4u * i;
        uint32_t k =
            (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        k *= m;
        k ^= k >> PARTITIONER_MURMUR2_R;
        k *= m;
        h *= m;
        h ^= k;
    }
    const uint8_t *tail = bytes + 4u * blocks;
    switch (size_bytes % 4u) {
    case 3:
        h ^= (uint32_t)tail[2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)tail[1] << 8;
        /* fall through */
    case 1:
        h ^= (uint32_t)tail[0];
        h *= m;
        break;
    default:
        break;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

int32_t partitioner_partition_for_key(const uint8_t *key, uint32_t key_size,
                                      uint32_t partition_count)
{
    KS_ASSERT(partition_count > 0);
    KS_ASSERT(key != NULL || key_size == 0);
    int32_t p =
        partitioner_to_positive(partitioner_murmur2(key, key_size)) % (int32_t)partition_count;
    KS_ASSERT(p >= 0);
    return p;
}

void partitioner_sticky_init(struct partitioner_sticky *s)
{
    s->partition = PARTITIONER_NO_PARTITION;
}

int32_t partitioner_sticky_partition(struct partitioner_sticky *s, struct env *env,
                                     uint32_t partition_count)
{
    KS_ASSERT(partition_count > 0);
    if (s->partition == PARTITIONER_NO_PARTITION || (uint32_t)s->partition >= partition_count)
        s->partition = (int32_t)env_random_below(env, partition_count);
    KS_ASSERT(s->partition >= 0);
    return s->partition;
}

void partitioner_sticky_on_new_batch(struct partitioner_sticky *s, struct env *env,
                                     int32_t prev_partition, uint32_t partition_count)
{
    KS_ASSERT(partition_count > 0);
    if (s->partition != prev_partition)
        return; /* someone already moved on */
    if (partition_count == 1) {
        s->partition = 0;
        return;
    }
    int32_t next = (int32_t)env_random_below(env, partition_count - 1);
    s->partition = next >= prev_partition ? next + 1 : next;
    KS_ASSERT(s->partition != prev_partition);
}
