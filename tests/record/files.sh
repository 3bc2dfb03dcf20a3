#!/bin/bash
# files.sh - trace files: mode 0600, no overwrite without --force (which
# replaces the file, mode 0600 again), the header (labels, monitors, domain
# by name), --compress-after, and refusals: unknown domain, a monitor this
# Xen lacks.
set -u
. "$(dirname "$0")/lib.sh"
need_xensim
xs_start f -a 7 -c 1 -w boot -d 3:web01

rec -d 3 -o "$T/a.vmt" --max-events 300 --cpuid --label scenario=boot --label build=7 \
	2>"$T/err" || fail "record: $(cat "$T/err")"
[ "$(stat -c %a "$T/a.vmt")" = 600 ] || fail "mode $(stat -c %a "$T/a.vmt")"
count "$T/a.vmt"
[ "$(val labels)" = "build=7;scenario=boot" ] || fail "labels: $(val labels)"
[ "$(val monitors)" = "cpuid" ] || fail "monitors: $(val monitors)"
[ "$(val domain_name)/$(val domid)/$(val xen)" = "web01/3/4.17" ] ||
	fail "domain/xen: $(cat "$TCOUT")"

echo keep >"$T/b.vmt"; chmod 644 "$T/b.vmt"
rec -d 3 -o "$T/b.vmt" --max-events 10 --cpuid 2>"$T/err"
[ $? -eq 1 ] && grep -q "$T/b.vmt: file exists (use --force" "$T/err" ||
	fail "overwrite without --force: $(cat "$T/err")"
[ "$(cat "$T/b.vmt")" = keep ] || fail "existing file touched"
rec -d web01 -o "$T/b.vmt" -f --max-events 10 --cpuid 2>"$T/err" ||
	fail "--force: $(cat "$T/err")"
[ "$(stat -c %a "$T/b.vmt")" = 600 ] || fail "--force left mode $(stat -c %a "$T/b.vmt")"
count "$T/b.vmt"
[ "$(val domid)" = 3 ] && [ "$(val complete)" = 1 ] || fail "by name: $(cat "$TCOUT")"

# --compress-after: recorded uncompressed, the file is the zstd copy.
rec -d 3 -o "$T/z.vmt" --max-events 2000 --cpuid --cr cr3 --compress-after \
	2>"$T/err" || fail "--compress-after: $(cat "$T/err")"
count "$T/z.vmt"
[ "$(val complete)/$(val damaged)" = 1/0 ] && [ "$(val requests)" -ge 2000 ] ||
	fail "--compress-after: $(cat "$TCOUT")"
[ "$(stat -c %a "$T/z.vmt")" = 600 ] || fail "--compress-after left mode $(stat -c %a "$T/z.vmt")"
"$REPLAY" --info --json "$T/z.vmt" >"$T/z.json" || fail "--info z.vmt"
[ "$(jq .header.codec "$T/z.json")" = 0 ] || fail "--compress-after: codec $(jq .header.codec "$T/z.json")"
[ -z "$(ls "$T" | grep '^z\.vmt\.')" ] || fail "--compress-after left $(ls "$T")"

# Size and time limits end the recording normally (end cause 0).
rec -d 3 -o "$T/s.vmt" --max-size 64K --cpuid --cr cr3 -l 1 2>"$T/err" ||
	fail "--max-size: $(cat "$T/err")"
count "$T/s.vmt"
[ "$(stat -c %s "$T/s.vmt")" -ge 65536 ] && [ "$(val end_cause)" = 0 ] ||
	fail "--max-size: $(stat -c %s "$T/s.vmt") bytes, $(cat "$TCOUT")"
start=$(date +%s%N)
rec -d 3 -o "$T/t.vmt" --duration 300ms --cpuid 2>"$T/err" || fail "--duration: $(cat "$T/err")"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ $ms -ge 300 ] || fail "--duration 300ms ended after $ms ms"
grep -q "ended: limit reached" "$T/err" || fail "--duration: $(cat "$T/err")"

rec -d nosuch -o "$T/c.vmt" --cpuid 2>"$T/err"
[ $? -eq 1 ] && grep -q "no domain named 'nosuch'" "$T/err" || fail "unknown name: $(cat "$T/err")"
rec -d 9 -o "$T/c.vmt" --cpuid 2>"$T/err"
[ $? -eq 1 ] && grep -q "domain 9 does not exist" "$T/err" || fail "unknown id: $(cat "$T/err")"
xs_stop

xs_start f1 -a 1 -c 1 -w boot
rec -d 1 -o "$T/d.vmt" --cpuid 2>"$T/err"
[ $? -eq 1 ] && grep -q "cannot monitor cpuid" "$T/err" || fail "ABI 1 cpuid: $(cat "$T/err")"
[ ! -e "$T/d.vmt" ] || fail "refused recording left a file"
# The defaults leave out what this Xen lacks and still record.
rec -d 1 -o "$T/e.vmt" --max-events 200 2>"$T/err" || fail "defaults on ABI 1: $(cat "$T/err")"
count "$T/e.vmt"
case "$(val monitors)" in *cpuid*) fail "ABI 1 defaults kept cpuid";; esac
[ "$(val abi)" = 1 ] && [ "$(val requests)" -ge 200 ] || fail "$(cat "$TCOUT")"
xs_stop
echo ok
