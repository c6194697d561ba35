#!/usr/bin/env bash
# Hostile input against every command, with a memory and a time budget:
# compression bombs given as the vmlinux or as modules, junk, NUL-filled and
# giant-line logs, a 1 GiB line through a pipe, devices and FIFOs where files
# are expected.  Each case checks the exit status, the one line that says
# what happened, and the peak memory (/usr/bin/time): at most 64 MiB beyond
# the size of the vmlinux the command was given.  tests/e2e.sh checks the
# messages of more hostile cases; the memory bound is collected here.
#
#   tests/hostile.sh
#
# Last, the LIMITS section of the man page is checked against the numbers in
# the code.
set -u
cd "$(dirname "$0")/.." || exit 1
BIN=$PWD/kcsan-triage

export LC_ALL=C TZ=UTC
unset KCSAN_TRIAGE_DB KCSAN_TRIAGE_MAX_DECOMPRESSED
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kt-hostile.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export XDG_DATA_HOME=$TMP/xdg

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# Under AddressSanitizer the memory a process maps says nothing about the
# program's own (shadow memory, quarantine): the budgets are not checked.
MEMCHECK=1
grep -q __asan_init "$BIN" && MEMCHECK=0
TIME=/usr/bin/time
[ -x $TIME ] || { echo "   /usr/bin/time missing: memory budgets not checked"; MEMCHECK=0; TIME=; }
MIB=$((1024 * 1024))
BUDGET=$((64 * MIB))

# run SECONDS CMD...: under a time limit; stdout in $TMP/out, stderr in
# $TMP/err (without time's line), the exit status in $rc, the peak RSS in
# $rss (KiB)
run() {
	local limit=$1
	shift
	if [ -n "$TIME" ]; then
		timeout "$limit" $TIME -f 'peak-rss %M' -o "$TMP/rss" "$@" >"$TMP/out" 2>"$TMP/err"
		rc=$?
		rss=$(sed -n 's/^peak-rss //p' "$TMP/rss" 2>/dev/null)
	else
		timeout "$limit" "$@" >"$TMP/out" 2>"$TMP/err"
		rc=$?
	fi
	[ -n "${rss:-}" ] || rss=0
}

expect_rc() {   # expect_rc WANT what
	if [ "$rc" = "$1" ]; then ok
	elif [ "$rc" = 124 ]; then bad "$2: killed at the time limit"
	else bad "$2: exit $rc, expected $1; stderr: $(head -c 400 "$TMP/err")"; fi
}

expect_err() {  # expect_err PATTERN what
	if grep -Eq -- "$1" "$TMP/err"; then ok; else bad "$2: stderr lacks /$1/ (stderr: $(head -c 300 "$TMP/err"))"; fi
}

expect_lines() {   # expect_lines N what: stderr has N lines
	local n
	n=$(wc -l <"$TMP/err")
	if [ "$n" = "$1" ]; then ok; else bad "$2: $n lines on stderr, expected $1: $(head -c 400 "$TMP/err")"; fi
}

# expect_mem BYTES what: the peak RSS was at most BYTES (the vmlinux's size) + 64 MiB
expect_mem() {
	[ $MEMCHECK = 1 ] || return 0
	local limit=$((($1 + BUDGET) / 1024))
	if [ "$rss" -le "$limit" ]; then ok; else bad "$2: peak memory $rss KiB, budget $limit KiB (the vmlinux's size + 64 MiB)"; fi
}

size_of() { stat -c %s "$1"; }
kname() { case $1 in gz) echo gzip ;; zst) echo zstd ;; bz2) echo bzip2 ;; *) echo "$1" ;; esac; }

LOG=fixtures/virtio-rng-console.log     # its frames name the module virtio_blk
gcc -g -O2 -fno-pie -no-pie -o "$TMP/vmlinux" fixtures/elf/a.c fixtures/elf/b.c || { echo "FAIL: gcc"; exit 1; }
gcc -g -O2 -c -o "$TMP/virtio_blk.ko" fixtures/elf/mod.c || { echo "FAIL: gcc"; exit 1; }
VSIZE=$(size_of "$TMP/vmlinux")

# ---------------------------------------------------------------------------
echo "== compression bombs as the vmlinux and as modules"
# bomb KIND IN OUT [N]: IN followed by 128 MiB of zeros, compressed, N (32)
# times over (each copy a stream of its own): 4 GiB once decompressed
bomb() {
	local c
	case $1 in
	xz) c="xz -1 -T1 -c" ;;
	gz) c="gzip -1 -c" ;;
	zst) c="zstd -q -1 -c" ;;
	bz2) c="bzip2 -1 -c" ;;
	esac
	{ cat "$2"; head -c $((128 * MIB)) /dev/zero; } | $c >"$TMP/one.$1" || { bad "$c failed"; return 1; }
	for _ in $(seq "${4:-32}"); do cat "$TMP/one.$1"; done >"$3"
	rm -f "$TMP/one.$1"
}
mkdir -p "$TMP/bomb"
for k in xz zst gz bz2; do
	command -v "$(case $k in gz) echo gzip;; *) kname $k;; esac)" >/dev/null || continue
	v=$TMP/bomb/vmlinux.$k
	bomb $k "$TMP/vmlinux" "$v" || continue
	for cmd in symbolize scan "rules check"; do
		# shellcheck disable=SC2086,SC2046
		run 60 "$BIN" $cmd --vmlinux "$v" $(case $cmd in scan) echo --no-db $LOG;; symbolize) echo $LOG;; esac)
		expect_rc 5 "$cmd --vmlinux a $k bomb: exit 5"
		expect_err "vmlinux\.$k: decompressed data exceeds the ELF's size \($VSIZE bytes\) at byte [0-9]+ of the file \($(kname $k)\)$" \
			"$cmd --vmlinux a $k bomb: one line says so"
		expect_lines 1 "$cmd --vmlinux a $k bomb"
		expect_mem "$VSIZE" "$cmd --vmlinux a $k bomb"
	done
	# the same as a module: a warning, the vmlinux's frames still symbolized
	mkdir -p "$TMP/mods-$k"
	bomb $k "$TMP/virtio_blk.ko" "$TMP/mods-$k/virtio_blk.ko.$k" || continue
	run 60 "$BIN" symbolize --vmlinux "$TMP/vmlinux" --modules "$TMP/mods-$k" $LOG
	expect_err "virtio_blk\.ko\.$k: decompressed data exceeds the ELF's size \($(size_of "$TMP/virtio_blk.ko") bytes\) at byte [0-9]+ of the file \($(kname $k)\)" \
		"symbolize --modules with a $k bomb: says so"
	expect_mem "$VSIZE" "symbolize --modules with a $k bomb"
	run 60 "$BIN" scan --no-db --vmlinux "$TMP/vmlinux" --modules "$TMP/mods-$k" $LOG
	expect_err "warning: .*virtio_blk\.ko\.$k: decompressed data exceeds the ELF's size" "scan --modules with a $k bomb: a warning"
	expect_mem "$VSIZE" "scan --modules with a $k bomb"
	rm -rf "$v" "$TMP/mods-$k"
done

echo "== compressed files that are not an ELF, or a cut-short one"
head -c 100000 /dev/urandom >"$TMP/junk"
printf '\177ELF' >"$TMP/magic-only"
run 20 "$BIN" symbolize --vmlinux "$TMP/vmlinux" $LOG
mv "$TMP/out" "$TMP/plain.out"; mv "$TMP/err" "$TMP/plain.err"
for k in xz zst gz bz2; do
	case $k in xz) c="xz -c" ;; zst) c="zstd -q -c" ;; gz) c="gzip -c" ;; bz2) c="bzip2 -c" ;; esac
	command -v "${c%% *}" >/dev/null || continue
	$c README.md >"$TMP/bomb/text.$k"
	run 20 "$BIN" symbolize --vmlinux "$TMP/bomb/text.$k" $LOG
	expect_rc 5 "a $k-compressed text as the vmlinux: exit 5"
	expect_err "text\.$k: not an ELF file after $(kname $k) decompression$" "a $k-compressed text: says so"
	expect_lines 1 "a $k-compressed text"
	head -c 5000 "$TMP/vmlinux" | $c >"$TMP/bomb/cut.$k"
	run 20 "$BIN" symbolize --vmlinux "$TMP/bomb/cut.$k" $LOG
	expect_rc 5 "a $k-compressed cut-short ELF: exit 5"
	expect_err "cut\.$k: truncated at byte 5000 of $VSIZE \(after $(kname $k) decompression\)$" "a $k-compressed cut-short ELF: says where"
	$c "$TMP/vmlinux" | head -c 3000 >"$TMP/bomb/cutz.$k"
	run 20 "$BIN" symbolize --vmlinux "$TMP/bomb/cutz.$k" $LOG
	expect_rc 5 "a cut-short $k file: exit 5"
	expect_err "cutz\.$k: $(kname $k) data truncated at byte [0-9]+ of the file, after [0-9]+ decompressed bytes$" \
		"a cut-short $k file: says where"
	# a good one gives what the plain file gives
	$c "$TMP/vmlinux" >"$TMP/bomb/good.$k"
	run 20 "$BIN" symbolize --vmlinux "$TMP/bomb/good.$k" $LOG
	sed -i "s|bomb/good\.$k|vmlinux|g" "$TMP/out" "$TMP/err"
	if cmp -s "$TMP/out" "$TMP/plain.out" && cmp -s "$TMP/err" "$TMP/plain.err"; then ok
	else bad "a $k-compressed vmlinux: not what the plain one gives: $(diff "$TMP/plain.err" "$TMP/err" | head -5)"; fi
done

echo "== a compressed ELF: the architecture, the cap, a module's signature"
python3 - "$TMP/vmlinux" "$TMP/arm64" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[18:20] = (183).to_bytes(2, "little")    # EM_AARCH64
open(sys.argv[2], "wb").write(d)
PY
xz -c "$TMP/arm64" >"$TMP/bomb/arm64.xz"
run 20 "$BIN" symbolize --vmlinux "$TMP/bomb/arm64.xz" $LOG
expect_rc 5 "an xz-compressed aarch64 ELF: exit 5"
expect_err "arm64\.xz: an ELF for aarch64 \(64-bit\), not for x86-64" "an xz-compressed aarch64 ELF: says so"
KCSAN_TRIAGE_MAX_DECOMPRESSED=10k run 20 "$BIN" symbolize --vmlinux "$TMP/bomb/good.xz" $LOG
expect_rc 5 "a compressed ELF larger than the cap: exit 5"
expect_err "good\.xz: the ELF declares $VSIZE bytes, more than the cap of 10240 \(\\\$KCSAN_TRIAGE_MAX_DECOMPRESSED\)$" \
	"a compressed ELF larger than the cap: says so"
# a signed module: the signature follows the ELF
mkdir -p "$TMP/signed"
{ cat "$TMP/virtio_blk.ko"; head -c 700 /dev/urandom; printf '\0\0\2\0\0\0\0\0\0\0\2\274~Module signature appended~\n'; } |
	xz -c >"$TMP/signed/virtio_blk.ko.xz"
mkdir -p "$TMP/unsigned"
xz -c "$TMP/virtio_blk.ko" >"$TMP/unsigned/virtio_blk.ko.xz"
run 20 "$BIN" symbolize --vmlinux "$TMP/vmlinux" --modules "$TMP/unsigned" $LOG
mv "$TMP/out" "$TMP/unsigned.out"; mv "$TMP/err" "$TMP/unsigned.err"
run 20 "$BIN" symbolize --vmlinux "$TMP/vmlinux" --modules "$TMP/signed" $LOG
sed -i "s|/signed/|/unsigned/|g" "$TMP/out" "$TMP/err"
if cmp -s "$TMP/out" "$TMP/unsigned.out" && cmp -s "$TMP/err" "$TMP/unsigned.err" && grep -q "virtio_blk.ko.xz does not match" "$TMP/err"
then ok; else bad "a signed module is read as the unsigned one is not: $(diff "$TMP/unsigned.err" "$TMP/err" | head -4)"; fi

# ---------------------------------------------------------------------------
echo "== hostile logs: scan, symbolize, show"
IN=$TMP/in
mkdir -p "$IN"
head -c 20000000 /dev/urandom >"$IN/junk.bin"
head -c 50000000 /dev/zero >"$IN/nul.log"
{ head -c 100000000 /dev/zero | tr '\0' x; echo; cat fixtures/virtio-blk-console.log; } >"$IN/giant.log"
# a stack of 5000 frames with 4 KB names, in a real report
python3 - fixtures/virtio-blk-console.log "$IN/frames.log" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
i = next(n for n, l in enumerate(lines) if "virtqueue_get_buf+" in l)
pre = lines[i].split("virtqueue_get_buf+")[0]
lines[i + 1:i + 1] = [pre + "f" * 4000 + "%d+0x1/0x10" % k for k in range(5000)]
open(sys.argv[2], "w").write("\n".join(lines))
PY
# case NAME SCAN-EXIT MESSAGE: what scan and symbolize say of $IN/NAME
while read -r name want msg; do
	f=$IN/$name
	run 60 "$BIN" scan --no-db "$f"
	expect_rc "$want" "scan $name"
	[ "$msg" = - ] || expect_err "$name:1: $msg" "scan $name: says so"
	expect_mem 0 "scan $name"
	run 60 "$BIN" symbolize --vmlinux "$TMP/vmlinux" "$f"
	case $rc in 0|1|3|5) ok ;; *) bad "symbolize $name: exit $rc" ;; esac
	[ "$msg" = - ] || expect_err "$name:1: $msg" "symbolize $name: says so"
	expect_mem "$VSIZE" "symbolize $name"
	run 60 "$BIN" --db "$TMP/h.db" scan "$f"
	expect_rc "$want" "scan $name into a store"
	expect_mem 0 "scan $name into a store"
done <<'EOF_CASES'
junk.bin 3 binary data, no log
nul.log 0 binary data \(NUL bytes\)
giant.log 1 line longer than 1048576 bytes; only its head is read
frames.log 1 -
EOF_CASES
for id in $("$BIN" --db "$TMP/h.db" list --format json | python3 -c 'import json,sys; print(*[r["id"] for r in json.load(sys.stdin)["reports"]])'); do
	run 60 "$BIN" --db "$TMP/h.db" show "$id"
	expect_rc 0 "show $id of the hostile store"
	expect_mem 0 "show $id of the hostile store"
done
rm -f "$IN/nul.log" "$IN/giant.log" "$IN/junk.bin"

echo "== a 1 GiB line through a pipe"
gen_line() {   # 1 GiB of 'x', no newline, then a report
	python3 -c 'import sys
b = b"x" * (1 << 20)
for _ in range(1024): sys.stdout.buffer.write(b)'
	echo
	cat fixtures/virtio-blk-console.log
}
for cmd in "symbolize --vmlinux $TMP/vmlinux" "scan --no-db"; do
	# shellcheck disable=SC2086,SC2046
	run 60 "$BIN" $cmd - < <(gen_line)
	expect_err "<stdin>:1: line longer than 1048576 bytes; only its head is read" "${cmd%% *} of a 1 GiB line: says so"
	expect_rc "$([ "${cmd%% *}" = scan ] && echo 1 || echo 5)" "${cmd%% *} of a 1 GiB line (5: the fixture's vmlinux matches no frame)"
	expect_mem "$([ "${cmd%% *}" = scan ] && echo 0 || echo "$VSIZE")" "${cmd%% *} of a 1 GiB line"
done

echo "== a compression bomb as a log"
bomb zst "$LOG" "$IN/bomb.log.zst" 8
run 60 "$BIN" scan --no-db "$IN/bomb.log.zst"
expect_rc 1 "a 1 GiB zstd log of zeros: read to its end"
expect_err "bomb.log.zst:1: binary data \(NUL bytes\)" "a 1 GiB zstd log: the NUL bytes are said"
expect_err "bomb.log.zst:[0-9]+: line longer than 1048576 bytes" "a 1 GiB zstd log: the long line is said"
expect_mem 0 "a 1 GiB zstd log"
rm -f "$IN/bomb.log.zst"

echo "== devices and FIFOs where files are expected"
mkdir -p "$TMP/walk"
cp "$LOG" "$TMP/walk/a.log"
mkfifo "$TMP/walk/fifo.log" "$TMP/fifo"
ln -s fifo.log "$TMP/walk/link-fifo.log"
ln -s /dev/zero "$TMP/walk/zero.log"
ln -s /dev/urandom "$TMP/walk/urandom.log"
run 20 "$BIN" --db "$TMP/walk.db" scan "$TMP/walk"
expect_rc 1 "a walk over FIFOs and devices"
expect_mem 0 "a walk over FIFOs and devices"
for v in /dev/zero /dev/urandom "$TMP/fifo"; do
	for cmd in symbolize scan "rules check"; do
		# shellcheck disable=SC2086,SC2046
		run 20 "$BIN" $cmd --vmlinux "$v" $(case $cmd in scan) echo --no-db "$LOG";; symbolize) echo "$LOG";; esac)
		expect_rc 5 "$cmd --vmlinux $v"
		expect_err "$v: not a regular file$" "$cmd --vmlinux $v: says so"
		expect_lines 1 "$cmd --vmlinux $v"
		expect_mem 0 "$cmd --vmlinux $v"
	done
	for cmd in "scan --no-db $LOG" "rules check --vmlinux $TMP/vmlinux" "rules list"; do
		# shellcheck disable=SC2086,SC2046
		run 20 "$BIN" --rules "$v" $cmd
		expect_rc 5 "--rules $v ${cmd%% *}"
		expect_err "$v: not a regular file; a rules file must be one$" "--rules $v ${cmd%% *}: says so"
		expect_mem 0 "--rules $v ${cmd%% *}"
	done
done
head -c 5000000 /dev/zero | tr '\0' '#' >"$TMP/big.rules"
run 20 "$BIN" --rules "$TMP/big.rules" scan --no-db "$LOG"
expect_rc 5 "a rules file over the size cap"
expect_err "big.rules: larger than 4 MiB" "a rules file over the size cap: says so"
expect_mem 0 "a rules file over the size cap"

echo "== the man page's LIMITS give the code's numbers"
python3 - man/kcsan-triage.1 <<'PY' && ok || bad "the LIMITS section and the code disagree"
import re, subprocess, sys
text = subprocess.run(["groff", "-man", "-Tutf8", "-P-c", "-P-b", "-P-u", sys.argv[1]], capture_output=True,
                      text=True).stdout
text = " ".join(text.split("\nLIMITS\n", 1)[1].split("\nTRIAGE FILE\n", 1)[0].replace("\u2010\n", "").split())
def const(header, name):
    m = re.search(r"#define %s\s+(\S[^/\n]*)" % name, open(header).read())
    return eval(m.group(1).replace("ULL", "").replace("U", ""))
def size(n):
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return "%d %s" % (n >> shift, unit)
    return "%d" % n
want = {
    "the line cap": "%s (%d bytes)" % (size(const("include/input.h", "INPUT_MAX_LINE")), const("include/input.h", "INPUT_MAX_LINE")),
    "frames kept": "%d frames per stack" % const("include/report.h", "REPORT_MAX_FRAMES"),
    "text kept": "%s of its text" % size(const("include/report.h", "REPORT_MAX_RAW")),
    "the decompressed cap": "capped at %s" % size(const("include/decompress.h", "DECOMP_DEFAULT_CAP")),
    "xz's memory": "%s of memory to decode" % size(const("include/decompress.h", "DECOMP_XZ_MEMLIMIT")),
    "zstd's window": "window of at most %s" % size(1 << const("include/decompress.h", "DECOMP_ZSTD_WINDOW_LOG_MAX")),
    "after the ELF": "At most %s may follow" % size(const("include/elfobj.h", "ELFOBJ_IMAGE_TRAILER_MAX")),
    "the rules file": "of at most %s;" % size(const("include/rules.h", "RULES_MAX_FILE")),
    "the match limit": "%d for the match limit" % const("include/rules.h", "RULES_MATCH_LIMIT"),
    "the depth limit": "%d for the depth limit" % const("include/rules.h", "RULES_DEPTH_LIMIT"),
    "the heap limit": "%s of heap" % size(const("include/rules.h", "RULES_HEAP_LIMIT_KIB") * 1024),
    "patterns turned off": "hits them %d times" % const("include/rules.h", "RULES_LIMIT_HITS_OFF"),
    "source files": "at most %s inside the tree" % size(const("src/srctree.c", "MAX_SOURCE")),
}
bad = [k + ": '" + v + "'" for k, v in want.items() if v not in text]
for b in bad:
    print("FAIL: LIMITS lacks " + b)
sys.exit(1 if bad else 0)
PY

echo "hostile: $pass passed, $fail failed"
[ "$fail" = 0 ]
