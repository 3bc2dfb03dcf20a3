#!/usr/bin/env bash
# bench_analyze.sh - `vmtrail-analyze diff` of two runs of N events each
# (default 10,000,000): wall seconds, CPU seconds and peak RSS.  The runs
# are synthetic traces from tests/analyze/gen_runs (a seeded three-phase
# guest; the candidate is the `new-msr` variant, so the diff has something
# to find), imported once with vmtrail-replay; the import is timed too but
# reported apart, as it is replay's cost, not the diff's.  A benchmark that
# prints a table, not a test.
#
#   bench_analyze.sh [-n EVENTS] [-v VCPUS] [-k]     VMT_BENCH_QUICK=1: 1M
set -u
BIN=${VMT_BIN:-$(cd "$(dirname "$0")/../../build/bin" 2>/dev/null && pwd)}
TESTS=${VMT_TESTS:-$BIN/../tests}
N=10000000; V=4; KEEP=0
[ "${VMT_BENCH_QUICK:-0}" != 0 ] && N=1000000
while getopts "n:v:k" o; do
	case $o in n) N=$OPTARG ;; v) V=$OPTARG ;; k) KEEP=1 ;;
	*) echo "usage: $0 [-n EVENTS] [-v VCPUS] [-k]" >&2; exit 2 ;; esac
done
for p in "$BIN/vmtrail-analyze" "$BIN/vmtrail-replay" "$BIN/bench_rusage" "$TESTS/gen_runs"; do
	[ -x "$p" ] || { echo "bench_analyze: $p not built" >&2; exit 77; }
done
WORK=$(mktemp -d "${VMT_BENCH_DIR:-/tmp}/vmt-bench-analyze.XXXXXX")
[ "$KEEP" = 1 ] || trap 'rm -rf "$WORK"' EXIT

echo "# command: $0 $*  (N=$N events per run, $V vCPUs)"
echo "# cpu: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1) ($(nproc) online)"
echo "# load average at start: $(cat /proc/loadavg)"
echo "# date: $(date -u '+%Y-%m-%d %H:%M UTC')"

step() { # label command...: runs it under bench_rusage, keeps the line
	local label=$1; shift
	"$BIN/bench_rusage" -o "$WORK/ru" -l "$label" -- "$@" >"$WORK/$label.out" 2>"$WORK/$label.err"
	local rc=$?
	# diff exits 1 when it finds a change: that is a result, not a failure
	if [ $rc != 0 ] && ! { [ "$label" = diff ] && [ $rc = 1 ]; }; then
		echo "bench_analyze: $label failed (exit $rc):" >&2
		tail -5 "$WORK/$label.err" >&2
		exit 1
	fi
}
step gen_base "$TESTS/gen_runs" "$WORK/base.vmt" --seed 1 --events "$N" --vcpus "$V"
step gen_cand "$TESTS/gen_runs" "$WORK/cand.vmt" --seed 2 --events "$N" --vcpus "$V" --variant new-msr
step import_base "$BIN/vmtrail-replay" "$WORK/base.vmt" -o "$WORK/base.db"
step import_cand "$BIN/vmtrail-replay" "$WORK/cand.vmt" -o "$WORK/cand.db"
step diff "$BIN/vmtrail-analyze" diff --baseline "$WORK/base.db" --candidate "$WORK/cand.db"

kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }
echo
echo "## vmtrail-analyze diff, two runs of $N events ($V vCPUs)"
echo
echo "| step | wall s | CPU s (user+sys) | peak RSS MiB |"
echo "|---|---:|---:|---:|"
while read -r line; do
	printf "| %s | %.2f | %.2f | %.1f |\n" "$(kv label "$line")" "$(kv wall_s "$line")" \
		"$(awk -v u="$(kv user_s "$line")" -v s="$(kv sys_s "$line")" 'BEGIN { print u + s }')" \
		"$(awk -v r="$(kv maxrss_kib "$line")" 'BEGIN { print r / 1024 }')"
done <"$WORK/ru"
echo
echo "sizes: traces $(du -m "$WORK/base.vmt" | cut -f1) + $(du -m "$WORK/cand.vmt" | cut -f1) MiB, databases $(du -m "$WORK/base.db" | cut -f1) + $(du -m "$WORK/cand.db" | cut -f1) MiB"
echo "diff verdict (first lines):"
head -5 "$WORK/diff.out" | sed 's/^/    /'
echo
echo "# load average at end: $(cat /proc/loadavg)"
