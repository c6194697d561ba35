#!/usr/bin/env python3
"""What a person sees on a terminal: run list and show under a pseudo-
terminal (python's pty, the size set with TIOCSWINSZ) and piped, and check
colour on the terminal and none in a pipe, NO_COLOR and --color, list fitted
to 80 (or $COLUMNS) columns without a wrapped row, the attention order,
the marks, show through $PAGER (on a terminal only, not with --no-pager),
and stats with the verdicts in list's colours.

usage: terminal.py BIN
"""
import fcntl
import json
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import termios
import time

SGR = re.compile(r"\x1b\[[0-9;]*m")
ROW = re.compile(r"^[NTL]{0,3} *(\d+)  (real-race|unknown-origin|device-origin) +(\d+)  ")

failures = 0
passes = 0


def check(cond, what):
    global failures, passes
    if cond:
        passes += 1
    else:
        failures += 1
        print("FAIL: " + what)


def base_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES", "PAGER", "LESS")}
    env.update(TERM="xterm", LC_ALL="C.UTF-8", TZ="UTC")
    env.update(extra)
    return env


def run_pty(args, env, cols=80, rows=24):
    """args on a terminal of cols x rows: (exit status, what the terminal got, stderr)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    err = tempfile.TemporaryFile()
    p = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=err, env=env, close_fds=True)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:         # EIO: every writer has closed the terminal
            break
        if not chunk:
            break
        out += chunk
    rc = p.wait()
    os.close(master)
    err.seek(0)
    return rc, out.decode("utf-8", "replace").replace("\r\n", "\n"), err.read().decode("utf-8", "replace")


def run_pipe(args, env):
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def visible(line):
    return SGR.sub("", line)


def check_fits(out, cols, what):
    lines = out.rstrip("\n").split("\n")
    wide = [line for line in lines if len(visible(line)) > cols]
    check(not wide, "%s: %d lines wider than %d columns, first: %r" % (what, len(wide), cols, wide[:1]))
    return lines


def list_rows(out):
    return [visible(line) for line in out.split("\n") if ROW.match(visible(line))]


def main():
    binary = os.path.abspath(sys.argv[1])
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tmp = tempfile.mkdtemp(prefix="kt-tty.")
    db = os.path.join(tmp, "tty.db")
    fx = os.path.join(top, "fixtures")
    try:
        # two scans an hour apart: what the second one adds is new
        run_pipe([binary, "--db", db, "scan", fx + "/kunit-kcsan-test.log", fx + "/formats/truncated.log"],
                 base_env(SOURCE_DATE_EPOCH="1700000000"))
        run_pipe([binary, "--db", db, "scan", fx + "/virtio-blk-console.log"],
                 base_env(SOURCE_DATE_EPOCH="1700003600"))
        env = base_env()
        reports = json.loads(run_pipe([binary, "--db", db, "list", "--format", "json"], env)[1])["reports"]
        n = len(reports)
        check(n > 10, "the store has reports (%d)" % n)
        check_list(binary, db, env, reports)
        check_show(binary, db, env, reports)
        check_stats(binary, db, env)
        check_kernel_show(binary, tmp, env)
        check_scan(binary, fx, env)
        check_progress(binary, fx, env)
    finally:
        shutil.rmtree(tmp)
    print("terminal: %d passed, %d failed" % (passes, failures))
    return 1 if failures else 0


def check_list(binary, db, env, reports):
    lst = [binary, "--db", db, "list"]
    n = len(reports)
    print("== list on an 80-column terminal: colour, every row on one line, what needs attention first")
    rc, out, err = run_pty(lst, env, cols=80)
    check(rc == 0, "list on a terminal exits 0: %d %s" % (rc, err))
    check(SGR.search(out) is not None, "list on a terminal has colour")
    lines = check_fits(out, 80, "list at 80 columns")
    rows = list_rows(out)
    check(len(rows) == n, "one row per report: %d rows for %d reports" % (len(rows), n))
    check(len(lines) == 1 + n + 2, "a header, the rows and the legend, nothing wrapped: %d lines" % len(lines))
    verdicts = [ROW.match(r).group(2) for r in rows]
    first_device = verdicts.index("device-origin") if "device-origin" in verdicts else len(verdicts)
    check(all(v == "device-origin" for v in verdicts[first_device:]),
          "attention: real-race and unknown-origin before device-origin: %s" % verdicts)
    counts = [int(ROW.match(r).group(3)) for r in rows[:first_device]]
    check(counts == sorted(counts, reverse=True), "attention: by count within: %s" % counts)
    new_ids = {r["id"] for r in reports if r["first_seen"] == "2023-11-14T23:13:20Z"}
    trunc = [r for r in rows if re.match(r"^N?T", r)]
    check(new_ids and all(r.startswith("N") for r in rows if int(ROW.match(r).group(1)) in new_ids),
          "the reports of the latest scan are marked N")
    check(sum(1 for r in rows if r.startswith("N")) == len(new_ids), "only they are")
    check(len(trunc) == 1, "the truncated report is marked T: %s" % trunc)
    check("N new in the latest scan" in out and "T truncated" in out, "the legend says what the marks mean")

    print("== list piped: no colour, no marks, not cut, in the order of the store")
    rc, piped, _ = run_pipe(lst, env)
    check(SGR.search(piped) is None and "\x1b" not in piped, "piped list has no escape")
    ids = [int(line.split()[0]) for line in piped.split("\n")[1:] if line.strip()]
    check(ids == sorted(ids) and len(ids) == n, "piped list is in ID order")
    check(max(len(line) for line in piped.split("\n")) > 80, "piped list is not cut to a width")
    check("…" not in piped and "new in the latest scan" not in piped, "piped list has no ellipsis, no legend")
    rc, never, _ = run_pty(lst + ["--color=never", "--sort", "id"], env)
    check("\x1b" not in never, "--color=never on a terminal: no escape")
    check([int(ROW.match(r).group(1)) for r in list_rows(never)] == ids,
          "--sort id on a terminal is the piped order")
    rc, always, _ = run_pipe(lst + ["--color=always"], env)
    check(SGR.search(always) is not None, "--color=always piped has colour")
    check(visible(always) == piped, "--color=always piped is the piped text, coloured")

    print("== NO_COLOR, TERM=dumb, COLUMNS")
    rc, out, _ = run_pty(lst, base_env(NO_COLOR="1"))
    check("\x1b" not in out, "NO_COLOR: no escape on a terminal")
    check_fits(out, 80, "NO_COLOR list at 80 columns")
    rc, out, _ = run_pty(lst, base_env(NO_COLOR=""))
    check(SGR.search(out) is not None, "an empty NO_COLOR does not count")
    rc, out, _ = run_pty(lst, base_env(TERM="dumb"))
    check("\x1b" not in out, "TERM=dumb: no escape")
    rc, out, _ = run_pty(lst, base_env(COLUMNS="60"), cols=120)
    check_fits(out, 60, "COLUMNS=60 wins over the terminal's 120")
    check(len(list_rows(out)) == n, "at 60 columns still one row per report")
    rc, out, _ = run_pty(lst, env, cols=200)
    check(len(list_rows(out)) == n and "LAST SEEN" in out, "at 200 columns the last-seen day has room")
    rc, out, _ = run_pty(lst + ["--sort", "count"], env)
    counts = [int(ROW.match(r).group(3)) for r in list_rows(out)]
    check(counts == sorted(counts, reverse=True), "--sort count: most first: %s" % counts)


def check_show(binary, db, env, reports):
    device = next(r["id"] for r in reports if r["verdict"] == "device-origin")
    show = [binary, "--db", db, "show", str(device)]
    marker = base_env(PAGER="sed -e 's/^/> /'")
    print("== show: the answer first, through $PAGER on a terminal only")
    rc, out, err = run_pty(show, marker)
    lines = out.rstrip("\n").split("\n")
    check(rc == 0, "show on a terminal exits 0: %d %s" % (rc, err))
    check(all(line.startswith("> ") for line in lines), "show on a terminal goes through $PAGER")
    check(visible(lines[0]).startswith("> KCSAN false positive: struct vring_used.idx is written by the device"),
          "show opens with the answer: %r" % visible(lines[0]))
    check(SGR.search(out) is not None, "show on a terminal has colour (for less -R)")
    rc, out, _ = run_pty(show + ["--no-pager"], marker)
    check(not out.startswith("> ") and SGR.search(out) is not None, "--no-pager: straight to the terminal")
    rc, out, _ = run_pty([binary, "--no-pager", "--db", db, "show", str(device)], marker)
    check(not out.startswith("> "), "--no-pager before the command too")
    rc, piped, _ = run_pipe(show, marker)
    check(not piped.startswith("> ") and "\x1b" not in piped, "piped show: no pager, no colour")
    rc, out, _ = run_pty(show, base_env(PAGER="cat"))
    check(visible(out) == piped, "PAGER=cat on a terminal: the piped text, coloured")
    rc, out, _ = run_pty(show, base_env(PAGER="cat", NO_COLOR="1"))
    check(out == piped, "PAGER=cat and NO_COLOR: exactly the piped text")
    rc, out, _ = run_pty(show + ["--format", "json"], base_env(PAGER="cat"))
    check("\x1b" not in out and json.loads(out)["id"] == device, "show --format json on a terminal: no colour")


def check_stats(binary, db, env):
    stats = [binary, "--db", db, "stats"]
    colours = {}
    print("== stats: verdicts in list's colours on a terminal, none piped")
    rc, piped, _ = run_pipe(stats, env)
    check(rc == 0 and "\x1b" not in piped, "piped stats: no escape")
    rc, out, err = run_pty(stats, env)
    check(rc == 0, "stats on a terminal exits 0: %d %s" % (rc, err))
    check(visible(out) == piped, "stats on a terminal: the piped text, coloured")
    for line in out.split("\n"):
        m = re.match(r"^(\x1b\[[0-9;]*m)(real-race|unknown-origin|device-origin)\x1b\[0?m", line)
        if m:
            colours[m.group(2)] = m.group(1)
    check(len(colours) == 3 and len(set(colours.values())) == 3, "each verdict in its own colour: %s" % colours)
    rc, lst, _ = run_pty([binary, "--db", db, "list", "--sort", "id"], env)
    check(all(c + v in lst for v, c in colours.items()), "the colours list gives the verdicts")
    rc, out, _ = run_pty(stats, base_env(NO_COLOR="1"))
    check("\x1b" not in out, "NO_COLOR: stats without colour")
    rc, out, _ = run_pty(stats + ["--color=never"], env)
    check("\x1b" not in out, "--color=never: stats without colour")
    rc, out, _ = run_pipe(stats + ["--color=always"], env)
    check(SGR.search(out) is not None and visible(out) == piped, "--color=always piped: the piped text, coloured")


def check_kernel_show(binary, tmp, env):
    """The real kernel's logs: the 543 used-ring reports in a few lines, by log and by caller."""
    kernel = os.path.join(os.environ.get("SHARED", "../shared"), "kernel")
    logs = sorted(os.path.join(kernel, f) for f in os.listdir(kernel)) if os.path.isdir(kernel) else []
    logs = [f for f in logs if re.search(r"/console-\d+\.log$", f)]
    if not logs:
        check(os.environ.get("CI") != "true", "no %s/console-*.log (CI=true: every suite must run)" % kernel)
        print("== show of the kernel's logs: skipped (no %s/console-*.log)" % kernel)
        return
    print("== show of the kernel's logs: the occurrences grouped, not one block each")
    db = os.path.join(tmp, "kernel.db")
    run_pipe([binary, "--db", db, "scan"] + logs, env)
    reports = json.loads(run_pipe([binary, "--db", db, "list", "--format", "json"], env)[1])["reports"]
    ring = next(r for r in reports if r["title"] == "KCSAN: data-race in virtqueue_get_buf_ctx_split")
    rc, out, _ = run_pipe([binary, "--db", db, "show", str(ring["id"])], env)
    lines = out.split("\n")
    check(ring["count"] == 543, "543 occurrences of the used-ring read: %d" % ring["count"])
    check(lines[0].startswith("KCSAN false positive: struct vring_used.idx is written by the device (Virtio 1.2 "),
          "show opens with the answer: %r" % lines[0])
    check("  by caller: __send_to_port 541, virtblk_done 1, __send_control_msg 1" in lines,
          "the occurrences by caller")
    check(len(lines) < 80, "show is short: %d lines" % len(lines))
    check(sum(1 for line in lines if line.startswith("occurrence ")) == 1, "one occurrence in full")
    rc, out, _ = run_pipe([binary, "--db", db, "show", "--all", str(ring["id"])], env)
    check(sum(1 for line in out.split("\n") if line.startswith("occurrence ")) == 543, "--all: every one in full")


def check_scan(binary, fx, env):
    """scan's text summary: the verdicts in colour on a terminal, nothing decorative piped."""
    print("== scan's summary: colour on a terminal, none piped, NO_COLOR and --color")
    scan = [binary, "scan", "--no-db", "--fail-on", "none", fx + "/kunit-kcsan-test.log", fx + "/virtio-blk-console.log"]
    rc, out, err = run_pty(scan, env)
    check(rc == 0, "scan on a terminal exits 0: %d %s" % (rc, err))
    check(re.search(r"\x1b\[1;31mreal-race\x1b\[m", out) is not None, "scan on a terminal: real-race in red")
    check(re.search(r"\x1b\[32mdevice-origin\x1b\[m", out) is not None, "scan on a terminal: device-origin in green")
    rc, piped, _ = run_pipe(scan, env)
    check("\x1b" not in piped and "real-race" in piped, "piped scan has no escape")
    check(visible(out) == piped, "scan on a terminal is the piped text, coloured")
    rc, out, _ = run_pty(scan, base_env(NO_COLOR="1"))
    check("\x1b" not in out, "NO_COLOR: scan without colour on a terminal")
    rc, out, _ = run_pty(scan + ["--color=never"], env)
    check("\x1b" not in out, "--color=never: scan without colour on a terminal")
    rc, always, _ = run_pipe([binary, "--color=always"] + scan[1:], env)
    check(SGR.search(always) is not None and visible(always) == piped, "--color=always piped: the piped text, coloured")


def run_progress(args, env, feed, pause):
    """args with stderr on a terminal, stdin fed from the lines of feed slowly: (rc, stdout, the terminal's bytes)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    out = tempfile.TemporaryFile()
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=out, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    with open(feed, "rb") as f:
        lines = f.readlines()
    step = max(1, len(lines) // 8)
    for i in range(0, len(lines), step):
        p.stdin.write(b"".join(lines[i:i + step]))
        p.stdin.flush()
        time.sleep(pause)
    p.stdin.close()
    tty = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        tty += chunk
    rc = p.wait()
    os.close(master)
    out.seek(0)
    return rc, out.read().decode("utf-8", "replace"), tty.decode("utf-8", "replace")


def check_progress(binary, fx, env):
    """The progress line: on a terminal's stderr while a scan runs, erased at the end; never piped or --quiet."""
    print("== scan's progress line on a terminal's stderr, none piped or with --quiet")
    # big enough for the reader's buffer to fill as it is fed
    log = os.path.join(tempfile.mkdtemp(prefix="kt-progress."), "big.log")
    with open(fx + "/virtio-blk-console.log", "rb") as f:
        text = f.read()
    with open(log, "wb") as f:
        f.write(text * max(1, (4 << 20) // len(text)))
    scan = [binary, "scan", "--no-db", "--fail-on", "none"]
    rc, out, tty = run_progress(scan, env, log, 0.15)
    draws = re.findall(r"\rscan: (\d+)/1 file, [0-9.]+ MiB, (\d+) reports?, \d+/s[^\r\x1b]*\x1b\[K", tty)
    check(rc == 0, "scan with a progress line exits 0: %d" % rc)
    check(len(draws) >= 3, "the progress line is drawn as the scan goes: %r" % tty[:300])
    check(len(draws) <= 40, "at most ~10 redraws a second: %d" % len(draws))
    check(draws and int(draws[-1][1]) > 0, "it counts the reports: %r" % draws[-1:])
    check(tty.endswith("\r\x1b[K"), "it is erased at the end: %r" % tty[-40:])
    with open(log, "rb") as f:
        p = subprocess.run(scan, stdin=f, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    piped, err = p.stdout.decode(), p.stderr.decode()
    check(out == piped, "stdout is the same with the progress line")
    check(err == "" and "\r" not in err, "no progress line when stderr is a pipe: %r" % err[:200])
    rc, out, tty = run_progress([binary, "--quiet"] + scan[1:], env, log, 0.05)
    check("scan:" not in tty and tty == "", "--quiet: no progress line: %r" % tty[:200])
    shutil.rmtree(os.path.dirname(log))


if __name__ == "__main__":
    sys.exit(main())
