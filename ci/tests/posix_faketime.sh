#!/usr/bin/env bash
# ci/tests/posix_faketime.sh: the POSIX environment's wall clock is the system clock,
# so it follows libfaketime (issue 3, item 11, builds on this): under
# `faketime '2030-01-01 00:00:00'` env_wall_ms reads 2030 while env_mono_ns still
# advances, and under a date in the past it reads that date. Runs the one clock test
# of the already built env_posix_test (it skips itself unless KS_EXPECT_WALL_MS_MIN/MAX
# are set); builds nothing. Fails, never skips, when faketime is missing: ci/bootstrap
# installs it.
set -euo pipefail

: "${KS_BUILD_DIR:?KS_BUILD_DIR must name the build directory (ctest sets it)}"
test_bin="$KS_BUILD_DIR/env_posix_test"

if ! command -v faketime >/dev/null 2>&1; then
  echo "posix_faketime: FAIL: faketime is not installed (apt-get install faketime libfaketime; ci/bootstrap does)" >&2
  exit 1
fi
if [ ! -x "$test_bin" ]; then
  echo "posix_faketime: FAIL: $test_bin is missing; build the project first" >&2
  exit 1
fi

# ASan insists on coming first among preloaded libraries; libfaketime is preloaded.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export TZ=UTC

# run_at DATE MIN_MS MAX_MS: the clock test must run (not skip) and pass.
run_at() {
  local date="$1" min_ms="$2" max_ms="$3" out
  if ! out=$(KS_EXPECT_WALL_MS_MIN="$min_ms" KS_EXPECT_WALL_MS_MAX="$max_ms" \
      timeout 60 faketime "$date" "$test_bin" 2>&1); then
    echo "$out" >&2
    echo "posix_faketime: FAIL: env_wall_ms not in [$min_ms, $max_ms] under faketime '$date'" >&2
    exit 1
  fi
  if ! grep -q '^\[       OK \] test_wall_clock_follows_faketime' <<<"$out"; then
    echo "$out" >&2
    echo "posix_faketime: FAIL: the clock test did not run under faketime '$date'" >&2
    exit 1
  fi
  echo "posix_faketime: faketime '$date': $(grep -o 'env_wall_ms=[0-9]*' <<<"$out")"
}

hour_ms=3600000
run_at '2030-01-01 00:00:00' 1893456000000 $((1893456000000 + hour_ms)) # 2030-01-01T00:00:00Z
run_at '2001-09-09 01:46:40' 1000000000000 $((1000000000000 + hour_ms)) # a clock set back
echo "posix_faketime: OK"
