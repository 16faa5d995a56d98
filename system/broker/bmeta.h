/*
 * bmeta.h: a broker follows `__cluster_metadata` as a Raft observer: it pulls the
 * metadata log from the quorum leader with Fetch v13 (replica id = its own node id,
 * which is no voter, so the leader serves it but never counts it toward the high
 * watermark), decodes each committed record with mrec and applies it to its metadata
 * image, then hands the new image to a publisher (the broker's replica manager).
 * Kafka: MetadataLoader (the observer's KafkaRaftClient listener), BrokerMetadataPublisher,
 * MetadataImage/MetadataDelta.
 *
 * Only committed records are applied: a response's batches at or above the leader's
 * high watermark are dropped and fetched again later, so the observer keeps no log and
 * never truncates; a committed batch can never diverge (Raft's log matching), and a
 * diverging answer is traced and counted as a safety violation. The leader is found
 * by trying each voter in turn and following the CurrentLeader a response names.
 * A leader whose log starts above our fetch offset (a snapshot, KIP-630) is not
 * followed further: FetchSnapshot for observers is not implemented (counted).
 *
 * State: IDLE (next fetch at fetch_next_ns) -> FETCHING (one request in flight) ->
 * IDLE; STOPPED at the end. Requests go through a raft_net the caller owns (shared
 * with the lifecycle manager); the caller routes Fetch answers and failures here.
 * Ownership: bmeta owns its image; borrows env, net and quorum config.
 */
#ifndef KS_BROKER_BMETA_H
#define KS_BROKER_BMETA_H

#include "system/controller/mimage.h"
#include "system/env.h"
#include "system/raft/raft_net.h"

/* Fetch answers wait this long before the next fetch when nothing new committed. */
#define BMETA_FETCH_IDLE_WAIT_MS 50u
/* A request unanswered this long is abandoned (the connection is reset). */
#define BMETA_REQUEST_TIMEOUT_MS 2000u
/* After a failure, wait this long before trying the next voter. */
#define BMETA_RETRY_BACKOFF_MS 100u
/* Most bytes one Fetch asks for (raft's RAFT_FETCH_BYTES_MAX). */
#define BMETA_FETCH_BYTES_MAX (64u * 1024u)
/* Batches applied from one Fetch response, at most. */
#define BMETA_BATCHES_PER_FETCH_MAX 4096u

enum bmeta_state {
    BMETA_IDLE,
    BMETA_FETCHING,
    BMETA_STOPPED,
    BMETA_STATE_COUNT,
};

/* Called with the new image each time committed records changed it. */
typedef void (*bmeta_publish_fn)(void *ctx, const struct mimage *img);

struct bmeta_stats {
    uint64_t fetches;
    uint64_t records_applied;
    uint64_t records_refused; /* did not decode or fit the image: skipped, as controllers do */
    uint64_t divergences;     /* a leader said our committed prefix diverges: never in Raft */
    uint64_t snapshots_needed;
    uint64_t publishes;
};

struct bmeta {
    struct env *env;
    struct raft_net *net;
    const struct raft_config *quorum; /* voters; node_id is this broker's id */
    bmeta_publish_fn publish;
    void *publish_ctx;
    enum bmeta_state state;
    struct mimage image;
    int64_t next_offset;    /* every offset below was applied (data or control) */
    int32_t last_epoch;     /* epoch of the batch ending at next_offset; 0 none */
    int64_t high_watermark; /* the leader's, as last heard */
    int32_t leader_id;      /* -1 unknown */
    int32_t leader_epoch;   /* latest heard */
    uint32_t voter_cursor;  /* next voter to try when no leader is known */
    int32_t fetch_peer;     /* where the request in flight went */
    uint64_t fetch_id;      /* cookie of the request in flight */
    uint64_t fetch_sent_ns;
    uint64_t fetch_next_ns;
    env_timer_id timer;
    struct bmeta_stats stats;
};

/* Starts fetching at once. Borrows env, net and quorum for its life. */
struct bmeta *bmeta_create(struct env *env, struct raft_net *net, const struct raft_config *quorum,
                           bmeta_publish_fn publish, void *publish_ctx);
/* Stops fetching and cancels the timer; nothing more is published. */
void bmeta_stop(struct bmeta *m);
/* Frees memory only (after stop or at a crash). */
void bmeta_free(struct bmeta *m);

/* Routed here by the owner of the net: a Fetch answer, or its failure. */
void bmeta_on_response(struct bmeta *m, int32_t peer_id, uint64_t cookie, const uint8_t *body,
                       uint32_t size_bytes);
void bmeta_on_failure(struct bmeta *m, int32_t peer_id, uint64_t cookie);

/* The last metadata offset applied (data or control record), -1 before any. */
int64_t bmeta_applied_offset(const struct bmeta *m);
/* The quorum leader as last heard (-1 unknown): the active controller. */
int32_t bmeta_leader_id(const struct bmeta *m);
const struct mimage *bmeta_image(const struct bmeta *m);
const char *bmeta_state_name(enum bmeta_state state);

#endif
