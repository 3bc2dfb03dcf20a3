#!/bin/bash
# bench.sh - recorder throughput against the minimal consumer on the same
# xensim settings (ABI 7, workload mixed, rate max, same sources), for 1 and
# 4 vCPUs.  Prints events/s of both, the recorder's CPU time per event
# (whole process and drain thread), bytes per event in the file and peak
# RSS.  Not a pass/fail test: run it by hand on a quiet machine:
#   VMT_BIN=build/bin VMT_LIB=build/lib VMT_BUILD=build tests/record/bench.sh [EVENTS]
set -u
. "$(dirname "$0")/lib.sh"
need_xensim
N=${1:-200000}
MIN="$VMT_BIN/min_consumer"
[ -x "$MIN" ] || { echo "min_consumer not built"; exit 77; }
RANGES=(0x1e00 rw 0x2000-0x8000 r 0x10000-0x30000 r 0x38000-0x3ffff rw)
RECMON=(--cr cr0:sync,all --cr cr3:sync,all --cr cr4:sync,all --cr xcr0:sync,all
	--msr 0x6e0,0x1b,0x277,0xc0000080,0xc0000081,0xc0000082,0xc0000100,0xc0000101,0xc0000102
	--breakpoint --guest-request=sync --debug=sync --cpuid --desc-access --vmexit=sync)
MINMON=()
for ((i = 0; i < ${#RANGES[@]}; i += 2)); do
	RECMON+=(--mem-access "${RANGES[i]}:${RANGES[i+1]}")
	MINMON+=(--restrict "${RANGES[i]}=${RANGES[i+1]}")
done

printf "%-6s %-14s %10s %12s %10s %10s %10s\n" vCPUs consumer "events/s" \
	"CPU ns/ev" "drain ns" "bytes/ev" "RSS KiB"
for v in 1 4; do
	xs_start "bm$v" -a 7 -c "$v" -w mixed --rate max
	/usr/bin/time -f "%e %U %S %M" -o "$T/time" env VMT_XENSIM_SOCKET="$XS_SOCK" \
		"$MIN" --count "$N" "${MINMON[@]}" >/dev/null || fail "min_consumer"
	xs_stop
	read -r wall usr sys rss <"$T/time"
	awk -v v="$v" -v n="$N" -v w="$wall" -v u="$usr" -v s="$sys" -v r="$rss" \
		'BEGIN { printf "%-6s %-14s %10.0f %12.0f %10s %10s %10s\n", v, "min_consumer", n / w, (u + s) * 1e9 / n, "-", "-", r }'

	xs_start "br$v" -a 7 -c "$v" -w mixed --rate max
	/usr/bin/time -f "%e %U %S %M" -o "$T/time" "$REC" --sim="$XS_SOCK" -d 1 \
		-o "$T/b.vmt" -f --max-events "$N" "${RECMON[@]}" 2>"$T/err" || fail "$(cat "$T/err")"
	xs_stop
	read -r wall usr sys rss <"$T/time"
	drain=$(sed -n 's/.*drain CPU \([0-9]*\) ns\/event.*/\1/p' "$T/err")
	reqs=$(sed -n 's/.*: \([0-9]*\) requests in.*/\1/p' "$T/err")
	size=$(stat -c %s "$T/b.vmt")
	awk -v v="$v" -v n="$reqs" -v w="$wall" -v u="$usr" -v s="$sys" -v r="$rss" \
		-v d="$drain" -v b="$size" \
		'BEGIN { printf "%-6s %-14s %10.0f %12.0f %10s %10.1f %10s\n", v, "vmtrail-record", n / w, (u + s) * 1e9 / n, d, b / n, r }'
done
