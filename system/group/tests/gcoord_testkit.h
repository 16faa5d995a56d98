/*
 * gcoord_testkit.h: what the group coordinator's tests share: a world with one
 * coordinator node, whose storage is an in-memory fake of struct gcoord_log that
 * completes appends after a delay (or fails them), optionally writing them first to a
 * real __consumer_offsets-0 plog on the node's simulated disk (so that a crash and a
 * reload show what was replicated); and clients that call the handlers and keep the
 * answers.
 */
#ifndef KS_GCOORD_TESTKIT_H
#define KS_GCOORD_TESTKIT_H

/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
/* clang-format on */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/world.h"
#include "system/bugs.h"
#include "system/group/assignor.h"
#include "system/group/gcoord.h"

#define MS WORLD_NS_PER_MS
#define TK_PENDING_MAX 4096u
#define TK_TOPIC "orders"
#define TK_TOPIC_PARTITIONS 6

/* ---- The fake log ------------------------------------------------------------------ */

struct tk_pending {
    struct tk_log *log;
    uint64_t id;
    int32_t partition;
    uint8_t *batch;
    uint32_t size;
    gcoord_log_done_fn done;
    void *ctx;
    env_timer_id timer;
};

struct tk_log {
    struct gcoord_log base; /* first */
    struct env *env;
    uint64_t delay_ms;
    bool fail;          /* complete every append with NOT_ENOUGH_REPLICAS */
    struct plog *plog;  /* when set: partition 0's appends land here at completion */
    uint32_t appends;   /* appends asked for */
    uint32_t completed; /* completions delivered */
    uint32_t records;   /* records in completed appends */
    struct tk_pending *pending[TK_PENDING_MAX];
    uint32_t pending_count;
};

static inline void tk_pending_remove(struct tk_log *log, struct tk_pending *p)
{
    for (uint32_t i = 0; i < log->pending_count; i++) {
        if (log->pending[i] != p)
            continue;
        memmove(&log->pending[i], &log->pending[i + 1],
                sizeof(log->pending[0]) * (log->pending_count - i - 1));
        log->pending_count--;
        break;
    }
    free(p->batch);
    free(p);
}

static inline void tk_log_fire(void *ctx)
{
    struct tk_pending *p = ctx;
    struct tk_log *log = p->log;
    enum ks_err err = log->fail ? KS_ERR_NOT_ENOUGH_REPLICAS : KS_OK;
    int64_t base = 0;
    if (err == KS_OK && log->plog != NULL && p->partition == 0) {
        struct plog_append_info info;
        err = plog_append_leader(log->plog, p->batch, p->size, 0, &info);
        if (err == KS_OK)
            err = plog_flush(log->plog);
        if (err == KS_OK) {
            plog_set_high_watermark(log->plog, plog_log_end_offset(log->plog));
            base = info.first_offset;
            log->records += (uint32_t)(info.last_offset - info.first_offset + 1);
        }
    }
    gcoord_log_done_fn done = p->done;
    void *done_ctx = p->ctx;
    uint64_t id = p->id;
    tk_pending_remove(log, p);
    log->completed++;
    done(done_ctx, id, err, base);
}

static inline void tk_log_append(struct gcoord_log *base, int32_t partition, const uint8_t *batch,
                                 uint32_t size_bytes, uint64_t append_id, gcoord_log_done_fn done,
                                 void *ctx)
{
    struct tk_log *log = (struct tk_log *)base;
    assert_true(log->pending_count < TK_PENDING_MAX);
    struct tk_pending *p = ks_alloc(sizeof(*p));
    *p = (struct tk_pending){log,        append_id, partition, ks_alloc(size_bytes),
                             size_bytes, done,      ctx,       0};
    memcpy(p->batch, batch, size_bytes);
    log->pending[log->pending_count++] = p;
    log->appends++;
    p->timer = env_timer_start(log->env, log->delay_ms * MS, tk_log_fire, p);
}

/* ---- The coordinator node ----------------------------------------------------------- */

struct tk_node {
    struct env *env;
    struct tk_log log;
    struct gcoord *coord;
    uint32_t loads_done;
    int64_t plog_end_at_start;
};

static inline void tk_node_loaded(void *ctx, int32_t partition, enum ks_err err)
{
    struct tk_node *n = ctx;
    assert_int_equal(err, KS_OK);
    n->loads_done++;
}

static inline void *tk_node_start(struct env *env, const struct props *config)
{
    struct tk_node *n = ks_alloc(sizeof(*n));
    n->env = env;
    n->log.base.append = tk_log_append;
    n->log.env = env;
    int64_t delay = 0, use_plog = 0;
    assert_int_equal(props_get_i64(config, "test.append.delay.ms", 5, &delay), KS_OK);
    assert_int_equal(props_get_i64(config, "test.plog", 0, &use_plog), KS_OK);
    n->log.delay_ms = (uint64_t)delay;
    if (use_plog) {
        enum ks_err made = env_dir_create(env, "data");
        assert_true(made == KS_OK || made == KS_ERR_EXISTS);
        assert_int_equal(env_dir_sync(env, ""), KS_OK);
        struct plog_config pc;
        plog_config_default(&pc);
        pc.cleanup_policy = PLOG_CLEANUP_COMPACT;
        struct plog_open_args args = {"__consumer_offsets", 0, -1, -1, -1, -1, false};
        assert_int_equal(plog_open(env, "data", &args, &pc, &n->log.plog), KS_OK);
        n->plog_end_at_start = plog_log_end_offset(n->log.plog);
    }
    struct gcoord_config gc;
    assert_int_equal(gcoord_config_from_props(config, &gc), KS_OK);
    n->coord = gcoord_create(env, &gc, &n->log.base);
    for (int32_t p = 0; p < gc.offsets_partition_count; p++) {
        struct plog *pl = p == 0 ? n->log.plog : NULL;
        int64_t end = pl ? plog_log_end_offset(pl) : 0;
        assert_int_equal(gcoord_load(n->coord, p, 0, pl, end, tk_node_loaded, n), KS_OK);
    }
    return n;
}

static inline void tk_node_destroy(void *node)
{
    struct tk_node *n = node;
    gcoord_free(n->coord);
    while (n->log.pending_count > 0)
        tk_pending_remove(&n->log, n->log.pending[0]);
    if (n->log.plog != NULL)
        plog_free(n->log.plog);
    free(n);
}

static const struct world_node_type tk_node_type = {"gcoord", tk_node_start, NULL, tk_node_destroy,
                                                    NULL};

struct tk {
    struct world *w;
    int node;
};

/* props: "key=value" pairs, NULL-terminated. */
static inline struct tk tk_new_props(uint64_t seed, env_bug_mask bugs, const char *const *kv)
{
    struct world_config config;
    world_config_default(&config, seed);
    config.bugs = bugs;
    struct tk t = {.w = world_create(&config)};
    struct props props;
    props_init(&props);
    for (uint32_t i = 0; kv != NULL && kv[i] != NULL; i += 2)
        assert_int_equal(props_set(&props, kv[i], kv[i + 1]), KS_OK);
    t.node = world_node_add(t.w, "broker1", &tk_node_type, &props);
    props_free(&props);
    assert_true(t.node >= 0);
    assert_int_equal(world_node_start(t.w, t.node), KS_OK);
    world_run_until(t.w, world_now_ns(t.w) + MS, UINT64_MAX); /* partitions load */
    return t;
}

static inline struct tk tk_new(uint64_t seed, env_bug_mask bugs)
{
    return tk_new_props(seed, bugs, NULL);
}

static inline struct tk_node *tk_node(struct tk *t)
{
    return world_node_impl(t->w, t->node);
}

static inline struct gcoord *tk_coord(struct tk *t)
{
    return tk_node(t)->coord;
}

static inline void tk_run_ms(struct tk *t, uint64_t ms)
{
    world_run_until(t->w, world_now_ns(t->w) + ms * MS, UINT64_MAX);
}

static inline void tk_restart(struct tk *t)
{
    assert_int_equal(world_node_crash(t->w, t->node), KS_OK);
    assert_int_equal(world_node_start(t->w, t->node), KS_OK);
}

static inline void tk_free(struct tk *t)
{
    world_destroy(t->w);
}

/* ---- Clients ------------------------------------------------------------------------ */

#define TK_ID_BYTES 256u
#define TK_ASSIGNMENT_BYTES 4096u
#define TK_MEMBERS_MAX 16u

struct tk_client {
    struct tk *t;
    char group[64];
    char client_id[64];
    char instance_id[64]; /* "" : dynamic member */
    char protocol[32];
    int16_t join_version;
    char member_id[TK_ID_BYTES];
    int32_t generation;
    /* the last JoinGroup answer */
    bool join_answered;
    int16_t join_error;
    char leader[TK_ID_BYTES];
    uint32_t join_member_count;
    char join_members[TK_MEMBERS_MAX][TK_ID_BYTES];
    uint8_t join_metadata[TK_MEMBERS_MAX][256];
    int32_t join_metadata_size[TK_MEMBERS_MAX];
    /* the last SyncGroup answer */
    bool sync_answered;
    int16_t sync_error;
    uint8_t assignment[TK_ASSIGNMENT_BYTES];
    int32_t assignment_size;
    /* the last OffsetCommit answer */
    bool commit_answered;
    int16_t commit_error;
};

static inline void tk_copy_string(char *dst, size_t size, struct wire_string s)
{
    int32_t n = s.length < 0 ? 0 : s.length;
    assert_true((size_t)n < size);
    memcpy(dst, s.chars ? s.chars : "", (size_t)n);
    dst[n] = '\0';
}

static inline void tk_client_init(struct tk_client *cl, struct tk *t, const char *group,
                                  const char *client_id, const char *protocol)
{
    memset(cl, 0, sizeof(*cl));
    cl->t = t;
    snprintf(cl->group, sizeof(cl->group), "%s", group);
    snprintf(cl->client_id, sizeof(cl->client_id), "%s", client_id);
    snprintf(cl->protocol, sizeof(cl->protocol), "%s", protocol);
    cl->join_version = 5;
    cl->generation = -1;
}

static inline void tk_on_join(void *ctx, const struct api_join_group_response *r)
{
    struct tk_client *cl = ctx;
    cl->join_answered = true;
    cl->join_error = r->error_code;
    if (r->member_id.length > 0)
        tk_copy_string(cl->member_id, sizeof(cl->member_id), r->member_id);
    if (r->error_code != 0)
        return;
    cl->generation = r->generation_id;
    tk_copy_string(cl->leader, sizeof(cl->leader), r->leader);
    assert_true(r->member_count <= TK_MEMBERS_MAX);
    cl->join_member_count = r->member_count;
    for (uint32_t i = 0; i < r->member_count; i++) {
        tk_copy_string(cl->join_members[i], TK_ID_BYTES, r->members[i].member_id);
        assert_true(r->members[i].metadata.size_bytes >= 0);
        assert_true(r->members[i].metadata.size_bytes <= 256);
        memcpy(cl->join_metadata[i], r->members[i].metadata.bytes,
               (size_t)r->members[i].metadata.size_bytes);
        cl->join_metadata_size[i] = r->members[i].metadata.size_bytes;
    }
}

/* A subscription to topics (comma-free list of one or two names). */
static inline struct wire_writer tk_subscription(const char *topic, const char *topic2)
{
    struct wire_string topics[2] = {wire_string_from(topic), wire_string_from(topic2)};
    struct cproto_subscription s = {.version = 1,
                                    .topic_count = topic2 ? 2 : 1,
                                    .topics = topics,
                                    .user_data = {NULL, -1},
                                    .generation_id = -1,
                                    .rack_id = wire_string_null()};
    struct wire_writer w;
    wire_writer_init(&w);
    cproto_subscription_encode(&w, &s);
    assert_int_equal(w.err, KS_OK);
    return w;
}

/* JoinGroup with the client's current member id, subscribing to topic (and topic2). */
static inline void tk_join_topics(struct tk_client *cl, const char *topic, const char *topic2)
{
    struct wire_writer sub = tk_subscription(topic, topic2);
    struct api_join_group_protocol p = {wire_string_from(cl->protocol),
                                        {sub.bytes, (int32_t)sub.size_bytes}};
    struct api_join_group_request req = {
        .group_id = wire_string_from(cl->group),
        .session_timeout_ms = 10000,
        .rebalance_timeout_ms = 20000,
        .member_id = wire_string_from(cl->member_id),
        .group_instance_id =
            cl->instance_id[0] ? wire_string_from(cl->instance_id) : wire_string_null(),
        .protocol_type = wire_string_from("consumer"),
        .protocol_count = 1,
        .protocols = &p,
        .reason = wire_string_null(),
    };
    struct gcoord_client who = {cl->join_version, wire_string_from(cl->client_id),
                                wire_string_from("/10.0.0.1")};
    cl->join_answered = false;
    gcoord_join_group(tk_coord(cl->t), &who, &req, tk_on_join, cl);
    wire_writer_free(&sub);
}

static inline void tk_join(struct tk_client *cl)
{
    tk_join_topics(cl, TK_TOPIC, NULL);
}

static inline void tk_on_sync(void *ctx, const struct api_sync_group_response *r)
{
    struct tk_client *cl = ctx;
    cl->sync_answered = true;
    cl->sync_error = r->error_code;
    cl->assignment_size = r->error_code == 0 ? r->assignment.size_bytes : 0;
    assert_true(cl->assignment_size >= 0 && cl->assignment_size <= (int32_t)TK_ASSIGNMENT_BYTES);
    if (cl->assignment_size > 0)
        memcpy(cl->assignment, r->assignment.bytes, (size_t)cl->assignment_size);
}

static inline void tk_sync_with(struct tk_client *cl, const struct api_sync_group_assignment *a,
                                uint32_t count)
{
    struct api_sync_group_request req = {
        .group_id = wire_string_from(cl->group),
        .generation_id = cl->generation,
        .member_id = wire_string_from(cl->member_id),
        .group_instance_id =
            cl->instance_id[0] ? wire_string_from(cl->instance_id) : wire_string_null(),
        .protocol_type = wire_string_null(),
        .protocol_name = wire_string_null(),
        .assignment_count = count,
        .assignments = (struct api_sync_group_assignment *)a,
    };
    struct gcoord_client who = {5, wire_string_from(cl->client_id), wire_string_from("/h")};
    cl->sync_answered = false;
    gcoord_sync_group(tk_coord(cl->t), &who, &req, tk_on_sync, cl);
}

static inline void tk_sync(struct tk_client *cl)
{
    tk_sync_with(cl, NULL, 0);
}

/* The leader's SyncGroup: runs the assignor named by the protocol over the members it
 * got in its JoinGroup answer, TK_TOPIC with TK_TOPIC_PARTITIONS partitions. */
static inline void tk_sync_leader(struct tk_client *cl)
{
    enum assignor_kind kind;
    assert_true(assignor_from_name(wire_string_from(cl->protocol), &kind));
    uint32_t n = cl->join_member_count;
    struct cproto_subscription subs[TK_MEMBERS_MAX];
    struct assignor_member members[TK_MEMBERS_MAX];
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(cproto_subscription_decode(cl->join_metadata[i],
                                                    (uint32_t)cl->join_metadata_size[i], &subs[i]),
                         KS_OK);
        members[i] = (struct assignor_member){wire_string_from(cl->join_members[i]),
                                              wire_string_null(),
                                              subs[i].topic_count,
                                              subs[i].topics,
                                              0,
                                              NULL,
                                              ASSIGNOR_GENERATION_UNKNOWN};
    }
    struct assignor_topic topics[] = {{wire_string_from(TK_TOPIC), TK_TOPIC_PARTITIONS}};
    struct assignor_result result;
    assert_int_equal(assignor_assign(kind, topics, 1, members, n, &result), KS_OK);
    struct api_sync_group_assignment a[TK_MEMBERS_MAX];
    struct wire_writer w[TK_MEMBERS_MAX];
    for (uint32_t i = 0; i < n; i++) {
        struct cproto_assignment ca;
        assignor_to_cproto_assignment(&result.members[i], 0, &ca);
        wire_writer_init(&w[i]);
        cproto_assignment_encode(&w[i], &ca);
        cproto_assignment_free(&ca);
        a[i] = (struct api_sync_group_assignment){wire_string_from(cl->join_members[i]),
                                                  {w[i].bytes, (int32_t)w[i].size_bytes}};
    }
    tk_sync_with(cl, a, n);
    for (uint32_t i = 0; i < n; i++) {
        wire_writer_free(&w[i]);
        cproto_subscription_free(&subs[i]);
    }
    assignor_result_free(&result);
}

static inline void tk_on_heartbeat(void *ctx, const struct api_heartbeat_response *r)
{
    *(int16_t *)ctx = r->error_code;
}

static inline int16_t tk_heartbeat_as(struct tk_client *cl, const char *member_id)
{
    struct api_heartbeat_request req = {
        wire_string_from(cl->group), cl->generation, wire_string_from(member_id),
        cl->instance_id[0] ? wire_string_from(cl->instance_id) : wire_string_null()};
    struct gcoord_client who = {4, wire_string_from(cl->client_id), wire_string_from("/h")};
    int16_t result = -2;
    gcoord_heartbeat(tk_coord(cl->t), &who, &req, tk_on_heartbeat, &result);
    assert_int_not_equal(result, -2); /* answered at once */
    return result;
}

static inline int16_t tk_heartbeat(struct tk_client *cl)
{
    return tk_heartbeat_as(cl, cl->member_id);
}

static inline void tk_on_commit(void *ctx, const struct api_offset_commit_response *r)
{
    struct tk_client *cl = ctx;
    assert_int_equal(r->topic_count, 1);
    assert_int_equal(r->topics[0].partition_count, 1);
    cl->commit_answered = true;
    cl->commit_error = r->topics[0].partitions[0].error_code;
}

/* OffsetCommit of one partition of TK_TOPIC, as the member (or simple when generation
 * is -1 and the member id empty). */
static inline void tk_commit_as(struct tk_client *cl, int32_t generation, const char *member_id,
                                int32_t partition, int64_t offset)
{
    struct api_offset_commit_request_partition p = {partition, offset, -1, -1,
                                                    wire_string_from("m")};
    struct api_offset_commit_request_topic topic = {wire_string_from(TK_TOPIC), 1, &p};
    struct api_offset_commit_request req = {
        .group_id = wire_string_from(cl->group),
        .generation_id_or_member_epoch = generation,
        .member_id = wire_string_from(member_id),
        .group_instance_id = wire_string_null(),
        .retention_time_ms = -1,
        .topic_count = 1,
        .topics = &topic,
    };
    struct gcoord_client who = {8, wire_string_from(cl->client_id), wire_string_from("/h")};
    cl->commit_answered = false;
    gcoord_offset_commit(tk_coord(cl->t), &who, &req, tk_on_commit, cl);
}

static inline void tk_commit(struct tk_client *cl, int32_t partition, int64_t offset)
{
    tk_commit_as(cl, cl->generation, cl->member_id, partition, offset);
}

struct tk_fetch_result {
    int16_t group_error;
    int64_t offset;
};

static inline void tk_on_fetch(void *ctx, const struct api_offset_fetch_response *r)
{
    struct tk_fetch_result *out = ctx;
    assert_int_equal(r->group_count, 1);
    out->group_error = r->groups[0].error_code;
    out->offset = -2;
    if (out->group_error == 0) {
        assert_int_equal(r->groups[0].topic_count, 1);
        out->offset = r->groups[0].topics[0].partitions[0].committed_offset;
    }
}

/* OffsetFetch of one partition: the offset, -1 for none; the group error in *err. */
static inline int64_t tk_fetch(struct tk *t, const char *group, int32_t partition, int16_t *err)
{
    struct api_offset_fetch_request_topic topic = {wire_string_from(TK_TOPIC), 1, &partition};
    struct api_offset_fetch_request_group g = {wire_string_from(group), wire_string_null(), -1, 1,
                                               &topic};
    struct api_offset_fetch_request req = {1, &g, false};
    struct gcoord_client who = {8, wire_string_from("admin"), wire_string_from("/h")};
    struct tk_fetch_result result = {-2, -2};
    gcoord_offset_fetch(tk_coord(t), &who, &req, tk_on_fetch, &result);
    if (err != NULL)
        *err = result.group_error;
    return result.offset;
}

/* Joins n fresh clients (with the KIP-394 handshake), runs past the initial delay (3 s,
 * extended by 3 s when others joined meanwhile, InitialDelayedJoin) and
 * syncs them; every client then holds generation 1 and its assignment. */
static inline void tk_group_form(struct tk *t, struct tk_client *cl, uint32_t n, const char *group,
                                 const char *protocol)
{
    for (uint32_t i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof(id), "consumer-%u", i + 1);
        tk_client_init(&cl[i], t, group, id, protocol);
        tk_join(&cl[i]);
        assert_true(cl[i].join_answered);
        assert_int_equal(cl[i].join_error, KS_ERR_MEMBER_ID_REQUIRED);
        assert_true(strncmp(cl[i].member_id, id, strlen(id)) == 0);
        tk_join(&cl[i]);
        assert_false(cl[i].join_answered);
    }
    tk_run_ms(t, n == 1 ? 3100 : 6100); /* joins within the delay extend it once */
    struct tk_client *leader = NULL;
    for (uint32_t i = 0; i < n; i++) {
        assert_true(cl[i].join_answered);
        assert_int_equal(cl[i].join_error, 0);
        assert_string_equal(cl[i].leader, cl[0].leader);
        if (strcmp(cl[i].leader, cl[i].member_id) == 0)
            leader = &cl[i];
    }
    assert_non_null(leader);
    assert_int_equal(leader->join_member_count, n);
    for (uint32_t i = 0; i < n; i++) {
        if (&cl[i] != leader)
            tk_sync(&cl[i]);
    }
    tk_sync_leader(leader);
    tk_run_ms(t, 100);
    for (uint32_t i = 0; i < n; i++) {
        assert_true(cl[i].sync_answered);
        assert_int_equal(cl[i].sync_error, 0);
    }
}

/* The clients' assignments as owner reports. */
static inline void tk_reports(const struct tk_client *cl, uint32_t n,
                              struct gcoord_owner_report *out)
{
    for (uint32_t i = 0; i < n; i++)
        out[i] = (struct gcoord_owner_report){wire_string_from(cl[i].group),
                                              cl[i].generation,
                                              wire_string_from(cl[i].member_id),
                                              {cl[i].assignment, cl[i].assignment_size}};
}

/* Partitions of TK_TOPIC the client was assigned. */
static inline uint32_t tk_assigned_count(const struct tk_client *cl)
{
    if (cl->assignment_size <= 0)
        return 0;
    struct cproto_assignment a;
    assert_int_equal(cproto_assignment_decode(cl->assignment, (uint32_t)cl->assignment_size, &a),
                     KS_OK);
    uint32_t n = 0;
    for (uint32_t t = 0; t < a.topic_count; t++)
        n += a.assigned_partitions[t].partition_count;
    cproto_assignment_free(&a);
    return n;
}

static inline enum gmeta_state tk_state(struct tk *t, const char *group)
{
    struct gmeta *g = gcoord_group_find(tk_coord(t), wire_string_from(group));
    assert_non_null(g);
    return g->state;
}

#endif
