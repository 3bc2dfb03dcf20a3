/*
 * altp2m.c - the xc_altp2m_* calls of xensim's libxenctrl.so.4.17.  Each
 * is one HVMOP_altp2m command (public/hvm/hvm_op.h); the daemon applies
 * Xen's rules (record/xensim/p2m.c).  libxc convention: -1 and errno.
 */
#include <errno.h>

#include <xenctrl.h>

#include "client.h"

/* Return: the command's result value, or -1 with errno. */
static int64_t altp2m(xc_interface *xch, uint32_t dom, unsigned cmd,
		      uint64_t a1, uint64_t a2, uint64_t a3)
{
	const uint64_t a[4] = { cmd, a1, a2, a3 };

	return vmt_xsim_op(xch ? &xch->c : NULL, VMT_XSIM_OP_ALTP2M, dom, a, 4,
			   NULL);
}

static int status(int64_t r)
{
	return r < 0 ? -1 : 0;
}

XSIM_EXPORT int xc_altp2m_get_domain_state(xc_interface *handle, uint32_t dom,
					   bool *state)
{
	int64_t r = altp2m(handle, dom, VMT_ALTP2M_GET_STATE, 0, 0, 0);

	if (r >= 0)
		*state = r != 0;
	return status(r);
}

XSIM_EXPORT int xc_altp2m_set_domain_state(xc_interface *handle, uint32_t dom,
					   bool state)
{
	return status(altp2m(handle, dom, VMT_ALTP2M_SET_STATE, state, 0, 0));
}

XSIM_EXPORT int xc_altp2m_set_vcpu_enable_notify(xc_interface *handle,
						 uint32_t domid,
						 uint32_t vcpuid,
						 xen_pfn_t gfn)
{
	return status(altp2m(handle, domid, VMT_ALTP2M_VCPU_ENABLE_NOTIFY,
			     vcpuid, gfn, 0));
}

XSIM_EXPORT int xc_altp2m_set_vcpu_disable_notify(xc_interface *handle,
						  uint32_t domid,
						  uint32_t vcpuid)
{
	return status(altp2m(handle, domid, VMT_ALTP2M_VCPU_DISABLE_NOTIFY,
			     vcpuid, 0, 0));
}

XSIM_EXPORT int xc_altp2m_create_view(xc_interface *handle, uint32_t domid,
				      xenmem_access_t default_access,
				      uint16_t *view_id)
{
	int64_t r = altp2m(handle, domid, VMT_ALTP2M_CREATE,
			   (uint64_t)default_access, 0, 0);

	if (r >= 0 && view_id)
		*view_id = (uint16_t)r;
	return status(r);
}

XSIM_EXPORT int xc_altp2m_destroy_view(xc_interface *handle, uint32_t domid,
				       uint16_t view_id)
{
	return status(altp2m(handle, domid, VMT_ALTP2M_DESTROY, view_id, 0, 0));
}

XSIM_EXPORT int xc_altp2m_switch_to_view(xc_interface *handle, uint32_t domid,
					 uint16_t view_id)
{
	return status(altp2m(handle, domid, VMT_ALTP2M_SWITCH, view_id, 0, 0));
}

XSIM_EXPORT int xc_altp2m_set_mem_access(xc_interface *handle, uint32_t domid,
					 uint16_t view_id, xen_pfn_t gfn,
					 xenmem_access_t access)
{
	return status(altp2m(handle, domid, VMT_ALTP2M_SET_MEM_ACCESS, view_id,
			     gfn, (uint64_t)access));
}

XSIM_EXPORT int xc_altp2m_set_mem_access_multi(xc_interface *handle,
					       uint32_t domid,
					       uint16_t view_id,
					       uint8_t *access,
					       uint64_t *gfns, uint32_t nr)
{
	/* p2m_set_mem_access_multi: in order, stopping at the first error. */
	for (uint32_t i = 0; i < nr; i++)
		if (altp2m(handle, domid, VMT_ALTP2M_SET_MEM_ACCESS, view_id,
			   gfns[i], access[i]) < 0)
			return -1;
	return 0;
}

XSIM_EXPORT int xc_altp2m_get_mem_access(xc_interface *handle, uint32_t domid,
					 uint16_t view_id, xen_pfn_t gfn,
					 xenmem_access_t *access)
{
	int64_t r = altp2m(handle, domid, VMT_ALTP2M_GET_MEM_ACCESS, view_id,
			   gfn, 0);

	if (r >= 0)
		*access = (xenmem_access_t)r;
	return status(r);
}

XSIM_EXPORT int xc_altp2m_change_gfn(xc_interface *handle, uint32_t domid,
				     uint16_t view_id, xen_pfn_t old_gfn,
				     xen_pfn_t new_gfn)
{
	return status(altp2m(handle, domid, VMT_ALTP2M_CHANGE_GFN, view_id,
			     old_gfn, new_gfn));
}

XSIM_EXPORT int xc_altp2m_get_vcpu_p2m_idx(xc_interface *handle,
					   uint32_t domid, uint32_t vcpuid,
					   uint16_t *p2midx)
{
	int64_t r = altp2m(handle, domid, VMT_ALTP2M_GET_P2M_IDX, vcpuid, 0, 0);

	if (r >= 0)
		*p2midx = (uint16_t)r;
	return status(r);
}
