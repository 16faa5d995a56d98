/*
 * scn_client.h: the clients in scenarios, and the history checker as invariants.
 * Node kinds `producer` and `consumer` (system/client/cnode.h through
 * sim/nodes_client.h: a producer with a workload, a consumer reading partitions), the
 * verb `workload` and three invariants over a replicated run (sim/kcheck.h), in the
 * spirit of Jepsen's queue checkers:
 *
 *   node p1 type=producer bootstrap.servers=b1:9092,b2:9092,b3:9092 acks=all
 *   node c1 type=consumer bootstrap.servers=b1:9092 workload.partitions=3
 *   at 40s workload stop p1
 *   expect kcheck_history kcheck_hw_monotonic kcheck_replicas_agree
 *
 * `workload stop NODES` stops a producer node's workload (what is queued still goes);
 * `workload start NODES` resumes it. Bare or timed.
 *
 * kcheck_history keeps the run's history (every client node gets it when it starts
 * and after each restart) and at the end runs kcheck over it and the running brokers'
 * logs: acknowledged writes present on every in-sync replica (acks=all; with acks 0 or
 * 1 a loss is an allowed anomaly, counted), no duplicates from idempotent producers,
 * consumers in order and below the high watermark, one producer's keyed records in
 * send order, replicas agreeing below the high watermark. Each violation names its
 * check, the record, offsets, nodes and time. The counts (sent, acknowledged, failed,
 * received, and every check's violations and allowed anomalies) are traced as
 * `kcheck.summary` lines, so `ksim run --trace` shows what the settings allowed.
 * kcheck_hw_monotonic watches every leader's high watermark after every event.
 * kcheck_replicas_agree compares the running brokers' logs byte for byte below the
 * high watermarks at the end.
 */
#ifndef SIM_SCN_CLIENT_H
#define SIM_SCN_CLIENT_H

#include "scn.h"

extern const struct scn_module scn_client_module;

#endif
