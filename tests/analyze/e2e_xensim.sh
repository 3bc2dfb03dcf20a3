#!/bin/bash
# e2e_xensim.sh - the acceptance cases of vmtrail-analyze on runs recorded
# by vmtrail-record from xensim running the scenario variants of
# samples/workloads/variants/ (three seeds a side).
# tmpfs when there is one: the traces and databases are fsynced
WORK=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TMPDIR=$WORK
. "$VMT_SRC/tests/analyze/lib.sh"
need_tools
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

make_runs() { record_set "$@"; }
make_run_vcpus() { record "$1" base 7 "$2"; }
make_run_monitors() {
	MONITORS=${MONITORS/--breakpoint/} record "$1" base 7 2
}
# The runs start paused and carry the scenario's phase names (lib.sh), so
# every run holds its boot marker and the phases are boot, login, work.
LOGIN_PHASE="login"
WORK_PHASE="work"
# Counted per unit of work, neither a slow host nor a slow phase moves a
# row: the phase-level flag is required, as in the synthetic test.
PHASE_MARK=
. "$VMT_SRC/tests/analyze/compare_cases.sh"
# Named marker codes read by their phase wherever a key shows them.
python3 - "$WORK/noise.json" <<'PY' || fail "guest-request keys do not name their phase"
import json, sys
rows = [r for r in json.load(open(sys.argv[1]))["rows"]
        if r["kind"] == "key" and r["reason"] == "guest_request" and r["a"] == 1]
assert rows and all(r["behaviour"] == "guest_request request 1 (login)" and
                    r["phase"] == "login" for r in rows), rows
PY
exit $FAILED
