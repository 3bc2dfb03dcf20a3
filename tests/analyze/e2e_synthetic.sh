#!/bin/bash
# e2e_synthetic.sh - the acceptance cases of vmtrail-analyze on traces
# written by gen_runs through the format library (no xensim timing), so
# statistics and reports are tested end to end through replay even where
# the simulated host is slow or absent.
# tmpfs when there is one: the traces and databases are fsynced
WORK=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TMPDIR=$WORK
GEN=$VMT_BUILD/tests/gen_runs
[ -x "$GEN" ] && [ -x "$VMT_BIN/vmtrail-analyze" ] || { echo "SKIP: gen_runs or vmtrail-analyze not built"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

variant_of() { case $1 in cand-new-msr) echo new-msr;; cand-syscall-2x) echo syscall-2x;;
	cand-new-page) echo new-page;; *) echo base;; esac; }
make_runs() {
	local prefix=$1 variant=$2
	shift 2
	SET=
	for s in "$@"; do
		"$GEN" "$WORK/$prefix-$s.vmt" --seed "$s" --events 8000 --rate 4000 \
			--variant "$(variant_of "$variant")" || exit 1
		SET=${SET:+$SET,}$WORK/$prefix-$s.vmt
	done
}
make_run_vcpus() { "$GEN" "$1" --seed 9 --events 8000 --rate 4000 --vcpus "$2" || exit 1; }
make_run_monitors() {
	"$GEN" "$1" --seed 9 --events 8000 --rate 4000 --monitors \
		"cpuid;cr0;cr4;guest-request:async;mem-access:0x1e00-0x1e00:rw,0x21000-0x210ff:n;msr:0x6e0,0xc0000080,0xc0000081" || exit 1
}
# 8000-event runs hold breakpoint RIPs seen once or twice: below the floor
RARE_EXPECTED=1
LOGIN_PHASE="request 1"
WORK_PHASE="request 2"
. "$VMT_SRC/tests/analyze/compare_cases.sh"
exit $FAILED
