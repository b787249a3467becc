#!/bin/bash
# The daemon and the hook on a multi-user machine, in the two deployments
# the README describes, with real users: repositories owned by the git
# service user, pushes by the real git client run as that user (through
# git-receive-pack), and the daemon as
#   A. the git service user itself (as GitLab's Gitaly runs), and
#   B. its own user, in the git user's group, with core.sharedRepository = group.
# Then what each must survive: a repository the daemon cannot read (the
# hook scans itself), a pusher libgit2 alone would refuse, a foreign
# listener on the socket, and an ownership error that names its cause.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-users.sh"
. "$(dirname "$0")/../forge/lib-forge.sh"
. "$(dirname "$0")/lib-daemon.sh"
HOOKS=$(cd "$(dirname "$0")/../forge" && pwd)/webhook.py
export PYSEC_CONFIG="$TMP/conf/pysec.conf"

# the requests the forge stand-in knows, in a repository of its own (root's)
review_project

# mirror DIR GROUP-SHARED: the daemon's copy of the project, owned by the git user
mirror() {
	git clone -q --bare "$TMP/work" "$1"
	[ "$2" = shared ] && git -C "$1" config core.sharedRepository group && chmod -R g+rwX "$1"
	chown -R "$T_GIT:$T_GIT" "$1"
}

# push_as USER WORK DESCRIPTION EXPECTED REFSPEC: `git push` run as USER from its clone WORK
push_as() {
	local u=$1 work=$2 d=$3 want=$4 ref=$5 rc
	as_user "$u" git -C "$work" push origin "$ref" > "$TMP/out" 2>&1
	rc=$?
	OUT=$(cat "$TMP/out")
	if { [ "$want" -eq 0 ] && [ "$rc" -eq 0 ]; } || { [ "$want" -ne 0 ] && [ "$rc" -ne 0 ]; }; then ok "$d"
	else fail "$d" "git push exited $rc as $u" "${OUT:0:3000}"; fi
}

# commit_as USER WORK FILE CONTENT: a commit adding FILE
commit_as() {
	printf "$4" | as_user "$1" sh -c "cat > '$2/$3'" &&
	as_user "$1" git -C "$2" add "$3" && as_user "$1" git -C "$2" commit -qm "$3"
}

judged() { daemon_log_count '"msg":"push judged"'; }

# =====================================================================================
# A. The daemon runs as the git service user
# =====================================================================================
user_dir "$TMP/a" "$T_GIT"
user_dir "$TMP/a/srv" "$T_GIT"
user_dir "$TMP/a/run" "$T_GIT"
as_user "$T_GIT" git init -q --bare "$TMP/a/srv/app.git"
as_user "$T_GIT" git clone -q "$TMP/a/srv/app.git" "$TMP/a/work" 2> /dev/null
mirror "$TMP/a/srv/mirror.git" plain
cat > "$PYSEC_CONFIG" <<EOF
[pysec]
	daemonSocket = $TMP/a/run/pysec.sock
	daemonTimeout = 120
[pysec "daemon"]
	root = $TMP/a/srv
	listen = 127.0.0.1:0
	queueDb = $TMP/a/run/queue.db
	backoffMs = 20
	project = gitlab group/proj $TMP/a/srv/mirror.git
[pysec "gitlab"]
	url = $FORGE_URL
	tokenFile = $TMP/conf/token
	secretFile = $TMP/conf/gl-secret
EOF
chmod 0644 "$PYSEC_CONFIG"
# installed after the policy: the hook is the client with the daemon's settings
as_user "$T_GIT" git-pysec install "$TMP/a/srv/app.git" > /dev/null
contains "A: the hook is the daemon's client" "$(cat "$TMP/a/srv/app.git/hooks/pre-receive")" "pysec-hook' --socket='$TMP/a/run/pysec.sock'"
DAEMON_AS=$T_GIT start_daemon "$PYSEC_CONFIG" || exit 1
test "$(stat -c %U "$TMP/a/run/pysec.sock")" = "$T_GIT" && ok "A: the daemon runs as $T_GIT" ||
	fail "A: the daemon runs as $T_GIT" "$(stat -c %U "$TMP/a/run/pysec.sock")"

commit_as "$T_GIT" "$TMP/a/work" clean.py 'def main():\n    return 1\n'
push_as "$T_GIT" "$TMP/a/work" "A: a clean push by the git user is accepted" 0 HEAD:main
lacks "A: judged by the daemon, not by the hook itself" "$OUT" "pysec: note"
test "$(judged)" -eq 1 && ok "A: the daemon logged its verdict" || fail "A: the daemon logged its verdict" "$(tail -3 "$TMP/daemon.log")"
commit_as "$T_GIT" "$TMP/a/work" bad.py 'import os\nos.system(cmd)\n'
push_as "$T_GIT" "$TMP/a/work" "A: a push adding os.system is rejected" 1 HEAD:main
contains "A: with the finding" "$OUT" "bad.py:2: B605"
lacks "A: by the daemon" "$OUT" "pysec: note"
test "$(judged)" -eq 2 && ok "A: both pushes judged by the daemon" || fail "A: both pushes judged by the daemon"
as_user "$T_GIT" git -C "$TMP/a/work" reset -q --hard HEAD~1

# reviews: the daemon reads its copy of the project as its owner
python3 "$HOOKS" "$HTTP_URL" gitlab --project group/proj --number 1 --head "$HEAD" --secret "$GL_SECRET" --key a-1 > /dev/null
for i in $(seq 600); do [ "$(daemon_log_count '"msg":"review done"')" -ge 1 ] && break; sleep 0.1; done
contains "A: a webhook's review is done" "$(grep '"msg":"review' "$TMP/daemon.log")" '"msg":"review done"'
forge_state
jq_is "A: its status is on the head" "[.statuses[] | select(.sha == \"$HEAD\") | .status] | join(\",\")" failed
stop_daemon TERM

# =====================================================================================
# B. The daemon runs as its own user, in the git user's group
# =====================================================================================
user_dir "$TMP/b" "$T_GIT"
user_dir "$TMP/b/srv" "$T_GIT" 2775 "$T_GIT"
user_dir "$TMP/b/run" "$T_DAEMON" 0750 "$T_GIT"	# the socket's directory: the git group may enter
user_dir "$TMP/b/state" "$T_DAEMON" 0700		# the queue: the daemon's alone
as_user "$T_GIT" git init -q --bare --shared=group "$TMP/b/srv/app.git"
as_user "$T_GIT" git init -q --bare "$TMP/b/srv/private.git"	# not shared with the group
for r in app private; do
	as_user "$T_GIT" git clone -q "$TMP/b/srv/$r.git" "$TMP/b/$r.work" 2> /dev/null
done
mirror "$TMP/b/srv/mirror.git" shared
cat > "$PYSEC_CONFIG" <<EOF
[pysec]
	daemonSocket = $TMP/b/run/pysec.sock
	daemonTimeout = 120
	daemonUser = $T_DAEMON
[pysec "daemon"]
	root = $TMP/b/srv
	allowGroup = $T_GIT
	socketGroup = $T_GIT
	listen = 127.0.0.1:0
	queueDb = $TMP/b/state/queue.db
	backoffMs = 20
	project = gitlab group/proj $TMP/b/srv/mirror.git
[pysec "gitlab"]
	url = $FORGE_URL
	tokenFile = $TMP/conf/token
	secretFile = $TMP/conf/gl-secret
EOF
for r in app private; do
	as_user "$T_GIT" git-pysec install "$TMP/b/srv/$r.git" > /dev/null
done
contains "B: the hook is the daemon's client, for $T_DAEMON" "$(cat "$TMP/b/srv/app.git/hooks/pre-receive")" "--user='$(id -u "$T_DAEMON")'"
contains "B: which shares the quarantine of a group-shared repository" "$(cat "$TMP/b/srv/app.git/hooks/pre-receive")" "--share-quarantine"
DAEMON_AS=$T_DAEMON start_daemon "$PYSEC_CONFIG" || exit 1
test "$(stat -c '%U %G %a' "$TMP/b/run/pysec.sock")" = "$T_DAEMON $T_GIT 660" && ok "B: the socket is the daemon's, group $T_GIT, 0660" ||
	fail "B: the socket is the daemon's, group $T_GIT, 0660" "$(stat -c '%U %G %a' "$TMP/b/run/pysec.sock")"
before=$(judged)

commit_as "$T_GIT" "$TMP/b/app.work" clean.py 'x = 1\n'
push_as "$T_GIT" "$TMP/b/app.work" "B: a clean push into a group-shared repository is accepted" 0 HEAD:main
lacks "B: judged by the daemon (the hook shared the quarantine with the group)" "$OUT" "pysec: note"
commit_as "$T_GIT" "$TMP/b/app.work" bad.py 'import os\nos.system(cmd)\n'
push_as "$T_GIT" "$TMP/b/app.work" "B: a push adding os.system is rejected" 1 HEAD:main
contains "B: with the finding" "$OUT" "bad.py:2: B605"
lacks "B: by the daemon" "$OUT" "pysec: note"
as_user "$T_GIT" git -C "$TMP/b/app.work" reset -q --hard HEAD~1
# 150 files arrive as a pack (receive.unpackLimit), written by a pusher whose umask shuts the group out
as_user "$T_GIT" sh -c "umask 077; cd '$TMP/b/app.work' && mkdir pkg && for i in \$(seq 150); do printf 'v%d = %d\n' \$i \$i > pkg/m\$i.py; done &&
	printf 'eval(data)\n' > pkg/last.py && git add pkg && git commit -qm pack && git push origin HEAD:main" > "$TMP/out" 2>&1
OUT=$(cat "$TMP/out")
contains "B: a pack pushed under umask 077 is judged" "$OUT" "pkg/last.py:1: B307"
lacks "B: by the daemon" "$OUT" "pysec: note"
as_user "$T_GIT" git -C "$TMP/b/app.work" reset -q --hard HEAD~1
test $(( $(judged) - before )) -eq 3 && ok "B: all three judged by the daemon" ||
	fail "B: all three judged by the daemon" "$(grep -E 'judged|cannot judge' "$TMP/daemon.log" | tail -3)"

# a repository the group cannot read: the daemon cannot judge its pushes, and the hook does
before=$(judged)
commit_as "$T_GIT" "$TMP/b/private.work" clean.py 'y = 2\n'
push_as "$T_GIT" "$TMP/b/private.work" "B: a clean push the daemon cannot read is still accepted" 0 HEAD:main
contains "B: the hook says, in one line, that it scans itself" "$OUT" "the daemon at $TMP/b/run/pysec.sock: it could not judge the push"
test "$(printf '%s\n' "$OUT" | grep -c 'pysec: note')" -eq 1 && ok "B: one line" || fail "B: one line" "$OUT"
commit_as "$T_GIT" "$TMP/b/private.work" bad.py 'exec(code)\n'
push_as "$T_GIT" "$TMP/b/private.work" "B: a dangerous push the daemon cannot read is rejected" 1 HEAD:main
contains "B: by the hook's own scan" "$OUT" "bad.py:1: B102"
contains "B: after the same note" "$OUT" "scanning here"
test "$(judged)" -eq "$before" && ok "B: the daemon gave no verdict on them" || fail "B: the daemon gave no verdict on them"
contains "B: it logged why" "$(grep 'cannot judge this push' "$TMP/daemon.log")" "private.git"

# another pusher in the group, whom git lets in with safe.directory = * (libgit2 1.5 alone would not)
as_user "$T_DEV" git config --global safe.directory '*'
as_user "$T_DEV" git clone -q "$TMP/b/srv/app.git" "$TMP/homes/$T_DEV/app" 2> /dev/null
commit_as "$T_DEV" "$TMP/homes/$T_DEV/app" dev.py 'import pickle\npickle.loads(blob)\n'
before=$(judged)
push_as "$T_DEV" "$TMP/homes/$T_DEV/app" "B: $T_DEV's dangerous push into the git user's repository is rejected" 1 HEAD:main
contains "B: for its finding" "$OUT" "dev.py:2: B301"
lacks "B: not for the repository's owner" "$OUT" "not owned by current user"
lacks "B: judged by the daemon" "$OUT" "pysec: note"
as_user "$T_DEV" git -C "$TMP/homes/$T_DEV/app" reset -q --hard HEAD~1
commit_as "$T_DEV" "$TMP/homes/$T_DEV/app" dev.py 'z = 3\n'
push_as "$T_DEV" "$TMP/homes/$T_DEV/app" "B: and a clean one accepted" 0 HEAD:main
test $(( $(judged) - before )) -eq 2 && ok "B: both by the daemon" || fail "B: both by the daemon"
as_user "$T_DEV" git config --global --unset safe.directory
push_as "$T_DEV" "$TMP/homes/$T_DEV/app" "B: without safe.directory, git itself refuses $T_DEV" 1 HEAD:refs/heads/other
contains "B: saying why" "$OUT" "dubious ownership"

# reviews: the daemon reads its copy of the project through the group
python3 "$HOOKS" "$HTTP_URL" gitlab --project group/proj --number 2 --head "$HEAD" --secret "$GL_SECRET" --key b-2 > /dev/null
for i in $(seq 600); do [ "$(daemon_log_count '"msg":"review done"')" -ge 2 ] && break; sleep 0.1; done
test "$(daemon_log_count '"msg":"review done"')" -ge 2 && ok "B: a webhook's review is done" ||
	fail "B: a webhook's review is done" "$(grep '"msg":"review' "$TMP/daemon.log" | tail -2)"
forge_log
jq_is "B: its inline comment is posted" \
	'[.[] | select(.method == "POST" and (.path | endswith("merge_requests/2/discussions")) and .body.position)] | length' 1
stop_daemon TERM

# =====================================================================================
# Who listens on the socket: only the daemon's user (or root) is believed
# =====================================================================================
user_dir "$TMP/open" root 1777		# a socket directory anyone may write to, as /tmp
sed -i "s|daemonSocket = .*|daemonSocket = $TMP/open/pysec.sock|" "$PYSEC_CONFIG"
# the hook's client, installed again with the new socket, checks who listens
as_user "$T_GIT" git-pysec install "$TMP/b/srv/app.git" > /dev/null
contains "the hook is the client, for the new socket" "$(cat "$TMP/b/srv/app.git/hooks/pre-receive")" "--socket='$TMP/open/pysec.sock'"
# fake USER: a listener on the socket, run as USER, that accepts every push; it stops after one
fake() { listener "$1" "$TMP/open/pysec.sock" $'pysec-gate 1\nout 0\n\nverdict 1\n0\n'; FAKE=$LISTENER; }
as_user "$T_GIT" git -C "$TMP/b/app.work" pull -q --ff-only
commit_as "$T_GIT" "$TMP/b/app.work" fake.py 'eval(payload)\n'
fake "$T_OTHER"
push_as "$T_GIT" "$TMP/b/app.work" "a listener run by $T_OTHER that accepts everything: the push is still rejected" 1 HEAD:main
contains "the hook says why it ignored it" "$OUT" "it runs as uid $(id -u "$T_OTHER"), not as the daemon's user (uid $(id -u "$T_DAEMON")"
contains "and scans the push itself" "$OUT" "fake.py:1: B307"
test "$(printf '%s\n' "$OUT" | grep -c 'pysec: note')" -eq 1 && ok "in one line" || fail "in one line" "$OUT"
kill "$FAKE" 2>/dev/null; wait "$FAKE" 2>/dev/null
# the same listener run by the daemon's user is believed: that is the check that held above
fake "$T_DAEMON"
push_as "$T_GIT" "$TMP/b/app.work" "the same listener run by pysec.daemonUser is believed" 0 HEAD:main
wait "$FAKE" 2>/dev/null

# =====================================================================================
# An ownership refusal that remains names its cause
# =====================================================================================
as_user "$T_GIT" git init -q "$TMP/b/srv/checkout"
as_user "$T_GIT" sh -c "cd '$TMP/b/srv/checkout' && printf 'eval(x)\n' > e.py && git add e.py && git commit -qm e"
as_user "$T_OTHER" sh -c "cd '$TMP/b/srv/checkout' && git-pysec scan HEAD" > "$TMP/out" 2> "$TMP/err"
rc=$?
ERR=$(cat "$TMP/err")
test "$rc" -eq 3 && ok "scan in another user's repository fails (exit 3)" || fail "scan in another user's repository fails (exit 3)" "exit $rc" "$ERR"
contains "naming the owner" "$ERR" "belongs to uid $(id -u "$T_GIT") ($T_GIT), not to uid $(id -u "$T_OTHER") ($T_OTHER)"
lacks "never libgit2's 'not found'" "$ERR" "was not found"
