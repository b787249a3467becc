# lib-daemon.sh: sourced (after lib.sh, and after lib-forge.sh when a test
# uses the stand-in forge) by the daemon tests.  Starts `git pysec serve`
# processes and stops every one of them (by process id) when the test ends.
DAEMON_PIDS=""
trap 'for p in $DAEMON_PIDS ${FORGE_PIDS:-}; do kill -9 "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

# start_daemon CONFIG [ARGS...]: start the daemon in the background, its log
# appended to $TMP/daemon.log; wait until it says it is ready.  Sets
# DAEMON_PID, and HTTP_URL when it listens for webhooks (with --port-file).
# With DAEMON_AS=USER (lib-users.sh), it runs as that user.
start_daemon() {
	local conf=$1 before port=$TMP/port; shift
	before=$(grep -c '"msg":"ready"' "$TMP/daemon.log" 2>/dev/null)
	rm -f "$port"
	if [ -n "${DAEMON_AS:-}" ]; then
		# the daemon's user writes the port where it may
		port=$TMP/port.$DAEMON_AS
		: > "$port" && chown "$DAEMON_AS" "$port"
		as_user_prefix "$DAEMON_AS"
		"${AS_USER[@]}" git-pysec serve --config "$conf" --port-file "$port" "$@" >> "$TMP/daemon.log" 2>&1 &
	else
		git-pysec serve --config "$conf" --port-file "$port" "$@" >> "$TMP/daemon.log" 2>&1 &
	fi
	DAEMON_PID=$!
	DAEMON_PIDS="$DAEMON_PIDS $DAEMON_PID"
	wait_until 60 ready_or_gone "${before:-0}"
	if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
		fail "the daemon starts" "$(tail -5 "$TMP/daemon.log")"
		return 1
	fi
	[ -s "$port" ] && HTTP_URL="http://127.0.0.1:$(cat "$port")"
	return 0
}

# ready_or_gone BEFORE: the log says "ready" more than BEFORE times, or the daemon has ended
ready_or_gone() {
	[ "$(grep -c '"msg":"ready"' "$TMP/daemon.log" 2>/dev/null)" -gt "$1" ] || ! kill -0 "$DAEMON_PID" 2>/dev/null
}

# stop_daemon [SIGNAL]: signal the daemon (TERM by default) and wait for it to end.
stop_daemon() {
	kill -"${1:-TERM}" "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_RC=$?
}

# push_killing_daemon SOCKET ARGS...: `git push ARGS` while the daemon is stopped,
# the daemon killed (SIGKILL) once the hook's connection waits in its backlog;
# the push's output in $OUT, its exit code in $rc
# backlog_is SOCKET N: N connections wait in SOCKET's listen queue
backlog_is() { [ "$(ss -xlH src "$1" | awk '{ print $3 }')" = "$2" ]; }
push_killing_daemon() {
	local sock=$1 bg; shift
	kill -STOP "$DAEMON_PID"
	git push "$@" > "$TMP/bg.out" 2>&1 &
	bg=$!
	wait_until 60 backlog_is "$sock" 1 && ok "the hook waits for the stopped daemon" ||
		fail "the hook waits for the stopped daemon" "$(ss -xl src "$sock")"
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	wait "$bg"
	rc=$?
	OUT=$(cat "$TMP/bg.out")
}

# daemon_log_count TEXT: how many lines of the daemon's log hold TEXT.
daemon_log_count() { grep -c -- "$1" "$TMP/daemon.log"; }
# log_at_least N TEXT: at least N lines of the daemon's log hold TEXT
log_at_least() { [ "$(daemon_log_count "$2")" -ge "$1" ]; }
# healthy [URL]: the daemon at URL ($HTTP_URL by default) answers /healthz with ok
healthy() { [ "$(curl -s --max-time 10 "${1:-$HTTP_URL}/healthz")" = ok ]; }

# http_get PATH: the daemon's answer to GET PATH, in $OUT.
http_get() { OUT=$(curl -s --max-time 10 "$HTTP_URL$1"); }

# metric NAME{LABELS}: one value from /metrics.
metric() {
	curl -s --max-time 10 "$HTTP_URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

# metric_is NAME VALUE: /metrics says VALUE for NAME
metric_is() { [ "$(metric "$1")" = "$2" ]; }

# q SQL: rows of the daemon's queue ($QUEUE, else $TMP/queue.db), "|"-separated
q() { python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
for r in c.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in r))' "${QUEUE:-$TMP/queue.db}" "$1"; }

# drain: wait until no job is queued or running (at most a minute); the jobs are in
# $JOBS_TABLE (PostgreSQL's pysec_jobs, where a test's q reads that), else jobs
drain() {
	wait_until 60 idle
}
# idle: no job is queued or running
idle() { [ "$(q "SELECT count(*) FROM ${JOBS_TABLE:-jobs} WHERE state IN ('queued', 'running')")" = 0 ]; }

# review_project: what the review tests of the daemon share (lib-forge.sh first):
# a project in $TMP/work whose topic commit adds shell=True (BASE, HEAD), the
# stand-in forge knowing it as GitLab project 7, group/proj, with merge
# requests !1 to !9 from BASE to HEAD, and its API token and webhook secret
# (TOKEN, GL_SECRET) in files every user may read, $TMP/conf/token and gl-secret.
review_project() {
	mkdir -p "$TMP/conf" && chmod 0755 "$TMP/conf"
	TOKEN="tok-$$" GL_SECRET="gl-$$"
	printf '%s\n' "$TOKEN" > "$TMP/conf/token"
	printf '%s\n' "$GL_SECRET" > "$TMP/conf/gl-secret"
	chmod 0644 "$TMP/conf/token" "$TMP/conf/gl-secret"
	new_repo "$TMP/work"
	printf 'import subprocess\nsubprocess.call(cmd)\n' > "$TMP/work/a.py"
	commit_all "$TMP/work" base
	BASE=$(git -C "$TMP/work" rev-parse HEAD)
	printf 'import subprocess\nsubprocess.call(cmd, shell=True)\n' > "$TMP/work/a.py"
	commit_all "$TMP/work" topic
	HEAD=$(git -C "$TMP/work" rev-parse HEAD)
	start_forge fg
	forge_ctl "$(python3 - "$BASE" "$HEAD" "$TMP/work" "$TOKEN" <<'EOF'
import json, sys
base, head, repo, token = sys.argv[1:]
mrs = {str(i): {"base": base, "start": base, "head": head} for i in range(1, 10)}
print(json.dumps({"token": token, "gitlab": {"projects": {"7": {"path": "group/proj", "repo": repo, "mrs": mrs}}}}))
EOF
)"
}
