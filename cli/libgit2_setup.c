/*
 * libgit2_setup.c: starting libgit2 the way every front end needs it.
 *
 * git-pysec also replaces three of libgit2's start-up costs
 * (libgit2_wrap.c).
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

void cli_libgit2_init(void)
{
	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)8 << 20);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)32 << 20);
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)4 << 20);
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_BLOB, (size_t)1 << 20);
}
