/*
 * client.h - the connection every xensim client-library handle holds to
 * the daemon (one socket per handle, calls serialized by a mutex so a
 * multi-threaded consumer can share a handle as with real Xen libraries).
 * Hidden symbols; compiled into each library.
 */
#ifndef VMT_XENSIM_CLIENT_H
#define VMT_XENSIM_CLIENT_H

#include <pthread.h>
#include <stddef.h>

#include <xentoollog.h>

#include "proto.h"

/* Xen's names are the only symbols these libraries export. */
#define XSIM_EXPORT __attribute__((visibility("default")))

struct vmt_xsim_client {
	int sock;
	pthread_mutex_t mu;
};

/* libxenctrl's handle (xc_interface), shared by its source files. */
struct xc_interface_core {
	struct vmt_xsim_client c;
};

/* Return: 0, or -errno (-ENOENT / -ECONNREFUSED: no daemon). */
int vmt_xsim_client_open(struct vmt_xsim_client *c);
void vmt_xsim_client_close(struct vmt_xsim_client *c);

/*
 * vmt_xsim_handle_new() - a zeroed handle of @size bytes whose first member
 * is a struct vmt_xsim_client, connected to the daemon.
 * @log: where a failure is explained (the socket path), or NULL.
 * Return: the handle, or NULL with errno set (the *_open convention).
 */
void *vmt_xsim_handle_new(size_t size, struct xentoollog_logger *log);
/* vmt_xsim_handle_free() - disconnect and free; NULL is fine.  Return: 0. */
int vmt_xsim_handle_free(void *h);

/*
 * vmt_xsim_call() - one request, one reply
 * @data/@cap: OUT: reply payload (may be NULL/0); @fds/@nfds: OUT: received
 * descriptors (*nfds in: capacity).
 * Return: 0, or -errno (the daemon's error or a transport failure).
 */
int vmt_xsim_call(struct vmt_xsim_client *c, struct vmt_xsim_req *q,
		  struct vmt_xsim_rsp *r, void *data, size_t cap, int *fds,
		  int *nfds);

/*
 * vmt_xsim_op() - one call with @na arguments and no payload
 * @out: OUT: the reply (may be NULL).
 * Return: the reply's ret, or -1 with errno set (the libxc convention).
 */
int64_t vmt_xsim_op(struct vmt_xsim_client *c, uint32_t op, uint32_t dom,
		    const uint64_t *a, unsigned na, struct vmt_xsim_rsp *out);

/*
 * vmt_xsim_fmem_map() - map @pages guest frames @arr of @dom (fmem.c)
 * @err: per-frame result (0 or -EINVAL past the guest's memory), or NULL:
 * then any bad frame fails the whole call.
 * Return: the mapping (munmap to release), or NULL with errno set.
 */
void *vmt_xsim_fmem_map(struct vmt_xsim_client *c, uint32_t dom, int prot,
			size_t pages, const uint64_t *arr, int *err);

/* Sets errno from a -errno code; Return: -1 (the libxc convention). */
int vmt_xsim_fail(int rc);

#endif
