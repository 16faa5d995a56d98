/*
 * fixture_pingecho.h: the world's own test fixture, a ping node and an echo node. It
 * is not Kafka: it exists so that the world's tests and first scenarios exercise the
 * network, the disk, the clocks and the node lifecycle before the broker exists.
 *
 * echo (config: `port`, default 7) listens and sends every frame back. A frame is a
 * 4-byte big-endian length and that many bytes.
 *
 * ping (config: `target` node name, `port` 7, `ping.interval.ms` 10,
 * `ping.sync.every` 8, `reconnect.backoff.ms` 100) connects to its target and sends
 * a frame holding a sequence number every interval; it expects the echoes back in
 * order. It counts acknowledged round trips and every `ping.sync.every` acks writes
 * the count to the file `ping/acked` and fsyncs it, then reports it as synced. On
 * (re)start it loads the count from that file. On a broken connection it reconnects
 * after the backoff and resends what was not echoed.
 */
#ifndef SIM_FIXTURE_PINGECHO_H
#define SIM_FIXTURE_PINGECHO_H

#include "../world.h"

extern const struct world_node_type fixture_ping_type;
extern const struct world_node_type fixture_echo_type;

/* The ping's connection as a declared state machine "ping_conn" (system/sm.h):
 * Idle -> Connecting -> Open -> Backoff -> Connecting ..., refused or timed-out
 * connects back off too. */
extern const struct sm_def fixture_ping_conn_sm;

#define FIXTURE_RTT_RING 16u /* round-trip times kept for observers (>= outstanding) */

struct fixture_ping_status {
    uint64_t acked;            /* round trips acknowledged, in total across restarts */
    uint64_t synced;           /* highest count the node reported durable (fsynced) */
    uint64_t loaded_at_start;  /* count read from disk when this incarnation started */
    uint64_t order_errors;     /* echoes that came back out of order */
    uint64_t round_trips;      /* round trips completed by this incarnation */
    uint64_t connects;         /* connections opened by this incarnation */
    bool load_failed;          /* the disk failed at start: nothing was loaded, nothing is
                                  written by this incarnation (the file stays as it was) */
    /* The last round-trip times in microseconds (monotonic clock, send to echo):
     * entry i % FIXTURE_RTT_RING holds the i-th of this incarnation's round_trips. */
    uint32_t rtt_us[FIXTURE_RTT_RING];
};

/* Status of a running ping node (impl from world_node_impl). */
void fixture_ping_status_get(const void *impl, struct fixture_ping_status *out);

struct fixture_echo_status {
    uint64_t frames_echoed;
    uint64_t connections;
};
void fixture_echo_status_get(const void *impl, struct fixture_echo_status *out);

#endif
