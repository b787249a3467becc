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
