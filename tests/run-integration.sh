#!/bin/bash
# Run every tests/t/t*.sh against the git-pysec named by $PYSEC_BIN, and end
# with one "N passed, N failed" line.  A script's own failure (it exits
# non-zero without reporting) counts as a failed test too.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${PYSEC_BIN:?set PYSEC_BIN to the git-pysec binary to test}"
export PYSEC_BIN

passed=0 failed=0
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for t in "$here"/t/t[0-9]*.sh; do
	[ -n "${PYSEC_ONLY:-}" ] && case "$(basename "$t")" in *"$PYSEC_ONLY"*) ;; *) continue ;; esac
	echo "== $(basename "$t")"
	: > "$results"
	PYSEC_RESULTS="$results" bash "$t"
	rc=$?
	p=$(grep -c '^ok' "$results")
	f=$(grep -c '^not ok' "$results")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $(basename "$t") exited $rc"
		f=$((f + 1))
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
