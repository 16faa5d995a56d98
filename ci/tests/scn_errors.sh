#!/usr/bin/env bash
# scn_errors.sh: every malformed scenario in scenarios/bad/ must make `ksim run` exit 2
# before anything runs (nothing on stdout), with stderr starting with exactly
# `FILE:LINE:COL: MESSAGE-PREFIX` as its `#! expect-error LINE:COL: MESSAGE-PREFIX`
# directive says. Run by ctest with KSIM set to the ksim binary.
set -u
ksim=${KSIM:?set KSIM to the ksim binary}
source_dir=${KS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$source_dir" || exit 1
failed=0
count=0
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
for file in scenarios/bad/*.scn; do
    expected=$(sed -n 's/^#! expect-error //p' "$file")
    if [ -z "$expected" ]; then
        echo "scn_errors: $file has no '#! expect-error' line" >&2
        failed=1
        continue
    fi
    stdout=$("$ksim" run "$file" 2>"$errors")
    rc=$?
    stderr=$(cat "$errors")
    count=$((count + 1))
    if [ $rc -ne 2 ]; then
        echo "scn_errors: $file: expected exit 2, got $rc" >&2
        failed=1
    elif [ -n "$stdout" ]; then
        echo "scn_errors: $file: expected nothing on stdout (nothing runs), got: $stdout" >&2
        failed=1
    elif [[ "$stderr" != "$file:$expected"* ]]; then
        echo "scn_errors: $file:" >&2
        echo "  expected: $file:$expected..." >&2
        echo "  got:      $stderr" >&2
        failed=1
    fi
done
# Usage errors exit 2 as well.
for args in "" "run" "run a.scn b.scn" "run scenarios/world_pingecho.scn --seed x" \
    "run scenarios/world_pingecho.scn --bug no_such_bug" "run scenarios/world_pingecho.scn --frob" \
    "frob" "run scenarios/bad/no_such_file.scn"; do
    # shellcheck disable=SC2086
    "$ksim" $args >/dev/null 2>&1
    rc=$?
    if [ $rc -ne 2 ]; then
        echo "scn_errors: 'ksim $args': expected exit 2, got $rc" >&2
        failed=1
    fi
done
echo "scn_errors: $count malformed scenarios checked"
exit $failed
