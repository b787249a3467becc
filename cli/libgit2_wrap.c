/*
 * libgit2_wrap.c: what git-pysec does instead of three steps of libgit2's
 * initialisation, which cost a pre-receive hook more than its scan.
 *
 * git-pysec links libgit2 and its libraries statically (Makefile,
 * CORE_STATIC_LIBS) with `-Wl,--wrap=<name>` for each function below
 * (LIBGIT2_WRAP), so libgit2's calls to <name> reach __wrap_<name>.
 * pysec-net, a daemon or a one-off review, links them shared and pays
 * these costs once per process.
 *
 * - Debian builds libgit2 1.5 with mbedTLS, whose global initialisation
 *   loads and base64-decodes the whole system CA bundle (about 140
 *   certificates) in every process: 4 to 6 ms of a push's 20 ms budget,
 *   measured with perf (bench/README.md).  pysec never uses libgit2's
 *   network transports (forges are reached with libcurl), so
 *   mbedtls_x509_crt_parse_file loads nothing here.  Should libgit2 ever
 *   open a TLS connection, it would have no trusted certificate and refuse
 *   it: this fails closed.
 *
 * - libgit2's initialisation calls libssh2_init for its SSH transport, and
 *   libssh2 then sets up OpenSSL's tables, about 1 ms of a small push's
 *   6 ms of CPU (perf, bench/README.md).  libssh2 initialises itself when
 *   a session is made (libssh2_session_init_ex), so an SSH connection
 *   would still work.
 *
 * - Then mbedTLS's entropy gathering: libgit2 seeds a random generator for
 *   TLS at initialisation, and mbedTLS 2.28's HAVEGE source fills a 36 KB
 *   pool from timing loops first: 1.1 M instructions, 5% of a small push
 *   (callgrind, bench/README.md).  HAVEGE is gone from mbedTLS 3 (its
 *   timing is not a sound entropy source on current processors); the
 *   kernel's getrandom() source stays, so a generator seeded here still
 *   gets the kernel's entropy.  mbedtls_havege_init here only zeroes the
 *   state, which the HAVEGE source then reads without harm.
 */
#include "cli.h"

struct mbedtls_x509_crt;
int __wrap_mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path);
int __wrap_libssh2_init(int flags);

int __wrap_mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path)
{
	(void)chain;
	(void)path;
	return 0;
}

int __wrap_libssh2_init(int flags)
{
	(void)flags;
	return 0;
}

#if __has_include(<mbedtls/havege.h>)
#include <mbedtls/havege.h>

void __wrap_mbedtls_havege_init(mbedtls_havege_state *hs);

void __wrap_mbedtls_havege_init(mbedtls_havege_state *hs)
{
	memset(hs, 0, sizeof(*hs));
}
#endif
