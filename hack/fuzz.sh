#!/usr/bin/env bash
# Runs every native Go fuzz target for a fixed time each: `make fuzz` (long,
# every package) and `make test` (short, the admission side) share it.
# Usage: fuzz.sh [FUZZTIME] [PACKAGES...]
set -euo pipefail
fuzztime=${1:-60s}
shift || true
cd "$(dirname "$0")/.."
for pkg in $(go list "${@:-./...}"); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "fuzz $pkg $target for $fuzztime"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 5s "$pkg"
  done
done
