#!/usr/bin/env bash
# run_all.sh - every vmtrail benchmark in sequence, each printing its own
# table (what `cmake --build build --target bench` runs).  Benchmarks whose
# programs were not built are skipped with a line saying so, never failed
# silently.  VMT_BENCH_QUICK=1 runs each in a short mode (minutes, not tens
# of minutes; figures then have wider error bars).
#
# Environment (set by the bench target): VMT_BIN (build/bin), VMT_TESTS
# (build/tests), VMT_SRC (source tree).  VMT_BENCH_DIR: scratch directory for
# traces and databases (default /tmp; needs ~3 GiB for the 10M-event runs).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${VMT_BIN:-$HERE/../../build/bin}
TESTS=${VMT_TESTS:-$BIN/../tests}
QUICK=${VMT_BENCH_QUICK:-0}
SCRATCH=${VMT_BENCH_DIR:-/tmp}
export VMT_BIN=$BIN VMT_TESTS=$TESTS VMT_BENCH_QUICK=$QUICK
failed=0

section() { printf '\n==================== %s ====================\n\n' "$1"; }
run() { # what: command...
	local what=$1; shift
	echo "\$ $*"
	"$@"
	local rc=$?
	if [ $rc = 77 ]; then echo "-- $what skipped"
	elif [ $rc != 0 ]; then echo "!! $what failed (exit $rc)"; failed=1; fi
}
have() { [ -x "$1" ] || { echo "-- skipped: $1 not built"; return 1; }; }

echo "vmtrail benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), quick=$QUICK"
echo "cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1) ($(nproc) online); load: $(cat /proc/loadavg)"

section "format: writer, reader, levels, register-block encoding (synthetic stream)"
if have "$BIN/bench_format"; then
	if [ "$QUICK" != 0 ]; then
		run bench_format "$BIN/bench_format" -n 50000 -r 1 -d "$SCRATCH"
	else
		run bench_format "$BIN/bench_format" -n 200000 -r 3 -d "$SCRATCH"
	fi
fi

section "format: the same on a real xensim recording (mixed, 2 vCPUs)"
if have "$BIN/bench_format" && have "$BIN/vmtrail-record" && have "$BIN/xensim"; then
	n=200000; [ "$QUICK" != 0 ] && n=50000
	d=$(mktemp -d "$SCRATCH/vmt-bench-fmt.XXXXXX")
	"$BIN/xensim" --socket "$d/s" --abi 7 --vcpus 2 --rate max --workload mixed \
		--events "$n" >/dev/null 2>&1 &
	xp=$!
	# The socket appears once xensim listens (or never: it exited).
	while [ ! -S "$d/s" ] && kill -0 "$xp" 2>/dev/null; do sleep 0.05; done
	"$BIN/vmtrail-record" --sim="$d/s" -d 1 -o "$d/mixed.vmt" -q --max-events "$n" \
		--cr cr0:sync,all --cr cr3:sync,all --cr cr4:sync,all --cr xcr0:sync,all \
		--msr 0x6e0,0x1b,0x277,0xc0000080,0xc0000081,0xc0000082,0xc0000100,0xc0000101,0xc0000102 \
		--breakpoint --guest-request=sync --debug=sync --cpuid --desc-access \
		--vmexit=sync --mem-access 0x1e00:rw 2>/dev/null
	wait "$xp"
	if [ -s "$d/mixed.vmt" ]; then
		run bench_format_xensim "$BIN/bench_format" -t "$d/mixed.vmt" -r "$([ "$QUICK" != 0 ] && echo 1 || echo 3)" -d "$d"
	else
		echo "!! recording for bench_format -t failed"; failed=1
	fi
	rm -rf "$d"
fi

section "ABI decoder: ns per event"
if have "$TESTS/bench_abi"; then
	run bench_abi "$TESTS/bench_abi" "$([ "$QUICK" != 0 ] && echo 200000 || echo 2000000)"
fi

section "recorder vs echo consumer (xensim)"
run bench_record bash "$HERE/bench_record.sh"

section "tap: the consumer's events/s untapped and under --tap (xensim)"
run bench_tap bash "$HERE/bench_tap.sh"

section "replay: import events/s and peak RSS"
if have "$BIN/bench_replay"; then
	run bench_replay_1M "$BIN/bench_replay" -n 1000000 -d "$SCRATCH"
	if [ "$QUICK" = 0 ]; then
		echo
		run bench_replay_10M "$BIN/bench_replay" -n 10000000 -d "$SCRATCH"
	fi
fi

section "replay: SQLite's own cost per row, by table width"
if have "$BIN/bench_sqlite_floor"; then
	run bench_sqlite_floor "$BIN/bench_sqlite_floor" \
		-n "$([ "$QUICK" != 0 ] && echo 200000 || echo 1000000)" -d "$SCRATCH"
fi

section "analyze: diff of two runs"
run bench_analyze bash "$HERE/bench_analyze.sh"

section "ClickHouse against SQLite: load events/s, 50 v 50 diff, client memory"
run bench_clickhouse bash "$HERE/bench_clickhouse.sh"

section "analyze: power of diff in the demo's conditions (3 v 3 runs, CPU hogs)"
run bench_power bash "$HERE/bench_power.sh"

echo
echo "load average at end: $(cat /proc/loadavg)"
exit $failed
