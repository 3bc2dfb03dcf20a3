#!/bin/bash
# json_text.sh - every JSON output (JSONL, --info --json, the Chrome
# timeline, analyze summary/diff --json) of a trace whose domain name,
# labels and markers hold invalid UTF-8, control characters and terminal
# escapes, and whose values reach 2^64-1: valid UTF-8 and JSON for Python
# and jq, every string as the rule says, every 64-bit value exact (its
# "_str" companion above 2^53, read through jq too); and every text output
# with those characters escaped (check_json_text.py).
set -u
R="$VMT_BIN/vmtrail-replay"
A="$VMT_BIN/vmtrail-analyze"
GEN="$VMT_BUILD/tests/vmt_gen_hostile"
CHECK="$(dirname "$0")/check_json_text.py"
[ -x "$R" ] && [ -x "$A" ] && [ -x "$GEN" ] || { echo "not built"; exit 77; }
command -v python3 >/dev/null && command -v jq >/dev/null || { echo "no python3/jq"; exit 77; }
T=$(mktemp -d /tmp/vmt-json.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
run() { # run KIND FILE COMMAND...: COMMAND's stdout into FILE, then check it
	local kind=$1 file=$2; shift 2
	"$@" >"$T/$file" 2>"$T/err" || { echo "FAIL: $*: $(cat "$T/err")"; fail=1; return; }
	python3 "$CHECK" "$kind" "$T/$file" || { echo "FAIL: $kind ($*)"; fail=1; }
	[ "$kind" = text ] || jq -e . "$T/$file" >/dev/null ||
		{ echo "FAIL: jq cannot read $kind"; fail=1; }
}

"$GEN" "$T/h.vmt" || exit 1
cp "$T/h.vmt" "$T/h2.vmt"
run jsonl h.jsonl "$R" "$T/h.vmt" --format jsonl
run info info.json "$R" --info --json "$T/h.vmt"
run chrome h.json "$R" "$T/h.vmt" --format chrome
run summary summary.json "$A" summary --json "$T/h.vmt"
run diff diff.json "$A" diff --json --baseline "$T/h.vmt" --candidate "$T/h2.vmt"
run text info.txt "$R" --info "$T/h.vmt"
run text summary.txt "$A" summary "$T/h.vmt"
run text diff.txt "$A" diff --baseline "$T/h.vmt" --candidate "$T/h2.vmt" --all

# The Perfetto trace's strings (domain, markers) are UTF-8 as well.
if command -v protoc >/dev/null; then
	"$R" "$T/h.vmt" --format perfetto -o "$T/h.pftrace" &&
		protoc --decode_raw <"$T/h.pftrace" >"$T/raw.txt" ||
		{ echo "FAIL: perfetto"; fail=1; }
	python3 - "$T/h.pftrace" <<'PY' || { echo "FAIL: perfetto strings"; fail=1; }
import sys
b = open(sys.argv[1], 'rb').read()
assert 'dom\ufffd\x1b[2J\x07'.encode() in b and b'dom\xff' not in b
assert 'bad \ufffd\ufffd ctl'.encode() in b and b'bad \xff' not in b
print('perfetto: ok')
PY
fi
# jq 1.6 (and JavaScript) round 2^64-1 to 2^64: the companion is exact.
want=18446744073709551615
got=$(jq -r 'select(.record == "event") | .mem_access.gla_str' "$T/h.jsonl" | head -1)
[ "$got" = "$want" ] || { echo "FAIL: jq reads gla_str $got, not $want"; fail=1; }
got=$(jq -r '.header.start_wall_ns_str' "$T/info.json")
[ "$got" = 1764758400123456789 ] || { echo "FAIL: jq reads start_wall_ns_str $got"; fail=1; }
[ $fail = 0 ] && echo ok
exit $fail
