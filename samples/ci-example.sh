#!/bin/bash
# ci-example.sh - how a CI job gates on guest behaviour with vmtrail.
#
# It records the monitor ring during a test run of the baseline build and
# of the candidate build (three runs each, different seeds: run-to-run
# noise is measured, not guessed), compares them with vmtrail-analyze and
# fails the job when the guest's behaviour changed significantly.  Reports:
# OUTDIR/report.html, junit.xml (the CI system's test view) and summary.md
# (pull-request comment; appended to $GITHUB_STEP_SUMMARY when set).  Here
# xensim's scenarios stand in for the guest under test: the baseline is
# samples/workloads/variants/base.wl, the candidate a variant with one
# injected change (default: one syscall made twice as often).
#
# usage: samples/ci-example.sh [CANDIDATE_VARIANT] [OUTDIR]
#   CANDIDATE_VARIANT  base, cand-syscall-2x (default), cand-new-msr,
#                      cand-new-page (samples/workloads/variants/*.wl)
#   OUTDIR             where traces and reports go (default: a temp dir)
# env: VMT_BIN  directory of vmtrail-record, vmtrail-analyze and xensim
#               (default: build/bin next to this script)
#
# Exit status: that of vmtrail-analyze diff (0 same behaviour, 1 changed,
# 2 error or incomparable runs).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${VMT_BIN:-$HERE/../build/bin}
CANDIDATE=${1:-cand-syscall-2x}
OUT=${2:-$(mktemp -d)}
RATE=20000           # at most this many events a second from xensim
EVENTS=8000          # one test run: a fixed amount of guest work, so a slow
                     # host makes a run longer, never shorter (all 3 phases)

# What the recorder watches: the same for every run, or the comparison
# refuses them (exit 2).  MSR writes, CPUID, the guest's test markers,
# breakpoints, execution of the syscall entry page, accesses to data pages.
MONITORS=(--msr 0x6e0,0xc0000080,0xc0000081 --cpuid --guest-request --breakpoint
	  --mem-access 0x1e00:rw --mem-access 0x21000-0x210ff:n)

for tool in xensim vmtrail-record vmtrail-analyze; do
	[ -x "$BIN/$tool" ] || { echo "ci-example: $BIN/$tool not found; build first or set VMT_BIN" >&2; exit 2; }
done
mkdir -p "$OUT"

# record NAME SCENARIO SEED: one test run under the recorder.  In a real
# job this is "create the VM paused (xl create -p), start vmtrail-record
# -d DOMAIN --unpause, run the test suite in the guest, stop the
# recorder"; labels tie runs to the test.
record() {
	local name=$1 scenario=$2 seed=$3 sock=$OUT/xensim-$1.sock pid rc
	# Like "xl create -p": the guest waits for the recorder's --unpause, so
	# every run is recorded from its first instruction.
	"$BIN/xensim" --socket "$sock" --vcpus 2 --seed "$seed" --rate "$RATE" --paused \
		--workload "$HERE/workloads/variants/$scenario.wl" >"$OUT/$name.xensim.log" 2>&1 &
	pid=$!
	# The socket appears once xensim listens (or never: it exited).
	until [ -S "$sock" ]; do
		kill -0 "$pid" 2>/dev/null || { echo "ci-example: xensim for $name did not start:" >&2
			cat "$OUT/$name.xensim.log" >&2; exit 2; }
		sleep 0.05
	done
	"$BIN/vmtrail-record" --sim="$sock" -d 1 -o "$OUT/$name.vmt" -f -q \
		--max-events "$EVENTS" --label test=login-suite --unpause "${MONITORS[@]}" \
		--phase-names "$PHASES"
	rc=$?
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ $rc -eq 0 ] || { echo "ci-example: recording $name failed ($rc)" >&2; exit 2; }
}

# The guest's phase markers carry the phase number; naming them makes the
# report say "login" rather than "request 1".  Both scenarios have the same
# phases, so the baseline's names serve every run.
PHASES=$("$BIN/xensim" --workload "$HERE/workloads/variants/base.wl" --phase-names) ||
	{ echo "ci-example: cannot read the phase names of base.wl" >&2; exit 2; }
for seed in 1 2 3; do record "baseline-$seed" base "$seed"; done
for seed in 4 5 6; do record "candidate-$seed" "$CANDIDATE" "$seed"; done

# The gate: text for the job log, HTML as a build artifact, JUnit XML for
# the CI system's test view, Markdown for the pull request.
# --min-change 10 ignores shifts under 10% (at a fixed event rate a new
# action dilutes every other one by a few percent).
"$BIN/vmtrail-analyze" diff \
	--baseline "$OUT/baseline-1.vmt,$OUT/baseline-2.vmt,$OUT/baseline-3.vmt" \
	--candidate "$OUT/candidate-4.vmt,$OUT/candidate-5.vmt,$OUT/candidate-6.vmt" \
	--min-change 10 --html "$OUT/report.html" \
	--junit "$OUT/junit.xml" --markdown "$OUT/summary.md"
status=$?
# GitHub Actions shows the summary on the run's page; elsewhere, post
# summary.md as a pull-request comment and hand junit.xml to the CI
# system's test report (GitLab artifacts:reports:junit, Jenkins junit).
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$OUT/summary.md" ]; then
	cat "$OUT/summary.md" >>"$GITHUB_STEP_SUMMARY"
fi
case $status in
0) verdict="no significant behaviour change: job passes" ;;
1) verdict="behaviour changed: job fails (see $OUT/report.html)" ;;
*) verdict="comparison impossible: job errors" ;;
esac
echo "vmtrail-analyze exit code $status: $verdict"
exit $status
