#!/usr/bin/env bash
# hook-replay.sh: the pre-receive hook on a real history, one push per commit,
# and on the push shapes of the hook's tests, against git's own diff of each
# push (measured right after it, in the same hook run) and a Bandit hook.
#
# usage: bench/hook-replay.sh REPO_DIR [N]
#   REPO_DIR       a clone (bare or not, a partial one will do) of a Python
#                  project; see bench/README.md
#   N              first-parent commits to replay, default 500
#   REPLAY_TIP     (environment) the last commit replayed, default HEAD of REPO_DIR
#   BANDIT_PUSHES  (environment) how many of the N pushes also go through the
#                  Bandit hook, default N; it is the long pole (about 1 s a push)
#   SHAPE_RUNS     (environment) pushes of each shape (below), default 20; 0: none
#   SEED_REFS      (environment) which refs of REPO_DIR the server repository
#                  starts with besides main, default "refs/heads refs/tags"
#   BUILD          (environment) the build directory, default build (`make BUILD=...`)
#   PYSEC_BIN      (environment) measure this git-pysec instead of building one
#   DAEMON         (environment) 1: (a) is the hook `git pysec install` writes
#                  for a policy that names a daemon (pysec-hook, the client),
#                  with `git pysec serve` running for the server repositories
#   KEEP_HOOK_OUTPUT  (environment) non-empty: keep each hook's stdout and stderr
#                  in bench/results/hook-replay-<date>/
#
# The server.  A seed bare repository holds the commit before the N as its
# main, and every branch and tag of REPO_DIR whose history does not reach
# the N commits, as `git gc` leaves a repository: one pack, packed refs, a
# commit-graph (bench/lib.sh, bench_seed).
#
# The replay.  For each measured hook, a copy of the seed gets the hook and
# the N commits, one `git push <commit>:refs/heads/main` each, oldest first:
#   (a) pysec: `git-pysec pre-receive`, the command `git pysec install` puts
#       in hooks/pre-receive, with the repository's default policy;
#   (b) git: `git diff-tree -p base new > /dev/null`, run by the same hook
#       right after (a), on the same objects (still in the quarantine), so
#       each pair is measured side by side;
#   (c) bandit: a script that writes the push's added, modified and renamed
#       *.py files (`git diff --name-only --diff-filter=AMR old new`, then
#       `git show new:path`) to a temporary directory and runs
#       `bandit -q -f json -r` on it (nothing when no *.py file changed).
# hooks/pre-receive is a wrapper: it saves the ref lines, takes bash's
# EPOCHREALTIME around `/usr/bin/time -f %M HOOK < lines`, logs the wall time,
# the peak RSS and the hook's exit status, and exits 0, so every push lands
# and the next one is a one-commit fast-forward.
#
# The shapes.  Then SHAPE_RUNS pushes of each shape the hook's tests push
# (tests/t/t10-hook.sh), each on its own Python file of the last replayed
# commit T, into (a)'s repository, with (b) measured the same way:
#   delete  a commit on T that only deletes five lines of a file (nothing to scan)
#   merge   a merge of T and a side commit (on T~3) that adds a function
#   branch  a new branch: one commit on T that adds a function
#   force   a force push: a branch at T replaced by a commit on T~1
#   tag     an annotated tag on a new commit on T
# base for (b) is what the push adds against (README, "On the server"): T,
# or T~1 for the force push.  Each shape's branch is made at T before its
# push and deleted after it, outside the hook, so every push meets the
# same repository.
#
# Auto gc is off.  No system policy applies (PYSEC_CONFIG points nowhere).
# Output: a markdown report on stdout and in bench/results/hook-replay-<date>.md,
# the raw rows in bench/results/hook-replay-<date>.tsv.
set -euo pipefail
export LC_ALL=C

die() { echo "hook-replay.sh: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
[[ $# -ge 1 && $# -le 2 ]] || die "usage: bench/hook-replay.sh REPO_DIR [N] (bench/README.md says which repository)"
src=$1
n=${2:-500}
bandit_pushes=${BANDIT_PUSHES:-$n}
shape_runs=${SHAPE_RUNS:-20}
tip=${REPLAY_TIP:-HEAD}
build=${BUILD:-build}
[[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer"
[[ $bandit_pushes =~ ^[0-9]+$ ]] || die "BANDIT_PUSHES must be a non-negative integer"
[[ $shape_runs =~ ^[0-9]+$ ]] || die "SHAPE_RUNS must be a non-negative integer"
((bandit_pushes <= n)) || bandit_pushes=$n
src=$(cd "$src" && pwd -P) || die "no such directory: $1"
git -C "$src" rev-parse --git-dir >/dev/null 2>&1 || die "not a git repository: $src"
tip_id=$(git -C "$src" rev-parse --verify -q "$tip^{commit}") || die "no commit $tip in $src"

# --- tools ---------------------------------------------------------------

bench_time_tool || die "GNU time is needed"
if ((bandit_pushes > 0)); then
	command -v bandit >/dev/null || die "bandit is not installed (apt-get install bandit), or set BANDIT_PUSHES=0"
fi
command -v jq >/dev/null || die "jq is missing: apt-get install jq"

cd "$root"
work=$(mktemp -d)
daemon_pid=""
trap '[[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null; rm -rf "$work"' EXIT
bench_binary "$root" "$build" "$work"
pysec_bin=$work/git-pysec
bash_bin=$(command -v bash)
# no system policy: only the bare repository's config (none: the defaults)
export PYSEC_CONFIG=$work/no-system-policy
if [[ ${DAEMON:-0} == 1 ]]; then
	# the system policy names the daemon, whose root holds the server repositories
	PYSEC_CONFIG=$work/pysec.conf
	printf '[pysec]\n\tdaemonSocket = %s\n[pysec "daemon"]\n\troot = %s\n' "$work/pysec.sock" "$work" >"$PYSEC_CONFIG"
	"$pysec_bin" serve >"$work/daemon.log" 2>&1 &
	daemon_pid=$!
	for _ in $(seq 400); do grep -q '"msg":"ready"' "$work/daemon.log" && break; sleep 0.05; done
	grep -q '"msg":"ready"' "$work/daemon.log" || die "the daemon did not start: $(tail -3 "$work/daemon.log")"
fi
unset GIT_DIR GIT_WORK_TREE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES

# --- the commits ---------------------------------------------------------

mapfile -t commits < <(git -C "$src" rev-list --first-parent -n $((n + 1)) "$tip_id" | tac)
((${#commits[@]} == n + 1)) || die "$tip has $((${#commits[@]} - 1)) first-parent ancestors, fewer than N = $n"
base=${commits[0]}
nmerges=0
: >"$work/python"	# index of each push that changes a Python file
for ((i = 1; i <= n; i++)); do
	if [[ -n $(git -C "$src" diff-tree --no-commit-id --name-only -r "${commits[i - 1]}" "${commits[i]}" -- '*.py' '*.pyw') ]]; then
		echo "$i" >>"$work/python"
	fi
	[[ $(git -C "$src" rev-list --no-walk --count --min-parents=2 "${commits[i]}") == 1 ]] && nmerges=$((nmerges + 1))
done
npython=$(wc -l <"$work/python")

# push COMMIT into the bare repository REPO as refs/heads/main
push() {
	git -C "$src" push --no-verify -q "$1" "$2:refs/heads/main"
}

echo "seeding a bare repository with ${base:0:12} and the refs that do not reach the replay (untimed)" >&2
nrefs=$(bench_seed "$src" "$work/seed.git" "$base" "${commits[1]}")
seed_commits=$(git -C "$work/seed.git" rev-list --all --count)
seed_objects=$(git -C "$work/seed.git" count-objects -v | awk '/^in-pack:/ { print $2 }')
seed_pack_mb=$(du -sm "$work/seed.git/objects/pack" | cut -f1)

# --- the hooks -----------------------------------------------------------

cat >"$work/bandit-hook" <<'EOF'
#!/usr/bin/env bash
# a pre-receive hook that runs Bandit on the added, modified and renamed *.py files of the push
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
zero=0000000000000000000000000000000000000000
empty_tree=$(git hash-object -t tree /dev/null)
while read -r old new ref; do
	[[ $new == "$zero" ]] && continue
	[[ $old == "$zero" ]] && old=$empty_tree
	dir=$tmp/$(printf '%s' "$ref" | tr '/' '_')
	git diff --name-only -z --diff-filter=AMR "$old" "$new" -- '*.py' |
		while IFS= read -r -d '' path; do
			mkdir -p "$dir/$(dirname "$path")"
			git show "$new:$path" >"$dir/$path"
		done
done
[[ -n $(find "$tmp" -name '*.py' -print -quit) ]] || exit 0
exec bandit -q -f json -r "$tmp"
EOF
chmod +x "$work/bandit-hook"

# install_replica NAME WITH_GIT HOOK...: a copy of the seed whose pre-receive
# runs HOOK through the timing wrapper; WITH_GIT 1: then `git diff-tree -p`
# of the same push, timed the same way (base from $out/base when the driver
# wrote one, else the old tip)
install_replica() {
	local name=$1 with_git=$2 repo=$work/$1.git
	shift 2
	cp -a "$work/seed.git" "$repo"
	mkdir -p "$work/$name.out"
	: >"$work/$name.log"
	{
		echo "#!$bash_bin"
		echo "# hook-replay.sh's timing wrapper: time the hook (and git's diff), log them, accept the push"
		printf 'log=%q out=%q with_git=%q hook=(' "$work/$name.log" "$work/$name.out" "$with_git"
		printf '%q ' "$@"
		echo ')'
		cat <<'EOF'
cat >"$out/in"
read -r old new _ <"$out/in"
t0=$EPOCHREALTIME
/usr/bin/time -f %M -o "$out/time" "${hook[@]}" <"$out/in" >"$out/$new.out" 2>"$out/$new.err"
rc=$?
t1=$EPOCHREALTIME
# GNU time puts "Command exited with non-zero status N" before the format line
rss=$(tail -n 1 "$out/time")
g0=0 g1=0 grss=0
if ((with_git)); then
	b=$old
	[[ -s $out/base ]] && b=$(cat "$out/base")
	g0=$EPOCHREALTIME
	/usr/bin/time -f %M -o "$out/time" git diff-tree -p "$b" "$new" >/dev/null 2>"$out/git.err" || echo "git diff-tree -p $b $new failed" >>"$out/git.failed"
	g1=$EPOCHREALTIME
	grss=$(tail -n 1 "$out/time")
fi
echo "$new $t0 $t1 $rss $rc $g0 $g1 $grss" >>"$log"
exit 0
EOF
	} >"$repo/hooks/pre-receive"
	chmod +x "$repo/hooks/pre-receive"
}

# pysec: check that `git pysec install` does its part, then time the command it installs
cp -a "$work/seed.git" "$work/install-check.git"
"$pysec_bin" install "$work/install-check.git" >/dev/null
hook_cmd=$(sed -n "s/^exec //p" "$work/install-check.git/hooks/pre-receive")
if [[ ${DAEMON:-0} == 1 ]]; then
	[[ $hook_cmd == "'$work/pysec-hook' "* ]] ||
		die "git pysec install wrote no client hook: $(cat "$work/install-check.git/hooks/pre-receive")"
else
	[[ $hook_cmd == "'$pysec_bin' pre-receive" ]] ||
		die "git pysec install wrote an unexpected hook: $(cat "$work/install-check.git/hooks/pre-receive")"
fi
rm -rf "$work/install-check.git"
eval "hook_argv=($hook_cmd)"
install_replica pysec 1 "${hook_argv[@]}"
((bandit_pushes > 0)) && install_replica bandit 0 "$work/bandit-hook"

# --- replaying -----------------------------------------------------------

raw=$work/raw		# measure push commit wall_s rss_kb status python(0/1) shape
: >"$raw"
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }

# rows NAME SHAPE: append NAME's log (and git's, when measured) to $raw, then empty the log
rows() {
	local name=$1 shape=$2
	awk -v m="$name" -v s="$shape" -v pf="$work/python" '
		BEGIN { while ((getline l < pf) > 0) py[l] = 1 }
		{ i = NR; p = (s == "replay" && (i in py)) ? 1 : 0
		  printf "%s %d %s %.6f %d %d %d %s\n", m, i, $1, $3 - $2, $4, $5, p, s
		  if ($6 > 0) printf "git %d %s %.6f %d 0 %d %s\n", i, $1, $7 - $6, $8, p, s }' \
		"$work/$name.log" >>"$raw"
	: >"$work/$name.log"
}

# replay NAME COUNT: push the first COUNT commits into NAME's replica, then check its log
replay() {
	local name=$1 count=$2 i t0 t1 start=$EPOCHREALTIME
	for ((i = 1; i <= count; i++)); do
		t0=$EPOCHREALTIME
		push "$work/$name.git" "${commits[i]}" || die "push $i (${commits[i]}) into $name was refused"
		t1=$EPOCHREALTIME
		echo "$i $(ms "$t0" "$t1")" >>"$work/$name.push"
		if ((i % 50 == 0 || i == count)); then
			printf '  %-6s %d of %d pushes, %s s\n' "$name" "$i" "$count" \
				"$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')" >&2
		fi
	done
	[[ $(git -C "$work/$name.git" rev-parse refs/heads/main) == "${commits[count]}" ]] ||
		die "$name: refs/heads/main is not the last pushed commit"
	(($(wc -l <"$work/$name.log") == count)) || die "$name: the hook ran $(wc -l <"$work/$name.log") times for $count pushes"
	[[ ! -s $work/$name.out/git.failed ]] || die "$(head -n 3 "$work/$name.out/git.failed")"
	rows "$name" replay
}

# startup COMMAND...: median ms of 20 runs, timed like the hooks, for scale
startup() {
	local i t0 t1
	for ((i = 0; i < 20; i++)); do
		t0=$EPOCHREALTIME
		/usr/bin/time -f %M -o "$work/time" "$@" >/dev/null 2>&1 </dev/null || true
		t1=$EPOCHREALTIME
		ms "$t0" "$t1"
		echo
	done | sort -g | awk '{ v[NR] = $1 } END { printf "%.1f", (v[10] + v[11]) / 2 }'
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
pysec_start=$(startup "$pysec_bin" --version)
git_start=$(startup git --version)
echo "(a) pysec hook and (b) git diff-tree -p: $n pushes" >&2
replay pysec "$n"
if ((bandit_pushes > 0)); then
	echo "(c) bandit hook: $bandit_pushes pushes" >&2
	replay bandit "$bandit_pushes"
fi

# --- the shapes ------------------------------------------------------------

T=${commits[n]}
shapes="delete merge branch force tag"
if ((shape_runs > 0)); then
	echo "shapes: building $shape_runs of each on ${T:0:12}" >&2
	sg=(git --git-dir="$work/shapes.git")
	# the shapes' commits are the same from run to run, an hour newer than T as a new commit would be
	when_t=$(( $(git -C "$src" log -1 --format=%ct "$T") + 3600 ))
	export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid GIT_AUTHOR_DATE="@$when_t +0000"
	export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid GIT_COMMITTER_DATE="@$when_t +0000"
	git init -q --bare "$work/shapes.git"
	bench_objects_dir "$src" >"$work/shapes.git/objects/info/alternates"
	# the files: Python files of T present since T~3 (the merge's side starts
	# there), evenly spread over their sorted list
	mapfile -t all < <(comm -12 <("${sg[@]}" ls-tree -r --name-only "$T" | grep -E '\.py$' | sort) \
		<("${sg[@]}" ls-tree -r --name-only "$T~3" | grep -E '\.py$' | sort))
	((${#all[@]} >= shape_runs)) || die "T has ${#all[@]} Python files, fewer than SHAPE_RUNS = $shape_runs"
	# commit_with PARENTS... -- PATH BLOB: a commit of the first parent's tree with PATH set to BLOB
	commit_with() {
		local parents=() path blob tree
		while [[ $1 != -- ]]; do parents+=(-p "$1"); shift; done
		path=$2 blob=$3
		GIT_INDEX_FILE=$work/shape.index "${sg[@]}" read-tree "${parents[1]}"
		GIT_INDEX_FILE=$work/shape.index "${sg[@]}" update-index --cacheinfo "100644,$blob,$path"
		tree=$(GIT_INDEX_FILE=$work/shape.index "${sg[@]}" write-tree)
		"${sg[@]}" commit-tree "$tree" "${parents[@]}" -m "bench: $path"
	}
	# appended REV PATH K: PATH at REV with a small function added at its end
	appended() {
		{ "${sg[@]}" cat-file blob "$1:$2"; printf '\n\ndef _pysec_bench_%s():\n    return %s\n' "$3" "$3"; } |
			"${sg[@]}" hash-object -w --stdin
	}
	: >"$work/shapes.plan"	# shape ref new base force(0/1)
	step=$((${#all[@]} / shape_runs))
	for ((k = 0; k < shape_runs; k++)); do
		f=${all[k * step]}
		lines=$("${sg[@]}" cat-file blob "$T:$f" | wc -l)
		from=$((lines / 2 > 1 ? lines / 2 : 1))
		blob=$("${sg[@]}" cat-file blob "$T:$f" | sed "${from},$((from + 4))d" | "${sg[@]}" hash-object -w --stdin)
		echo "delete refs/heads/s/delete-$k $(commit_with "$T" -- "$f" "$blob") $T 0" >>"$work/shapes.plan"
		side=$(commit_with "$T~3" -- "$f" "$(appended "$T~3" "$f" "m$k")")
		if tree=$("${sg[@]}" merge-tree --write-tree "$T" "$side" 2>/dev/null | head -n 1) &&
			[[ $tree =~ ^[0-9a-f]{40}$ ]]; then
			merge=$("${sg[@]}" commit-tree "$tree" -p "$T" -p "$side" -m "bench: merge $f")
			echo "merge refs/heads/s/merge-$k $merge $T 0" >>"$work/shapes.plan"
		fi
		echo "branch refs/heads/s/branch-$k $(commit_with "$T" -- "$f" "$(appended "$T" "$f" "b$k")") - 0" >>"$work/shapes.plan"
		echo "force refs/heads/s/force-$k $(commit_with "$T~1" -- "$f" "$(appended "$T~1" "$f" "f$k")") $T 1" >>"$work/shapes.plan"
		tagged=$(commit_with "$T" -- "$f" "$(appended "$T" "$f" "t$k")")
		tag=$(printf 'object %s\ntype commit\ntag s-tag-%s\ntagger bench <bench@example.invalid> %s +0000\n\nbench\n' \
			"$tagged" "$k" "$when_t" | "${sg[@]}" mktag)
		echo "tag refs/tags/s-tag-$k $tag - 0" >>"$work/shapes.plan"
	done
	# what each push adds against, for (b)
	T1=$(git -C "$src" rev-parse "$T~1")
	echo "shapes: pushing $(wc -l <"$work/shapes.plan") of them" >&2
	for shape in $shapes; do
		: >"$work/pysec.log"
		count=0
		while read -r s ref new at force; do
			[[ $s == "$shape" ]] || continue
			# the branch a push updates is there before it, made outside the hook
			[[ $at != - ]] && git -C "$work/pysec.git" update-ref "$ref" "$at"
			case $shape in force) echo "$T1" ;; *) echo "$T" ;; esac >"$work/pysec.out/base"
			flags=(--no-verify -q)
			((force)) && flags+=(-f)
			"${sg[@]}" push "${flags[@]}" "$work/pysec.git" "$new:$ref" ||
				die "the $shape push $ref was refused"
			git -C "$work/pysec.git" update-ref -d "$ref"
			count=$((count + 1))
		done <"$work/shapes.plan"
		(($(wc -l <"$work/pysec.log") == count)) || die "$shape: the hook ran $(wc -l <"$work/pysec.log") times for $count pushes"
		rows pysec "$shape"
		# the rows of a shape keep the shape's name, and their pushes count from 1
	done
	rm -f "$work/pysec.out/base"
	[[ ! -s $work/pysec.out/git.failed ]] || die "$(head -n 3 "$work/pysec.out/git.failed")"
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- what the hooks said -------------------------------------------------

# pysec: rejections, and any hook output that is neither a finding nor the verdict
rejected=$(awk '$1 == "pysec" && $8 == "replay" && $6 == 1' "$raw" | wc -l)
shape_rejected=$(awk '$1 == "pysec" && $8 != "replay" && $6 != 0' "$raw" | wc -l)
other_status=$(awk '$1 == "pysec" && $6 != 0 && $6 != 1 { printf "%s%s %d (exit %d)", s, $8, $2, $6; s = ", " }' "$raw")
finding_re='^pysec: (error|warning): .*:[0-9]+: B[0-9]{3} \['
verdict_re='^pysec: ([0-9]+ warnings?, none at the threshold|push rejected: |fix them and push again|a false positive: )'
: >"$work/other"	# shape push, commit, a line of other output
awk '$1 == "pysec" { print $8, $2, $3 }' "$raw" | while read -r s i c; do
	grep -vE "$finding_re|$verdict_re" "$work/pysec.out/$c.err" |
		awk -v s="$s" -v i="$i" -v c="${c:0:12}" '{ print s, i, c ": " $0 }' >>"$work/other" || true
done
other_pushes=$(awk '{ print $1, $2 }' "$work/other" | sort -u | wc -l)
# bandit: pushes with a result at medium severity and medium confidence or above (pysec's push policy)
bandit_blocking=0
if ((bandit_pushes > 0)); then
	for ((i = 1; i <= bandit_pushes; i++)); do
		f=$work/bandit.out/${commits[i]}.out
		[[ -s $f ]] || continue
		k=$(jq '[.results[] | select((.issue_severity == "MEDIUM" or .issue_severity == "HIGH")
			and (.issue_confidence == "MEDIUM" or .issue_confidence == "HIGH"))] | length' "$f" 2>/dev/null || echo 0)
		((k > 0)) && bandit_blocking=$((bandit_blocking + 1))
	done
fi

# --- report --------------------------------------------------------------

# col MEASURE SHAPE [FILTER [K]]: wall times in ms; FILTER "py" keeps the
# pushes that change Python, "first K" the first K, "pyfirst K" those of
# the first K that change Python
col() {
	awk -v m="$1" -v s="$2" -v f="${3:-}" -v k="${4:-0}" \
		'$1 == m && $8 == s && (f == "" || (f == "py" && $7 == 1) || (f == "first" && $2 <= k) ||
			(f == "pyfirst" && $7 == 1 && $2 <= k)) { print $4 * 1000 }' "$raw" >"$work/col"
	echo "$work/col"
}
stat() { bench_stat "$(col "$1" "$2" "${4:-}" "${5:-}")" "$3"; }
maxrss_mb() { awk -v m="$1" -v s="$2" '$1 == m && $8 == s && $5 > x { x = $5 } END { if (x) printf "%.1f", x / 1024; else print "n/a" }' "$raw"; }
count() { awk -v m="$1" -v s="$2" '$1 == m && $8 == s { n++ } END { print n + 0 }' "$raw"; }
push_median() { awk '{ print $2 }' "$work/$1.push" >"$work/col"; bench_stat "$work/col" median; }

a_med=$(stat pysec replay median)
b_med=$(stat git replay median)
a_p95=$(stat pysec replay p95)
b_p95=$(stat git replay p95)
c_med=$(stat bandit replay median)
a_med_c=$(stat pysec replay median first "$bandit_pushes")
rss=$(awk '$1 == "pysec" && $5 > x { x = $5 } END { printf "%.1f", x / 1024 }' "$raw")
ab=$(bench_ratio "$a_med" "$b_med")
ab95=$(bench_ratio "$a_p95" "$b_p95")
ca=$(bench_ratio "$c_med" "$a_med_c")
# where the Bandit hook runs Bandit: on the others it only asks git what changed
c_med_py=$(stat bandit replay median pyfirst "$bandit_pushes")
a_med_py=$(stat pysec replay median pyfirst "$bandit_pushes")
n_py=$(awk -v k="$bandit_pushes" '$1 == "bandit" && $8 == "replay" && $7 == 1 && $2 <= k { n++ } END { print n + 0 }' "$raw")
ca_py=$(bench_ratio "$c_med_py" "$a_med_py")
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
when=$(date -u '+%Y-%m-%d %H:%M UTC')
stamp=$(date -u +%Y-%m-%d-%H%M)
mkdir -p bench/results
result=bench/results/hook-replay-$stamp.md
rowfile=bench/results/hook-replay-$stamp.tsv
project=$(basename "$src" .git)
[[ $project == repo ]] && project=$(basename "$(dirname "$src")")
span="$(git -C "$src" log -1 --format=%cs "${commits[1]}") to $(git -C "$src" log -1 --format=%cs "$tip_id")"

row() {	# label measure
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(count "$2" replay)" "$(stat "$2" replay median)" \
		"$(stat "$2" replay p95)" "$(stat "$2" replay max)" "$(stat "$2" replay median py)" "$(maxrss_mb "$2" replay)"
}

{
	echo "# pre-receive hook replay: benchmark, $when"
	echo
	echo "- machine: $(nproc) cores, ${cpu:-unknown CPU}, Linux $(uname -r); load average before / after: $load_start / $load_end"
	echo "- corpus: $project ($src), the last $n first-parent commits up to ${tip_id:0:12} ($span), ${base:0:12}..${tip_id:0:12}; $npython of the $n pushes change a Python file, $nmerges are merge commits"
	echo "- server repository: $seed_commits commits, $seed_objects objects, a $seed_pack_mb MB pack, $nrefs refs (main and the branches and tags of the corpus that do not reach the replay), packed refs and a commit-graph"
	echo "- pushes: one commit each, oldest first; (b) runs in the same hook run right after (a); (c) replays the first $(count bandit replay) of them"
	echo "- source: $source_rev (a -dirty build includes uncommitted changes of the working tree)"
	echo "- pysec $("$pysec_bin" --version 2>/dev/null | head -n 1 | sed 's/^git-pysec //'), $(git --version), $( ((bandit_pushes > 0)) && bandit --version 2>/dev/null | head -n 1 || echo 'bandit not run')"
	echo
	echo "| per push | pushes | median ms | p95 ms | max ms | median ms, pushes changing Python | peak RSS MB |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	if [[ ${DAEMON:-0} == 1 ]]; then
		row "(a) pysec hook through the daemon: pysec-hook, git-pysec serve running" pysec
	else
		row "(a) pysec hook: git-pysec pre-receive" pysec
	fi
	row "(b) git diff-tree -p old new" git
	if ((bandit_pushes > 0)); then
		row "(c) bandit hook: changed *.py files, bandit -q -f json" bandit
	fi
	echo
	echo "| ratio | value | target | |"
	echo "|---|---:|---:|---|"
	echo "| median (a) / median (b) | $ab | <= 2 | $(bench_verdict "$ab" "<=" 2) |"
	echo "| p95 (a) / p95 (b) | $ab95 | <= 3 | $(bench_verdict "$ab95" "<=" 3) |"
	if ((bandit_pushes > 0)); then
		echo "| median (c) / median (a), the same $bandit_pushes pushes | $ca | | |"
		echo "| median (c) / median (a), the $n_py of them that change Python (where the Bandit hook runs Bandit) | $ca_py | >= 30 | $(bench_verdict "$ca_py" ">=" 30) |"
	fi
	echo "| peak RSS of (a), MB | $rss | < 64 | $(bench_verdict "$rss" "<" 64) |"
	if ((shape_runs > 0)); then
		echo
		echo "Push shapes, $shape_runs pushes each (one file each) on ${T:0:12}; (b) is \`git diff-tree -p base new\` in the same hook run:"
		echo
		echo "| shape | pushes | (a) median ms | (a) p95 ms | (b) median ms | (b) p95 ms | median ratio | target <= 2 | p95 ratio | target <= 3 | peak RSS MB |"
		echo "|---|---:|---:|---:|---:|---:|---:|---|---:|---|---:|"
		for s in $shapes; do
			am=$(stat pysec "$s" median) ap=$(stat pysec "$s" p95) gm=$(stat git "$s" median) gp=$(stat git "$s" p95)
			r=$(bench_ratio "$am" "$gm") r95=$(bench_ratio "$ap" "$gp")
			echo "| $s | $(count pysec "$s") | $am | $ap | $gm | $gp | $r | $(bench_verdict "$r" "<=" 2) | $r95 | $(bench_verdict "$r95" "<=" 3) | $(maxrss_mb pysec "$s") |"
		done
		echo
		echo "Shapes: delete, a commit that only deletes five lines; merge, a merge of a side commit that adds a function;" \
			"branch, a new branch with one such commit; force, a branch at T replaced by such a commit on T~1;" \
			"tag, an annotated tag on such a commit.  pysec rejected $shape_rejected of them (none expected)."
	fi
	echo
	echo "Wall times are taken around \`/usr/bin/time HOOK\` inside the hook wrapper (bash EPOCHREALTIME), so they include"
	if ((bandit_pushes > 0)); then
		echo "process start; a whole \`git push\` of one commit took a median $(push_median pysec) ms with the pysec hook (and git's diff after it) and $(push_median bandit) ms with the bandit hook."
	else
		echo "process start; a whole \`git push\` of one commit took a median $(push_median pysec) ms with the pysec hook (and git's diff after it)."
	fi
	echo
	echo "- process start, for scale (median of 20 runs, timed the same way): \`git-pysec --version\` $pysec_start ms, \`git --version\` $git_start ms."
	if [[ ${DAEMON:-0} == 1 ]]; then
		echo "- the daemon judged $(grep -c '"msg":"push judged"' "$work/daemon.log" || true) pushes itself (the client falls back to git-pysec pre-receive on any doubt); its own share, connection to answer: median $(jq -r 'select(.msg == "push judged") | .seconds * 1000' "$work/daemon.log" | sort -g | awk '{ v[NR] = $1 } END { printf "%.1f", NR ? v[int((NR + 1) / 2)] : 0 }') ms."
	fi
	echo "- pysec would have rejected $rejected of the $n pushes (default push policy: severity medium, confidence medium)."
	if ((bandit_pushes > 0)); then
		echo "- bandit reported a result at medium severity and confidence or above for $bandit_blocking of $bandit_pushes pushes (it scans the changed files whole, not only the added lines)."
	fi
	echo "- pysec hook exits other than 0 and 1: ${other_status:-none}."
	echo "- pysec hook output other than findings and the verdict (errors, notes, skipped files, crashes): $(wc -l <"$work/other") lines in $other_pushes pushes."
	if [[ -s $work/other ]]; then
		echo
		echo '```'
		head -n 20 "$work/other"
		echo '```'
	fi
	if ((rejected > 0)); then
		echo
		echo "Rejected pushes (commit: what pysec reported):"
		echo
		echo '```'
		awk '$1 == "pysec" && $8 == "replay" && $6 == 1 { print $2, $3 }' "$raw" | while read -r i c; do
			printf '%4d %s: ' "$i" "${c:0:12}"
			sed -nE 's/^pysec: error: (.*:[0-9]+): (B[0-9]{3}) (\[[a-z]+\/[a-z]+\]).*/\2 \3 \1/p' "$work/pysec.out/$c.err" |
				awk '{ printf "%s%s", (NR > 1 ? "; " : ""), $0 } END { if (!NR) printf "(no finding: see the output above)" }'
			echo
		done
		echo '```'
	fi
	echo
	echo "Rerun: \`$([[ ${DAEMON:-0} == 1 ]] && echo "DAEMON=1 ")REPLAY_TIP=${tip_id:0:12}$( ((bandit_pushes != n)) && echo " BANDIT_PUSHES=$bandit_pushes")$( ((shape_runs != 20)) && echo " SHAPE_RUNS=$shape_runs") bench/hook-replay.sh $src $n\`"
	echo
	echo "Raw rows in $rowfile (measure, push, commit, wall s, peak RSS KB, exit status, changes Python, shape)."
} | tee "$result"
cp "$raw" "$rowfile"
# keep the hooks' output next to the report when asked
if [[ -n ${KEEP_HOOK_OUTPUT:-} ]]; then
	mkdir -p "bench/results/hook-replay-$stamp"
	cp -r "$work/pysec.out" "bench/results/hook-replay-$stamp/pysec"
	((bandit_pushes > 0)) && cp -r "$work/bandit.out" "bench/results/hook-replay-$stamp/bandit"
fi
echo "written to $result" >&2
