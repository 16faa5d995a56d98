#!/usr/bin/env bash
# kbroker_lifecycle.sh: how kbroker starts and stops, as kafka-server-start.sh does.
#  - --help exits 0; bad usage and bad configuration exit 2 with a line naming the
#    problem; a taken port exits 1;
#  - first start formats the log dir: meta.properties v1 (node.id, a 22-char
#    base64url cluster.id and directory.id);
#  - SIGTERM: exit 0 and .kafka_cleanshutdown written ({"version":0,...});
#  - restart: same cluster.id, the marker is taken at start (a clean shutdown seen);
#    SIGINT is clean too; a different node.id against the same dir exits 1;
#  - no arguments: ./kbroker-data and 127.0.0.1:9092 (only when 9092 is free here).
# Env: KS_BUILD_DIR. Always kills the kbroker it started; loopback only.
set -euo pipefail

fail() {
    echo "kbroker_lifecycle: FAIL: $*" >&2
    [ -n "${LOG:-}" ] && [ -f "$LOG" ] && tail -n 20 "$LOG" >&2
    exit 1
}

KBROKER="${KS_BUILD_DIR:-}/kbroker"
[ -x "$KBROKER" ] || fail "kbroker not found at '$KBROKER': build target kbroker first"
command -v kcat >/dev/null || fail "kcat is not installed (ci/bootstrap: apt-get install -y kcat)"

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

# expect_exit CODE PATTERN ARGS...: kbroker exits CODE and prints PATTERN.
expect_exit() {
    local want=$1 pattern=$2 rc=0 out
    shift 2
    out=$(cd "$WORK" && timeout 20 "$KBROKER" "$@" 2>&1) || rc=$?
    [ "$rc" -eq "$want" ] || fail "kbroker $* exited $rc, want $want: $out"
    echo "$out" | grep -q -- "$pattern" || fail "kbroker $*: no '$pattern' in: $out"
}

expect_exit 0 "usage: kbroker" --help
expect_exit 2 "unknown option '--bogus'" --bogus
expect_exit 2 "cannot read" "$WORK/missing.properties"
expect_exit 2 "configuration node.id" --override node.id=-3
expect_exit 2 "configuration process.roles" --override process.roles=zookeeper
expect_exit 2 "configuration listeners" --override listeners=127.0.0.1:9092
expect_exit 2 "configuration socket.request.max.bytes" --override socket.request.max.bytes=x
expect_exit 2 "--override needs key=value" --override novalue
printf 'node.id=1\nthis line has no separator\n' >"$WORK/bad.properties"
expect_exit 2 "bad.properties:2" "$WORK/bad.properties"

# start_kbroker ARGS...: starts in the background, sets PID and PORT.
start_kbroker() {
    : >"$LOG"
    timeout 120 "$KBROKER" "$@" >"$LOG" 2>&1 &
    PID=$!
    PORT=""
    for _ in $(seq 1 100); do
        PORT=$(sed -n 's/.*Awaiting socket connections on [0-9.]*:\([0-9]*\).*/\1/p' "$LOG" | head -n 1)
        # the port is logged before the controller and the broker start
        [ -n "$PORT" ] && grep -q "Kafka Server started" "$LOG" && return 0
        kill -0 "$PID" 2>/dev/null || fail "kbroker exited at start"
        sleep 0.1
    done
    fail "kbroker did not log its port"
}

# stop_kbroker SIGNAL: the signal to kbroker itself (PID is the timeout wrapping it),
# then exit 0 within 20 s.
stop_kbroker() {
    local rc=0 child
    child=$(pgrep -P "$PID" || true)
    [ -n "$child" ] || fail "no kbroker under timeout pid $PID"
    kill "-$1" "$child"
    for _ in $(seq 1 200); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    wait "$PID" || rc=$?
    PID=""
    [ "$rc" -eq 0 ] || fail "kbroker exited $rc after SIG$1"
}

DATA="$WORK/a/b/data"
CONFIG="$WORK/server.properties"
cat >"$CONFIG" <<EOF
# a KRaft combined node, as config/kraft/server.properties spells it
process.roles=broker,controller
node.id=4
controller.quorum.voters=4@127.0.0.1:19093
listeners=PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0
controller.listener.names=CONTROLLER
log.dirs=$DATA
num.network.threads=3
EOF

start_kbroker "$CONFIG"
grep -q "Kafka Server started" "$LOG" || fail "no 'Kafka Server started' line"
grep -Eq '^\[[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8},[0-9]{3}\] INFO .*\(kafka\.' "$LOG" ||
    fail "log lines are not in server.log's format"
timeout 20 kcat -L -b "127.0.0.1:$PORT" | grep -q "broker 4 at 127.0.0.1:$PORT (controller)" ||
    fail "kcat does not see broker 4"
META="$DATA/meta.properties"
[ -f "$META" ] || fail "no meta.properties"
grep -qx "version=1" "$META" || fail "meta.properties: no version=1"
grep -qx "node.id=4" "$META" || fail "meta.properties: no node.id=4"
CLUSTER=$(sed -n 's/^cluster.id=//p' "$META")
[[ "$CLUSTER" =~ ^[A-Za-z0-9_][A-Za-z0-9_-]{21}$ ]] || fail "cluster.id '$CLUSTER' is not a Kafka Uuid"
grep -Eq '^directory.id=[A-Za-z0-9_-]{22}$' "$META" || fail "meta.properties: no directory.id"
[ ! -e "$DATA/.kafka_cleanshutdown" ] || fail "marker present while running"
stop_kbroker TERM
grep -q '"version":0' "$DATA/.kafka_cleanshutdown" || fail "no .kafka_cleanshutdown after SIGTERM"
grep -q "shut down completed" "$LOG" || fail "no 'shut down completed' line"
echo "kbroker_lifecycle: SIGTERM: exit 0, .kafka_cleanshutdown written"

start_kbroker "$CONFIG"
grep -q "cluster.id $CLUSTER" "$LOG" || fail "restart did not keep cluster.id $CLUSTER"
grep -q "clean shutdown" "$LOG" || fail "restart did not see the clean shutdown"
[ ! -e "$DATA/.kafka_cleanshutdown" ] || fail "marker not taken at start"
BUSY_PORT=$PORT
rc=0
out=$(timeout 20 "$KBROKER" --override listeners=PLAINTEXT://127.0.0.1:$BUSY_PORT \
    --override log.dirs="$WORK/other" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "a taken port exited $rc, want 1: $out"
echo "$out" | grep -q "Address already in use" || fail "a taken port: $out"
stop_kbroker INT
[ -f "$DATA/.kafka_cleanshutdown" ] || fail "no .kafka_cleanshutdown after SIGINT"
echo "kbroker_lifecycle: restart keeps cluster.id, SIGINT clean, taken port exits 1"

expect_exit 1 "doesn't match" "$CONFIG" --override node.id=5 \
    --override controller.quorum.voters=5@127.0.0.1:19093

# No arguments: only when 9092 is free on this machine.
if /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 9092))' 2>/dev/null; then
    cd "$WORK"
    timeout 60 "$KBROKER" >"$LOG" 2>&1 &
    PID=$!
    cd - >/dev/null
    for _ in $(seq 1 100); do
        grep -q "Kafka Server started" "$LOG" && break
        sleep 0.1
    done
    timeout 20 kcat -L -b 127.0.0.1:9092 | grep -q "broker 1 at 127.0.0.1:9092" ||
        fail "no-argument kbroker is not on 127.0.0.1:9092"
    [ -f "$WORK/kbroker-data/meta.properties" ] || fail "no ./kbroker-data/meta.properties"
    stop_kbroker TERM
    [ -f "$WORK/kbroker-data/.kafka_cleanshutdown" ] || fail "no ./kbroker-data marker"
    echo "kbroker_lifecycle: no arguments: 127.0.0.1:9092 and ./kbroker-data"
else
    echo "kbroker_lifecycle: 127.0.0.1:9092 is taken here: no-argument start not checked"
fi
echo "kbroker_lifecycle: OK"
