#!/usr/bin/env bash
# push-cost.sh: where one push's work goes, counted in instructions.
#
# usage: bench/push-cost.sh REPO_DIR COMMIT [GIT_PYSEC ...]
#   REPO_DIR    a clone of a Python project (bare or not)
#   COMMIT      a commit of it that changes Python files
#   GIT_PYSEC   the executables to compare (default: this tree's build/git-pysec)
#
# Three pushes into a bare server repository whose objects are REPO_DIR's
# (an alternate): (1) COMMIT onto its first parent; (2) on top of COMMIT, a
# commit that only deletes five lines of the first Python file COMMIT
# changes (nothing to scan); (3) a new branch: on COMMIT, a commit that
# appends a function to that file (the hook tests' branch shape); (4) onto
# COMMIT, a merge of a side commit on COMMIT~3 that appends a function to
# that file (the merge shape).  Each runs `git-pysec pre-receive` once under
# callgrind, with the default policy, and the report splits its
# instructions into the dynamic linker's start, libgit2's initialisation,
# the rules' compilation, the push's diffs, the scan, and the rest.
#
# Instructions, unlike wall time, do not move with the machine's load, so
# two builds compare on a busy machine too; what they leave out (page
# faults, the kernel, cache misses) is in hook-replay.sh's wall times.
set -euo pipefail
export LC_ALL=C

die() { echo "push-cost.sh: $*" >&2; exit 1; }

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=bench/lib.sh disable=SC1091
. "$root/bench/lib.sh"
(($# >= 2)) || die "usage: bench/push-cost.sh REPO_DIR COMMIT [GIT_PYSEC ...]"
repo=$1 commit=$2
shift 2
bins=("$@")
if ((${#bins[@]} == 0)); then
	make -C "$root" >&2
	bins=("$root/build/git-pysec")
fi
command -v valgrind >/dev/null || die "valgrind is missing: apt-get install valgrind"
commit=$(git -C "$repo" rev-parse --verify "$commit^{commit}") || die "no commit $2 in $repo"
parent=$(git -C "$repo" rev-parse --verify "$commit^1") || die "$2 has no parent"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
server=$work/server.git
git init -q --bare "$server"
bench_objects_dir "$repo" >"$server/objects/info/alternates"

export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid \
	GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid

# commit_on PARENT MESSAGE: a commit on PARENT whose FILE is $work/file.py
commit_on() {
	local blob tree
	blob=$(git -C "$server" hash-object -w "$work/file.py")
	GIT_INDEX_FILE=$work/index git -C "$server" read-tree "$1"
	GIT_INDEX_FILE=$work/index git -C "$server" update-index --cacheinfo "100644,$blob,$file"
	tree=$(GIT_INDEX_FILE=$work/index git -C "$server" write-tree)
	git -C "$server" commit-tree -p "$1" -m "$2" "$tree"
}

# the delete-only commit: lines 5 to 9 of the first Python file COMMIT changes
file=$(git -C "$server" diff-tree --no-commit-id --name-only -r --diff-filter=AM "$parent" "$commit" -- '*.py' | head -n 1)
[[ -n $file ]] || die "$2 changes no Python file"
git -C "$server" show "$commit:$file" | sed '5,9d' >"$work/file.py"
deleting=$(commit_on "$commit" "delete five lines of $file")

# the new branch: on COMMIT, one commit that appends a function to that file
git -C "$server" show "$commit:$file" >"$work/file.py"
printf '\n\ndef bench_added(value):\n    return value + 1\n' >>"$work/file.py"
branching=$(commit_on "$commit" "append a function to $file")

# the merge: COMMIT and a side commit on COMMIT~3 that appends a function to that file
git -C "$server" show "$commit~3:$file" >"$work/file.py" 2>/dev/null || die "$2~3 has no $file"
printf '\n\ndef bench_side(value):\n    return value - 1\n' >>"$work/file.py"
side=$(commit_on "$commit~3" "append a function to $file")
tree=$(git -C "$server" merge-tree --write-tree "$commit" "$side" | head -n 1)
[[ $tree =~ ^[0-9a-f]{40}$ ]] || die "$2 and the side commit do not merge cleanly"
merging=$(git -C "$server" commit-tree -p "$commit" -p "$side" -m "merge the side commit" "$tree")

# incl FILE FUNCTION: the instructions spent in FUNCTION and what it called
# (awk reads to the end: an early exit would fail the pipe under pipefail)
incl() {
	callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
		awk -v f="$2" '!found && $0 ~ ":" f " \\[" { gsub(",", "", $1); print $1; found = 1 }'
}

echo "# push-cost.sh: $(git -C "$repo" log -1 --format='%h %s' "$commit")"
echo
echo "Server: objects of $repo; (1) $(git -C "$repo" rev-parse --short "$commit") onto its parent; (2) a commit deleting lines 5-9 of $file; (3) a new branch, one commit appending a function to it; (4) a merge of a side commit on ${commit:0:10}~3 appending one. Millions of instructions (callgrind), one run each."
echo
echo "| git-pysec | push | total | dynamic linker | libgit2 init | rules compiled | push's diffs | scan | rest |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
for bin in "${bins[@]}"; do
	[[ -x $bin ]] || die "not an executable: $bin"
	for push in python delete branch merge; do
		case $push in
		python)
			git -C "$server" update-ref refs/heads/main "$parent"
			line="$parent $commit refs/heads/main" ;;
		delete)
			git -C "$server" update-ref refs/heads/main "$commit"
			line="$commit $deleting refs/heads/main" ;;
		branch)
			git -C "$server" update-ref refs/heads/main "$commit"
			line="$(printf '%040d' 0) $branching refs/heads/topic" ;;
		merge)
			git -C "$server" update-ref refs/heads/main "$commit"
			line="$commit $merging refs/heads/main" ;;
		esac
		out=$work/callgrind.out
		(cd "$server" && HOME=$work GIT_CONFIG_NOSYSTEM=1 valgrind --tool=callgrind --callgrind-out-file="$out" \
			"$bin" pre-receive <<<"$line" >/dev/null 2>&1) || true
		total=$(callgrind_annotate "$out" 2>/dev/null | awk '!found && /PROGRAM TOTALS/ { gsub(",", "", $1); print $1; found = 1 }')
		[[ -n $total ]] || die "callgrind recorded nothing for $bin"
		row="| \`$bin\` | $push | $(awk -v n="$total" 'BEGIN { printf "%.2f", n / 1e6 }')"
		rest=$total
		for fn in _dl_start cli_libgit2_init pysec_engine_new pysec_changeset_from_push pysec_scan; do
			n=$(incl "$out" "$fn")
			n=${n:-0}
			rest=$((rest - n))
			row+=" | $(awk -v n="$n" 'BEGIN { printf "%.2f", n / 1e6 }')"
		done
		echo "$row | $(awk -v n="$rest" 'BEGIN { printf "%.2f", n / 1e6 }') |"
	done
done
