/*
 * xenforeignmemory.c - xensim's libxenforeignmemory.so.1.  A mapping of
 * guest frames is a private copy whose bytes are a function of (domain,
 * gfn, offset): enough for a consumer that peeks at guest memory while
 * handling events, never shared with the daemon.  Frames beyond the
 * domain's memory fail per page (err[i] = -EINVAL), or the whole call when
 * @err is NULL, like Xen.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xenforeignmemory.h>

#include "client.h"

#define PAGE 4096u

struct xenforeignmemory_handle {
	struct vmt_xsim_client c;
};

XSIM_EXPORT xenforeignmemory_handle *
xenforeignmemory_open(struct xentoollog_logger *logger, unsigned open_flags)
{
	return vmt_xsim_handle_new(sizeof(xenforeignmemory_handle), logger);
}

XSIM_EXPORT int xenforeignmemory_close(xenforeignmemory_handle *fmem)
{
	return vmt_xsim_handle_free(fmem);
}

static void fill(uint8_t *p, uint32_t dom, uint64_t gfn)
{
	for (unsigned off = 0; off < PAGE; off += 8) {
		uint64_t w = (uint64_t)dom << 52 ^ gfn << 12 ^ off;
		memcpy(p + off, &w, 8);
	}
}

XSIM_EXPORT void *xenforeignmemory_map(xenforeignmemory_handle *fmem,
				       uint32_t dom, int prot, size_t pages,
				       const xen_pfn_t arr[], int err[])
{
	struct vmt_xsim_req q = { .op = VMT_XSIM_OP_MAX_GPFN, .dom = dom };
	struct vmt_xsim_rsp r;
	int rc;

	if (!fmem || !pages || pages > (1u << 20)) {
		errno = EINVAL;
		return NULL;
	}
	rc = vmt_xsim_call(&fmem->c, &q, &r, NULL, 0, NULL, NULL);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	for (size_t i = 0; i < pages && !err; i++)
		if (arr[i] > (xen_pfn_t)r.ret) {
			errno = EINVAL;
			return NULL;
		}
	uint8_t *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i < pages; i++) {
		bool ok = arr[i] <= (xen_pfn_t)r.ret;
		if (err)
			err[i] = ok ? 0 : -EINVAL;
		if (ok)
			fill(p + i * PAGE, dom, arr[i]);
	}
	if (!(prot & PROT_WRITE) && mprotect(p, pages * PAGE, prot)) {
		munmap(p, pages * PAGE);
		return NULL;
	}
	return p;
}

XSIM_EXPORT int xenforeignmemory_unmap(xenforeignmemory_handle *fmem,
				       void *addr, size_t pages)
{
	return munmap(addr, pages * PAGE);
}
