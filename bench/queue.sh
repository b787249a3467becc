#!/usr/bin/env bash
# queue.sh: webhook throughput of the daemon's queue, SQLite beside PostgreSQL
# shared by 1, 2 and 3 daemons.
#
# usage: bench/queue.sh
#   DELIVERIES    (environment) webhook deliveries sent, default 400
#   WORKERS       (environment) review workers per daemon, default 2
#   BUILD         (environment) the build directory, default build
#
# The stand-in forge of tests/forge/server.py knows DELIVERIES/4 GitLab
# merge requests on one small diff (three findings); 4 deliveries each
# (open, a redelivery, an update, a redelivery) are sent by 8 senders at
# once, spread over the daemons in turn (tests/forge/webhook.py --batch with
# their URLs, as a load balancer would).  Each run has a fresh forge and a
# fresh queue: a SQLite file (queueSync = full, the default), or a database
# of a PostgreSQL 15 server this script starts in a temporary directory
# (initdb, a Unix socket, password authentication; as the user
# pysec-t-pg, made if absent, when run as root).  Reported: deliveries
# accepted per second (each answered 2xx after its commit to the queue),
# reviews completed per second (the first review's start to the last one's
# end, from the daemons' logs), and the comments posted (each once).
#
# Output: a markdown report on stdout and in bench/results/queue-<date>.md.
set -euo pipefail
export LC_ALL=C

die() { echo "queue.sh: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deliveries=${DELIVERIES:-400}
workers=${WORKERS:-2}
build=${BUILD:-build}
pgbin=/usr/lib/postgresql/15/bin
[[ -x $pgbin/initdb ]] || die "PostgreSQL 15 is missing (install.sh --deps-only installs it)"
command -v curl >/dev/null && command -v jq >/dev/null && command -v psql >/dev/null || die "curl, jq or psql is missing"

cd "$root"
make BUILD="$build" >&2
source_rev=$(git -C "$root" describe --always --dirty 2>/dev/null || echo '?')
work=$(mktemp -d /tmp/pysec-bench-queue.XXXXXX)
chmod 0711 "$work"
pids="" forge_pid=""
pg_as=()
if [[ $(id -u) -eq 0 ]]; then
	id pysec-t-pg >/dev/null 2>&1 || useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin pysec-t-pg
	pg_as=(setpriv --reuid=pysec-t-pg --regid="$(id -g pysec-t-pg)" --init-groups -- env HOME="$work/pg")
fi
pg() { "${pg_as[@]}" "$pgbin/$@"; }
cleanup() {
	for p in $pids $forge_pid; do kill "$p" 2>/dev/null || true; done
	pg pg_ctl -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
cp "$build/git-pysec" "$build/pysec-net" "$work/"
bin=$work/git-pysec
export PYSEC_CONFIG=$work/none.conf
unset GIT_DIR GIT_WORK_TREE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES

# --- PostgreSQL ------------------------------------------------------------------------------
mkdir -p "$work/pg"
[[ ${#pg_as[@]} -gt 0 ]] && chown pysec-t-pg: "$work/pg"
chmod 0700 "$work/pg"
printf 'su-bench\n' >"$work/pg/su.pw"
[[ ${#pg_as[@]} -gt 0 ]] && chown pysec-t-pg: "$work/pg/su.pw"
pg initdb -D "$work/pg/data" -U postgres -A scram-sha-256 --pwfile="$work/pg/su.pw" -N >"$work/initdb.log" 2>&1 ||
	die "initdb failed: $(tail -3 "$work/initdb.log")"
pg pg_ctl -D "$work/pg/data" -l "$work/pg/log" -o "-k $work/pg -c listen_addresses=''" -w start >/dev/null ||
	die "PostgreSQL does not start: $(tail -3 "$work/pg/log")"
psu() { PGPASSWORD=su-bench psql -X -q -h "$work/pg" -U postgres -d postgres "$@"; }
psu -c "CREATE ROLE pysec LOGIN PASSWORD 'bench'" >/dev/null
printf 'bench\n' >"$work/pg.pw"
chmod 0600 "$work/pg.pw"

# --- the forge and the deliveries ---------------------------------------------------------------
source "$root/bench/lib-webhooks.sh"

# run QUEUE N: N daemons on a fresh queue (sqlite, or postgresql); prints
# "accepted/s reviews/s reviews sending-s drained-s posted"
run() {
	local kind=$1 n=$2 db i urls="" t0 t1 t2 span done_jobs posted
	start_forge
	if [[ $kind == sqlite ]]; then
		db=$work/queue-$n.db
		rm -f "$db"*
	else
		psu -c "DROP DATABASE IF EXISTS pysec" -c "CREATE DATABASE pysec OWNER pysec" >/dev/null
		db="host=$work/pg dbname=pysec user=pysec"
	fi
	: >"$work/daemons.log"
	pids=""
	for i in $(seq "$n"); do
		cat >"$work/d$i.conf" <<EOF
[pysec "daemon"]
	listen = 127.0.0.1:0
	queueDb = $db
	queuePasswordFile = $work/pg.pw
	reviewWorkers = $workers
	project = gitlab group/proj $work/review
[pysec "gitlab"]
	url = $forge_url
	tokenFile = $work/token
	secretFile = $work/secret
EOF
		rm -f "$work/port.$i"
		"$bin" serve --config "$work/d$i.conf" --port-file "$work/port.$i" 2>>"$work/daemons.log" &
		pids="$pids $!"
	done
	for i in $(seq "$n"); do
		for _ in $(seq 400); do [[ -s $work/port.$i ]] && break; sleep 0.05; done
		[[ -s $work/port.$i ]] || die "daemon $i of $n does not start: $(tail -3 "$work/daemons.log")"
		urls="$urls${urls:+,}http://127.0.0.1:$(cat "$work/port.$i")"
	done
	send_and_drain "$urls" "$work/answers"
	for p in $pids; do kill "$p"; wait "$p" 2>/dev/null || true; done
	pids=""
	span=$(review_span "$work/daemons.log")
	posted=$(posted_comments)
	stop_forge
	[[ $(awk '$2 !~ /^20[02]$/' "$work/answers" | wc -l) == 0 ]] || echo "queue.sh: warning: deliveries not accepted" >&2
	[[ $posted == $((3 * nmr)) ]] || echo "queue.sh: warning: $posted comments posted, $((3 * nmr)) expected" >&2
	awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$deliveries" -v j="$done_jobs" -v s="$span" -v p="$posted" \
		'BEGIN { printf "%.0f %.1f %d %.2f %.2f %d\n", d / (b - a), j / s, j, b - a, c - a, p }'
}

rows=""
for setup in "sqlite 1" "postgresql 1" "postgresql 2" "postgresql 3"; do
	echo "queue.sh: $deliveries deliveries, $setup daemon(s)" >&2
	read -r acc rev jobs send drained posted < <(run $setup)
	set -- $setup
	plural=s
	if [[ $2 -eq 1 ]]; then plural=""; fi
	rows="$rows| $1, $2 daemon$plural | $acc | $rev | $jobs | $posted | $send | $drained |"$'\n'
done

mkdir -p "$root/bench/results"
out=$root/bench/results/queue-$(date -u +%Y%m%d-%H%M).md
{
	echo "### queue.sh, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "pysec $source_rev, $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg);"
	echo "$deliveries deliveries for $nmr merge requests, $workers review workers per daemon, PostgreSQL $("$pgbin/postgres" --version | awk '{ print $3 }')."
	echo
	echo "| queue | accepted / s | reviews / s | reviews | comments posted | sending s | first delivery to queue drained s |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	printf '%s' "$rows"
} | tee "$out"
