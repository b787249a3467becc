# lib-forge.sh: sourced (after tests/t/lib.sh) by the review tests.  Starts
# the stand-in forge of server.py and talks to its control endpoints.
FORGE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FORGE_PIDS=""
trap 'for p in $FORGE_PIDS; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"' EXIT

# start_forge NAME [ARGS...]: start a server; sets FORGE_URL (http://127.0.0.1:PORT)
# and NAME_URL.  The servers are stopped (by their process id) when the test ends.
start_forge() {
	local name=$1 port; shift
	: > "$TMP/$name.out"
	python3 "$FORGE_DIR/server.py" "$@" > "$TMP/$name.out" 2> "$TMP/$name.err" &
	FORGE_PIDS="$FORGE_PIDS $!"
	wait_until 60 grep -q '^port ' "$TMP/$name.out"
	port=$(sed -n 's/^port //p' "$TMP/$name.out")
	[ -n "$port" ] || { fail "the stand-in forge starts" "$(cat "$TMP/$name.err")"; exit 1; }
	FORGE_URL="http://127.0.0.1:$port"
	printf -v "${name}_PORT" '%s' "$port"
}

# forge_ctl JSON: merge JSON into the server's configuration.
forge_ctl() {
	python3 "$FORGE_DIR/ctl.py" "$FORGE_URL/_control" "$1" > /dev/null ||
		fail "control request accepted" "$1"
}

# forge_log / forge_state: the request log / the server's state into $OUT (for jq_is).
forge_log() { OUT=$(python3 "$FORGE_DIR/ctl.py" "$FORGE_URL/_log"); }
forge_state() { OUT=$(python3 "$FORGE_DIR/ctl.py" "$FORGE_URL/_state"); }
forge_clear() { python3 "$FORGE_DIR/ctl.py" "$FORGE_URL/_log/clear" '{}' > /dev/null; }

# review_expect CODE DESCRIPTION ARGS...: `git pysec review ARGS` with its
# output kept, as expect_exit does, and also appended to $TMP/all-output
# (which the token test searches).
review_expect() {
	local want=$1 d=$2; shift 2
	expect_exit "$want" "$d" git pysec review "$@"
	printf '%s\n%s\n' "$OUT" "$ERR" >> "$TMP/all-output"
	RUN_OUT=$OUT RUN_ERR=$ERR
}

# forge_as TOKEN METHOD PATH [JSON]: a request to the stand-in as the user of
# TOKEN (another user than pysec's, planting what pysec must leave alone);
# the answer's body in $OUT.
forge_as() {
	local token=$1 method=$2 path=$3 auth
	case "$path" in
	/api/v4/*) auth="PRIVATE-TOKEN: $token" ;;
	/api/v3/*) auth="Authorization: Bearer $token" ;;
	*) auth="Authorization: token $token" ;;
	esac
	OUT=$(curl -s --max-time 10 -X "$method" -H "$auth" -H "User-Agent: someone" \
		-H "Accept: application/vnd.github+json" -H "Content-Type: application/json" \
		${4:+--data "$4"} "$FORGE_URL$path")
}

# review_repo [FILE CONTENT]...: the repository the review tests work in,
# $TMP/work (the current directory from then on), with short timeouts and
# backoff (the failures take milliseconds); a base commit (BASE) and a
# branch topic (HEAD1) that adds B602 outside its hunk, B307 and B605 (and
# the further files given).
review_repo() {
	new_repo work
	cd work || exit 1
	git config pysec.review.retries 2
	git config pysec.review.retryBaseMs 10
	git config pysec.review.retryMaxMs 40
	git config pysec.review.timeout 5
	printf 'import subprocess\nsubprocess.call(\n    cmd)\n' > a.py
	commit_all . base
	BASE=$(git rev-parse HEAD)
	git checkout -q -b topic
	printf 'import subprocess\nsubprocess.call(\n    cmd, shell=True)\neval(x)\n' > a.py
	printf 'import os\nos.system(c)\n' > b.py
	while [ $# -ge 2 ]; do
		printf '%s' "$2" > "$1"
		shift 2
	done
	commit_all . topic
	HEAD1=$(git rev-parse HEAD)
}

# forge_hold NAME METHOD PATH [TIMES]: hold requests (PATH: a regex) until forge_release NAME.
forge_hold() {
	forge_ctl "{\"holds\": [{\"name\": \"$1\", \"method\": \"$2\", \"path\": \"$3\", \"times\": ${4:-1}}]}"
}

# forge_held NAME [COUNT]: wait (at most a minute) until COUNT requests (default 1) are held under NAME.
held_at_least() {
	[ "$(python3 "$FORGE_DIR/ctl.py" "$FORGE_URL/_held" | jq --arg h "$1" '.[$h] // 0')" -ge "$2" ]
}
forge_held() { wait_until 60 held_at_least "$1" "${2:-1}"; }

# forge_release NAME: let the requests held under NAME go on.
forge_release() {
	python3 "$FORGE_DIR/ctl.py" "$FORGE_URL/_release" "{\"name\": \"$1\"}" > /dev/null
}

# forge_settled: wait (at most a minute) until the forge has read and done every request of
# clients that are gone: none waits to be accepted, none is being served but this question.
settled() { [ "$(python3 "$FORGE_DIR/ctl.py" "$FORGE_URL/_settled" | jq -c .)" = '{"pending":false,"open":1}' ]; }
forge_settled() { wait_until 60 settled; }

# forge_release_done NAME: let them go on, and wait (at most a minute) until the forge has
# done what each asked (and answered, or found its client gone: a daemon killed meanwhile).
held_all_done() {
	forge_log
	[ "$(printf '%s' "$OUT" | jq --arg h "$1" '[.[] | select(.held == $h and .status == null)] | length')" = 0 ]
}
forge_release_done() {
	forge_release "$1"
	wait_until 60 held_all_done "$1"
}
