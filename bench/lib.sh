# bench/lib.sh: what the benchmark scripts share.  Sourced, not run.
#
# bench_seed SRC SEED BASE FIRST: a bare server repository SEED as `git gc`
# leaves one, holding BASE as refs/heads/main and every branch and tag of
# SRC (refs/heads, refs/tags; SEED_REFS overrides the list, "" for none)
# whose history does not reach FIRST (the first commit the benchmark pushes,
# so that each measured push brings new commits).  One pack of what those
# refs reach, packed refs, a commit-graph; auto gc off.  The objects come
# from SRC through a temporary alternate, so that a partial clone (a
# snapshot that lacks files of 4 MiB and more) works as long as the refs'
# own history does not need the missing objects.
#
# bench_stat FILE WHAT: median, p95 (nearest rank), or max of a column of
# numbers; "n/a" when FILE is empty.
#
# bench_ratio A B, bench_verdict VALUE OP TARGET: as their names say.
#
# bench_binary ROOT BUILD WORK: copy the git-pysec to measure to WORK/git-pysec (pysec-net and
# pysec-hook beside it, for the daemon)
# ($PYSEC_BIN, else ROOT's build in BUILD, made first: BUILD may be rebuilt
# by someone else while a benchmark runs) and set source_rev to what it is.

bench_objects_dir() {	# the objects directory of the repository at $1
	local common
	common=$(git -C "$1" rev-parse --path-format=absolute --git-common-dir) || return 1
	printf '%s/objects\n' "$common"
}

bench_seed() {
	local src=$1 seed=$2 base=$3 first=$4 refs=${SEED_REFS-refs/heads refs/tags}
	local ref obj commit n=0
	git init -q --bare "$seed"
	seed=$(cd "$seed" && pwd -P)
	git -C "$seed" config gc.auto 0
	git -C "$seed" config receive.autogc false
	bench_objects_dir "$src" >"$seed/objects/info/alternates"
	{
		echo "update refs/heads/main $base"
		if [[ -n $refs ]]; then
			# shellcheck disable=SC2086  # the prefixes are meant to split
			git -C "$src" for-each-ref --format='%(refname) %(objectname)' $refs |
				while read -r ref obj; do
					[[ $ref == refs/heads/main ]] && continue
					commit=$(git -C "$src" rev-parse -q --verify "$obj^{commit}") || continue
					git -C "$src" merge-base --is-ancestor "$first" "$commit" && continue
					echo "update $ref $obj"
				done
		fi
	} | git -C "$seed" update-ref --stdin
	git -C "$seed" for-each-ref --format='%(objectname)' |
		git -C "$seed" pack-objects --revs --missing=allow-any --delta-base-offset -q "$seed/objects/pack/pack" >/dev/null
	rm -f "$seed/objects/info/alternates"
	git -C "$seed" pack-refs --all
	git -C "$seed" commit-graph write --reachable --no-progress 2>/dev/null ||
		git -C "$seed" commit-graph write --reachable
	n=$(git -C "$seed" for-each-ref | wc -l)
	echo "$n"
}

bench_stat() {
	sort -g "$1" | awk -v w="$2" '{ v[NR] = $1 } END {
		if (!NR) { print "n/a"; exit }
		if (w == "median") x = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		else if (w == "p95") { r = int(0.95 * NR); if (r < 0.95 * NR) r++; x = v[r] }
		else x = v[NR]
		printf "%.1f\n", x }'
}

bench_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a != "n/a" && b != "n/a" && b > 0) printf "%.2f", a / b; else printf "n/a" }'
}

bench_verdict() {
	awk -v v="$1" -v o="$2" -v t="$3" 'BEGIN { if (v == "n/a") print "n/a";
		else if ((o == ">=" && v + 0 >= t) || (o == "<=" && v + 0 <= t) || (o == "<" && v + 0 < t)) print "met";
		else print "**missed**" }'
}

bench_binary() {
	local root=$1 build=$2 work=$3
	if [[ -n ${PYSEC_BIN:-} ]]; then
		cp "$PYSEC_BIN" "$work/git-pysec"
		# the daemon (`serve` runs pysec-net beside git-pysec) and its client, where the build has them
		cp "$(dirname "$PYSEC_BIN")/pysec-net" "$(dirname "$PYSEC_BIN")/pysec-hook" "$work/" 2>/dev/null || true
		source_rev="the binary $PYSEC_BIN"
	else
		(cd "$root" && make BUILD="$build" >&2 &&
			cp "$build/git-pysec" "$build/pysec-net" "$build/pysec-hook" "$work/") || return 1
		source_rev=$(git -C "$root" describe --always --dirty 2>/dev/null || echo 'not a git checkout')
	fi
}

# bench_time_tool: install GNU time when it is missing (Debian package 'time')
bench_time_tool() {
	if [[ ! -x /usr/bin/time ]]; then
		if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
			echo "installing GNU time (Debian package 'time')" >&2
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >&2 ||
				{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >&2; }
		fi
		[[ -x /usr/bin/time ]] || { echo "/usr/bin/time (GNU time) is missing: apt-get install time" >&2; return 1; }
	fi
}
