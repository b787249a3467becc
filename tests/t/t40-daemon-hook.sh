#!/bin/bash
# Pre-receive hooks through the daemon (`git pysec serve`): real pushes whose
# hook sends them over the Unix socket, the same verdict and lines as the
# hook in its own process, the warm cache, and every way the daemon can fail
# the hook (stopped, hung, killed, refusing a user or a path), each ending
# in a scan in the hook's own process.  Then SIGTERM with a push in flight,
# and 50 pushes at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-daemon.sh"

mkdir -p srv outside
SOCK="$TMP/pysec.sock"
export PYSEC_CONFIG="$TMP/pysec.conf"
write_conf() {
	cat > "$PYSEC_CONFIG" <<EOF
[pysec]
	daemonSocket = $SOCK
	# a loaded machine may take seconds to scan: only the tests below that want the timeout get it
	daemonTimeout = 120
	timeBudget = 120
[pysec "daemon"]
	root = $TMP/srv
	workers = 4
	queue = 64
	listen = 127.0.0.1:0
	queueDb = $TMP/queue.db
$1
EOF
}
write_conf ""
expect_exit 0 "the configuration checks out (--check)" git pysec serve --config "$PYSEC_CONFIG" --check
contains "and says what it holds" "$ERR" '"roots":["'"$TMP"'/srv"]'
start_daemon "$PYSEC_CONFIG" || exit 1
test "$(stat -c %a "$SOCK")" = 660 && ok "the socket is mode 0660" || fail "the socket is mode 0660" "$(stat -c %a "$SOCK")"

cd srv
new_server app
cd app.work
printf 'def main():\n    print("hello")\n' > app.py
git add app.py && git commit -qm clean
push_expect 0 "a clean push through the daemon is accepted" origin HEAD:main
lacks "without a word" "$OUT" "pysec:"
test "$(daemon_log_count '"verdict":"accept"')" -eq 1 && ok "the daemon judged it" || fail "the daemon judged it" "$(cat "$TMP/daemon.log")"

printf 'import subprocess\nsubprocess.call(cmd, shell=True)\n' > bad.py
git add bad.py && git commit -qm bad
push_expect 1 "a push adding shell=True is rejected through the daemon" origin HEAD:main
via_daemon=$(printf '%s\n' "$OUT" | grep 'remote: pysec:')
contains "the finding, as a remote: line" "$via_daemon" "remote: pysec: error: bad.py:2: B602 [high/high]"
contains "with its commit (read from the quarantine)" "$via_daemon" "(commit $(git rev-parse --short=10 HEAD))"
lacks "no fallback" "$OUT" "scanning here"
test "$(git -C ../app.git rev-parse main)" != "$(git rev-parse HEAD)" && ok "the ref did not move" || fail "the ref did not move"
test "$(daemon_log_count '"verdict":"reject"')" -eq 1 && ok "the daemon logged the rejection" || fail "the daemon logged the rejection"

# the same push judged in the hook's own process: the same lines
git -C ../app.git config pysec.daemonSocket ""
push_expect 1 "the same push, judged in the hook's process" origin HEAD:main
in_process=$(printf '%s\n' "$OUT" | grep 'remote: pysec:')
git -C ../app.git config --unset pysec.daemonSocket
if [ "$via_daemon" = "$in_process" ]; then ok "the daemon's lines are the in-process hook's, exactly"
else fail "the daemon's lines are the in-process hook's, exactly" "daemon:" "$via_daemon" "in process:" "$in_process"; fi

# a push of many commits: the scan's threads each open the repository
# again, the quarantine included, in the daemon as in the hook's process
git checkout -q -b many
for i in $(seq 1 40); do
	printf 'import subprocess\nsubprocess.call(c%d, shell=True)\n' "$i" > "many$i.py" && git add "many$i.py" && git commit -qm "many $i"
done
push_expect 1 "40 commits through the daemon" origin HEAD:refs/heads/many
lacks "judged by the daemon" "$OUT" "scanning here"
many_daemon=$(printf '%s\n' "$OUT" | grep 'remote: pysec:')
n=$(printf '%s\n' "$many_daemon" | grep -c 'many[0-9]*\.py:2: B602')
test "$n" -eq 40 && ok "every commit's file is read from the quarantine" || fail "every commit's file ($n)" "$OUT"
git -C ../app.git config pysec.daemonSocket ""
push_expect 1 "the same 40, in the hook's process" origin HEAD:refs/heads/many
git -C ../app.git config --unset pysec.daemonSocket
test "$(printf '%s\n' "$OUT" | grep 'remote: pysec:')" = "$many_daemon" && ok "the same lines" ||
	fail "the same lines" "daemon:" "$many_daemon" "in process:" "$OUT"
git checkout -q -
git branch -D -q many

# a blob pushed again is not scanned again
hits=$(metric 'pysec_cache_lookups_total{result="hit"}')
push_expect 1 "the same push again" origin HEAD:main
test "$(metric 'pysec_cache_lookups_total{result="hit"}')" -gt "${hits:-0}" && ok "is answered from the blob cache" ||
	fail "is answered from the blob cache" "$(curl -s "$HTTP_URL/metrics" | grep cache)"
test "$(printf '%s\n' "$OUT" | grep 'remote: pysec:')" = "$via_daemon" && ok "with the same lines" || fail "with the same lines" "$OUT"

# the environment comes from the hook: GitLab's prefix, the pusher, push options
GL_PROTOCOL=web push_expect 1 "under GitLab" origin HEAD:main
contains "the daemon's lines carry GL-HOOK-ERR:" "$OUT" "remote: GL-HOOK-ERR: pysec: error: bad.py:2: B602"
git -C ../app.git config receive.advertisePushOptions true
git -C ../app.git config pysec.bypassUsers alice
GL_USERNAME=mallory push_expect 1 "-o pysec.skip from someone else is refused" -o pysec.skip origin HEAD:main
contains "by the name the hook sent" "$OUT" "pysec.skip is not allowed for mallory"
GL_USERNAME=alice push_expect 0 "alice's bypass goes through the daemon" -o pysec.skip origin HEAD:main
contains "announced" "$OUT" "bypass by alice"
contains "logged by the daemon in the repository" "$(cat ../app.git/pysec-bypass.log)" "user=alice"
lacks "no fallback" "$OUT" "scanning here"
git -C ../app.git config --unset pysec.bypassUsers
git -C ../app.git config pysec.daemonTimeout 2

# --- the daemon failing the hook: every time, the hook judges the push itself ---
printf 'eval(x)\n' > e.py && git add e.py && git commit -qm eval
kill -STOP "$DAEMON_PID"
start=$(date +%s)
push_expect 1 "a hung daemon: the push is still judged" origin HEAD:main
kill -CONT "$DAEMON_PID"
contains "the hook says it scans itself" "$OUT" "pysec: note: the daemon at $SOCK: no answer in time; scanning here"
contains "and finds the defect" "$OUT" "e.py:1: B307"
test $(( $(date +%s) - start )) -lt 15 && ok "within pysec.daemonTimeout" || fail "within pysec.daemonTimeout"

# killed mid-way, with the hook waiting for its answer
push_killing_daemon "$SOCK" origin HEAD:main
test "$rc" -ne 0 && ok "a daemon killed during the request: the push is still rejected" || fail "killed mid-way: rejected" "$OUT"
contains "the hook falls back" "$OUT" "scanning here"
contains "and finds the defect itself" "$OUT" "e.py:1: B307"

# gone (its socket left behind by kill -9)
push_expect 1 "no daemon at all: the push is still judged" origin HEAD:main
contains "one line says so" "$OUT" "pysec: note: the daemon at $SOCK: cannot connect"
contains "the defect is found" "$OUT" "e.py:1: B307"
git reset -q --hard HEAD~1
git -C ../app.git config --unset pysec.daemonTimeout

# --- a user the daemon does not serve, and a repository outside its roots ---
start_daemon "$PYSEC_CONFIG" || exit 1
printf 'exec(y)\n' > peer.py && git add peer.py && git commit -qm peer
other=$(( $(id -u) + 4242 ))
write_conf "	allowUser = $other"
kill -HUP "$DAEMON_PID"
wait_until 60 log_at_least 1 '"msg":"reloaded'
test "$(daemon_log_count '"msg":"reloaded')" -ge 1 && ok "SIGHUP reloads the configuration" || fail "SIGHUP reloads"
push_expect 1 "a user outside pysec.daemon.allowUser" origin HEAD:main
contains "is refused by the daemon, and the hook scans itself" "$OUT" "refused: this user may not use the daemon"
contains "the push is judged all the same" "$OUT" "peer.py:1: B102"
test "$(daemon_log_count 'hook refused: peer not allowed')" -ge 1 && ok "the refusal is logged with the peer's uid" ||
	fail "the refusal is logged"
write_conf "	allowUser = $other
	allowUser = $(id -un)"
kill -HUP "$DAEMON_PID"
wait_until 60 log_at_least 2 '"msg":"reloaded'
push_expect 1 "once the user is listed, the daemon judges again" origin HEAD:main
lacks "without falling back" "$OUT" "scanning here"
git reset -q --hard HEAD~1

cd "$TMP/outside"
new_server stray
cd stray.work
printf 'exec(code)\n' > s.py && git add s.py && git commit -qm stray
push_expect 1 "a repository outside the daemon's roots" origin HEAD:main
contains "is refused, and the hook scans it itself" "$OUT" "is not under a root this daemon serves"
contains "finding the defect" "$OUT" "s.py:1: B102"

# sock_send FILE: FILE's bytes to the daemon's socket, as a hook sends its request; the answer on stdout
sock_send() {
	python3 - "$SOCK" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(open(sys.argv[2], "rb").read())
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
print(out.decode(errors="replace"))
EOF
}

# a client that names any path it likes, or a quarantine elsewhere
raw() {
	python3 - "$@" > "$TMP/raw.req" <<'EOF'
import sys
repo, quarantine = sys.argv[1], sys.argv[2]
frames = [("repo", repo.encode()), ("env", ("GIT_QUARANTINE_PATH=" + quarantine).encode()),
          ("input", b"0" * 40 + b" " + b"1" * 40 + b" refs/heads/main\n")]
sys.stdout.buffer.write(b"pysec-gate 1\n" + b"".join(b"%s %d\n%s\n" % (n.encode(), len(v), v) for n, v in frames))
EOF
	sock_send "$TMP/raw.req"
}
OUT=$(raw /etc /tmp)
contains "a request for /etc is refused" "$OUT" "refused"
contains "as outside the roots" "$OUT" "/etc is not under a root"
OUT=$(raw "$TMP/srv/../outside/stray.git" /tmp)
contains "a path that leaves a root through .. is refused" "$OUT" "is not under a root"
ln -s "$TMP/outside" "$TMP/srv/link"
OUT=$(raw "$TMP/srv/link/stray.git" /tmp)
contains "so is one through a symbolic link" "$OUT" "is not under a root"
OUT=$(raw "$TMP/srv/app.git" "$TMP/outside/stray.git/objects")
contains "a quarantine outside the repository's objects is refused" "$OUT" "quarantine directory is not inside"
OUT=$(raw "$TMP/srv/app.git" "$TMP/srv/app.git/objects/tmp_objdir-incoming-gone")
contains "a quarantine that is not there is refused (the hook scans itself), saying so" "$OUT" "cannot find the quarantine directory"
# a repository under a root whose files lead outside the roots: a .git file, a commondir, alternates
mkdir -p "$TMP/srv/gitfile"
printf 'gitdir: %s\n' "$TMP/outside/stray.git" > "$TMP/srv/gitfile/.git"
OUT=$(raw "$TMP/srv/gitfile" /tmp)
contains "a .git file under a root whose gitdir: is outside is refused" "$OUT" "its git directory $TMP/outside/stray.git/ is outside the roots"
mkdir -p "$TMP/srv/common"
printf 'ref: refs/heads/main\n' > "$TMP/srv/common/HEAD"
printf '%s\n' "$TMP/outside/stray.git" > "$TMP/srv/common/commondir"
OUT=$(raw "$TMP/srv/common" /tmp)
contains "a git directory whose commondir is outside is refused" "$OUT" "its common directory $TMP/outside/stray.git/ is outside the roots"
git init -q --bare "$TMP/srv/borrow.git"
printf '%s\n' "$TMP/outside/stray.git/objects" > "$TMP/srv/borrow.git/objects/info/alternates"
OUT=$(raw "$TMP/srv/borrow.git" /tmp)
contains "a repository that borrows objects from outside (alternates) is refused" "$OUT" "borrows objects from $TMP/outside/stray.git/objects, outside the roots"
printf '../../app.git/objects\n' > "$TMP/srv/borrow.git/objects/info/alternates"
OUT=$(raw "$TMP/srv/borrow.git" /tmp)
lacks "one that borrows from a repository under the roots is served" "$OUT" "outside the roots"
test "$(daemon_log_count '"msg":"hook refused"')" -ge 7 && ok "each refusal is logged" || fail "each refusal is logged"

# every input the protocol's fuzz target keeps (fuzz/seeds/proto), sent as a request: an answer, never a crash
seeds=$(cd "$(dirname "$0")/../../fuzz/seeds/proto" && pwd)
for f in "$seeds"/*; do
	OUT=$(sock_send "$f" | tr '\n' ' ')
	case "$OUT" in "pysec-gate 1 refused"*) ok "fuzz seed $(basename "$f"): refused" ;;
	*) fail "fuzz seed $(basename "$f"): refused" "$OUT" ;; esac
done
kill -0 "$DAEMON_PID" && ok "the daemon serves on after them" || fail "the daemon serves on after them"

# --- SIGTERM while a push is in flight: it is answered, then the daemon stops ---
cd "$TMP/srv/app.work"
git reset -q --hard origin/main
mkdir -p big
python3 -c "
for f in range(30):
    open('big/m%d.py' % f, 'w').write(''.join('value_%d = compute(%d, \"text\") + other(%d)\n' % (i, i, i) for i in range(2000)))
"
git add big && git commit -qm big
git -C ../app.git config pysec.daemonTimeout 120
git push origin HEAD:big > "$TMP/bg.out" 2>&1 &
bg=$!
busy=0
for i in $(seq 400); do
	[ "$(metric pysec_hook_workers_busy)" = 1 ] && busy=1 && break
	sleep 0.02
done
test "$busy" = 1 && ok "a big push keeps a worker busy" || fail "a big push keeps a worker busy"
stop_daemon TERM
wait "$bg"
rc=$?
OUT=$(cat "$TMP/bg.out")
test "$rc" -eq 0 && ok "a push in flight at SIGTERM is answered" || fail "a push in flight at SIGTERM is answered" "$OUT"
lacks "by the daemon (no fallback)" "$OUT" "scanning here"
test "$DAEMON_RC" -eq 0 && ok "then the daemon exits 0" || fail "then the daemon exits 0" "rc $DAEMON_RC"
contains "saying so" "$(tail -1 "$TMP/daemon.log")" '"msg":"stopped"'
test ! -e "$SOCK" && ok "and removes its socket" || fail "and removes its socket"
# long enough for 50 scans on a loaded machine: a fallback below is for a full queue, never for time
git -C ../app.git config pysec.daemonTimeout 120

# --- 50 pushes at once ----------------------------------------------------------
start_daemon "$PYSEC_CONFIG" || exit 1
git checkout -q main 2>/dev/null || git checkout -q -b main origin/main
for i in $(seq 50); do
	git checkout -q -b "b$i" main
	if [ $((i % 2)) -eq 0 ]; then printf 'import os\nos.system(cmd%d)\n' "$i" > "f$i.py"
	else printf 'x%d = %d\n' "$i" "$i" > "f$i.py"; fi
	git add "f$i.py" && git commit -qm "b$i"
done
git checkout -q main
before=$(daemon_log_count '"msg":"push judged"')
for i in $(seq 50); do
	git push origin "b$i" > "$TMP/p$i.out" 2>&1 &
	eval "pid$i=$!"
done
wrong=""
for i in $(seq 50); do
	eval "wait \$pid$i"
	rc=$?
	if [ $((i % 2)) -eq 0 ]; then
		[ "$rc" -ne 0 ] && grep -q "f$i.py:2: B605" "$TMP/p$i.out" || wrong="$wrong b$i"
	else
		[ "$rc" -eq 0 ] || wrong="$wrong b$i"
	fi
done
test -z "$wrong" && ok "50 pushes at once: each judged right (25 rejected, 25 accepted)" ||
	fail "50 pushes at once: each judged right" "wrong:$wrong" "$(cat "$TMP/p2.out")"
served=$(( $(daemon_log_count '"msg":"push judged"') - before ))
fell_back=$(cat "$TMP"/p*.out | grep -c "scanning here")
test $((served + fell_back)) -eq 50 && ok "each by the daemon or, when it was busy, by the hook ($served + $fell_back)" ||
	fail "each by the daemon or by the hook" "served $served, fell back $fell_back"
test "$served" -ge 25 && ok "most by the daemon ($served)" || fail "most by the daemon" "served $served"
test "$(metric 'pysec_hook_requests_total{result="busy"}')" -eq "$fell_back" && ok "a fallback only when the queue was full" ||
	fail "a fallback only when the queue was full" "$(grep -h 'scanning here' "$TMP"/p*.out | sort | uniq -c)"
stop_daemon TERM
