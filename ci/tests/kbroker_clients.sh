#!/usr/bin/env bash
# kbroker_clients.sh: clients nobody here wrote against a real kbroker on loopback.
#  (a) kcat -L lists the broker (node 1, its port, the controller mark);
#  (b) kafka-python 2.0.2 negotiates versions (ApiVersions v0, infers a broker version),
#      lists topics with KafkaConsumer and describes the cluster with KafkaAdminClient;
#  (c) a raw socket sends garbage, a negative and an oversized size prefix, an unknown
#      API key, ApiVersions v4 (gets the v0 fallback) and pipelined requests; kbroker
#      closes the bad connections and keeps answering the others (kcat again after).
# kbroker listens on port 0 (any free port) and logs the port it got.
#
# Env: KS_BUILD_DIR (where kbroker is). Fails loudly when kcat, python3-kafka or
# kbroker is missing. Always kills the kbroker it started.
set -euo pipefail

PYTHON=/usr/bin/python3
fail() {
    echo "kbroker_clients: FAIL: $*" >&2
    [ -n "${LOG:-}" ] && [ -f "$LOG" ] && tail -n 30 "$LOG" >&2
    exit 1
}

KBROKER="${KS_BUILD_DIR:-}/kbroker"
[ -x "$KBROKER" ] || fail "kbroker not found at '$KBROKER': build target kbroker first"
command -v kcat >/dev/null || fail "kcat is not installed (ci/bootstrap: apt-get install -y kcat)"
[ -x "$PYTHON" ] || fail "$PYTHON not found"
(cd / && "$PYTHON" -c 'import kafka') 2>/dev/null ||
    fail "python3-kafka is not installed (apt-get install -y python3-kafka)"

WORK=$(mktemp -d)
LOG="$WORK/server.log"
PID=""
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        # PID is the timeout wrapping kbroker: SIGKILL is not passed on, so the
        # kbroker under it (by parent PID) goes first.
        local child
        for child in $(pgrep -P "$PID" || true); do
            kill -KILL "$child" 2>/dev/null || true
        done
        kill -KILL "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

timeout 120 "$KBROKER" --override listeners=PLAINTEXT://127.0.0.1:0 \
    --override log.dirs="$WORK/data" --override socket.request.max.bytes=1048576 \
    >"$LOG" 2>&1 &
PID=$!

PORT=""
for _ in $(seq 1 100); do
    PORT=$(sed -n 's/.*Awaiting socket connections on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$LOG" | head -n 1)
    [ -n "$PORT" ] && break
    kill -0 "$PID" 2>/dev/null || fail "kbroker exited at start"
    sleep 0.1
done
[ -n "$PORT" ] || fail "kbroker did not log its port"
echo "kbroker_clients: kbroker pid $PID on 127.0.0.1:$PORT"

# (a) kcat
kcat_list() {
    local out
    out=$(timeout 20 kcat -L -b "127.0.0.1:$PORT" -m 10 2>&1) || fail "kcat -L failed: $out"
    echo "$out" | grep -q "1 brokers:" || fail "kcat: no '1 brokers:' in: $out"
    echo "$out" | grep -q "broker 1 at 127.0.0.1:$PORT (controller)" ||
        fail "kcat: broker 1 at 127.0.0.1:$PORT (controller) not listed in: $out"
    echo "$out" | grep -q " 0 topics:" || fail "kcat: expected 0 topics in: $out"
}
kcat_list
echo "kbroker_clients: (a) kcat -L lists broker 1 as controller"

# (b) kafka-python
cd /
timeout 60 "$PYTHON" - "$PORT" <<'EOF' || fail "kafka-python check failed"
import sys
from kafka import KafkaAdminClient, KafkaConsumer
from kafka.client_async import KafkaClient

bootstrap = '127.0.0.1:' + sys.argv[1]
client = KafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
version = client.check_version(timeout=10)
assert version >= (0, 10), version
client.close()

consumer = KafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=11000,
                         api_version_auto_timeout_ms=10000)
topics = consumer.topics()
assert topics == set(), topics
consumer.close()

admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
cluster = admin.describe_cluster()
assert cluster['controller_id'] == 1, cluster
assert [b['node_id'] for b in cluster['brokers']] == [1], cluster
assert cluster['brokers'][0]['port'] == int(sys.argv[1]), cluster
assert len(cluster['cluster_id']) == 22, cluster
assert admin.list_topics() == [], admin.list_topics()
admin.close()
print('kbroker_clients: (b) kafka-python', '.'.join(map(str, version)),
      'cluster', cluster['cluster_id'])
EOF

# (c) bad input on raw sockets; the good connection before and after is served.
timeout 60 "$PYTHON" - "$PORT" <<'EOF' || fail "raw socket check failed"
import socket, struct, sys, time

PORT = int(sys.argv[1])

def conn():
    s = socket.create_connection(('127.0.0.1', PORT), timeout=5)
    s.settimeout(5)
    return s

def frame(key, version, corr, body=b'', client=b'raw'):
    header = struct.pack('>hhih', key, version, corr, len(client)) + client
    if (key == 18 and version >= 3) or (key == 3 and version >= 9):
        header += b'\x00'  # request header v2: empty tagged fields
    payload = header + body
    return struct.pack('>i', len(payload)) + payload

def recv_exact(s, n):
    data = b''
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError('closed after %d of %d bytes' % (len(data), n))
        data += chunk
    return data

def recv_frame(s):
    size = struct.unpack('>i', recv_exact(s, 4))[0]
    return recv_exact(s, size)

def closed_without_answer(s, what):
    try:
        data = s.recv(4096)
    except (ConnectionResetError, socket.timeout) as e:
        if isinstance(e, socket.timeout):
            raise AssertionError(what + ': still open after 5 s')
        data = b''
    assert data == b'', what + ': got bytes %r' % data[:32]

good = conn()
good.sendall(frame(18, 0, 1))
assert struct.unpack('>i', recv_frame(good)[:4])[0] == 1

cases = [
    ('garbage', b'\x00\x00\x00\x08garbage!'),
    ('negative size', b'\xff\xff\xff\xf0\x00\x03'),
    ('oversized size prefix', struct.pack('>i', 1048577) + b'\x00\x03'),
    ('unknown api key', frame(1000, 0, 5)),
    ('Produce without a body', frame(0, 7, 6)),
    ('Metadata v13', frame(3, 13, 7)),
    ('short header', b'\x00\x00\x00\x02\x00\x03'),
]
for what, data in cases:
    s = conn()
    s.sendall(data)
    closed_without_answer(s, what)
    s.close()
    good.sendall(frame(3, 1, 100, struct.pack('>i', 0)))
    body = recv_frame(good)
    assert struct.unpack('>i', body[:4])[0] == 100, what

# ApiVersions v4: the KIP-511 fallback, a v0 body with UNSUPPORTED_VERSION (35).
s = conn()
s.sendall(frame(18, 4, 9, b'\x05kcat\x041.0\x00'))
body = recv_frame(s)
corr, error, count = struct.unpack('>ihi', body[:10])
assert (corr, error, count) == (9, 35, 1), (corr, error, count)
assert struct.unpack('>hhh', body[10:16]) == (18, 0, 3)
# The same connection still serves v3 afterwards.
s.sendall(frame(18, 3, 10, b'\x08kbroker\x041.0\x00'))
body = recv_frame(s)
assert struct.unpack('>ih', body[:6]) == (10, 0), body[:6]
s.close()

# Pipelined requests, sent byte by byte, come back in order.
s = conn()
def metadata_all(v):
    body = struct.pack('>i', -1 if v >= 1 else 0)  # v0: empty = all; v1+: null = all
    return body + (b'\x01' if v >= 4 else b'')   # allow_auto_topic_creation from v4
stream = b''.join(frame(3, v, 200 + i, metadata_all(v)) for i, v in enumerate([0, 1, 4, 7, 1, 5]))
for b in stream:
    s.send(bytes([b]))
got = [struct.unpack('>i', recv_frame(s)[:4])[0] for _ in range(6)]
assert got == [200, 201, 202, 203, 204, 205], got
s.close()
good.close()
print('kbroker_clients: (c) bad connections closed, others served, v4 fallback, order kept')
EOF

kcat_list
kill -0 "$PID" 2>/dev/null || fail "kbroker died"
CHILD=$(pgrep -P "$PID" || true) # PID is the timeout wrapping kbroker
[ -n "$CHILD" ] || fail "no kbroker under timeout pid $PID"
kill -TERM "$CHILD"
rc=0
wait "$PID" || rc=$?
PID=""
[ "$rc" -eq 0 ] || fail "kbroker exited $rc after SIGTERM"
echo "kbroker_clients: OK"
