#!/usr/bin/env python3
"""check_rare.py DEFAULT.json KEEP.json [--expect-rare]: the rows a diff
leaves out below its rare floor (compare.c "rare behaviours") change
nothing.  KEEP.json is the same diff with --keep-rare: every row of
DEFAULT.json must be in it, field for field; every row it has beyond them
must be a key seen fewer times than the floor, untested and unflagged, and
their whole-run events must add up to DEFAULT's rare_events.
--expect-rare: the diff must have left some rows out (else this checks
nothing)."""
import json
import sys


def key(r):
    return (r["scope"], r["kind"], r["reason"], r["a"], r["b"])


def main(argv):
    d = json.load(open(argv[1]))
    k = json.load(open(argv[2]))
    errors = []
    if k["rare_floor"] != 1 or k["rare_events"] != 0:
        errors.append("--keep-rare left rows out: floor %s, %s events" % (k["rare_floor"], k["rare_events"]))
    rows_d = {key(r): r for r in d["rows"]}
    rows_k = {key(r): r for r in k["rows"]}
    for x, r in rows_d.items():
        if x not in rows_k:
            errors.append("row %s missing from --keep-rare" % (x,))
        elif r != rows_k[x]:
            diff = [f for f in r if r[f] != rows_k[x].get(f)]
            errors.append("row %s differs in %s" % (x, diff))
    absent = [rows_k[x] for x in rows_k if x not in rows_d]
    for r in absent:
        n = r["baseline_events"] + r["candidate_events"]
        if r["kind"] != "key" or n >= d["rare_floor"] or r["verdict"] != "~" or r["testable"]:
            errors.append("row %s (%d events, verdict %s) left out" % (key(r), n, r["verdict"]))
    pooled = sum(r["baseline_events"] + r["candidate_events"] for r in absent if r["scope"] == "whole run")
    if pooled != d["rare_events"]:
        errors.append("rare_events %d, but the rows left out hold %d" % (d["rare_events"], pooled))
    for f in ("tested_rows", "regressions", "passes"):
        if d[f] != k[f]:
            errors.append("%s: %s against %s" % (f, d[f], k[f]))
    if "--expect-rare" in argv and not absent:
        errors.append("no row was left out: the check checked nothing")
    for e in errors[:20]:
        print("check_rare: " + e)
    if not errors:
        print("check_rare: %d rows kept, %d rare rows (%d events) left out below %d"
              % (len(rows_d), len(absent), pooled, d["rare_floor"]))
    return 1 if errors else 0


sys.exit(main(sys.argv))
