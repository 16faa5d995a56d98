/*
 * sched.h: the deterministic scheduler. One priority queue of events ordered by
 * (virtual time, sequence number): the sequence number is the order of scheduling, so
 * ties never depend on addresses or hash order. Virtual time jumps to the next event;
 * idle time costs nothing. FoundationDB's sim2 and TigerBeetle's VOPR work this way.
 *
 * An event is a function, a context pointer and a 64-bit argument. Ids are
 * (slot, generation) pairs: a cancelled or fired event's id never matches again.
 */
#ifndef SIM_SCHED_H
#define SIM_SCHED_H

#include "../system/ks.h"

/* Most events pending at once; scheduling more is a bug in the run (assertion). */
#define SCHED_EVENTS_PENDING_MAX (1u << 24)

typedef uint64_t sched_event_id;
typedef void (*sched_fn)(void *ctx, uint64_t arg);

struct sched;

struct sched *sched_create(void);
void sched_destroy(struct sched *sched);

/* Current virtual time in ns: the time of the event being run, or of the last one. */
uint64_t sched_now_ns(const struct sched *sched);

/* Run fn(ctx, arg) at virtual time time_ns (>= now). Never returns 0. */
sched_event_id sched_at(struct sched *sched, uint64_t time_ns, sched_fn fn, void *ctx,
                        uint64_t arg);

/* Run fn(ctx, arg) delay_ns after now. */
sched_event_id sched_after(struct sched *sched, uint64_t delay_ns, sched_fn fn, void *ctx,
                           uint64_t arg);

/* Cancel a pending event; true when it was pending. When ctx_out is not NULL it gets
 * the event's context, so the caller can free what it owned. */
bool sched_cancel(struct sched *sched, sched_event_id id, void **ctx_out);

/* Cancel every pending event, calling drop(ctx, arg) for each in (time, sequence)
 * order so that owners can free their contexts. */
void sched_drain(struct sched *sched, sched_fn drop);

/* Run the next event if its time is <= until_ns: advances virtual time to it. Returns
 * false (and sets now to until_ns) when no event is due by then. */
bool sched_step(struct sched *sched, uint64_t until_ns);

/* Events pending (cancelled ones excluded) and events run so far. */
uint64_t sched_pending_count(const struct sched *sched);
uint64_t sched_run_count(const struct sched *sched);

#endif
