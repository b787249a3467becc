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
	local conf=$1 i before port=$TMP/port; shift
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
	for i in $(seq 400); do
		[ "$(grep -c '"msg":"ready"' "$TMP/daemon.log" 2>/dev/null)" -gt "${before:-0}" ] && break
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
		fail "the daemon starts" "$(tail -5 "$TMP/daemon.log")"
		return 1
	fi
	[ -s "$port" ] && HTTP_URL="http://127.0.0.1:$(cat "$port")"
	return 0
}

# stop_daemon [SIGNAL]: signal the daemon (TERM by default) and wait for it to end.
stop_daemon() {
	kill -"${1:-TERM}" "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_RC=$?
}

# daemon_log_count TEXT: how many lines of the daemon's log hold TEXT.
daemon_log_count() { grep -c -- "$1" "$TMP/daemon.log"; }

# http_get PATH: the daemon's answer to GET PATH, in $OUT.
http_get() { OUT=$(curl -s --max-time 10 "$HTTP_URL$1"); }

# metric NAME{LABELS}: one value from /metrics.
metric() {
	curl -s --max-time 10 "$HTTP_URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}
