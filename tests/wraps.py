#!/usr/bin/env python3
"""Mail clients wrap long lines anywhere: split every BUG, access, value and
CPU line of the fixtures at every blank (the tail going to the next line,
without any prefix, as mail clients do) and require the same parse.

usage: wraps.py BIN FILE...
"""
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import variants  # noqa: E402
from ktlib import scan_json  # noqa: E402

KEYS = ("BUG:", " to 0x", "CPU:", "value changed", "bits changed", "reordered to")


def run(binary, lines, path):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    doc, err = scan_json(binary, path)
    if err:
        raise RuntimeError(err)
    return variants.canon(doc)


def main():
    binary, files = sys.argv[1], sys.argv[2:]
    fails = total = 0
    with tempfile.TemporaryDirectory(prefix="kt-wraps.") as tmp:
        path = os.path.join(tmp, "w.log")
        for f in files:
            src = [l.rstrip("\r") for l in open(f, errors="surrogateescape").read().split("\n")]
            want = run(binary, src, path)
            for i, l in enumerate(src):
                if not any(k in l for k in KEYS):
                    continue
                # the kernel's text is wrapped, not a wall-clock prefix before it (dmesg -T,
                # syslog, journal: they are shorter than a mail client's width)
                m = variants.WALLCLOCK.match(l)
                start = m.end() if m else 0
                if m and re.match(r"\[ *\d+\.\d+\]", l[start:]):
                    start = l.index("]", start) + 1   # and the printk time after it
                for j in range(max(20, start), len(l)):
                    if l[j] != " " or not l[j + 1:].strip():
                        continue
                    total += 1
                    got = run(binary, src[:i] + [l[:j], l[j + 1:]] + src[i + 1:], path)
                    if got != want:
                        fails += 1
                        print("FAIL %s:%d split %r | %r" % (f, i + 1, l[:j][-30:], l[j + 1:][:40]))
    print("wraps: %d/%d splits parse the same" % (total - fails, total))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
