/*
 * store.c - the writable part of the simulated xenstore and its watches,
 * with xenstored's rules: a watch fires once when it is registered, then
 * whenever its node or a node below it is written or removed; the special
 * watch @releaseDomain fires when a domain dies.  Each connection that
 * watches gets one socket on which every event is a datagram
 * "PATH\0TOKEN\0" (what xs_fileno() polls).  The domain nodes
 * (/local/domain/<id>/{name,domid}) are made from the host in ops.c;
 * nodes written here shadow them and add to them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server_int.h"

struct xs_node {
	struct xs_node *next;
	uint32_t len;
	char *path;
	char value[];
};

struct xs_watch {
	struct xs_watch *next;
	char *path, *token;
};

/* Room for a burst of events before a consumer that does not read them
 * loses some (xenstored would queue them against its quota). */
#define WATCH_SNDBUF (256 * 1024)

static bool under(const char *path, const char *top)
{
	size_t n = strlen(top);

	return !strncmp(path, top, n) && (path[n] == '\0' || path[n] == '/');
}

static void send_event(struct vmt_sim_conn *c, const char *path,
		       const char *token)
{
	char msg[2 * VMT_XSIM_PATH_MAX];
	size_t a = strlen(path) + 1, b = strlen(token) + 1;

	if (a + b > sizeof(msg))
		return;
	memcpy(msg, path, a);
	memcpy(msg + a, token, b);
	send(c->xs_fd, msg, a + b, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* @changed was written (@rm: removed with what was below it). */
static void fire(struct vmt_sim_server *s, const char *changed, bool rm)
{
	for (struct vmt_sim_conn *c = s->conns; c; c = c->next)
		for (struct xs_watch *w = c->watches; w; w = w->next)
			if (under(changed, w->path) ||
			    (rm && under(w->path, changed)))
				send_event(c, rm && under(w->path, changed) ?
					   w->path : changed, w->token);
}

void vmt_sim_store_domains(struct vmt_sim_server *s)
{
	for (uint32_t i = 0; i < s->h->n_dom; i++)
		if (s->h->dom[i].state != VMT_DOM_ALIVE && !s->released[i]) {
			s->released[i] = true;
			fire(s, "@releaseDomain", false);
		}
}

static int watch_socket(struct vmt_sim_conn *c, struct reply *rp)
{
	int sv[2], sz = WATCH_SNDBUF;

	if (c->xs_fd >= 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	c->xs_fd = sv[0];
	rp->fds[0] = sv[1];
	rp->nfds = 1;
	rp->close_fds = true;
	return 0;
}

/* q->path holds "PATH\0TOKEN". */
static int watch_add(struct vmt_sim_conn *c, const struct vmt_xsim_req *q)
{
	const char *path = q->path, *token = path + strlen(path) + 1;
	struct xs_watch *w;

	if ((path[0] != '/' && path[0] != '@') ||
	    token >= q->path + sizeof(q->path))
		return -EINVAL;
	for (w = c->watches; w; w = w->next)
		if (!strcmp(w->path, path) && !strcmp(w->token, token))
			return -EEXIST;
	w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(path)) || !(w->token = strdup(token))) {
		if (w)
			free(w->path);
		free(w);
		return -ENOMEM;
	}
	w->next = c->watches;
	c->watches = w;
	send_event(c, path, token);     /* xenstored fires it at once */
	return 0;
}

static int watch_del(struct vmt_sim_conn *c, const struct vmt_xsim_req *q)
{
	const char *path = q->path, *token = path + strlen(path) + 1;

	for (struct xs_watch **pp = &c->watches; *pp; pp = &(*pp)->next) {
		struct xs_watch *w = *pp;
		if (!strcmp(w->path, path) && !strcmp(w->token, token)) {
			*pp = w->next;
			free(w->path);
			free(w->token);
			free(w);
			return 0;
		}
	}
	return -ENOENT;
}

void vmt_sim_store_watch(struct vmt_sim_server *s, struct vmt_sim_conn *c,
			 const struct vmt_xsim_req *q, struct reply *rp)
{
	int rc = watch_socket(c, rp);

	(void)s;
	if (!rc && q->op == VMT_XSIM_OP_XS_WATCH && q->a[0])
		rc = watch_add(c, q);
	else if (!rc && q->op == VMT_XSIM_OP_XS_UNWATCH)
		rc = watch_del(c, q);
	rp->r.err = -rc;
}

void vmt_sim_store_conn_gone(struct vmt_sim_conn *c)
{
	while (c->watches) {
		struct xs_watch *w = c->watches;
		c->watches = w->next;
		free(w->path);
		free(w->token);
		free(w);
	}
	if (c->xs_fd >= 0)
		close(c->xs_fd);
}

static struct xs_node **find(struct vmt_sim_server *s, const char *path)
{
	struct xs_node **pp = &s->nodes;

	while (*pp && strcmp((*pp)->path, path))
		pp = &(*pp)->next;
	return pp;
}

/* q->path holds "PATH\0VALUE" with a[0] bytes of value. */
static int write_node(struct vmt_sim_server *s, const struct vmt_xsim_req *q)
{
	const char *path = q->path;
	size_t plen = strlen(path) + 1, len = q->a[0];

	if (path[0] != '/' || len > sizeof(q->path) - plen)
		return -EINVAL;
	struct xs_node **pp = find(s, path), *n = *pp;
	struct xs_node *m = realloc(n, sizeof(*m) + len);
	if (!m)
		return -ENOMEM;
	if (!n) {
		m->next = NULL;
		m->path = strdup(path);
		if (!m->path) {
			free(m);
			return -ENOMEM;
		}
	}
	*pp = m;
	m->len = (uint32_t)len;
	memcpy(m->value, path + plen, len);
	fire(s, path, false);
	return 0;
}

/* @known: @path is a domain node, which only the host changes. */
static int rm_nodes(struct vmt_sim_server *s, const char *path, bool known)
{
	bool any = false;

	for (struct xs_node **pp = &s->nodes; *pp;) {
		struct xs_node *n = *pp;
		if (under(n->path, path)) {
			*pp = n->next;
			free(n->path);
			free(n);
			any = true;
		} else {
			pp = &n->next;
		}
	}
	if (!any)
		return known ? -EACCES : -ENOENT;
	fire(s, path, true);
	return 0;
}

void vmt_sim_store_change(struct vmt_sim_server *s,
			  const struct vmt_xsim_req *q, bool host_node,
			  struct reply *rp)
{
	int rc = q->op == VMT_XSIM_OP_XS_WRITE ? write_node(s, q)
					       : rm_nodes(s, q->path, host_node);
	rp->r.err = -rc;
}

bool vmt_sim_store_read(struct vmt_sim_server *s, const char *path,
			struct reply *rp)
{
	struct xs_node *n = *find(s, path);

	if (!n)
		return false;
	rp->data = n->value;
	rp->r.len = n->len;
	return true;
}

/* Appends the names of written nodes just below @path not yet in @buf
 * (NUL-separated, @len bytes used of @cap).  Return: the new length. */
size_t vmt_sim_store_children(struct vmt_sim_server *s, const char *path,
			      char *buf, size_t len, size_t cap)
{
	size_t pl = strlen(path);

	for (struct xs_node *n = s->nodes; n; n = n->next) {
		if (strncmp(n->path, path, pl) || n->path[pl] != '/')
			continue;
		const char *name = n->path + pl + 1;
		size_t k = strcspn(name, "/");
		bool seen = false;
		for (size_t i = 0; i < len && !seen; i += strlen(buf + i) + 1)
			seen = strlen(buf + i) == k && !strncmp(buf + i, name, k);
		if (!seen && k && len + k + 1 <= cap) {
			memcpy(buf + len, name, k);
			buf[len + k] = '\0';
			len += k + 1;
		}
	}
	return len;
}

void vmt_sim_store_free(struct vmt_sim_server *s)
{
	while (s->nodes) {
		struct xs_node *n = s->nodes;
		s->nodes = n->next;
		free(n->path);
		free(n);
	}
}
