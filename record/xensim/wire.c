/*
 * wire.c - message send/receive with attached file descriptors, shared by
 * the xensim daemon and its client libraries (see proto.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proto.h"

#define VMT_XSIM_MAX_FDS 4

int vmt_xsim_send(int sock, const void *buf, size_t len, const int *fds,
		  int nfds)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	union {
		char b[CMSG_SPACE(sizeof(int) * VMT_XSIM_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > VMT_XSIM_MAX_FDS)
		return -EINVAL;
	if (nfds > 0) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &mh, MSG_NOSIGNAL);
		if (n >= 0)
			return (int)n;
		if (errno != EINTR)
			return -errno;
	}
}

int vmt_xsim_recv(int sock, void *buf, size_t cap, int *fds, int *nfds)
{
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	union {
		char b[CMSG_SPACE(sizeof(int) * VMT_XSIM_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };
	int want = nfds ? *nfds : 0, got = 0;
	ssize_t n;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		int *in = (int *)CMSG_DATA(c);
		for (int i = 0; i < k; i++) {
			/* Never leak descriptors the caller did not ask for. */
			if (got < want)
				fds[got++] = in[i];
			else
				close(in[i]);
		}
	}
	if (nfds)
		*nfds = got;
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		for (int i = 0; i < got; i++)
			close(fds[i]);
		if (nfds)
			*nfds = 0;
		return -EMSGSIZE;
	}
	return (int)n;
}

const char *vmt_xsim_socket_path(void)
{
	const char *p = getenv(VMT_XENSIM_SOCKET_ENV);

	return p && *p ? p : VMT_XENSIM_SOCKET_DEFAULT;
}

int vmt_xsim_ask(const char *path, const struct vmt_xsim_req *q,
		 struct vmt_xsim_rsp *r, char *buf, size_t cap)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, n;

	if (strlen(path) >= sizeof(sa.sun_path) || cap < sizeof(*r) + 1)
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		n = -errno;
		close(fd);
		return n;
	}
	n = vmt_xsim_send(fd, q, sizeof(*q), NULL, 0);
	if (n >= 0)
		n = vmt_xsim_recv(fd, buf, cap - 1, NULL, NULL);
	close(fd);
	if (n < 0)
		return n;
	if ((size_t)n < sizeof(*r))
		return -EPIPE;
	memcpy(r, buf, sizeof(*r));
	if (r->len > (size_t)n - sizeof(*r))
		return -EPROTO;
	memmove(buf, buf + sizeof(*r), r->len);
	buf[r->len] = '\0';
	return 0;
}
