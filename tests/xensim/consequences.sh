#!/usr/bin/env bash
# What responses do to the guest, as on Xen: xensim's counts prove whether a
# consumer left the guest's behaviour unchanged.
. "$(dirname "$0")/lib.sh"
# run NAME N CONSUMER-ARGS...: one daemon + consumer; stats in $T/NAME.json
run() {
	local name=$1 n=$2; shift 2
	xs_start --vcpus 1 --events "$n" --stats "$T/$name.json"
	minc --count "$n" "$@" >"$T/$name.mc" 2>"$T/$name.err" ||
		{ cat "$T/$name.err" >&2; die "$name: min_consumer failed"; }
	xs_wait || die "$name: xensim exit status $?"
}
get() { local f=$1; shift; jq "$@" "$T/$f.json"; }

# CPUID answered without rip advanced: the same CPUID runs again.
run cpuid 50 --minimal --monitors cpuid --dump "$T/cpuid.txt"
expect_eq "reexecuted" "$(get cpuid .reexecuted)" 50
expect_eq "only enabled monitors produce" "$(get cpuid -c '.produced_by_reason | keys')" '["cpuid"]' 
expect_eq "the same CPUID each time" "$(cut -d' ' -f5- "$T/cpuid.txt" | sort -u | wc -l)" 1
# mem_access answered with neither EMULATE nor relaxed access faults again.
run access 50 --minimal --monitors none "${MIXED_RESTRICT[@]}" --dump "$T/access.txt"
expect_eq "refaults" "$(get access .refaults)" 50
expect_eq "restrictions alone: mem_access only" "$(get access -c '.produced_by_reason | keys')" '["mem_access"]' 
expect_eq "the same access each time" "$(cut -d' ' -f5- "$T/access.txt" | sort -u | wc -l)" 1
# Breakpoints and #DB not re-injected are swallowed.
run traps 100 --minimal --monitors breakpoint,debug
expect_eq "swallowed_traps" "$(get traps .swallowed_traps)" 100
expect_eq "reinjected_traps" "$(get traps .reinjected_traps)" 0
# DENY keeps MSR and CR writes from happening; CR3 stays consistent.
run deny 1000 --deny --check --monitors cr0,cr3,cr4,xcr0,msr
w=$(jq '(.by_reason.mov_to_msr // 0) + (.by_reason.write_ctrlreg // 0)' "$T/deny.mc")
expect_eq "denied_writes" "$(get deny .denied_writes)" "$w"
# TOGGLE_SINGLESTEP: a SINGLESTEP event before every instruction from then on.
run ss 400 --toggle-singlestep --monitors cpuid,singlestep
[ "$(jq '.by_reason.singlestep // 0' "$T/ss.mc")" -ge 150 ] || die "singlestep: $(cat "$T/ss.mc")"
# GET_NEXT_INTERRUPT: the next step reports an interrupt.
run irq 400 --next-interrupt --monitors cpuid
expect_eq "interrupts follow cpuid answers" \
	"$(jq '(.by_reason.interrupt // 0) >= 150' "$T/irq.mc")" true
# xen-access's answers: nothing re-executed, refaulted or swallowed.
run neutral 3000 --check "${MIXED_RESTRICT[@]}"
for k in reexecuted refaults swallowed_traps denied_writes; do
	expect_eq "neutral $k" "$(get neutral .$k)" 0
done
expect_eq "register_sets" "$(get neutral .register_sets)" "$(jq '.by_reason.cpuid' "$T/neutral.mc")"
expect_eq "reinjected_traps" "$(get neutral .reinjected_traps)" \
	"$(jq '(.by_reason.software_breakpoint // 0) + (.by_reason.debug_exception // 0)' "$T/neutral.mc")"
echo ok
