#!/usr/bin/env bash
# Benchmark of `kcsan-triage cost` on a whole-kernel pair against the
# kernel's own scripts/bloat-o-meter (numbers to read, never pass/fail;
# the target is to be no slower than bloat-o-meter).
#
# The pairs:
#   same:     the KCSAN vmlinux of $SHARED/kernel against itself;
#   modified: against a copy with 40 functions changed in place (a byte of
#             their code flipped; the bytes shift no neighbour) and 10 grown
#             by 8 bytes in the symbol table (st_size), so that cost decodes
#             and diffs 50 functions and bloat-o-meter lists 10;
#   object:   fixtures/cost/old.o against new.o (virtio_ring.o, KCSAN).
# "cost --function ." decodes every function of both sides: the upper bound
# for two real builds whose code all moved and is not told apart undecoded.
# bloat-o-meter comes from Debian's linux-source-6.1 (/usr/src), extracted once.
set -eu
cd "$(dirname "$0")/.."
BIN=$PWD/kcsan-triage
SHARED=${SHARED:-../shared}
K=$SHARED/kernel
. tests/unpack-kernel.sh
if [ ! -f "$K/vmlinux.xz" ]; then
	echo "cost bench: skipped ($K/vmlinux.xz not present)"
	exit 0
fi
kernel_cache "$K" >/dev/null || exit 1
V=$CACHE/vmlinux
BOM=$CACHE/bloat-o-meter
SRC=/usr/src/linux-source-6.1.tar.xz
if [ ! -s "$BOM" ]; then
	[ -f "$SRC" ] || { echo "cost bench: skipped (no $SRC for scripts/bloat-o-meter)"; exit 0; }
	echo "extracting scripts/bloat-o-meter from $SRC ..."
	tar -xJOf "$SRC" --wildcards '*/scripts/bloat-o-meter' >"$BOM.tmp" && mv "$BOM.tmp" "$BOM"
	chmod +x "$BOM"
fi
M=$CACHE/vmlinux.cost-modified
if [ ! -s "$M" ] || [ "$V" -nt "$M" ]; then
	cp "$V" "$M.tmp"
	python3 - "$M.tmp" <<'EOF'
import struct, sys
path = sys.argv[1]
f = open(path, 'r+b')
b = f.read()
shoff, = struct.unpack_from('<Q', b, 0x28)
shentsize, shnum = struct.unpack_from('<HH', b, 0x3a)
secs = [struct.unpack_from('<IIQQQQIIQQ', b, shoff + i * shentsize) for i in range(shnum)]
symtab = next(s for s in secs if s[1] == 2)   # SHT_SYMTAB
funcs = []
for off in range(symtab[4], symtab[4] + symtab[5], 24):
    name, info, other, shndx, value, size = struct.unpack_from('<IBBHQQ', b, off)
    if info & 0xf == 2 and size >= 32 and shndx < shnum and secs[shndx][2] & 4:   # STT_FUNC in code
        funcs.append((off, shndx, value, size))
funcs.sort(key=lambda x: x[2])
step = len(funcs) // 60
for k, (off, shndx, value, size) in enumerate(funcs[::step][:50]):
    if k < 40:   # a byte of the code flipped
        sec = secs[shndx]
        pos = sec[4] + (value - sec[3]) + size // 2
        f.seek(pos)
        c = f.read(1)[0]
        f.seek(pos)
        f.write(bytes([c ^ 0x01]))
    else:        # grown by 8 bytes
        f.seek(off + 16)
        f.write(struct.pack('<Q', size + 8))
f.close()
EOF
	mv "$M.tmp" "$M"
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kt-cost-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
wall() {   # wall CMD...: "SECONDS PEAK-RSS-KiB", medians of 3
	for i in 1 2 3; do
		/usr/bin/time -f '%e %M' -o "$TMP/time" "$@" >"$TMP/out" 2>&1 || true
		tail -n 1 "$TMP/time"
	done >"$TMP/runs"
	echo "$(cut -d' ' -f1 "$TMP/runs" | median) $(cut -d' ' -f2 "$TMP/runs" | median)"
}
cat "$V" "$M" >/dev/null   # warm the page cache for both
echo "vmlinux: $V ($(du -m "$V" | cut -f1) MiB, $(nm --size-sort "$V" | wc -l) sized symbols)"
printf '%-10s %-28s %8s %10s\n' pair tool seconds "RSS KiB"
row() {   # row PAIR TOOL CMD...
	local pair=$1 tool=$2
	shift 2
	set -- $(wall "$@")
	printf '%-10s %-28s %8s %10s\n' "$pair" "$tool" "$1" "$2"
}
row same "bloat-o-meter" "$BOM" "$V" "$V"
row same "cost" "$BIN" cost "$V" "$V"
row same "cost --format json" "$BIN" cost --format json "$V" "$V"
# the worst case: every function decoded and normalised on both sides
row same "cost --function ." "$BIN" cost --function . "$V" "$V"
row modified "bloat-o-meter" "$BOM" "$V" "$M"
row modified "cost" "$BIN" cost "$V" "$M"
row modified "cost --format json" "$BIN" cost --format json "$V" "$M"
row object "bloat-o-meter" "$BOM" fixtures/cost/old.o fixtures/cost/new.o
row object "cost" "$BIN" cost fixtures/cost/old.o fixtures/cost/new.o
"$BIN" cost "$V" "$M" >"$TMP/mod.txt" 2>&1 || true
echo "modified pair, cost says: $(sed -n 's/^symbols: //p' "$TMP/mod.txt")"
