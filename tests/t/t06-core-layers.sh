#!/bin/bash
# The core's modules (diffscan/X.c and X.h are module X) include and call
# each other one way: from the #include lines of the sources and, with nm,
# from the symbols each object of the binary under test uses and defines,
# no module reaches itself again.  tsort names the circle when there is one.
. "$(dirname "$0")/lib.sh"

src=$(cd "$(dirname "$0")/../../diffscan" && pwd)
build=$(dirname "$(readlink -f "$PYSEC_BIN")")
objs=("$build"/diffscan/*.o)

if [ ! -e "${objs[0]}" ] || [ ! -e "$build/rules_builtin.o" ]; then
	fail "the core's objects are next to git-pysec" "none in $build/diffscan"
	exit 0
fi

# arrows "from to": a file includes a header of the core ...
for f in "$src"/*.[ch]; do
	from=$(basename "${f%.[ch]}")
	sed -n 's/^#include "\([a-z_]*\)\.h".*/\1/p' "$f" | while read -r to; do
		[ -e "$src/$to.h" ] && echo "$from $to"
	done
done > "$TMP/arrows"
# ... or its object uses a symbol another object defines
for o in "${objs[@]}" "$build/rules_builtin.o"; do
	m=$(basename "$o" .o)
	[ "$m" = rules_builtin ] && m=builtin
	nm -P --defined-only "$o" | awk -v m="$m" '$2 ~ /^[TDRBC]$/ { print $1, m }' >> "$TMP/defined"
	nm -P -u "$o" | awk -v m="$m" '{ print $1, m }' >> "$TMP/used"
done
sort -k1,1 "$TMP/defined" > "$TMP/defined.sorted"
sort -k1,1 "$TMP/used" > "$TMP/used.sorted"
join "$TMP/used.sorted" "$TMP/defined.sorted" | awk '{ print $2, $3 }' >> "$TMP/arrows"
awk '$1 != $2' "$TMP/arrows" | sort -u > "$TMP/graph"

# the check sees what it should: arrows of both kinds, and a loop when there is one
if grep -qx 'engine walk' "$TMP/graph" && grep -qx 'rules predicates' "$TMP/graph" &&
	grep -qx 'engine builtin' "$TMP/graph"; then
	ok "the graph holds the core's include and call arrows ($(wc -l < "$TMP/graph") arrows)"
else
	fail "the graph holds the core's include and call arrows" "$(cat "$TMP/graph")"
fi
if ! { cat "$TMP/graph"; echo "walk engine"; } | tsort > /dev/null 2>&1; then
	ok "an arrow back from the walk to the engine would be a circle"
else
	fail "an arrow back from the walk to the engine would be a circle"
fi

if tsort "$TMP/graph" > /dev/null 2> "$TMP/loop"; then
	ok "the core's modules include and call each other one way"
else
	fail "the core's modules include and call each other one way" "$(cat "$TMP/loop")"
fi
