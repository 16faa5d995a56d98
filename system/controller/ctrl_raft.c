/*
 * ctrl_raft.c: the controller on a KRaft voter, see ctrl_raft.h. Kafka:
 * QuorumController.QuorumMetaLogListener, SnapshotGenerator.
 */
#include "system/controller/ctrl_raft.h"

#include "system/controller/ctrl_srv.h"

#include <stdlib.h>
#include <string.h>

#define CTRL_RAFT_NS_PER_MS 1000000ull
#define CTRL_RAFT_REGISTER_BROKER_VERSION 1 /* carries InControlledShutdown */
#define CTRL_RAFT_NO_EPOCH 0

struct ctrl_raft {
    struct env *env;
    struct ctrl *ctrl;
    struct raft *raft;    /* NULL until attached */
    struct ctrl_log log;  /* the seam handed to ctrl */
    env_timer_id timer;   /* the leadership poll */
    int32_t active_epoch; /* the Raft epoch this node is active in, 0: inactive */
    int32_t last_epoch;   /* the last epoch it was active in: never twice (ctrl asserts) */
    struct ctrl_srv *srv; /* the controller's APIs on the voter's listener */
};

/* ---- the ctrl_log seam over raft_append ---- */

static int64_t ctrl_raft_next_offset(void *ctx)
{
    struct ctrl_raft *cr = ctx;
    KS_ASSERT(cr->raft != NULL);
    struct raft_status s;
    raft_status_get(cr->raft, &s);
    return s.log_end_offset;
}

static enum ks_err ctrl_raft_append(void *ctx, const struct ctrl_value *values, uint32_t count,
                                    int64_t *last_offset_out)
{
    struct ctrl_raft *cr = ctx;
    KS_ASSERT(cr->raft != NULL);
    KS_ASSERT(count > 0);
    struct raft_status s;
    raft_status_get(cr->raft, &s);
    if (s.state != RAFT_LEADER || s.epoch != cr->active_epoch)
        return KS_ERR_NOT_CONTROLLER;
    /* One operation's records go in one atomic batch; an operation too large for one
     * batch goes in as few batches as fit, in order (Kafka's QuorumController falls
     * back to a non-atomic append the same way). ctrl_value and raft_record_value
     * have the same fields. */
    struct raft_record_value *rv = ks_alloc(count * sizeof(*rv));
    for (uint32_t i = 0; i < count; i++)
        rv[i] = (struct raft_record_value){values[i].bytes, values[i].size_bytes};
    enum ks_err err = KS_OK;
    uint32_t done = 0;
    uint32_t chunk = count < RAFT_APPEND_RECORDS_MAX ? count : RAFT_APPEND_RECORDS_MAX;
    while (err == KS_OK && done < count) { /* bounded: each pass appends or halves chunk */
        uint32_t n = count - done < chunk ? count - done : chunk;
        int64_t last = -1;
        err = raft_append_records(cr->raft, rv + done, n, &last);
        if (err == KS_ERR_RECORD_LIST_TOO_LARGE && n > 1) {
            chunk = n / 2;
            err = KS_OK;
            continue;
        }
        if (err == KS_OK)
            done += n;
    }
    free(rv);
    if (err == KS_ERR_NOT_LEADER_OR_FOLLOWER)
        return KS_ERR_NOT_CONTROLLER;
    if (err != KS_OK)
        return err;
    raft_status_get(cr->raft, &s);
    *last_offset_out = s.log_end_offset - 1;
    KS_ASSERT(*last_offset_out >= 0);
    return KS_OK;
}

/* ---- leadership (handleLeaderChange) ---- */

/* The base offset of the leader's first batch in its epoch (its LeaderChange). */
static int64_t ctrl_raft_epoch_start(const struct raft *raft, int32_t epoch)
{
    const struct raft_log *log = raft_log_of(raft);
    uint32_t count = raft_log_batch_count(log);
    int64_t start = INT64_MAX;
    for (uint32_t j = count; j > 0; j--) { /* bounded by the batch count */
        const struct raft_log_batch *b = raft_log_batch_at(log, j - 1);
        if (b->epoch != epoch)
            break;
        start = b->base_offset;
    }
    return start;
}

static void ctrl_raft_check_leadership(struct ctrl_raft *cr)
{
    if (cr->raft == NULL)
        return;
    struct raft_status s;
    raft_status_get(cr->raft, &s);
    if (cr->active_epoch != CTRL_RAFT_NO_EPOCH &&
        (s.state != RAFT_LEADER || s.epoch != cr->active_epoch || !ctrl_is_active(cr->ctrl))) {
        cr->active_epoch = CTRL_RAFT_NO_EPOCH;
        ctrl_renounce(cr->ctrl);
    }
    if (cr->active_epoch != CTRL_RAFT_NO_EPOCH || s.state != RAFT_LEADER)
        return;
    int64_t start = ctrl_raft_epoch_start(cr->raft, s.epoch);
    if (start == INT64_MAX || s.applied_offset <= start || s.epoch <= cr->last_epoch)
        return; /* its LeaderChange is not committed and applied past yet */
    KS_ASSERT(!ctrl_is_active(cr->ctrl));
    cr->active_epoch = s.epoch;
    cr->last_epoch = s.epoch;
    ctrl_become_leader(cr->ctrl, s.epoch);
    KS_ASSERT(ctrl_is_active(cr->ctrl));
}

static void ctrl_raft_on_timer(void *ctx)
{
    struct ctrl_raft *cr = ctx;
    cr->timer = env_timer_start(cr->env, CTRL_RAFT_POLL_INTERVAL_MS * CTRL_RAFT_NS_PER_MS,
                                ctrl_raft_on_timer, cr);
    ctrl_raft_check_leadership(cr);
}

/* ---- the raft state machine ---- */

static void ctrl_raft_apply(void *ctx, int64_t offset, const uint8_t *value, uint32_t size)
{
    struct ctrl_raft *cr = ctx;
    char text[CTRL_RAFT_DESCRIBE_BYTES_MAX];
    (void)mrec_describe(value, size, text, sizeof(text));
    env_tracef(cr->env, "ctrl.apply", "offset %lld: %s", (long long)offset, text);
    enum ks_err err = ctrl_commit(cr->ctrl, offset, value, size);
    if (err != KS_OK) /* ctrl logged it; the record is skipped as Kafka's replay does */
        env_tracef(cr->env, "ctrl.apply_error", "offset %lld: %s", (long long)offset,
                   ks_err_name(err));
    ctrl_raft_check_leadership(cr);
    KS_ASSERT(ctrl_committed_image(cr->ctrl)->offset <= offset);
}

static uint32_t ctrl_raft_image(void *ctx, uint8_t *buf, uint32_t buf_bytes)
{
    struct ctrl_raft *cr = ctx;
    uint32_t size = ctrl_raft_image_encode(ctrl_committed_image(cr->ctrl), buf, buf_bytes);
    KS_ASSERT(size > 0); /* the image limits keep it under RAFT_SNAPSHOT_IMAGE_BYTES_MAX */
    return size;
}

static bool ctrl_raft_load(void *ctx, const uint8_t *image, uint32_t size)
{
    struct ctrl_raft *cr = ctx;
    struct mimage img;
    mimage_init(&img);
    enum ks_err err = ctrl_raft_image_decode(image, size, &img);
    if (err == KS_OK) {
        if (cr->active_epoch != CTRL_RAFT_NO_EPOCH)
            ctrl_renounce(cr->ctrl);
        cr->active_epoch = CTRL_RAFT_NO_EPOCH;
        ctrl_load_image(cr->ctrl, &img);
        env_tracef(cr->env, "ctrl.snapshot", "loaded image at offset %lld: %u brokers, %u topics",
                   (long long)img.offset, img.broker_count, img.topic_count);
    }
    mimage_free(&img);
    return err == KS_OK;
}

const struct raft_state_machine ctrl_raft_sm = {ctrl_raft_apply, ctrl_raft_image, ctrl_raft_load};

/* ---- life ---- */

struct ctrl_raft *ctrl_raft_create(struct env *env, const struct ctrl_config *config)
{
    struct ctrl_raft *cr = ks_alloc(sizeof(*cr));
    cr->env = env;
    cr->log = (struct ctrl_log){cr, ctrl_raft_next_offset, ctrl_raft_append};
    cr->ctrl = ctrl_create(env, config, &cr->log);
    KS_ASSERT(cr->ctrl != NULL);
    cr->srv = ctrl_srv_create(env, cr->ctrl, config->node_id, config->cluster_id);
    return cr;
}

void ctrl_raft_attach(struct ctrl_raft *cr, struct raft *raft)
{
    KS_ASSERT(cr->raft == NULL);
    KS_ASSERT(raft != NULL);
    cr->raft = raft;
    struct srv *listener = raft_srv(raft);
    if (listener != NULL) {
        struct srv_handler rows[CTRL_SRV_ROWS];
        uint32_t count = ctrl_srv_handlers_build(cr->srv, rows, CTRL_SRV_ROWS);
        for (uint32_t i = 0; i < count; i++)
            srv_handler_add(listener, &rows[i]);
    }
    cr->timer = env_timer_start(cr->env, CTRL_RAFT_POLL_INTERVAL_MS * CTRL_RAFT_NS_PER_MS,
                                ctrl_raft_on_timer, cr);
}

void ctrl_raft_stop(struct ctrl_raft *cr)
{
    if (cr->timer != 0)
        env_timer_cancel(cr->env, cr->timer);
    cr->timer = 0;
    cr->active_epoch = CTRL_RAFT_NO_EPOCH;
    ctrl_stop(cr->ctrl);
    KS_ASSERT(!ctrl_is_active(cr->ctrl));
}

void ctrl_raft_free(struct ctrl_raft *cr)
{
    if (cr == NULL)
        return;
    ctrl_free(cr->ctrl); /* calls nothing back: the calls below are simply dropped */
    ctrl_srv_free(cr->srv);
    free(cr);
}

struct ctrl *ctrl_raft_ctrl(const struct ctrl_raft *cr)
{
    return cr->ctrl;
}

/* ---- snapshot images: the records that rebuild an image ---- */

static void image_put(struct wire_writer *w, struct wire_writer *rec_w, uint32_t *count,
                      const struct mrec *rec)
{
    wire_writer_reset(rec_w);
    mrec_encode(rec_w, rec);
    if (rec_w->err != KS_OK) {
        wire_writer_fail(w, rec_w->err);
        return;
    }
    wire_write_uint32(w, rec_w->size_bytes);
    wire_write_raw(w, rec_w->bytes, rec_w->size_bytes);
    (*count)++;
}

static void image_put_broker(struct wire_writer *w, struct wire_writer *rw, uint32_t *count,
                             const struct mimage_broker *b)
{
    struct mrec rec;
    mrec_init(&rec, MREC_REGISTER_BROKER);
    rec.version = CTRL_RAFT_REGISTER_BROKER_VERSION;
    struct mrec_register_broker *r = &rec.u.register_broker;
    r->broker_id = b->id;
    r->incarnation_id = b->incarnation_id;
    r->broker_epoch = b->epoch;
    r->endpoint_count = b->endpoint_count;
    for (uint32_t i = 0; i < b->endpoint_count; i++) {
        r->endpoints[i].name = wire_string_from(b->endpoints[i].name);
        r->endpoints[i].host = wire_string_from(b->endpoints[i].host);
        r->endpoints[i].port = b->endpoints[i].port;
        r->endpoints[i].security_protocol = b->endpoints[i].security_protocol;
    }
    r->rack = wire_string_from(b->rack);
    r->fenced = b->fenced;
    r->in_controlled_shutdown = b->in_controlled_shutdown;
    image_put(w, rw, count, &rec);
}

static void image_put_topic(struct wire_writer *w, struct wire_writer *rw, uint32_t *count,
                            const struct mimage_topic *t)
{
    struct mrec rec;
    mrec_init(&rec, MREC_TOPIC);
    rec.u.topic.name = wire_string_from(t->name);
    rec.u.topic.topic_id = t->id;
    image_put(w, rw, count, &rec);
    for (uint32_t i = 0; i < t->partition_count; i++) {
        const struct mimage_partition *p = &t->partitions[i];
        mrec_init(&rec, MREC_PARTITION);
        struct mrec_partition *r = &rec.u.partition;
        r->partition_id = (int32_t)i;
        r->topic_id = t->id;
        r->replicas.count = (int32_t)p->replica_count;
        memcpy(r->replicas.ids, p->replicas, p->replica_count * sizeof(int32_t));
        r->isr.count = (int32_t)p->isr_count;
        memcpy(r->isr.ids, p->isr, p->isr_count * sizeof(int32_t));
        r->leader = p->leader;
        r->leader_recovery_state = p->leader_recovery_state;
        r->leader_epoch = p->leader_epoch;
        r->partition_epoch = p->partition_epoch;
        image_put(w, rw, count, &rec);
    }
}

uint32_t ctrl_raft_image_encode(const struct mimage *img, uint8_t *buf, uint32_t buf_bytes)
{
    struct wire_writer w, rw;
    struct mrec rec;
    uint32_t count = 0;
    wire_writer_init(&w);
    wire_writer_init(&rw);
    wire_write_uint32(&w, CTRL_RAFT_SNAPSHOT_MAGIC);
    wire_write_int16(&w, CTRL_RAFT_SNAPSHOT_VERSION);
    wire_write_int64(&w, img->offset);
    if (img->metadata_version != 0) {
        mrec_init(&rec, MREC_FEATURE_LEVEL);
        rec.u.feature_level.name = wire_string_from("metadata.version");
        rec.u.feature_level.feature_level = img->metadata_version;
        image_put(&w, &rw, &count, &rec);
    }
    for (uint32_t i = 0; i < img->broker_count; i++)
        image_put_broker(&w, &rw, &count, &img->brokers[i]);
    for (uint32_t i = 0; i < img->topic_count; i++)
        image_put_topic(&w, &rw, &count, &img->topics[i]);
    for (uint32_t i = 0; i < img->config_count; i++) {
        const struct mimage_config *c = &img->configs[i];
        mrec_init(&rec, MREC_CONFIG);
        rec.u.config.resource_type = c->resource_type;
        rec.u.config.resource_name = wire_string_from(c->resource_name);
        rec.u.config.name = wire_string_from(c->name);
        rec.u.config.value = wire_string_from(c->value);
        image_put(&w, &rw, &count, &rec);
    }
    KS_ASSERT(count <= CTRL_RAFT_SNAPSHOT_RECORDS_MAX);
    uint32_t size = w.err == KS_OK && w.size_bytes <= buf_bytes ? w.size_bytes : 0;
    if (size > 0)
        memcpy(buf, w.bytes, size);
    wire_writer_free(&rw);
    wire_writer_free(&w);
    return size;
}

enum ks_err ctrl_raft_image_decode(const uint8_t *bytes, uint32_t size_bytes, struct mimage *out)
{
    struct wire_reader r;
    wire_reader_init(&r, bytes, size_bytes);
    uint32_t magic = wire_read_uint32(&r);
    int16_t version = wire_read_int16(&r);
    int64_t offset = wire_read_int64(&r);
    if (r.err != KS_OK || magic != CTRL_RAFT_SNAPSHOT_MAGIC ||
        version != CTRL_RAFT_SNAPSHOT_VERSION || offset < MIMAGE_NO_OFFSET)
        return KS_ERR_CORRUPT_MESSAGE;
    for (uint32_t i = 0; r.offset < r.size_bytes; i++) { /* each round consumes bytes */
        uint32_t size = wire_read_uint32(&r);
        if (r.err != KS_OK || i >= CTRL_RAFT_SNAPSHOT_RECORDS_MAX || size > r.size_bytes - r.offset)
            return KS_ERR_CORRUPT_MESSAGE;
        if (mimage_apply_value(out, (int64_t)i, r.bytes + r.offset, size) != KS_OK)
            return KS_ERR_CORRUPT_MESSAGE;
        r.offset += size;
    }
    out->offset = offset;
    return KS_OK;
}
