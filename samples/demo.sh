#!/usr/bin/env bash
# The README's demo: record a simulated guest twice (xensim standing in for
# Xen), replay both runs into SQLite, summarize one, diff them with
# statistics, and write an HTML report and a Perfetto timeline.
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
	"$bin/xensim" --socket "$sock" --vcpus 2 --seed "$seed" --rate 20000 \
		--workload "$variants/$scenario.wl" --stats "$out/$name.xensim.json" \
		>"$out/$name.xensim.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	"$bin/vmtrail-record" --sim="$sock" -d 1 -o "$out/$name.vmt" -q \
		--duration 3s --label scenario=demo "${monitors[@]}"
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$sock"
}

step "record the baseline: scenario base.wl, seed 1, 3 s"
record baseline base 1
step "record the candidate: syscall 39 twice as often in phase 'login', seed 2"
record candidate cand-syscall-2x 2

step "replay both traces into one SQLite database"
rm -f "$out/runs.db"
"$bin/vmtrail-replay" "$out/baseline.vmt" "$out/candidate.vmt" -o "$out/runs.db"
sqlite3 -header -column "$out/runs.db" \
	"SELECT run_id, reason_name, count(*) AS events FROM events
	 GROUP BY run_id, reason_name ORDER BY run_id, events DESC;" 2>/dev/null ||
	echo "(install sqlite3 to query the database from the shell)"

step "summary of the baseline"
"$bin/vmtrail-analyze" summary "$out/runs.db:1" | head -n 40

step "diff: baseline vs candidate (exit status 1 = a significant change)"
set +e
"$bin/vmtrail-analyze" diff --baseline "$out/runs.db:1" --candidate "$out/runs.db:2" \
	--min-change 10 --html "$out/report.html"
rc=$?
set -e
echo "vmtrail-analyze diff exited $rc"
[ "$rc" -le 1 ] || exit "$rc"

step "timeline for ui.perfetto.dev"
"$bin/vmtrail-replay" "$out/candidate.vmt" --format chrome -o "$out/candidate.timeline.json"

step "files produced in $out"
for f in baseline.vmt candidate.vmt runs.db report.html candidate.timeline.json \
	baseline.xensim.json candidate.xensim.json; do
	printf '  %-26s %s\n' "$f" "$(du -h "$out/$f" | cut -f1)"
done
cat <<EOF

Next: open $out/report.html in a browser; load $out/candidate.timeline.json
at https://ui.perfetto.dev; query $out/runs.db with sqlite3 (samples/queries/).
EOF
