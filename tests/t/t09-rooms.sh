#!/bin/bash
# The rooms (README.md, "Layout") keep their doors: a directory's sources
# include only their own headers, util/'s and the public include/ (util/
# only its own), each header of include/ is the face of one room, no file
# of daemon/ is linked into git-pysec, and the rooms include and call each
# other one way (from the #include lines, and with nm from the symbols
# each room's objects use and define).  tsort names the circle when there
# is one.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.sh"

build=$(dirname "$(readlink -f "$PYSEC_BIN")")
rooms="util diffscan forge proto daemon cli hook bin"

# the objects built from a room's sources (not those of files since moved away)
objects() {
	local c
	for c in "$top/$1"/*.c; do
		echo "$build/$1/$(basename "$c" .c).o"
	done
	[ "$1" = diffscan ] && echo "$build/rules_builtin.o"
}

# the room whose face each public header is
face_room() {
	case "$1" in
	pysec.h) echo diffscan ;;
	pysec_forge.h) echo forge ;;
	pysec_proto.h) echo proto ;;
	pysec_daemon.h) echo daemon ;;
	pysec_cli.h) echo cli ;;
	pysec_hook.h) echo hook ;;
	*) return 1 ;;
	esac
}

# the "#include" lines of a directory: "file header"
includes() {
	local f
	for f in "$top/$1"/*.[ch]; do
		sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f" | sed "s|^|$(basename "$f") |"
	done
}

# --- each room's doors --------------------------------------------------------
bad=
for r in $rooms; do
	while read -r file h; do
		if [ -e "$top/$r/$h" ]; then
			continue
		elif [ "$r" != util ] && { [ -e "$top/util/$h" ] || [ -e "$top/include/$h" ]; }; then
			continue
		fi
		bad="$bad $r/$file:$h"
	done < <(includes "$r")
done
while read -r file h; do
	[ -e "$top/include/$h" ] || bad="$bad include/$file:$h"
done < <(includes include)
if [ -z "$bad" ]; then
	ok "each room includes only its own headers, util/'s and include/'s"
else
	fail "each room includes only its own headers, util/'s and include/'s" $bad
fi

bad=
for h in "$top"/include/*.h; do
	face_room "$(basename "$h")" > /dev/null || bad="$bad $(basename "$h")"
done
if [ -z "$bad" ]; then
	ok "each header of include/ is the face of one room"
else
	fail "each header of include/ is the face of one room" "not a face:$bad"
fi

# --- git-pysec links no file of daemon/ ----------------------------------------
nm -P --defined-only "$build/git-pysec" | awk '$2 ~ /^[TDRB]$/ { print $1 }' | sort -u > "$TMP/git-pysec.syms"
objects daemon | xargs nm -P --defined-only | awk '$2 ~ /^[TDRBC]$/ { print $1 }' | sort -u > "$TMP/daemon.syms"
objects proto | xargs nm -P --defined-only | awk '$2 ~ /^[TDRBC]$/ { print $1 }' | sort -u > "$TMP/proto.syms"
if [ -s "$TMP/daemon.syms" ] && [ -s "$TMP/proto.syms" ] && [ -z "$(comm -23 "$TMP/proto.syms" "$TMP/git-pysec.syms")" ]; then
	ok "git-pysec's symbols are visible (the hook's client, proto/, is in it)"
else
	fail "git-pysec's symbols are visible (the hook's client, proto/, is in it)"
fi
linked=$(comm -12 "$TMP/daemon.syms" "$TMP/git-pysec.syms")
if [ -z "$linked" ]; then
	ok "git-pysec links no file of daemon/"
else
	fail "git-pysec links no file of daemon/" "daemon symbols in git-pysec:" $linked
fi

# --- the rooms' arrows run one way ---------------------------------------------
: > "$TMP/arrows"
for r in $rooms; do
	while read -r file h; do
		if [ -e "$top/include/$h" ]; then
			echo "$r $(face_room "$h")"
		elif [ -e "$top/util/$h" ]; then
			echo "$r util"
		fi
	done < <(includes "$r") >> "$TMP/arrows"
done
: > "$TMP/defined"
: > "$TMP/used"
for r in $rooms; do
	mapfile -t objs < <(objects "$r")
	if [ ! -e "${objs[0]}" ]; then
		fail "the objects of $r/ are next to git-pysec" "none in $build/$r"
		continue
	fi
	nm -P --defined-only "${objs[@]}" 2>/dev/null | awk -v r="$r" '$2 ~ /^[TDRBC]$/ { print $1, r }' >> "$TMP/defined"
	nm -P -u "${objs[@]}" 2>/dev/null | awk -v r="$r" 'NF >= 2 { print $1, r }' >> "$TMP/used"
done
sort -u -k1,1 "$TMP/defined" > "$TMP/defined.sorted"
sort -u "$TMP/used" | sort -k1,1 > "$TMP/used.sorted"
join "$TMP/used.sorted" "$TMP/defined.sorted" | awk '{ print $2, $3 }' >> "$TMP/arrows"
awk '$1 != $2' "$TMP/arrows" | sort -u > "$TMP/graph"

# the check sees what it should: include and call arrows, and a loop when there is one
if grep -qx 'hook proto' "$TMP/graph" && grep -qx 'daemon proto' "$TMP/graph" && grep -qx 'cli daemon' "$TMP/graph" &&
	grep -qx 'diffscan util' "$TMP/graph" && grep -qx 'bin hook' "$TMP/graph"; then
	ok "the graph holds the rooms' include and call arrows ($(wc -l < "$TMP/graph") arrows)"
else
	fail "the graph holds the rooms' include and call arrows" "$(cat "$TMP/graph")"
fi
if ! { cat "$TMP/graph"; echo "util diffscan"; } | tsort > /dev/null 2>&1; then
	ok "an arrow back from util/ to the core would be a circle"
else
	fail "an arrow back from util/ to the core would be a circle"
fi
if tsort "$TMP/graph" > /dev/null 2> "$TMP/loop"; then
	ok "the rooms include and call each other one way"
else
	fail "the rooms include and call each other one way" "$(cat "$TMP/loop")" "$(cat "$TMP/graph")"
fi
