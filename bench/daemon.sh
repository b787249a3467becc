#!/usr/bin/env bash
# daemon.sh: the pysec daemon (`git pysec serve`) measured two ways.
#
# usage: bench/daemon.sh REPO_DIR [N]
#   REPO_DIR      a clone (bare or not) of a Python project; see bench/README.md
#   N             first-parent commits to replay, default 200
#   REPLAY_TIP    (environment) the last commit replayed, default HEAD of REPO_DIR
#   DELIVERIES    (environment) webhook deliveries sent, default 400; 0: no webhooks
#   BUILD         (environment) the build directory, default build
#
# 1. Hook latency.  The last N first-parent commits up to REPLAY_TIP are
#    pushed one at a time into copies of a seed bare repository (the commit
#    before them, pushed untimed), with hooks/pre-receive a wrapper that
#    times, with bash's EPOCHREALTIME, the hook `git pysec install` wrote
#    into that copy (with the policy of the run):
#      (a) in-process: no daemon in the policy (the hook runs git-pysec)
#      (b) daemon, cold: the policy names the daemon's socket (the hook runs
#          the client pysec-hook); a fresh daemon
#      (c) daemon, warm: the same N pushes into a second copy of the seed,
#          with the daemon of (b) still running: every blob was seen before
#          (as for a mirror, a fork, or the same commits pushed again)
#      (d) as (c), into a third copy, with git-pysec itself as the hook (as
#          before the client: libgit2 and the policy loaded to find the daemon)
#    Every push is a one-commit fast-forward; the wrapper exits 0 so each lands.
# 2. Webhook throughput.  The stand-in forge of tests/forge/server.py knows
#    DELIVERIES/4 GitLab merge requests on one small diff (three findings); 4 deliveries
#    each (open, a redelivery, an update, a redelivery) are sent with 8
#    senders at once.  Reported: deliveries accepted per second (the 2xx,
#    each committed to the queue first), and reviews completed per second
#    (the first review's start to the last one's end, from the log), with the queue's fsync on every
#    commit (queueSync = full, the default) and with normal; a fresh forge each.
#
# Output: a markdown report on stdout and in bench/results/daemon-<date>.md.
set -euo pipefail
export LC_ALL=C

die() { echo "daemon.sh: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ $# -ge 1 && $# -le 2 ]] || die "usage: bench/daemon.sh REPO_DIR [N]"
src=$(cd "$1" && pwd -P) || die "no such directory: $1"
n=${2:-200}
deliveries=${DELIVERIES:-400}
build=${BUILD:-build}
tip_id=$(git -C "$src" rev-parse --verify -q "${REPLAY_TIP:-HEAD}^{commit}") || die "no commit ${REPLAY_TIP:-HEAD}"
command -v curl >/dev/null || die "curl is missing"

# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
cd "$root"
make BUILD="$build" >&2
source_rev=$(git -C "$root" describe --always --dirty 2>/dev/null || echo '?')
work=$(mktemp -d /tmp/pysec-bench-daemon.XXXXXX)
daemon_pid="" forge_pid=""
cleanup() {
	[[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null || true
	[[ -n $forge_pid ]] && kill "$forge_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
# `serve` runs pysec-net from the directory git-pysec is in
cp "$build/git-pysec" "$build/pysec-net" "$build/pysec-hook" "$work/"
bin=$work/git-pysec
export PYSEC_CONFIG=$work/pysec.conf
unset GIT_DIR GIT_WORK_TREE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES

percentile() { # FILE P: the P-th percentile (nearest rank) of a column of numbers
	sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END { if (!NR) { print "-"; exit } i = int((p / 100) * NR + 0.999999); if (i < 1) i = 1; printf "%.1f", v[i] }'
}

start_daemon() { # CONF LOG: start `git-pysec serve`, wait until ready
	"$bin" serve --config "$1" --port-file "$work/port" >"$2" 2>&1 &
	daemon_pid=$!
	for _ in $(seq 400); do grep -q '"msg":"ready"' "$2" && return 0; sleep 0.05; done
	die "the daemon did not start: $(tail -3 "$2")"
}
stop_daemon() {
	kill "$daemon_pid" && wait "$daemon_pid" || true
	daemon_pid=""
}

# --- 1. hook latency --------------------------------------------------------------

mapfile -t commits < <(git -C "$src" rev-list --first-parent -n $((n + 1)) "$tip_id" | tac)
((${#commits[@]} == n + 1)) || die "fewer than N = $n first-parent commits"
mkdir -p "$work/srv"
echo "seeding with ${commits[0]:0:12} and the refs that do not reach the replay (untimed)" >&2
nrefs=$(bench_seed "$src" "$work/seed.git" "${commits[0]}" "${commits[1]}")

# the hook timed is what `git pysec install` writes into each copy, moved to hooks/pysec.sh
cat >"$work/hook" <<EOF
#!/usr/bin/env bash
# time the installed hook; always let the push in
cat >"\$PWD/last.in"
t0=\$EPOCHREALTIME
"\$PWD/hooks/pysec.sh" <"\$PWD/last.in" >/dev/null 2>"\$PWD/last.err"
rc=\$?
t1=\$EPOCHREALTIME
awk -v a="\$t0" -v b="\$t1" -v rc="\$rc" 'BEGIN { printf "%.3f %d\n", (b - a) * 1000, rc }' >> "\$PWD/times"
exit 0
EOF
chmod +x "$work/hook"

replay() { # NAME [full]: push the N commits into a copy of the seed; times in $work/NAME.ms
	local repo=$work/srv/$1.git i
	cp -a "$work/seed.git" "$repo"
	"$bin" install --force "$repo" >/dev/null
	mv "$repo/hooks/pre-receive" "$repo/hooks/pysec.sh"
	# full: git-pysec as the hook, as before the client (it reads the policy with libgit2 to find the daemon)
	[[ ${2:-} == full ]] && printf "#!/bin/sh\nexec '%s' pre-receive\n" "$bin" >"$repo/hooks/pysec.sh"
	sed -n 's/^exec //p' "$repo/hooks/pysec.sh" | cut -c1-160 >"$work/$1.hook"
	cp "$work/hook" "$repo/hooks/pre-receive"
	: >"$repo/times"
	for ((i = 1; i <= n; i++)); do
		git -C "$src" push --no-verify -q "$repo" "${commits[i]}:refs/heads/main" 2>/dev/null
	done
	awk '{ print $1 }' "$repo/times" >"$work/$1.ms"
	awk '$2 == 1' "$repo/times" | wc -l >"$work/$1.rejected"
}

echo "(a) in-process: $n pushes" >&2
: >"$PYSEC_CONFIG"
replay inproc
cat >"$PYSEC_CONFIG" <<EOF
[pysec]
	daemonSocket = $work/pysec.sock
[pysec "daemon"]
	root = $work/srv
EOF
start_daemon "$PYSEC_CONFIG" "$work/daemon.log"
echo "(b) daemon, cold: $n pushes" >&2
replay cold
echo "(c) daemon, warm: $n pushes" >&2
replay warm
echo "(d) daemon, warm, git-pysec as the hook: $n pushes" >&2
replay full full
judged=$(grep -c '"msg":"push judged"' "$work/daemon.log" || true)
# the daemon's own part of each push: connection to answer, from its log
jq -r 'select(.msg == "push judged") | .seconds * 1000' "$work/daemon.log" >"$work/inside.ms"
head -n "$n" "$work/inside.ms" >"$work/cold.inside.ms"
sed -n "$((n + 1)),$((2 * n))p" "$work/inside.ms" >"$work/warm.inside.ms"
tail -n +"$((2 * n + 1))" "$work/inside.ms" >"$work/full.inside.ms"
# the hook's own cost: its wall time less the daemon's, push by push
for k in cold warm full; do
	paste -d' ' "$work/$k.ms" "$work/$k.inside.ms" | awk 'NF == 2 { printf "%.3f\n", $1 - $2 }' >"$work/$k.own.ms"
done
rss_daemon=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$daemon_pid/status")
stop_daemon

# --- 2. webhook throughput --------------------------------------------------------------

source "$root/bench/lib-webhooks.sh"

if ((deliveries > 0)); then
	echo "webhooks: $deliveries deliveries, queueSync full" >&2
	read -r acc_full rev_full jobs_full send_full all_full < <(webhook_throughput "$bin" full)
	echo "webhooks: $deliveries deliveries, queueSync normal" >&2
	read -r acc_norm rev_norm jobs_norm send_norm all_norm < <(webhook_throughput "$bin" normal)
fi

# --- report ------------------------------------------------------------------------------

mkdir -p "$root/bench/results"
out=$root/bench/results/daemon-$(date -u +%Y-%m-%d-%H%M).md
{
	echo "### Measured $(date -u '+%Y-%m-%d %H:%M') UTC"
	echo
	echo "\`bench/daemon.sh $1 $n\` (REPLAY_TIP=${tip_id:0:12}), pysec $source_rev, $(nproc) cores."
	echo
	echo "Server repository: $(git -C "$work/seed.git" rev-list --all --count) commits, $nrefs refs; the hook is what \`git pysec install\` writes: (a) \`$(cat "$work/inproc.hook")\`, (b) and (c) \`$(cat "$work/cold.hook")...\`."
	echo
	echo "| hook, per push | pushes | median ms | p95 ms | max ms | rejected | in the daemon: median ms | p95 ms | the hook's own: median ms | p95 ms |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for m in inproc:"(a) in the hook's process" cold:"(b) through the daemon, cold" warm:"(c) through the daemon, warm (blobs seen)" \
		full:"(d) as (c), git-pysec as the hook (no client)"; do
		k=${m%%:*}
		if [[ -s $work/$k.inside.ms ]]; then
			inside="$(percentile "$work/$k.inside.ms" 50) | $(percentile "$work/$k.inside.ms" 95) | $(percentile "$work/$k.own.ms" 50) | $(percentile "$work/$k.own.ms" 95)"
		else
			inside="- | - | - | -"
		fi
		echo "| ${m#*:} | $(wc -l <"$work/$k.ms") | $(percentile "$work/$k.ms" 50) | $(percentile "$work/$k.ms" 95) | $(percentile "$work/$k.ms" 100) | $(cat "$work/$k.rejected") | $inside |"
	done
	echo
	echo "The daemon judged $judged of the $((3 * n)) pushes of (b), (c) and (d) itself; its peak RSS was $rss_daemon MB."
	echo "The hook's own cost is its wall time less the daemon's (connection to answer, from the daemon's log), push by push;" \
		"target: median at most 3 ms ($(awk -v m="$(percentile "$work/warm.own.ms" 50)" 'BEGIN { print (m != "-" && m + 0 <= 3) ? "met" : "**missed**" }') warm," \
		"$(awk -v m="$(percentile "$work/cold.own.ms" 50)" 'BEGIN { print (m != "-" && m + 0 <= 3) ? "met" : "**missed**" }') cold)."
	echo
	if ((deliveries > 0)); then
		echo "| webhooks, $deliveries deliveries for $nmr merge requests | accepted / s | reviews / s | reviews | sending s | first delivery to queue drained s |"
		echo "|---|---:|---:|---:|---:|---:|"
		echo "| queueSync = full (fsync per delivery) | $acc_full | $rev_full | $jobs_full | $send_full | $all_full |"
		echo "| queueSync = normal | $acc_norm | $rev_norm | $jobs_norm | $send_norm | $all_norm |"
	fi
} | tee "$out"
