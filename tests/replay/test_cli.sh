#!/bin/bash
# test_cli.sh - vmtrail-replay end to end: import, append, refused
# re-import, --strict on a cut trace, streams, --info, exit codes 0/1/2.
set -u
R="$VMT_BIN/vmtrail-replay"
GEN="$VMT_BUILD/tests/vmt_gen_trace"
[ -x "$R" ] && [ -x "$GEN" ] || { echo "vmtrail-replay or vmt_gen_trace not built"; exit 77; }
command -v sqlite3 >/dev/null || { echo "no sqlite3 shell"; exit 77; }
T=$(mktemp -d /tmp/vmt-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
check() { # check DESCRIPTION WANT GOT
	if [ "$2" != "$3" ]; then echo "FAIL: $1: want '$2', got '$3'"; fail=1; else echo "ok: $1"; fi
}
status() { "$@" >"$T/out" 2>"$T/err"; echo $?; }

read -r n1 r1 m1 ma1 < <("$GEN" "$T/a.vmt" 7 500 1)
read -r n2 _ _ _ < <("$GEN" "$T/b.vmt" 4 300 2)
"$GEN" "$T/cut.vmt" 6 1500 3 cut >/dev/null

check "import two traces" 0 "$(status "$R" -q "$T/a.vmt" "$T/b.vmt" -o "$T/r.db")"
check "events of run 1" "$n1" "$(sqlite3 "$T/r.db" 'SELECT count(*) FROM event_rows WHERE run_id = 1')"
check "events of run 2" "$n2" "$(sqlite3 "$T/r.db" 'SELECT count(*) FROM event_rows WHERE run_id = 2')"
check "mem_access rows" "$ma1" "$(sqlite3 "$T/r.db" 'SELECT count(*) FROM mem_access WHERE run_id = 1')"
check "user_version" 4 "$(sqlite3 "$T/r.db" 'PRAGMA user_version')"
check "no temporary file left" "" "$(ls "$T" | grep tmp)"

check "existing db without --append" 1 "$(status "$R" "$T/a.vmt" -o "$T/r.db")"
grep -q "already exists" "$T/err" || { echo "FAIL: message"; cat "$T/err"; fail=1; }
uuid=$(sqlite3 "$T/r.db" 'SELECT uuid FROM runs WHERE run_id = 1')
check "re-import refused" 1 "$(status "$R" --append "$T/a.vmt" -o "$T/r.db")"
check "re-import message" "vmtrail-replay: run $uuid already in $T/r.db" "$(cat "$T/err")"
check "db untouched" 2 "$(sqlite3 "$T/r.db" 'SELECT count(*) FROM runs')"

sqlite3 "$T/old.db" "CREATE TABLE runs (trace_path TEXT); INSERT INTO runs VALUES ('/data/r1.vmt'); PRAGMA user_version = 1"
check "schema-1 database refused" 1 "$(status "$R" --append "$T/a.vmt" -o "$T/old.db")"
grep -q "schema 1, written by an older vmtrail-replay.*import the traces again.*vmtrail-replay /data/r1.vmt -o NEW.db" "$T/err" ||
	{ echo "FAIL: no re-import advice for a schema-1 database"; cat "$T/err"; fail=1; }
sqlite3 "$T/v2.db" "CREATE TABLE runs (trace_path TEXT); INSERT INTO runs VALUES ('/data/r2.vmt'); PRAGMA user_version = 2"
check "schema-2 database refused" 1 "$(status "$R" --append "$T/a.vmt" -o "$T/v2.db")"
grep -q "schema 2, written by an older vmtrail-replay.*vmtrail-replay /data/r2.vmt -o NEW.db" "$T/err" ||
	{ echo "FAIL: no re-import advice for a schema-2 database"; cat "$T/err"; fail=1; }
sqlite3 "$T/v3.db" "CREATE TABLE runs (trace_path TEXT); INSERT INTO runs VALUES ('/data/r3.vmt'); PRAGMA user_version = 3"
check "schema-3 database refused" 1 "$(status "$R" --append "$T/a.vmt" -o "$T/v3.db")"
grep -q "schema 3, written by an older vmtrail-replay.*vmtrail-replay /data/r3.vmt -o NEW.db" "$T/err" ||
	{ echo "FAIL: no re-import advice for a schema-3 database"; cat "$T/err"; fail=1; }
check "cut trace imports" 0 "$(status "$R" --append "$T/cut.vmt" -o "$T/r.db")"
grep -q "warning: .*cut.vmt" "$T/err" || { echo "FAIL: no damage warning"; cat "$T/err"; fail=1; }
check "cut trace has a gap" 1 "$(sqlite3 "$T/r.db" "SELECT count(*) FROM gaps WHERE kind = 'truncated'")"
check "--strict on cut trace" 1 "$(status "$R" --strict "$T/cut.vmt" -o "$T/s.db")"
grep -q "damaged" "$T/err" || { echo "FAIL: strict message"; cat "$T/err"; fail=1; }
check "no db after failure" "" "$(ls "$T" | grep 's.db')"

check "jsonl" 0 "$(status "$R" "$T/a.vmt" --format jsonl -o "$T/a.jsonl")"
check "jsonl events" "$n1" "$(grep -c '"record":"event"' "$T/a.jsonl")"
check "jsonl responses" "$r1" "$(grep -c '"record":"response"' "$T/a.jsonl")"
check "jsonl filtered" "$(sqlite3 "$T/r.db" "SELECT count(*) FROM event_rows WHERE run_id = 1 AND reason_name = 'cpuid' AND vcpu = 1 AND seq BETWEEN 10 AND 300")" \
	"$("$R" "$T/a.vmt" --format jsonl --reason cpuid --vcpu 1 --from 10 --to 300 | grep -c '"record":"event"')"
check "csv rows" "$((n1 + 1))" "$("$R" "$T/a.vmt" --format csv | wc -l)"
check "chrome" 0 "$(status "$R" "$T/a.vmt" --format chrome -o "$T/a.json")"
if command -v python3 >/dev/null; then
	check "chrome is JSON" 0 "$(python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/a.json" >/dev/null 2>&1; echo $?)"
	# Parsers keep one of two equal keys: every key must be unique.
	check "chrome: no repeated key, mem_access flags kept" "$ma1" "$(python3 -c '
import json, sys
n = 0
def pairs(kv):
    global n
    keys = [k for k, _ in kv]
    assert len(keys) == len(set(keys)), keys
    n += "mem_access_flags" in keys
    return dict(kv)
json.load(open(sys.argv[1]), object_pairs_hook=pairs)
print(n)' "$T/a.json" 2>&1)"
	check "info --json is JSON" 0 "$("$R" --info --json "$T/a.vmt" | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["integrity"]["complete"] == 1 else 1)'; echo $?)"
fi
check "info" 0 "$(status "$R" --info "$T/cut.vmt")"
grep -q "complete *0" "$T/out" || { echo "FAIL: info of cut trace"; fail=1; }

check "usage: no trace" 2 "$(status "$R" -o "$T/x.db")"
check "usage: bad option" 2 "$(status "$R" --bogus "$T/a.vmt")"
check "usage: bad --from" 2 "$(status "$R" "$T/a.vmt" --format jsonl --from 3parsecs)"
check "usage: unknown format" 2 "$(status "$R" "$T/a.vmt" --format nosuch)"
for f in $("$R" --help | sed -n '/--format FMT/,/--output FILE/p' | awk 'NF >= 2 && $1 !~ /^-/ {print $1}'); do
	if [ "$f" = clickhouse ]; then  # a server sink: -o is a URL (tests/clickhouse load it)
		check "--help lists format $f, and it wants a URL" 2 "$(status "$R" -q "$T/a.vmt" --format "$f" -o "$T/fmt.$f")"
		continue
	fi
	check "--help lists format $f, and it runs" 0 "$(status "$R" -q "$T/a.vmt" --format "$f" -o "$T/fmt.$f")"
done
check "usage: bad --reason" 2 "$(status "$R" "$T/a.vmt" --format jsonl --reason nosuch)"
check "missing trace" 1 "$(status "$R" "$T/none.vmt" -o "$T/n.db")"
grep -q "none.vmt" "$T/err" || { echo "FAIL: message names the file"; fail=1; }
check "--help" 0 "$(status "$R" --help)"
grep -q "Exit status" "$T/out" || { echo "FAIL: help text"; fail=1; }
check "--version" 0 "$(status "$R" --version)"
exit $fail
