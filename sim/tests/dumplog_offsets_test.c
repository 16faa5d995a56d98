/*
 * dumplog_offsets_test.c: `ksim dump-log` on a segment of __consumer_offsets decodes its
 * records with offsets_rec.h (kafka-dump-log --offsets-decoder): an offset commit, a
 * group metadata record and a tombstone, as text and as JSON; the same bytes under
 * another topic's directory get no description.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../system/group/offsets_rec.h"
#include "../../system/log/rb.h"
#include "../dumplog.h"

#define PATH_BYTES_MAX 4096u
#define OUT_BYTES_MAX (1u << 20)

/* A batch of three records: a commit of g1 orders-2 at 42, g1's group metadata, and a
 * tombstone for the commit of orders-3. */
static void segment_build(uint8_t **bytes, uint32_t *size)
{
    struct wire_writer k1, v1, k2, v2, k3;
    wire_writer_init(&k1);
    wire_writer_init(&v1);
    wire_writer_init(&k2);
    wire_writer_init(&v2);
    wire_writer_init(&k3);
    struct offrec_key commit_key = {OFFREC_KEY_OFFSET_COMMIT, wire_string_from("g1"),
                                    wire_string_from("orders"), 2};
    offrec_key_encode(&k1, &commit_key);
    struct offrec_offset_commit_value commit = {3, 42, -1, wire_string_from(""), 1767225600000, -1};
    offrec_offset_commit_value_encode(&v1, &commit);
    struct offrec_key group_key = {OFFREC_KEY_GROUP_METADATA, wire_string_from("g1"),
                                   wire_string_null(), 0};
    offrec_key_encode(&k2, &group_key);
    struct offrec_group_metadata_value group = {3,
                                                wire_string_from("consumer"),
                                                5,
                                                wire_string_from("range"),
                                                wire_string_null(),
                                                1767225600000,
                                                0,
                                                NULL};
    offrec_group_metadata_value_encode(&v2, &group);
    struct offrec_key gone_key = {OFFREC_KEY_OFFSET_COMMIT, wire_string_from("g1"),
                                  wire_string_from("orders"), 3};
    offrec_key_encode(&k3, &gone_key);
    const struct rb_record_input records[] = {
        {.timestamp = 1,
         .key = k1.bytes,
         .key_size = k1.size_bytes,
         .value = v1.bytes,
         .value_size = v1.size_bytes},
        {.timestamp = 2,
         .key = k2.bytes,
         .key_size = k2.size_bytes,
         .value = v2.bytes,
         .value_size = v2.size_bytes},
        {.timestamp = 3, .key = k3.bytes, .key_size = k3.size_bytes, .value = NULL},
    };
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(rb_builder_append(&b, &records[i]), KS_OK);
    assert_int_equal(rb_builder_finish(&b, bytes, size), KS_OK);
    rb_builder_release(&b);
    assert_int_equal(rb_restamp(*bytes, *size, 0, 1), KS_OK);
    wire_writer_free(&k1);
    wire_writer_free(&v1);
    wire_writer_free(&k2);
    wire_writer_free(&v2);
    wire_writer_free(&k3);
}

static char *dump_in(const char *root, const char *dir, const uint8_t *bytes, uint32_t size,
                     bool json)
{
    char path[PATH_BYTES_MAX];
    snprintf(path, sizeof(path), "%s/%s", root, dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/%s/00000000000000000000.log", root, dir);
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(bytes, 1, size, file), size);
    assert_int_equal(fclose(file), 0);
    struct dumplog_options o = {.json = json, .deep_iteration = true};
    FILE *out = tmpfile();
    FILE *err = tmpfile();
    assert_int_equal(dumplog_file(&o, path, out, err), KS_OK);
    char *text = calloc(1, OUT_BYTES_MAX);
    rewind(out);
    size_t n = fread(text, 1, OUT_BYTES_MAX - 1, out);
    text[n] = '\0';
    fclose(out);
    fclose(err);
    return text;
}

static void test_offsets_records_described(void **state)
{
    (void)state;
    char root[PATH_BYTES_MAX / 2];
    snprintf(root, sizeof(root), "%s/dumplog_offsets.XXXXXX",
             getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(root));
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    segment_build(&bytes, &size);
    char *text = dump_in(root, "__consumer_offsets-7", bytes, size, false);
    assert_non_null(strstr(text, "\"offset\":42"));
    assert_non_null(strstr(text, "\"protocolType\":\"consumer\""));
    assert_non_null(strstr(text, "\"generation\":5"));
    assert_non_null(strstr(text, "orders"));
    free(text);
    text = dump_in(root, "__consumer_offsets-8", bytes, size, true);
    assert_non_null(strstr(text, "\"description\":"));
    free(text);
    text = dump_in(root, "orders-0", bytes, size, false); /* not decoded elsewhere */
    assert_null(strstr(text, "\"offset\":42"));
    free(text);
    free(bytes);
    char command[PATH_BYTES_MAX + 16];
    snprintf(command, sizeof(command), "rm -rf '%s'", root);
    assert_int_equal(system(command), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets_records_described),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
