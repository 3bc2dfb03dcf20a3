# compare_cases.sh - the acceptance cases of vmtrail-analyze diff, sourced
# by e2e_xensim.sh and e2e_synthetic.sh after they defined
#   make_runs PREFIX VARIANT SEED...   (sets $SET to a comma list of runs)
#   make_run_vcpus OUT VCPUS           (a base run with another vCPU count)
#   make_run_monitors OUT              (a base run without --breakpoint)
# and the phase names of the injected changes in $LOGIN_PHASE and
# $WORK_PHASE; PHASE_MARK="?" makes the phase-level flag optional (never
# a flag in another phase).

ANALYZE=$VMT_BIN/vmtrail-analyze
CHECK="python3 $VMT_SRC/tests/analyze/check_flags.py"
FAILED=0

fail() { echo "FAIL: $*"; FAILED=1; }

# Each comparison flags nothing under pure noise with probability about
# 1 - alpha (README "Statistics"); with several comparisons per test the
# tests use alpha 0.01, far above the injected changes' q (< 1e-10).
ALPHA=0.01

# diff_case NAME WANT_EXIT [check_flags args...]: diff $BASE against $SET
diff_case() {
	local name=$1 want=$2 rc
	shift 2
	"$ANALYZE" diff --baseline "$BASE" --candidate "$SET" --min-change 10 --alpha $ALPHA \
		--json >"$WORK/$name.json" 2>"$WORK/$name.err"
	rc=$?
	[ $rc -eq "$want" ] || { fail "$name: exit $rc, expected $want"; cat "$WORK/$name.err"; }
	$CHECK "$WORK/$name.json" "$@" || fail "$name: wrong flags"
	echo "ok: $name (exit $rc)"
}

# Record every run first, then import them all into one database once:
# the comparisons name runs as DB:ID, and one of them as trace files.
make_runs base base 1 2 3
BASE_TRACES=$SET
make_runs noise base 4 5 6
make_runs msr cand-new-msr 4 5 6
make_runs sys cand-syscall-2x 4 5 6
SYS_TRACES=$SET
make_runs page cand-new-page 4 5 6
make_run_vcpus "$WORK/vcpus4.vmt" 4
make_run_monitors "$WORK/monitors.vmt"
"$VMT_BIN/vmtrail-replay" --single-thread "$WORK"/*.vmt -o "$WORK/all.db" >"$WORK/replay.log" 2>&1 ||
	{ cat "$WORK/replay.log"; echo "FAIL: vmtrail-replay"; exit 1; }

# runs PREFIX: the DB:ID list of the runs recorded under PREFIX
runs() {
	python3 - "$WORK/all.db" "$1" <<'PY'
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ids = [str(r) for r, p in db.execute("SELECT run_id, trace_path FROM runs ORDER BY run_id")
       if os.path.basename(p).startswith(sys.argv[2])]
print(",".join(sys.argv[1] + ":" + i for i in ids))
PY
}

BASE=$(runs base-)
SET=$(runs noise-)
diff_case noise 0

SET=$(runs msr-)
diff_case new-msr 1 "mov_to_msr msr 0xc0000081 (STAR)" "whole run,$PHASE_MARK$WORK_PHASE"

SET=$(runs sys-)
# The change sits in the login phase, whose length is fixed in steps; the
# whole-run count also holds the open-ended last phase, whose length follows
# the host's speed, so only the phase-level flag is required here.
diff_case syscall-2x 1 "mem_access syscall 39" "?whole run,$LOGIN_PHASE"
# the rows left out below the rare floor change no other row
"$ANALYZE" diff --baseline "$BASE" --candidate "$SET" --min-change 10 --alpha $ALPHA --json \
	--keep-rare >"$WORK/syscall-2x-keep.json"
python3 "$VMT_SRC/tests/analyze/check_rare.py" "$WORK/syscall-2x.json" "$WORK/syscall-2x-keep.json" \
	${RARE_EXPECTED:+--expect-rare} || fail "syscall-2x: the rare rows changed the diff"
# the same comparison from the trace files, as text and HTML
"$ANALYZE" diff --baseline "$BASE_TRACES" --candidate "$SYS_TRACES" --min-change 10 --alpha $ALPHA \
	--html "$WORK/report.html" >"$WORK/syscall.txt"
grep -q 'mem_access syscall 39 .* up$' "$WORK/syscall.txt" || fail "text report misses syscall 39"
grep -q '<svg' "$WORK/report.html" || fail "HTML report has no chart"
if grep -Eq '(src|href)="?(https?:)?//' "$WORK/report.html"; then
	fail "HTML report refers to the network"
fi

SET=$(runs page-)
diff_case new-page 1 "mem_access gfn 0x21080 -w-" "whole run,$PHASE_MARK$WORK_PHASE"

# comparability gate
"$ANALYZE" diff --baseline "$BASE" --candidate "$(runs vcpus4)" >/dev/null 2>"$WORK/gate.err"
rc=$?
[ $rc -eq 2 ] || fail "vcpus gate: exit $rc, expected 2"
grep -q 'incomparable runs: vcpus differ (baseline 2, candidate 4)' "$WORK/gate.err" ||
	{ fail "vcpus gate message"; cat "$WORK/gate.err"; }
"$ANALYZE" diff --baseline "$BASE" --candidate "$(runs vcpus4)" --force >"$WORK/forced.txt" 2>&1
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 1 ] || fail "--force: exit $rc"
grep -q 'WARNING.*vcpus differ' "$WORK/forced.txt" || fail "--force output lacks the warning"

"$ANALYZE" diff --baseline "$BASE" --candidate "$(runs monitors)" >/dev/null 2>"$WORK/gate2.err"
rc=$?
[ $rc -eq 2 ] || fail "monitor gate: exit $rc, expected 2"
grep -q "monitor breakpoint differs (baseline 'breakpoint', candidate 'absent')" "$WORK/gate2.err" ||
	{ fail "monitor gate message"; cat "$WORK/gate2.err"; }
echo "ok: comparability gate"

# summary of a trace, text and JSON
"$ANALYZE" summary "${BASE_TRACES%%,*}" >"$WORK/summary.txt" || fail "summary exit $?"
grep -q '^events per reason' "$WORK/summary.txt" || fail "summary text"
"$ANALYZE" summary --json "$WORK/all.db" --run 1 | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["run"]["events"] > 0 and 0 <= s["perturbation"] < 1 and s["coverage"] == 1, s
assert "mov_to_msr" in s["top_keys"] and len(s["phases"]) >= 3, s["phases"]
' || fail "summary JSON"
echo "ok: summary"
