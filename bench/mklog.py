#!/usr/bin/env python3
"""Make a large kernel log for the scan benchmark: ordinary console noise
with a few KCSAN reports sprinkled in.

usage: mklog.py OUT SIZE_MB [REPORT_EVERY_N_LINES]
The noise lines are taken from the fixture console logs (minus their
reports) and renumbered with increasing printk times."""
import os
import random
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(here, "..", "fixtures")


def load(name):
    return [l.rstrip("\r\n") for l in open(os.path.join(fixtures, name), errors="replace")]


def main():
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
