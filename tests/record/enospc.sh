#!/bin/bash
# enospc.sh - the output filesystem fills up mid-run (a 512 KiB tmpfs): the
# recorder releases the guest, exits 1 naming the file and the error, the
# file keeps every chunk written before (readable), and nobody is paused.
set -u
. "$(dirname "$0")/lib.sh"
need_xensim
mkdir -p "$T/mnt"
mount -t tmpfs -o size=512k vmt-rec-test "$T/mnt" 2>/dev/null ||
	{ echo "cannot mount a tmpfs (not root?)"; exit 77; }
trap 'umount "$T/mnt" 2>/dev/null; cleanup' EXIT

xs_start e -a 7 -c 2 -w memory
rec -d 1 -o "$T/mnt/full.vmt" --cr cr3:sync --guest-request=sync -l 1 \
	--mem-access 0x2000-0x8000:r --mem-access 0x10000-0x30000:r 2>"$T/err"
rc=$?
[ $rc -eq 1 ] || fail "exit $rc: $(cat "$T/err")"
grep -q "$T/mnt/full.vmt: No space left on device" "$T/err" ||
	fail "message: $(cat "$T/err")"
grep -q "ended: write error" "$T/err" || fail "summary: $(cat "$T/err")"
j=$(xs_stats)
[ "$(jq -r '.domains[0].monitor_enabled' <<<"$j")" = false ] ||
	fail "the ring was left enabled"
check_unwatched "$j" 1
count "$T/mnt/full.vmt"
[ "$(val complete)" = 0 ] && [ "$(val requests)" -gt 0 ] && [ "$(val damaged)" = 0 ] ||
	fail "file not recoverable: $(cat "$TCOUT")"
xs_stop
echo ok
