#!/bin/bash
# The Debian package, as a person would use it: build it from a copy of
# this tree with `dpkg-buildpackage -us -uc -b`, check it with lintian (no
# errors), install it with apt-get, and scan with the installed git-pysec.
# Installing needs root (CI runs as root); the package is removed again
# unless it was installed before.  Ends with "N passed, N failed".
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/pysec-package.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "not ok - $1"; shift; [ $# -gt 0 ] && printf '    %s\n' "$@"; return 0; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d" "command: $*"; fi; }
finish() { echo "package: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

# the Dockerfile's build stage installs every build dependency the package names
# (debhelper-compat comes with debhelper)
for dep in $(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$SRC/debian/control" | grep -v '^#' |
	sed -e 's/^Build-Depends://' -e 's/([^)]*)//g' -e '/^[A-Z]/d' | tr ',' '\n' | tr -d ' \t' | grep .); do
	[ "$dep" = debhelper-compat ] && dep=debhelper
	if grep -Eq "(^|[[:space:]])$dep([[:space:]]|$)" "$SRC/Dockerfile"; then
		ok "the Dockerfile installs build dependency $dep"
	else
		fail "the Dockerfile installs build dependency $dep"
	fi
done

version=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
tree=$TMP/pysec-$version
deb=$TMP/pysec_${version}_$arch.deb

# a copy without the build trees: the package builds from sources (the
# verified grammar in deps/ is kept, so no network is needed for it)
mkdir -p "$tree"
tar -C "$SRC" --exclude=./build --exclude=./build-asan --exclude=./build-fuzz --exclude=./.git \
	--exclude=./debian/build -cf - . | tar -C "$tree" -xf -
if (cd "$tree" && dpkg-buildpackage -us -uc -b) > "$TMP/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b builds pysec $version"
else
	fail "dpkg-buildpackage -us -uc -b builds pysec $version" "$(tail -40 "$TMP/build.log")"
	finish
fi
check "the package is there" test -s "$deb"
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/git-pysec ./usr/bin/pysec-net ./usr/bin/pysec-hook ./usr/share/man/man1/git-pysec.1.gz \
	./usr/share/man/man1/git-pysec-scan.1.gz ./usr/share/bash-completion/completions/git-pysec \
	./usr/share/zsh/vendor-completions/_git-pysec ./lib/systemd/system/pysec.service \
	./lib/systemd/system/pysec.socket ./usr/share/pysec/config/pysec.conf \
	./usr/share/doc/pysec/copyright ./usr/share/doc/pysec/examples/systemd/own-user/pysec.service.d/own-user.conf \
	./usr/share/doc/pysec/examples/systemd/own-user/pysec.socket.d/own-user.conf; do
	case "$contents" in *" $f"*) ok "it holds $f" ;; *) fail "it holds $f" ;; esac
done
dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./lib/systemd/system/pysec.service > "$TMP/unit"
check "the unit runs the packaged git-pysec" grep -q '^ExecStart=/usr/bin/git-pysec serve' "$TMP/unit"
dpkg-deb --fsys-tarfile "$deb" | tar -xOf - ./usr/share/doc/pysec/examples/systemd/own-user/pysec.service.d/own-user.conf \
	> "$TMP/own-user.conf"
check "model B's drop-in is the tree's" cmp -s "$TMP/own-user.conf" "$SRC/daemon/systemd/own-user/pysec.service.d/own-user.conf"

# git-pysec embeds libgit2's archive (Makefile, CORE_STATIC_LIBS): the
# package names the sources it was built with, at their versions
static=$(dpkg-deb -f "$deb" Static-Built-Using)
libgit2=$(dpkg-query -W -f '${source:Package} (= ${source:Version})' libgit2-dev)
case "$static" in *"$libgit2"*) ok "Static-Built-Using names $libgit2" ;;
*) fail "Static-Built-Using names $libgit2" "Static-Built-Using: $static" ;; esac

# lintian: no errors (warnings are printed, not fatal)
if lintian --fail-on error "$TMP"/pysec_*.changes > "$TMP/lintian.log" 2>&1; then
	ok "lintian reports no errors"
	sed 's/^/    lintian: /' "$TMP/lintian.log"
else
	fail "lintian reports no errors" "$(cat "$TMP/lintian.log")"
fi

# install, scan, remove; one package test at a time on this machine
if ! as_root true 2> /dev/null; then
	fail "installing the package needs root (or sudo without a password)"
	finish
fi
exec 9> /tmp/pysec-package-install.lock
flock 9
was_installed=$(dpkg-query -W -f='${Status}' pysec 2> /dev/null | grep -c "install ok installed")
if as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	-o DPkg::Lock::Timeout=600 "$deb" > "$TMP/install.log" 2>&1; then
	ok "apt-get installs the package"
else
	fail "apt-get installs the package" "$(tail -20 "$TMP/install.log")"
	finish
fi
check "git-pysec is in /usr/bin" test -x /usr/bin/git-pysec
check "man finds git-pysec(1)" sh -c 'man -w git-pysec | grep -q "^/usr/share/man/man1/git-pysec.1.gz$"'

export HOME=$TMP/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com \
	GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com PYSEC_CONFIG=$TMP/none.conf
mkdir -p "$HOME"
git init -q "$TMP/demo"
cp "$SRC/examples/demo/before.py" "$TMP/demo/app.py"
git -C "$TMP/demo" add app.py && git -C "$TMP/demo" commit -qm before
cp "$SRC/examples/demo/after.py" "$TMP/demo/app.py"
git -C "$TMP/demo" commit -qam after
out=$(cd "$TMP/demo" && PATH=/usr/bin:/bin git pysec scan HEAD 2>&1)
rc=$?
check "the installed git pysec scan finds the demo's defect (exit 1)" test "$rc" -eq 1
case "$out" in *"B602"*) ok "naming B602" ;; *) fail "naming B602" "$out" ;; esac
out=$(PATH=/usr/bin:/bin MANPAGER=cat git pysec scan --help 2>&1)
case "$out" in *"git-pysec-scan - scan the lines a change adds"*) ok "git pysec scan --help opens the installed page" ;;
*) fail "git pysec scan --help opens the installed page" "$out" ;; esac
uri=$(cd "$TMP/demo" && PATH=/usr/bin:/bin git pysec scan HEAD --format sarif | jq -r '.runs[0].tool.driver.informationUri')
check "SARIF links the installed README ($uri)" \
	test "$uri" = file:///usr/share/doc/pysec/README.md -a -f /usr/share/doc/pysec/README.md
check "git pysec review reaches the packaged pysec-net" sh -c 'PATH=/usr/bin:/bin git pysec review -h | grep -q "usage: git pysec review"'

if [ "$was_installed" -eq 0 ]; then
	as_root env DEBIAN_FRONTEND=noninteractive dpkg --purge pysec > /dev/null 2>&1 ||
		fail "the package is removed again"
fi
finish
