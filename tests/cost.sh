#!/usr/bin/env bash
# kcsan-triage cost against binutils, on the two pairs of virtio_ring.o in
# fixtures/cost (Linux 6.1.192 before and after a READ_ONCE() patch, with
# and without KCSAN) and on small C fixtures built twice here with gcc -O2
# (plain reads, then volatile reads as READ_ONCE() makes them).
#
# The oracles, computed here and never copied from the tool:
#   - sizes: nm -S of each object; the per-symbol old/new/delta, the net
#     and the renames (names that differ only in digits, same size);
#   - section totals: readelf -S, by flags (X: text, W: data, NOBITS: bss,
#     other A: rodata);
#   - instruction counts: GNU objdump --disassemble=NAME, its lines, its
#     call lines and its conditional-jump lines.
# Then the fixtures' verdicts, bad input and the exit codes.
set -u
cd "$(dirname "$0")/.."
BIN=${BIN:-$PWD/kcsan-triage}
FIX=$PWD/fixtures/cost
export LC_ALL=C TZ=UTC
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kt-cost.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# check OLD NEW JSON: sizes, sections, renames and counts against binutils
check_pair() {
	local old=$1 new=$2 json=$3
	nm -S "$old" >"$tmp/nm.old" && nm -S "$new" >"$tmp/nm.new" &&
	readelf -SW "$old" >"$tmp/sec.old" && readelf -SW "$new" >"$tmp/sec.new" || { bad "binutils failed on $old $new"; return; }
	python3 - "$old" "$new" "$json" "$tmp" <<'EOF' || fail=$((fail + 1))
import json, re, subprocess, sys
old, new, jpath, tmp = sys.argv[1:5]
doc = json.load(open(jpath))
errs = []

def nm(path):
    sizes = {}
    for line in open(path):
        f = line.split()
        if len(f) == 4 and f[2] not in 'UuNna':
            sizes[f[3]] = sizes.get(f[3], 0) + int(f[1], 16)
    return sizes

def sections(path):
    tot = {'text': 0, 'data': 0, 'rodata': 0, 'bss': 0}
    for line in open(path):
        m = re.match(r'\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+(\S*)', line)
        if not m or m.group(2) == 'NULL' or 'A' not in m.group(4):
            continue
        size, flags = int(m.group(3), 16), m.group(4)
        kind = 'bss' if m.group(2) == 'NOBITS' else 'text' if 'X' in flags else 'data' if 'W' in flags else 'rodata'
        tot[kind] += size
    return tot

o, n = nm(tmp + '/nm.old'), nm(tmp + '/nm.new')
if doc['net'] != sum(n.values()) - sum(o.values()):
    errs.append('net %d, nm says %d' % (doc['net'], sum(n.values()) - sum(o.values())))
so, sn = sections(tmp + '/sec.old'), sections(tmp + '/sec.new')
for k in so:
    s = doc['sections'][k]
    if (s['old'], s['new'], s['delta']) != (so[k], sn[k], sn[k] - so[k]):
        errs.append('section %s: %r, readelf says %d -> %d' % (k, s, so[k], sn[k]))
listed = {}
for f in doc['functions']:
    name, oname = f['name'], f.get('old_name', f['name'])
    listed[name] = f
    if f['old_size'] is not None and o.get(oname) != f['old_size']:
        errs.append('%s: old_size %s, nm says %s' % (oname, f['old_size'], o.get(oname)))
    if f['new_size'] is not None and n.get(name) != f['new_size']:
        errs.append('%s: new_size %s, nm says %s' % (name, f['new_size'], n.get(name)))
    if f['delta'] != (f['new_size'] or 0) - (f['old_size'] or 0):
        errs.append('%s: delta %s' % (name, f['delta']))
# every symbol nm sees change is listed; what only one side has is added, removed or renamed
renamed_old = {r['old'] for r in doc['renamed']}
renamed_new = {r['new'] for r in doc['renamed']}
for r in doc['renamed']:
    if re.sub(r'\d', '', r['old']) != re.sub(r'\d', '', r['new']) or o.get(r['old']) != n.get(r['new']) or \
       r['old'] in n or r['new'] in o:
        errs.append('not a rename: %r' % r)
for name in set(o) | set(n):
    if name in o and name in n:
        if o[name] != n[name] and listed.get(name, {}).get('delta') != n[name] - o[name]:
            errs.append('%s: nm delta %d not listed' % (name, n[name] - o[name]))
    elif name in o and name not in renamed_old and not any(f.get('old_name', f['name']) == name for f in doc['functions']):
        errs.append('%s: only in old, neither removed nor renamed' % name)
    elif name in n and name not in renamed_new and name not in listed:
        errs.append('%s: only in new, neither added nor renamed' % name)

def objdump(path, name):
    out = subprocess.run(['objdump', '-d', '--no-show-raw-insn', '--disassemble=' + name, path],
                         capture_output=True, text=True).stdout
    insns = [l.split('\t', 1)[1].split() for l in out.splitlines() if re.match(r'\s+[0-9a-f]+:\t', l)]
    return {'insns': len(insns),
            'calls': sum(1 for i in insns if i and i[0].startswith('call')),
            'branches': sum(1 for i in insns if i and re.match(r'j(?!mp)', i[0]) or (i and i[0].startswith('loop')))}

checked = 0
for f in doc['functions']:
    for side, path, nm_name in (('old', old, f.get('old_name', f['name'])), ('new', new, f['name'])):
        if f.get(side):
            want = objdump(path, nm_name)
            got = {k: f[side][k] for k in want}
            checked += 1
            if got != want:
                errs.append('%s (%s): %r, objdump says %r' % (nm_name, side, got, want))
for e in errs:
    print('FAIL: %s %s: %s' % (old, new, e))
print('   %d symbols listed, %d renamed, %d decodes checked against objdump' % (len(doc['functions']), len(doc['renamed']), checked))
sys.exit(1 if errs else 0)
EOF
}

# run NAME EXPECTED-RC ARGS...: the tool's stdout in $tmp/NAME.out, stderr in $tmp/NAME.err
run() {
	local name=$1 want=$2 rc
	shift 2
	"$BIN" cost "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	[ "$rc" = "$want" ] || bad "$name: exit $rc, expected $want ($(head -c 300 "$tmp/$name.err"))"
}
has() { grep -qF -- "$2" "$tmp/$1" || bad "$1 lacks: $2"; }

echo "== cost: virtio_ring.o without KCSAN, against nm, readelf and objdump"
run nok 0 --format json "$FIX/old-nokcsan.o" "$FIX/new-nokcsan.o" && check_pair "$FIX/old-nokcsan.o" "$FIX/new-nokcsan.o" "$tmp/nok.out"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if len(d["renamed"]) == 40 else 1)' "$tmp/nok.out" ||
	bad "the 40 __UNIQUE_ID_ renames are not recognised"
run nok.txt 0 "$FIX/old-nokcsan.o" "$FIX/new-nokcsan.o"
head -1 "$tmp/nok.txt.out" | grep -q '^net +11 bytes' || bad "the text does not start with the net: $(head -1 "$tmp/nok.txt.out")"
has nok.txt.out "verdict: no function gains a load or store"
has nok.txt.out "stops folding the load into cmp (+1 instruction) in virtqueue_enable_cb and virtqueue_poll"
has nok.txt.out "drivers/virtio/virtio_ring.c:902"
has nok.txt.out "renamed: 40 symbols"

echo "== cost: virtio_ring.o with KCSAN"
run kcsan 0 --format json "$FIX/old.o" "$FIX/new.o" && check_pair "$FIX/old.o" "$FIX/new.o" "$tmp/kcsan.out"
# every function decoded, changed or not, against objdump
run all 0 --format json --function . "$FIX/old.o" "$FIX/new.o" && check_pair "$FIX/old.o" "$FIX/new.o" "$tmp/all.out"
run kcsan.txt 0 "$FIX/old.o" "$FIX/new.o"
has kcsan.txt.out "calls __tsan_volatile_read2 instead of __tsan_read2 in"
has kcsan.txt.out "+ callq __tsan_volatile_read2"
# a label that moved is no change: the .cold part only jumps back into its function
grep -q '^virtqueue_get_buf_ctx_split.cold' "$tmp/kcsan.txt.out" && bad "a shifted label counts as a change"

echo "== cost: an object against itself"
run self 0 "$FIX/old.o" "$FIX/old.o"
has self.out "verdict: code identical"
head -1 "$tmp/self.out" | grep -q '^net +0 bytes' || bad "self: net is not 0"

echo "== cost: C fixtures, plain and volatile reads (gcc -O2)"
for a in 0 1; do
	for c in ring same; do
		gcc -O2 -g -c -DANNOTATE=$a -o "$tmp/$c$a.o" "$FIX/$c.c" || bad "gcc failed on $c.c"
	done
done
run ring 0 --format json "$tmp/ring0.o" "$tmp/ring1.o" && check_pair "$tmp/ring0.o" "$tmp/ring1.o" "$tmp/ring.out"
python3 - "$tmp/ring.out" <<'EOF' || fail=$((fail + 1))
import json, sys
d = {f['name']: f for f in json.load(open(sys.argv[1]))['functions']}
errs = []
s = d.get('ring_stable')
if not s or s['new']['loads'] != s['old']['loads'] + 2:
    errs.append('ring_stable does not gain the second load: %r' % s)
e = d.get('ring_empty')
if not e or e['new']['loads'] != e['old']['loads'] or e['new']['insns'] != e['old']['insns'] + 1 or 'load no longer folded into cmp' not in e['verdict']:
    errs.append('ring_empty: not the unfolded load: %r' % e)
for name in ('ring_peek', 'ring_sum'):
    if name in d:
        errs.append('%s listed though the annotation changes nothing in it' % name)
for x in errs:
    print('FAIL: ring: ' + x)
sys.exit(1 if errs else 0)
EOF
run ring.txt 0 "$tmp/ring0.o" "$tmp/ring1.o"
has ring.txt.out "verdict: loads or stores gained in ring_stable"
has ring.txt.out "ring.c:"
run same 0 "$tmp/same0.o" "$tmp/same1.o"
has same.out "verdict: code identical"
has same.out "1 unchanged"
run func 0 --format json --function '^ring_(peek|sum)$' "$tmp/ring0.o" "$tmp/ring1.o"
python3 - "$tmp/func.out" <<'EOF' || bad "--function does not show the instructions of an unchanged function"
import json, sys
d = {f['name']: f for f in json.load(open(sys.argv[1]))['functions']}
p = d.get('ring_peek')
sys.exit(0 if p and p['status'] == 'unchanged' and p['old']['loads'] == 1 and p['old'] == p['new'] and p['verdict'] == 'code identical' else 1)
EOF

# --function takes the PCRE2 syntax the rules files use (\w, (?i)), and a bad one is a usage error
run func.pcre 0 --format json --function '(?i)^RING_\w+k$' "$tmp/ring0.o" "$tmp/ring1.o"
python3 -c 'import json,sys; d={f["name"] for f in json.load(open(sys.argv[1]))["functions"]}; sys.exit(0 if "ring_peek" in d else 1)' "$tmp/func.pcre.out" ||
	bad "--function with PCRE2 syntax does not select ring_peek"
run func.bad 2 --function '(' "$tmp/ring0.o" "$tmp/ring1.o"
grep -q "^kcsan-triage: .*--function '(': missing closing parenthesis" "$tmp/func.bad.err" || bad "a bad --function: $(cat "$tmp/func.bad.err")"

echo "== cost: a linked program whose functions move (gcc -O2 -no-pie)"
for a in 0 1; do
	gcc -O2 -g -no-pie -fno-pie -falign-functions=1 -DANNOTATE=$a -o "$tmp/prog$a" "$FIX/prog.c" || bad "gcc failed on prog.c"
done
run prog 0 --format json "$tmp/prog0" "$tmp/prog1" && check_pair "$tmp/prog0" "$tmp/prog1" "$tmp/prog.out"
a0=$(nm "$tmp/prog0" | awk '$3 == "prog_count" { print $1 }')
a1=$(nm "$tmp/prog1" | awk '$3 == "prog_count" { print $1 }')
[ "$a0" != "$a1" ] || bad "prog_count did not move: the case tests nothing"
python3 - "$tmp/prog.out" <<'EOF' || bad "a function that only moved is listed: $(grep '"name"' "$tmp/prog.out")"
import json, sys
d = {f['name']: f for f in json.load(open(sys.argv[1]))['functions']}
sys.exit(0 if 'prog_poll' in d and 'prog_count' not in d and 'main' not in d else 1)
EOF
# and the same answer from the decoder, which --function forces
run progf 0 --format json --function '^prog_count$' "$tmp/prog0" "$tmp/prog1"
python3 - "$tmp/progf.out" <<'EOF' || bad "the decoder sees a change in prog_count, which only moved"
import json, sys
d = {f['name']: f for f in json.load(open(sys.argv[1]))['functions']}
sys.exit(0 if d['prog_count']['status'] == 'unchanged' and d['prog_count']['old'] == d['prog_count']['new'] else 1)
EOF

echo "== cost: compressed objects (.ko.xz, .ko.zst)"
xz -c "$tmp/ring0.o" >"$tmp/ring0.ko.xz" && zstd -q -c "$tmp/ring1.o" >"$tmp/ring1.ko.zst" || bad "xz/zstd failed"
run z 0 --format json "$tmp/ring0.ko.xz" "$tmp/ring1.ko.zst"
grep -v '"old": "\|"new": "' "$tmp/z.out" >"$tmp/z.cmp"
grep -v '"old": "\|"new": "' "$tmp/ring.out" >"$tmp/ring.cmp"
cmp -s "$tmp/z.cmp" "$tmp/ring.cmp" || bad "compressed objects compare differently: $(diff "$tmp/ring.cmp" "$tmp/z.cmp" | head -5)"

echo "== cost: bad input"
run unrel 0 "$FIX/old.o" "$tmp/ring1.o"
has unrel.err "kcsan-triage: warning: $tmp/ring1.o: looks unrelated"
has unrel.out "the objects look unrelated"
cp "$tmp/ring1.o" "$tmp/arm.o" && printf '\267\000' | dd of="$tmp/arm.o" bs=1 seek=18 conv=notrunc status=none
run arch 5 "$tmp/ring0.o" "$tmp/arm.o"
has arch.err "kcsan-triage: error: $tmp/arm.o: a different architecture (AArch64, 64-bit) from $tmp/ring0.o (x86-64, 64-bit)"
objcopy --strip-all "$tmp/ring1.o" "$tmp/stripped.o" 2>/dev/null
run strip 0 "$tmp/ring0.o" "$tmp/stripped.o"
has strip.err "kcsan-triage: warning: $tmp/stripped.o: no symbol table (stripped)"
has strip.out "missing: NEW has no symbol table (stripped)"
has strip.out "verdict: no symbols to compare; the loaded sections change by"
grep -q "^ring_" "$tmp/strip.out" && bad "stripped: symbols reported removed"
# the loaded bytes of an object, from readelf -S: the sum of the sizes of the sections flagged A
sum_sections() {
	python3 -c '
import re, subprocess, sys
t = 0
for line in subprocess.run(["readelf", "-SW", sys.argv[1]], capture_output=True, text=True).stdout.splitlines():
    m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+[0-9a-f]+\s+(\S*)", line)
    if m and m.group(2) != "NULL" and "A" in m.group(4):
        t += int(m.group(3), 16)
print(t)' "$1"
}
so=$(sum_sections "$tmp/ring0.o"); sn=$(sum_sections "$tmp/stripped.o")
has strip.out "$(printf 'net %+d bytes (sections %d -> %d' $((sn - so)) "$so" "$sn")"
objcopy --strip-debug "$tmp/ring1.o" "$tmp/nodebug.o"
run nodebug 0 "$tmp/ring0.o" "$tmp/nodebug.o"
has nodebug.out "missing: no DWARF line table in OLD or NEW: no source lines"
head -c 3000 "$FIX/old.o" >"$tmp/trunc.o"
run trunc 5 "$FIX/old.o" "$tmp/trunc.o"
[ "$(wc -l <"$tmp/trunc.err")" = 1 ] || bad "truncated: not one line: $(cat "$tmp/trunc.err")"
grep -Eq "^kcsan-triage: error: $tmp/trunc.o: truncated ELF: .*byte [0-9]+.*\(3000 bytes\)" "$tmp/trunc.err" || bad "truncated: $(cat "$tmp/trunc.err")"
[ -s "$tmp/trunc.out" ] && bad "truncated: printed a result"
# intact section headers, one of which points past the end of the file
python3 - "$tmp/ring1.o" "$tmp/past.o" <<'EOF'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
shoff = struct.unpack_from('<Q', b, 0x28)[0]
struct.pack_into('<Q', b, shoff + 64 + 24, len(b) - 8)   # section 1's sh_offset
open(sys.argv[2], 'wb').write(b)
EOF
run past 5 "$tmp/ring0.o" "$tmp/past.o"
grep -Eq "^kcsan-triage: error: $tmp/past.o: truncated ELF: section 1 \\(bytes [0-9]+ to [0-9]+\\) ends past the end of the file \\([0-9]+ bytes\\)$" "$tmp/past.err" ||
	bad "section past the end: $(cat "$tmp/past.err")"
printf 'not an object\n' >"$tmp/text.o"
run notelf 5 "$tmp/text.o" "$FIX/new.o"
has notelf.err "kcsan-triage: error: $tmp/text.o: not an ELF object"
printf '\050\265\057\375garbage' >"$tmp/bad.ko.zst"
run badzst 5 "$tmp/bad.ko.zst" "$FIX/new.o"
has badzst.err "kcsan-triage: error: $tmp/bad.ko.zst:"
run missing 5 "$tmp/nonexistent.o" "$FIX/new.o"
has missing.err "kcsan-triage: error: $tmp/nonexistent.o: cannot open: No such file or directory"

echo "== cost: usage and exit codes"
run one 2 "$FIX/old.o"
has one.err "cost takes two objects, OLD and NEW (1 given)"
run fmt 2 --format yaml "$FIX/old.o" "$FIX/new.o"
run re 2 --function '(' "$FIX/old.o" "$FIX/new.o"
has re.err "kcsan-triage: error: --function '(':"
if [ -w /dev/full ]; then
	"$BIN" cost "$FIX/old.o" "$FIX/new.o" >/dev/full 2>"$tmp/full.err"
	[ $? = 6 ] || bad "cost >/dev/full does not exit 6"
fi

[ "$fail" = 0 ] && echo "cost: all passed" || { echo "cost: $fail failures"; exit 1; }
