#!/usr/bin/env bash
# kbroker_kafkajs.sh: kafkajs (npm, installed by ci/bootstrap under
# ${XDG_CACHE_HOME:-$HOME/.cache}/ksim/node) against a combined kbroker node on
# loopback: the admin creates a 2-partition topic and reads its metadata and offsets,
# an idempotent-free producer with acks=-1 sends 200 keyed messages, and everything is
# read back (by kcat, partition by partition, in order). When the broker advertises
# JoinGroup (the group coordinator is served), a kafkajs consumer group reads the
# messages back too. Then all of it again against a 3-node cluster (ci/kcluster).
# Env: KS_BUILD_DIR, KS_NODE_DIR (overrides the install dir). Kills only the kbroker it
# started, by PID, also on failure.
set -euo pipefail
. "$(dirname "$0")/lib/kbroker.bash"

kb_init kbroker_kafkajs
kb_need_kcat
NODE_DIR=${KS_NODE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ksim/node}
command -v node >/dev/null || fail "node is not installed (ci/bootstrap installs nodejs)"
[ -f "$NODE_DIR/node_modules/kafkajs/package.json" ] ||
    fail "kafkajs is not installed in $NODE_DIR: run ci/bootstrap (it needs the npm registry)"
kb_start "$WORK/data"
kb_wait_ready
B="127.0.0.1:$KB_PORT"
echo "kbroker_kafkajs: kbroker pid $KB_PID on $B"

cat >"$WORK/check.js" <<'JSEOF'
const { Kafka, logLevel } = require('kafkajs');
const broker = process.argv[2];
const kafka = new Kafka({ clientId: 'ksim-kafkajs', brokers: [broker], logLevel: logLevel.NOTHING,
                          retry: { retries: 8, initialRetryTime: 100 } });
const TOPIC = 'events';
const COUNT = 200;

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  const created = await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }],
                                             waitForLeaders: true });
  if (!created) throw new Error('createTopics returned false');
  const meta = await admin.fetchTopicMetadata({ topics: [TOPIC] });
  const parts = meta.topics[0].partitions;
  if (parts.length !== 2 || parts.some(p => p.leader < 1))
    throw new Error('metadata: ' + JSON.stringify(meta));

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const messages = [];
  for (let i = 0; i < COUNT; i++)
    messages.push({ key: 'key-' + (i % 13), value: 'value-' + String(i).padStart(4, '0') });
  for (let i = 0; i < COUNT; i += 50)
    await producer.send({ topic: TOPIC, acks: -1, messages: messages.slice(i, i + 50) });
  await producer.disconnect();

  const offsets = await admin.fetchTopicOffsets(TOPIC);
  const total = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  if (total !== COUNT) throw new Error('offsets: ' + JSON.stringify(offsets));
  const versions = await admin.describeCluster();
  await admin.disconnect();
  console.log('kbroker_kafkajs: created ' + TOPIC + ', sent ' + COUNT +
              ' with acks=-1, high watermarks ' + offsets.map(o => o.high).join(',') +
              ', cluster ' + versions.clusterId);
}

main().catch(e => { console.error('kafkajs: ' + (e.stack || e)); process.exit(1); });
JSEOF
NODE_PATH="$NODE_DIR/node_modules" timeout 120 node "$WORK/check.js" "$B" || fail "the kafkajs admin or producer failed"

# Read back: every partition in order, keys always on one partition.
all=""
for p in 0 1; do
    out=$(timeout 30 kcat -C -b "$B" -t events -p "$p" -o beginning -e -q -f '%k %s\n' 2>&1) ||
        fail "kcat -C events/$p failed: $out"
    prev=-1
    while read -r key value; do
        n=$((10#${value#value-}))
        [ "$n" -gt "$prev" ] || fail "events/$p out of order at $value"
        prev=$n
    done <<<"$out"
    all+="$out"$'\n'
done
count=$(printf '%s' "$all" | grep -c '^key-' || true)
[ "$count" -eq 200 ] || fail "read back $count messages, want 200"
keys_split=$(printf '%s' "$all" | awk '{print $1}' | sort -u | wc -l)
[ "$keys_split" -eq 13 ] || fail "want 13 keys, got $keys_split"
echo "kbroker_kafkajs: all 200 read back in order per partition"

GROUPS_SERVED=0
if (cd / && "$PYTHON" - "$KB_PORT" <<'PYEOF'); then
import socket, struct, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5)
s.sendall(struct.pack('>ihhih', 10, 18, 0, 1, 0))
size = struct.unpack('>i', s.recv(4))[0]
body = b''
while len(body) < size:
    body += s.recv(size - len(body))
count = struct.unpack('>i', body[6:10])[0]
keys = {struct.unpack('>h', body[10 + 6 * i:12 + 6 * i])[0] for i in range(count)}
sys.exit(0 if 11 in keys else 1)
PYEOF
    GROUPS_SERVED=1
    cat >"$WORK/group.js" <<'JSEOF'
const { Kafka, logLevel } = require('kafkajs');
const kafka = new Kafka({ clientId: 'ksim-kafkajs', brokers: [process.argv[2]],
                          logLevel: logLevel.NOTHING });
async function main() {
  const consumer = kafka.consumer({ groupId: 'ksim-kafkajs-group' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'events', fromBeginning: true });
  let seen = 0;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('only ' + seen + ' in 60 s')), 60000);
    consumer.run({ eachMessage: async () => { if (++seen === 200) { clearTimeout(timer); resolve(); } } });
  });
  await consumer.disconnect();
  console.log('kbroker_kafkajs: the consumer group read all ' + seen);
}
main().catch(e => { console.error('kafkajs group: ' + (e.stack || e)); process.exit(1); });
JSEOF
    NODE_PATH="$NODE_DIR/node_modules" timeout 120 node "$WORK/group.js" "$B" || fail "the kafkajs consumer group failed"
else
    echo "kbroker_kafkajs: JoinGroup not served by this broker yet: consumer group part skipped"
fi
kb_stop

# The same against a 3-node cluster (ci/kcluster): admin, acks=-1 producer, and the
# consumer group when served.
KCLUSTER="$(cd "$(dirname "$0")/../.." && pwd)/ci/kcluster"
cluster_cleanup() {
    [ -f "$WORK/c/cluster.env" ] && "$KCLUSTER" stop "$WORK/c" >/dev/null 2>&1 || true
    kb_cleanup
}
trap cluster_cleanup EXIT
CB=$("$KCLUSTER" start "$WORK/c" "$KBROKER") || fail "ci/kcluster start failed"
for n in 1 2 3; do
    for _ in $(seq 1 400); do
        grep -q "The broker has been unfenced" "$WORK/c/node$n.log" && break
        sleep 0.1
    done
done
FIRST=${CB%%,*}
NODE_PATH="$NODE_DIR/node_modules" timeout 120 node "$WORK/check.js" "$FIRST" ||
    fail "the kafkajs admin or producer failed against the cluster"
if [ "$GROUPS_SERVED" -eq 1 ]; then
    NODE_PATH="$NODE_DIR/node_modules" timeout 120 node "$WORK/group.js" "$FIRST" ||
        fail "the kafkajs consumer group failed against the cluster"
fi
"$KCLUSTER" stop "$WORK/c"
rm -f "$WORK/c/cluster.env"
echo "kbroker_kafkajs: the same against a 3-node cluster"
echo "kbroker_kafkajs: OK"
