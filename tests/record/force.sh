#!/bin/bash
# force.sh - what --force replaces, and when: the old file stays until the
# new recording has ended (a recording that fails to start leaves it as it
# was), a symlink is replaced by the trace and its target never written,
# and without --force nothing at PATH is followed or touched.
set -u
. "$(dirname "$0")/lib.sh"
need_xensim
xs_start f -a 7 -c 1 -w boot

leftovers() { ls "$T" | grep -F "$1." | grep -v '\.sock$'; }

# 1. Failing to start (no such domain; control socket in use): kept.
echo keep >"$T/old.vmt"
rc=0; rec -d 99 -o "$T/old.vmt" -f --max-events 10 --cpuid 2>"$T/err" || rc=$?
expect_rc "$rc" 1 "--force, unknown domain"
[ "$(cat "$T/old.vmt")" = keep ] || fail "--force deleted a file it did not replace"
[ -z "$(leftovers old.vmt)" ] || fail "left behind: $(leftovers old.vmt)"

"$REC" --sim="$XS_SOCK" -q -d 1 -o "$T/busy.vmt" --cpuid --control "$T/busy.sock" 2>"$T/err" &
busy=$!
wait_socket "$T/busy.sock" "$busy"
rc=0; rec -d 1 -o "$T/old.vmt" -f --cpuid --control "$T/busy.sock" 2>"$T/err" || rc=$?
expect_rc "$rc" 1 "--force, control socket in use"
[ "$(cat "$T/old.vmt")" = keep ] || fail "--force deleted a file it did not replace"
kill -INT "$busy"; reap "$busy"; expect_rc "$RC" 0 "busy recorder"

# 2. While the new recording runs, PATH still holds the old file.
"$REC" --sim="$XS_SOCK" -q -d 1 -o "$T/old.vmt" -f --cpuid --control "$T/c.sock" 2>"$T/err" &
pid=$!
wait_socket "$T/c.sock" "$pid"
[ "$(cat "$T/old.vmt")" = keep ] || fail "PATH replaced before the recording ended"
kill -INT "$pid"; reap "$pid"; expect_rc "$RC" 0 "--force recording"
count "$T/old.vmt"
[ "$(val complete)" = 1 ] || fail "replaced file is not the trace: $(cat "$TCOUT")"
[ "$(stat -c %a "$T/old.vmt")" = 600 ] || fail "mode $(stat -c %a "$T/old.vmt")"
[ -z "$(leftovers old.vmt)" ] || fail "left behind: $(leftovers old.vmt)"

# 3. A symlink: --force replaces the link; the target is not written.
echo target >"$T/target"; chmod 644 "$T/target"
ln -s "$T/target" "$T/link.vmt"
rec -d 1 -o "$T/link.vmt" -f --max-events 10 --cpuid 2>"$T/err" ||
	fail "--force over a symlink: $(cat "$T/err")"
[ "$(cat "$T/target")" = target ] || fail "--force wrote through the symlink"
[ "$(stat -c %a "$T/target")" = 644 ] || fail "target mode changed"
[ ! -L "$T/link.vmt" ] && [ "$(stat -c %a "$T/link.vmt")" = 600 ] ||
	fail "the link was not replaced by a 0600 trace"

# 4. Without --force a symlink, even a dangling one, is refused.
ln -s "$T/nowhere" "$T/dangling.vmt"
rc=0; rec -d 1 -o "$T/dangling.vmt" --max-events 10 --cpuid 2>"$T/err" || rc=$?
expect_rc "$rc" 1 "dangling symlink without --force"
expect_err "file exists"
[ ! -e "$T/nowhere" ] || fail "created the symlink's target"
echo ok
