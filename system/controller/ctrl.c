/*
 * ctrl.c: the KRaft controller state machine. Kafka: QuorumController,
 * ClusterControlManager, BrokerHeartbeatManager, ReplicationControlManager,
 * ConfigurationControlManager. See ctrl.h for the seam with Raft.
 *
 * Every request runs as one operation: check it against the working image, collect
 * the records it needs (struct op), append them as one batch, apply them to the
 * working image, and park the response until the batch commits (struct pending).
 */
#include "system/controller/ctrl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "system/bugs.h"
#include "system/controller/placement.h"
#include "system/log/rb.h"

#define CTRL_NS_PER_MS 1000000ull
#define CTRL_REGISTER_BROKER_VERSION 1
#define CTRL_REGISTRATION_CHANGE_VERSION 1
#define CTRL_TOPIC_ID_DRAWS_MAX 64u

/* The records of one operation, encoded back to back. */
struct op {
    struct wire_writer w;
    uint32_t count;
    uint32_t capacity;
    uint32_t *ends; /* ends[i]: where value i ends in w */
    bool too_many;
};

enum pending_kind {
    PENDING_REGISTRATION,
    PENDING_HEARTBEAT,
    PENDING_CREATE_TOPICS,
    PENDING_DELETE_TOPICS,
    PENDING_ALTER_PARTITION,
};

/* A response waiting for the commit of offset. Owns create/delete and their names. */
struct pending {
    int64_t offset;
    enum pending_kind kind;
    void *done;
    void *done_ctx;
    union {
        struct api_broker_registration_response registration;
        struct api_broker_heartbeat_response heartbeat;
        struct api_create_topics_response *create;
        struct api_delete_topics_response *del;
        struct ctrl_alter_partition_result alter;
    } u;
};

/* What the active controller knows of a broker's session (BrokerHeartbeatManager). */
struct session {
    int32_t broker_id;
    uint64_t last_contact_ns;
    int64_t controlled_shutdown_offset; /* -1 until it asks to shut down */
};

struct ctrl {
    struct env *env;
    struct ctrl_config config;
    struct ctrl_log log;
    struct mimage committed;
    struct mimage working;
    bool active;
    int32_t epoch;
    int64_t last_appended_offset; /* -1: nothing appended in this term */
    uint32_t session_count;
    struct session sessions[MIMAGE_BROKERS_MAX]; /* sorted by broker id */
    uint32_t pending_head;
    uint32_t pending_count;
    struct pending pending[CTRL_PENDING_MAX];
    env_timer_id timer;
};

/* ---- configuration ---------------------------------------------------------------- */

enum ks_err ctrl_config_from_props(const struct props *props, struct ctrl_config *out)
{
    int64_t node_id, timeout, partitions, rf;
    memset(out, 0, sizeof(*out));
    if (props_get_i64(props, "node.id", -1, &node_id) != KS_OK ||
        props_get_i64(props, "broker.session.timeout.ms", CTRL_SESSION_TIMEOUT_MS_DEFAULT,
                      &timeout) != KS_OK ||
        props_get_i64(props, "num.partitions", 1, &partitions) != KS_OK ||
        props_get_i64(props, "default.replication.factor", 1, &rf) != KS_OK ||
        props_get_bool(props, "unclean.leader.election.enable", false,
                       &out->unclean_leader_election) != KS_OK)
        return KS_ERR_INVALID;
    if (node_id < -1 || node_id > INT32_MAX || timeout <= 0 || partitions <= 0 ||
        partitions > INT32_MAX || rf <= 0 || rf > (int64_t)MREC_REPLICAS_MAX)
        return KS_ERR_INVALID;
    const char *cluster_id = props_get(props, "cluster.id");
    if (cluster_id != NULL && strlen(cluster_id) >= CTRL_CLUSTER_ID_BYTES_MAX)
        return KS_ERR_INVALID;
    if (cluster_id != NULL)
        strcpy(out->cluster_id, cluster_id);
    out->node_id = (int32_t)node_id;
    out->session_timeout_ms = timeout;
    out->default_partitions = (int32_t)partitions;
    out->default_replication_factor = (int16_t)rf;
    return KS_OK;
}

/* ---- operations: collecting and appending records --------------------------------- */

static void op_init(struct op *op)
{
    memset(op, 0, sizeof(*op));
    wire_writer_init(&op->w);
}

static void op_free(struct op *op)
{
    wire_writer_free(&op->w);
    free(op->ends);
}

static void op_add(struct op *op, const struct mrec *rec)
{
    if (op->count >= CTRL_RECORDS_PER_OP_MAX) {
        op->too_many = true;
        return;
    }
    if (op->count == op->capacity) {
        op->capacity = op->capacity == 0 ? 16 : op->capacity * 2;
        op->ends = ks_realloc(op->ends, sizeof(*op->ends) * op->capacity);
    }
    mrec_encode(&op->w, rec);
    KS_ASSERT(op->w.err == KS_OK); /* the controller only writes records it can encode */
    op->ends[op->count++] = op->w.size_bytes;
}

static void op_emit(void *emit_ctx, const struct mrec *rec)
{
    op_add(emit_ctx, rec);
}

static void ctrl_lose_leadership(struct ctrl *ctrl);

/*
 * Applies the op's records to the working image at the offsets they will get, then
 * appends them. Returns KS_OK (*last_offset_out set), or NOT_CONTROLLER when the log
 * refuses (this node renounces). The log may commit them before it returns.
 */
static enum ks_err op_append(struct ctrl *ctrl, struct op *op, int64_t *last_offset_out)
{
    KS_ASSERT(ctrl->active);
    KS_ASSERT(op->count > 0 && !op->too_many);
    int64_t base = ctrl->log.next_offset(ctrl->log.ctx);
    KS_ASSERT(base > ctrl->last_appended_offset);
    struct ctrl_value *values = ks_alloc(sizeof(*values) * op->count);
    for (uint32_t i = 0; i < op->count; i++) {
        uint32_t start = i == 0 ? 0 : op->ends[i - 1];
        values[i].bytes = op->w.bytes + start;
        values[i].size_bytes = op->ends[i] - start;
        enum ks_err applied = mimage_apply_value(&ctrl->working, base + (int64_t)i, values[i].bytes,
                                                 values[i].size_bytes);
        KS_ASSERT(applied == KS_OK); /* decided against this very image */
    }
    ctrl->last_appended_offset = base + (int64_t)op->count - 1;
    enum ks_err err = ctrl->log.append(ctrl->log.ctx, values, op->count, last_offset_out);
    free(values);
    if (err != KS_OK) {
        env_logf(ctrl->env, ENV_LOG_WARN, "controller append failed: %s", ks_err_name(err));
        ctrl_lose_leadership(ctrl);
        return KS_ERR_NOT_CONTROLLER;
    }
    KS_ASSERT(*last_offset_out == ctrl->last_appended_offset);
    return KS_OK;
}

/* ---- pending responses ------------------------------------------------------------ */

static void create_response_free(struct api_create_topics_response *r)
{
    for (uint32_t i = 0; i < r->topic_count; i++)
        free((char *)r->topics[i].name.chars);
    free(r->topics);
    free(r);
}

static void delete_response_free(struct api_delete_topics_response *r)
{
    for (uint32_t i = 0; i < r->result_count; i++)
        free((char *)r->results[i].name.chars);
    free(r->results);
    free(r);
}

/* Calls the callback with the response (error replaced when err != KS_OK), frees. */
static void pending_deliver(struct pending *p, enum ks_err err)
{
    switch (p->kind) {
    case PENDING_REGISTRATION:
        if (err != KS_OK) {
            p->u.registration.error_code = (int16_t)err;
            p->u.registration.broker_epoch = -1;
        }
        ((ctrl_registration_done_fn)p->done)(p->done_ctx, &p->u.registration);
        break;
    case PENDING_HEARTBEAT:
        if (err != KS_OK)
            p->u.heartbeat.error_code = (int16_t)err;
        ((ctrl_heartbeat_done_fn)p->done)(p->done_ctx, &p->u.heartbeat);
        break;
    case PENDING_CREATE_TOPICS:
        for (uint32_t i = 0; err != KS_OK && i < p->u.create->topic_count; i++)
            p->u.create->topics[i].error_code = (int16_t)err;
        ((ctrl_create_topics_done_fn)p->done)(p->done_ctx, p->u.create);
        create_response_free(p->u.create);
        break;
    case PENDING_DELETE_TOPICS:
        for (uint32_t i = 0; err != KS_OK && i < p->u.del->result_count; i++)
            p->u.del->results[i].error_code = (int16_t)err;
        ((ctrl_delete_topics_done_fn)p->done)(p->done_ctx, p->u.del);
        delete_response_free(p->u.del);
        break;
    case PENDING_ALTER_PARTITION:
        if (err != KS_OK)
            p->u.alter.error_code = (int16_t)err;
        ((ctrl_alter_partition_done_fn)p->done)(p->done_ctx, &p->u.alter);
        break;
    }
}

/* Parks a response until offset commits (at once when it already has). */
static void pending_push(struct ctrl *ctrl, struct pending *p)
{
    if (ctrl->committed.offset >= p->offset) {
        pending_deliver(p, KS_OK);
        return;
    }
    KS_ASSERT(ctrl->pending_count < CTRL_PENDING_MAX);
    uint32_t slot = (ctrl->pending_head + ctrl->pending_count) % CTRL_PENDING_MAX;
    ctrl->pending[slot] = *p;
    ctrl->pending_count++;
}

/* Delivers every response whose records are committed up to offset (err KS_OK), or
 * all of them (with err) when offset is INT64_MAX. */
static void pending_complete(struct ctrl *ctrl, int64_t offset, enum ks_err err)
{
    uint32_t delivered = 0;
    while (ctrl->pending_count > 0) {
        KS_ASSERT(delivered++ < CTRL_PENDING_MAX);
        struct pending p = ctrl->pending[ctrl->pending_head];
        if (p.offset > offset)
            break;
        ctrl->pending_head = (ctrl->pending_head + 1) % CTRL_PENDING_MAX;
        ctrl->pending_count--;
        pending_deliver(&p, err);
    }
}

/*
 * Finishes an operation: with records, appends them and parks the response until
 * they commit; without, answers at once. The response in *p is taken over.
 */
static void op_finish(struct ctrl *ctrl, struct op *op, struct pending *p)
{
    int64_t last_offset;
    enum ks_err err = KS_OK;
    if (op->too_many)
        err = KS_ERR_POLICY_VIOLATION;
    else if (op->count > 0 && ctrl->pending_count >= CTRL_PENDING_MAX)
        err = KS_ERR_REQUEST_TIMED_OUT;
    else if (op->count > 0)
        err = op_append(ctrl, op, &last_offset);
    uint32_t count = op->count;
    op_free(op);
    if (err != KS_OK || count == 0) {
        pending_deliver(p, err);
        return;
    }
    p->offset = last_offset;
    pending_push(ctrl, p);
}

/* ---- sessions --------------------------------------------------------------------- */

static struct session *session_get(struct ctrl *ctrl, int32_t broker_id, bool create)
{
    uint32_t slot = 0;
    while (slot < ctrl->session_count && ctrl->sessions[slot].broker_id < broker_id)
        slot++;
    if (slot < ctrl->session_count && ctrl->sessions[slot].broker_id == broker_id)
        return &ctrl->sessions[slot];
    if (!create)
        return NULL;
    KS_ASSERT(ctrl->session_count < MIMAGE_BROKERS_MAX);
    memmove(&ctrl->sessions[slot + 1], &ctrl->sessions[slot],
            sizeof(ctrl->sessions[0]) * (ctrl->session_count - slot));
    ctrl->session_count++;
    ctrl->sessions[slot].broker_id = broker_id;
    ctrl->sessions[slot].last_contact_ns = env_mono_ns(ctrl->env);
    ctrl->sessions[slot].controlled_shutdown_offset = -1;
    return &ctrl->sessions[slot];
}

static bool session_expired(const struct ctrl *ctrl, const struct session *s, uint64_t now_ns,
                            uint64_t slack_ms)
{
    uint64_t limit_ns = ((uint64_t)ctrl->config.session_timeout_ms + slack_ms) * CTRL_NS_PER_MS;
    return now_ns > s->last_contact_ns && now_ns - s->last_contact_ns > limit_ns;
}

static void pchange_context_for(const struct ctrl *ctrl, struct pchange_context *pc)
{
    pchange_context_init(pc, &ctrl->working, ctrl->config.unclean_leader_election);
    pc->bug_elect_outside_isr = env_bug(ctrl->env, KS_BUG_CTRL_ELECT_OUTSIDE_ISR);
}

/* Fence record plus the partition changes taking the broker out (handleBrokerFenced). */
static void op_fence(const struct ctrl *ctrl, struct op *op, const struct mimage_broker *b)
{
    struct pchange_context pc;
    struct mrec rec;
    pchange_context_for(ctrl, &pc);
    pc.broker_going_down = b->id;
    mrec_init(&rec, MREC_FENCE_BROKER);
    rec.u.fence_broker.broker_id = b->id;
    rec.u.fence_broker.broker_epoch = b->epoch;
    op_add(op, &rec);
    pchange_broker_down(&pc, op_emit, op);
}

static void session_fence_done(void *ctx, const struct api_broker_heartbeat_response *r)
{
    (void)ctx;
    (void)r;
}

/* Fences every unfenced broker whose session expired (maybeFenceOneStaleBroker). */
void ctrl_check_sessions_now(struct ctrl *ctrl)
{
    uint64_t now_ns = env_mono_ns(ctrl->env);
    if (!ctrl->active || env_bug(ctrl->env, KS_BUG_CTRL_NO_FENCING))
        return;
    for (uint32_t i = 0; i < ctrl->working.broker_count && ctrl->active; i++) {
        const struct mimage_broker *b = &ctrl->working.brokers[i];
        struct session *s = session_get(ctrl, b->id, true);
        if (b->fenced || !session_expired(ctrl, s, now_ns, 0))
            continue;
        env_tracef(ctrl->env, "ctrl.fence", "broker %d fenced: no heartbeat for %llu ms",
                   (int)b->id,
                   (unsigned long long)((now_ns - s->last_contact_ns) / CTRL_NS_PER_MS));
        struct op op;
        struct pending p = {.kind = PENDING_HEARTBEAT, .done = (void *)session_fence_done};
        op_init(&op);
        op_fence(ctrl, &op, b);
        op_finish(ctrl, &op, &p);
    }
}

static void ctrl_on_timer(void *ctx)
{
    struct ctrl *ctrl = ctx;
    KS_ASSERT(ctrl->timer != 0);
    ctrl->timer = 0;
    ctrl_check_sessions_now(ctrl);
    if (ctrl->active)
        ctrl->timer = env_timer_start(ctrl->env, CTRL_SESSION_CHECK_INTERVAL_MS * CTRL_NS_PER_MS,
                                      ctrl_on_timer, ctrl);
}

/* ---- life cycle and leadership ----------------------------------------------------- */

struct ctrl *ctrl_create(struct env *env, const struct ctrl_config *config,
                         const struct ctrl_log *log)
{
    KS_ASSERT(log->append != NULL && log->next_offset != NULL);
    KS_ASSERT(config->session_timeout_ms > 0);
    struct ctrl *ctrl = ks_alloc(sizeof(*ctrl));
    ctrl->env = env;
    ctrl->config = *config;
    ctrl->log = *log;
    mimage_init(&ctrl->committed);
    mimage_init(&ctrl->working);
    ctrl->last_appended_offset = -1;
    return ctrl;
}

static void ctrl_lose_leadership(struct ctrl *ctrl)
{
    if (!ctrl->active)
        return;
    ctrl->active = false;
    if (ctrl->timer != 0)
        env_timer_cancel(ctrl->env, ctrl->timer);
    ctrl->timer = 0;
    pending_complete(ctrl, INT64_MAX, KS_ERR_NOT_CONTROLLER);
    env_tracef(ctrl->env, "ctrl.role", "controller %d renounces epoch %d",
               (int)ctrl->config.node_id, (int)ctrl->epoch);
    KS_ASSERT(ctrl->pending_count == 0);
}

void ctrl_stop(struct ctrl *ctrl)
{
    ctrl_lose_leadership(ctrl);
}

void ctrl_free(struct ctrl *ctrl)
{
    if (ctrl == NULL)
        return;
    for (uint32_t i = 0; i < ctrl->pending_count; i++) {
        struct pending *p = &ctrl->pending[(ctrl->pending_head + i) % CTRL_PENDING_MAX];
        if (p->kind == PENDING_CREATE_TOPICS)
            create_response_free(p->u.create);
        if (p->kind == PENDING_DELETE_TOPICS)
            delete_response_free(p->u.del);
    }
    mimage_free(&ctrl->committed);
    mimage_free(&ctrl->working);
    free(ctrl);
}

void ctrl_become_leader(struct ctrl *ctrl, int32_t epoch)
{
    KS_ASSERT(!ctrl->active);
    KS_ASSERT(epoch > ctrl->epoch || ctrl->epoch == 0);
    ctrl->active = true;
    ctrl->epoch = epoch;
    ctrl->last_appended_offset = ctrl->committed.offset;
    mimage_copy(&ctrl->working, &ctrl->committed);
    /* A new active controller gives every broker a fresh session (Kafka does too). */
    ctrl->session_count = 0;
    for (uint32_t i = 0; i < ctrl->working.broker_count; i++)
        (void)session_get(ctrl, ctrl->working.brokers[i].id, true);
    ctrl->timer = env_timer_start(ctrl->env, CTRL_SESSION_CHECK_INTERVAL_MS * CTRL_NS_PER_MS,
                                  ctrl_on_timer, ctrl);
    env_tracef(ctrl->env, "ctrl.role", "controller %d active in epoch %d at offset %lld",
               (int)ctrl->config.node_id, (int)epoch, (long long)ctrl->committed.offset);
}

void ctrl_load_image(struct ctrl *ctrl, const struct mimage *img)
{
    KS_ASSERT(!ctrl->active);
    mimage_copy(&ctrl->committed, img);
    KS_ASSERT(ctrl->committed.offset == img->offset);
}

void ctrl_renounce(struct ctrl *ctrl)
{
    ctrl_lose_leadership(ctrl);
}

bool ctrl_is_active(const struct ctrl *ctrl)
{
    return ctrl->active;
}
const struct mimage *ctrl_committed_image(const struct ctrl *ctrl)
{
    return &ctrl->committed;
}
const struct mimage *ctrl_working_image(const struct ctrl *ctrl)
{
    return ctrl->active ? &ctrl->working : &ctrl->committed;
}

enum ks_err ctrl_commit(struct ctrl *ctrl, int64_t offset, const uint8_t *value,
                        uint32_t size_bytes)
{
    if (offset <= ctrl->committed.offset)
        return KS_OK; /* already applied (a replay after a snapshot, say) */
    enum ks_err err = mimage_apply_value(&ctrl->committed, offset, value, size_bytes);
    if (err != KS_OK) {
        char text[256];
        (void)mrec_describe(value, size_bytes, text, sizeof(text));
        env_logf(ctrl->env, ENV_LOG_ERROR, "committed record at %lld not applied (%s): %s",
                 (long long)offset, ks_err_name(err), text);
    }
    if (!ctrl->active) {
        /* the working image is rebuilt when this node becomes leader */
    } else if (offset > ctrl->last_appended_offset) {
        ctrl_lose_leadership(ctrl); /* someone else wrote: we cannot be leading */
    } else {
        pending_complete(ctrl, offset, KS_OK);
    }
    return err;
}

enum ks_err ctrl_commit_batches(struct ctrl *ctrl, const uint8_t *bytes, uint32_t size_bytes)
{
    uint32_t position = 0;
    enum ks_err first_err = KS_OK;
    while (position < size_bytes) {
        struct rb_batch batch;
        enum ks_err err = rb_decode(bytes + position, size_bytes - position, &batch);
        if (err != KS_OK)
            return err;
        position += batch.size_bytes;
        if ((batch.header.attributes & RB_ATTR_CONTROL) == 0) {
            struct rb_iter it;
            struct rb_record rec;
            rb_iter_init(&it, &batch);
            while (rb_iter_next(&it, &rec)) {
                err = ctrl_commit(ctrl, rec.offset, rec.value, rec.value_size);
                first_err = first_err == KS_OK ? err : first_err;
            }
        }
        rb_batch_release(&batch);
    }
    return first_err;
}

/* ---- BrokerRegistration (ClusterControlManager.registerBroker) --------------------- */

static enum ks_err registration_check(struct ctrl *ctrl,
                                      const struct api_broker_registration_request *req)
{
    if (!ctrl->active)
        return KS_ERR_NOT_CONTROLLER;
    if (ctrl->config.cluster_id[0] != '\0' &&
        !wire_string_equal_cstr(req->cluster_id, ctrl->config.cluster_id))
        return KS_ERR_INCONSISTENT_CLUSTER_ID;
    if (req->broker_id < 0 || req->listener_count > MREC_ENDPOINTS_MAX ||
        req->feature_count > MREC_FEATURES_MAX)
        return KS_ERR_INVALID_REQUEST;
    const struct mimage_broker *b = mimage_broker_find(&ctrl->working, req->broker_id);
    struct session *s = session_get(ctrl, req->broker_id, false);
    bool live = b != NULL && s != NULL && !session_expired(ctrl, s, env_mono_ns(ctrl->env), 0);
    if (live && memcmp(b->incarnation_id.bytes, req->incarnation_id.bytes, WIRE_UUID_SIZE) != 0)
        return KS_ERR_DUPLICATE_BROKER_REGISTRATION;
    if (b == NULL && ctrl->working.broker_count >= MIMAGE_BROKERS_MAX)
        return KS_ERR_INVALID_REQUEST;
    return KS_OK;
}

static void registration_record(const struct api_broker_registration_request *req, int64_t epoch,
                                struct mrec *rec)
{
    mrec_init(rec, MREC_REGISTER_BROKER);
    rec->version = CTRL_REGISTER_BROKER_VERSION;
    struct mrec_register_broker *r = &rec->u.register_broker;
    r->broker_id = req->broker_id;
    r->incarnation_id = req->incarnation_id;
    r->broker_epoch = epoch;
    r->endpoint_count = req->listener_count;
    for (uint32_t i = 0; i < req->listener_count; i++) {
        r->endpoints[i].name = req->listeners[i].name;
        r->endpoints[i].host = req->listeners[i].host;
        r->endpoints[i].port = req->listeners[i].port;
        r->endpoints[i].security_protocol = req->listeners[i].security_protocol;
    }
    r->feature_count = req->feature_count;
    for (uint32_t i = 0; i < req->feature_count; i++) {
        r->features[i].name = req->features[i].name;
        r->features[i].version_min = req->features[i].version_min;
        r->features[i].version_max = req->features[i].version_max;
    }
    r->rack = req->rack;
    r->fenced = true;
}

void ctrl_broker_registration(struct ctrl *ctrl, const struct api_broker_registration_request *req,
                              ctrl_registration_done_fn done, void *done_ctx)
{
    struct pending p = {.kind = PENDING_REGISTRATION, .done = (void *)done, .done_ctx = done_ctx};
    struct op op;
    struct mrec rec;
    p.u.registration.broker_epoch = -1;
    enum ks_err err = registration_check(ctrl, req);
    if (err != KS_OK) {
        p.u.registration.error_code = (int16_t)err;
        pending_deliver(&p, KS_OK);
        return;
    }
    op_init(&op);
    const struct mimage_broker *old = mimage_broker_find(&ctrl->working, req->broker_id);
    if (old != NULL && !old->fenced) { /* the old incarnation leads nothing any more */
        struct pchange_context pc;
        pchange_context_for(ctrl, &pc);
        pc.broker_going_down = old->id;
        pchange_broker_down(&pc, op_emit, &op);
    }
    int64_t epoch = ctrl->log.next_offset(ctrl->log.ctx) + op.count;
    registration_record(req, epoch, &rec);
    op_add(&op, &rec);
    struct session *s = session_get(ctrl, req->broker_id, true);
    s->last_contact_ns = env_mono_ns(ctrl->env);
    s->controlled_shutdown_offset = -1;
    p.u.registration.broker_epoch = epoch;
    env_tracef(ctrl->env, "ctrl.register", "broker %d registered with epoch %lld",
               (int)req->broker_id, (long long)epoch);
    op_finish(ctrl, &op, &p);
}

/* ---- BrokerHeartbeat (ClusterControlManager, BrokerHeartbeatManager) --------------- */

static bool broker_leads_any(const struct mimage *img, int32_t broker_id)
{
    for (uint32_t t = 0; t < img->topic_count; t++) {
        for (uint32_t i = 0; i < img->topics[t].partition_count; i++) {
            if (img->topics[t].partitions[i].leader == broker_id)
                return true;
        }
    }
    return false;
}

/* Unfence record plus elections for its leaderless partitions (handleBrokerUnfenced). */
static void op_unfence(const struct ctrl *ctrl, struct op *op, const struct mimage_broker *b)
{
    struct pchange_context pc;
    struct mrec rec;
    pchange_context_for(ctrl, &pc);
    pc.broker_coming_up = b->id;
    mrec_init(&rec, MREC_UNFENCE_BROKER);
    rec.u.unfence_broker.broker_id = b->id;
    rec.u.unfence_broker.broker_epoch = b->epoch;
    op_add(op, &rec);
    pchange_broker_up(&pc, op_emit, op);
}

/* InControlledShutdown, and leaders and ISRs move away (handleBrokerInControlledShutdown). */
static void op_controlled_shutdown(const struct ctrl *ctrl, struct op *op,
                                   const struct mimage_broker *b)
{
    struct pchange_context pc;
    struct mrec rec;
    pchange_context_for(ctrl, &pc);
    pc.broker_going_down = b->id;
    mrec_init(&rec, MREC_BROKER_REGISTRATION_CHANGE);
    rec.version = CTRL_REGISTRATION_CHANGE_VERSION;
    rec.u.registration_change.broker_id = b->id;
    rec.u.registration_change.broker_epoch = b->epoch;
    rec.u.registration_change.in_controlled_shutdown = 1;
    op_add(op, &rec);
    pchange_broker_down(&pc, op_emit, op);
}

static enum ks_err heartbeat_check(struct ctrl *ctrl,
                                   const struct api_broker_heartbeat_request *req)
{
    if (!ctrl->active)
        return KS_ERR_NOT_CONTROLLER;
    const struct mimage_broker *b = mimage_broker_find(&ctrl->working, req->broker_id);
    if (b == NULL)
        return KS_ERR_BROKER_ID_NOT_REGISTERED;
    if (b->epoch != req->broker_epoch)
        return KS_ERR_STALE_BROKER_EPOCH;
    return KS_OK;
}

/* Decides the broker's next state; fills the response as it will be after the op. */
static void heartbeat_decide(struct ctrl *ctrl, const struct api_broker_heartbeat_request *req,
                             const struct mimage_broker *b, struct op *op,
                             struct api_broker_heartbeat_response *r)
{
    struct session *s = session_get(ctrl, b->id, true);
    r->is_caught_up = req->current_metadata_offset >= b->epoch;
    r->is_fenced = b->fenced;
    if (b->fenced) {
        r->should_shut_down = req->want_shut_down;
        if (!req->want_shut_down && !req->want_fence && r->is_caught_up) {
            op_unfence(ctrl, op, b);
            r->is_fenced = false;
        }
        return;
    }
    if (req->want_fence) {
        op_fence(ctrl, op, b);
        r->is_fenced = true;
        return;
    }
    if (!req->want_shut_down)
        return;
    if (!b->in_controlled_shutdown) {
        op_controlled_shutdown(ctrl, op, b);
        s->controlled_shutdown_offset = ctrl->log.next_offset(ctrl->log.ctx) + op->count - 1;
        return;
    }
    r->should_shut_down = s->controlled_shutdown_offset >= 0 &&
                          req->current_metadata_offset >= s->controlled_shutdown_offset &&
                          !broker_leads_any(&ctrl->working, b->id);
}

void ctrl_broker_heartbeat(struct ctrl *ctrl, const struct api_broker_heartbeat_request *req,
                           ctrl_heartbeat_done_fn done, void *done_ctx)
{
    struct pending p = {.kind = PENDING_HEARTBEAT, .done = (void *)done, .done_ctx = done_ctx};
    struct op op;
    p.u.heartbeat.is_fenced = true;
    enum ks_err err = heartbeat_check(ctrl, req);
    if (err != KS_OK) {
        p.u.heartbeat.error_code = (int16_t)err;
        pending_deliver(&p, KS_OK);
        return;
    }
    const struct mimage_broker *b = mimage_broker_find(&ctrl->working, req->broker_id);
    session_get(ctrl, b->id, true)->last_contact_ns = env_mono_ns(ctrl->env);
    op_init(&op);
    heartbeat_decide(ctrl, req, b, &op, &p.u.heartbeat);
    op_finish(ctrl, &op, &p);
}

/* ---- CreateTopics (ReplicationControlManager.createTopics) ------------------------- */

static const char *const topic_config_names[] = {
    "cleanup.policy",
    "compression.type",
    "delete.retention.ms",
    "file.delete.delay.ms",
    "flush.messages",
    "flush.ms",
    "follower.replication.throttled.replicas",
    "index.interval.bytes",
    "leader.replication.throttled.replicas",
    "local.retention.bytes",
    "local.retention.ms",
    "max.compaction.lag.ms",
    "max.message.bytes",
    "message.downconversion.enable",
    "message.format.version",
    "message.timestamp.after.max.ms",
    "message.timestamp.before.max.ms",
    "message.timestamp.difference.max.ms",
    "message.timestamp.type",
    "min.cleanable.dirty.ratio",
    "min.compaction.lag.ms",
    "min.insync.replicas",
    "preallocate",
    "remote.storage.enable",
    "retention.bytes",
    "retention.ms",
    "segment.bytes",
    "segment.index.bytes",
    "segment.jitter.ms",
    "segment.ms",
    "unclean.leader.election.enable",
};

/* Kafka's Topic.validate: 1-249 chars of [a-zA-Z0-9._-], not "." or "..". */
static bool topic_name_valid(struct wire_string name)
{
    if (name.length <= 0 || name.length > CTRL_TOPIC_NAME_LENGTH_MAX)
        return false;
    if (wire_string_equal_cstr(name, ".") || wire_string_equal_cstr(name, ".."))
        return false;
    for (int32_t i = 0; i < name.length; i++) {
        char c = name.chars[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

/* Whether an existing topic differs only by '.' versus '_' (Topic.hasCollision). */
static bool topic_name_collides(const struct mimage *img, struct wire_string name)
{
    for (uint32_t t = 0; t < img->topic_count; t++) {
        const char *other = img->topics[t].name;
        if ((int32_t)strlen(other) != name.length)
            continue;
        bool same = true;
        for (int32_t i = 0; i < name.length && same; i++) {
            char a = other[i] == '.' ? '_' : other[i];
            char b = name.chars[i] == '.' ? '_' : name.chars[i];
            same = a == b;
        }
        if (same)
            return true;
    }
    return false;
}

static enum ks_err topic_configs_check(const struct api_create_topics_topic *t)
{
    for (uint32_t i = 0; i < t->config_count; i++) {
        bool known = false;
        if (wire_string_is_null(t->configs[i].value))
            return KS_ERR_INVALID_REQUEST;
        for (uint32_t k = 0; k < KS_ARRAY_COUNT(topic_config_names) && !known; k++)
            known = wire_string_equal_cstr(t->configs[i].name, topic_config_names[k]);
        if (!known)
            return KS_ERR_INVALID_CONFIG;
    }
    return KS_OK;
}

/* A fresh topic id: not zero, not the metadata topic's, not starting with '-' in its
 * text form, unused (Uuid.randomUuid's rules). */
static struct wire_uuid topic_id_draw(struct ctrl *ctrl)
{
    struct wire_uuid id;
    for (uint32_t draw = 0;; draw++) {
        KS_ASSERT(draw < CTRL_TOPIC_ID_DRAWS_MAX);
        ks_be64_store(id.bytes, env_random(ctrl->env));
        ks_be64_store(id.bytes + 8, env_random(ctrl->env));
        bool metadata_id = true;
        for (uint32_t i = 0; i < WIRE_UUID_SIZE; i++)
            metadata_id = metadata_id && id.bytes[i] == (i == WIRE_UUID_SIZE - 1 ? 1 : 0);
        if (!wire_uuid_is_zero(&id) && !metadata_id && (id.bytes[0] >> 2) != 62 &&
            mimage_topic_find_id(&ctrl->working, &id) == NULL)
            return id;
    }
}

/* Usable brokers for placement: active ones, by id. Returns the count. */
static uint32_t usable_brokers(const struct mimage *img, struct placement_broker *out)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < img->broker_count && n < PLACEMENT_BROKERS_MAX; i++) {
        const struct mimage_broker *b = &img->brokers[i];
        if (b->fenced || b->in_controlled_shutdown)
            continue;
        out[n].id = b->id;
        out[n].rack = b->rack;
        n++;
    }
    return n;
}

/* A manual assignment: partitions 0..n-1 in order, distinct registered brokers, at
 * least one active broker each. Fills replicas (n x rf) and *rf. */
static enum ks_err assignments_check(const struct mimage *img,
                                     const struct api_create_topics_topic *t, int32_t *replicas,
                                     int16_t *rf)
{
    if (t->num_partitions != -1 || t->replication_factor != -1)
        return KS_ERR_INVALID_REQUEST;
    if (t->assignment_count > MIMAGE_PARTITIONS_MAX)
        return KS_ERR_INVALID_PARTITIONS;
    *rf = (int16_t)t->assignments[0].broker_id_count;
    for (uint32_t p = 0; p < t->assignment_count; p++) {
        const struct api_create_topics_assignment *a = &t->assignments[p];
        bool any_active = false;
        if (a->partition_index != (int32_t)p || a->broker_id_count == 0 ||
            a->broker_id_count != (uint32_t)*rf || a->broker_id_count > MREC_REPLICAS_MAX)
            return KS_ERR_INVALID_REPLICA_ASSIGNMENT;
        for (uint32_t r = 0; r < a->broker_id_count; r++) {
            int32_t id = a->broker_ids[r];
            for (uint32_t k = 0; k < r; k++) {
                if (a->broker_ids[k] == id)
                    return KS_ERR_INVALID_REPLICA_ASSIGNMENT;
            }
            if (mimage_broker_find(img, id) == NULL)
                return KS_ERR_INVALID_REPLICA_ASSIGNMENT;
            any_active = any_active || mimage_broker_active(img, id);
            replicas[p * (uint32_t)*rf + r] = id;
        }
        if (!any_active)
            return KS_ERR_INVALID_REPLICA_ASSIGNMENT;
    }
    return KS_OK;
}

struct topic_plan {
    int32_t partitions;
    int16_t rf;
    int32_t *replicas; /* partitions x rf */
};

static enum ks_err topic_plan_make(struct ctrl *ctrl, const struct api_create_topics_topic *t,
                                   struct topic_plan *plan)
{
    if (t->assignment_count > 0) {
        plan->partitions = (int32_t)t->assignment_count;
        plan->replicas = ks_alloc(sizeof(int32_t) * t->assignment_count * MREC_REPLICAS_MAX);
        return assignments_check(&ctrl->working, t, plan->replicas, &plan->rf);
    }
    plan->partitions =
        t->num_partitions == -1 ? ctrl->config.default_partitions : t->num_partitions;
    plan->rf = t->replication_factor == -1 ? ctrl->config.default_replication_factor
                                           : t->replication_factor;
    if (plan->partitions <= 0 || (uint32_t)plan->partitions > MIMAGE_PARTITIONS_MAX)
        return KS_ERR_INVALID_PARTITIONS;
    if (plan->rf <= 0 || (uint32_t)plan->rf > MREC_REPLICAS_MAX)
        return KS_ERR_INVALID_REPLICATION_FACTOR;
    struct placement_broker *brokers =
        ks_alloc(sizeof(*brokers) * (ctrl->working.broker_count + 1));
    uint32_t n = usable_brokers(&ctrl->working, brokers);
    plan->replicas = ks_alloc(sizeof(int32_t) * (size_t)plan->partitions * (uint32_t)plan->rf);
    uint64_t start = env_random(ctrl->env), shift = env_random(ctrl->env);
    enum ks_err err =
        placement_place(brokers, n, plan->partitions, plan->rf, start, shift, plan->replicas);
    free(brokers);
    return err;
}

/* TopicRecord, ConfigRecords, PartitionRecords for one planned topic. */
static void topic_records(const struct ctrl *ctrl, const struct api_create_topics_topic *t,
                          const struct topic_plan *plan, const struct wire_uuid *id, struct op *op)
{
    struct mrec rec;
    mrec_init(&rec, MREC_TOPIC);
    rec.u.topic.name = t->name;
    rec.u.topic.topic_id = *id;
    op_add(op, &rec);
    for (uint32_t i = 0; i < t->config_count; i++) {
        mrec_init(&rec, MREC_CONFIG);
        rec.u.config.resource_type = MREC_CONFIG_RESOURCE_TOPIC;
        rec.u.config.resource_name = t->name;
        rec.u.config.name = t->configs[i].name;
        rec.u.config.value = t->configs[i].value;
        op_add(op, &rec);
    }
    for (int32_t p = 0; p < plan->partitions; p++) {
        mrec_init(&rec, MREC_PARTITION);
        struct mrec_partition *part = &rec.u.partition;
        part->partition_id = p;
        part->topic_id = *id;
        part->replicas.count = plan->rf;
        part->isr.count = 0;
        for (int16_t r = 0; r < plan->rf; r++) {
            int32_t b = plan->replicas[(size_t)p * (uint32_t)plan->rf + (uint32_t)r];
            part->replicas.ids[r] = b;
            if (mimage_broker_active(&ctrl->working, b))
                part->isr.ids[part->isr.count++] = b;
        }
        part->leader = part->isr.count > 0 ? part->isr.ids[0] : MREC_NO_LEADER;
        part->leader_epoch = 0;
        part->partition_epoch = 0;
        op_add(op, &rec);
    }
}

static bool request_has_duplicate(const struct api_create_topics_request *req, uint32_t index)
{
    for (uint32_t i = 0; i < req->topic_count; i++) {
        if (i != index && wire_string_equal(req->topics[i].name, req->topics[index].name))
            return true;
    }
    return false;
}

static enum ks_err create_topic_check(struct ctrl *ctrl,
                                      const struct api_create_topics_request *req, uint32_t index)
{
    const struct api_create_topics_topic *t = &req->topics[index];
    if (!topic_name_valid(t->name))
        return KS_ERR_INVALID_TOPIC_EXCEPTION;
    if (request_has_duplicate(req, index))
        return KS_ERR_INVALID_REQUEST;
    if (mimage_topic_find_name(&ctrl->working, t->name.chars, (uint32_t)t->name.length) != NULL)
        return KS_ERR_TOPIC_ALREADY_EXISTS;
    if (topic_name_collides(&ctrl->working, t->name))
        return KS_ERR_INVALID_TOPIC_EXCEPTION;
    return topic_configs_check(t);
}

static void create_topic(struct ctrl *ctrl, const struct api_create_topics_request *req,
                         uint32_t index, struct api_create_topics_result *result, struct op *op)
{
    const struct api_create_topics_topic *t = &req->topics[index];
    struct topic_plan plan = {0};
    enum ks_err err = create_topic_check(ctrl, req, index);
    if (err == KS_OK)
        err = topic_plan_make(ctrl, t, &plan);
    result->error_code = (int16_t)err;
    result->error_message =
        err == KS_OK ? wire_string_null() : wire_string_from(ks_err_name(err));
    if (err == KS_OK) {
        result->topic_id = topic_id_draw(ctrl);
        result->num_partitions = plan.partitions;
        result->replication_factor = plan.rf;
        if (!req->validate_only)
            topic_records(ctrl, t, &plan, &result->topic_id, op);
    }
    free(plan.replicas);
}

void ctrl_create_topics(struct ctrl *ctrl, const struct api_create_topics_request *req,
                        ctrl_create_topics_done_fn done, void *done_ctx)
{
    struct pending p = {.kind = PENDING_CREATE_TOPICS, .done = (void *)done, .done_ctx = done_ctx};
    struct api_create_topics_response *r = ks_alloc(sizeof(*r));
    struct op op;
    r->topic_count = req->topic_count;
    r->topics = ks_alloc(sizeof(*r->topics) * (req->topic_count + 1));
    p.u.create = r;
    op_init(&op);
    for (uint32_t i = 0; i < req->topic_count; i++) {
        struct api_create_topics_result *result = &r->topics[i];
        struct wire_string name = req->topics[i].name;
        char *copy = ks_alloc(name.length > 0 ? (size_t)name.length + 1 : 1);
        if (name.length > 0)
            memcpy(copy, name.chars, (size_t)name.length);
        result->name = (struct wire_string){copy, name.length > 0 ? name.length : 0};
        result->num_partitions = -1;
        result->replication_factor = -1;
        result->error_message = wire_string_null();
        if (!ctrl->active)
            result->error_code = (int16_t)KS_ERR_NOT_CONTROLLER;
        else
            create_topic(ctrl, req, i, result, &op);
    }
    op_finish(ctrl, &op, &p);
}

/* ---- DeleteTopics (ReplicationControlManager.deleteTopics) ------------------------- */

static const struct mimage_topic *delete_target(const struct ctrl *ctrl, int16_t version,
                                                const struct api_delete_topics_topic *t,
                                                enum ks_err *err)
{
    const struct mimage_topic *topic;
    if (version < API_DELETE_TOPICS_TOPIC_IDS_VERSION_FIRST || !wire_string_is_null(t->name)) {
        topic = t->name.length > 0 ? mimage_topic_find_name(&ctrl->working, t->name.chars,
                                                            (uint32_t)t->name.length)
                                   : NULL;
        *err = topic == NULL ? KS_ERR_UNKNOWN_TOPIC_OR_PARTITION : KS_OK;
        return topic;
    }
    topic = mimage_topic_find_id(&ctrl->working, &t->topic_id);
    *err = topic == NULL ? KS_ERR_UNKNOWN_TOPIC_ID : KS_OK;
    return topic;
}

static void delete_topic(struct ctrl *ctrl, int16_t version,
                         const struct api_delete_topics_request *req, uint32_t index,
                         struct api_delete_topics_result *result, struct op *op)
{
    enum ks_err err;
    const struct mimage_topic *topic = delete_target(ctrl, version, &req->topics[index], &err);
    for (uint32_t i = 0; topic != NULL && i < req->topic_count; i++) {
        enum ks_err other_err;
        if (i != index && delete_target(ctrl, version, &req->topics[i], &other_err) == topic)
            err = KS_ERR_INVALID_REQUEST; /* named twice */
    }
    result->error_code = (int16_t)err;
    result->error_message =
        err == KS_OK ? wire_string_null() : wire_string_from(ks_err_name(err));
    if (topic == NULL)
        return;
    result->name = (struct wire_string){ks_strdup(topic->name), (int32_t)strlen(topic->name)};
    result->topic_id = topic->id;
    if (err != KS_OK)
        return;
    struct mrec rec;
    mrec_init(&rec, MREC_REMOVE_TOPIC);
    rec.u.remove_topic.topic_id = topic->id;
    op_add(op, &rec);
    env_tracef(ctrl->env, "ctrl.delete", "topic %s deleted", topic->name);
}

void ctrl_delete_topics(struct ctrl *ctrl, int16_t version,
                        const struct api_delete_topics_request *req,
                        ctrl_delete_topics_done_fn done, void *done_ctx)
{
    struct pending p = {.kind = PENDING_DELETE_TOPICS, .done = (void *)done, .done_ctx = done_ctx};
    struct api_delete_topics_response *r = ks_alloc(sizeof(*r));
    struct op op;
    r->result_count = req->topic_count;
    r->results = ks_alloc(sizeof(*r->results) * (req->topic_count + 1));
    p.u.del = r;
    op_init(&op);
    for (uint32_t i = 0; i < req->topic_count; i++) {
        struct api_delete_topics_result *result = &r->results[i];
        struct wire_string name = req->topics[i].name;
        result->topic_id = req->topics[i].topic_id;
        result->name = wire_string_null();
        if (!wire_string_is_null(name)) {
            char *copy = ks_alloc((size_t)name.length + 1);
            memcpy(copy, name.chars, (size_t)name.length);
            result->name = (struct wire_string){copy, name.length};
        }
        if (!ctrl->active) {
            result->error_code = (int16_t)KS_ERR_NOT_CONTROLLER;
            continue;
        }
        char *asked = (char *)result->name.chars;
        delete_topic(ctrl, version, req, i, result, &op);
        if (asked != result->name.chars)
            free(asked);
    }
    op_finish(ctrl, &op, &p);
}

/* ---- AlterPartition (ReplicationControlManager.alterPartition) --------------------- */

static void alter_result_fill(const struct mimage *img, const struct pchange_alter *alter,
                              struct ctrl_alter_partition_result *r)
{
    const struct mimage_topic *topic = mimage_topic_find_id(img, &alter->topic_id);
    KS_ASSERT(topic != NULL);
    KS_ASSERT((uint32_t)alter->partition_id < topic->partition_count);
    const struct mimage_partition *p = &topic->partitions[alter->partition_id];
    r->leader_id = p->leader;
    r->leader_epoch = p->leader_epoch;
    r->isr_count = p->isr_count;
    memcpy(r->isr, p->isr, sizeof(int32_t) * p->isr_count);
    r->partition_epoch = p->partition_epoch;
}

void ctrl_alter_partition(struct ctrl *ctrl, const struct pchange_alter *alter,
                          int64_t broker_epoch, ctrl_alter_partition_done_fn done, void *done_ctx)
{
    struct pending p = {
        .kind = PENDING_ALTER_PARTITION, .done = (void *)done, .done_ctx = done_ctx};
    struct pchange_context pc;
    struct mrec rec;
    struct op op;
    bool has_record = false;
    enum ks_err err = KS_OK;
    const struct mimage_broker *b = mimage_broker_find(&ctrl->working, alter->broker_id);
    if (!ctrl->active)
        err = KS_ERR_NOT_CONTROLLER;
    else if (b == NULL || b->epoch != broker_epoch)
        err = KS_ERR_STALE_BROKER_EPOCH;
    if (err == KS_OK) {
        pchange_context_for(ctrl, &pc);
        err = pchange_alter_partition(&pc, alter, &rec, &has_record);
    }
    p.u.alter.error_code = (int16_t)err;
    p.u.alter.leader_id = -1;
    p.u.alter.leader_epoch = -1;
    op_init(&op);
    if (has_record) {
        op_add(&op, &rec);
        if (rec.u.partition_change.leader != MREC_NO_LEADER_CHANGE)
            p.u.alter.error_code = (int16_t)KS_ERR_NEW_LEADER_ELECTED;
    }
    if (err == KS_OK) {
        /* the result is the partition after the change: apply it first */
        uint32_t count = op.count;
        int64_t last_offset = -1;
        enum ks_err append_err = count > 0 ? op_append(ctrl, &op, &last_offset) : KS_OK;
        op_free(&op);
        if (append_err == KS_OK)
            alter_result_fill(&ctrl->working, alter, &p.u.alter);
        if (append_err != KS_OK || count == 0) {
            pending_deliver(&p, append_err);
            return;
        }
        p.offset = last_offset;
        pending_push(ctrl, &p);
        return;
    }
    op_free(&op);
    pending_deliver(&p, KS_OK);
}

/* ---- invariants -------------------------------------------------------------------- */

bool ctrl_check_leader_in_isr(const struct mimage *img, char *why, size_t why_size)
{
    for (uint32_t t = 0; t < img->topic_count; t++) {
        const struct mimage_topic *topic = &img->topics[t];
        for (uint32_t i = 0; i < topic->partition_count; i++) {
            const struct mimage_partition *p = &topic->partitions[i];
            const struct mimage_broker *b = mimage_broker_find(img, p->leader);
            const char *what = NULL;
            if (p->leader == MREC_NO_LEADER)
                continue;
            if (!mimage_partition_in_isr(p, p->leader))
                what = "is not in the ISR";
            else if (b == NULL)
                what = "is not registered";
            else if (b->fenced)
                what = "is fenced";
            if (what != NULL) {
                snprintf(why, why_size, "%s-%u: leader %d %s (leader epoch %d)", topic->name, i,
                         (int)p->leader, what, (int)p->leader_epoch);
                return false;
            }
        }
    }
    return true;
}

bool ctrl_check_fencing(const struct ctrl *ctrl, uint64_t slack_ms, char *why, size_t why_size)
{
    uint64_t now_ns = env_mono_ns(ctrl->env);
    if (!ctrl->active)
        return true;
    /* The working image: a FenceBroker the controller has written but that cannot
     * commit yet (no majority reachable, until check-quorum makes it resign) counts:
     * committing is Raft's liveness, deciding to fence is the controller's. */
    for (uint32_t i = 0; i < ctrl->working.broker_count; i++) {
        const struct mimage_broker *b = &ctrl->working.brokers[i];
        const struct session *s = NULL;
        for (uint32_t k = 0; k < ctrl->session_count; k++) {
            if (ctrl->sessions[k].broker_id == b->id)
                s = &ctrl->sessions[k];
        }
        if (b->fenced || s == NULL || !session_expired(ctrl, s, now_ns, slack_ms))
            continue;
        snprintf(why, why_size, "broker %d unfenced %llu ms after its last heartbeat", (int)b->id,
                 (unsigned long long)((now_ns - s->last_contact_ns) / CTRL_NS_PER_MS));
        return false;
    }
    return true;
}
