#!/usr/bin/env python3
"""The variable behind the address, on the real KCSAN kernel's logs.

- The `_find_first_bit` unknown-origin report (console-4.log) reads
  cpus_stop_mask (.bss of vmlinux): named, and its reason says so.
- The KUnit test's unknown-origin read (console-1.log, test_kernel_read
  [kcsan_test]) names test_var (.bss of kcsan_test) from the module's code;
  every kcsan_test variable so named implies one load address of the
  module's .bss (address - offset - the symbol's value in the .ko), and an
  aligned one.
- The same `_find_first_bit` report as old x86 prints it ("[<addr>] " before
  each frame) from a kernel slid by KASLR: named when every frame agrees on
  the slide, not named when one disagrees; without the frames' addresses,
  named with --kaslr-offset and not named without it; a raw "? 0x..."
  frame is looked up less the slide given.
- An address in .data..ro_after_init (marked by __start_ro_after_init and
  __end_ro_after_init inside .rodata) is named with that section.

usage: kernel_variables.py BIN VMLINUX MODULES-DIR KO-DIR LOG-DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile

SLIDE = 0x1e000000
fails = 0


def bad(msg):
    global fails
    fails += 1
    print("FAIL: variables: " + msg)


def scan(binary, args, path, fmt="json"):
    p = subprocess.run([binary, "scan", "--no-db", "--format", fmt] + args + [path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode not in (0, 1):
        bad("scan %s: exit %d: %s" % (path, p.returncode, p.stderr.decode(errors="replace")[-300:]))
        return None
    return json.loads(p.stdout) if fmt == "json" else p.stdout.decode()


def symbols(obj):
    """name -> (value, size, section index), from readelf (FUNC and OBJECT only)."""
    out = subprocess.run(["readelf", "-sW", obj], stdout=subprocess.PIPE, check=True).stdout.decode()
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 8 and f[3] in ("FUNC", "OBJECT", "NOTYPE") and f[6].isdigit():
            syms.setdefault(f[7], (int(f[1], 16), int(f[2], 0), int(f[6])))
    return syms


def first_report(doc, func, unknown=True):
    for r in doc["reports"]:
        a = r["accesses"][0]
        if r["unknown_origin"] == unknown and any(f["func"] == func for f in a["frames"]):
            return r
    return None


def expect_var(r, what, **want):
    v = r["accesses"][0].get("variable") if r else None
    if not v:
        bad("%s: no variable" % what)
        return
    for k, x in want.items():
        if v.get(k) != x:
            bad("%s: variable.%s is %r, expected %r" % (what, k, v.get(k), x))


def report_lines(log, start_pat):
    """The lines of the first report whose BUG line matches start_pat, from its ==== line to the next."""
    lines = open(log, encoding="utf-8", errors="replace").read().splitlines()
    for i, line in enumerate(lines):
        if re.search(start_pat, line):
            j = i + 1
            while j < len(lines) and "=====" not in lines[j]:
                j += 1
            return lines[i - 1:j + 1]
    return []


FRAME = re.compile(r"^(\[ *[0-9.]+\] )( +)([A-Za-z_][A-Za-z0-9_.]*)\+0x([0-9a-f]+)/0x([0-9a-f]+)$")


def slid(lines, vsyms, frame_slide, addr_slide, lead=True, odd_one=None):
    """The report as a slid kernel prints it: each frame's address in front, the access's address slid."""
    out = []
    for n, line in enumerate(lines):
        line = line.rstrip("\r")
        m = FRAME.match(line)
        if m and lead and m.group(3) in vsyms:
            s = frame_slide + (0x1000 if odd_one == n else 0)
            addr = vsyms[m.group(3)][0] + int(m.group(4), 16) + s
            line = "%s [<%016x>] %s+0x%s/0x%s" % (m.group(1), addr, m.group(3), m.group(4), m.group(5))
        line = re.sub(r"to 0x([0-9a-f]{16})", lambda x: "to 0x%016x" % (int(x.group(1), 16) + addr_slide), line)
        out.append(line)
    return "\n".join(out) + "\n"


def check_static(binary, vm, logdir, ko):
    doc = scan(binary, vm, os.path.join(logdir, "console-4.log"))
    r = first_report(doc, "_find_first_bit") if doc else None
    if not r:
        bad("console-4.log: no _find_first_bit unknown-origin report")
        return
    expect_var(r, "_find_first_bit", name="cpus_stop_mask", offset=0, size=8, section=".bss", object="vmlinux",
               basis="image")
    if r["tool_verdict"] != "unknown-origin":
        bad("_find_first_bit: verdict %s" % r["tool_verdict"])
    if "kernel static variable cpus_stop_mask+0x0/0x8 (.bss of vmlinux)" not in r["evidence"]:
        bad("_find_first_bit: the evidence does not name it: %s" % r["evidence"][:300])
    text = scan(binary, vm, os.path.join(logdir, "console-4.log"), "text") or ""
    if "kernel static variable cpus_stop_mask: not device memory; look for an uninstrumented writer" not in text:
        bad("_find_first_bit: the scan's text does not give the reason")

    doc = scan(binary, vm, os.path.join(logdir, "console-1.log"))
    r = first_report(doc, "test_kernel_read") if doc else None
    if not r:
        bad("console-1.log: no test_kernel_read unknown-origin report")
        return
    expect_var(r, "test_kernel_read", name="test_var", offset=0, size=8, section=".bss", object="kcsan_test",
               basis="module-code")
    msyms = symbols(os.path.join(ko, "kcsan_test.ko"))
    bases = set()
    for x in doc["reports"]:
        v = x["accesses"][0].get("variable")
        if v and v["basis"] == "module-code" and v["object"] == "kcsan_test" and v["section"] == ".bss":
            bases.add(int(x["accesses"][0]["addr"], 16) - v["offset"] - msyms[v["name"]][0])
    if len(bases) != 1 or min(bases) % 32:
        bad("kcsan_test: its variables imply %d .bss load addresses: %s" % (len(bases), sorted(map(hex, bases))))


def check_slides(binary, vm, vmlinux, logdir, tmp):
    vsyms = symbols(vmlinux)
    lines = report_lines(os.path.join(logdir, "console-4.log"), r"BUG: KCSAN: data-race in _find_first_bit")
    if not lines:
        bad("console-4.log: the _find_first_bit report's lines")
        return
    cases = [
        ("frames agree", slid(lines, vsyms, SLIDE, SLIDE), [],
         dict(name="cpus_stop_mask", basis="slide-from-frames", slide="0x%x" % SLIDE)),
        ("frames at the image's addresses", slid(lines, vsyms, 0, 0), [], dict(name="cpus_stop_mask", basis="image")),
        ("one frame disagrees", slid(lines, vsyms, SLIDE, SLIDE, odd_one=len(lines) // 2), [],
         dict(name=None, basis="slide-unknown", object=None)),
        ("no frame address, --kaslr-offset", slid(lines, vsyms, 0, SLIDE, lead=False), ["--kaslr-offset", hex(SLIDE)],
         dict(name="cpus_stop_mask", basis="slide-given", slide="0x%x" % SLIDE)),
        ("no frame address, no --kaslr-offset", slid(lines, vsyms, 0, SLIDE, lead=False), [],
         dict(name=None, basis="slide-unknown")),
    ]
    for i, (what, text, args, want) in enumerate(cases):
        path = os.path.join(tmp, "slide-%d.log" % i)
        open(path, "w").write(text)
        doc = scan(binary, vm + args, path)
        r = first_report(doc, "_find_first_bit") if doc else None
        if not r:
            bad("%s: no report" % what)
            continue
        expect_var(r, what, **want)
        if r["tool_verdict"] != "unknown-origin":
            bad("%s: verdict %s" % (what, r["tool_verdict"]))

    # a raw "? 0x..." frame of the slid kernel: looked up less the slide given, not found without it
    text = slid(lines, vsyms, 0, SLIDE, lead=False).splitlines()
    raw = vsyms["native_stop_other_cpus"][0] + 0x14d + SLIDE
    text = [x if "native_stop_other_cpus" not in x else "[  115.263214]  ? 0x%x" % raw for x in text]
    path = os.path.join(tmp, "raw.log")
    open(path, "w").write("\n".join(text) + "\n")
    for args, want in (([], None), (["--kaslr-offset", hex(SLIDE)], "arch/x86/kernel/smp.c")):
        doc = scan(binary, vm + args, path)
        r = first_report(doc, "_find_first_bit") if doc else None
        got = [f.get("file") for f in r["accesses"][0]["frames"] if f.get("addr")] if r else None
        if got != [want]:
            bad("a raw frame of a slid kernel, %s: %r" % (args or "no slide", got))

    # .data..ro_after_init: an object between the markers
    lo, hi = vsyms["__start_ro_after_init"][0], vsyms["__end_ro_after_init"][0]
    rai = sorted((v, n, s) for n, (v, s, _) in vsyms.items() if lo <= v < hi and s >= 8)
    if not rai:
        bad("no ro_after_init object in the vmlinux")
        return
    v, name, size = rai[0]
    path = os.path.join(tmp, "rai.log")
    open(path, "w").write(slid(lines, vsyms, 0, v + 4 - vsyms["cpus_stop_mask"][0], lead=False))
    doc = scan(binary, vm, path)
    r = first_report(doc, "_find_first_bit") if doc else None
    expect_var(r, "ro_after_init", name=name, offset=4, size=size, section=".data..ro_after_init",
               object="vmlinux", basis="image")


def main():
    binary, vmlinux, modules, ko, logdir = sys.argv[1:6]
    vm = ["--vmlinux", vmlinux, "--modules", modules]
    with tempfile.TemporaryDirectory() as tmp:
        check_static(binary, vm, logdir, ko)
        check_slides(binary, vm, vmlinux, logdir, tmp)
    print("== kernel: variables: %s" % ("passed" if not fails else "%d failed" % fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
