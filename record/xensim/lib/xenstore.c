/*
 * xenstore.c - xensim's libxenstore.so.4: what a monitor uses of xenstore.
 * The daemon makes /local/domain (the domain ids) and
 * /local/domain/<id>/{name,domid} from its domains; xs_write/xs_rm add
 * nodes of their own.  Watches follow xenstored (the daemon's store.c):
 * each handle's events arrive on one socket, which xs_fileno() returns, as
 * datagrams "PATH\0TOKEN\0".
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xenstore.h>

#include "client.h"

#define VALUE_MAX 4096

struct xs_handle {
	struct vmt_xsim_client c;
	int watch_fd;              /* the daemon's events, or -1 until asked */
};

XSIM_EXPORT struct xs_handle *xs_open(unsigned long flags)
{
	struct xs_handle *h = vmt_xsim_handle_new(sizeof(*h), NULL);

	if (h)
		h->watch_fd = -1;
	return h;
}

XSIM_EXPORT struct xs_handle *xs_daemon_open(void)
{
	return xs_open(0);
}

XSIM_EXPORT void xs_close(struct xs_handle *xsh)
{
	if (xsh && xsh->watch_fd >= 0)
		close(xsh->watch_fd);
	vmt_xsim_handle_free(xsh);
}

XSIM_EXPORT void xs_daemon_close(struct xs_handle *xsh)
{
	xs_close(xsh);
}

/* Return: the reply's payload length, or -1 with errno. */
static int fetch(struct xs_handle *h, uint32_t op, const char *path,
		 char *buf)
{
	struct vmt_xsim_req q = { .op = op };
	struct vmt_xsim_rsp r;
	int rc;

	if (!h || !path || strlen(path) >= sizeof(q.path))
		return vmt_xsim_fail(-EINVAL);
	strcpy(q.path, path);
	rc = vmt_xsim_call(&h->c, &q, &r, buf, VALUE_MAX, NULL, NULL);
	if (rc)
		return vmt_xsim_fail(rc);
	return r.len > VALUE_MAX ? VALUE_MAX : (int)r.len;
}

XSIM_EXPORT void *xs_read(struct xs_handle *h, xs_transaction_t t,
			  const char *path, unsigned int *len)
{
	char buf[VALUE_MAX];
	int n = fetch(h, VMT_XSIM_OP_XS_READ, path, buf);

	if (n < 0)
		return NULL;
	size_t k = n ? strnlen(buf, (size_t)n) : 0;
	char *out = malloc(k + 1);
	if (!out)
		return NULL;
	memcpy(out, buf, k);
	out[k] = '\0';
	if (len)
		*len = (unsigned)k;
	return out;
}

/* One malloc'd block: the pointer array, then the strings (as Xen does,
 * so a single free() releases it). */
XSIM_EXPORT char **xs_directory(struct xs_handle *h, xs_transaction_t t,
				const char *path, unsigned int *num)
{
	char buf[VALUE_MAX];
	int n = fetch(h, VMT_XSIM_OP_XS_DIR, path, buf);
	unsigned count = 0;

	if (n < 0)
		return NULL;
	if (n > 0 && buf[n - 1] != '\0')
		buf[n++ - 1] = '\0';
	for (int i = 0; i < n; i++)
		count += buf[i] == '\0';
	char **out = malloc(count * sizeof(char *) + (size_t)n + 1);
	if (!out)
		return NULL;
	char *s = (char *)(out + count);
	memcpy(s, buf, (size_t)n);
	for (unsigned i = 0; i < count; i++) {
		out[i] = s;
		s += strlen(s) + 1;
	}
	*num = count;
	return out;
}

/* ---- writes ------------------------------------------------------------- */

/* @a and @b (b_len bytes) joined by a NUL into one request's path. */
static int ask(struct xs_handle *h, uint32_t op, const char *a,
	       const void *b, size_t b_len, uint64_t arg)
{
	struct vmt_xsim_req q = { .op = op, .a = { arg } };
	struct vmt_xsim_rsp r;
	int nfds = 1, fd = -1, rc;
	size_t n = a ? strlen(a) + 1 : 0;

	if (!h || !a || n + b_len > sizeof(q.path))
		return vmt_xsim_fail(-EINVAL);
	memcpy(q.path, a, n);
	if (b_len)
		memcpy(q.path + n, b, b_len);
	rc = vmt_xsim_call(&h->c, &q, &r, NULL, 0, &fd, &nfds);
	if (rc)
		return vmt_xsim_fail(rc);
	if (nfds == 1 && h->watch_fd < 0)
		h->watch_fd = fd;
	else if (nfds == 1)
		close(fd);
	return 0;
}

XSIM_EXPORT bool xs_write(struct xs_handle *h, xs_transaction_t t,
			  const char *path, const void *data, unsigned int len)
{
	return ask(h, VMT_XSIM_OP_XS_WRITE, path, data, len, len) == 0;
}

XSIM_EXPORT bool xs_rm(struct xs_handle *h, xs_transaction_t t,
		       const char *path)
{
	return ask(h, VMT_XSIM_OP_XS_RM, path, NULL, 0, 0) == 0;
}

/* Xen's libxenstore checks before asking (xs_is_domain_introduced). */
XSIM_EXPORT bool xs_is_domain_introduced(struct xs_handle *h,
					 unsigned int domid)
{
	char path[64];
	unsigned len;

	snprintf(path, sizeof(path), "/local/domain/%u/domid", domid);
	char *v = xs_read(h, XBT_NULL, path, &len);
	free(v);
	return v != NULL;
}

/* ---- watches ------------------------------------------------------------ */

XSIM_EXPORT bool xs_watch(struct xs_handle *h, const char *path,
			  const char *token)
{
	if (!token)
		return vmt_xsim_fail(-EINVAL) == 0;
	return ask(h, VMT_XSIM_OP_XS_WATCH, path, token, strlen(token) + 1,
		   1) == 0;
}

XSIM_EXPORT bool xs_unwatch(struct xs_handle *h, const char *path,
			    const char *token)
{
	if (!token)
		return vmt_xsim_fail(-EINVAL) == 0;
	return ask(h, VMT_XSIM_OP_XS_UNWATCH, path, token, strlen(token) + 1,
		   0) == 0;
}

/* Pollable: readable while a watch event waits.  Return: fd or -1. */
XSIM_EXPORT int xs_fileno(struct xs_handle *h)
{
	if (h && h->watch_fd < 0 && ask(h, VMT_XSIM_OP_XS_WATCH, "", NULL, 0, 0))
		return -1;
	return h ? h->watch_fd : vmt_xsim_fail(-EINVAL);
}

/* One event as Xen returns it: a single malloc'd block holding the vector
 * [XS_WATCH_PATH, XS_WATCH_TOKEN] and both strings. */
static char **take_event(struct xs_handle *h, unsigned *num, int flags)
{
	char buf[2 * VMT_XSIM_PATH_MAX + 2];

	if (xs_fileno(h) < 0)
		return NULL;
	ssize_t n = recv(h->watch_fd, buf, sizeof(buf) - 2, flags);
	if (n == 0)
		errno = EPIPE;        /* the daemon went away */
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	size_t a = strlen(buf) + 1;
	if ((size_t)n <= a)
		buf[a] = '\0';       /* no token: an empty one */
	size_t b = strlen(buf + a) + 1;
	char **v = malloc(2 * sizeof(char *) + a + b);
	if (!v)
		return NULL;
	char *s = (char *)(v + 2);
	memcpy(s, buf, a + b);
	v[XS_WATCH_PATH] = s;
	v[XS_WATCH_TOKEN] = s + a;
	if (num)
		*num = 2;
	return v;
}

XSIM_EXPORT char **xs_read_watch(struct xs_handle *h, unsigned int *num)
{
	char **v;

	do
		v = take_event(h, num, 0);
	while (!v && errno == EINTR);
	return v;
}

/* Return: an event, or NULL with errno EAGAIN when none is waiting. */
XSIM_EXPORT char **xs_check_watch(struct xs_handle *h)
{
	unsigned num;

	return take_event(h, &num, MSG_DONTWAIT);
}
