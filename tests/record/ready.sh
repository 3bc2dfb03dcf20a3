#!/bin/bash
# ready.sh - a socket path that exists can be connected to: xensim (and the
# recorder's control socket) make the path appear only once they listen,
# so scripts may take its existence as readiness.  listen() is slowed down
# by iofault.so to widen the window a bind-then-listen server would show.
# Also: a client that finds no daemon names the socket it tried, and
# xensim never deletes a file at its path that is not a socket.
set -u
. "$(dirname "$0")/lib.sh"
need_xensim
[ -e "$IOFAULT" ] || { echo "iofault.so not built"; exit 77; }
# An array, not a function: "func ... &" would put a subshell between
# $! and the program.
SLOW=(env LD_PRELOAD="$IOFAULT" VMT_IOFAULT_LISTEN_US=400000
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")

# 1. xensim: the first sight of the path, then a connection at once.
for i in 1 2 3; do
	XS_SOCK=$T/slow$i.sock
	"${SLOW[@]}" "$XENSIM" -s "$XS_SOCK" -c 1 2>>"$T/xensim.log" &
	XS_PID=$!; XS_PIDS="$XS_PIDS $XS_PID"
	until [ -e "$XS_SOCK" ]; do
		kill -0 "$XS_PID" 2>/dev/null || fail "xensim exited: $(cat "$T/xensim.log")"
		sleep 0.01
	done
	xs_stats >/dev/null 2>"$T/err" || fail "path there, xensim not listening: $(cat "$T/err")"
	xs_stop
	ls "$T" | grep -q "^slow$i\.sock" && fail "xensim left $(ls "$T")"
done

# 2. The recorder's control socket, likewise.
xs_start c -c 1 -w boot
"${SLOW[@]}" "$REC" --sim="$XS_SOCK" -q -d 1 -o "$T/c.vmt" --cpuid \
	--control "$T/ctl.sock" 2>"$T/err" &
pid=$!
until [ -e "$T/ctl.sock" ]; do
	kill -0 "$pid" 2>/dev/null || fail "recorder exited: $(cat "$T/err")"
	sleep 0.01
done
"$REC" stats --control "$T/ctl.sock" >/dev/null 2>"$T/err2" ||
	fail "control path there, not listening: $(cat "$T/err2")"
kill -INT "$pid"
reap "$pid"
expect_rc "$RC" 0 "recorder"

# 3. No daemon: the error names the socket, not the library folder.
rc=0
"$REC" --sim="$T/none.sock" -q -d 1 -o "$T/n.vmt" --cpuid 2>"$T/err" || rc=$?
expect_rc "$rc" 1 "no daemon"
expect_err "$T/none.sock"
expect_err "is xensim running?"

# 4. A regular file at the socket path is left alone.
echo keep >"$T/file.sock"
rc=0
"$XENSIM" -s "$T/file.sock" -c 1 2>"$T/err" || rc=$?
expect_rc "$rc" 1 "xensim on a regular file"
expect_err "not a socket"
[ "$(cat "$T/file.sock")" = keep ] || fail "xensim replaced a regular file"
echo ok
