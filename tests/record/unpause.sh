#!/bin/bash
# unpause.sh - recording from the first instruction: xensim --paused keeps
# its guest still until vmtrail-record --unpause, which unpauses it once the
# monitors are on, so the trace starts with each vCPU's first request (the
# boot phase marker) and two recordings with one seed hold the same
# per-vCPU request streams; --unpause on a running domain is refused
# before anything is touched.
set -u
. "$(dirname "$0")/lib.sh"
need_xensim
WL="$VMT_SRC/samples/workloads/variants/base.wl"
MON=(--guest-request --cpuid --msr 0xc0000080,0x6e0 --breakpoint)

# streams FILE: per vCPU, the reason and rax/rip of its first 150 requests.
streams() {
	"$REPLAY" "$1" --format jsonl | jq -c 'select(.record == "event")
		| [.vcpu, .reason, .rax, .rip]' |
		awk -F, '{ n[$1]++ } n[$1] <= 150' | sort -s -t, -k1,1
}

# 1. A running domain: refused, exit 1, no file, no ring, nothing produced.
xs_start run -c 2 -w "$WL"
rec -d 1 -o "$T/r.vmt" "${MON[@]}" --unpause 2>"$T/err"
expect_rc $? 1 "--unpause on a running domain"
expect_err "domain 1 is not paused"
expect_err "xensim --paused"
expect_lines 1
[ ! -e "$T/r.vmt" ] || fail "a trace file was created"
j=$(xs_stats)
[ "$(jq -r '.domains[0].monitor_enabled' <<<"$j")" = false ] ||
	fail "the refusal enabled the ring"
[ "$(produced "$j" 1)" = 0 ] || fail "the refusal let the guest run"
xs_stop

# 2. Usage: --unpause belongs to a recording.
rec -d 1 --release --unpause 2>"$T/err"
expect_rc $? 2 "--unpause with --release"
expect_err "not with --release"

# 3. A paused domain stays paused for a recorder without --unpause.
xs_start p -c 2 -w "$WL" --paused
rec -d 1 -o "$T/still.vmt" "${MON[@]}" --duration 200ms 2>"$T/err"
expect_rc $? 0 "recording a paused domain"
[ "$(produced "$(xs_stats)" 1)" = 0 ] || fail "a paused domain produced"

# 4. --unpause: each vCPU's first request is its boot marker (code 0, from
# ring 0), and the unpause dropped the one pause: a second --unpause is
# refused because the domain now runs.
rec -d 1 -o "$T/a.vmt" "${MON[@]}" --max-events 2000 --unpause 2>"$T/err"
expect_rc $? 0 "--unpause on a paused domain"
count "$T/a.vmt"
[ "$(val requests)" -ge 2000 ] && [ "$(val bad_pairs)" = 0 ] || fail "$(cat "$TCOUT")"
first=$("$REPLAY" "$T/a.vmt" --format jsonl | jq -c 'select(.record == "event")
	| [.vcpu, .reason_name, .rax, .rbx]' | awk -F, '!seen[$1]++' | sort)
[ "$first" = "$(printf '[0,"guest_request",0,5655892]\n[1,"guest_request",0,5655892]')" ] ||
	fail "the trace does not start at each vCPU's boot marker: $first"
rec -d 1 -o "$T/again.vmt" "${MON[@]}" --unpause 2>"$T/err"
expect_rc $? 1 "a second --unpause"
expect_err "domain 1 is not paused"
xs_stop

# 5. Same seed, both paused: the same per-vCPU streams, whatever the timing.
xs_start p2 -c 2 -w "$WL" --paused
rec -d 1 -o "$T/b.vmt" "${MON[@]}" --max-events 2000 --unpause 2>"$T/err"
expect_rc $? 0 "second paused recording"
xs_stop
streams "$T/a.vmt" >"$T/a.txt"
streams "$T/b.vmt" >"$T/b.txt"
[ "$(wc -l <"$T/a.txt")" = 300 ] || fail "fewer than 150 requests a vCPU: $(wc -l <"$T/a.txt")"
cmp -s "$T/a.txt" "$T/b.txt" || fail "two paused recordings differ: $(diff "$T/a.txt" "$T/b.txt" | head -5)"
echo ok
