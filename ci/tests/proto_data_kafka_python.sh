#!/usr/bin/env bash
# proto_data_kafka_python.sh: cross-checks the data-path codecs of system/proto/ against
# kafka-python (Debian python3-kafka 2.0.2): Produce requests v3-8 and responses v3-7,
# Fetch v4-11 both ways, ListOffsets requests v1-3 and responses v1-5. Left out, because
# kafka-python 2.0.2 gets them wrong: ProduceResponse v8 (RecordErrors and ErrorMessage
# fall out of its schema) and ListOffsetsRequest v4-5 (CurrentLeaderEpoch as int64).
# kafka-python has no InitProducerId, OffsetForLeaderEpoch or AlterPartition schemas.
#
# 1. kafka-python encodes requests and responses into frames (py_*.bin).
# 2. proto_data_xcheck_test decodes each, checks values, re-encodes it (same bytes
#    required) and writes our own encoding of the same content (c_*.bin).
# 3. kafka-python decodes ours and compares them with what it encoded itself.
#
# Env: KS_BUILD_DIR (where proto_data_xcheck_test is) or KS_XCHECK_BIN (the binary).
set -euo pipefail

PYTHON=/usr/bin/python3
fail() {
    echo "proto_data_kafka_python: FAIL: $*" >&2
    exit 1
}

[ -x "$PYTHON" ] || fail "$PYTHON not found (apt-get install -y python3)"
cd / # kafka/protocol/struct.py must not shadow 'struct'
"$PYTHON" -c 'import kafka.protocol.produce' 2>/dev/null ||
    fail "python3-kafka is not installed (apt-get install -y python3-kafka)"

BIN="${KS_XCHECK_BIN:-${KS_BUILD_DIR:-}/proto_data_xcheck_test}"
[ -x "$BIN" ] || fail "test binary '$BIN' not found: build target proto_data_xcheck_test first"

XDIR=$(mktemp -d)
trap 'rm -rf "$XDIR"' EXIT

read -r -d '' PY_COMMON <<'PYEOF' || true
import io, os, struct, sys
from kafka.protocol.produce import ProduceRequest, ProduceResponse
from kafka.protocol.fetch import FetchRequest, FetchResponse
from kafka.protocol.offset import OffsetRequest, OffsetResponse
from kafka.protocol.api import RequestHeader
from kafka.protocol.types import Int16, Int32, String

XDIR = sys.argv[2]
CLIENT_ID = 'kafka-python'

# The content proto_data_xcheck_test.c builds too; correlation id 100 + version.
def produce_request(v):
    return ProduceRequest[v](None, -1, 30000, [('orders', [(0, b'abc'), (1, b'')])])

def produce_response(v):
    p = (0, 0, 16, -1) if v < 5 else (0, 0, 16, -1, 3)
    return ProduceResponse[v]([('orders', [p])], 7)

def fetch_request(v):
    if v == 4:
        parts = [(0, 10, 1048576), (2, 20, 65536)]
    elif v < 9:
        parts = [(0, 10, -1, 1048576), (2, 20, -1, 65536)]
    else:
        parts = [(0, 5, 10, -1, 1048576), (2, 5, 20, -1, 65536)]
    topics = [('orders', parts)]
    if v < 7:
        return FetchRequest[v](-1, 500, 1, 52428800, 1, topics)
    forgotten = []  # kafka-python 2.0.2 cannot encode a forgotten topic (String unbound)
    if v < 11:
        return FetchRequest[v](-1, 500, 1, 52428800, 1, 77, 2, topics, forgotten)
    return FetchRequest[v](-1, 500, 1, 52428800, 1, 77, 2, topics, forgotten, 'rack-a')

def fetch_response(v):
    aborted = [(7, 30), (8, 35)]
    def part(i, err, records, ab):
        p = [i, err, 50, 40]
        if v >= 5:
            p.append(1)
        p.append(ab)
        if v >= 11:
            p.append(-1)
        p.append(records)
        return tuple(p)
    topics = [('orders', [part(0, 0, b'xyz', aborted), part(2, 6, None, None)])]
    if v < 7:
        return FetchResponse[v](7, topics)
    return FetchResponse[v](7, 0, 77, topics)

def list_offsets_request(v):
    topics = [('orders', [(0, -2), (1, -1)])]
    return OffsetRequest[v](-1, topics) if v < 2 else OffsetRequest[v](-1, 1, topics)

def list_offsets_response(v):
    parts = [(0, 0, -1, 42), (1, 6, -1, -1)]
    if v >= 4:
        parts = [p + (5,) for p in parts]
    topics = [('orders', parts)]
    return OffsetResponse[v](topics) if v < 2 else OffsetResponse[v](7, topics)

def request_frame(request, correlation_id):
    header = RequestHeader(request, correlation_id=correlation_id, client_id=CLIENT_ID)
    payload = header.encode() + request.encode()
    return struct.pack('>i', len(payload)) + payload

def response_frame(response, correlation_id):
    payload = struct.pack('>i', correlation_id) + response.encode()
    return struct.pack('>i', len(payload)) + payload

APIS = {  # name: (request class, response class, request versions, response versions)
    'produce': (ProduceRequest, ProduceResponse, range(3, 9), range(3, 8),
                produce_request, produce_response),
    'fetch': (FetchRequest, FetchResponse, range(4, 12), range(4, 12),
              fetch_request, fetch_response),
    'list_offsets': (OffsetRequest, OffsetResponse, range(1, 4), range(1, 6),
                     list_offsets_request, list_offsets_response),
}

def frames():
    out = {}
    for api, (_, _, req_versions, resp_versions, req, resp) in APIS.items():
        for v in req_versions:
            out['req_%s_v%d' % (api, v)] = request_frame(req(v), 100 + v)
        for v in resp_versions:
            out['resp_%s_v%d' % (api, v)] = response_frame(resp(v), 100 + v)
    return out
PYEOF

read -r -d '' PY_GEN <<'PYEOF' || true
for name, frame in frames().items():
    with open(os.path.join(XDIR, 'py_' + name + '.bin'), 'wb') as f:
        f.write(frame)
print('kafka-python wrote %d frames' % len(frames()))
PYEOF

read -r -d '' PY_CHECK <<'PYEOF' || true
def read(name):
    path = os.path.join(XDIR, 'c_' + name + '.bin')
    if not os.path.exists(path):
        raise SystemExit('missing %s: proto_data_xcheck_test did not write it' % path)
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
    kind, rest = name.split('_', 1)
    api = rest.rsplit('_v', 1)[0]
    req_cls, resp_cls = APIS[api][0], APIS[api][1]
    if kind == 'req':
        key, version, correlation_id = Int16.decode(buf), Int16.decode(buf), Int32.decode(buf)
        client_id = String('utf-8').decode(buf)
        assert client_id == CLIENT_ID, client_id
        decoded = req_cls[version].SCHEMA.decode(buf)
        again = request_frame(req_cls[version](*decoded), correlation_id)
    else:
        correlation_id = Int32.decode(buf)
        version = int(name.rsplit('_v', 1)[1])
        decoded = resp_cls[version].decode(buf.read())
        again = response_frame(decoded, correlation_id)
    checked += 1
    if again != ours:
        failures.append('%s: kafka-python re-encodes our frame differently' % name)
    if ours != expected:
        failures.append('%s: our frame differs from kafka-python\'s\n  ours %s\n  py   %s'
                        % (name, ours.hex(), expected.hex()))
for f in failures:
    print('MISMATCH', f)
print('kafka-python decoded %d of our frames, %d mismatches' % (checked, len(failures)))
sys.exit(1 if failures else 0)
PYEOF

"$PYTHON" -c "$PY_COMMON
$PY_GEN" gen "$XDIR" || fail "kafka-python could not encode"
KS_XCHECK_DIR="$XDIR" "$BIN" || fail "proto_data_xcheck_test rejected kafka-python's frames"
"$PYTHON" -c "$PY_COMMON
$PY_CHECK" check "$XDIR" || fail "kafka-python disagrees with our encodings"
echo "proto_data_kafka_python: OK"
