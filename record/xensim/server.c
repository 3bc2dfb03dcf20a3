/*
 * server.c - the xensim daemon's event loop: one thread, one epoll set
 * holding the listening socket, client connections, each bound event
 * channel's notify socket, a signalfd and a timerfd (rate limit and delayed
 * notifications).  Client requests (proto.h) become calls on the simulated
 * host; between them the guest runs and produces requests.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "server_int.h"
#include "vmt_files.h"

static int ep_add(int ep, int fd, struct tag *t)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = t };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) ? -errno : 0;
}

static void notify_hook(struct vmt_sim_host *h, struct vmt_sim_dom *d,
			bool add)
{
	struct vmt_sim_server *s = h->server;
	struct tag *t = &s->t_notify[d - h->dom];

	if (add)
		ep_add(s->ep, d->ring.notify_fd, t);
	else
		epoll_ctl(s->ep, EPOLL_CTL_DEL, d->ring.notify_fd, NULL);
}

/* ---- connections -------------------------------------------------------- */

static void conn_close(struct vmt_sim_server *s, struct vmt_sim_conn *c)
{
	struct vmt_sim_conn **pp = &s->conns;

	/* What a dying consumer leaves: ring, pauses and requests stay. */
	for (uint32_t i = 0; i < s->h->n_dom; i++) {
		struct vmt_sim_dom *d = &s->h->dom[i];
		if (d->ring.bind_owner == c) {
			if (vmt_sim_drain_notify(d, true))
				vmt_sim_ring_consume(s->h, d);
			vmt_sim_unbind(s->h, d);
		}
		if (d->ring.owner == c)
			d->ring.owner = NULL;
	}
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	vmt_sim_store_conn_gone(c);
	free(c);
}

static int send_reply(struct vmt_sim_conn *c, struct reply *rp)
{
	size_t len = sizeof(rp->r) + rp->r.len;
	char stackbuf[sizeof(rp->r) + 256];
	char *buf = len <= sizeof(stackbuf) ? stackbuf : malloc(len);
	int rc;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, &rp->r, sizeof(rp->r));
	if (rp->r.len)
		memcpy(buf + sizeof(rp->r), rp->data, rp->r.len);
	if (len > 65536) {
		int sz = (int)len + 4096;
		setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	}
	rc = vmt_xsim_send(c->fd, buf, len, rp->nfds ? rp->fds : NULL,
			   rp->r.err ? 0 : rp->nfds);
	if (buf != stackbuf)
		free(buf);
	/* The client's end of the notify socket now lives in the client. */
	if (rp->close_fds)
		close(rp->fds[rp->nfds - 1]);
	free(rp->heap);
	return rc < 0 ? rc : 0;
}

static void conn_input(struct vmt_sim_server *s, struct vmt_sim_conn *c)
{
	struct vmt_xsim_req q;
	struct reply rp;
	int n = vmt_xsim_recv(c->fd, &q, sizeof(q), NULL, NULL);

	if (n <= 0 || (size_t)n != sizeof(q)) {
		conn_close(s, c);
		return;
	}
	memset(&rp, 0, sizeof(rp));
	q.path[sizeof(q.path) - 1] = '\0';
	vmt_sim_dispatch(s, c, &q, &rp);
	if (send_reply(c, &rp) < 0)
		conn_close(s, c);
}

static void conn_accept(struct vmt_sim_server *s)
{
	int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
	struct vmt_sim_conn *c;

	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->xs_fd = -1;
	c->tag = (struct tag){ T_CONN, c };
	if (ep_add(s->ep, fd, &c->tag)) {
		close(fd);
		free(c);
		return;
	}
	c->next = s->conns;
	s->conns = c;
}

/* ---- set-up ------------------------------------------------------------- */

/* The path appears once the socket listens (vmt_files.h): whoever sees it
 * can connect. */
static int open_listener(struct vmt_sim_server *s, const char *path)
{
	if (strlen(path) >= sizeof(s->path))
		return -ENAMETOOLONG;
	s->lfd = vmt_sock_listen(SOCK_SEQPACKET, path, 0600, 64);
	if (s->lfd < 0)
		return s->lfd;
	strcpy(s->path, path);
	return 0;
}

static int open_fds(struct vmt_sim_server *s)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	s->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->sfd < 0 || s->tfd < 0 || s->ep < 0)
		return -errno;
	s->t_listen = (struct tag){ T_LISTEN, NULL };
	s->t_signal = (struct tag){ T_SIGNAL, NULL };
	s->t_timer = (struct tag){ T_TIMER, NULL };
	int rc = ep_add(s->ep, s->lfd, &s->t_listen);
	if (!rc)
		rc = ep_add(s->ep, s->sfd, &s->t_signal);
	if (!rc)
		rc = ep_add(s->ep, s->tfd, &s->t_timer);
	return rc;
}

int vmt_sim_server_open(struct vmt_sim_server **out, struct vmt_sim_host *h,
			const char *path)
{
	struct vmt_sim_server *s = calloc(1, sizeof(*s));
	int rc;

	if (!s)
		return -ENOMEM;
	s->h = h;
	s->lfd = s->sfd = s->tfd = s->ep = -1;
	s->t_notify = calloc(h->n_dom, sizeof(*s->t_notify));
	s->released = calloc(h->n_dom, sizeof(*s->released));
	if (!s->t_notify || !s->released) {
		free(s->t_notify);
		free(s->released);
		free(s);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < h->n_dom; i++)
		s->t_notify[i] = (struct tag){ T_NOTIFY, &h->dom[i] };
	h->server = s;
	h->on_notify_fd = notify_hook;
	rc = open_listener(s, path);
	if (!rc)
		rc = open_fds(s);
	if (rc) {
		vmt_sim_server_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void vmt_sim_server_close(struct vmt_sim_server *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_close(s, s->conns);
	if (s->lfd >= 0) {
		close(s->lfd);
		if (s->path[0])
			unlink(s->path);
	}
	if (s->sfd >= 0)
		close(s->sfd);
	if (s->tfd >= 0)
		close(s->tfd);
	if (s->ep >= 0)
		close(s->ep);
	s->h->on_notify_fd = NULL;
	s->h->server = NULL;
	vmt_sim_store_free(s);
	free(s->t_notify);
	free(s->released);
	free(s);
}

/* ---- the loop ----------------------------------------------------------- */

#define BATCH 64   /* requests per turn before sockets are looked at again */

static uint64_t interval_ns(const struct vmt_sim_host *h)
{
	uint64_t i = 1000000000ull / h->rate;

	return i ? i : 1;
}

/* Requests the rate allows now; bursts are capped at one ring's worth. */
static unsigned rate_budget(struct vmt_sim_server *s, uint64_t now)
{
	uint64_t iv, burst;

	if (!s->h->rate)
		return BATCH;
	iv = interval_ns(s->h);
	burst = VMT_RING_SLOTS * iv;
	if (s->next_allowed + burst < now)
		s->next_allowed = now - burst;
	if (now < s->next_allowed)
		return 0;
	uint64_t n = (now - s->next_allowed) / iv + 1;
	return n > BATCH ? BATCH : (unsigned)n;
}

static void arm_timer(struct vmt_sim_server *s, uint64_t at)
{
	struct itimerspec its = { 0 };

	if (at == s->armed_at)
		return;
	s->armed_at = at;
	if (at != UINT64_MAX) {
		its.it_value.tv_sec = (time_t)(at / 1000000000ull);
		its.it_value.tv_nsec = (long)(at % 1000000000ull);
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

#define LINGER_NS 10000000000ull /* wait for the consumer's last calls */

/*
 * --events met: done once no ring has a live consumer, and either every
 * client has hung up or LINGER_NS passed (a consumer usually makes a few
 * more calls after xc_monitor_disable, such as unpausing the domain).
 */
static bool finished(struct vmt_sim_server *s)
{
	const struct vmt_sim_host *h = s->h;

	if (!h->max_events || h->produced_total < h->max_events)
		return false;
	for (uint32_t i = 0; i < h->n_dom; i++) {
		const struct vmt_sim_ring *r = &h->dom[i].ring;
		if (r->enabled && (r->owner || r->bound)) {
			s->released_at = 0;
			return false;
		}
	}
	uint64_t now = vmt_sim_now_ns();
	if (!s->released_at)
		s->released_at = now;
	if (s->conns && now - s->released_at < LINGER_NS) {
		arm_timer(s, s->released_at + LINGER_NS);
		return false;
	}
	return true;
}

static void handle(struct vmt_sim_server *s, struct epoll_event *e)
{
	struct tag *t = e->data.ptr;
	uint64_t junk;

	switch (t->type) {
	case T_LISTEN:
		conn_accept(s);
		break;
	case T_SIGNAL: {
		struct signalfd_siginfo si;
		if (read(s->sfd, &si, sizeof(si)) > 0)
			s->stop = true;
		break;
	}
	case T_TIMER:
		if (read(s->tfd, &junk, sizeof(junk)) < 0)
			break;
		break;
	case T_CONN:
		conn_input(s, t->ptr);
		break;
	case T_NOTIFY: {
		struct vmt_sim_dom *d = t->ptr;
		bool any = vmt_sim_drain_notify(d, false);
		if (any)
			vmt_sim_ring_consume(s->h, d);
		else if (e->events & (EPOLLHUP | EPOLLERR))
			vmt_sim_unbind(s->h, d);
		break;
	}
	}
}

/* One turn: let the guest run, then decide how long to sleep (epoll
 * timeout in ms; the timer covers rate and delayed-notification deadlines). */
static int turn(struct vmt_sim_server *s)
{
	struct vmt_sim_host *h = s->h;
	uint64_t now = vmt_sim_now_ns(), at;
	unsigned budget, made = 0;
	int timeout = -1;

	vmt_sim_flush_notify(h, now);
	budget = rate_budget(s, now);
	if (budget)
		made = vmt_sim_produce(h, budget);
	if (h->rate)
		s->next_allowed += made * interval_ns(h);
	at = vmt_sim_next_deadline(h);
	if (vmt_sim_runnable(h)) {
		if (h->rate && (!budget || made == budget)) {
			if (s->next_allowed <= now)
				timeout = 0;
			else if (s->next_allowed < at)
				at = s->next_allowed;
		} else if (made) {
			timeout = 0;
		} else {
			/* Running, but nothing the consumer watches
			 * happened: let time pass instead of spinning. */
			timeout = 1;
		}
	}
	arm_timer(s, at);
	return timeout;
}

int vmt_sim_server_run(struct vmt_sim_server *s)
{
	struct epoll_event ev[32];

	s->next_allowed = vmt_sim_now_ns();
	s->armed_at = UINT64_MAX;
	while (!s->stop) {
		int timeout = turn(s);
		/* Before sleeping: a domain that died in this turn is
		 * announced now, not at the next wake-up. */
		vmt_sim_store_domains(s);
		if (finished(s))
			break;
		int n = epoll_wait(s->ep, ev, 32, timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n && !s->stop; i++)
			handle(s, &ev[i]);
	}
	return 0;
}
