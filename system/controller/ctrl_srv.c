/*
 * ctrl_srv.c: the controller's request handlers, see ctrl_srv.h. Kafka: ControllerApis.
 *
 * Each request becomes a struct call (the srv request, its API and version) passed to
 * ctrl as the callback context; the callback encodes the answer at the request's
 * version, sends it with srv_respond and frees the call. Calls sit in a list so that a
 * crash frees them.
 */
#include "system/controller/ctrl_srv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct call {
    struct ctrl_srv *cs;
    struct srv_request *request;
    int16_t api_key;
    int16_t version;
    int32_t subject_id; /* broker id for the session APIs, for traces */
    struct call *prev;
    struct call *next;
};

struct ctrl_srv {
    struct env *env;
    struct ctrl *ctrl;
    struct call *first;
    uint32_t call_count;
};

struct ctrl_srv *ctrl_srv_create(struct env *env, struct ctrl *ctrl)
{
    KS_ASSERT(env != NULL);
    KS_ASSERT(ctrl != NULL);
    struct ctrl_srv *cs = ks_alloc(sizeof(*cs));
    cs->env = env;
    cs->ctrl = ctrl;
    return cs;
}

uint32_t ctrl_srv_calls_waiting(const struct ctrl_srv *cs)
{
    return cs->call_count;
}

/* ---- calls ---- */

static struct call *call_begin(struct ctrl_srv *cs, struct srv_request *request, int32_t subject)
{
    KS_ASSERT(cs->call_count < CTRL_SRV_CALLS_MAX);
    struct call *c = ks_alloc(sizeof(*c));
    c->cs = cs;
    c->request = request;
    c->api_key = request->header.api_key;
    c->version = request->header.api_version;
    c->subject_id = subject;
    c->next = cs->first;
    if (cs->first != NULL)
        cs->first->prev = c;
    cs->first = c;
    cs->call_count++;
    return c;
}

static void call_unlink(struct call *c)
{
    struct ctrl_srv *cs = c->cs;
    KS_ASSERT(cs->call_count > 0);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        cs->first = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    cs->call_count--;
}

/* Sends the encoded answer and ends the call. */
static void call_end(struct call *c, struct wire_writer *body, const char *what)
{
    KS_ASSERT(c->cs->call_count > 0);
    env_tracef(c->cs->env, "ctrl.answer", "%s v%d to %s: %s", api_name(c->api_key), c->version,
               c->request->peer_name, what);
    call_unlink(c);
    srv_respond(c->request, body);
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
    return CTRL_SRV_ROWS;
}

void ctrl_srv_free(struct ctrl_srv *cs)
{
    if (cs == NULL)
        return;
    uint32_t freed = 0;
    while (cs->first != NULL) { /* bounded by call_count */
        struct call *c = cs->first;
        KS_ASSERT(freed++ < CTRL_SRV_CALLS_MAX);
        call_unlink(c);
        free(c);
    }
    KS_ASSERT(cs->call_count == 0);
    free(cs);
}
