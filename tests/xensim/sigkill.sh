#!/usr/bin/env bash
# A consumer killed with SIGKILL leaves what Xen leaves: the ring enabled,
# the vCPUs of its unanswered synchronous requests paused, EBUSY for a new
# enable.  xc_monitor_disable from a new process works, after which a new
# consumer records again while the old vCPUs stay paused.  With more vCPUs
# than slots, disable says EBUSY while a vCPU waits for ring space.
. "$(dirname "$0")/lib.sh"
# Killed mid-run: whatever was on the ring unanswered keeps its vCPU paused
# (every source min_consumer enables is synchronous, so paused vCPUs =
# requests produced but not answered), and the ring stays.
xs_start --vcpus 4
"$MINC" "${MIXED_RESTRICT[@]}" >/dev/null 2>&1 &
MC=$!; BG_PIDS+=("$MC")
produced_over() { [ "$(xs_stats | jq .produced_total)" -gt "$1" ]; }
wait_for "2000 requests" produced_over 2000
kill -9 "$MC"; wait "$MC" 2>/dev/null || true
xs_stats >"$T/s0.json"
expect_eq "mid-run: ring still enabled" "$(jq '.domains[0].monitor_enabled' "$T/s0.json")" true
expect_eq "mid-run: paused = unanswered" "$(jq '[.vcpus_paused[] | select(.sync)] | length' "$T/s0.json")" \
	"$(jq '.domains[0].req_prod - .domains[0].rsp_cons' "$T/s0.json")"
"$XENSIM" --query shutdown >/dev/null; xs_wait || die "xensim exit status"

xs_start --vcpus 4
# vCPUs 0 and 1 are never answered; the rest is answered, then the consumer
# switches its sources off, so only 0 and 1 hold requests when it dies.
"$MINC" --hang 0,1 --quiesce-after 2000 "${MIXED_RESTRICT[@]}" >"$T/mc1.out" 2>"$T/mc1.err" &
MC=$!; BG_PIDS+=("$MC")
wait_for "quiesced first consumer" grep -q quiesced "$T/mc1.out"
kill -9 "$MC"; wait "$MC" 2>/dev/null || true
xs_stats >"$T/s1.json"
expect_eq "ring still enabled" "$(jq '.domains[0].monitor_enabled' "$T/s1.json")" true
expect_eq "paused after kill" "$(jq -c '[.vcpus_paused[] | select(.sync) | .vcpu] | sort' "$T/s1.json")" "[0,1]"
rc=0; minc --count 10 >/dev/null 2>"$T/mc2.err" || rc=$?
expect_eq "enable after kill (3 = EBUSY)" "$rc" 3
minc --disable-only 2>"$T/dis.err" || die "disable from a new process: $(cat "$T/dis.err")"
expect_eq "ring after disable" "$(xs_stats | jq '.domains[0].monitor_enabled')" false
minc --count 2000 --check --cr3 "$(scenario_cr3s mixed)" "${MIXED_RESTRICT[@]}" \
	>"$T/mc3.json" 2>"$T/mc3.err" || { cat "$T/mc3.err" >&2; die "new consumer failed"; }
xs_stats >"$T/s3.json"
[ "$(jq .requests "$T/mc3.json")" -ge 2000 ] || die "new consumer saw too little"
expect_eq "vCPUs 0,1 produced nothing more" \
	"$(jq -c '.domains[0].produced_by_vcpu[0:2]' "$T/s3.json")" \
	"$(jq -c '.domains[0].produced_by_vcpu[0:2]' "$T/s1.json")"
expect_eq "still paused" "$(jq -c '[.vcpus_paused[] | select(.sync) | .vcpu] | sort' "$T/s3.json")" "[0,1]"
"$XENSIM" --query shutdown >/dev/null; xs_wait || die "xensim exit status"

# Ring full: 9 vCPUs, nothing answered -> 8 requests on the ring, the 9th
# vCPU waits for space, and disable is refused while it waits.
xs_start --vcpus 9
"$MINC" --hang 0,1,2,3,4,5,6,7,8 --quiesce-after 8 "${MIXED_RESTRICT[@]}" >"$T/mc4.out" 2>"$T/mc4.err" &
MC=$!; BG_PIDS+=("$MC")
wait_for "quiesced consumer" grep -q quiesced "$T/mc4.out"
kill -9 "$MC"; wait "$MC" 2>/dev/null || true
xs_stats >"$T/s4.json"
expect_eq "ring full waits" "$(jq .ring_full_waits "$T/s4.json")" 1
rc=0; minc --disable-only 2>/dev/null || rc=$?
expect_eq "disable while a vCPU waits for space (3 = EBUSY)" "$rc" 3
echo ok
