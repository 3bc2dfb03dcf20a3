#!/usr/bin/env python3
"""check_flags.py - assert what a `vmtrail-analyze diff --json` report flags.

usage: check_flags.py REPORT.json [BEHAVIOUR SCOPE[,SCOPE...]]

Without BEHAVIOUR: nothing may be flagged.  With it: the flagged behaviour
keys must be exactly BEHAVIOUR, in exactly the listed scopes ("whole run",
phase names; a scope written "?name" may be flagged or not, but no scope
outside the list may be); reason totals may be flagged only for
BEHAVIOUR's own reason (they contain it), vCPU totals never.
"""
import json
import sys


def main():
    report = json.load(open(sys.argv[1]))
    want = sys.argv[2] if len(sys.argv) > 2 else None
    scopes = sys.argv[3].split(",") if len(sys.argv) > 3 else []
    required = {s for s in scopes if not s.startswith("?")}
    allowed = required | {s[1:] for s in scopes if s.startswith("?")}
    flagged = [r for r in report["rows"] if r["verdict"] != "~"]
    problems = []
    keys = {(r["behaviour"], r["scope"]) for r in flagged if r["kind"] == "key"}
    need = {(want, s) for s in required} if want else set()
    may = {(want, s) for s in allowed} if want else set()
    if not need <= keys or not keys <= may:
        problems.append("flagged keys %s, expected %s (optional %s)"
                        % (sorted(keys), sorted(need), sorted(may - need)))
        for r in report["rows"]:
            if want and r["behaviour"] == want:
                problems.append("  %s: %s -> %s events, q %s, rank p %s, dispersion %s"
                                % (r["scope"], r["baseline_events"], r["candidate_events"],
                                   r["q"], r["p_rank"], r["dispersion"]))
    reason = want.split(" ")[0] if want else None
    for r in flagged:
        if r["kind"] == "vcpu" or (r["kind"] == "reason" and r["reason"] != reason):
            problems.append("unexpected flag: %s in %s (%s, q %s)"
                            % (r["behaviour"], r["scope"], r["verdict"], r["q"]))
    if report["regressions"] != len(flagged):
        problems.append("regressions %d != flagged rows %d"
                        % (report["regressions"], len(flagged)))
    for p in problems:
        print("FAIL:", p)
    if not problems:
        print("   flagged:", ", ".join("%s [%s]" % k for k in sorted(keys)) or "nothing")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
