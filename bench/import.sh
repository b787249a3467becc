#!/usr/bin/env bash
# import.sh: an existing project's history pushed into an empty server
# repository (a migration), through the pre-receive hook, against
# `git log -p` of the same commits.
#
# usage: bench/import.sh REPO_DIR [N]
#   REPO_DIR      a clone (bare or not, a partial one will do) of a Python project
#   N             about how many commits the push brings, default 30000: the
#                 pushed commit is the newest first-parent ancestor of
#                 IMPORT_TIP whose history has at most N commits
#   IMPORT_TIP    (environment) where to look for it, default HEAD of REPO_DIR
#   RUNS          (environment) pushes, default 3, each into a new empty repository
#   BUILD         (environment) the build directory, default build
#   PYSEC_BIN     (environment) measure this git-pysec instead of building one
#   IMPORT_CACHE  (environment) where the complete copy of a partial clone is
#                 kept between runs, default bench/results/import-cache
#
# A partial clone (a snapshot that lacks files of 4 MiB and more) cannot be
# pushed whole.  Then the pushed history is REPO_DIR's, rewritten once with
# `git fast-export --no-data | git fast-import` so that each missing blob is
# the empty blob: the same commits, trees and contents but for those files,
# under new commit ids.  The report names the missing blobs and both ids.
#
# Each run: a new empty bare repository whose hooks/pre-receive is a wrapper
# that times, with bash's EPOCHREALTIME and GNU time (peak RSS, user and
# system CPU):
#   (a) the command `git pysec install` writes (the repository's default
#       policy, no system policy), on the push's one ref line;
#   (b) right after it, in the same hook run and on the same objects (still
#       in the quarantine): `git log -p <new> > /dev/null`, every commit's
#       patch against its first parent (git shows none for merges).
# The wrapper exits 0, the repository is deleted after the run.
#
# Output: a markdown report on stdout and in bench/results/import-<date>.md.
set -euo pipefail
export LC_ALL=C

die() { echo "import.sh: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$root/bench/lib.sh"
[[ $# -ge 1 && $# -le 2 ]] || die "usage: bench/import.sh REPO_DIR [N]"
src=$(cd "$1" && pwd -P) || die "no such directory: $1"
n=${2:-30000}
runs=${RUNS:-3}
build=${BUILD:-build}
cache=${IMPORT_CACHE:-$root/bench/results/import-cache}
[[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
git -C "$src" rev-parse --git-dir >/dev/null 2>&1 || die "not a git repository: $src"
start_id=$(git -C "$src" rev-parse --verify -q "${IMPORT_TIP:-HEAD}^{commit}") || die "no commit ${IMPORT_TIP:-HEAD} in $src"
bench_time_tool || die "GNU time is needed"

cd "$root"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bench_binary "$root" "$build" "$work"
pysec_bin=$work/git-pysec
export PYSEC_CONFIG=$work/no-system-policy
unset GIT_DIR GIT_WORK_TREE GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES

# --- the pushed commit: the newest first-parent ancestor with at most N commits behind it ---

count() { git -C "$src" rev-list --count "$1"; }
mapfile -t chain < <(git -C "$src" rev-list --first-parent "$start_id")
lo=0 hi=$((${#chain[@]} - 1))
(($(count "${chain[hi]}") <= n)) || die "even the root of the first-parent chain has more than $n commits"
while ((lo < hi)); do	# counts fall along the chain: find the first index with count <= n
	mid=$(((lo + hi) / 2))
	if (($(count "${chain[mid]}") <= n)); then hi=$mid; else lo=$((mid + 1)); fi
done
pick=${chain[lo]}
ncommits=$(count "$pick")
nmerges=$(git -C "$src" rev-list --count --min-parents=2 "$pick")
echo "the push: ${pick:0:12}, $ncommits commits ($nmerges merges)" >&2

# --- a complete copy when the clone lacks objects ---------------------------------

git -C "$src" rev-list --objects --missing=print "$pick" | sed -n 's/^?//p' >"$work/missing"
pushed_from=$src
pushed=$pick
rewrite_note=""
if [[ -s $work/missing ]]; then
	nmissing=$(wc -l <"$work/missing")
	copy=$cache/${pick:0:12}.git
	if [[ ! -s $copy/pushed ]]; then
		echo "$src lacks $nmissing objects of that history: rewriting it once into $copy (untimed)" >&2
		rm -rf "$copy" "$work/export.git"
		mkdir -p "$cache"
		git init -q --bare "$copy"
		bench_objects_dir "$src" >"$copy/objects/info/alternates"
		# an export that reads no blob: the missing ones become the empty blob
		git init -q --bare "$work/export.git"
		bench_objects_dir "$src" >"$work/export.git/objects/info/alternates"
		git -C "$work/export.git" update-ref refs/heads/main "$pick"
		empty=$(git -C "$copy" hash-object -w -t blob /dev/null)
		gone=$(paste -sd'|' "$work/missing")
		git -C "$work/export.git" fast-export --no-data --reencode=no --signed-tags=strip refs/heads/main |
			sed -E "s/^M ([0-7]+) ($gone) /M \\1 $empty /" |
			git -C "$copy" fast-import --quiet
		echo refs/heads/main | git -C "$copy" pack-objects --revs --delta-base-offset -q "$copy/objects/pack/pack" >/dev/null
		rm -f "$copy/objects/info/alternates"
		git -C "$copy" rev-list --objects --missing=print refs/heads/main | grep -q '^?' &&
			die "the rewritten copy still lacks objects"
		git -C "$copy" rev-parse refs/heads/main >"$copy/pushed"
		cp "$work/missing" "$copy/missing"
	fi
	pushed_from=$copy
	pushed=$(cat "$copy/pushed")
	rewrite_note="$src lacks $nmissing blobs of that history ($(head -c 12 "$work/missing")...; files of 4 MiB and more): the pushed history is its rewrite with each missing blob the empty blob (\`git fast-export --no-data | git fast-import\`), ${pushed:0:12} for ${pick:0:12}."
fi

# --- the runs ----------------------------------------------------------------------

"$pysec_bin" install "$(git init -q --bare "$work/check.git" && echo "$work/check.git")" >/dev/null
hook_line=$(sed -n 's/^exec //p' "$work/check.git/hooks/pre-receive")
[[ -n $hook_line ]] || die "git pysec install wrote an unexpected hook: $(cat "$work/check.git/hooks/pre-receive")"
: >"$work/rows"	# run wall_a rss_a cpu_a status_a wall_b rss_b cpu_b
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= runs; r++)); do
	repo=$work/server-$r.git
	git init -q --bare "$repo"
	git -C "$repo" config gc.auto 0
	git -C "$repo" config receive.autogc false
	cat >"$repo/hooks/pre-receive" <<EOF
#!$(command -v bash)
# import.sh's timing wrapper: the hook, then git log -p of the same commits
out=$work/run-$r
cat >"\$out.in"
read -r _ new _ <"\$out.in"
t0=\$EPOCHREALTIME
/usr/bin/time -f '%M %U %S' -o "\$out.time-a" $hook_line <"\$out.in" >"\$out.out" 2>"\$out.err"
rc=\$?
t1=\$EPOCHREALTIME
/usr/bin/time -f '%M %U %S' -o "\$out.time-b" git log -p "\$new" >/dev/null 2>"\$out.git-err"
t2=\$EPOCHREALTIME
read -r ra ua sa < <(tail -n 1 "\$out.time-a")
read -r rb ub sb < <(tail -n 1 "\$out.time-b")
echo "$r \$t0 \$t1 \$t2 \$ra \$ua \$sa \$rb \$ub \$sb \$rc" >>"$work/rows"
exit 0
EOF
	chmod +x "$repo/hooks/pre-receive"
	echo "run $r of $runs: pushing ${pushed:0:12} into an empty repository" >&2
	git -C "$pushed_from" push --no-verify -q "$repo" "$pushed:refs/heads/main" || die "the push was refused"
	[[ ! -s $work/run-$r.git-err ]] || die "git log -p failed: $(head -n 3 "$work/run-$r.git-err")"
	tail -n 1 "$work/rows" | awk '{ printf "  hook %.1f s, git log -p %.1f s\n", $3 - $2, $4 - $3 }' >&2
	rm -rf "$repo"
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ------------------------------------------------------------------------

awk '{ printf "%.3f\n", $3 - $2 }' "$work/rows" >"$work/a.wall"
awk '{ printf "%.3f\n", $4 - $3 }' "$work/rows" >"$work/b.wall"
awk '{ printf "%.3f\n", $6 + $7 }' "$work/rows" >"$work/a.cpu"
awk '{ printf "%.3f\n", $9 + $10 }' "$work/rows" >"$work/b.cpu"
med() { sort -g "$1" | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
a_wall=$(med "$work/a.wall") b_wall=$(med "$work/b.wall") a_cpu=$(med "$work/a.cpu") b_cpu=$(med "$work/b.cpu")
a_rss=$(awk '$5 > x { x = $5 } END { printf "%.1f", x / 1024 }' "$work/rows")
b_rss=$(awk '$8 > x { x = $8 } END { printf "%.1f", x / 1024 }' "$work/rows")
ratio=$(bench_ratio "$a_wall" "$b_wall")
cores=$(bench_ratio "$a_cpu" "$a_wall")
statuses=$(awk '{ print $11 }' "$work/rows" | sort | uniq -c | awk '{ printf "%s%d run%s exit %d", s, $1, $1 == 1 ? "" : "s", $2; s = ", " }')
findings=$(grep -cE '^pysec: (error|warning): .*:[0-9]+: [A-Z]+[0-9]+ \[' "$work/run-1.err" || true)
verdict_line=$(grep -E '^pysec: (push rejected|[0-9]+ warnings?, none|error: )' "$work/run-1.err" | tail -n 1 || true)
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
when=$(date -u '+%Y-%m-%d %H:%M UTC')
mkdir -p bench/results
result=bench/results/import-$(date -u +%Y-%m-%d-%H%M).md
project=$(basename "$src" .git)
[[ $project == repo ]] && project=$(basename "$(dirname "$src")")
{
	echo "# an import: $ncommits commits pushed into an empty repository, $when"
	echo
	echo "- machine: $(nproc) cores, ${cpu:-unknown CPU}, Linux $(uname -r); load average before / after: $load_start / $load_end"
	echo "- corpus: $project ($src), ${pick:0:12} ($(git -C "$src" log -1 --format=%cs "$pick")) and its history: $ncommits commits, $nmerges of them merges"
	[[ -n $rewrite_note ]] && echo "- $rewrite_note"
	echo "- runs: $runs, each a new empty bare repository; (b) runs in the same hook run right after (a), on the same objects"
	echo "- source: $source_rev; the hook: \`$hook_line\` (what \`git pysec install\` writes), default policy, no system policy"
	echo "- $(git --version)"
	echo
	echo "| in the hook | median wall s | median CPU s (user + sys) | peak RSS MB |"
	echo "|---|---:|---:|---:|"
	echo "| (a) pysec pre-receive | $a_wall | $a_cpu | $a_rss |"
	echo "| (b) git log -p of the same commits | $b_wall | $b_cpu | $b_rss |"
	echo
	echo "| target | value | | |"
	echo "|---|---:|---:|---|"
	echo "| (a) / (b), median wall | $ratio | <= 2 | $(bench_verdict "$ratio" "<=" 2) |"
	echo "| (a)'s CPU / wall: cores used | $cores | >= 1.5 | $(bench_verdict "$cores" ">=" 1.5) |"
	echo "| (a)'s peak RSS, MB | $a_rss | < 128 | $(bench_verdict "$a_rss" "<" 128) |"
	echo
	echo "- the hook: $statuses; $findings findings in run 1's output; its last line: \`${verdict_line:-none}\`"
	echo
	echo "Rerun: \`IMPORT_TIP=${start_id:0:12} RUNS=$runs bench/import.sh $src $n\`"
} | tee "$result"
cp "$work/run-1.err" "${result%.md}.hook-output.txt"
echo "written to $result (the first run's hook output beside it)" >&2
