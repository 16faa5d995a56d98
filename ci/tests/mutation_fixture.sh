#!/usr/bin/env bash
# mutation_fixture.sh: a small mutation pass over the world fixture's bug switches
# (ci/mutation --only fixture_) and the partition log's (--only log_, from the
# generator's log part): each must be caught by its invariant within 200 seeds.
set -u
ksim=${KSIM:?KSIM must name the ksim binary}
source_dir=${KS_SOURCE_DIR:-$(dirname "$0")/../..}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
KSIM=$ksim "$source_dir/ci/mutation" --only fixture_ --seeds 200 --jobs 2 --out "$out"
rc=$?
if [ $rc -ne 0 ]; then
    echo "mutation_fixture: a fixture switch was not caught" >&2
    cat "$out/mutation.md" >&2
    exit 1
fi
jq -e 'map(select(.caught == "yes")) | length >= 2' "$out/mutation.json" >/dev/null ||
    { echo "mutation_fixture: fewer than two switches caught" >&2; exit 1; }
KSIM=$ksim "$source_dir/ci/mutation" --only log_ --seeds 200 --jobs 2 --out "$out" ||
    { echo "mutation_fixture: a log switch was not caught" >&2; cat "$out/mutation.md" >&2; exit 1; }
jq -e 'length >= 5 and all(.caught == "yes")' "$out/mutation.json" >/dev/null ||
    { echo "mutation_fixture: the log switches are not all caught" >&2; exit 1; }
echo "mutation_fixture: ok"
