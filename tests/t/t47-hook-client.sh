#!/bin/bash
# The hook's client for the daemon (pysec-hook), which `git pysec install`
# writes into a repository whose policy names a daemon: a push through it is
# judged by the daemon without git-pysec ever running; every way the daemon
# can fail it (none, a listener of another user, killed mid-request, an
# answer that is not one) and every setting it cannot be sure of (changed
# since install) ends in git-pysec's own verdict, with the same lines as the
# hook of a repository without a daemon.  It links neither libgit2 nor
# tree-sitter.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-users.sh"
. "$(dirname "$0")/lib-daemon.sh"

CLIENT=$(dirname "$(readlink -f "$PYSEC_BIN")")/pysec-hook
if readelf -d "$CLIENT" | grep NEEDED | grep -Eq 'libgit2|tree-sitter' || nm "$CLIENT" | grep -Eq ' (git_|ts_parser)'; then
	fail "pysec-hook links neither libgit2 nor tree-sitter" "$(readelf -d "$CLIENT" | grep NEEDED)"
else
	ok "pysec-hook links neither libgit2 nor tree-sitter"
fi
[ "${SANITIZE:-}" = 1 ] || check "and is statically linked (no dynamic loader on every push)" \
	sh -c "readelf -l '$CLIENT' | grep -q INTERP && exit 1 || exit 0"

# the binaries the hook runs, in a directory of the test's: git-pysec is a
# wrapper that logs every run of it, so a push the client judges alone shows none
user_dir "$TMP/open" root 1777		# the socket's directory: anyone may write to it, as /tmp
BIN=$TMP/cbin
mkdir -p "$BIN"
cp "$PYSEC_BIN" "$BIN/git-pysec"
cp "$CLIENT" "$BIN/pysec-hook"
SOCK=$TMP/open/pysec.sock
export PYSEC_CONFIG="$TMP/pysec.conf"
cat > "$PYSEC_CONFIG" <<EOF
[pysec]
	daemonSocket = $SOCK
	daemonTimeout = 120
	timeBudget = 120
[pysec "daemon"]
	root = $TMP/srv
	listen = 127.0.0.1:0
	queueDb = $TMP/queue.db
EOF
mkdir -p srv && cd srv
git init -q --bare app.git && "$BIN/git-pysec" install app.git > /dev/null
# the standalone hook: a repository whose policy names no daemon
git init -q --bare alone.git && git -C alone.git config pysec.daemonSocket "" && "$BIN/git-pysec" install alone.git > /dev/null
contains "install writes the client into the hook, with the daemon's settings" "$(cat app.git/hooks/pre-receive)" \
	"exec '$BIN/pysec-hook' --socket='$SOCK' --timeout='120.000' --stamp="
contains "and git-pysec's own hook where no daemon is named" "$(cat alone.git/hooks/pre-receive)" "exec '$BIN/git-pysec' pre-receive"
mv "$BIN/git-pysec" "$BIN/git-pysec.real"
printf '#!/bin/sh\necho "$*" >> "%s"\nexec "%s" "$@"\n' "$TMP/full.log" "$BIN/git-pysec.real" > "$BIN/git-pysec"
chmod 0755 "$BIN/git-pysec"
: > "$TMP/full.log"

git clone -q app.git work 2> /dev/null && cd work
git remote add alone ../alone.git
printf 'x = 1\n' > ok.py && git add ok.py && git commit -qm ok
git push -q origin HEAD:main 2> /dev/null && git push -q alone HEAD:main 2> /dev/null
: > "$TMP/full.log"
printf 'import os\nos.system(cmd)\n' > bad.py && git add bad.py && git commit -qm bad
push_expect 1 "the standalone hook rejects the push" alone HEAD:main
ALONE=$(printf '%s\n' "$OUT" | grep 'remote: pysec:')
contains "with its finding" "$ALONE" "bad.py:2: B605"
: > "$TMP/full.log"

# same_as_alone WHAT: the last push's pysec lines, but for one note, are the standalone hook's
same_as_alone() {
	local lines
	lines=$(printf '%s\n' "$OUT" | grep 'remote: pysec:' | grep -v 'pysec: note: ')
	if [ "$lines" = "$ALONE" ]; then ok "$1: the standalone hook's lines, exactly"
	else fail "$1: the standalone hook's lines, exactly" "got:" "$lines" "standalone:" "$ALONE"; fi
}
# full_runs: how many times git-pysec ran since the last call, and with which arguments (in $RUNS)
full_runs() { RUNS=$(cat "$TMP/full.log"); : > "$TMP/full.log"; }

# --- through the daemon: the client alone ------------------------------------------------
start_daemon "$PYSEC_CONFIG" || exit 1
push_expect 1 "through the daemon: the push is rejected" origin HEAD:main
same_as_alone "through the daemon"
lacks "no note" "$OUT" "pysec: note"
full_runs
test -z "$RUNS" && ok "git-pysec never ran" || fail "git-pysec never ran" "$RUNS"
test "$(daemon_log_count '"verdict":"reject"')" -eq 1 && ok "the daemon judged it" || fail "the daemon judged it" "$(tail -3 "$TMP/daemon.log")"
GL_PROTOCOL=web push_expect 1 "under GitLab" origin HEAD:main
contains "the daemon's lines carry GL-HOOK-ERR:" "$OUT" "remote: GL-HOOK-ERR: pysec: error: bad.py:2: B605"
push_expect 0 "a clean push through the daemon is accepted" origin HEAD~1:refs/heads/clean
full_runs
test -z "$RUNS" && ok "by the client alone" || fail "by the client alone" "$RUNS"

# --- the settings changed since install: git-pysec decides, as it would have -------------
git -C ../app.git config pysec.daemonTimeout 60
push_expect 1 "settings changed since install: the push is still rejected" origin HEAD:main
same_as_alone "settings changed"
full_runs
test "$RUNS" = pre-receive && ok "by git-pysec pre-receive, which reads the settings itself" ||
	fail "by git-pysec pre-receive, which reads the settings itself" "$RUNS"
# install runs as git-pysec itself (its own path goes into the hook), not the wrapper
mv "$BIN/git-pysec" "$BIN/git-pysec.wrapper" && mv "$BIN/git-pysec.real" "$BIN/git-pysec"
"$BIN/git-pysec" install ../app.git > /dev/null
mv "$BIN/git-pysec" "$BIN/git-pysec.real" && mv "$BIN/git-pysec.wrapper" "$BIN/git-pysec"
contains "installing again writes the new settings" "$(cat ../app.git/hooks/pre-receive)" "--timeout='60.000'"
: > "$TMP/full.log"
push_expect 1 "then the client asks the daemon again" origin HEAD:main
full_runs
test -z "$RUNS" && ok "without git-pysec" || fail "without git-pysec" "$RUNS"

# --- killed mid-request ------------------------------------------------------------------
push_killing_daemon "$SOCK" origin HEAD:main
test "$rc" -ne 0 && ok "a daemon killed during the request: the push is still rejected" || fail "killed: rejected" "$OUT"
same_as_alone "killed"
test "$(printf '%s\n' "$OUT" | grep -c "pysec: note: the daemon at $SOCK: .*; scanning here")" = 1 &&
	ok "one line says why" || fail "one line says why" "$OUT"
full_runs
test "$RUNS" = "pre-receive --no-daemon" && ok "git-pysec judged it, without asking the daemon again" ||
	fail "git-pysec judged it, without asking the daemon again" "$RUNS"

# --- no daemon ---------------------------------------------------------------------------
rm -f "$SOCK"
push_expect 1 "no daemon: the push is still rejected" origin HEAD:main
same_as_alone "no daemon"
contains "one line says so" "$OUT" "pysec: note: the daemon at $SOCK: cannot connect"
full_runs
test "$RUNS" = "pre-receive --no-daemon" && ok "git-pysec judged it" || fail "git-pysec judged it" "$RUNS"

# --- a listener of another user that accepts everything ----------------------------------
listener "$T_OTHER" "$SOCK" $'pysec-gate 1\nout 0\n\nverdict 1\n0\n'
push_expect 1 "a listener run by $T_OTHER that accepts everything: the push is still rejected" origin HEAD:main
same_as_alone "foreign listener"
contains "one line says why it is ignored" "$OUT" "it runs as uid $(id -u "$T_OTHER"), not as the daemon's user (uid 0"
test "$(printf '%s\n' "$OUT" | grep -c 'pysec: note')" -eq 1 && ok "in one line" || fail "in one line" "$OUT"
full_runs
test "$RUNS" = "pre-receive --no-daemon" && ok "git-pysec judged it" || fail "git-pysec judged it" "$RUNS"
kill "$LISTENER" 2>/dev/null; wait "$LISTENER" 2>/dev/null

# --- the daemon's user answering garbage -------------------------------------------------
listener root "$SOCK" $'HTTP/1.1 200 OK\r\n\r\nverdict 0\n'
push_expect 1 "an answer that is not one: the push is still rejected" origin HEAD:main
same_as_alone "garbage answer"
contains "one line says so" "$OUT" "pysec: note: the daemon at $SOCK: not a pysec daemon answer; scanning here"
full_runs
test "$RUNS" = "pre-receive --no-daemon" && ok "git-pysec judged it" || fail "git-pysec judged it" "$RUNS"
wait "$LISTENER" 2>/dev/null
listener root "$SOCK" $'pysec-gate 1\nverdict 1\n0'
push_expect 1 "a truncated answer: the push is still rejected" origin HEAD:main
same_as_alone "truncated answer"
contains "one line says so" "$OUT" "a malformed answer; scanning here"
wait "$LISTENER" 2>/dev/null

# --- git-pysec missing: the push is rejected, never let in ---------------------------------
rm -f "$SOCK"
mv "$BIN/git-pysec" "$BIN/git-pysec.gone"
push_expect 1 "git-pysec missing when the daemon is down: even a clean push is rejected" origin HEAD~1:refs/heads/clean2
contains "saying why" "$OUT" "pysec: error: cannot run $BIN/git-pysec"
mv "$BIN/git-pysec.gone" "$BIN/git-pysec"
