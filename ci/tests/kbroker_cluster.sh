#!/usr/bin/env bash
# kbroker_cluster.sh: a 3-node kbroker cluster (ci/kcluster: three combined nodes, a
# 3-voter KRaft quorum, replication factor 3, min.insync.replicas=2) on loopback with
# clients nobody here wrote:
#  (a) kcat lists 3 brokers, produces 1000 keyed records with acks=all to an
#      auto-created topic whose partitions have 3 replicas all in sync, reads all back;
#  (b) kafka-python's admin creates a topic (CreateTopics reaches the active
#      controller), an acks=all producer writes 500 records, a consumer reads them;
#  (c) kcat -G reads as a consumer group (the coordinator on __consumer_offsets with
#      3 replicas);
#  (d) SIGTERM stops every node cleanly (exit 0).
# Env: KS_BUILD_DIR. Kills only the nodes it started (by the PIDs ci/kcluster wrote).
set -euo pipefail
. "$(dirname "$0")/lib/kbroker.bash"

kb_init kbroker_cluster
kb_need_kcat
kb_need_python_kafka
KCLUSTER="$(cd "$(dirname "$0")/../.." && pwd)/ci/kcluster"
cluster_cleanup() {
    [ -f "$WORK/c/cluster.env" ] && "$KCLUSTER" stop "$WORK/c" >/dev/null 2>&1 || true
    kb_cleanup
}
trap cluster_cleanup EXIT
B=$("$KCLUSTER" start "$WORK/c" "$KBROKER") || fail "ci/kcluster start failed"
. "$WORK/c/cluster.env"
KB_LOG="$WORK/c/node1.log"
for n in 1 2 3; do
    for _ in $(seq 1 400); do
        grep -q "The broker has been unfenced" "$WORK/c/node$n.log" && break
        sleep 0.1
    done
    grep -q "The broker has been unfenced" "$WORK/c/node$n.log" ||
        { KB_LOG="$WORK/c/node$n.log"; fail "node $n was not unfenced within 40 s"; }
done
echo "kbroker_cluster: nodes $PIDS, bootstrap $B"

# (a) kcat
out=$(timeout 20 kcat -L -b "$B" 2>&1) || fail "kcat -L failed: $out"
echo "$out" | grep -q " 3 brokers:" || fail "kcat -L: not 3 brokers in: $out"
seq 1 1000 | sed 's/^/key-/; s/$/:value/' | timeout 60 kcat -P -b "$B" -t replicated -K: \
    -X acks=all || fail "kcat -P with acks=all failed"
out=$(timeout 20 kcat -L -b "$B" -t replicated 2>&1) || fail "kcat -L failed: $out"
[ "$(echo "$out" | grep -c 'isrs: [123],[123],[123]$')" -eq 3 ] ||
    fail "not 3 partitions with 3 in-sync replicas: $out"
n=$(timeout 60 kcat -C -b "$B" -t replicated -o beginning -e -q | wc -l)
[ "$n" -eq 1000 ] || fail "kcat read back $n of 1000"
echo "kbroker_cluster: (a) kcat: 1000 records with acks=all over 3 replicas, all read back"

# (b) kafka-python
cd /
timeout 120 "$PYTHON" - "$B" <<'PYEOF' || fail "kafka-python check failed"
import sys
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

bootstrap = sys.argv[1].split(',')
admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
cluster = admin.describe_cluster()
assert sorted(b['node_id'] for b in cluster['brokers']) == [1, 2, 3], cluster
r = admin.create_topics([NewTopic('orders', num_partitions=2, replication_factor=3)])
assert [t[1] for t in r.topic_errors] == [0], r
admin.close()
producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all', retries=5)
futures = [producer.send('orders', key=b'k%d' % (i % 7), value=b'v%d' % i) for i in range(500)]
producer.flush(timeout=60)
acked = {(f.get(10).partition, f.get(10).offset) for f in futures}
producer.close()
assert len(acked) == 500, len(acked)
consumer = KafkaConsumer(bootstrap_servers=bootstrap, consumer_timeout_ms=8000,
                         enable_auto_commit=False)
consumer.assign([TopicPartition('orders', 0), TopicPartition('orders', 1)])
consumer.seek_to_beginning()
got = {(m.partition, m.offset) for m in consumer}
consumer.close()
assert got == acked, (len(got), len(acked))
print('kbroker_cluster: (b) kafka-python: controller %d, 500 acks=all records read back'
      % cluster['controller_id'])
PYEOF

# (c) kcat -G
out=$(timeout 90 kcat -b "$B" -G cluster-readers -o beginning -e -q orders 2>&1) ||
    fail "kcat -G failed: $out"
n=$(printf '%s\n' "$out" | grep -c '^v' || true)
[ "$n" -eq 500 ] || fail "kcat -G read $n of 500"
echo "kbroker_cluster: (c) kcat -G read all 500 as a group"

# (d) clean stop
for pid in $PIDS; do
    kill -TERM "$pid"
done
for pid in $PIDS; do
    rc=0
    wait "$pid" 2>/dev/null || rc=$?
    # not this shell's child (ci/kcluster started it): wait returns 127; poll instead
    if [ "$rc" -eq 127 ]; then
        for _ in $(seq 1 200); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && fail "node pid $pid still running 20 s after SIGTERM"
    fi
done
for n in 1 2 3; do
    grep -q "shut down completed" "$WORK/c/node$n.log" || fail "node $n did not shut down cleanly"
done
rm -f "$WORK/c/cluster.env"
echo "kbroker_cluster: (d) SIGTERM stopped the three nodes cleanly"
echo "kbroker_cluster: OK"
