/*
 * server_int.h - what server.c (event loop, connections) and ops.c (the
 * client calls) share inside the xensim daemon.
 */
#ifndef VMT_XENSIM_SERVER_INT_H
#define VMT_XENSIM_SERVER_INT_H

#include <stdbool.h>
#include <sys/un.h>

#include "proto.h"
#include "sim.h"

enum tag_type { T_LISTEN, T_SIGNAL, T_TIMER, T_CONN, T_NOTIFY };

struct tag {
	enum tag_type type;
	void *ptr;
};

struct vmt_sim_conn {
	int fd;
	struct tag tag;
	struct vmt_sim_conn *next;
};

struct vmt_sim_server {
	struct vmt_sim_host *h;
	int ep, lfd, sfd, tfd;
	struct tag t_listen, t_signal, t_timer;
	struct tag *t_notify;          /* one per domain */
	struct vmt_sim_conn *conns;
	bool stop;
	uint64_t next_allowed;         /* rate limit: next request's time */
	uint64_t armed_at;             /* timerfd deadline, UINT64_MAX = off */
	uint64_t released_at;          /* --events met and rings released */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* A reply under construction. */
struct reply {
	struct vmt_xsim_rsp r;
	const void *data;
	char *heap;                    /* data to free after sending */
	char small[512];              /* also a register block (VCPU_GET) */
	int fds[2];
	int nfds;
	bool close_fds;                /* close fds[1] (the client's end) once sent */
};

/* ops.c: answer one request into @rp (its data may point into @rp). */
void vmt_sim_dispatch(struct vmt_sim_server *s, struct vmt_sim_conn *c,
		      const struct vmt_xsim_req *q, struct reply *rp);
/* Reads pending consumer notifies (one, or @all); Return: any read? */
bool vmt_sim_drain_notify(struct vmt_sim_dom *d, bool all);

#endif
