#!/bin/bash
# repeats.sh - a chunk that repeats or overlaps what earlier chunks hold is
# damage, and its requests are imported once, by every output (SQLite,
# JSONL, CSV, the vmt_events table): a copied chunk, an overlapping one,
# and a complete trace with bytes appended.  The warning names what is
# wrong (the chunk, its byte offset, why; the trailer; trailing bytes).
set -u
R="$VMT_BIN/vmtrail-replay"
GEN="$VMT_BUILD/tests/vmt_gen_trace"
REP="$VMT_BUILD/tests/vmt_gen_repeat"
EXT="$VMT_BUILD/lib/vmtrail"
[ -x "$R" ] && [ -x "$GEN" ] && [ -x "$REP" ] || { echo "vmtrail-replay or the generators not built"; exit 77; }
command -v sqlite3 >/dev/null && command -v python3 >/dev/null || { echo "no sqlite3 shell or python3"; exit 77; }
T=$(mktemp -d /tmp/vmt-repeats-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
q() { sqlite3 "$@"; }

"$GEN" "$T/a.vmt" 7 3000 5 >/dev/null || fail "gen"
"$R" -q "$T/a.vmt" -o "$T/a.db" || fail "import of the intact trace"
E=$(q "$T/a.db" 'SELECT count(*) FROM event_rows')
RS=$(q "$T/a.db" 'SELECT count(*) FROM responses')
[ "$E" = 3000 ] || fail "intact trace: $E events"

# dup.vmt: chunk 2 copied right after itself.  tail.vmt: 19 bytes appended.
python3 - "$T" <<'PY' >"$T/dup.txt" || fail "splice"
import struct, sys
t = sys.argv[1]
b = open(t + "/a.vmt", "rb").read()
pos = struct.unpack_from("<I", b, 12)[0]
chunks = []
while b[pos:pos + 4] == b"\x89CHK":
    csize = struct.unpack_from("<I", b, pos + 8)[0]
    chunks.append((pos, 64 + csize))
    pos += 64 + csize
assert len(chunks) >= 4, len(chunks)
off, ln = chunks[2]
seq = struct.unpack_from("<QQ", b, off + 24)
open(t + "/dup.vmt", "wb").write(b[:off + ln] + b[off:off + ln] + b[off + ln:])
open(t + "/tail.vmt", "wb").write(b + b"appended garbage!!\n")
print(off + ln, pos, pos + ln)   # the copy's offset, trailer at, trailer now at
PY
read -r COPY TR TR2 <"$T/dup.txt"
read -r NREP LO HI < <("$REP" "$T/a.vmt" "$T/overlap.vmt") || fail "gen_repeat"

# check NAME WARNING: every output holds each request once, the damage is
# recorded, and the warning says WARNING (a fixed string).
check() {
	local f="$T/$1.vmt" want=$2 n
	rm -f "$T/$1.db"
	"$R" "$f" -o "$T/$1.db" 2>"$T/$1.err" || fail "$1: import: $(cat "$T/$1.err")"
	grep -qF -- "$want" "$T/$1.err" || fail "$1: warning is '$(cat "$T/$1.err")', wanted '$want'"
	n=$(q "$T/$1.db" 'SELECT count(*) || " " || count(DISTINCT seq) FROM event_rows')
	[ "$n" = "$E $E" ] || fail "$1: events rows/distinct seq '$n', wanted '$E $E'"
	n=$(q "$T/$1.db" 'SELECT count(*) FROM responses')
	[ "$n" = "$RS" ] || fail "$1: $n responses, wanted $RS"
	n=$("$R" -q "$f" --format jsonl | grep '^{"record":"event"' | grep -o '^{"record":"event","seq":[0-9]*' |
		sort | uniq -c | awk '{ n++; d += $1 > 1 } END { print n + 0, d + 0 }')
	[ "$n" = "$E 0" ] || fail "$1: jsonl events (distinct, repeated) '$n', wanted '$E 0'"
	n=$("$R" -q "$f" --format csv | tail -n +2 | wc -l)
	[ "$n" = "$E" ] || fail "$1: csv has $n rows, wanted $E"
	if [ -f "$EXT.so" ] && ! ldd "$EXT.so" | grep -q 'lib\(a\|ub\)san'; then
		n=$(sqlite3 -cmd ".load $EXT" :memory: \
			"SELECT count(*) || ' ' || count(DISTINCT seq) FROM vmt_events('$f')")
		[ "$n" = "$E $E" ] || fail "$1: vmt_events rows/distinct '$n', wanted '$E $E'"
	fi
	echo "ok: $1: $E requests once each; $(cat "$T/$1.err")"
}

check dup "trailer at byte $TR2 not used: the end marker places it at byte $TR (bytes were added or removed before it)"
grep -qE "chunk 3 at byte $COPY repeats requests [0-9]+\.\.[0-9]+ already read: skipped" "$T/dup.err" ||
	fail "dup: the warning does not name chunk 3 at byte $COPY: $(cat "$T/dup.err")"
[ "$(q "$T/dup.db" 'SELECT damaged_chunks FROM runs')" = 1 ] || fail "dup: damaged_chunks not 1"
[ "$(q "$T/dup.db" "SELECT count(*) FROM gaps WHERE kind = 'repeated' AND chunk = 3")" = 1 ] ||
	fail "dup: no 'repeated' gap for chunk 3: $(q "$T/dup.db" 'SELECT * FROM gaps')"

check overlap "chunk 1 at byte"
grep -qF "overlaps: its first $NREP records repeat requests $LO..$HI already read and were skipped" "$T/overlap.err" ||
	fail "overlap: $(cat "$T/overlap.err")"
[ "$(q "$T/overlap.db" "SELECT count || ' ' || first_seq || ' ' || last_seq FROM gaps WHERE kind = 'repeated'")" = "$NREP $LO $HI" ] ||
	fail "overlap: gap row $(q "$T/overlap.db" 'SELECT * FROM gaps')"

check tail "19 trailing bytes after the trailer"
grep -q "no trailer" "$T/tail.err" && fail "tail: says no trailer: $(cat "$T/tail.err")"
[ "$(q "$T/tail.db" 'SELECT complete FROM runs')" = 1 ] || fail "tail: the intact trailer was not used"

# --strict refuses all three; the intact trace still imports silently.
for t in dup overlap tail; do
	"$R" -q --strict "$T/$t.vmt" -o "$T/s-$t.db" 2>/dev/null && fail "$t: --strict accepted it"
done
"$R" "$T/a.vmt" -o "$T/again.db" 2>"$T/a.err" || fail "intact import"
grep -q warning "$T/a.err" && fail "intact trace warns: $(cat "$T/a.err")"
echo "repeats: ok"
