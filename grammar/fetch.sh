#!/bin/sh
# Fetch the pinned tree-sitter-python package with npm, check its sha512
# integrity against grammar/tree-sitter-python.pin, and unpack the C sources
# into the given directory. Nothing is compiled from an unverified tarball.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: fetch.sh OUTDIR}
pin="$here/tree-sitter-python.pin"

name=$(sed -n 's/^name=//p' "$pin")
version=$(sed -n 's/^version=//p' "$pin")
integrity=$(sed -n 's/^integrity=//p' "$pin")

if [ -f "$out/.verified" ] && [ "$(cat "$out/.verified")" = "$integrity" ]; then
	exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "fetch.sh: npm is needed to fetch $name (apt-get install npm)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$name@$version" >/dev/null)
tarball="$tmp/$name-$version.tgz"
[ -f "$tarball" ] || { echo "fetch.sh: npm pack did not produce $tarball" >&2; exit 1; }

actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 | tr -d '\n')"
if [ "$actual" != "$integrity" ]; then
	echo "fetch.sh: integrity mismatch for $name@$version" >&2
	echo "  expected $integrity" >&2
	echo "  got      $actual" >&2
	exit 1
fi

rm -rf "$out"
mkdir -p "$out"
tar -xzf "$tarball" -C "$tmp" package/src/parser.c package/src/scanner.c package/src/tree_sitter package/LICENSE
cp -R "$tmp/package/src/." "$out/"
cp "$tmp/package/LICENSE" "$out/LICENSE"
printf '%s\n' "$integrity" > "$out/.verified"
echo "fetch.sh: $name@$version verified ($integrity)"
