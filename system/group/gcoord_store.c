/*
 * gcoord_store.c: what the group coordinator keeps in __consumer_offsets: writing
 * records through struct gcoord_log and answering once they are replicated;
 * OffsetCommit and OffsetFetch; KIP-211 offset expiry with tombstones; loading a
 * partition by replaying its records (last value per key wins) and unloading it.
 * Kafka: GroupMetadataManager (storeGroup, storeOffsets, loadGroupsAndOffsets,
 * cleanupGroupMetadata, removeGroupsForPartition), OffsetMetadataManager.
 */
#include "gcoord_int.h"

#include <stdlib.h>
#include <string.h>

#include "system/bugs.h"
#include "system/group/cproto.h"
#include "system/group/offsets_rec.h"
#include "system/log/rb.h"

/* ---- Appends ------------------------------------------------------------------- */

static void records_free(struct gcoord_record *records, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++) {
        wire_writer_free(&records[i].key);
        wire_writer_free(&records[i].value);
    }
}

static enum ks_err batch_build(struct gcoord *c, const struct gcoord_record *records,
                               uint32_t count, uint8_t **bytes, uint32_t *size)
{
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE);
    int64_t now_ms = env_wall_ms(c->env);
    enum ks_err err = KS_OK;
    for (uint32_t i = 0; i < count && err == KS_OK; i++) {
        const struct gcoord_record *r = &records[i];
        KS_ASSERT(r->key.err == KS_OK && r->value.err == KS_OK);
        struct rb_record_input in = {
            .timestamp = now_ms,
            .key = r->key.bytes,
            .key_size = r->key.size_bytes,
            .value = r->tombstone ? NULL : r->value.bytes,
            .value_size = r->tombstone ? 0 : r->value.size_bytes,
        };
        err = rb_builder_append(&b, &in);
    }
    if (err == KS_OK)
        err = rb_builder_finish(&b, bytes, size);
    rb_builder_release(&b);
    return err;
}

static void append_finish(struct gcoord *c, struct gcoord_append *a, enum ks_err err)
{
    a->on_done(c, a->data, err);
    if (a->free_data != NULL)
        a->free_data(a->data);
    free(a);
}

static void append_log_done(void *ctx, uint64_t append_id, enum ks_err err, int64_t base_offset)
{
    struct gcoord *c = ctx;
    uint32_t lo = 0, hi = c->append_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (c->appends[mid]->id < append_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == c->append_count || c->appends[lo]->id != append_id)
        return; /* dropped at an unload */
    struct gcoord_append *a = c->appends[lo];
    memmove(&c->appends[lo], &c->appends[lo + 1], sizeof(*c->appends) * (c->append_count - lo - 1));
    c->append_count--;
    KS_ASSERT(c->partitions[a->partition].state == GCOORD_PARTITION_ACTIVE);
    append_finish(c, a, err);
}

void gcoord_append_records(struct gcoord *c, int32_t partition, struct gcoord_record *records,
                           uint32_t count, gcoord_append_fn on_done, void *data,
                           void (*free_data)(void *data))
{
    KS_ASSERT(c->partitions[partition].state == GCOORD_PARTITION_ACTIVE);
    KS_ASSERT(count > 0);
    struct gcoord_append *a = ks_alloc(sizeof(*a));
    *a = (struct gcoord_append){c->append_id_next++, partition, on_done, free_data, data};
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    enum ks_err err = batch_build(c, records, count, &bytes, &size);
    records_free(records, count);
    if (err == KS_OK && c->append_count >= GCOORD_APPENDS_MAX)
        err = KS_ERR_COORDINATOR_NOT_AVAILABLE;
    if (err != KS_OK) {
        free(bytes);
        append_finish(c, a, err);
        return;
    }
    c->appends = ks_realloc(c->appends, sizeof(*c->appends) * (c->append_count + 1));
    c->appends[c->append_count++] = a; /* ids ascend: the array stays sorted */
    c->log->append(c->log, partition, bytes, size, a->id, append_log_done, c);
    free(bytes);
}

void gcoord_appends_drop(struct gcoord *c, int32_t partition, bool answer)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < c->append_count; i++) {
        struct gcoord_append *a = c->appends[i];
        if (partition >= 0 && a->partition != partition) {
            c->appends[kept++] = a;
            continue;
        }
        if (answer) {
            append_finish(c, a, KS_ERR_NOT_COORDINATOR);
        } else {
            if (a->free_data != NULL)
                a->free_data(a->data);
            free(a);
        }
    }
    KS_ASSERT(kept <= c->append_count);
    c->append_count = kept;
}

/* ---- Records ------------------------------------------------------------------- */

static void group_key(struct gmeta *g, struct wire_writer *w)
{
    struct offrec_key key = {
        .version = OFFREC_KEY_GROUP_METADATA, .group = g->group_id, .topic = wire_string_null()};
    wire_writer_init(w);
    offrec_key_encode(w, &key);
}

void gcoord_group_record(struct gmeta *g, bool tombstone, struct gcoord_record *out)
{
    group_key(g, &out->key);
    wire_writer_init(&out->value);
    out->tombstone = tombstone;
    if (tombstone)
        return;
    struct offrec_member *members = ks_alloc(sizeof(*members) * (g->member_count + 1));
    for (uint32_t i = 0; i < g->member_count; i++) {
        const struct gmeta_member *m = g->members[i];
        struct wire_bytes sub = gmeta_member_metadata(g, m);
        members[i] = (struct offrec_member){m->member_id,
                                            m->group_instance_id,
                                            m->client_id,
                                            m->client_host,
                                            m->rebalance_timeout_ms,
                                            m->session_timeout_ms,
                                            sub.size_bytes < 0 ? (struct wire_bytes){NULL, 0} : sub,
                                            m->assignment};
    }
    struct offrec_group_metadata_value v = {
        .version = 3,
        .protocol_type = g->protocol_type.length < 0 ? wire_string_from("") : g->protocol_type,
        .generation = g->generation,
        .protocol = g->protocol,
        .leader = g->leader,
        .current_state_timestamp = g->state_timestamp_ms,
        .member_count = g->member_count,
        .members = members,
    };
    offrec_group_metadata_value_encode(&out->value, &v);
    free(members);
}

void gcoord_store_group(struct gcoord *c, struct gmeta *g, bool tombstone, gcoord_append_fn on_done,
                        void *data, void (*free_data)(void *data))
{
    struct gcoord_record r;
    gcoord_group_record(g, tombstone, &r);
    gcoord_append_records(c, g->partition, &r, 1, on_done, data, free_data);
}

static void offset_record(struct gmeta *g, const struct gmeta_offset *o, bool tombstone,
                          struct gcoord_record *out)
{
    struct offrec_key key = {.version = OFFREC_KEY_OFFSET_COMMIT,
                             .group = g->group_id,
                             .topic = o->topic,
                             .partition = o->partition};
    wire_writer_init(&out->key);
    offrec_key_encode(&out->key, &key);
    wire_writer_init(&out->value);
    out->tombstone = tombstone;
    if (tombstone)
        return;
    struct offrec_offset_commit_value v = {
        .version = o->expire_timestamp_ms >= 0 ? 1 : 3,
        .offset = o->offset,
        .leader_epoch = o->leader_epoch,
        .metadata = o->metadata.length < 0 ? wire_string_from("") : o->metadata,
        .commit_timestamp = o->commit_timestamp_ms,
        .expire_timestamp = o->expire_timestamp_ms,
    };
    offrec_offset_commit_value_encode(&out->value, &v);
}

/* ---- OffsetCommit -------------------------------------------------------------- */

/* A commit waiting for its records: the response shape and the offsets to apply. */
struct commit {
    struct wire_string group_id; /* owned */
    uint32_t offset_count;
    struct gmeta_offset *offsets; /* owned strings */
    struct api_offset_commit_response response;
    int16_t *errors; /* per partition in response order; 0 = written */
    gcoord_commit_done_fn done;
    void *ctx;
    bool answered;
};

static void commit_free(void *data)
{
    struct commit *k = data;
    for (uint32_t i = 0; i < k->offset_count; i++) {
        gmeta_string_free(&k->offsets[i].topic);
        gmeta_string_free(&k->offsets[i].metadata);
    }
    for (uint32_t t = 0; t < k->response.topic_count; t++)
        free(k->response.topics[t].partitions);
    free(k->response.topics);
    free(k->offsets);
    free(k->errors);
    gmeta_string_free(&k->group_id);
    free(k);
}

static void commit_answer(struct gcoord *c, struct commit *k, enum ks_err err)
{
    KS_ASSERT(!k->answered);
    KS_ASSERT(!c->in_callback);
    uint32_t n = 0;
    for (uint32_t t = 0; t < k->response.topic_count; t++) {
        for (uint32_t p = 0; p < k->response.topics[t].partition_count; p++, n++)
            k->response.topics[t].partitions[p].error_code =
                k->errors[n] != 0 ? k->errors[n] : gcoord_wire_error(err);
    }
    k->answered = true;
    c->in_callback = true;
    k->done(k->ctx, &k->response);
    c->in_callback = false;
}

static void commit_apply(struct gcoord *c, struct commit *k)
{
    struct gmeta *g = gcoord_group_get_or_create(c, k->group_id);
    if (g == NULL)
        return;
    for (uint32_t i = 0; i < k->offset_count; i++) {
        if (gmeta_offset_put(g, &k->offsets[i]) != KS_OK)
            env_logf(c->env, ENV_LOG_WARN, "group %.*s: too many offsets", (int)k->group_id.length,
                     k->group_id.chars);
    }
}

static void commit_stored(struct gcoord *c, void *data, enum ks_err err)
{
    struct commit *k = data;
    struct gmeta *g = gcoord_group_find(c, k->group_id);
    if (g != NULL && g->appends_in_flight > 0)
        g->appends_in_flight--;
    if (k->answered)
        return; /* group_ack_before_append: applied and answered already */
    if (err == KS_OK)
        commit_apply(c, k);
    commit_answer(c, k, gcoord_append_error(err));
}

/* GroupCoordinator.validateOffsetCommit (classic groups). */
static enum ks_err commit_validate(struct gcoord *c, const struct api_offset_commit_request *req)
{
    enum ks_err err = gcoord_partition_error(c, req->group_id);
    if (err != KS_OK)
        return err;
    struct gmeta *g = gcoord_group_find(c, req->group_id);
    bool simple = req->generation_id_or_member_epoch < 0 && req->member_id.length <= 0 &&
                  req->group_instance_id.length < 0;
    if (g == NULL)
        return simple ? KS_OK : KS_ERR_ILLEGAL_GENERATION;
    if (g->state == GMETA_DEAD)
        return KS_ERR_COORDINATOR_NOT_AVAILABLE;
    if (simple && g->member_count == 0)
        return KS_OK;
    struct gmeta_member *m = NULL;
    struct gmeta_member *by_instance = gmeta_member_find_static(g, req->group_instance_id);
    if (by_instance != NULL && !wire_string_equal(by_instance->member_id, req->member_id))
        return KS_ERR_FENCED_INSTANCE_ID;
    if (g->state == GMETA_COMPLETING_REBALANCE)
        return KS_ERR_REBALANCE_IN_PROGRESS;
    m = gmeta_member_find(g, req->member_id);
    if (m == NULL)
        return KS_ERR_UNKNOWN_MEMBER_ID;
    if (req->generation_id_or_member_epoch != g->generation &&
        !env_bug(c->env, KS_BUG_GROUP_STALE_GENERATION_COMMIT))
        return KS_ERR_ILLEGAL_GENERATION;
    gcoord_member_touch(c, m);
    return KS_OK;
}

/* The response shape (every partition, error filled at answer) and the offsets. */
static struct commit *commit_new(struct gcoord *c, const struct api_offset_commit_request *req,
                                 gcoord_commit_done_fn done, void *ctx)
{
    struct commit *k = ks_alloc(sizeof(*k));
    k->group_id = gmeta_string_dup(req->group_id);
    k->done = done;
    k->ctx = ctx;
    uint32_t total = 0;
    for (uint32_t t = 0; t < req->topic_count; t++)
        total += req->topics[t].partition_count;
    k->offsets = ks_alloc(sizeof(*k->offsets) * (total + 1));
    k->errors = ks_alloc(sizeof(*k->errors) * (total + 1));
    k->response.topic_count = req->topic_count;
    k->response.topics = ks_alloc(sizeof(*k->response.topics) * (req->topic_count + 1));
    int64_t now_ms = env_wall_ms(c->env);
    uint32_t n = 0;
    for (uint32_t t = 0; t < req->topic_count; t++) {
        const struct api_offset_commit_request_topic *rt = &req->topics[t];
        struct api_offset_commit_response_topic *out = &k->response.topics[t];
        out->name = rt->name;
        out->partition_count = rt->partition_count;
        out->partitions = ks_alloc(sizeof(*out->partitions) * (rt->partition_count + 1));
        for (uint32_t p = 0; p < rt->partition_count; p++, n++) {
            const struct api_offset_commit_request_partition *rp = &rt->partitions[p];
            out->partitions[p].partition_index = rp->partition_index;
            if (rp->committed_metadata.length > GMETA_METADATA_BYTES_MAX)
                k->errors[n] = KS_ERR_OFFSET_METADATA_TOO_LARGE;
            if (k->errors[n] != 0)
                continue;
            int64_t expire = req->retention_time_ms > 0 ? now_ms + req->retention_time_ms : -1;
            k->offsets[k->offset_count++] =
                (struct gmeta_offset){gmeta_string_dup(rt->name),
                                      rp->partition_index,
                                      rp->committed_offset,
                                      rp->committed_leader_epoch,
                                      gmeta_string_dup(rp->committed_metadata),
                                      rp->commit_timestamp >= 0 ? rp->commit_timestamp : now_ms,
                                      expire};
        }
    }
    KS_ASSERT(n == total);
    return k;
}

void gcoord_offset_commit(struct gcoord *c, const struct gcoord_client *client,
                          const struct api_offset_commit_request *request,
                          gcoord_commit_done_fn done, void *ctx)
{
    KS_ASSERT(!c->in_callback);
    enum ks_err err = commit_validate(c, request);
    struct commit *k = commit_new(c, request, done, ctx);
    if (err != KS_OK || k->offset_count == 0) {
        commit_answer(c, k, err);
        commit_free(k);
        return;
    }
    struct gmeta *g = gcoord_group_get_or_create(c, request->group_id);
    if (g == NULL) {
        commit_answer(c, k, KS_ERR_COORDINATOR_NOT_AVAILABLE);
        commit_free(k);
        return;
    }
    g->appends_in_flight++;
    struct gcoord_record *records = ks_alloc(sizeof(*records) * k->offset_count);
    for (uint32_t i = 0; i < k->offset_count; i++)
        offset_record(g, &k->offsets[i], false, &records[i]);
    if (env_bug(c->env, KS_BUG_GROUP_ACK_BEFORE_APPEND)) {
        commit_apply(c, k);
        commit_answer(c, k, KS_OK);
    }
    gcoord_append_records(c, g->partition, records, k->offset_count, commit_stored, k, commit_free);
    free(records);
}

/* ---- OffsetFetch --------------------------------------------------------------- */

static void fetch_partition(const struct gmeta *g, struct wire_string topic, int32_t partition,
                            struct api_offset_fetch_response_partition *out)
{
    const struct gmeta_offset *o = g ? gmeta_offset_find(g, topic, partition) : NULL;
    *out = (struct api_offset_fetch_response_partition){
        .partition_index = partition,
        .committed_offset = o ? o->offset : -1,
        .committed_leader_epoch = o ? o->leader_epoch : -1,
        .metadata = o && o->metadata.length >= 0 ? o->metadata : wire_string_from(""),
    };
}

/* Every committed partition of the group, grouped by topic (offsets are sorted). */
static void fetch_all(const struct gmeta *g, struct api_offset_fetch_response_group *out)
{
    uint32_t n = g ? g->offset_count : 0;
    out->topics = ks_alloc(sizeof(*out->topics) * (n + 1));
    for (uint32_t i = 0; i < n; i++) {
        const struct gmeta_offset *o = &g->offsets[i];
        struct api_offset_fetch_response_topic *t = &out->topics[out->topic_count];
        if (out->topic_count == 0 || !wire_string_equal(t[-1].name, o->topic)) {
            *t = (struct api_offset_fetch_response_topic){o->topic, 0, NULL};
            t->partitions = ks_alloc(sizeof(*t->partitions) * (n - i));
            out->topic_count++;
        } else {
            t = &t[-1];
        }
        fetch_partition(g, o->topic, o->partition, &t->partitions[t->partition_count++]);
    }
}

static void fetch_group(struct gcoord *c, const struct api_offset_fetch_request_group *req,
                        struct api_offset_fetch_response_group *out)
{
    out->group_id = req->group_id;
    enum ks_err err = gcoord_partition_error(c, req->group_id);
    out->error_code = gcoord_wire_error(err);
    if (err != KS_OK)
        return;
    const struct gmeta *g = gcoord_group_find(c, req->group_id);
    if (req->topic_count < 0) {
        fetch_all(g, out);
        return;
    }
    out->topic_count = (uint32_t)req->topic_count;
    out->topics = ks_alloc(sizeof(*out->topics) * (out->topic_count + 1));
    for (uint32_t t = 0; t < out->topic_count; t++) {
        const struct api_offset_fetch_request_topic *rt = &req->topics[t];
        struct api_offset_fetch_response_topic *ot = &out->topics[t];
        ot->name = rt->name;
        ot->partition_count = rt->partition_count;
        ot->partitions = ks_alloc(sizeof(*ot->partitions) * (rt->partition_count + 1));
        for (uint32_t p = 0; p < rt->partition_count; p++)
            fetch_partition(g, rt->name, rt->partition_indexes[p], &ot->partitions[p]);
    }
}

void gcoord_offset_fetch(struct gcoord *c, const struct gcoord_client *client,
                         const struct api_offset_fetch_request *request, gcoord_fetch_done_fn done,
                         void *ctx)
{
    KS_ASSERT(!c->in_callback);
    struct api_offset_fetch_response r = {.group_count = request->group_count};
    r.groups = ks_alloc(sizeof(*r.groups) * (request->group_count + 1));
    for (uint32_t i = 0; i < request->group_count; i++)
        fetch_group(c, &request->groups[i], &r.groups[i]);
    c->in_callback = true;
    done(ctx, &r);
    c->in_callback = false;
    for (uint32_t i = 0; i < r.group_count; i++) {
        for (uint32_t t = 0; t < r.groups[i].topic_count; t++)
            free(r.groups[i].topics[t].partitions);
        free(r.groups[i].topics);
    }
    free(r.groups);
}

/* ---- Expiry (KIP-211) ---------------------------------------------------------- */

/* Whether some member of a Stable consumer group subscribes to topic. */
static bool group_subscribes(const struct gmeta *g, struct wire_string topic)
{
    for (uint32_t i = 0; i < g->member_count; i++) {
        struct wire_bytes meta = gmeta_member_metadata(g, g->members[i]);
        struct cproto_subscription s;
        if (meta.size_bytes < 0 ||
            cproto_subscription_decode(meta.bytes, (uint32_t)meta.size_bytes, &s) != KS_OK)
            return true; /* unknown: keep the offsets */
        bool found = false;
        for (uint32_t t = 0; t < s.topic_count && !found; t++)
            found = wire_string_equal(s.topics[t], topic);
        cproto_subscription_free(&s);
        if (found)
            return true;
    }
    return false;
}

static bool offset_expired(const struct gcoord *c, const struct gmeta *g,
                           const struct gmeta_offset *o, int64_t now_ms)
{
    if (o->expire_timestamp_ms >= 0)
        return o->expire_timestamp_ms <= now_ms;
    int64_t retention = c->config.offsets_retention_ms;
    if (g->state == GMETA_EMPTY) {
        bool standalone = g->protocol_type.length <= 0;
        int64_t base = standalone ? o->commit_timestamp_ms : g->state_timestamp_ms;
        return base + retention <= now_ms;
    }
    if (g->state == GMETA_STABLE && wire_string_equal_cstr(g->protocol_type, CPROTO_PROTOCOL_TYPE))
        return o->commit_timestamp_ms + retention <= now_ms && !group_subscribes(g, o->topic);
    return false;
}

/* Tombstones need no answer: if they are lost, the next leader expires again. */
static void expire_stored(struct gcoord *c, void *data, enum ks_err err)
{
    if (err != KS_OK)
        env_logf(c->env, ENV_LOG_WARN, "offset expiry tombstones not written: %s",
                 ks_err_name(err));
}

static void expire_group(struct gcoord *c, struct gmeta *g, int64_t now_ms)
{
    if (g->appends_in_flight > 0)
        return; /* commits in flight: next pass */
    struct gcoord_record *records = ks_alloc(sizeof(*records) * (g->offset_count + 1));
    uint32_t n = 0;
    for (uint32_t i = g->offset_count; i > 0; i--) {
        struct gmeta_offset *o = &g->offsets[i - 1];
        if (!offset_expired(c, g, o, now_ms))
            continue;
        offset_record(g, o, true, &records[n++]);
        struct wire_string topic = gmeta_string_dup(o->topic);
        gmeta_offset_delete(g, topic, o->partition);
        gmeta_string_free(&topic);
    }
    bool dead = g->state == GMETA_EMPTY && g->offset_count == 0;
    if (dead)
        gcoord_group_record(g, true, &records[n++]);
    if (n > 0) {
        env_tracef(c->env, "group.expire", "group %.*s: %u offsets expire%s",
                   (int)g->group_id.length, g->group_id.chars, n - (dead ? 1u : 0u),
                   dead ? ", the group is dead" : "");
        gcoord_append_records(c, g->partition, records, n, expire_stored, NULL, NULL);
    }
    free(records);
    if (dead)
        gcoord_group_remove(c, g, KS_ERR_COORDINATOR_NOT_AVAILABLE);
}

void gcoord_expire_offsets(struct gcoord *c)
{
    KS_ASSERT(!c->in_callback);
    int64_t now_ms = env_wall_ms(c->env);
    /* Walk a copy: a dead group leaves the table. */
    uint32_t count = c->group_count;
    struct gmeta **groups = ks_alloc(sizeof(*groups) * (count + 1));
    memcpy(groups, c->groups, sizeof(*groups) * count);
    for (uint32_t i = 0; i < count; i++) {
        if (c->partitions[groups[i]->partition].state == GCOORD_PARTITION_ACTIVE)
            expire_group(c, groups[i], now_ms);
    }
    free(groups);
}

void gcoord_retention_timer_fire(void *ctx)
{
    struct gcoord *c = ctx;
    c->retention_timer = 0;
    gcoord_expire_offsets(c);
    c->retention_timer = env_timer_start(
        c->env, (uint64_t)c->config.offsets_retention_check_interval_ms * GCOORD_NS_PER_MS,
        gcoord_retention_timer_fire, c);
}

/* ---- Loading ------------------------------------------------------------------- */

static void load_offset(struct gcoord *c, const struct offrec_key *key, const uint8_t *value,
                        uint32_t value_size)
{
    struct gmeta *g = gcoord_group_get_or_create(c, key->group);
    if (g == NULL)
        return;
    if (value == NULL) {
        gmeta_offset_delete(g, key->topic, key->partition);
        return;
    }
    struct offrec_offset_commit_value v;
    if (offrec_offset_commit_value_decode(value, value_size, &v) != KS_OK)
        return;
    struct gmeta_offset o = {key->topic,
                             key->partition,
                             v.offset,
                             v.leader_epoch,
                             v.metadata,
                             v.commit_timestamp,
                             v.version == 1 ? v.expire_timestamp : -1};
    if (gmeta_offset_put(g, &o) != KS_OK)
        env_logf(c->env, ENV_LOG_WARN, "group %.*s: too many offsets while loading",
                 (int)key->group.length, key->group.chars);
}

/* Drops a loaded group's members (a newer GroupMetadata value replaces them). */
static void group_members_clear(struct gmeta *g)
{
    for (uint32_t i = 0; i < g->member_count; i++)
        gmeta_member_free(g->members[i]);
    g->member_count = 0;
    gmeta_string_free(&g->leader);
    gmeta_string_free(&g->protocol);
}

static void load_member(struct gcoord *c, struct gmeta *g, const struct offrec_member *om)
{
    if (om->member_id.length <= 0 || gmeta_member_find(g, om->member_id) != NULL ||
        g->member_count >= GMETA_MEMBERS_MAX)
        return;
    struct api_join_group_protocol p = {g->protocol, om->subscription};
    struct api_join_group_request req = {
        .group_id = g->group_id,
        .session_timeout_ms = om->session_timeout_ms,
        .rebalance_timeout_ms = om->rebalance_timeout_ms,
        .member_id = om->member_id,
        .group_instance_id = om->group_instance_id,
        .protocol_type = g->protocol_type,
        .protocol_count = 1,
        .protocols = &p,
    };
    struct gmeta_member *m = gmeta_member_create(g, om->member_id, &req, om->client_id,
                                                 om->client_host, c->join_seq_next++);
    gmeta_member_set_assignment(m, om->assignment);
    m->generation = g->generation;
    gmeta_member_insert(g, m);
}

static void load_group(struct gcoord *c, const struct offrec_key *key, const uint8_t *value,
                       uint32_t value_size)
{
    struct gmeta *g = gcoord_group_find(c, key->group);
    if (value == NULL) {
        if (g != NULL)
            gcoord_group_remove(c, g, KS_ERR_NOT_COORDINATOR);
        return;
    }
    struct offrec_group_metadata_value v;
    if (offrec_group_metadata_value_decode(value, value_size, &v) != KS_OK)
        return;
    g = gcoord_group_get_or_create(c, key->group);
    if (g != NULL && (v.member_count == 0 || v.protocol.length >= 0)) {
        group_members_clear(g);
        g->generation = v.generation;
        gmeta_set_string(&g->protocol_type, v.protocol_type);
        gmeta_set_string(&g->protocol, v.protocol);
        if (v.member_count > 0)
            gmeta_set_string(&g->leader, v.leader);
        g->state_timestamp_ms = v.current_state_timestamp;
        for (uint32_t i = 0; i < v.member_count; i++)
            load_member(c, g, &v.members[i]);
        g->generation_member_count = g->member_count;
        g->state = g->member_count > 0 ? GMETA_STABLE : GMETA_EMPTY;
    }
    offrec_group_metadata_value_free(&v);
}

static void load_record(struct gcoord_partition *part, const struct rb_record *r)
{
    struct gcoord *c = part->coordinator;
    struct offrec_key key;
    if (r->key == NULL || offrec_key_decode(r->key, r->key_size, &key) != KS_OK ||
        gcoord_partition_for(&c->config, key.group) != part->partition) {
        part->records_skipped++;
        return;
    }
    part->records_replayed++;
    if (key.version == OFFREC_KEY_GROUP_METADATA)
        load_group(c, &key, r->value, r->value_size);
    else
        load_offset(c, &key, r->value, r->value_size);
}

void gcoord_load_begin(struct gcoord *c, int32_t partition, int32_t leader_epoch)
{
    KS_ASSERT(partition >= 0 && partition < c->config.offsets_partition_count);
    struct gcoord_partition *part = &c->partitions[partition];
    KS_ASSERT(part->state == GCOORD_PARTITION_NOT_OWNED);
    part->state = GCOORD_PARTITION_LOADING;
    part->leader_epoch = leader_epoch;
    part->records_replayed = 0;
    part->records_skipped = 0;
    env_tracef(c->env, "group.load", "__consumer_offsets-%d: loading, leader epoch %d", partition,
               leader_epoch);
}

enum ks_err gcoord_load_batches(struct gcoord *c, int32_t partition, const uint8_t *bytes,
                                uint32_t size_bytes)
{
    struct gcoord_partition *part = &c->partitions[partition];
    KS_ASSERT(part->state == GCOORD_PARTITION_LOADING);
    uint32_t at = 0;
    while (at < size_bytes) {
        struct rb_batch batch;
        enum ks_err err = rb_decode(bytes + at, size_bytes - at, &batch);
        if (err != KS_OK)
            return err;
        at += batch.size_bytes;
        if ((batch.header.attributes & RB_ATTR_CONTROL) == 0) {
            struct rb_iter it;
            struct rb_record r;
            rb_iter_init(&it, &batch);
            while (rb_iter_next(&it, &r))
                load_record(part, &r);
        }
        rb_batch_release(&batch);
    }
    KS_ASSERT(at == size_bytes);
    return KS_OK;
}

void gcoord_load_end(struct gcoord *c, int32_t partition)
{
    struct gcoord_partition *part = &c->partitions[partition];
    KS_ASSERT(part->state == GCOORD_PARTITION_LOADING);
    part->state = GCOORD_PARTITION_ACTIVE;
    uint32_t groups = 0;
    for (uint32_t i = 0; i < c->group_count; i++) {
        struct gmeta *g = c->groups[i];
        if (g->partition != partition)
            continue;
        groups++;
        for (uint32_t m = 0; m < g->member_count; m++)
            gcoord_member_touch(c, g->members[m]);
    }
    env_tracef(c->env, "group.load",
               "__consumer_offsets-%d: loaded %u groups from %llu records (%llu skipped)",
               partition, groups, (unsigned long long)part->records_replayed,
               (unsigned long long)part->records_skipped);
}

static void load_finish(struct gcoord_partition *part, enum ks_err err)
{
    struct gcoord *c = part->coordinator;
    gcoord_load_done_fn done = part->load_done;
    void *ctx = part->load_ctx;
    part->log = NULL;
    part->load_done = NULL;
    if (err == KS_OK)
        gcoord_load_end(c, part->partition);
    else
        gcoord_unload(c, part->partition);
    if (done != NULL)
        done(ctx, part->partition, err);
}

/* One chunk of the partition's log; whole batches only, the rest next step. */
static enum ks_err load_step_read(struct gcoord_partition *part, bool *finished)
{
    uint8_t *bytes = NULL;
    uint32_t size = 0;
    enum ks_err err = plog_read(part->log, part->load_offset, GCOORD_LOAD_CHUNK_BYTES,
                                part->load_end_offset, true, &bytes, &size);
    if (err != KS_OK || bytes == NULL) {
        *finished = true;
        free(bytes);
        return err;
    }
    uint32_t whole = 0;
    int64_t next = part->load_offset;
    struct rb_scan scan;
    while (whole < size && rb_scan(bytes + whole, size - whole, &scan) == KS_OK) {
        whole += scan.size_bytes;
        next = scan.last_offset + 1;
    }
    err = whole > 0 ? gcoord_load_batches(part->coordinator, part->partition, bytes, whole)
                    : KS_ERR_CORRUPT_MESSAGE;
    free(bytes);
    part->load_offset = next;
    *finished = err != KS_OK || next >= part->load_end_offset;
    return err;
}

static void load_step(void *ctx)
{
    struct gcoord_partition *part = ctx;
    part->load_timer = 0;
    KS_ASSERT(part->state == GCOORD_PARTITION_LOADING);
    bool finished = part->log == NULL || part->load_offset >= part->load_end_offset ||
                    ++part->load_steps > GCOORD_LOAD_STEPS_MAX;
    enum ks_err err = KS_OK;
    if (!finished) {
        if (part->load_offset < part->log->log_start_offset)
            part->load_offset = part->log->log_start_offset;
        err = load_step_read(part, &finished);
    }
    if (finished) {
        load_finish(part, err);
        return;
    }
    part->load_timer = env_timer_start(part->coordinator->env, 0, load_step, part);
}

enum ks_err gcoord_load(struct gcoord *c, int32_t partition, int32_t leader_epoch, struct plog *log,
                        int64_t end_offset, gcoord_load_done_fn done, void *ctx)
{
    if (partition < 0 || partition >= c->config.offsets_partition_count)
        return KS_ERR_INVALID;
    struct gcoord_partition *part = &c->partitions[partition];
    if (part->state != GCOORD_PARTITION_NOT_OWNED)
        return KS_ERR_EXISTS;
    gcoord_load_begin(c, partition, leader_epoch);
    part->log = log;
    part->load_offset = 0;
    part->load_end_offset = log == NULL ? 0 : end_offset;
    part->load_steps = 0;
    part->load_done = done;
    part->load_ctx = ctx;
    part->load_timer = env_timer_start(c->env, 0, load_step, part);
    return KS_OK;
}

void gcoord_unload(struct gcoord *c, int32_t partition)
{
    KS_ASSERT(partition >= 0 && partition < c->config.offsets_partition_count);
    struct gcoord_partition *part = &c->partitions[partition];
    if (part->state == GCOORD_PARTITION_NOT_OWNED)
        return;
    if (part->load_timer != 0)
        env_timer_cancel(c->env, part->load_timer);
    part->load_timer = 0;
    part->state = GCOORD_PARTITION_NOT_OWNED;
    /* Groups first: the dropped appends' continuations then find none to update. */
    for (uint32_t i = c->group_count; i > 0; i--) {
        if (i - 1 < c->group_count && c->groups[i - 1]->partition == partition)
            gcoord_group_remove(c, c->groups[i - 1], KS_ERR_NOT_COORDINATOR);
    }
    gcoord_appends_drop(c, partition, true);
    env_tracef(c->env, "group.load", "__consumer_offsets-%d: unloaded", partition);
    gcoord_load_done_fn done = part->load_done;
    part->load_done = NULL;
    part->log = NULL;
    if (done != NULL)
        done(part->load_ctx, partition, KS_ERR_NOT_COORDINATOR);
}
