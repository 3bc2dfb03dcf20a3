#!/bin/bash
# cluster.sh - a 2-shard ClickHouse cluster of two private servers
# (remote_servers), Distributed tables over each shard's MergeTree tables;
# two replays load different runs at the same time, one into each shard;
# vmtrail-analyze diff and summary then read across both shards, and give
# the same verdicts, p-values and exit status as the SQLite path on the
# same runs.
WORK=$(mktemp -d)
trap 'ch_stop_all; rm -rf "$WORK"' EXIT
. "$VMT_SRC/tests/clickhouse/lib.sh"
GEN=$VMT_BUILD/tests/gen_runs
REPLAY=$VMT_BIN/vmtrail-replay
ANALYZE=$VMT_BIN/vmtrail-analyze
[ -x "$GEN" ] && [ -x "$REPLAY" ] && [ -x "$ANALYZE" ] || { echo "SKIP: tools not built"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: jq missing"; exit 77; }
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }
EV=${VMT_CH_EVENTS:-8000}

BASE=() CAND=()
for s in 1 2 3; do
	# named phases (phase_names) must name the same phases on both paths
	"$GEN" "$WORK/base-$s.vmt" --seed "$s" --events "$EV" --rate 4000 --label commit=aaa \
		--phase-names "1=login;2=work" || exit 1
	"$GEN" "$WORK/cand-$s.vmt" --seed "1$s" --events "$EV" --rate 4000 --variant syscall-2x \
		--label commit=bbb --phase-names "1=login;2=work" || exit 1
	BASE+=("$WORK/base-$s.vmt") CAND+=("$WORK/cand-$s.vmt")
done
uuids() { local t l=; for t in "$@"; do l=${l:+$l,}$("$REPLAY" --info --json "$t" | jq -r .header.uuid); done; echo "$l"; }

ch_start_n 2 vmt
for i in 0 1; do
	chq $i "CREATE DATABASE vmtrail" default && chq $i "CREATE DATABASE fleet" default || exit 1
done

# one load per shard, at the same time
"$REPLAY" -q "${BASE[@]}" --clickhouse "$(ch_url 0)" & L0=$!
"$REPLAY" -q "${CAND[@]}" --clickhouse "$(ch_url 1)" & L1=$!
wait $L0 || fail "load into shard 0"
wait $L1 || fail "load into shard 1"
[ "$(chq 0 'SELECT count() FROM runs')" = 3 ] && [ "$(chq 1 'SELECT count() FROM runs')" = 3 ] ||
	fail "each shard should hold 3 runs"

# the fleet database: one Distributed table over each loaded table
for t in $(chq 0 "SELECT name FROM system.tables WHERE database = 'vmtrail' AND engine LIKE '%MergeTree'"); do
	chq 0 "CREATE TABLE fleet.$t AS vmtrail.$t ENGINE = Distributed(vmt, vmtrail, $t)" default ||
		fail "Distributed table $t"
done
[ "$(chq 0 'SELECT count() FROM runs' fleet)" = 6 ] || fail "fleet.runs should see 6 runs"
[ "$(chq 0 'SELECT count() FROM events' fleet)" = $((6 * EV)) ] || fail "fleet.events should see every event"

# the same diff through SQLite and through the cluster
"$REPLAY" -q "${BASE[@]}" "${CAND[@]}" -o "$WORK/all.db" || exit 1
OPTS=(--ignore-label commit --json)
"$ANALYZE" diff --db "$WORK/all.db" --baseline 1,2,3 --candidate 4,5,6 "${OPTS[@]}" >"$WORK/sq.json"
rc_sq=$?
"$ANALYZE" diff --clickhouse "$(ch_url 0 fleet)" --baseline "$(uuids "${BASE[@]}")" \
	--candidate "$(uuids "${CAND[@]}")" "${OPTS[@]}" >"$WORK/ch.json"
rc_ch=$?
[ $rc_sq = 1 ] || fail "the SQLite diff should find the doubled syscall (exit $rc_sq)"
[ $rc_ch = $rc_sq ] || fail "exit status: ClickHouse $rc_ch, SQLite $rc_sq"
strip() { jq -S 'del(.baseline, .candidate)' "$1"; }
[ "$(strip "$WORK/sq.json")" = "$(strip "$WORK/ch.json")" ] ||
	{ fail "the ClickHouse diff differs from SQLite's"; diff <(strip "$WORK/sq.json") <(strip "$WORK/ch.json") | head -20; }
[ "$(jq '.rows | length' "$WORK/ch.json")" -gt 10 ] || fail "too few rows compared"
jq -e '.phases | index("work")' "$WORK/ch.json" >/dev/null || fail "the named phase 'work' is missing: $(jq -c .phases "$WORK/ch.json")"

# label selection across shards
"$ANALYZE" diff --clickhouse "$(ch_url 0 fleet)" --baseline label:commit=aaa \
	--candidate label:commit=bbb "${OPTS[@]}" >"$WORK/lab.json"
rc=$?
[ $rc = $rc_sq ] || fail "label diff exit $rc"
[ "$(jq '.rows | map(.verdict) | sort' "$WORK/lab.json")" = "$(jq '.rows | map(.verdict) | sort' "$WORK/sq.json")" ] ||
	fail "label diff verdicts differ"
# run ids, as runs.run_id gives them
IDS=$(chq 0 "SELECT arrayStringConcat(groupArray(toString(run_id)), ',') FROM (SELECT run_id FROM runs WHERE labels = 'commit=bbb')" fleet)
"$ANALYZE" diff --clickhouse "$(ch_url 0 fleet)" --baseline label:commit=aaa --candidate "$IDS" \
	"${OPTS[@]}" >"$WORK/ids.json"
[ $? = $rc_sq ] || fail "diff by run ids: exit status"
[ "$(jq '.rows | map(.verdict) | sort' "$WORK/ids.json")" = "$(jq '.rows | map(.verdict) | sort' "$WORK/sq.json")" ] ||
	fail "diff by run ids: verdicts differ"
"$ANALYZE" diff --clickhouse "$(ch_url 0 fleet)" --baseline label:commit=nope --candidate label:commit=bbb \
	2>"$WORK/e1" >/dev/null
[ $? = 2 ] && grep -q "no run 'label:commit=nope'" "$WORK/e1" || fail "unknown label: $(cat "$WORK/e1")"

# an identical pair is no change, in both paths
"$ANALYZE" diff --clickhouse "$(ch_url 0 fleet)" --baseline label:commit=aaa --candidate label:commit=aaa \
	>/dev/null || fail "baseline against itself should be no change"

# summary of one run on the far shard
U=$(uuids "${CAND[0]}")
"$ANALYZE" summary --json --clickhouse "$(ch_url 0 fleet)" "$U" | jq -S 'del(.run.name, .run.run_id)' >"$WORK/s_ch.json" ||
	fail "summary through the cluster"
"$ANALYZE" summary --json "$WORK/all.db" --run 4 | jq -S 'del(.run.name, .run.run_id)' >"$WORK/s_sq.json"
cmp -s "$WORK/s_ch.json" "$WORK/s_sq.json" || { fail "summary differs"; diff "$WORK/s_sq.json" "$WORK/s_ch.json" | head; }

[ $FAILED = 0 ] && echo "PASS: ClickHouse cluster"
exit $FAILED
