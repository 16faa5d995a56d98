/*
 * world.h: the simulated world. One scheduler, one root seed, and a set of nodes, each
 * with its own simulated disk, wall clock, random stream and network endpoints, each
 * running system code through its own `struct env` (see system/env.h).
 *
 * Node lifecycle: a node is added (DOWN), started (RUNNING), and then may be paused
 * (PAUSED: its events wait, as in a long GC stall), crashed (CRASHED: power loss,
 * memory and the volatile page cache gone), killed (KILLED: the process dies, the
 * page cache survives), stopped (STOPPED: clean shutdown through the node type's stop
 * function) and started again from what its disk holds.
 *
 * Network: TCP-like connections between nodes, ordered and reliable while they live;
 * each direction's bytes arrive after a latency drawn per link (uniform in [min, max],
 * with an optional long tail: rare draws up to a tail maximum), never before earlier
 * bytes of the same direction. Faults show up as delays, breaks and refused connects:
 *  - connecting to a node that is not running, or to a port nobody listens on, is
 *    refused after one round trip, without waiting for a timeout (KS_ERR_REFUSED);
 *  - a two-way partition breaks every connection crossing it (both ends get
 *    on_closed with KS_ERR_CLOSED after a link latency) and makes connects across it
 *    time out (KS_ERR_TIMED_OUT after connect_timeout_ns);
 *  - a one-way partition from A to B holds bytes from A to B (TCP retransmits them
 *    after the heal, if the connection still lives) and makes new connects between A
 *    and B time out; bytes from B to A still flow;
 *  - heal removes partitions; held bytes are delivered in order.
 *
 * Clocks: a node's wall clock is epoch + virtual time + offset + drift (ppm of virtual
 * time since the drift was set); jumps change the offset. Monotonic time is virtual
 * time plus the node's busy time (time the node spent blocked in disk calls), and
 * never goes back.
 *
 * Trace: every delivered message, timer, fault and state change is folded into a
 * 64-bit hash (and written as a line when a trace file is set).
 */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <stdio.h>

#include "../system/env.h"
#include "../system/props.h"
#include "../system/sm.h"
#include "rng.h"
#include "sched.h"
#include "simdisk.h"

#define WORLD_NODES_MAX 256u
#define WORLD_NODE_NAME_BYTES_MAX 64u
#define WORLD_CONNS_MAX 65536u      /* connections open at once, all nodes */
#define WORLD_LISTENERS_MAX 16u     /* per node */
#define WORLD_CLOCK_DRIFT_PPM_MAX 1000
#define WORLD_OBSERVERS_MAX 64u

#define WORLD_NS_PER_MS 1000000ull

/* A kind of node: a broker, a controller, a producer, or the world's ping fixture. */
struct world_node_type {
    const char *name;
    /* Start (or restart) from what the disk holds. Returns the node's state, or NULL
     * on a configuration error (the world reports it and the node stays down). */
    void *(*start)(struct env *env, const struct props *config);
    /* Clean shutdown: may flush and sync through env; must not schedule anything that
     * it needs to complete. The world drops the node's timers and connections after. */
    void (*stop)(void *node);
    /* Free the node's memory without calling env (after stop, or at a crash). */
    void (*destroy)(void *node);
    /* Optional: one line on the node's state, for replays and reports. */
    void (*describe)(void *node, char *buf, size_t buf_bytes);
};

enum world_node_state {
    WORLD_NODE_DOWN,
    WORLD_NODE_RUNNING,
    WORLD_NODE_PAUSED,
    WORLD_NODE_CRASHED,
    WORLD_NODE_KILLED,
    WORLD_NODE_STOPPED,
};
const char *world_node_state_name(enum world_node_state state);
/* The lifecycle as a declared state machine "node" (system/sm.h): every change is
 * traced as an `sm` event. */
extern const struct sm_def world_node_sm;

struct world_config {
    uint64_t seed;
    env_bug_mask bugs;
    uint64_t link_latency_ns_min; /* default for every link */
    uint64_t link_latency_ns_max;
    uint32_t link_tail_ppm;       /* odds that a message takes the long tail instead */
    uint64_t link_tail_ns_max;    /* the tail: uniform in [latency max, this] */
    uint64_t connect_timeout_ns;  /* how long a connect into a partition waits */
    int64_t wall_epoch_ms;        /* wall clock at virtual time 0, before offsets */
    uint32_t buggify_ppm;         /* odds that an enabled BUGGIFY site fires; 0 = off */
};

/* Defaults: latency 100us..2ms, connect timeout 3 s, epoch 2026-01-01T00:00:00Z,
 * BUGGIFY off. */
void world_config_default(struct world_config *config, uint64_t seed);

struct world;

struct world *world_create(const struct world_config *config);
/* Destroys every node (as a crash would, without calling stop) and frees all. */
void world_destroy(struct world *world);

/* The world's scheduler. Contract for anyone scheduling on it directly: every event's
 * context is a heap block the event owns: the world frees the contexts of events still
 * pending when it is destroyed. world_at keeps that contract for you. */
struct sched *world_sched(struct world *world);

/* Run fn(ctx, arg) at virtual time at_ns, outside any node (harness events: timeline
 * actions, fault schedules, workload drivers). ctx is borrowed; the world owns the
 * event's record. */
sched_event_id world_at(struct world *world, uint64_t at_ns, sched_fn fn, void *ctx,
                        uint64_t arg);
uint64_t world_now_ns(const struct world *world);
uint64_t world_seed(const struct world *world);
const struct world_config *world_config_of(const struct world *world);

/* ---- Nodes ---------------------------------------------------------------------- */

/* Add a node (DOWN). config is copied. Returns the node's id (its index, in order of
 * adding) or -1 when the name is taken, invalid or the world is full. */
int world_node_add(struct world *world, const char *name, const struct world_node_type *type,
                   const struct props *config);
int world_node_find(const struct world *world, const char *name);
uint32_t world_node_count(const struct world *world);
const char *world_node_name(const struct world *world, int node);
enum world_node_state world_node_state_of(const struct world *world, int node);
const struct world_node_type *world_node_type_of(const struct world *world, int node);
/* The system state returned by the type's start (NULL unless RUNNING or PAUSED). */
void *world_node_impl(const struct world *world, int node);
struct simdisk *world_node_disk(struct world *world, int node);
struct env *world_node_env(struct world *world, int node);
/* Times the node has been started (1 after the first start). */
uint32_t world_node_incarnation(const struct world *world, int node);

/* Lifecycle; each is traced. Errors: KS_ERR_INVALID when the node is not in a state
 * the verb applies to (start needs DOWN, CRASHED, KILLED or STOPPED; the others need
 * RUNNING or PAUSED). */
enum ks_err world_node_start(struct world *world, int node);
enum ks_err world_node_crash(struct world *world, int node);
enum ks_err world_node_kill(struct world *world, int node);
enum ks_err world_node_stop(struct world *world, int node);
enum ks_err world_node_pause(struct world *world, int node, uint64_t duration_ns);

/* ---- Network -------------------------------------------------------------------- */

/* Partition: block traffic from every node of `from` to every node of `to`, and back
 * unless one_way. Nodes are ids. Partitions add up until healed. */
void world_partition(struct world *world, const int *from, uint32_t from_count, const int *to,
                     uint32_t to_count, bool one_way);
/* Remove every partition. */
void world_heal(struct world *world);
/* Whether traffic from a to b is blocked now. */
bool world_link_blocked(const struct world *world, int from, int to);
/* Latency range of the link from a to b (both directions when both is true). */
void world_link_latency_set(struct world *world, int from, int to, uint64_t ns_min,
                            uint64_t ns_max, bool both);
/* Long tail of the link from a to b: with odds tail_ppm a message's latency is drawn
 * in [ns_max of the link, tail_ns_max] instead (a congested switch, a retransmit). */
void world_link_tail_set(struct world *world, int from, int to, uint32_t tail_ppm,
                         uint64_t tail_ns_max, bool both);
/* Break every connection between a and b now (both ends see KS_ERR_CLOSED). */
uint32_t world_link_break(struct world *world, int a, int b);

/* ---- Clocks --------------------------------------------------------------------- */

/* Add delta_ms to the node's wall clock at once (forward or back). */
void world_clock_jump(struct world *world, int node, int64_t delta_ms);
/* Set the node's drift in ppm, |ppm| <= WORLD_CLOCK_DRIFT_PPM_MAX. */
enum ks_err world_clock_drift(struct world *world, int node, int32_t ppm);
int64_t world_clock_wall_ms(const struct world *world, int node);

/* ---- Running, observing, trace -------------------------------------------------- */

/* Run events until virtual time until_ns (then now = until_ns), or until events_max
 * events have run, or world_stop was called. Returns the number of events run. */
uint64_t world_run_until(struct world *world, uint64_t until_ns, uint64_t events_max);
/* Ask world_run_until to return after the current event (a checker found a violation). */
void world_stop(struct world *world);
bool world_stopped(const struct world *world);
uint64_t world_events_count(const struct world *world);

/* Called after every event the world runs (for safety checkers). */
typedef void (*world_observer_fn)(void *ctx, struct world *world);
void world_observer_add(struct world *world, world_observer_fn fn, void *ctx);

/* Record a world-level event (node is -1 for the world itself). */
void world_trace(struct world *world, int node, const char *kind, const char *text);
void world_tracef(struct world *world, int node, const char *kind, const char *fmt, ...)
    KS_PRINTF(4, 5);
uint64_t world_trace_hash(const struct world *world);
/* Write every trace record as a line to file (borrowed; NULL to stop). */
void world_trace_file_set(struct world *world, FILE *file);
/* Hand every trace record to fn as it is recorded (one listener; NULL to stop): the
 * runner counts state-machine transitions and liveness figures from them. fn must
 * not trace or change the world. */
typedef void (*world_trace_listener_fn)(void *ctx, struct world *world, int node,
                                        const char *kind, const char *text);
void world_trace_listener_set(struct world *world, world_trace_listener_fn fn, void *ctx);

/* The world's own random stream (for fault schedules drawn from the seed). */
struct rng *world_rng(struct world *world);

#endif
