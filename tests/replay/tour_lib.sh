# tour_lib.sh - the README tour's second recording for the timeline tests
# (sourced after tests/record/lib.sh): xensim with two vCPUs running the
# mixed workload, the default monitors, a marker "login starts" once
# requests flow, and N more requests after it; stopped by SIGINT once they
# are recorded, so a loaded machine only makes it slower.

# requests_over N PID: the recorder PID (alive) has recorded more than N.
requests_over() {
	local n
	n=$("$REC" stats --control "$T/rec.sock" 2>/dev/null | jq -r .requests)
	[ "${n:-0}" -gt "$1" ] && return 0
	kill -0 "$2" 2>/dev/null || fail "the recorder exited: $(cat "$T/err")"
	return 1
}

# record_tour OUT N: the recording into OUT, N requests after the marker.
record_tour() {
	local pid seq
	xs_start tour --vcpus 2 --workload mixed --seed 1 --rate 5000
	"$REC" --sim="$XS_SOCK" -q -d 1 -o "$1" --control "$T/rec.sock" 2>"$T/err" &
	pid=$!
	wait_socket "$T/rec.sock" "$pid"
	wait_until "a first request" 60 requests_over 0 "$pid"
	seq=$("$REC" mark --control "$T/rec.sock" "login starts") || fail "mark: $(cat "$T/err")"
	wait_until "$2 requests after the marker" 120 requests_over "$((seq + $2))" "$pid"
	kill -INT "$pid"
	wait "$pid" || fail "recorder: $(cat "$T/err")"
	xs_stop
}
