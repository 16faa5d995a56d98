#!/usr/bin/env bash
# kbroker_data.sh: the data path of a combined kbroker node with clients nobody here
# wrote, on loopback:
#  (a) kcat produces keyed records (the topic is auto-created), consumes them back with
#      keys and offsets, and lists the topic with its leader;
#  (b) kafka-python: the admin client creates a 3-partition topic, a producer with
#      acks=all writes 300 keyed records, a consumer reads every one back, and the
#      admin describes a topic's configs (DescribeConfigs), DescribeCluster v0 and v1
#      answer on a raw socket, and the admin deletes the topic;
#  (c) after SIGTERM and a restart, the records are still there (kcat).
# Env: KS_BUILD_DIR. Kills only the kbroker it started, by PID, also on failure.
set -euo pipefail
. "$(dirname "$0")/lib/kbroker.bash"

kb_init kbroker_data
kb_need_kcat
kb_need_python_kafka
kb_start "$WORK/data"
kb_wait_ready
B="127.0.0.1:$KB_PORT"
echo "kbroker_data: kbroker pid $KB_PID on $B"

# (a) kcat
printf 'k1:first\nk2:second\nk1:third\n' | timeout 30 kcat -P -b "$B" -t orders -K: ||
    fail "kcat -P failed"
out=$(timeout 30 kcat -C -b "$B" -t orders -o beginning -e -q -f '%k=%s@%o\n' 2>&1) ||
    fail "kcat -C failed: $out"
want=$'k1=first@0\nk2=second@1\nk1=third@2'
[ "$out" = "$want" ] || fail "kcat read back '$out', want '$want'"
out=$(timeout 20 kcat -L -b "$B" -t orders 2>&1) || fail "kcat -L failed: $out"
echo "$out" | grep -q 'partition 0, leader 1, replicas: 1, isrs: 1' ||
    fail "kcat -L: no leader for orders/0 in: $out"
echo "kbroker_data: (a) kcat produced 3 keyed records and read them back"

# (a2) kcat -G: a consumer group reads from the start, commits, and a second run of
# the same group resumes after the committed offset.
out=$(timeout 60 kcat -b "$B" -G readers -o beginning -e -q -f '%k=%s\n' orders 2>&1) ||
    fail "kcat -G failed: $out"
[ "$out" = $'k1=first\nk2=second\nk1=third' ] || fail "kcat -G read '$out'"
printf 'k3:fourth\n' | timeout 30 kcat -P -b "$B" -t orders -K: || fail "kcat -P failed"
out=$(timeout 60 kcat -b "$B" -G readers -e -q -f '%k=%s\n' orders 2>&1) ||
    fail "kcat -G (second run) failed: $out"
[ "$out" = "k3=fourth" ] || fail "kcat -G did not resume from its commit: '$out'"
want="$want"$'\nk3=fourth@3'
echo "kbroker_data: (a2) kcat -G read as a group and resumed from its committed offset"

# (b) kafka-python
cd /
timeout 120 "$PYTHON" - "$B" <<'PYEOF' || fail "kafka-python check failed"
import sys
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

bootstrap = sys.argv[1]
admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
r = admin.create_topics([NewTopic('payments', num_partitions=3, replication_factor=1)])
assert [t[1] for t in r.topic_errors] == [0], r
assert 'payments' in admin.list_topics(), admin.list_topics()

producer = KafkaProducer(bootstrap_servers=bootstrap, acks='all', retries=5,
                         request_timeout_ms=10000)
sent = {}
futures = []
for i in range(300):
    key, value = b'key-%d' % (i % 17), b'value-%04d' % i
    futures.append((key, value, producer.send('payments', key=key, value=value)))
producer.flush(timeout=30)
for key, value, f in futures:
    md = f.get(timeout=10)
    sent[(md.partition, md.offset)] = (key, value)
producer.close()
assert len(sent) == 300, len(sent)

consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                         consumer_timeout_ms=5000, request_timeout_ms=11000)
parts = [TopicPartition('payments', p) for p in range(3)]
consumer.assign(parts)
consumer.seek_to_beginning()
got = {}
for m in consumer:
    got[(m.partition, m.offset)] = (m.key, m.value)
    if len(got) == len(sent):
        break
consumer.close()
assert got == sent, (len(got), len(sent))
# Same key, same partition (the default partitioner hashes keys).
by_key = {}
for (p, _), (k, _) in sent.items():
    by_key.setdefault(k, set()).add(p)
assert all(len(ps) == 1 for ps in by_key.values()), by_key

# DescribeConfigs: a config set at creation, Kafka's defaults for the rest.
from kafka.admin import ConfigResource, ConfigResourceType
admin.create_topics([NewTopic('configured', 1, 1, topic_configs={'retention.ms': '3600000'})])
r = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 'configured')])
entries = {e[0]: (e[1], e[3]) for e in r[0].resources[0][4]}
assert entries['retention.ms'] == ('3600000', 1), entries  # TOPIC_CONFIG
assert entries['cleanup.policy'] == ('delete', 5), entries  # DEFAULT_CONFIG

# DescribeCluster v0 and v1 (KIP-700) on a raw socket: cluster id, controller, broker.
import socket, struct
host, port = bootstrap.split(':')
s = socket.create_connection((host, int(port)), timeout=10)
cluster_ids = set()
for version, body in ((0, b'\x00\x00'), (1, b'\x00\x01\x00')):
    header = struct.pack('>hhih', 60, version, 7, 3) + b'raw' + b'\x00'
    s.sendall(struct.pack('>i', len(header) + len(body)) + header + body)
    size = struct.unpack('>i', s.recv(4))[0]
    data = b''
    while len(data) < size:
        data += s.recv(size - len(data))
    assert struct.unpack('>i', data[:4])[0] == 7, data[:8]
    at = 5 + 4  # correlation id, response header tags, throttle
    assert struct.unpack('>h', data[at:at + 2])[0] == 0, data
    at += 3 + (1 if version >= 1 else 0)  # error code, null message, endpoint type
    n = data[at] - 1
    cluster_ids.add(data[at + 1:at + 1 + n].decode())
    at += 1 + n
    assert struct.unpack('>i', data[at:at + 4])[0] == 1, 'controller id'
    assert data[at + 4] == 2, 'one broker'
    assert struct.unpack('>i', data[at + 5:at + 9])[0] == 1, 'broker id'
s.close()
assert len(cluster_ids) == 1 and len(cluster_ids.pop()) == 22, cluster_ids

r = admin.delete_topics(['payments'])
assert [t[1] for t in r.topic_error_codes] == [0], r
assert 'payments' not in admin.list_topics(), admin.list_topics()
admin.close()
print('kbroker_data: (b) kafka-python created, produced 300 with acks=all, read all back, '
      'described configs and the cluster, deleted')
PYEOF

# (c) a clean restart keeps the records
kb_stop
[ -f "$WORK/data/.kafka_cleanshutdown" ] || fail "no .kafka_cleanshutdown after SIGTERM"
kb_start "$WORK/data"
kb_wait_ready
B="127.0.0.1:$KB_PORT"
out=$(timeout 30 kcat -C -b "$B" -t orders -o beginning -e -q -f '%k=%s@%o\n' 2>&1) ||
    fail "kcat -C after restart failed: $out"
[ "$out" = "$want" ] || fail "after restart kcat read '$out', want '$want'"
kb_stop
echo "kbroker_data: (c) the records survive a clean restart"
echo "kbroker_data: OK"
