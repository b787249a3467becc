#!/bin/bash
# Text output, thresholds and configuration.
. "$(dirname "$0")/lib.sh"

new_repo r
cd r
cat > app.py <<'PY'
import subprocess
assert ok
subprocess.call(cmd, shell=True)
PY
git add app.py && git commit -qm app
git config pysec.disable B404	# the import line; this test counts the other two

expect_exit 1 "text output" git pysec scan HEAD
contains "path:line:col rule [severity/confidence]" "$OUT" "app.py:3:1: B602 [high/high]"
contains "the source line" "$OUT" "    subprocess.call(cmd, shell=True)"
contains "a fix hint" "$OUT" "fix: Pass the command as a list"
contains "a summary, at the default threshold (B101 is low severity)" "$OUT" \
	"pysec: 2 findings, 1 at or above the threshold (severity medium, confidence medium)"
lacks "no colour into a pipe" "$OUT" $'\033['

# what the scanned line holds is what a reviewer reads: no byte drives the terminal, no
# character reorders the line (a bidi override: "Trojan Source")
printf 'import os\nos.system(cmd) # \342\200\256dangerous\342\200\254 \033[2J\n' > trojan.py
expect_exit 1 "a line with a bidi override and an escape sequence" git pysec scan --full trojan.py
contains "the override and its end shown as code points, the escape as ?" "$OUT" \
	"    os.system(cmd) # <U+202E>dangerous<U+202C> ?[2J"
lacks "no bidi override in the output" "$OUT" $'\342\200\256'
rm trojan.py

expect_exit 1 "--fail-on high still fails on B602" git pysec scan HEAD --fail-on high
printf '[pysec]\n\tdisable = B602\n' > .pysec
expect_exit 0 ".pysec disables a rule locally (B101 is below the default threshold)" git pysec scan HEAD --format json
jq_is "only B101 is left" '[.findings[].rule] | join(",")' "B101"
expect_exit 1 "and fails with --fail-on low" git pysec scan HEAD --fail-on low
rm .pysec
git config pysec.minConfidence high
expect_exit 1 "repository config sets the confidence floor" git pysec scan HEAD --format json
jq_is "both have high confidence" '.findings | length' "2"
git config --unset pysec.minConfidence

mkdir -p extra && cat > extra/my.rule <<'RULE'
rule X001
name        local_runner
title       call of the team's command runner
severity    high
confidence  high
cwe         78
message     Our run_command() hands its string to a shell.
match call helpers.run_command
RULE
printf 'from helpers import run_command\nrun_command(x)\n' > more.py
git add more.py && git commit -qm more
git config pysec.rulesDir "$PWD/extra"
expect_exit 1 "a rules directory adds rules" git pysec scan HEAD --format json
jq_is "the extra rule fires" '[.findings[].rule] | join(",")' "X001"
printf 'rule X002\nseverity extreme\n' > extra/bad.rule
expect_exit 2 "a broken rule file is refused" git pysec scan HEAD
contains "with its path and line" "$ERR" "extra/bad.rule:2:"
git config --unset pysec.rulesDir

expect_exit 0 "rules lists the rules" git pysec rules
contains "B602 is listed" "$OUT" "B602"
expect_exit 0 "rules as JSON" git pysec rules --format json
jq_is "every rule has an id" '[.[] | has("id")] | all' "true"
expect_exit 0 "explain a rule" git pysec explain B602
contains "why it matters" "$OUT" "Why:"
contains "how to fix" "$OUT" "Fix:"
expect_exit 2 "explain an unknown rule" git pysec explain B999
