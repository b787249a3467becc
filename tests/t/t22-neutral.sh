#!/bin/bash
# A neutral change adds nothing (README, "What a change adds"): the rule
# tests and a sample of the Python standard library, committed, then
# changed by refactorings that keep what the code means (local variables
# renamed, two functions swapped, reformatted by black), each change
# committed and scanned as a commit: no finding.
# PYSEC_NEUTRAL_CORPUS=DIR runs it on every *.py file directly in DIR instead
# of the sample (the whole standard library: /usr/lib/python3.11).
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

command -v black > /dev/null || { fail "black is installed (install.sh --deps-only)"; exit 0; }
new_repo repo
mkdir -p repo/rules repo/lib
cp "$ROOT"/tests/rules/*.py repo/rules/
if [ -n "${PYSEC_NEUTRAL_CORPUS:-}" ]; then
	cp "$PYSEC_NEUTRAL_CORPUS"/*.py repo/lib/
else
	# every eighth file of the standard library, by name
	ls /usr/lib/python3.11/*.py 2>/dev/null | sort | awk 'NR % 8 == 1' | while read -r f; do cp "$f" repo/lib/; done
fi
files=$(ls repo/rules/*.py repo/lib/*.py | wc -l)
commit_all repo "the files as they are"
git -C repo pysec scan --full . --format json > "$TMP/all.json" 2> /dev/null
total=$(jq '.findings | length' "$TMP/all.json")
[ "$total" -gt 100 ] && ok "$files files with $total findings to keep" || fail "the corpus has findings" "$total"

# neutral CHANGE-DESCRIPTION COMMAND: change the files (COMMAND runs in the repository), commit, scan the commit
neutral() {
	local d=$1
	(cd repo && bash -c "$2") > /dev/null 2>&1
	if git -C repo diff --quiet; then
		fail "$d changes something"
		return
	fi
	local changed=$(git -C repo diff --numstat | wc -l)
	commit_all repo "$d"
	git -C repo pysec scan HEAD --format json > "$TMP/out.json" 2> "$TMP/err"
	local n=$(jq '.findings | length' "$TMP/out.json")
	if [ "$n" = 0 ]; then
		ok "$d ($changed files): no finding"
	else
		fail "$d ($changed files): no finding" "$(jq -r '.findings[] | "\(.path):\(.line) \(.rule) \(.code)"' "$TMP/out.json" | head -20)"
	fi
}

neutral "local variables renamed" "python3 '$ROOT/tests/tools/neutral.py' rename rules/*.py lib/*.py"
neutral "two functions swapped" "python3 '$ROOT/tests/tools/neutral.py' move rules/*.py lib/*.py"
neutral "reformatted by black" "black -q --fast rules lib"
# and the check can fail: a change that adds a finding is reported
printf 'import subprocess\nsubprocess.call(cmd, shell=True)\n' >> repo/rules/B101.py
commit_all repo "not neutral"
git -C repo pysec scan HEAD --format json > "$TMP/out.json" 2> /dev/null
jq_is_file() { [ "$(jq -r "$1" "$TMP/out.json")" = "$2" ]; }
if jq_is_file '[.findings[] | .rule] | sort | join(",")' "B404,B602"; then
	ok "a change that adds a call is reported"
else
	fail "a change that adds a call is reported" "$(cat "$TMP/out.json")"
fi
