#!/bin/bash
# GitHub pull request webhooks into reviews through the daemon (`git pysec
# serve`) and the stand-in GitHub: X-Hub-Signature-256 ("sha256=" and the
# HMAC-SHA256 of the raw body) good, bad, missing or malformed; the events
# and actions that are reviewed and those ignored; de-duplication by
# X-GitHub-Delivery; and Gitea's X-Hub-Signature-256, accepted as well as
# its own X-Gitea-Signature.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../forge/lib-forge.sh"
. "$(dirname "$0")/lib-daemon.sh"
HOOKS=$(cd "$(dirname "$0")/../forge" && pwd)/webhook.py

TOKEN="ghp_daemon$$"
GH_SECRET="gh-hook-$$"
GT_SECRET="gt-hook-$$"
printf '%s\n' "$TOKEN" > "$TMP/token"
printf '%s\n' "$GH_SECRET" > "$TMP/gh-secret"
printf '%s\n' "$GT_SECRET" > "$TMP/gt-secret"
start_forge fg
forge_ctl "{\"token\": \"$TOKEN\"}"

review_repo
cd "$TMP"
forge_ctl "$(jq -cn --arg b "$BASE" --arg h "$HEAD1" --arg repo "$TMP/work" '
	{github: {repos: {"owner/repo": {repo: $repo, pulls: {"1": {base: $b, head: $h}, "2": {base: $b, head: $h}}}}},
	 gitea: {repos: {"owner/repo": {repo: $repo, pulls: {"1": {base: $b, merge_base: $b, head: $h},
	                                                     "2": {base: $b, merge_base: $b, head: $h}}}}}}')"

cat > "$TMP/pysec.conf" <<EOF
[pysec "daemon"]
	listen = 127.0.0.1:0
	queueDb = $TMP/queue.db
	reviewWorkers = 2
	attempts = 2
	backoffMs = 20
	backoffMaxMs = 40
	project = github owner/repo $TMP/work
	project = gitea owner/repo $TMP/work
[pysec "github"]
	url = $FORGE_URL
	tokenFile = $TMP/token
	secretFile = $TMP/gh-secret
[pysec "gitea"]
	url = $FORGE_URL
	tokenFile = $TMP/token
	secretFile = $TMP/gt-secret
[pysec "review"]
	retries = 1
	retryBaseMs = 10
	timeout = 5
EOF
start_daemon "$TMP/pysec.conf" || exit 1

# deliver FORGE ARGS...: one delivery as the forge sends it; "STATUS BODY" in $OUT
deliver() {
	local forge=$1; shift
	OUT=$(python3 "$HOOKS" "$HTTP_URL" "$forge" --project owner/repo --head "$HEAD1" "$@")
}
# reviewed PATH COUNT: wait (at most 60 s) until the stand-in has COUNT reviews posted to PATH
reviewed() { wait_until 60 posted "$1" "$2"; }
# posted PATH COUNT: the stand-in has COUNT reviews posted to PATH
posted() {
	local n
	forge_log
	n=$(printf '%s' "$OUT" | jq --arg p "$1" '[.[] | select(.method == "POST" and .path == $p and .status == 200)] | length')
	[ "$n" -ge "$2" ]
}

# --- GitHub: X-Hub-Signature-256 -------------------------------------------------------------
deliver github --number 1 --secret "$GH_SECRET" --key gh-1 --action synchronize
contains "a pull_request delivery with the right signature is queued (202)" "$OUT" '202 {"status":"queued"'
deliver github --number 1 --secret "$GH_SECRET" --key gh-1 --action synchronize
contains "the same delivery again (X-GitHub-Delivery) is a duplicate" "$OUT" '200 {"status":"duplicate"'
deliver github --number 2 --secret "$GH_SECRET" --bad-secret
contains "a signature with another secret gets 401" "$OUT" "401"
deliver github --number 2 --secret "$GH_SECRET" --sign-other-body
contains "a signature of another body gets 401" "$OUT" "401"
deliver github --number 2 --no-secret
contains "no signature gets 401" "$OUT" "401"
good=$(python3 -c 'import hashlib, hmac, sys, json
sys.path.insert(0, sys.argv[1])
import webhook
print(hmac.new(sys.argv[2].encode(), webhook.payload("github", "owner/repo", 2, sys.argv[3], "opened"), hashlib.sha256).hexdigest())' \
	"$(dirname "$HOOKS")" "$GH_SECRET" "$HEAD1")
deliver github --number 2 --secret "$GH_SECRET" --signature "$good"
contains "the right HMAC without its sha256= prefix gets 401" "$OUT" "401"
deliver github --number 2 --secret "$GH_SECRET" --signature "sha1=$good"
contains "or with another algorithm's prefix" "$OUT" "401"
test "$(daemon_log_count '"msg":"webhook refused","forge":"github"')" -eq 5 && ok "all five are logged" ||
	fail "all five are logged" "$(grep 'webhook refused' "$TMP/daemon.log")"
contains "saying why" "$(grep 'webhook refused' "$TMP/daemon.log")" '"why":"no secret sent"'

deliver github --number 2 --secret "$GH_SECRET" --action closed
contains "a closed pull request is ignored, with a 200" "$OUT" '200 {"status":"ignored"'
deliver github --number 2 --secret "$GH_SECRET" --action synchronized
contains "Gitea's action name is not GitHub's: ignored" "$OUT" '"status":"ignored"'
deliver github --number 2 --secret "$GH_SECRET" --event ping
contains "a ping (the hook was made) is ignored" "$OUT" '"status":"ignored"'
deliver github --number 2 --secret "$GH_SECRET" --event pull_request_review
contains "another event too" "$OUT" '"status":"ignored"'
OUT=$(curl -s -o /dev/null -w '%{http_code}' "$HTTP_URL/webhook/github")
test "$OUT" = 405 && ok "GET on the webhook gets 405" || fail "GET on the webhook gets 405" "$OUT"

reviewed /api/v3/repos/owner/repo/pulls/1/reviews 1 && ok "the queued delivery becomes a review on GitHub" ||
	fail "the queued delivery becomes a review on GitHub" "$(tail -5 "$TMP/daemon.log")"
forge_log
jq_is "one review, requesting changes, with the comments on the added lines" \
	'[.[] | select(.method == "POST" and (.path | endswith("pulls/1/reviews"))) | "\(.body.event) \([.body.comments[] | "\(.path):\(.line)"] | join(" "))"] | join(",")' \
	"REQUEST_CHANGES a.py:4 b.py:2"
jq_is "no request broke the API's contract" '[.[].problems[]] | join("; ")' ""
jq_is "and a status on the head" \
	"[.[] | select(.path | endswith(\"/api/v3/repos/owner/repo/statuses/$HEAD1\")) | .body.state] | join(\",\")" failure

# --- Gitea: X-Hub-Signature-256 accepted as well as X-Gitea-Signature ------------------------------
deliver gitea --number 1 --secret "$GT_SECRET" --key gt-1 --hub-only
contains "a Gitea delivery signed with X-Hub-Signature-256 alone is queued" "$OUT" '202 {"status":"queued"'
deliver gitea --number 2 --secret "$GT_SECRET" --key gt-2 --hub-only --bad-secret
contains "with another secret, 401" "$OUT" "401"
deliver gitea --number 2 --secret "$GT_SECRET" --key gt-3 --hub-only --signature "sha256=$good"
contains "a signature of another body, 401" "$OUT" "401"
deliver gitea --number 2 --secret "$GT_SECRET" --key gt-4
contains "and with both headers (as Gitea sends them), queued" "$OUT" '202 {"status":"queued"'
reviewed /api/v1/repos/owner/repo/pulls/1/reviews 1 && ok "the Gitea delivery is reviewed too" ||
	fail "the Gitea delivery is reviewed too" "$(tail -5 "$TMP/daemon.log")"

http_get /metrics
for m in 'pysec_webhook_deliveries_total{forge="github",result="queued"} 1' \
	'pysec_webhook_deliveries_total{forge="github",result="duplicate"} 1' \
	'pysec_webhook_deliveries_total{forge="github",result="unauthorized"} 5' \
	'pysec_webhook_deliveries_total{forge="github",result="ignored"} 4'; do
	contains "metric $m" "$OUT" "$m"
done
stop_daemon
