#!/bin/bash
# matrix.sh - acceptance matrix through xensim: every ABI (VMT_ABI_MIN..
# VMT_ABI_MAX, from CTest; format/'s range) x vCPUs 1, 2, 8 x
# workloads boot, syscall-heavy, memory, mixed, each recorded with
# --max-events N (default 50000; VMT_MATRIX_EVENTS overrides).  Every case:
# requests in the trace == xensim's produced_total, one response per
# request in order, the file complete, and xensim saw a guest that behaved
# as if unwatched (no rejected response, re-execution, refault, swallowed
# trap or denied write) with nobody left paused.
set -u
. "$(dirname "$0")/lib.sh"
need_xensim
N=${VMT_MATRIX_EVENTS:-50000}
ABIS=$(seq "${VMT_ABI_MIN:?set by CTest}" "${VMT_ABI_MAX:?set by CTest}")
CASES=$(( (VMT_ABI_MAX - VMT_ABI_MIN + 1) * 3 * 4 ))

monitors() {  # every source the ABI's Xen release offers
	local m=(--cr cr0:sync --cr cr3:sync,all --cr cr4 --cr xcr0
		--msr 0x1b,0x277,0x6e0,0xc0000080,0xc0000081,0xc0000082,0xc0000100,0xc0000102
		--breakpoint --guest-request=sync
		--mem-access 0x1e00:rw --mem-access 0x2000-0x8000:r
		--mem-access 0x10000-0x30000:r --mem-access 0x38000-0x3ffff:rw)
	[ "$1" -ge 2 ] && m+=(--debug=sync --cpuid --desc-access)
	[ "$1" -ge 7 ] && m+=(--vmexit=sync)
	echo "${m[@]}"
}

# one ABI VCPUS WORKLOAD: record one case and check it (runs as a job).
one() {
	local abi=$1 v=$2 wl=$3 case="abi $1, $2 vCPUs, $3" id="$1-$2-$3"
	local f="$T/$id.vmt" err="$T/$id.err"
	TCOUT="$T/$id.tc"
	xs_start "$id" -a "$abi" -c "$v" -w "$wl"
	# shellcheck disable=SC2046
	rec -d 1 -o "$f" --max-events "$N" $(monitors "$abi") \
		--label "scenario=$wl" 2>"$err" ||
		fail "$case: recorder failed: $(cat "$err")"
	local j; j=$(xs_stats)
	xs_stop
	count "$f"
	# trace_count's KEY=VALUE lines read once (a sed per key is 84 x 9
	# more processes)
	local -A tc; local k x
	while IFS="=" read -r k x; do tc[$k]=$x; done <"$TCOUT"
	local req=${tc[requests]-} made; made=$(produced "$j" 1)
	[ "$req" -ge "$N" ] || fail "$case: only $req requests"
	[ "$req" = "$made" ] || fail "$case: trace has $req requests, xensim produced $made"
	[ "${tc[responses]-}" = "$req" ] || fail "$case: ${tc[responses]-} responses for $req requests"
	[ "${tc[bad_pairs]-}${tc[bad_responses]-}${tc[complete]-}" = "001" ] ||
		fail "$case: $(cat "$TCOUT")"
	[ "${tc[abi]-}/${tc[vcpus]-}" = "$abi/$v" ] || fail "$case: header says ${tc[abi]-}/${tc[vcpus]-}"
	check_unwatched "$j" 1
	rm -f "$f"
}

# Each case is latency-bound (a ring round trip per event), so several run
# side by side; VMT_MATRIX_JOBS sets how many.
J=${VMT_MATRIX_JOBS:-4}
reap() { wait -n; }
for abi in $ABIS; do
	for v in 1 2 8; do
		for wl in boot syscall-heavy memory mixed; do
			while [ "$(jobs -rp | wc -l)" -ge "$J" ]; do reap; done
			# A failing case must not leave its daemon behind: it
			# would hold CTest's output pipe open until the timeout.
			{ ( trap 'for p in $XS_PIDS; do kill "$p" 2>/dev/null; done' EXIT
			    XS_PIDS=""; one "$abi" "$v" "$wl" ) ||
				touch "$T/failed.$abi-$v-$wl"; } &
		done
	done
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do reap; done
failed=$(find "$T" -name 'failed.*' | wc -l)
[ "$failed" -eq 0 ] || fail "$failed of $CASES cases failed (see above)"
echo "ok: $CASES cases x $N events"
