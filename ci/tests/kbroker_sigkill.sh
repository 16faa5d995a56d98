#!/usr/bin/env bash
# kbroker_sigkill.sh: a kbroker killed with SIGKILL in the middle of acks=all
# production loses no acknowledged record. kafka-python produces keyed records with
# acks=all as fast as it can and, once 2000 are acknowledged, kills the broker with
# SIGKILL while requests are still in flight; every record whose send was
# acknowledged is written down with its partition and offset. kbroker restarts on the
# same data (no clean-shutdown marker: the logs recover), and a consumer must find
# every acknowledged record at its offset.
# Env: KS_BUILD_DIR. Kills only the kbroker it started, by PID, also on failure.
set -euo pipefail
. "$(dirname "$0")/lib/kbroker.bash"

kb_init kbroker_sigkill
kb_need_python_kafka
kb_start "$WORK/data"
kb_wait_ready
echo "kbroker_sigkill: kbroker pid $KB_PID on 127.0.0.1:$KB_PORT"

cd /
timeout 120 "$PYTHON" - "127.0.0.1:$KB_PORT" "$KB_PID" "$WORK/acked.txt" <<'PYEOF' ||
import os, signal, sys, time
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

bootstrap, pid, acked_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
admin.create_topics([NewTopic('ledger', num_partitions=2, replication_factor=1)])
admin.close()
producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all', retries=0, linger_ms=1,
                         request_timeout_ms=3000, max_block_ms=3000)
acked = []
def on_ack(value):
    return lambda md: acked.append((md.partition, md.offset, value))
killed = False
i = 0
deadline = time.time() + 60
while time.time() < deadline:
    value = b'record-%06d' % i
    try:
        producer.send('ledger', key=b'k%d' % (i % 31), value=value).add_callback(on_ack(value))
    except Exception:
        if killed:
            break
        raise
    i += 1
    if not killed and len(acked) >= 2000:
        os.kill(pid, signal.SIGKILL)
        killed = True
        kill_at = i
    if killed and i >= kill_at + 200:
        break
try:
    producer.flush(timeout=5)
except Exception:
    pass
producer.close(timeout=5)
assert killed, 'only %d acknowledged in 60 s' % len(acked)
with open(acked_path, 'w') as f:
    for p, o, v in acked:
        f.write('%d %d %s\n' % (p, o, v.decode()))
print('kbroker_sigkill: %d sent, %d acknowledged before and around the SIGKILL' % (i, len(acked)))
PYEOF
    fail "the producer side failed"
wait "$KB_PID" 2>/dev/null || true
[ ! -f "$WORK/data/.kafka_cleanshutdown" ] || fail "a clean-shutdown marker after SIGKILL"

kb_start "$WORK/data"
kb_wait_ready
timeout 120 "$PYTHON" - "127.0.0.1:$KB_PORT" "$WORK/acked.txt" <<'PYEOF' ||
import sys
from kafka import KafkaConsumer, TopicPartition

bootstrap, acked_path = sys.argv[1], sys.argv[2]
acked = {}
for line in open(acked_path):
    p, o, v = line.split()
    acked[(int(p), int(o))] = v.encode()
consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                         consumer_timeout_ms=8000, request_timeout_ms=11000)
consumer.assign([TopicPartition('ledger', 0), TopicPartition('ledger', 1)])
consumer.seek_to_beginning()
found = {}
for m in consumer:
    found[(m.partition, m.offset)] = m.value
consumer.close()
lost = [(k, v) for k, v in acked.items() if found.get(k) != v]
assert not lost, '%d acknowledged records lost or changed, first %r' % (len(lost), lost[:3])
print('kbroker_sigkill: all %d acknowledged records found after restart (%d in the log)'
      % (len(acked), len(found)))
PYEOF
    fail "acknowledged records were lost"
kb_stop
echo "kbroker_sigkill: OK"
