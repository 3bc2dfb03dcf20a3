# lib.sh - helpers shared by the xensim test scripts (sourced, not run).
# Each test gets its own temp dir and socket; the daemon started with
# xs_start is always killed on exit.
set -euo pipefail

: "${VMT_BIN:?VMT_BIN not set (run through ctest)}"
: "${VMT_SRC:?VMT_SRC not set (run through ctest)}"
XENSIM=$VMT_BIN/xensim
MINC=$VMT_BIN/min_consumer
# Every step is bounded: a hang fails the test quickly instead of at the
# ctest timeout.
minc() { timeout 60 "$MINC" "$@"; }
WL=$VMT_SRC/samples/workloads
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
[ -x "$XENSIM" ] && [ -x "$MINC" ] || { echo "SKIP: xensim or min_consumer not built"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/xensim-test.XXXXXX")
export VMT_XENSIM_SOCKET=$T/xensim.sock
XS_PID=
BG_PIDS=()   # background consumers a test starts; killed at exit too

cleanup() {
	local p
	for p in "${BG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	if [ -n "$XS_PID" ]; then
		kill -9 "$XS_PID" 2>/dev/null || true
		wait "$XS_PID" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT

die() { echo "FAIL: $*" >&2; exit 1; }

# wait_for WHAT CMD...: poll CMD until it succeeds.  The deadline only
# turns a hang into a failure; a busy host just takes longer.
wait_for() {
	local what=$1 end=$((SECONDS + 60))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || die "no $what after 60s"
		sleep 0.05
	done
}

# xs_start ARGS...: start a daemon, wait until it answers.
xs_start() {
	"$XENSIM" "$@" 2>"$T/xensim.err" &
	XS_PID=$!
	wait_for "answer on $VMT_XENSIM_SOCKET" xs_answers "$*"
}
xs_answers() {
	"$XENSIM" --query stats >/dev/null 2>&1 && return 0
	kill -0 "$XS_PID" 2>/dev/null || { cat "$T/xensim.err" >&2; die "xensim did not start: $1"; }
	return 1
}

# xs_wait: wait for the daemon to exit by itself; returns its status.
xs_wait() {
	local rc=0
	wait "$XS_PID" || rc=$?
	XS_PID=
	return $rc
}

xs_stats() { "$XENSIM" --query stats; }

# The process CR3 values of a scenario, comma-separated.
scenario_cr3s() {
	grep -o 'cr3=0x[0-9a-fA-F]*' "$WL/$1.wl" | cut -d= -f2 | paste -sd, -
}

# Restrictions that make the mixed scenario raise mem_access events:
# the syscall entry page is not executable, init's data not writable.
MIXED_RESTRICT=(--restrict 0x1e00=rw --restrict 0x21000-0x21200=r)

# expect_eq WHAT A B
expect_eq() { [ "$2" = "$3" ] || die "$1: expected $3, got $2"; }
