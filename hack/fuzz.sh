#!/usr/bin/env bash
# Runs every native Go fuzz target: `make test` (the admission side) and
# `make fuzz` (long, every package) share it.
# Usage: fuzz.sh BUDGET [PACKAGES...]
#   BUDGET is go test's -fuzztime: a count (10000x) or a duration (60s).
#
# make test gives a count. A duration races Go's fuzzing coordinator: when
# the deadline fires while a worker is mid-input, go test can fail with a bare
# "context deadline exceeded" and no failing input (golang/go#75804, #51484),
# which on a loaded CI machine turns a green tree red. A count has no
# deadline to race. For a duration (make fuzz), that one outcome is checked
# rather than trusted: the target's corpus is replayed, and only a replay that
# passes lets it through; anything else fails as before.
set -euo pipefail
budget=${1:?usage: fuzz.sh BUDGET [PACKAGES...] (BUDGET: 10000x or 60s)}
shift
cd "$(dirname "$0")/.."

# fuzz_one PKG TARGET: fuzzes one target; returns go test's verdict, except
# for the coordinator's deadline race described above.
fuzz_one() {
  local pkg=$1 target=$2 log status=0
  log=$(mktemp)
  go test -run '^$' -fuzz "^${target}\$" -fuzztime "$budget" -fuzzminimizetime 5s "$pkg" 2>&1 | tee "$log" || status=$?
  if [ "$status" -ne 0 ] && deadline_race_only "$log"; then
    echo "fuzz: $target ended on Go's fuzztime deadline race with no failing input; replaying its corpus"
    status=0
    go test -run "^${target}\$" -count=1 "$pkg" || status=$?
  fi
  rm -f "$log"
  return "$status"
}

# deadline_race_only LOG: true when go test's only complaint is the
# coordinator's own "context deadline exceeded" — no input written, no panic,
# no test failure message.
deadline_race_only() {
  grep -q '^    context deadline exceeded$' "$1" &&
    ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' "$1"
}

for pkg in $(go list "${@:-./...}"); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "fuzz $pkg $target for $budget"
    fuzz_one "$pkg" "$target"
  done
done
