#!/usr/bin/env bash
# End-to-end tests: run the binary on fixture logs, compare with golden
# files, and check the store, the exit codes and the handling of bad input.
#
#   tests/e2e.sh            run
#   tests/e2e.sh --regen    rewrite tests/golden/ (read the diff before committing)
set -u
cd "$(dirname "$0")/.."
BIN=$PWD/kcsan-triage
GOLDEN=tests/golden
REGEN=0
[ "${1:-}" = "--regen" ] && REGEN=1

export LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=1763712000   # 2025-11-21T08:00:00Z
unset KCSAN_TRIAGE_DB
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kt-e2e.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# run CMD...: its output in $TMP/out and $TMP/err, its exit status in $rc
run() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

expect_rc() {   # expect_rc WANT what
	if [ "$rc" = "$1" ]; then ok; else bad "$2: exit $rc, expected $1; stderr: $(head -c 400 "$TMP/err")"; fi
}

expect_out() {  # expect_out PATTERN what
	if grep -Eq -- "$1" "$TMP/out"; then ok; else bad "$2: stdout lacks /$1/"; fi
}

expect_err() {
	if grep -Eq -- "$1" "$TMP/err"; then ok; else bad "$2: stderr lacks /$1/ (stderr: $(head -c 300 "$TMP/err"))"; fi
}

expect_eq() {   # expect_eq GOT WANT what
	if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', expected '$2'"; fi
}

# golden NAME: compare $TMP/out with tests/golden/NAME
golden() {
	local g="$GOLDEN/$1"
	# the temp dir is no part of the answer
	sed -i "s|$TMP|\$TMP|g" "$TMP/out"
	if [ $REGEN = 1 ]; then
		mkdir -p "$(dirname "$g")"
		cp "$TMP/out" "$g"
		ok
		return
	fi
	if [ ! -f "$g" ]; then
		bad "golden $g missing (run tests/e2e.sh --regen and read the diff)"
		return
	fi
	if diff -u "$g" "$TMP/out" >"$TMP/diff"; then ok; else bad "golden $g differs:"; head -40 "$TMP/diff"; fi
}

json_ok() {    # the output is one valid JSON document
	if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/out" 2>/dev/null; then ok; else bad "$1: invalid JSON"; fi
}

jq_py() {      # jq_py EXPR: evaluate a Python expression on the JSON output (d)
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$TMP/out" "$1"
}

# ---------------------------------------------------------------------------
echo "== golden: scan --no-db on every fixture"
for f in fixtures/*.log fixtures/formats/*; do
	name=$(basename "$f")
	run "$BIN" scan --no-db --format json "$f"
	json_ok "$f"
	golden "scan/$name.json"
	run "$BIN" scan --no-db "$f"
	golden "scan/$name.txt"
done

echo "== golden: the store (scan, list, show, stats)"
DB=$TMP/golden.db
run "$BIN" --db "$DB" scan fixtures/virtio-blk-console.log fixtures/virtio-rng-console.log fixtures/kunit-kcsan-test.log
expect_rc 1 "scan of logs with real races"
golden "store/scan.txt"
run "$BIN" --db "$DB" list
expect_rc 0 "list"
golden "store/list.txt"
run "$BIN" --db "$DB" list --format json
json_ok "list json"
golden "store/list.json"
run "$BIN" --db "$DB" show 1
expect_rc 0 "show 1"
golden "store/show-1.txt"
run "$BIN" --db "$DB" show --format json 1
json_ok "show json"
golden "store/show-1.json"
run "$BIN" --db "$DB" stats
golden "store/stats.txt"
run "$BIN" --db "$DB" stats --format json
json_ok "stats json"
golden "store/stats.json"

# ---------------------------------------------------------------------------
echo "== store: rescans add nothing, counts are exact"
DB=$TMP/s.db
run "$BIN" --db "$DB" scan --format json fixtures/virtio-blk-console.log
n1=$(jq_py 'd["summary"]["stored_new"]')
expect_eq "$n1" 4 "first scan stores 4"
run "$BIN" --db "$DB" scan --format json fixtures/virtio-blk-console.log
expect_eq "$(jq_py 'd["summary"]["stored_new"]')" 0 "rescan stores nothing"
expect_eq "$(jq_py 'd["summary"]["already_known"]')" 4 "rescan: 4 already known"
cp fixtures/virtio-blk-console.log "$TMP/copy.log"
run "$BIN" --db "$DB" scan --format json "$TMP/copy.log"
expect_eq "$(jq_py 'd["summary"]["stored_new"]')" 0 "the same log under another name adds nothing"
run "$BIN" --db "$DB" list --format json
expect_eq "$(jq_py 'sum(r["count"] for r in d["reports"])')" 4 "counts sum to 4 occurrences"
expect_eq "$(jq_py 'len(d["reports"])')" 3 "3 distinct reports (two identical titles with the same frames)"
echo "   stdin"
run sh -c "cat fixtures/virtio-blk-console.log | '$BIN' --db '$DB' scan --format json"
expect_eq "$(jq_py 'd["summary"]["reports"]')" 4 "stdin is the default input"
expect_eq "$(jq_py 'd["summary"]["stored_new"]')" 0 "stdin: nothing new"

echo "== store: a growing log completes a truncated report, without double counting"
DB=$TMP/grow.db
head -n 254 fixtures/virtio-blk-console.log >"$TMP/grow.log"     # cut inside the first stack
run "$BIN" --db "$DB" scan --format json "$TMP/grow.log"
expect_eq "$(jq_py 'd["reports"][0]["truncated"]')" True "the cut report is marked truncated"
cp fixtures/virtio-blk-console.log "$TMP/grow.log"
run "$BIN" --db "$DB" scan --format json "$TMP/grow.log"
run "$BIN" --db "$DB" list --format json
expect_eq "$(jq_py 'sum(r["count"] for r in d["reports"])')" 4 "4 occurrences after the log grew"

echo "== labels win and survive rescans"
DB=$TMP/label.db
run "$BIN" --db "$DB" scan fixtures/virtio-blk-console.log
expect_rc 1 "real races need attention"
run "$BIN" --db "$DB" list --format json
ids=$(jq_py '" ".join(str(r["id"]) for r in d["reports"] if r["verdict"] == "real-race")')
run "$BIN" --db "$DB" label --as device-origin --note "checked by hand" $ids
expect_rc 0 "label"
run "$BIN" --db "$DB" scan --fail-on real-race fixtures/virtio-blk-console.log
expect_rc 0 "labelled reports no longer fail the scan"
run "$BIN" --db "$DB" list --format json
expect_eq "$(jq_py 'sorted(set(r["label"] for r in d["reports"] if r["label"]))')" "['device-origin']" "labels survive a rescan"
run "$BIN" --db "$DB" list --verdict real-race --format json
expect_eq "$(jq_py 'len(d["reports"])')" 0 "list --verdict uses the label"
run "$BIN" --db "$DB" label --clear $ids
expect_rc 0 "label --clear"
run "$BIN" --db "$DB" label --as nonsense 1
expect_rc 2 "label with a bad verdict"
run "$BIN" --db "$DB" label --as real-race 999
expect_rc 2 "label of a missing report"
expect_err "no report #999" "label: says which id is missing"

echo "== source lines: read under the tree only"
mkdir -p "$TMP/src/fs" "$TMP/outside"
awk 'BEGIN { for (i = 1; i < 700; i++) print (i == 542 ? "\tret = pipe_writable(pipe);" : (i == 676 ? "\thead = READ_ONCE(pipe->head);" : "/* line " i " */")) }' >"$TMP/src/fs/pipe.c"
echo "secret" >"$TMP/outside/secret.c"
sed 's|pipe_poll+0x93/0x2a0 fs/pipe.c:676|pipe_poll+0x93/0x2a0 ../outside/secret.c:1|' fixtures/formats/syzbot-email.txt >"$TMP/evil.txt"
DB=$TMP/src.db
run "$BIN" --db "$DB" scan fixtures/formats/syzbot-email.txt "$TMP/evil.txt"
run "$BIN" --db "$DB" show --src "$TMP/src" 1
expect_out "\| ret = pipe_writable\(pipe\);" "show --src prints the source line of a frame"
expect_out "\| head = READ_ONCE\(pipe->head\);" "show --src prints the other access's line"
run "$BIN" --db "$DB" show --src "$TMP/src" --all 1
expect_out "pipe_poll\+0x93/0x2a0  \.\./outside/secret\.c:1" "the escaping frame is shown"
if grep -q "| secret" "$TMP/out"; then bad "a path out of the source tree was read"; else ok; fi

echo "== exit codes"
run "$BIN" scan --no-db fixtures/formats/not-reports.txt
expect_rc 0 "no reports: exit 0"
run "$BIN" scan --no-db --fail-on none fixtures/kunit-kcsan-test.log
expect_rc 0 "--fail-on none"
run "$BIN" scan --no-db --fail-on bogus fixtures/kunit-kcsan-test.log
expect_rc 2 "bad --fail-on"
run "$BIN" frobnicate
expect_rc 2 "unknown command"
run "$BIN" sacn
expect_rc 2 "misspelt command"
expect_err "did you mean 'scan'" "suggests the nearest command"
run "$BIN" scan --no-db --format yaml fixtures/formats/truncated.log
expect_rc 2 "bad --format"
run "$BIN" --db "$TMP/none.db" list
expect_rc 4 "list without a database"
expect_err "none.db: no database here" "says where"
run "$BIN" --version
expect_rc 0 "--version"
run "$BIN" --help
expect_rc 0 "--help"
for c in $("$BIN" --help | sed -n '/^commands:/,/^$/p' | awk 'NF>1 {print $1}'); do
	run "$BIN" help "$c"
	expect_rc 0 "help $c"
done
if [ -w /dev/full ]; then
	run sh -c "'$BIN' --db '$TMP/golden.db' list >/dev/full"
	expect_rc 6 "list >/dev/full fails"
	run sh -c "'$BIN' scan --no-db --format json fixtures/virtio-blk-console.log >/dev/full"
	expect_rc 6 "scan >/dev/full fails"
fi

# ---------------------------------------------------------------------------
echo "== bad input"
head -c 200000 /dev/urandom >"$TMP/junk.bin"
run "$BIN" scan --no-db "$TMP/junk.bin"
expect_rc 3 "binary junk: some input unreadable"
expect_err "junk.bin:1: binary data, no log" "binary junk: a warning with the position"

: >"$TMP/empty.log"
run "$BIN" scan --no-db --format json "$TMP/empty.log"
expect_rc 0 "empty file"
expect_eq "$(jq_py 'd["summary"]["reports"]')" 0 "empty file: no reports"

{ head -c 3000000 /dev/zero | tr '\0' 'x'; echo; cat fixtures/virtio-blk-console.log; } >"$TMP/giant.log"
run "$BIN" scan --no-db --format json "$TMP/giant.log"
expect_rc 1 "giant line: the rest is still scanned"
expect_err "giant.log:1: line longer than" "giant line: a warning with the position"
expect_eq "$(jq_py 'd["summary"]["reports"]')" 4 "giant line: 4 reports after it"
expect_eq "$(jq_py 'd["reports"][0]["source"]["line"]')" 248 "giant line: line numbers stay right (BUG line 247, plus one)"

# NUL bytes and invalid UTF-8 inside a report
python3 - "$TMP/nul.log" <<'PY'
import sys
src = open("fixtures/virtio-blk-console.log", "rb").read()
src = src.replace(b"Comm: kworker/1:1", b"Comm: kw\x00rk\xff\xfe/1:1", 1)
src = src.replace(b"virtqueue_get_buf+0x2c/0x30", b"virtqueue_get_buf+0x2c/0x30 \x1b[31m\xc3(", 1)
open(sys.argv[1], "wb").write(src)
PY
run "$BIN" scan --no-db --format json "$TMP/nul.log"
json_ok "NUL and invalid UTF-8 give valid JSON"
expect_eq "$(jq_py 'd["summary"]["reports"]')" 4 "NUL bytes: reports still found"
run "$BIN" scan --no-db "$TMP/nul.log"
if grep -q $'\x1b' "$TMP/out"; then bad "terminal escapes reach the terminal"; else ok; fi

mkdir -p "$TMP/tree/sub"
cp fixtures/virtio-blk-console.log "$TMP/tree/sub/a.log"
cp fixtures/virtio-rng-console.log "$TMP/tree/b.log"
ln -s "$TMP/nowhere" "$TMP/tree/dangling.log"
if [ -r /proc/self/mem ]; then ln -s /proc/self/mem "$TMP/tree/eio.log"; fi
DB=$TMP/tree.db
run "$BIN" --db "$DB" scan --format json "$TMP/tree"
expect_rc 3 "an unreadable entry: exit 3"
expect_err "dangling.log: cannot open" "names the unreadable entry"
expect_eq "$(jq_py 'd["summary"]["reports"]')" 7 "the readable files are scanned"
run "$BIN" --db "$DB" list --format json
expect_eq "$(jq_py 'sum(r["count"] for r in d["reports"])')" 7 "and stored"
run "$BIN" scan --no-db "$TMP/does-not-exist.log"
expect_rc 3 "a missing file: exit 3"

echo "== bad kernels"
gcc -g -O2 -fno-pie -no-pie -o "$TMP/fix.vmlinux" fixtures/elf/a.c fixtures/elf/b.c
head -c 100000 /dev/urandom >"$TMP/junk.vmlinux"
head -c 4096 "$TMP/fix.vmlinux" >"$TMP/cut.vmlinux"
strip -o "$TMP/stripped.vmlinux" "$TMP/fix.vmlinux"
objcopy --strip-debug "$TMP/fix.vmlinux" "$TMP/nodebug.vmlinux"
for v in missing junk cut stripped; do
	run "$BIN" scan --no-db --vmlinux "$TMP/$v.vmlinux" fixtures/virtio-rng-console.log
	expect_rc 5 "a $v vmlinux: exit 5"
	expect_err "$v.vmlinux: " "a $v vmlinux: the error names it"
	[ "$(wc -l <"$TMP/err")" = 1 ] && ok || bad "a $v vmlinux: one line of error, got $(wc -l <"$TMP/err")"
done
run "$BIN" scan --no-db --format json --vmlinux "$TMP/nodebug.vmlinux" fixtures/virtio-rng-console.log
expect_rc 1 "a vmlinux without DWARF still scans"
expect_err "nodebug.vmlinux: no DWARF" "and says so"
[ "$(grep -c 'no DWARF' "$TMP/err")" = 1 ] && ok || bad "the missing DWARF is said once"
expect_eq "$(jq_py 'd["summary"]["device_origin"]')" 2 "without DWARF, the rules still match"
run "$BIN" scan --no-db --format json --vmlinux "$TMP/fix.vmlinux" fixtures/virtio-rng-console.log
expect_rc 1 "another program's vmlinux: the scan goes on"
expect_out '"note": "' "frames it does not match say why"
run "$BIN" rules check fixtures/virtio-rng-console.log
expect_rc 2 "rules check without --vmlinux"

echo "== bad databases"
echo "this is not a database, just text that is long enough to be a header......" >"$TMP/text.db"
run "$BIN" --db "$TMP/text.db" scan fixtures/virtio-blk-console.log
expect_rc 4 "a text file as database"
expect_err "text.db" "names the database"
expect_eq "$(head -c 20 "$TMP/text.db")" "this is not a databa" "the file is left alone"
python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("create table t(x)"); c.commit()' "$TMP/other.db"
run "$BIN" --db "$TMP/other.db" scan fixtures/virtio-blk-console.log
expect_rc 4 "another program's SQLite database"
expect_err "not a kcsan-triage database" "says so"
mkdir -p "$TMP/dir.db"
run "$BIN" --db "$TMP/dir.db" scan fixtures/virtio-blk-console.log
expect_rc 4 "a directory as database"

echo "   locked"
occurrences() {   # occurrences DB: the rows of its occurrence table
	python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from occurrence").fetchone()[0])' "$1"
}
DB=$TMP/lock.db
run "$BIN" --db "$DB" scan fixtures/virtio-rng-console.log
before=$(occurrences "$DB")
python3 - "$DB" "$TMP/locked" <<'PY' &
import sqlite3, sys, time, os
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").close()
time.sleep(4)
c.execute("ROLLBACK")
PY
lockpid=$!
for i in $(seq 50); do [ -f "$TMP/locked" ] && break; sleep 0.1; done
KCSAN_TRIAGE_BUSY_TIMEOUT=300 run "$BIN" --db "$DB" scan fixtures/virtio-blk-console.log
expect_rc 4 "a locked database: exit 4"
expect_err "locked" "says the database is locked"
wait $lockpid
after=$(occurrences "$DB")
expect_eq "$after" "$before" "nothing lost, nothing half-written"
run "$BIN" --db "$DB" scan fixtures/virtio-blk-console.log
expect_rc 1 "the same scan works once the lock is gone"

echo "   read-only"
DB=$TMP/ro/ro.db
mkdir -p "$TMP/ro"
run "$BIN" --db "$DB" scan fixtures/virtio-rng-console.log
chmod 555 "$TMP/ro"
chmod 444 "$DB" "$DB-wal" "$DB-shm" 2>/dev/null
if [ "$(id -u)" = 0 ]; then
	asuser() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	chmod 755 "$TMP"
else
	asuser() { "$@"; }
fi
run asuser "$BIN" --db "$DB" scan fixtures/virtio-blk-console.log
expect_rc 4 "a read-only database: exit 4"
expect_err "read-only" "says read-only"
run asuser "$BIN" --db "$DB" list
expect_rc 0 "a read-only database can still be listed"
chmod 755 "$TMP/ro"

# ---------------------------------------------------------------------------
echo "== hostile input: a directory walk reads regular files only"
mkdir -p "$TMP/walk"
cp fixtures/virtio-rng-console.log "$TMP/walk/a.log"
mkfifo "$TMP/walk/fifo.log"
ln -s fifo.log "$TMP/walk/link-fifo.log"
ln -s /dev/zero "$TMP/walk/zero.log"
ln -s /dev/urandom "$TMP/walk/urandom.log"
[ -r /proc/self/pagemap ] && ln -s /proc/self/pagemap "$TMP/walk/pagemap.log"
run timeout 20 "$BIN" scan --no-db --format json "$TMP/walk"
expect_rc 1 "a walk over FIFOs and devices ends (their skipping leaves the exit status alone)"
expect_eq "$(jq_py 'd["summary"]["files"]')" 1 "only the regular file is read"
expect_err "walk/fifo.log: a FIFO, skipped" "the FIFO is named"
expect_err "walk/link-fifo.log: links to a FIFO, skipped" "the link to a FIFO is named"
expect_err "walk/zero.log: links to a character device, skipped" "the link to /dev/zero is named"
expect_err "walk/urandom.log: links to a character device, skipped" "the link to /dev/urandom is named"
[ -r /proc/self/pagemap ] && expect_err "walk/pagemap.log: links to a file of /proc or /sys, skipped" "the link to /proc/self/pagemap is named"
expect_eq "$(grep -c skipped "$TMP/err")" "$(ls "$TMP/walk" | grep -vc '^a.log$')" "one warning each"
( sleep 0.5; cat fixtures/virtio-rng-console.log >"$TMP/walk/fifo.log" ) &
run timeout 20 "$BIN" scan --no-db --format json "$TMP/walk/fifo.log"
wait
expect_eq "$(jq_py 'd["summary"]["reports"]')" 3 "a FIFO named on the command line is read"
run timeout 20 "$BIN" scan --no-db --format json <(cat fixtures/virtio-rng-console.log)
expect_eq "$(jq_py 'd["summary"]["reports"]')" 3 "process substitution is read"

echo "== logs as people have them: compressed input"
mkdir -p "$TMP/z"
zn=0
for f in fixtures/*.log fixtures/formats/*; do
	b=$(basename "$f")
	"$BIN" scan --no-db --format json "$f" 2>&1 >"$TMP/z/plain.json" | sed "s|$f|SRC|g" >"$TMP/z/plain.err"
	sed -i "s|$f|SRC|g" "$TMP/z/plain.json"
	for z in "gzip -c:gz" "xz -c:xz" "zstd -q -c:zst" "bzip2 -c:bz2"; do
		c=$TMP/z/$b.${z##*:}
		${z%:*} "$f" >"$c"
		"$BIN" scan --no-db --format json "$c" 2>&1 >"$TMP/z/z.json" | sed "s|$c|SRC|g" >"$TMP/z/z.err"
		sed -i "s|$c|SRC|g" "$TMP/z/z.json"
		if cmp -s "$TMP/z/plain.json" "$TMP/z/z.json" && cmp -s "$TMP/z/plain.err" "$TMP/z/z.err"; then ok; else bad "$b.${z##*:}: reports differ from the plain log's"; diff "$TMP/z/plain.json" "$TMP/z/z.json" | head -5; fi
		zn=$((zn + 1))
	done
done
echo "   $zn compressed copies"
cat fixtures/virtio-rng-console.log | gzip -c >"$TMP/z/two.gz"
cat fixtures/virtio-blk-console.log | gzip -c >>"$TMP/z/two.gz"
run "$BIN" scan --no-db --format json "$TMP/z/two.gz"
expect_eq "$(jq_py 'd["summary"]["reports"]')" 7 "a gzip file of two members: both read"
cp fixtures/virtio-rng-console.log "$TMP/z/text.log.gz"
run "$BIN" scan --no-db --format json "$TMP/z/text.log.gz"
expect_rc 1 "a .gz that is not gzip"
expect_eq "$(jq_py 'd["summary"]["reports"]')" 3 "a .gz that is not gzip is read as text"
run sh -c "xz -c fixtures/virtio-rng-console.log | '$BIN' scan --no-db --format json"
expect_eq "$(jq_py 'd["summary"]["reports"]')" 3 "compressed standard input"
gzip -c fixtures/kunit-kcsan-test.log >"$TMP/z/k.gz"
head -c $(( $(stat -c %s "$TMP/z/k.gz") / 2 )) "$TMP/z/k.gz" >"$TMP/z/cut.gz"
run "$BIN" scan --no-db --format json "$TMP/z/cut.gz"
expect_rc 3 "a truncated gzip file: exit 3"
expect_err "cut.gz: gzip data truncated at byte [0-9]+ of the file, after [0-9]+ decompressed bytes" "a truncated gzip file: the file and the position"
[ "$(jq_py 'd["summary"]["reports"]')" -gt 5 ] && ok || bad "a truncated gzip file: what was decoded is kept"
python3 - "$TMP/z/k.gz" "$TMP/z/bad.gz" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
for i in range(len(d) // 2, len(d) // 2 + 8):
    d[i] ^= 0x55
open(sys.argv[2], "wb").write(d)
PY
run "$BIN" scan --no-db --format json "$TMP/z/bad.gz"
expect_rc 3 "a corrupt gzip file: exit 3"
expect_err "bad.gz: gzip data corrupt \(zlib: [^)]*\) at byte [0-9]+ of the file" "a corrupt gzip file: the file, the reason and the position"
KCSAN_TRIAGE_MAX_DECOMPRESSED=30k run "$BIN" scan --no-db --format json "$TMP/z/k.gz"
expect_rc 3 "the decompressed-size cap: exit 3"
expect_err "k.gz: gzip data decompresses to more than 30720 bytes \(the cap" "the cap names the file"
expect_eq "$(grep -c 'the cap' "$TMP/err")" 1 "one warning at the cap"
[ "$(jq_py 'd["summary"]["reports"]')" -gt 3 ] && ok || bad "the cap: what was read is kept"
head -c 300000 /dev/urandom | zstd -q -c >"$TMP/z/junk.zst"
run "$BIN" scan --no-db "$TMP/z/junk.zst"
expect_rc 3 "compressed binary junk: some input unreadable"
expect_err "junk.zst:1: binary data \(after zstd\), no log" "compressed binary junk: a warning"
echo "   memory stays flat"
{ cat fixtures/virtio-rng-console.log; yes '[   12.345678] virtio_net virtio0 eth0: a line of noise that repeats' | head -c 400000000; cat fixtures/virtio-blk-console.log; } | gzip -1 -c >"$TMP/z/big.gz"
if command -v /usr/bin/time >/dev/null; then
	/usr/bin/time -f %M -o "$TMP/z/rss" "$BIN" scan --no-db --format json "$TMP/z/big.gz" >"$TMP/out" 2>"$TMP/err"
	expect_eq "$(jq_py 'd["summary"]["reports"]')" 7 "400 MB of gzip-compressed log: every report"
	rss=$(tail -n 1 "$TMP/z/rss")
	[ "$rss" -lt 32768 ] && ok || bad "400 MB of compressed log took $rss KiB of memory (budget 32 MiB)"
fi
rm -f "$TMP/z/big.gz"

echo "== hostile input: names and text that reach stderr"
evil=$'a\e]2;PWNED\a\e[2Jb.log'
mkdir -p "$TMP/hostile"
ln -s "$TMP/nowhere" "$TMP/hostile/$evil"
run "$BIN" scan --no-db "$TMP/hostile"
expect_rc 3 "a dangling link with escapes in its name"
if grep -q $'[\e\a]' "$TMP/err"; then bad "a file name's escapes reach stderr raw"; else ok; fi
expect_err 'a\\x1b\]2;PWNED\\x07\\x1b\[2Jb\.log: cannot open' "the name is shown with visible escapes"
run "$BIN" scan --no-db "$TMP/x"$'\n'"kcsan-triage: error: FAKE.txt:2"
expect_rc 3 "a missing file with a newline in its name"
expect_eq "$(wc -l <"$TMP/err")" 1 "a newline in a name forges no line"
expect_err 'x\\nkcsan-triage: error: FAKE\.txt:2: cannot open' "the newline is shown as \\n"
printf 'struct \e[31mred\xe2\x80\xae\n\twriter nobody\n' >"$TMP/evil.rules"
run "$BIN" scan --no-db --rules "$TMP/evil.rules" fixtures/virtio-rng-console.log
expect_rc 5 "a bad rules file"
if grep -q $'\e' "$TMP/err" || grep -q $'\xe2\x80\xae' "$TMP/err"; then bad "rules text reaches stderr raw"; else ok; fi
expect_err "writer must be device, hypervisor or user, not 'nobody'" "the rules error keeps its reason"
expect_err 'struct \\x1b\[31mred\\u202e: no' "the struct name is shown with visible escapes"

echo "== hostile input: rules files"
# a memory guard for a binary that would read /dev/zero whole (AddressSanitizer needs its address space)
vguard="ulimit -v 2000000;"
grep -q __asan_init "$BIN" && vguard=
mkfifo "$TMP/rules.fifo"
run timeout 10 "$BIN" scan --no-db --rules "$TMP/rules.fifo" fixtures/virtio-rng-console.log
expect_rc 5 "--rules FIFO: refused at once, no hang"
expect_err "rules.fifo: not a regular file" "--rules FIFO: says why"
run sh -c "$vguard timeout 10 '$BIN' scan --no-db --rules /dev/zero fixtures/virtio-rng-console.log"
expect_rc 5 "--rules /dev/zero: refused at once"
expect_err "/dev/zero: not a regular file" "--rules /dev/zero: says why"
head -c 5000000 /dev/zero | tr '\0' '#' >"$TMP/big.rules"
run sh -c "$vguard timeout 10 '$BIN' scan --no-db --rules '$TMP/big.rules' fixtures/virtio-rng-console.log"
expect_rc 5 "a rules file over the size cap"
expect_err "big.rules: larger than 4 MiB" "the size cap is named"
python3 - "$TMP/long.rules" <<'PY'
import sys
open(sys.argv[1], "w").write("struct long_reason\n\tfunction (" + "a" * 3000 + "\n")
PY
run "$BIN" scan --no-db --rules "$TMP/long.rules" fixtures/virtio-rng-console.log
expect_rc 5 "a bad pattern of 3000 bytes"
expect_err "long.rules:2: bad pattern '\(a{119}\.\.\.': missing closing parenthesis at offset 3001" "the error keeps its reason, the quoted text is cut"
printf 'struct nul_line\n\twriter device\n\talign 4\n\treference x\n\tfunction ^virtqueue\0junk\n\tmember m\n\t\tsize 4\n' >"$TMP/nul.rules"
run "$BIN" scan --no-db --rules "$TMP/nul.rules" fixtures/virtio-rng-console.log
expect_rc 5 "a NUL byte in a rules line"
expect_err "nul.rules:5: NUL byte at column 21" "the NUL byte is an error with its position"

echo "== hostile input: catastrophic patterns stop at the match limits"
printf 'struct evil_thing\n\twriter device\n\talign 4\n\treference none\n\tfunction ^(a+)+$\n\tmember x\n\t\toffset 0\n\t\tsize 4\n' >"$TMP/cat.rules"
w=$(printf "a%.0s" $(seq 30))b
for i in $(seq 100); do sed "s/virtqueue_get_buf_ctx_split/$w/g" fixtures/virtio-rng-console.log; done >"$TMP/cat.log"
start=$(date +%s%N)
run timeout 60 "$BIN" scan --no-db --format json --rules "$TMP/cat.rules" "$TMP/cat.log"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_rc 1 "a catastrophic pattern: the scan completes"
expect_eq "$(jq_py 'd["summary"]["reports"]')" 300 "a catastrophic pattern: every report is read"
expect_eq "$(grep -c 'match limits' "$TMP/err")" 1 "one warning for the pattern"
expect_err "cat.rules:5: struct evil_thing: pattern '\^\(a\+\)\+\\$' stopped at the match limits 8 times \(no match\); turned off" "the warning names the pattern's file:line"
[ "$ms" -lt 3000 ] && ok || bad "300 reports with a catastrophic pattern took $ms ms (budget 3000)"

echo
echo "e2e: $pass passed, $fail failed"
[ $fail = 0 ]
