#!/bin/bash
# Three daemons on one PostgreSQL queue (pysec.daemon.queueDb = postgresql://
# or a conninfo), against a real PostgreSQL 15 that the test starts itself
# (initdb and pg_ctl as an unprivileged user, on a Unix socket in the test's
# directory, password authentication): the schema made once by daemons
# starting together, duplicates and collapsing across daemons, one review of
# a request at a time in the whole cluster, the database stopped (503,
# /healthz, hooks unaffected, reconnecting) and 300 deliveries spread over
# the three with two of them killed (kill -9) in the middle of reviews and
# the database restarted: every accepted delivery reviewed, no comment
# posted twice, no request reviewed by two daemons at once (the stand-in
# forge tells the daemons apart by the process at the other end of each
# connection).  Every order of events comes from the stand-in's holds or
# from polling for a condition with a deadline.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-users.sh"
. "$(dirname "$0")/../forge/lib-forge.sh"
. "$(dirname "$0")/lib-daemon.sh"
HOOKS=$(cd "$(dirname "$0")/../forge" && pwd)/webhook.py
PGBIN=/usr/lib/postgresql/15/bin
if [ ! -x "$PGBIN/initdb" ] || ! command -v psql > /dev/null; then
	fail "PostgreSQL 15 is installed (install.sh --deps-only)" "no $PGBIN/initdb or psql"
	exit 0
fi

# --- PostgreSQL, as its own user ---------------------------------------------------------------
T_PG=pysec-t-pg
ensure_user "$T_PG"
mkdir -p "$TMP/homes/$T_PG" && chown "$T_PG:" "$TMP/homes/$T_PG"
PG=$TMP/pg
user_dir "$PG" "$T_PG" 0700
SU_PW="su-$$-pw" PG_PW="pysec-$$-pw"
printf '%s\n' "$SU_PW" > "$PG/su.pw" && chown "$T_PG:" "$PG/su.pw"
pg_ctl() { as_user "$T_PG" "$PGBIN/pg_ctl" -D "$PG/data" -l "$PG/log" "$@" > /dev/null; }
pg_start() { pg_ctl -o "-k $PG -c listen_addresses=''" -w -t 120 start; }
trap 'for p in $DAEMON_PIDS ${FORGE_PIDS:-}; do kill -9 "$p" 2>/dev/null; done; pg_ctl -m immediate stop 2>/dev/null; rm -rf "$TMP"' EXIT
if ! as_user "$T_PG" "$PGBIN/initdb" -D "$PG/data" -U postgres -E UTF8 --locale=C -A scram-sha-256 --pwfile="$PG/su.pw" -N > "$PG/initdb.log" 2>&1 ||
	! pg_start; then
	fail "PostgreSQL starts" "$(tail -5 "$PG/initdb.log" "$PG/log" 2>/dev/null)"
	exit 1
fi
PGPASSWORD=$SU_PW psql -X -q -h "$PG" -U postgres -d postgres -c "CREATE ROLE pysec LOGIN PASSWORD '$PG_PW'" \
	-c "CREATE DATABASE pysec OWNER pysec" > /dev/null || { fail "the queue's database and role are made"; exit 1; }
# the queue's unit tests (tests/unit/test_daemon_queue.c), which make check-unit runs on SQLite,
# on this server: a database of their own
SRC=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath --relative-to="$SRC" "$(dirname "$(readlink -f "$PYSEC_BIN")")")
PGPASSWORD=$SU_PW psql -X -q -h "$PG" -U postgres -d postgres -c "CREATE DATABASE pysec_unit OWNER pysec" > /dev/null
# shellcheck disable=SC2086
if make -s -C "$SRC" ${PYSEC_MAKE_VARS:-BUILD=$build} "$build/tests/test_daemon_queue" > "$TMP/unit.log" 2>&1 &&
	PYSEC_TEST_QUEUE_DB="host=$PG dbname=pysec_unit user=pysec" PYSEC_TEST_QUEUE_PASSWORD=$PG_PW \
		"$SRC/$build/tests/test_daemon_queue" >> "$TMP/unit.log" 2>&1; then
	ok "the queue's unit tests pass on PostgreSQL ($(grep -c '^\[       OK' "$TMP/unit.log") tests)"
else
	fail "the queue's unit tests pass on PostgreSQL" "$(tail -20 "$TMP/unit.log")"
fi

# q SQL: rows of the shared queue, "|"-separated (lib-daemon.sh's drain reads it too)
q() { PGPASSWORD=$PG_PW psql -X -q -h "$PG" -U pysec -d pysec -At -F '|' -c "$1"; }
JOBS_TABLE=pysec_jobs

# --- the forge, the project, three daemons -----------------------------------------------------------
review_project
forge_ctl "$(python3 - "$BASE" "$HEAD" "$TMP/work" <<'EOF'
import json, sys
base, head, repo = sys.argv[1:]
mr = {"base": base, "start": base, "head": head}
pr = {"base": base, "merge_base": base, "head": head}
print(json.dumps({"peer_pids": True,
                  "gitlab": {"projects": {"7": {"path": "group/proj", "repo": repo,
                                                "mrs": {str(i): mr for i in list(range(1, 10)) + list(range(201, 281))}}}},
                  "gitea": {"repos": {"owner/repo": {"repo": repo, "pulls": {str(i): pr for i in range(201, 222)}}}}}))
EOF
)"
GT_SECRET="gt-$$"
printf '%s\n' "$GT_SECRET" > "$TMP/conf/gt-secret"
printf '%s\n' "$PG_PW" > "$TMP/conf/pg-pw"
chmod 0600 "$TMP/conf/pg-pw"
mkdir -p "$TMP/srv"
git clone -q --bare "$TMP/work" "$TMP/srv/app.git" && git pysec install "$TMP/srv/app.git" > /dev/null
# the first daemon names the queue by URI, the others by conninfo
QDB[1]="postgresql://pysec@/pysec?host=$PG"
QDB[2]="host=$PG dbname=pysec user=pysec"
QDB[3]="host=$PG user=pysec dbname=pysec application_name=other"
# write_conf N PORT: daemon N's configuration, $TMP/conf/N.conf; the first also serves hooks
write_conf() {
	cat > "$TMP/conf/$1.conf" <<EOF
[pysec]
$([ "$1" = 1 ] && printf '\tdaemonSocket = %s\n' "$TMP/d1.sock")
	daemonTimeout = 120
	timeBudget = 120
[pysec "daemon"]
	root = $TMP/srv
	listen = 127.0.0.1:${2:-0}
	queueDb = ${QDB[$1]}
	queuePasswordFile = $TMP/conf/pg-pw
	queueLease = 6
	# one review at a time each: a daemon killed in a review has nothing else in flight
	reviewWorkers = 1
	attempts = 10
	backoffMs = 20
	backoffMaxMs = 200
	project = gitlab group/proj $TMP/work
	project = gitea owner/repo $TMP/work
[pysec "gitlab"]
	url = $FORGE_URL
	tokenFile = $TMP/conf/token
	secretFile = $TMP/conf/gl-secret
[pysec "gitea"]
	url = $FORGE_URL
	tokenFile = $TMP/conf/token
	secretFile = $TMP/conf/gt-secret
[pysec "review"]
	retries = 1
	retryBaseMs = 10
	retryMaxMs = 20
	timeout = 60
EOF
}
for n in 1 2 3; do write_conf $n; done
# the three start at once: their first connections race to make the schema
for n in 1 2 3; do
	git-pysec serve --config "$TMP/conf/$n.conf" --port-file "$TMP/port.$n" >> "$TMP/daemon.log" 2>&1 &
	PID[$n]=$!
	DAEMON_PIDS="$DAEMON_PIDS $!"
done
three_ready() {
	[ "$(daemon_log_count '"msg":"ready"')" -ge 3 ] && [ -s "$TMP/port.1" ] && [ -s "$TMP/port.2" ] && [ -s "$TMP/port.3" ]
}
wait_until 60 three_ready
test "$(daemon_log_count '"msg":"ready"')" -eq 3 && ok "three daemons start together on one queue" ||
	{ fail "three daemons start together on one queue" "$(tail -5 "$TMP/daemon.log")"; exit 1; }
for n in 1 2 3; do
	PORT[$n]=$(cat "$TMP/port.$n")
	URL[$n]="http://127.0.0.1:${PORT[$n]}"
	write_conf $n "${PORT[$n]}"
done
test "$(q 'SELECT version FROM pysec_schema')" = 1 && ok "the schema is made once, at version 1" ||
	fail "the schema is made once, at version 1" "$(q 'SELECT * FROM pysec_schema')"
test "$(daemon_log_count '"msg":"queue: schema migrated"')" -eq 1 && ok "by one of them; the others found it made" ||
	fail "by one of them; the others found it made" "$(grep -c 'schema migrated' "$TMP/daemon.log")"
lacks "and none failed" "$(cat "$TMP/daemon.log")" '"level":"error"'
for n in 1 2 3; do
	test "$(curl -s --max-time 10 "${URL[$n]}/healthz")" = ok && ok "daemon $n: /healthz is ok" || fail "daemon $n: /healthz is ok"
done

# deliver N FORGE NUMBER [ARGS...]: one delivery to daemon N; "STATUS BODY" in $OUT
deliver() {
	local n=$1 forge=$2 number=$3 secret=$GL_SECRET project=group/proj; shift 3
	[ "$forge" = gitea ] && secret=$GT_SECRET project=owner/repo
	OUT=$(python3 "$HOOKS" "${URL[$n]}" "$forge" --project "$project" --number "$number" --secret "$secret" "$@")
}

# --- duplicates and collapsing, across daemons ---------------------------------------------------------
deliver 1 gitlab 1 --head "$HEAD" --key dup-1
contains "a delivery to the first daemon is queued" "$OUT" '202 {"status":"queued"'
deliver 2 gitlab 1 --head "$HEAD" --key dup-1
contains "the same delivery (its id) to the second is a duplicate" "$OUT" '200 {"status":"duplicate"'
deliver 3 gitea 221 --head "$HEAD"
contains "a Gitea delivery without an id, to the third, is queued" "$OUT" '202 {"status":"queued"'
deliver 1 gitea 221 --head "$HEAD"
contains "the same body to the first is a duplicate (by its hash)" "$OUT" '200 {"status":"duplicate"'
# a delivery id that is not UTF-8 (a header may carry any bytes): recorded all the same
gl_raw() {
	curl -s -o /dev/null -w '%{http_code}' -X POST -H "X-Gitlab-Token: $GL_SECRET" -H 'X-Gitlab-Event: Merge Request Hook' \
		-H $'Idempotency-Key: k\xff\xfe' --data-binary '{"object_kind":"merge_request","project":{"id":7,"path_with_namespace":"group/proj"},"object_attributes":{"iid":5,"action":"open","last_commit":{"id":"'"$HEAD"'"}}}' \
		"${URL[$1]}/webhook/gitlab"
}
test "$(gl_raw 2)" = 202 && ok "a delivery whose id is not UTF-8 is queued" || fail "a delivery whose id is not UTF-8 is queued"
test "$(gl_raw 3)" = 200 && ok "and, sent again to another daemon, is a duplicate" || fail "and, sent again, is a duplicate"
drain && ok "the queue drains" || fail "the queue drains" "$(q 'SELECT * FROM pysec_jobs')"

forge_hold mr2 GET 'merge_requests/2$'
deliver 1 gitlab 2 --head "$HEAD" --key c-2-a
forge_held mr2 && ok "a review of !2 runs (the forge holds it)" || fail "a review of !2 runs"
deliver 2 gitlab 2 --head "$BASE" --key c-2-b --action update
contains "a delivery for !2 to another daemon meanwhile queues a job" "$OUT" '"status":"queued"'
deliver 3 gitlab 2 --head "$HEAD" --key c-2-c --action update
contains "the next one, to the third, joins it" "$OUT" '"status":"merged"'
test "$(q "SELECT state || ' ' || head || ' ' || deliveries FROM pysec_jobs WHERE number = 2 ORDER BY id" | tr '\n' ,)" = \
	"running $HEAD 1,queued $HEAD 2," && ok "which names the newest head; the first still runs" ||
	fail "which names the newest head" "$(q 'SELECT * FROM pysec_jobs WHERE number = 2')"
# two daemons idle, and !2's queued job waits for the running one
deliver 2 gitlab 3 --head "$HEAD" --key c-3
job_done() { [ "$(q "SELECT state FROM pysec_jobs WHERE number = $1")" = done ]; }
wait_until 60 job_done 3
test "$(q "SELECT state FROM pysec_jobs WHERE number = 2 ORDER BY id" | tr '\n' ,)" = "running,queued," &&
	ok "another request is reviewed meanwhile, and !2's second job still waits for its first" ||
	fail "!2's second job waits for its first" "$(q 'SELECT * FROM pysec_jobs WHERE number IN (2, 3)')"
forge_release mr2
drain
test "$(q "SELECT count(*) FROM pysec_jobs WHERE number = 2 AND state = 'done'")" = 2 && ok "then both are reviewed" ||
	fail "then both are reviewed" "$(q 'SELECT * FROM pysec_jobs WHERE number = 2')"

# --- who handled what ----------------------------------------------------------------------------------------
contains "the log names the daemon (host:pid) of each review" "$(grep '"msg":"review done"' "$TMP/daemon.log")" \
	"\"daemon\":\"$(hostname):"
done_by=$(q "SELECT DISTINCT daemon FROM pysec_jobs WHERE state = 'done'" | wc -l)
test "$done_by" -ge 1 && ok "and so does the queue ($done_by daemons)" || fail "and so does the queue"
HTTP_URL=${URL[2]}
http_get /metrics
contains "/metrics names the queue and the daemon" "$OUT" "pysec_queue_info{queue=\"postgresql\",daemon=\"$(hostname):${PID[2]}\"} 1"
contains "and the cluster's jobs by state" "$OUT" 'pysec_queue_jobs{state="done"}'

# --- the database away ------------------------------------------------------------------------------------------
pg_ctl -m fast stop
deliver 1 gitlab 4 --head "$HEAD" --key down-4
contains "database stopped: a delivery gets 503 (the forge sends it again)" "$OUT" "503"
code=$(curl -s -o "$TMP/health" -w '%{http_code}' --max-time 10 "${URL[3]}/healthz")
test "$code" = 503 && ok "database stopped: /healthz says 503" || fail "database stopped: /healthz says 503" "$code"
contains "saying why" "$(cat "$TMP/health")" "postgresql"
export PYSEC_CONFIG=$TMP/conf/1.conf
git clone -q "$TMP/srv/app.git" "$TMP/app.work" && cd "$TMP/app.work" || exit 1
printf 'import subprocess\nsubprocess.call(cmd, shell=True)\n' > hook.py
git add hook.py && git commit -qm bad
push_expect 1 "database stopped: a push adding shell=True is still rejected" origin HEAD:main
lacks "by the daemon, as before" "$OUT" "scanning here"
test "$(daemon_log_count '"verdict":"reject"')" -eq 1 && ok "the daemon judged it" || fail "the daemon judged it"
cd "$TMP"
pg_start
wait_until 60 healthy "${URL[3]}"
test "$(curl -s --max-time 10 "${URL[3]}/healthz")" = ok && ok "database back: /healthz is ok again, no restart" ||
	fail "database back: /healthz is ok again"
deliver 1 gitlab 4 --head "$HEAD" --key down-4
contains "database back: the delivery sent again is queued" "$OUT" "202"
drain && test "$(q "SELECT state FROM pysec_jobs WHERE number = 4")" = done &&
	ok "and reviewed" || fail "and reviewed" "$(q 'SELECT * FROM pysec_jobs WHERE number = 4')"

# --- 300 deliveries over three daemons; two killed mid-review; the database restarted --------------------------
# 80 GitLab merge requests (!201..!280): open, the same again (a forge's retry), an update;
# 20 Gitea pull requests (#201..#220) without delivery ids: opened, the same body again, synchronized
python3 - "$HEAD" "$GL_SECRET" "$GT_SECRET" > "$TMP/deliveries.jsonl" <<'EOF'
import json, random, sys
head, gl, gt = sys.argv[1:]
out = []
for n in range(201, 281):
    for key, action in (("a", "open"), ("a", "open"), ("b", "update")):
        out.append({"forge": "gitlab", "project": "group/proj", "number": n, "head": head,
                    "action": action, "secret": gl, "key": "gl-%d-%s" % (n, key)})
for n in range(201, 221):
    for action in ("opened", "opened", "synchronized"):
        out.append({"forge": "gitea", "project": "owner/repo", "number": n, "head": head,
                    "action": action, "secret": gt})
random.Random(17).shuffle(out)
print("\n".join(json.dumps(d) for d in out))
EOF
forge_clear
before=$(q "SELECT coalesce(max(id), 0) FROM pysec_jobs")
KILLED=""
# kill_holder NAME: kill -9 the daemon whose review the forge holds under NAME, let the held
# request end (the forge applies it, to a client gone), and start that daemon again
kill_holder() {
	local pid n
	forge_log
	pid=$(printf '%s' "$OUT" | jq -r --arg h "$1" '[.[] | select(.held == $h)][0].pid')
	for n in 1 2 3; do [ "${PID[$n]}" = "$pid" ] && break; done
	if [ "${PID[$n]}" != "$pid" ]; then
		fail "the held review is one daemon's" "pid $pid"
		return 1
	fi
	RUNNING_AT_KILL=$(q "SELECT count(*) FROM pysec_jobs WHERE state = 'running' AND daemon = '$(hostname):$pid'")
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	KILLED="$KILLED $n"
	forge_release_done "$1"
	start_daemon "$TMP/conf/$n.conf" || return 1
	PID[$n]=$DAEMON_PID
}
hold_reviews() {
	forge_ctl "{\"holds\": [{\"name\": \"$1\", \"method\": \"POST\", \"path\": \"(discussions|reviews)$\", \"times\": 1, \"pids\": $2}]}"
}
hold_reviews k1 "[${PID[1]}, ${PID[2]}, ${PID[3]}]"
python3 "$HOOKS" --batch "${URL[1]},${URL[2]},${URL[3]}" --threads 3 --pace 0.005 --give-up 120 --progress "$TMP/progress" \
	--pause-at 100 --pause-at 200 --resume "$TMP/resume" < "$TMP/deliveries.jsonl" > "$TMP/answers" 2> "$TMP/sender.err" &
sender=$!
DAEMON_PIDS="$DAEMON_PIDS $sender"
progress() { cat "$TMP/progress" 2>/dev/null || echo 0; }
answered() { [ "$(progress)" -ge "$1" ]; }
wait_until 120 answered 100
forge_held k1 && kill_holder k1 && test "$RUNNING_AT_KILL" -ge 1 &&
	ok "a daemon was killed (kill -9) in a review, after $(progress) of 300 answers, and started again" ||
	fail "a daemon was killed in a review" "running: ${RUNNING_AT_KILL:-?}" "$(tail -3 "$TMP/daemon.log")"
first=${KILLED# }
# the second kill: one of the two others
others=""
for n in 1 2 3; do [ "$n" != "$first" ] && others="$others${others:+, }${PID[$n]}"; done
hold_reviews k2 "[$others]"
touch "$TMP/resume"
wait_until 120 answered 150
restart_at=$(progress)
pg_ctl -m fast -w -t 120 restart -o "-k $PG -c listen_addresses=''" &&
	ok "the database was restarted after $restart_at of 300 answers" || fail "the database was restarted"
wait_until 120 answered 200
forge_held k2 && kill_holder k2 && ok "a second daemon was killed in a review, after $(progress) answers, and started again" ||
	fail "a second daemon was killed in a review"
touch "$TMP/resume.2"
wait "$sender"
test "$(awk '$2 ~ /^20[02]$/' "$TMP/answers" | wc -l)" -eq 300 && ok "every delivery was accepted in the end (2xx)" ||
	fail "every delivery was accepted in the end" "$(awk '$2 !~ /^20[02]$/' "$TMP/answers" | head)" "$(tail -3 "$TMP/sender.err")"
test "$(awk '$2 == 202 { print $3 }' "$TMP/answers" | sort -u | wc -l)" -eq 3 && ok "spread over the three daemons" ||
	fail "spread over the three daemons" "$(awk '{ print $3 }' "$TMP/answers" | sort | uniq -c)"
test "$(echo $KILLED | wc -w)" -eq 2 && test "${KILLED% *}" != "${KILLED#* }" && ok "two different daemons were killed" ||
	fail "two different daemons were killed" "$KILLED"
drain && ok "the queue drains" || fail "the queue drains" "$(q "SELECT state, count(*) FROM pysec_jobs GROUP BY state")"
test "$(q "SELECT count(*) FROM pysec_deliveries WHERE id LIKE 'gitlab:gl-2__-_' OR (id LIKE 'gitea:%' AND job IN
	(SELECT id FROM pysec_jobs WHERE id > $before))")" -eq 200 && ok "each of the 200 distinct deliveries is recorded once" ||
	fail "each distinct delivery is recorded once" "$(q "SELECT count(*) FROM pysec_deliveries")"
test "$(q "SELECT count(*) FROM pysec_deliveries AS d JOIN pysec_jobs AS j ON j.id = d.job WHERE j.id > $before AND NOT
	(j.state = 'done' OR (j.state = 'superseded' AND EXISTS (SELECT 1 FROM pysec_jobs AS n WHERE n.forge = j.forge AND
	n.number = j.number AND n.id > j.id AND n.state = 'done')))")" = 0 &&
	ok "every accepted delivery was reviewed (its job, or a later one of its request, is done)" ||
	fail "every accepted delivery was reviewed" "$(q "SELECT * FROM pysec_jobs WHERE id > $before AND state <> 'done'")"
test "$(q "SELECT count(DISTINCT forge || number) FROM pysec_jobs WHERE state = 'done' AND id > $before")" = 100 &&
	ok "all 100 requests were reviewed" || fail "all 100 requests were reviewed" "$(q "SELECT forge, number, state FROM pysec_jobs WHERE id > $before")"
test "$(daemon_log_count '"msg":"queue: a lease expired; the job is taken back"')" -ge 2 &&
	ok "the killed daemons' jobs were taken back when their leases expired" ||
	fail "the killed daemons' jobs were taken back" "$(grep -c 'taken back' "$TMP/daemon.log")"
test "$(q "SELECT count(DISTINCT daemon) FROM pysec_jobs WHERE state = 'done' AND id > $before")" -ge 3 &&
	ok "the reviews were shared among the daemons" || fail "the reviews were shared" "$(q "SELECT daemon, count(*) FROM pysec_jobs GROUP BY daemon")"
forge_log
applied_gl='select(.method == "POST" and (.path | test("merge_requests/2[0-9][0-9]/discussions$")) and (.status == 201 or (.status == "client gone" and (.problems | length) == 0)))'
applied_gt='select(.method == "POST" and (.path | test("pulls/2[0-9][0-9]/reviews$")) and (.status == 200 or (.status == "client gone" and (.problems | length) == 0)))'
jq_is "GitLab: each finding of each request was posted once, none twice" \
	"[.[] | $applied_gl | \"\\(.path) \\(.body.body | split(\"\\n\")[0])\"] | group_by(.) | map(length) | \"\\(length) \\(max)\"" "80 1"
jq_is "Gitea: each finding of each request was posted once, none twice" \
	"[.[] | $applied_gt | .path as \$p | .body.comments[] | \"\\(\$p) \\(.body | split(\"\\n\")[0])\"] | group_by(.) | map(length) | \"\\(length) \\(max)\"" "20 1"
jq_is "the forge knew the daemon of every request" '[.[] | select(.pid == null) | "\(.method) \(.path) \(.t)"] | join(", ")' ""
# one review of a request at a time: a review is a daemon's requests for it from its GET of the
# request on; two daemons' reviews of one request must not overlap in time
overlaps=$(printf '%s' "$OUT" | python3 -c '
import json, re, sys
sessions = {}   # request -> [[pid, first, last]], a review each
current = {}    # (request, pid) -> the review it is in
for e in sorted(json.load(sys.stdin), key=lambda e: e["t"]):
    m = re.search(r"/(merge_requests|pulls|issues)/(\d+)(/|$)", e["path"])
    if not m:
        continue
    req = ("gitlab" if m.group(1) == "merge_requests" else "gitea") + " " + m.group(2)
    key = (req, e["pid"])
    if key not in current or (e["method"] == "GET" and m.group(3) == ""):
        current[key] = [e["pid"], e["t"], e["t"]]
        sessions.setdefault(req, []).append(current[key])
    current[key][2] = e["t"]
bad = ["%s: %s from %.3f to %.3f, %s from %.3f" % (req, a[0], a[1], a[2], b[0], b[1])
       for req, s in sessions.items() for a in s for b in s if a[0] != b[0] and a[1] <= b[1] <= a[2]]
print("\n".join(bad))')
test -z "$overlaps" && ok "no request was reviewed by two daemons at once (as the forge saw it)" ||
	fail "no request was reviewed by two daemons at once" "$overlaps"
forge_state
jq_is "on the forge: one pysec thread per GitLab request" \
	'[.discussions | to_entries[] | select(.key | test("^7/2[0-9][0-9]$")) | [.value[].notes[0] | select(.type == "DiffNote")] | length] | unique | join(",")' 1
for n in 1 2 3; do
	kill -TERM "${PID[$n]}"
done
for n in 1 2 3; do
	wait "${PID[$n]}" 2>/dev/null
	rc=$?
	test "$rc" -eq 0 && ok "daemon $n stops cleanly on SIGTERM" || fail "daemon $n stops cleanly on SIGTERM" "rc $rc"
done
