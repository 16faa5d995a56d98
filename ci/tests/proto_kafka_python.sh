#!/usr/bin/env bash
# proto_kafka_python.sh: cross-checks system/proto/ against kafka-python (Debian
# python3-kafka, 2.0.2: Metadata v0-5, ApiVersions v0-2, all non-flexible).
#
# 1. kafka-python encodes requests and responses into frames (py_*.bin).
# 2. proto_xcheck_test decodes each, checks the values, re-encodes it (must give the
#    same bytes) and writes our own encodings of the same content (c_*.bin).
# 3. kafka-python decodes ours and compares them with what it encoded itself.
#
# Env: KS_BUILD_DIR (where proto_xcheck_test is) or KS_XCHECK_BIN (the binary itself).
# Fails loudly when python3-kafka or the test binary is missing.
set -euo pipefail

PYTHON=/usr/bin/python3
fail() {
    echo "proto_kafka_python: FAIL: $*" >&2
    exit 1
}

[ -x "$PYTHON" ] || fail "$PYTHON not found (apt-get install -y python3)"
# The keys our table implements (system/proto/api.c), which the ApiVersions answer
# lists: "key:min:max,..." for the Python side.
SRC="${KS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
KS_API_KEYS=$(sed -nE 's/^ *\[[0-9]+\] = \{([0-9]+), "[A-Za-z]+", ([0-9]+), ([0-9]+),.*/\1:\2:\3/p' \
    "$SRC/system/proto/api.c" | paste -sd, -)
[ -n "$KS_API_KEYS" ] || fail "no implemented keys found in $SRC/system/proto/api.c"
export KS_API_KEYS
# Run python from a neutral directory: kafka/protocol/struct.py must not shadow 'struct'.
cd /
"$PYTHON" -c 'import kafka.protocol.metadata' 2>/dev/null ||
    fail "python3-kafka is not installed (apt-get install -y python3-kafka)"

BIN="${KS_XCHECK_BIN:-${KS_BUILD_DIR:-}/proto_xcheck_test}"
[ -x "$BIN" ] || fail "test binary '$BIN' not found: build target proto_xcheck_test first"

XDIR=$(mktemp -d)
trap 'rm -rf "$XDIR"' EXIT

read -r -d '' PY_COMMON <<'EOF' || true
import io, os, struct, sys
from kafka.protocol.metadata import MetadataRequest, MetadataResponse
from kafka.protocol.admin import ApiVersionRequest, ApiVersionResponse
from kafka.protocol.api import RequestHeader
from kafka.protocol.types import Int16, Int32, String

XDIR = sys.argv[2]
CLIENT_ID = 'kafka-python'
TOPICS = ['orders', 'payments']
METADATA_VERSIONS = range(0, 6)
API_VERSIONS_VERSIONS = range(0, 3)

# The content proto_xcheck_test.c builds too.
BROKERS = [(1, 'broker-1', 9092, 'rack-a'), (2, 'broker-2', 9093, None)]
PARTITIONS = [(0, 0, 1, [1, 2], [1, 2], []), (0, 1, 2, [2, 1], [2], [1])]
TOPIC_ROWS = [(0, 'orders', False, PARTITIONS), (3, 'missing', False, [])]
CLUSTER_ID, CONTROLLER_ID, THROTTLE_MS = 'ks-cluster', 2, 7
API_KEYS = [tuple(int(x) for x in e.split(':')) for e in os.environ['KS_API_KEYS'].split(',')]

def metadata_request(v, topics):
    return MetadataRequest[v](topics) if v < 4 else MetadataRequest[v](topics, False)

def metadata_response(v):
    brokers = [b if v >= 1 else b[:3] for b in BROKERS]
    def partition(p):
        return p if v >= 5 else p[:5]
    def topic(t):
        parts = [partition(p) for p in t[3]]
        return (t[0], t[1], t[2], parts) if v >= 1 else (t[0], t[1], parts)
    topics = [topic(t) for t in TOPIC_ROWS]
    if v == 0:
        return MetadataResponse[v](brokers, topics)
    if v == 1:
        return MetadataResponse[v](brokers, CONTROLLER_ID, topics)
    if v == 2:
        return MetadataResponse[v](brokers, CLUSTER_ID, CONTROLLER_ID, topics)
    return MetadataResponse[v](THROTTLE_MS, brokers, CLUSTER_ID, CONTROLLER_ID, topics)

def api_versions_response(v):
    if v == 0:
        return ApiVersionResponse[v](0, API_KEYS)
    return ApiVersionResponse[v](0, API_KEYS, 0)

def request_frame(request, correlation_id):
    header = RequestHeader(request, correlation_id=correlation_id, client_id=CLIENT_ID)
    payload = header.encode() + request.encode()
    return struct.pack('>i', len(payload)) + payload

def response_frame(response, correlation_id):
    payload = struct.pack('>i', correlation_id) + response.encode()
    return struct.pack('>i', len(payload)) + payload

# name -> (frame bytes); correlation ids: 100 + version, 200 for "all topics"
def frames():
    out = {}
    for v in METADATA_VERSIONS:
        out['req_metadata_v%d' % v] = request_frame(metadata_request(v, TOPICS), 100 + v)
        out['resp_metadata_v%d' % v] = response_frame(metadata_response(v), 100 + v)
    out['req_metadata_v0_all'] = request_frame(metadata_request(0, []), 200)
    out['req_metadata_v1_all'] = request_frame(metadata_request(1, None), 200)
    for v in API_VERSIONS_VERSIONS:
        out['req_apiversions_v%d' % v] = request_frame(ApiVersionRequest[v](), 100 + v)
        out['resp_apiversions_v%d' % v] = response_frame(api_versions_response(v), 100 + v)
    return out
EOF

read -r -d '' PY_GEN <<'EOF' || true
for name, frame in frames().items():
    with open(os.path.join(XDIR, 'py_' + name + '.bin'), 'wb') as f:
        f.write(frame)
print('kafka-python wrote %d frames' % len(frames()))
EOF

read -r -d '' PY_CHECK <<'EOF' || true
def read(name):
    path = os.path.join(XDIR, 'c_' + name + '.bin')
    if not os.path.exists(path):
        raise SystemExit('missing %s: proto_xcheck_test did not write it' % path)
    with open(path, 'rb') as f:
        return f.read()

def unframe(frame):
    size = struct.unpack('>i', frame[:4])[0]
    assert size == len(frame) - 4, 'size prefix %d, frame %d' % (size, len(frame) - 4)
    return io.BytesIO(frame[4:])

failures = []
checked = 0
for name, expected in frames().items():
    ours = read(name)
    buf = unframe(ours)
    if name.startswith('req_'):
        key, version, correlation_id = Int16.decode(buf), Int16.decode(buf), Int32.decode(buf)
        client_id = String('utf-8').decode(buf)
        cls = MetadataRequest if 'metadata' in name else ApiVersionRequest
        decoded = cls[version].SCHEMA.decode(buf)
        again = request_frame(cls[version](*decoded), correlation_id)
        assert client_id == CLIENT_ID, client_id
    else:
        correlation_id = Int32.decode(buf)
        version = int(name.split('_v')[1])
        cls = MetadataResponse if 'metadata' in name else ApiVersionResponse
        decoded = cls[version].decode(buf.read())
        again = response_frame(decoded, correlation_id)
        if cls is ApiVersionResponse:
            assert decoded.api_versions == API_KEYS, decoded.api_versions
    checked += 1
    # Decoding ours and encoding it again gives our bytes, and they are kafka-python's own.
    if again != ours:
        failures.append('%s: kafka-python re-encodes our frame differently' % name)
    if ours != expected:
        failures.append('%s: our frame differs from kafka-python\'s\n  ours %s\n  py   %s'
                        % (name, ours.hex(), expected.hex()))
for f in failures:
    print('MISMATCH', f)
print('kafka-python decoded %d of our frames, %d mismatches' % (checked, len(failures)))
sys.exit(1 if failures else 0)
EOF

"$PYTHON" -c "$PY_COMMON
$PY_GEN" gen "$XDIR" || fail "kafka-python could not encode"
KS_XCHECK_DIR="$XDIR" "$BIN" || fail "proto_xcheck_test rejected kafka-python's frames"
"$PYTHON" -c "$PY_COMMON
$PY_CHECK" check "$XDIR" || fail "kafka-python disagrees with our encodings"
echo "proto_kafka_python: OK"
