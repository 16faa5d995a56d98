#!/bin/bash
# rb_kafka_python.sh: cross-checks RecordBatch v2 (system/log/rb.c) against kafka-python
# (Debian's python3-kafka, kafka.record.default_records).
#   1. kafka-python builds batches (keys, null keys, headers, producer fields, every codec
#      its Python modules support here) plus a few corrupted ones; rb_xcheck_test decodes
#      them and dumps every field; the dump must equal what kafka-python built and reads.
#   2. rb_xcheck_test builds batches (every codec built in, markers, re-stamped offsets,
#      LogAppendTime, KIP-534 delete horizons); kafka-python must pass validate_crc() on
#      each and read back every field as our dump says.
# Needs KS_BUILD_DIR (with rb_xcheck_test built). Fails loudly when python3-kafka is
# missing: ci/bootstrap installs it (and python3-snappy, python3-lz4, python3-zstandard
# for the codecs).
set -euo pipefail

PYTHON=/usr/bin/python3
BUILD_DIR=${KS_BUILD_DIR:?KS_BUILD_DIR must name the build directory}
TOOL="$BUILD_DIR/rb_xcheck_test"

if ! "$PYTHON" -c 'import kafka.record.default_records' 2>/dev/null; then
    echo "FAIL: python3-kafka is not installed ($PYTHON cannot import kafka.record)." >&2
    echo "      Install it with: apt-get install -y python3-kafka (ci/bootstrap does)." >&2
    exit 1
fi
if [ ! -x "$TOOL" ]; then
    echo "FAIL: $TOOL is missing; build the tests first." >&2
    exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rb_xcheck.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

"$PYTHON" - "$WORK" generate <<'EOF'
import struct, sys
from kafka.record.default_records import DefaultRecordBatchBuilder, DefaultRecordBatch
import kafka.codec as codec

work = sys.argv[1]
HEADER = struct.Struct(">qiibIHiqqqhii")

def hexb(b):
    return "-" if b is None else bytes(b).hex()

def dump_header(buf):
    (base, length, ple, magic, crc, attrs, lod, bts, mts, pid, pep, bseq, count) = \
        HEADER.unpack_from(buf)
    return ("batch base_offset=%d partition_leader_epoch=%d magic=%d crc=%d attributes=%d "
            "last_offset_delta=%d base_timestamp=%d max_timestamp=%d producer_id=%d "
            "producer_epoch=%d base_sequence=%d records_count=%d"
            % (base, ple, magic, crc, attrs, lod, bts, mts, pid, pep, bseq, count))

def dump_record(offset, ts, key, value, headers):
    hs = ",".join("%s:%s" % (k.encode("utf-8").hex(), hexb(v)) for k, v in headers)
    return "record offset=%d timestamp=%d key=%s value=%s headers=%s" % (
        offset, ts, hexb(key), hexb(value), hs)

codecs = [("none", 0, True), ("gzip", 1, codec.has_gzip()), ("snappy", 2, codec.has_snappy()),
          ("lz4", 3, codec.has_lz4()), ("zstd", 4, codec.has_zstd())]
for name, _, ok in codecs:
    if not ok:
        print("kafka-python here lacks %s: not cross-checked" % name)

def records(n, seed):
    out = []
    for i in range(n):
        key = None if i % 3 == 1 else ("key-%d-%d" % (seed, i % 5)).encode()
        value = None if i % 10 == 7 else (b"value-%d " % i) * (i % 20 + 1)
        headers = [] if i % 2 == 0 else [("h%d" % j, None if j == 1 else b"\x00\xff" * j)
                                          for j in range(i % 4)]
        ts = 1700000000000 + i * 3 - (i % 4) * 5
        out.append((i, ts, key, value, headers))
    return out

cases = []
for name, cid, ok in codecs:
    if not ok:
        continue
    for txn, pid, pep, bseq, n in ((False, -1, -1, -1, 40), (True, 987654321, 7, 100, 12)):
        cases.append((name, cid, txn, pid, pep, bseq, records(n, len(cases))))
cases.append(("none", 0, False, -1, -1, -1, [(0, 5, b"", b"", [("", b"")])]))
cases.append(("none", 0, False, -1, -1, -1, [(0, 1700000000000, None, None, [])]))

n = 0
for idx, (name, cid, txn, pid, pep, bseq, recs) in enumerate(cases):
    b = DefaultRecordBatchBuilder(magic=2, compression_type=cid, is_transactional=txn,
                                  producer_id=pid, producer_epoch=pep, base_sequence=bseq,
                                  batch_size=1 << 22)
    for off, ts, key, value, headers in recs:
        assert b.append(off, timestamp=ts, key=key, value=value, headers=headers) is not None
    buf = bytearray(b.build())
    if cid != 0 and (buf[22] & 7) != cid:
        sys.exit("kafka-python did not compress case %d with %s" % (idx, name))
    if idx % 3 == 2:  # a broker re-stamps baseOffset and partitionLeaderEpoch
        struct.pack_into(">q", buf, 0, 5000 + idx)
        struct.pack_into(">i", buf, 12, 3 + idx)
    base = struct.unpack_from(">q", buf, 0)[0]
    lines = [dump_header(buf)]
    lines += [dump_record(base + off, ts, k, v, h) for off, ts, k, v, h in recs]
    # kafka-python must read its own batch the same way
    rb = DefaultRecordBatch(bytes(buf))
    assert rb.validate_crc()
    seen = [dump_record(r.offset, r.timestamp, r.key, r.value, r.headers) for r in rb]
    assert seen == lines[1:], "kafka-python disagrees with itself on case %d" % idx
    open("%s/py_%03d.bin" % (work, n), "wb").write(buf)
    open("%s/py_%03d.expect" % (work, n), "w").write("\n".join(lines) + "\n")
    n += 1

# Corrupted batches, from the first uncompressed one.
good = bytearray(open("%s/py_000.bin" % work, "rb").read())
bad = []
b1 = bytearray(good); b1[len(b1) - 3] ^= 0x40; bad.append((b1, "error CORRUPT_MESSAGE"))
b2 = bytearray(good[:-1]); bad.append((b2, "error TRUNCATED"))
b3 = bytearray(good); b3[16] = 1; bad.append((b3, "error UNSUPPORTED_FOR_MESSAGE_FORMAT"))
b4 = bytearray(good); struct.pack_into(">i", b4, 8, 10); bad.append((b4, "error CORRUPT_MESSAGE"))
b5 = bytearray(good); b5[17] ^= 1; bad.append((b5, "error CORRUPT_MESSAGE"))
for buf, expect in bad:
    open("%s/py_%03d.bin" % (work, n), "wb").write(buf)
    open("%s/py_%03d.expect" % (work, n), "w").write(expect + "\n")
    n += 1
print("kafka-python built %d batches (%d corrupted)" % (n, len(bad)))
EOF

KS_XCHECK_DIR="$WORK" "$TOOL"

"$PYTHON" - "$WORK" check <<'EOF'
import glob, os, struct, sys
from kafka.record.default_records import DefaultRecordBatch

work = sys.argv[1]
failures = 0

def hexb(b):
    return "-" if b is None else bytes(b).hex()

# 1. Our decoder on kafka-python's batches.
py = sorted(glob.glob(os.path.join(work, "py_*.bin")))
for path in py:
    stem = path[:-4]
    if not os.path.exists(stem + ".ours"):
        print("FAIL %s: no dump from rb_xcheck_test" % stem); failures += 1; continue
    expect = open(stem + ".expect").read().splitlines()
    ours = open(stem + ".ours").read().splitlines()
    if expect != ours:
        failures += 1
        print("FAIL %s: our decoder disagrees with kafka-python" % os.path.basename(path))
        for e, o in zip(expect, ours):
            if e != o:
                print("  expected: %s\n  ours:     %s" % (e, o)); break
        if len(expect) != len(ours):
            print("  %d lines expected, %d ours" % (len(expect), len(ours)))

# 2. kafka-python on our batches, CRC validated.
ours_bins = sorted(glob.glob(os.path.join(work, "c_*.bin")))
HEADER = struct.Struct(">qiibIHiqqqhii")
for path in ours_bins:
    buf = open(path, "rb").read()
    rb = DefaultRecordBatch(buf)
    if not rb.validate_crc():
        print("FAIL %s: kafka-python rejects our CRC" % os.path.basename(path)); failures += 1
        continue
    (base, length, ple, magic, crc, attrs, lod, bts, mts, pid, pep, bseq, count) = \
        HEADER.unpack_from(buf)
    if length + 12 != len(buf):
        print("FAIL %s: batchLength %d for %d bytes" % (path, length, len(buf))); failures += 1
    first_ts = rb.first_timestamp if not (attrs & 8) else bts
    lines = [("batch base_offset=%d partition_leader_epoch=%d magic=%d crc=%d attributes=%d "
              "last_offset_delta=%d base_timestamp=%d max_timestamp=%d producer_id=%d "
              "producer_epoch=%d base_sequence=%d records_count=%d")
             % (rb.base_offset, ple, rb.magic, rb.crc, rb.attributes & 0xffff,
                rb.last_offset_delta, bts, rb.max_timestamp, pid,
                pep, bseq, count)]
    try:
        for r in rb:
            hs = ",".join("%s:%s" % (k.encode("utf-8").hex(), hexb(v)) for k, v in r.headers)
            lines.append("record offset=%d timestamp=%d key=%s value=%s headers=%s"
                         % (r.offset, r.timestamp, hexb(r.key), hexb(r.value), hs))
    except Exception as err:
        print("FAIL %s: kafka-python cannot read it: %r" % (os.path.basename(path), err))
        failures += 1
        continue
    if len(lines) - 1 != count:
        print("FAIL %s: %d records read, count says %d" % (path, len(lines) - 1, count))
        failures += 1
    ours = open(path[:-4] + ".ours").read().splitlines()
    if ours != lines:
        failures += 1
        print("FAIL %s: kafka-python reads other fields than we wrote" % os.path.basename(path))
        for e, o in zip(lines, ours):
            if e != o:
                print("  kafka-python: %s\n  ours:         %s" % (e, o)); break

print("cross-check: %d kafka-python batches decoded here, %d of ours read by kafka-python, "
      "%d failures" % (len(py), len(ours_bins), failures))
if not py or not ours_bins:
    sys.exit("FAIL: nothing was cross-checked")
sys.exit(1 if failures else 0)
EOF
