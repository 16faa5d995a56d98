/*
 * ctrl_srv.c: the controller's request handlers, see ctrl_srv.h. Kafka: ControllerApis.
 *
 * Each request becomes a struct call (the srv request, its API and version) passed to
 * ctrl as the callback context; the callback encodes the answer at the request's
 * version, sends it with srv_respond and frees the call. Calls sit in a list so that a
 * crash frees them.
 */
#include "system/controller/ctrl_srv.h"

#include "system/broker/bclient.h"
#include "system/proto/api_metadata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct call {
    struct srv_call link; /* first: the controller's list of held requests */
    struct ctrl_srv *cs;
    int16_t api_key;
    int16_t version;
    int32_t subject_id; /* broker id for the session APIs, for traces */
};

struct ctrl_srv {
    struct env *env;
    struct ctrl *ctrl;
    int32_t node_id;
    char cluster_id[CTRL_CLUSTER_ID_BYTES_MAX];
    struct srv_calls calls; /* requests waiting for their records to commit */
};

struct ctrl_srv *ctrl_srv_create(struct env *env, struct ctrl *ctrl, int32_t node_id,
                                 const char *cluster_id)
{
    KS_ASSERT(env != NULL);
    KS_ASSERT(ctrl != NULL);
    struct ctrl_srv *cs = ks_alloc(sizeof(*cs));
    cs->env = env;
    cs->ctrl = ctrl;
    cs->node_id = node_id;
    snprintf(cs->cluster_id, sizeof(cs->cluster_id), "%s", cluster_id != NULL ? cluster_id : "");
    return cs;
}

uint32_t ctrl_srv_calls_waiting(const struct ctrl_srv *cs)
{
    return cs->calls.count;
}

/* ---- calls ---- */

static struct call *call_begin(struct ctrl_srv *cs, struct srv_request *request, int32_t subject)
{
    KS_ASSERT(cs->calls.count < CTRL_SRV_CALLS_MAX);
    struct call *c = ks_alloc(sizeof(*c));
    c->cs = cs;
    c->api_key = request->header.api_key;
    c->version = request->header.api_version;
    c->subject_id = subject;
    srv_call_link(&cs->calls, &c->link, request);
    return c;
}

/* Sends the encoded answer and ends the call. */
static void call_end(struct call *c, struct wire_writer *body, const char *what)
{
    env_tracef(c->cs->env, "ctrl.answer", "%s v%d to %s: %s", api_name(c->api_key), c->version,
               c->link.request->peer_name, what);
    srv_respond(srv_call_unlink(&c->link), body);
    wire_writer_free(body);
    free(c);
}

/* ---- BrokerRegistration and BrokerHeartbeat ---- */

static void registration_done(void *ctx, const struct api_broker_registration_response *r)
{
    struct call *c = ctx;
    struct wire_writer w;
    char what[128];
    wire_writer_init(&w);
    api_broker_registration_response_encode(&w, c->version, r);
    snprintf(what, sizeof(what), "broker %d %s, broker epoch %lld", c->subject_id,
             ks_err_name((enum ks_err)r->error_code), (long long)r->broker_epoch);
    call_end(c, &w, what);
}

static void on_registration(void *ctx, struct srv_request *request)
{
    struct ctrl_srv *cs = ctx;
    struct api_broker_registration_request req;
    if (api_broker_registration_request_decode(request->header.api_version, request->body,
                                               request->body_size_bytes, &req) != KS_OK) {
        srv_respond_close(request);
        return;
    }
    struct call *c = call_begin(cs, request, req.broker_id);
    ctrl_broker_registration(cs->ctrl, &req, registration_done, c);
}

static void heartbeat_done(void *ctx, const struct api_broker_heartbeat_response *r)
{
    struct call *c = ctx;
    struct wire_writer w;
    char what[128];
    wire_writer_init(&w);
    api_broker_heartbeat_response_encode(&w, c->version, r);
    snprintf(what, sizeof(what), "broker %d %s fenced=%d caught_up=%d shut_down=%d", c->subject_id,
             ks_err_name((enum ks_err)r->error_code), r->is_fenced, r->is_caught_up,
             r->should_shut_down);
    call_end(c, &w, what);
}

static void on_heartbeat(void *ctx, struct srv_request *request)
{
    struct ctrl_srv *cs = ctx;
    struct api_broker_heartbeat_request req;
    if (api_broker_heartbeat_request_decode(request->header.api_version, request->body,
                                            request->body_size_bytes, &req) != KS_OK) {
        srv_respond_close(request);
        return;
    }
    struct call *c = call_begin(cs, request, req.broker_id);
    ctrl_broker_heartbeat(cs->ctrl, &req, heartbeat_done, c);
}

/* ---- CreateTopics and DeleteTopics ---- */

/* "orders NONE, payments TOPIC_ALREADY_EXISTS" for a trace line. */
static void results_describe(char *buf, size_t buf_bytes, uint32_t count,
                             const struct wire_string *(*name_at)(const void *, uint32_t),
                             int16_t (*error_at)(const void *, uint32_t), const void *r)
{
    size_t used = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < count && used + 1 < buf_bytes; i++) {
        const struct wire_string *name = name_at(r, i);
        int n = snprintf(buf + used, buf_bytes - used, "%s%.*s %s", i == 0 ? "" : ", ",
                         name->length < 0 ? 0 : name->length, name->length < 0 ? "" : name->chars,
                         ks_err_name((enum ks_err)error_at(r, i)));
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

static const struct wire_string *create_name_at(const void *r, uint32_t i)
{
    return &((const struct api_create_topics_response *)r)->topics[i].name;
}
static int16_t create_error_at(const void *r, uint32_t i)
{
    return ((const struct api_create_topics_response *)r)->topics[i].error_code;
}
static const struct wire_string *delete_name_at(const void *r, uint32_t i)
{
    return &((const struct api_delete_topics_response *)r)->results[i].name;
}
static int16_t delete_error_at(const void *r, uint32_t i)
{
    return ((const struct api_delete_topics_response *)r)->results[i].error_code;
}

static void create_topics_done(void *ctx, const struct api_create_topics_response *r)
{
    struct call *c = ctx;
    struct wire_writer w;
    char what[512];
    wire_writer_init(&w);
    api_create_topics_response_encode(&w, c->version, r);
    results_describe(what, sizeof(what), r->topic_count, create_name_at, create_error_at, r);
    call_end(c, &w, what);
}

static void on_create_topics(void *ctx, struct srv_request *request)
{
    struct ctrl_srv *cs = ctx;
    struct api_create_topics_request req;
    if (api_create_topics_request_decode(request->header.api_version, request->body,
                                         request->body_size_bytes, &req) != KS_OK) {
        srv_respond_close(request);
        return;
    }
    struct call *c = call_begin(cs, request, -1);
    ctrl_create_topics(cs->ctrl, &req, create_topics_done, c);
    api_create_topics_request_free(&req);
}

static void delete_topics_done(void *ctx, const struct api_delete_topics_response *r)
{
    struct call *c = ctx;
    struct wire_writer w;
    char what[512];
    wire_writer_init(&w);
    api_delete_topics_response_encode(&w, c->version, r);
    results_describe(what, sizeof(what), r->result_count, delete_name_at, delete_error_at, r);
    call_end(c, &w, what);
}

static void on_delete_topics(void *ctx, struct srv_request *request)
{
    struct ctrl_srv *cs = ctx;
    struct api_delete_topics_request req;
    int16_t version = request->header.api_version;
    if (api_delete_topics_request_decode(version, request->body, request->body_size_bytes, &req) !=
        KS_OK) {
        srv_respond_close(request);
        return;
    }
    struct call *c = call_begin(cs, request, -1);
    ctrl_delete_topics(cs->ctrl, version, &req, delete_topics_done, c);
    api_delete_topics_request_free(&req);
}

/* ---- AlterPartition ---- */

/* One partition of an AlterPartition call: where its answer goes. */
struct alter_slot {
    struct alter_call *ac;
    uint32_t topic_index;
    uint32_t partition_index;
};

/* The answers of one AlterPartition request, filled as ctrl calls back. */
struct alter_call {
    struct call *c;
    struct api_alter_partition_response response;
    struct alter_slot *slots;
    uint32_t outstanding; /* partitions not answered yet, plus one while issuing */
};

static void alter_call_finish(struct alter_call *ac)
{
    struct wire_writer w;
    char what[96];
    KS_ASSERT(ac->outstanding == 0);
    struct api_alter_partition_response *r = &ac->response;
    for (uint32_t t = 0; t < r->topic_count && r->topics[t].partition_count > 0; t++) {
        int16_t first = r->topics[t].partitions[0].error_code;
        if (first == KS_ERR_NOT_CONTROLLER || first == KS_ERR_STALE_BROKER_EPOCH)
            r->error_code = first; /* Kafka answers these at the top level */
        break;
    }
    wire_writer_init(&w);
    api_alter_partition_response_encode(&w, ac->c->version, r);
    snprintf(what, sizeof(what), "broker %d, %u topics: %s", ac->c->subject_id, r->topic_count,
             ks_err_name((enum ks_err)r->error_code));
    call_end(ac->c, &w, what);
    api_alter_partition_response_free(r);
    free(ac->slots);
    free(ac);
}

static void alter_done(void *ctx, const struct ctrl_alter_partition_result *res)
{
    struct alter_slot *slot = ctx;
    struct alter_call *ac = slot->ac;
    struct api_alter_partition_partition_response *out =
        &ac->response.topics[slot->topic_index].partitions[slot->partition_index];
    KS_ASSERT(ac->outstanding > 0);
    KS_ASSERT(res->isr_count <= MREC_REPLICAS_MAX);
    out->error_code = res->error_code;
    out->leader_id = res->leader_id;
    out->leader_epoch = res->leader_epoch;
    out->partition_epoch = res->partition_epoch;
    out->isr_count = res->isr_count;
    out->isr = ks_alloc(sizeof(int32_t) * (res->isr_count + 1));
    memcpy(out->isr, res->isr, sizeof(int32_t) * res->isr_count);
    if (--ac->outstanding == 0)
        alter_call_finish(ac);
}

/* The topic's id: as sent (v2+), or looked up by name in the working image. */
static bool alter_topic_id(struct ctrl_srv *cs, int16_t version,
                           const struct api_alter_partition_topic *t, struct wire_uuid *out)
{
    if (version >= API_ALTER_PARTITION_TOPIC_ID_VERSION_FIRST) {
        *out = t->topic_id;
        return true;
    }
    char name[CTRL_TOPIC_NAME_LENGTH_MAX + 1];
    if (t->topic_name.length <= 0 || t->topic_name.length > CTRL_TOPIC_NAME_LENGTH_MAX)
        return false;
    memcpy(name, t->topic_name.chars, (size_t)t->topic_name.length);
    name[t->topic_name.length] = '\0';
    const struct mimage_topic *found =
        mimage_topic_find_name(ctrl_working_image(cs->ctrl), name, (uint32_t)strlen(name));
    if (found != NULL)
        *out = found->id;
    return found != NULL;
}

/* Hands one partition to the controller (or answers it at once when it cannot go). */
static void alter_issue(struct ctrl_srv *cs, const struct api_alter_partition_request *req,
                        int16_t version, struct alter_slot *slot, bool topic_known,
                        const struct wire_uuid *topic_id)
{
    const struct api_alter_partition_partition *in =
        &req->topics[slot->topic_index].partitions[slot->partition_index];
    struct ctrl_alter_partition_result unknown = {
        .error_code = KS_ERR_UNKNOWN_TOPIC_OR_PARTITION, .leader_id = -1, .leader_epoch = -1};
    struct pchange_alter alter;
    memset(&alter, 0, sizeof(alter));
    if (!topic_known || in->new_isr_count > MREC_REPLICAS_MAX) {
        unknown.error_code = topic_known ? KS_ERR_INVALID_REQUEST : unknown.error_code;
        alter_done(slot, &unknown);
        return;
    }
    alter.broker_id = req->broker_id;
    alter.topic_id = *topic_id;
    alter.partition_id = in->partition_index;
    alter.leader_epoch = in->leader_epoch;
    alter.partition_epoch = in->partition_epoch;
    alter.isr_count = in->new_isr_count;
    for (uint32_t i = 0; i < in->new_isr_count; i++) {
        alter.isr[i] = in->new_isr[i].broker_id;
        alter.isr_broker_epochs[i] = version >= API_ALTER_PARTITION_BROKER_EPOCHS_VERSION_FIRST
                                         ? in->new_isr[i].broker_epoch
                                         : -1;
    }
    ctrl_alter_partition(cs->ctrl, &alter, req->broker_epoch, alter_done, slot);
}

/* Mirrors the request's topics and partitions in the response, answers unset. */
static uint32_t alter_response_shape(struct alter_call *ac,
                                     const struct api_alter_partition_request *req)
{
    uint32_t total = 0;
    struct api_alter_partition_response *r = &ac->response;
    r->topic_count = req->topic_count;
    r->topics = ks_alloc(sizeof(*r->topics) * (req->topic_count + 1));
    for (uint32_t t = 0; t < req->topic_count; t++) {
        const struct api_alter_partition_topic *in = &req->topics[t];
        struct api_alter_partition_topic_response *out = &r->topics[t];
        out->topic_id = in->topic_id;
        out->topic_name = in->topic_name; /* borrowed from the request body, alive until
                                             the answer is sent */
        out->partition_count = in->partition_count;
        out->partitions = ks_alloc(sizeof(*out->partitions) * (in->partition_count + 1));
        for (uint32_t p = 0; p < in->partition_count; p++)
            out->partitions[p].partition_index = in->partitions[p].partition_index;
        total += in->partition_count;
    }
    return total;
}

static void on_alter_partition(void *ctx, struct srv_request *request)
{
    struct ctrl_srv *cs = ctx;
    struct api_alter_partition_request req;
    int16_t version = request->header.api_version;
    if (api_alter_partition_request_decode(version, request->body, request->body_size_bytes,
                                           &req) != KS_OK) {
        srv_respond_close(request);
        return;
    }
    struct alter_call *ac = ks_alloc(sizeof(*ac));
    ac->c = call_begin(cs, request, req.broker_id);
    uint32_t total = alter_response_shape(ac, &req);
    if (total > CTRL_SRV_ALTER_PARTITIONS_MAX) { /* more than the controller can park */
        ac->response.error_code = KS_ERR_INVALID_REQUEST;
        total = 0;
    }
    ac->slots = ks_alloc(sizeof(*ac->slots) * (total + 1));
    ac->outstanding = total + 1; /* answers inside the loop must not finish it early */
    uint32_t n = 0;
    for (uint32_t t = 0; t < req.topic_count && total > 0; t++) {
        struct wire_uuid topic_id;
        bool known = alter_topic_id(cs, version, &req.topics[t], &topic_id);
        for (uint32_t p = 0; p < req.topics[t].partition_count; p++) {
            KS_ASSERT(n < total);
            ac->slots[n] = (struct alter_slot){ac, t, p};
            alter_issue(cs, &req, version, &ac->slots[n++], known, &topic_id);
        }
    }
    api_alter_partition_request_free(&req);
    if (--ac->outstanding == 0)
        alter_call_finish(ac);
}

/* ---- Metadata ---- */

/* Answered at once from the committed image: the unfenced brokers, the topics, and
 * this node as the controller while it is the active one. */
static void on_metadata(void *ctx, struct srv_request *request)
{
    struct ctrl_srv *cs = ctx;
    struct bclient_cluster cluster = {
        .cluster_id = cs->cluster_id,
        .controller_id = ctrl_is_active(cs->ctrl) ? cs->node_id : -1,
        .self_id = -1,
        .self_host = NULL,
    };
    struct wire_writer w;
    wire_writer_init(&w);
    enum ks_err err =
        bclient_metadata(ctrl_committed_image(cs->ctrl), &cluster, request->header.api_version,
                         request->body, request->body_size_bytes, &w, NULL);
    if (err == KS_OK)
        srv_respond(request, &w);
    else
        srv_respond_close(request);
    wire_writer_free(&w);
}

/* ---- the table ---- */

uint32_t ctrl_srv_handlers_build(struct ctrl_srv *cs, struct srv_handler *rows, uint32_t rows_max)
{
    KS_ASSERT(rows_max >= CTRL_SRV_ROWS);
    rows[0] = (struct srv_handler){API_BROKER_REGISTRATION, API_BROKER_REGISTRATION_VERSION_MIN,
                                   API_BROKER_REGISTRATION_VERSION_MAX, on_registration, cs};
    rows[1] = (struct srv_handler){API_BROKER_HEARTBEAT, API_BROKER_HEARTBEAT_VERSION_MIN,
                                   API_BROKER_HEARTBEAT_VERSION_MAX, on_heartbeat, cs};
    rows[2] = (struct srv_handler){API_CREATE_TOPICS, API_CREATE_TOPICS_VERSION_MIN,
                                   API_CREATE_TOPICS_VERSION_MAX, on_create_topics, cs};
    rows[3] = (struct srv_handler){API_DELETE_TOPICS, API_DELETE_TOPICS_VERSION_MIN,
                                   API_DELETE_TOPICS_VERSION_MAX, on_delete_topics, cs};
    rows[4] = (struct srv_handler){API_ALTER_PARTITION, API_ALTER_PARTITION_VERSION_MIN,
                                   API_ALTER_PARTITION_VERSION_MAX, on_alter_partition, cs};
    rows[5] = (struct srv_handler){API_METADATA, API_METADATA_VERSION_MIN, API_METADATA_VERSION_MAX,
                                   on_metadata, cs};
    return CTRL_SRV_ROWS;
}

void ctrl_srv_free(struct ctrl_srv *cs)
{
    if (cs == NULL)
        return;
    uint32_t freed = 0;
    while (cs->calls.first != NULL) { /* bounded by calls.count */
        struct srv_call *c = cs->calls.first;
        KS_ASSERT(freed++ < CTRL_SRV_CALLS_MAX);
        srv_call_unlink(c);
        free(c); /* the struct call it begins */
    }
    KS_ASSERT(cs->calls.count == 0);
    free(cs);
}
