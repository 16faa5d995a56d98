/*
 * ckpt_test.c: offset and leader-epoch checkpoint files, golden text both ways and
 * every way Kafka's CheckpointReadBuffer refuses a file. Kafka: CheckpointFile,
 * OffsetCheckpointFile, LeaderEpochCheckpointFile.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "system/log/ckpt.h"

/* Exactly what Kafka writes for two partitions of "orders". */
static const char golden_offsets[] = "0\n2\norders 0 1234\norders 1 98\n";
static const char golden_epochs[] = "0\n3\n0 0\n2 1500\n5 90000000000\n";

static void test_offsets_golden_both_ways(void **state)
{
    (void)state;
    struct ckpt_offset_entry *e = NULL;
    uint32_t n = 0;
    assert_int_equal(
        ckpt_offsets_parse((const uint8_t *)golden_offsets, strlen(golden_offsets), &e, &n), KS_OK);
    assert_int_equal(n, 2);
    assert_string_equal(e[0].topic, "orders");
    assert_int_equal(e[0].partition, 0);
    assert_true(e[0].offset == 1234);
    assert_string_equal(e[1].topic, "orders");
    assert_int_equal(e[1].partition, 1);
    assert_true(e[1].offset == 98);
    char *text = NULL;
    size_t size = 0;
    ckpt_offsets_format(e, n, &text, &size);
    assert_int_equal(size, strlen(golden_offsets));
    assert_string_equal(text, golden_offsets);
    free(text);
    free(e);
}

static void test_epochs_golden_both_ways(void **state)
{
    (void)state;
    struct ckpt_epoch_entry *e = NULL;
    uint32_t n = 0;
    assert_int_equal(
        ckpt_epochs_parse((const uint8_t *)golden_epochs, strlen(golden_epochs), &e, &n), KS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(e[1].epoch, 2);
    assert_true(e[1].start_offset == 1500);
    assert_true(e[2].start_offset == 90000000000LL);
    char *text = NULL;
    size_t size = 0;
    ckpt_epochs_format(e, n, &text, &size);
    assert_string_equal(text, golden_epochs);
    free(text);
    free(e);
}

static void test_empty_and_zero(void **state)
{
    (void)state;
    struct ckpt_offset_entry *e = (void *)1;
    uint32_t n = 9;
    assert_int_equal(ckpt_offsets_parse((const uint8_t *)"", 0, &e, &n), KS_OK);
    assert_null(e);
    assert_int_equal(n, 0);
    assert_int_equal(ckpt_offsets_parse((const uint8_t *)"0\n0\n", 4, &e, &n), KS_OK);
    assert_int_equal(n, 0);
    char *text = NULL;
    size_t size = 0;
    ckpt_offsets_format(NULL, 0, &text, &size);
    assert_string_equal(text, "0\n0\n");
    free(text);
}

struct text_case {
    const char *name;
    const char *text;
    enum ks_err err;
    uint32_t count; /* when KS_OK */
};

static const struct text_case offset_cases[] = {
    {"no final newline", "0\n1\nt 0 5", KS_OK, 1},
    {"CRLF lines", "0\r\n1\r\nt 0 5\r\n", KS_OK, 1},
    {"runs of blanks", "0\n1\nt \t 0   5\n", KS_OK, 1},
    {"trailing blank", "0\n1\nt 0 5 \n", KS_OK, 1},
    {"signs", "0\n1\nt +3 -1\n", KS_OK, 1},
    {"int64 extremes", "0\n2\nt 0 9223372036854775807\nt 1 -9223372036854775808\n", KS_OK, 2},
    {"legal topic chars", "0\n1\nA-z_0.9 2147483647 0\n", KS_OK, 1},
    {"version 1", "1\n0\n", KS_ERR_INVALID, 0},
    {"version -0 is 0", "-0\n0\n", KS_OK, 0},
    {"version with blank", "0 \n0\n", KS_ERR_INVALID, 0},
    {"version only", "0\n", KS_ERR_INVALID, 0},
    {"version not a number", "x\n0\n", KS_ERR_INVALID, 0},
    {"count negative", "0\n-1\n", KS_ERR_INVALID, 0},
    {"count too big", "0\n3\nt 0 1\n", KS_ERR_INVALID, 0},
    {"count too small", "0\n1\nt 0 1\nt 1 2\n", KS_ERR_INVALID, 0},
    {"count over the limit", "0\n2000000\n", KS_ERR_TOO_MANY, 0},
    {"count overflows int32", "0\n2147483648\n", KS_ERR_INVALID, 0},
    {"empty line", "0\n1\n\n", KS_ERR_INVALID, 0},
    {"leading blank", "0\n1\n t 0 1\n", KS_ERR_INVALID, 0},
    {"two fields", "0\n1\nt 0\n", KS_ERR_INVALID, 0},
    {"four fields", "0\n1\nt 0 1 2\n", KS_ERR_INVALID, 0},
    {"partition overflows int32", "0\n1\nt 2147483648 1\n", KS_ERR_INVALID, 0},
    {"offset overflows int64", "0\n1\nt 0 9223372036854775808\n", KS_ERR_INVALID, 0},
    {"offset not a number", "0\n1\nt 0 1x\n", KS_ERR_INVALID, 0},
    {"offset sign only", "0\n1\nt 0 -\n", KS_ERR_INVALID, 0},
    {"illegal topic", "0\n1\nt/x 0 1\n", KS_ERR_INVALID, 0},
    {"NUL in topic", "0\n1\nt\0x 0 1\n", KS_ERR_INVALID, 0},
};

static void test_offset_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(offset_cases) / sizeof(offset_cases[0]); i++) {
        const struct text_case *c = &offset_cases[i];
        size_t size = strlen(c->text);
        if (strcmp(c->name, "NUL in topic") == 0)
            size = 14;
        struct ckpt_offset_entry *e = NULL;
        uint32_t n = 0;
        enum ks_err err = ckpt_offsets_parse((const uint8_t *)c->text, size, &e, &n);
        if (err != c->err)
            fail_msg("%s: got %s", c->name, ks_err_name(err));
        if (err == KS_OK)
            assert_int_equal(n, c->count);
        else
            assert_null(e);
        free(e);
    }
}

static const struct text_case epoch_cases[] = {
    {"one entry", "0\n1\n0 0\n", KS_OK, 1},
    {"epochs repeat", "0\n2\n1 0\n1 5\n", KS_ERR_INVALID, 0},
    {"epochs go back", "0\n2\n3 0\n1 5\n", KS_ERR_INVALID, 0},
    {"start offsets repeat", "0\n2\n1 5\n2 5\n", KS_ERR_INVALID, 0},
    {"three fields", "0\n1\n1 5 6\n", KS_ERR_INVALID, 0},
    {"epoch overflows int32", "0\n1\n2147483648 5\n", KS_ERR_INVALID, 0},
    {"offset topic line", "0\n1\nt 0 5\n", KS_ERR_INVALID, 0},
};

static void test_epoch_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(epoch_cases) / sizeof(epoch_cases[0]); i++) {
        const struct text_case *c = &epoch_cases[i];
        struct ckpt_epoch_entry *e = NULL;
        uint32_t n = 0;
        enum ks_err err = ckpt_epochs_parse((const uint8_t *)c->text, strlen(c->text), &e, &n);
        if (err != c->err)
            fail_msg("%s: got %s", c->name, ks_err_name(err));
        if (err == KS_OK)
            assert_int_equal(n, c->count);
        else
            assert_null(e);
        free(e);
    }
}

static void test_topic_names(void **state)
{
    (void)state;
    char name[CKPT_TOPIC_SIZE_MAX + 2];
    memset(name, 'a', sizeof(name));
    assert_true(ckpt_topic_is_legal(name, CKPT_TOPIC_SIZE_MAX));
    assert_false(ckpt_topic_is_legal(name, CKPT_TOPIC_SIZE_MAX + 1));
    assert_false(ckpt_topic_is_legal(name, 0));
    assert_false(ckpt_topic_is_legal("a b", 3));
    /* a 249-byte topic round-trips */
    struct ckpt_offset_entry e = {.partition = 7, .offset = -1};
    memset(e.topic, 'z', CKPT_TOPIC_SIZE_MAX);
    e.topic[CKPT_TOPIC_SIZE_MAX] = '\0';
    char *text = NULL;
    size_t size = 0;
    ckpt_offsets_format(&e, 1, &text, &size);
    struct ckpt_offset_entry *back = NULL;
    uint32_t n = 0;
    assert_int_equal(ckpt_offsets_parse((const uint8_t *)text, size, &back, &n), KS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(back[0].topic, e.topic);
    assert_true(back[0].offset == -1);
    free(back);
    free(text);
}

static void test_truncated_at_every_length(void **state)
{
    (void)state;
    size_t size = strlen(golden_offsets);
    for (size_t cut = 0; cut < size; cut++) {
        uint8_t *copy = malloc(cut + 1);
        memcpy(copy, golden_offsets, cut);
        struct ckpt_offset_entry *e = NULL;
        uint32_t n = 0;
        enum ks_err err = ckpt_offsets_parse(copy, cut, &e, &n);
        /* the empty file and a cut before the final newline are whole; a cut inside the
         * last number reads a smaller number (why Kafka writes a .tmp and renames) */
        if (cut == 0 || cut == size - 1)
            assert_int_equal(err, KS_OK);
        else if (err == KS_OK && cut < size - 2)
            fail_msg("cut at %zu accepted", cut);
        free(e);
        free(copy);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets_golden_both_ways),
        cmocka_unit_test(test_epochs_golden_both_ways),
        cmocka_unit_test(test_empty_and_zero),
        cmocka_unit_test(test_offset_cases),
        cmocka_unit_test(test_epoch_cases),
        cmocka_unit_test(test_topic_names),
        cmocka_unit_test(test_truncated_at_every_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
