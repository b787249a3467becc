#!/bin/bash
# Webhooks into reviews, through the daemon (`git pysec serve`) and the
# stand-in forge (tests/forge/server.py): GitLab tokens and Gitea signatures
# (good, bad, missing), what is ignored, de-duplication, retries, parking,
# metrics, SIGHUP, and 200 deliveries with the daemon killed (kill -9) and
# restarted in the middle, ending with every request reviewed and no comment
# posted twice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../forge/lib-forge.sh"
. "$(dirname "$0")/lib-daemon.sh"
HOOKS="$(dirname "$0")/../forge/webhook.py"
HOOKS=$(cd "$(dirname "$HOOKS")" && pwd)/webhook.py

TOKEN="tok-$$-secret"
GL_SECRET="gl-hook-$$"
GT_SECRET="gt-hook-$$"
GH_SECRET="gh-hook-$$"
printf '%s\n' "$TOKEN" > "$TMP/token"
printf '%s\n' "$GL_SECRET" > "$TMP/gl-secret"
printf '%s\n' "$GT_SECRET" > "$TMP/gt-secret"
printf '%s\n' "$GH_SECRET" > "$TMP/gh-secret"
start_forge fg
forge_ctl "{\"token\": \"$TOKEN\"}"

new_repo work
cd work
printf 'import subprocess\nsubprocess.call(cmd)\n' > a.py
commit_all . base
BASE=$(git rev-parse HEAD)
git checkout -q -b topic
printf 'import subprocess\nsubprocess.call(cmd, shell=True)\neval(x)\n' > a.py
commit_all . topic1
HEAD1=$(git rev-parse HEAD)
printf 'import os\nos.system(c)\n' > b.py
commit_all . topic2
HEAD2=$(git rev-parse HEAD)
cd "$TMP"

# the forge knows these requests: GitLab !1..!3, !90, !91, !101..!140; Gitea #1..#3, #101..#110
forge_ctl "$(python3 - "$BASE" "$HEAD2" "$TMP/work" <<'EOF'
import json, sys
base, head, repo = sys.argv[1:]
mr = {"base": base, "start": base, "head": head}
pr = {"base": base, "merge_base": base, "head": head}
mrs = {str(i): mr for i in [1, 2, 3, 90, 91] + list(range(101, 141))}
pulls = {str(i): pr for i in [1, 2, 3] + list(range(101, 111))}
print(json.dumps({"gitlab": {"projects": {"7": {"path": "group/proj", "repo": repo, "mrs": mrs}}},
                  "gitea": {"repos": {"owner/repo": {"repo": repo, "pulls": pulls}}}}))
EOF
)"

CONF="$TMP/pysec.conf"
write_conf() {
	cat > "$CONF" <<EOF
[pysec "daemon"]
	listen = 127.0.0.1:${1:-0}
	queueDb = $TMP/queue.db
	reviewWorkers = 4
	attempts = 3
	backoffMs = 20
	backoffMaxMs = 100
	maxBody = 65536
	project = gitlab group/proj $TMP/work
	project = gitea owner/repo $TMP/work
[pysec "gitlab"]
	url = $FORGE_URL
	tokenFile = $TMP/token
	secretFile = $TMP/gl-secret
[pysec "gitea"]
	url = $FORGE_URL
	tokenFile = $TMP/token
	secretFile = $TMP/gt-secret
[pysec "github"]
	secretFile = $TMP/gh-secret
[pysec "review"]
	retries = 1
	retryBaseMs = 10
	retryMaxMs = 20
	timeout = 5
EOF
}
write_conf
start_daemon "$CONF" || exit 1

# hook FORGE ARGS...: one delivery; "STATUS BODY" in $OUT
hook() {
	local forge=$1; shift
	OUT=$(python3 "$HOOKS" "$HTTP_URL" "$forge" "$@")
}

http_get /healthz
test "$OUT" = ok && ok "/healthz answers ok" || fail "/healthz answers ok" "$OUT"

# --- GitLab: X-Gitlab-Token ---------------------------------------------------------------
hook gitlab --project group/proj --number 1 --head "$HEAD2" --secret "$GL_SECRET" --key gl-1
contains "a GitLab delivery with the right token is accepted (202)" "$OUT" '202 {"status":"queued"'
hook gitlab --project group/proj --number 2 --head "$HEAD2" --bad-secret --secret "$GL_SECRET"
contains "a wrong token gets 401" "$OUT" "401"
hook gitlab --project group/proj --number 2 --head "$HEAD2" --no-secret
contains "no token gets 401" "$OUT" "401"
test "$(daemon_log_count '"msg":"webhook refused","forge":"gitlab"')" -eq 2 && ok "both are logged" || fail "both are logged"
contains "saying why" "$(grep 'webhook refused' "$TMP/daemon.log")" '"why":"bad secret"'
contains "either way" "$(grep 'webhook refused' "$TMP/daemon.log")" '"why":"no secret sent"'
hook gitlab --project group/proj --number 1 --head "$HEAD2" --secret "$GL_SECRET" --key gl-1
contains "the same delivery again (Idempotency-Key) is a duplicate" "$OUT" '200 {"status":"duplicate"'

# --- Gitea: X-Gitea-Signature ---------------------------------------------------------------
hook gitea --project owner/repo --number 1 --head "$HEAD2" --secret "$GT_SECRET" --key gt-1
contains "a Gitea delivery with the right signature is accepted" "$OUT" '202 {"status":"queued"'
hook gitea --project owner/repo --number 2 --head "$HEAD2" --secret "$GT_SECRET" --bad-secret
contains "a signature with another secret gets 401" "$OUT" "401"
hook gitea --project owner/repo --number 2 --head "$HEAD2" --secret "$GT_SECRET" --sign-other-body
contains "a signature of another body gets 401" "$OUT" "401"
hook gitea --project owner/repo --number 2 --head "$HEAD2" --no-secret
contains "no signature gets 401" "$OUT" "401"
test "$(daemon_log_count '"msg":"webhook refused","forge":"gitea"')" -eq 3 && ok "all three are logged" || fail "all three are logged"
test "$(q "SELECT count(*) FROM jobs WHERE number = 2")" = 0 && ok "and none made a job" || fail "and none made a job"

# --- what is not for the daemon, or not well formed ----------------------------------------------
hook gitlab --project group/proj --number 3 --head "$HEAD2" --secret "$GL_SECRET" --action close
contains "a closed merge request is ignored, with a 200" "$OUT" '200 {"status":"ignored"'
hook gitlab --project group/proj --number 3 --head "$HEAD2" --secret "$GL_SECRET" --action update --no-oldrev
contains "an update that moved no code (no oldrev) too" "$OUT" '"status":"ignored"'
hook gitlab --project other/proj --number 3 --head "$HEAD2" --secret "$GL_SECRET"
contains "a project with no repository here too" "$OUT" "no repository is mapped"
hook gitlab --project group/proj --number 3 --head "$HEAD2" --secret "$GL_SECRET" --event "Push Hook"
contains "another event too" "$OUT" '"status":"ignored"'
hook gitlab --project group/proj --number 3 --head "$HEAD2" --secret "$GL_SECRET" --pad 70000
contains "a body over pysec.daemon.maxBody gets 413" "$OUT" "413"
OUT=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'X-Gitlab-Token: '"$GL_SECRET" -H 'X-Gitlab-Event: Merge Request Hook' \
	--data-binary 'not json' "$HTTP_URL/webhook/gitlab")
test "$OUT" = 400 && ok "a body that is not JSON gets 400" || fail "a body that is not JSON gets 400" "$OUT"
OUT=$(curl -s -o /dev/null -w '%{http_code}' "$HTTP_URL/webhook/gitlab")
test "$OUT" = 405 && ok "GET on a webhook gets 405" || fail "GET on a webhook gets 405" "$OUT"
OUT=$(curl -s -o /dev/null -w '%{http_code}' "$HTTP_URL/nowhere")
test "$OUT" = 404 && ok "another path gets 404" || fail "another path gets 404" "$OUT"

# --- the reviews -------------------------------------------------------------------------------
drain && ok "the queue drains" || fail "the queue drains" "$(q 'SELECT * FROM jobs')"
test "$(q "SELECT forge || ' ' || number || ' ' || state FROM jobs ORDER BY id" | tr '\n' ,)" = "gitlab 1 done,gitea 1 done," &&
	ok "one job each, done" || fail "one job each, done" "$(q 'SELECT * FROM jobs')"
forge_log
jq_is "every forge request authenticated" '[.[] | select(.auth != "ok")] | length' 0
jq_is "no request broke the API's contract" '[.[].problems[]] | join("; ")' ""
jq_is "GitLab !1: the inline comments on the added lines" \
	'[.[] | select(.method == "POST" and (.path | endswith("merge_requests/1/discussions")) and .body.position) | "\(.body.position.new_path):\(.body.position.new_line)"] | sort | join(" ")' \
	"a.py:2 a.py:3 b.py:2"
jq_is "and its status, failed, on the head" \
	"[.[] | select(.path | endswith(\"/projects/group%2Fproj/statuses/$HEAD2\")) | .body.state] | join(\",\")" failed
jq_is "Gitea #1: one review with the comments" \
	'[.[] | select(.method == "POST" and (.path | endswith("pulls/1/reviews"))) | .body.comments | length] | join(",")' 3
contains "each review is logged" "$(grep '"msg":"review done"' "$TMP/daemon.log")" "3 findings (3 blocking), 3 posted"

# retries with backoff, then success; a forge that keeps failing parks the job
forge_ctl '{"faults": [{"method": "GET", "path": "merge_requests/91$", "status": 502, "times": 4},
	{"method": "GET", "path": "merge_requests/90$", "status": 500, "times": -1}]}'
hook gitlab --project group/proj --number 91 --head "$HEAD2" --secret "$GL_SECRET" --key gl-91
hook gitlab --project group/proj --number 90 --head "$HEAD2" --secret "$GL_SECRET" --key gl-90
drain
test "$(q "SELECT state || ' ' || attempts FROM jobs WHERE number = 91")" = "done 3" &&
	ok "a forge failing twice: retried with backoff, then reviewed" || fail "retried, then reviewed" "$(q 'SELECT * FROM jobs WHERE number = 91')"
test "$(q "SELECT state || ' ' || attempts FROM jobs WHERE number = 90")" = "parked 3" &&
	ok "a forge that keeps failing: parked after pysec.daemon.attempts" || fail "parked" "$(q 'SELECT * FROM jobs WHERE number = 90')"
contains "with its error" "$(q "SELECT error FROM jobs WHERE number = 90")" "HTTP 500"
contains "and logged" "$(grep '"msg":"review parked"' "$TMP/daemon.log")" '"request":90'
forge_ctl '{"faults": []}'
forge_log
jq_is "who the token is, asked once for GitLab's 7 reviews and attempts (the daemon remembers it)" \
	'[.[] | select(.method == "GET" and .path == "/api/v4/user")] | length' 1

# several pending deliveries for one request collapse into one job, at the newest head; the
# forge holds the first review's first request until the other deliveries are in
forge_hold mr2 GET 'merge_requests/2$'
hook gitlab --project group/proj --number 2 --head "$HEAD1" --secret "$GL_SECRET" --key gl-2-a
forge_held mr2 && ok "the first review runs (the forge holds it)" || fail "the first review runs" "$(q 'SELECT * FROM jobs WHERE number = 2')"
hook gitlab --project group/proj --number 2 --head "$BASE" --secret "$GL_SECRET" --key gl-2-b --action update
contains "a delivery while the request's review runs queues a new job" "$OUT" '"status":"queued"'
hook gitlab --project group/proj --number 2 --head "$HEAD2" --secret "$GL_SECRET" --key gl-2-c --action update
contains "the next one joins that pending job" "$OUT" '"status":"merged"'
test "$(q "SELECT state || ' ' || head || ' ' || deliveries FROM jobs WHERE number = 2 ORDER BY id" | tr '\n' ,)" = \
	"running $HEAD1 1,queued $HEAD2 2," && ok "which now names the newest head" ||
	fail "which now names the newest head" "$(q 'SELECT * FROM jobs WHERE number = 2')"
forge_release mr2
drain
test "$(q "SELECT count(*) FROM jobs WHERE number = 2 AND state = 'done'")" = 2 && ok "both are reviewed, one after the other" ||
	fail "both are reviewed, one after the other" "$(q 'SELECT * FROM jobs WHERE number = 2')"

# --- metrics ---------------------------------------------------------------------------------------
http_get /metrics
for m in 'pysec_webhook_deliveries_total{forge="gitlab",result="queued"} 5' \
	'pysec_webhook_deliveries_total{forge="gitlab",result="unauthorized"} 2' \
	'pysec_webhook_deliveries_total{forge="gitea",result="unauthorized"} 3' \
	'pysec_webhook_deliveries_total{forge="gitlab",result="duplicate"} 1' \
	'pysec_webhook_deliveries_total{forge="gitlab",result="merged"} 1' \
	'pysec_webhook_deliveries_total{forge="gitlab",result="too_large"} 1' \
	'pysec_reviews_total{result="parked"} 1' 'pysec_queue_jobs{state="parked"} 1' \
	'pysec_review_seconds_count' 'pysec_hook_scan_seconds_bucket{le="0.1"}' 'pysec_cache_hit_ratio'; do
	contains "/metrics: $m" "$OUT" "$m"
done
test "$(metric 'pysec_cache_lookups_total{result="hit"}')" -ge 1 && ok "reviews of one head share blob results" ||
	fail "reviews of one head share blob results"

# every delivery the webhook fuzz target keeps (fuzz/seeds/webhook), as the forge would send it:
# the first byte is the forge (bit 2: GitHub, else bit 0: Gitea, else GitLab) and whether to sign it
# right (bit 1; bit 3: Gitea's in X-Hub-Signature-256), then headers, a blank line, the body
seeds=$(cd "$(dirname "$0")/../../fuzz/seeds/webhook" && pwd)
for f in "$seeds"/*; do
	OUT=$(python3 - "$HTTP_URL" "$f" "$GL_SECRET" "$GT_SECRET" "$GH_SECRET" <<'EOF'
import hashlib, hmac, http.client, sys, urllib.parse
url, path, gl, gt, gh = sys.argv[1:]
data = open(path, "rb").read()
flags, rest = data[0], data[1:]
head, _, body = rest.partition(b"\n\n") if not rest.startswith(b"\n") else (b"", b"", rest[1:])
forge = "github" if flags & 4 else "gitea" if flags & 1 else "gitlab"
headers = {}
for line in head.split(b"\n"):
    name, sep, value = line.partition(b":")
    if sep and name.strip() and name.decode(errors="replace").isprintable():
        headers[name.decode(errors="replace").strip()] = value.strip().decode(errors="replace")
if flags & 2:
    sig = hmac.new((gt if forge == "gitea" else gh).encode(), body, hashlib.sha256).hexdigest()
    if forge == "gitlab":
        headers["X-Gitlab-Token"] = gl
    elif forge == "gitea" and not flags & 8:
        headers["X-Gitea-Signature"] = sig
    else:
        headers["X-Hub-Signature-256"] = "sha256=" + sig
u = urllib.parse.urlsplit(url)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
c.request("POST", "/webhook/" + forge, body=body, headers=headers)
print(c.getresponse().status)
EOF
)
	case "$OUT" in 200|202|400|401) ok "fuzz seed $(basename "$f"): answered $OUT" ;;
	*) fail "fuzz seed $(basename "$f"): answered" "$OUT" ;; esac
done
drain
http_get /healthz
test "$OUT" = ok && ok "the daemon serves on after them" || fail "the daemon serves on after them" "$OUT"

# --- SIGHUP: a new secret ----------------------------------------------------------------------------
printf 'gl-rotated\n' > "$TMP/gl-secret"
kill -HUP "$DAEMON_PID"
wait_until 60 log_at_least 1 '"msg":"reloaded'
hook gitlab --project group/proj --number 3 --head "$HEAD2" --secret "$GL_SECRET" --key gl-3
contains "after SIGHUP the old secret is refused" "$OUT" "401"
hook gitlab --project group/proj --number 3 --head "$HEAD2" --secret gl-rotated --key gl-3
contains "and the new one accepted" "$OUT" "202"
printf '%s\n' "$GL_SECRET" > "$TMP/gl-secret"
kill -HUP "$DAEMON_PID"
wait_until 60 log_at_least 2 '"msg":"reloaded'
drain

# --- 200 deliveries, kill -9 in the middle --------------------------------------------------------------
# 50 requests (GitLab !101..!140, Gitea #101..#110), four deliveries each:
# open, the same again (a forge's retry), an update, and it again; shuffled.
python3 - "$HEAD2" "$GL_SECRET" "$GT_SECRET" > "$TMP/deliveries.jsonl" <<'EOF'
import json, random, sys
head, gl, gt = sys.argv[1:]
out = []
for n in range(101, 141):
    for k, action in (("a", "open"), ("b", "update")):
        for _ in range(2):
            out.append({"forge": "gitlab", "project": "group/proj", "number": n, "head": head,
                        "action": action, "secret": gl, "key": "gl-%d-%s" % (n, k)})
for n in range(101, 111):
    for k, action in (("a", "opened"), ("b", "synchronized")):
        for _ in range(2):
            out.append({"forge": "gitea", "project": "owner/repo", "number": n, "head": head,
                        "action": action, "secret": gt, "key": "gt-%d-%s" % (n, k)})
random.Random(6).shuffle(out)
print("\n".join(json.dumps(d) for d in out))
EOF
PORT=${HTTP_URL##*:}
stop_daemon TERM
write_conf "$PORT"
# the forge holds a review's first comment, so that the kill lands in the middle of a review too
forge_hold kill POST '/discussions$'
forge_clear
start_daemon "$CONF" || exit 1
# the sender stops starting deliveries after 70 answers, until the daemon was killed
python3 "$HOOKS" --batch "$HTTP_URL" --threads 2 --pace 0.01 --give-up 60 --progress "$TMP/progress" \
	--pause-at 70 --resume "$TMP/resume" < "$TMP/deliveries.jsonl" > "$TMP/answers" 2> "$TMP/sender.err" &
sender=$!
answered() { [ "$(cat "$TMP/progress" 2>/dev/null || echo 0)" -ge "$1" ]; }
wait_until 60 answered 70
forge_held kill
running=$(q "SELECT count(*) FROM jobs WHERE state = 'running'")
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
killed_at=$(cat "$TMP/progress")
# the held comment, and whatever else the killed daemon had sent, reaches the forge before the
# restarted daemon looks at what is posted (a request still on its way then would be posted twice,
# on a real forge too: the test is of what the daemon does, not of that race)
forge_release_done kill
forge_settled && ok "the forge is done with the killed daemon's requests" || fail "the forge is done with the killed daemon's requests" "$(python3 "$FORGE_DIR/ctl.py" "$FORGE_URL/_settled")"
touch "$TMP/resume"
start_daemon "$CONF" || exit 1
wait "$sender"
test "$killed_at" -lt 200 && test "$running" -ge 1 && ok "the daemon was killed after $killed_at of 200 answers (reviews running: $running)" ||
	fail "the daemon was killed in the middle" "after $killed_at, $running reviews running"
test "$(awk '$2 ~ /^20[02]$/' "$TMP/answers" | wc -l)" -eq 200 && ok "every delivery was accepted in the end (2xx)" ||
	fail "every delivery was accepted in the end" "$(awk '$2 !~ /^20[02]$/' "$TMP/answers" | head)" "$(cat "$TMP/sender.err")"
contains "the restart queued the interrupted reviews again" "$(cat "$TMP/daemon.log")" '"msg":"ready"'
drain && ok "the queue drains" || fail "the queue drains" "$(q "SELECT state, count(*) FROM jobs GROUP BY state")"
test "$(q "SELECT count(*) FROM deliveries WHERE id LIKE 'gitlab:gl-1__-_' OR id LIKE 'gitea:gt-1__-_'")" -eq 100 &&
	ok "each of the 100 distinct deliveries is recorded once" || fail "each distinct delivery recorded once" \
	"$(q "SELECT count(*) FROM deliveries")"
test "$(q "SELECT count(*) FROM deliveries AS d LEFT JOIN jobs AS j ON j.id = d.job WHERE d.id LIKE '%-1__-_' AND
	(j.state IS NULL OR j.state NOT IN ('done', 'superseded'))")" = 0 &&
	ok "every accepted delivery led to a finished job" || fail "every accepted delivery led to a finished job" \
	"$(q "SELECT d.id, j.state FROM deliveries AS d LEFT JOIN jobs AS j ON j.id = d.job WHERE j.state IS NULL OR j.state NOT IN ('done', 'superseded')")"
test "$(q "SELECT count(DISTINCT forge || number) FROM jobs WHERE state = 'done' AND number > 100")" = 50 &&
	ok "all 50 requests were reviewed" || fail "all 50 requests were reviewed" "$(q "SELECT forge, number, state FROM jobs WHERE number > 100")"
forge_log
# what the forge applied: answered, or whole but answered to a daemon killed meanwhile
applied_gl='select(.method == "POST" and (.path | test("merge_requests/1[0-9][0-9]/discussions$")) and (.status == 201 or (.status == "client gone" and (.problems | length) == 0)))'
applied_gt='select(.method == "POST" and (.path | test("pulls/1[0-9][0-9]/reviews$")) and (.status == 200 or (.status == "client gone" and (.problems | length) == 0)))'
jq_is "GitLab: each finding of each request was posted once, none twice" \
	"[.[] | $applied_gl | \"\\(.path) \\(.body.body | split(\"\\n\")[0])\"] | group_by(.) | map(length) | \"\\(length) \\(max)\"" "120 1"
jq_is "Gitea: each finding of each request was posted once, none twice" \
	"[.[] | $applied_gt | .path as \$p | .body.comments[] | \"\\(\$p) \\(.body | split(\"\\n\")[0])\"] | group_by(.) | map(length) | \"\\(length) \\(max)\"" "30 1"
jq_is "a status on the head for each request (one per finished job, at least)" \
	"[.[] | select(.method == \"POST\" and (.path | endswith(\"/statuses/$HEAD2\")) and (.status == 201)) | .path] | length >= 50" true
forge_state
jq_is "on the forge: three pysec threads per GitLab request" \
	'[.discussions | to_entries[] | select(.key | test("^7/1[0-9][0-9]$")) | [.value[].notes[0] | select(.type == "DiffNote")] | length] | unique | join(",")' 3
jq_is "on the forge: three comments per Gitea request" \
	'[.review_comments | to_entries[] | select(.key | test("#")) | {k: (.key | split("#")[0]), n: (.value | length)}] | group_by(.k) | map(map(.n) | add) | unique | join(",")' 3

stop_daemon TERM
test "$DAEMON_RC" -eq 0 && ok "SIGTERM: the daemon stops cleanly" || fail "SIGTERM: the daemon stops cleanly" "rc $DAEMON_RC"
