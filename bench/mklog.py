#!/usr/bin/env python3
"""Make a large kernel log for the scan benchmark: ordinary console noise
with a few KCSAN reports sprinkled in.

usage: mklog.py OUT SIZE_MB [REPORT_EVERY_N_LINES]
The noise lines are taken from the fixture console logs (minus their
reports) and renumbered with increasing printk times.

usage: mklog.py --repeat OUT LOG COPIES [--distinct]
LOG (a real console log) COPIES times over: many reports.  With --distinct
every report's title gets a number of its own, so that each report is a
distinct one (a signature of its own) for the scan's summary."""
import os
import random
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(here, "..", "fixtures")


def load(name):
    return [l.rstrip("\r\n") for l in open(os.path.join(fixtures, name), errors="replace")]


def repeat(out, log, copies, distinct):
    data = open(log, "rb").read()
    bug = re.compile(rb"(BUG: KCSAN: [a-z -]+ in )([A-Za-z_][A-Za-z0-9_.]*)")
    n = 0

    def number(m):
        nonlocal n
        n += 1
        return m.group(1) + m.group(2) + b"_r%d" % n

    with open(out, "wb") as f:
        for _ in range(copies):
            f.write(bug.sub(number, data) if distinct else data)


def main():
    if sys.argv[1] == "--repeat":
        repeat(sys.argv[2], sys.argv[3], int(sys.argv[4]), "--distinct" in sys.argv[5:])
        return
    out, size_mb = sys.argv[1], int(sys.argv[2])
    every = int(sys.argv[3]) if len(sys.argv) > 3 else 200000
    rng = random.Random(1)
    src = load("virtio-blk-console.log")
    lines = src + load("virtio-rng-console.log")
    noise = [l for l in lines if re.match(r"^\[ *\d+\.\d+\] ", l) and "KCSAN" not in l and "bytes by" not in l]
    noise = [re.sub(r"^\[ *\d+\.\d+\] ", "", l) for l in noise]
    start = next(i for i, l in enumerate(src) if "BUG: KCSAN" in l) - 1
    report = [re.sub(r"^\[ *\d+\.\d+\] ", "", l) for l in src[start:start + 21]]
    target = size_mb << 20
    size = 0
    n = 0
    t = 0.0
    with open(out, "w") as f:
        buf = []
        while size < target:
            t += 0.0001
            line = "[%12.6f] %s\n" % (t, rng.choice(noise))
            buf.append(line)
            size += len(line)
            n += 1
            if n % every == 0:
                for r in report:
                    line = "[%12.6f] %s\n" % (t, r)
                    buf.append(line)
                    size += len(line)
            if len(buf) > 10000:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))


if __name__ == "__main__":
    main()
