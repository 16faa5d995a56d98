/*
 * subenv_test.c: an env rooted in a subdirectory (subenv.h), over the POSIX env in a
 * mkdtemp directory: every file call lands under the prefix (checked through the
 * inner env), the subdirectory's own listing and sync are its "" path, rename and
 * delete stay inside it, and a bad prefix or an over-long path is refused. Pins the
 * layout kbroker relies on: the KRaft voter's files under <log.dirs>/metadata.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "system/posix/env_posix.h"
#include "system/server/subenv.h"

struct fixture {
    char dir[64];
    struct posix_loop *loop;
    struct posix_env *penv;
    struct env *inner;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/subenv_test.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->loop = posix_loop_create();
    assert_non_null(f->loop);
    struct posix_env_options o = {.node_name = "subenv", .trace_quiet = true};
    assert_int_equal(posix_env_create(f->loop, f->dir, 1, &o, &f->penv), KS_OK);
    f->inner = posix_env_base(f->penv);
    assert_int_equal(env_dir_create(f->inner, "data"), KS_OK);
    assert_int_equal(env_dir_create(f->inner, "data/metadata"), KS_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    posix_env_destroy(f->penv);
    posix_loop_destroy(f->loop);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Whole contents of an inner path, NUL-terminated, into buf. */
static void inner_read(struct env *env, const char *path, char *buf, uint32_t buf_bytes)
{
    env_file_id file = 0;
    uint32_t got = 0;
    assert_int_equal(env_file_open(env, path, 0, &file), KS_OK);
    assert_int_equal(env_file_read(env, file, 0, (uint8_t *)buf, buf_bytes - 1, &got), KS_OK);
    buf[got] = '\0';
    env_file_close(env, file);
}

static void names_add(void *ctx, const char *name, bool is_dir)
{
    char *names = ctx;
    strcat(names, name);
    strcat(names, is_dir ? "/ " : " ");
}

static void test_files_land_under_the_prefix(void **state)
{
    struct fixture *f = *state;
    struct subenv sub;
    char buf[64];
    env_file_id file = 0;
    assert_int_equal(subenv_init(&sub, f->inner, "data/metadata"), KS_OK);
    struct env *env = &sub.base;
    assert_string_equal(env->node_name, f->inner->node_name);
    assert_int_equal(env_dir_create(env, "__cluster_metadata-0"), KS_OK);
    assert_int_equal(env_file_open(env, "__cluster_metadata-0/quorum-state",
                                   ENV_FILE_CREATE | ENV_FILE_TRUNC, &file),
                     KS_OK);
    assert_int_equal(env_file_write(env, file, 0, (const uint8_t *)"epoch 3", 7), KS_OK);
    assert_int_equal(env_file_sync(env, file), KS_OK);
    env_file_close(env, file);
    assert_int_equal(env_dir_sync(env, ""), KS_OK);
    inner_read(f->inner, "data/metadata/__cluster_metadata-0/quorum-state", buf, sizeof(buf));
    assert_string_equal(buf, "epoch 3");
    /* the subenv reads its own file back, and lists its root as "" */
    inner_read(env, "__cluster_metadata-0/quorum-state", buf, sizeof(buf));
    assert_string_equal(buf, "epoch 3");
    char names[256] = "";
    assert_int_equal(env_dir_list(env, "", names_add, names), KS_OK);
    assert_string_equal(names, "__cluster_metadata-0/ ");
    /* the inner root does not see the file at its top level */
    names[0] = '\0';
    assert_int_equal(env_dir_list(f->inner, "data", names_add, names), KS_OK);
    assert_string_equal(names, "metadata/ ");
}

static void test_rename_and_delete_stay_inside(void **state)
{
    struct fixture *f = *state;
    struct subenv sub;
    char buf[64];
    env_file_id file = 0;
    assert_int_equal(subenv_init(&sub, f->inner, "data/metadata"), KS_OK);
    struct env *env = &sub.base;
    assert_int_equal(env_file_open(env, "a.tmp", ENV_FILE_CREATE, &file), KS_OK);
    assert_int_equal(env_file_write(env, file, 0, (const uint8_t *)"x", 1), KS_OK);
    env_file_close(env, file);
    assert_int_equal(env_path_rename(env, "a.tmp", "a"), KS_OK);
    inner_read(f->inner, "data/metadata/a", buf, sizeof(buf));
    assert_string_equal(buf, "x");
    assert_int_equal(env_path_delete(env, "a"), KS_OK);
    assert_int_equal(env_file_open(f->inner, "data/metadata/a", 0, &file), KS_ERR_NOT_FOUND);
    assert_int_equal(env_path_delete(env, "a"), KS_ERR_NOT_FOUND);
}

static void test_bad_prefix_and_long_paths(void **state)
{
    struct fixture *f = *state;
    struct subenv sub;
    char prefix[SUBENV_PREFIX_BYTES_MAX + 1];
    char path[SUBENV_PATH_BYTES_MAX];
    env_file_id file = 0;
    assert_int_equal(subenv_init(&sub, f->inner, ""), KS_ERR_INVALID);
    memset(prefix, 'p', sizeof(prefix) - 1);
    prefix[sizeof(prefix) - 1] = '\0';
    assert_int_equal(subenv_init(&sub, f->inner, prefix), KS_ERR_INVALID);
    assert_int_equal(subenv_init(&sub, f->inner, "data/metadata"), KS_OK);
    memset(path, 'f', sizeof(path) - 1);
    path[sizeof(path) - 1] = '\0';
    assert_int_equal(env_file_open(&sub.base, path, ENV_FILE_CREATE, &file), KS_ERR_INVALID);
    assert_int_equal(env_dir_create(&sub.base, path), KS_ERR_INVALID);
    /* time and randomness are the inner env's */
    assert_true(env_mono_ns(&sub.base) > 0);
    assert_true(env_wall_ms(&sub.base) > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_files_land_under_the_prefix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_and_delete_stay_inside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_prefix_and_long_paths, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
