#!/usr/bin/env bash
# End-to-end tests: run the binary on fixture logs, compare with golden
# files, and check the store, the exit codes and the handling of bad input.
#
#   tests/e2e.sh            run
#   tests/e2e.sh --regen    rewrite tests/golden/ (read the diff before committing)
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh e2e
GOLDEN=tests/golden
REGEN=0
[ "${1:-}" = "--regen" ] && REGEN=1

# a command without --db uses the default store: under $TMP, never the user's
export XDG_DATA_HOME=$TMP/xdg

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
expect_eq "$(jq_py 'sorted(set(r["label"]["verdict"] for r in d["reports"] if r["label"]))')" "['device-origin']" "labels survive a rescan"
run "$BIN" --db "$DB" list --verdict real-race --format json
expect_eq "$(jq_py 'len(d["reports"])')" 0 "list --verdict uses the label"
run "$BIN" --db "$DB" label --clear $ids
expect_rc 0 "label --clear"
run "$BIN" --db "$DB" label --as nonsense 1
expect_rc 2 "label with a bad verdict"
run "$BIN" --db "$DB" label --as real-race 999
expect_rc 2 "label of a missing report"
expect_err "no report #999" "label: says which id is missing"

echo "== labels: all or nothing; the label is the verdict everywhere"
DB=$TMP/eff.db
run "$BIN" --db "$DB" scan fixtures/virtio-blk-console.log
run "$BIN" --db "$DB" label --as real-race 1 999
expect_rc 2 "label with one missing ID"
expect_err "no report #999" "names the missing ID"
expect_eq "$(cat "$TMP/out")" "" "label with a missing ID says nothing was labelled"
run "$BIN" --db "$DB" list --format json
expect_eq "$(jq_py '[r["label"] for r in d["reports"]]')" "[None, None, None]" "label with a missing ID labels none"
run "$BIN" --db "$DB" list --format json
rr=$(jq_py '[r["id"] for r in d["reports"] if r["verdict"] == "real-race"][0]')
run "$BIN" --db "$DB" label --as device-origin --note "the device's" "$rr"
expect_eq "$(cat "$TMP/out")" "#$rr device-origin" "label says what it labelled"
run "$BIN" --db "$DB" list --verdict device-origin
expect_out "^ *$rr  [0-9a-f]{16}  device-origin  device-origin " "list --verdict: the row's VERDICT is the label"
run "$BIN" --db "$DB" list --format json
expect_eq "$(jq_py '[(r["verdict"], r["tool_verdict"], r["label"]["verdict"], r["label"]["note"], bool(r["label"]["time"])) for r in d["reports"] if r["id"] == '"$rr"']')" \
	"[('device-origin', 'real-race', 'device-origin', \"the device's\", True)]" "list JSON: verdict, tool_verdict, label"
run "$BIN" --db "$DB" show --format json "$rr"
expect_eq "$(jq_py '(d["verdict"], d["tool_verdict"], d["label"]["note"], sorted(set(o["report"][0]["verdict"] for o in d["occurrences"])))')" \
	"('device-origin', 'real-race', \"the device's\", ['device-origin'])" "show JSON: the same verdict, the tool's and the label"
run "$BIN" --db "$DB" scan --format json fixtures/virtio-blk-console.log
expect_eq "$(jq_py 'sorted(set(r["verdict"] for r in d["reports"] if r["tool_verdict"] == "real-race"))')" "['device-origin']" \
	"scan JSON: a labelled report's verdict is the label"
expect_eq "$(jq_py '[d["summary"][k] for k in ("device_origin", "real_race", "unknown_origin")] == [sum(r["verdict"] == v for r in d["reports"]) for v in ("device-origin", "real-race", "unknown-origin")]')" \
	True "scan JSON: the summary counts the reports' verdicts"
run "$BIN" --db "$DB" stats --format json
expect_eq "$(jq_py 'sorted((r["key"], r["occurrences"]) for r in d["verdict"])')" \
	"[('device-origin', 3), ('unknown-origin', 1)]" "stats counts the effective verdict"

echo "== verdicts per occurrence"
DB=$TMP/occ.db
run "$BIN" --db "$DB" scan fixtures/virtio-blk-console.log fixtures/virtio-rng-console.log
run "$BIN" --db "$DB" show --format json 1
expect_eq "$(jq_py 'len(set(o["report"][0]["accesses"][0]["addr"] for o in d["occurrences"]))')" 2 "two occurrences at two addresses"
expect_eq "$(jq_py 'all(("at " + o["report"][0]["accesses"][0]["addr"] + ",") in o["report"][0]["evidence"] for o in d["occurrences"])')" \
	True "each occurrence's evidence explains its own access"
run "$BIN" --db "$DB" show 1
addr1=$(grep -m1 -o "to 0x[0-9a-f]*" "$TMP/out" | cut -c4-)
expect_out "^    - a 2-byte read at $addr1, which" "show: the first occurrence explains its own address"

echo "== one stack, not cut short"
sed -n '14,22p;28,32p' fixtures/kunit-kcsan-test.log >"$TMP/one-stack.log"
run "$BIN" scan --no-db --format json "$TMP/one-stack.log"
expect_eq "$(jq_py '[(len(r["accesses"]), r["truncated"], r["verdict"]) for r in d["reports"]]')" "[(1, False, 'real-race')]" \
	"a one-stack report that is not cut short"
expect_out '"evidence": "the report shows one stack, not two' "its evidence says one stack was shown"
if grep -q "two stacks" "$TMP/out"; then bad "a one-stack report is said to have two stacks"; else ok; fi

echo "== show --src: a missing tree is an error, as for scan"
run "$BIN" --db "$DB" show --src "$TMP/nonexistent" 1
expect_rc 5 "show --src of a missing directory"
expect_err "nonexistent: --src: not a directory" "says which"
run "$BIN" scan --no-db --src "$TMP/nonexistent" fixtures/virtio-blk-console.log
expect_rc 5 "scan --src of a missing directory"

echo "== store: a schema-1 store (made by the released binary) is upgraded, labels and counts intact"
v1_db() {   # v1_db DB: the schema-1 fixture as a database
	rm -f "$1"
	python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); c.close()' \
		"$1" tests/fixtures-store/v1.sql
}
sql() {     # sql DB QUERY: the rows, as Python prints them
	python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1], isolation_level=None).execute(sys.argv[2]).fetchall())' "$1" "$2"
}
DB=$TMP/v1.db
v1_db "$DB"
before=$(sql "$DB" "select id, count, label, label_note, label_time from signature order by id")
expect_eq "$(sql "$DB" "pragma user_version")" "[(1,)]" "the fixture is schema 1"
run "$BIN" --db "$DB" list --format json
expect_rc 0 "list of a schema-1 store"
expect_eq "$(sql "$DB" "select id, count, label, label_note, label_time from signature order by id")" "$before" "labels and counts survive the upgrade"
expect_eq "$(sql "$DB" "pragma user_version")" "[(7,)]" "the store is upgraded"
expect_eq "$(jq_py '[(r["id"], r["count"], r["verdict"], r["label"] and r["label"]["note"]) for r in d["reports"]][:3]')" \
	"[(1, 2, 'device-origin', None), (2, 2, 'device-origin', \"checked by hand: the device's ring\"), (3, 1, 'real-race', None)]" \
	"list of the upgraded store: the labels are the verdicts"
run "$BIN" --db "$DB" show 1
expect_rc 0 "show of an upgraded report"
expect_out "^    - a 2-byte read at 0x" "an upgraded report keeps its evidence"
run "$BIN" --db "$DB" scan --format json fixtures/virtio-blk-console.log fixtures/virtio-rng-console.log
expect_eq "$(jq_py '(d["summary"]["stored_new"], d["summary"]["already_known"])')" "(0, 7)" "a rescan of the upgraded store adds nothing"
run "$BIN" --db "$DB" show --format json 1
expect_eq "$(jq_py 'all(("at " + o["report"][0]["accesses"][0]["addr"] + ",") in o["report"][0]["evidence"] for o in d["occurrences"])')" \
	True "after a rescan, each upgraded occurrence explains its own access"
expect_eq "$(sql "$DB" "select id, count, label, label_note, label_time from signature order by id")" "$before" "labels and counts survive the rescan"

echo "   an upgrade that fails changes nothing"
DB=$TMP/v1-bad.db
v1_db "$DB"
sql "$DB" "alter table occurrence add column facts text" >/dev/null
run "$BIN" --db "$DB" list
expect_rc 4 "a failed upgrade: exit 4"
expect_err "cannot upgrade the database" "says so"
expect_eq "$(sql "$DB" "pragma user_version")" "[(1,)]" "still schema 1"
expect_eq "$(sql "$DB" "select count(*) from pragma_table_info('signature') where name = 'evidence'")" "[(1,)]" "nothing half-done"
expect_eq "$(sql "$DB" "select id, count, label, label_note, label_time from signature order by id")" "$before" "the labels are kept"

echo "   names the store does not know are errors, never a default"
DB=$TMP/names.db
run "$BIN" --db "$DB" scan fixtures/virtio-blk-console.log
sql "$DB" "update signature set writer = 'firmware' where id = 1" >/dev/null
run "$BIN" --db "$DB" show 1
expect_rc 4 "an unknown writer in the store: exit 4"
expect_err "report 1: unknown writer 'firmware'" "says which row and which name"
sql "$DB" "update signature set writer = 'device', facts = replace(facts, 'layout=rule', 'layout=guess') where id = 1" >/dev/null
run "$BIN" --db "$DB" show 1
expect_rc 4 "an unknown fact in the store: exit 4"
expect_err "report 1: bad verdict fact 'layout=guess'" "says which"
sql "$DB" "update signature set facts = replace(facts, 'layout=guess', 'layout=rule') where id = 1" >/dev/null
# a row of schema 7 keeps its accesses and its text in one blob (detail empty), one of before in two
expect_eq "$(sql "$DB" "select count(*) from occurrence where length(detail) > 0 or length(raw) = 0")" "[(0,)]" \
	"one blob an occurrence"
raw1=$(sql "$DB" "select hex(raw) from occurrence where id = 1" | tr -dc 0-9A-F)
printf 'no accesses here' >"$TMP/nonul.txt"   # (a file: the frame says its size)
sql "$DB" "update occurrence set raw = x'$(zstd -q -c "$TMP/nonul.txt" | xxd -p | tr -d '\n')' where id = 1" >/dev/null
run "$BIN" --db "$DB" show --format json 1
expect_rc 4 "a blob without its accesses: exit 4"
expect_err "occurrence 1: its text has no accesses" "says which"
sql "$DB" "update occurrence set raw = x'00' where id = 1" >/dev/null
run "$BIN" --db "$DB" show --format json 1
expect_rc 4 "a damaged blob: exit 4"
expect_err "occurrence 1: its text cannot be decompressed" "says which"
sql "$DB" "update occurrence set raw = x'$raw1', detail = x'00' where id = 1" >/dev/null
run "$BIN" --db "$DB" show --format json 1
expect_rc 4 "damaged accesses of a row of before: exit 4"
expect_err "occurrence 1: its accesses cannot be decompressed" "says which"

echo "   a newer store is refused, and left alone"
DB=$TMP/v8.db
v1_db "$DB"
sql "$DB" "pragma user_version = 8" >/dev/null
sum_before=$(cksum <"$DB")
run "$BIN" --db "$DB" list
expect_rc 4 "a store of a newer schema: exit 4"
expect_err "schema 8 is newer" "says why"
run "$BIN" --db "$DB" scan fixtures/virtio-blk-console.log
expect_rc 4 "scan into a newer store: exit 4"
expect_eq "$(cksum <"$DB")" "$sum_before" "the newer store is untouched"

echo "== source lines: read under the tree only"
mkdir -p "$TMP/src/fs" "$TMP/outside"
awk 'BEGIN { for (i = 1; i < 700; i++) print (i == 542 ? "\tret = pipe_writable(pipe);" : (i == 676 ? "\thead = READ_ONCE(pipe->head);" : "/* line " i " */")) }' >"$TMP/src/fs/pipe.c"
echo "secret" >"$TMP/outside/secret.c"
# (another offset too: a location alone does not make another occurrence)
sed 's|pipe_poll+0x93/0x2a0 fs/pipe.c:676|pipe_poll+0x94/0x2a0 ../outside/secret.c:1|' fixtures/formats/syzbot-email.txt >"$TMP/evil.txt"
DB=$TMP/src.db
run "$BIN" --db "$DB" scan fixtures/formats/syzbot-email.txt "$TMP/evil.txt"
run "$BIN" --db "$DB" show --src "$TMP/src" 1
expect_out "\| ret = pipe_writable\(pipe\);" "show --src prints the source line of a frame"
expect_out "\| head = READ_ONCE\(pipe->head\);" "show --src prints the other access's line"
run "$BIN" --db "$DB" show --src "$TMP/src" --all 1
expect_out "pipe_poll\+0x94/0x2a0  \.\./outside/secret\.c:1" "the escaping frame is shown"
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
echo "== the default store: \$XDG_DATA_HOME, else ~/.local/share; \$KCSAN_TRIAGE_DB; --db wins"
mkdir -p "$TMP/cwd" "$TMP/home"
LOG=$PWD/fixtures/virtio-blk-console.log
run sh -c "cd '$TMP/cwd' && env -u XDG_DATA_HOME HOME='$TMP/home' '$BIN' scan '$LOG'"
expect_rc 1 "scan into the default store"
expect_eq "$(ls -A "$TMP/cwd")" "" "the default store leaves nothing in the current directory"
[ -s "$TMP/home/.local/share/kcsan-triage/kcsan-triage.db" ] && ok || bad "no store in ~/.local/share/kcsan-triage"
expect_eq "$(stat -c %a "$TMP/home/.local/share/kcsan-triage")" 700 "its directory is made 0700"
run sh -c "cd '$TMP/cwd' && env -u XDG_DATA_HOME HOME='$TMP/home' '$BIN' list"
expect_out "virtqueue_get_buf_ctx_split" "list reads the default store"
run sh -c "cd '$TMP/cwd' && XDG_DATA_HOME='$TMP/xdg2' '$BIN' scan '$LOG'"
[ -s "$TMP/xdg2/kcsan-triage/kcsan-triage.db" ] && ok || bad "no store under \$XDG_DATA_HOME/kcsan-triage"
run sh -c "cd '$TMP/cwd' && XDG_DATA_HOME='$TMP/xdg3' '$BIN' list"
expect_rc 4 "list of a default store not made yet"
expect_err "xdg3/kcsan-triage/kcsan-triage.db: no database here" "names the default store"
[ ! -e "$TMP/xdg3" ] && ok || bad "a read-only command creates no directory"
run env KCSAN_TRIAGE_DB="$TMP/env.db" "$BIN" scan "$LOG"
[ -s "$TMP/env.db" ] && ok || bad "\$KCSAN_TRIAGE_DB names the store"
run env KCSAN_TRIAGE_DB="$TMP/env.db" "$BIN" --db "$TMP/flag.db" scan "$LOG"
[ -s "$TMP/flag.db" ] && ok || bad "--db wins over \$KCSAN_TRIAGE_DB"
expect_out "store $TMP/flag.db:" "scan says which store"
run sh -c "cd '$TMP/cwd' && env -u XDG_DATA_HOME -u HOME '$BIN' list"
expect_rc 2 "no HOME, no XDG_DATA_HOME, no --db"
expect_err "pass --db" "says what to do"
expect_eq "$(ls -A "$TMP/cwd")" "" "still nothing in the current directory"

echo "== options: one table per command"
LOG=fixtures/virtio-rng-console.log
usage_error() {   # usage_error WHAT CMD: exit 2, one error line, the short usage, where to look
	expect_rc 2 "$1"
	expect_eq "$(head -n 1 "$TMP/err" | grep -Ec '^kcsan-triage( [a-z]+)*: ')" 1 "$1: the error starts with the program's name"
	expect_err "^usage: kcsan-triage $2" "$1: the short usage"
	expect_err "^see 'kcsan-triage help $2'" "$1: where to look"
	expect_eq "$(wc -l <"$TMP/err")" 3 "$1: three lines on stderr, not the whole help"
}
run "$BIN" scan --no-db --vmlin /nonexistent "$LOG"
usage_error "an abbreviated --vmlinux" scan
expect_err "'--vmlin'.*did you mean '--vmlinux'" "the nearest option is suggested"
run "$BIN" scan --no-db --vmlinux /nonexistent "$LOG"
expect_rc 5 "the same without abbreviation"
run "$BIN" scan --no-db --rul "$TMP/none.rules" "$LOG"
usage_error "an abbreviated --rules" scan
run "$BIN" list --form json
usage_error "no abbreviation for any option" list
run "$BIN" scan --bogus "$LOG"
usage_error "an unknown option" scan
run "$BIN" scan --no-db --src
usage_error "an option without its value" scan
run "$BIN" scan --no-db=yes "$LOG"
usage_error "a flag with a value" scan
run "$BIN" scan --no-db --format yaml "$LOG"
usage_error "a bad choice" scan
expect_err "--format takes text, json, sarif or junit, not 'yaml'" "the choices are named"
run "$BIN" stats --top 0
usage_error "a number too small" stats
run "$BIN" list extra
usage_error "an operand of a command without operands" list
run "$BIN" rules list --vmlinux "$TMP/x"
usage_error "rules list takes no --vmlinux" "rules list"
run "$BIN" rules frob
expect_rc 2 "an unknown subcommand"
expect_err "^kcsan-triage: .*'frob'" "an unknown subcommand: the error starts with the program's name"
run "$BIN" --bogus list
expect_rc 2 "an unknown global option"
expect_eq "$(grep -c "$BIN" "$TMP/err")" 0 "no error names the binary's path"
expect_err "^kcsan-triage: " "the global error starts with the program's name"
expect_eq "$(wc -l <"$TMP/err")" 3 "an unknown global option: the short usage, not the whole help"
run "$BIN" scan --no-db --modules "$TMP" "$LOG"
usage_error "--modules without --vmlinux" scan

echo "   global options before or after the command"
run "$BIN" --db "$TMP/before.db" scan "$LOG"
rc_before=$rc
run "$BIN" scan --db "$TMP/after.db" "$LOG"
expect_eq "$rc" "$rc_before" "scan --db X works like --db X scan"
run "$BIN" --db "$TMP/before.db" list
cp "$TMP/out" "$TMP/list-before"
run "$BIN" list --db "$TMP/after.db"
expect_rc 0 "list --db X"
expect_eq "$(cmp -s "$TMP/list-before" "$TMP/out" && echo same)" same "both stores hold the same"
run "$BIN" scan --quiet --no-db --vmlinux "$TMP/nodebug.vmlinux" "$LOG"
expect_eq "$(grep -c warning "$TMP/err")" 0 "--quiet after the command"
run "$BIN" -V
expect_rc 0 "-V"
expect_out "^kcsan-triage [0-9]" "-V prints the version"
run "$BIN" list --version
expect_out "^kcsan-triage [0-9]" "--version after the command"

echo "   help comes from the table"
run "$BIN" help scan
expect_rc 0 "help scan"
expect_out "^ +--vmlinux PATH {2,}[a-z]" "help scan lists --vmlinux with its meaning"
expect_out "^ +--format text\|json\|sarif\|junit( {2,}[a-z]|$)" "help scan lists --format with its choices"
cp "$TMP/out" "$TMP/help-scan"
run "$BIN" scan --help
expect_eq "$(cmp -s "$TMP/help-scan" "$TMP/out" && echo same)" same "scan --help is help scan"
run "$BIN" help rules check
expect_out "^ +--vmlinux PATH" "help rules check lists the subcommand's options"
run "$BIN" --list-cmds
expect_eq "$(tr '\n' ' ' <"$TMP/out")" "scan list show stats label export merge rules symbolize maintainers cost help " "--list-cmds"
run "$BIN" --list-cmds rules
expect_eq "$(tr '\n' ' ' <"$TMP/out")" "list check " "--list-cmds rules: its subcommands"
run "$BIN" --list-opts scan
expect_out "^--vmlinux PATH$" "--list-opts scan: an option and its argument"
expect_out "^--no-db$" "--list-opts scan: a flag"
expect_out "^--quiet$" "--list-opts scan: the global options too"

echo "== rules list, scan --src above the tree, many distinct reports"
run "$BIN" rules list
if grep -q '%-20s' "$TMP/out"; then bad "rules list prints a format for the member's name"; else ok; fi
expect_out "^  member idx                  offset 2    size 2$" "rules list aligns the member's name"
run "$BIN" rules list --format json
expect_eq "$(jq_py 'd["rules"][0]["members"][0]["name"]')" "producer" "rules list JSON: the member's name as is"
# a syzbot-style report (the log gives file:line) and the tree it was built from, one level down
mkdir -p "$TMP/up/linux-6.1/drivers/virtio" "$TMP/notree/stuff"
awk 'BEGIN { for (i = 1; i < 900; i++) print (i == 787 ? "\treturn vq->last_used_idx != virtio16_to_cpu(vq->vq.vdev, vq->split.vring.used->idx);" : "/* line " i " */") }' \
	>"$TMP/up/linux-6.1/drivers/virtio/virtio_ring.c"
touch "$TMP/up/linux-6.1/Makefile" "$TMP/up/linux-6.1/MAINTAINERS"
awk '/BUG: KCSAN/ { p = 1 } p { print; if (++n >= 19) exit }' fixtures/virtio-blk-console.log | tr -d '\r' |
	sed 's|^\(.*\)  virtqueue_get_buf_ctx_split+0x5e/0x200$|\1  more_used_split drivers/virtio/virtio_ring.c:787 [inline]\n\1  virtqueue_get_buf_ctx_split+0x5e/0x200 drivers/virtio/virtio_ring.c:806|' \
	>"$TMP/syz.log"
run "$BIN" scan --no-db --src "$TMP/up/linux-6.1" "$TMP/syz.log"
expect_out "virtio_ring.c:787 \(source checked\)" "scan --src TREE reads the source"
run "$BIN" scan --no-db --src "$TMP/up" "$TMP/syz.log"
expect_out "virtio_ring.c:787 \(source checked\)" "scan --src one level above the tree finds the tree"
if [ -s "$TMP/err" ]; then bad "scan --src above the tree: no warning expected: $(cat "$TMP/err")"; else ok; fi
run "$BIN" scan --no-db --src "$TMP/notree" "$TMP/syz.log"
expect_rc 0 "scan --src without a tree under it still scans"
expect_err "notree: --src: none of the reports' source files is under it" "scan --src without a tree says nothing matched"
# many distinct reports: one row each, in the order first seen
awk '/BUG: KCSAN/ { p = 1 } p { print; if (++n >= 19) exit }' fixtures/virtio-blk-console.log | tr -d '\r' >"$TMP/one.log"
python3 -c '
import sys
one = open(sys.argv[1]).read()
sys.stdout.write("".join(one.replace("virtqueue_get_buf_ctx_split", "f%d" % (i % 2000)) for i in range(4000)))' \
	"$TMP/one.log" >"$TMP/many.log"
run "$BIN" scan --no-db "$TMP/many.log"
expect_out "^4000 KCSAN reports \(2000 distinct\)" "4000 reports of 2000 signatures are counted"
expect_eq "$(grep -E '^    KCSAN' "$TMP/out" | sed -n '1p;$p' | tr '\n' ' ')" \
	"    KCSAN: data-race in f0     KCSAN: data-race in f1999 " "rows in the order first seen"
expect_eq "$(grep -c '^2x ' "$TMP/out")" 2000 "every row counts its two occurrences"

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

mkdir -p "$TMP/$evil.d"
run "$BIN" --db "$TMP/$evil.d/store.db" scan --fail-on none fixtures/virtio-rng-console.log
expect_rc 0 "a store whose path has escapes"
if grep -q $'[\e\a]' "$TMP/out"; then bad "the store's path reaches stdout raw"; else ok; fi
expect_out 'store .*a\\x1b\]2;PWNED\\x07\\x1b\[2Jb\.log\.d/store\.db: 3 new' "the store's path is shown with visible escapes"
run "$BIN" --db "$TMP/$evil.d/store.db" stats
if grep -q $'[\e\a]' "$TMP/out"; then bad "stats: the store's path reaches stdout raw"; else ok; fi
expect_out '^store .*a\\x1b\]2;PWNED\\x07\\x1b\[2Jb\.log\.d/store\.db' "stats: the store's path is shown with visible escapes"

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

echo "== reading every report: one event, one occurrence"
DB=$TMP/events.db
run "$BIN" --db "$DB" scan --fail-on none fixtures/formats/symbolize-before.log
expect_out "store .*: 1 new, 0 already known" "the raw log: one new occurrence"
run "$BIN" --db "$DB" scan --fail-on none fixtures/formats/symbolize-after.log
expect_out "store .*: 0 new, 1 already known" "the same log symbolized: the same occurrence"
run "$BIN" --db "$DB" scan --fail-on none fixtures/formats/symbolize-before.log fixtures/formats/symbolize-after.log
expect_out "store .*: 0 new, 2 already known" "both again: nothing new"

echo "== show: C1 and bidi controls from a log are shown as escapes"
python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); d=d.replace(b"Comm: dd ", "Comm: d\u202ed\u009b2J\u2066x ".encode() + b"\x9b ", 1); open(sys.argv[2],"wb").write(d)' \
	fixtures/virtio-rng-console.log "$TMP/bidi.log"
run "$BIN" --db "$TMP/bidi.db" scan "$TMP/bidi.log"
run "$BIN" --db "$TMP/bidi.db" show --all 1
if LC_ALL=C grep -q -P '\xe2\x80\xae|\xc2\x9b|\xe2\x81\xa6|\x9b' "$TMP/out"; then bad "show prints raw C1 or bidi controls"; else ok; fi
expect_out 'u202e' "show names the bidi override as an escape"

echo "== times and mail metadata: first/last seen from the logs' and mails' times, syzbot's block kept"
DB=$TMP/meta.db
rm -f "$DB"
run "$BIN" --db "$DB" scan --fail-on none fixtures/formats/syzbot-two.mbox
expect_rc 0 "scan of an mbox"
run "$BIN" --db "$DB" list --format json
expect_eq "$(jq_py '[(r["count"], r["first_seen"], r["last_seen"]) for r in d["reports"]]')" \
	"[(2, '2026-11-20T23:59:59Z', '2026-11-25T10:20:30Z')]" \
	"first/last seen: the messages' Date:s in UTC (the newer message comes first in the file)"
run "$BIN" --db "$DB" list --extid b0a7d1e2f3a4b5c6d7e8 --format json
expect_eq "$(jq_py '[r["id"] for r in d["reports"]]')" "[1]" "list --extid: the upstream instance's report"
run "$BIN" --db "$DB" list --extid b0a7d1e2f3a4 --format json
expect_eq "$(jq_py '[r["id"] for r in d["reports"]]')" "[]" "list --extid: the whole extid, not a prefix"
for g in c0ffee0123456789 "9e8d7c6b5a4f" "<000000000000f1e2d3c4b5a69788@google.com>" "[syzbot] [baz?]"; do
	run "$BIN" --db "$DB" list --grep "$g" --format json
	expect_eq "$(jq_py '[r["id"] for r in d["reports"]]')" "[1]" "list --grep finds '$g' (extid, commit, Message-ID, Subject)"
done
run "$BIN" --db "$DB" list --grep "not-in-any-mail" --format json
expect_eq "$(jq_py 'len(d["reports"])')" 0 "list --grep: nothing else"
run "$BIN" --db "$DB" show --all --format json 1
expect_eq "$(jq_py '[(o["report"][0]["time"], o["report"][0]["metadata"]["extid"], o["report"][0]["metadata"]["git_tree"]) for o in d["occurrences"]]')" \
	"[('2026-11-25T10:20:30Z', 'c0ffee0123456789abcd', 'linux-next'), ('2026-11-20T23:59:59Z', 'b0a7d1e2f3a4b5c6d7e8', 'upstream')]" \
	"show: each occurrence with its own message's metadata"
run "$BIN" --db "$DB" scan --fail-on none fixtures/formats/syzbot-mail.eml fixtures/formats/syzbot-reply.txt
run "$BIN" --db "$DB" show --src fixtures/maintainers 2
expect_rc 0 "show --src with MAINTAINERS"
golden "meta/show-syzbot-mail.txt"
run "$BIN" --db "$DB" label --as real-race --note "checked" 2
run "$BIN" --db "$DB" show --src fixtures/maintainers --format json 2
python3 tests/json_schema.py --dump "$TMP/out" >"$TMP/schema"
for k in "guilty_file string" "maintainers_entry string" "to array" "to\[\] string" "cc array" "cc\[\] string"; do
	grep -q "^${k%% *} .*${k##* }" "$TMP/schema" && grep -q "^${k%% *} *${k##* }|" docs/json.md && ok ||
		bad "show --src: '$k' in the output and in docs/json.md"
done
ours=$(jq_py '(d["guilty_file"], d["to"], d["cc"])')
run "$BIN" maintainers --src fixtures/maintainers --format json drivers/foo/sub/deep.c
expect_eq "$ours" "$(jq_py '(d["files"][0]["file"], d["files"][0]["to"], d["files"][0]["cc"])')" \
	"show --src: To: and Cc: are the maintainers command's (get_maintainer.pl's, tests/maintainers.sh)"
run "$BIN" --db "$DB" show --format json 2
expect_eq "$(jq_py '"to" in d or "guilty_file" in d')" False "show without --src: no routing"
. tests/unpack-kernel.sh
KSRC=$CACHE/linux-source-6.1
if kernel_tree /usr/src/linux-source-6.1.tar.xz && [ -f "$KSRC/MAINTAINERS" ] && command -v perl >/dev/null; then
	run "$BIN" --db "$DB" scan --fail-on none fixtures/formats/syzbot-email.txt
	id=$("$BIN" --db "$DB" list --grep pipe_poll --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["reports"][0]["id"])')
	run "$BIN" --db "$DB" show --src "$KSRC" --format json "$id"
	expect_eq "$(jq_py 'd["guilty_file"]')" "fs/pipe.c" "the guilty file in Debian's tree"
	ours=$(jq_py '"\n".join(sorted(d["to"] + d["cc"]))')
	theirs=$(cd "$KSRC" && PERL_HASH_SEED=0 perl scripts/get_maintainer.pl --no-git --no-rolestats -f fs/pipe.c | sort)
	expect_eq "$ours" "$theirs" "show --src on Debian's linux-source-6.1: To: + Cc: are what get_maintainer.pl prints"
	run "$BIN" --db "$DB" show --src "$KSRC" "$id"
	expect_out "^To: .*Alexander Viro <viro@zeniv.linux.org.uk>" "To: the VFS maintainer"
	expect_out "^Cc: .*linux-fsdevel@vger.kernel.org" "Cc: the VFS list"
elif [ "${CI:-}" = true ]; then
	bad "no /usr/src/linux-source-6.1.tar.xz to unpack into $KSRC, or no perl, under CI"
else
	echo "   (skipped the Debian tree: no $KSRC or no perl)"
fi

echo "   dmesg -T, syslog and journal times"
for f in dmesg-T.log:2026-12-01T14:03:07:2026-12-02T09:10:11 journal-iso.log:2026-11-29T21:15:30Z:2026-11-30T03:04:05Z \
	syslog.log:2026-11-30T23:59:58:2026-12-01T08:30:00; do
	IFS=: read -r name t1a t1b t1c t2a t2b t2c <<<"$f"
	rm -f "$DB"
	# syslog has no year: the scan's (a scan on 2026-12-05)
	SOURCE_DATE_EPOCH=1796500000 run "$BIN" --db "$DB" scan --fail-on none "fixtures/formats/$name"
	run "$BIN" --db "$DB" list --format json
	expect_eq "$(jq_py '[(r["count"], r["first_seen"], r["last_seen"]) for r in d["reports"]]')" \
		"[(2, '$t1a:$t1b:$t1c', '$t2a:$t2b:$t2c')]" "$name: first/last seen are the log's times"
done
rm -f "$DB"
SOURCE_DATE_EPOCH=1796500000 run "$BIN" --db "$DB" scan --fail-on none fixtures/formats/dmesg-T.log fixtures/formats/journal-iso.log
run "$BIN" --db "$DB" list --format json
expect_eq "$(jq_py '[(r["count"], r["first_seen"], r["last_seen"]) for r in d["reports"]]')" \
	"[(4, '2026-11-29T21:15:30Z', '2026-12-02T09:10:11')]" "two logs: the earliest and the latest of both"
SOURCE_DATE_EPOCH=1763712000 run "$BIN" scan --no-db --format json fixtures/formats/syslog.log
expect_eq "$(jq_py '[r["time"] for r in d["reports"]]')" "['2024-11-30T23:59:58', '2024-12-01T08:30:00']" \
	"syslog: a date after the scan is the year before's"
run "$BIN" scan --no-db --format json fixtures/virtio-blk-console.log
expect_eq "$(jq_py 'set(r["time"] for r in d["reports"]), all(r["printk_time"] for r in d["reports"])')" "({None}, True)" \
	"a printk uptime is no wall clock: no time"
rm -f "$DB"
run "$BIN" --db "$DB" scan --fail-on none fixtures/virtio-blk-console.log
run "$BIN" --db "$DB" list --format json
expect_eq "$(jq_py 'set((r["first_seen"], r["last_seen"]) for r in d["reports"])')" \
	"{('2025-11-21T08:00:00Z', '2025-11-21T08:00:00Z')}" "without a wall clock: the scan's time"

echo
echo "e2e: $pass passed, $fail failed"
[ $fail = 0 ]
