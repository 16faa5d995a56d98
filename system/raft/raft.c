/*
 * raft.c: a KRaft voter, see raft.h. Kafka: KafkaRaftClient (handle*Request,
 * handle*Response, poll*), QuorumState (transitionTo*), LeaderState
 * (maybeUpdateHighWatermark, check-quorum timer), CandidateState/ProspectiveState
 * (vote tallies), FollowerState (fetch timeout), KIP-595, KIP-996, KAFKA-15489.
 *
 * Invariants: epoch never decreases; within an epoch this voter votes for at most one
 * candidate and persists that vote before the reply that grants it; a leader's high
 * watermark never decreases and only counts offsets inside its own epoch.
 */
#include "system/raft/raft.h"
#include "system/sm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/bugs.h"
#include "system/log/rb.h"
#include "system/proto/api.h"
#include "system/proto/api_begin_quorum_epoch.h"
#include "system/proto/api_end_quorum_epoch.h"
#include "system/proto/api_fetch.h"
#include "system/proto/api_fetch_snapshot.h"
#include "system/proto/api_vote.h"
#include "system/raft/raft_net.h"
#include "system/raft/raft_qstate.h"
#include "system/raft/raft_snapshot.h"

#define RAFT_NEVER UINT64_MAX
#define RAFT_NS_PER_MS 1000000ull
#define RAFT_VOTE_VERSION 2
#define RAFT_BQE_VERSION 0
#define RAFT_EQE_VERSION 0
#define RAFT_FETCH_VERSION 13
#define RAFT_FETCH_SNAPSHOT_VERSION 0
/* Kafka's SNAPSHOT_NOT_FOUND and POSITION_OUT_OF_RANGE (KIP-630). */
#define RAFT_ERR_SNAPSHOT_NOT_FOUND 98
#define RAFT_ERR_POSITION_OUT_OF_RANGE 99
/* Rounds of reading one fetch's worth of committed batches per apply call. */
#define RAFT_APPLY_ROUNDS_MAX 64u
/* Cookies tell apart what a response answers: the kind in the top byte. */
#define RAFT_COOKIE_VOTE (1ull << 56)
#define RAFT_COOKIE_FETCH (2ull << 56)
#define RAFT_COOKIE_OTHER (3ull << 56)
#define RAFT_COOKIE_KIND_MASK (0xffull << 56)
#define RAFT_TRACE_BYTES_MAX 256u

/* __cluster_metadata's topic id: Uuid.METADATA_TOPIC_ID, AAAAAAAAAAAAAAAAAAAAAQ. */
static const struct wire_uuid raft_topic_id = {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};

struct raft {
    struct env *env;
    struct raft_config config;
    struct raft_net *net;
    struct raft_log *log;
    const struct raft_state_machine *sm;
    void *sm_ctx;
    enum raft_state state;
    struct raft_qstate qs; /* epoch, leader, vote: what this voter acts on */
    int self_index;
    bool persist_deferred; /* bug raft_vote_not_persisted: quorum-state writes skipped */
    /* Prospective and Candidate */
    uint64_t election_id; /* bumped per election: stale vote responses are ignored */
    uint32_t granted_mask;
    uint32_t rejected_mask;
    /* Leader */
    int64_t epoch_start_offset;
    int64_t end_offsets[RAFT_VOTERS_MAX];    /* fetch offsets acknowledged; -1 unknown */
    uint32_t fetched_mask;                   /* voters heard from in this check-quorum window */
    uint32_t begun_mask;                     /* voters that fetched in this epoch */
    uint64_t last_fetch_ns[RAFT_VOTERS_MAX]; /* when each voter last fetched */
    int64_t high_watermark;
    /* State machine and snapshots */
    int64_t applied_offset;
    uint64_t applied_bytes_since_snapshot;
    bool has_snapshot;
    struct raft_snapshot_id snapshot; /* the latest, where the log starts */
    /* Follower */
    bool fetch_inflight;
    bool leader_ended; /* the leader sent EndQuorumEpoch */
    uint64_t fetch_id;
    uint64_t fetch_sent_ns;
    bool snapshot_fetching; /* downloading the leader's snapshot with FetchSnapshot */
    struct raft_snapshot_id snapshot_fetch_id;
    uint8_t *snapshot_buf; /* snapshot_fill of snapshot_size bytes so far */
    uint32_t snapshot_size;
    uint32_t snapshot_fill;
    /* Deadlines (monotonic ns; RAFT_NEVER when unset) */
    uint64_t election_deadline_ns;
    uint64_t fetch_deadline_ns;
    uint64_t fetch_next_ns;
    uint64_t check_quorum_deadline_ns;
    uint64_t begin_quorum_next_ns;
    env_timer_id timer;
    uint64_t timer_at_ns;
    struct raft_status stats; /* counters only */
};

static const char *const raft_state_names[RAFT_STATE_COUNT] = {
    "Unattached", "Prospective", "Candidate", "Leader", "Follower", "Resigned", "Failed",
};

const char *raft_state_name(enum raft_state state)
{
    KS_ASSERT(state < RAFT_STATE_COUNT);
    return raft_state_names[state];
}

/* Legal transitions: bit `to` set in entry `from` (QuorumState's rules). */
#define RAFT_BIT(s) (1u << (s))
static const uint32_t raft_transitions[RAFT_STATE_COUNT] = {
    [RAFT_UNATTACHED] = RAFT_BIT(RAFT_UNATTACHED) | RAFT_BIT(RAFT_PROSPECTIVE) |
                        RAFT_BIT(RAFT_FOLLOWER) | RAFT_BIT(RAFT_FAILED),
    [RAFT_PROSPECTIVE] = RAFT_BIT(RAFT_UNATTACHED) | RAFT_BIT(RAFT_PROSPECTIVE) |
                         RAFT_BIT(RAFT_CANDIDATE) | RAFT_BIT(RAFT_FOLLOWER) | RAFT_BIT(RAFT_FAILED),
    [RAFT_CANDIDATE] = RAFT_BIT(RAFT_UNATTACHED) | RAFT_BIT(RAFT_PROSPECTIVE) |
                       RAFT_BIT(RAFT_LEADER) | RAFT_BIT(RAFT_FOLLOWER) | RAFT_BIT(RAFT_FAILED),
    [RAFT_LEADER] = RAFT_BIT(RAFT_UNATTACHED) | RAFT_BIT(RAFT_RESIGNED) | RAFT_BIT(RAFT_FOLLOWER) |
                    RAFT_BIT(RAFT_FAILED),
    [RAFT_FOLLOWER] = RAFT_BIT(RAFT_UNATTACHED) | RAFT_BIT(RAFT_PROSPECTIVE) |
                      RAFT_BIT(RAFT_FOLLOWER) | RAFT_BIT(RAFT_FAILED),
    [RAFT_RESIGNED] = RAFT_BIT(RAFT_UNATTACHED) | RAFT_BIT(RAFT_PROSPECTIVE) |
                      RAFT_BIT(RAFT_FOLLOWER) | RAFT_BIT(RAFT_FAILED),
    [RAFT_FAILED] = 0,
};
const struct sm_def raft_sm = {"raft", raft_state_names, RAFT_STATE_COUNT, raft_transitions};

static uint64_t raft_now(struct raft *raft)
{
    return env_mono_ns(raft->env);
}

static void raft_set_state(struct raft *raft, enum raft_state to)
{
    KS_ASSERT(to < RAFT_STATE_COUNT);
    KS_ASSERT(raft_transitions[raft->state] & RAFT_BIT(to));
    sm_transition(raft->env, &raft_sm, raft->state, to);
    env_tracef(raft->env, "raft.state", "%s -> %s epoch=%d leader=%d voted=%d",
               raft_state_name(raft->state), raft_state_name(to), raft->qs.leader_epoch,
               raft->qs.leader_id, raft->qs.voted_id);
    raft->state = to;
}

static uint32_t raft_popcount(uint32_t mask)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < RAFT_VOTERS_MAX; i++)
        n += (mask >> i) & 1u;
    return n;
}

static uint32_t raft_voter_bit(const struct raft *raft, int32_t id)
{
    int index = raft_config_voter_index(&raft->config, id);
    return index < 0 ? 0 : 1u << index;
}

/* Election timeout randomized in [T, 2T), as Kafka does. */
static uint64_t raft_election_timeout_ns(struct raft *raft)
{
    uint64_t t = raft->config.election_timeout_ms;
    return (t + env_random_below(raft->env, t)) * RAFT_NS_PER_MS;
}

/* ---- disk errors ---- */

static void raft_fail(struct raft *raft, const char *what, enum ks_err err)
{
    env_tracef(raft->env, "raft.failed", "%s: %s", what, ks_err_name(err));
    if (raft->state != RAFT_FAILED)
        raft_set_state(raft, RAFT_FAILED);
}

/* Writes quorum-state; false (and Failed) on a disk error. */
static bool raft_persist(struct raft *raft)
{
    if (raft->persist_deferred)
        return true; /* the bug: the reply goes out before quorum-state is written */
    enum ks_err err = raft_qstate_write(raft->env, RAFT_LOG_DIR, &raft->qs, &raft->config);
    if (err != KS_OK)
        raft_fail(raft, "quorum-state", err);
    return err == KS_OK;
}

/* ---- timer ---- */

static uint64_t raft_min(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

static uint64_t raft_next_deadline(const struct raft *raft)
{
    switch (raft->state) {
    case RAFT_UNATTACHED:
    case RAFT_PROSPECTIVE:
    case RAFT_CANDIDATE:
    case RAFT_RESIGNED:
        return raft->election_deadline_ns;
    case RAFT_FOLLOWER:
        if (raft->fetch_inflight)
            return raft_min(raft->fetch_deadline_ns,
                            raft->fetch_sent_ns + raft->config.request_timeout_ms * RAFT_NS_PER_MS);
        return raft_min(raft->fetch_deadline_ns, raft->fetch_next_ns);
    case RAFT_LEADER:
        if (env_bug(raft->env, KS_BUG_RAFT_NO_CHECK_QUORUM))
            return raft->begin_quorum_next_ns;
        return raft_min(raft->begin_quorum_next_ns, raft->check_quorum_deadline_ns);
    case RAFT_FAILED:
    case RAFT_STATE_COUNT:
        break;
    }
    return RAFT_NEVER;
}

static void raft_poll(void *ctx);
static void raft_apply_committed(struct raft *raft);

/* Points the one timer at the state's nearest deadline. */
static void raft_schedule(struct raft *raft)
{
    uint64_t at = raft_next_deadline(raft);
    if (raft->timer != 0 && raft->timer_at_ns == at)
        return;
    if (raft->timer != 0)
        env_timer_cancel(raft->env, raft->timer);
    raft->timer = 0;
    if (at == RAFT_NEVER)
        return;
    uint64_t now = raft_now(raft);
    raft->timer = env_timer_start(raft->env, at > now ? at - now : 0, raft_poll, raft);
    raft->timer_at_ns = at;
    KS_ASSERT(raft->timer != 0);
}

/* ---- requests out ---- */

static void raft_send(struct raft *raft, int32_t peer_id, int16_t api_key, int16_t version,
                      const struct wire_writer *body, uint64_t cookie)
{
    KS_ASSERT(peer_id != raft->config.node_id);
    enum ks_err err = raft_net_send(raft->net, peer_id, api_key, version, body, cookie);
    if (err != KS_OK)
        env_tracef(raft->env, "raft.send_failed", "to=%d api=%s %s", peer_id, api_name(api_key),
                   ks_err_name(err));
    if (err != KS_OK && (cookie & RAFT_COOKIE_KIND_MASK) == RAFT_COOKIE_FETCH)
        raft->fetch_inflight = false;
}

static void raft_send_votes(struct raft *raft, bool pre_vote)
{
    struct api_vote_request req = {
        .cluster_id = wire_string_null(),
        .has_partition = true,
        .topic_name = wire_string_from(RAFT_TOPIC_NAME),
        .replica_epoch = raft->qs.leader_epoch + (pre_vote ? 1 : 0),
        .replica_id = raft->config.node_id,
        .last_offset_epoch = raft_log_last_epoch(raft->log),
        .last_offset = raft_log_end_offset(raft->log),
        .pre_vote = pre_vote,
    };
    struct wire_writer w;
    wire_writer_init(&w);
    for (uint32_t i = 0; i < raft->config.voter_count; i++) {
        if ((int)i == raft->self_index)
            continue;
        req.voter_id = raft->config.voters[i].id;
        wire_writer_reset(&w);
        api_vote_request_encode(&w, RAFT_VOTE_VERSION, &req);
        raft_send(raft, req.voter_id, API_VOTE, RAFT_VOTE_VERSION, &w,
                  RAFT_COOKIE_VOTE | raft->election_id);
    }
    wire_writer_free(&w);
}

static void raft_send_begin_quorum(struct raft *raft)
{
    KS_ASSERT(raft->state == RAFT_LEADER);
    struct api_begin_quorum_epoch_request req = {
        .cluster_id = wire_string_null(),
        .has_partition = true,
        .topic_name = wire_string_from(RAFT_TOPIC_NAME),
        .leader_id = raft->config.node_id,
        .leader_epoch = raft->qs.leader_epoch,
    };
    struct wire_writer w;
    uint64_t now = raft_now(raft);
    uint64_t silent_ns = raft->config.fetch_timeout_ms * RAFT_NS_PER_MS / 2;
    wire_writer_init(&w);
    api_begin_quorum_epoch_request_encode(&w, RAFT_BQE_VERSION, &req);
    for (uint32_t i = 0; i < raft->config.voter_count; i++) {
        /* to voters that never fetched in this epoch, or went silent */
        bool begun = (raft->begun_mask >> i) & 1u;
        if ((int)i == raft->self_index || (begun && now - raft->last_fetch_ns[i] < silent_ns))
            continue;
        raft_send(raft, raft->config.voters[i].id, API_BEGIN_QUORUM_EPOCH, RAFT_BQE_VERSION, &w,
                  RAFT_COOKIE_OTHER);
    }
    wire_writer_free(&w);
}

/* Preferred successors: the other voters by acknowledged end offset, best first. */
static uint32_t raft_successors(const struct raft *raft, int32_t *out)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < raft->config.voter_count; i++) {
        if ((int)i == raft->self_index)
            continue;
        uint32_t j = n++;
        for (; j > 0 && raft->end_offsets[raft_config_voter_index(&raft->config, out[j - 1])] <
                            raft->end_offsets[i];
             j--)
            out[j] = out[j - 1];
        out[j] = raft->config.voters[i].id;
    }
    KS_ASSERT(n + 1 == raft->config.voter_count);
    return n;
}

static void raft_send_end_quorum(struct raft *raft)
{
    KS_ASSERT(raft->state == RAFT_LEADER);
    struct api_end_quorum_epoch_request req = {
        .cluster_id = wire_string_null(),
        .has_partition = true,
        .topic_name = wire_string_from(RAFT_TOPIC_NAME),
        .leader_id = raft->config.node_id,
        .leader_epoch = raft->qs.leader_epoch,
    };
    req.preferred_successor_count = raft_successors(raft, req.preferred_successors);
    struct wire_writer w;
    wire_writer_init(&w);
    api_end_quorum_epoch_request_encode(&w, RAFT_EQE_VERSION, &req);
    for (uint32_t i = 0; i < req.preferred_successor_count; i++)
        raft_send(raft, req.preferred_successors[i], API_END_QUORUM_EPOCH, RAFT_EQE_VERSION, &w,
                  RAFT_COOKIE_OTHER);
    wire_writer_free(&w);
}

static void raft_send_fetch(struct raft *raft)
{
    KS_ASSERT(raft->state == RAFT_FOLLOWER);
    KS_ASSERT(!raft->fetch_inflight);
    struct api_fetch_request req;
    api_fetch_request_init(&req);
    req.replica_id = raft->config.node_id;
    req.max_bytes = RAFT_FETCH_BYTES_MAX;
    req.has_partition = true;
    req.topic_id = raft_topic_id;
    req.current_leader_epoch = raft->qs.leader_epoch;
    req.fetch_offset = raft_log_end_offset(raft->log);
    req.last_fetched_epoch = raft_log_last_epoch(raft->log);
    req.log_start_offset = 0;
    req.partition_max_bytes = RAFT_FETCH_BYTES_MAX;
    struct wire_writer w;
    wire_writer_init(&w);
    api_fetch_request_encode(&w, RAFT_FETCH_VERSION, &req);
    raft->fetch_id++;
    raft->fetch_inflight = true;
    raft->fetch_sent_ns = raft_now(raft);
    raft_send(raft, raft->qs.leader_id, API_FETCH, RAFT_FETCH_VERSION, &w,
              RAFT_COOKIE_FETCH | raft->fetch_id);
    wire_writer_free(&w);
    if (!raft->fetch_inflight) /* not sent: try again after the retry backoff */
        raft->fetch_next_ns = raft->fetch_sent_ns + raft->config.retry_backoff_ms * RAFT_NS_PER_MS;
}

/* ---- leader: appends and the high watermark ---- */

/* Appends one finished batch at the log end and fsyncs it. */
static enum ks_err raft_append_batch(struct raft *raft, struct rb_builder *b)
{
    uint8_t *bytes = NULL;
    uint32_t size = 0, appended = 0;
    b->base_offset = raft_log_end_offset(raft->log);
    b->partition_leader_epoch = raft->qs.leader_epoch;
    enum ks_err err = rb_builder_finish(b, &bytes, &size);
    rb_builder_release(b);
    if (err != KS_OK)
        return err;
    err = raft_log_append(raft->log, bytes, size, raft->qs.leader_epoch, &appended);
    free(bytes);
    KS_ASSERT(err != KS_ERR_CORRUPT_MESSAGE); /* our own batch */
    if (err == KS_OK)
        err = raft_log_flush(raft->log);
    if (err == KS_OK)
        raft->stats.appends++;
    return err;
}

/* The LEADER_CHANGE control record a new leader writes first (LeaderChangeMessage v0). */
static enum ks_err raft_append_leader_change(struct raft *raft)
{
    uint8_t key[RB_CONTROL_KEY_SIZE];
    struct wire_writer value;
    struct rb_builder b;
    ks_be16_store(key, 0);
    ks_be16_store(key + 2, RB_CONTROL_LEADER_CHANGE);
    wire_writer_init(&value);
    wire_write_int16(&value, 0); /* Version */
    wire_write_int32(&value, raft->config.node_id);
    for (int list = 0; list < 2; list++) { /* Voters, then GrantingVoters */
        uint32_t mask = list == 0 ? (1u << raft->config.voter_count) - 1 : raft->granted_mask;
        wire_write_compact_array_count(&value, (int32_t)raft_popcount(mask));
        for (uint32_t i = 0; i < raft->config.voter_count; i++) {
            if (!((mask >> i) & 1u))
                continue;
            wire_write_int32(&value, raft->config.voters[i].id);
            wire_write_empty_tagged_fields(&value);
        }
    }
    wire_write_empty_tagged_fields(&value);
    KS_ASSERT(value.err == KS_OK);
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    rb_builder_set_flags(&b, RB_ATTR_CONTROL);
    struct rb_record_input record = {.timestamp = env_wall_ms(raft->env),
                                     .key = key,
                                     .key_size = sizeof(key),
                                     .value = value.bytes,
                                     .value_size = value.size_bytes};
    enum ks_err err = rb_builder_append(&b, &record);
    KS_ASSERT(err == KS_OK);
    err = raft_append_batch(raft, &b);
    wire_writer_free(&value);
    return err;
}

/* LeaderState.maybeUpdateHighWatermark: the offset a majority has, once it is inside
 * this leader's epoch. */
static void raft_update_high_watermark(struct raft *raft)
{
    KS_ASSERT(raft->state == RAFT_LEADER);
    int64_t offsets[RAFT_VOTERS_MAX];
    uint32_t n = raft->config.voter_count;
    raft->end_offsets[raft->self_index] = raft_log_flushed_offset(raft->log);
    for (uint32_t i = 0; i < n; i++) { /* insertion sort, descending */
        uint32_t j = i;
        for (; j > 0 && offsets[j - 1] < raft->end_offsets[i]; j--)
            offsets[j] = offsets[j - 1];
        offsets[j] = raft->end_offsets[i];
    }
    uint32_t index = raft_config_majority(&raft->config) - 1;
    if (env_bug(raft->env, KS_BUG_RAFT_HW_FROM_MINORITY) && index > 0)
        index--;
    int64_t candidate = offsets[index];
    if (candidate <= raft->epoch_start_offset || candidate <= raft->high_watermark)
        return;
    KS_ASSERT(candidate <= raft_log_end_offset(raft->log));
    raft->high_watermark = candidate;
    env_tracef(raft->env, "raft.hw", "leader high watermark %lld", (long long)candidate);
    raft_apply_committed(raft);
}

enum ks_err raft_append(struct raft *raft, const uint8_t *value, uint32_t value_size)
{
    KS_ASSERT(value_size <= RAFT_APPEND_VALUE_BYTES_MAX);
    struct raft_record_value one = {value, value_size};
    int64_t last_offset = -1;
    return raft_append_records(raft, &one, 1, &last_offset);
}

/* Bytes a record may add to a batch beyond its value: length, attributes, timestamp
 * and offset deltas, key length and header count as varints (Kafka's
 * DefaultRecord.MAX_RECORD_OVERHEAD is 21). */
#define RAFT_RECORD_OVERHEAD_BYTES_MAX 32u

/* Whether count records of these values surely fit one batch of the allowed size. */
static bool raft_append_records_fit(const struct raft_record_value *values, uint32_t count)
{
    uint64_t size = RB_HEADER_SIZE;
    if (count > RAFT_APPEND_RECORDS_MAX)
        return false;
    for (uint32_t i = 0; i < count; i++) /* bounded by RAFT_APPEND_RECORDS_MAX */
        size += (uint64_t)values[i].size_bytes + RAFT_RECORD_OVERHEAD_BYTES_MAX;
    return size <= RAFT_APPEND_BATCH_BYTES_MAX;
}

enum ks_err raft_append_records(struct raft *raft, const struct raft_record_value *values,
                                uint32_t count, int64_t *last_offset_out)
{
    KS_ASSERT(count > 0);
    KS_ASSERT(values != NULL);
    if (raft->state != RAFT_LEADER)
        return KS_ERR_NOT_LEADER_OR_FOLLOWER;
    if (!raft_append_records_fit(values, count))
        return KS_ERR_RECORD_LIST_TOO_LARGE;
    struct rb_builder b;
    int64_t end_before = raft_log_end_offset(raft->log);
    int64_t timestamp = env_wall_ms(raft->env);
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    for (uint32_t i = 0; i < count; i++) {
        struct rb_record_input record = {
            .timestamp = timestamp, .value = values[i].bytes, .value_size = values[i].size_bytes};
        enum ks_err err = rb_builder_append(&b, &record);
        KS_ASSERT(err == KS_OK); /* raft_append_records_fit kept it small */
    }
    enum ks_err err = raft_append_batch(raft, &b);
    if (err != KS_OK) {
        raft_fail(raft, "append", err);
        raft_schedule(raft);
        return err;
    }
    KS_ASSERT(raft_log_end_offset(raft->log) == end_before + count); /* one batch, whole */
    *last_offset_out = end_before + count - 1;
    raft_update_high_watermark(raft);
    return KS_OK;
}

/* ---- the state machine and snapshots (KIP-630) ---- */

/* Moves the log start up to where the previous snapshot ended: one snapshot interval of
 * log stays, so followers a little behind keep fetching records (Kafka keeps the log
 * for metadata.max.retention.bytes/ms; this keeps one interval). */
static enum ks_err raft_log_retain_from(struct raft *raft, int64_t offset)
{
    const struct raft_log *log = raft->log;
    if (offset <= raft_log_start_offset(log))
        return KS_OK;
    uint32_t last = raft_log_batch_find(log, offset - 1);
    KS_ASSERT(last < raft_log_batch_count(log));
    return raft_log_advance_start(raft->log, offset, raft_log_batch_at(log, last)->epoch);
}

/* Takes a snapshot at the applied offset. */
static void raft_snapshot_take(struct raft *raft)
{
    const struct raft_log *log = raft->log;
    int64_t previous_end = raft->has_snapshot ? raft->snapshot.end_offset : 0;
    uint32_t last = raft_log_batch_find(log, raft->applied_offset - 1);
    KS_ASSERT(last < raft_log_batch_count(log));
    struct raft_snapshot_id id = {raft->applied_offset, raft_log_batch_at(log, last)->epoch};
    KS_ASSERT(raft_log_batch_at(log, last)->last_offset + 1 == raft->applied_offset);
    uint8_t *image = ks_alloc(RAFT_SNAPSHOT_IMAGE_BYTES_MAX);
    uint32_t image_size = raft->sm->image(raft->sm_ctx, image, RAFT_SNAPSHOT_IMAGE_BYTES_MAX);
    KS_ASSERT(image_size <= RAFT_SNAPSHOT_IMAGE_BYTES_MAX);
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    bool found = false;
    enum ks_err err =
        raft_snapshot_build(&id, env_wall_ms(raft->env), image, image_size, &bytes, &size);
    free(image);
    if (err == KS_OK)
        err = raft_snapshot_write(raft->env, RAFT_LOG_DIR, &id, bytes, size);
    free(bytes);
    if (err == KS_OK)
        err = raft_log_retain_from(raft, previous_end);
    if (err == KS_OK)
        err = raft_snapshot_latest(raft->env, RAFT_LOG_DIR, &raft->snapshot, &found);
    if (err != KS_OK) {
        raft_fail(raft, "snapshot", err);
        return;
    }
    KS_ASSERT(found && raft->snapshot.end_offset == id.end_offset);
    raft->has_snapshot = true;
    raft->applied_bytes_since_snapshot = 0;
    raft->stats.snapshots_taken++;
    env_tracef(raft->env, "raft.snapshot", "snapshot %lld-%d taken; log starts at %lld",
               (long long)id.end_offset, id.epoch, (long long)raft_log_start_offset(log));
}

/* Applies one committed batch's data records. */
static void raft_apply_batch(struct raft *raft, const struct rb_batch *batch)
{
    struct rb_iter it;
    struct rb_record record;
    if (batch->header.attributes & RB_ATTR_CONTROL)
        return;
    rb_iter_init(&it, batch);
    while (rb_iter_next(&it, &record)) /* bounded by the batch's record count */
        raft->sm->apply(raft->sm_ctx, record.offset, record.value, record.value_size);
}

/* Applies the batches in [offset of bytes, high watermark); returns false on bad bytes. */
static bool raft_apply_bytes(struct raft *raft, const uint8_t *bytes, uint32_t size)
{
    uint32_t position = 0;
    while (position < size && raft->applied_offset < raft->high_watermark) {
        struct rb_batch batch;
        if (rb_decode(bytes + position, size - position, &batch) != KS_OK)
            return false;
        bool inside =
            batch.header.base_offset + batch.header.last_offset_delta < raft->high_watermark;
        if (inside) {
            raft_apply_batch(raft, &batch);
            raft->applied_offset = batch.header.base_offset + batch.header.last_offset_delta + 1;
            raft->applied_bytes_since_snapshot += batch.size_bytes;
        }
        position += batch.size_bytes;
        rb_batch_release(&batch);
        if (!inside)
            break;
    }
    return true;
}

/* Feeds the state machine every record below the high watermark, then snapshots
 * when enough was applied since the last one. */
static void raft_apply_committed(struct raft *raft)
{
    for (uint32_t round = 0; round < RAFT_APPLY_ROUNDS_MAX; round++) {
        int64_t before = raft->applied_offset;
        if (before >= raft->high_watermark || raft->state == RAFT_FAILED)
            break;
        uint8_t *bytes = NULL;
        uint32_t size = 0;
        enum ks_err err = raft_log_read(raft->log, before, RAFT_FETCH_BYTES_MAX, &bytes, &size);
        if (err == KS_OK && !raft_apply_bytes(raft, bytes, size))
            err = KS_ERR_CORRUPT_MESSAGE;
        free(bytes);
        if (err != KS_OK)
            raft_fail(raft, "apply", err);
        if (raft->applied_offset == before)
            break;
    }
    if (raft->state != RAFT_FAILED &&
        raft->applied_bytes_since_snapshot >= raft->config.snapshot_bytes &&
        raft->applied_offset > raft_log_start_offset(raft->log) &&
        (!raft->has_snapshot || raft->applied_offset > raft->snapshot.end_offset))
        raft_snapshot_take(raft);
}

/* Loads a snapshot's bytes into the state machine and moves the log start to it;
 * fetched: it came from the leader (FetchSnapshot), not from our own disk at start. */
static enum ks_err raft_snapshot_install(struct raft *raft, const struct raft_snapshot_id *id,
                                         const uint8_t *bytes, uint32_t size, bool fetched)
{
    const uint8_t *image = NULL;
    uint32_t image_size = 0;
    enum ks_err err = raft_snapshot_parse(bytes, size, &image, &image_size);
    bool load = !(fetched && env_bug(raft->env, KS_BUG_RAFT_SNAPSHOT_NOT_LOADED));
    if (err == KS_OK && load && !raft->sm->load(raft->sm_ctx, image, image_size))
        err = KS_ERR_CORRUPT_MESSAGE;
    if (err != KS_OK)
        return err;
    if (id->end_offset > raft_log_end_offset(raft->log))
        err = raft_log_advance_start(raft->log, id->end_offset, id->epoch); /* log behind it */
    if (err != KS_OK)
        return err;
    raft->has_snapshot = true;
    raft->snapshot = *id;
    raft->applied_offset = id->end_offset;
    raft->applied_bytes_since_snapshot = 0;
    if (raft->high_watermark < id->end_offset)
        raft->high_watermark = id->end_offset; /* a snapshot holds only committed records */
    return KS_OK;
}

/* At start: the newest snapshot on disk, if any, becomes the state machine's state. */
static enum ks_err raft_snapshot_load_latest(struct raft *raft)
{
    struct raft_snapshot_id id;
    bool found = false;
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    raft->applied_offset = raft_log_start_offset(raft->log);
    enum ks_err err = raft_snapshot_latest(raft->env, RAFT_LOG_DIR, &id, &found);
    if (err != KS_OK || !found)
        return err;
    err = raft_snapshot_read(raft->env, RAFT_LOG_DIR, &id, &bytes, &size);
    if (err == KS_OK)
        err = raft_snapshot_install(raft, &id, bytes, size, false);
    free(bytes);
    return err;
}

/* Drops a snapshot download under way. */
static void raft_snapshot_fetch_reset(struct raft *raft)
{
    free(raft->snapshot_buf);
    raft->snapshot_buf = NULL;
    raft->snapshot_fetching = false;
    raft->snapshot_size = raft->snapshot_fill = 0;
}

/* ---- transitions ---- */

static void raft_become_unattached(struct raft *raft, int32_t epoch)
{
    KS_ASSERT(epoch >= raft->qs.leader_epoch);
    if (epoch > raft->qs.leader_epoch) {
        raft->qs = (struct raft_qstate){.leader_epoch = epoch, .leader_id = -1, .voted_id = -1};
        if (!raft_persist(raft))
            return;
    }
    raft_set_state(raft, RAFT_UNATTACHED);
    raft->election_deadline_ns = raft_now(raft) + raft_election_timeout_ns(raft);
}

static void raft_become_follower(struct raft *raft, int32_t epoch, int32_t leader_id)
{
    KS_ASSERT(epoch >= raft->qs.leader_epoch);
    KS_ASSERT(leader_id != raft->config.node_id);
    if (epoch > raft->qs.leader_epoch)
        raft->qs = (struct raft_qstate){.leader_epoch = epoch, .leader_id = -1, .voted_id = -1};
    raft->qs.leader_id = leader_id;
    if (!raft_persist(raft))
        return;
    raft_set_state(raft, RAFT_FOLLOWER);
    uint64_t now = raft_now(raft);
    raft->fetch_deadline_ns = now + raft->config.fetch_timeout_ms * RAFT_NS_PER_MS;
    raft->fetch_next_ns = now;
    raft->fetch_inflight = false;
    raft->leader_ended = false;
    raft->fetch_id++; /* a fetch still out to an old leader is ignored */
    raft_snapshot_fetch_reset(raft);
}

static void raft_become_leader(struct raft *raft)
{
    KS_ASSERT(raft->state == RAFT_CANDIDATE);
    KS_ASSERT(raft->qs.voted_id == raft->config.node_id);
    raft->qs.leader_id = raft->config.node_id;
    if (!raft_persist(raft))
        return;
    raft_set_state(raft, RAFT_LEADER);
    raft->stats.elections_won++;
    char voters[RAFT_TRACE_BYTES_MAX] = "";
    for (uint32_t i = 0, n = 0; i < raft->config.voter_count; i++) {
        if ((raft->granted_mask >> i) & 1u)
            n += (uint32_t)snprintf(voters + n, sizeof(voters) - n, "%s%d", n ? "," : "",
                                    raft->config.voters[i].id);
    }
    env_tracef(raft->env, "raft.elected", "elected leader of epoch %d with votes from %s",
               raft->qs.leader_epoch, voters);
    uint64_t now = raft_now(raft);
    raft->epoch_start_offset = raft_log_end_offset(raft->log);
    for (uint32_t i = 0; i < RAFT_VOTERS_MAX; i++)
        raft->end_offsets[i] = -1;
    raft->fetched_mask = 0;
    raft->begun_mask = 1u << raft->self_index;
    raft->check_quorum_deadline_ns = now + raft->config.fetch_timeout_ms * RAFT_NS_PER_MS * 3 / 2;
    raft->begin_quorum_next_ns = now + raft->config.fetch_timeout_ms * RAFT_NS_PER_MS / 2;
    enum ks_err err = raft_append_leader_change(raft);
    if (err != KS_OK) {
        raft_fail(raft, "leader change", err);
        return;
    }
    raft_send_begin_quorum(raft);
    raft_update_high_watermark(raft);
}

static void raft_become_candidate(struct raft *raft)
{
    KS_ASSERT(raft->state == RAFT_PROSPECTIVE);
    raft->qs = (struct raft_qstate){.leader_epoch = raft->qs.leader_epoch + 1,
                                    .leader_id = -1,
                                    .voted_id = raft->config.node_id};
    if (!raft_persist(raft))
        return;
    raft_set_state(raft, RAFT_CANDIDATE);
    raft->election_id++;
    raft->granted_mask = 1u << raft->self_index;
    raft->rejected_mask = 0;
    raft->election_deadline_ns = raft_now(raft) + raft_election_timeout_ns(raft);
    if (raft_popcount(raft->granted_mask) >= raft_config_majority(&raft->config)) {
        raft_become_leader(raft);
        return;
    }
    raft_send_votes(raft, false);
}

static void raft_become_prospective(struct raft *raft)
{
    KS_ASSERT(raft->state != RAFT_LEADER);
    KS_ASSERT(raft->state != RAFT_FAILED);
    raft_set_state(raft, RAFT_PROSPECTIVE);
    raft->election_id++;
    raft->granted_mask = 1u << raft->self_index;
    raft->rejected_mask = 0;
    raft->election_deadline_ns = raft_now(raft) + raft_election_timeout_ns(raft);
    if (raft_popcount(raft->granted_mask) >= raft_config_majority(&raft->config)) {
        raft_become_candidate(raft);
        return;
    }
    raft_send_votes(raft, true);
}

static void raft_become_resigned(struct raft *raft, const char *why)
{
    KS_ASSERT(raft->state == RAFT_LEADER);
    env_tracef(raft->env, "raft.resign", "leader of epoch %d resigns: %s", raft->qs.leader_epoch,
               why);
    raft_set_state(raft, RAFT_RESIGNED);
    raft->election_deadline_ns = raft_now(raft) + raft_election_timeout_ns(raft);
}

/*
 * KafkaRaftClient.maybeTransition: what an epoch and leader seen in a message mean.
 * Returns true when the state changed.
 */
static bool raft_observe(struct raft *raft, int32_t epoch, int32_t leader_id, bool from_leader)
{
    bool leader_known = leader_id >= 0 && leader_id != raft->config.node_id &&
                        raft_config_voter_index(&raft->config, leader_id) >= 0;
    if (epoch < raft->qs.leader_epoch || raft->state == RAFT_FAILED)
        return false;
    if (epoch > raft->qs.leader_epoch) {
        if (leader_known)
            raft_become_follower(raft, epoch, leader_id);
        else
            raft_become_unattached(raft, epoch);
        return true;
    }
    if (!leader_known || (raft->state == RAFT_FOLLOWER && raft->qs.leader_id == leader_id))
        return false;
    bool other_leader = raft->qs.leader_id != -1 && raft->qs.leader_id != leader_id;
    if (raft->state == RAFT_LEADER || raft->state == RAFT_RESIGNED ||
        raft->state == RAFT_FOLLOWER || other_leader) {
        /* Two leaders in one epoch: Raft forbids it; the invariant checkers see it. */
        env_tracef(raft->env, "raft.conflict", "epoch %d: leader %d seen, we know %d", epoch,
                   leader_id, raft->qs.leader_id);
        return false;
    }
    if (!from_leader && raft->qs.leader_id == leader_id)
        return false; /* hearsay about the leader this voter stopped hearing from */
    raft_become_follower(raft, epoch, leader_id);
    return true;
}

/* ---- Vote ---- */

/* Whether the candidate's log is at least as up to date as ours (epoch first). */
static bool raft_log_up_to_date(const struct raft *raft, int32_t last_epoch, int64_t last_offset)
{
    if (env_bug(raft->env, KS_BUG_RAFT_VOTE_WITHOUT_LOG_CHECK))
        return true;
    int32_t own_epoch = raft_log_last_epoch(raft->log);
    if (last_epoch != own_epoch)
        return last_epoch > own_epoch;
    return last_offset >= raft_log_end_offset(raft->log);
}

/* KIP-996: a voter grants a pre-vote unless it follows a live leader or leads. */
static bool raft_pre_vote_grantable(const struct raft *raft, const struct api_vote_request *req)
{
    if (raft->state == RAFT_LEADER || raft->state == RAFT_FAILED)
        return false;
    if (raft->state == RAFT_FOLLOWER && !raft->leader_ended)
        return false;
    if (req->replica_epoch == raft->qs.leader_epoch &&
        (raft->qs.leader_id != -1 ||
         (raft->qs.voted_id != -1 && raft->qs.voted_id != req->replica_id)))
        return false;
    return raft_log_up_to_date(raft, req->last_offset_epoch, req->last_offset);
}

/* A real vote in our (now equal) epoch: at most one candidate per epoch. */
static bool raft_vote_grantable(const struct raft *raft, const struct api_vote_request *req)
{
    KS_ASSERT(req->replica_epoch == raft->qs.leader_epoch);
    if (raft->qs.voted_id != -1)
        return raft->qs.voted_id == req->replica_id;
    if (raft->state != RAFT_UNATTACHED && raft->state != RAFT_PROSPECTIVE)
        return false;
    if (raft->qs.leader_id != -1)
        return false;
    return raft_log_up_to_date(raft, req->last_offset_epoch, req->last_offset);
}

/* Records the vote: persisted before the reply goes out (unless the bug is on). */
static bool raft_grant_vote(struct raft *raft, int32_t candidate_id)
{
    if (raft->qs.voted_id == candidate_id)
        return true;
    KS_ASSERT(raft->qs.voted_id == -1);
    raft->qs.voted_id = candidate_id;
    if (!raft_persist(raft))
        return false;
    if (raft->state == RAFT_PROSPECTIVE)
        raft_set_state(raft, RAFT_UNATTACHED);
    raft->election_deadline_ns = raft_now(raft) + raft_election_timeout_ns(raft);
    env_tracef(raft->env, "raft.vote", "voted for %d in epoch %d", candidate_id,
               raft->qs.leader_epoch);
    return true;
}

static bool raft_partition_ok(const struct raft *raft, bool has_partition, struct wire_string topic,
                              int32_t partition)
{
    return has_partition && partition == 0 && wire_string_equal_cstr(topic, RAFT_TOPIC_NAME);
}

/* KafkaRaftClient.handleVoteRequest once the request is valid and not from an old
 * epoch: a real vote moves this voter to the candidate's epoch first. */
static bool raft_vote_decide(struct raft *raft, const struct api_vote_request *req)
{
    KS_ASSERT(req->replica_epoch >= raft->qs.leader_epoch);
    if (req->pre_vote)
        return raft_pre_vote_grantable(raft, req);
    raft->persist_deferred = env_bug(raft->env, KS_BUG_RAFT_VOTE_NOT_PERSISTED);
    if (req->replica_epoch > raft->qs.leader_epoch)
        raft_observe(raft, req->replica_epoch, -1, false);
    bool granted = raft->state != RAFT_FAILED && raft_vote_grantable(raft, req) &&
                   raft_grant_vote(raft, req->replica_id);
    raft->persist_deferred = false;
    return granted;
}

static enum ks_err raft_on_vote_request(struct raft *raft, int16_t version, const uint8_t *body,
                                        uint32_t size, struct wire_writer *w)
{
    struct api_vote_request req;
    enum ks_err err = api_vote_request_decode(version, body, size, &req);
    if (err != KS_OK)
        return err;
    struct api_vote_response resp = {.has_partition = true, .topic_name = req.topic_name};
    bool candidate_ok = raft_config_voter_index(&raft->config, req.replica_id) >= 0 &&
                        req.replica_id != raft->config.node_id;
    if (!raft_partition_ok(raft, req.has_partition, req.topic_name, req.partition_index) ||
        !candidate_ok) {
        resp.error_code = KS_ERR_INVALID_REQUEST;
        resp.has_partition = false;
    } else if (req.replica_epoch >= raft->qs.leader_epoch) {
        resp.vote_granted = raft_vote_decide(raft, &req);
    }
    if (raft->state == RAFT_FAILED)
        return KS_ERR_IO;
    bool leading = raft->state == RAFT_FOLLOWER || raft->state == RAFT_LEADER;
    resp.leader_id = leading ? raft->qs.leader_id : -1; /* a live leader, not a past one */
    resp.leader_epoch = raft->qs.leader_epoch;
    api_vote_response_encode(w, version, &resp);
    return KS_OK;
}

static void raft_on_vote_response(struct raft *raft, int32_t peer_id, uint64_t cookie,
                                  const uint8_t *body, uint32_t size)
{
    struct api_vote_response resp;
    bool candidate = raft->state == RAFT_CANDIDATE;
    if ((cookie & ~RAFT_COOKIE_KIND_MASK) != raft->election_id ||
        (!candidate && raft->state != RAFT_PROSPECTIVE))
        return; /* an old election's answer */
    if (api_vote_response_decode(RAFT_VOTE_VERSION, body, size, &resp) != KS_OK ||
        resp.error_code != KS_OK || !resp.has_partition || resp.partition_error_code != KS_OK)
        return;
    if (raft_observe(raft, resp.leader_epoch, resp.leader_id, false))
        return;
    if (candidate && resp.leader_epoch != raft->qs.leader_epoch)
        return;
    uint32_t bit = raft_voter_bit(raft, peer_id);
    if (resp.vote_granted)
        raft->granted_mask |= bit;
    else
        raft->rejected_mask |= bit;
    uint32_t majority = raft_config_majority(&raft->config);
    if (raft_popcount(raft->granted_mask) >= majority) {
        if (candidate)
            raft_become_leader(raft);
        else
            raft_become_candidate(raft);
    } else if (candidate && raft_popcount(raft->rejected_mask) >= majority) {
        /* Lost: back off before the next try (election.backoff.max.ms). */
        uint64_t backoff = env_random_below(raft->env, raft->config.election_backoff_max_ms) + 1;
        raft->election_deadline_ns =
            raft_min(raft->election_deadline_ns, raft_now(raft) + backoff * RAFT_NS_PER_MS);
    }
}

/* ---- BeginQuorumEpoch and EndQuorumEpoch ---- */

static enum ks_err raft_on_begin_quorum_request(struct raft *raft, int16_t version,
                                                const uint8_t *body, uint32_t size,
                                                struct wire_writer *w)
{
    struct api_begin_quorum_epoch_request req;
    enum ks_err err = api_begin_quorum_epoch_request_decode(version, body, size, &req);
    if (err != KS_OK)
        return err;
    struct api_begin_quorum_epoch_response resp = {.has_partition = true,
                                                   .topic_name = req.topic_name};
    if (!raft_partition_ok(raft, req.has_partition, req.topic_name, req.partition_index))
        resp.partition_error_code = KS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    else if (req.leader_epoch < raft->qs.leader_epoch)
        resp.partition_error_code = KS_ERR_FENCED_LEADER_EPOCH;
    else
        raft_observe(raft, req.leader_epoch, req.leader_id, true);
    if (raft->state == RAFT_FAILED)
        return KS_ERR_IO;
    resp.leader_id = raft->qs.leader_id;
    resp.leader_epoch = raft->qs.leader_epoch;
    api_begin_quorum_epoch_response_encode(w, version, &resp);
    return KS_OK;
}

/* How long a preferred successor waits before its election: the first goes at once, the
 * others after strictly growing backoffs (KafkaRaftClient.endEpochElectionBackoff). */
static uint64_t raft_end_quorum_backoff_ns(struct raft *raft,
                                           const struct api_end_quorum_epoch_request *req)
{
    for (uint32_t i = 0; i < req->preferred_successor_count; i++) {
        if (req->preferred_successors[i] != raft->config.node_id)
            continue;
        uint64_t step = (uint64_t)raft->config.retry_backoff_ms << (i < 17 ? i - (i > 0) : 16);
        return i == 0 ? 0 : raft_min(step, raft->config.election_backoff_max_ms) * RAFT_NS_PER_MS;
    }
    return raft->config.election_backoff_max_ms * RAFT_NS_PER_MS;
}

static enum ks_err raft_on_end_quorum_request(struct raft *raft, int16_t version,
                                              const uint8_t *body, uint32_t size,
                                              struct wire_writer *w)
{
    struct api_end_quorum_epoch_request req;
    enum ks_err err = api_end_quorum_epoch_request_decode(version, body, size, &req);
    if (err != KS_OK)
        return err;
    struct api_end_quorum_epoch_response resp = {.has_partition = true,
                                                 .topic_name = req.topic_name};
    if (!raft_partition_ok(raft, req.has_partition, req.topic_name, req.partition_index)) {
        resp.partition_error_code = KS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    } else if (req.leader_epoch < raft->qs.leader_epoch) {
        resp.partition_error_code = KS_ERR_FENCED_LEADER_EPOCH;
    } else {
        raft_observe(raft, req.leader_epoch, req.leader_id, true);
        uint64_t at = raft_now(raft) + raft_end_quorum_backoff_ns(raft, &req);
        if (raft->state == RAFT_FOLLOWER && raft->qs.leader_id == req.leader_id) {
            raft->leader_ended = true;
            raft->fetch_deadline_ns = raft_min(raft->fetch_deadline_ns, at);
        } else if (raft->state == RAFT_UNATTACHED) {
            raft->election_deadline_ns = raft_min(raft->election_deadline_ns, at);
        }
    }
    if (raft->state == RAFT_FAILED)
        return KS_ERR_IO;
    resp.leader_id = raft->qs.leader_id;
    resp.leader_epoch = raft->qs.leader_epoch;
    api_end_quorum_epoch_response_encode(w, version, &resp);
    return KS_OK;
}

/* BeginQuorumEpoch and EndQuorumEpoch answers only tell epochs and leaders. */
static void raft_on_epoch_response(struct raft *raft, int16_t api_key, const uint8_t *body,
                                   uint32_t size)
{
    struct api_begin_quorum_epoch_response resp;
    KS_ASSERT(api_key == API_BEGIN_QUORUM_EPOCH || api_key == API_END_QUORUM_EPOCH);
    _Static_assert(sizeof(struct api_begin_quorum_epoch_response) ==
                       sizeof(struct api_end_quorum_epoch_response),
                   "same shape");
    if (api_begin_quorum_epoch_response_decode(RAFT_BQE_VERSION, body, size, &resp) != KS_OK ||
        !resp.has_partition)
        return;
    raft_observe(raft, resp.leader_epoch, resp.leader_id, false);
}

/* ---- Fetch: the leader's side ---- */

/* Check-quorum (KAFKA-15489): a majority fetched in this window, start a new one. */
static void raft_note_fetch_from(struct raft *raft, int voter_index)
{
    KS_ASSERT(raft->state == RAFT_LEADER);
    raft->fetched_mask |= 1u << voter_index;
    raft->begun_mask |= 1u << voter_index;
    raft->last_fetch_ns[voter_index] = raft_now(raft);
    uint32_t heard = raft->fetched_mask | (1u << raft->self_index);
    if (raft_popcount(heard) < raft_config_majority(&raft->config))
        return;
    raft->fetched_mask = 0;
    raft->check_quorum_deadline_ns =
        raft_now(raft) + raft->config.fetch_timeout_ms * RAFT_NS_PER_MS * 3 / 2;
}

/* Whether (fetch_offset, last_fetched_epoch) agrees with our log; if not, the
 * diverging epoch and end offset go in resp (KafkaRaftClient.validateOffsetAndEpoch). */
static bool raft_fetch_valid(struct raft *raft, const struct api_fetch_request *req,
                             struct api_fetch_response *resp)
{
    if (req->fetch_offset == 0 && req->last_fetched_epoch <= 0)
        return true;
    int32_t epoch = 0;
    int64_t end = 0;
    raft_log_end_offset_for_epoch(raft->log, req->last_fetched_epoch, &epoch, &end);
    if (epoch == req->last_fetched_epoch && req->fetch_offset <= end)
        return true;
    resp->diverging_epoch = epoch;
    resp->diverging_end_offset = end;
    return false;
}

static void raft_fetch_answer(struct raft *raft, const struct api_fetch_request *req,
                              struct api_fetch_response *resp, uint8_t **records)
{
    int voter = raft_config_voter_index(&raft->config, req->replica_id);
    if (voter >= 0 && voter != raft->self_index)
        raft_note_fetch_from(raft, voter);
    if (req->fetch_offset < 0 || req->last_fetched_epoch < 0) {
        resp->partition_error_code = KS_ERR_INVALID_REQUEST;
        return;
    }
    if (req->fetch_offset < raft_log_start_offset(raft->log)) {
        KS_ASSERT(raft->has_snapshot); /* the start only moves up to a snapshot */
        resp->snapshot_end_offset = raft->snapshot.end_offset;
        resp->snapshot_epoch = raft->snapshot.epoch;
        return;
    }
    if (!raft_fetch_valid(raft, req, resp))
        return;
    if (voter >= 0 && voter != raft->self_index) {
        raft->end_offsets[voter] = req->fetch_offset;
        raft_update_high_watermark(raft);
    }
    uint32_t size = 0;
    uint32_t max = (uint32_t)req->partition_max_bytes;
    max = req->partition_max_bytes <= 0 || max > RAFT_FETCH_BYTES_MAX ? RAFT_FETCH_BYTES_MAX : max;
    enum ks_err err = raft_log_read(raft->log, req->fetch_offset, max, records, &size);
    if (err != KS_OK) {
        resp->partition_error_code = KS_ERR_KAFKA_STORAGE_ERROR;
        return;
    }
    resp->records = (struct wire_bytes){*records, (int32_t)size};
    resp->high_watermark = raft->high_watermark;
}

static enum ks_err raft_on_fetch_request(struct raft *raft, int16_t version, const uint8_t *body,
                                         uint32_t size, struct wire_writer *w)
{
    struct api_fetch_request req;
    struct api_fetch_response resp;
    uint8_t *records = NULL;
    enum ks_err err = api_fetch_request_decode(version, body, size, &req);
    if (err != KS_OK)
        return err;
    api_fetch_response_init(&resp);
    resp.has_partition = req.has_partition;
    resp.topic = req.topic;
    resp.topic_id = req.topic_id;
    resp.log_start_offset = 0;
    resp.high_watermark = raft->high_watermark;
    bool topic_ok = version >= API_FETCH_TOPIC_ID_VERSION_FIRST
                        ? memcmp(&req.topic_id, &raft_topic_id, sizeof(raft_topic_id)) == 0
                        : wire_string_equal_cstr(req.topic, RAFT_TOPIC_NAME);
    if (!req.has_partition || !topic_ok || req.partition != 0)
        resp.partition_error_code = KS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    else if (raft->state != RAFT_LEADER)
        resp.partition_error_code = KS_ERR_NOT_LEADER_OR_FOLLOWER;
    else if (req.current_leader_epoch < raft->qs.leader_epoch)
        resp.partition_error_code = KS_ERR_FENCED_LEADER_EPOCH;
    else if (req.current_leader_epoch > raft->qs.leader_epoch)
        resp.partition_error_code = KS_ERR_UNKNOWN_LEADER_EPOCH;
    else
        raft_fetch_answer(raft, &req, &resp, &records);
    bool leader_known = raft->state == RAFT_LEADER || raft->state == RAFT_FOLLOWER;
    resp.current_leader_id = leader_known ? raft->qs.leader_id : -1;
    resp.current_leader_epoch = raft->qs.leader_epoch;
    api_fetch_response_encode(w, version, &resp);
    free(records);
    return KS_OK;
}

/* ---- Fetch: the follower's side ---- */

/* Truncates to where our log and the leader's agree (KafkaMetadataLog.truncateToEndOffset). */
static void raft_truncate_diverging(struct raft *raft, int32_t epoch, int64_t end_offset)
{
    int32_t local_epoch = 0;
    int64_t local_end = 0;
    raft_log_end_offset_for_epoch(raft->log, epoch, &local_epoch, &local_end);
    int64_t offset = local_epoch == epoch && end_offset < local_end ? end_offset : local_end;
    if (offset < 0)
        offset = 0;
    if (offset < raft->high_watermark) {
        raft->stats.truncations_below_hw++;
        env_tracef(raft->env, "raft.truncate_below_hw", "to %lld, high watermark %lld",
                   (long long)offset, (long long)raft->high_watermark);
        raft->high_watermark = offset;
    }
    env_tracef(raft->env, "raft.truncate", "diverging epoch %d end %lld: truncate %lld -> %lld",
               epoch, (long long)end_offset, (long long)raft_log_end_offset(raft->log),
               (long long)offset);
    enum ks_err err = raft_log_truncate_to(raft->log, offset);
    if (err == KS_OK)
        err = raft_log_flush(raft->log);
    if (err != KS_OK)
        raft_fail(raft, "truncate", err);
    raft->stats.truncations++;
}

/* Appends the leader's records and follows its high watermark. */
static void raft_follow_records(struct raft *raft, const struct api_fetch_response *resp)
{
    uint32_t appended = 0;
    uint64_t now = raft_now(raft);
    enum ks_err err = KS_OK;
    if (resp->records.size_bytes > 0)
        err = raft_log_append(raft->log, resp->records.bytes, (uint32_t)resp->records.size_bytes,
                              raft->qs.leader_epoch, &appended);
    if (err == KS_OK && appended > 0)
        err = raft_log_flush(raft->log);
    if (err == KS_ERR_CORRUPT_MESSAGE) {
        env_tracef(raft->env, "raft.bad_records", "from leader %d", raft->qs.leader_id);
    } else if (err != KS_OK) {
        raft_fail(raft, "follower append", err);
        return;
    }
    int64_t hw = resp->high_watermark;
    int64_t end = raft_log_flushed_offset(raft->log);
    hw = hw < end ? hw : end;
    if (hw > raft->high_watermark)
        raft->high_watermark = hw;
    raft_apply_committed(raft);
    raft->fetch_next_ns = appended > 0 ? now : now + RAFT_FETCH_IDLE_WAIT_MS * RAFT_NS_PER_MS;
}

static void raft_snapshot_fetch_begin(struct raft *raft, int64_t end_offset, int32_t epoch)
{
    KS_ASSERT(raft->state == RAFT_FOLLOWER);
    raft_snapshot_fetch_reset(raft);
    raft->snapshot_fetching = true;
    raft->snapshot_fetch_id = (struct raft_snapshot_id){end_offset, epoch};
    raft->fetch_next_ns = raft_now(raft);
    env_tracef(raft->env, "raft.snapshot_fetch",
               "fetch offset %lld is below the leader's log "
               "start: fetching snapshot %lld-%d",
               (long long)raft_log_end_offset(raft->log), (long long)end_offset, epoch);
}

static void raft_on_fetch_response(struct raft *raft, uint64_t cookie, const uint8_t *body,
                                   uint32_t size)
{
    struct api_fetch_response resp;
    if (raft->state != RAFT_FOLLOWER || (cookie & ~RAFT_COOKIE_KIND_MASK) != raft->fetch_id)
        return;
    KS_ASSERT(raft->fetch_inflight);
    raft->fetch_inflight = false;
    uint64_t now = raft_now(raft);
    raft->fetch_next_ns = now + raft->config.retry_backoff_ms * RAFT_NS_PER_MS;
    if (api_fetch_response_decode(RAFT_FETCH_VERSION, body, size, &resp) != KS_OK ||
        resp.error_code != KS_OK || !resp.has_partition)
        return;
    if (raft_observe(raft, resp.current_leader_epoch, resp.current_leader_id, false))
        return;
    if (resp.partition_error_code != KS_OK)
        return;
    if (!raft->leader_ended) /* a late answer does not revive a leader that resigned */
        raft->fetch_deadline_ns = now + raft->config.fetch_timeout_ms * RAFT_NS_PER_MS;
    if (resp.diverging_epoch != -1 || resp.diverging_end_offset != -1) {
        raft_truncate_diverging(raft, resp.diverging_epoch, resp.diverging_end_offset);
        raft->fetch_next_ns = now;
        return;
    }
    if (resp.snapshot_end_offset >= 0 && resp.snapshot_epoch >= 0) {
        raft_snapshot_fetch_begin(raft, resp.snapshot_end_offset, resp.snapshot_epoch);
        return;
    }
    raft_follow_records(raft, &resp);
}

/* ---- FetchSnapshot (KIP-630) ---- */

static void raft_send_fetch_snapshot(struct raft *raft)
{
    KS_ASSERT(raft->state == RAFT_FOLLOWER);
    KS_ASSERT(raft->snapshot_fetching && !raft->fetch_inflight);
    struct api_fetch_snapshot_request req;
    api_fetch_snapshot_request_init(&req);
    req.replica_id = raft->config.node_id;
    req.max_bytes = RAFT_FETCH_BYTES_MAX;
    req.has_partition = true;
    req.topic_name = wire_string_from(RAFT_TOPIC_NAME);
    req.current_leader_epoch = raft->qs.leader_epoch;
    req.snapshot_end_offset = raft->snapshot_fetch_id.end_offset;
    req.snapshot_epoch = raft->snapshot_fetch_id.epoch;
    req.position = raft->snapshot_fill;
    struct wire_writer w;
    wire_writer_init(&w);
    api_fetch_snapshot_request_encode(&w, RAFT_FETCH_SNAPSHOT_VERSION, &req);
    raft->fetch_id++;
    raft->fetch_inflight = true;
    raft->fetch_sent_ns = raft_now(raft);
    raft_send(raft, raft->qs.leader_id, API_FETCH_SNAPSHOT, RAFT_FETCH_SNAPSHOT_VERSION, &w,
              RAFT_COOKIE_FETCH | raft->fetch_id);
    wire_writer_free(&w);
    if (!raft->fetch_inflight)
        raft->fetch_next_ns = raft->fetch_sent_ns + raft->config.retry_backoff_ms * RAFT_NS_PER_MS;
}

/* The leader's answer: a slice of its latest snapshot file. */
static void raft_fetch_snapshot_answer(struct raft *raft,
                                       const struct api_fetch_snapshot_request *req,
                                       struct api_fetch_snapshot_response *resp, uint8_t **bytes)
{
    uint32_t size = 0;
    int voter = raft_config_voter_index(&raft->config, req->replica_id);
    if (voter >= 0 && voter != raft->self_index)
        raft_note_fetch_from(raft, voter);
    if (!raft->has_snapshot || req->snapshot_end_offset != raft->snapshot.end_offset ||
        req->snapshot_epoch != raft->snapshot.epoch ||
        raft_snapshot_read(raft->env, RAFT_LOG_DIR, &raft->snapshot, bytes, &size) != KS_OK) {
        resp->partition_error_code = RAFT_ERR_SNAPSHOT_NOT_FOUND;
        return;
    }
    if (req->position < 0 || req->position > size) {
        resp->partition_error_code = RAFT_ERR_POSITION_OUT_OF_RANGE;
        return;
    }
    uint32_t max = req->max_bytes <= 0 ? RAFT_FETCH_BYTES_MAX : (uint32_t)req->max_bytes;
    uint32_t chunk = size - (uint32_t)req->position;
    chunk = chunk < max ? chunk : max;
    resp->size = size;
    resp->position = req->position;
    resp->unaligned_records = (struct wire_bytes){*bytes + req->position, (int32_t)chunk};
}

static enum ks_err raft_on_fetch_snapshot_request(struct raft *raft, int16_t version,
                                                  const uint8_t *body, uint32_t size,
                                                  struct wire_writer *w)
{
    struct api_fetch_snapshot_request req;
    struct api_fetch_snapshot_response resp;
    uint8_t *bytes = NULL;
    enum ks_err err = api_fetch_snapshot_request_decode(version, body, size, &req);
    if (err != KS_OK)
        return err;
    api_fetch_snapshot_response_init(&resp);
    resp.has_partition = req.has_partition;
    resp.topic_name = req.topic_name;
    resp.snapshot_end_offset = req.snapshot_end_offset;
    resp.snapshot_epoch = req.snapshot_epoch;
    if (!raft_partition_ok(raft, req.has_partition, req.topic_name, req.partition))
        resp.partition_error_code = KS_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    else if (raft->state != RAFT_LEADER)
        resp.partition_error_code = KS_ERR_NOT_LEADER_OR_FOLLOWER;
    else if (req.current_leader_epoch != raft->qs.leader_epoch)
        resp.partition_error_code = req.current_leader_epoch < raft->qs.leader_epoch
                                        ? KS_ERR_FENCED_LEADER_EPOCH
                                        : KS_ERR_UNKNOWN_LEADER_EPOCH;
    else
        raft_fetch_snapshot_answer(raft, &req, &resp, &bytes);
    bool leader_known = raft->state == RAFT_LEADER || raft->state == RAFT_FOLLOWER;
    resp.current_leader_id = leader_known ? raft->qs.leader_id : -1;
    resp.current_leader_epoch = raft->qs.leader_epoch;
    api_fetch_snapshot_response_encode(w, version, &resp);
    free(bytes);
    return KS_OK;
}

/* The whole snapshot arrived: keep it durably and start over from its end. */
static void raft_snapshot_fetch_done(struct raft *raft)
{
    struct raft_snapshot_id id = raft->snapshot_fetch_id;
    bool found = false;
    enum ks_err err = raft_snapshot_parse(raft->snapshot_buf, raft->snapshot_size,
                                          &(const uint8_t *){NULL}, &(uint32_t){0});
    if (err != KS_OK) {
        env_tracef(raft->env, "raft.bad_snapshot", "from leader %d", raft->qs.leader_id);
        raft_snapshot_fetch_reset(raft);
        return;
    }
    err =
        raft_snapshot_write(raft->env, RAFT_LOG_DIR, &id, raft->snapshot_buf, raft->snapshot_size);
    if (err == KS_OK)
        err = raft_snapshot_install(raft, &id, raft->snapshot_buf, raft->snapshot_size, true);
    if (err == KS_OK)
        err = raft_snapshot_latest(raft->env, RAFT_LOG_DIR, &raft->snapshot, &found);
    raft_snapshot_fetch_reset(raft);
    if (err != KS_OK) {
        raft_fail(raft, "install snapshot", err);
        return;
    }
    raft->stats.snapshots_installed++;
    env_tracef(raft->env, "raft.snapshot_installed", "snapshot %lld-%d from leader %d",
               (long long)id.end_offset, id.epoch, raft->qs.leader_id);
}

/* Appends one chunk; false when it does not continue what we have. */
static bool raft_snapshot_chunk(struct raft *raft, const struct api_fetch_snapshot_response *resp)
{
    int64_t chunk = resp->unaligned_records.size_bytes;
    if (resp->snapshot_end_offset != raft->snapshot_fetch_id.end_offset ||
        resp->snapshot_epoch != raft->snapshot_fetch_id.epoch || resp->size <= 0 ||
        resp->size > RAFT_SNAPSHOT_BYTES_MAX || resp->position != raft->snapshot_fill ||
        chunk < 0 || resp->position + chunk > resp->size ||
        (raft->snapshot_buf != NULL && resp->size != raft->snapshot_size))
        return false;
    if (raft->snapshot_buf == NULL) {
        raft->snapshot_size = (uint32_t)resp->size;
        raft->snapshot_buf = ks_alloc(raft->snapshot_size);
    }
    memcpy(raft->snapshot_buf + raft->snapshot_fill, resp->unaligned_records.bytes, (size_t)chunk);
    raft->snapshot_fill += (uint32_t)chunk;
    return chunk > 0 || raft->snapshot_fill == raft->snapshot_size;
}

static void raft_on_fetch_snapshot_response(struct raft *raft, uint64_t cookie, const uint8_t *body,
                                            uint32_t size)
{
    struct api_fetch_snapshot_response resp;
    if (raft->state != RAFT_FOLLOWER || (cookie & ~RAFT_COOKIE_KIND_MASK) != raft->fetch_id ||
        !raft->snapshot_fetching)
        return;
    uint64_t now = raft_now(raft);
    raft->fetch_inflight = false;
    raft->fetch_next_ns = now + raft->config.retry_backoff_ms * RAFT_NS_PER_MS;
    if (api_fetch_snapshot_response_decode(RAFT_FETCH_SNAPSHOT_VERSION, body, size, &resp) !=
            KS_OK ||
        resp.error_code != KS_OK || !resp.has_partition)
        return;
    if (raft_observe(raft, resp.current_leader_epoch, resp.current_leader_id, false))
        return;
    if (resp.partition_error_code != KS_OK || !raft_snapshot_chunk(raft, &resp)) {
        raft_snapshot_fetch_reset(raft); /* fetch again: it names the current snapshot */
        return;
    }
    if (!raft->leader_ended)
        raft->fetch_deadline_ns = now + raft->config.fetch_timeout_ms * RAFT_NS_PER_MS;
    raft->fetch_next_ns = now;
    if (raft->snapshot_fill == raft->snapshot_size)
        raft_snapshot_fetch_done(raft);
}

/* ---- dispatch ---- */

static enum ks_err raft_on_request(void *ctx, const struct frame_request_header *header,
                                   const uint8_t *body, uint32_t size, struct wire_writer *w)
{
    struct raft *raft = ctx;
    enum ks_err err = KS_ERR_INVALID;
    if (raft->state == RAFT_FAILED)
        return KS_ERR_IO;
    switch (header->api_key) {
    case API_VOTE:
        err = raft_on_vote_request(raft, header->api_version, body, size, w);
        break;
    case API_BEGIN_QUORUM_EPOCH:
        err = raft_on_begin_quorum_request(raft, header->api_version, body, size, w);
        break;
    case API_END_QUORUM_EPOCH:
        err = raft_on_end_quorum_request(raft, header->api_version, body, size, w);
        break;
    case API_FETCH:
        err = raft_on_fetch_request(raft, header->api_version, body, size, w);
        break;
    case API_FETCH_SNAPSHOT:
        err = raft_on_fetch_snapshot_request(raft, header->api_version, body, size, w);
        break;
    default:
        break; /* unknown here: Kafka closes the connection */
    }
    raft_schedule(raft);
    return err;
}

static void raft_on_response(void *ctx, int32_t peer_id, int16_t api_key, uint64_t cookie,
                             const uint8_t *body, uint32_t size)
{
    struct raft *raft = ctx;
    if (raft->state == RAFT_FAILED)
        return;
    if (api_key == API_VOTE)
        raft_on_vote_response(raft, peer_id, cookie, body, size);
    else if (api_key == API_FETCH)
        raft_on_fetch_response(raft, cookie, body, size);
    else if (api_key == API_FETCH_SNAPSHOT)
        raft_on_fetch_snapshot_response(raft, cookie, body, size);
    else
        raft_on_epoch_response(raft, api_key, body, size);
    raft_schedule(raft);
}

static void raft_on_failure(void *ctx, int32_t peer_id, int16_t api_key, uint64_t cookie)
{
    struct raft *raft = ctx;
    bool fetch = (cookie & RAFT_COOKIE_KIND_MASK) == RAFT_COOKIE_FETCH;
    if (!fetch || raft->state != RAFT_FOLLOWER ||
        (cookie & ~RAFT_COOKIE_KIND_MASK) != raft->fetch_id)
        return;
    raft->fetch_inflight = false;
    raft->fetch_next_ns = raft_now(raft) + raft->config.retry_backoff_ms * RAFT_NS_PER_MS;
    raft_schedule(raft);
}

static const struct raft_net_handler raft_net_handlers = {raft_on_request, raft_on_response,
                                                          raft_on_failure};

struct srv *raft_srv(struct raft *raft)
{
    KS_ASSERT(raft->net != NULL);
    return raft_net_srv(raft->net);
}

/* ---- the timer ---- */

static void raft_poll_follower(struct raft *raft, uint64_t now)
{
    if (now >= raft->fetch_deadline_ns) {
        env_tracef(raft->env, "raft.fetch_timeout", "no fetch from leader %d in %u ms",
                   raft->qs.leader_id, raft->config.fetch_timeout_ms);
        raft_become_prospective(raft);
        return;
    }
    uint64_t request_timeout_ns = raft->config.request_timeout_ms * RAFT_NS_PER_MS;
    if (raft->fetch_inflight && now >= raft->fetch_sent_ns + request_timeout_ns) {
        raft_net_reset_peer(raft->net, raft->qs.leader_id); /* fails the fetch */
        raft->fetch_inflight = false;
        return;
    }
    if (!raft->fetch_inflight && now >= raft->fetch_next_ns) {
        if (raft->snapshot_fetching)
            raft_send_fetch_snapshot(raft);
        else
            raft_send_fetch(raft);
    }
}

static void raft_poll_leader(struct raft *raft, uint64_t now)
{
    if (!env_bug(raft->env, KS_BUG_RAFT_NO_CHECK_QUORUM) && now >= raft->check_quorum_deadline_ns) {
        /* A voter that is a majority by itself (a quorum of one) hears from a majority
         * always: no fetch ever comes, and it must not resign for that. */
        if (raft_popcount(1u << raft->self_index) < raft_config_majority(&raft->config)) {
            raft_become_resigned(raft, "no fetch from a majority (check quorum)");
            return;
        }
        raft->check_quorum_deadline_ns = now + raft->config.fetch_timeout_ms * RAFT_NS_PER_MS * 3 / 2;
    }
    if (now >= raft->begin_quorum_next_ns) {
        raft_send_begin_quorum(raft);
        raft->begin_quorum_next_ns = now + raft->config.fetch_timeout_ms * RAFT_NS_PER_MS / 2;
    }
}

static void raft_poll(void *ctx)
{
    struct raft *raft = ctx;
    uint64_t now = raft_now(raft);
    raft->timer = 0;
    switch (raft->state) {
    case RAFT_UNATTACHED:
    case RAFT_PROSPECTIVE:
    case RAFT_CANDIDATE:
    case RAFT_RESIGNED:
        if (now >= raft->election_deadline_ns)
            raft_become_prospective(raft);
        break;
    case RAFT_FOLLOWER:
        raft_poll_follower(raft, now);
        break;
    case RAFT_LEADER:
        raft_poll_leader(raft, now);
        break;
    case RAFT_FAILED:
    case RAFT_STATE_COUNT:
        break;
    }
    raft_schedule(raft);
}

/* ---- lifecycle ---- */

/* The state a restarted voter starts in, from its quorum-state. */
static void raft_start_state(struct raft *raft)
{
    uint64_t now = raft_now(raft);
    raft->state = RAFT_UNATTACHED;
    raft->election_deadline_ns = now + raft_election_timeout_ns(raft);
    if (raft->qs.leader_id == raft->config.node_id) {
        raft->state = RAFT_RESIGNED; /* a restarted leader never resumes its epoch */
    } else if (raft->qs.leader_id >= 0 &&
               raft_config_voter_index(&raft->config, raft->qs.leader_id) >= 0) {
        raft->state = RAFT_FOLLOWER;
        raft->fetch_deadline_ns = now + raft->config.fetch_timeout_ms * RAFT_NS_PER_MS;
        raft->fetch_next_ns = now;
    }
    env_tracef(raft->env, "raft.start", "%s epoch=%d leader=%d voted=%d log_end=%lld",
               raft_state_name(raft->state), raft->qs.leader_epoch, raft->qs.leader_id,
               raft->qs.voted_id, (long long)raft_log_end_offset(raft->log));
}

enum ks_err raft_create(struct env *env, const struct raft_config *config,
                        const struct raft_state_machine *sm, void *sm_ctx, struct raft **out)
{
    struct raft *raft = ks_alloc(sizeof(*raft));
    raft->env = env;
    raft->sm = sm;
    raft->sm_ctx = sm_ctx;
    raft->config = *config;
    raft->self_index = raft_config_voter_index(&raft->config, config->node_id);
    KS_ASSERT(raft->self_index >= 0);
    raft->stats.node_id = config->node_id;
    raft->election_deadline_ns = raft->fetch_deadline_ns = raft->fetch_next_ns = RAFT_NEVER;
    raft->check_quorum_deadline_ns = raft->begin_quorum_next_ns = RAFT_NEVER;
    enum ks_err err = raft_log_open(env, RAFT_LOG_DIR, &raft->log);
    if (err == KS_OK)
        err = raft_snapshot_load_latest(raft);
    if (err == KS_OK)
        err = raft_qstate_read(env, RAFT_LOG_DIR, &raft->qs);
    if (err == KS_OK) {
        raft->net = raft_net_create(env, &raft->config, &raft_net_handlers, raft);
        err = raft_net_listen(raft->net);
    }
    if (err != KS_OK) {
        if (raft->log != NULL)
            raft_log_close(raft->log);
        raft_free(raft);
        return err;
    }
    raft_start_state(raft);
    raft_schedule(raft);
    *out = raft;
    return KS_OK;
}

void raft_stop(struct raft *raft)
{
    if (raft->state == RAFT_LEADER) {
        raft_send_end_quorum(raft);
        raft_become_resigned(raft, "shutting down");
    }
    if (raft->timer != 0)
        env_timer_cancel(raft->env, raft->timer);
    raft->timer = 0;
    if (raft->state != RAFT_FAILED) {
        enum ks_err err = raft_log_flush(raft->log);
        if (err != KS_OK)
            raft_fail(raft, "flush at stop", err);
    }
    raft_net_close_all(raft->net);
    raft_log_close(raft->log);
}

void raft_free(struct raft *raft)
{
    if (raft == NULL)
        return;
    raft_net_free(raft->net);
    raft_log_free(raft->log);
    free(raft->snapshot_buf);
    free(raft);
}

void raft_status_get(const struct raft *raft, struct raft_status *out)
{
    *out = raft->stats;
    out->state = raft->state;
    out->node_id = raft->config.node_id;
    out->epoch = raft->qs.leader_epoch;
    out->leader_id = raft->qs.leader_id;
    out->voted_id = raft->qs.voted_id;
    out->high_watermark = raft->high_watermark;
    out->log_end_offset = raft_log_end_offset(raft->log);
    out->flushed_offset = raft_log_flushed_offset(raft->log);
    out->applied_offset = raft->applied_offset;
    out->log_start_offset = raft_log_start_offset(raft->log);
    KS_ASSERT(out->high_watermark <= out->log_end_offset);
}

const struct raft_log *raft_log_of(const struct raft *raft)
{
    return raft->log;
}
