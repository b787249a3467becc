#!/bin/bash
# Every rule against its example file: tests/rules/<ID>.py marks each line
# that must be reported with `# expect: B602` (several ids comma-separated;
# `B602(low/high)` also checks severity/confidence), and every other line
# must not be reported, by any rule.  One ok/fail per file.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

# expected FILE: "line rule" or "line rule severity/confidence", one a line
expected() {
	awk '
	{
		i = index($0, "# expect:")
		if (!i)
			next
		s = substr($0, i + 9)
		gsub(/[ \t]/, "", s)
		n = split(s, ids, ",")
		for (k = 1; k <= n; k++) {
			if (ids[k] == "")
				continue
			if (match(ids[k], /^[A-Za-z0-9_-]+\(.*\)$/)) {
				p = index(ids[k], "(")
				print NR, substr(ids[k], 1, p - 1), substr(ids[k], p + 1, length(ids[k]) - p - 1)
			} else {
				print NR, ids[k]
			}
		}
	}' "$1"
}

# compare EXPECTED GOT: GOT has "line rule severity/confidence"; prints the differences
compare() {
	awk '
	FNR == NR { full[$0] = 1; short[$1 " " $2] = $3; next }
	{
		key = $1 " " $2
		want[key] = 1
		if (!(key in short))
			print "missing:    line " $1 " " $2
		else if (NF > 2 && short[key] != $3)
			print "wrong level: line " $1 " " $2 " is " short[key] ", wanted " $3
	}
	END {
		for (k in short)
			if (!(k in want)) {
				split(k, a, " ")
				print "unexpected: line " a[1] " " a[2] " (" short[k] ")"
			}
	}' "$2" "$1" | sort -k3,3n
}

files=("$ROOT"/tests/rules/*.py)
[ -e "${files[0]}" ] || { fail "tests/rules has example files"; exit 0; }
mkdir -p "$TMP/rules"
for f in "${files[@]}"; do
	id=$(basename "$f" .py)
	# a copy outside any repository, so that no repository configuration applies
	cp "$f" "$TMP/rules/$id.py"
	git pysec scan --full "$TMP/rules/$id.py" --format json --fail-on low --min-confidence low > "$TMP/out.json" 2> "$TMP/err"
	rc=$?
	if [ "$rc" -gt 1 ]; then
		fail "$id: scan exited $rc" "$(head -c 2000 "$TMP/err")"
		continue
	fi
	jq -r '.findings[] | "\(.line) \(.rule) \(.severity)/\(.confidence)"' "$TMP/out.json" | sort -u > "$TMP/got"
	expected "$f" > "$TMP/want"
	if ! grep -q " $id\b" "$TMP/want"; then
		fail "$id: the example file expects $id somewhere"
		continue
	fi
	diff=$(compare "$TMP/want" "$TMP/got")
	if [ -z "$diff" ]; then
		ok "$id: $(wc -l < "$TMP/want") expected findings, nothing else"
	else
		mapfile -t lines <<< "$diff"
		fail "$id: findings differ from tests/rules/$id.py" "${lines[@]}"
	fi
done
