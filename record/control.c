/*
 * control.c - the control socket of a running recording, and its client.
 *
 * Protocol (record/README.md "Control socket"): a Unix stream socket, one
 * request line, one reply line, any number per connection:
 *   "marker TEXT"  -> "ok SEQ"   (the marker is recorded with seq = SEQ,
 *                                 the number the next request will get)
 *   "stats"        -> one JSON object
 *   anything else  -> "error ..."
 * The thread never touches the trace: markers go to the drain through the
 * mailbox, so they land exactly between two requests.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "record_int.h"
#include "vmt_files.h"

#define IO_TIMEOUT_MS 5000
/* Every marker is answered within MARKER_WAIT_MS of its line being read,
 * and the thread never blocks, so lines are read as they arrive; the
 * client waits far longer, so its verdict always comes from the server. */
#define MARKER_WAIT_MS 4000
#define CLIENT_WAIT_MS 30000
#define LINE_MAX_LEN (VMT_TEXT_MAX + 16)

static int make_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	memcpy(a->sun_path, path, strlen(path));
	return 0;
}

/* The socket is 0600 and its path appears once it listens (vmt_files.h). */
int vmt_control_open(struct vmt_control *c, const char *path,
		     struct vmt_recorder *rec)
{
	memset(c, 0, sizeof(*c));
	c->listen_fd = c->stop_fd = -1;
	c->rec = rec;
	if (strlen(path) >= sizeof(c->path))
		return -ENAMETOOLONG;
	c->listen_fd = vmt_sock_listen(SOCK_STREAM, path, 0600, 8);
	if (c->listen_fd < 0)
		return c->listen_fd;
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	return c->stop_fd < 0 ? -errno : 0;
}

/*
 * The thread serves every connection at once (poll) and never waits for
 * the drain, so a client that sends slowly, or a marker the drain cannot
 * take yet, delays nobody: each line must be complete within
 * IO_TIMEOUT_MS of the previous reply (or of connect), else the
 * connection is closed.  A connection has at most one marker in flight;
 * the mailbox holds one, the others queue in the order their lines came.
 */
#define MAX_CLIENTS 16

enum { MK_NONE, MK_QUEUED, MK_POSTED };

struct client {
	int fd;
	int marker;             /* MK_*: the first line in buf is a marker */
	size_t len;
	size_t line;            /* bytes of that marker line, with its '\n' */
	uint64_t deadline_ns;   /* of the next line, or of the marker */
	uint64_t since_ns;      /* the marker line was read: queue order */
	char buf[LINE_MAX_LEN];
};

struct server {
	struct vmt_control *c;
	int owner;              /* the client whose marker is in the mailbox */
	struct client cl[MAX_CLIENTS];
};

/* Only the recorder's own user and root may talk to it. */
static int peer_allowed(int fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	return !getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) &&
	       (uc.uid == geteuid() || uc.uid == 0);
}

static int reply_line(int fd, const char *reply)
{
	size_t n = strlen(reply);
	return send(fd, reply, n, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)n &&
	       send(fd, "\n", 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1 ? 0 : -1;
}

/* The peer closed its end (a half-close still waits for its answer). */
static int peer_gone(int fd)
{
	struct pollfd p = { .fd = fd, .events = 0 };
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

static int markers_waiting(const struct server *s)
{
	int n = 0;
	for (int i = 0; i < MAX_CLIENTS; i++)
		n += s->cl[i].fd >= 0 && s->cl[i].marker != MK_NONE;
	return n;
}

static void do_stats(const struct server *s, char *reply, size_t cap)
{
	struct vmt_recorder_stats st;
	vmt_recorder_stats(s->c->rec, &st);
	snprintf(reply, cap,
		 "{\"requests\":%llu,\"markers\":%llu,\"bytes_raw\":%llu,"
		 "\"bytes_written\":%llu,\"backpressure_ns\":%llu,"
		 "\"batches\":%llu,\"max_occupancy\":%u,\"elapsed_ns\":%llu,"
		 "\"drain_cpu_ns\":%llu,\"stall_lost\":%llu,"
		 "\"waiting_for_disk\":%u,\"markers_waiting\":%d}",
		 (unsigned long long)st.requests, (unsigned long long)st.markers,
		 (unsigned long long)st.bytes_raw,
		 (unsigned long long)st.bytes_written,
		 (unsigned long long)st.backpressure_ns,
		 (unsigned long long)st.batches, st.max_occupancy,
		 (unsigned long long)st.elapsed_ns,
		 (unsigned long long)st.drain_cpu_ns,
		 (unsigned long long)st.stall_lost, st.waiting_for_disk,
		 markers_waiting(s));
}

/*
 * The mailbox's verdict on the posted marker.  One not yet taken is
 * withdrawn in the same critical section in which the drain would take
 * it, so from here on it can never be recorded.
 * Return: 1 recorded (*seq), 0 withdrawn, negative: the drain refused it.
 */
static int settle(struct vmt_mailbox *m, uint64_t *seq)
{
	pthread_mutex_lock(&m->lock);
	int a = m->answered;
	if (!a)
		m->pending = 0;
	*seq = m->seq;
	pthread_mutex_unlock(&m->lock);
	return a;
}

static void hang_up(struct server *s, int i)
{
	struct client *k = &s->cl[i];
	uint64_t seq;
	if (k->marker == MK_POSTED)
		settle(&s->c->rec->mbox, &seq);   /* unless already taken */
	if (s->owner == i)
		s->owner = -1;
	close(k->fd);
	k->fd = -1;
	k->marker = MK_NONE;
}

static int answer_lines(struct server *s, int i);

/* The marker of client @i is answered @reply; its next lines follow. */
static void marker_done(struct server *s, int i, const char *reply)
{
	struct client *k = &s->cl[i];
	if (s->owner == i)
		s->owner = -1;
	k->marker = MK_NONE;
	k->len -= k->line;
	memmove(k->buf, k->buf + k->line, k->len);
	k->deadline_ns = vmt_now_ns() + IO_TIMEOUT_MS * 1000000ull;
	if (reply_line(k->fd, reply) || answer_lines(s, i))
		hang_up(s, i);
}

static void verdict(struct server *s, int i, int a, uint64_t seq,
		    const char *why)
{
	char reply[160];
	if (a == 1)
		snprintf(reply, sizeof(reply), "ok %llu", (unsigned long long)seq);
	else if (a < 0)
		snprintf(reply, sizeof(reply), "error marker not recorded: %s",
			 strerror(-a));
	else
		snprintf(reply, sizeof(reply), "error marker not recorded: %s",
			 why);
	marker_done(s, i, reply);
}

/* A line "marker TEXT" waits for the mailbox.  Return: 1 queued. */
static int queue_marker(struct client *k, size_t n, char *reply, size_t cap)
{
	if (n - 7 >= VMT_TEXT_MAX) {
		snprintf(reply, cap, "error marker longer than %d bytes",
			 VMT_TEXT_MAX - 1);
		return 0;
	}
	k->marker = MK_QUEUED;
	k->line = n + 1;
	k->since_ns = vmt_now_ns();
	k->deadline_ns = k->since_ns + MARKER_WAIT_MS * 1000000ull;
	return 1;
}

/* Answers the complete lines in client @i's buffer up to its next
 * marker, which then waits.  Return: -1 to hang up. */
static int answer_lines(struct server *s, int i)
{
	struct client *k = &s->cl[i];
	char reply[512];
	char *nl;
	while (k->marker == MK_NONE && (nl = memchr(k->buf, '\n', k->len))) {
		size_t n = (size_t)(nl - k->buf);
		*nl = '\0';
		if (memchr(k->buf, '\0', n))
			snprintf(reply, sizeof(reply), "error NUL byte in request");
		else if (!strncmp(k->buf, "marker ", 7) && k->buf[7]) {
			if (queue_marker(k, n, reply, sizeof(reply)))
				return 0;
		} else if (!strcmp(k->buf, "stats"))
			do_stats(s, reply, sizeof(reply));
		else
			snprintf(reply, sizeof(reply), "error unknown request "
				 "(expected \"marker TEXT\" or \"stats\")");
		if (reply_line(k->fd, reply))
			return -1;
		k->len -= n + 1;
		memmove(k->buf, nl + 1, k->len);
		k->deadline_ns = vmt_now_ns() + IO_TIMEOUT_MS * 1000000ull;
	}
	if (k->marker == MK_NONE && k->len == sizeof(k->buf)) {
		reply_line(k->fd, "error request line too long");
		return -1;
	}
	return 0;
}

static int client_input(struct server *s, int i)
{
	struct client *k = &s->cl[i];
	ssize_t n = read(k->fd, k->buf + k->len, sizeof(k->buf) - k->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	k->len += (size_t)n;
	return answer_lines(s, i);
}

/* The oldest queued marker goes into the free mailbox. */
static void post_next(struct server *s)
{
	struct vmt_mailbox *m = &s->c->rec->mbox;
	while (s->owner < 0) {
		int first = -1;
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (s->cl[i].fd >= 0 && s->cl[i].marker == MK_QUEUED &&
			    (first < 0 || s->cl[i].since_ns < s->cl[first].since_ns))
				first = i;
		if (first < 0)
			return;
		struct client *k = &s->cl[first];
		if (peer_gone(k->fd)) {
			hang_up(s, first);
			continue;
		}
		pthread_mutex_lock(&m->lock);
		int closed = m->closed;
		if (!closed) {
			memcpy(m->text, k->buf + 7, k->line - 7);
			m->answered = 0;
			atomic_store_explicit(&m->pending, 1, memory_order_release);
		}
		pthread_mutex_unlock(&m->lock);
		if (closed) {
			marker_done(s, first, "error the recording has ended");
			continue;
		}
		k->marker = MK_POSTED;
		s->owner = first;
		uint64_t one = 1;
		if (write(s->c->rec->wake_fd, &one, sizeof(one)) < 0)
			vmt_log(VMT_LOG_DEBUG, "wake: %s", strerror(errno));
	}
}

/* The drain answered the posted marker, or ended without taking it. */
static void mailbox_news(struct server *s)
{
	struct vmt_mailbox *m = &s->c->rec->mbox;
	uint64_t v, seq = 0;
	if (read(m->answer_fd, &v, sizeof(v)) < 0 || s->owner < 0)
		return;
	pthread_mutex_lock(&m->lock);
	int news = m->answered || m->closed;
	pthread_mutex_unlock(&m->lock);
	if (news) {
		int a = settle(m, &seq);
		verdict(s, s->owner, a, seq, "the recording has ended");
	}
}

static void sweep_deadlines(struct server *s)
{
	uint64_t now = vmt_now_ns(), seq = 0;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *k = &s->cl[i];
		if (k->fd < 0 || k->deadline_ns > now)
			continue;
		if (k->marker == MK_NONE) {
			hang_up(s, i);
			continue;
		}
		int a = k->marker == MK_POSTED ? settle(&s->c->rec->mbox, &seq) : 0;
		verdict(s, i, a, seq, "the recorder did not take it within "
			"4 s");
	}
}

static void accept_client(struct server *s)
{
	int fd = accept4(s->c->listen_fd, NULL, NULL,
			 SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (!peer_allowed(fd)) {
		reply_line(fd, "error not allowed: another user");
		close(fd);
		return;
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (s->cl[i].fd < 0) {
			s->cl[i] = (struct client){ .fd = fd };
			s->cl[i].deadline_ns = vmt_now_ns() +
					       IO_TIMEOUT_MS * 1000000ull;
			return;
		}
	reply_line(fd, "error too many clients");
	close(fd);
}

/* Poll timeout: until the earliest client deadline. */
static int next_timeout(const struct server *s, uint64_t now)
{
	uint64_t first = UINT64_MAX;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (s->cl[i].fd >= 0 && s->cl[i].deadline_ns < first)
			first = s->cl[i].deadline_ns;
	if (first == UINT64_MAX)
		return -1;
	return first <= now ? 0 : (int)((first - now) / 1000000u + 1);
}

static int serve_round(struct server *s)
{
	struct pollfd p[3 + MAX_CLIENTS];
	int idx[MAX_CLIENTS], np = 3;
	p[0] = (struct pollfd){ .fd = s->c->stop_fd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = s->c->listen_fd, .events = POLLIN };
	p[2] = (struct pollfd){ .fd = s->c->rec->mbox.answer_fd,
				.events = POLLIN };
	/* A client with a marker in flight is watched for hang-up only. */
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (s->cl[i].fd >= 0) {
			idx[np - 3] = i;
			p[np++] = (struct pollfd){ .fd = s->cl[i].fd,
				.events = s->cl[i].marker ? 0 : POLLIN };
		}
	if (poll(p, (nfds_t)np, next_timeout(s, vmt_now_ns())) < 0 &&
	    errno != EINTR)
		return -1;
	if (p[0].revents)
		return -1;
	if (p[2].revents & POLLIN)
		mailbox_news(s);
	for (int j = 3; j < np; j++) {
		struct client *k = &s->cl[idx[j - 3]];
		if (k->fd < 0 || !p[j].revents)
			continue;
		if (k->marker ? (p[j].revents & (POLLHUP | POLLERR)) != 0 :
				client_input(s, idx[j - 3]) != 0)
			hang_up(s, idx[j - 3]);
	}
	sweep_deadlines(s);
	if (p[1].revents & POLLIN)
		accept_client(s);
	post_next(s);
	return 0;
}

/* The recording is over: every marker still waiting gets its verdict. */
static void serve_end(struct server *s)
{
	uint64_t seq = 0;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		struct client *k = &s->cl[i];
		if (k->fd >= 0 && k->marker) {
			int a = k->marker == MK_POSTED ?
				settle(&s->c->rec->mbox, &seq) : 0;
			verdict(s, i, a, seq, "the recording has ended");
		}
		if (k->fd >= 0)
			hang_up(s, i);
	}
}

static void *control_main(void *arg)
{
	struct server *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->c = arg;
	s->owner = -1;
	for (int i = 0; i < MAX_CLIENTS; i++)
		s->cl[i].fd = -1;
	while (!serve_round(s))
		;
	serve_end(s);
	free(s);
	return NULL;
}

int vmt_control_start(struct vmt_control *c)
{
	int rc = pthread_create(&c->thread, NULL, control_main, c);
	c->started = rc == 0;
	return -rc;
}

void vmt_control_close(struct vmt_control *c)
{
	uint64_t one = 1;
	if (c->stop_fd >= 0 && write(c->stop_fd, &one, sizeof(one)) < 0)
		vmt_log(VMT_LOG_DEBUG, "control stop: %s", strerror(errno));
	if (c->started)
		pthread_join(c->thread, NULL);
	c->started = 0;
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		unlink(c->path);
	}
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	c->listen_fd = c->stop_fd = -1;
}

int vmt_control_request(const char *socket_path, const char *line,
			char *reply, size_t cap)
{
	struct sockaddr_un a;
	int rc = make_addr(&a, socket_path);
	if (rc)
		return rc;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	size_t len = 0;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    dprintf(fd, "%s\n", line) < 0) {
		rc = -errno;
		goto out;
	}
	rc = -ETIMEDOUT;
	while (len + 1 < cap) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, CLIENT_WAIT_MS) <= 0)
			break;
		ssize_t n = read(fd, reply + len, cap - 1 - len);
		if (n <= 0) {
			rc = n ? -errno : -ECONNRESET;
			break;
		}
		len += (size_t)n;
		reply[len] = '\0';
		char *nl = strchr(reply, '\n');
		if (nl) {
			*nl = '\0';
			rc = 0;
			break;
		}
	}
out:
	close(fd);
	return rc;
}
