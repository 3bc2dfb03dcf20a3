/*
 * vmt_files.h - the file and socket rules every vmtrail program follows
 * (issue 16): outputs never clobber what they were not asked to replace,
 * and a socket path that exists is one that accepts connections.
 * Functions return 0 or a negative errno and never print.
 */
#ifndef VMT_FILES_H
#define VMT_FILES_H

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

#endif
