/*
 * sched.c: a binary min-heap of (time, sequence, slot) entries over a slot pool that
 * holds each event's function, context and argument. Cancelling marks the slot dead;
 * dead entries are dropped when they reach the top. Slots are recycled through a free
 * list; a slot's generation changes on every reuse, so stale ids never match.
 */
#include "sched.h"

#include <stdlib.h>

struct sched_entry {
    uint64_t time_ns;
    uint64_t seq;
    uint32_t slot;
};

struct sched_slot {
    sched_fn fn;
    void *ctx;
    uint64_t arg;
    uint32_t generation;
    uint32_t next_free; /* free list link, valid while free */
    bool live;
};

struct sched {
    uint64_t now_ns;
    uint64_t seq_next;
    uint64_t run_count;
    uint64_t live_count;

    struct sched_entry *heap;
    uint32_t heap_count;
    uint32_t heap_capacity;

    struct sched_slot *slots;
    uint32_t slot_count;
    uint32_t slot_capacity;
    uint32_t free_head; /* UINT32_MAX when empty */
};

#define SLOT_NONE UINT32_MAX

struct sched *sched_create(void)
{
    struct sched *s = ks_alloc(sizeof(*s));
    s->free_head = SLOT_NONE;
    s->seq_next = 1;
    return s;
}

void sched_destroy(struct sched *sched)
{
    if (sched == NULL)
        return;
    free(sched->heap);
    free(sched->slots);
    free(sched);
}

uint64_t sched_now_ns(const struct sched *sched) { return sched->now_ns; }
uint64_t sched_pending_count(const struct sched *sched) { return sched->live_count; }
uint64_t sched_run_count(const struct sched *sched) { return sched->run_count; }

static bool entry_before(const struct sched_entry *a, const struct sched_entry *b)
{
    if (a->time_ns != b->time_ns)
        return a->time_ns < b->time_ns;
    return a->seq < b->seq;
}

static uint32_t slot_take(struct sched *s)
{
    if (s->free_head != SLOT_NONE) {
        uint32_t slot = s->free_head;
        s->free_head = s->slots[slot].next_free;
        return slot;
    }
    if (s->slot_count == s->slot_capacity) {
        KS_ASSERT(s->slot_capacity < SCHED_EVENTS_PENDING_MAX);
        s->slot_capacity = s->slot_capacity == 0 ? 1024 : s->slot_capacity * 2;
        s->slots = ks_realloc(s->slots, sizeof(*s->slots) * s->slot_capacity);
    }
    uint32_t slot = s->slot_count++;
    s->slots[slot].generation = 0;
    return slot;
}

static void slot_release(struct sched *s, uint32_t slot)
{
    struct sched_slot *sl = &s->slots[slot];
    sl->live = false;
    sl->generation++;
    sl->next_free = s->free_head;
    s->free_head = slot;
}

static void heap_push(struct sched *s, struct sched_entry e)
{
    if (s->heap_count == s->heap_capacity) {
        KS_ASSERT(s->heap_capacity < SCHED_EVENTS_PENDING_MAX);
        s->heap_capacity = s->heap_capacity == 0 ? 1024 : s->heap_capacity * 2;
        s->heap = ks_realloc(s->heap, sizeof(*s->heap) * s->heap_capacity);
    }
    uint32_t i = s->heap_count++;
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!entry_before(&e, &s->heap[parent]))
            break;
        s->heap[i] = s->heap[parent];
        i = parent;
    }
    s->heap[i] = e;
}

static struct sched_entry heap_pop(struct sched *s)
{
    KS_ASSERT(s->heap_count > 0);
    struct sched_entry top = s->heap[0];
    struct sched_entry last = s->heap[--s->heap_count];
    uint32_t n = s->heap_count;
    uint32_t i = 0;
    for (;;) {
        uint32_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && entry_before(&s->heap[child + 1], &s->heap[child]))
            child++;
        if (!entry_before(&s->heap[child], &last))
            break;
        s->heap[i] = s->heap[child];
        i = child;
    }
    if (n > 0)
        s->heap[i] = last;
    return top;
}

sched_event_id sched_at(struct sched *sched, uint64_t time_ns, sched_fn fn, void *ctx,
                        uint64_t arg)
{
    KS_ASSERT(fn != NULL);
    KS_ASSERT(time_ns >= sched->now_ns);
    uint32_t slot = slot_take(sched);
    struct sched_slot *sl = &sched->slots[slot];
    sl->fn = fn;
    sl->ctx = ctx;
    sl->arg = arg;
    sl->live = true;
    heap_push(sched, (struct sched_entry){time_ns, sched->seq_next++, slot});
    sched->live_count++;
    /* +1 so that an id is never 0 */
    return ((uint64_t)sl->generation << 32 | slot) + 1;
}

sched_event_id sched_after(struct sched *sched, uint64_t delay_ns, sched_fn fn, void *ctx,
                           uint64_t arg)
{
    KS_ASSERT(delay_ns <= UINT64_MAX - sched->now_ns);
    return sched_at(sched, sched->now_ns + delay_ns, fn, ctx, arg);
}

bool sched_cancel(struct sched *sched, sched_event_id id, void **ctx_out)
{
    if (id == 0)
        return false;
    uint64_t raw = id - 1;
    uint32_t slot = (uint32_t)raw;
    uint32_t generation = (uint32_t)(raw >> 32);
    if (slot >= sched->slot_count)
        return false;
    struct sched_slot *sl = &sched->slots[slot];
    if (!sl->live || sl->generation != generation)
        return false;
    sl->live = false; /* the heap entry is dropped when popped */
    if (ctx_out != NULL)
        *ctx_out = sl->ctx;
    KS_ASSERT(sched->live_count > 0);
    sched->live_count--;
    return true;
}

bool sched_step(struct sched *sched, uint64_t until_ns)
{
    while (sched->heap_count > 0) {
        struct sched_entry *top = &sched->heap[0];
        struct sched_slot *sl = &sched->slots[top->slot];
        if (!sl->live) {
            uint32_t slot = heap_pop(sched).slot;
            slot_release(sched, slot);
            continue;
        }
        if (top->time_ns > until_ns)
            break;
        struct sched_entry e = heap_pop(sched);
        KS_ASSERT(e.time_ns >= sched->now_ns); /* time never goes back */
        sched_fn fn = sl->fn;
        void *ctx = sl->ctx;
        uint64_t arg = sl->arg;
        slot_release(sched, e.slot);
        sched->live_count--;
        sched->now_ns = e.time_ns;
        sched->run_count++;
        fn(ctx, arg);
        return true;
    }
    if (until_ns > sched->now_ns && until_ns != UINT64_MAX)
        sched->now_ns = until_ns;
    return false;
}

void sched_drain(struct sched *sched, sched_fn drop)
{
    while (sched->heap_count > 0) {
        struct sched_entry e = heap_pop(sched);
        struct sched_slot *sl = &sched->slots[e.slot];
        if (sl->live) {
            sched->live_count--;
            drop(sl->ctx, sl->arg);
        }
        slot_release(sched, e.slot);
    }
    KS_ASSERT(sched->live_count == 0);
}
