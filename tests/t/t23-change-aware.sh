#!/bin/bash
# What a change adds (README): a touched line that changes what an untouched
# call gets, for the worse, is the change's finding, at the touched line, with
# the call as its related location; judged against the file before the change
# in a commit, the index, the working tree, a push and a review alike.
. "$(dirname "$0")/lib.sh"
SARIF_TOOL=$(cd "$(dirname "$0")/../.." && pwd)/tests/tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool

new_repo r
cat > r/app.py <<'PY'
import subprocess


def listing(request):
    cmd = ["ls", "-l"]
    return subprocess.call(cmd, shell=True)


def show(request):
    path = "/srv/data"
    return subprocess.call("cat " + path, shell=True)
PY
commit_all r "a literal command"

# the working tree: user data now reaches the untouched call
sed -i 's/    cmd = \["ls", "-l"\]/    cmd = "ls " + request.args["dir"]/' r/app.py
expect_exit 1 "the working tree: user data reaching an untouched shell call is reported" git -C r pysec scan --format json
jq_is "at the touched line, with the call beside it" \
	'[.findings[] | select(.rule != "B404") | "\(.line) \(.rule) \(.severity) \(.related[0].line) \(.related[0].code)"] | join(",")' \
	"5 B602 high 6 return subprocess.call(cmd, shell=True)"
git -C r add app.py
expect_exit 1 "the index: the same" git -C r pysec scan --staged --format json
jq_is "the same finding" '[.findings[] | "\(.line) \(.rule) \(.related[0].line)"] | join(",")' "5 B602 6"
commit_all r "user data"
expect_exit 1 "the commit: the same" git -C r pysec scan HEAD --format json
jq_is "the same finding, with its commit" '[.findings[] | "\(.line) \(.rule) \(.commit != null)"] | join(",")' "5 B602 true"
git -C r pysec scan HEAD --format sarif > "$TMP/sarif" 2>&1
OUT=$(cat "$TMP/sarif")
jq_is "SARIF: the call as the result's related location" \
	'.runs[0].results[] | "\(.locations[0].physicalLocation.region.startLine) \(.relatedLocations[0].physicalLocation.region.startLine)"' "5 6"
git -C r pysec scan HEAD > "$TMP/text" 2>&1
contains "the text names the call and its line" "$(cat "$TMP/text")" "reaches the call on line 6: return subprocess.call(cmd, shell=True)"

# a literal instead of user data makes the call safe: nothing is added
sed -i 's|    cmd = "ls " + request.args\["dir"\]|    cmd = "ls -l /srv"|' r/app.py
commit_all r "a literal again"
expect_exit 0 "a touched line that makes the call safe adds nothing" git -C r pysec scan HEAD --format json
jq_is "no finding" '.findings | length' "0"

# a value that changes but stays a literal: the call's verdict is the same
sed -i 's|    path = "/srv/data"|    path = "/srv/other"|' r/app.py
commit_all r "another literal"
expect_exit 0 "a literal changed into another literal adds nothing" git -C r pysec scan HEAD --format json

# renaming the variable and moving the assignment: neutral
sed -i 's/    cmd = "ls -l \/srv"/    listing_cmd = "ls -l \/srv"/; s/subprocess.call(cmd, shell=True)/subprocess.call(listing_cmd, shell=True)/' r/app.py
commit_all r "rename"
expect_exit 0 "a renamed variable adds nothing (the call's line is touched, its finding was there before)" \
	git -C r pysec scan HEAD --format json
jq_is "no finding" '.findings | length' "0"

# a push through the hook's default policy
git init -q --bare srv.git && git pysec install srv.git > /dev/null
git -C r push -q "$TMP/srv.git" HEAD:refs/heads/main 2> /dev/null
sed -i 's|    listing_cmd = "ls -l /srv"|    listing_cmd = "ls " + request.args["dir"]|' r/app.py
commit_all r "user data, pushed"
if git -C r push "$TMP/srv.git" HEAD:refs/heads/main > "$TMP/push" 2>&1; then
	fail "the hook rejects a push whose touched line makes an untouched call high" "$(cat "$TMP/push")"
else
	ok "the hook rejects a push whose touched line makes an untouched call high"
fi
contains "the push names the finding at the touched line" "$(cat "$TMP/push")" "app.py:5: B602 [high/high]"
contains "and the call it reaches" "$(cat "$TMP/push")" "reaches the call on line 6: return subprocess.call(listing_cmd, shell=True)"

# SARIF counts columns in UTF-16 code units: the related location's too
new_repo u
cat > u/brew.py <<'PY'
import subprocess


def brew(request):
    cmd = ["ls"]
    café = subprocess.call(cmd + "😀", shell=True)
    return café
PY
commit_all u "a literal command"
sed -i 's/    cmd = \["ls"\]/    cmd = request.args["q"]/' u/brew.py
commit_all u "user data"
expect_exit 1 "a call on a line with non-ASCII text" git -C u pysec scan HEAD --output sarif:"$TMP/u.sarif"
OUT=$(cat "$TMP/u.sarif")
jq_is "SARIF: the related location in UTF-16 code units (é one unit, 😀 two; bytes would give 13-55)" \
	'.runs[0].results[] | select(.ruleId == "B602") | .relatedLocations[0].physicalLocation.region | "\(.startLine):\(.startColumn)-\(.endLine):\(.endColumn)"' \
	"6:12-6:51"
if [ -x "$SARIF_TOOL" ]; then
	"$SARIF_TOOL" validate --rule-kind "Sarif;Gh" "$TMP/u.sarif" > "$TMP/u-validate.log" 2>&1
	check "the SARIF validator ran to its end" test "$?" -eq 0
	if grep -qE ': (error|warning) [A-Z]+[0-9]+' "$TMP/u-validate.log"; then
		fail "SARIF with a related location: no errors and no warnings" "$(grep -E ': (error|warning) ' "$TMP/u-validate.log" | head -20)"
	else
		ok "SARIF with a related location: no errors and no warnings"
	fi
else
	fail "the SARIF multitool is not installed (make installs tests/tools)"
fi

# --- git pysec review (the stand-in Gitea): the comment lands on the touched line and names the call
. "$(dirname "$0")/../forge/lib-forge.sh"
TOKEN="gitea-t23-$$-do-not-print"
start_forge gt
forge_ctl "{\"token\": \"$TOKEN\"}"
new_repo rv
cat > rv/app.py <<'PY'
import subprocess


def listing(request):
    cmd = ["ls", "-l"]
    return subprocess.call(cmd, shell=True)
PY
commit_all rv "a literal command"
BASE=$(git -C rv rev-parse HEAD)
git -C rv checkout -q -b topic
sed -i 's/    cmd = \["ls", "-l"\]/    cmd = "ls " + request.args["dir"]/' rv/app.py
commit_all rv "user data"
HEAD1=$(git -C rv rev-parse HEAD)
forge_ctl "$(jq -cn --arg repo "$TMP/rv" --arg b "$BASE" --arg h "$HEAD1" \
	'{gitea: {repos: {"owner/repo": {repo: $repo, pulls: {"5": {base: $b, merge_base: $b, head: $h, own: false, no_base_sha: false}}}}}}')"
cd rv || exit 1
git config pysec.review.timeout 5
export GITEA_ACTIONS=true GITHUB_SERVER_URL="$FORGE_URL" GITHUB_REPOSITORY=owner/repo \
	GITHUB_REF=refs/pull/5/head PYSEC_TOKEN="$TOKEN"
review_expect 1 "review: user data reaching an untouched shell call blocks"
forge_log
jq_is "review: one review, its one inline comment on the touched line" \
	'[.[] | select(.method == "POST" and (.path | endswith("/reviews"))) | .body.comments[] | "\(.path):\(.new_position)"] | join(" ")' \
	"app.py:5"
forge_state
c=$(printf '%s' "$OUT" | jq -r '[.review_comments[]] | add | .[] | select(.path == "app.py") | .body')
contains "review: the comment is the call's verdict" "$c" "**pysec B602:"
contains "review: and names the call and its line" "$c" "reaches the call on line 6: return subprocess.call(cmd, shell=True)"
cd "$TMP" || exit 1
