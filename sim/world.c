/*
 * world.c: the simulated world of world.h: nodes and their lifecycle, the env.h
 * implementation each node runs on, TCP-like connections with latency and partitions,
 * clocks, and the trace hash.
 *
 * Every event aimed at a node (a timer, bytes arriving, a connection opening or
 * closing) carries the node's incarnation. It passes a gate when it fires: events of
 * an earlier incarnation, or for a node that is not running, are dropped; events for
 * a paused or busy node (blocked in a slow disk call) are deferred to the moment it
 * is ready again, in the order they were due, so per-connection order holds.
 */
#include "world.h"

#include <stdlib.h>
#include <string.h>

#define WORLD_PORTS_PER_NODE_MAX WORLD_LISTENERS_MAX
#define WORLD_TRACE_TEXT_BYTES_MAX 1024u
#define WORLD_LINK_OVERRIDES_MAX 1024u

struct world_listener {
    uint16_t port;
    env_accept_fn fn;
    void *ctx;
};

struct world_node;

/* The env a node's system code sees; embeds struct env first. */
struct world_env {
    struct env env;
    struct world *world;
    int node;
};

struct world_node {
    char name[WORLD_NODE_NAME_BYTES_MAX];
    const struct world_node_type *type;
    struct props config;
    enum world_node_state state;
    void *impl;
    uint32_t incarnation;
    struct world_env wenv;

    struct simdisk *disk;
    struct rng disk_rng;
    struct rng rng;

    uint64_t ready_at_ns;  /* events before this wait: pause end or disk busy time */
    int64_t clock_offset_ms;
    int32_t clock_drift_ppm;
    uint64_t clock_drift_since_ns;

    struct world_listener listeners[WORLD_PORTS_PER_NODE_MAX];
    uint32_t listener_count;
    uint32_t conn_count; /* connection ends this node holds */
};

/* What travels between nodes, and the timers: all are events with a record. */
enum world_msg_kind {
    MSG_SYN,     /* a connect reaching the listener's node */
    MSG_SYNACK,  /* the connect's answer reaching the connecting node (err says how) */
    MSG_DATA,    /* bytes */
    MSG_FIN,     /* graceful close from the other end */
    MSG_BREAK,   /* the connection broke */
    MSG_TIMEOUT, /* the connect got no answer in time */
};

struct world_msg {
    uint64_t conn_id;
    uint8_t kind;
    uint8_t to_side;
    bool local; /* not subject to partitions (a timeout, a break notice) */
    int16_t err;
    uint32_t size_bytes;
    struct world_msg *next; /* held queue of a one-way partition */
    uint8_t bytes[];
};

enum world_end_state { END_CONNECTING, END_OPEN, END_GONE };

struct world_conn {
    uint64_t id;
    int node[2]; /* side 0 connected, side 1 accepted */
    uint32_t incarnation[2];
    const struct env_conn_handler *handler[2];
    void *ctx[2];
    uint8_t end[2];
    uint16_t port;
    bool broken;                 /* in-flight bytes are lost; break notices are on the way */
    uint64_t last_arrival_ns[2]; /* per direction, indexed by receiving side */
    struct world_msg *held_head[2], *held_tail[2]; /* per receiving side */
};

struct world_timer {
    int node;
    uint32_t incarnation;
    env_timer_fn fn;
    void *ctx;
};

struct world_link_latency {
    int from, to;
    uint64_t ns_min, ns_max;
    uint32_t tail_ppm;
    uint64_t tail_ns_max;
};

struct world_conn_slot {
    uint64_t id;
    struct world_conn *conn; /* NULL once freed */
};

struct world_observer {
    world_observer_fn fn;
    void *ctx;
};

struct world {
    struct world_config config;
    struct sched *sched;
    struct rng rng;

    struct world_node *nodes[WORLD_NODES_MAX];
    uint32_t node_count;

    /* Connections sorted by id (ids only grow); freed slots hold NULL. */
    struct world_conn_slot *conns;
    uint32_t conn_slots;
    uint32_t conn_capacity;
    uint32_t conn_live;
    uint64_t conn_id_next;

    uint8_t *blocked; /* [from * WORLD_NODES_MAX + to] */
    struct rng **link_rng;
    struct world_link_latency overrides[WORLD_LINK_OVERRIDES_MAX];
    uint32_t override_count;

    struct world_observer observers[WORLD_OBSERVERS_MAX];
    uint32_t observer_count;

    uint64_t trace_hash;
    FILE *trace_file;
    world_trace_listener_fn trace_listener; /* sees every record (smcov, figures) */
    void *trace_listener_ctx;
    bool stop_requested;
    int current_node; /* whose callback runs now, -1 for none */
};

static const struct env_ops world_env_ops;

/* ---- Config, create, destroy -------------------------------------------------- */

void world_config_default(struct world_config *config, uint64_t seed)
{
    memset(config, 0, sizeof(*config));
    config->seed = seed;
    config->link_latency_ns_min = 100 * 1000;
    config->link_latency_ns_max = 2 * WORLD_NS_PER_MS;
    config->connect_timeout_ns = 3000 * WORLD_NS_PER_MS;
    config->wall_epoch_ms = 1767225600000LL; /* 2026-01-01T00:00:00Z */
    config->buggify_ppm = 0;
}

struct world *world_create(const struct world_config *config)
{
    KS_ASSERT(config->link_latency_ns_min <= config->link_latency_ns_max);
    struct world *w = ks_alloc(sizeof(*w));
    w->config = *config;
    w->sched = sched_create();
    rng_derive(&w->rng, config->seed, "world");
    w->blocked = ks_alloc((size_t)WORLD_NODES_MAX * WORLD_NODES_MAX);
    w->link_rng = ks_alloc(sizeof(*w->link_rng) * WORLD_NODES_MAX * WORLD_NODES_MAX);
    w->conn_id_next = 1;
    w->trace_hash = KS_FNV1A64_INIT;
    w->current_node = -1;
    return w;
}

static void world_event_drop(void *ctx, uint64_t arg);

static void conn_free(struct world_conn *c)
{
    for (int side = 0; side < 2; side++) {
        struct world_msg *m = c->held_head[side];
        while (m != NULL) {
            struct world_msg *next = m->next;
            free(m);
            m = next;
        }
    }
    free(c);
}

void world_destroy(struct world *world)
{
    if (world == NULL)
        return;
    for (uint32_t i = 0; i < world->node_count; i++) {
        struct world_node *n = world->nodes[i];
        if (n->impl != NULL)
            n->type->destroy(n->impl);
        simdisk_destroy(n->disk);
        props_free(&n->config);
        free(n);
    }
    sched_drain(world->sched, world_event_drop);
    sched_destroy(world->sched);
    for (uint32_t i = 0; i < world->conn_slots; i++) {
        if (world->conns[i].conn != NULL)
            conn_free(world->conns[i].conn);
    }
    free(world->conns);
    for (size_t i = 0; i < (size_t)WORLD_NODES_MAX * WORLD_NODES_MAX; i++)
        free(world->link_rng[i]);
    free(world->link_rng);
    free(world->blocked);
    free(world);
}

struct sched *world_sched(struct world *world) { return world->sched; }

/* A harness event's record: the world frees it when it fires or at destruction. */
struct world_harness_event {
    sched_fn fn;
    void *ctx;
    uint64_t arg;
};

static void world_harness_fire(void *ctx, uint64_t arg)
{
    struct world_harness_event e = *(struct world_harness_event *)ctx;
    (void)arg;
    free(ctx);
    e.fn(e.ctx, e.arg);
}

sched_event_id world_at(struct world *world, uint64_t at_ns, sched_fn fn, void *ctx,
                        uint64_t arg)
{
    KS_ASSERT(fn != NULL);
    KS_ASSERT(world->current_node == -1);
    struct world_harness_event *e = ks_alloc(sizeof(*e));
    *e = (struct world_harness_event){fn, ctx, arg};
    return sched_at(world->sched, at_ns, world_harness_fire, e, 0);
}
uint64_t world_now_ns(const struct world *world) { return sched_now_ns(world->sched); }
uint64_t world_seed(const struct world *world) { return world->config.seed; }
const struct world_config *world_config_of(const struct world *world) { return &world->config; }
struct rng *world_rng(struct world *world) { return &world->rng; }
uint64_t world_events_count(const struct world *world) { return sched_run_count(world->sched); }
uint64_t world_trace_hash(const struct world *world) { return world->trace_hash; }
void world_trace_file_set(struct world *world, FILE *file) { world->trace_file = file; }
void world_trace_listener_set(struct world *world, world_trace_listener_fn fn, void *ctx)
{
    world->trace_listener = fn;
    world->trace_listener_ctx = ctx;
}
void world_stop(struct world *world) { world->stop_requested = true; }
bool world_stopped(const struct world *world) { return world->stop_requested; }

/* ---- Trace -------------------------------------------------------------------- */

/* Fold one record into the hash: time, node, kind, then the payload bytes. */
static void trace_fold(struct world *w, int node, const char *kind, const void *payload,
                       size_t payload_bytes)
{
    uint8_t head[12];
    ks_be64_store(head, world_now_ns(w));
    ks_be32_store(head + 8, (uint32_t)node);
    uint64_t h = ks_fnv1a64(w->trace_hash, head, sizeof(head));
    h = ks_fnv1a64(h, kind, strlen(kind) + 1);
    w->trace_hash = ks_fnv1a64(h, payload, payload_bytes);
}

static const char *trace_node_name(const struct world *w, int node)
{
    return node < 0 ? "world" : w->nodes[node]->name;
}

void world_trace(struct world *world, int node, const char *kind, const char *text)
{
    trace_fold(world, node, kind, text, strlen(text));
    if (world->trace_listener != NULL)
        world->trace_listener(world->trace_listener_ctx, world, node, kind, text);
    if (world->trace_file != NULL) {
        uint64_t t = world_now_ns(world);
        fprintf(world->trace_file, "%llu.%06llu %s %s %s\n",
                (unsigned long long)(t / WORLD_NS_PER_MS),
                (unsigned long long)(t % WORLD_NS_PER_MS), trace_node_name(world, node), kind,
                text);
    }
}

void world_tracef(struct world *world, int node, const char *kind, const char *fmt, ...)
{
    char text[WORLD_TRACE_TEXT_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    world_trace(world, node, kind, text);
}

/* A network record: binary fields hashed, text only when a trace file is open. */
static void trace_net(struct world *w, int node, const char *kind, uint64_t conn_id,
                      const uint8_t *bytes, uint32_t size_bytes)
{
    uint8_t fields[16];
    ks_be64_store(fields, conn_id);
    ks_be64_store(fields + 8, ks_fnv1a64(KS_FNV1A64_INIT, bytes, size_bytes));
    trace_fold(w, node, kind, fields, sizeof(fields));
    if (w->trace_file != NULL) {
        uint64_t t = world_now_ns(w);
        fprintf(w->trace_file, "%llu.%06llu %s %s conn=%llu bytes=%u\n",
                (unsigned long long)(t / WORLD_NS_PER_MS),
                (unsigned long long)(t % WORLD_NS_PER_MS), trace_node_name(w, node), kind,
                (unsigned long long)conn_id, size_bytes);
    }
}

/* ---- Nodes -------------------------------------------------------------------- */

const char *world_node_state_name(enum world_node_state state)
{
    switch (state) {
    case WORLD_NODE_DOWN: return "down";
    case WORLD_NODE_RUNNING: return "running";
    case WORLD_NODE_PAUSED: return "paused";
    case WORLD_NODE_CRASHED: return "crashed";
    case WORLD_NODE_KILLED: return "killed";
    case WORLD_NODE_STOPPED: return "stopped";
    }
    return "?";
}

/* The node lifecycle as a state machine (system/sm.h), indexed by enum world_node_state. */
static const char *const world_node_sm_names[] = {"Down",    "Running", "Paused",
                                                  "Crashed", "Killed",  "Stopped"};
#define WORLD_SM_ALIVE_EXITS                                                                       \
    (SM_BIT(WORLD_NODE_CRASHED) | SM_BIT(WORLD_NODE_KILLED) | SM_BIT(WORLD_NODE_STOPPED))
static const uint32_t world_node_sm_next[] = {
    [WORLD_NODE_DOWN] = SM_BIT(WORLD_NODE_RUNNING),
    [WORLD_NODE_RUNNING] = SM_BIT(WORLD_NODE_PAUSED) | WORLD_SM_ALIVE_EXITS,
    [WORLD_NODE_PAUSED] = SM_BIT(WORLD_NODE_RUNNING) | WORLD_SM_ALIVE_EXITS,
    [WORLD_NODE_CRASHED] = SM_BIT(WORLD_NODE_RUNNING),
    [WORLD_NODE_KILLED] = SM_BIT(WORLD_NODE_RUNNING),
    [WORLD_NODE_STOPPED] = SM_BIT(WORLD_NODE_RUNNING),
};
const struct sm_def world_node_sm = {"node", world_node_sm_names,
                                     KS_ARRAY_COUNT(world_node_sm_names), world_node_sm_next};

/* Every change of a node's state goes through here: asserted legal, traced as `sm`. */
static void node_set_state(struct world *w, int node, enum world_node_state to)
{
    struct world_node *n = w->nodes[node];
    KS_ASSERT(sm_legal(&world_node_sm, n->state, to) || n->state == to);
    if (n->state != to) {
        char text[2 * SM_NAME_BYTES_MAX + 8];
        sm_format(&world_node_sm, n->state, to, text, sizeof(text));
        world_trace(w, node, SM_TRACE_KIND, text);
    }
    n->state = to;
}

static bool node_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= WORLD_NODE_NAME_BYTES_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

int world_node_find(const struct world *world, const char *name)
{
    for (uint32_t i = 0; i < world->node_count; i++) {
        if (strcmp(world->nodes[i]->name, name) == 0)
            return (int)i;
    }
    return -1;
}

int world_node_add(struct world *world, const char *name, const struct world_node_type *type,
                   const struct props *config)
{
    KS_ASSERT(type != NULL);
    if (!node_name_valid(name) || world_node_find(world, name) >= 0 ||
        world->node_count == WORLD_NODES_MAX)
        return -1;
    struct world_node *n = ks_alloc(sizeof(*n));
    int id = (int)world->node_count;
    snprintf(n->name, sizeof(n->name), "%s", name);
    n->type = type;
    props_init(&n->config);
    if (config != NULL && props_merge(&n->config, config) != KS_OK) {
        props_free(&n->config);
        free(n);
        return -1;
    }
    char stream[WORLD_NODE_NAME_BYTES_MAX + 16];
    snprintf(stream, sizeof(stream), "node/%s", name);
    rng_derive(&n->rng, world->config.seed, stream);
    snprintf(stream, sizeof(stream), "disk/%s", name);
    rng_derive(&n->disk_rng, world->config.seed, stream);
    n->disk = simdisk_create(&n->disk_rng);
    n->wenv.env.ops = &world_env_ops;
    n->wenv.env.node_name = n->name;
    n->wenv.env.bugs = world->config.bugs;
    n->wenv.world = world;
    n->wenv.node = id;
    world->nodes[world->node_count++] = n;
    world_tracef(world, id, "node.add", "type=%s", type->name);
    return id;
}

static struct world_node *node_at(const struct world *w, int node)
{
    KS_ASSERT(node >= 0);
    KS_ASSERT((uint32_t)node < w->node_count);
    return w->nodes[node];
}

uint32_t world_node_count(const struct world *world) { return world->node_count; }
const char *world_node_name(const struct world *world, int node)
{
    return node_at(world, node)->name;
}
enum world_node_state world_node_state_of(const struct world *world, int node)
{
    return node_at(world, node)->state;
}
const struct world_node_type *world_node_type_of(const struct world *world, int node)
{
    return node_at(world, node)->type;
}
void *world_node_impl(const struct world *world, int node) { return node_at(world, node)->impl; }
struct simdisk *world_node_disk(struct world *world, int node)
{
    return node_at(world, node)->disk;
}
struct env *world_node_env(struct world *world, int node)
{
    return &node_at(world, node)->wenv.env;
}
uint32_t world_node_incarnation(const struct world *world, int node)
{
    return node_at(world, node)->incarnation;
}

static bool node_alive(const struct world_node *n)
{
    return n->state == WORLD_NODE_RUNNING || n->state == WORLD_NODE_PAUSED;
}

/* The node's own notion of now: virtual time, or later while it is blocked. */
static uint64_t node_now_ns(const struct world *w, const struct world_node *n)
{
    uint64_t now = world_now_ns(w);
    return n->ready_at_ns > now ? n->ready_at_ns : now;
}

/* ---- Event gate ----------------------------------------------------------------- */

enum gate { GATE_RUN, GATE_DROP, GATE_DEFER };

static enum gate gate_check(struct world *w, int node, uint32_t incarnation)
{
    struct world_node *n = node_at(w, node);
    if (!node_alive(n) || n->incarnation != incarnation)
        return GATE_DROP;
    if (n->state == WORLD_NODE_PAUSED || n->ready_at_ns > world_now_ns(w))
        return GATE_DEFER;
    return GATE_RUN;
}

static void node_callback_begin(struct world *w, int node)
{
    KS_ASSERT(w->current_node == -1);
    w->current_node = node;
}

static void node_callback_end(struct world *w, int node)
{
    KS_ASSERT(w->current_node == node);
    w->current_node = -1;
}

/* ---- Timers ------------------------------------------------------------------- */

static void world_timer_fire(void *ctx, uint64_t arg);

static void timer_schedule(struct world *w, struct world_timer *t, uint64_t at_ns)
{
    sched_at(w->sched, at_ns, world_timer_fire, t, (uint64_t)(uintptr_t)w);
}

static void world_timer_fire(void *ctx, uint64_t arg)
{
    struct world_timer *t = ctx;
    struct world *w = (struct world *)(uintptr_t)arg;
    enum gate g = gate_check(w, t->node, t->incarnation);
    if (g == GATE_DEFER) {
        /* A deferred timer gets a new id: the old one no longer cancels it. The node
         * cannot tell, since it was blocked the whole time. */
        timer_schedule(w, t, node_at(w, t->node)->ready_at_ns);
        return;
    }
    if (g == GATE_RUN) {
        trace_fold(w, t->node, "timer", NULL, 0);
        node_callback_begin(w, t->node);
        t->fn(t->ctx);
        node_callback_end(w, t->node);
    }
    free(t);
}

static env_timer_id wenv_timer_start(struct env *env, uint64_t delay_ns, env_timer_fn fn,
                                     void *ctx)
{
    struct world_env *we = (struct world_env *)env;
    struct world_node *n = node_at(we->world, we->node);
    KS_ASSERT(node_alive(n));
    struct world_timer *t = ks_alloc(sizeof(*t));
    t->node = we->node;
    t->incarnation = n->incarnation;
    t->fn = fn;
    t->ctx = ctx;
    uint64_t now = node_now_ns(we->world, n);
    KS_ASSERT(delay_ns <= UINT64_MAX - now);
    return sched_at(we->world->sched, now + delay_ns, world_timer_fire, t,
                    (uint64_t)(uintptr_t)we->world);
}

static bool wenv_timer_cancel(struct env *env, env_timer_id timer)
{
    struct world_env *we = (struct world_env *)env;
    void *ctx = NULL;
    if (!sched_cancel(we->world->sched, timer, &ctx))
        return false;
    struct world_timer *t = ctx;
    KS_ASSERT(t->node == we->node);
    free(t);
    return true;
}

/* ---- Clocks ------------------------------------------------------------------- */

static int64_t drift_ms(const struct world_node *n, uint64_t now_ns)
{
    uint64_t since = now_ns > n->clock_drift_since_ns ? now_ns - n->clock_drift_since_ns : 0;
    return (int64_t)(since / 1000) * n->clock_drift_ppm / 1000000000LL;
}

static int64_t node_wall_ms(const struct world *w, const struct world_node *n)
{
    uint64_t now = node_now_ns(w, n);
    return w->config.wall_epoch_ms + (int64_t)(now / WORLD_NS_PER_MS) + n->clock_offset_ms +
           drift_ms(n, now);
}

int64_t world_clock_wall_ms(const struct world *world, int node)
{
    return node_wall_ms(world, node_at(world, node));
}

void world_clock_jump(struct world *world, int node, int64_t delta_ms)
{
    struct world_node *n = node_at(world, node);
    n->clock_offset_ms += delta_ms;
    world_tracef(world, node, "fault.clock_jump", "delta_ms=%lld",
                 (long long)delta_ms);
}

enum ks_err world_clock_drift(struct world *world, int node, int32_t ppm)
{
    if (ppm > WORLD_CLOCK_DRIFT_PPM_MAX || ppm < -WORLD_CLOCK_DRIFT_PPM_MAX)
        return KS_ERR_INVALID;
    struct world_node *n = node_at(world, node);
    uint64_t now = world_now_ns(world);
    n->clock_offset_ms += drift_ms(n, now); /* keep what drifted so far */
    n->clock_drift_ppm = ppm;
    n->clock_drift_since_ns = now;
    world_tracef(world, node, "fault.clock_drift", "ppm=%d", ppm);
    return KS_OK;
}

static int64_t wenv_wall_ms(struct env *env)
{
    struct world_env *we = (struct world_env *)env;
    return node_wall_ms(we->world, node_at(we->world, we->node));
}

static uint64_t wenv_mono_ns(struct env *env)
{
    struct world_env *we = (struct world_env *)env;
    return node_now_ns(we->world, node_at(we->world, we->node));
}

/* ---- Connections -------------------------------------------------------------- */

static uint64_t end_id(const struct world_conn *c, int side) { return c->id * 2 + (uint64_t)side; }

static struct world_conn *conn_lookup(const struct world *w, uint64_t conn_id)
{
    uint32_t lo = 0, hi = w->conn_slots;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (w->conns[mid].id < conn_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < w->conn_slots && w->conns[lo].id == conn_id)
        return w->conns[lo].conn;
    return NULL;
}

/* Drop freed slots once they are the majority, keeping id order. */
static void conns_compact(struct world *w)
{
    if (w->conn_slots < 64 || w->conn_live * 2 > w->conn_slots)
        return;
    uint32_t kept = 0;
    for (uint32_t i = 0; i < w->conn_slots; i++) {
        if (w->conns[i].conn != NULL)
            w->conns[kept++] = w->conns[i];
    }
    KS_ASSERT(kept == w->conn_live);
    w->conn_slots = kept;
}

static struct world_conn *conn_new(struct world *w)
{
    conns_compact(w);
    if (w->conn_slots == w->conn_capacity) {
        w->conn_capacity = w->conn_capacity == 0 ? 64 : w->conn_capacity * 2;
        w->conns = ks_realloc(w->conns, sizeof(*w->conns) * w->conn_capacity);
    }
    struct world_conn *c = ks_alloc(sizeof(*c));
    c->id = w->conn_id_next++;
    w->conns[w->conn_slots++] = (struct world_conn_slot){c->id, c};
    w->conn_live++;
    return c;
}

static void conn_maybe_free(struct world *w, struct world_conn *c)
{
    if (c->end[0] != END_GONE || c->end[1] != END_GONE)
        return;
    uint32_t lo = 0, hi = w->conn_slots;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (w->conns[mid].id < c->id)
            lo = mid + 1;
        else
            hi = mid;
    }
    KS_ASSERT(lo < w->conn_slots && w->conns[lo].conn == c);
    w->conns[lo].conn = NULL;
    w->conn_live--;
    conn_free(c);
}

/* An end goes away: count it off its node. */
static void conn_end_gone(struct world *w, struct world_conn *c, int side)
{
    KS_ASSERT(c->end[side] != END_GONE);
    if (c->end[side] == END_OPEN || side == 0) {
        struct world_node *n = node_at(w, c->node[side]);
        KS_ASSERT(n->conn_count > 0);
        n->conn_count--;
    }
    c->end[side] = END_GONE;
}

static const struct world_link_latency *link_override(const struct world *w, int from, int to)
{
    for (uint32_t i = 0; i < w->override_count; i++) {
        if (w->overrides[i].from == from && w->overrides[i].to == to)
            return &w->overrides[i];
    }
    return NULL;
}

static uint64_t link_latency_ns(struct world *w, int from, int to)
{
    struct world_link_latency l = {from, to, w->config.link_latency_ns_min,
                                   w->config.link_latency_ns_max, w->config.link_tail_ppm,
                                   w->config.link_tail_ns_max};
    const struct world_link_latency *o = link_override(w, from, to);
    if (o != NULL)
        l = *o;
    size_t slot = (size_t)from * WORLD_NODES_MAX + (size_t)to;
    if (w->link_rng[slot] == NULL) {
        char name[2 * WORLD_NODE_NAME_BYTES_MAX + 16];
        snprintf(name, sizeof(name), "link/%s->%s", w->nodes[from]->name, w->nodes[to]->name);
        w->link_rng[slot] = ks_alloc(sizeof(struct rng));
        rng_derive(w->link_rng[slot], w->config.seed, name);
    }
    struct rng *r = w->link_rng[slot];
    if (l.tail_ppm > 0 && l.tail_ns_max > l.ns_max && rng_chance_ppm(r, l.tail_ppm))
        return rng_between(r, l.ns_max, l.tail_ns_max);
    return rng_between(r, l.ns_min, l.ns_max);
}

static void world_msg_fire(void *ctx, uint64_t arg);

static void msg_schedule(struct world *w, struct world_msg *m, uint64_t at_ns)
{
    sched_at(w->sched, at_ns, world_msg_fire, m, (uint64_t)(uintptr_t)w);
}

/* Put a message on the wire toward to_side, after the earlier ones of its direction. */
static void msg_send(struct world *w, struct world_conn *c, int to_side, struct world_msg *m)
{
    int from = c->node[1 - to_side], to = c->node[to_side];
    m->conn_id = c->id;
    m->to_side = (uint8_t)to_side;
    uint64_t depart = node_now_ns(w, node_at(w, from));
    uint64_t arrive = depart + link_latency_ns(w, from, to);
    if (arrive < c->last_arrival_ns[to_side])
        arrive = c->last_arrival_ns[to_side];
    c->last_arrival_ns[to_side] = arrive;
    msg_schedule(w, m, arrive);
}

static struct world_msg *msg_new(enum world_msg_kind kind, enum ks_err err, const uint8_t *bytes,
                                 uint32_t size_bytes)
{
    struct world_msg *m = ks_alloc(sizeof(*m) + size_bytes);
    m->kind = (uint8_t)kind;
    m->err = (int16_t)err;
    m->size_bytes = size_bytes;
    if (size_bytes > 0)
        memcpy(m->bytes, bytes, size_bytes);
    return m;
}

/* Schedule a notice to one end that is not subject to partitions. */
static void msg_local(struct world *w, struct world_conn *c, int to_side, enum world_msg_kind kind,
                      enum ks_err err, uint64_t delay_ns)
{
    struct world_msg *m = msg_new(kind, err, NULL, 0);
    m->conn_id = c->id;
    m->to_side = (uint8_t)to_side;
    m->local = true;
    msg_schedule(w, m, world_now_ns(w) + delay_ns);
}

/* Break a connection: what is in flight is lost; each open end hears of it after a
 * link latency. A connect still under way fails: after a link latency when the peer
 * is gone (a reset), after the connect timeout when a partition ate its packets. */
static void conn_break(struct world *w, struct world_conn *c, bool partition)
{
    if (c->broken)
        return;
    c->broken = true;
    for (int side = 0; side < 2; side++) {
        uint64_t latency = link_latency_ns(w, c->node[1 - side], c->node[side]);
        if (c->end[side] == END_OPEN)
            msg_local(w, c, side, MSG_BREAK, KS_ERR_CLOSED, latency);
        else if (c->end[side] == END_CONNECTING && side == 0 && partition)
            msg_local(w, c, side, MSG_TIMEOUT, KS_ERR_TIMED_OUT, w->config.connect_timeout_ns);
        else if (c->end[side] == END_CONNECTING && side == 0)
            msg_local(w, c, side, MSG_BREAK, KS_ERR_CLOSED, latency);
    }
}

static void held_push(struct world_conn *c, struct world_msg *m)
{
    int side = m->to_side;
    m->next = NULL;
    if (c->held_tail[side] == NULL)
        c->held_head[side] = m;
    else
        c->held_tail[side]->next = m;
    c->held_tail[side] = m;
}

static void dispatch_syn(struct world *w, struct world_conn *c)
{
    int node = c->node[1];
    struct world_node *n = node_at(w, node);
    if (c->broken || c->end[0] == END_GONE) {
        c->end[1] = END_GONE;
        conn_maybe_free(w, c);
        return;
    }
    if (world_link_blocked(w, c->node[0], node) || world_link_blocked(w, node, c->node[0])) {
        c->end[1] = END_GONE; /* the connector waits, then times out */
        msg_local(w, c, 0, MSG_TIMEOUT, KS_ERR_TIMED_OUT, w->config.connect_timeout_ns);
        return;
    }
    const struct world_listener *l = NULL;
    for (uint32_t i = 0; node_alive(n) && i < n->listener_count; i++) {
        if (n->listeners[i].port == c->port)
            l = &n->listeners[i];
    }
    if (l == NULL) {
        c->end[1] = END_GONE;
        msg_send(w, c, 0, msg_new(MSG_SYNACK, KS_ERR_REFUSED, NULL, 0));
        return;
    }
    c->end[1] = END_OPEN;
    c->incarnation[1] = n->incarnation;
    n->conn_count++;
    trace_net(w, node, "net.accept", c->id, NULL, 0);
    /* The answer leaves before anything the accepting node sends from its callback. */
    msg_send(w, c, 0, msg_new(MSG_SYNACK, KS_OK, NULL, 0));
    env_accept_fn fn = l->fn;
    void *lctx = l->ctx;
    const struct env_conn_handler *handler = NULL;
    void *conn_ctx = NULL;
    uint64_t conn_id = c->id;
    node_callback_begin(w, node);
    fn(lctx, end_id(c, 1), w->nodes[c->node[0]]->name, &handler, &conn_ctx);
    node_callback_end(w, node);
    KS_ASSERT(handler != NULL);
    c = conn_lookup(w, conn_id); /* the callback may have closed it */
    if (c != NULL) {
        c->handler[1] = handler;
        c->ctx[1] = conn_ctx;
    }
}

/* Deliver a message to a live end of the right incarnation. */
static void dispatch_to_end(struct world *w, struct world_conn *c, struct world_msg *m)
{
    int side = m->to_side, node = c->node[side];
    const struct env_conn_handler *h = c->handler[side];
    void *hctx = c->ctx[side];
    uint64_t id = end_id(c, side);
    enum ks_err err = (enum ks_err)m->err;
    node_callback_begin(w, node);
    switch ((enum world_msg_kind)m->kind) {
    case MSG_SYNACK:
    case MSG_TIMEOUT:
        KS_ASSERT(c->end[side] == END_CONNECTING);
        trace_net(w, node, err == KS_OK ? "net.open" : "net.open_failed", c->id, NULL, 0);
        if (err == KS_OK)
            c->end[side] = END_OPEN;
        else
            conn_end_gone(w, c, side);
        h->on_open(hctx, id, err);
        break;
    case MSG_DATA:
        trace_net(w, node, "net.recv", c->id, m->bytes, m->size_bytes);
        h->on_recv(hctx, id, m->bytes, m->size_bytes);
        break;
    case MSG_FIN:
    case MSG_BREAK: {
        trace_net(w, node, m->kind == MSG_FIN ? "net.closed" : "net.broken", c->id, NULL, 0);
        bool was_connecting = c->end[side] == END_CONNECTING;
        conn_end_gone(w, c, side);
        if (was_connecting)
            h->on_open(hctx, id, KS_ERR_CLOSED);
        else
            h->on_closed(hctx, id, err);
        break;
    }
    case MSG_SYN:
        KS_UNREACHABLE();
    }
    node_callback_end(w, node);
}

/* Whether a message still means something to its end; false = drop it. */
static bool msg_wanted(const struct world_conn *c, const struct world_msg *m)
{
    uint8_t end = c->end[m->to_side];
    switch ((enum world_msg_kind)m->kind) {
    case MSG_SYNACK:
    case MSG_TIMEOUT: return end == END_CONNECTING && !(c->broken && m->kind == MSG_SYNACK);
    case MSG_DATA:
    case MSG_FIN: return end == END_OPEN && !c->broken;
    case MSG_BREAK: return end != END_GONE;
    case MSG_SYN: return true;
    }
    return false;
}

static void world_msg_fire(void *ctx, uint64_t arg)
{
    struct world_msg *m = ctx;
    struct world *w = (struct world *)(uintptr_t)arg;
    struct world_conn *c = conn_lookup(w, m->conn_id);
    if (c == NULL || !msg_wanted(c, m)) {
        free(m);
        return;
    }
    int to = c->node[m->to_side], from = c->node[1 - m->to_side];
    if (!m->local && m->kind != MSG_SYN &&
        (world_link_blocked(w, from, to) || c->held_head[m->to_side] != NULL)) {
        held_push(c, m); /* TCP keeps retransmitting; it arrives after the heal */
        return;
    }
    if (m->kind == MSG_SYN) {
        struct world_node *n = node_at(w, to);
        if (node_alive(n) && (n->state == WORLD_NODE_PAUSED || n->ready_at_ns > world_now_ns(w))) {
            msg_schedule(w, m, n->ready_at_ns);
            return;
        }
        dispatch_syn(w, c);
        free(m);
        return;
    }
    enum gate g = gate_check(w, to, c->incarnation[m->to_side]);
    if (g == GATE_DEFER) {
        msg_schedule(w, m, node_at(w, to)->ready_at_ns);
        return;
    }
    uint64_t conn_id = c->id;
    if (g == GATE_RUN)
        dispatch_to_end(w, c, m); /* the callback may close the connection and free it */
    free(m);
    c = conn_lookup(w, conn_id);
    if (c != NULL)
        conn_maybe_free(w, c);
}

static void world_event_drop(void *ctx, uint64_t arg)
{
    (void)arg;
    free(ctx); /* a timer or a message record */
}

static struct world_conn *conn_of_end(struct world_env *we, env_conn_id id, int *side_out)
{
    struct world_conn *c = conn_lookup(we->world, id / 2);
    int side = (int)(id % 2);
    if (c == NULL || c->node[side] != we->node ||
        c->incarnation[side] != node_at(we->world, we->node)->incarnation)
        return NULL;
    *side_out = side;
    return c;
}

static enum ks_err wenv_listen(struct env *env, uint16_t port, env_accept_fn fn, void *ctx)
{
    struct world_env *we = (struct world_env *)env;
    struct world_node *n = node_at(we->world, we->node);
    for (uint32_t i = 0; i < n->listener_count; i++) {
        if (n->listeners[i].port == port)
            return KS_ERR_BUSY;
    }
    if (n->listener_count == WORLD_PORTS_PER_NODE_MAX)
        return KS_ERR_TOO_MANY;
    n->listeners[n->listener_count++] = (struct world_listener){port, fn, ctx};
    world_tracef(we->world, we->node, "net.listen", "port=%u", port);
    return KS_OK;
}

static enum ks_err wenv_connect(struct env *env, const char *host, uint16_t port,
                                const struct env_conn_handler *handler, void *ctx,
                                env_conn_id *conn_out)
{
    struct world_env *we = (struct world_env *)env;
    struct world *w = we->world;
    KS_ASSERT(handler != NULL && handler->on_open != NULL);
    int target = world_node_find(w, host);
    if (target < 0 || target == we->node)
        return KS_ERR_INVALID;
    if (w->conn_live >= WORLD_CONNS_MAX)
        return KS_ERR_TOO_MANY;
    struct world_conn *c = conn_new(w);
    c->node[0] = we->node;
    c->node[1] = target;
    c->incarnation[0] = node_at(w, we->node)->incarnation;
    c->handler[0] = handler;
    c->ctx[0] = ctx;
    c->port = port;
    c->end[0] = END_CONNECTING;
    c->end[1] = END_CONNECTING;
    node_at(w, we->node)->conn_count++;
    trace_net(w, we->node, "net.connect", c->id, (const uint8_t *)host, (uint32_t)strlen(host));
    msg_send(w, c, 1, msg_new(MSG_SYN, KS_OK, NULL, 0));
    *conn_out = end_id(c, 0);
    return KS_OK;
}

static enum ks_err wenv_send(struct env *env, env_conn_id conn, const uint8_t *bytes,
                             uint32_t size_bytes)
{
    struct world_env *we = (struct world_env *)env;
    int side = 0;
    struct world_conn *c = conn_of_end(we, conn, &side);
    if (c == NULL || c->end[side] != END_OPEN)
        return KS_ERR_CLOSED;
    if (size_bytes == 0)
        return KS_OK;
    trace_net(we->world, we->node, "net.send", c->id, bytes, size_bytes);
    msg_send(we->world, c, 1 - side, msg_new(MSG_DATA, KS_OK, bytes, size_bytes));
    return KS_OK;
}

static void wenv_close(struct env *env, env_conn_id conn)
{
    struct world_env *we = (struct world_env *)env;
    int side = 0;
    struct world_conn *c = conn_of_end(we, conn, &side);
    if (c == NULL || c->end[side] == END_GONE)
        return;
    trace_net(we->world, we->node, "net.close", c->id, NULL, 0);
    conn_end_gone(we->world, c, side);
    if (c->end[1 - side] != END_GONE)
        msg_send(we->world, c, 1 - side, msg_new(MSG_FIN, KS_OK, NULL, 0));
    conn_maybe_free(we->world, c);
}

/* The node lost its process: every end it holds goes (no calls to it); peers hear of
 * a break (crash) or a close (clean stop). */
static void node_drop_conns(struct world *w, int node, bool graceful)
{
    for (uint32_t i = 0; i < w->conn_slots; i++) {
        struct world_conn *c = w->conns[i].conn;
        for (int side = 0; c != NULL && side < 2; side++) {
            if (c->node[side] != node || c->end[side] == END_GONE)
                continue;
            if (side == 1 && c->end[side] == END_CONNECTING)
                continue; /* not accepted yet: the SYN finds the node gone */
            conn_end_gone(w, c, side);
            if (graceful && c->end[1 - side] != END_GONE)
                msg_send(w, c, 1 - side, msg_new(MSG_FIN, KS_OK, NULL, 0));
            else
                conn_break(w, c, false);
            conn_maybe_free(w, c);
            c = w->conns[i].conn;
        }
    }
    KS_ASSERT(node_at(w, node)->conn_count == 0);
    node_at(w, node)->listener_count = 0;
}

/* ---- Partitions and links ------------------------------------------------------- */

bool world_link_blocked(const struct world *world, int from, int to)
{
    return world->blocked[(size_t)from * WORLD_NODES_MAX + (size_t)to] != 0;
}

void world_partition(struct world *world, const int *from, uint32_t from_count, const int *to,
                     uint32_t to_count, bool one_way)
{
    for (uint32_t i = 0; i < from_count; i++) {
        for (uint32_t j = 0; j < to_count; j++) {
            node_at(world, from[i]);
            node_at(world, to[j]);
            world->blocked[(size_t)from[i] * WORLD_NODES_MAX + (size_t)to[j]] = 1;
            if (!one_way)
                world->blocked[(size_t)to[j] * WORLD_NODES_MAX + (size_t)from[i]] = 1;
        }
    }
    world_tracef(world, -1, "fault.partition", "from=%u to=%u one_way=%d", from_count, to_count,
                 one_way);
    if (one_way)
        return;
    for (uint32_t i = 0; i < world->conn_slots; i++) {
        struct world_conn *c = world->conns[i].conn;
        if (c != NULL && world_link_blocked(world, c->node[0], c->node[1]))
            conn_break(world, c, true);
    }
}

void world_heal(struct world *world)
{
    memset(world->blocked, 0, (size_t)WORLD_NODES_MAX * WORLD_NODES_MAX);
    world_trace(world, -1, "fault.heal", "");
    for (uint32_t i = 0; i < world->conn_slots; i++) {
        struct world_conn *c = world->conns[i].conn;
        for (int side = 0; c != NULL && side < 2; side++) {
            struct world_msg *m = c->held_head[side];
            c->held_head[side] = c->held_tail[side] = NULL;
            while (m != NULL) {
                struct world_msg *next = m->next;
                msg_send(world, c, side, m);
                m = next;
            }
        }
    }
}

/* The override of a link, created from the world's defaults on first use. */
static struct world_link_latency *link_override_take(struct world *w, int from, int to)
{
    node_at(w, from);
    node_at(w, to);
    struct world_link_latency *o = (struct world_link_latency *)link_override(w, from, to);
    if (o != NULL)
        return o;
    KS_ASSERT(w->override_count < WORLD_LINK_OVERRIDES_MAX);
    o = &w->overrides[w->override_count++];
    *o = (struct world_link_latency){from,
                                     to,
                                     w->config.link_latency_ns_min,
                                     w->config.link_latency_ns_max,
                                     w->config.link_tail_ppm,
                                     w->config.link_tail_ns_max};
    return o;
}

void world_link_latency_set(struct world *world, int from, int to, uint64_t ns_min,
                            uint64_t ns_max, bool both)
{
    KS_ASSERT(ns_min <= ns_max);
    for (int dir = 0; dir < (both ? 2 : 1); dir++) {
        struct world_link_latency *o =
            link_override_take(world, dir == 0 ? from : to, dir == 0 ? to : from);
        o->ns_min = ns_min;
        o->ns_max = ns_max;
    }
}

void world_link_tail_set(struct world *world, int from, int to, uint32_t tail_ppm,
                         uint64_t tail_ns_max, bool both)
{
    KS_ASSERT(tail_ppm <= 1000000u);
    for (int dir = 0; dir < (both ? 2 : 1); dir++) {
        struct world_link_latency *o =
            link_override_take(world, dir == 0 ? from : to, dir == 0 ? to : from);
        o->tail_ppm = tail_ppm;
        o->tail_ns_max = tail_ns_max;
    }
}

uint32_t world_link_break(struct world *world, int a, int b)
{
    uint32_t broken = 0;
    for (uint32_t i = 0; i < world->conn_slots; i++) {
        struct world_conn *c = world->conns[i].conn;
        if (c == NULL || c->broken)
            continue;
        if ((c->node[0] == a && c->node[1] == b) || (c->node[0] == b && c->node[1] == a)) {
            conn_break(world, c, false);
            broken++;
        }
    }
    world_tracef(world, -1, "fault.link_break", "%s<->%s count=%u", world->nodes[a]->name,
                 world->nodes[b]->name, broken);
    return broken;
}

/* ---- Lifecycle ---------------------------------------------------------------- */

enum ks_err world_node_start(struct world *world, int node)
{
    struct world_node *n = node_at(world, node);
    if (node_alive(n))
        return KS_ERR_INVALID;
    KS_ASSERT(n->impl == NULL);
    KS_ASSERT(n->conn_count == 0);
    n->incarnation++;
    node_set_state(world, node, WORLD_NODE_RUNNING);
    n->ready_at_ns = world_now_ns(world);
    world_tracef(world, node, "node.start", "incarnation=%u", n->incarnation);
    node_callback_begin(world, node);
    void *impl = n->type->start(&n->wenv.env, &n->config);
    node_callback_end(world, node);
    if (impl == NULL) {
        world_trace(world, node, "node.start_failed", "");
        node_set_state(world, node, WORLD_NODE_STOPPED);
        node_drop_conns(world, node, false);
        simdisk_close_all(n->disk);
        return KS_ERR_INVALID;
    }
    n->impl = impl;
    return KS_OK;
}

/* The process is gone: free its memory without letting it run. */
static void node_end_process(struct world *w, int node, enum world_node_state state)
{
    struct world_node *n = node_at(w, node);
    KS_ASSERT(node_alive(n));
    if (n->impl != NULL)
        n->type->destroy(n->impl);
    n->impl = NULL;
    node_set_state(w, node, state);
    node_drop_conns(w, node, state == WORLD_NODE_STOPPED);
}

enum ks_err world_node_crash(struct world *world, int node)
{
    if (!node_alive(node_at(world, node)))
        return KS_ERR_INVALID;
    node_end_process(world, node, WORLD_NODE_CRASHED);
    uint64_t lost = simdisk_crash(node_at(world, node)->disk);
    world_tracef(world, node, "fault.crash", "unsynced_ops_lost=%llu", (unsigned long long)lost);
    return KS_OK;
}

enum ks_err world_node_kill(struct world *world, int node)
{
    if (!node_alive(node_at(world, node)))
        return KS_ERR_INVALID;
    node_end_process(world, node, WORLD_NODE_KILLED);
    simdisk_close_all(node_at(world, node)->disk);
    world_trace(world, node, "fault.kill", "");
    return KS_OK;
}

enum ks_err world_node_stop(struct world *world, int node)
{
    struct world_node *n = node_at(world, node);
    if (!node_alive(n))
        return KS_ERR_INVALID;
    world_trace(world, node, "node.stop", "");
    if (n->type->stop != NULL && n->impl != NULL) {
        node_callback_begin(world, node);
        n->type->stop(n->impl);
        node_callback_end(world, node);
    }
    node_end_process(world, node, WORLD_NODE_STOPPED);
    simdisk_close_all(n->disk);
    return KS_OK;
}

struct world_resume {
    int node;
    uint32_t incarnation;
};

static void world_resume_fire(void *ctx, uint64_t arg)
{
    struct world_resume *r = ctx;
    struct world *w = (struct world *)(uintptr_t)arg;
    struct world_node *n = node_at(w, r->node);
    if (n->state == WORLD_NODE_PAUSED && n->incarnation == r->incarnation &&
        n->ready_at_ns <= world_now_ns(w)) {
        node_set_state(w, r->node, WORLD_NODE_RUNNING);
        world_trace(w, r->node, "node.resume", "");
    }
    free(r);
}

enum ks_err world_node_pause(struct world *world, int node, uint64_t duration_ns)
{
    struct world_node *n = node_at(world, node);
    if (!node_alive(n))
        return KS_ERR_INVALID;
    uint64_t until = world_now_ns(world) + duration_ns;
    if (until > n->ready_at_ns)
        n->ready_at_ns = until;
    node_set_state(world, node, WORLD_NODE_PAUSED);
    struct world_resume *r = ks_alloc(sizeof(*r));
    r->node = node;
    r->incarnation = n->incarnation;
    sched_at(world->sched, n->ready_at_ns, world_resume_fire, r, (uint64_t)(uintptr_t)world);
    world_tracef(world, node, "fault.pause", "duration_ms=%llu",
                 (unsigned long long)(duration_ns / WORLD_NS_PER_MS));
    return KS_OK;
}

/* ---- Files ---------------------------------------------------------------------- */

/* Disk latency blocks the node, as a thread stuck in a syscall. */
static enum ks_err disk_done(struct world_env *we, enum ks_err err)
{
    struct world_node *n = node_at(we->world, we->node);
    uint64_t latency = simdisk_latency_take_ns(n->disk);
    if (latency > 0)
        n->ready_at_ns = node_now_ns(we->world, n) + latency;
    return err;
}

static struct simdisk *wenv_disk(struct env *env)
{
    struct world_env *we = (struct world_env *)env;
    return node_at(we->world, we->node)->disk;
}

static enum ks_err wenv_file_open(struct env *env, const char *path, unsigned flags,
                                  env_file_id *file_out)
{
    return disk_done((struct world_env *)env, simdisk_open(wenv_disk(env), path, flags, file_out));
}
static enum ks_err wenv_file_read(struct env *env, env_file_id file, uint64_t offset,
                                  uint8_t *buf, uint32_t size_bytes, uint32_t *read_bytes_out)
{
    return disk_done((struct world_env *)env,
                     simdisk_read(wenv_disk(env), file, offset, buf, size_bytes, read_bytes_out));
}
static enum ks_err wenv_file_write(struct env *env, env_file_id file, uint64_t offset,
                                   const uint8_t *bytes, uint32_t size_bytes)
{
    return disk_done((struct world_env *)env,
                     simdisk_write(wenv_disk(env), file, offset, bytes, size_bytes));
}
static enum ks_err wenv_file_size(struct env *env, env_file_id file, uint64_t *size_out)
{
    return disk_done((struct world_env *)env, simdisk_size(wenv_disk(env), file, size_out));
}
static enum ks_err wenv_file_truncate(struct env *env, env_file_id file, uint64_t size_bytes)
{
    return disk_done((struct world_env *)env, simdisk_truncate(wenv_disk(env), file, size_bytes));
}
static enum ks_err wenv_file_sync(struct env *env, env_file_id file)
{
    return disk_done((struct world_env *)env, simdisk_sync(wenv_disk(env), file));
}
static void wenv_file_close(struct env *env, env_file_id file)
{
    simdisk_close(wenv_disk(env), file);
}
static enum ks_err wenv_path_rename(struct env *env, const char *from, const char *to)
{
    return disk_done((struct world_env *)env, simdisk_rename(wenv_disk(env), from, to));
}
static enum ks_err wenv_path_delete(struct env *env, const char *path)
{
    return disk_done((struct world_env *)env, simdisk_delete(wenv_disk(env), path));
}
static enum ks_err wenv_dir_create(struct env *env, const char *path)
{
    return disk_done((struct world_env *)env, simdisk_mkdir(wenv_disk(env), path));
}
static enum ks_err wenv_dir_list(struct env *env, const char *path, env_dir_entry_fn fn,
                                 void *ctx)
{
    return disk_done((struct world_env *)env, simdisk_list(wenv_disk(env), path, fn, ctx));
}
static enum ks_err wenv_dir_sync(struct env *env, const char *path)
{
    return disk_done((struct world_env *)env, simdisk_dir_sync(wenv_disk(env), path));
}

/* ---- Randomness, probes, trace, logs -------------------------------------------- */

static uint64_t wenv_random(struct env *env)
{
    struct world_env *we = (struct world_env *)env;
    return rng_next(&node_at(we->world, we->node)->rng);
}

/* A site is enabled or not once per run (from the seed and its name); an enabled site
 * then fires with the configured odds. */
static bool wenv_buggify(struct env *env, const char *site)
{
    struct world_env *we = (struct world_env *)env;
    struct world *w = we->world;
    if (w->config.buggify_ppm == 0)
        return false;
    uint64_t st = w->config.seed ^ ks_fnv1a64(KS_FNV1A64_INIT, site, strlen(site));
    if ((rng_splitmix64(&st) & 1) == 0)
        return false;
    bool fire = rng_chance_ppm(&node_at(w, we->node)->rng, w->config.buggify_ppm);
    if (fire)
        world_trace(w, we->node, "buggify", site);
    return fire;
}

static void wenv_trace(struct env *env, const char *kind, const char *text)
{
    struct world_env *we = (struct world_env *)env;
    world_trace(we->world, we->node, kind, text);
}

static void wenv_log(struct env *env, enum env_log_level level, const char *text)
{
    struct world_env *we = (struct world_env *)env;
    static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    if (we->world->trace_file != NULL) {
        uint64_t t = world_now_ns(we->world);
        fprintf(we->world->trace_file, "%llu.%06llu %s log.%s %s\n",
                (unsigned long long)(t / WORLD_NS_PER_MS),
                (unsigned long long)(t % WORLD_NS_PER_MS), node_at(we->world, we->node)->name,
                level_names[level], text);
    }
}

static const struct env_ops world_env_ops = {
    .wall_ms = wenv_wall_ms,
    .mono_ns = wenv_mono_ns,
    .timer_start = wenv_timer_start,
    .timer_cancel = wenv_timer_cancel,
    .listen = wenv_listen,
    .connect = wenv_connect,
    .send = wenv_send,
    .close = wenv_close,
    .file_open = wenv_file_open,
    .file_read = wenv_file_read,
    .file_write = wenv_file_write,
    .file_size = wenv_file_size,
    .file_truncate = wenv_file_truncate,
    .file_sync = wenv_file_sync,
    .file_close = wenv_file_close,
    .path_rename = wenv_path_rename,
    .path_delete = wenv_path_delete,
    .dir_create = wenv_dir_create,
    .dir_list = wenv_dir_list,
    .dir_sync = wenv_dir_sync,
    .random = wenv_random,
    .buggify = wenv_buggify,
    .trace = wenv_trace,
    .log = wenv_log,
};

/* ---- Running -------------------------------------------------------------------- */

void world_observer_add(struct world *world, world_observer_fn fn, void *ctx)
{
    KS_ASSERT(world->observer_count < WORLD_OBSERVERS_MAX);
    world->observers[world->observer_count++] = (struct world_observer){fn, ctx};
}

uint64_t world_run_until(struct world *world, uint64_t until_ns, uint64_t events_max)
{
    uint64_t run = 0;
    world->stop_requested = false;
    while (run < events_max && !world->stop_requested) {
        if (!sched_step(world->sched, until_ns))
            break;
        run++;
        for (uint32_t i = 0; i < world->observer_count; i++)
            world->observers[i].fn(world->observers[i].ctx, world);
    }
    KS_ASSERT(world->current_node == -1);
    return run;
}
