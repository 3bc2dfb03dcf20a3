#!/bin/bash
# faults.sh - a misbehaving host: a producer index far past the ring, a
# request of another ABI version (both: stop safely, say so, exit 1, file
# complete with a NOTE), and a domain that dies (exit 0, "domain gone").
set -u
. "$(dirname "$0")/lib.sh"
need_xensim

for f in ring-jump=500 bad-version=5@300; do
	xs_start "f${f%%=*}" -a 7 -c 2 -w mixed --fault "$f"
	rec -d 1 -o "$T/f.vmt" -f --cr cr3 --cpuid --guest-request 2>"$T/err"
	rc=$?
	[ $rc -eq 1 ] && grep -q "ring fault" "$T/err" || fail "$f: exit $rc: $(cat "$T/err")"
	count "$T/f.vmt"
	[ "$(val complete)" = 1 ] && [ "$(val end_cause)" = 4 ] && [ "$(val notes)" -ge 2 ] ||
		fail "$f: $(cat "$TCOUT")"
	xs_stop
done

xs_start die -a 6 -c 2 -w mixed --fault domain-die=2000
rec -d 1 -o "$T/d.vmt" --cr cr3 --cpuid --guest-request 2>"$T/err" ||
	fail "domain death: $(cat "$T/err")"
grep -q "ended: domain gone" "$T/err" || fail "summary: $(cat "$T/err")"
count "$T/d.vmt"
[ "$(val complete)" = 1 ] && [ "$(val requests)" -ge 2000 ] || fail "$(cat "$TCOUT")"
xs_stop
echo ok
