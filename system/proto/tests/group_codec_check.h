/*
 * group_codec_check.h: checks shared by the consumer-group codec tests
 * (api_find_coordinator_test.c ... api_delete_groups_test.c). A codec is seen through
 * void pointers (CODEC_ADAPT writes the wrappers), so one set of checks serves every
 * API: round trip at a version (encode, decode, encode again: same bytes), every
 * truncation and a trailing byte rejected, golden bytes both ways, and garbage from a
 * fixed-seed generator decoded without a crash (ASan and UBSan watch).
 *
 * Include after cmocka.h. Test-only; static functions, one copy per test binary.
 */
#ifndef KS_PROTO_TESTS_GROUP_CODEC_CHECK_H
#define KS_PROTO_TESTS_GROUP_CODEC_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/proto/wire.h"

/* Largest message struct any group codec has; decoded copies live on the stack. */
#define CODEC_MESSAGE_SIZE_MAX 256u
/* Garbage inputs per version, and their largest size. */
#define CODEC_GARBAGE_ROUNDS 3000u
#define CODEC_GARBAGE_SIZE_MAX 96u

struct codec {
    const char *name;
    size_t message_size;
    void (*encode)(struct wire_writer *w, int16_t version, const void *message);
    enum ks_err (*decode)(int16_t version, const uint8_t *bytes, uint32_t size, void *out);
    void (*release)(void *message); /* frees what decode allocated */
};

/* Writes the void-pointer wrappers of one codec, named codec_<name>. */
#define CODEC_ADAPT(name, type, encode_fn, decode_fn, free_fn)                                     \
    static void name##_encode_any(struct wire_writer *w, int16_t v, const void *m)                 \
    {                                                                                              \
        encode_fn(w, v, (const type *)m);                                                          \
    }                                                                                              \
    static enum ks_err name##_decode_any(int16_t v, const uint8_t *b, uint32_t n, void *out)       \
    {                                                                                              \
        return decode_fn(v, b, n, (type *)out);                                                    \
    }                                                                                              \
    static void name##_free_any(void *m)                                                           \
    {                                                                                              \
        free_fn((type *)m);                                                                        \
    }                                                                                              \
    static const struct codec codec_##name = {#name, sizeof(type), name##_encode_any,              \
                                              name##_decode_any, name##_free_any}

/* For messages whose decode allocates nothing. */
static inline void codec_free_nothing(void *message)
{
    (void)message;
}

/* Encodes at version v; the caller frees w. */
static inline void codec_encode(const struct codec *c, int16_t v, const void *message,
                                struct wire_writer *w)
{
    wire_writer_init(w);
    c->encode(w, v, message);
}

/* Every strict prefix and one trailing byte are rejected; nothing leaks. */
static inline void codec_check_bad_lengths(const struct codec *c, int16_t v, const uint8_t *bytes,
                                           uint32_t size)
{
    uint8_t got[CODEC_MESSAGE_SIZE_MAX];
    assert_true(c->message_size <= sizeof(got));
    for (uint32_t cut = 0; cut < size; cut++) {
        uint8_t *copy = malloc(cut + 1); /* exact size, so ASan sees overreads */
        if (cut > 0)
            memcpy(copy, bytes, cut);
        enum ks_err err = c->decode(v, copy, cut, got);
        if (err == KS_OK)
            fail_msg("%s v%d: %u of %u bytes decoded", c->name, v, cut, size);
        free(copy);
    }
    uint8_t *longer = malloc(size + 1);
    if (size > 0)
        memcpy(longer, bytes, size);
    longer[size] = 0;
    assert_int_not_equal(c->decode(v, longer, size + 1, got), KS_OK);
    free(longer);
}

/* Encode, decode, encode again gives the same bytes; then the bad lengths. */
static inline void codec_check_round_trip(const struct codec *c, int16_t v, const void *message)
{
    struct wire_writer w, again;
    uint8_t got[CODEC_MESSAGE_SIZE_MAX];
    assert_true(c->message_size <= sizeof(got));
    codec_encode(c, v, message, &w);
    if (w.err != KS_OK)
        fail_msg("%s v%d: encode failed with %d", c->name, v, w.err);
    enum ks_err err = c->decode(v, w.bytes, w.size_bytes, got);
    if (err != KS_OK)
        fail_msg("%s v%d: decode of own bytes failed with %d", c->name, v, err);
    codec_encode(c, v, got, &again);
    assert_int_equal(again.err, KS_OK);
    assert_int_equal(again.size_bytes, w.size_bytes);
    assert_memory_equal(again.bytes, w.bytes, w.size_bytes);
    c->release(got);
    codec_check_bad_lengths(c, v, w.bytes, w.size_bytes);
    wire_writer_free(&again);
    wire_writer_free(&w);
}

/* Encoding gives golden; decoding golden and encoding again gives golden. */
static inline void codec_check_golden(const struct codec *c, int16_t v, const void *message,
                                      const uint8_t *golden, uint32_t golden_size)
{
    struct wire_writer w, again;
    uint8_t got[CODEC_MESSAGE_SIZE_MAX];
    codec_encode(c, v, message, &w);
    assert_int_equal(w.err, KS_OK);
    if (w.size_bytes != golden_size ||
        (golden_size > 0 && memcmp(w.bytes, golden, golden_size) != 0)) {
        for (uint32_t i = 0; i < w.size_bytes; i++)
            fprintf(stderr, "0x%02x,%s", w.bytes[i], i % 12 == 11 ? "\n" : " ");
        fprintf(stderr, "\n");
        fail_msg("%s v%d: %u bytes, golden %u, or different", c->name, v, w.size_bytes,
                 golden_size);
    }
    assert_int_equal(c->decode(v, golden, golden_size, got), KS_OK);
    codec_encode(c, v, got, &again);
    assert_int_equal(again.size_bytes, golden_size);
    assert_memory_equal(again.bytes, golden, golden_size);
    c->release(got);
    wire_writer_free(&again);
    wire_writer_free(&w);
}

/* Encoding at v fails with err (a value the version cannot carry). */
static inline void codec_check_encode_fails(const struct codec *c, int16_t v, const void *message,
                                            enum ks_err err)
{
    struct wire_writer w;
    codec_encode(c, v, message, &w);
    assert_int_equal(w.err, err);
    wire_writer_free(&w);
}

/* A fixed-seed xorshift generator: the same garbage on every run. */
static inline uint64_t codec_random_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

/*
 * Decodes random bytes and mutations of a valid encoding at every version in
 * [v_min, v_max]: each must come back OK (then freed) or with an error, never crash.
 */
static inline void codec_check_garbage(const struct codec *c, int16_t v_min, int16_t v_max,
                                       const uint8_t *valid, uint32_t valid_size)
{
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    uint8_t got[CODEC_MESSAGE_SIZE_MAX];
    for (int16_t v = v_min; v <= v_max; v++) {
        for (uint32_t round = 0; round < CODEC_GARBAGE_ROUNDS; round++) {
            bool mutate = valid_size > 0 && round % 2 == 0;
            uint32_t size =
                mutate ? valid_size : (uint32_t)(codec_random_next(&seed) % CODEC_GARBAGE_SIZE_MAX);
            uint8_t *bytes = malloc(size + 1);
            for (uint32_t i = 0; i < size; i++)
                bytes[i] = mutate ? valid[i] : (uint8_t)codec_random_next(&seed);
            for (uint32_t k = 0; mutate && k < 1 + round % 3; k++)
                bytes[codec_random_next(&seed) % size] = (uint8_t)codec_random_next(&seed);
            if (c->decode(v, bytes, size, got) == KS_OK)
                c->release(got);
            free(bytes);
        }
    }
    assert_int_equal(c->decode(-1, valid, valid_size, got), KS_ERR_UNSUPPORTED_VERSION);
}

#endif
