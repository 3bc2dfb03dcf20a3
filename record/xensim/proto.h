/*
 * proto.h - the private wire protocol between xensim's client libraries
 * (libxenctrl/libxenevtchn/libxenforeignmemory/libxenstore look-alikes) and
 * the xensim daemon.  Both ends are built from this tree at the same time,
 * so messages are plain host-order structs on a local SOCK_SEQPACKET socket
 * (never stored on disk); file descriptors (ring memfd, event-channel
 * eventfd and notify socket) travel as SCM_RIGHTS.  One request message
 * gets exactly one reply message.
 */
#ifndef VMT_XENSIM_PROTO_H
#define VMT_XENSIM_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define VMT_XENSIM_SOCKET_ENV "VMT_XENSIM_SOCKET"
#define VMT_XENSIM_SOCKET_DEFAULT "/tmp/vmtrail-xensim.sock"
/* Bumped whenever a message layout or an op's meaning changes. */
#define VMT_XSIM_PROTO_VERSION 4u

/* Monitor sources, numbered like XEN_DOMCTL_MONITOR_EVENT_* (abi.md 6.7);
 * VMT_XSIM_MON_EACH_REP is the emulate-each-rep switch, not an event. */
enum vmt_xsim_mon {
	VMT_XSIM_MON_CTRLREG = 0,
	VMT_XSIM_MON_MSR = 1,
	VMT_XSIM_MON_SINGLESTEP = 2,
	VMT_XSIM_MON_BREAKPOINT = 3,
	VMT_XSIM_MON_GUEST_REQUEST = 4,
	VMT_XSIM_MON_DEBUG = 5,
	VMT_XSIM_MON_CPUID = 6,
	VMT_XSIM_MON_PRIVCALL = 7,
	VMT_XSIM_MON_INTERRUPT = 8,
	VMT_XSIM_MON_DESC = 9,
	VMT_XSIM_MON_EMUL_UNIMPL = 10,
	VMT_XSIM_MON_INGUEST_PF = 11,
	VMT_XSIM_MON_VMEXIT = 12,
	VMT_XSIM_MON_EACH_REP = 31,
};

enum vmt_xsim_op {
	VMT_XSIM_OP_HELLO = 1,     /* a[0] = proto version */
	VMT_XSIM_OP_DOMINFO,       /* dom = first domid wanted */
	VMT_XSIM_OP_DOM_PAUSE,
	VMT_XSIM_OP_DOM_UNPAUSE,
	VMT_XSIM_OP_MAX_GPFN,
	VMT_XSIM_OP_ABI,
	VMT_XSIM_OP_XEN_VERSION,   /* ret = major << 16 | minor, data = extra */
	VMT_XSIM_OP_MON_ENABLE,    /* fd: ring memfd, ret = port */
	VMT_XSIM_OP_MON_DISABLE,
	VMT_XSIM_OP_MON_RESUME,
	VMT_XSIM_OP_MON_CAPS,
	VMT_XSIM_OP_MON_TOGGLE,    /* a: kind, enable, sync, param, mask, flag */
	VMT_XSIM_OP_MEM_ACCESS,    /* a: access, first_pfn, nr, multi */
	VMT_XSIM_OP_GET_MEM_ACCESS,/* a: pfn */
	VMT_XSIM_OP_INJECT,        /* a: vcpu, vector, type, error, len, cr2 */
	VMT_XSIM_OP_EVT_BIND,      /* a[0] remote port; fds: up, notify */
	VMT_XSIM_OP_EVT_UNBIND,    /* a[0] local port */
	VMT_XSIM_OP_XS_READ,       /* path */
	VMT_XSIM_OP_XS_DIR,        /* path; data = NUL-separated names */
	VMT_XSIM_OP_STATS,         /* data = JSON */
	VMT_XSIM_OP_SHUTDOWN,
	VMT_XSIM_OP_ACCESS_REQUIRED,   /* a[0] = required */
	VMT_XSIM_OP_DEBUG_CONTROL,     /* a: sop, vcpu */
	VMT_XSIM_OP_ALTP2M,            /* a[0] = VMT_ALTP2M_*, a[1..] args */
	VMT_XSIM_OP_VCPU_GET,          /* a[0] vcpu; data = VMT_XSIM_REGS u64 */
	VMT_XSIM_OP_VCPU_SET,          /* a: vcpu, VMT_XSIM_SET_*; regs */
	VMT_XSIM_OP_SET_MAXMEM,        /* a[0] = max pages */
	VMT_XSIM_OP_HVM_PARAM,         /* a: index, set?, value */
	VMT_XSIM_OP_XS_WATCH,          /* path "PATH\0TOKEN"; a[0] 0: only the
					* event socket; fd: that socket, once */
	VMT_XSIM_OP_XS_UNWATCH,        /* path "PATH\0TOKEN" */
	VMT_XSIM_OP_XS_WRITE,          /* path "PATH\0VALUE", a[0] = length */
	VMT_XSIM_OP_XS_RM,             /* path */
};

/* HVM_NR_PARAMS of Xen 4.17 (public/hvm/params.h); HVM_PARAM_ALTP2M. */
#define VMT_XSIM_HVM_PARAMS 39
#define VMT_XSIM_HVM_PARAM_ALTP2M 35

/* A vCPU's registers on the wire: enum vmt_reg order, then XCR0. */
#define VMT_XSIM_REGS 64
#define VMT_XSIM_REG_XCR0 63
/* What a VCPU_SET loads: setvcpucontext of an HVM vCPU takes the GPRs,
 * rip, rflags and debug registers; sethvmcontext takes everything. */
enum { VMT_XSIM_SET_GPRS = 1, VMT_XSIM_SET_ALL = 2 };

/* altp2m commands, numbered like Xen's HVMOP_altp2m_* (public/hvm/hvm_op.h). */
enum vmt_altp2m_cmd {
	VMT_ALTP2M_GET_STATE = 1,
	VMT_ALTP2M_SET_STATE = 2,
	VMT_ALTP2M_VCPU_ENABLE_NOTIFY = 3,
	VMT_ALTP2M_CREATE = 4,
	VMT_ALTP2M_DESTROY = 5,
	VMT_ALTP2M_SWITCH = 6,
	VMT_ALTP2M_SET_MEM_ACCESS = 7,
	VMT_ALTP2M_CHANGE_GFN = 8,
	VMT_ALTP2M_GET_MEM_ACCESS = 12,
	VMT_ALTP2M_VCPU_DISABLE_NOTIFY = 13,
	VMT_ALTP2M_GET_P2M_IDX = 14,
};

/* A xenstore path with its token or value. */
#define VMT_XSIM_PATH_MAX 1024

struct vmt_xsim_req {
	uint32_t op;
	uint32_t dom;
	uint64_t a[6];
	char path[VMT_XSIM_PATH_MAX];
	uint64_t regs[VMT_XSIM_REGS];  /* VCPU_SET only */
};

/* Followed by @len bytes of data in the same message. */
struct vmt_xsim_rsp {
	int32_t err;               /* 0 or a positive errno */
	uint32_t len;
	int64_t ret;
	uint64_t v[6];
};

/* dominfo reply: v[0] domid, v[1] vcpus, v[2] toolstack-paused,
 * v[3] dying, v[4] shutdown, v[5] tot_pages | max_pages << 32;
 * ret 1 (found) or 0. */

/* Largest reply the daemon sends (stats JSON of many domains/vCPUs). */
#define VMT_XSIM_MSG_MAX (1u << 20)

/* wire.c: shared by the daemon and the client libraries (hidden symbols). */
int vmt_xsim_send(int sock, const void *buf, size_t len, const int *fds,
		  int nfds);
/* Return: bytes received (0 = peer closed) or -errno; *nfds in/out. */
int vmt_xsim_recv(int sock, void *buf, size_t cap, int *fds, int *nfds);
/*
 * vmt_xsim_ask() - one request to the daemon on @path over a connection of
 * its own (the command line's --query, `xensim run`)
 * @buf/@cap: OUT: the reply's data, NUL-terminated (@cap > sizeof(*r)).
 * Return: 0 with *r filled (r->err may be set), or -errno: no daemon
 * (-ENOENT, -ECONNREFUSED), a path too long, a short or bad reply.
 */
int vmt_xsim_ask(const char *path, const struct vmt_xsim_req *q,
		 struct vmt_xsim_rsp *r, char *buf, size_t cap);
/* The socket path clients use: $VMT_XENSIM_SOCKET, else the default. */
const char *vmt_xsim_socket_path(void);

#endif
