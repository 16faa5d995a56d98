/*
 * subenv.h: an environment whose files live in a subdirectory of another's: every path
 * is prefixed with the subdirectory, every other call (time, timers, network,
 * randomness, trace) goes straight to the inner environment. Kafka: metadata.log.dir,
 * the directory a KRaft node keeps `__cluster_metadata-0` in, apart from the partition
 * logs of log.dirs.
 *
 * kbroker's combined node (knode.h) runs the KRaft voter on one, so that the voter's
 * `__cluster_metadata-0` and quorum-state sit under `<log.dirs>/metadata/` where the
 * partition log directory never lists them as a partition.
 *
 * Written against env.h only. Ownership: borrows the inner env, which must outlive it;
 * copies the prefix. No global state.
 */
#ifndef KS_SERVER_SUBENV_H
#define KS_SERVER_SUBENV_H

#include "system/env.h"

/* Longest prefix, and longest prefixed path. */
#define SUBENV_PREFIX_BYTES_MAX 512u
#define SUBENV_PATH_BYTES_MAX 1024u

struct subenv {
    struct env base; /* first: hand &base to system code */
    struct env *inner;
    char prefix[SUBENV_PREFIX_BYTES_MAX];
};

/* Sets up sub over inner with files under prefix (a relative directory path, which
 * must exist when files are used). Errors: KS_ERR_INVALID for an empty or too long
 * prefix. */
KS_MUST_CHECK enum ks_err subenv_init(struct subenv *sub, struct env *inner, const char *prefix);

#endif
