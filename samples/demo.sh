#!/usr/bin/env bash
# The README's demo: record a simulated guest three times as a baseline and
# three times with one change (xensim standing in for Xen), replay the runs
# into SQLite, summarize one, diff the two sides with statistics, and write
# an HTML report and a Perfetto timeline.
#
#   samples/demo.sh [OUTDIR]        (default OUTDIR: ./demo-out)
#
# Installs the Debian packages it needs when missing (as root or via sudo),
# builds into ./build, and names every file it produced at the end.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$PWD/demo-out}" && cd "${1:-$PWD/demo-out}" && pwd)
cd "$top"
. tests/deps.sh

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "build (cmake, into $top/build)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$out/build.log" 2>&1
cmake --build build -j"$(nproc)" >>"$out/build.log" 2>&1 ||
	{ tail -n 40 "$out/build.log"; exit 1; }
bin=$top/build/bin
variants=$top/samples/workloads/variants

# Monitors: MSR writes, CPUID, guest requests (the scenario's phase
# markers), the guest's breakpoints, execute faults on the syscall-entry
# page (each fault's RAX is the syscall number) and every access to the
# application's data pages.
monitors=(--msr 0x6e0,0xc0000080,0xc0000081 --cpuid --guest-request --breakpoint
	--mem-access 0x1e00:rw --mem-access 0x21000-0x210ff:n)

# record NAME SCENARIO SEED: one run of a fresh simulated host
record() {
	local name=$1 scenario=$2 seed=$3 sock="$out/xensim-$1.sock" pid
	rm -f "$out/$name.vmt"
	# A run is 8000 events, a fixed amount of guest work (60 s is only a
	# safety net): a run of fixed wall time on a busy host may end before
	# the guest reaches its last phase, and then that phase cannot be
	# compared at all.
	# --paused and --unpause: the guest starts once the recorder watches,
	# so every run holds the boot phase from its first event.  The phase
	# names (boot, login, work) come from the scenario file through xensim.
	"$bin/xensim" --socket "$sock" --vcpus 2 --seed "$seed" --rate 20000 --paused \
		--workload "$variants/$scenario.wl" --stats "$out/$name.xensim.json" \
		>"$out/$name.xensim.log" 2>&1 &
	pid=$!
	# The socket appears once xensim listens (or never: it exited).
	until [ -S "$sock" ]; do
		kill -0 "$pid" 2>/dev/null ||
			{ cat "$out/$name.xensim.log" >&2; exit 1; }
		sleep 0.05
	done
	"$bin/vmtrail-record" --sim="$sock" -d 1 -o "$out/$name.vmt" -q \
		--max-events 8000 --duration 60s --label scenario=demo --unpause "${monitors[@]}" \
		--phase-names "$("$bin/xensim" --workload "$variants/$scenario.wl" --phase-names)"
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$sock"
}

# Three runs a side with different seeds: one run a side cannot tell the
# host's noise from the guest's (analyze/README.md, "Methods").
step "record 3 baseline runs: scenario base.wl, seeds 1-3, 8000 events each"
for seed in 1 2 3; do record "baseline-$seed" base "$seed"; done
step "record 3 candidate runs: syscall 39 twice as often in phase 'login', seeds 4-6"
for seed in 4 5 6; do record "candidate-$seed" cand-syscall-2x "$seed"; done

step "replay the six traces into one SQLite database (runs 1-3 baseline, 4-6 candidate)"
rm -f "$out/runs.db"
"$bin/vmtrail-replay" "$out"/baseline-{1,2,3}.vmt "$out"/candidate-{4,5,6}.vmt -o "$out/runs.db"
sqlite3 -header -column "$out/runs.db" \
	"SELECT run_id, reason_name, count(*) AS events FROM event_rows
	 WHERE run_id IN (1, 4) GROUP BY run_id, reason_name ORDER BY run_id, events DESC;" 2>/dev/null ||
	echo "(install sqlite3 to query the database from the shell)"

step "summary of the baseline"
"$bin/vmtrail-analyze" summary "$out/runs.db:1" >"$out/summary.txt"
head -n 30 "$out/summary.txt"
echo "(the whole summary: $out/summary.txt)"

step "diff: baseline vs candidate (exit status 1 = a significant change)"
set +e
"$bin/vmtrail-analyze" diff --db "$out/runs.db" --baseline 1,2,3 --candidate 4,5,6 \
	--min-change 10 --alpha 0.01 --html "$out/report.html"
rc=$?
set -e
echo "vmtrail-analyze diff exited $rc"
[ "$rc" -le 1 ] || exit "$rc"

step "timeline for ui.perfetto.dev"
"$bin/vmtrail-replay" "$out/candidate-4.vmt" --format chrome -o "$out/candidate-4.timeline.json"

step "files produced in $out"
for f in baseline-{1,2,3}.vmt candidate-{4,5,6}.vmt runs.db summary.txt report.html \
	candidate-4.timeline.json baseline-1.xensim.json candidate-4.xensim.json; do
	printf '  %-26s %s\n' "$f" "$(du -h "$out/$f" | cut -f1)"
done
cat <<EOF

Next: open $out/report.html in a browser; load $out/candidate-4.timeline.json
at https://ui.perfetto.dev; query $out/runs.db with sqlite3 (samples/queries/).
EOF
