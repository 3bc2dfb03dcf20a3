#!/bin/bash
# sigint.sh - SIGINT (and SIGTERM) in the middle of a recording: exit 0, a
# complete file with its trailer holding every request xensim produced, one
# response each, and nobody left paused.
set -u
. "$(dirname "$0")/lib.sh"
need_xensim

for sig in INT TERM; do
	xs_start "s$sig" -a 7 -c 4 -w mixed --rate 20000
	"$REC" --sim="$XS_SOCK" -q -d 1 -o "$T/$sig.vmt" --cr cr3:sync --cpuid --breakpoint \
		--guest-request=sync --mem-access 0x2000-0x8000:r 2>"$T/err" &
	pid=$!
	# Mid-run means "after real traffic": wait for it rather than for a
	# fixed time, which a loaded or sanitized build may not fill.
	for _ in $(seq 400); do
		n=$(xs_stats | jq -r .produced_total 2>/dev/null)
		[ "${n:-0}" -ge 2000 ] && break
		sleep 0.05
	done
	kill -"$sig" "$pid"
	wait "$pid"; rc=$?
	[ $rc -eq 0 ] || fail "SIG$sig: exit $rc: $(cat "$T/err")"
	grep -q "ended: signal" "$T/err" || fail "SIG$sig: summary: $(cat "$T/err")"
	j=$(xs_stats); xs_stop
	count "$T/$sig.vmt"
	[ "$(val complete)" = 1 ] || fail "SIG$sig: no trailer: $(cat "$TCOUT")"
	[ "$(val end_cause)" = 1 ] || fail "SIG$sig: end cause $(val end_cause)"
	req=$(val requests)
	[ "$req" -gt 1000 ] || fail "SIG$sig: only $req requests"
	[ "$req" = "$(produced "$j" 1)" ] || fail "SIG$sig: $req recorded, $(produced "$j" 1) produced"
	[ "$(val responses)/$(val bad_pairs)/$(val bad_responses)" = "$req/0/0" ] ||
		fail "SIG$sig: $(cat "$TCOUT")"
	check_unwatched "$j" 1
done
echo ok
