#!/bin/bash
# test_facts.sh - one list of run facts: vmtrail-replay --info --json and
# the runs row of an import agree field for field (a whole trace, a cut
# one and a damaged one), every fact under the same name, and the names
# each side had before the list still there as aliases.
set -u
R="$VMT_BIN/vmtrail-replay"
GEN="$VMT_BUILD/tests/vmt_gen_trace"
[ -x "$R" ] && [ -x "$GEN" ] || { echo "vmtrail-replay or vmt_gen_trace not built"; exit 77; }
command -v sqlite3 >/dev/null && command -v python3 >/dev/null || { echo "no sqlite3 shell or python3"; exit 77; }
T=$(mktemp -d /tmp/vmt-facts-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0

"$GEN" "$T/whole.vmt" 7 800 21 >/dev/null
"$GEN" "$T/cut.vmt" 5 3000 22 cut >/dev/null
"$GEN" "$T/bad.vmt" 7 3000 23 >/dev/null
# flip bytes in the middle of the file: a damaged chunk
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(0, 2); n = f.tell(); f.seek(n // 2); b = bytearray(f.read(64)); f.seek(n // 2); f.write(bytes(x ^ 0x5a for x in b))' "$T/bad.vmt"

for t in whole cut bad; do
	"$R" -q "$T/$t.vmt" -o "$T/$t.db" || { echo "FAIL: import of $t"; fail=1; continue; }
	"$R" --info --json "$T/$t.vmt" >"$T/$t.json" 2>/dev/null
	sqlite3 -json "$T/$t.db" "SELECT * FROM runs" >"$T/$t.runs"
	python3 - "$T/$t.json" "$T/$t.runs" "$t" <<'PY' || fail=1
import json, sys
info = json.load(open(sys.argv[1]))
run = json.load(open(sys.argv[2]))[0]
name = sys.argv[3]
import_only = {"run_id", "trace_path", "imported_at", "filtered",
               "imported_events", "imported_responses"}
info_alias = {"end_cause": "end_cause_name", "from_trailer": "summary_from_trailer",
              "damaged": "damaged_chunks"}
runs_alias = {"end_cause": "end_cause_code"}
facts = {}
for group in ("header", "summary", "integrity"):
    for k, v in info[group].items():
        if k in info_alias:
            assert v == info[group][info_alias[k]], (name, k)
        elif k.endswith("_str") and k[:-4] in info[group]:
            # the exact companion of a number past 2^53 (SCHEMA.md)
            assert v == str(info[group][k[:-4]]), (name, k)
        else:
            facts[k] = v
bad = []
for k, v in facts.items():
    if k not in run:
        bad.append("--info has %s, runs has not" % k)
    elif run[k] != v and not (isinstance(v, int) and v >= 1 << 63 and run[k] == v - (1 << 64)):
        bad.append("%s: --info %r, runs %r" % (k, v, run[k]))
for k, v in run.items():
    if k in import_only:
        continue
    if k in runs_alias:
        if v != run[runs_alias[k]]:
            bad.append("runs.%s differs from %s" % (k, runs_alias[k]))
    elif k not in facts:
        bad.append("runs has %s, --info has not" % k)
assert info["path"] == run["trace_path"]
if name == "cut":
    assert facts["summary_from_trailer"] == 0 and facts["end_cause_code"] == -1 \
        and facts["end_cause_name"] == "none" and facts["duration_ns"] > 0, facts
if name == "bad":
    assert facts["damaged_chunks"] >= 1 and facts["first_damaged"] >= 0, facts
for b in bad:
    print("FAIL: %s: %s" % (name, b))
print("ok: %s: %d facts agree" % (name, len(facts)) if not bad else "")
sys.exit(1 if bad else 0)
PY
done
exit $fail
