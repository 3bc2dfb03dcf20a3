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
	while (!m->answered && !m->closed)
		pthread_cond_wait(&m->done, &m->lock);
	if (m->answered == 1)
		snprintf(reply, cap, "ok %llu", (unsigned long long)m->seq);
	else
		snprintf(reply, cap, "error marker not recorded");
	m->pending = 0;
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
		 "\"drain_cpu_ns\":%llu}",
		 (unsigned long long)s.requests, (unsigned long long)s.markers,
		 (unsigned long long)s.bytes_raw,
		 (unsigned long long)s.bytes_written,
		 (unsigned long long)s.backpressure_ns,
		 (unsigned long long)s.batches, s.max_occupancy,
		 (unsigned long long)s.elapsed_ns,
		 (unsigned long long)s.drain_cpu_ns);
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

/* Wait for @fd or the stop event; 1 = readable, 0 = stop/timeout. */
static int wait_fd(struct vmt_control *c, int fd, int timeout)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
			       { .fd = c->stop_fd, .events = POLLIN } };
	int n = poll(p, 2, timeout);
	return n > 0 && !(p[1].revents & POLLIN) && (p[0].revents & POLLIN);
}

static void serve(struct vmt_control *c, int fd)
{
	char buf[LINE_MAX_LEN], reply[512];
	size_t len = 0;
	while (wait_fd(c, fd, IO_TIMEOUT_MS)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return;
		len += (size_t)n;
		buf[len] = '\0';
		char *nl;
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			dispatch(c, buf, reply, sizeof(reply) - 1);
			strcat(reply, "\n");
			if (write(fd, reply, strlen(reply)) < 0)
				return;
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1)
			return;  /* a line longer than any request */
	}
}

static void *control_main(void *arg)
{
	struct vmt_control *c = arg;
	while (wait_fd(c, c->listen_fd, -1)) {
		int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve(c, fd);
		close(fd);
	}
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
		if (poll(&p, 1, IO_TIMEOUT_MS) <= 0)
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
