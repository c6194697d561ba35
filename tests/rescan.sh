#!/usr/bin/env bash
# A rescan that counts unchanged files from their records (scanned_file)
# against one that parses every file again (scan --reparse): for every
# output format, --jobs 1 and 2, the gate (--fail-on, --new, --triage),
# labels set since, grown, edited and moved files, changed rules, a store
# that lost a recorded occurrence, --no-db, a store without the table,
# merge and concurrent writers.  Each pair runs on two copies of one store
# and must give the same exit status, standard output, standard error and
# store (every signature, occurrence and record).
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh rescan

# What a store holds, independent of row ids and times.
dump() {
	python3 - "$1" <<'EOF'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
q = lambda s: sorted(c.execute(s).fetchall(), key=repr)
for r in q("select key, count, verdict, writer, confidence, field, evidence_level, subsystem, facts, label,"
           " label_note from signature"):
    print("sig", r)
for r in q("select o.key, s.key, o.source, o.line, o.truncated, o.evidence_level, o.facts from occurrence o"
           " join signature s on s.id = o.signature_id"):
    print("occ", r)
try:
    for r in q("select path, size, hex(hash), hex(fingerprint), hex(reports) from scanned_file"):
        print("file", r)
except sqlite3.OperationalError as e:
    print("no table:", e)
EOF
}

# copy_store FROM TO: a closed store (with its WAL, if any) under another directory, same file name
copy_store() {
	rm -rf "$2"
	mkdir -p "$2"
	for x in "" -wal -shm; do [ -f "$1$x" ] && cp "$1$x" "$2/s.db$x"; done
	true
}

# scan_in DIR ARGS...: a scan with the store DIR/s.db (named s.db: the summary says its path)
scan_in() {
	local d=$1
	shift
	(cd "$d" && "$BIN" --db s.db scan "$@" >out 2>err; echo $? >rc)
}

# opened FILE ARGS...: how many times the scan opens FILE (1: hashed only, counted from its record)
opened() {
	local f=$1
	shift
	strace -f -qq -e trace=openat -o "$TMP/strace" "$BIN" "$@" >/dev/null 2>&1
	grep -c "\"$f\"" "$TMP/strace"
}
HAVE_STRACE=0
strace -qq -e trace=openat -o /dev/null true 2>/dev/null && HAVE_STRACE=1

# same_rescan NAME DB ARGS...: the scan ARGS (scan options and inputs) on two copies of the store
# DB, counting from records and parsing again: everything the same
same_rescan() {
	local name=$1 db=$2
	shift 2
	copy_store "$db" "$TMP/skip"
	copy_store "$db" "$TMP/full"
	scan_in "$TMP/skip" "$@"
	scan_in "$TMP/full" --reparse "$@"
	local f
	for f in rc out err; do
		if cmp -s "$TMP/skip/$f" "$TMP/full/$f"; then ok; else
			bad "$name: $f differs from a full parse's:"
			diff "$TMP/full/$f" "$TMP/skip/$f" | head -10
		fi
	done
	dump "$TMP/skip/s.db" >"$TMP/skip.dump"
	dump "$TMP/full/s.db" >"$TMP/full.dump"
	if cmp -s "$TMP/skip.dump" "$TMP/full.dump"; then ok; else
		bad "$name: the store differs from a full parse's:"
		diff "$TMP/full.dump" "$TMP/skip.dump" | head -10
	fi
}

IN=$TMP/in
mkdir -p "$IN"
cp fixtures/*.log fixtures/formats/* "$IN/"
for f in "$SHARED"/kernel/console-*.log; do [ -f "$f" ] && cp "$f" "$IN/"; done
# a report cut short (one of its own: the fixture's with another function name)
sed -e s/virtqueue_get_buf_ctx_split/virtqueue_get_buf_ctx_grown/g -e s/__filemap_add_folio/__filemap_add_folio_grown/g \
	fixtures/virtio-blk-console.log >"$TMP/grown.log"
head -n 310 "$TMP/grown.log" >"$IN/grow.log"
BASE=$TMP/base
mkdir -p "$BASE"
scan_in "$BASE" --fail-on none "$IN"
expect_eq "$(cat "$BASE/rc")" 0 "the first scan"
files=$(sql "$BASE/s.db" "select count(*) from scanned_file" | tr -dc 0-9)
[ "${files:-0}" -gt 5 ] && ok || bad "the first scan recorded $files files"

echo "== rescan: every format, --jobs 1 and 2, the gate"
for fmt in text json sarif junit; do
	for j in 1 2; do
		same_rescan "unchanged, --format $fmt --jobs $j" "$BASE/s.db" --format "$fmt" --jobs "$j" "$IN"
	done
done
same_rescan "unchanged, --fail-on any" "$BASE/s.db" --fail-on any "$IN"
same_rescan "unchanged, --new" "$BASE/s.db" --new --fail-on any "$IN"
expect_eq "$(cat "$TMP/skip/rc")" 0 "--new on a rescan: nothing is new"
same_rescan "unchanged, two files named twice" "$BASE/s.db" --jobs 2 "$IN/grow.log" "$IN" "$IN/grow.log"
if [ "$HAVE_STRACE" = 1 ]; then
	expect_eq "$(cd "$TMP/skip" && opened "$IN/virtio-rng-console.log" --db s.db scan "$IN/virtio-rng-console.log")" 1 \
		"an unchanged file is read once (hashed), not parsed"
	expect_eq "$(cd "$TMP/skip" && opened "$IN/virtio-rng-console.log" --db s.db scan --reparse "$IN/virtio-rng-console.log")" 2 \
		"--reparse parses it"
	expect_eq "$(cd "$TMP/skip" && opened "$IN/virtio-rng-console.log" --db s.db scan --format json "$IN/virtio-rng-console.log")" 2 \
		"--format json parses it"
else
	echo "   (no strace: not counting how often files are read)"
fi

echo "== rescan: the record is what is counted"
# two records' reports swapped: a rescan that counts from records shows the other file's reports
S=$TMP/swap
copy_store "$BASE/s.db" "$S"
python3 - "$S/s.db" "$IN/virtio-blk-console.log" "$IN/virtio-rng-console.log" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
a, b = (c.execute("select reports from scanned_file where path = ?", (p,)).fetchone()[0] for p in sys.argv[2:4])
c.execute("update scanned_file set reports = ? where path = ?", (b, sys.argv[2]))
c.execute("update scanned_file set reports = ? where path = ?", (a, sys.argv[3]))
EOF
scan_in "$S" --fail-on none "$IN/virtio-blk-console.log"
cp "$S/out" "$TMP/swapped.out"
scan_in "$S" --fail-on none --reparse "$IN/virtio-blk-console.log"
cp "$S/out" "$TMP/parsed.out"
cmp -s "$TMP/swapped.out" "$TMP/parsed.out" && bad "a swapped record is not what a rescan counts" || ok
scan_in "$S" --fail-on none "$IN/virtio-blk-console.log"
cmp -s "$S/out" "$TMP/parsed.out" && ok || bad "--reparse did not replace the record"

echo "== rescan: labels set since, a triage file"
L=$TMP/label
copy_store "$BASE/s.db" "$L"
(cd "$L" && "$BIN" --db s.db label --as device-origin --note "seen" 1 >/dev/null && "$BIN" --db s.db label --as real-race 2 >/dev/null)
same_rescan "labels set since the first scan" "$L/s.db" "$IN"
(cd "$L" && "$BIN" --db s.db export --labels >"$TMP/labels.triage")
(cd "$L" && "$BIN" --db s.db label --clear 1 >/dev/null)
same_rescan "--triage" "$L/s.db" --triage "$TMP/labels.triage" --jobs 2 "$IN"

echo "== rescan: a grown file (its cut report completed keeps its label), an edited one, a moved one"
G=$TMP/grow
copy_store "$BASE/s.db" "$G"
cut=$(sql "$G/s.db" "select signature_id from occurrence where truncated and source like '%grow.log'" | tr -dc 0-9)
(cd "$G" && "$BIN" --db s.db label --as device-origin --note "by hand" "$cut" >/dev/null)
cp "$TMP/grown.log" "$IN/grow.log"
same_rescan "a grown file" "$G/s.db" --fail-on device-origin "$IN"
expect_eq "$(sql "$TMP/skip/s.db" "select count(*) from signature where label_note = 'by hand' and count > 0")" "[(1,)]" \
	"the completed report carries the label"
sed -i 's/vring_interrupt/vring_interruption/' "$IN/grow.log"
same_rescan "an edited file" "$G/s.db" "$IN"
mv "$IN/grow.log" "$IN/moved.log"
same_rescan "a moved file" "$G/s.db" --jobs 2 "$IN"
mv "$IN/moved.log" "$IN/grow.log"
head -n 310 "$TMP/grown.log" >"$IN/grow.log"

echo "== rescan: other rules (the fingerprint)"
# the virtio rules again, under other struct names: the same verdicts, another fingerprint
sed -E 's/^struct ([a-z_]+)/struct \1_again/' rules/virtio.rules >"$TMP/extra.rules"
"$BIN" --rules "$TMP/extra.rules" scan --no-db --fail-on none "$IN/virtio-blk-console.log" >/dev/null 2>&1 && ok ||
	bad "the extra rules do not load"
same_rescan "--rules" "$BASE/s.db" --rules "$TMP/extra.rules" "$IN"
copy_store "$S/s.db" "$TMP/fp"
python3 - "$TMP/fp/s.db" "$IN/virtio-blk-console.log" "$IN/virtio-rng-console.log" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
a, b = (c.execute("select reports from scanned_file where path = ?", (p,)).fetchone()[0] for p in sys.argv[2:4])
c.execute("update scanned_file set reports = ? where path = ?", (b, sys.argv[2]))
EOF
# (a swapped record of another fingerprint is not counted: the same as a parse)
same_rescan "--text, a swapped record" "$TMP/fp/s.db" --text "$IN/virtio-blk-console.log"
same_rescan "--rules, a swapped record" "$TMP/fp/s.db" --rules "$TMP/extra.rules" "$IN/virtio-blk-console.log"

echo "== rescan: a store that lost or replaced a recorded occurrence"
D=$TMP/del
copy_store "$BASE/s.db" "$D"
python3 - "$D/s.db" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
o, s = c.execute("select id, signature_id from occurrence where not truncated order by id limit 1").fetchone()
c.execute("delete from occurrence where id = ?", (o,))
c.execute("update signature set count = count - 1 where id = ?", (s,))
# another occurrence's facts replaced (as another run's classification would)
c.execute("update occurrence set facts = 'verdict=unknown-origin' || char(10), evidence_level = 0"
          " where id = (select max(id) from occurrence)")
c.execute("update signature set verdict = 'real-race' where id = (select signature_id from occurrence"
          " where id = (select max(id) - 1 from occurrence))")
EOF
same_rescan "an occurrence deleted, facts replaced, a verdict changed" "$D/s.db" "$IN"
same_rescan "the same, --jobs 2" "$D/s.db" --jobs 2 --format text "$IN"

echo "== rescan: --no-db, a store without the table, merge"
(cd "$TMP" && "$BIN" --db s.db scan --no-db --fail-on none "$IN" >nodb.out 2>&1)
[ ! -e "$TMP/s.db" ] && ok || bad "--no-db made a store"
sed -n 1p "$TMP/nodb.out" >"$TMP/nodb.1"
sed -n 1p "$BASE/out" >"$TMP/base.1"
cmp -s "$TMP/nodb.1" "$TMP/base.1" && ok || bad "--no-db: another count"
O=$TMP/old
copy_store "$BASE/s.db" "$O"
sql "$O/s.db" "drop table scanned_file" >/dev/null
(cd "$O" && "$BIN" --db s.db list >/dev/null 2>&1) && ok || bad "list on a store without the table"
same_rescan "a store without the table" "$O/s.db" "$IN"
expect_eq "$(sql "$TMP/skip/s.db" "select count(*) > 5 from scanned_file")" "[(1,)]" "the table made, the files recorded"
M=$TMP/merge
copy_store "$BASE/s.db" "$M"
rm -f "$TMP/other.db"
"$BIN" --db "$TMP/other.db" scan --fail-on none fixtures/formats/* >/dev/null 2>&1
before=$(sql "$M/s.db" "select count(*) from scanned_file")
(cd "$M" && "$BIN" --db s.db merge "$TMP/other.db" >/dev/null 2>&1)
expect_eq "$(sql "$M/s.db" "select count(*) from scanned_file")" "$before" "merge copies no records"
same_rescan "after a merge" "$M/s.db" "$IN"

if [ -s build/kernel-cache/vmlinux ]; then
	echo "== rescan: with the kernel's vmlinux"
	V=$TMP/vm
	mkdir -p "$V"
	KLOGS=("$IN"/console-*.log)
	scan_in "$V" --fail-on none --vmlinux "$PWD/build/kernel-cache/vmlinux" "${KLOGS[@]}" "$IN/virtio-blk-console.log"
	same_rescan "--vmlinux" "$V/s.db" --vmlinux "$PWD/build/kernel-cache/vmlinux" --jobs 2 "${KLOGS[@]}" \
		"$IN/virtio-blk-console.log"
	same_rescan "without the vmlinux (another fingerprint)" "$V/s.db" "${KLOGS[@]}"
fi

echo "== rescan: concurrent writers counting from records"
C=$TMP/conc
copy_store "$BASE/s.db" "$C"
REFD=$TMP/ref
copy_store "$BASE/s.db" "$REFD"
scan_in "$REFD" --reparse --fail-on none "$IN" "$IN/grow.log"
export KCSAN_TRIAGE_BUSY_TIMEOUT=60000
pids=()
for w in $(seq 0 7); do
	if [ $((w % 2)) = 0 ]; then args=("$IN" "$IN/grow.log"); else args=("$IN/grow.log" "$IN"); fi
	(cd "$C" && "$BIN" --db s.db scan --fail-on none --jobs $((w % 3 + 1)) "${args[@]}" >"w$w.out" 2>"w$w.err") &
	pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
unset KCSAN_TRIAGE_BUSY_TIMEOUT
expect_eq "$failed" 0 "concurrent writers that failed"
for w in $(seq 0 7); do
	expect_eq "$(sed -n 2p "$C/w$w.out")" "$(sed -n 2p "$REFD/out")" "writer $w: what it says of the store"
done
dump "$C/s.db" >"$TMP/conc.dump"
dump "$REFD/s.db" >"$TMP/ref.dump"
if cmp -s "$TMP/conc.dump" "$TMP/ref.dump"; then ok; else
	bad "concurrent writers: the store differs from one writer's:"
	diff "$TMP/ref.dump" "$TMP/conc.dump" | head -10
fi

echo "rescan: $pass passed, $fail failed"
[ "$fail" = 0 ]
