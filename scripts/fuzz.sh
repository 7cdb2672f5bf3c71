#!/usr/bin/env bash
# Runs every Go fuzz target in the module for the given time each (default 10s).
# Fuzz targets are found by name (func FuzzXxx(f *testing.F)) in *_test.go files.
set -euo pipefail
fuzztime=${1:-10s}
cd "$(dirname "$0")/.."
status=0
count=0
while IFS=: read -r file _ line; do
	name=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/' <<<"$line")
	pkg=./$(dirname "$file")
	count=$((count + 1))
	if ! out=$(go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" 2>&1); then
		echo "FAIL fuzz $pkg $name"
		echo "$out" | tail -30
		status=1
	else
		echo "ok   fuzz $pkg $name ($fuzztime)"
	fi
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . | sort)
echo "fuzz: $count targets"
exit $status
