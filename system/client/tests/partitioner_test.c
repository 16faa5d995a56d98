/*
 * partitioner_test.c: Kafka's murmur2 bit for bit (vectors from Kafka's UtilsTest and a
 * Python port of Utils.murmur2), toPositive masking, and KIP-480 sticky switching.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "system/client/partitioner.h"

static const struct {
    const char *key;
    uint32_t size;
    int32_t murmur2;
    int32_t partition_of_6;
} cases[] = {
    {"21", 2, -973932308, 0},
    {"foobar", 6, -790332482, 0},
    {"abc", 3, 479470107, 3},
    {"", 0, 275646681, 3},
    {"a", 1, -1563381124, 4},
    {"key-17", 6, 956945460, 0},
    {"\xff\x80\x00\x7f\x01", 5, 1699770653, 5},
    {"hello world!", 12, -1076261558, 0},
};

static void test_murmur2_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const uint8_t *k = (const uint8_t *)cases[i].key;
        assert_int_equal(partitioner_murmur2(k, cases[i].size), cases[i].murmur2);
        assert_int_equal(partitioner_partition_for_key(k, cases[i].size, 6),
                         cases[i].partition_of_6);
    }
    assert_int_equal(partitioner_to_positive(INT32_MIN), 0);
    assert_int_equal(partitioner_to_positive(-1), INT32_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_murmur2_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
