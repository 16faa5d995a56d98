#!/usr/bin/env bash
# ci/tests/ctrl_atomic_batch.sh: a controller operation is one atomic Raft batch
# (KIP-631, KIP-868). A 3-controller, 3-broker world creates a topic of 4 partitions;
# every controller's __cluster_metadata-0 must then hold one batch of 5 records (the
# TopicRecord and its 4 PartitionRecords), so that no node ever applies a topic
# without all of its partitions. Read with `ksim dump-log --json --deep-iteration`.
set -euo pipefail

: "${KSIM:?KSIM must name the ksim binary (ctest sets it)}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ctrl_atomic.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
voters=1@c1:9093,2@c2:9093,3@c3:9093
{
    echo "# Three controllers, three brokers, one topic of 4 partitions."
    echo "world latency=100us..2ms"
    for i in 1 2 3; do
        echo "node c$i type=controller node.id=$i controller.quorum.voters=$voters"
    done
    for i in 1 2 3; do
        echo "node b$i type=broker node.id=1$i controller.quorum.voters=$voters log.index.size.max.bytes=65536"
    done
    echo "node admin type=admin controller.quorum.voters=$voters"
    echo "at 5s topic create orders partitions=4 replication.factor=3"
    echo "run 10s"
    echo "expect raft_one_leader_per_epoch ctrl_images_agree broker_images_agree"
} >"$WORK/atomic.scn"
"$KSIM" run "$WORK/atomic.scn" --quiet --dump-disks "$WORK/disks" >"$WORK/run.json"
for c in c1 c2 c3; do
    log="$WORK/disks/$c/__cluster_metadata-0/00000000000000000000.log"
    [ -f "$log" ] || { echo "ctrl_atomic_batch: FAIL: $log is missing" >&2; exit 1; }
    "$KSIM" dump-log --json --deep-iteration "$log" >"$WORK/$c.jsonl"
    /usr/bin/python3 - "$WORK/$c.jsonl" "$c" <<'PYEOF'
import json, sys
batches = [json.loads(l) for l in open(sys.argv[1]) if '"type":"batch"' in l.replace(' ', '')]
big = [b for b in batches if b["count"] == 5]
if len(big) != 1:
    sys.exit("ctrl_atomic_batch: FAIL: %s: %d batches of 5 records (want the topic's one); "
             "counts: %s" % (sys.argv[2], len(big), [b["count"] for b in batches]))
print("ctrl_atomic_batch: %s: the topic and its 4 partitions are one batch at offset %d"
      % (sys.argv[2], big[0]["base_offset"]))
PYEOF
done
