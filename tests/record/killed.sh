#!/bin/bash
# killed.sh - SIGKILL mid-run: the file is readable up to its last flushed
# chunk (the 100 ms flush interval bounds the loss), a new recorder gets
# EBUSY with an explanation naming --release, --release clears the stale
# ring, and a new recording starts.
set -u
. "$(dirname "$0")/lib.sh"
need_xensim
RATE=5000

# Asynchronous sources only: a killed recorder leaves no vCPU paused on an
# unanswered synchronous event, so the new recording sees traffic.
xs_start k -a 7 -c 2 -w mixed --rate $RATE
"$REC" --sim="$XS_SOCK" -q -d 1 -o "$T/k.vmt" --cr cr3 --cr cr0 --cr cr4 --guest-request 2>"$T/err" &
pid=$!
sleep 1.2
kill -KILL "$pid"
wait "$pid" 2>/dev/null
j=$(xs_stats)
count "$T/k.vmt"
[ "$(val complete)" = 0 ] || fail "a killed recorder wrote a trailer?"
[ "$(val damaged)" = 0 ] || fail "damaged chunks: $(cat "$TCOUT")"
req=$(val requests); made=$(produced "$j" 1)
# Lost: at most one flush interval (100 ms) of requests, plus one batch.
[ "$req" -gt 0 ] && [ $((made - req)) -le $((RATE / 10 + 600)) ] ||
	fail "killed: $req requests in the file, $made produced"
[ "$(val bad_pairs)" = 0 ] || fail "killed: $(cat "$TCOUT")"

rec -d 1 -o "$T/k2.vmt" --cr cr3 --max-events 100 2>"$T/err2"
rc=$?
[ $rc -eq 1 ] || fail "second recorder exited $rc"
grep -q "EBUSY" "$T/err2" && grep -q -- "--release" "$T/err2" ||
	fail "no EBUSY explanation: $(cat "$T/err2")"
[ ! -e "$T/k2.vmt" ] || fail "a failed attach left a file"

rec -d 1 --release 2>"$T/err3" || fail "--release failed: $(cat "$T/err3")"
rec -d 1 -o "$T/k3.vmt" --cr cr3 --guest-request --max-events 200 2>"$T/err4" ||
	fail "recording after --release failed: $(cat "$T/err4")"
count "$T/k3.vmt"
[ "$(val complete)" = 1 ] && [ "$(val requests)" -ge 200 ] ||
	fail "after --release: $(cat "$TCOUT")"
xs_stop
echo ok
