#!/bin/bash
# `git pysec review` against a stand-in GitHub (tests/forge/server.py, the
# REST API under /api/v3 as GitHub Enterprise Server serves it): one review
# with the inline comments (line, side RIGHT), the summary as its body,
# REQUEST_CHANGES when a finding blocks and a dismissal once nothing does;
# only the token's own comments counted; GitHub's 422 for a whole review
# with one line off the diff; stale comments deleted (or marked fixed when
# answered); the settings of GitHub Actions, whose token cannot read /user;
# primary and secondary rate limits, Link pagination, a User-Agent on every
# request.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../forge/lib-forge.sh"

TOKEN="ghp_Secr3t$$DoNotPrint"
OTHER="ghp_other$$"
ACTIONS="ghs_actions$$"
start_forge gh
forge_ctl "$(jq -cn --arg t "$TOKEN" --arg o "$OTHER" --arg a "$ACTIONS" '{token: $t, users: {
	($o): {id: 7, login: "someone"},
	($a): {id: 41898282, login: "github-actions[bot]", integration: true}}}')"

review_repo

PULLS='{}'
# set_pr NUMBER BASE HEAD [EXTRA-JSON]: what the stand-in knows of pull request NUMBER
set_pr() {
	PULLS=$(printf '%s' "$PULLS" | jq -c --arg i "$1" --arg b "$2" --arg h "$3" --argjson x "${4:-{\}}" \
		'.[$i] = ({base: $b, head: $h} + $x)')
	forge_ctl "$(jq -cn --argjson p "$PULLS" --arg repo "$TMP/work" \
		'{github: {repos: {"owner/repo": {repo: $repo, pulls: $p}}}}')"
}
set_pr 5 "$BASE" "$HEAD1"

# GitHub Actions' variables, with a personal access token (it may read /user)
printf '{"action": "synchronize", "number": 5, "pull_request": {"number": 5}}' > "$TMP/event.json"
export GITHUB_ACTIONS=true GITHUB_API_URL="$FORGE_URL/api/v3" GITHUB_SERVER_URL="https://github.example" \
	GITHUB_REPOSITORY=owner/repo GITHUB_EVENT_PATH="$TMP/event.json" GITHUB_REF=refs/pull/5/merge \
	GITHUB_RUN_ID=77 PYSEC_TOKEN="$TOKEN"
reviews_posted='[.[] | select(.method == "POST" and (.path | endswith("/reviews")))]'

# someone else's comment carries the marker of b.py's finding
fp_b=$(git pysec scan --format json main...topic | jq -r '.findings[] | select(.path == "b.py") | .fingerprint')
forge_as "$OTHER" POST /api/v3/repos/owner/repo/pulls/5/comments "$(jq -cn --arg h "$HEAD1" --arg fp "$fp_b" \
	'{body: ("<!-- pysec:fp=" + $fp + " -->\nnot a finding"), commit_id: $h, path: "b.py", line: 2, side: "RIGHT"}')"
forge_clear

# --- the first review ----------------------------------------------------------------
review_expect 1 "first review: blocking findings exit 1"
forge_log
jq_is "no request broke the API's contract (a User-Agent, GitHub's Accept, ...)" '[.[].problems[]] | join("; ")' ""
jq_is "every request authenticated (Bearer)" '[.[] | select(.auth != "ok")] | length' 0
jq_is "every request names the API version's media type" '[.[] | .accept] | unique | join(",")' "application/vnd.github+json"
jq_is "the pull request first, then who the token is" '[.[0].path, .[1].path] | join(" ")' \
	"/api/v3/repos/owner/repo/pulls/5 /api/v3/user"
jq_is "one review, answered 200" "$reviews_posted | map(.status) | join(\",\")" 200
jq_is "REQUEST_CHANGES: a finding blocks" "$reviews_posted | .[0].body.event" REQUEST_CHANGES
jq_is "on the head commit" "$reviews_posted | .[0].body.commit_id" "$HEAD1"
jq_is "comments on lines of the new file (line, side RIGHT), b.py's too: someone else's marker is not pysec's" \
	"$reviews_posted | [.[0].body.comments[] | \"\\(.path):\\(.line):\\(.side):\\(has(\"position\"))\"] | join(\" \")" \
	"a.py:4:RIGHT:false b.py:2:RIGHT:false"
jq_is "the status: failure, context pysec, linked to the run, 201" \
	"[.[] | select(.path | endswith(\"/statuses/$HEAD1\")) | \"\\(.body.state) \\(.body.context) \\(.body.target_url) \\(.status)\"] | join(\",\")" \
	"failure pysec https://github.example/owner/repo/actions/runs/77 201"
forge_state
jq_is "pysec requests changes on the pull request" '.github_blocked["owner/repo/5"] | join(",")' pysec-bot
body=$(printf '%s' "$OUT" | jq -r '[.gh_reviews["owner/repo/5"][] | select(.user.login == "pysec-bot")][0].body')
contains "the review body starts with pysec's marker" "${body%%$'\n'*}" "<!-- pysec:review summary="
contains "the finding outside the hunk is in its summary table" "$body" '| `a.py` | 2 | B602 subprocess call with shell=True | high (blocking) |'

# --- reruns; pages by Link ---------------------------------------------------------------
forge_clear
review_expect 1 "a rerun with no change"
forge_log
jq_is "posts nothing" "[.[] | select(.method != \"GET\" and (.path | contains(\"/statuses/\") | not))] | length" 0
contains "and says so" "$RUN_OUT" "0 posted, 2 already there, 1 in the summary, 0 closed"
forge_ctl '{"page_size": 1}'
forge_clear
review_expect 1 "a rerun reading one item a page"
forge_log
jq_is "follows Link through the reviews (the other user's comment made one of them)" \
	'[.[] | select(.path | endswith("/pulls/5/reviews")) | .query.page] | join(",")' "1,2"
jq_is "and through the comments" '[.[] | select(.path | endswith("/pulls/5/comments")) | .query.page] | join(",")' "1,2,3"
jq_is "and posts nothing" "$reviews_posted | length" 0
forge_ctl '{"page_size": null}'

# --- a fix: comments deleted, one that was answered marked fixed, the request dismissed ----------
forge_state
ROOT=$(printf '%s' "$OUT" | jq '[.gh_comments["owner/repo/5"][] | select(.user.login == "pysec-bot" and .path == "a.py")][0].id')
forge_as "$OTHER" POST /api/v3/repos/owner/repo/pulls/5/comments "{\"body\": \"why?\", \"in_reply_to\": $ROOT}"
printf 'import subprocess\nsubprocess.call(\n    cmd)\n' > a.py
printf 'import pickle\n' > b.py
commit_all . fix
HEAD2=$(git rev-parse HEAD)
set_pr 5 "$BASE" "$HEAD2"
forge_clear
review_expect 0 "after the fix nothing blocks: exit 0"
forge_log
jq_is "no request broke the API's contract (nothing of someone else's touched)" '[.[].problems[]] | join("; ")' ""
jq_is "the request for changes is dismissed" \
	'[.[] | select(.path | endswith("/dismissals")) | "\(.method) \(.body.event) \(.status)"] | join(",")' "PUT DISMISS 200"
jq_is "the unanswered stale comment is deleted" '[.[] | select(.method == "DELETE") | .status] | join(",")' 204
jq_is "the answered one is marked fixed" '[.[] | select(.method == "PATCH") | .status] | join(",")' 200
jq_is "a COMMENT review with the new finding says the request was withdrawn" \
	"$reviews_posted | [.[] | \"\\(.body.event) \\(.body.comments | length) \\(.body.body | contains(\"withdrew\"))\"] | join(\",\")" \
	"COMMENT 1 true"
jq_is "what was closed is checked by listing again" '[.[] | select(.path | endswith("/pulls/5/comments"))] | length' 2
jq_is "the status is success" "[.[] | select(.path | contains(\"/statuses/\")) | .body.state] | join(\",\")" success
contains "the log says so" "$RUN_OUT" "2 closed, its request for changes withdrawn"
forge_state
jq_is "nobody blocks the pull request" '.github_blocked["owner/repo/5"] | length' 0
jq_is "the other user's comment and reply are there" \
	'[.gh_comments["owner/repo/5"][] | select(.user.login == "someone") | .body] | join("|")' "<!-- pysec:fp=$fp_b -->
not a finding|why?"
forge_clear
review_expect 0 "a rerun of that posts nothing"
forge_log
jq_is "no write but the status" "[.[] | select(.method != \"GET\" and (.path | contains(\"/statuses/\") | not))] | length" 0

# --- one line off GitHub's diff refuses the whole review --------------------------------------
git checkout -q -b twostep main
printf 'eval(one)\n' > c.py
commit_all . one
MID=$(git rev-parse HEAD)
printf 'eval(one)\nexec(two)\n' > c.py
commit_all . two
# GitHub's diff for this pull request starts at the middle commit (its base branch moved): c.py:1 is not in it
set_pr 6 "$BASE" "$(git rev-parse HEAD)" "{\"merge_base\": \"$MID\"}"
forge_clear
review_expect 1 "a review GitHub refuses for one line" --pr 6
forge_log
jq_is "the review: 422, then the comments one by one (201, and 422 for the line off the diff; sent at once), then the review" \
	'[.[] | select(.method == "POST" and (.path | test("/pulls/6/(reviews|comments)$"))) | "\(.path | split("/") | last) \(.status)"]
	 | [.[0]] + (.[1:-1] | sort) + [.[-1]] | join(",")' \
	"reviews 422,comments 201,comments 422,reviews 200"
contains "the refused line is reported" "$RUN_OUT" "moved c.py:1 B307 to the summary"
jq_is "the last review carries no comment and lists the refused" \
	"$reviews_posted | .[-1].body | \"\\(.comments | length) \\(.body | contains(\"1 was refused by the forge for its line\"))\"" "0 true"
forge_clear
review_expect 1 "a rerun of it" --pr 6
forge_log
jq_is "posts nothing: the refused line is not tried again" \
	"[.[] | select(.method != \"GET\" and (.path | contains(\"/statuses/\") | not))] | length" 0

# --- one's own pull request: REQUEST_CHANGES is refused, COMMENT instead --------------------
git checkout -q -b mine main
printf 'eval(mine)\n' > d.py
commit_all . mine
set_pr 7 "$BASE" "$(git rev-parse HEAD)" '{"own": true}'
forge_clear
review_expect 1 "one's own pull request" --pr 7
forge_log
jq_is "REQUEST_CHANGES 422, then COMMENT 200" "$reviews_posted | [.[] | \"\\(.body.event) \\(.status)\"] | join(\",\")" \
	"REQUEST_CHANGES 422,COMMENT 200"
forge_clear
review_expect 1 "and a rerun" --pr 7
forge_log
jq_is "posts nothing" "$reviews_posted | length" 0

# --- GitHub Actions' own token: /user is refused, it acts as github-actions[bot] ----------------
git checkout -q -b actions main
printf 'exec(act)\n' > e.py
commit_all . actions
set_pr 8 "$BASE" "$(git rev-parse HEAD)"
printf '{"action": "opened", "number": 8, "pull_request": {"number": 8}}' > "$TMP/event8.json"
forge_clear
PYSEC_TOKEN=$ACTIONS GITHUB_EVENT_PATH="$TMP/event8.json" review_expect 1 "a GITHUB_TOKEN: the number from the event"
forge_log
jq_is "GET /user is refused (403)" '[.[] | select(.path == "/api/v3/user") | .status] | join(",")' 403
jq_is "it reviews pull request 8, the event's" "$reviews_posted | [.[].path] | join(\",\")" \
	"/api/v3/repos/owner/repo/pulls/8/reviews"
forge_clear
PYSEC_TOKEN=$ACTIONS GITHUB_EVENT_PATH="$TMP/event8.json" review_expect 1 "a rerun with it"
forge_log
jq_is "knows its comments by its login, github-actions[bot]: posts nothing" "$reviews_posted | length" 0
# outside GitHub Actions (GITHUB_ACTIONS empty), nothing says who such a token is
GITHUB_ACTIONS= PYSEC_TOKEN=$ACTIONS review_expect 3 "outside GitHub Actions, such a token needs pysec.review.botLogin" \
	--forge github --url "$FORGE_URL" --project owner/repo --pr 8
contains "says so" "$RUN_ERR" "cannot tell which user the token acts as"
contains "and what to set" "$RUN_ERR" "pysec.review.botLogin"
git config pysec.review.botLogin 'github-actions[bot]'
forge_clear
GITHUB_ACTIONS= PYSEC_TOKEN=$ACTIONS review_expect 1 "with it set, the same review, and nothing posted again" \
	--forge github --url "$FORGE_URL" --project owner/repo --pr 8
git config --unset pysec.review.botLogin
forge_log
jq_is "a bare server URL gets /api/v3 (GitHub Enterprise Server)" \
	'[.[] | select(.path | startswith("/api/v3/repos/owner/repo/pulls/8"))] | length > 0' true
jq_is "and nothing was posted again" "$reviews_posted | length" 0
printf '{"action": "closed"}' > "$TMP/push.json"
GITHUB_EVENT_PATH="$TMP/push.json" GITHUB_REF=refs/heads/main review_expect 2 "a workflow not run by a pull request"
contains "says what is missing and why" "$RUN_ERR" "the request number is missing (flags --url, --project, --pr); is this workflow run by a pull_request event?"

# --- rate limits: waited out, no retries used, bounded ------------------------------------------
git checkout -q -b limited main
printf 'eval(lim)\n' > g.py
commit_all . limited
LHEAD=$(git rev-parse HEAD)
set_pr 9 "$BASE" "$LHEAD"
git config pysec.review.retries 0
forge_ctl '{"github_remaining": 0, "github_window": 2}'
forge_clear
review_expect 1 "the primary limit spent at the start: waited out until x-ratelimit-reset" --pr 9
forge_ctl '{"github_remaining": null}'
forge_log
jq_is "one 403 with x-ratelimit-remaining 0, then every request answered" \
	'[.[] | .status] | map(select(. == 403)) | length' 1
jq_is "the next request waits for the reset" '(.[1].t - .[0].t) >= 0.9' true
forge_ctl '{"github_remaining": 4, "github_window": 2}'
forge_clear
review_expect 1 "a limit that runs out on the way: the requests after the last one left wait" --pr 9
forge_ctl '{"github_remaining": null}'
forge_log
jq_is "never refused: x-ratelimit-remaining 0 on an answer holds the next request back" \
	'[.[] | select(.status == 403)] | length' 0
jq_is "all answered" '[.[] | select(.status >= 200 and .status < 300)] | length == length' true
set_pr 10 "$BASE" "$LHEAD"
forge_ctl '{"faults": [{"method": "POST", "path": "/pulls/10/reviews$", "status": 403, "times": 1,
  "body": {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."},
  "headers": {"retry-after": "1"}},
  {"method": "POST", "path": "/statuses/", "status": 429, "times": 1, "body": {"message": "slow down"},
   "headers": {"retry-after": "1"}}]}'
forge_clear
review_expect 1 "secondary limits (403 and 429 with retry-after), with no retries allowed" --pr 10
forge_log
jq_is "the review: 403, then 200" "$reviews_posted | map(.status) | join(\",\")" "403,200"
jq_is "the status: 429, then 201" '[.[] | select(.path | contains("/statuses/")) | .status] | join(",")' "429,201"
git config pysec.review.maxWait 1
set_pr 11 "$BASE" "$LHEAD"
forge_ctl '{"faults": [{"method": "POST", "path": "/pulls/11/reviews$", "status": 403, "times": 1,
  "body": {"message": "You have exceeded a secondary rate limit."}, "headers": {"retry-after": "30"}}]}'
review_expect 3 "a wait longer than pysec.review.maxWait fails the write" --pr 11
contains "says so" "$RUN_OUT" "the forge asks to wait 30 s, after 0 s; pysec.review.maxWait allows 1 s"
git config --unset pysec.review.maxWait
git config pysec.review.retries 2
forge_ctl '{"faults": [{"method": "GET", "path": "/pulls/9/reviews$", "status": 403, "times": 1,
  "body": {"message": "Must have admin rights to Repository."}}]}'
review_expect 3 "a 403 that is no rate limit fails at once" --pr 9
contains "with GitHub's words" "$RUN_ERR" "HTTP 403: Must have admin rights to Repository."
forge_ctl '{"faults": []}'

# --- a rule with a rewrite: a suggestion block GitHub applies in one click ------------------------
mkdir -p "$TMP/rules"
cat > "$TMP/rules/X901.rule" <<'RULE'
rule X901
name        yaml_load_fix
title       yaml.load with the default loader
severity    medium
confidence  high
message     yaml.load builds arbitrary Python objects from the document.
fix         Use yaml.safe_load().
match call yaml.load
  suggest "yaml\.load\(" "yaml.safe_load("
RULE
git checkout -q -b suggest main
printf 'import yaml\ncfg = yaml.load(text)\n' > y.py
commit_all . suggest
set_pr 12 "$BASE" "$(git rev-parse HEAD)"
git config pysec.rulesDir "$TMP/rules"
forge_clear
review_expect 1 "a finding whose rule states its fix as a rewrite" --pr 12
git config --unset pysec.rulesDir
forge_log
c=$(printf '%s' "$OUT" | jq -r '[.[] | select(.method == "POST" and (.path | endswith("/pulls/12/reviews")))][0].body.comments[].body
	| select(contains("pysec X901"))')
contains "its comment carries a suggestion block with the rewritten line" "$c" \
	'```suggestion'$'\n''cfg = yaml.safe_load(text)'$'\n''```'

# --- a dry run, and the token never shows --------------------------------------------------------
forge_clear
review_expect 1 "--dry-run" --pr 9 --dry-run -v
forge_log
jq_is "a dry run only reads" '[.[] | select(.method != "GET")] | length' 0
forge_ctl '{"echo_token": true, "faults": [{"method": "GET", "path": "/reviews$", "status": 502}]}'
review_expect 3 "a server that echoes the token" --pr 9 -v
contains "the echo is redacted" "$RUN_ERR" "[token]"
PYSEC_TOKEN="x$TOKEN" review_expect 3 "a wrong token: 401" --pr 9
contains "GitHub's words" "$RUN_ERR" "HTTP 401: Bad credentials"
forge_ctl '{"echo_token": false, "faults": []}'
lacks "the token appears in no output of any run above" "$(cat "$TMP/all-output")" "$TOKEN"
