#!/usr/bin/env bash
# The command line: help, version, usage errors (exit 2), runtime errors
# naming the file and problem (exit 1), and every shipped scenario running.
. "$(dirname "$0")/lib.sh"
"$XENSIM" --help | grep -q -- "--workload" || die "--help"
"$XENSIM" --version | grep -q "^xensim (vmtrail) " || die "--version"
for bad in "--abi $((${VMT_ABI_MAX:?set by CTest} + 1))" "--vcpus 0" "--domain 0" "--rate fast" "--fault nosuch" "--query x" "extra"; do
	rc=0; $XENSIM $bad 2>"$T/err" || rc=$?
	expect_eq "xensim $bad" "$rc" 2
	grep -q "Try 'xensim --help'" "$T/err" || die "xensim $bad: no hint"
done
rc=0; "$XENSIM" --workload nosuch 2>"$T/err" || rc=$?
expect_eq "unknown workload" "$rc" 1
grep -q "no workload named 'nosuch'" "$T/err" || die "unknown workload message"
printf 'process a cr3=1 code=0x1000-0x2000 gfn=1\nphase p\n  cpuid 1 colour=red\n' >"$T/bad.wl"
rc=0; "$XENSIM" --workload "$T/bad.wl" 2>"$T/err" || rc=$?
expect_eq "bad scenario" "$rc" 1
grep -q "bad.wl:3: cpuid: unknown key 'colour'" "$T/err" || die "bad scenario message: $(cat "$T/err")"
# --phase-names: each phase's marker code is its number; no daemon starts.
expect_eq "phase names" "$("$XENSIM" --workload boot --phase-names)" "0=firmware,1=kernel-init,2=userspace"
expect_eq "phase names -P" "$("$XENSIM" -w "$VMT_SRC/samples/workloads/variants/base.wl" -P)" "0=boot,1=login,2=work"
rc=0; "$XENSIM" --workload nosuch --phase-names 2>"$T/err" || rc=$?
expect_eq "phase names of an unknown workload" "$rc" 1
rc=0; "$XENSIM" --query stats 2>"$T/err" || rc=$?
expect_eq "query without daemon" "$rc" 1
# A second daemon on a live socket is refused.
xs_start
rc=0; "$XENSIM" 2>"$T/err" || rc=$?
expect_eq "socket in use" "$rc" 1
grep -q "another xensim" "$T/err" || die "socket in use message"
"$XENSIM" --query shutdown >/dev/null; xs_wait || die "shutdown status"
# Every shipped scenario runs and its requests match it.
for w in idle boot syscall-heavy memory mixed; do
	xs_start --vcpus 2 --workload "$w" --rate max --events 1000 --stats "$T/$w.json"
	minc --count 1000 --check --cr3 "$(scenario_cr3s "$w")" \
		--restrict 0x1e00=rw --restrict 0x2000-0x8000=r --restrict 0x10000-0x70000=rx \
		>"$T/$w.mc" 2>"$T/$w.err" || { cat "$T/$w.err" >&2; die "workload $w"; }
	xs_wait || die "workload $w: xensim status"
	expect_eq "$w produced" "$(jq .produced_total "$T/$w.json")" 1000
	expect_eq "$w answered" "$(jq .responses_consumed "$T/$w.json")" 1000
	expect_eq "$w scenario name" "$(jq -r .workload "$T/$w.json")" "$w"
done
# --rate is honoured: 100 requests at 500/s take at least ~0.2 s.
xs_start --rate 500 --events 100
start=$(date +%s%N)
minc --count 100 "${MIXED_RESTRICT[@]}" >/dev/null 2>&1 || die "rate: consumer failed"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
xs_wait || die "rate: xensim status"
[ "$ms" -ge 150 ] || die "rate 500/s: 100 requests in $ms ms"
echo ok
