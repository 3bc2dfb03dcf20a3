# lib.sh - shared by the tests/analyze scripts: record runs of a scenario
# variant through xensim and vmtrail-record.  Needs VMT_BIN and VMT_SRC
# (set by vmt_script_test) and a scratch directory in $WORK.

VARIANTS=$VMT_SRC/samples/workloads/variants
MONITORS="--msr 0x6e0,0xc0000080,0xc0000081 --cpuid --guest-request --breakpoint
          --mem-access 0x1e00:rw --mem-access 0x21000-0x210ff:n"
RATE=${RATE:-20000}
# Runs end after a number of events, not of seconds: a busy host slows the
# guest down, never cuts a run short of its phases.  The guest is created
# paused and unpaused by the recorder, so every run holds boot from its
# first instruction and each vCPU's events are the same for the same seed.
# Boot and login take 3,200 events at 2 vCPUs; 5,000 leave work 1,800.
EVENTS=${EVENTS:-5000}

# Skip (77) when the simulated host or the recorder is not built.
need_tools() {
	for t in xensim vmtrail-record vmtrail-analyze; do
		[ -x "$VMT_BIN/$t" ] || { echo "SKIP: $VMT_BIN/$t not built"; exit 77; }
	done
	[ -d "$VMT_BIN/../lib/xensim" ] || { echo "SKIP: xensim client libraries not built"; exit 77; }
}

# record_once OUT VARIANT SEED VCPUS [extra recorder options...]
record_once() {
	local out=$1 variant=$2 seed=$3 vcpus=$4
	shift 4
	local sock=$WORK/xs-$$-$RANDOM.sock pid
	# Created paused, unpaused by the recorder once its monitors are on:
	# every run holds the guest from its first event, the boot marker on.
	"$VMT_BIN/xensim" --socket "$sock" -c "$vcpus" -S "$seed" -r "$RATE" \
		-w "$VARIANTS/$variant.wl" --paused >"$out.xensim.log" 2>&1 &
	pid=$!
	# The socket appears once xensim listens; a daemon that exited first
	# fails here, with its log, rather than as a refused connection.
	until [ -S "$sock" ]; do
		kill -0 "$pid" 2>/dev/null || { echo "FAIL: xensim for $out did not start:"
			cat "$out.xensim.log"; exit 1; }
		sleep 0.05
	done
	# shellcheck disable=SC2086
	"$VMT_BIN/vmtrail-record" --sim="$sock" -d 1 -o "$out" -f -q \
		--max-events "$EVENTS" --label test=analyze $MONITORS "$@" \
		--unpause --phase-names "$("$VMT_BIN/xensim" -w "$VARIANTS/$variant.wl" --phase-names)" \
		>"$out.record.log" 2>&1
	local rc=$?
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	if [ $rc -ne 0 ]; then
		echo "FAIL: recording $out ($variant, seed $seed) exited $rc:"
		cat "$out.record.log" "$out.xensim.log"
		exit 1
	fi
}

# record OUT VARIANT SEED [VCPUS [extra recorder options...]]
record() {
	local out=$1 variant=$2 seed=$3 vcpus=${4:-2}
	shift 4 2>/dev/null || shift $#
	record_once "$out" "$variant" "$seed" "$vcpus" "$@"
}

# record_set PREFIX VARIANT SEED...  -> PREFIX-SEED.vmt, comma list in $SET
record_set() {
	local prefix=$1 variant=$2
	shift 2
	SET=
	for s in "$@"; do
		record "$WORK/$prefix-$s.vmt" "$variant" "$s" 2
		SET=${SET:+$SET,}$WORK/$prefix-$s.vmt
	done
}
