#!/usr/bin/env python3
"""Transport variants: the same reports, carried differently, must parse the same.

For every base log (fixture files with KCSAN reports), build variants the way
logs reach people -- syslog and journal prefixes, printk levels, /dev/kmsg
records, CRLF, mail quoting at several depths, quoted-printable, base64,
format=flowed and hard mail wrapping, rst indentation, diffs, interleaved
console lines from other CPUs, double spacing, no-break spaces, a reply that
interrupts a quoted report with prose and code -- scan each
with `kcsan-triage scan --no-db --format json`, and compare every parsed
field with the parse of the base.

usage: variants.py BIN BASE... [--only NAME] [-v]
"""
import base64
import html
import os
import quopri
import random
import re
import sys
import tempfile
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ktlib import scan_json  # noqa: E402

FIELDS_REPORT = ("title", "bug_type", "unknown_origin", "kernel")
FIELDS_ACCESS = ("type", "marked", "reordered", "addr", "size", "ctx", "pid", "cpu")


def canon(doc):
    out = []
    for r in doc["reports"]:
        c = {k: r.get(k) for k in FIELDS_REPORT}
        vc = r.get("value_changed")
        c["value_changed"] = [vc["old"], vc["new"]] if vc else None
        # syzbot's block and tag: kept by every transport but those of NO_METADATA (the mail's
        # own headers are the mail's)
        m = r.get("metadata") or {}
        c["syzbot"] = {k: v for k, v in m.items() if k not in ("date", "message_id", "subject")}
        c["accesses"] = []
        for a in r["accesses"]:
            ca = {k: a.get(k) for k in FIELDS_ACCESS}
            ca["frames"] = [f["func"] for f in a["frames"]]
            c["accesses"].append(ca)
        out.append(c)
    return out


def scan(binary, text, tmp, name):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape"))
    doc, err = scan_json(binary, path, timeout=60)
    if err:
        raise RuntimeError(err)
    return canon(doc)


# ---------------------------------------------------------------------------
# the transformations; each takes the list of lines (no newline) and an rng


def strip_prefix(line):
    """The kernel text of a console line, without its printk time."""
    m = re.match(r"^(\[[ 0-9.]+\])(\[ *[TC]\d+\])?\s?", line)
    return line[m.end():] if m else line


def is_log(lines):
    return any(re.match(r"^\[[ 0-9.]+\]", l) for l in lines)


def log_only(fn):
    """A variant of console logs: other texts are kept as they are."""
    def f(lines, rng):
        return fn(lines, rng) if is_log(lines) else list(lines)
    return f


@log_only
def with_time(lines, rng):
    t = 100.0
    out = []
    for l in lines:
        t += rng.random() / 100
        out.append("[%12.6f] %s" % (t, strip_prefix(l)))
    return out


def v_printk(lines, rng):
    return with_time(lines, rng)


WALLCLOCK = re.compile(r"^(\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] ?"   # dmesg -T
                       r"|\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ kernel: "         # syslog
                       r"|\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-][\d:]+)? \S+ kernel: )")  # journal short-iso


def v_timed_text(lines, rng):
    """Any text as a console log: a report without its BUG line is kept all the same.
    (The printk time replaces a wall-clock prefix the base had.)"""
    t = 200.0
    out = []
    for l in lines:
        t += 0.000137
        q = re.match(r"^(\s*(?:[>|] ?)*)", l).group(1)   # a quoted log is quoted before its times
        body = WALLCLOCK.sub("", l[len(q):])
        out.append("%s[%12.6f] %s" % (q, t, strip_prefix(body)))
    return out


@log_only
def v_caller(lines, rng):
    t = 50.0
    out = []
    for l in lines:
        t += 0.001
        out.append("[%12.6f][ T%4d] %s" % (t, 4242, strip_prefix(l)))
    return out


@log_only
def v_caller_glued(lines, rng):
    return ["[%12.6f][T4242] %s" % (50 + i / 1000, strip_prefix(l)) for i, l in enumerate(lines)]


@log_only
def v_dmesg_T(lines, rng):
    return ["[Thu May 28 03:51:%02d 2020] %s" % (i % 60, strip_prefix(l)) for i, l in enumerate(lines)]


@log_only
def v_syslog(lines, rng):
    return ["Nov 21 06:%02d:%02d buildhost kernel: %s" % (i // 60 % 60, i % 60, l)
            for i, l in enumerate(with_time(lines, rng))]


@log_only
def v_journal(lines, rng):
    return ["Nov 21 06:00:%02d buildhost kernel: %s" % (i % 60, strip_prefix(l)) for i, l in enumerate(lines)]


@log_only
def v_iso(lines, rng):
    return ["2026-11-21T06:00:%02d.123456+01:00 buildhost kernel: %s" % (i % 60, strip_prefix(l))
            for i, l in enumerate(lines)]


@log_only
def v_level(lines, rng):
    return ["<4>%s" % l for l in with_time(lines, rng)]


@log_only
def v_kmsg(lines, rng):
    return ["4,%d,%d,-;%s" % (1000 + i, 5000000 + i * 7, strip_prefix(l)) for i, l in enumerate(lines)]


@log_only
def v_dmesg_x(lines, rng):
    return ["kern  :err   : %s" % l for l in with_time(lines, rng)]


def v_crlf(lines, rng):
    return [l + "\r" for l in lines]


def quote(prefix):
    def f(lines, rng):
        return [(prefix + l) if l else prefix.rstrip() for l in lines]
    return f


def v_rst(lines, rng):
    return ["    " + l if l else "" for l in lines]


def v_tab(lines, rng):
    return ["\t" + l if l else "" for l in lines]


def v_diff(lines, rng):
    return ["+" + ("    " + l if l else "") for l in lines]


def v_markdown(lines, rng):
    return ["```"] + lines + ["```"]


def v_pipe(lines, rng):
    return ["  | " + l for l in lines]


def v_prose(lines, rng):
    return (["Hi all,", "", "we keep hitting this on our CI:", ""] + lines +
            ["", "Any idea? The full log is attached.", "", "Thanks,", "A. Tester"])


def v_double(lines, rng):
    out = []
    for l in lines:
        out += [l, ""]
    return out


@log_only
def v_noise(lines, rng):
    noise = ["usbcore: registered new interface driver usbfs",
             "random: crng init done",
             "EXT4-fs (vda): mounted filesystem with ordered data mode",
             "systemd[1]: Started Journal Service.",
             "audit: type=1400 audit(1.2:3): apparmor=\"STATUS\""]
    out = []
    timed = with_time(lines, rng)
    for l in timed:
        out.append(l)
        if rng.random() < 0.25:
            out.append("[%12.6f] %s" % (99.0, rng.choice(noise)))
    return out


@log_only
def v_nbsp(lines, rng):
    return [l.replace("[ ", "[\u00a0").replace("]  ", "]\u00a0 ") for l in with_time(lines, rng)]


def wrap_lines(lines, width, cont_prefix=""):
    out = []
    for l in lines:
        if len(l) <= width:
            out.append(l)
            continue
        w = textwrap.wrap(l, width=width, break_long_words=False, break_on_hyphens=False,
                          drop_whitespace=True)
        out.append(w[0])
        out += [cont_prefix + x for x in w[1:]]
    return out


def v_wrap72(lines, rng):
    return wrap_lines(with_time(lines, rng), 72)


def v_wrap78_quoted(lines, rng):
    q = ["> " + l for l in with_time(lines, rng)]
    return wrap_lines(q, 78, cont_prefix="> ")


def v_flowed(lines, rng):
    # format=flowed: soft breaks are a trailing space, the next line continues
    out = []
    for l in with_time(lines, rng):
        if len(l) <= 72:
            out.append(l)
            continue
        w = textwrap.wrap(l, width=72, break_long_words=False, break_on_hyphens=False)
        out += [x + " " for x in w[:-1]] + [w[-1]]
    return out


def encode_qp(text):
    return quopri.encodestring(text.encode("utf-8", "surrogateescape")).decode("ascii")


def v_qp(lines, rng):
    body = "\n".join(quote("> ")(with_time(lines, rng), rng)) + "\n"
    return ("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
            + encode_qp(body)).split("\n")


def v_qp_noheader(lines, rng):
    body = "\n".join(quote(">> ")(with_time(lines, rng), rng)) + "\n"
    return ("On Mon, someone wrote:\n>=20\n" + encode_qp(body)).split("\n")


def v_base64(lines, rng):
    body = ("\n".join(quote("> ")(with_time(lines, rng), rng)) + "\n").encode("utf-8", "surrogateescape")
    b = base64.encodebytes(body).decode("ascii")
    return ("Content-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: base64\n\n" + b).split("\n")


def v_base64_bare(lines, rng):
    body = ("\n".join(with_time(lines, rng)) + "\n").encode("utf-8", "surrogateescape")
    return base64.encodebytes(body).decode("ascii").split("\n")


def v_mbox(lines, rng):
    head = ["From dev@example.org Mon Nov 21 06:00:00 2026",
            "From: A Developer <dev@example.org>",
            "Subject: Re: [PATCH] fix a race",
            "Date: Mon, 21 Nov 2026 06:00:00 +0000",
            "Content-Type: text/plain; charset=us-ascii",
            "",
            "On Sun, Nov 20, 2026 at 10:00 AM Other <o@example.org> wrote:"]
    return head + quote("> ")(with_time(lines, rng), rng) + ["", "I see the same here.", ""]


@log_only
def v_lava(lines, rng):
    out = []
    for i, l in enumerate(with_time(lines, rng)):
        msg = l.replace("\\", "\\\\").replace('"', '\\"')
        out.append('- {"dt": "2026-11-21T06:00:%02d.%06d", "lvl": "target", "msg": "%s"}' % (i % 60, i, msg))
    return out


@log_only
def v_dmesg_H(lines, rng):
    out = []
    for i, l in enumerate(lines):
        out.append(("[Nov21 06:11] " if i == 0 else "[  +0.%06d] " % (i * 7)) + strip_prefix(l))
    return out


@log_only
def v_delta(lines, rng):
    return ["[<%12.6f>] %s" % (i / 1000, strip_prefix(l)) for i, l in enumerate(lines)]


@log_only
def v_ci_clock(lines, rng):
    return ["06:%02d:%02d.%03d %s" % (i // 60 % 60, i % 60, i % 1000, l) for i, l in enumerate(with_time(lines, rng))]


def v_html(lines, rng):
    return [html.escape("> " + l if l else ">", quote=False) for l in with_time(lines, rng)]


INTERJECTION = [
    "",
    "This is the access that matters; the code around it reads:",
    "",
    "\tspin_lock_irqsave(&port->lock, flags);",
    "\tif (--port->count < 0) {",
    "\t\tpr_warn(\"%s: bad port count (%d)\\n\", __func__, port->count);",
    "\t\tport->count = 0;",
    "\t}",
    "\tspin_unlock_irqrestore(&port->lock, flags);",
    "",
    "so the store is under the lock, but the load below is not. We looked at",
    "every caller of this helper, and none of them takes the lock first; the",
    "rest of the report, unchanged:",
    "",
]


def v_interjected(lines, rng):
    """A reply that quotes a report's first access, explains it with prose and
    code (unquoted), then quotes the rest."""
    acc = re.compile(r"(read|write|read-write|assert no \w+)( \([a-z, ]+\))? to \S+ of \d+ bytes by ")
    q = quote("> ")(lines, rng)
    first = next((i for i, l in enumerate(lines) if acc.search(l)), None)
    if first is None:
        return q
    end = next((i for i in range(first + 1, len(lines)) if not strip_prefix(lines[i]).strip()), None)
    if end is None:
        return q
    return q[:end] + INTERJECTION + q[end:]


def v_combo(lines, rng):
    return v_qp(v_noise(lines, rng), rng)


# Transports that put something before syzbot's block lines other than mail quoting ("> ",
# "| "): an indent, a diff's "+", a printk time (a console log never carries the block).
# The block is read at the start of a line only; these variants are compared without it.
NO_METADATA = {"rst", "tab", "diff", "pipe", "timed-text", "wrap72", "wrap78-quoted", "flowed", "html"}


def without_metadata(reports):
    return [{k: v for k, v in r.items() if k != "syzbot"} for r in reports]


VARIANTS = {
    "printk": v_printk, "caller": v_caller, "caller-glued": v_caller_glued, "dmesg-T": v_dmesg_T,
    "syslog": v_syslog, "journal": v_journal, "iso": v_iso, "level": v_level, "kmsg": v_kmsg,
    "dmesg-x": v_dmesg_x, "crlf": v_crlf, "quote1": quote("> "), "quote2": quote(">> "),
    "quote3": quote("> > > "), "quote-nospace": quote(">>>"), "rst": v_rst, "tab": v_tab,
    "diff": v_diff, "markdown": v_markdown, "pipe": v_pipe, "prose": v_prose, "double": v_double,
    "noise": v_noise, "nbsp": v_nbsp, "wrap72": v_wrap72, "wrap78-quoted": v_wrap78_quoted,
    "flowed": v_flowed, "qp": v_qp, "qp-noheader": v_qp_noheader, "base64": v_base64,
    "base64-bare": v_base64_bare, "mbox": v_mbox, "combo": v_combo, "lava": v_lava,
    "dmesg-H": v_dmesg_H, "delta": v_delta, "ci-clock": v_ci_clock, "html": v_html,
    "interjected": v_interjected, "timed-text": v_timed_text,
}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    verbose = "-v" in sys.argv
    only = None
    if "--only" in sys.argv:
        only = sys.argv[sys.argv.index("--only") + 1]
        args.remove(only)
    binary, bases = args[0], args[1:]
    rng = random.Random(20261121)
    failed = total = 0
    with tempfile.TemporaryDirectory(prefix="kt-variants.") as tmp:
        for base in bases:
            text = open(base, encoding="utf-8", errors="surrogateescape").read()
            lines = [l.rstrip("\r") for l in text.split("\n")]
            want = scan(binary, "\n".join(lines), tmp, "base.log")
            for name, fn in sorted(VARIANTS.items()):
                if only and name != only:
                    continue
                total += 1
                got = scan(binary, "\n".join(fn(list(lines), rng)), tmp, name + ".log")
                w = want
                if name in NO_METADATA:
                    got, w = without_metadata(got), without_metadata(want)
                if got != w:
                    failed += 1
                    print("FAIL %s / %s" % (os.path.basename(base), name))
                    if verbose:
                        for i, (wr, g) in enumerate(zip(w, got)):
                            for k in wr:
                                if wr[k] != g.get(k):
                                    print("   report %d %s: want %r" % (i, k, wr[k]))
                                    print("   report %d %s:  got %r" % (i, k, g.get(k)))
                        if len(w) != len(got):
                            print("   %d reports wanted, %d found" % (len(w), len(got)))
    print("variants: %d/%d parse the same as their base" % (total - failed, total))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
