#!/usr/bin/env bash
# --fault: each documented misbehaviour happens exactly as README.md says.
. "$(dirname "$0")/lib.sh"

# domain-die=N: N requests, then ESRCH on notify; the domain reports dying
# until its consumer lets go, then it is gone.
xs_start --vcpus 2 --fault domain-die=300 --stats "$T/die.json"
minc "${MIXED_RESTRICT[@]}" >"$T/die.mc" 2>"$T/die.err" || { cat "$T/die.err" >&2; die "domain-die: consumer failed"; }
expect_eq "domain-die: requests" "$(jq .requests "$T/die.mc")" 300
expect_eq "domain-die: state" "$(xs_stats | jq -r '.domains[0].state')" gone
"$XENSIM" --query shutdown >/dev/null; xs_wait || die "domain-die: xensim status"
expect_eq "domain-die: produced" "$(jq .produced_total "$T/die.json")" 300

# ring-jump=N: after N requests req_prod leaps past the ring; the consumer
# must notice and stop.
xs_start --fault ring-jump=50
rc=0; minc "${MIXED_RESTRICT[@]}" >/dev/null 2>"$T/jump.err" || rc=$?
expect_eq "ring-jump: consumer status" "$rc" 1
grep -q "corrupt ring" "$T/jump.err" || die "ring-jump: not detected: $(cat "$T/jump.err")"
expect_eq "ring-jump: produced" "$(xs_stats | jq .produced_total)" 50
"$XENSIM" --query shutdown >/dev/null; xs_wait || die "ring-jump: xensim status"

# unknown-reason=CODE@I: request I carries CODE.
xs_start --events 100 --fault unknown-reason=77@5 --stats "$T/unk.json"
minc --count 100 --dump "$T/unk.txt" "${MIXED_RESTRICT[@]}" >"$T/unk.mc" 2>/dev/null || die "unknown-reason: consumer failed"
xs_wait || die "unknown-reason: xensim status"
expect_eq "unknown-reason: decoded as unknown" "$(jq '.by_reason.other' "$T/unk.mc")" 1
expect_eq "unknown-reason: request 5" "$(awk '$1 == 6 {print $3}' "$T/unk.txt")" "?"
expect_eq "unknown-reason: counted" "$(jq '.produced_by_reason.other' "$T/unk.json")" 1
expect_eq "unknown-reason: all answered" "$(jq .vcpus_paused_now "$T/unk.json")" 0

# bad-version=V@I: request I says version V; --check flags it.
xs_start --events 100 --fault bad-version=6@3
rc=0; minc --count 100 --check "${MIXED_RESTRICT[@]}" >/dev/null 2>"$T/bad.err" || rc=$?
xs_wait || die "bad-version: xensim status"
expect_eq "bad-version: consumer status" "$rc" 1
grep -q "request 4 .*version 6, ring speaks ${VMT_ABI_MAX:?set by CTest}" "$T/bad.err" || die "bad-version: $(cat "$T/bad.err")"

# slow-evtchn=USEC: every notification arrives USEC late.
xs_start --events 200 --fault slow-evtchn=2000
start=$(date +%s%N)
minc --count 200 "${MIXED_RESTRICT[@]}" >/dev/null 2>&1 || die "slow-evtchn: consumer failed"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
xs_wait || die "slow-evtchn: xensim status"
[ "$ms" -ge 400 ] || die "slow-evtchn: 200 round trips took only $ms ms"
echo ok
