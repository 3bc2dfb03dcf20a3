#!/bin/bash
# perfetto.sh - vmtrail-replay --format perfetto decodes with protoc against
# the public schema's messages (perfetto_subset.proto) and holds what the
# JSONL of the same trace holds (check_perfetto.py): a generated trace with
# every reason, markers and pauses, then the README tour (two vCPUs, mixed
# workload, a marker), whose Perfetto file must be at most half its Chrome
# JSON.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../record/lib.sh"
. "$HERE/../tour_lib.sh"
need_xensim
GEN="$VMT_BUILD/tests/vmt_gen_trace"
command -v protoc >/dev/null && command -v python3 >/dev/null || { echo "no protoc/python3"; exit 77; }

# check NAME: NAME.vmt's Perfetto output against its JSONL.
check() {
	"$REPLAY" "$T/$1.vmt" --format perfetto -o "$T/$1.pftrace" || fail "$1: replay"
	"$REPLAY" "$T/$1.vmt" --format jsonl -o "$T/$1.jsonl" || fail "$1: jsonl"
	protoc --decode_raw <"$T/$1.pftrace" >/dev/null 2>"$T/raw.err" || fail "$1: not protobuf: $(cat "$T/raw.err")"
	protoc --proto_path="$HERE" --decode=perfetto.protos.Trace perfetto_subset.proto \
		<"$T/$1.pftrace" >"$T/$1.txt" 2>"$T/dec.err" || fail "$1: protoc: $(cat "$T/dec.err")"
	[ ! -s "$T/dec.err" ] || fail "$1: protoc warned: $(cat "$T/dec.err")"
	grep -q '^[0-9]* *{\|^ *[0-9][0-9]*: ' "$T/$1.txt" && fail "$1: fields the schema does not know"
	python3 "$HERE/check_perfetto.py" "$T/$1.txt" "$T/$1.jsonl" || fail "$1: content"
}

"$GEN" "$T/gen.vmt" 7 500 1 >/dev/null || fail "gen_trace"
check gen

record_tour "$T/tour.vmt" 5000
check tour
grep -q 'name: "login starts"' "$T/tour.txt" || fail "tour: marker missing"
"$REPLAY" "$T/tour.vmt" --format chrome -o "$T/tour.json" || fail "chrome"
p=$(stat -c %s "$T/tour.pftrace") j=$(stat -c %s "$T/tour.json")
echo "tour: perfetto $p bytes, chrome $j bytes, ratio $(awk "BEGIN{printf \"%.3f\", $p/$j}")"
[ $((2 * p)) -le "$j" ] || fail "the Perfetto file is more than half the Chrome JSON"
echo ok
