#!/bin/bash
# marker.sh - markers through the control socket land in the trace exactly
# where the recorder said (between request SEQ-1 and request SEQ); the
# stats request answers JSON; guest requests are recorded as requests.
set -u
. "$(dirname "$0")/lib.sh"
need_xensim
xs_start m -a 7 -c 2 -w mixed --rate 20000
"$REC" --sim="$XS_SOCK" -q -d 1 -o "$T/m.vmt" --cr cr3 --guest-request --control "$T/ctl.sock" 2>"$T/err" &
pid=$!
wait_socket "$T/ctl.sock" "$pid"
# wait_requests N: until the recorder has recorded more than N requests
more_than() {
	local n
	n=$("$REC" stats --control "$T/ctl.sock" 2>/dev/null | jq -r .requests)
	[ "${n:-0}" -gt "$1" ]
}
wait_requests() { wait_until "more than $1 requests" 60 more_than "$1"; }
wait_requests 0
s1=$("$REC" mark --control "$T/ctl.sock" "phase one") || fail "mark failed"
wait_requests "$s1"
s2=$("$REC" mark --control "$T/ctl.sock" "phase two starts") || fail "mark failed"
st=$("$REC" stats --control "$T/ctl.sock") || fail "stats failed"
[ "$(jq -r '.markers' <<<"$st")" = 2 ] || fail "stats: $st"
[ "$(jq -r '.requests' <<<"$st")" -ge "$s2" ] || fail "stats: $st"
kill -INT $pid; wait $pid || fail "recorder: $(cat "$T/err")"
[ ! -e "$T/ctl.sock" ] || fail "control socket left behind"
[ "$s1" -gt 0 ] && [ "$s2" -gt "$s1" ] || fail "marker seqs $s1 $s2"
count "$T/m.vmt"
grep -qx "marker seq=$s1 prev_request=$((s1 - 1)) text=phase one" "$TCOUT" ||
	fail "marker 1 (seq $s1) misplaced: $(grep marker "$TCOUT")"
grep -qx "marker seq=$s2 prev_request=$((s2 - 1)) text=phase two starts" "$TCOUT" ||
	fail "marker 2 (seq $s2) misplaced: $(grep marker "$TCOUT")"
[ "$(val markers)" = 2 ] || fail "$(cat "$TCOUT")"
"$REC" mark --control "$T/ctl.sock" late 2>/dev/null && fail "marker after the end accepted"
xs_stop
echo ok
