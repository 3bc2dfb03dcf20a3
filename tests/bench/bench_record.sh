#!/usr/bin/env bash
# bench_record.sh - vmtrail-record against the minimal echo consumer
# (tests/xensim/min_consumer: xen-access's loop, no recording) on identical
# xensim settings: ABI 7, workload mixed, --rate max, the same monitors, for
# 1, 2 and 4 vCPUs.  Runs alternate echo/recorder (ABBA order, so a drift in
# the machine's load hits both alike) and every ratio is taken between the
# two runs of one alternation.  A benchmark that prints tables, not a test.
#
#   bench_record.sh [-n EVENTS] [-a ALTERNATIONS] [-v "1 2 4"] [-c CG_EVENTS]
#                   [-L LONG_EVENTS] [-k]
#   VMT_BENCH_QUICK=1 shrinks the defaults; VMT_BENCH_REC_ARGS adds recorder
#   options (e.g. "--level 1") to the alternation runs.
#
# What each figure measures (also printed under the tables):
#   events/s      requests answered / wall time of the consumer process
#   pause         xensim's pause_ns_total / requests: mean time a vCPU stayed
#                 paused on a synchronous request (publish -> response
#                 consumed), which includes the wake-up of the consumer; every
#                 monitor here is synchronous, so every request counts
#   in-trace p50/p99  RESPONSE ts - REQUEST ts in the trace: the recorder's
#                 own dequeue-to-answer time (copy, policy, copy), per request
#   drain CPU     the recorder's drain-thread CPU time / requests (its own
#                 CLOCK_THREAD_CPUTIME_ID figure); process CPU = user+sys of
#                 the whole process / requests
#   Ir/event      instructions per request under callgrind (user space only,
#                 stable on a noisy machine), per thread
#   RSS           peak resident set (getrusage of the child)
set -u

BIN=${VMT_BIN:-$(cd "$(dirname "$0")/../../build/bin" 2>/dev/null && pwd)}
QUICK=${VMT_BENCH_QUICK:-0}
REC_EXTRA=${VMT_BENCH_REC_ARGS:-}
N=100000; ALT=5; VCPUS="1 2 4"; CG_N=20000; LONG_N=1000000; KEEP=0
if [ "$QUICK" != 0 ]; then N=40000; ALT=2; CG_N=4000; LONG_N=200000; fi
while getopts "n:a:v:c:L:k" o; do
	case $o in
	n) N=$OPTARG ;; a) ALT=$OPTARG ;; v) VCPUS=$OPTARG ;; c) CG_N=$OPTARG ;;
	L) LONG_N=$OPTARG ;; k) KEEP=1 ;;
	*) echo "usage: $0 [-n EVENTS] [-a ALT] [-v \"1 2 4\"] [-c CG_EVENTS] [-L LONG_EVENTS] [-k]" >&2; exit 2 ;;
	esac
done
for p in xensim min_consumer vmtrail-record bench_rusage bench_trace_stats; do
	if [ ! -x "$BIN/$p" ]; then
		echo "bench_record: $BIN/$p missing (build targets xensim xensim_libs min_consumer vmtrail-record bench)" >&2
		exit 77
	fi
done
LIBDIR=$(cd "$BIN/../lib/xensim" && pwd)
WORK=$(mktemp -d /tmp/vmt-bench-record.XXXXXX)
SOCK=$WORK/xensim.sock
XPID=
cleanup() {
	[ -n "$XPID" ] && kill "$XPID" 2>/dev/null
	[ "$KEEP" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

# The same monitors for both consumers: min_consumer's "all" (every source
# synchronous, CRs on every write) plus the syscall-entry page without X,
# so the mixed scenario's syscalls become mem_access events.
MSRS=0x6e0,0x1b,0x277,0xc0000080,0xc0000081,0xc0000082,0xc0000100,0xc0000101,0xc0000102
# shellcheck disable=SC2054  # the commas are inside single arguments
REC_MON=(--cr cr0:sync,all --cr cr3:sync,all --cr cr4:sync,all --cr xcr0:sync,all
	--msr "$MSRS" --breakpoint --guest-request=sync --debug=sync --cpuid
	--desc-access --vmexit=sync --mem-access 0x1e00:rw)
ECHO_MON=(--monitors all --restrict 0x1e00=rw)

start_xensim() { # vcpus events statsfile
	rm -f "$SOCK"
	"$BIN/xensim" --socket "$SOCK" --abi 7 --vcpus "$1" --rate max \
		--workload mixed --events "$2" --stats "$3" >"$WORK/xensim.log" 2>&1 &
	XPID=$!
	# The socket appears once xensim listens (or never: it exited).
	until [ -S "$SOCK" ]; do
		kill -0 "$XPID" 2>/dev/null || {
			echo "bench_record: xensim did not start:" >&2
			cat "$WORK/xensim.log" >&2; exit 1; }
		sleep 0.05
	done
}
stop_xensim() {
	for _ in $(seq 200); do kill -0 "$XPID" 2>/dev/null || break; sleep 0.05; done
	kill "$XPID" 2>/dev/null
	wait "$XPID" 2>/dev/null
	XPID=
}
jnum() { # key file: first top-level occurrence
	sed -n "s/^  \"$1\": \([0-9]*\).*/\1/p" "$2" | head -1
}
kv() { # key line
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1
}

# One run; prints "rate pause_mean_ns cpu_ns_per_event maxrss_kib
# preemptions_per_1k_events sleeps_per_1k_events [recorder: drain_ns= and
# the trace's stats]"
run_one() { # kind vcpus events tag
	local kind=$1 v=$2 n=$3 tag=$4
	local st=$WORK/stats.$tag.json ru=$WORK/ru.$tag
	rm -f "$ru" "$WORK/$tag.vmt"
	start_xensim "$v" "$n" "$st"
	if [ "$kind" = echo ]; then
		VMT_XENSIM_SOCKET=$SOCK LD_LIBRARY_PATH=$LIBDIR timeout 600 \
			"$BIN/bench_rusage" -o "$ru" -l echo -- \
			"$BIN/min_consumer" --domain 1 --count "$n" "${ECHO_MON[@]}" \
			>"$WORK/echo.$tag.json" 2>"$WORK/echo.$tag.err"
	else
		timeout 600 "$BIN/bench_rusage" -o "$ru" -l rec -- \
			"$BIN/vmtrail-record" --sim="$SOCK" -d 1 -o "$WORK/$tag.vmt" -q \
			--max-events "$n" "${REC_MON[@]}" $REC_EXTRA 2>"$WORK/rec.$tag.err"
	fi
	local rc=$?
	stop_xensim
	if [ $rc != 0 ] || [ ! -s "$st" ]; then
		echo "bench_record: $kind run $tag failed (exit $rc):" >&2
		cat "$WORK"/*."$tag".err "$WORK/xensim.log" >&2 2>/dev/null
		exit 1
	fi
	local line produced pause
	line=$(cat "$ru")
	produced=$(jnum produced_total "$st")
	pause=$(jnum pause_ns_total "$st")
	awk -v n="$produced" -v w="$(kv wall_s "$line")" -v u="$(kv user_s "$line")" \
	    -v s="$(kv sys_s "$line")" -v p="$pause" -v r="$(kv maxrss_kib "$line")" \
	    -v c="$(kv nivcsw "$line")" -v vc="$(kv nvcsw "$line")" \
	    'BEGIN { printf "%.0f %.0f %.0f %d %.1f %.1f", n / w, p / n, (u + s) * 1e9 / n, r, c * 1000 / n, vc * 1000 / n }'
	if [ "$kind" = rec ]; then
		local drain
		drain=$(sed -n 's/.*drain CPU \([0-9.]*\) ns\/event.*/\1/p' "$WORK/rec.$tag.err")
		echo " drain_ns=${drain:-0} $("$BIN/bench_trace_stats" "$WORK/$tag.vmt")"
		[ "$KEEP" = 1 ] || rm -f "$WORK/$tag.vmt"
	else
		echo
	fi
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END {
	if (NR == 0) { print 0; exit }
	print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "# command: $0 $*  (N=$N events per run, $ALT alternation(s), vCPUs: $VCPUS, quick=$QUICK)"
echo "# cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1) ($(nproc) online)"
echo "# load average at start: $(cat /proc/loadavg)"
echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# xensim: --abi 7 --workload mixed --rate max --events N --vcpus V; every monitor synchronous"
echo "# recorder: vmtrail-record --sim -d 1 -q --max-events N ${REC_MON[*]} $REC_EXTRA"
echo "# echo:     min_consumer --count N ${ECHO_MON[*]}"
echo

declare -A R
for v in $VCPUS; do
	for a in $(seq "$ALT"); do
		# ABBA: odd alternations echo first, even ones recorder first
		if [ $((a % 2)) = 1 ]; then order="echo rec"; else order="rec echo"; fi
		for k in $order; do
			out=$(run_one "$k" "$v" "$N" "v$v.a$a.$k") || exit 1
			R[$v,$a,$k]=$out
			echo "# vcpus=$v alt=$a $k: $out" >&2
		done
	done
done

echo "## Recorder vs echo consumer (median over alternations)"
echo
echo "| vCPUs | echo events/s | recorder events/s | ratio (per-alternation median) | echo pause µs | recorder pause µs | added pause µs | in-trace p50 / p90 / p99 ns | preemptions / sleeps per 1k events, rec; echo | drain CPU ns/event | process CPU ns/event rec / echo | bytes/event | recorder peak RSS MiB |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for v in $VCPUS; do
	er=; rr=; ratio=; ep=; rp=; added=; p50=; p90=; p99=; dn=; rc=; ec=; bpe=; rss=; pre=; sl=; epre=; esl=
	for a in $(seq "$ALT"); do
		read -ra e <<<"${R[$v,$a,echo]}"; read -ra r <<<"${R[$v,$a,rec]}"
		er+=" ${e[0]}"; rr+=" ${r[0]}"
		ratio+=" $(awk -v x="${r[0]}" -v y="${e[0]}" 'BEGIN { printf "%.3f", x / y }')"
		ep+=" ${e[1]}"; rp+=" ${r[1]}"
		added+=" $(( r[1] - e[1] ))"
		ec+=" ${e[2]}"; rc+=" ${r[2]}"; rss+=" ${r[3]}"; pre+=" ${r[4]}"
		sl+=" ${r[5]}"; epre+=" ${e[4]}"; esl+=" ${e[5]}"
		line=${R[$v,$a,rec]}
		dn+=" $(kv drain_ns "$line")"; p50+=" $(kv lat_p50_ns "$line")"
		p90+=" $(kv lat_p90_ns "$line")"; p99+=" $(kv lat_p99_ns "$line")"; bpe+=" $(kv bytes_per_event "$line")"
	done
	printf "| %s | %.0f | %.0f | %.3f (%s ) | %.1f | %.1f | %.1f | %.0f / %.0f / %.0f | %.0f / %.0f; %.0f / %.0f | %.0f | %.0f / %.0f | %.1f | %.1f |\n" \
		"$v" "$(echo $er | median)" "$(echo $rr | median)" "$(echo $ratio | median)" "$ratio" \
		"$(echo $ep | median | awk '{ print $1 / 1000 }')" \
		"$(echo $rp | median | awk '{ print $1 / 1000 }')" \
		"$(echo $added | median | awk '{ print $1 / 1000 }')" \
		"$(echo $p50 | median)" "$(echo $p90 | median)" "$(echo $p99 | median)" \
		"$(echo $pre | median)" "$(echo $sl | median)" "$(echo $epre | median)" \
		"$(echo $esl | median)" "$(echo $dn | median)" \
		"$(echo $rc | median)" "$(echo $ec | median)" "$(echo $bpe | median)" \
		"$(echo $rss | median | awk '{ print $1 / 1024 }')"
done
echo

# Peak RSS against trace length: the same 1-vCPU run, N and LONG_N events.
if [ "$LONG_N" -gt 0 ]; then
	short=$(run_one rec 1 "$N" rss.short) || exit 1
	long=$(run_one rec 1 "$LONG_N" rss.long) || exit 1
	read -ra s <<<"$short"; read -ra l <<<"$long"
	echo "## Recorder peak RSS against trace length (1 vCPU)"
	echo
	echo "| events | peak RSS MiB | bytes/event | events/s |"
	echo "|---:|---:|---:|---:|"
	printf "| %s | %.1f | %s | %s |\n" "$N" "$(awk -v r="${s[3]}" 'BEGIN { print r / 1024 }')" \
		"$(kv bytes_per_event "$short")" "${s[0]}"
	printf "| %s | %.1f | %s | %s |\n" "$LONG_N" "$(awk -v r="${l[3]}" 'BEGIN { print r / 1024 }')" \
		"$(kv bytes_per_event "$long")" "${l[0]}"
	echo
fi

# Instructions per event under callgrind, per thread (user space only).
# Each consumer runs twice, CG_N and 2*CG_N events; the difference divided
# by CG_N is the cost of one more event, free of set-up (zstd contexts,
# dlopen, ring set-up) that a short run would otherwise spread over it.
cg_total() { sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$1" | head -1; }
cg_thread() { # file -> role
	if grep -q "vmt_drain_main" "$1"; then echo drain
	elif grep -q "writer_main" "$1"; then echo writer
	elif grep -q "control_main" "$1"; then echo control
	else echo main; fi
}
run_cg() { # kind events -> "role=Ir ..." on stdout
	local kind=$1 n=$2 out=$WORK/cg/$1.$2.out
	start_xensim 1 "$n" "$WORK/cg/stats.$kind.$n.json"
	if [ "$kind" = rec ]; then
		valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$out" \
			"$BIN/vmtrail-record" --sim="$SOCK" -d 1 -o "$WORK/cg/rec.$n.vmt" -q \
			--max-events "$n" "${REC_MON[@]}" >/dev/null 2>"$WORK/cg/rec.$n.err"
	else
		VMT_XENSIM_SOCKET=$SOCK LD_LIBRARY_PATH=$LIBDIR valgrind --tool=callgrind \
			--callgrind-out-file="$out" "$BIN/min_consumer" --domain 1 \
			--count "$n" "${ECHO_MON[@]}" >/dev/null 2>"$WORK/cg/echo.$n.err"
	fi
	stop_xensim
	local f all=0
	for f in "$out" "$out"-*; do
		[ -s "$f" ] || continue
		local ir
		ir=$(cg_total "$f")
		all=$((all + ${ir:-0}))
		[ "$kind" = rec ] && echo -n "$(cg_thread "$f")=${ir:-0} "
	done
	echo "all=$all"
}
if [ "$CG_N" -gt 0 ] && command -v valgrind >/dev/null; then
	mkdir -p "$WORK/cg"
	r1=$(run_cg rec "$CG_N"); r2=$(run_cg rec $((2 * CG_N)))
	e1=$(run_cg echo "$CG_N"); e2=$(run_cg echo $((2 * CG_N)))
	marg() { awk -v a="$(kv "$1" "$2")" -v b="$(kv "$1" "$3")" -v n="$CG_N" \
		'BEGIN { printf "%.0f", (b - a) / n }'; }
	whole() { awk -v a="$(kv "$1" "$2")" -v n="$3" 'BEGIN { printf "%.0f", a / n }'; }
	echo "## Instructions per event under callgrind (1 vCPU; marginal = (Ir at $((2 * CG_N)) − Ir at $CG_N events) / $CG_N)"
	echo
	echo "| process / thread | marginal instructions/event | whole run at $((2 * CG_N)) events, per event |"
	echo "|---|---:|---:|"
	for role in drain writer main; do
		printf "| recorder: %s thread | %s | %s |\n" "$role" "$(marg $role "$r1" "$r2")" \
			"$(whole $role "$r2" $((2 * CG_N)))"
	done
	printf "| recorder: whole process | %s | %s |\n" "$(marg all "$r1" "$r2")" "$(whole all "$r2" $((2 * CG_N)))"
	printf "| echo consumer: whole process | %s | %s |\n" "$(marg all "$e1" "$e2")" "$(whole all "$e2" $((2 * CG_N)))"
	echo
fi

cat <<'EOF'
Figures: events/s = requests / consumer wall time; pause = xensim's
pause_ns_total / requests (publish to response consumed, consumer wake-up
included; all monitors synchronous), added = recorder − echo in the same
alternation; in-trace p50/p99 = RESPONSE ts − REQUEST ts (the recorder's
dequeue-to-answer work only); preemptions / sleeps = involuntary /
voluntary context switches of the consumer process; drain CPU = the recorder's drain-thread CPU
time / requests; process CPU = user+sys of the process / requests (includes
the writer thread's zstd); bytes/event = trace file size / requests.
EOF
echo
echo "# load average at end: $(cat /proc/loadavg)"
