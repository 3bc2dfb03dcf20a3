/*
 * outfile.c - outputs that never clobber what they were not asked to
 * replace, inputs that cannot hang the program, and the temporary files a
 * signal must not leave behind (vmt_files.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmt_files.h"

/* ---- temporary files a signal removes ---- */

#define TMP_SLOTS 16

static char tmp_names[TMP_SLOTS][PATH_MAX];
static volatile sig_atomic_t tmp_used[TMP_SLOTS];

int vmt_tmp_register(const char *path)
{
	for (int i = 0; i < TMP_SLOTS; i++)
		if (!tmp_used[i]) {
			if (strlen(path) >= sizeof(tmp_names[i]))
				return -ENAMETOOLONG;
			strcpy(tmp_names[i], path);
			tmp_used[i] = 1;
			return 0;
		}
	return -ENOSPC;
}

void vmt_tmp_forget(const char *path)
{
	for (int i = 0; i < TMP_SLOTS; i++)
		if (tmp_used[i] && !strcmp(tmp_names[i], path))
			tmp_used[i] = 0;
}

void vmt_tmp_db(const char *path, int add)
{
	static const char *const sfx[] = { "", "-journal", "-wal", "-shm" };
	char p[PATH_MAX];

	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		if (snprintf(p, sizeof(p), "%s%s", path, sfx[i]) >= (int)sizeof(p))
			continue;
		if (add)
			(void)vmt_tmp_register(p);
		else
			vmt_tmp_forget(p);
	}
}

/* Only unlink() and signal calls: both async-signal-safe. */
static void on_signal(int sig)
{
	for (int i = 0; i < TMP_SLOTS; i++)
		if (tmp_used[i])
			unlink(tmp_names[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

int vmt_tmp_cleanup_on_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -errno;
	return 0;
}

/* ---- comparing and checking paths ---- */

int vmt_same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return a && b && !stat(a, &sa) && !stat(b, &sb) &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int vmt_input_check(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	return S_ISREG(st.st_mode) ? 0 : -EINVAL;
}

const char *vmt_file_kind(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return "missing";
	switch (st.st_mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	default: return "not a regular file";
	}
}

/* ---- outputs ---- */

/* PATH.XXXXXX beside @path (a rename never crosses file systems), 0600. */
int vmt_tmp_beside(char *tmp, size_t cap, const char *path)
{
	int fd;

	if (snprintf(tmp, cap, "%s.XXXXXX", path) >= (int)cap)
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		tmp[0] = '\0';
		return -errno;
	}
	/* No free slot: only a signal would leave it behind. */
	(void)vmt_tmp_register(tmp);
	return fd;
}

/*
 * Puts @tmp at @path without replacing anything there; link() where the
 * file system has no RENAME_NOREPLACE.
 */
int vmt_publish_new(const char *tmp, const char *path)
{
	int rc = renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE);

	if (rc && errno == EINVAL) {
		rc = link(tmp, path);
		if (!rc)
			unlink(tmp);
	}
	rc = rc ? -errno : 0;
	vmt_tmp_forget(tmp);
	return rc;
}

int vmt_out_open(struct vmt_out *o, const char *path, int replace)
{
	struct stat st;

	memset(o, 0, sizeof(*o));
	o->path = path;
	o->replace = replace;
	if (!lstat(path, &st) && (!replace || S_ISDIR(st.st_mode)))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EEXIST;
	return vmt_tmp_beside(o->tmp, sizeof(o->tmp), path);
}

int vmt_out_commit(struct vmt_out *o)
{
	int rc = 0;

	if (!o->replace)
		rc = vmt_publish_new(o->tmp, o->path);
	else if (rename(o->tmp, o->path))
		rc = -errno;
	if (rc)
		vmt_out_abort(o);
	vmt_tmp_forget(o->tmp);
	o->tmp[0] = '\0';
	return rc;
}

void vmt_out_abort(struct vmt_out *o)
{
	if (o->tmp[0]) {
		unlink(o->tmp);
		vmt_tmp_forget(o->tmp);
		o->tmp[0] = '\0';
	}
}

/* ---- standard output ---- */

int vmt_stdout_close(void)
{
	int bad = ferror(stdout);

	if (fclose(stdout))
		return -errno;
	return bad ? -EIO : 0;
}
