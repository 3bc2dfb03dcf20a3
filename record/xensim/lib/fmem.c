/*
 * fmem.c - guest frames as a consumer maps them: a private copy whose bytes
 * are a function of (domain, gfn, offset), enough for a consumer that peeks
 * at guest memory while handling events, never shared with the daemon.
 * libxenforeignmemory's map and libxenctrl's compat xc_map_foreign_* both
 * end here, as in Xen, where the latter wrap the former.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#include "client.h"

#define PAGE 4096u

static void fill(uint8_t *p, uint32_t dom, uint64_t gfn)
{
	for (unsigned off = 0; off < PAGE; off += 8) {
		uint64_t w = (uint64_t)dom << 52 ^ gfn << 12 ^ off;
		memcpy(p + off, &w, 8);
	}
}

void *vmt_xsim_fmem_map(struct vmt_xsim_client *c, uint32_t dom, int prot,
			size_t pages, const uint64_t *arr, int *err)
{
	struct vmt_xsim_req q = { .op = VMT_XSIM_OP_MAX_GPFN, .dom = dom };
	struct vmt_xsim_rsp r;
	int rc;

	if (!c || !pages || pages > (1u << 20)) {
		errno = EINVAL;
		return NULL;
	}
	rc = vmt_xsim_call(c, &q, &r, NULL, 0, NULL, NULL);
	if (rc) {
		errno = -rc;
		return NULL;
	}
	for (size_t i = 0; i < pages && !err; i++)
		if (arr[i] > (uint64_t)r.ret) {
			errno = EINVAL;
			return NULL;
		}
	uint8_t *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	for (size_t i = 0; i < pages; i++) {
		bool ok = arr[i] <= (uint64_t)r.ret;
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
