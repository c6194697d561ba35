#!/usr/bin/env bash
# A large log read ahead on a second thread (KCSAN_TRIAGE_READ_AHEAD=on)
# gives what reading it on one thread (off) gives: every report, line
# number, offset, warning and exit status, over generated logs whose
# reports, anchors, long lines and line ends fall on and around the
# 128 KiB chunks' boundaries, or in every chunk; mail in every encoding
# (text mode), with the lines that change the reading on the boundaries;
# the kernel's logs; stdin (a pipe, and a file not at its start);
# compressed input; a bad value of the variable.  (A file cut
# short while read, and the other thread stopped: tests/unit/test_input_ahead.c.)
#
#   tests/read_ahead.sh
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh ahead

# both FILE WHAT [ARGS]: the scan on and off, stdout, stderr and status compared
both() {
	local f=$1 what=$2
	shift 2
	for m in on off; do
		KCSAN_TRIAGE_READ_AHEAD=$m "$BIN" scan --no-db "$@" "$f" >"$TMP/$m.out" 2>"$TMP/$m.err"
		echo "rc=$?" >>"$TMP/$m.err"
	done
	if cmp -s "$TMP/on.out" "$TMP/off.out" && cmp -s "$TMP/on.err" "$TMP/off.err"; then
		ok
	else
		bad "$what: read ahead and not differ"
		diff "$TMP/off.out" "$TMP/on.out" | head -6
		diff "$TMP/off.err" "$TMP/on.err" | head -6
	fi
}

# The generated logs: console noise with the fixture's reports placed so that
# an anchor ("KCSAN", "bytes by", "on cpu") or a report's first line begins
# SHIFT bytes from a chunk's boundary, for shifts around it.
python3 - "$TMP" fixtures/virtio-blk-console.log <<'EOF'
import sys
out, src = sys.argv[1], sys.argv[2]
CH = 128 * 1024
lines = open(src, "rb").read().split(b"\n")
reports, cur = [], None
for ln in lines:
    if b"BUG: KCSAN" in ln:
        cur = [ln]
        reports.append(cur)
    elif cur is not None:
        cur.append(ln)
        if b"=====" in ln:
            cur = None
noise = b"[  %d.%06d] virtio_net virtio0 eth0: some ordinary console line %d\n"

def build(name, shifts, anchor_word=b"KCSAN", crlf=False, extra=None, every=3):
    b = bytearray()
    t = 0
    for k, shift in enumerate(shifts):
        target = (every * k + 2) * CH + shift
        while len(b) < target - 400:
            b += noise % (t // 1000000, t % 1000000, t)
            t += 12345
        rep = reports[k % len(reports)]
        first = b"\n".join(rep[:1]) + b"\n"
        at = first.find(anchor_word)
        pad = target - len(b) - at
        if pad > 0:
            b += b"[    1.000000] " + b"x" * max(0, pad - 16) + b"\n"
        body = b"\n".join(rep) + b"\n"
        if crlf:
            body = body.replace(b"\n", b"\r\n")
        b += body
        if extra:
            b += extra(k)
    while len(b) < (every * len(shifts) + 3) * CH:
        b += noise % (t // 1000000, t % 1000000, t)
        t += 12345
    open("%s/%s.log" % (out, name), "wb").write(bytes(b))

shifts = list(range(-9, 10))
build("kcsan", shifts)
# a report in every chunk, for many chunks
build("dense", [(k % 19) - 9 for k in range(90)], every=1)
build("crlf", shifts, crlf=True)
# a report whose BUG line is missing: its access line's "bytes by" and "on cpu" on the boundary
def headless(word):
    global reports
    saved = reports
    reports = [r[2:] for r in saved if len(r) > 3]
    build("headless-" + word.decode().replace(" ", "_"), shifts, anchor_word=word)
    reports = saved
headless(b"bytes by")
headless(b"on cpu")
# long lines: a chunk without a newline, a line over 1 MiB, between reports
build("long", [0, 5, -3, 40], extra=lambda k: b"[    2.000000] " + b"y" * (300000 if k % 2 else 1200000) + b"\n")
# the file's size a multiple of the chunk, its last line without a newline
b = open("%s/kcsan.log" % out, "rb").read()
open("%s/exact.log" % out, "wb").write(b[: (len(b) // CH) * CH])
open("%s/nonl.log" % out, "wb").write(b.rstrip(b"\n"))
EOF

# Mail (text mode, where the other thread finds the lines to look at): an
# mbox of messages in 8bit, quoted-printable and base64, each with a report
# (quoted, encoded, cut by soft breaks) and the lines that change the
# reading (From , Content-Transfer-Encoding:, a folded Subject:, syzbot's
# block, "=3D", "=20", a soft break before a report's first line), placed
# so that one begins SHIFT bytes from each chunk's boundary.
python3 - "$TMP" fixtures/virtio-blk-console.log <<'EOF2'
import base64, quopri, re, sys
out, src = sys.argv[1], sys.argv[2]
CH = 128 * 1024
text = open(src, "rb").read().decode("utf-8", "replace")
reps, cur = [], None
for ln in text.split("\n"):
    ln = re.sub(r"^\[ *[0-9.]+\] ", "", ln)
    if "BUG: KCSAN" in ln:
        cur = [ln]
        reps.append(cur)
    elif cur is not None:
        cur.append(ln)
        if "=====" in ln:
            cur = None
reps = ["\n".join(r) + "\n" for r in reps]
para = ("The used index is written by the device =E2=80=94 x =3D y, see commit 0123abc.\n"
        "> A quoted line of the discussion, with a trailing blank=20\n"
        "An ordinary sentence of the reply that wraps at the usual width of mail ab=\n"
        "cd and goes on.\n\n")
blocks = [
    "=\nBUG: KCSAN: data-race in soft_break_a / soft_break_b\n",
    "=42UG: KCSAN: data-race in encoded_a / encoded_b\n",
    "> HEAD commit:    0123456789ab Merge tag 'x'\n",
    "> =20\n",
    "=3D=3D=3D=3D=3D=3D=3D=3D=3D=3D=3D=3D=3D=3D=3D=3D=3D=3D=3D=3D=3D=3D=3D=\n=3D=3D\n",
    "Subject: Re: [PATCH] folded\n  on a second line\n",
    "Content-Transfer-Encoding: quoted-printable\n",
    "From x@example.org Mon Jan  1 00:00:00 2024\n",
]
def message(k, enc):
    rep = reps[k % len(reps)]
    h = ("From dev%d@example.org Mon Jan  1 00:%02d:00 2024\nFrom: Dev <dev%d@example.org>\n"
         "Subject: Re: KCSAN: data-race %d\n  (folded)\nDate: Mon, 1 Jan 2024 00:%02d:00 +0000\n"
         "Message-ID: <m%d@example.org>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
         % (k, k % 60, k, k, k % 60, k))
    body = "Hello,\n\n> HEAD commit:    0123456789ab Merge\n> git tree:       upstream\n\n"
    if enc == "qp":
        b = quopri.encodestring((body + rep).encode()).decode()
        return h + "Content-Transfer-Encoding: quoted-printable\n\n" + b + para
    if enc == "b64":
        b = base64.encodebytes((body + rep).encode()).decode()
        return h + "Content-Transfer-Encoding: base64\n\n" + b + "\n"
    q = "".join("> " + l + "\n" for l in rep.split("\n")[:-1])
    return h + "Content-Transfer-Encoding: 8bit\n\n" + body + q + para

b, k, chunk = "", 0, 1
encs = ["qp", "plain", "qp", "b64"]
while chunk < 60:
    target = chunk * CH + ((chunk * 7) % 19) - 9
    m = message(k, encs[k % 4])
    if len(b.encode()) + len(m.encode()) < target - 200:
        b += m
        k += 1
        continue
    # filler up to the boundary, then the special line
    fill = target - len(b.encode())
    while fill > 80:
        b += "> " + "f" * 70 + "\n"
        fill -= 73
    b += "x" * max(0, fill - 1) + "\n"
    b += blocks[chunk % len(blocks)] + para
    chunk += 1
open("%s/mail.mbox" % out, "wb").write(b.encode())
EOF2
for f in "$TMP"/*.log "$TMP/mail.mbox"; do
	n=$(basename "$f")
	n=${n%.log}
	both "$f" "$n.log, json" --format json
	both "$f" "$n.log, text"
done
# (the generated files hold what they should: every report placed)
KCSAN_TRIAGE_READ_AHEAD=on "$BIN" scan --no-db --format json "$TMP/mail.mbox" >"$TMP/j" 2>/dev/null
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["reports"]))' "$TMP/j" 2>/dev/null)
if [ "${n:-0}" -ge 100 ]; then ok; else bad "mail.mbox: $n reports, expected 100 or more"; fi
KCSAN_TRIAGE_READ_AHEAD=on "$BIN" scan --no-db --format json "$TMP/kcsan.log" >"$TMP/j" 2>/dev/null
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["reports"]))' "$TMP/j" 2>/dev/null)
if [ "${n:-0}" -ge 19 ]; then ok; else bad "kcsan.log: $n reports, expected 19 or more"; fi

# Quoted-printable without a Content-Transfer-Encoding: header: a plain
# reader decodes from the first line that shows the encoding ("=3D") until
# the next message, and the encoded bytes after it that change nothing
# ("=3D", "=20", UTF-8) are passed over.  A report whose lines all begin
# with an encoded byte is found where such lines came before it in its
# message, and only there.
python3 - "$TMP" fixtures/virtio-blk-console.log <<'EOF3'
import quopri, re, sys
out, src = sys.argv[1], sys.argv[2]
lines, rep = open(src, encoding="utf-8", errors="replace").read().split("\n"), []
for ln in lines:
    ln = re.sub(r"^\[ *[0-9.]+\] ", "", ln)
    if "BUG: KCSAN" in ln or rep:
        rep.append(ln)
        if len(rep) > 1 and "=====" in ln:
            break
# every line's first byte encoded: nothing of the report is seen undecoded
enc = "".join(("=%02X" % ord(ln[0]) + quopri.encodestring(ln[1:].encode()).decode().rstrip("\n") if ln else "") + "\n"
              for ln in rep)
b = ""
for k in range(40):
    b += "From dev%d@example.org Mon Jan  1 00:00:00 2024\nSubject: s\n\nHello,\n\n" % k
    for i in range(60):
        if k % 2:
            b += "+\tstruct vring_virtqueue *vq to_vvq(_vq); /* %d */\n>\n> a line\n" % i
        else:
            b += "+\tstruct vring_virtqueue *vq =3D to_vvq(_vq); /* %d =E2=80=94 */\n> =20\n> a line=20\n" % i
    b += enc + "\n"
open("%s/qp-noheader.mbox" % out, "w").write(b)
EOF3
both "$TMP/qp-noheader.mbox" "quoted-printable without its header" --format json
KCSAN_TRIAGE_READ_AHEAD=on "$BIN" scan --no-db --format json "$TMP/qp-noheader.mbox" >"$TMP/j" 2>/dev/null
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["reports"]))' "$TMP/j" 2>/dev/null)
if [ "${n:-0}" = 20 ]; then ok; else bad "qp-noheader.mbox: $n reports, expected 20"; fi

for f in "$SHARED"/kernel/console-*.log; do
	[ -f "$f" ] || continue
	both "$f" "$(basename "$f")" --format json
done

# stdin (a pipe, and a regular file on fd 0 not at its start), and compressed input
for m in on off; do
	cat "$TMP/kcsan.log" | KCSAN_TRIAGE_READ_AHEAD=$m "$BIN" scan --no-db --format json - >"$TMP/pipe-$m" 2>&1
	{ head -c 70000 >/dev/null; KCSAN_TRIAGE_READ_AHEAD=$m "$BIN" scan --no-db --format json -; } \
		<"$TMP/kcsan.log" >"$TMP/fd0-$m" 2>&1
done
if cmp -s "$TMP/pipe-on" "$TMP/pipe-off"; then ok; else bad "a pipe: read ahead and not differ"; fi
if cmp -s "$TMP/fd0-on" "$TMP/fd0-off"; then ok; else bad "fd 0 not at its start: read ahead and not differ"; fi
gzip -c "$TMP/kcsan.log" >"$TMP/kcsan.gz"
both "$TMP/kcsan.gz" "gzip" --format json

# the variable: a bad value is said once and read as auto
KCSAN_TRIAGE_READ_AHEAD=off "$BIN" scan --no-db "$TMP/kcsan.log" "$TMP/crlf.log" >"$TMP/off.out" 2>&1
want=$?
KCSAN_TRIAGE_READ_AHEAD=yes "$BIN" scan --no-db "$TMP/kcsan.log" "$TMP/crlf.log" >"$TMP/on.out" 2>"$TMP/err"
rc=$?
if [ "$rc" = "$want" ] && cmp -s "$TMP/on.out" "$TMP/off.out" && [ "$(grep -c 'KCSAN_TRIAGE_READ_AHEAD: not auto, on or off; auto is used' "$TMP/err")" = 1 ] &&
	[ "$(wc -l <"$TMP/err")" = 1 ]; then ok; else bad "a bad KCSAN_TRIAGE_READ_AHEAD: rc $rc, $(cat "$TMP/err")"; fi

echo "read ahead: $pass passed, $fail failed"
[ "$fail" = 0 ]
