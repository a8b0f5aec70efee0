#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "textfile.h"

/* Split path into its directory (".", when it has none) and base name. */
static int split_path(const char *path, char *dir, size_t dirlen,
		      const char **base)
{
	const char *slash = strrchr(path, '/');
	size_t n;

	if (!*path)
		return -EINVAL;
	if (!slash) {
		snprintf(dir, dirlen, ".");
		*base = path;
	} else {
		n = (size_t)(slash - path);
		if (n == 0)
			n = 1;   /* "/name": the root directory */
		if (n >= dirlen)
			return -ENAMETOOLONG;
		memcpy(dir, path, n);
		dir[n] = '\0';
		*base = slash + 1;
	}
	if (!**base || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0)
		return -EISDIR;
	return 0;
}

/* The refusals: an existing path that is not a regular file. */
static int check_target(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	return 0;
}

int textfile_check(const char *path)
{
	char dir[PATH_MAX];
	const char *base;
	struct stat st;
	int e;

	if (!path)
		return -EINVAL;
	e = split_path(path, dir, sizeof(dir), &base);
	if (e)
		return e;
	if (stat(dir, &st) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return check_target(path);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Fill the temporary file: mode, content, on disk. */
static int fill(int fd, const char *buf, size_t len)
{
	int e;

	if (fchmod(fd, 0644) != 0)
		return -errno;
	e = write_all(fd, buf, len);
	if (e)
		return e;
	return fsync(fd) != 0 ? -errno : 0;
}

/* The rename itself on disk; failing here loses nothing a reader could
 * see, so it is not an error. */
static void sync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
}

int textfile_write(const char *path, const char *buf, size_t len)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *base;
	sigset_t stop, old;
	int e, fd, n;

	if (!path || (!buf && len))
		return -EINVAL;
	e = split_path(path, dir, sizeof(dir), &base);
	if (e)
		return e;
	e = check_target(path);
	if (e)
		return e;
	n = snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, &old);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		e = -errno;
	} else {
		e = fill(fd, buf, len);
		if (close(fd) != 0 && e == 0)
			e = -errno;
		/* checked again just before: a symlink put there since the
		 * last sample is refused, not silently replaced */
		if (e == 0)
			e = check_target(path);
		if (e == 0 && rename(tmp, path) != 0)
			e = -errno;
		if (e)
			unlink(tmp);
		else
			sync_dir(dir);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return e;
}
