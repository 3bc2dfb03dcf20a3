#!/usr/bin/env bash
# `xensim run`: COMMAND sees a dom0 of the simulated host (/sys/hypervisor
# and /proc/xen from a private folder, the daemon's release, xensim's
# libraries and socket), gets the signals sent to the launcher, and the
# launcher ends as COMMAND ended.
. "$(dirname "$0")/lib.sh"
run() { timeout 60 "$XENSIM" run "$@"; }

# The release follows the daemon (--abi 3 is Xen 4.11), not a constant.
xs_start --abi 3
out=$(run -- cat /sys/hypervisor/type /sys/hypervisor/version/major \
	/sys/hypervisor/version/minor /proc/xen/capabilities | paste -sd' ' -)
expect_eq "4.11 dom0 files" "$out" "xen 4 11 control_d"
"$XENSIM" --query shutdown >/dev/null; xs_wait || die "xensim status"

xs_start
# Each way a tool probes a path, from a program that knows nothing of
# xensim: stdio, open(2) via the shell's redirection, stat(2), a listing.
probe='read -r t </sys/hypervisor/type; read -r mi </sys/hypervisor/version/minor
	read -r ex </sys/hypervisor/version/extra
	test -f /sys/hypervisor/version/major || exit 3
	test -e /sys/hypervisor/uuid && exit 4
	echo "$t $mi $ex $(ls /sys/hypervisor | paste -sd, -)"
	echo "$VMT_XENSIM_SOCKET $VMT_XENSIM_DOM0_ROOT ${LD_LIBRARY_PATH%%:*}"'
out=$(LD_LIBRARY_PATH=/nowhere run -- sh -c "$probe")
read -r line1 <<<"$out"
expect_eq "probes" "$line1" "xen 17 .0-xensim type,version"
read -r sock root libdir < <(sed -n 2p <<<"$out")
expect_eq "socket" "$sock" "$VMT_XENSIM_SOCKET"
expect_eq "library path" "$libdir" "$(readlink -f "$VMT_LIB/xensim")"
[ ! -e "$root" ] || die "the private folder $root was left behind"
# The tool links xensim's libraries by soname.
ldd_out=$(run -- ldd "$VMT_BIN/xen_tool" 2>/dev/null || true)
if [ -x "$VMT_BIN/xen_tool" ]; then
	grep -q "libxenctrl.so.4.17 => $(readlink -f "$VMT_LIB/xensim")/" <<<"$ldd_out" ||
		die "xen_tool does not load xensim's libxenctrl: $ldd_out"
fi

# Exit status: COMMAND's code, COMMAND's signal, and the launcher's own.
rc=0; run -- sh -c 'exit 7' || rc=$?
expect_eq "exit code" "$rc" 7
rc=0; run -- sh -c 'kill -KILL $$' || rc=$?
expect_eq "killed by SIGKILL" "$rc" 137
rc=0; run -- "$T/no-such-tool" 2>"$T/err" || rc=$?
expect_eq "not found" "$rc" 127
rc=0; run --socket "$T/nobody.sock" -- true 2>"$T/err" || rc=$?
expect_eq "no daemon" "$rc" 125
grep -q "no xensim daemon answers on $T/nobody.sock" "$T/err" || die "no-daemon message: $(cat "$T/err")"
rc=0; run 2>"$T/err" || rc=$?
expect_eq "no COMMAND" "$rc" 125

# Signals sent to the launcher reach COMMAND: it traps them, counts two,
# and exits with the count; the launcher exits with it.
cat >"$T/trapper.sh" <<'SH'
n=0
trap 'n=$((n + 1)); [ $n -ge 2 ] && exit $((40 + n))' USR1 TERM
echo $$ >"$1.tmp"; mv "$1.tmp" "$1"
while :; do sleep 0.05; done
SH
"$XENSIM" run -- sh "$T/trapper.sh" "$T/ready" &
LPID=$!
BG_PIDS+=("$LPID")
wait_for "COMMAND ready" test -s "$T/ready"
BG_PIDS+=("$(cat "$T/ready")")
kill -USR1 "$LPID"
kill -TERM "$LPID"
rc=0; wait "$LPID" || rc=$?
expect_eq "signals forwarded" "$rc" 42
kill -0 "$(cat "$T/ready")" 2>/dev/null && die "COMMAND outlived the launcher"
"$XENSIM" --query shutdown >/dev/null; xs_wait || die "xensim status"
echo ok
