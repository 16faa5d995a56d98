/*
 * scn_world.h: the scenario language's world verbs and the ping/echo fixture's node
 * kinds, as scn modules (see scn.h). World verbs act on the simulated world only:
 * node lifecycle (start, crash, kill, restart, stop, pause), the network (partition,
 * heal, latency), disks (eio, bitflip, latency, capacity, enospc, clear), clocks (jump,
 * drift), and random fault schedules drawn from the seed (faults). Kafka-level verbs
 * (topics, producers, consumer groups) come in their own modules.
 */
#ifndef SIM_SCN_WORLD_H
#define SIM_SCN_WORLD_H

#include "scn.h"

#define SCN_WORLD_FAULT_KINDS_MAX 32u

/* start crash kill restart stop pause partition heal latency disk clock faults */
extern const struct scn_module scn_world_module;
/* Node kinds ping and echo; invariants ping_in_order, ping_durable_counter,
 * ping_progress. */
extern const struct scn_module scn_world_fixture_module;

/* When action is a `faults` line: true, and the end of its schedule in *until_ns_out
 * (the liveness phase starts after it, sim/phase.h). */
bool scn_world_faults_until(const struct scn_action *action, uint64_t *until_ns_out);

#endif
