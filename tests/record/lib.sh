# lib.sh - helpers shared by the recorder's xensim tests (sourced, not run).
# Needs VMT_BIN / VMT_LIB / VMT_BUILD from vmt_script_test().
REC="$VMT_BIN/vmtrail-record"
XENSIM="$VMT_BIN/xensim"
REPLAY="$VMT_BIN/vmtrail-replay"
TC="$VMT_BUILD/tests/trace_count"
IOFAULT="$VMT_BUILD/tests/iofault.so"
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
# xensim makes the path appear only once it listens, so its existence is
# readiness; a daemon that dies first fails the test at once.
xs_start() {
	XS_SOCK="$T/$1.sock"; shift
	"$XENSIM" -s "$XS_SOCK" "$@" 2>>"$T/xensim.log" &
	XS_PIDS="$XS_PIDS $!"
	XS_PID=$!
	wait_until "listening xensim" 60 xs_listening "$XS_SOCK" "$XS_PID"
}

xs_listening() {
	[ -S "$1" ] && return 0
	kill -0 "$2" 2>/dev/null || fail "xensim did not start: $(cat "$T/xensim.log")"
	return 1
}

# wait_socket PATH PID: until PID (a recorder) has its control socket up.
wait_socket() {
	wait_until "control socket $1" 60 sock_of_live "$1" "$2"
}
sock_of_live() {
	[ -S "$1" ] && return 0
	kill -0 "$2" 2>/dev/null || fail "process $2 exited before $1 appeared: $(cat "$T/err" 2>/dev/null)"
	return 1
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
# No -q: the tests read the final summary (stderr is a file here, so no
# status line either way).
rec() { "$REC" --sim="$XS_SOCK" "$@"; }

# check_unwatched JSON DOMID: the guest behaved as if unwatched, nobody paused.
# One jq for every field (a jq start costs more than the rest of the check,
# and the matrix runs this per case); a missing field or domain is not 0.
check_unwatched() {
	local bad
	bad=$(jq -r --argjson d "$2" '
		(first(.domains[] | select(.domid == $d)) // null) as $dom
		| (["responses_rejected", "reexecuted", "refaults", "swallowed_traps",
		    "denied_writes"][] as $k | select($dom[$k] != 0)
		   | "domain \($d): xensim \($k) = \($dom[$k])"),
		  (select(.vcpus_paused_now != 0)
		   | "vCPUs left paused: \(.vcpus_paused | tojson)")' <<<"$1") ||
		fail "domain $2: xensim's stats are not JSON: $1"
	[ -z "$bad" ] || fail "$bad"
}

# produced JSON DOMID: requests xensim produced for that domain.
produced() { jq -r ".domains[] | select(.domid == $2) | .produced_total" <<<"$1"; }

# wait_until WHAT SECONDS CMD...: poll CMD every 50 ms until it succeeds;
# a deadline, not a fixed sleep, so a loaded machine only makes it slower.
wait_until() {
	local what="$1" secs="$2"; shift 2
	local end=$((SECONDS + secs))
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || fail "no $what after ${secs}s"
		sleep 0.05
	done
}

# produced_at_least N [DOMID]: xensim has put N requests on that ring.
produced_at_least() {
	local n
	n=$(xs_stats 2>/dev/null | jq -r ".domains[] | select(.domid == ${2:-1}) | .produced_total" 2>/dev/null)
	[ "${n:-0}" -ge "$1" ]
}

# expect_rc RC WANT WHAT: the exit status, with stderr ($T/err) on failure.
expect_rc() {
	[ "$1" = "$2" ] || fail "$3: exit $1, expected $2: $(cat "$T/err" 2>/dev/null)"
}

# expect_err TEXT: $T/err (the recorder's stderr) holds TEXT, literally.
expect_err() {
	grep -qF -- "$1" "$T/err" || fail "stderr lacks '$1': $(cat "$T/err")"
}

# expect_lines N: $T/err has exactly N lines (no message beyond those checked).
expect_lines() {
	[ "$(wc -l <"$T/err")" = "$1" ] || fail "expected $1 line(s) on stderr: $(cat "$T/err")"
}

# info FILE: vmtrail-replay --info into $T/info.txt; then info_is KEY VALUE.
info() {
	"$REPLAY" --info "$1" >"$T/info.txt" 2>&1 || fail "--info $1: $(cat "$T/info.txt")"
}
info_is() {
	grep -Eq "^ +$1 +$2\$" "$T/info.txt" ||
		fail "--info: $1 is not $2: $(grep -E "^ +$1 " "$T/info.txt")"
}

# check_recorded JSON DOMID: every request xensim produced for the domain
# is in the trace counted last (count FILE) or in one of its LOSS records,
# each kept request has its response, and the seq run has no hole.
check_recorded() {
	local made
	made=$(produced "$1" "$2")
	[ "$(( $(val requests) + $(val lost) ))" = "$made" ] ||
		fail "$made produced, $(val requests) recorded + $(val lost) lost: $(cat "$TCOUT")"
	[ "$(val responses)/$(val bad_pairs)/$(val bad_responses)" = "$(val requests)/0/0" ] ||
		fail "requests and responses do not pair: $(cat "$TCOUT")"
}

# check_released JSON DOMID: the ring is gone and the guest runs as if it
# had never been watched (nobody paused).
check_released() {
	[ "$(jq -r ".domains[] | select(.domid == $2) | .monitor_enabled" <<<"$1")" = false ] ||
		fail "the monitor ring of domain $2 was left enabled"
	check_unwatched "$1" "$2"
}

# reap PID [SECONDS]: wait for a background recorder to end, bounded (a
# recorder that hangs fails the test instead of its timeout); sets RC.
reap() {
	local end=$((SECONDS + ${2:-60}))
	while kill -0 "$1" 2>/dev/null; do
		if [ "$SECONDS" -ge "$end" ]; then
			kill -KILL "$1" 2>/dev/null
			fail "process $1 still running after ${2:-60}s: $(cat "$T/err" 2>/dev/null)"
		fi
		sleep 0.05
	done
	wait "$1" 2>/dev/null; RC=$?
}
