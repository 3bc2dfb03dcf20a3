#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds,
# runs every test, then builds again with ASan+UBSan and runs every test
# once more.  Exit status 0 only if both passes are green.
#
#   tests/suite.sh            # both passes
#   VMT_SUITE_PASSES=plain tests/suite.sh   # only the plain pass
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
passes=${VMT_SUITE_PASSES:-"plain asan"}
start=$(date +%s)

run_pass() {
	local name=$1 dir=$2; shift 2
	local log
	log=$(mktemp)
	echo "==> [$name] configure + build in $dir"
	if ! cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >"$log" 2>&1 ||
	   ! cmake --build "$dir" -j"$jobs" >>"$log" 2>&1; then
		tail -n 150 "$log"; rm -f "$log"
		echo "==> [$name] build FAILED"
		return 1
	fi
	rm -f "$log"
	echo "==> [$name] ctest"
	ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 600
}

status=0
for pass in $passes; do
	case $pass in
	plain) run_pass plain build || status=1 ;;
	asan)
		export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
		export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
		# The plain pass runs the recorder's acceptance matrix at full
		# size (50,000 events per case); under the sanitizers every case
		# still runs, with fewer events, so the suite stays short.
		export VMT_MATRIX_EVENTS=${VMT_MATRIX_EVENTS_ASAN:-10000}
		# tests/clickhouse: the killed load's trace, smaller
		export VMT_CH_BIG=${VMT_CH_BIG_ASAN:-50000}
		run_pass asan build-asan -DVMT_SANITIZE=ON -DVMT_BENCH=OFF || status=1 ;;
	*) echo "unknown pass: $pass" >&2; exit 2 ;;
	esac
done
echo "==> suite finished in $(( $(date +%s) - start )) s, status $status"
exit $status
