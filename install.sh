#!/bin/sh
# install.sh: set up pysec on Debian bookworm.
#
#   ./install.sh               install the packages, fetch and verify the
#                              grammar, build, install git-pysec, and run a
#                              first scan on an embedded example
#   ./install.sh --deps-only   only the packages that building and testing need
#
# Options: --prefix DIR (default /usr/local), --no-demo.  Safe to run again:
# packages already present are not reinstalled, a verified grammar is kept.
set -eu

prefix=/usr/local
deps_only=0
demo=1
while [ $# -gt 0 ]; do
	case "$1" in
	--deps-only) deps_only=1 ;;
	--prefix) prefix=${2:?--prefix needs a directory}; shift ;;
	--prefix=*) prefix=${1#--prefix=} ;;
	--no-demo) demo=0 ;;
	-h|--help) sed -n '2,11p' "$0"; exit 0 ;;
	*) echo "install.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"
	elif command -v sudo >/dev/null 2>&1; then sudo "$@"
	else echo "install.sh: '$*' needs root (no sudo found)" >&2; exit 1
	fi
}

# Build: compiler, scdoc (the manual pages), libgit2, tree-sitter, libcurl,
# jansson, PCRE2, libyaml and inih (a project's Bandit
# configuration: YAML and .bandit's INI), libkrb5-dev (git-pysec links
# libgit2 from its archive, and GSSAPI, which it calls, shared), openssl (to check the grammar's sha512), and for the
# daemon libmicrohttpd (webhooks), SQLite (its durable queue), libpq (the
# queue several daemons share in PostgreSQL), OpenSSL's libcrypto (HMAC,
# constant-time compares) and libsystemd (sd_listen_fds: the sockets of
# socket activation).  Tests: cmocka, git, jq, strace (the files git-pysec opens), python3
# (the forge stand-in), curl, pre-commit (the pre-commit framework's
# manifest, tried with try-repo), man-db, bash-completion and zsh (the
# installed manual pages and completion, used as a person would),
# dpkg-dev, debhelper and lintian (the Debian package is built and checked),
# python3-jsonschema, python3-yaml and libxml2-utils (the reports are
# validated: JSON schemas, the CI templates, JUnit's XSD with xmllint),
# black (the neutral refactorings of tests/t/t22-neutral.sh), bandit (its
# JSON report as a baseline, tests/t/t16-migrate.sh), iproute2 (ss:
# a connection waiting in a socket's backlog), and systemd and procps
# (systemd-analyze verify and systemd-socket-activate try the daemon's
# units; the unit's ExecReload is /bin/kill), and PostgreSQL 15's server
# (tests/t/t46-daemon-postgresql.sh starts one of its own).
packages="build-essential pkg-config scdoc ca-certificates openssl git libgit2-dev libtree-sitter-dev
	libyaml-dev libinih-dev libkrb5-dev
	libcurl4-openssl-dev libjansson-dev libpcre2-dev libmicrohttpd-dev libsqlite3-dev libpq-dev libssl-dev
	libsystemd-dev
	libcmocka-dev jq strace python3 curl pre-commit man-db bash-completion zsh dpkg-dev debhelper lintian
	python3-jsonschema python3-yaml libxml2-utils black bandit iproute2 systemd procps postgresql-15"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# npm fetches the grammar; a machine may already have it from elsewhere
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
	echo "install.sh: installing$missing"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
fi
[ "$deps_only" -eq 1 ] && exit 0

make
as_root make install PREFIX="$prefix"
echo "install.sh: installed $prefix/bin/git-pysec and $prefix/bin/pysec-net"
[ "$demo" -eq 1 ] || exit 0

# The first scan: a throw-away repository whose last commit adds a shell
# injection next to code it does not touch.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -c init.defaultBranch=main init -q "$tmp/demo"
cp examples/demo/before.py "$tmp/demo/app.py"
git -C "$tmp/demo" add app.py
git -C "$tmp/demo" -c user.name=pysec -c user.email=pysec@localhost commit -q -m "before"
cp examples/demo/after.py "$tmp/demo/app.py"
git -C "$tmp/demo" -c user.name=pysec -c user.email=pysec@localhost commit -q -am "after"
echo
echo "\$ git pysec scan HEAD~1..HEAD     # in a demo repository"
PATH="$prefix/bin:$PATH"
if (cd "$tmp/demo" && git pysec scan HEAD~1..HEAD); then
	echo "install.sh: the demo scan found nothing; something is wrong" >&2
	exit 1
fi
echo
echo "install.sh: done. Try 'git pysec scan' in one of your repositories."
