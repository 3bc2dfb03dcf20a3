#!/usr/bin/env bash
# bench_power.sh - the power of `vmtrail-analyze diff` in the demo's
# conditions on a busy host: T trials of 3-v-3 recordings (2 vCPUs,
# xensim --rate 20000, the demo's monitors, 8000 events a run, every
# seed different) while one CPU hog per core runs.  Per case it prints the share
# of trials in which exactly the injected behaviour was flagged, in the
# right phase, with nothing else, and the share with any flag at all; and
# the run-to-run speed spread the recordings saw.  A benchmark that prints
# a table, not a test (the figures: BENCHMARKS.md).
#
#   bench_power.sh [-t TRIALS] [-d DIR] [-a ALPHA] [-H HOGS] [-s SEED0]
#
# Each trial records 3 base runs (the baseline of every case), 3 more base
# runs (the base-v-base candidate) and 3 runs of each variant of
# samples/workloads/variants/; cases of one trial share its baseline,
# trials share nothing, so trials stay independent.  -d DIR keeps the
# traces there and reuses those already recorded (a long run can resume).
# Run k (0 to 20) of trial t is seeded SEED0 + 21 (t - 1) + k (1001 by
# default): a run is a fixed amount of seeded guest work, so the same
# SEED0 repeats a table's trials, and SEED0 past the last seed of an
# earlier run (SEED0 + 21 T) adds trials independent of it.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${VMT_SRC:-$HERE/../..}
BIN=${VMT_BIN:-$SRC/build/bin}
T=20; DIR=; ALPHA=0.05; HOGS=$(nproc); SEED0=1001
[ "${VMT_BENCH_QUICK:-0}" != 0 ] && T=3
while getopts "t:d:a:H:s:" o; do
	case $o in t) T=$OPTARG ;; d) DIR=$OPTARG ;; a) ALPHA=$OPTARG ;; H) HOGS=$OPTARG ;;
	s) SEED0=$OPTARG ;;
	*) echo "usage: $0 [-t TRIALS] [-d DIR] [-a ALPHA] [-H HOGS] [-s SEED0]" >&2; exit 2 ;; esac
done
case $SEED0 in ""|*[!0-9]*) echo "bench_power: -s takes a whole number, not '$SEED0'" >&2; exit 2 ;; esac
for p in xensim vmtrail-record vmtrail-replay vmtrail-analyze; do
	[ -x "$BIN/$p" ] || { echo "bench_power: $BIN/$p not built" >&2; exit 77; }
done
command -v python3 >/dev/null || { echo "bench_power: python3 missing" >&2; exit 77; }
SCRATCH=
if [ -z "$DIR" ]; then
	DIR=$(mktemp -d "${VMT_BENCH_DIR:-/tmp}/vmt-bench-power.XXXXXX")
	SCRATCH=$DIR
fi
mkdir -p "$DIR"
# Run a private copy of the programs and xensim's client libraries: a
# rebuild during the hour this takes must not mix an old xensim with a new
# client library (their protocol versions differ: the open fails with
# "Protocol error", as one earlier run did).
mkdir -p "$DIR/programs/bin" "$DIR/programs/lib"
cp -p "$BIN"/{xensim,vmtrail-record,vmtrail-replay,vmtrail-analyze} "$DIR/programs/bin/" &&
	cp -rp "$BIN/../lib/xensim" "$DIR/programs/lib/" ||
	{ echo "bench_power: cannot copy the programs to $DIR/programs" >&2; exit 77; }
BIN=$DIR/programs/bin
VARIANTS=$SRC/samples/workloads/variants
MONITORS=(--msr 0x6e0,0xc0000080,0xc0000081 --cpuid --guest-request --breakpoint
	--mem-access 0x1e00:rw --mem-access 0x21000-0x210ff:n)
# recorded sets: NAME:SCENARIO (each case diffs base-a against one of them)
# A run is a fixed amount of guest work, as in samples/demo.sh: under
# load a run of fixed wall time may end before the last phase begins.
EVENTS=8000
SETS=(base-a:base base-b:base sys125:cand-syscall-1.25x sys150:cand-syscall-1.5x
	sys200:cand-syscall-2x msr:cand-new-msr page:cand-new-page)
# Start the guest paused and record from its first instruction, and name
# the phases, when this build's recorder can.
START=(); REC=()
if "$BIN/vmtrail-record" --help 2>&1 | grep -q -- '--unpause'; then
	START=(--paused); REC=(--unpause)
fi
if "$BIN/vmtrail-record" --help 2>&1 | grep -q -- '--phase-names'; then
	REC+=(--phase-names 0=boot,1=login,2=work)
fi

HOG_PIDS=()
stop_hogs() { for p in "${HOG_PIDS[@]}"; do kill "$p" 2>/dev/null; done; HOG_PIDS=(); }
trap 'exit 130' INT TERM
trap 'stop_hogs; [ -z "$SCRATCH" ] || rm -rf "$SCRATCH"' EXIT
for _ in $(seq "$HOGS"); do (while :; do :; done) & HOG_PIDS+=($!); done

echo "# command: $0 $*  (T=$T trials, alpha $ALPHA, $HOGS CPU hogs, seeds $SEED0-$((SEED0 + 21 * T - 1)), traces in $DIR)"
echo "# cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1) ($(nproc) online)"
echo "# load average at start: $(cat /proc/loadavg)"
echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC'); recorder options: ${REC[*]:-(none)}"

# record OUT SCENARIO SEED: one run of EVENTS events of a fresh simulated host, tried
# up to 3 times (a fresh host each time); every failure is logged in
# DIR/failures.log and counted in the table's footer.
record() {
	local try
	for try in 1 2 3; do
		record_once "$@" && return 0
		{ echo "# $(date -u +%T) $1 attempt $try (load $(cut -d' ' -f1 /proc/loadavg)):"
		  cat "$1.record.log" "$1.xensim.log"; } >>"$DIR/failures.log"
	done
	return 1
}

record_once() {
	local out=$1 scenario=$2 seed=$3 sock pid rc
	sock=$(mktemp -u "$DIR/xs.XXXXXX.sock")
	"$BIN/xensim" --socket "$sock" --vcpus 2 --seed "$seed" --rate 20000 "${START[@]}" \
		--workload "$VARIANTS/$scenario.wl" >"$out.xensim.log" 2>&1 &
	pid=$!
	for _ in $(seq 400); do [ -S "$sock" ] && break; sleep 0.05; done
	"$BIN/vmtrail-record" --sim="$sock" -d 1 -o "$out.part" -f -q \
		--max-events "$EVENTS" --duration 60s \
		--label scenario=demo "${REC[@]}" "${MONITORS[@]}" >"$out.record.log" 2>&1
	rc=$?
	kill -INT "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$sock"
	[ $rc = 0 ] && mv "$out.part" "$out" && return 0
	echo "bench_power: recording $out failed (exit $rc):" >&2
	cat "$out.record.log" >&2
	return 1
}

# A trial's 21 runs, then one database of them (runs in SETS order).
trial() {
	local t=$1 d=$DIR/trial-$1 i=0 set name scen seed traces=()
	mkdir -p "$d"
	for set in "${SETS[@]}"; do
		name=${set%%:*}; scen=${set#*:}
		for r in 1 2 3; do
			# every run of the benchmark gets its own seed
			seed=$(( SEED0 + (t - 1) * 21 + i )); i=$((i + 1))
			[ -s "$d/$name-$r.vmt" ] || record "$d/$name-$r.vmt" "$scen" "$seed" || return 1
			traces+=("$d/$name-$r.vmt")
		done
	done
	[ -s "$d/runs.db" ] && return 0
	"$BIN/vmtrail-replay" "${traces[@]}" -o "$d/runs.db.part" >"$d/replay.log" 2>&1 &&
		mv "$d/runs.db.part" "$d/runs.db"
}

# diffs DIR: one JSON report per case (baseline = runs 1-3)
diffs() {
	local d=$1 k=0 set
	for set in "${SETS[@]}"; do
		local name=${set%%:*} first=$((k * 3 + 1))
		k=$((k + 1))
		[ "$name" = base-a ] && continue
		"$BIN/vmtrail-analyze" diff --db "$d/runs.db" --baseline 1,2,3 \
			--candidate $first,$((first + 1)),$((first + 2)) --alpha "$ALPHA" --json \
			>"$d/$name.json" 2>"$d/$name.err"
		[ $? -le 1 ] || { echo "bench_power: diff $d $name failed:" >&2; cat "$d/$name.err" >&2; }
	done
}

for t in $(seq "$T"); do
	trial "$t" || { stop_hogs; exit 1; }
	diffs "$DIR/trial-$t"
	printf '# trial %d/%d recorded and compared (%s)\n' "$t" "$T" "$(cut -d' ' -f1-3 /proc/loadavg)"
done
stop_hogs
echo "# load average at end: $(cat /proc/loadavg)"
python3 "$HERE/power_table.py" "$DIR" "$T"
