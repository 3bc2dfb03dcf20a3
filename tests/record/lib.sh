# lib.sh - helpers shared by the recorder's xensim tests (sourced, not run).
# Needs VMT_BIN / VMT_LIB / VMT_BUILD from vmt_script_test().
REC="$VMT_BIN/vmtrail-record"
XENSIM="$VMT_BIN/xensim"
TC="$VMT_BUILD/tests/trace_count"
T=$(mktemp -d /tmp/vmt-rec.XXXXXX)
XS_PIDS=""

cleanup() {
	for p in $XS_PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

need_xensim() {
	[ -x "$XENSIM" ] && [ -e "$VMT_LIB/xensim/libxenctrl.so.4.17" ] &&
		[ -x "$TC" ] || { echo "xensim or trace_count not built"; exit 77; }
	command -v jq >/dev/null || { echo "jq missing"; exit 77; }
}

# xs_start NAME [xensim options...]: a daemon on $T/NAME.sock; sets XS_SOCK.
xs_start() {
	XS_SOCK="$T/$1.sock"; shift
	"$XENSIM" -s "$XS_SOCK" "$@" 2>>"$T/xensim.log" &
	XS_PIDS="$XS_PIDS $!"
	XS_PID=$!
	for _ in $(seq 200); do
		[ -S "$XS_SOCK" ] && return 0
		sleep 0.01
	done
	fail "xensim did not start: $(cat "$T/xensim.log")"
}

xs_stats() { "$XENSIM" -s "${1:-$XS_SOCK}" --query stats; }

# xs_stop [SOCK [PID]]: shut a daemon down and reap it.
xs_stop() {
	"$XENSIM" -s "${1:-$XS_SOCK}" --query shutdown >/dev/null 2>&1
	wait "${2:-$XS_PID}" 2>/dev/null
}

# count FILE: trace_count output into $TCOUT; then val KEY.
TCOUT="$T/tc.txt"
count() { "$TC" "$1" >"$TCOUT" || fail "$1: $(cat "$TCOUT")"; }
val() { sed -n "s/^$1=//p" "$TCOUT"; }

# The recorder with xensim's libraries on socket $XS_SOCK (in the
# foreground only: "rec ... &" would signal a subshell, not the recorder).
rec() { "$REC" --sim="$XS_SOCK" -q "$@"; }

# check_unwatched JSON DOMID: the guest behaved as if unwatched, nobody paused.
check_unwatched() {
	local j="$1" d="$2" what
	for what in responses_rejected reexecuted refaults swallowed_traps denied_writes; do
		local v
		v=$(jq -r ".domains[] | select(.domid == $d) | .$what" <<<"$j")
		[ "$v" = 0 ] || fail "domain $d: xensim $what = $v"
	done
	[ "$(jq -r '.vcpus_paused_now' <<<"$j")" = 0 ] ||
		fail "vCPUs left paused: $(jq -c '.vcpus_paused' <<<"$j")"
}

# produced JSON DOMID: requests xensim produced for that domain.
produced() { jq -r ".domains[] | select(.domid == $2) | .produced_total" <<<"$1"; }
