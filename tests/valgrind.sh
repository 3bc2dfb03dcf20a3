#!/usr/bin/env bash
# valgrind.sh - the recorder, replay and analyze once each under valgrind's
# memcheck: no leak (definite, indirect or possible), no invalid read or
# write, no use of uninitialised memory, on the real paths a user takes:
#
#   1. vmtrail-record: ~20,000 events, several monitors, a 2-vCPU guest on
#      xensim, ended by --max-events (the normal teardown);
#   2. vmtrail-record: the same, ended by SIGINT mid-run (the signal path);
#   3. vmtrail-replay: trace 1 imported into a fresh database;
#   4. vmtrail-replay --info, and --info --json;
#   5. vmtrail-replay --format jsonl (and csv, chrome, with filters);
#   6. vmtrail-analyze summary of the database and of a trace, and a diff of
#      the two runs with an HTML report.
#
# Not part of the CTest suite (minutes, not seconds): run it with
#   cmake --build build --target valgrind
# ideally on a Debug build without sanitizers (valgrind and ASan do not mix):
#   cmake -S . -B build-vg -DCMAKE_BUILD_TYPE=Debug -DVMT_BENCH=OFF
#
# Environment (set by the target): VMT_BIN (build/bin), VMT_SRC, VMT_BUILD.
# VMT_VG_EVENTS changes the event count of run 1 (default 20000).
# Exit: 0 clean, 1 an error or a leak (the valgrind log is printed),
# 77 valgrind or a program missing.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${VMT_BIN:-$HERE/../build/bin}
EVENTS=${VMT_VG_EVENTS:-20000}
REC=$BIN/vmtrail-record
REPLAY=$BIN/vmtrail-replay
ANALYZE=$BIN/vmtrail-analyze
XENSIM=$BIN/xensim

command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed"; exit 77; }
for p in "$REC" "$REPLAY" "$ANALYZE" "$XENSIM"; do
	[ -x "$p" ] || { echo "SKIP: $p not built"; exit 77; }
done
if [ -e "$BIN/../CMakeCache.txt" ] &&
   grep -q '^VMT_SANITIZE:BOOL=ON' "$BIN/../CMakeCache.txt"; then
	echo "SKIP: $BIN is a sanitizer build; valgrind needs one without ASan"
	exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/vmt-vg.XXXXXX")
XS_PID=
# shellcheck disable=SC2317  # called through the trap
cleanup() {
	if [ -n "$XS_PID" ]; then
		kill "$XS_PID" 2>/dev/null
		wait "$XS_PID" 2>/dev/null
	fi
	if [ -n "${VMT_VG_KEEP:-}" ]; then echo "kept: $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
status=0
fail() { echo "FAIL: $*" >&2; status=1; }

# Leaks of every kind count as errors, so ERROR SUMMARY is the verdict; the
# suppressions cover libc/ld.so internals only (see the file).
# shellcheck disable=SC2054  # the commas are valgrind's list syntax
VG=(valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible
	--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99
	--track-fds=no --num-callers=30 --suppressions="$HERE/valgrind.supp")

# summarize NAME: one line per run, from its log: valgrind's verdict, the
# leak lines (all zero when valgrind says every block was freed), and the
# heap totals.
summarize() {
	local log="$T/$1.vg.log" errs def ind pos heap
	errs=$(sed -n 's/.*ERROR SUMMARY: //p' "$log" | tail -1)
	def=$(sed -n 's/.*definitely lost: //p' "$log" | tail -1)
	ind=$(sed -n 's/.*indirectly lost: //p' "$log" | tail -1)
	pos=$(sed -n 's/.*possibly lost: //p' "$log" | tail -1)
	heap=$(sed -n 's/.*total heap usage: //p' "$log" | tail -1)
	if grep -q 'All heap blocks were freed' "$log"; then
		def="0 bytes in 0 blocks"; ind=$def; pos=$def
	fi
	printf '%-22s ERROR SUMMARY: %s | definitely lost: %s | indirectly lost: %s | possibly lost: %s | heap: %s\n' \
		"$1" "${errs:-?}" "${def:-?}" "${ind:-?}" "${pos:-?}" "${heap:-?}" | tee -a "$T/summary"
}

# check NAME RC WANT_RC: valgrind's verdict and the program's exit status.
check() {
	local name=$1 rc=$2 want=$3 log="$T/$1.vg.log"
	summarize "$name"
	if [ "$rc" = 99 ] || ! grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
		fail "$name: valgrind reports errors (exit $rc); its log:"
		cat "$log" >&2
	elif [ "$rc" != "$want" ]; then
		fail "$name: exit $rc, want $want: $(tail -n 5 "$T/$name.err")"
	fi
}

# vg NAME WANT_RC PROGRAM ARGS...: run under memcheck; output in NAME.out/.err.
vg() {
	local name=$1 want=$2; shift 2
	echo "--- $name: $(basename "$1") ${*:2}"
	"${VG[@]}" --log-file="$T/$name.vg.log" "$@" >"$T/$name.out" 2>"$T/$name.err"
	check "$name" $? "$want"
}

xs_start() {
	XS_SOCK=$T/xs.sock
	rm -f "$XS_SOCK"
	"$XENSIM" -s "$XS_SOCK" "$@" 2>>"$T/xensim.log" &
	XS_PID=$!
	# The socket appears once xensim listens (or never: it exited).
	until [ -S "$XS_SOCK" ]; do
		kill -0 "$XS_PID" 2>/dev/null || {
			echo "FAIL: xensim did not start: $(cat "$T/xensim.log")" >&2
			exit 1; }
		sleep 0.05
	done
}
xs_stop() {
	"$XENSIM" -s "$XS_SOCK" --query shutdown >/dev/null 2>&1
	wait "$XS_PID" 2>/dev/null
	XS_PID=
}
produced() {
	"$XENSIM" -s "$XS_SOCK" --query stats 2>/dev/null |
		sed -n 's/^ *"produced_total": *\([0-9]*\).*/\1/p' | head -1
}

# Every kind of request the mixed workload makes, so every decode and
# response path runs: CR writes (sync and async), MSRs, CPUID, breakpoints
# (re-injection), guest requests (markers), execute faults on the
# syscall-entry page, reads and writes of data pages, VM exits.
# shellcheck disable=SC2054  # the commas are the options' list syntax
MONITORS=(--cr cr3:sync --cr cr0 --cr cr4:sync,all
	--msr 0x6e0,0xc0000080,0xc0000081,0xc0000082 --cpuid --breakpoint
	--guest-request=sync --mem-access 0x1e00:rw --mem-access 0x21000-0x210ff:n
	--vmexit)

echo "valgrind $(valgrind --version | sed 's/valgrind-//'), $EVENTS events, logs in $T"

# 1. A whole recording, ended by its limit, with a marker on the control
# socket on the way (the control thread and its client).
xs_start -c 2 -w mixed -S 1 --rate max
"${VG[@]}" --log-file="$T/record.vg.log" "$REC" --sim="$XS_SOCK" -d 1 \
	-o "$T/run1.vmt" --max-events "$EVENTS" --label case=vg1 \
	--control "$T/rec.sock" "${MONITORS[@]}" 2>"$T/record.err" &
rec_pid=$!
echo "--- record: vmtrail-record --max-events $EVENTS (${MONITORS[*]})"
until [ -S "$T/rec.sock" ]; do
	kill -0 "$rec_pid" 2>/dev/null || { fail "record: exited before its control socket appeared: $(cat "$T/record.err")"; break; }
	sleep 0.1
done
"$REC" mark --control "$T/rec.sock" "phase two" >/dev/null 2>"$T/mark.err" ||
	fail "marker refused: $(cat "$T/mark.err")"
wait "$rec_pid"
check record $? 0
grep -q 'ended: limit reached' "$T/record.err" ||
	fail "record: did not end at its limit: $(cat "$T/record.err")"
xs_stop

# 2. The same, interrupted by SIGINT once real traffic flowed.  valgrind
# runs the program in its own process, so the signal reaches the
# recorder's handler.
xs_start -c 2 -w mixed -S 2 --rate max
"${VG[@]}" --log-file="$T/record-sigint.vg.log" "$REC" --sim="$XS_SOCK" -d 1 \
	-o "$T/run2.vmt" --label case=vg1 "${MONITORS[@]}" 2>"$T/record-sigint.err" &
rec_pid=$!
echo "--- record-sigint: vmtrail-record, SIGINT after 3000 events"
n=0
until [ "${n:-0}" -ge 3000 ]; do
	kill -0 "$rec_pid" 2>/dev/null || { fail "record-sigint: exited after ${n:-0} events: $(cat "$T/record-sigint.err")"; break; }
	sleep 0.1
	n=$(produced)
done
kill -INT "$rec_pid"
wait "$rec_pid"
check record-sigint $? 0
grep -q 'ended: signal' "$T/record-sigint.err" ||
	fail "record-sigint: did not end by the signal: $(cat "$T/record-sigint.err")"
xs_stop

# 3-6. Replay and analyze.
vg replay-import 0 "$REPLAY" -q "$T/run1.vmt" -o "$T/runs.db"
"$REPLAY" -q "$T/run2.vmt" --append -o "$T/runs.db" ||
	fail "import of run2 (not under valgrind) failed"
vg replay-info 0 "$REPLAY" --info "$T/run1.vmt"
vg replay-info-json 0 "$REPLAY" --info --json "$T/run2.vmt"
echo "--- replay-jsonl: output to $T/run1.jsonl"
"${VG[@]}" --log-file="$T/replay-jsonl.vg.log" "$REPLAY" "$T/run1.vmt" --format jsonl \
	-o "$T/run1.jsonl" 2>"$T/replay-jsonl.err"
check replay-jsonl $? 0
[ "$(grep -c '"record":"event"' "$T/run1.jsonl")" -ge "$EVENTS" ] ||
	fail "replay-jsonl: fewer than $EVENTS events in $T/run1.jsonl"
vg replay-csv 0 "$REPLAY" "$T/run2.vmt" --format csv --reason cpuid,mem_access -o "$T/run2.csv"
vg replay-chrome 0 "$REPLAY" "$T/run2.vmt" --format chrome --vcpu 1 -o "$T/run2.json"
vg analyze-summary 0 "$ANALYZE" summary "$T/runs.db:1"
# A trace as RUN: imported into analyze's own temporary database first.
vg analyze-summary-trace 0 "$ANALYZE" summary --json "$T/run2.vmt"
# diff exits 1 when it finds a change: either verdict is fine here.
echo "--- analyze-diff: vmtrail-analyze diff runs.db:1 vs runs.db:2 --html"
"${VG[@]}" --log-file="$T/analyze-diff.vg.log" "$ANALYZE" diff --db "$T/runs.db" \
	--baseline 1 --candidate 2 --html "$T/report.html" >"$T/diff.out" 2>"$T/analyze-diff.err"
rc=$?
[ $rc = 1 ] && rc=0
check analyze-diff $rc 0

echo
echo "== valgrind summaries"
cat "$T/summary"
[ $status = 0 ] && echo "ok: no valgrind errors, no leaks"
exit $status
