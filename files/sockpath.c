/*
 * sockpath.c - publishing a Unix socket at a path (vmt_files.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmt_files.h"

static int make_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (!*path)
		return -EINVAL;   /* "" would be an abstract, unprotected name */
	if (strlen(path) >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	memcpy(a->sun_path, path, strlen(path));
	return 0;
}

/* A socket file nobody answers on (a killed server's) may be replaced;
 * anything else at the path is left alone. */
static int claim(int type, const struct sockaddr_un *a)
{
	struct stat st;
	int fd, live;

	if (lstat(a->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	live = connect(fd, (const struct sockaddr *)a, sizeof(*a)) == 0 ||
	       errno != ECONNREFUSED;
	close(fd);
	if (live)
		return -EADDRINUSE;
	return unlink(a->sun_path) && errno != ENOENT ? -errno : 0;
}

/*
 * The temporary name lives in the same directory (a rename never crosses
 * file systems): PATH.PID, or DIR/.sPID when that does not fit.
 */
static int temp_addr(struct sockaddr_un *t, const struct sockaddr_un *a)
{
	const char *p = a->sun_path, *slash = strrchr(p, '/');
	int dir = slash ? (int)(slash - p) + 1 : 0;
	size_t cap = sizeof(t->sun_path);
	int n;

	memset(t, 0, sizeof(*t));
	t->sun_family = AF_UNIX;
	n = snprintf(t->sun_path, cap, "%s.%ld", p, (long)getpid());
	if (n > 0 && (size_t)n < cap)
		return 0;
	n = snprintf(t->sun_path, cap, "%.*s.s%ld", dir, p, (long)getpid());
	return n > 0 && (size_t)n < cap ? 0 : -ENAMETOOLONG;
}

/* bind, chmod and listen under @t, then rename to @a, never over a file
 * that appeared meanwhile. */
static int publish(int fd, const struct sockaddr_un *t,
		   const struct sockaddr_un *a, mode_t mode, int backlog)
{
	int rc = 0;

	unlink(t->sun_path);
	if (bind(fd, (const struct sockaddr *)t, sizeof(*t)))
		return -errno;
	if (chmod(t->sun_path, mode) || listen(fd, backlog) ||
	    renameat2(AT_FDCWD, t->sun_path, AT_FDCWD, a->sun_path,
		      RENAME_NOREPLACE))
		rc = errno == EEXIST ? -EADDRINUSE : -errno;
	if (rc)
		unlink(t->sun_path);
	return rc;
}

int vmt_sock_listen(int type, const char *path, mode_t mode, int backlog)
{
	struct sockaddr_un a, t;
	int fd, rc = make_addr(&a, path);

	if (!rc)
		rc = claim(type, &a);
	if (!rc)
		rc = temp_addr(&t, &a);
	if (rc)
		return rc;
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = publish(fd, &t, &a, mode, backlog);
	if (rc) {
		close(fd);
		return rc;
	}
	return fd;
}
