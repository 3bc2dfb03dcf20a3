/*
 * xenevtchn.c - xensim's libxenevtchn.so.1.  An interdomain binding to a
 * monitor ring's port gets two descriptors from the daemon: an eventfd the
 * daemon signals after every request (Xen -> consumer) and a datagram
 * socket for xenevtchn_notify() (consumer -> Xen; a socket rather than an
 * eventfd so that a dead domain's closed end makes notify fail with
 * ESRCH).  xenevtchn_fd() is an epoll set over the bindings' eventfds;
 * xenevtchn_pending() masks the port it returns (removes it from the set)
 * and xenevtchn_unmask() puts it back, so notifications raised while masked
 * stay latched in the eventfd exactly like a masked Xen port.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xenevtchn.h>

#include "client.h"

#define MAX_BINDINGS 16

struct binding {
	bool used, masked;
	evtchn_port_t port;
	int up, notify;
};

struct xenevtchn_handle {
	struct vmt_xsim_client c;
	int ep;
	struct binding b[MAX_BINDINGS];
};

XSIM_EXPORT xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger,
					     unsigned int flags)
{
	xenevtchn_handle *x = vmt_xsim_handle_new(sizeof(*x), logger);

	if (!x)
		return NULL;
	x->ep = epoll_create1(EPOLL_CLOEXEC);
	if (x->ep < 0) {
		int err = errno;
		vmt_xsim_handle_free(x);
		errno = err;
		return NULL;
	}
	return x;
}

static void drop(xenevtchn_handle *x, struct binding *b)
{
	epoll_ctl(x->ep, EPOLL_CTL_DEL, b->up, NULL);
	close(b->up);
	close(b->notify);
	b->used = false;
}

XSIM_EXPORT int xenevtchn_close(xenevtchn_handle *xce)
{
	if (!xce)
		return 0;
	for (int i = 0; i < MAX_BINDINGS; i++)
		if (xce->b[i].used)
			drop(xce, &xce->b[i]);
	close(xce->ep);
	return vmt_xsim_handle_free(xce);
}

XSIM_EXPORT int xenevtchn_fd(xenevtchn_handle *xce)
{
	return xce->ep;
}

static struct binding *find(xenevtchn_handle *x, evtchn_port_t port)
{
	for (int i = 0; i < MAX_BINDINGS; i++)
		if (x->b[i].used && x->b[i].port == port)
			return &x->b[i];
	return NULL;
}

static int watch(xenevtchn_handle *x, struct binding *b, int op, bool on)
{
	struct epoll_event e = { .events = on ? EPOLLIN : 0,
				 .data.u32 = (uint32_t)(b - x->b) };

	return epoll_ctl(x->ep, op, b->up, &e);
}

XSIM_EXPORT xenevtchn_port_or_error_t
xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
			   evtchn_port_t remote_port)
{
	struct vmt_xsim_req q = { .op = VMT_XSIM_OP_EVT_BIND, .dom = domid,
				  .a = { remote_port } };
	struct vmt_xsim_rsp r;
	struct binding *b = NULL;
	int fds[2], nfds = 2, rc;

	for (int i = 0; i < MAX_BINDINGS && !b; i++)
		if (!xce->b[i].used)
			b = &xce->b[i];
	if (!b)
		return vmt_xsim_fail(-ENOSPC);
	rc = vmt_xsim_call(&xce->c, &q, &r, NULL, 0, fds, &nfds);
	if (!rc && nfds != 2)
		rc = -EPROTO;
	if (rc)
		return vmt_xsim_fail(rc);
	*b = (struct binding){ true, false, (evtchn_port_t)r.ret, fds[0], fds[1] };
	if (watch(xce, b, EPOLL_CTL_ADD, true)) {
		rc = -errno;
		drop(xce, b);
		return vmt_xsim_fail(rc);
	}
	return (xenevtchn_port_or_error_t)b->port;
}

XSIM_EXPORT int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
	struct vmt_xsim_req q = { .op = VMT_XSIM_OP_EVT_UNBIND, .a = { port } };
	struct vmt_xsim_rsp r;
	struct binding *b = find(xce, port);
	int rc;

	if (!b)
		return vmt_xsim_fail(-EINVAL);
	rc = vmt_xsim_call(&xce->c, &q, &r, NULL, 0, NULL, NULL);
	drop(xce, b);
	/* A dead domain already dropped its end: nothing left to undo. */
	return rc && rc != -EINVAL ? vmt_xsim_fail(rc) : 0;
}

XSIM_EXPORT xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
	struct epoll_event e;
	uint64_t count;
	int n;

	do
		n = epoll_wait(xce->ep, &e, 1, -1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	struct binding *b = &xce->b[e.data.u32 % MAX_BINDINGS];
	if (!b->used)
		return vmt_xsim_fail(-EAGAIN);
	if (read(b->up, &count, sizeof(count)) < 0 && errno != EAGAIN)
		return -1;
	b->masked = true;
	watch(xce, b, EPOLL_CTL_MOD, false);
	return (xenevtchn_port_or_error_t)b->port;
}

XSIM_EXPORT int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
	struct binding *b = find(xce, port);

	if (!b)
		return vmt_xsim_fail(-EINVAL);
	if (b->masked) {
		b->masked = false;
		if (watch(xce, b, EPOLL_CTL_MOD, true))
			return -1;
	}
	return 0;
}

XSIM_EXPORT int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	struct binding *b = find(xce, port);
	char one = 1;

	if (!b)
		return vmt_xsim_fail(-EINVAL);
	if (send(b->notify, &one, 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1)
		return 0;
	/* A full queue means a notification is already pending: fine. */
	if (errno == EAGAIN)
		return 0;
	if (errno == ECONNREFUSED || errno == EPIPE || errno == ENOTCONN)
		return vmt_xsim_fail(-ESRCH);
	return -1;
}
