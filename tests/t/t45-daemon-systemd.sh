#!/bin/bash
# The daemon's systemd units (daemon/systemd), as written: systemd-analyze
# verify finds nothing to say about them, with and without the drop-ins
# that run the daemon as a user of its own; the unit's stop timeout is
# above the daemon's own deadline; and each model runs as its unit says:
# the unit's users and groups, the socket's owner, group and mode, its state
# directory, its ExecStart, and the hooks' socket passed by socket
# activation (systemd-socket-activate, which starts the daemon on the first
# connection, as systemd does) - then a real push as the git user is judged
# by it.  The unit's names map to the test's users: git is $T_GIT, pysec
# is $T_DAEMON; its paths (/run/pysec, /var/lib/pysec, /etc/pysec.conf) go
# under the test's directory.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-users.sh"
. "$(dirname "$0")/lib-daemon.sh"
UNITS=$(cd "$(dirname "$0")/../../daemon/systemd" && pwd)
export PYSEC_CONFIG="$TMP/conf/pysec.conf"

# units DIR [own-user]: the units in DIR, running the binary under test, with the drop-ins if asked
units() {
	mkdir -p "$1"
	sed "s|^ExecStart=/usr/local/bin/git-pysec |ExecStart=$SBIN/git-pysec |" "$UNITS/pysec.service" > "$1/pysec.service"
	cp "$UNITS/pysec.socket" "$1/"
	if [ "${2:-}" = own-user ]; then
		cp -r "$UNITS/own-user/pysec.service.d" "$UNITS/own-user/pysec.socket.d" "$1/" || return 1
	fi
	return 0
}
for model in as-written own-user; do
	units "$TMP/units-$model" "$model" && ok "the units as written and with the drop-ins of model B are there ($model)" ||
		fail "the units and drop-ins are in the tree ($model)" "$(ls -R "$UNITS")"
	out=$(SYSTEMD_UNIT_PATH="$TMP/units-$model:" systemd-analyze verify --man=no pysec.service pysec.socket 2>&1)
	rc=$?
	test "$rc" -eq 0 && test -z "$out" && ok "systemd-analyze verify: nothing to say about the units ($model)" ||
		fail "systemd-analyze verify: nothing to say about the units ($model)" "exit $rc" "$out"
done

# key FILE... NAME: the last value of NAME in the unit and its drop-ins (systemd reads them in that order)
key() {
	local name=${!#}
	sed -n "s/^$name=//p" "${@:1:$#-1}" | tail -1
}
stop_unit=$(key "$UNITS/pysec.service" TimeoutStopSec)
printf '[pysec "daemon"]\n\tlisten = 127.0.0.1:0\n\tqueueDb = %s\n' "$TMP/q.db" > "$TMP/check.conf"
git pysec serve --check --config "$TMP/check.conf" 2> "$TMP/check.out"
stop_daemon_default=$(jq -r 'select(.msg == "configuration is valid") | .stop_timeout' "$TMP/check.out")
test -n "$stop_unit" && test -n "$stop_daemon_default" && awk "BEGIN { exit !($stop_unit > $stop_daemon_default + 5) }" &&
	ok "TimeoutStopSec ($stop_unit s) is above the daemon's own deadline ($stop_daemon_default s)" ||
	fail "TimeoutStopSec is above the daemon's own deadline" "unit: $stop_unit" "daemon: $stop_daemon_default"

# the unit's names for users and paths, in this test
map_user() { case "$1" in git) echo "$T_GIT" ;; pysec) echo "$T_DAEMON" ;; *) echo "$1" ;; esac; }
map_path() { sed -e "s|/run/pysec|$TMP/run|g" -e "s|/var/lib/pysec|$TMP/state|g" -e "s|/etc/pysec.conf|$PYSEC_CONFIG|g"; }

# listening_more N: the log says "Listening on" more than N times (systemd-socket-activate has the socket)
listening_more() { [ "$(grep -c "Listening on" "$TMP/daemon.log")" -gt "$1" ]; }

# run_units DIR: start the daemon as the units in DIR say, by socket activation
run_units() {
	local dir=$1 files=("$1/pysec.service") sfiles=("$1/pysec.socket") user group supp sock exec i groups listening
	[ -d "$dir/pysec.service.d" ] && files+=("$dir"/pysec.service.d/*.conf)
	[ -d "$dir/pysec.socket.d" ] && sfiles+=("$dir"/pysec.socket.d/*.conf)
	user=$(map_user "$(key "${files[@]}" User)")
	group=$(map_user "$(key "${files[@]}" Group)")
	supp=$(key "${files[@]}" SupplementaryGroups)
	supp=${supp:+$(map_user "$supp")}
	sock=$(sed -n 's/^ListenStream=\(\/.*\)/\1/p' "${sfiles[@]}" | tail -1 | map_path)
	exec=$(key "${files[@]}" ExecStart | map_path)
	# what systemd makes before it starts the service: the state and socket directories
	rm -rf "$TMP/state" "$TMP/run"
	user_dir "$TMP/state" "$user" "$(key "${files[@]}" StateDirectoryMode)"
	mkdir -p "$TMP/run" && chmod "$(key "${sfiles[@]}" DirectoryMode)" "$TMP/run"
	groups=(--clear-groups)
	[ -n "$supp" ] && groups=(--groups="$supp")
	listening=$(grep -c "Listening on" "$TMP/daemon.log" 2>/dev/null)
	# shellcheck disable=SC2086
	systemd-socket-activate -l "$sock" -- setpriv --reuid="$user" --regid="$group" "${groups[@]}" -- \
		env HOME=/ $exec >> "$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	DAEMON_PIDS="$DAEMON_PIDS $DAEMON_PID"
	wait_until 60 listening_more "${listening:-0}"
	# systemd gives the socket its owner, group and mode
	chown "$(map_user "$(key "${sfiles[@]}" SocketUser)"):$(map_user "$(key "${sfiles[@]}" SocketGroup)")" "$sock"
	chmod "$(key "${sfiles[@]}" SocketMode)" "$sock"
	SOCK=$sock
	RUN_USER=$user
}

# push_as_git WORK DESCRIPTION EXPECTED FILE CONTENT: a commit and its push, as the git user
push_as_git() {
	local rc
	printf "$5" | as_user "$T_GIT" sh -c "cat > '$1/$4'"
	as_user "$T_GIT" sh -c "cd '$1' && git add '$4' && git commit -qm '$4' && git push origin HEAD:main" > "$TMP/out" 2>&1
	rc=$?
	OUT=$(cat "$TMP/out")
	if { [ "$3" -eq 0 ] && [ "$rc" -eq 0 ]; } || { [ "$3" -ne 0 ] && [ "$rc" -ne 0 ]; }; then ok "$2"
	else fail "$2" "exit $rc" "$OUT"; fi
	[ "$rc" -ne 0 ] && as_user "$T_GIT" git -C "$1" reset -q --hard HEAD~1
	return 0
}

mkdir -p "$TMP/conf" && chmod 0755 "$TMP/conf"
user_dir "$TMP/srv" "$T_GIT" 2775 "$T_GIT"
for model in as-written own-user; do
	shared=""
	[ "$model" = own-user ] && shared=--shared=group
	as_user "$T_GIT" git init -q --bare $shared "$TMP/srv/$model.git"
	as_user "$T_GIT" git clone -q "$TMP/srv/$model.git" "$TMP/srv/$model.work" 2> /dev/null
	# the policy of the README's deployment for this model
	{
		printf '[pysec]\n\tdaemonSocket = %s/run/pysec.sock\n\tdaemonTimeout = 60\n' "$TMP"
		[ "$model" = own-user ] && printf '\tdaemonUser = %s\n' "$T_DAEMON"
		printf '[pysec "daemon"]\n\troot = %s/srv\n' "$TMP"
		[ "$model" = own-user ] && printf '\tallowGroup = %s\n' "$T_GIT"
		printf '\tlisten = 127.0.0.1:0\n\tqueueDb = %s/state/queue.db\n' "$TMP"
	} > "$PYSEC_CONFIG"
	chmod 0644 "$PYSEC_CONFIG"
	# installed after the policy, as the README says: the hook is the daemon's client
	as_user "$T_GIT" git-pysec install "$TMP/srv/$model.git" > /dev/null
	contains "$model: the hook is the daemon's client" "$(cat "$TMP/srv/$model.git/hooks/pre-receive")" "pysec-hook' --socket="
	run_units "$TMP/units-$model"
	before=$(daemon_log_count '"msg":"push judged"')
	# the first connection starts the daemon: a push
	push_as_git "$TMP/srv/$model.work" "$model: the push that starts the daemon is accepted" 0 ok.py 'x = 1\n'
	lacks "$model: judged by the daemon (the hook believes systemd's socket)" "$OUT" "pysec: note"
	push_as_git "$TMP/srv/$model.work" "$model: a push adding eval is rejected" 1 bad.py 'eval(x)\n'
	contains "$model: with its finding" "$OUT" "bad.py:1: B307"
	lacks "$model: by the daemon too" "$OUT" "pysec: note"
	test $(( $(daemon_log_count '"msg":"push judged"') - before )) -eq 2 && ok "$model: both judged by the daemon" ||
		fail "$model: both judged by the daemon" "$(tail -5 "$TMP/daemon.log")"
	# A: the git service user; B: its own user, in the group git (the drop-ins say so, not the test)
	want=$T_GIT
	[ "$model" = own-user ] && want=$T_DAEMON
	test "$RUN_USER" = "$want" && test "$(ps -o user= -p "$DAEMON_PID")" = "$want" && ok "$model: the daemon runs as $want" ||
		fail "$model: the daemon runs as $want" "units: $RUN_USER" "$(ps -o user=,group=,supgrp= -p "$DAEMON_PID")"
	contains "$model: the socket came from systemd" "$(grep '"msg":"ready"' "$TMP/daemon.log" | tail -1)" '"socket_from":"systemd"'
	test "$(stat -c %a "$TMP/state/queue.db")" = 600 && ok "$model: its queue is its own (0600)" ||
		fail "$model: its queue is its own" "$(stat -c %a "$TMP/state/queue.db")"
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID"
	test "$?" -eq 0 && ok "$model: systemctl stop (SIGTERM) ends it cleanly" || fail "$model: SIGTERM ends it cleanly"
done
