#!/bin/bash
# queries.sh - every samples/queries/*.sql runs against a sample database
# (two synthetic runs imported by vmtrail-replay) in the sqlite3 shell with
# the vmtrail extension loaded (the events view's registers need it),
# without error, and returns rows.
WORK=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$WORK"' EXIT
GEN=$VMT_BUILD/tests/gen_runs
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 shell missing"; exit 77; }
[ -x "$GEN" ] && [ -x "$VMT_BIN/vmtrail-replay" ] || { echo "SKIP: gen_runs or vmtrail-replay not built"; exit 77; }
EXT="$VMT_BUILD/lib/vmtrail"
[ -f "$EXT.so" ] || { echo "SKIP: the extension vmtrail.so not built"; exit 77; }
# a sanitizer build's extension needs its runtimes loaded into the shell
pre=$(ldd "$EXT.so" | awk '/lib(asan|ubsan)\.so/ { print $3 }' | tr '\n' ' ')
host=()
[ -z "$pre" ] || host=(env LD_PRELOAD="$pre" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")

"$GEN" "$WORK/base.vmt" --seed 1 --events 5000 || exit 1
"$GEN" "$WORK/cand.vmt" --seed 2 --events 5000 --variant new-msr || exit 1
"$VMT_BIN/vmtrail-replay" --single-thread "$WORK/base.vmt" "$WORK/cand.vmt" -o "$WORK/sample.db" \
	>"$WORK/replay.log" 2>&1 || { cat "$WORK/replay.log"; exit 1; }

failed=0
n=0
for q in "$VMT_SRC"/samples/queries/*.sql; do
	n=$((n + 1))
	head -1 "$q" | grep -q '^-- ' || { echo "FAIL: $q does not open with a comment"; failed=1; }
	if ! "${host[@]}" sqlite3 -bail -cmd ".load $EXT" "$WORK/sample.db" <"$q" >"$WORK/out" 2>"$WORK/err" || [ -s "$WORK/err" ]; then
		echo "FAIL: $q:"; cat "$WORK/err"; failed=1
	elif [ ! -s "$WORK/out" ]; then
		echo "FAIL: $q returned no rows"; failed=1
	else
		echo "ok: $(basename "$q") ($(wc -l <"$WORK/out") rows)"
	fi
done
[ "$n" -ge 10 ] || { echo "FAIL: only $n sample queries"; failed=1; }
exit $failed
