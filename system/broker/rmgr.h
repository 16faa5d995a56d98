/*
 * rmgr.h: the replica manager of one broker: its partitions' replicas, the requests
 * that read and write them, and the purgatory of requests that wait. Kafka:
 * ReplicaManager (applyDelta, appendRecords, fetchMessages, fetchOffsetForTimestamp,
 * lastOffsetForLeaderEpoch, maybeShrinkIsr), DelayedProduce, DelayedFetch,
 * DelayedOperationPurgatory, AlterPartitionManager, ReplicaFetcherManager,
 * KafkaApis.handleListOffsetRequest, handleOffsetForLeaderEpochRequest.
 *
 * Metadata: rmgr_apply_image takes the metadata image (the KRaft path feeds it as
 * the controller quorum commits; tests push it). For every partition with a replica
 * here, the broker becomes leader or follower (opening or creating its log), and
 * followers are handed to one fetcher per leader broker.
 *
 * Requests come decoded (system/proto codecs) with a completion callback. The
 * callback gets the response (borrowed for the call), or NULL for acks=0 Produce; it
 * may run before the request function returns (an immediate answer) or later (a
 * delayed produce or fetch), never twice. The request is not used after the call
 * returns: what a delayed request needs is copied.
 *
 * Produce: acks 0, 1 or -1; with -1 and an ISR below min.insync.replicas nothing is
 * written (NOT_ENOUGH_REPLICAS); otherwise it waits until the high watermark passes
 * the append (NONE, or NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank below
 * min.insync.replicas) or timeout_ms passes (REQUEST_TIMED_OUT). Fetch: followers
 * (replica id >= 0) read up to the log end offset and report their position;
 * consumers read up to the high watermark; with too few bytes the fetch waits up to
 * max_wait_ms for min_bytes.
 *
 * ISR changes go to the controller through alter_partition (an AlterPartition v3
 * entry); the answer comes back through rmgr_alter_partition_response and/or a newer
 * image. The ISR is checked every replica.lag.time.max.ms / 2.
 *
 * Ownership: an rmgr borrows its logdir (the broker owns it) and owns parts, fetchers,
 * delayed requests and timers. No global state.
 */
#ifndef KS_BROKER_RMGR_H
#define KS_BROKER_RMGR_H

#include "fetcher.h"
#include "system/controller/pchange.h"
#include "system/log/logdir.h"
#include "system/proto/api_fetch.h"
#include "system/proto/api_list_offsets.h"
#include "system/proto/api_offsets_for_leader_epoch.h"
#include "system/proto/api_produce.h"

#define RMGR_PARTS_MAX 65536u
#define RMGR_FETCHERS_MAX MIMAGE_BROKERS_MAX
#define RMGR_DELAYED_PRODUCES_MAX 65536u
#define RMGR_DELAYED_FETCHES_MAX 65536u
#define RMGR_DELAYED_CHECKS_MAX (RMGR_DELAYED_PRODUCES_MAX + RMGR_DELAYED_FETCHES_MAX)

struct rmgr_config {
    int32_t broker_id;
    int64_t replica_lag_time_max_ms; /* replica.lag.time.max.ms, 30000 */
    int32_t min_insync_replicas;     /* min.insync.replicas, 1 (a topic config overrides) */
    struct fetcher_config fetcher;   /* replica.fetch.* */
};

void rmgr_config_default(struct rmgr_config *config, int32_t broker_id);
/* Reads broker.id (or node.id), replica.lag.time.max.ms, min.insync.replicas and
 * replica.fetch.{max.bytes,response.max.bytes,wait.max.ms,min.bytes,backoff.ms}.
 * KS_ERR_INVALID_CONFIG on a bad value. */
KS_MUST_CHECK enum ks_err rmgr_config_from_props(const struct props *props,
                                                 struct rmgr_config *out);

/* The controller seam: send an AlterPartition for one partition. The answer must come
 * back later through rmgr_alter_partition_response. */
typedef void (*rmgr_alter_partition_fn)(void *ctx, const struct pchange_alter *alter);

typedef void (*rmgr_produce_done_fn)(void *ctx, const struct api_produce_response *response);
typedef void (*rmgr_fetch_done_fn)(void *ctx, const struct api_fetch_multi_response *response);
typedef void (*rmgr_list_offsets_done_fn)(void *ctx,
                                          const struct api_list_offsets_response *response);
typedef void (*rmgr_offsets_for_leader_epoch_done_fn)(
    void *ctx, const struct api_offsets_for_leader_epoch_response *response);

struct delayed_produce;
struct delayed_fetch;

struct rmgr {
    struct env *env;
    struct rmgr_config config;
    struct logdir *logdir; /* borrowed */
    rmgr_alter_partition_fn alter_fn;
    void *alter_ctx;
    struct mimage image; /* the latest applied */
    struct part **parts; /* sorted by (topic, partition) */
    uint32_t part_count;
    struct fetcher **fetchers; /* sorted by leader id */
    uint32_t fetcher_count;
    struct delayed_produce **produces; /* in arrival order */
    uint32_t produce_count;
    struct delayed_fetch **fetches; /* in arrival order */
    uint32_t fetch_count;
    env_timer_id isr_timer;
    bool checking;           /* inside the purgatory walk */
    uint64_t alter_requests; /* for tests */
};

struct rmgr *rmgr_create(struct env *env, const struct rmgr_config *config, struct logdir *logdir,
                         rmgr_alter_partition_fn alter_fn, void *alter_ctx);
/* Clean stop: fetchers closed, timers cancelled, delayed requests dropped unanswered. */
void rmgr_free(struct rmgr *r);
/* Frees memory only (after a crash: the environment dropped timers and connections). */
void rmgr_destroy(struct rmgr *r);

/* ReplicaManager.applyDelta over a whole image. Errors: a log that cannot be opened. */
KS_MUST_CHECK enum ks_err rmgr_apply_image(struct rmgr *r, const struct mimage *img);
/* The controller's answer to an AlterPartition: KS_OK with the partition's new state,
 * or an error (the leader may propose again). */
void rmgr_alter_partition_response(struct rmgr *r, const struct wire_uuid *topic_id,
                                   int32_t partition, enum ks_err err,
                                   const struct mimage_partition *state);

void rmgr_produce(struct rmgr *r, const struct api_produce_request *request,
                  rmgr_produce_done_fn done, void *ctx);
void rmgr_fetch(struct rmgr *r, int16_t version, const struct api_fetch_multi_request *request,
                rmgr_fetch_done_fn done, void *ctx);
void rmgr_list_offsets(struct rmgr *r, const struct api_list_offsets_request *request,
                       rmgr_list_offsets_done_fn done, void *ctx);
void rmgr_offsets_for_leader_epoch(struct rmgr *r,
                                   const struct api_offsets_for_leader_epoch_request *request,
                                   rmgr_offsets_for_leader_epoch_done_fn done, void *ctx);

/* The replica of topic-partition here, or NULL. */
struct part *rmgr_part(const struct rmgr *r, const char *topic, int32_t partition);

/* ---- Checks, for tests and invariant checkers ---------------------------------- */

/* Replicas hold identical batches (byte for byte) below the lower of each pair's high
 * watermarks. Returns false and says where they differ in why. */
bool rmgr_check_replicas_agree(struct rmgr *const *rmgrs, uint32_t count, const char *topic,
                               int32_t partition, char *why, size_t why_bytes);
/* The leader's high watermark is at most the log end offset of every ISR member
 * among rmgrs (members not among them are not checked). */
bool rmgr_check_hw_within_isr(struct rmgr *const *rmgrs, uint32_t count, const char *topic,
                              int32_t partition, char *why, size_t why_bytes);
/* The record at offset in r's log has this value (an acknowledged write is there). */
bool rmgr_check_record_at(struct rmgr *r, const char *topic, int32_t partition, int64_t offset,
                          const uint8_t *value, uint32_t value_size, char *why, size_t why_bytes);

#endif
