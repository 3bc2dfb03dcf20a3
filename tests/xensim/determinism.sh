#!/usr/bin/env bash
# Same seed: byte-identical request streams per vCPU (over their common
# length, since how far each vCPU gets depends on timing).  Other seed:
# different streams.
. "$(dirname "$0")/lib.sh"
run() {  # run SEED DIR
	mkdir -p "$2"
	xs_start --vcpus 2 --seed "$1" --events 4000
	minc --count 4000 --raw-dir "$2" "${MIXED_RESTRICT[@]}" >/dev/null 2>"$T/mc.err" ||
		{ cat "$T/mc.err" >&2; die "min_consumer failed"; }
	xs_wait || die "xensim exit status $?"
}
common() { # common A B: bytes both files have
	local a b; a=$(stat -c %s "$1"); b=$(stat -c %s "$2")
	echo $((a < b ? a : b))
}
run 7 "$T/a"; run 7 "$T/b"; run 8 "$T/c"
for v in 0 1; do
	n=$(common "$T/a/vcpu$v.bin" "$T/b/vcpu$v.bin")
	[ "$n" -ge $((1000 * 400)) ] || die "vCPU $v: only $n common bytes"
	cmp -n "$n" "$T/a/vcpu$v.bin" "$T/b/vcpu$v.bin" || die "vCPU $v: seed 7 twice differs"
	n=$(common "$T/a/vcpu$v.bin" "$T/c/vcpu$v.bin")
	if cmp -s -n "$n" "$T/a/vcpu$v.bin" "$T/c/vcpu$v.bin"; then die "vCPU $v: seeds 7 and 8 agree"; fi
done
echo ok
