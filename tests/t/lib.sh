# lib.sh: sourced by every integration test.  Each test works in its own
# temporary directory with `git pysec` on PATH (the binary under test), and
# reports with ok/not ok lines that run-integration.sh counts.
set -u

TEST_NAME=$(basename "$0" .sh)
TMP=$(mktemp -d "/tmp/pysec-$TEST_NAME.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/bin"
ln -s "$PYSEC_BIN" "$TMP/bin/git-pysec"
export PATH="$TMP/bin:$PATH"
export HOME="$TMP/home" GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com \
	GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com NO_COLOR=1
# a test never reads the machine's own policy file
export PYSEC_CONFIG="$TMP/no-system-policy.conf"
mkdir -p "$HOME"
git config --global init.defaultBranch main
git config --global advice.detachedHead false
cd "$TMP" || exit 1

_n=0
_report() { echo "$1" | tee -a "${PYSEC_RESULTS:-/dev/null}"; }

# ok DESCRIPTION: record a pass.  fail DESCRIPTION [DETAIL...]: record a failure.
ok() { _n=$((_n + 1)); _report "ok $_n - $*"; }
fail() {
	_n=$((_n + 1)); _report "not ok $_n - $1"
	shift
	[ $# -gt 0 ] && printf '    %s\n' "$@"
	return 0
}

# check DESCRIPTION COMMAND...: pass when COMMAND succeeds.
check() {
	local d=$1; shift
	if "$@"; then ok "$d"; else fail "$d" "command: $*"; fi
}

# expect_exit CODE DESCRIPTION COMMAND...: run COMMAND, keep its stdout in $OUT
# and stderr in $ERR, pass when it exits with CODE.
expect_exit() {
	local want=$1 d=$2; shift 2
	"$@" > "$TMP/out" 2> "$TMP/err"
	local rc=$?
	OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
	if [ "$rc" -eq "$want" ]; then ok "$d"; else fail "$d" "exit $rc, wanted $want: $*" "stdout: ${OUT:0:2000}" "stderr: ${ERR:0:2000}"; fi
}

# jq_is DESCRIPTION FILTER EXPECTED: pass when jq -r FILTER on $OUT prints EXPECTED.
jq_is() {
	local d=$1 filter=$2 want=$3 got
	got=$(printf '%s' "$OUT" | jq -r "$filter" 2>&1)
	if [ "$got" = "$want" ]; then ok "$d"; else fail "$d" "jq $filter" "got:    $got" "wanted: $want"; fi
}

# contains DESCRIPTION TEXT NEEDLE
contains() {
	case "$2" in *"$3"*) ok "$1" ;; *) fail "$1" "no '$3' in:" "${2:0:3000}" ;; esac
}
lacks() {
	case "$2" in *"$3"*) fail "$1" "unexpected '$3' in:" "${2:0:3000}" ;; *) ok "$1" ;; esac
}

# wait_until SECONDS COMMAND...: run COMMAND until it succeeds, for at most
# SECONDS; true when it did.  Every wait for what another process does (a
# daemon ready, a job done, /healthz) is this poll with a deadline: never a
# sleep that orders events.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# new_repo DIR: a fresh repository with one empty commit.
new_repo() {
	git init -q "$1" && git -C "$1" commit -q --allow-empty -m init
}

commit_all() {
	git -C "$1" add -A && git -C "$1" commit -q -m "$2"
}

# new_server NAME: a bare repository with the hook installed, and a clone of
# it in NAME.work to push from.
new_server() {
	git init -q --bare "$1.git" &&
	git pysec install "$1.git" > /dev/null &&
	git clone -q "$1.git" "$1.work" 2> /dev/null
}

# push_expect CODE DESCRIPTION ARGS...: `git push ARGS` from the current
# clone; its output (the remote: lines) lands in $OUT.
push_expect() {
	local want=$1 d=$2; shift 2
	git push "$@" > "$TMP/out" 2>&1
	local rc=$?
	OUT=$(cat "$TMP/out")
	if { [ "$want" -eq 0 ] && [ "$rc" -eq 0 ]; } || { [ "$want" -ne 0 ] && [ "$rc" -ne 0 ]; }; then
		ok "$d"
	else
		fail "$d" "git push $* exited $rc" "${OUT:0:3000}"
	fi
}
