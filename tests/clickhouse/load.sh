#!/bin/bash
# load.sh - vmtrail-replay --clickhouse against a private server: every
# table holds what the SQLite import of the same traces holds; a run is
# loaded once; refused credentials, a missing database and a dead server
# give clear errors; 503s are retried; a load killed halfway leaves no run
# visible through runs, and re-running it ends with every row exactly once.
WORK=$(mktemp -d)
PROXY=
cleanup() {
	[ -n "$PROXY" ] && kill "$PROXY" 2>/dev/null
	ch_stop_all
	rm -rf "$WORK"
}
trap cleanup EXIT
. "$VMT_SRC/tests/clickhouse/lib.sh"
GEN=$VMT_BUILD/tests/gen_runs
REPLAY=$VMT_BIN/vmtrail-replay
[ -x "$GEN" ] && [ -x "$REPLAY" ] || { echo "SKIP: gen_runs or vmtrail-replay not built"; exit 77; }
command -v sqlite3 >/dev/null && command -v jq >/dev/null || { echo "SKIP: sqlite3 or jq missing"; exit 77; }
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }
# ASan builds are slower: smaller traces, the same checks
EV=${VMT_CH_EVENTS:-20000}
BIG=${VMT_CH_BIG:-100000}

"$GEN" "$WORK/a.vmt" --seed 1 --events "$EV" --label branch=main || exit 1
"$GEN" "$WORK/b.vmt" --seed 2 --events "$EV" --variant syscall-2x --label branch=dev || exit 1
"$GEN" "$WORK/c.vmt" --seed 3 --events "$EV" || exit 1
"$GEN" "$WORK/d.vmt" --seed 4 --events "$BIG" || exit 1
uuid_of() { "$REPLAY" --info --json "$1" | jq -r .header.uuid; }
run_id_of() { local u; u=$(uuid_of "$1"); u=${u//-/}; echo $((16#${u:0:13})); }

ch_start_n 1
chq 0 "CREATE DATABASE vmtrail" default || exit 1
URL=$(ch_url 0)

# ---- 1. the same rows as the SQLite import ----
"$REPLAY" -q "$WORK/a.vmt" "$WORK/b.vmt" --clickhouse "$URL" || fail "load a, b"
"$REPLAY" -q "$WORK/a.vmt" "$WORK/b.vmt" "$WORK/c.vmt" "$WORK/d.vmt" -o "$WORK/ref.db" || exit 1

# per run (by UUID) and table: rows, and a checksum over columns both keep
TABLES="events:seq+ts_ns%1000003+vcpu+reason+flags+coalesce(rip,0)%1000003+coalesce(rax,0)%1000003+coalesce(process_id*0,1)
event_regs:length(entry)
responses:seq+coalesce(latency_ns,-1)%1000003+coalesce(set_regs,-1)%1000003+flags
markers:seq+length(text) notes:seq+length(text) ring_stats:seq+occupancy+handled
gaps:coalesce(first_seq,-1)+coalesce(count,-1) processes:cr3%1000003+epoch+events+first_seq
mem_access:coalesce(gfn,-1)+coalesce(flags,-1) mov_to_msr:coalesce(msr,-1)%1000003+coalesce(new_value,-1)%1000003
cpuid:coalesce(leaf,-1)+coalesce(subleaf,-1) write_ctrlreg:coalesce(\"index\",-1)+coalesce(old_value,-1)%1000003
software_breakpoint:coalesce(gfn,-1) run_labels:length(key)+length(value) run_monitors:position+length(params)"
summary_sql() {   # $1: "sqlite" or "ch", $2: uuid list (quoted, comma-separated)
	local t col q
	for tc in $TABLES; do
		t=${tc%%:*} col=${tc#*:}
		[ "$1" = ch ] && col=${col//\\\"/\`}
		[ "$1" = sqlite ] && col=${col//\\\"/\"}
		from=$t
		# SQLite's event_regs reaches its run through events
		[ "$1" = sqlite ] && [ "$t" = event_regs ] && from="(SELECT e.run_id AS run_id, g.entry AS entry FROM event_regs g JOIN events e USING (event_id))"
		q="SELECT uuid, '$t', c, s FROM (SELECT run_id, count() AS c, sum(toInt64($col)) AS s FROM $from GROUP BY run_id)"
		if [ "$1" = ch ]; then
			q="${q/count() AS c/toInt64(count()) AS c}"
			q="$q ANY INNER JOIN runs USING (run_id) WHERE uuid IN ($2)"
		else
			q="${q//count()/count(*)}"
			q="${q//toInt64(/(}"
			q="$q JOIN runs USING (run_id) WHERE uuid IN ($2)"
		fi
		echo "$q;"
	done
}
# schema 2 keeps the entries compressed: event_regs needs the extension
# A sanitizer build's extension needs its runtime loaded first in the shell.
ext_pre=$(ldd "$VMT_BUILD/lib/vmtrail.so" | awk '/lib(asan|ubsan)\.so/ { print $3 }' | tr '\n' ' ')
sqlite_rows() {
	LD_PRELOAD="$ext_pre" ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
		sqlite3 -cmd ".load $VMT_BUILD/lib/vmtrail" -separator '	' "$WORK/ref.db" "$(summary_sql sqlite "$1")" | sort
}
ch_rows() {   # one request: a busy server answers each slowly
	local q
	q=$(summary_sql ch "$1" | sed 's/;$//' | sed '2,$s/^/UNION ALL /')
	chq 0 "$q" | sort
}
UA=$(uuid_of "$WORK/a.vmt") UB=$(uuid_of "$WORK/b.vmt") UC=$(uuid_of "$WORK/c.vmt") UD=$(uuid_of "$WORK/d.vmt")
sqlite_rows "'$UA','$UB'" >"$WORK/want.ab"
ch_rows "'$UA','$UB'" >"$WORK/got.ab"
[ -s "$WORK/want.ab" ] || fail "no reference rows"
diff "$WORK/want.ab" "$WORK/got.ab" >/dev/null || { fail "ClickHouse rows differ from SQLite's"; diff "$WORK/want.ab" "$WORK/got.ab" | head; }
RCOLS="uuid, imported_events, requests, lost, duration_ns, vcpus, labels, monitors, fingerprint, complete, end_cause_name"
want=$(sqlite3 -separator '	' "$WORK/ref.db" "SELECT $RCOLS FROM runs WHERE uuid IN ('$UA','$UB') ORDER BY uuid")
got=$(chq 0 "SELECT $RCOLS FROM runs ORDER BY uuid")
[ "$want" = "$got" ] || fail "runs rows: ClickHouse '$got', SQLite '$want'"

# ---- 2. at most once ----
"$REPLAY" "$WORK/a.vmt" --clickhouse "$URL" 2>"$WORK/again.err" || fail "a second load of a loaded run should succeed (skip)"
grep -q "already in ClickHouse, skipped" "$WORK/again.err" || fail "no skip notice: $(cat "$WORK/again.err")"
[ "$(chq 0 "SELECT count() FROM runs")" = 2 ] || fail "runs after a repeated load: $(chq 0 'SELECT count() FROM runs')"
[ "$(chq 0 "SELECT count() FROM events")" = $((2 * EV)) ] || fail "events after a repeated load"

# ---- 3. clear errors ----
"$REPLAY" -q "$WORK/c.vmt" --clickhouse "$(ch_url 0 nodb)" 2>"$WORK/e1" && fail "missing database accepted"
grep -q "database 'nodb' does not exist" "$WORK/e1" || fail "missing database message: $(cat "$WORK/e1")"
"$REPLAY" -q "$WORK/c.vmt" --clickhouse "$URL&user=loader&password=wrong" 2>"$WORK/e2" && fail "wrong password accepted"
grep -q "login refused" "$WORK/e2" || fail "wrong password message: $(cat "$WORK/e2")"
grep -q wrong "$WORK/e2" && fail "the password is echoed: $(cat "$WORK/e2")"
dead=$(free_port)
"$REPLAY" -q "$WORK/c.vmt" --clickhouse "http://127.0.0.1:$dead/?database=vmtrail" 2>"$WORK/e3" && fail "dead server accepted"
grep -q "no server answers" "$WORK/e3" || fail "dead server message: $(cat "$WORK/e3")"

# ---- 4. transient errors are retried (a balancer's 503 three times) ----
python3 "$VMT_SRC/tests/clickhouse/chproxy.py" "$WORK/p1" "${CH_HTTP[0]}" --fail-first 3 &
PROXY=$!
wait_for "$PROXY" 120 test -s "$WORK/p1" || fail "the proxy never listened"
CLICKHOUSE_USER=loader CLICKHOUSE_PASSWORD=s3cret "$REPLAY" -q "$WORK/c.vmt" \
	--clickhouse "http://127.0.0.1:$(cat "$WORK/p1")/?database=vmtrail" || fail "load through 503s"
kill "$PROXY"; wait "$PROXY" 2>/dev/null; PROXY=
[ "$(chq 0 "SELECT imported_events FROM runs WHERE uuid = '$UC'")" = "$EV" ] || fail "c not loaded through the 503s"

# ---- 4b. a broken link between a cluster's servers: a query is repeated ----
ANALYZE=$VMT_BIN/vmtrail-analyze
if [ -x "$ANALYZE" ]; then
	"$ANALYZE" summary --json --clickhouse "$URL" "$UC" >"$WORK/s_direct.json" ||
		fail "summary of c straight from the server"
	python3 "$VMT_SRC/tests/clickhouse/chproxy.py" "$WORK/p3" "${CH_HTTP[0]}" --link-fail 3 &
	PROXY=$!
	wait_for "$PROXY" 120 test -s "$WORK/p3" || fail "the proxy never listened"
	"$ANALYZE" summary --json --clickhouse "http://127.0.0.1:$(cat "$WORK/p3")/?database=vmtrail" \
		"$UC" >"$WORK/s_proxy.json" 2>"$WORK/e4" ||
		fail "summary through three Code 101 answers: $(cat "$WORK/e4")"
	kill "$PROXY"; wait "$PROXY" 2>/dev/null; PROXY=
	cmp -s "$WORK/s_direct.json" "$WORK/s_proxy.json" ||
		fail "the summary read through the failures differs from the direct one"
fi

# ---- 5. killed halfway, then re-run ----
python3 "$VMT_SRC/tests/clickhouse/chproxy.py" "$WORK/p2" "${CH_HTTP[0]}" --hold-insert 3 "$WORK/held" &
PROXY=$!
wait_for "$PROXY" 120 test -s "$WORK/p2" || fail "the proxy never listened"
"$REPLAY" -q "$WORK/d.vmt" --clickhouse "http://127.0.0.1:$(cat "$WORK/p2")/?database=vmtrail" &
LOADER=$!
wait_for "$LOADER" 240 test -e "$WORK/held" || fail "the load of d never reached its third insert"
kill -9 $LOADER; wait $LOADER 2>/dev/null
kill "$PROXY"; wait "$PROXY" 2>/dev/null; PROXY=
RD=$(run_id_of "$WORK/d.vmt")
half=$(chq 0 "SELECT (SELECT count() FROM events WHERE run_id = $RD) + (SELECT count() FROM event_regs WHERE run_id = $RD)")
[ "${half:-0}" -gt 0 ] || fail "the killed load stored nothing: the test killed it too early"
[ "$(chq 0 "SELECT count() FROM runs WHERE uuid = '$UD'")" = 0 ] || fail "a killed load left a runs row"
[ "$(chq 0 "SELECT count() FROM events WHERE run_id IN (SELECT run_id FROM runs)")" = $((3 * EV)) ] ||
	fail "the half run is visible through runs"
"$REPLAY" -q "$WORK/d.vmt" --clickhouse "$URL" || fail "re-run of d"
sqlite_rows "'$UA','$UB','$UC','$UD'" >"$WORK/want.all"
ch_rows "'$UA','$UB','$UC','$UD'" >"$WORK/got.all"
diff "$WORK/want.all" "$WORK/got.all" >/dev/null || { fail "after the re-run, rows differ from SQLite's"; diff "$WORK/want.all" "$WORK/got.all" | head; }
[ "$(chq 0 "SELECT count() - uniqExact(event_id) FROM events WHERE run_id = $RD")" = 0 ] || fail "duplicate events of d"
[ "$(chq 0 "SELECT count() FROM events")" = $((3 * EV + BIG)) ] || fail "events in all: $(chq 0 'SELECT count() FROM events')"

[ $FAILED = 0 ] && echo "PASS: ClickHouse load"
exit $FAILED
