#!/bin/bash
# control.sh - nobody else is let in through the control socket: it is
# 0600 even under umask 000, another user is refused (SO_PEERCRED), an
# empty --control is an error, a client that never finishes its line does
# not block the others, a NUL in a line gets a reply; numbers such as
# --max-events " -1" are refused.
set -u
. "$(dirname "$0")/lib.sh"
need_xensim
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
xs_start c -c 1 -w boot

# 1. Empty --control (an unset variable) and negative numbers: usage errors.
for args in '--control=' '--max-events= -1' '--max-events=-1' '--max-bytes= -1'; do
	rc=0; rec -d 1 -o "$T/x.vmt" --cpuid "$args" 2>"$T/err" || rc=$?
	expect_rc "$rc" 2 "vmtrail-record $args"
done
rc=0; "$REC" mark --control "" hello 2>"$T/err" || rc=$?
expect_rc "$rc" 2 "mark --control ''"
[ ! -e "$T/x.vmt" ] || fail "a refused command created its output"

# 2. The socket is 0600 whatever the umask.
(umask 000; exec "$REC" --sim="$XS_SOCK" -q -d 1 -o "$T/c.vmt" --cpuid \
	--control "$T/ctl.sock" 2>"$T/err") &
pid=$!
wait_socket "$T/ctl.sock" "$pid"
[ "$(stat -c %a "$T/ctl.sock")" = 600 ] || fail "control socket mode $(stat -c %a "$T/ctl.sock")"

# 3. A client that never ends its line, and one sending a NUL.
REC=$REC python3 - "$T/ctl.sock" >"$T/py.out" 2>&1 <<'EOF' || fail "clients: $(cat "$T/py.out")"
import socket, subprocess, sys, os
path = sys.argv[1]
slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
slow.connect(path)
slow.sendall(b"sta")          # and nothing more while the others talk
r = subprocess.run([os.environ["REC"], "stats", "--control", path],
                   capture_output=True, timeout=60)
assert r.returncode == 0 and b'"requests"' in r.stdout, r
nul = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
nul.settimeout(60)
nul.connect(path)
nul.sendall(b"sta\x00ts\n")
line = nul.makefile("rb").readline()
assert line.startswith(b"error"), line
slow.close()
EOF

# 4. Another user: refused by the peer check even on a socket made 0666.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v runuser >/dev/null; then
	chmod 666 "$T/ctl.sock"; chmod 711 "$T"
	rc=0; runuser -u nobody -- "$REC" mark --control "$T/ctl.sock" intruder >"$T/out" 2>"$T/err" || rc=$?
	chmod 700 "$T"
	[ "$rc" != 0 ] || fail "another user's marker was accepted: $(cat "$T/out")"
fi
kill -INT "$pid"; reap "$pid"; expect_rc "$RC" 0 "recorder"
count "$T/c.vmt"
[ "$(val markers)" = 0 ] || fail "markers recorded: $(cat "$TCOUT")"
echo ok
