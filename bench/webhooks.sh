#!/usr/bin/env bash
# webhooks.sh: the daemon's webhook throughput (as daemon.sh measures it), for
# several builds side by side, interleaved, under the same load.
#
# usage: bench/webhooks.sh DIR...
#   DIR           a directory holding git-pysec and pysec-net (a build of
#                 any commit: `git worktree add /tmp/old <commit> && make -C
#                 /tmp/old`); the stand-in forge and the senders are this
#                 tree's for every DIR, so only pysec differs
#   DELIVERIES    (environment) deliveries per run, default 2000 (DELIVERIES/4
#                 merge requests, 4 deliveries each)
#   ROUNDS        (environment) rounds, default 3; each round runs every DIR
#                 with queueSync full, then every DIR with normal
#
# Output: one line per run (round, sync, DIR, accepted/s, reviews/s,
# reviews, sending s, drained s), then the median per DIR and sync, in
# markdown, on stdout and in bench/results/webhooks-<date>.md.
set -euo pipefail
export LC_ALL=C

die() { echo "webhooks.sh: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
(($# >= 1)) || die "usage: bench/webhooks.sh DIR..."
deliveries=${DELIVERIES:-2000}
rounds=${ROUNDS:-3}
for d in "$@"; do
	[[ -x $d/git-pysec && -x $d/pysec-net ]] || die "$d has no git-pysec and pysec-net"
done
command -v curl >/dev/null || die "curl is missing"
work=$(mktemp -d /tmp/pysec-bench-webhooks.XXXXXX)
daemon_pid="" forge_pid=""
cleanup() {
	[[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null || true
	[[ -n $forge_pid ]] && kill "$forge_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
# each build in a directory of its own: `serve` runs the pysec-net beside its git-pysec
i=0
for d in "$@"; do
	mkdir -p "$work/bin$i"
	cp "$d/git-pysec" "$d/pysec-net" "$work/bin$i/"
	i=$((i + 1))
done

# shellcheck source=bench/lib-webhooks.sh
source "$root/bench/lib-webhooks.sh"

: >"$work/runs"
for ((r = 1; r <= rounds; r++)); do
	for sync in full normal; do
		i=0
		for d in "$@"; do
			echo "round $r, queueSync $sync: $d" >&2
			echo "$r $sync $i $(webhook_throughput "$work/bin$i/git-pysec" "$sync")" >>"$work/runs"
			i=$((i + 1))
		done
	done
done

median() { sort -n | awk '{ v[NR] = $1 } END { printf "%s", NR ? v[int((NR + 1) / 2)] : "-" }'; }
mkdir -p "$root/bench/results"
out=$root/bench/results/webhooks-$(date -u +%Y-%m-%d-%H%M).md
{
	echo "### Measured $(date -u '+%Y-%m-%d %H:%M') UTC: webhooks, side by side"
	echo
	echo "\`ROUNDS=$rounds DELIVERIES=$deliveries bench/webhooks.sh $*\`, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
	echo
	echo "| build | queueSync | accepted / s, each run | median | reviews / s, each run | median |"
	echo "|---|---|---|---:|---|---:|"
	for sync in full normal; do
		i=0
		for d in "$@"; do
			acc=$(awk -v s="$sync" -v i="$i" '$2 == s && $3 == i { print $4 }' "$work/runs")
			rev=$(awk -v s="$sync" -v i="$i" '$2 == s && $3 == i { print $5 }' "$work/runs")
			echo "| $d | $sync | $(echo $acc | tr ' ' '/') | $(median <<<"$(tr ' ' '\n' <<<"$acc")") |" \
				"$(echo $rev | tr ' ' '/') | $(median <<<"$(tr ' ' '\n' <<<"$rev")") |"
			i=$((i + 1))
		done
	done
} | tee "$out"
