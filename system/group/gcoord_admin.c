/*
 * gcoord_admin.c: the group coordinator's administrative APIs: DescribeGroups,
 * ListGroups (KIP-518 states filter, KIP-848 types filter), DeleteGroups (tombstones
 * for the offsets and the group, answered once replicated) and FindCoordinator's
 * mapping of a group to its __consumer_offsets partition. Kafka: GroupCoordinator
 * (handleDescribeGroup, handleListGroups, handleDeleteGroups), KafkaApis
 * (handleFindCoordinatorRequest).
 */
#include "gcoord_int.h"

#include <stdlib.h>
#include <string.h>

#include "system/group/offsets_rec.h"

/* ---- DescribeGroups ------------------------------------------------------------ */

static void describe_one(struct gcoord *c, struct wire_string group_id,
                         struct api_describe_groups_group *out)
{
    *out = (struct api_describe_groups_group){
        .group_id = group_id,
        .group_state = wire_string_from("Dead"),
        .protocol_type = wire_string_from(""),
        .protocol_data = wire_string_from(""),
        .authorized_operations = API_DESCRIBE_GROUPS_AUTHORIZED_OPERATIONS_UNSET,
    };
    enum ks_err err = gcoord_partition_error(c, group_id);
    out->error_code = gcoord_wire_error(err);
    const struct gmeta *g = err == KS_OK ? gcoord_group_find(c, group_id) : NULL;
    if (g == NULL)
        return;
    bool stable = g->state == GMETA_STABLE;
    out->group_state = wire_string_from(gmeta_state_name(g->state));
    out->protocol_type = g->protocol_type.length < 0 ? out->protocol_type : g->protocol_type;
    out->protocol_data = stable ? g->protocol : out->protocol_data;
    out->members = ks_alloc(sizeof(*out->members) * (g->member_count + 1));
    out->member_count = g->member_count;
    static const uint8_t none[1] = {0};
    for (uint32_t i = 0; i < g->member_count; i++) {
        const struct gmeta_member *m = g->members[i];
        struct wire_bytes meta =
            stable ? gmeta_member_metadata(g, m) : (struct wire_bytes){none, 0};
        out->members[i] = (struct api_describe_groups_member){
            m->member_id,
            m->group_instance_id,
            m->client_id,
            m->client_host,
            meta.size_bytes < 0 ? (struct wire_bytes){none, 0} : meta,
            stable ? m->assignment : (struct wire_bytes){none, 0},
        };
    }
}

void gcoord_describe_groups(struct gcoord *c, const struct gcoord_client *client,
                            const struct api_describe_groups_request *request,
                            gcoord_describe_done_fn done, void *ctx)
{
    KS_ASSERT(!c->in_callback);
    struct api_describe_groups_response r = {.group_count = request->group_count};
    r.groups = ks_alloc(sizeof(*r.groups) * (request->group_count + 1));
    for (uint32_t i = 0; i < request->group_count; i++)
        describe_one(c, request->groups[i], &r.groups[i]);
    c->in_callback = true;
    done(ctx, &r);
    c->in_callback = false;
    for (uint32_t i = 0; i < r.group_count; i++)
        free(r.groups[i].members);
    free(r.groups);
}

/* ---- ListGroups ---------------------------------------------------------------- */

/* Kafka compares state names case-insensitively. */
static bool name_equal_nocase(struct wire_string a, const char *b)
{
    size_t n = strlen(b);
    if (a.length < 0 || (size_t)a.length != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char x = a.chars[i], y = b[i];
        x = (char)(x >= 'A' && x <= 'Z' ? x - 'A' + 'a' : x);
        y = (char)(y >= 'A' && y <= 'Z' ? y - 'A' + 'a' : y);
        if (x != y)
            return false;
    }
    return true;
}

static bool filter_match(const struct wire_string *filter, uint32_t count, const char *value)
{
    if (count == 0)
        return true;
    for (uint32_t i = 0; i < count; i++) {
        if (name_equal_nocase(filter[i], value))
            return true;
    }
    return false;
}

void gcoord_list_groups(struct gcoord *c, const struct gcoord_client *client,
                        const struct api_list_groups_request *request, gcoord_list_done_fn done,
                        void *ctx)
{
    KS_ASSERT(!c->in_callback);
    struct api_list_groups_response r = {0};
    for (int32_t p = 0; p < c->config.offsets_partition_count; p++) {
        if (c->partitions[p].state == GCOORD_PARTITION_LOADING)
            r.error_code = KS_ERR_COORDINATOR_LOAD_IN_PROGRESS;
    }
    r.groups = ks_alloc(sizeof(*r.groups) * (c->group_count + 1));
    for (uint32_t i = 0; i < c->group_count; i++) {
        const struct gmeta *g = c->groups[i];
        const char *state = gmeta_state_name(g->state);
        if (c->partitions[g->partition].state != GCOORD_PARTITION_ACTIVE ||
            !filter_match(request->states_filter, request->states_filter_count, state) ||
            !filter_match(request->types_filter, request->types_filter_count, "classic"))
            continue;
        r.groups[r.group_count++] = (struct api_list_groups_group){
            g->group_id,
            g->protocol_type.length < 0 ? wire_string_from("") : g->protocol_type,
            wire_string_from(state),
            wire_string_from("classic"),
        };
    }
    KS_ASSERT(r.group_count <= c->group_count);
    c->in_callback = true;
    done(ctx, &r);
    c->in_callback = false;
    free(r.groups);
}

/* ---- DeleteGroups -------------------------------------------------------------- */

struct delete_job {
    struct api_delete_groups_response response; /* group ids owned */
    uint32_t outstanding;                       /* appends not yet completed, +1 while starting */
    gcoord_delete_done_fn done;
    void *ctx;
};

struct delete_one {
    struct delete_job *job;
    uint32_t index;
};

static void delete_job_release(struct gcoord *c, struct delete_job *job)
{
    KS_ASSERT(job->outstanding > 0);
    if (--job->outstanding > 0)
        return;
    KS_ASSERT(!c->in_callback);
    c->in_callback = true;
    job->done(job->ctx, &job->response);
    c->in_callback = false;
    for (uint32_t i = 0; i < job->response.result_count; i++)
        gmeta_string_free(&job->response.results[i].group_id);
    free(job->response.results);
    free(job);
}

static void delete_stored(struct gcoord *c, void *data, enum ks_err err)
{
    struct delete_one *d = data;
    d->job->response.results[d->index].error_code = gcoord_wire_error(gcoord_append_error(err));
    delete_job_release(c, d->job);
}

/* Tombstones for every offset and the group; the group is gone at once (Dead). */
static void delete_group_records(struct gcoord *c, struct gmeta *g, struct delete_one *d)
{
    struct gcoord_record *records = ks_alloc(sizeof(*records) * (g->offset_count + 1));
    uint32_t n = 0;
    for (uint32_t i = 0; i < g->offset_count; i++) {
        const struct gmeta_offset *o = &g->offsets[i];
        struct gcoord_record *r = &records[n++];
        struct offrec_key key = {OFFREC_KEY_OFFSET_COMMIT, g->group_id, o->topic, o->partition};
        wire_writer_init(&r->key);
        offrec_key_encode(&r->key, &key);
        wire_writer_init(&r->value);
        r->tombstone = true;
    }
    gcoord_group_record(g, true, &records[n++]);
    int32_t partition = g->partition;
    env_tracef(c->env, "group.delete", "group %.*s deleted with %u offsets",
               (int)g->group_id.length, g->group_id.chars, g->offset_count);
    gcoord_group_remove(c, g, KS_ERR_COORDINATOR_NOT_AVAILABLE);
    d->job->outstanding++;
    gcoord_append_records(c, partition, records, n, delete_stored, d, free);
    free(records);
}

static enum ks_err delete_check(struct gcoord *c, struct wire_string group_id, struct gmeta **out)
{
    enum ks_err err = gcoord_partition_error(c, group_id);
    if (err != KS_OK)
        return err;
    *out = gcoord_group_find(c, group_id);
    if (*out == NULL || (*out)->state == GMETA_DEAD)
        return KS_ERR_GROUP_ID_NOT_FOUND;
    if ((*out)->state != GMETA_EMPTY)
        return KS_ERR_NON_EMPTY_GROUP;
    return KS_OK;
}

void gcoord_delete_groups(struct gcoord *c, const struct gcoord_client *client,
                          const struct api_delete_groups_request *request,
                          gcoord_delete_done_fn done, void *ctx)
{
    KS_ASSERT(!c->in_callback);
    struct delete_job *job = ks_alloc(sizeof(*job));
    job->done = done;
    job->ctx = ctx;
    job->outstanding = 1;
    job->response.results = ks_alloc(sizeof(*job->response.results) * (request->group_count + 1));
    for (uint32_t i = 0; i < request->group_count; i++) {
        struct wire_string id = request->groups_names[i];
        job->response.results[i].group_id = gmeta_string_dup(id);
        job->response.result_count++;
        struct gmeta *g = NULL;
        enum ks_err err = delete_check(c, id, &g);
        job->response.results[i].error_code = gcoord_wire_error(err);
        if (err != KS_OK)
            continue;
        struct delete_one *d = ks_alloc(sizeof(*d));
        *d = (struct delete_one){job, i};
        delete_group_records(c, g, d);
    }
    delete_job_release(c, job);
}

/* ---- FindCoordinator ----------------------------------------------------------- */

void gcoord_find_coordinator(const struct gcoord_config *config,
                             const struct api_find_coordinator_request *request,
                             gcoord_leader_of_fn leader_of, void *ctx,
                             struct api_find_coordinator_response *out)
{
    *out = (struct api_find_coordinator_response){.coordinator_count = request->key_count};
    out->coordinators = ks_alloc(sizeof(*out->coordinators) * (request->key_count + 1));
    for (uint32_t i = 0; i < request->key_count; i++) {
        struct api_find_coordinator_coordinator *co = &out->coordinators[i];
        *co = (struct api_find_coordinator_coordinator){
            request->keys[i], -1, wire_string_from(""), -1, 0, wire_string_null()};
        enum ks_err err = KS_ERR_INVALID_REQUEST;
        if (request->key_type == API_FIND_COORDINATOR_KEY_TYPE_GROUP && request->keys[i].length > 0)
            err = leader_of(ctx, gcoord_partition_for(config, request->keys[i]), &co->node_id,
                            &co->host, &co->port);
        else if (request->key_type == API_FIND_COORDINATOR_KEY_TYPE_GROUP)
            err = KS_ERR_INVALID_GROUP_ID;
        if (err != KS_OK) {
            co->node_id = -1;
            co->host = wire_string_from("");
            co->port = -1;
            co->error_code = gcoord_wire_error(err);
            co->error_message = wire_string_from(ks_err_name(err));
        }
    }
}

void gcoord_find_coordinator_response_free(struct api_find_coordinator_response *response)
{
    free(response->coordinators);
    response->coordinators = NULL;
    response->coordinator_count = 0;
}
