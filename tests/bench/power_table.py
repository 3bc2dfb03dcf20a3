#!/usr/bin/env python3
"""power_table.py - the table of tests/bench/bench_power.sh from its trial
directories: per case, the share of trials in which the injected behaviour
was flagged in its phase (found); the share in which exactly it was
flagged in its phase (reason totals of its own reason may move with it;
nothing else may be flagged); the share with any flag; then the
run-to-run speed spread of the recordings.

usage: power_table.py DIR TRIALS
"""
import json
import os
import sqlite3
import statistics
import sys

# case: (label, behaviour, phase names (named or numbered), target share)
CASES = [
    ("base-b", "base v base (false alarms)", None, (), None),
    ("sys125", "syscall 39 x1.25 in login", "mem_access syscall 39", ("login", "request 1"), None),
    ("sys150", "syscall 39 x1.5 in login", "mem_access syscall 39", ("login", "request 1"), 0.80),
    ("sys200", "syscall 39 x2 in login", "mem_access syscall 39", ("login", "request 1"), 0.95),
    ("msr", "new MSR 0xc0000081 in work", "mov_to_msr msr 0xc0000081 (STAR)", ("work", "request 2"), 1.0),
    ("page", "new page 0x21080 in work", "mem_access gfn 0x21080 -w-", ("work", "request 2"), 1.0),
]


def judge(report, behaviour, phases):
    """(found: the injected change flagged in its phase; exactly: found
    and nothing else flagged; anything flagged; what else was flagged)"""
    flagged = [r for r in report["rows"] if r["verdict"] != "~"]
    reason = behaviour.split(" ")[0] if behaviour else None
    others, hit = [], False
    for r in flagged:
        if r["kind"] == "key" and r["behaviour"] == behaviour:
            if r["scope"] in phases:
                hit = True
            elif r["scope"] != "whole run":
                others.append("%s [%s]" % (r["behaviour"], r["scope"]))
        elif not (r["kind"] == "reason" and r["reason"] == reason):
            others.append("%s [%s]" % (r["behaviour"], r["scope"]))
    exact = (not flagged) if behaviour is None else (hit and not others)
    return hit, exact, bool(flagged), others


def speeds(trial_dir):
    """events per second of each run of the trial, in run order"""
    db = sqlite3.connect(os.path.join(trial_dir, "runs.db"))
    return [n / (d / 1e9) for n, d in db.execute(
        "SELECT imported_events, duration_ns FROM runs ORDER BY run_id") if d]


def main():
    top, trials = sys.argv[1], int(sys.argv[2])
    dirs = [os.path.join(top, "trial-%d" % t) for t in range(1, trials + 1)]
    print("\n| case | trials | found in its phase | exactly the injected change | any flag | target |")
    print("|---|---|---|---|---|---|")
    # A target is judged on "found" and, separately, on "exactly": at a
    # calibrated alpha of 0.05 a trial with a change may flag an unchanged
    # row by chance as often as a trial without one, so "exactly" in 100 %
    # of trials is luck, not a property of the test; both are printed.
    held = {"found": True, "exactly": True}
    for name, label, behaviour, phases, target in CASES:
        found = exact = anyf = n = 0
        notes = {}
        for d in dirs:
            path = os.path.join(d, name + ".json")
            try:
                report = json.load(open(path))
            except (OSError, ValueError):
                print("(no report: %s)" % path)
                continue
            f, e, a, others = judge(report, behaviour, phases)
            n += 1
            found += f
            exact += e
            anyf += a
            for o in others:
                notes[o] = notes.get(o, 0) + 1
        if not n:
            continue
        if behaviour is None:
            goal = "any flag <= 5 %"
            ok = {k: anyf <= 0.05 * n for k in held}
        elif target is None:
            goal, ok = "(reported)", {k: True for k in held}
        else:
            goal = ">= %d %%" % round(target * 100)
            ok = {"found": found >= target * n - 1e-9, "exactly": exact >= target * n - 1e-9}
        for k in held:
            held[k] &= ok[k]
        missed = [k for k in ("found", "exactly") if not ok[k]]
        print("| %s | %d | %s | %d (%.0f %%) | %d (%.0f %%) | %s%s |" % (
            label, n, "-" if behaviour is None else "%d (%.0f %%)" % (found, 100.0 * found / n),
            exact, 100.0 * exact / n, anyf, 100.0 * anyf / n, goal,
            " (missed on %s)" % " and ".join(missed) if missed else ""))
        for o, c in sorted(notes.items(), key=lambda x: -x[1])[:5]:
            print("|   also flagged: %s | | %d | | | |" % (o, c))
    rates, ratios = [], []
    for d in dirs:
        if os.path.exists(os.path.join(d, "runs.db")):
            s = speeds(d)
            rates += s
            if s:
                ratios.append(max(s) / min(s))
    if rates:
        q = statistics.quantiles(rates, n=20) if len(rates) > 1 else [rates[0]] * 19
        print("\nrun speed over %d recordings: events/s min %.0f, 5 %% %.0f, median %.0f, "
              "95 %% %.0f, max %.0f; fastest/slowest run within a trial: median x%.2f, max x%.2f"
              % (len(rates), min(rates), q[0], statistics.median(rates), q[-1], max(rates),
                 statistics.median(ratios), max(ratios)))
    try:
        fails = [l for l in open(os.path.join(top, "failures.log")) if " attempt " in l]
    except OSError:
        fails = []
    print("failed recording attempts (each retried on a fresh host): %d" % len(fails))
    for k in ("found", "exactly"):
        print("targets judged on \"%s\": %s" % (k, "held" if held[k] else "NOT all held"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
