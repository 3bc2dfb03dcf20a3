#!/usr/bin/env bash
# matrix.sh ABI: the minimal consumer against xensim for 1, 2 and 8 vCPUs.
# Nothing lost, nobody left paused, every request consistent with the
# scenario, and xen-access's answers leave the guest's behaviour unchanged.
. "$(dirname "$0")/lib.sh"
ABI=${1:?usage: matrix.sh ABI}
N=${XENSIM_MATRIX_EVENTS:-10000}
for V in 1 2 8; do
	case_="ABI $ABI, $V vCPU(s)"
	xs_start --abi "$ABI" --vcpus "$V" --events "$N" --stats "$T/stats.json" --seed "$V"
	minc --abi "$ABI" --count "$N" --check --cr3 "$(scenario_cr3s mixed)" \
		"${MIXED_RESTRICT[@]}" >"$T/mc.json" 2>"$T/mc.err" ||
		{ cat "$T/mc.err" >&2; die "$case_: min_consumer failed"; }
	xs_wait || die "$case_: xensim exit status $?"
	S=$T/stats.json M=$T/mc.json
	expect_eq "$case_ produced_total" "$(jq .produced_total "$S")" "$N"
	expect_eq "$case_ requests seen" "$(jq .requests "$M")" "$N"
	expect_eq "$case_ responses_consumed" "$(jq .responses_consumed "$S")" "$N"
	expect_eq "$case_ responses_rejected" "$(jq .responses_rejected "$S")" 0
	expect_eq "$case_ vcpus_paused_now" "$(jq .vcpus_paused_now "$S")" 0
	expect_eq "$case_ per-reason" "$(jq -cS .produced_by_reason "$S")" "$(jq -cS .by_reason "$M")"
	expect_eq "$case_ per-vCPU" "$(jq -c '.domains[0].produced_by_vcpu' "$S")" "$(jq -c .by_vcpu "$M")"
	expect_eq "$case_ check failures" "$(jq .check_failures "$M")" 0
	for k in reexecuted refaults swallowed_traps denied_writes; do
		expect_eq "$case_ $k" "$(jq .$k "$S")" 0
	done
	# Every monitor the ABI's Xen offers produced traffic.
	reasons=$(jq '.produced_by_reason | length' "$S")
	min=5; [ "$ABI" -ge 2 ] && min=8; [ "$ABI" -ge 7 ] && min=9
	[ "$reasons" -ge "$min" ] || die "$case_: only $reasons reasons produced"
	# Every source enabled here is synchronous: Xen blocks only a vCPU
	# not already paused for an event (vm_event_put_request).
	expect_eq "$case_ blocked_pauses" "$(jq .blocked_pauses "$S")" 0
	echo "ok: $case_"
done
