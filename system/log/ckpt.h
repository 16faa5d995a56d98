/*
 * ckpt.h: Kafka's checkpoint text files, parsed and formatted without I/O. Kafka:
 * org.apache.kafka.server.common.CheckpointFile (CheckpointReadBuffer, CheckpointWriteBuffer),
 * OffsetCheckpointFile, LeaderEpochCheckpointFile (KIP-101, KIP-279).
 *
 *   0                     version, always 0
 *   2                     number of entry lines
 *   orders 0 1234         offsets: topic SP partition SP offset
 *   orders 1 98           (leader-epoch-checkpoint: epoch SP startOffset)
 *
 * Files: recovery-point-offset-checkpoint, replication-offset-checkpoint,
 * log-start-offset-checkpoint, cleaner-offset-checkpoint (offsets) and a partition's
 * leader-epoch-checkpoint (epochs).
 *
 * Reading is as strict as Kafka's: an empty file has no entries; any other version, a
 * missing count, a malformed line (fields split by runs of blanks, exactly 2 or 3 of
 * them, integers that fit their Java type) or a count that differs from the lines is an
 * error (in Kafka the log dir goes offline). Lines end in LF (CRLF and a missing final
 * newline are read, as Java's readLine does). Beyond Kafka: topic names must be legal
 * ([a-zA-Z0-9._-], 1..249 bytes), and epoch entries must strictly increase in both
 * columns (LeaderEpochFileCache keeps them so). Writing gives exactly Kafka's bytes.
 */
#ifndef KS_LOG_CKPT_H
#define KS_LOG_CKPT_H

#include "system/ks.h"

#define CKPT_VERSION 0
#define CKPT_ENTRIES_MAX 1000000u /* entry lines in one file */
#define CKPT_TOPIC_SIZE_MAX 249u  /* Kafka's topic name limit */
#define CKPT_LINE_SIZE_MAX 512u   /* longer lines are malformed */

struct ckpt_offset_entry {
    char topic[CKPT_TOPIC_SIZE_MAX + 1]; /* NUL-terminated */
    int32_t partition;
    int64_t offset;
};

struct ckpt_epoch_entry {
    int32_t epoch;
    int64_t start_offset;
};

/*
 * Parse a whole file's bytes. *entries_out is allocated here (free with free(); NULL
 * when there are none). Errors: KS_ERR_INVALID for a malformed file (bad version,
 * count, line, topic, or epochs not increasing); KS_ERR_TOO_MANY past CKPT_ENTRIES_MAX.
 * On error nothing stays allocated.
 */
KS_MUST_CHECK enum ks_err ckpt_offsets_parse(const uint8_t *text, size_t size_bytes,
                                             struct ckpt_offset_entry **entries_out,
                                             uint32_t *count_out);
KS_MUST_CHECK enum ks_err ckpt_epochs_parse(const uint8_t *text, size_t size_bytes,
                                            struct ckpt_epoch_entry **entries_out,
                                            uint32_t *count_out);

/*
 * Format entries as Kafka writes them. *text_out is allocated here (free with free()),
 * NUL-terminated; *size_out excludes the NUL. The entries are the caller's own state,
 * so bad ones (an illegal topic, epochs not increasing) are assertion failures.
 */
void ckpt_offsets_format(const struct ckpt_offset_entry *entries, uint32_t count, char **text_out,
                         size_t *size_out);
void ckpt_epochs_format(const struct ckpt_epoch_entry *entries, uint32_t count, char **text_out,
                        size_t *size_out);

/* Whether name is a legal topic name: 1..249 bytes of [a-zA-Z0-9._-]. */
bool ckpt_topic_is_legal(const char *name, size_t size_bytes);

#endif
