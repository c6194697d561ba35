#!/usr/bin/env python3
"""Make a large mbox for the scan benchmark's mail rows: threads about KCSAN
reports, as a mailing list archive holds them.

usage: mkmail.py OUT SIZE_MB [--qp] [--every N] [LOG...]

Most threads are patches and their review: a commit message, a diff (hunks
of this tree's C sources), replies that quote it with "> " and nested
"> > ", comments, tags, signatures.  One thread in N (default 40) is about
a KCSAN report: it starts with a report mail (a syzbot-style one, or a
report pasted from a console log, timestamps kept) and its replies quote
the report (whole, or its head and "[...]") and may carry a patch.  The
reports are the real ones of the fixture logs and of the LOG files given
(console logs).  With
--qp every body is quoted-printable (76-column soft breaks, =3D, =20, and
UTF-8 names and punctuation as =C3=BC and =E2=80=99), as many mailers send
it.  A pool of threads is made once, then written again and again with new
message ids and dates until the file has SIZE_MB MiB."""
import os
import quopri
import random
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(here, "..", "fixtures")
PREFIX = re.compile(r"^\[ *\d+\.\d+\](\[ *[TC]\d+\])? ?")

PEOPLE = ["Marco Elver <elver@google.com>", "Paul E. McKenney <paulmck@kernel.org>",
          "Dmitry Vyukov <dvyukov@google.com>", "Jürgen Groß <jgross@suse.com>",
          "Christian König <christian.koenig@amd.com>", "Eric Dumazet <edumazet@google.com>",
          "Peter Zijlstra <peterz@infradead.org>", "Jakub Kicinski <kuba@kernel.org>",
          "Michael S. Tsirkin <mst@redhat.com>", "Jason Wang <jasowang@redhat.com>",
          "Stefan Hajnoczi <stefanha@redhat.com>", "Uwe Kleine-König <u.kleine-koenig@pengutronix.de>"]
LISTS = ["linux-kernel@vger.kernel.org", "netdev@vger.kernel.org", "virtualization@lists.linux.dev",
         "kasan-dev@googlegroups.com", "linux-fsdevel@vger.kernel.org"]
PROSE = [
    "This looks like a benign data race to me: the reader only uses the value as a hint.",
    "The write side holds the lock, but the read in the fast path does not take it.",
    "Could we annotate this with READ_ONCE()/WRITE_ONCE() instead of data_race()?",
    "I think the race is real, the compiler is free to tear the load on some architectures.",
    "Thanks for the report. I'll take a look at it later this week.",
    "read_lock() would not help here, the writer is an interrupt handler.",
    "Is there a reproducer? I could not trigger it with the syzkaller config you posted.",
    "The value is written by the device, so there is no CPU-side writer to pair with.",
    "write_seqcount_begin() is what the other users of this structure do; let's do the same.",
    "Agreed that this is a false positive from KCSAN's point of view \u2014 the memory is DMA'd.",
    "As far as I can see, the only writer is the completion path, and it runs on one CPU.",
    "assert_spin_locked() in the helper would have caught this earlier.",
    "The loop re-reads the index anyway, so a stale value only costs one more iteration.",
    "This patch fixes it for me; the report is gone after 24 hours of fuzzing.",
    "I\u2019d rather not add another barrier in this path; it is hot for small packets.",
    "Reviewed-by and Tested-by tags would be welcome, the fix is in my tree = queued.",
    "Note the 'value changed' line: only the low bit flips, which is the flag we test.",
    "Let me know if you want me to send a v2 with the commit message reworded.",
]
SIGS = ["Thanks,\nMarco", "-- \nPaul", "Cheers,\nEric", "Regards,\nJason", "--\nPeter",
        "Best regards,\nJ\u00fcrgen"]


def reports_of(path):
    """The reports of a log: from their ==== line to the next, at most 60 lines."""
    lines = [l.rstrip("\r\n") for l in open(path, errors="replace")]
    out = []
    for i, l in enumerate(lines):
        if "BUG: KCSAN:" not in l:
            continue
        start = i - 1 if i and "=====" in lines[i - 1] else i
        block = lines[start:i + 1]
        for l2 in lines[i + 1:i + 60]:
            if "BUG: KCSAN:" in l2:
                block = None
                break
            block.append(l2)
            if "=====" in l2:
                break
        if block and len(block) > 8:
            out.append(block)
    return out


def load_reports(extra):
    paths = [os.path.join(fixtures, f) for f in sorted(os.listdir(fixtures)) if f.endswith(".log")]
    paths.append(os.path.join(fixtures, "formats", "syzbot-email.txt"))
    seen, reps = set(), []
    for p in paths + extra:
        for block in reports_of(p):
            key = "\n".join(PREFIX.sub("", l) for l in block)
            if key not in seen:
                seen.add(key)
                reps.append(block)
    return reps


def title_of(block):
    for l in block:
        m = re.search(r"BUG: KCSAN: (.*)", l)
        if m:
            return m.group(1)
    return "data-race"


def paragraph(rng):
    return "\n".join(wrap(" ".join(rng.choice(PROSE) for _ in range(rng.randint(1, 4))), 72))


def wrap(text, width):
    out, line = [], ""
    for w in text.split(" "):
        if line and len(line) + 1 + len(w) > width:
            out.append(line)
            line = w
        else:
            line = line + " " + w if line else w
    return out + [line]


def patch(rng, func):
    f = rng.choice(["drivers/virtio/virtio_ring.c", "net/core/dev.c", "fs/pipe.c", "kernel/rcu/tree.c"])
    ctx = ["\tstruct vring_virtqueue *vq = to_vvq(_vq);", "\tvoid *ret;", "\tunsigned int i;", "",
           "\tif (unlikely(vq->broken))", "\t\treturn NULL;"]
    return "\n".join([
        "---", " %s | 2 +-" % f, " 1 file changed, 1 insertion(+), 1 deletion(-)", "",
        "diff --git a/%s b/%s" % (f, f), "index 1234567..89abcde 100644", "--- a/" + f, "+++ b/" + f,
        "@@ -812,7 +812,7 @@ static void *%s(struct virtqueue *_vq," % func.split("+")[0]] +
        [" " + c for c in ctx[:3]] +
        ["-\tlast_used = (vq->last_used_idx & (vq->split.vring.num - 1));",
         "+\tlast_used = (READ_ONCE(vq->last_used_idx) & (vq->split.vring.num - 1));"] +
        [" " + c for c in ctx[3:]] + ["-- ", "2.43.0"])


def report_mail(rng, block):
    strip = rng.random() < 0.5
    body = [PREFIX.sub("", l) if strip else l for l in block]
    if strip:
        intro = ["Hello,", "", "syzbot found the following issue on:", "",
                 "HEAD commit:    0123456789ab Merge tag 'net-6.8-rc2' of git://git.kernel.org/pub/scm/linux",
                 "git tree:       upstream", "console output: https://syzkaller.appspot.com/x/log.txt?x=1",
                 "dashboard link: https://syzkaller.appspot.com/bug?extid=0123456789abcdef", "",
                 "IMPORTANT: if you fix the issue, please add the following tag to the commit:",
                 "Reported-by: syzbot+0123456789abcdef@syzkaller.appspotmail.com", ""]
        outro = ["", "", "---", "This report is generated by a bot. It may contain errors.",
                 "See https://goo.gl/tpsmEJ for more information about syzbot."]
        return "syzbot <syzbot+0123456789abcdef@syzkaller.appspotmail.com>", intro + body + outro
    return rng.choice(PEOPLE), [paragraph(rng), "", "The console log says:", ""] + body + ["", paragraph(rng)]


def quote(lines):
    return ["> " + l if l else ">" for l in lines]


def reply_body(rng, parent_from, parent_body, func):
    head = ["On Mon, %d Jan 2024 at %02d:%02d, %s wrote:" % (rng.randint(1, 28), rng.randint(0, 23),
                                                                  rng.randint(0, 59), parent_from.split(" <")[0])]
    body = parent_body
    if rng.random() < 0.4:
        # the head of what is quoted, then an elision
        body = parent_body[:rng.randint(6, 14)] + ["[...]"]
    out = head + quote(body) + [""]
    for _ in range(rng.randint(1, 3)):
        out += [paragraph(rng), ""]
    if rng.random() < 0.3:
        out += [patch(rng, func), ""]
    out.append(rng.choice(SIGS))
    return out


def thread(rng, block, n):
    subject = "[syzbot] KCSAN: " + title_of(block)
    who, body = report_mail(rng, block)
    func = re.sub(r"^.* in ", "", title_of(block)).split(" ")[0]
    mails = [(who, subject, "\n".join(body))]
    parent_from, parent_body = who, "\n".join(body).split("\n")
    for _ in range(rng.randint(2, 5)):
        me = rng.choice(PEOPLE)
        rb = reply_body(rng, parent_from, parent_body, func)
        mails.append((me, "Re: " + subject, "\n".join(rb)))
        parent_from, parent_body = me, rb
    return mails


PATCH_PROSE = [
    "The reference is dropped before the last use of the object, so a concurrent release can free it.",
    "Move the check under the lock, as the other callers already do.",
    "No functional change intended; this only makes the error path easier to follow.",
    "The buffer is sized for the common case and grown on demand; the old code leaked it on failure.",
    "This was found by code inspection while looking at a related crash report.",
    "Use the helper instead of open-coding the loop, and drop the now unused variable.",
    "Callers are converted in the following patches of this series.",
    "The timeout was too short on slow machines, which made the test flaky in CI.",
    "Since the list is only modified under the mutex, the iteration needs no RCU protection.",
    "Return -EINVAL early instead of silently truncating the request.",
]
SUBSYS = ["net: ", "mm: ", "fs: ", "virtio: ", "rcu: ", "sched: ", "block: ", "drm/amdgpu: ", "ext4: ", "kcsan: "]
TAGS = ["Reviewed-by: ", "Acked-by: ", "Tested-by: "]


def c_sources():
    src = os.path.join(here, "..", "src")
    out = []
    for f in sorted(os.listdir(src)):
        if f.endswith(".c"):
            out.append(("src/" + f, [l.rstrip("\n") for l in open(os.path.join(src, f), errors="replace")]))
    return out


def code_diff(rng, sources):
    f, lines = rng.choice(sources)
    out = ["---", " %s | %d +++---" % (f, 6), " 1 file changed", "", "diff --git a/%s b/%s" % (f, f),
           "index %07x..%07x 100644" % (rng.getrandbits(28), rng.getrandbits(28)), "--- a/" + f, "+++ b/" + f]
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(max(1, len(lines) - 30))
        hunk = lines[at:at + rng.randint(8, 30)]
        out.append("@@ -%d,%d +%d,%d @@" % (at + 1, len(hunk), at + 1, len(hunk)))
        for l in hunk:
            r = rng.random()
            out.append(("-" if r < 0.1 else "+" if r < 0.2 else " ") + l)
    return out + ["-- ", "2.43.0"]


def patch_thread(rng, sources):
    subject = "[PATCH%s] %s%s" % (rng.choice(["", " v2", " v3", " net"]), rng.choice(SUBSYS),
                                  rng.choice(PATCH_PROSE).lower().rstrip(".")[:60])
    who = rng.choice(PEOPLE)
    body = []
    for _ in range(rng.randint(1, 3)):
        body += wrap(" ".join(rng.choice(PATCH_PROSE) for _ in range(rng.randint(1, 3))), 72) + [""]
    body += ["Signed-off-by: " + who] + code_diff(rng, sources)
    mails = [(who, subject, "\n".join(body))]
    parent_from, parent_body = who, body
    for _ in range(rng.randint(1, 4)):
        me = rng.choice(PEOPLE)
        head = ["On Mon, %d Jan 2024 at %02d:%02d, %s wrote:" % (rng.randint(1, 28), rng.randint(0, 23),
                                                                      rng.randint(0, 59), parent_from.split(" <")[0])]
        quoted = parent_body if rng.random() < 0.5 else parent_body[:rng.randint(5, 40)] + ["[...]"]
        rb = head + quote(quoted) + [""] + wrap(rng.choice(PATCH_PROSE), 72) + [""]
        if rng.random() < 0.5:
            rb += [rng.choice(TAGS) + me, ""]
        rb.append(rng.choice(SIGS))
        mails.append((me, "Re: " + subject, "\n".join(rb)))
        parent_from, parent_body = me, rb
    return mails


def headers(who, subject, date, msgid, parent, qp):
    h = ["From %s %s" % (who.split("<")[1].rstrip(">"), date), "From: " + who,
         "To: " + LISTS[hash(subject) % len(LISTS)], "Cc: " + ", ".join(PEOPLE[:2]),
         "Subject: " + subject, "Date: " + date, "Message-ID: <%s@example.org>" % msgid]
    if parent:
        h += ["In-Reply-To: <%s@example.org>" % parent, "References: <%s@example.org>" % parent]
    h += ["MIME-Version: 1.0", 'Content-Type: text/plain; charset="UTF-8"',
          "Content-Transfer-Encoding: " + ("quoted-printable" if qp else "8bit"), ""]
    return "\n".join(h) + "\n"


def encode(body, qp):
    data = body.encode("utf-8")
    if qp:
        return quopri.encodestring(data).decode("ascii").replace("\r\n", "\n")
    return body


def main():
    argv = sys.argv[1:]
    every = 40
    if "--every" in argv:
        k = argv.index("--every")
        every = int(argv[k + 1])
        del argv[k:k + 2]
    qp = "--qp" in argv
    args = [a for a in argv if not a.startswith("--")]
    out, size_mb, extra = args[0], int(args[1]), args[2:]
    rng = random.Random(7)
    reps = load_reports(extra)
    sources = c_sources()
    # a pool of threads, bodies encoded once
    pool = []
    for i in range(4000):
        t = thread(rng, reps[(i // every) % len(reps)], i) if i % every == 0 else patch_thread(rng, sources)
        pool.append([(w, s, encode(b, qp)) for w, s, b in t])
    target = size_mb << 20
    size, n = 0, 0
    with open(out, "w") as f:
        while size < target:
            t = pool[n % len(pool)]
            buf = []
            for k, (who, subject, body) in enumerate(t):
                date = "Mon Jan %2d %02d:%02d:%02d 2024" % (1 + n % 28, n % 24, k, n % 60)
                buf.append(headers(who, subject, date, "t%d.m%d" % (n, k), "t%d.m%d" % (n, k - 1) if k else None, qp))
                buf.append(body if body.endswith("\n") else body + "\n")
                buf.append("\n")
            s = "".join(buf)
            f.write(s)
            size += len(s.encode("utf-8")) if not qp else len(s)
            n += 1


if __name__ == "__main__":
    main()
