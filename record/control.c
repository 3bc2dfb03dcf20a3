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
/* A marker the drain has not taken by then is withdrawn and refused; the
 * client waits longer for the answer, so it is never told "failed" about
 * a marker that is then recorded. */
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

/* Hand a marker to the drain and wait until it is in the trace. */
static void do_marker(struct vmt_control *c, const char *text, char *reply,
		      size_t cap)
{
	struct vmt_mailbox *m = &c->rec->mbox;
	size_t len = strlen(text);
	if (len >= sizeof(m->text)) {
		snprintf(reply, cap, "error marker longer than %zu bytes",
			 sizeof(m->text) - 1);
		return;
	}
	pthread_mutex_lock(&m->lock);
	if (m->closed) {
		pthread_mutex_unlock(&m->lock);
		snprintf(reply, cap, "error the recording has ended");
		return;
	}
	memcpy(m->text, text, len + 1);
	m->answered = 0;
	atomic_store_explicit(&m->pending, 1, memory_order_release);
	uint64_t one = 1;
	if (write(c->rec->wake_fd, &one, sizeof(one)) < 0)
		vmt_log(VMT_LOG_DEBUG, "wake: %s", strerror(errno));
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += MARKER_WAIT_MS / 1000;
	int late = 0;
	while (!m->answered && !m->closed && !late)
		late = pthread_cond_timedwait(&m->done, &m->lock, &until) ==
		       ETIMEDOUT;
	if (m->answered == 1)
		snprintf(reply, cap, "ok %llu", (unsigned long long)m->seq);
	else if (!m->answered && !m->closed)
		snprintf(reply, cap, "error marker not recorded: the recorder "
			 "did not take it within %d s", MARKER_WAIT_MS / 1000);
	else
		snprintf(reply, cap, "error marker not recorded");
	m->pending = 0;   /* withdrawn: the drain checks again under the lock */
	pthread_mutex_unlock(&m->lock);
}

static void do_stats(struct vmt_control *c, char *reply, size_t cap)
{
	struct vmt_recorder_stats s;
	vmt_recorder_stats(c->rec, &s);
	snprintf(reply, cap,
		 "{\"requests\":%llu,\"markers\":%llu,\"bytes_raw\":%llu,"
		 "\"bytes_written\":%llu,\"backpressure_ns\":%llu,"
		 "\"batches\":%llu,\"max_occupancy\":%u,\"elapsed_ns\":%llu,"
		 "\"drain_cpu_ns\":%llu,\"stall_lost\":%llu}",
		 (unsigned long long)s.requests, (unsigned long long)s.markers,
		 (unsigned long long)s.bytes_raw,
		 (unsigned long long)s.bytes_written,
		 (unsigned long long)s.backpressure_ns,
		 (unsigned long long)s.batches, s.max_occupancy,
		 (unsigned long long)s.elapsed_ns,
		 (unsigned long long)s.drain_cpu_ns,
		 (unsigned long long)s.stall_lost);
}

static void dispatch(struct vmt_control *c, const char *line, char *reply,
		     size_t cap)
{
	if (!strncmp(line, "marker ", 7) && line[7])
		do_marker(c, line + 7, reply, cap);
	else if (!strcmp(line, "stats"))
		do_stats(c, reply, cap);
	else
		snprintf(reply, cap, "error unknown request (expected "
			 "\"marker TEXT\" or \"stats\")");
}

/*
 * The thread serves every connection at once (poll), so a client that
 * sends slowly or never finishes its line delays nobody: each line must
 * be complete within IO_TIMEOUT_MS of the previous reply (or of connect),
 * else the connection is closed.
 */
#define MAX_CLIENTS 16

struct client {
	int fd;
	size_t len;
	uint64_t deadline_ns;
	char buf[LINE_MAX_LEN];
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

/* Answers every complete line in @k's buffer.  Return: -1 to hang up. */
static int answer_lines(struct vmt_control *c, struct client *k)
{
	char reply[512];
	char *nl;
	while ((nl = memchr(k->buf, '\n', k->len))) {
		size_t n = (size_t)(nl - k->buf);
		*nl = '\0';
		if (memchr(k->buf, '\0', n))
			snprintf(reply, sizeof(reply), "error NUL byte in request");
		else
			dispatch(c, k->buf, reply, sizeof(reply));
		if (reply_line(k->fd, reply))
			return -1;
		k->len -= n + 1;
		memmove(k->buf, nl + 1, k->len);
		k->deadline_ns = vmt_now_ns() + IO_TIMEOUT_MS * 1000000ull;
	}
	if (k->len == sizeof(k->buf)) {
		reply_line(k->fd, "error request line too long");
		return -1;
	}
	return 0;
}

static int client_input(struct vmt_control *c, struct client *k)
{
	ssize_t n = read(k->fd, k->buf + k->len, sizeof(k->buf) - k->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	k->len += (size_t)n;
	return answer_lines(c, k);
}

static void hang_up(struct client *k)
{
	close(k->fd);
	k->fd = -1;
}

static void accept_client(struct vmt_control *c, struct client *cl)
{
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (!peer_allowed(fd)) {
		reply_line(fd, "error not allowed: another user");
		close(fd);
		return;
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (cl[i].fd < 0) {
			cl[i].fd = fd;
			cl[i].len = 0;
			cl[i].deadline_ns = vmt_now_ns() +
					    IO_TIMEOUT_MS * 1000000ull;
			return;
		}
	reply_line(fd, "error too many clients");
	close(fd);
}

/* Poll timeout: until the earliest client deadline. */
static int next_timeout(const struct client *cl, uint64_t now)
{
	uint64_t first = UINT64_MAX;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (cl[i].fd >= 0 && cl[i].deadline_ns < first)
			first = cl[i].deadline_ns;
	if (first == UINT64_MAX)
		return -1;
	return first <= now ? 0 : (int)((first - now) / 1000000u + 1);
}

static int serve_round(struct vmt_control *c, struct client *cl)
{
	struct pollfd p[2 + MAX_CLIENTS];
	int idx[MAX_CLIENTS], np = 2;
	p[0] = (struct pollfd){ .fd = c->stop_fd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = c->listen_fd, .events = POLLIN };
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (cl[i].fd >= 0) {
			idx[np - 2] = i;
			p[np++] = (struct pollfd){ .fd = cl[i].fd, .events = POLLIN };
		}
	if (poll(p, (nfds_t)np, next_timeout(cl, vmt_now_ns())) < 0 &&
	    errno != EINTR)
		return -1;
	if (p[0].revents)
		return -1;
	for (int j = 2; j < np; j++)
		if (p[j].revents && client_input(c, &cl[idx[j - 2]]))
			hang_up(&cl[idx[j - 2]]);
	uint64_t now = vmt_now_ns();
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (cl[i].fd >= 0 && cl[i].deadline_ns <= now)
			hang_up(&cl[i]);
	if (p[1].revents & POLLIN)
		accept_client(c, cl);
	return 0;
}

static void *control_main(void *arg)
{
	struct vmt_control *c = arg;
	struct client *cl = calloc(MAX_CLIENTS, sizeof(*cl));
	if (!cl)
		return NULL;
	for (int i = 0; i < MAX_CLIENTS; i++)
		cl[i].fd = -1;
	while (!serve_round(c, cl))
		;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (cl[i].fd >= 0)
			close(cl[i].fd);
	free(cl);
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
