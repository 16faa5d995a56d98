#!/usr/bin/env bash
# kbroker_fuzz.sh: malformed frames sent to a running kbroker over TCP; the server
# stays up and keeps serving the other clients. A seeded generator (the seed is
# printed; KS_FUZZ_SEED replays it) sends, on fresh connections: random bytes; size
# prefixes that are negative, zero, huge or longer than what follows; valid request
# headers of every API the broker advertises, at every advertised version, with bodies
# that are random, truncated, or a real body with random bytes flipped. Between
# rounds a well-formed Metadata request on a long-lived connection must be answered,
# and at the end kcat still lists the broker and reads a topic written before.
# Env: KS_BUILD_DIR, KS_FUZZ_SEED, KS_FUZZ_CASES (default 2000). Kills only the kbroker
# it started, by PID, also on failure.
set -euo pipefail
. "$(dirname "$0")/lib/kbroker.bash"

kb_init kbroker_fuzz
kb_need_kcat
[ -x "$PYTHON" ] || fail "$PYTHON not found"
kb_start "$WORK/data" --override socket.request.max.bytes=1048576
kb_wait_ready
B="127.0.0.1:$KB_PORT"
printf 'a:1\nb:2\n' | timeout 30 kcat -P -b "$B" -t before -K: || fail "kcat -P failed"
SEED=${KS_FUZZ_SEED:-$(date +%s)}
echo "kbroker_fuzz: kbroker pid $KB_PID on $B, seed $SEED"

cd /
timeout 240 "$PYTHON" - "$KB_PORT" "$SEED" "${KS_FUZZ_CASES:-2000}" <<'PYEOF' ||
import random, socket, struct, sys

port, seed, cases = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)

def conn():
    s = socket.create_connection(('127.0.0.1', port), timeout=5)
    s.settimeout(5)
    return s

def recv_exact(s, n):
    data = b''
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError('closed after %d of %d bytes' % (len(data), n))
        data += chunk
    return data

def recv_frame(s):
    return recv_exact(s, struct.unpack('>i', recv_exact(s, 4))[0])

def header(key, version, corr, flexible):
    h = struct.pack('>hhih', key, version, corr, 4) + b'fuzz'
    return h + (b'\x00' if flexible else b'')

def frame(payload):
    return struct.pack('>i', len(payload)) + payload

# What the broker serves, from ApiVersions v0.
good = conn()
good.sendall(frame(header(18, 0, 1, False)))
body = recv_frame(good)
count = struct.unpack('>i', body[6:10])[0]
apis = [struct.unpack('>hhh', body[10 + 6 * i:16 + 6 * i]) for i in range(count)]
assert len(apis) >= 8, apis
# First flexible version per key (Kafka's schemas), for the header shape.
flexible_from = {0: 9, 1: 12, 2: 6, 3: 9, 18: 3, 19: 5, 20: 4, 22: 2, 23: 4}

# A real Metadata v1 body for "before", used as a base to corrupt.
real_bodies = {3: struct.pack('>ih', 1, 6) + b'before'}

def random_case(i):
    kind = rng.randrange(6)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    if kind == 1:
        size = rng.choice([-1, -2147483648, 0, 1, 2, 7, 1048577, 2147483647])
        return struct.pack('>i', size) + bytes(rng.randrange(256) for _ in range(rng.randrange(12)))
    key, vmin, vmax = rng.choice(apis)
    version = rng.randrange(vmin, vmax + 1)
    flex = version >= flexible_from.get(key, 99)
    h = header(key, version, i, flex)
    if kind == 2:
        b = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200)))
    elif kind == 3:
        b = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 8)))
    elif kind == 4:
        base = bytearray(real_bodies.get(key, bytes(rng.randrange(256) for _ in range(40))))
        for _ in range(rng.randrange(1, 4)):
            if base:
                base[rng.randrange(len(base))] = rng.randrange(256)
        b = bytes(base)
    else:  # a size prefix longer than what follows, then the connection ends
        return struct.pack('>i', len(h) + 100) + h
    return frame(h + b)

def check_alive(corr):
    good.sendall(frame(header(3, 1, corr, False) + struct.pack('>i', -1)))
    answer = recv_frame(good)
    assert struct.unpack('>i', answer[:4])[0] == corr, 'wrong correlation id'

answered = closed = 0
for i in range(cases):
    s = conn()
    try:
        s.sendall(random_case(i))
        if rng.randrange(8) != 0:  # mostly half-close: the server sees the end at once
            s.shutdown(socket.SHUT_WR)
        s.settimeout(0.3)
        try:
            data = s.recv(65536)
            answered += 1 if data else 0
            closed += 0 if data else 1
        except (socket.timeout, ConnectionResetError):
            pass
    except (BrokenPipeError, ConnectionResetError):
        closed += 1
    finally:
        s.close()
    if i % 100 == 99:
        check_alive(100000 + i)
check_alive(999999)
good.close()
print('kbroker_fuzz: %d malformed cases (%d answered, %d closed), server still answers'
      % (cases, answered, closed))
PYEOF
    fail "the fuzzer found the server down or silent (seed $SEED)"
kill -0 "$KB_PID" 2>/dev/null || fail "kbroker died (seed $SEED)"
out=$(timeout 20 kcat -L -b "$B" 2>&1) || fail "kcat -L after fuzzing failed: $out"
echo "$out" | grep -q "broker 1 at $B" || fail "kcat -L after fuzzing: $out"
out=$(timeout 30 kcat -C -b "$B" -t before -o beginning -e -q -f '%k=%s\n' 2>&1) ||
    fail "kcat -C after fuzzing failed: $out"
[ "$out" = $'a=1\nb=2' ] || fail "kcat read '$out' after fuzzing"
kb_stop
echo "kbroker_fuzz: OK"
