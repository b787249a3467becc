#!/bin/bash
# `git pysec review` against a stand-in Gitea (tests/forge/server.py): one
# review carrying the inline comments (COMMENT, or REQUEST_CHANGES when a
# finding blocks) with the summary as its body, no duplicates on reruns,
# only the token's own comments counted, stale comments really removed (a
# DELETE of a review comment deletes nothing on Gitea), a request for
# changes withdrawn once nothing blocks, a commit status, and failures.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../forge/lib-forge.sh"

TOKEN="gitea-Secr3t-$$-do-not-print"
OTHER="gitea-other-$$"
start_forge gt
forge_ctl "{\"token\": \"$TOKEN\", \"users\": {\"$OTHER\": {\"id\": 7, \"login\": \"someone\"}}}"

review_repo

PULLS='{}'
# set_pr INDEX MERGE_BASE HEAD [OWN]: what the stand-in knows of pull request INDEX
set_pr() {
	PULLS=$(printf '%s' "$PULLS" | jq -c --arg i "$1" --arg b "$2" --arg h "$3" --argjson own "${4:-false}" \
		--argjson nb "${5:-false}" '.[$i] = {base: $b, merge_base: $b, head: $h, own: $own, no_base_sha: $nb}')
	forge_ctl "$(jq -cn --argjson p "$PULLS" --arg repo "$TMP/work" \
		'{gitea: {repos: {"owner/repo": {repo: $repo, pulls: $p}}}}')"
}
set_pr 5 "$BASE" "$HEAD1"

# Gitea Actions' variables (a pull request's workflow runs on refs/pull/<index>/head)
export GITEA_ACTIONS=true GITHUB_SERVER_URL="$FORGE_URL" GITHUB_REPOSITORY=owner/repo \
	GITHUB_REF=refs/pull/5/head PYSEC_TOKEN="$TOKEN"
reviews_posted='[.[] | select(.method == "POST" and (.path | endswith("/reviews")))]'

# someone else's review on the pull request carries a comment with a finding's marker
fp_b=$(git pysec scan --format json main...topic | jq -r '.findings[] | select(.path == "b.py") | .fingerprint')
forge_as "$OTHER" POST /api/v1/repos/owner/repo/pulls/5/reviews "$(jq -cn --arg h "$HEAD1" --arg fp "$fp_b" \
	'{body: "<!-- pysec:review summary=none verdict=pass -->\nlooks fine", event: "COMMENT", commit_id: $h,
	  comments: [{path: "b.py", new_position: 2, body: ("<!-- pysec:fp=" + $fp + " -->\nnot a finding")}]}')"
forge_clear

# --- the first review ----------------------------------------------------------------
review_expect 1 "first review: blocking findings exit 1"
forge_log
jq_is "every request authenticated with 'Authorization: token'" '[.[] | select(.auth != "ok")] | length' 0
jq_is "no request broke the API's contract" '[.[].problems[]] | join("; ")' ""
jq_is "the commits come from the pull request" '.[0].path' "/api/v1/repos/owner/repo/pulls/5"
jq_is "then it asks who the token is (GET /user), before reading any review" '.[1].path' "/api/v1/user"
jq_is "existing reviews are listed before posting" \
	'[.[] | select(.method == "GET" and (.path | endswith("/reviews")))] | length' 1
jq_is "one review, answered 200" "$reviews_posted | map(.status) | join(\",\")" 200
jq_is "REQUEST_CHANGES: a finding blocks" "$reviews_posted | .[0].body.event" REQUEST_CHANGES
jq_is "on the head commit" "$reviews_posted | .[0].body.commit_id" "$HEAD1"
jq_is "carrying the comments on added lines, new_position only: b.py's too (someone else's marker is not pysec's)" \
	"$reviews_posted | [.[0].body.comments[] | \"\\(.path):\\(.new_position):\\(has(\"old_position\"))\"] | join(\" \")" \
	"a.py:4:false b.py:2:false"
jq_is "the status: failure, context pysec, 201" \
	"[.[] | select(.path | endswith(\"/statuses/$HEAD1\")) | \"\\(.body.state) \\(.body.context) \\(.status)\"] | join(\",\")" \
	"failure pysec 201"
forge_state
body=$(printf '%s' "$OUT" | jq -r '[.reviews["owner/repo/5"][] | select(.user.login == "pysec-bot")][0].body')
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
jq_is "reads pysec's review's comments, not the other user's review" '[.[] | select(.path | endswith("/comments"))] | length' 1
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

# pagination: the reviews one a page (Link and x-total-count); the other user's is one of them
forge_ctl '{"page_size": 1}'
forge_clear
review_expect 1 "a rerun reading the reviews one a page"
forge_log
jq_is "all three pages read" '[.[] | select(.method == "GET" and (.path | endswith("/reviews"))) | .query.page] | join(",")' "1,2,3"
jq_is "both reviews' comments read" '[.[] | select(.path | endswith("/comments"))] | length' 2
jq_is "nothing posted" "$reviews_posted | length" 0
forge_ctl '{"page_size": null}'

# --- a fix: the fixed findings' comments are removed, the request for changes withdrawn -----
forge_state
jq_is "before the fix pysec blocks the pull request (REQUEST_CHANGES in force)" '.gitea_blocked["owner/repo/5"] | join(",")' pysec-bot
printf 'import subprocess\nsubprocess.call(\n    cmd)\n' > a.py
printf 'import pickle\n' > b.py
commit_all . fix
HEAD3=$(git rev-parse HEAD)
set_pr 5 "$BASE" "$HEAD3"
forge_clear
review_expect 0 "after the fix nothing blocks: exit 0"
forge_log
jq_is "no request broke the API's contract (nothing of someone else's touched)" '[.[].problems[]] | join("; ")' ""
jq_is "no DELETE of a review comment (Gitea answers 204 and keeps it)" \
	'[.[] | select(.path | contains("/issues/comments/"))] | length' 0
jq_is "each request for changes: the dismissal refused (not an admin), so the review deleted" \
	'[.[] | select(.path | test("/reviews/[0-9]+(/dismissals)?$")) | "\(.method) \(.status)"] | join(",")' \
	"POST 403,DELETE 204,POST 403,DELETE 204"
jq_is "one review says what changed (COMMENT: no more request for changes)" \
	"$reviews_posted | [.[] | \"\\(.body.event) \\(.body.comments | length)\"] | join(\",\")" "COMMENT 1"
jq_is "and says the request for changes was withdrawn" \
	"$reviews_posted | .[0].body.body | contains(\"pysec withdrew its request for changes\")" true
jq_is "what was removed is checked by listing the reviews again" \
	'[.[] | select(.method == "GET" and (.path | endswith("/pulls/5/reviews")))] | length' 2
jq_is "the status is success" "[.[] | select(.path | contains(\"/statuses/\")) | .body.state] | join(\",\")" success
contains "the log says so" "$RUN_OUT" "3 closed, its request for changes withdrawn"
forge_state
jq_is "nobody blocks the pull request any more" '.gitea_blocked["owner/repo/5"] | length' 0
jq_is "of pysec's comments only the new, non-blocking one is left" \
	'[.review_comments[][] | select(.user.login == "pysec-bot") | .path] | join(",")' "b.py"
jq_is "the other user's review and comment are untouched" \
	'[.review_comments[][] | select(.user.login == "someone") | .path] | join(",")' "b.py"
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
contains "says so" "$RUN_ERR" "the project is owner/repo, not 'justone'"

# --- a request for changes withdrawn when nothing blocks any more -----------------------------
# each pull request below: eval (blocks) and assert (counts, does not block) in one review; then eval is fixed
git checkout -q -b partial main
printf 'assert y\neval(x)\n' > p.py
commit_all . partial
PHEAD=$(git rev-parse HEAD)
printf 'assert y\nprint(x)\n' > p.py
commit_all . "fix eval"
PFIX=$(git rev-parse HEAD)
# mine INDEX: pysec's comments on pull request INDEX in the state: "line:open|closed" by path
mine() {
	forge_state
	OUT=$(printf '%s' "$OUT" | jq -c --arg k "owner/repo/$1" '[.reviews[$k][] | select(.user.login == "pysec-bot") | .id] as $ids
		| [.review_comments | to_entries[] | select(.key | startswith($k + "#")) | .value[]
		   | select(.user.login == "pysec-bot") | "\(.position):\(if (.body | contains(" closed -->")) then "closed" else "open" end)"]
		| sort | join(",")')
}

# a bot that is a repository admin: the dismissal works, the review and its kept comment stay
forge_ctl '{"bot": {"id": 42, "login": "pysec-bot", "admin": true}}'
set_pr 9 "$BASE" "$PHEAD"
review_expect 1 "a review that requests changes" --pr 9
set_pr 9 "$BASE" "$PFIX"
forge_clear
review_expect 0 "eval fixed, the assert left: nothing blocks" --pr 9
forge_log
jq_is "the request for changes is dismissed (200)" \
	'[.[] | select(.path | endswith("/dismissals")) | "\(.status) \(.body.message)"] | join(",")' \
	"200 pysec: no finding blocks the merge any more"
jq_is "the eval comment, in a review that stays, is marked fixed (PATCH, 200)" \
	'[.[] | select(.method == "PATCH") | "\(.status) \(.body.body | split("\n")[0] | test("^<!-- pysec:fp=[0-9a-f]+ closed -->$"))"] | join(",")' \
	"200 true"
jq_is "and no review is deleted" '[.[] | select(.method == "DELETE")] | length' 0
jq_is "no request broke the API's contract" '[.[].problems[]] | join("; ")' ""
contains "the log says what happened" "$RUN_OUT" "withdrew pysec's request for changes"
contains "and the count" "$RUN_OUT" "1 closed, its request for changes withdrawn"
forge_state
jq_is "nobody blocks pull request 9" '.gitea_blocked["owner/repo/9"] | length' 0
mine 9
test "$OUT" = '"1:open,2:closed"' && ok "the assert comment is open, the eval one closed" || fail "the assert comment is open, the eval one closed" "$OUT"
forge_clear
review_expect 0 "a rerun" --pr 9
forge_log
jq_is "writes nothing: the closed comment stays closed, the kept one kept" \
	'[.[] | select(.method != "GET" and (.path | contains("/statuses/") | not))] | length' 0
forge_ctl '{"bot": null}'

# a bot that is not: the dismissal is refused, the review deleted, and the assert comment posted again
set_pr 10 "$BASE" "$PHEAD"
review_expect 1 "a review that requests changes" --pr 10
set_pr 10 "$BASE" "$PFIX"
forge_clear
review_expect 0 "eval fixed: nothing blocks" --pr 10
forge_log
jq_is "dismissal refused (403), so the review is deleted (204)" \
	'[.[] | select(.path | test("/pulls/10/reviews/[0-9]+(/dismissals)?$")) | "\(.method) \(.status)"] | join(",")' \
	"POST 403,DELETE 204"
jq_is "the assert finding's comment comes back in a COMMENT review" \
	"$reviews_posted | [.[] | \"\\(.body.event) \\([.body.comments[].new_position] | join(\"+\"))\"] | join(\",\")" "COMMENT 1"
forge_state
jq_is "nobody blocks pull request 10" '.gitea_blocked["owner/repo/10"] | length' 0
mine 10
test "$OUT" = '"1:open"' && ok "pysec's one comment left is the assert's" || fail "pysec's one comment left is the assert's" "$OUT"

# someone answered in pysec's review: it is not pysec's alone, so it is never deleted
set_pr 11 "$BASE" "$PHEAD"
review_expect 1 "a review that requests changes" --pr 11
forge_state
RID=$(printf '%s' "$OUT" | jq '.reviews["owner/repo/11"][-1].id')
python3 "$FORGE_DIR/ctl.py" "$FORGE_URL/_seed/gitea_reply" "$(jq -cn --arg t "$OTHER" --argjson r "$RID" \
	'{key: "owner/repo/11", review: $r, token: $t, body: "I disagree"}')" > /dev/null
set_pr 11 "$BASE" "$PFIX"
forge_clear
review_expect 3 "eval fixed, but the request for changes cannot be withdrawn: exit 3" --pr 11
contains "says why" "$RUN_OUT" "FAILED pysec's request for changes (review $RID): nothing blocks any more: POST"
contains "with Gitea's words" "$RUN_OUT" "HTTP 403: Must be repo admin"
forge_log
jq_is "the review is not deleted" '[.[] | select(.method == "DELETE")] | length' 0
jq_is "the stale eval comment is marked fixed instead" '[.[] | select(.method == "PATCH") | .status] | join(",")' 200
jq_is "and nothing of someone else's touched" '[.[].problems[]] | join("; ")' ""
forge_state
jq_is "the reply is still there" '[.review_comments[][] | select(.body == "I disagree")] | length' 1

# a forge that answers 204 to the DELETE and keeps the review: listing again catches it
set_pr 12 "$BASE" "$PHEAD"
review_expect 1 "a review that requests changes" --pr 12
set_pr 12 "$BASE" "$PFIX"
forge_ctl '{"faults": [{"method": "DELETE", "path": "/pulls/12/reviews/", "status": 204, "body": ""}]}'
forge_clear
review_expect 3 "a deletion answered 204 that deleted nothing: exit 3" --pr 12
contains "the listing shows it" "$RUN_OUT" "but listing again shows it is still there"
forge_ctl '{"faults": []}'

# --- a pull request answer without base.sha (its merge_base is enough) ------------------------
set_pr 13 "$BASE" "$PHEAD" false true
review_expect 1 "no base.sha, but a merge_base: reviewed" --pr 13
forge_log
jq_is "the pull request had no base.sha" '[.[] | select(.path | endswith("/pulls/13")) | .status] | join(",")' 200

# --- a rate limit is not a failure: 429s use no retries, but their waits are bounded -----------
git config pysec.review.retries 1
set_pr 14 "$BASE" "$PHEAD"
forge_ctl '{"faults": [{"method": "POST", "path": "/pulls/14/reviews$", "status": 429, "times": 2,
  "body": {"message": "rate limited"}, "headers": {"Retry-After": "1"}}]}'
forge_clear
review_expect 1 "two 429s with one retry allowed: waited out, then posted" --pr 14
forge_log
jq_is "429, 429, then 200" "$reviews_posted | map(.status) | join(\",\")" "429,429,200"
set_pr 15 "$BASE" "$PHEAD"
git config pysec.review.maxWait 1
forge_ctl '{"faults": [{"method": "POST", "path": "/pulls/15/reviews$", "status": 429, "times": 2,
  "body": {"message": "rate limited"}, "headers": {"Retry-After": "1"}}]}'
review_expect 3 "but not past pysec.review.maxWait in all" --pr 15
contains "says so" "$RUN_OUT" "pysec.review.maxWait allows 1 s"
git config pysec.review.retries 2
git config --unset pysec.review.maxWait
forge_ctl '{"faults": []}'

# --- the token never shows ----------------------------------------------------------------------
forge_ctl '{"echo_token": true, "faults": [{"method": "GET", "path": "/reviews$", "status": 502}]}'
review_expect 3 "a server that echoes the token" --pr 8 -v
contains "the echo is redacted" "$RUN_ERR" "[token]"
PYSEC_TOKEN="x$TOKEN" review_expect 3 "a wrong token: 401" --pr 8
forge_ctl '{"echo_token": false, "faults": []}'
lacks "the token appears in no output of any run above" "$(cat "$TMP/all-output")" "$TOKEN"
