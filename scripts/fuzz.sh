#!/usr/bin/env bash
# Runs every Go fuzz target in the module for the given -fuzztime each: a
# duration (10s, the default) or an execution count (10000x, what the smoke
# run in make test/check uses). Fuzz targets are found by name
# (func FuzzXxx(f *testing.F)) in *_test.go files.
#
# Minimization is capped (FUZZMINTIME, default 200x): Go minimizes each new
# interesting input for up to 60s by default, and a minimization still running
# when -fuzztime ends fails the run with "context deadline exceeded" even
# though no input failed.
set -euo pipefail
fuzztime=${1:-10s}
minimize=${FUZZMINTIME:-200x}
cd "$(dirname "$0")/.."
status=0
count=0
while IFS=: read -r file _ line; do
	name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/' <<<"$line")
	pkg=./$(dirname "$file")
	count=$((count + 1))
	if ! out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" "$pkg" 2>&1); then
		echo "FAIL fuzz $pkg $name"
		echo "$out" | tail -30
		status=1
	else
		echo "ok   fuzz $pkg $name ($fuzztime)"
	fi
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . | sort)
echo "fuzz: $count targets"
exit $status
