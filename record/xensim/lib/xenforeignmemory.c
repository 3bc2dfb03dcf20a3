/*
 * xenforeignmemory.c - xensim's libxenforeignmemory.so.1.  A mapping of
 * guest frames is a private copy (fmem.c).  Frames beyond the
 * domain's memory fail per page (err[i] = -EINVAL), or the whole call when
 * @err is NULL, like Xen.
 */
#include <sys/mman.h>

#include <xenforeignmemory.h>

#include "client.h"

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

XSIM_EXPORT void *xenforeignmemory_map(xenforeignmemory_handle *fmem,
				       uint32_t dom, int prot, size_t pages,
				       const xen_pfn_t arr[], int err[])
{
	return vmt_xsim_fmem_map(fmem ? &fmem->c : NULL, dom, prot, pages,
				 arr, err);
}

XSIM_EXPORT int xenforeignmemory_unmap(xenforeignmemory_handle *fmem,
				       void *addr, size_t pages)
{
	return munmap(addr, pages * 4096u);
}
