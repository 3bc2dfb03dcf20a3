#!/bin/bash
# cli.sh - what the four programs' command lines share (issue 17 part 5):
#   * -V and --version on every program print its version;
#   * every option whose argument --help calls TIME, DUR, SIZE or POS takes
#     the same units (1h, 1.5s; 64k, 1G) and refuses signs, nan, inf,
#     exponents, hex, blanks and overflow with exit 2, naming the option;
#   * -q leaves errors only: the recorder prints no summary, and a stream
#     on standard output carries data only, warnings going to stderr;
#   * a missing or read-only output folder is named with its real cause
#     (No such file or directory, Permission denied), never "Input/output
#     error" nor SQL;
#   * the bash completion completes every option of every --help and
#     nothing else, and `cmake --install` puts it in
#     share/bash-completion/completions under each program's name.
# Needs VMT_BIN / VMT_LIB / VMT_SRC / VMT_BUILD from vmt_script_test().
set -u
. "$VMT_SRC/tests/record/lib.sh"
need_xensim
PROGS="vmtrail-record vmtrail-replay vmtrail-analyze xensim"
ANALYZE="$VMT_BIN/vmtrail-analyze"
GOLDEN="$VMT_SRC/tests/golden/valid/abi-v7.vmt"
DAMAGED="$VMT_SRC/tests/golden/invalid/flipped-byte-chunk-1.vmt"
COMPLETION="$VMT_SRC/cli/vmtrail.bash"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:[A-Z]*=//p' "$VMT_BUILD/CMakeCache.txt")

# --- --version -------------------------------------------------------
for p in $PROGS; do
	for v in -V --version; do
		out=$("$VMT_BIN/$p" $v 2>"$T/err") || fail "$p $v exited $?"
		[ -s "$T/err" ] && fail "$p $v wrote to stderr: $(cat "$T/err")"
		[[ $out == *"$version"* ]] || fail "$p $v: '$out' lacks $version"
	done
done

# --- units -------------------------------------------------------------
# unit_opts PROG: "OPTION KIND" for every option --help gives a TIME, DUR,
# SIZE or POS argument.
unit_opts() {
	"$VMT_BIN/$1" --help | grep -oE -- '--[a-z][a-z-]*[ =](TIME|DUR|SIZE|POS)\b' |
		tr '=' ' ' | sort -u
}
# try PROG OPTION VALUE: run with one value, exit status in $rc.
try() {
	local p=$1 opt=$2 val=$3
	case $p:$opt in
	vmtrail-record:--tap-buffer)
		"$REC" --tap --sim="$T/none.sock" -f -o "$T/u.vmt" "$opt" "$val" -- true ;;
	vmtrail-record:*)
		"$REC" --sim="$T/none.sock" -d 1 -f -o "$T/u.vmt" "$opt" "$val" ;;
	vmtrail-replay:*)
		"$REPLAY" "$GOLDEN" --format jsonl "$opt" "$val" ;;
	esac >/dev/null 2>"$T/err"
	rc=$?
}
nunits=0
for p in vmtrail-record vmtrail-replay; do
	while read -r opt kind; do
		nunits=$((nunits + 1))
		# Wired to the shared parser (test_cli_num tests the parser).
		case $kind in
		SIZE) good=64k; bad=18446744073709551616 ;;
		*) good=1.5s; bad=5124096h ;;
		esac
		try "$p" "$opt" "$good"
		[ $rc != 2 ] && ! grep -q -- "bad $opt" "$T/err" ||
			fail "$p $opt $good refused: $(cat "$T/err")"
		for v in $bad -1 nan 1e3; do
			try "$p" "$opt" "$v"
			[ $rc = 2 ] && grep -q -- "$opt" "$T/err" ||
				fail "$p $opt '$v': exit $rc, not 2 naming $opt: $(cat "$T/err")"
		done
	done < <(unit_opts "$p")
done
[ $nunits -ge 5 ] || fail "only $nunits TIME/DUR/SIZE/POS options found in --help"
# --process-idle takes hours like --duration (it refused 1h once).
"$REPLAY" "$GOLDEN" -o "$T/idle.db" --process-idle 1h 2>"$T/err" ||
	fail "--process-idle 1h: $(cat "$T/err")"

# --- -q and standard output ---------------------------------------------
xs_start q -c 2
rec -d 1 -o "$T/q.vmt" --cpuid --max-events 20 >"$T/out" 2>"$T/err" ||
	fail "record: $(cat "$T/err")"
[ ! -s "$T/out" ] || fail "record wrote to stdout: $(cat "$T/out")"
[ "$(wc -l <"$T/err")" = 1 ] && grep -q "ended: limit reached" "$T/err" ||
	fail "record: not one summary line on stderr: $(cat "$T/err")"
rec -q -d 1 -o "$T/q2.vmt" --cpuid --max-events 20 >"$T/out" 2>"$T/err" ||
	fail "record -q: $(cat "$T/err")"
[ ! -s "$T/out" ] && [ ! -s "$T/err" ] ||
	fail "record -q printed: $(cat "$T/out" "$T/err")"
"$REPLAY" "$DAMAGED" --format jsonl >"$T/out" 2>"$T/err" || fail "replay: $(cat "$T/err")"
grep -q warning "$T/err" || fail "replay: no damage warning on stderr: $(cat "$T/err")"
jq -e . "$T/out" >/dev/null || fail "replay: standard output is not JSON lines only"
"$REPLAY" -q "$DAMAGED" --format jsonl >"$T/out2" 2>"$T/err" || fail "replay -q: $(cat "$T/err")"
[ ! -s "$T/err" ] || fail "replay -q printed: $(cat "$T/err")"
cmp -s "$T/out" "$T/out2" || fail "replay -q changed the stream"

# --- output folders ------------------------------------------------------
# expect_cause WHAT CAUSE PATH: stderr names PATH and CAUSE, nothing else.
expect_cause() {
	grep -q -- "$3" "$T/err" && grep -q -- "$2" "$T/err" ||
		fail "$1: want '$3' and '$2' in: $(cat "$T/err")"
	grep -qE 'Input/output error|CREATE |SELECT |INSERT |sqlite3_' "$T/err" &&
		fail "$1: $(cat "$T/err")"
	return 0
}
# outputs AS DIR CAUSE: every program's output into DIR fails with CAUSE.
outputs() {
	local as=$1 d=$2 cause=$3
	$as "$REPLAY" "$GOLDEN" -o "$d/x.db" 2>"$T/err"
	[ $? = 1 ] || fail "replay into $d: exit not 1"
	expect_cause "replay -o $d/x.db" "$cause" "cannot create $d/x.db"
	$as "$REPLAY" "$GOLDEN" --format jsonl -o "$d/x.jsonl" 2>"$T/err"
	[ $? = 1 ] || fail "replay stream into $d: exit not 1"
	expect_cause "replay --format jsonl -o $d/x.jsonl" "$cause" "cannot create $d/x.jsonl"
	$as "$ANALYZE" diff --baseline "$GOLDEN" --candidate "$GOLDEN" \
		--html "$d/x.html" >/dev/null 2>"$T/err"
	[ $? = 2 ] || fail "analyze --html into $d: exit not 2"
	expect_cause "analyze --html $d/x.html" "$cause" "$d/x.html"
	$as "$REC" --sim="$XS_SOCK" -d 2 -o "$d/x.vmt" --cpuid 2>"$T/err"
	[ $? = 1 ] || fail "record into $d: exit not 1"
	expect_cause "record -o $d/x.vmt" "$cause" "cannot create $d/x.vmt"
}
xs_stop
xs_start out -d 2
outputs "" "$T/missing" "No such file or directory"

# Read-only: root writes anyway, so as root everything runs as nobody,
# xensim included (its socket in a folder nobody owns).
if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null || { echo "setpriv missing: read-only case skipped"; exit 0; }
	as="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chmod 755 "$T"
	mkdir "$T/nb" && chown 65534:65534 "$T/nb"
	xs_stop
	XS_SOCK="$T/nb/xs.sock"
	$as "$XENSIM" -s "$XS_SOCK" -d 2 2>>"$T/xensim.log" &
	XS_PID=$!
	XS_PIDS="$XS_PIDS $XS_PID"
	wait_until "listening xensim" 60 xs_listening "$XS_SOCK" "$XS_PID"
else
	as=""
fi
mkdir "$T/ro" && chmod 555 "$T/ro"
outputs "$as" "$T/ro" "Permission denied"
xs_stop

# --- databases that are not vmtrail's ------------------------------------
# A file of the right user_version whose tables are another program's, and
# a file that is not SQLite at all: the file named, the cause said, no SQL.
command -v sqlite3 >/dev/null || fail "sqlite3 shell missing (tests/deps.sh installs it)"
"$REPLAY" -q "$GOLDEN" -o "$T/real.db" || fail "replay -o real.db"
sqlite3 "$T/alien.db" "PRAGMA user_version=$(sqlite3 "$T/real.db" 'PRAGMA user_version');
	CREATE TABLE events(x);" || fail "sqlite3 alien.db"
printf 'not a database' >"$T/garbage.db"
for db in alien garbage; do
	"$REPLAY" "$GOLDEN" -o "$T/$db.db" --append 2>"$T/err"
	[ $? = 1 ] || fail "replay --append $db.db: exit not 1"
	expect_cause "replay --append $db.db" "not a vmtrail database" "$db.db"
	"$ANALYZE" summary "$T/$db.db" >/dev/null 2>"$T/err"
	[ $? = 2 ] || fail "analyze summary $db.db: exit not 2"
	expect_cause "analyze summary $db.db" "not a vmtrail database" "$db.db"
done

# --- bash completion -------------------------------------------------------
# help_opts PROG [SUB...]: long options of PROG's --help texts.
help_opts() {
	local p=$1 s
	shift
	{ "$VMT_BIN/$p" --help; for s in "$@"; do "$VMT_BIN/$p" "$s" --help; done; } 2>&1 |
		grep -oE -- '--[a-z][a-z0-9]*(-[a-z0-9]+)*' | sort -u
}
# completed WORDS...: what the completion offers for the last word.
completed() {
	PATH="$VMT_BIN:$PATH" bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_vmt_complete; printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPLETION" "$@" | sort -u
}
check_completion() {
	local what=$1
	shift 1
	diff "$T/help" "$T/comp" >"$T/diff" ||
		fail "completion of $what differs from --help (< help only, > completion only): $(cat "$T/diff")"
}
help_opts vmtrail-record mark stats >"$T/help"
{ completed vmtrail-record --; completed vmtrail-record mark --; } | sort -u >"$T/comp"
check_completion vmtrail-record
help_opts vmtrail-replay >"$T/help"
completed vmtrail-replay -- >"$T/comp"
check_completion vmtrail-replay
help_opts vmtrail-analyze summary diff >"$T/help"
{ completed vmtrail-analyze --; completed vmtrail-analyze summary --
	completed vmtrail-analyze diff --; } | sort -u >"$T/comp"
check_completion vmtrail-analyze
help_opts xensim >"$T/help"
completed xensim -- >"$T/comp"
check_completion xensim
[ "$(completed vmtrail-replay t.vmt --format p)" = perfetto ] ||
	fail "--format values not completed"
cmake --install "$VMT_BUILD" --prefix "$T/inst" >"$T/install.log" 2>&1 ||
	fail "cmake --install: $(tail -n 5 "$T/install.log")"
for p in $PROGS; do
	cmp -s "$COMPLETION" "$T/inst/share/bash-completion/completions/$p" ||
		fail "share/bash-completion/completions/$p not installed"
done
echo "cli: --version, units ($nunits options), -q, output folders, foreign databases and completion hold"
