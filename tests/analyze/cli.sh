#!/bin/bash
# cli.sh - vmtrail-analyze's command line: --help/--version, exit codes and
# error messages that name the file and the problem.
WORK=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TMPDIR=$WORK
A=$VMT_BIN/vmtrail-analyze
GEN=$VMT_BUILD/tests/gen_runs
[ -x "$A" ] && [ -x "$GEN" ] || { echo "SKIP: vmtrail-analyze or gen_runs not built"; exit 77; }
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# expect CODE PATTERN cmd...: exit status CODE and PATTERN in stdout+stderr
expect() {
	local code=$1 pat=$2 rc
	shift 2
	"$@" >"$WORK/out" 2>&1
	rc=$?
	[ $rc -eq "$code" ] || fail "$*: exit $rc, expected $code"
	grep -q -- "$pat" "$WORK/out" || { fail "$*: no '$pat' in:"; cat "$WORK/out"; }
}

expect 0 'Usage: vmtrail-analyze summary' "$A" --help
expect 0 'Exit status:' "$A" diff --help
expect 0 '^vmtrail-analyze [0-9]' "$A" --version
expect 0 '^vmtrail-analyze [0-9]' "$A" -V
expect 2 'missing command' "$A"
expect 2 "unknown command 'frobnicate'" "$A" frobnicate
expect 2 'diff needs --baseline' "$A" diff --candidate x
expect 2 '--alpha wants a number' "$A" diff --baseline a --candidate b --alpha 2
expect 2 "$WORK/nope.vmt: no such file" "$A" summary "$WORK/nope.vmt"
echo "not a database" >"$WORK/junk.db"
expect 2 "$WORK/junk.db: not a vmtrail database" "$A" summary "$WORK/junk.db"
expect 2 'a bare run id needs --db' "$A" diff --baseline 1 --candidate 2

"$GEN" "$WORK/a.vmt" --seed 1 --events 3000 || exit 1
"$GEN" "$WORK/b.vmt" --seed 2 --events 3000 || exit 1
"$VMT_BIN/vmtrail-replay" --single-thread "$WORK/a.vmt" "$WORK/b.vmt" -o "$WORK/two.db" >/dev/null 2>&1 ||
	fail "vmtrail-replay"
expect 2 'holds 2 runs; pick one with --run ID' "$A" summary "$WORK/two.db"
expect 0 'run         .*two.db:2' "$A" summary "$WORK/two.db" --run 2
expect 2 "two.db:7: no such run" "$A" summary "$WORK/two.db:7"
# the same run on both sides: nothing can differ
expect 0 'no significant change' "$A" diff --db "$WORK/two.db" --baseline 1 --candidate 1
# a diff keeps its counts in temporary files: a missing $TMPDIR is named
expect 2 "comparing the runs: a temporary file in $WORK/no-tmp: No such file" \
	env TMPDIR="$WORK/no-tmp" "$A" diff --db "$WORK/two.db" --baseline 1 --candidate 2
expect 0 '"comparable":true' "$A" diff --baseline "$WORK/two.db:1" --candidate "$WORK/a.vmt" --json
# a trace and a database naming the same run import once
expect 0 'result' "$A" diff --baseline "$WORK/a.vmt" --candidate "$WORK/a.vmt,$WORK/two.db:2"
# labels: the gate names the key; --ignore-label lets it pass
"$GEN" "$WORK/c.vmt" --seed 3 --events 3000 --label "test=other" || exit 1
expect 2 "label test differs (baseline 'test=analyze', candidate 'test=other')" \
	"$A" diff --baseline "$WORK/a.vmt" --candidate "$WORK/c.vmt"
expect 0 'result' "$A" diff --baseline "$WORK/a.vmt" --candidate "$WORK/c.vmt" --ignore-label test
ls "$WORK"/vmtrail-analyze-* >/dev/null 2>&1 && fail "temporary database left behind"
exit $failed
