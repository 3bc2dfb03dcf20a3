#!/bin/bash
# html.sh - the HTML report of a comparison is one self-contained page: no
# network reference, every SVG chart well-formed XML with drawn marks, and
# (when Chromium is installed) it loads headless and renders to a non-empty
# screenshot; without Chromium the browser step is skipped, not failed.
WORK=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TMPDIR=$WORK
GEN=$VMT_BUILD/tests/gen_runs
[ -x "$GEN" ] && [ -x "$VMT_BIN/vmtrail-analyze" ] || { echo "SKIP: gen_runs or vmtrail-analyze not built"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

for s in 1 2 3; do "$GEN" "$WORK/b$s.vmt" --seed "$s" --events 6000 || exit 1; done
for s in 4 5 6; do "$GEN" "$WORK/c$s.vmt" --seed "$s" --events 6000 --variant new-msr || exit 1; done
"$VMT_BIN/vmtrail-analyze" diff --baseline "$WORK/b1.vmt,$WORK/b2.vmt,$WORK/b3.vmt" \
	--candidate "$WORK/c4.vmt,$WORK/c5.vmt,$WORK/c6.vmt" --min-change 10 \
	--html "$WORK/report.html" >/dev/null
[ $? -eq 1 ] || { echo "FAIL: diff did not report the injected change"; exit 1; }

python3 - "$WORK/report.html" <<'PY' || exit 1
import re, sys
import xml.etree.ElementTree as ET
page = open(sys.argv[1]).read()
assert page.startswith("<!DOCTYPE html>"), "not an HTML page"
assert not re.search(r'(src|href)\s*=\s*"?(https?:)?//', page), "refers to the network"
assert "<script" not in page, "the page needs no script"
svgs = re.findall(r"<svg.*?</svg>", page, re.S)
assert len(svgs) >= 5, "expected rate charts, change bars and set bars, got %d" % len(svgs)
marks = 0
for s in svgs:
    root = ET.fromstring(s)  # well-formed, or this raises
    marks += sum(1 for e in root.iter() if e.tag in ("polyline", "rect"))
assert marks > 20, "charts have almost nothing drawn (%d marks)" % marks
assert "msr 0xc0000081" in page, "the change is not named"
print("ok: %d SVG charts, %d marks, self-contained" % (len(svgs), marks))
PY

CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$CHROME" ]; then
	echo "note: no Chromium; the browser check is skipped"
	exit 0
fi
timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --user-data-dir="$WORK/profile" \
	--window-size=1280,1800 --screenshot="$WORK/shot.png" "file://$WORK/report.html" \
	>"$WORK/chrome.log" 2>&1
size=$(stat -c %s "$WORK/shot.png" 2>/dev/null || echo 0)
if grep -Ei 'uncaught|CONSOLE.*error|Failed to load' "$WORK/chrome.log"; then
	echo "FAIL: the page logged errors"; exit 1
fi
[ "$size" -gt 20000 ] || { echo "FAIL: screenshot missing or blank ($size bytes)"; cat "$WORK/chrome.log"; exit 1; }
echo "ok: Chromium rendered the report ($size-byte screenshot)"
