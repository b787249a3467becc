#!/bin/sh
# Fetch the npm package a pin file names (grammar/<grammar>.pin: name,
# version, integrity) with npm, check its sha512 against the pin's
# integrity, and unpack its C sources and licence into the given directory.
# Nothing is compiled from an unverified tarball.
set -eu

pin=${1:?usage: fetch.sh PINFILE OUTDIR}
out=${2:?usage: fetch.sh PINFILE OUTDIR}

name=$(sed -n 's/^name=//p' "$pin")
version=$(sed -n 's/^version=//p' "$pin")
integrity=$(sed -n 's/^integrity=//p' "$pin")
[ -n "$name" ] && [ -n "$version" ] && [ -n "$integrity" ] ||
	{ echo "fetch.sh: $pin: name, version or integrity missing" >&2; exit 1; }

if [ -f "$out/.verified" ] && [ "$(cat "$out/.verified")" = "$integrity" ]; then
	exit 0
fi

command -v npm >/dev/null 2>&1 || { echo "fetch.sh: npm is needed to fetch $name (apt-get install npm)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# npm names the tarball (a scoped package's "@scope/name" becomes "scope-name")
file=$(cd "$tmp" && npm pack --silent "$name@$version" | tail -n 1)
tarball="$tmp/$file"
case "$file" in
*/* | '') echo "fetch.sh: npm pack did not name a tarball for $name@$version" >&2; exit 1 ;;
esac
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
