# ci/tests/lib/kbroker.bash: helpers the kbroker client tests source (not a test itself:
# ctest runs ci/tests/*.sh only). Loopback only; every kbroker started here listens on
# a free port (port 0) and is killed by PID, also on failure.
#
#   kb_init NAME            work dir, log and cleanup trap; sets WORK
#   kb_start DATA_DIR       start kbroker on DATA_DIR; sets KB_PID, KB_PORT, KB_LOG
#   kb_wait_ready           until the broker is registered and unfenced (or fail)
#   kb_stop                 SIGTERM, wait, expect exit 0
#   kb_kill                 SIGKILL, wait
#   fail MESSAGE            print, show the log's tail, exit 1

KB_NAME=kbroker
KB_PIDS=()
KB_PID=""
KB_PORT=""
KB_LOG=""
PYTHON=/usr/bin/python3

fail() {
    echo "$KB_NAME: FAIL: $*" >&2
    if [ -n "$KB_LOG" ] && [ -f "$KB_LOG" ]; then
        grep -v TRACE "$KB_LOG" | tail -n 30 >&2
    fi
    exit 1
}

kb_cleanup() {
    local pid
    for pid in "${KB_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    [ -n "${WORK:-}" ] && rm -rf "$WORK"
}

kb_init() {
    KB_NAME=$1
    KBROKER="${KS_BUILD_DIR:-}/kbroker"
    [ -x "$KBROKER" ] || fail "kbroker not found at '$KBROKER': build target kbroker first"
    WORK=$(mktemp -d)
    trap kb_cleanup EXIT
}

kb_need_kcat() {
    command -v kcat >/dev/null || fail "kcat is not installed (ci/bootstrap installs it)"
}

kb_need_python_kafka() {
    [ -x "$PYTHON" ] || fail "$PYTHON not found"
    (cd / && "$PYTHON" -c 'import kafka') 2>/dev/null ||
        fail "python3-kafka is not installed (ci/bootstrap installs it)"
}

# kb_start DATA_DIR [--override k=v ...]
kb_start() {
    local data=$1
    shift
    KB_LOG="$WORK/server-$(date +%s%N).log"
    "$KBROKER" --override listeners=PLAINTEXT://127.0.0.1:0 --override log.dirs="$data" \
        "$@" >"$KB_LOG" 2>&1 &
    KB_PID=$!
    KB_PIDS+=("$KB_PID")
    KB_PORT=""
    for _ in $(seq 1 100); do
        KB_PORT=$(sed -n 's/.*Awaiting socket connections on 127\.0\.0\.1:\([0-9]*\).*/\1/p' \
            "$KB_LOG" | head -n 1)
        [ -n "$KB_PORT" ] && break
        kill -0 "$KB_PID" 2>/dev/null || fail "kbroker exited at start"
        sleep 0.1
    done
    [ -n "$KB_PORT" ] || fail "kbroker did not log its port"
}

kb_wait_ready() {
    for _ in $(seq 1 300); do
        grep -q "The broker has been unfenced" "$KB_LOG" && return 0
        kill -0 "$KB_PID" 2>/dev/null || fail "kbroker exited before it was unfenced"
        sleep 0.1
    done
    fail "kbroker was not unfenced within 30 s"
}

kb_stop() {
    local rc=0
    kill -TERM "$KB_PID"
    wait "$KB_PID" || rc=$?
    [ "$rc" -eq 0 ] || fail "kbroker exited $rc after SIGTERM"
}

kb_kill() {
    kill -KILL "$KB_PID"
    wait "$KB_PID" 2>/dev/null || true
}
