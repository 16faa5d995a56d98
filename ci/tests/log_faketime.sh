#!/usr/bin/env bash
# ci/tests/log_faketime.sh: time-based roll (segment.ms) and retention (retention.ms) on
# the real clock (issue 3, item 11). Runs plog_realclock_test under libfaketime with
# FAKETIME_TIMESTAMP_FILE and FAKETIME_NO_CACHE=1, so the test itself jumps the wall
# clock by writing offsets to that file (+2h, +3d, then -1d: back). The test checks that
# the POSIX environment rolls and deletes exactly as the same story does under
# simulation, and that the backward jump deletes nothing. Builds nothing; fails, never
# skips, when faketime is missing (ci/bootstrap installs it).
set -euo pipefail

: "${KS_BUILD_DIR:?KS_BUILD_DIR must name the build directory (ctest sets it)}"
test_bin="$KS_BUILD_DIR/plog_realclock_test"
if ! command -v faketime >/dev/null 2>&1; then
  echo "log_faketime: FAIL: faketime is not installed (apt-get install faketime libfaketime)" >&2
  exit 1
fi
if [ ! -x "$test_bin" ]; then
  echo "log_faketime: FAIL: $test_bin is missing; build the project first" >&2
  exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/log_faketime.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/data"
printf '+0' >"$work/faketime"

# ASan insists on coming first among preloaded libraries; libfaketime is preloaded.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export TZ=UTC
export FAKETIME_TIMESTAMP_FILE="$work/faketime" FAKETIME_NO_CACHE=1 DONT_FAKE_MONOTONIC=1
export KS_FAKETIME_FILE="$work/faketime" KS_REALCLOCK_DIR="$work/data"
# The faketime wrapper sets FAKETIME, which would win over the file: preload the
# library it uses directly.
lib=""
for candidate in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
  [ -e "$candidate" ] && lib=$candidate && break
done
if [ -z "$lib" ]; then
  echo "log_faketime: FAIL: libfaketime.so.1 not found beside the faketime command" >&2
  exit 1
fi
if ! out=$(LD_PRELOAD="$lib" timeout 60 "$test_bin" 2>&1); then
  echo "$out" >&2
  echo "log_faketime: FAIL: plog_realclock_test failed under faketime" >&2
  exit 1
fi
if ! grep -q '^\[       OK \] test_real_clock_roll_and_retention' <<<"$out"; then
  echo "$out" >&2
  echo "log_faketime: FAIL: the real-clock test did not run" >&2
  exit 1
fi
grep '^real clock:' <<<"$out" | sed 's/^/log_faketime: /'
echo "log_faketime: OK"
