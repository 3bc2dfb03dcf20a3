/*
 * vmt_files.h - the file and socket rules every vmtrail program follows
 * (issue 16): outputs never clobber what they were not asked to replace,
 * and a socket path that exists is one that accepts connections.
 * Functions return 0 or a negative errno and never print.
 */
#ifndef VMT_FILES_H
#define VMT_FILES_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * vmt_sock_listen() - a listening Unix socket of @type at @path, mode @mode
 * whatever the umask.  The path appears only once the socket listens
 * (bound under a temporary name, then renamed), so a client that sees it
 * can connect.  A stale socket nobody answers on is replaced.
 * Return: the descriptor (close-on-exec), or -EADDRINUSE (someone answers
 * there), -EEXIST (a file that is not a socket), -ENAMETOOLONG, -errno.
 */
int vmt_sock_listen(int type, const char *path, mode_t mode, int backlog);

/* ---- inputs ---- */

/*
 * vmt_input_check() - @path may be read: a regular file (a FIFO or a
 * device would hang or never end).
 * Return: 0, -ENOENT etc. from stat(), -EISDIR, or -EINVAL (not regular;
 * vmt_file_kind() says what it is).
 */
int vmt_input_check(const char *path);
/* "a FIFO", "a directory", ...: for the message of a refused input. */
const char *vmt_file_kind(const char *path);
/* 1 when @a and @b name the same existing file (through symlinks). */
int vmt_same_file(const char *a, const char *b);

/* ---- outputs ---- */

/*
 * An output under construction: written as PATH.XXXXXX (mode 0600, beside
 * PATH, removed on a signal once vmt_tmp_cleanup_on_signals() is set up),
 * published only when complete.  Without @replace an existing PATH of any
 * kind (a dangling symlink too) is refused, and one that appears while
 * the output is written is not replaced; with it, PATH itself is replaced
 * (a symlink is replaced, never followed).
 */
struct vmt_out {
	const char *path;
	int replace;
	char tmp[PATH_MAX];
};

/* Return: the descriptor to write (the caller closes it), or -EEXIST,
 * -EISDIR, -errno. */
int vmt_out_open(struct vmt_out *o, const char *path, int replace);
/* After the caller closed the descriptor.  Return: 0 or -EEXIST/-errno
 * (the temporary file is removed then). */
int vmt_out_commit(struct vmt_out *o);
/* Removes the unfinished output; PATH is untouched. */
void vmt_out_abort(struct vmt_out *o);

/* vmt_tmp_beside() - creates PATH.XXXXXX (0600) into @tmp, registered for
 * removal on a signal.  Return: the descriptor, or -errno. */
int vmt_tmp_beside(char *tmp, size_t cap, const char *path);
/* vmt_publish_new() - renames @tmp to @path unless @path exists.
 * Return: 0, -EEXIST, -errno. */
int vmt_publish_new(const char *tmp, const char *path);

/* ---- temporary files and signals ---- */

/* Remember / forget a file SIGINT, SIGTERM or SIGHUP must remove (a few
 * slots).  Return: 0, -ENOSPC, -ENAMETOOLONG. */
int vmt_tmp_register(const char *path);
void vmt_tmp_forget(const char *path);
/* The same for a temporary SQLite database and its journal, WAL and shared
 * memory files (@add 0: forget them). */
void vmt_tmp_db(const char *path, int add);
/* For programs with no signal handling of their own: those signals remove
 * the registered files, then terminate the program as they would have. */
int vmt_tmp_cleanup_on_signals(void);

/* ---- standard output ---- */

/* Closes stdout.  Return: 0, or -errno/-EIO when anything written to it
 * was lost (full disk, closed pipe): the caller exits 1. */
int vmt_stdout_close(void);

#endif
