#!/bin/bash
# What the daemon must survive, run as its own user: a second daemon started
# on the same queue, a queue on a disk that fills up (a tiny tmpfs), and a
# stop while a forge accepts the connection and never answers; and the
# queue's files are never world-readable.  Every order of events here comes
# from the forge stand-in holding a request until the test releases it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-users.sh"
. "$(dirname "$0")/../forge/lib-forge.sh"
. "$(dirname "$0")/lib-daemon.sh"
HOOKS=$(cd "$(dirname "$0")/../forge" && pwd)/webhook.py
DAEMON_AS=$T_DAEMON
review_project
# the daemon's copy of the project, and its state directory
git clone -q --bare "$TMP/work" "$TMP/mirror.git" && chown -R "$T_DAEMON:" "$TMP/mirror.git"
user_dir "$TMP/state" "$T_DAEMON" 0700

# write_conf FILE QUEUE [SETTINGS]
write_conf() {
	cat > "$1" <<EOF
[pysec]
	daemonSocket = $TMP/state/pysec.sock
[pysec "daemon"]
	listen = 127.0.0.1:0
	queueDb = $2
	reviewWorkers = 2
	backoffMs = 20
	backoffMaxMs = 100
	project = gitlab group/proj $TMP/mirror.git
${3:-}
[pysec "gitlab"]
	url = $FORGE_URL
	tokenFile = $TMP/conf/token
	secretFile = $TMP/conf/gl-secret
[pysec "review"]
	retries = 1
	retryBaseMs = 10
	timeout = 120
EOF
	chmod 0644 "$1"
}
deliver() { OUT=$(python3 "$HOOKS" "$HTTP_URL" gitlab --project group/proj --number "$1" --head "$HEAD" --secret "$GL_SECRET" --key "$2"); }
# posted N: how many inline comments merge request !N got
posted() {
	forge_log
	printf '%s' "$OUT" | jq "[.[] | select(.method == \"POST\" and (.path | endswith(\"merge_requests/$1/discussions\"))
		and .body.position and (.status == 201 or .status == \"client gone\"))] | length"
}
# exited PID: wait (at most a minute) for a process to end; true when it did
exited() {
	wait_until 60 gone "$1"
}
gone() { ! kill -0 "$1" 2>/dev/null; }

# --- the queue's files are the daemon's alone --------------------------------------------------
QUEUE=$TMP/state/queue.db
write_conf "$TMP/conf/a.conf" "$QUEUE"
umask 022
start_daemon "$TMP/conf/a.conf" || exit 1
deliver 1 m-1
contains "a delivery is queued" "$OUT" "202"
drain
for f in queue.db queue.db-wal queue.db-shm queue.db.lock; do
	mode=$(stat -c %a "$TMP/state/$f" 2>/dev/null)
	test -n "$mode" && test $((0$mode & 7)) -eq 0 && ok "$f is not world-readable ($mode), under umask 022" ||
		fail "$f is not world-readable" "mode ${mode:-missing}"
done

# --- a second daemon on the same queue changes nothing -----------------------------------------
forge_hold first GET 'merge_requests/2$'
deliver 2 m-2
forge_held first && ok "a review runs (the forge holds it)" || fail "a review runs (the forge holds it)"
before=$(q "SELECT state, attempts, updated FROM jobs WHERE number = 2")
as_user "$T_DAEMON" git-pysec serve --config "$TMP/conf/a.conf" > "$TMP/second.out" 2>&1
rc=$?
test "$rc" -eq 3 && ok "a second daemon on the queue exits 3" || fail "a second daemon on the queue exits 3" "exit $rc" "$(cat "$TMP/second.out")"
contains "saying which daemon holds it" "$(cat "$TMP/second.out")" "another daemon (pid $DAEMON_PID) holds the queue '$QUEUE'"
test "$(q "SELECT state, attempts, updated FROM jobs WHERE number = 2")" = "$before" &&
	ok "the running job is untouched" || fail "the running job is untouched" "$before" "$(q "SELECT * FROM jobs WHERE number = 2")"
lacks "nothing was queued again" "$(cat "$TMP/second.out")" "queued again"
kill -0 "$DAEMON_PID" && ok "the first daemon serves on" || fail "the first daemon serves on"
forge_release first
drain
test "$(q "SELECT state FROM jobs WHERE number = 2")" = done && ok "its review ends" || fail "its review ends" "$(q 'SELECT * FROM jobs')"
test "$(posted 2)" = 1 && ok "its one comment is posted once" || fail "its one comment is posted once" "$(posted 2)"
stop_daemon TERM

# --- a queue on a disk that fills up -------------------------------------------------------------
mkdir -p "$TMP/full"
if ! mount -t tmpfs -o size=4m,mode=0700 tmpfs "$TMP/full"; then
	fail "a tiny tmpfs for the queue" "mount failed"
	exit 0
fi
trap 'umount "$TMP/full" 2>/dev/null; for p in $DAEMON_PIDS ${FORGE_PIDS:-}; do kill -9 "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT
chown "$T_DAEMON:" "$TMP/full"
QUEUE=$TMP/full/queue.db
write_conf "$TMP/conf/full.conf" "$QUEUE"
start_daemon "$TMP/conf/full.conf" || exit 1
starts=$(daemon_log_count '"msg":"ready"')
http_get /healthz
test "$OUT" = ok && ok "full disk: /healthz is ok at first" || fail "full disk: /healthz is ok at first" "$OUT"
forge_hold stuck GET 'merge_requests/3$'
deliver 3 f-3
forge_held stuck && ok "full disk: a review runs (held)" || fail "full disk: a review runs (held)"
# fill the disk: whatever the daemon writes next finds no room
head -c 100M /dev/zero > "$TMP/full/filler" 2> /dev/null
test "$(df --output=avail "$TMP/full" | tail -1)" -eq 0 && ok "full disk: the tmpfs is full" || fail "full disk: the tmpfs is full" "$(df "$TMP/full")"
deliver 4 f-4
contains "full disk: a delivery gets 503 (the forge sends it again later)" "$OUT" "503"
code=$(curl -s -o "$TMP/health" -w '%{http_code}' --max-time 10 "$HTTP_URL/healthz")
test "$code" = 503 && ok "full disk: /healthz says 503" || fail "full disk: /healthz says 503" "$code $(cat "$TMP/health")"
contains "full disk: and why" "$(cat "$TMP/health")" "the queue cannot be written"
forge_release stuck
wait_until 60 log_at_least 1 'cannot record the end of a job'
test "$(daemon_log_count 'cannot record the end of a job')" -ge 1 && ok "full disk: the review's end cannot be written" ||
	fail "full disk: the review's end cannot be written" "$(tail -3 "$TMP/daemon.log")"
test "$(q "SELECT state FROM jobs WHERE number = 3")" = running && ok "full disk: so the job is left running" ||
	fail "full disk: so the job is left running" "$(q 'SELECT * FROM jobs WHERE number = 3')"
# room again: no restart, the daemon finds out by itself
rm -f "$TMP/full/filler"
wait_until 60 healthy
http_get /healthz
test "$OUT" = ok && ok "room again: /healthz is ok again" || fail "room again: /healthz is ok again" "$OUT"
drain
test "$(q "SELECT state FROM jobs WHERE number = 3")" = done && ok "room again: the stuck job is reviewed, without a restart" ||
	fail "room again: the stuck job is reviewed" "$(q 'SELECT * FROM jobs WHERE number = 3')"
test "$(posted 3)" = 1 && ok "room again: its comment was posted once" || fail "room again: its comment was posted once" "$(posted 3)"
deliver 4 f-4
contains "room again: the delivery sent again is queued" "$OUT" "202"
drain
kill -0 "$DAEMON_PID" && test "$(daemon_log_count '"msg":"ready"')" -eq "$starts" &&
	ok "room again: all of it in one run of the daemon, no restart" || fail "room again: no restart"
stop_daemon TERM
umount "$TMP/full"

# --- SIGTERM while the forge accepts and never answers -------------------------------------------
QUEUE=$TMP/state/queue.db
write_conf "$TMP/conf/a.conf" "$QUEUE" "	stopTimeout = 10
	requestTimeout = 120
	allowUser = $T_DAEMON
	allowUser = root"
start_daemon "$TMP/conf/a.conf" || exit 1
forge_hold hung GET 'merge_requests/5$' -1
deliver 5 h-5
forge_held hung && ok "stop: a review waits for a forge that never answers" || fail "stop: a review waits for the forge"
kill -TERM "$DAEMON_PID"
exited "$DAEMON_PID" && ok "stop: SIGTERM ends the daemon though the forge never answers" ||
	fail "stop: SIGTERM ends the daemon though the forge never answers" "$(tail -3 "$TMP/daemon.log")"
wait "$DAEMON_PID" 2>/dev/null
test "$?" -eq 0 && ok "stop: it exits 0" || fail "stop: it exits 0"
contains "stop: the review was interrupted" "$(cat "$TMP/daemon.log")" "review interrupted by the stop; queued again"
test "$(q "SELECT state || ' ' || attempts FROM jobs WHERE number = 5")" = "queued 0" &&
	ok "stop: the job is back in the queue, the attempt not counted" ||
	fail "stop: the job is back in the queue" "$(q 'SELECT * FROM jobs WHERE number = 5')"
forge_release hung
forge_ctl '{"holds": []}'
start_daemon "$TMP/conf/a.conf" || exit 1
drain
test "$(q "SELECT state FROM jobs WHERE number = 5")" = done && ok "stop: the next start reviews it" ||
	fail "stop: the next start reviews it" "$(q 'SELECT * FROM jobs WHERE number = 5')"
test "$(posted 5)" = 1 && ok "stop: its comment is posted once" || fail "stop: its comment is posted once" "$(posted 5)"

# a hook connection that never sends its request (the worker would wait requestTimeout, 120 s):
# the stop ends at pysec.daemon.stopTimeout all the same
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
print("connected", flush=True)
time.sleep(300)
' "$TMP/state/pysec.sock" > "$TMP/silent.out" 2>&1 &
silent=$!
DAEMON_PIDS="$DAEMON_PIDS $silent"
wait_until 60 grep -q connected "$TMP/silent.out"
wait_until 60 metric_is pysec_hook_workers_busy 1
test "$(metric pysec_hook_workers_busy)" = 1 && ok "stop: a hook worker waits for a request that never comes" ||
	fail "stop: a hook worker waits for a request"
kill -TERM "$DAEMON_PID"
exited "$DAEMON_PID" && ok "stop: the daemon ends at its deadline anyway" || fail "stop: the daemon ends at its deadline anyway"
contains "stop: saying so" "$(cat "$TMP/daemon.log")" "stopped at the deadline, with work unfinished"
kill "$silent" 2>/dev/null
