#!/bin/bash
# Coming from Bandit and Ruff (issue 13): Ruff's S ids wherever a rule id is
# taken, and baselines of the findings a code base already has.
. "$(dirname "$0")/lib.sh"

# --- Ruff's ids ----------------------------------------------------------------
new_repo r
cd r
cat > app.py <<'PY'
import subprocess  # noqa: S404
subprocess.call(cmd, shell=True)  # noqa: S602
subprocess.call(cmd, shell=True)  # noqa: E501, S999
subprocess.call(cmd, shell=True)  # noqa
PY
commit_all . "ruff's suppressions"
expect_exit 1 "a commit with noqa comments is scanned" git pysec scan HEAD --format json
jq_is "noqa: S602 and S404 suppress B602 and B404; S999 and a bare noqa do not" \
	'[.findings[] | "\(.rule):\(.line)"] | join(",")' "B602:3,B602:4"
jq_is "an S code no rule has is a warning" '[.notes[] | select(.kind == "warning") | "\(.line):\(.message)"] | join(",")' \
	"3:'# noqa: S999': no rule has that id, so it suppresses nothing"
expect_exit 0 "explain takes Ruff's id" git pysec explain S602
contains "and explains Bandit's rule" "$OUT" "B602"
expect_exit 2 "an S id no rule has is not explained" git pysec explain S999
printf '[pysec]\n\tdisable = S602\n' > .pysec
expect_exit 0 "pysec.disable takes Ruff's id" git pysec scan HEAD
git config pysec.enable S404
git config pysec.nosec false
rm .pysec
expect_exit 1 "pysec.nosec = false ignores noqa too" git pysec scan HEAD --format json
jq_is "every finding is back" '[.findings[] | "\(.rule):\(.line)"] | join(",")' "B404:1,B602:2,B602:3,B602:4"
git config --unset pysec.nosec

# in a push, the hook reads them the same way
cd "$TMP"
new_server s
cd s.work
printf 'import subprocess\nsubprocess.call(cmd, shell=True)  # noqa: S602\n' > ok.py
commit_all . "suppressed"
push_expect 0 "a push whose finding a noqa: S602 covers is accepted" origin HEAD:main
printf 'import subprocess\nsubprocess.call(cmd, shell=True)  # noqa: S603\n' > bad.py
commit_all . "another rule's code"
push_expect 1 "noqa with another rule's code rejects the push" origin HEAD:main
contains "with the finding" "$OUT" "bad.py:2"

# --- baselines -----------------------------------------------------------------
cd "$TMP"
new_repo old
cd old
mkdir -p pkg
printf 'import subprocess\nsubprocess.call(cmd, shell=True)\neval(expr)\n' > pkg/legacy.py
printf 'assert ready\n' > tool.py
commit_all . "an old code base"
expect_exit 1 "--write-baseline records the findings (and reports them as usual)" \
	git pysec scan --full --write-baseline "$TMP/baseline.json"
OUT=$(cat "$TMP/baseline.json")
jq_is "the baseline is pysec's JSON report, every finding with its fingerprint" \
	'[.findings[] | "\(.path):\(.rule):\(.fingerprint | length)"] | join(",")' \
	"pkg/legacy.py:B404:16,pkg/legacy.py:B602:16,pkg/legacy.py:B307:16,tool.py:B101:16"
expect_exit 0 "--baseline: nothing new, nothing reported" git pysec scan --full --baseline "$TMP/baseline.json"
contains "the summary says so" "$ERR" "4 findings of the baseline '$TMP/baseline.json' not shown"
# lines move, a finding is added
printf '"""A docstring moves every line down."""\nimport subprocess\n\nsubprocess.call(cmd, shell=True)\neval(expr)\nexec(code)\n' > pkg/legacy.py
expect_exit 1 "--baseline: only the new finding" git pysec scan --full --baseline "$TMP/baseline.json" --format json
jq_is "moved lines keep their fingerprints" '[.findings[] | "\(.path):\(.line):\(.rule)"] | join(",")' "pkg/legacy.py:6:B102"
expect_exit 1 "a diff scan takes a baseline too" git pysec scan --baseline "$TMP/baseline.json" --format json
jq_is "the uncommitted new finding only" '[.findings[].rule] | join(",")' "B102"
expect_exit 1 "--baseline with --quiet still exits with the new finding" \
	git pysec scan --full --quiet --baseline "$TMP/baseline.json"
lacks "and says nothing" "$ERR" "not shown"

# Bandit's own report (`bandit -f json`, what its -b takes): by file and test id, counted
git checkout -q -- pkg/legacy.py
bandit -q -r . -f json -o "$TMP/bandit.json" > /dev/null 2>&1
OUT=$(cat "$TMP/bandit.json")
jq_is "bandit reported the old code base" '[.results[] | "\(.filename):\(.test_id)"] | sort | join(",")' \
	"./pkg/legacy.py:B307,./pkg/legacy.py:B404,./pkg/legacy.py:B602,./tool.py:B101"
expect_exit 0 "Bandit's report is a baseline" git pysec scan --full --baseline "$TMP/bandit.json"
printf 'subprocess.call(other, shell=True)\n' >> pkg/legacy.py
expect_exit 1 "one more B602 in the file than Bandit had is new" \
	git pysec scan --full --baseline "$TMP/bandit.json" --format json
jq_is "the second B602" '[.findings[] | "\(.line):\(.rule)"] | join(",")' "4:B602"

# a baseline that is not one is a clear error, before any scanning
printf '{"findings": [{"rule": "B602"}]}' > "$TMP/nofp.json"
printf '[1, 2' > "$TMP/broken.json"
printf '{"results": {}}' > "$TMP/other.json"
expect_exit 2 "a pysec finding without fingerprint" git pysec scan --full --baseline "$TMP/nofp.json"
contains "is named" "$ERR" "git pysec: --baseline: '$TMP/nofp.json': finding 1 has no \"fingerprint\""
expect_exit 2 "a broken JSON file" git pysec scan --full --baseline "$TMP/broken.json"
contains "is named with its line" "$ERR" "'$TMP/broken.json':1: not JSON"
expect_exit 2 "some other JSON" git pysec scan --full --baseline "$TMP/other.json"
contains "is named" "$ERR" "neither pysec's JSON report"
expect_exit 2 "a baseline that is not there" git pysec scan --full --baseline "$TMP/none.json"
contains "is named" "$ERR" "cannot read '$TMP/none.json'"
expect_exit 2 "a directory" git pysec scan --full --baseline "$TMP"
expect_exit 3 "a baseline that cannot be written fails the scan" \
	git pysec scan --full --write-baseline "$TMP/no/such/dir/b.json"
contains "and says why" "$ERR" "cannot write '$TMP/no/such/dir/b.json'"
