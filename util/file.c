/* file.c: reading whole files and streams, with a cap (util.h). */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET_FILE_MAX (64 * 1024)

int fd_read_all(struct buf *b, int fd)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (buf_put(b, chunk, (size_t)n) < 0) {
			errno = EFBIG;
			return -1;
		}
	}
}

static int open_file(const char *path, unsigned flags)
{
	struct stat st;
	int err, fd;

	/* O_NONBLOCK: opening a FIFO that is to be refused must not wait for a writer */
	fd = open(path, O_RDONLY | O_CLOEXEC | (flags & FILE_NOFOLLOW ? O_NOFOLLOW : 0) |
		(flags & FILE_REGULAR ? O_NONBLOCK : 0));
	if (fd < 0)
		return -1;
	if (flags & FILE_REGULAR) {
		if (fstat(fd, &st) < 0)
			goto fail;
		if (!S_ISREG(st.st_mode)) {
			errno = EINVAL;
			goto fail;
		}
	}
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

int file_read(struct buf *b, const char *path, unsigned flags)
{
	struct stat st;
	int fd, rc, err;

	if ((fd = open_file(path, flags)) < 0)
		return -1;
	/* a file known to be too large is not read at all */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > b->max - b->len) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	rc = fd_read_all(b, fd);
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

int file_read_secret(char **out, const char *path, unsigned flags)
{
	struct buf b = BUF_INIT(SECRET_FILE_MAX);
	size_t n;

	if (file_read(&b, path, flags) < 0) {
		if (b.ptr)
			explicit_bzero(b.ptr, b.len);
		buf_free(&b);
		return -1;
	}
	n = strcspn(buf_cstr(&b), "\r\n");
	while (n && (b.ptr[n - 1] == ' ' || b.ptr[n - 1] == '\t'))
		n--;
	*out = xstrndup(buf_cstr(&b), n);
	if (b.ptr)
		explicit_bzero(b.ptr, b.len);
	buf_free(&b);
	return 0;
}
