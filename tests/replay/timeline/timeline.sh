#!/bin/bash
# timeline.sh - the README tour's timeline (run2: two vCPUs, mixed workload,
# one marker) loads into Chrome's trace engine (the DevTools model from
# npm) with every slice on its track: 0 dropped.  Skipped without node/npm
# or when the package cannot be installed (npm ci of package-lock.json
# into the build tree, once).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../../record/lib.sh"
. "$HERE/../tour_lib.sh"
need_xensim
command -v node >/dev/null && command -v npm >/dev/null || { echo "no node/npm"; exit 77; }
NPM="$VMT_BUILD/npm-timeline"
if [ ! -d "$NPM/node_modules/@paulirish/trace_engine" ]; then
	mkdir -p "$NPM" && cp "$HERE/package.json" "$HERE/package-lock.json" "$NPM/" &&
		(cd "$NPM" && npm ci --no-audit --no-fund --loglevel=error) >"$T/npm.log" 2>&1 ||
		{ echo "cannot install the trace engine: $(tail -3 "$T/npm.log")"; exit 77; }
fi
cp "$HERE/check_timeline.mjs" "$NPM/"

record_tour "$T/run2.vmt" 10000
"$REPLAY" "$T/run2.vmt" --format chrome -o "$T/run.timeline.json" || fail "replay"
grep -q '"name":"login starts"' "$T/run.timeline.json" || fail "marker missing"
node "$NPM/check_timeline.mjs" "$T/run.timeline.json" || fail "the trace engine dropped slices"
echo ok
