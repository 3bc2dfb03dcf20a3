#!/usr/bin/env bash
# The client libraries export every function of the contract
# (record/xensim/README.md), with Xen's sonames, and need no real Xen library.
set -euo pipefail
L=${VMT_LIB:?}/xensim
need() {
	local lib=$1; shift
	[ -e "$L/$lib" ] || { echo "FAIL: $L/$lib missing"; exit 1; }
	local syms
	syms=$(nm -D --defined-only "$L/$lib" | awk '{sub(/@.*/, "", $3); print $3}')
	for f in "$@"; do
		grep -qx "$f" <<<"$syms" || { echo "FAIL: $lib does not export $f"; exit 1; }
	done
	if readelf -d "$L/$lib" | grep NEEDED | grep -q 'libxen'; then
		echo "FAIL: $lib needs a real Xen library"; exit 1
	fi
	# Only Xen's names are exported, nothing of ours.
	if grep -q '^vmt_' <<<"$syms"; then echo "FAIL: $lib leaks vmt_ symbols"; exit 1; fi
}
need libxenctrl.so.4.17 xc_interface_open xc_interface_close xc_domain_getinfo \
	xc_domain_pause xc_domain_unpause xc_vm_event_get_version xc_version \
	xc_monitor_enable xc_monitor_disable xc_monitor_resume \
	xc_monitor_get_capabilities xc_monitor_write_ctrlreg xc_monitor_mov_to_msr \
	xc_monitor_singlestep xc_monitor_software_breakpoint xc_monitor_guest_request \
	xc_monitor_debug_exceptions xc_monitor_cpuid xc_monitor_privileged_call \
	xc_monitor_descriptor_access xc_monitor_emul_unimplemented \
	xc_monitor_inguest_pagefault xc_monitor_emulate_each_rep xc_monitor_vmexit \
	xc_set_mem_access xc_set_mem_access_multi xc_get_mem_access \
	xc_hvm_inject_trap xc_domain_set_access_required xc_domain_debug_control \
	xc_altp2m_get_domain_state xc_altp2m_set_domain_state xc_altp2m_create_view \
	xc_altp2m_destroy_view xc_altp2m_switch_to_view xc_altp2m_set_mem_access \
	xc_altp2m_set_mem_access_multi xc_altp2m_get_mem_access xc_altp2m_change_gfn \
	xc_altp2m_get_vcpu_p2m_idx xc_altp2m_set_vcpu_enable_notify \
	xc_altp2m_set_vcpu_disable_notify xc_vcpu_getcontext xc_vcpu_setcontext \
	xc_domain_hvm_getcontext xc_domain_hvm_getcontext_partial \
	xc_domain_hvm_setcontext xc_domain_getinfolist xc_domain_setmaxmem \
	xc_domain_cacheflush xc_hvm_param_get xc_hvm_param_set \
	xc_evtchn_open xc_evtchn_close xc_evtchn_fd xc_evtchn_bind_interdomain \
	xc_evtchn_unbind xc_evtchn_pending xc_evtchn_unmask xc_evtchn_notify \
	xc_map_foreign_range xc_map_foreign_pages xc_domctl xc_get_hvm_param \
	xc_set_hvm_param xc_domain_get_tsc_info xc_domain_populate_physmap_exact \
	xc_domain_decrease_reservation_exact
# libxenctrl carries the event-channel code for its compat names; only the
# xc_ names are exported.
nm -D --defined-only "$L/libxenctrl.so.4.17" | grep -q ' xenevtchn_' &&
	{ echo "FAIL: libxenctrl exports xenevtchn_ names"; exit 1; }
need libxenevtchn.so.1 xenevtchn_open xenevtchn_close xenevtchn_fd \
	xenevtchn_bind_interdomain xenevtchn_unbind xenevtchn_pending \
	xenevtchn_unmask xenevtchn_notify
need libxenforeignmemory.so.1 xenforeignmemory_open xenforeignmemory_close \
	xenforeignmemory_map xenforeignmemory_unmap
need libxenstore.so.4 xs_open xs_close xs_read xs_directory xs_daemon_open \
	xs_write xs_rm xs_watch xs_unwatch xs_fileno xs_read_watch xs_check_watch \
	xs_is_domain_introduced
# Symbol versions as Debian's libraries define them (readelf -V there).
vers() { readelf -V "$L/$1" | sed -n 's/.*Name: \(VERS_[0-9.]*\).*/\1/p' | sort -u | paste -sd' ' -; }
expect() { [ "$2" = "$3" ] || { echo "FAIL: $1: versions '$2', want '$3'"; exit 1; }; }
expect libxenctrl "$(vers libxenctrl.so.4.17)" "VERS_4.17.0"
expect libxenevtchn "$(vers libxenevtchn.so.1)" "VERS_1.0 VERS_1.1 VERS_1.2"
expect libxenforeignmemory "$(vers libxenforeignmemory.so.1)" "VERS_1.0 VERS_1.1 VERS_1.2 VERS_1.3 VERS_1.4"
expect libxenstore "$(vers libxenstore.so.4)" "VERS_4.0"
nm -D --defined-only "$L/libxenctrl.so.4.17" | grep -q ' xc_monitor_enable@@VERS_4.17.0$' ||
	{ echo "FAIL: xc_monitor_enable is not VERS_4.17.0"; exit 1; }
for so in libxenctrl.so libxenevtchn.so libxenforeignmemory.so libxenstore.so; do
	[ -L "$L/$so" ] || { echo "FAIL: $L/$so symlink missing"; exit 1; }
done
soname=$(readelf -d "$L/libxenctrl.so.4.17" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = libxenctrl.so.4.17 ] || { echo "FAIL: soname $soname"; exit 1; }
echo "ok"
