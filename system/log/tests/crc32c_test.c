/*
 * crc32c_test.c: CRC-32C against the check value, the RFC 3720 (iSCSI) vectors and a
 * bitwise reference over every length and alignment. Kafka: Crc32C.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "system/log/crc32c.h"

#define CRC32C_TEST_BYTES 300u

/* One bit at a time, straight from the definition. */
static uint32_t crc32c_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c & 1u) != 0 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    }
    return ~c;
}

static void test_vectors(void **state)
{
    (void)state;
    uint8_t zeros[32], ones[32], up[32], down[32];
    for (int i = 0; i < 32; i++) {
        zeros[i] = 0;
        ones[i] = 0xff;
        up[i] = (uint8_t)i;
        down[i] = (uint8_t)(31 - i);
    }
    static const struct {
        const char *name;
        const uint8_t *bytes;
        size_t size;
        uint32_t crc_expected;
    } cases[] = {
        {"empty", (const uint8_t *)"", 0, 0x00000000u},
        {"check value 123456789", (const uint8_t *)"123456789", 9, 0xe3069283u},
        {"a", (const uint8_t *)"a", 1, 0xc1d04330u},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(crc32c(cases[i].bytes, cases[i].size), cases[i].crc_expected);
    /* RFC 3720 B.4 */
    assert_int_equal(crc32c(zeros, 32), 0x8a9136aau);
    assert_int_equal(crc32c(ones, 32), 0x62a8ab43u);
    assert_int_equal(crc32c(up, 32), 0x46dd794eu);
    assert_int_equal(crc32c(down, 32), 0x113fdb5cu);
}

static void test_against_bitwise_every_length_and_alignment(void **state)
{
    (void)state;
    uint8_t buf[CRC32C_TEST_BYTES + 8];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof(buf); i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t align = 0; align < 8; align++)
        for (size_t n = 0; n <= CRC32C_TEST_BYTES; n++)
            assert_int_equal(crc32c(buf + align, n), crc32c_bitwise(buf + align, n));
    /* the table path, whether or not the CPU path is taken above */
    for (size_t align = 0; align < 8; align++)
        for (size_t n = 0; n <= CRC32C_TEST_BYTES; n++)
            assert_int_equal(crc32c_extend_table(0, buf + align, n),
                             crc32c_bitwise(buf + align, n));
}

static void test_extend_equals_whole(void **state)
{
    (void)state;
    const uint8_t *s = (const uint8_t *)"The quick brown fox jumps over the lazy dog";
    size_t n = strlen((const char *)s);
    uint32_t whole = crc32c(s, n);
    assert_int_equal(whole, 0x22620404u);
    for (size_t cut = 0; cut <= n; cut++)
        assert_int_equal(crc32c_extend(crc32c(s, cut), s + cut, n - cut), whole);
    assert_int_equal(crc32c_extend(0, NULL, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_against_bitwise_every_length_and_alignment),
        cmocka_unit_test(test_extend_equals_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
