#!/usr/bin/env python3
"""The knowledge base against hand-made reports.

Every tests/rules/FAMILY.txt holds KCSAN reports built with the real
layouts, each after a line

    # expect: device-origin WRITER struct NAME.MEMBER CONFIDENCE
    # expect: unknown-origin
    # expect: real-race

The reports are scanned (scan --no-db --format json, with any extra scan
arguments given) and each verdict is compared with its expectation.

usage: rules_check.py BIN FILE... [-- SCAN-ARGS...]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktlib import scan_json, split_extra  # noqa: E402


def expectations(path):
    out = []
    for n, line in enumerate(open(path, errors="replace"), 1):
        if line.startswith("# expect:"):
            w = line.split(":", 1)[1].split()
            if not w:
                continue
            e = {"line": n, "verdict": w[0]}
            if w[0] == "device-origin":
                e["writer"], e["field"], e["confidence"] = w[1], " ".join(w[2:-1]), w[-1]
            out.append(e)
    return out


def main():
    args, extra = split_extra(sys.argv[1:])
    binary, files = args[0], args[1:]
    bad = total = 0
    for path in files:
        exp = expectations(path)
        doc, err = scan_json(binary, path, extra)
        if err:
            print("FAIL %s: %s" % (path, err))
            bad += 1
            continue
        reports = doc["reports"]
        for e in exp:
            total += 1
            r = next((r for r in reports if r["source"]["line"] > e["line"]), None)
            if r is None:
                print("FAIL %s:%d: no report after the expectation" % (path, e["line"]))
                bad += 1
                continue
            got = {"verdict": r["verdict"], "writer": r.get("writer"), "field": r.get("field"),
                   "confidence": r.get("confidence")}
            want = dict(e)
            del want["line"]
            if any(got.get(k) != v for k, v in want.items()):
                bad += 1
                print("FAIL %s:%d: expected %s, got %s" % (
                    path, e["line"], " ".join(str(v) for v in want.values()),
                    " ".join(str(got[k]) for k in want)))
                print("     evidence: %s" % r.get("evidence"))
    print("rules: %d/%d expectations met" % (total - bad, total))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
