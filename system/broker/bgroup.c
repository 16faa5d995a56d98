/*
 * bgroup.c: the group APIs' request handlers on a broker, see bgroup.h. Kafka:
 * KafkaApis (handleFindCoordinatorRequest, handleJoinGroupRequest,
 * handleSyncGroupRequest, handleHeartbeatRequest, handleLeaveGroupRequest,
 * handleOffsetCommitRequest, handleOffsetFetchRequest, handleDescribeGroupsRequest,
 * handleListGroupsRequest, handleDeleteGroupsRequest).
 *
 * Every handler has the same shape: decode the body at the request's version (a body
 * that does not decode closes the connection, as Kafka does), hand the decoded request
 * to the coordinator with the srv request as the completion's context, free what the
 * decoder allocated (the coordinator copies what it keeps), and in the completion
 * encode the response at the request's version and end the request.
 */
#include "bgroup.h"

#include <stdlib.h>
#include <string.h>

struct bgroup *bgroup_create(struct env *env, const struct gcoord_config *config,
                             const struct bgroup_host *host)
{
    KS_ASSERT(host->log != NULL);
    KS_ASSERT(host->leader_of != NULL);
    struct bgroup *g = ks_alloc(sizeof(*g));
    g->env = env;
    g->config = *config;
    g->host = *host;
    g->coord = gcoord_create(env, config, host->log);
    KS_ASSERT(g->coord != NULL);
    return g;
}

void bgroup_stop(struct bgroup *g)
{
    if (g != NULL)
        gcoord_stop(g->coord);
}

void bgroup_free(struct bgroup *g)
{
    if (g == NULL)
        return;
    gcoord_free(g->coord);
    free(g);
}

static struct gcoord_client bgroup_client(const struct srv_request *request)
{
    struct gcoord_client client;
    memset(&client, 0, sizeof(client));
    client.api_version = request->header.api_version;
    client.client_id =
        request->header.client_id.length >= 0 ? request->header.client_id : wire_string_from("");
    client.client_host = wire_string_from(request->peer_name != NULL ? request->peer_name : "");
    return client;
}

/*
 * One handler and its completion per API. NAME is the api_NAME codec prefix and
 * gcoord_CALL the coordinator's handler; FREE_REQ frees a decoded request (a no-op for
 * heartbeats and syncs, whose decoders allocate nothing).
 */
#define BGROUP_DONE(NAME)                                                                          \
    static void bgroup_##NAME##_done(void *ctx, const struct api_##NAME##_response *response)      \
    {                                                                                              \
        struct srv_request *request = ctx;                                                         \
        struct wire_writer body;                                                                   \
        wire_writer_init(&body);                                                                   \
        api_##NAME##_response_encode(&body, request->header.api_version, response);                \
        srv_respond(request, &body);                                                               \
        wire_writer_free(&body);                                                                   \
    }

#define BGROUP_HANDLE(NAME, CALL, FREE_REQ)                                                        \
    BGROUP_DONE(NAME)                                                                              \
    static void bgroup_##NAME(void *ctx, struct srv_request *request)                              \
    {                                                                                              \
        struct bgroup *g = ctx;                                                                    \
        struct api_##NAME##_request decoded;                                                       \
        memset(&decoded, 0, sizeof(decoded));                                                      \
        if (api_##NAME##_request_decode(request->header.api_version, request->body,                \
                                        request->body_size_bytes, &decoded) != KS_OK) {            \
            srv_respond_close(request);                                                            \
            return;                                                                                \
        }                                                                                          \
        g->requests++;                                                                             \
        struct gcoord_client client = bgroup_client(request);                                      \
        gcoord_##CALL(g->coord, &client, &decoded, bgroup_##NAME##_done, request);                 \
        FREE_REQ(&decoded);                                                                        \
    }

static inline void bgroup_free_nothing(void *decoded)
{
    (void)decoded;
}

BGROUP_HANDLE(join_group, join_group, api_join_group_request_free)
BGROUP_HANDLE(sync_group, sync_group, api_sync_group_request_free)
BGROUP_HANDLE(heartbeat, heartbeat, bgroup_free_nothing)
BGROUP_HANDLE(leave_group, leave_group, api_leave_group_request_free)
BGROUP_HANDLE(offset_commit, offset_commit, api_offset_commit_request_free)
BGROUP_HANDLE(offset_fetch, offset_fetch, api_offset_fetch_request_free)
BGROUP_HANDLE(describe_groups, describe_groups, api_describe_groups_request_free)
BGROUP_HANDLE(list_groups, list_groups, api_list_groups_request_free)
BGROUP_HANDLE(delete_groups, delete_groups, api_delete_groups_request_free)

/* FindCoordinator is answered at once from the host's view of leadership. */
static void bgroup_find_coordinator(void *ctx, struct srv_request *request)
{
    struct bgroup *g = ctx;
    struct api_find_coordinator_request decoded;
    memset(&decoded, 0, sizeof(decoded));
    if (api_find_coordinator_request_decode(request->header.api_version, request->body,
                                            request->body_size_bytes, &decoded) != KS_OK) {
        srv_respond_close(request);
        return;
    }
    g->requests++;
    struct api_find_coordinator_response response;
    memset(&response, 0, sizeof(response));
    gcoord_find_coordinator(&g->config, &decoded, g->host.leader_of, g->host.leader_ctx, &response);
    KS_ASSERT(response.coordinator_count == decoded.key_count);
    struct wire_writer body;
    wire_writer_init(&body);
    api_find_coordinator_response_encode(&body, request->header.api_version, &response);
    srv_respond(request, &body);
    wire_writer_free(&body);
    gcoord_find_coordinator_response_free(&response);
    api_find_coordinator_request_free(&decoded);
}

static struct srv_handler bgroup_row(struct bgroup *g, int16_t api_key, srv_handler_fn fn)
{
    const struct api_info *info = api_info(api_key);
    KS_ASSERT(info != NULL);
    KS_ASSERT(info->version_min != API_VERSION_NONE);
    struct srv_handler row = {api_key, info->version_min, info->version_max, fn, g};
    return row;
}

uint32_t bgroup_handlers(struct bgroup *g, struct srv_handler *out, uint32_t out_capacity)
{
    KS_ASSERT(out_capacity >= BGROUP_HANDLERS_COUNT);
    uint32_t n = 0;
    out[n++] = bgroup_row(g, API_FIND_COORDINATOR, bgroup_find_coordinator);
    out[n++] = bgroup_row(g, API_JOIN_GROUP, bgroup_join_group);
    out[n++] = bgroup_row(g, API_SYNC_GROUP, bgroup_sync_group);
    out[n++] = bgroup_row(g, API_HEARTBEAT, bgroup_heartbeat);
    out[n++] = bgroup_row(g, API_LEAVE_GROUP, bgroup_leave_group);
    out[n++] = bgroup_row(g, API_OFFSET_COMMIT, bgroup_offset_commit);
    out[n++] = bgroup_row(g, API_OFFSET_FETCH, bgroup_offset_fetch);
    out[n++] = bgroup_row(g, API_DESCRIBE_GROUPS, bgroup_describe_groups);
    out[n++] = bgroup_row(g, API_LIST_GROUPS, bgroup_list_groups);
    out[n++] = bgroup_row(g, 42 /* DeleteGroups */, bgroup_delete_groups);
    KS_ASSERT(n == BGROUP_HANDLERS_COUNT);
    return n;
}

/* ---- Leadership of __consumer_offsets --------------------------------------------- */

static void bgroup_loaded(void *ctx, int32_t partition, enum ks_err err)
{
    struct bgroup *g = ctx;
    env_tracef(g->env, "group.load", "%s-%d loaded: %s", BGROUP_OFFSETS_TOPIC, partition,
               ks_err_name(err));
}

void bgroup_become_leader(struct bgroup *g, int32_t partition, int32_t leader_epoch,
                          struct plog *log, int64_t end_offset)
{
    KS_ASSERT(partition >= 0);
    KS_ASSERT(partition < g->config.offsets_partition_count);
    gcoord_unload(g->coord, partition); /* a new epoch reloads from the log */
    enum ks_err err =
        gcoord_load(g->coord, partition, leader_epoch, log, end_offset, bgroup_loaded, g);
    if (err != KS_OK)
        env_tracef(g->env, "group.load", "%s-%d not loaded: %s", BGROUP_OFFSETS_TOPIC, partition,
                   ks_err_name(err));
}

void bgroup_resign(struct bgroup *g, int32_t partition)
{
    KS_ASSERT(partition >= 0);
    KS_ASSERT(partition < g->config.offsets_partition_count);
    gcoord_unload(g->coord, partition);
}
