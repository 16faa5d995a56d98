#!/usr/bin/env bash
# ci/tests/dumplog_scenario.sh: `ksim dump-log --json` over segments a scenario wrote
# (issue 3, items 6 and 7). Runs scenarios/log_segment_roll.scn with --dump-disks, then
# dumps every .log (with --deep-iteration), .index, .timeindex and checkpoint file and
# checks the JSON with python: every line parses, batches are valid and chain their
# offsets, records sit inside their batch, no index mismatch, checkpoints name the
# log. Then kafka-python (Debian's python3-kafka) reads every segment itself and
# passes validate_crc() on each batch, agreeing with dump-log batch for batch.
# Also: garbage and truncated files never crash the tool; a missing file exits 2.
set -euo pipefail

PYTHON=/usr/bin/python3
: "${KSIM:?KSIM must name the ksim binary (ctest sets it)}"
: "${KS_SOURCE_DIR:?KS_SOURCE_DIR must name the source directory}"
if ! "$PYTHON" -c 'import kafka.record.default_records' 2>/dev/null; then
    echo "dumplog_scenario: FAIL: python3-kafka is missing (apt-get install python3-kafka)" >&2
    exit 1
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dumplog_scn.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

"$KSIM" run "$KS_SOURCE_DIR/scenarios/log_segment_roll.scn" --quiet --dump-disks "$WORK/disks" >"$WORK/run.json"
part="$WORK/disks/log1/data/events-0"
logs=$(ls "$part"/*.log)
[ -n "$logs" ] || { echo "dumplog_scenario: FAIL: no segments under $part" >&2; exit 1; }
# shellcheck disable=SC2086
"$KSIM" dump-log --json --deep-iteration $logs >"$WORK/logs.jsonl"
"$KSIM" dump-log --json "$part"/*.index "$part"/*.timeindex >"$WORK/indexes.jsonl"
"$KSIM" dump-log --json "$WORK/disks/log1/data/recovery-point-offset-checkpoint" \
    "$part/leader-epoch-checkpoint" >"$WORK/ckpt.jsonl"

"$PYTHON" - "$WORK" "$part" <<'PY'
import glob, json, os, struct, sys
from kafka.record.default_records import DefaultRecordBatch

work, part = sys.argv[1], sys.argv[2]
def lines(name):
    with open(os.path.join(work, name)) as f:
        return [json.loads(l) for l in f]

def fail(msg):
    print("dumplog_scenario: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

BATCH_FIELDS = ["base_offset", "last_offset", "count", "position", "size", "crc", "valid",
                "producer_id", "producer_epoch", "base_sequence", "partition_leader_epoch",
                "max_timestamp", "compression", "is_transactional", "is_control"]
ours = {}
batch = None
expected_next = None
records = 0
for o in lines("logs.jsonl"):
    t = o["type"]
    if t == "file":
        ours[o["path"]] = []
        current = ours[o["path"]]
    elif t == "batch":
        for k in BATCH_FIELDS:
            if k not in o:
                fail("batch without %s: %r" % (k, o))
        if not o["valid"]:
            fail("invalid batch in a recovered log: %r" % o)
        if expected_next is not None and o["base_offset"] != expected_next:
            fail("offsets do not chain: %d after %d" % (o["base_offset"], expected_next))
        expected_next = o["last_offset"] + 1
        batch = o
        current.append(o)
    elif t == "record":
        if not (batch["base_offset"] <= o["offset"] <= batch["last_offset"]):
            fail("record %d outside its batch" % o["offset"])
        if not isinstance(o["key"], str) or not o["key"].startswith("key-"):
            fail("unexpected key %r" % o["key"])
        records += 1
    elif t in ("torn_tail", "corrupt", "error"):
        fail("problem in a recovered segment: %r" % o)
if records == 0 or len(ours) < 3:
    fail("expected several segments with records, got %d segments, %d records" % (len(ours), records))

idx = lines("indexes.jsonl")
if any(o["type"].endswith("mismatch") or o["type"] == "corrupt" for o in idx):
    fail("index mismatches: %r" % [o for o in idx if "mismatch" in o["type"]][:3])
if sum(1 for o in idx if o["type"] == "index") == 0:
    fail("no index entries")
if sum(1 for o in idx if o["type"] == "timeindex") == 0:
    fail("no time index entries")
ck = lines("ckpt.jsonl")
rp = [o for o in ck if o["type"] == "offset_checkpoint"]
if not rp or rp[0]["topic"] != "events" or rp[0]["partition"] != 0:
    fail("recovery point checkpoint: %r" % ck)

# kafka-python reads every segment on its own, validate_crc() on each batch.
for path, batches in ours.items():
    data = open(path, "rb").read()
    pos, n = 0, 0
    while pos + 61 <= len(data):
        (length,) = struct.unpack_from(">i", data, pos + 8)
        raw = data[pos:pos + 12 + length]
        b = DefaultRecordBatch(raw)
        if not b.validate_crc():
            fail("kafka-python: bad CRC in %s at %d" % (path, pos))
        mine = batches[n]
        if (b.base_offset, b.crc, pos) != (mine["base_offset"], mine["crc"], mine["position"]):
            fail("kafka-python and dump-log disagree in %s at %d" % (path, pos))
        count = sum(1 for _ in b)
        if count != mine["count"]:
            fail("record count differs at %d" % pos)
        pos += 12 + length
        n += 1
    if n != len(batches) or pos != len(data):
        fail("%s: kafka-python saw %d batches, dump-log %d" % (path, n, len(batches)))
print("dumplog_scenario: %d segments, %d batches, %d records: dump-log and kafka-python agree"
      % (len(ours), sum(len(b) for b in ours.values()), records))
PY

# Garbage, truncated and flipped files: always exit 0 and say what they saw.
first=$(ls "$part"/*.log | head -n 1)
head -c 5000 "$first" >"$WORK/00000000000000000000.log"
head -c 777 /dev/urandom >"$WORK/00000000000000000001.log"
head -c 1000 /dev/urandom >"$WORK/00000000000000000001.index"
head -c 1000 /dev/urandom >"$WORK/00000000000000000001.timeindex"
head -c 300 /dev/urandom >"$WORK/leader-epoch-checkpoint"
for f in "$WORK"/0000000000000000000[01].* "$WORK/leader-epoch-checkpoint"; do
    "$KSIM" dump-log --json --deep-iteration "$f" >/dev/null
    "$KSIM" dump-log --print-data-log "$f" >/dev/null
done
"$KSIM" dump-log --json "$WORK/00000000000000000000.log" | grep -q '"type":"torn_tail"' || {
    echo "dumplog_scenario: FAIL: a truncated segment did not report its torn tail" >&2; exit 1; }
set +e
"$KSIM" dump-log "$WORK/missing.log" 2>"$WORK/err.txt"
rc=$?
set -e
if [ $rc -ne 2 ] || ! grep -q "cannot read" "$WORK/err.txt"; then
    echo "dumplog_scenario: FAIL: a missing file gave exit $rc" >&2
    exit 1
fi
echo "dumplog_scenario: OK"
