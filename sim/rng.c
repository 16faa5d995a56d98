/*
 * rng.c: xoshiro256** seeded by SplitMix64; derived streams mix the root seed with the
 * FNV-1a hash of the stream's name.
 */
#include "rng.h"

#include <string.h>

uint64_t rng_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rng_seed(struct rng *rng, uint64_t seed)
{
    uint64_t st = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = rng_splitmix64(&st);
    KS_ASSERT((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) != 0);
}

void rng_derive(struct rng *rng, uint64_t root_seed, const char *name)
{
    uint64_t h = ks_fnv1a64(KS_FNV1A64_INIT, name, strlen(name));
    uint64_t st = root_seed ^ h;
    rng_seed(rng, rng_splitmix64(&st));
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_next(struct rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t rng_below(struct rng *rng, uint64_t bound)
{
    KS_ASSERT(bound > 0);
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    uint64_t r;
    do {
        r = rng_next(rng);
    } while (r >= limit);
    return r % bound;
}

uint64_t rng_between(struct rng *rng, uint64_t lo, uint64_t hi)
{
    KS_ASSERT(lo <= hi);
    if (lo == 0 && hi == UINT64_MAX)
        return rng_next(rng);
    return lo + rng_below(rng, hi - lo + 1);
}

bool rng_chance_ppm(struct rng *rng, uint32_t ppm)
{
    KS_ASSERT(ppm <= 1000000u);
    if (ppm == 0)
        return false;
    return rng_below(rng, 1000000u) < ppm;
}
