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
	# Every value compared below, from one jq, compact with sorted keys
	# (the per-reason maps compare as maps): a jq start costs more than all
	# the comparisons, and seven tests run this three times each.
	mapfile -t v < <(jq -n -c -S --slurpfile s "$S" --slurpfile m "$M" '
		$s[0] as $S | $m[0] as $M |
		$S.produced_total, $M.requests, $S.responses_consumed,
		$S.responses_rejected, $S.vcpus_paused_now,
		$S.produced_by_reason, $M.by_reason,
		$S.domains[0].produced_by_vcpu, $M.by_vcpu, $M.check_failures,
		$S.reexecuted, $S.refaults, $S.swallowed_traps, $S.denied_writes,
		($S.produced_by_reason | length), $S.blocked_pauses' ||
		echo "jq failed")
	[ "${#v[@]}" = 16 ] || die "$case_: $S or $M is not the JSON expected: ${v[*]}"
	expect_eq "$case_ produced_total" "${v[0]}" "$N"
	expect_eq "$case_ requests seen" "${v[1]}" "$N"
	expect_eq "$case_ responses_consumed" "${v[2]}" "$N"
	expect_eq "$case_ responses_rejected" "${v[3]}" 0
	expect_eq "$case_ vcpus_paused_now" "${v[4]}" 0
	expect_eq "$case_ per-reason" "${v[5]}" "${v[6]}"
	expect_eq "$case_ per-vCPU" "${v[7]}" "${v[8]}"
	expect_eq "$case_ check failures" "${v[9]}" 0
	expect_eq "$case_ reexecuted" "${v[10]}" 0
	expect_eq "$case_ refaults" "${v[11]}" 0
	expect_eq "$case_ swallowed_traps" "${v[12]}" 0
	expect_eq "$case_ denied_writes" "${v[13]}" 0
	# Every monitor the ABI's Xen offers produced traffic.
	reasons=${v[14]}
	min=5; [ "$ABI" -ge 2 ] && min=8; [ "$ABI" -ge 7 ] && min=9
	[ "$reasons" -ge "$min" ] || die "$case_: only $reasons reasons produced"
	# Every source enabled here is synchronous: Xen blocks only a vCPU
	# not already paused for an event (vm_event_put_request).
	expect_eq "$case_ blocked_pauses" "${v[15]}" 0
	echo "ok: $case_"
done
