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
	int xs_fd;                     /* xenstore watch events, or -1 */
	struct xs_watch *watches;
	struct tag tag;
	struct vmt_sim_conn *next;
};

struct vmt_sim_server {
	struct vmt_sim_host *h;
	int ep, lfd, sfd, tfd;
	struct tag t_listen, t_signal, t_timer;
	struct tag *t_notify;          /* one per domain */
	struct vmt_sim_conn *conns;
	struct xs_node *nodes;         /* written xenstore nodes (store.c) */
	bool *released;                /* per domain: @releaseDomain fired */
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
	bool close_fds;                /* close the last fd (the client's end) once sent */
};

/* ops.c: answer one request into @rp (its data may point into @rp). */
void vmt_sim_dispatch(struct vmt_sim_server *s, struct vmt_sim_conn *c,
		      const struct vmt_xsim_req *q, struct reply *rp);
/* store.c: written xenstore nodes and watches. */
/* XS_WATCH / XS_UNWATCH; the first gives @c its event socket. */
void vmt_sim_store_watch(struct vmt_sim_server *s, struct vmt_sim_conn *c,
			 const struct vmt_xsim_req *q, struct reply *rp);
/* XS_WRITE / XS_RM; @host_node: q->path is one of the domain nodes. */
void vmt_sim_store_change(struct vmt_sim_server *s,
			  const struct vmt_xsim_req *q, bool host_node,
			  struct reply *rp);
/* Return: whether @path was written (then @rp holds its value). */
bool vmt_sim_store_read(struct vmt_sim_server *s, const char *path,
			struct reply *rp);
size_t vmt_sim_store_children(struct vmt_sim_server *s, const char *path,
			      char *buf, size_t len, size_t cap);
/* Fires @releaseDomain once for each domain that died since last time. */
void vmt_sim_store_domains(struct vmt_sim_server *s);
void vmt_sim_store_conn_gone(struct vmt_sim_conn *c);
void vmt_sim_store_free(struct vmt_sim_server *s);

/* Reads pending consumer notifies (one, or @all); Return: any read? */
bool vmt_sim_drain_notify(struct vmt_sim_dom *d, bool all);

#endif
