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

# argv PROG OPTION VALUE: sets CMD to PROG with OPTION VALUE where nothing
# else can be wrong before the options are checked (no daemon, no file is
# touched).
argv() {
	local p=$1 o=$2 v=$3 b="$VMT_BIN/$1"
	case $p:$o in
	vmtrail-record:*) CMD=("$b" -d 1 -o "$T/never.vmt" --cpuid "$o" "$v") ;;
	vmtrail-replay:*) CMD=("$b" "$o" "$v" "$T/none.vmt" -o "$T/never.db") ;;
	vmtrail-analyze:--run) CMD=("$b" summary "$o" "$v" "$T/none.db") ;;
	vmtrail-analyze:*) CMD=("$b" diff --baseline "$T/a" --candidate "$T/b" "$o" "$v") ;;
	xensim:*) CMD=("$b" -s "$T/xs.sock" "$o" "$v") ;;
	esac
}

# The cases: CP[i] CO[i] CV[i] = program, option, bad value.
CP=() CO=() CV=()
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
			CP+=("$p") CO+=("$opt") CV+=("$v")
		done
	done <"$T/$p.opts"
done

# Each case is one short process, so its time is start-up: several run at
# once (VMT_NUMERIC_JOBS), each exit status collected by pid.
J=${VMT_NUMERIC_JOBS:-4}
declare -A CASE_OF
RC=()
collect() {
	local pid rc=0
	wait -n -p pid || rc=$?
	RC[${CASE_OF[$pid]}]=$rc
}
running=0
for i in "${!CP[@]}"; do
	[ "$running" -lt "$J" ] || { collect; running=$((running - 1)); }
	argv "${CP[i]}" "${CO[i]}" "${CV[i]}"
	timeout 20 "${CMD[@]}" >"$T/$i.out" 2>"$T/$i.err" </dev/null &
	CASE_OF[$!]=$i
	running=$((running + 1))
done
for ((; running > 0; running--)); do collect; done

checked=0
for i in "${!CP[@]}"; do
	what="${CP[i]} ${CO[i]} '${CV[i]}'"
	msg=""
	read -r -d '' msg <"$T/$i.err"
	if [ "${RC[i]}" != 2 ]; then
		fail "$what: exit ${RC[i]}, expected 2: ${msg:0:300}"
	elif [[ $msg != *"${CO[i]}"* ]]; then
		fail "$what: the message does not name ${CO[i]}: ${msg:0:300}"
	fi
	checked=$((checked + 1))
done
[ -e "$T/never.vmt" ] || [ -e "$T/never.db" ] && fail "a refused command created its output"
echo "numeric options: $checked bad values refused"
exit $status
