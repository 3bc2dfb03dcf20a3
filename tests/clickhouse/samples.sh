#!/bin/bash
# samples.sh - every query of samples/queries/clickhouse runs as written
# with clickhouse-client --multiquery against runs loaded by vmtrail-replay
# --clickhouse, and returns rows.
WORK=$(mktemp -d)
trap 'ch_stop_all; rm -rf "$WORK"' EXIT
. "$VMT_SRC/tests/clickhouse/lib.sh"
GEN=$VMT_BUILD/tests/gen_runs
REPLAY=$VMT_BIN/vmtrail-replay
[ -x "$GEN" ] && [ -x "$REPLAY" ] || { echo "SKIP: tools not built"; exit 77; }
command -v clickhouse-client >/dev/null || { echo "SKIP: clickhouse-client missing"; exit 77; }
FAILED=0
"$GEN" "$WORK/a.vmt" --seed 1 --events 6000 --label "branch=main;commit=aaa" || exit 1
"$GEN" "$WORK/b.vmt" --seed 2 --events 6000 --variant new-msr --label "branch=main;commit=bbb" || exit 1
ch_start_n 1
chq 0 "CREATE DATABASE vmtrail" default || exit 1
"$REPLAY" -q "$WORK/a.vmt" "$WORK/b.vmt" --clickhouse "$(ch_url 0)" || exit 1
n=0
for q in "$VMT_SRC"/samples/queries/clickhouse/*.sql; do
	n=$((n + 1))
	if ! clickhouse-client --host 127.0.0.1 --port "${CH_TCP[0]}" --database vmtrail \
		--multiquery <"$q" >"$WORK/out" 2>&1; then
		echo "FAIL: $(basename "$q"):"; head -5 "$WORK/out"; FAILED=1
	elif [ ! -s "$WORK/out" ]; then
		echo "FAIL: $(basename "$q") returned no rows"; FAILED=1
	fi
done
[ $n -ge 15 ] || { echo "FAIL: only $n sample queries"; FAILED=1; }
[ $FAILED = 0 ] && echo "PASS: $n ClickHouse sample queries"
exit $FAILED
