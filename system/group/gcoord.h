/*
 * gcoord.h: the classic group coordinator of one broker, for the groups whose
 * __consumer_offsets partitions it leads. Kafka: GroupCoordinator (JoinGroup,
 * SyncGroup, Heartbeat, LeaveGroup, DescribeGroups, ListGroups, DeleteGroups),
 * GroupMetadataManager and OffsetMetadataManager (offset commits and fetches, the
 * records of __consumer_offsets, loading and unloading partitions, KIP-211 offset
 * expiry), DelayedJoin / InitialDelayedJoin, DelayedHeartbeat, KIP-345 static
 * membership, KIP-394 MEMBER_ID_REQUIRED, KAFKA-12890 SyncGroup deadline.
 *
 * Handlers take a decoded request and a completion callback. The callback may run
 * before the handler returns (most answers are immediate) or later (a JoinGroup waits
 * for the join phase, a SyncGroup or OffsetCommit for its records to be replicated).
 * It must not call back into the coordinator; the response it gets is borrowed for the
 * call only. Each handler answers exactly once, unless gcoord_free comes first.
 *
 * Storage: every offset commit and every group metadata change is appended as records
 * (offsets_rec.h) to the group's __consumer_offsets partition through struct
 * gcoord_log, which the broker implements by appending to the partition it leads and
 * completing once the high watermark passes the records. The client is answered only
 * after that completion. A partition is served after gcoord_load replayed it (until
 * then COORDINATOR_LOAD_IN_PROGRESS) and until gcoord_unload (then NOT_COORDINATOR).
 *
 * Time: session and rebalance deadlines on the monotonic clock; commit timestamps and
 * retention on the wall clock, as Kafka. Randomness (member id UUIDs) from env_random.
 */
#ifndef KS_GROUP_GCOORD_H
#define KS_GROUP_GCOORD_H

#include "system/group/gmeta.h"
#include "system/log/plog.h"
#include "system/props.h"
#include "system/proto/api_delete_groups.h"
#include "system/proto/api_describe_groups.h"
#include "system/proto/api_find_coordinator.h"
#include "system/proto/api_heartbeat.h"
#include "system/proto/api_leave_group.h"
#include "system/proto/api_list_groups.h"
#include "system/proto/api_offset_commit.h"
#include "system/proto/api_offset_fetch.h"

/* Named limits. */
#define GCOORD_GROUPS_MAX 65536u       /* groups on one coordinator */
#define GCOORD_PARTITIONS_MAX 1000u    /* offsets.topic.num.partitions upper bound */
#define GCOORD_APPENDS_MAX 65536u      /* appends waiting for replication */
#define GCOORD_LOAD_CHUNK_BYTES 65536u /* bytes replayed per load step */
#define GCOORD_LOAD_STEPS_MAX 1000000u
#define GCOORD_MEMBER_ID_BYTES_MAX 512u

struct gcoord_config {
    int32_t offsets_partition_count;             /* offsets.topic.num.partitions, 50 */
    int32_t group_min_session_timeout_ms;        /* group.min.session.timeout.ms, 6000 */
    int32_t group_max_session_timeout_ms;        /* group.max.session.timeout.ms, 1800000 */
    int32_t group_initial_rebalance_delay_ms;    /* group.initial.rebalance.delay.ms, 3000 */
    int32_t group_max_size;                      /* group.max.size, GMETA_MEMBERS_MAX */
    int64_t offsets_retention_ms;                /* offsets.retention.minutes, 7 days */
    int64_t offsets_retention_check_interval_ms; /* ...check.interval.ms, 600000 */
};

void gcoord_config_default(struct gcoord_config *config);
/* Kafka's names; KS_ERR_INVALID on a bad value. */
KS_MUST_CHECK enum ks_err gcoord_config_from_props(const struct props *props,
                                                   struct gcoord_config *out);

/* ---- Storage ------------------------------------------------------------------- */

/* Completion of one append: base offset of the records, or an error (then nothing
 * may be assumed about the records: the coordinator answers with an error). */
typedef void (*gcoord_log_done_fn)(void *ctx, uint64_t append_id, enum ks_err err,
                                   int64_t base_offset);

/*
 * Where the coordinator's records go. append borrows batch (a RecordBatch v2 without
 * producer, offsets from 0) for the call; it must call done(ctx, append_id, ...) later,
 * never inside the call, once the batch is replicated (committed), or with an error
 * (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT after
 * offsets.commit.timeout.ms, ...). Completions of one partition come in append order.
 * A completion for an append the coordinator dropped (after gcoord_unload) is ignored;
 * none may come after gcoord_free. Implementations embed this struct.
 */
struct gcoord_log {
    void (*append)(struct gcoord_log *log, int32_t partition, const uint8_t *batch,
                   uint32_t size_bytes, uint64_t append_id, gcoord_log_done_fn done, void *ctx);
};

/* ---- The coordinator ----------------------------------------------------------- */

enum gcoord_partition_state {
    GCOORD_PARTITION_NOT_OWNED,
    GCOORD_PARTITION_LOADING,
    GCOORD_PARTITION_ACTIVE,
};

typedef void (*gcoord_load_done_fn)(void *ctx, int32_t partition, enum ks_err err);

struct gcoord;

struct gcoord_partition {
    struct gcoord *coordinator;
    int32_t partition;
    enum gcoord_partition_state state;
    int32_t leader_epoch;
    struct plog *log; /* borrowed while loading */
    int64_t load_offset;
    int64_t load_end_offset;
    uint32_t load_steps;
    uint64_t records_replayed;
    uint64_t records_skipped; /* keys of other record types (KIP-848, share groups) */
    env_timer_id load_timer;
    gcoord_load_done_fn load_done;
    void *load_ctx;
};

struct gcoord_append; /* a write waiting for its records to be replicated */

struct gcoord {
    struct env *env;
    struct gcoord_config config;
    struct gcoord_log *log;
    struct gcoord_partition *partitions; /* config.offsets_partition_count */
    struct gmeta **groups;               /* by group id */
    uint32_t group_count;
    uint32_t group_capacity;
    struct gcoord_append **appends; /* by append id */
    uint32_t append_count;
    uint64_t append_id_next;
    uint64_t join_seq_next;
    env_timer_id retention_timer;
    bool in_callback; /* answering a request: handlers must not be re-entered */
};

/* Creates the coordinator (owning no partitions yet); borrows env and log. */
struct gcoord *gcoord_create(struct env *env, const struct gcoord_config *config,
                             struct gcoord_log *log);
/* Cancels the coordinator's timers (a clean shutdown), answering nobody. */
void gcoord_stop(struct gcoord *c);
/* Frees memory only, without calling env or answering waiting requests: after
 * gcoord_stop, or after a crash (the environment dropped the timers). */
void gcoord_free(struct gcoord *c);

/* The __consumer_offsets partition of a group. */
int32_t gcoord_partition_for(const struct gcoord_config *config, struct wire_string group_id);

/*
 * This broker became the leader of __consumer_offsets-partition: replay log (NULL: an
 * empty partition) from its start up to end_offset (its high watermark), in steps of
 * GCOORD_LOAD_CHUNK_BYTES on zero-delay timers; requests for its groups get
 * COORDINATOR_LOAD_IN_PROGRESS until done(ctx, partition, err) (KS_OK, or the log's
 * error: the partition is then not owned). log is borrowed until done or unload.
 */
KS_MUST_CHECK enum ks_err gcoord_load(struct gcoord *c, int32_t partition, int32_t leader_epoch,
                                      struct plog *log, int64_t end_offset,
                                      gcoord_load_done_fn done, void *ctx);
/* Leadership moved away: the partition's groups are dropped (waiting requests get
 * NOT_COORDINATOR), later requests get NOT_COORDINATOR. A load in progress is
 * cancelled and its done gets NOT_COORDINATOR. */
void gcoord_unload(struct gcoord *c, int32_t partition);

/* Lower-level loading, for a caller that reads the partition its own way: begin, then
 * whole batches in offset order, then end. Bad bytes give an error return. */
void gcoord_load_begin(struct gcoord *c, int32_t partition, int32_t leader_epoch);
KS_MUST_CHECK enum ks_err gcoord_load_batches(struct gcoord *c, int32_t partition,
                                              const uint8_t *bytes, uint32_t size_bytes);
void gcoord_load_end(struct gcoord *c, int32_t partition);

/* The group, or NULL (for tests and checkers). */
struct gmeta *gcoord_group_find(const struct gcoord *c, struct wire_string group_id);

/* ---- Handlers ------------------------------------------------------------------ */

/* Who sent a request: from its header and connection. */
struct gcoord_client {
    int16_t api_version;
    struct wire_string client_id;
    struct wire_string client_host;
};

typedef void (*gcoord_heartbeat_done_fn)(void *ctx, const struct api_heartbeat_response *r);
typedef void (*gcoord_leave_done_fn)(void *ctx, const struct api_leave_group_response *r);
typedef void (*gcoord_commit_done_fn)(void *ctx, const struct api_offset_commit_response *r);
typedef void (*gcoord_fetch_done_fn)(void *ctx, const struct api_offset_fetch_response *r);
typedef void (*gcoord_describe_done_fn)(void *ctx, const struct api_describe_groups_response *r);
typedef void (*gcoord_list_done_fn)(void *ctx, const struct api_list_groups_response *r);
typedef void (*gcoord_delete_done_fn)(void *ctx, const struct api_delete_groups_response *r);

void gcoord_join_group(struct gcoord *c, const struct gcoord_client *client,
                       const struct api_join_group_request *request, gmeta_join_done_fn done,
                       void *ctx);
void gcoord_sync_group(struct gcoord *c, const struct gcoord_client *client,
                       const struct api_sync_group_request *request, gmeta_sync_done_fn done,
                       void *ctx);
void gcoord_heartbeat(struct gcoord *c, const struct gcoord_client *client,
                      const struct api_heartbeat_request *request, gcoord_heartbeat_done_fn done,
                      void *ctx);
void gcoord_leave_group(struct gcoord *c, const struct gcoord_client *client,
                        const struct api_leave_group_request *request, gcoord_leave_done_fn done,
                        void *ctx);
void gcoord_offset_commit(struct gcoord *c, const struct gcoord_client *client,
                          const struct api_offset_commit_request *request,
                          gcoord_commit_done_fn done, void *ctx);
void gcoord_offset_fetch(struct gcoord *c, const struct gcoord_client *client,
                         const struct api_offset_fetch_request *request, gcoord_fetch_done_fn done,
                         void *ctx);
void gcoord_describe_groups(struct gcoord *c, const struct gcoord_client *client,
                            const struct api_describe_groups_request *request,
                            gcoord_describe_done_fn done, void *ctx);
void gcoord_list_groups(struct gcoord *c, const struct gcoord_client *client,
                        const struct api_list_groups_request *request, gcoord_list_done_fn done,
                        void *ctx);
void gcoord_delete_groups(struct gcoord *c, const struct gcoord_client *client,
                          const struct api_delete_groups_request *request,
                          gcoord_delete_done_fn done, void *ctx);

/*
 * FindCoordinator, answered by any broker with metadata: each group key's partition
 * (gcoord_partition_for) mapped by leader_of to its leader; leader_of returns KS_OK
 * with the node, or an error (COORDINATOR_NOT_AVAILABLE when the partition has no
 * leader). Transaction and share keys get INVALID_REQUEST. *out's array is allocated:
 * free it with gcoord_find_coordinator_response_free.
 */
typedef enum ks_err (*gcoord_leader_of_fn)(void *ctx, int32_t partition, int32_t *node_id,
                                           struct wire_string *host, int32_t *port);
void gcoord_find_coordinator(const struct gcoord_config *config,
                             const struct api_find_coordinator_request *request,
                             gcoord_leader_of_fn leader_of, void *ctx,
                             struct api_find_coordinator_response *out);
void gcoord_find_coordinator_response_free(struct api_find_coordinator_response *response);

/* Runs the KIP-211 expiry pass now (also runs every check interval). */
void gcoord_expire_offsets(struct gcoord *c);

/* ---- Invariants (gcoord_check.c) ----------------------------------------------- */

/* One member's assignment as a client saw it in a SyncGroup answer. */
struct gcoord_owner_report {
    struct wire_string group_id;
    int32_t generation;
    struct wire_string member_id;
    struct wire_bytes assignment; /* ConsumerProtocolAssignment */
};

/*
 * Within one group and generation, no partition is assigned to two members. KS_OK, or
 * KS_ERR_INVALID with why (NUL-terminated) naming the partition and the two members.
 * Undecodable assignments are reported as violations too.
 */
KS_MUST_CHECK enum ks_err gcoord_check_single_owner(const struct gcoord_owner_report *reports,
                                                    uint32_t count, char *why, uint32_t why_size);
/* The same over the coordinator's own Stable groups. */
KS_MUST_CHECK enum ks_err gcoord_check_groups_single_owner(const struct gcoord *c, char *why,
                                                           uint32_t why_size);

/* One acknowledged commit, in the order the acknowledgements came. */
struct gcoord_commit_event {
    struct wire_string group_id;
    struct wire_string topic;
    int32_t partition;
    int64_t offset;
    bool reset; /* someone sought: the offset may move back here */
};

/* A group's committed offset for a partition never moves back unless reset. */
KS_MUST_CHECK enum ks_err gcoord_check_offsets_monotonic(const struct gcoord_commit_event *history,
                                                         uint32_t count, char *why,
                                                         uint32_t why_size);
/*
 * A Stable or CompletingRebalance group's members are those its generation formed
 * with: a member that left or expired has caused a new rebalance.
 */
KS_MUST_CHECK enum ks_err gcoord_check_generation_members(const struct gcoord *c, char *why,
                                                          uint32_t why_size);

#endif
