#!/bin/bash
# withdraw.sh - a marker is either recorded and acknowledged, or refused,
# and a refused marker is never recorded later.  The disk is held by the
# test (iofault's gate), so the drain is provably stuck on a full pipeline
# (stats: waiting_for_disk) while two clients give up:
#   B and C wait for the verdict: one in the mailbox, one queued; both
#   refused after 4 s (exit 1);
#   A sends a marker and hangs up before the answer: withdrawn;
# stats are answered meanwhile.  Then the disk is let go: the drain takes
# whatever is still in the mailbox, a new marker is recorded, and the
# trace holds that one only.
set -u
. "$(dirname "$0")/lib.sh"
need_xensim
[ -e "$IOFAULT" ] || { echo "iofault.so not built"; exit 77; }
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
xs_start w -a 7 -c 2 -w mixed --rate 5000
mkfifo "$T/gate" "$T/hold"
env LD_PRELOAD="$IOFAULT" \
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
	VMT_IOFAULT_PATH="$T/w.vmt" VMT_IOFAULT_GATE="$T/gate" VMT_IOFAULT_DELAY_SKIP=1 \
	"$REC" --sim="$XS_SOCK" -d 1 -o "$T/w.vmt" --cr cr3 --cr cr0 --guest-request \
	--max-stall 600s --control "$T/ctl.sock" 2>"$T/err" &
pid=$!
wait_socket "$T/ctl.sock" "$pid"

stat_of() { "$REC" stats --control "$T/ctl.sock" 2>/dev/null | jq -r ".$1"; }
stat_is() { [ "$(stat_of "$1")" = "$2" ]; }
# The drain waits for a chunk buffer, and none is freed while the gate
# holds the writer (--max-stall 600s: it does not give up either).
held() { stat_is waiting_for_disk 1; }
wait_until "the drain stuck on the held disk" 60 held

# B and C at once: one in the mailbox, one queued behind it; both refused.
for c in B C; do
	"$REC" mark --control "$T/ctl.sock" "lost-$c" >"$T/$c.out" 2>"$T/$c.err" &
	eval "pid_$c=$!"
done
for c in B C; do
	rc=0; eval "wait \$pid_$c" || rc=$?
	[ "$rc" = 1 ] || fail "mark lost-$c: exit $rc: $(cat "$T/$c.out" "$T/$c.err")"
	grep -q "marker not recorded: the recorder did not take it within 4 s" "$T/$c.err" ||
		fail "mark lost-$c: $(cat "$T/$c.err")"
done

# A: the marker is in the mailbox (markers_waiting 1) when A hangs up.
python3 - "$T/ctl.sock" "$T/hold" >"$T/a.out" 2>&1 <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"marker gone-A\n")
open(sys.argv[2]).read()     # until the test says: hang up
s.close()
EOF
apid=$!
wait_until "A's marker waiting" 60 stat_is markers_waiting 1
held || fail "the drain moved while A's marker waited"
timeout 60 sh -c ': >"$1"' sh "$T/hold" || fail "A never waited on its FIFO"
wait "$apid" || fail "client A: $(cat "$T/a.out")"
wait_until "A's marker withdrawn" 60 stat_is markers_waiting 0
held || fail "the drain moved before the clients gave up"
stat_is markers 0 || fail "markers recorded while the disk was held"

# The disk is let go.  Two more drain batches mean one full turn of the
# drain loop, which takes any marker still in the mailbox: a refused one
# not withdrawn would be recorded now.
b0=$(stat_of batches)
timeout 60 sh -c ': >"$1"' sh "$T/gate" || fail "the writer never reached the gate"
batches_ge() { [ "$(stat_of batches)" -ge "$1" ]; }
wait_until "the drain running again" 60 batches_ge $((b0 + 2))
seq=$("$REC" mark --control "$T/ctl.sock" kept 2>"$T/k.err") || fail "mark kept: $(cat "$T/k.err")"
kill -INT "$pid"; reap "$pid"; expect_rc "$RC" 0 "recorder"
count "$T/w.vmt"
grep -qx "marker seq=$seq prev_request=$((seq - 1)) text=kept" "$TCOUT" ||
	fail "marker kept (seq $seq) misplaced: $(grep marker "$TCOUT")"
[ "$(val markers)" = 1 ] || fail "refused markers in the trace: $(grep marker "$TCOUT")"
[ "$(val lost)" = 0 ] || fail "the held disk cost events: $(cat "$TCOUT")"
xs_stop
echo ok
