/*
 * raft_snapshot.h: KRaft snapshots (KIP-630): files `<end offset, 20 digits>-<epoch,
 * 10 digits>.checkpoint` in the metadata log directory holding a state machine's image
 * at the end offset, as RecordBatch v2 batches: a SNAPSHOT_HEADER control batch
 * (SnapshotHeaderRecord: Version 0, LastContainedLogTimestamp), one data batch whose one
 * record carries the image, and a SNAPSHOT_FOOTER control batch (Version 0). Kafka:
 * RecordsSnapshotWriter, FileRawSnapshotWriter (`.checkpoint.part`, then an atomic
 * move), Snapshots (file names, `.deleted`), SnapshotHeaderRecord, SnapshotFooterRecord.
 *
 * Pure helpers build and parse the bytes; the file helpers go through env.h. A snapshot
 * is written as `.checkpoint.part`, fsynced, renamed and the directory synced, so a
 * crash leaves it whole or absent.
 */
#ifndef KS_RAFT_SNAPSHOT_H
#define KS_RAFT_SNAPSHOT_H

#include "system/env.h"

/* Largest snapshot file written or read (the image of a test state machine is tiny). */
#define RAFT_SNAPSHOT_BYTES_MAX (16u * 1024u * 1024u)
/* Largest image one snapshot carries. */
#define RAFT_SNAPSHOT_IMAGE_BYTES_MAX (1024u * 1024u)

struct raft_snapshot_id {
    int64_t end_offset; /* every record below it is in the image */
    int32_t epoch;      /* epoch of the last record below end_offset */
};

/* Builds the snapshot's bytes; *bytes_out is allocated (free() it). Errors: as
 * rb_builder_finish. */
KS_MUST_CHECK enum ks_err raft_snapshot_build(const struct raft_snapshot_id *id, int64_t timestamp,
                                              const uint8_t *image, uint32_t image_size,
                                              uint8_t **bytes_out, uint32_t *size_out);
/* Checks a snapshot's bytes (three batches with valid CRCs, header and footer control
 * records) and points *image_out into them. Errors: KS_ERR_CORRUPT_MESSAGE. */
KS_MUST_CHECK enum ks_err raft_snapshot_parse(const uint8_t *bytes, uint32_t size,
                                              const uint8_t **image_out, uint32_t *image_size_out);

/* Writes dir/<id>.checkpoint durably. Errors: disk errors. */
KS_MUST_CHECK enum ks_err raft_snapshot_write(struct env *env, const char *dir,
                                              const struct raft_snapshot_id *id,
                                              const uint8_t *bytes, uint32_t size);
/* Reads dir/<id>.checkpoint whole; *bytes_out allocated. Errors: KS_ERR_NOT_FOUND, disk
 * errors, KS_ERR_TOO_MANY past RAFT_SNAPSHOT_BYTES_MAX. */
KS_MUST_CHECK enum ks_err raft_snapshot_read(struct env *env, const char *dir,
                                             const struct raft_snapshot_id *id, uint8_t **bytes_out,
                                             uint32_t *size_out);
/* Finds the newest snapshot (largest end offset, then epoch) in dir, deleting older
 * ones and `.part` leftovers. *found_out false when there is none. Errors: disk errors. */
KS_MUST_CHECK enum ks_err raft_snapshot_latest(struct env *env, const char *dir,
                                               struct raft_snapshot_id *out, bool *found_out);

#endif
