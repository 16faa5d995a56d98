#!/usr/bin/env bash
# proto_group_kafka_python.sh: cross-checks the consumer-group codecs (system/proto/
# api_{find_coordinator,join_group,sync_group,heartbeat,leave_group,offset_commit,
# offset_fetch,describe_groups,list_groups,delete_groups}) and the consumer protocol
# payloads (system/group/cproto) against kafka-python (Debian python3-kafka 2.0.2:
# kafka.protocol.group, .commit, .admin and kafka.coordinator.protocol), at every
# version kafka-python has (all non-flexible).
#
# 1. kafka-python encodes message bodies (py_*.bin).
# 2. proto_group_xcheck_test decodes each at its version, re-encodes it (same bytes
#    required), encodes the same content from its own structs (same bytes required)
#    and writes that (c_*.bin).
# 3. kafka-python decodes ours and re-encodes them: they must be its own bytes.
#
# Env: KS_BUILD_DIR (where proto_group_xcheck_test is) or KS_XCHECK_BIN.
# Fails loudly when python3-kafka or the test binary is missing.
set -euo pipefail

PYTHON=/usr/bin/python3
fail() {
    echo "proto_group_kafka_python: FAIL: $*" >&2
    exit 1
}

[ -x "$PYTHON" ] || fail "$PYTHON not found (apt-get install -y python3)"
# Run python from a neutral directory: kafka/protocol/struct.py must not shadow 'struct'.
cd /
"$PYTHON" -c 'import kafka.protocol.group, kafka.coordinator.protocol' 2>/dev/null ||
    fail "python3-kafka is not installed (apt-get install -y python3-kafka)"

BIN="${KS_XCHECK_BIN:-${KS_BUILD_DIR:-}/proto_group_xcheck_test}"
[ -x "$BIN" ] || fail "test binary '$BIN' not found: build target proto_group_xcheck_test first"

XDIR=$(mktemp -d)
trap 'rm -rf "$XDIR"' EXIT

read -r -d '' PY_COMMON <<'EOF_PY' || true
import io, os, sys
from kafka.protocol.group import (JoinGroupRequest, JoinGroupResponse, SyncGroupRequest,
    SyncGroupResponse, HeartbeatRequest, HeartbeatResponse, LeaveGroupRequest,
    LeaveGroupResponse)
from kafka.protocol.commit import (OffsetCommitRequest, OffsetCommitResponse,
    OffsetFetchRequest, OffsetFetchResponse, GroupCoordinatorRequest,
    GroupCoordinatorResponse)
from kafka.protocol.admin import (DescribeGroupsRequest, DescribeGroupsResponse,
    ListGroupsRequest, ListGroupsResponse, DeleteGroupsRequest, DeleteGroupsResponse)
from kafka.coordinator.protocol import (ConsumerProtocolMemberMetadata,
    ConsumerProtocolMemberAssignment)

XDIR = sys.argv[2]

# The content proto_group_xcheck_test.c builds too.
SUB = ConsumerProtocolMemberMetadata(0, ['orders', 'payments'], b'ud')
META = SUB.encode()
ASG = ConsumerProtocolMemberAssignment(0, [('orders', [0, 1]), ('payments', [2])], b'')
ASSIGN = ASG.encode()
GROUP, MEMBER, GEN, THROTTLE = 'group-1', 'm-1', 3, 7
TS = 1700000000000

def find_coordinator(v):
    req = GroupCoordinatorRequest[v](GROUP) if v == 0 else GroupCoordinatorRequest[v](GROUP, 0)
    resp = (GroupCoordinatorResponse[v](0, 1, 'broker-1', 9092) if v == 0 else
            GroupCoordinatorResponse[v](0, None, 1, 'broker-1', 9092))
    return req, resp

def join_group(v):
    protocols = [('range', META), ('roundrobin', META)]
    req = (JoinGroupRequest[v](GROUP, 10000, '', 'consumer', protocols) if v == 0 else
           JoinGroupRequest[v](GROUP, 10000, 300000, '', 'consumer', protocols))
    body = [0, GEN, 'range', MEMBER, MEMBER, [(MEMBER, META), ('m-2', META)]]
    resp = JoinGroupResponse[v](*([THROTTLE] + body if v >= 2 else body))
    return req, resp

def sync_group(v):
    req = SyncGroupRequest[v](GROUP, GEN, MEMBER, [(MEMBER, ASSIGN), ('m-2', b'')])
    resp = SyncGroupResponse[v](*([THROTTLE, 0, ASSIGN] if v >= 1 else [0, ASSIGN]))
    return req, resp

def heartbeat(v):
    return (HeartbeatRequest[v](GROUP, GEN, MEMBER),
            HeartbeatResponse[v](*([THROTTLE, 27] if v >= 1 else [27])))

def leave_group(v):
    return (LeaveGroupRequest[v](GROUP, MEMBER),
            LeaveGroupResponse[v](*([THROTTLE, 0] if v >= 1 else [0])))

def offset_commit(v):
    if v == 0:
        req = OffsetCommitRequest[v](GROUP, [('orders', [(0, 42, 'meta'), (1, 43, None)])])
    elif v == 1:
        req = OffsetCommitRequest[v](GROUP, GEN, MEMBER,
            [('orders', [(0, 42, TS, 'meta'), (1, 43, -1, None)])])
    else:
        req = OffsetCommitRequest[v](GROUP, GEN, MEMBER, 86400000,
            [('orders', [(0, 42, 'meta'), (1, 43, None)])])
    topics = [('orders', [(0, 0), (1, 22)])]
    resp = OffsetCommitResponse[v](*([THROTTLE, topics] if v >= 3 else [topics]))
    return req, resp

def offset_fetch(v):
    req = OffsetFetchRequest[v](GROUP, [('orders', [0, 1])])
    topics = [('orders', [(0, 42, 'meta', 0), (1, -1, '', 3)])]
    if v <= 1:
        resp = OffsetFetchResponse[v](topics)
    elif v == 2:
        resp = OffsetFetchResponse[v](topics, 0)
    else:
        resp = OffsetFetchResponse[v](THROTTLE, topics, 0)
    return req, resp

def describe_groups(v):
    groups = ['group-1', 'group-2']
    req = DescribeGroupsRequest[v](groups, True) if v >= 3 else DescribeGroupsRequest[v](groups)
    member = (MEMBER, 'client-1', '/10.0.0.1', META, ASSIGN)
    g1 = [0, GROUP, 'Stable', 'consumer', 'range', [member]]
    g2 = [69, 'group-2', 'Dead', '', '', []]
    if v >= 3:
        g1.append(0x0df8)
        g2.append(-2147483648)
    body = [tuple(g1), tuple(g2)]
    resp = DescribeGroupsResponse[v](*([THROTTLE, body] if v >= 1 else [body]))
    return req, resp

def list_groups(v):
    groups = [(GROUP, 'consumer'), ('group-2', '')]
    resp = ListGroupsResponse[v](*([THROTTLE, 0, groups] if v >= 1 else [0, groups]))
    return ListGroupsRequest[v](), resp

def delete_groups(v):
    return (DeleteGroupsRequest[v](['group-1', 'group-2']),
            DeleteGroupsResponse[v](THROTTLE, [('group-1', 0), ('group-2', 69)]))

# api name -> (builder, request versions, response versions kafka-python has right).
# kafka-python 2.0.2 gets two response schemas wrong, so they are left out:
# GroupCoordinatorResponse_v1 lacks ThrottleTimeMs (FindCoordinatorResponse.json: v1+)
# and DescribeGroupsResponse_v3 lacks AuthorizedOperations (its groups end at Members).
APIS = [('find_coordinator', find_coordinator, range(0, 2), range(0, 1)),
        ('join_group', join_group, range(0, 3), range(0, 3)),
        ('sync_group', sync_group, range(0, 2), range(0, 2)),
        ('heartbeat', heartbeat, range(0, 2), range(0, 2)),
        ('leave_group', leave_group, range(0, 2), range(0, 2)),
        ('offset_commit', offset_commit, range(0, 4), range(0, 4)),
        ('offset_fetch', offset_fetch, range(0, 4), range(0, 4)),
        ('describe_groups', describe_groups, range(0, 4), range(0, 3)),
        ('list_groups', list_groups, range(0, 3), range(0, 3)),
        ('delete_groups', delete_groups, range(0, 2), range(0, 2))]

def request_decoder(cls):
    return lambda b: cls(*cls.SCHEMA.decode(io.BytesIO(b)))

# name -> (object that encodes, how to decode bytes back into one)
def messages():
    out = {}
    for api, build, req_versions, resp_versions in APIS:
        for v in req_versions:
            req = build(v)[0]
            out['%s_req_v%d' % (api, v)] = (req, request_decoder(type(req)))
        for v in resp_versions:
            resp = build(v)[1]
            out['%s_resp_v%d' % (api, v)] = (resp, type(resp).decode)
    out['cproto_subscription_v0'] = (SUB, ConsumerProtocolMemberMetadata.decode)
    out['cproto_assignment_v0'] = (ASG, ConsumerProtocolMemberAssignment.decode)
    return out
EOF_PY

read -r -d '' PY_GEN <<'EOF_PY' || true
msgs = messages()
for name, (obj, _) in msgs.items():
    with open(os.path.join(XDIR, 'py_' + name + '.bin'), 'wb') as f:
        f.write(obj.encode())
print('kafka-python wrote %d bodies' % len(msgs))
EOF_PY

read -r -d '' PY_CHECK <<'EOF_PY' || true
failures, checked = [], 0
for name, (obj, decode) in messages().items():
    path = os.path.join(XDIR, 'c_' + name + '.bin')
    if not os.path.exists(path):
        raise SystemExit('missing %s: proto_group_xcheck_test did not write it' % path)
    with open(path, 'rb') as f:
        ours = f.read()
    try:
        decoded = decode(ours)
        again = decoded.encode()
    except Exception as e:
        failures.append('%s: kafka-python cannot decode ours: %r' % (name, e))
        continue
    checked += 1
    if again != ours:
        failures.append('%s: kafka-python re-encodes our bytes differently' % name)
    if ours != obj.encode():
        failures.append('%s: ours %s\n  py   %s' % (name, ours.hex(), obj.encode().hex()))
for f in failures:
    print('MISMATCH', f)
print('kafka-python decoded %d of our bodies, %d mismatches' % (checked, len(failures)))
sys.exit(1 if failures else 0)
EOF_PY

"$PYTHON" -c "$PY_COMMON
$PY_GEN" gen "$XDIR" || fail "kafka-python could not encode"
KS_XCHECK_DIR="$XDIR" "$BIN" || fail "proto_group_xcheck_test rejected kafka-python's bodies"
"$PYTHON" -c "$PY_COMMON
$PY_CHECK" check "$XDIR" || fail "kafka-python disagrees with our encodings"
echo "proto_group_kafka_python: OK"
