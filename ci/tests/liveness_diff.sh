#!/usr/bin/env bash
# liveness_diff.sh: issue 8's "done when" from the command line.
# 1. A stuck recovery fails the liveness phase: ksim exits 1 and the violation names the
#    condition (ping_round_trips), the node (ping1) and the budget.
# 2. ksim diff: the same seed twice is identical (exit 0); with a bug switch it names the
#    first differing event (exit 1) and the nodes' state; two saved traces of one run are
#    identical; bad input exits 2.
# 3. The run's JSON carries the phases, the liveness figures and the state-machine
#    coverage table; a swarm prints the table merged over its seeds.
set -u
ksim=${KSIM:?KSIM must name the ksim binary}
src=${KS_SOURCE_DIR:?KS_SOURCE_DIR must name the source tree}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "liveness_diff: $*" >&2; failed=1; }

# 1. The stuck recovery.
"$ksim" run "$src/ci/tests/data/liveness_stuck.scn" >"$work/stuck.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "stuck recovery: expected exit 1, got $rc"
json=$(tail -n 1 "$work/stuck.txt")
msg=$(jq -r '.violations[] | select(.message | startswith("liveness:")) | .message' <<<"$json")
grep -q "ping_round_trips did not recover within 5000ms" <<<"$msg" || fail "no budget violation: $msg"
grep -q "ping1" <<<"$msg" || fail "the violation does not name ping1: $msg"
[ "$(jq -r '.phases.conditions[] | select(.name == "ping_round_trips") | .met' <<<"$json")" = false ] ||
    fail "the condition is not reported unmet"
grep -q "VIOLATION .*ping_progress.*liveness: ping_round_trips" "$work/stuck.txt" ||
    fail "no VIOLATION line for the budget"

# 2. ksim diff.
scn="$src/scenarios/world_crash_restart.scn"
"$ksim" diff "$scn" --seed 3 --seed-b 3 >"$work/same.txt" 2>&1
rc=$?
[ $rc -eq 0 ] || fail "diff of one seed with itself: expected exit 0, got $rc"
[ "$(tail -n 1 "$work/same.txt" | jq -r .identical)" = true ] || fail "the same seed is not identical"
"$ksim" diff "$scn" --seed 3 --bug fixture_ping_skip_fsync >"$work/bug.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "diff with a bug switch: expected exit 1, got $rc"
[ "$(tail -n 1 "$work/bug.txt" | jq -r .b.kind)" = fault.crash ] || fail "diff names the wrong event"
grep -q "the runs part at record" "$work/bug.txt" || fail "no divergence line"
grep -q "  b ping1: " "$work/bug.txt" || fail "no state of the node involved"
"$ksim" diff "$scn" --seed 3 --set ping1:ping.interval.ms=3 >"$work/set.txt" 2>&1
[ $? -eq 1 ] || fail "diff with --set: expected exit 1"
"$ksim" diff "$scn" --seed 3 --set nosuch:port=9 >/dev/null 2>&1
[ $? -eq 2 ] || fail "diff with --set on no node: expected exit 2"
"$ksim" run "$scn" --trace "$work/t1" >/dev/null 2>&1
"$ksim" run "$scn" --trace "$work/t2" >/dev/null 2>&1
"$ksim" diff --trace-a "$work/t1" --trace-b "$work/t2" >/dev/null 2>&1
[ $? -eq 0 ] || fail "two traces of one run differ"
"$ksim" run "$scn" --seed 4 --trace "$work/t3" >/dev/null 2>&1
"$ksim" diff --trace-a "$work/t1" --trace-b "$work/t3" >/dev/null 2>&1
[ $? -eq 1 ] || fail "traces of two seeds do not differ"
"$ksim" diff --trace-a "$work/t1" >/dev/null 2>&1
[ $? -eq 2 ] || fail "diff with one trace: expected exit 2"
"$ksim" diff "$scn" >/dev/null 2>&1
[ $? -eq 2 ] || fail "diff with nothing changed: expected exit 2"
"$ksim" diff "$scn" --bug nosuch >/dev/null 2>&1
[ $? -eq 2 ] || fail "diff with an unknown bug: expected exit 2"

# 3. JSON: phases, figures, coverage.
"$ksim" run "$src/scenarios/world_random_faults.scn" --quiet >"$work/run.json" 2>&1
jq -e '.phases.conditions | length >= 2' "$work/run.json" >/dev/null || fail "no liveness conditions"
jq -e '.liveness_figures.ping_rtt_us.count > 0 and .liveness_figures.ping_rtt_us.p99 >= .liveness_figures.ping_rtt_us.p50' \
    "$work/run.json" >/dev/null || fail "no ping RTT percentiles"
jq -e '.sm_coverage.reached > 0 and .sm_coverage.total >= .sm_coverage.reached' "$work/run.json" >/dev/null ||
    fail "no coverage table"
jq -e '[.sm_coverage.machines[].name] | index("raft") != null and index("segment") != null and index("node") != null' \
    "$work/run.json" >/dev/null || fail "machines missing from the coverage table"
jq -e '.sm_coverage.machines[] | select(.name == "node") | .never | length > 0' "$work/run.json" >/dev/null ||
    fail "never-reached transitions are not listed"
exit $failed
