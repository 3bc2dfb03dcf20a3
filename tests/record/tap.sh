#!/usr/bin/env bash
# tap.sh CASE: vmtrail-record --tap around another consumer, on xensim
# (record/README.md "Tap").  Each case checks the trace against xensim's
# own counts: requests = produced_total, responses = responses_consumed,
# the responses' bytes against xensim's responses_digest, no vCPU left
# paused, and COMMAND's exit status passed through.
. "$(dirname "$0")/lib.sh"
need_xensim
MINC="$VMT_BIN/min_consumer"
DLC="$VMT_BUILD/tests/dl_consumer"
CHECK="$VMT_BUILD/tests/tap_check"
[ -x "$MINC" ] && [ -x "$DLC" ] && [ -x "$CHECK" ] &&
	[ -e "$VMT_LIB/tap/libxenctrl.so.4.17" ] || { echo "tap not built"; exit 77; }

# tap ARGS... -- COMMAND...: the tapped recording, in the foreground.
tap() { timeout 120 "$REC" --tap --sim="$XS_SOCK" -q "$@"; }

# tc TRACE [RAW]: tap_check's output into $TCOUT; then val KEY.
tc() { "$CHECK" "$@" >"$TCOUT" || fail "$1: $(cat "$TCOUT")"; }

# agree CASE STATS: the trace (already in $TCOUT) matches xensim's stats.
agree() {
	local c="$1" s="$2"
	[ "$(val requests)" = "$(jq .produced_total "$s")" ] ||
		fail "$c: $(val requests) requests recorded, xensim produced $(jq .produced_total "$s"): $(tr '\n' ' ' <"$TCOUT")"
	[ "$(val responses)" = "$(jq .responses_consumed "$s")" ] ||
		fail "$c: $(val responses) responses recorded, xensim consumed $(jq .responses_consumed "$s")"
	[ "$(val responses_digest)" = "$(jq -r .responses_digest "$s")" ] ||
		fail "$c: recorded responses differ from what xensim consumed"
	[ "$(jq .vcpus_paused_now "$s")" = 0 ] || fail "$c: vCPUs left paused"
	[ "$(jq .responses_rejected "$s")" = 0 ] || fail "$c: responses rejected"
	[ "$(val seq_errors)/$(val orphan_responses)/$(val lost)" = 0/0/0 ] ||
		fail "$c: $(cat "$TCOUT")"
	[ "$(val complete)/$(val tapped)" = 1/1 ] || fail "$c: $(cat "$TCOUT")"
}

# The reference consumer for each ABI layout family and 1 or 4 vCPUs; a
# consumer whose checks fail must see its status come back.
case_matrix() {
	local n=3000 abi v
	for abi in 1 4 7; do
		for v in 1 4; do
			local c="ABI $abi, $v vCPU(s)"
			xs_start m -a "$abi" -c "$v" -n "$n" --seed "$v" -o "$T/s.json"
			tap -o "$T/m.vmt" -f -- "$MINC" --abi "$abi" --count "$n" \
				>"$T/mc.json" 2>"$T/err" || fail "$c: exit $?: $(cat "$T/err")"
			wait "$XS_PID" || fail "$c: xensim exit $?"
			tc "$T/m.vmt"
			agree "$c" "$T/s.json"
			[ "$(val abi)/$(val vcpus)" = "$abi/$v" ] || fail "$c: header $(cat "$TCOUT")"
			[ "$(jq .requests "$T/mc.json")" = "$n" ] || fail "$c: consumer saw $(jq .requests "$T/mc.json")"
			echo "ok: $c"
		done
	done
	# Exit status: --check against a CR3 no process has fails the run.
	xs_start x -a 7 -c 1 -n 500 -o "$T/s.json"
	local rc=0
	tap -o "$T/x.vmt" -- "$MINC" --count 500 --check --cr3 0x1 >/dev/null 2>"$T/err" || rc=$?
	wait "$XS_PID" || true
	expect_rc "$rc" 1 "failing consumer"
	tc "$T/x.vmt"
	agree "failing consumer" "$T/s.json"
	echo "ok: exit status passed through"
}

# A consumer that dlopens libxenctrl.so and libxenevtchn.so by name.
case_dlopen() {
	local v
	for v in 1 4; do
		xs_start d -a 7 -c "$v" -n 2000 -w mixed -o "$T/s.json"
		tap -o "$T/d.vmt" -f -- "$DLC" 1 2000 >"$T/dl.out" 2>"$T/err" ||
			fail "dlopen, $v vCPU(s): exit $?: $(cat "$T/err")"
		wait "$XS_PID" || fail "xensim exit $?"
		tc "$T/d.vmt"
		agree "dlopen, $v vCPU(s)" "$T/s.json"
		[ "$(val requests)" -ge 2000 ] || fail "dlopen: $(cat "$TCOUT")"
		echo "ok: dlopen, $v vCPU(s)"
	done
}

# --compress-after: the same agreement with xensim, and the trace that
# takes FILE's place is the zstd copy, with nothing left beside it.
case_compress_after() {
	local v
	for v in 1 2; do
		local c="--compress-after, $v vCPU(s)"
		xs_start a -a 7 -c "$v" -n 3000 -w mixed -o "$T/s.json"
		tap --compress-after -o "$T/a.vmt" -f -- "$MINC" --count 3000 \
			>/dev/null 2>"$T/err" || fail "$c: exit $?: $(cat "$T/err")"
		wait "$XS_PID" || fail "$c: xensim exit $?"
		tc "$T/a.vmt"
		agree "$c" "$T/s.json"
		"$REPLAY" --info --json "$T/a.vmt" >"$T/info.json" || fail "$c: --info"
		[ "$(jq .header.codec "$T/info.json")" = 0 ] || fail "$c: codec $(jq .header.codec "$T/info.json")"
		[ -z "$(ls "$T" | grep '^a\.vmt\.')" ] || fail "$c: left $(ls "$T")"
		echo "ok: $c"
	done
}

# SIGKILL of COMMAND mid-run: the trace stays readable and its requests
# are, byte for byte, the first ones the same seed produces untapped.
case_sigkill() {
	local max=20000
	xs_start ref -a 7 -c 1 -n "$max" --seed 11
	mkdir -p "$T/ref"
	VMT_XENSIM_SOCKET="$XS_SOCK" "$MINC" --count "$max" --raw-dir "$T/ref" >/dev/null 2>"$T/err" ||
		fail "reference run: $(cat "$T/err")"
	wait "$XS_PID" || true
	# Paced, so that the kill lands mid-run (the pace does not change
	# what a vCPU produces, only when).
	xs_start k -a 7 -c 1 -n "$max" --rate 5000 --seed 11
	# In the background without a wrapper, so $! is the recorder itself.
	"$REC" --tap --sim="$XS_SOCK" -q -o "$T/k.vmt" -- "$MINC" >/dev/null 2>"$T/err" &
	local rpid=$! cpid
	wait_until "1000 requests" 60 produced_at_least 1000
	cpid=$(pgrep -P "$rpid" | head -1)
	[ -n "$cpid" ] || fail "no COMMAND process under $rpid"
	kill -KILL "$cpid"
	reap "$rpid"
	expect_rc "$RC" 137 "SIGKILL of COMMAND"
	local produced; produced=$(xs_stats | jq .produced_total)
	xs_stop
	tc "$T/k.vmt" "$T/k.raw"
	local n; n=$(val requests)
	[ "$n" -gt 0 ] && [ "$n" -le "$produced" ] && [ "$produced" -lt "$max" ] ||
		fail "sigkill: $n requests of $produced (of $max)"
	[ "$(val seq_errors)/$(val orphan_responses)" = 0/0 ] || fail "sigkill: $(cat "$TCOUT")"
	[ "$(val complete)" = 1 ] || fail "sigkill: the parent did not finish the trace"
	cmp -n "$(stat -c %s "$T/k.raw")" "$T/k.raw" "$T/ref/vcpu0.bin" ||
		fail "sigkill: recorded requests are not a prefix of what xensim produces"
	[ "$(stat -c %s "$T/k.raw")" -le "$(stat -c %s "$T/ref/vcpu0.bin")" ] ||
		fail "sigkill: more requests than the reference run"
	echo "ok: SIGKILL, $n requests, a prefix"
}

# SIGINT to vmtrail-record reaches COMMAND, which tears down; markers and
# stats work on the control socket meanwhile.  The header names the
# domain and the monitors COMMAND switched on, as a normal recording's
# does, and RING_STATS records COMMAND's batches.
case_signal() {
	# Paced: at full speed a starved recorder on a busy machine would
	# (rightly) record a LOSS, and this case is about signals.
	xs_start s -a 7 -c 2 --rate 10000 -d 1:tapped-guest
	"$REC" --tap --sim="$XS_SOCK" -q -o "$T/s.vmt" --control "$T/ctl" \
		--phase-names 1=login,2=work -- "$MINC" \
		--monitors cr3,msr,cpuid,guest-request --restrict 0x1e00=rw \
		>"$T/mc.json" 2>"$T/err" &
	local rpid=$!
	wait_until "500 requests" 60 produced_at_least 500
	wait_until "control socket" 30 test -S "$T/ctl"
	local seq; seq=$("$REC" mark --control "$T/ctl" "tapped mark") || fail "mark failed"
	[ "$seq" -gt 0 ] || fail "marker seq '$seq'"
	"$REC" stats --control "$T/ctl" | jq -e '.requests > 0' >/dev/null || fail "stats"
	kill -INT "$rpid"
	reap "$rpid"
	expect_rc "$RC" 0 "SIGINT forwarded"
	local j; j=$(xs_stats); xs_stop
	echo "$j" >"$T/s.json"
	tc "$T/s.vmt"
	agree "SIGINT" "$T/s.json"
	[ "$(jq .requests "$T/mc.json")" = "$(val requests)" ] || fail "SIGINT: consumer and trace disagree"
	"$REPLAY" --info "$T/s.vmt" >"$T/info"
	grep -Eq "markers +1" "$T/info" || fail "SIGINT: marker not in the trace"
	grep -Eq "phase_names +1=login;2=work" "$T/info" || fail "SIGINT: phase names not in the header"
	grep -Eq "domain_name +tapped-guest$" "$T/info" || fail "SIGINT: domain name not in the header"
	# min_consumer's calls, in the text --cr cr3:sync,all --cpuid
	# --guest-request=sync --mem-access 0x1e00:rw --msr ... would give.
	local mon="cpuid;cr3:sync,all;guest-request:sync;mem-access:0x1e00-0x1e00:rw;msr:0x1b,0x277,0x6e0,0xc0000080,0xc0000081,0xc0000082,0xc0000100,0xc0000101,0xc0000102"
	grep -Eq "^ +monitors +$mon$" "$T/info" || fail "SIGINT: monitors: $(grep monitors "$T/info")"
	# One RING_STATS per batch, and the batches hold every request.
	local batches handled
	batches=$(sed -n 's/^ *batches *//p' "$T/info")
	handled=$("$REPLAY" "$T/s.vmt" --format jsonl | grep '^{"record":"ring_stats"' |
		jq -s 'map(.handled) | add')
	[ "$batches" -gt 0 ] && grep -Eq "^ +ring_stats +$batches$" "$T/info" ||
		fail "SIGINT: $batches batches: $(grep ring_stats "$T/info")"
	[ "$handled" = "$(val requests)" ] ||
		fail "SIGINT: batches handled $handled of $(val requests) requests"
	echo "ok: SIGINT forwarded, marker at $seq"
}

# A stalled disk: the tap records a LOSS and the consumer keeps its pace.
# The untapped and the tapped consumer run side by side, each on its own
# xensim offering the same fixed rate, so the machine's load hits both
# alike and a consumer slowed by the disk shows as a longer run.  On a
# loaded machine two runs of the same thing differ by more than 10 %, so a
# pair may be tried three times: a tap that waited for the disk would lose
# every pair (each write here takes 0.3 s).  Each pair writes a new file:
# with --force the recorder would write under a temporary name, which the
# fault does not target.  The 2 MiB stream is larger than the 1 MiB the
# interposer starts over at while the recorder keeps up, so the stall also
# takes it past that point and back (record/README.md "Tap").
slow_pair() { # ATTEMPT: one side-by-side pair; sets plain, tapped
	local rate=5000 n=15000 usock upid ppid
	# sh -c 'timed MS_FILE COMMAND...': COMMAND's wall time in ms
	local timed='t0=$(date +%s%N); "$@" >/dev/null || exit $?; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )) >"$0"'
	xs_start "u$1" -a 7 -c 1 -n "$n" --rate "$rate"
	usock=$XS_SOCK upid=$XS_PID
	xs_start "t$1" -a 7 -c 1 -n "$n" --rate "$rate" -o "$T/s.json"
	VMT_XENSIM_SOCKET="$usock" sh -c "$timed" "$T/plain.ms" "$MINC" --count "$n" 2>"$T/plain.err" &
	ppid=$!
	env LD_PRELOAD="$IOFAULT" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		VMT_IOFAULT_PATH="$T/slow$1.vmt" VMT_IOFAULT_DELAY_US=300000 \
		"$REC" --tap --sim="$XS_SOCK" -q --tap-buffer 2M -o "$T/slow$1.vmt" -- \
		sh -c "$timed" "$T/tap.ms" "$MINC" --count "$n" 2>"$T/err" ||
		fail "tapped: exit $?: $(cat "$T/err")"
	wait "$ppid" || fail "untapped: $(cat "$T/plain.err")"
	wait "$XS_PID" "$upid" || true
	plain=$(cat "$T/plain.ms") tapped=$(cat "$T/tap.ms")
	tc "$T/slow$1.vmt"
	[ "$(val lost)" -gt 0 ] && [ "$(val backlog_losses)" -gt 0 ] ||
		fail "slow disk: no LOSS recorded: $(cat "$TCOUT")"
	[ $(( $(val requests) + $(val lost) )) = "$(jq .produced_total "$T/s.json")" ] ||
		fail "slow disk: recorded + lost != produced: $(cat "$TCOUT")"
	[ "$(val seq_errors)/$(val complete)" = 0/1 ] || fail "slow disk: $(cat "$TCOUT")"
	[ "$(jq .vcpus_paused_now "$T/s.json")" = 0 ] || fail "slow disk: vCPUs left paused"
	echo "slow disk, pair $1: $(val lost) lost in $(val loss_records) LOSS record(s), $tapped ms tapped vs $plain ms untapped"
}

case_slow_disk() {
	[ -e "$IOFAULT" ] || { echo "iofault.so not built"; exit 77; }
	local a plain tapped
	for a in 1 2 3; do
		slow_pair "$a"
		# Within 10 %: the tapped run took at most 1.1 times as long.
		if [ $((tapped * 10)) -le $((plain * 11)) ]; then
			echo "ok: slow disk, within 10 % in pair $a"
			return 0
		fi
	done
	fail "slow disk: the tapped consumer was more than 10 % slower in 3 pairs"
}

case "${1:-}" in
matrix|dlopen|sigkill|signal|slow_disk|compress_after) "case_$1" ;;
*) echo "usage: tap.sh matrix|dlopen|sigkill|signal|slow_disk|compress_after" >&2; exit 2 ;;
esac
