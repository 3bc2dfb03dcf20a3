#!/bin/bash
# ci_reports.sh - vmtrail-analyze diff --junit and --markdown, checked
# against the same diff's JSON by independent readers (Python's
# xml.etree and a Markdown table tokenizer): one JUnit test case per
# behaviour family, a failure per significant change with its numbers; a
# Markdown summary whose first change, table and verdict match the JSON.
# Phase names hold Markdown, HTML, XML and invalid UTF-8, run names hold
# control characters: both files, and the HTML report of the same diff,
# must stay valid and escaped.  Then the
# incomparable and unchanged cases, and the file rules shared with --html.
WORK=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export TMPDIR=$WORK
GEN=$VMT_BUILD/tests/gen_runs
AN=$VMT_BIN/vmtrail-analyze
[ -x "$GEN" ] && [ -x "$AN" ] || { echo "SKIP: gen_runs or vmtrail-analyze not built"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }
cd "$WORK" || exit 1

P0='boot <b>x</b> &copy [l](http://e.x) @all'
P1='lo|gin `code` *em* _u_ $x$ \ #'
P2=$'work | <script>alert(1)</script> ]]> \xff\xfe end'
NAMES="0=$P0;1=$P1;2=$P2"
BAD=$'run|<\x01\x1b[2J'
for s in 1 2 3; do "$GEN" "b$s.vmt" --seed "$s" --events 6000 --phase-names "$NAMES" || exit 1; done
for s in 4 5 6; do
	"$GEN" "c$s.vmt" --seed "$s" --events 6000 --variant new-msr --phase-names "$NAMES" || exit 1
done
"$GEN" v7.vmt --seed 9 --events 6000 --vcpus 4 || exit 1
# one import; the runs are named after the database, whose name is hostile
"$VMT_BIN/vmtrail-replay" -q b1.vmt b2.vmt b3.vmt c4.vmt c5.vmt c6.vmt v7.vmt -o "$BAD.db" || exit 1

check() { # DIR:EXPECTED_RC...: the JUnit and Markdown of each DIR against its JSON
	python3 - "$P2" "$@" <<'PY' || exit 1
import json, math, os, re, sys
import xml.etree.ElementTree as ET
p2 = os.fsencode(sys.argv[1])

def text_rule(b):  # vmt_out.h's rule for text shown to people
    out, i = [], 0
    while i < len(b):
        c = b[i]
        n = 2 if 0xc2 <= c <= 0xdf else 3 if 0xe0 <= c <= 0xef else 4 if 0xf0 <= c <= 0xf4 else 1
        if n > 1:
            try:
                ch = b[i:i + n].decode("utf-8")
            except UnicodeDecodeError:
                ch = None
            if ch is not None and len(ch) == 1:
                if 0x80 <= ord(ch) <= 0x9f:
                    out += ["\\x%02x" % x for x in b[i:i + n]]
                else:
                    out.append(ch)
                i += n
                continue
        out.append("\\\\" if c == 0x5c else "\\x%02x" % c if c < 0x20 or c >= 0x7f else chr(c))
        i += 1
    return "".join(out)

def shown(s):  # what a report shows for a JSON string (raw bytes of P2 known)
    return text_rule(s.encode().replace(p2.decode("utf-8", "replace").encode(), p2))

def family(r):
    return {"reason": "events per reason", "vcpu": "events per vCPU",
            "space": "events per address space"}.get(r["kind"], r["reason"] + " behaviours")

def close(a, b):
    if b is None:
        return a in ("inf", "-inf", "nan")
    return math.isclose(float(a), b, rel_tol=2e-5, abs_tol=1e-300)

def check(d, rc):
    js = json.load(open(d + "/diff.json"))
    flagged = [r for r in js["rows"] if r["verdict"] != "~"]
    assert len(flagged) == js["regressions"]
    if rc == 1:  # the escaping is tested on a change inside the hostile phase
        assert any(shown(r["scope"]) == text_rule(p2) for r in flagged), flagged

    # ---- JUnit ----
    root = ET.parse(d + "/junit.xml").getroot()
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    fams = []
    for r in js["rows"]:
        if family(r) not in fams:
            fams.append(family(r))
    assert [c.get("name") for c in cases] == ["comparability"] + fams, [c.get("name") for c in cases]
    assert int(suite.get("tests")) == len(cases)
    gate = cases[0].find("error")
    assert (gate is not None) == (not js["comparable"] and not js["forced"])
    if gate is not None:
        assert gate.get("message") == shown(js["incomparable"])
        assert int(suite.get("errors")) == 1
    nfail = 0
    for c in cases[1:]:
        want = [r for r in flagged if family(r) == c.get("name")]
        got = c.findall("failure")
        assert len(got) == len(want), (c.get("name"), len(got), len(want))
        nfail += bool(got)
        for f, r in zip(got, want):
            kv = dict(l.split(": ", 1) for l in f.text.strip().split("\n"))
            assert f.get("type") == r["verdict"] == kv["verdict"]
            assert kv["behaviour"] == shown(r["behaviour"]), (kv["behaviour"], r["behaviour"])
            assert kv["scope"] == shown(r["scope"]), (kv["scope"], shown(r["scope"]))
            for k in ("change_pct", "ci_low_pct", "ci_high_pct", "q", "p", "baseline_rate",
                      "candidate_rate"):
                assert close(kv[k], r[k]), (k, kv[k], r[k])
            assert int(kv["baseline_events"]) == r["baseline_events"]
            assert int(kv["candidate_events"]) == r["candidate_events"]
            assert kv["rate_unit"] == js["rate_unit"]
            assert shown(r["behaviour"]) in f.get("message") and "q " in f.get("message")
    assert int(suite.get("failures")) == nfail
    props = {}
    for p in suite.find("properties"):
        props.setdefault(p.get("name"), []).append(p.get("value"))
    assert props["baseline"] == [shown(n) for n in js["baseline"]]
    assert props["candidate"] == [shown(n) for n in js["candidate"]]
    assert props["significant_changes"] == [str(js["regressions"])]

    # ---- HTML: the same rule for user text, then HTML's entities ----
    page = open(d + "/report.html", "rb").read().decode("utf-8")  # valid UTF-8, or this raises
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", page), "a control character in the HTML"
    assert "<script>alert" not in page and "<b>x</b>" not in page, "raw HTML in the HTML report"
    ent = lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    if rc == 1:
        assert ent(text_rule(p2)) in page, "the hostile phase is not shown escaped"

    # ---- Markdown ----
    raw = open(d + "/summary.md", "rb").read()
    md = raw.decode("utf-8")  # valid UTF-8, or this raises
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", md), "a control character"
    assert "<script" not in md and "<b>" not in md, "raw HTML"

    def cells(line):  # a GFM table row: split on unescaped pipes, unescape
        out, cur, i = [], "", 1
        while i < len(line):
            ch = line[i]
            if ch == "\\" and i + 1 < len(line):
                cur += line[i + 1]
                i += 2
                continue
            if ch == "|":
                out.append(cur.strip())
                cur = ""
            elif ch == "`":
                raise AssertionError("unescaped backtick in " + line)
            else:
                cur += ch
            i += 1
        return [c.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") for c in out]

    lines = md.split("\n")
    if not js["comparable"] and not js["forced"]:
        assert "not comparable" in lines[0] and "**Verdict: not compared** (exit status 2)" in md
    else:
        assert lines[0] == "### vmtrail-analyze diff: %d significant change%s" % (
            js["regressions"], "" if js["regressions"] == 1 else "s"), lines[0]
        verdict = "regression" if js["regressions"] else "no significant change"
        assert "**Verdict: %s** (exit status %d)" % (verdict, rc) in md
        rows = [cells(l) for l in lines if l.startswith("| ")][1:]
        rank = lambda r: 2 if r["kind"] != "key" else 1 if r["scope"] == "whole run" else 0
        want = sorted(flagged, key=rank)[:20]
        assert len(rows) == len(want), (len(rows), len(want))
        for c, r in zip(rows, want):
            assert len(c) == 7, c
            assert c[0] == shown(r["behaviour"]) and c[1] == shown(r["scope"]), (c, r["scope"])
            assert c[2] == r["verdict"]
            assert close(c[4], r["q"]) or abs(float(c[4]) / r["q"] - 1) < 0.05
            assert abs(float(c[5]) - r["baseline_rate"]) <= 1e-3 * abs(r["baseline_rate"]) + 1e-9
            assert abs(float(c[6]) - r["candidate_rate"]) <= 1e-3 * abs(r["candidate_rate"]) + 1e-9
        if want:
            first = [l for l in lines if l.startswith("**What changed first:**")]
            assert len(first) == 1 and cells("|" + first[0].split("** ", 1)[1] + "|")[0].startswith(
                shown(want[0]["behaviour"])), first
    names = [l for l in lines if l.startswith(("Baseline (", "Candidate ("))]
    assert len(names) == 2 and shown(js["candidate"][0]) in cells("|" + names[1] + "|")[0]
    print("ok: %s: %d families, %d changes, Markdown %d table rows" % (
        d, len(cases) - 1, len(flagged), max(0, len([l for l in lines if l.startswith("| ")]) - 1)))

for arg in sys.argv[2:]:
    d, rc = arg.rsplit(":", 1)
    check(d, int(rc))
PY
}

diff_to() { # DIR EXPECTED_RC ARGS...
	local dir=$1 want=$2 rc
	shift 2
	mkdir -p "$dir"
	"$AN" diff --db "$BAD.db" "$@" --json --junit "$dir/junit.xml" --markdown "$dir/summary.md" \
		--html "$dir/report.html" >"$dir/diff.json"
	rc=$?
	[ $rc = "$want" ] || { echo "FAIL: $dir: diff exited $rc, expected $want"; exit 1; }
}

# a change: the new MSR, in the hostile phase and in the whole run
diff_to changed 1 --baseline 1,2,3 --candidate 4,5,6 --min-change 10
# no change
diff_to same 0 --baseline 1,2 --candidate 3
# incomparable runs: an error test case, and the Markdown says why
diff_to gate 2 --baseline 1 --candidate 7
check changed:1 same:0 gate:2
grep -q "msr 0xc0000081" changed/summary.md || { echo "FAIL: the change is not named"; exit 1; }

# the file rules of --html: 0600, never replaced, never an input, one name one report
for f in changed/junit.xml changed/summary.md; do
	[ "$(stat -c %a "$f")" = 600 ] || { echo "FAIL: $f is not mode 0600"; exit 1; }
done
echo keep >keep.xml
"$AN" diff --db "$BAD.db" --baseline 1 --candidate 3 --junit keep.xml >/dev/null 2>err.txt
[ $? = 2 ] && [ "$(cat keep.xml)" = keep ] && grep -q "keep.xml.*exists" err.txt ||
	{ echo "FAIL: an existing --junit file was replaced or not refused"; cat err.txt; exit 1; }
"$AN" diff --db "$BAD.db" --baseline 1 --candidate 3 --markdown "$BAD.db" >/dev/null 2>err.txt
[ $? = 2 ] && grep -q "one of the runs compared" err.txt && [ -s "$BAD.db" ] ||
	{ echo "FAIL: --markdown over an input was not refused"; cat err.txt; exit 1; }
"$AN" diff --db "$BAD.db" --baseline 1 --candidate 3 --junit r.out --markdown r.out >/dev/null 2>err.txt
[ $? = 2 ] && [ ! -e r.out ] && grep -q "two reports" err.txt ||
	{ echo "FAIL: one file named for two reports was not refused"; cat err.txt; exit 1; }
echo "ok: JUnit and Markdown match the JSON; files follow the --html rules"
