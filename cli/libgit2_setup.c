/*
 * libgit2_setup.c: starting libgit2 the way every front end needs it.
 *
 * Two of libgit2's defaults cost a pre-receive hook more than its scan:
 *
 * - Debian builds libgit2 1.5 with mbedTLS, whose global initialisation
 *   loads and base64-decodes the whole system CA bundle (about 140
 *   certificates) in every process: 4 to 6 ms of a push's 20 ms budget,
 *   measured with perf (bench/README.md).  pysec never uses libgit2's
 *   network transports (forges are reached with libcurl), so this
 *   executable defines mbedtls_x509_crt_parse_file, which the dynamic
 *   linker binds ahead of libmbedx509's: it loads nothing.  Should libgit2
 *   ever open a TLS connection here, it would have no trusted certificate
 *   and refuse it: this fails closed.  On a libgit2 built with OpenSSL the
 *   symbol is simply unused.
 *
 * - For the same reason this executable defines libssh2_init: libgit2's
 *   initialisation calls it for its SSH transport, and libssh2 then sets
 *   up OpenSSL's tables, about 1 ms of a small push's 6 ms of CPU (perf,
 *   bench/README.md).  libssh2 initialises itself when a session is made
 *   (libssh2_session_init_ex), so an SSH connection would still work.
 *
 * - Then mbedTLS's entropy gathering: libgit2 seeds a random generator for
 *   TLS at initialisation, and mbedTLS 2.28's HAVEGE source fills a 36 KB
 *   pool from timing loops first: 1.1 M instructions, 5% of a small push
 *   (callgrind, bench/README.md).  HAVEGE is gone from mbedTLS 3 (its
 *   timing is not a sound entropy source on current processors); the
 *   kernel's getrandom() source stays, so a generator seeded here still
 *   gets the kernel's entropy.  This executable's mbedtls_havege_init only
 *   zeroes the state, which the HAVEGE source then reads without harm.
 *
 * - libgit2 hashes every object it reads again to check its id
 *   (GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION); git does not.  Objects in a
 *   repository, and those in a push's quarantine, were hashed when they
 *   were written (index-pack, unpack-objects), so this is off.
 *
 * - A push of a whole history reads most of a large pack.  libgit2 maps a
 *   pack in windows of 1 GiB up to 8 GiB, and keeps up to 256 MiB of
 *   parsed trees and commits: the pages it touched stay in the process's
 *   memory until exit.  The hook bounds its memory instead: windows of
 *   8 MiB, 32 MiB of them mapped at once, 4 MiB of cache.  Measured with
 *   bench/import.sh (numpy's 30,000 commits): a larger cache only made the
 *   scan slower, larger windows a little faster at 30 MB more.
 *
 * - libgit2 caches no blob by default, and a push reads each touched file
 *   twice: the diff reads both sides, then the scan reads the new one
 *   again.  Blobs up to 1 MiB are cached (within the 4 MiB), so the second
 *   read is not inflated again: 4% of a push's instructions that changes
 *   13 files (callgrind, bench/README.md).
 */
#include "cli.h"

struct mbedtls_x509_crt;
int mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path);

int mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path)
{
	(void)chain;
	(void)path;
	return 0;
}

int libssh2_init(int flags);

int libssh2_init(int flags)
{
	(void)flags;
	return 0;
}

#if __has_include(<mbedtls/havege.h>)
#include <mbedtls/havege.h>

void mbedtls_havege_init(mbedtls_havege_state *hs)
{
	memset(hs, 0, sizeof(*hs));
}
#endif

void cli_libgit2_init(void)
{
	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)8 << 20);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)32 << 20);
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)4 << 20);
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_BLOB, (size_t)1 << 20);
}
