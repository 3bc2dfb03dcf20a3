#!/usr/bin/env bash
# A consumer answering some vCPUs with the wrong version leaves exactly those
# vCPUs paused, and xensim counts every such response as rejected.
. "$(dirname "$0")/lib.sh"
N=3000
xs_start --vcpus 4 --events "$N" --stats "$T/stats.json"
minc --count "$N" --wrong-version 1,3 "${MIXED_RESTRICT[@]}" >"$T/mc.json" 2>"$T/mc.err" ||
	{ cat "$T/mc.err" >&2; die "min_consumer failed"; }
xs_wait || die "xensim exit status $?"
S=$T/stats.json
sent=$(jq .wrong_version_sent "$T/mc.json")
[ "$sent" -ge 2 ] || die "only $sent wrong-version responses sent"
expect_eq "responses_rejected" "$(jq .responses_rejected "$S")" "$sent"
expect_eq "rejected wrong_version" "$(jq .responses_rejected_by_reason.wrong_version "$S")" "$sent"
expect_eq "paused vCPUs" "$(jq -c '[.vcpus_paused[] | select(.sync) | .vcpu] | sort' "$S")" "[1,3]"
expect_eq "vcpus_paused_now" "$(jq .vcpus_paused_now "$S")" 2
expect_eq "responses_consumed" "$(jq .responses_consumed "$S")" "$N"
echo ok
