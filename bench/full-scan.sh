#!/usr/bin/env bash
# full-scan.sh: `git pysec scan --full` against Bandit and the bare tree-sitter parse.
#
# usage: bench/full-scan.sh [CORPUS_DIR] [RUNS]
#   CORPUS_DIR   default /usr/lib/python3.11
#   RUNS         rounds, default 3; each round runs the parse floor, pysec
#                and bandit one after another
#   BANDIT_RUNS  (environment) rounds that also run bandit, default RUNS;
#                lower it where bandit is slow (it is the long pole: about
#                23 s a run on python3.11's stdlib on a 2-core EPYC VM)
#
# Wall time is taken around each command with bash's EPOCHREALTIME (ms
# precision); peak RSS is GNU time's %M.  GNU time's own %e (10 ms steps) is
# kept in the raw rows.  The tools run from an empty temporary directory so
# that no repository or tool config in the current directory applies.
# Before the first round the corpus is read once, untimed, into the page cache.
#
# Output: a markdown report on stdout and in bench/results/full-scan-<date>.md.
set -euo pipefail
export LC_ALL=C

die() { echo "full-scan.sh: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
corpus=${1:-/usr/lib/python3.11}
runs=${2:-3}
bandit_runs=${BANDIT_RUNS:-$runs}
[[ -d $corpus ]] || die "no such directory: $corpus"
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer"
[[ $bandit_runs =~ ^[0-9]+$ ]] || die "BANDIT_RUNS must be a non-negative integer"
((bandit_runs <= runs)) || bandit_runs=$runs
corpus=$(cd "$corpus" && pwd -P)

# --- tools ---------------------------------------------------------------

if [[ ! -x /usr/bin/time ]]; then
	if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
		echo "installing GNU time (Debian package 'time')" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >&2 ||
			{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >&2; }
	fi
	[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is missing: apt-get install time"
fi
if ((bandit_runs > 0)); then
	command -v bandit >/dev/null || die "bandit is not installed (apt-get install bandit), or set BANDIT_RUNS=0"
fi

cd "$root"
make >&2
mkdir -p build/bench
# the floor is built like pysec: the same grammar objects, -O2
# shellcheck disable=SC2046  # pkg-config output is meant to split
"${CC:-cc}" -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra \
	$(pkg-config --cflags tree-sitter 2>/dev/null) \
	-o build/bench/parse-floor bench/parse-floor.c \
	build/grammar/python/parser.o build/grammar/python/scanner.o -ltree-sitter
source_rev=$(git -C "$root" describe --always --dirty 2>/dev/null || echo 'not a git checkout')

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# measure copies: build/ may be rebuilt by someone else while this runs
cp build/bench/parse-floor "$work/parse-floor"
cp build/git-pysec "$work/git-pysec"
floor_bin=$work/parse-floor
pysec_bin=$work/git-pysec

# --- the corpus, selected as pysec selects it --------------------------------
# *.py and *.pyw, regular files (symbolic links are not followed), under
# directories not named like the ones pysec skips.  (pysec also opens
# extension-less files to look for a python #! line; the floor does not.)
list=$work/files
find "$corpus" -mindepth 1 \
	\( -type d \( -name .git -o -name __pycache__ -o -name .tox -o -name .eggs \
		-o -name .venv -o -name node_modules -o -name .hg -o -name .svn \
		-o -name CVS -o -name .bzr \) -prune \) \
	-o -type f \( -name '*.py' -o -name '*.pyw' \) -print | sort >"$list"
nfiles=$(wc -l <"$list")
((nfiles > 0)) || die "no Python files under $corpus"
nbytes=$(tr '\n' '\0' <"$list" | xargs -0 cat | wc -c)
# warm the page cache, untimed
tr '\n' '\0' <"$list" | xargs -0 cat >/dev/null

# --- measuring ---------------------------------------------------------------

raw=$work/raw		# tool run wall_s rss_kb time_e_s cpu_s
: >"$raw"
# measure TOOL RUN IN OUT ALLOWED_EXIT_CODES -- COMMAND...: one row in $raw
measure() {
	local tool=$1 run=$2 in=$3 out=$4 ok=$5 t0 t1 rc=0
	shift 6
	t0=$EPOCHREALTIME
	(cd "$work/cwd" && /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" <"$in" >"$out" 2>>"$work/$tool.err") || rc=$?
	t1=$EPOCHREALTIME
	[[ " $ok " == *" $rc "* ]] || { cat "$work/$tool.err" >&2; die "$tool exited with $rc"; }
	# GNU time puts "Command exited with non-zero status N" before the format line
	read -r e m u s < <(tail -n 1 "$work/time")
	awk -v t="$tool" -v r="$run" -v a="$t0" -v b="$t1" -v e="$e" -v m="$m" -v c="$u + $s" \
		'BEGIN { split(c, x, " [+] "); printf "%s %d %.3f %d %s %.2f\n", t, r, b - a, m, e, x[1] + x[2] }' >>"$raw"
	printf '  %-6s run %d: %s s, %s MB\n' "$tool" "$run" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" "$((m / 1024))" >&2
}

mkdir -p "$work/cwd"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
floor_out=$work/floor.out
for ((r = 1; r <= runs; r++)); do
	echo "round $r of $runs" >&2
	measure floor "$r" "$list" "$floor_out" "0" -- "$floor_bin"
	cat "$floor_out" >>"$work/floor.all"
	measure pysec "$r" /dev/null /dev/null "0 1" -- "$pysec_bin" scan --full "$corpus" --format json --min-confidence low
	measure pysec1 "$r" /dev/null /dev/null "0 1" -- "$pysec_bin" scan --full "$corpus" --format json --min-confidence low --jobs 1
	if ((r <= bandit_runs)); then
		measure bandit "$r" /dev/null /dev/null "0 1" -- bandit -r "$corpus" -f json -q
	fi
done

# --- report ------------------------------------------------------------------

# median of column COL for TOOL in $raw
median() {
	awk -v t="$1" -v c="$2" '$1 == t { print $c }' "$raw" | sort -g |
		awk '{ v[NR] = $1 } END { if (!NR) exit; printf "%.3f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
maxrss_mb() {
	awk -v t="$1" '$1 == t && $4 > m { m = $4 } END { if (m) printf "%.1f", m / 1024 }' "$raw"
}
count() { awk -v t="$1" '$1 == t { n++ } END { print n + 0 }' "$raw"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
verdict() {	# value op target
	awk -v v="$1" -v o="$2" -v t="$3" 'BEGIN { if (v == "n/a") print "n/a";
		else if ((o == ">=" && v + 0 >= t) || (o == "<=" && v + 0 <= t)) print "met"; else print "**missed**" }'
}

floor_s=$(median floor 3)
floor_cpu=$(median floor 6)
pysec_cpu=$(median pysec 6)
bandit_cpu=$(median bandit 6)
pysec_s=$(median pysec 3)
pysec1_s=$(median pysec1 3)
pysec1_cpu=$(median pysec1 6)
bandit_s=$(median bandit 3)
loop_s=$(awk '{ print $6 }' "$work/floor.all" | sort -g |
	awk '{ v[NR] = $1 } END { printf "%.3f\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
floor_files=$(awk 'END { print $4 }' "$work/floor.all")
floor_bytes=$(awk 'END { print $2 }' "$work/floor.all")
[[ $floor_files == "$nfiles" && $floor_bytes == "$nbytes" ]] ||
	echo "full-scan.sh: the floor parsed $floor_files files, $floor_bytes bytes; the list has $nfiles, $nbytes" >&2
bp=$(ratio "$bandit_s" "$pysec_s")
pf=$(ratio "$pysec1_s" "$floor_s")
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
when=$(date -u '+%Y-%m-%d %H:%M UTC')
mkdir -p bench/results
result=bench/results/full-scan-$(date -u +%Y-%m-%d-%H%M).md

{
	echo "# git pysec scan --full: benchmark, $when"
	echo
	echo "- machine: $(nproc) cores, ${cpu:-unknown CPU}, Linux $(uname -r); load average before / after: $load_start / $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- corpus: $corpus, $nfiles files (*.py, *.pyw), $nbytes bytes"
	echo "- runs: $runs (floor, pysec), $(count bandit) (bandit); medians of wall time; peak RSS is the largest of the runs"
	echo "- source: $source_rev (a -dirty build includes uncommitted changes of the working tree)"
	echo "- pysec $("$pysec_bin" --version 2>/dev/null | head -n 1 | sed 's/^git-pysec //'), $(bandit --version 2>/dev/null | head -n 1 || echo 'bandit not run'), libtree-sitter $(dpkg-query -W -f '${Version}' libtree-sitter0 2>/dev/null || echo '?')"
	echo
	echo "| tool | median wall s | median CPU s | peak RSS MB |"
	echo "|---|---:|---:|---:|"
	echo "| parse floor (read + tree-sitter parse) | $floor_s | $floor_cpu | $(maxrss_mb floor) |"
	echo "| git pysec scan --full --format json | $pysec_s | $pysec_cpu | $(maxrss_mb pysec) |"
	echo "| the same, one thread (--jobs 1) | $pysec1_s | $pysec1_cpu | $(maxrss_mb pysec1) |"
	if (($(count bandit) > 0)); then
		echo "| bandit -r -f json -q | $bandit_s | $bandit_cpu | $(maxrss_mb bandit) |"
	fi
	echo
	echo "| ratio | value | target | |"
	echo "|---|---:|---:|---|"
	echo "| bandit / pysec | $bp | >= 30 | $(verdict "$bp" ">=" 30) |"
	echo "| pysec, one thread / floor (the engine's cost) | $pf | <= 1.2 | $(verdict "$pf" "<=" 1.2) |"
	echo
	echo "Ratios are of median wall times.  Of median CPU (user + sys) times, for comparison:" \
		"bandit / pysec $(ratio "$bandit_cpu" "$pysec_cpu"), pysec one thread / floor $(ratio "$pysec1_cpu" "$floor_cpu")."
	echo
	echo "The floor's own loop (CLOCK_MONOTONIC, reading and parsing only, no process start): median $loop_s s."
	echo
	if ((bandit_runs != runs)); then
		echo "Rerun: \`BANDIT_RUNS=$bandit_runs bench/full-scan.sh $corpus $runs\`"
	else
		echo "Rerun: \`bench/full-scan.sh $corpus $runs\`"
	fi
	echo
	echo "Raw rows (tool, run, wall s, peak RSS KB, GNU time %e, CPU s):"
	echo
	echo '```'
	cat "$raw"
	echo '```'
} | tee "$result"
echo "written to $result" >&2
