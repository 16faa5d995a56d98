/*
 * raft_test_disk.h: a world with one idle node whose env the raft module tests use
 * for files (header-only). Crashing and restarting the node drops what was not
 * synced, as a power loss does.
 */
#ifndef RAFT_TESTS_RAFT_TEST_DISK_H
#define RAFT_TESTS_RAFT_TEST_DISK_H

#include <stdlib.h>

#include "sim/world.h"

static inline void *test_disk_start(struct env *env, const struct props *config)
{
    return ks_alloc(1);
}
static inline void test_disk_destroy(void *node)
{
    free(node);
}
static const struct world_node_type test_disk_type = {"disk", test_disk_start, NULL,
                                                      test_disk_destroy, NULL};

struct test_disk {
    struct world *w;
    int node;
};

static inline struct test_disk test_disk_new(uint64_t seed)
{
    struct world_config config;
    world_config_default(&config, seed);
    struct test_disk d = {.w = world_create(&config)};
    d.node = world_node_add(d.w, "n1", &test_disk_type, NULL);
    if (d.node < 0 || world_node_start(d.w, d.node) != KS_OK)
        abort();
    return d;
}

static inline struct env *test_disk_env(struct test_disk *d)
{
    return world_node_env(d->w, d->node);
}

/* Power loss and restart: unsynced writes and names are gone. */
static inline void test_disk_crash_restart(struct test_disk *d)
{
    if (world_node_crash(d->w, d->node) != KS_OK || world_node_start(d->w, d->node) != KS_OK)
        abort();
}

#endif
