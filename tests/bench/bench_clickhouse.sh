#!/usr/bin/env bash
# bench_clickhouse.sh - ClickHouse against SQLite, side by side in one run,
# on one private local server (tests/clickhouse/lib.sh starts and stops it):
#   1. load: one trace of N events (default 10,000,000) by
#      vmtrail-replay --clickhouse and by the SQLite import (-o DB);
#   2. diff: R baseline against R candidate runs (default 50 + 50) of E
#      events each (default 200,000), by vmtrail-analyze diff --clickhouse
#      and --db;
#   3. client memory of the ClickHouse diff: R + R runs of E/4 events
#      (default 50,000) beside the R + R runs of E of step 2; the last
#      lines say whether peak RSS stayed flat, else its growth per extra
#      row of the report (the rows grow with the distinct keys).
# The runs are synthetic (tests/analyze/gen_runs, the generator of the
# analyze tests: base against syscall-2x, 4 vCPUs, 4,000 events/s); each
# set is loaded once into each store, the ClickHouse loads J at a time.
# Each line: wall and CPU seconds and peak RSS of the client (bench_rusage;
# the server's CPU is not in it; a parallel fill adds its loaders' CPU and
# shows the largest one's RSS).  A benchmark that prints a table.
#
#   bench_clickhouse.sh [-n EVENTS] [-r RUNS] [-e EVENTS_PER_RUN] [-j JOBS]
#   -n 0 skips step 1.  VMT_BENCH_QUICK=1: N=1,000,000, R=5, E=50,000
set -u
BIN=${VMT_BIN:-$(cd "$(dirname "$0")/../../build/bin" 2>/dev/null && pwd)}
TESTS=${VMT_TESTS:-$BIN/../tests}
VMT_SRC=${VMT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
N=10000000 R=50 E=200000 J=2
[ "${VMT_BENCH_QUICK:-0}" != 0 ] && N=1000000 R=5 E=50000
while getopts "n:r:e:j:" o; do
	case $o in n) N=$OPTARG ;; r) R=$OPTARG ;; e) E=$OPTARG ;; j) J=$OPTARG ;;
	*) echo "usage: $0 [-n EVENTS] [-r RUNS] [-e EVENTS_PER_RUN] [-j JOBS]" >&2; exit 2 ;; esac
done
for p in "$BIN/vmtrail-analyze" "$BIN/vmtrail-replay" "$BIN/bench_rusage" "$TESTS/gen_runs"; do
	[ -x "$p" ] || { echo "bench_clickhouse: $p not built" >&2; exit 77; }
done
WORK=$(mktemp -d "${VMT_BENCH_DIR:-/tmp}/vmt-bench-ch.XXXXXX")
trap 'ch_stop_all; rm -rf "$WORK"' EXIT
. "$VMT_SRC/tests/clickhouse/lib.sh"

echo "# command: $0 $*  (load N=$N; diff $R+$R runs of $E events)"
echo "# cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1) ($(nproc) online)"
echo "# clickhouse-server $(dpkg-query -W -f='${Version}' clickhouse-server 2>/dev/null)"
echo "# load average at start: $(cat /proc/loadavg)"
echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC')"

step() { # label command...: under bench_rusage; diff's exit 1 is a result
	local label=$1 rc; shift
	"$BIN/bench_rusage" -o "$WORK/ru" -l "$label" -- "$@" >"$WORK/$label.out" 2>"$WORK/$label.err"
	rc=$?
	echo "$label $(cut -d' ' -f1 /proc/loadavg)" >>"$WORK/load"
	if [ $rc != 0 ] && ! { [ "${label%%_*}" = diff ] && [ $rc = 1 ]; }; then
		echo "bench_clickhouse: $label failed (exit $rc):" >&2
		tail -5 "$WORK/$label.err" >&2
		exit 1
	fi
}
field() { sed -n "s/.*label=$1 .*$2=\([^ ]*\).*/\1/p" "$WORK/ru" | tail -1; }
row() { # label events
	local w
	w=$(field "$1" wall_s)
	printf '%-22s %10s %9s %9s %9s %12s %6s\n' "$1" "$2" "$w" \
		"$(awk -v u="$(field "$1" user_s)" -v s="$(field "$1" sys_s)" 'BEGIN { printf "%.2f", u + s }')" \
		"$(field "$1" maxrss_kib)" \
		"$(awk -v n="$2" -v w="$w" 'BEGIN { if (n > 0 && w > 0) printf "%.0f", n / w; else print "-" }')" \
		"$(sed -n "s/^$1 //p" "$WORK/load" | tail -1)"
}
uuids() { local t l=; for t in "$@"; do l=${l:+$l,}$("$BIN/vmtrail-replay" --info --json "$t" | jq -r .header.uuid); done; echo "$l"; }

ch_start_n 1
chq 0 "CREATE DATABASE vmtrail" default || exit 1
URL=$(ch_url 0)

# ---- 1. load ----
if [ "$N" -gt 0 ]; then
	"$TESTS/gen_runs" "$WORK/big.vmt" --seed 7 --events "$N" --vcpus 4 || exit 1
	step load_clickhouse "$BIN/vmtrail-replay" -q "$WORK/big.vmt" --clickhouse "$URL"
	step load_sqlite "$BIN/vmtrail-replay" -q "$WORK/big.vmt" -o "$WORK/big.db"
	rm -f "$WORK/big.db" "$WORK/big.vmt"
	chq 0 "DROP DATABASE vmtrail" default && chq 0 "CREATE DATABASE vmtrail" default || exit 1
fi

# ---- 2. diff ----
gen_set() { # prefix variant events count -> list in SET
	SET=()
	for ((i = 1; i <= $4; i++)); do
		"$TESTS/gen_runs" "$WORK/$1-$i.vmt" --seed "$((${#1} * 1000 + i))" --events "$3" \
			--variant "$2" --rate 4000 || exit 1
		SET+=("$WORK/$1-$i.vmt")
	done
}
gen_set base base "$E" "$R"; BASE=("${SET[@]}")
gen_set cand syscall-2x "$E" "$R"; CAND=("${SET[@]}")
# J ClickHouse loaders at once (each run's rows are partitions of their own)
FILL='u=$1 b=$2 j=$3; shift 3
printf "%s\0" "$@" | xargs -0 -P "$j" -n $((($# + j - 1) / j)) "$b" -q --clickhouse "$u"'
step fill_clickhouse sh -c "$FILL" sh "$URL" "$BIN/vmtrail-replay" "$J" "${BASE[@]}" "${CAND[@]}"
step fill_sqlite "$BIN/vmtrail-replay" -q "${BASE[@]}" "${CAND[@]}" -o "$WORK/all.db"
step diff_clickhouse "$BIN/vmtrail-analyze" diff --clickhouse "$URL" \
	--baseline "$(uuids "${BASE[@]}")" --candidate "$(uuids "${CAND[@]}")"
step diff_sqlite "$BIN/vmtrail-analyze" diff --db "$WORK/all.db" \
	--baseline "$(seq -s, 1 "$R")" --candidate "$(seq -s, $((R + 1)) $((2 * R)))"
cmp -s "$WORK/diff_clickhouse.out" "$WORK/diff_sqlite.out" ||
	echo "# note: the two diff reports differ in text (run names differ; verdicts are compared by tests/clickhouse/cluster.sh)"
echo "# ClickHouse: $(grep '^result' "$WORK/diff_clickhouse.out")"
echo "# SQLite:     $(grep '^result' "$WORK/diff_sqlite.out")"

# ---- 3. client memory against events per run ----
rm -f "$WORK"/base-*.vmt "$WORK"/cand-*.vmt "$WORK/all.db"
S=$((E / 4))
gen_set small base "$S" "$R"; SMALLB=("${SET[@]}")
gen_set smallc syscall-2x "$S" "$R"; SMALLC=("${SET[@]}")
step fill_ch_small sh -c "$FILL" sh "$URL" "$BIN/vmtrail-replay" "$J" "${SMALLB[@]}" "${SMALLC[@]}"
step diff_ch_${R}x$S "$BIN/vmtrail-analyze" diff --clickhouse "$URL" \
	--baseline "$(uuids "${SMALLB[@]}")" --candidate "$(uuids "${SMALLC[@]}")"

printf '\n%-22s %10s %9s %9s %9s %12s %6s\n' step events wall_s cpu_s rss_kib events/s load1
[ "$N" -gt 0 ] && { row load_clickhouse "$N"; row load_sqlite "$N"; }
row fill_clickhouse $((2 * R * E))
row fill_sqlite $((2 * R * E))
row diff_clickhouse $((2 * R * E))
row diff_sqlite $((2 * R * E))
row fill_ch_small $((2 * R * S))
row diff_ch_${R}x$S $((2 * R * S))
row diff_clickhouse $((2 * R * E))

# The check of step 3: peak RSS against events, and against the rows the
# report holds (every (behaviour, phase) pair seen: the method line's "of N
# rows"); synthetic runs find new pages and RIPs as they grow.
rows_of() { sed -n 's/^method .* of \([0-9]*\) rows.*/\1/p' "$WORK/$1.out"; }
awk -v s="$S" -v e="$E" -v rs="$(field diff_ch_${R}x$S maxrss_kib)" \
	-v re="$(field diff_clickhouse maxrss_kib)" -v ns="$(rows_of diff_ch_${R}x$S)" \
	-v ne="$(rows_of diff_clickhouse)" 'BEGIN {
	printf "# client memory, %s events a run: %d KiB for %d rows; %s events: %d KiB for %d rows\n",
		s, rs, ns, e, re, ne
	if (re <= rs * 1.15) { print "# client memory: flat within 15 % for 4x the events"; exit }
	printf "# client memory: NOT flat: x%.2f for 4x the events and x%.2f the rows,", re / rs, ne / ns
	printf " %.0f bytes per extra row\n", (ne > ns ? (re - rs) * 1024 / (ne - ns) : 0)
}'
echo "# load average at end: $(cat /proc/loadavg)"
