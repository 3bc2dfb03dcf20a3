/*
 * tap_int.h - the parent's side of a tapped recording (tap.c, collect.c);
 * part of libvmt_record, never installed.
 */
#ifndef VMT_TAP_INT_H
#define VMT_TAP_INT_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "vmt/format.h"

struct vmt_recorder;
struct vmt_tap_shm;

struct vmt_tap {
	pid_t pid;                 /* COMMAND */
	int pidfd;                 /* -1: the kernel has no pidfd_open */
	int status;                /* COMMAND's wait status, -1 while it runs */
	struct vmt_tap_shm *shm;
	size_t map_len;
	int shm_fd, ev_fd;
	int file_fd;               /* the trace, until its header is written */
	char ctrl_path[PATH_MAX], evtchn_path[PATH_MAX];
	char *env[4];
	int attached;              /* the header is written */
	int stopped;               /* a limit: capture no more */
	int corrupt;               /* the stream was damaged: read no more */
	uint64_t tail;
	uint64_t requests, responses, discarded;
	/* The consumer's monitor text: the latest, and the latest written
	 * (header or NOTE); a change is noted before the next request. */
	char monitors[VMT_TEXT_MAX], monitors_told[VMT_TEXT_MAX];
	int monitors_changed;
};

#endif
