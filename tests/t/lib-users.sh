# lib-users.sh: sourced (after lib.sh) by the tests that need real Unix users
# (a git service user owning the repositories, a daemon user, pushers).
# CI runs as root; elsewhere these tests say they are skipped and end.
#
# Users are created when absent and never removed (another test run may be
# using them at the same time); their names start with "pysec-t-".
if [ "$(id -u)" -ne 0 ]; then
	ok "skipped: real users need root"
	exit 0
fi
T_GIT=pysec-t-git		# the git service user: owns the repositories, receive-pack runs as it
T_DAEMON=pysec-t-daemon		# the daemon's own user (model B), in the git user's group
T_DEV=pysec-t-dev		# another pusher, in the git user's group
T_OTHER=pysec-t-other		# a user in no group of these

# retry WHAT COMMAND...: useradd and usermod fail while another process holds /etc/passwd's lock
_retry() {
	local i
	for i in $(seq 50); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	"$@"
}

# ensure_user NAME [GROUP...]: a system user NAME with a group of its own, in each GROUP
ensure_user() {
	local name=$1 g; shift
	id "$name" > /dev/null 2>&1 ||
		_retry sh -c "id '$name' > /dev/null 2>&1 || useradd --system --user-group --no-create-home \
			--home-dir /nonexistent --shell /usr/sbin/nologin '$name'"
	for g in "$@"; do
		id -nG "$name" | tr ' ' '\n' | grep -qx "$g" || _retry usermod -a -G "$g" "$name"
	done
}
ensure_user "$T_GIT"
ensure_user "$T_DAEMON" "$T_GIT"
ensure_user "$T_DEV" "$T_GIT"
ensure_user "$T_OTHER"

# The test's directory is root's (0700): the users may pass through it, and
# each has a home of its own in it, with a git identity.
chmod 0711 "$TMP"
mkdir -p "$TMP/homes"
chmod 0755 "$TMP/homes"
for u in "$T_GIT" "$T_DAEMON" "$T_DEV" "$T_OTHER"; do
	mkdir -p "$TMP/homes/$u"
	printf '[user]\n\tname = %s\n\temail = %s@example.com\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n' \
		"$u" "$u" > "$TMP/homes/$u/.gitconfig"
	chown -R "$u:" "$TMP/homes/$u"
done

# The binaries under test, where every user can run them (the checkout may
# be in a directory only root can enter); pysec-net and pysec-hook go next to git-pysec.
SBIN="$TMP/sbin"
mkdir -p "$SBIN"
for f in git-pysec pysec-net pysec-hook; do
	cp "$(dirname "$(readlink -f "$PYSEC_BIN")")/$f" "$SBIN/"
	chmod 0755 "$SBIN/$f"
done
chmod 0755 "$SBIN"

# as_user USER COMMAND...: run COMMAND as USER (its groups too), with its own
# home; the rest of the environment (PYSEC_CONFIG, the git identity) is kept.
# In the background, "${AS_USER[@]}" COMMAND... & after `as_user_prefix USER`
# makes $! the command's own process id (setpriv and env exec it).
as_user_prefix() {
	AS_USER=(setpriv --reuid="$1" --regid="$(id -g "$1")" --init-groups -- env HOME="$TMP/homes/$1" PATH="$SBIN:$PATH")
}
as_user() {
	as_user_prefix "$1"
	shift
	"${AS_USER[@]}" "$@"
}

# listener USER SOCKET ANSWER: a stand-in for the daemon on SOCKET (replaced), run
# as USER in the background (its process id in LISTENER), that reads one request
# to its end and sends ANSWER; back once it listens
listener() {
	rm -f "$2" "$TMP/listener.out"
	as_user_prefix "$1"
	"${AS_USER[@]}" python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
s.listen(8)
print("listening", flush=True)
c, _ = s.accept()
c.settimeout(10)
try:
    while c.recv(65536):
        pass
except OSError:
    pass
c.sendall(sys.argv[2].encode())
c.close()
' "$2" "$3" > "$TMP/listener.out" 2>&1 &
	LISTENER=$!
	wait_until 60 grep -q listening "$TMP/listener.out"
}

# user_dir DIR USER [MODE [GROUP]]: DIR, made and given to USER (and GROUP), with MODE (default 0755)
user_dir() {
	mkdir -p "$1"
	chown "$2:${4:-}" "$1"
	chmod "${3:-0755}" "$1"
}
