#!/usr/bin/env bash
# A large log read ahead on a second thread (KCSAN_TRIAGE_READ_AHEAD=on)
# gives what reading it on one thread (off) gives: every report, line
# number, offset, warning and exit status, over generated logs whose
# reports, anchors, long lines and line ends fall on and around the
# 128 KiB chunks' boundaries, or in every chunk (where the read-ahead
# gives up); the kernel's logs; stdin (a pipe, and a file not at its
# start); compressed input; a bad value of the variable.  (A file cut
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
# a report in every chunk, for more chunks than the read-ahead tries before it gives up
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

for f in "$TMP"/*.log; do
	n=$(basename "$f" .log)
	both "$f" "$n.log, json" --format json
	both "$f" "$n.log, text"
done
# (the generated logs hold what they should: every report placed)
KCSAN_TRIAGE_READ_AHEAD=on "$BIN" scan --no-db --format json "$TMP/kcsan.log" >"$TMP/j" 2>/dev/null
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["reports"]))' "$TMP/j" 2>/dev/null)
if [ "${n:-0}" -ge 19 ]; then ok; else bad "kcsan.log: $n reports, expected 19 or more"; fi

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
