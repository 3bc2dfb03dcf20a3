#!/usr/bin/env bash
# Two domains, one consumer each, at the same time: every domain keeps its
# own ring, counts and pauses.
. "$(dirname "$0")/lib.sh"
xs_start --domain 4:web --domain 9:db --vcpus 2 --stats "$T/stats.json"
minc --domain 4 --count 3000 --check "${MIXED_RESTRICT[@]}" >"$T/d4.json" 2>"$T/d4.err" &
P4=$!; BG_PIDS+=("$P4")
minc --domain 9 --count 2000 --check --wrong-version 1 "${MIXED_RESTRICT[@]}" >"$T/d9.json" 2>"$T/d9.err" ||
	{ cat "$T/d9.err" >&2; die "consumer of domain 9 failed"; }
wait "$P4" || { cat "$T/d4.err" >&2; die "consumer of domain 4 failed"; }
"$XENSIM" --query shutdown >/dev/null
xs_wait || die "xensim exit status $?"
S=$T/stats.json
for d in 4 9; do
	q=".domains[] | select(.domid == $d)"
	expect_eq "domain $d produced = seen" "$(jq "$q | .produced_total" "$S")" "$(jq .requests "$T/d$d.json")"
	expect_eq "domain $d answered" "$(jq "$q | .responses_consumed" "$S")" "$(jq .requests "$T/d$d.json")"
	expect_eq "domain $d ring released" "$(jq "$q | .monitor_enabled" "$S")" false
done
expect_eq "domain 4 nobody paused" "$(jq '.domains[] | select(.domid == 4) | .vcpus_paused_now' "$S")" 0
expect_eq "domain 9 vCPU 1 paused" "$(jq -c '[.vcpus_paused[] | select(.sync) | [.domain, .vcpu]]' "$S")" "[[9,1]]"
expect_eq "names" "$(jq -r '[.domains[].name] | join(",")' "$S")" "web,db"
echo ok
