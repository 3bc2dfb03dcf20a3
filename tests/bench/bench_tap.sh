#!/usr/bin/env bash
# bench_tap.sh - what vmtrail-record --tap costs the consumer it taps: the
# minimal consumer (tests/xensim/min_consumer, xen-access's loop) on
# identical xensim settings (ABI 7, workload mixed, --rate max, every
# monitor synchronous), untapped and under --tap, alternated ABBA in one
# run so a drift in the machine's load hits both alike; each ratio is taken
# between the two runs of one alternation.  Prints a table, not a test.
#
#   bench_tap.sh [-n EVENTS] [-a ALTERNATIONS] [-v "1 2"] [-k "tap after"]
#   VMT_BENCH_QUICK=1 shrinks the defaults.
#
# -k lists the tapped kinds, each alternated with the untapped run:
# "tap" (the default recording, zstd chunks while COMMAND runs) and
# "after" (--compress-after: uncompressed chunks, compressed once COMMAND
# has ended, which is after its wall time was taken).  "tap2" and "after2"
# are the same with VMT_BIN2's vmtrail-record (and the tap libraries beside
# it): a second build, alternated with the first in one run, which is how
# a change to the tap is judged against the noise of a shared host.
#
# events/s is requests answered / wall time of the consumer process itself
# (bench_rusage around min_consumer, inside the tap in the tapped runs), so
# the recorder's own start-up and final flush are not counted against it.
# The recorder's CPU per event (its collector, writer and main thread: its
# rusage, which includes COMMAND's, minus the consumer's) is printed too:
# on a busy host the wall-clock ratio means little, CPU per event does.
set -u

BIN=${VMT_BIN:-$(cd "$(dirname "$0")/../../build/bin" 2>/dev/null && pwd)}
QUICK=${VMT_BENCH_QUICK:-0}
N=100000; ALT=5; VCPUS="1 2"; KINDS="tap after"
if [ "$QUICK" != 0 ]; then N=40000; ALT=2; fi
while getopts "n:a:v:k:" o; do
	case $o in
	n) N=$OPTARG ;; a) ALT=$OPTARG ;; v) VCPUS=$OPTARG ;; k) KINDS=$OPTARG ;;
	*) echo "usage: $0 [-n EVENTS] [-a ALT] [-v \"1 2\"] [-k \"tap after\"]" >&2; exit 2 ;;
	esac
done
for p in xensim min_consumer vmtrail-record bench_rusage; do
	if [ ! -x "$BIN/$p" ]; then
		echo "bench_tap: $BIN/$p missing (build the bench target)" >&2
		exit 77
	fi
done
[ -e "$BIN/../lib/tap/libxenctrl.so.4.17" ] || { echo "bench_tap: tap libraries not built" >&2; exit 77; }
BIN2=${VMT_BIN2:-}
case " $KINDS " in *" tap2 "* | *" after2 "*)
	if [ -z "$BIN2" ] || [ ! -x "$BIN2/vmtrail-record" ] ||
	   [ ! -e "$BIN2/../lib/tap/libxenctrl.so.4.17" ]; then
		echo "bench_tap: kinds tap2/after2 need VMT_BIN2, a second build's bin" \
			"folder with vmtrail-record and its tap libraries" >&2
		exit 2
	fi ;;
esac
LIBDIR=$(cd "$BIN/../lib/xensim" && pwd)
WORK=$(mktemp -d /tmp/vmt-bench-tap.XXXXXX)
SOCK=$WORK/xensim.sock
XPID=
cleanup() {
	[ -n "$XPID" ] && kill "$XPID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

MON=(--monitors all --restrict 0x1e00=rw)

start_xensim() { # vcpus events statsfile
	rm -f "$SOCK"
	"$BIN/xensim" --socket "$SOCK" --abi 7 --vcpus "$1" --rate max \
		--workload mixed --events "$2" --stats "$3" >"$WORK/xensim.log" 2>&1 &
	XPID=$!
	for _ in $(seq 100); do [ -S "$SOCK" ] && return 0; sleep 0.05; done
	echo "bench_tap: xensim did not start:" >&2; cat "$WORK/xensim.log" >&2
	exit 1
}
stop_xensim() {
	for _ in $(seq 200); do kill -0 "$XPID" 2>/dev/null || break; sleep 0.05; done
	kill "$XPID" 2>/dev/null
	wait "$XPID" 2>/dev/null
	XPID=
}
kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }

# One run; prints "events/s consumer_cpu_ns_per_event recorder_cpu_ns_per_event"
run_one() { # kind vcpus events tag
	local kind=$1 v=$2 n=$3 tag=$4 ru=$WORK/ru.$4 rr=$WORK/rr.$4 st=$WORK/stats.$4.json
	local consumer=("$BIN/bench_rusage" -o "$ru" -l "$kind" -- "$BIN/min_consumer"
		--domain 1 --count "$n" "${MON[@]}")
	rm -f "$ru" "$rr" "$WORK/t.vmt"
	start_xensim "$v" "$n" "$st"
	if [ "$kind" = plain ]; then
		VMT_XENSIM_SOCKET=$SOCK LD_LIBRARY_PATH=$LIBDIR timeout 600 \
			"${consumer[@]}" >/dev/null 2>"$WORK/err.$tag"
	else
		local extra=() rb=$BIN
		case $kind in after | after2) extra=(--compress-after) ;; esac
		case $kind in tap2 | after2) rb=$BIN2 ;; esac
		timeout 600 "$BIN/bench_rusage" -o "$rr" -l recorder -- \
			"$rb/vmtrail-record" --tap "${extra[@]}" --sim="$SOCK" -q \
			-o "$WORK/t.vmt" -- "${consumer[@]}" >/dev/null 2>"$WORK/err.$tag"
	fi
	local rc=$?
	stop_xensim
	if [ $rc != 0 ] || [ ! -s "$ru" ]; then
		echo "bench_tap: $kind run $tag failed (exit $rc):" >&2
		cat "$WORK/err.$tag" "$WORK/xensim.log" >&2
		exit 1
	fi
	local line rline=; line=$(cat "$ru")
	[ -s "$rr" ] && rline=$(cat "$rr")
	awk -v n="$n" -v w="$(kv wall_s "$line")" -v u="$(kv user_s "$line")" \
	    -v s="$(kv sys_s "$line")" -v ru="$(kv user_s "$rline")" \
	    -v rs="$(kv sys_s "$rline")" 'BEGIN { c = (u + s) * 1e9 / n
		r = ru + rs > 0 ? (ru + rs) * 1e9 / n - c : 0
		printf "%.0f %.0f %.0f\n", n / w, c, r }'
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END {
	if (NR == 0) { print 0; exit }
	print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "# command: $0 $*  (N=$N events per run, $ALT alternation(s), vCPUs: $VCPUS, quick=$QUICK)"
echo "# cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1) ($(nproc) online)"
echo "# load average at start: $(cat /proc/loadavg)"
echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# xensim: --abi 7 --workload mixed --rate max --events N --vcpus V"
echo "# plain:  min_consumer --count N ${MON[*]}"
echo "# tap:    vmtrail-record --tap --sim -q -o FILE -- min_consumer --count N ${MON[*]}"
echo "# after:  the same with --compress-after"
[ -n "$BIN2" ] && echo "# tap2, after2: the same with $BIN2/vmtrail-record"
echo "# kinds:  plain $KINDS"
echo

declare -A R
for v in $VCPUS; do
	for a in $(seq "$ALT"); do
		order="plain $KINDS"
		[ $((a % 2)) = 0 ] && order=$(echo $order | tr ' ' '\n' | tac | tr '\n' ' ')
		for k in $order; do
			R[$v,$a,$k]=$(run_one "$k" "$v" "$N" "v$v.a$a.$k") || exit 1
			echo "# vcpus=$v alt=$a $k: ${R[$v,$a,$k]}" >&2
		done
	done
done

echo "## Consumer under --tap vs untapped (median over alternations)"
echo
echo "| vCPUs | kind | untapped events/s | tapped events/s | ratio (per-alternation values) | consumer CPU ns/event untapped / tapped | recorder CPU ns/event |"
echo "|---:|---|---:|---:|---:|---:|---:|"
for v in $VCPUS; do for k in $KINDS; do
	pr=; tr_=; ratio=; pc=; tc=; rc_=
	for a in $(seq "$ALT"); do
		read -ra p <<<"${R[$v,$a,plain]}"; read -ra t <<<"${R[$v,$a,$k]}"
		pr+=" ${p[0]}"; tr_+=" ${t[0]}"; pc+=" ${p[1]}"; tc+=" ${t[1]}"
		rc_+=" ${t[2]}"
		ratio+=" $(awk -v x="${t[0]}" -v y="${p[0]}" 'BEGIN { printf "%.3f", x / y }')"
	done
	printf "| %s | %s | %.0f | %.0f | %.3f (%s ) | %.0f / %.0f | %.0f |\n" "$v" "$k" \
		"$(echo $pr | median)" "$(echo $tr_ | median)" "$(echo $ratio | median)" \
		"$ratio" "$(echo $pc | median)" "$(echo $tc | median)" \
		"$(echo $rc_ | median)"
done; done
echo
echo "events/s: requests / wall time of the consumer process; ratio: tapped / untapped"
echo "within one alternation, median over alternations (target >= 0.95)."
echo "recorder CPU: vmtrail-record's user+sys minus the consumer's, per event of the"
echo "tapped runs (its start-up and final flush included: ~20 ms, weigh it at small N;"
echo "with --compress-after also the compression after COMMAND's end)."
