#!/bin/bash
# Two executables: git-pysec starts on every push, so it links no network
# library, and libgit2 and the others from their archives (Makefile,
# CORE_STATIC_LIBS); `review` and `serve` run in pysec-net, next to it, by exec.
. "$(dirname "$0")/lib.sh"

net="$(dirname "$(readlink -f "$PYSEC_BIN")")/pysec-net"
test -x "$net" && ok "pysec-net is next to git-pysec" || fail "pysec-net is next to git-pysec" "$net"

if command -v ldd > /dev/null 2>&1; then
	libs=$(ldd "$PYSEC_BIN")
	for lib in libcurl libmicrohttpd libsqlite3 libsystemd libgit2 libtree-sitter libssh2 libcrypto; do
		lacks "git-pysec does not load $lib" "$libs" "$lib"
	done
else
	ok "# skip: no ldd, the libraries git-pysec loads are not checked"
fi

# libgit2's initialisation, wrapped (cli/libgit2_wrap.c), does not load the
# system's CA bundle for a TLS connection it never makes
if command -v strace > /dev/null 2>&1; then
	printf 'import os\n' > traced.py
	strace -f -e trace=open,openat -o opened.log "$PYSEC_BIN" scan --full traced.py > /dev/null 2>&1
	opened=$(cat opened.log 2>/dev/null)
	contains "strace sees git-pysec open the file it scans" "$opened" "traced.py"
	lacks "git-pysec does not read the CA certificates" "$opened" "/etc/ssl/certs"
else
	ok "# skip: no strace, the files git-pysec opens are not checked"
fi

expect_exit 0 "git pysec help lists review" git pysec help
contains "and serve" "$OUT" "serve "
expect_exit 0 "git pysec review -h runs in pysec-net" git pysec review -h
contains "with review's usage" "$OUT" "usage: git pysec review"
expect_exit 2 "serve's usage errors come through the exec" git pysec serve --no-such-flag
contains "with serve's usage" "$ERR" "usage: git pysec serve"

# git-pysec alone: review and serve say what is missing, and fail
mkdir alone
cp "$PYSEC_BIN" alone/git-pysec
expect_exit 3 "review without pysec-net fails" alone/git-pysec review
contains "saying where it looked" "$ERR" \
	"git pysec: review needs pysec-net next to git-pysec ($(pwd -P)/alone/pysec-net): No such file or directory"
expect_exit 3 "serve without pysec-net fails" alone/git-pysec serve --check
contains "saying so" "$ERR" "git pysec: serve needs pysec-net next to git-pysec"
expect_exit 0 "the other commands do not need it" alone/git-pysec rules

# every command of both executables takes long options in full only, and never prints an option's value
new_repo opts
for args in "scan --form json" "scan --fail low" "rules --form json" "install --forc x.git" "serve --conf x" \
	"review --tok SECRET-VALUE" "review --token SECRET-VALUE" "scan --token=SECRET-VALUE"; do
	set -- $args
	expect_exit 2 "git pysec $args: refused" git -C opts pysec "$@"
	contains "git pysec $args: names the option" "$ERR" "unknown option '${2%%=*}'"
	lacks "git pysec $args: prints no value" "$OUT$ERR" "SECRET-VALUE"
done
expect_exit 0 "an option given in full works" git -C opts pysec scan --format json
expect_exit 0 "--name=value too" git -C opts pysec rules --format=json
