/*
 * rng.h: seeded random streams. The generator is xoshiro256** (Blackman and Vigna),
 * seeded through SplitMix64. One root seed; every node, link and disk derives its own
 * stream from the root seed and its name, so adding a client does not reshuffle a
 * broker's faults. Decisions use integers only: odds are parts per million.
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include "../system/ks.h"

struct rng {
    uint64_t s[4];
};

/* Seed a stream directly. */
void rng_seed(struct rng *rng, uint64_t seed);

/* Seed a stream derived from a root seed and a name ("node/broker-1", "link/a->b"). */
void rng_derive(struct rng *rng, uint64_t root_seed, const char *name);

uint64_t rng_next(struct rng *rng);

/* Uniform in [0, bound), bound > 0, without modulo bias. */
uint64_t rng_below(struct rng *rng, uint64_t bound);

/* Uniform in [lo, hi], lo <= hi. */
uint64_t rng_between(struct rng *rng, uint64_t lo, uint64_t hi);

/* True with probability ppm / 1,000,000. */
bool rng_chance_ppm(struct rng *rng, uint32_t ppm);

/* SplitMix64 step: also a good 64-bit mixer for hashing ids. */
uint64_t rng_splitmix64(uint64_t *state);

#endif
