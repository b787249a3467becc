# lib-webhooks.sh: what the webhook benchmarks share (sourced by daemon.sh,
# webhooks.sh and queue.sh, with $root, $work and $deliveries set): the
# requests' repository, the stand-in forge that knows DELIVERIES/4 merge
# requests on it, the deliveries, one daemon's run (webhook_throughput), and
# the reviews' pace and comments once a run is over.

# the requests' repository: one commit adding three findings (each review posts
# three inline comments and a status), so that the forge stand-in's own diff
# per comment stays small
git init -q "$work/review"
printf 'import subprocess\nsubprocess.call(cmd)\n' >"$work/review/a.py"
git -C "$work/review" add a.py
git -C "$work/review" -c user.name=b -c user.email=b@x commit -qm base
base=$(git -C "$work/review" rev-parse HEAD)
printf 'import subprocess\nsubprocess.call(cmd, shell=True)\neval(x)\n' >"$work/review/a.py"
printf 'import os\nos.system(c)\n' >"$work/review/b.py"
git -C "$work/review" add a.py b.py
git -C "$work/review" -c user.name=b -c user.email=b@x commit -qm topic
head=$(git -C "$work/review" rev-parse HEAD)
nmr=$((deliveries / 4))
printf 'tok\n' >"$work/token"
printf 'sec\n' >"$work/secret"

start_forge() { # a fresh stand-in forge (no comments from an earlier run)
	python3 "$root/tests/forge/server.py" >"$work/forge.out" 2>"$work/forge.err" &
	forge_pid=$!
	for _ in $(seq 200); do grep -q '^port ' "$work/forge.out" && break; sleep 0.05; done
	forge_url="http://127.0.0.1:$(sed -n 's/^port //p' "$work/forge.out")"
	python3 "$root/tests/forge/ctl.py" "$forge_url/_control" "$(python3 -c "
import json
mr = {'base': '$base', 'start': '$base', 'head': '$head'}
print(json.dumps({'token': 'tok', 'gitlab': {'projects': {'7': {'path': 'group/proj', 'repo': '$work/review',
    'mrs': {str(i): mr for i in range(1, $nmr + 1)}}}}}))")" >/dev/null
}
stop_forge() {
	kill "$forge_pid" && wait "$forge_pid" 2>/dev/null || true
	forge_pid=""
}
python3 - "$head" "$nmr" >"$work/deliveries.jsonl" <<'EOF'
import json, sys
head, nmr = sys.argv[1], int(sys.argv[2])
for i in range(1, nmr + 1):
    for k, action in (("a", "open"), ("b", "update")):
        for _ in range(2):
            print(json.dumps({"forge": "gitlab", "project": "group/proj", "number": i, "head": head,
                              "action": action, "secret": "sec", "key": "%d-%s" % (i, k)}))
EOF

# review_span LOG...: seconds from the first "review started" to the last "review done" in the daemons' logs
review_span() {
	jq -r 'select(.msg == "review started" or .msg == "review done") | .ts' "$@" |
		python3 -c 'import sys, datetime
ts = [datetime.datetime.fromisoformat(l.strip().replace("Z", "+00:00")).timestamp() for l in sys.stdin if l.strip()]
print("%.3f" % (max(ts) - min(ts)) if ts else "0")'
}

# posted_comments: the inline comments the forge took
posted_comments() {
	python3 "$root/tests/forge/ctl.py" "$forge_url/_log" |
		jq '[.[] | select(.method == "POST" and (.path | endswith("/discussions")) and .status == 201)] | length'
}

# send_and_drain URLS ANSWERS: the deliveries sent by 8 senders (to the daemons of the comma-separated
# URLS in turn), then until the queue has nothing queued or running (the first daemon's /metrics
# counts the whole queue's jobs; PostgreSQL's: every daemon's); sets t0 (sending starts), t1 (every
# delivery answered), t2 (drained) and done_jobs
send_and_drain() {
	local url1=${1%%,*}
	t0=$EPOCHREALTIME
	python3 "$root/tests/forge/webhook.py" --batch "$1" --threads 8 <"$work/deliveries.jsonl" >"$2"
	t1=$EPOCHREALTIME
	for _ in $(seq 3000); do
		[[ $(curl -s "$url1/metrics" | awk '$1 ~ /pysec_queue_jobs\{state="(queued|running)"\}/ { s += $2 } END { print s + 0 }') == 0 ]] && break
		sleep 0.1
	done
	t2=$EPOCHREALTIME
	done_jobs=$(curl -s "$url1/metrics" | awk '$1 == "pysec_queue_jobs{state=\"done\"}" { print $2 }')
}

# webhook_throughput GIT_PYSEC SYNC: one run of a fresh daemon (GIT_PYSEC serve, queueSync SYNC, 4
# review workers) against a fresh forge; prints "accepted/s reviews/s reviews sending_s drained_s"
webhook_throughput() {
	local bin=$1 sync=$2 conf=$work/hooks-$2.conf db=$work/queue-$2.db log=$work/daemon-$2.log
	local posted span t0 t1 t2 done_jobs
	rm -f -- "$db" "$db-wal" "$db-shm" "$work/port"
	start_forge
	cat >"$conf" <<EOF
[pysec "daemon"]
	listen = 127.0.0.1:0
	queueDb = $db
	queueSync = $sync
	reviewWorkers = 4
	project = gitlab group/proj $work/review
[pysec "gitlab"]
	url = $forge_url
	tokenFile = $work/token
	secretFile = $work/secret
EOF
	"$bin" serve --config "$conf" --port-file "$work/port" >"$log" 2>&1 &
	daemon_pid=$!
	for _ in $(seq 400); do grep -q '"msg":"ready"' "$log" && break; sleep 0.05; done
	grep -q '"msg":"ready"' "$log" || { echo "the daemon did not start: $(tail -3 "$log")" >&2; return 1; }
	send_and_drain "http://127.0.0.1:$(cat "$work/port")" "$work/answers-$sync"
	kill "$daemon_pid" && wait "$daemon_pid" || true
	daemon_pid=""
	# the reviews' own pace: first "review started" to last "review done", from the log's timestamps
	span=$(review_span "$log")
	posted=$(posted_comments)
	stop_forge
	[[ $posted == $((3 * nmr)) ]] || echo "warning: $posted comments posted, $((3 * nmr)) expected" >&2
	awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$deliveries" -v j="$done_jobs" -v s="$span" \
		'BEGIN { printf "%.0f %.1f %d %.2f %.2f\n", d / (b - a), j / s, j, b - a, c - a }'
}
