#!/usr/bin/env bash
# hook-replay.sh: the pre-receive hook on a real history, one push per commit,
# against git's own diff of each push and against a Bandit hook.
#
# usage: bench/hook-replay.sh REPO_DIR [N]
#   REPO_DIR       a clone (bare or not) of a Python project; see bench/README.md
#   N              first-parent commits to replay, default 500
#   REPLAY_TIP     (environment) the last commit replayed, default HEAD of REPO_DIR
#   BANDIT_PUSHES  (environment) how many of the N pushes also go through the
#                  Bandit hook, default N; it is the long pole (about 1 s a push)
#   BUILD          (environment) the build directory, default build (`make BUILD=...`)
#   KEEP_HOOK_OUTPUT  (environment) non-empty: keep each hook's stdout and stderr
#                  in bench/results/hook-replay-<date>/
#
# The N commits are the last N on the first-parent line ending at REPLAY_TIP.
# A seed bare repository gets the commit before them in one untimed push.
# Then, for each measured hook, a copy of the seed gets the hook and the N
# commits, one `git push <commit>:refs/heads/main` each, oldest first:
#   (a) pysec: `git-pysec pre-receive`, the command `git pysec install` puts
#       in hooks/pre-receive, with the repository's default policy;
#   (c) bandit: a script that writes the push's added, modified and renamed
#       *.py files (`git diff --name-only --diff-filter=AMR old new`, then
#       `git show new:path`) to a temporary directory and runs
#       `bandit -q -f json -r` on it (nothing when no *.py file changed).
# hooks/pre-receive is a wrapper: it saves the ref lines, takes bash's
# EPOCHREALTIME around `/usr/bin/time -f %M HOOK < lines`, logs the wall time,
# the peak RSS and the hook's exit status, and exits 0, so every push lands
# and the next one is a one-commit fast-forward.  The hook's stderr is kept
# per push to look for errors.  Then, untimed by any hook:
#   (b) git: `git diff-tree -p old new > /dev/null` in (a)'s repository, for
#       the same old and new, timed the same way.
# Auto gc is off in the bare repositories so that no background gc runs
# during the replay.  No system policy applies (PYSEC_CONFIG points nowhere).
#
# Output: a markdown report on stdout and in bench/results/hook-replay-<date>.md,
# the raw rows in bench/results/hook-replay-<date>.tsv.
set -euo pipefail
export LC_ALL=C

die() { echo "hook-replay.sh: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ $# -ge 1 && $# -le 2 ]] || die "usage: bench/hook-replay.sh REPO_DIR [N] (bench/README.md says which repository)"
src=$1
n=${2:-500}
bandit_pushes=${BANDIT_PUSHES:-$n}
tip=${REPLAY_TIP:-HEAD}
build=${BUILD:-build}
[[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer"
[[ $bandit_pushes =~ ^[0-9]+$ ]] || die "BANDIT_PUSHES must be a non-negative integer"
((bandit_pushes <= n)) || bandit_pushes=$n
src=$(cd "$src" && pwd -P) || die "no such directory: $1"
git -C "$src" rev-parse --git-dir >/dev/null 2>&1 || die "not a git repository: $src"
tip_id=$(git -C "$src" rev-parse --verify -q "$tip^{commit}") || die "no commit $tip in $src"

# --- tools ---------------------------------------------------------------

if [[ ! -x /usr/bin/time ]]; then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
		echo "installing GNU time (Debian package 'time')" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >&2 ||
			{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >&2; }
	fi
	[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is missing: apt-get install time"
fi
if ((bandit_pushes > 0)); then
	command -v bandit >/dev/null || die "bandit is not installed (apt-get install bandit), or set BANDIT_PUSHES=0"
fi
command -v jq >/dev/null || die "jq is missing: apt-get install jq"

cd "$root"
make BUILD="$build" >&2
source_rev=$(git -C "$root" describe --always --dirty 2>/dev/null || echo 'not a git checkout')

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# measure a copy: $build/ may be rebuilt by someone else while this runs
cp "$build/git-pysec" "$work/git-pysec"
pysec_bin=$work/git-pysec
bash_bin=$(command -v bash)
# no system policy: only the bare repository's config (none: the defaults)
export PYSEC_CONFIG=$work/no-system-policy
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

echo "seeding a bare repository with ${base:0:12} (untimed)" >&2
git init -q --bare "$work/seed.git"
git -C "$work/seed.git" config receive.autogc false
git -C "$work/seed.git" config gc.auto 0
push "$work/seed.git" "$base"

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

# install_replica NAME HOOK...: a copy of the seed whose pre-receive runs HOOK through the timing wrapper
install_replica() {
	local name=$1 repo=$work/$1.git
	shift
	cp -a "$work/seed.git" "$repo"
	mkdir -p "$work/$name.out"
	: >"$work/$name.log"
	{
		echo "#!$bash_bin"
		echo "# hook-replay.sh's timing wrapper: time the hook, log it, accept the push"
		printf 'log=%q out=%q hook=(' "$work/$name.log" "$work/$name.out"
		printf '%q ' "$@"
		echo ')'
		cat <<'EOF'
cat >"$out/in"
read -r _ new _ <"$out/in"
t0=$EPOCHREALTIME
/usr/bin/time -f %M -o "$out/time" "${hook[@]}" <"$out/in" >"$out/$new.out" 2>"$out/$new.err"
rc=$?
t1=$EPOCHREALTIME
# GNU time puts "Command exited with non-zero status N" before the format line
rss=$(tail -n 1 "$out/time")
echo "$new $t0 $t1 $rss $rc" >>"$log"
exit 0
EOF
	} >"$repo/hooks/pre-receive"
	chmod +x "$repo/hooks/pre-receive"
}

# pysec: check that `git pysec install` does its part, then time the command it installs
cp -a "$work/seed.git" "$work/install-check.git"
"$pysec_bin" install "$work/install-check.git" >/dev/null
grep -qxF "exec '$pysec_bin' pre-receive" "$work/install-check.git/hooks/pre-receive" ||
	die "git pysec install wrote an unexpected hook: $(cat "$work/install-check.git/hooks/pre-receive")"
rm -rf "$work/install-check.git"
install_replica pysec "$pysec_bin" pre-receive
((bandit_pushes > 0)) && install_replica bandit "$work/bandit-hook"

# --- replaying -----------------------------------------------------------

raw=$work/raw		# measure push old new wall_s rss_kb status python(0/1)
: >"$raw"
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }

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
	# log rows are in push order: one push, one hook run
	awk -v m="$name" -v pf="$work/python" '
		BEGIN { while ((getline l < pf) > 0) py[l] = 1 }
		{ i = NR; printf "%s %d %s %.6f %d %d %d\n", m, i, $1, $3 - $2, $4, $5, (i in py) }' \
		"$work/$name.log" >>"$raw"
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
echo "(a) pysec hook: $n pushes" >&2
replay pysec "$n"

echo "(b) git diff-tree -p: $n diffs" >&2
for ((i = 1; i <= n; i++)); do
	old=${commits[i - 1]} new=${commits[i]}
	t0=$EPOCHREALTIME
	rc=0
	/usr/bin/time -f %M -o "$work/time" git --git-dir="$work/pysec.git" diff-tree -p "$old" "$new" >/dev/null || rc=$?
	t1=$EPOCHREALTIME
	((rc == 0)) || die "git diff-tree -p $old $new exited with $rc"
	py=0
	grep -qxF "$i" "$work/python" && py=1
	awk -v i="$i" -v new="$new" -v a="$t0" -v b="$t1" -v m="$(tail -n 1 "$work/time")" -v py="$py" \
		'BEGIN { printf "git %d %s %.6f %d 0 %d\n", i, new, b - a, m, py }' >>"$raw"
done

if ((bandit_pushes > 0)); then
	echo "(c) bandit hook: $bandit_pushes pushes" >&2
	replay bandit "$bandit_pushes"
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- what the hooks said -------------------------------------------------

# pysec: rejections, and any hook output that is neither a finding nor the verdict
rejected=$(awk '$1 == "pysec" && $6 == 1' "$raw" | wc -l)
other_status=$(awk '$1 == "pysec" && $6 != 0 && $6 != 1 { printf "%s%d (exit %d)", s, $2, $6; s = ", " }' "$raw")
finding_re='^pysec: (error|warning): .*:[0-9]+: B[0-9]{3} \['
verdict_re='^pysec: ([0-9]+ warnings?, none at the threshold|push rejected: |fix them and push again|a false positive: )'
: >"$work/other"	# push, commit, a line of other output
for ((i = 1; i <= n; i++)); do
	grep -vE "$finding_re|$verdict_re" "$work/pysec.out/${commits[i]}.err" |
		awk -v i="$i" -v c="${commits[i]:0:12}" '{ print i, c ": " $0 }' >>"$work/other" || true
done
other_pushes=$(awk '{ print $1 }' "$work/other" | sort -u | wc -l)
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

# stat MEASURE WHAT [FILTER]: WHAT is median, p95 (nearest rank) or max of the
# wall times in ms; FILTER "py" keeps the pushes that change Python, "first K" the first K
stat() {
	awk -v m="$1" -v f="${3:-}" -v k="${4:-0}" '$1 == m && (f == "" || (f == "py" && $7 == 1) || (f == "first" && $2 <= k)) { print $4 * 1000 }' "$raw" |
		sort -g | awk -v w="$2" '{ v[NR] = $1 } END {
			if (!NR) { print "n/a"; exit }
			if (w == "median") x = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			else if (w == "p95") { r = int(0.95 * NR); if (r < 0.95 * NR) r++; x = v[r] }
			else x = v[NR]
			printf "%.1f\n", x }'
}
maxrss_mb() { awk -v m="$1" '$1 == m && $5 > x { x = $5 } END { if (x) printf "%.1f", x / 1024; else print "n/a" }' "$raw"; }
count() { awk -v m="$1" '$1 == m { n++ } END { print n + 0 }' "$raw"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "n/a" && b != "n/a" && b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
verdict() {	# value op target
	awk -v v="$1" -v o="$2" -v t="$3" 'BEGIN { if (v == "n/a") print "n/a";
		else if ((o == ">=" && v + 0 >= t) || (o == "<=" && v + 0 <= t) || (o == "<" && v + 0 < t)) print "met"; else print "**missed**" }'
}
push_median() { sort -k2 -g "$work/$1.push" | awk '{ v[NR] = $2 } END { printf "%.1f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

a_med=$(stat pysec median)
b_med=$(stat git median)
c_med=$(stat bandit median)
a_med_c=$(stat pysec median first "$bandit_pushes")
rss=$(maxrss_mb pysec)
ab=$(ratio "$a_med" "$b_med")
ca=$(ratio "$c_med" "$a_med_c")
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
when=$(date -u '+%Y-%m-%d %H:%M UTC')
stamp=$(date -u +%Y-%m-%d-%H%M)
mkdir -p bench/results
result=bench/results/hook-replay-$stamp.md
rows=bench/results/hook-replay-$stamp.tsv
project=$(basename "$src" .git)
span="$(git -C "$src" log -1 --format=%cs "${commits[1]}") to $(git -C "$src" log -1 --format=%cs "$tip_id")"

row() {	# label measure rss?
	local r=${3:-}
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(count "$2")" "$(stat "$2" median)" "$(stat "$2" p95)" \
		"$(stat "$2" max)" "$(stat "$2" median py)" "${r:-$(maxrss_mb "$2")}"
}

{
	echo "# pre-receive hook replay: benchmark, $when"
	echo
	echo "- machine: $(nproc) cores, ${cpu:-unknown CPU}, Linux $(uname -r); load average before / after: $load_start / $load_end"
	echo "- corpus: $project ($src), the last $n first-parent commits up to ${tip_id:0:12} ($span), ${base:0:12}..${tip_id:0:12}; $npython of the $n pushes change a Python file, $nmerges are merge commits"
	echo "- pushes: one commit each, oldest first, into a bare repository seeded with ${base:0:12}; (c) replays the first $(count bandit) of them"
	echo "- source: $source_rev (a -dirty build includes uncommitted changes of the working tree)"
	echo "- pysec $("$pysec_bin" --version 2>/dev/null | head -n 1 | sed 's/^git-pysec //'), $(git --version), $( ((bandit_pushes > 0)) && bandit --version 2>/dev/null | head -n 1 || echo 'bandit not run')"
	echo
	echo "| per push | pushes | median ms | p95 ms | max ms | median ms, pushes changing Python | peak RSS MB |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	row "(a) pysec hook: git-pysec pre-receive" pysec
	row "(b) git diff-tree -p old new" git
	if ((bandit_pushes > 0)); then
		row "(c) bandit hook: changed *.py files, bandit -q -f json" bandit
	fi
	echo
	echo "| ratio | value | target | |"
	echo "|---|---:|---:|---|"
	echo "| median (a) / median (b) | $ab | <= 3 | $(verdict "$ab" "<=" 3) |"
	if ((bandit_pushes > 0)); then
		echo "| median (c) / median (a), the same $bandit_pushes pushes | $ca | >= 20 | $(verdict "$ca" ">=" 20) |"
	fi
	echo "| peak RSS of (a), MB | $rss | < 64 | $(verdict "$rss" "<" 64) |"
	echo
	echo "Wall times are taken around \`/usr/bin/time HOOK\` inside the hook wrapper (bash EPOCHREALTIME), so they include"
	if ((bandit_pushes > 0)); then
		echo "process start; a whole \`git push\` of one commit took a median $(push_median pysec) ms with the pysec hook and $(push_median bandit) ms with the bandit hook."
	else
		echo "process start; a whole \`git push\` of one commit took a median $(push_median pysec) ms with the pysec hook."
	fi
	echo
	echo "- process start, for scale (median of 20 runs, timed the same way): \`git-pysec --version\` $pysec_start ms, \`git --version\` $git_start ms."
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
		awk '$1 == "pysec" && $6 == 1 { print $2, $3 }' "$raw" | while read -r i c; do
			printf '%4d %s: ' "$i" "${c:0:12}"
			sed -nE 's/^pysec: error: (.*:[0-9]+): (B[0-9]{3}) (\[[a-z]+\/[a-z]+\]).*/\2 \3 \1/p' "$work/pysec.out/$c.err" |
				awk '{ printf "%s%s", (NR > 1 ? "; " : ""), $0 } END { if (!NR) printf "(no finding: see the output above)" }'
			echo
		done
		echo '```'
	fi
	echo
	if ((bandit_pushes != n)); then
		echo "Rerun: \`REPLAY_TIP=${tip_id:0:12} BANDIT_PUSHES=$bandit_pushes bench/hook-replay.sh $src $n\`"
	else
		echo "Rerun: \`REPLAY_TIP=${tip_id:0:12} bench/hook-replay.sh $src $n\`"
	fi
	echo
	echo "Raw rows in $rows (measure, push, commit, wall s, peak RSS KB, exit status, changes Python)."
} | tee "$result"
cp "$raw" "$rows"
# keep the hooks' output next to the report when asked
if [[ -n ${KEEP_HOOK_OUTPUT:-} ]]; then
	mkdir -p "bench/results/hook-replay-$stamp"
	cp -r "$work/pysec.out" "bench/results/hook-replay-$stamp/pysec"
	((bandit_pushes > 0)) && cp -r "$work/bandit.out" "bench/results/hook-replay-$stamp/bandit"
fi
echo "written to $result" >&2
