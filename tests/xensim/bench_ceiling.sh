#!/usr/bin/env bash
# bench_ceiling.sh [EVENTS] [VCPUS...]: xensim at --rate max against the
# minimal consumer (ABI 7, mixed workload): the events/s ceiling a consumer
# such as the recorder is compared with.  Not a test: prints figures.
# Run from a build tree: VMT_BIN=build/bin VMT_SRC=. tests/xensim/bench_ceiling.sh
. "$(dirname "$0")/lib.sh"
N=${1:-200000}
shift || true
VCPUS=("$@")
[ ${#VCPUS[@]} -gt 0 ] || VCPUS=(1 4)
for V in "${VCPUS[@]}"; do
	xs_start --abi 7 --vcpus "$V" --rate max --events "$N" --stats "$T/s.json"
	start=$(date +%s%N)
	minc --count "$N" "${MIXED_RESTRICT[@]}" >"$T/mc.json" 2>"$T/mc.err" ||
		{ cat "$T/mc.err" >&2; die "consumer failed"; }
	ns=$(( $(date +%s%N) - start ))
	xs_wait || die "xensim status"
	expect_eq "answered" "$(jq .responses_consumed "$T/s.json")" "$N"
	echo "ABI 7, $V vCPU(s): $N events in $((ns / 1000000)) ms = $((N * 1000000000 / ns)) events/s"
done
