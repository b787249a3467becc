#!/bin/bash
# The core's definition of done: only the lines a change adds are judged.
. "$(dirname "$0")/lib.sh"

new_repo r
cat > r/app.py <<'PY'
def handler(x):
    return eval(x)
PY
commit_all r "eval, before the change under review"
cat >> r/app.py <<'PY'
import subprocess as sp
def run(cmd):
    sp.call(cmd, shell=True)
PY
commit_all r "shell=True through an import alias"
cd r
# the import line is B404's (low severity, as in Bandit); this test is about B602
git config pysec.disable B404

expect_exit 1 "a range with a shell=True call fails" git pysec scan HEAD~1..HEAD --format json
jq_is "only the added call is reported" '[.findings[] | "\(.rule) \(.severity)/\(.confidence) \(.line)"] | join(",")' "B602 high/high 5"
jq_is "the eval line is not touched, not reported" '[.findings[] | select(.rule == "B307")] | length' "0"
jq_is "column is 1-based" '.findings[0].column' "5"
jq_is "end of the call node (exclusive, 1-based)" '"\(.findings[0].end_line):\(.findings[0].end_column)"' "5:29"
jq_is "a range has no single commit" '.findings[0].commit' "null"
jq_is "JSON carries version 1" '.version' "1"
jq_is "a finding has every documented field" '.findings[0] | [has("rule","severity","confidence","cwe","path","line","column","end_line","end_column","message","fix","commit","fingerprint")] | all' "true"
jq_is "cwe of B602 is 78" '.findings[0].cwe' "78"
jq_is "path is repository-relative" '.findings[0].path' "app.py"

expect_exit 1 "one commit is scanned against its first parent" git pysec scan HEAD --format json
jq_is "the commit is named" '.findings[0].commit' "$(git rev-parse HEAD)"

expect_exit 1 "--full reports every line" git pysec scan --full --format json
jq_is "--full finds both" '[.findings[].rule] | sort | join(",")' "B307,B602"

sed -i 's/sp.call(cmd, shell=True)/sp.call(cmd, shell=True)  # nosec B602/' app.py
git commit -qam "suppressed"
expect_exit 0 "# nosec B602 suppresses it" git pysec scan HEAD~2..HEAD --format json
jq_is "nothing is reported" '.findings | length' "0"

sed -i 's/# nosec B602/# nosec B999/' app.py
git commit -qam "unknown id"
expect_exit 1 "# nosec B999 suppresses nothing" git pysec scan HEAD~3..HEAD --format json
jq_is "B602 is still reported" '[.findings[].rule] | join(",")' "B602"
jq_is "and the unknown id is a warning" '[.notes[] | select(.kind == "warning") | .line] | join(",")' "5"

sed -i 's/# nosec B999/# nosec,/' app.py
git commit -qam "unreadable list"
expect_exit 1 "'# nosec,' suppresses nothing (Bandit: everything)" git pysec scan HEAD~4..HEAD --format json

git checkout -q HEAD~3
printf 'x = "# nosec"; eval(x)\n' >> app.py
git commit -qam "nosec inside a string"
expect_exit 1 "'# nosec' in a string is not a comment" git pysec scan HEAD --format json
jq_is "eval is reported" '[.findings[].rule] | join(",")' "B307"
