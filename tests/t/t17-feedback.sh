#!/bin/bash
# Messages a new user meets (issue 13, "Feedback"): each says what is wrong
# and where; paths are git's everywhere; a terminal sees progress.
. "$(dirname "$0")/lib.sh"
export MANPAGER=cat PAGER=cat MANWIDTH=100

new_repo r
cd r
printf 'x = 1\n' > a.py && commit_all . two
printf 'y = 2\n' > b.py && commit_all . three

# revisions
expect_exit 3 "an unknown revision" git pysec scan nosuchrev
check "is named once, with what it is" test "$ERR" = "git pysec: unknown revision 'nosuchrev': no branch, tag or commit has that name, or the history is shorter"
expect_exit 3 "a revision past the root" git pysec scan HEAD~5
contains "says so, not 'parent 0 does not exist'" "$ERR" "unknown revision 'HEAD~5'"
lacks "libgit2's words are not shown" "$ERR" "parent 0"

# pathspecs in diff mode, from the top or a subdirectory, as git takes them
mkdir -p pkg
printf 'eval(x)\n' > app.py
printf 'exec(y)\n' > pkg/mod.py
expect_exit 1 "scan -- app.py: the working tree's changes to app.py only" git pysec scan --format json -- app.py
jq_is "only app.py" '[.findings[].path] | join(",")' "app.py"
expect_exit 1 "scan app.py (a file, not a revision) is a pathspec too" git pysec scan --format json app.py
jq_is "only app.py" '[.findings[].path] | join(",")' "app.py"
commit_all . "four"
expect_exit 1 "scan HEAD -- pkg: a commit's changes under pkg" git pysec scan HEAD --format json -- pkg
jq_is "only pkg/mod.py" '[.findings[].path] | join(",")' "pkg/mod.py"
expect_exit 0 "a pathspec no change matches: nothing" git pysec scan HEAD -- nothing.py
expect_exit 2 "two revisions before --" git pysec scan HEAD HEAD~1 -- app.py
contains "says which operand is wrong" "$ERR" "'HEAD~1': one revision or range before '--'"
expect_exit 2 "a path outside the repository" git pysec scan HEAD -- /etc/passwd
contains "is named" "$ERR" "'/etc/passwd' is outside the repository"

# one path convention (git's): from the top of the working tree, in every mode
cd pkg
expect_exit 1 "from a subdirectory, a diff scan" git pysec scan HEAD --format json -- .
jq_is "names the file from the top" '[.findings[].path] | join(",")' "pkg/mod.py"
expect_exit 1 "and --full" git pysec scan --full --format json
jq_is "names it the same way" '[.findings[].path] | join(",")' "pkg/mod.py"
expect_exit 1 "--full ../app.py" git pysec scan --full --format json ../app.py
jq_is "is app.py" '[.findings[].path] | join(",")' "app.py"
fp_sub=$(printf '%s' "$OUT" | jq -r '.findings[0].fingerprint')
cd ..
expect_exit 1 "the same from the top" git pysec scan --full --format json app.py
jq_is "the same path and fingerprint" '.findings[0] | "\(.path) \(.fingerprint)"' "app.py $fp_sub"
expect_exit 3 "--full with a path that is not there" git pysec scan --full nonexist.py
check "says so without 'changes:'" test "$ERR" = "git pysec: cannot scan 'nonexist.py': No such file or directory"

# columns: characters in text, as editors count; JSON says its unit
printf 's = "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"; eval(s)\n' > wide.py
expect_exit 1 "a line with wide characters" git pysec scan --full wide.py
contains "text counts characters (é, €, and an emoji are one each)" "$OUT" "wide.py:1:12: B307"
expect_exit 1 "in JSON" git pysec scan --full wide.py --format json
jq_is "JSON counts bytes and says so" '"\(.column_unit) \(.findings[0].column)"' "bytes 18"
rm wide.py

# options that are wrong say what is wrong
expect_exit 2 "--fail-on critical" git pysec scan --fail-on critical
contains "names the value and the levels" "$ERR" "git pysec scan: --fail-on: 'critical' is not a level (low, medium or high)"
expect_exit 2 "--min-confidence sure" git pysec scan --min-confidence sure
contains "names the value" "$ERR" "--min-confidence: 'sure' is not a level"
expect_exit 2 "--format SARIF" git pysec scan --format SARIF
contains "names the value and the formats" "$ERR" "--format: 'SARIF' is not a format (text|json|sarif"
expect_exit 2 "rules --format sarif" git pysec rules --format sarif
contains "names the value" "$ERR" "git pysec rules: --format: 'sarif' is not text or json"
for cmd in explain rules install pre-receive scan; do
	expect_exit 0 "$cmd -h exits 0" git pysec "$cmd" -h
	contains "with its usage" "$OUT" "usage: git pysec $cmd"
done
expect_exit 0 "git pysec help scan opens scan's page" git pysec help scan
contains "not the command list" "$OUT" "git-pysec-scan - "
expect_exit 2 "git pysec help nosuch" git pysec help nosuch
contains "says it is not a command" "$ERR" "'nosuch' is not a command"

# install into a developer's clone: refused, nothing written
expect_exit 2 "git pysec install . in a clone" git pysec install .
contains "says it is not a server's repository" "$ERR" "is a clone with a working tree, not a server's (bare) repository"
check "no hooks/ directory was written" test ! -e hooks
expect_exit 2 "its .git directory is no server's either" git pysec install .git
check "no hook in .git/hooks" test ! -e .git/hooks/pre-receive

# one default threshold: a local scan judges a commit as the server's hook does
cd "$TMP"
new_server th
cd th.work
printf 'import subprocess\n' > imp.py
commit_all . "an import (B404: low severity)"
expect_exit 0 "a local scan lets a low-severity finding through" git pysec scan HEAD
contains "and says at which threshold" "$OUT" "1 finding, 0 at or above the threshold (severity medium, confidence medium)"
push_expect 0 "as the hook does" origin HEAD:main
printf 'import subprocess\nsubprocess.call(cmd, shell=True)\n' > run.py
commit_all . "shell=True (B602: high)"
expect_exit 1 "a local scan fails a high-severity finding" git pysec scan HEAD
push_expect 1 "as the hook does" origin HEAD:main
expect_exit 1 "--fail-on low reports as Bandit does" git pysec scan HEAD~1 --fail-on low
cd "$TMP/r"

# secrets where they usually are: values without quotes in .env, YAML, INI
cd "$TMP"
new_server cfg
cd cfg.work
mkdir -p deploy
printf 'DEBUG=true\nAWS_SECRET_ACCESS_KEY=q8Zr2LwX9vPm4Tn7Kd3Hs6Yb\nexport API_TOKEN=Zx81kLmN02pQrS9tUv\nDB_PASSWORD=${DB_PASS}\n' > .env
printf 'db:\n  user: admin\n  password: hT7#kW2pLx9Qm4Zr\n  api_key: 9fK2mXq7LpW4zR8tN1 # production\n  token: changeme_changeme\n' > deploy/values.yaml
printf '[auth]\nclient_secret = Qw3Er5Ty7Ui9Op1As\nsecret_name = session_cookie_name\n' > deploy/app.ini
printf 'password = load_password_from_vault\n' > app.py
expect_exit 1 "scan --full covers .env, YAML and INI as the hook does" git pysec scan --full --format json
jq_is "an unquoted secret in each, not the placeholders, references or names" \
	'[.findings[] | "\(.path):\(.line):\(.rule)"] | join(",")' \
	".env:2:PS208,.env:3:PS208,deploy/app.ini:2:PS208,deploy/values.yaml:3:PS208,deploy/values.yaml:4:PS208"
lacks "the secret is never shown whole" "$OUT" "q8Zr2LwX9vPm4Tn7Kd3Hs6Yb"
commit_all . "settings"
expect_exit 1 "a diff scan finds them too" git pysec scan HEAD --format json
jq_is "the same five" '.findings | length' "5"
push_expect 1 "and the hook rejects the push" origin HEAD:main
contains "naming the .env line" "$OUT" ".env:2: PS208"
cd "$TMP/r"

# a terminal: a progress line (PYSEC_PROGRESS_DELAY=0: from the start) and a closing line
mkdir -p big
for i in $(seq 40); do printf 'import os\nos.system(cmd%d)\n' "$i" > "big/m$i.py"; done
script -qec "PYSEC_PROGRESS_DELAY=0 git pysec scan --full big > /dev/null" /dev/null > "$TMP/tty" 2>&1
tty=$(tr -d '\r' < "$TMP/tty")
contains "a progress line on the terminal" "$tty" "pysec: scanning: "
contains "a closing line: files, bytes, seconds" "$tty" "pysec: scanned 40 files, 1.0 KiB, in "
script -qec "git pysec scan --full big > /dev/null" /dev/null > "$TMP/tty" 2>&1
tty=$(tr -d '\r' < "$TMP/tty")
lacks "a quick scan draws no progress line" "$tty" "scanning:"
contains "but closes" "$tty" "pysec: scanned 40 files"
script -qec "PYSEC_PROGRESS_DELAY=0 git pysec scan --full --quiet big" /dev/null > "$TMP/tty" 2>&1
check "--quiet: nothing on the terminal" test ! -s "$TMP/tty"
expect_exit 1 "in a pipe" env PYSEC_PROGRESS_DELAY=0 git pysec scan --full big
lacks "no progress line" "$ERR" "pysec: scan"

# an unreadable directory is skipped with a note, as an unreadable file is
. "$(dirname "$0")/lib-users.sh"
mkdir -p "$TMP/u/open" "$TMP/u/closed"
printf 'eval(x)\n' > "$TMP/u/open/a.py"
printf 'eval(x)\n' > "$TMP/u/closed/b.py"
printf 'eval(x)\n' > "$TMP/u/secret.py"
chmod 0755 "$TMP/u" "$TMP/u/open"
chmod 0644 "$TMP/u/open/a.py"
chmod 0700 "$TMP/u/closed"
chmod 0600 "$TMP/u/secret.py"
cd "$TMP/u"
as_user "$T_OTHER" git pysec scan --full --format json . > "$TMP/out" 2> "$TMP/err"
rc=$?
OUT=$(cat "$TMP/out")
check "the scan goes on (exit 1: the readable file's finding)" test "$rc" -eq 1
jq_is "the readable file is scanned" '[.findings[].path] | join(",")' "open/a.py"
jq_is "both the directory and the file are notes" '[.notes[] | "\(.path): \(.message)"] | join(",")' \
	"closed: cannot open directory: Permission denied,secret.py: cannot open: Permission denied"
