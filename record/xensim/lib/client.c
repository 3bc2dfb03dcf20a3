/*
 * client.c - connection and request/reply for the xensim client libraries
 * (see client.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"

int vmt_xsim_client_open(struct vmt_xsim_client *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = vmt_xsim_socket_path();
	struct vmt_xsim_req q = { .op = VMT_XSIM_OP_HELLO,
				  .a = { VMT_XSIM_PROTO_VERSION } };
	struct vmt_xsim_rsp r;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	c->sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->sock < 0)
		return -errno;
	if (connect(c->sock, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		close(c->sock);
		return rc;
	}
	pthread_mutex_init(&c->mu, NULL);
	rc = vmt_xsim_call(c, &q, &r, NULL, 0, NULL, NULL);
	if (rc)
		vmt_xsim_client_close(c);
	return rc;
}

void vmt_xsim_client_close(struct vmt_xsim_client *c)
{
	close(c->sock);
	c->sock = -1;
	pthread_mutex_destroy(&c->mu);
}

/* As libxc does, an open that fails says why through the caller's logger;
 * here that is the socket that did not answer. */
static void log_open_error(struct xentoollog_logger *log, int err, ...)
{
	va_list ap;

	if (!log || !log->vmessage)
		return;
	va_start(ap, err);
	log->vmessage(log, XTL_ERROR, err, "xensim",
		      "no xensim daemon answers on %s: %s (is xensim running?)",
		      ap);
	va_end(ap);
}

void *vmt_xsim_handle_new(size_t size, struct xentoollog_logger *log)
{
	struct vmt_xsim_client *c = calloc(1, size);
	int rc;

	if (!c)
		return NULL;
	rc = vmt_xsim_client_open(c);
	if (rc) {
		free(c);
		log_open_error(log, -rc, vmt_xsim_socket_path(), strerror(-rc));
		errno = -rc;
		return NULL;
	}
	return c;
}

int vmt_xsim_handle_free(void *h)
{
	if (h) {
		vmt_xsim_client_close(h);
		free(h);
	}
	return 0;
}

static int exchange(struct vmt_xsim_client *c, struct vmt_xsim_req *q,
		    struct vmt_xsim_rsp *r, void *data, size_t cap, int *fds,
		    int *nfds)
{
	char buf[sizeof(*r) + 4096];
	int n = vmt_xsim_send(c->sock, q, sizeof(*q), NULL, 0);

	if (n < 0)
		return n;
	n = vmt_xsim_recv(c->sock, buf, sizeof(buf), fds, nfds);
	if (n < 0)
		return n;
	if ((size_t)n < sizeof(*r))
		return -EPIPE;     /* the daemon went away */
	memcpy(r, buf, sizeof(*r));
	if (r->len > (size_t)n - sizeof(*r))
		return -EPROTO;
	if (data && cap) {
		size_t k = r->len < cap ? r->len : cap;
		memcpy(data, buf + sizeof(*r), k);
	}
	return r->err ? -r->err : 0;
}

int vmt_xsim_call(struct vmt_xsim_client *c, struct vmt_xsim_req *q,
		  struct vmt_xsim_rsp *r, void *data, size_t cap, int *fds,
		  int *nfds)
{
	int zero = 0, rc;

	if (!nfds)
		nfds = &zero;
	pthread_mutex_lock(&c->mu);
	rc = exchange(c, q, r, data, cap, fds, nfds);
	pthread_mutex_unlock(&c->mu);
	if (rc && *nfds) {
		for (int i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
	}
	return rc;
}

int vmt_xsim_fail(int rc)
{
	errno = -rc;
	return -1;
}

int64_t vmt_xsim_op(struct vmt_xsim_client *c, uint32_t op, uint32_t dom,
		    const uint64_t *a, unsigned na, struct vmt_xsim_rsp *out)
{
	struct vmt_xsim_req q = { .op = op, .dom = dom };
	struct vmt_xsim_rsp r;
	int rc;

	if (!c)
		return vmt_xsim_fail(-EINVAL);
	for (unsigned i = 0; i < na && i < 6; i++)
		q.a[i] = a[i];
	rc = vmt_xsim_call(c, &q, out ? out : &r, NULL, 0, NULL, NULL);
	if (rc)
		return vmt_xsim_fail(rc);
	return (out ? out : &r)->ret;
}
