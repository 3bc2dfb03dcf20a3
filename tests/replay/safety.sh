#!/bin/bash
# safety.sh - replay and analyze never lose or clobber data (issue 16):
# concurrent appends serialize, two creations of one database cannot both
# win, databases keep mode/owner/symlink, no output replaces an input or an
# existing file, analyze never writes into what it reads, a full stdout is
# an error, FIFOs are refused instead of hanging, bad numbers are refused,
# temporary files go away on SIGINT, and a long TMPDIR works.
set -u
R="$VMT_BIN/vmtrail-replay"
A="$VMT_BIN/vmtrail-analyze"
GEN="$VMT_BUILD/tests/vmt_gen_trace"
[ -x "$R" ] && [ -x "$A" ] && [ -x "$GEN" ] || { echo "replay, analyze or vmt_gen_trace not built"; exit 77; }
command -v sqlite3 >/dev/null || { echo "no sqlite3 shell"; exit 77; }
T=$(mktemp -d /tmp/vmt-safety-XXXXXX)
PIDS=""
trap 'for p in $PIDS; do kill -9 "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# st WANT CMD...: the exit status of CMD (stderr in $T/err) must be WANT
st() {
	local want=$1 rc=0; shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = "$want" ] || fail "$*: exit $rc, expected $want: $(cat "$T/err")"
}
runs() { sqlite3 "$1" 'SELECT count(*) FROM runs'; }
# wait_for WHAT CMD...: poll until CMD succeeds (60 s turn a hang into a failure)
wait_for() {
	local what=$1 end=$((SECONDS + 60)); shift
	until "$@"; do [ "$SECONDS" -lt "$end" ] || fail "no $what after 60s"; sleep 0.02; done
}
umask 022

for s in 1 2 3 4; do "$GEN" "$T/t$s.vmt" 7 3000 "$s" >/dev/null; done
"$GEN" "$T/big.vmt" 7 300000 9 >/dev/null

# 1. Concurrent appends: both wait for the lock we hold, then run one after
# the other; each sees the other's run.
st 0 "$R" -q "$T/t1.vmt" -o "$T/r.db"
exec 9<>"$T/r.db"
flock 9
# 9>&-: the lock belongs to this shell only, not to the appends.
"$R" -q --append "$T/t2.vmt" -o "$T/r.db" 2>"$T/e2" 9>&- & p2=$!
"$R" -q --append "$T/t3.vmt" -o "$T/r.db" 2>"$T/e3" 9>&- & p3=$!
PIDS="$p2 $p3"
exec 9>&-
wait "$p2" || fail "append 2: $(cat "$T/e2")"
wait "$p3" || fail "append 3: $(cat "$T/e3")"
[ "$(runs "$T/r.db")" = 3 ] || fail "concurrent appends: $(runs "$T/r.db") runs, not 3"
[ -z "$(ls "$T" | grep '^r\.db\.')" ] || fail "left behind: $(ls "$T")"

# Two creations of one new database at once: never both, never a mix.
for i in 1 2 3; do
	"$R" -q "$T/t1.vmt" -o "$T/n$i.db" 2>/dev/null & pa=$!
	"$R" -q "$T/t2.vmt" -o "$T/n$i.db" 2>/dev/null & pb=$!
	ra=0; rb=0; wait "$pa" || ra=$?; wait "$pb" || rb=$?
	case "$ra$rb" in
	01|10) ;;
	*) fail "two creations of n$i.db exited $ra and $rb" ;;
	esac
	[ "$(runs "$T/n$i.db")" = 1 ] || fail "n$i.db holds $(runs "$T/n$i.db") runs"
done

# 2. Modes, owners, symlinks.
[ "$(stat -c %a "$T/r.db")" = 600 ] || fail "new database mode $(stat -c %a "$T/r.db")"
chmod 640 "$T/r.db"
st 0 "$R" -q --append "$T/t4.vmt" -o "$T/r.db"
[ "$(stat -c %a "$T/r.db")" = 640 ] || fail "append changed mode 640 to $(stat -c %a "$T/r.db")"
ln -s r.db "$T/link.db"
"$GEN" "$T/t5.vmt" 7 500 5 >/dev/null
st 0 "$R" -q --append "$T/t5.vmt" -o "$T/link.db"
[ -L "$T/link.db" ] || fail "--append replaced the symlink"
[ "$(runs "$T/r.db")" = 5 ] || fail "append through the symlink: $(runs "$T/r.db") runs"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v runuser >/dev/null; then
	chown nobody "$T/r.db"
	"$GEN" "$T/t6.vmt" 7 500 6 >/dev/null
	st 0 "$R" -q --append "$T/t6.vmt" -o "$T/r.db"
	[ "$(stat -c %U "$T/r.db")" = nobody ] || fail "append changed the owner to $(stat -c %U "$T/r.db")"
	chown root "$T/r.db"; chmod 644 "$T/r.db"; chmod 777 "$T"
	"$GEN" "$T/t7.vmt" 7 500 7 >/dev/null; chmod 644 "$T/t7.vmt"
	before=$(md5sum <"$T/r.db")
	st 1 runuser -u nobody -- "$R" -q --append "$T/t7.vmt" -o "$T/r.db"
	[ "$(md5sum <"$T/r.db")" = "$before" ] || fail "a user without write permission changed the database"
	chmod 700 "$T"
fi

# 3. No output replaces an input or an existing file.
cp "$T/t1.vmt" "$T/keep.vmt"
st 1 "$R" "$T/t1.vmt" --format csv -o "$T/t1.vmt"
grep -q "is the input" "$T/err" || fail "message: $(cat "$T/err")"
cmp -s "$T/t1.vmt" "$T/keep.vmt" || fail "--format csv -o INPUT changed the trace"
ln -s t1.vmt "$T/alias.csv"
st 1 "$R" "$T/t1.vmt" --format jsonl -o "$T/alias.csv"
cmp -s "$T/t1.vmt" "$T/keep.vmt" || fail "an output symlinked to the input changed it"
echo keep >"$T/x.csv"
st 1 "$R" "$T/t1.vmt" --format csv -o "$T/x.csv"
[ "$(cat "$T/x.csv")" = keep ] || fail "--format csv replaced an existing file"
st 0 "$R" "$T/t1.vmt" --format csv -o "$T/new.csv"
[ "$(stat -c %a "$T/new.csv")" = 600 ] || fail "stream mode $(stat -c %a "$T/new.csv")"
st 2 "$A" diff --baseline "$T/t1.vmt" --candidate "$T/t2.vmt" --html "$T/t2.vmt" --force
cmp -s "$T/t1.vmt" "$T/keep.vmt" || fail "diff --html INPUT changed a trace"
st 2 "$A" diff --baseline "$T/r.db:1" --candidate "$T/r.db:2" --html "$T/r.db" --force

# 4. analyze never writes into what it reads.
: >"$T/empty"
st 2 "$A" summary "$T/empty"
[ ! -s "$T/empty" ] || fail "summary wrote $(stat -c %s "$T/empty") bytes into an empty file"
sqlite3 "$T/other.db" 'CREATE TABLE t(x); DROP TABLE t;'
before=$(md5sum <"$T/other.db")
st 2 "$A" summary "$T/other.db"
[ "$(md5sum <"$T/other.db")" = "$before" ] || fail "summary changed an empty SQLite database"

# 5. A full standard output is an error.
if [ -w /dev/full ]; then
	st 1 sh -c '"$0" --info "$1" >/dev/full' "$R" "$T/t1.vmt"
	st 1 sh -c '"$0" "$1" --format jsonl >/dev/full' "$R" "$T/t1.vmt"
	st 2 sh -c '"$0" summary "$1" >/dev/full' "$A" "$T/t1.vmt"
	st 2 sh -c '"$0" summary --json "$1" >/dev/full' "$A" "$T/t1.vmt"
	grep -q "write error" "$T/err" || fail "no message for a full stdout: $(cat "$T/err")"
fi

# 6. A FIFO is refused, not waited on.
mkfifo "$T/fifo"
st 1 timeout 30 "$R" --info "$T/fifo"
grep -q "FIFO" "$T/err" || fail "FIFO message: $(cat "$T/err")"
st 1 timeout 30 "$R" "$T/fifo" -o "$T/f.db"
st 2 timeout 30 "$A" summary "$T/fifo"
grep -q "FIFO" "$T/err" || fail "FIFO message: $(cat "$T/err")"

# 7. Numbers.
for bad in nan inf -inf 1e999 -0.5 0 2; do
	st 2 "$A" diff --baseline "$T/t1.vmt" --candidate "$T/t2.vmt" --alpha "$bad"
done
st 2 "$A" diff --baseline "$T/t1.vmt" --candidate "$T/t2.vmt" --min-change nan

# 8. A bare run id with --db is a run id, even when a file has that name.
mkdir "$T/cwd"; echo not-a-db >"$T/cwd/1"
(cd "$T/cwd" && "$A" diff --db "$T/r.db" --baseline 1 --candidate 2 --force >/dev/null 2>"$T/err"); rc=$?
[ "$rc" != 2 ] || fail "bare run id shadowed by a file: $(cat "$T/err")"

# 9. A long TMPDIR is used whole, and SIGINT leaves no temporary file.
long=$T/$(printf 'd%.0s' $(seq 70))
mkdir "$long"
TMPDIR=$long st 0 "$A" summary "$T/t1.vmt"
TMPDIR=$long "$A" summary "$T/big.vmt" >/dev/null 2>&1 & pa=$!
PIDS="$PIDS $pa"
"$R" -q "$T/big.vmt" -o "$T/big.db" 2>/dev/null & pr=$!
PIDS="$PIDS $pr"
has_tmp() { ls "$1" | grep -q "$2" || ! kill -0 "$3" 2>/dev/null; }
wait_for "analyze's temporary database" has_tmp "$long" vmtrail-analyze "$pa"
wait_for "replay's temporary database" has_tmp "$T" '^big\.db\.' "$pr"
for p in $pa $pr; do kill -STOP "$p" 2>/dev/null; kill -INT "$p" 2>/dev/null; kill -CONT "$p" 2>/dev/null; done
wait "$pa" "$pr" 2>/dev/null
[ -z "$(ls "$long")" ] || fail "analyze left $(ls "$long")"
[ -z "$(ls "$T" | grep '^big\.db')" ] || fail "replay left $(ls "$T" | grep '^big\.db')"
echo ok
