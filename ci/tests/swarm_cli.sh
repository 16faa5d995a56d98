#!/usr/bin/env bash
# swarm_cli.sh: the harness as a product, end to end (issue 7's "done when"): a planted
# bug (fixture_ping_skip_fsync) is found by the swarm on random worlds, saved as a
# replay file, replayed with the same trace hash, narrated, stopped at a time to show
# the cluster's state, shrunk to a small scenario that still fails, and shown in an
# HTML report. Also: sharding splits the seeds, results do not depend on the job count,
# a tampered replay file reports a mismatch (exit 3), a bad one exit 2.
set -u
ksim=${KSIM:?KSIM must name the ksim binary}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "swarm_cli: $*" >&2; failed=1; }

# 1. The swarm finds the bug; --first is deterministic whatever the job count.
"$ksim" swarm --bug fixture_ping_skip_fsync --first --seeds 50 --jobs 2 --out "$work/a" >"$work/a.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "swarm with the bug: expected exit 1, got $rc"
first_a=$(tail -n 1 "$work/a.txt" | jq -c '.first | {seed, invariant}')
"$ksim" swarm --bug fixture_ping_skip_fsync --first --seeds 50 --jobs 1 --no-reports --out "$work/b" >"$work/b.txt" 2>&1
first_b=$(tail -n 1 "$work/b.txt" | jq -c '.first | {seed, invariant}')
[ "$first_a" = "$first_b" ] || fail "first failure differs by job count: $first_a vs $first_b"
grep -q '"invariant":"ping_durable_counter"' <<<"$first_a" || fail "wrong invariant: $first_a"
replay=$(tail -n 1 "$work/a.txt" | jq -r '.first.replay')
[ -f "$replay" ] || fail "no replay file $replay"
report=${replay%.replay}/report.html
[ -s "$report" ] || fail "no report $report"
grep -q "<svg" "$report" && grep -q "ping_durable_counter" "$report" || fail "report lacks the chart or the invariant"
grep -q "<h2>Why it broke</h2>" "$report" || fail "report lacks the violation's story"

# The report renders in a real browser, when one is installed (Debian's chromium).
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$browser" ]; then
    timeout 60 "$browser" --headless --no-sandbox --disable-gpu --window-size=1200,1600 \
        --screenshot="$work/report.png" "file://$(realpath "$report")" >/dev/null 2>&1
    [ "$(stat -c %s "$work/report.png" 2>/dev/null || echo 0)" -gt 20000 ] ||
        fail "chromium did not render the report"
fi

# 2. Replay: same hash, exit 1 (the failure reproduced); narrate; --until prints state.
"$ksim" replay "$replay" >"$work/r.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "replay: expected exit 1, got $rc"
grep -q "matched: the failure reproduced" "$work/r.txt" || fail "replay did not confirm the hash"
"$ksim" replay "$replay" --narrate >"$work/n.txt" 2>&1
grep -q "VIOLATION of ping_durable_counter" "$work/n.txt" || fail "narration lacks the violation"
grep -q "crashed (power loss)" "$work/n.txt" || fail "narration lacks the crash"
"$ksim" replay "$replay" --explain >"$work/x.txt" 2>&1
grep -q "^Why ping_durable_counter broke at" "$work/x.txt" || fail "--explain tells no story"
grep -q "ping_durable_counter promises:" "$work/x.txt" || fail "--explain lacks the invariant's promise"
"$ksim" replay "$replay" --until 3s >"$work/u.txt" 2>&1
grep -q "^state at t=3.000s" "$work/u.txt" || fail "--until printed no state"
grep -Eq "^ping1 +ping +running" "$work/u.txt" || fail "--until lacks ping1's state"

# 3. A tampered hash is a mismatch (3); a broken file is bad input (2).
sed 's/^trace-hash .*/trace-hash 0000000000000000/' "$replay" >"$work/tampered.replay"
"$ksim" replay "$work/tampered.replay" >/dev/null 2>&1
rc=$?
[ $rc -eq 3 ] || fail "tampered replay: expected exit 3, got $rc"
printf 'ksim-replay 1\nname x\n' >"$work/broken.replay"
"$ksim" replay "$work/broken.replay" >/dev/null 2>"$work/e.txt"
rc=$?
[ $rc -eq 2 ] || fail "broken replay: expected exit 2, got $rc"

# 4. Shrink: the output parses, still fails with the same invariant, and is small.
"$ksim" shrink "$replay" --out "$work/small.scn" --runs 200 >"$work/s.txt" 2>&1
"$ksim" run "$work/small.scn" --bug fixture_ping_skip_fsync --check-determinism >"$work/sr.txt" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "shrunk scenario: expected exit 1, got $rc"
tail -n 1 "$work/sr.txt" | grep -q '"invariant":"ping_durable_counter"' || fail "shrunk scenario breaks another invariant"
"$ksim" run "$work/small.scn" >/dev/null 2>&1 || fail "shrunk scenario fails without the bug"
lines=$(grep -cE '^(at|every|faults|node) ' "$work/small.scn")
[ "$lines" -le 8 ] || fail "shrunk scenario still has $lines node and timeline lines"
"$ksim" replay "$work/small.scn.replay" >/dev/null 2>&1
[ $? -eq 1 ] || fail "the shrunk replay file does not reproduce"

# 5. Shards: 0/2 and 1/2 run disjoint seeds that together are the whole range.
for shard in 0 1; do
    "$ksim" swarm "${KS_SOURCE_DIR:-.}/scenarios/world_pingecho.scn" --bug fixture_echo_reorder \
        --seeds 3 --shard "$shard/2" --no-reports --out "$work/sh" >"$work/sh-$shard.txt" 2>&1
done
seeds=$(grep -ho 'FAIL seed [0-9]*' "$work"/sh-0.txt "$work"/sh-1.txt | awk '{print $3}' | sort -n | tr '\n' ' ')
[ "$seeds" = "1 2 3 4 5 6 " ] || fail "shards 0/2 and 1/2 ran seeds '$seeds', not 1..6"

# 6. ksim run --report writes a report.
"$ksim" run "${KS_SOURCE_DIR:-.}/scenarios/world_partition.scn" --report "$work/rep" >/dev/null 2>&1
[ -s "$work/rep/report.html" ] || fail "ksim run --report wrote nothing"

# 7. Lessons run clean and narrate (ksim replay takes a .scn too).
for lesson in "${KS_SOURCE_DIR:-.}"/scenarios/lessons/*.scn; do
    "$ksim" run "$lesson" --check-determinism >/dev/null 2>&1 || fail "lesson $lesson does not pass"
    "$ksim" replay "$lesson" --narrate 2>&1 | grep -q "the run ends: every invariant held" ||
        fail "lesson $lesson does not narrate"
done

# 8. --favour-rare: a round and a bit of short worlds; the odds it learns and the coverage it
#    reaches do not depend on the worker count; a scenario file is refused.
for jobs in 1 2; do
    "$ksim" swarm --favour-rare --seeds 40 --run 30 --jobs $jobs --no-reports --out "$work/fr" \
        >"$work/fr-$jobs.txt" 2>&1
done
fr1=$(tail -n 1 "$work/fr-1.txt" | jq -c '[.favour_rare, .sm_coverage.reached]')
fr2=$(tail -n 1 "$work/fr-2.txt" | jq -c '[.favour_rare, .sm_coverage.reached]')
[ "$fr1" = "$fr2" ] || fail "--favour-rare differs by job count: $fr1 vs $fr2"
jq -e '.favour_rare.rounds == 1' <<<"$(tail -n 1 "$work/fr-1.txt")" >/dev/null ||
    fail "--favour-rare did not close a round: $fr1"
grep -q "^favour-rare: knob odds" "$work/fr-1.txt" || fail "--favour-rare printed no odds table"
"$ksim" swarm --favour-rare "${KS_SOURCE_DIR:-.}/scenarios/world_pingecho.scn" --seeds 1 \
    --out "$work/fr" >/dev/null 2>&1
[ $? -eq 2 ] || fail "--favour-rare with a scenario file is not refused"

[ $failed -eq 0 ] && echo "swarm_cli: ok"
exit $failed
