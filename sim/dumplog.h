/*
 * dumplog.h: `ksim dump-log FILE... [--json] [--deep-iteration] [--print-data-log]
 * [--index-sanity-check]`, the simulator's kafka-dump-log. Kafka: kafka.tools.DumpLogSegments
 * (kafka-dump-log.sh), FileLogInputStream, OffsetIndex/TimeIndex sanity checks.
 *
 * It reads real files with stdio (sim/ may; system/ may not): segments written by
 * `ksim run --dump-disks DIR` or by a Kafka broker. What each file name gives:
 *   <base>.log, KRaft snapshots <offset>-<epoch>.checkpoint
 *                   record batches: the header of each (valid or not), with
 *                   --deep-iteration its records; a batch whose CRC does not match is
 *                   printed with valid false and the reader goes on to the next one; a
 *                   torn tail (the file ends inside a batch) or a batch length that
 *                   cannot be right is reported and ends the file.
 *   <base>.index    offset index entries, checked against <base>.log beside it (Kafka's
 *   <base>.timeindex "Mismatches in", "Found timestamp mismatch" reports).
 *   recovery-point-offset-checkpoint, replication-offset-checkpoint,
 *   log-start-offset-checkpoint, cleaner-offset-checkpoint: topic partition offset lines;
 *   leader-epoch-checkpoint: epoch start-offset lines;
 *   .kafka_cleanshutdown, partition.metadata, quorum-state, meta.properties: their text.
 * The suffixes `.deleted`, `.cleaned` and `.swap` are looked through.
 *
 * Records under a `__cluster_metadata-N` directory are described with mrec_describe
 * (kafka-dump-log --cluster-metadata-decoder).
 *
 * With --json every line is one JSON object; the first of each file is
 *   {"type":"file","path":...,"kind":"log"|"index"|...}
 * then, by kind, objects of type batch, record, index, timeindex, index_mismatch,
 * timeindex_mismatch, offset_checkpoint, epoch_checkpoint, properties, text,
 * torn_tail, corrupt, error, and last {"type":"end",...} with counts. Keys and values
 * of records are JSON strings when they are valid UTF-8, {"base64": "..."} otherwise,
 * null when null.
 *
 * Nothing in a file can crash the tool: every byte read is checked (rb_scan, rb_decode,
 * idx, ckpt). Exit codes: 0 when every file was read (whatever it held), 2 when a file
 * is missing or unreadable, or on a usage error.
 *
 * Ownership: everything allocated for a file is freed before the next one.
 */
#ifndef SIM_DUMPLOG_H
#define SIM_DUMPLOG_H

#include <stdio.h>

#include "../system/ks.h"

#define DUMPLOG_FILES_MAX 4096u                  /* files on one command line */
#define DUMPLOG_BATCHES_MAX (1u << 28)           /* batches read from one .log */
#define DUMPLOG_SMALL_FILE_BYTES_MAX (64u << 20) /* checkpoints, properties, ... */
#define DUMPLOG_INDEX_BYTES_MAX (1u << 30)       /* one .index or .timeindex */
#define DUMPLOG_HEADERS_MAX 65536u               /* headers printed for one record */
#define DUMPLOG_TEXT_BYTES_MAX 4096u             /* a described payload */

/* What a file is, from its name. */
enum dumplog_kind {
    DUMPLOG_KIND_UNKNOWN,
    DUMPLOG_KIND_LOG,
    DUMPLOG_KIND_INDEX,
    DUMPLOG_KIND_TIMEINDEX,
    DUMPLOG_KIND_OFFSET_CHECKPOINT,
    DUMPLOG_KIND_EPOCH_CHECKPOINT,
    DUMPLOG_KIND_CLEAN_SHUTDOWN,
    DUMPLOG_KIND_PARTITION_METADATA,
    DUMPLOG_KIND_QUORUM_STATE,
    DUMPLOG_KIND_PROPERTIES,
};

struct dumplog_options {
    bool json;
    bool deep_iteration;     /* records of every batch */
    bool print_data_log;     /* keys and values in the text form (implies deep) */
    bool index_sanity_check; /* indexes: only Kafka's sanity check */
};

/* The kind of the file at path (its last name, suffixes .deleted/.cleaned/.swap
 * looked through). */
enum dumplog_kind dumplog_kind_of(const char *path);
/* "log", "index", ... as in the JSON "kind" field. */
const char *dumplog_kind_name(enum dumplog_kind kind);

/* Dumps one file to out (problems with the file itself go to err). Returns KS_OK when
 * the file was read, whatever it held (bad batches are part of the dump);
 * KS_ERR_NOT_FOUND or KS_ERR_IO when it could not be read; KS_ERR_INVALID for a name
 * dump-log does not know (reported on err). */
KS_MUST_CHECK enum ks_err dumplog_file(const struct dumplog_options *options, const char *path,
                                       FILE *out, FILE *err);

/* `ksim dump-log ARGS...`: argv holds the words after "dump-log". Returns the exit code. */
int dumplog_main(int argc, char **argv, FILE *out, FILE *err);

#endif
