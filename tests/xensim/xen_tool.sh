#!/usr/bin/env bash
# xen_tool (tests/xensim/xen_tool.c): built against Debian's libxen-dev 4.17
# headers, linked to Debian's sonames, run against xensim's libraries with
# every symbol bound at load.  Each mode goes through calls a real monitor
# makes; xensim's counts show what they did to the guest.
. "$(dirname "$0")/lib.sh"
TOOL=$VMT_BIN/xen_tool
[ -x "$TOOL" ] || { echo "SKIP: xen_tool not built"; exit 77; }
for so in libxenctrl.so.4.17 libxenevtchn.so.1; do
	readelf -d "$TOOL" | grep -q "NEEDED.*\[$so\]" || die "xen_tool does not need $so"
done
# No missing symbol (LD_BIND_NOW) and no loader warning such as "no version
# information available": the tool's stderr must stay empty.
tool() {
	local rc=0
	LD_LIBRARY_PATH=$VMT_LIB/xensim LD_BIND_NOW=1 timeout 60 "$TOOL" "$@" \
		>"$T/tool.out" 2>"$T/tool.err" || rc=$?
	[ ! -s "$T/tool.err" ] || die "xen_tool $*: $(cat "$T/tool.err")"
	expect_eq "xen_tool $* status" "$rc" 0
}
# The host speaks the ABI of the headers the tool was built against (4.17:
# 7), not xensim's newest, so a newer ABI in format/ changes nothing here.
XT_ABI=$(LD_LIBRARY_PATH=$VMT_LIB/xensim "$TOOL" abi) || die "xen_tool abi failed"
xs_tool_host() { xs_start --abi "$XT_ABI" "$@"; }
dom() { xs_stats | jq ".domains[0].$1"; }
# holds JQ-CONDITION: the daemon's stats satisfy it (for lib.sh wait_for).
holds() { [ "$(xs_stats | jq "$1")" = true ]; }
settled() { expect_eq "$1: vcpus_paused_now" "$(dom vcpus_paused_now)" 0
	    expect_eq "$1: ring left" "$(dom monitor_enabled)" false; }

# Every gfn of a 4 GiB guest restricted in one call; 10,000 distinct pages
# relaxed one per event; the tables grow with the gfns set.
sed 's/^name memory$/name memory\nmemory 1048576/' "$WL/memory.wl" >"$T/mem4g.wl"
xs_tool_host --workload "$T/mem4g.wl"
expect_eq "empty access table" "$(dom p2m_bytes)" $((256 * 8))
tool pages 10000
expect_eq "pages relaxed" "$(cat "$T/tool.out")" "relaxed 10000"
expect_eq "pages: refaults" "$(dom refaults)" 0
expect_eq "whole guest set" "$(dom p2m_bytes)" $((256 * 8 + 256 * 4096))
settled pages
"$XENSIM" --query shutdown >/dev/null; xs_wait || die "xensim status"

# access_required: a violation nobody listens to crashes the domain; without
# it the page is relaxed and the guest runs on.
xs_tool_host --workload memory
tool required on
wait_for "crash with access required" holds '.domains[0].crashed'
expect_eq "required on: state" "$(dom state)" '"gone"'
expect_eq "required on: access_crashes" "$(dom access_crashes)" 1
"$XENSIM" --query shutdown >/dev/null; xs_wait || die "xensim status"
xs_tool_host --workload memory
tool required off
wait_for "pages relaxed without a listener" holds '.domains[0].access_relaxed > 10'
expect_eq "required off: state" "$(dom state)" '"running"'
expect_eq "required off: crashed" "$(dom crashed)" false
"$XENSIM" --query shutdown >/dev/null; xs_wait || die "xensim status"

# altp2m (xen-access's write flow), CPUID with SET_REGISTERS, asynchronous
# requests, and the teardown on SIGTERM.
xs_tool_host --vcpus 2
tool altp2m 200
read -r _ mem ss <"$T/tool.out"
[ "$mem" -ge 200 ] && [ "$ss" -ge 200 ] || die "altp2m events: $(cat "$T/tool.out")"
[ "$(dom altp2m_switches)" -ge $((mem + ss)) ] || die "altp2m_switches $(dom altp2m_switches)"
[ "$(dom remapped_accesses)" -gt 0 ] || die "no access through the remapped gfn"
expect_eq "altp2m: refaults" "$(dom refaults)" 0
expect_eq "altp2m: views left" "$(dom altp2m_views)" 0
expect_eq "altp2m: active" "$(dom altp2m_active)" false
settled altp2m
sets=$(dom register_sets) re=$(dom reexecuted)
tool cpuid 300
expect_eq "cpuid: register_sets" $(( $(dom register_sets) - sets )) 300
# Only the requests the teardown answers plainly run again (one per vCPU).
[ $(( $(dom reexecuted) - re )) -le 2 ] || die "cpuid re-executed $(dom reexecuted)"
settled cpuid
"$XENSIM" --query shutdown >/dev/null; xs_wait || die "xensim status"

xs_tool_host --vcpus 8
tool async 2000
[ "$(dom blocked_pauses)" -gt 0 ] || die "8 vCPUs, async requests: never blocked"
settled async
LD_LIBRARY_PATH=$VMT_LIB/xensim timeout 60 "$TOOL" signal >"$T/sig.out" 2>"$T/sig.err" &
pid=$!
BG_PIDS+=("$pid")
wait_for "breakpoints flowing" holds '.domains[0].produced_by_reason.software_breakpoint > 100'
kill -TERM "$pid"
rc=0; wait "$pid" || rc=$?
expect_eq "SIGTERM teardown status" "$rc" 0
settled signal
"$XENSIM" --query shutdown >/dev/null; xs_wait || die "xensim status"
echo ok
