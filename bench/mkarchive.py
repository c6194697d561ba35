#!/usr/bin/env python3
"""Make a syzbot-sized archive of console logs for the store benchmark.

usage: mkarchive.py --out DIR [--reports N] [--files F] [--distinct P] [--seed S]
                    [--shared DIR]

The real KCSAN reports of SHARED/kernel/console-*.log are taken apart and
mutated -- addresses, pids, task names, function offsets, and (for a share
P of the reports, 0.8 unless told) the names of the functions that make the
signature -- into N reports (1,000,000 unless told) spread over F files
(N / 10 unless told), each report among lines of ordinary console noise.
Every report has a log time of its own, so that every one is a distinct
occurrence.  The raw report text (the report's lines as logged, without the noise) is counted and printed
as "reports N files F report_bytes B", for the store-size ratio.
"""
import argparse
import os
import random
import re

SEP = "=" * 66
TS = re.compile(r"^\[\s*\d+\.\d+\] ?")
ADDR = re.compile(r"0xffff[0-9a-f]{12}")
TASK = re.compile(r"by task (\d+)")
PID = re.compile(r"PID: (\d+) Comm: (\S+)")
OFF = re.compile(r"\+0x([0-9a-f]+)/0x([0-9a-f]+)")
TITLE = re.compile(r"BUG: KCSAN: [a-z -]+ in (.*)$")
FUNC = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
COMMS = ["syz-executor", "kworker/0:1", "dd", "sh", "systemd-udevd", "ksoftirqd/1", "cat", "fio", "irqbalance"]


def load(shared):
    reports, noise = [], []
    d = os.path.join(shared, "kernel")
    for name in sorted(os.listdir(d)):
        if not (name.startswith("console-") and name.endswith(".log")):
            continue
        cur = None
        for line in open(os.path.join(d, name), errors="replace"):
            body = TS.sub("", line.rstrip("\r\n"))
            if body == SEP:
                if cur is not None and any("BUG: KCSAN" in l for l in cur):
                    reports.append(cur)
                    cur = None
                else:
                    cur = []
                continue
            if cur is not None:
                cur.append(body)
                if len(cur) > 200:
                    noise.extend(cur)
                    cur = None
            elif body and "KCSAN" not in body:
                noise.append(body)
    return reports, noise


def mutate(rep, rnd, serial, distinct):
    text = "\n".join(rep)
    if rnd.random() < distinct:
        m = next((TITLE.search(l) for l in rep if TITLE.search(l)), None)
        if m:
            for fn in set(FUNC.findall(OFF.sub("", m.group(1)))):
                text = re.sub(r"\b%s\b" % re.escape(fn), "%s_k%x" % (fn, serial), text)
    text = ADDR.sub(lambda _: "0xffff8880%08x" % rnd.getrandbits(32), text)
    text = TASK.sub(lambda _: "by task %d" % rnd.randrange(2, 32768), text)
    text = PID.sub(lambda _: "PID: %d Comm: %s" % (rnd.randrange(2, 32768), rnd.choice(COMMS)), text)

    def off(m):
        size = int(m.group(2), 16)
        return "+0x%x/0x%x" % (rnd.randrange(0, max(size, 1)), size)
    text = OFF.sub(off, text)
    return [SEP] + text.split("\n") + [SEP]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--reports", type=int, default=1000000)
    ap.add_argument("--files", type=int, default=0)
    ap.add_argument("--distinct", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
    a = ap.parse_args()
    files = a.files or max(1, a.reports // 10)
    rnd = random.Random(a.seed)
    reports, noise = load(a.shared)
    if not reports:
        raise SystemExit("mkarchive: no KCSAN reports under %s/kernel" % a.shared)
    os.makedirs(a.out, exist_ok=True)
    serial, raw = 0, 0
    for f in range(files):
        n = a.reports // files + (1 if f < a.reports % files else 0)
        t = 1.0
        out = []
        for _ in range(n):
            for _ in range(rnd.randrange(2, 12)):
                t += rnd.random() * 0.01
                out.append("[%5d.%06d] %s" % (int(t), int(t * 1e6) % 1000000, rnd.choice(noise)))
            t += 0.001 + rnd.random() * 0.01
            stamp = "[%5d.%06d] " % (int(t), int(t * 1e6) % 1000000)
            serial += 1
            lines = mutate(rnd.choice(reports), rnd, serial, a.distinct)
            raw += sum(len(stamp) + len(l) + 1 for l in lines)
            out.extend(stamp + l for l in lines)
        sub = os.path.join(a.out, "%03d" % (f // 1000))
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, "console-%06d.log" % f), "w") as fp:
            fp.write("\n".join(out) + "\n")
    print("reports %d files %d report_bytes %d" % (serial, files, raw))


if __name__ == "__main__":
    main()
