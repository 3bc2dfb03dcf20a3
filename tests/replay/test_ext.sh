#!/bin/bash
# test_ext.sh - the loadable extension (vmtrail.so) in other SQLite clients:
# the sqlite3 shell and Python's sqlite3 read every register and payload
# field of a schema-2 database (compared with the JSONL stream of the same
# trace), and vmt_events('trace') returns the rows of the import, whole,
# for a sequence range and for a cut trace.
set -u
R="$VMT_BIN/vmtrail-replay"
GEN="$VMT_BUILD/tests/vmt_gen_trace"
EXT="$VMT_BUILD/lib/vmtrail"
[ -x "$R" ] && [ -x "$GEN" ] && [ -f "$EXT.so" ] || { echo "vmtrail-replay, vmt_gen_trace or vmtrail.so not built"; exit 77; }
command -v sqlite3 >/dev/null && command -v python3 >/dev/null || { echo "no sqlite3 shell or python3"; exit 77; }
# A sanitizer build's extension needs the sanitizer runtimes loaded first
# into the programs that load it (leak reports would be the hosts').  Only
# those: Python under the ASan runtime takes seconds to parse the JSONL.
pre=$(ldd "$EXT.so" | awk '/lib(asan|ubsan)\.so/ { print $3 }' | tr '\n' ' ')
host=()
[ -z "$pre" ] || host=(env LD_PRELOAD="$pre" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")
T=$(mktemp -d /tmp/vmt-ext-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
check() { # check DESCRIPTION WANT GOT
	if [ "$2" != "$3" ]; then echo "FAIL: $1: want '$2', got '$3'"; fail=1; else echo "ok: $1"; fi
}
q() { "${host[@]}" sqlite3 -cmd ".load $EXT" "$@"; }

"$GEN" "$T/a.vmt" 7 1500 11 >/dev/null
"$GEN" "$T/c.vmt" 6 1500 12 cut >/dev/null
"$R" -q "$T/a.vmt" -o "$T/a.db" || { echo "import failed"; exit 1; }
"$R" -q "$T/c.vmt" -o "$T/c.db" || { echo "import of the cut trace failed"; exit 1; }
"$R" -q "$T/a.vmt" --format jsonl -o "$T/a.jsonl"

check "plain shell: event_regs needs the extension" 1 \
	"$(sqlite3 "$T/a.db" 'SELECT count(*) FROM event_regs' >/dev/null 2>&1; echo $?)"
check "plain shell: events needs the extension" 1 \
	"$(sqlite3 "$T/a.db" 'SELECT count(*) FROM events' >/dev/null 2>&1; echo $?)"
check "plain shell: event_rows needs no extension" 1500 \
	"$(sqlite3 "$T/a.db" 'SELECT count(*) FROM event_rows')"
check "plain shell: nor do the detail views and responses" "1|1" \
	"$(sqlite3 "$T/a.db" 'SELECT (SELECT count(*) FROM event_rows WHERE reason = 10) = (SELECT count(*) FROM cpuid), (SELECT count(*) FROM responses) > 0')"
# registers outside the columns; the JSONL's unsigned values as SQLite's
# signed ones (python3: jq reads numbers as doubles)
for reg in cr0 cr4 msr_efer fs_base dr7; do
	want=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["record"] == "event":
        v = e.get(sys.argv[2])
        print(e["seq"], "null" if v is None else v - (1 << 64) if v >= 1 << 63 else v)
' "$T/a.jsonl" "$reg")
	got=$(q "$T/a.db" "SELECT e.seq || ' ' || coalesce(vmt_reg(r.entry, '$reg'), 'null')
		FROM events e JOIN event_regs r USING (event_id) ORDER BY e.seq")
	check "shell: vmt_reg(entry, '$reg') of every event equals the JSONL" "$(echo "$want" | md5sum)" "$(echo "$got" | md5sum)"
done

cols="seq, ts_ns, vcpu, reason, reason_name, flags, altp2m_idx, rip, rsp, cr3, rax, rbx, rcx, rdx, rsi, rdi, rflags, p1, p2, p3, p4"
imp="SELECT $cols, quote(entry) FROM events JOIN event_regs USING (event_id)"
for db in a c; do
	vt="SELECT $cols, quote(entry) FROM vmt_events('$T/$db.vmt')"
	n=$(q "$T/$db.db" 'SELECT count(*) FROM events')
	check "vmt_events($db) rows" "$n" "$(q "$T/$db.db" "SELECT count(*) FROM vmt_events('$T/$db.vmt')")"
	check "vmt_events($db) = the import, both ways" "0 0" "$(q "$T/$db.db" "SELECT count(*) FROM ($vt EXCEPT $imp)") $(q "$T/$db.db" "SELECT count(*) FROM ($imp EXCEPT $vt)")"
	for range in "seq BETWEEN 400 AND 700" "seq > 1000 AND seq < 1003" "seq >= 1200" "ts_ns >= (SELECT ts_ns FROM events WHERE seq = 300) AND ts_ns < (SELECT ts_ns FROM events WHERE seq = 800)" "seq = 42" "seq < 0"; do
		check "vmt_events($db) WHERE $range = the import's" \
			"$(q "$T/$db.db" "SELECT count(*), total(rip), total(seq) FROM events WHERE $range")" \
			"$(q "$T/$db.db" "SELECT count(*), total(rip), total(seq) FROM vmt_events('$T/$db.vmt') WHERE $range")"
	done
done
check "vmt_events of the cut trace stops where the import does" \
	"$(sqlite3 "$T/c.db" 'SELECT max(seq) FROM event_rows')" "$(q "$T/c.db" "SELECT max(seq) FROM vmt_events('$T/c.vmt')")"
check "vmt_events names a missing trace" 1 "$(q "$T/a.db" "SELECT count(*) FROM vmt_events('$T/none.vmt')" 2>"$T/err" >/dev/null; echo $?)"
grep -q "none.vmt" "$T/err" || { echo "FAIL: the error names the trace"; cat "$T/err"; fail=1; }
check "vmt_events without a trace is refused" 1 "$(q "$T/a.db" "SELECT count(*) FROM vmt_events" >/dev/null 2>&1; echo $?)"

# Python's sqlite3: every register and payload field of every event
py=""
for p in python3 /usr/bin/python3; do
	command -v "$p" >/dev/null && "${host[@]}" "$p" -c 'import sqlite3; sqlite3.connect(":memory:").enable_load_extension(True)' 2>/dev/null && { py=$p; break; }
done
if [ -z "$py" ]; then
	echo "no python3 whose sqlite3 loads extensions: Python part skipped"
else
	check "python: every register and payload field equals the JSONL" ok "$("${host[@]}" "$py" - "$T/a.db" "$EXT" "$T/a.jsonl" <<'PY'
import json, sqlite3, sys
db, ext, jsonl = sys.argv[1:4]
c = sqlite3.connect(db)
c.enable_load_extension(True)
c.load_extension(ext)
rows = {seq: entry for seq, entry in c.execute(
    "SELECT e.seq, r.entry FROM events e JOIN event_regs r USING (event_id)")}
checked = 0
for line in open(jsonl):
    ev = json.loads(line)
    if ev["record"] != "event":
        continue
    entry = rows[ev["seq"]]
    for k, v in ev.items():
        if k.endswith("_str"):             # exact companion of a number past 2^53
            assert v == str(ev[k[:-4]]), (ev["seq"], k)
            continue
        if isinstance(v, dict):            # the detail object
            for f, fv in v.items():
                if f.endswith("_str"):
                    assert fv == str(v[f[:-4]]), (ev["seq"], f)
                    continue
                got = c.execute("SELECT vmt_field(?, ?)", (entry, f)).fetchone()[0]
                assert got % (1 << 64) == fv, (ev["seq"], f, got, fv)
                checked += 1
        elif k not in ("record", "seq", "ts_ns", "vcpu", "reason", "reason_name",
                       "flags", "altp2m_idx", "version", "raw_u"):
            got = c.execute("SELECT vmt_reg(?, ?)", (entry, k)).fetchone()[0]
            assert got is not None and got % (1 << 64) == v, (ev["seq"], k, got, v)
            checked += 1
assert checked > 1500 * 40, checked
print("ok")
PY
)"
fi
exit $fail
