#!/bin/bash
# phases.sh - phase names end to end: xensim prints its scenario's marker
# names, vmtrail-record --phase-names stores them in the header, replay
# shows them (--info, --info --json) and writes the phase_names table, and
# vmtrail-analyze calls the phases boot/login/work, not "request N".  A
# marker sent through the control socket still becomes its own phase.
set -u
. "$(dirname "$0")/lib.sh"
need_xensim
command -v sqlite3 >/dev/null || { echo "sqlite3 shell missing"; exit 77; }
WL="$VMT_SRC/samples/workloads/variants/base.wl"
ANALYZE="$VMT_BIN/vmtrail-analyze"

names=$("$XENSIM" -w "$WL" --phase-names) || fail "xensim --phase-names"
[ "$names" = "0=boot,1=login,2=work" ] || fail "xensim --phase-names: $names"

xs_start ph -c 2 -w "$WL" --paused --rate 20000
"$REC" --sim="$XS_SOCK" -q -d 1 -o "$T/p.vmt" --guest-request --cpuid \
	--msr 0xc0000080,0x6e0 --unpause --phase-names "$names" \
	--control "$T/ctl.sock" 2>"$T/err" &
pid=$!
# at_least N: the recorder has recorded at least N requests.
at_least() {
	local n
	n=$("$REC" stats --control "$T/ctl.sock" 2>/dev/null | jq -r .requests 2>/dev/null)
	[ "${n:-0}" -ge "$1" ]
}
wait_until "3000 requests" 60 at_least 3000
s=$("$REC" mark --control "$T/ctl.sock" checkpoint) || fail "mark failed"
wait_until "requests after the marker" 60 at_least $((s + 500))
kill -INT $pid
reap $pid
expect_rc "$RC" 0 "recorder"
xs_stop

info "$T/p.vmt"
info_is phase_names "0=boot;1=login;2=work"
j=$("$REPLAY" --info --json "$T/p.vmt") || fail "--info --json"
[ "$(jq -r .header.phase_names <<<"$j")" = "0=boot;1=login;2=work" ] ||
	fail "--info --json: $(jq -c .header <<<"$j")"

"$REPLAY" "$T/p.vmt" -o "$T/p.db" 2>"$T/replay.err" || fail "replay: $(cat "$T/replay.err")"
rows=$(sqlite3 "$T/p.db" "SELECT group_concat(code || '=' || name, ',') FROM
	(SELECT code, name FROM phase_names WHERE run_id = 1 ORDER BY code)")
[ "$rows" = "$names" ] || fail "phase_names rows: $rows"
[ "$(sqlite3 "$T/p.db" "SELECT text FROM markers")" = checkpoint ] ||
	fail "the control-socket marker is not in markers"

"$ANALYZE" summary "$T/p.db:1" >"$T/summary.txt" || fail "analyze summary"
sed -n '/^phases /,/^$/p' "$T/summary.txt" >"$T/phases.txt"
for p in boot login work checkpoint; do
	grep -Eq "^  $p +[0-9]" "$T/phases.txt" || fail "no phase $p: $(cat "$T/phases.txt")"
done
! grep -q "request [0-9]" "$T/phases.txt" || fail "unnamed phases: $(cat "$T/phases.txt")"
echo ok
