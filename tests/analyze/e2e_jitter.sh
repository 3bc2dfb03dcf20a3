#!/bin/bash
# e2e_jitter.sh - a faster or slower run must change no row: synthetic runs
# (gen_runs, fixed seeds, so the outcome is the same on any host) whose
# boot and login phases are fixed in guest steps while the whole run's pace
# swings by +-30 % and each phase's pace by up to 25 % more.  Per unit of
# work, base against base flags nothing and the injected changes are found
# in their phase; per second, the same base runs differ everywhere (so the
# jitter is real and the first check has teeth).
WORK=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TMPDIR=$WORK
GEN=$VMT_BUILD/tests/gen_runs
ANALYZE=$VMT_BIN/vmtrail-analyze
CHECK="python3 $VMT_SRC/tests/analyze/check_flags.py"
[ -x "$GEN" ] && [ -x "$ANALYZE" ] || { echo "SKIP: gen_runs or vmtrail-analyze not built"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }

# runs PREFIX VARIANT SEED:SPEED:PHASE_SPEEDS...  -> comma list in $SET
runs() {
	local prefix=$1 variant=$2 spec seed speed ps
	shift 2
	SET=
	for spec in "$@"; do
		IFS=: read -r seed speed ps <<<"$spec"
		"$GEN" "$WORK/$prefix-$seed.vmt" --seed "$seed" --events 16000 --steps 800 \
			--rate 4000 --speed "$speed" --phase-speed "$ps" --variant "$variant" || exit 1
		SET=${SET:+$SET,}$WORK/$prefix-$seed.vmt
	done
}

# The baseline runs slow, the other sides fast: 0.7x to 1.3x.
runs base base 11:0.7:1.25,0.8,1 12:0.8:1,1.2,0.9 13:0.9:0.8,1,1.15
BASE=$SET
runs same base 14:1.1:1.2,0.9,1 15:1.2:1,1,1.25 16:1.3:0.9,1.25,0.8
SAME=$SET
runs sys syscall-2x 17:1.3:1,0.8,1.2 18:1.1:1.25,1,1 19:1.2:0.8,1.2,0.9
SYS=$SET
runs msr new-msr 20:1.25:1,1,0.8 21:1.05:0.9,1.25,1 22:1.3:1.2,0.8,1.1
MSR=$SET
"$VMT_BIN/vmtrail-replay" --single-thread "$WORK"/*.vmt -o "$WORK/all.db" >"$WORK/replay.log" 2>&1 ||
	{ cat "$WORK/replay.log"; echo "FAIL: vmtrail-replay"; exit 1; }
ids() { # PREFIX: the DB:ID list of its runs
	sqlite3 "$WORK/all.db" "SELECT '$WORK/all.db:' || run_id FROM runs
		WHERE trace_path LIKE '%/$1-%' ORDER BY run_id" | paste -sd,
}
command -v sqlite3 >/dev/null || ids() { echo "${!2}"; }

# case NAME CAND WANT_EXIT [per] [check_flags args...]
case_() {
	local name=$1 cand=$2 want=$3 per=$4 rc
	shift 4
	"$ANALYZE" diff --baseline "$(ids base BASE)" --candidate "$cand" --per "$per" \
		--json >"$WORK/$name.json" 2>"$WORK/$name.err"
	rc=$?
	[ $rc -eq "$want" ] || { fail "$name: exit $rc, expected $want"; cat "$WORK/$name.err"; }
	[ $# -eq 0 ] && [ "$want" = 1 ] && { echo "ok: $name (exit $rc)"; return; }
	$CHECK "$WORK/$name.json" "$@" || fail "$name: wrong flags"
	echo "ok: $name (exit $rc)"
}

case_ same-per-work "$(ids same SAME)" 0 work
case_ syscall-2x "$(ids sys SYS)" 1 work "mem_access syscall 39" "?whole run,request 1"
case_ new-msr "$(ids msr MSR)" 1 work "mov_to_msr msr 0xc0000081 (STAR)" "whole run,request 2"
# the teeth: the same base runs per second differ in nearly every row
case_ same-per-second "$(ids same SAME)" 1 second
python3 - "$WORK/same-per-second.json" "$WORK/same-per-work.json" <<'PY' || fail "per second / per work report"
import json, sys
s, w = (json.load(open(p)) for p in sys.argv[1:])
assert s["per"] == "second" and w["per"] == "work", (s["per"], w["per"])
assert s["regressions"] >= 10, s["regressions"]
assert w["regressions"] == 0
PY
exit $FAILED
