#!/bin/bash
# numeric.sh - every numeric option of every program refuses nan, inf,
# overflow, trailing junk, an empty value and a negative one (where a
# negative means nothing) with exit 2 and a message naming the option.
# The options come from the programs' --help: each option that takes a
# value is numeric or not by its placeholder (the table below), and a
# placeholder the table does not know fails the test, so a new option
# cannot escape it.
# Needs VMT_BIN from vmt_script_test(); exit 77 when the programs are missing.
set -u
PROGS="vmtrail-record vmtrail-replay vmtrail-analyze xensim"
for p in $PROGS; do
	[ -x "$VMT_BIN/$p" ] || { echo "$p not built: skipped"; exit 77; }
done
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
T=$(mktemp -d /tmp/vmt-numeric.XXXXXX)
trap 'rm -rf "$T"' EXIT
status=0
fail() { echo "FAIL: $*" >&2; status=1; }

# Placeholders of numbers, and of everything else.
NUMERIC="N TIME SIZE LEVEL POS DUR A PCT ID V EV"
OTHER="SOCKET REG DOMAIN KEY START LIST FILE CODE DIR FMT STREAM URL DB RUNS F WHAT PATH W"
# Options for which a negative value means something (PROG:OPTION).
NEGATIVE_OK="vmtrail-record:--level"
BAD=(nan inf -inf 1e400 99999999999999999999999 5x "" " -1" -1)

# options PROG: "OPTION PLACEHOLDER" for each option its --help gives a value.
options() {
	"$VMT_BIN/$1" --help 2>&1 | python3 -c '
import re, sys
seen = set()
for line in sys.stdin:
    for m in re.finditer(r"(?:^|[\s,\[|])(--[a-z][a-z0-9-]*)(?:\[?=|\s)([A-Z][A-Za-z0-9_]*)", line):
        if m.group(1) not in seen:
            seen.add(m.group(1))
            print(m.group(1), m.group(2))'
}

# run PROG OPTION VALUE: PROG with OPTION VALUE where nothing else can be
# wrong before the options are checked (no daemon, no file is touched).
run() {
	local p=$1 o=$2 v=$3
	case $p:$o in
	vmtrail-record:*) "$VMT_BIN/$p" -d 1 -o "$T/never.vmt" --cpuid "$o" "$v" ;;
	vmtrail-replay:*) "$VMT_BIN/$p" "$o" "$v" "$T/none.vmt" -o "$T/never.db" ;;
	vmtrail-analyze:--run) "$VMT_BIN/$p" summary "$o" "$v" "$T/none.db" ;;
	vmtrail-analyze:*) "$VMT_BIN/$p" diff --baseline "$T/a" --candidate "$T/b" "$o" "$v" ;;
	xensim:*) "$VMT_BIN/$p" -s "$T/xs.sock" "$o" "$v" ;;
	esac
}

checked=0
for p in $PROGS; do
	options "$p" >"$T/$p.opts"
	[ -s "$T/$p.opts" ] || fail "$p --help: no option with a value found"
	while read -r opt ph; do
		case " $NUMERIC " in
		*" $ph "*) ;;
		*) case " $OTHER " in
		   *" $ph "*) continue ;;
		   *) fail "$p $opt $ph: a placeholder this test does not know; add it to NUMERIC or OTHER"
		      continue ;;
		   esac ;;
		esac
		for v in "${BAD[@]}"; do
			case "$v" in
			-1|" -1") case " $NEGATIVE_OK " in *" $p:$opt "*) continue ;; esac ;;
			esac
			rc=0
			timeout 20 bash -c "$(declare -f run); VMT_BIN='$VMT_BIN' T='$T' run \"\$@\"" _ \
				"$p" "$opt" "$v" >"$T/out" 2>"$T/err" </dev/null || rc=$?
			if [ "$rc" != 2 ]; then
				fail "$p $opt '$v': exit $rc, expected 2: $(head -c 300 "$T/err")"
			elif ! grep -qF -- "$opt" "$T/err"; then
				fail "$p $opt '$v': the message does not name $opt: $(head -c 300 "$T/err")"
			fi
			checked=$((checked + 1))
		done
	done <"$T/$p.opts"
done
[ -e "$T/never.vmt" ] || [ -e "$T/never.db" ] && fail "a refused command created its output"
echo "numeric options: $checked bad values refused"
exit $status
