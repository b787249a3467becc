#!/bin/bash
# `git pysec review` against a stand-in Gitea (tests/forge/server.py): one
# review carrying the inline comments (COMMENT, or REQUEST_CHANGES when a
# finding blocks) with the summary as its body, no duplicates on reruns,
# deleted comments for fixed findings, a commit status, and failures.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../forge/lib-forge.sh"

TOKEN="gitea-Secr3t-$$-do-not-print"
start_forge gt
forge_ctl "{\"token\": \"$TOKEN\"}"

new_repo work
cd work
git config pysec.review.retries 2
git config pysec.review.retryBaseMs 10
git config pysec.review.retryMaxMs 40
git config pysec.review.timeout 5

printf 'import subprocess\nsubprocess.call(\n    cmd)\n' > a.py
commit_all . base
BASE=$(git rev-parse HEAD)
git checkout -q -b topic
printf 'import subprocess\nsubprocess.call(\n    cmd, shell=True)\neval(x)\n' > a.py
printf 'import os\nos.system(c)\n' > b.py
commit_all . topic
HEAD1=$(git rev-parse HEAD)

PULLS='{}'
# set_pr INDEX MERGE_BASE HEAD [OWN]: what the stand-in knows of pull request INDEX
set_pr() {
	PULLS=$(printf '%s' "$PULLS" | jq -c --arg i "$1" --arg b "$2" --arg h "$3" --argjson own "${4:-false}" \
		'.[$i] = {base: $b, merge_base: $b, head: $h, own: $own}')
	forge_ctl "$(jq -cn --argjson p "$PULLS" --arg repo "$TMP/work" \
		'{gitea: {repos: {"owner/repo": {repo: $repo, pulls: $p}}}}')"
}
set_pr 5 "$BASE" "$HEAD1"

# Gitea Actions' variables (a pull request's workflow runs on refs/pull/<index>/head)
export GITEA_ACTIONS=true GITHUB_SERVER_URL="$FORGE_URL" GITHUB_REPOSITORY=owner/repo \
	GITHUB_REF=refs/pull/5/head PYSEC_TOKEN="$TOKEN"
reviews_posted='[.[] | select(.method == "POST" and (.path | endswith("/reviews")))]'

# --- the first review ----------------------------------------------------------------
review_expect 1 "first review: blocking findings exit 1"
forge_log
jq_is "every request authenticated with 'Authorization: token'" '[.[] | select(.auth != "ok")] | length' 0
jq_is "no request broke the API's contract" '[.[].problems[]] | join("; ")' ""
jq_is "the commits come from the pull request" '[.[] | select(.method == "GET") | .path][0]' \
	"/api/v1/repos/owner/repo/pulls/5"
jq_is "existing reviews are listed before posting" \
	'[.[] | select(.method == "GET" and (.path | endswith("/reviews")))] | length' 1
jq_is "one review, answered 200" "$reviews_posted | map(.status) | join(\",\")" 200
jq_is "REQUEST_CHANGES: a finding blocks" "$reviews_posted | .[0].body.event" REQUEST_CHANGES
jq_is "on the head commit" "$reviews_posted | .[0].body.commit_id" "$HEAD1"
jq_is "carrying the comments on added lines, new_position only" \
	"$reviews_posted | [.[0].body.comments[] | \"\\(.path):\\(.new_position):\\(has(\"old_position\"))\"] | join(\" \")" \
	"a.py:4:false b.py:2:false"
jq_is "the status: failure, context pysec, 201" \
	"[.[] | select(.path | endswith(\"/statuses/$HEAD1\")) | \"\\(.body.state) \\(.body.context) \\(.status)\"] | join(\",\")" \
	"failure pysec 201"
forge_state
body=$(printf '%s' "$OUT" | jq -r '.reviews["owner/repo/5"][0].body')
contains "the review body starts with pysec's marker" "${body%%$'\n'*}" "<!-- pysec:review summary="
contains "and counts" "$body" "3 findings in this pull request, 3 at or above the threshold."
contains "the finding outside the hunk is in its summary table" "$body" '| `a.py` | 2 | B602 subprocess call with shell=True | high (blocking) |'
c=$(printf '%s' "$OUT" | jq -r '[.review_comments[]] | add | .[] | select(.path == "b.py") | .body')
contains "a comment has its fingerprint first" "${c%%$'\n'*}" "<!-- pysec:fp="
contains "rule id, title, severity" "$c" "**pysec B605: process started with a shell**"$'\n\n'"Severity **high**, confidence **high**"

# --- a rerun with no change -----------------------------------------------------------
forge_clear
review_expect 1 "a rerun with no change"
forge_log
jq_is "posts no review, deletes nothing" "[.[] | select(.method != \"GET\" and (.path | contains(\"/statuses/\") | not))] | length" 0
jq_is "reads the review's comments" '[.[] | select(.path | endswith("/comments"))] | length' 1
contains "and says so" "$RUN_OUT" "0 posted, 2 already there, 1 in the summary, 0 closed"

# --- new findings in a second push: only they are posted ------------------------------
printf 'import os\nos.system(c)\nexec(d)\n' > b.py
commit_all . more
HEAD2=$(git rev-parse HEAD)
set_pr 5 "$BASE" "$HEAD2"
forge_clear
review_expect 1 "--dry-run" --dry-run
contains "prints the review it would post" "$RUN_OUT" "would post the review: POST $FORGE_URL/api/v1/repos/owner/repo/pulls/5/reviews"
contains "and each comment in it" "$RUN_OUT" "would comment on b.py:3 B102 (in the review)"
forge_log
jq_is "a dry run only reads" '[.[] | select(.method != "GET")] | length' 0
review_expect 1 "a push with a new finding"
forge_log
jq_is "a second review with just the new comment" "$reviews_posted | [.[0].body.comments[] | \"\\(.path):\\(.new_position)\"] | join(\" \")" "b.py:3"

# pagination: the reviews one a page (Link and x-total-count)
forge_ctl '{"page_size": 1}'
forge_clear
review_expect 1 "a rerun reading the reviews one a page"
forge_log
jq_is "both pages read" '[.[] | select(.method == "GET" and (.path | endswith("/reviews"))) | .query.page] | join(",")' "1,2"
jq_is "both reviews' comments read" '[.[] | select(.path | endswith("/comments"))] | length' 2
jq_is "nothing posted" "$reviews_posted | length" 0
forge_ctl '{"page_size": null}'

# --- a fix: the fixed findings' comments are deleted ---------------------------------------
printf 'import subprocess\nsubprocess.call(\n    cmd)\n' > a.py
printf 'import pickle\n' > b.py
commit_all . fix
HEAD3=$(git rev-parse HEAD)
set_pr 5 "$BASE" "$HEAD3"
forge_clear
review_expect 0 "after the fix nothing blocks: exit 0"
forge_log
jq_is "the three fixed findings' comments are deleted (204)" \
	'[.[] | select(.method == "DELETE") | .status] | join(",")' "204,204,204"
jq_is "one review says what changed (COMMENT: no more request for changes)" \
	"$reviews_posted | [.[] | \"\\(.body.event) \\(.body.comments | length)\"] | join(\",\")" "COMMENT 1"
jq_is "the status is success" "[.[] | select(.path | contains(\"/statuses/\")) | .body.state] | join(\",\")" success
forge_state
jq_is "only the new, non-blocking comment is left" '[.review_comments[][] | .path] | join(",")' "b.py"
forge_clear
review_expect 0 "and a rerun of that posts nothing"
forge_log
jq_is "no review, no delete" "[.[] | select(.method != \"GET\" and (.path | contains(\"/statuses/\") | not))] | length" 0

# --- the cap; the author's own pull request ---------------------------------------------------
git checkout -q -b capped main
printf 'import os\neval(a)\nexec(b)\nos.system(c)\nos.popen(d)\n' > e.py
commit_all . capped
HEAD4=$(git rev-parse HEAD)
set_pr 6 "$BASE" "$HEAD4" true
forge_clear
review_expect 1 "more findings than the cap, on one's own pull request" --pr 6 --max-comments 2
forge_log
jq_is "REQUEST_CHANGES is refused (422) and the review is sent as COMMENT" \
	"$reviews_posted | [.[] | \"\\(.body.event) \\(.status)\"] | join(\",\")" "REQUEST_CHANGES 422,COMMENT 200"
jq_is "two inline comments: the high-severity ones" \
	"$reviews_posted | [.[1].body.comments[].new_position] | join(\",\")" "4,5"
jq_is "the rest in the body" "$reviews_posted | .[1].body.body | contains(\"2 are past the limit of 2 inline comments\")" true
forge_clear
review_expect 1 "a rerun of the capped request" --pr 6 --max-comments 2
forge_log
jq_is "posts nothing" "$reviews_posted | length" 0

# --- 429, then success; a server that keeps failing -------------------------------------------
git checkout -q -b limited main
printf 'eval(q)\n' > g.py
commit_all . limited
HEAD5=$(git rev-parse HEAD)
set_pr 7 "$BASE" "$HEAD5"
forge_ctl '{"faults": [{"method": "POST", "path": "/reviews$", "status": 429, "times": 1,
  "body": {"message": "rate limited"}, "headers": {"Retry-After": "1"}},
  {"method": "POST", "path": "/statuses/", "status": 503, "times": 1}]}'
forge_clear
review_expect 1 "a 429, then success" --pr 7
forge_log
jq_is "the review: 429, then 200 after a second" \
	"$reviews_posted | \"\\(map(.status) | join(\",\")) \\(.[1].t - .[0].t >= 0.95)\"" "429,200 true"
jq_is "the status: 503 retried, then 201" '[.[] | select(.path | contains("/statuses/")) | .status] | join(",")' "503,201"

git checkout -q -b down main
printf 'exec(r)\n' > h.py
commit_all . down
HEAD6=$(git rev-parse HEAD)
set_pr 8 "$BASE" "$HEAD6"
forge_ctl '{"faults": [{"method": "POST", "path": ".", "status": 500, "body": {"message": "database is locked"}}]}'
forge_clear
review_expect 3 "a forge whose writes keep failing: exit 3" --pr 8
contains "the review's failure is reported, with the server's words" "$RUN_OUT" "FAILED the review: POST $FORGE_URL/api/v1/repos/owner/repo/pulls/8/reviews: HTTP 500: database is locked (after 3 attempts)"
contains "and the comment it carried" "$RUN_OUT" "FAILED h.py:1 B102"
contains "and the status's" "$RUN_OUT" "FAILED the commit status"
contains "one line sums it up" "$RUN_ERR" "git pysec: review: 2 writes failed"
forge_log
jq_is "each write tried three times" '[.[] | select(.method == "POST") | .status] | join(",")' "500,500,500,500,500,500"
forge_ctl '{"faults": []}'
forge_clear
review_expect 1 "once it recovers, a rerun posts the review" --pr 8
forge_log
jq_is "once" "$reviews_posted | length" 1
review_expect 3 "an unknown pull request: exit 3" --pr 99
contains "says which" "$RUN_ERR" "pull request #99 of 'owner/repo' not found"
review_expect 2 "a project that is not owner/repo: usage error" --project justone --pr 8
contains "says so" "$RUN_ERR" "a Gitea project is owner/repo"

# --- the token never shows ----------------------------------------------------------------------
forge_ctl '{"echo_token": true, "faults": [{"method": "GET", "path": "/reviews$", "status": 502}]}'
review_expect 3 "a server that echoes the token" --pr 8 -v
contains "the echo is redacted" "$RUN_ERR" "[token]"
PYSEC_TOKEN="x$TOKEN" review_expect 3 "a wrong token: 401" --pr 8
forge_ctl '{"echo_token": false, "faults": []}'
lacks "the token appears in no output of any run above" "$(cat "$TMP/all-output")" "$TOKEN"
